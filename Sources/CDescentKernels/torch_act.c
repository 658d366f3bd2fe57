// PyTorch's float32 elementwise activations, rounded as torch 2.13's CPU kernels round them (AVX2
// build; checked bit for bit on 2^20 inputs, Tools/pytorch-numerics/activations.md):
//
// - ATen's cpu_kernel_vec gives each parallel chunk (n split in ceil(n / T) pieces once n passes
//   32768) to the vector lambda in blocks of two vectors (16 floats on AVX2), and the last len % 16
//   elements to the scalar lambda. The vector lambdas call SLEEF's 1-ulp functions (ported below),
//   the scalar ones glibc's (called directly: the same libm PyTorch calls). torch_split runs both.
// - torch.exp is MKL's vsExp; on x86 CPUs not made by Intel MKL runs its generic kernel, ported below.
// - F.gelu (exact) on a contiguous tensor runs oneDNN's eltwise kernel (its own exp and erf).
// - GCC fuses a multiply feeding an add in PyTorch's kernels; the fused products are explicit fmaf.
#include "dk_vmath.h"
#include "dk_parallel.h"
#include "dk_target.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define SI static inline __attribute__((always_inline))
#define FMA __builtin_fmaf

SI float sp_f(int32_t i) { float f; memcpy(&f, &i, 4); return f; }
SI int32_t sp_i(float f) { int32_t i; memcpy(&i, &f, 4); return i; }

#define L2Uf 0.693145751953125f
#define L2Lf 1.428606765330187045e-06f
#define R_LN2f 1.442695040888963407359924681001892137426645954152985934135449406931f

typedef struct { float x, y; } f2;
SI f2 mk(float x, float y) { f2 r = {x, y}; return r; }
SI float vrint_f(float x) { return __builtin_rintf(x); }                  /* cvtps2dq, RNE */
SI int32_t vrint_i(float x) { float r = __builtin_rintf(x); return (r != r || fabsf(r) >= 2147483648.0f) ? INT32_MIN : (int32_t)r; }
SI float vpow2i(int32_t q) { return sp_f((int32_t)((uint32_t)(q + 0x7f) << 23)); }
SI float vldexp2(float d, int32_t e) { return (d * vpow2i(e >> 1)) * vpow2i(e - (e >> 1)); }
SI float vldexp3(float d, int32_t q) { return sp_f((int32_t)((uint32_t)sp_i(d) + ((uint32_t)q << 23))); }
SI int32_t vilogb2k(float d) { return ((sp_i(d) >> 23) & 0xff) - 0x7f; }
SI float mulsign(float x, float y) { return sp_f(sp_i(x) ^ (sp_i(y) & (int32_t)0x80000000u)); }

/* df.h (ENABLE_FMA_SP variants) */
SI f2 dfnormalize(f2 t) { float s = t.x + t.y; return mk(s, (t.x - s) + t.y); }
SI f2 dfscale(f2 d, float s) { return mk(d.x * s, d.y * s); }
SI f2 dfadd_ff(float x, float y) { float s = x + y; return mk(s, (x - s) + y); }
SI f2 dfadd2_ff(float x, float y) { float s = x + y, v = s - x; return mk(s, (x - (s - v)) + (y - v)); }
SI f2 dfadd_f2f(f2 x, float y) { float s = x.x + y; return mk(s, ((x.x - s) + y) + x.y); }
SI f2 dfadd2_f2f(f2 x, float y) { float s = x.x + y, v = s - x.x; float t = (x.x - (s - v)) + (y - v); return mk(s, t + x.y); }
SI f2 dfadd_ff2(float x, f2 y) { float s = x + y.x; return mk(s, ((x - s) + y.x) + y.y); }
SI f2 dfadd_f2f2(f2 x, f2 y) { float s = x.x + y.x; return mk(s, (((x.x - s) + y.x) + x.y) + y.y); }
SI f2 dfadd2_f2f2(f2 x, f2 y) { float s = x.x + y.x, v = s - x.x; float t = (x.x - (s - v)) + (y.x - v); return mk(s, t + (x.y + y.y)); }
SI f2 dfdiv(f2 n, f2 d) {
  float t = 1.0f / d.x, s = n.x * t, u = FMA(t, n.x, -s);
  float v = FMA(-d.y, t, FMA(-d.x, t, 1.0f));
  return mk(s, FMA(s, v, FMA(n.y, t, u)));
}
SI f2 dfsqu(f2 x) { float s = x.x * x.x; return mk(s, FMA(x.x + x.x, x.y, FMA(x.x, x.x, -s))); }
SI f2 dfmul_f2f2(f2 x, f2 y) { float s = x.x * y.x; return mk(s, FMA(x.x, y.y, FMA(x.y, y.x, FMA(x.x, y.x, -s)))); }
SI f2 dfmul_f2f(f2 x, float y) { float s = x.x * y; return mk(s, FMA(x.y, y, FMA(x.x, y, -s))); }

