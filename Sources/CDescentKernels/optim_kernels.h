// The element-wise updates of Adadelta, Adamax, ASGD, Rprop, NAdam, RAdam and SparseAdam (optim.c),
// written once over the element type and included twice (no include guard): with T float / SUF f32
// and with T double / SUF f64. Each loop body is
// the chain of PyTorch's single-tensor implementation with every intermediate rounded to T where
// PyTorch rounds it; FMA appears exactly where PyTorch's CPU kernels fuse (add/sub with alpha,
// addcmul, lerp). Python scalars (lr, betas, bias corrections) are computed in double and rounded
// to T once, as PyTorch rounds a Python float to the tensor's dtype.
//   needs: T, SUF, FMA (fmaf/fma), SQRT (DK_VSQRTf/DK_VSQRT), FABS (fabsf/fabs)
#define OPTK_CAT_(a, b) a##_##b
#define OPTK_CAT(a, b) OPTK_CAT_(a, b)
#define OPTK(name) OPTK_CAT(name, SUF)

/// PyTorch's lerp with a scalar weight.
static inline T OPTK(lerp)(T self, T end, T w) {
  return FABS(w) < (T)0.5 ? FMA(w, end - self, self) : FMA(self - end, (T)1 - w, end);
}
/// torch.maximum (NaN propagates).
static inline T OPTK(maximum)(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

DK_CLONES_FMA static void OPTK(adadelta)(int64_t n, T *p, const T *g, T *squareAvg, T *accDelta, double lr, double rho,
                                       double eps, double weightDecay, int32_t maximize) {
  const T r = (T)rho, w = (T)(1.0 - rho), e = (T)eps, wd = (T)weightDecay, nlr = (T)(-lr);
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = FMA(wd, p[i], gi);               // grad.add(param, alpha=weight_decay)
    T sq = FMA(w * gi, gi, squareAvg[i] * r);                   // square_avg.mul_(rho).addcmul_(grad, grad, value=1-rho)
    squareAvg[i] = sq;
    T stdv = SQRT(sq + e);                                      // square_avg.add(eps).sqrt_()
    T delta = SQRT(accDelta[i] + e);                            // acc_delta.add(eps).sqrt_()
    delta = (delta / stdv) * gi;                                // delta.div_(std).mul_(grad)
    accDelta[i] = FMA(w * delta, delta, accDelta[i] * r);       // acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)
    p[i] = FMA(nlr, delta, p[i]);                               // param.add_(delta, alpha=-lr)
  }
}

DK_CLONES_FMA static void OPTK(adamax)(int64_t n, T *p, const T *g, T *expAvg, T *expInf, double lr, double beta1,
                                     double beta2, double eps, double weightDecay, int64_t step, int32_t maximize) {
  const T w1 = (T)(1.0 - beta1), b2 = (T)beta2, e = (T)eps, wd = (T)weightDecay;
  const T nclr = (T)(-(lr / (1.0 - pow(beta1, (double)step))));
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = FMA(wd, p[i], gi);
    T m = OPTK(lerp)(expAvg[i], gi, w1);                          // exp_avg.lerp_(grad, 1-beta1)
    expAvg[i] = m;
    T u = OPTK(maximum)(expInf[i] * b2, FABS(gi) + e);            // maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))
    expInf[i] = u;
    p[i] = p[i] + (nclr * m) / u;                               // param.addcdiv_(exp_avg, exp_inf, value=-clr)
  }
}

