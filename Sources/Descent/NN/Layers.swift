import Foundation

/// A fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`), initialised exactly as PyTorch
/// does (kaiming-uniform weight, uniform bias, drawn in that order from the global generator).
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    /// The weight, shaped (outFeatures, inFeatures).
    public var weight: Parameter
    /// The bias, shaped (outFeatures), or nil.
    public var bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(Tensor.empty(outFeatures, inFeatures))
        self.bias = bias ? Parameter(Tensor.empty(outFeatures)) : nil
        super.init()
        resetParameters()
    }
    /// Re-draws the weights as PyTorch's `reset_parameters` does.
    public func resetParameters() {
        kaimingUniform_(weight, a: 5.0.squareRoot())
        if let b = bias {
            let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
            uniform_(b, -bound, bound)
        }
    }
    public override func forward(_ x: Tensor) -> Tensor { linear(x, weight, bias) }
    public override func extraRepr() -> String { "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")" }
}

/// y = x·Wᵀ + b (PyTorch's `F.linear`): one fused addmm for 2-D inputs.
public func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
    if x.rank == 2, let b = bias { return addmm(b, x, weight.t()) }
    let y = x.matmul(weight.t())
    if let b = bias { return y + b }
    return y
}

/// Applies its layers in order (PyTorch's `nn.Sequential`); build it with a result builder
/// (`Sequential { Linear(1, 2); ReLU() }`) or from an array. `net[0]` is the first layer.
public final class Sequential: Module {
    public private(set) var layers: [Module]
    public init(_ layers: [Module]) { self.layers = layers; super.init() }
    public convenience init(_ layers: Module...) { self.init(layers) }
    public convenience init(@ModuleBuilder _ build: () -> [Module]) { self.init(build()) }
    public override func forward(_ x: Tensor) -> Tensor {
        var h = x
        for l in layers { h = l(h) }
        return h
    }
    public override func namedChildren() -> [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }
    /// The layer at `index`.
    public subscript(index: Int) -> Module { layers[index] }
    /// Number of layers.
    public var count: Int { layers.count }
    /// Appends a layer.
    public func append(_ m: Module) { layers.append(m) }
}

/// Builds `[Module]` from a block of module expressions.
@resultBuilder
public enum ModuleBuilder {
    public static func buildExpression(_ m: Module) -> [Module] { [m] }
    public static func buildExpression(_ ms: [Module]) -> [Module] { ms }
    public static func buildBlock(_ parts: [Module]...) -> [Module] { parts.flatMap { $0 } }
    public static func buildOptional(_ m: [Module]?) -> [Module] { m ?? [] }
    public static func buildEither(first m: [Module]) -> [Module] { m }
    public static func buildEither(second m: [Module]) -> [Module] { m }
    public static func buildArray(_ ms: [[Module]]) -> [Module] { ms.flatMap { $0 } }
}

/// A list of submodules registered by index (PyTorch's `nn.ModuleList`).
public final class ModuleList: Module, Sequence {
    public private(set) var modules_: [Module]
    public init(_ modules: [Module] = []) { modules_ = modules; super.init() }
    public override func namedChildren() -> [(String, Module)] { modules_.enumerated().map { ("\($0.offset)", $0.element) } }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }
    public subscript(index: Int) -> Module { modules_[index] }
    public var count: Int { modules_.count }
    public func append(_ m: Module) { modules_.append(m) }
    public func makeIterator() -> IndexingIterator<[Module]> { modules_.makeIterator() }
    /// PyTorch's ModuleList repr: a run of identical reprs prints once, as `(0-1): 2 x Block(...)`.
    override func childReprs() -> [(String, String)] {
        var out: [(String, String)] = []
        var start = 0
        let texts = modules_.map(\.description)
        for i in texts.indices where i == texts.count - 1 || texts[i + 1] != texts[i] {
            out.append(start == i ? ("\(i)", texts[i]) : ("\(start)-\(i)", "\(i - start + 1) x \(texts[i])"))
            start = i + 1
        }
        return out
    }
}

/// Flattens dims `startDim...endDim` (PyTorch's `nn.Flatten`, default from dim 1).
public final class Flatten: Module {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) { self.startDim = startDim; self.endDim = endDim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.flatten(startDim: startDim, endDim: endDim) }
    public override func extraRepr() -> String { "start_dim=\(startDim), end_dim=\(endDim)" }
}

/// Returns its input (PyTorch's `nn.Identity`).
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x }
}

/// Zeroes each element with probability `p` while training and scales the rest by 1/(1-p)
/// (PyTorch's `nn.Dropout`, with PyTorch's non-MKL random stream, which torch 2.13 x86 also uses).
public final class Dropout: Module {
    public let p: Double
    public init(_ p: Double = 0.5) {
        if p < 0 || p > 1 { fail("dropout probability has to be between 0 and 1, but got \(p)") }
        self.p = p; super.init()
    }
    public convenience init(p: Double) { self.init(p) }
    public override func forward(_ x: Tensor) -> Tensor { dropout(x, p: p, training: isTraining) }
    public override func extraRepr() -> String { "p=\(formatPyFloat(p)), inplace=False" }
}

/// PyTorch's `F.dropout`: x * (mask / (1 - p)) with mask ~ Bernoulli(1 - p).
public func dropout(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    if !training || p == 0 { return x }
    if p == 1 { return x * 0 }
    let mask = Tensor.empty(x.shape, dtype: x.dtype).bernoulli_(1 - p)
    let scaled = noGrad { mask / Tensor.scalar(1 - p, dtype: x.dtype) }
    return x * scaled
}

/// Formats a Double as Python's repr would for simple values (0.5, 1.0, 0.01).
func formatPyFloat(_ v: Double) -> String {
    if v == v.rounded() && Swift.abs(v) < 1e16 { return String(format: "%.1f", v) }
    return "\(v)"
}

// MARK: - Activations

/// max(x, 0).
public final class ReLU: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.relu() } }
/// 1 / (1 + e^-x).
public final class Sigmoid: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() } }
/// Hyperbolic tangent.
public final class Tanh: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.tanh() } }
/// x * sigmoid(x).
public final class SiLU: Module { public override init() { super.init() }; public override func forward(_ x: Tensor) -> Tensor { x.silu() } }
/// Exact GELU.
public final class GELU: Module {
    /// `"none"` (exact, with erf) or `"tanh"` (PyTorch's tanh approximation).
    public let approximate: String
    public init(approximate: String = "none") {
        if approximate != "none" && approximate != "tanh" { fail("approximate argument must be either none or tanh.") }
        self.approximate = approximate
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.gelu(approximate: approximate) }
    public override func extraRepr() -> String { "approximate='\(approximate)'" }
}
/// x > 0 ? x : negativeSlope * x.
public final class LeakyReLU: Module {
    public let negativeSlope: Double
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope: negativeSlope) }
    public override func extraRepr() -> String { "negative_slope=\(formatPyFloat(negativeSlope))" }
}
/// x > 0 ? x : alpha * (e^x - 1).
public final class ELU: Module {
    public let alpha: Double
    public init(alpha: Double = 1) { self.alpha = alpha; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.elu(alpha: alpha) }
    public override func extraRepr() -> String { "alpha=\(formatPyFloat(alpha))" }
}
/// Softmax along `dim`.
public final class Softmax: Module {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.softmax(dim: dim) }
    public override func extraRepr() -> String { "dim=\(dim)" }
}
/// Log-softmax along `dim`.
public final class LogSoftmax: Module {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.logSoftmax(dim: dim) }
    public override func extraRepr() -> String { "dim=\(dim)" }
}
