import Testing
import Descent

// Small behaviours found by comparing unseen programs with PyTorch 2.13; each expected value is
// what the PyTorch snippet beside it printed.

extension Core {
@Suite struct ParityTests {
    @Test func remainderAndFmod() {
        let a = Tensor([-7.5, -3.0, -1.25, 0.0, 2.5, 5.0, 7.75])
        // PyTorch: (a % 3).tolist(), (a % -2.5).tolist(), torch.fmod(a, 3).tolist(), torch.fmod(a, -2.5).tolist()
        #expect(floatBits(values(a % 3)) == floatBits([1.5, -0.0, 1.75, 0.0, 2.5, 2.0, 1.75]))
        #expect(floatBits(values(a % -2.5)) == floatBits([-0.0, -0.5, -1.25, 0.0, 0.0, 0.0, -2.25]))
        #expect(floatBits(values(a.fmod(3))) == floatBits([-1.5, -0.0, -1.25, 0.0, 2.5, 2.0, 1.75]))
        #expect(floatBits(values(a.fmod(-2.5))) == floatBits([-0.0, -0.5, -1.25, 0.0, 0.0, 0.0, 0.25]))
        // ai = torch.tensor([-7, -3, 0, 5, 8]): ai % 3, torch.fmod(ai, 3), ai % -3
        let ai = Tensor([-7, -3, 0, 5, 8])
        #expect((ai % 3).dtype == .int64 && (ai % 3).toArray(Int.self) == [2, 0, 0, 2, 2])
        #expect(ai.fmod(3).toArray(Int.self) == [-1, 0, 0, 2, 2])
        #expect((ai % -3).toArray(Int.self) == [-1, 0, 0, -1, -1])
        // x = [2.5, -1.25], y = [0.75, 2.0] (both require grad): remainder -> [0.25, 0.75], RemainderBackward1,
        // x.grad [1, 1], y.grad [-3, 1]; fmod -> [0.25, -1.25], FmodBackward1, y.grad [-3, 0]
        let x = Tensor([2.5, -1.25], requiresGrad: true), y = Tensor([0.75, 2.0], requiresGrad: true)
        let r = x.remainder(y)
        #expect(values(r) == [0.25, 0.75] && r.gradFn == "RemainderBackward1")
        r.sum().backward()
        #expect(values(x.grad!) == [1, 1] && values(y.grad!) == [-3, 1])
        x.grad = nil; y.grad = nil
        let f = x.fmod(y)
        #expect(values(f) == [0.25, -1.25] && f.gradFn == "FmodBackward1")
        f.sum().backward()
        #expect(values(y.grad!) == [-3, 0])
    }

    @Test func geluTanhApproximation() {
        // PyTorch: g = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5], requires_grad=True)
        //          o = F.gelu(g, approximate="tanh"); o.sum().backward()
        let g = Tensor([-3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5], requiresGrad: true)
        let o = GELU(approximate: "tanh")(g)
        #expect(o.gradFn == "GeluBackward0")
        expectValues(o, [-0.0036374330520629883, -0.15880799293518066, -0.1542859971523285, 0.0, 0.18537093698978424,
                         0.8411920070648193, 2.4849157333374023], atol: 1e-7, rtol: 2e-6)
        o.sum().backward()
        expectValues(g.grad!, [-0.011584296822547913, -0.08296409249305725, 0.1326301097869873, 0.5, 0.7322955131530762,
                               1.0829640626907349, 1.0379517078399658], atol: 1e-7, rtol: 2e-6)
        // print(nn.GELU("tanh"), nn.GELU())
        #expect("\(GELU(approximate: "tanh"))" == "GELU(approximate='tanh')" && "\(GELU())" == "GELU(approximate='none')")
        // float64 takes the tensor-op rules: their slopes against finite differences
        gradCheck({ $0[0].gelu(approximate: "tanh") }, inputs: [r64(3, 5, seed: 7) * 3])
        gradCheck({ $0[0].mish() }, inputs: [r64(3, 5, seed: 8) * 3])
    }

