import Crypto
import Foundation

// torchvision's pretrained weights (`resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)`) and
// `torch.hub.load_state_dict_from_url`: the `.pth` files torchvision publishes are downloaded once
// into the hub cache that PyTorch uses (`$TORCH_HOME/hub/checkpoints`, `~/.cache/torch` by default),
// checked against the SHA-256 prefix in their names, read by Descent's `torch.save` reader and loaded
// into the model. A file PyTorch already downloaded there is used as it is, as PyTorch uses it.
// (It lives with Serialization, above Data and NN: it downloads files and loads them into models.)

/// A set of pretrained weights (torchvision's `Weights`): where the file is, how images must be prepared
/// for it (`transforms()`), the class names it predicts (`categories`) and its published accuracy.
public struct Weights: Sendable, CustomStringConvertible {
    /// torchvision's name, such as `ResNet18_Weights.IMAGENET1K_V1`.
    public let name: String
    public let url: String
    /// The parameter count (`meta["num_params"]`).
    public let numParams: Int
    /// Top-1 and top-5 ImageNet-1K accuracy in percent (`meta["_metrics"]["ImageNet-1K"]`).
    public let acc1: Double, acc5: Double
    /// The preprocessing the weights were trained with (`ImageClassification`'s sizes).
    public let cropSize: Int, resizeSize: Int

    public init(name: String, url: String, numParams: Int, acc1: Double, acc5: Double, cropSize: Int = 224, resizeSize: Int = 256) {
        self.name = name; self.url = url; self.numParams = numParams; self.acc1 = acc1; self.acc5 = acc5
        self.cropSize = cropSize; self.resizeSize = resizeSize
    }

    public var description: String { name }

    /// The 1000 ImageNet class names, in class-index order (`meta["categories"]`).
    public var categories: [String] { imagenetCategories }

    /// The image preprocessing the weights expect (`weights.transforms()`).
    public func transforms() -> ImageClassification { ImageClassification(cropSize: cropSize, resizeSize: resizeSize) }

    /// The weights' state dict, downloaded into the hub cache the first time (`weights.get_state_dict()`).
    public func getStateDict(progress: Bool = true) throws -> StateDict {
        try loadStateDictFromURL(url, progress: progress, checkHash: true)
    }
}

/// The ImageNet class names, split once.
private let imagenetCategories: [String] = imagenetCategoryLines.split(separator: "\n").map(String.init)

/// The preprocessing of torchvision's classification weights: resize the short side to `resizeSize`
/// (bilinear, antialiased), crop the centre `cropSize` square, scale to float in [0, 1] and normalize
/// with ImageNet's mean and std. Takes a uint8 or float image (C, H, W) or a batch (N, C, H, W).
public struct ImageClassification: Transform, CustomStringConvertible {
    public let cropSize: Int, resizeSize: Int
    public let mean: [Double], std: [Double]
    public let interpolation: InterpolationMode
    public let antialias: Bool

    public init(cropSize: Int, resizeSize: Int = 256, mean: [Double] = [0.485, 0.456, 0.406], std: [Double] = [0.229, 0.224, 0.225],
                interpolation: InterpolationMode = .bilinear, antialias: Bool = true) {
        self.cropSize = cropSize; self.resizeSize = resizeSize; self.mean = mean; self.std = std
        self.interpolation = interpolation; self.antialias = antialias
    }

    public func callAsFunction(_ img: Tensor) -> Tensor {
        var x = TF.resize(img, [resizeSize], interpolation: interpolation, antialias: antialias)
        x = TF.centerCrop(x, [cropSize])
        x = TF.convertImageDtype(x, .float32)
        return TF.normalize(x, mean: mean, std: std)
    }

    public var description: String {
        func list(_ xs: [Double]) -> String { "[" + xs.map { pythonRepr($0) }.joined(separator: ", ") + "]" }
        return "ImageClassification(\n    crop_size=[\(cropSize)]\n    resize_size=[\(resizeSize)]\n    mean=\(list(mean))\n"
            + "    std=\(list(std))\n    interpolation=InterpolationMode.\(interpolation.rawValue.uppercased().replacingOccurrences(of: "-", with: "_"))\n)"
    }
}

/// torch.hub's cache folder: `$TORCH_HOME/hub`, where `TORCH_HOME` defaults to `$XDG_CACHE_HOME/torch`
/// and `XDG_CACHE_HOME` to `~/.cache` (`torch.hub.get_dir()`).
public func hubDir() -> String {
    let env = ProcessInfo.processInfo.environment
    let home = env["TORCH_HOME"].map { NSString(string: $0).expandingTildeInPath }
        ?? (env["XDG_CACHE_HOME"] ?? NSString(string: "~/.cache").expandingTildeInPath) + "/torch"
    return home + "/hub"
}

/// `torch.hub.load_state_dict_from_url`: the state dict in the file at `url`, kept in `modelDir`
/// (`hubDir()/checkpoints` by default) under its name (or `fileName`) and downloaded only when it is
/// not there yet. With `checkHash`, the file name must hold the first hex digits of the file's SHA-256
/// after its last `-` (`resnet18-f37072fd.pth`) and the download must match them. `progress` prints
/// PyTorch's "Downloading: ..." line. Reads `torch.save` and safetensors files.
public func loadStateDictFromURL(_ url: String, modelDir: String? = nil, progress: Bool = true, checkHash: Bool = false,
                                 fileName: String? = nil) throws -> StateDict {
    guard let u = URL(string: url) else { throw DatasetError.unreadable(path: url, reason: "not a URL") }
    let dir = modelDir ?? hubDir() + "/checkpoints"
    let name = fileName ?? u.lastPathComponent
    let cached = dir + "/" + name
    if !FileManager.default.fileExists(atPath: cached) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw DatasetError.unreadable(path: dir, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        if progress { print("Downloading: \"\(url)\" to \(cached)") }
        let data = try fetch(u, timeout: 600)
        if checkHash, let prefix = hashPrefix(name) {
            let sum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            if !sum.hasPrefix(prefix) {
                throw DatasetError.checksumMismatch(path: url, expected: prefix + "...", got: sum)
            }
        }
        try writeFileAtomically(cached, data: data)
    }
    return try load(from: cached)
}

