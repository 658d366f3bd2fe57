/// Adadelta (PyTorch's `optim.Adadelta`: lr 1.0, rho 0.9, eps 1e-6, weight decay 0).
public final class Adadelta: Optimizer {
    /// Adadelta's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var rho = 0.9
        public var eps = 1e-6
        public var weightDecay = 0.0
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 1.0 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("rho", \.rho), .real("eps", \.eps), .real("weight_decay", \.weightDecay), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// Adadelta over parameter groups (each group may set its own `lr` and settings such as `"rho"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, rho: Double = Settings().rho, eps: Double = Settings().eps,
                weightDecay: Double = Settings().weightDecay, maximize: Bool = Settings().maximize) {
        checkLR(lr)
        if !(rho >= 0 && rho <= 1) { fail("Invalid rho value: \(rho)") }
        checkEps(eps); checkWeightDecay(weightDecay)
        var s = Settings()
        s.rho = rho; s.eps = eps; s.weightDecay = weightDecay; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// Adadelta over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, rho: Double = Settings().rho,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, rho: rho, eps: eps, weightDecay: weightDecay, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Adadelta")
        let s = group[Settings.self]
        let sq = floatState(state, "square_avg", like: p, "Adadelta"), acc = floatState(state, "acc_delta", like: p, "Adadelta")
        Kernels.optimizerStep(.adadelta(squareAvg: sq, accDelta: acc, lr: group.lr, rho: s.rho, eps: s.eps,
                                        weightDecay: s.weightDecay, maximize: s.maximize), param: p, grad: grad)
    }
}
