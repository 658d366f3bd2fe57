// rng.c: PyTorch-compatible CPU random numbers, bit for bit (see shared/RNG.md, dk_rng.h).
//
// Floating point here must give the same bits at -O0 and -O2 and with any compiler, so no
// expression may be contracted into a fused multiply-add behind our back: every fused
// operation PyTorch's x86 build performs is written out as fmaf/fma, everything else is plain
// IEEE arithmetic. (x86-64 and arm64 evaluate float/double in their own precision.)
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__FAST_MATH__)
#error "rng.c must be compiled without -ffast-math: its results are bit-exact IEEE arithmetic"
#endif

#include "dk_rng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(DK_RNG_NO_DISPATCH)
#define DK_X86 1
#include <cpuid.h>
#include <stdatomic.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DK_INLINE static inline __attribute__((always_inline))
#else
#define DK_INLINE static inline
#endif

// MARK: - mt19937 (at::mt19937 / CPUGeneratorImpl)

enum { DK_MT_N = 624, DK_MT_M = 397 };

void dk_gen_seed(dk_generator *g, uint64_t seed) {
  g->seed = seed;
  g->mt[0] = (uint32_t)(seed & 0xffffffffu);
  for (int j = 1; j < DK_MT_N; j++) {
    uint32_t prev = g->mt[j - 1];
    g->mt[j] = 1812433253u * (prev ^ (prev >> 30)) + (uint32_t)j;
  }
  g->left = 1;
  g->next = 0;
  g->has_cached_normal = 0;
  g->cached_normal = 0.0;
}

static inline uint32_t dk_mix_bits(uint32_t u, uint32_t v) {
  return (u & 0x80000000u) | (v & 0x7fffffffu);
}

static inline uint32_t dk_twist(uint32_t u, uint32_t v) {
  return (dk_mix_bits(u, v) >> 1) ^ ((v & 1u) ? 0x9908b0dfu : 0u);
}

static void dk_next_state(dk_generator *g) {
  uint32_t *s = g->mt;
  int k = 0;
  for (; k < DK_MT_N - DK_MT_M; k++) s[k] = s[k + DK_MT_M] ^ dk_twist(s[k], s[k + 1]);
  for (; k < DK_MT_N - 1; k++) s[k] = s[k + DK_MT_M - DK_MT_N] ^ dk_twist(s[k], s[k + 1]);
  s[DK_MT_N - 1] = s[DK_MT_M - 1] ^ dk_twist(s[DK_MT_N - 1], s[0]);
  g->left = DK_MT_N;
  g->next = 0;
}

DK_INLINE uint32_t dk_random(dk_generator *g) {
  if (--g->left == 0) dk_next_state(g);
  uint32_t y = g->mt[g->next++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

DK_INLINE uint64_t dk_random64(dk_generator *g) {
  uint64_t hi = dk_random(g);
  uint64_t lo = dk_random(g);
  return (hi << 32) | lo;
}

uint32_t dk_gen_random(dk_generator *g) { return dk_random(g); }
uint64_t dk_gen_random64(dk_generator *g) { return dk_random64(g); }
uint64_t dk_gen_random_int63(dk_generator *g) { return dk_random64(g) % (UINT64_C(1) << 63); }

// at::uniform_real_distribution<float/double>(0, 1)
DK_INLINE float dk_u24(dk_generator *g) {
  return (float)(dk_random(g) & 0xFFFFFFu) * 0x1p-24f;
}
DK_INLINE double dk_u53(dk_generator *g) {
  return (double)(dk_random64(g) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
}

// MARK: - FMA dispatch (speed only: fmaf/fma are exactly rounded whether done by an
// instruction or by libm, so both paths give the same bits)

#if DK_X86
static _Atomic int dk_avx2_fma_cached = -1;  // -1: not yet probed (racing probes agree)

static int dk_has_avx2_fma(void) {
  const int cached = atomic_load_explicit(&dk_avx2_fma_cached, memory_order_relaxed);
  if (cached >= 0) return cached;
  unsigned a = 0, b = 0, c = 0, d = 0;
  int ok = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
    int avx2 = __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7) && ((b7 >> 5) & 1);
    if (fma && osxsave && avx && avx2) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      ok = (lo & 6u) == 6u;  // XMM and YMM state enabled by the OS
    }
  }
  atomic_store_explicit(&dk_avx2_fma_cached, ok, memory_order_relaxed);
  return ok;
}
#define DK_FMA_TARGET __attribute__((target("avx2,fma")))
#endif