    @Test func klDivWithZeroTargets() {
        // PyTorch: lp = [[-1.2, -0.4, -2.0, -0.9], [-0.3, -1.5, -0.7, -2.2]] (requires grad)
        //          t = [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.75, 0.0]]; l = nn.KLDivLoss(reduction="none")(lp, t); l.sum().backward()
        //   l: [[0.2534, -0.1466, 0.0000, 0.0000], [-0.2716, 0.0000, 0.3092, 0.0000]], grad_fn=<SubBackward0>
        //   grad: [[-0.5, -0.5, -0.0, -0.0], [-0.25, -0.0, -0.75, -0.0]]
        let lp = Tensor([[-1.2, -0.4, -2.0, -0.9], [-0.3, -1.5, -0.7, -2.2]], requiresGrad: true)
        let t = Tensor([[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.75, 0.0]])
        let l = KLDivLoss(reduction: .none)(lp, t)
        #expect(l.gradFn == "SubBackward0")
        let v = values(l)
        #expect([2, 3, 5, 7].allSatisfy { v[$0] == 0 && v[$0].sign == .plus })   // +0, not -0
        expectValues(l, [0.2534, -0.1466, 0, 0, -0.2716, 0, 0.3092, 0], atol: 1e-4, rtol: 0)
        l.sum().backward()
        let gv = values(lp.grad!)
        #expect(gv == [-0.5, -0.5, 0, 0, -0.25, 0, -0.75, 0] && [2, 3, 5, 7].allSatisfy { gv[$0].sign == .minus })
    }

    @Test func addParamGroupAndTwoGroupPrint() {
        let a = Parameter(Tensor.zeros(2)), b = Parameter(Tensor.zeros(3))
        let opt = SGD([a], lr: 0.1, momentum: 0.9)
        opt.addParamGroup(ParamGroup(params: [b], lr: 0.01))
        // PyTorch: opt = SGD([p0], lr=0.1, momentum=0.9); opt.add_param_group({'params': [p1], 'lr': 0.01}); print(opt)
        let keys = "    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
        let tail = "    maximize: False\n    momentum: 0.9\n    nesterov: False\n    weight_decay: 0"
        #expect("\(opt)" == "SGD (\nParameter Group 0\n" + keys + "    lr: 0.1\n" + tail + "\n\nParameter Group 1\n" + keys + "    lr: 0.01\n" + tail + "\n)")
        // the new group steps with the defaults it did not set (momentum 0.9)
        a.grad = Tensor.ones(2); b.grad = Tensor.ones(3)
        opt.step(); opt.step()
        #expect(values(b) == [Double(Float(-0.01) + Float(-0.019))].flatMap { [$0, $0, $0] })
    }

    @Test func poolReprsAndDTypeNames() {
        // PyTorch: print(nn.MaxPool2d((2,3)), nn.AvgPool2d((2,3)), nn.MaxPool2d((2,3), padding=(1,1)))
        #expect("\(MaxPool2d((2, 3)))" == "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=False)")
        #expect("\(AvgPool2d((2, 3)))" == "AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)")
        #expect("\(MaxPool2d((2, 3), padding: (1, 1)))" == "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=(1, 1), dilation=1, ceil_mode=False)")
        // dtypes print bare (lecture 03's contract); tensor reprs carry PyTorch's suffix
        #expect("\(Tensor([1.0]).dtype) \(Tensor([1]).dtype)" == "float32 int64")
        #expect("\(Tensor([1.5], dtype: .float64))" == "tensor([1.5000], dtype=torch.float64)")
    }
}
}

