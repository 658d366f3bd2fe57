// Umbrella header of the C kernels module. Add each new dk_*.h here (editing this file also
// makes clang's module cache notice the new header).
#include "dk_parallel.h"
#include "dk_gemm.h"
#include "dk_ops.h"
#include "dk_rng.h"
#include "dk_optim.h"
#include "dk_loss.h"
#include "dk_lbfgs.h"
#include "dk_linalg.h"
#include "dk_conv.h"
#include "dk_vmath.h"
#include "dk_index.h"
#include "dk_rnn.h"