/* Sleef_expf8_u10 (xexpf) */
SI float sl_expf(float d) {
  int32_t q = vrint_i(d * R_LN2f);
  float qf = (float)q;
  float s = FMA(qf, -L2Uf, d);
  s = FMA(qf, -L2Lf, s);
  float u = 0.000198527617612853646278381f;
  u = FMA(u, s, 0.00139304355252534151077271f);
  u = FMA(u, s, 0.00833336077630519866943359f);
  u = FMA(u, s, 0.0416664853692054748535156f);
  u = FMA(u, s, 0.166666671633720397949219f);
  u = FMA(u, s, 0.5f);
  u = 1.0f + FMA(s * s, u, s);
  u = vldexp2(u, q);
  u = (d < -104.0f) ? (0.0f) : u;
  u = (100.0f < d) ? (INFINITY) : u;
  u = (d != d) ? (d) : u;    /* NaN lanes: q garbage, u NaN anyway via s */
  return u;
}

/* Sleef_logf8_u10 (xlogf_u1), AVX2 (no AVX512 getexp path) */
SI float sl_logf(float d) {
  int o = d < 1.17549435e-38f;
  d = (o) ? (d * (float)(INT64_C(1) << 32) * (float)(INT64_C(1) << 32)) : d;
  int32_t e = vilogb2k(d * (1.0f / 0.75f));
  float m = vldexp3(d, -e);
  e = (o) ? (e - (64)) : e;
  f2 x = dfdiv(dfadd2_ff(-1.0f, m), dfadd2_ff(1.0f, m));
  float x2 = x.x * x.x;
  float t = +0.3027294874e+0f;
  t = FMA(t, x2, +0.3996108174e+0f);
  t = FMA(t, x2, +0.6666694880e+0f);
  f2 s = dfmul_f2f(mk(0.69314718246459960938f, -1.904654323148236017e-09f), (float)e);
  s = dfadd_f2f2(s, dfscale(x, 2.0f));
  s = dfadd_f2f(s, (x2 * x.x) * t);
  float r = s.x + s.y;
  r = (isinf(d) && d > 0) ? (INFINITY) : r;
  r = (d < 0 || d != d) ? (NAN) : r;
  r = (d == 0) ? (-INFINITY) : r;
  return r;
}

/* expk2f: double-float e^d */
SI f2 sl_expk2f(f2 d) {
  float u = (d.x + d.y) * R_LN2f;
  int32_t q = vrint_i(u);
  float qf = (float)q;
  f2 s = dfadd2_f2f(d, qf * -L2Uf);
  s = dfadd2_f2f(s, qf * -L2Lf);
  u = +0.1980960224e-3f;
  u = FMA(u, s.x, +0.1394256484e-2f);
  u = FMA(u, s.x, +0.8333456703e-2f);
  u = FMA(u, s.x, +0.4166637361e-1f);
  f2 t = dfadd2_f2f(dfmul_f2f(s, u), +0.166666659414234244790680580464e+0f);
  t = dfadd2_f2f(dfmul_f2f2(s, t), 0.5f);
  t = dfadd2_f2f2(s, dfmul_f2f2(dfsqu(s), t));
  t = dfadd_ff2(1.0f, t);
  t.x = vldexp2(t.x, q);
  t.y = vldexp2(t.y, q);
  t.x = d.x < -104.0f ? 0.0f : t.x; t.y = d.x < -104.0f ? 0.0f : t.y;
  return t;
}

/* Sleef_tanhf8_u10 (xtanhf) as bundled with torch 2.13: current SLEEF's, with dfadd and the saturation at
 * |x| > 8.664339742 (vmath.c's tanhf1 is the older variant that torch.tanh's MKL kernel is closer to). */
