// Lecture: the Trainer's callbacks, logging and resume after a crash. A small synthetic 3-class problem
// (2-D points, MLP 2-16-3, Adam with a StepLR scheduler) trained as a Lightning user would: ModelCheckpoint
// (monitor, saveTopK, saveLast, a filename pattern), EarlyStopping, LearningRateMonitor and a CSVLogger
// whose metrics.csv is read back; callback / logged / progress-bar metrics; validate, test and predict;
// loadFromCheckpoint; a fit stopped after 2 epochs and resumed to 4 from last.ckpt against an uninterrupted
// 4-epoch run (with a callback whose state rides in the checkpoint); gradient accumulation and clipping
// against a hand-written loop; last, Lightning conveniences a newcomer reaches for.
// Written as a Lightning user would write it against Descent. Expected output:
// pytorch/25-trainer-resume.py's (pytorch/25-trainer-resume.expected). No data files are read.
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func pyList(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }
func f4(_ v: Double) -> String { String(format: "%.4f", v) }
func show(_ metrics: [String: Double]) -> String {
    metrics.keys.sorted().map { "\($0)=\(f4(metrics[$0]!))" }.joined(separator: " ")
}
func basename(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
func listDir(_ path: String) throws -> String { pyList(try FileManager.default.contentsOfDirectory(atPath: path).sorted()) }

// tempfile.mkdtemp()
let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("descent-probe-25-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)

// ---------------------------------------------------------------- data
manualSeed(0)
let X = Tensor.randn(224, 2)
let Y = (X[.all, 0] + X[.all, 1]).gt(0).long() + (X[.all, 0] - X[.all, 1]).gt(1).long()
let trainDs = TensorDataset(X[..<128], Y[..<128])
let valDs = TensorDataset(X[128..<160], Y[128..<160])
let testDs = TensorDataset(X[160...], Y[160...])
let valLoader = DataLoader(valDs, batchSize: 16)
let testLoader = DataLoader(testDs, batchSize: 32)

final class LitClassifier: Module, TrainingModule, HyperparametersInitializable {
    let net: Sequential
    var note: String? = nil

    init(lr: Double = 0.05, hidden: Int = 16) {
        net = Sequential {
            Linear(2, hidden)
            Tanh()
            Linear(hidden, 3)
        }
        super.init()
        saveHyperparameters(["lr": .init(lr), "hidden": .init(hidden)])
    }
    // what `LitClassifier.loadFromCheckpoint(path)` builds from the saved hyper-parameters (Lightning calls cls(**hparams))
    convenience init(hparams: [String: HParamValue]) { self.init(lr: hparams["lr"]!.double!, hidden: hparams["hidden"]!.int!) }
    override func forward(_ x: Tensor) -> Tensor { net(x) }

    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let (x, y) = batch
        let loss = crossEntropy(self(x), y)
        log("train_loss", loss, progressBar: true, onStep: true, onEpoch: true)
        return loss
    }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let (x, y) = batch
        let logits = self(x)
        log("val_loss", crossEntropy(logits, y), progressBar: true)
        log("val_acc", logits.argmax(dim: 1).eq(y).float().mean())
        return nil
    }
    func testStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let (x, y) = batch
        let logits = self(x)
        log("test_loss", crossEntropy(logits, y))
        log("test_acc", logits.argmax(dim: 1).eq(y).float().mean())
        return nil
    }
    func predictStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let (x, _) = batch
        return self(x).softmax(dim: 1)
    }
    // Lightning: return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch", "frequency": 1}}
    func configureOptimizers() -> Optimizer { Adam(parameters(), lr: hparams["lr"]!.double!) }
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { StepLR(optimizer, stepSize: 1, gamma: 0.5) }
    var lrSchedulerInterval: LRSchedulerInterval { .epoch }
    var lrSchedulerFrequency: Int { 1 }

    // extra state in the checkpoint (Lightning's on_save_checkpoint / on_load_checkpoint)
    func onSaveCheckpoint(_ checkpoint: inout Checkpoint) {
        checkpoint["note"] = "saved at epoch \(trainer?.currentEpoch ?? -1)"
    }
    func onLoadCheckpoint(_ checkpoint: Checkpoint) {
        note = checkpoint["note"]
    }
}

func lin(_ m: LitClassifier, _ i: Int) -> Linear { m.net[i] as! Linear }   // model.net[i]

func weightsEqual(_ a: Module, _ b: Module) -> Bool {
    let sa = a.stateDict(), sb = b.stateDict()
    return sa.keys == sb.keys && sa.allSatisfy { pair in sb[pair.0].map { $0.equal(pair.1) } ?? false }
}

/// Python's `dict(model.hparams)`: `{'lr': 0.05, 'hidden': 16}`.
func showHparams(_ h: [String: HParamValue]) -> String {
    "{'lr': \(h["lr"]!.double!), 'hidden': \(h["hidden"]!.int!)}"
}

