import Foundation
import Testing
import Descent

// Metrics (torchmetrics 1.9.0), the Trainer (Lightning 2.6 semantics), loggers and checkpoints.

extension Core {
@Suite struct MetricsTests {
    // torchmetrics:
    //   torch.manual_seed(0); logits = torch.randn(12, 4); target = torch.tensor([0,1,2,3,0,1,2,0,1,0,0,1])
    //   preds = logits.argmax(1)
    //   [cls(task="multiclass", num_classes=5, average=avg)(preds, target) for avg in micro/macro/weighted/none]
    static let target = Tensor([0, 1, 2, 3, 0, 1, 2, 0, 1, 0, 0, 1])
    static func logits() -> Tensor { manualSeed(0); return Tensor.randn(12, 4) }

    @Test func multiclassScoresMatchTorchmetrics() {
        let preds = Self.logits().argmax(dim: 1)
        let expected: [(String, (MetricAverage) -> StatScoresMetric, [Double], [Double])] = [
            ("accuracy", { Accuracy(task: .multiclass(numClasses: 5), average: $0) },
             [0.1666666716337204, 0.1875, 0.1666666716337204], [0.0, 0.25, 0.5, 0.0, 0.0]),
            ("precision", { Precision(task: .multiclass(numClasses: 5), average: $0) },
             [0.1666666716337204, 0.1458333432674408, 0.1388888955116272], [0.0, 0.25, 0.3333333432674408, 0.0, 0.0]),
            ("recall", { Recall(task: .multiclass(numClasses: 5), average: $0) },
             [0.1666666716337204, 0.1875, 0.1666666716337204], [0.0, 0.25, 0.5, 0.0, 0.0]),
            ("f1", { F1Score(task: .multiclass(numClasses: 5), average: $0) },
             [0.1666666716337204, 0.16249999403953552, 0.15000000596046448], [0.0, 0.25, 0.4000000059604645, 0.0, 0.0]),
        ]
        for (name, make, scalars, perClass) in expected {
            for (avg, v) in zip([MetricAverage.micro, .macro, .weighted], scalars) {
                let got = make(avg)(preds, Self.target)
                #expect(got.dtype == .float32 && got.shape == [], "\(name) \(avg)")
                #expect(Float(got.item()) == Float(v), "\(name) \(avg): \(got.item()) vs \(v)")
            }
            #expect(make(.none)(preds, Self.target).toArray(Float.self) == perClass.map { Float($0) }, "\(name) none")
        }
    }

    @Test func logitsTopKIgnoreIndexAndConfusionMatrix() {
        let logits = Self.logits()
        // torchmetrics: Accuracy(task="multiclass", num_classes=4, average="macro")(logits, target) -> 0.1875
        #expect(Accuracy(task: .multiclass(numClasses: 4), average: .macro)(logits, Self.target).item() == 0.1875)
        // top_k=2 -> 0.4166666567325592; ignore_index=0 -> 0.2857142984867096
        #expect(Float(Accuracy(task: .multiclass(numClasses: 4), topK: 2)(logits, Self.target).item()) == Float(0.4166666567325592))
        #expect(Float(Accuracy(task: .multiclass(numClasses: 4), ignoreIndex: 0)(logits, Self.target).item()) == Float(0.2857142984867096))
        // ConfusionMatrix(task="multiclass", num_classes=4)(logits, target)
        let cm = ConfusionMatrix(task: .multiclass(numClasses: 4))(logits, Self.target)
        #expect(cm.dtype == .int64 && cm.shape == [4, 4])
        #expect(cm.toArray(Int.self) == [0, 2, 2, 1, 1, 1, 0, 2, 1, 0, 1, 0, 0, 1, 0, 0])
    }

