import Testing
import Foundation
import Descent

// Float32 kernels whose summation order follows PyTorch's CPU kernels bit for bit: the convolution
// weight and bias gradients (oneDNN's jit:avx2 chain, which depends on the thread count) and batch
// norm (statistics, output, running statistics, gradients). These sums cancel heavily, and a
// different rounding makes a CNN with BatchNorm leave PyTorch's float32 digits after a few steps.
//
// Expected values: Σ (i + 1) · bits(t[i]) over the float32 bit patterns, computed with torch 2.13 at
// torch.set_num_threads(2) by this script (h is that checksum):
//
//   def h(t):
//       b = t.detach().contiguous().flatten().view(torch.int32).tolist()
//       return sum((i + 1) * (v & 0xffffffff) for i, v in enumerate(b))
//   def conv_case(name, x_shape, w_shape, **kw):
//       torch.manual_seed(0)
//       x = torch.randn(*x_shape)
//       w = torch.randn(*w_shape, requires_grad=True); b = torch.randn(w_shape[0], requires_grad=True)
//       fn = F.conv1d if len(x_shape) == 3 else F.conv2d
//       y = fn(x, w, b, **kw); g = torch.randn(*y.shape); (y * g).sum().backward()
//       print(name, h(w.grad), h(b.grad))
//   conv_case("a", (16, 1, 28, 28), (8, 1, 3, 3), padding=1)
//   conv_case("b", (8, 8, 14, 14), (16, 8, 3, 3), padding=1)
//   conv_case("c", (4, 3, 32, 32), (20, 3, 5, 5), stride=2, padding=2)
//   conv_case("d", (2, 4, 64, 64), (6, 4, 3, 3))
//   conv_case("e", (8, 4, 50), (8, 4, 5), padding=2)
//   torch.manual_seed(0)
//   x = torch.randn(4, 8, 7, 7); w = torch.randn(8, 4, 4, 4, requires_grad=True); b = torch.randn(4, requires_grad=True)
//   y = F.conv_transpose2d(x, w, b, stride=2, padding=1); g = torch.randn(*y.shape); (y * g).sum().backward()
//   print("t", h(w.grad), h(b.grad))
//   for hw in (12, 7, 2):
//       torch.manual_seed(0)
//       bn = torch.nn.BatchNorm2d(8)
//       x = (torch.randn(16, 8, hw, hw) * 3 + 1).requires_grad_(True)
//       y = bn(x); g = torch.randn(*y.shape); (y * g).sum().backward()
//       y2 = bn(x.detach() * 0.5)
//       bn.eval(); y3 = bn(x.detach())
//       print("bn%d" % hw, h(y), h(x.grad), h(bn.weight.grad), h(bn.bias.grad), h(bn.running_mean), h(bn.running_var), h(y2), h(y3))

//
// Linear and mm (MKL's sgemm in PyTorch; gemm_torch.c), at torch.set_num_threads(2) and (1):
//   def lin_case(B, I, O):
//       torch.manual_seed(0)
//       x = torch.randn(B, I, requires_grad=True)
//       w = torch.randn(O, I, requires_grad=True); b = torch.randn(O, requires_grad=True)
//       y = F.linear(x, w, b); g = torch.randn(*y.shape); (y * g).sum().backward()
//       return [h(y), h(x.grad), h(w.grad), h(b.grad)]
//   def mm_case(R, K, C):
//       torch.manual_seed(0)
//       a = torch.randn(R, K, requires_grad=True); b = torch.randn(K, C, requires_grad=True)
//       y = a.mm(b); g = torch.randn(*y.shape); (y * g).sum().backward()
//       return [h(y), h(a.grad), h(b.grad)]
//   def tt_case(R, K, C):   # a.t().mm(b.t()): MKL's 'T','T'
//       torch.manual_seed(0)
//       a = torch.randn(K, R, requires_grad=True); b = torch.randn(C, K, requires_grad=True)
//       y = a.t().mm(b.t()); g = torch.randn(*y.shape); (y * g).sum().backward()
//       return [h(y), h(a.grad), h(b.grad)]
//   def conv_fwd_case(x_shape, w_shape, **kw):   # the output and the input gradient
//       torch.manual_seed(0)
//       x = torch.randn(*x_shape, requires_grad=True)
//       w = torch.randn(*w_shape, requires_grad=True); b = torch.randn(w_shape[0], requires_grad=True)
//       y = F.conv2d(x, w, b, **kw); g = torch.randn(*y.shape); (y * g).sum().backward()
//       return [h(y), h(x.grad)]

