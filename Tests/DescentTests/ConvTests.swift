import Testing
import Descent

// Convolution, pooling and batch-norm layers: PyTorch's initialisation bit for bit, forward
// values and input/weight/bias gradients against PyTorch 2.13 (CPU), float64 finite-difference
// gradient checks, stride/padding/dilation/groups, shape errors, reprs, BatchNorm running
// statistics, and a tiny CNN trained for a few steps.
//
// The snippets in the comments use these Python helpers:
//   import torch, torch.nn as nn, torch.nn.functional as F
//   def pat(shape):   # the fixed upstream gradient: ((7i + 3) % 11 - 5) / 5 over the elements
//       i = torch.arange(math.prod(shape), dtype=torch.float32)
//       return ((((7*i+3) % 11) - 5) / 5).reshape(shape)
//   def fp(t):        # fingerprint: sum, sum of squares, sum weighted by the same pattern
//       v = t.detach().double().flatten(); i = torch.arange(v.numel(), dtype=torch.float64)
//       p = (((7*i+3) % 11) - 5) / 5
//       return [v.sum().item(), (v*v).sum().item(), (v*p).sum().item()]
//   def h(t): # bitHash of a float32 tensor (Helpers.swift)
//       hh = 0xcbf29ce484222325
//       for v in t.detach().flatten().view(torch.int32).tolist(): hh ^= v & 0xffffffff; hh = (hh * 0x100000001b3) % 2**64
//       return hh

/// The pattern ((7i + 3) % 11 - 5) / 5 over `shape` (float32), used as a fixed upstream gradient.
private func pattern(_ shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    var v = [Float](repeating: 0, count: n)
    for i in 0..<n {
        let k: Int = (7 * i + 3) % 11 - 5
        v[i] = Float(k) / 5
    }
    return Tensor(flat: v, shape: shape)
}

/// [sum, sum of squares, sum weighted by the pattern] of the elements, in double (PyTorch's `fp`).
private func fingerprint(_ t: Tensor) -> [Double] {
    var s = 0.0, q = 0.0, p = 0.0
    for (i, x) in values(t).enumerated() {
        let k: Int = (7 * i + 3) % 11 - 5
        s += x; q += x * x; p += x * Double(k) / 5
    }
    return [s, q, p]
}

private func expectFingerprint(_ t: Tensor, _ expected: [Double], atol: Double = 2e-5, rtol: Double = 1e-4,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    let f = fingerprint(t)
    #expect(zip(f, expected).allSatisfy { close($0, $1, atol: atol, rtol: rtol) }, "fingerprint \(f) vs \(expected)",
            sourceLocation: sourceLocation)
}

/// Runs a Conv2d case as PyTorch's `case()` below does: seed 1, the layer, x = randn(shape),
/// loss = (y * pat).sum(), and compares fingerprints of y, x.grad, weight.grad, bias.grad.
///   def case(cin, cout, k, x_shape, **kw):
///       torch.manual_seed(1); c = nn.Conv2d(cin, cout, k, **kw); x = torch.randn(*x_shape, requires_grad=True)
///       y = c(x); (y * pat(y.shape)).sum().backward()
///       print(list(y.shape), fp(y), fp(x.grad), fp(c.weight.grad), c.bias is not None and fp(c.bias.grad))
private func checkConvCase(_ conv: () -> Conv2d, input shape: [Int], outShape: [Int], y: [Double], gx: [Double],
                           gw: [Double], gb: [Double]?, atol: Double = 2e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    manualSeed(1)
    let c = conv()
    let x = Tensor.randn(shape).requiresGrad_()
    let out = c(x)
    #expect(out.shape == outShape, sourceLocation: sourceLocation)
    (out * pattern(out.shape)).sum().backward()
    expectFingerprint(out, y, atol: atol, sourceLocation: sourceLocation)
    expectFingerprint(x.grad!, gx, atol: atol, sourceLocation: sourceLocation)
    expectFingerprint(c.weight.grad!, gw, atol: atol, sourceLocation: sourceLocation)
    if let gb = gb { expectFingerprint(c.bias!.grad!, gb, atol: atol, sourceLocation: sourceLocation) }
}


extension Core {
@Suite struct ConvTests {

    // MARK: Conv2d

    @Test func conv2dInitialisationMatchesPyTorchBitForBit() {
        // torch.manual_seed(0); c = nn.Conv2d(2, 3, 3); h(c.weight), c.weight.flatten()[:4], c.bias
        manualSeed(0)
        let c = Conv2d(2, 3, kernelSize: 3)
        #expect(c.weight.shape == [3, 2, 3, 3])
        #expect(bitHash(c.weight) == 0x5d718605cfc3a6c0)
        #expect(floatBits(c.weight.flatten()[0..<4]) == floatBits([-0.0017646604683250189, 0.12644097208976746, -0.19399359822273254, -0.17346249520778656]))
        #expect(floatBits(c.bias!) == floatBits([0.15803514420986176, -0.13878203928470612, 0.043921709060668945]))
        // torch.manual_seed(7); c = nn.Conv2d(4, 6, (3, 2), groups=2); h(c.weight), c.bias
        manualSeed(7)
        let g = Conv2d(4, 6, kernelSize: (3, 2), groups: 2)
        #expect(g.weight.shape == [6, 2, 3, 2])
        #expect(bitHash(g.weight) == 0xaedef2fb5492cc4b)
        #expect(floatBits(g.bias!) == floatBits([0.1580563187599182, -0.15824338793754578, -0.06775875389575958, 0.2723275423049927, 0.05316602438688278, 0.020340416580438614]))
        #expect(Conv2d(3, 8, kernelSize: 3, bias: false).parameters().count == 1)
        #expect(g.namedParameters().map { $0.0 } == ["weight", "bias"])
    }