// sqrtf without errno handling, so the lane loops can vectorise; the result is the IEEE
// square root either way (the argument is never negative here).
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define DK_SQRTF(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef DK_SQRTF
#define DK_SQRTF(x) sqrtf(x)
#endif

// MARK: - uniform_

DK_INLINE void dk_uniform_f32_body(dk_generator *g, float *out, int64_t n, float from, float to) {
  const float width = to - from;
  for (int64_t i = 0; i < n; i++) {
    float v = fmaf(dk_u24(g), width, from);
    out[i] = v == to ? from : v;  // PyTorch clamps a value that rounded up to `to`
  }
}
static void dk_uniform_f32_generic(dk_generator *g, float *out, int64_t n, float from, float to) {
  dk_uniform_f32_body(g, out, n, from, to);
}
#if DK_X86
DK_FMA_TARGET static void dk_uniform_f32_fma(dk_generator *g, float *out, int64_t n, float from, float to) {
  dk_uniform_f32_body(g, out, n, from, to);
}
#endif

void dk_uniform_f32(dk_generator *g, float *out, int64_t n, double from, double to) {
  const float f = (float)from, t = (float)to;
#if DK_X86
  if (dk_has_avx2_fma()) { dk_uniform_f32_fma(g, out, n, f, t); return; }
#endif
  dk_uniform_f32_generic(g, out, n, f, t);
}

void dk_uniform_f64(dk_generator *g, double *out, int64_t n, double from, double to) {
  const double width = to - from;
  for (int64_t i = 0; i < n; i++) {
    double v = fma(dk_u53(g), width, from);
    out[i] = v == to ? from : v;
  }
}

// MARK: - normal_, float32, n >= 16: PyTorch's NormalFill16<float> AVX2 kernel, one lane at a
// time. log256_ps / sincos256_ps are the Cephes polynomials of ATen's avx_mathfun.h; PyTorch's
// GCC build (-mavx2 -mfma, -ffp-contract=fast) fuses some of their multiply/add pairs, and
// exactly those are written as fmaf below.

static inline uint32_t dk_f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float dk_u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

#define DK_C(name, value) static const float name = (float)(value)
DK_C(dk_SQRTHF, 0.707106781186547524);
DK_C(dk_log_p0, 7.0376836292E-2);
DK_C(dk_log_p1, -1.1514610310E-1);
DK_C(dk_log_p2, 1.1676998740E-1);
DK_C(dk_log_p3, -1.2420140846E-1);
DK_C(dk_log_p4, +1.4249322787E-1);
DK_C(dk_log_p5, -1.6668057665E-1);
DK_C(dk_log_p6, +2.0000714765E-1);
DK_C(dk_log_p7, -2.4999993993E-1);
DK_C(dk_log_p8, +3.3333331174E-1);
DK_C(dk_log_q1, -2.12194440e-4);
DK_C(dk_log_q2, 0.693359375);
DK_C(dk_DP1, -0.78515625);
DK_C(dk_DP2, -2.4187564849853515625e-4);
DK_C(dk_DP3, -3.77489497744594108e-8);
DK_C(dk_sincof_p0, -1.9515295891E-4);
DK_C(dk_sincof_p1, 8.3321608736E-3);
DK_C(dk_sincof_p2, -1.6666654611E-1);
DK_C(dk_coscof_p0, 2.443315711809948E-005);
DK_C(dk_coscof_p1, -1.388731625493765E-003);
DK_C(dk_coscof_p2, 4.166664568298827E-002);
DK_C(dk_FOPI, 1.27323954473516);
DK_C(dk_TWO_PI, 2.0 * 3.14159265358979323846);  // _mm256_set1_ps(2.0f * c10::pi<double>)
#undef DK_C

// The 8 lanes of one block are computed step by step over arrays (structure of arrays), the
// way the vector code runs; each step is element-wise IEEE arithmetic, so the compiler may
// vectorise the loops without changing any bit. log256_ps: x > 0 here (x = 1 - u24 >= 2^-24).
DK_INLINE void dk_log_lanes(float *xs) {
  float e[8], x[8], z[8], y[8];
  for (int k = 0; k < 8; k++) {
    uint32_t bits = dk_f2u(xs[k]);
    bits = xs[k] > dk_u2f(0x00800000u) ? bits : 0x00800000u;  // _mm256_max_ps(x, min_norm_pos)
    const float ek = (float)((int32_t)(bits >> 23) - 0x7f) + 1.0f;
    const float xk = dk_u2f((bits & ~0x7f800000u) | 0x3f000000u);  // mantissa, scaled to [0.5, 1)
    const int lt = xk < dk_SQRTHF;
    e[k] = ek - (lt ? 1.0f : 0.0f);
    x[k] = (xk - 1.0f) + (lt ? xk : 0.0f);
  }
  for (int k = 0; k < 8; k++) z[k] = x[k] * x[k];
  for (int k = 0; k < 8; k++) y[k] = fmaf(dk_log_p0, x[k], dk_log_p1);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p2);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p3);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p4);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p5);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p6);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p7);
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], x[k], dk_log_p8);
  for (int k = 0; k < 8; k++) y[k] = y[k] * x[k];
  for (int k = 0; k < 8; k++) y[k] = fmaf(y[k], z[k], e[k] * dk_log_q1);
  for (int k = 0; k < 8; k++) y[k] = fmaf(-z[k], 0.5f, y[k]);
  for (int k = 0; k < 8; k++) xs[k] = fmaf(e[k], dk_log_q2, x[k] + y[k]);
}

