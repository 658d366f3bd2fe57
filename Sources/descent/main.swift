import Descent

// A short tour: tensors, autograd, and a small network trained with Adam (the lecture's 1-512-1 fit).
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

print("## training")
manualSeed(43052)
let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1)
let y = (x * 6.28).sin() * 0.5 + Tensor.randn(100).reshape(-1, 1) * 0.01
let net = Sequential {
    Linear(1, 512)
    ReLU()
    Linear(512, 1)
}
print(net)
let lossFn = MSELoss()
let optimizer = Adam(net.parameters(), lr: 0.01)
for step in 0..<500 {
    let loss = lossFn(net(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zeroGrad()
    if step % 100 == 0 || step == 499 { print("step \(step): loss \(loss.item())") }
}
print(net(x)[0..<3])
