// Convolution, pooling and batch-normalisation kernels for Descent's CPU backend.
// Pure C: raw pointers and sizes of contiguous NCHW blocks; nothing about tensors.
// `dtype` is DK_F32 or DK_F64 (see dk_ops.h). Work is split over the thread pool (dk_parallel.h).
#ifndef DK_CONV_H
#define DK_CONV_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The geometry of a 2-D window op on a contiguous (N, C, H, W) input giving (N, OC, OH, OW).
/// For pooling OC == C and groups is ignored. The output size (OH, OW) is the caller's choice
/// (PyTorch's formulas, ceil mode included), the kernels only read what lies inside the input.
typedef struct {
  int64_t N, C, H, W;        // input
  int64_t OC, OH, OW;        // output
  int64_t KH, KW;            // window
  int64_t SH, SW;            // stride
  int64_t PH, PW;            // zero padding (top/bottom, left/right)
  int64_t DH, DW;            // dilation
  int64_t groups;            // convolution groups (C and OC divisible by it)
} dk_window2d;

/// col (C*KH*KW, OH*OW) = the receptive fields of one image x (C, H, W), zero outside.
void dk_im2col(int32_t dtype, const dk_window2d *g, const void *x, void *col);
/// x (C, H, W) += the receptive fields in col (C*KH*KW, OH*OW) added back (the adjoint of im2col).
void dk_col2im(int32_t dtype, const dk_window2d *g, const void *col, void *x);

/// y (N, OC, OH, OW) = conv2d(x (N, C, H, W), w (OC, C/groups, KH, KW)) + bias (OC, or NULL).
/// im2col + GEMM per image; images in parallel when there are enough, else a threaded GEMM.
/// `asPyTorch`: float32 rounds as PyTorch's forward does where its oneDNN kernel's order is known
/// (0 when the call computes something else, e.g. a transposed convolution's input gradient).
void dk_conv2d_forward(int32_t dtype, const dk_window2d *g, const void *x, const void *w,
                       const void *bias, void *y, int32_t asPyTorch);
/// Gradients of dk_conv2d_forward given gy (N, OC, OH, OW). Each of gx (N, C, H, W),
/// gw (OC, C/groups, KH, KW) and gb (OC) may be NULL (not needed); those given are overwritten.
/// `transposed`: the call computes the weight gradient of a transposed convolution whose convolution
/// view is g (its float32 rounding then follows PyTorch's for that transposed convolution), and gb is
/// that transposed convolution's bias gradient: x summed per channel (C entries).
void dk_conv2d_backward(int32_t dtype, const dk_window2d *g, int32_t transposed, const void *x, const void *w,
                        const void *gy, void *gx, void *gw, void *gb);
/// The float32 weight gradient gw (OC, C, KH, KW) and bias gradient gb (OC) (either may be NULL), with
/// groups == 1, summed in the order PyTorch's CPU kernel (oneDNN's) sums them when it runs on `nthr`
/// threads: per range of images one fused multiply-add chain per element (images, output rows,
/// output columns ascending), ranges added left to right. See conv_wgrad.c.
void dk_conv2d_weight_grad_f32_pytorch(const dk_window2d *g, int64_t nthr, const float *x, const float *gy,
                                       float *gw, float *gb);
/// A transposed convolution's float32 bias gradient as PyTorch's oneDNN path sums it: gy (N, C, L)
/// per channel, one chain of float additions over images then positions.
void dk_conv_transpose2d_bias_grad_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *gy, float *gb);

/// Max pooling: y (N, C, OH, OW) and idx (flat index ih*W+iw of the maximum inside its plane,
/// PyTorch's `return_indices`). NaN wins; among equal values the first in the window wins.
void dk_max_pool2d_forward(int32_t dtype, const dk_window2d *g, const void *x, void *y, int64_t *idx);
/// gx (N, C, H, W) = zeros with gy scattered (added) at idx.
void dk_max_pool2d_backward(int32_t dtype, const dk_window2d *g, const void *gy, const int64_t *idx, void *gx);

/// Average pooling as PyTorch's CPU kernel: windows clipped to the padded input; the divisor is
/// divisorOverride when > 0, else the clipped window's size counting padding (countIncludePad)
/// or not.
void dk_avg_pool2d_forward(int32_t dtype, const dk_window2d *g, int32_t countIncludePad,
                           int64_t divisorOverride, const void *x, void *y);
