/*
 * PyTorch's float32 matrix products (mm, addmm, Linear and their gradients) on the CPU, rounded the
 * way the reference build's MKL sgemm rounds them (torch 2.13.0+cpu, oneMKL 2024.2, AVX2 with FMA).
 * MKL is closed source: the model was measured (Tools/pytorch-numerics/conv-forward-linear-sum.md,
 * section 3, and mkl-sgemm-small-cases.md, with the probes and numpy emulations). In BLAS terms,
 * column-major, with C[m][n] = C0[m][n] + sum_k a[m][k] * b[n][k] and p[k] = fl(a[m][k] * b[n][k]):
 *
 *   big   (the usual kernel) K cut into blocks of kc = 192 (K >= 384), K/2 (192 < K < 384) or K;
 *         each block one FMA chain from zero, k ascending; the blocks added to C0 in order.
 *   dot   ('T','N', n >= 2: Linear's forward, for blocks of fewer than 12 rows or at most 3 columns):
 *         4 k-lanes (the rows m < 4*(M/4)) or 8 (the other rows) of unfused products, after a head
 *         of products that brings b's row to a 16-byte boundary; lanes summed as a tree, the k tail
 *         added one by one, then C0.
 *   dot1  ('T','N' with n == 1, and 'T','T' with n == 1 and ldb == 1: Linear with one output, or one
 *         input row): the same kind of dot with a head of 1 to 4 products; rows in full groups of 4
 *         use 4 lanes and align the group's last row of a; the other rows use 8 lanes (the 1st and
 *         3rd) or 4 (the 2nd), step 8 k at a time and align b (a when M == 1); C0 last.
 *   seqn  ('N','N' / 'N','T': the gradients, for small blocks): one chain of unfused products from C0
 *         (0 without); the rows of C's column before its 16-byte boundary go in blocks of 8 k (4 onto
 *         the sum one by one, then the sum of the next 4) when at least 4 rows follow them.
 *   chain ('T','T', small blocks): one chain of unfused products from 0, then C0. With M == 1 the
 *         chain starts from C0.
 *
 * Blocks: MKL splits the work among PyTorch's threads unless the product is small. With 2 threads it
 * splits n into pieces of roundup(ceil(N/2), 4) columns; with 3 or more it splits m into pieces of
 * 16*max(1, M/48) (3 threads) or 16*ceil(M/48) (4) rows, at most one per thread, the last taking the
 * rest (more than 4 threads: extrapolated from 4). A block of fewer than 12 rows or at most 3
 * columns runs the small kernel of its layout, the others "big", whose result does not depend on
 * the split. Measured at 1 to 4 threads. Not covered (returns 0): 'T','T' with M == 1 and N > 1,
 * and 'T','N' with M == 1 and N > 1 (PyTorch makes neither for its own tensors).
 */
#pragma STDC FP_CONTRACT OFF
#include "dk_gemm.h"
#include "dk_target.h"
#include "dk_parallel.h"

#include <stdint.h>
#include <string.h>

enum { KERNEL_BIG, KERNEL_DOT, KERNEL_SEQN, KERNEL_CHAIN };

static int64_t mkl_kc(int64_t K) { return K >= 384 ? 192 : (K > 192 ? K / 2 : K); }

/* MKL stays on one thread for these (measured at 2 threads for n = 5..11, and at 3 and 4). */
static int mkl_uses_threads(int64_t M, int64_t K) {
    return !((M <= 16 && K <= 16) || (M <= 100 && K <= 4));
}

/* Floats from p to the next 16-byte boundary (0 when aligned), and that count from 1 to 4. */
static int64_t head_to_16(const float *p) { return (4 - (int64_t)(((uintptr_t)p >> 2) & 3)) & 3; }
static int64_t head_1_to_4(const float *p) { return 4 - (int64_t)(((uintptr_t)p >> 2) & 3); }

typedef struct {
    int ta, tb;
    int64_t M, K;
    const float *A;
    int64_t lda;
    const float *B;
    int64_t ldb;
    int beta1;
    float *C;
    int64_t ldc;
    int64_t m0, m1;   /* the block's rows */
} torch_gemm;

/* a[m][k] and b[n][k] in BLAS terms */
#define AEL(g, m, k) ((g)->ta ? (g)->A[(k) + (m) * (g)->lda] : (g)->A[(m) + (k) * (g)->lda])
#define BEL(g, n, k) ((g)->tb ? (g)->B[(n) + (k) * (g)->ldb] : (g)->B[(k) + (n) * (g)->ldb])