extension Core {
@Suite struct HigherOrderGradTests {
    @Test func gradOfGradMatchesPyTorch() {
        // PyTorch: x = tensor([0.5, -1.0, 2.0], requires_grad=True)
        //   (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True); (h,) = torch.autograd.grad(g.sum(), x)
        //   g [0.75, 3.0, 12.0] (MulBackward0), h [3.0, -6.0, 12.0]
        let x = Tensor([0.5, -1.0, 2.0], requiresGrad: true)
        let g = grad(x.pow(3).sum(), [x], createGraph: true)[0]
        #expect(values(g) == [0.75, 3, 12] && g.gradFn == "MulBackward0")
        #expect(values(grad(g.sum(), [x])[0]) == [3, -6, 12])
        #expect(x.grad == nil)   // grad() leaves .grad alone
    }

    @Test func secondDerivativesOfSavedOutputsAndFusedKernels() {
        // PyTorch: x = tensor([0.3, -0.7, 1.2], requires_grad=True); for f: (g,) = grad(f(x).sum(), x, create_graph=True);
        //          (h,) = grad(g.sum(), x)   (softmax / log_softmax weighted by [1, 2, 3])
        let w = Tensor([1.0, 2.0, 3.0])
        let cases: [(String, (Tensor) -> Tensor, [Double], [Double])] = [
            ("tanh", { $0.tanh() }, [0.9151369333267212, 0.6347395777702332, 0.30501994490623474], [-0.53318190574646, 0.7672322988510132, -0.5085625648498535]),
            ("sigmoid", { $0.sigmoid() }, [0.24445831775665283, 0.2217128723859787, 0.17789441347122192], [-0.03639617934823036, 0.07457878440618515, -0.09553813189268112]),
            ("exp", { $0.exp() }, [1.3498588800430298, 0.49658530950546265, 3.3201169967651367], [1.3498588800430298, 0.49658530950546265, 3.3201169967651367]),
            ("softmax", { $0.softmax(dim: 0) * w }, [-0.36090242862701416, -0.036653343588113785, 0.39755597710609436], [0, 0, 0]),
            ("logsoftmax", { $0.logSoftmax(dim: 0) * w }, [-0.5676099061965942, 1.4233086109161377, -0.8556983470916748], [0, 0, 0]),
            ("relu", { $0.relu() * $0 }, [0.6000000238418579, 0.0, 2.4000000953674316], [2.0, 0.0, 2.0]),
        ]
        for (name, f, first, second) in cases {
            let x = Tensor([0.3, -0.7, 1.2], requiresGrad: true)
            let g = grad(f(x).sum(), [x], createGraph: true)[0]
            #expect(zip(values(g), first).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(name) first: \(values(g))")
            let h = grad(g.sum(), [x])[0]
            #expect(zip(values(h), second).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(name) second: \(values(h))")
        }
    }

    @Test func intermediateInputsUnusedInputsAndCreateGraphBackward() {
        // PyTorch: x = tensor([1., 2.], requires_grad=True); z = x * 2; grad((z * z).sum(), z) -> [4., 8.]; x.grad None
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let z = x * 2
        #expect(values(grad((z * z).sum(), [z])[0]) == [4, 8] && x.grad == nil)
        // allow_unused: zeros for an input the output does not use
        let a = Tensor([1.0, 2.0], requiresGrad: true)
        let r = grad((x * 2).sum(), [x, a], allowUnused: true)
        #expect(values(r[0]) == [2, 2] && values(r[1]) == [0, 0])
        // w = tensor([0.5, -0.25], requires_grad=True); (w ** 3).sum().backward(create_graph=True)
        //   w.grad [0.75, 0.1875] (requires grad); gp = (w.grad ** 2).sum() = 0.59765625; w.grad = None; gp.backward() -> [4.5, -0.5625]
        let w = Tensor([0.5, -0.25], requiresGrad: true)
        w.pow(3).sum().backward(createGraph: true)
        #expect(values(w.grad!) == [0.75, 0.1875] && w.grad!.requiresGrad)
        let gp = w.grad!.pow(2).sum()
        #expect(gp.item() == 0.59765625)
        w.grad = nil
        gp.backward()
        #expect(values(w.grad!) == [4.5, -0.5625])
    }
}
}

