import Foundation

// torchvision's tensor image functions (`torchvision.transforms.functional`, written `TF` here as
// users import it) and the transforms built on them. Images are tensors whose last dims are
// (C, H, W), or (H, W) for a one-channel image such as an MNIST sample before `ToTensor`
// (torchvision's PIL path takes those; its tensor path needs the channel dim). Integer images are
// computed in float32 and rounded back, as torchvision's `_cast_squeeze_in/out` do.

/// How `resize`, `rotate` and `affine` sample the image (torchvision's `InterpolationMode`).
public enum InterpolationMode: String, Sendable {
    case nearest, bilinear, bicubic
    case nearestExact = "nearest-exact"
}

/// torchvision's `transforms.functional` on tensor images.
public enum TF {
    /// The image as (N, C, H, W) in a float dtype, and how to give the result the image's shape and dtype back.
    static func batched(_ img: Tensor, _ name: String, float: Bool = true) -> (Tensor, (Tensor) -> Tensor) {
        if img.rank < 2 { fail("\(name): expected an image tensor with at least 2 dims (H, W), got \(shapeString(img.shape))") }
        let shape = img.shape, dtype = img.dtype
        let c = img.rank == 2 ? 1 : shape[shape.count - 3]
        var x = img.reshape(-1, c, shape[shape.count - 2], shape[shape.count - 1])
        let cast = float && !dtype.isFloatingPoint
        if cast { x = x.to(dtype: .float32) }
        return (x, { y in
            var out = y
            if cast { out = out.round().to(dtype: dtype) }
            return out.reshape(Array(shape.dropLast(img.rank == 2 ? 2 : 3)) + Array(y.shape.suffix(img.rank == 2 ? 2 : 3)))
        })
    }

    /// The largest value of an image dtype (1 for floats, 255 for uint8).
    static func maxValue(_ dtype: DType) -> Double {
        switch dtype {
        case .uint8: return 255
        case .int32: return 2147483647
        case .int64: return 9223372036854775807
        default: return 1
        }
    }

    /// (channels, height, width) of an image (`F.get_dimensions`).
    public static func getDimensions(_ img: Tensor) -> (Int, Int, Int) {
        if img.rank < 2 { fail("Unexpected image tensor with \(img.rank) dims: expected at least 2") }
        return (img.rank == 2 ? 1 : img.shape[img.rank - 3], img.shape[img.rank - 2], img.shape[img.rank - 1])
    }

    /// The (height, width) a `resize` to `size` gives: one value sets the shorter edge (the longer
    /// keeps the aspect ratio, truncated), two set both; `maxSize` caps the longer edge.
    public static func resizedSize(height h: Int, width w: Int, _ size: [Int], maxSize: Int? = nil) -> (Int, Int) {
        if size.count == 2 {
            if maxSize != nil { fail("max_size should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1 in torchscript mode.") }
            return (size[0], size[1])
        }
        if size.count != 1 { fail("Size must be an int or a 1 or 2 element tuple/list, not a \(size.count) element tuple/list") }
        let (short, long) = w <= h ? (w, h) : (h, w)
        var newShort = size[0], newLong = Int(Double(size[0]) * Double(long) / Double(short))
        if let m = maxSize {
            if m <= size[0] { fail("max_size = \(m) must be strictly greater than the requested size for the smaller edge size = [\(size[0])]") }
            if newLong > m { newShort = Int(Double(m) * Double(newShort) / Double(newLong)); newLong = m }
        }
        return w <= h ? (newLong, newShort) : (newShort, newLong)
    }

    /// Resizes the image to `size` (one value: the shorter edge; two: (height, width)) with
    /// `interpolation` (torchvision's `F.resize`: antialiased bilinear by default; integer images
    /// are rounded back, bicubic ones clamped to their range first).
    public static func resize(_ img: Tensor, _ size: [Int], interpolation: InterpolationMode = .bilinear, maxSize: Int? = nil,
                              antialias: Bool = true) -> Tensor {
        let (_, h, w) = getDimensions(img)
        let (oh, ow) = resizedSize(height: h, width: w, size, maxSize: maxSize)
        if oh == h && ow == w { return img }
        let (x, back) = batched(img, "resize")
        let interpolating = interpolation == .bilinear || interpolation == .bicubic
        var y = interpolate(x, size: [oh, ow], mode: interpolation.rawValue, alignCorners: interpolating ? false : nil,
                            antialias: antialias && interpolating)
        if interpolation == .bicubic && img.dtype == .uint8 { y = y.clamp(min: 0, max: 255) }
        return back(y)
    }
    /// `resize` to one size for the shorter edge.
    public static func resize(_ img: Tensor, _ size: Int, interpolation: InterpolationMode = .bilinear, maxSize: Int? = nil,
                              antialias: Bool = true) -> Tensor {
        resize(img, [size], interpolation: interpolation, maxSize: maxSize, antialias: antialias)
    }

    /// The window of `height` × `width` at (top, left); parts outside the image are zeros (`F.crop`).
    public static func crop(_ img: Tensor, _ top: Int, _ left: Int, _ height: Int, _ width: Int) -> Tensor {
        let (_, h, w) = getDimensions(img)
        let right = left + width, bottom = top + height
        let inside = img.narrow(dim: -2, start: Swift.max(top, 0), length: Swift.max(Swift.min(bottom, h) - Swift.max(top, 0), 0))
            .narrow(dim: -1, start: Swift.max(left, 0), length: Swift.max(Swift.min(right, w) - Swift.max(left, 0), 0))
        if left >= 0 && top >= 0 && right <= w && bottom <= h { return inside }
        let l = Swift.max(-left + Swift.min(0, right), 0), t = Swift.max(-top + Swift.min(0, bottom), 0)
        let r = Swift.max(right - Swift.max(w, left), 0), b = Swift.max(bottom - Swift.max(h, top), 0)
        return pad(inside, [l, t, r, b])
    }

    /// The centre `size` (height, width) of the image, zero-padded when it is smaller (`F.center_crop`).
    public static func centerCrop(_ img: Tensor, _ size: [Int]) -> Tensor {
        let s = size.count == 1 ? (size[0], size[0]) : (size[0], size[1])
        return CenterCrop(s)(img)
    }

