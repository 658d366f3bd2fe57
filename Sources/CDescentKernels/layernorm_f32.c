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

/* ---- Group norm (group_norm_kernel.cpp, contiguous NCHW; D = C / G channels of HxW per group) ----
 * Forward per (n, g): RowwiseMoments over the D*HxW values, rstd = 1 / sqrt(double(max(var, 0)) + eps) in
 * double, then y = fma(scale, x, fma(-scale, mean, beta)) with scale = rstd * gamma, or (x - mean) * rstd
 * when there is neither weight nor bias. Backward: ds, db per (n, c) plane as 8-lane sums (neither the main
 * loop nor the tail fused); per group the gamma-weighted sums (8 fused lanes, the last D % 8 fused only
 * when PyTorch's parallel_for runs threads, i.e. more than one thread and group), dx = fma(c1, dy, c2 x) + c3;
 * dgamma and dbeta serial over n. Nothing depends on the thread count beyond that fusion. */
typedef struct {
  int64_t N, C, HxW, G; double eps; int fuseTail;
  const float *x, *w, *b, *dy, *mean, *rstd, *ds, *db;
  float *y, *meanOut, *rstdOut, *dx, *dsOut, *dbOut;
} gn_ctx;

DK_CLONES_FMA static void gn_forward_groups(void *v, int64_t i0, int64_t i1) {
  const gn_ctx *c = (const gn_ctx *)v;
  const int64_t D = c->C / c->G, HxW = c->HxW, inner = D * HxW;
  for (int64_t i = i0; i < i1; i++) {
    float mu, var;
    rowwise_moments(c->x + i * inner, inner, &mu, &var);
    const float r = (float)(1.0 / sqrt((double)(var > 0.0f ? var : 0.0f) + c->eps));
    c->meanOut[i] = mu; c->rstdOut[i] = r;
    const float *x = c->x + i * inner; float *y = c->y + i * inner;
    if (!c->w && !c->b) { for (int64_t k = 0; k < inner; k++) y[k] = (x[k] - mu) * r; continue; }
    const int64_t g = i % c->G;
    for (int64_t j = 0; j < D; j++) {
      const float scale = r * (c->w ? c->w[g * D + j] : 1.0f);
      const float bias = __builtin_fmaf(-scale, mu, c->b ? c->b[g * D + j] : 0.0f);
      for (int64_t k = 0; k < HxW; k++) y[j * HxW + k] = __builtin_fmaf(scale, x[j * HxW + k], bias);
    }
  }
}

void dk_group_norm_f32_pytorch(int64_t N, int64_t C, int64_t HxW, int64_t G, const float *x, const float *weight,
                               const float *bias, double eps, float *y, float *mean, float *rstd) {
  gn_ctx c = {N, C, HxW, G, eps, 0, x, weight, bias, NULL, NULL, NULL, NULL, NULL, y, mean, rstd, NULL, NULL, NULL};
  dk_parallel_for(N * G, 1, gn_forward_groups, &c);
}

/* ComputeInternalGradients: ds = Σ dy x, db = Σ dy over each plane (vec::map2_reduce_all / reduce_all). */
DK_CLONES_FMA static void gn_plane_sums(void *v, int64_t i0, int64_t i1) {
  const gn_ctx *c = (const gn_ctx *)v;
  const int64_t L = c->HxW;
  for (int64_t i = i0; i < i1; i++) {
    const float *dy = c->dy + i * L, *x = c->x + i * L;
    float s, b;
    if (L < 8) {
      s = dy[0] * x[0]; b = dy[0];
      for (int64_t k = 1; k < L; k++) { s = s + dy[k] * x[k]; b = b + dy[k]; }
    } else {
      float as[8], ab[8];
      for (int l = 0; l < 8; l++) { as[l] = dy[l] * x[l]; ab[l] = dy[l]; }
      const int64_t me = L - L % 8;
      for (int64_t d = 8; d < me; d += 8)
        for (int l = 0; l < 8; l++) { as[l] = as[l] + dy[d + l] * x[d + l]; ab[l] = ab[l] + dy[d + l]; }
      for (int64_t k = me; k < L; k++) { as[k - me] = as[k - me] + dy[k] * x[k]; ab[k - me] = ab[k - me] + dy[k]; }
      s = ((as[0] + as[4]) + (as[2] + as[6])) + ((as[1] + as[5]) + (as[3] + as[7]));
      b = ((ab[0] + ab[4]) + (ab[2] + ab[6])) + ((ab[1] + ab[5]) + (ab[3] + ab[7]));
    }
    c->dsOut[i] = s; c->dbOut[i] = b;
  }
}

