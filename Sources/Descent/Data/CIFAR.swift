import Foundation

/// How a CIFAR archive is laid out and checked (torchvision's class attributes).
@_spi(Testing) public struct CIFARLayout {
    public var baseFolder: String
    public var archive: DatasetFile
    public var trainFiles: [DatasetFile]
    public var testFiles: [DatasetFile]
    public var meta: DatasetFile
    /// The meta file's key for the class names.
    public var classesKey: String
    /// The batches' key for the labels.
    public var labelsKey: String
    public var classCount: Int
}

extension DatasetFiles {
    /// Where torchvision downloads CIFAR from.
    static let cifarMirrors = ["https://www.cs.toronto.edu/~kriz/"]
    // torchvision/datasets/cifar.py: the published MD5s
    nonisolated(unsafe) public static var cifar10 = CIFARLayout(
        baseFolder: "cifar-10-batches-py",
        archive: DatasetFile(name: "cifar-10-python.tar.gz", md5: "c58f30108f718f92721af3b95e74349a"),
        trainFiles: [DatasetFile(name: "data_batch_1", md5: "c99cafc152244af753f735de768cd75f"),
                     DatasetFile(name: "data_batch_2", md5: "d4bba439e000b95fd0a9bffe97cbabec"),
                     DatasetFile(name: "data_batch_3", md5: "54ebc095f3ab1f0389bbae665268c751"),
                     DatasetFile(name: "data_batch_4", md5: "634d18415352ddfa80567beed471001a"),
                     DatasetFile(name: "data_batch_5", md5: "482c414d41f54cd18b22e5b47cb7c3cb")],
        testFiles: [DatasetFile(name: "test_batch", md5: "40351d587109b95175f43aff81a1287e")],
        meta: DatasetFile(name: "batches.meta", md5: "5ff9c542aee3614f3951f8cda6e48888"),
        classesKey: "label_names", labelsKey: "labels", classCount: 10)
    nonisolated(unsafe) static var cifar100 = CIFARLayout(
        baseFolder: "cifar-100-python",
        archive: DatasetFile(name: "cifar-100-python.tar.gz", md5: "eb9058c3a382ffc7106e4002c42a8d85"),
        trainFiles: [DatasetFile(name: "train", md5: "16019d7e3df5f24257cddd939b257f8d")],
        testFiles: [DatasetFile(name: "test", md5: "f0ef6b0ae62326f3e7ffdfab6717acfc")],
        meta: DatasetFile(name: "meta", md5: "7973b15100ade9c7d40fb424638fde48"),
        classesKey: "fine_label_names", labelsKey: "fine_labels", classCount: 100)
}

/// CIFAR-10: 32x32 colour images in ten classes, read from the Python version torchvision uses
/// (`root/cifar-10-batches-py`, the pickled batches of `cifar-10-python.tar.gz`). As in torchvision,
/// `data` is uint8 (N, 32, 32, 3), channels last, and `targets` the labels; `dataset[i]` is an
/// (image, label) pair with a float32 (3, 32, 32) image in [0, 1] (`ToTensor`) unless `transform` is
/// given. The transform gets the image as a uint8 (3, 32, 32) tensor (what torchvision's transforms
/// take after `PILToTensor`; `ToTensor` then scales it to [0, 1]), so `RandomCrop(32, padding: 4)`,
/// `RandomHorizontalFlip()`, `ToTensor()`, `Normalize(...)` compose as in the PyTorch tutorial.
///
/// ```swift
/// let train = try CIFAR10(root: "data", train: true, download: true,
///                         transform: Compose([ToTensor(), Normalize(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])]))
/// ```
public struct CIFAR10: Dataset {
    /// Raw images, uint8 (N, 32, 32, 3).
    public let data: Tensor
    /// Labels, int64 (N).
    public let targets: Tensor
    /// The class names, index = label (`airplane`, `automobile`, ...).
    public let classes: [String]
    /// Class name → label.
    public let classToIdx: [String: Int]
    public let transform: Transform?
    public let train: Bool
    /// The folder the dataset was read from (torchvision's `root`).
    public let root: String
    /// The images channels first, uint8 (N, 3, 32, 32): what samples are cut from.
    let chw: Tensor
    let labels: [Int64]

    /// Where `download: true` fetches `cifar-10-python.tar.gz` from (torchvision's URL); any http(s) or
    /// file URL prefix works.
    nonisolated(unsafe) public static var mirrors = DatasetFiles.cifarMirrors

    /// Reads CIFAR-10 from `root/cifar-10-batches-py`; with `download: true`, unless the batches there
    /// pass their published MD5s, `cifar-10-python.tar.gz` is downloaded into `root`, verified, and unpacked.
    public init(root: String, train: Bool = true, download: Bool = false, transform: Transform? = nil) throws {
        try self.init(root: root, train: train, download: download, transform: transform, layout: DatasetFiles.cifar10, mirrors: CIFAR10.mirrors)
    }

