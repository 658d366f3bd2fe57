import Testing
import Foundation
@_spi(Testing) import Descent

// The CUDA caching allocator's bookkeeping, on the CPU against a fake device. Expected values follow
// from PyTorch's CUDACachingAllocator constants (c10/cuda/CUDACachingAllocator.cpp: kMinBlockSize 512,
// kSmallSize 1 MiB, kSmallBuffer 2 MiB, kLargeBuffer 20 MiB, kMinLargeAlloc 10 MiB, kRoundLarge 2 MiB).

/// A device of `capacity` bytes that counts its allocations; addresses never overlap.
final class FakeDevice: DeviceMemory {
    let capacity: Int
    var used = 0, allocations = 0, frees = 0
    var sizes: [UInt64: Int] = [:]
    var next: UInt64 = 1 << 32
    init(capacity: Int = 1 << 40) { self.capacity = capacity }
    func allocate(_ bytes: Int) -> UInt64? {
        guard used + bytes <= capacity else { return nil }
        used += bytes; allocations += 1
        let a = next
        next += UInt64(bytes) + 4096
        sizes[a] = bytes
        return a
    }
    func free(_ address: UInt64) { used -= sizes.removeValue(forKey: address)!; frees += 1 }
}

@Suite struct CachingAllocatorTests {
    let MiB = 1 << 20

    @Test func sizesRoundAsPyTorch() {
        #expect(CachingAllocator.roundSize(1) == 512 && CachingAllocator.roundSize(512) == 512 && CachingAllocator.roundSize(513) == 1024)
        #expect(CachingAllocator.segmentSize(512) == 2 * MiB)              // small pool
        #expect(CachingAllocator.segmentSize(MiB) == 2 * MiB)
        #expect(CachingAllocator.segmentSize(MiB + 512) == 20 * MiB)       // large, below 10 MiB
        #expect(CachingAllocator.segmentSize(10 * MiB) == 10 * MiB)        // own segment, 2 MiB multiple
        #expect(CachingAllocator.segmentSize(11 * MiB) == 12 * MiB)
    }

    @Test func smallRequestsShareOneSegment() throws {
        let dev = FakeDevice(), a = CachingAllocator(device: dev)
        let p = try a.allocate(1), q = try a.allocate(1000), r = try a.allocate(4096)
        // 512 + 1024 + 4096 bytes, carved one after another from one 2 MiB segment
        #expect(a.allocatedBytes == 512 + 1024 + 4096 && a.reservedBytes == 2 * MiB && dev.allocations == 1)
        #expect(q == p + 512 && r == q + 1024)
        a.free(q)
        let s = try a.allocate(700)   // best fit: the freed 1024-byte hole, not the end of the segment
        #expect(s == q)
        for x in [p, r, s] { a.free(x) }
        #expect(a.allocatedBytes == 0 && a.reservedBytes == 2 * MiB && a.peakAllocatedBytes == 512 + 1024 + 4096)
        // the blocks merged back into one 2 MiB block: a 1 MiB request (still the small pool) fits it
        _ = try a.allocate(MiB)
        #expect(dev.allocations == 1)
    }

    @Test func aSteadyTrainingStepAllocatesNothingNew() throws {
        let dev = FakeDevice(), a = CachingAllocator(device: dev)
        // one "step": parameters stay, activations and gradients come and go, in the same sizes each time
        let params = try [784 * 256 * 4, 256 * 4, 256 * 10 * 4, 40].map { try a.allocate($0) }
        func step() throws {
            var tmp: [UInt64] = []
            for n in [64 * 784 * 4, 64 * 256 * 4, 64 * 256 * 4, 64 * 10 * 4, 4, 784 * 256 * 4, 256 * 4] { tmp.append(try a.allocate(n)) }
            for x in tmp.reversed() { a.free(x) }
        }
        try step()
        let afterFirst = dev.allocations
        for _ in 0..<50 { try step() }
        #expect(dev.allocations == afterFirst, "no device allocation after the first step")
        #expect(a.allocatedBytes == [784 * 256 * 4, 256 * 4, 256 * 10 * 4, 512].reduce(0, +))
        for p in params { a.free(p) }
    }

    @Test func largeBlocksSplitOnlyWhenTheRestIsOverOneMiB() throws {
        let dev = FakeDevice(), a = CachingAllocator(device: dev)
        let x = try a.allocate(5 * MiB)           // a 20 MiB segment; the 15 MiB rest stays cached
        #expect(a.reservedBytes == 20 * MiB && a.allocatedBytes == 5 * MiB)
        let y = try a.allocate(14 * MiB)          // served from that cached rest, not a new 14 MiB segment
        #expect(dev.allocations == 1 && y == x + UInt64(5 * MiB))
        // the last 1 MiB was not split off: 14 MiB + 1 MiB rest is not "over 1 MiB", so y holds 15 MiB
        #expect(a.allocatedBytes == 20 * MiB)
        a.free(x); a.free(y)
        #expect(a.allocatedBytes == 0)
    }

