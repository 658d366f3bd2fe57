/*
 * dk_sgemm / dk_dgemm: C = alpha*A*B + beta*C with arbitrary element strides.
 *
 * Design (GotoBLAS/BLIS style; row-major view: the SIMD dimension is N)
 *  - Canonicalisation: if C is column-major (csc != 1, rsc == 1) the problem is
 *    transposed (C^T = B^T A^T) so micro-kernels store rows of C with (masked)
 *    vector stores. Any other C layout goes through a scalar store path.
 *  - Size classes:
 *      M*N*K <= DK_TINY (128)   plain scalar loop, no setup (~10 ns for 1x1x1)
 *      M == 1 or N == 1         vectorised gemv (axpy form when B's rows are
 *                               contiguous, dot form when its columns are),
 *                               threaded over output chunks when large
 *      M*N*K <= DK_SMALL (64^3) blocked loop below, one thread, operands read
 *                               in place (only a non-row-major B is packed)
 *      otherwise                blocked loop below, threaded
 *  - Blocked loop (per thread, on its block of C):
 *        for ic in M step MC            A block MC x KC
 *          for pc in K step KC          (balanced KC blocks; first applies beta)
 *            pack A block into MR-row micro-panels      (unless read in place)
 *            for jc in N step NC        B block KC x NC, L2 resident
 *              pack B block into NR-column micro-panels (unless read in place)
 *              for ir in MC step MR       A micro-panel MR x KC stays in L1
 *                for jr in NC step NR     B micro-panels stream from L2
 *                  micro-kernel: MR x NR register tile
 *    Operands the micro-kernel can stream are not packed: a row-major A is
 *    always read in place (12 row streams; measured faster than packing on
 *    this machine, and it removes the packing pass that dominated thin shapes
 *    such as 12665x784 * 784x32); a column-major A (e.g. X^T in a weight
 *    gradient) is read in place with software prefetch when N <= 4*NR; a
 *    row-major B is read in place when M is small. Packing of transposed B
 *    uses 8x8 in-register transposes. Partial tiles use an "edge" kernel with
 *    masked B loads and clamped A rows, so nothing outside the operands is
 *    ever read and no zero-padded copies are needed.
 *  - Micro-kernels (runtime dispatch via __builtin_cpu_supports, chosen once;
 *    env DESCENT_GEMM_KERNEL=0/1/2 caps the level):
 *      AVX-512F : 12 x 32 (24 zmm accumulators), KC=384, MC=1920, NC=1024
 *      AVX2+FMA :  6 x 16 (12 ymm accumulators), KC=256, MC=1200, NC=1024
 *      portable :  4 x 8  (plain C, auto-vectorised), KC=256, MC=256, NC=1024
 *    The SIMD k-loops use one volatile asm statement per instruction so the
 *    compiler keeps the intended schedule (clang otherwise hoisted broadcasts
 *    and spilled them: 2x slower). The AVX-512 path exists because OpenBLAS
 *    uses AVX-512 on this CPU: AVX2 peaks at half its FLOP rate.
 *    Block sizes for the tuning machine (2-core Sapphire Rapids, 48 KiB L1d,
 *    2 MiB L2/core): B block KC*NC*4 = 1.5 MiB (L2), A micro-panel 18 KiB (L1).
 *  - Threading: C is split into a tm x tn grid of disjoint blocks (aligned to
 *    MR/NR), one per thread, chosen to minimise compute + packing cost; each
 *    task runs the serial blocked loop with its own thread-local packing
 *    buffers (grown on demand, freed at thread exit). No shared mutable state:
 *    concurrent calls from several threads are safe.
 */
#include "dk_gemm.h"
#include "dk_parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dk_target.h"
#if DK_X86
#include <immintrin.h>
#endif
#define DK_MIN(a, b) ((a) < (b) ? (a) : (b))
/* Turns C = A B into C^T = B^T A^T in place of the entry points' arguments (M, N, A, B and the
 * strides): A' = B^T (rsa' = csb, csa' = rsb), B' = A^T, C' = C^T. */
#define DK_TRANSPOSE_PROBLEM(T)                                                 \
    do {                                                                        \
        int64_t t_;                                                             \
        const T *p_;                                                            \
        t_ = M; M = N; N = t_;                                                  \
        p_ = A; A = B; B = p_;                                                  \
        t_ = rsa; rsa = csb; csb = t_;                                          \
        t_ = csa; csa = rsb; rsb = t_;                                          \
        t_ = rsc; rsc = csc; csc = t_;                                          \
    } while (0)
#define DK_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Problems with M*N*K at or below DK_TINY run a scalar loop; up to DK_SMALL
 * the blocked kernels run single-threaded without packing. */
#define DK_TINY 128
#define DK_SMALL (64 * 64 * 64)

#ifdef DK_GEMM_TUNING /* knobs for the standalone tuning harness only */
int dk_tune_dira = -1, dk_tune_dirb = -1; /* -1 auto, 0 off, 1 on */
int dk_tune_tm = 0;                       /* >0: force tm (T/tm = tn) */
double dk_tune_tiny = -1, dk_tune_small = -1; /* >=0: thresholds */
#endif

/* ------------------------------------------------------------------------ */
/* Kernel selection                                                          */
/* ------------------------------------------------------------------------ */

static _Atomic int g_level = -1;     /* chosen level */
static _Atomic int g_hw_level = -1;  /* best level the CPU supports */

static int detect_level(void) {
#if DK_X86
    __builtin_cpu_init();
    int lvl = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) lvl = 1;
    if (lvl == 1 && __builtin_cpu_supports("avx512f")) lvl = 2;
    return lvl;
#else
    return 0;
#endif
}

static int hw_level(void) {
    int l = atomic_load_explicit(&g_hw_level, memory_order_relaxed);
    if (l < 0) {
        l = detect_level();
        atomic_store_explicit(&g_hw_level, l, memory_order_relaxed);
    }
    return l;
}

static inline int cur_level(void) {
    int l = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (__builtin_expect(l < 0, 0)) {
        l = hw_level();
        const char *e = getenv("DESCENT_GEMM_KERNEL"); /* 0,1,2 caps it */
        if (e && *e >= '0' && *e <= '2' && (*e - '0') < l) l = *e - '0';
        atomic_store_explicit(&g_level, l, memory_order_relaxed);
    }
    return l;
}

int dk_gemm_kernel_level(void) { return cur_level(); }

void dk_gemm_set_kernel_level(int level) {
    if (level < 0) {
        atomic_store(&g_level, -1);
        return;
    }
    int hw = hw_level();
    atomic_store(&g_level, level > hw ? hw : level);
}

/* ------------------------------------------------------------------------ */
/* Thread-local packing buffers                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    void *p;
    size_t cap; /* bytes */
} dk_buf;

typedef struct {
    dk_buf a, b, t;
} dk_tls;

static pthread_key_t g_tls_key;
static pthread_once_t g_tls_once = PTHREAD_ONCE_INIT;
static _Thread_local dk_tls *tl_bufs = NULL;

static void tls_destroy(void *p) {
    dk_tls *t = (dk_tls *)p;
    if (!t) return;
    free(t->a.p);
    free(t->b.p);
    free(t->t.p);
    free(t);
}

static void tls_key_init(void) { pthread_key_create(&g_tls_key, tls_destroy); }

static dk_tls *get_tls(void) {
    dk_tls *t = tl_bufs;
    if (t) return t;
    pthread_once(&g_tls_once, tls_key_init);
    t = (dk_tls *)calloc(1, sizeof(dk_tls));
    if (!t) return NULL;
    pthread_setspecific(g_tls_key, t);
    tl_bufs = t;
    return t;
}

static void *buf_get(dk_buf *b, size_t bytes) {
    if (b->cap >= bytes) return b->p;
    free(b->p);
    b->p = NULL;
    b->cap = 0;
    size_t sz = (bytes + 4095) & ~(size_t)4095;
    void *p = NULL;
    if (posix_memalign(&p, 4096, sz) != 0) return NULL;
    b->p = p;
    b->cap = sz;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Common scalar helpers                                                     */
/* ------------------------------------------------------------------------ */

/* C = alpha*T + beta*C for an mr x nr tile T with row stride ldt. */
static void store_tile(const float *T, int ldt, float *C, int64_t rsc, int64_t csc,
                       int mr, int nr, float alpha, float beta) {
    if (beta == 0.0f) {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) C[r * rsc + j * csc] = alpha * T[r * ldt + j];
    } else {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) {
                float *c = &C[r * rsc + j * csc];
                *c = alpha * T[r * ldt + j] + beta * *c;
            }
    }
}

/* C = beta*C (beta == 0: C = 0, without reading C). */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t rsc, int64_t csc) {
    if (beta == 1.0f) return;
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * rsc;
        if (beta == 0.0f) {
            if (csc == 1)
                memset(c, 0, (size_t)N * sizeof(float));
            else
                for (int64_t j = 0; j < N; j++) c[j * csc] = 0.0f;
        } else {
            for (int64_t j = 0; j < N; j++) c[j * csc] *= beta;
        }
    }
}

