import ArgumentParser
import Foundation
@_spi(Testing) import Descent

/// `descent gpu-suite`: the GPU suite's checks on cuda:0 against the CPU, then lecture 05's timing
/// table (1,000 Adam steps of a 1-H-1 net on each device). The binary `Benchmarks/gpu/gpu-suite.sh`
/// runs on a GPU machine without Swift.
struct GPUSuite: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gpu-suite",
        abstract: "Runs every GPU check on cuda:0 against the CPU, then times lecture 05's experiment on both.")
    @Flag(help: "Without a CUDA device, run the CUDA backend on OpenCL (PoCL on the CPU).") var opencl = false
    @Option(parsing: .upToNextOption, help: "Hidden sizes of the timing experiment (none: skip it).") var hidden: [Int] = [512, 20480, 204800]
    @Option(help: "Adam steps per timing.") var steps = 1000

    func run() throws {
        if opencl { _ = CUDA.useOpenCLWithoutGPU() }
        guard CUDA.isAvailable() else {
            print("CUDA is not available: \(CUDA.unavailableReason ?? "unknown")")
            throw ExitCode(2)
        }
        print("device: cuda:0 = \(CUDA.runtimeDescription ?? "?")")
        if CUDA.runtimeDescription?.hasPrefix("CUDA") == true { print("matrix products: \(CUDA.blasDescription)") }
        var failed = 0
        for (name, check) in GPUChecks.all {
            let r = GPUCheckRecorder(), start = Date()
            do { try check(r) } catch { r.fail("threw \(error)") }
            let ms = Date().timeIntervalSince(start) * 1000
            if r.failures.isEmpty {
                print(String(format: "PASS %@ (%d comparisons, %.0f ms)", name, r.comparisons, ms))
            } else {
                failed += 1
                print("FAIL \(name): \(r.failures.count) of \(r.comparisons) comparisons")
                for f in r.failures.prefix(10) { print("  " + f.replacingOccurrences(of: "\n", with: "\n  ")) }
            }
        }
        if !hidden.isEmpty {
            print("lecture 05: \(steps) Adam steps of a 1-H-1 MSE net on 100 points (seconds)")
            for h in hidden {
                let cpu = Self.seconds(hidden: h, device: .cpu, steps: steps), gpu = Self.seconds(hidden: h, device: GPUChecks.gpu, steps: steps)
                let captured = Self.capturedSeconds(hidden: h, steps: steps)
                print(String(format: "H=%d cpu %.3f s gpu %.3f s gpu (captured step) %.3f s", h, cpu, gpu, captured))
            }
            let work = Self.workPerStep(hidden: hidden[0])
            print("one step on the GPU queues \(work.launches) kernels (cuBLAS calls included) and \(work.copies) device copies, and waits for the device \(work.waits) times")
        }
        let fallbacks = CUDA.hostFallbacks.map { "\($0.key) \($0.value)" }.sorted()
        print("host fallbacks: " + (fallbacks.isEmpty ? "none" : fallbacks.joined(separator: ", ")))
        if failed > 0 { throw ExitCode(1) }
    }

    /// Kernel launches and device copies of one steady lecture-05 step on the GPU.
    static func workPerStep(hidden: Int) -> (launches: Int, copies: Int, waits: Int) {
        func counts() -> [Int] { [GPUWorkCounter.launches, GPUWorkCounter.copies, GPUWorkCounter.synchronousTransfers] }
        _ = seconds(hidden: hidden, device: GPUChecks.gpu, steps: 2)
        let c0 = counts()
        _ = seconds(hidden: hidden, device: GPUChecks.gpu, steps: 3)
        let c1 = counts()
        _ = seconds(hidden: hidden, device: GPUChecks.gpu, steps: 4)
        let c2 = counts()
        let d = (0..<3).map { c2[$0] - c1[$0] - (c1[$0] - c0[$0]) }
        return (d[0], d[1], d[2])
    }

    /// Lecture 05's loop with the step captured in a CUDA graph after three warm-up steps (Adam with
    /// `capturable: true`), then replayed `steps` times.
    static func capturedSeconds(hidden: Int, steps: Int) -> Double {
        manualSeed(5)
        let device = GPUChecks.gpu
        let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1).to(device)
        let y = (Tensor.randn(100).reshape(-1, 1) * 0.01).to(device)
        let net = Sequential { Linear(1, hidden); ReLU(); Linear(hidden, 1) }
        net.to(device)
        let lossFn = MSELoss(), optimizer = Adam(net.parameters(), capturable: true)
        for _ in 0..<3 {
            lossFn(net(x), y).backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        let graph = CUDA.Graph()
        CUDA.graph(graph) {
            lossFn(net(x), y).backward()
            optimizer.step()
        }
        CUDA.synchronize()
        let start = Date()
        for _ in 0..<steps { graph.replay() }
        CUDA.synchronize()
        return Date().timeIntervalSince(start)
    }

    /// Lecture 05's `seconds(hidden:device:)`.
    static func seconds(hidden: Int, device: Device, steps: Int) -> Double {
        manualSeed(5)
        let x = Tensor.linspace(0, 1, count: 100).reshape(-1, 1).to(device)
        let y = (Tensor.randn(100).reshape(-1, 1) * 0.01).to(device)
        let net = Sequential { Linear(1, hidden); ReLU(); Linear(hidden, 1) }
        net.to(device)
        let lossFn = MSELoss(), optimizer = Adam(net.parameters())
        let start = Date()
        for _ in 0..<steps {
            let loss = lossFn(net(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        CUDA.synchronize()
        return Date().timeIntervalSince(start)
    }
}
