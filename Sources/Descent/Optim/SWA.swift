import Foundation

// Stochastic weight averaging and exponential moving averages of weights (PyTorch's
// `torch.optim.swa_utils`): `AveragedModel`, `SWALR`, `updateBn` and the averaging functions, with
// PyTorch's formulas and rounding, so that an averaged model follows PyTorch's bit for bit.

/// An averaging function for one tensor: (averaged, current, number averaged so far) → new average
/// (PyTorch's `avg_fn`).
public typealias AvgFn = (_ averaged: Tensor, _ current: Tensor, _ numAveraged: Tensor) -> Tensor
/// An averaging function that updates lists of tensors in place (PyTorch's `multi_avg_fn`).
public typealias MultiAvgFn = (_ averaged: [Tensor], _ current: [Tensor], _ numAveraged: Tensor) -> Void

private func checkDecay(_ decay: Double) {
    if !(0...1).contains(decay) {
        fail("ValueError: Invalid decay value \(formatPyFloat(decay)) provided. Please provide a value in [0,1] range.")
    }
}

/// The exponential moving average over lists (PyTorch's `get_ema_multi_avg_fn`):
/// `ema = decay · ema + (1 − decay) · current`, as `lerp_(current, 1 − decay)` on floating-point tensors.
public func getEmaMultiAvgFn(decay: Double = 0.999) -> MultiAvgFn {
    checkDecay(decay)
    return { ema, current, _ in
        noGrad {
            guard let first = ema.first else { return }
            if first.dtype.isFloatingPoint {
                for (e, c) in zip(ema, current) { e.lerp_(c, 1 - decay) }
            } else {
                for (e, c) in zip(ema, current) { e.copy_(e * decay + c * (1 - decay)) }
            }
        }
    }
}

/// The exponential moving average of one tensor (PyTorch's `get_ema_avg_fn`): `decay · ema + (1 − decay) · current`.
public func getEmaAvgFn(decay: Double = 0.999) -> AvgFn {
    checkDecay(decay)
    return { ema, current, _ in noGrad { decay * ema + (1 - decay) * current } }
}

/// The running mean over lists (PyTorch's `get_swa_multi_avg_fn`): `lerp_(current, 1 / (n + 1))` on
/// floating-point tensors. Integer tensors stop, as PyTorch's `addcdiv` refuses them (average the
/// buffers with the default function, or leave `useBuffers` off).
public func getSwaMultiAvgFn() -> MultiAvgFn {
    return { averaged, current, n in
        noGrad {
            guard let first = averaged.first else { return }
            if first.dtype.isFloatingPoint {
                let weight = Double(Float(1) / Float(n.item() + 1))    // 1 / (n + 1) as a float32 tensor, as PyTorch
                for (a, c) in zip(averaged, current) { a.lerp_(c, weight) }
            } else {
                fail("RuntimeError: Integer division with addcdiv is no longer supported (get_swa_multi_avg_fn on \(first.dtype) tensors)")
            }
        }
    }
}

/// The running mean of one tensor (PyTorch's `get_swa_avg_fn`): `averaged + (current − averaged) / (n + 1)`.
public func getSwaAvgFn() -> AvgFn {
    return { averaged, current, n in noGrad { averaged + (current - averaged) / (n + 1) } }
}

/// A running average of a model's weights, for stochastic weight averaging (SWA) or an exponential
/// moving average (EMA) (PyTorch's `torch.optim.swa_utils.AveragedModel`).
///
/// It holds `module`, a `deepcopy` of the model (moved to `device` when given), and the buffer
/// `n_averaged`. Each `updateParameters(model)` copies the model's parameters on the first call and
/// averages them in afterwards: an equal-weight running mean by default, or `avgFn` / `multiAvgFn`
/// (`getEmaMultiAvgFn(decay: 0.999)` for an EMA). With `useBuffers` the buffers (BatchNorm's running
/// statistics) are averaged too; otherwise they are copied from the model. Calling it runs `module`.
///
/// ```swift
/// let swaModel = AveragedModel(model)
/// let swaScheduler = SWALR(optimizer, swaLR: 0.05)
/// for epoch in 0..<300 {
///     ... train an epoch ...
///     if epoch > 160 { swaModel.updateParameters(model); swaScheduler.step() } else { scheduler.step() }
/// }
/// try updateBn(loader, swaModel)
/// ```
public final class AveragedModel<M: Module>: Module {
    /// The averaged copy of the model.
    public let module: M
    /// How many models have been averaged (PyTorch's `n_averaged`, an int64 buffer).
    public let nAveraged: Tensor
    /// The per-tensor averaging function, if given.
    public let avgFn: AvgFn?
    /// The list averaging function, if given.
    public let multiAvgFn: MultiAvgFn?
    /// Whether buffers are averaged too (else copied from the model).
    public let useBuffers: Bool