/// The norm layers' case: seed 0, parameters randn * 0.5 + 1, x = randn * 2 + 0.5, y.backward(randn);
/// [h(y), h(x.grad)] and h of each parameter's gradient (the tests' PyTorch snippets do the same).
private func normRun(_ mod: Module, _ shape: [Int]) -> [Int] {
    manualSeed(0)
    for p in mod.parameters() { noGrad { _ = p.copy_(Tensor.randn(p.shape) * 0.5 + 1) } }
    let x = (Tensor.randn(shape) * 2 + 0.5).requiresGrad_()
    let y = mod(x), g = Tensor.randn(shape)
    y.backward(gradient: g)
    return [h(y), h(x.grad!)] + mod.parameters().map { h($0.grad!) }
}

private func h(_ t: Tensor) -> Int { bitsum(t) }
/// h modulo 2^64, for tensors whose checksum passes Int.max.
private func hw(_ t: Tensor) -> UInt64 {
    t.contiguous().flatten().toArray(Float.self).enumerated().reduce(UInt64(0)) { $0 &+ UInt64($1.offset + 1) &* UInt64($1.element.bitPattern) }
}

/// Runs `body` with Descent (and so the PyTorch-order kernels) on `n` threads.
private func withThreads<T>(_ n: Int, _ body: () -> T) -> T {
    let before = getNumThreads()
    setNumThreads(n)
    defer { setNumThreads(before) }
    return body()
}

extension Core {
@Suite struct PyTorchRoundingTests {
    /// The weight and bias gradient checksums of conv(x, w, b) · g summed, with x, w, b, g drawn as PyTorch's script draws them.
    private func convGrads(_ xShape: [Int], _ wShape: [Int], _ conv: (Tensor, Tensor, Tensor) -> Tensor) -> [Int] {
        manualSeed(0)
        let x = Tensor.randn(xShape)
        let w = Tensor.randn(wShape, requiresGrad: true), b = Tensor.randn([wShape[0]], requiresGrad: true)
        let y = conv(x, w, b)
        (y * Tensor.randn(y.shape)).sum().backward()
        return [h(w.grad!), h(b.grad!)]
    }

    @Test func convolutionWeightGradientsSumInPyTorchsOrder() {
        withThreads(2) {
            #expect(convGrads([16, 1, 28, 28], [8, 1, 3, 3]) { conv2d($0, $1, $2, padding: 1) } == [6251501471351, 95884333952])
            #expect(convGrads([8, 8, 14, 14], [16, 8, 3, 3]) { conv2d($0, $1, $2, padding: 1) } == [1484176365840529, 326242082890])
            #expect(convGrads([4, 3, 32, 32], [20, 3, 5, 5]) { conv2d($0, $1, $2, stride: 2, padding: 2) } == [2426236019577753, 555658900949])
            #expect(convGrads([2, 4, 64, 64], [6, 4, 3, 3]) { conv2d($0, $1, $2) } == [50599049085298, 44694795701])
            #expect(convGrads([8, 4, 50], [8, 4, 5]) { conv1d($0, $1, $2, padding: 2) } == [28545116049760, 99654421957])
            // conv_transpose2d: the weight is (in, out, kH, kW), the bias has `out` entries
            manualSeed(0)
            let x = Tensor.randn(4, 8, 7, 7), w = Tensor.randn([8, 4, 4, 4], requiresGrad: true), b = Tensor.randn([4], requiresGrad: true)
            let y = convTranspose2d(x, w, b, stride: 2, padding: 1)
            (y * Tensor.randn(y.shape)).sum().backward()
            #expect(h(w.grad!) == 289253417875758)
            #expect(h(b.grad!) == 17417734940)
        }
        // the images split among PyTorch's threads: at torch.set_num_threads(1) and (4)
        //   a1 6251501519483 95884333172 / a4 6251501707183 95884333977 / b4 1484176365455559 326242082991
        withThreads(1) {
            #expect(convGrads([16, 1, 28, 28], [8, 1, 3, 3]) { conv2d($0, $1, $2, padding: 1) } == [6251501519483, 95884333172])
        }
        withThreads(4) {
            #expect(convGrads([16, 1, 28, 28], [8, 1, 3, 3]) { conv2d($0, $1, $2, padding: 1) } == [6251501707183, 95884333977])
            #expect(convGrads([8, 8, 14, 14], [16, 8, 3, 3]) { conv2d($0, $1, $2, padding: 1) } == [1484176365455559, 326242082991])
        }
    }

