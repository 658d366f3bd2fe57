// The CUDA backend's caching allocator (issue #12: "no cuMemAlloc in a steady training step"), the
// algorithm of PyTorch's CUDACachingAllocator with its constants: sizes rounded up to 512 bytes;
// requests up to 1 MiB served from 2 MiB segments (the small pool), larger ones from 20 MiB segments
// below 10 MiB and from segments rounded up to 2 MiB above; best fit within a pool; a block split
// when the rest is worth keeping (512 bytes in the small pool, over 1 MiB in the large one); a freed
// block merged with its free neighbours; when the device is full, the cache is released and the
// allocation tried once more. It is written against `DeviceMemory`, so its bookkeeping is tested on
// the CPU with a counting fake; the CUDA backend supplies cuMemAlloc/cuMemFree. The types are
// reachable from tests with `@_spi(Testing) import Descent`; they are not public API.

/// Raw device memory: what the caching allocator asks of a device (`cuMemAlloc`/`cuMemFree`).
@_spi(Testing) public protocol DeviceMemory: AnyObject {
    /// A new allocation of exactly `bytes`, or nil when the device has no room.
    func allocate(_ bytes: Int) -> UInt64?
    /// Returns an allocation made by `allocate`.
    func free(_ address: UInt64)
}

/// The device ran out of memory (PyTorch's `torch.OutOfMemoryError`, "CUDA out of memory").
@_spi(Testing) public struct DeviceOutOfMemory: Error, CustomStringConvertible {
    public let requested: Int, allocated: Int, reserved: Int
    public var description: String {
        func mib(_ b: Int) -> String { String(format: "%.2f MiB", Double(b) / 1_048_576) }
        return "CUDA out of memory. Tried to allocate \(mib(requested)). Of the allocated memory \(mib(allocated)) is allocated by Descent, and \(mib(reserved)) is reserved by Descent but unallocated."
    }
}

@_spi(Testing) public final class CachingAllocator {
    public static let minBlockSize = 512
    public static let smallSize = 1 << 20          // requests up to this come from the small pool
    public static let smallBuffer = 2 << 20        // the small pool's segment size
    public static let largeBuffer = 20 << 20       // the large pool's segment size for requests below minLargeAlloc
    public static let minLargeAlloc = 10 << 20
    public static let roundLarge = 2 << 20         // larger requests get their own segment, rounded to 2 MiB

    /// A piece of a segment, allocated or free; neighbours within the segment are linked.
    final class Block {
        let address: UInt64
        var size: Int
        let small: Bool
        let segment: UInt64
        var allocated = false
        weak var prev: Block?
        var next: Block?
        init(address: UInt64, size: Int, small: Bool, segment: UInt64) {
            self.address = address; self.size = size; self.small = small; self.segment = segment
        }
    }

    private let device: DeviceMemory
    /// Free blocks per pool, sorted by (size, address) for best fit.
    private var freeSmall: [Block] = [], freeLarge: [Block] = []
    /// Allocated blocks by address.
    private var live: [UInt64: Block] = [:]
    /// Each segment's first block and size.
    private var segments: [UInt64: (first: Block, size: Int)] = [:]

    /// Bytes in allocated blocks (PyTorch's `memory_allocated`: rounded sizes).
    public private(set) var allocatedBytes = 0
    /// The most `allocatedBytes` has been (PyTorch's `max_memory_allocated`).
    public private(set) var peakAllocatedBytes = 0
    /// Bytes in segments taken from the device (PyTorch's `memory_reserved`).
    public private(set) var reservedBytes = 0
    /// Device allocations made so far (cuMemAlloc calls that succeeded).
    public private(set) var deviceAllocations = 0

    public init(device: DeviceMemory) { self.device = device }

    public static func roundSize(_ n: Int) -> Int {
        n < minBlockSize ? minBlockSize : (n + minBlockSize - 1) / minBlockSize * minBlockSize
    }
    public static func segmentSize(_ rounded: Int) -> Int {
        if rounded <= smallSize { return smallBuffer }
        if rounded < minLargeAlloc { return largeBuffer }
        return (rounded + roundLarge - 1) / roundLarge * roundLarge
    }

