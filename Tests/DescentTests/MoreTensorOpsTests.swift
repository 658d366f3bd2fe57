import Testing
import Foundation
import Descent

/// PyTorch's tutorial example of a custom autograd.Function.
final class MyReLU: Function {
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0])
        return inputs[0].clamp(min: 0)
    }
    override class func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
        [gradOutput * (ctx.savedTensors[0] .> 0).float()]
    }
}
/// Two inputs, the second broadcast: its gradient is summed back to its shape.
final class Scale: Function {
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs)
        return inputs[0] * inputs[1]
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (x, w) = (ctx.savedTensors[0], ctx.savedTensors[1])
        return [g * w, g * x]
    }
}

extension Core {
/// Diagonals, lerp/addcmul/addcdiv, roll, meshgrid, cdist, pixel shuffles, logspace, any/all along a dim,
/// baddbmm/addmv, new_* constructors, and tensor and module hooks, against torch 2.13 (snippets beside them).
@Suite struct MoreTensorOpsTests {
    @Test func diagonalsMatchPyTorch() {
        // x = torch.arange(12.).reshape(3, 4).requires_grad_(True); x.diagonal(1), x.diagonal(-1), x.diagonal(5)
        // y = torch.arange(24.).reshape(2, 3, 4); y.diagonal(0, 1, 2), y.diagonal(-1, 0, 2)
        // (x.diagonal(1) * torch.tensor([1., 2., 3.])).sum().backward(); x.grad; x.trace(); torch.diag(torch.tensor([1., 2.]), ±1)
        let x = Tensor.arange(12.0).reshape(3, 4).requiresGrad_()
        expectValues(x.diagonal(offset: 1), [1, 6, 11], atol: 0)
        expectValues(x.diagonal(offset: -1), [4, 9], atol: 0)
        #expect(x.diagonal(offset: 5).shape == [0])
        let y = Tensor.arange(24.0).reshape(2, 3, 4)
        expectValues(y.diagonal(dim1: 1, dim2: 2), [0, 5, 10, 12, 17, 22], shape: [2, 3], atol: 0)
        expectValues(y.diagonal(offset: -1, dim1: 0, dim2: 2), [12, 16, 20], shape: [3, 1], atol: 0)
        (x.diagonal(offset: 1) * Tensor([1.0, 2.0, 3.0])).sum().backward()
        expectValues(x.grad!, [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3], atol: 0)
        #expect(x.trace().item() == 15)
        expectValues(diag(Tensor([1.0, 2.0]), 1), [0, 1, 0, 0, 0, 2, 0, 0, 0], shape: [3, 3], atol: 0)
        expectValues(diag(Tensor([1.0, 2.0]), -1), [0, 0, 0, 1, 0, 0, 0, 2, 0], shape: [3, 3], atol: 0)
    }

    @Test func pointwiseCombinationsMatchPyTorch() {
        // a = torch.tensor([1., 2., 3.]); b = torch.tensor([10., 20., 30.]); torch.lerp(a, b, 0.25), (a, b, 0.75),
        // (a, b, torch.tensor([0.1, 0.6, 1.0])); torch.addcmul(a, b, a, value=0.5); torch.addcdiv(a, b, a, value=2)
        let a = Tensor([1.0, 2.0, 3.0]), b = Tensor([10.0, 20.0, 30.0])
        expectValues(lerp(a, b, 0.25), [3.25, 6.5, 9.75], atol: 1e-6)
        expectValues(a.lerp(b, 0.75), [7.75, 15.5, 23.25], atol: 1e-6)
        expectValues(a.lerp(b, Tensor([0.1, 0.6, 1.0])), [1.9, 12.8, 30.0], atol: 1e-5)
        expectValues(addcmul(a, b, a, value: 0.5), [6, 22, 48], atol: 1e-6)
        expectValues(addcdiv(a, b, a, value: 2), [21, 22, 23], atol: 1e-6)
        // i = torch.ones(2, 2, 2); b1 = torch.arange(8.).reshape(2, 2, 2); torch.baddbmm(i, b1, b1, beta=0.5, alpha=2)
        // torch.addmv(torch.ones(2), torch.arange(4.).reshape(2, 2), torch.tensor([1., -1.]), beta=2)
        let b1 = Tensor.arange(8.0).reshape(2, 2, 2)
        expectValues(baddbmm(Tensor.ones(2, 2, 2), b1, b1, beta: 0.5, alpha: 2), [4.5, 6.5, 12.5, 22.5, 92.5, 110.5, 132.5, 158.5], atol: 1e-5)
        expectValues(addmv(Tensor.ones(2), Tensor.arange(4.0).reshape(2, 2), Tensor([1.0, -1.0]), beta: 2), [1, 1], atol: 1e-6)
        let w = Tensor([0.0, 4.0])
        w.lerp_(Tensor([8.0, 8.0]), 0.5)
        expectValues(w, [4, 6], atol: 0)
    }

