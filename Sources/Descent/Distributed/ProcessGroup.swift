import Foundation

/// A collective in flight (PyTorch's `Work`): `wait()` blocks until its result is in place. A
/// synchronous collective returns one already waited for.
public final class Work: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false, waited = false
    private var failure: CommunicationError?
    /// Runs on the waiting thread once the engine is done (copies into output lists, `.average`'s division).
    private var completion: (() -> Void)?
    private let group: ProcessGroup
    let what: String

    init(group: ProcessGroup, what: String, completion: (() -> Void)?) {
        self.group = group; self.what = what; self.completion = completion
    }
    func finish(_ error: CommunicationError?) {
        lock.lock(); failure = error; finished = true; lock.unlock()
        done.signal()
    }
    /// Whether the engine has finished (PyTorch's `is_completed()`).
    public var isCompleted: Bool { lock.lock(); defer { lock.unlock() }; return finished }

    /// Blocks until the collective is done and its result is in the tensors (PyTorch's `wait()`).
    /// After the group's timeout the whole job stops (MPI_Abort), naming this rank and the
    /// collective, so that no rank waits forever on a peer that died or took another path.
    @discardableResult public func wait() -> Bool {
        lock.lock()
        if waited { lock.unlock(); return true }
        lock.unlock()
        if done.wait(timeout: .now() + group.timeout) == .timedOut {
            group.stopJob("\(what) did not finish within \(formatSeconds(group.timeout)): a peer rank stopped, or took a different path through its collectives")
        }
        lock.lock(); waited = true; let f = failure; lock.unlock()
        if let f { group.stopJob("\(what): \(f)") }
        completion?()
        completion = nil
        return true
    }
}

private func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }

/// A group of processes and the engine between them, with one communication thread that runs the
/// collectives in the order they were called (the same order on every rank, as MPI requires).
final class ProcessGroup: @unchecked Sendable {
    let engine: CommunicationEngine
    let backend: Distributed.Backend
    let timeout: Double
    private let queue = DispatchQueue(label: "descent.distributed", qos: .userInitiated)
    private var sequence = 0

    init(engine: CommunicationEngine, backend: Distributed.Backend, timeout: Double) {
        self.engine = engine; self.backend = backend; self.timeout = timeout
    }
    var rank: Int { engine.rank }
    var worldSize: Int { engine.worldSize }

    /// Queues `body` on the communication thread; `completion` runs on the thread that waits.
    func submit(_ name: String, detail: String, asyncOp: Bool, completion: (() -> Void)? = nil,
                _ body: @escaping (CommunicationEngine) throws(CommunicationError) -> Void) -> Work {
        sequence += 1
        let work = Work(group: self, what: "[rank \(rank)] \(name) #\(sequence) (\(detail))", completion: completion)
        let engine = self.engine
        queue.async {
            do throws(CommunicationError) { try body(engine); work.finish(nil) } catch { work.finish(error) }
        }
        if !asyncOp { work.wait() }
        return work
    }

    /// Stops every rank with `message` (a failed or timed-out collective).
    func stopJob(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Descent distributed error: \(message). Aborting the job.\n".utf8))
        engine.abort(code: 1)
    }
    /// Waits for everything queued so far.
    func drain() { queue.sync {} }
}

/// Data-parallel training across processes (PyTorch's `torch.distributed`): a default process group
/// over MPI, and the collectives on tensors. Start the program under an MPI launcher
/// (`mpirun -np 2 swift run -c release descent ...`); started without one, it is a world of one
/// process and every collective leaves its data as it is.
///
/// A collective blocks until its result is in place, or with `asyncOp: true` returns a `Work` to
/// `wait()` on; until then the tensors must not be touched. Tensors are CPU tensors, contiguous.
public enum Distributed {
    /// How a collective combines the ranks' tensors (PyTorch's `dist.ReduceOp`).
    public enum ReduceOp: Sendable, Equatable {
        case sum, average, product, min, max
        /// PyTorch's spelling of `.average` (`ReduceOp.AVG`).
        public static var avg: ReduceOp { .average }
    }
    /// The engine under the process group (PyTorch's `backend=`).
    public enum Backend: String, Sendable { case mpi }

    nonisolated(unsafe) static var defaultGroup: ProcessGroup?

