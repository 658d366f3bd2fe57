import Foundation

/// Hooks into a `Trainer`'s loops (Lightning's `Callback`): subclass and override what you need.
/// `module` is the model being trained.
open class Callback {
    public init() {}
    open func onFitStart(_ trainer: Trainer, _ module: Module) throws {}
    open func onFitEnd(_ trainer: Trainer, _ module: Module) throws {}
    open func onTrainEpochStart(_ trainer: Trainer, _ module: Module) throws {}
    /// After the epoch's training batches, its validation and the module's `onTrainEpochEnd`.
    open func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {}
    /// Before each training batch's step (Lightning's `on_train_batch_start`); `batch` is the module's `Batch`.
    open func onTrainBatchStart(_ trainer: Trainer, _ module: Module, batch: Any, batchIndex: Int) throws {}
    open func onTrainBatchEnd(_ trainer: Trainer, _ module: Module, loss: Tensor, batchIndex: Int) throws {}
    /// Once training begins, after the validation sanity check (Lightning's `on_train_start`).
    open func onTrainStart(_ trainer: Trainer, _ module: Module) throws {}
    /// Once training ends, before `onFitEnd` (Lightning's `on_train_end`).
    open func onTrainEnd(_ trainer: Trainer, _ module: Module) throws {}
    open func onValidationEpochStart(_ trainer: Trainer, _ module: Module) throws {}
    open func onValidationEpochEnd(_ trainer: Trainer, _ module: Module) throws {}
    /// After a validation run, once its epoch metrics are in `trainer.callbackMetrics`.
    open func onValidationEnd(_ trainer: Trainer, _ module: Module) throws {}
    open func onTestEpochEnd(_ trainer: Trainer, _ module: Module) throws {}
    open func onPredictStart(_ trainer: Trainer, _ module: Module) throws {}
    open func onPredictEnd(_ trainer: Trainer, _ module: Module) throws {}
    /// What the callback must remember across a resume (Lightning's `state_dict`), saved in checkpoints.
    open func stateDict() -> [String: String] { [:] }
    /// Restores what `stateDict()` returned, when training resumes from a checkpoint (Lightning's `load_state_dict`).
    open func loadStateDict(_ state: [String: String]) throws {}
    /// Monitoring callbacks (ModelCheckpoint, EarlyStopping) get `onTrainEpochEnd` after the module's
    /// own hook, the others before it, as in Lightning.
    var isMonitoring: Bool { false }
}

/// Whether a smaller or a larger monitored value is better.
public enum MonitorMode: String, Sendable { case min, max }

/// Saves checkpoints while training (Lightning's `ModelCheckpoint`): after each validation (or each
/// epoch when there is none), keeps the `saveTopK` best by `monitor` (or the latest when `monitor`
/// is nil). A checkpoint is a safetensors file holding the model's state dict under its own names,
/// the optimizers' states under `optimizer_states.<i>.`, and `epoch` / `global_step` in the metadata;
/// `loadFromCheckpoint` and `Trainer.fit(..., ckptPath:)` read it back. Writes are atomic.
public final class ModelCheckpoint: Callback {
    public let monitor: String?
    public let mode: MonitorMode
    public let saveTopK: Int
    public let saveLast: Bool
    public let everyNEpochs: Int
    /// Save after every this many optimizer steps, in the middle of epochs (Lightning's `every_n_train_steps`;
    /// 0: off). When set, nothing is saved at the ends of epochs. A mid-epoch checkpoint resumes at its batch.
    public let everyNTrainSteps: Int
    /// The folder (default: `<logger's logDir>/checkpoints`, or `<defaultRootDir>/checkpoints`).
    public private(set) var dirpath: String?
    /// The file name template (default `"epoch={epoch}-step={step}"`); `{name}` and `{name:.2f}` take
    /// `epoch`, `step` or a logged metric and are written `name=value`.
    public let filename: String?
    /// The best checkpoint so far ("" before the first save).
    public private(set) var bestModelPath = ""
    /// Its monitored value.
    public private(set) var bestModelScore: Double?
    /// The latest checkpoint written (`last.ckpt` with `saveLast`).
    public private(set) var lastModelPath = ""
    /// The kept checkpoints and their scores (empty without `monitor`, as Lightning's).
    public var bestKModels: [String: Double] { monitor == nil ? [:] : kept }
    private var kept: [String: Double] = [:]

