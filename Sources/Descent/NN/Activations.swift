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
