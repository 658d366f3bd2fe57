import Foundation
import Testing
import Descent

// Names and behaviours a PyTorch/Lightning user reaches for first (issue #15's rough edges), and how
// EarlyStopping and ModelCheckpoint treat a NaN metric (Lightning 2.6).

/// Logs `score` = `scores[epoch]` at the end of each training epoch (Lightning: `self.log("score", ...)` in
/// `on_train_epoch_end`); no validation.
private final class Scored: Module, TrainingModule {
    let lin = Linear(3, 1)
    let scores: [Double]
    var epoch = 0
    init(_ scores: [Double]) { self.scores = scores; super.init() }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { self(batch.0).pow(2).mean() }
    func onTrainEpochEnd() { log("score", Tensor(Float(scores[epoch]))); epoch += 1 }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}

private func eightRows() -> DataLoader<TensorDataset<(Tensor, Tensor)>> {
    manualSeed(0)
    return DataLoader(TensorDataset(Tensor.randn(8, 3), Tensor.zeros(8, 1)), batchSize: 4)
}

private func scratch() -> String {
    let d = NSTemporaryDirectory() + "descent-edges-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A module with a validation step but no test step.
private final class NoTestStep: Module, TrainingModule {
    let lin = Linear(3, 1)
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let loss = mseLoss(self(batch.0), batch.1)
        log("val_loss", loss)
        return loss
    }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}

extension Core {
@Suite struct RoughEdgesTests {
    @Test func loggerChoices() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tb = TensorBoardLogger(saveDir: dir), csv = CSVLogger(saveDir: dir)
        // Lightning: Trainer(logger=[tb, csv]).loggers == [tb, csv]; logger=False -> []; logger=True -> [TensorBoardLogger]
        let both = Trainer(logger: [tb, csv], defaultRootDir: dir)
        #expect(both.loggers.count == 2 && both.loggers[0] === tb && both.loggers[1] === csv && both.logger === tb)
        #expect(Trainer(logger: false, defaultRootDir: dir).loggers.isEmpty)
        #expect(Trainer(logger: nil, defaultRootDir: dir).loggers.isEmpty)   // Descent's choice: nil means none
        #expect(Trainer(logger: true, defaultRootDir: dir).loggers.first is TensorBoardLogger)
        #expect(Trainer(defaultRootDir: dir).loggers.first is TensorBoardLogger)
        let one = Trainer(logger: csv, defaultRootDir: dir)
        #expect(one.loggers.count == 1 && one.logger === csv)
        #expect(Trainer(logger: csv, loggers: [tb, tb], defaultRootDir: dir).loggers.count == 2)   // loggers: wins

        // With logging off, fit writes nothing (no lightning_logs).
        let off = scratch()
        defer { try? FileManager.default.removeItem(atPath: off) }
        try Trainer(maxEpochs: 1, logger: nil, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false,
                    defaultRootDir: off).fit(Scored([0.5]), trainDataLoaders: eightRows())
        #expect(try FileManager.default.contentsOfDirectory(atPath: off).isEmpty)
        try Trainer(maxEpochs: 1, logger: false, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false,
                    defaultRootDir: off).fit(Scored([0.5]), trainDataLoaders: eightRows())
        #expect(try FileManager.default.contentsOfDirectory(atPath: off).isEmpty)
        // and the default writes lightning_logs/version_0
        try Trainer(maxEpochs: 1, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false,
                    defaultRootDir: off).fit(Scored([0.5]), trainDataLoaders: eightRows())
        #expect(try FileManager.default.contentsOfDirectory(atPath: off) == ["lightning_logs"])
    }

    @Test func sizeNdimAndUnbiased() {
        // torch.zeros(2, 3).size() -> torch.Size([2, 3]); .ndim -> 2; torch.tensor(3.).ndim -> 0
        #expect(Tensor.zeros(2, 3).size() == [2, 3] && Tensor.zeros(2, 3).ndim == 2 && Tensor(3.0).ndim == 0)
        // x = [1, 2, 3, 4]: mean 2.5, squared deviations sum to 5: unbiased var 5/3, biased 5/4
        // torch.tensor([1., 2, 3, 4]).var(unbiased=False) -> 1.25; .std(unbiased=False) -> 1.1180339887498949 (sqrt 1.25)
        let x = Tensor([1.0, 2.0, 3.0, 4.0], dtype: .float64)
        #expect(x.variance(unbiased: false).item() == 1.25 && x.variance(unbiased: true).item() == 5.0 / 3.0)
        #expect(x.std(unbiased: false).item() == 1.25.squareRoot() && x.std(unbiased: true).item() == (5.0 / 3.0).squareRoot())
        // [[1, 2], [3, 5]].var(1, unbiased=False) -> [0.25, 1.0]; keepdim -> shape [2, 1]
        let m = Tensor([[1.0, 2.0], [3.0, 5.0]], dtype: .float64)
        #expect(values(m.variance(dim: 1, unbiased: false)) == [0.25, 1.0])
        #expect(m.std(dim: 1, unbiased: false, keepDim: true).shape == [2, 1])
        #expect(values(m.std(dim: 1, unbiased: false)) == [0.5, 1.0])
    }

