import Foundation
import Testing
@_spi(Testing) import Descent

// The GPU suite: every op on `.cuda(0)` against the same op on the CPU, forward and backward.
// On a machine with an NVIDIA GPU it runs on CUDA; elsewhere on the CUDA backend's OpenCL runtime
// (PoCL's CPU device), so the kernels' indexing, work-groups, local memory and barriers, the
// allocator and the host-device copies are checked on every commit. `.ci/run` sets
// DESCENT_REQUIRE_GPU_SUITE=1 (with PoCL installed), so there it runs, never skips.

enum GPUSuite {
    static let available: Bool = CUDA.useOpenCLWithoutGPU()
    static let enabled = available || ProcessInfo.processInfo.environment["DESCENT_REQUIRE_GPU_SUITE"] == "1"
    static let gpu = Device.cuda(0)

    /// The largest difference between two tensors' values relative to `atol + rtol * |cpu|`; ≤ 1 passes.
    static func mismatch(_ gpu: Tensor, _ cpu: Tensor, atol: Double, rtol: Double) -> Double {
        let a = gpu.cpu().toDoubles(), b = cpu.toDoubles()
        guard a.count == b.count else { return .infinity }
        var worst = 0.0
        for (x, y) in zip(a, b) {
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            worst = Swift.max(worst, abs(x - y) / (atol + rtol * abs(y)))
        }
        return worst
    }
}

/// Expects the GPU result to equal the CPU one: same shape and dtype, values within float32 tolerance.
func expectSame(_ gpu: Tensor, _ cpu: Tensor, atol: Double = 1e-5, rtol: Double = 1e-5, _ what: String = "",
                sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(gpu.device == GPUSuite.gpu, "\(what): on \(gpu.device)", sourceLocation: sourceLocation)
    #expect(gpu.shape == cpu.shape && gpu.dtype == cpu.dtype, "\(what): \(gpu.shape) \(gpu.dtype) vs \(cpu.shape) \(cpu.dtype)",
            sourceLocation: sourceLocation)
    let m = GPUSuite.mismatch(gpu, cpu, atol: atol, rtol: rtol)
    #expect(m <= 1, "\(what): off by \(m) tolerances\n gpu \(gpu.cpu())\n cpu \(cpu)", sourceLocation: sourceLocation)
}

/// Runs `f` on CPU leaves and on GPU copies of them, and expects the same outputs and the same input
/// gradients of `(out * out).sum()`.
func expectSameWithGrad(_ inputs: [Tensor], atol: Double = 1e-5, rtol: Double = 1e-4, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let cpu = inputs.map { t -> Tensor in let c = t.detach().clone(); c.requiresGrad = true; return c }
    let gpu = inputs.map { t -> Tensor in let g = t.detach().to(GPUSuite.gpu); g.requiresGrad = true; return g }
    let yc = f(cpu), yg = f(gpu)
    expectSame(yg, yc, atol: atol, rtol: rtol, what, sourceLocation: sourceLocation)
    (yc * yc).sum().backward()
    (yg * yg).sum().backward()
    for (k, (c, g)) in zip(cpu, gpu).enumerated() {
        guard let gc = c.grad else { continue }
        guard let gg = g.grad else { Issue.record("\(what): no gradient for GPU input \(k)", sourceLocation: sourceLocation); continue }
        expectSame(gg, gc, atol: atol, rtol: rtol, "\(what) gradient \(k)", sourceLocation: sourceLocation)
    }
}

@Suite(.enabled(if: GPUSuite.enabled, "no CUDA device and no OpenCL runtime (install pocl-opencl-icd)"), .serialized)
struct GPUSuiteTests {
    @Test func tensorsMoveAndPrintTheirDevice() {
        #expect(GPUSuite.available, "CUDA.useOpenCLWithoutGPU(): \(CUDA.unavailableReason ?? "")")
        let x = Tensor([1.5, -2, 3]).reshape(3, 1)
        let g = x.to(GPUSuite.gpu)
        #expect(g.device == .cuda(0) && x.device == .cpu)
        #expect(g.cpu().toDoubles() == [1.5, -2, 3])
        // print(torch.tensor([1.5,-2,3]).reshape(3,1).cuda())
        #expect(g.description == "tensor([[ 1.5000],\n        [-2.0000],\n        [ 3.0000]], device='cuda:0')")
        #expect(CUDA.isAvailable() && CUDA.deviceCount() >= 1 && CUDA.unavailableReason == nil)
    }

