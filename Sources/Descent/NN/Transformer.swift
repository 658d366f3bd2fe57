import Foundation

// PyTorch's transformer modules (`nn.TransformerEncoderLayer`, `nn.TransformerEncoder`,
// `nn.TransformerDecoderLayer`, `nn.TransformerDecoder`, `nn.Transformer`): the same submodules,
// parameter names, initialisation order, defaults (dim_feedforward 2048, dropout 0.1, ReLU,
// post-norm) and the same order of dropout draws, so a seeded model trains as PyTorch's does to
// float32 rounding. The stacks copy their layer as `copy.deepcopy` does: every copy starts from the
// given layer's weights and no random numbers are drawn. PyTorch's inference fast paths
// (`_transformer_encoder_layer_fwd`, nested tensors) compute the same function; Descent runs the
// regular path, keeping their one visible effect: with a key padding mask in eval mode without
// gradients, a `TransformerEncoder` whose layers qualify returns zeros (before its final norm) at
// padded positions.

/// The feed-forward activation of a transformer layer: PyTorch's `"relu"`/`"gelu"` strings (or
/// `F.relu`/`F.gelu`), or a module such as `GELU(approximate: "tanh")`.
public enum TransformerActivation {
    case relu
    case gelu
    case module(Module)

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .module(let m): return m(x)
        }
    }
    static func named(_ name: String) -> TransformerActivation {
        switch name {
        case "relu": return .relu
        case "gelu": return .gelu
        default: fail("activation should be relu/gelu, not \(name)")
        }
    }
    /// PyTorch's `activation_relu_or_gelu`: whether the fused inference kernels would apply.
    var isReluOrGelu: Bool {
        switch self {
        case .relu, .gelu: return true
        case .module(let m): return m is ReLU || (m as? GELU)?.approximate == "none"
        }
    }
    var module: Module? { if case .module(let m) = self { return m } else { return nil } }
}

/// A copy of `module` that starts with its parameters and buffers (PyTorch's `copy.deepcopy` of a
/// layer): `make` builds a fresh one with the same configuration, with the global generator's state
/// put back afterwards so that no random numbers are consumed.
func deepCopy<M: Module>(_ module: M, _ make: () -> M) -> M {
    let state = getRNGState()
    let copy = make()
    setRNGState(state)
    let src = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.0, $0.1 as Tensor) } + module.namedBuffers())
    noGrad {
        for (name, t) in copy.namedParameters().map({ ($0.0, $0.1 as Tensor) }) + copy.namedBuffers() {
            guard let s = src[name] else { continue }
            t.copy_(s)
        }
    }
    copy.train(module.isTraining)
    return copy
}

/// One encoder block (PyTorch's `nn.TransformerEncoderLayer`): self-attention and a feed-forward
/// network, each with dropout, a residual connection and LayerNorm (after, or before with
/// `normFirst`). Inputs are (S, N, E), or (N, S, E) with `batchFirst`, or unbatched (S, E).
public final class TransformerEncoderLayer: Module {
    public let dModel: Int
    public let nhead: Int
    public let dimFeedforward: Int
    public let dropoutP: Double
    public let layerNormEps: Double
    public let batchFirst: Bool
    public let normFirst: Bool
    public let bias: Bool
    public let activation: TransformerActivation
    public let selfAttn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    let device: Device

    public init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.dModel = dModel
        self.nhead = nhead
        self.dimFeedforward = dimFeedforward
        self.dropoutP = dropout
        self.layerNormEps = layerNormEps
        self.batchFirst = batchFirst
        self.normFirst = normFirst
        self.bias = bias
        self.activation = activation
        self.device = device
        selfAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, device: device)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, device: device)
        self.dropout = Dropout(dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, device: device)
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
        dropout1 = Dropout(dropout)
        dropout2 = Dropout(dropout)
        super.init()
    }
    /// PyTorch's `activation="relu"` / `"gelu"` form.
    public convenience init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: String, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .named(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// A module as the activation (`activation: GELU()`).
    public convenience init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: Module, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .module(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// PyTorch's keyword form, `(d_model=8, nhead=2, ...)`.
    public convenience init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// PyTorch's keyword form with `activation="gelu"`.
    public convenience init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: String, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .named(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }

    func copied() -> TransformerEncoderLayer {
        deepCopy(self) {
            TransformerEncoderLayer(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropoutP, activation: activation,
                                    layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
        }
    }

    public override func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = [("self_attn", selfAttn), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2),
                                       ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2)]
        if let m = activation.module { out.append(("activation", m)) }
        return out
    }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    public override func forward(_ x: Tensor) -> Tensor { self(x) }

    /// PyTorch's `forward(src, src_mask, src_key_padding_mask, is_causal)`.
    public func callAsFunction(_ src: Tensor, srcMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = src
        if normFirst {
            x = x + saBlock(norm1(x), srcMask, srcKeyPaddingMask, isCausal)
            x = x + ffBlock(norm2(x))
        } else {
            x = norm1(x + saBlock(x, srcMask, srcKeyPaddingMask, isCausal))
            x = norm2(x + ffBlock(x))
        }
        return x
    }
    func saBlock(_ x: Tensor, _ mask: Tensor?, _ keyPaddingMask: Tensor?, _ isCausal: Bool) -> Tensor {
        dropout1(selfAttn(x, x, x, keyPaddingMask: keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).0)
    }
    func ffBlock(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
}

