// The loss functions (PyTorch's `torch.nn.functional` losses), each recorded as one op; the loss
// modules that call them are in Losses/.

/// How a loss combines per-element values (PyTorch's `reduction=`).
public enum Reduction: Sendable { case mean, sum, none }

func reduce(_ l: Tensor, _ r: Reduction) -> Tensor {
    switch r { case .mean: return l.mean(); case .sum: return l.sum(); case .none: return l }
}

func checkSameShape(_ input: Tensor, _ target: Tensor, _ what: String) {
    if input.shape != target.shape {
        fail("Using a target size (torch.Size(\(shapeString(target.shape)))) that is different to the input size (torch.Size(\(shapeString(input.shape)))) is deprecated. Please ensure they have the same size.")
    }
}

/// What PyTorch's regression losses (mse, l1, huber, smooth L1) do with differently shaped input and
/// target: warn once, then broadcast both (a (N, 1) prediction against a (N,) target becomes N x N).
func broadcastForLoss(_ input: Tensor, _ target: Tensor) -> (Tensor, Tensor) {
    if input.shape == target.shape { return (input, target) }
    warnOnce("Using a target size (torch.Size(\(shapeString(target.shape)))) that is different to the input size (torch.Size(\(shapeString(input.shape)))). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.")
    let shape = broadcastShapes(input.shape, target.shape)
    return (input.expand(shape), target.expand(shape))
}

/// A loss computed element by element, with its derivatives in both operands for a unit upstream
/// gradient of the unreduced loss; `elementwiseLoss` records it as one node (`Op.elementwiseLoss`).
enum ElementwiseLoss {
    case mse, huber(delta: Double), smoothL1(beta: Double)
    /// On probabilities, with an optional per-element weight.
    case binaryCrossEntropy(weight: Tensor?)
    /// On logits, with optional per-element weight and positive-class weight.
    case binaryCrossEntropyWithLogits(weight: Tensor?, posWeight: Tensor?)

    var gradFnName: String {
        switch self {
        case .mse: return "MseLossBackward0"
        case .huber: return "HuberLossBackward0"
        case .smoothL1: return "SmoothL1LossBackward0"
        case .binaryCrossEntropy: return "BinaryCrossEntropyBackward0"
        case .binaryCrossEntropyWithLogits: return "BinaryCrossEntropyWithLogitsBackward0"
        }
    }
    func perElement(_ input: Tensor, _ target: Tensor) -> Tensor {
        switch self {
        case .mse: return (input - target).pow(2)
        case .huber(let delta):
            let d = (input - target).abs()
            return `where`(d .< delta, d * d * 0.5, (d - 0.5 * delta) * delta)
        case .smoothL1(let beta):
            let d = (input - target).abs()
            return `where`(d .< beta, d * d * (0.5 / beta), d - 0.5 * beta)
        case .binaryCrossEntropy(let w):
            let l = -(target * input.log().clamp(min: -100) + (1 - target) * (1 - input).log().clamp(min: -100))
            return w.map { l * $0 } ?? l
        case let .binaryCrossEntropyWithLogits(w, pw):
            // (1 - y) * x + (1 + (pw - 1) * y) * softplus(-x)   [softplus(-x) = -logsigmoid(x)]
            let sp = (-input).softplus()
            let l: Tensor
            if let pw = pw { l = (1 - target) * input + (1 + (pw - 1) * target) * sp }
            else { l = (1 - target) * input + sp }
            return w.map { l * $0 } ?? l
        }
    }
    func gradInput(_ x: Tensor, _ y: Tensor) -> Tensor {
        switch self {
        case .mse: return (x - y) * 2
        case .huber(let delta): return (x - y).clamp(min: -delta, max: delta)
        case .smoothL1(let beta): return (x - y).clamp(min: -beta, max: beta) / beta
        case .binaryCrossEntropy(let w):
            // PyTorch: grad * (x - y) / max((1 - x) * x, eps)
            let g = (x - y) / ((1 - x) * x).clamp(min: 1e-12)
            return w.map { g * $0 } ?? g
        case let .binaryCrossEntropyWithLogits(w, pw):
            let s = x.sigmoid()
            if let pw = pw {
                let g = (1 - y) - (1 + (pw - 1) * y) * (1 - s)
                return w.map { g * $0 } ?? g
            }
            let g = s - y
            return w.map { g * $0 } ?? g
        }
    }
    func gradTarget(_ x: Tensor, _ y: Tensor) -> Tensor {
        switch self {
        case .mse: return (y - x) * 2
        case .huber(let delta): return (y - x).clamp(min: -delta, max: delta)
        case .smoothL1(let beta): return (y - x).clamp(min: -beta, max: beta) / beta
        case .binaryCrossEntropy(let w):
            let g = (1 - x).log().clamp(min: -100) - x.log().clamp(min: -100)
            return w.map { g * $0 } ?? g
        case let .binaryCrossEntropyWithLogits(w, pw):
            let g: Tensor = pw.map { -x - ($0 - 1) * (-x).softplus() } ?? -x
            return w.map { g * $0 } ?? g
        }
    }
}

