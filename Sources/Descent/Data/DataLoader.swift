import Foundation

/// Produces the order of sample indices for one epoch.
public protocol Sampler {
    /// The indices for one epoch; `generator` is the loader's (or the global) generator.
    func indices(count: Int, generator: Generator) -> [Int]
    /// How many indices one epoch yields for a dataset of `datasetCount` samples (PyTorch's `len(sampler)`).
    func length(datasetCount: Int) -> Int
    /// Called once an epoch's indices have all been taken, when PyTorch's sampler generator would
    /// reach its end (draws made there, such as `RandomSampler`'s closing `randperm`, happen then).
    func exhausted(count: Int, generator: Generator)
    /// The size of the data source the sampler was built over (`SequentialSampler(ds)`), if any.
    var dataSourceCount: Int? { get }
}
extension Sampler {
    /// One index per sample.
    public func length(datasetCount: Int) -> Int { datasetCount }
    /// Nothing to do at the end of an epoch.
    public func exhausted(count: Int, generator: Generator) {}
    /// None: the loader's dataset decides.
    public var dataSourceCount: Int? { nil }
    /// One epoch's indices, as iterating a PyTorch sampler (`list(sampler)`) yields them, drawing from
    /// the sampler's own generator or the global one.
    public func epochIndices() -> [Int] {
        let n = epochCountOrFail()
        let idx = indices(count: n, generator: defaultGenerator)
        exhausted(count: n, generator: defaultGenerator)
        return idx
    }
    /// The data source's size; stops when the sampler was built without one.
    func epochCountOrFail() -> Int {
        guard let n = dataSourceCount else {
            fail("\(type(of: self)) was built without a data source: build it as \(type(of: self))(dataset) to iterate it or take its length")
        }
        return n
    }
}
extension Sequence where Self: Sampler {
    /// One epoch's indices (`Array(sampler)`, PyTorch's `list(sampler)`).
    public func makeIterator() -> IndexingIterator<[Int]> { epochIndices().makeIterator() }
}

