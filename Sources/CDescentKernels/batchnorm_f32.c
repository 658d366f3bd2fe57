// Float32 batch normalisation over x viewed as (N, C, L) with L > 1, rounded as PyTorch's CPU kernels
// round it (aten/src/ATen/native/cpu/batch_norm_kernel.cpp, contiguous impls, AVX2 build; checked
// bit for bit against torch 2.13):
//
// - statistics: scalar loops, double accumulators, in order: sum += x; mean = (float)(sum / n);
//   then var_sum += (double)((x - mean) * (x - mean)) with the difference and the square in float;
// - output: alpha = invstd * w, beta = fma(-mean, alpha, b), y = fma(x, alpha, beta);
// - backward (training): per image plane an 8-lane float reduction of dy and of (x - mean) * dy
//   (lanes added 8 apart, the remainder into the first lanes, then the AVX2 shuffle tree
//   ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)); planes shorter than 8 add left to right; the
//   dot product's remainder step is fused, its main loop is not), the planes' sums added in double;
//   k = (float)dotp * invstd * invstd / n in float, grad_mean = (float)(sum / n),
//   grad_input = fma(-(x - mean), k, dy - grad_mean) * invstd * w,
//   grad_weight = (float)(dotp * invstd), grad_bias = (float)sum.
//
// Batch norm's gradients cancel (they average zero per channel), so these roundings decide whether
// a training run keeps PyTorch's float32 digits.
#include "dk_conv.h"
#include "dk_parallel.h"
#include "dk_target.h"
#include <math.h>
#include <stdlib.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

static inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

typedef float v8f __attribute__((vector_size(32), aligned(4)));

/// The AVX2 horizontal sum of at::vec::reduce_all: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
/// (A macro: a vector argument would need AVX in the caller's ABI.)
#define TREE8(a) ((((a)[0] + (a)[4]) + ((a)[2] + (a)[6])) + (((a)[1] + (a)[5]) + ((a)[3] + (a)[7])))

/// at::vec::reduce_all(+, dy, L) and map2_reduce_all((x - mean) * dy, +, x, dy, L) of one plane.
DK_CLONES_FMA static void plane_sums(const float *x, const float *dy, int64_t L, float mean, float *sum, float *dotp) {
  if (L < 8) {
    float s = dy[0], d = (x[0] - mean) * dy[0];
    for (int64_t i = 1; i < L; i++) { s = s + dy[i]; d = d + (x[i] - mean) * dy[i]; }
    *sum = s; *dotp = d;
    return;
  }
  const v8f m = (v8f){0} + mean;
  v8f s = *(const v8f *)dy, d = (*(const v8f *)x - m) * *(const v8f *)dy;
  const int64_t main = L - L % 8;
  for (int64_t i = 8; i < main; i += 8) {
    const v8f g = *(const v8f *)(dy + i);
    s = s + g;
    d = d + (*(const v8f *)(x + i) - m) * g;
  }
  for (int64_t i = main; i < L; i++) {
    s[i - main] = s[i - main] + dy[i];
    d[i - main] = __builtin_elementwise_fma(x[i] - mean, dy[i], d[i - main]);
  }
  *sum = TREE8(s); *dotp = TREE8(d);
}

typedef struct {
  int64_t N, C, L;
  const float *x, *gy, *mean, *invstd, *weight, *alpha, *beta;
  float *y, *gx, *gw, *gb, *meanOut, *varSumOut;
} bn32_ctx;

static void stats_range(void *v, int64_t c0, int64_t c1) {
  const bn32_ctx *c = (const bn32_ctx *)v;
  const int64_t N = c->N, C = c->C, L = c->L;
  for (int64_t ch = c0; ch < c1; ch++) {
    double s = 0;
    for (int64_t n = 0; n < N; n++) {
      const float *xr = c->x + (n * C + ch) * L;
      for (int64_t l = 0; l < L; l++) s += xr[l];
    }
    const float mean = (float)(s / (double)(N * L));
    double vs = 0;
    for (int64_t n = 0; n < N; n++) {
      const float *xr = c->x + (n * C + ch) * L;
      for (int64_t l = 0; l < L; l++) { const float d = xr[l] - mean; vs += (double)(d * d); }
    }
    c->meanOut[ch] = mean;
    c->varSumOut[ch] = (float)vs;
  }
}