    @Test func binaryAndMultilabel() {
        let bt = Tensor([0, 1, 1, 1, 0])
        // Accuracy(task="binary")(tensor([0.2, 0.7, 3.0, -1.0, 0.5]), bt) -> 0.4 (values outside [0, 1] are logits: sigmoid first)
        #expect(Float(Accuracy(task: .binary)(Tensor([0.2, 0.7, 3.0, -1.0, 0.5]), bt).item()) == Float(0.4000000059604645))
        // probabilities [0.2, 0.7, 0.9, 0.1, 0.5] (0.5 is not above the threshold):
        // Accuracy 0.8, Precision 1.0, Recall 0.6666666865348816, F1 0.8, ConfusionMatrix [[2, 0], [1, 2]]
        let bp = Tensor([0.2, 0.7, 0.9, 0.1, 0.5])
        #expect(Float(Accuracy(task: .binary)(bp, bt).item()) == Float(0.8))
        #expect(Precision(task: .binary)(bp, bt).item() == 1)
        #expect(Float(Recall(task: .binary)(bp, bt).item()) == Float(0.6666666865348816))
        #expect(Float(F1Score(task: .binary)(bp, bt).item()) == Float(0.8))
        #expect(ConfusionMatrix(task: .binary)(bp, bt).toArray(Int.self) == [2, 0, 1, 2])
        // Accuracy(task="multilabel", num_labels=3)(ml, mt) -> 0.75; F1Score(...) -> 0.7692307829856873
        let ml = Tensor([[0.9, 0.2, 0.6], [0.1, 0.8, 0.4], [0.7, 0.3, 0.2], [0.4, 0.6, 0.9]])
        let mt = Tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
        #expect(Accuracy(task: .multilabel(numLabels: 3))(ml, mt).item() == 0.75)
        #expect(Float(F1Score(task: .multilabel(numLabels: 3))(ml, mt).item()) == Float(0.7692307829856873))
    }

    @Test func forwardReturnsTheBatchValueAndAccumulates() {
        let logits = Self.logits()
        let acc = Accuracy(task: .multiclass(numClasses: 4))
        // torchmetrics: a(logits[:5], target[:5]) -> 0.2, a(logits[5:], target[5:]) -> 0.1428571492433548, a.compute() -> 0.1666666716337204
        #expect(Float(acc(logits[0..<5], Self.target[0..<5]).item()) == Float(0.2))
        #expect(Float(acc(logits[5..<12], Self.target[5..<12]).item()) == Float(0.1428571492433548))
        #expect(Float(acc.compute().item()) == Float(0.1666666716337204))
        acc.reset()
        acc.update(logits[0..<5], Self.target[0..<5])
        #expect(Float(acc.compute().item()) == Float(0.2))
    }

    @Test func regressionAndMean() {
        let p = Tensor([1.0, 2.0, 4.0]), t = Tensor([1.5, 2.5, 2.0])
        // MeanSquaredError()(p, t) -> 1.5; squared=False -> 1.2247449159622192; MeanAbsoluteError -> 1.0
        #expect(MeanSquaredError()(p, t).item() == 1.5)
        #expect(Float(MeanSquaredError(squared: false)(p, t).item()) == Float(1.2247449159622192))
        #expect(MeanAbsoluteError()(p, t).item() == 1.0)
        let m = MeanMetric()
        m.update(Tensor([1.0, 2.0])); m.update(6.0, weight: 2)
        #expect(m.compute().item() == 3.75)   // (1 + 2 + 12) / (1 + 1 + 2)
    }

    @Test func metricsPrintLikeTorchmetricsAndStayOutOfTheStateDict() {
        // print(Accuracy(task="multilabel", num_labels=3), Accuracy(task="binary"), F1Score(task="multiclass", num_classes=3),
        //       ConfusionMatrix(task="multiclass", num_classes=3))
        #expect("\(Accuracy(task: .multilabel(numLabels: 3)))" == "MultilabelAccuracy()")
        #expect("\(Accuracy(task: .binary))" == "BinaryAccuracy()")
        #expect("\(F1Score(task: .multiclass(numClasses: 3)))" == "MulticlassF1Score()")
        #expect("\(ConfusionMatrix(task: .multiclass(numClasses: 3)))" == "MulticlassConfusionMatrix()")
        final class Holder: Module { let acc = Accuracy(task: .multiclass(numClasses: 10)); let l = Linear(2, 2) }
        // print(M()) with acc = Accuracy(task="multiclass", num_classes=10), l = nn.Linear(2, 2); state_dict keys: l.weight, l.bias
        #expect("\(Holder())" == "Holder(\n  (acc): MulticlassAccuracy()\n  (l): Linear(in_features=2, out_features=2, bias=True)\n)")
        #expect(Holder().stateDict().keys == ["l.weight", "l.bias"])
    }
}

}