    /// `crop` then `resize` (`F.resized_crop`).
    public static func resizedCrop(_ img: Tensor, _ top: Int, _ left: Int, _ height: Int, _ width: Int, _ size: [Int],
                                   interpolation: InterpolationMode = .bilinear, antialias: Bool = true) -> Tensor {
        resize(crop(img, top, left, height, width), size, interpolation: interpolation, antialias: antialias)
    }

    /// Mirrors left-right (`F.hflip`).
    public static func hflip(_ img: Tensor) -> Tensor { img.flip(-1) }
    /// Mirrors top-bottom (`F.vflip`).
    public static func vflip(_ img: Tensor) -> Tensor { img.flip(-2) }

    /// Pads the borders (torchvision's `F.pad`): `padding` is one value for all sides, (left/right,
    /// top/bottom) or (left, top, right, bottom); modes "constant" (with `fill`), "edge", "reflect"
    /// and "symmetric" (the edge pixel repeated); negative padding crops.
    public static func pad(_ img: Tensor, _ padding: [Int], fill: Double = 0, paddingMode: String = "constant") -> Tensor {
        let p: [Int]   // left, right, top, bottom
        switch padding.count {
        case 1: p = [padding[0], padding[0], padding[0], padding[0]]
        case 2: p = [padding[0], padding[0], padding[1], padding[1]]
        case 4: p = [padding[0], padding[2], padding[1], padding[3]]
        default: fail("Padding must be an int or a 1, 2, or 4 element tuple, not a \(padding.count) element tuple")
        }
        if !["constant", "edge", "reflect", "symmetric"].contains(paddingMode) {
            fail("Padding mode should be either constant, edge, reflect or symmetric")
        }
        if paddingMode == "symmetric" {
            var x = img
            if p.contains(where: { $0 < 0 }) {
                let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
                let c = p.map { -Swift.min($0, 0) }
                x = x.narrow(dim: -2, start: c[2], length: h - c[2] - c[3]).narrow(dim: -1, start: c[0], length: w - c[0] - c[1])
            }
            let q = p.map { Swift.max($0, 0) }
            func indices(_ n: Int, _ before: Int, _ after: Int) -> Tensor {
                Tensor(Array((0..<before).reversed()) + Array(0..<n) + (0..<after).map { n - 1 - $0 })
            }
            let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
            return x.indexSelect(dim: x.rank - 2, indices(h, q[2], q[3])).indexSelect(dim: x.rank - 1, indices(w, q[0], q[1]))
        }
        let (x, back) = batched(img, "pad", float: paddingMode != "constant")
        let y = paddingMode == "constant" ? Descent.pad(x, p, value: fill) : Descent.pad(x, p, mode: paddingMode == "edge" ? "replicate" : "reflect")
        return back(y)
    }

    /// torchvision's `_get_inverse_affine_matrix`: the output → input map of a rotation by `angle`
    /// degrees about `center`, then `scale`, `shear` (degrees, x and y) and `translate`.
    public static func inverseAffineMatrix(center: [Double], angle: Double, translate: [Double], scale: Double, shear: [Double]) -> [Double] {
        let rot = angle * .pi / 180, sx = shear[0] * .pi / 180, sy = shear[1] * .pi / 180
        let (cx, cy) = (center[0], center[1]), (tx, ty) = (translate[0], translate[1])
        let a = cos(rot - sy) / cos(sy)
        let b = -cos(rot - sy) * tan(sx) / cos(sy) - sin(rot)
        let c = sin(rot - sy) / cos(sy)
        let d = -sin(rot - sy) * tan(sx) / cos(sy) + cos(rot)
        var m = [d, -b, 0.0, -c, a, 0.0].map { $0 / scale }
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
        return m
    }

    /// torchvision's `_gen_affine_grid`: sampling positions in [-1, 1] for an (oh, ow) output of a
    /// w × h image under the 2 × 3 `matrix` (pixel units about the centre).
    static func affineGrid(_ matrix: [Double], w: Int, h: Int, ow: Int, oh: Int, dtype: DType) -> Tensor {
        let theta = Tensor(matrix).to(dtype: dtype).reshape(1, 2, 3)
        let xs = Tensor.linspace(-Double(ow) * 0.5 + 0.5, Double(ow) * 0.5 + 0.5 - 1, count: ow).to(dtype: dtype)
        let ys = Tensor.linspace(-Double(oh) * 0.5 + 0.5, Double(oh) * 0.5 + 0.5 - 1, count: oh).to(dtype: dtype)
        let base = stack([xs.reshape(1, ow).expand(oh, ow), ys.reshape(oh, 1).expand(oh, ow), Tensor.ones([oh, ow], dtype: dtype)], dim: -1)
        let rescaled = theta.transpose(1, 2) / Tensor([0.5 * Double(w), 0.5 * Double(h)]).to(dtype: dtype)
        return base.reshape(1, oh * ow, 3).bmm(rescaled).reshape(1, oh, ow, 2)
    }

    /// torchvision's `_apply_grid_transform`: samples the image at `grid` (nearest or bilinear,
    /// zeros outside) and paints `fill` where the sample fell outside the image.
    static func gridTransform(_ img: Tensor, _ grid: Tensor, _ mode: InterpolationMode, fill: [Double]?, _ name: String) -> Tensor {
        if mode != .nearest && mode != .bilinear { fail("\(name): interpolation \(mode.rawValue) is unsupported with Tensor input (nearest, bilinear)") }
        let (x, back) = batched(img, name)   // float32 for integer images, as the grid
        let n = x.shape[0], c = x.shape[1]
        let g = grid.expand(n, grid.shape[1], grid.shape[2], 2)
        if let fill {
            if fill.count != 1 && fill.count != c {
                fail("The number of elements in 'fill' cannot broadcast to match the number of channels of the image (\(fill.count) != \(c))")
            }
            let withMask = cat([x, Tensor.ones([n, 1, x.shape[2], x.shape[3]], dtype: x.dtype)], dim: 1)
            let s = gridSample(withMask, g, mode: mode.rawValue, paddingMode: "zeros", alignCorners: false)
            let mask = s.narrow(dim: 1, start: c, length: 1).expandAs(s.narrow(dim: 1, start: 0, length: c))
            let out = s.narrow(dim: 1, start: 0, length: c)
            let fillImg = Tensor(fill).to(dtype: out.dtype).reshape(1, fill.count, 1, 1).expandAs(out)
            let y = mode == .nearest ? Descent.where(mask .< 0.5, fillImg, out) : out * mask + (1 - mask) * fillImg
            return back(y)
        }
        return back(gridSample(x, g, mode: mode.rawValue, paddingMode: "zeros", alignCorners: false))
    }

