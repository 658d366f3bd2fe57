/// Adamax, Adam with the infinity norm (PyTorch's `optim.Adamax`: lr 0.002, betas (0.9, 0.999), eps 1e-8).
public final class Adamax: Optimizer {
    /// Adamax's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
        public var weightDecay = 0.0
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.002 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("betas.0", \.betas.0), .real("betas.1", \.betas.1), .real("eps", \.eps), .real("weight_decay", \.weightDecay),
             .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// Adamax over parameter groups (each group may set its own `lr` and settings such as `"eps"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay, maximize: Bool = Settings().maximize) {
        checkLR(lr); checkEps(eps); checkBetas(betas); checkWeightDecay(weightDecay)
        var s = Settings()
        s.betas = betas; s.eps = eps; s.weightDecay = weightDecay; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// Adamax over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Adamax")
        let s = group[Settings.self]
        let m = floatState(state, "exp_avg", like: p, "Adamax"), u = floatState(state, "exp_inf", like: p, "Adamax")
        Kernels.optimizerStep(.adamax(expAvg: m, expInf: u, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1, eps: s.eps,
                                      weightDecay: s.weightDecay, step: state.step, maximize: s.maximize), param: p, grad: grad)
    }
}
