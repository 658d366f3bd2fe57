import Foundation
import Testing
@_spi(Testing) import Descent
import DescentCommands

// The GPU suite: every op on `.cuda(0)` against the same op on the CPU, forward and backward (the
// checks are in Sources/DescentCommands/GPUChecks.swift, shared with `descent gpu-suite`).
// On a machine with an NVIDIA GPU it runs on CUDA; elsewhere on the CUDA backend's OpenCL runtime
// (PoCL's CPU device), so the kernels' indexing, work-groups, local memory and barriers, the
// allocator and the host-device copies are checked on every commit. `.ci/run` sets
// DESCENT_REQUIRE_GPU_SUITE=1 (with PoCL installed), so there it runs, never skips.

enum GPUSuite {
    static let available: Bool = CUDA.useOpenCLWithoutGPU()
    static let enabled = available || ProcessInfo.processInfo.environment["DESCENT_REQUIRE_GPU_SUITE"] == "1"
    static let gpu = Device.cuda(0)
}

// Inside `Core`, whose tests run one at a time: the checks seed the global generators (`manualSeed`
// seeds the CUDA ones too) and read the CUDA generator's offset.
extension Core {
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
}
}

extension Core.GPUSuiteTests {
    /// The same sources build with OpenCL (PoCL's clang) without a warning, as they must with NVRTC.
    @Test func kernelSourcesBuildWithOpenCLWithoutWarnings() throws {
        guard CUDA.runtimeDescription?.hasPrefix("OpenCL") == true else { return }   // on a GPU, NVRTC compiled them
        let logs = try CUDAKernelCheck.openCLBuildLogs()
        #expect(logs.count == CUDAKernelCheck.sourceNames.count)
        for (name, log) in logs { #expect(!log.contains("warning") && !log.contains("error"), "\(name):\n\(log)") }
    }
}

extension Core.GPUSuiteTests {
    /// Each of the GPU suite's checks (Sources/DescentCommands/GPUChecks.swift), on cuda:0 against the CPU.
    @Test(arguments: GPUChecks.names) func check(_ name: String) throws {
        let recorder = GPUCheckRecorder()
        try GPUChecks.all.first { $0.name == name }!.run(recorder)
        #expect(recorder.comparisons > 0)
        #expect(recorder.failures.isEmpty, "\(recorder.failures.joined(separator: "\n"))")
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

    @Test func bceOnProbabilitiesOutsideZeroOneStopsOnTheGPU() async {
        // F.binary_cross_entropy(torch.tensor([0.5, 1.5]).cuda(), torch.tensor([1., 0.]).cuda())
        // RuntimeError: all elements of input should be between 0 and 1
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = binaryCrossEntropy(Tensor([0.5, 1.5]).to(.cuda(0)), Tensor([1.0, 0.0]).to(.cuda(0)))
        }
        #expect(stderr(r).contains("all elements of input should be between 0 and 1"), "\(stderr(r))")
        // the first bad element decides, as on the CPU: here a target (element 0) before an input (element 1)
        let t = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = binaryCrossEntropy(Tensor([0.5, 1.5]).to(.cuda(0)), Tensor([2.0, 0.0]).to(.cuda(0)))
        }
        #expect(stderr(t).contains("all elements of target should be between 0 and 1"), "\(stderr(t))")
    }

