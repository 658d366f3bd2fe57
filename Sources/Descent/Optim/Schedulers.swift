import Foundation

// Learning-rate schedulers (PyTorch's `torch.optim.lr_scheduler`). A scheduler changes its optimizer's
// `ParamGroup.lr` (and, for OneCycleLR, the momentum or beta1) when `step()` is called, once per epoch
// (or per batch for OneCycleLR), after `optimizer.step()`. The values follow PyTorch's recursive
// ("chainable") formulas, so sequences match `get_last_lr()` to the last bit and schedulers may be
// chained on one optimizer.

/// The base class of learning-rate schedulers (PyTorch's `LRScheduler`). Subclasses override `getLR()`,
/// which returns the groups' learning rates for `lastEpoch` from their current values.
///
/// `baseLRs` are the groups' `initialLR` (PyTorch's `initial_lr`). Descent sets `initialLR` when a group is
/// created (and restores it from an optimizer state dict), and a scheduler keeps it, as PyTorch's
/// `setdefault` keeps an `initial_lr` set by an earlier scheduler; so the one difference from PyTorch is a
/// learning rate changed by hand before the first scheduler is created, which PyTorch would take as `initial_lr`.
open class LRScheduler {
    /// The optimizer whose learning rates this scheduler sets.
    public let optimizer: Optimizer
    /// The index of the last epoch (PyTorch's `last_epoch`): 0 after construction, +1 per `step()`.
    public var lastEpoch: Int
    /// The groups' initial learning rates (PyTorch's `base_lrs`).
    public var baseLRs: [Double]
    /// How many times `step()` has run, the initial step included (PyTorch's `_step_count`).
    public internal(set) var stepCount = 0
    var lastLR: [Double] = []
    /// True during the step the constructor makes (PyTorch's `_is_initial`).
    var isInitial = false

    /// Sets up the scheduler and takes the initial step (epoch 0), as PyTorch's constructor does.
    public init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        optimizer.hasScheduler = true
        lastEpoch = -1
        baseLRs = optimizer.paramGroups.map(\.initialLR)
        isInitial = true
        step()
        isInitial = false
    }
    /// For schedulers that do their own setup (ReduceLROnPlateau): no initial step.
    init(noInitialStep optimizer: Optimizer) {
        self.optimizer = optimizer
        lastEpoch = 0
        baseLRs = optimizer.paramGroups.map(\.initialLR)
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    /// The learning rates for `lastEpoch`, computed from the groups' current ones. Subclasses override.
    open func getLR() -> [Double] { fail("\(type(of: self)).getLR() is not implemented") }

    /// Advances one epoch and sets each group's learning rate.
    open func step() {
        stepCount += 1
        lastEpoch += 1
        setLRs(getLR())
    }

    /// Jumps to `epoch` and sets the learning rates from the closed form where the scheduler has one
    /// (PyTorch's deprecated `step(epoch)`, which `SequentialLR` uses at its milestones).
    open func step(epoch: Int) {
        stepCount += 1
        lastEpoch = epoch
        setLRs(closedFormLR() ?? getLR())
    }
    /// Sets the groups' learning rates and records them as the last ones.
    func setLRs(_ values: [Double]) {
        for (g, lr) in zip(optimizer.paramGroups, values) { g.lr = lr }
        lastLR = optimizer.paramGroups.map(\.lr)
    }
    /// The learning rates for `lastEpoch` computed from `baseLRs` alone (PyTorch's `_get_closed_form_lr`),
    /// or nil where the scheduler has no closed form.
    open func closedFormLR() -> [Double]? { nil }

    /// The learning rates the last `step()` set, one per group (PyTorch's `get_last_lr()`).
    public func getLastLR() -> [Double] { lastLR }

    /// The scheduler's state (PyTorch's `state_dict()`, minus the optimizer): `last_epoch`, `_step_count`,
    /// `base_lrs`, `_last_lr` and the subclass's settings, as float64 tensors.
    open func stateDict() -> StateDict {
        var d = StateDict()
        d["last_epoch"] = scalarTensor(Double(lastEpoch))
        d["_step_count"] = scalarTensor(Double(stepCount))
        d["base_lrs"] = vectorTensor(baseLRs)
        d["_last_lr"] = vectorTensor(lastLR)
        return d
    }
    /// Restores what `stateDict()` saved. Every value is checked first: a missing key, a tensor of the
    /// wrong shape or dtype, or a value out of range (a negative or non-integral count, NaN, an infinite
    /// learning rate) throws a `StateDictError` naming the key, and the scheduler is left as it was.
    open func loadStateDict(_ d: StateDict) throws { applyBase(try readBase(d)) }

    /// The base fields of a state dict, checked.
    func readBase(_ d: StateDict) throws -> (lastEpoch: Int, stepCount: Int, baseLRs: [Double], lastLR: [Double]) {
        (try int(d, "last_epoch", min: -1), try int(d, "_step_count"), try lrs(d, "base_lrs"), try lrs(d, "_last_lr"))
    }
    func applyBase(_ b: (lastEpoch: Int, stepCount: Int, baseLRs: [Double], lastLR: [Double])) {
        lastEpoch = b.lastEpoch; stepCount = b.stepCount; baseLRs = b.baseLRs; lastLR = b.lastLR
    }

    func scalarTensor(_ v: Double) -> Tensor { Tensor(v, dtype: .float64) }
    func vectorTensor(_ v: [Double]) -> Tensor { Tensor(flat: v, shape: [v.count]) }
    /// A one-element numeric tensor's value (NaN and infinities included: callers check the range).
    func scalar(_ d: StateDict, _ key: String) throws -> Double {
        guard let t = d[key] else { throw StateDictError.keyMismatch(missing: [key], unexpected: []) }
        if t.dtype == .bool { throw StateDictError.invalidValue(key: key, value: "\(t)", reason: "expected a number, got a bool tensor") }
        if t.count != 1 { throw StateDictError.shapeMismatch(key: key, expected: [], got: t.shape) }
        return t.item()
    }
    /// A one-dimensional numeric tensor's values (`count` of them when given).
    func vector(_ d: StateDict, _ key: String, count: Int? = nil) throws -> [Double] {
        guard let t = d[key] else { throw StateDictError.keyMismatch(missing: [key], unexpected: []) }
        if t.dtype == .bool { throw StateDictError.invalidValue(key: key, value: "\(t)", reason: "expected numbers, got a bool tensor") }
        if t.shape.count != 1 || (count != nil && t.count != count!) {
            throw StateDictError.shapeMismatch(key: key, expected: [count ?? t.count], got: t.shape)
        }
        return t.toDoubles()
    }
    /// An integer field in `min...max` (stored as a float64 tensor, as PyTorch's ints are numbers).
    func int(_ d: StateDict, _ key: String, min: Int = 0, max: Int = maxStateInteger) throws -> Int {
        try checkedInteger(scalar(d, key), key: key, min: min, max: max)
    }
    /// A finite number field (infinities allowed with `infinite`; NaN never).
    func double(_ d: StateDict, _ key: String, infinite: Bool = false, min: Double = -.infinity, max: Double = .infinity) throws -> Double {
        try checkedNumber(scalar(d, key), key: key, infinite: infinite, min: min, max: max)
    }
    /// One finite, non-negative learning rate per parameter group.
    func lrs(_ d: StateDict, _ key: String) throws -> [Double] {
        let v = try vector(d, key, count: optimizer.paramGroups.count)
        for x in v { _ = try checkedNumber(x, key: key, min: 0) }
        return v
    }
}

