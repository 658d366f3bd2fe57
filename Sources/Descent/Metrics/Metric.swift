/// The base class of metrics (torchmetrics' `Metric`): `update` accumulates a batch, `compute` reads
/// the metric over everything since the last `reset`, and calling the metric (`metric(preds, target)`,
/// torchmetrics' `forward`) accumulates a batch and returns the metric on that batch alone.
///
/// A metric is a `Module` without parameters, so a model holding one prints it as PyTorch does
/// (`(trainAcc): MulticlassAccuracy()`); like torchmetrics' states, its counts are not in the state dict.
/// Subclasses describe their state as a vector of sums (`stateSize`, `batchState`), which is what
/// makes `update` a plain addition and `forward` exact.
open class Metric: Module {
    /// The accumulated sums.
    public private(set) var state: [Double]
    /// How many batches were accumulated since the last reset.
    public private(set) var updateCount = 0
    /// The value the last call (`metric(preds, target)`) returned: the metric on that batch.
    public internal(set) var lastBatchValue: Tensor?

    /// How many values the state holds (for `.cat` states, the width of one record).
    public let stateSize: Int

    /// A metric whose state is `stateSize` sums (or, by `stateReduction`, maxima, minima, or records of
    /// `stateSize` values appended batch after batch).
    public init(stateSize: Int) {
        self.stateSize = stateSize
        state = []
        super.init()
        state = initialState
    }

    /// How batch states combine (torchmetrics' `dist_reduce_fx`): summed, appended (`.cat`: metrics that keep
    /// every value, as AUROC), or the element-wise larger or smaller.
    public enum StateReduction: Sendable { case sum, cat, max, min }
    /// How this metric's batch states combine. Default: `.sum`.
    open var stateReduction: StateReduction { .sum }

    private var initialState: [Double] {
        switch stateReduction {
        case .sum: return [Double](repeating: 0, count: stateSize)
        case .cat: return []
        case .max: return [Double](repeating: -.infinity, count: stateSize)
        case .min: return [Double](repeating: .infinity, count: stateSize)
        }
    }

    /// The sums one batch adds to the state. Subclasses override.
    open func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        fail("\(typeName).batchState(_:_:) is not implemented")
    }
    /// The metric from a state. Subclasses override.
    open func compute(from state: [Double]) -> Tensor {
        fail("\(typeName).compute(from:) is not implemented")
    }

    /// Adds a batch to the state.
    open func update(_ preds: Tensor, _ target: Tensor) {
        add(batchState(preds, target))
    }
    /// Whether `compute()` sums the state across the ranks of the default process group (torchmetrics'
    /// `sync_on_compute`); the local state is left as it was. Every rank must then call `compute()`.
    public var syncOnCompute = true

    /// The metric over every batch since the last `reset()` (on every rank, in data-parallel training).
    open func compute() -> Tensor {
        if updateCount == 0 {
            warnOnce("The ``compute`` method of metric \(typeName) was called before the ``update`` method which may lead to errors, as metric states have not yet been updated.")
        }
        return compute(from: syncedState())
    }
    /// The state over every rank when `syncOnCompute` and a process group has several (summed, gathered, or the
    /// max or min), else this rank's.
    func syncedState() -> [Double] {
        guard syncOnCompute && Distributed.isInitialized && Distributed.worldSize > 1 else { return state }
        if stateReduction == .cat { return gatheredState() }
        let t = Tensor(state, dtype: .float64)
        Distributed.allReduce(t, op: stateReduction == .max ? .max : stateReduction == .min ? .min : .sum)
        return t.toArray(Double.self)
    }
    /// Clears the state.
    open func reset() {
        state = initialState
        updateCount = 0
    }
    /// Every rank's appended records, in rank order (torchmetrics' gather of list states): the lengths first,
    /// then the records padded to the longest.
    private func gatheredState() -> [Double] {
        let n = Distributed.worldSize
        let lengths = (0..<n).map { _ in Tensor.zeros(1, dtype: .float64) }
        Distributed.allGather(lengths, Tensor([Double(state.count)], dtype: .float64))
        let counts = lengths.map { Int($0.item()) }
        let longest = counts.max() ?? 0
        let parts = (0..<n).map { _ in Tensor.zeros(longest, dtype: .float64) }
        Distributed.allGather(parts, Tensor(state + [Double](repeating: 0, count: longest - state.count), dtype: .float64))
        return zip(parts, counts).flatMap { Array($0.toArray(Double.self).prefix($1)) }
    }
    /// Adds a batch to the state and returns the metric on this batch alone (torchmetrics' `forward`).
    public func callAsFunction(_ preds: Tensor, _ target: Tensor) -> Tensor { addBatch(batchState(preds, target)) }
    /// Adds one batch's state and returns the metric on that batch alone (what every forward returns).
    func addBatch(_ s: [Double]) -> Tensor {
        add(s)
        let v = compute(from: s)
        lastBatchValue = v
        return v
    }

    func add(_ s: [Double]) {
        switch stateReduction {
        case .cat:
            if stateSize > 0 && s.count % stateSize != 0 { fail("\(typeName): a batch state of \(s.count) values is not records of \(stateSize)") }
            state += s
        case .sum, .max, .min:
            if s.count != state.count { fail("\(typeName): a batch state of \(s.count) values for a state of \(state.count)") }
            for i in state.indices {
                switch stateReduction {
                case .max: state[i] = Swift.max(state[i], s[i])
                case .min: state[i] = Swift.min(state[i], s[i])
                default: state[i] += s[i]
                }
            }
        }
        updateCount += 1
    }
}