SI f2 dfrec_f2(f2 d) { float s = 1.0f / d.x; return mk(s, s * FMA(-d.y, s, FMA(-d.x, s, 1.0f))); }
SI float sl_tanhf(float x) {
  float y = fabsf(x);
  f2 d = sl_expk2f(mk(y, 0.0f));
  const f2 e = dfrec_f2(d);
  d = dfdiv(dfadd_f2f2(d, mk(-e.x, -e.y)), dfadd_f2f2(d, e));
  y = d.x + d.y;
  if (fabsf(x) > 8.664339742f || y != y) y = 1.0f;
  y = mulsign(y, x);
  return x != x ? x : y;
}

/* Sleef_expm1f8_u10 (xexpm1f) */
SI float sl_expm1f(float a) {
  f2 d = dfadd2_f2f(sl_expk2f(mk(a, 0.0f)), -1.0f);
  float x = d.x + d.y;
  x = (a > 88.72283172607421875f) ? (INFINITY) : x;
  x = (a < -16.635532333438687426013570f) ? (-1.0f) : x;
  x = (a == 0.0f && signbit(a)) ? (-0.0f) : x;
  return x;
}

/* Sleef_log1pf8_u10 (xlog1pf), AVX2 path; LOG1PF_BOUND fallback to logf_u1 (current SLEEF) */
SI float sl_log1pf(float d) {
  float dp1 = d + 1.0f;
  int o = dp1 < 1.17549435e-38f;
  dp1 = (o) ? (dp1 * (float)(INT64_C(1) << 32) * (float)(INT64_C(1) << 32)) : dp1;
  int32_t e = vilogb2k(dp1 * (1.0f / 0.75f));
  float t = vldexp3(1.0f, -e);
  float m = FMA(d, t, t - 1.0f);
  e = (o) ? (e - (64)) : e;
  f2 s = dfmul_f2f(mk(0.69314718246459960938f, -1.904654323148236017e-09f), (float)e);
  f2 x = dfdiv(mk(m, 0.0f), dfadd_ff(2.0f, m));
  float x2 = x.x * x.x;
  t = +0.3027294874e+0f;
  t = FMA(t, x2, +0.3996108174e+0f);
  t = FMA(t, x2, +0.6666694880e+0f);
  s = dfadd_f2f2(s, dfscale(x, 2.0f));
  s = dfadd_f2f(s, (x2 * x.x) * t);
  float r = s.x + s.y;
  r = (!(d <= 0x1.2ced32p+126f)) ? (sl_logf(d)) : r;   /* NaN d also goes here in SLEEF (vle false) */
  r = (-1.0f > d) ? (NAN) : r;
  r = (d == -1.0f) ? (-INFINITY) : r;
  r = (d == 0.0f && signbit(d)) ? (-0.0f) : r;
  return r;
}

