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

#define NLL_BWD(T) { const T *U = up; T *G = gx; memset(G, 0, sizeof(T) * (size_t)(M * C)); \
  for (int64_t i = 0; i < M; i++) { if (rowW[i] == 0) continue; \
    G[i * C + target[i]] = (T)(-rowW[i] * (double)U[i * upStride] * scale); } }

void dk_nll_bwd(int32_t dtype, int64_t M, int64_t C, const int64_t *target, const double *rowW, const void *up,
                int64_t upStride, double scale, void *gx) {
  if (dtype == DK_F32) NLL_BWD(float) else NLL_BWD(double)
}

static void vexp_d(int64_t n, const double *x, double *y) { for (int64_t i = 0; i < n; i++) y[i] = exp(x[i]); }

#define CE_BWD(T, EXP) { const T *L = logp; const T *U = up; T *G = gx; \
  for (int64_t i = 0; i < M; i++) { T *g = G + i * C; \
    if (rowW[i] == 0) { memset(g, 0, sizeof(T) * (size_t)C); continue; } \
    T k = (T)(rowW[i] * (double)U[i * upStride] * scale); const T *l = L + i * C; \
    EXP(C, l, g); for (int64_t c = 0; c < C; c++) g[c] = k * g[c]; \
    g[target[i]] -= k; } }

void dk_ce_bwd(int32_t dtype, int64_t M, int64_t C, const void *logp, const int64_t *target, const double *rowW,
               const void *up, int64_t upStride, double scale, void *gx) {
  if (dtype == DK_F32) CE_BWD(float, dk_vexpf) else CE_BWD(double, vexp_d)
}
