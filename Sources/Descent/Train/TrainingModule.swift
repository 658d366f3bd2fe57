import Foundation

/// Which part of the workflow a `DataModule.setup(stage:)` call prepares (Lightning's `stage`).
public enum Stage: String, Sendable {
    case fit, validate, test, predict
}

/// When a `Trainer` steps the learning-rate scheduler (Lightning's `"interval"`).
public enum LRSchedulerInterval: String, Sendable { case epoch, step }

/// A model that knows how to train itself (Lightning's `LightningModule`): a `Module` subclass
/// that adopts this protocol supplies `trainingStep` and `configureOptimizers`, and may supply
/// `validationStep`, `testStep` and the epoch hooks; a `Trainer` runs the loops.
///
/// ```swift
/// final class Classifier: Module, TrainingModule {
///     let net = Sequential { Flatten(); Linear(784, 10) }
///     override func forward(_ x: Tensor) -> Tensor { net(x) }
///     func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
///         let loss = crossEntropy(self(batch.0), batch.1)
///         log("train_loss", loss)
///         return loss
///     }
///     func configureOptimizers() -> Optimizer { Adam(parameters(), lr: 1e-3) }
/// }
/// ```
public protocol TrainingModule: Module {
    /// What the data loaders yield (an `(input, target)` pair by default).
    associatedtype Batch = (Tensor, Tensor)
    /// The loss of one training batch; the trainer calls `backward()` on it and steps the optimizer. With manual
    /// optimization the step does that itself, and what it returns reaches the callbacks (`onTrainBatchEnd`) only.
    func trainingStep(_ batch: Batch, batchIndex: Int) -> Tensor
    /// One validation batch (run in eval mode without gradients); log metrics here. Default: nothing.
    func validationStep(_ batch: Batch, batchIndex: Int) -> Tensor?
    /// One test batch (eval mode, no gradients). Default: none, and `Trainer.test` stops the program with
    /// Lightning's message, "No `test_step()` method defined to run `Trainer.test`.".
    func testStep(_ batch: Batch, batchIndex: Int) -> Tensor?
    /// One batch of `Trainer.predict` (Lightning's `predict_step`): the model's output for the batch.
    /// Default: `forward` of the inputs (of the whole batch when it is a tensor, of its first element
    /// when it is an (inputs, targets) pair).
    func predictStep(_ batch: Batch, batchIndex: Int) -> Tensor
    /// The batch on the Trainer's device (Lightning's `transfer_batch_to_device`), called for every batch
    /// when the Trainer runs on a GPU. Default: `moveDataToDevice` (tensors, pairs, triples and arrays of
    /// tensors, and `DeviceTransferable` values).
    func transferBatchToDevice(_ batch: Batch, device: Device) -> Batch
    /// The optimizer to train with. Implement this or the list form; leaving both out stops `fit` with
    /// Lightning's message.
    func configureOptimizers() -> Optimizer
    /// The optimizers to train with (Lightning's `return [opt_g, opt_d]`): several need manual optimization
    /// (`automaticOptimization` false, as in Lightning). Default: the single `configureOptimizers()`.
    func configureOptimizers() -> [Optimizer]
    /// Whether the Trainer runs backward and the optimizer step itself (Lightning's `automatic_optimization`).
    /// Set it false to optimize by hand in `trainingStep`: `optimizers()`, `manualBackward(_:)`, `opt.step()`.
    /// Default: true.
    var automaticOptimization: Bool { get }
    /// A learning-rate scheduler for `optimizer` (called for each optimizer of the list form), stepped once per epoch, as Lightning's `"interval": "epoch"`:
    /// after the epoch's last training batch (before validation). A `ReduceLROnPlateau` is stepped at the
    /// end of the epoch with the metric named by `lrSchedulerMonitor`, after the module's `onTrainEpochEnd`
    /// and before the checkpoint is written (Lightning steps it after, so a resumed run loses that step;
    /// here checkpoints hold it and resuming is exact). Default: none.
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler?
    /// The metric a `ReduceLROnPlateau` watches (Lightning's `"monitor"`). Default: `"val_loss"`.
    var lrSchedulerMonitor: String { get }
    /// When the scheduler steps (Lightning's `"interval"`): `.epoch` (default) after the epoch's last batch, or `.step`
    /// after every optimizer step (OneCycleLR, warm-ups). A `ReduceLROnPlateau` always steps per epoch.
    var lrSchedulerInterval: LRSchedulerInterval { get }
    /// Every how many epochs or steps the scheduler steps (Lightning's `"frequency"`). Default: 1.
    var lrSchedulerFrequency: Int { get }

