// Fused LSTM cell kernels for Descent's recurrent layers: the pointwise part of one time step over
// N rows, forward and backward. `dtype` is DK_F32 or DK_F64 (see dk_ops.h); all arrays contiguous.
#ifndef DK_RNN_H
#define DK_RNN_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// pre = hw + xw (N, 4H: blocks i, f, g, o); act = (σ(i), σ(f), tanh(g), σ(o)); c = f*cprev + i*g;
/// tc = tanh(c); h = o*tc. The same operations, in the same order and rounding, as the unfused ops.
void dk_lstm_cell_forward(int32_t dtype, int64_t N, int64_t H, const void *hw, const void *xw, const void *cprev,
                          void *act, void *c, void *tc, void *h);
/// Given dh (N, H) and dc (N, H, the cell gradient from the next step; overwritten with the gradient
/// for cprev), the saved act, tc and cprev: dgates (N, 4H), the gradient of the pre-activations.
void dk_lstm_cell_backward(int32_t dtype, int64_t N, int64_t H, const void *act, const void *tc, const void *cprev,
                           const void *dh, void *dc, void *dgates);

#ifdef __cplusplus
}
#endif

#endif /* DK_RNN_H */
