import Foundation

// Attention: PyTorch's `F.scaled_dot_product_attention` and `nn.MultiheadAttention`, composed of
// public tensor ops (so every backend runs them and autograd differentiates them). Shapes, masks,
// defaults, parameter names and initialisation are PyTorch's; the arithmetic follows the path
// PyTorch takes on the CPU (the flash kernel's (q kᵀ)·scale, exp(s - max), (e v)/Σe for 4-D inputs
// without dropout, the math kernel's (q√scale)(kᵀ√scale), softmax, dropout otherwise), so results
// agree with PyTorch's to float32 rounding, though not bit for bit (PyTorch's flash kernel blocks its
// sums and uses its own exp).

/// A boolean mask as an additive float mask: false (masked) → -inf, true → 0 (SDPA's convention).
private func additiveMask(_ mask: Tensor, dtype: DType, keepWhereTrue: Bool) -> Tensor {
    if mask.dtype.isFloatingPoint { return mask }
    if mask.dtype != .bool { fail("only bool and floating types of masks are supported") }
    let drop = keepWhereTrue ? mask.logicalNot() : mask
    return Tensor.zeros(mask.shape, dtype: dtype, device: mask.device).maskedFill(drop, -Double.infinity)
}

/// PyTorch's `F.scaled_dot_product_attention`: softmax(q kᵀ · scale + mask) v over the last two
/// dims, with any leading (broadcast) batch dims. `attnMask` is boolean (true = may attend) or
/// additive float; `isCausal` masks the upper triangle (top-left aligned, as PyTorch); `scale`
/// defaults to 1/√E; `dropoutP` drops attention weights (always, as PyTorch: pass 0 in eval);
/// `enableGQA` lets key and value have fewer heads (dim -3) than query. Rows with every key masked
/// give zeros, as PyTorch's safe softmax does.
public func scaledDotProductAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, attnMask: Tensor? = nil,
                                      dropoutP: Double = 0, isCausal: Bool = false, scale: Double? = nil,
                                      enableGQA: Bool = false) -> Tensor {
    if query.rank < 2 || key.rank < 2 || value.rank < 2 {
        fail("scaled_dot_product_attention: expected query, key and value to have at least 2 dimensions, got \(query.rank), \(key.rank) and \(value.rank)")
    }
    if query.dtype != key.dtype || query.dtype != value.dtype {
        fail("Expected query, key, and value to have the same dtype, but got query.dtype: \(query.dtype.name) key.dtype: \(key.dtype.name) and value.dtype: \(value.dtype.name) instead.")
    }
    let e = query.shape[query.rank - 1]
    if key.shape[key.rank - 1] != e {
        fail("scaled_dot_product_attention: query and key must have the same last dimension, got \(shapeString(query.shape)) and \(shapeString(key.shape))")
    }
    if key.shape[key.rank - 2] != value.shape[value.rank - 2] {
        fail("scaled_dot_product_attention: key and value must have the same sequence length, got \(shapeString(key.shape)) and \(shapeString(value.shape))")
    }
    if isCausal && attnMask != nil { fail("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True") }
    checkDropoutP(dropoutP)
    var k = key, v = value
    if enableGQA && query.rank >= 3 && key.rank >= 3 && query.shape[query.rank - 3] != key.shape[key.rank - 3] {
        let hq = query.shape[query.rank - 3], hk = key.shape[key.rank - 3]
        if hq % hk != 0 || value.shape[value.rank - 3] != hk {
            fail("scaled_dot_product_attention: number of heads in key/value must divide number of heads in query")
        }
        func repeatHeads(_ t: Tensor) -> Tensor {
            let d = t.rank - 3, s = t.shape
            let expanded = t.unsqueeze(d + 1).expand(Array(s[..<(d + 1)]) + [hq / hk] + Array(s[(d + 1)...]))
            return expanded.reshape(Array(s[..<d]) + [hq] + Array(s[(d + 1)...]))
        }
        k = repeatHeads(k)
        v = repeatHeads(v)
    }
    let l = query.shape[query.rank - 2], s = k.shape[k.rank - 2]
    var mask = attnMask.map { additiveMask($0, dtype: query.dtype, keepWhereTrue: true) }
    if isCausal {
        let keep = Tensor.ones([l, s], dtype: .bool, device: query.device).tril()
        mask = additiveMask(keep, dtype: query.dtype, keepWhereTrue: true)
    }
    let sc = scale ?? 1 / Double(e).squareRoot()
    let flash = query.rank == 4 && key.rank == 4 && value.rank == 4 && dropoutP == 0
    if flash {
        // PyTorch's CPU flash kernel: q kᵀ, then scaled (and the mask added), exp(s - rowmax), (e v) / Σe
        var sq = query.matmul(k.transpose(-2, -1)) * sc
        if let m = mask { sq = sq + m }
        // a row with every key masked has max -inf: it gives zeros (exp(-inf) = 0 over a sum taken as 1)
        let rowMax = noGrad { sq.amax(dim: -1, keepDim: true) }
        let dead = noGrad { rowMax .== -Double.infinity }
        let ex = (sq - noGrad { rowMax.maskedFill(dead, 0) }).exp()
        var sum = ex.sum(dim: -1, keepDim: true)
        if mask != nil { sum = sum.maskedFill(dead, 1) }
        return ex.matmul(v) * sum.reciprocal()
    }
    // the math kernel: both factors scaled by √scale before the product
    let root = sc.squareRoot()
    var sq = (query * root).matmul(k.transpose(-2, -1) * root)
    if let m = mask { sq = sq + m }
    var attn: Tensor
    if mask != nil {
        // PyTorch's _safe_softmax: a row with every key masked gives zeros (and no NaN gradient)
        let dead = noGrad { sq.amax(dim: -1, keepDim: true) .== -Double.infinity }
        attn = sq.maskedFill(dead, 0).softmax(dim: -1).maskedFill(dead, 0)
    } else {
        attn = sq.softmax(dim: -1)
    }
    if dropoutP > 0 { attn = dropout(attn, p: dropoutP, training: true) }
    return attn.matmul(v)
}