typedef float dk_v4f __attribute__((vector_size(16)));
DK_INLINE dk_v4f load4(const float *p) { dk_v4f v; memcpy(&v, p, sizeof v); return v; }

/* A dot product of a and b (both contiguous in k) in L lanes that step `step` k at a time, after a
 * head of `peel` products added in order into lane 0; the lanes summed as a tree, the tail one by one. */
static float lane_dot(const float *a, const float *b, int64_t K, int64_t peel, int L, int64_t step) {
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (peel > K) peel = K;
    if (peel > 0) {
        float s = a[0] * b[0];
        for (int64_t k = 1; k < peel; k++) { float p = a[k] * b[k]; s = s + p; }
        lane[0] = s;
    }
    const int64_t nmain = (K - peel) / step * step;
    const float *ap = a + peel, *bp = b + peel;
    dk_v4f lo = load4(lane), hi = {0, 0, 0, 0};
    if (L == 4) {
        for (int64_t t = 0; t < nmain; t += 4) { dk_v4f p = load4(ap + t) * load4(bp + t); lo = lo + p; }
    } else {
        for (int64_t t = 0; t < nmain; t += 8) {
            dk_v4f p = load4(ap + t) * load4(bp + t), q = load4(ap + t + 4) * load4(bp + t + 4);
            lo = lo + p; hi = hi + q;
        }
    }
    memcpy(lane, &lo, sizeof lo);
    memcpy(lane + 4, &hi, sizeof hi);
    float r = L == 4 ? (lane[0] + lane[2]) + (lane[1] + lane[3])
                     : ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
    for (int64_t k = peel + nmain; k < K; k++) { float p = a[k] * b[k]; r = r + p; }
    return r;
}

/* lane_dot(a + i * lda, b, K, peel, 4, 4) for the four rows i = 0..3 at once into r[4]: the same
 * operations per row, but four independent lane chains per step instead of one, so the adds no longer
 * wait on each other (a 10 x 100 x 256 product ran at 5 GFLOP/s one row at a time). */
DK_INLINE void lane_dot4x4(const float *a, int64_t lda, const float *b, int64_t K, int64_t peel, float r[4]) {
    dk_v4f lane[4] = {{0}};
    if (peel > K) peel = K;
    if (peel > 0)
        for (int i = 0; i < 4; i++) {
            const float *ai = a + i * lda;
            float s = ai[0] * b[0];
            for (int64_t k = 1; k < peel; k++) { float p = ai[k] * b[k]; s = s + p; }
            lane[i][0] = s;
        }
    const int64_t nmain = (K - peel) / 4 * 4;
    const float *bp = b + peel, *a0 = a + peel, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    for (int64_t t = 0; t < nmain; t += 4) {
        const dk_v4f bv = load4(bp + t);
        dk_v4f p0 = load4(a0 + t) * bv, p1 = load4(a1 + t) * bv, p2 = load4(a2 + t) * bv, p3 = load4(a3 + t) * bv;
        lane[0] = lane[0] + p0; lane[1] = lane[1] + p1; lane[2] = lane[2] + p2; lane[3] = lane[3] + p3;
    }
    for (int i = 0; i < 4; i++) {
        const float *ai = a + i * lda;
        float s = (lane[i][0] + lane[i][2]) + (lane[i][1] + lane[i][3]);
        for (int64_t k = peel + nmain; k < K; k++) { float p = ai[k] * b[k]; s = s + p; }
        r[i] = s;
    }
}

/* dot: rows [m0, m1) of columns [n0, n1) ('T','N': a rows and b rows contiguous in k) */
DK_CLONES static void dot_columns(void *ctx, int64_t n0, int64_t n1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    const int64_t m4 = g->M / 4 * 4;
    for (int64_t n = n0; n < n1; n++) {
        const float *b = g->B + n * g->ldb;
        const int64_t peel = head_to_16(b);
        float *c = g->C + n * g->ldc;
        int64_t m = g->m0;
        for (; m + 4 <= (g->m1 < m4 ? g->m1 : m4); m += 4) {
            float r[4];
            lane_dot4x4(g->A + m * g->lda, g->lda, b, g->K, peel, r);
            for (int i = 0; i < 4; i++) c[m + i] = g->beta1 ? r[i] + c[m + i] : r[i];
        }
        for (; m < g->m1; m++) {
            const int L = m < m4 ? 4 : 8;
            const float r = lane_dot(g->A + m * g->lda, b, g->K, peel, L, L);
            c[m] = g->beta1 ? r + c[m] : r;
        }
    }
}

