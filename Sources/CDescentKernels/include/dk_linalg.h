#ifndef DK_LINALG_H
#define DK_LINALG_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// LU with partial pivoting of `batch` row-major n x n matrices A (overwritten), solving A X = B for the
/// n x k right-hand sides B (overwritten by X; NULL for none) and writing each determinant to det (may be
/// NULL). Returns 0, or batch_index * n + p for the first singular matrix, p its first zero pivot (1-based).
int64_t dk_lu_solve_f64(int64_t batch, int64_t n, int64_t k, double *A, double *B, double *det);
/// Cholesky factors L (lower, upper part zeroed) of `batch` row-major n x n matrices, in place, reading
/// their lower triangles. Returns 0, or batch_index * n + i for the first leading minor of order i that
/// is not positive-definite.
int64_t dk_cholesky_f64(int64_t batch, int64_t n, double *A);
/// Reduced QR of `batch` row-major m x n matrices A: Q (m x k), R (k x n), k = min(m, n), with LAPACK's
/// Householder reflectors (dgeqrf/dlarfg: beta = -sign(alpha) * norm), so with LAPACK's signs.
void dk_qr_f64(int64_t batch, int64_t m, int64_t n, const double *A, double *Q, double *R);
/// Eigenvalues (ascending, W: n) and orthonormal eigenvectors (columns of V: n x n) of `batch` symmetric
/// n x n matrices given by their lower triangles (cyclic Jacobi); each vector's largest component is positive.
void dk_eigh_f64(int64_t batch, int64_t n, const double *A, double *W, double *V);
/// Reduced SVD of `batch` row-major m x n matrices: U (m x k), S (k, descending), Vh (k x n), k = min(m, n)
/// (one-sided Jacobi); each left vector's largest component is positive.
void dk_svd_f64(int64_t batch, int64_t m, int64_t n, const double *A, double *U, double *S, double *Vh);
#ifdef __cplusplus
}
#endif
#endif