/* logkf / expkf for powf (xpowf) */
SI f2 sl_logkf(float d) {
  int o = d < 1.17549435e-38f;
  d = (o) ? (d * (float)(INT64_C(1) << 32) * (float)(INT64_C(1) << 32)) : d;
  int32_t e = vilogb2k(d * (1.0f / 0.75f));
  float m = vldexp3(d, -e);
  e = (o) ? (e - (64)) : e;
  f2 x = dfdiv(dfadd2_ff(-1.0f, m), dfadd2_ff(1.0f, m));
  f2 x2 = dfsqu(x);
  float t = 0.240320354700088500976562f;
  t = FMA(t, x2.x, 0.285112679004669189453125f);
  t = FMA(t, x2.x, 0.400007992982864379882812f);
  f2 c = mk(0.66666662693023681640625f, 3.69183861259614332084311e-09f);
  f2 s = dfmul_f2f(mk(0.69314718246459960938f, -1.904654323148236017e-09f), (float)e);
  s = dfadd_f2f2(s, dfscale(x, 2.0f));
  s = dfadd_f2f2(s, dfmul_f2f2(dfmul_f2f2(x2, x), dfadd2_f2f2(dfmul_f2f(x2, t), c)));
  return s;
}
SI float sl_expkf(f2 d) {
  float u = (d.x + d.y) * R_LN2f;
  int32_t q = vrint_i(u);
  float qf = (float)q;
  f2 s = dfadd2_f2f(d, qf * -L2Uf);
  s = dfadd2_f2f(s, qf * -L2Lf);
  s = dfnormalize(s);
  u = 0.00136324646882712841033936f;
  u = FMA(u, s.x, 0.00836596917361021041870117f);
  u = FMA(u, s.x, 0.0416710823774337768554688f);
  u = FMA(u, s.x, 0.166665524244308471679688f);
  u = FMA(u, s.x, 0.499999850988388061523438f);
  f2 t = dfadd_f2f2(s, dfmul_f2f(dfsqu(s), u));
  t = dfadd_ff2(1.0f, t);
  u = t.x + t.y;
  /* vldexp_vf_vf_vi2 (the 4-way split ldexp) */
  {
    int32_t m = q >> 31;
    m = (((m + q) >> 6) - m) << 4;
    int32_t qq = q - (m << 2);
    m = m + 0x7f;
    m = (m > 0) ? m : 0;
    m = (m > 0xff) ? 0xff : m;
    float uu = sp_f((int32_t)((uint32_t)m << 23));
    u = u * uu * uu * uu * uu;
    u = u * sp_f((int32_t)((uint32_t)(qq + 0x7f) << 23));
  }
  u = (d.x < -104.0f) ? (0.0f) : u;
  return u;
}
/* Sleef_powf8_u10 (xpowf) */
SI float sl_powf(float x, float y) {
  int yisint = (truncf(y) == y) || (fabsf(y) > (float)(1 << 24));
  int32_t ti = (fabsf(y) < 2147483648.0f) ? (int32_t)y : INT32_MIN;
  int yisodd = ((ti & 1) == 1) && yisint && (fabsf(y) < (float)(1 << 24));
  float result = sl_expkf(dfmul_f2f(sl_logkf(fabsf(x)), y));
  result = (result != result) ? (INFINITY) : result;
  result = result * (x > 0 ? 1.0f : (yisint ? (yisodd ? -1.0f : 1.0f) : NAN));
  float efx = mulsign(fabsf(x) - 1.0f, y);
  result = (isinf(y)) ? ((efx < 0.0f) ? 0.0f : (efx == 0.0f ? 1.0f : INFINITY)) : result;
  if (isinf(x) || x == 0.0f)
    result = mulsign(((signbit(y) != 0) ^ (x == 0.0f)) ? 0.0f : INFINITY, yisodd ? x : 1.0f);
  result = (x != x || y != y) ? (NAN) : result;
  result = (y == 0.0f || x == 1.0f) ? (1.0f) : result;
  return result;
}

/* PyTorch's Vectorized<float>::erf (vec256_float.h): A&S 7.1.26 with Sleef expf */
SI float pt_erf(float v) {
  const float p = 0.3275911f, p1 = 0.254829592f, p2 = -0.284496736f, p3 = 1.421413741f,
              p4 = -1.453152027f, p5 = 1.061405429f;
  int32_t sign = sp_i(v) & (int32_t)0x80000000u;
  float a = sp_f(sp_i(v) ^ sign);
  float t = 1.0f / FMA(p, a, 1.0f);
  float r = FMA(FMA(FMA(FMA(p5, t, p4), t, p3), t, p2), t, p1);
  float e = sl_expf(-(v * v));
  float tmp6 = (-e) * t;
  float tmp7 = FMA(tmp6, r, 1.0f);
  return sp_f(sp_i(tmp7) ^ sign);
}

/* ---- MKL's generic vsExp (mkl_vml_kernel_sExp_EXHAynn): SSE arithmetic without FMA, x = (k + j/128) ln2 + r,
 * e^r = 1 + r + r^2/2, times 2^(j/128) as a float pair (hi, lo) and 2^k. |x| > 87.3365, infinities and NaN
 * take MKL's double-precision path, whose results are the correctly rounded ones. */
static float g_exp_tab[256];
static _Atomic int g_exp_tab_ready = 0;
static void exp_table_init(void) {
  for (int j = 0; j < 128; j++) {   /* hi = 2^(j/128) rounded to float, lo = the rest rounded to float */
    const long double t = exp2l((long double)j / 128.0L);
    const float hi = (float)t;
    g_exp_tab[2 * j] = hi; g_exp_tab[2 * j + 1] = (float)(t - (long double)hi);
  }
  g_exp_tab_ready = 1;
}
SI int mkl_exp_rare(float x) { return (sp_i(x) & 0x7fffffff) > 0x42aeac4f; }
static float mkl_exp_rare_value(float x) { return x != x ? x + x : (float)exp((double)x); }
/* The main path alone (branch-free, so loops vectorise); the rare lanes are fixed afterwards. */
SI float mkl_expf_main(float x) {
  const float s = x * sp_f(0x4338aa3b) + 12582912.0f;
  const int32_t sb = sp_i(s);
  const int j = sb & 127;
  const float k = s - 12582912.0f;
  const float r = (x - k * sp_f(0x3bb18000)) + k * sp_f(0x35de8083);
  const float p = (r * r) * 0.5f + r;
  const float A = g_exp_tab[2 * j], B = g_exp_tab[2 * j + 1];
  const float y = (p * A + B) + A;
  return y * sp_f((int32_t)((((uint32_t)sb << 16) + 0x3f800000u) & 0x7f800000u));
}

