import Descent
import Foundation

// Descent's benchmark: the workloads of Benchmarks/pytorch/bench.py, timed the same way (best of
// several repetitions, release build). Prints one line per workload: name, seconds per iteration,
// and a derived figure. `Benchmarks/run.sh` runs both and prints the ratios.

func now() -> Double { Date().timeIntervalSince1970 }

/// Best time per iteration over `reps` repetitions of `iters` iterations.
func bench(_ iters: Int, reps: Int = 5, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<reps {
        let t0 = now()
        for _ in 0..<iters { body() }
        best = min(best, (now() - t0) / Double(iters))
    }
    return best
}

let only = CommandLine.arguments.dropFirst().first
func report(_ name: String, _ secs: Double, _ extra: String = "") {
    print("\(name)\t\(String(format: "%.3e", secs))\t\(extra)")
    fflush(stdout)
}
func enabled(_ name: String) -> Bool { only == nil || name.hasPrefix(only!) }

// the distributed benchmarks run alone, under mpirun (Benchmarks/distributed/run.sh)
if only == "allreduce" { try allReduceBenchmark(); exit(0) }
if only == "allreduce-overhead" { try collectiveOverhead(); exit(0) }
if only == "ddp-mnist" { try ddpMNISTBenchmark(single: CommandLine.arguments.contains("--single")); exit(0) }

