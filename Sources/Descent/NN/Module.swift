/// A tensor that is a trainable weight of a module (PyTorch's `nn.Parameter`): it requires grad
/// and is found automatically by `Module.parameters()`. Prints as `Parameter containing:` + tensor.
public final class Parameter: Tensor {
    /// Wraps `tensor`'s storage as a parameter (no copy), requiring grad by default.
    public init(_ tensor: Tensor, requiresGrad: Bool = true) {
        super.init(storage: tensor.storage, shape: tensor.shape, strides: tensor.strides, offset: tensor.offset, dtype: tensor.dtype)
        if requiresGrad { self.requiresGrad = true }
    }
    /// A 0-dim parameter from a literal.
    public required convenience init(integerLiteral value: Int) { self.init(Tensor(Double(value))) }
    /// A 0-dim parameter from a literal.
    public required convenience init(floatLiteral value: Double) { self.init(Tensor(value)) }

    // A parameter held in a module's property changes in place as PyTorch's `layer.weight *= 0.1`
    // (under `noGrad`): a class reference, so no write-back (Tensor's own forms take `inout` so that
    // `x[mask] += 1` writes its copy back).
    /// In-place `p += t` (`add_`).
    public static func += (a: Parameter, b: Tensor) { a.add_(b) }
    /// In-place `p -= t` (`sub_`).
    public static func -= (a: Parameter, b: Tensor) { a.sub_(b) }
    /// In-place `p *= t` (`mul_`).
    public static func *= (a: Parameter, b: Tensor) { a.mul_(b) }
    /// In-place `p /= t` (`div_`).
    public static func /= (a: Parameter, b: Tensor) { a.div_(b) }
    @_disfavoredOverload public static func += <S: ScalarOperand>(a: Parameter, b: S) { a.add_(b.wrappedNumber) }
    @_disfavoredOverload public static func -= <S: ScalarOperand>(a: Parameter, b: S) { a.sub_(b.wrappedNumber) }
    @_disfavoredOverload public static func *= <S: ScalarOperand>(a: Parameter, b: S) { a.mul_(b.wrappedNumber) }
    @_disfavoredOverload public static func /= <S: ScalarOperand>(a: Parameter, b: S) { a.div_(b.wrappedNumber) }
}

/// The base class of layers and models (PyTorch's `nn.Module`). Subclass it, store `Parameter`s,
/// `Module`s and `[Module]`s as properties (they are found by reflection, no registration needed)
/// and override `forward(_:)`.
open class Module: CustomStringConvertible {
    /// Whether the module is in training mode (PyTorch's `training`).
    public private(set) var isTraining = true
    /// What `saveHyperparameters` recorded, in order (a `TrainingModule`'s `hparams`).
    var savedHyperparameters: [(String, HParamValue)] = []
    /// The trainer that last ran this module (a `TrainingModule`'s `trainer` after `fit` returns).
    weak var lastTrainer: Trainer?

    public init() {}