    @Test func elementwiseMatchesTheCPU() {
        manualSeed(0)
        let a = Tensor.randn([4, 5]), b = Tensor.randn([5]), c = Tensor.rand([4, 5]) + 0.5
        let ga = a.to(GPUSuite.gpu), gb = b.to(GPUSuite.gpu), gc = c.to(GPUSuite.gpu)
        expectSame(ga + gb, a + b, "add broadcast")
        expectSame(ga - gb * 2, a - b * 2, "sub scalar")
        expectSame(ga * gc, a * c, "mul")
        expectSame(ga / gc, a / c, "div")
        expectSame(gc.pow(ga), c.pow(a), atol: 1e-5, rtol: 1e-4, "pow")
        expectSame(ga.t() + gc.t(), a.t() + c.t(), "transposed operands")
        expectSame(ga.relu(), a.relu(), "relu")
        expectSame(gc.log(), c.log(), "log")
        expectSame(ga.exp(), a.exp(), rtol: 1e-5, "exp")
        expectSame(ga.sigmoid(), a.sigmoid(), "sigmoid")
        expectSame(ga.tanh(), a.tanh(), "tanh")
        expectSame(ga .> gb, a .> b, "gt")
        expectSame(ga.sum(), a.sum(), "sum")
        expectSame(ga.sum(dim: 0), a.sum(dim: 0), "sum dim 0")
        expectSame(ga.mean(dim: 1), a.mean(dim: 1), "mean dim 1")
        expectSame(ga.matmul(gc.t()), a.matmul(c.t()), "matmul")
        expectSame(ga.softmax(dim: 1), a.softmax(dim: 1), "softmax")
    }
}

extension GPUSuiteTests {
    /// The same sources build with OpenCL (PoCL's clang) without a warning, as they must with NVRTC.
    @Test func kernelSourcesBuildWithOpenCLWithoutWarnings() throws {
        guard CUDA.runtimeDescription?.hasPrefix("OpenCL") == true else { return }   // on a GPU, NVRTC compiled them
        let logs = try CUDAKernelCheck.openCLBuildLogs()
        #expect(logs.count == 4)
        for (name, log) in logs { #expect(!log.contains("warning") && !log.contains("error"), "\(name):\n\(log)") }
    }
}

extension GPUSuiteTests {
    static let gpu = GPUSuite.gpu

    @Test func everyBinaryOpBroadcastsAndReadsViews() {
        manualSeed(1)
        for dtype in [DType.float32, .float64] {
            let a = Tensor.randn([3, 1, 5]).to(dtype: dtype), b = Tensor.randn([4, 1]).to(dtype: dtype)
            let p = Tensor.rand([3, 4, 5]).to(dtype: dtype) + 0.5
            let ga = a.to(Self.gpu), gb = b.to(Self.gpu), gp = p.to(Self.gpu)
            let cases: [(String, (Tensor, Tensor) -> Tensor)] = [
                ("add", { $0 + $1 }), ("sub", { $0 - $1 }), ("mul", { $0 * $1 }), ("div", { $0 / $1 }),
                ("maximum", { $0.maximum($1) }), ("minimum", { $0.minimum($1) }), ("fmod", { $0.fmod($1) }),
                ("remainder", { $0.remainder($1) }),
                ("eq", { $0 .== $1 }), ("ne", { $0 .!= $1 }), ("lt", { $0 .< $1 }), ("le", { $0 .<= $1 }), ("gt", { $0 .> $1 }), ("ge", { $0 .>= $1 }),
            ]
            for (name, f) in cases {
                expectSame(f(ga, gb), f(a, b), "\(name) \(dtype)")
                // a transposed and a narrowed (offset) operand
                expectSame(f(gp.transpose(0, 2), ga.transpose(0, 2)), f(p.transpose(0, 2), a.transpose(0, 2)), "\(name) \(dtype) views")
                expectSame(f(gp.narrow(dim: 1, start: 1, length: 2), ga), f(p.narrow(dim: 1, start: 1, length: 2), a), "\(name) \(dtype) offset")
            }
            expectSame(gp.pow(ga), p.pow(a), rtol: 1e-4, "pow \(dtype)")
            expectSame(ga * 2.5 - 1, a * 2.5 - 1, "Swift numbers \(dtype)")
        }
        // integers and booleans
        let i = Tensor([5, -7, 9, 0, 12]).to(dtype: .int64), j = Tensor([2, 3, -4, 5, 5]).to(dtype: .int64)
        let gi = i.to(Self.gpu), gj = j.to(Self.gpu)
        expectSame(gi + gj, i + j, "int add"); expectSame(gi * gj, i * j, "int mul"); expectSame(gi - gj, i - j, "int sub")
        expectSame(gi.remainder(gj), i.remainder(j), "int remainder"); expectSame(gi.fmod(gj), i.fmod(j), "int fmod")
        expectSame(gi.floorDivide(gj), i.floorDivide(j), "int floor divide"); expectSame(gi / gj, i / j, "int true divide")
        expectSame(gi.maximum(gj), i.maximum(j), "int maximum"); expectSame(gi .< gj, i .< j, "int lt")
        let m = i .> 0, n = j .> 0
        expectSame(m.to(Self.gpu) .&& n.to(Self.gpu), m .&& n, "logical and")
        expectSame(m.to(Self.gpu) + n.to(Self.gpu), m + n, "bool add")
        // a 0-dim CPU tensor next to a GPU tensor moves over, as in PyTorch
        let f = Tensor.randn([2, 3])
        expectSame(f.to(Self.gpu) + Tensor(3.0), f + Tensor(3.0), "0-dim CPU operand")
    }