    @Test func lerpRoundsOnceAsPyTorchsKernels() {
        // torch.manual_seed(0); a = torch.randn(1000); b = torch.randn(1000); w = torch.rand(1000)
        // [bithash(torch.lerp(a, b, x)) for x in (0.1, 0.001, 0.7)], bithash(torch.lerp(a, b, w))
        // (bithash: Helpers.bitHash's twin); torch._foreach_lerp_([a], [b], 1 - 0.999) equals lerp(a, b, 0.001)
        manualSeed(0)
        let a = Tensor.randn([1000]), b = Tensor.randn([1000]), w = Tensor.rand([1000])
        #expect(bitHash(a.lerp(b, 0.1)) == 0xb9b1d579a7a26cee)
        #expect(bitHash(a.lerp(b, 1 - 0.999)) == 0xcad4f53bd55f0978)
        #expect(bitHash(a.lerp(b, 0.7)) == 0xbfbd8bba7d75e6f1)
        #expect(bitHash(a.lerp(b, w)) == 0x3cab99bf1dd155e6)
        // the gradients are still lerp's: 1 - w for the start, w for the end, end - start for the weight
        let s = a[0..<3].detach().requiresGrad_(), e = b[0..<3].detach().requiresGrad_(), ww = w[0..<3].detach().requiresGrad_()
        s.lerp(e, ww).sum().backward()
        expectValues(s.grad!, values(1 - ww.detach()), atol: 1e-7)
        expectValues(e.grad!, values(ww.detach()), atol: 0)
        expectValues(ww.grad!, values(e.detach() - s.detach()), atol: 1e-7)
    }

    @Test func rollMeshgridCdistMatchPyTorch() {
        // r = torch.arange(6.).reshape(2, 3); torch.roll(r, 1), torch.roll(r, -1, 1), torch.roll(r, (1, 2), (0, 1))
        let r = Tensor.arange(6.0).reshape(2, 3)
        expectValues(r.roll([1]), [5, 0, 1, 2, 3, 4], shape: [2, 3], atol: 0)
        expectValues(r.roll(-1, dim: 1), [1, 2, 0, 4, 5, 3], atol: 0)
        expectValues(roll(r, [1, 2], dims: [0, 1]), [4, 5, 3, 1, 2, 0], atol: 0)
        // torch.meshgrid(torch.tensor([1., 2.]), torch.tensor([3., 4., 5.]), indexing="ij" / "xy")
        let ij = meshgrid(Tensor([1.0, 2.0]), Tensor([3.0, 4.0, 5.0]))
        expectValues(ij[0], [1, 1, 1, 2, 2, 2], shape: [2, 3], atol: 0)
        expectValues(ij[1], [3, 4, 5, 3, 4, 5], shape: [2, 3], atol: 0)
        let xy = meshgrid(Tensor([1.0, 2.0]), Tensor([3.0, 4.0, 5.0]), indexing: "xy")
        expectValues(xy[0], [1, 2, 1, 2, 1, 2], shape: [3, 2], atol: 0)
        expectValues(xy[1], [3, 3, 4, 4, 5, 5], shape: [3, 2], atol: 0)
        // p = torch.tensor([[0., 0.], [3., 4.]]); q = torch.tensor([[1., 1.], [0., 0.], [6., 8.]]); torch.cdist(p, q), (p=1)
        let p = Tensor([[0.0, 0.0], [3.0, 4.0]]), q = Tensor([[1.0, 1.0], [0.0, 0.0], [6.0, 8.0]])
        expectValues(cdist(p, q), [1.414214, 0, 10, 3.605551, 5, 5], shape: [2, 3], atol: 1e-5)
        expectValues(cdist(p, q, p: 1), [2, 0, 14, 5, 7, 7], atol: 1e-6)
    }