    /// The address of a block of at least `bytes`, reusing cached memory when it can.
    public func allocate(_ bytes: Int) throws -> UInt64 {
        precondition(bytes >= 0)
        let size = Self.roundSize(bytes)
        let small = size <= Self.smallSize
        var block = takeBestFit(size, small: small)
        if block == nil {
            let segSize = Self.segmentSize(size)
            var address = device.allocate(segSize)
            if address == nil {
                emptyCache()   // give the cached segments back and try once more, as PyTorch does
                address = device.allocate(segSize)
            }
            guard let a = address else {
                throw DeviceOutOfMemory(requested: size, allocated: allocatedBytes, reserved: reservedBytes - allocatedBytes)
            }
            deviceAllocations += 1
            reservedBytes += segSize
            let b = Block(address: a, size: segSize, small: small, segment: a)
            segments[a] = (b, segSize)
            block = b
        }
        let b = block!
        // split off the rest when it is worth keeping
        let rest = b.size - size
        if small ? rest >= Self.minBlockSize : rest > Self.smallSize {
            let r = Block(address: b.address + UInt64(size), size: rest, small: small, segment: b.segment)
            r.next = b.next; r.next?.prev = r
            r.prev = b; b.next = r
            b.size = size
            insertFree(r)
        }
        b.allocated = true
        live[b.address] = b
        allocatedBytes += b.size
        peakAllocatedBytes = Swift.max(peakAllocatedBytes, allocatedBytes)
        return b.address
    }

    /// Returns a block to the cache (the device memory stays reserved), merged with free neighbours.
    public func free(_ address: UInt64) {
        guard let b = live.removeValue(forKey: address) else { fatalError("free of an address the caching allocator did not hand out") }
        b.allocated = false
        allocatedBytes -= b.size
        var m = b
        if let p = m.prev, !p.allocated {
            removeFree(p)
            p.size += m.size
            p.next = m.next; p.next?.prev = p
            m = p
        }
        if let n = m.next, !n.allocated {
            removeFree(n)
            m.size += n.size
            m.next = n.next; m.next?.prev = m
        }
        insertFree(m)
    }

    /// Gives every wholly free segment back to the device (PyTorch's `torch.cuda.empty_cache()`).
    public func emptyCache() {
        for (address, seg) in segments where !seg.first.allocated && seg.first.size == seg.size {
            removeFree(seg.first)
            device.free(address)
            reservedBytes -= seg.size
            segments[address] = nil
        }
    }

    /// Resets the peak to the current allocation (PyTorch's `reset_peak_memory_stats`).
    public func resetPeak() { peakAllocatedBytes = allocatedBytes }

    // MARK: free lists

    private func key(_ b: Block) -> (Int, UInt64) { (b.size, b.address) }

    private func insertFree(_ b: Block) {
        func insert(_ list: inout [Block]) {
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if key(list[mid]) < key(b) { lo = mid + 1 } else { hi = mid } }
            list.insert(b, at: lo)
        }
        if b.small { insert(&freeSmall) } else { insert(&freeLarge) }
    }

    private func removeFree(_ b: Block) {
        func remove(_ list: inout [Block]) {
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if key(list[mid]) < key(b) { lo = mid + 1 } else { hi = mid } }
            if lo < list.count && list[lo] === b { list.remove(at: lo) }
        }
        if b.small { remove(&freeSmall) } else { remove(&freeLarge) }
    }

    /// The smallest free block of the pool that holds `size` (lowest address among equals), removed from the list.
    private func takeBestFit(_ size: Int, small: Bool) -> Block? {
        func take(_ list: inout [Block]) -> Block? {
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if list[mid].size < size { lo = mid + 1 } else { hi = mid } }
            guard lo < list.count else { return nil }
            return list.remove(at: lo)
        }
        return small ? take(&freeSmall) : take(&freeLarge)
    }
}
