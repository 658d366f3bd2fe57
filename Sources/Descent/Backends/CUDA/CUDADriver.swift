#if canImport(Glibc)
import Glibc
#endif
import Foundation

// The CUDA driver, loaded at run time with `dlopen` (no CUDA headers or libraries are needed to
// build Descent). This is the first of the CUDA backend's three parts (driver, compiler, launcher):
// it finds `libcuda.so.1`, checks its version and counts the devices, and says exactly why CUDA
// cannot be used when it cannot. The kernels and the allocator build on it (issue #12).

/// Why CUDA cannot be used on this machine.
enum CUDAUnavailable: Error, CustomStringConvertible {
    /// `dlopen` found no driver library (no NVIDIA driver installed).
    case noDriverLibrary(path: String, dlerror: String)
    /// The library loaded but lacks a driver entry point.
    case missingSymbol(path: String, symbol: String)
    /// The driver is older than the CUDA 12.0 API this backend uses.
    case driverTooOld(version: Int32)
    /// `cuInit` failed (a driver without a usable GPU, or a container without the device files).
    case initFailed(code: Int32, name: String)
    /// The driver works but sees no device.
    case noDevice
    /// A device's context could not be made (the failing driver call).
    case contextFailed(String)
    /// NVRTC, which compiles the kernels for the device, cannot be loaded.
    case noNVRTC(String)
    /// The OpenCL runtime asked for by `DESCENT_CUDA_RUNTIME=opencl` cannot be used.
    case noOpenCL(String)
    /// cuBLAS cannot be loaded (matrix products then run on the backend's own kernel).
    case noCUBLAS(String)

    var description: String {
        switch self {
        case let .noDriverLibrary(path, err):
            return "no NVIDIA driver library: dlopen(\"\(path)\") failed (\(err)); install the NVIDIA driver to use a GPU"
        case let .missingSymbol(path, symbol): return "\(path) is not a CUDA driver library: it has no \(symbol)"
        case let .driverTooOld(v): return "the NVIDIA driver supports CUDA \(v / 1000).\(v % 1000 / 10); Descent needs CUDA 12.0 or newer (update the driver)"
        case let .initFailed(code, name): return "cuInit failed with \(name) (\(code)): the driver found no usable GPU"
        case .noDevice: return "the NVIDIA driver sees no CUDA device"
        case let .contextFailed(why): return "the CUDA device cannot be used: \(why)"
        case let .noNVRTC(why): return "the CUDA kernels cannot be compiled: \(why) (install NVRTC, e.g. `pip install nvidia-cuda-nvrtc-cu12`, and set DESCENT_NVRTC to its libnvrtc.so.12)"
        case let .noOpenCL(why): return "DESCENT_CUDA_RUNTIME=opencl: OpenCL cannot be used: \(why)"
        case let .noCUBLAS(why): return "cuBLAS cannot be used: \(why) (install it, e.g. `pip install nvidia-cublas-cu12`, and set DESCENT_CUBLAS to its libcublas.so.12)"
        }
    }
}

/// The driver's entry points this backend uses so far, bound once.
final class CUDADriver: @unchecked Sendable {
    typealias CUresult = Int32
    let path: String
    let library: DynamicLibrary
    let driverVersion: Int32
    /// The driver's name for an error code (`CUDA_ERROR_OUT_OF_MEMORY`).
    let errorName: (CUresult) -> String
    let deviceCount: Int

    /// The library name, or the path in `DESCENT_CUDA_DRIVER` (to test a machine without a GPU, or a driver elsewhere).
    static var libraryPath: String { ProcessInfo.processInfo.environment["DESCENT_CUDA_DRIVER"] ?? "libcuda.so.1" }

    /// The driver, loaded at first use, or why it cannot be.
    static let shared: Result<CUDADriver, CUDAUnavailable> = Result { try CUDADriver(path: libraryPath) }.mapError { $0 as! CUDAUnavailable }

    private init(path: String) throws {
        self.path = path
        let lib = try DynamicLibrary.open(path) { CUDAUnavailable.noDriverLibrary(path: path, dlerror: $0) }
        func symbol<T>(_ name: String, as t: T.Type) throws -> T {
            do { return try lib.symbol(name, as: t) } catch { throw CUDAUnavailable.missingSymbol(path: path, symbol: name) }
        }
        let cuInit = try symbol("cuInit", as: (@convention(c) (UInt32) -> CUresult).self)
        let cuDriverGetVersion = try symbol("cuDriverGetVersion", as: (@convention(c) (UnsafeMutablePointer<Int32>) -> CUresult).self)
        let cuDeviceGetCount = try symbol("cuDeviceGetCount", as: (@convention(c) (UnsafeMutablePointer<Int32>) -> CUresult).self)
        let cuGetErrorName = try symbol("cuGetErrorName", as: (@convention(c) (CUresult, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> CUresult).self)
        func name(_ code: CUresult) -> String {
            var p: UnsafePointer<CChar>? = nil
            return cuGetErrorName(code, &p) == 0 && p != nil ? String(cString: p!) : "CUDA error"
        }
        library = lib
        errorName = name
        var version: Int32 = 0
        _ = cuDriverGetVersion(&version)
        driverVersion = version
        if version < 12000 { throw CUDAUnavailable.driverTooOld(version: version) }
        let rc = cuInit(0)
        if rc != 0 { throw CUDAUnavailable.initFailed(code: rc, name: name(rc)) }
        var n: Int32 = 0
        let rc2 = cuDeviceGetCount(&n)
        if rc2 != 0 { throw CUDAUnavailable.initFailed(code: rc2, name: name(rc2)) }
        deviceCount = Int(n)
        if n == 0 { throw CUDAUnavailable.noDevice }
    }
}
