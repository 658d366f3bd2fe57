// The base of every optimizer (PyTorch's `torch.optim.Optimizer`): parameter groups with typed settings,
// per-parameter state, `step()` calling the overridable per-parameter `update`, and state dicts.

// MARK: - Typed settings

/// How PyTorch holds a setting: a float, a bool flag or an int.
public enum OptimizerSettingKind: Sendable { case real, flag, integer }

/// One of an optimizer's settings under PyTorch's name (`"momentum"`, `"betas.0"`), and where it lives
/// in the typed settings: state dicts, printing and schedulers reach settings through these.
public struct OptimizerSetting<Settings> {
    /// PyTorch's name; the halves of a tuple such as `betas` are `"betas.0"` and `"betas.1"`.
    public let name: String
    /// How PyTorch holds (and prints) the value.
    public let kind: OptimizerSettingKind
    let read: (Settings) -> Double
    let write: (inout Settings, Double) -> Void

    /// A floating-point setting.
    public static func real(_ name: String, _ path: WritableKeyPath<Settings, Double>) -> Self {
        Self(name: name, kind: .real, read: { $0[keyPath: path] }, write: { $0[keyPath: path] = $1 })
    }
    /// A flag (PyTorch's bools; 1 or 0 in state dicts).
    public static func flag(_ name: String, _ path: WritableKeyPath<Settings, Bool>) -> Self {
        Self(name: name, kind: .flag, read: { $0[keyPath: path] ? 1 : 0 }, write: { $0[keyPath: path] = $1 != 0 })
    }
    /// An integer setting (L-BFGS's `max_iter`, ...).
    public static func integer(_ name: String, _ path: WritableKeyPath<Settings, Int>) -> Self {
        Self(name: name, kind: .integer, read: { Double($0[keyPath: path]) }, write: { settings, v in
            guard let i = Int(exactly: v) else { fail("setting '\(name)' must be an integer, got \(v)") }
            settings[keyPath: path] = i
        })
    }
}

/// An optimizer's hyper-parameters for one parameter group, as typed values (`SGD.Settings`,
/// `Adam.Settings`, ...); `init()` gives PyTorch's defaults, and `fields` names each setting as PyTorch does.
public protocol OptimizerSettings {
    /// The settings with PyTorch's defaults.
    init()
    /// PyTorch's default learning rate for this optimizer.
    static var defaultLR: Double { get }
    /// Every setting under PyTorch's name, in the order of PyTorch's `defaults`.
    static var fields: [OptimizerSetting<Self>] { get }
    /// The names (`"lr"` included) whose PyTorch default is a Python int, which PyTorch prints as `0`, not `0.0`.
    static var pythonIntDefaults: Set<String> { get }
}

extension OptimizerSettings {
    public static var pythonIntDefaults: Set<String> { [] }
    /// The setting PyTorch calls `name`, or nil if there is none.
    public func value(named name: String) -> Double? {
        Self.fields.first { $0.name == name }.map { $0.read(self) }
    }
    /// Sets the setting PyTorch calls `name`; returns false (changing nothing) if there is none.
    @discardableResult public mutating func setValue(_ value: Double, named name: String) -> Bool {
        guard let f = Self.fields.first(where: { $0.name == name }) else { return false }
        f.write(&self, value)
        return true
    }
    /// Every setting by PyTorch's name.
    public var values: [String: Double] {
        Dictionary(uniqueKeysWithValues: Self.fields.map { ($0.name, $0.read(self)) })
    }
    /// PyTorch's names, kinds and defaults, in `fields` order.
    static var fieldInfo: [(name: String, kind: OptimizerSettingKind, default: Double)] {
        let d = Self()
        return fields.map { ($0.name, $0.kind, $0.read(d)) }
    }
}

// MARK: - Parameter groups and state

