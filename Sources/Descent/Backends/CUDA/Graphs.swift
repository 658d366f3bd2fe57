import CDescentKernels

// PyTorch's CUDA graphs (`torch.cuda.CUDAGraph`, `with torch.cuda.graph(g):`): the kernels a block of
// code queues are captured once and then replayed with one launch, which removes the host's per-op
// cost; a small training step then costs about one launch. As in PyTorch, the captured work reads
// and writes fixed addresses: copy new inputs into the tensors used during capture (`copy_`) before
// each `replay()`, and read the outputs captured then. Memory allocated during the capture comes
// from the graph's private pool (its own stream in the caching allocator), which no other work
// reuses and `emptyCache()` keeps while the graph exists.
//
// What cannot be captured stops with a message: waiting for the device (copies to or from pageable
// host memory, `item()`, `synchronize()`), random draws on the device (the Philox offset lives on
// the host), Adam's update unless `capturable: true` puts its step count on the device, the other
// optimizers that read a host step count (SGD, RMSprop, Adadelta and Rprop capture), an optimizer's
// first step (run a few warm-up steps before capturing, as PyTorch's recipe does), and switching
// streams inside the capture. As in PyTorch, a learning rate is captured by value: a scheduler's
// later changes do not reach the replays. Capture is per thread: other threads run eagerly meanwhile.
// On OpenCL (PoCL, for the tests) a graph records the launches and copies and replays them.

extension CUDA {
    /// A captured sequence of GPU work, replayed with `replay()` (PyTorch's `torch.cuda.CUDAGraph`).
    public final class Graph: @unchecked Sendable {
        private var exec: OpaquePointer?
        private var stream: OpaquePointer?
        private var previous: OpaquePointer?
        private var deviceIndex = 0
        private var capturing = false

        public init() {}
        deinit {
            reset()
            if let s = stream, let ctx = GPURegistry.existing(deviceIndex) { ctx.runtime.destroyStream(s) }
        }

        /// Starts capturing the work this thread queues on `device` (`capture_begin()`): waits for the
        /// device, then makes the graph's private stream current.
        public func captureBegin(device: Int = 0) {
            if capturing || exec != nil { fail("This CUDAGraph instance already owns a captured graph. To capture a new graph, create a new instance.") }
            CUDA.synchronize()
            let ctx = GPURegistry.context(device)
            deviceIndex = device
            let s = stream ?? ctx.runtime.createStream()
            stream = s
            ctx.withAllocator { $0.protect(stream: streamID(s)) }
            previous = ctx.runtime.currentStream
            dk_set_current_stream(Int32(device), UnsafeMutableRawPointer(s))
            ctx.runtime.beginCapture(s)
            ctx.withAllocator { $0.deferEvents = true }
            dk_set_capturing(1)
            capturing = true
        }
        /// Ends the capture (`capture_end()`) and restores the stream that was current.
        public func captureEnd() {
            guard capturing, let s = stream else { fail("captureEnd without captureBegin") }
            UpdateBatch.flushBeforeOtherWork()
            let ctx = GPURegistry.context(deviceIndex)
            exec = ctx.runtime.endCapture(s)
            dk_set_capturing(0)
            capturing = false
            ctx.withAllocator { $0.deferEvents = false }
            dk_set_current_stream(Int32(deviceIndex), previous.map { UnsafeMutableRawPointer($0) })
        }
        /// Queues the captured work again on the current stream, with one launch (`replay()`).
        public func replay() {
            guard let e = exec else { fail("Called CUDAGraph::replay without a preceding successful capture.") }
            GPURegistry.context(deviceIndex).runtime.launchGraph(e, on: CUDA.currentStream(deviceIndex).handle)
        }
        /// Releases the captured graph and lets its pool's free memory go back to the device (`reset()`).
        public func reset() {
            guard !capturing, let ctx = GPURegistry.existing(deviceIndex) else { return }
            if let e = exec { ctx.runtime.synchronize(); ctx.runtime.destroyGraph(e) }
            exec = nil
            if let s = stream { ctx.withAllocator { $0.unprotect(stream: streamID(s)) } }
        }
    }

    /// Captures the work `body` queues on cuda:0 into `graph` (`with torch.cuda.graph(g):`).
    public static func graph<R>(_ graph: Graph, _ body: () throws -> R) rethrows -> R {
        graph.captureBegin()
        defer { graph.captureEnd() }
        return try body()
    }
    /// Whether this thread is capturing a graph (`torch.cuda.is_current_stream_capturing()`).
    public static func isCurrentStreamCapturing() -> Bool { GPUGraphCapture.active }
}
