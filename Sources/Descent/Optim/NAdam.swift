/// Adam with Nesterov momentum (PyTorch's `optim.NAdam`: lr 0.002, betas (0.9, 0.999), eps 1e-8,
/// momentum decay 0.004; `decoupledWeightDecay` gives NAdamW).
public final class NAdam: Optimizer {
    /// NAdam's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
        public var weightDecay = 0.0
        public var momentumDecay = 4e-3
        public var decoupledWeightDecay = false
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.002 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("betas.0", \.betas.0), .real("betas.1", \.betas.1), .real("eps", \.eps), .real("weight_decay", \.weightDecay),
             .real("momentum_decay", \.momentumDecay), .flag("decoupled_weight_decay", \.decoupledWeightDecay),
             .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// NAdam over parameter groups (each group may set its own `lr` and settings such as `"momentum_decay"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                momentumDecay: Double = Settings().momentumDecay, decoupledWeightDecay: Bool = Settings().decoupledWeightDecay,
                maximize: Bool = Settings().maximize) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        if !(momentumDecay >= 0) { fail("Invalid momentum_decay value: \(momentumDecay)") }
        var s = Settings()
        s.betas = betas; s.eps = eps; s.weightDecay = weightDecay; s.momentumDecay = momentumDecay
        s.decoupledWeightDecay = decoupledWeightDecay; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// NAdam over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            momentumDecay: Double = Settings().momentumDecay,
                            decoupledWeightDecay: Bool = Settings().decoupledWeightDecay, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
                  momentumDecay: momentumDecay, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "NAdam")
        let s = group[Settings.self]
        let muProduct = scalarState(state, "mu_product", initial: 1, "NAdam")
        let m = floatState(state, "exp_avg", like: p, "NAdam"), v = floatState(state, "exp_avg_sq", like: p, "NAdam")
        Kernels.optimizerStep(.nadam(expAvg: m, expAvgSq: v, muProduct: muProduct, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1,
                                     eps: s.eps, weightDecay: s.weightDecay, momentumDecay: s.momentumDecay, step: state.step,
                                     decoupledWeightDecay: s.decoupledWeightDecay, maximize: s.maximize), param: p, grad: grad)
    }
    public override func loadStateDict(_ d: StateDict) throws {
        try loadStateDict(d, scalarState: ["mu_product"]) { try super.loadStateDict($0) }
    }
}
