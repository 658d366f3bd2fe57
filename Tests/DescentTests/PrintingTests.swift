import Testing
import Descent

extension Core {
/// `"\(tensor)"` prints exactly what PyTorch prints.
@Suite struct Printing {
    @Test func floatMatrices() {
        // PyTorch: netout = torch.tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        let netout = Tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        // PyTorch: str(netout)
        #expect("\(netout)" == "tensor([[-2.0000, -2.0000,  0.0000],\n        [ 3.1400,  3.1400,  3.1400],\n        [ 0.0000,  0.0000,  2.0000],\n        [ 2.0000,  2.0000,  4.0000],\n        [ 0.0000,  0.0000,  0.0000]])")
        // PyTorch: str(netout.softmax(1))
        #expect("\(netout.softmax(dim: 1))" == "tensor([[0.1065, 0.1065, 0.7870],\n        [0.3333, 0.3333, 0.3333],\n        [0.1065, 0.1065, 0.7870],\n        [0.1065, 0.1065, 0.7870],\n        [0.3333, 0.3333, 0.3333]])")
        // PyTorch: str(netout.exp())
        #expect("\(netout.exp())" == "tensor([[ 0.1353,  0.1353,  1.0000],\n        [23.1039, 23.1039, 23.1039],\n        [ 1.0000,  1.0000,  7.3891],\n        [ 7.3891,  7.3891, 54.5981],\n        [ 1.0000,  1.0000,  1.0000]])")
        // PyTorch: col = torch.tensor([0.0, 0.1, 0.2]).reshape(-1, 1)
        // PyTorch: str(col)
        #expect("\(Tensor([0.0, 0.1, 0.2]).reshape(-1, 1))" == "tensor([[0.0000],\n        [0.1000],\n        [0.2000]])")
        // PyTorch: ints_as_floats = torch.tensor([1.0, 2.0, -3.0])
        // PyTorch: str(ints_as_floats)
        #expect("\(Tensor([1.0, 2.0, -3.0]))" == "tensor([ 1.,  2., -3.])")
        // PyTorch: sci = torch.tensor([1e-5, 1.0, 123456.0])
        // PyTorch: str(sci)
        #expect("\(Tensor([1e-5, 1.0, 123456.0]))" == "tensor([1.0000e-05, 1.0000e+00, 1.2346e+05])")
        // PyTorch: special = torch.tensor([float('nan'), float('inf'), -1.5, -float('inf')])
        // PyTorch: str(special)
        #expect("\(Tensor([Double.nan, Double.infinity, -1.5, -Double.infinity]))" == "tensor([    nan,     inf, -1.5000,    -inf])")
        // PyTorch: cube = torch.arange(12.0).reshape(2, 3, 2) / 4
        // PyTorch: str(cube)
        #expect("\(Tensor.arange(0.0, 12.0).reshape(2, 3, 2) / 4)" == "tensor([[[0.0000, 0.2500],\n         [0.5000, 0.7500],\n         [1.0000, 1.2500]],\n\n        [[1.5000, 1.7500],\n         [2.0000, 2.2500],\n         [2.5000, 2.7500]]])")
        // PyTorch: wide = torch.linspace(0, 1, 20)
        // PyTorch: str(wide)
        #expect("\(Tensor.linspace(0, 1, count: 20))" == "tensor([0.0000, 0.0526, 0.1053, 0.1579, 0.2105, 0.2632, 0.3158, 0.3684, 0.4211,\n        0.4737, 0.5263, 0.5789, 0.6316, 0.6842, 0.7368, 0.7895, 0.8421, 0.8947,\n        0.9474, 1.0000])")
        // PyTorch: empty = torch.zeros(0)
        // PyTorch: str(empty)
        #expect("\(Tensor.zeros(0))" == "tensor([])")
        // PyTorch: tr = torch.tensor([[1.5, -2.25], [3.0, 4.125]]).t()
        // PyTorch: str(tr)
        #expect("\(Tensor([[1.5, -2.25], [3.0, 4.125]]).t())" == "tensor([[ 1.5000,  3.0000],\n        [-2.2500,  4.1250]])")
    }

