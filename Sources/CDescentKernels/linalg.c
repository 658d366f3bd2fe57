// Small dense linear algebra for torch.linalg in double: LU with partial pivoting (inv, solve, det),
// Cholesky, Householder QR, Jacobi eigendecomposition of symmetric matrices and one-sided Jacobi SVD.
#include "dk_linalg.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- Cholesky, QR, symmetric eigendecomposition, SVD (double, row-major) ---- */

int64_t dk_cholesky_f64(int64_t batch, int64_t n, double *A) {
  for (int64_t b = 0; b < batch; b++) {
    double *a = A + b * n * n;
    for (int64_t j = 0; j < n; j++) {
      double s = a[j * n + j];
      for (int64_t k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
      if (!(s > 0)) return b * n + j + 1;
      const double d = sqrt(s);
      a[j * n + j] = d;
      for (int64_t i = j + 1; i < n; i++) {
        double t = a[i * n + j];
        for (int64_t k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
        a[i * n + j] = t / d;
      }
    }
    for (int64_t i = 0; i < n; i++) for (int64_t j = i + 1; j < n; j++) a[i * n + j] = 0;
  }
  return 0;
}

void dk_qr_f64(int64_t batch, int64_t m, int64_t n, const double *A, double *Q, double *R) {
  const int64_t k = m < n ? m : n;
  double *a = malloc(sizeof(double) * (size_t)(m * n + m * k + k + 1));
  double *v = a + m * n, *tau = v + m * k;
  for (int64_t b = 0; b < batch; b++) {
    memcpy(a, A + b * m * n, sizeof(double) * (size_t)(m * n));
    for (int64_t j = 0; j < k; j++) {
      double *vj = v + j * m;
      for (int64_t i = 0; i < m; i++) vj[i] = 0;
      vj[j] = 1;
      const double alpha = a[j * n + j];
      double xnorm = 0;
      for (int64_t i = j + 1; i < m; i++) xnorm = hypot(xnorm, a[i * n + j]);
      if (xnorm == 0) { tau[j] = 0; continue; }   /* dlarfg: H = I, beta = alpha */
      const double beta = -copysign(hypot(alpha, xnorm), alpha);
      tau[j] = (beta - alpha) / beta;
      const double scale = 1 / (alpha - beta);
      for (int64_t i = j + 1; i < m; i++) { vj[i] = a[i * n + j] * scale; a[i * n + j] = 0; }
      a[j * n + j] = beta;
      for (int64_t c = j + 1; c < n; c++) {
        double s = 0;
        for (int64_t i = j; i < m; i++) s += vj[i] * a[i * n + c];
        s *= tau[j];
        for (int64_t i = j; i < m; i++) a[i * n + c] -= s * vj[i];
      }
    }
    double *r = R + b * k * n, *q = Q + b * m * k;
    for (int64_t i = 0; i < k; i++) for (int64_t c = 0; c < n; c++) r[i * n + c] = c >= i ? a[i * n + c] : 0;
    for (int64_t i = 0; i < m; i++) for (int64_t c = 0; c < k; c++) q[i * k + c] = i == c ? 1 : 0;
    for (int64_t j = k - 1; j >= 0; j--) {   /* Q = H_0 ... H_{k-1} I[:, :k] */
      const double *vj = v + j * m;
      if (tau[j] == 0) continue;
      for (int64_t c = 0; c < k; c++) {
        double s = 0;
        for (int64_t i = j; i < m; i++) s += vj[i] * q[i * k + c];
        s *= tau[j];
        for (int64_t i = j; i < m; i++) q[i * k + c] -= s * vj[i];
      }
    }
  }
  free(a);
}

/* Sorts the columns of the n x n matrix V (and W) by W, ascending or descending, and makes each column's
   largest-magnitude entry positive (flipping `partner`'s matching row too when given, for the SVD). */
static void sort_columns(int64_t rows, int64_t n, double *W, double *V, int descending, double *partner, int64_t pcols) {
  for (int64_t i = 0; i < n; i++) {
    int64_t best = i;
    for (int64_t j = i + 1; j < n; j++) if (descending ? W[j] > W[best] : W[j] < W[best]) best = j;
    if (best != i) {
      double t = W[i]; W[i] = W[best]; W[best] = t;
      for (int64_t r = 0; r < rows; r++) { t = V[r * n + i]; V[r * n + i] = V[r * n + best]; V[r * n + best] = t; }
      if (partner) for (int64_t c = 0; c < pcols; c++) { t = partner[i * pcols + c]; partner[i * pcols + c] = partner[best * pcols + c]; partner[best * pcols + c] = t; }
    }
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t big = 0;
    for (int64_t r = 1; r < rows; r++) if (fabs(V[r * n + i]) > fabs(V[big * n + i]) + 1e-12) big = r;
    if (V[big * n + i] < 0) {
      for (int64_t r = 0; r < rows; r++) V[r * n + i] = -V[r * n + i];
      if (partner) for (int64_t c = 0; c < pcols; c++) partner[i * pcols + c] = -partner[i * pcols + c];
    }
  }
}

void dk_eigh_f64(int64_t batch, int64_t n, const double *A, double *W, double *V) {
  double *a = malloc(sizeof(double) * (size_t)(n * n + 1));
  for (int64_t b = 0; b < batch; b++) {
    const double *src = A + b * n * n;
    double *v = V + b * n * n, *w = W + b * n;
    for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = src[i * n + j];
    for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < n; j++) v[i * n + j] = i == j ? 1 : 0;
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0, all = 0;
      for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < n; j++) { all += a[i * n + j] * a[i * n + j]; if (i != j) off += a[i * n + j] * a[i * n + j]; }
      if (off <= 1e-30 * all || off == 0) break;
      for (int64_t p = 0; p < n - 1; p++) for (int64_t q = p + 1; q < n; q++) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int64_t r = 0; r < n; r++) {   /* A J */
          const double x = a[r * n + p], y = a[r * n + q];
          a[r * n + p] = c * x - s * y; a[r * n + q] = s * x + c * y;
        }
        for (int64_t r = 0; r < n; r++) {   /* J^T (A J) */
          const double x = a[p * n + r], y = a[q * n + r];
          a[p * n + r] = c * x - s * y; a[q * n + r] = s * x + c * y;
        }
        for (int64_t r = 0; r < n; r++) {   /* V J */
          const double x = v[r * n + p], y = v[r * n + q];
          v[r * n + p] = c * x - s * y; v[r * n + q] = s * x + c * y;
        }
      }
    }
    for (int64_t i = 0; i < n; i++) w[i] = a[i * n + i];
    sort_columns(n, n, w, v, 0, NULL, 0);
  }
  free(a);
}