/* ---- MKL's generic vsLn (mkl_vml_kernel_sLn_EXHAynn, SSE, no FMA): x = 2^k (1 + r) with 1 + r in [2/3, 4/3),
 * a degree-10 polynomial in r, k ln2 added in two parts. Lanes that are not positive normal floats take MKL's
 * double-precision path: NaN for negatives, -inf for zeros, else the correctly rounded logarithm. */
SI int mkl_log_rare(float x) { return !((int32_t)((uint32_t)sp_i(x) + 0x00800000u) > 0x00ffffff); }
static float mkl_log_rare_value(float x) {
  const uint32_t b = (uint32_t)sp_i(x);
  if ((~b & 0x7f800000u) == 0) return ((b & 0x807fffffu) == 0x80000000u) ? sp_f(0x7fc00000) : x * x;
  if (x == 0.0f) return sp_f((int32_t)0xff800000u);
  if (b >> 31) return sp_f(0x7fc00000);
  return (float)log((double)x);
}
SI float mkl_logf_main(float x) {
  const uint32_t b = (uint32_t)sp_i(x);
  const uint32_t m = b + 0xc0d55555u;
  const float k = (float)((int32_t)m >> 23);
  const float r = sp_f((int32_t)((m & 0x007fffffu) + 0x3f2aaaabu)) + -1.0f;
  float q = r * sp_f((int32_t)0xbe0402c8u) + sp_f(0x3e0f335d);
  q = q * r + sp_f((int32_t)0xbdf9889eu); q = q * r + sp_f(0x3e0f6b8c); q = q * r + sp_f((int32_t)0xbe2acee6u);
  q = q * r + sp_f(0x3e4ce814); q = q * r + sp_f((int32_t)0xbe7fff78u); q = q * r + sp_f(0x3eaaaa83);
  q = q * r + -0.5f;
  q = q * r; q = q * r; q = q + r;
  return k * sp_f(0x3f317200) + (k * sp_f(0x35bfbe8e) + q);
}

/* ---- oneDNN's gelu_erf (jit_uni_eltwise_injector, AVX2): its exp, and Abramowitz-Stegun's erf */
SI float dnnl_expf(float x) {
  const float lo = sp_f((int32_t)0xc2aeac50), hi = sp_f(0x42b17218);
  const int zero = x < lo;
  x = x < hi ? x : hi;
  x = x > lo ? x : lo;
  const float fx = floorf(x * sp_f(0x3fb8aa3b) + 0.5f);
  const float r = FMA(-fx, sp_f(0x3f317218), x);
  const int32_t n = (int32_t)__builtin_rintf(fx - 1.0f);
  const float p2n1 = zero ? 0.0f : sp_f((n + 127) << 23);
  float p = sp_f(0x3c07cfce);
  p = FMA(p, r, sp_f(0x3d2b9d0d));
  p = FMA(p, r, sp_f(0x3e2aad40));
  p = FMA(p, r, sp_f(0x3efffee3));
  p = FMA(p, r, sp_f(0x3f7ffffb));
  p = FMA(p, r, 1.0f);
  return (p * p2n1) * 2.0f;
}
SI float dnnl_as_poly(float t) {
  float r = sp_f(0x3f87dc22);
  r = FMA(r, t, sp_f((int32_t)0xbfba00e3));
  r = FMA(r, t, sp_f(0x3fb5f0e3));
  r = FMA(r, t, sp_f((int32_t)0xbe91a98e));
  return FMA(r, t, sp_f(0x3e827906));
}
SI float dnnl_gelu_fwd(float s) {
  const float u = s * sp_f(0x3f3504f3);
  const float t = 1.0f / FMA(sp_f(0x3ea7ba05), fabsf(u), 1.0f);
  const float q = -dnnl_expf(-(u * u)) * t;
  const float erf = sp_f(sp_i(FMA(q, dnnl_as_poly(t), 1.0f)) ^ (sp_i(s) & (int32_t)0x80000000u));
  const float S = s * 0.5f;
  return FMA(erf, S, S);
}
SI float dnnl_gelu_bwd(float dy, float s) {
  const float R = s * sp_f(0x3f3504f3);
  const float Q = dnnl_expf(-(R * R));
  const float T = (R * sp_f(0x3f106eba)) * Q;
  const float W = 1.0f / FMA(sp_f(0x3ea7ba05), fabsf(R), 1.0f);
  const float erf = sp_f(sp_i(FMA((-Q) * W, dnnl_as_poly(W), 1.0f)) ^ (sp_i(R) & (int32_t)0x80000000u));
  return FMA(erf, 0.5f, T + 0.5f) * dy;
}
/* F.gelu(approximate='tanh') (GeluKernel.cpp): beta = float(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = 0.044715f */
#define K_TANH_BETA ((float)(1.41421356237309504880 * 1.12837916709551257390 * 0.5))
#define K_KAPPA 0.044715f
#define GELU_TANH_INNER(x) (K_TANH_BETA * FMA(K_KAPPA, ((x) * (x)) * (x), (x)))
SI float gelu_tanh_out(float x, float t) { return (0.5f * x) * (1.0f + t); }
SI float gelu_tanh_bw(float dy, float x, float t) {
  const float xsq = x * x, tder = FMA(-t, t, 1.0f), ider = K_TANH_BETA * FMA(3.0f * K_KAPPA, xsq, 1.0f);
  return dy * FMA(0.5f, 1.0f + t, ((0.5f * x) * tder) * ider);
}
/* F.mish: x tanh(log1p(e^x)); its gradient dy (tsp + x sigmoid(x) (1 - tsp^2)) (Activation.cpp) */
SI float mish_bw(float dy, float x, float sig, float tsp) { return dy * FMA(x * sig, FMA(-tsp, tsp, 1.0f), tsp); }
#define K_SQRT1_2 ((float)0.70710678118654752440)
#define K_GELU_BETA ((float)(1.12837916709551257390 * 0.70710678118654752440 * 0.5))