    @Test func pixelShuffleLogspaceAnyAllMatchPyTorch() {
        // z = torch.arange(32.).reshape(1, 8, 2, 2); ps = F.pixel_shuffle(z, 2); ps.shape, ps[0, 1]; F.pixel_unshuffle(ps, 2) == z
        let z = Tensor.arange(32.0).reshape(1, 8, 2, 2)
        let ps = PixelShuffle(2)(z)
        #expect(ps.shape == [1, 2, 4, 4])
        expectValues(ps[0, 1], [16, 20, 17, 21, 24, 28, 25, 29, 18, 22, 19, 23, 26, 30, 27, 31], atol: 0)
        #expect(pixelUnshuffle(ps, downscaleFactor: 2).equal(z))
        #expect("\(PixelShuffle(2))" == "PixelShuffle(upscale_factor=2)" && "\(PixelUnshuffle(3))" == "PixelUnshuffle(downscale_factor=3)")
        // torch.logspace(0, 3, 4), torch.logspace(-1, 1, 5, base=2)
        expectValues(Tensor.logspace(0, 3, count: 4), [1, 10, 100, 1000], atol: 1e-4)
        expectValues(Tensor.logspace(-1, 1, count: 5, base: 2), [0.5, 0.707107, 1, 1.414214, 2], atol: 1e-6)
        // m = torch.tensor([[True, False], [True, True]]); m.any(0), m.all(1), m.any(1, keepdim=True)
        let m = Tensor([[1.0, 0.0], [1.0, 1.0]]) .> 0.5
        #expect(m.any(dim: 0).toArray(Bool.self) == [true, true])
        #expect(m.all(dim: 1).toArray(Bool.self) == [false, true])
        #expect(m.any(dim: 1, keepDim: true).shape == [2, 1])
        // x.new_zeros(2).dtype, x.new_full((2,), 3.5)
        let x = Tensor.ones(3, dtype: .float64)
        #expect(x.newZeros(2).dtype == .float64 && x.newFull([2], 3.5).toArray(Double.self) == [3.5, 3.5] && x.isFloatingPoint())
    }