    /// Linear's output and gradients, and mm's, drawn as the script's lin_case and mm_case draw them.
    private func linearCase(_ b: Int, _ i: Int, _ o: Int) -> [Int] {
        manualSeed(0)
        let x = Tensor.randn([b, i], requiresGrad: true)
        let w = Tensor.randn([o, i], requiresGrad: true), bias = Tensor.randn([o], requiresGrad: true)
        let y = linear(x, w, bias)
        (y * Tensor.randn(y.shape)).sum().backward()
        return [h(y), h(x.grad!), h(w.grad!), h(bias.grad!)]
    }
    private func mmCase(_ r: Int, _ k: Int, _ c: Int) -> [Int] {
        manualSeed(0)
        let a = Tensor.randn([r, k], requiresGrad: true), b = Tensor.randn([k, c], requiresGrad: true)
        let y = a.mm(b)
        (y * Tensor.randn(y.shape)).sum().backward()
        return [h(y), h(a.grad!), h(b.grad!)]
    }

    @Test func matrixProductsRoundAsMKL() {
        // (batch, in, out): K-blocks of 192 (784, 385 = 192 + 192 + 1) and of K/2 (300, 250, 193); out < 12
        // and two-row pieces (the non-FMA dot kernel, with its alignment head for odd rows); the
        // two-column weight-gradient piece at 2 threads (the non-FMA sequential kernel)
        withThreads(2) {
            #expect(linearCase(64, 784, 32) == [4446651428641497, 2701780773995579805, 679271044157055958, 1093100003495])
            #expect(linearCase(64, 32, 10) == [446203641810368, 4423615318369824, 114528721330020, 155493844110])
            #expect(linearCase(10, 784, 32) == [112049966708142, 66730748675254508, 672766742104745481, 1215535810858])
            #expect(linearCase(2, 300, 20) == [1658557199969, 382269012428453, 38236056097871936, 448923946927])
            #expect(linearCase(7, 250, 13) == [8488111681771, 3285907160494857, 11690094926867280, 252073191533])
            #expect(linearCase(33, 385, 40) == [1941077616586749, 174108151683550138, 251880972821195203, 2138567310520])
            #expect(linearCase(6, 193, 12) == [5488852852557, 1439336766358542, 5720515992542787, 120087336449])
            #expect(linearCase(512, 128, 64) == [1166069295420539498, 4633578373770152184, 72452790195289794, 4726691959186])
            #expect(mmCase(20, 50, 30) == [377698800289876, 1086191851506758, 2440090010087616])
            #expect(mmCase(3, 40, 24) == [5295922422069, 16592592057172, 950178668899047])
        }
        // one output (MKL's n == 1 dot: Linear(32, 1), Linear(512, 1)), one input row, and 'T','T'
        withThreads(2) {
            #expect(linearCase(64, 32, 1) == [4817496173293, 4462909899763829, 1281342165148, 1047501616])
            #expect(linearCase(100, 512, 1) == [10704202587586, 2786233344225870722, 287363505089805, 3216437174])
            #expect(linearCase(1, 784, 32) == [1154338506528, 652451968420048, 668582002376962844, 988156115061])
            #expect(linearCase(1, 10, 3) == [10743929839, 154964800701, 994251525437, 12784021158])
            #expect(linearCase(7, 33, 1) == [60242585023, 58066580504636, 1111010471731, 3218795679])
            for (r, k, c, want) in [(20, 30, 40, [681239108795649, 388385791663952, 1572902561408013]),
                                    (5, 50, 2, [104318603138, 67210887974543, 12317778934489]),
                                    (3, 7, 1, [6444513148, 547757496414, 70661588733])] {
                manualSeed(0)
                let a = Tensor.randn([k, r], requiresGrad: true), b = Tensor.randn([c, k], requiresGrad: true)
                let y = a.t().mm(b.t())
                (y * Tensor.randn(y.shape)).sum().backward()
                #expect(([h(y), h(a.grad!), h(b.grad!)] as [Int]) == want, "a.t().mm(b.t()) \(r)x\(k)x\(c)")
            }
        }
        // 3 and 4 threads: MKL splits the rows, and a last piece under 12 rows takes the small kernel
        withThreads(3) {
            #expect(linearCase(64, 100, 40) == [6997293009439594, 43954982400715199, 17351808108985597, 1784792051168])
            #expect(linearCase(50, 64, 70) == [13277748316906753, 11063738909700322, 21527615949951732, 5495066985995])
            #expect(linearCase(20, 30, 24) == [242003073638077, 390642898548439, 569290130091347, 618416528157])
        }
        withThreads(4) {
            #expect(linearCase(64, 100, 40) == [6997293009439594, 43954982399895163, 17351808107610281, 1784792051168])
            #expect(linearCase(50, 64, 70) == [13277748316320100, 11063738909700322, 21527615949951732, 5495066985995])
        }
        // one thread: no split, so the pieces above that changed kernel with it change back
        withThreads(1) {
            #expect(linearCase(64, 32, 10) == [446203641810368, 4423615318369824, 114528721222012, 155493844110])
            #expect(linearCase(10, 784, 32) == [112049966707637, 66730748642125228, 672766742104745481, 1215535810858])
            #expect(linearCase(7, 250, 13) == [8488111687272, 3285907159916429, 11690094926867280, 252073191533])
            #expect(linearCase(6, 193, 12) == [5488852856937, 1439336766328431, 5720515992542787, 120087336449])
        }
    }