/// The largest count a state dict or checkpoint may hold: 2^53, the largest integer every smaller one
/// of which a float64 holds exactly. A run cannot reach it, so counters read back can always be incremented.
public let maxStateInteger = 1 << 53

/// `value` as an Int when it is integral and in `min...max`; else `StateDictError.invalidValue` naming `key`.
func checkedInteger(_ value: Double, key: String, min: Int = 0, max: Int = maxStateInteger) throws -> Int {
    guard value.isFinite, value.rounded(.towardZero) == value else {
        throw StateDictError.invalidValue(key: key, value: pythonRepr(value), reason: "expected an integer")
    }
    // compare as Doubles first: Int(value) would trap beyond Int's range
    guard value >= Double(min), value <= Double(max), Int(value) >= min, Int(value) <= max else {
        throw StateDictError.invalidValue(key: key, value: pythonRepr(value), reason: "expected an integer in \(min)...\(max)")
    }
    return Int(value)
}

/// `value` when it is a number in `min...max` (NaN never; infinities only with `infinite`).
func checkedNumber(_ value: Double, key: String, infinite: Bool = false, min: Double = -.infinity, max: Double = .infinity) throws -> Double {
    if value.isNaN { throw StateDictError.invalidValue(key: key, value: "nan", reason: "expected a number") }
    if value.isInfinite && !infinite { throw StateDictError.invalidValue(key: key, value: pythonRepr(value), reason: "expected a finite number") }
    if value < min || value > max {
        throw StateDictError.invalidValue(key: key, value: pythonRepr(value), reason: "expected a number in [\(pythonRepr(min)), \(pythonRepr(max))]")
    }
    return value
}

/// Python's `repr` of a float (`nan`, `inf`, `0.5`, `3.0`).
func pythonRepr(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return "\(v)"
}

/// The entries of `d` under `prefix`, without it (a nested scheduler's state).
func subStateDict(_ d: StateDict, prefix: String) -> StateDict {
    var out = StateDict()
    for (k, v) in d where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
    return out
}

/// Runs `body`, putting `prefix` in front of the key any `StateDictError` it throws names.
func prefixingKeys<T>(_ prefix: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as StateDictError { throw e.prefixed(prefix) }
}

/// One learning-rate function per parameter group, checked as PyTorch's `LambdaLR`/`MultiplicativeLR` check them.
private func perGroupLambdas(_ optimizer: Optimizer, _ fs: [(Int) -> Double]) -> [(Int) -> Double] {
    if fs.count != optimizer.paramGroups.count { fail("Expected \(optimizer.paramGroups.count) lr_lambdas, but got \(fs.count)") }
    return fs
}

/// Sets each group's learning rate to its initial one times `lrLambda(epoch)` (PyTorch's `LambdaLR`).
public final class LambdaLR: LRScheduler {
    let lambdas: [(Int) -> Double]
    /// One function for every group.
    public convenience init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double) {
        self.init(optimizer, lrLambdas: Array(repeating: lrLambda, count: optimizer.paramGroups.count))
    }
    /// One function per group.
    public init(_ optimizer: Optimizer, lrLambdas: [(Int) -> Double]) {
        lambdas = perGroupLambdas(optimizer, lrLambdas)
        super.init(optimizer)
    }
    /// One function per group, as PyTorch's `lr_lambda=[f, g]`.
    public convenience init(_ optimizer: Optimizer, lrLambda: [(Int) -> Double]) { self.init(optimizer, lrLambdas: lrLambda) }
    public override func getLR() -> [Double] { zip(baseLRs, lambdas).map { $0 * $1(lastEpoch) } }
}

