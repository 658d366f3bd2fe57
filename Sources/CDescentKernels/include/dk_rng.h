// dk_rng.h: PyTorch-compatible CPU random numbers (bit for bit with torch's x86 builds).
// The spec is shared/RNG.md. Every function here consumes the generator exactly as the
// corresponding PyTorch CPU kernel does, so calls can be interleaved in any order and stay
// in step with a PyTorch program making the same calls.
//
// None of these functions lock: the caller serialises access to one generator.
#ifndef DK_RNG_H
#define DK_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// PyTorch's default seed for a fresh `torch.Generator()` (c10::detail::default_rng_seed_val).
#define DK_DEFAULT_SEED 67280421310721ULL

// at::CPUGeneratorImpl: an mt19937 engine plus the cached second Box-Muller sample of
// at::normal_distribution<double> (next_double_normal_sample). The float cache of PyTorch is
// never used by CPU kernels and is not modelled.
typedef struct dk_generator {
  uint32_t mt[624];
  int32_t left;
  int32_t next;
  uint64_t seed;                 // the 64-bit seed last given to dk_gen_seed (initial_seed())
  int32_t has_cached_normal;
  double cached_normal;          // next_double_normal_sample
} dk_generator;

// torch.manual_seed / Generator.manual_seed: mt19937 seeded with the low 32 bits of `seed`
// (all 64 are remembered in g->seed); clears the cached normal sample.
void     dk_gen_seed(dk_generator *g, uint64_t seed);
// One 32-bit mt19937 output.
uint32_t dk_gen_random(dk_generator *g);
// (random() << 32) | random(): the first draw is the high word.
uint64_t dk_gen_random64(dk_generator *g);
// random64() % 2^63: torch.empty((), dtype=torch.int64).random_(); the DataLoader base seed
// and RandomSampler's seed are drawn this way.
uint64_t dk_gen_random_int63(dk_generator *g);

// Tensor.uniform_(from, to) on a contiguous tensor (serial element order); torch.rand is
// uniform_(0, 1). float32: from/to are rounded to float once, each element is
// fmaf(u24, to - from, from) with u24 = (random() & 0xFFFFFF) * 2^-24; a value that rounds to
// `to` is replaced by `from`. float64: the same in double with 53 bits of random64().
void dk_uniform_f32(dk_generator *g, float *out, int64_t n, double from, double to);
void dk_uniform_f64(dk_generator *g, double *out, int64_t n, double from, double to);

// Tensor.normal_(mean, std) on a contiguous tensor of n elements (torch.randn, torch.normal
// with scalar mean/std, nn.init.normal_). n >= 16: PyTorch's block Box-Muller (float32: the
// AVX2 Cephes-polynomial kernel reproduced lane by lane; float64: libm log/sin/cos in double).
// n < 16: the per-element double Box-Muller with the cached second sample.
void dk_normal_f32(dk_generator *g, float *out, int64_t n, double mean, double std);
void dk_normal_f64(dk_generator *g, double *out, int64_t n, double mean, double std);
// The per-element path alone (PyTorch uses it for non-contiguous tensors of any size):
// out[i] = (float)fma(normal_distribution<double>, std, mean), serial, using/setting the cache.
void dk_normal_f32_serial(dk_generator *g, float *out, int64_t n, double mean, double std);
void dk_normal_f64_serial(dk_generator *g, double *out, int64_t n, double mean, double std);

// torch.randint(low, high, (n,)) / Tensor.random_(low, high), int64: with
// range = high - low, each element is (range >= 2^28 ? random64() : random()) % range + low.
// (The 2^28 threshold is PyTorch's non-fbcode build; RNG.md's 2^32 is the fbcode one.)
void dk_randint_i64(dk_generator *g, int64_t *out, int64_t n, int64_t low, int64_t high);

// torch.randperm(n) on CPU (int64). n < 214748364 (UINT32_MAX / 20): p = 0..n-1, then for
// i in 0..n-2 swap p[i] and p[i + random() % (n - i)]. Larger n: PyTorch's inside-out
// Fisher-Yates: for i in 0..n-1 { z = random64() % (i + 1); p[i] = p[z]; p[z] = i }
// (checked against torch 2.13 for n = 214748364).
void dk_randperm_i64(dk_generator *g, int64_t *out, int64_t n);

// Tensor.bernoulli_(p) with a scalar p, NON-MKL semantics (PyTorch's bernoulli_scalar_kernel_
// default, used by builds without MKL, e.g. arm64 macOS, and on AMD CPUs): per element
// u53 = (random64() & (2^53-1)) * 2^-53, out = u53 < p ? 1 : 0.
// torch 2.13 (x86, MKL build, Intel CPU) computes exactly this, for bernoulli_(p) and for
// F.dropout (mask = bernoulli_(1 - p), out = x * (mask / (float)(1 - p))). Older x86 MKL
// builds on Intel CPUs instead drew one random() to seed MKL's VSL_BRNG_MCG31 stream and
// gave other masks; they are not reproduced.
void dk_bernoulli_f32(dk_generator *g, float *out, int64_t n, double p);
void dk_bernoulli_f64(dk_generator *g, double *out, int64_t n, double p);

// torch.bernoulli(probs) / Tensor.bernoulli_(probs_tensor) with a float32 probability tensor
// (same shape, contiguous): per element u24 = (random() & 0xFFFFFF) * 2^-24, out = u24 < p[i].
// This kernel is the same on every build (no MKL path).
void dk_bernoulli_tensor_f32(dk_generator *g, float *out, const float *p, int64_t n);
// ... with a float64 probability tensor: u53 < p[i].
void dk_bernoulli_tensor_f64(dk_generator *g, double *out, const double *p, int64_t n);

#ifdef __cplusplus
}
#endif

/// Exponential(lambda) draws, -1/lambda * log1p(-u) with u from one random64() (53 bits) each, computed
/// in double and rounded to the element type (PyTorch's CPU `exponential_`).
void dk_exponential_f32(dk_generator *g, float *out, int64_t n, double lambda);
void dk_exponential_f64(dk_generator *g, double *out, int64_t n, double lambda);

/// PyTorch's CPU `multinomial(..., replacement=True)` with more than one sample: for each of `rows`
/// rows of `cats` probabilities (contiguous; sums and the normalised running sums in the element
/// type), `samples` draws of a 53-bit uniform double located by binary search. Returns 0, or
/// 1 (an entry < 0), 2 (an infinite or NaN entry), 3 (a row summing to <= 0).
int dk_multinomial_replacement_f32(dk_generator *g, const float *p, int64_t rows, int64_t cats, int64_t samples, int64_t *out);
int dk_multinomial_replacement_f64(dk_generator *g, const double *p, int64_t rows, int64_t cats, int64_t samples, int64_t *out);

// torch._standard_gamma (ATen's sample_gamma: Marsaglia-Tsang, u53 uniforms and the cached
// double normal), clamped to the type's smallest normal; serial in element order.
void dk_standard_gamma_f32(dk_generator *g, const float *alpha, float *out, int64_t n);
void dk_standard_gamma_f64(dk_generator *g, const double *alpha, double *out, int64_t n);
// torch.poisson (ATen's sample_poisson), serial in element order.
void dk_poisson_f32(dk_generator *g, const float *rate, float *out, int64_t n);
void dk_poisson_f64(dk_generator *g, const double *rate, double *out, int64_t n);

#endif
