import Foundation

/// Runs the training, validation and test loops of a `TrainingModule` (Lightning's `Trainer`):
/// per epoch, every training batch (forward in `trainingStep`, backward, optimizer step), then the
/// validation batches in eval mode without gradients, the epoch hooks, callbacks (checkpoints, early
/// stopping), and the metrics logged with `log(...)` sent to the loggers.
///
/// ```swift
/// let trainer = Trainer(maxEpochs: 3, callbacks: [ModelCheckpoint(monitor: "valid_acc", mode: .max)],
///                       logger: TensorBoardLogger(saveDir: "logs"))
/// try trainer.fit(model, dataModule: data)
/// let results = try trainer.test(model, dataModule: data)   // ["test_acc": 0.97...]
/// ```
public final class Trainer {
    public let maxEpochs: Int
    public let maxSteps: Int
    public let minEpochs: Int
    public var callbacks: [Callback]
    public let loggers: [ExperimentLogger]
    public let enableProgressBar: Bool
    public let enableModelSummary: Bool
    public let logEveryNSteps: Int
    public let numSanityValSteps: Int
    public let checkValEveryNEpoch: Int
    public let limitTrainBatches: Int?
    /// Batches of each loop a development run takes (Lightning's `fast_dev_run`; 0: off).
    public let fastDevRun: Int
    /// The training and validation batches every epoch uses when overfitting (Lightning's `overfit_batches`; 0: off).
    public let overfitBatches: BatchLimit
    /// How often validation runs within an epoch (Lightning's `val_check_interval`): a fraction of the epoch's
    /// training batches (1.0: at its end), or every so many batches.
    public let valCheckInterval: BatchLimit
    /// The training and validation batch limits in effect (overfitting's or the `limit...Batches`).
    let trainBatchLimit: BatchLimit?, valBatchLimit: BatchLimit?
    public let limitValBatches: Int?
    public let limitTestBatches: Int?
    /// At most this many batches in `predict` (nil: all).
    public let limitPredictBatches: Int?
    public let accumulateGradBatches: Int
    public let gradientClipVal: Double?
    public let gradientClipAlgorithm: String
    public let defaultRootDir: String
    /// Whether training runs in anomaly mode (Lightning's `Trainer(detect_anomaly=True)`; see `detectAnomaly { }`).
    public let detectAnomaly: Bool
    /// How training is spread over processes (Lightning's `strategy=`): `.auto` (one process) or `.ddp`.
    public let strategy: Strategy
    /// Processes per machine (Lightning's `devices=`); nil takes what the MPI launcher started.
    public let devices: Int?
    /// Where the model trains (Lightning's `accelerator=`): `.cpu`, `.gpu` (CUDA device 0), or
    /// `.auto` (a CUDA GPU when one is usable, else the CPU).
    public let accelerator: Accelerator
    /// The device the model and every batch are moved to (Lightning's `trainer.strategy.root_device`).
    public let rootDevice: Device
    /// Machines (Lightning's `num_nodes=`).
    public let numNodes: Int

    /// The epoch being run (0-based); after `fit`, the number of epochs run.
    public private(set) var currentEpoch = 0
    /// The training batches per epoch of the current (or last) fit, limits applied (Lightning's `num_training_batches`).
    public private(set) var numTrainingBatches = 0
    /// The optimizer steps the fit will take (Lightning's `estimated_stepping_batches`): `maxSteps` when set,
    /// else `maxEpochs` times the batches per epoch divided by `accumulateGradBatches` (rounded up).
    public var estimatedSteppingBatches: Int {
        if maxSteps > 0 { return maxSteps }
        return maxEpochs * ((numTrainingBatches + accumulateGradBatches - 1) / accumulateGradBatches)
    }
    /// The first `EarlyStopping` among the callbacks (Lightning's `early_stopping_callback`).
    public var earlyStoppingCallback: EarlyStopping? { earlyStoppingCallbacks.first }
    /// Every `EarlyStopping` among the callbacks.
    public var earlyStoppingCallbacks: [EarlyStopping] { callbacks.compactMap { $0 as? EarlyStopping } }
    /// The first `ModelCheckpoint` among the callbacks (Lightning's `checkpoint_callback`).
    public var checkpointCallback: ModelCheckpoint? { checkpointCallbacks.first }
    /// Every `ModelCheckpoint` among the callbacks.
    public var checkpointCallbacks: [ModelCheckpoint] { callbacks.compactMap { $0 as? ModelCheckpoint } }
    /// Optimizer steps taken.
    public private(set) var globalStep = 0
    /// Set to stop training at the end of the current epoch (EarlyStopping does).
    public var shouldStop = false
    /// The latest value of every logged metric (epoch means for epoch-level ones).
    public private(set) var callbackMetrics: [String: Double] = [:]
    /// The metrics logged with `progressBar: true`, as the progress bar shows them.
    public private(set) var progressBarMetrics: [String: Double] = [:]
    /// What was last sent to the loggers.
    public private(set) var loggedMetrics: [String: Double] = [:]
    /// The optimizers `configureOptimizers()` returned (Lightning's `trainer.optimizers`).
    public private(set) var optimizers: [Optimizer] = []
    /// The first of `optimizers` (the one automatic optimization trains with).
    public var optimizer: Optimizer? { optimizers.first }
    /// The learning-rate schedulers `configureLRScheduler` returned, in their optimizers' order.
    public private(set) var lrSchedulers: [LRScheduler] = []
    /// The first of `lrSchedulers`.
    public var lrScheduler: LRScheduler? { lrSchedulers.first }
    /// The optimizers as `TrainingModule.optimizers()` hands them out (their steps count in `globalStep`).
    var lightningOptimizers: [LightningOptimizer] = []
    /// Whether the running fit optimizes by hand (the module's `automaticOptimization` is false).
    public private(set) var manualOptimization = false
    /// What `toggleOptimizer` changed: each parameter's `requiresGrad` before it.
    var toggledRequiresGrad: [ObjectIdentifier: Bool] = [:]
    /// Training batches after which the optimizers stepped (Lightning's `_batches_that_stepped`): the step
    /// number loggers get. It equals `globalStep` unless manual optimization steps several optimizers a batch.
    public private(set) var batchesThatStepped = 0
    /// When `lrScheduler` steps, and every how many epochs or steps (the module's `lrSchedulerInterval`, `lrSchedulerFrequency`).
    public private(set) var lrSchedulerInterval: LRSchedulerInterval = .epoch
    public private(set) var lrSchedulerFrequency = 1
    /// Averages gradients across ranks during `fit` with `strategy: .ddp`.
    var reducer: GradientReducer?
    /// The training loader's own generator (nil: it draws from the global one), saved in checkpoints.
    var trainLoaderGenerator: Generator?
    /// Batches trained in the running epoch (nil outside one), and the generators' states at its start:
    /// what a mid-epoch checkpoint needs to resume at the next batch.
    var batchesDoneInEpoch: Int?
    var epochStartRNG: RNGStates?
    /// Whether the training batch being run is its epoch's last (Lightning's `trainer.is_last_batch`).
    public private(set) var isLastBatch = false
    /// True while the pre-training validation sanity check runs.
    public private(set) var sanityChecking = false