/// Multiplies each group's learning rate by `lrLambda(epoch)` at every step after the first (PyTorch's
/// `MultiplicativeLR`).
public final class MultiplicativeLR: LRScheduler {
    let lambdas: [(Int) -> Double]
    /// One function for every group.
    public convenience init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double) {
        self.init(optimizer, lrLambda: Array(repeating: lrLambda, count: optimizer.paramGroups.count))
    }
    /// One function per group.
    public init(_ optimizer: Optimizer, lrLambda: [(Int) -> Double]) {
        lambdas = perGroupLambdas(optimizer, lrLambda)
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if lastEpoch <= 0 { return groups.map(\.lr) }
        return zip(groups, lambdas).map { $0.lr * $1(lastEpoch) }
    }
}

/// Scales the learning rate linearly from `startFactor` to `endFactor` over `totalIters` epochs, then
/// keeps it (PyTorch's `LinearLR`, a warm-up; its chainable formula).
public final class LinearLR: LRScheduler {
    public private(set) var startFactor: Double, endFactor: Double, totalIters: Int
    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1.0, totalIters: Int = 5) {
        if startFactor > 1 || startFactor <= 0 {
            fail("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        }
        if endFactor > 1 || endFactor < 0 { fail("Ending multiplicative factor expected to be between 0 and 1.") }
        self.startFactor = startFactor; self.endFactor = endFactor; self.totalIters = totalIters
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if lastEpoch == 0 { return groups.map { $0.lr * startFactor } }
        if lastEpoch > totalIters { return groups.map(\.lr) }
        let f = 1.0 + (endFactor - startFactor) / (Double(totalIters) * startFactor + Double(lastEpoch - 1) * (endFactor - startFactor))
        return groups.map { $0.lr * f }
    }
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * (startFactor + (endFactor - startFactor) * Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters)) }
    }
    /// The base state plus `start_factor`, `end_factor` and `total_iters`, as PyTorch's.
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["start_factor"] = scalarTensor(startFactor); d["end_factor"] = scalarTensor(endFactor)
        d["total_iters"] = scalarTensor(Double(totalIters))
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let s = try double(d, "start_factor", min: .leastNonzeroMagnitude, max: 1), e = try double(d, "end_factor", min: 0, max: 1)
        let n = try int(d, "total_iters")
        try super.loadStateDict(d)
        startFactor = s; endFactor = e; totalIters = n
    }
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs (PyTorch's `StepLR`).
public final class StepLR: LRScheduler {
    public var stepSize: Int
    public var gamma: Double
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        if stepSize <= 0 { fail("StepLR: step_size must be positive, got \(stepSize)") }
        self.stepSize = stepSize; self.gamma = gamma
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if lastEpoch == 0 || lastEpoch % stepSize != 0 { return groups.map(\.lr) }
        return groups.map { $0.lr * gamma }
    }
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pow(gamma, Double(floorDiv(lastEpoch, stepSize))) }
    }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["step_size"] = scalarTensor(Double(stepSize)); d["gamma"] = scalarTensor(gamma)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let n = try int(d, "step_size", min: 1), g = try double(d, "gamma")
        try super.loadStateDict(d)
        stepSize = n; gamma = g
    }
}

/// Multiplies the learning rate by `gamma` at each milestone epoch (PyTorch's `MultiStepLR`; a milestone
/// listed twice multiplies by `gamma` twice).
public final class MultiStepLR: LRScheduler {
    /// The milestones, sorted (repeats kept).
    public var milestones: [Int]
    public var gamma: Double
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.sorted(); self.gamma = gamma
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        let hits = milestones.filter { $0 == lastEpoch }.count
        if hits == 0 { return groups.map(\.lr) }
        return groups.map { $0.lr * pow(gamma, Double(hits)) }
    }
    public override func closedFormLR() -> [Double]? {
        let passed = bisectRight(milestones, lastEpoch)
        return baseLRs.map { $0 * pow(gamma, Double(passed)) }
    }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["milestones"] = vectorTensor(milestones.map(Double.init)); d["gamma"] = scalarTensor(gamma)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let m = try vector(d, "milestones").map { try checkedInteger($0, key: "milestones") }, g = try double(d, "gamma")
        try super.loadStateDict(d)
        milestones = m.sorted(); gamma = g
    }
}

/// Multiplies the learning rate by `gamma` every epoch (PyTorch's `ExponentialLR`).
public final class ExponentialLR: LRScheduler {
    public var gamma: Double
    public init(_ optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if isInitial { return groups.map(\.lr) }
        return groups.map { $0.lr * gamma }
    }
    public override func closedFormLR() -> [Double]? { baseLRs.map { $0 * pow(gamma, Double(lastEpoch)) } }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["gamma"] = scalarTensor(gamma)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let g = try double(d, "gamma")
        try super.loadStateDict(d)
        gamma = g
    }
}

/// Cosine annealing from the initial learning rate down to `etaMin` over `tMax` epochs, then back up
/// (PyTorch's `CosineAnnealingLR`, with its recursive formula: the values equal
/// `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2` up to rounding, and match PyTorch's exactly).
public final class CosineAnnealingLR: LRScheduler {
    public var tMax: Int
    public var etaMin: Double
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0) {
        if tMax <= 0 { fail("CosineAnnealingLR: T_max must be positive, got \(tMax)") }
        self.tMax = tMax; self.etaMin = etaMin
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        let e = Double(lastEpoch), T = Double(tMax)
        if isInitial { return groups.map(\.lr) }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(e * Double.pi / T)) / 2 }
        }
        if (lastEpoch - 1 - tMax) % (2 * tMax) == 0 {
            return zip(baseLRs, groups).map { base, g in g.lr + (base - etaMin) * (1 - cos(Double.pi / T)) / 2 }
        }
        let ratio = (1 + cos(Double.pi * e / T)) / (1 + cos(Double.pi * (e - 1) / T))
        return groups.map { ratio * ($0.lr - etaMin) + etaMin }
    }
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["T_max"] = scalarTensor(Double(tMax)); d["eta_min"] = scalarTensor(etaMin)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let t = try int(d, "T_max", min: 1), m = try double(d, "eta_min")
        try super.loadStateDict(d)
        tMax = t; etaMin = m
    }
}