/// 0, 1, 2, ... (PyTorch's `SequentialSampler`); `Array(SequentialSampler(ds))` lists them.
public struct SequentialSampler: Sampler, Sequence {
    public let dataSourceCount: Int?
    /// A sampler for whichever dataset the loader has.
    public init() { dataSourceCount = nil }
    /// PyTorch's `SequentialSampler(data_source)`.
    public init<D: Dataset>(_ dataSource: D) { dataSourceCount = dataSource.count }
    /// `SequentialSampler(range(10))`: over `0..<n` (the range's count).
    public init(_ range: Range<Int>) { dataSourceCount = range.count }
    public func indices(count: Int, generator: Descent.Generator) -> [Int] { Array(0..<(dataSourceCount ?? count)) }
    public func length(datasetCount: Int) -> Int { dataSourceCount ?? datasetCount }
    /// PyTorch's `len(sampler)`.
    public var count: Int { epochCountOrFail() }
}
/// A random order per epoch, drawn exactly as PyTorch's `RandomSampler` does. Without a
/// `generator`, each epoch draws a seed (`random64() % 2^63`) from the global generator for a fresh
/// one; with one (a loader's `shuffle: true, generator: g` builds it so), it draws from that. Without
/// replacement, `numSamples / n` permutations and a cut one; with `replacement: true`, `randint` in
/// chunks of 32. `numSamples` defaults to the dataset's size.
public struct RandomSampler: Sampler, Sequence {
    public let replacement: Bool
    public let dataSourceCount: Int?
    let requestedSamples: Int?
    public let generator: Descent.Generator?
    /// A sampler for whichever dataset the loader has.
    public init(replacement: Bool = false, numSamples: Int? = nil, generator: Descent.Generator? = nil) {
        self.init(count: nil, replacement: replacement, numSamples: numSamples, generator: generator)
    }
    /// PyTorch's `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)`.
    public init<D: Dataset>(_ dataSource: D, replacement: Bool = false, numSamples: Int? = nil, generator: Descent.Generator? = nil) {
        self.init(count: dataSource.count, replacement: replacement, numSamples: numSamples, generator: generator)
    }
    /// `RandomSampler(range(n), ...)`.
    public init(_ range: Range<Int>, replacement: Bool = false, numSamples: Int? = nil, generator: Descent.Generator? = nil) {
        self.init(count: range.count, replacement: replacement, numSamples: numSamples, generator: generator)
    }
    private init(count: Int?, replacement: Bool, numSamples: Int?, generator: Descent.Generator?) {
        if let k = numSamples, k <= 0 { fail("num_samples should be a positive integer value, but got num_samples=\(k)") }
        self.replacement = replacement; requestedSamples = numSamples; self.generator = generator; dataSourceCount = count
    }
    /// The number of indices per epoch (`numSamples`, or the dataset's size).
    public var numSamples: Int { requestedSamples ?? epochCountOrFail() }
    public func length(datasetCount: Int) -> Int { requestedSamples ?? dataSourceCount ?? datasetCount }
    /// PyTorch's `len(sampler)`: `numSamples`.
    public var count: Int { numSamples }
    public func indices(count: Int, generator _: Descent.Generator) -> [Int] {
        let n = dataSourceCount ?? count, k = requestedSamples ?? n
        let g = generator ?? Descent.Generator(seed: UInt64(defaultGenerator.randomInt63()))
        var out: [Int] = []
        out.reserveCapacity(k)
        if replacement {
            for _ in 0..<(k / 32) { out += Tensor.randint(0, n, [32], generator: g).toArray(Int.self) }
            if k % 32 != 0 { out += Tensor.randint(0, n, [k % 32], generator: g).toArray(Int.self) }
        } else if n > 0 {
            for _ in 0..<(k / n) { out += Tensor.randperm(n, generator: g).toArray(Int.self) }
            if k % n != 0 { out += Tensor.randperm(n, generator: g).toArray(Int.self).prefix(k % n) }
        }
        return out
    }
    /// PyTorch's sampler ends an epoch with `randperm(n)[:0]` when `numSamples` is a multiple of n:
    /// with a given generator that draw moves it, and the next epoch's order depends on it.
    public func exhausted(count: Int, generator _: Descent.Generator) {
        let n = dataSourceCount ?? count
        if let g = generator, !replacement, n > 0, (requestedSamples ?? n) % n == 0 { _ = Tensor.randperm(n, generator: g) }
    }
}
/// Draws `numSamples` indices with probability proportional to `weights` (PyTorch's
/// `WeightedRandomSampler`: one `torch.multinomial` of the float64 weights per epoch, from the
/// sampler's own `generator`, or the global one; the same indices as PyTorch for the same seed).
public struct WeightedRandomSampler: Sampler, Sequence {
    public let weights: [Double], numSamples: Int, replacement: Bool
    let generator: Descent.Generator?
    public init(weights: [Double], numSamples: Int, replacement: Bool = true, generator: Descent.Generator? = nil) {
        if numSamples <= 0 { fail("num_samples should be a positive integer value, but got num_samples=\(numSamples)") }
        self.weights = weights; self.numSamples = numSamples; self.replacement = replacement; self.generator = generator
    }
    /// PyTorch's positional form, `WeightedRandomSampler(weights, num_samples)`.
    public init(_ weights: [Double], numSamples: Int, replacement: Bool = true, generator: Descent.Generator? = nil) {
        self.init(weights: weights, numSamples: numSamples, replacement: replacement, generator: generator)
    }
    /// Weights from a tensor (`WeightedRandomSampler(sample_weights, ...)`).
    public init(_ weights: Tensor, numSamples: Int, replacement: Bool = true, generator: Descent.Generator? = nil) {
        self.init(weights: weights.to(dtype: .float64).reshape(-1).toArray(Double.self), numSamples: numSamples,
                  replacement: replacement, generator: generator)
    }
    public func indices(count: Int, generator: Descent.Generator) -> [Int] {
        Tensor(weights, dtype: .float64).multinomial(numSamples, replacement: replacement, generator: self.generator ?? defaultGenerator)
            .toArray(Int.self)
    }
    /// `numSamples`.
    public func length(datasetCount: Int) -> Int { numSamples }
    /// `numSamples` (PyTorch's `len(sampler)`).
    public var count: Int { numSamples }
    public var dataSourceCount: Int? { weights.count }
}
/// The given indices in a random order each epoch (PyTorch's `SubsetRandomSampler`: `randperm` of
/// their count from the sampler's own `generator`, or the global one).
public struct SubsetRandomSampler: Sampler, Sequence {
    public let indices: [Int]
    let generator: Descent.Generator?
    public init(_ indices: [Int], generator: Descent.Generator? = nil) { self.indices = indices; self.generator = generator }
    /// `SubsetRandomSampler(range(a, b))`.
    public init(_ indices: Range<Int>, generator: Descent.Generator? = nil) { self.init(Array(indices), generator: generator) }
    public func indices(count: Int, generator: Descent.Generator) -> [Int] {
        Tensor.randperm(indices.count, generator: self.generator ?? defaultGenerator).toArray(Int.self).map { indices[$0] }
    }
    /// The number of indices.
    public func length(datasetCount: Int) -> Int { indices.count }
    /// The number of indices (PyTorch's `len(sampler)`).
    public var count: Int { indices.count }
    public var dataSourceCount: Int? { indices.count }
}
/// Groups a sampler's indices into batches (PyTorch's `BatchSampler`): `Array(BatchSampler(SequentialSampler(ds),
/// batchSize: 3, dropLast: false))` lists them, and `DataLoader(ds, batchSampler: ...)` loads them.
public struct BatchSampler: Sequence {
    public let sampler: Sampler, batchSize: Int, dropLast: Bool
    public init(_ sampler: Sampler, batchSize: Int, dropLast: Bool) {
        if batchSize <= 0 { fail("batch_size should be a positive integer value, but got batch_size=\(batchSize)") }
        self.sampler = sampler; self.batchSize = batchSize; self.dropLast = dropLast
    }
    /// PyTorch's keyword form.
    public init(sampler: Sampler, batchSize: Int, dropLast: Bool) { self.init(sampler, batchSize: batchSize, dropLast: dropLast) }
    /// All of one epoch's batches (the sampler's end-of-epoch draws included).
    public func batches(count: Int, generator: Descent.Generator) -> [[Int]] {
        let out = group(sampler.indices(count: count, generator: generator))
        sampler.exhausted(count: count, generator: generator)
        return out
    }
    /// The number of batches per epoch for a dataset of `datasetCount` samples.
    public func length(datasetCount: Int) -> Int {
        let n = sampler.length(datasetCount: datasetCount)
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize
    }
    /// The number of batches per epoch (PyTorch's `len(batch_sampler)`).
    public var count: Int { length(datasetCount: sampler.epochCountOrFail()) }
    public func makeIterator() -> IndexingIterator<[[Int]]> { group(sampler.epochIndices()).makeIterator() }
    func group(_ idx: [Int]) -> [[Int]] {
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
    /// Where each epoch's indices come from (PyTorch's `loader.sampler`).
    public let sampler: Sampler
    /// How the indices are grouped into batches (PyTorch's `loader.batch_sampler`).
    public let batchSampler: BatchSampler

    public init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: Sampler? = nil, dropLast: Bool = false,
                generator: Generator? = nil, numWorkers: Int = 0, pinMemory: Bool = false) {
        if batchSize <= 0 { fail("batch_size should be a positive integer value, but got batch_size=\(batchSize)") }
        if shuffle && sampler != nil { fail("sampler option is mutually exclusive with shuffle") }
        let s = sampler ?? (shuffle ? RandomSampler(generator: generator) as Sampler : SequentialSampler())
        self.init(dataset, batchSampler: BatchSampler(s, batchSize: batchSize, dropLast: dropLast), shuffleFlag: shuffle,
                  generator: generator, numWorkers: numWorkers, pinMemory: pinMemory)
    }
    /// Batches of the index lists a `BatchSampler` yields (PyTorch's `DataLoader(ds, batch_sampler=...)`);
    /// `batchSize` and `dropLast` are then the batch sampler's.
    public init(_ dataset: D, batchSampler: BatchSampler, generator: Generator? = nil, numWorkers: Int = 0, pinMemory: Bool = false) {
        self.init(dataset, batchSampler: batchSampler, shuffleFlag: false, generator: generator, numWorkers: numWorkers, pinMemory: pinMemory)
    }
    private init(_ dataset: D, batchSampler: BatchSampler, shuffleFlag: Bool, generator: Generator?, numWorkers: Int, pinMemory: Bool) {
        self.dataset = dataset; self.batchSampler = batchSampler; self.sampler = batchSampler.sampler
        self.batchSize = batchSampler.batchSize; self.dropLast = batchSampler.dropLast; self.shuffle = shuffleFlag
        self.generator = generator; self.numWorkers = numWorkers; self.pinMemory = pinMemory
    }

