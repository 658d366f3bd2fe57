import Foundation
import Testing
import Descent

// Lightning's per-step schedulers, LearningRateMonitor, the train start/end and batch-start hooks, seed_everything.

/// y = x·[1, -2, 0.5] + 0.3: 10 training rows in batches of 4 (3 batches an epoch).
private final class Rows: DataModule {
    let x: Tensor, y: Tensor
    init() { manualSeed(1); x = Tensor.randn(10, 3); y = x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3 }
    func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(x, y), batchSize: 4) }
}

/// SGD(0.1, momentum) on a Linear(3, 1) with the scheduler `schedule` makes, stepped at `interval` every `frequency`.
private final class Net: Module, TrainingModule {
    let lin = Linear(3, 1)
    let schedule: (Optimizer) -> LRScheduler?
    let lrSchedulerInterval: LRSchedulerInterval
    let lrSchedulerFrequency: Int
    init(_ interval: LRSchedulerInterval = .epoch, frequency: Int = 1, _ schedule: @escaping (Optimizer) -> LRScheduler?) {
        self.schedule = schedule; lrSchedulerInterval = interval; lrSchedulerFrequency = frequency
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1, momentum: 0.9) }
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { schedule(optimizer) }
}

/// Records the hooks it sees.
private final class HookRecorder: Callback {
    var calls: [String] = []
    override func onFitStart(_ trainer: Trainer, _ module: Module) throws { calls.append("fitStart") }
    override func onTrainStart(_ trainer: Trainer, _ module: Module) throws { calls.append("trainStart") }
    override func onTrainEpochStart(_ trainer: Trainer, _ module: Module) throws { calls.append("epochStart") }
    override func onTrainBatchStart(_ trainer: Trainer, _ module: Module, batch: Any, batchIndex: Int) throws {
        let rows = (batch as? (Tensor, Tensor))?.0.shape[0] ?? -1
        calls.append("batchStart\(batchIndex):\(rows)")
    }
    override func onTrainBatchEnd(_ trainer: Trainer, _ module: Module, loss: Tensor, batchIndex: Int) throws { calls.append("batchEnd\(batchIndex)") }
    override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws { calls.append("epochEnd") }
    override func onTrainEnd(_ trainer: Trainer, _ module: Module) throws { calls.append("trainEnd") }
    override func onFitEnd(_ trainer: Trainer, _ module: Module) throws { calls.append("fitEnd") }
}

private func scratch() -> String { NSTemporaryDirectory() + "descent-lx-" + UUID().uuidString }

extension Core {
@Suite struct LightningExtrasTests {
    // o = torch.optim.SGD(p, lr=0.1); s = torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=7)
    // the lr before each step and after the last: [o.param_groups[0]['lr'] after k steps of o.step(); s.step()]
    let oneCycle = [0.0040000000000000036, 0.09805566273349588, 0.09190443762697106, 0.06726838364805451, 0.035773877573965704,
                    0.00992967918932656, 4e-07]

    @Test func perStepSchedulerAndLearningRateMonitor() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = CSVLogger(saveDir: dir)
        let monitor = LearningRateMonitor(logMomentum: true)
        let net = Net(.step) { OneCycleLR($0, maxLR: [0.1], totalSteps: 7) }
        let trainer = Trainer(maxEpochs: 2, callbacks: [monitor], logger: csv, enableCheckpointing: false, enableProgressBar: false,
                              enableModelSummary: false, logEveryNSteps: 2)
        try trainer.fit(net, dataModule: Rows())
        // six optimizer steps, the scheduler stepped after each (Lightning's "interval": "step")
        #expect(trainer.globalStep == 6 && trainer.optimizer!.paramGroups[0].lr == oneCycle[6])
        // logged before the steps that log (global step 1, 3, 5: (step + 1) % 2 == 0), not at epoch starts (the scheduler is per step)
        #expect(monitor.lrs == ["lr-SGD": [oneCycle[1], oneCycle[3], oneCycle[5]]])
        let lrRows = csv.rows.filter { $0["lr-SGD"] != nil }
        #expect(lrRows.map { $0["step"]! } == [1, 3, 5] && lrRows.map { $0["lr-SGD"]! } == [oneCycle[1], oneCycle[3], oneCycle[5]])
        // OneCycleLR cycles the momentum too (0.95 at the start, 0.85 at the peak): what SGD's group holds then
        #expect(lrRows.allSatisfy { $0["lr-SGD-momentum"] != nil && $0["lr-SGD-momentum"]! < 0.95 })
        #expect(trainer.callbackMetrics["lr-SGD"] == oneCycle[5])

