// Activation functions written with other tensor ops (PyTorch's `F.softplus(beta)`, `F.hardtanh`,
// `F.mish`, `F.gelu(approximate='tanh')`, `F.hardswish`, `F.hardsigmoid`, `F.selu`, `F.prelu`): each is an
// op value whose forward and slope sit together below; `Op.activation` records it under PyTorch's grad_fn
// name. Mish and tanh-GELU run torch_act.c's kernels on float32 CPU tensors (PyTorch's bits).

/// A pointwise activation: its value and its slope, both in tensor ops (so every backend runs them).
enum PointwiseActivation {
    case softplus(beta: Double, threshold: Double)
    case hardtanh(min: Double, max: Double)
    case mish, geluTanh, hardswish, hardsigmoid, selu

    static let seluAlpha = 1.6732632423543772848170429916717, seluScale = 1.0507009873554804934193349852946
    /// tanh-GELU's constants: √2 · (2/√π) · 0.5 (= √(2/π)) and 0.044715.
    static let geluBeta = 2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5, geluKappa = 0.044715
    /// β (x + κ x³), tanh-GELU's tanh argument.
    static func geluTanhInner(_ x: Tensor) -> Tensor { (x + x * x * x * geluKappa) * geluBeta }

    var gradFnName: String {
        switch self {
        case .softplus: return "SoftplusBackward0"
        case .hardtanh: return "HardtanhBackward0"
        case .mish: return "MishBackward0"
        case .geluTanh: return "GeluBackward0"
        case .hardswish: return "HardswishBackward0"
        case .hardsigmoid: return "HardsigmoidBackward0"
        case .selu: return "EluBackward0"
        }
    }
    func value(_ x: Tensor) -> Tensor {
        switch self {
        case let .softplus(beta, threshold):
            let bx = x * beta
            return `where`(bx .> threshold, x, (bx.exp().log1p()) / beta)
        case let .hardtanh(lo, hi): return x.clamp(min: lo, max: hi)
        case .mish: return Kernels.activationForward(.mish, x) ?? x * (x.exp().log1p()).tanh()
        case .geluTanh:
            if let y = Kernels.activationForward(.geluTanh, x) { return y }
            return x * 0.5 * (Self.geluTanhInner(x).tanh() + 1)
        case .hardswish: return x * (x + 3).clamp(min: 0, max: 6) / 6
        case .hardsigmoid: return (x + 3).clamp(min: 0, max: 6) / 6
        case .selu: return x.unary(.elu, Self.seluAlpha, Self.seluScale, .elu(Self.seluAlpha), save: .nothing)   // PyTorch's elu with scale
        }
    }
    func slope(_ x: Tensor) -> Tensor {
        switch self {
        case let .softplus(beta, threshold):
            let bx = x * beta
            return `where`(bx .> threshold, Tensor.onesLike(x), bx.sigmoid())
        case let .hardtanh(lo, hi): return ((x .> lo) .&& (x .< hi)).to(dtype: x.dtype)
        case .mish:
            let t = (x.exp().log1p()).tanh()
            return t + x * x.sigmoid() * (1 - t * t)
        case .geluTanh:   // PyTorch's left_derivative + right_derivative
            let t = Self.geluTanhInner(x).tanh()
            return (t + 1) * 0.5 + x * 0.5 * (1 - t * t) * ((x * x * (3 * Self.geluKappa) + 1) * Self.geluBeta)
        case .hardswish: return `where`(x .< -3, Tensor.zerosLike(x), `where`(x .<= 3, x / 3 + 0.5, Tensor.onesLike(x)))
        case .hardsigmoid: return ((x .> -3) .&& (x .< 3)).to(dtype: x.dtype) / 6
        case .selu: return `where`(x .> 0, Tensor.fullLike(x, Self.seluScale), x.exp() * (Self.seluAlpha * Self.seluScale))
        }
    }
}

extension Tensor {
    /// Runs a pointwise activation, recording it as one node.
    func activation(_ a: PointwiseActivation) -> Tensor {
        let out = noGrad { a.value(self) }
        if wantsGrad(self) { out.recorded(.activation(a), inputs: [self], saved: [self]) }
        return out
    }

    /// log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (PyTorch's `F.softplus`).
    public func softplus(beta: Double, threshold: Double = 20) -> Tensor { activation(.softplus(beta: beta, threshold: threshold)) }
    /// x clamped to [minVal, maxVal] (PyTorch's `F.hardtanh`); the slope is 1 strictly inside.
    public func hardtanh(minVal: Double = -1, maxVal: Double = 1) -> Tensor { activation(.hardtanh(min: minVal, max: maxVal)) }
    /// min(max(x, 0), 6) (PyTorch's `F.relu6`).
    public func relu6() -> Tensor { hardtanh(minVal: 0, maxVal: 6) }
    /// x * tanh(softplus(x)) (PyTorch's `F.mish`).
    public func mish() -> Tensor { activation(.mish) }
    /// x * relu6(x + 3) / 6 (PyTorch's `F.hardswish`).
    public func hardswish() -> Tensor { activation(.hardswish) }
    /// relu6(x + 3) / 6 (PyTorch's `F.hardsigmoid`).
    public func hardsigmoid() -> Tensor { activation(.hardsigmoid) }
    /// x / (1 + |x|) (PyTorch's `F.softsign`, a composite there too).
    public func softsign() -> Tensor { self / (abs() + 1) }
    /// scale * elu(x, alpha) with SELU's constants (PyTorch's `F.selu`).
    public func selu() -> Tensor { activation(.selu) }
    /// softmax(-x) along `dim` (PyTorch's `F.softmin`).
    public func softmin(dim: Int) -> Tensor { (-self).softmax(dim: dim) }
}

/// x > 0 ? x : weight * x, `weight` of one value or one per channel (dim 1) (PyTorch's `F.prelu`).
public func prelu(_ x: Tensor, _ weight: Tensor) -> Tensor {
    let n = weight.count
    if n != 1 && (x.rank < 2 || x.shape[1] != n) {
        fail("Mismatch of parameter numbers and input channel size. Found parameter numbers = \(n) and channel size = \(x.rank >= 2 ? x.shape[1] : 1).")
    }
    // the slopes shaped to broadcast over dim 1
    var wshape = [Int](repeating: 1, count: Swift.max(x.rank, 1))
    if n != 1 { wshape[1] = n }
    let w = n == 1 ? weight.reshape([]) : weight.reshape(wshape)
    let out = noGrad { `where`(x .> 0, x, x * w) }
    if wantsGrad(x, weight) {
        let reduceDims = n == 1 ? Array(0..<x.rank) : (0..<x.rank).filter { $0 != 1 }
        let wShape = weight.shape
        out.recorded(.prelu(reduceDims: reduceDims, wShape: wShape), inputs: [x, weight], saved: [x, w])
    }
    return out
}

extension Op {
    /// PreluKernelBackward0: g where x > 0, else g·w; the slope's gradient summed over all but the channel dim.
    static func preluBackward(reduceDims: [Int], wShape: [Int], _ g: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let (x, w) = (s[0], s[1])
        let pos = x .> 0
        let gx = needs[0] ? `where`(pos, g, g * w) : nil
        let gw = needs[1] ? `where`(pos, Tensor.zerosLike(g), g * x).sum(dims: reduceDims).reshape(wShape) : nil
        return [gx, gw]
    }
}
