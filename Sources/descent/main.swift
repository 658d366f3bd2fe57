import Descent

// A short tour: tensors, autograd, then a classifier trained on the embedded 8x8 digits
// (1,797 real handwritten digits; no download needed) with a DataLoader, CrossEntropyLoss and Adam.
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
func accuracy<D: Dataset>(_ ds: D) -> Double where D.Batch == (Tensor, Tensor) {
    noGrad {
        let (x, y) = ds.batch(Array(0..<ds.count))
        return (model(x).argmax(dim: 1) .== y).float().mean().item()
    }
}
for epoch in 1...10 {
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
    print("epoch \(epoch): train loss \(String(format: "%.4f", total / Double(train.count))), test accuracy \(String(format: "%.4f", accuracy(test)))")
}