    public init(dirpath: String? = nil, filename: String? = nil, monitor: String? = nil, mode: MonitorMode = .min,
                saveTopK: Int = 1, saveLast: Bool = false, everyNEpochs: Int = 1, everyNTrainSteps: Int = 0) {
        if saveTopK < -1 { fail("Invalid value for save_top_k=\(saveTopK). Must be >= -1") }
        if everyNTrainSteps < 0 { fail("Invalid value for every_n_train_steps=\(everyNTrainSteps). Must be >= 0") }
        self.dirpath = dirpath; self.filename = filename; self.monitor = monitor; self.mode = mode
        self.saveTopK = saveTopK; self.saveLast = saveLast; self.everyNEpochs = everyNEpochs
        self.everyNTrainSteps = everyNTrainSteps
    }

    /// The global step of the last save after a validation or an epoch (Lightning saves once per step, so
    /// validations within an epoch each get their checkpoint).
    var savedAtEpochStep = -1
    private var savedAtStep = -1

    public override func onTrainBatchEnd(_ trainer: Trainer, _ module: Module, loss: Tensor, batchIndex: Int) throws {
        guard everyNTrainSteps > 0, trainer.globalStep > 0, trainer.globalStep % everyNTrainSteps == 0, savedAtStep != trainer.globalStep else { return }
        savedAtStep = trainer.globalStep
        try save(trainer, module, midEpoch: true)
    }

