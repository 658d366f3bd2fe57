// Small dense linear algebra for torch.linalg (inv, solve, det): LU with partial pivoting in double.
#include "dk_linalg.h"
#include <math.h>
#include <stddef.h>

/* Gaussian elimination with partial pivoting (LAPACK's getrf order of pivots) on each of `batch` row-major
 * n x n matrices A, then the k right-hand sides B (n x k, overwritten by the solution); all in double.
 * det (may be NULL) receives each determinant. Returns the 1-based index of the first zero pivot of the
 * first singular matrix times the batch index (batch * n + pivot), or 0 when every matrix is invertible. */
int64_t dk_lu_solve_f64(int64_t batch, int64_t n, int64_t k, double *A, double *B, double *det) {
  int64_t bad = 0;
  for (int64_t z = 0; z < batch; z++) {
    double *a = A + z * n * n, *b = B ? B + z * n * k : NULL;
    double d = 1;
    int64_t singularAt = 0;
    for (int64_t c = 0; c < n; c++) {
      int64_t p = c;
      for (int64_t r = c + 1; r < n; r++) if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
      if (a[p * n + c] == 0) { if (!singularAt) singularAt = c + 1; d = 0; continue; }
      if (p != c) {
        for (int64_t j = 0; j < n; j++) { double t = a[c * n + j]; a[c * n + j] = a[p * n + j]; a[p * n + j] = t; }
        if (b) for (int64_t j = 0; j < k; j++) { double t = b[c * k + j]; b[c * k + j] = b[p * k + j]; b[p * k + j] = t; }
        d = -d;
      }
      d *= a[c * n + c];
      for (int64_t r = c + 1; r < n; r++) {
        const double f = a[r * n + c] / a[c * n + c];
        if (f == 0) continue;
        for (int64_t j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
        if (b) for (int64_t j = 0; j < k; j++) b[r * k + j] -= f * b[c * k + j];
      }
    }
    if (det) det[z] = d;
    if (singularAt) { if (!bad) bad = z * n + singularAt; continue; }
    if (b)
      for (int64_t r = n - 1; r >= 0; r--)
        for (int64_t j = 0; j < k; j++) {
          double s = b[r * k + j];
          for (int64_t c = r + 1; c < n; c++) s -= a[r * n + c] * b[c * k + j];
          b[r * k + j] = s / a[r * n + r];
        }
  }
  return bad;
}