/* Reference-style fallback (used only if buffers cannot be allocated). */
static void sgemm_naive(int64_t M, int64_t N, int64_t K, float alpha,
                        const float *A, int64_t rsa, int64_t csa,
                        const float *B, int64_t rsb, int64_t csb,
                        float beta, float *C, int64_t rsc, int64_t csc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float s = 0.0f;
            for (int64_t k = 0; k < K; k++) s += A[i * rsa + k * csa] * B[k * rsb + j * csb];
            float *c = &C[i * rsc + j * csc];
            *c = beta == 0.0f ? alpha * s : alpha * s + beta * *c;
        }
}

/* ------------------------------------------------------------------------ */
/* Packing                                                                   */
/* ------------------------------------------------------------------------ */

/* Pack an mc x kc block of A into MR-row micro-panels: panel p holds, for
 * each k, MR consecutive values A[p*MR + r, k] (zero padded). */
static void pack_a(int64_t mc, int64_t kc, const float *A, int64_t rsa, int64_t csa,
                   int MR, float *dst) {
    if (rsa == 1) {
        /* Column-major A: read each column segment sequentially and scatter it
         * over the panels (prefetch-friendly for long columns). */
        const int64_t np = (mc + MR - 1) / MR;
        const int64_t full = mc / MR;
        const int64_t pstride = (int64_t)MR * kc;
        for (int64_t k = 0; k < kc; k++) {
            const float *s = A + k * csa;
            float *d = dst + k * MR;
            for (int64_t p = 0; p < full; p++)
                for (int r = 0; r < MR; r++) d[p * pstride + r] = s[p * MR + r];
            if (full < np) {
                const int mr = (int)(mc - full * MR);
                for (int r = 0; r < MR; r++)
                    d[full * pstride + r] = r < mr ? s[full * MR + r] : 0.0f;
            }
        }
        return;
    }
    for (int64_t i = 0; i < mc; i += MR) {
        int mr = (int)DK_MIN((int64_t)MR, mc - i);
        const float *a = A + i * rsa;
        if (csa == 1) {
            for (int r = 0; r < mr; r++) {
                const float *s = a + r * rsa;
                float *d = dst + r;
                for (int64_t k = 0; k < kc; k++) d[k * MR] = s[k];
            }
            for (int r = mr; r < MR; r++)
                for (int64_t k = 0; k < kc; k++) dst[k * MR + r] = 0.0f;
        } else {
            for (int64_t k = 0; k < kc; k++) {
                float *d = dst + k * MR;
                for (int r = 0; r < mr; r++) d[r] = a[r * rsa + k * csa];
                for (int r = mr; r < MR; r++) d[r] = 0.0f;
            }
        }
        dst += (int64_t)MR * kc;
    }
}

/* Pack a kc x nc block of B into NR-column micro-panels: panel p holds, for
 * each k, NR consecutive values B[k, p*NR + j] (zero padded). */
#if DK_X86
/* D[c*ldd + r] = S[r*rs + c] for r < rows, c < cols, with 8x8 in-register
 * transposes (AVX). */
DK_T_AVX2 static void transpose_copy_avx2(const float *S, int64_t rs, int rows, int64_t cols,
                                          float *D, int64_t ldd) {
    int r0 = 0;
    const int64_t c8 = cols & ~(int64_t)7;
    for (; r0 + 8 <= rows; r0 += 8) {
        const float *s = S + r0 * rs;
        for (int64_t c = 0; c < c8; c += 8) {
            __m256 x0 = _mm256_loadu_ps(s + 0 * rs + c), x1 = _mm256_loadu_ps(s + 1 * rs + c);
            __m256 x2 = _mm256_loadu_ps(s + 2 * rs + c), x3 = _mm256_loadu_ps(s + 3 * rs + c);
            __m256 x4 = _mm256_loadu_ps(s + 4 * rs + c), x5 = _mm256_loadu_ps(s + 5 * rs + c);
            __m256 x6 = _mm256_loadu_ps(s + 6 * rs + c), x7 = _mm256_loadu_ps(s + 7 * rs + c);
            __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1);
            __m256 t2 = _mm256_unpacklo_ps(x2, x3), t3 = _mm256_unpackhi_ps(x2, x3);
            __m256 t4 = _mm256_unpacklo_ps(x4, x5), t5 = _mm256_unpackhi_ps(x4, x5);
            __m256 t6 = _mm256_unpacklo_ps(x6, x7), t7 = _mm256_unpackhi_ps(x6, x7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
            __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
            __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
            float *d = D + c * ldd + r0;
            _mm256_storeu_ps(d + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (int64_t c = c8; c < cols; c++)
            for (int r = 0; r < 8; r++) D[c * ldd + r0 + r] = s[r * rs + c];
    }
    for (; r0 < rows; r0++) {
        const float *s = S + r0 * rs;
        for (int64_t c = 0; c < cols; c++) D[c * ldd + r0] = s[c];
    }
}
#endif

/* Pack a kc x nc block of B into NR-column micro-panels: panel p holds, for
 * each k, NR consecutive values B[k, p*NR + j] (zero padded). */
#define PACK_ROWS(W) for (int64_t k = 0; k < kc; k++) memcpy(dst + k * (W), b + k * rsb, (W) * sizeof(float))
static void pack_b(int64_t kc, int64_t nc, const float *B, int64_t rsb, int64_t csb,
                   int NR, float *dst, int level) {
    (void)level;
    for (int64_t j = 0; j < nc; j += NR) {
        int nr = (int)DK_MIN((int64_t)NR, nc - j);
        const float *b = B + j * csb;
        if (csb == 1 && nr == NR) {
            /* constant-size copies inline (a libc memcpy call per 64-byte row cost 20% of a step) */
            switch (NR) {
            case 8: PACK_ROWS(8); break;
            case 16: PACK_ROWS(16); break;
            case 32: PACK_ROWS(32); break;
            default:
                for (int64_t k = 0; k < kc; k++) memcpy(dst + k * NR, b + k * rsb, (size_t)NR * sizeof(float));
            }
        } else if (rsb == 1) {
#if DK_X86
            if (level >= 1)
                transpose_copy_avx2(b, csb, nr, kc, dst, NR);
            else
#endif
                for (int jj = 0; jj < nr; jj++) {
                    const float *s = b + jj * csb;
                    float *d = dst + jj;
                    for (int64_t k = 0; k < kc; k++) d[k * NR] = s[k];
                }
            for (int jj = nr; jj < NR; jj++)
                for (int64_t k = 0; k < kc; k++) dst[k * NR + jj] = 0.0f;
        } else {
            for (int64_t k = 0; k < kc; k++) {
                float *d = dst + k * NR;
                for (int jj = 0; jj < nr; jj++) d[jj] = b[k * rsb + jj * csb];
                for (int jj = nr; jj < NR; jj++) d[jj] = 0.0f;
            }
        }
        dst += (int64_t)NR * kc;
    }
}

/* ------------------------------------------------------------------------ */
/* Micro-kernels                                                             */
/* ------------------------------------------------------------------------ */

/* A micro-kernel computes an mr x nr tile (mr <= MR, nr <= NR; the operands
 * are always full MR/NR panels, zero padded when packed) and stores
 * C = alpha*acc + beta*C (beta == 0: C not read).
 *   A element (r, k): "p" kernels  A[r + k*as]  (packed panel: as = MR, or a
 *                                                column-major A: as = csa)
 *                     "r" kernels  A[r*as + k]  (row-major A read directly)
 *   B element (k, j): B[k*bk + j]  (packed panel: bk = NR, or row-major B)  */
typedef void (*dk_skern)(int64_t kc, const float *A, int64_t as, const float *B, int64_t bk,
                         float *C, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                         float beta);

/* Edge/general kernel: A element (r, k) = A[r*a_rs + k*a_cs] (rows >= mr
 * are never read), B element (k, j) = B[k*bk + j] (columns >= nr are never
 * read). Used for partial tiles and operands with arbitrary strides. */
typedef void (*dk_skern_e)(int64_t kc, const float *A, int64_t a_rs, int64_t a_cs,
                           const float *B, int64_t bk, float *C, int64_t rsc, int64_t csc,
                           int mr, int nr, float alpha, float beta);

/* Portable 4 x 8 kernel. */
#define G_MR 4
#define G_NR 8
DK_INLINE void ukr_generic_body(int64_t kc, const float *restrict A, int64_t a_rs, int64_t a_cs,
                                const float *restrict B, int64_t bk, float *C, int64_t rsc,
                                int64_t csc, int mr, int nr, float alpha, float beta) {
    float acc[G_MR][G_NR];
    for (int r = 0; r < G_MR; r++)
        for (int j = 0; j < G_NR; j++) acc[r][j] = 0.0f;
    for (int64_t k = 0; k < kc; k++) {
        for (int r = 0; r < G_MR; r++) {
            float a = A[r * a_rs];
            for (int j = 0; j < G_NR; j++) acc[r][j] += a * B[j];
        }
        A += a_cs;
        B += bk;
    }
    store_tile(&acc[0][0], G_NR, C, rsc, csc, mr, nr, alpha, beta);
}
static void ukr_generic_p(int64_t kc, const float *A, int64_t as, const float *B, int64_t bk,
                          float *C, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                          float beta) {
    ukr_generic_body(kc, A, 1, as, B, bk, C, rsc, csc, mr, nr, alpha, beta);
}
static void ukr_generic_r(int64_t kc, const float *A, int64_t as, const float *B, int64_t bk,
                          float *C, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                          float beta) {
    ukr_generic_body(kc, A, as, 1, B, bk, C, rsc, csc, mr, nr, alpha, beta);
}
static void ukr_generic_e(int64_t kc, const float *A, int64_t a_rs, int64_t a_cs,
                          const float *B, int64_t bk, float *C, int64_t rsc, int64_t csc,
                          int mr, int nr, float alpha, float beta) {
    float acc[G_MR][G_NR];
    for (int r = 0; r < G_MR; r++)
        for (int j = 0; j < G_NR; j++) acc[r][j] = 0.0f;
    for (int64_t k = 0; k < kc; k++) {
        for (int r = 0; r < mr; r++) {
            float a = A[r * a_rs];
            for (int j = 0; j < nr; j++) acc[r][j] += a * B[j];
        }
        A += a_cs;
        B += bk;
    }
    store_tile(&acc[0][0], G_NR, C, rsc, csc, mr, nr, alpha, beta);
}

#if DK_X86

/* Software prefetch of a column-major A panel read directly (k stride as):
 * the lines for k + DK_PF_K .. k + DK_PF_K + 3 (first and last element). */
#define DK_PF_K 24
#define DK_PREFETCH_A(A, as, MR)                                                     \
    do {                                                                             \
        for (int q_ = 0; q_ < 4; q_++) {                                             \
            _mm_prefetch((const char *)((A) + (DK_PF_K + q_) * (as)), _MM_HINT_T0);   \
            _mm_prefetch((const char *)((A) + (DK_PF_K + q_) * (as) + (MR)-1), _MM_HINT_T0); \
        }                                                                            \
    } while (0)

/* AVX2 + FMA: 6 x 16 (k loop written like the AVX-512 one, see there). */
#define A2_MR 6
#define A2_NR 16
#define DK_BCAST256(dst, ptr) \
    __asm__ __volatile__("vbroadcastss %1, %0" : "=x"(dst) : "m"(*(const float *)(ptr)))
#define DK_LOAD256(dst, ptr) \
    __asm__ __volatile__("vmovups %1, %0" : "=x"(dst) : "m"(*(const __m256 *)(const void *)(ptr)))
#define DK_FMA256(acc, a, b) \
    __asm__ __volatile__("vfmadd231ps %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b))

DK_INLINE DK_T_AVX2 void ukr_avx2_body(int64_t kc, const float *restrict A, int64_t a_rs,
                                       int64_t a_cs, const float *restrict B, int64_t bk,
                                       float *C, int64_t rsc, int64_t csc, int mr, int nr,
                                       float alpha, float beta, int pfa) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define A2_R(i, x0, x1)                                   \
    DK_BCAST256(a, A + (u) * a_cs + (i) * a_rs);          \
    DK_FMA256(x0, a, b0);                                 \
    DK_FMA256(x1, a, b1);
#define A2_STEP(uu)                                      \
    do {                                                 \
        const int64_t u = (uu);                          \
        __m256 b0, b1;                                   \
        DK_LOAD256(b0, B + u * bk);                      \
        DK_LOAD256(b1, B + u * bk + 8);                  \
        __m256 a;                                        \
        A2_R(0, c00, c01)                                \
        A2_R(1, c10, c11)                                \
        A2_R(2, c20, c21)                                \
        A2_R(3, c30, c31)                                \
        A2_R(4, c40, c41)                                \
        A2_R(5, c50, c51)                                \
    } while (0)
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        if (pfa) DK_PREFETCH_A(A, a_cs, A2_MR);
        _mm_prefetch((const char *)(B + 8 * bk), _MM_HINT_T0);
        A2_STEP(0);
        A2_STEP(1);
        _mm_prefetch((const char *)(B + 10 * bk), _MM_HINT_T0);
        A2_STEP(2);
        A2_STEP(3);
        A += 4 * a_cs;
        B += 4 * bk;
    }
    for (; k < kc; k++) {
        A2_STEP(0);
        A += a_cs;
        B += bk;
    }
#undef A2_STEP
#undef A2_R
    if (csc == 1) {
        const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), idx);
        __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), idx);
        __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
        int full = nr == 16, hasb = beta != 0.0f;
