/// A map-style dataset (PyTorch's `torch.utils.data.Dataset`): `count` samples addressed by index,
/// and a way to collate several samples into one batch.
///
/// A custom dataset only needs `count` and a subscript. Its `Batch` is inferred as PyTorch's
/// `default_collate` would build it: samples of `(Tensor, Tensor)` or `(Tensor, Int)` give a
/// `(Tensor, Tensor)` batch (the labels stacked into an int64 tensor), and samples of a
/// ``Collatable`` type (`Tensor`, `Int`, `Float`, `Double`) give that type's `Collated` batch.
/// Any other sample type declares `func batch(_:)` (PyTorch's `collate_fn`).
public protocol Dataset<Sample, Batch> {
    associatedtype Sample
    // The default is what the pair extensions below collate to. Those extensions return `Batch`
    // (not a concrete type) so that they never take part in inferring it: Swift 6.3 does not
    // reliably discard a protocol-extension witness whose tuple same-type constraint fails, and a
    // custom `(Tensor, Tensor)` dataset would otherwise stop with "ambiguous inference of
    // associated type 'Batch'".
    associatedtype Batch = (Tensor, Tensor)
    /// Number of samples.
    var count: Int { get }
    /// The sample at `index`.
    subscript(index: Int) -> Sample { get }
    /// The samples at `indices` collated into one batch (stacked tensors).
    func batch(_ indices: [Int]) -> Batch
}

/// A sample type that the default collation knows how to batch (PyTorch's `default_collate` for
/// one element): tensors are stacked along a new first dimension, numbers become a 1-D tensor.
public protocol Collatable {
    /// The type of a batch of these samples.
    associatedtype Collated
    /// Several samples as one batch.
    static func collate(_ samples: [Self]) -> Collated
}
extension Tensor: Collatable {
    /// `stack(samples)`.
    public static func collate(_ samples: [Tensor]) -> Tensor { stack(samples) }
}
extension Int: Collatable {
    /// An int64 tensor of the values.
    public static func collate(_ samples: [Int]) -> Tensor { Tensor(samples) }
}
extension Float: Collatable {
    /// A float32 tensor of the values.
    public static func collate(_ samples: [Float]) -> Tensor { Tensor(samples) }
}
extension Double: Collatable {
    /// A float64 tensor of the values (as `default_collate` makes of Python floats).
    public static func collate(_ samples: [Double]) -> Tensor { Tensor(samples, dtype: .float64) }
}

extension Dictionary: Collatable where Key == String, Value == Tensor {
    /// Each key's tensors stacked (`default_collate` of dict samples).
    public static func collate(_ samples: [[String: Tensor]]) -> [String: Tensor] {
        guard let first = samples.first else { return [:] }
        return Dictionary(uniqueKeysWithValues: first.keys.map { k in
            (k, stack(samples.map { s in
                guard let t = s[k] else { fail("default_collate: a sample lacks the key '\(k)' that the first sample has") }
                return t
            }))
        })
    }
}

extension Dataset where Sample: Collatable {
    public func batch(_ indices: [Int]) -> Sample.Collated { Sample.collate(indices.map { self[$0] }) }
}
extension Dataset where Sample == (Tensor, Int), Batch == (Tensor, Tensor) {
    public func batch(_ indices: [Int]) -> Batch {
        let s = indices.map { self[$0] }
        return (Tensor.collate(s.map { $0.0 }), Int.collate(s.map { $0.1 }))
    }
}
extension Dataset where Sample == (Tensor, Tensor), Batch == (Tensor, Tensor) {
    public func batch(_ indices: [Int]) -> Batch {
        let s = indices.map { self[$0] }
        return (Tensor.collate(s.map { $0.0 }), Tensor.collate(s.map { $0.1 }))
    }
}

/// An iterable-style dataset (PyTorch's `IterableDataset`): a stream of samples without indices.
public protocol IterableDataset: Sequence {}