/* One-sided Jacobi SVD of a tall (m >= n) row-major matrix: u (m x n) left vectors, s (n), vt (n x n). */
static void svd_tall(int64_t m, int64_t n, const double *A, int transposed, double *u, double *s, double *vt) {
  /* u starts as A (or A^T), v as I */
  for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) u[i * n + j] = transposed ? A[j * m + i] : A[i * n + j];
  double *v = malloc(sizeof(double) * (size_t)(n * n + 1));
  for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < n; j++) v[i * n + j] = i == j ? 1 : 0;
  for (int sweep = 0; sweep < 100; sweep++) {
    int rotated = 0;
    for (int64_t p = 0; p < n - 1; p++) for (int64_t q = p + 1; q < n; q++) {
      double al = 0, be = 0, ga = 0;
      for (int64_t i = 0; i < m; i++) { const double x = u[i * n + p], y = u[i * n + q]; al += x * x; be += y * y; ga += x * y; }
      if (ga == 0 || fabs(ga) <= 1e-15 * sqrt(al * be)) continue;
      rotated = 1;
      const double zeta = (be - al) / (2 * ga);
      const double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
      const double c = 1 / sqrt(1 + t * t), sn = c * t;
      for (int64_t i = 0; i < m; i++) { const double x = u[i * n + p], y = u[i * n + q]; u[i * n + p] = c * x - sn * y; u[i * n + q] = sn * x + c * y; }
      for (int64_t i = 0; i < n; i++) { const double x = v[i * n + p], y = v[i * n + q]; v[i * n + p] = c * x - sn * y; v[i * n + q] = sn * x + c * y; }
    }
    if (!rotated) break;
  }
  for (int64_t j = 0; j < n; j++) {
    double norm = 0;
    for (int64_t i = 0; i < m; i++) norm = hypot(norm, u[i * n + j]);
    s[j] = norm;
  }
  /* vt rows are v's columns, so sorting u's columns moves vt's rows */
  for (int64_t i = 0; i < n; i++) for (int64_t j = 0; j < n; j++) vt[i * n + j] = v[j * n + i];
  sort_columns(m, n, s, u, 1, vt, n);
  for (int64_t j = 0; j < n; j++) {
    if (s[j] > 0) { for (int64_t i = 0; i < m; i++) u[i * n + j] /= s[j]; continue; }
    /* a zero singular value: complete u with a unit vector orthogonal to the columns before it */
    for (int64_t e = 0; e < m; e++) {
      for (int64_t i = 0; i < m; i++) u[i * n + j] = i == e ? 1 : 0;
      for (int64_t c = 0; c < j; c++) {
        double d = 0;
        for (int64_t i = 0; i < m; i++) d += u[i * n + c] * u[i * n + j];
        for (int64_t i = 0; i < m; i++) u[i * n + j] -= d * u[i * n + c];
      }
      double norm = 0;
      for (int64_t i = 0; i < m; i++) norm = hypot(norm, u[i * n + j]);
      if (norm > 1e-6) { for (int64_t i = 0; i < m; i++) u[i * n + j] /= norm; break; }
    }
  }
  free(v);
}

void dk_svd_f64(int64_t batch, int64_t m, int64_t n, const double *A, double *U, double *S, double *Vh) {
  const int64_t k = m < n ? m : n;
  for (int64_t b = 0; b < batch; b++) {
    const double *a = A + b * m * n;
    double *u = U + b * m * k, *s = S + b * k, *vh = Vh + b * k * n;
    if (m >= n) { svd_tall(m, n, a, 0, u, s, vh); continue; }
    /* A^T (n x m) = U' S V'^T, so A = V' S U'^T: U = V', Vh = U'^T */
    double *ut = malloc(sizeof(double) * (size_t)(n * m + m * m + 1)), *vt = ut + n * m;
    svd_tall(n, m, a, 1, ut, s, vt);
    for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < k; j++) u[i * k + j] = vt[j * m + i];
    for (int64_t i = 0; i < k; i++) for (int64_t j = 0; j < n; j++) vh[i * n + j] = ut[j * k + i];
    free(ut);
  }
}
