#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
// More fused optimizer updates (see include/dk_optim2.h). Each loop body is the element-wise chain of
// PyTorch's single-tensor implementation with every intermediate rounded to float32 where PyTorch
// rounds it; fmaf appears exactly where PyTorch's CPU kernels fuse (add/sub with alpha, addcmul, lerp),
// so the results do not depend on the optimisation level. Scalars that PyTorch computes in Python
// (bias corrections, step sizes) are computed in double and rounded to float once, as PyTorch does.
#include "dk_optim2.h"
#include "dk_target.h"
#include <math.h>
#include <string.h>

/// PyTorch's lerp for a float32 tensor and a scalar weight.
static inline float lerp_f32(float self, float end, float w) {
  return fabsf(w) < 0.5f ? fmaf(w, end - self, self) : fmaf(self - end, 1.0f - w, end);
}
/// torch.maximum (NaN propagates).
static inline float maximum_f32(float a, float b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

DK_CLONES_FMA void dk_adadelta_f32(int64_t n, float *p, const float *g, float *squareAvg, float *accDelta, double lr, double rho,
                     double eps, double weightDecay, int32_t maximize) {
  const float r = (float)rho, w = (float)(1.0 - rho), e = (float)eps, wd = (float)weightDecay, nlr = (float)(-lr);
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(wd, p[i], gi);               // grad.add(param, alpha=weight_decay)
    float sq = fmaf(w * gi, gi, squareAvg[i] * r);               // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
    squareAvg[i] = sq;
    float stdv = DK_VSQRTf(sq + e);                                   // square_avg.add(eps).sqrt_()
    float delta = DK_VSQRTf(accDelta[i] + e);                         // acc_delta.add(eps).sqrt_()
    delta = (delta / stdv) * gi;                                  // delta.div_(std).mul_(grad)
    accDelta[i] = fmaf(w * delta, delta, accDelta[i] * r);        // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
    p[i] = fmaf(nlr, delta, p[i]);                                // param.add_(delta, alpha=-lr)
  }
}

DK_CLONES_FMA void dk_adamax_f32(int64_t n, float *p, const float *g, float *expAvg, float *expInf, double lr, double beta1,
                   double beta2, double eps, double weightDecay, int64_t step, int32_t maximize) {
  const float w1 = (float)(1.0 - beta1), b2 = (float)beta2, e = (float)eps, wd = (float)weightDecay;
  const double clr = lr / (1.0 - pow(beta1, (double)step));
  const float nclr = (float)(-clr);
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(wd, p[i], gi);
    float m = lerp_f32(expAvg[i], gi, w1);                        // exp_avg.lerp_(grad, 1-beta1)
    expAvg[i] = m;
    float u = maximum_f32(expInf[i] * b2, fabsf(gi) + e);          // maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))
    expInf[i] = u;
    p[i] = p[i] + (nclr * m) / u;                                 // param.addcdiv_(exp_avg, exp_inf, value=-clr)
  }
}

DK_CLONES_FMA void dk_asgd_f32(int64_t n, float *p, const float *g, float *ax, float *eta, float *mu, double lr, double lambd,
                 double alpha, double t0, double weightDecay, int64_t step, int32_t maximize) {
  const double etaValue = (double)*eta;
  const float decay = (float)(1.0 - lambd * etaValue), neta = (float)(-etaValue), wd = (float)weightDecay;
  const float m = *mu;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = fmaf(wd, p[i], gi);
    float pi = p[i] * decay;                                      // param.mul_(1 - lambd*eta)
    pi = fmaf(neta, gi, pi);                                      // param.add_(grad, alpha=-eta)
    p[i] = pi;
    if (m != 1.0f) ax[i] = ax[i] + (pi - ax[i]) * m;              // ax.add_(param.sub(ax).mul_(mu))
    else ax[i] = pi;                                              // ax.copy_(param)
  }
  const double s = (double)step;
  *eta = (float)(lr / pow(1.0 + lambd * lr * s, alpha));
  *mu = (float)(1.0 / (s - t0 > 1.0 ? s - t0 : 1.0));
}

