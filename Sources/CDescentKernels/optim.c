// Fused optimizer updates (see include/dk_optim.h). FMA only where PyTorch's vectorised kernels use it.
#include "dk_optim.h"
#include <math.h>
#include <stdlib.h>
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

void dk_sgd_f32(int64_t n, float *p, const float *g, float *buf, double lr, double momentum, double dampening,
                double weightDecay, int32_t nesterov, int32_t firstStep, int32_t maximize) {
  float wd = (float)weightDecay, mo = (float)momentum, dm = (float)(1.0 - dampening), nlr = (float)(-lr);
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(p[i], wd, gi);
    if (momentum != 0) {
      float b = firstStep ? gi : fmaf(gi, dm, buf[i] * mo);
      buf[i] = b;
      gi = nesterov ? fmaf(b, mo, gi) : b;
    }
    p[i] = fmaf(gi, nlr, p[i]);
  }
}

void dk_adam_f32(int64_t n, float *p, const float *g, float *m, float *v, float *vmax, double lr, double beta1,
                 double beta2, double eps, double weightDecay, int64_t step, int32_t amsgrad, int32_t decoupled, int32_t maximize) {
  double bc1 = 1.0 - pow(beta1, (double)step);
  double bc2 = 1.0 - pow(beta2, (double)step);
  float stepSize = (float)(lr / bc1);
  float bc2s = (float)sqrt(bc2);
  float w1 = (float)(1.0 - beta1), b2 = (float)beta2, w2 = (float)(1.0 - beta2), e = (float)eps;
  float wd = (float)weightDecay, decay = (float)(1.0 - lr * weightDecay);
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    float pi = p[i];
    if (weightDecay != 0) {
      if (decoupled) pi = pi * decay;
      else gi = fmaf(pi, wd, gi);
    }
    float mi = fmaf(w1, gi - m[i], m[i]);             // exp_avg.lerp_(grad, 1 - beta1)
    float vi = fmaf(w2 * gi, gi, v[i] * b2);               // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    m[i] = mi; v[i] = vi;
    float den;
    if (amsgrad) { float vm = vmax[i] > vi ? vmax[i] : vi; vmax[i] = vm; den = sqrtf(vm) / bc2s + e; }
    else den = sqrtf(vi) / bc2s + e;
    p[i] = pi + ((-stepSize) * mi) / den;              // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

void dk_rmsprop_f32(int64_t n, float *p, const float *g, float *sq, float *gavg, float *buf, double lr, double alpha,
                    double eps, double weightDecay, double momentum, int32_t maximize) {
  float a = (float)alpha, w = (float)(1.0 - alpha), e = (float)eps, wd = (float)weightDecay, mo = (float)momentum, l = (float)lr;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(p[i], wd, gi);
    float s = fmaf(w * gi, gi, sq[i] * a); sq[i] = s;
    float avg;
    if (gavg) { float ga = fmaf(w, gi - gavg[i], gavg[i]); gavg[i] = ga; avg = sqrtf(fmaf(-ga, ga, s)) + e; }
    else avg = sqrtf(s) + e;
    if (buf) { float b = buf[i] * mo + gi / avg; buf[i] = b; p[i] = fmaf(b, -l, p[i]); }
    else p[i] = p[i] + ((-l) * gi) / avg;
  }
}

void dk_adagrad_f32(int64_t n, float *p, const float *g, float *sum, double clr, double eps, double weightDecay, int32_t maximize) {
  float c = (float)clr, e = (float)eps, wd = (float)weightDecay;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(p[i], wd, gi);
    float s = fmaf(gi, gi, sum[i]); sum[i] = s;
    p[i] = p[i] + ((-c) * gi) / (sqrtf(s) + e);
  }
}