// sincos256_ps over 8 lanes: xs in, sines and cosines out.
DK_INLINE void dk_sincos_lanes(const float *xs, float *ss, float *cs) {
  float x[8], y[8], z[8], yc[8], ys[8];
  uint32_t sign_sin[8], sign_cos[8];
  int32_t poly_cos[8];
  for (int k = 0; k < 8; k++) {
    const uint32_t bits = dk_f2u(xs[k]);
    x[k] = dk_u2f(bits & 0x7fffffffu);
    int32_t j = (int32_t)(x[k] * dk_FOPI);  // cvttps: truncation (|x| < 2^31 here)
    j = (j + 1) & ~1;
    y[k] = (float)j;
    sign_sin[k] = (bits & 0x80000000u) ^ (((uint32_t)j & 4u) << 29);
    sign_cos[k] = (~(uint32_t)(j - 2) & 4u) << 29;
    poly_cos[k] = ((uint32_t)j & 2u) == 0;  // poly_mask: the cos polynomial gives the cos
  }
  for (int k = 0; k < 8; k++) x[k] = fmaf(y[k], dk_DP1, x[k]);
  for (int k = 0; k < 8; k++) x[k] = fmaf(y[k], dk_DP2, x[k]);
  for (int k = 0; k < 8; k++) x[k] = fmaf(y[k], dk_DP3, x[k]);
  for (int k = 0; k < 8; k++) z[k] = x[k] * x[k];
  for (int k = 0; k < 8; k++) yc[k] = fmaf(dk_coscof_p0, z[k], dk_coscof_p1);
  for (int k = 0; k < 8; k++) yc[k] = fmaf(yc[k], z[k], dk_coscof_p2);
  for (int k = 0; k < 8; k++) yc[k] = yc[k] * z[k];
  for (int k = 0; k < 8; k++) yc[k] = fmaf(yc[k], z[k], -(z[k] * 0.5f)) + 1.0f;
  for (int k = 0; k < 8; k++) ys[k] = fmaf(dk_sincof_p0, z[k], dk_sincof_p1);
  for (int k = 0; k < 8; k++) ys[k] = fmaf(ys[k], z[k], dk_sincof_p2);
  for (int k = 0; k < 8; k++) ys[k] = ys[k] * z[k];
  for (int k = 0; k < 8; k++) ys[k] = fmaf(ys[k], x[k], x[k]);
  for (int k = 0; k < 8; k++) {
    // the masked select of the vector code, including its additions with +0
    const float ysin2 = poly_cos[k] ? ys[k] : 0.0f, ysin1 = poly_cos[k] ? 0.0f : yc[k];
    const float s_abs = ysin1 + ysin2;
    const float c_abs = (yc[k] - ysin1) + (ys[k] - ysin2);
    ss[k] = dk_u2f(dk_f2u(s_abs) ^ sign_sin[k]);
    cs[k] = dk_u2f(dk_f2u(c_abs) ^ sign_cos[k]);
  }
}

