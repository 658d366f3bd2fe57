import Foundation

/// Produces the order of sample indices for one epoch.
public protocol Sampler {
    /// The indices for one epoch; `generator` is the loader's (or the global) generator.
    func indices(count: Int, generator: Generator) -> [Int]
    /// How many indices one epoch yields for a dataset of `datasetCount` samples (PyTorch's `len(sampler)`).
    func length(datasetCount: Int) -> Int
}
extension Sampler {
    /// One index per sample.
    public func length(datasetCount: Int) -> Int { datasetCount }
}
/// 0, 1, 2, ... (PyTorch's `SequentialSampler`).
public struct SequentialSampler: Sampler {
    public init() {}
    public func indices(count: Int, generator: Generator) -> [Int] { Array(0..<count) }
}
/// A random permutation per epoch, drawn exactly as PyTorch's `RandomSampler` does: without a
/// loader generator, a fresh generator seeded with `random64() % 2^63` from the global one, then
/// `randperm`; with the loader's own `generator:`, `randperm` straight from that generator.
public struct RandomSampler: Sampler {
    public init() {}
    public func indices(count: Int, generator: Generator) -> [Int] {
        if generator !== defaultGenerator {
            let perm = Tensor.randperm(count, generator: generator).toArray(Int.self)
            // PyTorch's sampler then evaluates `randperm(n)[:0]` (num_samples % n == 0) when the
            // epoch is exhausted: the same draws keep the next epoch's order equal to PyTorch's.
            _ = Tensor.randperm(count, generator: generator)
            return perm
        }
        let seed = generator.randomInt63()
        return Tensor.randperm(count, generator: Generator(seed: UInt64(seed))).toArray(Int.self)
    }
}
/// Draws `numSamples` indices with probability proportional to `weights` (PyTorch's `WeightedRandomSampler`).
public struct WeightedRandomSampler: Sampler {
    public let weights: [Double], numSamples: Int, replacement: Bool
    public init(weights: [Double], numSamples: Int, replacement: Bool = true) {
        self.weights = weights; self.numSamples = numSamples; self.replacement = replacement
    }
    public func indices(count: Int, generator: Generator) -> [Int] {
        var w = weights
        var out: [Int] = []
        for _ in 0..<numSamples {
            let total = w.reduce(0, +)
            let u = Tensor.rand([1], dtype: .float64, generator: generator).item() * total
            var acc = 0.0, pick = w.count - 1
            for (i, x) in w.enumerated() { acc += x; if u < acc { pick = i; break } }
            out.append(pick)
            if !replacement { w[pick] = 0 }
        }
        return out
    }
    /// `numSamples`.
    public func length(datasetCount: Int) -> Int { numSamples }
}
/// Groups a sampler's indices into batches (PyTorch's `BatchSampler`).
public struct BatchSampler {
    public let sampler: Sampler, batchSize: Int, dropLast: Bool
    public init(_ sampler: Sampler, batchSize: Int, dropLast: Bool) { self.sampler = sampler; self.batchSize = batchSize; self.dropLast = dropLast }
    public func batches(count: Int, generator: Generator) -> [[Int]] {
        let idx = sampler.indices(count: count, generator: generator)
        var out: [[Int]] = []
        var i = 0
        while i < idx.count {
            let j = Swift.min(i + batchSize, idx.count)
            if j - i == batchSize || !dropLast { out.append(Array(idx[i..<j])) }
            i = j
        }
        return out
    }
}

/// Batches of a dataset, shuffled or not (PyTorch's `DataLoader`). A Swift `Sequence`: each
/// `for batch in loader` is one epoch; with `shuffle: true` after `manualSeed(s)` the order is
/// PyTorch's for the same seed. `numWorkers > 0` prepares batches ahead on a background thread
/// (bounded queue, same order). `pinMemory: true` puts each batch's tensors in page-locked memory
/// (on the background thread when there is one), so that `to(.cuda(0), nonBlocking: true)` and the
/// Trainer copy them to the GPU asynchronously; without a GPU it warns once and does nothing, as PyTorch.
public struct DataLoader<D: Dataset>: Sequence {
    public let dataset: D
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let numWorkers: Int
    public let pinMemory: Bool
    let generator: Generator?
    let sampler: Sampler