/// Computes an elementwise loss and its reduction without recording, then records one node.
func elementwiseLoss(_ kind: ElementwiseLoss, input: Tensor, target: Tensor, reduction: Reduction) -> Tensor {
    let l = noGrad { kind.perElement(input, target) }
    let out = noGrad { reduce(l, reduction) }
    if wantsGrad(input, target) {
        out.recorded(.elementwiseLoss(kind, reduction: reduction, count: Swift.max(l.count, 1)), inputs: [input, target], saved: [input, target])
    }
    return out
}

/// Mean squared error (PyTorch's `F.mse_loss`).
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    let (input, target) = broadcastForLoss(input, target)
    return elementwiseLoss(.mse, input: input, target: target, reduction: reduction)
}

/// Mean absolute error (PyTorch's `F.l1_loss`).
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    let (input, target) = broadcastForLoss(input, target)
    return reduce((input - target).abs(), reduction)
}

/// Binary cross-entropy on probabilities (PyTorch's `F.binary_cross_entropy`); logs clamped at -100.
public func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "bce")
    if let out = fusedBCE(input, target, weight: weight, posWeight: nil, logits: false, reduction: reduction) { return out }
    return elementwiseLoss(.binaryCrossEntropy(weight: weight), input: input, target: target, reduction: reduction)
}

/// Binary cross-entropy on logits, computed stably (PyTorch's `F.binary_cross_entropy_with_logits`).
public func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    if input.shape != target.shape {
        fail("Target size (torch.Size(\(shapeString(target.shape)))) must be the same as input size (torch.Size(\(shapeString(input.shape))))")
    }
    if let out = fusedBCE(input, target, weight: weight, posWeight: posWeight, logits: true, reduction: reduction) { return out }
    return elementwiseLoss(.binaryCrossEntropyWithLogits(weight: weight, posWeight: posWeight), input: input, target: target, reduction: reduction)
}

/// The one-pass kernels behind `binaryCrossEntropy` (probabilities) and `binaryCrossEntropyWithLogits`
/// when input, target, weight and posWeight share a float dtype; nil otherwise (the composed
/// formulas then run). Values and the input gradient follow PyTorch's formulas operation by
/// operation; the target gradient (rarely wanted) uses the composed formulas.
private func fusedBCE(_ input: Tensor, _ target: Tensor, weight: Tensor?, posWeight: Tensor?, logits: Bool,
                      reduction: Reduction) -> Tensor? {
    let dtype = input.dtype
    guard dtype == .float32 || dtype == .float64, target.dtype == dtype,
          weight.map({ $0.dtype == dtype }) ?? true, posWeight.map({ $0.dtype == dtype }) ?? true,
          !target.requiresGradFlag || !gradEnabled,
          !(weight?.requiresGradFlag ?? false) || !gradEnabled, !(posWeight?.requiresGradFlag ?? false) || !gradEnabled
    else { return nil }
    let shape = input.shape, n = input.count
    let x = input.contiguous(), y = target.contiguous()
    let w = weight.map { $0.expand(shape).contiguous() }, pw = posWeight.map { $0.expand(shape).contiguous() }
    let l = Tensor(uninitializedShape: shape, dtype: dtype, device: input.device)
    Kernels.bceForward(logits: logits, x, y, weight: w, posWeight: pw, out: l)
    let out = noGrad { reduce(l, reduction) }
    if wantsGrad(input) {
        let divisor = reduction == .mean ? Double(Swift.max(n, 1)) : 1
        out.recorded(.fusedBinaryCrossEntropy(logits: logits, reduction: reduction, divisor: divisor, hasWeight: w != nil, hasPosWeight: pw != nil),
                     inputs: [input], saved: [x, y] + (w.map { [$0] } ?? []) + (pw.map { [$0] } ?? []))
    }
    return out
}