#define A2_ROW(r, x0, x1)                                                     \
    if ((r) < mr) {                                                           \
        float *cr = C + (r) * rsc;                                            \
        __m256 v0 = _mm256_mul_ps(x0, va), v1 = _mm256_mul_ps(x1, va);        \
        if (full) {                                                           \
            if (hasb) {                                                       \
                v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), v0);            \
                v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), v1);        \
            }                                                                 \
            _mm256_storeu_ps(cr, v0);                                         \
            _mm256_storeu_ps(cr + 8, v1);                                     \
        } else {                                                              \
            if (hasb) {                                                       \
                v0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), v0);     \
                v1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), v1); \
            }                                                                 \
            _mm256_maskstore_ps(cr, m0, v0);                                  \
            _mm256_maskstore_ps(cr + 8, m1, v1);                              \
        }                                                                     \
    }
        A2_ROW(0, c00, c01)
        A2_ROW(1, c10, c11)
        A2_ROW(2, c20, c21)
        A2_ROW(3, c30, c31)
        A2_ROW(4, c40, c41)
        A2_ROW(5, c50, c51)
#undef A2_ROW
    } else {
        float t[A2_MR * A2_NR];
        _mm256_storeu_ps(t + 0, c00);
        _mm256_storeu_ps(t + 8, c01);
        _mm256_storeu_ps(t + 16, c10);
        _mm256_storeu_ps(t + 24, c11);
        _mm256_storeu_ps(t + 32, c20);
        _mm256_storeu_ps(t + 40, c21);
        _mm256_storeu_ps(t + 48, c30);
        _mm256_storeu_ps(t + 56, c31);
        _mm256_storeu_ps(t + 64, c40);
        _mm256_storeu_ps(t + 72, c41);
        _mm256_storeu_ps(t + 80, c50);
        _mm256_storeu_ps(t + 88, c51);
        store_tile(t, A2_NR, C, rsc, csc, mr, nr, alpha, beta);
    }
}

DK_T_AVX2 static void ukr_avx2_p(int64_t kc, const float *A, int64_t as, const float *B,
                                 int64_t bk, float *C, int64_t rsc, int64_t csc, int mr,
                                 int nr, float alpha, float beta) {
    if (as == A2_MR && bk == A2_NR)
        ukr_avx2_body(kc, A, 1, A2_MR, B, A2_NR, C, rsc, csc, mr, nr, alpha, beta, 0);
    else if (as == A2_MR)
        ukr_avx2_body(kc, A, 1, A2_MR, B, bk, C, rsc, csc, mr, nr, alpha, beta, 0);
    else
        ukr_avx2_body(kc, A, 1, as, B, bk, C, rsc, csc, mr, nr, alpha, beta, 1);
}
DK_T_AVX2 static void ukr_avx2_r(int64_t kc, const float *A, int64_t as, const float *B,
                                 int64_t bk, float *C, int64_t rsc, int64_t csc, int mr,
                                 int nr, float alpha, float beta) {
    ukr_avx2_body(kc, A, as, 1, B, bk, C, rsc, csc, mr, nr, alpha, beta, 0);
}

#define A2_ROWS(X) \
    X(0, c00, c01) X(1, c10, c11) X(2, c20, c21) X(3, c30, c31) X(4, c40, c41) X(5, c50, c51)

DK_T_AVX2 static void ukr_avx2_e(int64_t kc, const float *A, int64_t a_rs, int64_t a_cs,
                                 const float *B, int64_t bk, float *C, int64_t rsc,
                                 int64_t csc, int mr, int nr, float alpha, float beta) {
    int64_t ro[A2_MR];
    for (int r = 0; r < A2_MR; r++) ro[r] = (int64_t)(r < mr ? r : mr - 1) * a_rs;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), idx);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), idx);
#define E2_DECL(i, x0, x1) __m256 x0 = _mm256_setzero_ps(), x1 = _mm256_setzero_ps();
    A2_ROWS(E2_DECL)