/// A group of parameters sharing hyper-parameters (PyTorch's `param_groups` entries).
public final class ParamGroup {
    public var params: [Parameter]
    /// The learning rate (schedulers change it).
    public var lr: Double
    /// The learning rate the group started with (PyTorch's `initial_lr`).
    public var initialLR: Double
    /// The group's hyper-parameters, typed by the optimizer that holds it (nil until an optimizer takes the group).
    public internal(set) var settings: (any OptimizerSettings)?
    /// The settings the group was created with, by PyTorch's names; the optimizer fills in the rest.
    private var ownSettings: [String: Double]
    /// The settings the group was given itself (PyTorch lists them first in `state_dict()`).
    var explicitKeys: Set<String> = []
    /// The entries OneCycleLR adds to each group (PyTorch's `max_lr`, `min_lr`, `max_momentum`, `base_momentum`).
    var maxLR: Double?, minLR: Double?, maxMomentum: Double?, baseMomentum: Double?
    /// The entry SWALR adds to each group (PyTorch's `swa_lr`).
    var swaLR: Double?

    /// A group with its own learning rate and settings by PyTorch's names (`["momentum": 0.5]`,
    /// `["betas.0": 0.8]`), as PyTorch's `{'params': ..., 'lr': ..., 'momentum': ...}`.
    public init(params: [Parameter], lr: Double? = nil, options: [String: Double] = [:]) {
        self.params = params; self.lr = lr ?? .nan; self.initialLR = lr ?? .nan; self.ownSettings = options
    }

    /// The group's settings as the optimizer's typed settings (`group[Adam.Settings.self].eps`).
    public subscript<S: OptimizerSettings>(_ settingsType: S.Type) -> S {
        get {
            guard let s = settings as? S else {
                fail("the parameter group holds \(settings.map { "\(type(of: $0))" } ?? "no") settings, not \(S.self) (has an optimizer taken it?)")
            }
            return s
        }
        set { settings = newValue }
    }

    /// The settings by PyTorch's names (`"momentum"`, `"betas.0"`, ...) and OneCycleLR's entries: a view of
    /// the typed settings, kept for code written against PyTorch's dictionaries.
    public var options: [String: Double] {
        get {
            var o = settings?.values ?? ownSettings
            for (k, v) in schedulerEntries { o[k] = v }
            return o
        }
        set {
            let current = self.options
            for (k, v) in newValue where current[k] != v { setOption(k, v) }
        }
    }

    private var schedulerEntries: [(String, Double)] {
        [("max_lr", maxLR), ("min_lr", minLR), ("max_momentum", maxMomentum), ("base_momentum", baseMomentum), ("swa_lr", swaLR)]
            .compactMap { k, v in v.map { (k, $0) } }
    }

    /// Sets the setting or OneCycleLR entry PyTorch calls `name`.
    func setOption(_ name: String, _ value: Double) {
        switch name {
        case "max_lr": maxLR = value
        case "min_lr": minLR = value
        case "max_momentum": maxMomentum = value
        case "base_momentum": baseMomentum = value
        case "swa_lr": swaLR = value
        default:
            if settings == nil { ownSettings[name] = value; return }
            if settings?.setValue(value, named: name) != true { fail("the parameter group has no setting '\(name)'") }
        }
    }

    /// Takes the optimizer's `defaults` for what the group does not set itself, and `lr` if it has none.
    func adopt(defaults: any OptimizerSettings, lr: Double, optimizer: String) {
        explicitKeys = Set(ownSettings.keys.map { String($0.split(separator: ".")[0]) })
        if !self.lr.isNaN { explicitKeys.insert("lr") }
        if self.lr.isNaN { self.lr = lr; initialLR = lr }
        var s = defaults
        for (k, v) in ownSettings.sorted(by: { $0.key < $1.key }) where !s.setValue(v, named: k) {
            fail("\(optimizer) has no setting '\(k)' (its settings: \(type(of: s).fieldNames.joined(separator: ", ")))")
        }
        settings = s
    }
}

