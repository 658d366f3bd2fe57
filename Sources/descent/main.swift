import Descent

// A short tour of tensors and autograd (the training program comes with the nn and data layers).
manualSeed(43052)
let x = Tensor.linspace(0, 1, count: 5).reshape(-1, 1)
print(x)
let w = Tensor([[2.0]], requiresGrad: true)
let b = Tensor([0.5], requiresGrad: true)
let y = addmm(b, x, w)
print(y)
let loss = (y - x * 3).pow(2).mean()
print(loss)
loss.backward()
print(w.grad!, b.grad!)
