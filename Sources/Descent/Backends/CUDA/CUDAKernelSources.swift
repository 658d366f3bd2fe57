// The CUDA backend's kernels, as CUDA C source compiled by NVRTC for the device's architecture at
// first use (issue #12). They mirror the CPU kernels' operation codes (`BinaryOp`, `UnaryOp`,
// `ReduceOp`) so that `Kernels` can hand either backend the same request. `.ci/run` compiles every
// source here for sm_80 and sm_90 with the real NVRTC and fails on any error or warning; the GPU
// suite (on a machine with a GPU) checks their results against the CPU's.

enum CUDAKernelSources {
    /// Elementwise kernels: binary ops with broadcasting strides, unary ops with two parameters,
    /// fill, where, axpy. One thread per output element (grid-stride loops).
    static let elementwise = #"""
    #define DK_MAX_DIMS 8
    struct dk_shape { long long n[DK_MAX_DIMS]; long long sa[DK_MAX_DIMS]; long long sb[DK_MAX_DIMS]; int ndim; };

    template <typename T> __device__ T dk_binary_op(int op, T a, T b) {
        switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4: return pow(a, b);
        case 5: return (a != a || a > b) ? a : b;   // maximum propagates NaN
        case 6: return (a != a || a < b) ? a : b;   // minimum propagates NaN
        case 13: return b > T(0) ? a : T(0);                 // relu backward (b = relu output)
        case 14: return a * b * (T(1) - b);                  // sigmoid backward (b = sigmoid output)
        case 15: return a * (T(1) - b * b);                  // tanh backward (b = tanh output)
        case 18: return fmod(a, b);
        case 19: { T r = fmod(a, b); return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? r + b : r; }
        default: return T(0);
        }
    }
    template <typename T> __device__ unsigned char dk_compare_op(int op, T a, T b) {
        switch (op) {
        case 7: return a == b;
        case 8: return a != b;
        case 9: return a < b;
        case 10: return a <= b;
        case 11: return a > b;
        case 12: return a >= b;
        case 16: return (a != T(0)) && (b != T(0));
        case 17: return (a != T(0)) || (b != T(0));
        default: return 0;
        }
    }
    __device__ void dk_offsets(long long i, const dk_shape &s, long long *oa, long long *ob) {
        long long a = 0, b = 0;
        for (int d = s.ndim - 1; d >= 0; --d) {
            long long k = i % s.n[d];
            i /= s.n[d];
            a += k * s.sa[d];
            b += k * s.sb[d];
        }
        *oa = a; *ob = b;
    }
    template <typename T> __device__ void dk_binary_t(int op, long long n, dk_shape s, T *out, const T *a, const T *b) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
            long long oa, ob;
            dk_offsets(i, s, &oa, &ob);
            out[i] = dk_binary_op<T>(op, a[oa], b[ob]);
        }
    }
    template <typename T> __device__ void dk_compare_t(int op, long long n, dk_shape s, unsigned char *out, const T *a, const T *b) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
            long long oa, ob;
            dk_offsets(i, s, &oa, &ob);
            out[i] = dk_compare_op<T>(op, a[oa], b[ob]);
        }
    }
    template <typename T> __device__ T dk_unary_op(int op, T x, T p1, T p2) {
        switch (op) {
        case 0: return -x;
        case 1: return exp(x);
        case 2: return log(x);
        case 3: return sqrt(x);
        case 4: return fabs(x);
        case 5: return sin(x);
        case 6: return cos(x);
        case 7: return tanh(x);
        case 8: return T(1) / (T(1) + exp(-x));
        case 9: return x > T(0) ? x : T(0);
        case 10: return fmin(fmax(x, p1), p2);
        case 11: return pow(x, p1);
        case 12: return x > T(0) ? x : p1 * x;
        case 13: return x > T(0) ? x : p1 * (exp(x) - T(1));
        case 14: return x * T(0.5) * (T(1) + erf(x * T(0.70710678118654752440)));
        case 15: return x / (T(1) + exp(-x));
        case 16: return log1p(x);
        case 17: return expm1(x);
        case 18: return rsqrt(x);
        case 19: return x * x;
        case 20: return T((x > T(0)) - (x < T(0)));
        case 21: return T(1) / x;
        case 22: return floor(x);
        case 23: return ceil(x);
        case 24: return rint(x);
        case 25: return x * p1 + p2;
        case 26: return p1 - x;
        case 27: return fmin(x, T(0)) - log1p(exp(-fabs(x)));
        case 28: return fmax(x, T(0)) + log1p(exp(-fabs(x)));
        case 29: return erf(x);
        case 30: return trunc(x);
        default: return x;
        }
    }
    template <typename T> __device__ void dk_unary_t(int op, long long n, const T *x, T *y, double p1, double p2) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            y[i] = dk_unary_op<T>(op, x[i], T(p1), T(p2));
    }

    extern "C" {
    __global__ void dk_binary_f32(int op, long long n, dk_shape s, float *out, const float *a, const float *b) { dk_binary_t<float>(op, n, s, out, a, b); }
    __global__ void dk_binary_f64(int op, long long n, dk_shape s, double *out, const double *a, const double *b) { dk_binary_t<double>(op, n, s, out, a, b); }
    __global__ void dk_compare_f32(int op, long long n, dk_shape s, unsigned char *out, const float *a, const float *b) { dk_compare_t<float>(op, n, s, out, a, b); }
    __global__ void dk_compare_f64(int op, long long n, dk_shape s, unsigned char *out, const double *a, const double *b) { dk_compare_t<double>(op, n, s, out, a, b); }
    __global__ void dk_compare_i64(int op, long long n, dk_shape s, unsigned char *out, const long long *a, const long long *b) { dk_compare_t<long long>(op, n, s, out, a, b); }
    __global__ void dk_unary_f32(int op, long long n, const float *x, float *y, double p1, double p2) { dk_unary_t<float>(op, n, x, y, p1, p2); }
    __global__ void dk_unary_f64(int op, long long n, const double *x, double *y, double p1, double p2) { dk_unary_t<double>(op, n, x, y, p1, p2); }
    __global__ void dk_fill_f32(long long n, float *p, double v) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) p[i] = (float)v;
    }
    __global__ void dk_fill_f64(long long n, double *p, double v) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) p[i] = v;
    }
    __global__ void dk_where_f32(long long n, const unsigned char *c, const float *a, const float *b, float *out) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) out[i] = c[i] ? a[i] : b[i];
    }
    __global__ void dk_axpy_f32(long long n, float alpha, const float *x, float *y) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) y[i] += alpha * x[i];
    }
    }
    """#

    /// Reductions over the middle axis of an (outer, r, inner) block (one block per output, a tree
    /// reduction in shared memory, accumulated in double for float32 sums as the CPU does), and
    /// softmax / log-softmax along rows.
    static let reductions = #"""
    template <typename T, typename Acc> __device__ void dk_reduce_sum_t(long long outer, long long r, long long inner, const T *x, T *out) {
        __shared__ Acc partial[256];
        long long o = blockIdx.x / inner, k = blockIdx.x % inner;
        Acc acc = Acc(0);
        for (long long j = threadIdx.x; j < r; j += blockDim.x) acc += (Acc)x[(o * r + j) * inner + k];
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
            __syncthreads();
        }
        if (threadIdx.x == 0 && o < outer) out[o * inner + k] = (T)partial[0];
    }
    template <typename T> __device__ T dk_negative_infinity();
    template <> __device__ float dk_negative_infinity<float>() { return -__int_as_float(0x7f800000); }
    template <> __device__ double dk_negative_infinity<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }
    template <typename T> __device__ void dk_softmax_rows_t(int isLog, long long rows, long long r, const T *x, T *y) {
        __shared__ T scratch[256];
        long long row = blockIdx.x;
        if (row >= rows) return;
        const T *xr = x + row * r;
        T *yr = y + row * r;
        T m = dk_negative_infinity<T>();
        for (long long j = threadIdx.x; j < r; j += blockDim.x) m = fmax(m, xr[j]);
        scratch[threadIdx.x] = m;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) scratch[threadIdx.x] = fmax(scratch[threadIdx.x], scratch[threadIdx.x + s]);
            __syncthreads();
        }
        m = scratch[0];
        __syncthreads();
        T sum = T(0);
        for (long long j = threadIdx.x; j < r; j += blockDim.x) sum += exp(xr[j] - m);
        scratch[threadIdx.x] = sum;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
            __syncthreads();
        }
        sum = scratch[0];
        for (long long j = threadIdx.x; j < r; j += blockDim.x)
            yr[j] = isLog ? xr[j] - m - log(sum) : exp(xr[j] - m) / sum;
    }

    extern "C" {
    __global__ void dk_sum_f32(long long outer, long long r, long long inner, const float *x, float *out) { dk_reduce_sum_t<float, double>(outer, r, inner, x, out); }
    __global__ void dk_sum_f64(long long outer, long long r, long long inner, const double *x, double *out) { dk_reduce_sum_t<double, double>(outer, r, inner, x, out); }
    __global__ void dk_softmax_f32(int isLog, long long rows, long long r, const float *x, float *y) { dk_softmax_rows_t<float>(isLog, rows, r, x, y); }
    __global__ void dk_softmax_f64(int isLog, long long rows, long long r, const double *x, double *y) { dk_softmax_rows_t<double>(isLog, rows, r, x, y); }
    }
    """#

    /// Fused optimizer updates, in PyTorch's order of operations (SGD with momentum, Adam/AdamW).
    static let optimizers = #"""
    template <typename T> __device__ void dk_sgd_t(long long n, T *p, const T *g, T *buf, double lr, double momentum, double dampening,
                                                   double wd, int nesterov, int first, int maximize) {
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
            T d = maximize ? -g[i] : g[i];
            if (wd != 0) d += T(wd) * p[i];
            if (momentum != 0) {
                T b = first ? d : T(momentum) * buf[i] + T(1 - dampening) * d;
                buf[i] = b;
                d = nesterov ? d + T(momentum) * b : b;
            }
            p[i] -= T(lr) * d;
        }
    }
    template <typename T> __device__ void dk_adam_t(long long n, T *p, const T *g, T *m, T *v, T *vmax, double lr, double b1, double b2,
                                                    double eps, double wd, long long step, int decoupled, int maximize) {
        double bc1 = 1 - pow(b1, (double)step), bc2 = 1 - pow(b2, (double)step);
        T stepSize = T(lr / bc1), bc2Sqrt = T(sqrt(bc2));
        for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
            T gi = maximize ? -g[i] : g[i];
            if (wd != 0) { if (decoupled) p[i] *= T(1 - lr * wd); else gi += T(wd) * p[i]; }
            m[i] += (gi - m[i]) * T(1 - b1);
            v[i] = v[i] * T(b2) + gi * gi * T(1 - b2);
            T denomSource = v[i];
            if (vmax) { vmax[i] = fmax(vmax[i], v[i]); denomSource = vmax[i]; }
            T denom = sqrt(denomSource) / bc2Sqrt + T(eps);
            p[i] -= stepSize * m[i] / denom;
        }
    }
    extern "C" {
    __global__ void dk_sgd_f32(long long n, float *p, const float *g, float *buf, double lr, double momentum, double dampening,
                               double wd, int nesterov, int first, int maximize) { dk_sgd_t<float>(n, p, g, buf, lr, momentum, dampening, wd, nesterov, first, maximize); }
    __global__ void dk_adam_f32(long long n, float *p, const float *g, float *m, float *v, float *vmax, double lr, double b1, double b2,
                                double eps, double wd, long long step, int decoupled, int maximize) { dk_adam_t<float>(n, p, g, m, v, vmax, lr, b1, b2, eps, wd, step, decoupled, maximize); }
    }
    """#

    /// Every source with its name and the kernels it must define.
    static let all: [(name: String, source: String, entries: [String])] = [
        ("elementwise", elementwise, ["dk_binary_f32", "dk_binary_f64", "dk_compare_f32", "dk_compare_i64", "dk_unary_f32", "dk_unary_f64",
                                      "dk_fill_f32", "dk_where_f32", "dk_axpy_f32"]),
        ("reductions", reductions, ["dk_sum_f32", "dk_sum_f64", "dk_softmax_f32", "dk_softmax_f64"]),
        ("optimizers", optimizers, ["dk_sgd_f32", "dk_adam_f32"]),
    ]
}