/* dot1: one column (n == 1), b contiguous */
DK_CLONES static void dot1_rows(void *ctx, int64_t r0, int64_t r1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    const int64_t M = g->M, m4 = M / 4 * 4, K = g->K;
    const float *b = g->B;
    const int64_t peelGroup = head_1_to_4(g->A + 3 * g->lda), peelRest = head_1_to_4(M == 1 ? g->A : b);
    int64_t m = r0;
    for (; m + 4 <= (r1 < m4 ? r1 : m4); m += 4) {
        float r[4];
        lane_dot4x4(g->A + m * g->lda, g->lda, b, K, peelGroup, r);
        for (int i = 0; i < 4; i++) g->C[m + i] = g->beta1 ? r[i] + g->C[m + i] : r[i];
    }
    for (; m < r1; m++) {
        float r;
        if (m < m4) r = lane_dot(g->A + m * g->lda, b, K, peelGroup, 4, 4);
        else r = lane_dot(g->A + m * g->lda, b, K, peelRest, (m - m4) % 2 == 0 ? 8 : 4, 8);
        g->C[m] = g->beta1 ? r + g->C[m] : r;
    }
}

#define SEQN_ROWS 64

#define SEQN_COLS 16

/* seqn for at most 4 rows (no head rule applies): the chains of SEQN_COLS columns side by side, so that
 * they vectorise across columns (one chain per column would wait on each add) */
static void seqn_few_rows(const torch_gemm *g, int64_t n0, int64_t n1) {
    const int64_t K = g->K, lda = g->lda;
    const float *A = g->A;
    for (int64_t c0 = n0; c0 < n1; c0 += SEQN_COLS) {
        const int64_t nb = n1 - c0 < SEQN_COLS ? n1 - c0 : SEQN_COLS;
        for (int64_t m = g->m0; m < g->m1; m++) {
            float acc[SEQN_COLS];
            for (int64_t j = 0; j < nb; j++) acc[j] = g->beta1 ? g->C[m + (c0 + j) * g->ldc] : 0.0f;
            if (g->tb) {
                for (int64_t k = 0; k < K; k++) {
                    const float av = A[m + k * lda], *bk = g->B + c0 + k * g->ldb;
                    for (int64_t j = 0; j < nb; j++) { float p = av * bk[j]; acc[j] = acc[j] + p; }
                }
            } else {
                for (int64_t k = 0; k < K; k++) {
                    const float av = A[m + k * lda], *bk = g->B + k + c0 * g->ldb;
                    for (int64_t j = 0; j < nb; j++) { float p = av * bk[j * g->ldb]; acc[j] = acc[j] + p; }
                }
            }
            for (int64_t j = 0; j < nb; j++) g->C[m + (c0 + j) * g->ldc] = acc[j];
        }
    }
}

