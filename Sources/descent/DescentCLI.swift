import ArgumentParser
import Descent
import Foundation

@main
struct DescentCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Descent's example programs: a tour (default) and the MNIST lecture programs.",
        subcommands: [Demo.self, MnistMLP.self, MnistBinary.self, CUDAInfo.self],
        defaultSubcommand: Demo.self)
}

struct DataOptions: ParsableArguments {
    @Option(help: "Folder with the MNIST IDX files (default: $DESCENT_MNIST or ../shared/data/mnist).")
    var data: String = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "../shared/data/mnist"
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tensors, autograd, and a classifier on the embedded 8x8 digits.")
    @Option(help: "Training epochs.") var epochs = 10
    func run() throws { try runDemo(epochs: epochs) }
}

struct MnistMLP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mnist-mlp",
        abstract: "Full MNIST, 784-256-256-10 ReLU MLP, Adam lr 0.001, shuffled batches (the lecture's homework).")
    @OptionGroup var data: DataOptions
    @Option(help: "Epochs.") var epochs = 15
    @Option(help: "Batch size.") var batchSize = 100
    @Option(help: "Stop after this many updates (0: no limit), for the lecture's 325-iteration variants.") var iterations = 0
    @Option(help: "Seed for manualSeed.") var seed = 1
    func run() throws {
        manualSeed(seed)
        let train = try MNIST(root: data.data, train: true)
        let test = try MNIST(root: data.data, train: false)
        let model = Sequential {
            Flatten()
            Linear(784, 256); ReLU()
            Linear(256, 256); ReLU()
            Linear(256, 10)
        }
        let optimizer = Adam(model.parameters(), lr: 0.001)
        let loader = DataLoader(train, batchSize: batchSize, shuffle: true)
        var updates = 0
        let start = Date()
        training: for epoch in 1...epochs {
            model.train()
            var total = 0.0, seen = 0
            for (x, y) in loader {
                let loss = crossEntropy(model(x), y)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                total += loss.item() * Double(x.shape[0]); seen += x.shape[0]
                updates += 1
                if iterations > 0 && updates >= iterations { break }
            }
            model.eval()
            print("epoch \(epoch): train loss \(String(format: "%.4f", total / Double(max(seen, 1)))), test accuracy \(String(format: "%.4f", accuracy(model, test))), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            if iterations > 0 && updates >= iterations { break training }
        }
        print("updates: \(updates), test accuracy: \(String(format: "%.4f", accuracy(model, test)))")
    }
}

struct MnistBinary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mnist-binary",
        abstract: "MNIST digits 0 and 1, 784-32-1 sigmoid net with BCELoss and SGD: 700 full-batch updates versus 100 epochs of batches of 2048.")
    @OptionGroup var data: DataOptions
    func run() throws {
        let train = try MNIST(root: data.data, train: true)
        let x0 = train.data[train.targets .== 0], x1 = train.data[train.targets .== 1]
        let x = concat([x0, x1]).reshape(-1, 784).float() / 255
        let y = Tensor([Float](repeating: 0, count: x0.shape[0]) + [Float](repeating: 1, count: x1.shape[0])).reshape(-1, 1)
        func net() -> Sequential { Sequential { Linear(784, 32); ReLU(); Linear(32, 1); Sigmoid() } }
        func acc(_ m: Module) -> Double { noGrad { ((m(x) .> 0.5).float() .== y).float().mean().item() } }
        manualSeed(1)
        let full = net(), lossFn = BCELoss()
        var opt = SGD(full.parameters())
        var start = Date()
        for _ in 0..<700 { let l = lossFn(full(x), y); l.backward(); opt.step(); opt.zeroGrad() }
        print("full batch, 700 updates: accuracy \(String(format: "%.4f", acc(full))), \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        manualSeed(1)
        let mini = net()
        opt = SGD(mini.parameters())
        let dl = DataLoader(TensorDataset(x, y), batchSize: 2048)
        start = Date()
        for _ in 0..<100 { for (xb, yb) in dl { let l = lossFn(mini(xb), yb); l.backward(); opt.step(); opt.zeroGrad() } }
        print("batches of 2048, 100 epochs (\(100 * dl.count) updates): accuracy \(String(format: "%.4f", acc(mini))), \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }
}

struct CUDAInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cuda-info",
        abstract: "What this machine offers the CUDA backend: the driver and its devices, and the kernels compiled with NVRTC (the GPU suite's first check).")
    @Option(help: "GPU architectures to compile the kernels for, comma-separated.") var arch = "sm_80,sm_90"
    @Flag(help: "Exit with an error when no CUDA device is found (on the GPU machine).") var requireGPU = false
    func run() throws {
        print("CUDA devices: \(CUDA.deviceCount())")
        print("CUDA usable: \(CUDA.isAvailable())" + (CUDA.unavailableReason.map { " (\($0))" } ?? ""))
        if CUDAKernelCheck.isAvailable {
            for line in try CUDAKernelCheck.compileAll(architectures: arch.split(separator: ",").map(String.init)) { print("NVRTC: " + line) }
        } else {
            print("NVRTC: not found (set DESCENT_NVRTC to libnvrtc.so.12)")
        }
        if requireGPU && CUDA.deviceCount() == 0 { throw ExitCode(2) }
    }
}
