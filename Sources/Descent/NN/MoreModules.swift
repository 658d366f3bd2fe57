import Foundation

// More of torch.nn: RMSNorm, sliding-window extraction (unfold / fold), the bilinear layer, 1-D
// transposed convolution and the margin-style losses, written with existing ops.

// MARK: - RMSNorm

/// x / √(mean(x²) + eps) over the last `normalizedShape.count` dims, times `weight` (PyTorch's
/// `F.rms_norm`; `eps` nil: the dtype's machine epsilon, as PyTorch).
public func rmsNorm(_ x: Tensor, _ normalizedShape: [Int], weight: Tensor? = nil, eps: Double? = nil) -> Tensor {
    let k = normalizedShape.count
    if x.rank < k || Array(x.shape.suffix(k)) != normalizedShape {
        fail("Given normalized_shape=\(shapeString(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shapeString(x.shape))")
    }
    // PyTorch's rms_norm: rsqrt(pow(x, 2).mean(dims, keepdim=True).add_(eps)), x * that, then * weight
    let e = eps ?? (x.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne))
    let dims = Array((x.rank - k)..<x.rank)
    let r = (x.pow(2).mean(dims: dims, keepDim: true) + e).rsqrt()
    let y = x * r
    return weight.map { y * $0 } ?? y
}

/// Root-mean-square layer normalisation (PyTorch's `nn.RMSNorm`): weight ones when `elementwiseAffine`.
public final class RMSNorm: Module {
    public let normalizedShape: [Int]
    /// nil: the input dtype's machine epsilon.
    public let eps: Double?
    public let elementwiseAffine: Bool
    /// The scale, shaped `normalizedShape`, or nil.
    public var weight: Parameter?

    public init(_ normalizedShape: [Int], eps: Double? = nil, elementwiseAffine: Bool = true, device: Device = .cpu) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, device: device)) : nil
        super.init()
    }
    public convenience init(_ normalizedShape: Int, eps: Double? = nil, elementwiseAffine: Bool = true, device: Device = .cpu) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor { rmsNorm(x, normalizedShape, weight: weight, eps: eps) }
    public override func extraRepr() -> String {
        let shape = "(" + normalizedShape.map(String.init).joined(separator: ", ") + (normalizedShape.count == 1 ? ",)" : ")")
        return "\(shape), eps=\(eps.map(formatPyFloat) ?? "None"), elementwise_affine=\(elementwiseAffine ? "True" : "False")"
    }
}

// MARK: - Unfold / Fold

/// The 2-D case of `slidingWindowIndex`, as tuples.
private func slidingIndex(_ size: (Int, Int), _ k: (Int, Int), _ d: (Int, Int), _ p: (Int, Int), _ s: (Int, Int)) -> (index: [Int64], padded: (Int, Int), blocks: (Int, Int)) {
    let r = slidingWindowIndex(size: [size.0, size.1], kernel: [k.0, k.1], dilation: [d.0, d.1], padding: [p.0, p.1], stride: [s.0, s.1])
    return (r.index, (r.padded[0], r.padded[1]), (r.blocks[0], r.blocks[1]))
}

