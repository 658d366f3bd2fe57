import Foundation

// Small tensor functions of PyTorch's that are compositions of existing ops (their gradients come with them).

extension Tensor {
    /// `movedim` (NumPy's name; PyTorch's `moveaxis`).
    public func moveaxis(_ source: Int, _ destination: Int) -> Tensor { movedim(source, destination) }
    /// The elements as one dimension (PyTorch's `ravel`): a view when the tensor is contiguous.
    public func ravel() -> Tensor { reshape([-1]) }
    /// The elements at flat indices `index`, in `index`'s shape (PyTorch's `take`).
    public func take(_ index: Tensor) -> Tensor {
        if index.dtype != .int64 && index.dtype != .int32 { fail("take(): Expected a long tensor for index, but got \(index.dtype)") }
        return reshape([-1]).indexSelect(dim: 0, index.reshape([-1]).to(dtype: .int64)).reshape(index.shape)
    }
    /// The sign (PyTorch's `sgn`; the same as `sign` for real tensors).
    public func sgn() -> Tensor { sign() }
    /// Where the elements are +inf (PyTorch's `isposinf`).
    public func isposinf() -> Tensor { noGrad { dtype.isFloatingPoint ? self .== Double.infinity : Tensor.zeros(shape, dtype: .bool, device: device) } }
    /// Where the elements are -inf (PyTorch's `isneginf`).
    public func isneginf() -> Tensor { noGrad { dtype.isFloatingPoint ? self .== -Double.infinity : Tensor.zeros(shape, dtype: .bool, device: device) } }
    /// The element-wise maximum ignoring NaN: a NaN loses to a number (PyTorch's `fmax`).
    public func fmax(_ other: Tensor) -> Tensor { `where`(isnan(), other, `where`(other.isnan(), self, maximum(other))) }
    /// The element-wise minimum ignoring NaN (PyTorch's `fmin`).
    public func fmin(_ other: Tensor) -> Tensor { `where`(isnan(), other, `where`(other.isnan(), self, minimum(other))) }
    /// A 2-D tensor with the flattened input on diagonal `offset` (PyTorch's `diagflat`).
    public func diagflat(_ offset: Int = 0) -> Tensor { reshape([-1]).diag(offset) }
    /// The sum of products over the last dimensions of both (PyTorch's `inner`; a scalar operand multiplies).
    public func inner(_ other: Tensor) -> Tensor {
        if rank == 0 || other.rank == 0 { return self * other }
        if shape.last != other.shape.last {
            fail("inner() the last dimension must match on both input tensors but got shapes \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        return tensordot(self, other, dims: ([rank - 1], [other.rank - 1]))
    }
    /// The dot product of two 1-D tensors (PyTorch's `vdot`; real tensors need no conjugation).
    public func vdot(_ other: Tensor) -> Tensor { dot(other) }
    /// log det of a square matrix or a batch; NaN where the determinant is negative (PyTorch's `logdet`).
    public func logdet() -> Tensor {
        let (s, l) = linalg.slogdet(self)
        return `where`(s .< 0, Tensor.scalar(.nan, dtype: l.dtype), `where`(s .== 0, Tensor.scalar(-.infinity, dtype: l.dtype), l))
    }
    /// `beta · self + alpha · outer(vec1, vec2)` (PyTorch's `addr`).
    public func addr(_ vec1: Tensor, _ vec2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        let o = vec1.outer(vec2)
        let scaled = alpha == 1 ? o : o * alpha
        // beta 0 ignores self (its NaN and inf included), as PyTorch's
        return beta == 0 ? scaled + Tensor.zerosLike(self) : (beta == 1 ? self : self * beta) + scaled
    }
}

/// `x.moveaxis(source, destination)`.
public func moveaxis(_ x: Tensor, _ source: Int, _ destination: Int) -> Tensor { x.moveaxis(source, destination) }
/// `x.ravel()`.
public func ravel(_ x: Tensor) -> Tensor { x.ravel() }
/// `x.take(index)`.
public func take(_ x: Tensor, _ index: Tensor) -> Tensor { x.take(index) }
/// `a.fmax(b)`.
public func fmax(_ a: Tensor, _ b: Tensor) -> Tensor { a.fmax(b) }
/// `a.fmin(b)`.
public func fmin(_ a: Tensor, _ b: Tensor) -> Tensor { a.fmin(b) }
/// `a.inner(b)`.
public func inner(_ a: Tensor, _ b: Tensor) -> Tensor { a.inner(b) }
/// `a.logdet()`.
public func logdet(_ a: Tensor) -> Tensor { a.logdet() }

/// Samples from the Gumbel-softmax distribution (PyTorch's `F.gumbel_softmax`): softmax((logits + g) / tau) with
/// g = -log(Exponential(1)) drawn as PyTorch draws it; `hard` returns one-hot vectors whose gradient is the soft sample's.
public func gumbelSoftmax(_ logits: Tensor, tau: Double = 1, hard: Bool = false, dim: Int = -1) -> Tensor {
    let gumbels = noGrad { -Tensor.emptyLike(logits).exponential_().log() }
    let ySoft = ((logits + gumbels) / tau).softmax(dim: dim)
    if !hard { return ySoft }
    let index = ySoft.max(dim: dim, keepDim: true).indices
    let yHard = noGrad { Tensor.zerosLike(logits).scatter(dim: dim, index: index, value: 1) }
    return yHard - ySoft.detach() + ySoft
}

/// `cosineSimilarity` as a module (PyTorch's `nn.CosineSimilarity`).
public final class CosineSimilarity: Module {
    public let dim: Int, eps: Double
    public init(dim: Int = 1, eps: Double = 1e-8) { self.dim = dim; self.eps = eps; super.init() }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor { cosineSimilarity(x1, x2, dim: dim, eps: eps) }
}

/// `pairwiseDistance` as a module (PyTorch's `nn.PairwiseDistance`).
public final class PairwiseDistance: Module {
    public let p: Double, eps: Double, keepDim: Bool
    public init(p: Double = 2, eps: Double = 1e-6, keepDim: Bool = false) { self.p = p; self.eps = eps; self.keepDim = keepDim; super.init() }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor { pairwiseDistance(x1, x2, p: p, eps: eps, keepDim: keepDim) }
}

/// The triplet loss with any distance (PyTorch's `nn.TripletMarginWithDistanceLoss`): mean(max(margin + d(a, p) -
/// d(a, n), 0)), `d` the pairwise distance by default; `swap` uses min(d(a, n), d(p, n)).
public final class TripletMarginWithDistanceLoss: Module {
    public let distanceFunction: ((Tensor, Tensor) -> Tensor)?
    public let margin: Double, swap: Bool, reduction: Reduction
    public init(distanceFunction: ((Tensor, Tensor) -> Tensor)? = nil, margin: Double = 1, swap: Bool = false, reduction: Reduction = .mean) {
        if !(margin > 0) { fail("TripletMarginWithDistanceLoss: expected margin to be greater than 0, got \(margin) instead") }
        self.distanceFunction = distanceFunction; self.margin = margin; self.swap = swap; self.reduction = reduction
        super.init()
    }
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        let d = distanceFunction ?? { pairwiseDistance($0, $1) }
        var neg = d(anchor, negative)
        if swap { neg = neg.minimum(d(positive, negative)) }
        return reduce((d(anchor, positive) - neg + margin).clamp(min: 0), reduction)
    }
}
