// Instruction-set plumbing shared by the kernel files (a private header, not part of the module).
#ifndef DK_TARGET_H
#define DK_TARGET_H
#include <math.h>

/* Functions compiled for one ISA and called after a run-time check (the GEMM micro-kernels, vmath). */
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DK_X86 1
#define DK_T_AVX2 __attribute__((target("avx2,fma")))
#define DK_T_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define DK_X86 0
#endif

/* Loops compiled for AVX-512, AVX2 and the baseline, picked at load time (ifunc). The files using
 * them turn FMA contraction off, so every version rounds as the baseline does. DK_CLONES_FMA adds
 * FMA (x86-64-v3/v4) for loops that call fmaf, which is exact in every version. */
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define DK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define DK_CLONES_FMA __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DK_CLONES
#define DK_CLONES_FMA
#endif

/* Square roots without errno, so that loops using them vectorise; correctly rounded like sqrtf/sqrt. */
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define DK_VSQRTf(x) __builtin_elementwise_sqrt(x)
#define DK_VSQRT(x) __builtin_elementwise_sqrt(x)
#else
#define DK_VSQRTf(x) sqrtf(x)
#define DK_VSQRT(x) sqrt(x)
#endif

#define DK_INLINE static inline __attribute__((always_inline))
#endif
