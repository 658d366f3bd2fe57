import Foundation
import Testing
@_spi(Testing) import Descent

/// The CUDA backend's kernel sources compile with the real NVRTC for sm_80 and sm_90, without a
/// warning (no GPU needed). `.ci/run` installs NVIDIA's NVRTC wheel in a throwaway virtualenv and
/// sets `DESCENT_NVRTC` and `DESCENT_REQUIRE_NVRTC=1`, so in CI these tests run, never skip.
@Suite struct CUDAKernelCompile {
    static var enabled: Bool {
        CUDAKernelCheck.isAvailable || ProcessInfo.processInfo.environment["DESCENT_REQUIRE_NVRTC"] == "1"
    }

    @Test(.enabled(if: enabled, "NVRTC not found (set DESCENT_NVRTC to libnvrtc.so.12)"))
    func everySourceCompilesForAmpereAndHopper() throws {
        let report = try CUDAKernelCheck.compileAll(architectures: ["sm_80", "sm_90"])
        // every source, two architectures each
        #expect(CUDAKernelCheck.sourceNames == ["elementwise", "reductions", "indexing", "training", "random", "conv"])
        #expect(report.count == 2 * CUDAKernelCheck.sourceNames.count)
        #expect(report.allSatisfy { $0.contains("kernels") })
    }

    /// The runtime loads machine code for a GPU this NVRTC knows, and PTX for the newest virtual
    /// architecture below one it does not (the driver compiles it); NVRTC 12 knows sm_80 and sm_90.
    @Test func theTargetIsTheDevicesOwnArchitectureWhenNVRTCKnowsIt() {
        #expect(CUDAKernelCheck.target(for: "sm_90", supported: [75, 80, 86, 89, 90]) == "sm_90")
        #expect(CUDAKernelCheck.target(for: "sm_120", supported: [75, 80, 86, 89, 90]) == "compute_90")
        #expect(CUDAKernelCheck.target(for: "sm_87", supported: [75, 80, 86, 89, 90]) == "compute_86")
        #expect(CUDAKernelCheck.target(for: "sm_90", supported: nil) == "sm_90")
        #expect(CUDAKernelCheck.target(for: "sm_50", supported: [75, 80]) == "sm_50")   // too old: NVRTC's own error says so
        if CUDAKernelCheck.isAvailable {
            let archs = CUDAKernelCheck.supportedArchitectures ?? []
            #expect(archs.contains(80) && archs.contains(90), "\(archs)")
        }
    }

    @Test(.enabled(if: enabled, "NVRTC not found (set DESCENT_NVRTC to libnvrtc.so.12)"))
    func compileErrorsAndWarningsAreReportedWithTheLog() throws {
        #expect(throws: (any Error).self) {
            _ = try CUDAKernelCheck.compile("extern \"C\" __global__ void k(float *x) { x[0] = undefined_name; }", name: "broken", arch: "sm_90")
        }
        do {
            _ = try CUDAKernelCheck.compile("extern \"C\" __global__ void k(float *x) { x[0] = undefined_name; }", name: "broken", arch: "sm_90")
        } catch {
            #expect("\(error)".contains("undefined_name"))
        }
        // a warning (an unused variable) fails too
        let warned = (try? CUDAKernelCheck.compile("extern \"C\" __global__ void k(float *x) { int unused = 3; x[0] = 1.0f; }", name: "warned", arch: "sm_90")) == nil
        #expect(warned)
        // and a clean kernel gives PTX with its entry
        let ptx = try CUDAKernelCheck.compile("extern \"C\" __global__ void k(float *x) { x[threadIdx.x] = 1.0f; }", name: "ok", arch: "sm_80")
        #expect(ptx.contains(".entry k("))
    }
}
