// Fused loss kernels (see include/dk_loss.h).
#include "dk_loss.h"
#include "dk_ops.h"
#include "dk_vmath.h"
#include <math.h>
#include <string.h>

#define NLL_FWD(T) { const T *L = logp; const T *W = weight; T *R = rowLoss; \
  for (int64_t i = 0; i < M; i++) { int64_t t = target[i]; \
    if (t == ignoreIndex) { R[i] = 0; rowW[i] = 0; continue; } \
    if (t < 0 || t >= C) { if (bad < 0) bad = i; R[i] = 0; rowW[i] = 0; continue; } \
    T w = W ? W[t] : (T)1; rowW[i] = (double)w; R[i] = -w * L[i * C + t]; } }

int64_t dk_nll_fwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const void *weight,
                   int64_t ignoreIndex, void *rowLoss, double *rowW) {
  int64_t bad = -1;
  if (dtype == DK_F32) NLL_FWD(float) else NLL_FWD(double)
  return bad;
}

/* PyTorch's nll_loss backward: grad = -(grad_output / total_weight) (mean) or -grad_output, in T; then w * grad */
#define NLL_GRAD(T, i) ((T)rowW[i] * (mean ? -((T)U[(i) * upStride] / (T)totalWeight) : -(T)U[(i) * upStride]))

#define NLL_BWD(T) { const T *U = up; T *G = gx; memset(G, 0, sizeof(T) * (size_t)(M * C)); \
  for (int64_t i = 0; i < M; i++) { if (rowW[i] == 0) continue; G[i * C + target[i]] = NLL_GRAD(T, i); } }

void dk_nll_bwd(int32_t dtype, int64_t M, int64_t C, const int64_t *target, const double *rowW, const void *up,
                int64_t upStride, int32_t mean, double totalWeight, void *gx) {
  if (dtype == DK_F32) NLL_BWD(float) else NLL_BWD(double)
}

static void vexp_d(int64_t n, const double *x, double *y) { for (int64_t i = 0; i < n; i++) y[i] = exp(x[i]); }

/* log_softmax's backward on the NLL gradient: the row sum is G (one non-zero), gx = G - exp(logp) * G, fused */
#define CE_BWD(T, EXP, FMA) { const T *L = logp; const T *U = up; T *G = gx; \
  for (int64_t i = 0; i < M; i++) { T *g = G + i * C; \
    if (rowW[i] == 0) { memset(g, 0, sizeof(T) * (size_t)C); continue; } \
    const T k = NLL_GRAD(T, i); const int64_t t = target[i]; \
    EXP(C, L + i * C, g); for (int64_t c = 0; c < C; c++) g[c] = FMA(-g[c], k, c == t ? k : (T)0); } }

void dk_ce_bwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const double *rowW,
               const void *up, int64_t upStride, int32_t mean, double totalWeight, void *gx) {
  if (dtype == DK_F32) CE_BWD(float, dk_vexpf_sleef, fmaf) else CE_BWD(double, vexp_d, fma)
}

// ------------------------------------------------------------------ binary cross-entropy
// Scalar loops in PyTorch's operation order (its BCE kernels are scalar too); sigmoid and
// exp(-|x|) use the SLEEF-equivalent expf of vmath.c that PyTorch's vectorised sigmoid uses.
#define BCE_FWD(T, LOG, LOG1P) { const T *X = x, *Y = y, *W = w; T *L = loss; \
  for (int64_t i = 0; i < n; i++) { T xi = X[i], yi = Y[i]; \
    if (bad == 0 && !(xi >= (T)0 && xi <= (T)1)) bad = 1; \
    if (bad == 0 && !(yi >= (T)0 && yi <= (T)1)) bad = 2; \
    T a = LOG1P(-xi), b = LOG(xi); a = a > (T)-100 ? a : (T)-100; b = b > (T)-100 ? b : (T)-100; \
    T l = (yi - (T)1) * a - yi * b; L[i] = W ? l * W[i] : l; } }

int32_t dk_bce_fwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, void *loss) {
  int32_t bad = 0;
  if (dtype == DK_F32) BCE_FWD(float, logf, log1pf) else BCE_FWD(double, log, log1p)
  return bad;
}

#define BCE_BWD(T) { const T *X = x, *Y = y, *W = w, *U = up; T *G = gx; const T dv = (T)divisor; \
  for (int64_t i = 0; i < n; i++) { T xi = X[i], d = ((T)1 - xi) * xi; d = d > (T)1e-12 ? d : (T)1e-12; \
    T g = U[i * upStride] * (xi - Y[i]) / d; if (W) g = g * W[i]; G[i] = divisor != 1 ? g / dv : g; } }

void dk_bce_bwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *up,
                int64_t upStride, double divisor, void *gx) {
  if (dtype == DK_F32) BCE_BWD(float) else BCE_BWD(double)
}

// exp(-|x|) and sigmoid(x) are computed for the whole array first (float: the vectorised SLEEF
// expf of vmath.c, as PyTorch's vectorised kernels), then the loop combines them.
static void nexpabs_f(int64_t n, const float *x, float *out) {
  for (int64_t i = 0; i < n; i++) out[i] = -fabsf(x[i]);
  dk_vexpf_sleef(n, out, out);
}
static void nexpabs_d(int64_t n, const double *x, double *out) { for (int64_t i = 0; i < n; i++) out[i] = exp(-fabs(x[i])); }
static void sig_d(int64_t n, const double *x, double *out) { for (int64_t i = 0; i < n; i++) out[i] = 1.0 / (1.0 + exp(-x[i])); }

#define BCEL_FWD(T, NEXPABS, LOG1P) { const T *X = x, *Y = y, *W = w, *P = pw; T *L = loss; \
  NEXPABS(n, X, L); \
  for (int64_t i = 0; i < n; i++) { T xi = X[i], yi = Y[i]; \
    T ls = (xi < (T)0 ? xi : (T)0) - LOG1P(L[i]); \
    if (P) ls = ls * ((P[i] - (T)1) * yi + (T)1); \
    T l = ((T)1 - yi) * xi - ls; L[i] = W ? l * W[i] : l; } }

void dk_bce_logits_fwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *pw, void *loss) {
  if (dtype == DK_F32) BCEL_FWD(float, nexpabs_f, log1pf) else BCEL_FWD(double, nexpabs_d, log1p)
}

#define BCEL_BWD(T, SIG) { const T *X = x, *Y = y, *W = w, *P = pw, *U = up; T *G = gx; const T dv = (T)divisor; \
  SIG(n, X, G); \
  for (int64_t i = 0; i < n; i++) { T s = G[i], yi = Y[i], g; \
    if (P) { T t = P[i] * yi; g = (t + (T)1 - yi) * s - t; } else g = s - yi; \
    g = g * U[i * upStride]; if (W) g = g * W[i]; G[i] = divisor != 1 ? g / dv : g; } }

void dk_bce_logits_bwd(int32_t dtype, int64_t n, const void *x, const void *y, const void *w, const void *pw,
                       const void *up, int64_t upStride, double divisor, void *gx) {
  if (dtype == DK_F32) BCEL_BWD(float, dk_vsigmoidf) else BCEL_BWD(double, sig_d)
}
