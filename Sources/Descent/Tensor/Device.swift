/// Where a tensor's memory lives: `.cpu` or `.cuda(index)`. Prints as PyTorch does (`cpu`, `cuda:0`).
public enum Device: Equatable, Hashable, CustomStringConvertible, Sendable {
    case cpu
    case cuda(Int)

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let i): return "cuda:\(i)"
        }
    }
    /// `true` for CUDA devices.
    public var isCUDA: Bool { if case .cuda = self { return true } else { return false } }
}

/// The CUDA runtime, as far as this build knows it.
public enum CUDA {
    /// Whether a CUDA device can be used. The CUDA backend is not part of this build yet: always `false`.
    public static func isAvailable() -> Bool { false }
    /// Why CUDA is unavailable, or `nil` when it is available.
    public static var unavailableReason: String? {
        "this build of Descent has no CUDA backend yet (CPU only)"
    }
    /// Number of visible CUDA devices.
    public static func deviceCount() -> Int { 0 }
    /// Waits for all queued GPU work. A no-op without CUDA.
    public static func synchronize() {}
}