/// The 1cycle policy (PyTorch's `OneCycleLR`): the learning rate rises from `maxLR / divFactor` to `maxLR`
/// over the first `pctStart` of the steps, then falls to `maxLR / divFactor / finalDivFactor` (with
/// `threePhase`, it first falls back to the initial value, then to the minimum). With `cycleMomentum`, the
/// momentum (SGD, RMSprop) or Adam-style beta1 moves inversely between `maxMomentum` and `baseMomentum`.
/// Step it after every batch; it holds `totalSteps` (or `epochs * stepsPerEpoch`) steps.
public final class OneCycleLR: LRScheduler {
    public enum AnnealStrategy: String, Sendable { case cos, linear }
    /// The group entries a phase anneals between (PyTorch's `initial_lr`, `max_lr`, `min_lr`, `max_momentum`, `base_momentum`).
    enum Point { case initialLR, maxLR, minLR, maxMomentum, baseMomentum }
    struct Phase { var endStep: Double; var startLR, endLR, startMomentum, endMomentum: Point }

    public let totalSteps: Int
    public let annealStrategy: AnnealStrategy
    public let cycleMomentum: Bool
    /// Whether the momentum being cycled is beta1 (`betas.0`) rather than `momentum`.
    public let useBeta1: Bool
    /// PyTorch's name of the setting being cycled.
    private var momentumName: String { useBeta1 ? "betas.0" : "momentum" }
    let phases: [Phase]

    /// `maxLR` per group (one value for all groups, or one per group).
    public init(_ optimizer: Optimizer, maxLR: [Double], totalSteps: Int? = nil, epochs: Int? = nil, stepsPerEpoch: Int? = nil,
                pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos, cycleMomentum: Bool = true,
                baseMomentum: Double = 0.85, maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4,
                threePhase: Bool = false) {
        let groups = optimizer.paramGroups
        if let t = totalSteps {
            if t <= 0 { fail("Expected positive integer total_steps, but got \(t)") }
            self.totalSteps = t
        } else if let e = epochs, let s = stepsPerEpoch {
            if e <= 0 { fail("Expected positive integer epochs, but got \(e)") }
            if s <= 0 { fail("Expected positive integer steps_per_epoch, but got \(s)") }
            self.totalSteps = e * s
        } else {
            fail("You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        let total = Double(self.totalSteps)
        if threePhase {
            phases = [Phase(endStep: pctStart * total - 1, startLR: .initialLR, endLR: .maxLR, startMomentum: .maxMomentum, endMomentum: .baseMomentum),
                      Phase(endStep: 2 * pctStart * total - 2, startLR: .maxLR, endLR: .initialLR, startMomentum: .baseMomentum, endMomentum: .maxMomentum),
                      Phase(endStep: total - 1, startLR: .initialLR, endLR: .minLR, startMomentum: .maxMomentum, endMomentum: .maxMomentum)]
        } else {
            phases = [Phase(endStep: pctStart * total - 1, startLR: .initialLR, endLR: .maxLR, startMomentum: .maxMomentum, endMomentum: .baseMomentum),
                      Phase(endStep: total - 1, startLR: .maxLR, endLR: .minLR, startMomentum: .baseMomentum, endMomentum: .maxMomentum)]
        }
        if !(pctStart >= 0 && pctStart <= 1) { fail("Expected float between 0 and 1 pct_start, but got \(pctStart)") }
        self.annealStrategy = annealStrategy
        if maxLR.count != 1 && maxLR.count != groups.count { fail("expected \(groups.count) values for max_lr, got \(maxLR.count)") }
        for (i, g) in groups.enumerated() {
            let m = maxLR.count == 1 ? maxLR[0] : maxLR[i]
            g.initialLR = m / divFactor
            g.maxLR = m
            g.minLR = g.initialLR / finalDivFactor
        }
        self.cycleMomentum = cycleMomentum
        let settings = groups.first?.settings
        useBeta1 = settings?.value(named: "betas.0") != nil
        if cycleMomentum {
            if settings?.value(named: "momentum") == nil && !useBeta1 { fail("optimizer must support momentum or beta1 with `cycle_momentum` option enabled") }
            for g in groups {
                g.setOption(useBeta1 ? "betas.0" : "momentum", maxMomentum)
                g.maxMomentum = maxMomentum
                g.baseMomentum = baseMomentum
            }
        }
        super.init(optimizer)
    }
    /// One `maxLR` for every group.
    public convenience init(_ optimizer: Optimizer, maxLR: Double, totalSteps: Int? = nil, epochs: Int? = nil, stepsPerEpoch: Int? = nil,
                            pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos, cycleMomentum: Bool = true,
                            baseMomentum: Double = 0.85, maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4,
                            threePhase: Bool = false) {
        self.init(optimizer, maxLR: [maxLR], totalSteps: totalSteps, epochs: epochs, stepsPerEpoch: stepsPerEpoch, pctStart: pctStart,
                  annealStrategy: annealStrategy, cycleMomentum: cycleMomentum, baseMomentum: baseMomentum, maxMomentum: maxMomentum,
                  divFactor: divFactor, finalDivFactor: finalDivFactor, threePhase: threePhase)
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: return end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }
    private func value(_ g: ParamGroup, _ point: Point) -> Double {
        let v: Double?
        switch point {
        case .initialLR: v = g.initialLR
        case .maxLR: v = g.maxLR
        case .minLR: v = g.minLR
        case .maxMomentum: v = g.maxMomentum
        case .baseMomentum: v = g.baseMomentum
        }
        guard let v else { fail("OneCycleLR: a parameter group lost its \(point) (was it added after the scheduler?)") }
        return v
    }

    /// The base state plus `total_steps`. The phases and the groups' `max_lr`/`min_lr` (kept in the
    /// optimizer's state dict, as PyTorch keeps them) follow from the constructor's arguments.
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["total_steps"] = scalarTensor(Double(totalSteps))
        return d
    }
    /// Restores a state saved by a scheduler built with the same `totalSteps`; `last_epoch` may not pass it.
    public override func loadStateDict(_ d: StateDict) throws {
        let t = try int(d, "total_steps", min: 1)
        if t != totalSteps {
            throw StateDictError.invalidValue(key: "total_steps", value: "\(t)", reason: "this scheduler was built with total_steps=\(totalSteps)")
        }
        let e = try int(d, "last_epoch", min: -1, max: totalSteps)
        try super.loadStateDict(d)
        lastEpoch = e
    }

    public override func getLR() -> [Double] {
        let stepNum = Double(lastEpoch)
        if lastEpoch > totalSteps { fail("Tried to step \(lastEpoch) times. The specified number of total steps is \(totalSteps)") }
        var lrs: [Double] = []
        for g in optimizer.paramGroups {
            var startStep = 0.0
            var lr = 0.0, momentum = 0.0
            for (i, phase) in phases.enumerated() {
                if stepNum <= phase.endStep || i == phases.count - 1 {
                    let pct = (stepNum - startStep) / (phase.endStep - startStep)
                    lr = anneal(value(g, phase.startLR), value(g, phase.endLR), pct)
                    if cycleMomentum { momentum = anneal(value(g, phase.startMomentum), value(g, phase.endMomentum), pct) }
                    break
                }
                startStep = phase.endStep
            }
            lrs.append(lr)
            if cycleMomentum { g.setOption(momentumName, momentum) }
        }
        return lrs
    }
}

/// Divides the learning rate by 1/`factor` when a metric has stopped improving for `patience` epochs
/// (PyTorch's `ReduceLROnPlateau`). Call `step(metric:)` once per epoch with the validation metric.
public final class ReduceLROnPlateau: LRScheduler {
    public enum Mode: String, Sendable { case min, max }
    public enum ThresholdMode: String, Sendable { case rel, abs }