#undef E2_DECL
    if (nr <= 8) {
#define E2_ONE(i, x0, x1) x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(A + ro[i]), b0, x0);
        for (int64_t k = 0; k < kc; k++) {
            __m256 b0 = _mm256_maskload_ps(B, m0);
            A2_ROWS(E2_ONE)
            A += a_cs;
            B += bk;
        }
#undef E2_ONE
    } else {
#define E2_TWO(i, x0, x1)                              \
    {                                                  \
        __m256 a = _mm256_broadcast_ss(A + ro[i]);     \
        x0 = _mm256_fmadd_ps(a, b0, x0);               \
        x1 = _mm256_fmadd_ps(a, b1, x1);               \
    }
        for (int64_t k = 0; k < kc; k++) {
            __m256 b0 = _mm256_loadu_ps(B), b1 = _mm256_maskload_ps(B + 8, m1);
            A2_ROWS(E2_TWO)
            A += a_cs;
            B += bk;
        }
#undef E2_TWO
    }
    float t[A2_MR * A2_NR];
#define E2_T(i, x0, x1)                          \
    _mm256_storeu_ps(t + (i) * A2_NR, x0);       \
    _mm256_storeu_ps(t + (i) * A2_NR + 8, x1);
    A2_ROWS(E2_T)
#undef E2_T
    store_tile(t, A2_NR, C, rsc, csc, mr, nr, alpha, beta);
}

/* AVX-512F: 12 x 32.
 * The k loop is written with one volatile asm statement per instruction:
 * volatile asm statements keep their order, which stops clang from hoisting
 * the broadcasts of later k steps above earlier FMAs and spilling them
 * (observed with clang 21 for the row-major-A variant; a 2x slowdown). The
 * compiler still allocates registers and computes addresses. */
#define A5_MR 12
#define A5_NR 32
#define DK_BCAST512(dst, ptr) \
    __asm__ __volatile__("vbroadcastss %1, %0" : "=v"(dst) : "m"(*(const float *)(ptr)))
#define DK_LOAD512(dst, ptr) \
    __asm__ __volatile__("vmovups %1, %0" : "=v"(dst) : "m"(*(const __m512 *)(const void *)(ptr)))
#define DK_FMA512(acc, a, b) \
    __asm__ __volatile__("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))

DK_INLINE DK_T_AVX512 void ukr_avx512_body(int64_t kc, const float *restrict A, int64_t a_rs,
                                           int64_t a_cs, const float *restrict B, int64_t bk,
                                           float *C, int64_t rsc, int64_t csc, int mr, int nr,
                                           float alpha, float beta, int pfa) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
    __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
    __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
    __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps();
    __m512 c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps();
    __m512 c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
    __m512 ca0 = _mm512_setzero_ps(), ca1 = _mm512_setzero_ps();
    __m512 cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
#define A5_R(i, x0, x1)                                   \
    DK_BCAST512(a, A + (u) * a_cs + (i) * a_rs);          \
    DK_FMA512(x0, a, b0);                                 \
    DK_FMA512(x1, a, b1);
#define A5_STEP(uu)                                       \
    do {                                                  \
        const int64_t u = (uu);                           \
        __m512 b0, b1;                                    \
        DK_LOAD512(b0, B + u * bk);                       \
        DK_LOAD512(b1, B + u * bk + 16);                  \
        __m512 a;                                         \
        A5_R(0, c00, c01)                                 \
        A5_R(1, c10, c11)                                 \
        A5_R(2, c20, c21)                                 \
        A5_R(3, c30, c31)                                 \
        A5_R(4, c40, c41)                                 \
        A5_R(5, c50, c51)                                 \
        A5_R(6, c60, c61)                                 \
        A5_R(7, c70, c71)                                 \
        A5_R(8, c80, c81)                                 \
        A5_R(9, c90, c91)                                 \
        A5_R(10, ca0, ca1)                                \
        A5_R(11, cb0, cb1)                                \
    } while (0)
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        if (pfa) DK_PREFETCH_A(A, a_cs, A5_MR);
        _mm_prefetch((const char *)(B + 8 * bk), _MM_HINT_T0);
        _mm_prefetch((const char *)(B + 8 * bk + 16), _MM_HINT_T0);
        A5_STEP(0);
        A5_STEP(1);
        _mm_prefetch((const char *)(B + 10 * bk), _MM_HINT_T0);
        _mm_prefetch((const char *)(B + 10 * bk + 16), _MM_HINT_T0);
        A5_STEP(2);
        A5_STEP(3);
        A += 4 * a_cs;
        B += 4 * bk;
    }
    for (; k < kc; k++) {
        A5_STEP(0);
        A += a_cs;
        B += bk;
    }
#undef A5_STEP
#undef A5_R
    if (csc == 1) {
        __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
        __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF
                                : (nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0);
        __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
        int hasb = beta != 0.0f;
#define A5_ROW(r, x0, x1)                                                      \
    if ((r) < mr) {                                                            \
        float *cr = C + (r) * rsc;                                             \
        __m512 v0 = _mm512_mul_ps(x0, va), v1 = _mm512_mul_ps(x1, va);         \
        if (hasb) {                                                            \
            v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), v0);       \
            v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), v1);  \
        }                                                                      \
        _mm512_mask_storeu_ps(cr, m0, v0);                                     \
        _mm512_mask_storeu_ps(cr + 16, m1, v1);                                \
    }
        A5_ROW(0, c00, c01)
        A5_ROW(1, c10, c11)
        A5_ROW(2, c20, c21)
        A5_ROW(3, c30, c31)
        A5_ROW(4, c40, c41)
        A5_ROW(5, c50, c51)
        A5_ROW(6, c60, c61)
        A5_ROW(7, c70, c71)
        A5_ROW(8, c80, c81)
        A5_ROW(9, c90, c91)
        A5_ROW(10, ca0, ca1)
        A5_ROW(11, cb0, cb1)
#undef A5_ROW
    } else {
        float t[A5_MR * A5_NR];
        _mm512_storeu_ps(t + 0 * 32, c00);
        _mm512_storeu_ps(t + 0 * 32 + 16, c01);
        _mm512_storeu_ps(t + 1 * 32, c10);
        _mm512_storeu_ps(t + 1 * 32 + 16, c11);
        _mm512_storeu_ps(t + 2 * 32, c20);
        _mm512_storeu_ps(t + 2 * 32 + 16, c21);
        _mm512_storeu_ps(t + 3 * 32, c30);
        _mm512_storeu_ps(t + 3 * 32 + 16, c31);
        _mm512_storeu_ps(t + 4 * 32, c40);
        _mm512_storeu_ps(t + 4 * 32 + 16, c41);
        _mm512_storeu_ps(t + 5 * 32, c50);
        _mm512_storeu_ps(t + 5 * 32 + 16, c51);
        _mm512_storeu_ps(t + 6 * 32, c60);
        _mm512_storeu_ps(t + 6 * 32 + 16, c61);
        _mm512_storeu_ps(t + 7 * 32, c70);
        _mm512_storeu_ps(t + 7 * 32 + 16, c71);
        _mm512_storeu_ps(t + 8 * 32, c80);
        _mm512_storeu_ps(t + 8 * 32 + 16, c81);
        _mm512_storeu_ps(t + 9 * 32, c90);
        _mm512_storeu_ps(t + 9 * 32 + 16, c91);
        _mm512_storeu_ps(t + 10 * 32, ca0);
        _mm512_storeu_ps(t + 10 * 32 + 16, ca1);
        _mm512_storeu_ps(t + 11 * 32, cb0);
        _mm512_storeu_ps(t + 11 * 32 + 16, cb1);
        store_tile(t, A5_NR, C, rsc, csc, mr, nr, alpha, beta);
    }
}

DK_T_AVX512 static void ukr_avx512_p(int64_t kc, const float *A, int64_t as, const float *B,
                                     int64_t bk, float *C, int64_t rsc, int64_t csc, int mr,
                                     int nr, float alpha, float beta) {
    if (as == A5_MR && bk == A5_NR)
        ukr_avx512_body(kc, A, 1, A5_MR, B, A5_NR, C, rsc, csc, mr, nr, alpha, beta, 0);
    else if (as == A5_MR)
        ukr_avx512_body(kc, A, 1, A5_MR, B, bk, C, rsc, csc, mr, nr, alpha, beta, 0);
    else
        ukr_avx512_body(kc, A, 1, as, B, bk, C, rsc, csc, mr, nr, alpha, beta, 1);
}
DK_T_AVX512 static void ukr_avx512_r(int64_t kc, const float *A, int64_t as, const float *B,
                                     int64_t bk, float *C, int64_t rsc, int64_t csc, int mr,
                                     int nr, float alpha, float beta) {
    ukr_avx512_body(kc, A, as, 1, B, bk, C, rsc, csc, mr, nr, alpha, beta, 0);
}