/// The sliding kH × kW blocks of an (N, C, H, W) or (C, H, W) input as columns: (N, C·kH·kW, L)
/// (PyTorch's `F.unfold`, im2col).
public func unfold(_ input: Tensor, kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) -> Tensor {
    if input.rank != 3 && input.rank != 4 {
        fail("Input Error: Only 3D or 4D input Tensors are supported (got \(input.rank)D)")
    }
    let x = input.rank == 3 ? input.unsqueeze(0) : input
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (idx, padded, blocks) = slidingIndex((h, w), kernelSize, dilation, padding, stride)
    let xp = (padding == (0, 0) ? x : pad(x, [padding.1, padding.1, padding.0, padding.0])).reshape(n, c, padded.0 * padded.1)
    let index = Tensor(flat: idx, shape: [1, 1, idx.count]).to(input.device).expand([n, c, idx.count])
    let out = xp.gather(dim: 2, index: index).reshape(n, c * kernelSize.0 * kernelSize.1, blocks.0 * blocks.1)
    return input.rank == 3 ? out.squeeze(dim: 0) : out
}
/// `F.unfold` with square settings.
public func unfold(_ input: Tensor, kernelSize: Int, dilation: Int = 1, padding: Int = 0, stride: Int = 1) -> Tensor {
    unfold(input, kernelSize: (kernelSize, kernelSize), dilation: (dilation, dilation), padding: (padding, padding), stride: (stride, stride))
}
/// Sums columns (N, C·kH·kW, L) back into an (N, C, outputSize) image, adding where blocks overlap
/// (PyTorch's `F.fold`, col2im: the adjoint of `unfold`).
public func fold(_ input: Tensor, outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) -> Tensor {
    if input.rank != 2 && input.rank != 3 {
        fail("Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got \(input.rank)D)")
    }
    let x = input.rank == 2 ? input.unsqueeze(0) : input
    let kk = kernelSize.0 * kernelSize.1
    if x.shape[1] % kk != 0 {
        fail("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=\(x.shape[1]) and kernel_size=(\(kernelSize.0), \(kernelSize.1))")
    }
    let (idx, padded, blocks) = slidingIndex(outputSize, kernelSize, dilation, padding, stride)
    if x.shape[2] != blocks.0 * blocks.1 {
        fail("Given output_size=(\(outputSize.0), \(outputSize.1)), kernel_size=(\(kernelSize.0), \(kernelSize.1)), dilation=(\(dilation.0), \(dilation.1)), padding=(\(padding.0), \(padding.1)), stride=(\(stride.0), \(stride.1)), expected size of input's dimension 2 to match the calculated number of sliding blocks \(blocks.0) * \(blocks.1) = \(blocks.0 * blocks.1), but got input.size(2)=\(x.shape[2]).")
    }
    let n = x.shape[0], c = x.shape[1] / kk
    let index = Tensor(flat: idx, shape: [1, 1, idx.count]).to(input.device).expand([n, c, idx.count])
    let plane = Tensor.zeros([n, c, padded.0 * padded.1], dtype: x.dtype, device: x.device)
        .scatterAdd(dim: 2, index: index, src: x.reshape(n, c, idx.count))
        .reshape(n, c, padded.0, padded.1)
    let out = plane.narrow(dim: 2, start: padding.0, length: outputSize.0).narrow(dim: 3, start: padding.1, length: outputSize.1)
    return input.rank == 2 ? out.squeeze(dim: 0) : out
}
/// `F.fold` with square settings.
public func fold(_ input: Tensor, outputSize: (Int, Int), kernelSize: Int, dilation: Int = 1, padding: Int = 0, stride: Int = 1) -> Tensor {
    fold(input, outputSize: outputSize, kernelSize: (kernelSize, kernelSize), dilation: (dilation, dilation), padding: (padding, padding), stride: (stride, stride))
}

/// PyTorch's `nn.Unfold`: `F.unfold` as a module.
public final class Unfold: Module {
    public let kernelSize: (Int, Int), dilation: (Int, Int), padding: (Int, Int), stride: (Int, Int)
    private let repr: String
    public init(kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) {
        self.kernelSize = kernelSize; self.dilation = dilation; self.padding = padding; self.stride = stride
        repr = "kernel_size=\(pairRepr(kernelSize)), dilation=\(pairRepr(dilation)), padding=\(pairRepr(padding)), stride=\(pairRepr(stride))"
        super.init()
    }
    /// Square settings (printed as the numbers given, as PyTorch does).
    public init(kernelSize: Int, dilation: Int = 1, padding: Int = 0, stride: Int = 1) {
        self.kernelSize = (kernelSize, kernelSize); self.dilation = (dilation, dilation); self.padding = (padding, padding); self.stride = (stride, stride)
        repr = "kernel_size=\(kernelSize), dilation=\(dilation), padding=\(padding), stride=\(stride)"
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { unfold(x, kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride) }
    public override func extraRepr() -> String { repr }
}
/// PyTorch's `nn.Fold`: `F.fold` as a module.
public final class Fold: Module {
    public let outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int), padding: (Int, Int), stride: (Int, Int)
    private let repr: String
    public init(outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) {
        self.outputSize = outputSize; self.kernelSize = kernelSize; self.dilation = dilation; self.padding = padding; self.stride = stride
        repr = "output_size=\(pairRepr(outputSize)), kernel_size=\(pairRepr(kernelSize)), dilation=\(pairRepr(dilation)), padding=\(pairRepr(padding)), stride=\(pairRepr(stride))"
        super.init()
    }
    /// Square kernel settings (printed as the numbers given, as PyTorch does).
    public init(outputSize: (Int, Int), kernelSize: Int, dilation: Int = 1, padding: Int = 0, stride: Int = 1) {
        self.outputSize = outputSize; self.kernelSize = (kernelSize, kernelSize); self.dilation = (dilation, dilation)
        self.padding = (padding, padding); self.stride = (stride, stride)
        repr = "output_size=\(pairRepr(outputSize)), kernel_size=\(kernelSize), dilation=\(dilation), padding=\(padding), stride=\(stride)"
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { fold(x, outputSize: outputSize, kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride) }
    public override func extraRepr() -> String { repr }
}

// MARK: - Bilinear

/// y = x1ᵀ A x2 + b for each output feature (PyTorch's `F.bilinear`); weight (out, in1, in2).
public func bilinear(_ input1: Tensor, _ input2: Tensor, _ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
    if weight.rank != 3 { fail("bilinear(): weight must be three-dimensional, but got \(weight.rank)") }
    if input1.shape.last != weight.shape[1] || input2.shape.last != weight.shape[2] {
        fail("bilinear(): input1 size does not match weight size: got \(input1.shape.last ?? 0) but expected \(weight.shape[1])")
    }
    let lead = Array(input1.shape.dropLast())
    let a = input1.reshape(-1, weight.shape[1]), b = input2.reshape(-1, weight.shape[2])
    // (B, in1) @ (in1, out·in2) → (B, out, in2), then the dot with x2 over in2
    let w = weight.permute(1, 0, 2).reshape(weight.shape[1], weight.shape[0] * weight.shape[2])
    var y = (a.mm(w).reshape(a.shape[0], weight.shape[0], weight.shape[2]) * b.unsqueeze(1)).sum(dim: 2)
    if let bb = bias { y = y + bb }
    return y.reshape(lead + [weight.shape[0]])
}

/// PyTorch's `nn.Bilinear(in1_features, in2_features, out_features)`: weight and bias uniform in
/// ±1/√in1, drawn in that order.
public final class Bilinear: Module {
    public let in1Features: Int, in2Features: Int, outFeatures: Int
    /// Shaped (outFeatures, in1Features, in2Features).
    public var weight: Parameter
    public var bias: Parameter?
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true, device: Device = .cpu) {
        self.in1Features = in1Features; self.in2Features = in2Features; self.outFeatures = outFeatures
        weight = Parameter(Tensor.empty([outFeatures, in1Features, in2Features], device: device))
        self.bias = bias ? Parameter(Tensor.empty([outFeatures], device: device)) : nil
        super.init()
        let bound = 1 / Double(in1Features).squareRoot()
        uniform_(weight, -bound, bound)
        if let b = self.bias { uniform_(b, -bound, bound) }
    }
    public func callAsFunction(_ input1: Tensor, _ input2: Tensor) -> Tensor { bilinear(input1, input2, weight, bias) }
    public override func extraRepr() -> String {
        "in1_features=\(in1Features), in2_features=\(in2Features), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")"
    }
}

