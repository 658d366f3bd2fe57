// The float32 convolution weight and bias gradients rounded as PyTorch's CPU kernel rounds them
// (oneDNN's jit:avx2 backward_weights, which aten::convolution_backward runs for float32).
//
// Every weight element has one float accumulator per range of images, and takes the products in a
// fixed order: images ascending, then output rows, then output columns, each step one fused
// multiply-add (acc = fma(gy, x, acc)); taps in the padding are skipped (they add +0, which leaves
// the sum as it is). The images are split into contiguous ranges the way oneDNN's reduction balancer
// splits them among `nthr` threads (PyTorch's thread count), and the ranges' sums are added left to
// right. The bias gradient is the same with plain float additions. These sums cancel heavily (a
// batch-norm gradient averages zero per channel), so how they round decides whether a training run
// follows PyTorch's float32 digits after a few steps.
//
// Here the chain of every element runs in that order, vectorised across output channels: gy is
// transposed to (position, channel) so that 8 channels fill a vector, and each step broadcasts one
// input value. Blocks of positions keep the data in cache; rows of the weight gradient are split
// among threads when there are fewer ranges than threads.
#include "dk_conv.h"
#include "dk_ops.h"
#include "dk_parallel.h"
#include "dk_target.h"
#include <string.h>

static inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// oneDNN's `reduce_balancer_t::balance` (allow_nthr_in_group): how many threads share one job's
/// reduction of `R` items. The images are split into that many ranges.
static int64_t reduce_threads_per_group(int64_t nthr, int64_t job_size, int64_t njobs, int64_t R) {
  const int64_t max_buffer = (int64_t)1 << 21;
  int64_t min_jobs = imax(1, njobs / nthr), max_jobs = imax(1, max_buffer / (nthr * job_size));
  int64_t ngroups = imin(njobs / min_jobs, nthr), tpg = imin(nthr / ngroups, R);
  int64_t best = njobs * job_size * R;
  for (int64_t c = min_jobs; c < njobs; c++) {
    int64_t cg = imin(njobs / c, nthr), ct = imin(nthr / cg, R), cub = div_up(njobs, cg);
    if (ct > 1 && cub > max_jobs) continue;
    int64_t cost = job_size * cub * (div_up(R, ct) + (ct != 1));
    if (cost < best) { ngroups = cg; tpg = ct; best = cost; }
  }
  return tpg;
}

/// oneDNN's `balance211`: range `tid` of `team` over n items (the first ones one longer).
static void balance211(int64_t n, int64_t team, int64_t tid, int64_t *start, int64_t *end) {
  if (team <= 1 || n == 0) { *start = 0; *end = n; return; }
  int64_t n1 = div_up(n, team), n2 = n1 - 1, t1 = n - n2 * team;
  int64_t len = tid < t1 ? n1 : n2;
  *start = tid <= t1 ? tid * n1 : t1 * n1 + (tid - t1) * n2;
  *end = *start + len;
}

typedef float v8f __attribute__((vector_size(32), aligned(4)));
#define PBLOCK 256

