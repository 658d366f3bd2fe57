// More activation functions, as tensor methods and as modules (PyTorch's names, defaults and reprs).

extension Tensor {
    /// A pointwise op whose value and slope are written with tensor ops, recorded under PyTorch's `name`.
    func pointwise(_ name: String, _ value: (Tensor) -> Tensor, slope: @escaping (Tensor) -> Tensor) -> Tensor {
        let out = noGrad { value(self) }
        if wantsGrad(self) {
            out.recorded(.custom(CustomBackward(name: name) { g, s, _ in [g * slope(s[0])] }), inputs: [self], saved: [self])
        }
        return out
    }

    /// log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's `F.softplus`).
    public func softplus(beta: Double, threshold: Double = 20) -> Tensor {
        pointwise("SoftplusBackward0", { x in
            let bx = x * beta
            return `where`(bx .> threshold, x, (bx.exp().log1p()) / beta)
        }, slope: { x in
            let bx = x * beta
            return `where`(bx .> threshold, Tensor.onesLike(x), bx.sigmoid())
        })
    }
    /// x clamped to [minVal, maxVal] (PyTorch's `F.hardtanh`); the slope is 1 strictly inside.
    public func hardtanh(minVal: Double = -1, maxVal: Double = 1) -> Tensor {
        pointwise("HardtanhBackward0", { $0.clamp(min: minVal, max: maxVal) },
                  slope: { x in ((x .> minVal) .&& (x .< maxVal)).to(dtype: x.dtype) })
    }
    /// min(max(x, 0), 6) (PyTorch's `F.relu6`).
    public func relu6() -> Tensor { hardtanh(minVal: 0, maxVal: 6) }
    /// x * tanh(softplus(x)) (PyTorch's `F.mish`).
    public func mish() -> Tensor {
        pointwise("MishBackward0", { x in x * x.softplus().tanh() }, slope: { x in
            let t = x.softplus().tanh()
            return t + x * x.sigmoid() * (1 - t * t)
        })
    }
    /// x * relu6(x + 3) / 6 (PyTorch's `F.hardswish`).
    public func hardswish() -> Tensor {
        pointwise("HardswishBackward0", { x in x * (x + 3).clamp(min: 0, max: 6) / 6 }, slope: { x in
            `where`(x .< -3, Tensor.zerosLike(x), `where`(x .<= 3, x / 3 + 0.5, Tensor.onesLike(x)))
        })
    }
    /// relu6(x + 3) / 6 (PyTorch's `F.hardsigmoid`).
    public func hardsigmoid() -> Tensor {
        pointwise("HardsigmoidBackward0", { x in (x + 3).clamp(min: 0, max: 6) / 6 }, slope: { x in
            ((x .> -3) .&& (x .< 3)).to(dtype: x.dtype) / 6
        })
    }
    /// x / (1 + |x|) (PyTorch's `F.softsign`, a composite there too).
    public func softsign() -> Tensor { self / (abs() + 1) }
    /// scale * elu(x, alpha) with SELU's constants (PyTorch's `F.selu`).
    public func selu() -> Tensor {
        let alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946
        return pointwise("EluBackward0", { x in x.elu(alpha: alpha) * scale }, slope: { x in
            `where`(x .> 0, Tensor.fullLike(x, scale), x.exp() * (alpha * scale))
        })
    }
    /// softmax(-x) along `dim` (PyTorch's `F.softmin`).
    public func softmin(dim: Int) -> Tensor { (-self).softmax(dim: dim) }
}

