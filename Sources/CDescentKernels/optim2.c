#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
// More fused optimizer updates (see include/dk_optim2.h): the element-wise updates are written once in
// optim2_kernels.h and instantiated for float32 and float64 here; fmaf/fma appear exactly where PyTorch's
// CPU kernels fuse, so the results do not depend on the optimisation level. Then the L-BFGS helpers.
#include "dk_optim2.h"
#include "dk_ops.h"
#include "dk_target.h"
#include <math.h>
#include <string.h>

#define T float
#define SUF f32
#define FMA fmaf
#define SQRT DK_VSQRTf
#define FABS fabsf
#include "optim2_kernels.h"
#undef T
#undef SUF
#undef FMA
#undef SQRT
#undef FABS
#define T double
#define SUF f64
#define FMA fma
#define SQRT DK_VSQRT
#define FABS fabs
#include "optim2_kernels.h"
#undef T
#undef SUF
#undef FMA
#undef SQRT
#undef FABS

// Entry points taking the parameter's dtype (DK_F32 or DK_F64); state buffers share it.
#define O2_DISPATCH(name, ...) \
  do { if (dtype == DK_F64) name##_f64(__VA_ARGS__); else name##_f32(__VA_ARGS__); } while (0)

void dk_adadelta(int32_t dtype, int64_t n, void *p, const void *g, void *squareAvg, void *accDelta, double lr, double rho,
                 double eps, double weightDecay, int32_t maximize) {
  O2_DISPATCH(adadelta, n, p, g, squareAvg, accDelta, lr, rho, eps, weightDecay, maximize);
}
void dk_adamax(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expInf, double lr, double beta1,
               double beta2, double eps, double weightDecay, int64_t step, int32_t maximize) {
  O2_DISPATCH(adamax, n, p, g, expAvg, expInf, lr, beta1, beta2, eps, weightDecay, step, maximize);
}
void dk_asgd(int32_t dtype, int64_t n, void *p, const void *g, void *ax, float *eta, float *mu, double lr, double lambd,
             double alpha, double t0, double weightDecay, int64_t step, int32_t maximize) {
  O2_DISPATCH(asgd, n, p, g, ax, eta, mu, lr, lambd, alpha, t0, weightDecay, step, maximize);
}
void dk_rprop(int32_t dtype, int64_t n, void *p, const void *g, void *prev, void *stepSize, double etaminus, double etaplus,
              double stepSizeMin, double stepSizeMax, int32_t maximize) {
  O2_DISPATCH(rprop, n, p, g, prev, stepSize, etaminus, etaplus, stepSizeMin, stepSizeMax, maximize);
}
void dk_nadam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, float *muProduct, double lr,
              double beta1, double beta2, double eps, double weightDecay, double momentumDecay, int64_t step,
              int32_t decoupled, int32_t maximize) {
  O2_DISPATCH(nadam, n, p, g, expAvg, expAvgSq, muProduct, lr, beta1, beta2, eps, weightDecay, momentumDecay, step,
              decoupled, maximize);
}
void dk_radam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
              double beta2, double eps, double weightDecay, int64_t step, int32_t decoupled, int32_t maximize) {
  O2_DISPATCH(radam, n, p, g, expAvg, expAvgSq, lr, beta1, beta2, eps, weightDecay, step, decoupled, maximize);
}
void dk_sparse_adam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
                    double beta2, double eps, int64_t step, int32_t maximize) {
  O2_DISPATCH(sparse_adam, n, p, g, expAvg, expAvgSq, lr, beta1, beta2, eps, step, maximize);
}

// ---- L-BFGS helpers ----