/// acc (kb x OCp) = the chains continued over positions [0, np): acc[k][o] = fma(col[k][p], gyT[p][o], acc[k][o]).
/// col rows have stride ldc; gyT rows have OCp (a multiple of 8) entries.
DK_CLONES_FMA static void chain_block(int64_t kb, int64_t np, int64_t OCp, const float *col, int64_t ldc,
                                      const float *gyT, float *acc) {
  int64_t k = 0;
  for (; k + 4 <= kb; k += 4) {
    const float *c0 = col + k * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
    int64_t o = 0;
    for (; o + 16 <= OCp; o += 16) {
      float *a = acc + k * OCp + o;
      v8f a00 = *(const v8f *)a, a01 = *(const v8f *)(a + 8);
      v8f a10 = *(const v8f *)(a + OCp), a11 = *(const v8f *)(a + OCp + 8);
      v8f a20 = *(const v8f *)(a + 2 * OCp), a21 = *(const v8f *)(a + 2 * OCp + 8);
      v8f a30 = *(const v8f *)(a + 3 * OCp), a31 = *(const v8f *)(a + 3 * OCp + 8);
      for (int64_t p = 0; p < np; p++) {
        v8f d0 = *(const v8f *)(gyT + p * OCp + o), d1 = *(const v8f *)(gyT + p * OCp + o + 8);
        v8f x0 = (v8f){0} + c0[p], x1 = (v8f){0} + c1[p], x2 = (v8f){0} + c2[p], x3 = (v8f){0} + c3[p];
        a00 = __builtin_elementwise_fma(d0, x0, a00); a01 = __builtin_elementwise_fma(d1, x0, a01);
        a10 = __builtin_elementwise_fma(d0, x1, a10); a11 = __builtin_elementwise_fma(d1, x1, a11);
        a20 = __builtin_elementwise_fma(d0, x2, a20); a21 = __builtin_elementwise_fma(d1, x2, a21);
        a30 = __builtin_elementwise_fma(d0, x3, a30); a31 = __builtin_elementwise_fma(d1, x3, a31);
      }
      *(v8f *)a = a00; *(v8f *)(a + 8) = a01;
      *(v8f *)(a + OCp) = a10; *(v8f *)(a + OCp + 8) = a11;
      *(v8f *)(a + 2 * OCp) = a20; *(v8f *)(a + 2 * OCp + 8) = a21;
      *(v8f *)(a + 3 * OCp) = a30; *(v8f *)(a + 3 * OCp + 8) = a31;
    }
    for (; o < OCp; o += 8) {
      float *a = acc + k * OCp + o;
      v8f a0 = *(const v8f *)a, a1 = *(const v8f *)(a + OCp), a2 = *(const v8f *)(a + 2 * OCp), a3 = *(const v8f *)(a + 3 * OCp);
      for (int64_t p = 0; p < np; p++) {
        v8f d = *(const v8f *)(gyT + p * OCp + o);
        a0 = __builtin_elementwise_fma(d, (v8f){0} + c0[p], a0);
        a1 = __builtin_elementwise_fma(d, (v8f){0} + c1[p], a1);
        a2 = __builtin_elementwise_fma(d, (v8f){0} + c2[p], a2);
        a3 = __builtin_elementwise_fma(d, (v8f){0} + c3[p], a3);
      }
      *(v8f *)a = a0; *(v8f *)(a + OCp) = a1; *(v8f *)(a + 2 * OCp) = a2; *(v8f *)(a + 3 * OCp) = a3;
    }
  }
  for (; k < kb; k++) {
    const float *c0 = col + k * ldc;
    for (int64_t o = 0; o < OCp; o += 8) {
      float *a = acc + k * OCp + o;
      v8f a0 = *(const v8f *)a;
      for (int64_t p = 0; p < np; p++) a0 = __builtin_elementwise_fma(*(const v8f *)(gyT + p * OCp + o), (v8f){0} + c0[p], a0);
      *(v8f *)a = a0;
    }
  }
}

/// Rows [k0, k1) of one image's receptive fields for positions [p0, p0 + np): col[k - k0][p - p0],
/// zero in the padding. Row k is (channel, kernel row, kernel column) as in the weight.
static void gather_rows(const dk_window2d *g, const float *x, int64_t k0, int64_t k1, int64_t p0, int64_t np, float *col) {
  const int64_t KK = g->KH * g->KW;
  for (int64_t k = k0; k < k1; k++) {
    const int64_t c = k / KK, ki = (k % KK) / g->KW, kj = k % g->KW;
    const float *xc = x + c * g->H * g->W;
    float *d = col + (k - k0) * PBLOCK;
    int64_t oh = p0 / g->OW, ow = p0 % g->OW;
    for (int64_t i = 0; i < np;) {
      // the rest of output row oh: input row ih, columns iw0 + t * SW
      const int64_t seg = imin(g->OW - ow, np - i);
      const int64_t ih = oh * g->SH - g->PH + ki * g->DH, iw0 = ow * g->SW - g->PW + kj * g->DW;
      if (ih < 0 || ih >= g->H) {
        for (int64_t t = 0; t < seg; t++) d[i + t] = 0.0f;
      } else {
        const float *xr = xc + ih * g->W;
        // the columns inside the image: t in [t0, t1)
        int64_t t0 = iw0 >= 0 ? 0 : (-iw0 + g->SW - 1) / g->SW;
        int64_t t1 = iw0 >= g->W ? 0 : (g->W - iw0 + g->SW - 1) / g->SW;
        t0 = imin(t0, seg); t1 = imax(t0, imin(t1, seg));
        for (int64_t t = 0; t < t0; t++) d[i + t] = 0.0f;
        if (g->SW == 1) memcpy(d + i + t0, xr + iw0 + t0, (size_t)(t1 - t0) * sizeof(float));
        else for (int64_t t = t0; t < t1; t++) d[i + t] = xr[iw0 + t * g->SW];
        for (int64_t t = t1; t < seg; t++) d[i + t] = 0.0f;
      }
      i += seg; ow = 0; oh++;
    }
  }
}

typedef struct {
  const dk_window2d *g;
  const float *x, *gy;
  float *parts;          // ranges x CK x OCp accumulators
  int64_t ranges, splits, CK, OCp;
} wgrad_ctx;

