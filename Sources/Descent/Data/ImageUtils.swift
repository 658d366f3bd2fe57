import Foundation

/// Tiles images into one picture (torchvision's `utils.make_grid`): `tensor` is a batch (B, C, H, W), one image
/// (C, H, W) or (H, W); one-channel images become three-channel, `nrow` images go in a row, `padding` pixels of
/// `padValue` go around each. `normalize` shifts each value into [0, 1] by `valueRange` (the whole batch's min and
/// max when nil; each image's own with `scaleEach`). One image comes back as it is, without padding.
public func makeGrid(_ tensor: Tensor, nrow: Int = 8, padding: Int = 2, normalize: Bool = false, valueRange: (Double, Double)? = nil,
                     scaleEach: Bool = false, padValue: Double = 0) -> Tensor {
    var t = tensor
    if t.rank == 2 { t = t.unsqueeze(0) }
    if t.rank == 3 {
        if t.shape[0] == 1 { t = cat([t, t, t], dim: 0) }
        t = t.unsqueeze(0)
    }
    if t.rank != 4 { fail("make_grid: expected a 2-, 3- or 4-D tensor, got shape \(shapeString(tensor.shape))") }
    if t.shape[1] == 1 { t = cat([t, t, t], dim: 1) }
    return noGrad {
        if normalize {
            t = t.clone()
            func normIP(_ img: Tensor, _ low: Double, _ high: Double) {
                img.clamp_(min: low, max: high)
                img.sub_(low).div_(Swift.max(high - low, 1e-5))
            }
            func normRange(_ img: Tensor) {
                if let r = valueRange { normIP(img, r.0, r.1) } else { normIP(img, img.min().item(), img.max().item()) }
            }
            if scaleEach { for k in 0..<t.shape[0] { normRange(t[k]) } } else { normRange(t) }
        }
        if t.shape[0] == 1 { return t.squeeze(dim: 0) }
        let n = t.shape[0], xmaps = Swift.min(nrow, n), ymaps = (n + xmaps - 1) / xmaps
        let height = t.shape[2] + padding, width = t.shape[3] + padding
        let grid = t.newFull([t.shape[1], height * ymaps + padding, width * xmaps + padding], padValue)
        for k in 0..<n {
            let y = k / xmaps, x = k % xmaps
            grid[.ellipsis, (y * height + padding)..<((y + 1) * height), (x * width + padding)..<((x + 1) * width)] = t[k]
        }
        return grid
    }
}

/// `makeGrid` of a list of equally sized images.
public func makeGrid(_ tensors: [Tensor], nrow: Int = 8, padding: Int = 2, normalize: Bool = false, valueRange: (Double, Double)? = nil,
                     scaleEach: Bool = false, padValue: Double = 0) -> Tensor {
    makeGrid(stack(tensors), nrow: nrow, padding: padding, normalize: normalize, valueRange: valueRange, scaleEach: scaleEach, padValue: padValue)
}

/// Writes images to a PNG file (torchvision's `utils.save_image`): the `makeGrid` picture of `tensor` (values in
/// [0, 1], rounded to bytes as `x · 255 + 0.5`), atomically. Only `.png` paths are supported (`PlotError.unsupportedFormat`).
public func saveImage(_ tensor: Tensor, _ path: String, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                      valueRange: (Double, Double)? = nil, scaleEach: Bool = false, padValue: Double = 0) throws {
    let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
    if ext != "png" { throw PlotError.unsupportedFormat(path: path, format: ext.isEmpty ? "(none)" : ext) }
    let grid = makeGrid(tensor, nrow: nrow, padding: padding, normalize: normalize, valueRange: valueRange, scaleEach: scaleEach, padValue: padValue)
    let c = grid.shape[0], h = grid.shape[1], w = grid.shape[2]
    if c != 3 && c != 4 { fail("save_image: cannot write an image with \(c) channels (1, 3 or 4 are supported)") }
    let bytes = noGrad { (grid * 255 + 0.5).clamp(min: 0, max: 255).permute(1, 2, 0).to(.cpu).to(dtype: .uint8).contiguous().toArray(UInt8.self) }
    var rgba = [UInt8](repeating: 255, count: h * w * 4)
    for p in 0..<(h * w) { for k in 0..<c { rgba[p * 4 + k] = bytes[p * c + k] } }
    do { try writeFileAtomically(path, data: Data(encodePNG(width: w, height: h, rgba: rgba))) } catch let SerializationError.writeFailed(_, reason) {
        throw PlotError.writeFailed(path: path, reason: reason)
    }
}

/// `saveImage` of a list of equally sized images.
public func saveImage(_ tensors: [Tensor], _ path: String, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                      valueRange: (Double, Double)? = nil, scaleEach: Bool = false, padValue: Double = 0) throws {
    try saveImage(stack(tensors), path, nrow: nrow, padding: padding, normalize: normalize, valueRange: valueRange, scaleEach: scaleEach, padValue: padValue)
}
