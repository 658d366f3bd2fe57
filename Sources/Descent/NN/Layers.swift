import Foundation

/// A fully connected layer y = x·Wᵀ + b (PyTorch's `nn.Linear`), initialised exactly as PyTorch
/// does (kaiming-uniform weight, uniform bias, drawn in that order from the global generator).
public class Linear: Module {
    /// The input size (0 for a `LazyLinear` until its first forward).
    public internal(set) var inFeatures: Int
    public let outFeatures: Int
    /// The weight, shaped (outFeatures, inFeatures).
    public var weight: Parameter
    /// The bias, shaped (outFeatures), or nil.
    public var bias: Parameter?

    /// A layer whose parameters live on `device` (`.meta`: shapes only, nothing allocated or drawn).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, device: Device = .cpu) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(Tensor.empty(outFeatures, inFeatures, device: device))
        self.bias = bias ? Parameter(Tensor.empty(outFeatures, device: device)) : nil
        super.init()
        resetParameters()
    }
    /// A `LazyLinear`'s placeholders: nothing allocated or drawn until the first forward.
    init(lazyOutFeatures outFeatures: Int, bias: Bool, device: Device) {
        inFeatures = 0
        self.outFeatures = outFeatures
        weight = lazyParameter(device)
        self.bias = bias ? lazyParameter(device) : nil
        super.init()
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

/// y = x·Wᵀ + b (PyTorch's `F.linear`): one fused addmm for 2-D inputs, and for contiguous inputs of
/// more dims viewed as 2-D (PyTorch's `_flatten_nd_linear`, so the bias is added where PyTorch adds it).
public func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
    if x.rank == 2, let b = bias { return addmm(b, x, weight.t()) }
    if x.rank >= 3, let b = bias, b.rank == 1, x.isContiguous, weight.rank == 2 {
        let inner = x.shape[x.rank - 1]
        if inner != weight.shape[1] {
            fail("mat1 and mat2 shapes cannot be multiplied (\(x.count / Swift.max(inner, 1))x\(inner) and \(weight.shape[1])x\(weight.shape[0]))")
        }
        return addmm(b, x.view([-1, inner]), weight.t()).view(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
    let y = x.matmul(weight.t())
    if let b = bias { return y + b }
    return y
}

/// `activation(linear(x, weight, bias))` for a 2-D float CUDA input, an activation module `ReLU`,
/// `Tanh` or `Sigmoid`, and a bias: the product (no bias copied in first), then the bias and the
/// activation in one kernel. The graph is the unfused one: `AddmmBackward0` (it saves x and weightᵀ)
/// feeding the activation's node (it saves its output), the pre-activation sharing the output's
/// memory since nothing reads its values. Nil when it does not apply.
func linearWithActivation(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, activation: Module) -> Tensor? {
    let op: UnaryOp, gop: Op
    switch activation {
    case is ReLU: (op, gop) = (.relu, .relu)
    case is Tanh: (op, gop) = (.tanh, .tanh)
    case is Sigmoid: (op, gop) = (.sigmoid, .sigmoid)
    default: return nil
    }
    guard let b = bias, x.rank == 2, weight.rank == 2, b.rank == 1, x.dtype.isFloatingPoint, x.dtype == weight.dtype, b.dtype == x.dtype,
          x.device == weight.device, b.device == x.device, x.shape[1] == weight.shape[1], b.shape[0] == weight.shape[0], x.shape[0] > 0
    else { return nil }
    let wt = weight.t()
    let out = Tensor(uninitializedShape: [x.shape[0], weight.shape[0]], dtype: x.dtype, device: x.device)
    gemm(x, wt, into: out)
    Kernels.biasActivation(out, bias: b, op)
    if gradEnabled && (x.requiresGradFlag || weight.requiresGradFlag || b.requiresGradFlag) {
        let z = Tensor(storage: out.storage, shape: out.shape, strides: out.strides, offset: out.offset, dtype: out.dtype)
        z.recorded(.addmm(biasShape: b.shape, beta: 1, alpha: 1), inputs: [b, x, wt], saved: [x, wt])
        out.recorded(gop, inputs: [z], saved: [out])
    }
    return out
}

/// Applies its layers in order (PyTorch's `nn.Sequential`); build it with a result builder
/// (`Sequential { Linear(1, 2); ReLU() }`), from an array, or with names
/// (`Sequential(named: ["fc1": Linear(2, 3), "act": ReLU()])`, PyTorch's `OrderedDict` form).
/// `net[0]` is the first layer; `net["fc1"]` the layer named "fc1".
public final class Sequential: Module, Sequence {
    public private(set) var layers: [Module]
    /// The layers' names: "0", "1", ... unless given.
    public private(set) var names: [String]
    public init(_ layers: [Module]) {
        self.layers = layers
        names = layers.indices.map(String.init)
        super.init()
    }
    public convenience init(_ layers: Module...) { self.init(layers) }
    public convenience init(@ModuleBuilder _ build: () -> [Module]) { self.init(build()) }
    /// Named layers in the literal's order (PyTorch's `nn.Sequential(OrderedDict(...))`).
    public convenience init(named layers: KeyValuePairs<String, Module>) { self.init(named: layers.map { ($0.key, $0.value) }) }
    /// Named layers in order; names must be unique, non-empty and free of ".".
    public init(named layers: [(String, Module)]) {
        for (i, (n, _)) in layers.enumerated() {
            checkModuleName(n)
            if layers[..<i].contains(where: { $0.0 == n }) { fail("Sequential: duplicate module name \"\(n)\"") }
        }
        self.layers = layers.map(\.1)
        names = layers.map(\.0)
        super.init()
    }
    /// Applies the layers in order. On CUDA a `Linear` followed by `ReLU`, `Tanh` or `Sigmoid` runs as
    /// the product and one kernel adding the bias and applying the activation (one launch fewer), and
    /// records the same graph as the two layers (`AddmmBackward0`, then the activation's node).
    public override func forward(_ x: Tensor) -> Tensor {
        var h = x
        var i = 0
        while i < layers.count {
            if h.device.isCUDA, i + 1 < layers.count, let linear = layers[i] as? Linear,
               let y = linearWithActivation(h, linear.weight, linear.bias, activation: layers[i + 1]) {
                h = y
                i += 2
                continue
            }
            h = layers[i](h)
            i += 1
        }
        return h
    }
    public override func namedChildren() -> [(String, Module)] { Array(zip(names, layers)) }
    /// Appends `module` as a layer named `name` (PyTorch's `add_module` on a Sequential), replaces the layer of that
    /// name, or removes it when nil.
    public override func registerModule(_ name: String, _ module: Module?) {
        checkModuleName(name)
        if let i = names.firstIndex(of: name) {
            if let m = module { layers[i] = m } else { layers.remove(at: i); names.remove(at: i) }
        } else if let m = module { names.append(name); layers.append(m) }
    }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }
    /// The layer at `index` (negative counts from the end, as in Python).
    public subscript(index: Int) -> Module {
        let i = index < 0 ? index + layers.count : index
        if i < 0 || i >= layers.count { fail("index \(index) is out of range") }
        return layers[i]
    }
    /// The layer named `name` (PyTorch's attribute access `net.fc1`).
    public subscript(name: String) -> Module {
        guard let i = names.firstIndex(of: name) else { fail("'Sequential' object has no attribute '\(name)'") }
        return layers[i]
    }
    /// A new Sequential of the layers in `range` (PyTorch's `net[1:3]`, `net[1...]`, `net[..<2]`), keeping their names.
    public subscript<R: RangeExpression>(range: R) -> Sequential where R.Bound == Int {
        let r = range.relative(to: layers)
        return Sequential(named: Array(zip(names[r], layers[r])))
    }
    /// Number of layers.
    public var count: Int { layers.count }
    /// Iterates the layers in order (Python's `for layer in net`).
    public func makeIterator() -> IndexingIterator<[Module]> { layers.makeIterator() }
    /// Appends a layer, named by its index as PyTorch's `append` does.
    public func append(_ m: Module) { names.append(String(layers.count)); layers.append(m) }
    /// Appends each layer of `modules` (PyTorch's `extend`).
    public func extend(_ modules: some Sequence<Module>) { for m in modules { append(m) } }
    /// Inserts `m` before position `index` (negative counts from the end) and renumbers the layers, as PyTorch's `insert`.
    public func insert(_ index: Int, _ m: Module) {
        let n = layers.count
        if index < -n || index > n { fail("Index out of range: \(index)") }
        let i = index < 0 ? index + n : index
        layers.insert(m, at: i)
        names = layers.indices.map(String.init)
    }
    /// Removes and returns the layer at `index` (negative counts from the end), renumbering the rest (PyTorch's `pop`).
    @discardableResult public func pop(_ index: Int = -1) -> Module {
        let m = self[index]
        let i = index < 0 ? index + layers.count : index
        layers.remove(at: i)
        names = layers.indices.map(String.init)
        return m
    }
}

/// Stops unless `name` can name a submodule (PyTorch's `add_module` checks).
func checkModuleName(_ name: String) {
    if name.isEmpty { fail("module name can't be empty string \"\"") }
    if name.contains(".") { fail("module name can't contain \".\", got: \(name)") }
}

/// Submodules by name in insertion order (PyTorch's `nn.ModuleDict`).
public final class ModuleDict: Module, Sequence {
    private var entries: [(String, Module)] = []
    /// An empty dict.
    public override init() { super.init() }
    /// The literal's pairs in order (`ModuleDict(["conv": Conv2d(1, 8, 3), "pool": MaxPool2d(2)])`).
    public convenience init(_ modules: KeyValuePairs<String, Module>) { self.init(modules.map { ($0.key, $0.value) }) }
    /// The pairs in order; a repeated key replaces the earlier module in its place, as in PyTorch.
    public convenience init(_ modules: [(String, Module)]) {
        self.init()
        for (k, m) in modules { self[k] = m }
    }
    public override func namedChildren() -> [(String, Module)] { entries }
    /// `dict[name] = module` (PyTorch's `add_module` on a ModuleDict).
    public override func registerModule(_ name: String, _ module: Module?) { self[name] = module }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }
    /// The module under `key`; assigning adds or replaces it (nil removes it, like `pop`).
    public subscript(key: String) -> Module? {
        get { entries.first { $0.0 == key }?.1 }
        set {
            if let m = newValue {
                checkModuleName(key)
                if let i = entries.firstIndex(where: { $0.0 == key }) { entries[i].1 = m } else { entries.append((key, m)) }
            } else {
                entries.removeAll { $0.0 == key }
            }
        }
    }
    /// The keys in order.
    public var keys: [String] { entries.map(\.0) }
    /// The modules in order.
    public var values: [Module] { entries.map(\.1) }
    /// Number of entries.
    public var count: Int { entries.count }
    /// Whether `key` is present (Python's `key in d`).
    public func contains(_ key: String) -> Bool { entries.contains { $0.0 == key } }
    /// Removes and returns the module under `key` (PyTorch's `pop`).
    @discardableResult public func pop(_ key: String) -> Module {
        guard let m = self[key] else { fail("KeyError: '\(key)'") }
        self[key] = nil
        return m
    }
    /// Adds or replaces the given pairs (PyTorch's `update`).
    public func update(_ modules: [(String, Module)]) { for (k, m) in modules { self[k] = m } }
    /// Iterates (key, module) pairs in order (PyTorch's `items()`).
    public func makeIterator() -> IndexingIterator<[(String, Module)]> { entries.makeIterator() }
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
    /// The module at `index` (negative counts from the end, as in Python).
    public subscript(index: Int) -> Module {
        let i = index < 0 ? index + modules_.count : index
        if i < 0 || i >= modules_.count { fail("index \(index) is out of range") }
        return modules_[i]
    }
    /// A new ModuleList of the modules in `range` (PyTorch's `layers[1:]`).
    public subscript<R: RangeExpression>(range: R) -> ModuleList where R.Bound == Int { ModuleList(Array(modules_[range.relative(to: modules_)])) }
    public var count: Int { modules_.count }
    public func append(_ m: Module) { modules_.append(m) }
    /// Appends each module of `modules` (PyTorch's `extend`).
    public func extend(_ modules: some Sequence<Module>) { modules_.append(contentsOf: modules) }
    /// Inserts `m` before position `index` (negative counts from the end), as PyTorch's `insert`.
    public func insert(_ index: Int, _ m: Module) {
        let n = modules_.count
        let i = index < 0 ? Swift.max(index + n, 0) : Swift.min(index, n)
        modules_.insert(m, at: i)
    }
    /// Removes and returns the module at `index` (PyTorch's `pop`).
    @discardableResult public func pop(_ index: Int = -1) -> Module {
        let m = self[index]
        modules_.remove(at: index < 0 ? index + modules_.count : index)
        return m
    }
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

/// Expands one dim into several (PyTorch's `nn.Unflatten(dim, unflattened_size)`).
public final class Unflatten: Module {
    public let dim: Int, unflattenedSize: [Int]
    public init(_ dim: Int, _ unflattenedSize: [Int]) { self.dim = dim; self.unflattenedSize = unflattenedSize; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.unflatten(dim, unflattenedSize) }
    public override func extraRepr() -> String {
        "dim=\(dim), unflattened_size=(\(unflattenedSize.map(String.init).joined(separator: ", "))\(unflattenedSize.count == 1 ? "," : ""))"
    }
}

/// Returns its input (PyTorch's `nn.Identity`).
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x }
}

