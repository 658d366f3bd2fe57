// Elementwise, reduction, copy and indexing kernels for Descent's CPU backend.
// Pure C: raw pointers, sizes and element strides; nothing about tensors.
#ifndef DK_OPS_H
#define DK_OPS_H
#include <stdint.h>
#include <stddef.h>

/// Element types, in the same order as Swift's `DType` raw values.
enum { DK_F32 = 0, DK_F64 = 1, DK_I64 = 2, DK_U8 = 3, DK_BOOL = 4, DK_I32 = 5 };

/// Binary ops. Arithmetic ops write the operand type; comparisons write bool (uint8 0/1).
/// The *_BWD ops are fused gradient helpers (float types only): a = upstream gradient, b = saved value.
enum {
  DK_ADD = 0, DK_SUB, DK_MUL, DK_DIV, DK_POW, DK_MAXIMUM, DK_MINIMUM,
  DK_EQ, DK_NE, DK_LT, DK_LE, DK_GT, DK_GE,
  DK_RELU_BWD,     // b > 0 ? a : 0   (b = relu output or input)
  DK_SIGMOID_BWD,  // a * b * (1 - b) (b = sigmoid output)
  DK_TANH_BWD,     // a * (1 - b*b)   (b = tanh output)
  DK_LOGICAL_AND, DK_LOGICAL_OR,
  DK_FMOD,         // C fmod: the sign of a (integers: a % b, 0 when b is 0)
  DK_REMAINDER,    // Python's %: the sign of b (fmod, plus b when the signs differ)
  DK_ATAN2,        // atan2(a, b), float types only
  DK_HYPOT,        // hypot(a, b), float types only
};

/// Unary float ops on contiguous data (x and y may alias). p1, p2 are op parameters.
enum {
  DK_NEG = 0, DK_EXP, DK_LOG, DK_SQRT, DK_ABS, DK_SIN, DK_COS, DK_TANH, DK_SIGMOID, DK_RELU,
  DK_CLAMP,       // min(max(x, p1), p2)  (use +-inf for a missing bound)
  DK_POWS,        // pow(x, p1)
  DK_LEAKY_RELU,  // x > 0 ? x : p1 * x
  DK_ELU,         // x > 0 ? x * s : expm1(x) * (p1 * s), s = p2 or 1 when p2 is 0 (SELU: p2 = its scale)
  DK_GELU,        // exact (erf) GELU
  DK_SILU,        // x * sigmoid(x)
  DK_LOG1P, DK_EXPM1, DK_RSQRT, DK_SQUARE, DK_SIGN, DK_RECIPROCAL, DK_FLOOR, DK_CEIL, DK_ROUND,
  DK_AFFINE,      // x * p1 + p2
  DK_RSUB_SCALAR, // p1 - x
  DK_LOG_SIGMOID, // log(sigmoid(x)), stable
  DK_SOFTPLUS,    // log1p(exp(x)), stable
  DK_ERF,
  DK_TRUNC,       // round toward zero
  DK_LOG2, DK_LOG10,
  DK_TAN, DK_ASIN, DK_ACOS, DK_ATAN, DK_SINH, DK_COSH, DK_ASINH, DK_ACOSH, DK_ATANH,
};

/// Reductions over the middle axis of an (outer, r, inner) contiguous block; out is (outer, inner).
enum { DK_RSUM = 0, DK_RMAX, DK_RMIN, DK_RPROD, DK_RANY, DK_RALL };

/// Fills n elements of `dtype` at p with value v.
void dk_fill(int32_t dtype, void *p, int64_t n, double v);
/// Copies an n-d strided block (element strides) from src to dst; ndim <= 16.
void dk_copy_strided(int64_t elemSize, int32_t ndim, const int64_t *shape,
                     void *dst, const int64_t *dstStrides, const void *src, const int64_t *srcStrides);
/// Converts n contiguous elements.
void dk_cast(int32_t srcType, const void *src, int32_t dstType, void *dst, int64_t n);
/// out[i] = a[i] op b[i] with broadcasting given as strides (0 = broadcast); out is contiguous.
void dk_binary(int32_t op, int32_t dtype, int32_t ndim, const int64_t *shape, void *out,
               const void *a, const int64_t *sa, const void *b, const int64_t *sb);
/// y = op(x) for contiguous float32/float64 (`dtype`), int64 supports NEG, ABS, SIGN, SQUARE, CLAMP.
void dk_unary(int32_t op, int32_t dtype, int64_t n, const void *x, void *y, double p1, double p2);
/// Reduces (outer, r, inner) -> (outer, inner). float32 sums accumulate in double. int64/bool sums write int64.
void dk_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x, void *out);
/// Sum over the middle axis of a contiguous (outer, r, inner) float32/float64 array, bit for bit as
/// PyTorch's CPU sum on an AVX-512 machine with dk_num_threads() threads (sum.c). dk_reduce uses it.
void dk_sum_float(int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x, void *out);
/// Arg-reduction (op DK_RMAX or DK_RMIN): first index of the extreme along r (NaN wins, like PyTorch). val may be NULL.
void dk_arg_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x,
                   int64_t *idx, void *val);
/// Softmax (or log-softmax when isLog) along the middle axis of (outer, r, inner).
void dk_softmax(int32_t dtype, int32_t isLog, int64_t outer, int64_t r, int64_t inner, const void *x, void *y);
/// Gradient of softmax / log-softmax given its output y and the upstream gradient gy.
void dk_softmax_bwd(int32_t dtype, int32_t isLog, int64_t outer, int64_t r, int64_t inner,
                    const void *y, const void *gy, void *gx);
/// out (outer, nIdx, inner) = src (outer, dimSize, inner) gathered at idx along the middle axis.
void dk_index_select(int64_t elemSize, int64_t outer, int64_t dimSize, int64_t inner,
                     const void *src, const int64_t *idx, int64_t nIdx, void *out);
/// dst (outer, dimSize, inner) += src (outer, nIdx, inner) scattered at idx (float types).
/// Cumulative sums along the middle dim of a contiguous (outer, n, inner) array, accumulated in double for
/// float types (PyTorch's CPU cumsum) and written in the array's dtype (DK_F32, DK_F64 or DK_I64);
/// `reverse` sums from the end (the backward of cumsum).
void dk_cumsum(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *y, int32_t reverse);
void dk_index_add(int32_t dtype, int64_t outer, int64_t dimSize, int64_t inner,
                  void *dst, const int64_t *idx, int64_t nIdx, const void *src);
/// out[i] = cond[i] ? a[i] : b[i], all contiguous.
void dk_where(int64_t elemSize, int64_t n, const uint8_t *cond, const void *a, const void *b, void *out);
/// Number of nonzero bytes in a bool array, and their indices.
int64_t dk_count_nonzero_u8(const uint8_t *p, int64_t n);
void dk_nonzero_u8(const uint8_t *p, int64_t n, int64_t *out);
/// y = a * x + y over n floats (float32 or float64).
void dk_axpy(int32_t dtype, int64_t n, double a, const void *x, void *y);

/// Caching allocator: 64-byte aligned blocks, reused by size class so that a steady training loop
/// asks the system for no new memory. dk_free must get the same byteCount as dk_alloc.
void *dk_alloc(size_t byteCount);
void dk_free(void *p, size_t byteCount);
/// Returns every cached block to the system; returns the bytes released.
size_t dk_empty_cache(void);
/// Bytes currently cached (free, ready for reuse) and allocated (in use).
size_t dk_cached_bytes(void);
size_t dk_allocated_bytes(void);
/// Number of times the allocator asked the system for memory.
uint64_t dk_system_allocs(void);
#endif