    @Test func conv2dForwardAndGradientsMatchPyTorch() {
        // torch.manual_seed(0); c = nn.Conv2d(1, 2, 3); x = torch.randn(1, 1, 4, 4, requires_grad=True)
        // y = c(x); (y * pat(y.shape)).sum().backward(); y, x.grad, c.weight.grad, c.bias.grad
        manualSeed(0)
        let c = Conv2d(1, 2, kernelSize: 3)
        let x = Tensor.randn(1, 1, 4, 4).requiresGrad_()
        let y = c(x)
        #expect(y.gradFn == "ConvolutionBackward0")
        expectValues(y, [0.0046575069427490234, -0.6497992873191833, -0.8440332412719727, -0.10647634416818619,
                         0.1895378977060318, -0.6988341212272644, -0.5268140435218811, -0.6295663714408875], shape: [1, 2, 2, 2])
        (y * pattern(y.shape)).sum().backward()
        expectValues(x.grad!, [0.07156159728765488, -0.15461157262325287, 0.23613645136356354, -0.2743483781814575,
                               -0.22769686579704285, -0.1997947245836258, -0.44424885511398315, 0.2146817445755005,
                               0.21821704506874084, 0.10014944523572922, 0.5085129141807556, -0.16565746068954468,
                               -0.011199165135622025, -0.04119206964969635, -0.24543321132659912, 0.13775338232517242], shape: [1, 1, 4, 4])
        expectValues(c.weight.grad!, [-1.606384038925171, -0.6170608997344971, 2.118652582168579, -1.0188783407211304,
                                      1.2562329769134521, 0.3840511739253998, 0.4615474343299866, -0.6394218802452087,
                                      -0.8534420728683472, 0.009966999292373657, -0.25171011686325073, -1.268386721611023,
                                      0.21478474140167236, -0.8274582624435425, -0.10831671953201294, 1.1214373111724854,
                                      1.4648483991622925, -0.814703643321991], shape: [2, 1, 3, 3])
        expectValues(c.bias!.grad!, [0.19999998807907104, 0.6000000238418579], shape: [2])
    }

    @Test func conv2dPaddingStrideDilationGroupsMatchPyTorch() {
        // case(3, 4, 3, (2, 3, 7, 6), padding=1)
        checkConvCase({ Conv2d(3, 4, kernelSize: 3, padding: 1) }, input: [2, 3, 7, 6], outShape: [2, 4, 7, 6],
                      y: [36.33826473355293, 89.95447607457575, -9.734951591119172],
                      gx: [0.1627993539441377, 26.114518998616525, 4.962015779223293],
                      gw: [2.8903780728578568, 4450.901334263831, -152.96407146453856],
                      gb: [0.9999998956918716, 4.520000057220463, 0.24000000059604648])
        // case(3, 4, (3, 2), (2, 3, 9, 8), stride=(2, 3), padding=(1, 0))
        checkConvCase({ Conv2d(3, 4, kernelSize: (3, 2), stride: (2, 3), padding: (1, 0)) }, input: [2, 3, 9, 8], outShape: [2, 4, 5, 3],
                      y: [-5.11153245344758, 28.70946454327573, -1.4202514179050925],
                      gx: [0.9352012586314231, 12.001985588011816, -0.7663599355146291],
                      gw: [22.892949417233467, 506.02347770504355, 8.671437549591067],
                      gb: [-0.3999999165534973, 1.040000138282796, 0.5199999332427978])
        // case(2, 3, 3, (2, 2, 9, 9), dilation=(2, 1), padding=2)
        checkConvCase({ Conv2d(2, 3, kernelSize: (3, 3), padding: (2, 2), dilation: (2, 1)) }, input: [2, 2, 9, 9], outShape: [2, 3, 9, 11],
                      y: [82.86003776732832, 144.0440197605927, 0.4425434907898316],
                      gx: [-4.237204206176102, 15.698242120620607, 0.9434746168553831],
                      gw: [-87.07319569587708, 1866.3961420270098, -6.526427221298214],
                      gb: [1.7881393432617188e-07, 1.0658141036401503e-14, 4.76837158203125e-08])
        // case(4, 6, (3, 2), (2, 4, 6, 5), groups=2, stride=(2, 1), padding=(1, 2), dilation=(2, 1), bias=False)
        checkConvCase({ Conv2d(4, 6, kernelSize: (3, 2), stride: (2, 1), padding: (1, 2), dilation: (2, 1), groups: 2, bias: false) },
                      input: [2, 4, 6, 5], outShape: [2, 6, 2, 8],
                      y: [-4.465890146151651, 24.112923558922223, -2.127888171328231],
                      gx: [0.37463832274079323, 13.521653786121664, 4.910730455070734],
                      gw: [-4.213423252105713, 534.520374847785, -11.625564467906953], gb: nil)
        // case(3, 3, 3, (2, 3, 5, 5), groups=3, padding=1)   (depthwise)
        checkConvCase({ Conv2d(3, 3, kernelSize: 3, padding: 1, groups: 3) }, input: [2, 3, 5, 5], outShape: [2, 3, 5, 5],
                      y: [3.045114111271687, 33.71542362958798, -2.7167369998758657],
                      gx: [-0.2165064966538921, 10.330694766774844, -7.257040670374408],
                      gw: [-18.246650516986847, 312.2383729859929, 7.704786348342895],
                      gb: [0.19999998807907104, 0.8399998998641998, 0.7999999523162842])
        // case(5, 4, 1, (3, 5, 4, 4))   (1x1: the image is its own column matrix)
        checkConvCase({ Conv2d(5, 4, kernelSize: 1) }, input: [3, 5, 4, 4], outShape: [3, 4, 4, 4],
                      y: [-29.686950335802976, 45.7311187708572, -3.0178477060631863],
                      gx: [0.33248763624578714, 13.958340861862208, 3.700115158967674],
                      gw: [29.23434317111969, 739.2267228124615, -7.245143985748292],
                      gb: [1.0000004768371582, 1.7200000572205951, -0.9599996685981751])
        // case(2, 3, 3, (2, 5, 5), padding=1)   (unbatched input)
        checkConvCase({ Conv2d(2, 3, kernelSize: 3, padding: 1) }, input: [2, 5, 5], outShape: [3, 5, 5],
                      y: [5.641097139567137, 28.516887206138133, -0.18446768745779962],
                      gx: [0.39654647931456566, 8.749145035591706, -2.591831541061401],
                      gw: [-1.8270628657191992, 467.9415458109472, -3.181286082416772],
                      gb: [0.5999996662139893, 0.8399999237061024, -0.20000019073486333])
    }