/// Task t: range t / splits, rows split t % splits.
static void wgrad_tasks(void *v, int64_t b, int64_t e) {
  const wgrad_ctx *c = (const wgrad_ctx *)v;
  const dk_window2d *g = c->g;
  const int64_t L = g->OH * g->OW, OC = g->OC, OCp = c->OCp;
  float *gyT = dk_alloc(sizeof(float) * PBLOCK * OCp);
  float *col = dk_alloc(sizeof(float) * PBLOCK * c->CK);
  for (int64_t t = b; t < e; t++) {
    int64_t r = t / c->splits, s = t % c->splits, n0, n1, k0, k1;
    balance211(g->N, c->ranges, r, &n0, &n1);
    balance211(div_up(c->CK, 4), c->splits, s, &k0, &k1);
    k0 *= 4; k1 = imin(k1 * 4, c->CK);
    if (k0 >= k1) continue;
    float *acc = c->parts + r * c->CK * OCp + k0 * OCp;
    for (int64_t n = n0; n < n1; n++) {
      const float *gy = c->gy + n * OC * L, *x = c->x + n * g->C * g->H * g->W;
      for (int64_t p0 = 0; p0 < L; p0 += PBLOCK) {
        const int64_t np = imin(PBLOCK, L - p0);
        for (int64_t p = 0; p < np; p++) {
          float *row = gyT + p * OCp;
          for (int64_t o = 0; o < OC; o++) row[o] = gy[o * L + p0 + p];
          for (int64_t o = OC; o < OCp; o++) row[o] = 0;
        }
        gather_rows(g, x, k0, k1, p0, np, col);
        chain_block(k1 - k0, np, OCp, col, PBLOCK, gyT, acc);
      }
    }
  }
  dk_free(col, sizeof(float) * PBLOCK * c->CK);
  dk_free(gyT, sizeof(float) * PBLOCK * OCp);
}

/// out[c] = data (N, C, L) summed per channel in plain float additions: per range of images (`ranges`
/// split as balance211 splits them) one chain over images then positions, the ranges added left to right.
/// 8 channels at a time, each its own chain.
static void channel_sum_chains(const float *data, int64_t N, int64_t C, int64_t L, int64_t ranges, float *out) {
  for (int64_t o0 = 0; o0 < C; o0 += 8) {
    const int64_t no = imin(8, C - o0);
    float total[8] = {0};
    for (int64_t r = 0; r < ranges; r++) {
      int64_t n0, n1;
      balance211(N, ranges, r, &n0, &n1);
      float s[8] = {0};
      for (int64_t n = n0; n < n1; n++) {
        const float *rows = data + (n * C + o0) * L;
        if (no == 8) {
          for (int64_t p = 0; p < L; p++)
            for (int j = 0; j < 8; j++) s[j] += rows[j * L + p];
        } else {
          for (int64_t p = 0; p < L; p++)
            for (int64_t j = 0; j < no; j++) s[j] += rows[j * L + p];
        }
      }
      for (int64_t j = 0; j < no; j++) total[j] = r == 0 ? s[j] : total[j] + s[j];
    }
    for (int64_t j = 0; j < no; j++) out[o0 + j] = total[j];
  }
}

void dk_conv_transpose2d_bias_grad_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *gy, float *gb) {
  channel_sum_chains(gy, N, C, L, 1, gb);
}

void dk_conv2d_weight_grad_f32_pytorch(const dk_window2d *g, int64_t nthr, const float *x, const float *gy,
                                       float *gw, float *gb) {
  const int64_t L = g->OH * g->OW, OC = g->OC, CK = g->C * g->KH * g->KW;
  // oneDNN blocks channels by 8 (3 input channels stay one "flat" block of 3)
  const int64_t ic_block = g->C == 3 ? 3 : 8, nb_oc = div_up(OC, 8), nb_ic = div_up(g->C, ic_block);
  if (nthr < 1) nthr = 1;
  if (gw) {
    wgrad_ctx c = {0};
    c.g = g; c.x = x; c.gy = gy; c.CK = CK; c.OCp = nb_oc * 8;
    c.ranges = imax(1, imin(reduce_threads_per_group(nthr, g->KH * g->KW * ic_block * 8, nb_oc * nb_ic, g->N), g->N));
    c.splits = imax(1, imin(div_up(nthr, c.ranges), div_up(CK, 16)));   // nthr is the pool's size too
    const size_t bytes = sizeof(float) * (size_t)(c.ranges * CK * c.OCp);
    c.parts = dk_alloc(bytes);
    memset(c.parts, 0, bytes);
    dk_parallel_for(c.ranges * c.splits, 1, wgrad_tasks, &c);
    // (OC, CK) = the ranges' sums added left to right
    for (int64_t o = 0; o < OC; o++)
      for (int64_t k = 0; k < CK; k++) {
        float s = c.parts[k * c.OCp + o];
        for (int64_t r = 1; r < c.ranges; r++) s += c.parts[(r * CK + k) * c.OCp + o];
        gw[o * CK + k] = s;
      }
    dk_free(c.parts, bytes);
  }
  if (gb) channel_sum_chains(gy, g->N, OC, L, imax(1, imin(reduce_threads_per_group(nthr, 8, nb_oc, g->N), g->N)), gb);
}