// NormalFill16<float> (AVX2): d[0..7] give the radius, d[8..15] the angle.
DK_INLINE void dk_fill16_f32_body(float *d, float mean, float std) {
  float r[8], th[8], s[8], c[8];
  for (int k = 0; k < 8; k++) r[k] = 1.0f - d[k];
  dk_log_lanes(r);
  for (int k = 0; k < 8; k++) r[k] = DK_SQRTF(-2.0f * r[k]);
  for (int k = 0; k < 8; k++) th[k] = dk_TWO_PI * d[k + 8];
  dk_sincos_lanes(th, s, c);
  for (int k = 0; k < 8; k++) {
    d[k] = fmaf(r[k] * c[k], std, mean);
    d[k + 8] = fmaf(r[k] * s[k], std, mean);
  }
}

// PyTorch's normal_fill<float>: n uniforms, Box-Muller per full block of 16, then, if
// n % 16 != 0, 16 fresh uniforms into the last 16 slots and one more block.
DK_INLINE void dk_normal_fill_f32_body(dk_generator *g, float *d, int64_t n, float mean, float std) {
  for (int64_t i = 0; i < n; i++) d[i] = dk_u24(g);
  for (int64_t i = 0; i < n - 15; i += 16) dk_fill16_f32_body(d + i, mean, std);
  if (n % 16 != 0) {
    float *last = d + n - 16;
    for (int i = 0; i < 16; i++) last[i] = dk_u24(g);
    dk_fill16_f32_body(last, mean, std);
  }
}
static void dk_normal_fill_f32_generic(dk_generator *g, float *d, int64_t n, float mean, float std) {
  dk_normal_fill_f32_body(g, d, n, mean, std);
}
#if DK_X86
DK_FMA_TARGET static void dk_normal_fill_f32_fma(dk_generator *g, float *d, int64_t n, float mean, float std) {
  dk_normal_fill_f32_body(g, d, n, mean, std);
}
#endif

// MARK: - normal_, per-element path: at::normal_distribution<double> with the cached sample

DK_INLINE double dk_normal_double(dk_generator *g, double mean, double std) {
  double ret;
  if (g->has_cached_normal) {
    ret = g->cached_normal;
    g->has_cached_normal = 0;
    return fma(ret, std, mean);  // transformation::normal, fused in PyTorch's x86 build
  }
  const double u1 = dk_u53(g);
  const double u2 = dk_u53(g);
  const double r = sqrt(-2.0 * log1p(-u2));
  const double theta = 2.0 * 3.14159265358979323846 * u1;
  g->cached_normal = r * sin(theta);
  g->has_cached_normal = 1;
  ret = r * cos(theta);
  return fma(ret, std, mean);
}

void dk_normal_f32_serial(dk_generator *g, float *out, int64_t n, double mean, double std) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)dk_normal_double(g, mean, std);
}

void dk_normal_f64_serial(dk_generator *g, double *out, int64_t n, double mean, double std) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_normal_double(g, mean, std);
}

void dk_normal_f32(dk_generator *g, float *out, int64_t n, double mean, double std) {
  if (n < 16) { dk_normal_f32_serial(g, out, n, mean, std); return; }
  const float m = (float)mean, s = (float)std;
#if DK_X86
  if (dk_has_avx2_fma()) { dk_normal_fill_f32_fma(g, out, n, m, s); return; }
#endif
  dk_normal_fill_f32_generic(g, out, n, m, s);
}

