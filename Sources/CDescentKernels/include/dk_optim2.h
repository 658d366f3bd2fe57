// More fused single-pass optimizer updates over one parameter tensor, each following the order of
// operations (and the rounding of every intermediate) of PyTorch's `_single_tensor_*` implementation,
// plus the flat-vector helpers of L-BFGS. `dtype` is the parameter's (DK_F32 or DK_F64, see dk_ops.h);
// its state buffers share it, except the 0-dim scalars (ASGD's eta/mu, NAdam's mu_product), which are
// float32 as in PyTorch.
#ifndef DK_OPTIM2_H
#define DK_OPTIM2_H
#include <stdint.h>

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

// L-BFGS flat-vector helpers (float32, the roundings of PyTorch's CPU ops).
/// x·y summed in PyTorch's (MKL sdot) order for short vectors: four lanes i mod 4, then (l0+l1)+(l2+l3).
float dk_lbfgs_dot_f32(int64_t n, const float *x, const float *y);
/// sum |x_i| in PyTorch's cascade-sum order (torch.sum over a contiguous float32 vector).
float dk_lbfgs_sum_abs_f32(int64_t n, const float *x);
/// max |x_i * scale| (NaN if any element is NaN); scale 1 gives max |x_i|.
float dk_lbfgs_max_abs_f32(int64_t n, const float *x, float scale);
/// y = y + alpha*x with one rounding (PyTorch's `add_(x, alpha=)`).
void dk_lbfgs_axpy_f32(int64_t n, float alpha, const float *x, float *y);
/// y = a - b.
void dk_lbfgs_sub_f32(int64_t n, const float *a, const float *b, float *y);
/// y = x * s.
void dk_lbfgs_scale_f32(int64_t n, const float *x, float s, float *y);
/// The two-loop recursion: d = -H g from the k newest (s, y) pairs, held in ring buffers of `cap` rows of n
/// floats whose oldest row is `head`; ro[i] = 1/(y_i·s_i) (same ring order); al is scratch of cap floats.
void dk_lbfgs_direction_f32(int64_t n, int64_t k, int64_t cap, int64_t head, const float *oldDirs,
                            const float *oldStps, const float *ro, float *al, const float *g, float hDiag, float *d);
#endif
