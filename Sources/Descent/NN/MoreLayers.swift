import Foundation

// 1-D pooling, adaptive max pooling, instance norm, nearest-neighbour upsampling and padding
// layers, composed of the 2-D kernels and public ops as PyTorch composes them (its max_pool1d,
// avg_pool1d and adaptive_avg_pool1d run the 2-D kernels on an unsqueezed input; instance_norm is
// batch_norm over a (1, N·C, ...) view), with PyTorch's names, defaults and reprs.

/// Adds a unit height to an (N, C, L) or (C, L) input, runs `body` on it, and removes it again.
func as2d(_ x: Tensor, _ name: String, _ body: (Tensor) -> Tensor) -> Tensor {
    if x.rank != 2 && x.rank != 3 { fail("\(name): Expected 2D or 3D (batch mode) tensor for input, but got: \(shapeString(x.shape))") }
    return body(x.unsqueeze(-2)).squeeze(dim: -2)
}

/// PyTorch's `F.max_pool1d` over the last dim of an (N, C, L) or (C, L) input.
public func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false) -> Tensor {
    maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode,
              returnIndices: true).0
}

/// PyTorch's `F.avg_pool1d` over the last dim of an (N, C, L) or (C, L) input.
public func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                      countIncludePad: Bool = true) -> Tensor {
    as2d(input, "avg_pool1d") {
        avgPool2d($0, kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize), padding: (0, padding),
                  ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// PyTorch's `F.adaptive_avg_pool1d`: `outputSize` averages over windows that cover the last dim.
public func adaptiveAvgPool1d(_ input: Tensor, _ outputSize: Int) -> Tensor {
    as2d(input, "adaptive_avg_pool1d") { adaptiveAvgPool2d($0, (1, outputSize)) }
}

/// PyTorch's `F.adaptive_max_pool2d`: the maximum over windows [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉) (and the
/// same across W) of an (N, C, H, W) or (C, H, W) input; nil keeps that dim's size. Where the sizes
/// divide evenly this is max pooling with kernel = stride = H/oh, W/ow (the gradient goes to the first
/// maximum, as PyTorch's); otherwise each window's `amax`.
public func adaptiveMaxPool2d(_ x: Tensor, _ outputSize: (Int?, Int?)) -> Tensor {
    if x.rank != 3 && x.rank != 4 { fail("adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: \(shapeString(x.shape))") }
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    let oh = outputSize.0 ?? h, ow = outputSize.1 ?? w
    if oh <= 0 || ow <= 0 { fail("adaptive_max_pool2d(): Expected output size to be positive, but got \(oh)x\(ow)") }
    if h % oh == 0 && w % ow == 0 {
        return maxPool2d(x, kernelSize: (h / oh, w / ow), stride: (h / oh, w / ow))
    }
    func bounds(_ i: Int, _ n: Int, _ o: Int) -> (Int, Int) { (i * n / o, ((i + 1) * n + o - 1) / o) }
    var rows: [Tensor] = []
    for i in 0..<oh {
        let (h0, h1) = bounds(i, h, oh)
        var cells: [Tensor] = []
        for j in 0..<ow {
            let (w0, w1) = bounds(j, w, ow)
            cells.append(x.narrow(dim: -2, start: h0, length: h1 - h0).narrow(dim: -1, start: w0, length: w1 - w0).amax(dims: [-2, -1]))
        }
        rows.append(stack(cells, dim: -1))
    }
    return stack(rows, dim: -2)
}
/// `adaptiveMaxPool2d` with the same size for both dims (`1` for global max pooling).
public func adaptiveMaxPool2d(_ x: Tensor, _ outputSize: Int) -> Tensor { adaptiveMaxPool2d(x, (outputSize, outputSize)) }

/// PyTorch's `F.adaptive_max_pool1d` over the last dim of an (N, C, L) or (C, L) input.
public func adaptiveMaxPool1d(_ input: Tensor, _ outputSize: Int) -> Tensor {
    as2d(input, "adaptive_max_pool1d") { adaptiveMaxPool2d($0, (1, outputSize)) }
}

/// Max pooling over the last dim (PyTorch's `nn.MaxPool1d`); `stride` nil means `kernelSize`.
public final class MaxPool1d: Module {
    public let kernelSize: Int, stride: Int, padding: Int, dilation: Int
    public let ceilMode: Bool
    /// Whether a PyTorch program asked for the indices (`return_indices=True`): `let (y, indices) = pool(x)` gives them either way.
    public let returnIndices: Bool
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, returnIndices: Bool = false, ceilMode: Bool = false) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding; self.dilation = dilation
        self.ceilMode = ceilMode; self.returnIndices = returnIndices
        super.init()
    }
    /// The pooled output (`pool(x)`; not disfavoured as `Module`'s is, so that it wins over the
    /// `(output, indices)` form in Unpooling.swift where both fit).
    public override func callAsFunction(_ x: Tensor) -> Tensor { super.callAsFunction(x) }
    public override func forward(_ x: Tensor) -> Tensor {
        maxPool1d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    public override func extraRepr() -> String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), ceil_mode=\(ceilMode ? "True" : "False")"
    }
}

