// The CUDA backend's caching allocator (issue #12: "no cuMemAlloc in a steady training step"), the
// algorithm of PyTorch's CUDACachingAllocator with its constants: sizes rounded up to 512 bytes;
// requests up to 1 MiB served from 2 MiB segments (the small pool), larger ones from 20 MiB segments
// below 10 MiB and from segments rounded up to 2 MiB above; best fit within a pool; a block split
// when the rest is worth keeping (512 bytes in the small pool, over 1 MiB in the large one); a freed
// block merged with its free neighbours; when the device is full, the cache is released and the
// allocation tried once more. Blocks belong to the stream they were allocated on and are reused only
// on it; a block also used on other streams (`recordStream`) waits, when freed, for events recorded on
// those streams before it can be reused (PyTorch's `record_stream` and `process_events`). It is written against `DeviceMemory`, so its bookkeeping is tested on
// the CPU with a counting fake; the CUDA backend supplies cuMemAlloc/cuMemFree. The types are
// reachable from tests with `@_spi(Testing) import Descent`; they are not public API.

/// Raw device memory: what the caching allocator asks of a device (`cuMemAlloc`/`cuMemFree`).
@_spi(Testing) public protocol DeviceMemory: AnyObject {
    /// A new allocation of exactly `bytes`, or nil when the device has no room.
    func allocate(_ bytes: Int) -> UInt64?
    /// Returns an allocation made by `allocate`.
    func free(_ address: UInt64)
}