    @Test func trigonometricAndHyperbolicFunctionsMatchPyTorch() {
        // x = torch.tensor([-0.8, -0.3, 0.0, 0.4, 0.9]); for each f: t = x.clone().requires_grad_(True); y = f(t)
        // y.backward(torch.tensor([1., 2., 3., 4., 5.])); y.grad_fn.name(), y, t.grad; and acosh on [1.5, 2, 3] with sum()
        let cases: [(String, (Tensor) -> Tensor, [Double], [Double])] = [
            ("TanBackward0", { $0.tan() }, [-1.029639, -0.309336, 0.0, 0.422793, 1.260158], [2.060155, 2.191378, 3.0, 4.715016, 12.939993]),
            ("AsinBackward0", { asin($0) }, [-0.927295, -0.304693, 0.0, 0.411517, 1.119769], [1.666667, 2.09657, 3.0, 4.364358, 11.470785]),
            ("AcosBackward0", { $0.acos() }, [2.498092, 1.875489, 1.570796, 1.159279, 0.451027], [-1.666667, -2.09657, -3.0, -4.364358, -11.470785]),
            ("AtanBackward0", { $0.atan() }, [-0.674741, -0.291457, 0.0, 0.380506, 0.732815], [0.609756, 1.834862, 3.0, 3.448276, 2.762431]),
            ("SinhBackward0", { sinh($0) }, [-0.888106, -0.30452, 0.0, 0.410752, 1.026517], [1.337435, 2.090677, 3.0, 4.324289, 7.165432]),
            ("CoshBackward0", { $0.cosh() }, [1.337435, 1.045339, 1.0, 1.081072, 1.433086], [-0.888106, -0.609041, 0.0, 1.643009, 5.132584]),
            ("AsinhBackward0", { $0.asinh() }, [-0.732668, -0.295673, 0.0, 0.390035, 0.808867], [0.780869, 1.915653, 3.0, 3.713907, 3.716471]),
            ("AtanhBackward0", { $0.atanh() }, [-1.098612, -0.30952, 0.0, 0.423649, 1.472219], [2.777778, 2.197802, 3.0, 4.761905, 26.315781])]
        for (name, f, values, grads) in cases {
            let t = Tensor([-0.8, -0.3, 0.0, 0.4, 0.9], requiresGrad: true)
            let y = f(t)
            y.backward(gradient: Tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
            #expect(y.gradFn == name)
            expectValues(y, values, atol: 2e-6)
            expectValues(t.grad!, grads, atol: 1e-5, rtol: 1e-5)
        }
        let t = Tensor([1.5, 2.0, 3.0], requiresGrad: true), y = acosh(t)
        y.sum().backward()
        #expect(y.gradFn == "AcoshBackward0")
        expectValues(y, [0.962424, 1.316958, 1.762747], atol: 2e-6)
        expectValues(t.grad!, [0.894427, 0.57735, 0.353553], atol: 2e-6)
        // float64 against finite differences
        gradCheck({ $0[0].tan() + $0[0].atan() + $0[0].sinh() + $0[0].cosh() + $0[0].asinh() }, inputs: [r64(2, 3, seed: 3) * 0.5])
        gradCheck({ $0[0].asin() + $0[0].acos() + $0[0].atanh() + ($0[0] + 2).acosh() }, inputs: [r64(2, 3, seed: 4).tanh() * 0.8])
    }

    @Test func customFunctionsMatchPyTorch() {
        // (MyReLU and Scale above, written as torch.autograd.Function subclasses in /tmp/gn/fn.py)
        // x = torch.tensor([-1.0, 2.0, 3.0], requires_grad=True); y = MyReLU.apply(x); y.grad_fn.name(), y
        // (y * torch.tensor([1., 2., 3.])).sum().backward(); x.grad
        // w = torch.tensor([2.0], requires_grad=True); z = Scale.apply(x, w); z.sum().backward(); x.grad, w.grad
        let x = Tensor([-1.0, 2.0, 3.0], requiresGrad: true)
        let y = MyReLU.apply(x)
        #expect(y.gradFn == "MyReLUBackward")
        expectValues(y, [0, 2, 3], atol: 0)
        (y * Tensor([1.0, 2.0, 3.0])).sum().backward()
        expectValues(x.grad!, [0, 2, 3], atol: 0)
        x.grad = nil
        let w = Tensor([2.0], requiresGrad: true)
        let z = Scale.apply(x, w)
        z.sum().backward()
        #expect(z.gradFn == "ScaleBackward")
        expectValues(x.grad!, [2, 2, 2], atol: 0)
        expectValues(w.grad!, [4], atol: 0)
        // without inputs that need gradients nothing is recorded
        #expect(MyReLU.apply(Tensor([1.0])).gradFn == nil)
    }

    @Test func linalgInvSolveDetMatchPyTorch() async {
        // a = torch.tensor([[4., 7., 2.], [3., 6., 1.], [2., 5., 3.]], requires_grad=True)
        // i = torch.linalg.inv(a); (i * torch.arange(9.).reshape(3, 3)).sum().backward(); d = torch.linalg.det(a); d.backward()
        // b = torch.tensor([[1., 2.], [0., 1.], [3., -1.]], requires_grad=True); x = torch.linalg.solve(a, b); x.sum().backward()
        // torch.linalg.solve(a, torch.tensor([1., 2., 3.])); bb = torch.stack([a, a * 2]); torch.det(bb), bb.inverse()[1]
        // (torch's float32 LU gives det 9.0000038; Descent's LU runs in double)
        let m: [[Double]] = [[4, 7, 2], [3, 6, 1], [2, 5, 3]]
        let a = Tensor(m, requiresGrad: true)
        let i = linalg.inv(a)
        #expect(i.gradFn == "LinalgInvExBackward0")
        expectValues(i, [1.44444, -1.22222, -0.55556, -0.77778, 0.88889, 0.22222, 0.33333, -0.66667, 0.33333], atol: 1e-5)
        (i * Tensor.arange(9.0).reshape(3, 3)).sum().backward()
        expectValues(a.grad!, [2.22222, -1.22222, 0, -2.77778, 1.77778, 0, 0.88889, -0.88889, 0], atol: 1e-4)
        a.grad = nil
        let d = linalg.det(a)
        #expect(d.gradFn == "LinalgDetBackward0" && abs(d.item() - 9) < 1e-4)
        d.backward()
        expectValues(a.grad!, [13, -7, 3, -11, 8, -6, -5, 2, 3], atol: 1e-4)
        a.grad = nil
        let b = Tensor([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], requiresGrad: true)
        let x = linalg.solve(a, b)
        #expect(x.gradFn == "LinalgSolveExBackward0")
        expectValues(x, [-0.22222, 2.22222, -0.11111, -0.88889, 1.33333, -0.33333], atol: 1e-5)
        x.sum().backward()
        expectValues(a.grad!, [-2, 1, -1, 2, -1, 1, 0, 0, 0], atol: 1e-4)
        expectValues(b.grad!, [1, 1, -1, -1, 0, 0], atol: 1e-5)
        expectValues(linalg.solve(a.detach(), Tensor([1.0, 2.0, 3.0])), [-2.66667, 1.66667, 0], shape: [3], atol: 1e-5)
        let bb = stack([a.detach(), a.detach() * 2])
        expectValues(det(bb), [9, 72], atol: 1e-3)
        expectValues(bb.inverse()[1], [0.72222, -0.61111, -0.27778, -0.38889, 0.44444, 0.11111, 0.16667, -0.33333, 0.16667], atol: 1e-5)
        #expect(Tensor([[1.0, 2.0], [2.0, 4.0]]).det().item() == 0)
        // float64 gradients against finite differences
        gradCheck({ linalg.inv($0[0]) }, inputs: [Tensor(m, dtype: .float64)])
        gradCheck({ linalg.solve($0[0], $0[1]) }, inputs: [Tensor(m, dtype: .float64), r64(3, 2, seed: 9)])
        gradCheck({ linalg.det($0[0]) }, inputs: [Tensor(m, dtype: .float64)])
        let singular = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linalg.inv(Tensor([[1.0, 2.0], [2.0, 4.0]]))
        }
        // PyTorch: torch.linalg.inv(torch.tensor([[1., 2.], [2., 4.]]))
        #expect(stderr(singular).contains("linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the input matrix is singular."))
    }

