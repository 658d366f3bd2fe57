// The GPU backend's kernels, written once in the common subset of CUDA C++ and OpenCL C: a prelude
// of macros (`DK_KERNEL`, `DK_GLOBAL`, `DK_SHARED`, `DK_SYNC`, thread and block ids) makes the same
// text compile with NVRTC for an NVIDIA GPU and with an OpenCL compiler (PoCL on the CPU in tests
// and CI, so real work-groups, local memory and barriers run on every commit). Type-generic bodies
// use `T` and `SFX(name)` and are instantiated per dtype by `KernelSource.instantiate`, the C
// preprocessor's way (no C++ templates: OpenCL C has none).
//
// Every tensor argument is a pair (pointer, element offset): `DK_ARG(T, x)` declares `x` and
// `x_off`, and each kernel begins by advancing its pointers. OpenCL buffers cannot be offset on
// the host, and CUDA pointers could be, so the pair serves both. Operation codes are those of the
// CPU kernels (`BinaryOp`, `UnaryOp`, `ReduceOp`). The sources compile with the compilers' defaults,
// which fuse a*b + c into one multiply-add (nvcc compiles PyTorch's CUDA kernels the same way), so
// results agree with the CPU backend to float rounding rather than bit for bit; where bits matter
// (the Philox draws), the code says `fma` itself or the product is exact.

/// One dtype a kernel body is instantiated for: its C type, name suffix and kind
/// (0 floating point, 1 signed integer, 2 uint8, 3 bool).
struct KernelType {
    let c: String, suffix: String, kind: Int
    static let f32 = KernelType(c: "float", suffix: "f32", kind: 0)
    static let f64 = KernelType(c: "double", suffix: "f64", kind: 0)
    static let i64 = KernelType(c: "dk_i64", suffix: "i64", kind: 1)
    static let i32 = KernelType(c: "int", suffix: "i32", kind: 1)
    static let u8 = KernelType(c: "dk_u8", suffix: "u8", kind: 2)
    static let b8 = KernelType(c: "dk_u8", suffix: "b8", kind: 3)
    static let floats = [f32, f64]
    static let all = [f32, f64, i64, i32, u8, b8]
    /// The suffix of a dtype's kernels.
    static func suffix(_ d: DType) -> String {
        switch d {
        case .float32: return "f32"
        case .float64: return "f64"
        case .int64: return "i64"
        case .int32: return "i32"
        case .uint8: return "u8"
        case .bool: return "b8"
        }
    }
}

enum KernelSource {
    /// The macros that make one text both CUDA C++ and OpenCL C.
    static let prelude = #"""
    #ifdef __OPENCL_VERSION__
    #pragma OPENCL EXTENSION cl_khr_fp64 : enable
    typedef long dk_i64;
    typedef uchar dk_u8;
    typedef uint dk_u32;
    typedef ulong dk_u64;
    #define DK_KERNEL __kernel
    #define DK_GLOBAL __global
    #define DK_SHARED __local
    #define DK_FN static inline
    #define DK_SYNC() barrier(CLK_LOCAL_MEM_FENCE)
    #define DK_SYNC_ALL() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
    #define DK_TID ((dk_i64)get_local_id(0))
    #define DK_BID ((dk_i64)get_group_id(0))
    #define DK_BDIM ((dk_i64)get_local_size(0))
    #define DK_GDIM ((dk_i64)get_num_groups(0))
    #define DK_INFINITY INFINITY
    #define DK_NAN NAN
    #define DK_ATOMIC_MIN(p, v) atomic_min(p, v)
    #else
    typedef long long dk_i64;
    typedef unsigned char dk_u8;
    typedef unsigned int dk_u32;
    typedef unsigned long long dk_u64;
    #define DK_KERNEL extern "C" __global__
    #define DK_GLOBAL
    #define DK_SHARED __shared__
    #define DK_FN static __device__ inline
    #define DK_SYNC() __syncthreads()
    #define DK_SYNC_ALL() __syncthreads()
    #define DK_TID ((dk_i64)threadIdx.x)
    #define DK_BID ((dk_i64)blockIdx.x)
    #define DK_BDIM ((dk_i64)blockDim.x)
    #define DK_GDIM ((dk_i64)gridDim.x)
    #define DK_INFINITY __int_as_float(0x7f800000)
    #define DK_NAN __int_as_float(0x7fc00000)
    #define DK_ATOMIC_MIN(p, v) atomicMin(p, v)
    #endif
    #define DK_ARG(T, x) DK_GLOBAL T *x, dk_i64 x##_off
    #define DK_LOOP(i, n) for (dk_i64 i = DK_BID * DK_BDIM + DK_TID; i < (n); i += DK_GDIM * DK_BDIM)
    #define DK_BLOCK 256
    #define DK_MAX_DIMS 8
    /* A shape and two operands' strides (elements), passed by value. */
    typedef struct { dk_i64 ndim; dk_i64 n[DK_MAX_DIMS]; dk_i64 sa[DK_MAX_DIMS]; dk_i64 sb[DK_MAX_DIMS]; } dk_shape;
    """#

    /// The offsets of flat element i in two operands (`dk_shape`'s strides), for the elementwise kernels.
    static let offsets = #"""
    DK_FN void dk_offsets(dk_i64 i, const dk_shape *s, dk_i64 *oa, dk_i64 *ob) {
        dk_i64 a = 0, b = 0;
        for (int d = (int)s->ndim - 1; d >= 0; --d) {
            dk_i64 k = i % s->n[d];
            i /= s->n[d];
            a += k * s->sa[d];
            b += k * s->sb[d];
        }
        *oa = a; *ob = b;
    }