// MARK: - Trainer

/// y = x·[1, -2, 0.5] + 0.3 on 10 rows for training, 6 for validation.
private func regressionData(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
    manualSeed(seed)
    let x = Tensor.randn(n, 3)
    let y = x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3
    return (x, y)
}

private final class TinyRegressor: Module, TrainingModule {
    let lin = Linear(3, 1)
    var valLosses: [(Double, Int)] = []
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let loss = mseLoss(self(batch.0), batch.1)
        log("train_loss", loss)
        return loss
    }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let loss = mseLoss(self(batch.0), batch.1)
        valLosses.append((loss.item(), batch.0.shape[0]))
        log("val_loss", loss, progressBar: true)
        return loss
    }
    func testStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        log("test_loss", mseLoss(self(batch.0), batch.1))
        return nil
    }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}

private final class RegressionData: DataModule {
    let train = regressionData(10, seed: 1), val = regressionData(6, seed: 2)
    var setupStages: [Stage] = []
    func setup(stage: Stage) throws { setupStages.append(stage) }
    func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(train.0, train.1), batchSize: 4) }
    func valDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(val.0, val.1), batchSize: 4) }
    func testDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(val.0, val.1), batchSize: 5) }
}

private final class TrainOnly: DataModule {
    let train = regressionData(10, seed: 1)
    func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(train.0, train.1), batchSize: 4) }
}

