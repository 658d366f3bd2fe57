import Foundation

// torchvision's random augmentations and crops, on tensors whose last two dims are (H, W): an
// (H, W) uint8 image before `ToTensor`, or a (C, H, W) float one after. They draw from the global
// generator exactly as torchvision does (`torch.rand(1)` per flip, `torch.randint` for a crop's
// top then left), so a seeded DataLoader sees the same augmented images as PyTorch's.

/// x flipped along `dim` when `torch.rand(1) < p` (one draw per image, as torchvision's flips).
private func randomFlip(_ x: Tensor, p: Double, dim: Int, _ name: String) -> Tensor {
    if x.rank < 2 { fail("\(name): expected an image with at least 2 dims (H, W), got \(shapeString(x.shape))") }
    return Tensor.rand(1).item() < p ? x.flip(dim) : x
}

/// Mirrors the image left-right with probability `p` (torchvision's `RandomHorizontalFlip`).
public struct RandomHorizontalFlip: Transform, CustomStringConvertible {
    public let p: Double
    public init(p: Double = 0.5) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { randomFlip(x, p: p, dim: -1, "RandomHorizontalFlip") }
    public var description: String { "RandomHorizontalFlip(p=\(formatPyFloat(p)))" }
}

/// Mirrors the image top-bottom with probability `p` (torchvision's `RandomVerticalFlip`).
public struct RandomVerticalFlip: Transform, CustomStringConvertible {
    public let p: Double
    public init(p: Double = 0.5) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { randomFlip(x, p: p, dim: -2, "RandomVerticalFlip") }
    public var description: String { "RandomVerticalFlip(p=\(formatPyFloat(p)))" }
}

/// Crops (H, W) to `size` at a random place, after padding the borders by `padding` (left, top,
/// right, bottom: one value for all, as torchvision's int) with `fill` (torchvision's `RandomCrop`,
/// padding modes "constant", "edge", "reflect"). `padIfNeeded` pads an image smaller than `size`.
public struct RandomCrop: Transform, CustomStringConvertible {
    public let size: (Int, Int)
    public let padding: [Int]?
    public let padIfNeeded: Bool
    public let fill: Double
    public let paddingMode: String
    let writtenPadding: String

    public init(_ size: Int, padding: Int? = nil, padIfNeeded: Bool = false, fill: Double = 0, paddingMode: String = "constant") {
        self.init((size, size), padding: padding.map { [$0, $0, $0, $0] }, padIfNeeded: padIfNeeded, fill: fill, paddingMode: paddingMode,
                  written: padding.map(String.init) ?? "None")
    }
    /// (height, width) and padding (left, top, right, bottom).
    public init(_ size: (Int, Int), padding: (Int, Int, Int, Int)? = nil, padIfNeeded: Bool = false, fill: Double = 0,
                paddingMode: String = "constant") {
        self.init(size, padding: padding.map { [$0.0, $0.1, $0.2, $0.3] }, padIfNeeded: padIfNeeded, fill: fill, paddingMode: paddingMode,
                  written: padding.map { "(\($0.0), \($0.1), \($0.2), \($0.3))" } ?? "None")
    }
    init(_ size: (Int, Int), padding: [Int]?, padIfNeeded: Bool, fill: Double, paddingMode: String, written: String) {
        if !["constant", "edge", "reflect"].contains(paddingMode) {
            fail("RandomCrop: padding mode should be constant, edge or reflect here, got \(paddingMode)")
        }
        self.size = size; self.padding = padding; self.padIfNeeded = padIfNeeded; self.fill = fill
        self.paddingMode = paddingMode; writtenPadding = written
    }

    /// torchvision's pad: (left, top, right, bottom) on the last two dims.
    func padImage(_ x: Tensor, _ p: [Int]) -> Tensor { TF.pad(x, p, fill: fill, paddingMode: paddingMode) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if x.rank < 2 { fail("RandomCrop: expected an image with at least 2 dims (H, W), got \(shapeString(x.shape))") }
        var img = x
        if let p = padding { img = padImage(img, p) }
        let (th, tw) = size
        if padIfNeeded {
            let w = img.shape[img.rank - 1]
            if w < tw { img = padImage(img, [tw - w, 0, tw - w, 0]) }
            let h = img.shape[img.rank - 2]
            if h < th { img = padImage(img, [0, th - h, 0, th - h]) }
        }
        let h = img.shape[img.rank - 2], w = img.shape[img.rank - 1]
        if h < th || w < tw {
            fail("Required crop size (\(th), \(tw)) is larger than input image size (\(h), \(w))")
        }
        if h == th && w == tw { return img }
        let i = Int(Tensor.randint(0, h - th + 1, [1]).item())
        let j = Int(Tensor.randint(0, w - tw + 1, [1]).item())
        return img.narrow(dim: -2, start: i, length: th).narrow(dim: -1, start: j, length: tw).contiguous()
    }
    public var description: String { "RandomCrop(size=(\(size.0), \(size.1)), padding=\(writtenPadding))" }
}

/// Crops the centre (H, W) to `size` (torchvision's `CenterCrop`: the top-left corner at
/// round((H - h) / 2), round((W - w) / 2), Python's rounding; a smaller image is zero-padded first).
public struct CenterCrop: Transform, CustomStringConvertible {
    public let size: (Int, Int)
    public init(_ size: Int) { self.size = (size, size) }
    public init(_ size: (Int, Int)) { self.size = size }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if x.rank < 2 { fail("CenterCrop: expected an image with at least 2 dims (H, W), got \(shapeString(x.shape))") }
        var img = x
        let (th, tw) = size
        var h = img.shape[img.rank - 2], w = img.shape[img.rank - 1]
        if th > h || tw > w {
            let l = tw > w ? (tw - w) / 2 : 0, t = th > h ? (th - h) / 2 : 0
            let r = tw > w ? (tw - w + 1) / 2 : 0, b = th > h ? (th - h + 1) / 2 : 0
            img = pad(img, [l, r, t, b])
            h = img.shape[img.rank - 2]; w = img.shape[img.rank - 1]
            if h == th && w == tw { return img }
        }
        let top = Int((Double(h - th) / 2).rounded(.toNearestOrEven)), left = Int((Double(w - tw) / 2).rounded(.toNearestOrEven))
        return img.narrow(dim: -2, start: top, length: th).narrow(dim: -1, start: left, length: tw).contiguous()
    }
    public var description: String { "CenterCrop(size=(\(size.0), \(size.1)))" }
}