    @Test func conv2dLargerShapesMatchPyTorch() {
        // Many images (split over threads, per-thread weight-gradient partials) and one large image
        // (a single threaded GEMM). Sums of ~5*10^4 float32 gradients of size ~1 differ from PyTorch by ~1e-3
        // (rounding of the per-element sums), so the absolute tolerance is 1e-2; the other two figures agree to ~1e-7.
        // case(1, 32, 3, (64, 1, 28, 28))
        checkConvCase({ Conv2d(1, 32, kernelSize: 3) }, input: [64, 1, 28, 28], outShape: [64, 32, 26, 26],
                      y: [-32947.356003570836, 512984.22973924875, -103.7821264241822],
                      gx: [-1.1734504401683807, 60706.68537776997, 54.17524695396423],
                      gw: [-131.1774263381958, 2366121.7624169015, -978.5474515914913],
                      gb: [-0.3999989628791809, 13.039994463921705, -6.759997940063477], atol: 1e-2)
        // case(16, 32, 3, (1, 16, 32, 32), padding=1)
        checkConvCase({ Conv2d(16, 32, kernelSize: 3, padding: 1) }, input: [1, 16, 32, 32], outShape: [1, 32, 32, 32],
                      y: [633.8262483393773, 10625.764850509982, 103.08482627961789],
                      gx: [2.422863794490695, 4905.09765522219, -310.4951232153922],
                      gw: [-247.0808789730072, 1765009.8883174693, -1111.128256225586],
                      gb: [-0.3999996781349182, 13.040003190042118, 13.040001595020295], atol: 1e-2)
    }

    @Test func conv2dSameAndValidPaddingMatchPyTorch() {
        // case(2, 3, (3, 2), (2, 2, 6, 7), padding='same', dilation=(2, 3))   (width padding 1 left, 2 right)
        checkConvCase({ Conv2d(2, 3, kernelSize: (3, 2), padding: .same, dilation: (2, 3)) }, input: [2, 2, 6, 7], outShape: [2, 3, 6, 7],
                      y: [24.767168996855617, 56.03338529786236, 1.2448438033461573],
                      gx: [0.8134828045149334, 13.330387080074527, 9.173467075068038],
                      gw: [-14.657069444656372, 761.383177938194, -12.130259394645693],
                      gb: [-0.40000009536743164, 3.3600005054474096, -1.6000001549720764])
        // case(2, 3, 4, (1, 2, 5, 5), padding='same')
        checkConvCase({ Conv2d(2, 3, kernelSize: 4, padding: .same) }, input: [1, 2, 5, 5], outShape: [1, 3, 5, 5],
                      y: [2.4715498983860016, 18.16966459567774, 0.6869607686996462],
                      gx: [-0.4432054487988353, 7.017718617389765, -2.8791993165388705],
                      gw: [19.76799026876688, 689.6922680407184, -12.40867885649204],
                      gb: [0.5999999642372131, 0.8399999713897763, -0.20000007152557375])
        // case(2, 3, 3, (1, 2, 5, 5), padding='valid')
        checkConvCase({ Conv2d(2, 3, kernelSize: 3, padding: .valid) }, input: [1, 2, 5, 5], outShape: [1, 3, 3, 3],
                      y: [-1.264159582555294, 14.156781711632371, -1.3615892007946968],
                      gx: [0.1569168046116829, 3.402127649201945, -0.31882280483841896],
                      gw: [-6.202149447053671, 234.10963034272552, -6.71346062347293],
                      gb: [1.0, 1.160000100135811, -0.4800000071525573])
        // print(nn.Conv2d(2, 3, (3, 2), padding='same', dilation=(2, 3))); print(nn.Conv2d(2, 3, 3, padding='valid'))
        #expect(Conv2d(2, 3, kernelSize: (3, 2), padding: .same, dilation: (2, 3)).description
                == "Conv2d(2, 3, kernel_size=(3, 2), stride=(1, 1), padding=same, dilation=(2, 3))")
        #expect(Conv2d(2, 3, kernelSize: 3, padding: .valid).description == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=valid)")
        gradCheck({ conv2d($0[0], $0[1], $0[2], padding: .same, dilation: (1, 2)) },
                  inputs: [r64(2, 2, 5, 4, seed: 51), r64(3, 2, 2, 3, seed: 52), r64(3, seed: 53)])
    }

    @Test func conv2dFunctionalFormsAndUnbatchedGradFn() {
        let x = r64(2, 3, 6, 6, seed: 11), w = r64(4, 3, 3, 3, seed: 12), b = r64(4, seed: 13)
        // Int and (Int, Int) forms agree; a bias adds per output channel.
        let a = conv2d(x, w, b, stride: 2, padding: 1)
        let t = conv2d(x, w, b, stride: (2, 2), padding: (1, 1), dilation: (1, 1))
        #expect(a.shape == [2, 4, 3, 3] && values(a) == values(t))
        let nb = conv2d(x, w, stride: 2, padding: 1)
        expectValues(a - nb, values(b.reshape(1, 4, 1, 1).expand(2, 4, 3, 3)), atol: 1e-12)
        // torch: F.conv2d(torch.randn(3,5,5,requires_grad=True), w).grad_fn -> SqueezeBackward1
        let u = conv2d(r64(3, 5, 5, seed: 14).requiresGrad_(), w)
        #expect(u.shape == [4, 3, 3] && u.gradFn == "SqueezeBackward1")
        // No graph without requiresGrad, or under noGrad.
        #expect(a.gradFn == nil)
        #expect(noGrad { conv2d(x.requiresGrad_(), w) }.gradFn == nil)
    }