/// log(1 + e^(beta x)) / beta (PyTorch's `nn.Softplus`).
public final class Softplus: Module {
    public let beta: Double, threshold: Double
    public init(beta: Double = 1, threshold: Double = 20) { self.beta = beta; self.threshold = threshold; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { beta == 1 && threshold == 20 ? x.softplus() : x.softplus(beta: beta, threshold: threshold) }
    public override func extraRepr() -> String { "beta=\(formatPyFloat(beta)), threshold=\(formatPyFloat(threshold))" }
}
/// x clamped to [minVal, maxVal] (PyTorch's `nn.Hardtanh`).
public final class Hardtanh: Module {
    public let minVal: Double, maxVal: Double
    public init(minVal: Double = -1, maxVal: Double = 1) { self.minVal = minVal; self.maxVal = maxVal; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.hardtanh(minVal: minVal, maxVal: maxVal) }
    public override func extraRepr() -> String { "min_val=\(formatPyFloat(minVal)), max_val=\(formatPyFloat(maxVal))" }
}
/// min(max(x, 0), 6) (PyTorch's `nn.ReLU6`).
public final class ReLU6: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.relu6() } }
/// x * tanh(softplus(x)) (PyTorch's `nn.Mish`).
public final class Mish: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.mish() } }
/// x * relu6(x + 3) / 6 (PyTorch's `nn.Hardswish`).
public final class Hardswish: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.hardswish() } }
/// relu6(x + 3) / 6 (PyTorch's `nn.Hardsigmoid`).
public final class Hardsigmoid: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.hardsigmoid() } }
/// x / (1 + |x|) (PyTorch's `nn.Softsign`).
public final class Softsign: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.softsign() } }
/// log(sigmoid(x)) (PyTorch's `nn.LogSigmoid`).
public final class LogSigmoid: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.logSigmoid() } }
/// Scaled ELU with SELU's constants (PyTorch's `nn.SELU`).
public final class SELU: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.selu() } }
/// softmax(-x) along `dim` (PyTorch's `nn.Softmin`).
public final class Softmin: Module {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.softmin(dim: dim) }
    public override func extraRepr() -> String { "dim=\(dim)" }
}
/// x > 0 ? x : a * x with a learned slope `a` per channel (dim 1) or shared (PyTorch's `nn.PReLU`).
public final class PReLU: Module {
    public let numParameters: Int
    /// The slopes, shaped (numParameters), initialised to `initial` (PyTorch's `init=0.25`).
    public var weight: Parameter
    public init(numParameters: Int = 1, initial: Double = 0.25) {
        self.numParameters = numParameters
        weight = Parameter(Tensor.full([numParameters], initial))
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { prelu(x, weight) }
    public override func extraRepr() -> String { "num_parameters=\(numParameters)" }
}

/// x > 0 ? x : weight * x, `weight` of one value or one per channel (dim 1) (PyTorch's `F.prelu`).
public func prelu(_ x: Tensor, _ weight: Tensor) -> Tensor {
    let n = weight.count
    if n != 1 && (x.rank < 2 || x.shape[1] != n) {
        fail("Mismatch of parameter numbers and input channel size. Found parameter numbers = \(n) and channel size = \(x.rank >= 2 ? x.shape[1] : 1).")
    }
    // the slopes shaped to broadcast over dim 1
    var wshape = [Int](repeating: 1, count: Swift.max(x.rank, 1))
    if n != 1 { wshape[1] = n }
    let w = n == 1 ? weight.reshape([]) : weight.reshape(wshape)
    let out = noGrad { `where`(x .> 0, x, x * w) }
    if wantsGrad(x, weight) {
        let reduceDims = n == 1 ? Array(0..<x.rank) : (0..<x.rank).filter { $0 != 1 }
        let wShape = weight.shape
        out.recorded(.custom(CustomBackward(name: "PreluKernelBackward0") { g, s, needs in
            let (x, w) = (s[0], s[1])
            let pos = x .> 0
            let gx = needs[0] ? `where`(pos, g, g * w) : nil
            let gw = needs[1] ? `where`(pos, Tensor.zerosLike(g), g * x).sum(dims: reduceDims).reshape(wShape) : nil
            return [gx, gw]
        }), inputs: [x, weight], saved: [x, w])
    }
    return out
}
