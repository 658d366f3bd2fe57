// Lecture: torchmetrics and Lightning. Classification metrics (multiclass, binary, multilabel: accuracy
// micro/macro/top-k/per class, precision, recall, F1, F-beta, specificity, confusion matrix, MCC, kappa,
// AUROC, average precision, ROC), regression metrics, aggregation metrics, update/compute/reset and the
// per-batch values of forward, the functional forms; then a Lightning-style training of a small MLP on
// the first 2,000 MNIST images (seeded, 2 epochs, batch 64, Adam) with a callback printing the
// callback metrics each epoch, the final callback / progress-bar / logged metrics, validate and test.
// Expected output: pytorch/16-metrics-and-trainer.py's (pytorch/16-metrics-and-trainer.expected).
// The MNIST folder comes from DESCENT_MNIST (default /work/shared/data/mnist).
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func f4(_ v: Double) -> String { String(format: "%.4f", v) }
func show(_ metrics: [String: Double]) -> String {
    metrics.keys.sorted().map { "\($0)=\(f4(metrics[$0]!))" }.joined(separator: " ")
}
let root = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "/work/shared/data/mnist"

block("multiclass data")
manualSeed(0)
let logits = Tensor.randn(12, 4)
let target = Tensor.randint(0, 4, [12])
print(target)
print(logits.argmax(dim: 1))

block("accuracy")
do {
    let acc = Accuracy(task: .multiclass(numClasses: 4))
    print(acc)
    print(acc(logits, target))
    print(f4(acc.compute().item()))
    print(Accuracy(task: .multiclass(numClasses: 4), average: .macro)(logits, target))
    print(Accuracy(task: .multiclass(numClasses: 4), topK: 2)(logits, target))
    print(Accuracy(task: .multiclass(numClasses: 4), average: .none)(logits, target))
    print(Accuracy(task: .multiclass(numClasses: 4), ignoreIndex: 0)(logits, target))
    print(Accuracy(task: .multiclass(numClasses: 4))(logits.argmax(dim: 1), target))
}

block("precision recall f1")
for average in [MetricAverage.micro, .macro, .weighted, .none] {
    let p = Precision(task: .multiclass(numClasses: 4), average: average)(logits, target)
    let r = Recall(task: .multiclass(numClasses: 4), average: average)(logits, target)
    let f = F1Score(task: .multiclass(numClasses: 4), average: average)(logits, target)
    print(average == .none ? "None" : average.rawValue, p, r, f)
}
print(FBetaScore(task: .multiclass(numClasses: 4), beta: 0.5, average: .macro)(logits, target))
print(Specificity(task: .multiclass(numClasses: 4), average: .macro)(logits, target))
print(Precision(task: .multiclass(numClasses: 4)))

block("confusion matrix")
do {
    let cm = ConfusionMatrix(task: .multiclass(numClasses: 4))
    print(cm)
    print(cm(logits, target))
    print(ConfusionMatrix(task: .multiclass(numClasses: 4), normalize: "true")(logits, target))
    print(MatthewsCorrCoef(task: .multiclass(numClasses: 4))(logits, target))
    print(CohenKappa(task: .multiclass(numClasses: 4))(logits, target))
}

block("update compute reset")
do {
    let acc = Accuracy(task: .multiclass(numClasses: 4))
    let f1 = F1Score(task: .multiclass(numClasses: 4), average: .macro)
    for i in 0..<3 {
        let lb = logits[(4 * i)..<(4 * i + 4)], tb = target[(4 * i)..<(4 * i + 4)]
        let batchAcc = acc(lb, tb)
        f1.update(lb, tb)
        print("batch \(i): acc \(f4(batchAcc.item()))")
    }
    print("epoch acc \(f4(acc.compute().item())) f1 \(f4(f1.compute().item()))")
    acc.reset()
    f1.reset()
    acc.update(logits[0..<6], target[0..<6])
    print("after reset \(f4(acc.compute().item()))")
}

