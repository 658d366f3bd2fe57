import ArgumentParser
import Descent
import Foundation

/// The tour `descent` runs with no arguments: tensors, autograd, then a classifier trained on the
/// embedded 8x8 digits (1,797 real handwritten digits; no download) with a DataLoader and Adam.
func runDemo(epochs: Int) throws {
    print("## tensors")
    let a = Tensor([[1.0, 2.0], [3.0, 4.0]])
    print(a)
    print(a.softmax(dim: 1))

    print("## autograd")
    let w = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let loss = (w * w * 2).sum()
    loss.backward()
    print(loss)
    print(w.grad!)

    print("## training on the 8x8 digits")
    manualSeed(0)
    let digits = try Digits()
    let parts = randomSplit(digits, [1497, 300], generator: Generator(seed: 42))
    let (train, test) = (parts[0], parts[1])
    let model = Sequential {
        Flatten()
        Linear(64, 64)
        ReLU()
        Linear(64, 10)
    }
    print(model)
    let optimizer = Adam(model.parameters(), lr: 0.01)
    let loader = DataLoader(train, batchSize: 32, shuffle: true)
    for epoch in 1...epochs {
        model.train()
        var total = 0.0
        for (x, y) in loader {
            let loss = crossEntropy(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
            total += loss.item() * Double(x.shape[0])
        }
        model.eval()
        print("epoch \(epoch): train loss \(String(format: "%.4f", total / Double(train.count))), test accuracy \(String(format: "%.4f", accuracy(model, test)))")
    }
}

/// Accuracy of `model` on a whole dataset, evaluated in batches without recording gradients.
func accuracy<D: Dataset>(_ model: Module, _ ds: D, batchSize: Int = 1000, device: Device = .cpu) -> Double where D.Batch == (Tensor, Tensor) {
    noGrad {
        var correct = 0.0
        for (x, y) in DataLoader(ds, batchSize: batchSize) {
            correct += (model(x.to(device)).argmax(dim: 1) .== y.to(device)).float().sum().item()
        }
        return correct / Double(ds.count)
    }
}

/// `--device cpu`, `cuda` or `cuda:N` on the command line.
extension Device: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "cpu": self = .cpu
        case "cuda", "gpu": self = .cuda(0)
        case "meta": self = .meta
        default:
            guard argument.hasPrefix("cuda:"), let n = Int(argument.dropFirst(5)), n >= 0 else { return nil }
            self = .cuda(n)
        }
    }
}

extension Device {
    /// Exits with the reason when this device cannot be used here (a CLI error, not a crash).
    func checkUsableOrExit() {
        if case .cuda = self, !CUDA.isAvailable() {
            FileHandle.standardError.write(Data("Error: \(self) is not available: \(CUDA.unavailableReason ?? "unknown")\n".utf8))
            Foundation.exit(2)
        }
    }
}