extension Core {
@Suite struct OptimizerStateDictPrintTests {
    @Test func optimizerStateDictsPrintLikePyTorch() {
        // PyTorch: p = [nn.Parameter(torch.tensor([1.0, 2.0]))]; o = O.Adam(p, lr=0.1); p[0].grad = torch.tensor([0.5, -0.5])
        //          o.step(); print(o.state_dict()); then O.SGD(p, lr=0.1, momentum=0.9) one step; O.SGD(p, lr=0.1) no step
        let p = Parameter(Tensor([1.0, 2.0]))
        p.grad = Tensor([0.5, -0.5])
        let adam = Adam([p], lr: 0.1)
        adam.step()
        #expect("\(adam.stateDict())" == "{'state': {0: {'step': tensor(1.), 'exp_avg': tensor([ 0.0500, -0.0500]), 'exp_avg_sq': tensor([0.0003, 0.0003])}}, 'param_groups': [{'lr': 0.1, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0, 'amsgrad': False, 'maximize': False, 'foreach': None, 'capturable': False, 'differentiable': False, 'fused': None, 'decoupled_weight_decay': False, 'params': [0]}]}")
        let sgd = SGD([p], lr: 0.1, momentum: 0.9)
        sgd.step()
        #expect("\(sgd.stateDict())" == "{'state': {0: {'momentum_buffer': tensor([ 0.5000, -0.5000])}}, 'param_groups': [{'lr': 0.1, 'momentum': 0.9, 'dampening': 0, 'weight_decay': 0, 'nesterov': False, 'maximize': False, 'foreach': None, 'differentiable': False, 'fused': None, 'params': [0]}]}")
        #expect("\(SGD([p], lr: 0.1).stateDict())" == "{'state': {}, 'param_groups': [{'lr': 0.1, 'momentum': 0, 'dampening': 0, 'weight_decay': 0, 'nesterov': False, 'maximize': False, 'foreach': None, 'differentiable': False, 'fused': None, 'params': [0]}]}")
        // a model's state dict keeps PyTorch's OrderedDict form
        #expect("\(Linear(1, 1).stateDict())".hasPrefix("OrderedDict([('weight', "))
    }
}
}

extension Core {
@Suite struct InPlaceAndNormFixTests {
    @Test func integerInPlaceOpsAndPow() {
        // PyTorch: torch.arange(3).add_(torch.tensor([1, 1, 1]), alpha=2) -> tensor([2, 3, 4])
        let j = Tensor.arange(3)
        j.add_(Tensor([1, 1, 1]), alpha: 2)
        #expect(j.dtype == .int64 && j.toArray(Int.self) == [2, 3, 4])
        // i = torch.arange(4); i.mul_(3) -> tensor([0, 3, 6, 9])
        let i = Tensor.arange(4)
        i.mul_(3)
        #expect(i.dtype == .int64 && i.toArray(Int.self) == [0, 3, 6, 9])
        // z = torch.arange(0., 6.).reshape(2, 3); z.t().mul_(2.0) works on the strided view; z[:, 0].mul_(10)
        let z = Tensor.arange(0.0, 6.0).reshape(2, 3)
        z.t().mul_(2.0)
        z[.all, 0].mul_(10)
        #expect(values(z) == [0, 2, 4, 60, 8, 10])
        // torch.tensor([2, 3]).pow(0.5) -> tensor([1.4142, 1.7321]) (float32); .pow(2) stays int64
        let p = Tensor([2, 3]).pow(0.5)
        #expect(p.dtype == .float32 && p.toArray(Float.self) == [Float(2).squareRoot(), Float(3).squareRoot()])
        #expect(Tensor([2, 3]).pow(2).toArray(Int.self) == [4, 9])
    }

