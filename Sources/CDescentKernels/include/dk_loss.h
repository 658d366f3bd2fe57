// Fused loss kernels: negative log-likelihood and softmax + cross-entropy on (M, C) rows.
#ifndef DK_LOSS_H
#define DK_LOSS_H
#include <stdint.h>
/// Per-row NLL: rowLoss[i] = -w[t_i] * logp[i, t_i] (0 for ignored rows), rowW[i] = w[t_i] (0 if ignored).
/// Returns -1 when all targets are valid, else the index of the first row whose target is out of range.
int64_t dk_nll_fwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const void *weight,
                   int64_t ignoreIndex, void *rowLoss, double *rowW);
/// d/dlogp of the NLL: gx[i, t_i] = -rowW[i] * up_i * scale, zeros elsewhere (gx is fully written).
/// up_i = up[i * upStride] (upStride 0 for a reduced loss).
void dk_nll_bwd(int32_t dtype, int64_t M, int64_t C, const int64_t *target, const double *rowW, const void *up,
                int64_t upStride, double scale, void *gx);
/// Fused softmax + cross-entropy backward from the saved log-softmax:
/// gx[i, c] = rowW[i] * up_i * scale * (exp(logp[i, c]) - (c == t_i)), zero rows for ignored targets.
void dk_ce_bwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const double *rowW,
               const void *up, int64_t upStride, double scale, void *gx);
#endif