    public init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: Sampler? = nil, dropLast: Bool = false,
                generator: Generator? = nil, numWorkers: Int = 0, pinMemory: Bool = false) {
        if batchSize <= 0 { fail("batch_size should be a positive integer value, but got batch_size=\(batchSize)") }
        if shuffle && sampler != nil { fail("sampler option is mutually exclusive with shuffle") }
        self.dataset = dataset; self.batchSize = batchSize; self.shuffle = shuffle; self.dropLast = dropLast
        self.generator = generator; self.numWorkers = numWorkers; self.pinMemory = pinMemory
        self.sampler = sampler ?? (shuffle ? RandomSampler() as Sampler : SequentialSampler())
    }

    /// The same loader drawing its indices from `sampler`.
    func with(sampler: Sampler) -> DataLoader {
        DataLoader(dataset, batchSize: batchSize, shuffle: false, sampler: sampler, dropLast: dropLast, generator: generator,
                   numWorkers: numWorkers, pinMemory: pinMemory, shuffleFlag: shuffle)
    }
    private init(_ dataset: D, batchSize: Int, shuffle: Bool, sampler: Sampler, dropLast: Bool, generator: Generator?,
                 numWorkers: Int, pinMemory: Bool, shuffleFlag: Bool) {
        self.dataset = dataset; self.batchSize = batchSize; self.shuffle = shuffleFlag; self.dropLast = dropLast
        self.generator = generator; self.numWorkers = numWorkers; self.pinMemory = pinMemory
        self.sampler = sampler
    }

    /// Number of batches per epoch.
    public var count: Int {
        let n = sampler.length(datasetCount: dataset.count)
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize
    }

    public func makeIterator() -> Iterator {
        let g = generator ?? defaultGenerator
        _ = g.randomInt63()   // PyTorch's _BaseDataLoaderIter draws a base seed even without shuffling
        let batches = BatchSampler(sampler, batchSize: batchSize, dropLast: dropLast).batches(count: dataset.count, generator: g)
        var pin = false
        if pinMemory {
            if CUDA.isAvailable() { pin = true } else {
                warnOnce("'pin_memory' argument is set as true but no accelerator is found, then device pinned memory won't be used.")
            }
        }
        return Iterator(dataset: dataset, batches: batches, prefetch: numWorkers > 0 ? Swift.max(2, 2 * numWorkers) : 0, pin: pin)
    }

    public final class Iterator: IteratorProtocol {
        let dataset: D
        let batches: [[Int]]
        var next_ = 0
        let prefetcher: Prefetcher<D.Batch>?

        let pin: Bool

        init(dataset: D, batches: [[Int]], prefetch: Int, pin: Bool) {
            self.dataset = dataset
            self.batches = batches
            self.pin = pin
            if prefetch > 0 {
                let ds = dataset, bs = batches
                prefetcher = Prefetcher(count: bs.count, capacity: prefetch) { i in
                    let b = ds.batch(bs[i])
                    return pin ? (mapBatchTensors(b) { $0.pinMemory() } ?? b) : b
                }
            } else { prefetcher = nil }
        }
        deinit { prefetcher?.cancel() }
        public func next() -> D.Batch? {
            if let p = prefetcher { return p.next() }
            guard next_ < batches.count else { return nil }
            defer { next_ += 1 }
            let b = dataset.batch(batches[next_])
            return pin ? (mapBatchTensors(b) { $0.pinMemory() } ?? b) : b
        }
    }
}

/// Runs `make(i)` for i in 0..<count on a background thread, at most `capacity` ahead of the consumer.
final class Prefetcher<T>: @unchecked Sendable {
    private var buffer: [Int: T] = [:]
    private let lock = NSCondition()
    private var consumed = 0
    private var cancelled = false
    private let count: Int
    private let capacity: Int

    init(count: Int, capacity: Int, make: @escaping (Int) -> T) {
        self.count = count; self.capacity = capacity
        let thread = Thread {
            for i in 0..<count {
                self.lock.lock()
                while i - self.consumed >= self.capacity && !self.cancelled { self.lock.wait() }
                let stop = self.cancelled
                self.lock.unlock()
                if stop { return }
                let item = make(i)
                self.lock.lock(); self.buffer[i] = item; self.lock.broadcast(); self.lock.unlock()
            }
        }
        thread.start()
    }
    func next() -> T? {
        lock.lock(); defer { lock.unlock() }
        if consumed >= count { return nil }
        while buffer[consumed] == nil { lock.wait() }
        let item = buffer.removeValue(forKey: consumed)!
        consumed += 1
        lock.broadcast()
        return item
    }
    func cancel() { lock.lock(); cancelled = true; lock.broadcast(); lock.unlock() }
}

/// Batches of an iterable-style dataset (a stream of samples without indices), collated from
/// consecutive samples; the last short batch is kept unless `dropLast`. PyTorch's `DataLoader`
/// over an `IterableDataset` (no shuffling: a stream has no indices to permute).
public struct IterableDataLoader<S: IterableDataset>: Sequence {
    public init(dataset: S, batchSize: Int, dropLast: Bool = false) {
        if batchSize <= 0 { fail("batch_size should be a positive integer value, but got batch_size=\(batchSize)") }
        self.dataset = dataset; self.batchSize = batchSize; self.dropLast = dropLast
    }
    public let dataset: S
    public let batchSize: Int
    public let dropLast: Bool

    public func makeIterator() -> AnyIterator<[S.Element]> {
        var it = dataset.makeIterator()
        let size = batchSize, drop = dropLast
        return AnyIterator {
            var batch: [S.Element] = []
            while batch.count < size, let x = it.next() { batch.append(x) }
            if batch.isEmpty || (drop && batch.count < size) { return nil }
            return batch
        }
    }
}

/// Batches of a stream of `(input, target)` pairs (PyTorch's `DataLoader(iterable_dataset, batch_size=...)`).
public func iterableLoader<S: IterableDataset>(_ dataset: S, batchSize: Int = 1, dropLast: Bool = false) -> AnySequence<(Tensor, Tensor)> where S.Element == (Tensor, Tensor) {
    if batchSize <= 0 { fail("batch_size should be a positive integer value, but got batch_size=\(batchSize)") }
    let loader = IterableDataLoader(dataset: dataset, batchSize: batchSize, dropLast: dropLast)
    return AnySequence(loader.lazy.map { b in (stack(b.map { $0.0 }), stack(b.map { $0.1 })) })
}