private func tempDir() -> String {
    let d = NSTemporaryDirectory() + "descent-train-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// The plain loop the Trainer must reproduce: `epochs` epochs of SGD(0.1) over the training batches.
private func manualWeights(epochs: Int) -> [Float] {
    manualSeed(0)
    let m = TinyRegressor()
    let opt = SGD(m.parameters(), lr: 0.1)
    let data = RegressionData()
    for _ in 0..<epochs {
        for (x, y) in data.trainDataLoader() {
            let loss = mseLoss(m(x), y)
            loss.backward(); opt.step(); opt.zeroGrad()
        }
    }
    return m.lin.weight.toArray(Float.self) + m.lin.bias!.toArray(Float.self)
}

extension Core {
@Suite struct TrainerTests {
    @Test func fitMatchesThePlainLoopAndLogsLikeLightning() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let model = TinyRegressor()
        let data = RegressionData()
        let csv = CSVLogger(saveDir: dir), tb = TensorBoardLogger(saveDir: dir)
        let ckpt = ModelCheckpoint(monitor: "val_loss", mode: .min, saveTopK: 1)
        let trainer = Trainer(maxEpochs: 3, callbacks: [ckpt], loggers: [csv, tb], enableProgressBar: false,
                              enableModelSummary: false, logEveryNSteps: 2)
        try trainer.fit(model, dataModule: data)
        #expect(data.setupStages == [.fit])

        // Same weights, bit for bit, as the plain loop (validation and logging change nothing).
        #expect(model.lin.weight.toArray(Float.self) + model.lin.bias!.toArray(Float.self) == manualWeights(epochs: 3))
        #expect(trainer.globalStep == 9 && trainer.currentEpoch == 3)   // 3 batches of 4, 4, 2 rows per epoch

        // The sanity check ran 2 validation batches first, then 2 batches (4 + 2 rows) per epoch. The epoch's
        // val_loss is Lightning's float32 mean weighted by batch size.
        #expect(model.valLosses.count == 2 + 3 * 2)
        let last = model.valLosses.suffix(2)
        let mean = last.reduce(Float(0)) { $0 + Float($1.0) * Float($1.1) } / Float(last.reduce(0) { $0 + $1.1 })
        #expect(trainer.callbackMetrics["val_loss"] == Double(mean))
        #expect(trainer.progressBarMetrics.keys.sorted() == ["val_loss"])

        // CSV: train_loss every 2 optimizer steps (steps 1, 3, 5, 7), val_loss at the end of each epoch (steps 2, 5, 8).
        let text = try String(contentsOfFile: dir + "/lightning_logs/version_0/metrics.csv", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "epoch,step,train_loss,val_loss")
        let cells = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(cells.map { $0[1] } == ["1", "2", "3", "5", "5", "7", "8"])
        #expect(cells.map { $0[0] } == ["0", "0", "1", "1", "1", "2", "2"])
        #expect(cells.filter { !$0[3].isEmpty }.map { $0[1] } == ["2", "5", "8"])
        #expect(Double(cells.last![3]) == Double(mean))

        // TensorBoard: both loggers found no version yet, so they share version_0 (as Lightning's do); CRCs and protos check out.
        #expect(tb.version == 0 && csv.version == 0)
        #expect(tb.eventFilePath == nil && tb.eventFilePaths.count == 1)   // closed by finalize at the end of fit
        let events = try TensorBoardFormat.readScalars(tb.eventFilePaths[0])
        #expect(events.fileVersion == "brain.Event:2")
        #expect(events.scalars.filter { $0.tag == "train_loss" }.map(\.step) == [1, 3, 5, 7])
        #expect(events.scalars.filter { $0.tag == "val_loss" }.map(\.step) == [2, 5, 8])
        #expect(events.scalars.last { $0.tag == "val_loss" }!.value == mean)

        // One checkpoint kept, the best by val_loss; it restores the weights it was saved with.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/lightning_logs/version_0/checkpoints")
        #expect(files.count == 1 && ckpt.bestModelPath.hasSuffix(files[0]))
        #expect(ckpt.bestModelScore == trainer.callbackMetrics["val_loss"])   // val_loss fell every epoch
        #expect(files[0] == "epoch=2-step=9.ckpt")
        let restored = TinyRegressor()
        try restored.loadFromCheckpoint(ckpt.bestModelPath)
        #expect(restored.lin.weight.toArray(Float.self) == model.lin.weight.toArray(Float.self))
    }

    @Test func resumingFromACheckpointContinuesTheRun() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let model = TinyRegressor()
        let ckpt = ModelCheckpoint(saveLast: true)
        try Trainer(maxEpochs: 2, callbacks: [ckpt], loggers: [], enableProgressBar: false, enableModelSummary: false,
                    defaultRootDir: dir).fit(model, dataModule: RegressionData())
        #expect(ckpt.lastModelPath == dir + "/checkpoints/last.ckpt")
        let meta = try safetensorsMetadata(from: ckpt.lastModelPath)
        #expect(meta["epoch"] == "1" && meta["global_step"] == "6")
        let again = TinyRegressor()
        let trainer = Trainer(maxEpochs: 4, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        try trainer.fit(again, dataModule: RegressionData(), ckptPath: ckpt.lastModelPath)
        #expect(trainer.globalStep == 12)
        #expect(again.lin.weight.toArray(Float.self) + again.lin.bias!.toArray(Float.self) == manualWeights(epochs: 4))
    }

    @Test func earlyStoppingTestAndNoValidation() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let model = TinyRegressor()
        // val_loss falls every epoch, so in max mode the second validation is no improvement: stop after 2 epochs.
        let stop = EarlyStopping(monitor: "val_loss", patience: 1, mode: .max)
        let trainer = Trainer(maxEpochs: 10, callbacks: [stop], loggers: [], enableCheckpointing: false,
                              enableProgressBar: false, enableModelSummary: false)
        try trainer.fit(model, dataModule: RegressionData())
        #expect(trainer.currentEpoch == 2 && stop.stoppedEpoch == 1 && trainer.shouldStop)

        // test: the mean of the batch losses weighted by batch size (5 + 1 rows).
        let data = RegressionData()
        let results = try trainer.test(model, dataModule: data, verbose: false)
        #expect(data.setupStages == [.test])
        let (x, y) = data.val
        let l1 = Float(noGrad { mseLoss(model(x[0..<5]), y[0..<5]) }.item()), l2 = Float(noGrad { mseLoss(model(x[5..<6]), y[5..<6]) }.item())
        #expect(results == ["test_loss": Double((l1 * 5 + l2 * 1) / 6)])

        // A data module without validation data: fit runs no validation.
        manualSeed(0)
        let plain = TinyRegressor()
        try Trainer(maxEpochs: 3, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
            .fit(plain, dataModule: TrainOnly())
        #expect(plain.valLosses.isEmpty)
        #expect(plain.lin.weight.toArray(Float.self) + plain.lin.bias!.toArray(Float.self) == manualWeights(epochs: 3))
    }

    @Test func predictRunsForwardInEvalModeWithoutGradients() throws {
        // Lightning's default predict_step is the model's forward on the batch; here on (inputs, targets)
        // batches, forward of the inputs. A Dropout layer shows that predict runs in eval mode.
        final class WithDropout: Module, TrainingModule {
            let lin = Linear(3, 2), drop = Dropout(0.5)
            override func forward(_ x: Tensor) -> Tensor { drop(lin(x)) }
            func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0).sum(dim: 1, keepDim: true), batch.1) }
            func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
        }
        final class PredictData: DataModule {
            let data = regressionData(10, seed: 3)
            func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(data.0, data.1), batchSize: 4) }
            func predictDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(data.0, data.1), batchSize: 4) }
        }
        manualSeed(0)
        let model = WithDropout()
        let data = PredictData()
        let trainer = Trainer(loggers: [], enableProgressBar: false, enableModelSummary: false)
        let out = try trainer.predict(model, dataModule: data)
        #expect(out.map(\.shape) == [[4, 2], [4, 2], [2, 2]])
        #expect(out.allSatisfy { !$0.requiresGrad })
        #expect(model.isTraining)   // restored afterwards
        let expected = noGrad { model.lin(data.data.0) }   // dropout off: the linear layer alone
        #expect(concat(out).toArray(Float.self) == expected.toArray(Float.self))
        let limited = try Trainer(loggers: [], enableProgressBar: false, enableModelSummary: false, limitPredictBatches: 2)
            .predict(model, dataLoaders: data.predictDataLoader())
        #expect(limited.count == 2)
    }

    @Test func resultsTableIsLightningsPlainText() {
        // Lightning 2.6 without `rich`: _EvaluationLoop._print_results([{"test_acc": 0.9283000230789185}], "test")
        let t = Trainer(loggers: [], enableCheckpointing: false).resultsTable(["test_acc": 0.9283000230789185], stage: "test")
        let bar = String(repeating: "─", count: 120)
        #expect(t == [bar, "       Test metric             DataLoader 0", bar, "        test_acc            0.9283000230789185", bar].joined(separator: "\n"))
    }
}

}