// MARK: - ConvTranspose1d

/// A 1-D transposed convolution of (N, C, L) or (C, L) input with weight (C, outC / groups, k)
/// (PyTorch's `F.conv_transpose1d`), run as the 2-D one over a height of 1.
public func convTranspose1d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1) -> Tensor {
    if input.rank != 2 && input.rank != 3 { fail("Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: \(shapeString(input.shape))") }
    let y = convTranspose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, stride: (1, stride), padding: (0, padding),
                            outputPadding: (0, outputPadding), groups: groups, dilation: (1, dilation))
    return y.squeeze(dim: -2)
}

/// A 1-D transposed convolution layer (PyTorch's `nn.ConvTranspose1d`): weight (inChannels,
/// outChannels / groups, kernelSize), initialised as PyTorch does.
public final class ConvTranspose1d: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int, outputPadding: Int, groups: Int, dilation: Int
    public var weight: Parameter
    public var bias: Parameter?
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                groups: Int = 1, bias: Bool = true, dilation: Int = 1, device: Device = .cpu) {
        checkConvChannels(inChannels, outChannels, groups)
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize; self.stride = stride
        self.padding = padding; self.outputPadding = outputPadding; self.groups = groups; self.dilation = dilation
        weight = Parameter(Tensor.empty([inChannels, outChannels / groups, kernelSize], device: device))
        self.bias = bias ? Parameter(Tensor.empty([outChannels], device: device)) : nil
        super.init()
        resetConvParameters(weight, self.bias)
    }
    public override func forward(_ x: Tensor) -> Tensor {
        convTranspose1d(x, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups, dilation: dilation)
    }
    public override func extraRepr() -> String {
        var s = "\(inChannels), \(outChannels), kernel_size=(\(kernelSize),), stride=(\(stride),)"
        if padding != 0 { s += ", padding=(\(padding),)" }
        if dilation != 1 { s += ", dilation=(\(dilation),)" }
        if outputPadding != 0 { s += ", output_padding=(\(outputPadding),)" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        return s
    }
}

// MARK: - Margin losses