        // every second batch of each epoch (Lightning's batch_idx + 1 divisible by the frequency): 2 steps in 2 epochs
        let t2 = Trainer(maxEpochs: 2, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        try t2.fit(Net(.step, frequency: 2) { OneCycleLR($0, maxLR: [0.1], totalSteps: 7) }, dataModule: Rows())
        #expect(t2.optimizer!.paramGroups[0].lr == oneCycle[2] && t2.lrScheduler!.lastEpoch == 2)
    }

    @Test func epochSchedulerFrequencyAndMonitorAtEpochStart() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // StepLR(1, 0.5) per epoch: lr 0.1, 0.05, 0.025 at the starts of epochs 0, 1, 2 (global steps 0, 3, 6)
        let csv = CSVLogger(saveDir: dir)
        let monitor = LearningRateMonitor()
        let trainer = Trainer(maxEpochs: 3, callbacks: [monitor], logger: csv, enableCheckpointing: false, enableProgressBar: false,
                              enableModelSummary: false, logEveryNSteps: 1)
        try trainer.fit(Net { StepLR($0, stepSize: 1, gamma: 0.5) }, dataModule: Rows())
        #expect(monitor.lrs == ["lr-SGD": [0.1, 0.05, 0.025]])
        #expect(csv.rows.filter { $0["lr-SGD"] != nil }.map { $0["step"]! } == [0, 3, 6])
        #expect(trainer.optimizer!.paramGroups[0].lr == 0.0125)

        // "frequency": 2 with an epoch scheduler: stepped after epochs 1 and 3 of 4
        let t2 = Trainer(maxEpochs: 4, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        try t2.fit(Net(.epoch, frequency: 2) { StepLR($0, stepSize: 1, gamma: 0.5) }, dataModule: Rows())
        #expect(t2.optimizer!.paramGroups[0].lr == 0.025 && t2.lrScheduler!.lastEpoch == 2)

        // no scheduler: logged at each epoch start and before each logging step; forced to epochs only
        let plain = LearningRateMonitor(), epochsOnly = LearningRateMonitor(loggingInterval: .epoch)
        try Trainer(maxEpochs: 2, callbacks: [plain, epochsOnly], logger: CSVLogger(saveDir: dir + "/b"), enableCheckpointing: false,
                    enableProgressBar: false, enableModelSummary: false, logEveryNSteps: 2).fit(Net { _ in nil }, dataModule: Rows())
        #expect(plain.lrs["lr-SGD"]!.count == 5 && epochsOnly.lrs["lr-SGD"] == [0.1, 0.1])
    }

    @Test func learningRateMonitorNeedsALogger() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? Trainer(maxEpochs: 1, callbacks: [LearningRateMonitor()], loggers: [], enableCheckpointing: false, enableProgressBar: false,
                         enableModelSummary: false).fit(Net { _ in nil }, dataModule: Rows())
        }
        #expect(stderr(r).contains("Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger."))
    }

    @Test func trainHooksRunInLightningsOrder() throws {
        let rec = HookRecorder()
        try Trainer(maxEpochs: 1, callbacks: [rec], loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
            .fit(Net { _ in nil }, dataModule: Rows())
        #expect(rec.calls == ["fitStart", "trainStart", "epochStart", "batchStart0:4", "batchEnd0", "batchStart1:4", "batchEnd1",
                              "batchStart2:2", "batchEnd2", "epochEnd", "trainEnd", "fitEnd"])
    }

    @Test func seedEverythingSeedsTheGlobalGenerator() {
        #expect(seedEverything(7) == 7)
        let a = Tensor.rand(3)
        manualSeed(7)
        #expect(a.equal(Tensor.rand(3)))
        #expect(ProcessInfo.processInfo.environment["PL_GLOBAL_SEED"] == "7" && ProcessInfo.processInfo.environment["PL_SEED_WORKERS"] == "0")
        // out of numpy's bounds: 0, as Lightning; no seed: PL_GLOBAL_SEED
        #expect(seedEverything(-5) == 0 && seedEverything(1 << 33) == 0)
        setenv("PL_GLOBAL_SEED", "11", 1)
        #expect(seedEverything(workers: true) == 11 && ProcessInfo.processInfo.environment["PL_SEED_WORKERS"] == "1")
        #expect(initialSeed() == 11)
    }
}
}
