import Foundation
@_spi(Testing) import Descent

// The GPU suite's checks: every op family on `.cuda(0)` against the same op on the CPU, forward
// and backward, the optimizers, the lecture loop, module moves and the allocator's counts. The
// tests run them (on PoCL without a GPU: Tests/DescentTests/GPUSuiteTests.swift) and so does
// `descent gpu-suite`, the statically linked binary that `Benchmarks/gpu/gpu-suite.sh` runs on a
// GPU machine without Swift. Expected values are the CPU backend's, which matches PyTorch.

/// Collects the outcome of a check's comparisons.
public final class GPUCheckRecorder {
    /// What failed, one line each.
    public private(set) var failures: [String] = []
    /// How many comparisons ran.
    public private(set) var comparisons = 0
    public init() {}

    /// The largest difference relative to `atol + rtol * |cpu|` (≤ 1 passes; NaN matches NaN).
    static func mismatch(_ gpu: Tensor, _ cpu: Tensor, atol: Double, rtol: Double) -> Double {
        let a = gpu.cpu().toDoubles(), b = cpu.toDoubles()
        guard a.count == b.count else { return .infinity }
        var worst = 0.0
        for (x, y) in zip(a, b) where !(x.isNaN && y.isNaN) && x != y { worst = Swift.max(worst, abs(x - y) / (atol + rtol * abs(y))) }
        return worst
    }
    public func fail(_ message: String) { failures.append(message) }
    public func expect(_ condition: Bool, _ what: String = "expectation") {
        comparisons += 1
        if !condition { fail(what) }
    }
    /// The GPU result equals the CPU one: on the GPU, same shape and dtype, values within tolerance.
    public func same(_ gpu: Tensor, _ cpu: Tensor, atol: Double = 1e-5, rtol: Double = 1e-5, _ what: String = "") {
        comparisons += 1
        if gpu.device != GPUChecks.gpu { fail("\(what): on \(gpu.device)"); return }
        if gpu.shape != cpu.shape || gpu.dtype != cpu.dtype { fail("\(what): \(gpu.shape) \(gpu.dtype) vs \(cpu.shape) \(cpu.dtype)"); return }
        let m = Self.mismatch(gpu, cpu, atol: atol, rtol: rtol)
        if !(m <= 1) { fail("\(what): off by \(m) tolerances\n gpu \(gpu.cpu())\n cpu \(cpu)") }
    }
    /// Runs `f` on CPU leaves and on GPU copies of them: the same outputs, and the same input
    /// gradients of `(out * out).sum()`.
    public func sameWithGrad(_ inputs: [Tensor], atol: Double = 1e-5, rtol: Double = 1e-4, _ what: String, _ f: ([Tensor]) -> Tensor) {
        let cpu = inputs.map { t -> Tensor in let c = t.detach().clone(); c.requiresGrad = true; return c }
        let gpu = inputs.map { t -> Tensor in let g = t.detach().to(GPUChecks.gpu); g.requiresGrad = true; return g }
        let yc = f(cpu), yg = f(gpu)
        same(yg, yc, atol: atol, rtol: rtol, what)
        (yc * yc).sum().backward()
        (yg * yg).sum().backward()
        for (k, (c, g)) in zip(cpu, gpu).enumerated() {
            guard let gc = c.grad else { continue }
            guard let gg = g.grad else { fail("\(what): no gradient for GPU input \(k)"); continue }
            same(gg, gc, atol: atol, rtol: rtol, "\(what) gradient \(k)")
        }
    }
}

/// The checks, by name.
public enum GPUChecks {
    /// The device checked: `cuda:0` (a GPU, or the OpenCL runtime standing in for one).
    public static let gpu = Device.cuda(0)
    /// Every check's name and body, in order.
    public static let all: [(name: String, run: (GPUCheckRecorder) throws -> Void)] = [
        ("everyBinaryOpBroadcastsAndReadsViews", everyBinaryOpBroadcastsAndReadsViews),
        ("everyUnaryOpAndItsGradient", everyUnaryOpAndItsGradient),
        ("castsCopiesAndViews", castsCopiesAndViews),
        ("reductionsScansAndSoftmax", reductionsScansAndSoftmax),
        ("matmulLinearAndBatches", matmulLinearAndBatches),
        ("indexingEmbeddingAndGather", indexingEmbeddingAndGather),
        ("lossesForwardAndBackward", lossesForwardAndBackward),
        ("convolutionPoolingNormsAndRecurrentLayers", convolutionPoolingNormsAndRecurrentLayers),
        ("convolutionAndPoolingGeometries", convolutionAndPoolingGeometries),
        ("everyOptimizerStepsAsOnTheCPU", everyOptimizerStepsAsOnTheCPU),
        ("theLectureLoopTrainsAsOnTheCPU", theLectureLoopTrainsAsOnTheCPU),
        ("modulesMoveInPlaceAndTheAllocatorCounts", modulesMoveInPlaceAndTheAllocatorCounts),
        ("trainerAcceleratorTrainsOnTheGPU", trainerAcceleratorTrainsOnTheGPU),
        ("randomNumbersFollowPyTorchsPhiloxStream", randomNumbersFollowPyTorchsPhiloxStream),
        ("streamsEventsAndPinnedCopies", streamsEventsAndPinnedCopies),
        ("trainingOnTheGPUResumesExactly", trainingOnTheGPUResumesExactly),
        ("optimizerStepsLaunchOncePerEightParameters", optimizerStepsLaunchOncePerEightParameters),
        ("aCapturedTrainingStepReplaysAsEagerSteps", aCapturedTrainingStepReplaysAsEagerSteps),
        ("randomDrawsInACapturedStepDrawAsEagerSteps", randomDrawsInACapturedStepDrawAsEagerSteps),
        ("sortScatterAndErfinvRunOnTheDevice", sortScatterAndErfinvRunOnTheDevice),
        ("aCaptureForksAndJoinsAnotherStream", aCaptureForksAndJoinsAnotherStream),
        ("randpermAndMultinomialDrawAsPyTorchsKernels", randpermAndMultinomialDrawAsPyTorchsKernels),
        ("selectionCountingAndWindowOps", selectionCountingAndWindowOps),
    ]
    /// The checks' names.
    public static var names: [String] { all.map { $0.name } }
    private static func ints(_ t: Tensor) -> [Int] { t.toArray(Int.self) }


    static func everyBinaryOpBroadcastsAndReadsViews(_ r: GPUCheckRecorder) {
        manualSeed(1)
        for dtype in [DType.float32, .float64] {
            let a = Tensor.randn([3, 1, 5]).to(dtype: dtype), b = Tensor.randn([4, 1]).to(dtype: dtype)
            let p = Tensor.rand([3, 4, 5]).to(dtype: dtype) + 0.5
            let ga = a.to(gpu), gb = b.to(gpu), gp = p.to(gpu)
            let cases: [(String, (Tensor, Tensor) -> Tensor)] = [
                ("add", { $0 + $1 }), ("sub", { $0 - $1 }), ("mul", { $0 * $1 }), ("div", { $0 / $1 }),
                ("maximum", { $0.maximum($1) }), ("minimum", { $0.minimum($1) }), ("fmod", { $0.fmod($1) }),
                ("remainder", { $0.remainder($1) }), ("atan2", { $0.atan2($1) }), ("hypot", { $0.hypot($1) }),
                ("eq", { $0 .== $1 }), ("ne", { $0 .!= $1 }), ("lt", { $0 .< $1 }), ("le", { $0 .<= $1 }), ("gt", { $0 .> $1 }), ("ge", { $0 .>= $1 }),
            ]
            for (name, f) in cases {
                r.same(f(ga, gb), f(a, b), "\(name) \(dtype)")
                // a transposed and a narrowed (offset) operand
                r.same(f(gp.transpose(0, 2), ga.transpose(0, 2)), f(p.transpose(0, 2), a.transpose(0, 2)), "\(name) \(dtype) views")
                r.same(f(gp.narrow(dim: 1, start: 1, length: 2), ga), f(p.narrow(dim: 1, start: 1, length: 2), a), "\(name) \(dtype) offset")
            }
            r.same(gp.pow(ga), p.pow(a), rtol: 1e-4, "pow \(dtype)")
            r.same(ga * 2.5 - 1, a * 2.5 - 1, "Swift numbers \(dtype)")
        }
        // integers and booleans
        let i = Tensor([5, -7, 9, 0, 12]).to(dtype: .int64), j = Tensor([2, 3, -4, 5, 5]).to(dtype: .int64)
        let gi = i.to(gpu), gj = j.to(gpu)
        r.same(gi + gj, i + j, "int add"); r.same(gi * gj, i * j, "int mul"); r.same(gi - gj, i - j, "int sub")
        r.same(gi.remainder(gj), i.remainder(j), "int remainder"); r.same(gi.fmod(gj), i.fmod(j), "int fmod")
        r.same(gi.floorDivide(gj), i.floorDivide(j), "int floor divide"); r.same(gi / gj, i / j, "int true divide")
        r.same(gi.maximum(gj), i.maximum(j), "int maximum"); r.same(gi .< gj, i .< j, "int lt")
        let m = i .> 0, n = j .> 0
        r.same(m.to(gpu) .&& n.to(gpu), m .&& n, "logical and")
        r.same(m.to(gpu) + n.to(gpu), m + n, "bool add")
        // a 0-dim CPU tensor next to a GPU tensor moves over, as in PyTorch
        let f = Tensor.randn([2, 3])
        r.same(f.to(gpu) + Tensor(3.0), f + Tensor(3.0), "0-dim CPU operand")
    }