    /// `maxEpochs` defaults to 1000 when neither it nor `maxSteps` is given, as in Lightning.
    /// `strategy: .ddp` trains data-parallel over the processes an MPI launcher started
    /// (`mpirun -np 2 ...`; `devices * numNodes` of them when given): see `Strategy`.
    /// `logger` says where the metrics go, as Lightning's `logger=`: left out or `true`, a `TensorBoardLogger`
    /// in `defaultRootDir` (which writes `lightning_logs/`); `false` or `nil`, nowhere (nothing is written);
    /// `[tb, csv]`, to each of them; a single logger (the other initializer), to it. `loggers:` (an array
    /// value), when given, wins. A `ModelCheckpoint` saving the latest epoch is added when
    /// `enableCheckpointing` and no checkpoint callback is given.
    public init(maxEpochs: Int? = nil, maxSteps: Int = -1, minEpochs: Int = 0, callbacks: [Callback] = [],
                logger: LoggerChoice = true, loggers: [ExperimentLogger]? = nil, fastDevRun: FastDevRun = false,
                enableCheckpointing: Bool = true, enableProgressBar: Bool = true, enableModelSummary: Bool = true,
                logEveryNSteps: Int = 50, numSanityValSteps: Int = 2, checkValEveryNEpoch: Int = 1,
                limitTrainBatches: Int? = nil, limitValBatches: Int? = nil, limitTestBatches: Int? = nil,
                limitPredictBatches: Int? = nil, overfitBatches: BatchLimit = 0, valCheckInterval: BatchLimit = 1.0,
                accumulateGradBatches: Int = 1, gradientClipVal: Double? = nil, gradientClipAlgorithm: String = "norm",
                defaultRootDir: String? = nil, detectAnomaly: Bool = false, accelerator: Accelerator = .auto, strategy: Strategy = .auto,
                devices: Int? = nil, numNodes: Int = 1) {
        self.accelerator = accelerator
        rootDevice = accelerator.device()
        if accumulateGradBatches < 1 { fail("`Trainer(accumulate_grad_batches=\(accumulateGradBatches))` must be a positive integer") }
        if gradientClipAlgorithm != "norm" && gradientClipAlgorithm != "value" {
            fail("`gradient_clip_algorithm` \(gradientClipAlgorithm) is invalid. Allowed algorithms: ['value', 'norm']")
        }
        if fastDevRun.batches < 0 { fail("fast_dev_run=\(fastDevRun.batches) is not a valid configuration. It should be >= 0.") }
        if case .batches(let n) = overfitBatches, n < 0 { fail("`overfit_batches` must be >= 0, got \(n)") }
        if case .fraction(let f) = overfitBatches, !(0...1).contains(f) { fail("`overfit_batches` must be in [0.0, 1.0], got \(f)") }
        if case .batches(let n) = valCheckInterval, n < 1 { fail("`val_check_interval` must be a positive number of batches, got \(n)") }
        if case .fraction(let f) = valCheckInterval, !(f > 0 && f <= 1) { fail("`val_check_interval` must be in (0.0, 1.0], got \(f)") }
        let devRun = fastDevRun.batches
        self.fastDevRun = devRun
        self.overfitBatches = overfitBatches
        self.enableProgressBar = enableProgressBar; self.enableModelSummary = enableModelSummary
        self.logEveryNSteps = logEveryNSteps
        // Lightning's debugging flags: fast_dev_run runs n batches of each loop once, without sanity check,
        // logging or checkpoints; overfit_batches trains and validates on the same few batches every epoch
        let overfitting = !overfitBatches.isZero
        if devRun > 0 {
            self.maxEpochs = 1; self.maxSteps = devRun; self.minEpochs = minEpochs
            self.numSanityValSteps = 0; self.checkValEveryNEpoch = 1; self.valCheckInterval = 1.0
            self.limitTrainBatches = overfitting ? limitTrainBatches : devRun
            self.limitValBatches = overfitting ? limitValBatches : devRun
            self.limitTestBatches = devRun; self.limitPredictBatches = devRun
        } else {
            self.maxEpochs = maxEpochs ?? (maxSteps == -1 ? 1000 : Int.max)
            self.maxSteps = maxSteps; self.minEpochs = minEpochs
            self.numSanityValSteps = numSanityValSteps; self.checkValEveryNEpoch = checkValEveryNEpoch
            self.valCheckInterval = valCheckInterval
            self.limitTrainBatches = limitTrainBatches; self.limitValBatches = limitValBatches
            self.limitTestBatches = limitTestBatches; self.limitPredictBatches = limitPredictBatches
        }
        if overfitting {
            trainBatchLimit = overfitBatches; valBatchLimit = overfitBatches
        } else {
            trainBatchLimit = self.limitTrainBatches.map { .batches($0) }; valBatchLimit = self.limitValBatches.map { .batches($0) }
        }
        self.accumulateGradBatches = accumulateGradBatches
        self.gradientClipVal = gradientClipVal; self.gradientClipAlgorithm = gradientClipAlgorithm
        let root = defaultRootDir ?? FileManager.default.currentDirectoryPath
        self.defaultRootDir = root
        self.detectAnomaly = detectAnomaly
        if let d = devices, d < 1 { fail("`Trainer(devices=\(d))` must be a positive number of devices") }
        if numNodes < 1 { fail("`Trainer(num_nodes=\(numNodes))` must be a positive number of nodes") }
        self.strategy = strategy; self.devices = devices; self.numNodes = numNodes
        var chosen: [ExperimentLogger]
        if let l = loggers { chosen = l }
        else if let l = logger.loggers { chosen = l }
        else { chosen = [TensorBoardLogger(saveDir: root)] }
        if devRun > 0 {
            // nothing is written (Lightning's DummyLogger)
            chosen = chosen.isEmpty ? [] : [DummyLogger()]
            FileHandle.standardError.write(Data("Running in `fast_dev_run` mode: will run the requested loop using \(devRun) batch(es). Logging and checkpointing is suppressed.\n".utf8))
        }
        self.loggers = chosen
        var cbs = callbacks
        if enableCheckpointing && !cbs.contains(where: { $0 is ModelCheckpoint }) { cbs.append(ModelCheckpoint()) }
        self.callbacks = cbs
    }

    /// A trainer that logs to `logger` only (Lightning's `Trainer(logger=tb)`); see the other initializer.
    public convenience init(maxEpochs: Int? = nil, maxSteps: Int = -1, minEpochs: Int = 0, callbacks: [Callback] = [],
                logger: ExperimentLogger, loggers: [ExperimentLogger]? = nil, fastDevRun: FastDevRun = false,
                enableCheckpointing: Bool = true, enableProgressBar: Bool = true, enableModelSummary: Bool = true,
                logEveryNSteps: Int = 50, numSanityValSteps: Int = 2, checkValEveryNEpoch: Int = 1,
                limitTrainBatches: Int? = nil, limitValBatches: Int? = nil, limitTestBatches: Int? = nil,
                limitPredictBatches: Int? = nil, overfitBatches: BatchLimit = 0, valCheckInterval: BatchLimit = 1.0,
                accumulateGradBatches: Int = 1, gradientClipVal: Double? = nil, gradientClipAlgorithm: String = "norm",
                defaultRootDir: String? = nil, detectAnomaly: Bool = false, accelerator: Accelerator = .auto, strategy: Strategy = .auto,
                devices: Int? = nil, numNodes: Int = 1) {
        self.init(maxEpochs: maxEpochs, maxSteps: maxSteps, minEpochs: minEpochs, callbacks: callbacks, logger: LoggerChoice([logger]),
                  loggers: loggers, fastDevRun: fastDevRun, enableCheckpointing: enableCheckpointing, enableProgressBar: enableProgressBar,
                  enableModelSummary: enableModelSummary, logEveryNSteps: logEveryNSteps, numSanityValSteps: numSanityValSteps,
                  checkValEveryNEpoch: checkValEveryNEpoch, limitTrainBatches: limitTrainBatches, limitValBatches: limitValBatches,
                  limitTestBatches: limitTestBatches, limitPredictBatches: limitPredictBatches, overfitBatches: overfitBatches,
                  valCheckInterval: valCheckInterval, accumulateGradBatches: accumulateGradBatches,
                  gradientClipVal: gradientClipVal, gradientClipAlgorithm: gradientClipAlgorithm, defaultRootDir: defaultRootDir,
                  detectAnomaly: detectAnomaly, accelerator: accelerator, strategy: strategy, devices: devices, numNodes: numNodes)
    }

    /// The first logger.
    public var logger: ExperimentLogger? { loggers.first }
    /// Where checkpoints go by default: the first logger's `logDir`, else `defaultRootDir`.
    public var logDir: String { loggers.first { !($0 is DummyLogger) }?.logDir ?? defaultRootDir }

    // MARK: - Attaching to modules (for `log`)

    nonisolated(unsafe) private static var attachedTrainers: [ObjectIdentifier: Trainer] = [:]
    static func attached(to module: Module) -> Trainer? { attachedTrainers[ObjectIdentifier(module)] }
    private func attach(_ m: Module) { Trainer.attachedTrainers[ObjectIdentifier(m)] = self; lightningModule = m; m.lastTrainer = self }
    /// The module the last `fit`, `validate`, `test` or `predict` ran (Lightning's `trainer.lightning_module`):
    /// what `saveCheckpoint(_:)` saves.
    public private(set) var lightningModule: Module?
    private func detach(_ m: Module) { Trainer.attachedTrainers[ObjectIdentifier(m)] = nil }

    // MARK: - Logged values

    enum Phase { case trainStep, trainEpochEnd, validationStep, validationEpochEnd, testStep, testEpochEnd, other }
    private var phase = Phase.other
    private var currentBatchSize = 1
    /// Step-level validation/test values go to the loggers at once, numbered by these counters (Lightning's).
    private var validationStepCount = 0, testStepCount = 0

    /// Lightning accumulates `value * batchSize` and the batch sizes in float32 tensors and reports their quotient.
    struct Accumulator { var sum: Float = 0, weight: Float = 0, progressBar = false, logger = true, baseName = "", syncDist = false }
    /// Epoch accumulators of the loop being run.
    private var epochValues: [String: Accumulator] = [:]
    private var stepValues: [String: (value: Double, logger: Bool)] = [:]