/// Multi-head attention (PyTorch's `nn.MultiheadAttention`): `numHeads` heads of embedDim/numHeads
/// dims over projected queries, keys and values, then an output projection. Parameters are PyTorch's
/// (`in_proj_weight` (3E, E), `in_proj_bias`, `out_proj`; or `q_proj_weight`, `k_proj_weight`,
/// `v_proj_weight` when `kdim`/`vdim` differ from E), initialised as PyTorch does: `out_proj` as a
/// Linear, then a Xavier-uniform in-projection and zero biases. Inputs are (L, N, E), or (N, L, E)
/// with `batchFirst`, or unbatched (L, E). `addBiasKV`/`addZeroAttn` are not supported.
public final class MultiheadAttention: Module {
    public let embedDim: Int
    public let kdim: Int
    public let vdim: Int
    public let numHeads: Int
    /// Dropout on the attention weights while training.
    public let dropout: Double
    public let batchFirst: Bool
    public let headDim: Int
    /// The packed (3E, E) query/key/value projection, or nil when kdim or vdim differ from E.
    public var inProjWeight: Parameter?
    public var qProjWeight: Parameter?
    public var kProjWeight: Parameter?
    public var vProjWeight: Parameter?
    /// The packed (3E) projection bias, or nil without `bias`.
    public var inProjBias: Parameter?
    /// The output projection (PyTorch prints it as `NonDynamicallyQuantizableLinear`).
    public let outProj: Linear

    var qkvSameEmbedDim: Bool { kdim == embedDim && vdim == embedDim }

    public init(_ embedDim: Int, _ numHeads: Int, dropout: Double = 0, bias: Bool = true, addBiasKV: Bool = false,
                addZeroAttn: Bool = false, kdim: Int? = nil, vdim: Int? = nil, batchFirst: Bool = false, device: Device = .cpu) {
        if embedDim <= 0 || numHeads <= 0 {
            fail("embed_dim and num_heads must be greater than 0, got embed_dim=\(embedDim) and num_heads=\(numHeads) instead")
        }
        if addBiasKV || addZeroAttn { fail("MultiheadAttention: add_bias_kv and add_zero_attn are not supported") }
        self.embedDim = embedDim
        self.kdim = kdim ?? embedDim
        self.vdim = vdim ?? embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        headDim = embedDim / numHeads
        if headDim * numHeads != embedDim { fail("embed_dim must be divisible by num_heads") }
        if self.kdim == embedDim && self.vdim == embedDim {
            inProjWeight = Parameter(Tensor.empty([3 * embedDim, embedDim], device: device))
        } else {
            qProjWeight = Parameter(Tensor.empty([embedDim, embedDim], device: device))
            kProjWeight = Parameter(Tensor.empty([embedDim, self.kdim], device: device))
            vProjWeight = Parameter(Tensor.empty([embedDim, self.vdim], device: device))
        }
        inProjBias = bias ? Parameter(Tensor.empty([3 * embedDim], device: device)) : nil
        outProj = Linear(embedDim, embedDim, bias: bias, device: device)   // draws its weights, as PyTorch's does here
        super.init()
        resetParameters()
    }