/// The mean of the values given to `update` (torchmetrics' `MeanMetric`), optionally weighted.
/// NaN values are dropped with a warning (torchmetrics' default `nan_strategy="warn"`).
public final class MeanMetric: Metric {
    public init() { super.init(stateSize: 2) }
    /// Adds every element of `value` with weight `weight`.
    public func update(_ value: Tensor, weight: Double = 1) {
        add(weightedSums(value.detach().toDoubles(), [Double](repeating: weight, count: value.count)))
    }
    /// Adds every element of `value` with the weight at the same place in `weight` (broadcast from a scalar).
    public func update(_ value: Tensor, weight: Tensor) { add(batchState(value, weight)) }
    /// Adds `value` with weight `weight`.
    public func update(_ value: Double, weight: Double = 1) { add(weightedSums([value], [weight])) }
    /// Adds `value` and returns the mean of this batch alone (torchmetrics' `mean_metric(value)`).
    public override func forward(_ value: Tensor) -> Tensor { addBatch(batchState(value, Tensor(1.0))) }
    /// `update(value, weight:)` with a tensor of weights of the same shape (or a scalar).
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let v = preds.detach().toDoubles()
        let w = target.count == 1 ? [Double](repeating: target.item(), count: v.count) : target.detach().toDoubles()
        if w.count != v.count { fail("MeanMetric: \(v.count) values but \(w.count) weights") }
        return weightedSums(v, w)
    }
    private func weightedSums(_ v: [Double], _ w: [Double]) -> [Double] {
        var sum = 0.0, total = 0.0
        for (x, wx) in zip(v, w) {
            if x.isNaN || wx.isNaN { warnOnce("Encountered `nan` values in tensor. Will be removed."); continue }
            sum += x * wx; total += wx
        }
        return [sum, total]
    }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0] / s[1])) }
}

// MARK: - Regression

/// Mean squared error (torchmetrics' `MeanSquaredError`); `squared: false` gives its square root.
public final class MeanSquaredError: Metric {
    public let squared: Bool
    public init(squared: Bool = true) { self.squared = squared; super.init(stateSize: 2) }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        return [zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }, Double(p.count)]
    }
    public override func compute(from s: [Double]) -> Tensor {
        let mse = s[0] / s[1]
        return Tensor(Float(squared ? mse : mse.squareRoot()))
    }
}

/// Mean absolute error (torchmetrics' `MeanAbsoluteError`).
public final class MeanAbsoluteError: Metric {
    public init() { super.init(stateSize: 2) }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        return [zip(p, t).reduce(0) { $0 + Swift.abs($1.0 - $1.1) }, Double(p.count)]
    }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0] / s[1])) }
}

func regressionPair(_ preds: Tensor, _ target: Tensor, _ name: String) -> ([Double], [Double]) {
    if preds.shape != target.shape {
        fail("Predictions and targets are expected to have the same shape, but got \(shapeString(preds.shape)) and \(shapeString(target.shape)).")
    }
    return (preds.detach().toDoubles(), target.detach().toDoubles())
}