    public var mode: Mode
    public var factor: Double
    public var patience: Int
    public var threshold: Double
    public var thresholdMode: ThresholdMode
    public var cooldown: Int
    public var minLRs: [Double]
    public var eps: Double
    /// The best metric seen so far.
    public private(set) var best: Double
    /// Epochs since the metric last improved (PyTorch's `num_bad_epochs`).
    public private(set) var numBadEpochs = 0
    /// Epochs of cooldown left (PyTorch's `cooldown_counter`).
    public private(set) var cooldownCounter = 0

    /// `minLR` for every group.
    public convenience init(_ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                            thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8) {
        self.init(optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold, thresholdMode: thresholdMode,
                  cooldown: cooldown, minLRs: [Double](repeating: minLR, count: optimizer.paramGroups.count), eps: eps)
    }
    /// A `minLR` per group, as PyTorch's `min_lr=[...]`.
    public convenience init(_ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                            thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: [Double], eps: Double = 1e-8) {
        self.init(optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold, thresholdMode: thresholdMode,
                  cooldown: cooldown, minLRs: minLR, eps: eps)
    }
    /// A `minLR` per group.
    public init(_ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
                thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLRs: [Double], eps: Double = 1e-8) {
        if factor >= 1.0 { fail("Factor should be < 1.0.") }
        if minLRs.count != optimizer.paramGroups.count { fail("expected \(optimizer.paramGroups.count) min_lrs, got \(minLRs.count)") }
        self.mode = mode; self.factor = factor; self.patience = patience; self.threshold = threshold
        self.thresholdMode = thresholdMode; self.cooldown = cooldown; self.minLRs = minLRs; self.eps = eps
        best = mode == .min ? .infinity : -.infinity
        super.init(noInitialStep: optimizer)
    }

    /// Whether the scheduler is in its cooldown period.
    public var inCooldown: Bool { cooldownCounter > 0 }

    public override func step() {
        fail("ReduceLROnPlateau.step() needs the metric: use step(metric:)")
    }
    /// Records one epoch's metric and reduces the learning rates when it has not improved for `patience` epochs.
    public func step(metric: Double) {
        let current = metric
        lastEpoch += 1
        if isBetter(current, best) {
            best = current
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if inCooldown {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            reduceLR()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLR = optimizer.paramGroups.map(\.lr)
    }
    /// `step(metric:)` with a one-element tensor (PyTorch's `step(loss)`).
    public func step(metric: Tensor) { step(metric: metric.item()) }

    private func reduceLR() {
        for (i, g) in optimizer.paramGroups.enumerated() {
            let old = g.lr
            let candidate = old * factor, floor = i < minLRs.count ? minLRs[i] : minLRs.last ?? 0
            let new = floor > candidate ? floor : candidate     // Python's max(old * factor, min_lr)
            if old - new > eps { g.lr = new }
        }
    }
    private func isBetter(_ a: Double, _ best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1.0 - threshold)
        case (.min, .abs): return a < best - threshold
        case (.max, .rel): return a > best * (threshold + 1.0)
        case (.max, .abs): return a > best + threshold
        }
    }

