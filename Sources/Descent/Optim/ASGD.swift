/// Averaged SGD (PyTorch's `optim.ASGD`: lr 0.01, lambd 1e-4, alpha 0.75, t0 1e6). The running average
/// of the parameters is the state `ax`; `eta` and `mu` are float32 scalars per parameter, as in PyTorch.
public final class ASGD: Optimizer {
    /// ASGD's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var lambd = 1e-4
        public var alpha = 0.75
        public var t0 = 1e6
        public var weightDecay = 0.0
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.01 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("lambd", \.lambd), .real("alpha", \.alpha), .real("t0", \.t0), .real("weight_decay", \.weightDecay),
             .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// ASGD over parameter groups (each group may set its own `lr` and settings such as `"t0"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, lambd: Double = Settings().lambd, alpha: Double = Settings().alpha,
                t0: Double = Settings().t0, weightDecay: Double = Settings().weightDecay, maximize: Bool = Settings().maximize) {
        checkLR(lr); checkWeightDecay(weightDecay)
        var s = Settings()
        s.lambd = lambd; s.alpha = alpha; s.t0 = t0; s.weightDecay = weightDecay; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// ASGD over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, lambd: Double = Settings().lambd,
                            alpha: Double = Settings().alpha, t0: Double = Settings().t0,
                            weightDecay: Double = Settings().weightDecay, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, lambd: lambd, alpha: alpha, t0: t0, weightDecay: weightDecay, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "ASGD")
        let s = group[Settings.self]
        let eta = scalarState(state, "eta", initial: group.lr, "ASGD"), mu = scalarState(state, "mu", initial: 1, "ASGD")
        let ax = floatState(state, "ax", like: p, "ASGD")
        Kernels.optimizerStep(.asgd(ax: ax, eta: eta, mu: mu, lr: group.lr, lambd: s.lambd, alpha: s.alpha, t0: s.t0,
                                    weightDecay: s.weightDecay, step: state.step, maximize: s.maximize), param: p, grad: grad)
    }
    public override func loadStateDict(_ d: StateDict) throws {
        try loadStateDict(d, scalarState: ["eta", "mu"]) { try super.loadStateDict($0) }
    }
}