DK_CLONES_FMA static void apply_range(void *v, int64_t r0, int64_t r1) {
  const bn32_ctx *c = (const bn32_ctx *)v;
  const int64_t L = c->L;
  for (int64_t r = r0; r < r1; r++) {
    const float a = c->alpha[r % c->C], b = c->beta[r % c->C];
    const float *xr = c->x + r * L;
    float *yr = c->y + r * L;
    for (int64_t l = 0; l < L; l++) yr[l] = fmaf(xr[l], a, b);
  }
}

DK_CLONES_FMA static void grad_input_plane(const float *x, const float *dy, float *gx, int64_t L, float mean,
                                           float k, float gmean, float invstd, float w) {
  for (int64_t l = 0; l < L; l++) {
    const float xm = x[l] - mean, t = dy[l] - gmean;
    gx[l] = (fmaf(-xm, k, t) * invstd) * w;
  }
}

static void backward_range(void *v, int64_t c0, int64_t c1) {
  const bn32_ctx *c = (const bn32_ctx *)v;
  const int64_t N = c->N, C = c->C, L = c->L;
  for (int64_t ch = c0; ch < c1; ch++) {
    const float mean = c->mean[ch], invstd = c->invstd[ch], w = c->weight ? c->weight[ch] : 1.0f;
    double sum = 0, dotp = 0;
    for (int64_t n = 0; n < N; n++) {
      float s, d;
      plane_sums(c->x + (n * C + ch) * L, c->gy + (n * C + ch) * L, L, mean, &s, &d);
      sum += (double)s; dotp += (double)d;
    }
    if (c->gb) c->gb[ch] = (float)sum;
    if (c->gw) c->gw[ch] = (float)(dotp * (double)invstd);
    if (!c->gx) continue;
    const float k = (((float)dotp * invstd) * invstd) / (float)(N * L);
    const float gmean = (float)(sum / (double)(N * L));
    for (int64_t n = 0; n < N; n++) {
      const int64_t off = (n * C + ch) * L;
      grad_input_plane(c->x + off, c->gy + off, c->gx + off, L, mean, k, gmean, invstd, w);
    }
  }
}

void dk_batch_norm_stats_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *x, float *mean, float *varSum) {
  bn32_ctx c = {0};
  c.N = N; c.C = C; c.L = L; c.x = x; c.meanOut = mean; c.varSumOut = varSum;
  dk_parallel_for(C, imax(1, 32768 / imax(N * L, 1)), stats_range, &c);
}

void dk_batch_norm_apply_f32_fma(int64_t N, int64_t C, int64_t L, const float *x, const float *alpha,
                                 const float *beta, float *y) {
  bn32_ctx c = {0};
  c.N = N; c.C = C; c.L = L; c.x = x; c.alpha = alpha; c.beta = beta; c.y = y;
  dk_parallel_for(N * C, imax(1, 32768 / imax(L, 1)), apply_range, &c);
}

void dk_batch_norm_backward_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *x, const float *gy,
                                        const float *mean, const float *invstd, const float *weight,
                                        float *gx, float *gw, float *gb) {
  bn32_ctx c = {0};
  c.N = N; c.C = C; c.L = L; c.x = x; c.gy = gy; c.mean = mean; c.invstd = invstd; c.weight = weight;
  c.gx = gx; c.gw = gw; c.gb = gb;
  dk_parallel_for(C, imax(1, 16384 / imax(N * L, 1)), backward_range, &c);
}

/* ---- Batch norm on a 2-D (N, C) float32 input: PyTorch's channels-last kernels (image_size == 1:
 * batch_norm_cpu_collect_stats_channels_last_impl, batch_norm_cpu_backward_channels_last_impl).
 * PyTorch gives each of its T threads a block of ceil(N / T) rows (at::parallel_for(0, N, 1)); each
 * block sums its rows into its own float buffer, and the buffers are added in double. The squared
 * deviation and the dot product are fused into the buffers (GCC's contraction); the gradient's
 * (dy - grad_mean) - (x - mean) * k is fused in the 8-channel blocks and not in the last C % 8
 * channels (a masked tail). So the results depend on T, which is Descent's thread count. */

int64_t dk_torch_row_blocks(int64_t n, int nthr, int64_t *chunk) {
  if (n <= 1 || nthr <= 1) { *chunk = n; return 1; }
  const int64_t nt = nthr < n ? nthr : n;
  *chunk = (n + nt - 1) / nt;
  return (n + *chunk - 1) / *chunk;
}

