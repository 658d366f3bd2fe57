#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The GPU backend on an NVIDIA GPU through the CUDA driver API (bound at run time from the library
/// `CUDADriver` opened): a primary context per device, `cuMemAlloc` under the caching allocator,
/// kernels compiled by NVRTC for the device's architecture and launched on the legacy default
/// stream (one in-order queue, as PyTorch's default stream).
final class CUDARuntime: GPURuntime, @unchecked Sendable {
    typealias CUresult = Int32
    typealias Handle = OpaquePointer
    let ordinal: Int
    let deviceName: String
    let architecture: String
    let multiprocessorCount: Int
    let maxThreadsPerMultiprocessor: Int
    private let context: Handle
    /// The compiler, set by the registry once the device works.
    var nvrtc: NVRTC?

    private let cuCtxSetCurrent: @convention(c) (Handle?) -> CUresult
    private let cuMemAlloc: @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> CUresult
    private let cuMemFree: @convention(c) (UInt64) -> CUresult
    private let cuMemcpyHtoD: @convention(c) (UInt64, UnsafeRawPointer?, Int) -> CUresult
    private let cuMemcpyDtoH: @convention(c) (UnsafeMutableRawPointer?, UInt64, Int) -> CUresult
    private let cuMemcpyDtoD: @convention(c) (UInt64, UInt64, Int) -> CUresult
    private let cuModuleLoadData: @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeRawPointer?) -> CUresult
    private let cuModuleGetFunction: @convention(c) (UnsafeMutablePointer<Handle?>, Handle?, UnsafePointer<CChar>?) -> CUresult
    private let cuLaunchKernel: @convention(c) (Handle?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Handle?,
                                                UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    private let cuCtxSynchronize: @convention(c) () -> CUresult
    private let errorName: (CUresult) -> String

    init(driver: CUDADriver, ordinal: Int) throws {
        self.ordinal = ordinal
        let lib = driver.library
        func symbol<T>(_ name: String, as t: T.Type = T.self) throws -> T {
            do { return try lib.symbol(name, as: t) } catch { throw CUDAUnavailable.missingSymbol(path: driver.path, symbol: name) }
        }
        let cuDeviceGet = try symbol("cuDeviceGet", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> CUresult).self)
        let cuDeviceGetName = try symbol("cuDeviceGetName", as: (@convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> CUresult).self)
        let cuDeviceGetAttribute = try symbol("cuDeviceGetAttribute", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> CUresult).self)
        let cuDevicePrimaryCtxRetain = try symbol("cuDevicePrimaryCtxRetain", as: (@convention(c) (UnsafeMutablePointer<Handle?>, Int32) -> CUresult).self)
        cuCtxSetCurrent = try symbol("cuCtxSetCurrent")
        cuMemAlloc = try symbol("cuMemAlloc_v2")
        cuMemFree = try symbol("cuMemFree_v2")
        cuMemcpyHtoD = try symbol("cuMemcpyHtoD_v2")
        cuMemcpyDtoH = try symbol("cuMemcpyDtoH_v2")
        cuMemcpyDtoD = try symbol("cuMemcpyDtoD_v2")
        cuModuleLoadData = try symbol("cuModuleLoadData")
        cuModuleGetFunction = try symbol("cuModuleGetFunction")
        cuLaunchKernel = try symbol("cuLaunchKernel")
        cuCtxSynchronize = try symbol("cuCtxSynchronize")
        errorName = driver.errorName

        var dev: Int32 = 0
        try Self.check(cuDeviceGet(&dev, Int32(ordinal)), "cuDeviceGet", driver.errorName)
        var name = [CChar](repeating: 0, count: 256)
        _ = cuDeviceGetName(&name, 255, dev)
        deviceName = String(cString: name)
        var major: Int32 = 0, minor: Int32 = 0
        _ = cuDeviceGetAttribute(&major, 75, dev)   // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
        _ = cuDeviceGetAttribute(&minor, 76, dev)   // ..._MINOR
        architecture = "sm_\(major)\(minor)"
        var sms: Int32 = 0, threads: Int32 = 0
        _ = cuDeviceGetAttribute(&sms, 16, dev)       // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
        _ = cuDeviceGetAttribute(&threads, 39, dev)   // CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR
        multiprocessorCount = Int(Swift.max(sms, 1)); maxThreadsPerMultiprocessor = Int(Swift.max(threads, 256))
        var ctx: Handle? = nil
        try Self.check(cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain", driver.errorName)
        guard let c = ctx else { throw CUDAUnavailable.initFailed(code: -1, name: "no primary context") }
        context = c
        try Self.check(cuCtxSetCurrent(c), "cuCtxSetCurrent", driver.errorName)
    }

    private static func check(_ rc: CUresult, _ call: String, _ name: (CUresult) -> String) throws {
        if rc != 0 { throw GPUError(call: call, code: rc, name: name(rc)) }
    }
    /// Stops with the failing call and the driver's error name (a kernel fault surfaces at the next call).
    private func check(_ rc: CUresult, _ call: String) {
        if rc != 0 { fail("CUDA error: \(GPUError(call: call, code: rc, name: errorName(rc)))") }
    }
    /// Makes this device's context current on the calling thread (the driver's state is per thread).
    @inline(__always) private func current() { _ = cuCtxSetCurrent(context) }

    var description: String { "CUDA (\(deviceName), \(architecture))" }

    func allocate(_ bytes: Int) -> UInt64? {
        current()
        var p: UInt64 = 0
        let rc = cuMemAlloc(&p, Swift.max(bytes, 1))
        if rc == 2 { return nil }   // CUDA_ERROR_OUT_OF_MEMORY: the caching allocator frees its cache and retries
        check(rc, "cuMemAlloc(\(bytes))")
        return p
    }
    func free(_ address: UInt64) { current(); check(cuMemFree(address), "cuMemFree") }
    func upload(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64) {
        guard bytes > 0 else { return }
        current(); check(cuMemcpyHtoD(address, src, bytes), "cuMemcpyHtoD")
    }
    func download(from address: UInt64, bytes: Int, to dst: UnsafeMutableRawPointer) {
        guard bytes > 0 else { return }
        current(); check(cuMemcpyDtoH(dst, address, bytes), "cuMemcpyDtoH")
    }
    func copy(from src: UInt64, to dst: UInt64, bytes: Int) {
        guard bytes > 0 else { return }
        current(); check(cuMemcpyDtoD(dst, src, bytes), "cuMemcpyDtoD")
    }

    func compile(_ source: String, name: String) throws -> OpaquePointer {
        current()
        guard let nvrtc else { throw CUDAUnavailable.noNVRTC("NVRTC was not loaded") }
        let ptx = try nvrtc.compile(source, name: name, arch: architecture).ptx
        var module: Handle? = nil
        try ptx.withCString { try Self.check(cuModuleLoadData(&module, $0), "cuModuleLoadData (\(name))", errorName) }
        return module!
    }
    func function(_ module: OpaquePointer, _ name: String) throws -> GPUFunction {
        var f: Handle? = nil
        try Self.check(cuModuleGetFunction(&f, module, name), "cuModuleGetFunction (\(name))", errorName)
        return GPUFunction(handle: f!)
    }

    func launch(_ function: GPUFunction, blocks: Int, threads: Int, _ args: [KernelArg]) {
        current()
        // Each parameter's value in its own 8-byte-aligned slot; cuLaunchKernel reads them through pointers.
        var words: [Int64] = []
        var starts: [Int] = []
        for a in args {
            switch a {
            case .i32(let v): starts.append(words.count); words.append(Int64(v))   // little-endian: the low 4 bytes
            case .i64(let v): starts.append(words.count); words.append(v)
            case .f64(let v): starts.append(words.count); words.append(Int64(bitPattern: v.bitPattern))
            case let .tensor(address, elementOffset, _):
                starts.append(words.count); words.append(Int64(bitPattern: address))
                starts.append(words.count); words.append(Int64(elementOffset))
            case .null:
                starts.append(words.count); words.append(0)
                starts.append(words.count); words.append(0)
            case .bytes(let w): starts.append(words.count); words.append(contentsOf: w)
            }
        }
        words.withUnsafeMutableBytes { raw in
            var params: [UnsafeMutableRawPointer?] = starts.map { raw.baseAddress! + $0 * 8 }
            check(cuLaunchKernel(function.handle, UInt32(blocks), 1, 1, UInt32(threads), 1, 1, 0, nil, &params, nil), "cuLaunchKernel")
        }
    }

    func synchronize() { current(); check(cuCtxSynchronize(), "cuCtxSynchronize") }

    // MARK: cuBLAS

    /// This device's cuBLAS handle (created in its context at the first product) and its math mode.
    private var blasHandle: CUBLAS.Handle?
    private var blasMathMode: Int32 = -1
    private let blasLock = NSLock()

    func blasGemm(_ g: BLASGemm, tf32: Bool) -> Bool {
        guard case .success(let blas) = CUBLAS.shared else { return false }
        blasLock.lock(); defer { blasLock.unlock() }
        current()
        if blasHandle == nil {
            var h: CUBLAS.Handle? = nil
            let rc = blas.create(&h)
            if rc != 0 { fail("cuBLAS error: cublasCreate_v2 failed: \(blas.name(rc)) (\(rc))") }
            blasHandle = h
        }
        // PyTorch's handle setup: TF32 tensor-op math for float32 only when allowed, else the default math
        let mode: Int32 = tf32 && !g.double ? 3 : 0   // CUBLAS_TF32_TENSOR_OP_MATH, CUBLAS_DEFAULT_MATH
        if mode != blasMathMode {
            let rc = blas.setMathMode(blasHandle, mode)
            if rc != 0 { fail("cuBLAS error: cublasSetMathMode failed: \(blas.name(rc)) (\(rc))") }
            blasMathMode = mode
        }
        let ta: Int32 = g.transA ? 1 : 0, tb: Int32 = g.transB ? 1 : 0   // CUBLAS_OP_T, CUBLAS_OP_N
        let rc: Int32
        if g.double {
            var alpha = g.alpha, beta = g.beta
            rc = blas.dgemm(blasHandle, ta, tb, Int32(g.m), Int32(g.n), Int32(g.k), &alpha, g.a, Int32(g.lda), g.b, Int32(g.ldb), &beta, g.c, Int32(g.ldc))
        } else {
            var alpha = Float(g.alpha), beta = Float(g.beta)
            rc = blas.sgemm(blasHandle, ta, tb, Int32(g.m), Int32(g.n), Int32(g.k), &alpha, g.a, Int32(g.lda), g.b, Int32(g.ldb), &beta, g.c, Int32(g.ldc))
        }
        if rc != 0 { fail("cuBLAS error: \(g.double ? "cublasDgemm_v2" : "cublasSgemm_v2") failed: \(blas.name(rc)) (\(rc)) for m=\(g.m) n=\(g.n) k=\(g.k)") }
        return true
    }
}