    /// Rotates the image `angle` degrees counter-clockwise about its centre, or `center` (pixels
    /// from the top-left); `expand` grows the output to hold the whole rotated image (`F.rotate`).
    public static func rotate(_ img: Tensor, _ angle: Double, interpolation: InterpolationMode = .nearest, expand: Bool = false,
                              center: [Int]? = nil, fill: [Double]? = nil) -> Tensor {
        let (_, h, w) = getDimensions(img)
        let centerF: [Double] = center.map { c -> [Double] in [Double(c[0]) - Double(w) * 0.5, Double(c[1]) - Double(h) * 0.5] } ?? [0, 0]
        let m = inverseAffineMatrix(center: centerF, angle: -angle, translate: [0, 0], scale: 1, shear: [0, 0])
        var (ow, oh) = (w, h)
        if expand {
            // PIL's output size: the rotated corners' bounding box, at 1e-4 precision, in float32
            let pts: [(Float, Float)] = [(-0.5 * Float(w), -0.5 * Float(h)), (-0.5 * Float(w), 0.5 * Float(h)),
                                         (0.5 * Float(w), 0.5 * Float(h)), (0.5 * Float(w), -0.5 * Float(h))]
            let t = m.map { Float($0) }
            let hw = Float(w) * 0.5, hh = Float(h) * 0.5
            let xs: [Float] = pts.map { p -> Float in p.0 * t[0] + p.1 * t[1] + t[2] + hw }
            let ys: [Float] = pts.map { p -> Float in p.0 * t[3] + p.1 * t[4] + t[5] + hh }
            func span(_ v: [Float]) -> Int {
                let hi = ((v.max()! / 1e-4).rounded(.towardZero) * 1e-4).rounded(.up)
                let lo = ((v.min()! / 1e-4).rounded(.towardZero) * 1e-4).rounded(.down)
                return Int(hi - lo)
            }
            (ow, oh) = (span(xs), span(ys))
        }
        let dtype: DType = img.dtype.isFloatingPoint ? img.dtype : .float32
        return gridTransform(img, affineGrid(m, w: w, h: h, ow: ow, oh: oh, dtype: dtype), interpolation, fill: fill, "rotate")
    }

    /// Rotates by `angle` degrees (clockwise), scales, shears (degrees along x and y) and shifts by
    /// `translate` pixels about the centre, keeping the size (`F.affine`).
    public static func affine(_ img: Tensor, angle: Double, translate: [Int], scale: Double, shear: [Double],
                              interpolation: InterpolationMode = .nearest, fill: [Double]? = nil, center: [Int]? = nil) -> Tensor {
        if translate.count != 2 { fail("Argument translate should be a sequence of length 2") }
        if scale <= 0 { fail("Argument scale should be positive") }
        let sh = shear.count == 1 ? [shear[0], shear[0]] : shear
        if sh.count != 2 { fail("Shear should be a sequence containing two values. Got \(shear)") }
        let (_, h, w) = getDimensions(img)
        let centerF: [Double] = center.map { c -> [Double] in [Double(c[0]) - Double(w) * 0.5, Double(c[1]) - Double(h) * 0.5] } ?? [0, 0]
        let m = inverseAffineMatrix(center: centerF, angle: angle, translate: translate.map(Double.init), scale: scale, shear: sh)
        let dtype: DType = img.dtype.isFloatingPoint ? img.dtype : .float32
        return gridTransform(img, affineGrid(m, w: w, h: h, ow: w, oh: h, dtype: dtype), interpolation, fill: fill, "affine")
    }

    /// `ratio · a + (1 - ratio) · b` clamped to the dtype's range (torchvision's `_blend`).
    static func blend(_ a: Tensor, _ b: Tensor, _ ratio: Double) -> Tensor {
        let y = (ratio * a + (1 - ratio) * b).clamp(min: 0, max: maxValue(a.dtype))
        return y.dtype == a.dtype ? y : y.to(dtype: a.dtype)
    }
    static func checkChannels(_ img: Tensor, _ allowed: [Int], _ name: String) -> Int {
        let c = getDimensions(img).0
        if !allowed.contains(c) {
            fail("\(name): input image tensor permitted channel values are \(allowed.map(String.init).joined(separator: ", ")), but found \(c)")
        }
        return c
    }

    /// 0.2989 R + 0.587 G + 0.114 B, as one or three channels (`F.rgb_to_grayscale`).
    public static func rgbToGrayscale(_ img: Tensor, numOutputChannels: Int = 1) -> Tensor {
        if img.rank < 3 { fail("Input image tensor should have at least 3 dimensions, but found \(img.rank)") }
        let c = checkChannels(img, [1, 3], "rgb_to_grayscale")
        if numOutputChannels != 1 && numOutputChannels != 3 { fail("num_output_channels should be either 1 or 3") }
        var l: Tensor
        if c == 3 {
            let ch = img.unbind(dim: -3)
            l = 0.2989 * ch[0] + 0.587 * ch[1] + 0.114 * ch[2]
            if l.dtype != img.dtype { l = l.to(dtype: img.dtype) }
            l = l.unsqueeze(-3)
        } else {
            l = img.clone()
        }
        return numOutputChannels == 3 ? l.expand(img.shape) : l
    }

