import CDescentKernels

/// The CPU backend: host memory from a caching allocator and the C kernels of `CDescentKernels`.
/// The only Swift code that calls those kernels or touches a tensor's raw memory is in this folder.
enum CPUBackend {
    @inline(__always) static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        guard let p = dk_alloc(Swift.max(byteCount, 1)) else {
            fatalError("Descent: out of memory allocating \(byteCount) bytes")
        }
        return p
    }
    @inline(__always) static func free(_ p: UnsafeMutableRawPointer, _ byteCount: Int) { dk_free(p, Swift.max(byteCount, 1)) }
}

extension Tensor {
    /// The address of this tensor's first element in host memory (CPU backend only).
    @inline(__always) var rawPointer: UnsafeMutableRawPointer {
        storage.hostBase + offset * dtype.itemSize
    }
    @inline(__always) func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        rawPointer.assumingMemoryBound(to: T.self)
    }
}

/// An optional tensor's host address (nil for nil), for kernels with optional operands.
@inline(__always) func rawOrNil(_ t: Tensor?) -> UnsafeMutableRawPointer? { t.map { $0.rawPointer } }

/// Views a buffer of Swift `Int` (64-bit on every platform Descent supports) as C `int64_t`.
@inline(__always)
func i64(_ p: UnsafeBufferPointer<Int>) -> UnsafePointer<Int64>? {
    p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: Int64.self) }
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
/// The vector instruction set PyTorch's CPU kernels use on this machine, "AVX512" or "AVX2"
/// (`torch.backends.cpu.get_cpu_capability()`; `ATEN_CPU_CAPABILITY=avx2` lowers it, as in PyTorch).
/// Descent's softmax sums in that many lanes, as PyTorch's do.
public func getCPUCapability() -> String { dk_torch_vec_floats() == 16 ? "AVX512" : "AVX2" }
