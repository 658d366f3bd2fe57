import Foundation
import Synchronization

/// A collective in flight (PyTorch's `Work`): `wait()` blocks until its result is in place. A
/// synchronous collective returns one already waited for.
public final class Work: @unchecked Sendable {
    /// Signalled by the communication thread; nil for a collective that ran on the calling thread.
    private let done: DispatchSemaphore?
    private let lock: NSLock?
    private var finished = false, waited = false
    private var failure: CommunicationError?
    /// Runs on the waiting thread once the engine is done (copies into output lists, `.average`'s division).
    private var completion: (() -> Void)?
    private let engine: CommunicationEngine
    private let timeout: Double
    private let name: String, sequence: Int, detail: CollectiveDetail
    /// "[rank 0] allReduce #3 (4 float32 elements)", for messages.
    var what: String { "[rank \(engine.rank)] \(name) #\(sequence) (\(detail.text))" }

    /// What a synchronous collective that ran on the calling thread returns: done, nothing to wait for.
    static let completed: Work = {
        let w = Work(engine: SingleProcessEngine(), timeout: 1, queued: false, name: "done", sequence: 0, detail: CollectiveDetail(), completion: nil)
        w.finished = true; w.waited = true
        return w
    }()

    init(engine: CommunicationEngine, timeout: Double, queued: Bool, name: String, sequence: Int, detail: CollectiveDetail,
         completion: (() -> Void)?) {
        self.engine = engine; self.timeout = timeout
        self.name = name; self.sequence = sequence; self.detail = detail; self.completion = completion
        done = queued ? DispatchSemaphore(value: 0) : nil
        lock = queued ? NSLock() : nil
    }
    func finish(_ error: CommunicationError?) {
        lock?.lock(); failure = error; finished = true; lock?.unlock()
        done?.signal()
    }
    /// Whether the engine has finished (PyTorch's `is_completed()`).
    public var isCompleted: Bool { lock?.lock(); defer { lock?.unlock() }; return finished }

    /// Blocks until the collective is done and its result is in the tensors (PyTorch's `wait()`).
    /// After the group's timeout the whole job stops (MPI_Abort), naming this rank and the
    /// collective, so that no rank waits forever on a peer that died or took another path.
    @discardableResult public func wait() -> Bool {
        lock?.lock()
        if waited { lock?.unlock(); return true }
        lock?.unlock()
        if let done, done.wait(timeout: .now() + timeout) == .timedOut {
            stopJob(engine, "\(what) did not finish within \(formatSeconds(timeout)): a peer rank stopped, or took a different path through its collectives")
        }
        lock?.lock(); waited = true; let f = failure; lock?.unlock()
        if let f { stopJob(engine, "\(what): \(f)") }
        completion?()
        completion = nil
        return true
    }
}

/// One collective for an engine: a value, so a synchronous call allocates nothing to describe it.
enum Collective {
    case allReduce(Tensor, Distributed.ReduceOp)
    case broadcast(Tensor, root: Int)
    case allGather(Tensor, into: Tensor)
    case reduceScatter(Tensor, into: Tensor, Distributed.ReduceOp)
    case barrier

    func run(on e: CommunicationEngine) throws(CommunicationError) {
        switch self {
        case let .allReduce(t, op): try e.allReduce(t, op)
        case let .broadcast(t, root): try e.broadcast(t, root: root)
        case let .allGather(t, out): try e.allGather(t, into: out)
        case let .reduceScatter(t, out, op): try e.reduceScatter(t, into: out, op)
        case .barrier: try e.barrier()
        }
    }
    var detail: CollectiveDetail {
        switch self {
        case let .allReduce(t, _), let .allGather(t, _): return CollectiveDetail(count: t.count, dtype: t.dtype)
        case let .broadcast(t, root): return CollectiveDetail(count: t.count, dtype: t.dtype, root: root)
        case let .reduceScatter(_, out, _): return CollectiveDetail(count: out.count, dtype: out.dtype)
        case .barrier: return CollectiveDetail()
        }
    }
}

/// What a collective moves, for messages: made into text only when one is printed.
struct CollectiveDetail {
    var count = 0
    var dtype = DType.float32
    var root: Int?
    var text: String {
        if count == 0 && root == nil { return "no data" }
        return "\(count) \(dtype) elements" + (root.map { " from rank \($0)" } ?? "")
    }
}