    @Test func everyUnaryOpAndItsGradient() {
        manualSeed(2)
        let x = Tensor.randn([6, 7]), pos = Tensor.rand([6, 7]) + 0.1
        let cases: [(String, Tensor, (Tensor) -> Tensor)] = [
            ("neg", x, { -$0 }), ("exp", x, { $0.exp() }), ("log", pos, { $0.log() }), ("sqrt", pos, { $0.sqrt() }),
            ("abs", x, { $0.abs() }), ("sin", x, { $0.sin() }), ("cos", x, { $0.cos() }), ("tanh", x, { $0.tanh() }),
            ("sigmoid", x, { $0.sigmoid() }), ("relu", x, { $0.relu() }), ("clamp", x, { $0.clamp(min: -0.5, max: 0.7) }),
            ("pow 2.5", pos, { $0.pow(2.5) }), ("pow 2", x, { $0.pow(2) }), ("leakyRelu", x, { $0.leakyRelu(negativeSlope: 0.1) }),
            ("elu", x, { $0.elu() }), ("gelu", x, { $0.gelu() }), ("silu", x, { $0.silu() }), ("log1p", pos, { $0.log1p() }),
            ("expm1", x, { $0.expm1() }), ("rsqrt", pos, { $0.rsqrt() }), ("square", x, { $0.square() }), ("sign", x, { $0.sign() }),
            ("reciprocal", pos, { $0.reciprocal() }), ("floor", x * 3, { $0.floor() }), ("ceil", x * 3, { $0.ceil() }),
            ("round", x * 3, { $0.round() }), ("trunc", x * 3, { $0.trunc() }), ("logSigmoid", x, { $0.logSigmoid() }),
            ("softplus", x, { $0.softplus() }), ("mish", x, { $0.mish() }), ("hardswish", x, { $0.hardswish() }),
        ]
        for (name, input, f) in cases { expectSameWithGrad([input], name) { f($0[0]) } }
        expectSame(x.to(Self.gpu).erfinv(), x.erfinv(), "erfinv (host fallback)")
        let i = Tensor([3, -4, 0]).to(dtype: .int64)
        expectSame(-i.to(Self.gpu), -i, "int neg"); expectSame(i.to(Self.gpu).abs(), i.abs(), "int abs")
        expectSame(i.to(Self.gpu).clamp(min: -1, max: 2), i.clamp(min: -1, max: 2), "int clamp")
    }