    @Test func autogradSuffixes() {
        // PyTorch: a = torch.tensor(3.14, requires_grad=True); b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        let a = Tensor(3.14, requiresGrad: true)
        let b = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        // PyTorch: str(a)
        #expect("\(a)" == "tensor(3.1400, requires_grad=True)")
        // PyTorch: str(b)
        #expect("\(b)" == "tensor([1., 2., 3.], requires_grad=True)")
        // PyTorch: str(b * 2)
        #expect("\(b * 2)" == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)")
        // PyTorch: str((b * b).sum())
        #expect("\((b * b).sum())" == "tensor(14., grad_fn=<SumBackward0>)")
        // PyTorch: str(b.sigmoid())
        #expect("\(b.sigmoid())" == "tensor([0.7311, 0.8808, 0.9526], grad_fn=<SigmoidBackward0>)")
        // PyTorch: str(b.mean())
        #expect("\(b.mean())" == "tensor(2., grad_fn=<MeanBackward0>)")
        // PyTorch: W = torch.tensor([[0.5], [-1.0]], requires_grad=True); x = torch.tensor([[1.0, 2.0, 3.0]]); bias = torch.tensor([0.1], requires_grad=True); out = torch.addmm(bias, W, x)
        let W = Tensor([[0.5], [-1.0]], requiresGrad: true)
        let x = Tensor([[1.0, 2.0, 3.0]])
        let bias = Tensor([0.1], requiresGrad: true)
        // PyTorch: str(out)
        #expect("\(addmm(bias, W, x))" == "tensor([[ 0.6000,  1.1000,  1.6000],\n        [-0.9000, -1.9000, -2.9000]], grad_fn=<AddmmBackward0>)")
        // PyTorch: str(b.detach())
        #expect("\(b.detach())" == "tensor([1., 2., 3.])")
        // PyTorch: str(b.detach() * 2)
        #expect("\(noGrad { b * 2 })" == "tensor([2., 4., 6.])")
        // PyTorch: d = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        let d = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
        // PyTorch: str(d)
        #expect("\(d)" == "tensor([1., 2.], dtype=torch.float64, requires_grad=True)")
        // PyTorch: str(d.exp())
        #expect("\(d.exp())" == "tensor([2.7183, 7.3891], dtype=torch.float64, grad_fn=<ExpBackward0>)")
        // gradients print like tensors
        // PyTorch: w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True); (w * w * 2).sum().backward()
        let w = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        (w * w * 2).sum().backward()
        // PyTorch: str(w.grad)
        #expect("\(w.grad!)" == "tensor([ 4.,  8., 12.])")
    }

    @Test func integerBoolAndOtherDtypes() {
        // PyTorch: y = torch.tensor([2, 1, 2, 2, 0])
        let y = Tensor([2, 1, 2, 2, 0])
        // PyTorch: str(y)
        #expect("\(y)" == "tensor([2, 1, 2, 2, 0])")
        // PyTorch: str(F.one_hot(y))
        #expect("\(oneHot(y))" == "tensor([[0, 0, 1],\n        [0, 1, 0],\n        [0, 0, 1],\n        [0, 0, 1],\n        [1, 0, 0]])")
        // PyTorch: neg = torch.tensor([[-10, 200], [3, -4]])
        // PyTorch: str(neg)
        #expect("\(Tensor([[-10, 200], [3, -4]]))" == "tensor([[-10, 200],\n        [  3,  -4]])")
        // PyTorch: m = torch.tensor([1.0, 3.0, -2.0]) > 0
        // PyTorch: str(m)
        #expect("\(Tensor([1.0, 3.0, -2.0]) .> 0)" == "tensor([ True,  True, False])")
        // PyTorch: d64 = torch.tensor([1.5, 2.0, -0.125], dtype=torch.float64)
        // PyTorch: str(d64)
        #expect("\(Tensor([1.5, 2.0, -0.125], dtype: .float64))" == "tensor([ 1.5000,  2.0000, -0.1250], dtype=torch.float64)")
        // PyTorch: u8 = torch.tensor([0, 128, 255], dtype=torch.uint8)
        // PyTorch: str(u8)
        #expect("\(Tensor([0, 128, 255], dtype: .uint8))" == "tensor([  0, 128, 255], dtype=torch.uint8)")
        // PyTorch: ie = torch.tensor([], dtype=torch.int64)
        // PyTorch: str(ie)
        #expect("\(Tensor.zeros(0, dtype: .int64))" == "tensor([], dtype=torch.int64)")
        // PyTorch: acc = (torch.tensor([2, 1, 0]) == torch.tensor([2, 1, 2])).float().mean()
        // PyTorch: str(acc)
        #expect("\((Tensor([2, 1, 0]) .== Tensor([2, 1, 2])).float().mean())" == "tensor(0.6667)")
    }