    /// Scales the pixel values by `factor` (`F.adjust_brightness`).
    public static func adjustBrightness(_ img: Tensor, _ factor: Double) -> Tensor {
        if factor < 0 { fail("brightness_factor (\(formatPyFloat(factor))) is not non-negative.") }
        _ = checkChannels(img, [1, 3], "adjust_brightness")
        return blend(img, Tensor.zerosLike(img), factor)
    }
    /// Blends with the mean grey level (`F.adjust_contrast`).
    public static func adjustContrast(_ img: Tensor, _ factor: Double) -> Tensor {
        if factor < 0 { fail("contrast_factor (\(formatPyFloat(factor))) is not non-negative.") }
        let c = checkChannels(img, [3, 1], "adjust_contrast")
        let dtype: DType = img.dtype.isFloatingPoint ? img.dtype : .float32
        let grey = (c == 3 ? rgbToGrayscale(img) : img).to(dtype: dtype)
        let mean = grey.mean(dims: [-3, -2, -1], keepDim: true)
        return blend(img, mean, factor)
    }
    /// Blends with the greyscale image (`F.adjust_saturation`; one-channel images pass through).
    public static func adjustSaturation(_ img: Tensor, _ factor: Double) -> Tensor {
        if factor < 0 { fail("saturation_factor (\(formatPyFloat(factor))) is not non-negative.") }
        if checkChannels(img, [1, 3], "adjust_saturation") == 1 { return img }
        return blend(img, rgbToGrayscale(img), factor)
    }
    /// Shifts the hue by `factor` turns in HSV space (`F.adjust_hue`, factor in [-0.5, 0.5]).
    public static func adjustHue(_ img: Tensor, _ factor: Double) -> Tensor {
        if !(-0.5...0.5).contains(factor) { fail("hue_factor (\(formatPyFloat(factor))) is not in [-0.5, 0.5].") }
        if checkChannels(img, [1, 3], "adjust_hue") == 1 { return img }
        let x = convertImageDtype(img, .float32)
        let hsv = rgbToHSV(x).unbind(dim: -3)
        let h = (hsv[0] + factor).remainder(1.0)
        return convertImageDtype(hsvToRGB(stack([h, hsv[1], hsv[2]], dim: -3)), img.dtype)
    }
    /// torchvision's `_rgb2hsv` on float images in [0, 1].
    static func rgbToHSV(_ img: Tensor) -> Tensor {
        let ch = img.unbind(dim: -3)
        let (r, g, b) = (ch[0], ch[1], ch[2])
        let maxc = img.max(dim: -3).values, minc = img.min(dim: -3).values
        let eqc = maxc .== minc
        let cr = maxc - minc
        let ones = Tensor.onesLike(maxc)
        let s = cr / Descent.where(eqc, ones, maxc)
        let crDivisor = Descent.where(eqc, ones, cr)
        let rc = (maxc - r) / crDivisor, gc = (maxc - g) / crDivisor, bc = (maxc - b) / crDivisor
        let isR = maxc .== r, isG = maxc .== g
        let hr = isR.to(dtype: img.dtype) * (bc - gc)
        let hg = isG.logicalAnd(isR.logicalNot()).to(dtype: img.dtype) * (2.0 + rc - bc)
        let hb = isG.logicalNot().logicalAnd(isR.logicalNot()).to(dtype: img.dtype) * (4.0 + gc - rc)
        let h = ((hr + hg + hb) / 6.0 + 1.0).fmod(1.0)
        return stack([h, s, maxc], dim: -3)
    }
    /// torchvision's `_hsv2rgb`.
    static func hsvToRGB(_ img: Tensor) -> Tensor {
        let ch = img.unbind(dim: -3)
        let (h, s, v) = (ch[0], ch[1], ch[2])
        let i = (h * 6.0).floor()
        let f = h * 6.0 - i
        let sector = i.remainder(6.0)   // torchvision: int32 i % 6, the same integers
        let p = (v * (1.0 - s)).clamp(min: 0, max: 1)
        let q = (v * (1.0 - s * f)).clamp(min: 0, max: 1)
        let t = (v * (1.0 - s * (1.0 - f))).clamp(min: 0, max: 1)
        let rows = [[v, q, p, p, t, v], [t, v, v, q, p, p], [p, p, t, v, v, q]]
        // one of the six candidates per pixel, chosen by the sector (torchvision's one-hot einsum)
        let picked = rows.map { cands -> Tensor in
            (0..<6).reduce(Tensor.zerosLike(v)) { acc, k in Descent.where(sector .== Double(k), cands[k], acc) }
        }
        return stack(picked, dim: -3)
    }

    /// Gaussian blur with odd `kernelSize` (x, y) and `sigma` (x, y; default 0.3 · ((k - 1) / 2 - 1)
    /// + 0.8 as torchvision), reflect-padded, one channel at a time (`F.gaussian_blur`).
    public static func gaussianBlur(_ img: Tensor, kernelSize: [Int], sigma: [Double]? = nil) -> Tensor {
        let ks = kernelSize.count == 1 ? [kernelSize[0], kernelSize[0]] : kernelSize
        if ks.count != 2 { fail("If kernel_size is a sequence its length should be 2. Got \(kernelSize.count)") }
        for k in ks where k <= 0 || k % 2 == 0 { fail("kernel_size should have odd and positive integers. Got \(kernelSize)") }
        let sg = sigma.map { $0.count == 1 ? [$0[0], $0[0]] : $0 } ?? ks.map { Double($0) * 0.15 + 0.35 }
        if sg.count != 2 { fail("If sigma is a sequence, its length should be 2. Got \(sigma!.count)") }
        for s in sg where s <= 0 { fail("sigma should have positive values. Got \(sg)") }
        var (x, back) = batched(img, "gaussian_blur")
        func kernel1d(_ k: Int, _ s: Double) -> Tensor {
            let half = Double(k - 1) * 0.5
            let pdf = (-0.5 * (Tensor.linspace(-half, half, count: k).to(dtype: x.dtype) / s).pow(2)).exp()
            return pdf / pdf.sum()
        }
        let kx = kernel1d(ks[0], sg[0]), ky = kernel1d(ks[1], sg[1])
        let c = x.shape[1]
        let kernel = ky.reshape(-1, 1).mm(kx.reshape(1, -1)).expand(c, 1, ks[1], ks[0])
        x = Descent.pad(x, [ks[0] / 2, ks[0] / 2, ks[1] / 2, ks[1] / 2], mode: "reflect")
        return back(conv2d(x, kernel, groups: c))
    }

