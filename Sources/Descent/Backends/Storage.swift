/// A reference-counted buffer on a device, tagged by the backend that owns its memory: host
/// memory from the CPU backend's caching allocator, device memory from a GPU's caching allocator,
/// or nothing at all on the meta device. Only
/// the backends (this folder) read or write the memory; everything above goes through `Kernels`.
final class Storage {
    /// What holds the bytes: the backend's handle on them.
    enum Memory {
        /// Host memory from the CPU backend's caching allocator.
        case host(UnsafeMutableRawPointer)
        /// Page-locked host memory from the pinned allocator (`Tensor.pinMemory()`): a CPU storage
        /// that asynchronous copies to a GPU can read.
        case pinned(UnsafeMutableRawPointer)
        /// Device memory from a GPU's caching allocator: its address in the runtime's address space.
        case device(UInt64)
        /// No memory (the meta device).
        case none
    }
    let memory: Memory
    let byteCount: Int
    let device: Device
    /// Bumped by every in-place write through the public API (PyTorch's version counter, shared by views),
    /// so that backward can refuse saved values that were overwritten after they were saved.
    var version = 0

    init(byteCount: Int, device: Device = .cpu, pinned: Bool = false) {
        self.byteCount = byteCount
        self.device = device
        switch device {
        case .cpu: memory = pinned ? .pinned(PinnedMemory.allocate(byteCount)) : .host(CPUBackend.allocate(byteCount))
        case .meta: memory = .none
        case .cuda(let i): memory = .device(GPURegistry.context(i).allocate(byteCount))
        }
    }
    deinit {
        switch memory {
        case .host(let p): CPUBackend.free(p, byteCount)
        case .pinned(let p): PinnedMemory.free(p)
        case .device(let a): if case .cuda(let i) = device { GPURegistry.context(i).free(a) }
        case .none: break
        }
    }

    /// The device address of a GPU storage.
    @inline(__always) var deviceAddress: UInt64 {
        if case .device(let a) = memory { return a }
        fatalError("a \(device) storage has no device memory")
    }

    /// The host memory of a CPU storage (the CPU backend's view of it).
    @inline(__always) var hostBase: UnsafeMutableRawPointer {
        switch memory {
        case .host(let p), .pinned(let p): return p
        default: noHostMemory(device)
        }
    }
    /// Whether the memory is page-locked (`Tensor.isPinned`).
    var isPinned: Bool { if case .pinned = memory { return true } else { return false } }
}

/// The backends of this build, chosen at run time from a tensor's device by a `switch` (no
/// existentials, no table look-ups): adding a device adds a case here, and the compiler then
/// points at every kernel entry in `Kernels` that must learn it.
enum BackendID { case cpu, cuda, meta }

extension Device {
    /// The backend that runs ops on this device.
    @inline(__always) var backend: BackendID {
        switch self {
        case .cpu: return .cpu
        case .meta: return .meta
        case .cuda: return .cuda
        }
    }
    /// Stops with the reason when this device cannot be used (before a module starts moving).
    func checkUsable() {
        if case .cuda(let i) = self { _ = GPURegistry.context(i) }
    }
}

/// PyTorch's error for reading the values of a tensor that has none.
@inline(never)
func noHostMemory(_ device: Device) -> Never {
    if device == .meta { fail("Tensor.item() cannot be called on meta tensors") }
    fail("the values of a tensor on \(device) cannot be read on the host")
}
