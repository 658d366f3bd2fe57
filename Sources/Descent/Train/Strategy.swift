import Foundation

/// How a `Trainer` spreads training over processes (Lightning's `strategy=`).
///
/// `.ddp` is distributed data parallel over MPI: start the program under a launcher
/// (`mpirun -np 2 swift run -c release ...`, with `--hostfile` for several machines); every process
/// runs the same program. The trainer then sets up the default process group, copies rank 0's
/// parameters to every rank, gives each rank its share of every loader through a
/// `DistributedSampler` (shuffled as the loader was; `setEpoch` each epoch), averages gradients
/// during backward as `DistributedDataParallel` does, reduces metrics in `compute()` and values
/// logged with `syncDist: true`, stops every rank when one's `EarlyStopping` stops, and lets only
/// rank 0 write logs, checkpoints, the progress bar and the results tables.
public struct Strategy: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case single, ddp }
    let kind: Kind
    /// DDP: allow parameters that get no gradient (PyTorch's `find_unused_parameters`).
    public let findUnusedParameters: Bool
    /// DDP: the gradient bucket size in MiB (PyTorch's `bucket_cap_mb`).
    public let bucketCapMB: Double

    /// One process (Lightning's `"auto"` on a machine without accelerators).
    public static let auto = Strategy(kind: .single, findUnusedParameters: false, bucketCapMB: 25)
    /// Distributed data parallel over MPI (Lightning's `"ddp"`).
    public static let ddp = Strategy(kind: .ddp, findUnusedParameters: false, bucketCapMB: 25)
    /// DDP that tolerates unused parameters (Lightning's `"ddp_find_unused_parameters_true"`).
    public static let ddpFindUnusedParametersTrue = Strategy(kind: .ddp, findUnusedParameters: true, bucketCapMB: 25)
    /// DDP with its options (Lightning's `DDPStrategy(find_unused_parameters=..., bucket_cap_mb=...)`).
    public static func ddp(findUnusedParameters: Bool = false, bucketCapMB: Double = 25) -> Strategy {
        Strategy(kind: .ddp, findUnusedParameters: findUnusedParameters, bucketCapMB: bucketCapMB)
    }
}

extension Trainer {
    /// Whether this trainer runs data-parallel in a world of more than one process.
    var isDistributed: Bool { strategy.kind == .ddp && Distributed.isInitialized && Distributed.worldSize > 1 }
    /// This process's rank (Lightning's `global_rank`): 0 unless training data-parallel.
    public var globalRank: Int { strategy.kind == .ddp && Distributed.isInitialized ? Distributed.rank : 0 }
    /// The number of processes training together (Lightning's `world_size`).
    public var worldSize: Int { strategy.kind == .ddp && Distributed.isInitialized ? Distributed.worldSize : 1 }
    /// Whether this is rank 0, the process that writes (Lightning's `is_global_zero`).
    public var isGlobalZero: Bool { globalRank == 0 }

    /// For `.ddp`: the default process group (set up here if the program has not), checked against
    /// `devices * numNodes`.
    func setUpStrategy() throws {
        guard strategy.kind == .ddp else { return }
        if !Distributed.isInitialized { try Distributed.initProcessGroup(backend: .mpi) }
        if let d = devices, d * numNodes != Distributed.worldSize {
            fail("Trainer(strategy: .ddp, devices: \(d), numNodes: \(numNodes)) trains on \(d * numNodes) processes, but \(Distributed.worldSize) \(Distributed.worldSize == 1 ? "was" : "were") started: launch the program with `mpirun -np \(d * numNodes) ...`")
        }
    }

    /// `loader` with a `DistributedSampler` for this rank (shuffled as `loader` was), when data-parallel.
    func distributed<D: Dataset>(_ loader: DataLoader<D>) -> DataLoader<D> {
        guard isDistributed, !(loader.sampler is DistributedSampler) else { return loader }
        return loader.with(sampler: DistributedSampler(count: loader.dataset.count, shuffle: loader.shuffle))
    }

    /// The mean of `value` over the ranks, when data-parallel.
    func averagedOverRanks(_ value: Double) -> Double {
        guard isDistributed else { return value }
        let t = Tensor([value], dtype: .float64)
        Distributed.allReduce(t, op: .average)
        return t.item()
    }

    /// Whether any rank wants to stop (Lightning's `reduce_boolean_decision(all=False)`).
    func anyRank(_ flag: Bool) -> Bool {
        guard isDistributed else { return flag }
        let t = Tensor([flag ? 1 : 0] as [Int], dtype: .int32)
        Distributed.allReduce(t, op: .max)
        return t.toArray(Int32.self)[0] != 0
    }
}

extension Distributed {
    /// Copies rank 0's values of `tensors` to every rank.
    static func broadcastFromRankZero(_ tensors: [Tensor]) {
        guard worldSize > 1 else { return }
        for t in tensors {
            if t.isContiguous { broadcast(t.detach(), src: 0) }
            else { let c = t.contiguous(); broadcast(c, src: 0); noGrad { _ = t.copy_(c) } }
        }
    }
}

/// Where the Trainer runs the model (Lightning's `accelerator=`).
public enum Accelerator: String, Sendable {
    /// A CUDA GPU when one is usable, else the CPU (Lightning's `"auto"`). The OpenCL stand-in that the
    /// tests use is never chosen automatically: only an NVIDIA GPU is.
    case auto
    case cpu
    /// CUDA device 0 (Lightning's `"gpu"`).
    case gpu
    /// The same as `.gpu` (Lightning's `"cuda"`).
    case cuda

    /// The device it stands for on this machine; stops with Lightning's message when a GPU is asked for and none is usable.
    func device() -> Device {
        switch self {
        case .cpu: return .cpu
        case .auto: return CUDA.isAvailable() && CUDA.runtimeIsCUDA ? .cuda(0) : .cpu
        case .gpu, .cuda:
            if !CUDA.isAvailable() {
                fail("CUDAAccelerator can not run on your system since the accelerator is not available. The following accelerator(s) is available and can be passed into `accelerator` argument of `Trainer`: ['cpu']. (\(CUDA.unavailableReason ?? ""))")
            }
            return .cuda(0)
        }
    }
}