/// Stops every rank with `message` (a failed or timed-out collective).
func stopJob(_ engine: CommunicationEngine, _ message: String) -> Never {
    FileHandle.standardError.write(Data("Descent distributed error: \(message). Aborting the job.\n".utf8))
    engine.abort(code: 1)
}

/// Watches the synchronous collective running on the calling thread: when the same one is still in
/// flight after the timeout (the thread is blocked in it), the job stops. The calling thread only
/// stores a sequence number; the watchdog keeps the clock.
final class Watchdog: @unchecked Sendable {
    let inflightSequence = Atomic<Int>(0)
    /// The collective in flight, written before `inflightSequence` (read only to name it in the message).
    nonisolated(unsafe) var inflightName = ""
    nonisolated(unsafe) var inflightDetail = CollectiveDetail()
    let stopped = Atomic<Bool>(false)
    init(engine: CommunicationEngine, timeout: Double) {
        let interval = Swift.min(1.0, timeout / 8)
        let t = Thread { [self] in
            var seen = 0, since: UInt64 = 0
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: interval)
                let seq = inflightSequence.load(ordering: .acquiring)
                let now = DispatchTime.now().uptimeNanoseconds
                if seq == 0 || seq != seen { seen = seq; since = now; continue }
                if Double(now - since) / 1e9 >= timeout {
                    let what = "[rank \(engine.rank)] \(inflightName) #\(seq) (\(inflightDetail.text))"
                    stopJob(engine, "\(what) did not finish within \(formatSeconds(timeout)): a peer rank stopped, or took a different path through its collectives")
                }
            }
        }
        t.name = "descent.distributed.watchdog"
        t.start()
    }
}

private func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }

/// A group of processes and the engine between them. Collectives run in the order they were called
/// (the same order on every rank, as MPI requires): an asynchronous one on the group's communication
/// thread, a synchronous one on the calling thread when nothing is queued (no thread hand-off: a 4 KB
/// all-reduce costs what MPI's own does), else after the queued ones, so the engine is never called
/// from two threads at once (MPI_THREAD_SERIALIZED). A watchdog thread stops the job when a synchronous collective has not
/// finished within the timeout; `Work.wait()` does the same for asynchronous ones.
final class ProcessGroup: @unchecked Sendable {
    let engine: CommunicationEngine
    let backend: Distributed.Backend
    let timeout: Double
    private let queue = DispatchQueue(label: "descent.distributed", qos: .userInitiated)
    private var sequence = 0
    /// Collectives handed to the communication thread and not finished. Only the thread that calls the
    /// collectives adds to it, so when it reads 0 the communication thread is idle and the engine free.
    private let queued = Atomic<Int>(0)
    private var watchdog: Watchdog?

    init(engine: CommunicationEngine, backend: Distributed.Backend, timeout: Double) {
        self.engine = engine; self.backend = backend; self.timeout = timeout
    }
    var rank: Int { engine.rank }
    var worldSize: Int { engine.worldSize }

    /// Runs `body` (on the communication thread when `asyncOp` or when collectives are queued);
    /// `completion` runs on the thread that waits.
    func submit(_ name: String, _ collective: Collective, asyncOp: Bool, completion: (() -> Void)? = nil) -> Work {
        sequence += 1
        let engine = self.engine
        if !asyncOp && queued.load(ordering: .acquiring) == 0 {
            let dog = watchdog ?? Watchdog(engine: engine, timeout: timeout)
            watchdog = dog
            dog.inflightName = name
            dog.inflightDetail = collective.detail
            dog.inflightSequence.store(sequence, ordering: .releasing)
            do throws(CommunicationError) { try collective.run(on: engine) } catch {
                stopJob(engine, "[rank \(rank)] \(name) #\(sequence) (\(collective.detail.text)): \(error)")
            }
            dog.inflightSequence.store(0, ordering: .releasing)
            completion?()
            return Work.completed
        }
        queued.add(1, ordering: .relaxed)
        let work = Work(engine: engine, timeout: timeout, queued: true, name: name, sequence: sequence, detail: collective.detail, completion: completion)
        queue.async { [self] in
            var failure: CommunicationError?
            do throws(CommunicationError) { try collective.run(on: engine) } catch { failure = error }
            queued.subtract(1, ordering: .releasing)
            work.finish(failure)
        }
        if !asyncOp { work.wait() }
        return work
    }