    /// `max - img` (`F.invert`).
    public static func invert(_ img: Tensor) -> Tensor {
        if img.rank < 3 { fail("Input image tensor should have at least 3 dimensions, but found \(img.rank)") }
        _ = checkChannels(img, [1, 3], "invert")
        return Tensor.fullLike(img, maxValue(img.dtype)) - img   // keeps an integer image's dtype, as torch's int scalar
    }
    /// Inverts the pixels at or above `threshold` (`F.solarize`).
    public static func solarize(_ img: Tensor, _ threshold: Double) -> Tensor {
        if threshold > maxValue(img.dtype) { fail("Threshold should be less than bound of img.") }
        return Descent.where(img .>= threshold, invert(img), img)
    }

    /// Sets the (h, w) window at (i, j) to `v` (broadcast over it) (`F.erase`).
    public static func erase(_ img: Tensor, _ i: Int, _ j: Int, _ h: Int, _ w: Int, _ v: Tensor, inplace: Bool = false) -> Tensor {
        let out = inplace ? img : img.clone()
        out[.ellipsis, i..<(i + h), j..<(j + w)] = v.to(dtype: img.dtype).expand(Array(img.shape.dropLast(2)) + [h, w])
        return out
    }

    /// Converts between image dtypes with their value ranges (uint8 [0, 255] ↔ float [0, 1]) (`F.convert_image_dtype`).
    public static func convertImageDtype(_ img: Tensor, _ dtype: DType = .float32) -> Tensor {
        if img.dtype == dtype { return img }
        if img.dtype.isFloatingPoint {
            if dtype.isFloatingPoint { return img.to(dtype: dtype) }
            if (img.dtype == .float32 && (dtype == .int32 || dtype == .int64)) || (img.dtype == .float64 && dtype == .int64) {
                fail("The cast from \(img.dtype) to \(dtype) cannot be performed safely.")
            }
            return (img * (maxValue(dtype) + 1 - 1e-3)).to(dtype: dtype)
        }
        let inMax = maxValue(img.dtype)
        if dtype.isFloatingPoint { return img.to(dtype: dtype) / inMax }
        let outMax = maxValue(dtype)
        if inMax > outMax {
            let factor = Int(((inMax + 1) / (outMax + 1)).rounded(.down))
            return img.div(Double(factor), roundingMode: "floor").to(dtype: dtype)
        }
        return img.to(dtype: dtype) * Double(Int(((outMax + 1) / (inMax + 1)).rounded(.down)))
    }

    /// (x - mean) / std per channel (`F.normalize`).
    public static func normalize(_ img: Tensor, mean: [Double], std: [Double]) -> Tensor { Normalize(mean: mean, std: std)(img) }
}

/// A draw of `torch.empty(1).uniform_(a, b).item()`: one float32 uniform, as torchvision's get_params.
func uniformDraw(_ a: Double, _ b: Double) -> Double { Tensor.empty([1]).uniform_(a, b).item() }

/// Python's `round` (half to even) to an Int.
func pyRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

/// torchvision's `_setup_angle`: one value d means [-d, d].
func angleRange(_ d: [Double], _ name: String) -> [Double] {
    if d.count == 1 {
        if d[0] < 0 { fail("If \(name) is a single number, it must be positive.") }
        return [-d[0], d[0]]
    }
    if d.count != 2 && !(name == "shear" && d.count == 4) { fail("\(name) should be a sequence of length \(name == "shear" ? "2 or 4" : "2").") }
    return d
}

/// A fill value as the user would have written it: `0` for an integral value, else Python's float.
func pyNumber(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : formatPyFloat(v) }

/// `[a, b]` as Python prints a list of floats.
func pyFloatList(_ v: [Double]) -> String { "[" + v.map(formatPyFloat).joined(separator: ", ") + "]" }

/// Resizes each image (torchvision's `Resize`): one size sets the shorter edge, (h, w) both;
/// antialiased bilinear by default.
public struct Resize: Transform, CustomStringConvertible {
    public let size: [Int]
    public let interpolation: InterpolationMode
    public let maxSize: Int?
    public let antialias: Bool
    public init(_ size: Int, interpolation: InterpolationMode = .bilinear, maxSize: Int? = nil, antialias: Bool = true) {
        self.size = [size]; self.interpolation = interpolation; self.maxSize = maxSize; self.antialias = antialias
    }
    public init(_ size: (Int, Int), interpolation: InterpolationMode = .bilinear, maxSize: Int? = nil, antialias: Bool = true) {
        self.size = [size.0, size.1]; self.interpolation = interpolation; self.maxSize = maxSize; self.antialias = antialias
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        TF.resize(x, size, interpolation: interpolation, maxSize: maxSize, antialias: antialias)
    }
    public var description: String {
        let s = size.count == 1 ? "\(size[0])" : "(\(size[0]), \(size[1]))"
        return "Resize(size=\(s), interpolation=\(interpolation.rawValue), max_size=\(maxSize.map(String.init) ?? "None"), antialias=\(antialias ? "True" : "False"))"
    }
}

