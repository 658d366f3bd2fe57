import CDescentKernels
import Foundation

// PyTorch's `torch.cuda.Stream`, `torch.cuda.Event`, `torch.cuda.stream(s)` and `Tensor.record_stream`.
// Every GPU op is queued on the calling thread's current stream of its device (the default stream
// until `CUDA.stream(_:)` or `setStream` picks another); streams run concurrently with each other
// and are ordered by events. Memory allocated on a stream is reused only on that stream unless
// `recordStream` says another used it, as PyTorch's caching allocator does.

extension CUDA {
    /// A queue of GPU work on one device (PyTorch's `torch.cuda.Stream`). Work on different streams
    /// may run concurrently; order it with `waitStream`, `waitEvent` or events.
    public struct Stream: Equatable, Hashable, CustomStringConvertible, @unchecked Sendable {
        /// The stream's device (`cuda:n`).
        public let device: Device
        let handle: OpaquePointer?
        var index: Int { if case .cuda(let i) = device { return i }; return 0 }
        var runtime: GPURuntime { GPURegistry.context(index).runtime }

        /// A stream from the device's pool of 32 (`torch.cuda.Stream(device=n)`); it does not wait for the default stream.
        public init(device: Int = 0) {
            self.device = .cuda(device)
            handle = GPURegistry.context(device).poolStream()
        }
        init(index: Int, handle: OpaquePointer?) { device = .cuda(index); self.handle = handle }

        /// The runtime's handle as a number, 0 for the default stream (PyTorch's `cuda_stream`).
        public var cudaStream: UInt { handle.map { UInt(bitPattern: $0) } ?? 0 }
        /// Waits for all work queued on this stream (refused while this thread captures a graph).
        public func synchronize() {
            runtime.refuseWhileCapturing("Stream.synchronize()")
            runtime.synchronizeStream(handle)
        }
        /// Whether all work queued on this stream has run (refused for a stream taking part in a capture).
        public func query() -> Bool {
            if CUDA.Graph.capturingOnThisThread?.takesPart(self) == true { runtime.refuseWhileCapturing("Stream.query()") }
            return runtime.streamIsIdle(handle)
        }
        /// Makes later work on this stream wait for `event` (on the device; the host does not wait).
        public func waitEvent(_ event: Event) { event.wait(self) }
        /// Makes later work on this stream wait for the work queued on `stream` by now.
        public func waitStream(_ stream: Stream) { waitEvent(stream.recordEvent()) }
        /// Records `event` (a new one when nil) on this stream and returns it.
        @discardableResult public func recordEvent(_ event: Event? = nil) -> Event {
            let e = event ?? Event()
            e.record(self)
            return e
        }
        public var description: String { "<torch.cuda.Stream device=\(device) cuda_stream=0x\(String(cudaStream, radix: 16))>" }
    }

    /// A marker in a stream's work (PyTorch's `torch.cuda.Event`): wait for it, make other streams
    /// wait for it, or time the work between two (`enableTiming: true`, milliseconds).
    public final class Event: @unchecked Sendable {
        /// Whether `elapsedTime` can measure from this event.
        public let enableTiming: Bool
        private var handle: OpaquePointer?
        private var deviceIndex = 0

        /// A new event (`torch.cuda.Event(enable_timing=False)`); it takes a device at its first `record`.
        public init(enableTiming: Bool = false) { self.enableTiming = enableTiming }
        deinit { if let h = handle { GPURegistry.existing(deviceIndex)?.runtime.destroyEvent(h) } }

