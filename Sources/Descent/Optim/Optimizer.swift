
/// A group of parameters sharing hyper-parameters (PyTorch's `param_groups` entries).
public final class ParamGroup {
    public var params: [Parameter]
    /// The learning rate (schedulers change it).
    public var lr: Double
    /// The learning rate the group started with (PyTorch's `initial_lr`).
    public var initialLR: Double
    /// Other hyper-parameters by PyTorch's names (`momentum`, `weight_decay`, `betas.0`, ...).
    public var options: [String: Double]
    /// The settings the group was given itself (PyTorch lists them first in `state_dict()`).
    var explicitKeys: Set<String> = []
    public init(params: [Parameter], lr: Double? = nil, options: [String: Double] = [:]) {
        self.params = params; self.lr = lr ?? .nan; self.initialLR = lr ?? .nan; self.options = options
    }
}

/// The base class of optimizers (PyTorch's `torch.optim.Optimizer`). Subclasses implement
/// `update(_:group:state:)` for one parameter; state tensors live per parameter.
open class Optimizer {
    /// Set once a scheduler (other than ReduceLROnPlateau) drives it: PyTorch's groups then carry `initial_lr`.
    var hasScheduler = false
    public var paramGroups: [ParamGroup]
    /// Per-parameter state (`exp_avg`, `momentum_buffer`, ...), keyed by parameter identity.
    var state: [ObjectIdentifier: ParamState] = [:]

    final class ParamState {
        var step: Int = 0
        var tensors: [String: Tensor] = [:]
    }

    /// The hyper-parameters a group gets when it does not set them (PyTorch's `defaults`, without `lr`).
    public let defaults: [String: Double]
    /// The learning rate a group gets when it does not set one.
    public let defaultLR: Double

    public init(groups: [ParamGroup], defaults: [String: Double], lr: Double) {
        self.defaults = defaults
        self.defaultLR = lr
        paramGroups = []
        for g in groups { fillDefaults(g) }
        paramGroups = groups
        if groups.allSatisfy({ $0.params.isEmpty }) { fail("optimizer got an empty parameter list") }
    }

    /// Adds a parameter group (PyTorch's `add_param_group`): options it does not set take the
    /// optimizer's defaults. A parameter may belong to one group only.
    public func addParamGroup(_ group: ParamGroup) {
        let existing = Set(paramGroups.flatMap { $0.params.map(ObjectIdentifier.init) })
        if group.params.contains(where: { existing.contains(ObjectIdentifier($0)) }) {
            fail("some parameters appear in more than one parameter group")
        }
        fillDefaults(group)
        paramGroups.append(group)
    }

    /// Gives `group` the default learning rate and options it does not set itself.
    func fillDefaults(_ group: ParamGroup) {
        group.explicitKeys = Set(group.options.keys.map { String($0.split(separator: ".")[0]) })
        if !group.lr.isNaN { group.explicitKeys.insert("lr") }
        if group.lr.isNaN { group.lr = defaultLR; group.initialLR = defaultLR }
        for (k, v) in defaults where group.options[k] == nil { group.options[k] = v }
    }

    /// Updates every parameter that has a gradient.
    open func step() {
        noGrad {
            for group in paramGroups {
                for p in group.params {
                    guard let g = p.grad else { continue }
                    let key = ObjectIdentifier(p)
                    let st = state[key] ?? { let s = ParamState(); state[key] = s; return s }()
                    st.step += 1
                    update(p, grad: g.isContiguous ? g : g.contiguous(), group: group, state: st)
                }
            }
        }
    }
    /// Runs `closure` (which recomputes the loss and its gradients), then steps; returns the loss.
    @discardableResult open func step(_ closure: () -> Tensor) -> Tensor {
        let loss = enableGrad { closure() }
        step()
        return loss
    }