/// Pads each image's borders (torchvision's `Pad`; see `TF.pad`).
public struct Pad: Transform, CustomStringConvertible {
    public let padding: [Int]
    public let fill: Double
    public let paddingMode: String
    public init(_ padding: Int, fill: Double = 0, paddingMode: String = "constant") { self.init([padding], fill: fill, paddingMode: paddingMode) }
    public init(_ padding: [Int], fill: Double = 0, paddingMode: String = "constant") {
        if ![1, 2, 4].contains(padding.count) { fail("Padding must be an int or a 1, 2, or 4 element tuple, not a \(padding.count) element tuple") }
        if !["constant", "edge", "reflect", "symmetric"].contains(paddingMode) { fail("Padding mode should be either constant, edge, reflect or symmetric") }
        self.padding = padding; self.fill = fill; self.paddingMode = paddingMode
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { TF.pad(x, padding, fill: fill, paddingMode: paddingMode) }
    public var description: String {
        let p = padding.count == 1 ? "\(padding[0])" : "[" + padding.map(String.init).joined(separator: ", ") + "]"
        return "Pad(padding=\(p), fill=\(pyNumber(fill)), padding_mode=\(paddingMode))"
    }
}

/// Rotates each image by an angle drawn uniformly from `degrees` (one value d: [-d, d])
/// (torchvision's `RandomRotation`: `torch.empty(1).uniform_` per image, nearest by default).
public struct RandomRotation: Transform, CustomStringConvertible {
    public let degrees: [Double]
    public let interpolation: InterpolationMode
    public let expand: Bool
    public let center: [Int]?
    public let fill: [Double]
    public init(_ degrees: Double, interpolation: InterpolationMode = .nearest, expand: Bool = false, center: [Int]? = nil, fill: [Double] = [0]) {
        self.init([degrees], interpolation: interpolation, expand: expand, center: center, fill: fill)
    }
    public init(_ degrees: [Double], interpolation: InterpolationMode = .nearest, expand: Bool = false, center: [Int]? = nil, fill: [Double] = [0]) {
        self.degrees = angleRange(degrees, "degrees")
        if let c = center, c.count != 2 { fail("center should be a sequence of length 2.") }
        self.interpolation = interpolation; self.expand = expand; self.center = center; self.fill = fill
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let c = TF.getDimensions(x).0
        let f = fill.count == 1 ? Array(repeating: fill[0], count: c) : fill
        let angle = uniformDraw(degrees[0], degrees[1])
        return TF.rotate(x, angle, interpolation: interpolation, expand: expand, center: center, fill: f)
    }
    public var description: String {
        "RandomRotation(degrees=\(pyFloatList(degrees)), interpolation=\(interpolation.rawValue), expand=\(expand ? "True" : "False")"
            + (center.map { ", center=[\($0[0]), \($0[1])]" } ?? "")
            + ", fill=\(fill.count == 1 ? pyNumber(fill[0]) : pyFloatList(fill)))"
    }
}

/// Random rotation, translation (fractions of width and height), scale and shear per image
/// (torchvision's `RandomAffine`, drawing angle, tx, ty, scale, shear x, shear y in that order).
public struct RandomAffine: Transform, CustomStringConvertible {
    public let degrees: [Double]
    public let translate: [Double]?
    public let scale: [Double]?
    public let shear: [Double]?
    public let interpolation: InterpolationMode
    public let fill: [Double]
    public let center: [Int]?
    public init(degrees: Double, translate: [Double]? = nil, scale: [Double]? = nil, shear: [Double]? = nil,
                interpolation: InterpolationMode = .nearest, fill: [Double] = [0], center: [Int]? = nil) {
        self.init(degrees: [degrees], translate: translate, scale: scale, shear: shear, interpolation: interpolation, fill: fill, center: center)
    }
    /// `shear`: one value s (x shear in [-s, s]), two (x range), or four (x range, y range).
    public init(degrees: [Double], translate: [Double]? = nil, scale: [Double]? = nil, shear: [Double]? = nil,
                interpolation: InterpolationMode = .nearest, fill: [Double] = [0], center: [Int]? = nil) {
        self.degrees = angleRange(degrees, "degrees")
        if let t = translate {
            if t.count != 2 { fail("translate should be a sequence of length 2.") }
            if t.contains(where: { !(0...1).contains($0) }) { fail("translation values should be between 0 and 1") }
        }
        if let s = scale {
            if s.count != 2 { fail("scale should be a sequence of length 2.") }
            if s.contains(where: { $0 <= 0 }) { fail("scale values should be positive") }
        }
        self.translate = translate; self.scale = scale; self.shear = shear.map { angleRange($0, "shear") }
        self.interpolation = interpolation; self.fill = fill; self.center = center
    }
    /// (angle, (tx, ty), scale, (shear x, shear y)) drawn as torchvision's `get_params` for an image of `width` × `height`.
    public func getParams(width: Int, height: Int) -> (Double, (Int, Int), Double, (Double, Double)) {
        let angle = uniformDraw(degrees[0], degrees[1])
        var t = (0, 0)
        if let tr = translate {
            let mx = tr[0] * Double(width), my = tr[1] * Double(height)
            let tx = pyRound(uniformDraw(-mx, mx)), ty = pyRound(uniformDraw(-my, my))
            t = (tx, ty)
        }
        let s = scale.map { uniformDraw($0[0], $0[1]) } ?? 1
        var sh = (0.0, 0.0)
        if let r = shear {
            sh.0 = uniformDraw(r[0], r[1])
            if r.count == 4 { sh.1 = uniformDraw(r[2], r[3]) }
        }
        return (angle, t, s, sh)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (c, h, w) = TF.getDimensions(x)
        let f = fill.count == 1 ? Array(repeating: fill[0], count: c) : fill
        let (angle, t, s, sh) = getParams(width: w, height: h)
        return TF.affine(x, angle: angle, translate: [t.0, t.1], scale: s, shear: [sh.0, sh.1], interpolation: interpolation, fill: f, center: center)
    }
    public var description: String {
        var s = "RandomAffine(degrees=\(pyFloatList(degrees))"
        func tuple(_ v: [Double]) -> String { "(" + v.map(formatPyFloat).joined(separator: ", ") + ")" }
        if let t = translate { s += ", translate=\(tuple(t))" }
        if let sc = scale { s += ", scale=\(tuple(sc))" }
        if let sh = shear { s += ", shear=\(pyFloatList(sh))" }
        if interpolation != .nearest { s += ", interpolation=\(interpolation.rawValue)" }
        if fill != [0] { s += ", fill=\(pyFloatList(fill))" }
        if let c = center { s += ", center=[\(c[0]), \(c[1])]" }
        return s + ")"
    }
}

/// Random brightness, contrast, saturation and hue changes in a random order (torchvision's
/// `ColorJitter`: `torch.randperm(4)`, then one uniform per factor that is set).
public struct ColorJitter: Transform, CustomStringConvertible {
    public let brightness: [Double]?, contrast: [Double]?, saturation: [Double]?, hue: [Double]?
    /// A value v means [max(0, 1 - v), 1 + v] (hue: [-v, v]); give `...Range` for explicit ranges.
    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) {
        func around(_ v: Double, _ name: String, center: Double = 1, clip: Bool = true) -> [Double] {
            if v < 0 { fail("If \(name) is a single number, it must be non negative.") }
            return [clip ? Swift.max(center - v, 0) : center - v, center + v]
        }
        self.init(brightnessRange: around(brightness, "brightness"), contrastRange: around(contrast, "contrast"),
                  saturationRange: around(saturation, "saturation"), hueRange: around(hue, "hue", center: 0, clip: false))
    }
    public init(brightnessRange: [Double]?, contrastRange: [Double]? = nil, saturationRange: [Double]? = nil, hueRange: [Double]? = nil) {
        func check(_ v: [Double]?, _ name: String, center: Double = 1, bound: ClosedRange<Double> = 0...Double.infinity) -> [Double]? {
            guard let v else { return nil }
            if v.count != 2 { fail("\(name) should be a single number or a list/tuple with length 2.") }
            if !(bound.contains(v[0]) && v[0] <= v[1] && bound.contains(v[1])) {
                fail("\(name) values should be between (\(formatPyFloat(bound.lowerBound)), \(bound.upperBound == .infinity ? "inf" : formatPyFloat(bound.upperBound))), but got \(pyFloatList(v)).")
            }
            return v[0] == center && v[1] == center ? nil : v
        }
        brightness = check(brightnessRange, "brightness"); contrast = check(contrastRange, "contrast")
        saturation = check(saturationRange, "saturation"); hue = check(hueRange, "hue", center: 0, bound: -0.5...0.5)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let order = Tensor.randperm(4).toArray(Int64.self)
        let b = brightness.map { uniformDraw($0[0], $0[1]) }, c = contrast.map { uniformDraw($0[0], $0[1]) }
        let s = saturation.map { uniformDraw($0[0], $0[1]) }, h = hue.map { uniformDraw($0[0], $0[1]) }
        var img = x
        for k in order {
            switch k {
            case 0: if let b { img = TF.adjustBrightness(img, b) }
            case 1: if let c { img = TF.adjustContrast(img, c) }
            case 2: if let s { img = TF.adjustSaturation(img, s) }
            default: if let h { img = TF.adjustHue(img, h) }
            }
        }
        return img
    }
    public var description: String {
        func r(_ v: [Double]?) -> String { v.map { "(\(formatPyFloat($0[0])), \(formatPyFloat($0[1])))" } ?? "None" }
        return "ColorJitter(brightness=\(r(brightness)), contrast=\(r(contrast)), saturation=\(r(saturation)), hue=\(r(hue)))"
    }
}