    /// Whether `backend` can be used here: for `.mpi`, whether Open MPI's `libmpi.so.40` loads.
    public static func isAvailable(_ backend: Backend = .mpi) -> Bool { unavailableReason(backend) == nil }
    /// Why `backend` cannot be used here, or nil.
    public static func unavailableReason(_ backend: Backend = .mpi) -> String? {
        switch backend {
        case .mpi:
            if case .failure(let e) = MPILibrary.shared { return e.description }
            return nil
        }
    }
    /// Whether this process was started by an MPI launcher (`mpirun`, `srun`): Open MPI's and PMIx's variables.
    public static var isLaunched: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil
    }

    /// Sets up the default process group (PyTorch's `init_process_group`): rank and world size come from
    /// the MPI launcher. Without a launcher this is a world of one process, and MPI is not needed.
    /// A collective that does not finish within `timeout` seconds stops the whole job.
    public static func initProcessGroup(backend: Backend = .mpi, timeout: Double = 1800) throws {
        if defaultGroup != nil { fail("trying to initialize the default process group twice!") }
        if timeout <= 0 { fail("timeout must be positive, got \(timeout)") }
        let engine: CommunicationEngine
        switch backend {
        case .mpi:
            if isLaunched {
                do { engine = try MPIEngine() } catch { throw DistributedError.backendUnavailable(backend: backend.rawValue, reason: error.description) }
            } else {
                engine = SingleProcessEngine()
            }
        }
        defaultGroup = ProcessGroup(engine: engine, backend: backend, timeout: timeout)
    }
    /// Whether the default process group is set up (PyTorch's `is_initialized`).
    public static var isInitialized: Bool { defaultGroup != nil }
    /// This process's rank in the default group (PyTorch's `get_rank`).
    public static var rank: Int { group.rank }
    /// The number of processes in the default group (PyTorch's `get_world_size`).
    public static var worldSize: Int { group.worldSize }
    /// The default group's engine (PyTorch's `get_backend`).
    public static var backend: Backend { group.backend }
    /// Finishes what is queued and removes the default group (PyTorch's `destroy_process_group`).
    /// MPI itself stays initialised until the process exits (it cannot be initialised twice), so a
    /// later `initProcessGroup` works again.
    public static func destroyProcessGroup() {
        guard let g = defaultGroup else { fail("Default process group has not been initialized, please make sure to call init_process_group.") }
        g.drain()
        defaultGroup = nil
    }

    static var group: ProcessGroup {
        guard let g = defaultGroup else { fail("Default process group has not been initialized, please make sure to call init_process_group.") }
        return g
    }

    // MARK: collectives

    /// Reduces `tensor` across all ranks in place, so every rank ends with the result (PyTorch's `all_reduce`).
    /// `.average` sums, then divides (floating-point tensors only).
    @discardableResult
    public static func allReduce(_ tensor: Tensor, op: ReduceOp = .sum, asyncOp: Bool = false) -> Work {
        let g = group
        check(tensor, "allReduce")
        if op == .average && !tensor.dtype.isFloatingPoint {
            fail("allReduce with ReduceOp.average needs a floating-point tensor, got \(tensor.dtype)")
        }
        let n = g.worldSize
        let completion: (() -> Void)? = op == .average && n > 1 ? { noGrad { _ = tensor.div_(Double(n)) } } : nil
        return g.submit("allReduce", detail: describe(tensor), asyncOp: asyncOp, completion: completion) { e throws(CommunicationError) in
            try e.allReduce(tensor, op == .average ? .sum : op)
        }
    }

    /// Copies rank `src`'s `tensor` into `tensor` on every rank (PyTorch's `broadcast`).
    @discardableResult
    public static func broadcast(_ tensor: Tensor, src: Int, asyncOp: Bool = false) -> Work {
        let g = group
        check(tensor, "broadcast")
        checkRank(src, g, "src")
        return g.submit("broadcast", detail: describe(tensor) + " from rank \(src)", asyncOp: asyncOp) { e throws(CommunicationError) in
            try e.broadcast(tensor, root: src)
        }
    }

    /// Fills `tensorList[r]` with rank r's `tensor` on every rank (PyTorch's `all_gather`).
    @discardableResult
    public static func allGather(_ tensorList: [Tensor], _ tensor: Tensor, asyncOp: Bool = false) -> Work {
        let g = group
        check(tensor, "allGather")
        if tensorList.count != g.worldSize {
            fail("allGather: the output list has \(tensorList.count) tensors, expected one per rank (world size \(g.worldSize))")
        }
        for (i, t) in tensorList.enumerated() where t.shape != tensor.shape || t.dtype != tensor.dtype || t.device != tensor.device {
            fail("allGather: output tensor \(i) is \(t.dtype) \(shapeString(t.shape)), expected \(tensor.dtype) \(shapeString(tensor.shape)) like the input")
        }
        let flat = Tensor.empty([g.worldSize] + tensor.shape, dtype: tensor.dtype)
        let completion = { noGrad { for (i, t) in tensorList.enumerated() { t.copy_(flat[i]) } } }
        return g.submit("allGather", detail: describe(tensor), asyncOp: asyncOp, completion: completion) { e throws(CommunicationError) in
            try e.allGather(tensor, into: flat)
        }
    }

    /// Writes every rank's `input`, in rank order, into `output`: shape `[worldSize * n, ...]` (concatenated
    /// along dim 0) or `[worldSize, ...]` (stacked) (PyTorch's `all_gather_into_tensor`).
    @discardableResult
    public static func allGatherIntoTensor(_ output: Tensor, _ input: Tensor, asyncOp: Bool = false) -> Work {
        let g = group
        check(input, "allGatherIntoTensor"); check(output, "allGatherIntoTensor")
        if output.count != input.count * g.worldSize || output.dtype != input.dtype {
            fail("output tensor size must be equal to world_size times input tensor size (output \(output.dtype) \(shapeString(output.shape)), input \(input.dtype) \(shapeString(input.shape)), world size \(g.worldSize))")
        }
        return g.submit("allGatherIntoTensor", detail: describe(input), asyncOp: asyncOp) { e throws(CommunicationError) in
            try e.allGather(input, into: output)
        }
    }

    /// Reduces `inputList[r]` across ranks into rank r's `output` (PyTorch's `reduce_scatter`).
    @discardableResult
    public static func reduceScatter(_ output: Tensor, _ inputList: [Tensor], op: ReduceOp = .sum, asyncOp: Bool = false) -> Work {
        let g = group
        check(output, "reduceScatter")
        if inputList.count != g.worldSize {
            fail("reduceScatter: the input list has \(inputList.count) tensors, expected one per rank (world size \(g.worldSize))")
        }
        for (i, t) in inputList.enumerated() where t.shape != output.shape || t.dtype != output.dtype || t.device != output.device {
            fail("reduceScatter: input tensor \(i) is \(t.dtype) \(shapeString(t.shape)), expected \(output.dtype) \(shapeString(output.shape)) like the output")
        }
        let flat = noGrad { stack(inputList.map { $0.detach() }) }
        return reduceScatterTensor(output, flat, op: op, asyncOp: asyncOp, name: "reduceScatter")
    }

    /// Reduces `input` (`worldSize` equal blocks along dim 0, or stacked) across ranks and writes block
    /// `rank` into `output` (PyTorch's `reduce_scatter_tensor`).
    @discardableResult
    public static func reduceScatterTensor(_ output: Tensor, _ input: Tensor, op: ReduceOp = .sum, asyncOp: Bool = false) -> Work {
        reduceScatterTensor(output, input, op: op, asyncOp: asyncOp, name: "reduceScatterTensor")
    }
    private static func reduceScatterTensor(_ output: Tensor, _ input: Tensor, op: ReduceOp, asyncOp: Bool, name: String) -> Work {
        let g = group
        check(input, name); check(output, name)
        if input.count != output.count * g.worldSize || output.dtype != input.dtype {
            fail("input tensor must be the same size as output size times world size (input \(input.dtype) \(shapeString(input.shape)), output \(output.dtype) \(shapeString(output.shape)), world size \(g.worldSize))")
        }
        if op == .average && !output.dtype.isFloatingPoint {
            fail("\(name) with ReduceOp.average needs a floating-point tensor, got \(output.dtype)")
        }
        let n = g.worldSize
        let completion: (() -> Void)? = op == .average && n > 1 ? { noGrad { _ = output.div_(Double(n)) } } : nil
        return g.submit(name, detail: describe(output), asyncOp: asyncOp, completion: completion) { e throws(CommunicationError) in
            try e.reduceScatter(input, into: output, op == .average ? .sum : op)
        }
    }

    /// Waits until every rank reaches this point (PyTorch's `barrier`).
    @discardableResult
    public static func barrier(asyncOp: Bool = false) -> Work {
        group.submit("barrier", detail: "no data", asyncOp: asyncOp) { e throws(CommunicationError) in try e.barrier() }
    }

    private static func check(_ t: Tensor, _ name: String) {
        if t.device != .cpu {
            fail("\(name): the MPI process group moves CPU tensors; got a tensor on \(t.device) (move it with .cpu())")
        }
        if !t.isContiguous { fail("\(name): Tensors must be contiguous") }
    }
    private static func checkRank(_ r: Int, _ g: ProcessGroup, _ what: String) {
        if r < 0 || r >= g.worldSize { fail("Invalid \(what) rank \(r): the world has ranks 0...\(g.worldSize - 1)") }
    }
    private static func describe(_ t: Tensor) -> String { "\(t.count) \(t.dtype) elements" }
}

/// Why the distributed layer could not start.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// The engine cannot be loaded or started here.
    case backendUnavailable(backend: String, reason: String)
    public var description: String {
        switch self {
        case let .backendUnavailable(b, reason): return "Distributed backend \(b) is not available: \(reason)"
        }
    }
}