/// Negative log-likelihood on log-probabilities (N, C) or (N, C, d...) with class-index targets
/// (PyTorch's `F.nll_loss`), with class `weight` and `ignoreIndex`.
public func nllLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) -> Tensor {
    nllCore(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, fusedLogits: false)
}

/// Rows (M, C) of a class-dim-1 tensor (N, C, d...) and the way back.
private func rowsView(_ x: Tensor) -> (rows: Tensor, back: RowsLayout) {
    if x.rank <= 2 {
        let shape = x.shape
        return (x.rank == 1 ? x.reshape(1, -1).contiguous() : x.contiguous(), .reshaped(shape))
    }
    let c = x.shape[1]
    let perm = [0] + Array(2..<x.rank) + [1]
    var inv = [Int](repeating: 0, count: perm.count)
    for (i, p) in perm.enumerated() { inv[p] = i }
    let permutedShape = perm.map { x.shape[$0] }
    return (x.permute(perm).reshape(-1, c).contiguous(), .permuted(permutedShape, inverse: inv))
}

/// NLL on log-probabilities, or (fusedLogits) softmax + NLL on logits in one node whose backward is
/// softmax(x) - onehot: PyTorch's `nll_loss` / `cross_entropy` with class-index targets.
func nllCore(_ input: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int, reduction: Reduction, fusedLogits: Bool) -> Tensor {
    if target.dtype != .int64 { fail("expected scalar type Long but found \(target.dtype.scalarTypeName)") }
    if !input.dtype.isFloatingPoint { fail("nll_loss expects a floating point input, got \(input.dtype)") }
    let batch = input.rank == 1 ? 1 : input.shape[0]
    let tb = target.rank == 0 ? 1 : target.shape[0]
    if input.rank >= 2 && batch != tb { fail("Expected input batch_size (\(batch)) to match target batch_size (\(tb)).") }
    let classDim = input.rank == 1 ? 0 : 1
    let c = input.shape[classDim]
    if let w = weight, w.shape != [c] { fail("weight tensor should be defined either for all \(c) classes or no classes but got weight tensor of shape: \(shapeString(w.shape))") }
    let (rows, back) = noGrad { rowsView(fusedLogits ? input.logSoftmax(dim: classDim) : input) }
    let m = rows.shape[0]
    let t = target.reshape(-1).contiguous()
    if t.count != m { fail("Expected target size \(shapeString([m])), got \(shapeString(target.shape))") }
    let w = weight.map { $0.to(dtype: input.dtype).contiguous() }
    checkSameDevice(input, target)
    let rowLoss = Tensor(uninitializedShape: [m], dtype: input.dtype, device: input.device)
    // each row's class weight (0 for ignored rows), in double
    let rowW = Tensor(uninitializedShape: [m], dtype: .float64, device: input.device)
    Kernels.nllForward(rows, t, weight: w, ignoreIndex: ignoreIndex, rowLoss: rowLoss, rowWeight: rowW)
    let out: Tensor = noGrad {
        if reduction != .none && input.rank <= 2 {
            // PyTorch's nll_loss_out_frame: an 8-level cascade over the rows, in the input's precision
            return Kernels.nllReduce(rowLoss, rowWeight: rowW, t, ignoreIndex: ignoreIndex, weighted: weight != nil, mean: reduction == .mean)
        }
        switch reduction {
        case .none: return rowLoss.reshape(target.shape)
        case .sum: return rowLoss.sum()
        case .mean: return rowLoss.sum() / rowW.sum().to(dtype: input.dtype)
        }
    }
    if wantsGrad(input) {
        // PyTorch's node: NllLoss2DBackward0 for inputs of rank 3 and more, except that an
        // unreduced loss over a rank-3 or rank-5+ input is reshaped last (ViewBackward0).
        let name = input.rank < 3 ? "NllLossBackward0"
            : (reduction == .none && input.rank != 4 ? "ViewBackward0" : "NllLoss2DBackward0")
        out.recorded(.nll(name, fromLogits: fusedLogits, reduction: reduction, rows: m, classes: c, back: back), inputs: [input], saved: [rows, t, rowW])
    }
    return out
}