    /// The computation. Subclasses override this.
    open func forward(_ x: Tensor) -> Tensor {
        fail("Module [\(typeName)] is missing the required \"forward\" function")
    }
    /// Runs `forward`. (Disfavoured so that a layer's own form wins where both fit: `lstm(x)` is
    /// PyTorch's (output, (h_n, c_n)) tuple, `let y: Tensor = lstm(x)` the output alone.)
    @_disfavoredOverload
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if forwardPreHooks.isEmpty && forwardHooks.isEmpty && backwardHooks.isEmpty && backwardPreHooks.isEmpty { return forward(x) }
        var input = x
        for h in forwardPreHooks { if let r = h.hook(self, input) { input = r } }
        let hooked = !(backwardHooks.isEmpty && backwardPreHooks.isEmpty) && gradEnabled
        // full backward hooks: identity functions around the input and the output catch their gradients
        var gradOutput: Tensor? = nil
        let inputTracked = hooked && wantsGrad(input)
        if inputTracked {
            input = BackwardHookFunction.wrap(input) { [weak self] gIn in self?.runBackwardHooks(gradInput: gIn, gradOutput: gradOutput) ?? gIn }
        }
        var out = forward(input)
        for h in forwardHooks { if let r = h.hook(self, input, out) { out = r } }
        if hooked && wantsGrad(out) {
            out = BackwardHookFunction.wrap(out) { [weak self] g in
                guard let self else { return g }
                var gOut = g
                for h in self.backwardPreHooks { if let r = h.hook(self, [gOut]) { gOut = r[0] } }
                gradOutput = gOut
                if !inputTracked { _ = self.runBackwardHooks(gradInput: nil, gradOutput: gOut) }
                return gOut
            }
        }
        return out
    }

    private var backwardHooks: [(id: Int, hook: (Module, [Tensor?], [Tensor]) -> [Tensor?]?)] = []
    private var backwardPreHooks: [(id: Int, hook: (Module, [Tensor]) -> [Tensor]?)] = []
    /// Calls each full backward hook with (grad_input, grad_output); a non-nil result replaces grad_input.
    private func runBackwardHooks(gradInput: Tensor?, gradOutput: Tensor?) -> Tensor? {
        var gIn = gradInput
        for h in backwardHooks {
            if let r = h.hook(self, [gIn], gradOutput.map { [$0] } ?? []) { gIn = r.first ?? gIn }
        }
        return gIn
    }
    /// Calls `hook(module, gradInput, gradOutput)` when the gradients of the module's input have been
    /// computed (PyTorch's `register_full_backward_hook`; grad_input is `[nil]` when the input does not
    /// require grad, and the hook then fires with the output's gradient). A non-nil result replaces grad_input.
    @discardableResult
    public func registerFullBackwardHook(_ hook: @escaping (Module, [Tensor?], [Tensor]) -> [Tensor?]?) -> HookHandle {
        Module.nextHookID += 1
        let id = Module.nextHookID
        backwardHooks.append((id, hook))
        return HookHandle { [weak self] in self?.backwardHooks.removeAll { $0.id == id } }
    }
    /// Calls `hook(module, gradOutput)` when the gradient of the module's output arrives, before the
    /// module's own backward; a non-nil result replaces it (PyTorch's `register_full_backward_pre_hook`).
    @discardableResult
    public func registerFullBackwardPreHook(_ hook: @escaping (Module, [Tensor]) -> [Tensor]?) -> HookHandle {
        Module.nextHookID += 1
        let id = Module.nextHookID
        backwardPreHooks.append((id, hook))
        return HookHandle { [weak self] in self?.backwardPreHooks.removeAll { $0.id == id } }
    }

    private var forwardPreHooks: [(id: Int, hook: (Module, Tensor) -> Tensor?)] = []
    private var forwardHooks: [(id: Int, hook: (Module, Tensor, Tensor) -> Tensor?)] = []
    nonisolated(unsafe) private static var nextHookID = 0
    /// Calls `hook(module, input)` before each `module(x)`; a non-nil result replaces the input
    /// (PyTorch's `register_forward_pre_hook`). `remove()` on the handle undoes it.
    @discardableResult
    public func registerForwardPreHook(_ hook: @escaping (Module, Tensor) -> Tensor?) -> HookHandle {
        Module.nextHookID += 1
        let id = Module.nextHookID
        forwardPreHooks.append((id, hook))
        return HookHandle { [weak self] in self?.forwardPreHooks.removeAll { $0.id == id } }
    }
    /// Calls `hook(module, input, output)` after each `module(x)`; a non-nil result replaces the output
    /// (PyTorch's `register_forward_hook`): how features are taken out of a pretrained network.
    @discardableResult
    public func registerForwardHook(_ hook: @escaping (Module, Tensor, Tensor) -> Tensor?) -> HookHandle {
        Module.nextHookID += 1
        let id = Module.nextHookID
        forwardHooks.append((id, hook))
        return HookHandle { [weak self] in self?.forwardHooks.removeAll { $0.id == id } }
    }

    /// The class's name without generic arguments (`AveragedModel`, as PyTorch's repr prints it).
    var typeName: String {
        let name = String(describing: type(of: self))
        return name.firstIndex(of: "<").map { String(name[..<$0]) } ?? name
    }

    /// The direct submodules with their names: the declared ones in declaration order, then the registered ones.
    open func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = []
        forEachProperty { label, value in
            if let m = value as? Module { out.append((label, m)) }
            else if let ms = value as? [Module] { for (i, m) in ms.enumerated() { out.append(("\(label).\(i)", m)) } }
        }
        return out + registeredModules
    }
    private var registeredModules: [(String, Module)] = []
    /// Adds `module` as a child named `name` (PyTorch's `add_module` / `register_module`): layers made in a loop.
    /// Registering a name again replaces that child; nil removes it.
    /// Containers (`Sequential`, `ModuleDict`) add the module to their own layers; a module whose children are fixed stops.
    open func registerModule(_ name: String, _ module: Module?) {
        checkModuleName(name)
        var declared = false
        forEachProperty { label, _ in if label == name { declared = true } }
        if declared { fail("KeyError: \"attribute '\(name)' already exists\"") }
        if let i = registeredModules.firstIndex(where: { $0.0 == name }) {
            if let m = module { registeredModules[i].1 = m } else { registeredModules.remove(at: i) }
        } else if let m = module { registeredModules.append((name, m)) }
        if let m = module, !namedChildren().contains(where: { $0.1 === m }) {
            registeredModules.removeAll { $0.0 == name }
            fail("\(typeName) cannot take registered modules (its submodules are fixed)")
        }
    }
    /// `registerModule` (PyTorch's `add_module`).
    public func addModule(_ name: String, _ module: Module?) { registerModule(name, module) }
    /// The submodule at the dotted path `target` ("" is this module) (PyTorch's `get_submodule`).
    public func getSubmodule(_ target: String) -> Module {
        guard let m = namedModules(removeDuplicate: false).first(where: { $0.0 == target })?.1 else { fail("\(typeName) has no submodule `\(target)`") }
        return m
    }
    /// The parameter at the dotted path `target` (PyTorch's `get_parameter`).
    public func getParameter(target: String) -> Parameter {
        guard let p = namedParameters().first(where: { $0.0 == target })?.1 else { fail("\(typeName) has no parameter `\(target)`") }
        return p
    }
    /// The buffer at the dotted path `target` (PyTorch's `get_buffer`).
    public func getBuffer(_ target: String) -> Tensor {
        guard let b = namedBuffers().first(where: { $0.0 == target })?.1 else { fail("\(typeName) has no buffer `\(target)`") }
        return b
    }
    /// Every buffer (PyTorch's `buffers()`).
    public func buffers() -> [Tensor] { namedBuffers().map(\.1) }
    /// This module's own parameters (not those of submodules), with their names.
    open func namedDirectParameters() -> [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        forEachProperty { label, value in
            if let p = value as? Parameter { out.append((label, p)) }
            else if let p = value as? Parameter?, let q = p { out.append((label, q)) }
            else if let ps = value as? [Parameter] { for (i, p) in ps.enumerated() { out.append(("\(label).\(i)", p)) } }
        }
        return out
    }
    /// The parameters `parameters()` and the state dict see: the declared ones (less any a
    /// parametrization such as `weightNorm` replaced) and the registered ones, in that order.
    final func directParameters() -> [(String, Parameter)] {
        let declared = namedDirectParameters()
        return (hiddenParameterNames.isEmpty ? declared : declared.filter { !hiddenParameterNames.contains($0.0) }) + registeredParameters
    }
    private var registeredParameters: [(String, Parameter)] = []
    /// Declared parameters that a parametrization computes now (not trained themselves).
    var hiddenParameterNames: Set<String> = []
    /// The forward pre-hooks of `weightNorm` / `spectralNorm`, by parameter name, for their removal.
    var normHooks: [String: (kind: String, handle: HookHandle, value: () -> Tensor)] = [:]
    /// Adds `parameter` under `name` (PyTorch's `register_parameter`; nil removes a registered one).
    public func registerParameter(_ name: String, _ parameter: Parameter?) {
        if name.isEmpty || name.contains(".") { fail("parameter name can't contain \".\" or be empty, got \"\(name)\"") }
        registeredParameters.removeAll { $0.0 == name }
        if let p = parameter { registeredParameters.append((name, p)) }
    }
    /// This module's own parameter named `name` (PyTorch's `get_parameter` / attribute access, e.g. `m.weight_g`).
    public func getParameter(_ name: String) -> Parameter? {
        directParameters().first { $0.0 == name }?.1 ?? (name.contains(".") ? namedParameters().first { $0.0 == name }?.1 : nil)
    }

    /// Non-trainable state saved in the state dict (PyTorch's buffers, e.g. BatchNorm's running mean):
    /// by default, what `registerBuffer` registered.
    open func namedDirectBuffers() -> [(String, Tensor)] { registeredBuffers }

    private var registeredBuffers: [(String, Tensor)] = []
    /// Registers `tensor` as a buffer named `name` (PyTorch's `register_buffer`): saved in the state
    /// dict, loaded in place, cast by `to(dtype:)`, but not a parameter. Keep the tensor in a property
    /// to use it; registering the same name again replaces it.
    /// With `persistent: false` it stays out of the state dict (PyTorch's `persistent=False`).
    public func registerBuffer(_ name: String, _ tensor: Tensor, persistent: Bool = true) {
        if name.isEmpty || name.contains(".") { fail("buffer name can't contain \".\" or be empty, got \"\(name)\"") }
        if let i = registeredBuffers.firstIndex(where: { $0.0 == name }) { registeredBuffers[i].1 = tensor }
        else { registeredBuffers.append((name, tensor)) }
        if persistent { nonPersistentBuffers.remove(name) } else { nonPersistentBuffers.insert(name) }
    }
    /// The names of buffers registered with `persistent: false`.
    private(set) var nonPersistentBuffers: Set<String> = []
    /// Removes the registered buffer `name` (PyTorch's `del module.name`).
    public func removeBuffer(_ name: String) { registeredBuffers.removeAll { $0.0 == name }; nonPersistentBuffers.remove(name) }
    /// The registered buffer named `name` (PyTorch's `module.get_buffer` / attribute access).
    public func buffer(_ name: String) -> Tensor? { registeredBuffers.first { $0.0 == name }?.1 }

    func forEachProperty(_ body: (String, Any) -> Void) {
        var mirror: Mirror? = Mirror(reflecting: self)
        var levels: [Mirror] = []
        while let m = mirror, m.subjectType != Module.self { levels.append(m); mirror = m.superclassMirror }
        for m in levels.reversed() {
            for c in m.children {
                guard var label = c.label else { continue }
                if label.hasPrefix("$__lazy_storage_$_") { label.removeFirst("$__lazy_storage_$_".count) }
                if label.hasPrefix("_") { label.removeFirst() }
                body(label, c.value)
            }
        }
    }

    /// The direct submodules.
    public func children() -> [Module] { namedChildren().map { $0.1 } }
    /// This module and every submodule, depth first, with dotted names ("" for self).
    /// A module reached twice (a shared submodule) is listed once, at its first name, unless
    /// `removeDuplicate` is false (PyTorch's `named_modules(remove_duplicate=...)`).
    public func namedModules(prefix: String = "", removeDuplicate: Bool = true) -> [(String, Module)] {
        var out: [(String, Module)] = []
        var seen = Set<ObjectIdentifier>()
        func walk(_ m: Module, _ name: String) {
            if removeDuplicate && !seen.insert(ObjectIdentifier(m)).inserted { return }
            out.append((name, m))
            for (n, c) in m.namedChildren() { walk(c, name.isEmpty ? n : name + "." + n) }
        }
        walk(self, prefix)
        return out
    }
    /// This module and every submodule.
    public func modules() -> [Module] { namedModules().map { $0.1 } }
    /// Every parameter with PyTorch's dotted name (`0.weight`, `l1.bias`), each once.
    public func namedParameters() -> [(String, Parameter)] {
        var seen = Set<ObjectIdentifier>()
        var out: [(String, Parameter)] = []
        for (prefix, m) in namedModules() {
            for (n, p) in m.directParameters() where seen.insert(ObjectIdentifier(p)).inserted {
                out.append((prefix.isEmpty ? n : prefix + "." + n, p))
            }
        }
        return out
    }
    /// Every parameter, each once (PyTorch's `parameters()`).
    public func parameters() -> [Parameter] { namedParameters().map { $0.1 } }
    /// Every buffer with its dotted name.
    public func namedBuffers() -> [(String, Tensor)] {
        namedModules().flatMap { (prefix, m) in m.namedDirectBuffers().map { (prefix.isEmpty ? $0.0 : prefix + "." + $0.0, $0.1) } }
    }

    /// Sets training mode here and in every submodule; returns self.
    @discardableResult public func train(_ mode: Bool = true) -> Self {
        for m in modules() { m.isTraining = mode }
        return self
    }
    /// Sets evaluation mode (`train(false)`); returns self.
    @discardableResult public func eval() -> Self { train(false) }

    /// `zeroGrad(setToNil:)` under PyTorch's keyword, `zero_grad(set_to_none=False)`.
    public func zeroGrad(setToNone: Bool) { zeroGrad(setToNil: setToNone) }
    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad(setToNil: Bool = true) {
        for p in parameters() {
            if setToNil { p.grad = nil } else { _ = noGrad { p.grad?.zero_() } }
        }
    }

    /// Moves the module's parameters (and their gradients) and buffers to `device` in place and
    /// returns self (PyTorch's `module.to`): the parameter objects stay the same, so an optimizer built
    /// before still holds them. A module on the meta device has no values to move: use `toEmpty(device:)`.
    @discardableResult public func to(_ device: Device) -> Self {
        device.checkUsable()   // a device this machine cannot use stops here, before anything moves
        let tensors = parameters() as [Tensor] + namedBuffers().map { $0.1 }
        if tensors.contains(where: { $0.device == .meta }) && device != .meta {
            fail("Cannot copy out of meta tensor; no data! Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() when moving module from meta to a different device.")
        }
        noGrad {
            for p in parameters() where p.device != device {
                p.replaceData(with: p.detach().to(device))
                if let g = p.grad { p.grad = g.to(device) }
            }
            for (_, b) in namedBuffers() where b.device != device { b.replaceData(with: b.to(device)) }
        }
        return self
    }
    /// Gives every parameter and buffer new, uninitialised memory on `device`, keeping shapes and dtypes
    /// (PyTorch's `module.to_empty(device=...)`): how a model built on the meta device is materialised.
    @discardableResult public func toEmpty(device: Device) -> Self {
        noGrad {
            for p in parameters() { p.replaceData(with: Tensor.empty(p.shape, dtype: p.dtype, device: device)); p.grad = nil }
            for (_, b) in namedBuffers() { b.replaceData(with: Tensor.empty(b.shape, dtype: b.dtype, device: device)) }
        }
        return self
    }

    /// Casts the floating-point parameters (and their gradients) and buffers to `dtype` in place and
    /// returns self (PyTorch's `module.to(torch.float64)`); the parameter objects stay the same.
    @discardableResult public func to(dtype: DType) -> Self {
        if !dtype.isFloatingPoint {
            fail("nn.Module.to only accepts floating point or complex `dtype`s, but got desired `dtype`=\(dtype)")
        }
        noGrad {
            for p in parameters() where p.dtype.isFloatingPoint && p.dtype != dtype {
                p.replaceData(with: p.detach().to(dtype: dtype).contiguous())
                if let g = p.grad { p.grad = g.to(dtype: dtype) }
            }
            for (_, b) in namedBuffers() where b.dtype.isFloatingPoint && b.dtype != dtype {
                b.replaceData(with: b.to(dtype: dtype).contiguous())
            }
        }
        return self
    }
    /// Casts floating-point parameters and buffers to float64 (PyTorch's `module.double()`).
    @discardableResult public func double() -> Self { to(dtype: .float64) }
    /// Casts floating-point parameters and buffers to float32 (PyTorch's `module.float()`).
    @discardableResult public func float() -> Self { to(dtype: .float32) }

    /// Parameters and buffers by dotted name, in PyTorch's order (PyTorch's `state_dict()`).
    public func stateDict() -> StateDict {
        var d = StateDict()
        for (prefix, m) in namedModules(removeDuplicate: false) {
            for (n, p) in m.directParameters() { d[prefix.isEmpty ? n : prefix + "." + n] = p.detach() }
            for (n, b) in m.namedDirectBuffers() where !m.nonPersistentBuffers.contains(n) { d[prefix.isEmpty ? n : prefix + "." + n] = b }
        }
        return d
    }
    /// Copies values from `stateDict` into this module's parameters and buffers (PyTorch's
    /// `load_state_dict`). With `strict`, missing or unexpected keys are an error; shapes must always
    /// match. Returns the keys that did not match (PyTorch's `_IncompatibleKeys`). On an error nothing
    /// is copied, and the error lists every problem as PyTorch's message does.
    @discardableResult
    public func loadStateDict(_ stateDict: StateDict, strict: Bool = true) throws -> IncompatibleKeys {
        let own = self.stateDict()
        let missing = own.keys.filter { stateDict[$0] == nil }
        let unexpected = stateDict.keys.filter { own[$0] == nil }
        // a lazy module's placeholders take the saved shapes (PyTorch's `_lazy_load_hook`)
        var lazy: [String: Tensor] = [:]
        for (prefix, m) in namedModules(removeDuplicate: false) {
            for (n, t) in m.directParameters().map({ ($0.0, $0.1 as Tensor) }) + m.namedDirectBuffers() where t.isUninitializedLazy {
                lazy[prefix.isEmpty ? n : prefix + "." + n] = t
            }
        }
        var mismatches: [StateDictError.SizeMismatch] = []
        for k in own.keys where lazy[k] == nil {
            guard let src = stateDict[k], let dst = own[k] else { continue }
            if src.shape != dst.shape { mismatches.append(.init(key: k, expected: dst.shape, got: src.shape)) }
        }
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError.loadFailed(module: typeName, missing: strict ? missing : [], unexpected: strict ? unexpected : [],
                                            sizeMismatches: mismatches)
        }
        for k in own.keys {
            guard let src = stateDict[k], var dst = own[k] else { continue }
            if let t = lazy[k] { materialize(t, src.shape); dst = t }
            noGrad { _ = dst.copy_(src) }
        }
        return IncompatibleKeys(missingKeys: missing, unexpectedKeys: unexpected)
    }

    /// Extra text inside the parentheses of the repr (PyTorch's `extra_repr`).
    open func extraRepr() -> String { "" }

    /// The module as PyTorch prints it.
    public var description: String {
        let kids = namedChildren()
        let extra = extraRepr()
        if kids.isEmpty && !extra.contains("\n") { return "\(typeName)(\(extra))" }
        var lines: [String] = []
        if !extra.isEmpty { lines += extra.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        for (n, text) in childReprs() {
            let body = text.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }.joined(separator: "\n")
            lines.append("(\(n)): \(body)")
        }
        return "\(typeName)(\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n)"
    }

    /// The children's labels and reprs as `description` lists them (ModuleList merges repeats).
    func childReprs() -> [(String, String)] { namedChildren().map { ($0.0, $0.1.description) } }
}

