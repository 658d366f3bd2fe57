import Foundation

/// One GPU as the backend uses it: its runtime, its caching allocator and its compiled kernels.
final class GPUContext: @unchecked Sendable {
    let runtime: GPURuntime
    let allocator: CachingAllocator
    private let lock = NSLock()
    private var modules: [String: OpaquePointer] = [:]
    private var functions: [String: GPUFunction] = [:]

    init(runtime: GPURuntime) {
        self.runtime = runtime
        allocator = CachingAllocator(device: runtime, events: runtime)
    }

    /// PyTorch's stream pool: 32 streams per device, made at first use and handed out round-robin
    /// (streams are never destroyed, so a `Stream()` in a loop costs nothing new).
    private var streamPool: [OpaquePointer] = []
    private var nextPoolStream = 0
    func poolStream() -> OpaquePointer {
        lock.lock(); defer { lock.unlock() }
        if streamPool.count < 32 { streamPool.append(runtime.createStream()) ; return streamPool.last! }
        defer { nextPoolStream = (nextPoolStream + 1) % 32 }
        return streamPool[nextPoolStream]
    }
    /// Marks the block at `address` as used on `stream` too (`Tensor.recordStream`).
    func recordStream(_ address: UInt64, stream: OpaquePointer?) {
        lock.lock(); defer { lock.unlock() }
        allocator.recordStream(address, stream: streamID(stream))
    }

    /// The kernel `name`, compiling its source at first use.
    func function(_ name: String) -> GPUFunction {
        lock.lock(); defer { lock.unlock() }
        if let f = functions[name] { return f }
        guard let (sourceName, source) = KernelSource.source(of: name) else { fatalError("no GPU kernel named \(name)") }
        do {
            let module: OpaquePointer
            if let m = modules[sourceName] { module = m } else {
                module = try runtime.compile(source, name: sourceName)
                modules[sourceName] = module
            }
            let f = try runtime.function(module, name)
            functions[name] = f
            return f
        } catch {
            fail("the GPU kernels \(sourceName) did not compile for \(runtime): \(error)")
        }
    }

    /// `bytes` of device memory from the caching allocator (PyTorch's out-of-memory message when full).
    func allocate(_ bytes: Int) -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        // during a capture, every stream taking part allocates from the graph's private pool
        let stream = CUDA.Graph.capturingOnThisThread?.poolStream(device: runtime.ordinal) ?? runtime.currentStream
        do { return try allocator.allocate(bytes, stream: streamID(stream)) } catch { fail("\(error)") }
    }
    func free(_ address: UInt64) {
        lock.lock(); defer { lock.unlock() }
        allocator.free(address)
    }
    /// The allocator's statistics and controls, under the lock.
    func withAllocator<R>(_ body: (CachingAllocator) -> R) -> R {
        lock.lock(); defer { lock.unlock() }
        return body(allocator)
    }
}

/// Page-locked host memory for all devices (`Tensor.pinMemory()`), from the first device's runtime,
/// under one lock.
enum PinnedMemory {
    private static let lock = NSLock()
    private nonisolated(unsafe) static var shared: PinnedHostAllocator?