    /// PyTorch's `_reset_parameters`: Xavier-uniform in-projection(s), zero biases.
    public func resetParameters() {
        if let w = inProjWeight { xavierUniform_(w) }
        else { for w in [qProjWeight, kProjWeight, vProjWeight] { xavierUniform_(w!) } }
        if let b = inProjBias {
            constant_(b, 0)
            if let ob = outProj.bias { constant_(ob, 0) }
        }
    }

    public override func namedDirectParameters() -> [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        if let w = inProjWeight { out.append(("in_proj_weight", w)) }
        if let w = qProjWeight { out.append(("q_proj_weight", w)) }
        if let w = kProjWeight { out.append(("k_proj_weight", w)) }
        if let w = vProjWeight { out.append(("v_proj_weight", w)) }
        if let b = inProjBias { out.append(("in_proj_bias", b)) }
        return out
    }
    public override func namedChildren() -> [(String, Module)] { [("out_proj", outProj)] }
    override func childReprs() -> [(String, String)] {
        [("out_proj", "NonDynamicallyQuantizableLinear(" + outProj.extraRepr() + ")")]
    }

    /// Self-attention output alone (query = key = value = x), for use inside `Sequential`.
    public override func forward(_ x: Tensor) -> Tensor { self(x, x, x, needWeights: false).0 }

    /// PyTorch's `forward`: the attention output and, with `needWeights`, the attention weights
    /// (averaged over heads unless `averageAttnWeights` is false). `keyPaddingMask` (N, S) marks keys
    /// to ignore (true or -inf); `attnMask` (L, S) or (N·H, L, S) is boolean (true = not allowed) or
    /// additive; `isCausal` is a hint that `attnMask` is the causal mask (it must be given).
    public func callAsFunction(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
                               needWeights: Bool = true, attnMask: Tensor? = nil, averageAttnWeights: Bool = true,
                               isCausal: Bool = false) -> (Tensor, Tensor?) {
        let batched = query.rank == 3
        var q = query, k = key, v = value
        if batchFirst && batched {
            if key === value {
                if query === key { q = query.transpose(1, 0); k = q; v = q }
                else { q = query.transpose(1, 0); k = key.transpose(1, 0); v = k }
            } else {
                q = query.transpose(1, 0); k = key.transpose(1, 0); v = value.transpose(1, 0)
            }
        }
        let (out, weights) = attentionForward(q, k, v, keyPaddingMask: keyPaddingMask, needWeights: needWeights,
                                              attnMask: attnMask, averageAttnWeights: averageAttnWeights, isCausal: isCausal)
        return (batchFirst && batched ? out.transpose(1, 0) : out, weights)
    }