        private var runtime: GPURuntime { GPURegistry.context(deviceIndex).runtime }
        /// Records the event on `stream` (the current stream of cuda:0 when nil): it completes when the work queued there by now has run.
        public func record(_ stream: Stream? = nil) {
            let s = stream ?? CUDA.currentStream()
            if handle == nil {
                deviceIndex = s.index
                handle = runtime.createEvent(timing: enableTiming)
            } else if s.index != deviceIndex {
                fail("Event device \(deviceIndex) does not match recording stream's device \(s.index).")
            }
            runtime.record(handle!, on: s.handle)
            CUDA.Graph.capturingOnThisThread?.noteRecord(self, on: s)
        }
        /// Makes later work on `stream` (the current stream when nil) wait for this event; nothing to wait for before a `record`.
        public func wait(_ stream: Stream? = nil) {
            guard let h = handle else { return }
            let s = stream ?? CUDA.currentStream(deviceIndex)
            if s.index != deviceIndex { fail("Event device \(deviceIndex) does not match the waiting stream's device \(s.index).") }
            CUDA.Graph.capturingOnThisThread?.noteWait(self, by: s)
            runtime.wait(s.handle, for: h)
        }
        /// Whether the recorded work has run (true before any `record`; refused for an event recorded in a capture).
        public func query() -> Bool {
            if CUDA.Graph.capturingOnThisThread?.captured(self) == true { runtime.refuseWhileCapturing("Event.query()") }
            return handle.map { runtime.eventIsComplete($0) } ?? true
        }
        /// Waits on the host for the recorded work (refused while this thread captures a graph).
        public func synchronize() {
            guard let h = handle else { return }
            runtime.refuseWhileCapturing("Event.synchronize()")
            runtime.synchronizeEvent(h)
        }
        /// Milliseconds from this event to `end`, both recorded with `enableTiming: true` (waits for `end` first).
        public func elapsedTime(_ end: Event) -> Double {
            guard enableTiming && end.enableTiming else { fail("Both events must be created with argument 'enable_timing=True'.") }
            guard let a = handle, let b = end.handle else { fail("Both events must be recorded before calculating elapsed time.") }
            if deviceIndex != end.deviceIndex { fail("Both events must be recorded on the same device (cuda:\(deviceIndex) and cuda:\(end.deviceIndex)).") }
            end.synchronize()
            return runtime.elapsedMilliseconds(from: a, to: b)
        }
    }

    /// The calling thread's current stream on `device` (`torch.cuda.current_stream`).
    public static func currentStream(_ device: Int = 0) -> Stream {
        _ = GPURegistry.context(device)
        return Stream(index: device, handle: dk_get_current_stream(Int32(device)).map(OpaquePointer.init))
    }
    /// The device's default stream (`torch.cuda.default_stream`).
    public static func defaultStream(_ device: Int = 0) -> Stream {
        _ = GPURegistry.context(device)
        return Stream(index: device, handle: nil)
    }
    /// Makes `stream` the calling thread's current stream of its device (`torch.cuda.set_stream`).
    public static func setStream(_ stream: Stream) {
        CUDA.Graph.capturingOnThisThread?.noteSwitch(to: stream)
        if stream.index >= Int(DK_MAX_STREAM_DEVICES) && stream.handle != nil { fail("streams other than the default are supported on cuda:0 to cuda:\(DK_MAX_STREAM_DEVICES - 1)") }
        dk_set_current_stream(Int32(stream.index), stream.handle.map { UnsafeMutableRawPointer($0) })
    }
    /// Runs `body` with `stream` as the current stream of its device, then restores the previous one
    /// (`with torch.cuda.stream(s):`); a nil stream changes nothing.
    public static func stream<R>(_ stream: Stream?, _ body: () throws -> R) rethrows -> R {
        guard let stream else { return try body() }
        let previous = currentStream(stream.index)
        setStream(stream)
        defer { setStream(previous) }
        return try body()
    }
}

extension Tensor {
    /// Marks this CUDA tensor's memory as used by work queued on `stream` (PyTorch's `record_stream`):
    /// when it is freed, the memory is reused only after that work has run. Needed when a tensor
    /// allocated on one stream is used on another.
    public func recordStream(_ stream: CUDA.Stream) {
        guard case .cuda(let i) = device else { fail("record_stream expects a CUDA tensor, but got a tensor on \(device)") }
        if stream.device != device { fail("record_stream: the stream is on \(stream.device), the tensor on \(device)") }
        GPURegistry.context(i).recordStream(storage.deviceAddress, stream: stream.handle)
    }

    /// Whether this tensor's memory is page-locked host memory (`is_pinned()`).
    public var isPinned: Bool { storage.isPinned }

    /// A copy of this CPU tensor in page-locked host memory (PyTorch's `pin_memory()`), from which
    /// `to(.cuda(n), nonBlocking: true)` copies asynchronously; self when already pinned.
    public func pinMemory() -> Tensor {
        if device != .cpu { fail("cannot pin 'torch.\(device.isCUDA ? "cuda." : "")\(dtype.scalarTypeName)Tensor' only dense CPU tensors can be pinned") }
        if isPinned { return self }
        let out = Tensor(storage: Storage(byteCount: count * dtype.itemSize, device: .cpu, pinned: true), shape: shape,
                         strides: Tensor.contiguousStrides(shape), offset: 0, dtype: dtype)
        Kernels.copyStrided(self, srcStrides: strides, into: out)
        return out
    }
}