    static func everyUnaryOpAndItsGradient(_ r: GPUCheckRecorder) {
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
            ("log2", pos, { $0.log2() }), ("log10", pos, { $0.log10() }),
            ("tan", x * 0.5, { $0.tan() }), ("asin", x.tanh() * 0.9, { $0.asin() }), ("acos", x.tanh() * 0.9, { $0.acos() }),
            ("atan", x, { $0.atan() }), ("sinh", x, { $0.sinh() }), ("cosh", x, { $0.cosh() }), ("asinh", x, { $0.asinh() }),
            ("acosh", pos + 1.05, { $0.acosh() }), ("atanh", x.tanh() * 0.9, { $0.atanh() }),
            ("gelu tanh", x, { $0.gelu(approximate: "tanh") }),
        ]
        for (name, input, f) in cases { r.sameWithGrad([input], name) { f($0[0]) } }
        r.same(x.to(gpu).erfinv(), x.erfinv(), "erfinv")
        let i = Tensor([3, -4, 0]).to(dtype: .int64)
        r.same(-i.to(gpu), -i, "int neg"); r.same(i.to(gpu).abs(), i.abs(), "int abs")
        r.same(i.to(gpu).clamp(min: -1, max: 2), i.clamp(min: -1, max: 2), "int clamp")
    }

    static func castsCopiesAndViews(_ r: GPUCheckRecorder) {
        manualSeed(3)
        let x = Tensor.randn([4, 6]) * 5
        let g = x.to(gpu)
        for d in [DType.float64, .int64, .int32, .uint8, .bool] {
            r.same(g.to(dtype: d), x.to(dtype: d), "cast to \(d)")
            r.same(g.to(dtype: d).to(dtype: .float32), x.to(dtype: d).to(dtype: .float32), "cast from \(d)")
        }
        // torch.tensor([-3.7, -0.5, 2.5, 300.2, -200.0]).to(torch.uint8) -> [253, 0, 2, 44, 56] (through a wider integer)
        let wraps = Tensor(Array(repeating: [-3.7, -0.5, 2.5, 300.2, -200.0], count: 8).flatMap { $0 })   // long enough for the CPU's vector loop
        r.expect(ints(wraps.to(dtype: .uint8)) == Array(repeating: [253, 0, 2, 44, 56], count: 8).flatMap { $0 })
        r.expect(ints(wraps.to(gpu).to(dtype: .uint8).cpu()) == Array(repeating: [253, 0, 2, 44, 56], count: 8).flatMap { $0 })
        r.same(g.t().contiguous(), x.t().contiguous(), "transpose copy")
        r.same(g.permute(1, 0).reshape(-1), x.permute(1, 0).reshape(-1), "permute reshape")
        r.same(g.narrow(dim: 1, start: 2, length: 3).contiguous(), x.narrow(dim: 1, start: 2, length: 3).contiguous(), "narrow")
        r.same(g[1], x[1], "select row")
        r.same(g.expand(2, 4, 6).contiguous(), x.expand(2, 4, 6).contiguous(), "expand")
        r.same(cat([g, g * 2], dim: 1), cat([x, x * 2], dim: 1), "cat")
        r.same(g.flip(0), x.flip(0), "flip")
        r.same(g.tril(), x.tril(), "tril")
        let mask = x .> 0
        r.same(`where`(mask.to(gpu), g, g * 0), `where`(mask, x, x * 0), "where")
        r.same(g.maskedFill(mask.to(gpu), -1), x.maskedFill(mask, -1), "maskedFill")
        // in place, through a view
        let h = x.clone(), gh = h.to(gpu)
        h.narrow(dim: 0, start: 1, length: 2).mul_(3); gh.narrow(dim: 0, start: 1, length: 2).mul_(3)
        r.same(gh, h, "in place on a view")
        r.expect(g[1, 2].item() == x[1, 2].item())
        r.expect(g.toDoubles() == x.toDoubles())
    }

    static func reductionsScansAndSoftmax(_ r: GPUCheckRecorder) {
        manualSeed(4)
        let x = Tensor.randn([5, 300]), y = Tensor.randn([3, 4, 5])
        let gx = x.to(gpu), gy = y.to(gpu)
        r.same(gx.sum(), x.sum(), rtol: 1e-4, "sum all")
        for d in 0..<3 {
            r.same(gy.sum(dim: d), y.sum(dim: d), "sum \(d)")
            r.same(gy.mean(dim: d, keepDim: true), y.mean(dim: d, keepDim: true), "mean \(d)")
            r.same(gy.max(dim: d).values, y.max(dim: d).values, "max \(d)")
            r.same(gy.max(dim: d).indices, y.max(dim: d).indices, "max indices \(d)")
            r.same(gy.argmin(dim: d), y.argmin(dim: d), "argmin \(d)")
            r.same(gy.prod(dim: d), y.prod(dim: d), "prod \(d)")
            r.same(gy.cumsum(dim: d), y.cumsum(dim: d), "cumsum \(d)")
            r.same(gy.cumprod(dim: d), y.cumprod(dim: d), "cumprod \(d)")
            r.sameWithGrad([y], "softmax \(d)") { $0[0].softmax(dim: d) }
            r.sameWithGrad([y], "logSoftmax \(d)") { $0[0].logSoftmax(dim: d) }
        }
        r.same(gx.max(dim: 1).values, x.max(dim: 1).values, "max over 300")
        r.same(gx.argmax(dim: 1), x.argmax(dim: 1), "argmax over 300")
        r.same(gx.std(dim: 1), x.std(dim: 1), rtol: 1e-4, "std")
        r.same(gx.logsumexp(dim: 1), x.logsumexp(dim: 1), "logsumexp")
        r.sameWithGrad([y], "sum and mean") { $0[0].sum(dim: 1) + $0[0].mean(dim: 1) }
        r.sameWithGrad([y], "max gradient") { $0[0].max(dim: 2).values }
        // NaN wins max and argmax, ties go to the first index
        let t = Tensor([1, Double.nan, 3, 3]), gt = t.to(gpu)
        r.same(gt.max(), t.max(), "NaN max"); r.same(gt.argmax(), t.argmax(), "NaN argmax")
        let ties = Tensor([2, 5, 5, 1]).to(gpu)
        r.expect(ties.argmax().item() == 1)
        let b = (x .> 0).to(gpu)
        r.expect(b.any().item() == 1 && b.all().item() == 0)
        r.same(gx.sort(dim: 1).values, x.sort(dim: 1).values, "sort")
        r.same(gx.topk(3, dim: 1).values, x.topk(3, dim: 1).values, "topk")
    }

    static func matmulLinearAndBatches(_ r: GPUCheckRecorder) {
        manualSeed(5)
        for (m, k, n) in [(7, 13, 5), (1, 1, 512), (64, 100, 33), (3, 300, 2)] {
            let a = Tensor.randn([m, k]), b = Tensor.randn([k, n])
            r.sameWithGrad([a, b], atol: 1e-4, "matmul \(m)x\(k)x\(n)") { $0[0].matmul($0[1]) }
        }
        let a = Tensor.randn([4, 6]).to(dtype: .float64), b = Tensor.randn([6, 3]).to(dtype: .float64)
        r.same(a.t().contiguous().to(gpu).t().matmul(b.to(gpu)), a.matmul(b), "float64, transposed A")
        let x = Tensor.randn([2, 3, 4]), w = Tensor.randn([2, 4, 5])
        r.sameWithGrad([x, w], atol: 1e-4, "bmm") { $0[0].bmm($0[1]) }
        r.sameWithGrad([x, Tensor.randn([4, 5])], atol: 1e-4, "batched matmul") { $0[0].matmul($0[1]) }
        manualSeed(6)
        let layer = Linear(4, 3)
        let input = Tensor.randn([5, 4])
        r.sameWithGrad([input, layer.weight, layer.bias!], "linear") { linear($0[0], $0[1], $0[2]) }
        // Sequential fuses Linear's bias with a following ReLU, Tanh or Sigmoid on the GPU: the same
        // values, gradients and graph (AddmmBackward0 into the activation's node), one launch fewer each
        for (name, act) in [("ReLU", ReLU() as Module), ("Tanh", Tanh()), ("Sigmoid", Sigmoid())] {
            manualSeed(8)
            let model = Sequential { Linear(6, 16); act; Linear(16, 3) }
            let x = Tensor.randn([9, 6])
            let yc = model(x)
            (yc * yc).sum().backward()
            let cpuGrads = model.parameters().map { $0.grad!.clone() }
            model.zeroGrad()
            model.to(gpu)
            let yg = model(x.to(gpu))
            (yg * yg).sum().backward()
            r.same(yg, yc, atol: 1e-5, rtol: 1e-4, "Linear + \(name) fused")
            for (k, (p, g)) in zip(model.parameters(), cpuGrads).enumerated() { r.same(p.grad!, g, atol: 1e-5, rtol: 1e-4, "Linear + \(name) fused, gradient \(k)") }
            let net = Sequential { Linear(6, 16); act; Linear(16, 3) }
            net.to(gpu)
            let xg = x.to(gpu)
            let hidden = Sequential { net[0]; net[1] }(xg)
            r.expect(hidden.gradFn == net[1](net[0](xg)).gradFn, "\(name): the fused output's grad_fn \(hidden.gradFn ?? "none")")
            var launches = GPUWorkCounter.launches
            _ = Sequential { net[0]; net[1] }(xg)
            let fused = GPUWorkCounter.launches - launches
            launches = GPUWorkCounter.launches
            _ = net[1](net[0](xg))
            r.expect(fused + 1 == GPUWorkCounter.launches - launches, "\(name): fused forward \(fused) launches, unfused \(GPUWorkCounter.launches - launches)")
        }
    }

    static func indexingEmbeddingAndGather(_ r: GPUCheckRecorder) {
        manualSeed(7)
        let table = Tensor.randn([10, 4]), idx = Tensor([3, 1, 3, 9, 0]).to(dtype: .int64)
        r.sameWithGrad([table], "indexSelect with repeats") { $0[0].indexSelect(dim: 0, idx.to($0[0].device)) }
        r.sameWithGrad([table], "embedding") { embedding(idx.reshape(1, 5).to($0[0].device), $0[0]) }
        let x = Tensor.randn([3, 5]), g = Tensor([[0, 4], [2, 2], [1, 0]]).to(dtype: .int64)
        r.sameWithGrad([x], "gather") { $0[0].gather(dim: 1, index: g.to($0[0].device)) }
        r.same(x.to(gpu).scatter(dim: 1, index: g.to(gpu), value: 7), x.scatter(dim: 1, index: g, value: 7), "scatter")
        r.same(x.to(gpu)[x.to(gpu) .> 0], x[x .> 0], "boolean mask")
        // nonzero on the device: one block, many, and 4,096 blocks of two 256-element tiles; nothing picked; a uint8 mask of 2s
        for n in [1, 1000, 1_500_000] {
            let v = Tensor.randn([n]), m = v .> 0.3
            r.same(v.to(gpu)[m.to(gpu)], v[m], atol: 0, rtol: 0, "boolean mask of \(n)")
        }
        r.expect(Tensor.randn([700]).to(gpu)[Tensor.zeros([700], dtype: .bool).to(gpu)].shape == [0], "an all-false mask picks nothing")
        let bytes = Tensor.randint(0, 3, [2, 600]).to(dtype: .uint8), w = Tensor.randn([2, 600])
        r.same(w.to(gpu)[bytes.to(gpu)], w[bytes], atol: 0, rtol: 0, "a uint8 mask of 0, 1 and 2")
        let rows = Tensor([2, 0, 2]).to(dtype: .int64)
        r.same(x.to(gpu)[rows.to(gpu)], x[rows], "integer index")
        // out of range indices stop with PyTorch's message, checked on the host
    }

    static func lossesForwardAndBackward(_ r: GPUCheckRecorder) {
        manualSeed(8)
        let logits = Tensor.randn([6, 5]), target = Tensor([0, 4, 2, 2, 1, 3]).to(dtype: .int64)
        let weight = Tensor([1, 2, 0.5, 1, 3])
        func t(_ x: Tensor, _ like: Tensor) -> Tensor { x.to(like.device) }
        r.sameWithGrad([logits], "cross entropy") { crossEntropy($0[0], t(target, $0[0])) }
        r.sameWithGrad([logits], "cross entropy weighted, ignore") {
            crossEntropy($0[0], t(target, $0[0]), weight: t(weight, $0[0]), ignoreIndex: 2)
        }
        r.sameWithGrad([logits], "cross entropy sum, smoothing") { crossEntropy($0[0], t(target, $0[0]), reduction: .sum, labelSmoothing: 0.1) }
        r.sameWithGrad([logits], "nll none") { nllLoss($0[0].logSoftmax(dim: 1), t(target, $0[0]), reduction: .none) }
        let y = Tensor.rand([6, 5])
        r.sameWithGrad([logits], "mse") { mseLoss($0[0], t(y, $0[0])) }
        r.sameWithGrad([logits], "bce with logits") { binaryCrossEntropyWithLogits($0[0], t(y, $0[0])) }
        r.sameWithGrad([logits], "bce") { binaryCrossEntropy($0[0].sigmoid(), t(y, $0[0])) }
        let w65 = Tensor.rand([6, 5]) + 0.5, pw = Tensor.rand([5]) * 3
        r.sameWithGrad([logits], "bce with logits, weight, pos_weight, none") {
            binaryCrossEntropyWithLogits($0[0], t(y, $0[0]), weight: t(w65, $0[0]), posWeight: t(pw, $0[0]), reduction: .none)
        }
        r.sameWithGrad([logits], "bce weighted sum") { binaryCrossEntropy($0[0].sigmoid(), t(y, $0[0]), weight: t(w65, $0[0]), reduction: .sum) }
        r.sameWithGrad([logits], "huber") { huberLoss($0[0], t(y, $0[0])) }
    }

    static func convolutionPoolingNormsAndRecurrentLayers(_ r: GPUCheckRecorder) throws {
        manualSeed(9)
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1), bn = BatchNorm2d(3)
        let x = Tensor.randn([2, 2, 6, 6])
        let cpuOut = maxPool2d(bn(conv(x)).relu(), kernelSize: (2, 2))
        let gconv = Conv2d(2, 3, kernelSize: 3, padding: 1), gbn = BatchNorm2d(3)
        try gconv.loadStateDict(conv.stateDict()); try gbn.loadStateDict(BatchNorm2d(3).stateDict())
        gconv.to(gpu); gbn.to(gpu)
        let gpuOut = maxPool2d(gbn(gconv(x.to(gpu))).relu(), kernelSize: (2, 2))
        r.same(gpuOut, cpuOut, atol: 1e-5, "conv, batch norm, relu, max pool")
        r.same(gbn.runningMean!, bn.runningMean!, "running mean")
        cpuOut.sum().backward(); gpuOut.sum().backward()
        r.same(gconv.weight.grad!, conv.weight.grad!, atol: 1e-4, "conv weight gradient")
        r.sameWithGrad([x], atol: 1e-5, "avg and adaptive pools") { avgPool2d($0[0], kernelSize: (2, 2)) + adaptiveAvgPool2d($0[0], (3, 3)) }
        manualSeed(10)
        let lstm = LSTM(3, 4), seq = Tensor.randn([5, 2, 3])
        let (yc, _) = lstm(seq)
        lstm.to(gpu)
        let (yg, _) = lstm(seq.to(gpu))
        r.same(yg, yc, "LSTM")
        // the LSTM's gradients: two copies of one LSTM, one on each device, through a 2-layer stack and backward
        manualSeed(11)
        let lc = LSTM(3, 4, numLayers: 2), lg = LSTM(3, 4, numLayers: 2)
        try lg.loadStateDict(lc.stateDict())
        lg.to(gpu)
        let xc = Tensor.randn([6, 2, 3]), xg = xc.to(gpu)
        xc.requiresGrad = true; xg.requiresGrad = true
        let (oc, _) = lc(xc), (og, _) = lg(xg)
        r.same(og, oc, "2-layer LSTM")
        (oc * oc).sum().backward(); (og * og).sum().backward()
        r.same(xg.grad!, xc.grad!, atol: 1e-5, "LSTM input gradient")
        for ((name, pc), (_, pg)) in zip(lc.namedParameters(), lg.namedParameters()) { r.same(pg.grad!, pc.grad!, atol: 1e-5, "LSTM \(name) gradient") }
        r.sameWithGrad([Tensor.randn([2, 7])], "layer norm") { layerNorm($0[0], [7]) }
    }
    /// Convolutions (strides, padding, dilation, groups, with and without bias, 1-D, transposed) and
    /// pooling (padding, dilation, ceil mode, the divisor rules) in both float types, with gradients.
    static func convolutionAndPoolingGeometries(_ r: GPUCheckRecorder) {
        manualSeed(13)
        for dtype in [DType.float32, .float64] {
            let x = Tensor.randn([2, 4, 7, 9]).to(dtype: dtype)
            let w = Tensor.randn([6, 2, 3, 2]).to(dtype: dtype), b = Tensor.randn([6]).to(dtype: dtype)
            r.sameWithGrad([x, w, b], atol: 1e-4, "conv2d stride (2, 1) padding (1, 2) dilation (2, 1) groups 2 \(dtype)") {
                conv2d($0[0], $0[1], $0[2], stride: (2, 1), padding: (1, 2), dilation: (2, 1), groups: 2)
            }
            r.sameWithGrad([x, Tensor.randn([5, 4, 1, 1]).to(dtype: dtype)], atol: 1e-4, "1x1 conv2d without bias \(dtype)") { conv2d($0[0], $0[1]) }
            r.sameWithGrad([Tensor.randn([3, 2, 11]).to(dtype: dtype), Tensor.randn([4, 2, 3]).to(dtype: dtype)], atol: 1e-4, "conv1d stride 2 \(dtype)") {
                conv1d($0[0], $0[1], stride: 2, padding: 1)
            }
            r.sameWithGrad([Tensor.randn([2, 4, 3, 3]).to(dtype: dtype), Tensor.randn([4, 3, 3, 3]).to(dtype: dtype)], atol: 1e-4,
                           "convTranspose2d stride 2 \(dtype)") { convTranspose2d($0[0], $0[1], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)) }
            r.sameWithGrad([x], "max pool padding, dilation, ceil mode \(dtype)") {
                maxPool2d($0[0], kernelSize: (3, 2), stride: (2, 2), padding: (1, 1), dilation: (1, 2), ceilMode: true)
            }
            r.sameWithGrad([x], "avg pool padding, ceil mode, count_include_pad=False \(dtype)") {
                avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
            }
            r.sameWithGrad([x], "avg pool divisor override \(dtype)") { avgPool2d($0[0], kernelSize: (2, 3), divisorOverride: 5) }
        }
        // batch norm: training (batch statistics, running update) and eval, 4-D and 2-D, affine or not, both float types
        for dtype in [DType.float32, .float64] {
            for shape in [[3, 4, 5, 2], [7, 4]] {
                let x = (Tensor.randn(shape) * 3 + 1).to(dtype: dtype), w = Tensor.randn([4]).to(dtype: dtype), b = Tensor.randn([4]).to(dtype: dtype)
                let rm = Tensor.randn([4]).to(dtype: dtype), rv = (Tensor.rand([4]) + 0.5).to(dtype: dtype)
                let grm = rm.to(gpu), grv = rv.to(gpu)
                let stats = { (t: Tensor) -> (Tensor, Tensor) in t.device == gpu ? (grm, grv) : (rm, rv) }
                r.sameWithGrad([x, w, b], atol: 1e-4, "batch norm training \(shape) \(dtype)") { t in
                    batchNorm(t[0], runningMean: stats(t[0]).0, runningVar: stats(t[0]).1, weight: t[1], bias: t[2], training: true, momentum: 0.3)
                }
                r.same(grm, rm, "running mean \(shape) \(dtype)")
                r.same(grv, rv, "running variance \(shape) \(dtype)")
                r.sameWithGrad([x], atol: 1e-4, "batch norm eval, no affine \(shape) \(dtype)") { t in
                    batchNorm(t[0], runningMean: stats(t[0]).0, runningVar: stats(t[0]).1)
                }
            }
        }
        // strided running statistics and weight (columns of (4, 2) tensors) are read and updated in place
        let x4 = Tensor.randn([3, 4, 5]), rs = Tensor.randn([4, 2]), vs = Tensor.rand([4, 2]) + 0.5, ws = Tensor.randn([4, 2])
        let grs = rs.to(gpu), gvs = vs.to(gpu), gws = ws.to(gpu)
        let yc = batchNorm(x4, runningMean: rs.t()[1], runningVar: vs.t()[1], weight: ws.t()[0], training: true)
        let yg = batchNorm(x4.to(gpu), runningMean: grs.t()[1], runningVar: gvs.t()[1], weight: gws.t()[0], training: true)
        r.same(yg, yc, atol: 1e-5, "batch norm with strided weight and running statistics")
        r.same(grs, rs, "strided running mean, updated in place"); r.same(gvs, vs, "strided running variance, updated in place")
        let before = CUDA.hostFallbacks
        _ = batchNorm(Tensor.randn([2, 3, 2, 2]).to(gpu), runningMean: nil, runningVar: nil, training: true)
        _ = maxPool2d(conv2d(Tensor.randn([1, 1, 5, 5]).to(gpu), Tensor.randn([2, 1, 3, 3]).to(gpu)), kernelSize: (2, 2))
        r.expect(CUDA.hostFallbacks == before, "batch norm, convolution and pooling run on the device, not on the host")
    }

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

    static func everyOptimizerStepsAsOnTheCPU(_ r: GPUCheckRecorder) {
        let cases: [(String, ([Parameter]) -> Optimizer)] = [
            ("SGD", { SGD($0, lr: 0.1) }), ("SGD momentum nesterov", { SGD($0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) }),
            ("Adam", { Adam($0, lr: 0.05) }), ("Adam amsgrad", { Adam($0, lr: 0.05, weightDecay: 0.1, amsgrad: true) }),
            ("AdamW", { AdamW($0, lr: 0.05) }), ("RMSprop", { RMSprop($0, lr: 0.01, momentum: 0.5, centered: true) }),
            ("Adagrad", { Adagrad($0, lr: 0.1) }), ("Adagrad decays, maximizes", { Adagrad($0, lr: 0.1, lrDecay: 0.01, weightDecay: 0.1, maximize: true) }),
            ("RMSprop plain, weight decay", { RMSprop($0, lr: 0.01, weightDecay: 0.1) }), ("Adadelta", { Adadelta($0) }), ("Adamax", { Adamax($0, lr: 0.05) }),
            ("ASGD", { ASGD($0, lr: 0.1) }), ("Rprop", { Rprop($0) }), ("NAdam", { NAdam($0, lr: 0.05) }),
            ("RAdam", { RAdam($0, lr: 0.05) }),
            ("ASGD t0 = 2, weight decay", { ASGD($0, lr: 0.1, t0: 2, weightDecay: 0.1) }), ("Adadelta weight decay, maximize", { Adadelta($0, lr: 0.5, weightDecay: 0.1, maximize: true) }),
            ("Adamax weight decay", { Adamax($0, lr: 0.05, weightDecay: 0.1) }), ("NAdam decoupled", { NAdam($0, lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true) }),
            ("RAdam decoupled", { RAdam($0, lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true) }), ("SparseAdam", { SparseAdam($0, lr: 0.05) }),
        ]
        for (name, make) in cases {
            let onCPU = train(make, on: .cpu), onGPU = train(make, on: gpu)
            for (g, c) in zip(onGPU, onCPU) { r.same(g.to(gpu), c, atol: 1e-5, rtol: 1e-4, name) }
        }
        // LBFGS: three inner iterations (twenty amplify the float32 rounding of a different summation order
        // past any tolerance, as between two CPUs with different BLAS)
        let lbfgs: ([Parameter]) -> Optimizer = { LBFGS($0, lr: 0.5, maxIter: 3) }
        let onCPU = train(lbfgs, on: .cpu, steps: 1, lbfgs: true), onGPU = train(lbfgs, on: gpu, steps: 1, lbfgs: true)
        for (g, c) in zip(onGPU, onCPU) { r.same(g.to(gpu), c, atol: 1e-4, rtol: 1e-3, "LBFGS") }
    }

    /// Lecture 05's experiment, small: a 1-H-1 net, MSE and Adam, the loss of every step as on the CPU.
    static func theLectureLoopTrainsAsOnTheCPU(_ r: GPUCheckRecorder) {
        func losses(_ device: Device) -> [Double] {
            manualSeed(5)
            let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1).to(device)
            let y = (Tensor.randn(100).reshape(-1, 1) * 0.01).to(device)
            let net = Sequential { Linear(1, 64); ReLU(); Linear(64, 1) }
            net.to(device)
            let lossFn = MSELoss(), optimizer = Adam(net.parameters())
            var out: [Double] = []
            for _ in 0..<30 {
                let waits = GPUWorkCounter.synchronousTransfers
                let loss = lossFn(net(x), y)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                // the step itself never makes the host wait for the device (scalars go to kernels by value)
                if device.isCUDA { r.expect(GPUWorkCounter.synchronousTransfers == waits, "a training step waited for the device \(GPUWorkCounter.synchronousTransfers - waits) times") }
                out.append(loss.item())
            }
            CUDA.synchronize()
            return out
        }
        let cpu = losses(.cpu), gpu = losses(gpu)
        // a host scalar on either side of a GPU op, by value
        let v = Tensor([1.0, -2, 4]).to(GPUChecks.gpu)
        r.same(2 - v, 2 - Tensor([1.0, -2, 4]), atol: 0, rtol: 0, "scalar - tensor")
        r.same(v / 4, Tensor([1.0, -2, 4]) / 4, atol: 0, rtol: 0, "tensor / scalar")
        r.expect((v .> 0).cpu().toArray(Bool.self) == [true, false, true] && (Tensor(Int64(1) << 60) + Tensor([Int64(1)]).to(GPUChecks.gpu)).cpu().toArray(Int64.self) == [(1 << 60) + 1],
                 "comparisons with a scalar; an int64 scalar past 2^53 is copied exactly")
        r.expect(cpu.count == 30 && cpu.last! < cpu.first!)
        for (g, c) in zip(gpu, cpu) { r.expect(abs(g - c) <= 1e-6 + 1e-4 * abs(c), "\(g) vs \(c)") }
    }

    static func modulesMoveInPlaceAndTheAllocatorCounts(_ r: GPUCheckRecorder) {
        let net = Linear(3, 2)
        let weight = net.weight
        let before = CUDA.memoryAllocated()
        net.to(gpu)
        r.expect(net.weight === weight && net.weight.device == gpu && net.bias!.device == gpu)
        // two parameters of 24 and 8 bytes, each rounded to the allocator's 512-byte blocks
        r.expect(CUDA.memoryAllocated() - before == 1024)
        r.expect(CUDA.maxMemoryAllocated() >= CUDA.memoryAllocated() && CUDA.memoryReserved() >= CUDA.memoryAllocated())
        do {
            let big = Tensor.zeros([1000, 1000], device: gpu)
            r.expect(CUDA.memoryAllocated() - before == 1024 + CachingAllocator.roundSize(4_000_000))
            r.expect(big.sum().item() == 0)
        }
        r.expect(CUDA.memoryAllocated() - before == 1024)
        CUDA.emptyCache()
        r.expect(CUDA.memoryReserved() >= CUDA.memoryAllocated())
        net.to(.cpu)
        r.expect(net.weight === weight && net.weight.device == .cpu)
        r.expect(CUDA.memoryAllocated() == before)
        // tensor.to returns a copy and leaves the original where it was
        let t = Tensor([1.0, 2.0])
        let g = t.to(gpu)
        r.expect(t.device == .cpu && g.device == gpu && g !== t && t.to(.cpu) === t)
        // copy_ crosses devices both ways, as in PyTorch
        let host = Tensor.zeros([2, 2])
        host.t().copy_(Tensor([[1.0, 2.0], [3.0, 4.0]]).to(gpu))
        r.expect(host.toDoubles() == [1, 3, 2, 4], "copy_ from cuda into a cpu view: \(host.toDoubles())")
        let dev = Tensor.zeros([2, 2], device: gpu)
        dev.t().copy_(Tensor([[1.0, 2.0], [3.0, 4.0]]))
        r.expect(dev.toDoubles() == [1, 3, 2, 4], "copy_ from cpu into a cuda view: \(dev.toDoubles())")
        // printing with autograd
        let v = Tensor([1.0, 2.0]).to(gpu)
        v.requiresGrad = true
        // print((torch.tensor([1.,2.], device='cuda', requires_grad=True) * 2))
        r.expect((v * 2).description == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)")
    }
}