    func record(_ name: String, _ value: Double, progressBar: Bool, logger: Bool, onStep: Bool?, onEpoch: Bool?, batchSize: Int?,
                syncDist: Bool = false) {
        let inTrainStep = phase == .trainStep
        let inEvalStep = phase == .validationStep || phase == .testStep
        let step = onStep ?? inTrainStep
        let epoch = onEpoch ?? !inTrainStep
        if step && !inTrainStep && !inEvalStep {
            fail("You can't `self.log(\(name), ..., on_step=True)` in an epoch-end hook: only on_step=False is allowed there")
        }
        let both = step && epoch
        if step {
            let value = syncDist ? averagedOverRanks(value) : value
            let key = both ? name + "_step" : name
            if inTrainStep {
                stepValues[key] = (value, logger)
                callbackMetrics[key] = value
                if both { callbackMetrics[name] = value }   // the plain name holds the step value until the epoch ends
                if logger { loggedMetrics[key] = value }
                if progressBar { progressBarMetrics[key] = value }
            } else if !sanityChecking && logger {
                // Lightning writes an evaluation step value at once, at the loop's own batch counter, without `epoch`.
                let counter = phase == .validationStep ? validationStepCount : testStepCount
                loggedMetrics[key] = value
                if isGlobalZero { for l in loggers { try? l.logMetrics([key: value], step: counter) } }
            }
        }
        if epoch {
            let key = both ? name + "_epoch" : name
            let w = inTrainStep || inEvalStep ? (batchSize ?? currentBatchSize) : 1
            var a = epochValues[key] ?? Accumulator()
            a.sum += Float(value) * Float(w); a.weight += Float(w); a.progressBar = progressBar; a.logger = logger
            a.baseName = both ? name : ""
            a.syncDist = syncDist
            epochValues[key] = a
        }
    }

    /// Metric objects logged for the epoch: computed (then reset) when it closes.
    private var epochMetricObjects: [String: (metric: Metric, progressBar: Bool, logger: Bool, baseName: String)] = [:]

    func record(_ name: String, _ metric: Metric, progressBar: Bool, logger: Bool, onStep: Bool?, onEpoch: Bool?) {
        let inTrainStep = phase == .trainStep
        let step = onStep ?? inTrainStep
        let epoch = onEpoch ?? !inTrainStep
        if step, let v = metric.lastBatchValue {
            record(name, v.item(), progressBar: progressBar, logger: logger, onStep: true, onEpoch: false, batchSize: nil)
            if epoch { callbackMetrics[name + "_step"] = v.item(); callbackMetrics[name] = nil }
        }
        if epoch {
            let key = step ? name + "_epoch" : name
            epochMetricObjects[key] = (metric, progressBar, logger, step ? name : "")
        }
        if step && epoch, let v = metric.lastBatchValue {   // the step value goes under `name_step`
            let x = v.item()
            if let sv = stepValues.removeValue(forKey: name) { stepValues[name + "_step"] = sv }
            if loggedMetrics.removeValue(forKey: name) != nil { loggedMetrics[name + "_step"] = x }
            if progressBarMetrics.removeValue(forKey: name) != nil { progressBarMetrics[name + "_step"] = x }
            callbackMetrics[name] = x
        }
    }

    /// Moves the epoch means into `callbackMetrics` (a metric logged per step and per epoch also under
    /// its own name, as Lightning does) and returns those meant for the loggers.
    private func closeEpoch() -> [String: Double] {
        var out: [String: Double] = [:]
        // sorted: the ranks must reach the collectives of synced values in the same order
        for (k, a) in epochValues.sorted(by: { $0.key < $1.key }) where a.weight > 0 {
            let v = a.syncDist ? averagedOverRanks(Double(a.sum / a.weight)) : Double(a.sum / a.weight)
            callbackMetrics[k] = v
            if !a.baseName.isEmpty { callbackMetrics[a.baseName] = v }
            if a.progressBar { progressBarMetrics[k] = v }
            if a.logger { out[k] = v }
        }
        epochValues = [:]
        for (k, m) in epochMetricObjects.sorted(by: { $0.key < $1.key }) {
            let v = m.metric.compute().item()
            m.metric.reset()
            callbackMetrics[k] = v
            if !m.baseName.isEmpty { callbackMetrics[m.baseName] = v }
            if m.progressBar { progressBarMetrics[k] = v }
            if m.logger { out[k] = v }
        }
        epochMetricObjects = [:]
        return out
    }

    /// Whether the step about to run logs (Lightning's `should_update_logs`): every `logEveryNSteps` steps, and when stopping.
    public var shouldUpdateLogs: Bool { (batchesThatStepped + 1) % logEveryNSteps == 0 || shouldStop }

    /// Counts an optimizer step taken by hand (`LightningOptimizer.step()`) while a training step runs.
    func countOptimizerStep() { if phase == .trainStep { globalStep += 1 } }

    /// Sends `metrics` to the loggers as they are, at `step` (what Lightning's callbacks do with `logger.log_metrics`),
    /// and records them in `callbackMetrics`.
    func logDirectly(_ metrics: [String: Double], step: Int) throws {
        for (k, v) in metrics { callbackMetrics[k] = v }
        guard isGlobalZero else { return }
        for l in loggers { try l.logMetrics(metrics, step: step) }
    }

    private func sendToLoggers(_ metrics: [String: Double], step: Int) throws {
        guard !metrics.isEmpty else { return }
        for (k, v) in metrics { loggedMetrics[k] = v }
        guard isGlobalZero else { return }
        var m = metrics
        m["epoch"] = Double(currentEpoch)
        for l in loggers { try l.logMetrics(m, step: step) }
    }

    /// Whether ModelCheckpoint and EarlyStopping act at the end of the training epoch (after the
    /// module's `onTrainEpochEnd`) rather than after validation: when validation runs every epoch or
    /// not at all, as Lightning decides.
    public var checksOnTrainEpochEnd: Bool { (checkValEveryNEpoch == 1 && valCheckInterval == .fraction(1)) || !hasValidation }
    /// Whether the current fit has validation data.
    public private(set) var hasValidation = false

    /// The batch size Lightning would infer: the first dim of the first tensor in the batch.
    private func inferBatchSize(_ batch: Any) -> Int {
        if let t = batch as? Tensor { return t.shape.first ?? 1 }
        if let ts = batch as? [Tensor], let t = ts.first { return t.shape.first ?? 1 }
        for child in Mirror(reflecting: batch).children {
            if let t = child.value as? Tensor { return t.shape.first ?? 1 }
        }
        return 1
    }

    /// Clears the metrics of the last fit, validate or test run.
    private func resetMetrics() { callbackMetrics = [:]; progressBarMetrics = [:]; loggedMetrics = [:] }

    // MARK: - fit

    /// Trains `model` on `dataModule`'s data (validating each epoch when it has validation data).
    /// With `ckptPath`, resumes from a checkpoint written by `ModelCheckpoint`.
    public func fit<M: TrainingModule, D: DataModule>(_ model: M, dataModule: D, ckptPath: String? = nil) throws
    where D.TrainSet.Batch == M.Batch, D.ValSet.Batch == M.Batch {
        try dataModule.prepareData()
        try dataModule.setup(stage: .fit)
        let val: DataLoader<D.ValSet>? = D.ValSet.self is any EmptyDataset.Type ? nil : dataModule.valDataLoader()
        try run(model, train: dataModule.trainDataLoader(), val: val, ckptPath: ckptPath)
        try dataModule.teardown(stage: .fit)
    }

    /// Trains `model` on `trainDataLoaders`, validating on `valDataLoaders` each epoch.
    public func fit<M: TrainingModule, T: Dataset, V: Dataset>(_ model: M, trainDataLoaders: DataLoader<T>, valDataLoaders: DataLoader<V>,
                                                                ckptPath: String? = nil) throws
    where T.Batch == M.Batch, V.Batch == M.Batch {
        try run(model, train: trainDataLoaders, val: valDataLoaders, ckptPath: ckptPath)
    }

    /// Trains `model` on `trainDataLoaders` without validation.
    public func fit<M: TrainingModule, T: Dataset>(_ model: M, trainDataLoaders: DataLoader<T>, ckptPath: String? = nil) throws
    where T.Batch == M.Batch {
        try run(model, train: trainDataLoaders, val: nil as DataLoader<NoDataset<M.Batch>>?, ckptPath: ckptPath)
    }