    @Test func convolutionForwardAndInputGradientRoundAsOneDNN() {
        // the flat kernel (1 and 5 input channels), blocks of 8 channels (8, 12 = 8 + 4), stride 2, a 1x1
        // convolution, and input-gradient chains of 4, 2 and 1 output-channel blocks (widths 14, 12, 45)
        // (checksums modulo 2^64: hw below, h(t) % 2**64 in the script)
        let cases: [([Int], [Int], Int, Int, [UInt64])] = [
            ([16, 1, 28, 28], [8, 1, 3, 3], 1, 1, [11172190190492464743, 168612169261199267]),
            ([8, 8, 14, 14], [16, 8, 3, 3], 1, 1, [666046852261308779, 170411688104242333]),
            ([2, 12, 20, 20], [24, 12, 3, 3], 1, 0, [260177762246351231, 99691500250196878]),
            ([2, 4, 16, 16], [24, 4, 5, 5], 1, 0, [52198932952137256, 4581700405837607]),
            ([4, 16, 10, 10], [8, 16, 1, 1], 1, 0, [10508993614673787, 43471765547337937]),
            ([3, 5, 45, 45], [40, 5, 3, 3], 1, 1, [7948871583865203484, 1000164737125952800]),
        ]
        withThreads(2) {
            for (xs, ws, stride, padding, want) in cases {
                manualSeed(0)
                let x = Tensor.randn(xs, requiresGrad: true)
                let w = Tensor.randn(ws, requiresGrad: true), b = Tensor.randn([ws[0]], requiresGrad: true)
                let y = conv2d(x, w, b, stride: stride, padding: padding)
                (y * Tensor.randn(y.shape)).sum().backward()
                #expect([hw(y), hw(x.grad!)] == want, "conv2d \(xs) * \(ws), stride \(stride), padding \(padding)")
            }
            // stride 2: the forward (its input gradient runs another oneDNN kernel, not copied)
            manualSeed(0)
            let x = Tensor.randn([4, 3, 32, 32], requiresGrad: true)
            let w = Tensor.randn([20, 3, 5, 5], requiresGrad: true), b = Tensor.randn([20], requiresGrad: true)
            #expect(hw(conv2d(x, w, b, stride: 2, padding: 2)) == 448075842531370417)
        }
    }

    @Test func elementwiseGradientsRoundAsPyTorch() {
        // torch.manual_seed(0); x = torch.randn(1000) * 3; p = torch.rand(1000) * 20 + 1e-3; g = torch.randn(1000)
        // def grad(f, inp):
        //     t = inp.clone().requires_grad_(True); y = f(t); y.backward(g); return [h(y), h(t.grad)]
        // grad(lambda t: t.reciprocal(), x), grad(lambda t: t.rsqrt(), p), grad(lambda t: t.pow(0.5), p),
        // grad(lambda t: x / t, p), grad(lambda t: F.softsign(t), x)
        // (reciprocal's is -grad * (result * result); div's -grad * ((a / b) / b); pow(0.5) is torch's sqrt kernel)
        manualSeed(0)
        let x = Tensor.randn(1000) * 3, p = Tensor.rand(1000) * 20 + 1e-3, g = Tensor.randn(1000)
        func grad(_ inp: Tensor, _ f: (Tensor) -> Tensor) -> [Int] {
            let t = inp.detach().clone().requiresGrad_()
            let y = f(t); y.backward(gradient: g)
            return [h(y), h(t.grad!)]
        }
        #expect(grad(x) { $0.reciprocal() } == [1085236892684846, 1034686841471388])
        #expect(grad(p) { $0.rsqrt() } == [526881402109094, 1017593556546011])
        if getCPUCapability() == "AVX2" {   // torch's sqrt kernel: MKL's on this CPU
            #expect(grad(p) { $0.pow(0.5) } == [539120978155620, 1081990631698338])
        }
        #expect(grad(p) { $0.pow(-2) } == [508470977423704, 1007628889133284])   // grad(lambda t: t.pow(-2), p): pow(-3) is SLEEF's
        #expect(grad(p) { x / $0 } == [1078469075661980, 1055988226957174])
        #expect(grad(x) { $0.softsign() } == [1084071219092391, 1079114538858723])
    }