    @Test func conv2dGradientsMatchFiniteDifferences() {
        gradCheck({ conv2d($0[0], $0[1], $0[2]) }, inputs: [r64(2, 2, 5, 4, seed: 1), r64(3, 2, 3, 3, seed: 2), r64(3, seed: 3)])
        gradCheck({ conv2d($0[0], $0[1], $0[2], stride: (2, 1), padding: (1, 2), dilation: (2, 1), groups: 2) },
                  inputs: [r64(2, 4, 6, 5, seed: 4), r64(6, 2, 3, 2, seed: 5), r64(6, seed: 6)])
        gradCheck({ conv2d($0[0], $0[1], stride: 3, padding: 2) }, inputs: [r64(1, 3, 7, 8, seed: 7), r64(2, 3, 2, 4, seed: 8)])
        gradCheck({ conv2d($0[0], $0[1], $0[2], groups: 3) }, inputs: [r64(2, 3, 4, 4, seed: 9), r64(6, 1, 1, 1, seed: 10), r64(6, seed: 11)])
        gradCheck({ conv2d($0[0], $0[1], padding: 1) }, inputs: [r64(3, 5, 5, seed: 12), r64(2, 3, 3, 3, seed: 13)])
    }

    // MARK: Pooling

    @Test func maxPool2dMatchesPyTorch() {
        // x = torch.tensor([[[[1., 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 3]]]], requires_grad=True)
        // y, idx = F.max_pool2d(x, 2, return_indices=True); (y * torch.tensor([1., 2, 3, 4]).reshape(1,1,2,2)).sum().backward()
        let data: [[Double]] = [[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 3]]
        let x = Tensor(data).reshape(1, 1, 4, 4).detach().requiresGrad_()
        let (y, idx) = maxPool2dWithIndices(x, kernelSize: (2, 2))
        #expect(values(y) == [5, 8, 9, 7] && ints(idx) == [1, 6, 12, 11] && y.shape == [1, 1, 2, 2])
        #expect(y.gradFn == "MaxPool2DWithIndicesBackward0")
        (y * Tensor([1.0, 2, 3, 4]).reshape(1, 1, 2, 2)).sum().backward()
        #expect(values(x.grad!) == [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 3, 0, 0, 0])
        // overlapping windows add up: y2 = F.max_pool2d(x2, 2, stride=1); y2.sum().backward()
        let x2 = Tensor(data).reshape(1, 1, 4, 4).detach().requiresGrad_()
        let y2 = MaxPool2d(2, stride: 1)(x2)
        #expect(values(y2) == [5, 8, 8, 4, 8, 8, 9, 6, 7])
        y2.sum().backward()
        #expect(values(x2.grad!) == [0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 1, 1, 1, 0, 0, 0])
        // def pcase(f, x_shape): torch.manual_seed(2); x = torch.randn(*x_shape, requires_grad=True)
        //     y = f(x); (y * pat(y.shape)).sum().backward(); print(list(y.shape), fp(y), fp(x.grad))
        // pcase(lambda x: F.max_pool2d(x, (3, 2), stride=(2, 2), padding=(1, 1), dilation=(1, 2), ceil_mode=True), (2, 3, 7, 8))
        manualSeed(2)
        let a = Tensor.randn(2, 3, 7, 8).requiresGrad_()
        let ya = MaxPool2d((3, 2), stride: (2, 2), padding: (1, 1), dilation: (1, 2), ceilMode: true)(a)
        #expect(ya.shape == [2, 3, 4, 5])
        (ya * pattern(ya.shape)).sum().backward()
        expectFingerprint(ya, [115.22448872216046, 186.75273735526505, -0.9524646520614626])
        expectFingerprint(a.grad!, [-0.3999999463558197, 36.08000149250033, -3.440000069141388])
        // pcase(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), (3, 7, 7))   (unbatched)
        manualSeed(2)
        let b = Tensor.randn(3, 7, 7).requiresGrad_()
        let yb = maxPool2d(b, kernelSize: 3, stride: 2, padding: 1)
        #expect(yb.shape == [3, 4, 4])
        (yb * pattern(yb.shape)).sum().backward()
        expectFingerprint(yb, [62.175398252904415, 99.77984162265167, -2.640438468754292])
        expectFingerprint(b.grad!, [0.2000000774860382, 16.92000065326692, -1.5600000500679017])
    }

    @Test func avgPool2dMatchesPyTorch() {
        // pcase(lambda x: F.avg_pool2d(x, 2), (2, 3, 6, 6))
        manualSeed(2)
        let a = Tensor.randn(2, 3, 6, 6).requiresGrad_()
        let ya = AvgPool2d(2)(a)
        #expect(ya.shape == [2, 3, 3, 3] && ya.gradFn == "AvgPool2DBackward0")
        (ya * pattern(ya.shape)).sum().backward()
        expectFingerprint(ya, [1.1554375067353249, 10.425848107919387, -1.4418182715773589])
        expectFingerprint(a.grad!, [-0.4000000059604645, 5.46000013291836, 0.6900000177323822])
        // pcase(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), (2, 3, 7, 6))
        manualSeed(2)
        let b = Tensor.randn(2, 3, 7, 6).requiresGrad_()
        let yb = avgPool2d(b, kernelSize: 3, stride: 2, padding: 1)
        #expect(yb.shape == [2, 3, 4, 3])
        (yb * pattern(yb.shape)).sum().backward()
        expectFingerprint(yb, [3.7940822057425976, 4.2759966273001275, -0.6590825309976932])
        expectFingerprint(b.grad!, [0.13333343341946602, 2.320000140004692, -0.07555556707084177])
        // pcase(lambda x: F.avg_pool2d(x, (3, 2), stride=(2, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False), (2, 3, 7, 8))
        manualSeed(2)
        let c = Tensor.randn(2, 3, 7, 8).requiresGrad_()
        let yc = AvgPool2d((3, 2), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)(c)
        #expect(yc.shape == [2, 3, 4, 5])
        (yc * pattern(yc.shape)).sum().backward()
        expectFingerprint(yc, [1.5211372477933764, 36.11027680863876, -2.2907195765525104])
        expectFingerprint(c.grad!, [-0.4000000059604645, 14.553333994299194, -0.26666672974824923])
        // pcase(lambda x: F.avg_pool2d(x, 2, divisor_override=3), (1, 2, 5, 5))
        manualSeed(2)
        let d = Tensor.randn(1, 2, 5, 5).requiresGrad_()
        let yd = avgPool2d(d, kernelSize: 2, divisorOverride: 3)
        #expect(yd.shape == [1, 2, 2, 2])
        (yd * pattern(yd.shape)).sum().backward()
        expectFingerprint(yd, [-0.18072759127244353, 4.4747284030835, -0.9571767726913094])
        expectFingerprint(d.grad!, [1.066666692495346, 1.4222223268614895, -0.34666667878627777])
    }