DK_CLONES_FMA void dk_rprop_f32(int64_t n, float *p, const float *g, float *prev, float *stepSize, double etaminus, double etaplus,
                  double stepSizeMin, double stepSizeMax, int32_t maximize) {
  const float em = (float)etaminus, ep = (float)etaplus, lo = (float)stepSizeMin, hi = (float)stepSizeMax;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    float prod = gi * prev[i];                                    // grad.mul(prev).sign()
    float s = (float)((0 < prod) - (prod < 0));                   // (torch.sign: 0 for 0 and NaN)
    if (s > 0) s = ep;                                            // sign[sign.gt(0)] = etaplus
    if (s < 0) s = em;                                            // sign[sign.lt(0)] = etaminus
    if (s == 0) s = 1.0f;                                         // sign[sign.eq(0)] = 1
    float ss = stepSize[i] * s;                                   // step_size.mul_(sign).clamp_(min, max)
    if (!(ss != ss)) { ss = ss < lo ? lo : ss; ss = ss > hi ? hi : ss; }
    stepSize[i] = ss;
    if (s == em) gi = 0;                                          // grad[sign.eq(etaminus)] = 0
    float sg = (float)((0 < gi) - (gi < 0));
    p[i] = fmaf(-sg, ss, p[i]);                                   // param.addcmul_(grad.sign(), step_size, value=-1)
    prev[i] = gi;                                                 // prev.copy_(grad)
  }
}

DK_CLONES_FMA void dk_nadam_f32(int64_t n, float *p, const float *g, float *expAvg, float *expAvgSq, float *muProduct, double lr,
                  double beta1, double beta2, double eps, double weightDecay, double momentumDecay, int64_t step,
                  int32_t decoupled, int32_t maximize) {
  const double s = (double)step;
  const double bc2 = 1.0 - pow(beta2, s);
  const double mu = beta1 * (1.0 - 0.5 * pow(0.96, s * momentumDecay));
  const double muNext = beta1 * (1.0 - 0.5 * pow(0.96, (s + 1.0) * momentumDecay));
  const float muProd = *muProduct * (float)mu;                    // mu_product *= mu (a float32 tensor)
  *muProduct = muProd;
  const double muProductNext = (double)muProd * muNext;
  const float c1 = (float)(-lr * (1.0 - mu) / (1.0 - (double)muProd));
  const float c2 = (float)((-lr * muNext) / (1.0 - muProductNext));
  const float w1 = (float)(1.0 - beta1), b2 = (float)beta2, w2 = (float)(1.0 - beta2), e = (float)eps;
  const float wd = (float)weightDecay, decay = (float)(1.0 - lr * weightDecay), bc2f = (float)bc2;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    float pi = p[i];
    if (weightDecay != 0) {
      if (decoupled) pi = pi * decay;                             // param.mul_(1 - lr*weight_decay)
      else gi = fmaf(wd, pi, gi);                                 // grad.add(param, alpha=weight_decay)
    }
    float m = lerp_f32(expAvg[i], gi, w1);                        // exp_avg.lerp_(grad, 1-beta1)
    float v = fmaf(w2 * gi, gi, expAvgSq[i] * b2);                // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
    expAvg[i] = m; expAvgSq[i] = v;
    float den = DK_VSQRTf(v / bc2f) + e;                              // exp_avg_sq.div(bc2).sqrt().add_(eps)
    pi = pi + (c1 * gi) / den;                                    // param.addcdiv_(grad, denom, value=c1)
    pi = pi + (c2 * m) / den;                                     // param.addcdiv_(exp_avg, denom, value=c2)
    p[i] = pi;
  }
}