    private func run<M: TrainingModule, T: Dataset, V: Dataset>(_ model: M, train: DataLoader<T>, val: DataLoader<V>?, ckptPath: String?) throws
    where T.Batch == M.Batch, V.Batch == M.Batch {
        let savedAnomalyMode = isAnomalyEnabled()
        if detectAnomaly { setDetectAnomaly(true) }
        defer { setDetectAnomaly(savedAnomalyMode) }
        try setUpStrategy()
        let train = distributed(overfitting(train, "train")), val = val.map { distributed(overfitting($0, "val")) }
        valCheckBatch = try valCheckBatches(train)
        attach(model)
        try logHyperparameters(model)
        if rootDevice != .cpu { model.to(rootDevice) }
        defer { detach(model) }
        let opts: [Optimizer] = model.configureOptimizers()
        manualOptimization = !model.automaticOptimization
        if manualOptimization {
            if let c = gradientClipVal {
                fail("Automatic gradient clipping is not supported for manual optimization. Remove `Trainer(gradient_clip_val=\(c))` or switch to automatic optimization.")
            }
            if accumulateGradBatches != 1 {
                fail("Automatic gradient accumulation is not supported for manual optimization. Remove `Trainer(accumulate_grad_batches=\(accumulateGradBatches))` or switch to automatic optimization.")
            }
        } else if opts.count > 1 {
            fail("Training with multiple optimizers is only supported with manual optimization. Set `self.automatic_optimization = False`, then access your optimizers in `training_step` with `opt1, opt2, ... = self.optimizers()`.")
        } else if opts.isEmpty {
            fail("`configure_optimizers` returned no optimizer: automatic optimization needs one")
        }
        optimizers = opts
        lightningOptimizers = opts.map { LightningOptimizer($0, trainer: self) }
        lrSchedulers = opts.compactMap { model.configureLRScheduler($0) }
        lrSchedulerInterval = lrScheduler is ReduceLROnPlateau ? .epoch : model.lrSchedulerInterval
        lrSchedulerFrequency = model.lrSchedulerFrequency
        if lrSchedulerFrequency < 1 { fail("The lr scheduler frequency must be a positive integer, got \(lrSchedulerFrequency)") }
        shouldStop = false
        var startEpoch = 0
        trainLoaderGenerator = train.generator
        numTrainingBatches = trainBatches(train)
        var resume: ResumePoint?
        if let path = resolveCheckpointPath(ckptPath, stage: "fit") {
            let point = try restore(from: path, model)
            // a mid-epoch checkpoint continues its epoch; an end-of-epoch one starts the next
            startEpoch = point.batchesDone == nil ? point.epoch + 1 : point.epoch
            globalStep = point.globalStep
            batchesThatStepped = point.batchesThatStepped
            resume = point
        }
        defer { trainLoaderGenerator = nil; batchesDoneInEpoch = nil; epochStartRNG = nil }
        if isDistributed {
            // every rank starts from rank 0's weights; gradients are averaged during backward
            Distributed.broadcastFromRankZero(model.parameters().map { $0 as Tensor } + model.namedBuffers().map(\.1))
            reducer = GradientReducer(parameters: model.parameters().filter(\.requiresGrad), bucketCapMB: strategy.bucketCapMB,
                                      findUnusedParameters: strategy.findUnusedParameters)
        }
        defer { reducer = nil }
        hasValidation = val != nil
        resetMetrics()
        if enableModelSummary && isGlobalZero { FileHandle.standardError.write(Data((modelSummary(model) + "\n").utf8)) }
        for c in callbacks { try c.onFitStart(self, model) }
        model.onFitStart()

        if let v = val, numSanityValSteps > 0 {
            // Lightning runs the sanity check inside isolate_rng(): the global (and CUDA) random streams
            // are put back afterwards, so training draws the same numbers with or without it
            let globalState = defaultGenerator.getState(), cudaState = cudaRNGState()
            sanityChecking = true
            _ = try validate(model, v, limit: numSanityValSteps)
            for c in callbacks { try c.onValidationEnd(self, model) }
            sanityChecking = false
            callbackMetrics = [:]; progressBarMetrics = [:]
            applyRNG(RNGStates(global: globalState, loader: nil, cuda: cudaState))
        }

        var status = "success"
        defer { if isGlobalZero { for l in loggers { try? l.finalize(status: status) } } }
        for c in callbacks { try c.onTrainStart(self, model) }
        // the random streams continue where the checkpoint left them
        if let r = resume, r.batchesDone == nil, let rng = r.rng { applyRNG(rng) }
        var midEpoch: (skip: Int, start: RNGStates, current: RNGStates?)?
        if let r = resume, let k = r.batchesDone, let start = r.epochStart { midEpoch = (k, start, r.rng) }
        do {
            currentEpoch = startEpoch
            while currentEpoch < maxEpochs && !(shouldStop && currentEpoch >= minEpochs) && !(maxSteps >= 0 && globalStep >= maxSteps) {
                // validation runs within the epoch, after its val-check batches (the last one by default)
                _ = try trainEpoch(model, train, val: val, resume: midEpoch)
                midEpoch = nil
                // Lightning's order: callbacks, the module's hook, then the monitoring callbacks
                // (ModelCheckpoint, EarlyStopping), which see what the module logged there.
                // The training loop's epoch means are in callbackMetrics before any onTrainEpochEnd; what the
                // module logs in its hook joins them, and the loggers get one row for both.
                var epochMetrics = closeEpoch()
                for c in callbacks where !c.isMonitoring { try c.onTrainEpochEnd(self, model) }
                phase = .trainEpochEnd
                model.onTrainEpochEnd()
                phase = .other
                epochMetrics.merge(closeEpoch()) { $1 }
                // ReduceLROnPlateau sees what the module logged in its hook; stepped before the checkpoint is
                // written (Lightning: after, and not restored on resume), so that resuming is exact.
                if !manualOptimization, let p = lrScheduler as? ReduceLROnPlateau, (currentEpoch + 1) % lrSchedulerFrequency == 0 {
                    guard let m = callbackMetrics[model.lrSchedulerMonitor] else {
                        fail("ReduceLROnPlateau conditioned on metric \(model.lrSchedulerMonitor) which is not available. Available metrics are: \(callbackMetrics.keys.sorted())")
                    }
                    p.step(metric: m)
                }
                for c in callbacks where c.isMonitoring { try c.onTrainEpochEnd(self, model) }
                shouldStop = anyRank(shouldStop)
                try sendToLoggers(epochMetrics, step: Swift.max(batchesThatStepped - 1, 0))
                if enableProgressBar { printProgress(done: true, batches: trainBatches(train), batch: trainBatches(train)) }
                currentEpoch += 1
            }
        } catch {
            status = "failed"
            throw error
        }
        for c in callbacks { try c.onTrainEnd(self, model) }
        for c in callbacks { try c.onFitEnd(self, model) }
        model.onFitEnd()
    }

    /// The batch on `rootDevice` (the module's `transferBatchToDevice`; as it is on the CPU).
    private func onRootDevice<M: TrainingModule>(_ batch: M.Batch, _ model: M) -> M.Batch {
        rootDevice == .cpu ? batch : model.transferBatchToDevice(batch, device: rootDevice)
    }

    /// The training batches, each with its copy on the device when it was moved ahead of its step.
    /// On a GPU with a pinned loader (`DataLoader(pinMemory: true)`), `prefetchNext()` moves the next
    /// batch on a side stream so that its copy overlaps the current step: the side stream first waits
    /// for the work queued so far on the current stream (memory that earlier steps freed may be
    /// handed to the copy), and the current stream waits for the copy before the batch is returned.
    /// The next batch is then fetched one step ahead, as Lightning's prefetching fetcher does.
    private struct GPUBatchFeeder<D: Dataset> {
        let loader: DataLoader<D>
        let device: Device
        let move: (D.Batch, Device) -> D.Batch

        func makeIterator() -> Iterator {
            var stream: CUDA.Stream?
            if case .cuda(let i) = device, loader.pinMemory, CUDA.isAvailable() { stream = CUDA.Stream(device: i) }
            return Iterator(base: loader.makeIterator(), stream: stream, device: device, move: move)
        }

        struct Iterator {
            var base: DataLoader<D>.Iterator
            let stream: CUDA.Stream?
            let device: Device
            let move: (D.Batch, Device) -> D.Batch
            var upcoming: D.Batch?
            var moved: (batch: D.Batch, ready: CUDA.Event)?

