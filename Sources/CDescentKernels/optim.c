// The fused update of every optimizer (see include/dk_optim.h). FMA only where PyTorch's kernels use it.
// SGD, Adam/AdamW, RMSprop and Adagrad below (threaded over large parameters); Adadelta, Adamax, ASGD,
// Rprop, NAdam, RAdam and SparseAdam at the end, their loops written once in optim_kernels.h.
#include "dk_optim.h"
#include "dk_ops.h"
#include "dk_parallel.h"
#include "dk_vmath.h"
#include <math.h>
#include <stdlib.h>
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

// Machines with FMA get versions where fmaf is one instruction and the loops are vectorised
// (target_clones); every version rounds identically (fmaf is exact, contraction is off).
#include "dk_target.h"
// Each update is written once over the element type T and instantiated for float32 and float64;
// scalars (lr, betas, ...) are rounded to T once, as PyTorch rounds Python floats to the tensor dtype.
#define DK_OPTIM_KERNELS(SUF, T, FMA, VSQRT) \
DK_CLONES_FMA static void dk_sgd_##SUF(int64_t n, T *p, const T *g, T *buf, double lr, double momentum, double dampening, \
                double weightDecay, int32_t nesterov, int32_t firstStep, int32_t maximize) { \
  T wd = (T)weightDecay, mo = (T)momentum, dm = (T)(1.0 - dampening), nlr = (T)(-lr); \
  /* Branches on arguments that may be NULL are split by hand: if-converted, they become masked   \
     AVX-512 loads from NULL + i that take a microcode assist per vector (30x slower). */          \
  if (momentum == 0) { \
    for (int64_t i = 0; i < n; i++) { \
      T gi = maximize ? -g[i] : g[i]; \
      if (weightDecay != 0) gi = FMA(p[i], wd, gi); \
      p[i] = FMA(gi, nlr, p[i]); \
    } \
    return; \
  } \
  for (int64_t i = 0; i < n; i++) { \
    T gi = maximize ? -g[i] : g[i]; \
    if (weightDecay != 0) gi = FMA(p[i], wd, gi); \
    if (momentum != 0) { \
      T b = firstStep ? gi : FMA(gi, dm, buf[i] * mo); \
      buf[i] = b; \
      gi = nesterov ? FMA(b, mo, gi) : b; \
    } \
    p[i] = FMA(gi, nlr, p[i]); \
  } \
} \
 \
/* Adam, RMSprop and Adagrad run in blocks of OPT_BLOCK: the update up to the square root, the block's \
   square roots by VSQRT (PyTorch's `.sqrt()` as a separate op: dk_vsqrtf_torch for float32, which on \
   non-Intel CPUs is MKL's not correctly rounded kernel), then the rest. Flags that decide whether a \
   pointer may be NULL are constants in each instantiation (see dk_sgd); the others are selects. */ \