/// Average pooling over the last dim (PyTorch's `nn.AvgPool1d`); `stride` nil means `kernelSize`.
public final class AvgPool1d: Module {
    public let kernelSize: Int, stride: Int, padding: Int
    public let ceilMode: Bool, countIncludePad: Bool
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        avgPool1d(x, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    public override func extraRepr() -> String { "kernel_size=(\(kernelSize),), stride=(\(stride),), padding=(\(padding),)" }
}

/// Adaptive average pooling over the last dim (PyTorch's `nn.AdaptiveAvgPool1d`).
public final class AdaptiveAvgPool1d: Module {
    public let outputSize: Int
    public init(_ outputSize: Int) { self.outputSize = outputSize; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool1d(x, outputSize) }
    public override func extraRepr() -> String { "output_size=\(outputSize)" }
}

/// Adaptive max pooling over the last dim (PyTorch's `nn.AdaptiveMaxPool1d`).
public final class AdaptiveMaxPool1d: Module {
    public let outputSize: Int
    public init(_ outputSize: Int) { self.outputSize = outputSize; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveMaxPool1d(x, outputSize) }
    public override func extraRepr() -> String { "output_size=\(outputSize)" }
}

/// Adaptive max pooling over (H, W) (PyTorch's `nn.AdaptiveMaxPool2d`; `AdaptiveMaxPool2d(1)` is global max pooling).
public final class AdaptiveMaxPool2d: Module {
    let size: AdaptiveSize2d
    public var outputSize: (Int?, Int?) { size.value }
    public init(_ outputSize: Int) { size = AdaptiveSize2d(outputSize); super.init() }
    public init(_ outputSize: (Int?, Int?)) { size = AdaptiveSize2d(outputSize); super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveMaxPool2d(x, outputSize) }
    public override func extraRepr() -> String { "output_size=\(size.written)" }
}

/// PyTorch's `F.instance_norm`: each (sample, channel) plane of an (N, C, ...) input normalised by its
/// own mean and biased variance (`useInputStats`, the default) or by the running statistics, then scaled
/// and shifted per channel; computed, as PyTorch does, as batch norm over the (1, N·C, ...) view with the
/// running statistics repeated N times, which then become the mean of the N updated copies.
public func instanceNorm(_ input: Tensor, runningMean: Tensor? = nil, runningVar: Tensor? = nil, weight: Tensor? = nil,
                         bias: Tensor? = nil, useInputStats: Bool = true, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
    if input.rank < 3 { fail("instance_norm: expected an input with at least 3 dims (N, C, ...), got \(shapeString(input.shape))") }
    if !useInputStats && (runningMean == nil || runningVar == nil) {
        fail("Expected running_mean and running_var to be defined when use_input_stats is false")
    }
    if useInputStats && input.shape[2...].reduce(1, *) == 1 {
        fail("Expected more than 1 spatial element when training, got input size \(torchSize(input.shape))")
    }
    let n = input.shape[0], c = input.shape[1]
    let flat = input.contiguous().view([1, n * c] + Array(input.shape[2...]))
    let repeated = { (t: Tensor?) in t.map { $0.repeat(n) } }
    let rm = repeated(runningMean), rv = repeated(runningVar)
    let out = batchNorm(flat, runningMean: rm, runningVar: rv, weight: repeated(weight), bias: repeated(bias),
                        training: useInputStats, momentum: momentum, eps: eps)
    noGrad {
        if let r = runningMean, let copies = rm { _ = r.copy_(copies.view(n, c).mean(dim: 0)) }
        if let r = runningVar, let copies = rv { _ = r.copy_(copies.view(n, c).mean(dim: 0)) }
    }
    return out.view(input.shape)
}

/// Instance normalisation (PyTorch's `nn.InstanceNorm1d`/`2d`): affine off and no running statistics by
/// default; with `trackRunningStats` the buffers `running_mean`, `running_var` and `num_batches_tracked`
/// (which, as in PyTorch, instance norm never advances) and the running statistics used in eval mode.
open class InstanceNormBase: Module {
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double
    public let affine: Bool
    public let trackRunningStats: Bool
    public var weight: Parameter?
    public var bias: Parameter?
    /// Running mean (zeros at first), or nil without `trackRunningStats`.
    public let runningMean: Tensor?
    /// Running unbiased variance (ones at first), or nil without `trackRunningStats`.
    public let runningVar: Tensor?
    /// PyTorch's `num_batches_tracked` buffer (stays 0), or nil without `trackRunningStats`.
    public let numBatchesTracked: Tensor?
    let spatialDims: Int
    init(_ numFeatures: Int, eps: Double, momentum: Double, affine: Bool, trackRunningStats: Bool, bias: Bool, spatialDims: Int, device: Device) {
        self.numFeatures = numFeatures; self.eps = eps; self.momentum = momentum; self.affine = affine
        self.trackRunningStats = trackRunningStats
        self.spatialDims = spatialDims
        weight = affine ? Parameter(Tensor.ones([numFeatures], device: device)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numFeatures], device: device)) : nil
        runningMean = trackRunningStats ? Tensor.zeros([numFeatures], device: device) : nil
        runningVar = trackRunningStats ? Tensor.ones([numFeatures], device: device) : nil
        numBatchesTracked = trackRunningStats ? Tensor.zeros([], dtype: .int64, device: device) : nil
        super.init()
    }
    open override func forward(_ x: Tensor) -> Tensor {
        let batched = x.rank == spatialDims + 2
        if !batched && x.rank != spatialDims + 1 {
            fail("\(typeName): expected \(spatialDims + 1)D or \(spatialDims + 2)D input (got \(x.rank)D input)")
        }
        let xb = batched ? x : x.unsqueeze(0)
        if xb.shape[1] != numFeatures && affine {
            fail("expected input's size at dim=\(batched ? 1 : 0) to match num_features (\(numFeatures)), but got: \(xb.shape[1]).")
        }
        let y = instanceNorm(xb, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                             useInputStats: isTraining || !trackRunningStats, momentum: momentum, eps: eps)
        return batched ? y : y.squeeze(dim: 0)
    }
    public override func namedDirectBuffers() -> [(String, Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)].compactMap { name, t in
            t.map { (name, $0) }
        }
    }
    open override func extraRepr() -> String {
        func b(_ v: Bool) -> String { v ? "True" : "False" }
        return "\(numFeatures), eps=\(formatPyFloat(eps)), momentum=\(formatPyFloat(momentum)), affine=\(b(affine)), bias=\(b(bias != nil)), track_running_stats=\(b(trackRunningStats))"
    }
}
/// PyTorch's `nn.InstanceNorm1d` for (N, C, L) or (C, L) inputs.
public final class InstanceNorm1d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false, trackRunningStats: Bool = false,
                bias: Bool = true, device: Device = .cpu) {
        super.init(numFeatures, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, bias: bias, spatialDims: 1, device: device)
    }
}
/// PyTorch's `nn.InstanceNorm2d` for (N, C, H, W) or (C, H, W) inputs.
public final class InstanceNorm2d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false, trackRunningStats: Bool = false,
                bias: Bool = true, device: Device = .cpu) {
        super.init(numFeatures, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, bias: bias, spatialDims: 2, device: device)
    }
}

