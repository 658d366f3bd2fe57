import Foundation
import Testing
import Descent

// Trainer checkpoints: LR scheduler state (Lightning's `lr_schedulers`), resume, validation of every
// field read back, and the clean-up of temporary files that interrupted writes leave behind.

/// y = x·[1, -2, 0.5] + 0.3 (10 training rows, 6 validation rows).
private func regression(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
    manualSeed(seed)
    let x = Tensor.randn(n, 3)
    return (x, x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3)
}

private final class Data3: DataModule {
    let train = regression(10, seed: 1), val = regression(6, seed: 2)
    func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(train.0, train.1), batchSize: 4) }
    func valDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(val.0, val.1), batchSize: 4) }
}

/// SGD(0.1) on a Linear(3, 1), with the scheduler `schedule` makes.
private final class Scheduled: Module, TrainingModule {
    let lin = Linear(3, 1)
    let schedule: (Optimizer) -> LRScheduler?
    init(_ schedule: @escaping (Optimizer) -> LRScheduler?) { self.schedule = schedule; super.init() }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let loss = mseLoss(self(batch.0), batch.1)
        log("val_loss", loss)
        return loss
    }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { schedule(optimizer) }
    var bits: [UInt32] { (lin.weight.toArray(Float.self) + lin.bias!.toArray(Float.self)).map(\.bitPattern) }
}

/// A module with hyper-parameters and checkpoint hooks (Lightning's on_save_checkpoint / on_load_checkpoint).
private final class Noted: Module, TrainingModule, HyperparametersInitializable {
    let lin: Linear, out: Linear
    var note: String?
    var loads = 0
    init(hidden: Int = 4, tag: String = "a") {
        lin = Linear(3, hidden); out = Linear(hidden, 1)
        super.init()
        saveHyperparameters(["hidden": .init(hidden), "tag": .init(tag)])
    }
    convenience init(hparams: [String: HParamValue]) { self.init(hidden: hparams["hidden"]!.int!, tag: hparams["tag"]!.string!) }
    override func forward(_ x: Tensor) -> Tensor { out(lin(x).relu()) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.05) }
    func onSaveCheckpoint(_ checkpoint: inout Checkpoint) {
        checkpoint["note"] = "saved at epoch \(trainer?.currentEpoch ?? -1)"
        checkpoint["scale"] = Tensor([2.0, 3.0] as [Float])
    }
    func onLoadCheckpoint(_ checkpoint: Checkpoint) { note = checkpoint["note"]; loads += 1 }
    var bits: [UInt32] { parameters().flatMap { $0.toArray(Float.self) }.map(\.bitPattern) }
}

private func scratchDir() -> String {
    let d = NSTemporaryDirectory() + "descent-ckpt-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func quietTrainer(_ epochs: Int, _ callbacks: [Callback] = [], checkpointing: Bool = false) -> Trainer {
    Trainer(maxEpochs: epochs, callbacks: callbacks, loggers: [], enableCheckpointing: checkpointing,
            enableProgressBar: false, enableModelSummary: false)
}

/// A straight `total`-epoch run and one stopped after `stop` epochs and resumed from its `last.ckpt`:
/// (straight model, its trainer, resumed model, its trainer, the checkpoint's path).
private func straightAndResumed(_ schedule: @escaping (Optimizer) -> LRScheduler?, stop: Int, total: Int, dir: String) throws
    -> (Scheduled, Trainer, Scheduled, Trainer, String) {
    manualSeed(0)
    let straight = Scheduled(schedule)
    let t1 = quietTrainer(total)
    try t1.fit(straight, dataModule: Data3())

    manualSeed(0)
    let first = Scheduled(schedule)
    let ckpt = ModelCheckpoint(dirpath: dir, saveTopK: 0, saveLast: true)
    try quietTrainer(stop, [ckpt], checkpointing: true).fit(first, dataModule: Data3())
    let resumed = Scheduled(schedule)   // fresh weights: all of them must come from the checkpoint
    let t2 = quietTrainer(total)
    try t2.fit(resumed, dataModule: Data3(), ckptPath: ckpt.lastModelPath)
    return (straight, t1, resumed, t2, ckpt.lastModelPath)
}