/// Cross-entropy on logits (PyTorch's `F.cross_entropy`): targets are class indices (int64) or class
/// probabilities (float, same shape as the input); `weight`, `ignoreIndex` and `labelSmoothing` as in PyTorch.
/// With class indices, softmax and the loss are one fused node (backward: softmax - one-hot).
public func crossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                         reduction: Reduction = .mean, labelSmoothing: Double = 0) -> Tensor {
    let classDim = input.rank == 1 ? 0 : 1
    let c = input.shape[classDim]
    if target.dtype.isFloatingPoint {
        let logp = input.logSoftmax(dim: classDim)
        if target.shape != input.shape {
            // PyTorch then reads the target as class indices and rejects its dtype
            fail("expected target dtype to be Long or Byte, but got \(target.dtype == .float64 ? "Double" : "Float")")
        }
        var y = target
        if labelSmoothing > 0 { y = y * (1 - labelSmoothing) + labelSmoothing / Double(c) }
        var l = logp * y
        if let w = weight {
            var ws = [Int](repeating: 1, count: input.rank); ws[classDim] = c
            l = l * w.reshape(ws)
        }
        // PyTorch's order: -(input * target * weight).sum(...) [/ (numel / C)]
        switch reduction {
        case .none: return -l.sum(dim: classDim)
        case .sum: return -l.sum()
        case .mean: return divScalar(-l.sum(), Double(input.count / c))
        }
    }
    if labelSmoothing <= 0 {
        return nllCore(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, fusedLogits: true)
    }
    let logp = input.logSoftmax(dim: classDim)
    let nll = nllLoss(logp, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    // smoothing term: -sum_c w_c * logp_c / C over non-ignored rows
    var smooth = logp
    if let w = weight {
        var ws = [Int](repeating: 1, count: input.rank); ws[classDim] = c
        smooth = smooth * w.reshape(ws)
    }
    let mask = (target .!= ignoreIndex).to(dtype: input.dtype)
    let per = -smooth.sum(dim: classDim) * mask
    let sm: Tensor
    switch reduction {
    case .none: sm = per
    case .sum: sm = per.sum()
    case .mean:
        if let w = weight {
            let safe = `where`(target .== ignoreIndex, Tensor.zerosLike(target), target)
            let tw = noGrad { w.indexSelect(dim: 0, safe.reshape(-1)).reshape(target.shape) * mask }
            sm = per.sum() / tw.sum()
        } else { sm = per.sum() / mask.sum() }
    }
    return nll * (1 - labelSmoothing) + sm * (labelSmoothing / Double(c))
}

/// Huber loss (PyTorch's `F.huber_loss`).
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Double = 1, reduction: Reduction = .mean) -> Tensor {
    let (input, target) = broadcastForLoss(input, target)
    return elementwiseLoss(.huber(delta: delta), input: input, target: target, reduction: reduction)
}

