// Gather/scatter along a dim and stable sorting (see dk_index.h).
#include "dk_index.h"
#include "dk_ops.h"
#include <stdlib.h>
#include <string.h>

#define MAXR 16

void dk_gather_dim(int64_t itemsize, int32_t rank, const int64_t *ishape, int32_t dim,
                   const void *x, const int64_t *xstrides, const int64_t *idx, void *out) {
  int64_t total = 1;
  for (int32_t k = 0; k < rank; k++) total *= ishape[k];
  int64_t pos[MAXR] = {0};
  int64_t base = 0;   // x offset of pos without the dim's contribution
  const char *X = (const char *)x; char *O = (char *)out;
  for (int64_t i = 0; i < total; i++) {
    memcpy(O + i * itemsize, X + (base + idx[i] * xstrides[dim]) * itemsize, (size_t)itemsize);
    for (int32_t k = rank - 1; k >= 0; k--) {
      if (++pos[k] < ishape[k]) { if (k != dim) base += xstrides[k]; break; }
      if (k != dim) base -= (ishape[k] - 1) * xstrides[k];
      pos[k] = 0;
    }
  }
}

#define SCATTER_ADD(T) ((T *)y)[yo] += ((const T *)src)[so]

void dk_scatter_dim(int32_t dtype, int32_t mode, int32_t rank, const int64_t *ishape, int32_t dim,
                    void *y, const int64_t *ystrides, const int64_t *idx, const void *src, const int64_t *srcstrides) {
  static const int64_t sizes[] = {4, 8, 8, 1, 1, 4};
  const int64_t isz = sizes[dtype];
  int64_t total = 1;
  for (int32_t k = 0; k < rank; k++) total *= ishape[k];
  int64_t pos[MAXR] = {0};
  int64_t ybase = 0, so = 0;
  for (int64_t i = 0; i < total; i++) {
    const int64_t yo = ybase + idx[i] * ystrides[dim];
    if (mode == 0) memcpy((char *)y + yo * isz, (const char *)src + so * isz, (size_t)isz);
    else switch (dtype) {
      case DK_F32: SCATTER_ADD(float); break;
      case DK_F64: SCATTER_ADD(double); break;
      case DK_I64: SCATTER_ADD(int64_t); break;
      case DK_I32: SCATTER_ADD(int32_t); break;
      default: SCATTER_ADD(uint8_t); break;
    }
    for (int32_t k = rank - 1; k >= 0; k--) {
      if (++pos[k] < ishape[k]) { if (k != dim) ybase += ystrides[k]; so += srcstrides[k]; break; }
      if (k != dim) ybase -= (ishape[k] - 1) * ystrides[k];
      so -= (ishape[k] - 1) * srcstrides[k];
      pos[k] = 0;
    }
  }
}

// Merge sort of indices by key; `before(a, b)` says a strictly precedes b.
#define SORT_IMPL(NAME, T, ISNAN) \
static int NAME##_before(T a, T b, int desc) { \
  int an = ISNAN(a), bn = ISNAN(b); \
  if (an || bn) return desc ? (an && !bn) : (!an && bn); \
  return desc ? a > b : a < b; } \
static void NAME(const T *key, int64_t *ix, int64_t *tmp, int64_t n, int desc) { \
  for (int64_t w = 1; w < n; w *= 2) { \
    for (int64_t lo = 0; lo < n; lo += 2 * w) { \
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n; \
      int64_t i = lo, j = mid, k = lo; \
      while (i < mid && j < hi) tmp[k++] = NAME##_before(key[ix[j]], key[ix[i]], desc) ? ix[j++] : ix[i++]; \
      while (i < mid) tmp[k++] = ix[i++]; \
      while (j < hi) tmp[k++] = ix[j++]; \
    } \
    memcpy(ix, tmp, (size_t)n * sizeof(int64_t)); \
  } }

#define ISNANF(v) ((v) != (v))
#define NOTNAN(v) 0
SORT_IMPL(sort_f32, float, ISNANF)
SORT_IMPL(sort_f64, double, ISNANF)
SORT_IMPL(sort_i64, int64_t, NOTNAN)
SORT_IMPL(sort_i32, int32_t, NOTNAN)
SORT_IMPL(sort_u8, uint8_t, NOTNAN)

#define SORT_ROWS(FN, T) { const T *X = (const T *)x; T *V = (T *)values; T *K = (T *)keybuf; \
  for (int64_t o = 0; o < outer; o++) for (int64_t in = 0; in < inner; in++) { \
    for (int64_t k = 0; k < n; k++) K[k] = X[(o * n + k) * inner + in]; \
    for (int64_t k = 0; k < n; k++) ix[k] = k; \
    FN(K, ix, tmp, n, descending); \
    for (int64_t k = 0; k < n; k++) { V[(o * n + k) * inner + in] = K[ix[k]]; indices[(o * n + k) * inner + in] = ix[k]; } } }

void dk_sort(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *values,
             int64_t *indices, int32_t descending) {
  if (n <= 0) return;
  int64_t *ix = malloc(sizeof(int64_t) * (size_t)n), *tmp = malloc(sizeof(int64_t) * (size_t)n);
  double *keybuf = malloc(sizeof(double) * (size_t)n);   // big enough for any element type
  switch (dtype) {
    case DK_F32: SORT_ROWS(sort_f32, float) break;
    case DK_F64: SORT_ROWS(sort_f64, double) break;
    case DK_I64: SORT_ROWS(sort_i64, int64_t) break;
    case DK_I32: SORT_ROWS(sort_i32, int32_t) break;
    default: SORT_ROWS(sort_u8, uint8_t) break;
  }
  free(ix); free(tmp); free(keybuf);
}

#define CUMPROD(T, ACC) { const T *X = (const T *)x; T *Y = (T *)y; \
  for (int64_t o = 0; o < outer; o++) for (int64_t i = 0; i < inner; i++) { ACC acc = 1; \
    for (int64_t k = 0; k < n; k++) { int64_t at = (o * n + k) * inner + i; acc *= (ACC)X[at]; Y[at] = (T)acc; } } }

void dk_cumprod(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *y) {
  switch (dtype) {
    case DK_F32: CUMPROD(float, double) break;
    case DK_F64: CUMPROD(double, double) break;
    default: CUMPROD(int64_t, int64_t) break;
  }
}
