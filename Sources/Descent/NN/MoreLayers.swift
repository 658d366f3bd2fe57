
/// A lookup table of `numEmbeddings` vectors of size `embeddingDim` (PyTorch's `nn.Embedding`):
/// the weight is drawn from N(0, 1) as PyTorch does, and the row `paddingIdx` (if any) is zero and
/// receives no gradient.
public final class Embedding: Module {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    /// The row that stays zero and gets no gradient (normalised to a non-negative index), or nil.
    public let paddingIdx: Int?
    /// The table, shaped (numEmbeddings, embeddingDim).
    public var weight: Parameter

    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, device: Device = .cpu) {
        if let p = paddingIdx, p >= numEmbeddings || p < -numEmbeddings {
            fail("Padding_idx must be within num_embeddings")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Parameter(Tensor.empty([numEmbeddings, embeddingDim], device: device))
        super.init()
        resetParameters()
    }
    /// A table initialised from `embeddings` (PyTorch's `Embedding.from_pretrained`; frozen by default).
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, paddingIdx: Int? = nil) -> Embedding {
        if embeddings.rank != 2 { fail("Embeddings parameter is expected to be 2-dimensional") }
        let e = Embedding(embeddings.shape[0], embeddings.shape[1], paddingIdx: paddingIdx)
        noGrad { e.weight.copy_(embeddings) }
        e.weight.requiresGrad = !freeze
        return e
    }
    /// Re-draws the table from N(0, 1) and zeroes the padding row, as PyTorch's `reset_parameters`.
    public func resetParameters() {
        normal_(weight)
        if let p = paddingIdx { noGrad { weight[p].fill_(0) } }
    }
    public override func forward(_ x: Tensor) -> Tensor { embedding(x, weight, paddingIdx: paddingIdx) }
    public override func extraRepr() -> String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}

/// Rows of `weight` at the integer `indices` (PyTorch's `F.embedding`): shape `indices.shape + [dim]`.
public func embedding(_ indices: Tensor, _ weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
    if indices.dtype != .int64 && indices.dtype != .int32 {
        fail("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(indices.dtype.legacyTypeName) instead (while checking arguments for embedding)")
    }
    if weight.rank != 2 { fail("'weight' must be 2-D") }
    let n = weight.shape[0], d = weight.shape[1]
    checkSameDevice(weight, indices)
    let idx = Kernels.checkedIndices(indices.to(dtype: .int64).contiguous(), size: n, dim: 0, wrapNegative: false,
                                     message: "index out of range in self")
    let flat = idx.rank == 1 ? idx : idx.reshape(-1)
    let out = noGrad { weight.indexSelect(dim: 0, flat).reshape(indices.shape + [d]) }
    if wantsGrad(weight) {
        let pad = paddingIdx.map { $0 < 0 ? $0 + n : $0 }
        out.recorded(.custom(CustomBackward(name: "EmbeddingBackward0") { g, s, _ in
            // the rows' gradients summed into a zero table; the padding row gets none
            let gw = Tensor.zeros([n, d], dtype: g.dtype, device: g.device)
            let gc = g.reshape(-1, d).contiguous()
            Kernels.indexAdd(gw, 1, n, d, s[0], gc)
            if let pad = pad { noGrad { gw[pad].fill_(0) } }
            return [gw]
        }), inputs: [weight], saved: [flat])
    }
    return out
}

/// Normalises over the last dims given by `normalizedShape`, then scales and shifts per element
/// (PyTorch's `nn.LayerNorm`: eps 1e-5, weight ones, bias zeros, biased variance).
public final class LayerNorm: Module {
    public let normalizedShape: [Int]
    public let eps: Double
    public let elementwiseAffine: Bool
    /// The scale, shaped `normalizedShape`, or nil without `elementwiseAffine`.
    public var weight: Parameter?
    /// The shift, shaped `normalizedShape`, or nil.
    public var bias: Parameter?

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, device: device)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape, device: device)) : nil
        super.init()
    }
    public convenience init(_ normalizedShape: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor { layerNorm(x, normalizedShape, weight: weight, bias: bias, eps: eps) }
    public override func extraRepr() -> String {
        let shape = "(" + normalizedShape.map(String.init).joined(separator: ", ") + (normalizedShape.count == 1 ? ",)" : ")")
        return "\(shape), eps=\(formatPyFloat(eps)), elementwise_affine=\(elementwiseAffine ? "True" : "False"), bias=\(bias != nil ? "True" : "False")"
    }
}

