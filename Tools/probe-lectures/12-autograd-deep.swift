// Autograd in depth (leaves, grad_fn names, accumulation, retain_grad, vector-Jacobian products,
// higher derivatives, detach/no_grad, hooks, custom Functions, loss gradients, gradients through
// indexing and joins, an MLP's parameter gradients), written as a PyTorch user would write it
// against Descent. Expected output: pytorch/12-autograd-deep.py's (pytorch/12-autograd-deep.expected).
import Descent
import Foundation

func block(_ title: String, _ body: () -> Void) { print("## \(title)"); body() }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised

final class MyReLU: Function {
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0])
        return inputs[0].clamp(min: 0)
    }
    override class func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
        let x = ctx.savedTensors[0]
        return [gradOutput * (x .> 0).float()]
    }
}

// PyTorch passes the constant itself (`MulConstant.apply(x, 3.0)`); Descent's `apply` takes tensors
// only, so the constant travels as a 0-dim tensor here.
final class MulConstant: Function {
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let constant = inputs[1].item()
        ctx.values["constant"] = constant
        return inputs[0] * constant
    }
    override class func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
        let constant = ctx.values["constant"] as! Double
        return [gradOutput * constant, nil]
    }
}

final class LinearFn: Function {
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0], inputs[1])
        return inputs[0].matmul(inputs[1].t())
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let inp = ctx.savedTensors[0]
        let weight = ctx.savedTensors[1]
        let gi: Tensor? = ctx.needsInputGrad[0] ? g.matmul(weight) : nil
        let gw: Tensor? = ctx.needsInputGrad[1] ? g.t().matmul(inp) : nil
        return [gi, gw]
    }
}

