import ArgumentParser
import Descent
import Foundation

// The lecture programs that look at their results as pictures (issue #14): the XOR net's three
// panels, the first MNIST digits, and the Trainer's curves drawn live.

struct XOR: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "xor",
        abstract: "The XOR lecture: a 2-4-4-1 ReLU net, BCELoss and SGD on 100 points, then its loss, accuracy and decision regions in one figure.")
    @Option(help: "Training epochs.") var epochs = 200
    @Option(help: "The figure to write (.png or .svg).") var figure = "xor.png"
    func run() throws {
        manualSeed(1)
        let x = Tensor.rand(200, 2) * 2 - 1
        let y = ((x[.all, 0] * x[.all, 1]) .>= 0).float()
        let (xTrain, yTrain) = (x[0..<100], y[0..<100])
        let (xValid, yValid) = (x[100..<200], y[100..<200])
        let loader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 2, shuffle: true)
        let model = Sequential { Linear(2, 4); ReLU(); Linear(4, 4); ReLU(); Linear(4, 1); Sigmoid() }
        let lossFn = BCELoss()
        let optimizer = SGD(model.parameters(), lr: 0.015)
        var lossTrain: [Double] = [], accTrain: [Double] = [], lossValid: [Double] = [], accValid: [Double] = []
        for _ in 0..<epochs {
            model.train()
            var loss = 0.0, correct = 0.0
            for (xb, yb) in loader {
                let pred = model(xb)[.all, 0]
                let l = lossFn(pred, yb)
                l.backward(); optimizer.step(); optimizer.zeroGrad()
                loss += l.item() * Double(xb.shape[0])
                correct += ((pred .>= 0.5).float() .== yb).float().sum().item()
            }
            lossTrain.append(loss / 100); accTrain.append(correct / 100)
            model.eval()
            noGrad {
                let pred = model(xValid)[.all, 0]
                lossValid.append(lossFn(pred, yValid).item())
                accValid.append(((pred .>= 0.5).float() .== yValid).float().mean().item())
            }
        }
        print("validation accuracy after \(epochs) epochs: \(String(format: "%.2f", accValid.last ?? 0))")
        // the lecture's figure: plt.figure(figsize=(16, 4)), three panels
        let fig = Figure(figsize: (16, 4))
        let ax1 = fig.addSubplot(1, 3, 1)
        ax1.plot(lossTrain, lineWidth: 4, label: "Train loss")
        ax1.plot(lossValid, lineWidth: 4, label: "Validation loss")
        ax1.legend(); ax1.setXLabel("Epochs"); ax1.setYLabel("Loss")
        let ax2 = fig.addSubplot(1, 3, 2)
        ax2.plot(accTrain, lineWidth: 4, label: "Train acc.")
        ax2.plot(accValid, lineWidth: 4, label: "Validation acc.")
        ax2.legend(); ax2.setXLabel("Epochs"); ax2.setYLabel("Accuracy")
        let ax3 = fig.addSubplot(1, 3, 3)
        plotDecisionRegions(x: xValid, y: yValid.long(), model: model, ax: ax3)
        ax3.setXLabel("x₁"); ax3.setYLabel("x₂")
        try fig.savefig(figure)
        print("wrote \(figure)")
    }
}

/// The first `count` images of `ds` in a grid with their labels as titles (the lecture's
/// `plt.imshow(img, cmap='gray')` over a 2 × 5 grid of subplots).
func digitGrid(_ ds: MNIST, count: Int = 10, path: String) throws {
    let cols = 5, rows = (count + cols - 1) / cols
    let (fig, axs) = subplots(rows, cols, figsize: (10, 2.2 * Double(rows)))
    for (i, ax) in axs.enumerated() where i < count {
        let (image, label) = ds[i]
        ax.imshow(image.reshape(28, 28), cmap: .gray)
        ax.setTitle("label \(label)")
        ax.axis("off")
    }
    fig.tightLayout()
    try fig.savefig(path)
}

struct MnistTrainer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mnist-trainer",
        abstract: "The Trainer lecture: a 784-32-16-10 MLP as a TrainingModule, 55,000/5,000 split, Adam; the curves are redrawn after every epoch.",
        discussion: "The curves file (PNG or SVG) is rewritten atomically after each epoch; open its .html page in a browser to watch it reload, or pass --terminal to draw them in place with braille characters. Logs go to --logs (CSVLogger).")
    @OptionGroup var data: DataOptions
    @Option(help: "Epochs.") var epochs = 5
    @Option(help: "The curves to redraw after every epoch (.png or .svg).") var curves = "mnist-curves.png"
    @Option(help: "Where the CSV logs go.") var logs = "lightning_logs"
    @Flag(help: "Also draw the curves in the terminal (braille characters), redrawn in place.") var terminal = false
    @Option(help: "cpu, gpu or auto (a CUDA GPU when there is one).") var accelerator = AcceleratorOption.auto
    func run() throws {
        if accelerator != .cpu && accelerator != .auto { Device.cuda(0).checkUsableOrExit() }
        manualSeed(1)
        let all = try MNIST(root: data.data, train: true)
        let parts = randomSplit(all, [55000, 5000], generator: Generator(seed: 1))
        let test = try MNIST(root: data.data, train: false)
        let model = LectureMLP()
        let trainer = Trainer(maxEpochs: epochs, callbacks: [PlotCallback(path: curves, terminal: terminal)],
                              logger: CSVLogger(saveDir: logs), enableProgressBar: false, enableModelSummary: false,
                              accelerator: accelerator.value)
        try trainer.fit(model, trainDataLoaders: DataLoader(parts[0], batchSize: 64, shuffle: true),
                        valDataLoaders: DataLoader(parts[1], batchSize: 64))
        let results = try trainer.test(model, dataLoaders: DataLoader(test, batchSize: 64), verbose: false)
        print("test accuracy: \(String(format: "%.4f", results["test_acc"] ?? .nan))")
        print("wrote \(curves) (live page: \(curves).html)")
    }
}

/// Lecture 04's multilayer perceptron, logging what the curves show.
final class LectureMLP: Module, TrainingModule {
    let model = Sequential { Flatten(); Linear(784, 32); ReLU(); Linear(32, 16); ReLU(); Linear(16, 10) }
    let trainAcc = Accuracy(task: .multiclass(numClasses: 10))
    let validAcc = Accuracy(task: .multiclass(numClasses: 10))
    let testAcc = Accuracy(task: .multiclass(numClasses: 10))
    override func forward(_ x: Tensor) -> Tensor { model(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let logits = self(batch.0)
        trainAcc.update(logits.argmax(dim: 1), batch.1)
        let loss = crossEntropy(logits, batch.1)
        log("train_loss", loss, onStep: false, onEpoch: true)
        return loss
    }
    func onTrainEpochEnd() { log("train_acc", trainAcc.compute()); trainAcc.reset() }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let logits = self(batch.0)
        validAcc.update(logits.argmax(dim: 1), batch.1)
        let loss = crossEntropy(logits, batch.1)
        log("valid_loss", loss)
        return loss
    }
    func onValidationEpochEnd() { log("valid_acc", validAcc.compute()); validAcc.reset() }
    func testStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        testAcc.update(self(batch.0).argmax(dim: 1), batch.1)
        log("test_acc", testAcc.compute())
        return nil
    }
    func configureOptimizers() -> Optimizer { Adam(parameters(), lr: 0.001) }
}

/// `--accelerator` of the Trainer commands.
enum AcceleratorOption: String, ExpressibleByArgument, CaseIterable {
    case auto, cpu, gpu, cuda
    var value: Accelerator { Accelerator(rawValue: rawValue)! }
}
