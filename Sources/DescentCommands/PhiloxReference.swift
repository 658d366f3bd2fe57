#if canImport(Glibc)
import Glibc
#endif

/// A host twin of curand's `curandStatePhilox4_32_10` (curand_kernel.h: `curand_init`, `curand4`,
/// `curand_uniform4`, `curand_normal4`, `curand_uniform2_double`, `curand_normal2_double`), written
/// from NVIDIA's headers, to check the GPU kernels and the layout against: the tests and the GPU
/// suite compare the device's draws with it.
public struct CurandPhilox {
    var ctr: [UInt32], key: [UInt32], output: [UInt32], state: Int

    /// Philox4x32-10 of one counter under one key (Random123's and curand's `curand_Philox4x32_10`).
    public static func block(_ counter: [UInt32], key: [UInt32]) -> [UInt32] {
        var c = counter, k0 = key[0], k1 = key[1]
        for round in 0..<10 {
            if round > 0 { k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85 }
            let p0 = UInt64(0xD251_1F53) * UInt64(c[0]), p1 = UInt64(0xCD9E_8D57) * UInt64(c[2])
            c = [UInt32(truncatingIfNeeded: p1 >> 32) ^ c[1] ^ k0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ c[3] ^ k1, UInt32(truncatingIfNeeded: p0)]
        }
        return c
    }

    /// `curand_init(seed, subsequence, offset, &state)`.
    public init(seed: UInt64, subsequence: UInt64, offset: UInt64) {
        key = [UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)]
        ctr = [0, 0, UInt32(truncatingIfNeeded: subsequence), UInt32(truncatingIfNeeded: subsequence >> 32)]
        state = Int(offset & 3)
        let skip = offset / 4
        let lo = UInt64(ctr[0]) | UInt64(ctr[1]) << 32
        ctr[0] = UInt32(truncatingIfNeeded: lo &+ skip); ctr[1] = UInt32(truncatingIfNeeded: (lo &+ skip) >> 32)
        output = Self.block(ctr, key: key)
    }

    /// `curand4`: the next four 32-bit words.
    public mutating func next4() -> [UInt32] {
        let previous = output
        ctr[0] &+= 1
        if ctr[0] == 0 { ctr[1] &+= 1; if ctr[1] == 0 { ctr[2] &+= 1; if ctr[2] == 0 { ctr[3] &+= 1 } } }
        output = Self.block(ctr, key: key)
        return Array((previous + output)[state..<state + 4])
    }

    /// `curand`: the next 32-bit word (the state's words in order, a new block after the fourth).
    public mutating func next() -> UInt32 {
        let word = output[state]
        state += 1
        if state == 4 {
            ctr[0] &+= 1
            if ctr[0] == 0 { ctr[1] &+= 1; if ctr[1] == 0 { ctr[2] &+= 1; if ctr[2] == 0 { ctr[3] &+= 1 } } }
            output = Self.block(ctr, key: key)
            state = 0
        }
        return word
    }

    static let twoPow32Inv: Float = 2.3283064e-10
    static let twoPow53Inv = 1.1102230246251565e-16
    /// `_curand_uniform`: (0, 1].
    public static func uniform(_ x: UInt32) -> Float { Float(x) * twoPow32Inv + twoPow32Inv / 2 }
    /// `_curand_uniform_double_hq`: 53 bits from two words, (0, 1].
    public static func uniformDouble(_ x: UInt32, _ y: UInt32) -> Double {
        Double(UInt64(x) ^ (UInt64(y) << 21)) * twoPow53Inv + twoPow53Inv / 2
    }
    /// `_curand_box_muller`, with v's multiply-add fused as nvcc compiles it for the device.
    public static func boxMuller(_ x: UInt32, _ y: UInt32) -> (Float, Float) {
        let c: Float = 2.3283064e-10 * 6.2831855
        let u = uniform(x), v = (c / 2).addingProduct(Float(y), c)
        let s = sqrtf(-2 * logf(u))
        return (sinf(v) * s, cosf(v) * s)
    }
    /// `_curand_box_muller_double`.
    public static func boxMullerDouble(_ r: [UInt32]) -> (Double, Double) {
        let u = Double(UInt64(r[0]) ^ (UInt64(r[1]) << 21)) * twoPow53Inv + twoPow53Inv / 2
        let v = Double(UInt64(r[2]) ^ (UInt64(r[3]) << 21)) * (twoPow53Inv * 2) + twoPow53Inv
        let s = (-2 * log(u)).squareRoot()
        return (sin(v * Double.pi) * s, cos(v * Double.pi) * s)
    }
}