            init(base: DataLoader<D>.Iterator, stream: CUDA.Stream?, device: Device, move: @escaping (D.Batch, Device) -> D.Batch) {
                self.base = base; self.stream = stream; self.device = device; self.move = move
                if stream != nil { upcoming = base.next() }
            }
            /// The next batch, and its device copy when `prefetchNext()` made one.
            mutating func next() -> (D.Batch, D.Batch?)? {
                guard let s = stream else { return base.next().map { ($0, nil) } }
                guard let b = upcoming else { return nil }
                upcoming = base.next()
                defer { moved = nil }
                guard let m = moved else { return (b, nil) }
                CUDA.currentStream(s.index).waitEvent(m.ready)
                return (b, m.batch)
            }
            /// Starts moving the batch after the one `next()` returned last, on the side stream.
            mutating func prefetchNext() {
                guard let s = stream, let b = upcoming else { return }
                s.waitStream(CUDA.currentStream(s.index))
                let m = CUDA.stream(s) { move(b, device) }
                moved = (m, s.recordEvent())
            }
        }
    }

    /// One training epoch; false when `maxSteps` ended it before its last batch.
    private func trainEpoch<M: TrainingModule, T: Dataset, V: Dataset>(_ model: M, _ loader: DataLoader<T>, val: DataLoader<V>?,
                                                           resume: (skip: Int, start: RNGStates, current: RNGStates?)? = nil) throws -> Bool
    where T.Batch == M.Batch, V.Batch == M.Batch {
        model.train()
        epochStart = Date()
        (loader.sampler as? DistributedSampler)?.setEpoch(currentEpoch)
        // a mid-epoch resume draws the epoch's order again from the states the epoch started with
        if let r = resume { applyRNG(r.start) }
        epochStartRNG = RNGStates(global: defaultGenerator.getState(), loader: loader.generator?.getState(), cuda: cudaRNGState())
        batchesDoneInEpoch = 0
        defer { batchesDoneInEpoch = nil }
        for c in callbacks { try c.onTrainEpochStart(self, model) }
        model.onTrainEpochStart()
        let total = trainBatches(loader)
        var i = 0
        var pending = 0
        // on a GPU with a pinned loader, batch i + 1 is copied on a side stream while batch i trains
        let feeder = GPUBatchFeeder(loader: loader, device: rootDevice) { model.transferBatchToDevice($0, device: $1) }
        var batches = feeder.makeIterator()
        // no batch is asked for past the epoch's last: Lightning stops there, so a sampler that ends on a
        // full batch never runs its closing draw (RandomSampler's randperm(n)[:0] on the loader's generator)
        while i < total, let (batch, movedBatch) = batches.next() {
            if let r = resume, i < r.skip {
                // batches the checkpointed run already trained on; then the streams as they were after them
                i += 1
                batchesDoneInEpoch = i
                if i == r.skip, let c = r.current { applyRNG(c) }
                continue
            }
            if i >= total { break }
            if maxSteps >= 0 && globalStep >= maxSteps { return false }
            currentBatchSize = inferBatchSize(batch)
            isLastBatch = i + 1 == total
            for c in callbacks { try c.onTrainBatchStart(self, model, batch: batch, batchIndex: i) }
            phase = .trainStep
            let onDevice = movedBatch ?? onRootDevice(batch, model)
            if i + 1 < total { batches.prefetchNext() }
            let loss = model.trainingStep(onDevice, batchIndex: i)
            phase = .other
            if manualOptimization {
                // the step optimized by hand; the batch counts for the loggers (Lightning's `_batches_that_stepped`)
                batchesThatStepped += 1
                try logStepValuesIfDue()
                batchesDoneInEpoch = i + 1
                for c in callbacks { try c.onTrainBatchEnd(self, model, loss: loss.detach(), batchIndex: i) }
                try validateIfDue(model, val, batchIndex: i)
                i += 1
                if enableProgressBar && (i % 20 == 0) { printProgress(done: false, batches: total, batch: i) }
                continue
            }
            // data-parallel: this backward averages the gradients unless it only accumulates
            if let r = reducer, pending + 1 == accumulateGradBatches || i + 1 == total { r.prepareForBackward(outputs: [loss]) }
            (accumulateGradBatches > 1 ? loss / Double(accumulateGradBatches) : loss).backward()
            pending += 1
            if pending == accumulateGradBatches || i + 1 == total {
                if let c = gradientClipVal {
                    if gradientClipAlgorithm == "value" { clipGradValue_(model.parameters(), clipValue: c) }
                    else { clipGradNorm_(model.parameters(), maxNorm: c) }
                }
                let opt = optimizers[0]
                opt.step()
                opt.zeroGrad()
                pending = 0
                globalStep += 1
                batchesThatStepped += 1
                if let s = lrScheduler, lrSchedulerInterval == .step, (i + 1) % lrSchedulerFrequency == 0 { s.step() }
                try logStepValuesIfDue()
            }
            // Lightning steps "epoch" schedulers after the epoch's last batch, before its batch-end hooks and
            // validation (so checkpoints written there hold the stepped state)
            if i + 1 == total, let s = lrScheduler, !(s is ReduceLROnPlateau), lrSchedulerInterval == .epoch,
               (currentEpoch + 1) % lrSchedulerFrequency == 0 { s.step() }
            batchesDoneInEpoch = i + 1
            for c in callbacks { try c.onTrainBatchEnd(self, model, loss: loss, batchIndex: i) }
            try validateIfDue(model, val, batchIndex: i)
            i += 1
            if enableProgressBar && (i % 20 == 0) { printProgress(done: false, batches: total, batch: i) }
        }
        return !(maxSteps >= 0 && globalStep >= maxSteps && i < total)
    }

    /// The training batches an epoch of `loader` runs (all, or the limit's).
    private func trainBatches<D: Dataset>(_ loader: DataLoader<D>) -> Int { trainBatchLimit?.count(of: loader.count) ?? loader.count }
    /// The validation batches a run over `loader` takes (nil: all).
    private func valBatches<D: Dataset>(_ loader: DataLoader<D>) -> Int? { valBatchLimit?.count(of: loader.count) }

    /// `loader` without shuffling when overfitting (Lightning warns and turns it off).
    private func overfitting<D: Dataset>(_ loader: DataLoader<D>, _ prefix: String) -> DataLoader<D> {
        guard !overfitBatches.isZero, !(loader.sampler is SequentialSampler) else { return loader }
        warnOnce("You requested to overfit but enabled \(prefix) dataloader shuffling. We are turning off the \(prefix) dataloader shuffling for you.")
        return loader.with(sampler: SequentialSampler(), shuffle: false)
    }

    /// After how many training batches validation runs (Lightning's `val_check_batch`).
    private var valCheckBatch = Int.max
    private func valCheckBatches<D: Dataset>(_ loader: DataLoader<D>) throws -> Int {
        let total = trainBatches(loader)
        switch valCheckInterval {
        case .fraction(let f): return f == 1 ? total : Swift.max(1, Int(Double(total) * f))
        case .batches(let n):
            if n > total {
                fail("`val_check_interval` (\(n)) must be less than or equal to the number of the training batches (\(total)). If you want to disable validation set `limit_val_batches` to 0.0 instead. If you want to validate based on the total training batches, set `check_val_every_n_epoch=None`.")
            }
            return n
        }
    }

    /// Validates after training batch `batchIndex` when it is a val-check batch of a validating epoch.
    private func validateIfDue<M: TrainingModule, V: Dataset>(_ model: M, _ val: DataLoader<V>?, batchIndex: Int) throws
    where V.Batch == M.Batch {
        guard let v = val, (currentEpoch + 1) % checkValEveryNEpoch == 0, (batchIndex + 1) % valCheckBatch == 0 else { return }
        let logged = try validate(model, v, limit: valBatches(v))
        try sendToLoggers(logged, step: Swift.max(batchesThatStepped - 1, 0))
        for c in callbacks { try c.onValidationEnd(self, model) }
    }

    /// Logs the module's hyper-parameters to every logger and saves them (Lightning's `_log_hyperparams`, run
    /// by fit, validate, test and predict).
    private func logHyperparameters(_ model: Module) throws {
        guard isGlobalZero else { return }
        let hp = model.savedHyperparameters
        for l in loggers {
            if let tb = l as? TensorBoardLogger { try tb.logHyperparams(typed: hp) }
            else { try l.logHyperparams(Dictionary(hp.map { ($0.0, $0.1.yaml) }, uniquingKeysWith: { $1 })) }
            try l.save()
        }
    }

    /// Sends the step values to the loggers when the batch just done is a logging one (every `logEveryNSteps`).
    private func logStepValuesIfDue() throws {
        if batchesThatStepped % logEveryNSteps == 0 || shouldStop {
            let out = stepValues.filter { $0.value.logger }.mapValues(\.value)
            try sendToLoggers(out, step: batchesThatStepped - 1)
        }
    }

