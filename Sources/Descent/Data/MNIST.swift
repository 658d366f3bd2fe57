import Foundation

/// Errors reading dataset files. Each names the file.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case badMagic(path: String, found: UInt32, expected: UInt32)
    case truncated(path: String, expectedBytes: Int, gotBytes: Int)
    case countMismatch(images: Int, labels: Int)
    case badLabel(path: String, value: Int)
    case checksumMismatch(path: String, expected: String, got: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p, let hint): return "dataset file not found: \(p). \(hint)"
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        case .badMagic(let p, let f, let e): return "\(p) is not an IDX file of the expected kind: magic number \(f), expected \(e)"
        case .truncated(let p, let e, let g): return "\(p) is truncated: expected \(e) bytes of data, got \(g)"
        case .countMismatch(let i, let l): return "image and label files disagree: \(i) images but \(l) labels"
        case .badLabel(let p, let v): return "\(p) has an invalid label \(v)"
        case .checksumMismatch(let p, let e, let g):
            // MD5 for datasets (32 hex digits), SHA-256 for torch.hub's files (64)
            return "\(p) failed its checksum: \(g.count == 64 ? "SHA-256" : "MD5") \(g), expected \(e)"
        }
    }
}


/// Parses an IDX file (big-endian magic 0x0000 08 nd, nd uint32 sizes, uint8 data) into a uint8 tensor.
func readIDX(_ path: String, expectedMagic: UInt32) throws -> Tensor {
    let b = try readMaybeGzip(path)
    func u32(_ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
    if b.count < 4 { throw DatasetError.truncated(path: path, expectedBytes: 4, gotBytes: b.count) }
    let magic = u32(0)
    if magic != expectedMagic { throw DatasetError.badMagic(path: path, found: magic, expected: expectedMagic) }
    let nd = Int(magic & 0xff)
    if b.count < 4 + 4 * nd { throw DatasetError.truncated(path: path, expectedBytes: 4 + 4 * nd, gotBytes: b.count) }
    let dims = (0..<nd).map { Int(u32(4 + 4 * $0)) }
    var n = 1
    for d in dims {
        let (m, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { throw DatasetError.unreadable(path: path, reason: "corrupt IDX header: sizes \(dims) are too large") }
        n = m
    }
    let start = 4 + 4 * nd
    if b.count - start != n { throw DatasetError.truncated(path: path, expectedBytes: n, gotBytes: b.count - start) }
    let t = Tensor.empty(dims, dtype: .uint8)
    Kernels.copyBytesFromHost(b, start: start, into: t)
    return t
}

/// A transform applied to each image (PyTorch's torchvision transforms).
public protocol Transform {
    func callAsFunction(_ x: Tensor) -> Tensor
}
/// uint8 (H, W), (H, W, C) or (C, H, W) → float32 (C, H, W) in [0, 1]; float input passes through.
/// A three-dim image is channels last (PIL's and numpy's layout, as torchvision's `ToTensor` reads
/// it) unless its first dim could be channels (at most 4) and its last could not: then it is already
/// channels first (what datasets such as `CIFAR10` hand their transforms).
public struct ToTensor: Transform, CustomStringConvertible {
    public init() {}
    public var description: String { "ToTensor()" }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if x.dtype.isFloatingPoint { return x }
        let f = x.to(dtype: .float32) / 255
        if x.rank == 2 { return f.unsqueeze(0) }
        if x.rank == 3 && !(x.shape[0] <= 4 && x.shape[2] > 4) { return f.permute(2, 0, 1).contiguous() }
        return f
    }
}
/// (x - mean) / std per channel (PyTorch's `Normalize`): the channels are dim -3 of an image (C, H, W)
/// or a batch (N, C, H, W), as torchvision's.
public struct Normalize: Transform, CustomStringConvertible {
    public let mean: [Double], std: [Double]
    /// torchvision's repr, `Normalize(mean=[0.1307], std=[0.3081])`.
    public var description: String {
        "Normalize(mean=[\(mean.map(formatPyFloat).joined(separator: ", "))], std=[\(std.map(formatPyFloat).joined(separator: ", "))])"
    }
    public init(mean: [Double], std: [Double]) { self.mean = mean; self.std = std }
    /// PyTorch's positional `Normalize((0.1307,), (0.3081,))`.
    public init(_ mean: [Double], _ std: [Double]) { self.init(mean: mean, std: std) }
    /// One mean and std for a single-channel image, `Normalize(0.1307, 0.3081)`.
    public init(_ mean: Double, _ std: Double) { self.init(mean: [mean], std: [std]) }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let c = mean.count
        let shape = [c] + [Int](repeating: 1, count: Swift.max(Swift.min(x.rank, 3) - 1, 0))
        return (x - Tensor(mean).reshape(shape)) / Tensor(std).reshape(shape)
    }
}
/// Several transforms in order.
public struct Compose: Transform, CustomStringConvertible {
    public let transforms: [Transform]
    public init(_ transforms: [Transform]) { self.transforms = transforms }
    public func callAsFunction(_ x: Tensor) -> Tensor { transforms.reduce(x) { $1($0) } }
    /// torchvision's repr: `Compose(` then each transform on its own line, indented by four spaces.
    public var description: String {
        "Compose(" + transforms.map { t in "\n    " + ((t as? CustomStringConvertible)?.description ?? "\(type(of: t))()") }.joined() + "\n)"
    }
}
/// A transform from a closure.
public struct Lambda: Transform, CustomStringConvertible {
    let f: (Tensor) -> Tensor
    public init(_ f: @escaping (Tensor) -> Tensor) { self.f = f }
    public var description: String { "Lambda()" }
    public func callAsFunction(_ x: Tensor) -> Tensor { f(x) }
}

