
// Adadelta, Adamax, ASGD, Rprop, NAdam, RAdam, SparseAdam and LBFGS (PyTorch's names, defaults and
// update order; each update is one fused C kernel in CDescentKernels/optim2.c), and parameter-group
// initialisers for every optimizer.

// MARK: - Shared helpers

extension Optimizer {
    /// Takes over `groups` after a designated initialiser has set up one group holding all their
    /// parameters: each group gets the defaults for what it does not set itself.
    func adoptGroups(_ groups: [ParamGroup]) {
        for g in groups { fillDefaults(g) }
        paramGroups = groups
    }

    /// A state tensor the size and dtype of `p` (created filled with `value` on first use). A tensor loaded
    /// from a state dict is checked first, so a kernel never runs over a buffer of the wrong size or type.
    func floatState(_ st: ParamState, _ name: String, like p: Tensor, fill value: Double = 0, _ optimizer: String) -> Tensor {
        if let b = st.tensors[name] {
            if b.dtype != p.dtype || b.count != p.count || !b.isContiguous || b.device != p.device {
                fail("\(optimizer): state '\(name)' is a \(b.dtype) tensor of shape \(shapeString(b.shape)) on \(b.device), expected \(p.dtype) \(shapeString(p.shape)) on \(p.device)")
            }
            return b
        }
        let b = Tensor.full(p.shape, value, dtype: p.dtype, device: p.device)
        st.tensors[name] = b
        return b
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
            if let st = state[ObjectIdentifier(params[s.index])] { st.tensors[s.name] = Tensor.full([], s.value, dtype: .float32) }
        }
    }
}

/// Checks what the fused CPU kernels need (float32 or float64 parameters, gradients of the same dtype).
private func checkKernelOperands(_ p: Tensor, _ grad: Tensor, _ name: String) {
    requireFloat(p, grad, name)
    checkSameDevice(p, grad)
    if !p.isContiguous { fail("\(name): parameters must be contiguous") }
}

private func checkLR(_ lr: Double) { if !(lr >= 0) { fail("Invalid learning rate: \(lr)") } }
private func checkEps(_ eps: Double) { if !(eps >= 0) { fail("Invalid epsilon value: \(eps)") } }
private func checkWeightDecay(_ wd: Double) { if !(wd >= 0) { fail("Invalid weight_decay value: \(wd)") } }
private func checkBetas(_ betas: (Double, Double)) {
    if !(betas.0 >= 0 && betas.0 < 1) { fail("Invalid beta parameter at index 0: \(betas.0)") }
    if !(betas.1 >= 0 && betas.1 < 1) { fail("Invalid beta parameter at index 1: \(betas.1)") }
}
private func flag(_ b: Bool) -> Double { b ? 1 : 0 }

// MARK: - Adadelta