/// metrics.csv as header and rows (Python's csv.reader).
func csvRows(_ path: String) throws -> (header: [String], rows: [[String]]) {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    let cells = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    return (cells[0], Array(cells.dropFirst()))
}

/// A row with numbers to 4 decimals, epoch and step as written, empty cells as "-".
func showRow(_ header: [String], _ row: [String]) -> String {
    zip(header, row).map { pair -> String in
        let (key, cell) = pair
        if cell.isEmpty { return "-" }
        return key == "epoch" || key == "step" ? cell : f4(Double(cell)!)
    }.joined(separator: " ")
}

block("data")
print(X.shape, Y.shape)
print(Y[..<128].bincount().tolist(), Y[128..<160].bincount().tolist(), Y[160...].bincount().tolist())
print(trainDs.count, valDs.count, testDs.count)

// ---------------------------------------------------------------- fit with callbacks and a CSV logger
block("fit with ModelCheckpoint, EarlyStopping, LearningRateMonitor and CSVLogger")
seedEverything(42, verbose: false)
let model = LitClassifier()
print(showHparams(model.hparams))
let trainLoader = DataLoader(trainDs, batchSize: 16, shuffle: true)
print(trainLoader.count, valLoader.count, testLoader.count)
let ckptDir = tmp + "/ckpts"
let checkpoint = ModelCheckpoint(dirpath: ckptDir, filename: "{epoch:02d}-{val_loss:.3f}", monitor: "val_loss", mode: .min,
                                 saveTopK: 2, saveLast: true)
let early = EarlyStopping(monitor: "val_acc", patience: 2, mode: .max)
let lrMonitor = LearningRateMonitor(loggingInterval: .epoch)
let csvLogger = CSVLogger(saveDir: tmp, name: "csv", version: 0)
let trainer = Trainer(maxEpochs: 12, callbacks: [checkpoint, early, lrMonitor], logger: csvLogger, enableProgressBar: false,
                      enableModelSummary: false, logEveryNSteps: 4, accelerator: .cpu, devices: 1)
try trainer.fit(model, trainDataLoaders: trainLoader, valDataLoaders: valLoader)
print("current_epoch", trainer.currentEpoch, "global_step", trainer.globalStep)
print("should_stop", py(trainer.shouldStop), "stopped_epoch", early.stoppedEpoch, "wait_count", early.waitCount,
      "best_score", f4(early.bestScore))
print("log_dir", String(trainer.logDir.dropFirst(tmp.count + 1)))

block("metrics after fit")
print("callback_metrics", show(trainer.callbackMetrics))
print("progress_bar_metrics", show(trainer.progressBarMetrics))
print("logged_metrics", show(trainer.loggedMetrics))

block("checkpoints")
print(try listDir(ckptDir))
print("best", basename(checkpoint.bestModelPath), f4(checkpoint.bestModelScore!))
let topK = checkpoint.bestKModels.keys.sorted().map { path in "('\(basename(path))', '\(f4(checkpoint.bestKModels[path]!))')" }
print("top k", "[" + topK.joined(separator: ", ") + "]")
print("last", basename(checkpoint.lastModelPath))
print(py(trainer.checkpointCallback === checkpoint))
var ck = try loadCheckpoint(from: checkpoint.lastModelPath)
print("last.ckpt epoch", try ck.int("epoch"), "global_step", try ck.int("global_step"))
print(pyList(try ck.stateDict("state_dict").keys))

block("learning rates")
let lrLists = lrMonitor.lrs.keys.sorted().map { name in "'\(name)': " + pyList(lrMonitor.lrs[name]!.map(f4)) }
print("{" + lrLists.joined(separator: ", ") + "}")
print("lr now", trainer.optimizers[0].paramGroups[0].lr)
print("scheduler last_epoch", trainer.lrSchedulers[0].lastEpoch)

block("CSVLogger metrics.csv")
let metricsPath = csvLogger.logDir + "/metrics.csv"
print(try listDir(csvLogger.logDir))
let (header, rows) = try csvRows(metricsPath)
print(pyList(header))
print(rows.count, "rows")
for r in rows { print(showRow(header, r)) }
print(try String(contentsOfFile: csvLogger.logDir + "/hparams.yaml", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))

// ---------------------------------------------------------------- validate, test, predict
block("validate, test and predict")
let val = try trainer.validate(model, dataLoaders: valLoader, verbose: false)
print("validate", show(val))
print("callback_metrics", show(trainer.callbackMetrics))
let res = try trainer.test(model, dataLoaders: testLoader, verbose: false)
print("test", show(res))
let preds = try trainer.predict(model, dataLoaders: testLoader)
print(preds.count, preds.map { $0.shape })
let probs = cat(preds)
print(probs[..<3])
print(probs.argmax(dim: 1)[..<16])
print(f4(probs.argmax(dim: 1).eq(Y[160...]).float().mean().item()))
let (header2, rows2) = try csvRows(metricsPath)
print(pyList(header2))
for r in rows2.dropFirst(rows.count) { print(showRow(header2, r)) }

