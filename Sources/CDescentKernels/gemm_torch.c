/*
 * PyTorch's float32 matrix products (mm, addmm, Linear and their gradients) on the CPU, rounded the
 * way the reference build's MKL sgemm rounds them (torch 2.13.0+cpu, oneMKL 2024.2, AVX2 with FMA).
 * MKL is closed source: the model was measured (Tools/pytorch-numerics/conv-forward-linear-sum.md,
 * section 3, which has the probes and a numpy emulation). In BLAS terms, column-major, with
 * C[m][n] = C0[m][n] + sum_k a[m][k] * b[n][k], MKL runs one of three kernels on each piece of n:
 *
 *   big   (the usual one) K cut into blocks of kc = 192 (K >= 384), K/2 (192 < K < 384) or K;
 *         each block one FMA chain from zero, k ascending; the blocks added to C0 in order.
 *   dot   ('T','N' only: Linear's forward) when M < 12 or the piece has at most 3 columns: a dot
 *         product in 4 k-lanes (the rows m < 4*(M/4)) or 8 k-lanes (the other rows), products
 *         rounded before the adds, after a scalar head that aligns b's row to 16 bytes; the lanes
 *         summed as a tree, the k tail added one by one, then C0.
 *   seqn  ('N','N' / 'N','T': the gradients) when M < 12 or the piece has at most 3 columns: one sequential
 *         chain of rounded products (no FMA); the rows of C's column before its 16-byte boundary
 *         go in blocks of 8 k instead (4 onto the sum one by one, then the sum of the next 4).
 *
 * With nthr > 1 threads MKL splits n into pieces of roundup(ceil(N / nthr), 4) columns (measured for
 * 2 threads; more threads are extrapolated), except for small products it keeps on one thread.
 * The split only matters through the kernel choice: the big kernel's result does not depend on it.
 * Not covered (returns 0): 'T','T'; 'T','N' with M or N equal to 1.
 */
#pragma STDC FP_CONTRACT OFF
#include "dk_gemm.h"
#include "dk_parallel.h"

#include <stdint.h>

#define KERNEL_BIG 0
#define KERNEL_DOT 1
#define KERNEL_SEQN 2

static int64_t mkl_kc(int64_t K) { return K >= 384 ? 192 : (K > 192 ? K / 2 : K); }

/* MKL stays on one thread for these (measured at 2 threads for n = 5..11). */
static int mkl_uses_threads(int64_t M, int64_t K) {
    return !((M <= 16 && K <= 16) || (M <= 100 && K <= 4));
}

/* Floats from p to the next 16-byte boundary (0 when aligned). */
static int64_t head_to_16(const float *p) { return (4 - (int64_t)(((uintptr_t)p >> 2) & 3)) & 3; }

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
} torch_gemm;

/* dot kernel, one row m of a ('T': contiguous in k) against b's row n (contiguous in k). */
static float dot4(const float *a, const float *b, int64_t K, int64_t peel) {
    float lane[4] = {0, 0, 0, 0};
    if (peel > 0) {
        float s = a[0] * b[0];
        for (int64_t k = 1; k < peel; k++) { float p = a[k] * b[k]; s = s + p; }
        lane[0] = s;
    }
    const int64_t nmain = (K - peel) / 4 * 4;
    const float *ap = a + peel, *bp = b + peel;
    for (int64_t t = 0; t < nmain; t += 4)
        for (int j = 0; j < 4; j++) { float p = ap[t + j] * bp[t + j]; lane[j] = lane[j] + p; }
    float r = (lane[0] + lane[2]) + (lane[1] + lane[3]);
    for (int64_t k = peel + nmain; k < K; k++) { float p = a[k] * b[k]; r = r + p; }
    return r;
}

static float dot8(const float *a, const float *b, int64_t K, int64_t peel) {
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (peel > 0) {
        float s = a[0] * b[0];
        for (int64_t k = 1; k < peel; k++) { float p = a[k] * b[k]; s = s + p; }
        lane[0] = s;
    }
    const int64_t nmain = (K - peel) / 8 * 8;
    const float *ap = a + peel, *bp = b + peel;
    for (int64_t t = 0; t < nmain; t += 8)
        for (int j = 0; j < 8; j++) { float p = ap[t + j] * bp[t + j]; lane[j] = lane[j] + p; }
    float r = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
    for (int64_t k = peel + nmain; k < K; k++) { float p = a[k] * b[k]; r = r + p; }
    return r;
}

static void dot_columns(void *ctx, int64_t n0, int64_t n1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    const int64_t M = g->M, K = g->K, m4 = M / 4 * 4;
    for (int64_t n = n0; n < n1; n++) {
        const float *b = g->B + n * g->ldb;
        int64_t peel = head_to_16(b);
        if (peel > K) peel = K;
        float *c = g->C + n * g->ldc;
        for (int64_t m = 0; m < M; m++) {
            const float *a = g->A + m * g->lda;
            float r = m < m4 ? dot4(a, b, K, peel) : dot8(a, b, K, peel);
            c[m] = g->beta1 ? r + c[m] : r;
        }
    }
}