/// x where y = 1, max(0, margin − x) where y = −1 (PyTorch's `F.hinge_embedding_loss`).
public func hingeEmbeddingLoss(_ input: Tensor, _ target: Tensor, margin: Double = 1, reduction: Reduction = .mean) -> Tensor {
    let zeros = Tensor.zerosLike(input)
    let marginPart = Descent.where(target .!= 1, (margin - input).clamp(min: 0), zeros)
    let selfPart = Descent.where(target .!= -1, input, zeros)
    return reduce(marginPart + selfPart, reduction)
}
/// log(1 + exp(−y·x)) (PyTorch's `F.soft_margin_loss`).
public func softMarginLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "soft_margin_loss")
    return fusedOp("SoftMarginLossBackward0", [input, target]) { reduce((-$0[0] * $0[1]).exp().log1p(), reduction) }
}
/// The mean over classes of −[y log σ(x) + (1 − y) log σ(−x)] (PyTorch's `F.multilabel_soft_margin_loss`).
public func multilabelSoftMarginLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    var loss = -(target * input.logSigmoid() + (1 - target) * (-input).logSigmoid())
    if let w = weight { loss = loss * w }
    let classDim = input.rank - 1
    loss = loss.sum(dim: classDim) / Double(input.shape[classDim])
    return reduce(loss, reduction)
}
/// The multi-class hinge loss Σᵢ≠ᵧ max(0, margin − x[y] + x[i])ᵖ / C (PyTorch's `F.multi_margin_loss`, p 1 or 2).
public func multiMarginLoss(_ input: Tensor, _ target: Tensor, p: Int = 1, margin: Double = 1, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    if p != 1 && p != 2 { fail("only p == 1 and p == 2 supported") }
    return fusedOp("MultiMarginLossBackward0", [input] + (weight.map { [$0] } ?? [])) { xs in
        multiMarginLossComposed(xs[0], target, p: p, margin: margin, weight: xs.count > 1 ? xs[1] : nil, reduction: reduction)
    }
}
private func multiMarginLossComposed(_ input: Tensor, _ target: Tensor, p: Int, margin: Double, weight: Tensor?, reduction: Reduction) -> Tensor {
    let x = input.rank == 1 ? input.unsqueeze(0) : input
    let t = target.reshape(-1, 1)
    let c = x.shape[1]
    let picked = x.gather(dim: 1, index: t)
    var z = (margin - picked + x).clamp(min: 0)
    if p == 2 { z = z * z }
    if let w = weight { z = z * w.gather(dim: 0, index: target.reshape(-1)).unsqueeze(1) }
    // the target's own column is left out
    z = z.scatter(dim: 1, index: t, value: 0)
    let loss = z.sum(dim: 1) / Double(c)
    return reduce(input.rank == 1 ? loss.squeeze(dim: 0) : loss, reduction)
}
/// The multi-label hinge loss: for each target class j (the row's indices up to the first −1) and each
/// non-target i, max(0, 1 − (x[j] − x[i])), summed and divided by C (PyTorch's `F.multilabel_margin_loss`).
public func multilabelMarginLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    fusedOp("MultilabelMarginLossBackward0", [input]) { multilabelMarginLossComposed($0[0], target, reduction: reduction) }
}
private func multilabelMarginLossComposed(_ input: Tensor, _ target: Tensor, reduction: Reduction) -> Tensor {
    let x = input.rank == 1 ? input.unsqueeze(0) : input
    let n = x.shape[0], c = x.shape[1]
    let tv = target.reshape(n, c).to(.cpu).toArray(Int64.self)
    var isTarget = [Double](repeating: 0, count: n * c), counts = [Double](repeating: 0, count: n * c)
    for r in 0..<n {
        for k in 0..<c {
            let j = Int(tv[r * c + k])
            if j < 0 { break }
            if j >= c { fail("multilabel_margin_loss: target index \(j) out of range for \(c) classes") }
            isTarget[r * c + j] = 1
            counts[r * c + j] += 1   // a class listed twice counts twice, as PyTorch's loop
        }
    }
    let tgt = Tensor(flat: counts, shape: [n, c]).to(dtype: x.dtype).to(x.device)
    let non = 1 - Tensor(flat: isTarget, shape: [n, c]).to(dtype: x.dtype).to(x.device)
    // pairs (j, i): relu(1 − x[j] + x[i]) for target j, non-target i
    let pairs = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp(min: 0) * tgt.unsqueeze(2) * non.unsqueeze(1)
    let loss = pairs.sum(dims: [1, 2]) / Double(c)
    return reduce(input.rank == 1 ? loss.squeeze(dim: 0) : loss, reduction)
}

