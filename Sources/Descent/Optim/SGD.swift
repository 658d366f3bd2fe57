/// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's `optim.SGD`, lr 0.001 default).
public final class SGD: Optimizer {
    /// SGD's settings for one parameter group, with PyTorch's defaults.
    public struct Settings: OptimizerSettings {
        public var momentum = 0.0
        public var dampening = 0.0
        public var weightDecay = 0.0
        public var nesterov = false
        public var maximize = false
        public init() {}
        public static var defaultLR: Double { 0.001 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.real("momentum", \.momentum), .real("dampening", \.dampening), .real("weight_decay", \.weightDecay),
             .flag("nesterov", \.nesterov), .flag("maximize", \.maximize)]
        }
        public static var pythonIntDefaults: Set<String> { ["momentum", "dampening", "weight_decay"] }
    }

    /// SGD over parameter groups (each group may set its own `lr` and settings such as `"momentum"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, momentum: Double = Settings().momentum,
                dampening: Double = Settings().dampening, weightDecay: Double = Settings().weightDecay,
                nesterov: Bool = Settings().nesterov, maximize: Bool = Settings().maximize) {
        if nesterov && (momentum <= 0 || dampening != 0) { fail("Nesterov momentum requires a momentum and zero dampening") }
        var s = Settings()
        s.momentum = momentum; s.dampening = dampening; s.weightDecay = weightDecay; s.nesterov = nesterov; s.maximize = maximize
        super.init(groups: groups, lr: lr, defaults: s)
    }
    /// SGD over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, momentum: Double = Settings().momentum,
                            dampening: Double = Settings().dampening, weightDecay: Double = Settings().weightDecay,
                            nesterov: Bool = Settings().nesterov, maximize: Bool = Settings().maximize) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
                  nesterov: nesterov, maximize: maximize)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, "SGD")
        let s = group[Settings.self]
        let first = state["momentum_buffer"] == nil
        let buf = s.momentum != 0 ? state.zeros("momentum_buffer", like: p) : nil
        Kernels.optimizerStep(.sgd(momentumBuffer: buf, lr: group.lr, momentum: s.momentum, dampening: s.dampening, weightDecay: s.weightDecay,
                                   nesterov: s.nesterov, firstStep: first, maximize: s.maximize), param: p, grad: grad)
    }
}