print("# descent-bench, \(getNumThreads()) threads")
for n in [512, 1024, 2048] where enabled("sgemm") {
    manualSeed(0)
    let a = Tensor.randn(n, n), b = Tensor.randn(n, n)
    let t = bench(n >= 2048 ? 3 : 10, reps: 3) { _ = a.mm(b) }
    report("sgemm_\(n)", t, String(format: "%.1f GFLOP/s", 2 * Double(n * n * n) / t / 1e9))
}
for (b, n, k, m) in [(32, 64, 64, 64), (8, 256, 256, 256)] where enabled("bmm") {
    manualSeed(0)
    let x = Tensor.randn(b, n, k), y = Tensor.randn(b, m, k).transpose(1, 2)   // attention's q @ k^T
    let t = bench(20, reps: 3) { _ = x.bmm(y) }
    report("bmm_\(b)x\(n)x\(k)x\(m)", t, String(format: "%.1f GFLOP/s", 2 * Double(b * n * k * m) / t / 1e9))
}
if enabled("tiny_add") {
    let a = Tensor([1.0]), b = Tensor([2.0])
    report("tiny_add", bench(100_000) { _ = a + b })
}
if enabled("tiny_backward") {
    let w = Tensor([[0.5]], requiresGrad: true), x = Tensor([[2.0]])
    report("tiny_matmul_sum_backward", bench(20_000) { let l = x.mm(w).sum(); l.backward() })
}
if enabled("tiny_step") {
    manualSeed(0)
    let net = Linear(1, 1)
    let x = Tensor([[0.0], [0.1], [0.2]]), y = Tensor([[0.0], [0.2], [0.4]])
    let lossFn = MSELoss(), opt = SGD(net.parameters(), lr: 0.01)
    report("tiny_train_step", bench(20_000) {
        let l = lossFn(net(x), y); l.backward(); opt.step(); opt.zeroGrad()
    })
}
if enabled("mlp512") {
    manualSeed(43052)
    let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1)
    let y = Tensor.randn(100).reshape(-1, 1) * 0.01
    let t = bench(1, reps: 3) {
        let net = Sequential { Linear(1, 512); ReLU(); Linear(512, 1) }
        let lossFn = MSELoss(), opt = Adam(net.parameters())
        for _ in 0..<1000 { let l = lossFn(net(x), y); l.backward(); opt.step(); opt.zeroGrad() }
    }
    report("mlp_1_512_1_adam_1000_steps", t)
}
if enabled("bce784") || only == "bce784_parts" {
    manualSeed(1)
    let x = Tensor.rand(12665, 784), y = (Tensor.rand(12665, 1) .> 0.5).float()
    let net = Sequential { Linear(784, 32); ReLU(); Linear(32, 1); Sigmoid() }
    let lossFn = BCELoss(), opt = SGD(net.parameters())
    let before = MemoryPool.systemAllocations
    let t = bench(10, reps: 3) { let l = lossFn(net(x), y); l.backward(); opt.step(); opt.zeroGrad() }
    report("mlp_784_32_1_bce_sgd_step", t, "system allocations during the run: \(MemoryPool.systemAllocations - before)")
    if only == "bce784_parts" {
        // Where the step's time goes: its two large products alone, and everything else.
        let w = Tensor.rand(32, 784), g = Tensor.rand(12665, 32), b = Tensor.rand(32)
        let tf = bench(10, reps: 5) { _ = addmm(b, x, w.t()) }
        let tw = bench(10, reps: 5) { _ = x.t().mm(g) }
        let ts = bench(10, reps: 5) { let l = lossFn(net(x), y); l.backward(); opt.step(); opt.zeroGrad() }
        report("bce784_forward_addmm", tf, String(format: "%.0f GFLOP/s", 2 * 12665 * 784 * 32 / tf / 1e9))
        report("bce784_weight_grad_mm", tw, String(format: "%.0f GFLOP/s", 2 * 12665 * 784 * 32 / tw / 1e9))
        report("bce784_rest_of_step", ts - tf - tw, String(format: "step %.3f ms", ts * 1e3))
        if ProcessInfo.processInfo.environment["BCE784_OPS"] != nil { // BCE784_OPS=1: each op of the step alone
            let l1 = net[0] as! Linear, l2 = net[2] as! Linear
            let h = addmm(l1.bias!, x, l1.weight.t()), r = h.relu(), z = addmm(l2.bias!, r, l2.weight.t()), p = z.sigmoid()
            report("op_addmm1", bench(10, reps: 5) { _ = addmm(l1.bias!, x, l1.weight.t()) })
            report("op_relu", bench(50, reps: 5) { _ = h.relu() })
            report("op_addmm2", bench(50, reps: 5) { _ = addmm(l2.bias!, r, l2.weight.t()) })
            report("op_sigmoid", bench(50, reps: 5) { _ = z.sigmoid() })
            report("op_bce", bench(50, reps: 5) { _ = lossFn(p, y) })
            report("op_forward_nograd", bench(10, reps: 5) { noGrad { _ = lossFn(net(x), y) } })
            report("op_forward", bench(10, reps: 5) { _ = lossFn(net(x), y) })
            let gz = Tensor.rand(12665, 1), gh = Tensor.rand(12665, 32)
            report("op_outer_g_w2", bench(50, reps: 5) { _ = gz.mm(l2.weight) })
            report("op_gemv_rT_g", bench(50, reps: 5) { _ = r.t().mm(gz) })
            report("op_sum_rows", bench(50, reps: 5) { _ = gh.sum(dim: 0) })
            report("op_threshold_bwd", bench(50, reps: 5) { _ = gh * (r .> 0).float() })
            report("op_fwd_bwd", bench(10, reps: 5) { let l = lossFn(net(x), y); l.backward() })
            report("op_step_zero", bench(10, reps: 5) { let l = lossFn(net(x), y); l.backward(); opt.step(); opt.zeroGrad() })
        }
    }
}
if enabled("elementwise") {
    let a = Tensor.rand(10_000_000), b = Tensor.rand(10_000_000)
    let t = bench(10, reps: 3) { _ = a + b }
    report("add_10M", t, String(format: "%.1f GB/s", 12e7 / t / 1e9))
    let ts = bench(10, reps: 3) { _ = a.sum() }
    report("sum_10M", ts, String(format: "%.1f GB/s", 4e7 / ts / 1e9))
    let te = bench(5, reps: 3) { _ = a.exp() }
    report("exp_10M", te)
}
if enabled("plot") {
    // issue #14's speed check: a 100,000-point line, and a 500x500 decision grid (250,000 model calls in
    // batches, the picture embedded as PNG), each rendered to SVG text and to a PNG file's bytes
    let ys: [Double] = (0..<100_000).map { Foundation.sin(Double($0) * 0.001) }
    let lineFigure = Figure(figsize: (8, 4), dpi: 100)
    lineFigure.addSubplot(1, 1, 1).plot(ys)
    report("plot_line_100k_points_svg", bench(1, reps: 3) { _ = lineFigure.renderSVG() })
    report("plot_line_100k_points_png", bench(1, reps: 3) { _ = lineFigure.renderPNG() })
    manualSeed(0)
    let net = Sequential { Linear(2, 16); ReLU(); Linear(16, 3) }
    let pts = Tensor.randn(200, 2)
    let labels = Tensor.randint(0, 3, [200])
    report("plot_decision_regions_500x500_svg", bench(1, reps: 3) {
        let fig = Figure(figsize: (5, 5), dpi: 100)
        plotDecisionRegions(x: pts, y: labels, model: net, ax: fig.addSubplot(1, 1, 1), gridSize: (500, 500))
        _ = fig.renderSVG()
    })
    report("plot_decision_regions_500x500_png", bench(1, reps: 3) {
        let fig = Figure(figsize: (5, 5), dpi: 100)
        plotDecisionRegions(x: pts, y: labels, model: net, ax: fig.addSubplot(1, 1, 1), gridSize: (500, 500))
        _ = fig.renderPNG()
    })
}
if enabled("loader") {
    let x = Tensor.rand(60000, 784), y = Tensor.randint(0, 10, [60000])
    let dl = DataLoader(TensorDataset(x, y), batchSize: 64, shuffle: true)
    report("loader_60000x784_b64_epoch", bench(1, reps: 3) { for (xb, _) in dl { _ = xb } })
}
if enabled("conv2d") {
    // forward + backward (weight and bias gradients) of an MNIST-sized batch through a first conv layer
    manualSeed(0)
    let conv = Conv2d(1, 32, kernelSize: 3), x = Tensor.randn(64, 1, 28, 28)
    report("conv2d_64x1x28x28_32x3x3_fwd_bwd", bench(20) { conv(x).sum().backward() })
}
if enabled("cnn_bn") {
    // a small CNN with BatchNorm (the review's MNIST CNN): conv-bn-relu-pool twice, two linear layers,
    // one SGD (Nesterov, weight decay) step on a batch of 64
    manualSeed(0)
    let net = Sequential {
        Conv2d(1, 8, kernelSize: 3, padding: 1); BatchNorm2d(8); ReLU(); MaxPool2d(2)
        Conv2d(8, 16, kernelSize: 3, padding: 1); BatchNorm2d(16); ReLU(); MaxPool2d(2)
        Flatten(); Linear(16 * 7 * 7, 32); ReLU(); Linear(32, 10)
    }
    let x = Tensor.randn(64, 1, 28, 28), y = Tensor.randint(0, 10, [64])
    let opt = SGD(net.parameters(), lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true)
    report("cnn_bn_mnist_b64_sgd_step", bench(20, reps: 3) {
        opt.zeroGrad(); crossEntropy(net(x), y).backward(); opt.step()
    })
}
if enabled("lstm") {
    // an MNIST-rows LSTM classifier step: 28 steps of 28 features, batch 64, hidden 128, then a linear head
    manualSeed(0)
    let lstm = LSTM(28, 128, batchFirst: true), head = Linear(128, 10)
    let x = Tensor.randn(64, 28, 28), y = Tensor.randint(0, 10, [64])
    let params = lstm.parameters() + head.parameters()
    let opt = Adam(params), lossFn = CrossEntropyLoss()
    report("lstm_28x28_b64_h128_train_step", bench(10, reps: 3) {
        let (out, _) = lstm(x)
        let l = lossFn(head(out[.all, -1]), y); l.backward(); opt.step(); opt.zeroGrad()
    })
}
if enabled("mnist_mlp") {
    // one epoch of the MNIST MLP lecture (784-256-256-10, Adam 1e-3, batch 100, shuffled)
    let root = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "../shared/data/mnist"
    if let train = try? MNIST(root: root, train: true) {
        let x = (train.data.float() / 255).reshape(-1, 784), y = train.targets
        manualSeed(0)
        let net = Sequential { Linear(784, 256); ReLU(); Linear(256, 256); ReLU(); Linear(256, 10) }
        let opt = Adam(net.parameters(), lr: 1e-3)
        let dl = DataLoader(TensorDataset(x, y), batchSize: 100, shuffle: true)
        report("mnist_mlp_784_256_256_10_adam_epoch", bench(1, reps: 3) {
            for (xb, yb) in dl { let l = crossEntropy(net(xb), yb); opt.zeroGrad(); l.backward(); opt.step() }
        })
    } else {
        print("# mnist_mlp skipped: no MNIST at \(root) (set DESCENT_MNIST)")
    }
}