    private static func allocator() -> PinnedHostAllocator {
        if let a = shared { return a }
        guard case .success(let c) = GPURegistry.contexts, let first = c.first else {
            fail("Cannot access accelerator device when none is available: \(CUDA.unavailableReason ?? "no CUDA device")")
        }
        let a = PinnedHostAllocator(host: first.runtime) { GPURegistry.context($0).runtime }
        shared = a
        return a
    }
    /// A page-locked buffer of at least `bytes`; stops when no GPU runtime can pin memory.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        lock.lock(); defer { lock.unlock() }
        guard let p = allocator().allocate(bytes) else { fail("pin_memory: cannot allocate \(bytes) bytes of page-locked host memory") }
        return p
    }
    static func free(_ p: UnsafeMutableRawPointer) { lock.lock(); defer { lock.unlock() }; shared?.free(p) }
    /// Notes that an asynchronous copy on the current stream of `device` reads `p`.
    static func recordCopy(_ p: UnsafeMutableRawPointer, device: Int) {
        lock.lock(); defer { lock.unlock() }
        shared?.recordStream(p, stream: streamID(GPURegistry.context(device).runtime.currentStream), device: device)
    }
    /// Gives the cached page-locked buffers back.
    static func emptyCache() { lock.lock(); defer { lock.unlock() }; shared?.emptyCache() }
    /// Holds the events of freed buffers while a graph is being captured (see `PinnedHostAllocator.deferEvents`).
    static func setDeferEvents(_ on: Bool) { lock.lock(); defer { lock.unlock() }; shared?.deferEvents = on }
}

/// The GPUs of this process, found at first use: through the CUDA driver, or through OpenCL when
/// `DESCENT_CUDA_RUNTIME=opencl` (or a test) asks for it.
enum GPURegistry {
    private static let lock = NSLock()
    private nonisolated(unsafe) static var resolved: Result<[GPUContext], CUDAUnavailable>?
    private nonisolated(unsafe) static var openCLWanted = ProcessInfo.processInfo.environment["DESCENT_CUDA_RUNTIME"] == "opencl"

    static var contexts: Result<[GPUContext], CUDAUnavailable> {
        lock.lock(); defer { lock.unlock() }
        if let r = resolved { return r }
        let r = resolve()
        resolved = r
        return r
    }

    private static func resolve() -> Result<[GPUContext], CUDAUnavailable> {
        if openCLWanted {
            do { return .success([GPUContext(runtime: try OpenCLRuntime())]) } catch { return .failure(error as! CUDAUnavailable) }
        }
        let driver: CUDADriver
        switch CUDADriver.shared {
        case .failure(let why): return .failure(why)
        case .success(let d): driver = d
        }
        var runtimes: [CUDARuntime] = []
        for i in 0..<driver.deviceCount {
            do { runtimes.append(try CUDARuntime(driver: driver, ordinal: i)) }
            catch let e as CUDAUnavailable { return .failure(e) }
            catch { return .failure(.contextFailed("\(error)")) }
        }
        switch NVRTC.shared {
        case .failure(let e): return .failure(.noNVRTC("\(e)"))
        case .success(let nvrtc): runtimes.forEach { $0.nvrtc = nvrtc }
        }
        let out = runtimes.map { GPUContext(runtime: $0) }
        return .success(out)
    }

    /// Switches this process to the OpenCL runtime when no CUDA device is usable; returns whether a
    /// GPU runtime is usable afterwards. For the GPU suite's tests (call before any GPU tensor exists).
    static func useOpenCLWithoutGPU() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if case .success(let c)? = resolved, !c.isEmpty { return true }
        if resolved == nil, !openCLWanted, case .success(let c) = resolve(), !c.isEmpty { resolved = .success(c); return true }
        openCLWanted = true
        resolved = resolve()
        if case .success(let c) = resolved! { return !c.isEmpty }
        return false
    }

    /// The context of `.cuda(index)` when it exists (no stop: for statistics and reports).
    static func existing(_ index: Int) -> GPUContext? {
        if case .success(let c) = contexts, index >= 0, index < c.count { return c[index] }
        return nil
    }
    /// The context of `.cuda(index)`, or a stop with the reason CUDA cannot be used.
    @inline(__always) static func context(_ index: Int) -> GPUContext {
        switch contexts {
        case .success(let c):
            if index >= 0 && index < c.count { return c[index] }
            fail("CUDA error: invalid device ordinal (cuda:\(index); this machine has \(c.count) CUDA device\(c.count == 1 ? "" : "s"))")
        case .failure(let why): fail("Cannot use cuda:\(index): \(why)")
        }
    }
}