/// A stack of `numLayers` copies of an encoder layer, then an optional norm (PyTorch's
/// `nn.TransformerEncoder`). Every copy starts with the given layer's weights, as PyTorch's deepcopy.
public final class TransformerEncoder: Module {
    public let layers: ModuleList
    public let numLayers: Int
    public let norm: Module?
    public let enableNestedTensor: Bool
    let layerList: [TransformerEncoderLayer]

    public init(_ encoderLayer: TransformerEncoderLayer, _ numLayers: Int, norm: Module? = nil, enableNestedTensor: Bool = true) {
        layerList = (0..<numLayers).map { _ in encoderLayer.copied() }
        layers = ModuleList(layerList)
        self.numLayers = numLayers
        self.norm = norm
        self.enableNestedTensor = enableNestedTensor
        super.init()
    }
    /// PyTorch's keyword form, `TransformerEncoder(layer, num_layers: 6)`.
    public convenience init(_ encoderLayer: TransformerEncoderLayer, numLayers: Int, norm: Module? = nil, enableNestedTensor: Bool = true) {
        self.init(encoderLayer, numLayers, norm: norm, enableNestedTensor: enableNestedTensor)
    }

    public override func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = [("layers", layers)]
        if let n = norm { out.append(("norm", n)) }
        return out
    }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    public override func forward(_ x: Tensor) -> Tensor { self(x) }

    /// PyTorch's `forward(src, mask, src_key_padding_mask, is_causal)`; `isCausal: nil` detects a
    /// causal `mask` as PyTorch does.
    public func callAsFunction(_ src: Tensor, mask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool? = nil) -> Tensor {
        var output = src
        var padding = srcKeyPaddingMask
        // PyTorch's nested-tensor inference path: each sequence attends only to its own tokens (the
        // boolean padding mask does that here) and padded positions come out as zeros
        var zeroRows: Tensor?
        if let kpm = srcKeyPaddingMask, let first = layerList.first, usesNestedTensor(first), !first.isTraining, src.rank == 3, mask == nil,
           !(gradEnabled && (src.requiresGrad || parameters().contains { $0.requiresGrad })) {
            let pad = kpm.dtype == .bool ? kpm : kpm .!= 0
            if leftAligned(pad.logicalNot()) {
                zeroRows = pad
                padding = pad
            }
        }
        let seqLen = src.rank == 2 ? src.shape[0] : src.shape[layerList.first?.batchFirst == true ? 1 : 0]
        let causal = detectCausalMask(mask, isCausal, seqLen)
        for layer in layerList { output = layer(output, srcMask: mask, srcKeyPaddingMask: padding, isCausal: causal) }
        if let rows = zeroRows {
            output = output.maskedFill((layerList[0].batchFirst ? rows : rows.t()).unsqueeze(-1), 0)
        }
        if let n = norm { output = n(output) }
        return output
    }

    func usesNestedTensor(_ l: TransformerEncoderLayer) -> Bool {
        enableNestedTensor && !l.normFirst && l.batchFirst && l.bias && l.activation.isReluOrGelu && l.nhead % 2 == 0
    }
    /// Whether every row of `keep` (N, S) is a run of trues followed by falses.
    func leftAligned(_ keep: Tensor) -> Bool {
        let k = keep.to(dtype: .int64)
        let s = k.shape[1]
        if s < 2 { return true }
        return (k[.all, 1...] .<= k[.all, ..<(s - 1)]).all().item() != 0
    }
}

/// PyTorch's `_detect_is_causal_mask`: the explicit hint, else whether `mask` equals the causal mask.
func detectCausalMask(_ mask: Tensor?, _ isCausal: Bool?, _ size: Int?) -> Bool {
    if let c = isCausal { return c }
    guard let m = mask else { return false }
    let sz = size ?? m.shape[m.rank - 2]
    let causal = Transformer.generateSquareSubsequentMask(sz, dtype: m.dtype.isFloatingPoint ? m.dtype : .float32, device: m.device)
    if m.shape != causal.shape || !m.dtype.isFloatingPoint { return false }
    return (m .== causal).all().item() != 0
}