    func onFitStart()
    func onFitEnd()
    func onTrainEpochStart()
    func onTrainEpochEnd()
    func onValidationEpochStart()
    func onValidationEpochEnd()
    func onTestEpochStart()
    func onTestEpochEnd()
    /// Adds entries of the module's own to a checkpoint being saved (Lightning's `on_save_checkpoint`):
    /// `checkpoint` holds `epoch`, `global_step` and `state_dict`; added numbers, strings, tensors and
    /// state dicts are saved with it and come back in `onLoadCheckpoint`.
    func onSaveCheckpoint(_ checkpoint: inout Checkpoint)
    /// Reads a checkpoint being loaded, before its weights (Lightning's `on_load_checkpoint`).
    func onLoadCheckpoint(_ checkpoint: Checkpoint)
}

extension TrainingModule {
    public func validationStep(_ batch: Batch, batchIndex: Int) -> Tensor? { nil }
    /// Not defined: `Trainer.test` stops here with Lightning's message (its `MisconfigurationException`).
    public func testStep(_ batch: Batch, batchIndex: Int) -> Tensor? {
        fail("No `test_step()` method defined to run `Trainer.test`.")
    }
    public func predictStep(_ batch: Batch, batchIndex: Int) -> Tensor {
        if let x = batch as? Tensor { return forward(x) }
        if let (x, _) = batch as? (Tensor, Tensor) { return forward(x) }
        fail("`predict_step` must be implemented to be used with the Lightning Trainer (batches of \(Batch.self))")
    }
    public func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { nil }
    /// Not implemented: `fit` stops with Lightning's message.
    public func configureOptimizers() -> Optimizer {
        fail("`configure_optimizers` must be implemented to be used with the Lightning Trainer")
    }
    public func configureOptimizers() -> [Optimizer] { [configureOptimizers() as Optimizer] }
    public var automaticOptimization: Bool { true }
    public var lrSchedulerMonitor: String { "val_loss" }
    public var lrSchedulerInterval: LRSchedulerInterval { .epoch }
    public var lrSchedulerFrequency: Int { 1 }
    public func onFitStart() {}
    public func onFitEnd() {}
    public func onTrainEpochStart() {}
    public func onTrainEpochEnd() {}
    public func onValidationEpochStart() {}
    public func onValidationEpochEnd() {}
    public func onTestEpochStart() {}
    public func onTestEpochEnd() {}
    public func onSaveCheckpoint(_ checkpoint: inout Checkpoint) {}
    public func onLoadCheckpoint(_ checkpoint: Checkpoint) {}

    /// Records hyper-parameters (Lightning's `self.save_hyperparameters()`, with the values named): they
    /// read back as `hparams`, and every `fit`, `validate`, `test` and `predict` logs them (`hparams.yaml`,
    /// and TensorBoard's HPARAMS tab with Lightning's `hp_metric`). Later calls add to and replace earlier values.
    public func saveHyperparameters(_ values: KeyValuePairs<String, HParamValue>) {
        for (k, v) in values {
            if let i = savedHyperparameters.firstIndex(where: { $0.0 == k }) { savedHyperparameters[i].1 = v }
            else { savedHyperparameters.append((k, v)) }
        }
    }
    /// The hyper-parameters `saveHyperparameters` recorded (Lightning's `self.hparams`).
    public var hparams: [String: HParamValue] { Dictionary(savedHyperparameters, uniquingKeysWith: { $1 }) }

    /// The trainer running this module, or the one that last ran it (Lightning's `self.trainer`).
    public var trainer: Trainer? { Trainer.attached(to: self) ?? lastTrainer }

    /// Logs a scalar (Lightning's `self.log`). In `trainingStep` it is logged every step by default
    /// (`onStep`), elsewhere once per epoch (`onEpoch`) as the mean over the epoch's batches weighted
    /// by batch size; with both, the names get `_step` / `_epoch` suffixes. `progressBar` shows it in
    /// the progress bar; `logger: false` keeps it out of the loggers (it still reaches callbacks).
    /// `syncDist` (data-parallel training) averages the value across ranks: a step value when it is
    /// logged, an epoch value when the epoch closes (Lightning's `sync_dist=True`).
    public func log(_ name: String, _ value: Tensor, progressBar: Bool = false, logger: Bool = true,
                    onStep: Bool? = nil, onEpoch: Bool? = nil, batchSize: Int? = nil, syncDist: Bool = false) {
        if value.count != 1 {
            fail("`self.log(\(name), \(value))` was called, but the tensor must have a single element. You can try doing `self.log(\(name), \(value).mean())`")
        }
        log(name, value.detach().item(), progressBar: progressBar, logger: logger, onStep: onStep, onEpoch: onEpoch, batchSize: batchSize,
            syncDist: syncDist)
    }

