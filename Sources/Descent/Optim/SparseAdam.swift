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
    /// SparseAdam's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.001 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("betas.0", \.betas.0), .real("betas.1", \.betas.1), .real("eps", \.eps), .flag("maximize", \.maximize)]
        }
    }

    /// SparseAdam over parameter groups (each group may set its own `lr` and settings such as `"eps"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, maximize: Bool = Settings().maximize) {
        if !(lr > 0) { fail("Invalid learning rate: \(lr)") }
        if !(eps > 0) { fail("Invalid epsilon value: \(eps)") }
        checkBetas(betas)
        var s = Settings()
        s.betas = betas; s.eps = eps; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// SparseAdam over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "SparseAdam")
        let s = group[Settings.self]
        let m = floatState(state, "exp_avg", like: p, "SparseAdam"), v = floatState(state, "exp_avg_sq", like: p, "SparseAdam")
        Kernels.optimizerStep(.sparseAdam(expAvg: m, expAvgSq: v, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1, eps: s.eps,
                                          step: state.step, maximize: s.maximize), param: p, grad: grad)
    }
}
