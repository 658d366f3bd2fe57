import CDescentKernels

// PyTorch's CUDA graphs (`torch.cuda.CUDAGraph`, `with torch.cuda.graph(g):`): the kernels a block of
// code queues are captured once and then replayed with one launch, which removes the host's per-op
// cost; a small training step then costs about one launch. As in PyTorch, the captured work reads
// and writes fixed addresses: copy new inputs into the tensors used during capture (`copy_`) before
// each `replay()`, and read the outputs captured then. Memory allocated during the capture comes
// from the graph's private pool (its own stream in the caching allocator), which no other work
// reuses and `emptyCache()` keeps while the graph exists.
//
// Random draws on the device are captured as PyTorch captures them: each generator used during the
// capture gets a device copy of its seed and offset, which the draws read (plus their offset within
// the graph), and each replay first sets it from the generator and moves the generator on by the
// whole graph's draws. So replays draw fresh numbers, the ones the same steps run eagerly would draw
// (dropout in a captured training step gives eager training's results, bit for bit).
//
// What cannot be captured stops with a message: waiting for the device (copies to or from pageable
// host memory, `item()`, `synchronize()`; so multinomial without replacement, whose check reads
// the probabilities), Adam's update unless `capturable: true` puts its step count on the device, the other
// optimizers that read a host step count (SGD, RMSprop, Adadelta and Rprop capture), an optimizer's
// first step (run a few warm-up steps before capturing, as PyTorch's recipe does), switching to a
// stream that has not joined the capture, and ending it before the streams that joined are joined
// back. Other streams take part as in CUDA: a stream that waits for the capturing stream
// (`side.waitStream(CUDA.currentStream())`) joins, its work is captured (branches that replays may
// run concurrently), and the capturing stream must wait for it again
// (`CUDA.currentStream().waitStream(side)`) before the capture ends. Memory allocated on any of them
// comes from the graph's pool; as in PyTorch, a tensor allocated on one stream and used on another
// needs `recordStream` (or to outlive the capture). As in PyTorch, a learning rate is captured by value: a scheduler's
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
        /// The generators drawn from during the capture: their device state and the whole graph's Philox increment.
        private var generators: [CapturedGenerator] = []
        /// During the capture: the streams taking part (the graph's own and those that joined it), the
        /// joined ones made current since they were last joined back, and the events recorded on
        /// streams taking part, with their stream.
        private var captureStreams: Set<UInt> = []
        private var unjoined: Set<UInt> = []
        private var capturedEvents: [ObjectIdentifier: UInt] = [:]
        private final class CapturedGenerator {
            let generator: Generator, state: Tensor
            var increment: UInt64 = 0
            init(_ generator: Generator, _ state: Tensor) { self.generator = generator; self.state = state }
        }

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
            captureStreams = [UInt(bitPattern: s)]; unjoined = []; capturedEvents = [:]
            ctx.runtime.beginCapture(s)
            ctx.withAllocator { $0.deferEvents = true }
            dk_set_capturing(Unmanaged.passUnretained(self).toOpaque())
            GPUGraphCapture.began()
            capturing = true
        }
        /// Ends the capture (`capture_end()`) and restores the stream that was current.
        public func captureEnd() {
            guard capturing, let s = stream else { fail("captureEnd without captureBegin") }
            if let open = unjoined.first {
                fail("CUDA error: operation not permitted when stream is capturing (capture_end: stream 0x\(String(open, radix: 16)) joined the capture and was not joined back; make the capturing stream wait for it with CUDA.currentStream().waitStream(side) before the capture ends)")
            }
            UpdateBatch.flushBeforeOtherWork()
            let ctx = GPURegistry.context(deviceIndex)
            exec = ctx.runtime.endCapture(s)
            dk_set_capturing(nil)
            GPUGraphCapture.ended()
            capturing = false
            ctx.withAllocator { $0.deferEvents = false }
            captureStreams = []; capturedEvents = [:]
            dk_set_current_stream(Int32(deviceIndex), previous.map { UnsafeMutableRawPointer($0) })
        }
        /// Queues the captured work again on the current stream, with one launch (`replay()`).
        /// Before the graph, one small launch per generator it draws from sets that generator's seed and
        /// offset on the device (PyTorch's `replay_prologue`).
        public func replay() {
            guard let e = exec else { fail("Called CUDAGraph::replay without a preceding successful capture.") }
            let ctx = GPURegistry.context(deviceIndex)
            for g in generators {
                let (seed, offset) = g.generator.philoxState(increment: g.increment)
                CUDABackend.launch(ctx, "dk_philox_set_state", elements: 1,
                                   [.i64(Int64(bitPattern: seed)), .i64(Int64(bitPattern: offset)), CUDABackend.arg(g.state)])
            }
            ctx.runtime.launchGraph(e, on: CUDA.currentStream(deviceIndex).handle)
        }

        /// The stream whose pool serves allocations on `device` during the capture: the graph's own.
        func poolStream(device: Int) -> OpaquePointer? { device == deviceIndex ? stream : GPURegistry.context(device).runtime.currentStream }
        /// An event recorded during the capture on a stream taking part carries that stream's work.
        func noteRecord(_ event: Event, on s: Stream) {
            let h = UInt(bitPattern: s.handle)
            if s.index == deviceIndex && captureStreams.contains(h) { capturedEvents[ObjectIdentifier(event)] = h }
            else { capturedEvents[ObjectIdentifier(event)] = nil }
        }
        /// A stream waiting for such an event joins the capture; the graph's stream waiting for one
        /// joins back the stream it was recorded on.
        func noteWait(_ event: Event, by s: Stream) {
            let h = UInt(bitPattern: s.handle)
            guard s.index == deviceIndex, let self_ = stream else { return }
            guard let from = capturedEvents[ObjectIdentifier(event)] else {
                if captureStreams.contains(h) {
                    fail("a stream capturing a CUDA graph cannot wait for an event recorded outside the capture: wait for it before captureBegin")
                }
                return
            }
            if !captureStreams.contains(h) {
                guard let handle = s.handle else { fail("the default stream cannot join a CUDA graph capture: use a CUDA.Stream()") }
                captureStreams.insert(h)
                GPURegistry.context(deviceIndex).runtime.joinCapture(handle)
            }
            if h == UInt(bitPattern: self_) { unjoined.remove(from) }
        }
        /// Whether `event` was recorded during the capture on a stream taking part (the host cannot wait for it).
        func captured(_ event: Event) -> Bool { capturedEvents[ObjectIdentifier(event)] != nil }
        /// Whether `s` takes part in the capture.
        func takesPart(_ s: Stream) -> Bool { s.index == deviceIndex && captureStreams.contains(UInt(bitPattern: s.handle)) }
        /// Switching to a stream is allowed during the capture when it takes part in it.
        func noteSwitch(to s: Stream) {
            let h = UInt(bitPattern: s.handle)
            guard s.index == deviceIndex, let self_ = stream, h != UInt(bitPattern: self_) else { return }
            if !takesPart(s) {
                fail("switching to a stream that has not joined the CUDA graph capture: make it wait for the capturing stream first (side.waitStream(CUDA.currentStream())), as CUDA requires")
            }
            unjoined.insert(h)
        }

        /// The graph this thread is capturing.
        static var capturingOnThisThread: Graph? {
            dk_get_capturing().map { Unmanaged<Graph>.fromOpaque($0).takeUnretainedValue() }
        }
        /// Where a draw of `increment` from `generator` during the capture reads its seed and base
        /// offset, and its offset within the graph (PyTorch's `philox_cuda_state` while capturing).
        func capturedPhiloxState(_ generator: Generator, increment: UInt64) -> (state: Tensor, offset: UInt64) {
            guard generator.device == .cuda(deviceIndex) else {
                fail("a graph captured on cuda:\(deviceIndex) cannot draw from a generator of \(generator.device)")
            }
            let entry: CapturedGenerator
            if let e = generators.first(where: { $0.generator === generator }) { entry = e } else {
                entry = CapturedGenerator(generator, Tensor(uninitializedShape: [2], dtype: .int64, device: .cuda(deviceIndex)))
                generators.append(entry)
            }
            let offset = entry.increment
            entry.increment &+= Generator.philoxStep(increment)
            return (entry.state, offset)
        }
        /// Releases the captured graph and lets its pool's free memory go back to the device (`reset()`).
        public func reset() {
            guard !capturing, let ctx = GPURegistry.existing(deviceIndex) else { return }
            if let e = exec { ctx.runtime.synchronize(); ctx.runtime.destroyGraph(e) }
            exec = nil
            generators = []
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

/// The Philox seed and offset a random kernel draws from: by value, or, during a graph capture, from
/// the graph's device copy of the generator's state plus the draw's offset within the graph.
struct PhiloxArgs {
    var seed: UInt64 = 0, offset: UInt64
    var state: Tensor?

    /// Takes `increment` from `generator` (a capture takes it from the graph's count instead).
    init(_ generator: Generator, increment: UInt64) {
        if let graph = CUDA.Graph.capturingOnThisThread {
            (state, offset) = graph.capturedPhiloxState(generator, increment: increment)
        } else {
            (seed, offset) = generator.philoxState(increment: increment)
        }
    }
    /// The kernels' `seed, offset, captured, state` parameters.
    var kernelArgs: [KernelArg] {
        [.i64(Int64(bitPattern: seed)), .i64(Int64(bitPattern: offset)), .i32(state == nil ? 0 : 1), CUDABackend.arg(state)]
    }
}