    /// Logs a number (see `log(_:_:progressBar:logger:onStep:onEpoch:batchSize:)`).
    public func log(_ name: String, _ value: Double, progressBar: Bool = false, logger: Bool = true,
                    onStep: Bool? = nil, onEpoch: Bool? = nil, batchSize: Int? = nil, syncDist: Bool = false) {
        guard let t = Trainer.attached(to: self) else {
            warnOnce("You are trying to `self.log()` but the `self.trainer` reference is not registered on the model yet. This is most likely because the model hasn't been passed to the `Trainer`")
            return
        }
        t.record(name, value, progressBar: progressBar, logger: logger, onStep: onStep, onEpoch: onEpoch, batchSize: batchSize, syncDist: syncDist)
    }

    /// Logs a metric object (Lightning's `self.log("acc", self.acc)`): per step, the value of its last
    /// call (`metric(preds, target)`); per epoch, `compute()` over the epoch, after which the trainer
    /// resets it. In data-parallel training `compute()` sums the metric's state across ranks.
    public func log(_ name: String, _ metric: Metric, progressBar: Bool = false, logger: Bool = true,
                    onStep: Bool? = nil, onEpoch: Bool? = nil) {
        guard let t = Trainer.attached(to: self) else {
            warnOnce("You are trying to `self.log()` but the `self.trainer` reference is not registered on the model yet. This is most likely because the model hasn't been passed to the `Trainer`")
            return
        }
        t.record(name, metric, progressBar: progressBar, logger: logger, onStep: onStep, onEpoch: onEpoch)
    }

    /// Logs several values at once (Lightning's `self.log_dict`).
    public func logDict(_ values: [String: Tensor], progressBar: Bool = false, logger: Bool = true,
                        onStep: Bool? = nil, onEpoch: Bool? = nil, batchSize: Int? = nil, syncDist: Bool = false) {
        for (k, v) in values.sorted(by: { $0.key < $1.key }) {
            log(k, v, progressBar: progressBar, logger: logger, onStep: onStep, onEpoch: onEpoch, batchSize: batchSize, syncDist: syncDist)
        }
    }

    /// Loads a checkpoint written by a `Trainer` into this module (Lightning's `load_from_checkpoint`,
    /// on an instance you made): its saved hyper-parameters, `onLoadCheckpoint`, then the weights.
    public func loadFromCheckpoint(_ path: String, strict: Bool = true) throws {
        let sd: StateDict = try Descent.load(from: path)
        let meta = (try? safetensorsMetadata(from: path)) ?? [:]
        if let hp = try checkpointHyperparameters(meta, path: path) { savedHyperparameters = hp }
        if meta["format"] == Trainer.checkpointFormat { onLoadCheckpoint(try trainerCheckpoint(sd, meta, path: path)) }
        try loadStateDict(splitCheckpoint(sd).model, strict: strict)
    }
}

/// A training module that can be built from its saved hyper-parameters, so that the type itself loads a
/// checkpoint (Lightning's class method `LitModel.load_from_checkpoint(path)`):
///
/// ```swift
/// final class LitModel: Module, TrainingModule, HyperparametersInitializable {
///     init(lr: Double = 1e-3, hidden: Int = 64) { ...; saveHyperparameters(["lr": .init(lr), "hidden": .init(hidden)]) }
///     convenience init(hparams: [String: HParamValue]) { self.init(lr: hparams["lr"]!.double!, hidden: hparams["hidden"]!.int!) }
/// }
/// let model = try LitModel.loadFromCheckpoint(path)
/// ```
public protocol HyperparametersInitializable: TrainingModule {
    /// The module that `saveHyperparameters` recorded these values for.
    init(hparams: [String: HParamValue])
}

extension HyperparametersInitializable {
    /// A module built from the checkpoint's hyper-parameters, then loaded from it (`onLoadCheckpoint`,
    /// then the weights), as Lightning's class method `load_from_checkpoint`.
    public static func loadFromCheckpoint(_ path: String, strict: Bool = true) throws -> Self {
        let meta = (try? safetensorsMetadata(from: path)) ?? [:]
        let hp = try checkpointHyperparameters(meta, path: path) ?? []
        let m = Self(hparams: Dictionary(hp, uniquingKeysWith: { $1 }))
        try m.loadFromCheckpoint(path, strict: strict)
        return m
    }
}

let checkpointOptimizerPrefix = "optimizer_states."
let checkpointSchedulerPrefix = "lr_schedulers."

