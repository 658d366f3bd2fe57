/// The share of a dataset that one rank sees in an epoch (PyTorch's `DistributedSampler`): every
/// rank draws the same permutation (a generator seeded with `seed + epoch`), pads it by wrapping to a
/// multiple of `numReplicas` (or drops the tail with `dropLast`), and takes every `numReplicas`-th
/// index from its rank on. The indices are PyTorch's for the same arguments. Call `setEpoch(_:)`
/// before each epoch so the order changes (the Trainer does).
public final class DistributedSampler: Sampler {
    public let numReplicas: Int
    public let rank: Int
    public let shuffle: Bool
    public let seed: Int
    public let dropLast: Bool
    /// The epoch whose permutation is drawn (PyTorch's `epoch`).
    public private(set) var epoch = 0
    /// The dataset size the sampler was made for.
    public let datasetCount: Int

    /// `numReplicas` and `rank` default to the default process group's world size and rank.
    public convenience init<D: Dataset>(_ dataset: D, numReplicas: Int? = nil, rank: Int? = nil, shuffle: Bool = true,
                                        seed: Int = 0, dropLast: Bool = false) {
        self.init(count: dataset.count, numReplicas: numReplicas, rank: rank, shuffle: shuffle, seed: seed, dropLast: dropLast)
    }
    /// A sampler for a dataset of `count` samples.
    public init(count: Int, numReplicas: Int? = nil, rank: Int? = nil, shuffle: Bool = true, seed: Int = 0, dropLast: Bool = false) {
        let n = numReplicas ?? Distributed.worldSize
        let r = rank ?? Distributed.rank
        if r >= n || r < 0 { fail("Invalid rank \(r), rank should be in the interval [0, \(n - 1)]") }
        self.numReplicas = n; self.rank = r; self.shuffle = shuffle; self.seed = seed; self.dropLast = dropLast
        self.datasetCount = count
    }

    /// Sets the epoch, which seeds the next permutation (PyTorch's `set_epoch`).
    public func setEpoch(_ epoch: Int) { self.epoch = epoch }

    /// Indices per rank and epoch (PyTorch's `num_samples`).
    public var numSamples: Int {
        if dropLast && datasetCount % numReplicas != 0 {
            return (datasetCount - numReplicas + numReplicas - 1) / numReplicas   // ceil((n - replicas) / replicas)
        }
        return (datasetCount + numReplicas - 1) / numReplicas
    }
    /// `numSamples * numReplicas` (PyTorch's `total_size`).
    public var totalSize: Int { numSamples * numReplicas }
    /// `numSamples` (PyTorch's `len(sampler)`).
    public var count: Int { numSamples }
    public func length(datasetCount: Int) -> Int { numSamples }

    /// This rank's indices for the current epoch. The loader's generator is not used: every rank draws from
    /// its own generator seeded with `seed + epoch`, so all ranks agree.
    public func indices(count: Int, generator: Generator) -> [Int] {
        if count != datasetCount {
            fail("DistributedSampler was made for a dataset of \(datasetCount) samples, but the loader's dataset has \(count)")
        }
        var idx: [Int]
        if shuffle {
            idx = Tensor.randperm(count, generator: Generator(seed: UInt64(truncatingIfNeeded: seed + epoch))).toArray(Int.self)
        } else {
            idx = Array(0..<count)
        }
        if !dropLast {
            let padding = totalSize - idx.count
            if padding > 0 && !idx.isEmpty {
                if padding <= idx.count { idx += idx[0..<padding] }
                else { idx += Array(repeatElement(idx, count: (padding + idx.count - 1) / idx.count).joined().prefix(padding)) }
            }
        } else {
            idx = Array(idx.prefix(totalSize))
        }
        return Array(stride(from: rank, to: totalSize, by: numReplicas).map { idx[$0] })
    }
}