    @Test func zeroDimTensors() {
        // PyTorch: str(torch.tensor(2.5))
        #expect("\(Tensor(2.5))" == "tensor(2.5000)")
        // PyTorch: str(torch.tensor(7))
        #expect("\(Tensor(7))" == "tensor(7)")
        // PyTorch: str(torch.tensor(True))
        #expect("\(Tensor(true))" == "tensor(True)")
        // PyTorch: str(torch.tensor([[1, 2], [3, 4]]).sum())
        #expect("\(Tensor([[1, 2], [3, 4]]).sum())" == "tensor(10)")
        // PyTorch: str(torch.tensor(1e-7))
        #expect("\(Tensor(1e-7))" == "tensor(1.0000e-07)")
        // PyTorch: str(torch.tensor(2.5, dtype=torch.float64))
        #expect("\(Tensor(2.5, dtype: .float64))" == "tensor(2.5000, dtype=torch.float64)")
    }

    @Test func summarisedPastAThousandElements() {
        // PyTorch: big = torch.linspace(-10, 10, 1001)
        // PyTorch: str(big)
        #expect("\(Tensor.linspace(-10, 10, count: 1001))" == "tensor([-10.0000,  -9.9800,  -9.9600,  ...,   9.9600,   9.9800,  10.0000])")
        // PyTorch: grid = torch.arange(2000.0).reshape(40, 50)
        // PyTorch: str(grid)
        #expect("\(Tensor.arange(0.0, 2000.0).reshape(40, 50))" == "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n        ...,\n        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n         1.8990e+03],\n        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n         1.9490e+03],\n        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])")
        // PyTorch: igrid = torch.arange(1200).reshape(2, 600)
        // PyTorch: str(igrid)
        #expect("\(Tensor.arange(1200).reshape(2, 600))" == "tensor([[   0,    1,    2,  ...,  597,  598,  599],\n        [ 600,  601,  602,  ..., 1197, 1198, 1199]])")
        // PyTorch: exactly = torch.arange(1000.0)
        let s = "\(Tensor.arange(0.0, 1000.0))"   // exactly at the threshold: not summarised
        // PyTorch: len(str(exactly))
        #expect(s.count == 6672 && !s.contains("..."))
        // PyTorch: str(exactly)[:80]; str(exactly)[-80:]
        #expect(s.hasPrefix("tensor([  0.,   1.,   2.,   3.,   4.,   5.,   6.,   7.,   8.,   9.,  10.,  11.,\n") && s.hasSuffix("988., 989., 990., 991., 992., 993., 994., 995.,\n        996., 997., 998., 999.])"))
        // PyTorch: cube = torch.arange(3000).reshape(10, 10, 30)
        // PyTorch: str(cube)
        #expect("\(Tensor.arange(3000).reshape(10, 10, 30))" == "tensor([[[   0,    1,    2,  ...,   27,   28,   29],\n         [  30,   31,   32,  ...,   57,   58,   59],\n         [  60,   61,   62,  ...,   87,   88,   89],\n         ...,\n         [ 210,  211,  212,  ...,  237,  238,  239],\n         [ 240,  241,  242,  ...,  267,  268,  269],\n         [ 270,  271,  272,  ...,  297,  298,  299]],\n\n        [[ 300,  301,  302,  ...,  327,  328,  329],\n         [ 330,  331,  332,  ...,  357,  358,  359],\n         [ 360,  361,  362,  ...,  387,  388,  389],\n         ...,\n         [ 510,  511,  512,  ...,  537,  538,  539],\n         [ 540,  541,  542,  ...,  567,  568,  569],\n         [ 570,  571,  572,  ...,  597,  598,  599]],\n\n        [[ 600,  601,  602,  ...,  627,  628,  629],\n         [ 630,  631,  632,  ...,  657,  658,  659],\n         [ 660,  661,  662,  ...,  687,  688,  689],\n         ...,\n         [ 810,  811,  812,  ...,  837,  838,  839],\n         [ 840,  841,  842,  ...,  867,  868,  869],\n         [ 870,  871,  872,  ...,  897,  898,  899]],\n\n        ...,\n\n        [[2100, 2101, 2102,  ..., 2127, 2128, 2129],\n         [2130, 2131, 2132,  ..., 2157, 2158, 2159],\n         [2160, 2161, 2162,  ..., 2187, 2188, 2189],\n         ...,\n         [2310, 2311, 2312,  ..., 2337, 2338, 2339],\n         [2340, 2341, 2342,  ..., 2367, 2368, 2369],\n         [2370, 2371, 2372,  ..., 2397, 2398, 2399]],\n\n        [[2400, 2401, 2402,  ..., 2427, 2428, 2429],\n         [2430, 2431, 2432,  ..., 2457, 2458, 2459],\n         [2460, 2461, 2462,  ..., 2487, 2488, 2489],\n         ...,\n         [2610, 2611, 2612,  ..., 2637, 2638, 2639],\n         [2640, 2641, 2642,  ..., 2667, 2668, 2669],\n         [2670, 2671, 2672,  ..., 2697, 2698, 2699]],\n\n        [[2700, 2701, 2702,  ..., 2727, 2728, 2729],\n         [2730, 2731, 2732,  ..., 2757, 2758, 2759],\n         [2760, 2761, 2762,  ..., 2787, 2788, 2789],\n         ...,\n         [2910, 2911, 2912,  ..., 2937, 2938, 2939],\n         [2940, 2941, 2942,  ..., 2967, 2968, 2969],\n         [2970, 2971, 2972,  ..., 2997, 2998, 2999]]])")
    }
}
}