block("binary")
manualSeed(1)
let probs = Tensor.rand(10)
let tbin = Tensor.randint(0, 2, [10])
print(probs)
print(tbin)
do {
    print(Accuracy(task: .binary)(probs, tbin))
    print(Accuracy(task: .binary, threshold: 0.3)(probs, tbin))
    print(Precision(task: .binary)(probs, tbin), Recall(task: .binary)(probs, tbin), F1Score(task: .binary)(probs, tbin))
    print(ConfusionMatrix(task: .binary)(probs, tbin))
    let auroc = AUROC(task: .binary)
    print(auroc)
    print(auroc(probs, tbin))
    print(AveragePrecision(task: .binary)(probs, tbin))
    let roc = ROC(task: .binary)
    roc.update(probs, tbin)
    let (fpr, tpr, thresholds) = roc.curve()      // PyTorch: fpr, tpr, thresholds = roc.compute()
    print(fpr)
    print(tpr)
    print(thresholds)
    print(accuracy(Tensor.randn(10), tbin, task: .binary))
}

block("multilabel")
do {
    manualSeed(2)
    let mp = Tensor.rand(8, 3)
    let mt = Tensor.randint(0, 2, [8, 3])
    print(Accuracy(task: .multilabel(numLabels: 3))(mp, mt))
    print(F1Score(task: .multilabel(numLabels: 3), average: .macro)(mp, mt))
    print(ConfusionMatrix(task: .multilabel(numLabels: 3))(mp, mt))
}

block("multiclass auroc")
for average in [MetricAverage.macro, .weighted, .none] {
    print(average == .none ? "None" : average.rawValue, AUROC(task: .multiclass(numClasses: 4), average: average)(logits, target))
}
print(AveragePrecision(task: .multiclass(numClasses: 4))(logits.softmax(dim: 1), target))

block("regression")
manualSeed(3)
let yt = Tensor.randn(20)
let yp = yt + 0.3 * Tensor.randn(20)
do {
    let mse = MeanSquaredError()
    let r2 = R2Score()
    for i in 0..<2 {
        let part = (10 * i)..<(10 * i + 10)
        print("batch \(i): mse \(String(format: "%.6f", mse(yp[part], yt[part]).item()))")
        r2.update(yp[part], yt[part])
    }
    print(mse.compute(), r2.compute())
    print(MeanSquaredError(squared: false)(yp, yt))
    print(MeanAbsoluteError()(yp, yt))
    print(PearsonCorrCoef()(yp, yt))
    print(SpearmanCorrCoef()(yp, yt))
    print(ExplainedVariance()(yp, yt))
    print(mse)
}

block("aggregation")
do {
    let mean = MeanMetric()
    mean.update(Tensor([1.0, 2.0, 3.0]))
    mean.update(4.0)
    mean.update(Tensor(5.0), weight: 2.0)
    print(mean.compute())
    mean.reset()
    mean.update(Tensor([10.0, 20.0]))
    print(mean.compute())
    let s = SumMetric(), mx = MaxMetric(), mn = MinMetric(), cat = CatMetric()
    for v in [Tensor([1.0, -2.0]), Tensor(7.0), Tensor([0.5])] {
        s.update(v); mx.update(v); mn.update(v); cat.update(v)
    }
    print(s.compute(), mx.compute(), mn.compute(), cat.compute())
}

block("functional")
print(accuracy(logits, target, task: .multiclass(numClasses: 4)))
print(accuracy(logits, target, task: .multiclass(numClasses: 4), average: .macro))
print(precision(logits, target, task: .multiclass(numClasses: 4), average: .macro))
print(recall(logits, target, task: .multiclass(numClasses: 4), average: .macro))
print(f1Score(logits, target, task: .multiclass(numClasses: 4), average: .macro))
print(confusionMatrix(logits, target, task: .multiclass(numClasses: 4)))
print(auroc(probs, tbin, task: .binary))
print(meanSquaredError(yp, yt), meanAbsoluteError(yp, yt), r2Score(yp, yt))