/// The common part of the dropout layers (PyTorch's `_DropoutNd`): the probability, checked, and the repr.
open class DropoutBase: Module {
    /// The probability of zeroing an element (or a channel).
    public let p: Double
    public init(_ p: Double = 0.5) { checkDropoutP(p); self.p = p; super.init() }
    public convenience init(p: Double) { self.init(p) }
    open override func extraRepr() -> String { "p=\(formatPyFloat(p)), inplace=False" }
}

/// Zeroes each element with probability `p` while training and scales the rest by 1/(1-p)
/// (PyTorch's `nn.Dropout`, with PyTorch's non-MKL random stream, which torch 2.13 x86 also uses).
public final class Dropout: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor { dropout(x, p: p, training: isTraining) }
}

/// PyTorch's `F.dropout`: x * (mask / (1 - p)) with mask ~ Bernoulli(1 - p), drawn as PyTorch draws it
/// on x's device. On CUDA it is PyTorch's `native_dropout`: its fused kernel's layout, and its own
/// backward node (`NativeDropoutBackward0`, the gradient scaled by 1/(1-p) rounded from double).
public func dropout(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    if !training || p == 0 { return x }
    if p == 1 { return x * 0 }
    let mask = x.dropoutMask(keep: 1 - p)
    let scaled = noGrad { mask / Tensor.scalar(1 - p, dtype: x.dtype) }
    guard x.device.isCUDA else { return x * scaled }
    let out = noGrad { x * scaled }
    return wantsGrad(x) ? out.recorded(.nativeDropout(keep: 1 - p), inputs: [x], saved: [mask]) : out
}

