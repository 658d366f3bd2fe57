// PyTorch's CPU sum for float32 and float64, bit for bit (ATen's cpu/SumKernel.cpp cascade_sum with
// 256-bit vectors: 8 float / 4 double lanes, which is what PyTorch 2.13 runs even on an AVX-512 CPU,
// as sums of 2^24 and ones show; accumulation in the element type), with
// its split over threads (TensorIterator::parallel_reduce: two-pass for a full reduction, columns
// rounded to 128 bytes for a dim reduction). Called by dk_reduce for DK_RSUM on float types.
#include "dk_ops.h"
#include "dk_parallel.h"
#include "dk_target.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SUM_GRAIN 32768   /* at::internal::GRAIN_SIZE */

static int64_t ceil_log2(int64_t x) { return x <= 2 ? 1 : 64 - __builtin_clzll((uint64_t)(x - 1)); }

/* mrs: ATen's multi_row_sum. nrows (<= 4) cascades of W lanes (1 or VL); element (i, k, w) is
 *      base[i*rs + k*cs + w]; four levels, each level_step = 2^max(4, ceil_log2(size)/4) wide.
 * rowsum: ATen's row_sum: the rows split 4 ways (ilp), the tail added to the first, then combined.
 * inner: a contiguous row (vectorized_inner_sum, or row_sum of scalars below VL elements).
 * outer: columns [c0, c1) of an (r x inner) block (vectorized_outer_sum / scalar_outer_sum). */
#define SUM_IMPL(T, SUF, VL)                                                                        \
DK_CLONES static void mrs_##SUF(const T *base, int64_t rs, int64_t cs, int64_t size, int nrows, int W, T *out) { \
  int64_t lp = ceil_log2(size) / 4; if (lp < 4) lp = 4;                                             \
  const int64_t step = (int64_t)1 << lp, mask = step - 1;                                            \
  const int n = nrows * W;                                                                           \
  T acc[4][4 * VL];                                                                                  \
  memset(acc, 0, sizeof acc);                                                                        \
  int64_t i = 0;                                                                                     \
  while (i + step <= size) {                                                                         \
    if (cs == W) {                                                                                   \
      for (int64_t j = 0; j < step; j++, i++) { const T *rb = base + i * rs;                         \
        for (int q = 0; q < n; q++) acc[0][q] += rb[q]; }                                            \
    } else {                                                                                         \
      for (int64_t j = 0; j < step; j++, i++) { const T *rb = base + i * rs;                         \
        for (int k = 0; k < nrows; k++) for (int w = 0; w < W; w++) acc[0][k * W + w] += rb[k * cs + w]; } \
    }                                                                                                \
    for (int j = 1; j < 4; j++) {                                                                    \
      for (int q = 0; q < n; q++) { acc[j][q] += acc[j - 1][q]; acc[j - 1][q] = 0; }                 \
      if ((i & (mask << (j * lp))) != 0) break;                                                      \
    }                                                                                                \
  }                                                                                                  \
  for (; i < size; i++) { const T *rb = base + i * rs;                                               \
    for (int k = 0; k < nrows; k++) for (int w = 0; w < W; w++) acc[0][k * W + w] += rb[k * cs + w]; } \
  for (int j = 1; j < 4; j++) for (int q = 0; q < n; q++) acc[0][q] += acc[j][q];                    \
  memcpy(out, acc[0], (size_t)n * sizeof(T));                                                        \
}                                                                                                    \
static void rowsum_##SUF(const T *base, int64_t stride, int64_t size, int W, T *out) {              \
  const int64_t ilp = size / 4;                                                                      \
  T part[4 * VL];                                                                                    \
  mrs_##SUF(base, 4 * stride, stride, ilp, 4, W, part);                                              \
  for (int64_t i = ilp * 4; i < size; i++) for (int w = 0; w < W; w++) part[w] += base[i * stride + w]; \
  for (int k = 1; k < 4; k++) for (int w = 0; w < W; w++) part[w] += part[k * W + w];               \
  memcpy(out, part, (size_t)W * sizeof(T));                                                          \
}                                                                                                    \
static T inner_##SUF(const T *p, int64_t n) {                                                       \
  if (n >= VL) {                                                                                     \
    const int64_t vs = n / VL;                                                                       \
    T v[VL]; rowsum_##SUF(p, VL, vs, VL, v);                                                         \
    T f = 0; for (int64_t k = vs * VL; k < n; k++) f += p[k];                                        \
    for (int w = 0; w < VL; w++) f += v[w];                                                          \
    return f;                                                                                        \
  }                                                                                                  \
  T s; rowsum_##SUF(p, 1, n, 1, &s); return s;                                                       \
}                                                                                                    \
static void outer_##SUF(const T *base, int64_t r, int64_t rs, int64_t c0, int64_t c1, T *out) {     \
  int64_t j = c0;                                                                                    \
  T tmp[4 * VL];                                                                                     \
  if (c1 - c0 >= VL) {                                                                               \
    for (; j + 4 * VL <= c1; j += 4 * VL) { mrs_##SUF(base + j, rs, VL, r, 4, VL, tmp);              \
      for (int q = 0; q < 4 * VL; q++) out[j + q] = (T)0 + tmp[q]; }                                 \
    for (; j + VL <= c1; j += VL) { rowsum_##SUF(base + j, rs, r, VL, tmp);                          \
      for (int q = 0; q < VL; q++) out[j + q] = (T)0 + tmp[q]; }                                     \
  } else {                                                                                           \
    for (; j + 3 < c1; j += 4) { mrs_##SUF(base + j, rs, 1, r, 4, 1, tmp);                           \
      for (int q = 0; q < 4; q++) out[j + q] = (T)0 + tmp[q]; }                                      \
  }                                                                                                  \
  for (; j < c1; j++) { rowsum_##SUF(base + j, rs, r, 1, tmp); out[j] = (T)0 + tmp[0]; }             \
}                                                                                                    \
typedef struct { const T *x; T *out; int64_t outer, r, inner, total, chunk, nt; T *buf;             \
                 int64_t *cb, *ce; } job_##SUF;                                                      \
