// Elementwise, reduction, copy and indexing kernels (see include/dk_ops.h).
// Inner loops are written so that clang vectorises the contiguous cases at -O2; large
// problems are split over the thread pool (dk_parallel_for).
#include "dk_ops.h"
#include "dk_vmath.h"
#include "dk_parallel.h"
#include <math.h>
#include <string.h>
#include <stdlib.h>

#define DK_GRAIN 32768
#define MAXD 16

// Hot loops are compiled for AVX-512, AVX2 and the baseline, picked at load time (ifunc). FMA
// contraction is off, so every version rounds exactly as the baseline does: element-wise results
// are the same everywhere, and the reductions keep their explicit lane order.
#pragma clang fp contract(off)
#include "dk_target.h"

// ---------------------------------------------------------------- fill, cast
void dk_fill(int32_t dtype, void *p, int64_t n, double v) {
  switch (dtype) {
  case DK_F32: { float *q = p; float f = (float)v; for (int64_t i = 0; i < n; i++) q[i] = f; break; }
  case DK_F64: { double *q = p; for (int64_t i = 0; i < n; i++) q[i] = v; break; }
  case DK_I64: { int64_t *q = p; int64_t f = (int64_t)v; for (int64_t i = 0; i < n; i++) q[i] = f; break; }
  case DK_I32: { int32_t *q = p; int32_t f = (int32_t)v; for (int64_t i = 0; i < n; i++) q[i] = f; break; }
  case DK_BOOL: memset(p, v != 0, (size_t)n); break;
  default: memset(p, (uint8_t)(int64_t)v, (size_t)n); break;
  }
}

#define CAST_LOOP(ST, DT) { const ST *s = src; DT *d = dst; for (int64_t i = 0; i < n; i++) d[i] = (DT)s[i]; }
/* To uint8 through int64, as PyTorch's c10::convert: out-of-range values wrap (the direct float
   conversion is undefined there, and vectorised code saturates instead). */
#define CAST_TO_U8(ST) { const ST *s = src; uint8_t *d = dst; for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)(int64_t)s[i]; }
#define CAST_TO_BOOL(ST) { const ST *s = src; uint8_t *d = dst; for (int64_t i = 0; i < n; i++) d[i] = s[i] != 0; }
#define CAST_FROM(ST) \
  switch (dstType) { \
  case DK_F32: CAST_LOOP(ST, float) break; case DK_F64: CAST_LOOP(ST, double) break; \
  case DK_I64: CAST_LOOP(ST, int64_t) break; case DK_I32: CAST_LOOP(ST, int32_t) break; \
  case DK_U8: CAST_TO_U8(ST) break; case DK_BOOL: CAST_TO_BOOL(ST) break; }

void dk_cast(int32_t srcType, const void *src, int32_t dstType, void *dst, int64_t n) {
  switch (srcType) {
  case DK_F32: CAST_FROM(float) break;
  case DK_F64: CAST_FROM(double) break;
  case DK_I64: CAST_FROM(int64_t) break;
  case DK_I32: CAST_FROM(int32_t) break;
  default: CAST_FROM(uint8_t) break;
  }
}

// ---------------------------------------------------------------- strided copy
// Merges adjacent dims that are contiguous with each other in every operand; drops size-1 dims.
static int coalesce(int ndim, const int64_t *shape, int nops, const int64_t *const *strides,
                    int64_t *oshape, int64_t ostr[][MAXD]) {
  int nd = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    if (nd > 0) {
      int ok = 1;
      for (int k = 0; k < nops; k++)
        if (ostr[k][nd - 1] != strides[k][d] * shape[d]) { ok = 0; break; }
      if (ok) {
        oshape[nd - 1] *= shape[d];
        for (int k = 0; k < nops; k++) ostr[k][nd - 1] = strides[k][d];
        continue;
      }
    }
    oshape[nd] = shape[d];
    for (int k = 0; k < nops; k++) ostr[k][nd] = strides[k][d];
    nd++;
  }
  if (nd == 0) { oshape[0] = 1; for (int k = 0; k < nops; k++) ostr[k][0] = 0; nd = 1; }
  return nd;
}

typedef struct {
  int nd; int64_t shape[MAXD]; int64_t str[3][MAXD];
  int64_t esize; char *dst; const char *src;
} copy_ctx;

DK_CLONES static void copy_rows(void *vctx, int64_t begin, int64_t end) {
  copy_ctx *c = vctx;
  int nd = c->nd; int64_t inner = c->shape[nd - 1];
  int64_t ds = c->str[0][nd - 1], ss = c->str[1][nd - 1], es = c->esize;
  for (int64_t row = begin; row < end; row++) {
    int64_t rem = row, doff = 0, soff = 0;
    for (int d = nd - 2; d >= 0; d--) {
      int64_t i = rem % c->shape[d]; rem /= c->shape[d];
      doff += i * c->str[0][d]; soff += i * c->str[1][d];
    }
    char *dp = c->dst + doff * es; const char *sp = c->src + soff * es;
    if (ds == 1 && ss == 1) { memcpy(dp, sp, (size_t)(inner * es)); continue; }
    if (ds == 1 && ss == 0 && (es == 4 || es == 8)) { // a broadcast value: a fill, vectorised
      if (es == 4) { uint32_t v; memcpy(&v, sp, 4); uint32_t *d = (uint32_t *)dp; for (int64_t i = 0; i < inner; i++) d[i] = v; }
      else { uint64_t v; memcpy(&v, sp, 8); uint64_t *d = (uint64_t *)dp; for (int64_t i = 0; i < inner; i++) d[i] = v; }
      continue;
    }
    switch (es) {
    case 4: for (int64_t i = 0; i < inner; i++) ((uint32_t *)dp)[i * ds] = ((const uint32_t *)sp)[i * ss]; break;
    case 8: for (int64_t i = 0; i < inner; i++) ((uint64_t *)dp)[i * ds] = ((const uint64_t *)sp)[i * ss]; break;
    case 1: for (int64_t i = 0; i < inner; i++) dp[i * ds] = sp[i * ss]; break;
    default: for (int64_t i = 0; i < inner; i++) memcpy(dp + i * ds * es, sp + i * ss * es, (size_t)es);
    }
  }
}