    /// Waits for everything queued so far and stops the watchdog.
    func drain() {
        queue.sync {}
        watchdog?.stopped.store(true, ordering: .relaxed)
    }
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
        let completion = averaging(op, tensor, g, "allReduce")
        return g.submit("allReduce", .allReduce(tensor, op == .average ? .sum : op), asyncOp: asyncOp, completion: completion)
    }

    /// Copies rank `src`'s `tensor` into `tensor` on every rank (PyTorch's `broadcast`).
    @discardableResult
    public static func broadcast(_ tensor: Tensor, src: Int, asyncOp: Bool = false) -> Work {
        let g = group
        check(tensor, "broadcast")
        checkRank(src, g, "src")
        return g.submit("broadcast", .broadcast(tensor, root: src), asyncOp: asyncOp)
    }

    /// Fills `tensorList[r]` with rank r's `tensor` on every rank (PyTorch's `all_gather`).
    @discardableResult
    public static func allGather(_ tensorList: [Tensor], _ tensor: Tensor, asyncOp: Bool = false) -> Work {
        let g = group
        check(tensor, "allGather")
        checkList(tensorList, like: tensor, g, "allGather", "output", "input")
        let flat = Tensor.empty([g.worldSize] + tensor.shape, dtype: tensor.dtype)
        let completion = { noGrad { for (i, t) in tensorList.enumerated() { t.copy_(flat[i]) } } }
        return g.submit("allGather", .allGather(tensor, into: flat), asyncOp: asyncOp, completion: completion)
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
        return g.submit("allGatherIntoTensor", .allGather(input, into: output), asyncOp: asyncOp)
    }

    /// Reduces `inputList[r]` across ranks into rank r's `output` (PyTorch's `reduce_scatter`).
    @discardableResult
    public static func reduceScatter(_ output: Tensor, _ inputList: [Tensor], op: ReduceOp = .sum, asyncOp: Bool = false) -> Work {
        let g = group
        check(output, "reduceScatter")
        checkList(inputList, like: output, g, "reduceScatter", "input", "output")
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
        let completion = averaging(op, output, g, name)
        return g.submit(name, .reduceScatter(input, into: output, op == .average ? .sum : op), asyncOp: asyncOp, completion: completion)
    }

    /// Waits until every rank reaches this point (PyTorch's `barrier`).
    @discardableResult
    public static func barrier(asyncOp: Bool = false) -> Work {
        group.submit("barrier", .barrier, asyncOp: asyncOp)
    }

    private static func check(_ t: Tensor, _ name: String) {
        if t.device != .cpu {
            fail("\(name): the MPI process group moves CPU tensors; got a tensor on \(t.device) (move it with .cpu())")
        }
        if !t.isContiguous { fail("\(name): Tensors must be contiguous") }
    }
    /// `.average` is a sum the waiting thread then divides by the world size (floating-point tensors only).
    private static func averaging(_ op: ReduceOp, _ t: Tensor, _ g: ProcessGroup, _ name: String) -> (() -> Void)? {
        guard op == .average else { return nil }
        if !t.dtype.isFloatingPoint { fail("\(name) with ReduceOp.average needs a floating-point tensor, got \(t.dtype)") }
        let n = g.worldSize
        return n > 1 ? { noGrad { _ = t.div_(Double(n)) } } : nil
    }
    /// One tensor per rank, each shaped like `t`.
    private static func checkList(_ list: [Tensor], like t: Tensor, _ g: ProcessGroup, _ name: String, _ listRole: String, _ role: String) {
        if list.count != g.worldSize {
            fail("\(name): the \(listRole) list has \(list.count) tensors, expected one per rank (world size \(g.worldSize))")
        }
        for (i, x) in list.enumerated() where x.shape != t.shape || x.dtype != t.dtype || x.device != t.device {
            fail("\(name): \(listRole) tensor \(i) is \(x.dtype) \(shapeString(x.shape)), expected \(t.dtype) \(shapeString(t.shape)) like the \(role)")
        }
    }
    private static func checkRank(_ r: Int, _ g: ProcessGroup, _ what: String) {
        if r < 0 || r >= g.worldSize { fail("Invalid \(what) rank \(r): the world has ranks 0...\(g.worldSize - 1)") }
    }
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
