// Float32 layer norm rounded as PyTorch's CPU kernel rounds it (aten/src/ATen/native/cpu/
// layer_norm_kernel.cpp and moments_utils.h, AVX2 build; checked bit for bit against torch 2.13 at 1 to
// 3 threads, Tools/pytorch-numerics/layernorm-batchnorm1d-groupnorm.md):
//
// - each row's mean and variance by RowwiseMoments: Welford in 8 lanes over chunks of 16 vectors
//   (explicit FMAs), chunks merged in a binary cascade, a scalar Welford over the last N % 8 values,
//   then the 8 lanes merged in order; var = m2 / N; rstd = 1 / sqrtf(var + eps), all in float;
// - y = fma((x - mean) * rstd, w, b);
// - backward per row: ds = Σ dy x w and db = Σ dy w as 8-lane sums (the main loop unfused, the last
//   N % 8 fused) with the AVX2 shuffle tree; dx = fma(b', x, (rstd dy) w) + c' with PyTorch's b', c';
//   dw and db gather in one float buffer per PyTorch thread (rows in blocks of ceil(M / T)), the
//   buffers added in thread order. Only dw and db depend on the thread count T (Descent's).
#include "dk_conv.h"
#include "dk_parallel.h"
#include "dk_target.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

/* AddMomentsVec (8 lanes): c * delta is used twice, so m1's add is not fused; m2's is an explicit fmadd. */
DK_INLINE void add_moments_vec(int64_t m0Add, const float *m1Add, const float *m2Add, int64_t *m0, float *m1, float *m2) {
  const int64_t n = *m0 + m0Add;
  const float c = n == 0 ? 0.0f : (float)m0Add / (float)n;
  for (int l = 0; l < 8; l++) {
    const float delta = m1Add[l] - m1[l], m2t = m2[l] + m2Add[l], cd = c * delta, m0d = delta * (float)(*m0);
    m1[l] = m1[l] + cd;
    m2[l] = __builtin_fmaf(m0d, cd, m2t);
  }
  *m0 = n;
}

/* at::native::RowwiseMoments<float>: the mean and the biased variance of X[0..<N]. */
static void rowwise_moments(const float *X, int64_t N, float *meanOut, float *varOut) {
  enum { K = 8, CH = 16, MAXD = 64 };
  const int64_t n = N / K, m = (n + CH - 1) / CH;
  int64_t depth = 1;
  if (m > 2) { depth = 0; for (uint64_t v = (uint64_t)m - 1; v; v >>= 1) depth++; }
  int64_t m0s[MAXD] = {0};
  float m1s[MAXD][8], m2s[MAXD][8];
  memset(m1s, 0, sizeof(float) * 8 * (size_t)depth); memset(m2s, 0, sizeof(float) * 8 * (size_t)depth);
  float cv[CH];
  for (int j = 0; j < CH; j++) cv[j] = 1.0f / (float)(j + 1);
  for (int64_t i = 0; i < m; i++) {
    const float *xp = X + i * CH * K;
    const int64_t cnt = CH < n - i * CH ? CH : n - i * CH;
    float m1v[8] = {0}, m2v[8] = {0};
    for (int64_t j = 0; j < cnt; j++)
      for (int l = 0; l < 8; l++) {
        const float x = xp[j * K + l], delta = x - m1v[l];
        m1v[l] = __builtin_fmaf(cv[j], delta, m1v[l]);
        m2v[l] = __builtin_fmaf(delta, x - m1v[l], m2v[l]);
      }
    add_moments_vec(cnt, m1v, m2v, &m0s[0], m1s[0], m2s[0]);
    int64_t mask = i + 1;
    for (int64_t j = 1; j < depth && (mask & 1) == 0; ++j) {
      add_moments_vec(m0s[j - 1], m1s[j - 1], m2s[j - 1], &m0s[j], m1s[j], m2s[j]);
      m0s[j - 1] = 0; memset(m1s[j - 1], 0, 32); memset(m2s[j - 1], 0, 32);
      mask >>= 1;
    }
  }
  for (int64_t i = 1; i < depth; i++) add_moments_vec(m0s[i], m1s[i], m2s[i], &m0s[0], m1s[0], m2s[0]);
  int64_t m0 = 0; float m1 = 0, m2 = 0;
  for (int64_t i = n * K; i < N; i++) {   // scalar Welford over the tail, unfused
    const float x = X[i], delta = x - m1;
    ++m0;
    m1 += delta / (float)m0;
    m2 += delta * (x - m1);
  }
  for (int l = 0; l < 8; l++) {           // scalar AddMoments of each lane (GCC fuses both updates)
    const int64_t nn = m0 + n;
    const float c = nn == 0 ? 0.0f : (float)n / (float)nn, delta = m1s[0][l] - m1;
    m1 = __builtin_fmaf(c, delta, m1);
    m2 = m2 + __builtin_fmaf((delta * delta) * c, (float)m0, m2s[0][l]);
    m0 = nn;
  }
  *meanOut = m1;
  *varOut = m2 / (float)N;
}

typedef struct {
  int64_t M, N, chunk; float eps;
  const float *x, *w, *b, *dy, *mean, *rstd;
  float *y, *meanOut, *rstdOut, *dx, *bufw, *bufb;
} ln_ctx;

