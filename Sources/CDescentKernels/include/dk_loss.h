// Fused loss kernels: negative log-likelihood and softmax + cross-entropy on (M, C) rows.
#ifndef DK_LOSS_H
#define DK_LOSS_H
#include <stdint.h>
/// Per-row NLL: rowLoss[i] = -w[t_i] * logp[i, t_i] (0 for ignored rows), rowW[i] = w[t_i] (0 if ignored).
/// Returns -1 when all targets are valid, else the index of the first row whose target is out of range.
int64_t dk_nll_fwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const void *weight,
                   int64_t ignoreIndex, void *rowLoss, double *rowW);
/// d/dlogp of the NLL as PyTorch's nll_loss backward: gx[i, t_i] = w_i * grad_i with grad_i = -(up_i / totalWeight)
/// (mean) or -up_i, in the element type, zeros elsewhere (gx is fully written). up_i = up[i * upStride]
/// (upStride 0 for a reduced loss); w_i = rowW[i] (0 for ignored rows).
void dk_nll_bwd(int32_t dtype, int64_t M, int64_t C, const int64_t *target, const double *rowW, const void *up,
                int64_t upStride, int32_t mean, double totalWeight, void *gx);
/// Fused softmax + cross-entropy backward from the saved log-softmax, rounded as PyTorch's nll_loss backward
/// followed by its log_softmax backward: with G = w_i * grad_i at the target (as dk_nll_bwd),
/// gx[i, c] = fma(-exp(logp[i, c]), G, c == t_i ? G : 0) (SLEEF's exp for float); zero rows for ignored targets.
void dk_ce_bwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const double *rowW,
               const void *up, int64_t upStride, int32_t mean, double totalWeight, void *gx);
/// Binary cross-entropy on probabilities, per element, PyTorch's formula and order:
/// loss = ((y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)) * w (w may be NULL).
/// Returns 0, or for the first element out of [0, 1] (or NaN) 1 if its input is, else 2 (its target).
int32_t dk_bce_fwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, void *loss);
/// d/dx of the BCE: gx = g * (x - y) / max((1 - x) * x, 1e-12) * w / divisor, g = up[i * upStride].
void dk_bce_bwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *up,
                int64_t upStride, double divisor, void *gx);
/// BCE on logits, stable: loss = ((1 - y) * x - logsigmoid(x) * (1 + (pw - 1) * y)) * w
/// (w, pw may be NULL), logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)).
void dk_bce_logits_fwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *pw, void *loss);
/// d/dx: (sigmoid(x) - y) * g, or ((pw*y + 1 - y) * sigmoid(x) - pw*y) * g with pw; then * w / divisor.
void dk_bce_logits_bwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *pw,
                       const void *up, int64_t upStride, double divisor, void *gx);
#endif
