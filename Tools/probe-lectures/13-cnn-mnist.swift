// Lecture: a small CNN on the first 1,000 MNIST training images: Conv2d, BatchNorm2d, ReLU,
// MaxPool2d, Dropout, AdaptiveAvgPool2d, Flatten, Linear; Adam with weight decay and StepLR for
// two epochs; accuracy and a confusion count on the first 500 test images; the state dict saved
// in torch.save's format, reloaded into a fresh model and checked.
// The MNIST folder comes from DESCENT_MNIST (default /work/shared/data/mnist).
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
let root = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "/work/shared/data/mnist"

final class Net: Module {
    let features = Sequential {
        Conv2d(1, 8, kernelSize: 3, padding: 1)
        BatchNorm2d(8)
        ReLU()
        MaxPool2d(2)
        Dropout(0.25)
        Conv2d(8, 16, kernelSize: 3, padding: 1)
        ReLU()
        AdaptiveAvgPool2d((7, 7))
    }
    let classifier = Sequential { Flatten(); Linear(16 * 7 * 7, 10) }
    override func forward(_ x: Tensor) -> Tensor {
        classifier(features(x))
    }
}

let transform = Compose([ToTensor(), Normalize(mean: [0.1307], std: [0.3081])])
let trainFull = try MNIST(root: root, train: true, transform: transform)
let testFull = try MNIST(root: root, train: false, transform: transform)
let trainDs = Subset(trainFull, indices: Array(0..<1000))
let testDs = Subset(testFull, indices: Array(0..<500))

block("data")
print(trainDs.count, testDs.count)
let (img, label) = trainDs[0]
print(img.shape, img.dtype, label)
print(String(format: "%.4f %.4f %.4f %.4f", img.mean().item(), img.std().item(), img.min().item(), img.max().item()))

manualSeed(0)
let model = Net()
block("model")
print(model)
block("parameter count")
print(model.parameters().map { $0.numel() }.reduce(0, +))
print(model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +))
block("state dict")
for (k, v) in model.stateDict() {
    print(k, v.shape)
}
block("named parameters")
for (name, p) in model.namedParameters() {
    print(name, p.shape, p.requiresGrad)
}

block("one batch")
let g = Generator().manualSeed(0)
let loader = DataLoader(trainDs, batchSize: 64, shuffle: true, generator: g)
print(loader.count)
do {
    let (xb, yb) = loader.makeIterator().next()!
    print(xb.shape, yb.shape, yb.dtype)
    print(yb[0..<10])
    let out: Tensor = noGrad { model(xb) }
    print(out.shape)
    print(model.features(xb).shape)
}

block("training")
let optimizer = Adam(model.parameters(), lr: 1e-3, weightDecay: 1e-4)
let scheduler = StepLR(optimizer, stepSize: 1, gamma: 0.5)
let lossFn = CrossEntropyLoss()
for epoch in 0..<2 {
    model.train()
    var total = 0.0, n = 0
    for (xb, yb) in loader {
        optimizer.zeroGrad()
        let loss = lossFn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * Double(xb.size(0))
        n += xb.size(0)
    }
    scheduler.step()
    print(String(format: "epoch %d: loss %.4f lr %.6f %.6f", epoch + 1, total / Double(n), scheduler.getLastLR()[0],
                 optimizer.paramGroups[0].lr))
}

block("batch norm buffers")
let bn = model.features[1] as! BatchNorm2d
print(bn.numBatchesTracked!)
print(String(format: "%.4f %.4f", bn.runningMean!.sum().item(), bn.runningVar!.sum().item()))

block("evaluation")
model.eval()
let testLoader = DataLoader(testDs, batchSize: 250)
var correct = 0.0
var preds: [Tensor] = [], targets: [Tensor] = []
noGrad {
    for (xb, yb) in testLoader {
        let pred = model(xb).argmax(dim: 1)
        correct += (pred .== yb).sum().item()
        preds.append(pred); targets.append(yb)
    }
}
let allPreds = cat(preds), allTargets = cat(targets)
print(String(format: "accuracy %.4f", correct / Double(testDs.count)))
let confusion = bincount(allTargets * 10 + allPreds, minlength: 100).reshape(10, 10)
print(confusion)
print(confusion.diag().sum().item() == correct)

block("save and reload")
let path = "/tmp/descent-probe-13-cnn.pt"
try save(model.stateDict(), to: path, format: .torch)
manualSeed(1)
let model2 = Net()
let x = stack((0..<8).map { testDs[$0].0 })
model2.eval()
noGrad {
    print(model(x).equal(model2(x)))
}
print(try model2.loadStateDict(load(from: path)))
model2.eval()
let (a, b): (Tensor, Tensor) = noGrad { (model(x), model2(x)) }
print(a.equal(b))
print(a.argmax(dim: 1))
print(String(format: "%.4f", a[0, 0].item()))
try FileManager.default.removeItem(atPath: path)