#define A5_ROWS(X)                                                                   \
    X(0, c00, c01) X(1, c10, c11) X(2, c20, c21) X(3, c30, c31) X(4, c40, c41)       \
    X(5, c50, c51) X(6, c60, c61) X(7, c70, c71) X(8, c80, c81) X(9, c90, c91)       \
    X(10, ca0, ca1) X(11, cb0, cb1)

DK_T_AVX512 static void ukr_avx512_e(int64_t kc, const float *A, int64_t a_rs, int64_t a_cs,
                                     const float *B, int64_t bk, float *C, int64_t rsc,
                                     int64_t csc, int mr, int nr, float alpha, float beta) {
    int64_t ro[A5_MR];
    for (int r = 0; r < A5_MR; r++) ro[r] = (int64_t)(r < mr ? r : mr - 1) * a_rs;
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF
                                  : (nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0);
#define E5_DECL(i, x0, x1) __m512 x0 = _mm512_setzero_ps(), x1 = _mm512_setzero_ps();
    A5_ROWS(E5_DECL)
#undef E5_DECL
    if (nr <= 16) {
#define E5_ONE(i, x0, x1) x0 = _mm512_fmadd_ps(_mm512_set1_ps(A[ro[i]]), b0, x0);
        for (int64_t k = 0; k < kc; k++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, B);
            A5_ROWS(E5_ONE)
            A += a_cs;
            B += bk;
        }
#undef E5_ONE
    } else {
#define E5_TWO(i, x0, x1)                          \
    {                                              \
        __m512 a = _mm512_set1_ps(A[ro[i]]);       \
        x0 = _mm512_fmadd_ps(a, b0, x0);           \
        x1 = _mm512_fmadd_ps(a, b1, x1);           \
    }
        for (int64_t k = 0; k < kc; k++) {
            __m512 b0 = _mm512_loadu_ps(B), b1 = _mm512_maskz_loadu_ps(m1, B + 16);
            A5_ROWS(E5_TWO)
            A += a_cs;
            B += bk;
        }
#undef E5_TWO
    }
    if (csc == 1) {
        const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
        const int hasb = beta != 0.0f;
#define E5_ST(i, x0, x1)                                                        \
    if ((i) < mr) {                                                             \
        float *cr = C + (i) * rsc;                                              \
        __m512 v0 = _mm512_mul_ps(x0, va), v1 = _mm512_mul_ps(x1, va);          \
        if (hasb) {                                                             \
            v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), v0);        \
            v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), v1);   \
        }                                                                       \
        _mm512_mask_storeu_ps(cr, m0, v0);                                      \
        _mm512_mask_storeu_ps(cr + 16, m1, v1);                                 \
    }
        A5_ROWS(E5_ST)
#undef E5_ST
    } else {
        float t[A5_MR * A5_NR];
#define E5_T(i, x0, x1)                          \
    _mm512_storeu_ps(t + (i) * A5_NR, x0);       \
    _mm512_storeu_ps(t + (i) * A5_NR + 16, x1);
        A5_ROWS(E5_T)
#undef E5_T
        store_tile(t, A5_NR, C, rsc, csc, mr, nr, alpha, beta);
    }
}
#endif /* DK_X86 */

/* ------------------------------------------------------------------------ */
/* Blocked driver                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    int MR, NR;
    int64_t KC, MC, NC;
    dk_skern kp, kr;
    dk_skern_e ke;
    int level;
    int kc_fixed; /* 1: K is cut into blocks of exactly KC from the start (dk_sgemm_kc) */
} dk_sarch;

static const dk_sarch g_arch_generic = {G_MR, G_NR, 256, 256, 1024,
                                        ukr_generic_p, ukr_generic_r, ukr_generic_e, 0};
#if DK_X86
static const dk_sarch g_arch_avx2 = {A2_MR, A2_NR, 256, 1200, 1024,
                                     ukr_avx2_p, ukr_avx2_r, ukr_avx2_e, 1};
static const dk_sarch g_arch_avx512 = {A5_MR, A5_NR, 384, 1920, 1024,
                                       ukr_avx512_p, ukr_avx512_r, ukr_avx512_e, 2};
#endif

static const dk_sarch *arch_for(int level) {
#if DK_X86
    if (level >= 2) return &g_arch_avx512;
    if (level == 1) return &g_arch_avx2;
#endif
    (void)level;
    return &g_arch_generic;
}

/* Balanced block size: split n into ceil(n/max) blocks of (roughly) equal
 * size, rounded up to a multiple of `mult`. */
static int64_t balanced(int64_t n, int64_t max, int64_t mult) {
    if (n <= max) return n;
    int64_t nb = (n + max - 1) / max;
    int64_t b = (n + nb - 1) / nb;
    b = (b + mult - 1) / mult * mult;
    return b > max ? max : b;
}


/* Which operands the micro-kernel reads in place instead of packing.
 * dira: 0 pack A, 1 row-major A direct, 2 column-major A direct. */
static void choose_direct(const dk_sarch *ar, int64_t M, int64_t N, int64_t K, int64_t rsa,
                          int64_t csa, int64_t csb, int *dira, int *dirb) {
    const int MR = ar->MR, NR = ar->NR;
    int a = 0;
    if (csa == 1)
        a = 1;
    else if (rsa == 1 && N <= 4 * NR)
        a = 2;
    int b = csb == 1 && (M <= 2 * MR || (M <= 8 * MR && (double)K * (double)N <= 256.0 * 1024.0));
#ifdef DK_GEMM_TUNING
    if (dk_tune_dira == 0) a = 0;
    if (dk_tune_dira == 1) a = csa == 1 ? 1 : (rsa == 1 ? 2 : 0);
    if (dk_tune_dirb >= 0) b = dk_tune_dirb && csb == 1;
#endif
    *dira = a;
    *dirb = b;
}

/* Serial blocked product on one block of C. Operands that can be streamed by
 * the micro-kernel directly are not packed:
 *   A row-major (csa == 1) always; A column-major (rsa == 1) when N is small
 *   (each A panel is then used by only a few micro-kernel calls, so packing
 *   would cost about as much as the compute); B row-major (csb == 1) when M
 *   is small. Partial tiles go through the edge kernel, which never reads
 *   outside the operands. With `small` set (small problems) nothing but a
 *   non-row-major B is packed, and A may have any strides. */
static void sgemm_blocked(const dk_sarch *ar, int64_t M, int64_t N, int64_t K, float alpha,
                          const float *A, int64_t rsa, int64_t csa,
                          const float *B, int64_t rsb, int64_t csb,
                          float beta, float *C, int64_t rsc, int64_t csc, int small) {
    const int MR = ar->MR, NR = ar->NR;
    const int64_t KC = ar->kc_fixed ? DK_MIN(ar->KC, K) : balanced(K, ar->KC, 8);
    const int64_t MC = balanced(M, ar->MC, MR);
    const int64_t NC = balanced(N, ar->NC, NR);
    const int64_t MCp = (MC + MR - 1) / MR * MR;
    const int64_t NCp = (NC + NR - 1) / NR * NR;

    /* dira: 0 packed, 1 row-major direct, 2 column-major direct, 3 general */
    int dira, dirb;
    if (small) {
        dira = csa == 1 ? 1 : (rsa == 1 ? 2 : 3);
        dirb = csb == 1;
    } else {
        choose_direct(ar, M, N, K, rsa, csa, csb, &dira, &dirb);
    }
    float *Ap = NULL, *Bp = NULL;
    _Alignas(64) float bstack[4096];
    if (!dira || !dirb) {
        const size_t bsz = (size_t)(NCp * KC);
        if (dira && bsz <= 4096) {
            Bp = bstack;
        } else {
            dk_tls *tls = get_tls();
            if (tls && !dira) Ap = (float *)buf_get(&tls->a, (size_t)(MCp * KC) * sizeof(float));
            if (tls && !dirb) Bp = (float *)buf_get(&tls->b, bsz * sizeof(float));
            if ((!dira && !Ap) || (!dirb && !Bp)) {
                sgemm_naive(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
                return;
            }
        }
    }
    const dk_skern kp = ar->kp, kr = ar->kr;
    const dk_skern_e ke = ar->ke;
    for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = DK_MIN(MC, M - ic);
        for (int64_t pc = 0; pc < K; pc += KC) {
            const int64_t kc = DK_MIN(KC, K - pc);
            const float beff = pc == 0 ? beta : 1.0f;
            if (!dira) pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, MR, Ap);
            for (int64_t jc = 0; jc < N; jc += NC) {
                const int64_t nc = DK_MIN(NC, N - jc);
                if (!dirb) pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, NR, Bp, ar->level);
                for (int64_t ir = 0; ir < mc; ir += MR) {
                    const int mr = (int)DK_MIN((int64_t)MR, mc - ir);
                    const float *ap;
                    int64_t a_rs, a_cs;
                    switch (dira) {
                    case 0: ap = Ap + ir * kc; a_rs = 1; a_cs = MR; break;
                    case 1: ap = A + (ic + ir) * rsa + pc; a_rs = rsa; a_cs = 1; break;
                    case 2: ap = A + (ic + ir) + pc * csa; a_rs = 1; a_cs = csa; break;
                    default: ap = A + (ic + ir) * rsa + pc * csa; a_rs = rsa; a_cs = csa; break;
                    }
                    float *cp = C + (ic + ir) * rsc + jc * csc;
                    for (int64_t jr = 0; jr < nc; jr += NR) {
                        const int nr = (int)DK_MIN((int64_t)NR, nc - jr);
                        const float *bp = dirb ? B + pc * rsb + jc + jr : Bp + jr * kc;
                        const int64_t bk = dirb ? rsb : NR;
                        float *ct = cp + jr * csc;
                        if (mr == MR && nr == NR && dira != 3) {
                            if (dira == 1)
                                kr(kc, ap, a_rs, bp, bk, ct, rsc, csc, mr, nr, alpha, beff);
                            else
                                kp(kc, ap, a_cs, bp, bk, ct, rsc, csc, mr, nr, alpha, beff);
                        } else {
                            ke(kc, ap, a_rs, a_cs, bp, bk, ct, rsc, csc, mr, nr, alpha, beff);
                        }
                    }
                }
            }
        }
    }
}

