// Activation modules (PyTorch's names, defaults and reprs); their functions are in Ops/ActivationFunctions.swift.

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
    public init(numParameters: Int = 1, initial: Double = 0.25, device: Device = .cpu) {
        self.numParameters = numParameters
        weight = Parameter(Tensor.full([numParameters], initial, device: device))
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { prelu(x, weight) }
    public override func extraRepr() -> String { "num_parameters=\(numParameters)" }
}

// MARK: - Shrinkage, thresholds, CELU, GLU (functions composed of element-wise ops)

/// x where x > threshold, else `value` (PyTorch's `F.threshold`).
public func threshold(_ x: Tensor, _ threshold: Double, _ value: Double) -> Tensor {
    `where`(x .> threshold, x, Tensor.full([], value, dtype: x.dtype, device: x.device))
}
/// x where |x| > lambd, else 0 (PyTorch's `F.hardshrink`).
public func hardshrink(_ x: Tensor, lambd: Double = 0.5) -> Tensor {
    `where`(x .> lambd, x, `where`(x .< -lambd, x, Tensor.full([], 0.0, dtype: x.dtype, device: x.device)))
}
/// x - lambd above lambd, x + lambd below -lambd, else 0 (PyTorch's `F.softshrink`).
public func softshrink(_ x: Tensor, lambd: Double = 0.5) -> Tensor {
    if lambd < 0 { fail("lambda must be greater or equal to 0, but found to be \(formatPyFloat(lambd)).") }
    return `where`(x .> lambd, x - lambd, `where`(x .< -lambd, x + lambd, Tensor.full([], 0.0, dtype: x.dtype, device: x.device)))
}
/// x - tanh(x) (PyTorch's `F.tanhshrink`).
public func tanhshrink(_ x: Tensor) -> Tensor { x - x.tanh() }
/// max(0, x) + min(0, alpha·(exp(x/alpha) - 1)) (PyTorch's `F.celu`).
public func celu(_ x: Tensor, alpha: Double = 1) -> Tensor {
    if alpha == 0 { fail("ZeroDivisionError: alpha cannot be 0 for CELU") }
    return fusedOp("CeluBackward0", [x]) { `where`($0[0] .> 0, $0[0], ($0[0] / alpha).expm1() * alpha) }
}
/// a · sigmoid(b) for the two halves a, b of `dim` (PyTorch's `F.glu`).
public func glu(_ x: Tensor, dim: Int = -1) -> Tensor {
    let d = dim < 0 ? dim + x.rank : dim
    if x.rank == 0 { fail("glu does not support scalars because halving size must be even") }
    if x.shape[d] % 2 != 0 { fail("Halving dimension must be even, but dimension \(d) is size \(x.shape[d])") }
    let halves = x.chunk(2, dim: d)
    return halves[0] * halves[1].sigmoid()
}

/// PyTorch's `nn.Threshold(threshold, value)`.
public final class Threshold: Module {
    public let threshold: Double, value: Double
    public init(_ threshold: Double, _ value: Double) { self.threshold = threshold; self.value = value; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { Descent.threshold(x, threshold, value) }
    public override func extraRepr() -> String { "threshold=\(formatPyFloat(threshold)), value=\(formatPyFloat(value))" }
}
/// PyTorch's `nn.Hardshrink(lambd=0.5)`.
public final class Hardshrink: Module {
    public let lambd: Double
    public init(lambd: Double = 0.5) { self.lambd = lambd; super.init() }
    public convenience init(_ lambd: Double) { self.init(lambd: lambd) }
    public override func forward(_ x: Tensor) -> Tensor { hardshrink(x, lambd: lambd) }
    public override func extraRepr() -> String { formatPyFloat(lambd) }
}
/// PyTorch's `nn.Softshrink(lambd=0.5)`.
public final class Softshrink: Module {
    public let lambd: Double
    public init(lambd: Double = 0.5) { self.lambd = lambd; super.init() }
    public convenience init(_ lambd: Double) { self.init(lambd: lambd) }
    public override func forward(_ x: Tensor) -> Tensor { softshrink(x, lambd: lambd) }
    public override func extraRepr() -> String { formatPyFloat(lambd) }
}
/// PyTorch's `nn.Tanhshrink()`.
public final class Tanhshrink: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { tanhshrink(x) } }
/// PyTorch's `nn.CELU(alpha=1.0)`.
public final class CELU: Module {
    public let alpha: Double
    public init(alpha: Double = 1) { self.alpha = alpha; super.init() }
    public convenience init(_ alpha: Double) { self.init(alpha: alpha) }
    public override func forward(_ x: Tensor) -> Tensor { celu(x, alpha: alpha) }
    public override func extraRepr() -> String { "alpha=\(formatPyFloat(alpha))" }
}
/// PyTorch's `nn.GLU(dim=-1)`.
public final class GLU: Module {
    public let dim: Int
    public init(dim: Int = -1) { self.dim = dim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { glu(x, dim: dim) }
    public override func extraRepr() -> String { "dim=\(dim)" }
}
/// Softmax over the channels (dim -3) of a (N, C, H, W) or (C, H, W) input (PyTorch's `nn.Softmax2d`).
public final class Softmax2d: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor {
        if x.rank != 3 && x.rank != 4 { fail("Softmax2d: expected input to be 3D or 4D, got \(x.rank)D instead") }
        return x.softmax(dim: -3)
    }
}

/// `F.selu(x)`.
public func selu(_ x: Tensor) -> Tensor { x.selu() }
/// `F.mish(x)`.
public func mish(_ x: Tensor) -> Tensor { x.mish() }
/// `F.hardtanh(x, min_val, max_val)`.
public func hardtanh(_ x: Tensor, minVal: Double = -1, maxVal: Double = 1) -> Tensor { x.hardtanh(minVal: minVal, maxVal: maxVal) }
/// `F.relu6(x)`.
public func relu6(_ x: Tensor) -> Tensor { x.relu6() }
/// `F.hardswish(x)`.
public func hardswish(_ x: Tensor) -> Tensor { x.hardswish() }
/// `F.hardsigmoid(x)`.
public func hardsigmoid(_ x: Tensor) -> Tensor { x.hardsigmoid() }
/// `F.logsigmoid(x)`.
public func logsigmoid(_ x: Tensor) -> Tensor { x.logSigmoid() }
/// `F.logsigmoid(x)` under Swift's capitalisation.
public func logSigmoid(_ x: Tensor) -> Tensor { x.logSigmoid() }
/// `F.softsign(x)`.
public func softsign(_ x: Tensor) -> Tensor { x.softsign() }
/// `F.softmin(x, dim)`.
public func softmin(_ x: Tensor, dim: Int) -> Tensor { x.softmin(dim: dim) }
/// `F.softplus(x, beta, threshold)`.
public func softplus(_ x: Tensor, beta: Double, threshold: Double = 20) -> Tensor { x.softplus(beta: beta, threshold: threshold) }