static inline __attribute__((always_inline)) void dk_adam_loop_##SUF(int64_t n, T *p, const T *g, T *m, T *v, T *vmax, \
    T stepSize, T bc2s, T w1, T b2, T w2, T e, T wd, T decay, int coupled, int decoupled, int32_t maximize, const int amsgrad) { \
  T r[OPT_BLOCK]; \
  for (int64_t i0 = 0; i0 < n; i0 += OPT_BLOCK) { \
    const int64_t nb = n - i0 < OPT_BLOCK ? n - i0 : OPT_BLOCK; \
    T *pb = p + i0, *mb = m + i0, *vb = v + i0, *xb = amsgrad ? vmax + i0 : NULL; \
    const T *gb = g + i0; \
    for (int64_t i = 0; i < nb; i++) { \
      T gi = maximize ? -gb[i] : gb[i]; \
      const T pi = pb[i]; \
      gi = coupled ? FMA(pi, wd, gi) : gi;              /* grad.add(param, alpha=weight_decay) */ \
      pb[i] = decoupled ? pi * decay : pi;             /* param.mul_(1 - lr * weight_decay) */ \
      mb[i] = FMA(w1, gi - mb[i], mb[i]);              /* exp_avg.lerp_(grad, 1 - beta1) */ \
      vb[i] = FMA(w2 * gi, gi, vb[i] * b2);            /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2) */ \
      if (amsgrad) xb[i] = xb[i] > vb[i] ? xb[i] : vb[i]; /* torch.maximum(max_exp_avg_sq, exp_avg_sq) */ \
    } \
    VSQRT(nb, amsgrad ? xb : vb, r); \
    /* param.addcdiv_(exp_avg, exp_avg_sq.sqrt() / bias_correction2_sqrt + eps, value=-step_size) */ \
    for (int64_t i = 0; i < nb; i++) pb[i] = pb[i] + ((-stepSize) * mb[i]) / (r[i] / bc2s + e); \
  } \
} \
DK_CLONES_FMA static void dk_adam_##SUF(int64_t n, T *p, const T *g, T *m, T *v, T *vmax, double lr, double beta1, \
                 double beta2, double eps, double weightDecay, int64_t step, int32_t amsgrad, int32_t decoupled, int32_t maximize) { \
  double bc1 = 1.0 - pow(beta1, (double)step); \
  double bc2 = 1.0 - pow(beta2, (double)step); \
  T stepSize = (T)(lr / bc1); \
  T bc2s = (T)sqrt(bc2); \
  T w1 = (T)(1.0 - beta1), b2 = (T)beta2, w2 = (T)(1.0 - beta2), e = (T)eps; \
  T wd = (T)weightDecay, decay = (T)(1.0 - lr * weightDecay); \
  const int coupled = weightDecay != 0 && !decoupled, dec = weightDecay != 0 && decoupled; \
  if (amsgrad) dk_adam_loop_##SUF(n, p, g, m, v, vmax, stepSize, bc2s, w1, b2, w2, e, wd, decay, coupled, dec, maximize, 1); \
  else dk_adam_loop_##SUF(n, p, g, m, v, vmax, stepSize, bc2s, w1, b2, w2, e, wd, decay, coupled, dec, maximize, 0); \
} \
 \
/* One loop body per (centered, momentum) pair, constant-folded: gavg and buf may be NULL. */ \
static inline __attribute__((always_inline)) void dk_rmsprop_loop_##SUF(int64_t n, T *p, const T *g, T *sq, T *gavg, T *buf, \
    T a, T w, T e, T wd, T mo, T l, int wdOn, int32_t maximize, const int centered, const int mom) { \
  T t[OPT_BLOCK], r[OPT_BLOCK]; \
  for (int64_t i0 = 0; i0 < n; i0 += OPT_BLOCK) { \
    const int64_t nb = n - i0 < OPT_BLOCK ? n - i0 : OPT_BLOCK; \
    T *pb = p + i0, *sb = sq + i0, *ab = centered ? gavg + i0 : NULL, *bb = mom ? buf + i0 : NULL; \
    const T *gb = g + i0; \
    for (int64_t i = 0; i < nb; i++) { \
      T gi = maximize ? -gb[i] : gb[i]; \
      gi = wdOn ? FMA(pb[i], wd, gi) : gi; \
      const T s = FMA(w * gi, gi, sb[i] * a); sb[i] = s; \
      if (centered) { const T ga = FMA(w, gi - ab[i], ab[i]); ab[i] = ga; t[i] = FMA(-ga, ga, s); } \
      else t[i] = s; \
    } \
    VSQRT(nb, t, r); \
    for (int64_t i = 0; i < nb; i++) { \
      T gi = maximize ? -gb[i] : gb[i]; \
      gi = wdOn ? FMA(pb[i], wd, gi) : gi; \
      const T avg = r[i] + e; \
      if (mom) { const T bv = bb[i] * mo + gi / avg; bb[i] = bv; pb[i] = FMA(bv, -l, pb[i]); } \
      else pb[i] = pb[i] + ((-l) * gi) / avg; \
    } \
  } \
} \
DK_CLONES_FMA static void dk_rmsprop_##SUF(int64_t n, T *p, const T *g, T *sq, T *gavg, T *buf, double lr, double alpha, \
                    double eps, double weightDecay, double momentum, int32_t maximize) { \
  T a = (T)alpha, w = (T)(1.0 - alpha), e = (T)eps, wd = (T)weightDecay, mo = (T)momentum, l = (T)lr; \
  int wdOn = weightDecay != 0; \
  if (gavg && buf) dk_rmsprop_loop_##SUF(n, p, g, sq, gavg, buf, a, w, e, wd, mo, l, wdOn, maximize, 1, 1); \
  else if (gavg) dk_rmsprop_loop_##SUF(n, p, g, sq, gavg, buf, a, w, e, wd, mo, l, wdOn, maximize, 1, 0); \
  else if (buf) dk_rmsprop_loop_##SUF(n, p, g, sq, gavg, buf, a, w, e, wd, mo, l, wdOn, maximize, 0, 1); \
  else dk_rmsprop_loop_##SUF(n, p, g, sq, gavg, buf, a, w, e, wd, mo, l, wdOn, maximize, 0, 0); \
} \
 \