    @Test func saveADictionaryLiteral() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = Tensor([[1.0, 2.0]]), b = Tensor([3.0])
        try save(["w": w, "b": b], to: dir + "/t.safetensors")
        let back = try load(from: dir + "/t.safetensors")
        #expect(Set(back.keys) == ["w", "b"] && values(back["w"]!) == [1, 2] && values(back["b"]!) == [3])
        let sd: StateDict = ["z": b, "a": w]
        #expect(sd.keys == ["z", "a"])   // the literal's order, as an OrderedDict
        #expect(StateDict(["z": b, "a": w]).keys == ["a", "z"])
    }

    /// Lightning 2.6, `EarlyStopping(monitor="score", verbose=True)` with scores 0.5, 0.4, nan, 0.3, 0.2 logged in
    /// `on_train_epoch_end` (the script's log lines, and `stopping_reason`, `stopping_reason_message`, `stopped_epoch`):
    ///   Metric score improved. New best score: 0.500
    ///   Metric score improved by 0.100 >= min_delta = 0.0. New best score: 0.400
    ///   Monitored metric score = nan is not finite. Previous best value was 0.400. Signaling Trainer to stop.
    ///   EarlyStoppingReason.NON_FINITE_METRIC, stopped_epoch 2, current_epoch 3
    @Test func earlyStoppingStopsOnNaNAndSaysWhy() throws {
        let stop = EarlyStopping(monitor: "score", verbose: true)
        let t = Trainer(maxEpochs: 5, callbacks: [stop], logger: false, enableCheckpointing: false, enableProgressBar: false,
                        enableModelSummary: false)
        try t.fit(Scored([0.5, 0.4, .nan, 0.3, 0.2]), trainDataLoaders: eightRows())
        #expect(stop.stoppingReason == .nonFiniteMetric && stop.stoppedEpoch == 2 && t.currentEpoch == 3)
        #expect(stop.stoppingReasonMessage == "Monitored metric score = nan is not finite. Previous best value was 0.400. Signaling Trainer to stop.")
        // patience: Lightning's "Monitored metric score did not improve in the last 3 records. Best score: 0.500. Signaling Trainer to stop."
        let p = EarlyStopping(monitor: "score")
        try Trainer(maxEpochs: 9, callbacks: [p], logger: false, enableCheckpointing: false, enableProgressBar: false,
                    enableModelSummary: false).fit(Scored([0.5, 0.6, 0.7, 0.8, 0.1]), trainDataLoaders: eightRows())
        #expect(p.stoppingReason == .patienceExhausted && p.stoppedEpoch == 3)
        #expect(p.stoppingReasonMessage == "Monitored metric score did not improve in the last 3 records. Best score: 0.500. Signaling Trainer to stop.")
    }

    /// Lightning 2.6, `ModelCheckpoint(monitor="score", save_top_k=2)` with scores 0.5, nan, 0.4: the NaN is kept as
    /// inf and then replaced: best_k_models {epoch=0-step=2.ckpt: 0.5, epoch=2-step=6.ckpt: 0.4000000059604645},
    /// best epoch=2-step=6.ckpt. With save_top_k=1 and scores nan, 0.7: {epoch=1-step=4.ckpt: 0.699999988079071}.
    @Test func modelCheckpointNeverKeepsNaNAsBest() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ck = ModelCheckpoint(dirpath: dir + "/a", monitor: "score", saveTopK: 2)
        try Trainer(maxEpochs: 3, callbacks: [ck], logger: false, enableProgressBar: false, enableModelSummary: false)
            .fit(Scored([0.5, .nan, 0.4]), trainDataLoaders: eightRows())
        #expect(ck.bestKModels == [dir + "/a/epoch=0-step=2.ckpt": 0.5, dir + "/a/epoch=2-step=6.ckpt": Double(Float(0.4))])
        #expect(ck.bestModelPath == dir + "/a/epoch=2-step=6.ckpt" && ck.bestModelScore == Double(Float(0.4)))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/a")) == ["epoch=0-step=2.ckpt", "epoch=2-step=6.ckpt"])
        let one = ModelCheckpoint(dirpath: dir + "/b", monitor: "score", saveTopK: 1)
        try Trainer(maxEpochs: 2, callbacks: [one], logger: false, enableProgressBar: false, enableModelSummary: false)
            .fit(Scored([.nan, 0.7]), trainDataLoaders: eightRows())
        #expect(one.bestKModels == [dir + "/b/epoch=1-step=4.ckpt": Double(Float(0.7))])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/b") == ["epoch=1-step=4.ckpt"])
    }

    /// `trainer.validate(model, dataloaders=...)` returns the validation epoch's metrics.
    @Test func validateOnDataLoaders() throws {
        manualSeed(0)
        let x = Tensor.randn(6, 3), y = Tensor.randn(6, 1)
        let m = NoTestStep()
        let out = try Trainer(logger: false, enableProgressBar: false, enableModelSummary: false)
            .validate(m, dataLoaders: DataLoader(TensorDataset(x, y), batchSize: 4), verbose: false)
        // the float32 mean of the two batch losses weighted by their sizes (4 and 2), as Lightning reports it
        let l1 = Float(noGrad { mseLoss(m(x[0..<4]), y[0..<4]) }.item()), l2 = Float(noGrad { mseLoss(m(x[4..<6]), y[4..<6]) }.item())
        #expect(out == ["val_loss": Double((l1 * 4 + l2 * 2) / 6)])
    }

    /// Lightning: `trainer.test(model)` without `test_step` raises
    /// MisconfigurationException("No `test_step()` method defined to run `Trainer.test`.").
    @Test func testWithoutTestStepStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let loader = DataLoader(TensorDataset(Tensor.zeros(4, 3), Tensor.zeros(4, 1)), batchSize: 2)
            _ = try? Trainer(logger: false, enableProgressBar: false, enableModelSummary: false).test(NoTestStep(), dataLoaders: loader)
        }
        #expect(stderr(result).contains("No `test_step()` method defined to run `Trainer.test`."))
    }
}
}
