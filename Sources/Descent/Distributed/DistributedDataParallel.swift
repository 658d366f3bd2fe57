import Foundation

/// Averages the gradients of a set of parameters across the ranks of the default process group
/// while backward runs (PyTorch's DDP `Reducer`). The parameters are grouped into buckets in reverse
/// order (the order backward reaches them): the first bucket holds about 1 MB, the others
/// `bucketCapMB`. A post-accumulate hook on each parameter counts down its bucket; when a bucket is
/// complete and every bucket before it has started, its gradients are copied into one flat buffer,
/// divided by the world size and all-reduced on the communication thread, while backward goes on.
/// At the end of backward the reducer waits for the buckets and copies the averages back into `.grad`.
final class GradientReducer {
    struct Bucket {
        var members: [Int]            // parameter indices
        var offsets: [Int]            // element offset of each member in `flat`
        let flat: Tensor
        var pending = 0
        var work: Work?
    }
    let parameters: [Parameter]
    let findUnusedParameters: Bool
    private(set) var buckets: [Bucket] = []
    private var bucketOf: [Int] = []      // parameter index -> bucket
    private var ready: [Bool] = []
    private var nextBucket = 0
    /// Between `prepareForBackward` and the end of that backward.
    private var expecting = false
    /// Parameters that did not get a gradient in the last reduced backward (`findUnusedParameters: false`).
    private var unfinished: [Int]?
    private var callbackQueued = false
    /// Parameters the last forward did not reach (found by walking its outputs' graph).
    private var locallyUnused = Set<Int>()
    private var hooks: [HookHandle] = []

    init(parameters: [Parameter], bucketCapMB: Double, findUnusedParameters: Bool) {
        self.parameters = parameters
        self.findUnusedParameters = findUnusedParameters
        let firstCap = 1 << 20, cap = Int(bucketCapMB * 1024 * 1024)
        var current: [Int] = []
        var bytes = 0
        func close() {
            guard !current.isEmpty else { return }
            var offsets: [Int] = [], n = 0
            for i in current { offsets.append(n); n += parameters[i].count }
            buckets.append(Bucket(members: current, offsets: offsets, flat: Tensor.zeros([n], dtype: parameters[current[0]].dtype)))
            current = []; bytes = 0
        }
        for i in parameters.indices.reversed() {
            let p = parameters[i]
            if let first = current.first, parameters[first].dtype != p.dtype { close() }
            current.append(i)
            bytes += p.count * p.dtype.itemSize
            if bytes >= (buckets.isEmpty ? firstCap : cap) { close() }
        }
        close()
        bucketOf = [Int](repeating: 0, count: parameters.count)
        for (b, bucket) in buckets.enumerated() { for i in bucket.members { bucketOf[i] = b } }
        ready = [Bool](repeating: false, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            hooks.append(p.registerPostAccumulateGradHook { [weak self] _ in self?.markReady(i) })
        }
    }
    deinit { for h in hooks { h.remove() } }

    /// Called at the end of each forward whose backward should be reduced; `outputs` are the forward's
    /// results (searched for the parameters they reach when `findUnusedParameters`).
    func prepareForBackward(outputs: [Tensor]) {
        if let missing = unfinished {
            let rank = Distributed.rank
            fail("Expected to have finished reduction in the prior iteration before starting a new one. This error indicates that your module has parameters that were not used in producing loss. You can enable unused parameter detection by passing the keyword argument `findUnusedParameters: true` to `DistributedDataParallel` (PyTorch's `find_unused_parameters=True`), and by making sure all `forward` function outputs participate in calculating loss. If you already have done the above, then the distributed data parallel module wasn't able to locate the output tensors in the return value of your module's `forward` function.\nParameter indices which did not receive grad for rank \(rank): \(missing.map(String.init).joined(separator: " "))")
        }
        for b in buckets.indices { buckets[b].pending = buckets[b].members.count; buckets[b].work = nil }
        for i in ready.indices { ready[i] = false }
        nextBucket = 0
        expecting = true
        callbackQueued = false
        locallyUnused = []
        if findUnusedParameters {
            let reached = reachedLeaves(from: outputs)
            for (i, p) in parameters.enumerated() where !reached.contains(ObjectIdentifier(p)) { locallyUnused.insert(i) }
            for i in locallyUnused.sorted(by: >) { markReady(i) }
        }
    }

    /// The leaves the graphs of `outputs` reach.
    private func reachedLeaves(from outputs: [Tensor]) -> Set<ObjectIdentifier> {
        var leaves = Set<ObjectIdentifier>(), seen = Set<ObjectIdentifier>()
        var stack: [Node] = []
        for o in outputs {
            if let n = o.node { stack.append(n) } else if o.requiresGradFlag { leaves.insert(ObjectIdentifier(o)) }
        }
        while let n = stack.popLast() {
            guard seen.insert(ObjectIdentifier(n)).inserted else { continue }
            for e in n.edges {
                switch e {
                case .none: break
                case .leaf(let t): leaves.insert(ObjectIdentifier(t))
                case .node(let m): stack.append(m)
                }
            }
        }
        return leaves
    }

