// Fused single-pass optimizer updates over one parameter tensor, following the order of operations
// of PyTorch's single-tensor implementations. `dtype` is the parameter's (DK_F32 or DK_F64); the
// state buffers share it. Large parameters are updated in threaded chunks (same result).
#ifndef DK_OPTIM_H
#define DK_OPTIM_H
#include <stdint.h>
/// SGD: g += wd*p; buf = first ? g : momentum*buf + (1-dampening)*g; g = nesterov ? g + momentum*buf : buf; p -= lr*g.
void dk_sgd(int32_t dtype, int64_t n, void *p, const void *g, void *buf, double lr, double momentum, double dampening,
            double weightDecay, int32_t nesterov, int32_t firstStep, int32_t maximize);
/// Adam / AdamW (decoupled != 0): PyTorch's single-tensor Adam; vmax may be NULL unless amsgrad.
void dk_adam(int32_t dtype, int64_t n, void *p, const void *g, void *m, void *v, void *vmax, double lr, double beta1,
             double beta2, double eps, double weightDecay, int64_t step, int32_t amsgrad, int32_t decoupled, int32_t maximize);
/// RMSprop (centered when gavg != NULL, momentum when buf != NULL).
void dk_rmsprop(int32_t dtype, int64_t n, void *p, const void *g, void *sq, void *gavg, void *buf, double lr, double alpha,
                double eps, double weightDecay, double momentum, int32_t maximize);
/// Adagrad.
void dk_adagrad(int32_t dtype, int64_t n, void *p, const void *g, void *sum, double clr, double eps, double weightDecay,
                int32_t maximize);
#endif