    @Test func normGradientIsZeroAtZero() {
        // PyTorch: x = torch.zeros(3, requires_grad=True); x.norm().backward(); x.grad -> tensor([0., 0., 0.]),
        //          grad_fn LinalgVectorNormBackward0
        let x = Tensor.zeros(3, requiresGrad: true)
        let n = x.norm()
        #expect(n.gradFn == "LinalgVectorNormBackward0")
        n.backward()
        #expect(values(x.grad!) == [0, 0, 0])
        // y = torch.tensor([[3., 4.], [0., 0.]], requires_grad=True); y.norm(dim=1).sum().backward() -> [[0.6, 0.8], [0., 0.]]
        let y = Tensor([[3.0, 4.0], [0.0, 0.0]], requiresGrad: true)
        let ny = y.norm(dim: 1)
        #expect(values(ny) == [5, 0])
        ny.sum().backward()
        #expect(floatBits(values(y.grad!)) == floatBits([0.6, 0.8, 0, 0]))
    }
}
}

extension Core {
@Suite struct MultiTensorIndexTests {
    @Test func severalIndexTensorsAndGather() {
        // PyTorch: x = torch.arange(12.).reshape(2, 6); x[torch.tensor([0, 1]), torch.tensor([1, 5])] -> [1., 11.]
        let x = Tensor.arange(0.0, 12.0).reshape(2, 6)
        #expect(values(x[Tensor([0, 1]), Tensor([1, 5])]) == [1, 11])
        // torch.manual_seed(0); lp = torch.randn(4, 3).log_softmax(1).requires_grad_(); y = tensor([2, 0, 1, 2])
        // l = -lp[torch.arange(4), y].mean(); l.backward() -> 1.373875617980957, grad -0.25 at (i, y_i)
        manualSeed(0)
        let lp = Tensor.randn(4, 3).logSoftmax(dim: 1).requiresGrad_()
        let y = Tensor([2, 0, 1, 2])
        let l = -lp[Tensor.arange(4), y].mean()
        #expect(Float(l.item()) == Float(1.373875617980957) && l.gradFn == "NegBackward0")
        l.backward()
        #expect(values(lp.grad!) == [0, 0, -0.25, -0.25, 0, 0, 0, -0.25, 0, 0, 0, -0.25])
        // a = torch.arange(24.).reshape(2, 3, 4): a[:, tensor([0, 2]), tensor([1, 3])] -> [[1, 11], [13, 23]];
        // a[tensor([1, 0]), :, tensor([3, 0])] -> [[15, 19, 23], [0, 4, 8]] (separated: the picked dim goes first);
        // a[tensor([[0], [1]]), tensor([0, 2])].shape -> [2, 2, 4]
        let a = Tensor.arange(0.0, 24.0).reshape(2, 3, 4)
        #expect(values(a[.all, Tensor([0, 2]), Tensor([1, 3])]) == [1, 11, 13, 23])
        let sep = a[Tensor([1, 0]), .all, Tensor([3, 0])]
        #expect(sep.shape == [2, 3] && values(sep) == [15, 19, 23, 0, 4, 8])
        #expect(a[Tensor([[0], [1]]), Tensor([0, 2])].shape == [2, 2, 4])
        // g = [[1, 2, 3], [4, 5, 6]] (requires grad); g.gather(1, [[2, 0], [1, 1]]) -> [[3, 1], [5, 5]]; grad [[1, 0, 1], [0, 2, 0]]
        let g = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requiresGrad: true)
        let o = g.gather(dim: 1, index: Tensor([[2, 0], [1, 1]]))
        #expect(values(o) == [3, 1, 5, 5])
        o.sum().backward()
        #expect(values(g.grad!) == [1, 0, 1, 0, 2, 0])
        // p = torch.zeros(3, 3); p[torch.arange(3), tensor([2, 0, 1])] = 1; then -= 0.5
        let p = Tensor.zeros(3, 3)
        p[Tensor.arange(3), Tensor([2, 0, 1])] = Tensor(1.0)
        #expect(values(p) == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        p[Tensor.arange(3), Tensor([2, 0, 1])] = p[Tensor.arange(3), Tensor([2, 0, 1])] - 0.5
        #expect(values(p) == [0, 0, 0.5, 0.5, 0, 0, 0, 0.5, 0])
    }
}
}