/// Formats a Double as Python's repr would for simple values (0.5, 1.0, 0.01).
func formatPyFloat(_ v: Double) -> String {
    if v == v.rounded() && Swift.abs(v) < 1e16 { return String(format: "%.1f", v) }
    return "\(v)"
}

// MARK: - Activations

/// max(x, 0).
public final class ReLU: Module {
    /// Printed as PyTorch's `ReLU(inplace=True)`; the result is the same either way.
    public let inplace: Bool
    public init(inplace: Bool = false) { self.inplace = inplace; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.relu() }
    public override func extraRepr() -> String { inplace ? "inplace=True" : "" }
}
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
    /// PyTorch's positional form, `nn.LeakyReLU(0.2)`.
    public convenience init(_ negativeSlope: Double) { self.init(negativeSlope: negativeSlope) }
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

/// PyTorch's one-line description of a parameter in a container's repr: `[torch.float32 of size 2x3]`
/// (`typeName`: ParameterDict's `torch.FloatTensor` form).
private func parameterLine(_ key: String, _ p: Parameter, typeName: Bool) -> String {
    let size = p.shape.map(String.init).joined(separator: "x")
    let legacy: [DType: String] = [.float32: "FloatTensor", .float64: "DoubleTensor", .int64: "LongTensor", .int32: "IntTensor",
                                   .uint8: "ByteTensor", .bool: "BoolTensor"]
    let kind: String
    var device = ""
    if typeName {
        kind = (p.isCUDA ? "torch.cuda." : "torch.") + legacy[p.dtype]!
        if case .cuda(let i) = p.device { device = " (GPU \(i))" }
    } else {
        kind = "torch.\(p.dtype)"
        if p.isCUDA { device = " (\(p.device))" }
    }
    return "  (\(key)): Parameter containing: [\(kind) of size \(size)\(device)]"
}