typedef struct { int64_t N, C, chunk; const float *x, *gy, *mean; float *buf, *buf2; int pass; } bnrows_ctx;

DK_CLONES_FMA static void bnrows_range(void *v, int64_t t0, int64_t t1) {
  const bnrows_ctx *c = (const bnrows_ctx *)v;
  const int64_t C = c->C;
  for (int64_t t = t0; t < t1; t++) {
    float *b = c->buf + t * C, *b2 = c->buf2 ? c->buf2 + t * C : NULL;
    const int64_t r1 = imax(0, (t + 1) * c->chunk < c->N ? (t + 1) * c->chunk : c->N);
    for (int64_t i = t * c->chunk; i < r1; i++) {
      const float *xr = c->x + i * C;
      if (c->pass == 0) for (int64_t ch = 0; ch < C; ch++) b[ch] = xr[ch] + b[ch];
      else if (c->pass == 1) for (int64_t ch = 0; ch < C; ch++) { const float d = xr[ch] - c->mean[ch]; b[ch] = fmaf(d, d, b[ch]); }
      else {
        const float *g = c->gy + i * C;
        for (int64_t ch = 0; ch < C; ch++) { b[ch] = b[ch] + g[ch]; b2[ch] = fmaf(xr[ch] - c->mean[ch], g[ch], b2[ch]); }
      }
    }
  }
}

/* Runs one pass of per-block sums and adds the blocks' buffers in double into out (and out2). */
static void bnrows_pass(bnrows_ctx *c, int64_t nt, int nthr, float *out, float *out2, double divisor) {
  const int64_t C = c->C;
  c->buf = calloc((size_t)(nthr * C), sizeof(float));
  c->buf2 = out2 ? calloc((size_t)(nthr * C), sizeof(float)) : NULL;
  dk_parallel_for(nt, 1, bnrows_range, c);
  for (int64_t ch = 0; ch < C; ch++) {
    double s = 0, s2 = 0;
    for (int t = 0; t < nthr; t++) { s += (double)c->buf[t * C + ch]; if (out2) s2 += (double)c->buf2[t * C + ch]; }
    out[ch] = (float)(s / divisor);
    if (out2) out2[ch] = (float)s2;
  }
  free(c->buf); free(c->buf2);
}

void dk_batch_norm_stats_f32_rows(int64_t N, int64_t C, const float *x, float *mean, float *varSum) {
  const int nthr = dk_num_threads();
  int64_t chunk; const int64_t nt = dk_torch_row_blocks(N, nthr, &chunk);
  bnrows_ctx c = {N, C, chunk, x, NULL, mean, NULL, NULL, 0};
  bnrows_pass(&c, nt, nthr, mean, NULL, (double)N);
  c.pass = 1;
  bnrows_pass(&c, nt, nthr, varSum, NULL, 1.0);
}

void dk_batch_norm_backward_f32_rows(int64_t N, int64_t C, const float *x, const float *gy, const float *mean,
                                     const float *invstd, const float *weight, float *gx, float *gw, float *gb) {
  const int nthr = dk_num_threads();
  int64_t chunk; const int64_t nt = dk_torch_row_blocks(N, nthr, &chunk);
  float *sum = malloc(sizeof(float) * (size_t)C), *dotp = malloc(sizeof(float) * (size_t)C);
  bnrows_ctx c = {N, C, chunk, x, gy, mean, NULL, NULL, 2};
  bnrows_pass(&c, nt, nthr, sum, dotp, 1.0);
  if (gx) {
    const int64_t vecEnd = C - C % 8;
    for (int64_t ch = 0; ch < C; ch++) {
      const float inv = invstd[ch], w = weight ? weight[ch] : 1.0f;
      const float k = ((dotp[ch] * inv) * inv) / (float)N, gm = sum[ch] / (float)N, m = mean[ch];
      const int fused = ch < vecEnd;
      for (int64_t i = 0; i < N; i++) {
        const float xm = x[i * C + ch] - m, t0 = gy[i * C + ch] - gm;
        const float t = fused ? fmaf(-xm, k, t0) : t0 - xm * k;
        gx[i * C + ch] = (t * inv) * w;
      }
    }
  }
  for (int64_t ch = 0; ch < C; ch++) {
    if (gw) gw[ch] = dotp[ch] * invstd[ch];
    if (gb) gb[ch] = sum[ch];
  }
  free(sum); free(dotp);
}