    public override func stateDict() -> StateDict {
        var d = StateDict()
        d["last_epoch"] = scalarTensor(Double(lastEpoch))
        d["_last_lr"] = vectorTensor(lastLR)
        d["best"] = scalarTensor(best)
        d["num_bad_epochs"] = scalarTensor(Double(numBadEpochs))
        d["cooldown_counter"] = scalarTensor(Double(cooldownCounter))
        d["factor"] = scalarTensor(factor)
        d["patience"] = scalarTensor(Double(patience))
        d["threshold"] = scalarTensor(threshold)
        d["cooldown"] = scalarTensor(Double(cooldown))
        d["min_lrs"] = vectorTensor(minLRs)
        d["eps"] = scalarTensor(eps)
        d["mode_is_max"] = scalarTensor(mode == .max ? 1 : 0)
        d["threshold_mode_is_abs"] = scalarTensor(thresholdMode == .abs ? 1 : 0)
        return d
    }
    /// Restores what `stateDict()` saved, every value checked first (`best` may be ±inf, never NaN).
    public override func loadStateDict(_ d: StateDict) throws {
        let e = try int(d, "last_epoch"), l = try lrs(d, "_last_lr")
        let b = try double(d, "best", infinite: true)
        let bad = try int(d, "num_bad_epochs"), counter = try int(d, "cooldown_counter")
        let f = try double(d, "factor", min: 0), p = try int(d, "patience"), t = try double(d, "threshold")
        let c = try int(d, "cooldown"), m = try lrs(d, "min_lrs"), ep = try double(d, "eps", min: 0)
        let isMax = try int(d, "mode_is_max", max: 1), isAbs = try int(d, "threshold_mode_is_abs", max: 1)
        if f >= 1 { throw StateDictError.invalidValue(key: "factor", value: pythonRepr(f), reason: "expected a number < 1.0") }
        lastEpoch = e; lastLR = l; best = b; numBadEpochs = bad; cooldownCounter = counter
        factor = f; patience = p; threshold = t; cooldown = c; minLRs = m; eps = ep
        mode = isMax == 1 ? .max : .min
        thresholdMode = isAbs == 1 ? .abs : .rel
    }
}

/// Python's `bisect_right` on sorted values: how many are <= x.
func bisectRight(_ sorted: [Int], _ x: Int) -> Int { sorted.filter { $0 <= x }.count }

/// Python's floor division of integers.
func floorDiv(_ a: Int, _ b: Int) -> Int { let q = a / b; return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q }

/// Runs `schedulers` one after another, switching at the `milestones` epochs (PyTorch's `SequentialLR`,
/// e.g. a `LinearLR` warm-up then `CosineAnnealingLR`). At a milestone the next scheduler starts from
/// epoch 0 with its closed form, as in PyTorch.
public final class SequentialLR: LRScheduler {
    public let schedulers: [LRScheduler]
    public private(set) var milestones: [Int]
    public init(_ optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int]) {
        if schedulers.isEmpty { fail("SequentialLR expects at least one scheduler") }
        for (i, s) in schedulers.enumerated() where s.optimizer !== optimizer {
            fail("SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler \(type(of: s)) at index \(i) has \(s.optimizer), which is different from \(type(of: optimizer)).")
        }
        if milestones.count != schedulers.count - 1 {
            fail("Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers \(schedulers.count) and the number of milestones to be equal to \(milestones.count)")
        }
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(noInitialStep: optimizer)
        optimizer.hasScheduler = true
        // back to the initial learning rates; undo the schedulers' own initial steps; start the first
        for g in optimizer.paramGroups { g.lr = g.initialLR }
        for s in schedulers { SequentialLR.undo(s) }
        schedulers[0].stepCount = 0
        schedulers[0].isInitial = true
        schedulers[0].step()
        schedulers[0].isInitial = false
        lastLR = schedulers[0].getLastLR()
    }
    static func undo(_ s: LRScheduler) {
        if let seq = s as? SequentialLR { seq.schedulers.forEach(undo) }
        else if let chain = s as? ChainedScheduler { chain.schedulers.forEach(undo) }
        else { s.lastEpoch -= 1 }
    }
    public override func step() {
        lastEpoch += 1
        let idx = bisectRight(milestones, lastEpoch)
        let s = schedulers[idx]
        if idx > 0 && milestones[idx - 1] == lastEpoch { s.step(epoch: 0) } else { s.step() }
        lastLR = s.getLastLR()
    }
    /// The base state, `_milestones`, and each scheduler's state under `_schedulers.<i>.` (PyTorch's
    /// `_schedulers` list of state dicts).
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["_milestones"] = vectorTensor(milestones.map(Double.init))
        for (i, s) in schedulers.enumerated() { for (k, v) in s.stateDict() { d["_schedulers.\(i).\(k)"] = v } }
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let m = try vector(d, "_milestones", count: schedulers.count - 1).map { try checkedInteger($0, key: "_milestones") }
        let base = try readBase(d)
        try loadNested(d, schedulers)
        applyBase(base)
        milestones = m
    }
}

/// Loads each of `schedulers` from its `_schedulers.<i>.` entries of `d`, checking them all before changing any.
func loadNested(_ d: StateDict, _ schedulers: [LRScheduler]) throws {
    // a copy of every state first, so that a bad entry in the last one leaves the first ones untouched
    let saved = schedulers.map { $0.stateDict() }
    do {
        for (i, s) in schedulers.enumerated() {
            let prefix = "_schedulers.\(i)."
            try prefixingKeys(prefix) { try s.loadStateDict(subStateDict(d, prefix: prefix)) }
        }
    } catch {
        for (s, st) in zip(schedulers, saved) { try? s.loadStateDict(st) }
        throw error
    }
}