DK_CLONES_FMA void dk_radam_f32(int64_t n, float *p, const float *g, float *expAvg, float *expAvgSq, double lr, double beta1,
                  double beta2, double eps, double weightDecay, int64_t step, int32_t decoupled, int32_t maximize) {
  const double s = (double)step;
  const double bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
  const double rhoInf = 2.0 / (1.0 - beta2) - 1.0;
  const double rhoT = rhoInf - 2.0 * s * pow(beta2, s) / bc2;
  const int rectify = rhoT > 5.0;
  const float rect = rectify ? (float)pow((rhoT - 4.0) * (rhoT - 2.0) * rhoInf / ((rhoInf - 4.0) * (rhoInf - 2.0) * rhoT), 0.5) : 1.0f;
  const float sqrtBc2 = (float)pow(bc2, 0.5);
  const float w1 = (float)(1.0 - beta1), b2 = (float)beta2, w2 = (float)(1.0 - beta2), e = (float)eps;
  const float wd = (float)weightDecay, decay = (float)(1.0 - lr * weightDecay), bc1f = (float)bc1, lrf = (float)lr;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    float pi = p[i];
    if (weightDecay != 0) {
      if (decoupled) pi = pi * decay;
      else gi = fmaf(wd, pi, gi);
    }
    float m = lerp_f32(expAvg[i], gi, w1);
    float v = fmaf(w2 * gi, gi, expAvgSq[i] * b2);
    expAvg[i] = m; expAvgSq[i] = v;
    float upd = (m / bc1f) * lrf;                                 // exp_avg / bias_correction1 * lr
    if (rectify) {
      float adaptive = (1.0f / (DK_VSQRTf(v) + e)) * sqrtBc2;         // bc2**0.5 / exp_avg_sq.sqrt().add_(eps)
      upd = (upd * adaptive) * rect;                              // ... * adaptive_lr * rect
    }
    p[i] = pi - upd;                                              // param.add_(..., alpha=-1.0)
  }
}

DK_CLONES_FMA void dk_sparse_adam_f32(int64_t n, float *p, const float *g, float *expAvg, float *expAvgSq, double lr, double beta1,
                        double beta2, double eps, int64_t step, int32_t maximize) {
  const double s = (double)step;
  const double bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
  const float nss = (float)(-(lr * sqrt(bc2) / bc1));
  const float w1 = (float)(1.0 - beta1), w2 = (float)(1.0 - beta2), e = (float)eps;
  for (int64_t i = 0; i < n; i++) {
    float gi = maximize ? -g[i] : g[i];
    if (gi == 0) continue;                                        // not an entry of the sparse gradient
    float m0 = expAvg[i], v0 = expAvgSq[i];
    float mu = (gi - m0) * w1;                                    // grad_values.sub(old_exp_avg_values).mul_(1-beta1)
    float vu = (gi * gi - v0) * w2;                               // grad_values.pow(2).sub_(old).mul_(1-beta2)
    expAvg[i] = m0 + mu;
    expAvgSq[i] = v0 + vu;
    float numer = mu + m0;
    float denom = DK_VSQRTf(vu + v0) + e;
    p[i] = p[i] + nss * (numer / denom);                          // param.add_(-step_size * numer.div_(denom))
  }
}

// ---- L-BFGS helpers ----