/// torchvision's area-and-aspect-ratio draw (`RandomResizedCrop.get_params`, `RandomErasing`):
/// ten tries of (area fraction in `scale`, log-uniform ratio in `ratio`), rounded to pixels.
func randomAreaAndRatio(area: Int, scale: [Double], ratio: [Double]) -> (Double, Double) {
    let logRatio = Tensor(ratio.map { Float($0) }).log().toArray(Float.self)
    let target = Double(area) * uniformDraw(scale[0], scale[1])
    let aspect = Tensor.empty([1]).uniform_(Double(logRatio[0]), Double(logRatio[1])).exp().item()
    return (target, aspect)
}

/// Crops a random area and aspect ratio of each image and resizes it to `size` (torchvision's `RandomResizedCrop`).
public struct RandomResizedCrop: Transform, CustomStringConvertible {
    public let size: (Int, Int)
    public let scale: [Double], ratio: [Double]
    public let interpolation: InterpolationMode
    public let antialias: Bool
    public init(_ size: Int, scale: [Double] = [0.08, 1], ratio: [Double] = [3.0 / 4, 4.0 / 3], interpolation: InterpolationMode = .bilinear,
                antialias: Bool = true) {
        self.init((size, size), scale: scale, ratio: ratio, interpolation: interpolation, antialias: antialias)
    }
    public init(_ size: (Int, Int), scale: [Double] = [0.08, 1], ratio: [Double] = [3.0 / 4, 4.0 / 3], interpolation: InterpolationMode = .bilinear,
                antialias: Bool = true) {
        self.size = size; self.scale = scale; self.ratio = ratio; self.interpolation = interpolation; self.antialias = antialias
    }
    /// (top, left, height, width) of the crop, drawn as torchvision's `get_params`.
    public func getParams(height: Int, width: Int) -> (Int, Int, Int, Int) {
        for _ in 0..<10 {
            let (target, aspect) = randomAreaAndRatio(area: height * width, scale: scale, ratio: ratio)
            let w = pyRound((target * aspect).squareRoot()), h = pyRound((target / aspect).squareRoot())
            if 0 < w && w <= width && 0 < h && h <= height {
                let i = Int(Tensor.randint(0, height - h + 1, [1]).item())
                let j = Int(Tensor.randint(0, width - w + 1, [1]).item())
                return (i, j, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inRatio < ratio.min()! { h = pyRound(Double(w) / ratio.min()!) } else if inRatio > ratio.max()! { w = pyRound(Double(h) * ratio.max()!) }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (_, h, w) = TF.getDimensions(x)
        let (i, j, ch, cw) = getParams(height: h, width: w)
        return TF.resizedCrop(x, i, j, ch, cw, [size.0, size.1], interpolation: interpolation, antialias: antialias)
    }
    public var description: String {
        func t(_ v: [Double]) -> String { "(" + v.map { formatPyFloat(($0 * 10000).rounded() / 10000) }.joined(separator: ", ") + ")" }
        return "RandomResizedCrop(size=(\(size.0), \(size.1)), scale=\(t(scale)), ratio=\(t(ratio)), interpolation=\(interpolation.rawValue), antialias=\(antialias ? "True" : "False"))"
    }
}

/// Blurs each image with a Gaussian whose sigma is drawn uniformly from `sigma` (torchvision's `GaussianBlur`).
public struct GaussianBlur: Transform, CustomStringConvertible {
    public let kernelSize: (Int, Int)
    public let sigma: (Double, Double)
    public init(kernelSize: Int, sigma: (Double, Double) = (0.1, 2)) { self.init(kernelSize: (kernelSize, kernelSize), sigma: sigma) }
    public init(kernelSize: (Int, Int), sigma: (Double, Double) = (0.1, 2)) {
        if kernelSize.0 <= 0 || kernelSize.0 % 2 == 0 || kernelSize.1 <= 0 || kernelSize.1 % 2 == 0 {
            fail("Kernel size value should be an odd and positive number.")
        }
        if !(0 < sigma.0 && sigma.0 <= sigma.1) { fail("sigma values should be positive and of the form (min, max).") }
        self.kernelSize = kernelSize; self.sigma = sigma
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let s = uniformDraw(sigma.0, sigma.1)
        return TF.gaussianBlur(x, kernelSize: [kernelSize.0, kernelSize.1], sigma: [s, s])
    }
    public var description: String {
        "GaussianBlur(kernel_size=(\(kernelSize.0), \(kernelSize.1)), sigma=(\(formatPyFloat(sigma.0)), \(formatPyFloat(sigma.1))))"
    }
}

/// With probability `p`, sets a random rectangle of each (C, H, W) image to `value` (one per
/// channel, or `nil` for standard-normal noise) (torchvision's `RandomErasing`).
public struct RandomErasing: Transform, CustomStringConvertible {
    public let p: Double
    public let scale: [Double], ratio: [Double]
    public let value: [Double]?
    public init(p: Double = 0.5, scale: [Double] = [0.02, 0.33], ratio: [Double] = [0.3, 3.3], value: [Double]? = [0]) {
        if scale[0] < 0 || scale[1] > 1 { fail("Scale should be between 0 and 1") }
        if p < 0 || p > 1 { fail("Random erasing probability should be between 0 and 1") }
        self.p = p; self.scale = scale; self.ratio = ratio; self.value = value
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if !(Tensor.rand(1).item() < p) { return x }
        if x.rank < 3 { fail("RandomErasing: expected a (C, H, W) image, got \(shapeString(x.shape))") }
        let c = x.shape[x.rank - 3], ih = x.shape[x.rank - 2], iw = x.shape[x.rank - 1]
        if let v = value, !(v.count == 1 || v.count == c) {
            fail("If value is a sequence, it should have either a single value or \(c) (number of input channels)")
        }
        for _ in 0..<10 {
            let (area, aspect) = randomAreaAndRatio(area: ih * iw, scale: scale, ratio: ratio)
            let h = pyRound((area * aspect).squareRoot()), w = pyRound((area / aspect).squareRoot())
            if !(h < ih && w < iw) { continue }
            let v = value.map { Tensor($0).reshape(-1, 1, 1) } ?? Tensor.empty([c, h, w]).normal_()
            let i = Int(Tensor.randint(0, ih - h + 1, [1]).item())
            let j = Int(Tensor.randint(0, iw - w + 1, [1]).item())
            return TF.erase(x, i, j, h, w, v)
        }
        return x
    }
    public var description: String {
        let v = value.map { $0.count == 1 ? pyNumber($0[0]) : pyFloatList($0) } ?? "random"
        func t(_ a: [Double]) -> String { "(" + a.map(formatPyFloat).joined(separator: ", ") + ")" }
        return "RandomErasing(p=\(formatPyFloat(p)), scale=\(t(scale)), ratio=\(t(ratio)), value=\(v), inplace=False)"
    }
}

/// Applies `transforms` in order with probability `p` (torchvision's `RandomApply`, one `torch.rand(1)`).
public struct RandomApply: Transform {
    public let transforms: [Transform]
    public let p: Double
    public init(_ transforms: [Transform], p: Double = 0.5) { self.transforms = transforms; self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if p < Tensor.rand(1).item() { return x }
        return transforms.reduce(x) { $1($0) }
    }
}

/// Converts each image to grey (torchvision's `Grayscale`).
public struct Grayscale: Transform, CustomStringConvertible {
    public let numOutputChannels: Int
    public init(numOutputChannels: Int = 1) { self.numOutputChannels = numOutputChannels }
    public func callAsFunction(_ x: Tensor) -> Tensor { TF.rgbToGrayscale(x, numOutputChannels: numOutputChannels) }
    public var description: String { "Grayscale(num_output_channels=\(numOutputChannels))" }
}

/// Converts each image to grey with probability `p`, keeping its channel count (torchvision's `RandomGrayscale`).
public struct RandomGrayscale: Transform, CustomStringConvertible {
    public let p: Double
    public init(p: Double = 0.1) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let c = TF.getDimensions(x).0
        return Tensor.rand(1).item() < p ? TF.rgbToGrayscale(x, numOutputChannels: c) : x
    }
    public var description: String { "RandomGrayscale(p=\(formatPyFloat(p)))" }
}

/// Inverts each image with probability `p` (torchvision's `RandomInvert`).
public struct RandomInvert: Transform, CustomStringConvertible {
    public let p: Double
    public init(p: Double = 0.5) { self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.rand(1).item() < p ? TF.invert(x) : x }
    public var description: String { "RandomInvert(p=\(formatPyFloat(p)))" }
}

/// Solarizes each image above `threshold` with probability `p` (torchvision's `RandomSolarize`).
public struct RandomSolarize: Transform, CustomStringConvertible {
    public let threshold: Double, p: Double
    public init(threshold: Double, p: Double = 0.5) { self.threshold = threshold; self.p = p }
    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.rand(1).item() < p ? TF.solarize(x, threshold) : x }
    public var description: String { "RandomSolarize(threshold=\(formatPyFloat(threshold)),p=\(formatPyFloat(p)))" }
}

/// Converts images to `dtype`, rescaling the value range (torchvision's `ConvertImageDtype`).
public struct ConvertImageDtype: Transform {
    public let dtype: DType
    public init(_ dtype: DType) { self.dtype = dtype }
    public func callAsFunction(_ x: Tensor) -> Tensor { TF.convertImageDtype(x, dtype) }
}