/// A checkpoint's model weights and, by index, its optimizers' and LR schedulers' states (keys
/// `optimizer_states.<i>.<key>` / `lr_schedulers.<i>.<key>`, Lightning's lists, stripped to `<key>`).
func splitCheckpoint(_ sd: StateDict) -> (model: StateDict, optimizers: [Int: StateDict], schedulers: [Int: StateDict], extra: StateDict) {
    var model = StateDict(), optimizers: [Int: StateDict] = [:], schedulers: [Int: StateDict] = [:], extra = StateDict()
    /// `key` as (index, rest) when it starts with `prefix` followed by `<i>.`.
    func indexed(_ key: String, _ prefix: String) -> (Int, String)? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 else { return nil }
        return (i, String(rest[rest.index(after: dot)...]))
    }
    for (k, v) in sd {
        if let (i, key) = indexed(k, checkpointOptimizerPrefix) { optimizers[i, default: StateDict()][key] = v }
        else if let (i, key) = indexed(k, checkpointSchedulerPrefix) { schedulers[i, default: StateDict()][key] = v }
        else if k.hasPrefix(checkpointExtraPrefix) { extra[String(k.dropFirst(checkpointExtraPrefix.count))] = v }
        else { model[k] = v }
    }
    return (model, optimizers, schedulers, extra)
}

/// Where a `Trainer` gets its data (Lightning's `LightningDataModule`): download or check files in
/// `prepareData`, build datasets in `setup(stage:)`, and hand out loaders. `valDataLoader` and
/// `testDataLoader` are optional: leave them out and the trainer skips validation / cannot test.
public protocol DataModule: AnyObject {
    associatedtype TrainSet: Dataset
    associatedtype ValSet: Dataset = NoDataset<TrainSet.Batch>
    associatedtype TestSet: Dataset = NoDataset<TrainSet.Batch>
    associatedtype PredictSet: Dataset = NoDataset<TrainSet.Batch>
    /// Downloads or checks data (called once, before `setup`). Default: nothing.
    func prepareData() throws
    /// Builds the datasets for `stage`. Default: nothing.
    func setup(stage: Stage) throws
    /// Cleans up after `stage`. Default: nothing.
    func teardown(stage: Stage) throws
    func trainDataLoader() -> DataLoader<TrainSet>
    func valDataLoader() -> DataLoader<ValSet>
    func testDataLoader() -> DataLoader<TestSet>
    /// The loader `Trainer.predict(_:dataModule:)` runs on (optional).
    func predictDataLoader() -> DataLoader<PredictSet>
}

extension DataModule {
    public func prepareData() throws {}
    public func setup(stage: Stage) throws {}
    public func teardown(stage: Stage) throws {}
}
extension DataModule where ValSet: EmptyDataset {
    /// No validation data.
    public func valDataLoader() -> DataLoader<ValSet> { DataLoader(ValSet()) }
}
extension DataModule where TestSet: EmptyDataset {
    /// No test data.
    public func testDataLoader() -> DataLoader<TestSet> { DataLoader(TestSet()) }
}
extension DataModule where PredictSet: EmptyDataset {
    /// No prediction data.
    public func predictDataLoader() -> DataLoader<PredictSet> { DataLoader(PredictSet()) }
}

/// A dataset type that stands for "no data" (a `DataModule` without a validation or test split).
public protocol EmptyDataset: Dataset { init() }

/// The empty dataset of a `DataModule` that has no validation or test split.
public struct NoDataset<Batch>: EmptyDataset {
    public init() {}
    public var count: Int { 0 }
    public subscript(index: Int) -> Batch { fail("NoDataset has no samples") }
    public func batch(_ indices: [Int]) -> Batch { fail("NoDataset has no samples") }
}

extension TrainingModule {
    public func transferBatchToDevice(_ batch: Batch, device: Device) -> Batch { moveDataToDevice(batch, device) }
}

/// A batch type of your own that the Trainer can move to its device.
public protocol DeviceTransferable {
    /// This value with its tensors on `device`.
    func to(_ device: Device) -> Self
}

/// `data` with its tensors on `device` (Lightning's `move_data_to_device`): a tensor, a pair, triple or
/// array of tensors, a (tensor, Int) pair, or a `DeviceTransferable`; anything else as it is. As in
/// Lightning, tensors move with `nonBlocking: true`: from pinned memory the copies are queued and
/// this returns at once.
public func moveDataToDevice<B>(_ data: B, _ device: Device) -> B {
    if let d = data as? DeviceTransferable { return d.to(device) as! B }
    return mapBatchTensors(data) { $0.to(device, nonBlocking: true) } ?? data
}

/// `data` with `f` applied to each of its tensors (a tensor, a pair, triple or array of tensors, a
/// (tensor, Int) pair); nil for any other type.
func mapBatchTensors<B>(_ data: B, _ f: (Tensor) -> Tensor) -> B? {
    switch data {
    case let t as Tensor: return (f(t) as! B)
    case let (a, b) as (Tensor, Tensor): return ((f(a), f(b)) as! B)
    case let (a, b, c) as (Tensor, Tensor, Tensor): return ((f(a), f(b), f(c)) as! B)
    case let (a, n) as (Tensor, Int): return ((f(a), n) as! B)
    case let ts as [Tensor]: return (ts.map(f) as! B)
    default: return nil
    }
}