    /// PyTorch's `F.multi_head_attention_forward` on sequence-first inputs.
    func attentionForward(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor?, needWeights: Bool,
                          attnMask: Tensor?, averageAttnWeights: Bool, isCausal: Bool) -> (Tensor, Tensor?) {
        let batched = query.rank == 3
        if query.rank != 3 && query.rank != 2 {
            fail("query should be unbatched 2D or batched 3D tensor but received \(query.rank)-D query tensor")
        }
        if key.rank != query.rank || value.rank != query.rank {
            fail("For \(batched ? "batched (3-D)" : "unbatched (2-D)") `query`, expected `key` and `value` to be \(query.rank)-D but found \(key.rank)-D and \(value.rank)-D tensors respectively")
        }
        var q0 = query, k0 = key, v0 = value, kpm = keyPaddingMask
        if !batched {
            q0 = query.unsqueeze(1)
            k0 = key === query ? q0 : key.unsqueeze(1)
            v0 = value === key ? k0 : (value === query ? q0 : value.unsqueeze(1))
            kpm = keyPaddingMask?.unsqueeze(0)
        }
        let tgtLen = q0.shape[0], bsz = q0.shape[1], e = q0.shape[2]
        if e != embedDim { fail("was expecting embedding dimension of \(embedDim), but got \(e)") }
        let dtype = q0.dtype
        kpm = kpm.map { additiveMask($0, dtype: dtype, keepWhereTrue: false) }
        if isCausal && attnMask == nil {
            fail("Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask.")
        }
        var mask: Tensor?
        var causal = isCausal
        if isCausal && kpm == nil && !needWeights {
            mask = nil
        } else {
            mask = attnMask.map { additiveMask($0, dtype: dtype, keepWhereTrue: false) }
            if kpm != nil { causal = false }
        }
        // in-projection (PyTorch's _in_projection_packed / _in_projection)
        var q: Tensor, k: Tensor, v: Tensor
        if let w = inProjWeight {
            if k0.shape != v0.shape { fail("key shape \(shapeString(k0.shape)) does not match value shape \(shapeString(v0.shape))") }
            if k0 === v0 {
                if q0 === k0 {
                    let proj = linear(q0, w, inProjBias).unflatten(-1, [3, e]).unsqueeze(0).transpose(0, -2).squeeze(dim: -2).contiguous()
                    (q, k, v) = (proj[0], proj[1], proj[2])
                } else {
                    let ws = w.split([e, 2 * e]), bs = inProjBias?.split([e, 2 * e])
                    q = linear(q0, ws[0], bs?[0])
                    let kv = linear(k0, ws[1], bs?[1]).unflatten(-1, [2, e]).unsqueeze(0).transpose(0, -2).squeeze(dim: -2).contiguous()
                    (k, v) = (kv[0], kv[1])
                }
            } else {
                let ws = w.chunk(3), bs = inProjBias?.chunk(3)
                (q, k, v) = (linear(q0, ws[0], bs?[0]), linear(k0, ws[1], bs?[1]), linear(v0, ws[2], bs?[2]))
            }
        } else {
            if Array(k0.shape.prefix(2)) != Array(v0.shape.prefix(2)) {
                fail("key's sequence and batch dims \(shapeString(Array(k0.shape.prefix(2)))) do not match value's \(shapeString(Array(v0.shape.prefix(2))))")
            }
            let bs = inProjBias?.chunk(3)
            (q, k, v) = (linear(q0, qProjWeight!, bs?[0]), linear(k0, kProjWeight!, bs?[1]), linear(v0, vProjWeight!, bs?[2]))
        }
        let srcLen = k.shape[0]
        if var m = mask {
            if m.rank == 2 {
                if m.shape != [tgtLen, srcLen] { fail("The shape of the 2D attn_mask is \(torchSize(m.shape)), but should be \(torchSize([tgtLen, srcLen])).") }
                m = m.unsqueeze(0)
            } else if m.rank == 3 {
                if m.shape != [bsz * numHeads, tgtLen, srcLen] {
                    fail("The shape of the 3D attn_mask is \(torchSize(m.shape)), but should be \(torchSize([bsz * numHeads, tgtLen, srcLen])).")
                }
            } else {
                fail("attn_mask's dimension \(m.rank) is not supported")
            }
            mask = m
        }
        q = q.reshape([tgtLen, bsz * numHeads, headDim]).transpose(0, 1)
        k = k.reshape([srcLen, bsz * numHeads, headDim]).transpose(0, 1)
        v = v.reshape([srcLen, bsz * numHeads, headDim]).transpose(0, 1)
        if let p = kpm {
            if p.shape != [bsz, srcLen] {
                fail("Expected key_padded_mask.shape equal to \(torchSize([bsz, srcLen])), but got \(torchSize(p.shape))")
            }
            let expanded = p.view([bsz, 1, 1, srcLen]).expand([bsz, numHeads, 1, srcLen]).reshape([bsz * numHeads, 1, srcLen])
            mask = mask.map { $0 + expanded } ?? expanded
        }
        let dropoutP = isTraining ? dropout : 0
        if needWeights {
            let qScaled = q * (1.0 / Double(headDim)).squareRoot()
            var w = qScaled.bmm(k.transpose(-2, -1))
            if let m = mask { w = m + w }
            w = w.softmax(dim: -1)
            if dropoutP > 0 { w = Descent.dropout(w, p: dropoutP, training: true) }
            var out = w.bmm(v).transpose(0, 1).reshape([tgtLen * bsz, embedDim])
            out = linear(out, outProj.weight, outProj.bias).view([tgtLen, bsz, embedDim])
            var weights = w.view([bsz, numHeads, tgtLen, srcLen])
            if averageAttnWeights { weights = weights.mean(dim: 1) }
            if !batched { return (out.squeeze(dim: 1), weights.squeeze(dim: 0)) }
            return (out, weights)
        }
        if let m = mask {
            mask = m.shape[0] == 1 && m.rank == 3 ? m.unsqueeze(0) : m.view([bsz, numHeads, -1, srcLen])
        }
        let q4 = q.reshape([bsz, numHeads, tgtLen, headDim])
        let k4 = k.reshape([bsz, numHeads, srcLen, headDim])
        let v4 = v.reshape([bsz, numHeads, srcLen, headDim])
        let a = scaledDotProductAttention(q4, k4, v4, attnMask: mask, dropoutP: dropoutP, isCausal: causal && mask == nil)
        var out = a.permute(2, 0, 1, 3).reshape([bsz * tgtLen, embedDim])
        out = linear(out, outProj.weight, outProj.bias).view([tgtLen, bsz, embedDim])
        return (batched ? out : out.squeeze(dim: 1), nil)
    }
}
