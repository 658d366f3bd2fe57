import ArgumentParser
import Foundation
@_spi(Testing) import Descent

/// `descent gpu-bench`: the GPU speed figures issue #12 asks for, beside PyTorch's twin
/// (`Benchmarks/gpu/bench.py`, the same work on the same GPU): float32 matrix products (cuBLAS, TF32
/// off) and memory bandwidth (a device copy and an elementwise add) as fractions of the device's
/// theoretical peak, a sort and a permutation of a long row, and epochs of an MNIST-shaped MLP (784-256-256-10, Adam, cross-entropy) at
/// each batch size, the data on the GPU and batches gathered by a shuffled index, as a training loop
/// that keeps MNIST on the device does.
struct GPUBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gpu-bench",
        abstract: "Times SGEMM, memory bandwidth and MNIST-shaped MLP epochs on cuda:0 (Benchmarks/gpu/bench.py is PyTorch's twin).")
    @Flag(help: "Without a CUDA device, run the CUDA backend on OpenCL (PoCL on the CPU).") var opencl = false
    @Option(help: "The square matrix size of the products.") var gemm = 4096
    @Option(help: "MiB of each tensor for the bandwidth figures.") var megabytes = 1024
    @Option(parsing: .upToNextOption, help: "Batch sizes of the MLP epochs.") var batch: [Int] = [64, 2048]
    @Option(help: "Samples in an epoch (MNIST's training set has 60,000).") var samples = 60000
    @Option(help: "Repetitions of each timed product, copy and sort.") var repeats = 20
    @Option(help: "Elements of the sorted row and of the permutation.") var sort = 1 << 20

    func run() throws {
        if opencl { _ = CUDA.useOpenCLWithoutGPU() }
        guard CUDA.isAvailable() else { print("CUDA is not available: \(CUDA.unavailableReason ?? "unknown")"); throw ExitCode(2) }
        let gpu = Device.cuda(0), peak = CUDA.theoreticalPeak()
        print("device: cuda:0 = \(CUDA.runtimeDescription ?? "?"); matrix products: \(CUDA.blasDescription)")
        func timed(_ body: () -> Void) -> Double {
            CUDA.synchronize()
            let start = Date()
            body()
            CUDA.synchronize()
            return Date().timeIntervalSince(start)
        }
        func fraction(_ v: Double, _ p: Double?) -> String { p.map { String(format: " (%.2f of the theoretical %.1f)", v / $0, $0 / 1e12) } ?? "" }

        // float32 products, TF32 off as PyTorch's default
        manualSeed(0)
        let a = Tensor.randn([gemm, gemm]).to(gpu), b = Tensor.randn([gemm, gemm]).to(gpu)
        _ = a.matmul(b); _ = a.matmul(b)
        let tGemm = timed { for _ in 0..<repeats { _ = a.matmul(b) } }
        let flops = 2 * pow(Double(gemm), 3) * Double(repeats) / tGemm
        print(String(format: "sgemm %d: %.3f ms, %.2f TFLOP/s", gemm, tGemm / Double(repeats) * 1e3, flops / 1e12) + fraction(flops, peak.flops))

        // bandwidth: a device copy reads and writes each byte; x + y reads two and writes one
        let n = megabytes << 18
        let x = Tensor.ones([n], device: gpu), y = Tensor.ones([n], device: gpu), z = Tensor.zeros([n], device: gpu)
        z.copy_(x); _ = x + y
        let tCopy = timed { for _ in 0..<repeats { z.copy_(x) } }
        let tAdd = timed { for _ in 0..<repeats { _ = x + y } }
        let bytes = Double(n * 4 * repeats)
        let copyRate = 2 * bytes / tCopy, addRate = 3 * bytes / tAdd
        print(String(format: "bandwidth %d MiB: copy %.3f TB/s", megabytes, copyRate / 1e12) + fraction(copyRate, peak.bytesPerSecond)
              + String(format: ", add %.3f TB/s", addRate / 1e12) + fraction(addRate, peak.bytesPerSecond))

        // one long row sorted (a bitonic network, one launch a stage; PyTorch: cub's radix sort) and a permutation
        let row = Tensor.randn([sort]).to(gpu)
        _ = row.sort(); _ = Tensor.randperm(sort, device: gpu)
        let tSort = timed { for _ in 0..<repeats { _ = row.sort() } }
        let tPerm = timed { for _ in 0..<repeats { _ = Tensor.randperm(sort, device: gpu) } }
        print(String(format: "sort %d: %.3f ms, randperm %d: %.3f ms", sort, tSort / Double(repeats) * 1e3, sort, tPerm / Double(repeats) * 1e3))

        // MNIST-shaped MLP epochs
        for bs in batch {
            manualSeed(0)
            let images = Tensor.randn([samples, 784]).to(gpu), labels = Tensor.randint(0, 10, [samples]).to(gpu)
            let net = Sequential { Linear(784, 256); ReLU(); Linear(256, 256); ReLU(); Linear(256, 10) }
            net.to(gpu)
            let optimizer = Adam(net.parameters(), lr: 1e-3)
            func epoch() -> Tensor {
                let order = Tensor.randperm(samples).to(gpu)
                var loss = Tensor(0.0)
                for start in stride(from: 0, to: samples, by: bs) {
                    let idx = order.narrow(dim: 0, start: start, length: Swift.min(bs, samples - start))
                    loss = crossEntropy(net(images.indexSelect(dim: 0, idx)), labels.indexSelect(dim: 0, idx))
                    optimizer.zeroGrad()
                    loss.backward()
                    optimizer.step()
                }
                return loss
            }
            _ = epoch()   // warm-up: kernels compiled, memory cached
            var last = Tensor(0.0)
            let t = timed { last = epoch() }
            print(String(format: "mlp 784-256-256-10 batch %d: epoch %.3f s (%d steps), last loss %.4f", bs, t, (samples + bs - 1) / bs, last.item()))
        }
    }
}