    /// One parameter's update. Subclasses override.
    func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) { fail("step() is not implemented") }

    /// Clears gradients (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad(setToNil: Bool = true) {
        for g in paramGroups { for p in g.params {
            if setToNil { p.grad = nil } else if let gr = p.grad { noGrad { _ = gr.zero_() } }
        } }
    }

    func buffer(_ st: ParamState, _ name: String, like p: Tensor) -> Tensor {
        if let b = st.tensors[name] { return b }
        let b = Tensor.zeros(p.shape, dtype: p.dtype, device: p.device)
        st.tensors[name] = b
        return b
    }

    /// Per-parameter state by PyTorch's names (`state.<index>.<name>`, `state.<index>.step`) and the
    /// groups' hyper-parameters (`param_groups.<i>.lr`, ...), for checkpoints.
    public func stateDict() -> StateDict {
        var d = StateDict()
        var index = 0
        for (gi, g) in paramGroups.enumerated() {
            d["param_groups.\(gi).lr"] = Tensor(g.lr, dtype: .float64)
            d["param_groups.\(gi).initial_lr"] = Tensor(g.initialLR, dtype: .float64)
            for (k, v) in g.options.sorted(by: { $0.key < $1.key }) { d["param_groups.\(gi).\(k)"] = Tensor(v, dtype: .float64) }
            d["param_groups.\(gi).params"] = Tensor(flat: (index..<(index + g.params.count)).map { Int64($0) }, shape: [g.params.count])
            for p in g.params {
                if let st = state[ObjectIdentifier(p)] {
                    d["state.\(index).step"] = Tensor(Double(st.step), dtype: .float64)
                    for (k, t) in st.tensors.sorted(by: { $0.key < $1.key }) { d["state.\(index).\(k)"] = t }
                }
                index += 1
            }
        }
        d.optimizerPrint = (String(describing: type(of: self)), hasScheduler, paramGroups.map(\.explicitKeys))
        return d
    }
    /// Restores what `stateDict()` saved (the same parameters in the same order).
    public func loadStateDict(_ d: StateDict) throws {
        var index = 0
        for (gi, g) in paramGroups.enumerated() {
            if let lr = d["param_groups.\(gi).lr"] { g.lr = lr.item() }
            if let lr = d["param_groups.\(gi).initial_lr"] { g.initialLR = lr.item() }
            for k in g.options.keys { if let v = d["param_groups.\(gi).\(k)"] { g.options[k] = v.item() } }
            for p in g.params {
                if let s = d["state.\(index).step"] {
                    let st = ParamState()
                    st.step = Int(s.item())
                    let prefix = "state.\(index)."
                    for (k, t) in d where k.hasPrefix(prefix) && k != prefix + "step" {
                        if t.shape != p.shape { throw StateDictError.shapeMismatch(key: k, expected: p.shape, got: t.shape) }
                        st.tensors[String(k.dropFirst(prefix.count))] = t.clone()
                    }
                    state[ObjectIdentifier(p)] = st
                }
                index += 1
            }
        }
    }
}

/// Every optimizer but L-BFGS (float32 only) has float32 and float64 kernels.
func requireFloat(_ p: Tensor, _ grad: Tensor, _ name: String) {
    if p.dtype != .float32 && p.dtype != .float64 { fail("\(name): parameters must be float32 or float64, got \(p.dtype)") }
    if grad.dtype != p.dtype { fail("\(name): the gradient's dtype \(grad.dtype) differs from the parameter's \(p.dtype)") }
}

/// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's `optim.SGD`, lr 0.001 default).
public final class SGD: Optimizer {
    public init(_ params: [Parameter], lr: Double = 0.001, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        if nesterov && (momentum <= 0 || dampening != 0) { fail("Nesterov momentum requires a momentum and zero dampening") }
        super.init(groups: [ParamGroup(params: params)], defaults: ["momentum": momentum, "dampening": dampening,
                   "weight_decay": weightDecay, "nesterov": nesterov ? 1 : 0, "maximize": maximize ? 1 : 0], lr: lr)
    }
    public init(groups: [ParamGroup], lr: Double = 0.001, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) {
        super.init(groups: groups, defaults: ["momentum": momentum, "dampening": dampening, "weight_decay": weightDecay,
                   "nesterov": nesterov ? 1 : 0, "maximize": 0], lr: lr)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "SGD")
        let o = group.options
        let mom = o["momentum"]!
        let first = state.tensors["momentum_buffer"] == nil
        let buf = mom != 0 ? buffer(state, "momentum_buffer", like: p) : nil
        Kernels.optimizerStep(.sgd(momentumBuffer: buf, lr: group.lr, momentum: mom, dampening: o["dampening"]!, weightDecay: o["weight_decay"]!,
                                   nesterov: o["nesterov"]! != 0, firstStep: first, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

/// Adam (PyTorch's `optim.Adam`: lr 0.001, betas (0.9, 0.999), eps 1e-8, optional amsgrad).
public class Adam: Optimizer {
    let decoupled: Bool
    public init(_ params: [Parameter], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        decoupled = false
        super.init(groups: [ParamGroup(params: params)], defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps,
                   "weight_decay": weightDecay, "amsgrad": amsgrad ? 1 : 0, "maximize": maximize ? 1 : 0], lr: lr)
    }
    init(params: [Parameter], lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double, amsgrad: Bool, maximize: Bool, decoupled: Bool) {
        self.decoupled = decoupled
        super.init(groups: [ParamGroup(params: params)], defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps,
                   "weight_decay": weightDecay, "amsgrad": amsgrad ? 1 : 0, "maximize": maximize ? 1 : 0], lr: lr)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, decoupled ? "AdamW" : "Adam")
        let o = group.options
        let ams = o["amsgrad"]! != 0
        let m = buffer(state, "exp_avg", like: p), v = buffer(state, "exp_avg_sq", like: p)
        let vmax = ams ? buffer(state, "max_exp_avg_sq", like: p) : nil
        Kernels.optimizerStep(.adam(expAvg: m, expAvgSq: v, maxExpAvgSq: vmax, lr: group.lr, beta1: o["betas.0"]!, beta2: o["betas.1"]!, eps: o["eps"]!,
                                    weightDecay: o["weight_decay"]!, step: state.step, decoupledWeightDecay: decoupled, maximize: o["maximize"]! != 0),
                              param: p, grad: grad)
    }
}

/// Adam with decoupled weight decay (PyTorch's `optim.AdamW`: weight decay 0.01 default).
public final class AdamW: Adam {
    public override init(_ params: [Parameter], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        super.init(params: params, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize, decoupled: true)
    }
}

/// RMSprop (PyTorch's `optim.RMSprop`: lr 0.01, alpha 0.99, eps 1e-8, optional momentum and centering).
public final class RMSprop: Optimizer {
    public init(_ params: [Parameter], lr: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0,
                momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        super.init(groups: [ParamGroup(params: params)], defaults: ["alpha": alpha, "eps": eps, "weight_decay": weightDecay,
                   "momentum": momentum, "centered": centered ? 1 : 0, "maximize": maximize ? 1 : 0], lr: lr)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "RMSprop")
        let o = group.options
        let sq = buffer(state, "square_avg", like: p)
        let ga = o["centered"]! != 0 ? buffer(state, "grad_avg", like: p) : nil
        let buf = o["momentum"]! > 0 ? buffer(state, "momentum_buffer", like: p) : nil
        Kernels.optimizerStep(.rmsprop(squareAvg: sq, gradAvg: ga, momentumBuffer: buf, lr: group.lr, alpha: o["alpha"]!, eps: o["eps"]!,
                                       weightDecay: o["weight_decay"]!, momentum: o["momentum"]!, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

/// Adagrad (PyTorch's `optim.Adagrad`: lr 0.01, lr decay, eps 1e-10).
public final class Adagrad: Optimizer {
    public init(_ params: [Parameter], lr: Double = 0.01, lrDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        super.init(groups: [ParamGroup(params: params)], defaults: ["lr_decay": lrDecay, "weight_decay": weightDecay,
                   "initial_accumulator_value": initialAccumulatorValue, "eps": eps, "maximize": maximize ? 1 : 0], lr: lr)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "Adagrad")
        let o = group.options
        if state.tensors["sum"] == nil { state.tensors["sum"] = Tensor.full(p.shape, o["initial_accumulator_value"]!, dtype: p.dtype, device: p.device) }
        let clr = group.lr / (1 + Double(state.step - 1) * o["lr_decay"]!)
        Kernels.optimizerStep(.adagrad(sum: state.tensors["sum"]!, clr: clr, eps: o["eps"]!, weightDecay: o["weight_decay"]!,
                                       maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}