void dk_copy_strided(int64_t elemSize, int32_t ndim, const int64_t *shape,
                     void *dst, const int64_t *dstStrides, const void *src, const int64_t *srcStrides) {
  copy_ctx c;
  const int64_t *strs[2] = {dstStrides, srcStrides};
  for (int d = 0; d < ndim; d++) if (shape[d] == 0) return;
  c.nd = coalesce(ndim, shape, 2, strs, c.shape, c.str);
  c.esize = elemSize; c.dst = dst; c.src = src;
  int64_t rows = 1; for (int d = 0; d < c.nd - 1; d++) rows *= c.shape[d];
  int64_t total = rows * c.shape[c.nd - 1];
  if (rows == 1 && total >= DK_GRAIN * 8 && c.nd < MAXD) {
    // one long row (e.g. a broadcast scalar filling a large gradient): split it into row chunks
    const int64_t chunk = 16384, n = c.shape[0], full = n / chunk, rest = n - full * chunk;
    copy_ctx t = c; // the tail: one short row after the full chunks
    t.shape[0] = rest; t.dst = c.dst + full * chunk * c.str[0][0] * c.esize; t.src = c.src + full * chunk * c.str[1][0] * c.esize;
    c.nd = 2; c.shape[1] = chunk; c.shape[0] = full;
    for (int k = 0; k < 2; k++) { c.str[k][1] = c.str[k][0]; c.str[k][0] = c.str[k][0] * chunk; }
    dk_parallel_for(full, 1, copy_rows, &c);
    if (rest > 0) copy_rows(&t, 0, 1);
    return;
  }
  if (total < DK_GRAIN * 4 || rows == 1) copy_rows(&c, 0, rows);
  else dk_parallel_for(rows, (DK_GRAIN * 4 + c.shape[c.nd - 1] - 1) / c.shape[c.nd - 1], copy_rows, &c);
}

// ---------------------------------------------------------------- binary
typedef struct {
  int op, dtype, nd; int64_t shape[MAXD]; int64_t str[2][MAXD];
  char *out; const char *a; const char *b;
} bin_ctx;

// One row of `n` elements; EXPR uses x, y. Contiguous/broadcast cases are separate loops to vectorise.
#define ROW(T, OT, EXPR) do { \
    const T *A = (const T *)ap; const T *B = (const T *)bp; OT *O = (OT *)op_; \
    if (sa == 1 && sb == 1) { for (int64_t i = 0; i < n; i++) { T x = A[i], y = B[i]; O[i] = (OT)(EXPR); } } \
    else if (sa == 1 && sb == 0) { T y = B[0]; for (int64_t i = 0; i < n; i++) { T x = A[i]; O[i] = (OT)(EXPR); } } \
    else if (sa == 0 && sb == 1) { T x = A[0]; for (int64_t i = 0; i < n; i++) { T y = B[i]; O[i] = (OT)(EXPR); } } \
    else { for (int64_t i = 0; i < n; i++) { T x = A[i * sa], y = B[i * sb]; O[i] = (OT)(EXPR); } } \
  } while (0)

/* PyTorch's remainder: fmod, moved into b's sign. */
#define REM_F(T, FM) do { T m_ = FM(x, y); if (m_ != 0 && ((y < 0) != (m_ < 0))) m_ += y; r_ = m_; } while (0)
static inline float rem_f32(float x, float y) { float r_; REM_F(float, fmodf); return r_; }
static inline double rem_f64(double x, double y) { double r_; REM_F(double, fmod); return r_; }
#define REM_I(x, y) ((y) == 0 ? 0 : (((x) % (y) != 0 && (((x) % (y) < 0) != ((y) < 0))) ? (x) % (y) + (y) : (x) % (y)))

#define CMP_CASES(T) \
  case DK_EQ: ROW(T, uint8_t, x == y); break; case DK_NE: ROW(T, uint8_t, x != y); break; \
  case DK_LT: ROW(T, uint8_t, x < y); break;  case DK_LE: ROW(T, uint8_t, x <= y); break; \
  case DK_GT: ROW(T, uint8_t, x > y); break;  case DK_GE: ROW(T, uint8_t, x >= y); break; \
  case DK_LOGICAL_AND: ROW(T, uint8_t, (x != 0) && (y != 0)); break; \
  case DK_LOGICAL_OR: ROW(T, uint8_t, (x != 0) || (y != 0)); break;

