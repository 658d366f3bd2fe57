/// RMSprop (PyTorch's `optim.RMSprop`: lr 0.01, alpha 0.99, eps 1e-8, optional momentum and centering).
public final class RMSprop: Optimizer {
    /// RMSprop's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var momentum = 0.0
        public var alpha = 0.99
        public var eps = 1e-8
        public var centered = false
        public var weightDecay = 0.0
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.01 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("momentum", \.momentum), .real("alpha", \.alpha), .real("eps", \.eps), .flag("centered", \.centered),
             .real("weight_decay", \.weightDecay), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["momentum", "weight_decay"] }
    }

    /// RMSprop over parameter groups (each group may set its own `lr` and settings such as `"momentum"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, alpha: Double = Settings().alpha, eps: Double = Settings().eps,
                weightDecay: Double = Settings().weightDecay, momentum: Double = Settings().momentum,
                centered: Bool = Settings().centered, maximize: Bool = Settings().maximize) {
        var s = Settings()
        s.alpha = alpha; s.eps = eps; s.weightDecay = weightDecay; s.momentum = momentum; s.centered = centered; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// RMSprop over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, alpha: Double = Settings().alpha,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            momentum: Double = Settings().momentum, centered: Bool = Settings().centered,
                            maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, alpha: alpha, eps: eps, weightDecay: weightDecay, momentum: momentum,
                  centered: centered, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "RMSprop")
        let s = group[Settings.self]
        let sq = state.zeros("square_avg", like: p)
        let ga = s.centered ? state.zeros("grad_avg", like: p) : nil
        let buf = s.momentum > 0 ? state.zeros("momentum_buffer", like: p) : nil
        Kernels.optimizerStep(.rmsprop(squareAvg: sq, gradAvg: ga, momentumBuffer: buf, lr: group.lr, alpha: s.alpha, eps: s.eps,
                                       weightDecay: s.weightDecay, momentum: s.momentum, maximize: s.maximize), param: p, grad: grad)
    }
}