block("requires_grad and leaves") {
    let x = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let y = x * 2
    print(py(x.requiresGrad), py(y.requiresGrad))
    print(py(x.isLeaf), py(y.isLeaf))
    print(y)
    print(y.gradFn!)
    print(py(x.gradFn == nil), py(x.grad == nil))
    let z = Tensor([1.0, 2.0])
    print(py(z.requiresGrad))
    z.requiresGrad_()
    print(z)
    print(Tensor.zeros(2, requiresGrad: true))
    print(py(Tensor.ones(2).requiresGrad))
    let w = Tensor.randn(2, 2).requiresGrad_()
    print(py(w.isLeaf), py(w.requiresGrad))
}
block("grad_fn names and next_functions") {
    let a = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
    let b = Tensor([0.5, 0.25], requiresGrad: true)
    let out = a.matmul(b).relu().sum() / 2
    print(out)
    print(out.gradFn!)
    print(out.gradFunction!.nextFunctions.map { $0?.name ?? "None" }.joined(separator: ", "))
    let h = a.t().exp().mean(dim: 0)
    print(h)
    print((a * 2 - 1).pow(2).sqrt().log())
    print(a.sum(dim: 1, keepDim: true).expand(2, 3))
    print(a.reshape(4).sigmoid().unsqueeze(0).transpose(0, 1).tanh())
    print(stack([a[0], b]).softmax(dim: 1))
}
block("grad accumulation") {
    let w = Tensor([1.0, -1.0], requiresGrad: true)
    (w * w).sum().backward()
    print(w.grad!)
    (w * 3).sum().backward()
    print(w.grad!)
    w.grad!.zero_()
    print(w.grad!)
    w.exp().sum().backward()
    print(w.grad!)
    w.grad = nil
    print(py(w.grad == nil))
    let y = w.pow(2).sum()
    y.backward(retainGraph: true)
    y.backward()
    print(w.grad!)
}
block("retain_grad on a non-leaf") {
    let a = Tensor([1.0, 2.0], requiresGrad: true)
    let h = a * a
    h.retainGrad()
    let out = (h * 3).sum()
    out.backward()
    print(h.grad!)
    print(a.grad!)
    print(py(h.retainsGrad), py(a.retainsGrad))
    print(py(h.isLeaf))
}
block("backward with a gradient argument") {
    let x = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let y = x.pow(2)
    print(y)
    y.backward(gradient: Tensor([1.0, 0.1, 0.01]))
    print(x.grad!)
    let M = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
    let P = M.matmul(M)
    P.backward(gradient: Tensor.ones(2, 2))
    print(M.grad!)
}
block("autograd.grad and higher derivatives") {
    let x = Tensor(2.0, requiresGrad: true)
    let y = x.pow(3)
    let dy = grad(y, [x], createGraph: true)[0]
    print(dy)
    let d2y = grad(dy, [x], createGraph: true)[0]
    print(d2y)
    let d3y = grad(d2y, [x])[0]
    print(d3y)
    print(py(x.grad == nil))
    let v = Tensor([1.0, 2.0], requiresGrad: true)
    let f = (v.sin() * v).sum()
    let g = grad(f, [v], createGraph: true)[0]
    print(g)
    let hh = grad(g.sum(), [v])[0]
    print(hh)
    let u = Tensor([1.0, 2.0], requiresGrad: true)
    let k = Tensor([3.0, 4.0], requiresGrad: true)
    let gs = grad((u * k).sum(), [u, k])
    print(gs[0])
    print(gs[1])
    let unused = Tensor([5.0], requiresGrad: true)
    let gs2 = grad((u * u).sum(), [u, unused], allowUnused: true)
    print(gs2[0])
    print(gs2[1])   // PyTorch gives None for an unused input
    let q = Tensor([1.0, 3.0], requiresGrad: true)
    let loss = q.pow(3).sum()
    loss.backward(createGraph: true)
    print(q.grad!.detach())
    print(py(q.grad!.requiresGrad))
    let gq = q.grad!.clone()
    q.grad = nil
    gq.sum().backward()
    print(q.grad!)
    print(jacobian({ $0.pow(2) }, Tensor([1.0, 2.0])))
    print(hessian({ $0.pow(3).sum() }, Tensor([1.0, 2.0])))
}
block("detach and no_grad") {
    let x = Tensor([1.0, 2.0], requiresGrad: true)
    let d = x.detach()
    print(d)
    print(py(d.requiresGrad), py(d.isLeaf))
    d[0] = Tensor(10.0)
    print(x)
    let n: Tensor = noGrad { x * 2 }
    print(n)
    print(py(n.requiresGrad))
    print(py(isGradEnabled()))
    let e: Tensor = noGrad {
        print(py(isGradEnabled()))
        return enableGrad { x * 3 }
    }
    print(e)
    let im: Tensor = inferenceMode { x + 1 }
    print(py(im.requiresGrad))
    setGradEnabled(false)
    let s = x * 4
    setGradEnabled(true)
    print(py(s.requiresGrad))
    let y = (x * 2).detach()
    print(py(y.isLeaf), py(y.gradFn == nil))
    _ = noGrad { x.mul_(0.5) }
    print(x)
}
block("hooks") {
    let x = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
    let hd = x.registerHook { g in g * 10 }
    (x * x).sum().backward()
    print(x.grad!)
    hd.remove()
    x.grad = nil
    (x * x).sum().backward()
    print(x.grad!)
    x.grad = nil
    let y = x * 2
    y.registerHook { g in print("hook saw", g); return nil }
    y.registerHook { g in g + 1 }
    y.sum().backward()
    print(x.grad!)
}
block("custom autograd Function") {
    var x = Tensor([-1.0, 0.5, 2.0], requiresGrad: true)
    var y = MyReLU.apply(x)
    print(y)
    print(y.gradFn!)
    (y * Tensor([1.0, 2.0, 3.0])).sum().backward()
    print(x.grad!)

    x = Tensor([1.0, 2.0], requiresGrad: true)
    y = MulConstant.apply(x, Tensor(3.0))
    print(y)
    y.sum().backward()
    print(x.grad!)

    let inp = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    let weight = Tensor([[0.1, 0.2], [0.3, 0.4]], requiresGrad: true)
    let o = LinearFn.apply(inp, weight)
    print(o)
    o.sum().backward()
    print(weight.grad!)
    let wd = weight.detach().clone().double().requiresGrad_()
    print(py(gradcheck({ LinearFn.apply(inp.double(), $0[0]) }, inputs: [wd])))
}
block("softmax, log_softmax, cross_entropy grads") {
    let logits = Tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requiresGrad: true)
    let target = Tensor([1, 2])
    let p = logits.softmax(dim: 1)
    print(p)
    p[.all, 0].sum().backward()
    print(logits.grad!)
    logits.grad = nil
    let ls = logSoftmax(logits, dim: 1)
    print(ls)
    ls[Tensor.arange(2), target].sum().backward()
    print(logits.grad!)
    logits.grad = nil
    var loss = crossEntropy(logits, target)
    print(loss)
    loss.backward()
    print(logits.grad!)
    print((softmax(logits, dim: 1) - oneHot(target, numClasses: 3)).detach() / 2)
    logits.grad = nil
    loss = crossEntropy(logits, target, reduction: .sum, labelSmoothing: 0.1)
    print(loss)
    loss.backward()
    print(logits.grad!)
    logits.grad = nil
    loss = nllLoss(logSoftmax(logits, dim: 1), target)
    print(loss)
    loss.backward()
    print(logits.grad!)
}
block("grads through indexing, cat, where, max") {
    let x = Tensor([1.0, -2.0, 3.0, -4.0], requiresGrad: true)
    let y = x[1..<3]
    print(y)
    let y2 = x[Tensor([0, 0, 3])]
    print(y2)
    (y.sum() + y2.sum()).backward()
    print(x.grad!)
    x.grad = nil
    let c = cat([x, x * 2])
    print(c)
    c.sum().backward()
    print(x.grad!)
    x.grad = nil
    let w = `where`(x .> 0, x, x * x)
    print(w)
    w.sum().backward()
    print(x.grad!)
    x.grad = nil
    let m = x.max()
    print(m)
    m.backward()
    print(x.grad!)
    x.grad = nil
    let mv = x.reshape(2, 2).max(dim: 1).values
    print(mv)
    mv.sum().backward()
    print(x.grad!)
    x.grad = nil
    let sel = x[x .> 0]
    print(sel)
    (sel * sel).sum().backward()
    print(x.grad!)
    x.grad = nil
    let st = stack([x[0], x[3]])
    print(st)
    let g = x.gather(dim: 0, index: Tensor([3, 3, 1]))
    print(g)
    (st.sum() + g.sum()).backward()
    print(x.grad!)
    x.grad = nil
    let ab = x.abs().clamp(max: 2.5)
    print(ab)
    ab.sum().backward()
    print(x.grad!)
}
block("grad of a small MLP") {
    manualSeed(0)
    let net = Sequential {
        Linear(3, 4)
        Tanh()
        Linear(4, 2)
    }
    let xb = Tensor.randn(5, 3)
    let yb = Tensor([0, 1, 1, 0, 1])
    let out = net(xb)
    print(out)
    let loss = crossEntropy(out, yb)
    print(loss)
    loss.backward()
    for (name, p) in net.namedParameters() {
        print(name, p.shape)
        print(p.grad!)
    }
    print(String(format: "%.6f", (net[0] as! Linear).weight.grad!.norm().item()))
    net.zeroGrad()
    print(py((net[0] as! Linear).weight.grad == nil))
}
