// Gather/scatter along one dim and sorting, for Descent's CPU backend.
// Pure C: raw pointers, sizes and element strides; nothing about tensors.
#ifndef DK_INDEX_H
#define DK_INDEX_H
#include <stdint.h>

/// out[p] = x[p with p[dim] replaced by idx[p]] for every position p of the index's shape `ishape`
/// (rank `rank`, idx and out contiguous). `xstrides` are x's element strides; indices are already
/// checked and non-negative. `itemsize` bytes per element.
void dk_gather_dim(int64_t itemsize, int32_t rank, const int64_t *ishape, int32_t dim,
                   const void *x, const int64_t *xstrides, const int64_t *idx, void *out);

/// y[p with p[dim] replaced by idx[p]] = src[p] (mode 0) or += src[p] (mode 1, DK_F32/F64/I64/I32)
/// for every position p of the index's shape. `ystrides` and `srcstrides` are element strides
/// (srcstrides all 0 scatters one scalar). Later positions win for mode 0, as in PyTorch's CPU loop.
void dk_scatter_dim(int32_t dtype, int32_t mode, int32_t rank, const int64_t *ishape, int32_t dim,
                    void *y, const int64_t *ystrides, const int64_t *idx, const void *src, const int64_t *srcstrides);

/// Stable sort of each of the outer*inner rows of length n along the middle axis of a contiguous
/// (outer, n, inner) array: values and int64 indices out. NaN sorts above everything (PyTorch);
/// ties keep their original order in both directions.
void dk_sort(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *values,
             int64_t *indices, int32_t descending);
/// PyTorch's CPU topk of one row of n values (float32 rows passed widened to double): the k largest
/// (largest != 0) or smallest, NaN counting as above everything, with exactly torch.topk's indices,
/// ties and NaNs included. Reproduces topk_impl_loop: (value, index) pairs put through libstdc++'s
/// std::partial_sort when k * 64 <= n, else std::nth_element at k - 1 and (sorted != 0) std::sort of the
/// first k - 1 (topk.c). Writes k entries to out_values and out_indices (either may be NULL).
/// 0 <= k <= n; k == 0 writes nothing. Reentrant (a malloc'd scratch of n pairs per call).
void dk_topk_row(const double *values, int64_t n, int64_t k, int largest, int sorted, double *out_values,
                 int64_t *out_indices);
/// Running products along the middle axis of a contiguous (outer, n, inner) array, accumulated in
/// double for float types (PyTorch's CPU cumprod); dtype DK_F32, DK_F64 or DK_I64.
void dk_cumprod(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *y);
#endif