DK_CLONES_FMA static void dk_adagrad_##SUF(int64_t n, T *p, const T *g, T *sum, double clr, double eps, double weightDecay, int32_t maximize) { \
  T c = (T)clr, e = (T)eps, wd = (T)weightDecay; \
  const int wdOn = weightDecay != 0; \
  T r[OPT_BLOCK]; \
  for (int64_t i0 = 0; i0 < n; i0 += OPT_BLOCK) { \
    const int64_t nb = n - i0 < OPT_BLOCK ? n - i0 : OPT_BLOCK; \
    T *pb = p + i0, *sb = sum + i0; \
    const T *gb = g + i0; \
    for (int64_t i = 0; i < nb; i++) { \
      T gi = maximize ? -gb[i] : gb[i]; \
      gi = wdOn ? FMA(pb[i], wd, gi) : gi; \
      sb[i] = FMA(gi, gi, sb[i]); \
    } \
    VSQRT(nb, sb, r); \
    for (int64_t i = 0; i < nb; i++) { \
      T gi = maximize ? -gb[i] : gb[i]; \
      gi = wdOn ? FMA(pb[i], wd, gi) : gi; \
      pb[i] = pb[i] + ((-c) * gi) / (r[i] + e); \
    } \
  } \
}

/* Correctly rounded square roots of a block (float64's, and float32's where PyTorch's are). */
static void vsqrt_f64(int64_t n, const double *x, double *y) { for (int64_t i = 0; i < n; i++) y[i] = DK_VSQRT(x[i]); }

#define OPT_BLOCK 256
DK_OPTIM_KERNELS(f32, float, fmaf, dk_vsqrtf_torch)
DK_OPTIM_KERNELS(f64, double, fma, vsqrt_f64)

// Entry points taking the parameter dtype (DK_F32 or DK_F64). Large parameters are split over the
// thread pool in chunks; each element's update is independent, so the result does not change.
#define OPT_CHUNK 32768
#define OPT_AT(ptr, i) ((ptr) ? (char *)(ptr) + (size_t)(i) * es : NULL)

typedef struct {
  int32_t dtype; int64_t n; void *p; const void *g; void *a, *b, *c;
  double lr, x1, x2, x3, x4; int64_t step; int32_t f1, f2, f3;
} opt_ctx;