/// Smooth L1 loss (PyTorch's `F.smooth_l1_loss`).
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Double = 1, reduction: Reduction = .mean) -> Tensor {
    let (input, target) = broadcastForLoss(input, target)
    if beta == 0 { return l1Loss(input, target, reduction: reduction) }
    return elementwiseLoss(.smoothL1(beta: beta), input: input, target: target, reduction: reduction)
}

/// `t / d` recorded as ATen's `div(Tensor, Scalar)` (`DivBackward1`), as PyTorch's C++ losses divide.
private func divScalar(_ t: Tensor, _ d: Double) -> Tensor {
    let out = noGrad { t / d }
    if wantsGrad(t) {
        out.recorded(.divScalar(d), inputs: [t])
    }
    return out
}

/// KL divergence with log-probability input (PyTorch's `F.kl_div`); `batchmean` divides by the batch size.
public func klDiv(_ input: Tensor, _ target: Tensor, reduction: KLReduction = .mean, logTarget: Bool = false) -> Tensor {
    // PyTorch: target.exp() * (target - input), or xlogy(target, target) - target * input
    let l: Tensor = logTarget ? target.exp() * (target - input) : xlogy(target, target) - target * input
    switch reduction {
    case .mean: return l.mean()
    case .sum: return l.sum()
    case .none: return l
    case .batchMean: return l.sum() / Double(input.rank == 0 ? 1 : input.shape[0])
    }
}
/// x * log(y), 0 where x is 0 (PyTorch's `torch.xlogy`); differentiable in both, with PyTorch's
/// gradients (d/dx = log y, 0 where x = 0 and y <= 0).
public func xlogy(_ x: Tensor, _ y: Tensor) -> Tensor {
    // log of 1 where x == 0 and y <= 0, so that neither the value nor a gradient is NaN there
    let safeY = `where`((x .== 0) .&& (y .<= 0), Tensor.onesLike(y), y)
    return x * safeY.log()
}
/// KL divergence's reductions, including PyTorch's `batchmean`.
public enum KLReduction: Sendable { case mean, sum, none, batchMean }

// MARK: - Loss modules


/// How NLL's (rows, classes) gradient goes back to the input's layout.
enum RowsLayout {
    case reshaped([Int])
    case permuted([Int], inverse: [Int])
    func apply(_ g: Tensor) -> Tensor {
        switch self {
        case .reshaped(let shape): return g.reshape(shape)
        case let .permuted(shape, inv): return g.reshape(shape).permute(inv).contiguous()
        }
    }
}

extension Op {
    /// The input's gradient of the fused BCE kernels (the target's, rarely wanted, takes the composed formulas).
    static func fusedBinaryCrossEntropyBackward(logits: Bool, reduction: Reduction, divisor: Double, hasWeight: Bool, hasPosWeight: Bool,
                                                _ g: Tensor, _ s: [Tensor]) -> [Tensor?] {
        let (x, y) = (s[0], s[1])
        let w = hasWeight ? s[2] : nil, pw = hasPosWeight ? s[hasWeight ? 3 : 2] : nil
        let up = (reduction == .none ? g.expand(x.shape) : g).to(dtype: x.dtype).contiguous()
        let gx = Tensor(uninitializedShape: x.shape, dtype: x.dtype, device: up.device)
        Kernels.bceBackward(logits: logits, x, y, weight: w, posWeight: pw, upstream: up, upstreamIsElementwise: reduction == .none,
                            divisor: divisor, gx: gx)
        return [gx]
    }
    /// NLL's (or the fused softmax + NLL's) input gradient, back in the input's layout.
    static func nllBackward(fromLogits: Bool, reduction: Reduction, rows m: Int, classes c: Int, back: RowsLayout,
                            _ g: Tensor, _ saved: [Tensor]) -> [Tensor?] {
        let up = g.to(dtype: saved[0].dtype).contiguous()
        let gx = Tensor(uninitializedShape: [m, c], dtype: saved[0].dtype, device: up.device)
        Kernels.nllBackward(fromLogits: fromLogits, logProbs: saved[0], saved[1], rowWeight: saved[2], upstream: up,
                            upstreamIsElementwise: reduction == .none, mean: reduction == .mean, gx: gx)
        return [back.apply(gx)]
    }
}

