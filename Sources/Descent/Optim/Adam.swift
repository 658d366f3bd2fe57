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
    /// Whether CUDA parameters keep their step count on the device, so that `step()` can be captured
    /// in a `CUDA.Graph` and each replay counts a step (PyTorch's `capturable=True`).
    public let capturable: Bool
    /// The device step counts of CUDA parameters (capturable only), by parameter.
    private var deviceSteps: [ObjectIdentifier: Tensor] = [:]

    init(groups: [ParamGroup], lr: Double, settings: Settings, decoupled: Bool, capturable: Bool = false) {
        self.decoupled = decoupled
        self.capturable = capturable
        super.init(groups: groups, lr: lr, defaults: settings)
    }
    /// Adam over parameter groups (each group may set its own `lr` and settings such as `"eps"`).
    public convenience init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize, capturable: Bool = false) {
        self.init(groups: groups, lr: lr, settings: Settings(betas, eps, weightDecay, amsgrad, maximize), decoupled: false, capturable: capturable)
    }
    /// Adam over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = Settings().weightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize, capturable: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize,
                  capturable: capturable)
    }

    public override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        requireFloat(p, grad, decoupled ? "AdamW" : "Adam")
        let s = group[Settings.self]
        let m = state.zeros("exp_avg", like: p), v = state.zeros("exp_avg_sq", like: p)
        let vmax = s.amsgrad ? state.zeros("max_exp_avg_sq", like: p) : nil
        if p.device.isCUDA && capturable {
            // the count so far, on the device; the kernel adds this step's 1 before it reads it
            let key = ObjectIdentifier(p)
            if deviceSteps[key] == nil && CUDA.isCurrentStreamCapturing() {
                // its making would be captured too, and every replay would reset the count
                fail("Adam's device step count is made at its first capturable step, which a CUDA graph cannot capture: run a step before capturing (after loadStateDict too)")
            }
            let stepT = deviceSteps[key] ?? Tensor.full([1], Double(state.step - 1), dtype: .float64, device: p.device)
            deviceSteps[key] = stepT
            Kernels.optimizerStep(.adamDeviceStep(expAvg: m, expAvgSq: v, maxExpAvgSq: vmax, step: stepT, lr: group.lr, beta1: s.betas.0,
                                                  beta2: s.betas.1, eps: s.eps, weightDecay: s.weightDecay, decoupledWeightDecay: decoupled,
                                                  maximize: s.maximize), param: p, grad: grad)
            return
        }
        if p.device.isCUDA && CUDA.isCurrentStreamCapturing() {
            fail("Attempting CUDA graph capture of step() for an instance of \(decoupled ? "AdamW" : "Adam") but param_groups' capturable is False.")
        }
        Kernels.optimizerStep(.adam(expAvg: m, expAvgSq: v, maxExpAvgSq: vmax, lr: group.lr, beta1: s.betas.0, beta2: s.betas.1, eps: s.eps,
                                    weightDecay: s.weightDecay, step: state.step, decoupledWeightDecay: decoupled, maximize: s.maximize),
                              param: p, grad: grad)
    }
    /// The state, with the step counts that replays of a captured step advanced on the device.
    public override func stateDict() -> StateDict {
        syncDeviceSteps()
        return super.stateDict()
    }
    public override func loadStateDict(_ d: StateDict) throws {
        try super.loadStateDict(d)
        deviceSteps = [:]   // made again from the loaded counts at the next step
    }
    /// Copies the device step counts into the host state (outside a capture: it waits for the device).
    private func syncDeviceSteps() {
        guard !deviceSteps.isEmpty else { return }
        for g in paramGroups { for p in g.params {
            if let t = deviceSteps[ObjectIdentifier(p)], let st = state(for: p) { st.step = Int(t.item()) }
        } }
    }
}

/// Adam with decoupled weight decay (PyTorch's `optim.AdamW`: weight decay 0.01 default).
public final class AdamW: Adam {
    /// AdamW's default weight decay (PyTorch's `1e-2`); its other defaults are Adam's.
    public static let defaultWeightDecay = 0.01

    /// AdamW over parameter groups (each group may set its own `lr` and settings such as `"weight_decay"`).
    public init(groups: [ParamGroup], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                eps: Double = Settings().eps, weightDecay: Double = AdamW.defaultWeightDecay,
                amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize, capturable: Bool = false) {
        super.init(groups: groups, lr: lr, settings: Settings(betas, eps, weightDecay, amsgrad, maximize), decoupled: true, capturable: capturable)
    }
    /// AdamW over one group holding `params`.
    public convenience init(_ params: [Parameter], lr: Double = Settings.defaultLR, betas: (Double, Double) = Settings().betas,
                            eps: Double = Settings().eps, weightDecay: Double = AdamW.defaultWeightDecay,
                            amsgrad: Bool = Settings().amsgrad, maximize: Bool = Settings().maximize, capturable: Bool = false) {
        self.init(groups: [ParamGroup(params: params)], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize,
                  capturable: capturable)
    }
}

extension Adam.Settings {
    init(_ betas: (Double, Double), _ eps: Double, _ weightDecay: Double, _ amsgrad: Bool, _ maximize: Bool) {
        self.init()
        self.betas = betas; self.eps = eps; self.weightDecay = weightDecay; self.amsgrad = amsgrad; self.maximize = maximize
    }
}