// NormalFill16<double>: scalar libm log/cos/sin in double, std::fma for the affine step.
static void dk_fill16_f64(double *d, double mean, double std) {
  for (int k = 0; k < 8; k++) {
    const double u1 = 1.0 - d[k];
    const double u2 = d[k + 8];
    const double radius = sqrt(-2.0 * log(u1));
    const double theta = 2.0 * 3.14159265358979323846 * u2;  // 2.0f * c10::pi<double> * u2
    d[k] = fma(radius * cos(theta), std, mean);
    d[k + 8] = fma(radius * sin(theta), std, mean);
  }
}

void dk_normal_f64(dk_generator *g, double *out, int64_t n, double mean, double std) {
  if (n < 16) { dk_normal_f64_serial(g, out, n, mean, std); return; }
  for (int64_t i = 0; i < n; i++) out[i] = dk_u53(g);
  for (int64_t i = 0; i < n - 15; i += 16) dk_fill16_f64(out + i, mean, std);
  if (n % 16 != 0) {
    double *last = out + n - 16;
    for (int i = 0; i < 16; i++) last[i] = dk_u53(g);
    dk_fill16_f64(last, mean, std);
  }
}

// MARK: - integers

void dk_randint_i64(dk_generator *g, int64_t *out, int64_t n, int64_t low, int64_t high) {
  const uint64_t range = (uint64_t)high - (uint64_t)low;
  if (range == 0) return;  // PyTorch rejects low >= high before drawing
  if (range >= (UINT64_C(1) << 28)) {
    for (int64_t i = 0; i < n; i++) out[i] = (int64_t)(dk_random64(g) % range + (uint64_t)low);
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = (int64_t)((uint64_t)dk_random(g) % range + (uint64_t)low);
  }
}

void dk_randperm_i64(dk_generator *g, int64_t *out, int64_t n) {
  if (n <= 0) return;
  if (n < (int64_t)(UINT32_MAX / 20)) {
    for (int64_t i = 0; i < n; i++) out[i] = i;
    for (int64_t i = 0; i < n - 1; i++) {
      const int64_t z = (int64_t)(dk_random(g) % (uint64_t)(n - i));
      const int64_t t = out[i];
      out[i] = out[i + z];
      out[i + z] = t;
    }
    return;
  }
  // inside-out Fisher-Yates with 64-bit draws
  for (int64_t i = 0; i < n; i++) {
    const int64_t z = (int64_t)(dk_random64(g) % (uint64_t)(i + 1));
    out[i] = i;
    out[i] = out[z];
    out[z] = i;
  }
}

// MARK: - bernoulli

void dk_bernoulli_f32(dk_generator *g, float *out, int64_t n, double p) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_u53(g) < p ? 1.0f : 0.0f;
}

void dk_bernoulli_f64(dk_generator *g, double *out, int64_t n, double p) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_u53(g) < p ? 1.0 : 0.0;
}

void dk_bernoulli_tensor_f32(dk_generator *g, float *out, const float *p, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_u24(g) < p[i] ? 1.0f : 0.0f;
}

void dk_bernoulli_tensor_f64(dk_generator *g, double *out, const double *p, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_u53(g) < p[i] ? 1.0 : 0.0;
}

/* ------------------------------------------------------------------ exponential and multinomial */

static inline double uniform53(dk_generator *g) {
  return (double)(dk_gen_random64(g) & ((1ULL << 53) - 1)) * 0x1p-53;
}

void dk_exponential_f32(dk_generator *g, float *out, int64_t n, double lambda) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)(-1.0 / lambda * log1p(-uniform53(g)));
}
void dk_exponential_f64(dk_generator *g, double *out, int64_t n, double lambda) {
  for (int64_t i = 0; i < n; i++) out[i] = -1.0 / lambda * log1p(-uniform53(g));
}