/// A small TrainingModule for the Trainer's accelerator check.
final class AcceleratorCheckModel: Module, TrainingModule {
    let net = Sequential { Linear(4, 8); ReLU(); Linear(8, 3) }
    override func forward(_ x: Tensor) -> Tensor { net(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { crossEntropy(forward(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { Adam(parameters(), lr: 0.01) }
}

/// A dataset of 32 random 4-vectors and their classes.
struct AcceleratorCheckData: Dataset {
    let x: Tensor, y: Tensor
    init() { manualSeed(12); x = Tensor.randn([32, 4]); y = Tensor.randint(0, 3, [32]) }
    var count: Int { 32 }
    subscript(index: Int) -> (Tensor, Tensor) { (x[index], y[index]) }
}

extension GPUChecks {
    /// `Trainer(accelerator: .gpu)` moves the model and every batch to cuda:0 and trains as on the CPU;
    /// a CPU state dict loads into the GPU model.
    static func trainerAcceleratorTrainsOnTheGPU(_ r: GPUCheckRecorder) throws {
        func fit(_ accelerator: Accelerator, pinMemory: Bool = false) throws -> AcceleratorCheckModel {
            manualSeed(13)
            let model = AcceleratorCheckModel()
            let trainer = Trainer(maxEpochs: 2, logger: false, enableCheckpointing: false, enableProgressBar: false,
                                  enableModelSummary: false, accelerator: accelerator)
            r.expect(trainer.rootDevice == (accelerator == .cpu ? .cpu : gpu), "rootDevice \(trainer.rootDevice)")
            try trainer.fit(model, trainDataLoaders: DataLoader(AcceleratorCheckData(), batchSize: 8, shuffle: true, pinMemory: pinMemory))
            return model
        }
        let cpu = try fit(.cpu), onGPU = try fit(.gpu)
        // a pinned loader: batches in page-locked memory, each copied on a side stream during the step before
        let pinnedBatch = DataLoader(AcceleratorCheckData(), batchSize: 8, pinMemory: true).makeIterator().next()!
        r.expect(pinnedBatch.0.isPinned && pinnedBatch.1.isPinned, "DataLoader(pinMemory: true) pins its batches")
        let overlapped = try fit(.gpu, pinMemory: true)
        for (g, c) in zip(overlapped.parameters(), cpu.parameters()) { r.same(g, c, atol: 1e-5, rtol: 1e-4, "Trainer on the GPU, batches copied ahead on a side stream") }
        r.expect(onGPU.net[0].parameters().allSatisfy { $0.device == gpu }, "parameters on the GPU")
        for (g, c) in zip(onGPU.parameters(), cpu.parameters()) { r.same(g, c, atol: 1e-5, rtol: 1e-4, "Trainer on the GPU") }
        try onGPU.loadStateDict(cpu.stateDict())
        for (g, c) in zip(onGPU.parameters(), cpu.parameters()) { r.same(g, c, atol: 0, rtol: 0, "CPU state dict into GPU parameters") }
    }

    /// CUDA draws are PyTorch's: `manualSeed(0)` then `randn` prints what PyTorch printed on a GPU,
    /// every draw equals the host twin of curand in PyTorch's layout (bit for bit where no
    /// transcendental function is involved), several rounds per thread included, and the generator's
    /// offset moves on as PyTorch's does.
    static func randomNumbersFollowPyTorchsPhiloxStream(_ r: GPUCheckRecorder) {
        manualSeed(0)
        let a = Tensor.randn([8, 8], device: gpu), b = Tensor.randn([8, 8], device: gpu), bias = Tensor.randn([1, 8], device: gpu)
        r.expect(PublishedTorchCUDA.matches(a.cpu().toDoubles(), PublishedTorchCUDA.a, significant: false), "randn(8, 8) after manualSeed(0): \(a.cpu())")
        let fused = (a + 0.5 * b + bias).clamp(min: 0)
        r.expect(PublishedTorchCUDA.matches(fused.cpu().toDoubles(), PublishedTorchCUDA.fused, significant: true), "the second and third draws: \(fused.cpu())")
        r.expect(CUDA.getRNGState() == [0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0], "three one-round draws move the offset to 12: \(CUDA.getRNGState())")

        // sizes: one element short of a full grid, and enough for several rounds per thread
        let grid = CUDA.philoxLaunch(elements: 1 << 40, unroll: 4).blocks * 256
        let sizes = [5, grid - 1, Swift.min(grid * 4 * 2 + 37, 3_000_000)]
        typealias Case = (String, PhiloxReference.Draw, DType, Bool, (Tensor) -> Void)
        var cases: [Case] = []
        for dtype in [DType.float32, .float64] {
            cases += [("uniform_(-2, 3)", .uniform(from: -2, to: 3), dtype, true, { $0.uniform_(-2, 3) }),
                      ("normal_(0.5, 2)", .normal(mean: 0.5, std: 2), dtype, false, { $0.normal_(0.5, 2) }),
                      ("bernoulli_(0.3)", .bernoulli(0.3), dtype, true, { $0.bernoulli_(0.3) }),
                      ("exponential_(1.5)", .exponential(1.5), dtype, false, { $0.exponential_(1.5) })]
        }
        for n in sizes {
            for (name, draw, dtype, exact, fill) in cases {
                CUDA.manualSeed(7)
                let t = Tensor.empty([n], dtype: dtype, device: gpu)
                fill(t)
                let launch = CUDA.philoxLaunch(elements: n, unroll: dtype == .float64 ? 2 : 4)
                let want = PhiloxReference.values(draw, n: n, double: dtype == .float64, seed: 7, offset: 0, blocks: launch.blocks)
                compare(r, t.cpu().toDoubles(), want, exact: exact, tolerance: dtype == .float64 ? 1e-12 : 5e-5, "\(name) \(dtype) n=\(n)")
                r.expect(CUDA.getRNGState()[8] == UInt8(launch.counterOffset), "\(name) \(dtype) n=\(n) moves the offset by \(launch.counterOffset)")
            }
            // one 32-bit word a value below a range of 2^28 (PyTorch 2.7+'s public builds), else two
            for (low, high) in [(-3, 10), (0, 1 << 27), (0, 1 << 30), (0, 1 << 40)] {
                CUDA.manualSeed(7)
                let t = Tensor.randint(low, high, [n], device: gpu)
                let launch = CUDA.philoxLaunch(elements: n, unroll: high - low >= 1 << 28 ? 2 : 4)
                let want = PhiloxReference.values(.randint(low: low, high: high), n: n, double: false, seed: 7, offset: 0, blocks: launch.blocks)
                compare(r, t.cpu().toDoubles(), want, exact: true, tolerance: 0, "randint(\(low), \(high)) n=\(n)")
            }
        }
        // dropout's mask: PyTorch's fused kernel, 4 (float), 2 (even sizes, doubles) or 1 (odd sizes) elements a thread
        for (n, dtype, vector) in [(grid * 8 + 8, DType.float32, 4), (grid * 8 + 6, .float32, 2), (grid * 8 + 5, .float32, 1), (4 * 5, .float64, 2),
                                   (grid * 4 + 3, .float64, 1)] {
            CUDA.manualSeed(11)
            let x = Tensor.ones([n], dtype: dtype).to(gpu)
            let y = dropout(x, p: 0.3)
            let launch = CUDA.philoxLaunch(elements: n, unroll: 4)
            let want = PhiloxReference.values(.dropout(keep: 0.7, vector: vector), n: n, double: dtype == .float64, seed: 11, offset: 0, blocks: launch.blocks)
            compare(r, (y .!= 0).to(dtype: .float64).cpu().toDoubles(), want, exact: true, tolerance: 0, "dropout mask \(dtype) n=\(n) (\(vector) a thread)")
            r.expect(y.cpu().toDoubles().allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 }, "dropout scales the kept elements by 1/(1-p)")
            r.expect(CUDA.getRNGState()[8] == UInt8(launch.counterOffset), "dropout n=\(n) moves the offset by \(launch.counterOffset)")
        }
        // a transposed (dense, permuted) tensor: PyTorch's vectorized kernel in memory order, the mask keeping x's strides
        for dtype in [DType.float32, .float64] {
            CUDA.manualSeed(12)
            let x = Tensor.ones([6, 8], dtype: dtype).to(gpu).t()
            let y = dropout(x, p: 0.3)
            let launch = CUDA.philoxLaunch(elements: 48, unroll: 4)
            let memory = PhiloxReference.values(.dropout(keep: 0.7, vector: dtype == .float64 ? 2 : 4), n: 48, double: dtype == .float64,
                                                seed: 12, offset: 0, blocks: launch.blocks)
            let want = Tensor(memory).reshape(6, 8).t().contiguous().toDoubles()
            compare(r, (y .!= 0).to(dtype: .float64).cpu().toDoubles(), want, exact: true, tolerance: 0, "dropout mask of a transposed \(dtype) tensor (memory order)")
        }
        // dropout on CUDA is native_dropout: grad_fn NativeDropoutBackward0; the forward scales by the float
        // reciprocal of float(1 - p), the backward by 1/(1 - p) rounded from double (at p = 0.15:
        // 1.1764705 and 1.1764706, one ulp apart)
        do {
            let x = Tensor.ones([64]).to(gpu)
            x.requiresGrad = true
            let y = dropout(x, p: 0.15)
            y.sum().backward()
            let kept = y.cpu().toDoubles().filter { $0 != 0 }, grads = x.grad!.cpu().toDoubles().filter { $0 != 0 }
            r.expect(y.gradFn == "NativeDropoutBackward0", "dropout's grad_fn on CUDA: \(y.gradFn ?? "none")")
            r.expect(!kept.isEmpty && kept.allSatisfy { $0 == Double(Float(1) / Float(0.85)) }, "forward scale \(kept.first ?? 0)")
            r.expect(grads.count == kept.count && grads.allSatisfy { $0 == Double(Float(1.0 / 0.85)) }, "backward scale \(grads.first ?? 0)")
        }
        // bernoulli with a tensor of probabilities: PyTorch's 4-elements-a-thread kernel, u <= p, offset + 12
        for (shape, dtype) in [([7], DType.float32), ([3, 5], .float64), ([grid + 5], .float32)] {
            manualSeed(13)
            let p = Tensor.rand(shape, dtype: dtype)
            CUDA.manualSeed(13)
            let got = p.to(gpu).bernoulli()
            let want = PhiloxReference.bernoulliTensor(p.toDoubles(), double: dtype == .float64, seed: 13, offset: 0)
            compare(r, got.cpu().toDoubles(), want, exact: true, tolerance: 0, "bernoulli(p) \(dtype) \(shape)")
            r.expect(CUDA.getRNGState()[8] == 12, "bernoulli(p) moves the offset by 12 (PyTorch's philox_cuda_state(10))")
        }
        // a draw past 32-bit indexing (2 GiB or more; here the limit is lowered to 16 KiB): PyTorch's
        // pieces, halved until each fits, drawn in order, each with its own launch and offset, after
        // the offset the whole draw took
        let limit = CUDA.philoxIndexLimit
        CUDA.philoxIndexLimit = 1 << 14
        for (name, dtype, unroll, draw) in [("uniform_", DType.float32, 4, PhiloxReference.Draw.uniform(from: 0, to: 1)), ("uniform_", .float64, 2, .uniform(from: 0, to: 1)),
                                            ("randint", .int64, 2, .randint(low: 0, high: 1 << 40))] {
            let n = 10_001
            CUDA.manualSeed(17)
            let t = dtype == .int64 ? Tensor.randint(0, 1 << 40, [n], device: gpu) : Tensor.empty([n], dtype: dtype, device: gpu).uniform_()
            var offset = CUDA.philoxLaunch(elements: n, unroll: unroll).counterOffset, want: [Double] = []
            let pieces = PhiloxLaunch.pieces(n, itemSize: dtype.itemSize)
            for (_, count) in pieces {
                let launch = CUDA.philoxLaunch(elements: count, unroll: unroll)
                want += PhiloxReference.values(draw, n: count, double: dtype == .float64, seed: 17, offset: offset, blocks: launch.blocks)
                offset += launch.counterOffset
            }
            r.expect(pieces.count == (dtype == .float32 ? 4 : 8), "\(name) \(dtype) n=\(n) past the lowered limit is \(pieces.count) pieces")
            compare(r, t.cpu().toDoubles(), want, exact: true, tolerance: 0, "\(name) \(dtype) n=\(n) drawn in pieces")
            r.expect(philoxOffset == offset, "\(name) \(dtype) in pieces moves the offset by the whole draw's and each piece's: \(philoxOffset) vs \(offset)")
        }
        CUDA.philoxIndexLimit = limit
        // a second draw starts where the first left off; an explicit CUDA generator draws the same stream
        CUDA.manualSeed(9)
        _ = Tensor.rand([3000], device: gpu)
        let second = Tensor.rand([100], device: gpu)
        let offset = CUDA.philoxLaunch(elements: 3000, unroll: 4).counterOffset
        compare(r, second.cpu().toDoubles(), PhiloxReference.values(.uniform(from: 0, to: 1), n: 100, double: false, seed: 9, offset: offset, blocks: 1),
                exact: true, tolerance: 0, "the second draw")
        let g = Generator(device: gpu, seed: 9)
        r.expect(Tensor.rand([3000], device: gpu, generator: g).cpu().toDoubles()
                 == PhiloxReference.values(.uniform(from: 0, to: 1), n: 3000, double: false, seed: 9, offset: 0,
                                           blocks: CUDA.philoxLaunch(elements: 3000, unroll: 4).blocks), "an explicit CUDA generator")
        // a transposed tensor is filled in memory order, as PyTorch's TensorIterator visits it
        CUDA.manualSeed(3)
        let v = Tensor.empty([6, 4], device: gpu).t().uniform_()
        compare(r, v.t().contiguous().cpu().toDoubles(), PhiloxReference.values(.uniform(from: 0, to: 1), n: 24, double: false, seed: 3, offset: 0, blocks: 1),
                exact: true, tolerance: 0, "a transposed tensor")
    }

    private static func compare(_ r: GPUCheckRecorder, _ got: [Double], _ want: [Double], exact: Bool, tolerance: Double, _ what: String) {
        let bad = PhiloxReference.mismatches(got, want, exact: exact, tolerance: tolerance).first
        r.expect(got.count == want.count && bad == nil, "\(what): element \(bad?.offset ?? -1) is \(bad?.got ?? .nan), the reference \(bad?.want ?? .nan)")
    }
}

extension GPUChecks {
    /// Work queued on a side stream, ordered by events, gives what the CPU gives; a non-blocking copy
    /// from pinned memory lands whole even when its buffer is freed at once and new pinned buffers
    /// are filled behind it; timing events measure; `CUDA.stream` restores the current stream.
    static func streamsEventsAndPinnedCopies(_ r: GPUCheckRecorder) {
        manualSeed(21)
        let x = Tensor.randn([128, 128])
        let side = CUDA.Stream()
        r.expect(side != CUDA.defaultStream() && CUDA.currentStream() == CUDA.defaultStream(), "a pool stream is not the default stream")
        let pinned = x.pinMemory()
        r.expect(pinned.isPinned && !x.isPinned && pinned.pinMemory() === pinned && pinned.toDoubles() == x.toDoubles(), "pinMemory copies into pinned memory")
        let start = CUDA.Event(enableTiming: true), end = CUDA.Event(enableTiming: true)
        let y: Tensor = CUDA.stream(side) {
            r.expect(CUDA.currentStream() == side, "CUDA.stream makes the stream current")
            start.record()
            let g = pinned.to(gpu, nonBlocking: true)
            var h = g
            for _ in 0..<6 { h = (h.matmul(g) / 128).tanh() }
            end.record()
            return h
        }
        r.expect(CUDA.currentStream() == CUDA.defaultStream(), "CUDA.stream restores the previous stream")
        CUDA.currentStream().waitEvent(end)
        let z = y * 2   // on the default stream, after the side stream's work
        y.recordStream(CUDA.currentStream())
        var ref = x
        for _ in 0..<6 { ref = (ref.matmul(x) / 128).tanh() }
        r.same(z, ref * 2, atol: 1e-5, rtol: 1e-4, "side-stream work, then the default stream after its event")
        end.synchronize()
        r.expect(end.query() && start.query(), "recorded events complete")
        let ms = start.elapsedTime(end)
        r.expect(ms >= 0 && ms < 60_000, "elapsedTime \(ms) ms")
        // the side stream waits for the default stream's work on z, then the default stream for the side's
        let w: Tensor = CUDA.stream(side) {
            CUDA.currentStream().waitStream(CUDA.defaultStream())
            return z + 1
        }
        CUDA.currentStream().waitStream(side)
        r.same(w * 1, ref * 2 + 1, atol: 1e-5, rtol: 1e-4, "waitStream both ways")
        // pinned buffers freed as soon as their copies are queued are not refilled before the copies run
        var copies: [Tensor] = []
        CUDA.stream(side) {
            for k in 0..<6 { copies.append((x + Double(k)).pinMemory().to(gpu, nonBlocking: true)) }
        }
        CUDA.currentStream().waitStream(side)
        for (k, c) in copies.enumerated() { r.same(c * 1, x + Double(k), atol: 0, rtol: 0, "non-blocking copy \(k)") }
        side.synchronize()
        r.expect(side.query(), "an idle stream")
    }
}

/// A module with dropout for the resume check: its masks come from the CUDA generator.
final class DropoutCheckModel: Module, TrainingModule {
    let net = Sequential { Linear(4, 16); ReLU(); Dropout(0.5); Linear(16, 3) }
    override func forward(_ x: Tensor) -> Tensor { net(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { crossEntropy(forward(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1, momentum: 0.9) }
}

extension GPUChecks {
    /// GPU training with dropout, stopped after a mid-epoch checkpoint and resumed from it in a fresh
    /// model (with both generators moved on meanwhile), ends with the uninterrupted run's parameters
    /// bit for bit: the checkpoint holds the CUDA generator's state as well as the CPU's.
    static func trainingOnTheGPUResumesExactly(_ r: GPUCheckRecorder) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-gpu-resume-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func run(_ name: String, maxSteps: Int = -1, resume: Bool = false) throws -> DropoutCheckModel {
            manualSeed(31)
            let model = DropoutCheckModel()
            let trainer = Trainer(maxEpochs: 3, maxSteps: maxSteps,
                                  callbacks: [ModelCheckpoint(dirpath: dir + "/" + name, saveLast: true, everyNTrainSteps: 3)],
                                  logger: false, enableProgressBar: false, enableModelSummary: false, accelerator: .gpu)
            if resume {   // a crash loses the generators' states: move both on before resuming
                _ = Tensor.rand([100]); _ = Tensor.rand([100], device: gpu)
            }
            try trainer.fit(model, trainDataLoaders: DataLoader(AcceleratorCheckData(), batchSize: 8, shuffle: true, pinMemory: true),
                            ckptPath: resume ? dir + "/cut/last.ckpt" : nil)
            return model
        }
        let straight = try run("straight")
        _ = try run("cut", maxSteps: 7)   // 4 steps an epoch: the checkpoint of step 6 is mid-epoch
        let meta = try safetensorsMetadata(from: dir + "/cut/last.ckpt")
        r.expect(meta["rng_state.cuda"] != nil && meta["rng_state.epoch_start.cuda"] != nil, "the checkpoint holds the CUDA generator: \(meta.keys.sorted())")
        let resumed = try run("cut", resume: true)
        for (a, b) in zip(resumed.parameters(), straight.parameters()) {
            r.expect(a.cpu().toDoubles() == b.cpu().toDoubles(), "resumed GPU training differs from the uninterrupted run")
        }
    }
}

extension GPUChecks {
    /// `Optimizer.step()` on the GPU updates a group's parameters with SGD or Adam eight to a launch
    /// (PyTorch's multi-tensor path), with the single-tensor kernels' results.
    static func optimizerStepsLaunchOncePerEightParameters(_ r: GPUCheckRecorder) {
        func params(_ count: Int, on device: Device) -> [Parameter] {
            manualSeed(41)
            return (0..<count).map { k in Parameter(Tensor.randn([k % 3 + 1, 5]).to(device)) }
        }
        for (name, make) in [("Adam", { (p: [Parameter]) -> Optimizer in Adam(p, lr: 0.01) }),
                             ("AdamW amsgrad", { AdamW($0, lr: 0.01, amsgrad: true) }),
                             ("SGD momentum", { SGD($0, lr: 0.1, momentum: 0.9) }),
                             ("SGD", { SGD($0, lr: 0.1) })] {
            for count in [6, 11] {
                let cpu = params(count, on: .cpu), gpuParams = params(count, on: gpu)
                let oc = make(cpu), og = make(gpuParams)
                var launches: [Int] = []
                for step in 0..<3 {
                    for (pc, pg) in zip(cpu, gpuParams) {
                        let g = Tensor.randn(pc.shape) * Double(step + 1)
                        pc.grad = g; pg.grad = g.to(gpu)
                    }
                    oc.step()
                    let before = GPUWorkCounter.launches
                    og.step()
                    launches.append(GPUWorkCounter.launches - before)
                }
                // 11 parameters: two launches (8 + 3); the first step also fills the new state with zeros
                let want = (count + 7) / 8
                r.expect(launches.dropFirst().allSatisfy { $0 == want }, "\(name), \(count) parameters: launches per step \(launches)")
                for (pg, pc) in zip(gpuParams, cpu) { r.same(pg.detach(), pc.detach(), atol: 1e-6, rtol: 1e-5, "\(name) \(count) parameters") }
            }
        }
    }
}

extension GPUChecks {
    /// Replays `graph` and expects it to queue `launches` launches (the graph's one, and one per
    /// generator whose state it sets).
    static func replay(_ graph: CUDA.Graph, launches: Int, _ r: GPUCheckRecorder, _ what: String) {
        let before = GPUWorkCounter.launches
        graph.replay()
        r.expect(GPUWorkCounter.launches - before == launches, "\(what): \(GPUWorkCounter.launches - before)")
    }

    /// A whole training step (forward, MSE, backward, the optimizer) captured in a `CUDA.Graph` after
    /// three eager warm-up steps, then replayed five times with one launch each, trains as eight
    /// eager steps on the CPU: the same losses (read from the tensor captured) and parameters, for
    /// SGD with momentum and for Adam with its step count on the device (`capturable: true`).
    static func aCapturedTrainingStepReplaysAsEagerSteps(_ r: GPUCheckRecorder) {
        for (name, make) in [("SGD momentum", { (p: [Parameter]) -> Optimizer in SGD(p, lr: 0.05, momentum: 0.9) }),
                             ("Adam capturable", { Adam($0, lr: 0.01, capturable: true) })] {
            func setup(_ device: Device) -> (Sequential, Optimizer, Tensor, Tensor) {
                manualSeed(51)
                let x = Tensor.linspace(0, 1, count: 64).reshape(-1, 1)
                let net = Sequential { Linear(1, 32); ReLU(); Linear(32, 1) }
                net.to(device)
                return (net, make(net.parameters()), x.to(device), (x * 3).sin().to(device))
            }
            let (cnet, copt, cx, cy) = setup(.cpu)
            var cpuLosses: [Double] = []
            for _ in 0..<8 {
                let loss = mseLoss(cnet(cx), cy)
                cpuLosses.append(loss.item())
                loss.backward(); copt.step(); copt.zeroGrad()
            }
            let (gnet, gopt, gx, gy) = setup(gpu)
            for _ in 0..<3 { mseLoss(gnet(gx), gy).backward(); gopt.step(); gopt.zeroGrad() }
            let graph = CUDA.Graph()
            let staticLoss = CUDA.graph(graph) { () -> Tensor in
                let loss = mseLoss(gnet(gx), gy)
                loss.backward()
                gopt.step()
                return loss
            }
            r.expect(!CUDA.isCurrentStreamCapturing() && CUDA.currentStream() == CUDA.defaultStream(), "\(name): the capture ended and the stream is restored")
            var gpuLosses: [Double] = []
            for _ in 0..<5 {
                replay(graph, launches: 1, r, "\(name): a replay is one launch")
                gpuLosses.append(staticLoss.item())
            }
            for (g, c) in zip(gpuLosses, cpuLosses.dropFirst(3)) { r.expect(abs(g - c) <= 1e-6 + 1e-4 * abs(c), "\(name): replayed loss \(g) vs eager \(c)") }
            for (g, c) in zip(gnet.parameters(), cnet.parameters()) { r.same(g.detach(), c.detach(), atol: 1e-5, rtol: 1e-4, "\(name): parameters after the replays") }
            if name.hasPrefix("Adam") {
                r.expect(gopt.stateDict()["state.0.step"]?.item() == 8.0, "\(name): the step count the replays advanced: \(gopt.stateDict()["state.0.step"].map { "\($0)" } ?? "none")")
            }
            graph.reset()
        }
    }
}

extension GPUChecks {
    /// Random draws captured in a graph draw fresh numbers at each replay, the ones eager steps draw
    /// (PyTorch's graph-safe Philox state): a training step with input noise (`randn`) and `Dropout`,
    /// captured after warm-up and replayed, trains as the same steps run eagerly on the GPU, bit for
    /// bit, and leaves the CUDA generator where they leave it. A replay is two launches: the
    /// generator's state, then the graph.
    static func randomDrawsInACapturedStepDrawAsEagerSteps(_ r: GPUCheckRecorder) {
        func setup() -> (Sequential, Optimizer, Tensor, Tensor) {
            manualSeed(61)
            let x = Tensor.linspace(0, 1, count: 64).reshape(-1, 1)
            let net = Sequential { Linear(1, 32); ReLU(); Dropout(0.3); Linear(32, 1) }
            net.to(gpu)
            return (net, SGD(net.parameters(), lr: 0.05, momentum: 0.9), x.to(gpu), (x * 3).sin().to(gpu))
        }
        func step(_ net: Sequential, _ opt: Optimizer, _ x: Tensor, _ y: Tensor) -> Tensor {
            let loss = mseLoss(net(x + Tensor.randn(x.shape, device: gpu) * 0.05), y)
            loss.backward()
            opt.step()
            return loss
        }
        let (enet, eopt, ex, ey) = setup()
        var eager: [Double] = []
        for _ in 0..<8 { eager.append(step(enet, eopt, ex, ey).item()); eopt.zeroGrad() }
        let eagerState = CUDA.getRNGState()

        let (gnet, gopt, gx, gy) = setup()
        for _ in 0..<3 { _ = step(gnet, gopt, gx, gy); gopt.zeroGrad() }
        let graph = CUDA.Graph()
        let offsetBefore = CUDA.getRNGState()
        let staticLoss = CUDA.graph(graph) { step(gnet, gopt, gx, gy) }
        r.expect(CUDA.getRNGState() == offsetBefore, "the capture leaves the generator's offset alone")
        var replayed: [Double] = []
        for _ in 0..<5 {
            replay(graph, launches: 2, r, "a replay with draws is two launches")
            replayed.append(staticLoss.item())
        }
        r.expect(replayed == Array(eager.dropFirst(3)), "replayed losses \(replayed) vs eager \(Array(eager.dropFirst(3)))")
        r.expect(Set(replayed).count == replayed.count, "each replay draws new numbers: \(replayed)")
        for (g, e) in zip(gnet.parameters(), enet.parameters()) { r.same(g.detach(), e.detach().cpu(), atol: 0, rtol: 0, "parameters after the replays") }
        r.expect(CUDA.getRNGState() == eagerState, "the replays move the generator as the eager steps do")
        // a seed set between replays is the one the next replay draws from, as in PyTorch: from the
        // same parameters and seed, a replay's loss (computed before its update) repeats
        let saved = gnet.parameters().map { $0.detach().clone() }
        CUDA.manualSeed(5)
        graph.replay()
        let first = staticLoss.item()
        for (p, v) in zip(gnet.parameters(), saved) { p.detach().copy_(v) }
        CUDA.manualSeed(5)
        graph.replay()
        r.expect(staticLoss.item() == first && first != replayed.last, "reseeded replays: \(first), \(staticLoss.item())")
        graph.reset()
    }
}

extension GPUChecks {
    /// Sort (ascending and descending, ties kept in order, NaN above every number, every dtype, rows
    /// sorted in shared memory, few rows past 1,024 one launch a stage and many in place, dims other
    /// than the last), argsort and topk; scatter and scatter_add with repeated indices, an index
    /// smaller than the target, a transposed target and a scalar; erfinv at its edges: the same
    /// values and indices as the CPU, with no op run on the host.
    static func sortScatterAndErfinvRunOnTheDevice(_ r: GPUCheckRecorder) {
        let fallbacks = CUDA.hostFallbacks
        manualSeed(71)
        // ties (values rounded to a few levels) and NaN, in float32 and float64
        let base = (Tensor.randn([6, 1500]) * 2).round()
        var withNaN = base.toArray(Double.self)
        withNaN[2 * 1500 + 7] = .nan; withNaN[2 * 1500 + 1400] = .nan; withNaN[4 * 1500 + 3] = -.infinity
        let levels = Tensor(withNaN).reshape(6, 1500)
        for dtype in [DType.float32, .float64, .int64, .int32, .uint8, .bool] {
            let x = dtype.isFloatingPoint ? levels.to(dtype: dtype) : (dtype == .bool ? base .> 0 : base.abs().to(dtype: dtype))
            for n in [37, 1024, 1500] {
                let xc = x[0..., 0..<n], xg = xc.to(gpu)
                for descending in [false, true] {
                    let (vc, ic) = xc.sort(dim: 1, descending: descending), (vg, ig) = xg.sort(dim: 1, descending: descending)
                    r.same(vg, vc, atol: 0, rtol: 0, "sort \(dtype) n=\(n) descending=\(descending) values")
                    r.same(ig, ic, atol: 0, rtol: 0, "sort \(dtype) n=\(n) descending=\(descending) indices (stable)")
                }
            }
            // along the first dim of a (rows, 5) tensor: rows with a stride
            let col = x[0..., 0..<5].contiguous()
            r.same(col.to(gpu).sort(dim: 0).indices, col.sort(dim: 0).indices, atol: 0, rtol: 0, "sort \(dtype) along dim 0")
        }
        // fewer than 32 rows past 1,024 sort one launch a stage (above, and down the first dim of a
        // (1500, 3) tensor); 40 such rows sort one block a row, in place
        let tall = (Tensor.randn([1500, 3]) * 2).round()
        r.same(tall.to(gpu).sort(dim: 0, descending: true).indices, tall.sort(dim: 0, descending: true).indices, atol: 0, rtol: 0, "sort of 1,500 along dim 0 (stride 3)")
        let many = (Tensor.randn([40, 1100]) * 2).round()
        for descending in [false, true] {
            let (vc, ic) = many.sort(dim: 1, descending: descending), (vg, ig) = many.to(gpu).sort(dim: 1, descending: descending)
            r.same(vg, vc, atol: 0, rtol: 0, "sort of 40 rows of 1,100 descending=\(descending) values")
            r.same(ig, ic, atol: 0, rtol: 0, "sort of 40 rows of 1,100 descending=\(descending) indices (stable)")
        }
        let x = Tensor.randn([4, 9, 3])
        r.same(x.to(gpu).argsort(dim: 1, descending: true), x.argsort(dim: 1, descending: true), atol: 0, rtol: 0, "argsort of the middle dim")
        let (tv, ti) = x.to(gpu).topk(4, dim: 1, largest: false)
        r.same(tv, x.topk(4, dim: 1, largest: false).values, "topk smallest values")
        r.same(ti, x.topk(4, dim: 1, largest: false).indices, atol: 0, rtol: 0, "topk smallest indices")
        r.sameWithGrad([x], "sort's gradient") { $0[0].sort(dim: 1).values * Tensor.arange(0, 3).to($0[0].device) }

        // scatter: repeated indices (the last write wins on both), an index narrower than the target
        let target = Tensor.randn([3, 6]), src = Tensor.randn([3, 4])
        let idx = Tensor([[0, 5, 0, 2], [1, 1, 1, 1], [4, 3, 2, 0]]).to(dtype: .int64)
        for add in [false, true] {
            let c = add ? target.scatterAdd(dim: 1, index: idx, src: src) : target.scatter(dim: 1, index: idx, src: src)
            let g = add ? target.to(gpu).scatterAdd(dim: 1, index: idx.to(gpu), src: src.to(gpu)) : target.to(gpu).scatter(dim: 1, index: idx.to(gpu), src: src.to(gpu))
            r.same(g, c, atol: 0, rtol: 0, "scatter\(add ? "Add" : "") along dim 1 with repeats")
            let idx0 = Tensor([[2, 0, 2], [2, 1, 0]]).to(dtype: .int64), src0 = Tensor.randn([2, 3])
            let c0 = add ? target.scatterAdd(dim: 0, index: idx0, src: src0) : target.scatter(dim: 0, index: idx0, src: src0)
            let g0 = add ? target.to(gpu).scatterAdd(dim: 0, index: idx0.to(gpu), src: src0.to(gpu)) : target.to(gpu).scatter(dim: 0, index: idx0.to(gpu), src: src0.to(gpu))
            r.same(g0, c0, atol: 0, rtol: 0, "scatter\(add ? "Add" : "") along dim 0, narrower index")
        }
        // in place into a transposed target, and int64 scatter_add (a histogram: one column of 200)
        let tc = Tensor.zeros([6, 3]), tg = Tensor.zeros([6, 3]).to(gpu)
        tc.t().scatterAdd_(dim: 1, index: idx, src: src); tg.t().scatterAdd_(dim: 1, index: idx.to(gpu), src: src.to(gpu))
        r.same(tg, tc, atol: 0, rtol: 0, "scatterAdd_ into a transposed view")
        let bins = Tensor.randint(0, 7, [200]), ones = Tensor.ones([200], dtype: .int64)
        r.same(Tensor.zeros([7], dtype: .int64).to(gpu).scatterAdd(dim: 0, index: bins.to(gpu), src: ones.to(gpu)),
               Tensor.zeros([7], dtype: .int64).scatterAdd(dim: 0, index: bins, src: ones), atol: 0, rtol: 0, "int64 histogram by scatterAdd")
        r.sameWithGrad([src], "scatter's gradient") { target.to($0[0].device).scatter(dim: 1, index: idx.to($0[0].device), src: $0[0]) }
        r.sameWithGrad([src], "scatterAdd's gradient") { target.to($0[0].device).scatterAdd(dim: 1, index: idx.to($0[0].device), src: $0[0]) }

        // erfinv: the middle, the tails, ±1 (±inf), outside [-1, 1] and NaN (NaN)
        let e = Tensor([0, 0.3, -0.69, 0.7, 0.71, -0.95, 0.999, -0.999999, 1, -1, 1.5, Double.nan])
        for dtype in [DType.float32, .float64] {
            let ec = e.to(dtype: dtype)
            r.same(ec.to(gpu).erfinv(), ec.erfinv(), atol: dtype == .float32 ? 1e-5 : 1e-12, rtol: dtype == .float32 ? 1e-5 : 1e-12, "erfinv \(dtype)")
        }
        r.sameWithGrad([Tensor([0.1, -0.5, 0.9])], "erfinv's gradient") { $0[0].erfinv() }
        // the gamma family: reflection below 0, the recurrence, the asymptotic series and zeta (polygamma 3)
        let gx = Tensor([-2.5, -1.3, 0.2, 0.5, 1, 1.7, 3.3, 9.99, 10, 12.5, 150])
        for dtype in [DType.float32, .float64] {
            let gc = gx.to(dtype: dtype), tol = dtype == .float32 ? 1e-5 : 1e-12
            r.same(gc.to(gpu).lgamma(), gc.lgamma(), atol: tol, rtol: tol, "lgamma \(dtype)")
            for n in 0...3 { r.same(gc.to(gpu).polygamma(n), gc.polygamma(n), atol: tol, rtol: tol, "polygamma(\(n)) \(dtype)") }
        }
        r.sameWithGrad([Tensor([0.3, 1.2, 4.5])], "lgamma and digamma's gradients") { $0[0].lgamma() + $0[0].digamma() }
        r.expect(CUDA.hostFallbacks == fallbacks, "no op ran on the host: \(CUDA.hostFallbacks)")
    }
}

extension GPUChecks {
    /// A side stream joins a capture by waiting for the capturing stream, computes one branch there
    /// while the capturing stream computes the other, and is joined back: both branches are captured
    /// (new inputs copied in before each replay reach both), a replay is one launch, and the results
    /// are the CPU's. (PyTorch: `s.wait_stream(torch.cuda.current_stream())` inside `torch.cuda.graph`.)
    static func aCaptureForksAndJoinsAnotherStream(_ r: GPUCheckRecorder) {
        manualSeed(81)
        let w1 = Tensor.randn([16, 8]), w2 = Tensor.randn([16, 8])
        func reference(_ a: Tensor) -> Tensor { a.matmul(w1).relu().sum(dim: 1) + a.matmul(w2).tanh().sum(dim: 1) }
        let a = Tensor.randn([64, 16]).to(gpu), gw1 = w1.to(gpu), gw2 = w2.to(gpu)
        let side = CUDA.Stream()
        let graph = CUDA.Graph()
        let out = CUDA.graph(graph) { () -> Tensor in
            side.waitStream(CUDA.currentStream())
            let left = CUDA.stream(side) { a.matmul(gw1).relu().sum(dim: 1) }
            let right = a.matmul(gw2).tanh().sum(dim: 1)
            CUDA.currentStream().waitStream(side)
            return left + right
        }
        r.expect(CUDA.currentStream() == CUDA.defaultStream(), "the stream is restored after the capture")
        for k in 0..<3 {
            let input = Tensor.randn([64, 16])
            a.copy_(input.to(gpu))
            replay(graph, launches: 1, r, "a replay with two branches is one launch")
            r.same(out, reference(input), atol: 1e-5, rtol: 1e-5, "replay \(k): both branches see the new input")
        }
        graph.reset()
    }
}

extension GPUChecks {
    /// The CUDA generator's offset (bytes 8..<16 of its state).
    static var philoxOffset: UInt64 { CUDA.getRNGState()[8..<16].reversed().reduce(0) { $0 << 8 | UInt64($1) } }

    /// `randperm` and `multinomial` with replacement draw on the device what PyTorch's CUDA kernels
    /// draw, equal to their host twins: randperm's keys (int32 up to 32 bits, int64 beyond), the stable
    /// sort by their low bits and the shuffle of runs of equal keys (which some seeds of n = 1,000
    /// need); multinomial's samples on PyTorch's grid, rows past 65,535 included, and its walk back
    /// over categories of probability 0. Each moves the offset as PyTorch does, none runs on the host,
    /// and both draw, captured in a graph, at each replay what eager calls draw.
    static func randpermAndMultinomialDrawAsPyTorchsKernels(_ r: GPUCheckRecorder) {
        let fallbacks = CUDA.hostFallbacks
        var reordered = 0
        // 1,000: keys of 23 bits; 25,000: all 32 bits of an int32 key; 40,000: int64 keys of 33 bits
        for (n, seeds) in [(1, 0..<1), (2, 0..<1), (5, 0..<2), (1000, 0..<100), (25_000, 0..<2), (40_000, 0..<2)] {
            for seed in seeds {
                CUDA.manualSeed(seed)
                let got = Tensor.randperm(n, device: gpu).cpu().toArray(Int64.self)
                let keys = CUDA.philoxLaunch(elements: n, unroll: 2)   // both key ranges are past 2^28: two words a key
                let want = PhiloxReference.randperm(n, seed: UInt64(seed), offset: 0, keyBlocks: keys.blocks, islandOffset: keys.counterOffset)
                reordered += want.reordered
                let bad = zip(got, want.perm).enumerated().first { $0.element.0 != $0.element.1 }
                r.expect(got.count == n && bad == nil, "randperm(\(n)) seed \(seed): position \(bad?.offset ?? -1) is \(bad?.element.0 ?? -1), PyTorch's kernels give \(bad?.element.1 ?? -1)")
                r.expect(Set(got) == Set((0..<Int64(n))), "randperm(\(n)) is a permutation")
                r.expect(philoxOffset == keys.counterOffset + UInt64((n + 3) / 4 * 4), "randperm(\(n)) moves the offset by the keys' draw and n: \(philoxOffset)")
            }
        }
        r.expect(reordered > 0, "some seeds of n = 1,000 drew equal keys whose runs the shuffle reordered: \(reordered)")

        for (rows, cats, samples, dtype) in [(1, 5, 7, DType.float32), (3, 10, 300, .float64), (4, 1000, 129, .float32), (65_537, 3, 2, .float32)] {
            manualSeed(31)
            var values = Tensor.rand([rows, cats], dtype: dtype).toDoubles()
            values[1] = 0; values[3] = 0   // categories never drawn; the search moves back over them
            let p = Tensor(values, dtype: dtype).reshape(rows, cats)
            let probs = rows == 1 ? p.reshape(cats) : p
            CUDA.manualSeed(31)
            let got = probs.to(gpu).multinomial(samples, replacement: true).cpu()
            let table = (0..<rows).map { Array(values[$0 * cats..<($0 + 1) * cats]) }
            let want = PhiloxReference.multinomial(table, samples: samples, double: dtype == .float64, seed: 31, offset: 0).flatMap { $0 }
            let flat = got.toArray(Int64.self)
            let bad = zip(flat, want).enumerated().first { $0.element.0 != $0.element.1 }
            r.expect(got.shape == (rows == 1 ? [samples] : [rows, samples]) && bad == nil,
                     "multinomial \(dtype) [\(rows), \(cats)] x\(samples): sample \(bad?.offset ?? -1) is \(bad?.element.0 ?? -1), PyTorch's kernel gives \(bad?.element.1 ?? -1)")
            r.expect(!flat.enumerated().contains { $0.offset < samples && ($0.element == 1 || $0.element == 3) }, "categories of probability 0 are never drawn")
            r.expect(philoxOffset == UInt64(((rows - 1) / Swift.min(rows, 65535) + 1) * 4), "multinomial [\(rows), \(cats)] moves the offset by 4 a row per block row: \(philoxOffset)")
        }
        r.expect(CUDA.hostFallbacks == fallbacks, "randperm and multinomial ran on the device: \(CUDA.hostFallbacks)")

        // captured in a graph, each replay draws what the eager calls draw
        let probs = Tensor.rand([2, 6]).to(gpu)
        CUDA.manualSeed(41)
        let eager = (0..<3).map { _ in [Tensor.randperm(100, device: gpu).cpu(), probs.multinomial(5, replacement: true).cpu()] }
        let graph = CUDA.Graph()
        let captured = CUDA.graph(graph) { [Tensor.randperm(100, device: gpu), probs.multinomial(5, replacement: true)] }
        CUDA.manualSeed(41)
        for (i, e) in eager.enumerated() {
            replay(graph, launches: 2, r, "a replay of randperm and multinomial is two launches")
            r.expect(captured[0].cpu().toArray(Int64.self) == e[0].toArray(Int64.self) && captured[1].cpu().toArray(Int64.self) == e[1].toArray(Int64.self),
                     "replay \(i) draws the eager call's permutation and samples")
        }
        graph.reset()
    }

    /// The ops written with other ops (nonzero, masked_select, bincount, unique, amax, median,
    /// isclose, split/unbind/tile/repeat_interleave/unfold, pad, cosine similarity, pad_sequence,
    /// index_add_) give the CPU's results and gradients on the device.
    static func selectionCountingAndWindowOps(_ r: GPUCheckRecorder) {
        manualSeed(23)
        let x = Tensor.randn([5, 6]), ints = Tensor.randint(0, 7, [30])
        let gx = x.to(gpu), gi = ints.to(gpu)
        r.same(gx.nonzero(), x.nonzero(), "nonzero")
        r.same((gx .> 0.3).nonzero(), (x .> 0.3).nonzero(), "nonzero of a mask")
        r.same(gi.bincount(minlength: 9), ints.bincount(minlength: 9), "bincount")
        r.same(gi.bincount(weights: gx.reshape(-1)), ints.bincount(weights: x.reshape(-1)), "bincount weights")
        let (uc, ic, cc) = ints.unique(returnInverse: true, returnCounts: true)
        let (ug, ig, cg) = gi.unique(returnInverse: true, returnCounts: true)
        r.same(ug, uc, "unique"); r.same(ig, ic, "unique inverse"); r.same(cg, cc, "unique counts")
        r.same(gx.countNonzero(dim: 1), x.countNonzero(dim: 1), "count_nonzero")
        r.same(gx.isclose(gx + 1e-7), x.isclose(x + 1e-7), "isclose")
        r.sameWithGrad([x], "masked_select") { $0[0].maskedSelect($0[0] .> 0) }
        // ties: rounded values share amax's and median's gradient
        let tied = (x * 2).round()
        r.sameWithGrad([tied], "amax") { $0[0].amax(dim: 1) }
        r.sameWithGrad([tied], "amin all") { $0[0].amin().reshape(1) }
        r.sameWithGrad([tied], "median") { $0[0].median().reshape(1) }
        r.sameWithGrad([tied], "median dim") { $0[0].median(dim: 0).values }
        r.sameWithGrad([x], "split sizes") { concat($0[0].split([1, 2, 3], dim: 1).map { $0 * 2 }, dim: 1) }
        r.sameWithGrad([x], "unbind") { stack($0[0].unbind(dim: 1).reversed(), dim: 0) }
        r.sameWithGrad([x], "tile") { $0[0].tile(2, 1, 3) }
        r.sameWithGrad([x], "repeat_interleave") { $0[0].repeatInterleave(Tensor([1, 0, 2, 1, 3]), dim: 0) }
        r.sameWithGrad([x], "unfold") { $0[0].unfold(1, 3, 2) }
        r.same(gx.unfold(1, 3, 2), x.unfold(1, 3, 2), "unfold view")
        r.sameWithGrad([x], "pad") { pad($0[0], [2, 1, -1, 1], value: 0.5) }
        r.sameWithGrad([x, x.flip(0)], "cosine_similarity") { cosineSimilarity($0[0], $0[1]) }
        r.sameWithGrad([x, x[..<3]], "pad_sequence") { padSequence([$0[0], $0[1]], batchFirst: true, paddingValue: -1) }
        r.same(Tensor.zeros(4, 6, device: gpu).indexAdd_(dim: 0, index: Tensor([3, 0, 3, 1, 2], device: gpu), source: gx, alpha: 2),
               Tensor.zeros(4, 6).indexAdd_(dim: 0, index: Tensor([3, 0, 3, 1, 2]), source: x, alpha: 2), "index_add_")
    }
}