/* ---- the elementwise loops: V = the vector lambda, S = the scalar lambda, per element of x (and g) */
#define ACT_OPS(X)                                                                                          \
  X(sigmoid, 1.0f / (1.0f + sl_expf(0.0f - a)), 1.0f / (1.0f + expf(-a)))                                   \
  X(silu, a / (1.0f + sl_expf(-a)), a / (1.0f + expf(-a)))                                                  \
  X(elu, a > 0.0f ? a * p2 : sl_expm1f(a * 1.0f) * p1, a > 0.0f ? a * p2 : expm1f(a * 1.0f) * p1)           \
  X(softplus, a * 1.0f > 20.0f ? a : sl_log1pf(sl_expf(a * 1.0f)) / 1.0f,                                   \
    a * 1.0f > 20.0f ? a : log1pf(expf(a * 1.0f)) / 1.0f)                                                  \
  X(log1p, sl_log1pf(a), sl_log1pf(a))                                                                      \
  X(expm1, sl_expm1f(a), sl_expm1f(a))                                                                      \
  X(pow, sl_powf(a, p1), (float)pow((double)a, (double)p1))                                                 \
  X(gelu, dnnl_gelu_fwd(a), (a * 0.5f) * (1.0f + erff(a * K_SQRT1_2)))                                      \
  X(logsigmoid, (a < 0.0f ? a : 0.0f) - sl_log1pf(sl_expf(-fabsf(a))), (a < 0.0f ? a : 0.0f) - sl_log1pf(sl_expf(-fabsf(a)))) \
  X(exp_mkl, mkl_expf_main(a), mkl_expf_main(a))                                                                      \
  X(log_mkl, mkl_logf_main(a), mkl_logf_main(a))                                                                      \
  X(gelu_tanh, gelu_tanh_out(a, sl_tanhf(GELU_TANH_INNER(a))), gelu_tanh_out(a, tanhf(GELU_TANH_INNER(a))))            \
  X(mish, a * sl_tanhf(sl_log1pf(sl_expf(a))), a * tanhf(log1pf(expf(a))))