    init(root: String, train: Bool, download: Bool, transform: Transform?, layout: CIFARLayout, mirrors: [String]) throws {
        let folder = root + "/" + layout.baseFolder
        let files = train ? layout.trainFiles : layout.testFiles
        if download {
            let intact = try (layout.trainFiles + layout.testFiles + [layout.meta]).allSatisfy { f in
                let p = folder + "/" + f.name
                return FileManager.default.fileExists(atPath: p) ? try md5Hex(ofFile: p) == f.md5 : false
            }
            if !intact {
                try ensureDownloaded([layout.archive], mirrors: mirrors, into: root)
                try extractTarGz(root + "/" + layout.archive.name, into: root)
            }
        }
        let hint = "Put \(layout.baseFolder) (unpacked from \(layout.archive.name)) in \(root), or pass download: true when online."
        func read(_ f: DatasetFile) throws -> (PickleValue, String) {
            let p = folder + "/" + f.name
            guard FileManager.default.fileExists(atPath: p) else { throw DatasetError.fileNotFound(path: p, hint: hint) }
            guard let d = FileManager.default.contents(atPath: p) else { throw DatasetError.unreadable(path: p, reason: "cannot read") }
            return (try unpickle([UInt8](d), path: p), p)
        }
        var chunks: [Tensor] = [], labels: [Int64] = []
        for f in files {
            let (batch, p) = try read(f)
            guard case .array(let arr)? = batch["data"] else {
                throw DatasetError.unreadable(path: p, reason: "a CIFAR batch without a 'data' array")
            }
            guard arr.shape.count == 2, arr.shape[1] == 3072, PickledArray.dtype(arr.descr) == .uint8 else {
                throw DatasetError.unreadable(path: p, reason: "'data' is a \(arr.descr) array of shape \(arr.shape), expected uint8 (N, 3072)")
            }
            guard let items = batch[layout.labelsKey]?.items else {
                throw DatasetError.unreadable(path: p, reason: "a CIFAR batch without a '\(layout.labelsKey)' list")
            }
            let ls = items.compactMap(\.int)
            if ls.count != items.count { throw DatasetError.unreadable(path: p, reason: "'\(layout.labelsKey)' holds values that are not integers") }
            if ls.count != arr.shape[0] { throw DatasetError.countMismatch(images: arr.shape[0], labels: ls.count) }
            if let bad = ls.first(where: { $0 < 0 || $0 >= layout.classCount }) { throw DatasetError.badLabel(path: p, value: bad) }
            chunks.append(try arr.tensor(path: p).reshape(arr.shape[0], 3, 32, 32))
            labels += ls.map(Int64.init)
        }
        let (meta, metaPath) = try read(layout.meta)
        guard let names = meta[layout.classesKey]?.items?.compactMap(\.string), names.count == layout.classCount else {
            throw DatasetError.unreadable(path: metaPath, reason: "expected '\(layout.classesKey)': \(layout.classCount) class names")
        }
        chw = chunks.count == 1 ? chunks[0] : cat(chunks, dim: 0)
        data = chw.permute(0, 2, 3, 1).contiguous()
        self.labels = labels
        targets = Tensor(flat: labels, shape: [labels.count])
        classes = names
        classToIdx = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.transform = transform
        self.train = train
        self.root = root
    }

    public var count: Int { labels.count }
    public subscript(index: Int) -> (Tensor, Int) {
        let img = chw[index]
        return (transform.map { $0(img) } ?? ToTensor()(img), Int(labels[index]))
    }
    public func batch(_ indices: [Int]) -> (Tensor, Tensor) {
        let idx = Tensor(flat: indices.map { Int64($0) }, shape: [indices.count])
        let y = targets.indexSelect(dim: 0, idx)
        if let t = transform { return (stack(indices.map { t(chw[$0]) }), y) }
        return (chw.indexSelect(dim: 0, idx).to(dtype: .float32) / 255, y)
    }
}

/// CIFAR-100: the CIFAR-10 format and API with 100 classes (`targets` are the fine labels, as in
/// torchvision), read from `root/cifar-100-python` (`cifar-100-python.tar.gz`).
public struct CIFAR100: Dataset {
    let base: CIFAR10
    public var data: Tensor { base.data }
    public var targets: Tensor { base.targets }
    public var classes: [String] { base.classes }
    public var classToIdx: [String: Int] { base.classToIdx }
    public var transform: Transform? { base.transform }
    public var train: Bool { base.train }
    public var root: String { base.root }
    /// Where `download: true` fetches `cifar-100-python.tar.gz` from.
    nonisolated(unsafe) public static var mirrors = DatasetFiles.cifarMirrors

    public init(root: String, train: Bool = true, download: Bool = false, transform: Transform? = nil) throws {
        base = try CIFAR10(root: root, train: train, download: download, transform: transform, layout: DatasetFiles.cifar100,
                           mirrors: CIFAR100.mirrors)
    }
    public var count: Int { base.count }
    public subscript(index: Int) -> (Tensor, Int) { base[index] }
    public func batch(_ indices: [Int]) -> (Tensor, Tensor) { base.batch(indices) }
}

extension CIFAR10: CustomStringConvertible {
    /// torchvision's repr: `Dataset CIFAR10`, the number of datapoints, the root and the split (not the transforms).
    public var description: String { describe("CIFAR10") }
    func describe(_ name: String) -> String {
        "Dataset \(name)\n    Number of datapoints: \(count)\n    Root location: \(root)\n    Split: \(train ? "Train" : "Test")"
    }
}
extension CIFAR100: CustomStringConvertible {
    public var description: String { base.describe("CIFAR100") }
}