    /// Copies `model` (to `device` when given); at most one of `avgFn` and `multiAvgFn` may be given.
    public init(_ model: M, device: Device? = nil, avgFn: AvgFn? = nil, multiAvgFn: MultiAvgFn? = nil, useBuffers: Bool = false) {
        if avgFn != nil && multiAvgFn != nil { fail("AssertionError: Only one of avg_fn and multi_avg_fn should be provided") }
        let copy = deepcopy(model)
        if let device { copy.to(device) }
        module = copy
        nAveraged = Tensor.zeros([], dtype: .int64, device: device ?? .cpu)
        self.avgFn = avgFn
        self.multiAvgFn = multiAvgFn
        self.useBuffers = useBuffers
        super.init()
        registerBuffer("n_averaged", nAveraged)
    }

    /// Runs the averaged model.
    public override func forward(_ x: Tensor) -> Tensor { module(x) }

    /// Averages `model`'s current parameters (and, with `useBuffers`, buffers) into this model's
    /// (PyTorch's `update_parameters`); without `useBuffers` the buffers are copied from `model`.
    public func updateParameters(_ model: Module) {
        let own: [Tensor] = useBuffers ? module.parameters() + module.buffers() : parameters()
        let theirs: [Tensor] = useBuffers ? model.parameters() + model.buffers() : model.parameters()
        noGrad {
            let pairs = zip(own, theirs).map { ($0.detach(), $1.detach().to($0.device)) }
            let n = nAveraged.item()
            if n == 0 {
                for (a, c) in pairs { a.copy_(c) }
            } else if multiAvgFn != nil || avgFn == nil {
                // grouped by device and dtype, in first-seen order, as PyTorch's _group_tensors_by_device_and_dtype
                var groups: [(key: String, averaged: [Tensor], current: [Tensor])] = []
                for (a, c) in pairs {
                    let key = "\(a.device)/\(a.dtype)"
                    if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].averaged.append(a); groups[i].current.append(c) }
                    else { groups.append((key, [a], [c])) }
                }
                for g in groups {
                    let count = nAveraged.to(g.averaged[0].device)
                    if let multiAvgFn {
                        multiAvgFn(g.averaged, g.current, count)
                    } else if g.averaged[0].device != .cpu {
                        getSwaMultiAvgFn()(g.averaged, g.current, count)     // PyTorch's foreach path off the CPU
                    } else {
                        let avg = getSwaAvgFn()
                        for (a, c) in zip(g.averaged, g.current) { a.copy_(avg(a, c, count)) }
                    }
                }
            } else if let avgFn {
                for (a, c) in pairs { a.copy_(avgFn(a, c, nAveraged.to(a.device))) }
            }
            if !useBuffers {
                for (b, m) in zip(module.buffers(), model.buffers()) { b.copy_(m.detach().to(b.device)) }
            }
            nAveraged.add_(1)
        }
    }
}