/// One decoder block (PyTorch's `nn.TransformerDecoderLayer`): self-attention, attention over the
/// encoder's output (`memory`) and a feed-forward network, each with dropout, a residual connection
/// and LayerNorm.
public final class TransformerDecoderLayer: Module {
    public let dModel: Int
    public let nhead: Int
    public let dimFeedforward: Int
    public let dropoutP: Double
    public let layerNormEps: Double
    public let batchFirst: Bool
    public let normFirst: Bool
    public let bias: Bool
    public let activation: TransformerActivation
    public let selfAttn: MultiheadAttention
    public let multiheadAttn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let norm3: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let dropout3: Dropout
    let device: Device

    public init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.dModel = dModel
        self.nhead = nhead
        self.dimFeedforward = dimFeedforward
        self.dropoutP = dropout
        self.layerNormEps = layerNormEps
        self.batchFirst = batchFirst
        self.normFirst = normFirst
        self.bias = bias
        self.activation = activation
        self.device = device
        selfAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, device: device)
        multiheadAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst, device: device)
        linear1 = Linear(dModel, dimFeedforward, bias: bias, device: device)
        self.dropout = Dropout(dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias, device: device)
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
        norm3 = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
        dropout1 = Dropout(dropout)
        dropout2 = Dropout(dropout)
        dropout3 = Dropout(dropout)
        super.init()
    }
    /// PyTorch's `activation="relu"` / `"gelu"` form.
    public convenience init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: String, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .named(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// A module as the activation (`activation: GELU()`).
    public convenience init(_ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: Module, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .module(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// PyTorch's keyword form, `(d_model=8, nhead=2, ...)`.
    public convenience init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }
    /// PyTorch's keyword form with `activation="gelu"`.
    public convenience init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                            activation: String, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                            normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: .named(activation),
                  layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }

    func copied() -> TransformerDecoderLayer {
        deepCopy(self) {
            TransformerDecoderLayer(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropoutP, activation: activation,
                                    layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
        }
    }

    public override func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = [("self_attn", selfAttn), ("multihead_attn", multiheadAttn), ("linear1", linear1),
                                       ("dropout", dropout), ("linear2", linear2), ("norm1", norm1), ("norm2", norm2),
                                       ("norm3", norm3), ("dropout1", dropout1), ("dropout2", dropout2), ("dropout3", dropout3)]
        if let m = activation.module { out.append(("activation", m)) }
        return out
    }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    /// PyTorch's `forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
    /// memory_key_padding_mask, tgt_is_causal, memory_is_causal)`.
    public func callAsFunction(_ tgt: Tensor, _ memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        var x = tgt
        if normFirst {
            x = x + saBlock(norm1(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal)
            x = x + mhaBlock(norm2(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal)
            x = x + ffBlock(norm3(x))
        } else {
            x = norm1(x + saBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal))
            x = norm2(x + mhaBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal))
            x = norm3(x + ffBlock(x))
        }
        return x
    }
    func saBlock(_ x: Tensor, _ mask: Tensor?, _ keyPaddingMask: Tensor?, _ isCausal: Bool) -> Tensor {
        dropout1(selfAttn(x, x, x, keyPaddingMask: keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).0)
    }
    func mhaBlock(_ x: Tensor, _ mem: Tensor, _ mask: Tensor?, _ keyPaddingMask: Tensor?, _ isCausal: Bool) -> Tensor {
        dropout2(multiheadAttn(x, mem, mem, keyPaddingMask: keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).0)
    }
    func ffBlock(_ x: Tensor) -> Tensor { dropout3(linear2(dropout(activation(linear1(x))))) }
}

/// A stack of `numLayers` copies of a decoder layer, then an optional norm (PyTorch's `nn.TransformerDecoder`).
public final class TransformerDecoder: Module {
    public let layers: ModuleList
    public let numLayers: Int
    public let norm: Module?
    let layerList: [TransformerDecoderLayer]

    public init(_ decoderLayer: TransformerDecoderLayer, _ numLayers: Int, norm: Module? = nil) {
        layerList = (0..<numLayers).map { _ in decoderLayer.copied() }
        layers = ModuleList(layerList)
        self.numLayers = numLayers
        self.norm = norm
        super.init()
    }
    /// PyTorch's keyword form, `TransformerDecoder(layer, num_layers: 6)`.
    public convenience init(_ decoderLayer: TransformerDecoderLayer, numLayers: Int, norm: Module? = nil) {
        self.init(decoderLayer, numLayers, norm: norm)
    }

