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