extension OptimizerSettings {
    static var fieldNames: [String] { fields.map(\.name) }
}

/// One parameter's optimizer state (PyTorch's `optimizer.state[p]`): its step count and named tensors.
public final class ParamState {
    /// The steps taken for this parameter (PyTorch's `state['step']`); `step()` counts it before `update`.
    public var step: Int = 0
    /// The state tensors by PyTorch's names (`exp_avg`, `momentum_buffer`, ...).
    public var tensors: [String: Tensor] = [:]
    public init() {}
    /// The state tensor `name`, if there is one. `state["step"]` is the step count as a float32 scalar
    /// tensor, as PyTorch's (`tensor(48.)`); setting it sets `step`.
    public subscript(name: String) -> Tensor? {
        get { name == "step" ? Tensor(Float(step)) : tensors[name] }
        set {
            if name == "step" {
                guard let v = newValue, v.numel() == 1, let n = Int(exactly: (v.item() as Double).rounded(.towardZero)), n >= 0 else {
                    fail("state['step'] must be a one-element tensor holding a non-negative count, got \(newValue.map { "a tensor of shape \($0.shape)" } ?? "nil")")
                }
                step = n
            } else {
                tensors[name] = newValue
            }
        }
    }
    /// The state tensor `name`, created as zeros shaped like `p` on first use (PyTorch's `torch.zeros_like(p)`).
    public func zeros(_ name: String, like p: Tensor) -> Tensor { full(name, like: p, fill: 0) }
    /// The state tensor `name`, created filled with `value` and shaped like `p` on first use (`torch.full_like(p, value)`).
    public func full(_ name: String, like p: Tensor, fill value: Double) -> Tensor {
        if let b = tensors[name] { return b }
        let b = Tensor.full(p.shape, value, dtype: p.dtype, device: p.device)
        tensors[name] = b
        return b
    }
}

// MARK: - Optimizer

/// The base class of optimizers (PyTorch's `torch.optim.Optimizer`). A subclass gives its typed settings
/// to `init(groups:lr:defaults:)` and overrides `update(_:grad:group:state:)`, the step of one parameter.
open class Optimizer {
    /// Set once a scheduler (other than ReduceLROnPlateau) drives it: PyTorch's groups then carry `initial_lr`.
    var hasScheduler = false
    public var paramGroups: [ParamGroup]
    /// Per-parameter state (`exp_avg`, `momentum_buffer`, ...), keyed by parameter identity.
    var states: [ObjectIdentifier: ParamState] = [:]

    /// The settings a group gets for what it does not set itself (PyTorch's `defaults`, without `lr`).
    public let defaultSettings: any OptimizerSettings
    /// The learning rate a group gets when it does not set one.
    public let defaultLR: Double
    /// `defaultSettings` by PyTorch's names.
    public var defaults: [String: Double] { defaultSettings.values }

    /// An optimizer over `groups`; each group takes `lr` and `defaults` for what it does not set itself.
    public init<Settings: OptimizerSettings>(groups: [ParamGroup], lr: Double, defaults: Settings) {
        defaultSettings = defaults
        defaultLR = lr
        paramGroups = []
        let name = String(describing: type(of: self))
        for g in groups { g.adopt(defaults: defaults, lr: lr, optimizer: name) }
        paramGroups = groups
        if groups.allSatisfy({ $0.params.isEmpty }) { fail("optimizer got an empty parameter list") }
    }

    /// Adds a parameter group (PyTorch's `add_param_group`): settings it does not set take the
    /// optimizer's defaults. A parameter may belong to one group only.
    public func addParamGroup(_ group: ParamGroup) {
        let existing = Set(paramGroups.flatMap { $0.params.map(ObjectIdentifier.init) })
        if group.params.contains(where: { existing.contains(ObjectIdentifier($0)) }) {
            fail("some parameters appear in more than one parameter group")
        }
        group.adopt(defaults: defaultSettings, lr: defaultLR, optimizer: String(describing: type(of: self)))
        paramGroups.append(group)
    }