    public override func stateDict() -> [String: String] {
        var st = ["best_model_path": bestModelPath, "last_model_path": lastModelPath]
        if let b = bestModelScore { st["best_model_score"] = "\(b)" }
        if let data = try? JSONEncoder().encode(kept), let text = String(data: data, encoding: .utf8) { st["best_k_models"] = text }
        return st
    }
    public override func loadStateDict(_ state: [String: String]) throws {
        bestModelPath = state["best_model_path"] ?? ""
        lastModelPath = state["last_model_path"] ?? ""
        bestModelScore = state["best_model_score"].flatMap(Double.init)
        if let text = state["best_k_models"], let k = try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8)) { kept = k }
    }

    public override func onFitStart(_ trainer: Trainer, _ module: Module) throws {
        if dirpath == nil { dirpath = trainer.logDir + "/checkpoints" }
    }
    override var isMonitoring: Bool { true }
    /// After validation only when validation does not run every epoch (then at the epoch's end).
    public override func onValidationEnd(_ trainer: Trainer, _ module: Module) throws {
        if trainer.sanityChecking || trainer.checksOnTrainEpochEnd { return }
        try save(trainer, module)
    }
    public override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {
        if !trainer.checksOnTrainEpochEnd { return }
        try save(trainer, module)
    }

    func better(_ a: Double, than b: Double) -> Bool { mode == .min ? a < b : a > b }

    func save(_ trainer: Trainer, _ module: Module, midEpoch: Bool = false) throws {
        if trainer.fastDevRun > 0 { return }   // Lightning: checkpointing is suppressed in fast_dev_run
        if midEpoch {
            guard saveTopK != 0 || saveLast else { return }
        } else {
            guard everyNTrainSteps == 0, saveTopK != 0 || saveLast, (trainer.currentEpoch + 1) % everyNEpochs == 0,
                  savedAtEpochStep != trainer.globalStep else { return }
            savedAtEpochStep = trainer.globalStep
        }
        let dir = dirpath ?? trainer.logDir + "/checkpoints"
        if trainer.isGlobalZero { try makeDirectory(dir) }
        let name = formatName(trainer)
        if saveTopK != 0 {
            if let m = monitor {
                guard let raw = trainer.callbackMetrics[m] else {
                    fail("`ModelCheckpoint(monitor='\(m)')` could not find the monitored key in the returned metrics: \(trainer.callbackMetrics.keys.sorted()). HINT: Did you call `log('\(m)', value)` in the `LightningModule`?")
                }
                // Lightning keeps a NaN score as the worst possible one (inf in min mode, -inf in max mode)
                let score = raw.isNaN ? (mode == .min ? Double.infinity : -Double.infinity) : raw
                let path = dir + "/" + name + ".ckpt"
                let worst = kept.max { better($0.value, than: $1.value) }
                if saveTopK == -1 || kept.count < saveTopK || (worst.map { better(score, than: $0.value) } ?? true) {
                    try trainer.saveCheckpoint(path, module)
                    kept[path] = score
                    if saveTopK != -1 && kept.count > saveTopK, let w = worst, w.key != path {
                        kept[w.key] = nil
                        if trainer.isGlobalZero { try? FileManager.default.removeItem(atPath: w.key) }
                    }
                    let best = kept.min { better($0.value, than: $1.value) }!
                    bestModelPath = best.key; bestModelScore = best.value
                }
            } else {
                // no monitor: keep the latest
                let path = dir + "/" + name + ".ckpt"
                try trainer.saveCheckpoint(path, module)
                if saveTopK != -1 {
                    for old in kept.keys where old != path && trainer.isGlobalZero { try? FileManager.default.removeItem(atPath: old) }
                    kept = [:]
                }
                kept[path] = 0
                bestModelPath = path
            }
        }
        if saveLast {
            lastModelPath = dir + "/last.ckpt"
            try trainer.saveCheckpoint(lastModelPath, module)
        }
    }

    /// `epoch={epoch}-step={step}` with the values filled in (Lightning's auto-inserted metric names).
    func formatName(_ trainer: Trainer) -> String {
        let template = filename ?? "{epoch}-{step}"
        var out = "", i = template.startIndex
        while i < template.endIndex {
            if template[i] == "{", let close = template[i...].firstIndex(of: "}") {
                let spec = template[template.index(after: i)..<close]
                let parts = spec.split(separator: ":", maxSplits: 1)
                let key = String(parts.first ?? "")
                let value: Double? = key == "epoch" ? Double(trainer.currentEpoch) : key == "step" ? Double(trainer.globalStep)
                    : trainer.callbackMetrics[key]
                var text = value.map { pythonNumber($0, integral: key == "epoch" || key == "step") } ?? "nan"
                // Python's format specs as printf's: `{val_loss:.3f}`, `{epoch:02d}`, `{lr:.2e}`
                if parts.count == 2, let v = value, let kind = parts[1].last, parts[1].dropLast().allSatisfy({ "0123456789.+- ".contains($0) }) {
                    let flags = String(parts[1].dropLast())
                    if kind == "d" { text = String(format: "%\(flags)lld", Int64(v.rounded(.towardZero))) }
                    else if "fFeEgG".contains(kind) { text = String(format: "%\(flags)\(kind)", v) }
                }
                out += key + "=" + text
                i = template.index(after: close)
            } else {
                out.append(template[i]); i = template.index(after: i)
            }
        }
        return out
    }
}

/// Stops training when a monitored metric stops improving (Lightning's `EarlyStopping`): after
/// `patience` validation runs without an improvement of more than `minDelta`.
public final class EarlyStopping: Callback {
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    public let stoppingThreshold: Double?
    public let divergenceThreshold: Double?
    public let checkFinite: Bool
    /// Whether to print (on stderr) each improvement and the reason for stopping, as Lightning's `verbose=True`.
    public let verbose: Bool
    /// Why training was stopped (Lightning's `EarlyStoppingReason`).
    public enum Reason: Int, Sendable { case notStopped = 0, stoppingThreshold, divergenceThreshold, patienceExhausted, nonFiniteMetric }
    /// Why this callback stopped training (`.notStopped` while it has not).
    public private(set) var stoppingReason = Reason.notStopped
    /// Lightning's message for it (`Monitored metric val_loss = nan is not finite. ...`), nil while not stopped.
    public private(set) var stoppingReasonMessage: String?
    /// Validation runs since the last improvement.
    public private(set) var waitCount = 0
    public private(set) var bestScore: Double
    /// The epoch at which training was stopped (0 if it was not).
    public private(set) var stoppedEpoch = 0

