extension Tensor {
    /// The vector p-norm over all elements, or over `dim` (PyTorch's `x.norm(p, dim)` /
    /// `torch.linalg.vector_norm`): p = 2 (default), 1, `.infinity`, 0 (count of nonzeros) or any other p.
    public func norm(_ p: Double = 2, dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        if !dtype.isFloatingPoint { fail("linalg.vector_norm: Expected a floating point or complex tensor as input. Got \(dtype)") }
        let dims: [Int]? = dim.map { [$0] }
        func total(_ t: Tensor) -> Tensor { dims.map { t.sum(dims: $0, keepDim: keepDim) } ?? t.sum() }
        switch p {
        case 2:
            // PyTorch's backward: x * (grad / norm), 0 where the norm is 0 (not the NaN of sqrt's derivative at 0)
            // PyTorch's vectorised kernel along the last (or every) dim where there is one; elsewhere the
            // root is taken inside PyTorch's reduction, correctly rounded: pow(0.5) is, while sqrt()
            // rounds as torch.sqrt (MKL's vector library) does
            let last = dim.map { ($0 < 0 ? $0 + rank : $0) == rank - 1 } ?? true
            var outShape = dim == nil ? [] : Array(shape.dropLast())
            if keepDim { outShape = dim == nil ? [Int](repeating: 1, count: rank) : outShape + [1] }
            let viaKernel = last && rank > 0 ? Kernels.norm2Rows(self, size: dim == nil ? count : shape[rank - 1], outShape: outShape) : nil
            let n = viaKernel ?? noGrad { total(self * self).pow(0.5) }
            if wantsGrad(self) {
                n.recorded(.vectorNorm2(dims: dims, keepDim: keepDim), inputs: [self], saved: [self, n])
            }
            return n
        case 1: return total(abs())
        case .infinity:
            if let d = dim { return abs().max(dim: d, keepDim: keepDim).values }
            return abs().max()
        case 0: return total((self .!= 0).to(dtype: dtype))
        default: return total(abs().pow(p)).pow(1 / p)
        }
    }
}

/// `clipGradNorm_` of one parameter (PyTorch's `clip_grad_norm_(p, max_norm)` with a single tensor).
@discardableResult
public func clipGradNorm_(_ parameter: Parameter, maxNorm: Double, normType: Double = 2, errorIfNonfinite: Bool = false) -> Tensor {
    clipGradNorm_([parameter], maxNorm: maxNorm, normType: normType, errorIfNonfinite: errorIfNonfinite)
}
/// Scales the gradients of `parameters` in place so that their joint `normType`-norm is at most
/// `maxNorm`, and returns that norm before clipping (PyTorch's `nn.utils.clip_grad_norm_`): the
/// norm of the per-gradient norms, scaled by min(1, maxNorm / (norm + 1e-6)).
@discardableResult
public func clipGradNorm_(_ parameters: [Parameter], maxNorm: Double, normType: Double = 2,
                          errorIfNonfinite: Bool = false) -> Tensor {
    let grads = parameters.compactMap(\.grad)
    if grads.isEmpty { return Tensor(0.0) }
    return noGrad {
        let norms = grads.map { $0.norm(normType) }
        let total = stack(norms.map { $0.to(dtype: norms[0].dtype) }).norm(normType)
        let t = total.item()
        if errorIfNonfinite && !t.isFinite {
            fail("The total norm of order \(normType) for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
        }
        // clip_coef = max_norm / (total_norm + 1e-6), clamped at 1, in the norm's dtype as PyTorch computes
        // it: a number divided by a tensor is the tensor's reciprocal times the number (Tensor.__rtruediv__)
        let coef: Double = total.dtype == .float64 ? Swift.min((1 / (t + 1e-6)) * maxNorm, 1.0)
            : Double(Swift.min((1 / (Float(t) + Float(1e-6))) * Float(maxNorm), 1))
        for g in grads { g.mul_(coef) }
        return total
    }
}

/// Clamps every gradient of `parameters` to [-clipValue, clipValue] in place (PyTorch's `nn.utils.clip_grad_value_`).
public func clipGradValue_(_ parameters: [Parameter], clipValue: Double) {
    noGrad {
        for p in parameters { if let g = p.grad { g.copy_(g.clamp(min: -clipValue, max: clipValue)) } }
    }
}

extension Module {
    /// Calls `fn` on every submodule (depth first, children before their parent) and then on
    /// self; returns self (PyTorch's `module.apply`, e.g. to initialise weights).
    @discardableResult public func apply(_ fn: (Module) -> Void) -> Self {
        for c in children() { c.apply(fn) }
        fn(self)
        return self
    }
    /// Sets `requiresGrad` on every parameter (PyTorch's `module.requires_grad_`, e.g. to freeze layers).
    @discardableResult public func requiresGrad_(_ flag: Bool = true) -> Self {
        for p in parameters() { p.requiresGrad = flag }
        return self
    }
}

/// All parameters flattened into one vector, in order (PyTorch's `nn.utils.parameters_to_vector`).
public func parametersToVector(_ parameters: [Parameter]) -> Tensor {
    if parameters.isEmpty { fail("torch.cat(): expected a non-empty list of Tensors") }
    return concat(parameters.map { $0.reshape(-1) })
}
/// Copies consecutive slices of `vector` into `parameters` (PyTorch's `nn.utils.vector_to_parameters`).
public func vectorToParameters(_ vector: Tensor, _ parameters: [Parameter]) {
    if vector.rank != 1 { fail("expected torch.Tensor, but got: a tensor of shape \(shapeString(vector.shape))") }
    let total = parameters.reduce(0) { $0 + $1.count }
    if total != vector.count { fail("shape '[\(total)]' is invalid for input of size \(vector.count)") }
    var start = 0
    noGrad {
        for p in parameters {
            p.copy_(vector.narrow(dim: 0, start: start, length: p.count).reshape(p.shape))
            start += p.count
        }
    }
}

/// Pads a list of variable-length sequences (first dim = length) with `paddingValue` to the longest
/// one and stacks them: `[maxLen, batch, *]`, or `[batch, maxLen, *]` with `batchFirst`
/// (PyTorch's `nn.utils.rnn.pad_sequence`; gradients flow to each sequence). `paddingSide: "left"`
/// pads in front.
public func padSequence(_ sequences: [Tensor], batchFirst: Bool = false, paddingValue: Double = 0, paddingSide: String = "right") -> Tensor {
    guard let first = sequences.first else { fail("received an empty list of sequences") }
    if paddingSide != "right" && paddingSide != "left" { fail("Expected padding_side to be one of left or right, but got \(paddingSide).") }
    let trailing = Array(first.shape.dropFirst())
    for s in sequences where s.rank == 0 || Array(s.shape.dropFirst()) != trailing {
        fail("The size of tensor a (\(trailing)) must match the size of tensor b (\(Array(s.shape.dropFirst()))) at non-singleton dimension 1")
    }
    let maxLen = sequences.map { $0.shape[0] }.max()!
    let padded = sequences.map { s -> Tensor in
        let missing = maxLen - s.shape[0]
        if missing == 0 { return s }
        let fill = Tensor.full([missing] + trailing, paddingValue, dtype: s.dtype, device: s.device)
        return concat(paddingSide == "right" ? [s, fill] : [fill, s])
    }
    return stack(padded, dim: batchFirst ? 0 : 1)
}