/// `hingeEmbeddingLoss` as a module (PyTorch's `nn.HingeEmbeddingLoss`).
public final class HingeEmbeddingLoss: Module {
    public let margin: Double, reduction: Reduction
    public init(margin: Double = 1, reduction: Reduction = .mean) { self.margin = margin; self.reduction = reduction; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { hingeEmbeddingLoss(input, target, margin: margin, reduction: reduction) }
}
/// `softMarginLoss` as a module (PyTorch's `nn.SoftMarginLoss`).
public final class SoftMarginLoss: Module {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { softMarginLoss(input, target, reduction: reduction) }
}
/// `multilabelSoftMarginLoss` as a module (PyTorch's `nn.MultiLabelSoftMarginLoss`).
public final class MultiLabelSoftMarginLoss: Module {
    public let reduction: Reduction
    /// The per-class weight, a buffer as in PyTorch.
    public var weight: Tensor? { buffer("weight") }
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.reduction = reduction; super.init()
        if let w = weight { registerBuffer("weight", w) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { multilabelSoftMarginLoss(input, target, weight: weight, reduction: reduction) }
}
/// `multiMarginLoss` as a module (PyTorch's `nn.MultiMarginLoss`).
public final class MultiMarginLoss: Module {
    public let p: Int, margin: Double, reduction: Reduction
    /// The per-class weight, a buffer as in PyTorch.
    public var weight: Tensor? { buffer("weight") }
    public init(p: Int = 1, margin: Double = 1, weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.p = p; self.margin = margin; self.reduction = reduction; super.init()
        if let w = weight { registerBuffer("weight", w) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { multiMarginLoss(input, target, p: p, margin: margin, weight: weight, reduction: reduction) }
}
/// `multilabelMarginLoss` as a module (PyTorch's `nn.MultiLabelMarginLoss`).
public final class MultiLabelMarginLoss: Module {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { multilabelMarginLoss(input, target, reduction: reduction) }
}

// MARK: - Spatial transformers: affine_grid / grid_sample

/// The sampling grid (N, H, W, 2) of x, y in [−1, 1] that the affine matrices `theta` (N, 2, 3) map the
/// output pixels to (PyTorch's `F.affine_grid` for 4-D sizes).
public func affineGrid(_ theta: Tensor, size: [Int], alignCorners: Bool = false) -> Tensor {
    if size.count != 4 { fail("affine_grid only supports 4D sizes, for 2D affine transforms, got size \(shapeString(size)).") }
    if theta.rank != 3 || theta.shape[1] != 2 || theta.shape[2] != 3 || theta.shape[0] != size[0] {
        fail("Expected a batch of 2D affine matrices of shape Nx2x3 for size \(shapeString(size)). Got \(shapeString(theta.shape)).")
    }
    let (n, h, w) = (size[0], size[2], size[3])
    // PyTorch's linspace_from_neg_one: linspace(-1, 1, steps), times (steps - 1) / steps without align_corners
    func axis(_ steps: Int) -> Tensor {
        let r = Tensor.linspace(-1, 1, count: steps, dtype: theta.dtype).to(theta.device)
        return alignCorners || steps <= 1 ? r : r * (steps - 1) / steps
    }
    let xs = axis(w).view(1, w, 1).expand([h, w, 1]), ys = axis(h).view(h, 1, 1).expand([h, w, 1])
    let base = concat([xs, ys, Tensor.ones([h, w, 1], dtype: theta.dtype, device: theta.device)], dim: 2)
    return base.reshape(1, h * w, 3).expand([n, h * w, 3]).bmm(theta.transpose(1, 2)).view(n, h, w, 2)
}

/// Samples `input` (N, C, H, W) at the grid's (x, y) locations in [−1, 1] (PyTorch's `F.grid_sample`):
/// `mode` "bilinear" or "nearest", `paddingMode` "zeros" or "border"; gradients reach input and grid.
public func gridSample(_ input: Tensor, _ grid: Tensor, mode: String = "bilinear", paddingMode: String = "zeros", alignCorners: Bool = false) -> Tensor {
    if input.rank != 4 { fail("grid_sampler(): expected 4D input and grid with same number of dimensions, but got input with sizes \(shapeString(input.shape)) and grid with sizes \(shapeString(grid.shape))") }
    if grid.rank != 4 || grid.shape[3] != 2 || grid.shape[0] != input.shape[0] {
        fail("grid_sampler(): expected grid to have size 2 in last dimension and the same batch size as input, but got grid with sizes \(shapeString(grid.shape))")
    }
    if mode != "bilinear" && mode != "nearest" { fail("grid_sample(): mode must be 'bilinear' or 'nearest' here, got '\(mode)'") }
    if paddingMode != "zeros" && paddingMode != "border" { fail("grid_sample(): padding_mode must be 'zeros' or 'border' here, got '\(paddingMode)'") }
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (ho, wo) = (grid.shape[1], grid.shape[2])
    // PyTorch's grid_sampler_unnormalize, then clip_coordinates for "border"
    func unnormalize(_ coord: Tensor, _ size: Int) -> Tensor {
        var v = alignCorners ? (coord + 1) / 2 * (size - 1) : ((coord + 1) * size - 1) / 2
        if paddingMode == "border" { v = v.clamp(min: 0, max: Double(size - 1)) }
        return v
    }
    let ix = unnormalize(grid[.ellipsis, 0], w).reshape(n, 1, ho * wo), iy = unnormalize(grid[.ellipsis, 1], h).reshape(n, 1, ho * wo)
    let flat = input.reshape(n, c, h * w)
    /// input at integer (x, y) (N, 1, L), zero outside the image
    func corner(_ x: Tensor, _ y: Tensor) -> Tensor {
        let inside = noGrad { (x .>= 0) .&& (x .<= Double(w - 1)) .&& (y .>= 0) .&& (y .<= Double(h - 1)) }
        let index = noGrad { (y.clamp(min: 0, max: Double(h - 1)) * w + x.clamp(min: 0, max: Double(w - 1))).to(dtype: .int64).expand([n, c, ho * wo]) }
        return flat.gather(dim: 2, index: index) * inside.to(dtype: input.dtype)
    }
    let out: Tensor
    if mode == "nearest" {
        out = corner(noGrad { ix.round() }, noGrad { iy.round() })   // nearbyint: ties to even, as PyTorch
    } else {
        let x0 = noGrad { ix.floor() }, y0 = noGrad { iy.floor() }
        let x1 = x0 + 1, y1 = y0 + 1
        let wnw = (x1 - ix) * (y1 - iy), wne = (ix - x0) * (y1 - iy), wsw = (x1 - ix) * (iy - y0), wse = (ix - x0) * (iy - y0)
        out = corner(x0, y0) * wnw + corner(x1, y0) * wne + corner(x0, y1) * wsw + corner(x1, y1) * wse
    }
    return out.reshape(n, c, ho, wo)
}

// MARK: - EmbeddingBag

/// Sums, means or maxima of bags of embeddings without building the (bag, item, dim) tensor (PyTorch's
/// `F.embedding_bag`): a 2-D `input` is one bag per row; a 1-D one is cut into bags at `offsets`.
/// `perSampleWeights` scale each item (mode "sum" only); items equal to `paddingIdx` are left out.
public func embeddingBag(_ input: Tensor, _ weight: Tensor, offsets: Tensor? = nil, mode: String = "mean", perSampleWeights: Tensor? = nil,
                         includeLastOffset: Bool = false, paddingIdx: Int? = nil) -> Tensor {
    if !["sum", "mean", "max"].contains(mode) { fail("mode has to be one of sum, mean or max") }
    if perSampleWeights != nil && mode != "sum" {
        fail("embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='\(mode)'). Please open a feature request on GitHub.")
    }
    let items: Tensor, bagOf: [Int64], bags: Int
    if input.rank == 2 {
        if offsets != nil { fail("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type Tensor") }
        bags = input.shape[0]
        items = input.reshape(-1)
        bagOf = (0..<input.count).map { Int64($0 / Swift.max(input.shape[1], 1)) }
    } else if input.rank == 1 {
        guard let off = offsets else { fail("offsets has to be a 1D Tensor but got None") }
        if off.rank != 1 { fail("offsets has to be a 1D Tensor") }
        var o = off.to(.cpu).toArray(Int64.self).map { Int($0) }
        if !includeLastOffset { o.append(input.count) }
        if let first = o.first, first != 0 { fail("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got \(first)") }
        bags = o.count - 1
        var b = [Int64](repeating: 0, count: input.count)
        for k in 0..<bags { for i in o[k]..<Swift.min(o[k + 1], input.count) { b[i] = Int64(k) } }
        items = input
        bagOf = b
    } else {
        fail("input has to be 1D or 2D Tensor, but got Tensor of dimension \(input.rank)")
    }
    let ids = items.to(.cpu).toArray(Int64.self)
    let keep = ids.map { id in paddingIdx.map { Int64($0) != id } ?? true }
    let keptIdx = (0..<ids.count).filter { keep[$0] }
    let dev = weight.device
    let rows = Tensor(flat: keptIdx.map { ids[$0] }, shape: [keptIdx.count]).to(dev)
    let target = Tensor(flat: keptIdx.map { bagOf[$0] }, shape: [keptIdx.count]).to(dev)
    var e = weight.indexSelect(dim: 0, rows)
    if let psw = perSampleWeights {
        e = e * psw.reshape(-1).indexSelect(dim: 0, Tensor(flat: keptIdx.map { Int64($0) }, shape: [keptIdx.count]).to(dev)).unsqueeze(1)
    }
    let zeros = Tensor.zeros([bags, weight.shape[1]], dtype: weight.dtype, device: dev)
    switch mode {
    case "sum": return zeros.indexAdd(dim: 0, index: target, source: e)
    case "mean":
        var counts = [Double](repeating: 0, count: bags)
        for i in keptIdx { counts[Int(bagOf[i])] += 1 }
        let n = Tensor(flat: counts.map { Swift.max($0, 1) }, shape: [bags, 1]).to(dtype: weight.dtype).to(dev)
        return zeros.indexAdd(dim: 0, index: target, source: e) / n
    default:
        let index = target.unsqueeze(1).expand([keptIdx.count, weight.shape[1]])
        return zeros.scatterReduce(dim: 0, index: index, src: e, reduce: "amax", includeSelf: false)
    }
}

/// PyTorch's `nn.EmbeddingBag`: an N(0, 1) table whose lookups are reduced per bag ("mean" by default).
public final class EmbeddingBag: Module {
    public let numEmbeddings: Int, embeddingDim: Int, mode: String, includeLastOffset: Bool
    public let paddingIdx: Int?
    /// The table, shaped (numEmbeddings, embeddingDim).
    public var weight: Parameter
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, mode: String = "mean", includeLastOffset: Bool = false, paddingIdx: Int? = nil,
                device: Device = .cpu) {
        if let p = paddingIdx, p >= numEmbeddings || p < -numEmbeddings { fail("padding_idx must be within num_embeddings") }
        self.numEmbeddings = numEmbeddings; self.embeddingDim = embeddingDim; self.mode = mode; self.includeLastOffset = includeLastOffset
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Parameter(Tensor.empty([numEmbeddings, embeddingDim], device: device))
        super.init()
        normal_(weight)
        if let p = self.paddingIdx { noGrad { weight[p].fill_(0) } }
    }
    /// A bag table initialised from `embeddings` (PyTorch's `EmbeddingBag.from_pretrained`; frozen by default).
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, mode: String = "mean", includeLastOffset: Bool = false,
                                      paddingIdx: Int? = nil) -> EmbeddingBag {
        if embeddings.rank != 2 { fail("Embeddings parameter is expected to be 2-dimensional") }
        let e = EmbeddingBag(embeddings.shape[0], embeddings.shape[1], mode: mode, includeLastOffset: includeLastOffset, paddingIdx: paddingIdx,
                             device: embeddings.device)
        noGrad { e.weight.copy_(embeddings) }
        e.weight.requiresGrad = !freeze
        return e
    }
    public func callAsFunction(_ input: Tensor, offsets: Tensor? = nil, perSampleWeights: Tensor? = nil) -> Tensor {
        embeddingBag(input, weight, offsets: offsets, mode: mode, perSampleWeights: perSampleWeights, includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }
    public func callAsFunction(_ input: Tensor, _ offsets: Tensor) -> Tensor { callAsFunction(input, offsets: offsets) }
    public override func forward(_ x: Tensor) -> Tensor { callAsFunction(x) }
    public override func extraRepr() -> String {
        "\(numEmbeddings), \(embeddingDim), mode='\(mode)'" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}

// MARK: - CTC loss

/// The connectionist temporal classification loss (PyTorch's `F.ctc_loss`): `logProbs` (T, N, C) are
/// log-softmax outputs, `targets` (N, S) padded or 1-D concatenated, blank index `blank`. The forward
/// (alpha) recursion runs in log space on tensors, so gradients come from autograd; unreachable states
/// hold −1e30 rather than −∞ so that no NaN reaches the gradient. An impossible alignment gives +∞, or 0
/// with `zeroInfinity`. "mean" divides each loss by its target length, then averages, as PyTorch.
public func ctcLoss(_ logProbs: Tensor, _ targets: Tensor, inputLengths: [Int], targetLengths: [Int], blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    let batched = logProbs.rank == 3
    let lp = batched ? logProbs : logProbs.unsqueeze(1)
    if lp.rank != 3 { fail("ctc_loss: expected log_probs to be 2-D or 3-D (T, N, C), got \(shapeString(logProbs.shape))") }
    let (tMax, n, c) = (lp.shape[0], lp.shape[1], lp.shape[2])
    if inputLengths.count != n || targetLengths.count != n {
        fail("ctc_loss: expected input_lengths and target_lengths to have \(n) elements, got \(inputLengths.count) and \(targetLengths.count)")
    }
    if blank < 0 || blank >= c { fail("blank must be in label range") }
    // the targets of each sample, from the padded (N, S) or the concatenated 1-D form
    let tv = targets.to(.cpu).contiguous().toArray(Int64.self).map { Int($0) }
    var labels: [[Int]] = []
    var offset = 0
    for b in 0..<n {
        let len = targetLengths[b]
        if inputLengths[b] > tMax || inputLengths[b] < 0 { fail("Expected input_lengths to have value at most \(tMax), but got value \(inputLengths[b])") }
        if targets.rank == 2 || (targets.rank == 1 && !batched) {
            let s = targets.rank == 2 ? targets.shape[1] : targets.shape[0]
            if len > s { fail("Expected tensor to have size at least \(len) at dimension 1, but got size \(s) for argument #2 'targets'") }
            labels.append(Array(tv[(b * s)..<(b * s + len)]))
        } else {
            labels.append(Array(tv[offset..<(offset + len)]))
            offset += len
        }
    }
    let lMax = 2 * (labels.map(\.count).max() ?? 0) + 1
    // extended labels (blank between and around), which states may skip two back, and each sample's end
    var ext = [Int64](repeating: Int64(blank), count: n * lMax), skip = [Double](repeating: 0, count: n * lMax)
    for b in 0..<n {
        for (i, l) in labels[b].enumerated() {
            ext[b * lMax + 2 * i + 1] = Int64(l)
            if i > 0 && labels[b][i - 1] != l { skip[b * lMax + 2 * i + 1] = 1 }
        }
    }
    let dev = logProbs.device, dt = logProbs.dtype
    var impossibleRows = [Bool](repeating: false, count: n)
    // PyTorch's _ctc_loss is one op (CtcLossBackward0) whose gradient with respect to the log-probabilities
    // is the alignment term plus exp(log_probs) times the output gradient over each sample's input length
    // (the gradient with respect to logits before a log_softmax, whose backward cancels that term)
    let raw = fusedOp("CtcLossBackward0", [logProbs], extra: { g in
        let lens = Tensor(flat: inputLengths.map(Double.init), shape: [1, n, 1]).to(dtype: dt).to(dev)
        let steps = Tensor.arange(Double(tMax)).to(dtype: dt).to(dev).view(tMax, 1, 1)
        let keep = Tensor(flat: impossibleRows.map { $0 ? 0.0 : 1.0 }, shape: [1, n, 1]).to(dtype: dt).to(dev)
        let e = lp.detach().exp() * g.reshape(1, n, 1) * (steps .< lens).to(dtype: dt) * keep
        return [batched ? e : e.squeeze(dim: 1)]
    }) { xs -> Tensor in
        let lp = batched ? xs[0] : xs[0].unsqueeze(1)
        let neg = -1e30
        let index = Tensor(flat: ext, shape: [1, n, lMax]).to(dev).expand([tMax, n, lMax])
        let emit = lp.gather(dim: 2, index: index)                                            // (T, N, L')
        let canSkip = Tensor(flat: skip, shape: [n, lMax]).to(dtype: dt).to(dev) .!= 0
        let negRow = Tensor.full([n, 1], neg, dtype: dt, device: dev), negRow2 = Tensor.full([n, 2], neg, dtype: dt, device: dev)
        var startMask = [Double](repeating: neg, count: n * lMax)
        for b in 0..<n { startMask[b * lMax] = 0; if lMax > 1 && !labels[b].isEmpty { startMask[b * lMax + 1] = 0 } }
        var alpha = emit[0] + Tensor(flat: startMask, shape: [n, lMax]).to(dtype: dt).to(dev)
        let running = inputLengths
        for t in 1..<Swift.max(tMax, 1) {
            let a1 = alpha
            let a2 = concat([negRow, alpha.narrow(dim: 1, start: 0, length: lMax - 1)], dim: 1)
            let a3raw = lMax > 2 ? concat([negRow2, alpha.narrow(dim: 1, start: 0, length: lMax - 2)], dim: 1) : Tensor.fullLike(alpha, neg)
            let a3 = Descent.where(canSkip, a3raw, Tensor.fullLike(alpha, neg))
            let m = noGrad { a1.maximum(a2).maximum(a3) }
            let next = ((a1 - m).exp() + (a2 - m).exp() + (a3 - m).exp()).log() + m + emit[t]
            let active = Tensor(flat: running.map { t < $0 ? 1.0 : 0.0 }, shape: [n, 1]).to(dev) .!= 0
            alpha = Descent.where(active, next, alpha)
        }
        // -log(alpha[last] + alpha[last - 1]) at each sample's end
        let lastIdx = (0..<n).map { Int64(2 * labels[$0].count) }, prevIdx = (0..<n).map { Swift.max(Int64(2 * labels[$0].count) - 1, 0) }
        let endA = alpha.gather(dim: 1, index: Tensor(flat: lastIdx, shape: [n, 1]).to(dev)).squeeze(dim: 1)
        var endB = alpha.gather(dim: 1, index: Tensor(flat: prevIdx, shape: [n, 1]).to(dev)).squeeze(dim: 1)
        let hasPrev = Tensor(flat: labels.map { $0.isEmpty ? 0.0 : 1.0 }, shape: [n]).to(dev) .!= 0
        endB = Descent.where(hasPrev, endB, Tensor.fullLike(endB, neg))
        let m = noGrad { endA.maximum(endB) }
        let nll = -(((endA - m).exp() + (endB - m).exp()).log() + m)
        let impossible = noGrad { nll .> 1e29 }
        impossibleRows = impossible.toArray(Bool.self)
        return Descent.where(impossible, Tensor.fullLike(nll, .infinity), nll)
    }
    var loss = raw
    if zeroInfinity { loss = Descent.where(noGrad { loss .== .infinity }, Tensor.zerosLike(loss), loss) }
    switch reduction {
    case .none: return batched ? loss : loss.squeeze(dim: 0)
    case .sum: return loss.sum()
    case .mean:
        let lens = Tensor(flat: targetLengths.map { Double(Swift.max($0, 1)) }, shape: [n]).to(dtype: dt).to(dev)
        return (loss / lens).mean()
    }
}
/// `F.ctc_loss` with the lengths as tensors.
public func ctcLoss(_ logProbs: Tensor, _ targets: Tensor, _ inputLengths: Tensor, _ targetLengths: Tensor, blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    ctcLoss(logProbs, targets, inputLengths: inputLengths.to(.cpu).toArray(Int64.self).map { Int($0) },
            targetLengths: targetLengths.to(.cpu).toArray(Int64.self).map { Int($0) }, blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
}

/// PyTorch's `nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)`.
public final class CTCLoss: Module {
    public let blank: Int, reduction: Reduction, zeroInfinity: Bool
    public init(blank: Int = 0, reduction: Reduction = .mean, zeroInfinity: Bool = false) {
        self.blank = blank; self.reduction = reduction; self.zeroInfinity = zeroInfinity; super.init()
    }
    public func callAsFunction(_ logProbs: Tensor, _ targets: Tensor, _ inputLengths: Tensor, _ targetLengths: Tensor) -> Tensor {
        ctcLoss(logProbs, targets, inputLengths, targetLengths, blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
    }
}