/// PyTorch's `F.layer_norm`: (x - mean) / sqrt(var + eps) over the trailing `normalizedShape` dims, then * weight + bias.
public func layerNorm(_ x: Tensor, _ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
    let k = normalizedShape.count
    if k == 0 || k > x.rank || Array(x.shape[(x.rank - k)...]) != normalizedShape {
        fail("Given normalized_shape=\(shapeString(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shapeString(x.shape))")
    }
    let dims = Array((x.rank - k)..<x.rank)
    let batchDims = Array(0..<(x.rank - k))
    let (y, xhat, rstd) = noGrad { () -> (Tensor, Tensor, Tensor) in
        let centered = x - x.mean(dims: dims, keepDim: true)
        let rstd = ((centered * centered).mean(dims: dims, keepDim: true) + eps).rsqrt()
        let xhat = centered * rstd
        var y = xhat
        if let w = weight { y = y * w }
        if let b = bias { y = y + b }
        return (y, xhat, rstd)
    }
    var inputs = [x], saved = [xhat, rstd]
    if let w = weight { inputs.append(w); saved.append(w) }
    if let b = bias { inputs.append(b) }
    if inputs.contains(where: wantsGrad) {
        let hasWeight = weight != nil, hasBias = bias != nil
        y.recorded(.custom(CustomBackward(name: "NativeLayerNormBackward0") { g, s, needs in
            let (xhat, rstd) = (s[0], s[1])
            let gx = hasWeight ? g * s[2] : g
            var grads: [Tensor?] = []
            if needs[0] {
                let m1 = gx.mean(dims: dims, keepDim: true), m2 = (gx * xhat).mean(dims: dims, keepDim: true)
                grads.append(rstd * (gx - m1 - xhat * m2))
            } else { grads.append(nil) }
            if hasWeight { grads.append(needs[1] ? (batchDims.isEmpty ? g * xhat : (g * xhat).sum(dims: batchDims)) : nil) }
            if hasBias { grads.append(needs[hasWeight ? 2 : 1] ? (batchDims.isEmpty ? g : g.sum(dims: batchDims)) : nil) }
            return grads
        }), inputs: inputs, saved: saved)
    }
    return y
}

/// Average pooling to a fixed output size whatever the input's (PyTorch's `nn.AdaptiveAvgPool2d`):
/// output cell (i, j) averages rows floor(i·H/OH) ..< ceil((i+1)·H/OH) and likewise columns. A nil
/// size keeps that input dim.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int?, Int?)
    let written: String
    /// The same size for both dims (`AdaptiveAvgPool2d(1)` for global average pooling).
    public init(_ outputSize: Int) { self.outputSize = (outputSize, outputSize); written = "\(outputSize)"; super.init() }
    /// An (height, width) size; nil keeps the input's.
    public init(_ outputSize: (Int?, Int?)) {
        self.outputSize = outputSize
        written = "(\(outputSize.0.map(String.init) ?? "None"), \(outputSize.1.map(String.init) ?? "None"))"
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize) }
    public override func extraRepr() -> String { "output_size=\(written)" }
}

/// PyTorch's `F.adaptive_avg_pool2d` on (N, C, H, W) or (C, H, W) float inputs.
public func adaptiveAvgPool2d(_ x: Tensor, _ outputSize: (Int?, Int?)) -> Tensor {
    if x.rank != 3 && x.rank != 4 { fail("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got \(shapeString(x.shape))") }
    if !x.dtype.isFloatingPoint { fail("adaptive_avg_pool2d: expected a floating point input") }
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    let oh = outputSize.0 ?? h, ow = outputSize.1 ?? w
    let planes = x.count / Swift.max(h * w, 1)
    let outShape = Array(x.shape[..<(x.rank - 2)]) + [oh, ow]
    let xc = x.contiguous()
    let out = Tensor(uninitializedShape: outShape, dtype: x.dtype, device: x.device)
    Kernels.adaptiveAvgPool2d(xc, planes: planes, h: h, w: w, oh: oh, ow: ow, out: out, backward: false)
    if wantsGrad(x) {
        let inShape = x.shape
        out.recorded(.custom(CustomBackward(name: "AdaptiveAvgPool2DBackward0") { g, _, _ in
            let gc = g.contiguous()
            let gx = Tensor.zeros(inShape, dtype: g.dtype, device: g.device)
            Kernels.adaptiveAvgPool2d(gc, planes: planes, h: h, w: w, oh: oh, ow: ow, out: gx, backward: true)
            return [gx]
        }), inputs: [x])
    }
    return out
}

/// Normalises each sample over groups of channels (PyTorch's `nn.GroupNorm`): the C channels of
/// an (N, C, *) input form `numGroups` groups, each normalised with its own mean and biased
/// variance, then scaled and shifted per channel (weight ones, bias zeros).
public final class GroupNorm: Module {
    public let numGroups: Int
    public let numChannels: Int
    public let eps: Double
    public let affine: Bool
    /// The per-channel scale, or nil without `affine`.
    public var weight: Parameter?
    /// The per-channel shift, or nil without `affine`.
    public var bias: Parameter?

    /// `bias: false` leaves out the shift (PyTorch 2.x's `bias` argument).
    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        if numGroups <= 0 || numChannels % numGroups != 0 { fail("num_channels must be divisible by num_groups") }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        weight = affine ? Parameter(Tensor.ones([numChannels], device: device)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numChannels], device: device)) : nil
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { groupNorm(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps) }
    public override func extraRepr() -> String { "\(numGroups), \(numChannels), eps=\(formatPyFloat(eps)), affine=\(affine ? "True" : "False"), bias=\(bias != nil ? "True" : "False")" }
}

