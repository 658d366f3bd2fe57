#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The GPU backend on an NVIDIA GPU through the CUDA driver API (bound at run time from the library
/// `CUDADriver` opened): a primary context per device, `cuMemAlloc` under the caching allocator,
/// kernels compiled by NVRTC for the device's architecture and launched on the calling thread's
/// current stream: the legacy default stream (PyTorch's default stream) unless `CUDA.stream(_:)` set
/// another. Copies are `cuMemcpy*Async` on that stream; the blocking ones then synchronize it, as
/// PyTorch's `copy_` does.
final class CUDARuntime: GPURuntime, @unchecked Sendable {
    typealias CUresult = Int32
    typealias Handle = OpaquePointer
    let ordinal: Int
    let deviceName: String
    let architecture: String
    /// The device's theoretical float32 throughput (multiprocessors × FP32 lanes × 2 × clock) and
    /// memory bandwidth (double data rate × bus width), when the driver reports the clocks.
    let peakFP32FlopsPerSecond: Double?, peakBytesPerSecond: Double?
    let multiprocessorCount: Int
    let maxThreadsPerMultiprocessor: Int
    private let context: Handle
    /// The compiler, set by the registry once the device works.
    var nvrtc: NVRTC?

    private let cuCtxSetCurrent: @convention(c) (Handle?) -> CUresult
    private let cuMemAlloc: @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> CUresult
    private let cuMemFree: @convention(c) (UInt64) -> CUresult
    private let cuMemHostAlloc: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int, UInt32) -> CUresult
    private let cuMemFreeHost: @convention(c) (UnsafeMutableRawPointer?) -> CUresult
    private let cuMemcpyHtoDAsync: @convention(c) (UInt64, UnsafeRawPointer?, Int, Handle?) -> CUresult
    private let cuMemcpyDtoHAsync: @convention(c) (UnsafeMutableRawPointer?, UInt64, Int, Handle?) -> CUresult
    private let cuMemcpyDtoDAsync: @convention(c) (UInt64, UInt64, Int, Handle?) -> CUresult
    private let cuStreamCreate: @convention(c) (UnsafeMutablePointer<Handle?>, UInt32) -> CUresult
    private let cuStreamSynchronize: @convention(c) (Handle?) -> CUresult
    private let cuStreamDestroy: @convention(c) (Handle?) -> CUresult
    private let cuStreamQuery: @convention(c) (Handle?) -> CUresult
    private let cuStreamWaitEvent: @convention(c) (Handle?, Handle?, UInt32) -> CUresult
    private let cuEventCreate: @convention(c) (UnsafeMutablePointer<Handle?>, UInt32) -> CUresult
    private let cuEventRecord: @convention(c) (Handle?, Handle?) -> CUresult
    private let cuEventQuery: @convention(c) (Handle?) -> CUresult
    private let cuEventSynchronize: @convention(c) (Handle?) -> CUresult
    private let cuEventElapsedTime: @convention(c) (UnsafeMutablePointer<Float>, Handle?, Handle?) -> CUresult
    private let cuEventDestroy: @convention(c) (Handle?) -> CUresult
    private let cuStreamBeginCapture: @convention(c) (Handle?, Int32) -> CUresult
    private let cuStreamEndCapture: @convention(c) (Handle?, UnsafeMutablePointer<Handle?>) -> CUresult
    private let cuGraphInstantiate: @convention(c) (UnsafeMutablePointer<Handle?>, Handle?, UInt64) -> CUresult
    private let cuGraphLaunch: @convention(c) (Handle?, Handle?) -> CUresult
    private let cuGraphExecDestroy: @convention(c) (Handle?) -> CUresult
    private let cuGraphDestroy: @convention(c) (Handle?) -> CUresult
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
        cuMemHostAlloc = try symbol("cuMemHostAlloc")
        cuMemFreeHost = try symbol("cuMemFreeHost")
        cuMemcpyHtoDAsync = try symbol("cuMemcpyHtoDAsync_v2")
        cuMemcpyDtoHAsync = try symbol("cuMemcpyDtoHAsync_v2")
        cuMemcpyDtoDAsync = try symbol("cuMemcpyDtoDAsync_v2")
        cuStreamCreate = try symbol("cuStreamCreate")
        cuStreamSynchronize = try symbol("cuStreamSynchronize")
        cuStreamDestroy = try symbol("cuStreamDestroy_v2")
        cuStreamQuery = try symbol("cuStreamQuery")
        cuStreamWaitEvent = try symbol("cuStreamWaitEvent")
        cuEventCreate = try symbol("cuEventCreate")
        cuEventRecord = try symbol("cuEventRecord")
        cuEventQuery = try symbol("cuEventQuery")
        cuEventSynchronize = try symbol("cuEventSynchronize")
        cuEventElapsedTime = try symbol("cuEventElapsedTime")
        cuEventDestroy = try symbol("cuEventDestroy_v2")
        cuStreamBeginCapture = try symbol("cuStreamBeginCapture_v2")
        cuStreamEndCapture = try symbol("cuStreamEndCapture")
        cuGraphInstantiate = try symbol("cuGraphInstantiateWithFlags")
        cuGraphLaunch = try symbol("cuGraphLaunch")
        cuGraphExecDestroy = try symbol("cuGraphExecDestroy")
        cuGraphDestroy = try symbol("cuGraphDestroy")
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
        var clock: Int32 = 0, memoryClock: Int32 = 0, busWidth: Int32 = 0
        _ = cuDeviceGetAttribute(&clock, 13, dev)         // CU_DEVICE_ATTRIBUTE_CLOCK_RATE (kHz)
        _ = cuDeviceGetAttribute(&memoryClock, 36, dev)   // CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE (kHz)
        _ = cuDeviceGetAttribute(&busWidth, 37, dev)      // CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH (bits)
        // FP32 lanes per multiprocessor: 64 on compute capability 7.x and 8.0, 128 on 8.6 and later
        let lanes = major < 8 || (major == 8 && minor == 0) ? 64.0 : 128.0
        peakFP32FlopsPerSecond = clock > 0 ? Double(sms) * lanes * 2 * Double(clock) * 1e3 : nil
        peakBytesPerSecond = memoryClock > 0 && busWidth > 0 ? Double(memoryClock) * 1e3 * 2 * Double(busWidth) / 8 : nil
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
        waitingTransfer("a copy from the host")
        guard bytes > 0 else { return }
        current()
        let s = currentStream
        check(cuMemcpyHtoDAsync(address, src, bytes, s), "cuMemcpyHtoDAsync")
        check(cuStreamSynchronize(s), "cuStreamSynchronize")
    }
    func uploadAsync(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64) {
        guard bytes > 0 else { return }
        refuseWhileCapturing("a copy from pinned memory")
        current(); check(cuMemcpyHtoDAsync(address, src, bytes, currentStream), "cuMemcpyHtoDAsync")
    }
    func download(from address: UInt64, bytes: Int, to dst: UnsafeMutableRawPointer) {
        waitingTransfer("a copy to the host")
        guard bytes > 0 else { return }
        current()
        let s = currentStream
        check(cuMemcpyDtoHAsync(dst, address, bytes, s), "cuMemcpyDtoHAsync")
        check(cuStreamSynchronize(s), "cuStreamSynchronize")
    }
    func copy(from src: UInt64, to dst: UInt64, bytes: Int) {
        GPUWorkCounter.copies += 1
        guard bytes > 0 else { return }
        current(); check(cuMemcpyDtoDAsync(dst, src, bytes, currentStream), "cuMemcpyDtoDAsync")
    }
    func allocateHost(_ bytes: Int) -> UnsafeMutableRawPointer? {
        current()
        var p: UnsafeMutableRawPointer? = nil
        let rc = cuMemHostAlloc(&p, Swift.max(bytes, 1), 1)   // CU_MEMHOSTALLOC_PORTABLE: pinned for every context
        if rc == 2 { return nil }
        check(rc, "cuMemHostAlloc(\(bytes))")
        return p
    }
    func freeHost(_ pointer: UnsafeMutableRawPointer) { current(); check(cuMemFreeHost(pointer), "cuMemFreeHost") }

    // MARK: streams and events

    func createStream() -> OpaquePointer {
        current()
        var s: Handle? = nil
        check(cuStreamCreate(&s, 1), "cuStreamCreate")   // CU_STREAM_NON_BLOCKING, as PyTorch's pool streams
        return s!
    }
    func destroyStream(_ stream: OpaquePointer) {
        current()
        releaseWorkspace(of: stream)
        check(cuStreamDestroy(stream), "cuStreamDestroy")
    }
    func synchronizeStream(_ stream: OpaquePointer?) { current(); check(cuStreamSynchronize(stream), "cuStreamSynchronize") }
    func streamIsIdle(_ stream: OpaquePointer?) -> Bool {
        current()
        let rc = cuStreamQuery(stream)
        if rc == 600 { return false }   // CUDA_ERROR_NOT_READY
        check(rc, "cuStreamQuery")
        return true
    }
    func createEvent(timing: Bool) -> OpaquePointer {
        current()
        var e: Handle? = nil
        check(cuEventCreate(&e, timing ? 0 : 2), "cuEventCreate")   // CU_EVENT_DISABLE_TIMING unless timing
        return e!
    }
    func record(_ event: OpaquePointer, on stream: OpaquePointer?) { current(); check(cuEventRecord(event, stream), "cuEventRecord") }
    func wait(_ stream: OpaquePointer?, for event: OpaquePointer) { current(); check(cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent") }
    func eventIsComplete(_ event: OpaquePointer) -> Bool {
        current()
        let rc = cuEventQuery(event)
        if rc == 600 { return false }
        check(rc, "cuEventQuery")
        return true
    }
    func synchronizeEvent(_ event: OpaquePointer) { current(); check(cuEventSynchronize(event), "cuEventSynchronize") }
    func elapsedMilliseconds(from start: OpaquePointer, to end: OpaquePointer) -> Double {
        current()
        var ms: Float = 0
        check(cuEventElapsedTime(&ms, start, end), "cuEventElapsedTime")
        return Double(ms)
    }
    func destroyEvent(_ event: OpaquePointer) { current(); check(cuEventDestroy(event), "cuEventDestroy") }

    // MARK: graphs

    /// The driver makes a stream that waits for an event recorded during a capture join it by itself.
    func joinCapture(_ stream: OpaquePointer) {}
    func beginCapture(_ stream: OpaquePointer) {
        // relaxed mode, as PyTorch's allocator switches to around cudaMalloc: new device memory may be taken mid-capture
        prepareBLAS(for: stream)
        current(); check(cuStreamBeginCapture(stream, 2), "cuStreamBeginCapture")   // CU_STREAM_CAPTURE_MODE_RELAXED
    }
    func endCapture(_ stream: OpaquePointer) -> OpaquePointer {
        current()
        var graph: Handle? = nil, exec: Handle? = nil
        check(cuStreamEndCapture(stream, &graph), "cuStreamEndCapture")
        check(cuGraphInstantiate(&exec, graph, 0), "cuGraphInstantiateWithFlags")
        check(cuGraphDestroy(graph), "cuGraphDestroy")   // the executable graph keeps what it needs
        return exec!
    }
    func launchGraph(_ graph: OpaquePointer, on stream: OpaquePointer?) {
        GPUWorkCounter.launches += 1
        current(); check(cuGraphLaunch(graph, stream), "cuGraphLaunch")
    }
    func destroyGraph(_ graph: OpaquePointer) { current(); check(cuGraphExecDestroy(graph), "cuGraphExecDestroy") }

    func compile(_ source: String, name: String) throws -> OpaquePointer {
        current()
        guard let nvrtc else { throw CUDAUnavailable.noNVRTC("NVRTC was not loaded") }
        // compiled once per machine: the kernel cache on disk, else NVRTC (then kept there)
        let cache = KernelCache.standard
        let target = nvrtc.target(for: architecture)
        let image: Data
        if let hit = cache?.load(name: name, source: source, target: target, compiler: nvrtc.version) {
            image = hit
        } else {
            image = try nvrtc.image(source, name: name, target: target)
            cache?.store(image, name: name, source: source, target: target, compiler: nvrtc.version)
        }
        var module: Handle? = nil
        try image.withUnsafeBytes { try Self.check(cuModuleLoadData(&module, $0.baseAddress), "cuModuleLoadData (\(name))", errorName) }
        return module!
    }
    func function(_ module: OpaquePointer, _ name: String) throws -> GPUFunction {
        current()   // the driver looks the function up in the calling thread's context
        var f: Handle? = nil
        try Self.check(cuModuleGetFunction(&f, module, name), "cuModuleGetFunction (\(name))", errorName)
        return GPUFunction(handle: f!)
    }

    func launch(_ function: GPUFunction, blocks: Int, threads: Int, _ args: [KernelArg]) {
        GPUWorkCounter.launches += 1
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
            check(cuLaunchKernel(function.handle, UInt32(blocks), 1, 1, UInt32(threads), 1, 1, 0, currentStream, &params, nil), "cuLaunchKernel")
        }
    }

    func synchronize() {
        refuseWhileCapturing("synchronize")
        GPUGraphCapture.refuseDeviceWideWait("synchronize")
        current(); check(cuCtxSynchronize(), "cuCtxSynchronize")
    }

    // MARK: cuBLAS

    /// This device's cuBLAS handle (created in its context at the first product) and its math mode.
    private var blasHandle: CUBLAS.Handle?
    private var blasMathMode: Int32 = -1
    /// The stream the handle and its workspace are set for (nil before the first product).
    private var blasStream: UInt?
    /// cuBLAS's workspace for each stream (as PyTorch keeps one per handle and stream: products queued
    /// on two streams may run at once and must not share scratch memory).
    private var workspaces: [UInt: UInt64] = [:]
    /// A workspace's size: 32 MiB from Hopper (compute capability 9) on, 4 MiB before (NVIDIA's sizes).
    static func blasWorkspaceBytes(architecture: String) -> Int {
        let major = (Int(architecture.dropFirst(3)) ?? 0) / 10
        return (major >= 9 ? 32 : 4) << 20
    }
    private let blasLock = NSLock()

    /// Points the handle (made at first use) at `stream` with that stream's workspace. Under `blasLock`.
    private func useBLAS(_ blas: CUBLAS, on stream: OpaquePointer?) {
        current()
        if blasHandle == nil {
            var h: CUBLAS.Handle? = nil
            let rc = blas.create(&h)
            if rc != 0 { fail("cuBLAS error: cublasCreate_v2 failed: \(blas.name(rc)) (\(rc))") }
            blasHandle = h
        }
        let key = UInt(bitPattern: stream)
        guard blasStream != key else { return }
        let rc = blas.setStream(blasHandle, stream)
        if rc != 0 { fail("cuBLAS error: cublasSetStream_v2 failed: \(blas.name(rc)) (\(rc))") }
        blasStream = key
        // setting the stream resets the workspace to cuBLAS's own pool: give it this stream's, as PyTorch
        // does, so that products captured in a graph keep a workspace that lives as long as the stream
        let bytes = Self.blasWorkspaceBytes(architecture: architecture)
        let address: UInt64
        if let a = workspaces[key] { address = a } else {
            guard let a = allocate(bytes) else { fail("CUDA out of memory: cannot allocate cuBLAS's workspace of \(bytes >> 20) MiB") }
            workspaces[key] = a
            address = a
        }
        let rc2 = blas.setWorkspace(blasHandle, address, bytes)
        if rc2 != 0 { fail("cuBLAS error: cublasSetWorkspace_v2 failed: \(blas.name(rc2)) (\(rc2))") }
    }
    /// Makes cuBLAS's handle and the stream's workspace before a capture on `stream` (creating them
    /// inside it would allocate and synchronize where CUDA forbids it).
    private func prepareBLAS(for stream: OpaquePointer) {
        guard case .success(let blas) = CUBLAS.shared else { return }
        blasLock.lock(); defer { blasLock.unlock() }
        useBLAS(blas, on: stream)
    }
    /// Frees a destroyed stream's workspace once its work has run.
    private func releaseWorkspace(of stream: OpaquePointer) {
        blasLock.lock(); defer { blasLock.unlock() }
        let key = UInt(bitPattern: stream)
        guard let a = workspaces.removeValue(forKey: key) else { return }
        if blasStream == key { blasStream = nil; _ = (try? CUBLAS.shared.get())?.setStream(blasHandle, nil) }
        check(cuStreamSynchronize(stream), "cuStreamSynchronize")
        free(a)
    }

    func blasGemm(_ g: BLASGemm, tf32: Bool) -> Bool {
        guard case .success(let blas) = CUBLAS.shared else { return false }
        // cublasSgemm takes 32-bit sizes: larger products go to the backend's kernel
        guard [g.m, g.n, g.k, g.lda, g.ldb, g.ldc].allSatisfy({ $0 <= Int(Int32.max) }) else { return false }
        GPUWorkCounter.launches += 1
        blasLock.lock(); defer { blasLock.unlock() }
        // the product runs on the calling thread's current stream, as PyTorch sets it on its handle
        useBLAS(blas, on: currentStream)
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