extension Core {
@Suite struct TensorBoardFormatTests {
    @Test func crc32cAndMasking() {
        // CRC-32C check value (RFC 3720 / iSCSI): crc32c("123456789") = 0xE3069283
        #expect(TensorBoardFormat.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(TensorBoardFormat.crc32c([]) == 0)
        // TFRecord mask: ((c >> 15) | (c << 17)) + 0xa282ead8, as in tensorboard's crc32c.masked_crc32c
        let c: UInt32 = 0xE306_9283
        #expect(TensorBoardFormat.maskedCRC32C(Array("123456789".utf8)) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    @Test func corruptEventFilesAreRejected() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tb = TensorBoardLogger(saveDir: dir, version: 7)
        try tb.logMetrics(["loss": 0.5, "acc": 0.25], step: 3)
        try tb.finalize(status: "success")
        #expect(tb.logDir == dir + "/lightning_logs/version_7")
        #expect(FileManager.default.fileExists(atPath: tb.logDir + "/hparams.yaml"))
        let names = try FileManager.default.contentsOfDirectory(atPath: tb.logDir)
        #expect(tb.eventFilePath == nil)   // finalize closed it
        let path = tb.logDir + "/" + names.first { $0.hasPrefix("events.out.tfevents.") }!
        let good = try TensorBoardFormat.readScalars(path)
        #expect(good.scalars.map(\.tag) == ["acc", "loss"] && good.scalars.map(\.value) == [0.25, 0.5] && good.scalars.allSatisfy { $0.step == 3 })
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        // a flipped data byte fails the data CRC; a cut file fails the framing
        bytes[bytes.count - 6] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: SerializationError.self) { try TensorBoardFormat.readScalars(path) }
        try Data(bytes.prefix(bytes.count - 3)).write(to: URL(fileURLWithPath: path))
        #expect(throws: SerializationError.self) { try TensorBoardFormat.readScalars(path) }
    }
}
}