    /// Lightning's defaults: `patience` 3, `mode` min, `checkFinite` true (a NaN or infinite value stops training), `verbose` false.
    public init(monitor: String, minDelta: Double = 0, patience: Int = 3, verbose: Bool = false, mode: MonitorMode = .min,
                checkFinite: Bool = true, stoppingThreshold: Double? = nil, divergenceThreshold: Double? = nil) {
        self.verbose = verbose
        self.monitor = monitor; self.minDelta = Swift.abs(minDelta); self.patience = patience; self.mode = mode
        self.checkFinite = checkFinite; self.stoppingThreshold = stoppingThreshold; self.divergenceThreshold = divergenceThreshold
        bestScore = mode == .min ? .infinity : -.infinity
    }

    override var isMonitoring: Bool { true }
    public override func stateDict() -> [String: String] {
        ["wait_count": "\(waitCount)", "stopped_epoch": "\(stoppedEpoch)", "best_score": "\(bestScore)", "patience": "\(patience)"]
    }
    public override func loadStateDict(_ state: [String: String]) throws {
        waitCount = state["wait_count"].flatMap(Int.init) ?? waitCount
        stoppedEpoch = state["stopped_epoch"].flatMap(Int.init) ?? stoppedEpoch
        bestScore = state["best_score"].flatMap(Double.init) ?? bestScore
    }
    public override func onValidationEnd(_ trainer: Trainer, _ module: Module) throws {
        if trainer.sanityChecking || trainer.checksOnTrainEpochEnd { return }
        try check(trainer)
    }
    /// When validation runs every epoch (or never), the check comes after the module's `onTrainEpochEnd`.
    public override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {
        if trainer.checksOnTrainEpochEnd { try check(trainer) }
    }
    func check(_ trainer: Trainer) throws {
        if trainer.fastDevRun > 0 { return }   // Lightning disables early stopping in fast_dev_run
        guard let current = trainer.callbackMetrics[monitor] else {
            fail("Early stopping conditioned on metric `\(monitor)` which is not available. Pass in or modify your `EarlyStopping` callback to use any of the following: `\(trainer.callbackMetrics.keys.sorted().joined(separator: "`, `"))`")
        }
        var stop = false
        var reason: String?
        let order = mode == .min ? "<" : ">"
        func f3(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : pythonRepr(v) }
        if checkFinite && !current.isFinite {
            stop = true; stoppingReason = .nonFiniteMetric
            reason = "Monitored metric \(monitor) = \(pythonRepr(current)) is not finite. Previous best value was \(f3(bestScore)). Signaling Trainer to stop."
        } else if let s = stoppingThreshold, mode == .min ? current < s : current > s {
            stop = true; stoppingReason = .stoppingThreshold
            reason = "Stopping threshold reached: \(monitor) = \(pythonRepr(current)) \(order) \(pythonRepr(s)). Signaling Trainer to stop."
        } else if let d = divergenceThreshold, mode == .min ? current > d : current < d {
            stop = true; stoppingReason = .divergenceThreshold
            reason = "Divergence threshold reached: \(monitor) = \(pythonRepr(current)) \(order) \(pythonRepr(d)). Signaling Trainer to stop."
        } else if mode == .min ? current + minDelta < bestScore : current - minDelta > bestScore {
            reason = bestScore.isFinite
                ? "Metric \(monitor) improved by \(f3(Swift.abs(bestScore - current))) >= min_delta = \(pythonRepr(minDelta)). New best score: \(f3(current))"
                : "Metric \(monitor) improved. New best score: \(f3(current))"
            bestScore = current; waitCount = 0
        } else {
            waitCount += 1
            if waitCount >= patience {
                stop = true; stoppingReason = .patienceExhausted
                reason = "Monitored metric \(monitor) did not improve in the last \(waitCount) records. Best score: \(f3(bestScore)). Signaling Trainer to stop."
            }
        }
        if stop { stoppedEpoch = trainer.currentEpoch; trainer.shouldStop = true; stoppingReasonMessage = reason }
        if verbose, let r = reason { FileHandle.standardError.write(Data((r + "\n").utf8)) }
    }
}