static void full_task_##SUF(void *ctx, int64_t b, int64_t e) {                                      \
  job_##SUF *j = ctx;                                                                                \
  for (int64_t t = b; t < e; t++) { int64_t s = t * j->chunk, n = j->total - s;                      \
    if (n > j->chunk) n = j->chunk;                                                                  \
    if (n > 0) j->buf[t] = (T)0 + inner_##SUF(j->x + s, n); }                                        \
}                                                                                                    \
static void rows_task_##SUF(void *ctx, int64_t b, int64_t e) {                                      \
  job_##SUF *j = ctx;                                                                                \
  for (int64_t o = b; o < e; o++) j->out[o] = (T)0 + inner_##SUF(j->x + o * j->r, j->r);             \
}                                                                                                    \
static void blocks_task_##SUF(void *ctx, int64_t b, int64_t e) {                                    \
  job_##SUF *j = ctx;                                                                                \
  for (int64_t o = b; o < e; o++)                                                                    \
    outer_##SUF(j->x + o * j->r * j->inner, j->r, j->inner, 0, j->inner, j->out + o * j->inner);     \
}                                                                                                    \
static void cols_task_##SUF(void *ctx, int64_t b, int64_t e) {                                      \
  job_##SUF *j = ctx;                                                                                \
  for (int64_t t = b; t < e; t++) { if (j->cb[t] >= j->ce[t]) continue;                              \
    for (int64_t o = 0; o < j->outer; o++)                                                           \
      outer_##SUF(j->x + o * j->r * j->inner, j->r, j->inner, j->cb[t], j->ce[t], j->out + o * j->inner); } \
}                                                                                                    \
static void sum_##SUF(int64_t outer, int64_t r, int64_t inner, const T *x, T *out) {                \
  const int64_t total = outer * r * inner, nt = dk_num_threads();                                    \
  job_##SUF j = {x, out, outer, r, inner, total, 0, nt, NULL, NULL, NULL};                           \
  if (outer * inner == 1) {                                                                          \
    if (total < SUM_GRAIN || nt <= 1) { out[0] = (T)0 + inner_##SUF(x, r); return; }                 \
    int64_t used = (total + SUM_GRAIN - 1) / SUM_GRAIN; if (used > nt) used = nt;                    \
    j.chunk = (total + used - 1) / used;                                                             \
    T *buf = calloc((size_t)nt, sizeof(T));                                                          \
    if (!buf) { out[0] = (T)0 + inner_##SUF(x, r); return; }                                         \
    j.buf = buf;                                                                                     \
    dk_parallel_for(used, 1, full_task_##SUF, &j);                                                   \
    T s; rowsum_##SUF(buf, 1, nt, 1, &s);                                                            \
    out[0] = (T)0 + s;                                                                               \
    free(buf);                                                                                       \
    return;                                                                                          \
  }                                                                                                  \
  if (inner == 1) {                                                                                  \
    if (total < SUM_GRAIN) rows_task_##SUF(&j, 0, outer); else dk_parallel_for(outer, 1, rows_task_##SUF, &j); \
    return;                                                                                          \
  }                                                                                                  \
  /* PyTorch splits the largest non-reduced dim (the outer blocks unless the columns outnumber   */  \
  /* them); a column split is rounded to 128-byte multiples, which changes the blocks' layout.   */  \
  if (total < SUM_GRAIN || nt <= 1 || inner <= outer) {                                              \
    if (total < SUM_GRAIN || nt <= 1) blocks_task_##SUF(&j, 0, outer);                               \
    else dk_parallel_for(outer, 1, blocks_task_##SUF, &j);                                           \
    return;                                                                                          \
  }                                                                                                  \
  int64_t cb[64], ce[64];                                                                            \
  int64_t thr = nt < inner ? nt : inner; if (thr > 64) thr = 64;                                     \
  const int64_t chunk = (inner + thr - 1) / thr, cpr = 128 / (int64_t)sizeof(T);                     \
  for (int64_t t = 0; t < thr; t++) {                                                                \
    int64_t b = t * chunk, e = b + chunk < inner ? b + chunk : inner;                                \
    if (b >= inner) { cb[t] = ce[t] = 0; continue; }                                                 \
    b -= b % cpr; if (e != inner) e -= e % cpr;                                                      \
    cb[t] = b; ce[t] = e;                                                                            \
  }                                                                                                  \
  j.cb = cb; j.ce = ce;                                                                              \
  dk_parallel_for(thr, 1, cols_task_##SUF, &j);                                                      \
}

SUM_IMPL(float, f32, 8)
SUM_IMPL(double, f64, 4)

void dk_sum_float(int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x, void *out) {
  if (dtype == DK_F64) sum_f64(outer, r, inner, (const double *)x, (double *)out);
  else sum_f32(outer, r, inner, (const float *)x, (float *)out);
}