float dk_lbfgs_dot_f32(int64_t n, const float *x, const float *y) {
  float acc[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; i++) acc[i & 3] = acc[i & 3] + x[i] * y[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/// One "load" of `w` lanes (w = 1 or 8) at load index i: |x[i*w + lane]|.
static inline void load_abs(const float *x, int64_t i, int w, float *out) {
  for (int l = 0; l < w; l++) out[l] = fabsf(x[i * w + l]);
}
static int64_t ceil_log2_i64(int64_t x) {
  if (x <= 2) return 1;
  int64_t r = 0;
  uint64_t v = (uint64_t)(x - 1);
  while (v) { r++; v >>= 1; }
  return r;
}
/// PyTorch's row_sum (ilp factor 4 over multi_row_sum with 4 cascade levels) over `size` loads of w lanes.
static void row_sum_abs(const float *x, int64_t size, int w, float *result) {
  enum { LEVELS = 4, ROWS = 4 };
  float acc[LEVELS][ROWS][8];
  memset(acc, 0, sizeof acc);
  const int64_t sizeIlp = size / ROWS;
  int64_t levelPower = ceil_log2_i64(sizeIlp) / LEVELS;
  if (levelPower < 4) levelPower = 4;
  const int64_t levelStep = (int64_t)1 << levelPower, levelMask = levelStep - 1;
  float tmp[8];
  int64_t i = 0;
  for (; i + levelStep <= sizeIlp;) {
    for (int64_t j = 0; j < levelStep; ++j, ++i)
      for (int k = 0; k < ROWS; k++) {
        load_abs(x, i * ROWS + k, w, tmp);
        for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + tmp[l];
      }
    for (int j = 1; j < LEVELS; j++) {
      for (int k = 0; k < ROWS; k++)
        for (int l = 0; l < w; l++) { acc[j][k][l] = acc[j][k][l] + acc[j - 1][k][l]; acc[j - 1][k][l] = 0; }
      if ((i & (levelMask << (j * levelPower))) != 0) break;
    }
  }
  for (; i < sizeIlp; ++i)
    for (int k = 0; k < ROWS; k++) {
      load_abs(x, i * ROWS + k, w, tmp);
      for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + tmp[l];
    }
  for (int j = 1; j < LEVELS; j++)
    for (int k = 0; k < ROWS; k++)
      for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + acc[j][k][l];
  // row_sum: the loads left over after the groups of 4 go to partial 0, then partial 0 += partials 1..3
  for (int64_t t = sizeIlp * ROWS; t < size; t++) {
    load_abs(x, t, w, tmp);
    for (int l = 0; l < w; l++) acc[0][0][l] = acc[0][0][l] + tmp[l];
  }
  for (int k = 1; k < ROWS; k++)
    for (int l = 0; l < w; l++) acc[0][0][l] = acc[0][0][l] + acc[0][k][l];
  for (int l = 0; l < w; l++) result[l] = acc[0][0][l];
}

float dk_lbfgs_sum_abs_f32(int64_t n, const float *x) {
  enum { W = 8 };
  float r[8];
  if (n < W) { row_sum_abs(x, n, 1, r); return r[0]; }
  const int64_t vecs = n / W;
  row_sum_abs(x, vecs, W, r);
  float total = 0;
  for (int64_t k = vecs * W; k < n; k++) total = total + fabsf(x[k]);
  for (int l = 0; l < W; l++) total = total + r[l];
  return total;
}

float dk_lbfgs_max_abs_f32(int64_t n, const float *x, float scale) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) {
    float a = fabsf(x[i] * scale);
    if (a != a) return a;
    if (a > m) m = a;
  }
  return m;
}

void dk_lbfgs_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = fmaf(alpha, x[i], y[i]);
}

void dk_lbfgs_sub_f32(int64_t n, const float *a, const float *b, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] - b[i];
}

void dk_lbfgs_scale_f32(int64_t n, const float *x, float s, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * s;
}

void dk_lbfgs_direction_f32(int64_t n, int64_t k, int64_t cap, int64_t head, const float *oldDirs,
                            const float *oldStps, const float *ro, float *al, const float *g, float hDiag, float *d) {
  // q = -g (d holds q, then r)
  for (int64_t j = 0; j < n; j++) d[j] = -g[j];
  for (int64_t i = k - 1; i >= 0; i--) {
    const int64_t row = (head + i) % cap;
    al[i] = dk_lbfgs_dot_f32(n, oldStps + row * n, d) * ro[row];   // al[i] = old_stps[i].dot(q) * ro[i]
    dk_lbfgs_axpy_f32(n, -al[i], oldDirs + row * n, d);          // q.add_(old_dirs[i], alpha=-al[i])
  }
  for (int64_t j = 0; j < n; j++) d[j] = d[j] * hDiag;           // d = r = torch.mul(q, H_diag)
  for (int64_t i = 0; i < k; i++) {
    const int64_t row = (head + i) % cap;
    float be = dk_lbfgs_dot_f32(n, oldDirs + row * n, d) * ro[row]; // be_i = old_dirs[i].dot(r) * ro[i]
    dk_lbfgs_axpy_f32(n, al[i] - be, oldStps + row * n, d);     // r.add_(old_stps[i], alpha=al[i] - be_i)
  }
}