    private func markReady(_ i: Int) {
        guard expecting, !ready[i] else { return }
        ready[i] = true
        if !callbackQueued {
            callbackQueued = true
            queueBackwardCallback { [weak self] in self?.finishBackward() }
        }
        let b = bucketOf[i]
        buckets[b].pending -= 1
        // buckets start in index order, the same on every rank
        while nextBucket < buckets.count && buckets[nextBucket].pending == 0 {
            launch(nextBucket)
            nextBucket += 1
        }
    }

    private func launch(_ b: Int) {
        let bucket = buckets[b]
        let world = Double(Distributed.worldSize)
        noGrad {
            for (k, i) in bucket.members.enumerated() {
                let p = parameters[i]
                let region = bucket.flat.narrow(dim: 0, start: bucket.offsets[k], length: p.count)
                if let g = p.grad, !locallyUnused.contains(i) { region.copy_(g.reshape([p.count])) } else { region.fill_(0) }
            }
            _ = bucket.flat.div_(world)
        }
        buckets[b].work = Distributed.allReduce(bucket.flat, op: .sum, asyncOp: true)
    }

    /// The end of backward: wait for every bucket and write the averages into `.grad`.
    private func finishBackward() {
        guard expecting else { return }
        expecting = false
        if nextBucket < buckets.count {
            // some parameters got no gradient: without findUnusedParameters, the next forward says so
            unfinished = ready.indices.filter { !ready[$0] }
            for b in 0..<nextBucket { buckets[b].work?.wait() }
            return
        }
        unfinished = nil
        // with findUnusedParameters, which parameters no rank used (their .grad stays as it is)
        var globallyUnused = Set<Int>()
        if findUnusedParameters {
            let used = Tensor.zeros([parameters.count], dtype: .int32)
            noGrad { for i in parameters.indices where !locallyUnused.contains(i) { used[i].fill_(1) } }
            Distributed.allReduce(used, op: .max)
            let flags = used.toArray(Int32.self)
            for i in parameters.indices where flags[i] == 0 { globallyUnused.insert(i) }
        }
        for bucket in buckets {
            bucket.work?.wait()
            noGrad {
                for (k, i) in bucket.members.enumerated() where !globallyUnused.contains(i) {
                    let p = parameters[i]
                    let avg = bucket.flat.narrow(dim: 0, start: bucket.offsets[k], length: p.count).view(p.shape)
                    if let g = p.grad { g.copy_(avg) } else { p.grad = avg.clone() }
                }
            }
        }
    }
}

/// Data-parallel training (PyTorch's `DistributedDataParallel`): wraps a module so that its gradients
/// are averaged across the ranks of the default process group during `backward()`, in buckets that
/// start reducing as soon as their gradients are ready (communication overlaps the rest of backward).
/// At construction rank 0's parameters and buffers are copied to every rank; with `broadcastBuffers`
/// (the default) its buffers again before each forward. Inside `noSync { }` gradients accumulate
/// locally and are averaged with the next synchronized backward. A parameter that gets no gradient
/// stops the next forward with PyTorch's error unless `findUnusedParameters: true`.
/// The wrapped module is `module` (state-dict keys start with `module.`, as in PyTorch).
public final class DistributedDataParallel: Module {
    /// The wrapped module.
    public let module: Module
    public let findUnusedParameters: Bool
    public let broadcastBuffers: Bool
    /// Bucket size in MiB (PyTorch's `bucket_cap_mb`; the first bucket is 1 MiB, as PyTorch's).
    public let bucketCapMB: Double
    let reducer: GradientReducer
    private var requireSync = true

    public init(_ module: Module, bucketCapMB: Double = 25, findUnusedParameters: Bool = false, broadcastBuffers: Bool = true) {
        if !Distributed.isInitialized {
            fail("Default process group has not been initialized, please make sure to call init_process_group.")
        }
        self.module = module
        self.findUnusedParameters = findUnusedParameters
        self.broadcastBuffers = broadcastBuffers
        self.bucketCapMB = bucketCapMB
        let params = module.parameters().filter { $0.requiresGrad }
        if params.isEmpty {
            fail("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.")
        }
        Distributed.broadcastFromRankZero(module.parameters().map { $0 as Tensor } + module.namedBuffers().map(\.1))
        reducer = GradientReducer(parameters: params, bucketCapMB: bucketCapMB, findUnusedParameters: findUnusedParameters)
        super.init()
    }

    /// Runs the wrapped module; in training with gradients on, prepares the reduction of the backward that follows.
    public override func forward(_ x: Tensor) -> Tensor {
        if broadcastBuffers && Distributed.worldSize > 1 { Distributed.broadcastFromRankZero(module.namedBuffers().map(\.1)) }
        let y = module.forward(x)
        if isTraining && gradEnabled && requireSync { reducer.prepareForBackward(outputs: [y]) }
        return y
    }

    /// Runs `body` with gradient averaging off: backward passes inside only accumulate into `.grad`
    /// (PyTorch's `no_sync()`, for gradient accumulation).
    public func noSync<R>(_ body: () throws -> R) rethrows -> R {
        let old = requireSync
        requireSync = false
        defer { requireSync = old }
        return try body()
    }
}