/// PyTorch's `F.interpolate` over the dims after (N, C): give `size` (one per spatial dim, or one for
/// all) or `scaleFactor`. Modes: `"nearest"` (source index ⌊dst · scale⌋ in float, PyTorch's legacy
/// nearest), `"nearest-exact"` (⌊(dst + ½) · scale⌋), `"linear"` (3-D input), `"bilinear"` and
/// `"bicubic"` (4-D; cubic a = -0.75 with clamped borders), `"trilinear"` (5-D) and `"area"`
/// (adaptive average pooling). Separable, innermost dim first, with PyTorch's source coordinates
/// (`alignCorners` false: scale · (dst + ½) - ½; true: the corners meet). `antialias` (bilinear and
/// bicubic) widens the filter by the downscale factor as PIL and PyTorch's `_upsample_*_aa` do.
/// With `recomputeScaleFactor`, a scale factor only sets the output size, and the coordinates follow
/// input size / output size, as PyTorch's `recompute_scale_factor=True`.
public func interpolate(_ input: Tensor, size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: String = "nearest",
                        alignCorners: Bool? = nil, recomputeScaleFactor: Bool? = nil, antialias: Bool = false) -> Tensor {
    let spatial = input.rank - 2
    if recomputeScaleFactor == true, let sf = scaleFactor, size == nil, spatial >= 1 {
        let scales = sf.count == 1 ? Array(repeating: sf[0], count: spatial) : sf
        if scales.count == spatial {
            let sizes = (0..<spatial).map { Int((Double(input.shape[2 + $0]) * scales[$0]).rounded(.down)) }
            return interpolate(input, size: sizes, mode: mode, alignCorners: alignCorners, antialias: antialias)
        }
    }
    let needs = ["linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5]
    switch mode {
    case "nearest", "nearest-exact", "area":
        if alignCorners != nil { fail("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear") }
        if spatial < 1 || spatial > 3 { fail("Input Error: Only 3D, 4D and 5D input Tensors supported (got \(input.rank)D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got \(mode))") }
    case "linear", "bilinear", "bicubic", "trilinear":
        if input.rank != needs[mode]! { fail("Got \(input.rank)D input, but \(mode) mode needs \(needs[mode]!)D input") }
    default:
        fail("Input Error: Only 3D, 4D and 5D input Tensors supported (got \(input.rank)D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got \(mode))")
    }
    if antialias && !(mode == "bilinear" || mode == "bicubic") {
        fail("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor as input")
    }
    if (size == nil) == (scaleFactor == nil) { fail("either size or scale_factor should be defined") }
    func expand<T>(_ v: [T], _ what: String) -> [T] {
        if v.count == 1 { return Array(repeating: v[0], count: spatial) }
        if v.count != spatial { fail("Input and \(what) must have the same number of spatial dimensions, but got input with spatial dimensions of \(shapeString(Array(input.shape[2...]))) and output size of \(shapeString(v.map { _ in 0 })).") }
        return v
    }
    let scales = scaleFactor.map { expand($0, "scale_factor") }
    let outSizes = size.map { expand($0, "output size") }
        ?? (0..<spatial).map { Int((Double(input.shape[2 + $0]) * scales![$0]).rounded(.down)) }
    if mode == "area" {
        switch spatial {
        case 1: return adaptiveAvgPool1d(input, outSizes[0])
        case 2: return adaptiveAvgPool2d(input, (outSizes[0], outSizes[1]))
        default: return adaptiveAvgPool3d(input, outSizes)
        }
    }
    let corners = alignCorners ?? false
    var out = input
    // the last spatial dim first: PyTorch's separable kernels weight the innermost dim first
    for d in (0..<spatial).reversed() {
        let inSize = input.shape[2 + d], o = outSizes[d]
        // PyTorch's area_pixel_compute_scale, in float
        let interpolating = mode != "nearest" && mode != "nearest-exact"
        let scale: Float = interpolating && corners ? (o > 1 ? Float(inSize - 1) / Float(o - 1) : 0)
            : (scales.map { Float(1 / $0[d]) } ?? Float(inSize) / Float(o))
        if !interpolating {
            if o == inSize { continue }
            let idx = (0..<o).map { dst -> Int in
                if mode == "nearest-exact" { return Swift.min(Int(((Float(dst) + 0.5) * scale).rounded(.down)), inSize - 1) }
                return o == 2 * inSize ? dst >> 1 : Swift.min(Int((Float(dst) * scale).rounded(.down)), inSize - 1)
            }
            out = out.indexSelect(dim: 2 + d, Tensor(idx))
            continue
        }
        if antialias && o == inSize { continue }
        let taps = antialias ? antialiasTaps(inSize: inSize, outSize: o, scale: scale, cubic: mode == "bicubic")
            : interpolationTaps(inSize: inSize, outSize: o, scale: scale, alignCorners: corners, cubic: mode == "bicubic")
        var wshape = Array(repeating: 1, count: input.rank); wshape[2 + d] = o
        var sum: Tensor? = nil
        for k in taps.index.indices {
            let w = Tensor(flat: taps.weight[k], shape: wshape).to(dtype: out.dtype).to(out.device)
            let term = out.indexSelect(dim: 2 + d, Tensor(taps.index[k])) * w
            sum = sum.map { $0 + term } ?? term
        }
        out = sum!
    }
    return out
}

/// The cubic convolution kernel (Keys) with parameter a, for |x| ≤ 1 and 1 < |x| < 2 (ATen's cubic_convolution1/2).
func cubicNear(_ x: Float, _ a: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
func cubicFar(_ x: Float, _ a: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }

/// Source indices and weights of each output position, tap by tap (`index[k][dst]`, `weight[k][dst]`).
typealias InterpolationTaps = (index: [[Int]], weight: [[Float]])

/// PyTorch's linear (2 taps) or cubic (4 taps, a = -0.75, indices clamped to the border) weights:
/// `area_pixel_compute_source_index`, `guard_index_and_lambda`, `get_cubic_upsample_coefficients`.
func interpolationTaps(inSize: Int, outSize o: Int, scale: Float, alignCorners corners: Bool, cubic: Bool) -> InterpolationTaps {
    var index = [[Int]](repeating: [], count: cubic ? 4 : 2), weight = [[Float]](repeating: [], count: cubic ? 4 : 2)
    for dst in 0..<o {
        var src = corners ? scale * Float(dst) : scale * (Float(dst) + 0.5) - 0.5
        if !cubic && src < 0 { src = 0 }
        let lo = Swift.min(Int(src.rounded(.down)), inSize - 1)
        let t = Swift.min(Swift.max(src - Float(lo), 0), 1)
        if cubic {
            let c = [cubicFar(t + 1, -0.75), cubicNear(t, -0.75), cubicNear(1 - t, -0.75), cubicFar(2 - t, -0.75)]
            for k in 0..<4 {
                index[k].append(Swift.max(Swift.min(lo - 1 + k, inSize - 1), 0)); weight[k].append(c[k])
            }
        } else {
            index[0].append(lo); index[1].append(lo < inSize - 1 ? lo + 1 : lo)
            weight[0].append(1 - t); weight[1].append(t)
        }
    }
    return (index, weight)
}

/// PyTorch's antialiased weights (`_compute_weights_aa`, after PIL): a triangle (bilinear) or
/// Keys cubic (a = -0.5) filter stretched by the downscale factor, normalised to sum 1; positions
/// with fewer taps than the widest get zero weights at a valid index.
func antialiasTaps(inSize: Int, outSize o: Int, scale: Float, cubic: Bool) -> InterpolationTaps {
    let interpSize = cubic ? 4.0 : 2.0
    let support = Float(scale >= 1 ? interpSize * 0.5 * Double(scale) : interpSize * 0.5)
    let maxTaps = Int(Double(support).rounded(.up)) * 2 + 1
    let invscale: Float = scale >= 1 ? Float(1 / Double(scale)) : 1
    func filter(_ v: Float) -> Float {
        let x = abs(v)
        if cubic { return x < 1 ? cubicNear(x, -0.5) : x < 2 ? cubicFar(x, -0.5) : 0 }
        return x < 1 ? 1 - x : 0
    }
    var index = [[Int]](repeating: [], count: maxTaps), weight = [[Float]](repeating: [], count: maxTaps)
    for i in 0..<o {
        let center = Float(Double(scale) * (Double(i) + 0.5))
        let xmin = Swift.max(Int(Double(center - support) + 0.5), 0)
        let xsize = Swift.min(Int(Double(center + support) + 0.5), inSize) - xmin
        var w = [Float](repeating: 0, count: maxTaps)
        var total: Float = 0
        for j in 0..<xsize {
            w[j] = filter(Float((Double(Float(j + xmin) - center) + 0.5) * Double(invscale)))
            total += w[j]
        }
        if total != 0 { for j in 0..<xsize { w[j] /= total } }
        for k in 0..<maxTaps {
            index[k].append(k < xsize ? xmin + k : xmin); weight[k].append(w[k])
        }
    }
    return (index, weight)
}

/// `interpolate` with one size or scale for every spatial dim.
public func interpolate(_ input: Tensor, size: Int? = nil, scaleFactor: Double? = nil, mode: String = "nearest",
                        alignCorners: Bool? = nil, recomputeScaleFactor: Bool? = nil, antialias: Bool = false) -> Tensor {
    interpolate(input, size: size.map { [$0] }, scaleFactor: scaleFactor.map { [$0] }, mode: mode, alignCorners: alignCorners,
                recomputeScaleFactor: recomputeScaleFactor, antialias: antialias)
}

/// Upsampling (PyTorch's `nn.Upsample`: the modes of `interpolate`).
public class Upsample: Module {
    public let size: [Int]?
    /// The scale factors: one for every spatial dim, or one per dim (`Upsample(scaleFactor: (2, 1.5))`).
    public let scaleFactors: [Double]?
    /// The scale factor when one serves every spatial dim.
    public var scaleFactor: Double? { scaleFactors?.count == 1 ? scaleFactors![0] : nil }
    public let mode: String
    public let alignCorners: Bool?
    let writtenSize: String?
    /// One output size for every spatial dim, or a scale factor.
    public init(size: Int? = nil, scaleFactor: Double? = nil, mode: String = "nearest", alignCorners: Bool? = nil) {
        self.size = size.map { [$0] }; scaleFactors = scaleFactor.map { [$0] }; self.mode = mode; self.alignCorners = alignCorners
        writtenSize = size.map(String.init)
        super.init()
    }
    /// A (height, width) scale factor.
    public init(scaleFactor: (Double, Double), mode: String = "nearest", alignCorners: Bool? = nil) {
        size = nil; scaleFactors = [scaleFactor.0, scaleFactor.1]; self.mode = mode; self.alignCorners = alignCorners
        writtenSize = nil
        super.init()
    }
    /// An (height, width) output size.
    public init(size: (Int, Int), mode: String = "nearest", alignCorners: Bool? = nil) {
        self.size = [size.0, size.1]; scaleFactors = nil; self.mode = mode; self.alignCorners = alignCorners
        writtenSize = pairRepr(size)
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        interpolate(x, size: size, scaleFactor: scaleFactors, mode: mode, alignCorners: alignCorners)
    }
    public override func extraRepr() -> String {
        let scale = scaleFactors.map { $0.count == 1 ? formatPyFloat($0[0]) : "(" + $0.map(formatPyFloat).joined(separator: ", ") + ")" } ?? "None"
        return (writtenSize.map { "size=\($0)" } ?? "scale_factor=\(scale)") + ", mode='\(mode)'"
    }
}

/// Bilinear upsampling with the corners aligned (PyTorch's `nn.UpsamplingBilinear2d`).
public final class UpsamplingBilinear2d: Upsample {
    public init(size: Int? = nil, scaleFactor: Double? = nil) { super.init(size: size, scaleFactor: scaleFactor, mode: "bilinear", alignCorners: true) }
    public init(size: (Int, Int)) { super.init(size: size, mode: "bilinear", alignCorners: true) }
}

/// Nearest-neighbour upsampling (PyTorch's `nn.UpsamplingNearest2d`).
public final class UpsamplingNearest2d: Upsample {
    public init(size: Int? = nil, scaleFactor: Double? = nil) { super.init(size: size, scaleFactor: scaleFactor, mode: "nearest") }
    public init(size: (Int, Int)) { super.init(size: size, mode: "nearest") }
}

/// A padding layer (PyTorch's `nn.ZeroPad2d`, `nn.ConstantPad1d/2d`, `nn.ReflectionPad1d/2d`,
/// `nn.ReplicationPad1d/2d`): `F.pad` with the layer's mode over the last dims.
open class PadBase: Module {
    public let padding: [Int]
    public let mode: String
    public let value: Double
    let written: String
    init(_ padding: [Int], written: String, mode: String, value: Double = 0) {
        self.padding = padding; self.mode = mode; self.value = value; self.written = written
        super.init()
    }
    /// Printed as the tuple of sizes (PyTorch's repr for every mode but constant).
    convenience init(_ padding: [Int], mode: String) { self.init(padding, written: padTuple(padding), mode: mode) }
    /// Printed as `padding=(...), value=v`.
    convenience init(_ padding: [Int], value: Double) {
        self.init(padding, written: "padding=\(padTuple(padding)), value=\(formatPyFloat(value))", mode: "constant", value: value)
    }
    open override func forward(_ x: Tensor) -> Tensor { pad(x, padding, mode: mode, value: value) }
    open override func extraRepr() -> String { written }
}
private func padTuple(_ p: [Int]) -> String { "(" + p.map(String.init).joined(separator: ", ") + ")" }
private func sides(_ p: Int, _ n: Int) -> [Int] { Array(repeating: p, count: n) }
private func sides(_ p: (Int, Int)) -> [Int] { [p.0, p.1] }
private func sides(_ p: (Int, Int, Int, Int)) -> [Int] { [p.0, p.1, p.2, p.3] }

/// Zero padding of the last two dims: one size for all four sides or (left, right, top, bottom).
public final class ZeroPad2d: PadBase {
    public init(_ padding: Int) { super.init(sides(padding, 4), written: padTuple(sides(padding, 4)), mode: "constant") }
    public init(_ padding: (Int, Int, Int, Int)) { super.init(sides(padding), written: padTuple(sides(padding)), mode: "constant") }
}
/// Constant padding of the last dim: one size for both sides or (left, right).
public final class ConstantPad1d: PadBase {
    public convenience init(_ padding: Int, value: Double) { self.init(sides(padding, 2), value: value) }
    public convenience init(_ padding: (Int, Int), value: Double) { self.init(sides(padding), value: value) }
}
/// Constant padding of the last two dims: one size for all sides or (left, right, top, bottom).
public final class ConstantPad2d: PadBase {
    public convenience init(_ padding: Int, value: Double) { self.init(sides(padding, 4), value: value) }
    public convenience init(_ padding: (Int, Int, Int, Int), value: Double) { self.init(sides(padding), value: value) }
}
/// Reflection padding of the last dim (the edge not repeated).
public final class ReflectionPad1d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 2), mode: "reflect") }
    public convenience init(_ padding: (Int, Int)) { self.init(sides(padding), mode: "reflect") }
}
/// Reflection padding of the last two dims.
public final class ReflectionPad2d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 4), mode: "reflect") }
    public convenience init(_ padding: (Int, Int, Int, Int)) { self.init(sides(padding), mode: "reflect") }
}
/// Replication padding of the last dim (the edge repeated).
public final class ReplicationPad1d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 2), mode: "replicate") }
    public convenience init(_ padding: (Int, Int)) { self.init(sides(padding), mode: "replicate") }
}
/// Replication padding of the last two dims.
public final class ReplicationPad2d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 4), mode: "replicate") }
    public convenience init(_ padding: (Int, Int, Int, Int)) { self.init(sides(padding), mode: "replicate") }
}