static void opt_chunks(opt_ctx *c, void (*fn)(void *, int64_t, int64_t)) {
  const int64_t chunks = (c->n + OPT_CHUNK - 1) / OPT_CHUNK;
  if (chunks <= 1) fn(c, 0, 1);
  else dk_parallel_for(chunks, 1, fn, c);
}
#define OPT_RANGE \
  const opt_ctx *c = vctx; const size_t es = c->dtype == DK_F64 ? 8 : 4; \
  const int64_t i0 = b * OPT_CHUNK, i1 = e * OPT_CHUNK < c->n ? e * OPT_CHUNK : c->n, n = i1 - i0; \
  void *p = OPT_AT(c->p, i0), *A = OPT_AT(c->a, i0), *B = OPT_AT(c->b, i0), *C = OPT_AT(c->c, i0); \
  const void *g = OPT_AT(c->g, i0);

static void sgd_range(void *vctx, int64_t b, int64_t e) {
  OPT_RANGE (void)B; (void)C;
  if (c->dtype == DK_F64) dk_sgd_f64(n, p, g, A, c->lr, c->x1, c->x2, c->x3, c->f1, c->f2, c->f3);
  else dk_sgd_f32(n, p, g, A, c->lr, c->x1, c->x2, c->x3, c->f1, c->f2, c->f3);
}
void dk_sgd(int32_t dtype, int64_t n, void *p, const void *g, void *buf, double lr, double momentum, double dampening,
            double weightDecay, int32_t nesterov, int32_t firstStep, int32_t maximize) {
  opt_ctx c = {dtype, n, p, g, buf, NULL, NULL, lr, momentum, dampening, weightDecay, 0, 0, nesterov, firstStep, maximize};
  opt_chunks(&c, sgd_range);
}

static void adam_range(void *vctx, int64_t b, int64_t e) {
  OPT_RANGE
  const int32_t amsgrad = c->f1 >> 1, decoupled = c->f1 & 1;
  if (c->dtype == DK_F64) dk_adam_f64(n, p, g, A, B, C, c->lr, c->x1, c->x2, c->x3, c->x4, c->step, amsgrad, decoupled, c->f2);
  else dk_adam_f32(n, p, g, A, B, C, c->lr, c->x1, c->x2, c->x3, c->x4, c->step, amsgrad, decoupled, c->f2);
}
void dk_adam(int32_t dtype, int64_t n, void *p, const void *g, void *m, void *v, void *vmax, double lr, double beta1,
             double beta2, double eps, double weightDecay, int64_t step, int32_t amsgrad, int32_t decoupled, int32_t maximize) {
  opt_ctx c = {dtype, n, p, g, m, v, vmax, lr, beta1, beta2, eps, weightDecay, step, (amsgrad ? 2 : 0) | (decoupled ? 1 : 0), maximize, 0};
  opt_chunks(&c, adam_range);
}

static void rmsprop_range(void *vctx, int64_t b, int64_t e) {
  OPT_RANGE
  if (c->dtype == DK_F64) dk_rmsprop_f64(n, p, g, A, B, C, c->lr, c->x1, c->x2, c->x3, c->x4, c->f1);
  else dk_rmsprop_f32(n, p, g, A, B, C, c->lr, c->x1, c->x2, c->x3, c->x4, c->f1);
}
void dk_rmsprop(int32_t dtype, int64_t n, void *p, const void *g, void *sq, void *gavg, void *buf, double lr, double alpha,
                double eps, double weightDecay, double momentum, int32_t maximize) {
  opt_ctx c = {dtype, n, p, g, sq, gavg, buf, lr, alpha, eps, weightDecay, momentum, 0, maximize, 0, 0};
  opt_chunks(&c, rmsprop_range);
}

static void adagrad_range(void *vctx, int64_t b, int64_t e) {
  OPT_RANGE (void)B; (void)C;
  if (c->dtype == DK_F64) dk_adagrad_f64(n, p, g, A, c->lr, c->x1, c->x2, c->f1);
  else dk_adagrad_f32(n, p, g, A, c->lr, c->x1, c->x2, c->f1);
}
void dk_adagrad(int32_t dtype, int64_t n, void *p, const void *g, void *sum, double clr, double eps, double weightDecay,
                int32_t maximize) {
  opt_ctx c = {dtype, n, p, g, sum, NULL, NULL, clr, eps, weightDecay, 0, 0, 0, maximize, 0, 0};
  opt_chunks(&c, adagrad_range);
}