    @Test func positionalFormsOfFunctionalCallsMatchTheLabelledOnes() {
        // F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 2), torch.flatten(x, 1), nn.init.normal_(w, 0.0, 0.02)
        let x = Tensor.arange(32.0).reshape(1, 2, 4, 4)
        #expect(maxPool2d(x, 2).equal(maxPool2d(x, kernelSize: 2)))
        #expect(avgPool2d(x, 3, 2).equal(avgPool2d(x, kernelSize: 3, stride: 2)))
        #expect(flatten(x, 1).shape == [1, 32] && flatten(x, 1, 2).shape == [1, 8, 4])
        manualSeed(3); let a = normal_(Tensor.zeros(4), 0.0, 0.02)
        manualSeed(3); let b = normal_(Tensor.zeros(4), mean: 0.0, std: 0.02)
        #expect(a.equal(b) && a.abs().max().item() < 0.1)
    }

    @Test func tensorAndModuleHooksMatchPyTorch() {
        // w = torch.tensor([1., 2., 3.], requires_grad=True); h = w.register_hook(lambda g: seen.append(g) or g * 2)
        // y = w * w; z = (y * torch.tensor([1., 10., 100.])).sum() + w.sum(); yh = y.register_hook(lambda g: g + 1)
        // z.backward(); seen, w.grad -> [[5, 45, 607]], [10, 90, 1214]; after h.remove(), yh.remove(): (w * w).sum() -> [2, 4, 6]
        let w = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        var seen: [[Float]] = []
        let h = w.registerHook { g in seen.append(g.toArray(Float.self)); return g * 2 }
        let y = w * w
        let z = (y * Tensor([1.0, 10.0, 100.0])).sum() + w.sum()
        let yh = y.registerHook { $0 + 1 }
        z.backward()
        #expect(seen == [[5, 45, 607]])
        expectValues(w.grad!, [10, 90, 1214], atol: 0)
        h.remove(); yh.remove(); w.grad = nil
        (w * w).sum().backward()
        expectValues(w.grad!, [2, 4, 6], atol: 0)
        // net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)); a forward hook on the ReLU keeps its
        // output, a pre-hook on the last Linear zeroes its input (the output is then its bias); removed, it is not
        let net = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        var relu: Tensor?
        net[1].registerForwardHook { _, _, out in relu = out.detach().clone(); return nil }
        let pre = net[2].registerForwardPreHook { _, input in input * 0 }
        let out = net(Tensor.ones(1, 3))
        #expect(relu?.shape == [1, 4] && (relu! .>= 0).all().item() == 1)
        #expect(out.equal((net[2] as! Linear).bias!.detach().unsqueeze(0)))
        pre.remove()
        #expect(!net(Tensor.ones(1, 3)).equal(out))
    }
}

/// PyTorch's SummaryWriter: scalars, grouped scalars in subdirectories, framing and CRCs readable back.
@Suite struct SummaryWriterTests {
    @Test func scalarsAndGroupedScalarsAreWrittenAsPyTorchLaysThemOut() throws {
        let dir = NSTemporaryDirectory() + "descent-sw-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = SummaryWriter(logDir: dir)
        #expect(writer.eventFilePath == nil)
        for step in 0..<3 { try writer.addScalar("Loss/train", 1.0 / Double(step + 1), globalStep: step) }
        try writer.addScalars("loss", ["train": 0.5, "val": 0.75], globalStep: 2)
        let main = try #require(writer.eventFilePath)
        writer.close()
        let events = try TensorBoardFormat.readScalars(main)
        #expect(events.fileVersion == "brain.Event:2")
        #expect(events.scalars.map(\.tag) == ["Loss/train", "Loss/train", "Loss/train"])
        #expect(events.scalars.map(\.step) == [0, 1, 2] && events.scalars.map(\.value) == [1, 0.5, Float(1.0 / 3.0)])
        // PyTorch: add_scalars("loss", {...}) writes runs/<dir>/loss_train and loss_val, each with tag "loss"
        for (key, value) in [("train", Float(0.5)), ("val", Float(0.75))] {
            let sub = dir + "/loss_" + key
            let files = try FileManager.default.contentsOfDirectory(atPath: sub)
            #expect(files.count == 1 && files[0].hasPrefix("events.out.tfevents."))
            let s = try TensorBoardFormat.readScalars(sub + "/" + files[0]).scalars
            #expect(s.count == 1 && s[0].tag == "loss" && s[0].step == 2 && s[0].value == value)
        }
        #expect(SummaryWriter(comment: "_lr0.1").logDir.hasPrefix("runs/") && SummaryWriter(comment: "_lr0.1").logDir.hasSuffix("_lr0.1"))
    }
}

/// torch.distributions: Normal, Categorical, Bernoulli and the Normal KL (script /tmp/gn/dist.py):
///   torch.manual_seed(0); n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])); n.sample(), n.sample((3,))
///   mu = torch.tensor([0.5], requires_grad=True); sd = torch.tensor([1.5], requires_grad=True)
///   r = Normal(mu, sd).rsample((4,)); r.sum().backward(); r, mu.grad, sd.grad
///   n.log_prob(torch.tensor([0.5, -1.0])), n.entropy(), n.cdf(...); kl_divergence(n, Normal([1.0, 0.0], [0.5, 1.0]))
///   c = Categorical(probs=torch.tensor([0.1, 0.2, 0.7])); c.sample(), c.sample((5,)), c.log_prob(torch.tensor([0, 2])), c.entropy()
///   c2 = Categorical(logits=[[1., 2., 3.], [0., 0., 5.]]); c2.sample((2,)), c2.log_prob(torch.tensor([2, 0])), c2.probs
///   b = Bernoulli(probs=torch.tensor([0.3, 0.9])); b.sample(), b.sample((2,)), b.log_prob(torch.tensor([1.0, 0.0])), b.entropy()
@Suite struct DistributionTests {
    @Test func distributionsDrawAndScoreAsPyTorch() {
        manualSeed(0)
        let n = Normal(Tensor([0.0, 1.0]), Tensor([1.0, 2.0]))
        expectValues(n.sample(), [1.540996, 0.413142], atol: 1e-5)
        let s3 = n.sample([3])
        #expect(s3.shape == [3, 2])
        expectValues(s3, [-2.178789, 2.136863, -1.084522, -1.797191, 0.403347, 2.676053], atol: 1e-5)
        _ = n.sample([3])
        let mu = Tensor([0.5], requiresGrad: true), sd = Tensor([1.5], requiresGrad: true)
        let r = Normal(mu, sd).rsample([4])
        r.sum().backward()
        expectValues(r, [-1.106781, 0.684052, -0.349476, 1.059672], atol: 1e-5)
        expectValues(mu.grad!, [4], atol: 1e-6)
        expectValues(sd.grad!, [-1.141689], atol: 1e-5)
        expectValues(n.logProb(Tensor([0.5, -1.0])), [-1.043939, -2.112086], atol: 1e-5)
        expectValues(n.entropy(), [1.418939, 2.112086], atol: 1e-5)
        expectValues(n.cdf(Tensor([0.5, -1.0])), [0.691462, 0.158655], atol: 1e-5)
        expectValues(klDivergence(n, Normal(Tensor([1.0, 0.0]), Tensor([0.5, 1.0]))), [2.806853, 1.306853], atol: 1e-5)
        let c = Categorical(probs: Tensor([0.1, 0.2, 0.7]))
        #expect(c.sample().item() == 2)
        #expect(c.sample([5]).toArray(Int64.self) == [2, 1, 2, 1, 2])
        expectValues(c.logProb(Tensor([0, 2], dtype: .int64)), [-2.302585, -0.356675], atol: 1e-5)
        expectValues(c.entropy(), [0.801819], atol: 1e-5)
        let c2 = Categorical(logits: Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]))
        let s2 = c2.sample([2])
        #expect(s2.shape == [2, 2] && s2.toArray(Int64.self) == [2, 2, 2, 2])
        _ = c2.sample([2])
        expectValues(c2.logProb(Tensor([2, 0], dtype: .int64)), [-0.407606, -5.013386], atol: 1e-5)
        expectValues(c2.probs, [0.090031, 0.244728, 0.665241, 0.006648, 0.006648, 0.986703], atol: 1e-5)
        let b = Bernoulli(probs: Tensor([0.3, 0.9]))
        expectValues(b.sample(), [0, 0], atol: 0)
        expectValues(b.sample([2]), [1, 1, 0, 0], shape: [2, 2], atol: 0)
        expectValues(b.logProb(Tensor([1.0, 0.0])), [-1.203973, -2.302585], atol: 1e-5)
        expectValues(b.entropy(), [0.610864, 0.325083], atol: 1e-5)
    }
}
}