private func sides(_ p: (Int, Int, Int, Int, Int, Int)) -> [Int] { [p.0, p.1, p.2, p.3, p.4, p.5] }
/// Zero padding of the last dim: one size for both sides or (left, right).
public final class ZeroPad1d: PadBase {
    public init(_ padding: Int) { super.init(sides(padding, 2), written: padTuple(sides(padding, 2)), mode: "constant") }
    public init(_ padding: (Int, Int)) { super.init(sides(padding), written: padTuple(sides(padding)), mode: "constant") }
}
/// Zero padding of the last three dims: one size for all sides or (left, right, top, bottom, front, back).
public final class ZeroPad3d: PadBase {
    public init(_ padding: Int) { super.init(sides(padding, 6), written: padTuple(sides(padding, 6)), mode: "constant") }
    public init(_ padding: (Int, Int, Int, Int, Int, Int)) { super.init(sides(padding), written: padTuple(sides(padding)), mode: "constant") }
}
/// Constant padding of the last three dims.
public final class ConstantPad3d: PadBase {
    public convenience init(_ padding: Int, value: Double) { self.init(sides(padding, 6), value: value) }
    public convenience init(_ padding: (Int, Int, Int, Int, Int, Int), value: Double) { self.init(sides(padding), value: value) }
}
/// Reflection padding of the last three dims.
public final class ReflectionPad3d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 6), mode: "reflect") }
    public convenience init(_ padding: (Int, Int, Int, Int, Int, Int)) { self.init(sides(padding), mode: "reflect") }
}
/// Replication padding of the last three dims.
public final class ReplicationPad3d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 6), mode: "replicate") }
    public convenience init(_ padding: (Int, Int, Int, Int, Int, Int)) { self.init(sides(padding), mode: "replicate") }
}
/// Circular (wrap-around) padding of the last dim (PyTorch's `nn.CircularPad1d`).
public final class CircularPad1d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 2), mode: "circular") }
    public convenience init(_ padding: (Int, Int)) { self.init(sides(padding), mode: "circular") }
}
/// Circular padding of the last two dims (PyTorch's `nn.CircularPad2d`).
public final class CircularPad2d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 4), mode: "circular") }
    public convenience init(_ padding: (Int, Int, Int, Int)) { self.init(sides(padding), mode: "circular") }
}
/// Circular padding of the last three dims (PyTorch's `nn.CircularPad3d`).
public final class CircularPad3d: PadBase {
    public convenience init(_ padding: Int) { self.init(sides(padding, 6), mode: "circular") }
    public convenience init(_ padding: (Int, Int, Int, Int, Int, Int)) { self.init(sides(padding), mode: "circular") }
}