    /// The state of `p` (PyTorch's `optimizer.state[p]`), nil before its first step.
    public func state(for p: Parameter) -> ParamState? { states[ObjectIdentifier(p)] }
    /// Per-parameter state by parameter (PyTorch's `optimizer.state[p]`): `optimizer.state[p]?["exp_avg"]`.
    public var state: StateView { StateView(optimizer: self) }
    /// `optimizer.state`, subscripted by parameter.
    public struct StateView {
        let optimizer: Optimizer
        /// The state of `p`; nil before its first step.
        public subscript(p: Tensor) -> ParamState? { optimizer.states[ObjectIdentifier(p)] }
        /// How many parameters have state (`len(optimizer.state)`).
        public var count: Int { optimizer.states.count }
    }

    /// Updates every parameter that has a gradient: counts its step, then calls `update`.
    open func step() {
        // on a GPU, SGD's and Adam's updates of a group go out in multi-tensor launches at the end
        noGrad { UpdateBatch.run {
            for group in paramGroups {
                for p in group.params {
                    guard let g = p.grad else { continue }
                    let key = ObjectIdentifier(p)
                    let st = states[key] ?? { let s = ParamState(); states[key] = s; return s }()
                    if st.step == 0 && p.device.isCUDA && CUDA.isCurrentStreamCapturing() {
                        fail("\(type(of: self)).step() makes its state at the first step, which a CUDA graph cannot capture: run a few steps before capturing (PyTorch's recipe warms up first)")
                    }
                    st.step += 1
                    update(p, grad: g.isContiguous ? g : g.contiguous(), group: group, state: st)
                }
            }
        } }
    }
    /// Runs `closure` (which recomputes the loss and its gradients), then steps; returns the loss.
    @discardableResult open func step(_ closure: () -> Tensor) -> Tensor {
        let loss = enableGrad { closure() }
        step()
        return loss
    }