/// Samples that are rows of tensors sharing their first dim (PyTorch's `TensorDataset`).
/// `TensorDataset(x, y)` yields `(Tensor, Tensor)` pairs; a batch is one gather of rows per tensor.
public struct TensorDataset<Sample>: Dataset {
    public typealias Batch = Sample
    /// The tensors, as given.
    public let tensors: [Tensor]
    let make: ([Tensor]) -> Sample

    init(tensors: [Tensor], make: @escaping ([Tensor]) -> Sample) {
        guard let n = tensors.first?.shape.first else { fail("TensorDataset needs at least one tensor with a first dimension") }
        for t in tensors where t.shape.first != n { fail("Size mismatch between tensors") }
        self.tensors = tensors
        self.make = make
    }
    public var count: Int { tensors[0].shape[0] }
    public subscript(index: Int) -> Sample { make(tensors.map { $0[index] }) }
    public func batch(_ indices: [Int]) -> Sample {
        let idx = Tensor(flat: indices.map { Int64($0) }, shape: [indices.count])
        return make(tensors.map { $0.indexSelect(dim: 0, idx) })
    }
}
extension TensorDataset where Sample == Tensor {
    public init(_ x: Tensor) { self.init(tensors: [x]) { $0[0] } }
}
extension TensorDataset where Sample == (Tensor, Tensor) {
    public init(_ x: Tensor, _ y: Tensor) { self.init(tensors: [x, y]) { ($0[0], $0[1]) } }
}
extension TensorDataset where Sample == (Tensor, Tensor, Tensor) {
    public init(_ x: Tensor, _ y: Tensor, _ z: Tensor) { self.init(tensors: [x, y, z]) { ($0[0], $0[1], $0[2]) } }
}
extension TensorDataset where Sample == [Tensor] {
    public init(_ tensors: [Tensor]) { self.init(tensors: tensors) { $0 } }
}

/// The samples of `dataset` at `indices` (PyTorch's `Subset`).
public struct Subset<Base: Dataset>: Dataset {
    public let dataset: Base
    public let indices: [Int]
    public init(_ dataset: Base, indices: [Int]) { self.dataset = dataset; self.indices = indices }
    /// PyTorch's positional `Subset(ds, indices)`.
    public init(_ dataset: Base, _ indices: [Int]) { self.init(dataset, indices: indices) }
    /// PyTorch's `Subset(ds, range(1000))`.
    public init(_ dataset: Base, _ indices: Range<Int>) { self.init(dataset, indices: Array(indices)) }
    public var count: Int { indices.count }
    public subscript(index: Int) -> Base.Sample { dataset[indices[index]] }
    public func batch(_ idx: [Int]) -> Base.Batch { dataset.batch(idx.map { indices[$0] }) }
}

/// Several datasets one after another (PyTorch's `ConcatDataset`).
public struct ConcatDataset<Base: Dataset>: Dataset {
    public let datasets: [Base]
    let offsets: [Int]
    public init(_ datasets: [Base]) {
        self.datasets = datasets
        var o = [0]
        for d in datasets { o.append(o.last! + d.count) }
        offsets = o
    }
    public var count: Int { offsets.last! }
    /// The running totals of the datasets' sizes (PyTorch's `cumulative_sizes`).
    public var cumulativeSizes: [Int] { Array(offsets.dropFirst()) }
    func locate(_ i: Int) -> (Int, Int) {
        if i < 0 || i >= count { fail("index \(i) out of range for a dataset of \(count) samples") }
        var d = 0
        while offsets[d + 1] <= i { d += 1 }
        return (d, i - offsets[d])
    }
    public subscript(index: Int) -> Base.Sample { let (d, j) = locate(index); return datasets[d][j] }
    public func batch(_ indices: [Int]) -> Base.Batch where Base.Batch == (Tensor, Tensor) {
        var xs: [Tensor] = [], ys: [Tensor] = []
        for i in indices { let (d, j) = locate(i); let (x, y) = datasets[d].batch([j]); xs.append(x); ys.append(y) }
        return (concat(xs), concat(ys))
    }
    public func batch(_ indices: [Int]) -> Base.Batch {
        let located = indices.map(locate)
        let d = located.first?.0 ?? 0
        if !located.contains(where: { $0.0 != d }) { return datasets[d].batch(located.map { $0.1 }) }
        // A batch across datasets (generic callers such as DataLoader land here): concatenate the
        // per-dataset pieces when the batch is made of tensors.
        var pieces: [Base.Batch] = []
        var i = 0
        while i < located.count {
            var j = i
            while j < located.count && located[j].0 == located[i].0 { j += 1 }
            pieces.append(datasets[located[i].0].batch(located[i..<j].map { $0.1 }))
            i = j
        }
        if let ps = pieces as? [Tensor], let b = concat(ps) as? Base.Batch { return b }
        if let ps = pieces as? [(Tensor, Tensor)], let b = (concat(ps.map { $0.0 }), concat(ps.map { $0.1 })) as? Base.Batch { return b }
        if let ps = pieces as? [(Tensor, Tensor, Tensor)],
           let b = (concat(ps.map { $0.0 }), concat(ps.map { $0.1 }), concat(ps.map { $0.2 })) as? Base.Batch { return b }
        if let ps = pieces as? [[Tensor]], let n = ps.first?.count,
           let b = (0..<n).map({ k in concat(ps.map { $0[k] }) }) as? Base.Batch { return b }
        fail("ConcatDataset: cannot join batches of type \(Base.Batch.self) across datasets")
    }
}