/// Logs the learning rate while training (Lightning's `LearningRateMonitor`): as `lr-<Optimizer>` (`lr-Adam`;
/// `lr-Adam/pg1`, `/pg2`, ... with several parameter groups), with `-momentum` (β₁ for the Adam family) and
/// `-weight_decay` entries on request. `loggingInterval` nil logs at the scheduler's interval (`.step`: every
/// `logEveryNSteps` steps; `.epoch`: at each epoch's start), and always when there is no scheduler; `.step` or
/// `.epoch` forces one. The values go straight to the loggers at the current `globalStep` and into `callbackMetrics`.
public final class LearningRateMonitor: Callback {
    /// When to log: every `logEveryNSteps` optimizer steps, or at each epoch's start.
    public enum Interval: String, Sendable { case step, epoch }
    public let loggingInterval: Interval?
    public let logMomentum: Bool
    public let logWeightDecay: Bool
    /// Every learning rate logged, by name.
    public private(set) var lrs: [String: [Double]] = [:]

    public init(loggingInterval: Interval? = nil, logMomentum: Bool = false, logWeightDecay: Bool = false) {
        self.loggingInterval = loggingInterval
        self.logMomentum = logMomentum
        self.logWeightDecay = logWeightDecay
    }

    public override func onTrainStart(_ trainer: Trainer, _ module: Module) throws {
        if trainer.loggers.isEmpty { fail("Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger.") }
    }

    public override func onTrainBatchStart(_ trainer: Trainer, _ module: Module, batch: Any, batchIndex: Int) throws {
        guard trainer.shouldUpdateLogs, loggingInterval != .epoch else { return }
        try log(trainer, loggingInterval == nil ? .step : nil)
    }

    public override func onTrainEpochStart(_ trainer: Trainer, _ module: Module) throws {
        guard loggingInterval != .step else { return }
        try log(trainer, loggingInterval == nil ? .epoch : nil)
    }

    /// Logs the optimizers' rates, Lightning's way: first those whose scheduler steps at `interval` (any interval
    /// when nil), then every optimizer without a scheduler; named `lr-<Optimizer>`, `-1`, `-2`... for repeated
    /// optimizer types, `/pg<k>` for several parameter groups.
    private func log(_ trainer: Trainer, _ interval: LRSchedulerInterval?) throws {
        guard !trainer.optimizers.isEmpty else { return }
        var seen = Set<ObjectIdentifier>(), typeCounts: [String: Int] = [:]
        var stats: [String: Double] = [:]
        func names(_ opt: Optimizer) -> [String] {
            seen.insert(ObjectIdentifier(opt))
            let type = String(describing: Swift.type(of: opt))
            typeCounts[type, default: 0] += 1
            let count = typeCounts[type]!
            let name = "lr-" + type + (count > 1 ? "-\(count - 1)" : "")
            return opt.paramGroups.count > 1 ? opt.paramGroups.indices.map { name + "/pg\($0 + 1)" } : [name]
        }
        func record(_ opt: Optimizer, _ names: [String]) {
            for (g, n) in zip(opt.paramGroups, names) {
                stats[n] = g.lr
                lrs[n, default: []].append(g.lr)
                let o = g.options
                if logMomentum { stats[n + "-momentum"] = o["betas.0"] ?? o["momentum"] ?? 0 }
                if logWeightDecay, let wd = o["weight_decay"] { stats[n + "-weight_decay"] = wd }
            }
        }
        for s in trainer.lrSchedulers {
            let ns = names(s.optimizer)
            if interval == nil || interval == trainer.lrSchedulerInterval { record(s.optimizer, ns) }
        }
        for opt in trainer.optimizers where !seen.contains(ObjectIdentifier(opt)) { record(opt, names(opt)) }
        guard !stats.isEmpty else { return }
        try trainer.logDirectly(stats, step: trainer.batchesThatStepped)
    }
}