    @Test func castsCopiesAndViews() {
        manualSeed(3)
        let x = Tensor.randn([4, 6]) * 5
        let g = x.to(Self.gpu)
        for d in [DType.float64, .int64, .int32, .uint8, .bool] {
            expectSame(g.to(dtype: d), x.to(dtype: d), "cast to \(d)")
            expectSame(g.to(dtype: d).to(dtype: .float32), x.to(dtype: d).to(dtype: .float32), "cast from \(d)")
        }
        // torch.tensor([-3.7, -0.5, 2.5, 300.2, -200.0]).to(torch.uint8) -> [253, 0, 2, 44, 56] (through a wider integer)
        let wraps = Tensor(Array(repeating: [-3.7, -0.5, 2.5, 300.2, -200.0], count: 8).flatMap { $0 })   // long enough for the CPU's vector loop
        #expect(ints(wraps.to(dtype: .uint8)) == Array(repeating: [253, 0, 2, 44, 56], count: 8).flatMap { $0 })
        #expect(ints(wraps.to(Self.gpu).to(dtype: .uint8).cpu()) == Array(repeating: [253, 0, 2, 44, 56], count: 8).flatMap { $0 })
        expectSame(g.t().contiguous(), x.t().contiguous(), "transpose copy")
        expectSame(g.permute(1, 0).reshape(-1), x.permute(1, 0).reshape(-1), "permute reshape")
        expectSame(g.narrow(dim: 1, start: 2, length: 3).contiguous(), x.narrow(dim: 1, start: 2, length: 3).contiguous(), "narrow")
        expectSame(g[1], x[1], "select row")
        expectSame(g.expand(2, 4, 6).contiguous(), x.expand(2, 4, 6).contiguous(), "expand")
        expectSame(cat([g, g * 2], dim: 1), cat([x, x * 2], dim: 1), "cat")
        expectSame(g.flip(0), x.flip(0), "flip")
        expectSame(g.tril(), x.tril(), "tril")
        let mask = x .> 0
        expectSame(`where`(mask.to(Self.gpu), g, g * 0), `where`(mask, x, x * 0), "where")
        expectSame(g.maskedFill(mask.to(Self.gpu), -1), x.maskedFill(mask, -1), "maskedFill")
        // in place, through a view
        let h = x.clone(), gh = h.to(Self.gpu)
        h.narrow(dim: 0, start: 1, length: 2).mul_(3); gh.narrow(dim: 0, start: 1, length: 2).mul_(3)
        expectSame(gh, h, "in place on a view")
        #expect(g[1, 2].item() == x[1, 2].item())
        #expect(g.toDoubles() == x.toDoubles())
    }

    @Test func reductionsScansAndSoftmax() {
        manualSeed(4)
        let x = Tensor.randn([5, 300]), y = Tensor.randn([3, 4, 5])
        let gx = x.to(Self.gpu), gy = y.to(Self.gpu)
        expectSame(gx.sum(), x.sum(), rtol: 1e-4, "sum all")
        for d in 0..<3 {
            expectSame(gy.sum(dim: d), y.sum(dim: d), "sum \(d)")
            expectSame(gy.mean(dim: d, keepDim: true), y.mean(dim: d, keepDim: true), "mean \(d)")
            expectSame(gy.max(dim: d).values, y.max(dim: d).values, "max \(d)")
            expectSame(gy.max(dim: d).indices, y.max(dim: d).indices, "max indices \(d)")
            expectSame(gy.argmin(dim: d), y.argmin(dim: d), "argmin \(d)")
            expectSame(gy.prod(dim: d), y.prod(dim: d), "prod \(d)")
            expectSame(gy.cumsum(dim: d), y.cumsum(dim: d), "cumsum \(d)")
            expectSame(gy.cumprod(dim: d), y.cumprod(dim: d), "cumprod \(d)")
            expectSameWithGrad([y], "softmax \(d)") { $0[0].softmax(dim: d) }
            expectSameWithGrad([y], "logSoftmax \(d)") { $0[0].logSoftmax(dim: d) }
        }
        expectSame(gx.max(dim: 1).values, x.max(dim: 1).values, "max over 300")
        expectSame(gx.argmax(dim: 1), x.argmax(dim: 1), "argmax over 300")
        expectSame(gx.std(dim: 1), x.std(dim: 1), rtol: 1e-4, "std")
        expectSame(gx.logsumexp(dim: 1), x.logsumexp(dim: 1), "logsumexp")
        expectSameWithGrad([y], "sum and mean") { $0[0].sum(dim: 1) + $0[0].mean(dim: 1) }
        expectSameWithGrad([y], "max gradient") { $0[0].max(dim: 2).values }
        // NaN wins max and argmax, ties go to the first index
        let t = Tensor([1, Double.nan, 3, 3]), gt = t.to(Self.gpu)
        expectSame(gt.max(), t.max(), "NaN max"); expectSame(gt.argmax(), t.argmax(), "NaN argmax")
        let ties = Tensor([2, 5, 5, 1]).to(Self.gpu)
        #expect(ties.argmax().item() == 1)
        let b = (x .> 0).to(Self.gpu)
        #expect(b.any().item() == 1 && b.all().item() == 0)
        expectSame(gx.sort(dim: 1).values, x.sort(dim: 1).values, "sort (host fallback)")
        expectSame(gx.topk(3, dim: 1).values, x.topk(3, dim: 1).values, "topk")
    }