/// Events on a device's streams, for the allocators: a block used on a stream other than the one it
/// was allocated on (`Tensor.recordStream`) is reused only once the work queued there at its free has
/// run, and a page-locked host buffer only once the copies queued from it have. Streams and events
/// are the runtime's handles as numbers; stream 0 is the default stream.
@_spi(Testing) public protocol StreamEvents: AnyObject {
    /// A new event recorded on `stream` now (it completes when the work queued there so far has run).
    func recordEvent(onStream stream: UInt64) -> UInt64
    /// Whether the event's work has run.
    func eventIsComplete(_ event: UInt64) -> Bool
    /// Waits for the event's work.
    func synchronizeEvent(_ event: UInt64)
    /// Releases the event.
    func destroyEvent(_ event: UInt64)
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
        /// The stream the block's segment was allocated on: only allocations on it reuse the block.
        let stream: UInt64
        /// Other streams the block was used on while allocated (`recordStream`).
        var streamUses: Set<UInt64> = []
        var allocated = false
        weak var prev: Block?
        var next: Block?
        init(address: UInt64, size: Int, small: Bool, segment: UInt64, stream: UInt64) {
            self.address = address; self.size = size; self.small = small; self.segment = segment; self.stream = stream
        }
    }

    private let device: DeviceMemory
    private let events: StreamEvents?
    /// Free blocks per pool and stream, sorted by (size, address) for best fit.
    private var freeSmall: [UInt64: [Block]] = [:], freeLarge: [UInt64: [Block]] = [:]
    /// Freed blocks waiting for the events recorded on the other streams that used them.
    private var pending: [(block: Block, events: [UInt64])] = []
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

    public init(device: DeviceMemory, events: StreamEvents? = nil) { self.device = device; self.events = events }

    public static func roundSize(_ n: Int) -> Int {
        n < minBlockSize ? minBlockSize : (n + minBlockSize - 1) / minBlockSize * minBlockSize
    }
    public static func segmentSize(_ rounded: Int) -> Int {
        if rounded <= smallSize { return smallBuffer }
        if rounded < minLargeAlloc { return largeBuffer }
        return (rounded + roundLarge - 1) / roundLarge * roundLarge
    }

    /// The address of a block of at least `bytes` for work on `stream`, reusing cached memory when it can.
    public func allocate(_ bytes: Int, stream: UInt64 = 0) throws -> UInt64 {
        precondition(bytes >= 0)
        processEvents()
        let size = Self.roundSize(bytes)
        let small = size <= Self.smallSize
        var block = takeBestFit(size, small: small, stream: stream)
        if block == nil {
            let segSize = Self.segmentSize(size)
            var address = device.allocate(segSize)
            if address == nil && !deferEvents {
                // give the cached segments back and try once more, as PyTorch does (not during a
                // capture, which synchronizing and freeing would invalidate)
                emptyCache()
                address = device.allocate(segSize)
            }
            guard let a = address else {
                throw DeviceOutOfMemory(requested: size, allocated: allocatedBytes, reserved: reservedBytes - allocatedBytes)
            }
            deviceAllocations += 1
            reservedBytes += segSize
            let b = Block(address: a, size: segSize, small: small, segment: a, stream: stream)
            segments[a] = (b, segSize)
            block = b
        }
        let b = block!
        // split off the rest when it is worth keeping
        let rest = b.size - size
        if small ? rest >= Self.minBlockSize : rest > Self.smallSize {
            let r = Block(address: b.address + UInt64(size), size: rest, small: small, segment: b.segment, stream: b.stream)
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

    /// Marks the block at `address` as used by work on `stream` too (PyTorch's `Tensor.record_stream`).
    public func recordStream(_ address: UInt64, stream: UInt64) {
        guard let b = live[address] else { fatalError("recordStream of an address the caching allocator did not hand out") }
        if stream != b.stream { b.streamUses.insert(stream) }
    }

    /// Returns a block to the cache (the device memory stays reserved), merged with free neighbours;
    /// a block used on other streams returns once the work queued there by now has run.
    public func free(_ address: UInt64) {
        guard let b = live.removeValue(forKey: address) else { fatalError("free of an address the caching allocator did not hand out") }
        allocatedBytes -= b.size
        if deferEvents && !b.streamUses.isEmpty {
            deferred.append(b)   // an event recorded now would belong to the capture
            return
        }
        if events != nil && !b.streamUses.isEmpty { holdUntilEvents(b); return }
        release(b)
    }

    /// Blocks whose pending events have all completed go back to the cache (or, with `wait`, all of them).
    private func processEvents(wait: Bool = false) {
        guard let events, !pending.isEmpty else { return }
        var still: [(block: Block, events: [UInt64])] = []
        for p in pending {
            if wait { p.events.forEach(events.synchronizeEvent) }
            if wait || p.events.allSatisfy(events.eventIsComplete) {
                p.events.forEach(events.destroyEvent)
                release(p.block)
            } else { still.append(p) }
        }
        pending = still
    }

    /// Blocks freed but not yet reusable (waiting for other streams).
    public var pendingFrees: Int { pending.count + deferred.count }

    /// While a graph is being captured, blocks used on other streams are held when freed, and their
    /// events recorded once the capture ends (PyTorch defers them the same way).
    public var deferEvents = false {
        didSet {
            guard !deferEvents else { return }
            deferred.forEach(holdUntilEvents)
            deferred = []
        }
    }
    private var deferred: [Block] = []

    /// Records an event on each other stream that used `b`; it returns to the cache once they complete.
    private func holdUntilEvents(_ b: Block) {
        guard let events else { return release(b) }
        pending.append((b, b.streamUses.sorted().map { events.recordEvent(onStream: $0) }))
        b.streamUses = []
    }

    private func release(_ b: Block) {
        b.allocated = false
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

    /// Streams whose segments stay reserved even when free: a captured graph's private pool (its
    /// replays write to the addresses it was captured with).
    public private(set) var protectedStreams: Set<UInt64> = []
    public func protect(stream: UInt64) { protectedStreams.insert(stream) }
    public func unprotect(stream: UInt64) { protectedStreams.remove(stream) }

    /// Gives every wholly free segment back to the device (PyTorch's `torch.cuda.empty_cache()`),
    /// except those of captured graphs' pools.
    public func emptyCache() {
        processEvents(wait: true)
        for (address, seg) in segments where !seg.first.allocated && seg.first.size == seg.size && !protectedStreams.contains(seg.first.stream) {
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
        if b.small { insert(&freeSmall[b.stream, default: []]) } else { insert(&freeLarge[b.stream, default: []]) }
    }

    private func removeFree(_ b: Block) {
        func remove(_ list: inout [Block]) {
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if key(list[mid]) < key(b) { lo = mid + 1 } else { hi = mid } }
            if lo < list.count && list[lo] === b { list.remove(at: lo) }
        }
        if b.small { remove(&freeSmall[b.stream, default: []]) } else { remove(&freeLarge[b.stream, default: []]) }
    }

    /// The smallest free block of the pool and stream that holds `size` (lowest address among equals), removed from the list.
    private func takeBestFit(_ size: Int, small: Bool, stream: UInt64) -> Block? {
        func take(_ list: inout [Block]) -> Block? {
            var lo = 0, hi = list.count
            while lo < hi { let mid = (lo + hi) / 2; if list[mid].size < size { lo = mid + 1 } else { hi = mid } }
            guard lo < list.count else { return nil }
            return list.remove(at: lo)
        }
        return small ? take(&freeSmall[stream, default: []]) : take(&freeLarge[stream, default: []])
    }
}