/// The keys a non-strict `loadStateDict` could not match (PyTorch's `_IncompatibleKeys`).
public struct IncompatibleKeys: Equatable, CustomStringConvertible, Sendable {
    /// Keys the module has and the state dict lacks.
    public let missingKeys: [String]
    /// Keys the state dict has and the module lacks.
    public let unexpectedKeys: [String]
    public init(missingKeys: [String], unexpectedKeys: [String]) { self.missingKeys = missingKeys; self.unexpectedKeys = unexpectedKeys }
    public var description: String {
        if missingKeys.isEmpty && unexpectedKeys.isEmpty { return "<All keys matched successfully>" }
        func list(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }
        return "_IncompatibleKeys(missing_keys=\(list(missingKeys)), unexpected_keys=\(list(unexpectedKeys)))"
    }
}

/// Errors loading a state dict into a module or optimizer.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    /// A tensor whose shape differs from the one it would replace.
    public struct SizeMismatch: Equatable, Sendable {
        public let key: String
        public let expected: [Int]
        public let got: [Int]
        public init(key: String, expected: [Int], got: [Int]) { self.key = key; self.expected = expected; self.got = got }
    }
    /// Loading into a module failed: PyTorch's `Error(s) in loading state_dict for <Module>:` with one
    /// line per problem (missing and unexpected keys only in strict mode).
    case loadFailed(module: String, missing: [String], unexpected: [String], sizeMismatches: [SizeMismatch])
    case keyMismatch(missing: [String], unexpected: [String])
    case shapeMismatch(key: String, expected: [Int], got: [Int])
    case invalid(String)
    /// A value that cannot be used (a count that is negative, not an integer or out of range, NaN, a
    /// tensor of the wrong dtype), with the key it was found under.
    case invalidValue(key: String, value: String, reason: String)
    public var description: String {
        func quoted(_ a: [String]) -> String { a.map { "\"\($0)\"" }.joined(separator: ", ") }
        func mismatch(_ k: String, _ e: [Int], _ g: [Int]) -> String {
            "size mismatch for \(k): copying a param with shape \(torchSize(g)) from checkpoint, the shape in current model is \(torchSize(e))."
        }
        switch self {
        case .loadFailed(let module, let m, let u, let sizes):
            var lines: [String] = []
            if !m.isEmpty { lines.append("Missing key(s) in state_dict: \(quoted(m)). ") }
            if !u.isEmpty { lines.append("Unexpected key(s) in state_dict: \(quoted(u)). ") }
            lines += sizes.map { mismatch($0.key, $0.expected, $0.got) }
            return "Error(s) in loading state_dict for \(module):\n\t" + lines.joined(separator: "\n\t")
        case .keyMismatch(let m, let u):
            var lines: [String] = []
            if !m.isEmpty { lines.append("Missing key(s) in state_dict: \(quoted(m)). ") }
            if !u.isEmpty { lines.append("Unexpected key(s) in state_dict: \(quoted(u)). ") }
            return "Error(s) in loading state_dict:\n\t" + lines.joined(separator: "\n\t")
        case .shapeMismatch(let k, let e, let g):
            return mismatch(k, e, g)
        case .invalid(let s): return s
        case .invalidValue(let k, let v, let reason): return "invalid value for \(k) in state_dict: \(v) (\(reason))"
        }
    }

    /// The same error with `prefix` in front of every key it names (a nested state dict's keys).
    public func prefixed(_ prefix: String) -> StateDictError {
        switch self {
        case .loadFailed(let module, let m, let u, let sizes):
            return .loadFailed(module: module, missing: m.map { prefix + $0 }, unexpected: u.map { prefix + $0 },
                               sizeMismatches: sizes.map { SizeMismatch(key: prefix + $0.key, expected: $0.expected, got: $0.got) })
        case .keyMismatch(let m, let u): return .keyMismatch(missing: m.map { prefix + $0 }, unexpected: u.map { prefix + $0 })
        case .shapeMismatch(let k, let e, let g): return .shapeMismatch(key: prefix + k, expected: e, got: g)
        case .invalid: return self
        case .invalidValue(let k, let v, let r): return .invalidValue(key: prefix + k, value: v, reason: r)
        }
    }
}