    @Test func matmulLinearAndBatches() {
        manualSeed(5)
        for (m, k, n) in [(7, 13, 5), (1, 1, 512), (64, 100, 33), (3, 300, 2)] {
            let a = Tensor.randn([m, k]), b = Tensor.randn([k, n])
            expectSameWithGrad([a, b], atol: 1e-4, "matmul \(m)x\(k)x\(n)") { $0[0].matmul($0[1]) }
        }
        let a = Tensor.randn([4, 6]).to(dtype: .float64), b = Tensor.randn([6, 3]).to(dtype: .float64)
        expectSame(a.t().contiguous().to(Self.gpu).t().matmul(b.to(Self.gpu)), a.matmul(b), "float64, transposed A")
        let x = Tensor.randn([2, 3, 4]), w = Tensor.randn([2, 4, 5])
        expectSameWithGrad([x, w], atol: 1e-4, "bmm") { $0[0].bmm($0[1]) }
        expectSameWithGrad([x, Tensor.randn([4, 5])], atol: 1e-4, "batched matmul") { $0[0].matmul($0[1]) }
        manualSeed(6)
        let layer = Linear(4, 3)
        let input = Tensor.randn([5, 4])
        expectSameWithGrad([input, layer.weight, layer.bias!], "linear") { linear($0[0], $0[1], $0[2]) }
    }

    @Test func indexingEmbeddingAndGather() {
        manualSeed(7)
        let table = Tensor.randn([10, 4]), idx = Tensor([3, 1, 3, 9, 0]).to(dtype: .int64)
        expectSameWithGrad([table], "indexSelect with repeats") { $0[0].indexSelect(dim: 0, idx.to($0[0].device)) }
        expectSameWithGrad([table], "embedding") { embedding(idx.reshape(1, 5).to($0[0].device), $0[0]) }
        let x = Tensor.randn([3, 5]), g = Tensor([[0, 4], [2, 2], [1, 0]]).to(dtype: .int64)
        expectSameWithGrad([x], "gather") { $0[0].gather(dim: 1, index: g.to($0[0].device)) }
        expectSame(x.to(Self.gpu).scatter(dim: 1, index: g.to(Self.gpu), value: 7), x.scatter(dim: 1, index: g, value: 7), "scatter")
        expectSame(x.to(Self.gpu)[x.to(Self.gpu) .> 0], x[x .> 0], "boolean mask")
        let rows = Tensor([2, 0, 2]).to(dtype: .int64)
        expectSame(x.to(Self.gpu)[rows.to(Self.gpu)], x[rows], "integer index")
        // out of range indices stop with PyTorch's message, checked on the host
    }

    @Test func lossesForwardAndBackward() {
        manualSeed(8)
        let logits = Tensor.randn([6, 5]), target = Tensor([0, 4, 2, 2, 1, 3]).to(dtype: .int64)
        let weight = Tensor([1, 2, 0.5, 1, 3])
        func t(_ x: Tensor, _ like: Tensor) -> Tensor { x.to(like.device) }
        expectSameWithGrad([logits], "cross entropy") { crossEntropy($0[0], t(target, $0[0])) }
        expectSameWithGrad([logits], "cross entropy weighted, ignore") {
            crossEntropy($0[0], t(target, $0[0]), weight: t(weight, $0[0]), ignoreIndex: 2)
        }
        expectSameWithGrad([logits], "cross entropy sum, smoothing") { crossEntropy($0[0], t(target, $0[0]), reduction: .sum, labelSmoothing: 0.1) }
        expectSameWithGrad([logits], "nll none") { nllLoss($0[0].logSoftmax(dim: 1), t(target, $0[0]), reduction: .none) }
        let y = Tensor.rand([6, 5])
        expectSameWithGrad([logits], "mse") { mseLoss($0[0], t(y, $0[0])) }
        expectSameWithGrad([logits], "bce with logits") { binaryCrossEntropyWithLogits($0[0], t(y, $0[0])) }
        expectSameWithGrad([logits], "bce") { binaryCrossEntropy($0[0].sigmoid(), t(y, $0[0])) }
        expectSameWithGrad([logits], "huber") { huberLoss($0[0], t(y, $0[0])) }
    }