/* eta and mu are float32 0-dim tensors whatever the parameter's dtype, as in PyTorch (_get_scalar_dtype()). */
DK_CLONES_FMA static void OPTK(asgd)(int64_t n, T *p, const T *g, T *ax, float *eta, float *mu, double lr, double lambd,
                                   double alpha, double t0, double weightDecay, int64_t step, int32_t maximize) {
  const double etaValue = (double)*eta;
  const T decay = (T)(1.0 - lambd * etaValue), neta = (T)(-etaValue), wd = (T)weightDecay;
  const T m = (T)*mu;
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    if (weightDecay != 0) gi = FMA(wd, p[i], gi);
    T pi = p[i] * decay;                                        // param.mul_(1 - lambd*eta)
    pi = FMA(neta, gi, pi);                                     // param.add_(grad, alpha=-eta)
    p[i] = pi;
    if (m != (T)1) ax[i] = ax[i] + (pi - ax[i]) * m;            // ax.add_(param.sub(ax).mul_(mu))
    else ax[i] = pi;                                            // ax.copy_(param)
  }
  const double s = (double)step;
  *eta = (float)(lr / pow(1.0 + lambd * lr * s, alpha));
  *mu = (float)(1.0 / (s - t0 > 1.0 ? s - t0 : 1.0));
}

DK_CLONES_FMA static void OPTK(rprop)(int64_t n, T *p, const T *g, T *prev, T *stepSize, double etaminus, double etaplus,
                                    double stepSizeMin, double stepSizeMax, int32_t maximize) {
  const T em = (T)etaminus, ep = (T)etaplus, lo = (T)stepSizeMin, hi = (T)stepSizeMax;
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    T prod = gi * prev[i];                                      // grad.mul(prev).sign()
    T s = (T)((0 < prod) - (prod < 0));                         // (torch.sign: 0 for 0 and NaN)
    if (s > 0) s = ep;                                          // sign[sign.gt(0)] = etaplus
    if (s < 0) s = em;                                          // sign[sign.lt(0)] = etaminus
    if (s == 0) s = (T)1;                                       // sign[sign.eq(0)] = 1
    T ss = stepSize[i] * s;                                     // step_size.mul_(sign).clamp_(min, max)
    if (!(ss != ss)) { ss = ss < lo ? lo : ss; ss = ss > hi ? hi : ss; }
    stepSize[i] = ss;
    if (s == em) gi = 0;                                        // grad[sign.eq(etaminus)] = 0
    T sg = (T)((0 < gi) - (gi < 0));
    p[i] = FMA(-sg, ss, p[i]);                                  // param.addcmul_(grad.sign(), step_size, value=-1)
    prev[i] = gi;                                               // prev.copy_(grad)
  }
}

/* mu_product is a float32 0-dim tensor whatever the parameter's dtype, as in PyTorch. */
DK_CLONES_FMA static void OPTK(nadam)(int64_t n, T *p, const T *g, T *expAvg, T *expAvgSq, float *muProduct, double lr,
                                    double beta1, double beta2, double eps, double weightDecay, double momentumDecay,
                                    int64_t step, int32_t decoupled, int32_t maximize) {
  const double s = (double)step;
  const double bc2 = 1.0 - pow(beta2, s);
  const double mu = beta1 * (1.0 - 0.5 * pow(0.96, s * momentumDecay));
  const double muNext = beta1 * (1.0 - 0.5 * pow(0.96, (s + 1.0) * momentumDecay));
  const float muProd = *muProduct * (float)mu;                  // mu_product *= mu (a float32 tensor)
  *muProduct = muProd;
  const double muProductNext = (double)muProd * muNext;
  const T c1 = (T)(-lr * (1.0 - mu) / (1.0 - (double)muProd));
  const T c2 = (T)((-lr * muNext) / (1.0 - muProductNext));
  const T w1 = (T)(1.0 - beta1), b2 = (T)beta2, w2 = (T)(1.0 - beta2), e = (T)eps;
  const T wd = (T)weightDecay, decay = (T)(1.0 - lr * weightDecay), bc2t = (T)bc2;
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    T pi = p[i];
    if (weightDecay != 0) {
      if (decoupled) pi = pi * decay;                           // param.mul_(1 - lr*weight_decay)
      else gi = FMA(wd, pi, gi);                                // grad.add(param, alpha=weight_decay)
    }
    T m = OPTK(lerp)(expAvg[i], gi, w1);                          // exp_avg.lerp_(grad, 1-beta1)
    T v = FMA(w2 * gi, gi, expAvgSq[i] * b2);                   // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
    expAvg[i] = m; expAvgSq[i] = v;
    T den = SQRT(v / bc2t) + e;                                 // exp_avg_sq.div(bc2).sqrt().add_(eps)
    pi = pi + (c1 * gi) / den;                                  // param.addcdiv_(grad, denom, value=c1)
    pi = pi + (c2 * m) / den;                                   // param.addcdiv_(exp_avg, denom, value=c2)
    p[i] = pi;
  }
}

