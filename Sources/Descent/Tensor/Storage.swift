import CDescentKernels

/// A reference-counted buffer on a device. CPU memory comes from the caching allocator
/// (`dk_alloc`), so freed buffers are reused instead of going back to the system.
final class Storage {
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    let device: Device
    /// Bumped by every in-place write through the public API (PyTorch's version counter, shared by views),
    /// so that backward can refuse saved values that were overwritten after they were saved.
    var version = 0

    init(byteCount: Int, device: Device = .cpu) {
        precondition(device == .cpu, "Storage on \(device) is not supported by this build")
        self.byteCount = byteCount
        self.device = device
        guard let p = dk_alloc(max(byteCount, 1)) else {
            fatalError("Descent: out of memory allocating \(byteCount) bytes")
        }
        self.base = p
    }
    deinit { dk_free(base, max(byteCount, 1)) }
}

/// The CPU caching allocator's state and controls (PyTorch's `torch.cuda.memory_*` for the CPU pool).
public enum MemoryPool {
    /// Bytes held by the pool, free and ready for reuse.
    public static var cachedBytes: Int { Int(dk_cached_bytes()) }
    /// Bytes handed out and still in use.
    public static var allocatedBytes: Int { Int(dk_allocated_bytes()) }
    /// How many times the pool asked the system for memory since the program started.
    public static var systemAllocations: Int { Int(dk_system_allocs()) }
    /// Gives every cached block back to the system; returns the number of bytes released.
    @discardableResult public static func emptyCache() -> Int { Int(dk_empty_cache()) }
}

/// The number of threads the CPU kernels use (PyTorch's `torch.get_num_threads`).
public func getNumThreads() -> Int { Int(dk_num_threads()) }
/// Sets the number of threads the CPU kernels use (PyTorch's `torch.set_num_threads`).
public func setNumThreads(_ n: Int) { dk_set_num_threads(Int32(n)) }