/* seqn: rows [m0, m1) of columns [n0, n1) ('N','N' / 'N','T': a[m][k] = A[m + k*lda]) */
static void seqn_columns(void *ctx, int64_t n0, int64_t n1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    const int64_t K = g->K, lda = g->lda, m0 = g->m0, m1 = g->m1;
    const float *A = g->A;
    if (m1 - m0 <= 4) { seqn_few_rows(g, n0, n1); return; }
    for (int64_t n = n0; n < n1; n++) {
        float *c = g->C + n * g->ldc;
        const int64_t bs = g->tb ? g->ldb : 1; /* b[n][k] = bn[k * bs] */
        const float *bn = g->tb ? g->B + n : g->B + n * g->ldb;
        int64_t head = head_to_16(c + m0);
        if (m1 - m0 - head < 4) head = 0;
        for (int64_t m = m0; m < m0 + head; m++) { /* before C's 16-byte boundary: blocks of 8 k */
            float r = g->beta1 ? c[m] : 0.0f;
            const int64_t K8 = K / 8 * 8;
            for (int64_t k0 = 0; k0 < K8; k0 += 8) {
                for (int64_t k = k0; k < k0 + 4; k++) { float p = A[m + k * lda] * bn[k * bs]; r = r + p; }
                float t = A[m + (k0 + 4) * lda] * bn[(k0 + 4) * bs];
                for (int64_t k = k0 + 5; k < k0 + 8; k++) { float p = A[m + k * lda] * bn[k * bs]; t = t + p; }
                r = r + t;
            }
            for (int64_t k = K8; k < K; k++) { float p = A[m + k * lda] * bn[k * bs]; r = r + p; }
            c[m] = r;
        }
        for (int64_t r0 = m0 + head; r0 < m1; r0 += SEQN_ROWS) {
            const int64_t mb = m1 - r0 < SEQN_ROWS ? m1 - r0 : SEQN_ROWS;
            float acc[SEQN_ROWS];
            for (int64_t j = 0; j < mb; j++) acc[j] = g->beta1 ? c[r0 + j] : 0.0f;
            for (int64_t k = 0; k < K; k++) {
                const float bv = bn[k * bs];
                const float *ak = A + r0 + k * lda;
                for (int64_t j = 0; j < mb; j++) { float p = ak[j] * bv; acc[j] = acc[j] + p; }
            }
            for (int64_t j = 0; j < mb; j++) c[r0 + j] = acc[j];
        }
    }
}

/* chain: rows [m0, m1) of columns [n0, n1) ('T','T'): unfused chain from 0, then C0 */
static void chain_columns(void *ctx, int64_t n0, int64_t n1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    for (int64_t n = n0; n < n1; n++)
        for (int64_t m = g->m0; m < g->m1; m++) {
            float r = 0.0f;
            for (int64_t k = 0; k < g->K; k++) { float p = AEL(g, m, k) * BEL(g, n, k); r = r + p; }
            float *c = g->C + m + n * g->ldc;
            *c = g->beta1 ? r + *c : r;
        }
}

/* The big kernel on rows [m0, m1) of columns [n0, n1). */
static void big_block(const torch_gemm *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    /* dk_sgemm's view: C'(m, n) = C[m + n*ldc], A'(m, k) = a[m][k], B'(k, n) = b[n][k] */
    const int64_t rsa = g->ta ? g->lda : 1, csa = g->ta ? 1 : g->lda;
    const int64_t rsb = g->tb ? g->ldb : 1, csb = g->tb ? 1 : g->ldb;
    dk_sgemm_kc(m1 - m0, n1 - n0, g->K, g->A + m0 * rsa, rsa, csa, g->B + n0 * csb, rsb, csb, g->beta1 ? 1.0f : 0.0f,
                g->C + m0 + n0 * g->ldc, 1, g->ldc, mkl_kc(g->K));
}

static void small_block(const torch_gemm *g0, int kern, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    torch_gemm g = *g0;
    g.m0 = m0; g.m1 = m1;
    const int64_t grain = 32768 / ((m1 - m0) * g.K) + 1;
    const dk_range_fn fn = kern == KERNEL_DOT ? dot_columns : kern == KERNEL_SEQN ? seqn_columns : chain_columns;
    /* columns [n0, n1): shift B and C so the range functions index from 0 */
    g.B += n0 * (g.tb ? 1 : g.ldb);
    g.C += n0 * g.ldc;
    dk_parallel_for(n1 - n0, grain, fn, &g);
}