/// What PyTorch's CUDA random kernels write (`distribution_elementwise_grid_stride_kernel` with the
/// transformations of its DistributionTemplates.h), computed on the host with `CurandPhilox`.
public enum PhiloxReference {
    public enum Draw {
        case uniform(from: Double, to: Double), normal(mean: Double, std: Double), bernoulli(Double), exponential(Double), randint(low: Int, high: Int)
        /// native_dropout's keep mask, `vector` consecutive elements a thread (4, 2), or 1: the grid-stride layout of 4 floats.
        case dropout(keep: Double, vector: Int)
    }

    /// The `n` values a `blocks`-block launch writes for `draw` from (seed, offset); `double` for
    /// float64 tensors (two values per curand4 call instead of four floats).
    public static func values(_ draw: Draw, n: Int, double: Bool, seed: UInt64, offset: UInt64, blocks: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: n)
        let stride = blocks * 256
        if case let .dropout(keep, vector) = draw {
            let kept = { (u: Float) -> Double in (double ? Double(u) < keep : u < Float(keep)) ? 1 : 0 }
            for idx in 0..<stride {
                var state = CurandPhilox(seed: seed, subsequence: UInt64(idx), offset: offset)
                var li = idx * vector
                while li < n {
                    let u = state.next4().map(CurandPhilox.uniform)
                    if vector > 1 {
                        for k in 0..<vector { out[li + k] = kept(u[k]) }
                    } else {
                        for k in 0..<4 where li + stride * k < n { out[li + stride * k] = kept(u[k]) }
                    }
                    li += stride * (vector > 1 ? vector : 4)
                }
            }
            return out
        }
        if case let .randint(low, high) = draw {
            return integers(low: low, high: high, n: n, seed: seed, offset: offset, blocks: blocks).map(Double.init)
        }
        let unroll = double ? 2 : 4
        for idx in 0..<stride {
            var state = CurandPhilox(seed: seed, subsequence: UInt64(idx), offset: offset)
            var base = idx
            while base < n {
                let r = state.next4()
                var v: [Double]
                switch draw {
                case .randint:
                    fatalError("randint is drawn by integers(low:high:n:seed:offset:blocks:)")
                case .normal(let mean, let std):
                    if double {
                        let (a, b) = CurandPhilox.boxMullerDouble(r)
                        v = [a, b].map { mean.addingProduct($0, std) }
                    } else {
                        let (a, b) = CurandPhilox.boxMuller(r[0], r[1]), (c, d) = CurandPhilox.boxMuller(r[2], r[3])
                        v = [a, b, c, d].map { Double(Float(mean).addingProduct($0, Float(std))) }
                    }
                default:
                    if double {
                        v = [CurandPhilox.uniformDouble(r[0], r[1]), CurandPhilox.uniformDouble(r[2], r[3])].map { transform(draw, $0) }
                    } else {
                        v = r.map { Double(transform(draw, CurandPhilox.uniform($0))) }
                    }
                }
                for k in 0..<unroll where base + stride * k < n { out[base + stride * k] = v[k] }
                base += stride * unroll
            }
        }
        return out
    }

    /// What PyTorch's CUDA `random_(low, high)` writes: `word % range + low`, one 32-bit word a value
    /// below a range of 2^28 (4 values a thread's round), else two (2 values a round).
    public static func integers(low: Int, high: Int, n: Int, seed: UInt64, offset: UInt64, blocks: Int) -> [Int64] {
        let range = UInt64(bitPattern: Int64(high)) &- UInt64(bitPattern: Int64(low))
        let unroll = range >= 1 << 28 ? 2 : 4, stride = blocks * 256
        var out = [Int64](repeating: 0, count: n)
        for idx in 0..<stride {
            var state = CurandPhilox(seed: seed, subsequence: UInt64(idx), offset: offset)
            var base = idx
            while base < n {
                let r = state.next4()
                let words: [UInt64] = unroll == 2 ? [UInt64(r[0]) << 32 | UInt64(r[1]), UInt64(r[2]) << 32 | UInt64(r[3])] : r.map(UInt64.init)
                for k in 0..<unroll where base + stride * k < n { out[base + stride * k] = Int64(bitPattern: words[k] % range &+ UInt64(bitPattern: Int64(low))) }
                base += stride * unroll
            }
        }
        return out
    }

    /// PyTorch's CUDA `randperm(n)` (Randperm.cu): keys from `random_(INT_MIN, INT_MAX)` (int32, when
    /// `bits` <= 32) or `random_(INT64_MIN, INT64_MAX)` drawn from (seed, offset) by `keyBlocks` blocks;
    /// 0..<n stably sorted by the keys' low `bits` bits (all of an int32 key, signed); then each run of
    /// equal keys shuffled by its first position `tid` with Fisher-Yates from `curand_init(seed, tid,
    /// islandOffset)`. Also returns how many runs the shuffle reordered.
    public static func randperm(_ n: Int, seed: UInt64, offset: UInt64, keyBlocks: Int, islandOffset: UInt64) -> (perm: [Int64], reordered: Int) {
        let nd = Double(n)
        let bits = Swift.min(64, Int(ceil(log2(nd - (6 * nd * nd + 1) / (log(0.9) * 12)))))
        let keys = bits <= 32 ? integers(low: Int(Int32.min), high: Int(Int32.max), n: n, seed: seed, offset: offset, blocks: keyBlocks)
                              : integers(low: Int.min, high: Int.max, n: n, seed: seed, offset: offset, blocks: keyBlocks)
        let sortKey: [Int64] = bits == 32 || bits == 64 ? keys : keys.map { $0 & ((1 << Int64(bits)) - 1) }
        let order = (0..<n).sorted { sortKey[$0] != sortKey[$1] ? sortKey[$0] < sortKey[$1] : $0 < $1 }
        var perm = order.map(Int64.init)
        let sorted = order.map { sortKey[$0] }
        var reordered = 0, start = 0
        while start < n {
            var end = start + 1
            while end < n && sorted[end] == sorted[start] { end += 1 }
            if end - start > 1 {
                var state = CurandPhilox(seed: seed, subsequence: UInt64(start), offset: islandOffset)
                for i in stride(from: end - start - 1, to: 0, by: -1) {
                    let j = Int(state.next() % UInt32(i + 1))
                    perm.swapAt(start + i, start + j)
                }
                if (start..<end).contains(where: { perm[$0] != Int64(order[$0]) }) { reordered += 1 }
            }
            start = end
        }
        return (perm, reordered)
    }

    /// PyTorch's CUDA `multinomial(p, samples, replacement: true)` for `samples` > 1 from (seed, offset):
    /// each row normalised and summed up in its own type (float for float32), then sample s of row d
    /// from the first word of the (d / gy)-th `curand_uniform4` of thread (d % gy)·gx·128 + s
    /// (gx = ceil(samples / 128), gy = min(rows, 65535)), by binary search in the running sums.
    public static func multinomial(_ rows: [[Double]], samples: Int, double: Bool, seed: UInt64, offset: UInt64) -> [[Int64]] {
        let gy = Swift.min(rows.count, 65535), gx = (samples - 1) / 128 + 1
        /// The row's sample for each uniform draw, from its normalised running sums in T.
        func sampler<T: BinaryFloatingPoint>(_ p: [T]) -> (Float) -> Int64 {
            let total = p.reduce(0, +)
            let dist = p.map { $0 / total }
            var cum: [T] = [], acc: T = 0
            for v in dist { acc += v; cum.append(acc) }
            return { u in
                let val = T(u)
                var start = 0, end = p.count
                while end - start > 0 {
                    let mid = start + (end - start) / 2
                    if cum[mid] < val { start = mid + 1 } else { end = mid }
                }
                if start == p.count { start = p.count - 1 }
                while start >= 1 && dist[start] == 0 { start -= 1 }
                return Int64(start)
            }
        }
        return rows.enumerated().map { d, p in
            let sample = double ? sampler(p) : sampler(p.map { Float($0) })
            return (0..<samples).map { s in
                var state = CurandPhilox(seed: seed, subsequence: UInt64((d % gy) * gx * 128 + s), offset: offset)
                var r = state.next4()
                for _ in 0..<(d / gy) { r = state.next4() }
                return sample(CurandPhilox.uniform(r[0]))
            }
        }
    }

    /// What PyTorch's `bernoulli_tensor_cuda_kernel` writes for probabilities `p` from (seed, offset):
    /// element i is kept when component i % 4 of thread i / 4's one `curand_uniform4` is <= p[i]
    /// (compared in float for float32 tensors, in double for float64).
    public static func bernoulliTensor(_ p: [Double], double: Bool, seed: UInt64, offset: UInt64) -> [Double] {
        var out = [Double](repeating: .nan, count: p.count)
        for t in 0..<(p.count + 3) / 4 {
            var state = CurandPhilox(seed: seed, subsequence: UInt64(t), offset: offset)
            let u = state.next4().map(CurandPhilox.uniform)
            for k in 0..<4 where t * 4 + k < p.count {
                let i = t * 4 + k
                out[i] = (double ? Double(u[k]) <= p[i] : u[k] <= Float(p[i])) ? 1 : 0
            }
        }
        return out
    }

    /// The elements where `got` differs from `want`: at all when `exact`, else by more than `tolerance` (relative above 1).
    static func mismatches(_ got: [Double], _ want: [Double], exact: Bool, tolerance: Double) -> [(offset: Int, got: Double, want: Double)] {
        zip(got, want).enumerated().filter { _, p in exact ? p.0 != p.1 : !(abs(p.0 - p.1) <= tolerance * Swift.max(1, abs(p.1))) }
            .map { ($0.offset, $0.element.0, $0.element.1) }
    }

    /// PyTorch's transformation of one uniform value, in the tensor's accumulate type.
    static func transform<T: BinaryFloatingPoint>(_ draw: Draw, _ x: T) -> T {
        switch draw {
        case let .uniform(from, to):
            let f = T(from), t = T(to), y = f.addingProduct(x, t - f)
            return y == t ? f : y
        case .bernoulli(let p): return x < T(p) ? 1 : 0
        case .exponential(let lambd):
            let eps = T.ulpOfOne
            let lg: T = x >= 1 - eps / 2 ? -eps / 2 : T(log(Double(x)))
            return (-1 / T(lambd)) * lg
        default: fatalError("not a uniform transformation")
        }
    }
}