#define ACT_BWD_OPS(X)                                                                                      \
  X(silu_bwd, silu_bw(d, a, sl_expf(-a)), silu_bw(d, a, expf(-a)))                                          \
  X(elu_bwd, a > 0.0f ? d * p2 : ((d * 1.0f) * p1) * sl_expf(a * 1.0f), a > 0.0f ? d * p2 : ((d * 1.0f) * p1) * expf(a * 1.0f)) \
  X(softplus_bwd, softplus_bw(d, a, sl_expf(a * 1.0f)), softplus_bw(d, a, expf(a * 1.0f)))                  \
  X(gelu_bwd, dnnl_gelu_bwd(d, a), d * FMA(0.5f, 1.0f + erff(a * K_SQRT1_2), a * (K_GELU_BETA * expf((a * a) * -0.5f)))) \
  X(logsigmoid_bwd, logsig_bw(d, a), logsig_bw(d, a))                                                      \
  X(gelu_tanh_bwd, gelu_tanh_bw(d, a, sl_tanhf(GELU_TANH_INNER(a))), gelu_tanh_bw(d, a, tanhf(GELU_TANH_INNER(a)))) \
  X(mish_bwd, mish_bw(d, a, 1.0f / (1.0f + sl_expf(-a)), sl_tanhf(sl_log1pf(sl_expf(a)))),                       \
    mish_bw(d, a, 1.0f / (1.0f + expf(-a)), tanhf(log1pf(expf(a)))))                                           \
  X(hardswish_bwd, a < -3.0f ? 0.0f : (a >= 3.0f ? d : d * ((a / 3.0f) + 0.5f)),                            \
    a < -3.0f ? 0.0f : (a <= 3.0f ? d * ((a / 3.0f) + 0.5f) : d))

SI float silu_bw(float dy, float x, float e) { const float s = 1.0f / (1.0f + e); return (dy * s) * FMA(x, 1.0f - s, 1.0f); }
SI float softplus_bw(float dy, float x, float z) { return (x * 1.0f) > 20.0f ? dy : (dy * z) / (z + 1.0f); }
/* (max_deriv - sign * (b / (1 + b))) * grad with b = exp(-|x|), the buffer of PyTorch's forward (SLEEF) */
SI float logsig_bw(float dy, float x) {
  const float b = sl_expf(-fabsf(x));
  const int neg = x < 0.0f;
  return FMA(neg ? -1.0f : 1.0f, b / (1.0f + b), neg ? 1.0f : 0.0f) * dy;
}

typedef void (*act_loop)(int64_t b, int64_t e, const float *g, const float *x, float *y, float p1, float p2);
#define DEF_LOOPS(NAME, VEXPR, SEXPR)                                                                       \
  DK_CLONES_FMA static void NAME##_v(int64_t b, int64_t e, const float *g, const float *x, float *y, float p1, float p2) { \
    (void)g; (void)p1; (void)p2;                                                                            \
    for (int64_t i = b; i < e; i++) { const float a = x[i]; const float d = g ? g[i] : 0.0f; (void)d; y[i] = (VEXPR); } \
  }                                                                                                         \
  DK_CLONES_FMA static void NAME##_s(int64_t b, int64_t e, const float *g, const float *x, float *y, float p1, float p2) { \
    (void)g; (void)p1; (void)p2;                                                                            \
    for (int64_t i = b; i < e; i++) { const float a = x[i]; const float d = g ? g[i] : 0.0f; (void)d; y[i] = (SEXPR); } \
  }
ACT_OPS(DEF_LOOPS)
ACT_BWD_OPS(DEF_LOOPS)

typedef struct { act_loop fn; const float *g, *x; float *y; float p1, p2; } act_ctx;
static void act_range(void *v, int64_t b, int64_t e) { const act_ctx *c = v; c->fn(b, e, c->g, c->x, c->y, c->p1, c->p2); }

/* The vector lambda over everything, then the scalar lambda over each PyTorch chunk's last len % 16. */
static void torch_split(int64_t n, const float *g, const float *x, float *y, float p1, float p2, act_loop vec, act_loop scal,
                        int64_t grain) {
  act_ctx c = {vec, g, x, y, p1, p2};
  if (n < 8192) act_range(&c, 0, n); else dk_parallel_for(n, 4096, act_range, &c);
  if (scal == vec) return;
  const int64_t W = 2 * dk_torch_vec_floats();
  const int T = dk_num_threads();
  int64_t chunk = n;
  if (n > grain && T > 1) { int64_t nt = (n + grain - 1) / grain; if (nt > T) nt = T; chunk = (n + nt - 1) / nt; }
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t e = s + chunk < n ? s + chunk : n, ts = s + (e - s) / W * W;
    if (ts < e) scal(ts, e, g, x, y, p1, p2);
  }
}