// ---------------------------------------------------------------- Lightning
final class LitMLP: Module, TrainingModule {
    let net = Sequential { Flatten(); Linear(784, 64); ReLU(); Linear(64, 10) }
    let valAcc = Accuracy(task: .multiclass(numClasses: 10))
    let testAcc = Accuracy(task: .multiclass(numClasses: 10))
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
        log("val_loss", crossEntropy(logits, y))
        valAcc.update(logits, y)
        return nil
    }
    func onValidationEpochEnd() {
        log("val_acc", valAcc.compute(), progressBar: true)
        valAcc.reset()
    }
    func testStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let (x, y) = batch
        _ = testAcc(self(x), y)
        log("test_acc", testAcc)
        return nil
    }
    func configureOptimizers() -> Optimizer { Adam(parameters(), lr: 1e-3) }
}

final class PrintMetrics: Callback {
    override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {
        print("epoch \(trainer.currentEpoch): " + show(trainer.callbackMetrics))
    }
}

block("lightning data")
let fullTrain = try MNIST(root: root, train: true, transform: ToTensor())
let first = Subset(fullTrain, 0..<2000)
let parts = randomSplit(first, [1600, 400], generator: Generator().manualSeed(42))
let (trainDs, valDs) = (parts[0], parts[1])
let testFull = try MNIST(root: root, train: false, transform: ToTensor())
let testDs = Subset(testFull, 0..<1000)
print(trainDs.count, valDs.count, testDs.count)
print(Array(trainDs.indices.prefix(8)))
seedEverything(42)
let model = LitMLP()
let trainLoader = DataLoader(trainDs, batchSize: 64, shuffle: true)
let valLoader = DataLoader(valDs, batchSize: 64)
let testLoader = DataLoader(testDs, batchSize: 256)
print(trainLoader.count, valLoader.count, testLoader.count)
print(model)

block("lightning fit")
let trainer = Trainer(maxEpochs: 2, callbacks: [PrintMetrics()], logger: false, enableCheckpointing: false,
                      enableProgressBar: false, enableModelSummary: false, accelerator: .cpu, devices: 1)
try trainer.fit(model, trainDataLoaders: trainLoader, valDataLoaders: valLoader)
print(trainer.currentEpoch, trainer.globalStep)
print("callback_metrics", show(trainer.callbackMetrics))
print("progress_bar_metrics", show(trainer.progressBarMetrics))
print("logged_metrics", show(trainer.loggedMetrics))
print(f4((model.net[1] as! Linear).weight.sum().item()))

block("lightning validate and test")
let val = try trainer.validate(model, dataLoaders: valLoader, verbose: false)
print("validate", show(val))
let results = try trainer.test(model, dataLoaders: testLoader, verbose: false)
print("test_acc \(f4(results["test_acc"]!))")
model.eval()
let xs = stack((0..<1000).map { testDs[$0].0 })
let ys = Tensor((0..<1000).map { testDs[$0].1 })
let preds: Tensor = noGrad { model(xs) }
print("functional accuracy \(f4(accuracy(preds, ys, task: .multiclass(numClasses: 10)).item()))")
print(preds[0..<10].argmax(dim: 1))
print(confusionMatrix(preds, ys, task: .multiclass(numClasses: 10)).diag())

// ---------------------------------------------------------------- last: what may be missing in Descent
block("mean metric forward")
do {
    // torchmetrics: MeanMetric's forward takes one value and returns the batch mean. In Descent a
    // Metric is a Module, so `mean(x)` compiles (Module.callAsFunction) but reaches Module.forward.
    let mean = MeanMetric()
    print(mean(Tensor([10.0, 20.0])), mean(Tensor(6.0)))
    print(mean.compute())
}

block("metric collection")
do {

    let mc = MetricCollection([Accuracy(task: .multiclass(numClasses: 4)),
                               F1Score(task: .multiclass(numClasses: 4), average: .macro)], prefix: "val_")
    let out = mc(logits[0..<6], target[0..<6])
    for k in out.keys.sorted() { print(k, out[k]!) }
    mc.update(logits[6..<12], target[6..<12])
    let res = mc.compute()
    for k in res.keys.sorted() { print(k, res[k]!) }
    mc.reset()

    let named = MetricCollection(["acc": Accuracy(task: .multiclass(numClasses: 4)),
                                  "f1": F1Score(task: .multiclass(numClasses: 4))])
    let all = named(logits, target)
    for k in all.keys.sorted() { print(k, all[k]!) }
}