    /// The same loader drawing its indices from `sampler`.
    func with(sampler: Sampler, shuffle: Bool? = nil) -> DataLoader {
        DataLoader(dataset, batchSampler: BatchSampler(sampler, batchSize: batchSize, dropLast: dropLast), shuffleFlag: shuffle ?? self.shuffle,
                   generator: generator, numWorkers: numWorkers, pinMemory: pinMemory)
    }

    /// Number of batches per epoch.
    public var count: Int { batchSampler.length(datasetCount: dataset.count) }

    /// Starts an epoch. As in PyTorch, the iterator draws its base seed now, the sampler's order at the
    /// first batch, and the sampler's end-of-epoch draws when its indices run out, so taking one batch
    /// (`loader.makeIterator().next()`) moves the generators exactly as `next(iter(loader))` does.
    /// With `numWorkers > 0` the whole epoch's order is drawn here (PyTorch's workers also draw ahead).
    public func makeIterator() -> Iterator {
        let g = generator ?? defaultGenerator
        _ = g.randomInt63()   // PyTorch's _BaseDataLoaderIter draws a base seed even without shuffling
        let plan = batchSampler
        var pin = false
        if pinMemory {
            if CUDA.isAvailable() { pin = true } else {
                warnOnce("'pin_memory' argument is set as true but no accelerator is found, then device pinned memory won't be used.")
            }
        }
        if numWorkers > 0 {
            let batches = plan.batches(count: dataset.count, generator: g)
            return Iterator(dataset: dataset, plan: plan, generator: g, batches: batches, prefetch: Swift.max(2, 2 * numWorkers), pin: pin)
        }
        return Iterator(dataset: dataset, plan: plan, generator: g, batches: nil, prefetch: 0, pin: pin)
    }