    @Test func convolutionPoolingNormsAndRecurrentLayers() throws {
        manualSeed(9)
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1), bn = BatchNorm2d(3)
        let x = Tensor.randn([2, 2, 6, 6])
        let cpuOut = maxPool2d(bn(conv(x)).relu(), kernelSize: (2, 2))
        let gconv = Conv2d(2, 3, kernelSize: 3, padding: 1), gbn = BatchNorm2d(3)
        try gconv.loadStateDict(conv.stateDict()); try gbn.loadStateDict(BatchNorm2d(3).stateDict())
        gconv.to(Self.gpu); gbn.to(Self.gpu)
        let gpuOut = maxPool2d(gbn(gconv(x.to(Self.gpu))).relu(), kernelSize: (2, 2))
        expectSame(gpuOut, cpuOut, atol: 1e-5, "conv, batch norm, relu, max pool")
        expectSame(gbn.runningMean!, bn.runningMean!, "running mean")
        cpuOut.sum().backward(); gpuOut.sum().backward()
        expectSame(gconv.weight.grad!, conv.weight.grad!, atol: 1e-4, "conv weight gradient")
        expectSameWithGrad([x], atol: 1e-5, "avg and adaptive pools") { avgPool2d($0[0], kernelSize: (2, 2)) + adaptiveAvgPool2d($0[0], (3, 3)) }
        manualSeed(10)
        let lstm = LSTM(3, 4), seq = Tensor.randn([5, 2, 3])
        let (yc, _) = lstm(seq)
        lstm.to(Self.gpu)
        let (yg, _) = lstm(seq.to(Self.gpu))
        expectSame(yg, yc, "LSTM")
        expectSameWithGrad([Tensor.randn([2, 7])], "layer norm") { layerNorm($0[0], [7]) }
    }
}

extension GPUSuiteTests {
    /// A 3-4-2 MLP trained `steps` steps on `device` from the same start; returns its parameters on the CPU.
    static func train(_ make: ([Parameter]) -> Optimizer, on device: Device, steps: Int = 4, lbfgs: Bool = false) -> [Tensor] {
        manualSeed(11)
        let net = Sequential { Linear(3, 4); Tanh(); Linear(4, 2) }
        let x = Tensor.randn([8, 3]).to(device), y = Tensor.randn([8, 2]).to(device)
        net.to(device)
        let opt = make(net.parameters())
        for _ in 0..<steps {
            if lbfgs {
                opt.step { opt.zeroGrad(); let l = mseLoss(net(x), y); l.backward(); return l }
            } else {
                opt.zeroGrad()
                mseLoss(net(x), y).backward()
                opt.step()
            }
        }
        return net.parameters().map { $0.detach().cpu() }
    }