    /// Runs the validation loop; returns the epoch metrics for the loggers.
    private func validate<M: TrainingModule, V: Dataset>(_ model: M, _ loader: DataLoader<V>, limit: Int?) throws -> [String: Double] where V.Batch == M.Batch {
        try evaluationLoop(model, loader, limit: limit, stepPhase: .validationStep, endPhase: .validationEpochEnd,
                           start: {
                               for c in callbacks { try c.onValidationEpochStart(self, model) }
                               model.onValidationEpochStart()
                           },
                           step: { batch, i in
                               _ = model.validationStep(batch, batchIndex: i)
                               if !sanityChecking { validationStepCount += 1 }
                           },
                           end: {
                               for c in callbacks { try c.onValidationEpochEnd(self, model) }   // callbacks first, as Lightning
                               model.onValidationEpochEnd()
                           })
    }

    /// The loop validation and test share: eval mode, no gradients, the training loop's epoch accumulators
    /// set aside, `step` per batch (at most `limit`), `end` at the end; returns the epoch metrics.
    private func evaluationLoop<M: TrainingModule, D: Dataset>(
        _ model: M, _ loader: DataLoader<D>, limit: Int?, stepPhase: Phase, endPhase: Phase,
        start: () throws -> Void, step: (D.Batch, Int) -> Void, end: () throws -> Void
    ) throws -> [String: Double] where D.Batch == M.Batch {
        let loader = distributed(loader)
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let outerValues = epochValues, outerMetrics = epochMetricObjects
        epochValues = [:]; epochMetricObjects = [:]
        defer { epochValues.merge(outerValues) { a, _ in a }; epochMetricObjects.merge(outerMetrics) { a, _ in a } }
        phase = endPhase
        try start()
        try noGrad {
            var i = 0
            for batch in loader {
                if let l = limit, i >= l { break }
                currentBatchSize = inferBatchSize(batch)
                phase = stepPhase
                step(onRootDevice(batch, model), i)
                i += 1
            }
            phase = endPhase
            try end()
        }
        phase = .other
        return closeEpoch()
    }

    // MARK: - validate / test

    /// Runs one validation epoch on `dataModule`'s validation data; returns the logged epoch metrics
    /// (with `verbose`, printed as Lightning's "Validate metric" table).
    @discardableResult
    public func validate<M: TrainingModule, D: DataModule>(_ model: M, dataModule: D, verbose: Bool = true) throws -> [String: Double]
    where D.ValSet.Batch == M.Batch {
        try dataModule.setup(stage: .validate)
        if D.ValSet.self is any EmptyDataset.Type { fail("No `val_dataloader()` method defined to run `Trainer.validate`.") }
        return try validate(model, dataLoaders: dataModule.valDataLoader(), verbose: verbose)
    }

    /// Runs one validation epoch on `dataLoaders` (Lightning's `trainer.validate(model, dataloaders=...)`) and
    /// returns the logged epoch metrics; with `verbose`, prints them as Lightning's "Validate metric" table.
    @discardableResult
    public func validate<M: TrainingModule, T: Dataset>(_ model: M, dataLoaders: DataLoader<T>, ckptPath: String? = nil,
                                                        verbose: Bool = true) throws -> [String: Double]
    where T.Batch == M.Batch {
        if let path = resolveCheckpointPath(ckptPath, stage: "validate") { try model.loadFromCheckpoint(path) }
        try setUpStrategy()
        attach(model)
        try logHyperparameters(model)
        if rootDevice != .cpu { model.to(rootDevice) }
        defer { detach(model) }
        resetMetrics()
        validationStepCount = 0
        let out = try validate(model, dataLoaders, limit: valBatches(dataLoaders))
        try sendToLoggers(out, step: batchesThatStepped)
        if isGlobalZero { for l in loggers { try l.save() } }
        if verbose && isGlobalZero { print(resultsTable(out, stage: "validate")) }
        return out
    }

    /// Runs the test loop on `dataModule`'s test data and returns the metrics logged during it
    /// (Lightning returns them as `[{name: value}]`; here, one dictionary). Prints them as a table.
    @discardableResult
    public func test<M: TrainingModule, D: DataModule>(_ model: M, dataModule: D, verbose: Bool = true) throws -> [String: Double]
    where D.TestSet.Batch == M.Batch {
        try dataModule.prepareData()
        try dataModule.setup(stage: .test)
        if D.TestSet.self is any EmptyDataset.Type { fail("No `test_dataloader()` method defined to run `Trainer.test`.") }
        let out = try test(model, dataLoaders: dataModule.testDataLoader(), verbose: verbose)
        try dataModule.teardown(stage: .test)
        return out
    }

    /// Runs the test loop on `dataLoaders` and returns the metrics logged during it. A module without
    /// `testStep` stops the program with Lightning's message, "No `test_step()` method defined to run `Trainer.test`.".
    @discardableResult
    public func test<M: TrainingModule, T: Dataset>(_ model: M, dataLoaders: DataLoader<T>, ckptPath: String? = nil,
                                                    verbose: Bool = true) throws -> [String: Double]
    where T.Batch == M.Batch {
        if let path = resolveCheckpointPath(ckptPath, stage: "test") { try model.loadFromCheckpoint(path) }
        try setUpStrategy()
        attach(model)
        try logHyperparameters(model)
        if rootDevice != .cpu { model.to(rootDevice) }
        defer { detach(model) }
        resetMetrics()
        testStepCount = 0
        let out = try evaluationLoop(model, dataLoaders, limit: limitTestBatches, stepPhase: .testStep, endPhase: .testEpochEnd,
                                     start: { model.onTestEpochStart() },
                                     step: { batch, i in
                                         _ = model.testStep(batch, batchIndex: i)
                                         testStepCount += 1
                                     },
                                     end: {
                                         for c in callbacks { try c.onTestEpochEnd(self, model) }   // callbacks first, as Lightning
                                         model.onTestEpochEnd()
                                     })
        try sendToLoggers(out, step: batchesThatStepped)
        if isGlobalZero { for l in loggers { try l.save() } }
        if verbose && isGlobalZero { print(resultsTable(out, stage: "test")) }
        return out
    }

    // MARK: - predict

    /// Runs `predictStep` over `dataLoaders` in eval mode without gradients and returns the outputs,
    /// one per batch (Lightning's `trainer.predict`). Nothing is logged.
    public func predict<M: TrainingModule, T: Dataset>(_ model: M, dataLoaders: DataLoader<T>) throws -> [Tensor] where T.Batch == M.Batch {
        attach(model)
        try logHyperparameters(model)
        if rootDevice != .cpu { model.to(rootDevice) }
        defer { detach(model) }
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for c in callbacks { try c.onPredictStart(self, model) }
        var out: [Tensor] = []
        let total = limitPredictBatches.map { Swift.min($0, dataLoaders.count) } ?? dataLoaders.count
        epochStart = Date()
        noGrad {
            var i = 0
            for batch in dataLoaders {
                if let l = limitPredictBatches, i >= l { break }
                out.append(model.predictStep(onRootDevice(batch, model), batchIndex: i))
                i += 1
                if enableProgressBar { printProgress(done: i == total, batches: total, batch: i, label: "Predicting") }
            }
        }
        for c in callbacks { try c.onPredictEnd(self, model) }
        return out
    }

    /// Predicts on `dataModule`'s `predictDataLoader()` (after `prepareData` and `setup(stage: .predict)`).
    public func predict<M: TrainingModule, D: DataModule>(_ model: M, dataModule: D) throws -> [Tensor] where D.PredictSet.Batch == M.Batch {
        try dataModule.prepareData()
        try dataModule.setup(stage: .predict)
        if D.PredictSet.self is any EmptyDataset.Type { fail("No `predict_dataloader()` method defined to run `Trainer.predict`.") }
        let out = try predict(model, dataLoaders: dataModule.predictDataLoader())
        try dataModule.teardown(stage: .predict)
        return out
    }

    // MARK: - Checkpoints