// MARK: - Lightning's logging semantics, on a problem run through Lightning 2.6

/// Lightning's scenario: 12 training rows (batches of 4), 6 validation rows (4 + 2), Linear(2, 1) from
/// weight [[0.1, -0.2]], bias 0.05, SGD 0.1; logs with every on_step/on_epoch combination and one in
/// the epoch-end hook. PyTorch side (lightning 2.6.6):
///   def data(n, off): x_i = [(i+off)/10, ((i+off)%3)/3], y_i = [2*x0 - x1 + 0.5] (float32 tensors of Python floats)
///   training_step: log("train_loss", l); log("tl", l, on_step=True, on_epoch=True); log("te", l, on_step=False, on_epoch=True)
///   validation_step: log("val_loss", l); log("vs", l, on_step=True, on_epoch=True)
///   on_train_epoch_end: log("hook_metric", float(10 - current_epoch))
private final class LightningScenario: Module, TrainingModule {
    let lin = Linear(2, 1)
    override init() {
        super.init()
        try! lin.loadStateDict(StateDict([("weight", Tensor([[Float(0.1), Float(-0.2)]])), ("bias", Tensor([Float(0.05)]))]))
    }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let loss = mseLoss(self(batch.0), batch.1)
        log("train_loss", loss); log("tl", loss, onStep: true, onEpoch: true); log("te", loss, onStep: false, onEpoch: true)
        return loss
    }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let loss = mseLoss(self(batch.0), batch.1)
        log("val_loss", loss); log("vs", loss, onStep: true, onEpoch: true)
        return loss
    }
    func onTrainEpochEnd() { log("hook_metric", Double(10 - trainer!.currentEpoch)) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}

private func scenarioData(_ n: Int, _ off: Int, batchSize: Int) -> DataLoader<TensorDataset<(Tensor, Tensor)>> {
    var xs: [[Double]] = [], ys: [[Double]] = []
    for i in 0..<n {
        let a = Double(i + off) / 10, b = Double((i + off) % 3) / 3
        xs.append([a, b]); ys.append([2 * a - b + 0.5])
    }
    return DataLoader(TensorDataset(Tensor(xs).float(), Tensor(ys).float()), batchSize: batchSize)
}