/// gx (N, C, H, W) = the adjoint of dk_avg_pool2d_forward applied to gy.
void dk_avg_pool2d_backward(int32_t dtype, const dk_window2d *g, int32_t countIncludePad,
                            int64_t divisorOverride, const void *gy, void *gx);

/// Per-channel mean and biased variance of x viewed as (N, C, L), accumulated in double
/// (two passes). mean and var have C entries.
void dk_batch_norm_stats(int32_t dtype, int64_t N, int64_t C, int64_t L, const void *x,
                         double *mean, double *var);
/// y = x * alpha[c] + beta[c] over x viewed as (N, C, L); alpha and beta have `dtype`.
void dk_batch_norm_apply(int32_t dtype, int64_t N, int64_t C, int64_t L, const void *x,
                         const void *alpha, const void *beta, void *y);
/// Batch-norm backward over (N, C, L) given mean and invstd (C entries each, `dtype`) and weight
/// (C entries or NULL = ones). training != 0: the statistics came from this batch (PyTorch's
/// formula with the mean/projection terms); else they were constants (running statistics).
/// Each of gx, gw, gb may be NULL; those given are overwritten.
void dk_batch_norm_backward(int32_t dtype, int32_t training, int64_t N, int64_t C, int64_t L,
                            const void *x, const void *gy, const void *mean, const void *invstd,
                            const void *weight, void *gx, void *gw, void *gb);

/// Float32 batch norm over (N, C, L), L > 1, rounded as PyTorch's CPU kernels (batchnorm_f32.c):
/// the per-channel mean and the sum of squared deviations (var_sum, float), in double, in order.
void dk_batch_norm_stats_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *x, float *mean, float *varSum);
/// y = fma(x, alpha[c], beta[c]).
void dk_batch_norm_apply_f32_fma(int64_t N, int64_t C, int64_t L, const float *x, const float *alpha,
                                 const float *beta, float *y);
/// The training-mode gradients (each of gx, gw, gb may be NULL; weight NULL means ones).
void dk_batch_norm_backward_f32_pytorch(int64_t N, int64_t C, int64_t L, const float *x, const float *gy,
                                        const float *mean, const float *invstd, const float *weight,
                                        float *gx, float *gw, float *gb);

/// The row blocks of PyTorch's at::parallel_for(0, n, 1) (OpenMP) at nthr threads: how many, and *chunk rows each.
int64_t dk_torch_row_blocks(int64_t n, int nthr, int64_t *chunk);
/// Float32 batch norm over a 2-D (N, C) input, rounded as PyTorch's channels-last kernels with
/// Descent's thread count as PyTorch's (batchnorm_f32.c): the mean and var_sum of each channel.
void dk_batch_norm_stats_f32_rows(int64_t N, int64_t C, const float *x, float *mean, float *varSum);
/// The training-mode gradients of the 2-D case (gx, gw, gb may be NULL; weight NULL means ones).
void dk_batch_norm_backward_f32_rows(int64_t N, int64_t C, const float *x, const float *gy, const float *mean,
                                     const float *invstd, const float *weight, float *gx, float *gw, float *gb);
/// Float32 layer norm over M rows of N, rounded as PyTorch's CPU kernel (layernorm_f32.c): y, and each
/// row's mean and 1/std. weight and bias may be NULL (ones, zeros).
void dk_layer_norm_f32_pytorch(int64_t M, int64_t N, const float *x, const float *weight, const float *bias,
                               float eps, float *y, float *mean, float *rstd);
/// Layer norm's gradients (each output may be NULL; weight NULL means ones).
void dk_layer_norm_backward_f32_pytorch(int64_t M, int64_t N, const float *x, const float *dy, const float *mean,
                                        const float *rstd, const float *weight, float *dx, float *dw, float *db);

/// Float32 group norm of a contiguous (N, C, HxW) input in G groups, rounded as PyTorch's CPU kernel
/// (layernorm_f32.c): y, and each (n, g)'s mean and 1/std. weight and bias may be NULL.
void dk_group_norm_f32_pytorch(int64_t N, int64_t C, int64_t HxW, int64_t G, const float *x, const float *weight,
                               const float *bias, double eps, float *y, float *mean, float *rstd);
/// Group norm's gradients (each output may be NULL; weight NULL means ones).
void dk_group_norm_backward_f32_pytorch(int64_t N, int64_t C, int64_t HxW, int64_t G, const float *x, const float *dy,
                                        const float *mean, const float *rstd, const float *weight,
                                        float *dx, float *dw, float *db);

#ifdef __cplusplus
}
#endif

#endif /* DK_CONV_H */
