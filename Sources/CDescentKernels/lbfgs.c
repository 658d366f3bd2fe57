// The flat-vector helpers of L-BFGS (see include/dk_lbfgs.h): float32, with the summation orders and
// roundings of PyTorch's CPU ops.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#include "dk_lbfgs.h"
#include <math.h>
#include <string.h>

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
