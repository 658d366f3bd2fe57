import Testing
import Descent

// Expected values in these tests were produced by PyTorch 2.13 (CPU); the snippet that produced
// each one is in the comment above it. The tests themselves never need PyTorch.

/// Every test of the core lives in this suite, which runs its tests one at a time: grad mode
/// (`noGrad`, `backward`) and the global generator (`manualSeed`) are process-wide state.
@Suite(.serialized) struct Core {}

/// The elements in row-major order, as Doubles.
func values(_ t: Tensor) -> [Double] { t.toDoubles() }

/// The elements of an integer tensor in row-major order.
func ints(_ t: Tensor) -> [Int] { t.toArray(Int.self) }

/// The elements of a bool tensor in row-major order.
func bools(_ t: Tensor) -> [Bool] { t.toArray(Bool.self) }

/// Bit patterns of the elements of a float32 tensor (for bit-exact comparisons).
func floatBits(_ t: Tensor) -> [UInt32] { t.toArray(Float.self).map(\.bitPattern) }

/// Bit patterns of `Float(x)` for each expected value (PyTorch's float32 values, printed exactly).
func floatBits(_ xs: [Double]) -> [UInt32] { xs.map { Float($0).bitPattern } }

/// True when `a` and `b` agree within `atol + rtol * |b|` (infinities must match exactly, NaN matches NaN).
func close(_ a: Double, _ b: Double, atol: Double, rtol: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a.isInfinite || b.isInfinite { return a == b }
    return Swift.abs(a - b) <= atol + rtol * Swift.abs(b)
}

/// Checks a tensor's elements (and optionally its shape and dtype) against expected values.
func expectValues(_ t: Tensor, _ expected: [Double], shape: [Int]? = nil, dtype: DType? = nil,
                  atol: Double = 1e-6, rtol: Double = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    if let s = shape { #expect(t.shape == s, "shape", sourceLocation: sourceLocation) }
    if let d = dtype { #expect(t.dtype == d, "dtype", sourceLocation: sourceLocation) }
    let v = values(t)
    #expect(v.count == expected.count, "element count", sourceLocation: sourceLocation)
    guard v.count == expected.count else { return }
    var bad: [String] = []
    for i in v.indices where !close(v[i], expected[i], atol: atol, rtol: rtol) {
        bad.append("[\(i)] got \(v[i]) expected \(expected[i])")
        if bad.count == 8 { break }
    }
    #expect(bad.isEmpty, "\(bad.joined(separator: ", "))", sourceLocation: sourceLocation)
}

/// A deterministic float64 tensor of standard-normal values (from its own generator, so the
/// global one is untouched).
func r64(_ shape: Int..., seed: Int = 1) -> Tensor {
    Tensor.randn(shape, dtype: .float64, generator: Generator(seed: seed))
}

/// A deterministic float64 tensor of values uniform in [lo, hi).
func u64(_ shape: Int..., lo: Double, hi: Double, seed: Int = 2) -> Tensor {
    Tensor.empty(shape, dtype: .float64).uniform_(lo, hi, generator: Generator(seed: seed))
}

/// Checks the autograd gradients of `f` at `inputs` (float64) against central finite
/// differences `(f(x+h) - f(x-h)) / 2h` with h = 1e-6. A non-scalar output is contracted with a
/// fixed, non-uniform upstream gradient (passed to `backward(gradient:)`), so that gradients
/// that are permuted, misplaced or mis-scaled show up.
func gradCheck(_ f: ([Tensor]) -> Tensor, inputs: [Tensor], h: Double = 1e-6,
               atol: Double = 1e-6, rtol: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
    let data = inputs.map { values($0) }
    let shapes = inputs.map(\.shape)
    let leaves = zip(data, shapes).map { Tensor(flat: $0, shape: $1).requiresGrad_() }
    let out = f(leaves)
    #expect(out.dtype == .float64, "output dtype", sourceLocation: sourceLocation)
    #expect(out.requiresGrad && !out.isLeaf, "output records a graph", sourceLocation: sourceLocation)
    let upstream = (0..<out.count).map { 0.5 + 0.25 * Double(($0 * 7 + 3) % 5) }
    out.backward(gradient: Tensor(flat: upstream, shape: out.shape))

    func objective(_ xs: [[Double]]) -> Double {
        noGrad {
            let o = f(zip(xs, shapes).map { Tensor(flat: $0, shape: $1) })
            return zip(values(o), upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
    }
    for k in inputs.indices {
        guard let g = leaves[k].grad else {
            Issue.record("input \(k) got no gradient", sourceLocation: sourceLocation)
            continue
        }
        #expect(g.shape == shapes[k], "gradient shape of input \(k)", sourceLocation: sourceLocation)
        #expect(g.dtype == .float64, "gradient dtype of input \(k)", sourceLocation: sourceLocation)
        let analytic = values(g)
        guard analytic.count == data[k].count else { continue }
        var bad: [String] = []
        for i in data[k].indices {
            var p = data
            p[k][i] += h
            let fp = objective(p)
            p[k][i] -= 2 * h
            let fm = objective(p)
            let numeric = (fp - fm) / (2 * h)
            if !close(analytic[i], numeric, atol: atol, rtol: rtol) {
                bad.append("input \(k)[\(i)]: autograd \(analytic[i]) vs numeric \(numeric)")
                if bad.count == 6 { break }
            }
        }
        #expect(bad.isEmpty, "\(bad.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}

/// FNV-1a (64-bit) over the bit patterns of the elements in row-major order (float32: the 32-bit
/// pattern; float64: the 64-bit pattern; integers: the value as two's complement), to pin a whole
/// tensor bit for bit in one literal. PyTorch twin:
///   h = 0xcbf29ce484222325; for v in bits: h ^= v; h = (h * 0x100000001b3) % 2**64
func bitHash(_ t: Tensor) -> UInt64 {
    let bits: [UInt64]
    switch t.dtype {
    case .float32: bits = t.toArray(Float.self).map { UInt64($0.bitPattern) }
    case .float64: bits = t.toArray(Double.self).map { $0.bitPattern }
    default: bits = t.toArray(Int64.self).map { UInt64(bitPattern: $0) }
    }
    var h: UInt64 = 0xcbf29ce484222325
    for v in bits { h ^= v; h = h &* 0x100000001b3 }
    return h
}

/// What a child process wrote to stderr.
func stderr(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}

/// Σ (i + 1) · bits(xᵢ) over the float32 elements: equal only when every bit is (torch snippet:
/// `sum((i+1)*int(v) for i, v in enumerate(t.flatten().numpy().view(np.uint32).astype(np.int64)))`).
func bitsum(_ t: Tensor) -> Int {
    t.contiguous().flatten().toArray(Float.self).enumerated().reduce(0) { $0 + ($1.offset + 1) * Int($1.element.bitPattern) }
}