/// Cosine annealing with warm restarts (PyTorch's `CosineAnnealingWarmRestarts`, SGDR): the learning rate
/// follows `etaMin + (base - etaMin)(1 + cos(π·tCur/tI))/2`, restarting every `tI` epochs, the period
/// growing by `tMult` after each restart. `step(epoch:)` takes fractional epochs, as PyTorch's does.
public final class CosineAnnealingWarmRestarts: LRScheduler {
    public private(set) var t0: Int
    public private(set) var tMult: Int
    public private(set) var etaMin: Double
    /// The current period (PyTorch's `T_i`).
    public private(set) var tI: Int
    /// Epochs since the last restart (PyTorch's `T_cur`).
    public private(set) var tCur: Double
    public init(_ optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0) {
        if t0 <= 0 { fail("Expected positive integer T_0, but got \(t0)") }
        if tMult < 1 { fail("Expected integer T_mult >= 1, but got \(tMult)") }
        self.t0 = t0; self.tMult = tMult; self.etaMin = etaMin
        tI = t0; tCur = -1
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * tCur / Double(tI))) / 2 }
    }
    // PyTorch's overridden step() never counts `_step_count` (its state dict keeps 0); neither do these.
    public override func step() {
        if lastEpoch < 0 { step(epoch: 0.0); return }
        tCur += 1
        if tCur >= Double(tI) {
            tCur = tCur.truncatingRemainder(dividingBy: Double(tI))
            tI *= tMult
        }
        lastEpoch += 1
        setLRs(getLR())
    }
    public override func step(epoch: Int) { step(epoch: Double(epoch)) }
    /// Jumps to a (possibly fractional) epoch, as PyTorch's `step(epoch + i / iters)`.
    public func step(epoch: Double) {
        if epoch < 0 { fail("Expected non-negative epoch, but got \(epoch)") }
        if epoch >= Double(t0) {
            if tMult == 1 {
                tCur = epoch.truncatingRemainder(dividingBy: Double(t0))
            } else {
                let n = Int(Foundation.log(epoch / Double(t0) * Double(tMult - 1) + 1) / Foundation.log(Double(tMult)))
                let pw = pow(Double(tMult), Double(n))
                tCur = epoch - Double(t0) * (pw - 1) / Double(tMult - 1)
                tI = t0 * Int(pw)
            }
        } else {
            tI = t0
            tCur = epoch
        }
        lastEpoch = Int(epoch.rounded(.down))
        setLRs(getLR())
    }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["T_0"] = scalarTensor(Double(t0)); d["T_i"] = scalarTensor(Double(tI)); d["T_mult"] = scalarTensor(Double(tMult))
        d["eta_min"] = scalarTensor(etaMin); d["T_cur"] = scalarTensor(tCur)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let t = try int(d, "T_0", min: 1), m = try int(d, "T_mult", min: 1), i = try int(d, "T_i", min: 1)
        let e = try double(d, "eta_min"), c = try double(d, "T_cur", min: -1)
        if c >= Double(i) { throw StateDictError.invalidValue(key: "T_cur", value: pythonRepr(c), reason: "expected a number below T_i=\(i)") }
        try super.loadStateDict(d)
        t0 = t; tMult = m; tI = i; etaMin = e; tCur = c
    }
}

/// Multiplies the learning rate by `factor` until epoch `totalIters`, then restores it (PyTorch's `ConstantLR`).
public final class ConstantLR: LRScheduler {
    public private(set) var factor: Double, totalIters: Int
    public init(_ optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5) {
        if factor > 1 || factor < 0 { fail("Constant multiplicative factor expected to be between 0 and 1.") }
        self.factor = factor; self.totalIters = totalIters
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if lastEpoch == 0 { return groups.map { $0.lr * factor } }
        if lastEpoch != totalIters { return groups.map(\.lr) }
        return groups.map { $0.lr * (1.0 / factor) }
    }
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor)) }
    }
    /// The base state plus `factor` and `total_iters`, as PyTorch's.
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["factor"] = scalarTensor(factor); d["total_iters"] = scalarTensor(Double(totalIters))
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let f = try double(d, "factor", min: 0, max: 1), n = try int(d, "total_iters")
        try super.loadStateDict(d)
        factor = f; totalIters = n
    }
}

/// Steps several schedulers together each epoch, their effects multiplying (PyTorch's `ChainedScheduler`).
public final class ChainedScheduler: LRScheduler {
    public let schedulers: [LRScheduler]
    public init(_ schedulers: [LRScheduler], optimizer: Optimizer? = nil) {
        guard let first = schedulers.first else { fail("ChainedScheduler expects at least one scheduler") }
        let opt = optimizer ?? first.optimizer
        for (i, s) in schedulers.enumerated() where s.optimizer !== opt {
            fail("ChainedScheduler expects all schedulers to belong to the same optimizer, but got scheduler \(type(of: s)) at index \(i) has \(s.optimizer), which is different from \(type(of: opt)).")
        }
        self.schedulers = schedulers
        super.init(noInitialStep: opt)
        lastLR = schedulers.last!.optimizer.paramGroups.map(\.lr)
    }
    public override func step() {
        for s in schedulers { s.step() }
        lastLR = schedulers.last!.optimizer.paramGroups.map(\.lr)
    }
    /// The base state and each scheduler's state under `_schedulers.<i>.` (PyTorch's `_schedulers`).
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        for (i, s) in schedulers.enumerated() { for (k, v) in s.stateDict() { d["_schedulers.\(i).\(k)"] = v } }
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let base = try readBase(d)
        try loadNested(d, schedulers)
        applyBase(base)
    }
}

