import Testing
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

private func h(_ t: Tensor) -> Int {
    t.contiguous().flatten().toArray(Float.self).enumerated().reduce(0) { $0 + ($1.offset + 1) * Int($1.element.bitPattern) }
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
        // one thread: no split, so the pieces above that changed kernel with it change back
        withThreads(1) {
            #expect(linearCase(64, 32, 10) == [446203641810368, 4423615318369824, 114528721222012, 155493844110])
            #expect(linearCase(10, 784, 32) == [112049966707637, 66730748642125228, 672766742104745481, 1215535810858])
            #expect(linearCase(7, 250, 13) == [8488111687272, 3285907159916429, 11690094926867280, 252073191533])
            #expect(linearCase(6, 193, 12) == [5488852856937, 1439336766328431, 5720515992542787, 120087336449])
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