    /// multinomial with replacement on CUDA checks its probabilities before its kernel runs, with the
    /// messages of PyTorch's CPU kernel (its CUDA kernel asserts them on the device).
    @Test func multinomialWithReplacementRefusesBadProbabilities() async {
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = Tensor([[0.2, 0.3, 0.5], [0.5, -0.1, 0.6]]).to(.cuda(0)).multinomial(4, replacement: true)
        }
        #expect(stderr(negative).contains("invalid multinomial distribution (encountering probability entry < 0)"), "\(stderr(negative))")
        let nan = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = Tensor([[0.2, 0.3, 0.5], [0.5, .nan, 0.5]]).to(.cuda(0)).multinomial(4, replacement: true)
        }
        #expect(stderr(nan).contains("invalid multinomial distribution (encountering probability entry = infinity or NaN)"), "\(stderr(nan))")
        let zero = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = Tensor([[0.2, 0.3, 0.5], [0.0, 0.0, 0.0]]).to(.cuda(0)).multinomial(4, replacement: true)
        }
        #expect(stderr(zero).contains("invalid multinomial distribution (sum of probabilities <= 0)"), "\(stderr(zero))")
    }

    /// What a CUDA graph cannot capture stops with a message: waiting for the device (also in
    /// multinomial's check), Adam without `capturable`, and an optimizer's first step.
    @Test func whatAGraphCannotCaptureStops() async {
        let wait = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let x = Tensor([1.0, 2.0]).to(.cuda(0))
            CUDA.graph(CUDA.Graph()) { _ = (x * 2).sum().item() }
        }
        #expect(stderr(wait).contains("operation not permitted when stream is capturing (a copy to the host waits for the device"), "\(stderr(wait))")
        // multinomial without replacement reads its probabilities' check on the host, as PyTorch's does
        let random = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let p = Tensor([0.2, 0.8]).to(.cuda(0))
            CUDA.graph(CUDA.Graph()) { _ = p.multinomial(1) }
        }
        #expect(stderr(random).contains("operation not permitted when stream is capturing"), "\(stderr(random))")
        // torch: Adam(params) stepped inside torch.cuda.graph(g):
        // RuntimeError: Attempting CUDA graph capture of step() for an instance of Adam but param_groups' capturable is False.
        let adam = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let p = Parameter(Tensor([1.0, 2.0]).to(.cuda(0)))
            let opt = Adam([p])
            p.grad = Tensor([1.0, 1.0]).to(.cuda(0))
            opt.step()
            CUDA.graph(CUDA.Graph()) { opt.step() }
        }
        #expect(stderr(adam).contains("Attempting CUDA graph capture of step() for an instance of Adam but param_groups' capturable is False."), "\(stderr(adam))")
        let first = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let p = Parameter(Tensor([1.0, 2.0]).to(.cuda(0)))
            let opt = SGD([p], lr: 0.1, momentum: 0.9)
            p.grad = Tensor([1.0, 1.0]).to(.cuda(0))
            CUDA.graph(CUDA.Graph()) { opt.step() }
        }
        #expect(stderr(first).contains("SGD.step() makes its state at the first step, which a CUDA graph cannot capture"), "\(stderr(first))")
        // optimizers whose update reads a host step count refuse, as PyTorch's capture health check does
        let adagrad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let p = Parameter(Tensor([1.0, 2.0]).to(.cuda(0)))
            let opt = Adagrad([p])
            p.grad = Tensor([1.0, 1.0]).to(.cuda(0))
            opt.step()
            CUDA.graph(CUDA.Graph()) { opt.step() }
        }
        #expect(stderr(adagrad).contains("this optimizer's update (it reads its step count or scalars kept on the host"), "\(stderr(adagrad))")
        // another stream takes part only after it waits for the capturing stream, and must be joined back
        let streams = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let side = CUDA.Stream()
            CUDA.graph(CUDA.Graph()) { CUDA.stream(side) {} }
        }
        #expect(stderr(streams).contains("switching to a stream that has not joined the CUDA graph capture: make it wait for the capturing stream first"), "\(stderr(streams))")
        let unjoined = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let side = CUDA.Stream(), x = Tensor([1.0, 2.0]).to(.cuda(0))
            CUDA.graph(CUDA.Graph()) {
                side.waitStream(CUDA.currentStream())
                CUDA.stream(side) { _ = x * 2 }
            }
        }
        #expect(stderr(unjoined).contains("joined the capture and was not joined back"), "\(stderr(unjoined))")
        // CUDA refuses a capturing stream's wait for an event recorded before the capture
        let outside = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            let e = CUDA.currentStream().recordEvent()
            CUDA.graph(CUDA.Graph()) { CUDA.currentStream().waitEvent(e) }
        }
        #expect(stderr(outside).contains("a stream capturing a CUDA graph cannot wait for an event recorded outside the capture"), "\(stderr(outside))")
        let streamSync = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            CUDA.graph(CUDA.Graph()) { CUDA.currentStream().synchronize() }
        }
        #expect(stderr(streamSync).contains("operation not permitted when stream is capturing (Stream.synchronize()"), "\(stderr(streamSync))")
        // a wait for the whole device on another thread while this one captures
        let otherThread = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            CUDA.graph(CUDA.Graph()) {
                let t = Thread { CUDA.synchronize() }
                t.start()
                sleep(5)
            }
        }
        #expect(stderr(otherThread).contains("synchronize waits for the whole device while a CUDA graph is being captured"), "\(stderr(otherThread))")
    }

    @Test func aGeneratorOfAnotherDeviceTypeStopsAsInPyTorch() async {
        // torch.randn(3, device='cuda', generator=torch.Generator())
        // RuntimeError: Expected a 'cuda' device type for generator but found 'cpu'
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = CUDA.useOpenCLWithoutGPU()
            _ = Tensor.randn([3], device: .cuda(0), generator: Generator())
        }
        #expect(stderr(r).contains("Expected a 'cuda' device type for generator but found 'cpu'"), "\(stderr(r))")
        let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.rand([3], generator: Generator(device: .cuda(0)))
        }
        #expect(stderr(c).contains("Expected a 'cpu' device type for generator but found 'cuda'"), "\(stderr(c))")
    }
}