/// A list of parameters registered as `0`, `1`, … (PyTorch's `nn.ParameterList`).
public final class ParameterList: Module, Sequence {
    public private(set) var items: [Parameter]
    public init(_ parameters: [Parameter] = []) { items = parameters; super.init() }
    public override func namedDirectParameters() -> [(String, Parameter)] { items.enumerated().map { ("\($0.offset)", $0.element) } }
    public subscript(index: Int) -> Parameter {
        get { items[index < 0 ? index + items.count : index] }
        set { items[index < 0 ? index + items.count : index] = newValue }
    }
    public var count: Int { items.count }
    public func append(_ p: Parameter) { items.append(p) }
    public func extend(_ ps: [Parameter]) { items += ps }
    public func makeIterator() -> IndexingIterator<[Parameter]> { items.makeIterator() }
    public override func extraRepr() -> String {
        items.enumerated().map { parameterLine("\($0.offset)", $0.element, typeName: false) }.joined(separator: "\n")
    }
}

/// Parameters by name, in insertion order (PyTorch's `nn.ParameterDict`).
public final class ParameterDict: Module {
    public private(set) var items: [(String, Parameter)] = []
    public init(_ parameters: [(String, Parameter)] = []) { super.init(); for (k, p) in parameters { self[k] = p } }
    public override func namedDirectParameters() -> [(String, Parameter)] { items }
    public subscript(key: String) -> Parameter? {
        get { items.first { $0.0 == key }?.1 }
        set {
            if key.isEmpty || key.contains(".") { fail("parameter name can't contain \".\" or be empty, got \"\(key)\"") }
            if let i = items.firstIndex(where: { $0.0 == key }) {
                if let p = newValue { items[i].1 = p } else { items.remove(at: i) }
            } else if let p = newValue { items.append((key, p)) }
        }
    }
    public var keys: [String] { items.map(\.0) }
    public var values: [Parameter] { items.map(\.1) }
    public var count: Int { items.count }
    public override func extraRepr() -> String { items.map { parameterLine($0.0, $0.1, typeName: true) }.joined(separator: "\n") }
}