    @Test func emptyCacheReleasesWhollyFreeSegments() throws {
        let dev = FakeDevice(), a = CachingAllocator(device: dev)
        let keep = try a.allocate(100)
        let big = try a.allocate(12 * MiB)        // its own 12 MiB segment
        #expect(a.reservedBytes == 14 * MiB)
        a.free(big)
        a.emptyCache()
        #expect(a.reservedBytes == 2 * MiB && dev.frees == 1, "the small segment still holds a block")
        a.free(keep)
        a.emptyCache()
        #expect(a.reservedBytes == 0 && dev.used == 0)
    }

    @Test func outOfMemoryReleasesTheCacheThenThrows() throws {
        let dev = FakeDevice(capacity: 24 * MiB), a = CachingAllocator(device: dev)
        let x = try a.allocate(12 * MiB)
        a.free(x)                                  // cached: 12 MiB reserved, nothing allocated
        let y = try a.allocate(22 * MiB)           // only fits once the cache is given back
        #expect(a.reservedBytes == 22 * MiB && dev.frees == 1)
        #expect(throws: DeviceOutOfMemory.self) { _ = try a.allocate(4 * MiB) }
        do { _ = try a.allocate(4 * MiB) } catch let e as DeviceOutOfMemory {
            #expect(e.description.hasPrefix("CUDA out of memory. Tried to allocate 4.00 MiB."))
        }
        a.free(y)
    }
}

/// Events under the test's control: each remembers its stream; the test marks them complete.
final class FakeEvents: StreamEvents {
    var next: UInt64 = 1
    var recorded: [(event: UInt64, stream: UInt64)] = []
    var done: Set<UInt64> = [], destroyed: Set<UInt64> = []
    var synchronized: [UInt64] = []
    func recordEvent(onStream stream: UInt64) -> UInt64 { defer { next += 1 }; recorded.append((next, stream)); return next }
    func eventIsComplete(_ e: UInt64) -> Bool { done.contains(e) }
    func synchronizeEvent(_ e: UInt64) { synchronized.append(e); done.insert(e) }
    func destroyEvent(_ e: UInt64) { destroyed.insert(e) }
}

/// Host memory that counts its allocations.
final class FakeHost: HostMemory {
    var allocations = 0, frees = 0
    func allocateHost(_ bytes: Int) -> UnsafeMutableRawPointer? { allocations += 1; return malloc(bytes) }
    func freeHost(_ p: UnsafeMutableRawPointer) { frees += 1; Foundation.free(p) }
}

// Streams in the caching allocators, as PyTorch's: a block is reused only on the stream it was
// allocated on, and one used on other streams (record_stream) only after events recorded on them
// at its free have completed; the pinned host allocator holds a buffer back until the copies that
// read it have run.
@Suite struct StreamAwareAllocatorTests {
    @Test func blocksAreReusedOnlyOnTheirStream() throws {
        let dev = FakeDevice(), a = CachingAllocator(device: dev, events: FakeEvents())
        let p = try a.allocate(1000, stream: 0)
        a.free(p)
        let q = try a.allocate(1000, stream: 7)   // stream 7 does not take stream 0's cached block: a segment of its own
        #expect(q != p && dev.allocations == 2)
        #expect(try a.allocate(1000, stream: 0) == p)
    }

    @Test func aBlockUsedOnAnotherStreamWaitsForItsEvent() throws {
        let dev = FakeDevice(), ev = FakeEvents(), a = CachingAllocator(device: dev, events: ev)
        let p = try a.allocate(4096, stream: 0)
        a.recordStream(p, stream: 5)
        a.recordStream(p, stream: 0)   // its own stream: nothing to wait for
        a.free(p)
        #expect(ev.recorded.map(\.stream) == [5] && a.pendingFrees == 1 && a.allocatedBytes == 0)
        let q = try a.allocate(4096, stream: 0)   // stream 5 may still use p: the next block of the segment instead
        #expect(q == p + 4096)
        ev.done.insert(ev.recorded[0].event)
        #expect(try a.allocate(4096, stream: 0) == p)
        #expect(a.pendingFrees == 0 && ev.destroyed == [ev.recorded[0].event])
    }

    @Test func emptyCacheWaitsForPendingBlocks() throws {
        let dev = FakeDevice(), ev = FakeEvents(), a = CachingAllocator(device: dev, events: ev)
        let p = try a.allocate(100, stream: 3)
        a.recordStream(p, stream: 0)
        a.free(p)
        a.emptyCache()
        #expect(ev.synchronized == [ev.recorded[0].event] && a.reservedBytes == 0 && dev.frees == 1)
    }