typedef struct {
    const dk_sarch *ar;
    int64_t M, N, K;
    float alpha, beta;
    const float *A;
    int64_t rsa, csa;
    const float *B;
    int64_t rsb, csb;
    float *C;
    int64_t rsc, csc;
    int64_t tm, tn;
} dk_sg_job;

/* Start of part p of n units split into `parts` (balanced), in elements. */
static int64_t part_start(int64_t units, int64_t parts, int64_t p, int64_t unit, int64_t total) {
    int64_t q = units / parts, r = units % parts;
    int64_t u = p * q + DK_MIN(p, r);
    int64_t s = u * unit;
    return s > total ? total : s;
}

static void sg_task(void *vctx, int64_t b, int64_t e) {
    const dk_sg_job *j = (const dk_sg_job *)vctx;
    const int64_t mu = (j->M + j->ar->MR - 1) / j->ar->MR;
    const int64_t nu = (j->N + j->ar->NR - 1) / j->ar->NR;
    for (int64_t t = b; t < e; t++) {
        int64_t ti = t / j->tn, tj = t % j->tn;
        int64_t m0 = part_start(mu, j->tm, ti, j->ar->MR, j->M);
        int64_t m1 = part_start(mu, j->tm, ti + 1, j->ar->MR, j->M);
        int64_t n0 = part_start(nu, j->tn, tj, j->ar->NR, j->N);
        int64_t n1 = part_start(nu, j->tn, tj + 1, j->ar->NR, j->N);
        if (m1 <= m0 || n1 <= n0) continue;
        sgemm_blocked(j->ar, m1 - m0, n1 - n0, j->K, j->alpha,
                      j->A + m0 * j->rsa, j->rsa, j->csa,
                      j->B + n0 * j->csb, j->rsb, j->csb,
                      j->beta, j->C + m0 * j->rsc + n0 * j->csc, j->rsc, j->csc, 0);
    }
}

/* Floats the blocked product copies into packed panels: A once, B once per MC block of rows. */
static double pack_volume(const dk_sarch *ar, int64_t M, int64_t N, int64_t K, int64_t rsa,
                          int64_t csa, int64_t csb) {
    int dira, dirb;
    choose_direct(ar, M, N, K, rsa, csa, csb, &dira, &dirb);
    double v = 0.0;
    if (!dira) v += (double)M * (double)K;
    if (!dirb) v += (double)K * (double)N * (double)((M + ar->MC - 1) / ar->MC);
    return v;
}

/* Whether C^T = B^T A^T packs far less than C = A B: a weight gradient g^T x with few rows
 * (32 x 784 over K = 12665) would otherwise copy all of x into panels, while transposed x is read
 * in place and only g is packed. The products and their order per element are the same. */
static int transposed_packs_less(const dk_sarch *ar, int64_t M, int64_t N, int64_t K, int64_t rsa,
                                 int64_t csa, int64_t rsb, int64_t csb) {
    return 2.0 * pack_volume(ar, N, M, K, csb, rsb, rsa) < pack_volume(ar, M, N, K, rsa, csa, csb);
}

static void sgemm_packed(const dk_sarch *ar, int64_t M, int64_t N, int64_t K, float alpha,
                         const float *A, int64_t rsa, int64_t csa,
                         const float *B, int64_t rsb, int64_t csb,
                         float beta, float *C, int64_t rsc, int64_t csc) {
    const int64_t mu = (M + ar->MR - 1) / ar->MR;
    const int64_t nu = (N + ar->NR - 1) / ar->NR;
    /* Threads: roughly one per 2*64^3 flops of work, at most the pool size. */
    double work = (double)M * (double)N * (double)K;
    int64_t T = dk_num_threads();
    int64_t Tw = (int64_t)(work / (64.0 * 64.0 * 64.0));
    if (Tw < T) T = Tw < 1 ? 1 : Tw;
    if (T > mu * nu) T = mu * nu;
    int64_t best_tm = 1, best_tn = 1;
    if (T > 1) {
        double best = -1.0;
        for (int64_t tm = 1; tm <= T; tm++) {
            if (T % tm) continue;
            int64_t tn = T / tm;
            if (tm > mu || tn > nu) continue;
            int64_t mt = (mu + tm - 1) / tm * ar->MR;
            int64_t nt = (nu + tn - 1) / tn * ar->NR;
            int dira, dirb;
            choose_direct(ar, mt, nt, K, rsa, csa, csb, &dira, &dirb);
            /* compute (with padding) + packing (one element ~ 8 FMAs) */
            double c = (double)mt * (double)nt * (double)K;
            if (!dira) c += 8.0 * (double)mt * (double)K;
            if (!dirb) c += 8.0 * (double)K * (double)nt * (double)((mt + ar->MC - 1) / ar->MC);
#ifdef DK_GEMM_TUNING
            if (dk_tune_tm > 0) c = tm == dk_tune_tm ? 0.0 : 1.0;
#endif
            if (best < 0 || c < best) {
                best = c;
                best_tm = tm;
                best_tn = tn;
            }
        }
        if (best < 0) T = 1;
    }
    if (T <= 1) {
        sgemm_blocked(ar, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc, 0);
        return;
    }
    dk_sg_job job = {ar, M, N, K, alpha, beta, A, rsa, csa, B, rsb, csb, C, rsc, csc,
                     best_tm, best_tn};
    dk_parallel_for(best_tm * best_tn, 1, sg_task, &job);
}

/* ------------------------------------------------------------------------ */
/* Tiny problems and gemv (M == 1), templated over the target ISA            */
/* ------------------------------------------------------------------------ */

/* gemv, axpy form: c[j] = alpha * sum_k a[k]*B[k, j] + beta*c[j], B rows
 * contiguous (csb == 1). Columns processed in L1-sized chunks. */
#define DK_GEMV_JB 1024
DK_INLINE void gemv_axpy_body(int64_t N, int64_t K, float alpha, const float *a, int64_t inca,
                              const float *B, int64_t rsb, float beta, float *c, int64_t incc) {
    float acc[DK_GEMV_JB];
    for (int64_t j0 = 0; j0 < N; j0 += DK_GEMV_JB) {
        const int64_t jb = DK_MIN((int64_t)DK_GEMV_JB, N - j0);
        for (int64_t j = 0; j < jb; j++) acc[j] = 0.0f;
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {
            const float s0 = a[k * inca], s1 = a[(k + 1) * inca];
            const float s2 = a[(k + 2) * inca], s3 = a[(k + 3) * inca];
            const float *b0 = B + k * rsb + j0, *b1 = b0 + rsb, *b2 = b1 + rsb, *b3 = b2 + rsb;
            for (int64_t j = 0; j < jb; j++)
                acc[j] += (s0 * b0[j] + s1 * b1[j]) + (s2 * b2[j] + s3 * b3[j]);
        }
        for (; k < K; k++) {
            const float s = a[k * inca];
            const float *b = B + k * rsb + j0;
            for (int64_t j = 0; j < jb; j++) acc[j] += s * b[j];
        }
        float *cc = c + j0 * incc;
        if (beta == 0.0f)
            for (int64_t j = 0; j < jb; j++) cc[j * incc] = alpha * acc[j];
        else
            for (int64_t j = 0; j < jb; j++) cc[j * incc] = alpha * acc[j] + beta * cc[j * incc];
    }
}

/* Portable dot product with 16 independent partial sums (vectorisable
 * without reassociation flags). */