extension Core {
/// `print(optimizer)` and `print(model.stateDict())` show what PyTorch shows.
@Suite struct OptimizerPrinting {
    @Test func optimizersPrintTheirGroupsLikePyTorch() {
        // PyTorch: torch.manual_seed(0); m = torch.nn.Linear(2, 1); str(O.<...>(m.parameters(), ...)) for each case
        manualSeed(0)
        let m = Linear(2, 1)
        let p = m.parameters()
        #expect("\(SGD(p, lr: 0.1, momentum: 0.9, nesterov: true))" == "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: True\n    weight_decay: 0\n)")
        #expect("\(Adam(p))" == "Adam (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)\n    capturable: False\n    decoupled_weight_decay: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    fused: None\n    lr: 0.001\n    maximize: False\n    weight_decay: 0\n)")
        #expect("\(AdamW(p, lr: 0.01, betas: (0.8, 0.99)))" == "AdamW (\nParameter Group 0\n    amsgrad: False\n    betas: (0.8, 0.99)\n    capturable: False\n    decoupled_weight_decay: True\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    fused: None\n    lr: 0.01\n    maximize: False\n    weight_decay: 0.01\n)")
        #expect("\(RMSprop(p, centered: true))" == "RMSprop (\nParameter Group 0\n    alpha: 0.99\n    capturable: False\n    centered: True\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    lr: 0.01\n    maximize: False\n    momentum: 0\n    weight_decay: 0\n)")
        #expect("\(Rprop(p))" == "Rprop (\nParameter Group 0\n    capturable: False\n    differentiable: False\n    etas: (0.5, 1.2)\n    foreach: None\n    lr: 0.01\n    maximize: False\n    step_sizes: (1e-06, 50)\n)")
        #expect("\(NAdam(p))" == "NAdam (\nParameter Group 0\n    betas: (0.9, 0.999)\n    capturable: False\n    decoupled_weight_decay: False\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n    lr: 0.002\n    maximize: False\n    momentum_decay: 0.004\n    weight_decay: 0\n)")
        // PyTorch: o = O.SGD(m.parameters(), lr=0.1); O.lr_scheduler.StepLR(o, 2); str(o)   (a scheduler adds initial_lr)
        let o = SGD(p, lr: 0.1)
        _ = StepLR(o, stepSize: 2)
        #expect("\(o)" == "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n    initial_lr: 0.1\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")
        // PyTorch: str(m.state_dict())
        #expect("\(m.stateDict())" == "OrderedDict([('weight', tensor([[-0.0053,  0.3793]])), ('bias', tensor([-0.5820]))])")
    }
}
}