DK_CLONES_FMA static void OPTK(radam)(int64_t n, T *p, const T *g, T *expAvg, T *expAvgSq, double lr, double beta1,
                                    double beta2, double eps, double weightDecay, int64_t step, int32_t decoupled, int32_t maximize) {
  const double s = (double)step;
  const double bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
  const double rhoInf = 2.0 / (1.0 - beta2) - 1.0;
  const double rhoT = rhoInf - 2.0 * s * pow(beta2, s) / bc2;
  const int rectify = rhoT > 5.0;
  const T rect = rectify ? (T)pow((rhoT - 4.0) * (rhoT - 2.0) * rhoInf / ((rhoInf - 4.0) * (rhoInf - 2.0) * rhoT), 0.5) : (T)1;
  const T sqrtBc2 = (T)pow(bc2, 0.5);
  const T w1 = (T)(1.0 - beta1), b2 = (T)beta2, w2 = (T)(1.0 - beta2), e = (T)eps;
  const T wd = (T)weightDecay, decay = (T)(1.0 - lr * weightDecay), bc1t = (T)bc1, lrt = (T)lr;
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    T pi = p[i];
    if (weightDecay != 0) {
      if (decoupled) pi = pi * decay;
      else gi = FMA(wd, pi, gi);
    }
    T m = OPTK(lerp)(expAvg[i], gi, w1);
    T v = FMA(w2 * gi, gi, expAvgSq[i] * b2);
    expAvg[i] = m; expAvgSq[i] = v;
    T upd = (m / bc1t) * lrt;                                   // exp_avg / bias_correction1 * lr
    if (rectify) {
      T adaptive = ((T)1 / (SQRT(v) + e)) * sqrtBc2;            // bc2**0.5 / exp_avg_sq.sqrt().add_(eps)
      upd = (upd * adaptive) * rect;                            // ... * adaptive_lr * rect
    }
    p[i] = pi - upd;                                            // param.add_(..., alpha=-1.0)
  }
}

DK_CLONES_FMA static void OPTK(sparse_adam)(int64_t n, T *p, const T *g, T *expAvg, T *expAvgSq, double lr, double beta1,
                                          double beta2, double eps, int64_t step, int32_t maximize) {
  const double s = (double)step;
  const double bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
  const T nss = (T)(-(lr * sqrt(bc2) / bc1));
  const T w1 = (T)(1.0 - beta1), w2 = (T)(1.0 - beta2), e = (T)eps;
  for (int64_t i = 0; i < n; i++) {
    T gi = maximize ? -g[i] : g[i];
    if (gi == 0) continue;                                      // not an entry of the sparse gradient
    T m0 = expAvg[i], v0 = expAvgSq[i];
    T mu = (gi - m0) * w1;                                      // grad_values.sub(old_exp_avg_values).mul_(1-beta1)
    T vu = (gi * gi - v0) * w2;                                 // grad_values.pow(2).sub_(old).mul_(1-beta2)
    expAvg[i] = m0 + mu;
    expAvgSq[i] = v0 + vu;
    T numer = mu + m0;
    T denom = SQRT(vu + v0) + e;
    p[i] = p[i] + nss * (numer / denom);                        // param.add_(-step_size * numer.div_(denom))
  }
}

#undef OPTK
#undef OPTK_CAT
#undef OPTK_CAT_