    public final class Iterator: IteratorProtocol {
        let dataset: D
        let plan: BatchSampler
        let generator: Generator
        /// The epoch's batches, drawn at the first `next()` (PyTorch's sampler is a lazy generator).
        var batches: [[Int]]?
        /// Whether the last batch is short, so that filling it reaches the sampler's end.
        var endsShort = false
        var exhaustedSampler = false
        var next_ = 0
        let prefetcher: Prefetcher<D.Batch>?

        let pin: Bool

        init(dataset: D, plan: BatchSampler, generator: Generator, batches: [[Int]]?, prefetch: Int, pin: Bool) {
            self.dataset = dataset
            self.plan = plan
            self.generator = generator
            self.batches = batches
            self.pin = pin
            if prefetch > 0, let batches {
                let ds = dataset, bs = batches
                prefetcher = Prefetcher(count: bs.count, capacity: prefetch) { i in
                    let b = ds.batch(bs[i])
                    return pin ? (mapBatchTensors(b) { $0.pinMemory() } ?? b) : b
                }
            } else { prefetcher = nil }
        }
        deinit { prefetcher?.cancel() }
        /// The sampler's end-of-epoch draws, once.
        private func samplerExhausted() {
            if exhaustedSampler { return }
            exhaustedSampler = true
            plan.sampler.exhausted(count: dataset.count, generator: generator)
        }
        public func next() -> D.Batch? {
            if let p = prefetcher { return p.next() }
            if batches == nil {
                let idx = plan.sampler.indices(count: dataset.count, generator: generator)
                batches = plan.group(idx)
                endsShort = !plan.dropLast && idx.count % plan.batchSize != 0
            }
            let all = batches!
            // PyTorch's BatchSampler reaches the sampler's end while filling a short last batch, or
            // else on the call after the last full batch
            guard next_ < all.count else { samplerExhausted(); return nil }
            if endsShort && next_ == all.count - 1 { samplerExhausted() }
            defer { next_ += 1 }
            let b = dataset.batch(all[next_])
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

/// A dataset whose batches are made by a user's collate function from its samples (what a
/// `DataLoader(..., collateFn:)` iterates).
public struct CollatedDataset<Base: Dataset, B>: Dataset {
    public let base: Base
    public let collate: ([Base.Sample]) -> B
    public init(_ base: Base, collate: @escaping ([Base.Sample]) -> B) { self.base = base; self.collate = collate }
    public var count: Int { base.count }
    public subscript(index: Int) -> Base.Sample { base[index] }
    public func batch(_ indices: [Int]) -> B { collate(indices.map { base[$0] }) }
}

extension DataLoader {
    /// A loader whose batches are `collateFn(samples)` (PyTorch's `DataLoader(..., collate_fn=f)`), e.g.
    /// padding variable-length sequences: `DataLoader(ds, batchSize: 8, collateFn: { padSequence($0.map(\.0)) })`.
    public init<Base: Dataset, B>(_ dataset: Base, batchSize: Int = 1, shuffle: Bool = false, sampler: Sampler? = nil,
                                  dropLast: Bool = false, generator: Generator? = nil, numWorkers: Int = 0, pinMemory: Bool = false,
                                  collateFn: @escaping ([Base.Sample]) -> B) where D == CollatedDataset<Base, B> {
        self.init(CollatedDataset(dataset, collate: collateFn), batchSize: batchSize, shuffle: shuffle, sampler: sampler, dropLast: dropLast,
                  generator: generator, numWorkers: numWorkers, pinMemory: pinMemory)
    }
}