    @Test func layerNormAndBatchNorm1dRoundAsPyTorch() {
        // for name, m, shape in [("ln", lambda: nn.LayerNorm(64), (128, 64)), ("ln3", lambda: nn.LayerNorm([5, 7]), (6, 5, 7)),
        //                        ("bn", lambda: nn.BatchNorm1d(20), (50, 20))]:
        //     torch.manual_seed(0); mod = m()
        //     with torch.no_grad():
        //         for p in mod.parameters(): p.copy_(torch.randn(p.shape) * 0.5 + 1)
        //     x = (torch.randn(shape) * 2 + 0.5).requires_grad_(True)
        //     y = mod(x); g = torch.randn(shape); y.backward(g)
        //     out = [h(y), h(x.grad), h(mod.weight.grad), h(mod.bias.grad)]
        //     if name == "bn": out += [h(mod.running_mean), h(mod.running_var)]; mod.eval(); out.append(h(mod(x)))
        // (RowwiseMoments' Welford cascade for layer norm; batch norm on (N, C) through the channels-last
        // kernels, whose per-thread row blocks make the bits depend on the thread count: 2 here)
        let run = normRun
        withThreads(2) {
            #expect(run(LayerNorm(64), [128, 64]) == [48780298848238016, 71191402773504220, 4339837388376, 4917913827743])
            #expect(run(LayerNorm([5, 7]), [6, 5, 7]) == [29540672262459, 46029791307332, 1315137486682, 1321548154856])
            let bn = BatchNorm1d(20)
            #expect(run(bn, [50, 20]) == [729257349507728, 1095141692350706, 480616347604, 479035656285])
            let stats: [Int] = [h(bn.runningMean!), h(bn.runningVar!)]
            #expect(stats == [215577360777, 224262195189])
            bn.eval()
            manualSeed(0)
            _ = Tensor.randn(20); _ = Tensor.randn(20)
            #expect(h(bn(Tensor.randn(50, 20) * 2 + 0.5)) == 759023831358094)
        }
    }

    @Test func groupNormAndPlainLayerNormRoundAsPyTorch() {
        // torch.set_num_threads(2); run(mod, shape) as in layerNormAndBatchNorm1dRoundAsPyTorch, returning
        // [h(y), h(x.grad)] + [h(p.grad) for p in mod.parameters()], for
        //   nn.GroupNorm(G, C) on shape, nn.GroupNorm(G, C, affine=False), nn.LayerNorm(n, elementwise_affine=False),
        //   nn.LayerNorm(n, bias=False)
        // (GroupNorm: RowwiseMoments per group, rstd with eps in double, 8-lane plane sums, the gamma-weighted sums
        // of D >= 8 channels in 8 lanes, the last D % 8 fused when PyTorch's parallel_for runs threads)
        let run = normRun
        withThreads(2) {
            #expect(run(GroupNorm(4, 16), [16, 16, 10, 10]) == [463283714361750520, 692737601364071780, 296530477029, 310735275473])
            #expect(run(GroupNorm(3, 6), [3, 6, 5, 7]) == [252912807418097, 430963523832320, 37808456650, 33532618092])
            #expect(run(GroupNorm(2, 32), [4, 32, 5, 5]) == [7194099037785788, 10775532365042657, 1239020259905, 1226493346385])
            #expect(run(GroupNorm(1, 24), [2, 24, 3]) == [14680984562955, 22021751655030, 608851447085, 624927833927])
            #expect(run(GroupNorm(4, 8), [5, 8]) == [1352695341916, 1646296422400, 76970487768, 74986714943])
            #expect(run(GroupNorm(2, 40), [2, 40, 6, 6]) == [6089443912582087, 8644301074312247, 1639869747673, 1947430047182])
            #expect(run(GroupNorm(1, 8), [1, 8, 6, 7]) == [85332016186980, 127632135312115, 60180323497, 64830435054])
            #expect(run(GroupNorm(2, 32, affine: false), [4, 32, 5, 5]) == [10989506759547602, 10900668937453753])
            #expect(run(GroupNorm(3, 6, affine: false), [3, 6, 5, 7]) == [427526633505903, 412936553909451])
            #expect(run(LayerNorm(64, elementwiseAffine: false), [128, 64]) == [71867140119640360, 71091607605918901])
            #expect(run(LayerNorm(64, bias: false), [128, 64]) == [71598535078621598, 71230889031986030, 4412495512802])
            #expect(run(LayerNorm(7, elementwiseAffine: false), [9, 7]) == [4327403115744, 4119869980419])
            #expect(run(LayerNorm(7, bias: false), [9, 7]) == [3734690129463, 4247163353795, 68574522306])
        }
    }