/// PyTorch's `F.group_norm`: x (N, C, *) normalised over each of `numGroups` channel groups,
/// then * weight[c] + bias[c].
public func groupNorm(_ x: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
    if x.rank < 2 { fail("Expected at least 2 dimensions for input tensor but received \(x.rank)") }
    let n = x.shape[0], c = x.shape[1]
    if numGroups <= 0 || c % numGroups != 0 {
        fail("Expected number of channels in input to be divisible by num_groups, but got input of shape \(shapeString(x.shape)) and num_groups=\(numGroups)")
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t = t, t.rank != 1 || t.shape[0] != c {
            fail("Expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(shapeString(t.shape)) and input of shape \(shapeString(x.shape))")
        }
    }
    if !x.dtype.isFloatingPoint { fail("\"group_norm\" not implemented for '\(x.dtype.scalarTypeName)'") }
    let channelShape = [1, c] + Array(repeating: 1, count: x.rank - 2)
    let otherDims = [0] + Array(2..<x.rank)
    let (y, xhat, rstd) = noGrad { () -> (Tensor, Tensor, Tensor) in
        let xr = x.reshape(n, numGroups, -1)
        let centered = xr - xr.mean(dim: 2, keepDim: true)
        let rstd = ((centered * centered).mean(dim: 2, keepDim: true) + eps).rsqrt()
        let xhat = (centered * rstd).reshape(x.shape)
        var y = xhat
        if let w = weight { y = y * w.reshape(channelShape) }
        if let b = bias { y = y + b.reshape(channelShape) }
        return (y, xhat, rstd)
    }
    var inputs = [x], saved = [xhat, rstd]
    if let w = weight { inputs.append(w); saved.append(w) }
    if let b = bias { inputs.append(b) }
    if inputs.contains(where: wantsGrad) {
        let hasWeight = weight != nil, hasBias = bias != nil, shape = x.shape
        y.recorded(.custom(CustomBackward(name: "NativeGroupNormBackward0") { g, s, needs in
            let (xhat, rstd) = (s[0], s[1])
            var grads: [Tensor?] = []
            if needs[0] {
                let gx = (hasWeight ? g * s[2].reshape(channelShape) : g).reshape(n, numGroups, -1)
                let xh = xhat.reshape(n, numGroups, -1)
                let m1 = gx.mean(dim: 2, keepDim: true), m2 = (gx * xh).mean(dim: 2, keepDim: true)
                grads.append((rstd * (gx - m1 - xh * m2)).reshape(shape))
            } else { grads.append(nil) }
            if hasWeight { grads.append(needs[1] ? (g * xhat).sum(dims: otherDims) : nil) }
            if hasBias { grads.append(needs[hasWeight ? 2 : 1] ? g.sum(dims: otherDims) : nil) }
            return grads
        }), inputs: inputs, saved: saved)
    }
    return y
}

/// Zeroes whole channels with probability `p` while training and scales the rest by 1/(1-p)
/// (PyTorch's `nn.Dropout1d`, for (N, C, L) or (C, L) inputs).
public final class Dropout1d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor { dropout1d(x, p: p, training: isTraining) }
}

/// Zeroes whole channels (2-D feature maps) with probability `p` while training and scales the
/// rest by 1/(1-p) (PyTorch's `nn.Dropout2d`, for (N, C, H, W) inputs).
public final class Dropout2d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor { dropout2d(x, p: p, training: isTraining) }
}

func checkDropoutP(_ p: Double) {
    if p < 0 || p > 1 { fail("dropout probability has to be between 0 and 1, but got \(p)") }
}

/// PyTorch's `F.dropout1d`: one Bernoulli(1 - p) draw per (sample, channel) of an (N, C, L) or (C, L) input.
public func dropout1d(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    checkDropoutP(p)
    if x.rank != 2 && x.rank != 3 {
        fail("dropout1d: Expected 2D or 3D input, but received a \(x.rank)D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    }
    if x.rank == 2 { return featureDropout(x.unsqueeze(0), p: p, training: training).squeeze(dim: 0) }
    return featureDropout(x, p: p, training: training)
}

/// PyTorch's `F.dropout2d`: one Bernoulli(1 - p) draw per (sample, channel); a 3-D input is taken
/// as (N, C, L), as PyTorch still does (with a warning there).
public func dropout2d(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    checkDropoutP(p)
    if x.rank < 2 { fail("Feature dropout requires at least 2 dimensions in the input") }
    return featureDropout(x, p: p, training: training)
}

/// x * noise, noise (N, C, 1, ...) ~ Bernoulli(1 - p) / (1 - p) (PyTorch's `_dropout_impl` with feature_dropout).
func featureDropout(_ x: Tensor, p: Double, training: Bool) -> Tensor {
    if !training || p == 0 { return x }
    if p == 1 { return x * 0 }
    let noiseShape = [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2)
    let noise = noGrad { Tensor.empty(noiseShape, dtype: x.dtype, device: x.device).bernoulli_(1 - p) / Tensor.scalar(1 - p, dtype: x.dtype) }
    return x * noise
}
