import Foundation
import Testing
import Descent

/// The CUDA driver loader: without a GPU it must say which part is missing. Each case runs in a child
/// process (the driver is loaded once per process), pointed at a library by `DESCENT_CUDA_DRIVER`:
/// a missing path, a library that is not a driver, and fake drivers built here with the C compiler
/// that report an old version, a failing cuInit, no device, or two devices.
@Suite struct CUDADriverLoading {
    /// Builds a fake `libcuda` whose entry points return the given values; nil when no C compiler is found.
    static func fakeDriver(version: Int32, initResult: Int32, devices: Int32) -> String? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-fakecuda-\(version)-\(initResult)-\(devices)-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("fake.c"), lib = dir.appendingPathComponent("libcuda.so.1")
        let code = """
        int cuDriverGetVersion(int *v) { *v = \(version); return 0; }
        int cuInit(unsigned flags) { return \(initResult); }
        int cuDeviceGetCount(int *n) { *n = \(devices); return 0; }
        int cuGetErrorName(int e, const char **s) { *s = e == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_UNKNOWN"; return 0; }
        """
        guard (try? code.write(to: src, atomically: true, encoding: .utf8)) != nil else { return nil }
        for cc in ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: cc) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: cc)
            p.arguments = ["-shared", "-fPIC", "-o", lib.path, src.path]
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return lib.path }
        }
        return nil
    }

    static var hasCompiler: Bool { ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].contains { FileManager.default.isExecutableFile(atPath: $0) } }

    @Test func aMissingLibraryIsNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("DESCENT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
            if CUDA.isAvailable() || CUDA.deviceCount() != 0 { exit(3) }
        }
        #expect(stderr(r).contains("no NVIDIA driver library: dlopen(\"/nonexistent/libcuda.so.1\") failed"))
    }

    @Test func aLibraryThatIsNotADriverIsNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("DESCENT_CUDA_DRIVER", "libm.so.6", 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r).contains("libm.so.6 is not a CUDA driver library: it has no cuInit"))
    }

    @Test(.enabled(if: hasCompiler)) func oldDriversFailingInitAndNoDevicesAreNamed() async {
        let r1 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let old = CUDADriverLoading.fakeDriver(version: 11080, initResult: 0, devices: 1) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", old, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r1).contains("the NVIDIA driver supports CUDA 11.8; Descent needs CUDA 12.0 or newer"))
        let r2 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let noGPU = CUDADriverLoading.fakeDriver(version: 12040, initResult: 100, devices: 0) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", noGPU, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r2).contains("cuInit failed with CUDA_ERROR_NO_DEVICE (100)"))
        let r3 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let none = CUDADriverLoading.fakeDriver(version: 12040, initResult: 0, devices: 0) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", none, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r3).contains("the NVIDIA driver sees no CUDA device"))
    }

    /// A driver that counts two devices but lacks the calls that make a context: the count stands,
    /// and the reason names the missing entry point.
    @Test(.enabled(if: hasCompiler)) func anIncompleteDriverIsCountedAndNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let two = CUDADriverLoading.fakeDriver(version: 12040, initResult: 0, devices: 2) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", two, 1)
            FileHandle.standardError.write(Data("count=\(CUDA.deviceCount()) \(CUDA.unavailableReason ?? "available")".utf8))
            if CUDA.isAvailable() { exit(3) }
        }
        #expect(stderr(r).contains("count=2 ") && stderr(r).contains("is not a CUDA driver library: it has no cuDeviceGet"), "\(stderr(r))")
    }
}