#define SEQN_ROWS 64

static void seqn_columns(void *ctx, int64_t n0, int64_t n1) {
    const torch_gemm *g = (const torch_gemm *)ctx;
    const int64_t M = g->M, K = g->K, lda = g->lda;
    const float *A = g->A; /* 'N': a[m][k] = A[m + k*lda] */
    for (int64_t n = n0; n < n1; n++) {
        float *c = g->C + n * g->ldc;
        const int64_t bs = g->tb ? g->ldb : 1; /* b[n][k] = bn[k * bs] */
        const float *bn = g->tb ? g->B + n : g->B + n * g->ldb;
        int64_t head = head_to_16(c);
        if (head > M) head = M;
        for (int64_t m = 0; m < head; m++) { /* before C's 16-byte boundary: blocks of 8 k */
            float r = 0;
            const int64_t K8 = K / 8 * 8;
            for (int64_t k0 = 0; k0 < K8; k0 += 8) {
                for (int64_t k = k0; k < k0 + 4; k++) { float p = A[m + k * lda] * bn[k * bs]; r = r + p; }
                float t = A[m + (k0 + 4) * lda] * bn[(k0 + 4) * bs];
                for (int64_t k = k0 + 5; k < k0 + 8; k++) { float p = A[m + k * lda] * bn[k * bs]; t = t + p; }
                r = r + t;
            }
            for (int64_t k = K8; k < K; k++) { float p = A[m + k * lda] * bn[k * bs]; r = r + p; }
            c[m] = g->beta1 ? r + c[m] : r;
        }
        for (int64_t m0 = head; m0 < M; m0 += SEQN_ROWS) {
            const int64_t mb = M - m0 < SEQN_ROWS ? M - m0 : SEQN_ROWS;
            float acc[SEQN_ROWS];
            for (int64_t j = 0; j < mb; j++) acc[j] = 0;
            for (int64_t k = 0; k < K; k++) {
                const float bv = bn[k * bs];
                const float *ak = A + m0 + k * lda;
                for (int64_t j = 0; j < mb; j++) { float p = ak[j] * bv; acc[j] = acc[j] + p; }
            }
            for (int64_t j = 0; j < mb; j++) c[m0 + j] = g->beta1 ? acc[j] + c[m0 + j] : acc[j];
        }
    }
}

static int kernel_for(int tn, int64_t M, int64_t pn) {
    if (tn) return (M < 12 || pn <= 3) ? KERNEL_DOT : KERNEL_BIG;
    return (M < 12 || pn <= 3) ? KERNEL_SEQN : KERNEL_BIG;
}

/* The big kernel on columns [n0, n1). */
static void big_columns(const torch_gemm *g, int64_t n0, int64_t n1) {
    /* dk_sgemm's view: C'(m, n) = C[m + n*ldc], A'(m, k) = a[m][k], B'(k, n) = b[n][k] */
    const int64_t rsa = g->ta ? g->lda : 1, csa = g->ta ? 1 : g->lda;
    const int64_t rsb = g->tb ? g->ldb : 1, csb = g->tb ? 1 : g->ldb;
    dk_sgemm_kc(g->M, n1 - n0, g->K, g->A, rsa, csa, g->B + n0 * csb, rsb, csb, g->beta1 ? 1.0f : 0.0f,
                g->C + n0 * g->ldc, 1, g->ldc, mkl_kc(g->K));
}

int dk_sgemm_torch(int transa, int transb, int64_t M, int64_t N, int64_t K,
                   const float *A, int64_t lda, const float *B, int64_t ldb, int beta1,
                   float *C, int64_t ldc, int nthr) {
    if (M <= 0 || N <= 0 || K <= 0) return 0;
    if (transa && transb) return 0;
    const int tn = transa && !transb;
    if (tn && (M == 1 || N == 1)) return 0;
    int64_t w = N;
    if (nthr > 1 && mkl_uses_threads(M, K)) w = ((N + nthr - 1) / nthr + 3) / 4 * 4;
    if (w < 1) w = 1;
    const torch_gemm g = {transa, transb, M, K, A, lda, B, ldb, beta1, C, ldc};
    int64_t big0 = -1; /* start of a run of big pieces, done in one call */
    for (int64_t n0 = 0; n0 < N; n0 += w) {
        const int64_t n1 = N - n0 < w ? N : n0 + w;
        const int kern = kernel_for(tn, M, n1 - n0);
        if (kern == KERNEL_BIG) {
            if (big0 < 0) big0 = n0;
            continue;
        }
        if (big0 >= 0) { big_columns(&g, big0, n0); big0 = -1; }
        const int64_t grain = 32768 / (M * K) + 1;
        dk_parallel_for(n1 - n0, grain, kern == KERNEL_DOT ? dot_columns : seqn_columns,
                        (void *)&(torch_gemm){transa, transb, M, K, A, lda,
                                              B + n0 * (transb ? 1 : ldb), ldb, beta1, C + n0 * ldc, ldc});
    }
    if (big0 >= 0) big_columns(&g, big0, N);
    return 1;
}