    @Test func bmmRoundsAsPyTorch() {
        // torch.set_num_threads(2); torch.manual_seed(0)
        // for B, n, k, m in [(5, 2, 30, 6), (2, 1, 17, 23), (8, 10, 32, 10), (4, 16, 64, 24)]:
        //     a = torch.randn(B, n, k, requires_grad=True); b = torch.randn(B, k, m, requires_grad=True)
        //     y = torch.bmm(a, b); g = torch.randn(y.shape); y.backward(g); [h(y), h(a.grad), h(b.grad)]
        // q = torch.randn(2, 4, 10, 16, requires_grad=True); kk = torch.randn(2, 4, 10, 16, requires_grad=True)
        // s = q @ kk.transpose(-2, -1); g = torch.randn(s.shape); s.backward(g); [h(s), h(q.grad), h(kk.grad)]
        // (below 400 multiply-adds per product PyTorch's naive kernel, else MKL's gemm per batch item, transposed
        // operands passed as BLAS transposes)
        let want = [[3753021990745, 97127552621780, 848568394359473], [2637049049582, 1252431592013, 647392575744384],
                    [695142630425629, 7186606889927464, 6972817355563281], [2541228484980105, 18123994447622493, 40994186556108371]]
        withThreads(2) {
            manualSeed(0)
            for (i, (bs, n, k, m)) in [(5, 2, 30, 6), (2, 1, 17, 23), (8, 10, 32, 10), (4, 16, 64, 24)].enumerated() {
                let a = Tensor.randn(bs, n, k).requiresGrad_(), b = Tensor.randn(bs, k, m).requiresGrad_()
                let y = a.bmm(b), g = Tensor.randn(y.shape)
                y.backward(gradient: g)
                #expect(([h(y), h(a.grad!), h(b.grad!)] as [Int]) == want[i], "bmm \(bs)x\(n)x\(k)x\(m)")
            }
            let q = Tensor.randn(2, 4, 10, 16).requiresGrad_(), kk = Tensor.randn(2, 4, 10, 16).requiresGrad_()
            let s = q.matmul(kk.transpose(-2, -1)), g = Tensor.randn(s.shape)
            s.backward(gradient: g)
            #expect(([h(s), h(q.grad!), h(kk.grad!)] as [Int]) == [678714521860235, 1764718197011149, 1758845327411673])
            // torch.manual_seed(0); W = torch.randn(30, 40, requires_grad=True); x = torch.randn(6, 40, 50)
            // y = W @ x; g = torch.randn(y.shape); y.backward(g); y.grad_fn.name(), [h(y), h(W.grad)]
            // W2 = torch.randn(30, 40); x2 = torch.randn(6, 40, 50, requires_grad=True); y2 = W2 @ x2; y2.backward(g)
            // (a matrix that requires grad times a batch: PyTorch folds the batch into one mm and transposes back)
            manualSeed(0)
            let w = Tensor.randn(30, 40).requiresGrad_(), x = Tensor.randn(6, 40, 50)
            let y = w.matmul(x), gy = Tensor.randn(y.shape)
            #expect(y.gradFn == "CloneBackward0" && y.isContiguous)
            y.backward(gradient: gy)
            #expect(([h(y), h(w.grad!)] as [Int]) == [87708736075085021, 1551253546335389])
            let w2 = Tensor.randn(30, 40), x2 = Tensor.randn(6, 40, 50).requiresGrad_()
            let y2 = w2.matmul(x2)
            #expect(y2.gradFn == "UnsafeViewBackward0")
            y2.backward(gradient: gy)
            #expect(([h(y2), h(x2.grad!)] as [Int]) == [87534500969711596, 154158691709144533])
        }
    }

