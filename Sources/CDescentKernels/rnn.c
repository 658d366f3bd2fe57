// Fused LSTM cell kernels (see dk_rnn.h).
#include "dk_rnn.h"
#include "dk_ops.h"
#include "dk_vmath.h"
#include <math.h>
#include <stdlib.h>

#include "dk_target.h"
#pragma clang fp contract(off)

static void sig_d(int64_t n, const double *x, double *y) { for (int64_t i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i])); }
static void tanh_d(int64_t n, const double *x, double *y) { for (int64_t i = 0; i < n; i++) y[i] = tanh(x[i]); }
static void sig_f(int64_t n, const float *x, float *y) { dk_vsigmoidf(n, x, y); }
static void tanh_f(int64_t n, const float *x, float *y) { dk_vtanhf(n, x, y); }

/* The activations read a separate pre-activation row: in-place calls would defeat the vector loops
 * (they fall back to scalar code when input and output overlap). */
#define LSTM_FWD(T, SIG, TANH)                                                              \
  T *pre = (T *)malloc((size_t)(4 * H) * sizeof(T));                                       \
  if (!pre) abort();                                                                        \
  for (int64_t r = 0; r < N; r++) {                                                         \
    const T *hwr = (const T *)hw + r * 4 * H, *xwr = (const T *)xw + r * 4 * H;             \
    T *a = (T *)act + r * 4 * H;                                                            \
    for (int64_t j = 0; j < 4 * H; j++) pre[j] = hwr[j] + xwr[j];                           \
    SIG(2 * H, pre, a);                                                                     \
    TANH(H, pre + 2 * H, a + 2 * H);                                                        \
    SIG(H, pre + 3 * H, a + 3 * H);                                                         \
    const T *cp = (const T *)cprev + r * H;                                                 \
    T *cr = (T *)c + r * H, *tr = (T *)tc + r * H, *hr = (T *)h + r * H;                    \
    for (int64_t j = 0; j < H; j++) cr[j] = a[H + j] * cp[j] + a[j] * a[2 * H + j];         \
    TANH(H, cr, tr);                                                                        \
    for (int64_t j = 0; j < H; j++) hr[j] = a[3 * H + j] * tr[j];                           \
  }                                                                                         \
  free(pre);

void dk_lstm_cell_forward(int32_t dtype, int64_t N, int64_t H, const void *hw, const void *xw, const void *cprev,
                          void *act, void *c, void *tc, void *h) {
  if (dtype == DK_F32) { LSTM_FWD(float, sig_f, tanh_f) }
  else { LSTM_FWD(double, sig_d, tanh_d) }
}

#define LSTM_BWD(T)                                                                          \
  for (int64_t r = 0; r < N; r++) {                                                          \
    const T *a = (const T *)act + r * 4 * H, *t = (const T *)tc + r * H;                     \
    const T *cp = (const T *)cprev + r * H, *dhr = (const T *)dh + r * H;                    \
    T *dcr = (T *)dc + r * H, *dg = (T *)dgates + r * 4 * H;                                 \
    for (int64_t j = 0; j < H; j++) {                                                        \
      const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tcj = t[j];        \
      const T dct = dcr[j] + dhr[j] * o * (1 - tcj * tcj);                                   \
      dg[j] = dct * g * i * (1 - i);                                                         \
      dg[H + j] = dct * cp[j] * f * (1 - f);                                                 \
      dg[2 * H + j] = dct * i * (1 - g * g);                                                 \
      dg[3 * H + j] = dhr[j] * tcj * o * (1 - o);                                            \
      dcr[j] = dct * f;                                                                      \
    }                                                                                        \
  }

DK_CLONES void dk_lstm_cell_backward(int32_t dtype, int64_t N, int64_t H, const void *act, const void *tc, const void *cprev,
                                     const void *dh, void *dc, void *dgates) {
  if (dtype == DK_F32) { LSTM_BWD(float) }
  else { LSTM_BWD(double) }
}