    @Test func eventsOfBlocksFreedDuringACaptureWaitForItsEnd() throws {
        let dev = FakeDevice(), ev = FakeEvents(), a = CachingAllocator(device: dev, events: ev)
        let p = try a.allocate(100, stream: 0)
        a.recordStream(p, stream: 4)
        a.deferEvents = true   // a graph capture: an event recorded now would belong to the graph
        a.free(p)
        #expect(ev.recorded.isEmpty && a.pendingFrees == 1)
        a.deferEvents = false
        #expect(ev.recorded.map(\.stream) == [4] && a.pendingFrees == 1)
        ev.done.insert(ev.recorded[0].event)
        #expect(try a.allocate(100, stream: 0) == p && a.pendingFrees == 0)
    }

    @Test func pinnedBuffersAreReusedAfterTheirCopies() {
        let host = FakeHost(), ev = FakeEvents(), a = PinnedHostAllocator(host: host) { _ in ev }
        #expect(PinnedHostAllocator.roundSize(3000) == 4096 && PinnedHostAllocator.roundSize(4096) == 4096 && PinnedHostAllocator.roundSize(1) == 1)
        let p = a.allocate(3000)!
        #expect(a.reservedBytes == 4096)
        a.recordStream(p, stream: 9, device: 0)   // a copy on stream 9 reads p
        a.free(p)
        #expect(ev.recorded.map(\.stream) == [9])
        let q = a.allocate(4000)!                 // same size class, but the copy from p has not run
        #expect(q != p && host.allocations == 2)
        ev.done.insert(ev.recorded[0].event)
        a.free(q)
        #expect(a.allocate(2049)! == p && host.allocations == 2)   // p's copy has run: reused (oldest first)
        let t = a.allocate(100)!                  // a new size class (128)
        a.free(p); a.free(t)
        a.emptyCache()
        #expect(host.frees == 3 && a.reservedBytes == 0)
    }

    /// During a graph capture a freed buffer's events wait for its end (recorded on a capturing stream
    /// they would belong to the graph), and the buffer is not reused meanwhile.
    @Test func pinnedBuffersFreedDuringACaptureRecordTheirEventsAfterIt() {
        let host = FakeHost(), ev = FakeEvents(), a = PinnedHostAllocator(host: host) { _ in ev }
        let p = a.allocate(256)!
        a.recordStream(p, stream: 5, device: 0)
        a.deferEvents = true
        a.free(p)
        #expect(ev.recorded.isEmpty)
        #expect(a.allocate(256)! != p && host.allocations == 2)   // not reusable while its events are pending
        a.deferEvents = false
        #expect(ev.recorded.map(\.stream) == [5])
        ev.done.insert(ev.recorded[0].event)
        #expect(a.allocate(200)! == p && host.allocations == 2)
    }
}

/// The kernel cache's entries: found only for the same source, target architecture and compiler, and
/// refused when the header does not match (a damaged, truncated or foreign file).
@Suite struct KernelCacheTests {
    @Test func entriesAreFoundOnlyForWhatTheyWereCompiledFrom() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-kcache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = KernelCache(directory: dir)
        let source = "DK_KERNEL void k() {}"
        // a CUBIN is binary: an ELF header, zero bytes and newlines included
        let image = Data([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0x0a, 0xff, 0x00, 0x41])
        #expect(cache.load(name: "s", source: source, target: "sm_90", compiler: "12.9") == nil)
        cache.store(image, name: "s", source: source, target: "sm_90", compiler: "12.9")
        #expect(cache.load(name: "s", source: source, target: "sm_90", compiler: "12.9") == image)
        #expect(cache.load(name: "s", source: source, target: "sm_90", compiler: "12.8") == nil)       // another NVRTC
        #expect(cache.load(name: "s", source: source, target: "sm_80", compiler: "12.9") == nil)       // another GPU
        #expect(cache.load(name: "s", source: source, target: "compute_90", compiler: "12.9") == nil)  // PTX, not this CUBIN
        #expect(cache.load(name: "s", source: source + " ", target: "sm_90", compiler: "12.9") == nil) // another source
        // bad inputs: no header line, an empty image, a header that is not UTF-8, a truncated image, a longer one
        let path = cache.path(name: "s", source: source, target: "sm_90")
        let header = KernelCache.header(source: source, target: "sm_90", compiler: "12.9", imageBytes: image.count) + "\n"
        for bad in [Data("no header".utf8), Data(KernelCache.header(source: source, target: "sm_90", compiler: "12.9", imageBytes: 0).utf8 + [0x0a]),
                    Data([0xff, 0xfe, 0x0a, 0x41]), Data(header.utf8) + image.dropLast(), Data(header.utf8) + image + [0x00]] {
            try bad.write(to: URL(fileURLWithPath: path))
            #expect(cache.load(name: "s", source: source, target: "sm_90", compiler: "12.9") == nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 1, "no temporary files left")
    }
}