/// Decays each learning rate polynomially to zero over `totalIters` epochs, then keeps it there
/// (PyTorch's `PolynomialLR`: lr · ((1 - t/T) / (1 - (t-1)/T))^power each step).
public final class PolynomialLR: LRScheduler {
    public var totalIters: Int
    public var power: Double
    public init(_ optimizer: Optimizer, totalIters: Int = 5, power: Double = 1) {
        self.totalIters = totalIters; self.power = power
        super.init(optimizer)
    }
    public override func getLR() -> [Double] {
        let groups = optimizer.paramGroups
        if isInitial || lastEpoch > totalIters { return groups.map(\.lr) }
        let t = Double(lastEpoch), n = Double(totalIters)
        let factor = Foundation.pow((1.0 - t / n) / (1.0 - (t - 1) / n), power)
        return groups.map { $0.lr * factor }
    }
    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * Foundation.pow(1.0 - Double(Swift.min(totalIters, lastEpoch)) / Double(totalIters), power) }
    }
    public override func stateDict() -> StateDict {
        var d = super.stateDict()
        d["total_iters"] = scalarTensor(Double(totalIters)); d["power"] = scalarTensor(power)
        return d
    }
    public override func loadStateDict(_ d: StateDict) throws {
        let n = try int(d, "total_iters", min: 1), p = try double(d, "power")
        try super.loadStateDict(d)
        totalIters = n; power = p
    }
}

/// Cycles each learning rate between `baseLR` and `maxLR` (and, with `cycleMomentum`, the momentum
/// or beta1 the other way), one step per batch (PyTorch's `CyclicLR`, its three modes).
public final class CyclicLR: LRScheduler {
    public enum Mode: String, Sendable { case triangular, triangular2, expRange = "exp_range" }
    public let maxLRs: [Double]
    public let mode: Mode
    public let gamma: Double
    public let cycleMomentum: Bool
    /// Whether the momentum being cycled is beta1 (`betas.0`) rather than `momentum`.
    public let useBeta1: Bool
    let totalSize: Double, stepRatio: Double
    let baseMomentums: [Double], maxMomentums: [Double]

    /// One `baseLR` and `maxLR` for every group.
    public convenience init(_ optimizer: Optimizer, baseLR: Double, maxLR: Double, stepSizeUp: Int = 2000, stepSizeDown: Int? = nil,
                            mode: Mode = .triangular, gamma: Double = 1, cycleMomentum: Bool = true,
                            baseMomentum: Double = 0.8, maxMomentum: Double = 0.9) {
        self.init(optimizer, baseLRs: [baseLR], maxLRs: [maxLR], stepSizeUp: stepSizeUp, stepSizeDown: stepSizeDown, mode: mode,
                  gamma: gamma, cycleMomentum: cycleMomentum, baseMomentum: baseMomentum, maxMomentum: maxMomentum)
    }
    /// A `baseLR` and `maxLR` per group (or one for all).
    public init(_ optimizer: Optimizer, baseLRs: [Double], maxLRs: [Double], stepSizeUp: Int = 2000, stepSizeDown: Int? = nil,
                mode: Mode = .triangular, gamma: Double = 1, cycleMomentum: Bool = true,
                baseMomentum: Double = 0.8, maxMomentum: Double = 0.9) {
        let groups = optimizer.paramGroups
        func perGroup(_ name: String, _ v: [Double]) -> [Double] {
            if v.count == 1 { return [Double](repeating: v[0], count: groups.count) }
            if v.count != groups.count { fail("expected \(groups.count) values for \(name), got \(v.count)") }
            return v
        }
        let bases = perGroup("base_lr", baseLRs)
        for (g, lr) in zip(groups, bases) { g.lr = lr }
        self.maxLRs = perGroup("max_lr", maxLRs)
        let up = Double(stepSizeUp), down = stepSizeDown.map(Double.init) ?? up
        totalSize = up + down
        stepRatio = up / totalSize
        self.mode = mode; self.gamma = gamma; self.cycleMomentum = cycleMomentum
        let settings = groups.first?.settings
        useBeta1 = settings?.value(named: "betas.0") != nil
        baseMomentums = perGroup("base_momentum", [baseMomentum])
        maxMomentums = perGroup("max_momentum", [maxMomentum])
        if cycleMomentum {
            if settings?.value(named: "momentum") == nil && !useBeta1 { fail("optimizer must support momentum or beta1 with `cycle_momentum` option enabled") }
            for (i, g) in groups.enumerated() {
                g.setOption(useBeta1 ? "betas.0" : "momentum", maxMomentums[i])
                g.maxMomentum = maxMomentums[i]
                g.baseMomentum = baseMomentums[i]
            }
        }
        super.init(optimizer)
        self.baseLRs = bases
    }
    private func scale(_ x: Double) -> Double {
        switch mode {
        case .triangular: return 1
        case .triangular2: return 1 / Foundation.pow(2.0, x - 1)
        case .expRange: return Foundation.pow(gamma, x)
        }
    }
    public override func getLR() -> [Double] {
        let epoch = Double(lastEpoch)
        let cycle = (1 + epoch / totalSize).rounded(.down)
        let x = 1.0 + epoch / totalSize - cycle
        let factor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1)
        let s = scale(mode == .expRange ? epoch : cycle)
        let bases = isInitial ? optimizer.paramGroups.map(\.lr) : baseLRs
        let lrs = zip(bases, maxLRs).map { base, top in base + (top - base) * factor * s }
        if cycleMomentum {
            for (i, g) in optimizer.paramGroups.enumerated() {
                g.setOption(useBeta1 ? "betas.0" : "momentum", maxMomentums[i] - (maxMomentums[i] - baseMomentums[i]) * factor * s)
            }
        }
        return lrs
    }
}