DK_CLONES_FMA static void ln_forward_rows(void *v, int64_t r0, int64_t r1) {
  const ln_ctx *c = (const ln_ctx *)v;
  const int64_t N = c->N;
  for (int64_t i = r0; i < r1; i++) {
    float mu, var;
    rowwise_moments(c->x + i * N, N, &mu, &var);
    const float r = 1.0f / sqrtf(var + c->eps), bias = -mu;
    c->meanOut[i] = mu; c->rstdOut[i] = r;
    const float *x = c->x + i * N; float *y = c->y + i * N;
    for (int64_t j = 0; j < N; j++) {
      const float t = (x[j] + bias) * r;
      y[j] = __builtin_fmaf(t, c->w ? c->w[j] : 1.0f, c->b ? c->b[j] : 0.0f);
    }
  }
}

void dk_layer_norm_f32_pytorch(int64_t M, int64_t N, const float *x, const float *weight, const float *bias,
                               float eps, float *y, float *mean, float *rstd) {
  ln_ctx c = {M, N, 0, eps, x, weight, bias, NULL, NULL, NULL, y, mean, rstd, NULL, NULL, NULL};
  dk_parallel_for(M, N >= 4096 ? 1 : 4096 / N, ln_forward_rows, &c);
}

/* One PyTorch thread's block of rows: dx per row, and dw/db sums into the block's buffers. */
DK_CLONES_FMA static void ln_backward_blocks(void *v, int64_t t0, int64_t t1) {
  const ln_ctx *c = (const ln_ctx *)v;
  const int64_t N = c->N;
  const float scale = 1.0f / (float)N;
  for (int64_t t = t0; t < t1; t++) {
    float *bw = c->bufw + t * N, *bb = c->bufb + t * N;
    const int64_t rEnd = (t + 1) * c->chunk < c->M ? (t + 1) * c->chunk : c->M;
    for (int64_t i = t * c->chunk; i < rEnd; i++) {
      const float *dy = c->dy + i * N, *x = c->x + i * N;
      const float a = c->rstd[i], mu = c->mean[i], bm = -a * mu;
      if (bw) for (int64_t j = 0; j < N; j++) bw[j] = __builtin_fmaf(dy[j], __builtin_fmaf(a, x[j], bm), bw[j]);
      if (bb) for (int64_t j = 0; j < N; j++) bb[j] = bb[j] + dy[j];
      if (!c->dx) continue;
      const float *w = c->w;
#define LN_W(j) (w ? w[j] : 1.0f)
      float ds, db;
      if (N < 8) {
        ds = (dy[0] * x[0]) * LN_W(0); db = dy[0] * LN_W(0);
        for (int64_t j = 1; j < N; j++) { ds = ds + (dy[j] * x[j]) * LN_W(j); db = db + dy[j] * LN_W(j); }
      } else {
        float as[8], ab[8];
        for (int l = 0; l < 8; l++) { as[l] = (dy[l] * x[l]) * LN_W(l); ab[l] = dy[l] * LN_W(l); }
        const int64_t mainEnd = N - N % 8;
        for (int64_t d = 8; d < mainEnd; d += 8)
          for (int l = 0; l < 8; l++) { as[l] = as[l] + (dy[d + l] * x[d + l]) * LN_W(d + l); ab[l] = ab[l] + dy[d + l] * LN_W(d + l); }
        for (int64_t j = mainEnd; j < N; j++) {
          const int l = (int)(j - mainEnd);
          as[l] = __builtin_fmaf(dy[j] * x[j], LN_W(j), as[l]);
          ab[l] = __builtin_fmaf(dy[j], LN_W(j), ab[l]);
        }
        ds = (((as[0] + as[4]) + (as[2] + as[6])) + ((as[1] + as[5]) + (as[3] + as[7])));
        db = (((ab[0] + ab[4]) + (ab[2] + ab[6])) + ((ab[1] + ab[5]) + (ab[3] + ab[7])));
      }
      const float b2 = (((__builtin_fmaf(db, mu, -ds) * a) * a) * a) * scale;
      const float c2 = __builtin_fmaf(-b2, mu, -((db * a) * scale));
      float *dx = c->dx + i * N;
      for (int64_t j = 0; j < N; j++) dx[j] = __builtin_fmaf(b2, x[j], (a * dy[j]) * LN_W(j)) + c2;
#undef LN_W
    }
  }
}

void dk_layer_norm_backward_f32_pytorch(int64_t M, int64_t N, const float *x, const float *dy, const float *mean,
                                        const float *rstd, const float *weight, float *dx, float *dw, float *db) {
  const int nthr = dk_num_threads() < 1 ? 1 : dk_num_threads();
  int64_t chunk;
  const int64_t nt = dk_torch_row_blocks(M, nthr, &chunk);
  float *bufw = dw ? calloc((size_t)(nthr * N), sizeof(float)) : NULL;
  float *bufb = db ? calloc((size_t)(nthr * N), sizeof(float)) : NULL;
  ln_ctx c = {M, N, chunk, 0, x, weight, NULL, dy, mean, rstd, NULL, NULL, NULL, dx, bufw, bufb};
  dk_parallel_for(nt, 1, ln_backward_blocks, &c);
  for (int64_t j = 0; j < N; j++) {
    float sw = 0, sb = 0;
    for (int t = 0; t < nthr; t++) { if (bufw) sw += bufw[t * N + j]; if (bufb) sb += bufb[t * N + j]; }
    if (dw) dw[j] = sw;
    if (db) db[j] = sb;
  }
  free(bufw); free(bufb);
}