// MARK: - Lecture 04 with the Trainer (run on request: `descent-bench trainer`; PyTorch side:
// Benchmarks/pytorch/lightning_mnist_mlp.py, which Benchmarks/run.sh runs for this prefix)

final class BenchMLP: Module, TrainingModule {
    let trainAcc = Accuracy(task: .multiclass(numClasses: 10))
    let validAcc = Accuracy(task: .multiclass(numClasses: 10))
    let testAcc = Accuracy(task: .multiclass(numClasses: 10))
    let model = Sequential { Flatten(); Linear(784, 32); ReLU(); Linear(32, 16); ReLU(); Linear(16, 10) }
    override func forward(_ x: Tensor) -> Tensor { model(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let logits = self(batch.0), loss = crossEntropy(logits, batch.1)
        trainAcc.update(logits.argmax(dim: 1), batch.1)
        log("train_loss", loss, progressBar: true)
        return loss
    }
    func onTrainEpochEnd() { log("train_acc", trainAcc.compute()); trainAcc.reset() }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let logits = self(batch.0), loss = crossEntropy(logits, batch.1)
        validAcc.update(logits.argmax(dim: 1), batch.1)
        log("valid_loss", loss, progressBar: true)
        return loss
    }
    func onValidationEpochEnd() { log("valid_acc", validAcc.compute(), progressBar: true); validAcc.reset() }
    func testStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let logits = self(batch.0)
        testAcc.update(logits.argmax(dim: 1), batch.1)
        log("test_acc", testAcc.compute(), progressBar: true)
        return nil
    }
    func configureOptimizers() -> Optimizer { Adam(parameters(), lr: 0.001) }
}

