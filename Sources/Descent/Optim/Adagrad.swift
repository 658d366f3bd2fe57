/// Adagrad (PyTorch's `optim.Adagrad`: lr 0.01, lr decay, eps 1e-10).
public final class Adagrad: Optimizer {
    /// Adagrad's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var lrDecay = 0.0
        public var eps = 1e-10
        public var weightDecay = 0.0
        public var initialAccumulatorValue = 0.0
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.01 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("lr_decay", \.lrDecay), .real("eps", \.eps), .real("weight_decay", \.weightDecay),
             .real("initial_accumulator_value", \.initialAccumulatorValue), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["lr_decay", "weight_decay", "initial_accumulator_value"] }
    }

    /// Adagrad over parameter groups (each group may set its own `lr` and settings such as `"lr_decay"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, lrDecay: Double = Settings().lrDecay,
                weightDecay: Double = Settings().weightDecay, initialAccumulatorValue: Double = Settings().initialAccumulatorValue,
                eps: Double = Settings().eps, maximize: Bool = Settings().maximize) {
        var s = Settings()
        s.lrDecay = lrDecay; s.weightDecay = weightDecay; s.initialAccumulatorValue = initialAccumulatorValue; s.eps = eps; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// Adagrad over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, lrDecay: Double = Settings().lrDecay,
                            weightDecay: Double = Settings().weightDecay,
                            initialAccumulatorValue: Double = Settings().initialAccumulatorValue,
                            eps: Double = Settings().eps, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "Adagrad")
        let s = group[Settings.self]
        let sum = state.full("sum", like: p, fill: s.initialAccumulatorValue)
        let clr = group.lr / (1 + Double(state.step - 1) * s.lrDecay)
        Kernels.optimizerStep(.adagrad(sum: sum, clr: clr, eps: s.eps, weightDecay: s.weightDecay, maximize: s.maximize), param: p, grad: grad)
    }
}
