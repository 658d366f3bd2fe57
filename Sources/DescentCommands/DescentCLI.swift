import ArgumentParser
import Descent
import Foundation

/// The `descent` command line: a tour, the lecture programs, plots of training logs, CUDA information.
public struct DescentCLI: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Descent's example programs: a tour (default), the MNIST and XOR lecture programs, and plots of training logs.",
        subcommands: [Demo.self, MnistMLP.self, MnistBinary.self, MnistTrainer.self, XOR.self, Plot.self, CUDAInfo.self, GPUSuite.self, GPUBench.self, TorchRandomCheck.self],
        defaultSubcommand: Demo.self)
}

struct DataOptions: ParsableArguments {
    @Option(help: "Folder with the MNIST IDX files (default: $DESCENT_MNIST or ../shared/data/mnist).")
    var data: String = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "../shared/data/mnist"
}

/// `--strategy ddp`: data-parallel over the processes `mpirun` started.
enum StrategyOption: String, ExpressibleByArgument, CaseIterable { case auto, ddp }

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tensors, autograd, and a classifier on the embedded 8x8 digits.")
    @Option(help: "Training epochs.") var epochs = 10
    func run() throws { try runDemo(epochs: epochs) }
}

struct MnistMLP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mnist-mlp",
        abstract: "Full MNIST, 784-256-256-10 ReLU MLP, Adam lr 0.001, shuffled batches (the lecture's homework).",
        discussion: "With --strategy ddp under mpirun (`mpirun -np 2 descent mnist-mlp --strategy ddp`), each process trains on its share of every epoch (a DistributedSampler) with --batch-size samples per step, gradients averaged across processes; rank 0 prints.")
    @OptionGroup var data: DataOptions
    @Option(help: "Epochs.") var epochs = 15
    @Option(help: "Batch size (per process with --strategy ddp).") var batchSize = 100
    @Option(help: "Stop after this many updates (0: no limit), for the lecture's 325-iteration variants.") var iterations = 0
    @Option(help: "Seed for manualSeed.") var seed = 1
    @Option(help: "auto (one process) or ddp (data-parallel under mpirun).") var strategy = StrategyOption.auto
    @Option(help: "A picture of the first 10 training digits with their labels (.png or .svg; \"\" for none).") var digits = "mnist-digits.png"
    @Option(help: "cpu, cuda or cuda:N.") var device = Device.cpu
    func run() throws {
        device.checkUsableOrExit()
        let ddp = strategy == .ddp
        if ddp { try Distributed.initProcessGroup(backend: .mpi) }
        let rank0 = !ddp || Distributed.rank == 0
        manualSeed(seed)
        let train = try MNIST(root: data.data, train: true)
        let test = try MNIST(root: data.data, train: false)
        if rank0 && !digits.isEmpty { try digitGrid(train, path: digits); print("wrote \(digits)") }
        let net = Sequential {
            Flatten()
            Linear(784, 256); ReLU()
            Linear(256, 256); ReLU()
            Linear(256, 10)
        }
        net.to(device)
        let model: Module = ddp ? DistributedDataParallel(net) : net
        let optimizer = Adam(model.parameters(), lr: 0.001)
        let sampler = ddp ? DistributedSampler(train, seed: seed) : nil
        let loader = sampler.map { DataLoader(train, batchSize: batchSize, sampler: $0) } ?? DataLoader(train, batchSize: batchSize, shuffle: true)
        var updates = 0
        let start = Date()
        training: for epoch in 1...epochs {
            sampler?.setEpoch(epoch - 1)
            model.train()
            var total = 0.0, seen = 0
            for (xb, yb) in loader {
                let x = xb.to(device), y = yb.to(device)
                let loss = crossEntropy(model(x), y)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                total += loss.item() * Double(x.shape[0]); seen += x.shape[0]
                updates += 1
                if iterations > 0 && updates >= iterations { break }
            }
            if ddp {   // the mean training loss over every process's samples
                let t = Tensor([total, Double(seen)], dtype: .float64)
                Distributed.allReduce(t)
                (total, seen) = (t.toArray(Double.self)[0], Int(t.toArray(Double.self)[1]))
            }
            model.eval()
            if rank0 {
                print("epoch \(epoch): train loss \(String(format: "%.4f", total / Double(max(seen, 1)))), test accuracy \(String(format: "%.4f", accuracy(net, test, device: device))), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            }
            if iterations > 0 && updates >= iterations { break training }
        }
        if rank0 { print("updates: \(updates)\(ddp ? " per process, \(Distributed.worldSize) processes" : ""), test accuracy: \(String(format: "%.4f", accuracy(net, test, device: device)))") }
    }
}

struct MnistBinary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mnist-binary",
        abstract: "MNIST digits 0 and 1, 784-32-1 sigmoid net with BCELoss and SGD: 700 full-batch updates versus 100 epochs of batches of 2048.",
        discussion: "With --strategy ddp under mpirun, each process takes every world-size-th row (the full batch) or its DistributedSampler share of each epoch in batches of 2048 / world size, and gradients are averaged across processes; rank 0 prints.")
    @OptionGroup var data: DataOptions
    @Option(help: "auto (one process) or ddp (data-parallel under mpirun).") var strategy = StrategyOption.auto
    func run() throws {
        let ddp = strategy == .ddp
        if ddp { try Distributed.initProcessGroup(backend: .mpi) }
        let world = ddp ? Distributed.worldSize : 1, rank = ddp ? Distributed.rank : 0
        let train = try MNIST(root: data.data, train: true)
        let x0 = train.data[train.targets .== 0], x1 = train.data[train.targets .== 1]
        let x = concat([x0, x1]).reshape(-1, 784).float() / 255
        let y = Tensor([Float](repeating: 0, count: x0.shape[0]) + [Float](repeating: 1, count: x1.shape[0])).reshape(-1, 1)
        let mine = Tensor.arange(rank, x.shape[0], world)     // this process's rows of the full batch
        let (xr, yr) = ddp ? (x[mine], y[mine]) : (x, y)
        func net() -> Sequential { Sequential { Linear(784, 32); ReLU(); Linear(32, 1); Sigmoid() } }
        func wrap(_ m: Module) -> Module { ddp ? DistributedDataParallel(m) : m }
        func acc(_ m: Module) -> Double { noGrad { ((m(x) .> 0.5).float() .== y).float().mean().item() } }
        func say(_ s: String) { if rank == 0 { print(s) } }
        manualSeed(1)
        let full = net(), lossFn = BCELoss()
        let fullModel = wrap(full)
        var opt = SGD(fullModel.parameters())
        var start = Date()
        for _ in 0..<700 { let l = lossFn(fullModel(xr), yr); l.backward(); opt.step(); opt.zeroGrad() }
        say("full batch, 700 updates: accuracy \(String(format: "%.4f", acc(full))), \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        manualSeed(1)
        let mini = net()
        let miniModel = wrap(mini)
        opt = SGD(miniModel.parameters())
        let ds = TensorDataset(x, y)
        let sampler = ddp ? DistributedSampler(ds, shuffle: false) : nil
        let dl = sampler.map { DataLoader(ds, batchSize: 2048 / world, sampler: $0) } ?? DataLoader(ds, batchSize: 2048)
        start = Date()
        for epoch in 0..<100 {
            sampler?.setEpoch(epoch)
            for (xb, yb) in dl { let l = lossFn(miniModel(xb), yb); l.backward(); opt.step(); opt.zeroGrad() }
        }
        say("batches of 2048, 100 epochs (\(100 * dl.count) updates): accuracy \(String(format: "%.4f", acc(mini))), \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }
}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draws the curves of a CSVLogger metrics file (lightning_logs/version_0/metrics.csv) as SVG, and in the terminal.")
    @Argument(help: "The metrics.csv file.") var file: String
    @Option(name: [.short, .customLong("output")], help: "The SVG to write (default: the CSV's name with .svg).") var output: String?
    @Flag(help: "Also draw the curves in the terminal with braille characters.") var terminal = false
    func run() throws {
        let metrics: MetricsCSV
        do { metrics = try MetricsCSV(path: file) } catch let e as MetricsCSVError {
            FileHandle.standardError.write(Data("descent plot: \(e)\n".utf8))
            throw ExitCode(1)
        }
        let out = output ?? (file.hasSuffix(".csv") ? String(file.dropLast(4)) : file) + ".svg"
        try metrics.figure().savefig(out)
        print("wrote \(out) (\(metrics.names.filter { !(metrics.points[$0]?.isEmpty ?? true) }.joined(separator: ", ")))")
        if terminal {
            let live = LivePlot(terminal: false)
            // one value per epoch and metric (the last logged in that epoch), in epoch order
            for epoch in Set(metrics.points.values.flatMap { $0.map(\.epoch) }).sorted() {
                var row: [String: Double] = [:]
                for (name, p) in metrics.points { if let v = p.last(where: { $0.epoch == epoch }) { row[name] = v.value } }
                try live.update(row)
            }
            print(live.brailleText(), terminator: "")
        }
    }
}

struct CUDAInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cuda-info",
        abstract: "What this machine offers the CUDA backend: the driver and its devices, and the kernels compiled with NVRTC (the GPU suite's first check).")
    @Option(help: "GPU architectures to compile the kernels for, comma-separated.") var arch = "sm_80,sm_90"
    @Flag(help: "Exit with an error when no CUDA device is found (on the GPU machine).") var requireGPU = false
    @Option(help: "Print the kernel source of this name (elementwise, training, …) and stop.") var source: String?
    func run() throws {
        if let name = source {
            guard let text = CUDAKernelCheck.source(named: name) else {
                throw ValidationError("no kernel source named \(name); the sources are \(CUDAKernelCheck.sourceNames.joined(separator: ", "))")
            }
            print(text)
            return
        }
        print("CUDA devices: \(CUDA.deviceCount())")
        print("CUDA usable: \(CUDA.isAvailable())" + (CUDA.unavailableReason.map { " (\($0))" } ?? ""))
        if CUDAKernelCheck.isAvailable {
            for line in try CUDAKernelCheck.compileAll(architectures: arch.split(separator: ",").map(String.init)) { print("NVRTC: " + line) }
        } else {
            print("NVRTC: not found (set DESCENT_NVRTC to libnvrtc.so.12)")
        }
        print("matrix products: \(CUDA.blasDescription)")
        if requireGPU && CUDA.deviceCount() == 0 { throw ExitCode(2) }
    }
}