    """#

    /// `body` once per type, with `T`, `SFX(name)`, `DK_KIND` and `ACC` (the accumulator) defined.
    static func instantiate(_ body: String, _ types: [KernelType]) -> String {
        types.map { t in
            let acc = t.kind == 0 ? t.c : (t.kind == 1 ? "dk_i64" : t.c)
            return "\n#define T \(t.c)\n#define SFX(n) n##_\(t.suffix)\n#define DK_KIND \(t.kind)\n#define ACC \(acc)\n"
                + body + "\n#undef T\n#undef SFX\n#undef DK_KIND\n#undef ACC\n"
        }.joined()
    }

    // MARK: elementwise

    static let binaryBody = #"""
    DK_FN T SFX(dk_bin)(int op, T a, T b) {
        switch (op) {
    #if DK_KIND == 3
        case 0: return (T)(a | b);
        case 2: return (T)(a & b);
    #else
        case 0: return (T)(a + b);
        case 2: return (T)(a * b);
    #endif
        case 1: return (T)(a - b);
    #if DK_KIND == 0
        case 3: return a / b;
        case 4: return pow(a, b);
        case 5: return (a != a || b != b) ? a + b : (a > b ? a : b);
        case 6: return (a != a || b != b) ? a + b : (a < b ? a : b);
        case 13: return b > (T)0 ? a : (T)0;
        case 14: return a * (((T)1 - b) * b);
        case 15: return a * ((T)1 - b * b);
        case 18: return fmod(a, b);
        case 19: { T r = fmod(a, b); return (r != (T)0 && ((r < (T)0) != (b < (T)0))) ? r + b : r; }
        case 20: return atan2(a, b);
        case 21: return hypot(a, b);
    #else
        case 3: return b == 0 ? (T)0 : (T)(a / b);
        case 4: { T r = 1, x = a; dk_i64 e = (dk_i64)b; if (e < 0) return (T)(a == 1 ? 1 : 0); while (e) { if (e & 1) r = (T)(r * x); x = (T)(x * x); e >>= 1; } return r; }
        case 5: return a > b ? a : b;
        case 6: return a < b ? a : b;
        case 18: return b == 0 ? (T)0 : (T)(a % b);
    #if DK_KIND == 1
        case 19: { if (b == 0) return (T)0; T r = (T)(a % b); return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r; }
    #else
        case 19: return b == 0 ? (T)0 : (T)(a % b);
    #endif
    #endif
        default: return (T)0;
        }
    }
    DK_FN dk_u8 SFX(dk_cmp)(int op, T a, T b) {
        switch (op) {
        case 7: return (dk_u8)(a == b);
        case 8: return (dk_u8)(a != b);
        case 9: return (dk_u8)(a < b);
        case 10: return (dk_u8)(a <= b);
        case 11: return (dk_u8)(a > b);
        case 12: return (dk_u8)(a >= b);
        case 16: return (dk_u8)((a != 0) && (b != 0));
        case 17: return (dk_u8)((a != 0) || (b != 0));
        default: return (dk_u8)0;
        }
    }
    DK_KERNEL void SFX(dk_binary)(int op, dk_i64 n, dk_shape s, DK_ARG(T, out), DK_ARG(const T, a), DK_ARG(const T, b)) {
        out += out_off; a += a_off; b += b_off;
        DK_LOOP(i, n) { dk_i64 oa, ob; dk_offsets(i, &s, &oa, &ob); out[i] = SFX(dk_bin)(op, a[oa], b[ob]); }
    }
    DK_KERNEL void SFX(dk_compare)(int op, dk_i64 n, dk_shape s, DK_ARG(dk_u8, out), DK_ARG(const T, a), DK_ARG(const T, b)) {
        out += out_off; a += a_off; b += b_off;
        DK_LOOP(i, n) { dk_i64 oa, ob; dk_offsets(i, &s, &oa, &ob); out[i] = SFX(dk_cmp)(op, a[oa], b[ob]); }
    }
    /* One operand a host scalar passed by value (a wrapped number: `x * 2`), so no copy waits for the device. */
    DK_FN T SFX(dk_scalar)(double v) {
    #if DK_KIND == 3
        return (T)(v != 0);
    #else
        return (T)v;
    #endif
    }
    DK_KERNEL void SFX(dk_binary_scalar)(int op, int scalarFirst, dk_i64 n, dk_shape s, DK_ARG(T, out), DK_ARG(const T, x), double v) {
        out += out_off; x += x_off;
        T c = SFX(dk_scalar)(v);
        DK_LOOP(i, n) { dk_i64 ox, unused; dk_offsets(i, &s, &ox, &unused); out[i] = scalarFirst ? SFX(dk_bin)(op, c, x[ox]) : SFX(dk_bin)(op, x[ox], c); }
    }
    DK_KERNEL void SFX(dk_compare_scalar)(int op, int scalarFirst, dk_i64 n, dk_shape s, DK_ARG(dk_u8, out), DK_ARG(const T, x), double v) {
        out += out_off; x += x_off;
        T c = SFX(dk_scalar)(v);
        DK_LOOP(i, n) { dk_i64 ox, unused; dk_offsets(i, &s, &ox, &unused); out[i] = scalarFirst ? SFX(dk_cmp)(op, c, x[ox]) : SFX(dk_cmp)(op, x[ox], c); }
    }
    DK_KERNEL void SFX(dk_fill)(dk_i64 n, DK_ARG(T, p), double v) {
        p += p_off;
    #if DK_KIND == 3
        DK_LOOP(i, n) p[i] = (T)(v != 0);
    #else
        DK_LOOP(i, n) p[i] = (T)v;
    #endif
    }
    """#

    static let unaryFloatBody = #"""
    DK_FN T SFX(dk_un)(int op, T x, T p1, T p2) {
        switch (op) {
        case 0: return -x;
        case 1: return exp(x);
        case 2: return log(x);
        case 3: return sqrt(x);
        case 4: return fabs(x);
        case 5: return sin(x);
        case 6: return cos(x);
        case 7: return tanh(x);
        case 8: return (T)1 / ((T)1 + exp(-x));
        case 9: return x > (T)0 ? x : (x != x ? x : (T)0);
        case 10: return x != x ? x : (x < p1 ? p1 : (x > p2 ? p2 : x));
        case 11: return p1 == (T)2 ? x * x : (p1 == (T)1 ? x : (p1 == (T)0.5 ? sqrt(x) : (p1 == (T)3 ? x * x * x : (p1 == (T)-1 ? (T)1 / x : pow(x, p1)))));
        case 12: return x > (T)0 ? x : x * p1;
        case 13: { T sc = p2 == (T)0 ? (T)1 : p2; return x > (T)0 ? x * sc : expm1(x) * (p1 * sc); }
        case 14: return (T)0.5 * x * ((T)1 + erf(x * (T)0.70710678118654752440));
        case 15: return x / ((T)1 + exp(-x));
        case 16: return log1p(x);
        case 17: return expm1(x);
        case 18: return (T)1 / sqrt(x);
        case 19: return x * x;
        case 20: return (T)((x > (T)0) - (x < (T)0));
        case 21: return (T)1 / x;
        case 22: return floor(x);
        case 23: return ceil(x);
        case 24: return rint(x);
        case 25: return x * p1 + p2;
        case 26: return p1 - x;
        case 27: return (x < (T)0 ? x : (T)0) - log1p(exp(-fabs(x)));
        case 28: return (x > (T)0 ? x : (T)0) + log1p(exp(-fabs(x)));
        case 29: return erf(x);
        case 30: return trunc(x);
        case 31: return log2(x);
        case 32: return log10(x);
        case 33: return tan(x);
        case 34: return asin(x);
        case 35: return acos(x);
        case 36: return atan(x);
        case 37: return sinh(x);
        case 38: return cosh(x);
        case 39: return asinh(x);
        case 40: return acosh(x);
        case 41: return atanh(x);
        default: return x;
        }
    }
    DK_KERNEL void SFX(dk_unary)(int op, dk_i64 n, DK_ARG(const T, x), DK_ARG(T, y), double p1, double p2) {
        x += x_off; y += y_off;
        DK_LOOP(i, n) y[i] = SFX(dk_un)(op, x[i], (T)p1, (T)p2);
    }
    /* Linear's bias and the activation after it in one pass over the product (Sequential on CUDA). */
    DK_KERNEL void SFX(dk_bias_activation)(int op, dk_i64 n, dk_i64 cols, DK_ARG(T, y), DK_ARG(const T, bias)) {
        y += y_off; bias += bias_off;
        DK_LOOP(i, n) y[i] = SFX(dk_un)(op, y[i] + bias[i % cols], (T)0, (T)0);
    }
    /* PyTorch's calc_erfinv in T's precision (the CPU backend's erfinvScalar): a rational first
       guess, then two Newton steps on erf. */
    DK_KERNEL void SFX(dk_erfinv)(dk_i64 n, DK_ARG(const T, x), DK_ARG(T, out)) {
        x += x_off; out += out_off;
        DK_LOOP(i, n) {
            T y = x[i], ya = fabs(y), r;
            if (ya > (T)1 || y != y) r = (T)DK_NAN;
            else if (ya == (T)1) r = y > (T)0 ? (T)DK_INFINITY : -(T)DK_INFINITY;
            else {
                if (ya <= (T)0.7) {
                    T z = y * y;
                    T num = (((T)-0.140543331 * z + (T)0.914624893) * z + (T)-1.645349621) * z + (T)0.886226899;
                    T dem = ((((T)0.012229801 * z + (T)-0.329097515) * z + (T)1.442710462) * z + (T)-2.118377725) * z + (T)1;
                    r = y * num / dem;
                } else {
                    T z = sqrt(-log(((T)1 - ya) / (T)2));
                    T num = (((T)1.641345311 * z + (T)3.429567803) * z + (T)-1.624906493) * z + (T)-1.970840454;
                    T dem = ((T)1.637067800 * z + (T)3.543889200) * z + (T)1;
                    r = (y < (T)0 ? -num : num) / dem;
                }
                const T k = (T)1.12837916709551257390;   /* 2 / sqrt(pi) */
                r = r - (erf(r) - y) / (k * exp(-r * r));
                r = r - (erf(r) - y) / (k * exp(-r * r));
            }
            out[i] = r;
        }
    }
    /* The gamma family (the CPU backend's CPUSpecial.swift): f 0 lgamma, 1 digamma, 2 polygamma of
       order k (0 digamma, 1 trigamma, else (-1)^(k+1) k! zeta(k + 1, x), zeta in double as Cephes). */
    DK_FN T SFX(dk_digamma)(T x) {
        if (x == (T)0) return signbit(x) ? (T)DK_INFINITY : -(T)DK_INFINITY;
        T result = (T)0;
        if (x < (T)0) {
            if (x == trunc(x)) return (T)DK_NAN;
            double r = (double)x - trunc((double)x);
            result = -(T)(3.14159265358979323846 / tan(3.14159265358979323846 * r));
            x = (T)1 - x;
        }
        while (x < (T)10) { result -= (T)1 / x; x += (T)1; }
        if (x == (T)10) return result + (T)2.25175258906672110764;
        T y = (T)0;
        if (x < (T)1.0e17) {
            T z = (T)1 / (x * x);
            T p = (T)8.33333333333333333333E-2;
            p = p * z + (T)-2.10927960927960927961E-2; p = p * z + (T)7.57575757575757575758E-3;
            p = p * z + (T)-4.16666666666666666667E-3; p = p * z + (T)3.96825396825396825397E-3;
            p = p * z + (T)-8.33333333333333333333E-3; p = p * z + (T)8.33333333333333333333E-2;
            y = z * p;
        }
        return result + log(x) - (T)0.5 / x - y;
    }
    DK_FN T SFX(dk_trigamma)(T x) {
        T sign = (T)1, result = (T)0;
        if (x < (T)0.5) {
            sign = (T)-1;
            T s = sin((T)3.14159265358979323846 * x);
            result -= (T)(3.14159265358979323846 * 3.14159265358979323846) / (s * s);
            x = (T)1 - x;
        }
        for (int i = 0; i < 6; ++i) { result += (T)1 / (x * x); x += (T)1; }
        double ixx = 1.0 / ((double)x * (double)x);
        result += (T)((1.0 + 1.0 / (2.0 * (double)x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / (double)x);
        return sign * result;
    }
    DK_FN double SFX(dk_zeta)(double s, double q) {
        const double machep = 1.11022302462515654042E-16;
        const double A[12] = {12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                              -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                              1.8152105401943546773e17, -7.1661652561756670113e18};
        if (s == 1.0) return DK_INFINITY;
        if (s < 1.0) return DK_NAN;
        if (q <= 0.0) {
            if (q == floor(q)) return DK_INFINITY;
            if (s != floor(s)) return DK_NAN;
        }
        double sum = pow(q, -s), a = q, b = 0.0;
        int i = 0;
        while (i < 9 || a <= 9.0) {
            i += 1; a += 1.0;
            b = pow(a, -s);
            sum += b;
            if (-machep * sum < b && b < machep * sum) return sum;
        }
        double w = a, fac = 1.0, k = 0.0;
        sum += b * w / (s - 1.0);
        sum -= 0.5 * b;
        for (int j = 0; j < 12; j++) {
            fac *= s + k; b /= w;
            double t = fac * b / A[j];
            sum = sum + t;
            if (fabs(t / sum) < machep) return sum;
            k += 1.0; fac *= s + k; b /= w; k += 1.0;
        }
        return sum;
    }
    DK_KERNEL void SFX(dk_special)(int f, int k, dk_i64 n, DK_ARG(const T, x), DK_ARG(T, out)) {
        x += x_off; out += out_off;
        DK_LOOP(i, n) {
            T v = x[i], r;
            if (f == 0) r = lgamma(v);
            else if (f == 1 || k == 0) r = SFX(dk_digamma)(v);
            else if (k == 1) r = SFX(dk_trigamma)(v);
            else r = (T)((k % 2 ? 1.0 : -1.0) * exp(lgamma((double)k + 1.0)) * SFX(dk_zeta)((double)(k + 1), (double)v));
            out[i] = r;
        }
    }
    DK_KERNEL void SFX(dk_axpy)(dk_i64 n, double alpha, DK_ARG(const T, x), DK_ARG(T, y)) {
        x += x_off; y += y_off;
        T a = (T)alpha;
        DK_LOOP(i, n) y[i] += a * x[i];
    }
    """#

    /// Unary ops on integers: neg, abs, sign, square and clamp (the CPU backend's set).
    static let unaryIntBody = #"""
    DK_KERNEL void SFX(dk_unary)(int op, dk_i64 n, DK_ARG(const T, x), DK_ARG(T, y), double p1, double p2) {
        x += x_off; y += y_off;
        T lo = p1 < -9.2e18 ? (T)(-9223372036854775807LL - 1) : (T)p1, hi = p2 > 9.2e18 ? (T)9223372036854775807LL : (T)p2;
        DK_LOOP(i, n) {
            T v = x[i];
            switch (op) {
            case 0: v = (T)(-v); break;
            case 4: v = v < 0 ? (T)(-v) : v; break;
            case 20: v = (T)((v > 0) - (v < 0)); break;
            case 19: v = (T)(v * v); break;
            case 10: v = v < lo ? lo : (v > hi ? hi : v); break;
            default: break;
            }
            y[i] = v;
        }
    }
    """#

    /// Strided copy (any layout, up to 8 dims after merging) and `where`, by element size.
    static let copyBody = #"""
    DK_KERNEL void SFX(dk_copy_strided)(dk_i64 n, dk_shape s, DK_ARG(T, dst), DK_ARG(const T, src)) {
        dst += dst_off; src += src_off;
        DK_LOOP(i, n) { dk_i64 od, os; dk_offsets(i, &s, &od, &os); dst[od] = src[os]; }
    }
    DK_KERNEL void SFX(dk_where)(dk_i64 n, DK_ARG(const dk_u8, c), DK_ARG(const T, a), DK_ARG(const T, b), DK_ARG(T, out)) {
        c += c_off; a += a_off; b += b_off; out += out_off;
        DK_LOOP(i, n) out[i] = c[i] ? a[i] : b[i];
    }
    """#

    static var casts: String {
        var s = ""
        for from in KernelType.all {
            for to in KernelType.all where from.suffix != to.suffix {
                // to uint8 through int64, as PyTorch's conversion (out-of-range values wrap)
                let conversion = to.kind == 3 ? "(dk_u8)(x[i] != 0)" : (to.kind == 2 ? "(dk_u8)(dk_i64)x[i]" : "(\(to.c))x[i]")
                s += "DK_KERNEL void dk_cast_\(from.suffix)_\(to.suffix)(dk_i64 n, DK_ARG(const \(from.c), x), DK_ARG(\(to.c), y)) { x += x_off; y += y_off; DK_LOOP(i, n) y[i] = \(conversion); }\n"
            }
        }
        return s
    }

    static var elementwise: String {
        prelude + offsets + instantiate(binaryBody, KernelType.all) + instantiate(unaryFloatBody, KernelType.floats)
            + instantiate(unaryIntBody, [.i64, .i32])
            + instantiate(copyBody, [KernelType(c: "dk_u8", suffix: "1", kind: 2), KernelType(c: "dk_u32", suffix: "4", kind: 2),
                                     KernelType(c: "dk_u64", suffix: "8", kind: 2)])
            + casts
    }

    // MARK: reductions

    /// One work-group per output of an (outer, r, inner) reduction (grid-stride over outputs), a
    /// tree in local memory. Sums of floats accumulate in the element type, as PyTorch's CUDA sum.
    static let reduceBody = #"""
    DK_FN ACC SFX(dk_red_combine)(int op, ACC a, ACC b) {
        switch (op) {
        case 0: return a + b;
    #if DK_KIND == 0
        case 1: return (a != a || a > b) ? a : b;
        case 2: return (a != a || a < b) ? a : b;
    #else
        case 1: return a > b ? a : b;
        case 2: return a < b ? a : b;
    #endif
        case 3: return a * b;
        case 4: return (ACC)((a != 0) || (b != 0));
        case 5: return (ACC)((a != 0) && (b != 0));
        default: return a;
        }
    }
    DK_KERNEL void SFX(dk_reduce)(int op, dk_i64 outer, dk_i64 r, dk_i64 inner, DK_ARG(const T, x), DK_ARG(T, out)) {
        DK_SHARED ACC part[DK_BLOCK];
        x += x_off; out += out_off;
        dk_i64 tid = DK_TID;
        for (dk_i64 g = DK_BID; g < outer * inner; g += DK_GDIM) {
            dk_i64 o = g / inner, k = g % inner;
            ACC acc = (op == 0 || op == 4) ? (ACC)0 : (op == 3 || op == 5 ? (ACC)1 : (ACC)x[o * r * inner + k]);
            for (dk_i64 j = tid; j < r; j += DK_BDIM) acc = SFX(dk_red_combine)(op, acc, (ACC)x[(o * r + j) * inner + k]);
            part[tid] = acc;
            DK_SYNC();
            for (dk_i64 s = DK_BDIM / 2; s > 0; s >>= 1) {
                if (tid < s) part[tid] = SFX(dk_red_combine)(op, part[tid], part[tid + s]);
                DK_SYNC();
            }
            if (tid == 0) out[g] = (T)part[0];
            DK_SYNC();
        }
    }
    /* Whether (v, j) beats (best, bi) in an arg-max (op 1) or arg-min (op 2): NaN beats every number,
       ties go to the lower index. */
    DK_FN int SFX(dk_arg_better)(int op, T v, dk_i64 j, T best, dk_i64 bi) {
    #if DK_KIND == 0
        if (v != v) return best == best || j < bi;
        if (best != best) return 0;
    #endif
        if (v == best) return j < bi;
        return op == 1 ? v > best : v < best;
    }
    /* The first index of the max (op 1) or min (op 2) along r; NaN counts as the extreme. */
    DK_KERNEL void SFX(dk_arg_reduce)(int op, dk_i64 outer, dk_i64 r, dk_i64 inner, DK_ARG(const T, x), DK_ARG(dk_i64, indices), DK_ARG(T, values)) {
        DK_SHARED T pv[DK_BLOCK];
        DK_SHARED dk_i64 pi[DK_BLOCK];
        x += x_off; indices += indices_off; values += values_off;
        dk_i64 tid = DK_TID;
        for (dk_i64 g = DK_BID; g < outer * inner; g += DK_GDIM) {
            dk_i64 o = g / inner, k = g % inner;
            T best = x[o * r * inner + k];
            dk_i64 bi = 0;
            for (dk_i64 j = tid; j < r; j += DK_BDIM) {
                T v = x[(o * r + j) * inner + k];
                if (j == tid || SFX(dk_arg_better)(op, v, j, best, bi)) { best = v; bi = j; }
            }
            pv[tid] = best; pi[tid] = tid < r ? bi : r;
            DK_SYNC();
            for (dk_i64 s = DK_BDIM / 2; s > 0; s >>= 1) {
                if (tid < s && pi[tid + s] < r && (pi[tid] >= r || SFX(dk_arg_better)(op, pv[tid + s], pi[tid + s], pv[tid], pi[tid]))) {
                    pv[tid] = pv[tid + s]; pi[tid] = pi[tid + s];
                }
                DK_SYNC();
            }
            if (tid == 0) { values[g] = pv[0]; indices[g] = pi[0]; }
            DK_SYNC();
        }
    }
    /* Cumulative sum (optionally from the end) and product along the middle axis: one thread per line. */
    DK_KERNEL void SFX(dk_cumsum)(dk_i64 outer, dk_i64 n, dk_i64 inner, DK_ARG(const T, x), DK_ARG(T, y), int reverse) {
        x += x_off; y += y_off;
        DK_LOOP(g, outer * inner) {
            dk_i64 base = (g / inner) * n * inner + g % inner;
            T acc = (T)0;
            for (dk_i64 j = 0; j < n; j++) { dk_i64 p = base + (reverse ? n - 1 - j : j) * inner; acc += x[p]; y[p] = acc; }
        }
    }
    DK_KERNEL void SFX(dk_cumprod)(dk_i64 outer, dk_i64 n, dk_i64 inner, DK_ARG(const T, x), DK_ARG(T, y)) {
        x += x_off; y += y_off;
        DK_LOOP(g, outer * inner) {
            dk_i64 base = (g / inner) * n * inner + g % inner;
            T acc = (T)1;
            for (dk_i64 j = 0; j < n; j++) { acc *= x[base + j * inner]; y[base + j * inner] = acc; }
        }
    }
    """#

    /// Softmax and log-softmax along the middle axis, and their gradients.
    static let softmaxBody = #"""
    DK_KERNEL void SFX(dk_softmax)(int isLog, dk_i64 outer, dk_i64 r, dk_i64 inner, DK_ARG(const T, x), DK_ARG(T, y)) {
        DK_SHARED T part[DK_BLOCK];
        x += x_off; y += y_off;
        dk_i64 tid = DK_TID;
        for (dk_i64 g = DK_BID; g < outer * inner; g += DK_GDIM) {
            dk_i64 base = (g / inner) * r * inner + g % inner;
            T m = -(T)DK_INFINITY;
            for (dk_i64 j = tid; j < r; j += DK_BDIM) { T v = x[base + j * inner]; m = (v > m || v != v) ? v : m; }
            part[tid] = m;
            DK_SYNC();
            for (dk_i64 s = DK_BDIM / 2; s > 0; s >>= 1) {
                if (tid < s) { T b = part[tid + s]; if (b > part[tid] || b != b) part[tid] = b; }
                DK_SYNC();
            }
            m = part[0];
            DK_SYNC();
            T sum = (T)0;
            for (dk_i64 j = tid; j < r; j += DK_BDIM) sum += exp(x[base + j * inner] - m);
            part[tid] = sum;
            DK_SYNC();
            for (dk_i64 s = DK_BDIM / 2; s > 0; s >>= 1) {
                if (tid < s) part[tid] += part[tid + s];
                DK_SYNC();
            }
            sum = part[0];
            DK_SYNC();
            T logSum = log(sum);
            for (dk_i64 j = tid; j < r; j += DK_BDIM) {
                T v = x[base + j * inner] - m;
                y[base + j * inner] = isLog ? v - logSum : exp(v) / sum;
            }
        }
    }
    DK_KERNEL void SFX(dk_softmax_backward)(int isLog, dk_i64 outer, dk_i64 r, dk_i64 inner, DK_ARG(const T, y), DK_ARG(const T, gy), DK_ARG(T, gx)) {
        DK_SHARED T part[DK_BLOCK];
        y += y_off; gy += gy_off; gx += gx_off;
        dk_i64 tid = DK_TID;
        for (dk_i64 g = DK_BID; g < outer * inner; g += DK_GDIM) {
            dk_i64 base = (g / inner) * r * inner + g % inner;
            T acc = (T)0;
            for (dk_i64 j = tid; j < r; j += DK_BDIM) { dk_i64 p = base + j * inner; acc += isLog ? gy[p] : gy[p] * y[p]; }
            part[tid] = acc;
            DK_SYNC();
            for (dk_i64 s = DK_BDIM / 2; s > 0; s >>= 1) {
                if (tid < s) part[tid] += part[tid + s];
                DK_SYNC();
            }
            T total = part[0];
            DK_SYNC();
            for (dk_i64 j = tid; j < r; j += DK_BDIM) {
                dk_i64 p = base + j * inner;
                gx[p] = isLog ? gy[p] - exp(y[p]) * total : y[p] * (gy[p] - total);
            }
        }
    }
    """#

    static var reductions: String {
        prelude + instantiate(reduceBody, KernelType.all) + instantiate(softmaxBody, KernelType.floats)
    }

    // MARK: matrix multiply and indexing

    /// C = alpha * A·B + beta * C on strided 2-D views, in 16 × 16 tiles staged in local memory (the
    /// OpenCL path, and CUDA's when cuBLAS is absent). beta = 0 never reads C (NaN-safe, as BLAS).
    static let gemmBody = #"""
    DK_KERNEL void SFX(dk_gemm)(dk_i64 m, dk_i64 n, dk_i64 k, double alpha, DK_ARG(const T, a), dk_i64 sa0, dk_i64 sa1,
                                DK_ARG(const T, b), dk_i64 sb0, dk_i64 sb1, double beta, DK_ARG(T, c), dk_i64 sc0, dk_i64 sc1) {
        DK_SHARED T ta[16][17];
        DK_SHARED T tb[16][17];
        a += a_off; b += b_off; c += c_off;
        dk_i64 tilesN = (n + 15) / 16, tiles = ((m + 15) / 16) * tilesN;
        int tx = (int)(DK_TID % 16), ty = (int)(DK_TID / 16);
        for (dk_i64 t = DK_BID; t < tiles; t += DK_GDIM) {
            dk_i64 row = (t / tilesN) * 16 + ty, col = (t % tilesN) * 16 + tx;
            T acc = (T)0;
            for (dk_i64 k0 = 0; k0 < k; k0 += 16) {
                dk_i64 ka = k0 + tx, kb = k0 + ty;
                ta[ty][tx] = (row < m && ka < k) ? a[row * sa0 + ka * sa1] : (T)0;
                tb[ty][tx] = (kb < k && col < n) ? b[kb * sb0 + col * sb1] : (T)0;
                DK_SYNC();
                for (int q = 0; q < 16; q++) acc += ta[ty][q] * tb[q][tx];
                DK_SYNC();
            }
            if (row < m && col < n) {
                dk_i64 p = row * sc0 + col * sc1;
                c[p] = beta == 0 ? (T)alpha * acc : (T)alpha * acc + (T)beta * c[p];
            }
        }
    }
    """#

    /// Indexing along the middle axis of (outer, size, inner) blocks, and PyTorch's gather.
    static let indexBody = #"""
    /* out (outer, nIdx, inner) = x (outer, size, inner) at idx along the middle axis. */
    DK_KERNEL void SFX(dk_index_select)(dk_i64 outer, dk_i64 size, dk_i64 inner, DK_ARG(const T, x), DK_ARG(const dk_i64, idx), dk_i64 nIdx, DK_ARG(T, out)) {
        x += x_off; idx += idx_off; out += out_off;
        DK_LOOP(i, outer * nIdx * inner) {
            dk_i64 k = i % inner, j = (i / inner) % nIdx, o = i / (inner * nIdx);
            out[i] = x[(o * size + idx[j]) * inner + k];
        }
    }
    /* dst (outer, size, inner) += src (outer, nIdx, inner) at idx: one thread per (outer, inner)
       column, walking idx in order (deterministic, no atomics; repeated indices add in order). */
    DK_KERNEL void SFX(dk_index_add)(dk_i64 outer, dk_i64 size, dk_i64 inner, DK_ARG(T, dst), DK_ARG(const dk_i64, idx), dk_i64 nIdx, DK_ARG(const T, src)) {
        dst += dst_off; idx += idx_off; src += src_off;
        DK_LOOP(g, outer * inner) {
            dk_i64 o = g / inner, k = g % inner;
            for (dk_i64 j = 0; j < nIdx; j++) dst[(o * size + idx[j]) * inner + k] += src[(o * nIdx + j) * inner + k];
        }
    }
    /* PyTorch's gather: out[..i..] = x[..idx[..i..] along dim..]; s.n is idx's shape, s.sa x's strides. */
    DK_KERNEL void SFX(dk_gather)(dk_i64 n, dk_shape s, int dim, DK_ARG(const T, x), DK_ARG(const dk_i64, idx), DK_ARG(T, out)) {
        x += x_off; idx += idx_off; out += out_off;
        DK_LOOP(i, n) {
            dk_i64 rem = i, off = 0;
            for (int d = (int)s.ndim - 1; d >= 0; --d) {
                dk_i64 q = rem % s.n[d];
                rem /= s.n[d];
                off += (d == dim ? idx[i] : q) * s.sa[d];
            }
            out[i] = x[off];
        }
    }
    """#

    /// PyTorch's scatter/scatter_add along a dim, and a stable sort of rows.
    static let scatterSortBody = #"""
    /* target[..idx[..k..] along dim..] = (or +=) src[..k..]: s.n is idx's shape, s.sa the target's
       strides, s.sb src's (zeros for a scalar). One thread per column of idx along dim walks it in
       order, so repeated indices write or add in the CPU kernel's order: deterministic, no atomics. */
    DK_KERNEL void SFX(dk_scatter)(int add, dk_i64 columns, dk_shape s, int dim, DK_ARG(T, y), DK_ARG(const dk_i64, idx), DK_ARG(const T, src)) {
        y += y_off; idx += idx_off; src += src_off;
        DK_LOOP(c, columns) {
            dk_i64 rem = c, yo = 0, so = 0, io = 0, istride = 1, idim = 1;
            for (int d = (int)s.ndim - 1; d >= 0; --d) {
                if (d == dim) { idim = istride; istride *= s.n[d]; continue; }
                dk_i64 q = rem % s.n[d];
                rem /= s.n[d];
                yo += q * s.sa[d]; so += q * s.sb[d]; io += q * istride;
                istride *= s.n[d];
            }
            for (dk_i64 k = 0; k < s.n[dim]; ++k) {
                dk_i64 at = yo + idx[io + k * idim] * s.sa[dim];
                T v = src[so + k * s.sb[dim]];
                y[at] = add ? (T)(y[at] + v) : v;
            }
        }
    }
    /* Whether (a, ia) precedes (b, ib) in a stable sort: NaN above every number, ties by position. */
    DK_FN int SFX(dk_sort_before)(T a, dk_i64 ia, T b, dk_i64 ib, int desc) {
    #if DK_KIND == 0
        int an = a != a, bn = b != b;
        if (an || bn) { if (an != bn) return desc ? an : bn; return ia < ib; }
    #endif
        if (a != b) return desc ? a > b : a < b;
        return ia < ib;
    }
    /* A bitonic network whose comparators all put the first in order low (each merge starts with
       the mirror comparator), so a row of n padded with virtual last elements to P = 2^k sorts by
       skipping every comparator that reaches past n. DK_BITONIC_PAIR: comparator t of the stage
       (size, j), its low and high positions; DK_BITONIC_SWAP: that comparator; DK_BITONIC: the
       whole network in one block. */
    #define DK_BITONIC_PAIR(t, size, j, lo, hi) \
        if ((j) == (size) >> 1) { dk_i64 b_ = (t) / (j), r_ = (t) % (j); lo = b_ * (size) + r_; hi = b_ * (size) + (size) - 1 - r_; } \
        else { lo = 2 * (j) * ((t) / (j)) + (t) % (j); hi = lo + (j); }
    #define DK_BITONIC_SWAP(K, I, at, lo, hi, n, desc) \
        if ((hi) < (n) && SFX(dk_sort_before)(K[at(hi)], I[at(hi)], K[at(lo)], I[at(lo)], desc)) { \
            T kv = K[at(lo)]; K[at(lo)] = K[at(hi)]; K[at(hi)] = kv; \
            dk_i64 iv = I[at(lo)]; I[at(lo)] = I[at(hi)]; I[at(hi)] = iv; \
        }
    #define DK_BITONIC(K, I, at, n, P, desc) \
        for (dk_i64 size = 2; size <= (P); size <<= 1) \
            for (dk_i64 j = size >> 1; j > 0; j >>= 1) { \
                for (dk_i64 t = DK_TID; t < (P) / 2; t += DK_BDIM) { \
                    dk_i64 lo, hi; \
                    DK_BITONIC_PAIR(t, size, j, lo, hi) \
                    DK_BITONIC_SWAP(K, I, at, lo, hi, n, desc) \
                } \
                DK_SYNC_ALL(); \
            }
    #define DK_SORT_SHARED 1024
    #define DK_AT_SHARED(k) (k)
    /* values, indices (outer, n, inner) = x sorted along n, one block per (outer, inner) row: rows
       of up to 1,024 in shared memory, longer ones in place in the outputs. */
    DK_KERNEL void SFX(dk_sort)(dk_i64 outer, dk_i64 n, dk_i64 inner, int desc, DK_ARG(const T, x), DK_ARG(T, values), DK_ARG(dk_i64, indices)) {
        x += x_off; values += values_off; indices += indices_off;
        DK_SHARED T sk[DK_SORT_SHARED];
        DK_SHARED dk_i64 si[DK_SORT_SHARED];
        dk_i64 P = 1;
        while (P < n) P <<= 1;
        for (dk_i64 row = DK_BID; row < outer * inner; row += DK_GDIM) {
            dk_i64 base = (row / inner) * n * inner + row % inner;
    #define DK_AT_GLOBAL(k) (base + (k) * inner)
            if (n <= DK_SORT_SHARED) {
                for (dk_i64 k = DK_TID; k < n; k += DK_BDIM) { sk[k] = x[DK_AT_GLOBAL(k)]; si[k] = k; }
                DK_SYNC_ALL();
                DK_BITONIC(sk, si, DK_AT_SHARED, n, P, desc)
                for (dk_i64 k = DK_TID; k < n; k += DK_BDIM) { values[DK_AT_GLOBAL(k)] = sk[k]; indices[DK_AT_GLOBAL(k)] = si[k]; }
            } else {
                for (dk_i64 k = DK_TID; k < n; k += DK_BDIM) { values[DK_AT_GLOBAL(k)] = x[DK_AT_GLOBAL(k)]; indices[DK_AT_GLOBAL(k)] = k; }
                DK_SYNC_ALL();
                DK_BITONIC(values, indices, DK_AT_GLOBAL, n, P, desc)
            }
            DK_SYNC_ALL();
    #undef DK_AT_GLOBAL
        }
    }
    /* A few long rows: the same network one stage a launch, one thread a comparator of every row
       (dk_sort_start copies x and numbers the positions first). */
    DK_KERNEL void SFX(dk_sort_start)(dk_i64 outer, dk_i64 n, dk_i64 inner, DK_ARG(const T, x), DK_ARG(T, values), DK_ARG(dk_i64, indices)) {
        x += x_off; values += values_off; indices += indices_off;
        DK_LOOP(e, outer * n * inner) { values[e] = x[e]; indices[e] = (e / inner) % n; }
    }
    DK_KERNEL void SFX(dk_sort_stage)(dk_i64 outer, dk_i64 n, dk_i64 inner, dk_i64 P, dk_i64 size, dk_i64 j, int desc,
                                      DK_ARG(T, values), DK_ARG(dk_i64, indices)) {
        values += values_off; indices += indices_off;
        DK_LOOP(c, outer * inner * (P / 2)) {
            dk_i64 row = c / (P / 2), t = c % (P / 2), base = (row / inner) * n * inner + row % inner, lo, hi;
    #define DK_AT_GLOBAL(k) (base + (k) * inner)
            DK_BITONIC_PAIR(t, size, j, lo, hi)
            DK_BITONIC_SWAP(values, indices, DK_AT_GLOBAL, lo, hi, n, desc)
    #undef DK_AT_GLOBAL
        }
    }
    #undef DK_BITONIC
    #undef DK_BITONIC_PAIR
    #undef DK_BITONIC_SWAP
    #undef DK_SORT_SHARED
    #undef DK_AT_SHARED
    """#

    /// nonzero's positions of a contiguous byte mask, in order: block b counts chunk b, the host adds
    /// the counts up (it needs the total for the output's size, as PyTorch's nonzero does), then block
    /// b writes its chunk's positions from starts[b], 256 at a time, placed by a scan of their flags.
    static let nonzeroBody = #"""
    DK_KERNEL void dk_nonzero_count(dk_i64 n, dk_i64 chunk, DK_ARG(const dk_u8, mask), DK_ARG(dk_i64, counts)) {
        DK_SHARED dk_i64 part[DK_BLOCK];
        mask += mask_off; counts += counts_off;
        dk_i64 lo = DK_BID * chunk, hi = lo + chunk < n ? lo + chunk : n, c = 0;
        for (dk_i64 i = lo + DK_TID; i < hi; i += DK_BDIM) c += mask[i] != 0;
        part[DK_TID] = c;
        DK_SYNC_ALL();
        for (int s = DK_BLOCK / 2; s > 0; s >>= 1) {
            if (DK_TID < s) part[DK_TID] += part[DK_TID + s];
            DK_SYNC_ALL();
        }
        if (DK_TID == 0) counts[DK_BID] = part[0];
    }
    DK_KERNEL void dk_nonzero_write(dk_i64 n, dk_i64 chunk, DK_ARG(const dk_u8, mask), DK_ARG(const dk_i64, starts), DK_ARG(dk_i64, out)) {
        DK_SHARED dk_i64 scan[DK_BLOCK];
        mask += mask_off; starts += starts_off; out += out_off;
        dk_i64 lo = DK_BID * chunk, hi = lo + chunk < n ? lo + chunk : n, base = starts[DK_BID];
        for (dk_i64 t0 = lo; t0 < hi; t0 += DK_BLOCK) {
            dk_i64 i = t0 + DK_TID;
            int flag = i < hi && mask[i] != 0;
            scan[DK_TID] = flag;
            DK_SYNC_ALL();
            for (int s = 1; s < DK_BLOCK; s <<= 1) {
                dk_i64 v = DK_TID >= s ? scan[DK_TID - s] : 0;
                DK_SYNC_ALL();
                scan[DK_TID] += v;
                DK_SYNC_ALL();
            }
            if (flag) out[base + scan[DK_TID] - 1] = i;
            base += scan[DK_BLOCK - 1];
            DK_SYNC_ALL();
        }
    }
    """#

    static var indexing: String {
        prelude + instantiate(gemmBody, KernelType.floats) + instantiate(indexBody, KernelType.all)
            + instantiate(scatterSortBody, KernelType.all) + nonzeroBody
    }

    // MARK: losses and optimizers

    static let lossBody = #"""
    /* Per-row NLL: rowLoss = -w[t] * x[i, t], rowWeight = w[t] (0 when ignored); bad[0] = an out-of-range row + 1. */
    DK_KERNEL void SFX(dk_nll_forward)(dk_i64 m, dk_i64 c, DK_ARG(const T, x), DK_ARG(const dk_i64, target), DK_ARG(const T, w), int hasWeight,
                                       dk_i64 ignoreIndex, DK_ARG(T, rowLoss), DK_ARG(double, rowWeight), DK_ARG(dk_i64, bad)) {
        x += x_off; target += target_off; w += w_off; rowLoss += rowLoss_off; rowWeight += rowWeight_off; bad += bad_off;
        DK_LOOP(i, m) {
            dk_i64 t = target[i];
            if (t == ignoreIndex) { rowLoss[i] = (T)0; rowWeight[i] = 0; continue; }
            if (t < 0 || t >= c) { rowLoss[i] = (T)0; rowWeight[i] = 0; bad[0] = i + 1; continue; }
            T wt = hasWeight ? w[t] : (T)1;
            rowWeight[i] = (double)wt;
            rowLoss[i] = -wt * x[i * c + t];
        }
    }
    /* d/dx of the NLL (fromLogits = 0) or of softmax + NLL from log-probabilities (fromLogits = 1);
       wsum is the total row weight when the loss is a mean. */
    DK_KERNEL void SFX(dk_nll_backward)(int fromLogits, dk_i64 m, dk_i64 c, DK_ARG(const T, logp), DK_ARG(const dk_i64, target),
                                        DK_ARG(const double, rowWeight), DK_ARG(const T, up), dk_i64 upStride, int mean,
                                        DK_ARG(const double, wsum), DK_ARG(T, gx)) {
        logp += logp_off; target += target_off; rowWeight += rowWeight_off; up += up_off; wsum += wsum_off; gx += gx_off;
        double scale = mean ? 1.0 / wsum[0] : 1.0;
        DK_LOOP(i, m * c) {
            dk_i64 row = i / c, col = i % c;
            double rw = rowWeight[row];
            if (rw == 0) { gx[i] = (T)0; continue; }
            T kk = (T)(rw * (double)up[row * upStride] * scale);
            if (fromLogits) gx[i] = kk * exp(logp[i]) - (col == target[row] ? kk : (T)0);
            else gx[i] = col == target[row] ? (T)(-rw * (double)up[row * upStride] * scale) : (T)0;
        }
    }
    """#

    /// Binary cross-entropy on probabilities (bad[0], bad[1]: the first element with an input, a target outside [0, 1])
    /// and on logits, forward and backward, in the CPU kernels' order of operations.
    static let bceBody = #"""
    DK_KERNEL void SFX(dk_bce_forward)(int logits, dk_i64 n, DK_ARG(const T, x), DK_ARG(const T, y), DK_ARG(const T, w), int hasW,
                                       DK_ARG(const T, pw), int hasPW, DK_ARG(T, loss), DK_ARG(int, bad)) {
        x += x_off; y += y_off; w += w_off; pw += pw_off; loss += loss_off; bad += bad_off;
        DK_LOOP(i, n) {
            T xi = x[i], yi = y[i], l;
            if (logits) {
                T ls = (xi < (T)0 ? xi : (T)0) - log1p(exp(-fabs(xi)));
                if (hasPW) ls = ls * ((pw[i] - (T)1) * yi + (T)1);
                l = ((T)1 - yi) * xi - ls;
            } else {
                /* the first bad element decides, as on the CPU: bad[0] the first input, bad[1] the first target */
                if (!(xi >= (T)0 && xi <= (T)1)) DK_ATOMIC_MIN(&bad[0], (int)i);
                else if (!(yi >= (T)0 && yi <= (T)1)) DK_ATOMIC_MIN(&bad[1], (int)i);
                T a = log1p(-xi), b = log(xi);
                a = a > (T)-100 ? a : (T)-100;
                b = b > (T)-100 ? b : (T)-100;
                l = (yi - (T)1) * a - yi * b;
            }
            loss[i] = hasW ? l * w[i] : l;
        }
    }
    DK_KERNEL void SFX(dk_bce_backward)(int logits, dk_i64 n, DK_ARG(const T, x), DK_ARG(const T, y), DK_ARG(const T, w), int hasW,
                                        DK_ARG(const T, pw), int hasPW, DK_ARG(const T, up), dk_i64 upStride, double divisor, DK_ARG(T, gx)) {
        x += x_off; y += y_off; w += w_off; pw += pw_off; up += up_off; gx += gx_off;
        DK_LOOP(i, n) {
            T xi = x[i], yi = y[i], g;
            if (logits) {
                T s = (T)1 / ((T)1 + exp(-xi));
                if (hasPW) { T t = pw[i] * yi; g = (t + (T)1 - yi) * s - t; } else g = s - yi;
                g = g * up[i * upStride];
            } else {
                T d = ((T)1 - xi) * xi;
                d = d > (T)1e-12 ? d : (T)1e-12;
                g = up[i * upStride] * (xi - yi) / d;
            }
            if (hasW) g = g * w[i];
            gx[i] = divisor != 1 ? g / (T)divisor : g;
        }
    }
    """#

    /// Fused optimizer updates, in PyTorch's order of operations (SGD with momentum, Adam/AdamW/AMSGrad).
    static let optimizerBody = #"""
    /* One parameter's SGD update (n elements); the single-tensor and multi-tensor kernels share it. */
    DK_FN void SFX(dk_sgd_run)(dk_i64 n, DK_GLOBAL T *p, DK_GLOBAL const T *g, DK_GLOBAL T *buf, double lr, double momentum,
                               double dampening, double wd, int nesterov, int first, int maximize) {
        DK_LOOP(i, n) {
            T d = maximize ? -g[i] : g[i];
            if (wd != 0) d += (T)wd * p[i];
            if (momentum != 0) {
                T b = first ? d : (T)momentum * buf[i] + (T)(1 - dampening) * d;
                buf[i] = b;
                d = nesterov ? d + (T)momentum * b : b;
            }
            p[i] -= (T)lr * d;
        }
    }
    DK_KERNEL void SFX(dk_sgd)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, buf), double lr, double momentum, double dampening,
                               double wd, int nesterov, int first, int maximize) {
        SFX(dk_sgd_run)(n, p + p_off, g + g_off, buf + buf_off, lr, momentum, dampening, wd, nesterov, first, maximize);
    }
    /* One parameter's Adam update (AdamW's decoupled decay, AMSGrad's running maximum). */
    DK_FN void SFX(dk_adam_run)(dk_i64 n, DK_GLOBAL T *p, DK_GLOBAL const T *g, DK_GLOBAL T *m, DK_GLOBAL T *v, DK_GLOBAL T *vmax,
                                int amsgrad, double lr, double b1, double b2, double eps, double wd, dk_i64 step, int decoupled, int maximize) {
        double bc1 = 1 - pow(b1, (double)step), bc2 = 1 - pow(b2, (double)step);
        T stepSize = (T)(lr / bc1), bc2Sqrt = (T)sqrt(bc2);
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            T pi = p[i];
            if (wd != 0) { if (decoupled) pi *= (T)(1 - lr * wd); else gi += (T)wd * pi; }
            T mi = m[i] + (gi - m[i]) * (T)(1 - b1);
            T vi = v[i] * (T)b2 + gi * gi * (T)(1 - b2);
            m[i] = mi; v[i] = vi;
            T d = vi;
            if (amsgrad) { d = vmax[i] > vi ? vmax[i] : vi; vmax[i] = d; }
            T denom = sqrt(d) / bc2Sqrt + (T)eps;
            p[i] = pi - stepSize * mi / denom;
        }
    }
    DK_KERNEL void SFX(dk_adam)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, m), DK_ARG(T, v), DK_ARG(T, vmax), int amsgrad,
                                double lr, double b1, double b2, double eps, double wd, dk_i64 step, int decoupled, int maximize) {
        SFX(dk_adam_run)(n, p + p_off, g + g_off, m + m_off, v + v_off, vmax + vmax_off, amsgrad, lr, b1, b2, eps, wd, step, decoupled, maximize);
    }
    /* Adam with its step count on the device (capturable): one thread adds 1 first, the update reads it. */
    DK_KERNEL void SFX(dk_step_increment)(DK_ARG(double, s)) { s += s_off; if (DK_BID == 0 && DK_TID == 0) s[0] += 1.0; }
    DK_KERNEL void SFX(dk_adam_device_step)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, m), DK_ARG(T, v), DK_ARG(T, vmax),
                                            int amsgrad, double lr, double b1, double b2, double eps, double wd, DK_ARG(const double, st),
                                            int decoupled, int maximize) {
        st += st_off;
        SFX(dk_adam_run)(n, p + p_off, g + g_off, m + m_off, v + v_off, vmax + vmax_off, amsgrad, lr, b1, b2, eps, wd, (dk_i64)st[0],
                         decoupled, maximize);
    }
    /* Multi-tensor updates (PyTorch's foreach path): up to DK_MT parameters of one group in one launch,
       each slot a parameter's element count, its own step (or first-step flag) and its tensors; the
       grid strides over each slot in turn. Unused slots have n = 0. */
    #define DK_ADAM_SLOT(k) dk_i64 n##k, dk_i64 step##k, DK_ARG(T, p##k), DK_ARG(const T, g##k), DK_ARG(T, m##k), DK_ARG(T, v##k), DK_ARG(T, x##k)
    #define DK_ADAM_RUN(k) SFX(dk_adam_run)(n##k, p##k + p##k##_off, g##k + g##k##_off, m##k + m##k##_off, v##k + v##k##_off, \
                                            x##k + x##k##_off, amsgrad, lr, b1, b2, eps, wd, step##k, decoupled, maximize);
    DK_KERNEL void SFX(dk_adam_multi)(int amsgrad, double lr, double b1, double b2, double eps, double wd, int decoupled, int maximize,
                                      DK_ADAM_SLOT(0), DK_ADAM_SLOT(1), DK_ADAM_SLOT(2), DK_ADAM_SLOT(3),
                                      DK_ADAM_SLOT(4), DK_ADAM_SLOT(5), DK_ADAM_SLOT(6), DK_ADAM_SLOT(7)) {
        DK_ADAM_RUN(0) DK_ADAM_RUN(1) DK_ADAM_RUN(2) DK_ADAM_RUN(3) DK_ADAM_RUN(4) DK_ADAM_RUN(5) DK_ADAM_RUN(6) DK_ADAM_RUN(7)
    }
    #undef DK_ADAM_SLOT
    #undef DK_ADAM_RUN
    #define DK_SGD_SLOT(k) dk_i64 n##k, int first##k, DK_ARG(T, p##k), DK_ARG(const T, g##k), DK_ARG(T, b##k)
    #define DK_SGD_RUN(k) SFX(dk_sgd_run)(n##k, p##k + p##k##_off, g##k + g##k##_off, b##k + b##k##_off, lr, momentum, dampening, wd, \
                                          nesterov, first##k, maximize);
    DK_KERNEL void SFX(dk_sgd_multi)(double lr, double momentum, double dampening, double wd, int nesterov, int maximize,
                                     DK_SGD_SLOT(0), DK_SGD_SLOT(1), DK_SGD_SLOT(2), DK_SGD_SLOT(3),
                                     DK_SGD_SLOT(4), DK_SGD_SLOT(5), DK_SGD_SLOT(6), DK_SGD_SLOT(7)) {
        DK_SGD_RUN(0) DK_SGD_RUN(1) DK_SGD_RUN(2) DK_SGD_RUN(3) DK_SGD_RUN(4) DK_SGD_RUN(5) DK_SGD_RUN(6) DK_SGD_RUN(7)
    }
    #undef DK_SGD_SLOT
    #undef DK_SGD_RUN

    """#

    /// RMSprop (centered, with momentum) and Adagrad, in the CPU kernels' order of operations.
    static let optimizerBody2 = #"""
    DK_KERNEL void SFX(dk_rmsprop)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, sq), DK_ARG(T, gavg), DK_ARG(T, buf), int centered,
                                   int mom, double lr, double alpha, double eps, double wd, double momentum, int maximize) {
        p += p_off; g += g_off; sq += sq_off; gavg += gavg_off; buf += buf_off;
        T a = (T)alpha, w = (T)(1.0 - alpha), e = (T)eps, l = (T)lr;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = fma(p[i], (T)wd, gi);
            T s = fma(w * gi, gi, sq[i] * a);
            sq[i] = s;
            T avg;
            if (centered) { T ga = fma(w, gi - gavg[i], gavg[i]); gavg[i] = ga; avg = sqrt(fma(-ga, ga, s)) + e; }
            else avg = sqrt(s) + e;
            if (mom) { T bb = buf[i] * (T)momentum + gi / avg; buf[i] = bb; p[i] = fma(bb, -l, p[i]); }
            else p[i] = p[i] + ((-l) * gi) / avg;
        }
    }
    DK_KERNEL void SFX(dk_adagrad)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, sum), double clr, double eps, double wd, int maximize) {
        p += p_off; g += g_off; sum += sum_off;
        T c = (T)clr, e = (T)eps;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = fma(p[i], (T)wd, gi);
            T s = fma(gi, gi, sum[i]);
            sum[i] = s;
            p[i] = p[i] + ((-c) * gi) / (sqrt(s) + e);
        }
    }
    """#

    /// Adadelta, Adamax, ASGD, Rprop, NAdam, RAdam and SparseAdam: the CPU kernels' chains
    /// (CDescentKernels/optim_kernels.h), one thread an element. ASGD's eta and mu and NAdam's mu
    /// product are float32 CPU scalars (as PyTorch keeps them): the host updates them, the kernels
    /// take their values.
    static let optimizerBody3 = #"""
    DK_FN T SFX(dk_lerp)(T self, T end, T w) { return fabs(w) < (T)0.5 ? fma(w, end - self, self) : fma(self - end, (T)1 - w, end); }
    DK_FN T SFX(dk_maximum)(T a, T b) { if (a != a) return a; if (b != b) return b; return a > b ? a : b; }
    /* NAdam's and RAdam's common start: the weight decay (decoupled or into the gradient), then
       exp_avg.lerp_(grad, 1 - beta1) and exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2). */
    DK_FN void SFX(dk_adam_moments)(T *gi, T *pi, T wd, T decay, int decoupled, DK_GLOBAL T *ea, DK_GLOBAL T *es, T w1, T b2, T w2,
                                    T *m, T *v) {
        if (wd != 0) { if (decoupled) *pi = *pi * decay; else *gi = fma(wd, *pi, *gi); }
        *m = SFX(dk_lerp)(*ea, *gi, w1);
        *v = fma(w2 * *gi, *gi, *es * b2);
        *ea = *m; *es = *v;
    }
    DK_KERNEL void SFX(dk_adadelta)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, sqa), DK_ARG(T, acc), double lr, double rho,
                                    double eps, double wd, int maximize) {
        p += p_off; g += g_off; sqa += sqa_off; acc += acc_off;
        T r = (T)rho, w = (T)(1.0 - rho), e = (T)eps, nlr = (T)(-lr);
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = fma((T)wd, p[i], gi);
            T sq = fma(w * gi, gi, sqa[i] * r);
            sqa[i] = sq;
            T delta = (sqrt(acc[i] + e) / sqrt(sq + e)) * gi;
            acc[i] = fma(w * delta, delta, acc[i] * r);
            p[i] = fma(nlr, delta, p[i]);
        }
    }
    DK_KERNEL void SFX(dk_adamax)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, ea), DK_ARG(T, ei), double lr, double beta1,
                                  double beta2, double eps, double wd, dk_i64 step, int maximize) {
        p += p_off; g += g_off; ea += ea_off; ei += ei_off;
        T w1 = (T)(1.0 - beta1), b2 = (T)beta2, e = (T)eps, nclr = (T)(-(lr / (1.0 - pow(beta1, (double)step))));
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = fma((T)wd, p[i], gi);
            T m = SFX(dk_lerp)(ea[i], gi, w1);
            ea[i] = m;
            T u = SFX(dk_maximum)(ei[i] * b2, fabs(gi) + e);
            ei[i] = u;
            p[i] = p[i] + (nclr * m) / u;
        }
    }
    DK_KERNEL void SFX(dk_asgd)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, ax), double etaValue, double muValue,
                                double lambd, double wd, int maximize) {
        p += p_off; g += g_off; ax += ax_off;
        T decay = (T)(1.0 - lambd * etaValue), neta = (T)(-etaValue), m = (T)muValue;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) gi = fma((T)wd, p[i], gi);
            T pi = fma(neta, gi, p[i] * decay);
            p[i] = pi;
            if (m != (T)1) ax[i] = ax[i] + (pi - ax[i]) * m; else ax[i] = pi;
        }
    }
    DK_KERNEL void SFX(dk_rprop)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, prev), DK_ARG(T, ss), double etaminus, double etaplus,
                                 double smin, double smax, int maximize) {
        p += p_off; g += g_off; prev += prev_off; ss += ss_off;
        T em = (T)etaminus, ep = (T)etaplus, lo = (T)smin, hi = (T)smax;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            T prod = gi * prev[i];
            T s = (T)((0 < prod) - (prod < 0));
            if (s > 0) s = ep;
            if (s < 0) s = em;
            if (s == 0) s = (T)1;
            T st = ss[i] * s;
            if (!(st != st)) { st = st < lo ? lo : st; st = st > hi ? hi : st; }
            ss[i] = st;
            if (s == em) gi = 0;
            T sg = (T)((0 < gi) - (gi < 0));
            p[i] = fma(-sg, st, p[i]);
            prev[i] = gi;
        }
    }
    DK_KERNEL void SFX(dk_nadam)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, ea), DK_ARG(T, es), double muProd,
                                 double lr, double beta1, double beta2, double eps, double wd, double momentumDecay, dk_i64 step,
                                 int decoupled, int maximize) {
        p += p_off; g += g_off; ea += ea_off; es += es_off;
        double s = (double)step, bc2 = 1.0 - pow(beta2, s);
        double mu = beta1 * (1.0 - 0.5 * pow(0.96, s * momentumDecay)), muNext = beta1 * (1.0 - 0.5 * pow(0.96, (s + 1.0) * momentumDecay));
        double muProductNext = muProd * muNext;
        T c1 = (T)(-lr * (1.0 - mu) / (1.0 - muProd)), c2 = (T)((-lr * muNext) / (1.0 - muProductNext));
        T w1 = (T)(1.0 - beta1), b2 = (T)beta2, w2 = (T)(1.0 - beta2), e = (T)eps, decay = (T)(1.0 - lr * wd), bc2t = (T)bc2;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i], pi = p[i], m, v;
            SFX(dk_adam_moments)(&gi, &pi, (T)wd, decay, decoupled, ea + i, es + i, w1, b2, w2, &m, &v);
            T den = sqrt(v / bc2t) + e;
            pi = pi + (c1 * gi) / den;
            pi = pi + (c2 * m) / den;
            p[i] = pi;
        }
    }
    DK_KERNEL void SFX(dk_radam)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, ea), DK_ARG(T, es), double lr, double beta1,
                                 double beta2, double eps, double wd, dk_i64 step, int decoupled, int maximize) {
        p += p_off; g += g_off; ea += ea_off; es += es_off;
        double s = (double)step, bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
        double rhoInf = 2.0 / (1.0 - beta2) - 1.0, rhoT = rhoInf - 2.0 * s * pow(beta2, s) / bc2;
        int rectify = rhoT > 5.0;
        T rect = rectify ? (T)pow((rhoT - 4.0) * (rhoT - 2.0) * rhoInf / ((rhoInf - 4.0) * (rhoInf - 2.0) * rhoT), 0.5) : (T)1;
        T sqrtBc2 = (T)pow(bc2, 0.5), w1 = (T)(1.0 - beta1), b2 = (T)beta2, w2 = (T)(1.0 - beta2), e = (T)eps;
        T decay = (T)(1.0 - lr * wd), bc1t = (T)bc1, lrt = (T)lr;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i], pi = p[i], m, v;
            SFX(dk_adam_moments)(&gi, &pi, (T)wd, decay, decoupled, ea + i, es + i, w1, b2, w2, &m, &v);
            T upd = (m / bc1t) * lrt;
            if (rectify) upd = (upd * (((T)1 / (sqrt(v) + e)) * sqrtBc2)) * rect;
            p[i] = pi - upd;
        }
    }
    DK_KERNEL void SFX(dk_sparse_adam)(dk_i64 n, DK_ARG(T, p), DK_ARG(const T, g), DK_ARG(T, ea), DK_ARG(T, es), double lr, double beta1,
                                       double beta2, double eps, dk_i64 step, int maximize) {
        p += p_off; g += g_off; ea += ea_off; es += es_off;
        double s = (double)step, bc1 = 1.0 - pow(beta1, s), bc2 = 1.0 - pow(beta2, s);
        T nss = (T)(-(lr * sqrt(bc2) / bc1)), w1 = (T)(1.0 - beta1), w2 = (T)(1.0 - beta2), e = (T)eps;
        DK_LOOP(i, n) {
            T gi = maximize ? -g[i] : g[i];
            if (gi == 0) continue;
            T m0 = ea[i], v0 = es[i];
            T mu = (gi - m0) * w1, vu = (gi * gi - v0) * w2;
            ea[i] = m0 + mu;
            es[i] = v0 + vu;
            p[i] = p[i] + nss * ((mu + m0) / (sqrt(vu + v0) + e));
        }
    }
    """#

    static var training: String {
        prelude + instantiate(lossBody + bceBody + optimizerBody + optimizerBody2 + optimizerBody3, KernelType.floats)
    }

    // MARK: convolution and pooling

    /// Convolution as im2col + a matrix product (cuBLAS or the tiled kernel), its input gradient as a
    /// deterministic col2im gather; max and average pooling as the CPU kernels compute them (one
    /// thread per output for the forward passes, one per plane for the backward scatters, in the
    /// CPU's order). `dk_window` is the geometry: h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow.
    static let convBody = #"""
    typedef struct { dk_i64 h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow; } SFX(dk_window);
    /* cols[k][b][l], k = (ci * kh + ky) * kw + kx over channels c0 .. c0 + cg of x (b, c, h, w), l = oy * ow + ox. */
    DK_KERNEL void SFX(dk_im2col)(dk_i64 n, dk_i64 c, dk_i64 c0, dk_i64 cg, SFX(dk_window) g, DK_ARG(const T, x), DK_ARG(T, cols)) {
        x += x_off; cols += cols_off;
        dk_i64 L = g.oh * g.ow;
        DK_LOOP(i, cg * g.kh * g.kw * n * L) {
            dk_i64 l = i % L, b = (i / L) % n, k = i / (L * n);
            dk_i64 kx = k % g.kw, ky = (k / g.kw) % g.kh, ci = k / (g.kw * g.kh);
            dk_i64 y = (l / g.ow) * g.sh - g.ph + ky * g.dh, xx = (l % g.ow) * g.sw - g.pw + kx * g.dw;
            cols[i] = (y >= 0 && y < g.h && xx >= 0 && xx < g.w) ? x[((b * c + c0 + ci) * g.h + y) * g.w + xx] : (T)0;
        }
    }
    /* gx[b][c0 + ci][y][x] = the sum of the cols entries im2col took from it. */
    DK_KERNEL void SFX(dk_col2im)(dk_i64 n, dk_i64 c, dk_i64 c0, dk_i64 cg, SFX(dk_window) g, DK_ARG(const T, cols), DK_ARG(T, gx)) {
        cols += cols_off; gx += gx_off;
        dk_i64 L = g.oh * g.ow;
        DK_LOOP(i, n * cg * g.h * g.w) {
            dk_i64 xx = i % g.w, y = (i / g.w) % g.h, ci = (i / (g.w * g.h)) % cg, b = i / (g.w * g.h * cg);
            ACC s = 0;
            for (dk_i64 ky = 0; ky < g.kh; ++ky) {
                dk_i64 ty = y + g.ph - ky * g.dh;
                if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) continue;
                for (dk_i64 kx = 0; kx < g.kw; ++kx) {
                    dk_i64 tx = xx + g.pw - kx * g.dw;
                    if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) continue;
                    s += cols[(((ci * g.kh + ky) * g.kw + kx) * n + b) * L + (ty / g.sh) * g.ow + tx / g.sw];
                }
            }
            gx[((b * c + c0 + ci) * g.h + y) * g.w + xx] = (T)s;
        }
    }
    /* out (n, oc, l) += bias[oc] */
    DK_KERNEL void SFX(dk_channel_bias)(dk_i64 total, dk_i64 oc, dk_i64 l, DK_ARG(const T, bias), DK_ARG(T, out)) {
        bias += bias_off; out += out_off;
        DK_LOOP(i, total) out[i] += bias[(i / l) % oc];
    }
    DK_KERNEL void SFX(dk_max_pool_forward)(dk_i64 planes, SFX(dk_window) g, DK_ARG(const T, x), DK_ARG(T, y), DK_ARG(dk_i64, ix)) {
        x += x_off; y += y_off; ix += ix_off;
        DK_LOOP(i, planes * g.oh * g.ow) {
            dk_i64 p = i / (g.oh * g.ow), o = i % (g.oh * g.ow), oh = o / g.ow, ow = o % g.ow;
            DK_GLOBAL const T *xp = x + p * g.h * g.w;
            dk_i64 ih0 = oh * g.sh - g.ph, iw0 = ow * g.sw - g.pw;
            dk_i64 ih1 = ih0 + (g.kh - 1) * g.dh + 1, iw1 = iw0 + (g.kw - 1) * g.dw + 1;
            if (ih1 > g.h) ih1 = g.h;
            if (iw1 > g.w) iw1 = g.w;
            while (ih0 < 0) ih0 += g.dh;
            while (iw0 < 0) iw0 += g.dw;
            dk_i64 best = ih0 * g.w + iw0;
            T m = -DK_INFINITY;
            for (dk_i64 ih = ih0; ih < ih1; ih += g.dh)
                for (dk_i64 iw = iw0; iw < iw1; iw += g.dw) {
                    dk_i64 k = ih * g.w + iw;
                    T v = xp[k];
                    if (v > m || v != v) { m = v; best = k; }
                }
            y[i] = m; ix[i] = best;
        }
    }
    DK_KERNEL void SFX(dk_max_pool_backward)(dk_i64 planes, SFX(dk_window) g, DK_ARG(const T, gy), DK_ARG(const dk_i64, ix), DK_ARG(T, gx)) {
        gy += gy_off; ix += ix_off; gx += gx_off;
        dk_i64 hw = g.h * g.w, ol = g.oh * g.ow;
        DK_LOOP(p, planes) {
            for (dk_i64 k = 0; k < hw; ++k) gx[p * hw + k] = (T)0;
            for (dk_i64 o = 0; o < ol; ++o) {
                dk_i64 k = ix[p * ol + o];
                if (k >= 0 && k < hw) gx[p * hw + k] += gy[p * ol + o];
            }
        }
    }
    /* The clipped window of output (oh, ow) and its divisor, as PyTorch's cpu_avg_pool2d; 0 when empty. */
    DK_FN int SFX(dk_avg_window)(SFX(dk_window) g, int countIncludePad, dk_i64 divisorOverride, dk_i64 oh, dk_i64 ow,
                                 dk_i64 *h0, dk_i64 *h1, dk_i64 *w0, dk_i64 *w1, T *div) {
        dk_i64 a = oh * g.sh - g.ph, b = ow * g.sw - g.pw;
        dk_i64 e = a + g.kh < g.h + g.ph ? a + g.kh : g.h + g.ph, f = b + g.kw < g.w + g.pw ? b + g.kw : g.w + g.pw;
        dk_i64 poolSize = (e - a) * (f - b);
        if (a < 0) a = 0;
        if (b < 0) b = 0;
        if (e > g.h) e = g.h;
        if (f > g.w) f = g.w;
        *h0 = a; *h1 = e; *w0 = b; *w1 = f;
        if (a >= e || b >= f) return 0;
        *div = (T)(divisorOverride > 0 ? divisorOverride : (countIncludePad ? poolSize : (e - a) * (f - b)));
        return 1;
    }
    DK_KERNEL void SFX(dk_avg_pool_forward)(dk_i64 planes, SFX(dk_window) g, int countIncludePad, dk_i64 divisorOverride,
                                            DK_ARG(const T, x), DK_ARG(T, y)) {
        x += x_off; y += y_off;
        DK_LOOP(i, planes * g.oh * g.ow) {
            dk_i64 p = i / (g.oh * g.ow), o = i % (g.oh * g.ow);
            dk_i64 h0, h1, w0, w1;
            T div = 1;
            if (!SFX(dk_avg_window)(g, countIncludePad, divisorOverride, o / g.ow, o % g.ow, &h0, &h1, &w0, &w1, &div)) { y[i] = (T)0; continue; }
            T s = 0;
            for (dk_i64 ih = h0; ih < h1; ++ih)
                for (dk_i64 iw = w0; iw < w1; ++iw) s += x[p * g.h * g.w + ih * g.w + iw];
            y[i] = s / div;
        }
    }
    DK_KERNEL void SFX(dk_avg_pool_backward)(dk_i64 planes, SFX(dk_window) g, int countIncludePad, dk_i64 divisorOverride,
                                             DK_ARG(const T, gy), DK_ARG(T, gx)) {
        gy += gy_off; gx += gx_off;
        dk_i64 hw = g.h * g.w, ol = g.oh * g.ow;
        DK_LOOP(p, planes) {
            for (dk_i64 k = 0; k < hw; ++k) gx[p * hw + k] = (T)0;
            for (dk_i64 o = 0; o < ol; ++o) {
                dk_i64 h0, h1, w0, w1;
                T div = 1;
                if (!SFX(dk_avg_window)(g, countIncludePad, divisorOverride, o / g.ow, o % g.ow, &h0, &h1, &w0, &w1, &div)) continue;
                T d = gy[p * ol + o] / div;
                for (dk_i64 ih = h0; ih < h1; ++ih)
                    for (dk_i64 iw = w0; iw < w1; ++iw) gx[p * hw + ih * g.w + iw] += d;
            }
        }
    }

    /* Batch norm over (n, c, l): one block a channel. Training: the batch mean (in double, rounded to T as
       PyTorch does before the second pass), the biased variance, the running statistics' update (unbiased
       variance); else the running statistics. Then alpha = invstd * w and beta = b - mean * alpha in T. */
    DK_KERNEL void SFX(dk_bn_stats)(int training, dk_i64 n, dk_i64 c, dk_i64 l, DK_ARG(const T, x), DK_ARG(T, rmean), DK_ARG(T, rvar),
                                    int hasRM, int hasRV, double momentum, double eps, DK_ARG(const T, w), int hasW, DK_ARG(const T, b), int hasB,
                                    DK_ARG(T, meanOut), DK_ARG(T, invstdOut), DK_ARG(T, alpha), DK_ARG(T, beta)) {
        DK_SHARED double part[DK_BLOCK];
        x += x_off; rmean += rmean_off; rvar += rvar_off; w += w_off; b += b_off;
        meanOut += meanOut_off; invstdOut += invstdOut_off; alpha += alpha_off; beta += beta_off;
        dk_i64 tid = DK_TID, m = n * l;
        for (dk_i64 ch = DK_BID; ch < c; ch += DK_GDIM) {
            double mean, invstd;
            if (training) {
                double s = 0;
                for (dk_i64 j = tid; j < m; j += DK_BDIM) s += (double)x[((j / l) * c + ch) * l + j % l];
                part[tid] = s;
                DK_SYNC();
                for (dk_i64 k = DK_BDIM / 2; k > 0; k >>= 1) { if (tid < k) part[tid] += part[tid + k]; DK_SYNC(); }
                T meanT = (T)(part[0] / (double)m);
                DK_SYNC();
                double v = 0;
                for (dk_i64 j = tid; j < m; j += DK_BDIM) { double d = (double)(x[((j / l) * c + ch) * l + j % l] - meanT); v += d * d; }
                part[tid] = v;
                DK_SYNC();
                for (dk_i64 k = DK_BDIM / 2; k > 0; k >>= 1) { if (tid < k) part[tid] += part[tid + k]; DK_SYNC(); }
                double var = part[0] / (double)m;
                mean = (double)meanT;
                invstd = 1.0 / sqrt(var + eps);
                if (tid == 0 && hasRM) rmean[ch] = (T)(momentum * mean + (1 - momentum) * (double)rmean[ch]);
                if (tid == 0 && hasRV) rvar[ch] = (T)(momentum * var * (double)m / (double)(m - 1) + (1 - momentum) * (double)rvar[ch]);
                DK_SYNC();
            } else {
                mean = (double)rmean[ch];
                invstd = 1.0 / sqrt((double)rvar[ch] + eps);
            }
            if (tid == 0) {
                T mt = (T)mean, st = (T)invstd, a = st * (hasW ? w[ch] : (T)1);
                meanOut[ch] = mt; invstdOut[ch] = st;
                alpha[ch] = a; beta[ch] = (hasB ? b[ch] : (T)0) - mt * a;
            }
        }
    }
    DK_KERNEL void SFX(dk_bn_apply)(dk_i64 total, dk_i64 c, dk_i64 l, DK_ARG(const T, x), DK_ARG(const T, alpha), DK_ARG(const T, beta), DK_ARG(T, y)) {
        x += x_off; alpha += alpha_off; beta += beta_off; y += y_off;
        DK_LOOP(i, total) { dk_i64 ch = (i / l) % c; y[i] = x[i] * alpha[ch] + beta[ch]; }
    }
    /* Batch-norm gradients, one block a channel: gb = sum(gy), gw = sum((x - mean) gy) * invstd, and gx. */
    DK_KERNEL void SFX(dk_bn_backward)(int training, dk_i64 n, dk_i64 c, dk_i64 l, DK_ARG(const T, x), DK_ARG(const T, gy),
                                       DK_ARG(const T, mean), DK_ARG(const T, invstd), DK_ARG(const T, w), int hasW,
                                       DK_ARG(T, gx), int hasGX, DK_ARG(T, gw), int hasGW, DK_ARG(T, gb), int hasGB) {
        DK_SHARED double ps[DK_BLOCK];
        DK_SHARED double pd[DK_BLOCK];
        x += x_off; gy += gy_off; mean += mean_off; invstd += invstd_off; w += w_off; gx += gx_off; gw += gw_off; gb += gb_off;
        dk_i64 tid = DK_TID, m = n * l;
        for (dk_i64 ch = DK_BID; ch < c; ch += DK_GDIM) {
            T mu = mean[ch], is = invstd[ch], wt = hasW ? w[ch] : (T)1;
            double s = 0, d = 0;
            for (dk_i64 j = tid; j < m; j += DK_BDIM) {
                dk_i64 at = ((j / l) * c + ch) * l + j % l;
                s += (double)gy[at];
                d += (double)(x[at] - mu) * (double)gy[at];
            }
            ps[tid] = s; pd[tid] = d;
            DK_SYNC();
            for (dk_i64 k = DK_BDIM / 2; k > 0; k >>= 1) { if (tid < k) { ps[tid] += ps[tid + k]; pd[tid] += pd[tid + k]; } DK_SYNC(); }
            double sum = ps[0], dotp = pd[0];
            if (tid == 0) {
                if (hasGB) gb[ch] = (T)sum;
                if (hasGW) gw[ch] = (T)(dotp * (double)is);
            }
            if (hasGX) {
                T scale = is * wt, mt = (T)m;
                T k = (T)dotp * is * is / mt, gmean = (T)sum / mt;
                for (dk_i64 j = tid; j < m; j += DK_BDIM) {
                    dk_i64 at = ((j / l) * c + ch) * l + j % l;
                    gx[at] = training ? (gy[at] - gmean - (x[at] - mu) * k) * scale : gy[at] * scale;
                }
            }
            DK_SYNC();
        }
    }
    /* Adaptive average pooling of planes (h, w) to (oh, ow) with PyTorch's windows; backward: one thread a
       plane, adding each output's share in the CPU's order. */
    DK_FN dk_i64 SFX(dk_adaptive_start)(dk_i64 i, dk_i64 o, dk_i64 n) { return (i * n) / o; }
    DK_FN dk_i64 SFX(dk_adaptive_end)(dk_i64 i, dk_i64 o, dk_i64 n) { return ((i + 1) * n + o - 1) / o; }
    DK_KERNEL void SFX(dk_adaptive_avg_pool)(int backward, dk_i64 planes, dk_i64 h, dk_i64 w, dk_i64 oh, dk_i64 ow, DK_ARG(const T, src), DK_ARG(T, dst)) {
        src += src_off; dst += dst_off;
        if (!backward) {
            DK_LOOP(q, planes * oh * ow) {
                dk_i64 p = q / (oh * ow), i = (q / ow) % oh, j = q % ow;
                dk_i64 h0 = SFX(dk_adaptive_start)(i, oh, h), h1 = SFX(dk_adaptive_end)(i, oh, h), w0 = SFX(dk_adaptive_start)(j, ow, w), w1 = SFX(dk_adaptive_end)(j, ow, w);
                T s = 0;
                for (dk_i64 a = h0; a < h1; ++a) for (dk_i64 b = w0; b < w1; ++b) s += src[p * h * w + a * w + b];
                dst[q] = s / (T)(h1 - h0) / (T)(w1 - w0);
            }
        } else {
            DK_LOOP(p, planes) {
                for (dk_i64 i = 0; i < oh; ++i) for (dk_i64 j = 0; j < ow; ++j) {
                    dk_i64 h0 = SFX(dk_adaptive_start)(i, oh, h), h1 = SFX(dk_adaptive_end)(i, oh, h), w0 = SFX(dk_adaptive_start)(j, ow, w), w1 = SFX(dk_adaptive_end)(j, ow, w);
                    T delta = src[p * oh * ow + i * ow + j] / (T)(h1 - h0) / (T)(w1 - w0);
                    for (dk_i64 a = h0; a < h1; ++a) for (dk_i64 b = w0; b < w1; ++b) dst[p * h * w + a * w + b] += delta;
                }
            }
        }
    }
    /* One LSTM step's pointwise math for (n, hidden) rows: gates i, f, g, o from hw + xw, c, tanh(c), h. */
    DK_KERNEL void SFX(dk_lstm_forward)(dk_i64 n, dk_i64 hd, DK_ARG(const T, hw), DK_ARG(const T, xw), DK_ARG(const T, cp),
                                        DK_ARG(T, act), DK_ARG(T, c), DK_ARG(T, tc), DK_ARG(T, h)) {
        hw += hw_off; xw += xw_off; cp += cp_off; act += act_off; c += c_off; tc += tc_off; h += h_off;
        DK_LOOP(q, n * hd) {
            dk_i64 r = q / hd, j = q % hd, base = r * 4 * hd;
            T i = (T)1 / ((T)1 + exp(-(hw[base + j] + xw[base + j])));
            T f = (T)1 / ((T)1 + exp(-(hw[base + hd + j] + xw[base + hd + j])));
            T g = tanh(hw[base + 2 * hd + j] + xw[base + 2 * hd + j]);
            T o = (T)1 / ((T)1 + exp(-(hw[base + 3 * hd + j] + xw[base + 3 * hd + j])));
            act[base + j] = i; act[base + hd + j] = f; act[base + 2 * hd + j] = g; act[base + 3 * hd + j] = o;
            T cc = f * cp[q] + i * g, t = tanh(cc);
            c[q] = cc; tc[q] = t; h[q] = o * t;
        }
    }
    /* Its gradient: the pre-activations' (gates), and dc replaced by the gradient for the previous c. */
    DK_KERNEL void SFX(dk_lstm_backward)(dk_i64 n, dk_i64 hd, DK_ARG(const T, act), DK_ARG(const T, tc), DK_ARG(const T, cp),
                                         DK_ARG(const T, dh), DK_ARG(T, dc), DK_ARG(T, dg)) {
        act += act_off; tc += tc_off; cp += cp_off; dh += dh_off; dc += dc_off; dg += dg_off;
        DK_LOOP(q, n * hd) {
            dk_i64 r = q / hd, j = q % hd, base = r * 4 * hd;
            T i = act[base + j], f = act[base + hd + j], g = act[base + 2 * hd + j], o = act[base + 3 * hd + j], t = tc[q];
            T dct = dc[q] + dh[q] * o * ((T)1 - t * t);
            dg[base + j] = dct * g * i * ((T)1 - i);
            dg[base + hd + j] = dct * cp[q] * f * ((T)1 - f);
            dg[base + 2 * hd + j] = dct * i * ((T)1 - g * g);
            dg[base + 3 * hd + j] = dh[q] * t * o * ((T)1 - o);
            dc[q] = dct * f;
        }
    }
    """#

    static var conv: String { prelude + instantiate(convBody, KernelType.floats) }

    // MARK: random numbers

    /// PyTorch's CUDA random numbers: curand's Philox4x32-10 (`curand_init(seed, thread, offset)`,
    /// then one `curand4` per round) laid out as PyTorch's `distribution_elementwise_grid_stride_kernel`
    /// lays them: thread `idx` of the grid writes elements idx + k·stride (stride = blocks × 256) from
    /// the k-th value of each of its draws, 4 floats (uniform4/normal4) or 2 doubles per draw.
    static let philox = #"""
    typedef struct { dk_u32 x, y, z, w; } dk_u4;
    #ifdef __OPENCL_VERSION__
    #define DK_SINCOSF(v, s, c) { *(s) = sin(v); *(c) = cos(v); }
    #define DK_SINCOSPI(v, s, c) { *(s) = sinpi(v); *(c) = cospi(v); }
    #define DK_LOGF(x) log(x)
    #define DK_SQRTF(x) sqrt(x)
    #define DK_FMAF(a, b, c) fma(a, b, c)
    #define DK_FAST_LOGF(x) log(x)
    #else
    #define DK_SINCOSF(v, s, c) __sincosf(v, s, c)
    #define DK_SINCOSPI(v, s, c) sincospi(v, s, c)
    #define DK_LOGF(x) logf(x)
    #define DK_SQRTF(x) sqrtf(x)
    #define DK_FMAF(a, b, c) fmaf(a, b, c)
    #define DK_FAST_LOGF(x) __logf(x)
    #endif
    /* exponential_'s log: PyTorch's at::log, which is __logf for float on the device ("fast
       approximation for peak bandwidth", NumericUtils.h) and log for double; OpenCL takes the exact log. */
    #if DK_DOUBLE
    #define DK_EXP_LOG(x) log(x)
    #else
    #define DK_EXP_LOG(x) DK_FAST_LOGF(x)
    #endif
    /* Philox4x32-10 (Salmon et al. 2011), as curand_Philox4x32_10. */
    DK_FN dk_u4 dk_philox(dk_u4 c, dk_u32 k0, dk_u32 k1) {
        for (int r = 0; r < 10; ++r) {
            if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            dk_u64 p0 = (dk_u64)0xD2511F53u * c.x, p1 = (dk_u64)0xCD9E8D57u * c.z;
            dk_u4 n;
            n.x = (dk_u32)(p1 >> 32) ^ c.y ^ k0; n.y = (dk_u32)p1;
            n.z = (dk_u32)(p0 >> 32) ^ c.w ^ k1; n.w = (dk_u32)p0;
            c = n;
        }
        return c;
    }
    /* The call-th curand4 after curand_init(seed, subsequence, offset), for an offset that is a
       multiple of 4 (PyTorch's always is): counter = (offset / 4 + call, subsequence). */
    DK_FN dk_u4 dk_curand4(dk_u64 seed, dk_u64 subsequence, dk_u64 offset, dk_u64 call) {
        dk_u64 lo = offset / 4 + call;
        dk_u4 c;
        c.x = (dk_u32)lo; c.y = (dk_u32)(lo >> 32); c.z = (dk_u32)subsequence; c.w = (dk_u32)(subsequence >> 32);
        return dk_philox(c, (dk_u32)seed, (dk_u32)(seed >> 32));
    }
    /* curand's _curand_uniform: (0, 1]; the product is exact, so fused or not it rounds the same. */
    DK_FN float dk_uniform_f(dk_u32 x) { return DK_FMAF((float)x, 2.3283064e-10f, 2.3283064e-10f / 2.0f); }
    /* curand's _curand_uniform_double_hq: 53 bits from two words, (0, 1]. */
    DK_FN double dk_uniform_d(dk_u32 x, dk_u32 y) {
        dk_u64 z = (dk_u64)x ^ ((dk_u64)y << 21);
        return (double)z * 1.1102230246251565e-16 + 1.1102230246251565e-16 / 2.0;
    }
    /* curand's _curand_box_muller on the device (nvcc fuses v's multiply-add, as PyTorch's build does). */
    DK_FN void dk_box_muller_f(dk_u32 x, dk_u32 y, float *a, float *b) {
        const float twoPiInv32 = 2.3283064e-10f * 6.2831855f;
        float u = dk_uniform_f(x);
        float v = DK_FMAF((float)y, twoPiInv32, twoPiInv32 / 2.0f);
        float s = DK_SQRTF(-2.0f * DK_LOGF(u));
        float sn, cs;
        DK_SINCOSF(v, &sn, &cs);
        *a = sn * s; *b = cs * s;
    }
    /* curand's _curand_box_muller_double. */
    DK_FN void dk_box_muller_d(dk_u4 r, double *a, double *b) {
        dk_u64 zx = (dk_u64)r.x ^ ((dk_u64)r.y << 21), zy = (dk_u64)r.z ^ ((dk_u64)r.w << 21);
        double u = (double)zx * 1.1102230246251565e-16 + 1.1102230246251565e-16 / 2.0;
        double v = (double)zy * (1.1102230246251565e-16 * 2.0) + 1.1102230246251565e-16;
        double s = sqrt(-2.0 * log(u));
        double sn, cs;
        DK_SINCOSPI(v, &sn, &cs);
        *a = sn * s; *b = cs * s;
    }

    /* A draw captured in a CUDA graph reads its seed and the graph's base offset from device memory
       (state[0], state[1]), which each replay sets first (dk_philox_set_state); `offset` is then the
       draw's offset within the graph (PyTorch's PhiloxCudaState with captured_ and philox::unpack). */
    #define DK_PHILOX_UNPACK { if (captured) { state += state_off; seed = state[0]; offset += state[1]; } }
    DK_KERNEL void dk_philox_set_state(dk_i64 seed, dk_i64 offset, DK_ARG(dk_i64, state)) {
        state += state_off;
        if (DK_BID == 0 && DK_TID == 0) { state[0] = seed; state[1] = offset; }
    }

    /* bernoulli_(p tensor), PyTorch's bernoulli_tensor_cuda_kernel (CUDA_tensor_apply2, 4 elements a
       thread): element i is component i % 4 of the one curand_uniform4 of thread i / 4, kept when
       u <= p[i] (p float for float32, double for float64; the comparison in p's type). */
    DK_KERNEL void dk_philox_bernoulli_tensor(dk_i64 n, dk_i64 seed, dk_i64 offset, int captured, DK_ARG(const dk_i64, state),
                                              int f64, DK_ARG(const void, p), DK_ARG(void, out)) {
        DK_PHILOX_UNPACK
        DK_LOOP(t, (n + 3) / 4) {
            dk_u4 r = dk_curand4((dk_u64)seed, (dk_u64)t, (dk_u64)offset, 0);
            float u[4];
            u[0] = dk_uniform_f(r.x); u[1] = dk_uniform_f(r.y); u[2] = dk_uniform_f(r.z); u[3] = dk_uniform_f(r.w);
            for (int k = 0; k < 4; ++k) {
                dk_i64 i = t * 4 + k;
                if (i >= n) break;
                if (f64) {
                    DK_GLOBAL const double *pp = (DK_GLOBAL const double *)p + p_off;
                    ((DK_GLOBAL double *)out + out_off)[i] = (double)u[k] <= pp[i] ? 1.0 : 0.0;
                } else {
                    DK_GLOBAL const float *pp = (DK_GLOBAL const float *)p + p_off;
                    ((DK_GLOBAL float *)out + out_off)[i] = u[k] <= pp[i] ? 1.0f : 0.0f;
                }
            }
        }
    }

    /* int64 random_(from, to): val % range + base, one word per value below 2^28, else two (PyTorch
       2.7+'s CUDA random_from_to_kernel in its public builds; 2.6 and earlier switched at 2^32). */
    DK_KERNEL void dk_philox_randint(dk_i64 n, dk_i64 seed, dk_i64 offset, int captured, DK_ARG(const dk_i64, state),
                                     dk_i64 range, dk_i64 base, DK_ARG(dk_i64, out)) {
        DK_PHILOX_UNPACK
        out += out_off;
        dk_i64 idx = DK_BID * DK_BDIM + DK_TID, stride = DK_GDIM * DK_BDIM;
        dk_u64 rg = (dk_u64)range;
        int wide = rg >= ((dk_u64)1 << 28), unroll = wide ? 2 : 4;
        dk_u64 call = 0;
        for (dk_i64 li0 = idx; li0 < n; li0 += stride * unroll, ++call) {
            dk_u4 r = dk_curand4((dk_u64)seed, (dk_u64)idx, (dk_u64)offset, call);
            dk_u64 v[4];
            if (wide) { v[0] = ((dk_u64)r.x << 32) | r.y; v[1] = ((dk_u64)r.z << 32) | r.w; }
            else { v[0] = r.x; v[1] = r.y; v[2] = r.z; v[3] = r.w; }
            for (int k = 0; k < unroll; ++k) {
                dk_i64 li = li0 + stride * k;
                if (li < n) out[li] = (dk_i64)(v[k] % rg + (dk_u64)base);
            }
        }
    }

    /* randperm's keys masked to their low `bits` bits (PyTorch sorts by those bits only). */
    DK_KERNEL void dk_randperm_mask(dk_i64 n, dk_i64 mask, DK_ARG(dk_i64, keys)) {
        keys += keys_off;
        DK_LOOP(i, n) keys[i] &= mask;
    }
    /* randperm's shuffle of the runs of equal keys left by the stable sort (PyTorch's
       randperm_handle_duplicate_keys_kernel): the first position of each run shuffles the run's
       values with Fisher-Yates, j = curand() % (i + 1) for i from the run's end down, its words
       drawn in order from curand_init(seed, position, offset). */
    DK_KERNEL void dk_randperm_islands(dk_i64 n, dk_i64 seed, dk_i64 offset, int captured, DK_ARG(const dk_i64, state),
                                       DK_ARG(const dk_i64, keys), DK_ARG(dk_i64, data)) {
        DK_PHILOX_UNPACK
        keys += keys_off; data += data_off;
        DK_LOOP(tid, n - 1) {
            if (keys[tid] != keys[tid + 1]) continue;
            if (tid != 0 && keys[tid] == keys[tid - 1]) continue;
            dk_i64 size = 0;
            do { size++; } while (tid + size < n && keys[tid + size] == keys[tid]);
            dk_u4 r = {0, 0, 0, 0};
            dk_u64 call = 0;
            int used = 4;
            for (dk_i64 i = size - 1; i > 0; i--) {
                if (used == 4) { r = dk_curand4((dk_u64)seed, (dk_u64)tid, (dk_u64)offset, call++); used = 0; }
                dk_u32 w = used == 0 ? r.x : used == 1 ? r.y : used == 2 ? r.z : r.w;
                used++;
                dk_i64 j = (dk_i64)(w % (dk_u32)(i + 1));
                if (i != j) { dk_i64 v = data[tid + i]; data[tid + i] = data[tid + j]; data[tid + j] = v; }
            }
        }
    }

    """#

    /// The float and double draws: kind 0 uniform(a, b), 1 normal(mean a, std b), 2 bernoulli(p a),
    /// 3 exponential(lambda a), with PyTorch's transformations in the accumulate type (float for float);
    /// kind 4 is native_dropout's keep mask (keep a, b elements a thread and round, see below).
    static let philoxBody = #"""
    DK_KERNEL void SFX(dk_philox)(int kind, dk_i64 n, dk_i64 seed, dk_i64 offset, int captured, DK_ARG(const dk_i64, state),
                                  double a, double b, DK_ARG(T, out)) {
        DK_PHILOX_UNPACK
        out += out_off;
        dk_i64 idx = DK_BID * DK_BDIM + DK_TID, stride = DK_GDIM * DK_BDIM;
    #if DK_DOUBLE
        const int unroll = 2;
        const double eps = 2.220446049250313e-16;
        double from = a, to = b, range = to - from, mean = a, sd = b, p = a, lambd = a;
    #else
        const int unroll = 4;
        const float eps = 1.1920929e-07f;
        float from = (float)a, to = (float)b, range = to - from, mean = (float)a, sd = (float)b, p = (float)a, lambd = (float)a;
    #endif
        dk_u64 call = 0;
        if (kind == 4 && b > 1) {
            /* fused_dropout_kernel_vec: thread idx keeps or drops vec consecutive elements a round, from
               the first vec floats of one curand_uniform4, compared in the accumulate type */
            int vec = (int)b;
            for (dk_i64 li = idx * vec; li < n; li += stride * vec, ++call) {
                dk_u4 r = dk_curand4((dk_u64)seed, (dk_u64)idx, (dk_u64)offset, call);
                float u[4];
                u[0] = dk_uniform_f(r.x); u[1] = dk_uniform_f(r.y); u[2] = dk_uniform_f(r.z); u[3] = dk_uniform_f(r.w);
                for (int k = 0; k < vec; ++k) out[li + k] = (T)u[k] < p ? (T)1 : (T)0;
            }
            return;
        }
        int rounds4 = kind == 4 ? 4 : unroll;   /* fused_dropout_kernel draws floats for every dtype */
        for (dk_i64 li0 = idx; li0 < n; li0 += stride * rounds4, ++call) {
            dk_u4 r = dk_curand4((dk_u64)seed, (dk_u64)idx, (dk_u64)offset, call);
            T v[4];
            if (kind == 1) {
    #if DK_DOUBLE
                dk_box_muller_d(r, &v[0], &v[1]);
    #else
                dk_box_muller_f(r.x, r.y, &v[0], &v[1]);
                dk_box_muller_f(r.z, r.w, &v[2], &v[3]);
    #endif
            } else if (kind == 4) {
                v[0] = (T)dk_uniform_f(r.x); v[1] = (T)dk_uniform_f(r.y); v[2] = (T)dk_uniform_f(r.z); v[3] = (T)dk_uniform_f(r.w);
            } else {
    #if DK_DOUBLE
                v[0] = dk_uniform_d(r.x, r.y); v[1] = dk_uniform_d(r.z, r.w);
    #else
                v[0] = dk_uniform_f(r.x); v[1] = dk_uniform_f(r.y); v[2] = dk_uniform_f(r.z); v[3] = dk_uniform_f(r.w);
    #endif
            }
            for (int k = 0; k < rounds4; ++k) {
                dk_i64 li = li0 + stride * k;
                if (li >= n) continue;
                T x = v[k], y;
                switch (kind) {
                case 0: y = fma(x, range, from); y = y == to ? from : y; break;
                case 1: y = fma(x, sd, mean); break;
                case 2: case 4: y = x < p ? (T)1 : (T)0; break;
                default: { T lg = x >= (T)1 - eps / 2 ? -eps / 2 : DK_EXP_LOG(x); y = ((T)-1 / lambd) * lg; }
                }
                out[li] = y;
            }
        }
    }

    /* multinomial with replacement (PyTorch's sampleMultinomialWithReplacement on its grid of
       gx = ceil(samples / 128) by gy = min(rows, 65535) blocks of 128): sample s of row d is the first
       word of the (d / gy)-th curand_uniform4 of thread (d % gy)·gx·128 + s, as T, found by binary
       search in the row's running sums, then moved back over categories of probability 0. */
    DK_KERNEL void SFX(dk_multinomial)(dk_i64 rows, dk_i64 cats, dk_i64 samples, dk_i64 gx, dk_i64 gy, dk_i64 seed, dk_i64 offset,
                                       int captured, DK_ARG(const dk_i64, state), DK_ARG(const T, cum), DK_ARG(const T, dist), DK_ARG(dk_i64, out)) {
        DK_PHILOX_UNPACK
        cum += cum_off; dist += dist_off; out += out_off;
        DK_LOOP(e, rows * samples) {
            dk_i64 d = e / samples, s = e % samples;
            dk_u4 r = dk_curand4((dk_u64)seed, (dk_u64)((d % gy) * gx * 128 + s), (dk_u64)offset, (dk_u64)(d / gy));
            T val = (T)dk_uniform_f(r.x);
            DK_GLOBAL const T *c = cum + d * cats;
            dk_i64 start = 0, end = cats;
            while (end - start > 0) {
                dk_i64 mid = start + (end - start) / 2;
                if (c[mid] < val) start = mid + 1; else end = mid;
            }
            if (start == cats) start = cats - 1;
            while (start >= 1 && dist[d * cats + start] == 0) start--;
            out[e] = start;
        }
    }
    """#

    static var random: String {
        prelude + philox + "#define DK_DOUBLE 0\n" + instantiate(philoxBody, [.f32]) + "#undef DK_DOUBLE\n#define DK_DOUBLE 1\n"
            + instantiate(philoxBody, [.f64]) + "#undef DK_DOUBLE\n"
    }

    /// Every source with its name and some of the kernels it must define (checked in its PTX).
    static let all: [(name: String, source: String, entries: [String])] = {
        [("elementwise", elementwise, ["dk_binary_f32", "dk_binary_i64", "dk_binary_scalar_f32", "dk_compare_scalar_b8", "dk_compare_b8", "dk_unary_f32", "dk_unary_f64", "dk_unary_i64",
                                       "dk_fill_f32", "dk_bias_activation_f64", "dk_erfinv_f32", "dk_erfinv_f64", "dk_special_f32", "dk_special_f64", "dk_copy_strided_4", "dk_where_8", "dk_cast_f32_i64", "dk_cast_u8_b8", "dk_axpy_f32"]),
         ("reductions", reductions, ["dk_reduce_f32", "dk_reduce_b8", "dk_arg_reduce_f64", "dk_softmax_f32", "dk_softmax_backward_f64",
                                     "dk_cumsum_f32", "dk_cumprod_f64"]),
         ("indexing", indexing, ["dk_gemm_f32", "dk_gemm_f64", "dk_index_select_f32", "dk_index_add_i64", "dk_gather_b8", "dk_scatter_f32", "dk_scatter_b8", "dk_sort_f64", "dk_sort_u8",
                                   "dk_sort_start_i64", "dk_sort_stage_f32", "dk_nonzero_count", "dk_nonzero_write"]),
         ("training", training, ["dk_nll_forward_f32", "dk_nll_backward_f64", "dk_sgd_f32", "dk_adam_f64", "dk_adam_multi_f32", "dk_sgd_multi_f64", "dk_adam_device_step_f32", "dk_step_increment_f64"]),
         ("random", random, ["dk_philox_f32", "dk_philox_f64", "dk_philox_randint", "dk_philox_set_state", "dk_philox_bernoulli_tensor",
                             "dk_randperm_mask", "dk_randperm_islands", "dk_multinomial_f32", "dk_multinomial_f64"]),
         ("conv", conv, ["dk_im2col_f32", "dk_col2im_f64", "dk_channel_bias_f32", "dk_max_pool_forward_f32", "dk_max_pool_backward_f64",
                         "dk_avg_pool_forward_f32", "dk_avg_pool_backward_f64"])]
    }()

    /// The source (name and text) that defines the kernel `name`.
    static func source(of kernel: String) -> (String, String)? {
        let prefixes: [(String, String)] = [
            ("dk_binary", "elementwise"), ("dk_compare", "elementwise"), ("dk_fill", "elementwise"), ("dk_unary", "elementwise"),
            ("dk_axpy", "elementwise"), ("dk_bias_activation", "elementwise"), ("dk_copy_strided", "elementwise"), ("dk_where", "elementwise"), ("dk_cast", "elementwise"),
            ("dk_reduce", "reductions"), ("dk_arg_reduce", "reductions"), ("dk_softmax", "reductions"), ("dk_cumsum", "reductions"),
            ("dk_cumprod", "reductions"), ("dk_gemm", "indexing"), ("dk_index", "indexing"), ("dk_gather", "indexing"), ("dk_scatter", "indexing"), ("dk_sort", "indexing"), ("dk_nonzero", "indexing"), ("dk_erfinv", "elementwise"), ("dk_special", "elementwise"),
            ("dk_nll", "training"), ("dk_bce", "training"), ("dk_step_increment", "training"), ("dk_sgd", "training"), ("dk_adam", "training"), ("dk_rmsprop", "training"), ("dk_adagrad", "training"),
            ("dk_adadelta", "training"), ("dk_adamax", "training"), ("dk_asgd", "training"), ("dk_rprop", "training"), ("dk_nadam", "training"),
            ("dk_radam", "training"), ("dk_sparse_adam", "training"), ("dk_philox", "random"), ("dk_randperm", "random"), ("dk_multinomial", "random"),
            ("dk_im2col", "conv"), ("dk_col2im", "conv"), ("dk_channel_bias", "conv"), ("dk_max_pool", "conv"), ("dk_avg_pool", "conv"), ("dk_bn", "conv"), ("dk_adaptive_avg_pool", "conv"), ("dk_lstm", "conv"),
        ]
        guard let (_, name) = prefixes.filter({ kernel.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }),
              let s = all.first(where: { $0.name == name }) else { return nil }
        return (name, s.source)
    }
}