int dk_sgemm_torch(int transa, int transb, int64_t M, int64_t N, int64_t K,
                   const float *A, int64_t lda, const float *B, int64_t ldb, int beta1,
                   float *C, int64_t ldc, int nthr) {
    if (M <= 0 || N <= 0 || K <= 0) return 0;
    const torch_gemm g = {transa, transb, M, K, A, lda, B, ldb, beta1, C, ldc, 0, M};
    const int small = transa && !transb ? KERNEL_DOT : !transa ? KERNEL_SEQN : KERNEL_CHAIN;
    if (transa && transb && M == 1) {
        if (N > 1) return 0;
        /* 'T','T' with M == N == 1: one chain from C0 */
        float r = beta1 ? C[0] : 0.0f;
        for (int64_t k = 0; k < K; k++) { float p = A[k] * B[k * ldb]; r = r + p; }
        C[0] = r;
        return 1;
    }
    if (transa && N == 1 && (!transb || ldb == 1)) { /* dot1 */
        dk_parallel_for(M, 32768 / K + 1, dot1_rows, (void *)&g);
        return 1;
    }
    if (transa && M == 1) return 0;                         /* 'T','N' with M == 1, N > 1 */
    /* blocks of rows x columns, as MKL's threads take them */
    const int threaded = nthr > 1 && mkl_uses_threads(M, K);
    if (threaded && nthr == 2) {
        const int64_t w = ((N + 1) / 2 + 3) / 4 * 4;
        int64_t big0 = -1;                                  /* a run of big pieces, done in one call */
        for (int64_t n0 = 0; n0 < N; n0 += w) {
            const int64_t n1 = N - n0 < w ? N : n0 + w;
            if (!(M < 12 || n1 - n0 <= 3)) { if (big0 < 0) big0 = n0; continue; }
            if (big0 >= 0) { big_block(&g, 0, M, big0, n0); big0 = -1; }
            small_block(&g, small, 0, M, n0, n1);
        }
        if (big0 >= 0) big_block(&g, 0, M, big0, N);
        return 1;
    }
    int64_t last = 0;                                       /* the start of the last row piece */
    if (threaded) {
        const int64_t c = nthr == 3 ? 16 * (M / 48 > 1 ? M / 48 : 1) : 16 * ((M + 47) / 48);
        for (int64_t p = 1; p < nthr && p * c < M; p++) last = p * c;
    }
    if (N <= 3) { small_block(&g, small, 0, M, 0, N); return 1; }
    if (M - last < 12) {
        if (last > 0) big_block(&g, 0, last, 0, N);
        small_block(&g, small, last, M, 0, N);
    } else {
        big_block(&g, 0, M, 0, N);
    }
    return 1;
}

/* PyTorch's bmm below 400 multiply-adds per product (baddbmm_cpu_kernel): each element a plain float
 * sum from 0 over k in order, the products rounded before each add (not fused). Strides in elements. */
void dk_bmm_small_f32(int64_t B, int64_t N, int64_t K, int64_t M, const float *a, int64_t sab, int64_t san, int64_t sak,
                      const float *b, int64_t sbb, int64_t sbk, int64_t sbm, float *c) {
  for (int64_t z = 0; z < B; z++)
    for (int64_t i = 0; i < N; i++)
      for (int64_t j = 0; j < M; j++) {
        float acc = 0.0f;
        for (int64_t k = 0; k < K; k++) {
          const float p = a[z * sab + i * san + k * sak] * b[z * sbb + k * sbk + j * sbm];
          acc = acc + p;
        }
        c[(z * N + i) * M + j] = acc;
      }
}

/* MKL's batched sgemm as PyTorch's bmm calls it (gemm_batched_with_stride): each of `batch` items a
 * dk_sgemm_torch on one thread (measured: with several items MKL gives each one thread), the items
 * spread over Descent's threads. Item z's operands start at A + z*sa, B + z*sb, C + z*sc. */
typedef struct {
  int ta, tb; int64_t M, N, K;
  const float *A; int64_t lda, sa; const float *B; int64_t ldb, sb; float *C; int64_t ldc, sc;
} bgemm_ctx;

static void bgemm_items(void *v, int64_t z0, int64_t z1) {
  const bgemm_ctx *g = (const bgemm_ctx *)v;
  for (int64_t z = z0; z < z1; z++)
    dk_sgemm_torch(g->ta, g->tb, g->M, g->N, g->K, g->A + z * g->sa, g->lda, g->B + z * g->sb, g->ldb, 0,
                   g->C + z * g->sc, g->ldc, 1);
}

int dk_sgemm_torch_batched(int transa, int transb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                           int64_t sa, const float *B, int64_t ldb, int64_t sb, float *C, int64_t ldc, int64_t sc,
                           int64_t batch) {
  if (batch <= 0) return 1;
  /* whether the model covers the product depends on the shape alone: the first item decides */
  if (!dk_sgemm_torch(transa, transb, M, N, K, A, lda, B, ldb, 0, C, ldc, 1)) return 0;
  bgemm_ctx g = {transa, transb, M, N, K, A + sa, lda, sa, B + sb, ldb, sb, C + sc, ldc, sc};
  const int64_t work = M * N * K;
  dk_parallel_for(batch - 1, work >= 32768 ? 1 : 32768 / (work > 0 ? work : 1), bgemm_items, &g);
  return 1;
}