    /// One parameter's update, without gradient tracking: `grad` is contiguous, `state.step` already
    /// counts this step, and `group[Settings.self]` gives the typed settings. Subclasses override it.
    open func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        fail("\(type(of: self)) does not implement update(_:grad:group:state:)")
    }

    /// `zeroGrad(setToNil:)` under PyTorch's keyword, `zero_grad(set_to_none=False)`.
    public func zeroGrad(setToNone: Bool) { zeroGrad(setToNil: setToNone) }
    /// Clears gradients (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad(setToNil: Bool = true) {
        for g in paramGroups { for p in g.params {
            if setToNil { p.grad = nil } else if let gr = p.grad { noGrad { _ = gr.zero_() } }
        } }
    }

    /// Per-parameter state by PyTorch's names (`state.<index>.<name>`, `state.<index>.step`) and the
    /// groups' hyper-parameters (`param_groups.<i>.lr`, `param_groups.<i>.betas.0`, ...), for checkpoints.
    open func stateDict() -> StateDict {
        // PyTorch's order: the state first, then the groups; `step` a float32 scalar, as PyTorch keeps it
        var d = StateDict(), groups = StateDict()
        var index = 0
        for (gi, g) in paramGroups.enumerated() {
            groups["param_groups.\(gi).lr"] = Tensor(g.lr, dtype: .float64)
            groups["param_groups.\(gi).initial_lr"] = Tensor(g.initialLR, dtype: .float64)
            for (k, v) in g.options.sorted(by: { $0.key < $1.key }) { groups["param_groups.\(gi).\(k)"] = Tensor(v, dtype: .float64) }
            groups["param_groups.\(gi).params"] = Tensor(flat: (index..<(index + g.params.count)).map { Int64($0) }, shape: [g.params.count])
            for p in g.params {
                if let st = states[ObjectIdentifier(p)] {
                    d["state.\(index).step"] = Tensor.full([], Double(st.step), dtype: .float32)
                    for (k, t) in st.tensors.sorted(by: { $0.key < $1.key }) { d["state.\(index).\(k)"] = t }
                }
                index += 1
            }
        }
        for (k, t) in groups { d[k] = t }
        d.optimizerPrint = (String(describing: type(of: self)), hasScheduler, paramGroups.map(\.explicitKeys))
        return d
    }
    /// Restores what `stateDict()` saved (the same parameters in the same order). The numbers are
    /// checked before anything changes: a learning rate that is NaN, infinite or negative, a `step` that
    /// is not a non-negative integer, or a setting that is not a one-element number throws
    /// `StateDictError.invalidValue` (or `.shapeMismatch`) naming the key.
    open func loadStateDict(_ d: StateDict) throws {
        try Optimizer.checkStateNumbers(d)
        var index = 0
        for (gi, g) in paramGroups.enumerated() {
            if let lr = d["param_groups.\(gi).lr"] { g.lr = lr.item() }
            if let lr = d["param_groups.\(gi).initial_lr"] { g.initialLR = lr.item() }
            for k in g.options.keys { if let v = d["param_groups.\(gi).\(k)"] { g.setOption(k, v.item()) } }
            for p in g.params {
                if let s = d["state.\(index).step"] {
                    let st = ParamState()
                    st.step = try checkedInteger(s.item(), key: "state.\(index).step")
                    let prefix = "state.\(index)."
                    for (k, t) in d where k.hasPrefix(prefix) && k != prefix + "step" {
                        if t.shape != p.shape { throw StateDictError.shapeMismatch(key: k, expected: p.shape, got: t.shape) }
                        // PyTorch's load_state_dict: each state tensor on its parameter's device, in its dtype when floating
                        let cast = p.dtype.isFloatingPoint && t.dtype.isFloatingPoint ? t.to(dtype: p.dtype) : t
                        st.tensors[String(k.dropFirst(prefix.count))] = cast.device == p.device ? cast.clone() : cast.to(p.device)
                    }
                    states[ObjectIdentifier(p)] = st
                }
                index += 1
            }
        }
    }
}

extension Optimizer {
    /// Checks the scalar entries of an optimizer state dict: `param_groups.<i>.<setting>` must be one
    /// number (`lr` and `initial_lr` finite and non-negative), `state.<i>.step` a count.
    /// The group settings that PyTorch keeps as bools.
    static let flagSettings: Set<String> = ["amsgrad", "nesterov", "maximize", "centered", "capturable", "differentiable",
                                            "foreach", "fused", "decoupled_weight_decay"]

    static func checkStateNumbers(_ d: StateDict) throws {
        for (k, t) in d {
            let parts = k.split(separator: ".")
            let isGroupSetting = parts.count >= 3 && parts[0] == "param_groups" && parts[2] != "params"
            let isStep = parts.count == 3 && parts[0] == "state" && parts[2] == "step"
            guard isGroupSetting || isStep else { continue }
            // a flag (PyTorch's `amsgrad`, `nesterov`...: bools in its state dicts) may be a bool; a number may not
            let isRate = parts.count == 3 && (parts[2] == "lr" || parts[2] == "initial_lr")
            if t.dtype == .bool && !(isGroupSetting && parts.count == 3 && Optimizer.flagSettings.contains(String(parts[2]))) { throw StateDictError.invalidValue(key: k, value: "\(t)", reason: "expected a number, got a bool tensor") }
            if t.count != 1 { throw StateDictError.shapeMismatch(key: k, expected: [], got: t.shape) }
            let v: Double = t.item()
            if isStep { _ = try checkedInteger(v, key: k) }
            else if isRate { _ = try checkedNumber(v, key: k, min: 0) }
        }
    }
}

// MARK: - What the built-in optimizers share