    /// Writes `module`'s weights, the optimizers' states (under `optimizer_states.<i>.`), the LR schedulers'
    /// (under `lr_schedulers.<i>.`, Lightning's `lr_schedulers`), the epoch and the global step to `path`
    /// (safetensors, atomically). Temporary files that interrupted writes left in the folder (`.<name>.tmp-<UUID>`
    /// that no live writer holds) are removed first.
    /// In data-parallel training only rank 0 writes (the ranks hold the same weights).
    public func saveCheckpoint(_ path: String, _ module: Module) throws {
        guard isGlobalZero else { return }
        let modelState = module.stateDict()
        var sd = modelState
        // the module's hook sees Lightning's dict and may add entries of its own
        var dict: Checkpoint = ["epoch": currentEpoch, "global_step": globalStep, "state_dict": modelState]
        (module as? any TrainingModule)?.onSaveCheckpoint(&dict)
        var extra = Checkpoint()
        for (k, v) in dict where !["epoch", "global_step", "state_dict"].contains(k) { extra[k] = v }
        var extraJSON: String?
        if extra.count > 0 {
            let (tensors, m) = try flatten(extra)
            for (k, t) in tensors { sd[checkpointExtraPrefix + k] = t }
            extraJSON = m[checkpointMetadataKey]
        }
        for (i, o) in optimizers.enumerated() { for (k, v) in o.stateDict() { sd[checkpointOptimizerPrefix + "\(i)." + k] = v } }
        for (i, s) in lrSchedulers.enumerated() { for (k, v) in s.stateDict() { sd[checkpointSchedulerPrefix + "\(i)." + k] = v } }
        removeStaleTemporaryFiles(in: (path as NSString).deletingLastPathComponent)
        var meta = ["epoch": String(currentEpoch), "global_step": String(globalStep), "format": Trainer.checkpointFormat]
        meta[checkpointExtraMetadataKey] = extraJSON
        if !module.savedHyperparameters.isEmpty { meta[hyperparametersMetadataKey] = hyperparametersMetadata(module.savedHyperparameters) }
        // safetensors readers list names sorted; this keeps the module's order for `loadCheckpoint`
        meta[stateDictOrderMetadataKey] = String(decoding: (try? JSONEncoder().encode(modelState.keys)) ?? Data(), as: UTF8.self)
        if batchesThatStepped != globalStep { meta["batches_that_stepped"] = String(batchesThatStepped) }
        // what an exact resume needs: the random streams, where the epoch stands, the callbacks' state
        meta["rng_state.global"] = Data(defaultGenerator.getState()).base64EncodedString()
        if let g = trainLoaderGenerator { meta["rng_state.train_loader"] = Data(g.getState()).base64EncodedString() }
        if let c = cudaRNGState() { meta["rng_state.cuda"] = Data(c).base64EncodedString() }
        if let k = batchesDoneInEpoch, let start = epochStartRNG {
            meta["batches_in_epoch"] = String(k)
            meta["rng_state.epoch_start.global"] = Data(start.global).base64EncodedString()
            if let l = start.loader { meta["rng_state.epoch_start.train_loader"] = Data(l).base64EncodedString() }
            if let c = start.cuda { meta["rng_state.epoch_start.cuda"] = Data(c).base64EncodedString() }
        }
        for (i, c) in callbacks.enumerated() {
            let st = c.stateDict()
            if !st.isEmpty, let data = try? JSONEncoder().encode(st) {
                meta["callbacks.\(i).\(String(describing: type(of: c)))"] = String(decoding: data, as: UTF8.self)
            }
        }
        try save(sd, to: path, metadata: meta)
    }

    /// Random-generator states: the global one, the training loader's own (if it has one) and, when
    /// training on a GPU, its CUDA generator's (dropout masks and other draws on the device).
    struct RNGStates { var global: [UInt8]; var loader: [UInt8]?; var cuda: [UInt8]? = nil }
    /// Where a checkpoint left training: the states to restore and, for a mid-epoch one, the batches done.
    struct ResumePoint {
        var epoch: Int; var globalStep: Int; var batchesThatStepped: Int; var rng: RNGStates?; var batchesDone: Int?; var epochStart: RNGStates?
    }

    func applyRNG(_ r: RNGStates) {
        defaultGenerator.setState(r.global)
        if let l = r.loader { trainLoaderGenerator?.setState(l) }
        if let c = r.cuda, case .cuda(let i) = rootDevice { CUDA.setRNGState(c, device: i) }
    }
    /// The root device's CUDA generator state, when training on a GPU.
    private func cudaRNGState() -> [UInt8]? {
        if case .cuda(let i) = rootDevice { return CUDA.getRNGState(device: i) }
        return nil
    }

    /// Writes the checkpoint of the module the last `fit`, `validate`, `test` or `predict` ran (Lightning's
    /// `trainer.save_checkpoint(path)`), as `saveCheckpoint(_:_:)`.
    public func saveCheckpoint(_ path: String) throws {
        guard let m = lightningModule else {
            fail("Saving a checkpoint is only possible if a model is attached to the Trainer. Did you call `Trainer.save_checkpoint()` before calling `Trainer.{fit,validate,test,predict}`?")
        }
        try saveCheckpoint(path, m)
    }

    /// The `format` entry of a checkpoint's metadata.
    static let checkpointFormat = "descent-checkpoint"