/// Recomputes the BatchNorm running statistics of `model` with one pass over `loader` (PyTorch's
/// `torch.optim.swa_utils.update_bn`): the statistics are reset, the layers' momentum set to nil (a
/// cumulative average) for the pass and restored after, the model run in training mode and its mode
/// restored. Each batch is a tensor, or a tuple/array whose first element is the input; `device`
/// moves it first. A model without BatchNorm layers is left alone.
public func updateBn<S: Sequence>(_ loader: S, _ model: Module, device: Device? = nil) {
    noGrad {
        let norms = model.modules().compactMap { $0 as? BatchNormBase }
        if norms.isEmpty { return }
        var momenta: [Double?] = []
        for m in norms { m.resetRunningStats(); momenta.append(m.momentum) }
        let wasTraining = model.isTraining
        model.train()
        for m in norms { m.momentum = nil }
        for batch in loader {
            var input: Tensor
            if let t = batch as? Tensor { input = t }
            else if let xs = batch as? [Tensor], let x = xs.first { input = x }
            else if case let m = Mirror(reflecting: batch), m.displayStyle == .tuple, let x = m.children.first?.value as? Tensor { input = x }
            else { fail("updateBn: a batch must be a tensor or a tuple/array of tensors whose first is the input, got \(type(of: batch))") }
            if let device { input = input.to(device) }
            _ = model(input)
        }
        for (m, v) in zip(norms, momenta) { m.momentum = v }
        model.train(wasTraining)
    }
}

/// The learning-rate schedule of SWA (PyTorch's `torch.optim.swa_utils.SWALR`): from each group's
/// current learning rate to `swaLR` over `annealEpochs` steps, by a cosine (`"cos"`) or linear
/// (`"linear"`) curve, then `swaLR`. It adds `swa_lr` to each parameter group, as PyTorch does.
public final class SWALR: LRScheduler {
    /// The annealing curve: "cos" or "linear".
    public private(set) var annealStrategy: String
    /// The number of steps the learning rate takes to reach `swa_lr`.
    public private(set) var annealEpochs: Int

    /// One SWA learning rate for every group.
    public convenience init(_ optimizer: Optimizer, swaLR: Double, annealEpochs: Int = 10, annealStrategy: String = "cos") {
        self.init(optimizer, swaLRs: Array(repeating: swaLR, count: optimizer.paramGroups.count),
                  annealEpochs: annealEpochs, annealStrategy: annealStrategy)
    }
    /// One SWA learning rate per group.
    public init(_ optimizer: Optimizer, swaLRs: [Double], annealEpochs: Int = 10, annealStrategy: String = "cos") {
        if swaLRs.count != optimizer.paramGroups.count {
            fail("ValueError: swa_lr must have the same length as optimizer.param_groups: swa_lr has \(swaLRs.count), optimizer.param_groups has \(optimizer.paramGroups.count)")
        }
        for (g, lr) in zip(optimizer.paramGroups, swaLRs) { g.swaLR = lr }
        if annealStrategy != "cos" && annealStrategy != "linear" {
            fail("ValueError: anneal_strategy must be one of 'cos' or 'linear', instead got \(annealStrategy)")
        }
        if annealEpochs < 0 { fail("ValueError: anneal_epochs must be equal or greater than 0, got \(annealEpochs)") }
        self.annealStrategy = annealStrategy
        self.annealEpochs = annealEpochs
        super.init(optimizer)
    }

    private func anneal(_ t: Double) -> Double { annealStrategy == "cos" ? (1 - cos(Double.pi * t)) / 2 : t }

    public override func getLR() -> [Double] {
        var step = stepCount - 1
        if annealEpochs == 0 { step = max(1, step) }
        let span = Double(max(1, annealEpochs))
        let prevAlpha = anneal(max(0, min(1, Double(step - 1) / span)))
        let alpha = anneal(max(0, min(1, Double(step) / span)))
        return optimizer.paramGroups.map { g in
            let swa = g.swaLR ?? g.lr
            let prev = prevAlpha == 1 ? swa : (g.lr - prevAlpha * swa) / (1 - prevAlpha)
            return swa * alpha + prev * (1 - alpha)
        }
    }

    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["anneal_epochs"] = scalarTensor(Double(annealEpochs))
        d["_anneal_strategy"] = scalarTensor(annealStrategy == "cos" ? 0 : 1)   // 0: "cos", 1: "linear"
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let epochs = try int(d, "anneal_epochs"), strategy = try int(d, "_anneal_strategy", max: 1)
        try super.loadStateDict(d)
        annealEpochs = epochs
        annealStrategy = strategy == 0 ? "cos" : "linear"
    }
}
