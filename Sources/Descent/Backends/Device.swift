/// Where a tensor's memory lives: `.cpu`, `.meta` (shapes and dtypes only, no memory) or
/// `.cuda(index)`. Prints as PyTorch does (`cpu`, `meta`, `cuda:0`).
public enum Device: Equatable, Hashable, CustomStringConvertible, Sendable {
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
    /// `true` for CUDA devices.
    public var isCUDA: Bool { if case .cuda = self { return true } else { return false } }
    /// `true` for the meta device (PyTorch's `tensor.is_meta`).
    public var isMeta: Bool { self == .meta }
}

/// The CUDA runtime, as far as this build knows it. The driver is loaded at run time (`dlopen` of
/// `libcuda.so.1`); without it, or without a device, `isAvailable()` is `false` and
/// `unavailableReason` says which.
public enum CUDA {
    /// Whether a CUDA device can be used. The CUDA kernels are not part of this build yet: always `false`.
    public static func isAvailable() -> Bool { false }
    /// Why CUDA is unavailable, or `nil` when it is available: no driver library, not a driver, a driver
    /// too old, no device, or (with a working driver and GPU) no CUDA kernels in this build yet.
    public static var unavailableReason: String? {
        switch CUDADriver.shared {
        case .failure(let why): return why.description
        case .success(let d): return CUDAUnavailable.noKernels(devices: d.deviceCount).description
        }
    }
    /// Number of CUDA devices the driver sees (0 without a driver).
    public static func deviceCount() -> Int { (try? CUDADriver.shared.get())?.deviceCount ?? 0 }
    /// Waits for all queued GPU work. A no-op without CUDA.
    public static func synchronize() {}
}
