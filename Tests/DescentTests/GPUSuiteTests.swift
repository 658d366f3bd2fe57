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