    public override func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = [("layers", layers)]
        if let n = norm { out.append(("norm", n)) }
        return out
    }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    /// PyTorch's `forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
    /// memory_key_padding_mask, tgt_is_causal, memory_is_causal)`.
    public func callAsFunction(_ tgt: Tensor, _ memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool? = nil, memoryIsCausal: Bool = false) -> Tensor {
        var output = tgt
        let seqLen = tgt.rank == 2 ? tgt.shape[0] : tgt.shape[layerList.first?.batchFirst == true ? 1 : 0]
        let causal = detectCausalMask(tgtMask, tgtIsCausal, seqLen)
        for layer in layerList {
            output = layer(output, memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                           memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: causal, memoryIsCausal: memoryIsCausal)
        }
        if let n = norm { output = n(output) }
        return output
    }
}

/// The encoder-decoder transformer of "Attention Is All You Need" (PyTorch's `nn.Transformer`):
/// an encoder stack and a decoder stack, each ending in LayerNorm, every matrix re-drawn
/// Xavier-uniform in parameter order after construction, as PyTorch does.
public final class Transformer: Module {
    public let encoder: Module
    public let decoder: Module
    public let dModel: Int
    public let nhead: Int
    public let batchFirst: Bool

    public init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                customEncoder: Module? = nil, customDecoder: Module? = nil, layerNormEps: Double = 1e-5,
                batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        if let e = customEncoder {
            encoder = e
        } else {
            let layer = TransformerEncoderLayer(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
                                                layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
            let norm = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
            encoder = TransformerEncoder(layer, numEncoderLayers, norm: norm)
        }
        if let d = customDecoder {
            decoder = d
        } else {
            let layer = TransformerDecoderLayer(dModel, nhead, dimFeedforward: dimFeedforward, dropout: dropout, activation: activation,
                                                layerNormEps: layerNormEps, batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
            let norm = LayerNorm(dModel, eps: layerNormEps, bias: bias, device: device)
            decoder = TransformerDecoder(layer, numDecoderLayers, norm: norm)
        }
        self.dModel = dModel
        self.nhead = nhead
        self.batchFirst = batchFirst
        super.init()
        for p in parameters() where p.rank > 1 { xavierUniform_(p) }
    }
    /// PyTorch's `activation="relu"` / `"gelu"` form.
    public convenience init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                            dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: String, layerNormEps: Double = 1e-5,
                            batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true, device: Device = .cpu) {
        self.init(dModel: dModel, nhead: nhead, numEncoderLayers: numEncoderLayers, numDecoderLayers: numDecoderLayers,
                  dimFeedforward: dimFeedforward, dropout: dropout, activation: .named(activation), layerNormEps: layerNormEps,
                  batchFirst: batchFirst, normFirst: normFirst, bias: bias, device: device)
    }

    public override func namedChildren() -> [(String, Module)] { [("encoder", encoder), ("decoder", decoder)] }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    /// PyTorch's `forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask,
    /// tgt_key_padding_mask, memory_key_padding_mask, src_is_causal, tgt_is_causal, memory_is_causal)`.
    public func callAsFunction(_ src: Tensor, _ tgt: Tensor, srcMask: Tensor? = nil, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               srcKeyPaddingMask: Tensor? = nil, tgtKeyPaddingMask: Tensor? = nil,
                               memoryKeyPaddingMask: Tensor? = nil, srcIsCausal: Bool? = nil, tgtIsCausal: Bool? = nil,
                               memoryIsCausal: Bool = false) -> Tensor {
        let batched = src.rank == 3
        if batched && src.shape[batchFirst ? 0 : 1] != tgt.shape[batchFirst ? 0 : 1] {
            fail("the batch number of src and tgt must be equal")
        }
        if src.shape[src.rank - 1] != dModel || tgt.shape[tgt.rank - 1] != dModel {
            fail("the feature number of src and tgt must be equal to d_model")
        }
        let memory: Tensor
        if let e = encoder as? TransformerEncoder {
            memory = e(src, mask: srcMask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: srcIsCausal)
        } else {
            memory = encoder(src)
        }
        if let d = decoder as? TransformerDecoder {
            return d(tgt, memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                     memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
        }
        fail("Transformer: a custom decoder must be a TransformerDecoder")
    }

    /// The (sz, sz) causal mask: -inf above the diagonal, 0 elsewhere (PyTorch's
    /// `Transformer.generate_square_subsequent_mask`).
    public static func generateSquareSubsequentMask(_ sz: Int, dtype: DType = getDefaultDtype(), device: Device = .cpu) -> Tensor {
        Tensor.full([sz, sz], -Double.infinity, dtype: dtype, device: device).triu(1)
    }
}