final class BenchMnistData: DataModule {
    let root: String
    var train: Subset<MNIST>!, val: Subset<MNIST>!, test: MNIST!
    init(root: String) { self.root = root }
    func setup(stage: Stage) throws {
        let parts = randomSplit(try MNIST(root: root, train: true), [55000, 5000], generator: Generator(seed: 1))
        (train, val) = (parts[0], parts[1])
        test = try MNIST(root: root, train: false)
    }
    func trainDataLoader() -> DataLoader<Subset<MNIST>> { DataLoader(train, batchSize: 64, numWorkers: 2) }
    func valDataLoader() -> DataLoader<Subset<MNIST>> { DataLoader(val, batchSize: 64) }
    func testDataLoader() -> DataLoader<MNIST> { DataLoader(test, batchSize: 64) }
}

if enabled("act") {
    // PyTorch-rounded activations (torch_act.c) on 2^20 floats, forward and SiLU/GELU backward
    manualSeed(0)
    let x = Tensor.randn(1 << 20) * 3, p = x.abs() + 0.1, g = Tensor.randn(1 << 20)
    report("act_exp_1m", bench(50) { _ = x.exp() })
    report("act_log_1m", bench(50) { _ = p.log() })
    report("act_sigmoid_1m", bench(50) { _ = x.sigmoid() })
    report("act_gelu_1m", bench(50) { _ = x.gelu() })
    report("act_elu_1m", bench(50) { _ = x.elu() })
    report("act_silu_backward_1m", bench(20) { let t = x.detach().requiresGrad_(); t.silu().backward(gradient: g) })
    report("act_gelu_backward_1m", bench(20) { let t = x.detach().requiresGrad_(); t.gelu().backward(gradient: g) })
}
if let o = only, o.hasPrefix("trainer") {
    let env = ProcessInfo.processInfo.environment
    let root = env["DESCENT_MNIST"] ?? "../shared/data/mnist"
    let epochs = Int(env["EPOCHS"] ?? "1") ?? 1
    let logs = NSTemporaryDirectory() + "descent-bench-logs-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: logs) }
    manualSeed(1)
    let model = BenchMLP(), dm = BenchMnistData(root: root)
    let trainer = Trainer(maxEpochs: epochs, callbacks: [ModelCheckpoint(monitor: "valid_acc", mode: .max, saveTopK: 1)],
                          logger: TensorBoardLogger(saveDir: logs), enableProgressBar: false, enableModelSummary: false)
    let t0 = now()
    do { try trainer.fit(model, dataModule: dm) } catch { print("# trainer bench failed: \(error)"); exit(1) }
    let t1 = now()
    let validAcc = trainer.callbackMetrics["valid_acc"] ?? .nan   // test starts with fresh callbackMetrics
    let results = (try? trainer.test(model, dataModule: dm, verbose: false)) ?? [:]
    let t2 = now()
    report("trainer_mnist_mlp_fit_\(epochs)_epochs", t1 - t0, "valid_acc \(validAcc)")
    report("trainer_mnist_mlp_test", t2 - t1, "test_acc \(results["test_acc"] ?? .nan)")
}
