/// Resilient backpropagation (PyTorch's `optim.Rprop`: lr 0.01, etas (0.5, 1.2), step sizes (1e-6, 50)).
/// `lr` is each element's first step size; later steps adapt per element (state `step_size`).
public final class Rprop: Optimizer {
    /// Rprop's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        /// The factors (decrease, increase) of an element's step size when its gradient flips or keeps its sign.
        public var etas = (0.5, 1.2)
        /// The smallest and largest step size.
        public var stepSizes = (1e-6, 50.0)
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.01 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("etas.0", \.etas.0), .real("etas.1", \.etas.1), .real("step_sizes.0", \.stepSizes.0),
             .real("step_sizes.1", \.stepSizes.1), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["step_sizes.1"] }
    }

    /// Rprop over parameter groups (each group may set its own `lr` and settings such as `"etas.0"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, etas: (Double, Double) = Settings().etas,
                stepSizes: (Double, Double) = Settings().stepSizes, maximize: Bool = Settings().maximize) {
        checkLR(lr)
        if !(0 < etas.0 && etas.0 < 1 && 1 < etas.1) { fail("Invalid eta values: \(etas.0), \(etas.1)") }
        var s = Settings()
        s.etas = etas; s.stepSizes = stepSizes; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// Rprop over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, etas: (Double, Double) = Settings().etas,
                            stepSizes: (Double, Double) = Settings().stepSizes, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, etas: etas, stepSizes: stepSizes, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        checkKernelOperands(p, grad, "Rprop")
        let s = group[Settings.self]
        let prev = floatState(state, "prev", like: p, "Rprop")
        let stepSize = floatState(state, "step_size", like: p, fill: group.lr, "Rprop")
        Kernels.optimizerStep(.rprop(prev: prev, stepSize: stepSize, etaMinus: s.etas.0, etaPlus: s.etas.1,
                                     stepSizeMin: s.stepSizes.0, stepSizeMax: s.stepSizes.1, maximize: s.maximize),
                              param: p, grad: grad)
    }
}