extension Core {
@Suite struct ModuleListPrinting {
    @Test func repeatedModulesPrintOnceAsPyTorchDoes() {
        // PyTorch: str(nn.ModuleList([nn.Linear(2,2), nn.Linear(2,2), nn.ReLU(), nn.Linear(2,2), nn.ReLU(), nn.ReLU(), nn.ReLU()]))
        let l = ModuleList([Linear(2, 2), Linear(2, 2), ReLU(), Linear(2, 2), ReLU(), ReLU(), ReLU()])
        #expect("\(l)" == "ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n  (2): ReLU()\n  (3): Linear(in_features=2, out_features=2, bias=True)\n  (4-6): 3 x ReLU()\n)")
        // PyTorch: str(nn.ModuleList([])); str(nn.Sequential(nn.ReLU(), nn.ReLU()))  (Sequential does not merge)
        #expect("\(ModuleList())" == "ModuleList()")
        #expect("\(Sequential { ReLU(); ReLU() })" == "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)")
    }
}
}

extension Core {
@Suite struct PrintOptionsTests {
    /// Print options are process-wide, so the check runs in its own process. PyTorch:
    ///   torch.manual_seed(0); x = torch.randn(3, 4); torch.set_printoptions(precision=2); print(x)
    ///   torch.set_printoptions(threshold=5); print(torch.arange(10))
    ///   torch.set_printoptions(profile='short'); print(torch.arange(10.) / 3)
    ///   torch.set_printoptions(sci_mode=True); print(x[0])
    ///   torch.set_printoptions(linewidth=30); print(torch.arange(12.))   (after profile='full')
    ///   torch.set_printoptions(profile='default'); print(x[0]); print(torch.arange(2000))
    @Test func setPrintoptionsChangesHowTensorsPrint() async {
        await #expect(processExitsWith: .success) {
            func check(_ got: Tensor, _ want: String) {
                precondition("\(got)" == want, "got \(got)\nwant \(want)")
            }
            manualSeed(0)
            let x = Tensor.randn(3, 4)
            setPrintoptions(precision: 2)
            check(x, "tensor([[ 1.54, -0.29, -2.18,  0.57],\n        [-1.08, -1.40,  0.40,  0.84],\n        [-0.72, -0.40, -0.60,  0.18]])")
            setPrintoptions(threshold: 5)
            check(Tensor.arange(10), "tensor([0, 1, 2,  ..., 7, 8, 9])")
            setPrintoptions(profile: "short")
            check(Tensor.arange(10.0) / 3, "tensor([0.00, 0.33, 0.67, 1.00, 1.33, 1.67, 2.00, 2.33, 2.67, 3.00])")
            setPrintoptions(sciMode: true)
            check(x[0], "tensor([ 1.54e+00, -2.93e-01, -2.18e+00,  5.68e-01])")
            setPrintoptions(profile: "full")
            setPrintoptions(linewidth: 30)
            check(Tensor.arange(12.0), "tensor([ 0.,  1.,  2.,  3.,\n         4.,  5.,  6.,  7.,\n         8.,  9., 10., 11.])")
            setPrintOptions(profile: "default")
            check(x[0], "tensor([ 1.5410, -0.2934, -2.1788,  0.5684])")
            check(Tensor.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])")
        }
    }
}
}
