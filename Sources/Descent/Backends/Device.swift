/// Where a tensor's memory lives: `.cpu`, `.meta` (shapes and dtypes only, no memory) or
/// `.cuda(index)`. Prints as PyTorch does (`cpu`, `meta`, `cuda:0`).
public enum Device: Equatable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral, Sendable {
    case cpu
    case cuda(Int)
    /// PyTorch's `meta` device: tensors carry a shape and a dtype but no memory, and every op only
    /// computes its output's shape and dtype (and raises the same shape errors as on the CPU). Use it
    /// to count the parameters or check the shapes of a model too big to allocate.
    case meta

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .meta: return "meta"
        case .cuda(let i): return "cuda:\(i)"
        }
    }
    /// A device from PyTorch's spelling: `"cpu"`, `"cuda"` (device 0), `"cuda:1"`, `"meta"` (`torch.device("cuda")`).
    public init(_ name: String) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        let kind = parts.first.map(String.init) ?? ""
        let index: Int? = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count > 2 || (parts.count == 2 && (index == nil || index! < 0)) {
            fail("Invalid device string: '\(name)'")
        }
        switch kind {
        case "cpu": self = .cpu
        case "meta": self = .meta
        case "cuda": self = .cuda(index ?? 0)
        default:
            fail("Expected one of cpu, cuda, meta device type at start of device string: \(name)")
        }
    }
    /// `"cuda"` and friends where a device is expected: `x.to("cuda")`.
    public init(stringLiteral value: String) { self.init(value) }
    /// The device's kind without its index: `"cpu"`, `"cuda"` or `"meta"` (PyTorch's `device.type`).
    public var type: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda: return "cuda"
        case .meta: return "meta"
        }
    }
    /// The CUDA device's index, `nil` for the CPU and meta (PyTorch's `device.index`).
    public var index: Int? { if case .cuda(let i) = self { return i } else { return nil } }
    /// `true` for CUDA devices.
    public var isCUDA: Bool { if case .cuda = self { return true } else { return false } }
    /// `true` for the meta device (PyTorch's `tensor.is_meta`).
    public var isMeta: Bool { self == .meta }
}