    @Test func everyOptimizerStepsAsOnTheCPU() {
        let cases: [(String, ([Parameter]) -> Optimizer)] = [
            ("SGD", { SGD($0, lr: 0.1) }), ("SGD momentum nesterov", { SGD($0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) }),
            ("Adam", { Adam($0, lr: 0.05) }), ("Adam amsgrad", { Adam($0, lr: 0.05, weightDecay: 0.1, amsgrad: true) }),
            ("AdamW", { AdamW($0, lr: 0.05) }), ("RMSprop", { RMSprop($0, lr: 0.01, momentum: 0.5, centered: true) }),
            ("Adagrad", { Adagrad($0, lr: 0.1) }), ("Adadelta", { Adadelta($0) }), ("Adamax", { Adamax($0, lr: 0.05) }),
            ("ASGD", { ASGD($0, lr: 0.1) }), ("Rprop", { Rprop($0) }), ("NAdam", { NAdam($0, lr: 0.05) }),
            ("RAdam", { RAdam($0, lr: 0.05) }),
        ]
        for (name, make) in cases {
            let cpu = Self.train(make, on: .cpu), gpu = Self.train(make, on: Self.gpu)
            for (g, c) in zip(gpu, cpu) { expectSame(g.to(Self.gpu), c, atol: 1e-5, rtol: 1e-4, name) }
        }
        // LBFGS: three inner iterations (twenty amplify the float32 rounding of a different summation order
        // past any tolerance, as between two CPUs with different BLAS)
        let cpu = Self.train({ LBFGS($0, lr: 0.5, maxIter: 3) }, on: .cpu, steps: 1, lbfgs: true), gpu = Self.train({ LBFGS($0, lr: 0.5, maxIter: 3) }, on: Self.gpu, steps: 1, lbfgs: true)
        for (g, c) in zip(gpu, cpu) { expectSame(g.to(Self.gpu), c, atol: 1e-4, rtol: 1e-3, "LBFGS") }
    }

    /// Lecture 05's experiment, small: a 1-H-1 net, MSE and Adam, the loss of every step as on the CPU.
    @Test func theLectureLoopTrainsAsOnTheCPU() {
        func losses(_ device: Device) -> [Double] {
            manualSeed(5)
            let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1).to(device)
            let y = (Tensor.randn(100).reshape(-1, 1) * 0.01).to(device)
            let net = Sequential { Linear(1, 64); ReLU(); Linear(64, 1) }
            net.to(device)
            let lossFn = MSELoss(), optimizer = Adam(net.parameters())
            var out: [Double] = []
            for _ in 0..<30 {
                let loss = lossFn(net(x), y)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                out.append(loss.item())
            }
            CUDA.synchronize()
            return out
        }
        let cpu = losses(.cpu), gpu = losses(Self.gpu)
        #expect(cpu.count == 30 && cpu.last! < cpu.first!)
        for (g, c) in zip(gpu, cpu) { #expect(abs(g - c) <= 1e-6 + 1e-4 * abs(c), "\(g) vs \(c)") }
    }

    @Test func modulesMoveInPlaceAndTheAllocatorCounts() {
        let net = Linear(3, 2)
        let weight = net.weight
        let before = CUDA.memoryAllocated()
        net.to(Self.gpu)
        #expect(net.weight === weight && net.weight.device == Self.gpu && net.bias!.device == Self.gpu)
        // two parameters of 24 and 8 bytes, each rounded to the allocator's 512-byte blocks
        #expect(CUDA.memoryAllocated() - before == 1024)
        #expect(CUDA.maxMemoryAllocated() >= CUDA.memoryAllocated() && CUDA.memoryReserved() >= CUDA.memoryAllocated())
        do {
            let big = Tensor.zeros([1000, 1000], device: Self.gpu)
            #expect(CUDA.memoryAllocated() - before == 1024 + CachingAllocator.roundSize(4_000_000))
            #expect(big.sum().item() == 0)
        }
        #expect(CUDA.memoryAllocated() - before == 1024)
        CUDA.emptyCache()
        #expect(CUDA.memoryReserved() >= CUDA.memoryAllocated())
        net.to(.cpu)
        #expect(net.weight === weight && net.weight.device == .cpu)
        #expect(CUDA.memoryAllocated() == before)
        // tensor.to returns a copy and leaves the original where it was
        let t = Tensor([1.0, 2.0])
        let g = t.to(Self.gpu)
        #expect(t.device == .cpu && g.device == Self.gpu && g !== t && t.to(.cpu) === t)
        // printing with autograd
        let r = Tensor([1.0, 2.0]).to(Self.gpu)
        r.requiresGrad = true
        // print((torch.tensor([1.,2.], device='cuda', requires_grad=True) * 2))
        #expect((r * 2).description == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)")
    }

    @Test func mixingDevicesStopsWithPyTorchsMessage() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let net = Linear(1, 1)
            _ = net(Tensor([[1.0]]).to(.cuda(0)))
        }
        #expect(stderr(r).contains("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!")
                || stderr(r).contains("Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:0!"), "\(stderr(r))")
        let bad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = Tensor([1.0]).to(.cuda(3))
        }
        #expect(stderr(bad).contains("invalid device ordinal"), "\(stderr(bad))")
    }
}