DK_CLONES_FMA static void row_f32(int op, int64_t n, char *op_, const char *ap, int64_t sa, const char *bp, int64_t sb) {
  switch (op) {
  case DK_ADD: ROW(float, float, x + y); break;
  case DK_SUB: ROW(float, float, x - y); break;
  case DK_MUL: ROW(float, float, x * y); break;
  case DK_DIV: ROW(float, float, x / y); break;
  case DK_POW: ROW(float, float, powf(x, y)); break;
  case DK_MAXIMUM: ROW(float, float, (x != x || y != y) ? x + y : (x > y ? x : y)); break;
  case DK_MINIMUM: ROW(float, float, (x != x || y != y) ? x + y : (x < y ? x : y)); break;
  case DK_RELU_BWD: ROW(float, float, y > 0 ? x : 0.0f); break;
  case DK_SIGMOID_BWD: ROW(float, float, (x * (1.0f - y)) * y); break;   /* PyTorch: a * (1 - b) * b */
  case DK_TANH_BWD: ROW(float, float, x * fmaf(-y, y, 1.0f)); break;   /* a * (1 - b * b), which GCC fuses in PyTorch */
  case DK_FMOD: ROW(float, float, fmodf(x, y)); break;
  case DK_REMAINDER: ROW(float, float, rem_f32(x, y)); break;
  case DK_ATAN2: ROW(float, float, atan2f(x, y)); break;
  case DK_HYPOT: ROW(float, float, hypotf(x, y)); break;
  CMP_CASES(float)
  }
}
DK_CLONES_FMA static void row_f64(int op, int64_t n, char *op_, const char *ap, int64_t sa, const char *bp, int64_t sb) {
  switch (op) {
  case DK_ADD: ROW(double, double, x + y); break;
  case DK_SUB: ROW(double, double, x - y); break;
  case DK_MUL: ROW(double, double, x * y); break;
  case DK_DIV: ROW(double, double, x / y); break;
  case DK_POW: ROW(double, double, pow(x, y)); break;
  case DK_MAXIMUM: ROW(double, double, (x != x || y != y) ? x + y : (x > y ? x : y)); break;
  case DK_MINIMUM: ROW(double, double, (x != x || y != y) ? x + y : (x < y ? x : y)); break;
  case DK_RELU_BWD: ROW(double, double, y > 0 ? x : 0.0); break;
  case DK_SIGMOID_BWD: ROW(double, double, (x * (1.0 - y)) * y); break;
  case DK_TANH_BWD: ROW(double, double, x * fma(-y, y, 1.0)); break;
  case DK_FMOD: ROW(double, double, fmod(x, y)); break;
  case DK_REMAINDER: ROW(double, double, rem_f64(x, y)); break;
  case DK_ATAN2: ROW(double, double, atan2(x, y)); break;
  case DK_HYPOT: ROW(double, double, hypot(x, y)); break;
  CMP_CASES(double)
  }
}
static int64_t ipow(int64_t b, int64_t e) { int64_t r = 1; if (e < 0) return b == 1 ? 1 : (b == -1 ? ((e & 1) ? -1 : 1) : 0); while (e) { if (e & 1) r *= b; b *= b; e >>= 1; } return r; }
static void row_i64(int op, int64_t n, char *op_, const char *ap, int64_t sa, const char *bp, int64_t sb) {
  switch (op) {
  case DK_ADD: ROW(int64_t, int64_t, x + y); break;
  case DK_SUB: ROW(int64_t, int64_t, x - y); break;
  case DK_MUL: ROW(int64_t, int64_t, x * y); break;
  case DK_DIV: ROW(int64_t, int64_t, y == 0 ? 0 : x / y); break;
  case DK_POW: ROW(int64_t, int64_t, ipow(x, y)); break;
  case DK_MAXIMUM: ROW(int64_t, int64_t, x > y ? x : y); break;
  case DK_MINIMUM: ROW(int64_t, int64_t, x < y ? x : y); break;
  case DK_FMOD: ROW(int64_t, int64_t, y == 0 ? 0 : x % y); break;
  case DK_REMAINDER: ROW(int64_t, int64_t, REM_I(x, y)); break;
  CMP_CASES(int64_t)
  }
}
static void row_i32(int op, int64_t n, char *op_, const char *ap, int64_t sa, const char *bp, int64_t sb) {
  switch (op) {
  case DK_ADD: ROW(int32_t, int32_t, x + y); break;
  case DK_SUB: ROW(int32_t, int32_t, x - y); break;
  case DK_MUL: ROW(int32_t, int32_t, x * y); break;
  case DK_DIV: ROW(int32_t, int32_t, y == 0 ? 0 : x / y); break;
  case DK_MAXIMUM: ROW(int32_t, int32_t, x > y ? x : y); break;
  case DK_MINIMUM: ROW(int32_t, int32_t, x < y ? x : y); break;
  case DK_FMOD: ROW(int32_t, int32_t, y == 0 ? 0 : x % y); break;
  case DK_REMAINDER: ROW(int32_t, int32_t, REM_I(x, y)); break;
  CMP_CASES(int32_t)
  }
}
static void row_u8(int op, int64_t n, char *op_, const char *ap, int64_t sa, const char *bp, int64_t sb, int isBool) {
  switch (op) {
  case DK_ADD: if (isBool) ROW(uint8_t, uint8_t, x | y); else ROW(uint8_t, uint8_t, x + y); break;
  case DK_SUB: ROW(uint8_t, uint8_t, x - y); break;
  case DK_MUL: if (isBool) ROW(uint8_t, uint8_t, x & y); else ROW(uint8_t, uint8_t, x * y); break;
  case DK_MAXIMUM: ROW(uint8_t, uint8_t, x > y ? x : y); break;
  case DK_MINIMUM: ROW(uint8_t, uint8_t, x < y ? x : y); break;
  case DK_FMOD: case DK_REMAINDER: ROW(uint8_t, uint8_t, y == 0 ? 0 : x % y); break;
  CMP_CASES(uint8_t)
  }
}

static int out_size(int op, int dtype) {
  if (op >= DK_EQ && op <= DK_GE) return 1;
  if (op == DK_LOGICAL_AND || op == DK_LOGICAL_OR) return 1;
  switch (dtype) { case DK_F32: case DK_I32: return 4; case DK_F64: case DK_I64: return 8; default: return 1; }
}
static int in_size(int dtype) {
  switch (dtype) { case DK_F32: case DK_I32: return 4; case DK_F64: case DK_I64: return 8; default: return 1; }
}