    @Test func crossEntropyGradientsRoundAsPyTorch() {
        // torch.set_num_threads(2); torch.manual_seed(0)
        // x = torch.randn(400, 10) * 3; t = torch.randint(0, 10, (400,)); w = torch.rand(10) + 0.5
        // for kw in [{}, {"weight": w}, {"reduction": "sum"}, {"ignore_index": 3}]:
        //     a = x.clone().requires_grad_(True); F.cross_entropy(a, t, **kw).backward(); h(a.grad)
        //     b = x.log_softmax(1).requires_grad_(True); F.nll_loss(b, t, **kw).backward(); h(b.grad)
        // (nll_loss's backward puts w * -(1 / total_weight) at each target, log_softmax's backward then
        // computes g - exp(y) * sum(g) with one rounding: at the target that is not (k e) - k)
        withThreads(2) {
            manualSeed(0)
            let x = Tensor.randn(400, 10) * 3, t = Tensor.randint(0, 10, [400]), w = Tensor.rand(10) + 0.5
            var res: [Int] = []
            for (weight, reduction, ignore) in [(nil, Reduction.mean, -100), (w, .mean, -100), (nil, .sum, -100), (nil, .mean, 3)] as [(Tensor?, Reduction, Int)] {
                let a = x.clone().requiresGrad_()
                crossEntropy(a, t, weight: weight, ignoreIndex: ignore, reduction: reduction).backward()
                res.append(h(a.grad!))
                let b = x.logSoftmax(dim: 1).requiresGrad_()
                nllLoss(b, t, weight: weight, ignoreIndex: ignore, reduction: reduction).backward()
                res.append(h(b.grad!))
            }
            // log_softmax's backward sums in 16 lanes where torch.backends.cpu.get_cpu_capability() is AVX512
            // (the same snippet there, e.g. on an AMD EPYC with AVX-512, gives the second list)
            if getCPUCapability() == "AVX512" {
                #expect(res == [9216411121545193, 2512626534608358, 9212055181681344, 2512375639689198, 9796945578764272,
                                2571165872685056, 8491243974483414, 2313929180640356])
            } else {
                #expect(res == [9216411121657090, 2512626534608358, 9212055181899071, 2512375639689198, 9796945579028023,
                                2571165872685056, 8491243974546550, 2313929180640356])
            }
        }
    }

    @Test func activationsRoundAsPyTorch() {
        // torch.manual_seed(0); x = torch.randn(100003) * 30; h(x.exp())
        // torch.manual_seed(0); x = torch.randn(1000) * 3; g = torch.randn(1000)
        // def grad(f): t = x.clone().requires_grad_(True); y = f(t); y.backward(g); return [h(y), h(t.grad)]
        // grad(lambda t: t.sigmoid()), grad(F.silu), grad(F.gelu), grad(lambda t: F.elu(t, 0.7)), grad(F.selu),
        // grad(F.softplus), grad(F.logsigmoid), grad(lambda t: t.abs().log1p()), grad(lambda t: t.expm1()),
        // grad(lambda t: t.abs().pow(1.5)), grad(lambda t: t.view(10, 100).log_softmax(1).reshape(-1))
        // (SLEEF in blocks of 16, glibc for the last 1000 % 16; torch.exp is MKL's; F.gelu is oneDNN's)
        if getCPUCapability() != "AVX2" { return }   // the lane and block widths are AVX2's
        withThreads(2) {
            let vendor = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("GenuineIntel") ?? true
            manualSeed(0)
            if !vendor { #expect(hw((Tensor.randn(100003) * 30).exp()) == 5325018332813083343) }
            manualSeed(0)
            let x = Tensor.randn(1000) * 3, g = Tensor.randn(1000)
            func grad(_ f: (Tensor) -> Tensor) -> [Int] {
                let t = x.detach().clone().requiresGrad_()
                let y = f(t); y.backward(gradient: g)
                return [h(y), h(t.grad!)]
            }
            #expect(grad { $0.sigmoid() } == [524422412176133, 1045437537038109])
            #expect(grad { $0.silu() } == [1082151768098489, 1041356167951767])
            #expect(grad { $0.gelu() } == [1023089944893359, 1020953980593969])
            // grad(lambda t: F.gelu(t, approximate='tanh')), grad(F.mish): SLEEF's current tanhf in the vector lambda
            #expect(grad { $0.gelu(approximate: "tanh") } == [1052649431440405, 1020976511727782])
            #expect(grad { $0.mish() } == [1082645197083124, 1041599733070086])
            // torch.manual_seed(1); x2 = torch.randn(20017) * 3; g2 = torch.randn(20017); the same two: tanh-GELU's
            // forward splits past 16384 elements into one piece per thread (each with its own scalar tail), its backward does not
            manualSeed(1)
            let x2 = Tensor.randn(20017) * 3, g2 = Tensor.randn(20017)
            for (f, want) in [({ (t: Tensor) in t.gelu(approximate: "tanh") }, [415404417757121793, 412423663155159420]),
                              ({ (t: Tensor) in t.mish() }, [427847433417352332, 423318156083389284])] {
                let t = x2.detach().clone().requiresGrad_()
                let y = f(t); y.backward(gradient: g2)
                #expect(([h(y), h(t.grad!)] as [Int]) == want)
            }
            #expect(grad { $0.elu(alpha: 0.7) } == [1086878818115160, 1054196263344679])
            #expect(grad { $0.selu() } == [1089910152993115, 1057226540395516])
            #expect(grad { $0.softplus() } == [527598478434293, 1054115625359529])
            #expect(grad { $0.logSigmoid() } == [1602325184830714, 1054016947268042])
            #expect(grad { $0.abs().log1p() } == [532037972377949, 1074354875295482])
            #expect(grad { $0.expm1() } == [1092865902242470, 1062804894914053])
            #expect(grad { $0.abs().pow(1.5) } == [537079445729494, 1084766353149330])
            #expect(grad { $0.view(10, 100).logSoftmax(dim: 1).reshape(-1) } == [1620806564616518, 1067493076249118])
            #expect(grad { $0.hardswish() } == [998296906455475, 861930694068129])      // grad(F.hardswish)
            if !vendor { #expect(grad { $0.abs().log() } == [807303097358776, 1078216810313964]) }   // grad(lambda t: t.abs().log()): MKL's vsLn
        }
    }

    @Test func normAndSqrtRoundAsPyTorch() {
        // torch.manual_seed(0); for n in [2, 3, 5, 7, 8, 12, 13, 100, 1003]:
        //     x = torch.randn(n) * 3; torch.linalg.vector_norm(x).view(torch.int32).item()
        // (8 lanes of unfused squares, a tail of 4 unfused and up to 3 fused; a correctly rounded root)
        manualSeed(0)
        var bits: [Int] = []
        for n in [2, 3, 5, 7, 8, 12, 13, 100, 1003] { bits.append(Int(Float((Tensor.randn(n) * 3).norm().item()).bitPattern)) }
        // (the same on AVX512 CPUs: torch's norm kernel has no AVX512 build)
        #expect(bits == [1083611130, 1089465967, 1085513849, 1086034410, 1090377122, 1093375428, 1090839201, 1104862154, 1119643352])
        // torch.manual_seed(0); x = torch.randn(8, 16); x.norm().view(torch.int32).item(), x.norm(dim=1).view(torch.int32).tolist()
        // (128 elements: 8 and 16 lanes round differently here)
        manualSeed(0)
        let m = Tensor.randn(8, 16)
        #expect(Int(Float(m.norm().item()).bitPattern) == 1094470845
                && m.norm(dim: 1).toArray(Float.self).map { Int($0.bitPattern) } == [1080702019, 1082884801, 1080162725, 1084269218, 1083042310, 1081422733, 1082540002, 1082258398])
        // torch.manual_seed(1); torch.randn(10, 4); x = torch.rand(1000) * 1e-3; h(x.sqrt())
        // On this AMD EPYC torch.sqrt is MKL's generic kernel (about a fifth of the results 1 ulp from the
        // correctly rounded root); on Intel CPUs MKL's is correctly rounded.
        manualSeed(1)
        _ = Tensor.randn(10, 4)
        let x = Tensor.rand(1000) * 1e-3
        let roots = x.sqrt()
        let exact = Tensor(x.toArray(Float.self).map { Float(Double($0).squareRoot()) })
        let vendor = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("GenuineIntel") ?? true
        if vendor {
            #expect(h(roots) == h(exact))
        } else {
            #expect(h(roots) == 509015169437716)
            #expect(h(roots) != h(exact))
        }
    }

    @Test func batchNormRoundsAsPyTorch() {
        let expected: [Int: [Int]] = [
            12: [362031014970697199, 357614882548519464, 44218402857, 76401194733, 37469485592, 38610218887, 362031011541922904, 324644508529558279],
            7: [42088223277613905, 41975859542365334, 76109674406, 77990923493, 37458637726, 38608484512, 42088222968233093, 37568598943605807],
            2: [282124403592045, 280848563908140, 90577343858, 79646557852, 37509676084, 38627746027, 282124400955374, 245071976946173],
        ]
        for (hw, want) in expected.sorted(by: { $0.key > $1.key }) {
            manualSeed(0)
            let bn = BatchNorm2d(8)
            let x = (Tensor.randn(16, 8, hw, hw) * 3 + 1)
            x.requiresGrad = true
            let y = bn(x)
            (y * Tensor.randn(y.shape)).sum().backward()
            let y2 = bn(x.detach() * 0.5)
            bn.eval()
            let y3 = bn(x.detach())
            #expect([h(y), h(x.grad!), h(bn.weight!.grad!), h(bn.bias!.grad!), h(bn.runningMean!), h(bn.runningVar!), h(y2), h(y3)] == want,
                    "BatchNorm2d on 16x8x\(hw)x\(hw)")
        }
    }
}
}