// MARK: - Similarity, distance and padding functions (PyTorch's `F.normalize`, `F.cosine_similarity`, `F.pad`)

/// Divides by the `p`-norm along `dim`, at least `eps` (PyTorch's `F.normalize`).
public func normalize(_ input: Tensor, p: Double = 2, dim: Int = 1, eps: Double = 1e-12) -> Tensor {
    input / input.norm(p, dim: dim, keepDim: true).clamp(min: eps).expand(input.shape)
}
/// Cosine of the angle between `x1` and `x2` along `dim`, each norm at least `eps` (PyTorch's
/// `F.cosine_similarity`: each input divided by its norm, then the products summed).
public func cosineSimilarity(_ x1: Tensor, _ x2: Tensor, dim: Int = 1, eps: Double = 1e-8) -> Tensor {
    let shape = broadcastShapes(x1.shape, x2.shape)
    let (a, b) = (x1.expand(shape), x2.expand(shape))
    // clones, clamped without recording, as PyTorch's: the gradient flows through the clamp unchanged
    let na = a.norm(2, dim: dim, keepDim: true).clone(), nb = b.norm(2, dim: dim, keepDim: true).clone()
    noGrad { na.clamp_(min: eps); nb.clamp_(min: eps) }
    return ((a / na) * (b / nb)).sum(dim: dim)
}
/// The `p`-norm of `x1 - x2 + eps` along the last dim (PyTorch's `F.pairwise_distance`).
public func pairwiseDistance(_ x1: Tensor, _ x2: Tensor, p: Double = 2, eps: Double = 1e-6, keepDim: Bool = false) -> Tensor {
    (x1 - x2 + eps).norm(p, dim: -1, keepDim: keepDim)
}
/// Pads the last dims with `value` (PyTorch's `F.pad` in "constant" mode): `pad` holds (before, after)
/// pairs from the last dim backwards; negative amounts crop.
public func pad(_ input: Tensor, _ pad: [Int], mode: String = "constant", value: Double = 0) -> Tensor {
    if !["constant", "reflect", "replicate", "circular"].contains(mode) {
        fail("Unrecognised padding mode \(mode)")
    }
    if pad.count % 2 != 0 { fail("Padding length must be divisible by 2") }
    if pad.count / 2 > input.rank { fail("Padding length should be less than or equal to two times the input dimension but got padding length \(pad.count) and input of dimension \(input.rank)") }
    if mode != "constant" {
        // gather along each padded dim: reflect mirrors without the edge, replicate repeats it, circular wraps
        var out = input
        for k in 0..<(pad.count / 2) {
            let d = input.rank - 1 - k, n = input.shape[d]
            let (before, after) = (pad[2 * k], pad[2 * k + 1])
            if before == 0 && after == 0 { continue }
            if mode == "reflect" && (before >= n || after >= n || before < 0 || after < 0) {
                fail("Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(before), \(after)) at dimension \(d) of input \(shapeString(input.shape))")
            }
            if mode == "circular" && (before > n || after > n) { fail("Padding value causes wrapping around more than once.") }
            let idx = (-before..<(n + after)).map { p -> Int in
                switch mode {
                case "reflect": return p < 0 ? -p : (p >= n ? 2 * (n - 1) - p : p)
                case "replicate": return Swift.min(Swift.max(p, 0), n - 1)
                default: return ((p % n) + n) % n
                }
            }
            out = out.indexSelect(dim: d, Tensor(idx))
        }
        return out
    }
    var out = input
    for k in 0..<(pad.count / 2) {
        let d = input.rank - 1 - k
        var (before, after) = (pad[2 * k], pad[2 * k + 1])
        if before < 0 { out = out.narrow(dim: d, start: -before, length: out.shape[d] + before); before = 0 }
        if after < 0 { out = out.narrow(dim: d, start: 0, length: out.shape[d] + after); after = 0 }
        if before == 0 && after == 0 { continue }
        func block(_ n: Int) -> Tensor {
            var s = out.shape; s[d] = n
            return Tensor.full(s, value, dtype: out.dtype, device: out.device)
        }
        out = concat((before > 0 ? [block(before)] : []) + [out] + (after > 0 ? [block(after)] : []), dim: d)
    }
    return out
}