/// PyTorch's `torch.cuda`: whether a GPU can be used, how many there are, and their memory.
/// The driver (`libcuda.so.1`) and NVRTC (`libnvrtc.so.12`) are loaded at run time with `dlopen`;
/// without them, or without a device, `isAvailable()` is `false` and `unavailableReason` says which.
/// `DESCENT_CUDA_RUNTIME=opencl` runs the CUDA backend on OpenCL instead (PoCL on the CPU): how the
/// tests check the backend on machines without a GPU. Tensors there still print `cuda:0`.
public enum CUDA {
    /// Whether a CUDA device can be used (`torch.cuda.is_available()`).
    public static func isAvailable() -> Bool {
        if case .success(let c) = GPURegistry.contexts { return !c.isEmpty }
        return false
    }
    /// Why CUDA is unavailable, or `nil` when it is available: no driver library, not a driver, a
    /// driver too old, no device, no NVRTC to compile the kernels, or a device that cannot be used.
    public static var unavailableReason: String? {
        switch GPURegistry.contexts {
        case .failure(let why): return why.description
        case .success(let c): return c.isEmpty ? CUDAUnavailable.noDevice.description : nil
        }
    }
    /// Number of usable CUDA devices (`torch.cuda.device_count()`); with a driver but no NVRTC, the driver's count.
    public static func deviceCount() -> Int {
        if case .success(let c) = GPURegistry.contexts { return c.count }
        return (try? CUDADriver.shared.get())?.deviceCount ?? 0
    }
    /// The device's name (`torch.cuda.get_device_name`), and what runs it.
    public static func getDeviceName(_ device: Int = 0) -> String { "\(GPURegistry.context(device).runtime)" }
    /// The device's theoretical float32 FLOP/s and memory bytes/s from its clocks (nil off NVIDIA's driver), for benchmarks.
    @_spi(Testing) public static func theoreticalPeak(_ device: Int = 0) -> (flops: Double?, bytesPerSecond: Double?) {
        guard let rt = GPURegistry.context(device).runtime as? CUDARuntime else { return (nil, nil) }
        return (rt.peakFP32FlopsPerSecond, rt.peakBytesPerSecond)
    }
    /// Waits for all queued GPU work (`torch.cuda.synchronize()`). A no-op without CUDA.
    public static func synchronize() {
        UpdateBatch.flushBeforeOtherWork()
        if case .success(let c) = GPURegistry.contexts { c.forEach { $0.runtime.synchronize() } }
    }
    /// Bytes held by tensors on `device` (`torch.cuda.memory_allocated`).
    public static func memoryAllocated(_ device: Int = 0) -> Int { stats(device) { $0.allocatedBytes } }
    /// The most bytes held by tensors since the start or `resetPeakMemoryStats` (`torch.cuda.max_memory_allocated`).
    public static func maxMemoryAllocated(_ device: Int = 0) -> Int { stats(device) { $0.peakAllocatedBytes } }
    /// Bytes the caching allocator holds from the device, in use or cached (`torch.cuda.memory_reserved`).
    public static func memoryReserved(_ device: Int = 0) -> Int { stats(device) { $0.reservedBytes } }
    /// Returns the cached, unused blocks to the device (`torch.cuda.empty_cache()`).
    public static func emptyCache() {
        if case .success(let c) = GPURegistry.contexts { c.forEach { $0.withAllocator { $0.emptyCache() } } }
    }
    /// Starts the peak count again from the bytes held now (`torch.cuda.reset_peak_memory_stats`).
    public static func resetPeakMemoryStats(_ device: Int = 0) { GPURegistry.existing(device)?.withAllocator { $0.resetPeak() } }
    private static func stats(_ device: Int, _ f: (CachingAllocator) -> Int) -> Int { GPURegistry.existing(device)?.withAllocator(f) ?? 0 }
    /// For the GPU suite: without a usable CUDA device, runs the CUDA backend on OpenCL (PoCL) in this
    /// process; returns whether a GPU runtime is usable. Call before any GPU tensor exists.
    @_spi(Testing) public static func useOpenCLWithoutGPU() -> Bool { GPURegistry.useOpenCLWithoutGPU() }
    /// Whether float32 matrix products on CUDA may use TF32 tensor cores (PyTorch's
    /// `torch.backends.cuda.matmul.allow_tf32`): `false` by default, as in PyTorch, so products keep
    /// float32's precision; `true` trades about three decimal digits for speed on Ampere and later.
    public nonisolated(unsafe) static var matmulAllowTF32 = false
    /// What multiplies matrices on CUDA: "cuBLAS (path)", or why the backend's own kernel does.
    public static var blasDescription: String {
        switch CUBLAS.shared {
        case .success(let b): return "cuBLAS (\(b.path))"
        case .failure(let why): return "the backend's tiled kernel: \(why)"
        }
    }
    /// Whether `cuda:0` is an NVIDIA GPU (not the OpenCL stand-in).
    static var runtimeIsCUDA: Bool { GPURegistry.existing(0)?.runtime is CUDARuntime }
    /// How many times each op ran its CPU kernel on host copies for want of a GPU kernel.
    @_spi(Testing) public static var hostFallbacks: [String: Int] { CUDABackend.hostFallbacks }
    /// What runs `cuda:0`: "CUDA (NVIDIA H100 …, sm_90)" or "OpenCL (…)", or nil when nothing can.
    @_spi(Testing) public static var runtimeDescription: String? { GPURegistry.existing(0).map { "\($0.runtime)" } }
}

/// PyTorch's `torch.set_float32_matmul_precision`: "highest" (the default) keeps float32 products in
/// float32; "high" and "medium" let CUDA use TF32 (`CUDA.matmulAllowTF32`).
public func setFloat32MatmulPrecision(_ precision: String) {
    switch precision {
    case "highest": CUDA.matmulAllowTF32 = false
    case "high", "medium": CUDA.matmulAllowTF32 = true
    default: fail("Invalid precision: \(precision). Valid options are 'highest', 'high', 'medium'")
    }
}
/// The precision `setFloat32MatmulPrecision` set ("highest" or "high").
public func getFloat32MatmulPrecision() -> String { CUDA.matmulAllowTF32 ? "high" : "highest" }

nonisolated(unsafe) private var deterministicAlgorithms = false
/// PyTorch's `torch.use_deterministic_algorithms`: Descent's kernels are deterministic already (the
/// same inputs give the same bits on every run, CPU and CUDA), so this only records the setting.
public func useDeterministicAlgorithms(_ mode: Bool, warnOnly: Bool = false) { deterministicAlgorithms = mode }
/// Whether `useDeterministicAlgorithms(true)` was called (PyTorch's `torch.are_deterministic_algorithms_enabled()`).
public func areDeterministicAlgorithmsEnabled() -> Bool { deterministicAlgorithms }

/// PyTorch's `torch.compile(model)`: Descent runs every model eagerly with its own kernels, so this
/// returns `model` itself (training it trains the original, as with PyTorch's compiled wrapper).
/// The options are accepted so that a PyTorch line compiles unchanged.
public func compile<M: Module>(_ model: M, fullgraph: Bool = false, dynamic: Bool? = nil, backend: String = "inductor",
                               mode: String? = nil) -> M {
    model
}