extension Core {
@Suite struct LightningSemanticsTests {
    @Test func validationEveryTwoEpochsLogsAndCheckpointsLikeLightning() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Lightning: ModelCheckpoint(filename="{epoch}-{step}-{val_loss:.3f}", monitor="val_loss", save_top_k=-1);
        //   Trainer(max_epochs=4, logger=CSVLogger(out), log_every_n_steps=1, num_sanity_val_steps=0, check_val_every_n_epoch=2)
        let model = LightningScenario()
        let ckpt = ModelCheckpoint(filename: "{epoch}-{step}-{val_loss:.3f}", monitor: "val_loss", saveTopK: -1)
        let trainer = Trainer(maxEpochs: 4, callbacks: [ckpt], logger: CSVLogger(saveDir: dir), enableProgressBar: false,
                              enableModelSummary: false, logEveryNSteps: 1, numSanityValSteps: 0, checkValEveryNEpoch: 2)
        try trainer.fit(model, trainDataLoaders: scenarioData(12, 0, batchSize: 4), valDataLoaders: scenarioData(6, 12, batchSize: 4))
        #expect(trainer.currentEpoch == 4 && trainer.globalStep == 12)
        // Lightning's metrics.csv, byte for byte: step rows, validation step rows (own counter, no epoch),
        // validation epoch rows, and one row for the training epoch means with what the hook logged.
        let expected = [
            "epoch,hook_metric,step,te,tl_epoch,tl_step,train_loss,val_loss,vs_epoch,vs_step",
            "0,,0,,,0.36757218837738037,0.36757218837738037,,,",
            "0,,1,,,1.3275266885757446,1.3275266885757446,,,",
            "0,,2,,,2.103703498840332,2.103703498840332,,,",
            "0,10.0,2,1.2662674188613892,1.2662674188613892,,,,,",
            "1,,3,,,0.12391870468854904,0.12391870468854904,,,",
            "1,,4,,,0.23900291323661804,0.23900291323661804,,,",
            "1,,5,,,0.663406491279602,0.663406491279602,,,",
            ",,0,,,,,,,1.3730895519256592",
            ",,1,,,,,,,1.6086547374725342",
            "1,,5,,,,,1.4516111612319946,1.4516111612319946,",
            "1,9.0,5,0.342109352350235,0.342109352350235,,,,,",
            "2,,6,,,0.2601436674594879,0.2601436674594879,,,",
            "2,,7,,,0.11021240800619125,0.11021240800619125,,,",
            "2,,8,,,0.3498862385749817,0.3498862385749817,,,",
            "2,8.0,8,0.24008077383041382,0.24008077383041382,,,,,",
            "3,,9,,,0.30673134326934814,0.30673134326934814,,,",
            "3,,10,,,0.0905933603644371,0.0905933603644371,,,",
            "3,,11,,,0.25286656618118286,0.25286656618118286,,,",
            ",,2,,,,,,,0.8068954348564148",
            ",,3,,,,,,,0.8910248279571533",
            "3,,11,,,,,0.8349385261535645,0.8349385261535645,",
            "3,7.0,11,0.21673043072223663,0.21673043072223663,,,,,",
        ]
        // The same rows and cells; numbers to float32 rounding (four training losses differ in their last bit:
        // the weight gradient of a 4-row batch is summed in another order).
        let csv = try String(contentsOfFile: dir + "/lightning_logs/version_0/metrics.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let want = expected.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == want.count && rows.first == want.first)
        for (r, w) in zip(rows, want) {
            #expect(r.count == w.count)
            for (a, b) in zip(r, w) {
                if let x = Double(a), let y = Double(b) { #expect(abs(x - y) <= 2e-7 * max(1, abs(y)), "\(a) vs \(b)") }
                else { #expect(a == b) }
            }
        }
        // best_k_models: epoch=1-step=6-val_loss=1.452.ckpt and epoch=3-step=12-val_loss=0.835.ckpt
        #expect(ckpt.bestKModels.keys.map { ($0 as NSString).lastPathComponent }.sorted()
                == ["epoch=1-step=6-val_loss=1.452.ckpt", "epoch=3-step=12-val_loss=0.835.ckpt"])
        #expect(ckpt.bestModelPath.hasSuffix("epoch=3-step=12-val_loss=0.835.ckpt"))
        // callback_metrics: the plain name of an on_step + on_epoch metric holds its epoch value (tl = te = 0.216730)
        #expect(trainer.callbackMetrics["tl"] == trainer.callbackMetrics["tl_epoch"] && trainer.callbackMetrics["tl"] == trainer.callbackMetrics["te"])
        #expect(trainer.callbackMetrics["vs_step"] == nil && trainer.callbackMetrics["hook_metric"] == 7)
    }

    @Test func callbacksMonitorWhatTheEpochHookLogged() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Lightning: EarlyStopping(monitor="hook_metric", patience=1, mode="max"), ModelCheckpoint(monitor="hook_metric", mode="max"),
        //   Trainer(max_epochs=4) -> stopped_epoch 1, current_epoch 2, global_step 6, best epoch=0-step=3.ckpt with score 10.0,
        //   weights ['0.711722', '0.022052'] ['0.850736']
        let model = LightningScenario()
        let stop = EarlyStopping(monitor: "hook_metric", patience: 1, mode: .max)
        let ckpt = ModelCheckpoint(monitor: "hook_metric", mode: .max)
        let trainer = Trainer(maxEpochs: 4, callbacks: [stop, ckpt], logger: CSVLogger(saveDir: dir), enableProgressBar: false,
                              enableModelSummary: false, logEveryNSteps: 1)
        try trainer.fit(model, trainDataLoaders: scenarioData(12, 0, batchSize: 4), valDataLoaders: scenarioData(6, 12, batchSize: 4))
        #expect(stop.stoppedEpoch == 1 && trainer.currentEpoch == 2 && trainer.globalStep == 6)
        #expect(ckpt.bestModelPath.hasSuffix("epoch=0-step=3.ckpt") && ckpt.bestModelScore == 10)
        expectValues(model.lin.weight, [0.711722, 0.022052], atol: 1e-6, rtol: 0)
        expectValues(model.lin.bias!, [0.850736], atol: 1e-6, rtol: 0)
    }