extension Core {
@Suite struct MaskNotTests {
    @Test func tildeNegatesMasks() {
        // PyTorch: ~(torch.tensor([1., -2., 3.]) > 0) -> tensor([False,  True, False])
        let m = ~(Tensor([1.0, -2.0, 3.0]) .> 0)
        #expect(m.dtype == .bool && m.toArray(Bool.self) == [false, true, false])
    }
}
}

extension Core {
@Suite struct IntegerReluTests {
    @Test func reluKeepsIntegers() {
        // PyTorch: torch.tensor([1, -4]).relu() -> tensor([1, 0])
        let r = Tensor([1, -4]).relu()
        #expect(r.dtype == .int64 && r.toArray(Int.self) == [1, 0])
    }
}
}

extension Core {
@Suite struct CumsumTests {
    @Test func cumsumValuesAndGradient() {
        // PyTorch: x = torch.tensor([[0.1, 0.2, 0.3], [1.0, -2.0, 3.5]], requires_grad=True); c = x.cumsum(1)
        //   c -> [[0.10000000149011612, 0.30000001192092896, 0.6000000238418579], [1.0, -1.0, 2.5]], CumsumBackward0
        //   (c * [[1, 2, 3], [4, 5, 6]]).sum().backward() -> x.grad [[6, 5, 3], [15, 11, 6]]
        //   x.cumsum(0) -> [[0.1, 0.2, 0.3], [1.100000023841858, -1.7999999523162842, 3.799999952316284]]
        //   torch.tensor([1, 2, 3]).cumsum(0) -> [1, 3, 6]; a bool tensor's cumsum is int64
        let x = Tensor([[0.1, 0.2, 0.3], [1.0, -2.0, 3.5]], requiresGrad: true)
        let c = x.cumsum(dim: 1)
        #expect(floatBits(values(c)) == floatBits([0.10000000149011612, 0.30000001192092896, 0.6000000238418579, 1.0, -1.0, 2.5]))
        #expect(c.gradFn == "CumsumBackward0")
        (c * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        #expect(values(x.grad!) == [6, 5, 3, 15, 11, 6])
        #expect(floatBits(values(x.cumsum(dim: 0))) == floatBits([0.10000000149011612, 0.20000000298023224, 0.30000001192092896,
                                                                 1.100000023841858, -1.7999999523162842, 3.799999952316284]))
        #expect(Tensor([1, 2, 3]).cumsum(dim: 0).toArray(Int.self) == [1, 3, 6])
        #expect(Tensor([true, false, true]).cumsum(dim: 0).dtype == .int64)
    }
}
}

