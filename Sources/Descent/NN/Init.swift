import Foundation

// PyTorch's `nn.init`: in-place initialisers that draw from the global generator (or `generator:`)
// in PyTorch's order, without recording gradients.

func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
    if t.rank < 2 { fail("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions") }
    let receptive = t.shape.dropFirst(2).reduce(1, *)
    return (t.shape[1] * receptive, t.shape[0] * receptive)
}

/// The recommended gain for a nonlinearity (PyTorch's `calculate_gain`).
public func calculateGain(_ nonlinearity: String, param: Double? = nil) -> Double {
    switch nonlinearity {
    case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid": return 1
    case "tanh": return 5.0 / 3
    case "relu": return 2.0.squareRoot()
    case "leaky_relu": let s = param ?? 0.01; return (2.0 / (1 + s * s)).squareRoot()
    case "selu": return 3.0 / 4
    default: fail("Unsupported nonlinearity \(nonlinearity)")
    }
}

/// Fills with U(a, b).
@discardableResult public func uniform_(_ t: Tensor, _ a: Double = 0, _ b: Double = 1, generator: Generator? = nil) -> Tensor {
    noGrad { t.uniform_(a, b, generator: generator) }
}
/// Fills with N(mean, std²).
@discardableResult public func normal_(_ t: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil) -> Tensor {
    noGrad { t.normal_(mean, std, generator: generator) }
}
/// Fills with a constant.
@discardableResult public func constant_(_ t: Tensor, _ value: Double) -> Tensor { noGrad { t.fill_(value) } }
/// `nn.init.normal_(w, 0.0, 0.02)` as PyTorch's positional form (DCGAN's weight init).
@discardableResult public func normal_(_ t: Tensor, _ mean: Double, _ std: Double = 1, generator: Generator? = nil) -> Tensor {
    normal_(t, mean: mean, std: std, generator: generator)
}
/// Fills with zeros.
@discardableResult public func zeros_(_ t: Tensor) -> Tensor { constant_(t, 0) }
/// Fills with ones.
@discardableResult public func ones_(_ t: Tensor) -> Tensor { constant_(t, 1) }
/// Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)).
@discardableResult public func xavierUniform_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let a = 3.0.squareRoot() * (gain * (2.0 / Double(fi + fo)).squareRoot())
    return uniform_(t, -a, a, generator: generator)
}
/// Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fanIn + fanOut)).
@discardableResult public func xavierNormal_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    return normal_(t, mean: 0, std: gain * (2.0 / Double(fi + fo)).squareRoot(), generator: generator)
}
/// Which fan Kaiming initialisation preserves.
public enum FanMode: Sendable { case fanIn, fanOut }
/// He uniform: U(-b, b) with b = gain * sqrt(3 / fan).
@discardableResult public func kaimingUniform_(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu", generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let fan = mode == .fanIn ? fi : fo
    let gain = calculateGain(nonlinearity, param: a)
    let bound = 3.0.squareRoot() * (gain / Double(fan).squareRoot())
    return uniform_(t, -bound, bound, generator: generator)
}
/// He normal: N(0, std²) with std = gain / sqrt(fan).
@discardableResult public func kaimingNormal_(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu", generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let fan = mode == .fanIn ? fi : fo
    return normal_(t, mean: 0, std: calculateGain(nonlinearity, param: a) / Double(fan).squareRoot(), generator: generator)
}

/// Fills a (semi-)orthogonal matrix, as PyTorch's `nn.init.orthogonal_` does: N(0, 1) draws shaped
/// (rows, numel / rows), transposed when wider than tall, Q of their QR decomposition with R's diagonal
/// made positive, times `gain`. The QR runs in double precision (PyTorch calls LAPACK in the tensor's
/// precision), so float32 results agree with PyTorch's to float32 rounding.
@discardableResult public func orthogonal_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) -> Tensor {
    if t.rank < 2 { fail("Only tensors with 2 or more dimensions are supported") }
    if t.count == 0 { return t }
    let rows = t.shape[0], cols = t.count / rows
    return noGrad {
        let flat = Tensor.empty([rows, cols], dtype: t.dtype, device: t.device).normal_(0, 1, generator: generator)
        let a = rows < cols ? flat.t() : flat
        let m = a.shape[0], n = a.shape[1]
        var q = householderQ(a.toDoubles(), rows: m, cols: n)
        if rows < cols {   // back to (rows, cols): q is (cols, rows) row-major, transpose it
            var tq = [Double](repeating: 0, count: q.count)
            for i in 0..<m { for j in 0..<n { tq[j * m + i] = q[i * n + j] } }
            q = tq
        }
        let qt = Tensor(flat: q, shape: [rows, cols]).to(dtype: t.dtype)
        t.copy_(qt.reshape(t.shape))
        return t.mul_(gain)
    }
}

