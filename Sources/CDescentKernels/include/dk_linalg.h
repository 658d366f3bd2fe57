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
#ifdef __cplusplus
}
#endif
#endif