    @Test func metricExtras() {
        // torchmetrics: ConfusionMatrix(task="multilabel", num_labels=3)(ml, mt).flatten()
        let ml = Tensor([[0.9, 0.2, 0.6], [0.1, 0.8, 0.4], [0.7, 0.3, 0.2], [0.4, 0.6, 0.9]])
        let mt = Tensor([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
        let cm = ConfusionMatrix(task: .multilabel(numLabels: 3))(ml, mt)
        #expect(cm.shape == [3, 2, 2] && cm.toArray(Int.self) == [2, 0, 0, 2, 1, 1, 1, 1, 1, 0, 1, 2])
        // ConfusionMatrix(task="multiclass", num_classes=3, normalize="true")(p, t).flatten()
        let t = Tensor([0, 1, 2, 0, 1, 2, 0, 0]), p = Tensor([0, 2, 2, 1, 1, 2, 0, 2])
        #expect(ConfusionMatrix(task: .multiclass(numClasses: 3), normalize: "true")(p, t).toArray(Float.self) == [0.5, 0.25, 0.25, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0])
        // MeanMetric()(tensor([1., nan, 3.])) -> 2.0 (NaN dropped with a warning)
        let m = MeanMetric()
        m.update(Tensor([1.0, .nan, 3.0]))
        #expect(m.compute().item() == 2)
    }
}
}

private final class MetricLogging: Module, TrainingModule {
    let lin = Linear(3, 2)
    let acc = Accuracy(task: .multiclass(numClasses: 2)), vacc = Accuracy(task: .multiclass(numClasses: 2))
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let logits = self(batch.0)
        _ = acc(logits, batch.1)
        log("train_acc", acc, onStep: true, onEpoch: true)
        return crossEntropy(logits, batch.1)
    }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        _ = vacc(self(batch.0), batch.1)
        log("val_acc", vacc)
        return nil
    }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.5) }
}

extension Core {
@Suite struct MetricObjectLoggingTests {
    @Test func loggingMetricObjectsComputesAndResetsPerEpoch() throws {
        // Lightning 2.6: torch.manual_seed(0); x = torch.randn(40, 3); y = (x[:, 0] + 0.5 * x[:, 1] > 0).long(); M() with
        //   Linear(3, 2) and Accuracy metrics; training_step: s.acc(logits, y); s.log("train_acc", s.acc, on_step=True, on_epoch=True)
        //   validation_step: s.vacc(logits, y); s.log("val_acc", s.vacc); SGD lr 0.5, batch 8, val = first 16 rows,
        //   Trainer(max_epochs=2, logger=False, enable_checkpointing=False, num_sanity_val_steps=0)
        //   callback_metrics: train_acc 0.949999988079071, train_acc_epoch 0.949999988079071, train_acc_step 0.875, val_acc 1.0
        //   weight [-0.785844087600708, -0.14396356046199799, 0.17588183283805847, 1.168992042541504, 0.6410490274429321, 0.30761271715164185]
        manualSeed(0)
        let x = Tensor.randn(40, 3)
        let y = ((x[.all, 0] + x[.all, 1] * 0.5) .> 0).long()
        let model = MetricLogging()
        let trainer = Trainer(maxEpochs: 2, loggers: [], enableCheckpointing: false, enableProgressBar: false,
                              enableModelSummary: false, numSanityValSteps: 0)
        try trainer.fit(model, trainDataLoaders: DataLoader(TensorDataset(x, y), batchSize: 8),
                        valDataLoaders: DataLoader(TensorDataset(x[0..<16], y[0..<16]), batchSize: 8))
        #expect(trainer.callbackMetrics == ["train_acc": Double(Float(0.95)), "train_acc_epoch": Double(Float(0.95)),
                                            "train_acc_step": 0.875, "val_acc": 1.0])
        expectValues(model.lin.weight, [-0.785844087600708, -0.14396356046199799, 0.17588183283805847, 1.168992042541504,
                                        0.6410490274429321, 0.30761271715164185], atol: 1e-6, rtol: 1e-6)
        #expect(model.acc.updateCount == 0)   // reset by the trainer at the epoch's end
    }
}
}