/// Values by name in insertion order (Python's dict): the storage of `StateDict` and `Checkpoint`.
struct InsertionOrdered<Value> {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]
    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    func makeIterator() -> AnyIterator<(String, Value)> {
        var i = 0
        return AnyIterator { () -> (String, Value)? in
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], storage[keys[i]]!)
        }
    }
}

/// Named tensors in insertion order (PyTorch's `OrderedDict` state dict).
public struct StateDict: Sequence, ExpressibleByDictionaryLiteral {
    public var keys: [String] { entries.keys }
    /// Set by `Optimizer.stateDict()`: prints in PyTorch's optimizer state-dict form.
    var optimizerPrint: (name: String, hasScheduler: Bool, explicitKeys: [Set<String>])?
    private var entries = InsertionOrdered<Tensor>()
    public init() {}
    public init(_ pairs: [(String, Tensor)]) { for (k, v) in pairs { self[k] = v } }
    /// `["w": w, "b": b]`, in the literal's order (so `save(["w": w], to: path)` works as `save_file` does).
    public init(dictionaryLiteral elements: (String, Tensor)...) { for (k, v) in elements { self[k] = v } }
    /// The entries of a dictionary, ordered by key.
    public init(_ dictionary: [String: Tensor]) { for k in dictionary.keys.sorted() { self[k] = dictionary[k] } }
    public subscript(key: String) -> Tensor? {
        get { entries[key] }
        set { entries[key] = newValue }
    }
    public var count: Int { keys.count }
    public func makeIterator() -> AnyIterator<(String, Tensor)> { entries.makeIterator() }
}

/// `torch.Size([a, b])`, as PyTorch's messages print shapes.
func torchSize(_ s: [Int]) -> String { "torch.Size(\(shapeString(s)))" }

/// An identity whose backward hands the incoming gradient to a closure (PyTorch's `BackwardHookFunction`,
/// the node full backward hooks put around a module's input and output).
final class BackwardHookFunction: Function {
    override class var gradFnName: String { "BackwardHookFunctionBackward" }
    static func wrap(_ x: Tensor, _ onGradient: @escaping (Tensor) -> Tensor) -> Tensor {
        let ctx = FunctionContext()
        ctx.values["hook"] = onGradient
        return applyWith(ctx, [x])
    }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor { inputs[0] }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        [(ctx.values["hook"] as! (Tensor) -> Tensor)(g)]
    }
}