DK_INLINE float dot_generic(const float *x, const float *y, int64_t n) {
    float s[16];
    for (int u = 0; u < 16; u++) s[u] = 0.0f;
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (int u = 0; u < 16; u++) s[u] += x[k + u] * y[k + u];
    float t = 0.0f;
    for (; k < n; k++) t += x[k] * y[k];
    for (int u = 0; u < 8; u++) s[u] += s[u + 8];
    for (int u = 0; u < 4; u++) s[u] += s[u + 4];
    return t + ((s[0] + s[2]) + (s[1] + s[3]));
}

static void gemv_axpy_generic(int64_t N, int64_t K, float alpha, const float *a, int64_t inca,
                              const float *B, int64_t rsb, float beta, float *c, int64_t incc) {
    gemv_axpy_body(N, K, alpha, a, inca, B, rsb, beta, c, incc);
}

/* Dot form: c[j] = alpha * dot(a, B[:, j]) + beta*c[j], a and columns of B
 * contiguous. */
static void gemv_dot_generic(int64_t N, int64_t K, float alpha, const float *a,
                             const float *B, int64_t csb, float beta, float *c, int64_t incc) {
    for (int64_t j = 0; j < N; j++) {
        float s = dot_generic(a, B + j * csb, K);
        float *cc = c + j * incc;
        *cc = beta == 0.0f ? alpha * s : alpha * s + beta * *cc;
    }
}

#if DK_X86
DK_T_AVX2 static void gemv_axpy_avx2(int64_t N, int64_t K, float alpha, const float *a,
                                     int64_t inca, const float *B, int64_t rsb, float beta,
                                     float *c, int64_t incc) {
    gemv_axpy_body(N, K, alpha, a, inca, B, rsb, beta, c, incc);
}

DK_T_AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Four dot products sharing the loads of a. */
DK_T_AVX2 static void gemv_dot_avx2(int64_t N, int64_t K, float alpha, const float *a,
                                    const float *B, int64_t csb, float beta, float *c,
                                    int64_t incc) {
    int64_t j = 0;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int64_t K8 = K & ~(int64_t)7;
    const __m256i tailm = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(K - K8)), idx);
    float res[4];
    for (; j < N; j += 4) {
        const int nj = (int)DK_MIN((int64_t)4, N - j);
        const float *b0 = B + j * csb;
        const float *b1 = nj > 1 ? b0 + csb : b0;
        const float *b2 = nj > 2 ? b0 + 2 * csb : b0;
        const float *b3 = nj > 3 ? b0 + 3 * csb : b0;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
        __m256 t2 = _mm256_setzero_ps(), t3 = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 16 <= K; k += 16) {
            __m256 x = _mm256_loadu_ps(a + k), y = _mm256_loadu_ps(a + k + 8);
            s0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b0 + k), s0);
            s1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b1 + k), s1);
            s2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b2 + k), s2);
            s3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b3 + k), s3);
            t0 = _mm256_fmadd_ps(y, _mm256_loadu_ps(b0 + k + 8), t0);
            t1 = _mm256_fmadd_ps(y, _mm256_loadu_ps(b1 + k + 8), t1);
            t2 = _mm256_fmadd_ps(y, _mm256_loadu_ps(b2 + k + 8), t2);
            t3 = _mm256_fmadd_ps(y, _mm256_loadu_ps(b3 + k + 8), t3);
        }
        for (; k + 8 <= K; k += 8) {
            __m256 x = _mm256_loadu_ps(a + k);
            s0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b0 + k), s0);
            s1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b1 + k), s1);
            s2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b2 + k), s2);
            s3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b3 + k), s3);
        }
        if (k < K) {
            __m256 x = _mm256_maskload_ps(a + k, tailm);
            s0 = _mm256_fmadd_ps(x, _mm256_maskload_ps(b0 + k, tailm), s0);
            s1 = _mm256_fmadd_ps(x, _mm256_maskload_ps(b1 + k, tailm), s1);
            s2 = _mm256_fmadd_ps(x, _mm256_maskload_ps(b2 + k, tailm), s2);
            s3 = _mm256_fmadd_ps(x, _mm256_maskload_ps(b3 + k, tailm), s3);
        }
        res[0] = hsum256(_mm256_add_ps(s0, t0));
        res[1] = hsum256(_mm256_add_ps(s1, t1));
        res[2] = hsum256(_mm256_add_ps(s2, t2));
        res[3] = hsum256(_mm256_add_ps(s3, t3));
        for (int u = 0; u < nj; u++) {
            float *cc = c + (j + u) * incc;
            *cc = beta == 0.0f ? alpha * res[u] : alpha * res[u] + beta * *cc;
        }
    }
}
/* AVX-512 version of gemv_dot_avx2 (four dot products sharing loads of a). */
DK_T_AVX512 static void gemv_dot_avx512(int64_t N, int64_t K, float alpha, const float *a,
                                        const float *B, int64_t csb, float beta, float *c,
                                        int64_t incc) {
    const int64_t K16 = K & ~(int64_t)15;
    const __mmask16 tm = (__mmask16)((1u << (K - K16)) - 1u);
    for (int64_t j = 0; j < N; j += 4) {
        const int nj = (int)DK_MIN((int64_t)4, N - j);
        const float *b0 = B + j * csb;
        const float *b1 = nj > 1 ? b0 + csb : b0;
        const float *b2 = nj > 2 ? b0 + 2 * csb : b0;
        const float *b3 = nj > 3 ? b0 + 3 * csb : b0;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
        __m512 t2 = _mm512_setzero_ps(), t3 = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 32 <= K; k += 32) {
            __m512 x = _mm512_loadu_ps(a + k), y = _mm512_loadu_ps(a + k + 16);
            s0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k), s0);
            s1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b1 + k), s1);
            s2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b2 + k), s2);
            s3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b3 + k), s3);
            t0 = _mm512_fmadd_ps(y, _mm512_loadu_ps(b0 + k + 16), t0);
            t1 = _mm512_fmadd_ps(y, _mm512_loadu_ps(b1 + k + 16), t1);
            t2 = _mm512_fmadd_ps(y, _mm512_loadu_ps(b2 + k + 16), t2);
            t3 = _mm512_fmadd_ps(y, _mm512_loadu_ps(b3 + k + 16), t3);
        }
        for (; k < K16; k += 16) {
            __m512 x = _mm512_loadu_ps(a + k);
            s0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b0 + k), s0);
            s1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b1 + k), s1);
            s2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b2 + k), s2);
            s3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(b3 + k), s3);
        }
        if (k < K) {
            __m512 x = _mm512_maskz_loadu_ps(tm, a + k);
            s0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tm, b0 + k), s0);
            s1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tm, b1 + k), s1);
            s2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tm, b2 + k), s2);
            s3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tm, b3 + k), s3);
        }
        float res[4];
        res[0] = _mm512_reduce_add_ps(_mm512_add_ps(s0, t0));
        res[1] = _mm512_reduce_add_ps(_mm512_add_ps(s1, t1));
        res[2] = _mm512_reduce_add_ps(_mm512_add_ps(s2, t2));
        res[3] = _mm512_reduce_add_ps(_mm512_add_ps(s3, t3));
        for (int u = 0; u < nj; u++) {
            float *cc = c + (j + u) * incc;
            *cc = beta == 0.0f ? alpha * res[u] : alpha * res[u] + beta * *cc;
        }
    }
}
#endif /* DK_X86 */

typedef struct {
    int level;
    int dot; /* 1: dot form, 0: axpy form */
    int64_t K;
    float alpha, beta;
    const float *a;
    int64_t inca;
    const float *B;
    int64_t rsb, csb;
    float *c;
    int64_t incc;
} dk_gemv_job;

static void gemv_range(const dk_gemv_job *g, int64_t j0, int64_t j1) {
    const int64_t n = j1 - j0;
    if (n <= 0) return;
    if (g->dot) {
        const float *Bj = g->B + j0 * g->csb;
        float *cj = g->c + j0 * g->incc;
#if DK_X86
        if (g->level >= 2) {
            gemv_dot_avx512(n, g->K, g->alpha, g->a, Bj, g->csb, g->beta, cj, g->incc);
            return;
        }
        if (g->level >= 1) {
            gemv_dot_avx2(n, g->K, g->alpha, g->a, Bj, g->csb, g->beta, cj, g->incc);
            return;
        }
#endif
        gemv_dot_generic(n, g->K, g->alpha, g->a, Bj, g->csb, g->beta, cj, g->incc);
    } else {
        const float *Bj = g->B + j0;
        float *cj = g->c + j0 * g->incc;
#if DK_X86
        if (g->level >= 1) {
            gemv_axpy_avx2(n, g->K, g->alpha, g->a, g->inca, Bj, g->rsb, g->beta, cj, g->incc);
            return;
        }
#endif
        gemv_axpy_generic(n, g->K, g->alpha, g->a, g->inca, Bj, g->rsb, g->beta, cj, g->incc);
    }
}

typedef struct {
    dk_gemv_job g;
    int64_t N;
} dk_gemv_pjob;