int dk_torch_activation_f32(int32_t op, int64_t n, const float *g, const float *x, float *y, double p1, double p2) {
  if (n <= 0) return 1;
  float f1 = (float)p1, f2 = (float)p2;
  act_loop v = NULL, s = NULL;
  int64_t grain = 32768;   /* at::internal::GRAIN_SIZE */
  switch (op) {
  case DK_ACT_SIGMOID: v = sigmoid_v; s = sigmoid_s; break;
  case DK_ACT_SILU: v = silu_v; s = silu_s; break;
  case DK_ACT_ELU: f1 = (float)p1 * (float)p2; f2 = (float)p2; v = elu_v; s = elu_s; break;   /* negcoef alpha * scale, poscoef scale */
  case DK_ACT_SOFTPLUS: v = softplus_v; s = softplus_s; break;
  case DK_ACT_LOG1P: v = s = log1p_v; break;   /* torch.log1p/expm1: vml's vec::map, whose tail is a padded vector */
  case DK_ACT_EXPM1: v = s = expm1_v; break;
  case DK_ACT_POW: v = pow_v; s = pow_s; break;
  case DK_ACT_GELU: if (n == 1) { v = s = gelu_s; } else { v = s = gelu_v; } break;   /* oneDNN unless one element */
  case DK_ACT_LOG_SIGMOID: v = s = logsigmoid_v; break;                                /* a padded vector tail */
  case DK_ACT_EXP:
    if (!dk_torch_sqrt_is_generic()) return 0;   /* MKL's Intel kernels: not modelled */
    if (!g_exp_tab_ready) exp_table_init();
    v = s = exp_mkl_v; break;
  case DK_ACT_LOG:
    if (!dk_torch_sqrt_is_generic()) return 0;
    v = s = log_mkl_v; break;
  case DK_ACT_HARDSWISH_BWD: v = hardswish_bwd_v; s = hardswish_bwd_s; break;
  case DK_ACT_SILU_BWD: v = silu_bwd_v; s = silu_bwd_s; break;
  case DK_ACT_ELU_BWD: f1 = (float)p1 * (float)p2; f2 = (float)p2; v = elu_bwd_v; s = elu_bwd_s; break;
  case DK_ACT_SOFTPLUS_BWD: v = softplus_bwd_v; s = softplus_bwd_s; break;
  case DK_ACT_GELU_BWD: if (n == 1) { v = s = gelu_bwd_s; } else { v = s = gelu_bwd_v; } break;
  case DK_ACT_LOG_SIGMOID_BWD: v = s = logsigmoid_bwd_v; break;
  case DK_ACT_GELU_TANH:   /* GeluKernelImpl splits past GRAIN_SIZE / 2 in one piece per thread (its backward does not) */
    if (n > grain / 2) grain = n / (dk_num_threads() < 1 ? 1 : dk_num_threads());
    v = gelu_tanh_v; s = gelu_tanh_s; break;
  case DK_ACT_GELU_TANH_BWD: v = gelu_tanh_bwd_v; s = gelu_tanh_bwd_s; break;
  case DK_ACT_MISH: v = mish_v; s = mish_s; break;
  case DK_ACT_MISH_BWD: v = mish_bwd_v; s = mish_bwd_s; break;
  default: return 0;
  }
  if (op != DK_ACT_EXP && op != DK_ACT_LOG) { torch_split(n, g, x, y, f1, f2, v, s, grain); return 1; }
  /* MKL's rare lanes (x may be y: their values are taken before the main path runs) */
  const int isExp = op == DK_ACT_EXP;
  int64_t nr = 0;
  for (int64_t i = 0; i < n; i++) nr += isExp ? mkl_exp_rare(x[i]) : mkl_log_rare(x[i]);
  int64_t *ri = NULL; float *rv = NULL;
  if (nr) {
    ri = malloc(sizeof(int64_t) * (size_t)nr); rv = malloc(sizeof(float) * (size_t)nr);
    for (int64_t i = 0, k = 0; i < n; i++)
      if (isExp ? mkl_exp_rare(x[i]) : mkl_log_rare(x[i])) { ri[k] = i; rv[k++] = isExp ? mkl_exp_rare_value(x[i]) : mkl_log_rare_value(x[i]); }
  }
  torch_split(n, g, x, y, f1, f2, v, s, grain);
  for (int64_t k = 0; k < nr; k++) y[ri[k]] = rv[k];
  free(ri); free(rv);
  return 1;
}

/* ln(x) by SLEEF's 1-ulp logf (PyTorch's vectorised log; log_softmax's), bit for bit. */
float dk_logf_sleef(float x) { return sl_logf(x); }
