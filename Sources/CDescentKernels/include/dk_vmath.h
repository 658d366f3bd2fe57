// Vectorised float math: the exponential and what is built on it, with AVX-512 / AVX2 loops
// chosen at run time and the same results on every path (and in the scalar tail).
#ifndef DK_VMATH_H
#define DK_VMATH_H
#include <stdint.h>
/// y[i] = e^x[i] for n floats (x and y may be the same array); at most 1 ulp from the exact value.
void dk_vexpf(int64_t n, const float *x, float *y);
/// y[i] = e^x[i] by SLEEF's 1-ulp algorithm, the one inside PyTorch's vectorised sigmoid and logsigmoid.
void dk_vexpf_sleef(int64_t n, const float *x, float *y);
/// ln(x) by SLEEF's 1-ulp algorithm (PyTorch's vectorised log), bit for bit (torch_act.c).
float dk_logf_sleef(float x);
/// PyTorch's vectorised sum of a[i] (b NULL) or a[i]*b[i] (vec::map_reduce_all with
/// dk_torch_vec_floats() lanes: a running sum below that many elements, else lane sums combined as a tree).
/// Used by softmax.
float dk_sum_vec_tree(const float *a, const float *b, int64_t n);
/// Floats in PyTorch's Vectorized<float> on this CPU: 16 (its AVX512 capability) or 8.
int dk_torch_vec_floats(void);
/// y[i] = sqrt(x[i]) rounded as PyTorch's float32 sqrt on this CPU (MKL's vector library: correctly
/// rounded on Intel CPUs, its generic rsqrt-based kernel elsewhere; vmath.c).
void dk_vsqrtf_torch(int64_t n, const float *x, float *y);
/// PyTorch's float32 2-norm of each of `rows` contiguous rows of `size` elements (vmath.c).
void dk_norm2_rows_f32(int64_t rows, int64_t size, const float *x, float *out);
/// One element of dk_vsqrtf_torch.
float dk_sqrtf_torch(float x);
/// 1 where PyTorch's float32 sqrt is MKL's generic (not correctly rounded) kernel: x86 CPUs not Intel's.
int dk_torch_sqrt_is_generic(void);
/// y[i] = tanh(x[i]) by SLEEF's 1-ulp algorithm (vectorised; within 1 ulp of PyTorch's MKL tanh).
void dk_vtanhf(int64_t n, const float *x, float *y);
/// y[i] = 1 / (1 + e^-x[i]) (PyTorch's sigmoid formula).
void dk_vsigmoidf(int64_t n, const float *x, float *y);
/// PyTorch's float32 activations and their gradients as torch 2.13's CPU kernels round them (torch_act.c).
enum {
  DK_ACT_SIGMOID = 0, DK_ACT_SILU, DK_ACT_ELU /* p1 alpha, p2 scale */, DK_ACT_SOFTPLUS, DK_ACT_LOG1P, DK_ACT_EXPM1,
  DK_ACT_POW /* p1 exponent */, DK_ACT_GELU, DK_ACT_LOG_SIGMOID, DK_ACT_EXP,
  DK_ACT_SILU_BWD, DK_ACT_ELU_BWD, DK_ACT_SOFTPLUS_BWD, DK_ACT_GELU_BWD, DK_ACT_LOG_SIGMOID_BWD, DK_ACT_HARDSWISH_BWD,
  DK_ACT_LOG, DK_ACT_GELU_TANH, DK_ACT_GELU_TANH_BWD, DK_ACT_MISH, DK_ACT_MISH_BWD
};
/// y = op(x) (forward ops; g unused, may be NULL) or op'(x) * g (the _BWD ops), n contiguous floats,
/// using Descent's thread count as PyTorch's. Returns 0 where not modelled (then y is untouched).
int dk_torch_activation_f32(int32_t op, int64_t n, const float *g, const float *x, float *y, double p1, double p2);
#endif
