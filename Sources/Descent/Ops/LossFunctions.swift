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