static void gemv_ptask(void *ctx, int64_t b, int64_t e) {
    const dk_gemv_pjob *p = (const dk_gemv_pjob *)ctx;
    int64_t j0 = b * 64, j1 = DK_MIN(e * 64, p->N);
    gemv_range(&p->g, j0, j1);
}

/* c(1xN) = alpha * a(1xK) * B(KxN) + beta*c. Returns 0 if not handled. */
static int sgemv_row(int level, int64_t N, int64_t K, float alpha, const float *a, int64_t inca,
                     const float *B, int64_t rsb, int64_t csb, float beta, float *c,
                     int64_t incc) {
    dk_gemv_pjob p;
    p.N = N;
    p.g.level = level;
    p.g.K = K;
    p.g.alpha = alpha;
    p.g.beta = beta;
    p.g.a = a;
    p.g.inca = inca;
    p.g.B = B;
    p.g.rsb = rsb;
    p.g.csb = csb;
    p.g.c = c;
    p.g.incc = incc;
    if (csb == 1) {
        p.g.dot = 0;
    } else if (rsb == 1 && inca == 1) {
        p.g.dot = 1;
    } else if (rsb == 1) {
        /* copy a to contiguous storage */
        dk_tls *tls = get_tls();
        float *t = tls ? (float *)buf_get(&tls->t, (size_t)K * sizeof(float)) : NULL;
        if (!t) return 0;
        for (int64_t k = 0; k < K; k++) t[k] = a[k * inca];
        p.g.a = t;
        p.g.inca = 1;
        p.g.dot = 1;
    } else {
        return 0;
    }
    const int64_t chunks = (N + 63) / 64;
    if ((double)N * (double)K >= 65536.0 * 4 && chunks >= 2)
        dk_parallel_for(chunks, 1, gemv_ptask, &p);
    else
        gemv_range(&p.g, 0, N);
    return 1;
}

/* Tiny problems: plain scalar loops, no setup at all. */
static void sgemm_tiny(int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t rsa, int64_t csa,
                       const float *B, int64_t rsb, int64_t csb,
                       float beta, float *C, int64_t rsc, int64_t csc) {
    for (int64_t i = 0; i < M; i++) {
        const float *a = A + i * rsa;
        float *c = C + i * rsc;
        for (int64_t j = 0; j < N; j++) {
            const float *b = B + j * csb;
            float s = 0.0f;
#if defined(__clang__)
#pragma clang loop vectorize(disable) unroll(disable)
#endif
            for (int64_t k = 0; k < K; k++) s += a[k * csa] * b[k * rsb];
            float *cc = c + j * csc;
            *cc = beta == 0.0f ? alpha * s : alpha * s + beta * *cc;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                               */
/* ------------------------------------------------------------------------ */

void dk_sgemm(int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t rsa, int64_t csa,
              const float *B, int64_t rsb, int64_t csb,
              float beta, float *C, int64_t rsc, int64_t csc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, rsc, csc);
        return;
    }
    /* Make C's rows contiguous where possible: C^T = B^T A^T. */
    if (csc != 1 && rsc == 1) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    const double work = (double)M * (double)N * (double)K;
#ifdef DK_GEMM_TUNING
    const double tiny_lim = dk_tune_tiny >= 0 ? dk_tune_tiny : (double)DK_TINY;
    const double small_lim = dk_tune_small >= 0 ? dk_tune_small : (double)DK_SMALL;
#else
    const double tiny_lim = (double)DK_TINY;
    const double small_lim = (double)DK_SMALL;
#endif
    if (work <= tiny_lim) {
        sgemm_tiny(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
        return;
    }
    const int level = cur_level();
    if (M == 1) {
        if (sgemv_row(level, N, K, alpha, A, csa, B, rsb, csb, beta, C, csc)) return;
    } else if (N == 1) {
        /* c^T (1xM) = b^T (1xK) * A^T (KxM) */
        if (sgemv_row(level, M, K, alpha, B, rsb, A, csa, rsa, beta, C, rsc)) return;
    }
    /* Few columns and many rows (a convolution's weight gradient, 32 x 9): the micro-kernel's NR
     * columns would be mostly padding, so compute C^T = B^T A^T instead, writing C through its
     * transposed strides. The products and their order are the same, so the result is too. */
    if (N <= arch_for(level)->NR / 2 && M >= arch_for(level)->NR && K >= 16) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    if (work <= small_lim) {
        sgemm_blocked(arch_for(level), M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc,
                      csc, 1);
        return;
    }
    if (transposed_packs_less(arch_for(level), M, N, K, rsa, csa, rsb, csb)) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    sgemm_packed(arch_for(level), M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
}

/* C = A*B + beta*C (beta 0 or 1) with K cut into blocks [0, kc), [kc, 2kc), ..., the last one
 * shorter: each element of each block is one FMA chain over k ascending from zero, and the blocks
 * are added to C in order (C = ((C0 + B0) + B1) + ...). No tiny or gemv shortcuts: every size runs
 * the blocked micro-kernels, whose per-element order this is. gemm_torch.c's "big" MKL kernel. */
void dk_sgemm_kc(int64_t M, int64_t N, int64_t K, const float *A, int64_t rsa, int64_t csa,
                 const float *B, int64_t rsb, int64_t csb, float beta, float *C, int64_t rsc,
                 int64_t csc, int64_t kc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(M, N, beta, C, rsc, csc);
        return;
    }
    if (csc != 1 && rsc == 1) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    const int level = cur_level();
    if (N <= arch_for(level)->NR / 2 && M >= arch_for(level)->NR && K >= 16) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    dk_sarch ar = *arch_for(level);
    ar.KC = kc < 1 ? 1 : kc;
    ar.kc_fixed = 1;
    if (transposed_packs_less(&ar, M, N, K, rsa, csa, rsb, csb)) {
        DK_TRANSPOSE_PROBLEM(float);
    }
    sgemm_packed(&ar, M, N, K, 1.0f, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
}

/* ------------------------------------------------------------------------ */
/* Double precision (accurate, simple)                                       */
/* ------------------------------------------------------------------------ */

typedef struct {
    int64_t N, K;
    double alpha, beta;
    const double *A;
    int64_t rsa, csa;
    const double *B;
    int64_t rsb, csb;
    double *C;
    int64_t rsc, csc;
} dk_dg_job;

#define DG_KB 256
#define DG_JB 512

static void dg_rows(void *ctx, int64_t i0, int64_t i1) {
    const dk_dg_job *j = (const dk_dg_job *)ctx;
    const int64_t N = j->N, K = j->K;
    double acc[DG_JB];
    for (int64_t jb = 0; jb < N; jb += DG_JB) {
        const int64_t nb = DK_MIN((int64_t)DG_JB, N - jb);
        for (int64_t i = i0; i < i1; i++) {
            for (int64_t x = 0; x < nb; x++) acc[x] = 0.0;
            const double *a = j->A + i * j->rsa;
            if (j->csb == 1) {
                for (int64_t k = 0; k < K; k++) {
                    const double s = a[k * j->csa];
                    const double *b = j->B + k * j->rsb + jb;
                    for (int64_t x = 0; x < nb; x++) acc[x] += s * b[x];
                }
            } else {
                for (int64_t k = 0; k < K; k++) {
                    const double s = a[k * j->csa];
                    const double *b = j->B + k * j->rsb + jb * j->csb;
                    for (int64_t x = 0; x < nb; x++) acc[x] += s * b[x * j->csb];
                }
            }
            double *c = j->C + i * j->rsc + jb * j->csc;
            if (j->beta == 0.0)
                for (int64_t x = 0; x < nb; x++) c[x * j->csc] = j->alpha * acc[x];
            else
                for (int64_t x = 0; x < nb; x++)
                    c[x * j->csc] = j->alpha * acc[x] + j->beta * c[x * j->csc];
        }
    }
}

void dk_dgemm(int64_t M, int64_t N, int64_t K, double alpha,
              const double *A, int64_t rsa, int64_t csa,
              const double *B, int64_t rsb, int64_t csb,
              double beta, double *C, int64_t rsc, int64_t csc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0) {
        if (beta == 1.0) return;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double *c = &C[i * rsc + j * csc];
                *c = beta == 0.0 ? 0.0 : beta * *c;
            }
        return;
    }
    if (csc != 1 && rsc == 1) {
        DK_TRANSPOSE_PROBLEM(double);
    }
    dk_dg_job job = {N, K, alpha, beta, A, rsa, csa, B, rsb, csb, C, rsc, csc};
    const double work = (double)M * (double)N * (double)K;
    if (work >= 1e6 && M >= 2) {
        int64_t rows_per = DK_MAX((int64_t)1, (int64_t)(1e6 / ((double)N * (double)K)));
        dk_parallel_for(M, rows_per, dg_rows, &job);
    } else {
        dg_rows(&job, 0, M);
    }
}