/// The hex digits torch.hub's `-([a-f0-9]*)\.` finds in a file name (`resnet18-f37072fd.pth` → `f37072fd`).
@_spi(Testing) public func hashPrefix(_ name: String) -> String? {
    var search = Substring(name)
    while let dash = search.firstIndex(of: "-") {
        let rest = search[search.index(after: dash)...]
        let hex = rest.prefix { "0123456789abcdef".contains($0) }
        if rest.dropFirst(hex.count).first == "." { return String(hex) }
        search = rest
    }
    return nil
}

// MARK: - torchvision's ResNet weights

/// A model's pretrained weights, by torchvision's names (`.IMAGENET1K_V1`, `.DEFAULT`).
public protocol WeightsEnum: Sendable, CustomStringConvertible {
    var weights: Weights { get }
}

extension WeightsEnum {
    public var description: String { weights.name }
    public var url: String { weights.url }
    public var categories: [String] { weights.categories }
    public func transforms() -> ImageClassification { weights.transforms() }
    public func getStateDict(progress: Bool = true) throws -> StateDict { try weights.getStateDict(progress: progress) }
}

/// `torchvision.models.ResNet18_Weights`.
public struct ResNet18_Weights: WeightsEnum {
    public let weights: Weights
    public static let IMAGENET1K_V1 = ResNet18_Weights(weights: Weights(
        name: "ResNet18_Weights.IMAGENET1K_V1", url: "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        numParams: 11_689_512, acc1: 69.758, acc5: 89.078))
    public static let DEFAULT = IMAGENET1K_V1
}

/// `torchvision.models.ResNet34_Weights`.
public struct ResNet34_Weights: WeightsEnum {
    public let weights: Weights
    public static let IMAGENET1K_V1 = ResNet34_Weights(weights: Weights(
        name: "ResNet34_Weights.IMAGENET1K_V1", url: "https://download.pytorch.org/models/resnet34-b627a593.pth",
        numParams: 21_797_672, acc1: 73.314, acc5: 91.420))
    public static let DEFAULT = IMAGENET1K_V1
}

/// `torchvision.models.ResNet50_Weights` (`.DEFAULT` is `.IMAGENET1K_V2`, as torchvision's).
public struct ResNet50_Weights: WeightsEnum {
    public let weights: Weights
    public static let IMAGENET1K_V1 = ResNet50_Weights(weights: Weights(
        name: "ResNet50_Weights.IMAGENET1K_V1", url: "https://download.pytorch.org/models/resnet50-0676ba61.pth",
        numParams: 25_557_032, acc1: 76.130, acc5: 92.862))
    public static let IMAGENET1K_V2 = ResNet50_Weights(weights: Weights(
        name: "ResNet50_Weights.IMAGENET1K_V2", url: "https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
        numParams: 25_557_032, acc1: 80.858, acc5: 95.434, resizeSize: 232))
    public static let DEFAULT = IMAGENET1K_V2
}

/// A torchvision model with pretrained weights: made as without them (drawing its initialisation
/// from the global generator, as torchvision does), then loaded.
private func pretrained(_ make: (Int) -> ResNet, _ weights: Weights, progress: Bool, numClasses: Int) throws -> ResNet {
    if numClasses != weights.categories.count {
        fail("The parameter 'num_classes' expected value \(weights.categories.count) but got \(numClasses) instead.")
    }
    let model = make(numClasses)
    try model.loadStateDict(weights.getStateDict(progress: progress))
    return model
}

/// ResNet-18 with torchvision's pretrained weights (`resnet18(weights=ResNet18_Weights.DEFAULT)`),
/// downloaded once into the hub cache. Replace `fc` to fine-tune on other classes.
public func resnet18(weights: ResNet18_Weights, progress: Bool = true, numClasses: Int = 1000, zeroInitResidual: Bool = false) throws -> ResNet {
    try pretrained({ resnet18(numClasses: $0, zeroInitResidual: zeroInitResidual) }, weights.weights, progress: progress, numClasses: numClasses)
}
/// ResNet-34 with torchvision's pretrained weights.
public func resnet34(weights: ResNet34_Weights, progress: Bool = true, numClasses: Int = 1000, zeroInitResidual: Bool = false) throws -> ResNet {
    try pretrained({ resnet34(numClasses: $0, zeroInitResidual: zeroInitResidual) }, weights.weights, progress: progress, numClasses: numClasses)
}
/// ResNet-50 with torchvision's pretrained weights.
public func resnet50(weights: ResNet50_Weights, progress: Bool = true, numClasses: Int = 1000, zeroInitResidual: Bool = false) throws -> ResNet {
    try pretrained({ resnet50(numClasses: $0, zeroInitResidual: zeroInitResidual) }, weights.weights, progress: progress, numClasses: numClasses)
}
