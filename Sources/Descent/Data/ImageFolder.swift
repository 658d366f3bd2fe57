import Foundation

/// A dataset of files sorted into one folder per class (torchvision's `DatasetFolder`):
/// `root/<class>/.../<file>`. Classes are the folder names in sorted order (`classes`, `classToIdx`);
/// samples are every file under a class folder (followed into subfolders and symbolic links, sorted
/// as `os.walk` sorted gives them) that `isValidFile` accepts, or, without it, whose name ends in one of
/// `extensions` (any case). A class folder without a valid file throws unless `allowEmpty`.
///
/// Files are read when a sample is asked for: `loader` makes a tensor of a path, `transform` prepares it
/// (without one, `ToTensor()`), `targetTransform` maps the class index. A file that cannot be read then
/// stops the program with the loader's error, as PyTorch's exception in `__getitem__` does; `sample(_:)`
/// throws it instead.
public class DatasetFolder: Dataset, CustomStringConvertible {
    public let root: String
    public let classes: [String]
    public let classToIdx: [String: Int]
    /// (path, class index) of every sample, in order.
    public let samples: [(String, Int)]
    /// The class index of every sample.
    public let targets: [Int]
    public let extensions: [String]?
    public let transform: Transform?
    public let targetTransform: ((Int) -> Int)?
    public let loader: (String) throws -> Tensor

    public init(root: String, loader: @escaping (String) throws -> Tensor, extensions: [String]? = nil, transform: Transform? = nil,
                targetTransform: ((Int) -> Int)? = nil, isValidFile: ((String) -> Bool)? = nil, allowEmpty: Bool = false) throws {
        if (extensions == nil) == (isValidFile == nil) {
            fail("Both extensions and is_valid_file cannot be None or not None at the same time")
        }
        let root = NSString(string: root).expandingTildeInPath
        self.root = root; self.loader = loader; self.extensions = extensions
        self.transform = transform; self.targetTransform = targetTransform
        (classes, classToIdx) = try DatasetFolder.findClasses(root)
        let valid: (String) -> Bool = isValidFile ?? { path in
            let lower = path.lowercased()   // the name in lower case, the extensions as given (has_file_allowed_extension)
            return extensions!.contains { lower.hasSuffix($0) }
        }
        var found: [(String, Int)] = []
        var empty: [String] = []
        for (i, c) in classes.enumerated() {
            let before = found.count
            for path in DatasetFolder.walk(root + "/" + c) where valid(path) { found.append((path, i)) }
            if found.count == before { empty.append(c) }
        }
        if !empty.isEmpty && !allowEmpty {
            var msg = "Found no valid file for the classes \(empty.sorted(by: pythonOrder).joined(separator: ", ")). "
            if let e = extensions { msg += "Supported extensions are: \(e.joined(separator: ", "))" }
            throw DatasetError.fileNotFound(path: root, hint: msg)
        }
        samples = found
        targets = found.map(\.1)
    }

    /// The class folders of `directory`, sorted, and their indices (`find_classes`).
    public static func findClasses(_ directory: String) throws -> (classes: [String], classToIdx: [String: Int]) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError.fileNotFound(path: directory, hint: "ImageFolder needs a folder with one subfolder per class.")
        }
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        let classes = names.filter { n in
            var d: ObjCBool = false
            return fm.fileExists(atPath: directory + "/" + n, isDirectory: &d) && d.boolValue
        }.sorted(by: pythonOrder)
        if classes.isEmpty { throw DatasetError.fileNotFound(path: directory, hint: "Couldn't find any class folder in \(directory).") }
        return (classes, Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) }))
    }

    /// The files under `dir` in the order of `sorted(os.walk(dir, followlinks=True))` with sorted names:
    /// folders by their path, each folder's files by name.
    static func walk(_ dir: String) -> [String] {
        let fm = FileManager.default
        var folders: [String] = []
        func visit(_ d: String, _ ancestors: Set<String>) {
            // two links to one folder are walked twice, as os.walk does; a link back to a folder above is not followed
            let real = URL(fileURLWithPath: d).resolvingSymlinksInPath().path
            guard !ancestors.contains(real) else { return }
            folders.append(d)
            for n in (try? fm.contentsOfDirectory(atPath: d)) ?? [] {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: d + "/" + n, isDirectory: &isDir), isDir.boolValue { visit(d + "/" + n, ancestors.union([real])) }
            }
        }
        visit(dir, [])
        var out: [String] = []
        for d in folders.sorted(by: pythonOrder) {
            let files = ((try? fm.contentsOfDirectory(atPath: d)) ?? []).filter { n in
                var isDir: ObjCBool = false
                return fm.fileExists(atPath: d + "/" + n, isDirectory: &isDir) && !isDir.boolValue
            }
            for n in files.sorted(by: pythonOrder) { out.append(d + "/" + n) }
        }
        return out
    }

    public var count: Int { samples.count }

    /// The sample at `index` (image, class index), throwing what the loader throws.
    public func sample(_ index: Int) throws -> (Tensor, Int) {
        let (path, target) = samples[index]
        let img = try loader(path)
        return (transform.map { $0(img) } ?? ToTensor()(img), targetTransform.map { $0(target) } ?? target)
    }

    public subscript(index: Int) -> (Tensor, Int) {
        do { return try sample(index) } catch { fail("\(error)") }
    }

    public func batch(_ indices: [Int]) -> (Tensor, Tensor) {
        let s = indices.map { self[$0] }
        return (Tensor.collate(s.map(\.0)), Int.collate(s.map(\.1)))
    }

    /// torchvision's repr: `Dataset <name>`, the number of datapoints and the root.
    public var description: String {
        "Dataset \(String(describing: type(of: self)))\n    Number of datapoints: \(count)\n    Root location: \(root)"
    }
}

/// Python's `sorted` order of strings: by code point.
private func pythonOrder(_ a: String, _ b: String) -> Bool { a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) }

/// A folder of images, one subfolder per class (torchvision's `ImageFolder`): each sample is the image
/// as a uint8 RGB tensor (3, H, W), as PIL's `Image.open(path).convert("RGB")` gives it, then `transform`.
///
/// ```swift
/// let train = try ImageFolder(root: "data/train", transform: Compose([RandomResizedCrop(224), RandomHorizontalFlip(),
///                                                                     ToTensor(), Normalize(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])]))
/// print(train.classes)      // ["ants", "bees"]
/// ```
/// Images are decoded by `readImage` (JPEG, PNG, PGM and PPM).
public final class ImageFolder: DatasetFolder {
    /// torchvision's `IMG_EXTENSIONS`.
    public static let imgExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    public init(root: String, transform: Transform? = nil, targetTransform: ((Int) -> Int)? = nil,
                loader: @escaping (String) throws -> Tensor = { try readImage($0, mode: .rgb) },
                isValidFile: ((String) -> Bool)? = nil, allowEmpty: Bool = false) throws {
        try super.init(root: root, loader: loader, extensions: isValidFile == nil ? ImageFolder.imgExtensions : nil, transform: transform,
                       targetTransform: targetTransform, isValidFile: isValidFile, allowEmpty: allowEmpty)
    }

    /// `imgs`: the samples (torchvision keeps both names).
    public var imgs: [(String, Int)] { samples }
}