    /// Lightning's `ckpt_path` words: "last" is the `ModelCheckpoint`'s last checkpoint (its
    /// `lastModelPath`, else the newest `last*.ckpt` in its folder; none found warns and starts from
    /// scratch, as Lightning), "best" its best one (which must exist); anything else is a path.
    func resolveCheckpointPath(_ ckptPath: String?, stage: String) -> String? {
        guard let word = ckptPath else { return nil }
        let checkpoints = checkpointCallbacks
        let fm = FileManager.default
        switch word {
        case "last":
            var candidates: [String] = checkpoints.map(\.lastModelPath).filter { !$0.isEmpty && fm.fileExists(atPath: $0) }
            if candidates.isEmpty {
                for c in checkpoints {
                    guard let dir = c.dirpath, let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
                    candidates += names.filter { $0.hasPrefix("last") && $0.hasSuffix(".ckpt") }.map { dir + "/" + $0 }
                }
            }
            func modified(_ p: String) -> Date { ((try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? .distantPast }
            guard let newest = candidates.max(by: { modified($0) < modified($1) }) else {
                if isGlobalZero {
                    FileHandle.standardError.write(Data(".\(stage)(ckpt_path=\"last\") is set, but there is no last checkpoint available. No checkpoint will be loaded. HINT: Set `ModelCheckpoint(..., save_last=True)`.\n".utf8))
                }
                return nil
            }
            return newest
        case "best":
            guard let c = checkpoints.first else {
                fail("`.\(stage)(ckpt_path=\"best\")` is set but `ModelCheckpoint` is not configured.")
            }
            if c.bestModelPath.isEmpty {
                fail("`.\(stage)(ckpt_path=\"best\")` is set but `ModelCheckpoint` is not configured to save the best model.")
            }
            return c.bestModelPath
        default:
            return word
        }
    }

    /// Loads a checkpoint into `model`, the optimizers and the LR schedulers; returns where it left training.
    /// The metadata is checked before anything is loaded.
    private func restore(from path: String, _ model: Module) throws -> ResumePoint {
        let meta = try safetensorsMetadata(from: path)
        guard let format = meta["format"] else { throw CheckpointError.missingField(path: path, field: "format") }
        if format != Trainer.checkpointFormat {
            throw CheckpointError.invalidField(path: path, field: "format", value: format, reason: "expected \(Trainer.checkpointFormat)")
        }
        let epoch = try CheckpointError.count(meta, "epoch", path: path)
        let step = try CheckpointError.count(meta, "global_step", path: path)
        /// A base64 generator state, checked by `isValid` (`expected` says what it must be).
        func stateField(_ key: String, _ isValid: ([UInt8]) -> Bool, _ expected: String) throws -> [UInt8]? {
            guard let text = meta[key] else { return nil }
            guard let data = Data(base64Encoded: text), isValid(Array(data)) else {
                throw CheckpointError.invalidField(path: path, field: key, value: String(text.prefix(40)), reason: "expected a base64 \(expected)")
            }
            return Array(data)
        }
        func rngField(_ key: String) throws -> [UInt8]? {
            try stateField(key, Generator.isValidState, "generator state of \(defaultGenerator.getState().count) bytes")
        }
        func cudaField(_ key: String) throws -> [UInt8]? {
            try stateField(key, Generator.isValidCUDAState, "CUDA generator state of 16 bytes (seed, offset a multiple of 4)")
        }
        let stepped = meta["batches_that_stepped"] == nil ? step : try CheckpointError.count(meta, "batches_that_stepped", path: path)
        var point = ResumePoint(epoch: epoch, globalStep: step, batchesThatStepped: stepped)
        if let g = try rngField("rng_state.global") {
            point.rng = RNGStates(global: g, loader: try rngField("rng_state.train_loader"), cuda: try cudaField("rng_state.cuda"))
        }
        if meta["batches_in_epoch"] != nil {
            point.batchesDone = try CheckpointError.count(meta, "batches_in_epoch", path: path)
            guard let g = try rngField("rng_state.epoch_start.global") else {
                throw CheckpointError.missingField(path: path, field: "rng_state.epoch_start.global")
            }
            point.epochStart = RNGStates(global: g, loader: try rngField("rng_state.epoch_start.train_loader"),
                                         cuda: try cudaField("rng_state.epoch_start.cuda"))
        }
        let stored: StateDict = try load(from: path)
        let parts = splitCheckpoint(stored)
        if let tm = model as? any TrainingModule { tm.onLoadCheckpoint(try trainerCheckpoint(stored, meta, path: path)) }
        try model.loadStateDict(parts.model)
        for (i, opt) in optimizers.enumerated() {
            let prefix = checkpointOptimizerPrefix + "\(i)."
            try CheckpointError.naming(path: path, prefix: prefix) { try opt.loadStateDict(parts.optimizers[i] ?? StateDict()) }
        }
        for (i, s) in lrSchedulers.enumerated() {
            // Lightning: "Trying to restore learning rate scheduler state but checkpoint contains only the model."
            guard let st = parts.schedulers[i], st.count > 0 else {
                throw CheckpointError.missingField(path: path, field: i == 0 ? "lr_schedulers" : "lr_schedulers.\(i)")
            }
            try CheckpointError.naming(path: path, prefix: checkpointSchedulerPrefix + "\(i).") { try s.loadStateDict(st) }
        }
        for (i, c) in callbacks.enumerated() {
            let key = "callbacks.\(i).\(String(describing: type(of: c)))"
            guard let text = meta[key] else { continue }
            guard let st = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
                throw CheckpointError.invalidField(path: path, field: key, value: String(text.prefix(40)), reason: "expected a JSON object of strings")
            }
            try c.loadStateDict(st)
        }
        return point
    }

    // MARK: - Printing

    private var epochStart = Date()
    /// One tqdm-style line on stderr: `Epoch 0:  46%|████      | 400/860 [00:02<00:02, 190.55it/s, val_loss=0.246]`.
    private func printProgress(done: Bool, batches: Int, batch: Int, label: String? = nil) {
        guard isGlobalZero else { return }
        let metrics = progressBarMetrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.3f", $0.value))" }
        let pct = batches > 0 ? 100 * batch / batches : 100
        let width = 10, filled = batches > 0 ? width * batch / batches : width
        let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
        let elapsed = Date().timeIntervalSince(epochStart)
        let rate = elapsed > 0 ? Double(batch) / elapsed : 0
        let remaining = rate > 0 ? Double(batches - batch) / rate : 0
        func clock(_ t: Double) -> String { let s = Int(t.rounded()); return String(format: "%02d:%02d", s / 60, s % 60) }
        var line = "\r\(label ?? "Epoch \(currentEpoch)"): \(String(format: "%3d", pct))%|\(bar)| \(batch)/\(batches) [\(clock(elapsed))<\(clock(remaining)), \(String(format: "%.2f", rate))it/s"
        if !metrics.isEmpty { line += ", " + metrics.joined(separator: ", ") }
        line += "]" + (done ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Lightning's plain-text results table (its output without the `rich` package, 120 columns).
    public func resultsTable(_ results: [String: Double], stage: String) -> String {
        guard !results.isEmpty else { return "" }
        let names = results.keys.sorted()
        let header = "DataLoader 0"
        let width = Swift.min(Swift.max(names.map(\.count).max() ?? 0, header.count, 25), 60)
        func center(_ s: String) -> String {
            let pad = Swift.max(width - s.count, 0)
            return String(repeating: " ", count: pad / 2) + s + String(repeating: " ", count: pad - pad / 2)
        }
        func row(_ a: String, _ b: String) -> String {
            var r = center(a) + center(b)
            while r.hasSuffix(" ") { r.removeLast() }
            return r
        }
        let bar = String(repeating: "─", count: 120)
        var lines = [bar, row(stage.prefix(1).uppercased() + stage.dropFirst() + " metric", header), bar]
        for n in names { lines.append(row(n, "\(results[n]!)")) }
        lines.append(bar)
        return lines.joined(separator: "\n")
    }

    /// Lightning's model summary: the direct children with their types and parameter counts.
    func modelSummary(_ model: Module) -> String {
        let kids = model.namedChildren()
        func fmt(_ n: Int) -> String {
            if n < 1000 { return "\(n)" }
            let units = ["K", "M", "B", "T"]
            var v = Double(n), i = -1
            while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
            return String(format: "%.1f %@", v, units[i])
        }
        let rows = kids.enumerated().map { (i, kv) -> [String] in
            let params = kv.1.parameters().reduce(0) { $0 + $1.count }
            return ["\(i)", kv.0, kv.1.typeName, fmt(params), kv.1.isTraining ? "train" : "eval"]
        }
        let headers = ["", "Name", "Type", "Params", "Mode"]
        var widths = headers.map(\.count)
        for r in rows { for (j, c) in r.enumerated() { widths[j] = Swift.max(widths[j], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: " | ")
        }
        let headerLine = line(headers)
        var out = [headerLine, String(repeating: "-", count: headerLine.count)]
        out += rows.map(line)
        let all = model.parameters()
        let trainable = all.filter(\.requiresGrad).reduce(0) { $0 + $1.count }
        let total = all.reduce(0) { $0 + $1.count }
        out.append(String(repeating: "-", count: headerLine.count))
        out.append(fmt(trainable).padding(toLength: 10, withPad: " ", startingAt: 0) + "Trainable params")
        out.append(fmt(total - trainable).padding(toLength: 10, withPad: " ", startingAt: 0) + "Non-trainable params")
        out.append(fmt(total).padding(toLength: 10, withPad: " ", startingAt: 0) + "Total params")
        out.append(String(format: "%-10.3f", Double(all.reduce(0) { $0 + $1.count * $1.dtype.itemSize }) / 1e6) + "Total estimated model params size (MB)")
        return out.joined(separator: "\n")
    }
}

/// A Trainer checkpoint that cannot be resumed from (`Trainer.fit(..., ckptPath:)`): a field missing or
/// holding a value that cannot be right. `field` is a metadata entry (`epoch`, `global_step`, `format`) or a
/// tensor's name in the file (`lr_schedulers.0.last_epoch`, `optimizer_states.0.state.0.step`).
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missingField(path: String, field: String)
    case invalidField(path: String, field: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .missingField(let p, let f): return "\(p): the checkpoint has no \(f)"
        case .invalidField(let p, let f, let v, let r): return "\(p): invalid \(f) in the checkpoint: \(v) (\(r))"
        }
    }

    /// A metadata count: decimal digits only, in 0...`maxStateInteger` (so that it can be incremented).
    static func count(_ meta: [String: String], _ field: String, path: String) throws -> Int {
        guard let text = meta[field] else { throw CheckpointError.missingField(path: path, field: field) }
        let shown = text.count > 40 ? String(text.prefix(40)) + "..." : text
        let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw CheckpointError.invalidField(path: path, field: field, value: shown, reason: "expected an integer")
        }
        guard !text.hasPrefix("-"), let v = Int(text), v <= maxStateInteger else {
            throw CheckpointError.invalidField(path: path, field: field, value: shown, reason: "expected an integer in 0...\(maxStateInteger)")
        }
        return v
    }

    /// Runs `body`, turning a `StateDictError` about a key into a `CheckpointError` about `prefix + key`.
    static func naming(path: String, prefix: String, _ body: () throws -> Void) throws {
        do { try body() } catch let e as StateDictError {
            switch e.prefixed(prefix) {
            case .keyMismatch(let missing, _) where !missing.isEmpty:
                throw CheckpointError.missingField(path: path, field: missing[0])
            case .shapeMismatch(let k, let expected, let got):
                throw CheckpointError.invalidField(path: path, field: k, value: "a tensor of shape \(got)", reason: "expected shape \(expected)")
            case .invalidValue(let k, let v, let r):
                throw CheckpointError.invalidField(path: path, field: k, value: v, reason: r)
            default: throw e
            }
        }
    }
}

/// What `Trainer(logger:)` takes (Lightning's `logger=` argument): `true` for the default `TensorBoardLogger`,
/// `false` or `nil` for no logging at all, or an array literal of loggers (`[tb, csv]`). A single logger is
/// passed as it is (`logger: tb`). Unlike Lightning, where `logger=None` is the default's placeholder and so
/// means the default logger, `logger: nil` here means none: that is what it reads as in Swift.
public struct LoggerChoice: ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    /// The loggers chosen; nil for the default one.
    let loggers: [ExperimentLogger]?
    /// These loggers (an empty array: none).
    public init(_ loggers: [ExperimentLogger]) { self.loggers = loggers }
    /// `true`: the default logger; `false`: none.
    public init(booleanLiteral value: Bool) { loggers = value ? nil : [] }
    /// `[tb, csv]`.
    public init(arrayLiteral elements: ExperimentLogger...) { loggers = elements }
    /// `nil`: no logger.
    public init(nilLiteral: ()) { loggers = [] }
}
