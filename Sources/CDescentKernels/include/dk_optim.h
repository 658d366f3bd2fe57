// The fused single-pass update of every optimizer over one parameter tensor, each following the order
// of operations (and the rounding of every intermediate) of PyTorch's `_single_tensor_*` implementation.
// `dtype` is the parameter's (DK_F32 or DK_F64, see dk_ops.h); its state buffers share it, except the
// 0-dim scalars (ASGD's eta/mu, NAdam's mu_product), which are float32 as in PyTorch. SGD, Adam,
// RMSprop and Adagrad update large parameters in threaded chunks (same result).
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
/// Adadelta: sq = rho*sq + (1-rho)*g^2; delta = sqrt(acc+eps)/sqrt(sq+eps)*g; acc = rho*acc + (1-rho)*delta^2; p -= lr*delta.
void dk_adadelta(int32_t dtype, int64_t n, void *p, const void *g, void *squareAvg, void *accDelta, double lr, double rho,
                 double eps, double weightDecay, int32_t maximize);

/// Adamax: m = lerp(m, g, 1-beta1); u = max(beta2*u, |g|+eps); p -= lr/(1-beta1^step) * m/u.
void dk_adamax(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expInf, double lr, double beta1,
               double beta2, double eps, double weightDecay, int64_t step, int32_t maximize);

/// ASGD: p = p*(1-lambd*eta) - eta*g; ax averages p once step > t0; then eta and mu (float32 scalars) are
/// updated for the next step, as PyTorch keeps them (0-dim float32 tensors).
void dk_asgd(int32_t dtype, int64_t n, void *p, const void *g, void *ax, float *eta, float *mu, double lr, double lambd,
             double alpha, double t0, double weightDecay, int64_t step, int32_t maximize);

/// Rprop: per-element step sizes grow by etaplus while the gradient keeps its sign and shrink by etaminus
/// (skipping that element's update) when it flips; p -= sign(g)*stepSize; prev = g.
void dk_rprop(int32_t dtype, int64_t n, void *p, const void *g, void *prev, void *stepSize, double etaminus, double etaplus,
              double stepSizeMin, double stepSizeMax, int32_t maximize);

/// NAdam (momentum decay, Dozat's Nesterov Adam); muProduct is the float32 running product of the mu_t.
void dk_nadam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, float *muProduct, double lr,
              double beta1, double beta2, double eps, double weightDecay, double momentumDecay, int64_t step,
              int32_t decoupled, int32_t maximize);

/// RAdam (rectified Adam).
void dk_radam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
              double beta2, double eps, double weightDecay, int64_t step, int32_t decoupled, int32_t maximize);

/// SparseAdam on a dense gradient: Adam restricted to the entries whose gradient is nonzero (the entries a
/// sparse gradient would hold); the others keep their parameter and moments. `step` counts the parameter's steps.
void dk_sparse_adam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
                    double beta2, double eps, int64_t step, int32_t maximize);
#endif