static void bin_rows(void *vctx, int64_t begin, int64_t end) {
  bin_ctx *c = vctx;
  int nd = c->nd; int64_t n = c->shape[nd - 1];
  int64_t sa = c->str[0][nd - 1], sb = c->str[1][nd - 1];
  int osz = out_size(c->op, c->dtype), isz = in_size(c->dtype);
  for (int64_t row = begin; row < end; row++) {
    int64_t rem = row, ao = 0, bo = 0;
    for (int d = nd - 2; d >= 0; d--) {
      int64_t i = rem % c->shape[d]; rem /= c->shape[d];
      ao += i * c->str[0][d]; bo += i * c->str[1][d];
    }
    char *o = c->out + row * n * osz;
    const char *ap = c->a + ao * isz, *bp = c->b + bo * isz;
    switch (c->dtype) {
    case DK_F32: row_f32(c->op, n, o, ap, sa, bp, sb); break;
    case DK_F64: row_f64(c->op, n, o, ap, sa, bp, sb); break;
    case DK_I64: row_i64(c->op, n, o, ap, sa, bp, sb); break;
    case DK_I32: row_i32(c->op, n, o, ap, sa, bp, sb); break;
    default: row_u8(c->op, n, o, ap, sa, bp, sb, c->dtype == DK_BOOL); break;
    }
  }
}

typedef struct { bin_ctx *c; int64_t chunk; } bin_split;
static void bin_flat(void *vctx, int64_t begin, int64_t end) {
  // single contiguous row split in chunks
  bin_split *s = vctx; bin_ctx *c = s->c;
  int osz = out_size(c->op, c->dtype), isz = in_size(c->dtype);
  int64_t sa = c->str[0][0], sb = c->str[1][0];
  for (int64_t k = begin; k < end; k++) {
    int64_t st = k * s->chunk, n = c->shape[0] - st; if (n > s->chunk) n = s->chunk;
    char *o = c->out + st * osz; const char *ap = c->a + st * sa * isz, *bp = c->b + st * sb * isz;
    switch (c->dtype) {
    case DK_F32: row_f32(c->op, n, o, ap, sa, bp, sb); break;
    case DK_F64: row_f64(c->op, n, o, ap, sa, bp, sb); break;
    case DK_I64: row_i64(c->op, n, o, ap, sa, bp, sb); break;
    case DK_I32: row_i32(c->op, n, o, ap, sa, bp, sb); break;
    default: row_u8(c->op, n, o, ap, sa, bp, sb, c->dtype == DK_BOOL); break;
    }
  }
}

void dk_binary(int32_t op, int32_t dtype, int32_t ndim, const int64_t *shape, void *out,
               const void *a, const int64_t *sa, const void *b, const int64_t *sb) {
  bin_ctx c;
  int64_t ostr[MAXD]; int64_t total = 1;
  for (int d = ndim - 1; d >= 0; d--) { ostr[d] = total; total *= shape[d]; }
  if (total == 0) return;
  const int64_t *strs[3] = {sa, sb, ostr};
  int64_t tmp[3][MAXD];
  c.nd = coalesce(ndim, shape, 3, strs, c.shape, tmp);
  memcpy(c.str[0], tmp[0], sizeof(tmp[0])); memcpy(c.str[1], tmp[1], sizeof(tmp[1]));
  c.op = op; c.dtype = dtype; c.out = out; c.a = a; c.b = b;
  int64_t inner = c.shape[c.nd - 1], rows = total / inner;
  if (total < DK_GRAIN) { bin_rows(&c, 0, rows); return; }
  if (rows == 1) {
    bin_split s = {&c, 16384};
    dk_parallel_for((inner + s.chunk - 1) / s.chunk, 1, bin_flat, &s);
  } else {
    dk_parallel_for(rows, (DK_GRAIN + inner - 1) / inner, bin_rows, &c);
  }
}

// ---------------------------------------------------------------- unary
typedef struct { int op, dtype; const char *x; char *y; double p1, p2; } un_ctx;

static inline float gelu_f(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f)); }
static inline double gelu_d(double x) { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440)); }