extension Core {
@Suite struct CheckpointTests {
    /// Issue #15's case: StepLR(stepSize: 1, gamma: 0.5), stopped after epoch 1 and resumed to 3 epochs, ends
    /// where the straight run does: lr 0.1 · 0.5³ = 0.0125 (exact: halving is exact in binary), same weight bits.
    @Test func stepLRResumesExactly() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (straight, t1, resumed, t2, path) = try straightAndResumed({ StepLR($0, stepSize: 1, gamma: 0.5) }, stop: 1, total: 3, dir: dir)
        #expect(t1.lrScheduler!.getLastLR() == [0.0125] && t1.optimizer!.paramGroups[0].lr == 0.0125)
        #expect(t2.lrScheduler!.getLastLR() == [0.0125] && t2.optimizer!.paramGroups[0].lr == 0.0125)
        #expect(t2.lrScheduler!.lastEpoch == 3 && t2.globalStep == 9 && t2.currentEpoch == 3)
        #expect(resumed.bits == straight.bits)
        // The checkpoint holds the scheduler as PyTorch's state_dict() names it, stepped for epoch 0.
        let sd = try load(from: path)
        #expect(sd["lr_schedulers.0.last_epoch"]?.item() == 1 && sd["lr_schedulers.0._step_count"]?.item() == 2)
        #expect(sd["lr_schedulers.0._last_lr"].map(values) == [0.05] && sd["lr_schedulers.0.base_lrs"].map(values) == [0.1])
        #expect(sd["lr_schedulers.0.step_size"]?.item() == 1 && sd["lr_schedulers.0.gamma"]?.item() == 0.5)
        // loadFromCheckpoint takes the weights only
        let plain = Scheduled { _ in nil }
        try plain.loadFromCheckpoint(path)
    }

