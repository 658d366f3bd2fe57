/// Adam (PyTorch's `optim.Adam`: lr 0.001, betas (0.9, 0.999), eps 1e-8, optional amsgrad).
public class Adam: Optimizer {
    /// Adam's (and AdamW's) settings for one parameter group, with Adam's defaults.
    public struct Settings: OptimizerSettings {
        public var betas = (0.9, 0.999)
        public var eps = 1e-8
        public var weightDecay = 0.0
        public var amsgrad = false
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.001 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("betas.0", \.betas.0), .real("betas.1", \.betas.1), .real("eps", \.eps), .real("weight_decay", \.weightDecay),
             .flag("amsgrad", \.amsgrad), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["weight_decay"] }
    }

    /// Whether weight decay is decoupled from the gradient (AdamW).
    let decoupled: Bool

    init(groups: [ParamGroup], lr: Double, settings: Settings, decoupled: Bool) {
        self.decoupled = decoupled
        super.init(groups: groups, lr: lr, defaults: settings)
    }
    /// Adam over parameter groups (each group may set its own `lr` and settings such as `"eps"`).
    public convenience init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize) {
        self.init(groups: groups, lr: lr, settings: Settings(betas, eps, weightDecay, amsgrad, maximize), decoupled: false)
    }
    /// Adam over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, decoupled ? "AdamW" : "Adam")
        let s = group[Settings.self]
        let m = state.zeros("exp_avg", like: p), v = state.zeros("exp_avg_sq", like: p)
        let vmax = s.amsgrad ? state.zeros("max_exp_avg_sq", like: p) : nil
        Kernels.optimizerStep(.adam(expAvg: m, expAvgSq: v, maxExpAvgSq: vmax, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1, eps: s.eps,
                                    weightDecay: s.weightDecay, step: state.step, decoupledWeightDecay: decoupled, maximize: s.maximize),
                              param: p, grad: grad)
    }
}

/// Adam with decoupled weight decay (PyTorch's `optim.AdamW`: weight decay 0.01 default).
public final class AdamW: Adam {
    /// AdamW's default weight decay (PyTorch's `1e-2`); its other defaults are Adam's.
    public static let defaultWeightDecay = 0.01

    /// AdamW over parameter groups (each group may set its own `lr` and settings such as `"weight_decay"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, weightDecay: Double = AdamW.defaultWeightDecay,
                amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize) {
        super.init(groups: groups, lr: lr, settings: Settings(betas, eps, weightDecay, amsgrad, maximize), decoupled: true)
    }
    /// AdamW over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = AdamW.defaultWeightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }
}

extension Adam.Settings {
    init(_ betas: (Double, Double), _ eps: Double, _ weightDecay: Double, _ amsgrad: Bool, _ maximize: Bool) {
        self.init()
        self.betas = betas; self.eps = eps; self.weightDecay = weightDecay; self.amsgrad = amsgrad; self.maximize = maximize
    }
}