#define UN_LOOP(T, EXPR) { const T *X = (const T *)c->x; T *Y = (T *)c->y; for (int64_t i = b; i < e; i++) { T x = X[i]; Y[i] = (EXPR); } }
#define UN_FLOAT(T, S, ONE, ZERO, GELU) \
  switch (c->op) { \
  case DK_NEG: UN_LOOP(T, -x) break; \
  case DK_EXP: UN_LOOP(T, exp##S(x)) break; \
  case DK_LOG: UN_LOOP(T, log##S(x)) break; \
  case DK_SQRT: UN_LOOP(T, DK_VSQRT##S(x)) break; \
  case DK_ABS: UN_LOOP(T, fabs##S(x)) break; \
  case DK_SIN: UN_LOOP(T, sin##S(x)) break; \
  case DK_COS: UN_LOOP(T, cos##S(x)) break; \
  case DK_TANH: UN_LOOP(T, tanh##S(x)) break; \
  case DK_SIGMOID: UN_LOOP(T, ONE / (ONE + exp##S(-x))) break; \
  case DK_RELU: UN_LOOP(T, x > ZERO ? x : (x != x ? x : ZERO)) break; \
  case DK_CLAMP: { T lo = (T)c->p1, hi = (T)c->p2; UN_LOOP(T, x != x ? x : (x < lo ? lo : (x > hi ? hi : x))) break; } \
  case DK_POWS: { T p = (T)c->p1; \
      if (p == (T)2) UN_LOOP(T, x * x) else if (p == (T)0.5) UN_LOOP(T, DK_VSQRT##S(x)) \
      else if (p == (T)1) UN_LOOP(T, x) else if (p == (T)3) UN_LOOP(T, x * x * x) \
      else if (p == (T)-1) UN_LOOP(T, ONE / x) else if (p == (T)-0.5) UN_LOOP(T, ONE / DK_VSQRT##S(x)) \
      else if (p == (T)-2) UN_LOOP(T, ONE / (x * x)) else UN_LOOP(T, pow##S(x, p)) break; } \
  case DK_LEAKY_RELU: { T s = (T)c->p1; UN_LOOP(T, x > ZERO ? x : x * s) break; } \
  case DK_ELU: { T sc = c->p2 == 0 ? ONE : (T)c->p2, ng = (T)c->p1 * sc; UN_LOOP(T, x > ZERO ? x * sc : expm1##S(x) * ng) break; } \
  case DK_GELU: UN_LOOP(T, GELU(x)) break; \
  case DK_SILU: UN_LOOP(T, x / (ONE + exp##S(-x))) break; \
  case DK_LOG1P: UN_LOOP(T, log1p##S(x)) break; \
  case DK_EXPM1: UN_LOOP(T, expm1##S(x)) break; \
  case DK_RSQRT: UN_LOOP(T, ONE / DK_VSQRT##S(x)) break; \
  case DK_SQUARE: UN_LOOP(T, x * x) break; \
  case DK_SIGN: UN_LOOP(T, (T)((x > ZERO) - (x < ZERO))) break; \
  case DK_RECIPROCAL: UN_LOOP(T, ONE / x) break; \
  case DK_FLOOR: UN_LOOP(T, floor##S(x)) break; \
  case DK_CEIL: UN_LOOP(T, ceil##S(x)) break; \
  case DK_ROUND: UN_LOOP(T, nearbyint##S(x)) break; \
  case DK_TRUNC: UN_LOOP(T, trunc##S(x)) break; \
  case DK_LOG2: UN_LOOP(T, log2##S(x)) break; \
  case DK_LOG10: UN_LOOP(T, log10##S(x)) break; \
  case DK_TAN: UN_LOOP(T, tan##S(x)) break; \
  case DK_ASIN: UN_LOOP(T, asin##S(x)) break; \
  case DK_ACOS: UN_LOOP(T, acos##S(x)) break; \
  case DK_ATAN: UN_LOOP(T, atan##S(x)) break; \
  case DK_SINH: UN_LOOP(T, sinh##S(x)) break; \
  case DK_COSH: UN_LOOP(T, cosh##S(x)) break; \
  case DK_ASINH: UN_LOOP(T, asinh##S(x)) break; \
  case DK_ACOSH: UN_LOOP(T, acosh##S(x)) break; \
  case DK_ATANH: UN_LOOP(T, atanh##S(x)) break; \
  case DK_AFFINE: { T m = (T)c->p1, a = (T)c->p2; UN_LOOP(T, x * m + a) break; } \
  case DK_RSUB_SCALAR: { T s = (T)c->p1; UN_LOOP(T, s - x) break; } \
  case DK_LOG_SIGMOID: UN_LOOP(T, (x < ZERO ? x : ZERO) - log1p##S(exp##S(-fabs##S(x)))) break; \
  case DK_SOFTPLUS: UN_LOOP(T, (x > ZERO ? x : ZERO) + log1p##S(exp##S(-fabs##S(x)))) break; \
  case DK_ERF: UN_LOOP(T, erf##S(x)) break; \
  }

DK_CLONES static void un_range(void *vctx, int64_t b, int64_t e) {
  un_ctx *c = vctx;
  if (c->dtype == DK_F32 && c->op == DK_EXP) { dk_vexpf(e - b, (const float *)c->x + b, (float *)c->y + b); return; }
  if (c->dtype == DK_F32 && c->op == DK_SIGMOID) { dk_vsigmoidf(e - b, (const float *)c->x + b, (float *)c->y + b); return; }
  if (c->dtype == DK_F32 && c->op == DK_TANH) { dk_vtanhf(e - b, (const float *)c->x + b, (float *)c->y + b); return; }
  // PyTorch's pow(x, 0.5) is its sqrt kernel (pow_tensor_scalar_kernel), MKL's on x86
  if (c->dtype == DK_F32 && (c->op == DK_SQRT || (c->op == DK_POWS && c->p1 == 0.5))) { dk_vsqrtf_torch(e - b, (const float *)c->x + b, (float *)c->y + b); return; }
  if (c->dtype == DK_F32) { UN_FLOAT(float, f, 1.0f, 0.0f, gelu_f) }
  else if (c->dtype == DK_F64) { UN_FLOAT(double, , 1.0, 0.0, gelu_d) }
  else if (c->dtype == DK_I64) {
    switch (c->op) {
    case DK_NEG: UN_LOOP(int64_t, -x) break;
    case DK_ABS: UN_LOOP(int64_t, x < 0 ? -x : x) break;
    case DK_SIGN: UN_LOOP(int64_t, (x > 0) - (x < 0)) break;
    case DK_SQUARE: UN_LOOP(int64_t, x * x) break;
    case DK_CLAMP: { int64_t lo = c->p1 < -9.2e18 ? INT64_MIN : (int64_t)c->p1, hi = c->p2 > 9.2e18 ? INT64_MAX : (int64_t)c->p2;
      UN_LOOP(int64_t, x < lo ? lo : (x > hi ? hi : x)) break; }
    }
  }
}

/* The float32 ops whose PyTorch kernels torch_act.c follows (SLEEF in vector blocks, glibc in the tails). */
static int torch_act_op(int32_t op, double p1, double *q1, double *q2) {
  *q1 = p1; *q2 = 0;
  switch (op) {
  case DK_EXP: return DK_ACT_EXP;
  case DK_LOG: return DK_ACT_LOG;
  case DK_SIGMOID: return DK_ACT_SIGMOID;
  case DK_SILU: return DK_ACT_SILU;
  case DK_GELU: return DK_ACT_GELU;
  case DK_LOG1P: return DK_ACT_LOG1P;
  case DK_EXPM1: return DK_ACT_EXPM1;
  case DK_SOFTPLUS: return DK_ACT_SOFTPLUS;
  case DK_LOG_SIGMOID: return DK_ACT_LOG_SIGMOID;
  case DK_POWS:   /* the exponents PyTorch's pow kernels special-case are plain arithmetic here */
    if (p1 == 0.5 || p1 == -0.5 || p1 == 1 || p1 == 2 || p1 == 3 || p1 == -1 || p1 == -2) return -1;
    return DK_ACT_POW;
  default: return -1;
  }
}

void dk_unary(int32_t op, int32_t dtype, int64_t n, const void *x, void *y, double p1, double p2) {
  if (dtype == DK_F32) {
    double q1, q2;
    int act = op == DK_ELU ? DK_ACT_ELU : torch_act_op(op, p1, &q1, &q2);
    if (op == DK_ELU) { q1 = p1; q2 = p2 == 0 ? 1.0 : p2; }   /* p2: SELU's scale (0 = ELU) */
    if (act >= 0 && dk_torch_activation_f32(act, n, NULL, (const float *)x, (float *)y, q1, q2)) return;
  }
  un_ctx c = {op, dtype, x, y, p1, p2};
  if (n < DK_GRAIN / 4) un_range(&c, 0, n);
  else dk_parallel_for(n, DK_GRAIN / 4, un_range, &c);
}

void dk_axpy(int32_t dtype, int64_t n, double a, const void *x, void *y) {
  if (dtype == DK_F32) { float af = (float)a; const float *X = x; float *Y = y; for (int64_t i = 0; i < n; i++) Y[i] += af * X[i]; }
  else { const double *X = x; double *Y = y; for (int64_t i = 0; i < n; i++) Y[i] += a * X[i]; }
}

// ---------------------------------------------------------------- reductions
typedef struct { int op, dtype; int64_t r, inner; const char *x; char *out; } red_ctx;

DK_CLONES static void red_range(void *vctx, int64_t b, int64_t e) {
  // range over `outer` index; inner handled inside
  red_ctx *c = vctx;
  int64_t r = c->r, inner = c->inner;
  if (c->dtype == DK_F32) {
    const float *X = (const float *)c->x; float *O = (float *)c->out;
    if (inner == 1) {
      for (int64_t o = b; o < e; o++) {
        const float *p = X + o * r;
        switch (c->op) {
        case DK_RPROD: { double s = 1; for (int64_t k = 0; k < r; k++) s *= p[k]; O[o] = (float)s; break; }
        case DK_RMAX: { float m = -INFINITY; for (int64_t k = 0; k < r; k++) { float v = p[k]; if (v != v) { m = v; break; } if (v > m) m = v; } O[o] = m; break; }
        case DK_RMIN: { float m = INFINITY; for (int64_t k = 0; k < r; k++) { float v = p[k]; if (v != v) { m = v; break; } if (v < m) m = v; } O[o] = m; break; }
        }
      }
    } else {
      double *acc = malloc(sizeof(double) * (size_t)inner);
      for (int64_t o = b; o < e; o++) {
        const float *p = X + o * r * inner; float *q = O + o * inner;
        switch (c->op) {
        case DK_RSUM: case DK_RPROD: {
          double init = c->op == DK_RSUM ? 0.0 : 1.0;
          for (int64_t i = 0; i < inner; i++) acc[i] = init;
          for (int64_t k = 0; k < r; k++) { const float *pk = p + k * inner;
            if (c->op == DK_RSUM) for (int64_t i = 0; i < inner; i++) acc[i] += pk[i];
            else for (int64_t i = 0; i < inner; i++) acc[i] *= pk[i]; }
          for (int64_t i = 0; i < inner; i++) q[i] = (float)acc[i];
          break; }
        case DK_RMAX: case DK_RMIN: {
          int mx = c->op == DK_RMAX;
          for (int64_t i = 0; i < inner; i++) q[i] = p[i];
          for (int64_t k = 1; k < r; k++) { const float *pk = p + k * inner;
            for (int64_t i = 0; i < inner; i++) { float v = pk[i], m = q[i];
              q[i] = (m != m) ? m : (v != v ? v : (mx ? (v > m ? v : m) : (v < m ? v : m))); } }
          break; }
        }
      }
      free(acc);
    }
    return;
  }
  if (c->dtype == DK_F64) {
    const double *X = (const double *)c->x; double *O = (double *)c->out;
    for (int64_t o = b; o < e; o++) for (int64_t i = 0; i < inner; i++) {
      const double *p = X + o * r * inner + i; double m;
      switch (c->op) {
      case DK_RSUM: m = 0; for (int64_t k = 0; k < r; k++) m += p[k * inner]; break;
      case DK_RPROD: m = 1; for (int64_t k = 0; k < r; k++) m *= p[k * inner]; break;
      case DK_RMAX: m = -INFINITY; for (int64_t k = 0; k < r; k++) { double v = p[k * inner]; if (v != v) { m = v; break; } if (v > m) m = v; } break;
      default: m = INFINITY; for (int64_t k = 0; k < r; k++) { double v = p[k * inner]; if (v != v) { m = v; break; } if (v < m) m = v; } break;
      }
      O[o * inner + i] = m;
    }
    return;
  }
  // integer types: int64 accumulate
  int64_t *O = (int64_t *)c->out; uint8_t *Ob = (uint8_t *)c->out;
  for (int64_t o = b; o < e; o++) for (int64_t i = 0; i < inner; i++) {
    int64_t m = 0;
    int64_t base = o * r * inner + i;
#define IGET(k) (c->dtype == DK_I64 ? ((const int64_t *)c->x)[base + (k) * inner] : \
                 c->dtype == DK_I32 ? (int64_t)((const int32_t *)c->x)[base + (k) * inner] : \
                 (int64_t)((const uint8_t *)c->x)[base + (k) * inner])
    switch (c->op) {
    case DK_RSUM: for (int64_t k = 0; k < r; k++) m += IGET(k); break;
    case DK_RPROD: m = 1; for (int64_t k = 0; k < r; k++) m *= IGET(k); break;
    case DK_RMAX: m = IGET(0); for (int64_t k = 1; k < r; k++) { int64_t v = IGET(k); if (v > m) m = v; } break;
    case DK_RMIN: m = IGET(0); for (int64_t k = 1; k < r; k++) { int64_t v = IGET(k); if (v < m) m = v; } break;
    case DK_RANY: m = 0; for (int64_t k = 0; k < r; k++) if (IGET(k)) { m = 1; break; } break;
    case DK_RALL: m = 1; for (int64_t k = 0; k < r; k++) if (!IGET(k)) { m = 0; break; } break;
    }
#undef IGET
    if (c->op == DK_RANY || c->op == DK_RALL) Ob[o * inner + i] = (uint8_t)m;
    else if ((c->op == DK_RMAX || c->op == DK_RMIN) && c->dtype != DK_I64) {
      if (c->dtype == DK_I32) ((int32_t *)c->out)[o * inner + i] = (int32_t)m; else Ob[o * inner + i] = (uint8_t)m;
    } else O[o * inner + i] = m;
  }
}

void dk_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x, void *out) {
  if (op == DK_RSUM && (dtype == DK_F32 || dtype == DK_F64)) { dk_sum_float(dtype, outer, r, inner, x, out); return; }
  red_ctx c = {op, dtype, r, inner, x, out};
  int64_t total = outer * r * inner;
  if (total < DK_GRAIN * 2 || outer == 1) red_range(&c, 0, outer);
  else dk_parallel_for(outer, (DK_GRAIN * 2 + r * inner - 1) / (r * inner), red_range, &c);
}

#define ARG_BODY(T) { const T *X = (const T *)x; \
  for (int64_t o = 0; o < outer; o++) for (int64_t i = 0; i < inner; i++) { \
    const T *p = X + o * r * inner + i; int64_t best = 0; T m = p[0]; \
    if (!(m != m)) for (int64_t k = 1; k < r; k++) { T v = p[k * inner]; \
      if (v != v) { best = k; m = v; break; } \
      if (isMax ? v > m : v < m) { m = v; best = k; } } \
    idx[o * inner + i] = best; if (val) ((T *)val)[o * inner + i] = m; } }

void dk_arg_reduce(int32_t op, int32_t dtype, int64_t outer, int64_t r, int64_t inner, const void *x,
                   int64_t *idx, void *val) {
  int isMax = op == DK_RMAX;
  switch (dtype) {
  case DK_F32: ARG_BODY(float) break;
  case DK_F64: ARG_BODY(double) break;
  case DK_I64: ARG_BODY(int64_t) break;
  case DK_I32: ARG_BODY(int32_t) break;
  default: ARG_BODY(uint8_t) break;
  }
}

// ---------------------------------------------------------------- softmax
typedef struct { int isLog; int64_t r, inner; const char *x; char *y; const char *gy; } sm_ctx;

#define SM_BODY(T, EXP, LOG) { \
  const T *X = (const T *)c->x; T *Y = (T *)c->y; int64_t r = c->r, inner = c->inner; \
  for (int64_t o = b; o < e; o++) for (int64_t i = 0; i < inner; i++) { \
    const T *p = X + o * r * inner + i; T *q = Y + o * r * inner + i; \
    T m = -INFINITY; for (int64_t k = 0; k < r; k++) if (p[k * inner] > m) m = p[k * inner]; \
    if (m == -INFINITY) m = 0; \
    T s = 0; \
    if (c->isLog) { for (int64_t k = 0; k < r; k++) s += EXP(p[k * inner] - m); \
      T ls = LOG(s); for (int64_t k = 0; k < r; k++) q[k * inner] = p[k * inner] - m - ls; } \
    else { for (int64_t k = 0; k < r; k++) { T v = EXP(p[k * inner] - m); q[k * inner] = v; s += v; } \
      T inv = (T)1 / s; for (int64_t k = 0; k < r; k++) q[k * inner] *= inv; } } }

static void sm_f32(void *v, int64_t b, int64_t e) {
  sm_ctx *c = v;
  if (c->inner == 1) { // contiguous rows: one vectorised exp-and-sum pass per row
    const float *X = (const float *)c->x; float *Y = (float *)c->y; const int64_t r = c->r;
    for (int64_t o = b; o < e; o++) {
      const float *p = X + o * r; float *q = Y + o * r;
      float m = -INFINITY; for (int64_t k = 0; k < r; k++) if (p[k] > m) m = p[k];
      if (m == -INFINITY) m = 0;
      // PyTorch's _vec_(log_)softmax_lastdim: SLEEF exp of x - max, its vectorised sum, SLEEF log
      for (int64_t k = 0; k < r; k++) q[k] = p[k] - m;
      dk_vexpf_sleef(r, q, q);
      const float s = dk_sum_vec_tree(q, NULL, r);
      if (c->isLog) { const float ls = dk_logf_sleef(s); for (int64_t k = 0; k < r; k++) q[k] = (p[k] - m) - ls; }
      else { const float inv = 1.0f / s; for (int64_t k = 0; k < r; k++) q[k] *= inv; }
    }
    return;
  }
  SM_BODY(float, expf, logf)
}
static void sm_f64(void *v, int64_t b, int64_t e) { sm_ctx *c = v; SM_BODY(double, exp, log) }

void dk_softmax(int32_t dtype, int32_t isLog, int64_t outer, int64_t r, int64_t inner, const void *x, void *y) {
  sm_ctx c = {isLog, r, inner, x, y, NULL};
  dk_range_fn fn = dtype == DK_F32 ? sm_f32 : sm_f64;
  if (outer * r * inner < DK_GRAIN || outer == 1) fn(&c, 0, outer);
  else dk_parallel_for(outer, (DK_GRAIN + r * inner - 1) / (r * inner), fn, &c);
}

#define SMB_BODY(T, EXP) { \
  const T *Y = (const T *)c->x; const T *G = (const T *)c->gy; T *GX = (T *)c->y; int64_t r = c->r, inner = c->inner; \
  for (int64_t o = b; o < e; o++) for (int64_t i = 0; i < inner; i++) { \
    int64_t base = o * r * inner + i; T s = 0; \
    if (c->isLog) { for (int64_t k = 0; k < r; k++) s += G[base + k * inner]; \
      for (int64_t k = 0; k < r; k++) GX[base + k * inner] = G[base + k * inner] - EXP(Y[base + k * inner]) * s; } \
    else { for (int64_t k = 0; k < r; k++) s += G[base + k * inner] * Y[base + k * inner]; \
      for (int64_t k = 0; k < r; k++) GX[base + k * inner] = Y[base + k * inner] * (G[base + k * inner] - s); } } }

DK_CLONES_FMA static void smb_f32(void *v, int64_t b, int64_t e) {
  sm_ctx *c = v;
  if (c->inner == 1) {   // PyTorch's _vec_(log_)softmax_backward: its vectorised sums, SLEEF exp
    const float *Y = (const float *)c->x, *G = (const float *)c->gy; float *GX = (float *)c->y; const int64_t r = c->r;
    for (int64_t o = b; o < e; o++) {
      const float *y = Y + o * r, *g = G + o * r; float *gx = GX + o * r;
      if (c->isLog) {
        const float s = dk_sum_vec_tree(g, NULL, r);
        dk_vexpf_sleef(r, y, gx);
        for (int64_t k = 0; k < r; k++) gx[k] = fmaf(-gx[k], s, g[k]);   /* g - e^y * s, fused by GCC */
      } else {
        const float s = dk_sum_vec_tree(g, y, r);
        for (int64_t k = 0; k < r; k++) gx[k] = (g[k] - s) * y[k];
      }
    }
    return;
  }
  SMB_BODY(float, expf)
}
static void smb_f64(void *v, int64_t b, int64_t e) { sm_ctx *c = v; SMB_BODY(double, exp) }

void dk_softmax_bwd(int32_t dtype, int32_t isLog, int64_t outer, int64_t r, int64_t inner,
                    const void *y, const void *gy, void *gx) {
  sm_ctx c = {isLog, r, inner, y, gx, gy};
  dk_range_fn fn = dtype == DK_F32 ? smb_f32 : smb_f64;
  if (outer * r * inner < DK_GRAIN || outer == 1) fn(&c, 0, outer);
  else dk_parallel_for(outer, (DK_GRAIN + r * inner - 1) / (r * inner), fn, &c);
}

// ---------------------------------------------------------------- indexing
void dk_index_select(int64_t es, int64_t outer, int64_t dimSize, int64_t inner,
                     const void *src, const int64_t *idx, int64_t nIdx, void *out) {
  const char *S = src; char *O = out; size_t row = (size_t)(inner * es);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < nIdx; j++)
      memcpy(O + (o * nIdx + j) * row, S + (o * dimSize + idx[j]) * row, row);
}

void dk_index_add(int32_t dtype, int64_t outer, int64_t dimSize, int64_t inner,
                  void *dst, const int64_t *idx, int64_t nIdx, const void *src) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < nIdx; j++) {
      if (dtype == DK_F32) { float *d = (float *)dst + (o * dimSize + idx[j]) * inner; const float *s = (const float *)src + (o * nIdx + j) * inner;
        for (int64_t i = 0; i < inner; i++) d[i] += s[i]; }
      else { double *d = (double *)dst + (o * dimSize + idx[j]) * inner; const double *s = (const double *)src + (o * nIdx + j) * inner;
        for (int64_t i = 0; i < inner; i++) d[i] += s[i]; }
    }
}

void dk_where(int64_t es, int64_t n, const uint8_t *cond, const void *a, const void *b, void *out) {
  switch (es) {
  case 4: for (int64_t i = 0; i < n; i++) ((uint32_t *)out)[i] = cond[i] ? ((const uint32_t *)a)[i] : ((const uint32_t *)b)[i]; break;
  case 8: for (int64_t i = 0; i < n; i++) ((uint64_t *)out)[i] = cond[i] ? ((const uint64_t *)a)[i] : ((const uint64_t *)b)[i]; break;
  default: for (int64_t i = 0; i < n; i++) ((uint8_t *)out)[i] = cond[i] ? ((const uint8_t *)a)[i] : ((const uint8_t *)b)[i]; break;
  }
}

int64_t dk_count_nonzero_u8(const uint8_t *p, int64_t n) {
  int64_t c = 0; for (int64_t i = 0; i < n; i++) c += p[i] != 0; return c;
}
void dk_nonzero_u8(const uint8_t *p, int64_t n, int64_t *out) {
  int64_t c = 0; for (int64_t i = 0; i < n; i++) if (p[i]) out[c++] = i;
}

#define CUMSUM_LOOP(T, ACC) \
  for (int64_t o = 0; o < outer; o++) \
    for (int64_t k = 0; k < inner; k++) { \
      const T *xs = (const T *)x + o * n * inner + k; T *ys = (T *)y + o * n * inner + k; \
      ACC acc = 0; \
      for (int64_t t = 0; t < n; t++) { \
        int64_t i = reverse ? n - 1 - t : t; \
        acc += (ACC)xs[i * inner]; ys[i * inner] = (T)acc; \
      } \
    }
void dk_cumsum(int32_t dtype, int64_t outer, int64_t n, int64_t inner, const void *x, void *y, int32_t reverse) {
  if (dtype == DK_F32) { CUMSUM_LOOP(float, double) }
  else if (dtype == DK_F64) { CUMSUM_LOOP(double, double) }
  else { CUMSUM_LOOP(int64_t, int64_t) }
}