/// Any dataset of `Sample`s batched as `Batch`, behind one type (what lets `ConcatDataset` join
/// datasets of different types, such as a `Subset` of MNIST and MNIST).
public struct AnyDataset<Sample, Batch>: Dataset {
    private let size: Int
    private let item: (Int) -> Sample
    private let batcher: ([Int]) -> Batch
    public init<D: Dataset>(_ dataset: D) where D.Sample == Sample, D.Batch == Batch {
        size = dataset.count; item = { dataset[$0] }; batcher = { dataset.batch($0) }
    }
    public var count: Int { size }
    public subscript(index: Int) -> Sample { item(index) }
    public func batch(_ indices: [Int]) -> Batch { batcher(indices) }
}

extension ConcatDataset {
    /// Datasets of different types with the same samples and batches, one after another
    /// (`ConcatDataset([Subset(train, 0..<100), test])`).
    @_disfavoredOverload
    public init<S, B>(_ datasets: [any Dataset<S, B>]) where Base == AnyDataset<S, B> {
        self.init(datasets.map { d in AnyDataset(d) })
    }
}

/// Splits a dataset into non-overlapping random subsets of the given lengths (PyTorch's
/// `random_split`: one `randperm` of the whole dataset from `generator`).
public func randomSplit<D: Dataset>(_ dataset: D, _ lengths: [Int], generator: Generator? = nil) -> [Subset<D>] {
    if lengths.reduce(0, +) != dataset.count {
        fail("Sum of input lengths does not equal the length of the input dataset!")
    }
    let perm = Tensor.randperm(dataset.count, generator: generator).toArray(Int.self)
    var out: [Subset<D>] = []
    var start = 0
    for l in lengths { out.append(Subset(dataset, indices: Array(perm[start..<start + l]))); start += l }
    return out
}
/// `randomSplit` with fractions, PyTorch's positional `random_split(ds, [0.8, 0.2])`.
public func randomSplit<D: Dataset>(_ dataset: D, _ fractions: [Double], generator: Generator? = nil) -> [Subset<D>] {
    randomSplit(dataset, fractions: fractions, generator: generator)
}
/// `randomSplit` with fractions that sum to 1 (remainders go round-robin to the first subsets, as in PyTorch).
public func randomSplit<D: Dataset>(_ dataset: D, fractions: [Double], generator: Generator? = nil) -> [Subset<D>] {
    let n = dataset.count
    var lengths = fractions.map { Int((Double(n) * $0).rounded(.down)) }
    let rem = n - lengths.reduce(0, +)
    for i in 0..<rem { lengths[i % lengths.count] += 1 }
    return randomSplit(dataset, lengths, generator: generator)
}