// ---- Adadelta, Adamax, ASGD, Rprop, NAdam, RAdam, SparseAdam ----
// The element-wise updates are written once in optim_kernels.h and instantiated for float32 and float64
// here; fmaf/fma appear exactly where PyTorch's CPU kernels fuse, so the results do not depend on the
// optimisation level.

#define T float
#define SUF f32
#define FMA fmaf
#define SQRT(x) dk_sqrtf_torch(x)   /* PyTorch's float32 sqrt (vmath.c) */
#define FABS fabsf
#include "optim_kernels.h"
#undef T
#undef SUF
#undef FMA
#undef SQRT
#undef FABS
#define T double
#define SUF f64
#define FMA fma
#define SQRT DK_VSQRT
#define FABS fabs
#include "optim_kernels.h"
#undef T
#undef SUF
#undef FMA
#undef SQRT
#undef FABS

// Entry points taking the parameter's dtype (DK_F32 or DK_F64); state buffers share it.
#define OPTK_DISPATCH(name, ...) \
  do { if (dtype == DK_F64) name##_f64(__VA_ARGS__); else name##_f32(__VA_ARGS__); } while (0)

void dk_adadelta(int32_t dtype, int64_t n, void *p, const void *g, void *squareAvg, void *accDelta, double lr, double rho,
                 double eps, double weightDecay, int32_t maximize) {
  OPTK_DISPATCH(adadelta, n, p, g, squareAvg, accDelta, lr, rho, eps, weightDecay, maximize);
}
void dk_adamax(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expInf, double lr, double beta1,
               double beta2, double eps, double weightDecay, int64_t step, int32_t maximize) {
  OPTK_DISPATCH(adamax, n, p, g, expAvg, expInf, lr, beta1, beta2, eps, weightDecay, step, maximize);
}
void dk_asgd(int32_t dtype, int64_t n, void *p, const void *g, void *ax, float *eta, float *mu, double lr, double lambd,
             double alpha, double t0, double weightDecay, int64_t step, int32_t maximize) {
  OPTK_DISPATCH(asgd, n, p, g, ax, eta, mu, lr, lambd, alpha, t0, weightDecay, step, maximize);
}
void dk_rprop(int32_t dtype, int64_t n, void *p, const void *g, void *prev, void *stepSize, double etaminus, double etaplus,
              double stepSizeMin, double stepSizeMax, int32_t maximize) {
  OPTK_DISPATCH(rprop, n, p, g, prev, stepSize, etaminus, etaplus, stepSizeMin, stepSizeMax, maximize);
}
void dk_nadam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, float *muProduct, double lr,
              double beta1, double beta2, double eps, double weightDecay, double momentumDecay, int64_t step,
              int32_t decoupled, int32_t maximize) {
  OPTK_DISPATCH(nadam, n, p, g, expAvg, expAvgSq, muProduct, lr, beta1, beta2, eps, weightDecay, momentumDecay, step,
              decoupled, maximize);
}
void dk_radam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
              double beta2, double eps, double weightDecay, int64_t step, int32_t decoupled, int32_t maximize) {
  OPTK_DISPATCH(radam, n, p, g, expAvg, expAvgSq, lr, beta1, beta2, eps, weightDecay, step, decoupled, maximize);
}
void dk_sparse_adam(int32_t dtype, int64_t n, void *p, const void *g, void *expAvg, void *expAvgSq, double lr, double beta1,
                    double beta2, double eps, int64_t step, int32_t maximize) {
  OPTK_DISPATCH(sparse_adam, n, p, g, expAvg, expAvgSq, lr, beta1, beta2, eps, step, maximize);
}