/// MNIST handwritten digits from the IDX files in `root` (plain or `.gz`; also looked for in
/// `root/MNIST/raw` as torchvision stores them). `data` is uint8 (N, 28, 28), `targets` int64 (N);
/// `dataset[i]` is an (image, label) pair with a float32 (1, 28, 28) image in [0, 1] (`ToTensor`) unless `transform` is given.
public struct MNIST: Dataset {
    /// Raw images, uint8 (N, 28, 28).
    public let data: Tensor
    /// Labels, int64 (N).
    public let targets: Tensor
    public let transform: Transform?
    public let train: Bool
    let labels: [Int64]

    /// Where `download: true` fetches the files from (torchvision's mirrors), tried in order; any
    /// http(s) or file URL prefix works.
    nonisolated(unsafe) public static var mirrors = DatasetFiles.mnistMirrors

    /// Reads MNIST from `root`; with `download: true`, missing files are first downloaded into
    /// `root/MNIST/raw` and verified against their published MD5s.
    public init(root: String, train: Bool = true, download: Bool = false, transform: Transform? = nil) throws {
        try self.init(root: root, train: train, download: download, transform: transform, folder: "MNIST",
                      files: DatasetFiles.mnist, mirrors: MNIST.mirrors,
                      hint: "Put the four MNIST IDX files (train-images-idx3-ubyte.gz, ...) there, or pass download: true when online.")
    }

    init(root: String, train: Bool, download: Bool, transform: Transform?, folder: String,
         files: [DatasetFile], mirrors: [String], hint: String) throws {
        let prefix = train ? "train" : "t10k"
        if download {
            let present = files.allSatisfy { f in [root, root + "/\(folder)/raw"].contains { FileManager.default.fileExists(atPath: $0 + "/" + f.name) } }
            if !present { try ensureDownloaded(files, mirrors: mirrors, into: root + "/\(folder)/raw") }
        }
        func find(_ name: String) throws -> String {
            let dirs = [root, root + "/\(folder)/raw", root + "/\(folder)"]
            for d in dirs {
                for n in [name + ".gz", name] where FileManager.default.fileExists(atPath: d + "/" + n) { return d + "/" + n }
            }
            throw DatasetError.fileNotFound(path: root + "/" + name + ".gz", hint: hint)
        }
        let imgPath = try find("\(prefix)-images-idx3-ubyte")
        let lblPath = try find("\(prefix)-labels-idx1-ubyte")
        let images = try readIDX(imgPath, expectedMagic: 2051)
        let labels = try readIDX(lblPath, expectedMagic: 2049)
        if images.shape[0] != labels.shape[0] { throw DatasetError.countMismatch(images: images.shape[0], labels: labels.shape[0]) }
        self.data = images
        self.targets = labels.to(dtype: .int64)
        self.labels = targets.toArray(Int64.self)
        self.transform = transform
        self.train = train
        if let bad = self.labels.first(where: { $0 > 9 }) { throw DatasetError.badLabel(path: lblPath, value: Int(bad)) }
    }

    public var count: Int { labels.count }
    public subscript(index: Int) -> (Tensor, Int) {
        let img = data[index]
        return (transform.map { $0(img) } ?? ToTensor()(img), Int(labels[index]))
    }
    public func batch(_ indices: [Int]) -> (Tensor, Tensor) {
        let idx = Tensor(flat: indices.map { Int64($0) }, shape: [indices.count])
        let y = targets.indexSelect(dim: 0, idx)
        if let t = transform { return (stack(indices.map { t(data[$0]) }), y) }
        let x = data.indexSelect(dim: 0, idx).to(dtype: .float32) / 255
        return (x.unsqueeze(1), y)
    }
    /// The samples whose label is in `classes` (the lecture pattern "only digits 0 and 1").
    public func filter(classes: Set<Int>) -> Subset<MNIST> {
        Subset(self, indices: labels.enumerated().filter { classes.contains(Int($0.element)) }.map { $0.offset })
    }
    /// Class names, index = label (torchvision's `MNIST.classes`).
    public static let classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
                                 "8 - eight", "9 - nine"]
    /// Class names, index = label (`train.classes`).
    public var classes: [String] { Self.classes }
    /// Each class name's label (torchvision's `class_to_idx`).
    public var classToIdx: [String: Int] { Dictionary(uniqueKeysWithValues: Self.classes.enumerated().map { ($1, $0) }) }
}

/// Fashion-MNIST (Zalando): the same format and API as `MNIST`, ten clothing classes.
public struct FashionMNIST: Dataset {
    let base: MNIST
    public var data: Tensor { base.data }
    public var targets: Tensor { base.targets }
    /// Where `download: true` fetches the files from, tried in order.
    nonisolated(unsafe) public static var mirrors = DatasetFiles.fashionMirrors
    /// Class names, index = label.
    public static let classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Class names, index = label (`train.classes`).
    public var classes: [String] { Self.classes }
    public init(root: String, train: Bool = true, download: Bool = false, transform: Transform? = nil) throws {
        base = try MNIST(root: root, train: train, download: download, transform: transform, folder: "FashionMNIST",
                         files: DatasetFiles.fashion, mirrors: FashionMNIST.mirrors,
                         hint: "Put the four Fashion-MNIST IDX files there, or pass download: true when online.")
    }
    public var count: Int { base.count }
    public subscript(index: Int) -> (Tensor, Int) { base[index] }
    public func batch(_ indices: [Int]) -> (Tensor, Tensor) { base.batch(indices) }
}
