import Foundation

/// Page-locked host memory: what the pinned allocator asks of a runtime (`cuMemHostAlloc`/`cuMemFreeHost`).
@_spi(Testing) public protocol HostMemory: AnyObject {
    /// New page-locked memory of exactly `bytes`, or nil when none can be had.
    func allocateHost(_ bytes: Int) -> UnsafeMutableRawPointer?
    /// Returns memory from `allocateHost`.
    func freeHost(_ pointer: UnsafeMutableRawPointer)
}

/// The caching allocator of page-locked host memory behind `Tensor.pinMemory()` and `DataLoader(pinMemory: true)`,
/// PyTorch's `CachingHostAllocator`: sizes rounded up to a power of two, freed buffers kept for reuse,
/// and a buffer that asynchronous copies read from (`recordStream`) reused only once the work queued
/// on those streams at its free has run, so a batch's next buffer never overwrites one still being copied.
@_spi(Testing) public final class PinnedHostAllocator {
    private final class Block {
        let size: Int
        /// (device, stream) pairs whose queued copies read the buffer.
        var streams: Set<[UInt64]> = []
        var events: [(device: Int, event: UInt64)] = []
        var inUse = true
        init(size: Int) { self.size = size }
    }
    private let host: HostMemory
    /// Each device's events (a stream belongs to one device).
    private let events: (Int) -> StreamEvents
    private var blocks: [UnsafeMutableRawPointer: Block] = [:]
    /// Free buffers by size, oldest first.
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]

    /// Page-locked allocations made so far (`cuMemHostAlloc` calls that succeeded).
    public private(set) var hostAllocations = 0
    /// Bytes held from the runtime, in use or cached.
    public private(set) var reservedBytes = 0

    public init(host: HostMemory, events: @escaping (Int) -> StreamEvents) { self.host = host; self.events = events }

    /// `bytes` rounded up to a power of two (PyTorch's size classes).
    public static func roundSize(_ bytes: Int) -> Int {
        var s = 1
        while s < bytes { s <<= 1 }
        return s
    }

    /// A page-locked buffer of at least `bytes`: a cached one whose copies have finished, or a new one.
    public func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let size = Self.roundSize(Swift.max(bytes, 1))
        if var list = free[size] {
            for (i, p) in list.enumerated() {
                let b = blocks[p]!
                guard b.events.allSatisfy({ events($0.device).eventIsComplete($0.event) }) else { continue }
                b.events.forEach { events($0.device).destroyEvent($0.event) }
                b.events = []
                b.inUse = true
                list.remove(at: i)
                free[size] = list
                return p
            }
        }
        guard let p = host.allocateHost(size) else { return nil }
        hostAllocations += 1
        reservedBytes += size
        blocks[p] = Block(size: size)
        return p
    }

    /// Notes that work queued on `stream` of `device` (an asynchronous copy) reads the buffer at `pointer`.
    public func recordStream(_ pointer: UnsafeMutableRawPointer, stream: UInt64, device: Int) {
        blocks[pointer]?.streams.insert([UInt64(device), stream])
    }

    /// Keeps the buffer for reuse once the work queued by now on the streams that used it has run.
    public func free(_ pointer: UnsafeMutableRawPointer) {
        guard let b = blocks[pointer], b.inUse else { fatalError("free of a pointer the pinned allocator did not hand out") }
        b.inUse = false
        if deferEvents && !b.streams.isEmpty { deferred.append(pointer); return }
        release(b, pointer)
    }
    private func release(_ b: Block, _ pointer: UnsafeMutableRawPointer) {
        b.events = b.streams.sorted { $0.lexicographicallyPrecedes($1) }.map { (Int($0[0]), events(Int($0[0])).recordEvent(onStream: $0[1])) }
        b.streams = []
        free[b.size, default: []].append(pointer)
    }
    /// While a graph is being captured, buffers freed with streams to wait for are kept aside and their
    /// events recorded when it ends (an event recorded on a capturing stream would belong to the graph).
    public var deferEvents = false {
        didSet {
            guard !deferEvents else { return }
            for p in deferred { if let b = blocks[p] { release(b, p) } }
            deferred = []
        }
    }
    private var deferred: [UnsafeMutableRawPointer] = []

    /// Gives every cached buffer back, after the copies that read them (`torch._C._host_emptyCache`).
    public func emptyCache() {
        for (_, list) in free {
            for p in list {
                let b = blocks.removeValue(forKey: p)!
                b.events.forEach { events($0.device).synchronizeEvent($0.event); events($0.device).destroyEvent($0.event) }
                host.freeHost(p)
                reservedBytes -= b.size
            }
        }
        free = [:]
    }
}