/* GroupNormInputBackward over groups [i0, i1). */
DK_CLONES_FMA static void gn_input_backward(void *v, int64_t i0, int64_t i1) {
  const gn_ctx *c = (const gn_ctx *)v;
  const int64_t D = c->C / c->G, HxW = c->HxW, d8 = D / 8 * 8;
  const float s = 1.0f / (float)(D * HxW);
  for (int64_t i = i0; i < i1; i++) {
    const int64_t g = i % c->G;
    const float *ds = c->ds + i * D, *db = c->db + i * D, *w = c->w ? c->w + g * D : NULL;
    float as[8] = {0}, ab[8] = {0};
    for (int64_t j = 0; j < d8; j += 8)
      for (int l = 0; l < 8; l++) {
        const float gv = w ? w[j + l] : 1.0f;
        as[l] = __builtin_fmaf(ds[j + l], gv, as[l]); ab[l] = __builtin_fmaf(db[j + l], gv, ab[l]);
      }
    float dsv = 0, dbv = 0;
    for (int l = 0; l < 8; l++) { dsv = dsv + as[l]; dbv = dbv + ab[l]; }
    for (int64_t j = d8; j < D; j++) {
      const float gv = w ? w[j] : 1.0f;
      if (c->fuseTail) { dsv = __builtin_fmaf(ds[j], gv, dsv); dbv = __builtin_fmaf(db[j], gv, dbv); }
      else { dsv = dsv + ds[j] * gv; dbv = dbv + db[j] * gv; }
    }
    const float mu = c->mean[i], r = c->rstd[i];
    const float c2 = (((__builtin_fmaf(dbv, mu, -dsv) * r) * r) * r) * s;
    const float c3 = __builtin_fmaf(-(dbv * r), s, -c2 * mu);
    for (int64_t j = 0; j < D; j++) {
      const float c1 = r * (w ? w[j] : 1.0f);
      const float *dy = c->dy + (i * D + j) * HxW, *x = c->x + (i * D + j) * HxW;
      float *dx = c->dx + (i * D + j) * HxW;
      for (int64_t k = 0; k < HxW; k++) dx[k] = __builtin_fmaf(c1, dy[k], c2 * x[k]) + c3;
    }
  }
}

void dk_group_norm_backward_f32_pytorch(int64_t N, int64_t C, int64_t HxW, int64_t G, const float *x, const float *dy,
                                        const float *mean, const float *rstd, const float *weight,
                                        float *dx, float *dw, float *db) {
  float *dsb = malloc(sizeof(float) * (size_t)(2 * N * C > 0 ? 2 * N * C : 1));
  float *ds = dsb, *dbs = dsb + N * C;
  const int par = dk_num_threads() > 1 && N * G > 1;
  gn_ctx c = {N, C, HxW, G, 0, par, x, weight, NULL, dy, mean, rstd, ds, dbs, NULL, NULL, NULL, dx, ds, dbs};
  if (HxW > 0) dk_parallel_for(N * C, 1, gn_plane_sums, &c);
  else for (int64_t i = 0; i < 2 * N * C; i++) dsb[i] = 0;
  if (dx) dk_parallel_for(N * G, 1, gn_input_backward, &c);
  const int64_t D = C / G;
  if (dw)
    for (int64_t ch = 0; ch < C; ch++) {
      const int64_t g = ch / D;
      float acc = 0;
      for (int64_t n = 0; n < N; n++)
        acc = __builtin_fmaf(__builtin_fmaf(-dbs[n * C + ch], mean[n * G + g], ds[n * C + ch]), rstd[n * G + g], acc);
      dw[ch] = acc;
    }
  if (db)
    for (int64_t ch = 0; ch < C; ch++) {
      float acc = 0;
      for (int64_t n = 0; n < N; n++) acc = acc + dbs[n * C + ch];
      db[ch] = acc;
    }
  free(dsb);
}