/// PyTorch's own CUDA numbers, as printed on an NVIDIA GPU (PyTorch 2.2; a CUDA-MODE lecture's notes on
/// fused kernels, `get_inputs(add_manual_seed=True)` in kernels/triton_fused_add_mul_relu.py):
///
///     torch.manual_seed(0)
///     a = torch.randn((8, 8), device='cuda'); b = torch.randn((8, 8), device='cuda')
///     bias = torch.randn((1, 8), device='cuda')
///     print(a); print(torch.maximum(a + 0.5 * b + bias, torch.tensor(0., device='cuda')))
///
/// Three draws from offsets 0, 4 and 8 of seed 0's stream, one block each.
public enum PublishedTorchCUDA {
    /// `a`, to 4 decimals.
    public static let a: [Double] = [
        -0.9247, -0.4253, -2.6438, 0.1452, -0.1209, -0.5797, -0.6229, -0.3284,
        -1.0745, -0.3631, -1.6711, 2.2655, 0.3117, -0.1842, 1.2866, 1.1820,
        -0.1271, 1.2169, 1.4353, 1.0605, -0.4941, -1.4244, -0.7244, -1.2973,
        0.0697, -0.0074, 1.8969, 0.6878, -0.0779, -0.8373, 1.3506, -0.2879,
        -0.5965, -0.3283, -0.9086, -0.8059, -0.7407, -0.0504, 0.5435, 1.5150,
        0.0141, 0.4532, 1.6349, 0.7124, -0.1806, 1.0252, -1.4622, -0.7554,
        -0.1836, 0.3824, 0.3918, -0.0830, 0.8971, -1.1123, 0.1116, 0.4863,
        -0.5499, -0.3231, -0.5469, 0.9049, 0.2837, 0.1210, 0.4730, -1.0823,
    ]
    /// `max(a + 0.5 b + bias, 0)`, to 5 significant digits.
    public static let fused: [Double] = [
        1.7098e+00, 0.0000e+00, 0.0000e+00, 0.0000e+00, 6.7049e-01, 0.0000e+00, 3.4424e-01, 1.1223e-02,
        1.8750e+00, 0.0000e+00, 0.0000e+00, 2.2105e+00, 6.6808e-01, 0.0000e+00, 1.8445e+00, 1.9246e+00,
        2.2614e+00, 1.3964e+00, 5.1802e-01, 2.0114e+00, 0.0000e+00, 0.0000e+00, 2.7715e-01, 0.0000e+00,
        2.4750e+00, 0.0000e+00, 1.9079e+00, 5.4869e-01, 3.7923e-01, 0.0000e+00, 3.1791e+00, 6.6843e-01,
        1.8234e+00, 0.0000e+00, 1.1147e-01, 0.0000e+00, 0.0000e+00, 0.0000e+00, 2.4250e+00, 3.2593e+00,
        2.2903e+00, 0.0000e+00, 1.1721e+00, 6.9331e-01, 1.0583e+00, 6.7518e-01, 0.0000e+00, 2.6185e-01,
        1.5804e+00, 0.0000e+00, 9.0740e-01, 1.6670e-01, 5.5230e-02, 0.0000e+00, 1.5325e+00, 3.5984e-01,
        1.5554e+00, 0.0000e+00, 0.0000e+00, 9.4380e-01, 2.9795e-03, 7.4125e-02, 1.6286e+00, 0.0000e+00,
    ]
    /// The fused values from three draws `(a, b, bias)`.
    public static func fuse(_ a: [Double], _ b: [Double], _ bias: [Double]) -> [Double] {
        (0..<64).map { Swift.max(a[$0] + 0.5 * b[$0] + bias[$0 % 8], 0) }
    }
    /// Whether `got` matches a printed list: within half a unit of the printed digits (plus float noise).
    public static func matches(_ got: [Double], _ printed: [Double], significant: Bool) -> Bool {
        got.count == printed.count && zip(got, printed).allSatisfy { g, p in
            let half = significant ? Swift.max(abs(p), 1e-4) * 5e-5 : 5e-5
            return abs(g - p) <= half + 1e-5   // the GPU's __sincosf is approximate to about 1e-6 (times the radius)
        }
    }
}