extension Core {
/// Small training loops whose printed losses are PyTorch's to the last bit: the products, PyTorch's
/// SLEEF exp/log inside log-softmax, its vectorised and cascade sums and nll_loss's cascade all match.
@Suite struct BitExactTraining {
    @Test func crossEntropyAndBCESGDLossesAreBitForBit() {
        // PyTorch: torch.manual_seed(42); x = torch.randn(64, 10); y = torch.randint(0, 3, (64,))
        //          net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3)); opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        //          8 x: loss = nn.CrossEntropyLoss()(net(x), y); opt.zero_grad(); loss.backward(); opt.step(); loss.item()
        // (SGD, not Adam: PyTorch's float32 sqrt comes from MKL's vector library, which on AMD CPUs
        // rounds about a fifth of its results the other way, so Adam's updates differ in the last bit there.)
        manualSeed(42)
        let x = Tensor.randn(64, 10), y = Tensor.randint(0, 3, [64])
        let net = Sequential { Linear(10, 32); ReLU(); Linear(32, 3) }
        let opt = SGD(net.parameters(), lr: 0.1, momentum: 0.9)
        var losses: [Double] = []
        for _ in 0..<8 {
            let loss = CrossEntropyLoss()(net(x), y)
            opt.zeroGrad(); loss.backward(); opt.step()
            losses.append(loss.item())
        }
        #expect(losses == [1.0935436487197876, 1.082455039024353, 1.064639925956726, 1.0453678369522095, 1.0285906791687012,
                           1.015683650970459, 1.0057077407836914, 0.9963533878326416])
        // PyTorch: torch.manual_seed(1); xb = torch.randn(200, 2); yb = ((xb[:, 0] * xb[:, 1]) > 0).float().unsqueeze(1)
        //          clf = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()); o3 = torch.optim.SGD(clf.parameters(), lr=0.1)
        //          5 x: loss = nn.BCELoss()(clf(xb), yb); ...; loss.item()
        manualSeed(1)
        let xb = Tensor.randn(200, 2), yb = ((xb[.all, 0] * xb[.all, 1]) .> 0).float().unsqueeze(1)
        let clf = Sequential { Linear(2, 8); ReLU(); Linear(8, 1); Sigmoid() }
        let o3 = SGD(clf.parameters(), lr: 0.1)
        losses = []
        for _ in 0..<5 {
            let loss = BCELoss()(clf(xb), yb)
            o3.zeroGrad(); loss.backward(); o3.step()
            losses.append(loss.item())
        }
        #expect(losses == [0.7146472334861755, 0.7127283215522766, 0.7109286785125732, 0.7092462182044983, 0.707661509513855])
    }

    @Test func logSoftmaxUsesPyTorchsExpAndLog() {
        // PyTorch: torch.manual_seed(5); z = torch.randn(4, 37) * 3; z.log_softmax(1)[:, [0, 17, 36]], z.softmax(1)[:, 3]
        //          z2 = torch.randn(3, 5); z2.log_softmax(1)   (lanes and a tail; fewer columns than lanes)
        // Its sums run in 16 lanes where torch.backends.cpu.get_cpu_capability() is AVX512 (values from a
        // Sapphire Rapids), in 8 where it is AVX2 (an AMD EPYC): two elements of z differ in the last bit.
        manualSeed(5)
        let z = Tensor.randn(4, 37) * 3
        let avx512 = getCPUCapability() == "AVX512"
        #expect(floatBits(z.logSoftmax(dim: 1)[.all, Tensor([0, 17, 36])]) == floatBits([-3.1238458156585693, avx512 ? -4.98475980758667 : -4.984759330749512, -2.88165545463562, -6.174963474273682, -10.450543403625488, -11.53320026397705, -7.761866092681885, -4.054319381713867, -5.32460355758667, -6.554659366607666, -4.7273359298706055, -6.202467441558838]))
        #expect(floatBits(z.softmax(dim: 1)[.all, 3]) == floatBits([avx512 ? 1.0624067954267957e-06 : 1.0624069091136334e-06, 0.0005628520157188177, 0.0007139190565794706, 0.045088186860084534]))
        let z2 = Tensor.randn(3, 5)
        #expect(floatBits(z2.logSoftmax(dim: 1)) == floatBits([-2.451871156692505, -2.1317341327667236, -1.9650838375091553, -1.2318710088729858, -1.0123997926712036, -0.8378458619117737, -1.1506431102752686, -2.414949417114258, -2.258127212524414, -2.8645753860473633, -2.9600136280059814, -3.160139560699463, -1.2797491550445557, -0.5422963500022888, -3.0738377571105957]))
    }
}
}