extension Optimizer {
    /// A state tensor the size and dtype of `p` (created filled with `value` on first use). A tensor loaded
    /// from a state dict is checked first, so a kernel never runs over a buffer of the wrong size or type.
    func floatState(_ st: ParamState, _ name: String, like p: Tensor, fill value: Double = 0, _ optimizer: String) -> Tensor {
        if let b = st.tensors[name] {
            if b.dtype != p.dtype || b.count != p.count || !b.isContiguous || b.device != p.device {
                fail("\(optimizer): state '\(name)' is a \(b.dtype) tensor of shape \(shapeString(b.shape)) on \(b.device), expected \(p.dtype) \(shapeString(p.shape)) on \(p.device)")
            }
            return b
        }
        return st.full(name, like: p, fill: value)
    }

    /// A 0-dim float32 state scalar (PyTorch keeps ASGD's `eta`/`mu` and NAdam's `mu_product` as such).
    func scalarState(_ st: ParamState, _ name: String, initial: Double, _ optimizer: String) -> Tensor {
        if let b = st.tensors[name] {
            if b.dtype != .float32 || b.count != 1 || b.device != .cpu {
                fail("\(optimizer): state '\(name)' is a \(b.dtype) tensor of shape \(shapeString(b.shape)), expected a float32 scalar")
            }
            return b
        }
        let b = Tensor.full([], initial, dtype: .float32)
        st.tensors[name] = b
        return b
    }

    /// `loadStateDict` for optimizers with 0-dim per-parameter state (`names`): the base class checks every
    /// state tensor against its parameter's shape, so those are split off, then restored after it.
    func loadStateDict(_ d: StateDict, scalarState names: Set<String>, base: (StateDict) throws -> Void) throws {
        var rest = StateDict()
        var scalars: [(index: Int, name: String, value: Double)] = []
        for (k, t) in d {
            let parts = k.split(separator: ".", maxSplits: 2)
            if parts.count == 3, parts[0] == "state", let i = Int(parts[1]), names.contains(String(parts[2])) {
                if t.count != 1 { throw StateDictError.shapeMismatch(key: k, expected: [], got: t.shape) }
                scalars.append((i, String(parts[2]), t.item()))
            } else {
                rest[k] = t
            }
        }
        try base(rest)
        let params = paramGroups.flatMap(\.params)
        for s in scalars where s.index < params.count {
            if let st = states[ObjectIdentifier(params[s.index])] { st.tensors[s.name] = Tensor.full([], s.value, dtype: .float32) }
        }
    }
}

/// Every optimizer but L-BFGS (float32 only) has float32 and float64 kernels.
func requireFloat(_ p: Tensor, _ grad: Tensor, _ name: String) {
    if p.dtype != .float32 && p.dtype != .float64 { fail("\(name): parameters must be float32 or float64, got \(p.dtype)") }
    if grad.dtype != p.dtype { fail("\(name): the gradient's dtype \(grad.dtype) differs from the parameter's \(p.dtype)") }
}

/// Checks what the fused CPU kernels need (float32 or float64 parameters, gradients of the same dtype).
func checkKernelOperands(_ p: Tensor, _ grad: Tensor, _ name: String) {
    requireFloat(p, grad, name)
    checkSameDevice(p, grad)
    if !p.isContiguous { fail("\(name): parameters must be contiguous") }
}

func checkLR(_ lr: Double) { if !(lr >= 0) { fail("Invalid learning rate: \(lr)") } }
func checkEps(_ eps: Double) { if !(eps >= 0) { fail("Invalid epsilon value: \(eps)") } }
func checkWeightDecay(_ wd: Double) { if !(wd >= 0) { fail("Invalid weight_decay value: \(wd)") } }
func checkBetas(_ betas: (Double, Double)) {
    if !(betas.0 >= 0 && betas.0 < 1) { fail("Invalid beta parameter at index 0: \(betas.0)") }
    if !(betas.1 >= 0 && betas.1 < 1) { fail("Invalid beta parameter at index 1: \(betas.1)") }
}