    /// The plain loop the Trainer reproduces: SGD(0.1) with StepLR(1, 0.5) stepped after each epoch's last batch.
    @Test func stepLRTrainerMatchesThePlainLoop() throws {
        manualSeed(0)
        let m = Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }
        try quietTrainer(3).fit(m, dataModule: Data3())
        manualSeed(0)
        let p = Scheduled { _ in nil }
        let opt = SGD(p.parameters(), lr: 0.1)
        let sch = StepLR(opt, stepSize: 1, gamma: 0.5)
        let data = Data3()
        for _ in 0..<3 {
            for (x, y) in data.trainDataLoader() { mseLoss(p(x), y).backward(); opt.step(); opt.zeroGrad() }
            sch.step()
        }
        #expect(m.bits == p.bits)
    }

    /// ReduceLROnPlateau in max mode on a falling val_loss, patience 0: every epoch after the first reduces the lr.
    /// Its step comes before the checkpoint, so a resumed run continues exactly (Lightning would lose that step).
    @Test func plateauResumesExactly() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (straight, t1, resumed, t2, path) = try straightAndResumed({ ReduceLROnPlateau($0, mode: .max, factor: 0.5, patience: 0) },
                                                                        stop: 2, total: 4, dir: dir)
        // epochs 1, 2, 3 are no better than epoch 0 in max mode: 0.1 / 2³
        #expect(t1.optimizer!.paramGroups[0].lr == 0.0125 && t2.optimizer!.paramGroups[0].lr == 0.0125)
        #expect(resumed.bits == straight.bits)
        let p1 = t1.lrScheduler as! ReduceLROnPlateau, p2 = t2.lrScheduler as! ReduceLROnPlateau
        #expect(p1.best == p2.best && p1.lastEpoch == 4 && p2.lastEpoch == 4)
        let sd = try load(from: path)
        #expect(sd["lr_schedulers.0.last_epoch"]?.item() == 2 && sd["lr_schedulers.0._last_lr"].map(values) == [0.05])
    }

    /// Every scheduler: k steps, state dicts of optimizer and scheduler into fresh ones, the remaining
    /// steps; the learning rates (and the cycled momentum) are those of the uninterrupted run, bit for bit.
    @Test func everySchedulerResumesFromItsStateDict() throws {
        func twoGroups() -> [ParamGroup] {
            [ParamGroup(params: [Parameter(Tensor.zeros(2))]), ParamGroup(params: [Parameter(Tensor.zeros(3))], lr: 0.05)]
        }
        let makers: [(String, (Optimizer) -> LRScheduler)] = [
            ("step", { StepLR($0, stepSize: 2, gamma: 0.5) }),
            ("multistep", { MultiStepLR($0, milestones: [2, 5, 5], gamma: 0.3) }),
            ("exponential", { ExponentialLR($0, gamma: 0.9) }),
            ("cosine", { CosineAnnealingLR($0, tMax: 4, etaMin: 0.001) }),
            ("onecycle", { OneCycleLR($0, maxLR: [1.0, 0.5], totalSteps: 12) }),
            ("warm restarts", { CosineAnnealingWarmRestarts($0, t0: 2, tMult: 2, etaMin: 0.001) }),
            ("linear", { LinearLR($0, startFactor: 0.25, totalIters: 4) }),
            ("constant", { ConstantLR($0, factor: 0.5, totalIters: 3) }),
            ("lambda", { LambdaLR($0, lrLambda: { 1.0 / Double($0 + 1) }) }),
            ("sequential", { SequentialLR($0, schedulers: [LinearLR($0, startFactor: 0.5, totalIters: 2),
                                                          ExponentialLR($0, gamma: 0.8)], milestones: [3]) }),
            ("chained", { ChainedScheduler([ExponentialLR($0, gamma: 0.9), StepLR($0, stepSize: 3, gamma: 0.5)]) }),
        ]
        for (name, make) in makers {
            func run(_ opt: Optimizer, _ s: LRScheduler, _ n: Int) -> [[Double]] {
                (0..<n).map { _ in opt.step(); s.step(); return opt.paramGroups.map(\.lr) + [opt.paramGroups[0].options["momentum"] ?? 0] }
            }
            let o1 = SGD(groups: twoGroups(), lr: 0.1, momentum: 0.9), s1 = make(o1)
            let all = run(o1, s1, 11)
            let o2 = SGD(groups: twoGroups(), lr: 0.1, momentum: 0.9), s2 = make(o2)
            let head = run(o2, s2, 5)
            let optState = o2.stateDict(), schState = s2.stateDict()
            let o3 = SGD(groups: twoGroups(), lr: 0.1, momentum: 0.9), s3 = make(o3)
            try o3.loadStateDict(optState)
            try s3.loadStateDict(schState)
            #expect(s3.getLastLR() == s2.getLastLR(), "\(name)")
            let tail = run(o3, s3, 6)
            #expect(head + tail == all, "\(name)")
        }
    }

    // MARK: - Validation

    /// A checkpoint of a 1-epoch run with StepLR, then rewritten with `change` applied to its tensors and metadata.
    private func damagedCheckpoint(_ dir: String, _ change: (inout StateDict, inout [String: String]) -> Void) throws -> String {
        manualSeed(0)
        let ckpt = ModelCheckpoint(dirpath: dir, saveTopK: 0, saveLast: true)
        try quietTrainer(1, [ckpt], checkpointing: true).fit(Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }, dataModule: Data3())
        var sd = try load(from: ckpt.lastModelPath)
        var meta = try safetensorsMetadata(from: ckpt.lastModelPath)
        change(&sd, &meta)
        let path = dir + "/damaged-\(UUID().uuidString).ckpt"
        try save(sd, to: path, metadata: meta)
        return path
    }

    /// Resumes from `path`; returns the CheckpointError thrown (nil when none, or another error).
    private func resumeError(_ path: String) -> CheckpointError? {
        let m = Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }
        do { try quietTrainer(3).fit(m, dataModule: Data3(), ckptPath: path); return nil } catch { return error as? CheckpointError }
    }

    @Test func badMetadataThrowsNamingTheField() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "-1", "1.5", "1e3", "nan", "NaN",
                   "inf", "abc", "", " 1", "0x10", "+1", "9007199254740993"]
        for field in ["epoch", "global_step"] {
            for value in bad {
                let path = try damagedCheckpoint(dir) { _, meta in meta[field] = value }
                guard case .invalidField(_, let f, _, _)? = resumeError(path) else {
                    Issue.record("\(field)=\(value) was not rejected"); continue
                }
                #expect(f == field, "\(field)=\(value)")
            }
            let path = try damagedCheckpoint(dir) { _, meta in meta[field] = nil }
            #expect(resumeError(path) == .missingField(path: path, field: field))
        }
        let other = try damagedCheckpoint(dir) { _, meta in meta["format"] = "something-else" }
        #expect(resumeError(other) == .invalidField(path: other, field: "format", value: "something-else", reason: "expected descent-checkpoint"))
        // the largest allowed values load (and the loop then has nothing left to run)
        let big = try damagedCheckpoint(dir) { _, meta in meta["epoch"] = "9007199254740992"; meta["global_step"] = "9007199254740992" }
        let m = Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }
        let t = quietTrainer(3)
        try t.fit(m, dataModule: Data3(), ckptPath: big)
        #expect(t.globalStep == 9007199254740992)
        #expect("\(CheckpointError.invalidField(path: "a.ckpt", field: "epoch", value: "-1", reason: "expected an integer in 0...9007199254740992"))"
                == "a.ckpt: invalid epoch in the checkpoint: -1 (expected an integer in 0...9007199254740992)")
    }

    /// The fields an exact resume reads: generator states, the batch position, callback state.
    @Test func badResumeFieldsThrowNamingTheField() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for value in ["", "not base64!", Data([1, 2, 3]).base64EncodedString()] {
            let path = try damagedCheckpoint(dir) { _, meta in meta["rng_state.global"] = value }
            guard case .invalidField(_, let f, _, _)? = resumeError(path) else { Issue.record("rng_state.global=\(value) was not rejected"); continue }
            #expect(f == "rng_state.global")
        }
        // the right size, but mt19937's position outside its 624 words (found by the fuzzer: a draw read
        // out of bounds): offsets 2496 (left) and 2500 (next) of the state
        for (offset, value) in [(2496, Int32(0)), (2496, Int32(625)), (2500, Int32(-1)), (2500, Int32(100_000)), (2500, Int32(624))] {
            let path = try damagedCheckpoint(dir) { _, meta in
                var state = Array(Data(base64Encoded: meta["rng_state.global"]!)!)
                withUnsafeBytes(of: value.littleEndian) { for k in 0..<4 { state[offset + k] = $0[k] } }
                meta["rng_state.global"] = Data(state).base64EncodedString()
            }
            guard case .invalidField(_, "rng_state.global", _, _)? = resumeError(path) else { Issue.record("state with \(value) at \(offset) was not rejected"); continue }
        }
        // a mid-epoch position without the epoch's starting state, or not a count
        let noStart = try damagedCheckpoint(dir) { _, meta in meta["batches_in_epoch"] = "3" }
        #expect(resumeError(noStart) == .missingField(path: noStart, field: "rng_state.epoch_start.global"))
        let badCount = try damagedCheckpoint(dir) { _, meta in meta["batches_in_epoch"] = "-2"; meta["rng_state.epoch_start.global"] = meta["rng_state.global"] }
        guard case .invalidField(_, "batches_in_epoch", _, _)? = resumeError(badCount) else { Issue.record("batches_in_epoch=-2 was not rejected"); return }
        // callback state that is not a JSON object of strings
        let es = EarlyStopping(monitor: "val_loss")
        let m = Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }
        let withES = try damagedCheckpoint(dir) { _, meta in meta["callbacks.0.EarlyStopping"] = "[1, 2" }
        do { try quietTrainer(3, [es]).fit(m, dataModule: Data3(), ckptPath: withES); Issue.record("bad callback state was not rejected") }
        catch let e as CheckpointError { guard case .invalidField(_, "callbacks.0.EarlyStopping", _, _) = e else { Issue.record("\(e)"); return } }
    }

    /// EarlyStopping's wait count and best score, and ModelCheckpoint's best path, survive a resume.
    @Test func callbackStateIsRestored() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let es1 = EarlyStopping(monitor: "val_loss", patience: 10)
        let ck1 = ModelCheckpoint(dirpath: dir, monitor: "val_loss", saveLast: true)
        try quietTrainer(2, [es1, ck1], checkpointing: true).fit(Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }, dataModule: Data3())
        let es2 = EarlyStopping(monitor: "val_loss", patience: 10)
        let ck2 = ModelCheckpoint(dirpath: dir, monitor: "val_loss", saveLast: true)
        // resumed at epoch 2 with maxEpochs 2: nothing left to train, so the state is what was loaded
        try quietTrainer(2, [es2, ck2], checkpointing: true).fit(Scheduled { StepLR($0, stepSize: 1, gamma: 0.5) }, dataModule: Data3(),
                                                                 ckptPath: ck1.lastModelPath)
        #expect(es2.bestScore == es1.bestScore && es2.bestScore.isFinite)
        #expect(es2.waitCount == es1.waitCount)
        #expect(ck2.bestModelPath == ck1.bestModelPath && !ck2.bestModelPath.isEmpty)
        #expect(ck2.bestModelScore == ck1.bestModelScore)
        #expect(ck2.bestKModels == ck1.bestKModels)
    }

    @Test func badSchedulerAndOptimizerFieldsThrowNamingTheField() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, Tensor)] = [
            ("lr_schedulers.0.last_epoch", Tensor(Double.nan, dtype: .float64)),
            ("lr_schedulers.0.last_epoch", Tensor(9.223372036854775807e18, dtype: .float64)),   // Int.max
            ("lr_schedulers.0.last_epoch", Tensor(-9.223372036854775808e18, dtype: .float64)),  // Int.min
            ("lr_schedulers.0.last_epoch", Tensor(-2.0, dtype: .float64)),
            ("lr_schedulers.0.last_epoch", Tensor(1.5, dtype: .float64)),
            ("lr_schedulers.0.last_epoch", Tensor(Double.infinity, dtype: .float64)),
            ("lr_schedulers.0.last_epoch", Tensor([true])),
            ("lr_schedulers.0.last_epoch", Tensor([1.0, 2.0])),
            ("lr_schedulers.0._step_count", Tensor(-1.0, dtype: .float64)),
            ("lr_schedulers.0.step_size", Tensor(0.0, dtype: .float64)),
            ("lr_schedulers.0.gamma", Tensor(Double.nan, dtype: .float64)),
            ("lr_schedulers.0.base_lrs", Tensor([Double.infinity])),
            ("lr_schedulers.0._last_lr", Tensor([-0.5])),
            ("lr_schedulers.0._last_lr", Tensor([0.1, 0.1])),
            ("optimizer_states.0.param_groups.0.lr", Tensor(Double.nan, dtype: .float64)),
            ("optimizer_states.0.param_groups.0.lr", Tensor([0.1, 0.2])),
            ("optimizer_states.0.param_groups.0.momentum", Tensor([true])),
        ]
        for (key, value) in cases {
            let path = try damagedCheckpoint(dir) { sd, _ in sd[key] = value }
            guard case .invalidField(_, let f, _, _)? = resumeError(path) else {
                Issue.record("\(key)=\(value) was not rejected"); continue
            }
            #expect(f == key, "\(key)=\(value)")
        }
        let missing = try damagedCheckpoint(dir) { sd, _ in sd["lr_schedulers.0.gamma"] = nil }
        #expect(resumeError(missing) == .missingField(path: missing, field: "lr_schedulers.0.gamma"))
        let none = try damagedCheckpoint(dir) { sd, _ in for k in sd.keys where k.hasPrefix("lr_schedulers.") { sd[k] = nil } }
        #expect(resumeError(none) == .missingField(path: none, field: "lr_schedulers"))
    }

    @Test func badNestedSchedulerFieldsAreNamedAndLeaveTheSchedulerAsItWas() throws {
        let opt = SGD([Parameter(Tensor.zeros(2))], lr: 0.1)
        let seq = SequentialLR(opt, schedulers: [ConstantLR(opt, factor: 0.5, totalIters: 2), ExponentialLR(opt, gamma: 0.9)], milestones: [2])
        for _ in 0..<3 { opt.step(); seq.step() }
        var sd = seq.stateDict()
        #expect(sd["_schedulers.0.factor"]?.item() == 0.5 && sd["_schedulers.1.gamma"]?.item() == 0.9 && sd["_milestones"].map(values) == [2])
        let before = seq.stateDict()
        sd["_schedulers.1.last_epoch"] = Tensor(Double.nan, dtype: .float64)
        #expect(throws: StateDictError.invalidValue(key: "_schedulers.1.last_epoch", value: "nan", reason: "expected an integer")) {
            try seq.loadStateDict(sd)
        }
        #expect(seq.stateDict().keys == before.keys)
        for k in before.keys { #expect(values(seq.stateDict()[k]!) == values(before[k]!), "\(k)") }
        let one = OneCycleLR(SGD([Parameter(Tensor.zeros(2))], lr: 0.1, momentum: 0.9), maxLR: 1, totalSteps: 10)
        var o = one.stateDict()
        o["last_epoch"] = Tensor(11.0, dtype: .float64)
        #expect(throws: StateDictError.invalidValue(key: "last_epoch", value: "11.0", reason: "expected an integer in -1...10")) { try one.loadStateDict(o) }
        o["total_steps"] = Tensor(20.0, dtype: .float64)
        #expect(throws: StateDictError.invalidValue(key: "total_steps", value: "20", reason: "this scheduler was built with total_steps=10")) { try one.loadStateDict(o) }
        let plateau = ReduceLROnPlateau(SGD([Parameter(Tensor.zeros(2))], lr: 0.1))
        var p = plateau.stateDict()
        #expect(p["best"]?.item() == Double.infinity)   // a fresh plateau's best is inf, which loads
        try plateau.loadStateDict(p)
        p["best"] = Tensor(Double.nan, dtype: .float64)
        #expect(throws: StateDictError.invalidValue(key: "best", value: "nan", reason: "expected a number")) { try plateau.loadStateDict(p) }
    }

    // MARK: - Temporary files

    /// `.<name>.tmp-<UUID>` files left by killed writers go when the folder next gets a checkpoint; one a
    /// live writer holds (locked) stays, and so does everything else.
    @Test func staleTemporaryFilesAreRemovedOnTheNextSave() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stale = [".last.ckpt.tmp-\(UUID().uuidString)", ".epoch=0-step=3.ckpt.tmp-\(UUID().uuidString)"]
        let kept = [".last.ckpt.tmp-notauuid", "notes.tmp-\(UUID().uuidString)", ".hidden", "a.ckpt"]
        for n in stale + kept { #expect(FileManager.default.createFile(atPath: dir + "/" + n, contents: Data("x".utf8))) }
        let live = dir + "/.last.ckpt.tmp-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: live, contents: Data("x".utf8)))
        let fd = open(live, O_RDONLY)
        #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
        defer { close(fd) }
        manualSeed(0)
        let ckpt = ModelCheckpoint(dirpath: dir, saveTopK: 0, saveLast: true)
        try quietTrainer(1, [ckpt], checkpointing: true).fit(Scheduled { _ in nil }, dataModule: Data3())
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(files == Set(kept + ["last.ckpt", (live as NSString).lastPathComponent]))
    }

    /// Lightning's `ckpt_path` words: `fit(..., ckptPath: "last")` resumes from the ModelCheckpoint's
    /// `last.ckpt` (found in its folder by a fresh trainer) and ends where a straight run does;
    /// `validate(..., ckptPath: "best")` loads the best checkpoint's weights first. `{epoch:02d}` and
    /// `{val_loss:.3f}` format as Python's `str.format`; `numTrainingBatches` and
    /// `estimatedSteppingBatches` are Lightning's (3 batches of 4, 4, 2 per epoch, 3 epochs: 9 steps).
    /// Lightning: `trainer.save_checkpoint(path)` after fit saves the trainer's module, `on_save_checkpoint`
    /// adds entries (current_epoch is 2 after a 2-epoch fit), and the class method `load_from_checkpoint`
    /// rebuilds the module from its saved hyper-parameters, calls `on_load_checkpoint`, then loads the weights.
    @Test func moduleHooksAndTheClassMethodLoad() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let m = Noted(hidden: 5, tag: "wide")
        let t = quietTrainer(2)
        try t.fit(m, dataModule: Data3())
        #expect(t.lightningModule === m && m.trainer === t)
        let path = dir + "/manual.ckpt"
        try t.saveCheckpoint(path)
        let rebuilt = try Noted.loadFromCheckpoint(path)
        #expect(rebuilt.lin.weight.shape == [5, 3] && rebuilt.hparams["tag"] == .string("wide") && rebuilt.hparams["hidden"] == .number(5))
        #expect(rebuilt.note == "saved at epoch 2" && rebuilt.loads == 1 && rebuilt.bits == m.bits)
        // the dict view keeps the module's key order (safetensors lists names sorted) and the hook's entries
        let ck = try loadCheckpoint(from: path)
        #expect(try ck.stateDict("state_dict").keys == ["lin.weight", "lin.bias", "out.weight", "out.bias"])
        let scale = try ck.tensor("scale")
        #expect(ck.keys == ["epoch", "global_step", "state_dict", "note", "scale"] && values(scale) == [2, 3])
        // an instance made with other hyper-parameters takes the saved ones; resuming calls the hook too
        let other = Noted(hidden: 5, tag: "narrow")
        try other.loadFromCheckpoint(path)
        #expect(other.hparams["tag"] == .string("wide") && other.note == "saved at epoch 2" && other.bits == m.bits)
        let resumed = Noted(hidden: 5)
        try quietTrainer(3).fit(resumed, dataModule: Data3(), ckptPath: path)
        #expect(resumed.loads == 1 && resumed.note == "saved at epoch 2")
    }

    @Test func checkpointPathWordsAndFilenameSpecs() throws {
        let dir = scratchDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let straight = Scheduled { _ in nil }
        let t0 = quietTrainer(3)
        try t0.fit(straight, dataModule: Data3())
        #expect(t0.numTrainingBatches == 3 && t0.estimatedSteppingBatches == 9)
        manualSeed(0)
        let first = Scheduled { _ in nil }
        let ck = ModelCheckpoint(dirpath: dir, filename: "{epoch:02d}-{val_loss:.3f}", monitor: "val_loss", saveTopK: 1, saveLast: true)
        let t1 = quietTrainer(1, [ck], checkpointing: true)
        try t1.fit(first, dataModule: Data3())
        #expect(t1.checkpointCallback === ck && t1.earlyStoppingCallback == nil)
        let best = (ck.bestModelPath as NSString).lastPathComponent
        #expect(best == "epoch=00-val_loss=" + String(format: "%.3f", ck.bestModelScore!) + ".ckpt")
        let resumed = Scheduled { _ in nil }
        try quietTrainer(3, [ModelCheckpoint(dirpath: dir, saveTopK: 0, saveLast: true)], checkpointing: true)
            .fit(resumed, dataModule: Data3(), ckptPath: "last")
        #expect(resumed.bits == straight.bits)
        // "best" loads the epoch-0 weights into a fresh module before validating
        let fresh = Scheduled { _ in nil }
        let out = try t1.validate(fresh, dataLoaders: Data3().valDataLoader(), ckptPath: "best", verbose: false)
        #expect(fresh.bits == first.bits && Float(out["val_loss"]!) == Float(ck.bestModelScore!))
    }
}
}