float dk_lbfgs_dot_f32(int64_t n, const float *x, const float *y) {
  float acc[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; i++) acc[i & 3] = acc[i & 3] + x[i] * y[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/// One "load" of `w` lanes (w = 1 or 8) at load index i: |x[i*w + lane]|.
static inline void load_abs(const float *x, int64_t i, int w, float *out) {
  for (int l = 0; l < w; l++) out[l] = fabsf(x[i * w + l]);
}
static int64_t ceil_log2_i64(int64_t x) {
  if (x <= 2) return 1;
  int64_t r = 0;
  uint64_t v = (uint64_t)(x - 1);
  while (v) { r++; v >>= 1; }
  return r;
}
/// PyTorch's row_sum (ilp factor 4 over multi_row_sum with 4 cascade levels) over `size` loads of w lanes.
static void row_sum_abs(const float *x, int64_t size, int w, float *result) {
  enum { LEVELS = 4, ROWS = 4 };
  float acc[LEVELS][ROWS][8];
  memset(acc, 0, sizeof acc);
  const int64_t sizeIlp = size / ROWS;
  int64_t levelPower = ceil_log2_i64(sizeIlp) / LEVELS;
  if (levelPower < 4) levelPower = 4;
  const int64_t levelStep = (int64_t)1 << levelPower, levelMask = levelStep - 1;
  float tmp[8];
  int64_t i = 0;
  for (; i + levelStep <= sizeIlp;) {
    for (int64_t j = 0; j < levelStep; ++j, ++i)
      for (int k = 0; k < ROWS; k++) {
        load_abs(x, i * ROWS + k, w, tmp);
        for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + tmp[l];
      }
    for (int j = 1; j < LEVELS; j++) {
      for (int k = 0; k < ROWS; k++)
        for (int l = 0; l < w; l++) { acc[j][k][l] = acc[j][k][l] + acc[j - 1][k][l]; acc[j - 1][k][l] = 0; }
      if ((i & (levelMask << (j * levelPower))) != 0) break;
    }
  }
  for (; i < sizeIlp; ++i)
    for (int k = 0; k < ROWS; k++) {
      load_abs(x, i * ROWS + k, w, tmp);
      for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + tmp[l];
    }
  for (int j = 1; j < LEVELS; j++)
    for (int k = 0; k < ROWS; k++)
      for (int l = 0; l < w; l++) acc[0][k][l] = acc[0][k][l] + acc[j][k][l];
  // row_sum: the loads left over after the groups of 4 go to partial 0, then partial 0 += partials 1..3
  for (int64_t t = sizeIlp * ROWS; t < size; t++) {
    load_abs(x, t, w, tmp);
    for (int l = 0; l < w; l++) acc[0][0][l] = acc[0][0][l] + tmp[l];
  }
  for (int k = 1; k < ROWS; k++)
    for (int l = 0; l < w; l++) acc[0][0][l] = acc[0][0][l] + acc[0][k][l];
  for (int l = 0; l < w; l++) result[l] = acc[0][0][l];
}

float dk_lbfgs_sum_abs_f32(int64_t n, const float *x) {
  enum { W = 8 };
  float r[8];
  if (n < W) { row_sum_abs(x, n, 1, r); return r[0]; }
  const int64_t vecs = n / W;
  row_sum_abs(x, vecs, W, r);
  float total = 0;
  for (int64_t k = vecs * W; k < n; k++) total = total + fabsf(x[k]);
  for (int l = 0; l < W; l++) total = total + r[l];
  return total;
}

float dk_lbfgs_max_abs_f32(int64_t n, const float *x, float scale) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) {
    float a = fabsf(x[i] * scale);
    if (a != a) return a;
    if (a > m) m = a;
  }
  return m;
}

void dk_lbfgs_axpy_f32(int64_t n, float alpha, const float *x, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = fmaf(alpha, x[i], y[i]);
}

void dk_lbfgs_sub_f32(int64_t n, const float *a, const float *b, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] - b[i];
}

void dk_lbfgs_scale_f32(int64_t n, const float *x, float s, float *y) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * s;
}

void dk_lbfgs_direction_f32(int64_t n, int64_t k, int64_t cap, int64_t head, const float *oldDirs,
                            const float *oldStps, const float *ro, float *al, const float *g, float hDiag, float *d) {
  // q = -g (d holds q, then r)
  for (int64_t j = 0; j < n; j++) d[j] = -g[j];
  for (int64_t i = k - 1; i >= 0; i--) {
    const int64_t row = (head + i) % cap;
    al[i] = dk_lbfgs_dot_f32(n, oldStps + row * n, d) * ro[row];   // al[i] = old_stps[i].dot(q) * ro[i]
    dk_lbfgs_axpy_f32(n, -al[i], oldDirs + row * n, d);          // q.add_(old_dirs[i], alpha=-al[i])
  }
  for (int64_t j = 0; j < n; j++) d[j] = d[j] * hDiag;           // d = r = torch.mul(q, H_diag)
  for (int64_t i = 0; i < k; i++) {
    const int64_t row = (head + i) % cap;
    float be = dk_lbfgs_dot_f32(n, oldDirs + row * n, d) * ro[row]; // be_i = old_dirs[i].dot(r) * ro[i]
    dk_lbfgs_axpy_f32(n, al[i] - be, oldStps + row * n, d);     // r.add_(old_stps[i], alpha=al[i] - be_i)
  }
}