/// Adadelta (PyTorch's `optim.Adadelta`: lr 1.0, rho 0.9, eps 1e-6, weight decay 0).
public final class Adadelta: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6,
                weightDecay: Double = 0, maximize: Bool = false) {
        checkLR(lr)
        if !(rho >= 0 && rho <= 1) { fail("Invalid rho value: \(rho)") }
        checkEps(eps); checkWeightDecay(weightDecay)
        super.init(groups: groups, defaults: ["rho": rho, "eps": eps, "weight_decay": weightDecay, "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 1.0, rho: Double = 0.9, eps: Double = 1e-6,
                            weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, rho: rho, eps: eps, weightDecay: weightDecay, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Adadelta")
        let o = group.options
        let sq = floatState(state, "square_avg", like: p, "Adadelta"), acc = floatState(state, "acc_delta", like: p, "Adadelta")
        Kernels.optimizerStep(.adadelta(squareAvg: sq, accDelta: acc, lr: group.lr, rho: o["rho"]!, eps: o["eps"]!,
                                        weightDecay: o["weight_decay"]!, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

// MARK: - Adamax

/// Adamax, Adam with the infinity norm (PyTorch's `optim.Adamax`: lr 0.002, betas (0.9, 0.999), eps 1e-8).
public final class Adamax: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, maximize: Bool = false) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        super.init(groups: groups, defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps, "weight_decay": weightDecay,
                                              "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Adamax")
        let o = group.options
        let m = floatState(state, "exp_avg", like: p, "Adamax"), u = floatState(state, "exp_inf", like: p, "Adamax")
        Kernels.optimizerStep(.adamax(expAvg: m, expInf: u, lr: group.lr, beta1: o["betas.0"]!, beta2: o["betas.1"]!, eps: o["eps"]!,
                                      weightDecay: o["weight_decay"]!, step: state.step, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

// MARK: - ASGD

/// Averaged SGD (PyTorch's `optim.ASGD`: lr 0.01, lambd 1e-4, alpha 0.75, t0 1e6). The running average
/// of the parameters is the state `ax`; `eta` and `mu` are float32 scalars per parameter, as in PyTorch.
public final class ASGD: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.01, lambd: Double = 1e-4, alpha: Double = 0.75, t0: Double = 1e6,
                weightDecay: Double = 0, maximize: Bool = false) {
        checkLR(lr); checkWeightDecay(weightDecay)
        super.init(groups: groups, defaults: ["lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weightDecay,
                                              "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.01, lambd: Double = 1e-4, alpha: Double = 0.75, t0: Double = 1e6,
                            weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, lambd: lambd, alpha: alpha, t0: t0, weightDecay: weightDecay, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "ASGD")
        let o = group.options
        let eta = scalarState(state, "eta", initial: group.lr, "ASGD"), mu = scalarState(state, "mu", initial: 1, "ASGD")
        let ax = floatState(state, "ax", like: p, "ASGD")
        Kernels.optimizerStep(.asgd(ax: ax, eta: eta, mu: mu, lr: group.lr, lambd: o["lambd"]!, alpha: o["alpha"]!, t0: o["t0"]!,
                                    weightDecay: o["weight_decay"]!, step: state.step, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
    public override func loadStateDict(_ d: StateDict) throws {
        try loadStateDict(d, scalarState: ["eta", "mu"]) { try super.loadStateDict($0) }
    }
}

// MARK: - Rprop

/// Resilient backpropagation (PyTorch's `optim.Rprop`: lr 0.01, etas (0.5, 1.2), step sizes (1e-6, 50)).
/// `lr` is each element's first step size; later steps adapt per element (state `step_size`).
public final class Rprop: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.01, etas: (Double, Double) = (0.5, 1.2),
                stepSizes: (Double, Double) = (1e-6, 50), maximize: Bool = false) {
        checkLR(lr)
        if !(0 < etas.0 && etas.0 < 1 && 1 < etas.1) { fail("Invalid eta values: \(etas.0), \(etas.1)") }
        super.init(groups: groups, defaults: ["etas.0": etas.0, "etas.1": etas.1, "step_sizes.0": stepSizes.0,
                                              "step_sizes.1": stepSizes.1, "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.01, etas: (Double, Double) = (0.5, 1.2),
                            stepSizes: (Double, Double) = (1e-6, 50), maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, etas: etas, stepSizes: stepSizes, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Rprop")
        let o = group.options
        let prev = floatState(state, "prev", like: p, "Rprop")
        let stepSize = floatState(state, "step_size", like: p, fill: group.lr, "Rprop")
        Kernels.optimizerStep(.rprop(prev: prev, stepSize: stepSize, etaMinus: o["etas.0"]!, etaPlus: o["etas.1"]!,
                                     stepSizeMin: o["step_sizes.0"]!, stepSizeMax: o["step_sizes.1"]!, maximize: o["maximize"]! != 0),
                              param: p, grad: grad)
    }
}

// MARK: - NAdam

/// Adam with Nesterov momentum (PyTorch's `optim.NAdam`: lr 0.002, betas (0.9, 0.999), eps 1e-8,
/// momentum decay 0.004; `decoupledWeightDecay` gives NAdamW).
public final class NAdam: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        if !(momentumDecay >= 0) { fail("Invalid momentum_decay value: \(momentumDecay)") }
        super.init(groups: groups, defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps, "weight_decay": weightDecay,
                                              "momentum_decay": momentumDecay, "decoupled_weight_decay": flag(decoupledWeightDecay),
                                              "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.002, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  momentumDecay: momentumDecay, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "NAdam")
        let o = group.options
        let muProduct = scalarState(state, "mu_product", initial: 1, "NAdam")
        let m = floatState(state, "exp_avg", like: p, "NAdam"), v = floatState(state, "exp_avg_sq", like: p, "NAdam")
        Kernels.optimizerStep(.nadam(expAvg: m, expAvgSq: v, muProduct: muProduct, lr: group.lr, beta1: o["betas.0"]!, beta2: o["betas.1"]!,
                                     eps: o["eps"]!, weightDecay: o["weight_decay"]!, momentumDecay: o["momentum_decay"]!, step: state.step,
                                     decoupledWeightDecay: o["decoupled_weight_decay"]! != 0, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
    public override func loadStateDict(_ d: StateDict) throws {
        try loadStateDict(d, scalarState: ["mu_product"]) { try super.loadStateDict($0) }
    }
}

// MARK: - RAdam

/// Rectified Adam (PyTorch's `optim.RAdam`: lr 0.001, betas (0.9, 0.999), eps 1e-8; `decoupledWeightDecay`
/// gives RAdamW).
public final class RAdam: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        super.init(groups: groups, defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps, "weight_decay": weightDecay,
                                              "decoupled_weight_decay": flag(decoupledWeightDecay), "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "RAdam")
        let o = group.options
        let m = floatState(state, "exp_avg", like: p, "RAdam"), v = floatState(state, "exp_avg_sq", like: p, "RAdam")
        Kernels.optimizerStep(.radam(expAvg: m, expAvgSq: v, lr: group.lr, beta1: o["betas.0"]!, beta2: o["betas.1"]!, eps: o["eps"]!,
                                     weightDecay: o["weight_decay"]!, step: state.step,
                                     decoupledWeightDecay: o["decoupled_weight_decay"]! != 0, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

// MARK: - SparseAdam

/// SparseAdam (PyTorch's `optim.SparseAdam`: lr 0.001, betas (0.9, 0.999), eps 1e-8).
///
/// Descent has no sparse gradients, so this is the dense fallback: it behaves exactly like PyTorch's
/// SparseAdam given the gradient's nonzero entries as a sparse gradient (`grad.to_sparse()`), that is,
/// Adam restricted to the entries whose gradient is nonzero. Other entries keep their parameter value
/// and their moments (`exp_avg`, `exp_avg_sq`) unchanged; the bias correction uses the parameter's step
/// count, which advances on every step in which the parameter has a gradient. One difference remains: a
/// PyTorch sparse gradient may hold explicit zeros (e.g. `Embedding(sparse: true)` rows that were looked
/// up but got a zero gradient), which PyTorch updates and this fallback skips.
public final class SparseAdam: Optimizer {
    public init(groups: [ParamGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                maximize: Bool = false) {
        if !(lr > 0) { fail("Invalid learning rate: \(lr)") }
        if !(eps > 0) { fail("Invalid epsilon value: \(eps)") }
        checkBetas(betas)
        super.init(groups: groups, defaults: ["betas.0": betas.0, "betas.1": betas.1, "eps": eps, "maximize": flag(maximize)], lr: lr)
    }
    public convenience init(_ params: [Parameter], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            maximize: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, maximize: maximize)
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "SparseAdam")
        let o = group.options
        let m = floatState(state, "exp_avg", like: p, "SparseAdam"), v = floatState(state, "exp_avg_sq", like: p, "SparseAdam")
        Kernels.optimizerStep(.sparseAdam(expAvg: m, expAvgSq: v, lr: group.lr, beta1: o["betas.0"]!, beta2: o["betas.1"]!, eps: o["eps"]!,
                                          step: state.step, maximize: o["maximize"]! != 0), param: p, grad: grad)
    }
}

// MARK: - Parameter groups for the optimizers of Optimizer.swift

extension Adam {
    /// Adam over parameter groups (each group may set its own `lr` and options such as `"eps"`).
    /// (Generic over the sequence only so that AdamW can declare its own `init(groups:)` with its own
    /// weight-decay default: an initialiser declared in an extension cannot be overridden.)
    public convenience init<Groups: Sequence>(groups: Groups, lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) where Groups.Element == ParamGroup {
        let groups = Array(groups)
        self.init(groups.flatMap(\.params), lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
        adoptGroups(groups)
    }
}

extension AdamW {
    /// AdamW over parameter groups (each group may set its own `lr` and options such as `"weight_decay"`).
    public convenience init(groups: [ParamGroup], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                            weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups.flatMap(\.params), lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
        adoptGroups(groups)
    }
}

extension RMSprop {
    /// RMSprop over parameter groups (each group may set its own `lr` and options such as `"momentum"`).
    public convenience init(groups: [ParamGroup], lr: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0,
                            momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        self.init(groups.flatMap(\.params), lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay, momentum: momentum,
                  centered: centered, maximize: maximize)
        adoptGroups(groups)
    }
}

extension Adagrad {
    /// Adagrad over parameter groups (each group may set its own `lr` and options such as `"lr_decay"`).
    public convenience init(groups: [ParamGroup], lr: Double = 0.01, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        self.init(groups.flatMap(\.params), lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
        adoptGroups(groups)
    }
}

// MARK: - LBFGS

/// A scalar as PyTorch's L-BFGS code holds it: a Python float (double arithmetic) or a 0-dim float32
/// tensor (results of `dot`, `max`, ...). Arithmetic with a tensor operand rounds the other operand to
/// float32 and the result is a tensor; `python_float / tensor` is `tensor.reciprocal() * python_float`
/// (PyTorch's `__rtruediv__`). Comparisons with a tensor operand compare in float32. Mirroring this makes
/// the line search take the same decisions as PyTorch's.
struct TorchScalar {
    var value: Double
    var isTensor: Bool
    static func py(_ v: Double) -> TorchScalar { TorchScalar(value: v, isTensor: false) }
    static func tensor(_ v: Float) -> TorchScalar { TorchScalar(value: Double(v), isTensor: true) }
    var f: Float { Float(value) }

    static func + (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f + b.f) : .py(a.value + b.value)
    }
    static func - (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f - b.f) : .py(a.value - b.value)
    }
    static func * (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f * b.f) : .py(a.value * b.value)
    }
    static func / (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        if !a.isTensor && b.isTensor { return .tensor((1 / b.f) * a.f) }
        return a.isTensor || b.isTensor ? .tensor(a.f / b.f) : .py(a.value / b.value)
    }
    static prefix func - (a: TorchScalar) -> TorchScalar { a.isTensor ? .tensor(-a.f) : .py(-a.value) }
    var magnitude: TorchScalar { isTensor ? .tensor(Swift.abs(f)) : .py(Swift.abs(value)) }
    var squared: TorchScalar { isTensor ? .tensor(f * f) : .py(value * value) }
    var squareRoot: TorchScalar { isTensor ? .tensor(f.squareRoot()) : .py(value.squareRoot()) }

    static func < (a: TorchScalar, b: TorchScalar) -> Bool { a.isTensor || b.isTensor ? a.f < b.f : a.value < b.value }
    static func <= (a: TorchScalar, b: TorchScalar) -> Bool { a.isTensor || b.isTensor ? a.f <= b.f : a.value <= b.value }
    static func > (a: TorchScalar, b: TorchScalar) -> Bool { b < a }
    static func >= (a: TorchScalar, b: TorchScalar) -> Bool { b <= a }
}

/// Python's `min(a, b)` (the first unless the second is smaller) and `max(a, b)`.
private func pyMin(_ a: TorchScalar, _ b: TorchScalar) -> TorchScalar { b < a ? b : a }
private func pyMax(_ a: TorchScalar, _ b: TorchScalar) -> TorchScalar { b > a ? b : a }

/// Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to the bounds
/// (PyTorch's `_cubic_interpolate`).
private func cubicInterpolate(_ x1: TorchScalar, _ f1: TorchScalar, _ g1: TorchScalar, _ x2: TorchScalar, _ f2: TorchScalar,
                              _ g2: TorchScalar, bounds: (TorchScalar, TorchScalar)? = nil) -> TorchScalar {
    let (xmin, xmax) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - .py(3) * (f1 - f2) / (x1 - x2)
    let d2Square = d1.squared - g1 * g2
    if d2Square >= .py(0) {
        let d2 = d2Square.squareRoot
        let minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + .py(2) * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + .py(2) * d2))
        return pyMin(pyMax(minPos, xmin), xmax)
    }
    return (xmin + xmax) / .py(2)
}

/// Limited-memory BFGS (PyTorch's `optim.LBFGS`: lr 1, max_iter 20, max_eval max_iter*5/4,
/// tolerance_grad 1e-7, tolerance_change 1e-9, history_size 100, line_search_fn nil or "strong_wolfe").
///
/// Call `step { ... }` with a closure that clears the gradients, computes the loss, calls `backward()`
/// and returns the loss; one step runs up to `maxIter` iterations and returns the first loss. Like
/// PyTorch's, it works on all parameters as one flat vector and supports a single parameter group.
public final class LBFGS: Optimizer {
    /// `"strong_wolfe"` or nil (a fixed step of `lr`).
    public let lineSearchFn: String?
    private var params: [Parameter] { paramGroups[0].params }
    private var numel: Int { params.reduce(0) { $0 + $1.count } }

    // State (PyTorch keeps it in `state[params[0]]`).
    private var funcEvals = 0
    private var nIter = 0
    private var d: [Float] = []
    private var t = TorchScalar.py(0)
    private var hDiag = TorchScalar.py(1)
    private var prevFlatGrad: [Float]? = nil
    private var prevLoss: Double? = nil
    /// History (y = old_dirs, s = old_stps, ro) in ring buffers of `capacity` rows; `head` is the oldest row.
    private var oldDirs: [Float] = [], oldStps: [Float] = [], ro: [Float] = []
    private var historyCount = 0, historyHead = 0, historyCapacity = 0

    public init(_ params: [Parameter], lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil, toleranceGrad: Double = 1e-7,
                toleranceChange: Double = 1e-9, historySize: Int = 100, lineSearchFn: String? = nil) {
        checkLR(lr)
        if let f = lineSearchFn, f != "strong_wolfe" { fail("only 'strong_wolfe' is supported") }
        self.lineSearchFn = lineSearchFn
        super.init(groups: [ParamGroup(params: params)], defaults: [
            "max_iter": Double(maxIter), "max_eval": Double(maxEval ?? maxIter * 5 / 4), "tolerance_grad": toleranceGrad,
            "tolerance_change": toleranceChange, "history_size": Double(historySize)], lr: lr)
    }

    public override func step() {
        fail("LBFGS.step() needs a closure that reevaluates the model and returns the loss: use step { ... }")
    }

    private func gatherFlatGrad() -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(numel)
        for p in params {
            if let g = p.grad {
                if g.dtype != .float32 || g.count != p.count { fail("LBFGS: gradient of shape \(shapeString(g.shape)) and dtype \(g.dtype) for a float32 parameter of shape \(shapeString(p.shape))") }
                flat += g.toArray(Float.self)
            } else {
                flat += [Float](repeating: 0, count: p.count)
            }
        }
        return flat
    }
    /// p += t * d, parameter by parameter (PyTorch's `_add_grad`).
    private func addGrad(_ step: TorchScalar, _ dir: [Float]) {
        var offset = 0
        for p in params {
            Kernels.addScaledFromHost(step.f, dir, offset: offset, into: p)
            offset += p.count
        }
    }
    private func cloneParams() -> [Float] {
        params.flatMap { $0.toArray(Float.self) }
    }
    private func setParams(_ flat: [Float]) {
        var offset = 0
        for p in params { Kernels.copyFromHost(flat, offset: offset, into: p); offset += p.count }
    }
    private func dot(_ x: [Float], _ y: [Float]) -> Float { HostVectors.dot(x, y) }
    private func maxAbs(_ x: [Float], scale: Float = 1) -> Float { HostVectors.maxAbs(x, scale: scale) }

    private func evaluate(_ closure: () -> Tensor) -> Double { enableGrad { closure() }.item() }
    /// Loss and flat gradient at x + t d; the parameters are put back to x (PyTorch's `_directional_evaluate`).
    private func directionalEvaluate(_ closure: () -> Tensor, _ x: [Float], _ t: TorchScalar, _ d: [Float]) -> (Double, [Float]) {
        addGrad(t, d)
        let loss = evaluate(closure)
        let g = gatherFlatGrad()
        setParams(x)
        return (loss, g)
    }

    /// Appends (y, s, 1/ys), dropping the oldest pair when the history is full.
    private func pushHistory(_ y: [Float], _ s: [Float], _ r: Float, capacity: Int) {
        let n = y.count
        if capacity != historyCapacity && historyCount > 0 {   // history_size changed: repack in logical order
            var dirs: [Float] = [], stps: [Float] = [], ros: [Float] = []
            let keep = Swift.min(historyCount, Swift.max(capacity - 1, 0))
            for i in (historyCount - keep)..<historyCount {
                let row = (historyHead + i) % historyCapacity
                dirs += oldDirs[row * n ..< (row + 1) * n]; stps += oldStps[row * n ..< (row + 1) * n]; ros.append(ro[row])
            }
            oldDirs = dirs; oldStps = stps; ro = ros; historyCount = keep; historyHead = 0
        }
        historyCapacity = capacity
        if historyCapacity <= 0 { return }
        if historyCount < historyCapacity {
            oldDirs += y; oldStps += s; ro.append(r)
            historyCount += 1
        } else {
            let row = historyHead
            oldDirs.replaceSubrange(row * n ..< (row + 1) * n, with: y)
            oldStps.replaceSubrange(row * n ..< (row + 1) * n, with: s)
            ro[row] = r
            historyHead = (historyHead + 1) % historyCapacity
        }
    }

    @discardableResult
    public override func step(_ closure: () -> Tensor) -> Tensor {
        if paramGroups.count != 1 { fail("LBFGS doesn't support per-parameter options (parameter groups)") }
        for p in params {
            if p.dtype != .float32 || p.device != .cpu || !p.isContiguous { fail("LBFGS: parameters must be contiguous float32 tensors on cpu") }
        }
        let group = paramGroups[0], o = group.options
        let lr = group.lr
        let maxIter = Int(o["max_iter"]!), maxEval = Int(o["max_eval"]!)
        let toleranceGrad = o["tolerance_grad"]!, toleranceChange = o["tolerance_change"]!
        let historySize = Int(o["history_size"]!)
        let n = numel

        let origLoss = enableGrad { closure() }
        var loss = origLoss.item()
        var currentEvals = 1
        funcEvals += 1
        var flatGrad = gatherFlatGrad()
        var optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
        if optCond { return origLoss }

        var iter = 0
        while iter < maxIter {
            iter += 1
            nIter += 1
            if nIter == 1 {
                d = flatGrad.map { -$0 }
                oldDirs = []; oldStps = []; ro = []; historyCount = 0; historyHead = 0; historyCapacity = historySize
                hDiag = .py(1)
            } else {
                var y = [Float](repeating: 0, count: n), s = [Float](repeating: 0, count: n)
                HostVectors.sub(flatGrad, prevFlatGrad!, into: &y)
                HostVectors.scale(d, t.f, into: &s)
                let ys = TorchScalar.tensor(dot(y, s))
                if ys > .py(1e-10) {
                    pushHistory(y, s, 1 / ys.f, capacity: historySize)
                    hDiag = ys / .tensor(dot(y, y))
                }
                var al = [Float](repeating: 0, count: Swift.max(historyCount, 1))
                var dir = [Float](repeating: 0, count: n)
                HostVectors.lbfgsDirection(count: historyCount, capacity: Swift.max(historyCapacity, 1), head: historyHead,
                                           oldDirs: oldDirs, oldSteps: oldStps, ro: ro, al: &al, grad: flatGrad, hDiag: hDiag.f, into: &dir)
                d = dir
            }
            prevFlatGrad = flatGrad
            prevLoss = loss
            if nIter == 1 {
                t = pyMin(.py(1), .py(1) / .tensor(HostVectors.sumAbs(flatGrad))) * .py(lr)
            } else {
                t = .py(lr)
            }
            let gtd = TorchScalar.tensor(dot(flatGrad, d))
            if gtd > .py(-toleranceChange) { break }

            var lsFuncEvals = 0
            if lineSearchFn != nil {
                let xInit = cloneParams()
                let r = strongWolfe({ self.directionalEvaluate(closure, $0, $1, $2) }, xInit, t, d, loss, flatGrad, gtd,
                                    toleranceChange: toleranceChange, maxLS: maxEval - currentEvals)
                loss = r.loss; flatGrad = r.grad; t = r.t; lsFuncEvals = r.evals
                addGrad(t, d)
                optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
            } else {
                addGrad(t, d)
                if iter != maxIter {
                    loss = evaluate(closure)
                    flatGrad = gatherFlatGrad()
                    optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
                    lsFuncEvals = 1
                }
            }
            currentEvals += lsFuncEvals
            funcEvals += lsFuncEvals

            if iter == maxIter { break }
            if currentEvals >= maxEval { break }
            if optCond { break }
            if maxAbs(d, scale: t.f) <= Float(toleranceChange) { break }
            if Swift.abs(loss - prevLoss!) < toleranceChange { break }
        }
        return origLoss
    }

    /// PyTorch's `_strong_wolfe` line search (c1 1e-4, c2 0.9).
    private func strongWolfe(_ objFunc: ([Float], TorchScalar, [Float]) -> (Double, [Float]), _ x: [Float], _ t0: TorchScalar,
                             _ d: [Float], _ f: Double, _ g: [Float], _ gtd: TorchScalar, c1: Double = 1e-4, c2: Double = 0.9,
                             toleranceChange: Double, maxLS: Int) -> (loss: Double, grad: [Float], t: TorchScalar, evals: Int) {
        var t = t0
        let dNorm = TorchScalar.tensor(maxAbs(d))
        var (fNew, gNew) = objFunc(x, t, d)
        var lsFuncEvals = 1
        var gtdNew = TorchScalar.tensor(dot(gNew, d))
        var tPrev = TorchScalar.py(0), fPrev = f, gPrev = g, gtdPrev = gtd
        var done = false
        var lsIter = 0
        var bracket: [TorchScalar] = [], bracketF: [Double] = [], bracketG: [[Float]] = [], bracketGtd: [TorchScalar] = []
        let fT = TorchScalar.py(f), c1T = TorchScalar.py(c1), negC2 = TorchScalar.py(-c2)
        while lsIter < maxLS {
            if TorchScalar.py(fNew) > fT + c1T * t * gtd || (lsIter > 1 && fNew >= fPrev) {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew]
                break
            }
            if gtdNew.magnitude <= negC2 * gtd {
                bracket = [t]; bracketF = [fNew]; bracketG = [gNew]
                done = true
                break
            }
            if gtdNew >= .py(0) {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew]
                break
            }
            let minStep = t + .py(0.01) * (t - tPrev)
            let maxStep = t * .py(10)
            let tmp = t
            t = cubicInterpolate(tPrev, .py(fPrev), gtdPrev, t, .py(fNew), gtdNew, bounds: (minStep, maxStep))
            tPrev = tmp
            fPrev = fNew
            gPrev = gNew
            gtdPrev = gtdNew
            (fNew, gNew) = objFunc(x, t, d)
            lsFuncEvals += 1
            gtdNew = .tensor(dot(gNew, d))
            lsIter += 1
        }
        if lsIter == maxLS {
            bracket = [.py(0), t]; bracketF = [f, fNew]; bracketG = [g, gNew]
        }

        var insufProgress = false
        var (lowPos, highPos) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done && lsIter < maxLS {
            if (bracket[1] - bracket[0]).magnitude * dNorm < .py(toleranceChange) { break }
            t = cubicInterpolate(bracket[0], .py(bracketF[0]), bracketGtd[0], bracket[1], .py(bracketF[1]), bracketGtd[1])
            let hi = pyMax(bracket[0], bracket[1]), lo = pyMin(bracket[0], bracket[1])
            let eps = .py(0.1) * (hi - lo)
            if pyMin(hi - t, t - lo) < eps {
                if insufProgress || t >= hi || t <= lo {
                    t = (t - hi).magnitude < (t - lo).magnitude ? hi - eps : lo + eps
                    insufProgress = false
                } else {
                    insufProgress = true
                }
            } else {
                insufProgress = false
            }
            (fNew, gNew) = objFunc(x, t, d)
            lsFuncEvals += 1
            gtdNew = .tensor(dot(gNew, d))
            lsIter += 1
            if TorchScalar.py(fNew) > fT + c1T * t * gtd || fNew >= bracketF[lowPos] {
                bracket[highPos] = t; bracketF[highPos] = fNew; bracketG[highPos] = gNew; bracketGtd[highPos] = gtdNew
                (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if gtdNew.magnitude <= negC2 * gtd {
                    done = true
                } else if gtdNew * (bracket[highPos] - bracket[lowPos]) >= .py(0) {
                    bracket[highPos] = bracket[lowPos]; bracketF[highPos] = bracketF[lowPos]
                    bracketG[highPos] = bracketG[lowPos]; bracketGtd[highPos] = bracketGtd[lowPos]
                }
                bracket[lowPos] = t; bracketF[lowPos] = fNew; bracketG[lowPos] = gNew; bracketGtd[lowPos] = gtdNew
            }
        }
        return (bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals)
    }

    // MARK: State dict

    private func floatTensor(_ values: [Float], shape: [Int]) -> Tensor {
        Tensor(flat: values, shape: shape)
    }
    private func floats(_ t: Tensor) -> [Float] { t.toArray(Float.self) }

    /// The groups' hyper-parameters and PyTorch's L-BFGS state under `state.0.` (`func_evals`, `n_iter`, `d`, `t`,
    /// `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`; history as rows, oldest first),
    /// plus `t_is_tensor`/`H_diag_is_tensor`, which record whether PyTorch would hold those as float32 tensors.
    public override func stateDict() -> StateDict {
        var sd = super.stateDict()
        if nIter == 0 && funcEvals == 0 { return sd }
        let n = numel
        sd["state.0.func_evals"] = Tensor(Double(funcEvals), dtype: .float64)
        sd["state.0.n_iter"] = Tensor(Double(nIter), dtype: .float64)
        if nIter > 0 {
            sd["state.0.d"] = floatTensor(d, shape: [n])
            sd["state.0.t"] = Tensor(t.value, dtype: .float64)
            sd["state.0.t_is_tensor"] = Tensor(t.isTensor ? 1 : 0, dtype: .float64)
            sd["state.0.H_diag"] = Tensor(hDiag.value, dtype: .float64)
            sd["state.0.H_diag_is_tensor"] = Tensor(hDiag.isTensor ? 1 : 0, dtype: .float64)
            var dirs: [Float] = [], stps: [Float] = [], ros: [Float] = []
            for i in 0..<historyCount {
                let row = (historyHead + i) % historyCapacity
                dirs += oldDirs[row * n ..< (row + 1) * n]; stps += oldStps[row * n ..< (row + 1) * n]; ros.append(ro[row])
            }
            sd["state.0.old_dirs"] = floatTensor(dirs, shape: [historyCount, n])
            sd["state.0.old_stps"] = floatTensor(stps, shape: [historyCount, n])
            sd["state.0.ro"] = floatTensor(ros, shape: [historyCount])
            if let g = prevFlatGrad { sd["state.0.prev_flat_grad"] = floatTensor(g, shape: [n]) }
            if let l = prevLoss { sd["state.0.prev_loss"] = Tensor(l, dtype: .float64) }
        }
        return sd
    }

    public override func loadStateDict(_ sd: StateDict) throws {
        var rest = StateDict()
        for (k, v) in sd where !k.hasPrefix("state.") { rest[k] = v }
        try super.loadStateDict(rest)
        let n = numel
        func vector(_ key: String, rows: Int? = nil) throws -> [Float]? {
            guard let v = sd[key] else { return nil }
            let expected = rows.map { [$0, n] } ?? [n]
            if v.shape != expected { throw StateDictError.shapeMismatch(key: key, expected: expected, got: v.shape) }
            return floats(v)
        }
        funcEvals = Int(sd["state.0.func_evals"]?.item() ?? 0)
        nIter = Int(sd["state.0.n_iter"]?.item() ?? 0)
        historyCount = 0; historyHead = 0; oldDirs = []; oldStps = []; ro = []
        historyCapacity = Int(paramGroups[0].options["history_size"]!)
        prevFlatGrad = nil; prevLoss = nil
        guard nIter > 0 else { return }
        guard let dd = try vector("state.0.d"), let tv = sd["state.0.t"], let hv = sd["state.0.H_diag"] else {
            throw StateDictError.invalid("LBFGS state dict: n_iter > 0 but d, t or H_diag is missing")
        }
        d = dd
        t = (sd["state.0.t_is_tensor"]?.item() ?? 0) != 0 ? .tensor(Float(tv.item())) : .py(tv.item())
        hDiag = (sd["state.0.H_diag_is_tensor"]?.item() ?? 0) != 0 ? .tensor(Float(hv.item())) : .py(hv.item())
        if let r = sd["state.0.ro"] {
            let k = r.count
            if r.shape != [k] { throw StateDictError.shapeMismatch(key: "state.0.ro", expected: [k], got: r.shape) }
            guard let dirs = try vector("state.0.old_dirs", rows: k), let stps = try vector("state.0.old_stps", rows: k) else {
                throw StateDictError.invalid("LBFGS state dict: ro without old_dirs/old_stps")
            }
            oldDirs = dirs; oldStps = stps; ro = floats(r); historyCount = k
            historyCapacity = Swift.max(historyCapacity, k)
        }
        prevFlatGrad = try vector("state.0.prev_flat_grad")
        prevLoss = sd["state.0.prev_loss"]?.item()
    }
}
