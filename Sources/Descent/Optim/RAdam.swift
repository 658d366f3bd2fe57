/// Rectified Adam (PyTorch's `optim.RAdam`: lr 0.001, betas (0.9, 0.999), eps 1e-8; `decoupledWeightDecay`
/// gives RAdamW).
public final class RAdam: Optimizer {
    /// RAdam's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
        public var weightDecay = 0.0
        public var decoupledWeightDecay = false
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.001 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("betas.0", \.betas.0), .real("betas.1", \.betas.1), .real("eps", \.eps), .real("weight_decay", \.weightDecay),
             .flag("decoupled_weight_decay", \.decoupledWeightDecay), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// RAdam over parameter groups (each group may set its own `lr` and settings such as `"betas.0"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                decoupledWeightDecay: Bool = Settings().decoupledWeightDecay, maximize: Bool = Settings().maximize) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        var s = Settings()
        s.betas = betas; s.eps = eps; s.weightDecay = weightDecay; s.decoupledWeightDecay = decoupledWeightDecay; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// RAdam over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            decoupledWeightDecay: Bool = Settings().decoupledWeightDecay, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "RAdam")
        let s = group[Settings.self]
        let m = floatState(state, "exp_avg", like: p, "RAdam"), v = floatState(state, "exp_avg_sq", like: p, "RAdam")
        Kernels.optimizerStep(.radam(expAvg: m, expAvgSq: v, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1, eps: s.eps,
                                     weightDecay: s.weightDecay, step: state.step,
                                     decoupledWeightDecay: s.decoupledWeightDecay, maximize: s.maximize), param: p, grad: grad)
    }
}