/// The m×n (m ≥ n) orthonormal factor Q of A = QR with R's diagonal non-negative, by Householder
/// reflections in double precision; `a` is A row-major.
func householderQ(_ a: [Double], rows m: Int, cols n: Int) -> [Double] {
    var r = a                                             // working copy, row-major
    var vs: [[Double]] = [], diagSign = [Double](repeating: 1, count: n)
    for k in 0..<n {
        var norm = 0.0
        for i in k..<m { norm += r[i * n + k] * r[i * n + k] }
        norm = norm.squareRoot()
        var v = [Double](repeating: 0, count: m - k)
        for i in k..<m { v[i - k] = r[i * n + k] }
        let alpha = v[0] >= 0 ? -norm : norm                // reflect onto -sign(x0)·|x| e1
        v[0] -= alpha
        let vn = v.reduce(0) { $0 + $1 * $1 }
        if vn > 0 {
            for j in k..<n {
                var s = 0.0
                for i in k..<m { s += v[i - k] * r[i * n + j] }
                let f = 2 * s / vn
                for i in k..<m { r[i * n + j] -= f * v[i - k] }
            }
        }
        vs.append(v)
        diagSign[k] = r[k * n + k] < 0 ? -1 : 1
    }
    // Q = H0 H1 ... H(n-1) applied to the first n columns of the identity
    var q = [Double](repeating: 0, count: m * n)
    for i in 0..<n { q[i * n + i] = 1 }
    for k in stride(from: n - 1, through: 0, by: -1) {
        let v = vs[k]
        let vn = v.reduce(0) { $0 + $1 * $1 }
        if vn == 0 { continue }
        for j in 0..<n {
            var s = 0.0
            for i in k..<m { s += v[i - k] * q[i * n + j] }
            let f = 2 * s / vn
            for i in k..<m { q[i * n + j] -= f * v[i - k] }
        }
    }
    // make R's diagonal positive: flip the matching columns of Q
    for j in 0..<n where diagSign[j] < 0 { for i in 0..<m { q[i * n + j] = -q[i * n + j] } }
    return q
}

extension Tensor {
    /// Fills in place with values from N(mean, std²) truncated to [a, b], drawn as PyTorch 2.13's
    /// `nn.init.trunc_normal_` draws them: when [a, b] holds more than 30% of the mass, normal draws
    /// with the out-of-range ones redrawn (whole-tensor rounds); otherwise uniform proposals on [a, b]
    /// accepted with probability pdf/peak. The same generator calls in the same order, so the values
    /// are PyTorch's for the same seed.
    @discardableResult
    public func truncNormal_(mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2, generator: Generator? = nil) -> Tensor {
        func cdf(_ x: Double) -> Double { (1 + Foundation.erf(x / 2.0.squareRoot())) / 2 }
        return noGrad {
            let p = cdf((b - mean) / std) - cdf((a - mean) / std)
            if p > 0.3 {
                // the bounds as the tensor's dtype rounds them
                let lo = Tensor.scalar(a, dtype: dtype).item(), hi = Tensor.scalar(b, dtype: dtype).item()
                var result = normal_(mean, std, generator: generator)
                while true {
                    let mask = (result .< lo) .|| (result .> hi)
                    if mask.any().item() == 0 { break }
                    result = Descent.where(mask, Tensor.empty(shape, dtype: dtype, device: device).normal_(mean, std, generator: generator), result)
                }
                if result !== self { copy_(result) }
                return self
            }
            let mode = Swift.max(a, Swift.min(mean, b))
            let logPeak = -0.5 * ((mode - mean) / std) * ((mode - mean) / std)
            func logPdf(_ c: Tensor) -> Tensor { let z = (c - mean) / std; return z * z * -0.5 - logPeak }
            uniform_(a, b, generator: generator)
            var candidates = logPdf(self)
            var pending = Tensor.empty(shape, dtype: dtype, device: device).uniform_(generator: generator).log() .> candidates
            if pending.any().item() == 0 { return self }
            var result = self.clone()
            while true {
                let proposal = Tensor.empty(shape, dtype: dtype, device: device).uniform_(a, b, generator: generator)
                result = Descent.where(pending, proposal, result)
                candidates = logPdf(proposal)
                pending = Descent.where(pending, Tensor.empty(shape, dtype: dtype, device: device).uniform_(generator: generator).log() .> candidates, pending)
                if pending.any().item() == 0 { break }
            }
            return copy_(result)
        }
    }
}


/// Fills `t` in place from a truncated normal distribution (PyTorch's `nn.init.trunc_normal_`).
@discardableResult public func truncNormal_(_ t: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                            generator: Generator? = nil) -> Tensor {
    t.truncNormal_(mean: mean, std: std, a: a, b: b, generator: generator)
}

/// Fills a 2-D tensor with the identity matrix (PyTorch's `nn.init.eye_`).
@discardableResult public func eye_(_ t: Tensor) -> Tensor {
    if t.rank != 2 { fail("Only tensors with 2 dimensions are supported") }
    return noGrad { t.copy_(Tensor.eye(t.shape[0], t.shape[1], dtype: t.dtype)) }
}
/// Fills a 3-, 4- or 5-D convolution weight with the Dirac delta, so the convolution keeps its input
/// channels (PyTorch's `nn.init.dirac_`, with `groups`).
@discardableResult public func dirac_(_ t: Tensor, groups: Int = 1) -> Tensor {
    if t.rank < 3 || t.rank > 5 { fail("Only tensors with 3, 4, or 5 dimensions are supported") }
    if groups <= 0 || t.shape[0] % groups != 0 { fail("dim 0 must be divisible by groups") }
    let outPerGroup = t.shape[0] / groups, minDim = Swift.min(outPerGroup, t.shape[1])
    let spatial = Array(t.shape[2...])
    let strides = Tensor.contiguousStrides(t.shape)
    var values = [Double](repeating: 0, count: t.count)
    for g in 0..<groups {
        for d in 0..<minDim {
            var pos = (g * outPerGroup + d) * strides[0] + d * strides[1]
            for (k, size) in spatial.enumerated() { pos += (size / 2) * strides[2 + k] }
            values[pos] = 1
        }
    }
    return noGrad { t.copy_(Tensor(values: values, shape: t.shape, dtype: t.dtype)) }
}