block("load_from_checkpoint")
let restored = LitClassifier()
try restored.loadFromCheckpoint(checkpoint.bestModelPath)
print(showHparams(restored.hparams), restored.note ?? "None")
let valBest = try Trainer(logger: false, enableProgressBar: false, enableModelSummary: false, accelerator: .cpu, devices: 1)
    .validate(restored, dataLoaders: valLoader, verbose: false)
print("val_loss", f4(valBest["val_loss"]!), "best_model_score", f4(checkpoint.bestModelScore!))
print(py(abs(valBest["val_loss"]! - checkpoint.bestModelScore!) < 1e-6))
print(py(weightsEqual(restored, model)))

// ---------------------------------------------------------------- resume after a crash
/// Prints each epoch's losses and keeps them.
final class History: Callback {
    var losses: [[Double]] = []
    override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {
        let m = trainer.callbackMetrics
        losses.append([m["train_loss_epoch"]!, m["val_loss"]!])
        print("  epoch \(trainer.currentEpoch): train_loss_epoch=\(f4(m["train_loss_epoch"]!)) val_loss=\(f4(m["val_loss"]!))"
              + " lr=\(trainer.optimizers[0].paramGroups[0].lr)")
    }
}

/// Counts the epochs it has seen; its count is part of the checkpoint (stateDict / loadStateDict).
final class EpochCounter: Callback {
    var epochs = 0
    override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws { epochs += 1 }
    override func stateDict() -> [String: String] { ["epochs": "\(epochs)"] }
    override func loadStateDict(_ state: [String: String]) throws { epochs = Int(state["epochs"]!)! }
}

func shuffledLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> {   // its own generator: every epoch's order is fixed by the seed
    DataLoader(trainDs, batchSize: 16, shuffle: true, generator: Generator().manualSeed(5))
}

block("uninterrupted 4 epochs")
seedEverything(7, verbose: false)
let straight = LitClassifier()
let histA = History()
let tA = Trainer(maxEpochs: 4, callbacks: [histA], logger: false, enableCheckpointing: false, enableProgressBar: false,
                 enableModelSummary: false, accelerator: .cpu, devices: 1)
try tA.fit(straight, trainDataLoaders: shuffledLoader(), valDataLoaders: valLoader)
print("current_epoch", tA.currentEpoch, "global_step", tA.globalStep)

block("stopped after 2 epochs")
let resumeDir = tmp + "/resume"
seedEverything(7, verbose: false)
let first = LitClassifier()
let loaderB = shuffledLoader()
let histB = History(), counterB = EpochCounter()
let tB = Trainer(maxEpochs: 2, callbacks: [ModelCheckpoint(dirpath: resumeDir, saveLast: true), histB, counterB], logger: false,
                 enableProgressBar: false, enableModelSummary: false, accelerator: .cpu, devices: 1)
try tB.fit(first, trainDataLoaders: loaderB, valDataLoaders: valLoader)
print("current_epoch", tB.currentEpoch, "global_step", tB.globalStep, "counter", counterB.epochs)
print(try listDir(resumeDir))
let lastPath = resumeDir + "/last.ckpt"
ck = try loadCheckpoint(from: lastPath)
let savedNote: String? = ck["note"]
print("last.ckpt epoch", try ck.int("epoch"), "global_step", try ck.int("global_step"), "note", savedNote ?? "None")

block("resumed from last.ckpt to 4 epochs")
let second = LitClassifier()   // a new process would build a fresh model; fit(ckptPath:) restores everything
let histC = History(), counterC = EpochCounter()
let resumeCkpt = ModelCheckpoint(dirpath: resumeDir, saveLast: true)
let tC = Trainer(maxEpochs: 4, callbacks: [resumeCkpt, histC, counterC], logger: false, enableProgressBar: false,
                 enableModelSummary: false, accelerator: .cpu, devices: 1)
try tC.fit(second, trainDataLoaders: loaderB, valDataLoaders: valLoader, ckptPath: lastPath)
print("current_epoch", tC.currentEpoch, "global_step", tC.globalStep, "counter", counterC.epochs, "note", second.note ?? "None")
print("lr", tC.optimizers[0].paramGroups[0].lr, "scheduler last_epoch", tC.lrSchedulers[0].lastEpoch)
print(try listDir(resumeDir))
print("best", basename(resumeCkpt.bestModelPath))
let lossesResumed = histB.losses + histC.losses
print("losses equal", py(lossesResumed == histA.losses))
print("weights equal", py(weightsEqual(second, straight)))
print(f4(lin(straight, 0).weight.sum().item()), f4(lin(second, 0).weight.sum().item()))
print(f4(tA.callbackMetrics["val_loss"]!), f4(tC.callbackMetrics["val_loss"]!))

