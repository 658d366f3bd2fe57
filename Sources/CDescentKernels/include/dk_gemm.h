#ifndef DK_GEMM_H
#define DK_GEMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C = alpha * A(MxK) * B(KxN) + beta * C.
///
/// Every operand has arbitrary element strides: element (i, j) of A is
/// A[i*rsa + j*csa] (likewise B, C), so transposed operands are passed as
/// swapped strides without copies. Strides may be any value (including
/// negative) as long as C's elements do not alias each other or A/B.
/// beta == 0 means C is overwritten and never read (NaN-safe); K == 0 (or
/// alpha == 0) gives C = beta*C.
///
/// Thread safety: reentrant. May be called concurrently from several threads
/// (each thread has its own packing buffers; a call that finds the thread pool
/// busy with another caller's work runs single-threaded instead of waiting).
void dk_sgemm(int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t rsa, int64_t csa,
              const float *B, int64_t rsb, int64_t csb,
              float beta, float *C, int64_t rsc, int64_t csc);

/// Double-precision version of dk_sgemm (same conventions). Accurate, simple
/// blocked implementation; meant for float64 gradient checks, not speed.
void dk_dgemm(int64_t M, int64_t N, int64_t K, double alpha,
              const double *A, int64_t rsa, int64_t csa,
              const double *B, int64_t rsb, int64_t csb,
              double beta, double *C, int64_t rsc, int64_t csc);

/// C = A*B + beta*C (beta 0 or 1, dk_sgemm's strides) with K cut into blocks of exactly kc from
/// the start, each element of a block one FMA chain from zero, the blocks added to C in order.
void dk_sgemm_kc(int64_t M, int64_t N, int64_t K, const float *A, int64_t rsa, int64_t csa,
                 const float *B, int64_t rsb, int64_t csb, float beta, float *C, int64_t rsc,
                 int64_t csc, int64_t kc);

/// PyTorch's float32 `mm`/`addmm` on the CPU, rounded as the MKL sgemm of the reference build
/// (torch 2.13, oneMKL 2024.2, AVX2) rounds it (gemm_torch.c). Column-major BLAS arguments, as
/// PyTorch passes them: C[m + n*ldc] = (beta1 ? C : 0) + sum_k a(m, k) b(n, k), with
/// a(m, k) = transa ? A[k + m*lda] : A[m + k*lda] and b(n, k) = transb ? B[n + k*ldb] : B[k + n*ldb].
/// nthr is PyTorch's thread count (MKL's split of n decides a kernel). Returns 0, computing
/// nothing, for the shapes the model does not cover; the caller then uses dk_sgemm.
int dk_sgemm_torch(int transa, int transb, int64_t M, int64_t N, int64_t K,
                   const float *A, int64_t lda, const float *B, int64_t ldb, int beta1,
                   float *C, int64_t ldc, int nthr);
/// MKL's batched sgemm as PyTorch's bmm calls it: `batch` products with dk_sgemm_torch's arguments, each on
/// one thread (the items spread over Descent's threads); item z's operands start at A + z*sa, B + z*sb,
/// C + z*sc. Returns 0, computing nothing, where dk_sgemm_torch does not cover the shape.
int dk_sgemm_torch_batched(int transa, int transb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                           int64_t sa, const float *B, int64_t ldb, int64_t sb, float *C, int64_t ldc, int64_t sc,
                           int64_t batch);
/// PyTorch's float32 `bmm` of (B, N, K) by (B, K, M) below 400 multiply-adds per product (its naive
/// kernel): c (contiguous) = sums from 0 in k order, products rounded first. Strides in elements.
void dk_bmm_small_f32(int64_t B, int64_t N, int64_t K, int64_t M, const float *a, int64_t sab, int64_t san, int64_t sak,
                      const float *b, int64_t sbb, int64_t sbk, int64_t sbm, float *c);

/// Which sgemm micro-kernel is in use: 0 = portable C, 1 = AVX2+FMA,
/// 2 = AVX-512F. Mainly for tests/benchmarks.
int dk_gemm_kernel_level(void);

/// Overrides the kernel choice (clamped to what the CPU supports); pass -1 to
/// restore automatic selection. Mainly for tests/benchmarks. Not thread-safe
/// with respect to concurrent dk_sgemm calls.
void dk_gemm_set_kernel_level(int level);

#ifdef __cplusplus
}
#endif

#endif /* DK_GEMM_H */