// MARK: - Ranking, embedding and likelihood losses

/// max(0, -y·(x1 - x2) + margin) (PyTorch's `F.margin_ranking_loss`).
public func marginRankingLoss(_ input1: Tensor, _ input2: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean) -> Tensor {
    reduce((-target * (input1 - input2) + margin).clampMin(0), reduction)
}
/// 1 - cos(x1, x2) for y = 1, max(0, cos - margin) for y = -1 (PyTorch's `F.cosine_embedding_loss`).
public func cosineEmbeddingLoss(_ input1: Tensor, _ input2: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean) -> Tensor {
    let d = input1.rank - 1
    let eps = 1e-12
    let prod = (input1 * input2).sum(dim: d)
    let mag1 = (input1 * input1).sum(dim: d) + eps, mag2 = (input2 * input2).sum(dim: d) + eps
    let cos = prod / (mag1 * mag2).sqrt()
    let zeros = Tensor.zerosLike(cos)
    let pos = 1 - cos, neg = (cos - margin).clampMin(0)
    return reduce(`where`(target .== 1, pos, zeros) + `where`(target .== -1, neg, zeros), reduction)
}
/// max(0, margin + d(a, p) - d(a, n)) with the pairwise p-norm distance (PyTorch's `F.triplet_margin_loss`).
public func tripletMarginLoss(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor, margin: Double = 1, p: Double = 2,
                              eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
    let dPos = pairwiseDistance(anchor, positive, p: p, eps: eps)
    var dNeg = pairwiseDistance(anchor, negative, p: p, eps: eps)
    if swap { dNeg = minimum(dNeg, pairwiseDistance(positive, negative, p: p, eps: eps)) }
    return reduce((dPos - dNeg + margin).clampMin(0), reduction)
}
/// Negative log-likelihood of a Gaussian with predicted mean `input` and variance `variance`
/// (PyTorch's `F.gaussian_nll_loss`: 0.5·(log var + (input - target)² / var), var clamped at `eps`).
public func gaussianNLLLoss(_ input: Tensor, _ target: Tensor, _ variance: Tensor, full: Bool = false, eps: Double = 1e-6,
                            reduction: Reduction = .mean) -> Tensor {
    var v = variance
    if v.shape != input.shape {
        if Array(input.shape.dropLast()) == v.shape { v = v.unsqueeze(-1) }
        else if !(Array(input.shape.dropLast()) == Array(v.shape.dropLast()) && v.shape.last == 1) { fail("var is of incorrect size") }
    }
    if (noGrad { (v .< 0).any().item() }) != 0 { fail("var has negative entry/entries") }
    v = v.clone()
    noGrad { v.clamp_(min: eps) }
    var loss = 0.5 * (v.log() + (input - target).pow(2) / v)
    if full { loss = loss + 0.9189385332046727 }   // 0.5 * log(2π), as PyTorch adds 0.5 * math.log(2 * math.pi)
    return reduce(loss, reduction)
}
/// Negative log-likelihood of a Poisson distribution (PyTorch's `F.poisson_nll_loss`): exp(input) -
/// target·input for log inputs, else input - target·log(input + eps); `full` adds Stirling's term.
public func poissonNLLLoss(_ input: Tensor, _ target: Tensor, logInput: Bool = true, full: Bool = false, eps: Double = 1e-8,
                           reduction: Reduction = .mean) -> Tensor {
    var loss = logInput ? input.exp() - target * input : input - target * (input + eps).log()
    if full {
        let stirling = target * target.log() - target + 0.5 * (2 * Double.pi * target).log()
        loss = loss + stirling.maskedFill(target .<= 1, 0)
    }
    return reduce(loss, reduction)
}