    @Test func poolingGradientsMatchFiniteDifferences() {
        gradCheck({ maxPool2d($0[0], kernelSize: 2) }, inputs: [r64(2, 2, 4, 6, seed: 21)])
        gradCheck({ maxPool2d($0[0], kernelSize: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2), ceilMode: true) },
                  inputs: [r64(2, 2, 7, 6, seed: 22)])
        gradCheck({ avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) }, inputs: [r64(2, 2, 7, 6, seed: 23)])
        gradCheck({ avgPool2d($0[0], kernelSize: (2, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false) },
                  inputs: [r64(1, 3, 5, 7, seed: 24)])
        gradCheck({ avgPool2d($0[0], kernelSize: 2, divisorOverride: 3) }, inputs: [r64(3, 4, 5, seed: 25)])
    }

    // MARK: BatchNorm

    @Test func batchNorm2dTrainingEvalAndRunningStatsMatchPyTorch() {
        // torch.manual_seed(3); bn = nn.BatchNorm2d(3)
        // with torch.no_grad(): bn.weight.copy_(torch.tensor([0.5, 1.5, -1.0])); bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        // x1 = torch.randn(4, 3, 5, 5); x2 = (torch.randn(4, 3, 5, 5) * 2 + 1).requires_grad_()
        // y1 = bn(x1); y2 = bn(x2); (y2 * pat(y2.shape)).sum().backward()
        // fp(y1), fp(y2), bn.running_mean, bn.running_var, bn.num_batches_tracked, fp(x2.grad), bn.weight.grad, bn.bias.grad
        manualSeed(3)
        let bn = BatchNorm2d(3)
        noGrad {
            bn.weight!.copy_(Tensor([0.5, 1.5, -1.0]))
            bn.bias!.copy_(Tensor([0.1, -0.2, 0.3]))
        }
        let x1 = Tensor.randn(4, 3, 5, 5)
        let x2 = (Tensor.randn(4, 3, 5, 5) * 2 + 1).requiresGrad_()
        let y1 = bn(x1)
        expectFingerprint(y1, [20.000000801082933, 363.9967361170472, 9.661492775782243])
        let y2 = bn(x2)
        #expect(y2.gradFn == "NativeBatchNormBackward0")
        (y2 * pattern(y2.shape)).sum().backward()
        expectValues(bn.runningMean!, [0.09504151344299316, 0.14238867163658142, 0.10856648534536362])
        expectValues(bn.runningVar!, [1.2578858137130737, 1.2585784196853638, 1.333243489265442])
        #expect(bn.numBatchesTracked!.item() == 2 && bn.numBatchesTracked!.dtype == .int64 && bn.numBatchesTracked!.shape == [])
        expectFingerprint(y2, [19.999998254701495, 363.9990584564162, 13.165461748838423])
        expectFingerprint(x2.grad!, [1.5598488971590996e-06, 37.87163258855155, 23.024312618188556])
        expectValues(bn.weight!.grad!, [-6.900492191314697, 8.804317474365234, -3.4692299365997314], atol: 1e-5)
        expectValues(bn.bias!.grad!, [-1.0000004768371582, 0.9999992847442627, 0.7999995946884155], atol: 1e-5)
        // bn.eval(); bn.weight.grad = None; bn.bias.grad = None
        // x3 = torch.randn(2, 3, 4, 4, requires_grad=True); y3 = bn(x3); (y3 * pat(y3.shape)).sum().backward()
        bn.eval(); bn.zeroGrad()
        let x3 = Tensor.randn(2, 3, 4, 4).requiresGrad_()
        let y3 = bn(x3)
        (y3 * pattern(y3.shape)).sum().backward()
        expectValues(y3.flatten()[0..<4], [0.6777936816215515, -0.5402961373329163, -0.34574297070503235, 0.04533771052956581])
        expectFingerprint(y3, [11.502410733141005, 70.74387399013659, -3.2178384918719525])
        expectFingerprint(x3.grad!, [-1.4999662786722183, 35.508508577618514, 12.459011515975])
        expectValues(bn.weight!.grad!, [-4.692991733551025, -0.34911489486694336, 0.9076704978942871], atol: 1e-5)
        expectValues(bn.bias!.grad!, [1.3999998569488525, -1.1999998092651367, 0.5999998450279236], atol: 1e-5)
        // eval mode leaves the running statistics alone
        expectValues(bn.runningMean!, [0.09504151344299316, 0.14238867163658142, 0.10856648534536362])
        #expect(bn.numBatchesTracked!.item() == 2)
        // list(bn.state_dict().keys())
        #expect(bn.stateDict().keys == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(bn.parameters().count == 2)
    }

    @Test func batchNorm1dOn2dAnd3dInputsWithCumulativeAverage() {
        // torch.manual_seed(4); bn = nn.BatchNorm1d(4, momentum=None)
        // a = torch.randn(8, 4, requires_grad=True); b = torch.randn(6, 4, 3, requires_grad=True)
        // ya = bn(a); yb = bn(b); (ya * pat(ya.shape)).sum().backward(); (yb * pat(yb.shape)).sum().backward()
        manualSeed(4)
        let bn = BatchNorm1d(4, momentum: nil)
        let a = Tensor.randn(8, 4).requiresGrad_(), b = Tensor.randn(6, 4, 3).requiresGrad_()
        let ya = bn(a), yb = bn(b)
        expectValues(ya.flatten()[0..<8], [-1.0465366840362549, 1.9657886028289795, 0.3358670771121979, 0.3332703113555908,
                                           0.16413606703281403, -0.5818885564804077, -1.8102024793624878, 0.8501766324043274], atol: 1e-5)
        expectFingerprint(ya, [-1.4051329344511032e-07, 31.999515921529966, 5.87109148555901])
        expectFingerprint(yb, [-7.022172212600708e-07, 71.99915852516222, -0.10446246266365034])
        (ya * pattern(ya.shape)).sum().backward()
        (yb * pattern(yb.shape)).sum().backward()
        expectFingerprint(a.grad!, [-2.3283064365386963e-07, 13.976386701219417, 11.767329852283002])
        expectFingerprint(b.grad!, [1.0523945093154907e-07, 31.79897664494851, 28.71662497594953])
        expectValues(bn.weight!.grad!, [3.9904837608337402, 1.72041654586792, 0.7669413089752197, -0.7112124562263489], atol: 1e-5)
        expectValues(bn.bias!.grad!, [1.399999976158142, -1.9999998807907104, -1.0, 2.200000047683716], atol: 1e-5)
        expectValues(bn.runningMean!, [-0.06693743169307709, 0.3271891474723816, -0.26478272676467896, -0.16544239223003387])
        expectValues(bn.runningVar!, [1.1785451173782349, 0.6985282897949219, 1.097489595413208, 0.8362650871276855])
        #expect(bn.numBatchesTracked!.item() == 2)
        // torch.manual_seed(5); bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
        // x = torch.randn(5, 3); bn(x).flatten()[:6], list(bn.state_dict().keys()), list(dict(bn.named_parameters()).keys())
        manualSeed(5)
        let plain = BatchNorm1d(3, affine: false, trackRunningStats: false).eval()
        let y = plain(Tensor.randn(5, 3))   // no running statistics: batch statistics even in eval mode
        expectValues(y.flatten()[0..<6], [-0.14370699226856232, -0.2400185763835907, -1.5626074075698853,
                                          1.402921199798584, 1.8686518669128418, 1.5982270240783691], atol: 1e-5)
        #expect(plain.stateDict().count == 0 && plain.parameters().isEmpty)
    }

    @Test func batchNormGradientsMatchFiniteDifferences() {
        // training: batch statistics depend on x
        gradCheck({ batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) },
                  inputs: [r64(4, 3, 2, 3, seed: 31), r64(3, seed: 32), r64(3, seed: 33)])
        gradCheck({ batchNorm($0[0], runningMean: nil, runningVar: nil, training: true, eps: 1e-3) }, inputs: [r64(6, 4, seed: 34)])
        gradCheck({ batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) },
                  inputs: [r64(3, 2, 5, seed: 35), r64(2, seed: 36), r64(2, seed: 37)])
        // evaluation: running statistics are constants
        let rm = r64(3, seed: 38), rv = u64(3, lo: 0.5, hi: 2, seed: 39)
        gradCheck({ batchNorm($0[0], runningMean: rm, runningVar: rv, weight: $0[1], bias: $0[2], training: false) },
                  inputs: [r64(4, 3, 2, 2, seed: 40), r64(3, seed: 41), r64(3, seed: 42)])
    }

    @Test func functionalBatchNormUpdatesRunningStatsInPlace() {
        // F.batch_norm(x, rm, rv, training=True, momentum=0.5): rm = 0.5*rm + 0.5*mean, rv = 0.5*rv + 0.5*unbiased var
        let x = Tensor([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
        let rm = Tensor.zeros(2), rv = Tensor.ones(2)
        let y = batchNorm(x, runningMean: rm, runningVar: rv, training: true, momentum: 0.5, eps: 0)
        expectValues(rm, [1.5, 15])
        expectValues(rv, [0.5 + 0.5 * 4, 0.5 + 0.5 * 700])
        // biased variance normalises: column 0 has mean 3 and variance 8/3
        expectValues(y.flatten()[.stride(by: 2)], [-2 / (8.0 / 3).squareRoot(), 0, 2 / (8.0 / 3).squareRoot()], atol: 1e-6)
    }

    // MARK: Reprs

    @Test func reprsMatchPyTorch() {
        // print(nn.Conv2d(1, 32, 3)); print(nn.Conv2d(2, 4, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2, bias=False))
        #expect(Conv2d(1, 32, kernelSize: 3).description == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))")
        #expect(Conv2d(2, 4, kernelSize: (3, 5), stride: (2, 2), padding: (1, 2), dilation: (2, 2), groups: 2, bias: false).description
                == "Conv2d(2, 4, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), groups=2, bias=False)")
        // print(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.Conv2d(2, 4, 1, dilation=2))
        #expect(Conv2d(3, 8, kernelSize: 3, padding: 1, bias: false).description == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")
        #expect(Conv2d(2, 4, kernelSize: 1, dilation: 2).description == "Conv2d(2, 4, kernel_size=(1, 1), stride=(1, 1), dilation=(2, 2))")
        // print(nn.MaxPool2d(2)); print(nn.MaxPool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1))); print(nn.MaxPool2d((2, 3)))
        #expect(MaxPool2d(2).description == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
        #expect(MaxPool2d(kernelSize: (2, 3), stride: (1, 1), padding: (1, 1)).description
                == "MaxPool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1), dilation=1, ceil_mode=False)")
        #expect(MaxPool2d((2, 3)).description == "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=False)")
        // print(nn.AvgPool2d(2)); print(nn.AvgPool2d((2, 2), ceil_mode=True))
        #expect(AvgPool2d(2).description == "AvgPool2d(kernel_size=2, stride=2, padding=0)")
        #expect(AvgPool2d((2, 2), ceilMode: true).description == "AvgPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)")
        // print(nn.BatchNorm2d(32)); print(nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False))
        // print(nn.BatchNorm1d(3, eps=1e-3, momentum=0.01)); print(nn.BatchNorm2d(3, affine=True, bias=False))
        // (torch 2.13's repr includes `bias=`)
        #expect(BatchNorm2d(32).description == "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)")
        #expect(BatchNorm1d(4, momentum: nil, affine: false, trackRunningStats: false).description
                == "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=False)")
        #expect(BatchNorm1d(3, eps: 1e-3, momentum: 0.01).description == "BatchNorm1d(3, eps=0.001, momentum=0.01, affine=True, bias=True, track_running_stats=True)")
        let noBias = BatchNorm2d(3, bias: false)
        #expect(noBias.description == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=False, track_running_stats=True)")
        #expect(noBias.stateDict().keys == ["weight", "running_mean", "running_var", "num_batches_tracked"])
    }

    // MARK: A tiny CNN

    @Test func tinyCNNTrainsLikePyTorch() {
        // torch.manual_seed(0)
        // net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4*4*4, 3))
        // x = torch.randn(16, 1, 8, 8); y = torch.randint(0, 3, (16,)); opt = torch.optim.SGD(net.parameters(), lr=0.1)
        // for _ in range(20): l = F.cross_entropy(net(x), y); opt.zero_grad(); l.backward(); opt.step(); losses.append(l.item())
        manualSeed(0)
        let net = Sequential {
            Conv2d(1, 4, kernelSize: 3, padding: 1)
            BatchNorm2d(4)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(4 * 4 * 4, 3)
        }
        let x = Tensor.randn(16, 1, 8, 8), y = Tensor.randint(0, 3, [16])
        let opt = SGD(net.parameters(), lr: 0.1)
        var losses: [Double] = []
        for _ in 0..<20 {
            let l = crossEntropy(net(x), y)
            opt.zeroGrad(); l.backward(); opt.step()
            losses.append(l.item())
        }
        let torchLosses = [1.4711978435516357, 1.2832543849945068, 1.1338014602661133, 0.9726989269256592, 0.9039877653121948,
                           0.7819985151290894, 0.7224900722503662, 0.6420102119445801, 0.5908153057098389, 0.5356007814407349,
                           0.4930424690246582, 0.4523102343082428, 0.4170088768005371, 0.3850862979888916, 0.35520878434181213,
                           0.3288361430168152, 0.3047524392604828, 0.2832759916782379, 0.2643283009529114, 0.24689093232154846]
        #expect(losses.last! < losses.first! / 4)
        for (i, (a, b)) in zip(losses, torchLosses).enumerated() {
            #expect(close(a, b, atol: 1e-4, rtol: 1e-3), "step \(i): \(a) vs PyTorch \(b)")
        }
        // print(net); list(net.state_dict().keys())
        #expect(net.description == """
            Sequential(
              (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
              (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
              (2): ReLU()
              (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
              (4): Flatten(start_dim=1, end_dim=-1)
              (5): Linear(in_features=64, out_features=3, bias=True)
            )
            """)
        #expect(net.stateDict().keys == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                         "1.num_batches_tracked", "5.weight", "5.bias"])
    }

    // MARK: Shape errors

    @Test func conv2dChannelMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 5, 5), Tensor.zeros(4, 2, 3, 3))
        }
        // F.conv2d(torch.randn(2,3,5,5), torch.randn(4,2,3,3))
        #expect(stderr(r).contains("Given groups=1, weight of size [4, 2, 3, 3], expected input[2, 3, 5, 5] to have 2 channels, but got 3 channels instead"))
    }

    @Test func conv2dInputRank() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 4, kernelSize: 3)(Tensor.zeros(2, 3))
        }
        // F.conv2d(torch.randn(2,3), torch.randn(4,3,3,3))
        #expect(stderr(r).contains("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"))
    }

    @Test func conv2dKernelLargerThanInput() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 4, 4), Tensor.zeros(4, 3, 3, 3), dilation: 2)
        }
        // F.conv2d(torch.randn(2,3,4,4), torch.randn(4,3,3,3), dilation=2)
        #expect(stderr(r).contains("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater than actual input size"))
    }

    @Test func conv2dGroupsAndBiasErrors() async {
        let g = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 4, kernelSize: 3, groups: 2)
        }
        // nn.Conv2d(3,4,3,groups=2) -> ValueError
        #expect(stderr(g).contains("in_channels must be divisible by groups"))
        let w = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 4, 5, 5), Tensor.zeros(3, 2, 3, 3), groups: 2)
        }
        // F.conv2d(torch.randn(2,4,5,5), torch.randn(3,2,3,3), groups=2)
        #expect(stderr(w).contains("Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 2, 3, 3]] instead"))
        let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 5, 5), Tensor.zeros(4, 3, 3, 3), Tensor.zeros(3))
        }
        // F.conv2d(torch.randn(2,3,5,5), torch.randn(4,3,3,3), torch.randn(3))
        #expect(stderr(b).contains("Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"))
    }

    @Test func conv2dSamePaddingWithStride() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(1, 2, 5, 5), Tensor.zeros(3, 2, 3, 3), stride: 2, padding: .same)
        }
        // F.conv2d(torch.randn(1,2,5,5), torch.randn(3,2,3,3), padding='same', stride=2)
        #expect(stderr(r).contains("padding='same' is not supported for strided convolutions"))
    }

    @Test func poolingErrors() async {
        let p = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros(2, 3, 5, 5), kernelSize: 2, padding: 2)
        }
        // F.max_pool2d(torch.randn(2,3,5,5), 2, padding=2)
        #expect(stderr(p).contains("pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"))
        let s = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool2d(3)(Tensor.zeros(2, 3, 1, 1))
        }
        // F.max_pool2d(torch.randn(2,3,1,1), 3)
        #expect(stderr(s).contains("Given input size: (3x1x1). Calculated output size: (3x0x0). Output size is too small"))
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AvgPool2d(2)(Tensor.zeros(3, 5))
        }
        // F.max_pool2d(torch.randn(3,5), 2)
        #expect(stderr(r).contains("non-empty 3D or 4D (batch mode) tensor expected for input"))
    }

    @Test func batchNormErrors() async {
        let d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros(2, 3, 4))
        }
        // nn.BatchNorm2d(3)(torch.randn(2,3,4)) -> ValueError
        #expect(stderr(d).contains("expected 4D input (got 3D input)"))
        let d1 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm1d(3)(Tensor.zeros(2, 3, 4, 4))
        }
        // nn.BatchNorm1d(3)(torch.randn(2,3,4,4)) -> ValueError
        #expect(stderr(d1).contains("expected 2D or 3D input (got 4D input)"))
        let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros(2, 4, 3, 3))
        }
        // nn.BatchNorm2d(3)(torch.randn(2,4,3,3))
        #expect(stderr(c).contains("running_mean should contain 4 elements not 3"))
        let one = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm1d(3)(Tensor.zeros(1, 3))
        }
        // nn.BatchNorm1d(3)(torch.randn(1,3)) -> ValueError: ... got input size torch.Size([1, 3])
        #expect(stderr(one).contains("Expected more than 1 value per channel when training, got input size [1, 3]"))
    }

    @Test func paddingModesMatchPyTorch() {
        // torch.manual_seed(0); r = lambda t: [round(v, 5) for v in t.detach().flatten().tolist()]
        // c1 = nn.Conv2d(2, 3, 3, padding=1, padding_mode='reflect')
        // c2 = nn.Conv2d(2, 2, (2, 3), padding='same', padding_mode='circular', bias=False)
        // c3 = nn.Conv1d(2, 2, 4, padding='same', dilation=1, padding_mode='replicate')
        // c4 = nn.Conv3d(1, 2, 3, padding=(1, 2, 1), padding_mode='circular')
        // x = torch.randn(1, 2, 4, 5, requires_grad=True); y1 = c1(x); y2 = c2(x); (y1.square().sum() + y2.sum()).backward()
        // r(y1.sum((0, 1))), r(y2.sum((0, 1))), r(x.grad.sum(1)), r(c1.weight.grad.sum((0, 1)))
        // z = torch.randn(2, 7); r(c3(z)); v = torch.randn(1, 1, 3, 4, 2); r(c4(v).sum((0, 1))), list(c4(v).shape)
        manualSeed(0)
        let c1 = Conv2d(2, 3, kernelSize: 3, padding: 1, paddingMode: "reflect")
        let c2 = Conv2d(2, 2, kernelSize: (2, 3), padding: .same, bias: false, paddingMode: "circular")
        let c3 = Conv1d(2, 2, kernelSize: 4, padding: .same, dilation: 1, paddingMode: "replicate")
        let c4 = Conv3d(1, 2, kernelSize: [3, 3, 3], padding: [1, 2, 1], paddingMode: "circular")
        #expect(c1.description == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)")
        #expect(c2.description == "Conv2d(2, 2, kernel_size=(2, 3), stride=(1, 1), padding=same, bias=False, padding_mode=circular)")
        #expect(c3.description == "Conv1d(2, 2, kernel_size=(4,), stride=(1,), padding=same, padding_mode=replicate)")
        #expect(c4.description == "Conv3d(1, 2, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 2, 1), padding_mode=circular)")
        let x = Tensor.randn(1, 2, 4, 5).requiresGrad_()
        let y1 = c1(x), y2 = c2(x)
        (y1.square().sum() + y2.sum()).backward()
        expectValues(y1.sum(dims: [0, 1]), [-0.03737, 0.19809, 0.29526, -0.02924, 0.92443, -0.19889, -0.04295, -0.29174, 0.89956, -0.21576,
                                            0.78879, -0.08265, 0.60836, -0.39074, -0.40616, 0.44315, -0.01613, 0.14004, 0.56444, 0.01991],
                     shape: [4, 5], atol: 1e-5)
        expectValues(y2.sum(dims: [0, 1]), [0.57799, 0.33929, 0.34727, -0.36744, 0.45664, -0.17945, 0.94892, -0.41213, 0.02659, 0.04982,
                                            -0.8275, -0.87483, -0.51796, -0.47199, 0.07551, 0.18698, 0.12627, 0.70869, -0.26861, -0.66632],
                     shape: [4, 5], atol: 1e-5)
        expectValues(x.grad!.sum(dim: 1), [-1.67408, -3.0524, -1.60709, -1.76026, -0.56047, 3.55483, 2.91554, 2.17712, 1.83876, 1.65132,
                                           -2.15951, -0.90022, 1.89877, 1.41725, 0.20344, 1.12341, 0.87675, -2.00107, -1.42319, -0.08361], atol: 1e-4)
        expectValues(c1.weight.grad!.sum(dims: [0, 1]), [2.42051, -1.45711, 4.89686, -7.60813, -5.14454, -2.98966, 6.35079, 0.77304, -0.79829],
                     atol: 1e-4)
        let z = Tensor.randn(2, 7)
        expectValues(c3(z), [-0.58225, 0.89094, -0.08209, -1.04566, 1.13555, -1.23686, -0.72477, -1.44916, -0.55314, 0.02144, -0.82266,
                             -0.48089, 0.68306, 1.32597], shape: [2, 7], atol: 1e-5)
        let v = Tensor.randn(1, 1, 3, 4, 2)
        let y4 = c4(v)
        #expect(y4.shape == [1, 2, 3, 6, 2])
        expectValues(y4.sum(dims: [0, 1]), [-0.71104, -1.03724, -0.95956, -0.38145, -0.29294, -2.08285, 0.42526, -0.63423, -0.71104, -1.03724,
                                            -0.95956, -0.38145, -1.49015, -0.06354, 1.43379, -0.72017, 0.66643, 0.77538, 0.04005, 1.02707,
                                            -1.49015, -0.06354, 1.43379, -0.72017, 0.46462, 0.91168, 0.93144, 1.1887, -0.03019, -0.1955,
                                            -1.38769, 0.065, 0.46462, 0.91168, 0.93144, 1.1887], atol: 1e-5)
    }

    @Test func anUnknownPaddingModeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = Conv2d(1, 1, kernelSize: 3, paddingMode: "mirror") }
        #expect(stderr(r).contains("padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='mirror'"))
    }
}
}