// ---------------------------------------------------------------- accumulation and clipping
block("accumulate_grad_batches and gradient_clip_val")
let plainLoader = DataLoader(trainDs, batchSize: 16)

/// The loop Lightning runs: the loss divided by `accumulate`, a step every `accumulate` batches and at the
/// epoch's last batch, the gradients clipped before the step, StepLR after each epoch.
func byHand(accumulate: Int, clip: Double, algorithm: String, epochs: Int) -> (LitClassifier, Int) {
    seedEverything(3, verbose: false)
    let m = LitClassifier()
    let opt = Adam(m.parameters(), lr: 0.05)
    let sched = StepLR(opt, stepSize: 1, gamma: 0.5)
    var steps = 0
    for _ in 0..<epochs {
        let n = plainLoader.count
        for (i, (x, y)) in plainLoader.enumerated() {
            (crossEntropy(m(x), y) / Double(accumulate)).backward()
            if (i + 1) % accumulate == 0 || i + 1 == n {
                if algorithm == "norm" {
                    clipGradNorm_(m.parameters(), maxNorm: clip)
                } else {
                    clipGradValue_(m.parameters(), clipValue: clip)
                }
                opt.step()
                opt.zeroGrad()
                steps += 1
            }
        }
        sched.step()
    }
    return (m, steps)
}

for (accumulate, clip, algorithm) in [(3, 0.5, "norm"), (1, 0.01, "value")] {
    seedEverything(3, verbose: false)
    let m = LitClassifier()
    let t = Trainer(maxEpochs: 2, logger: false, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false,
                    accumulateGradBatches: accumulate, gradientClipVal: clip, gradientClipAlgorithm: algorithm,
                    accelerator: .cpu, devices: 1)
    try t.fit(m, trainDataLoaders: plainLoader)
    let (hand, steps) = byHand(accumulate: accumulate, clip: clip, algorithm: algorithm, epochs: 2)
    print("accumulate=\(accumulate) clip=\(clip) \(algorithm): global_step", t.globalStep, "by hand", steps,
          "train_loss_epoch", f4(t.callbackMetrics["train_loss_epoch"]!))
    print("  weights equal", py(weightsEqual(m, hand)), f4(lin(m, 0).weight.sum().item()), f4(lin(hand, 0).weight.sum().item()))
}

// ---------------------------------------------------------------- last: what may be missing in Descent
block("Lightning conveniences")
seedEverything(11, verbose: false)
let extra = LitClassifier(hidden: 8)
let ckExtra = ModelCheckpoint(dirpath: tmp + "/extra", monitor: "val_loss", saveLast: true)
let tX = Trainer(maxEpochs: 3, callbacks: [ckExtra, EarlyStopping(monitor: "val_loss", patience: 5)], logger: false,
                 enableProgressBar: false, enableModelSummary: false, accelerator: .cpu, devices: 1)
try tX.fit(extra, trainDataLoaders: trainLoader, valDataLoaders: valLoader)
print("estimated_stepping_batches", tX.estimatedSteppingBatches, "num_training_batches", tX.numTrainingBatches)
print(tX.earlyStoppingCallback!.patience, tX.earlyStoppingCallback!.waitCount)
print(tX.checkpointCallbacks.count)
let bestVal = try tX.validate(extra, dataLoaders: valLoader, ckptPath: "best", verbose: false)
print("validate best", show(bestVal), f4(ckExtra.bestModelScore!))
print("test best", show(try tX.test(extra, dataLoaders: testLoader, ckptPath: "best", verbose: false)))
let manualPath = tmp + "/extra/manual.ckpt"
try tX.saveCheckpoint(manualPath)
let rebuilt = try LitClassifier.loadFromCheckpoint(manualPath)
print(showHparams(rebuilt.hparams), lin(rebuilt, 0).weight.shape, rebuilt.note ?? "None", py(weightsEqual(rebuilt, extra)))
let tY = Trainer(maxEpochs: 4, callbacks: [ModelCheckpoint(dirpath: tmp + "/extra", monitor: "val_loss", saveLast: true)],
                 logger: false, enableProgressBar: false, enableModelSummary: false, accelerator: .cpu, devices: 1)
do {
    try tY.fit(extra, trainDataLoaders: trainLoader, valDataLoaders: valLoader, ckptPath: "last")
    print("resumed from 'last': current_epoch", tY.currentEpoch, "global_step", tY.globalStep)
} catch {
    print("resumed from 'last' failed:", error)
}

try FileManager.default.removeItem(atPath: tmp)
print(py(FileManager.default.fileExists(atPath: tmp)))
