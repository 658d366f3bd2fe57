// The flat-vector helpers of L-BFGS (float32, the roundings of PyTorch's CPU ops).
#ifndef DK_LBFGS_H
#define DK_LBFGS_H
#include <stdint.h>
/// x·y summed in PyTorch's (MKL sdot) order for short vectors: four lanes i mod 4, then (l0+l1)+(l2+l3).
float dk_lbfgs_dot_f32(int64_t n, const float *x, const float *y);
/// sum |x_i| in PyTorch's cascade-sum order (torch.sum over a contiguous float32 vector).
float dk_lbfgs_sum_abs_f32(int64_t n, const float *x);
/// max |x_i * scale| (NaN if any element is NaN); scale 1 gives max |x_i|.
float dk_lbfgs_max_abs_f32(int64_t n, const float *x, float scale);
/// y = y + alpha*x with one rounding (PyTorch's `add_(x, alpha=)`).
void dk_lbfgs_axpy_f32(int64_t n, float alpha, const float *x, float *y);
/// y = a - b.
void dk_lbfgs_sub_f32(int64_t n, const float *a, const float *b, float *y);
/// y = x * s.
void dk_lbfgs_scale_f32(int64_t n, const float *x, float s, float *y);
/// The two-loop recursion: d = -H g from the k newest (s, y) pairs, held in ring buffers of `cap` rows of n
/// floats whose oldest row is `head`; ro[i] = 1/(y_i·s_i) (same ring order); al is scratch of cap floats.
void dk_lbfgs_direction_f32(int64_t n, int64_t k, int64_t cap, int64_t head, const float *oldDirs,
                            const float *oldStps, const float *ro, float *al, const float *g, float hDiag, float *d);
#endif