#define MULTINOMIAL_BODY(T) { \
  T *cum = malloc(sizeof(T) * (size_t)(cats > 0 ? cats : 1)); \
  if (!cum) return 4; \
  for (int64_t r = 0; r < rows; r++) { \
    const T *row = p + r * cats; T sum = 0; \
    for (int64_t j = 0; j < cats; j++) { \
      T v = row[j]; \
      if (!(v >= 0)) { free(cum); return 1; } \
      if (!isfinite(v)) { free(cum); return 2; } \
      sum += v; cum[j] = sum; } \
    if (!(sum > 0)) { free(cum); return 3; } \
    for (int64_t j = 0; j < cats; j++) cum[j] /= sum; \
    for (int64_t s = 0; s < samples; s++) { \
      double u = uniform53(g); \
      cum[cats - 1] = 1; \
      int64_t lo = 0, hi = cats; \
      while (hi - lo > 0) { int64_t mid = lo + (hi - lo) / 2; if (cum[mid] < u) lo = mid + 1; else hi = mid; } \
      out[r * samples + s] = lo; } } \
  free(cum); return 0; }

int dk_multinomial_replacement_f32(dk_generator *g, const float *p, int64_t rows, int64_t cats, int64_t samples, int64_t *out)
MULTINOMIAL_BODY(float)
int dk_multinomial_replacement_f64(dk_generator *g, const double *p, int64_t rows, int64_t cats, int64_t samples, int64_t *out)
MULTINOMIAL_BODY(double)

// MARK: - gamma, Dirichlet and Poisson samplers (ATen's sample_gamma / sample_poisson, serial)

// sample_gamma<scalar_t, double>: Marsaglia-Tsang with ATen's float/double mix (alpha, 1/alpha,
// alpha + 1 and d = alpha - 1/3 in the input's precision `single`, the rest in double; uniforms
// are u53 draws, normals at::normal_distribution<double> with the cached second sample).
static double dk_sample_gamma(dk_generator *g, double alpha_in, int single) {
  double scale = 1.0;
  double alpha = single ? (double)(float)alpha_in : alpha_in;
  if (alpha < 1.0) {
    if (alpha == 0.0) return 0.0;
    const double inv = single ? (double)(1.0f / (float)alpha) : 1.0 / alpha;
    scale *= pow(1 - dk_u53(g), inv);
    alpha = single ? (double)((float)alpha + 1.0f) : alpha + 1.0;
  }
  const double d = single ? (double)((float)alpha - 1.0f / 3.0f) : alpha - (double)(1.0f / 3.0f);  // ATen's 1.0f / 3.0f literal
  const double c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, y;
    do {
      x = dk_normal_double(g, 0.0, 1.0);
      y = 1.0 + c * x;
    } while (y <= 0);
    const double v = y * y * y;
    const double u = 1 - dk_u53(g);
    const double xx = x * x;
    if (u < 1.0 - (double)0.0331f * xx * xx) return scale * d * v;
    if (log(u) < 0.5 * xx + d * (1.0 - v + log(v))) return scale * d * v;
  }
}

void dk_standard_gamma_f32(dk_generator *g, const float *alpha, float *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float s = (float)dk_sample_gamma(g, alpha[i], 1);
    out[i] = s > FLT_MIN ? s : FLT_MIN;
  }
}
void dk_standard_gamma_f64(dk_generator *g, const double *alpha, double *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double s = dk_sample_gamma(g, alpha[i], 0);
    out[i] = s > DBL_MIN ? s : DBL_MIN;
  }
}

// sample_poisson: Hoermann's transformed rejection for lambda >= 10, else multiplication of uniforms.
static double dk_sample_poisson(dk_generator *g, double lambda) {
  if (lambda >= 10) {
    const double slam = sqrt(lambda), loglam = log(lambda);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const double U = dk_u53(g) - 0.5, V = dk_u53(g);
      const double us = 0.5 - fabs(U);
      const int64_t k = (int64_t)floor((2 * a / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return (double)k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if ((log(V) + log(invalpha) - log(a / (us * us) + b)) <= (-lambda + k * loglam - lgamma((double)k + 1))) return (double)k;
    }
  }
  if (lambda == 0) return 0;
  const double enlam = exp(-lambda);
  int64_t X = 0;
  double prod = 1.0;
  for (;;) {
    prod *= dk_u53(g);
    if (prod > enlam) X += 1; else return (double)X;
  }
}
void dk_poisson_f32(dk_generator *g, const float *rate, float *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)dk_sample_poisson(g, (double)rate[i]);
}
void dk_poisson_f64(dk_generator *g, const double *rate, double *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = dk_sample_poisson(g, rate[i]);
}
