import Foundation

// More of torch.distributions: Uniform, Exponential, Laplace, LogNormal, Gamma, Chi2, Beta,
// Dirichlet, Poisson, MultivariateNormal and Independent, with PyTorch's formulas for log_prob,
// entropy, mean, variance and cdf, and the kl_divergence pairs it registers for them. Draws come
// from the global generator in PyTorch's order (Gamma, Beta, Dirichlet and Poisson through ATen's
// samplers, `standardGamma`, `sampleDirichlet`, `poisson`), so seeded CPU draws equal PyTorch's.

/// The smallest positive normal number of the dtype (`torch.finfo(dtype).tiny`).
func finfoTiny(_ dtype: DType) -> Double { dtype == .float64 ? Double.leastNormalMagnitude : Double(Float.leastNormalMagnitude) }
/// `torch.finfo(dtype).eps`.
func finfoEps(_ dtype: DType) -> Double { dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne) }

/// Two parameters broadcast to one batch shape.
func broadcastPair(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor, [Int]) {
    let s = broadcastShapes(a.shape, b.shape)
    return (a.expand(s), b.expand(s), s)
}

/// Uniform on [low, high) (PyTorch's `Uniform`).
public final class Uniform: CustomStringConvertible {
    public let low: Tensor, high: Tensor
    public let batchShape: [Int]
    public init(_ low: Tensor, _ high: Tensor) { (self.low, self.high, batchShape) = broadcastPair(low, high) }
    public convenience init(_ low: Double, _ high: Double) { self.init(Tensor(low), Tensor(high)) }
    public var mean: Tensor { (high + low) / 2 }
    public var variance: Tensor { (high - low).pow(2) / 12 }
    public var stddev: Tensor { variance.sqrt() }
    /// low + u · (high - low) with u = `torch.rand`: gradients flow to low and high.
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        let u = Tensor.rand(sampleShape + batchShape, dtype: low.dtype, device: low.device)
        return low + u * (high - low)
    }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { rsample(sampleShape) } }
    public func logProb(_ value: Tensor) -> Tensor {
        let lb = (low .<= value).to(dtype: low.dtype), ub = (high .> value).to(dtype: low.dtype)
        return (lb * ub).log() - (high - low).log()
    }
    public func cdf(_ value: Tensor) -> Tensor { ((value - low) / (high - low)).clamp(min: 0, max: 1) }
    public func icdf(_ value: Tensor) -> Tensor { value * (high - low) + low }
    public func entropy() -> Tensor { (high - low).log() }
    public var description: String { distributionRepr("Uniform", [("low", low), ("high", high)]) }
}

/// Exponential with `rate` λ (PyTorch's `Exponential`).
public final class Exponential: CustomStringConvertible {
    public let rate: Tensor
    public var batchShape: [Int] { rate.shape }
    public init(_ rate: Tensor) { self.rate = rate }
    public convenience init(_ rate: Double) { self.init(Tensor(rate)) }
    public var mean: Tensor { rate.reciprocal() }
    public var variance: Tensor { rate.pow(-2) }
    public var stddev: Tensor { rate.reciprocal() }
    /// `exponential_()` draws divided by the rate (gradients flow to the rate).
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        Tensor.empty(sampleShape + batchShape, dtype: rate.dtype, device: rate.device).exponential_() / rate
    }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { rsample(sampleShape) } }
    public func logProb(_ value: Tensor) -> Tensor { rate.log() - rate * value }
    public func cdf(_ value: Tensor) -> Tensor { 1 - (-rate * value).exp() }
    public func icdf(_ value: Tensor) -> Tensor { -(-value).log1p() / rate }
    public func entropy() -> Tensor { 1.0 - rate.log() }
    public var description: String { "Exponential(rate: \(torchSize(rate.shape)))" }
}

/// Laplace with `loc` and `scale` (PyTorch's `Laplace`).
public final class Laplace: CustomStringConvertible {
    public let loc: Tensor, scale: Tensor
    public let batchShape: [Int]
    public init(_ loc: Tensor, _ scale: Tensor) { (self.loc, self.scale, batchShape) = broadcastPair(loc, scale) }
    public convenience init(_ loc: Double, _ scale: Double) { self.init(Tensor(loc), Tensor(scale)) }
    public var mean: Tensor { loc }
    public var variance: Tensor { 2 * scale.pow(2) }
    public var stddev: Tensor { 2.0.squareRoot() * scale }
    /// loc - scale · sign(u) · log1p(-|u|) with u uniform in [eps - 1, 1).
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        let u = Tensor.empty(sampleShape + batchShape, dtype: loc.dtype, device: loc.device).uniform_(finfoEps(loc.dtype) - 1, 1)
        return loc - scale * u.sign() * (-u.abs()).log1p()
    }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { rsample(sampleShape) } }
    public func logProb(_ value: Tensor) -> Tensor { -(2 * scale).log() - (value - loc).abs() / scale }
    public func cdf(_ value: Tensor) -> Tensor { 0.5 - 0.5 * (value - loc).sign() * (-(value - loc).abs() / scale).expm1() }
    public func entropy() -> Tensor { 1 + (2 * scale).log() }
    public var description: String { "Laplace(loc: \(torchSize(loc.shape)), scale: \(torchSize(scale.shape)))" }
}

/// exp of a Normal(loc, scale) (PyTorch's `LogNormal`).
public final class LogNormal: CustomStringConvertible {
    public let baseDist: Normal
    public var loc: Tensor { baseDist.loc }
    public var scale: Tensor { baseDist.scale }
    public var batchShape: [Int] { baseDist.batchShape }
    public init(_ loc: Tensor, _ scale: Tensor) { baseDist = Normal(loc, scale) }
    public convenience init(_ loc: Double, _ scale: Double) { self.init(Tensor(loc), Tensor(scale)) }
    public var mean: Tensor { (loc + scale.pow(2) / 2).exp() }
    public var variance: Tensor { let s2 = scale.pow(2); return s2.expm1() * (2 * loc + s2).exp() }
    public func rsample(_ sampleShape: [Int] = []) -> Tensor { baseDist.rsample(sampleShape).exp() }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { baseDist.sample(sampleShape).exp() } }
    public func logProb(_ value: Tensor) -> Tensor { let y = value.log(); return baseDist.logProb(y) - y }
    public func entropy() -> Tensor { baseDist.entropy() + loc }
    public var description: String { "LogNormal()" }
}

/// Gamma with `concentration` α and `rate` β (PyTorch's `Gamma`).
public class Gamma: CustomStringConvertible {
    public let concentration: Tensor, rate: Tensor
    public let batchShape: [Int]
    public init(_ concentration: Tensor, _ rate: Tensor) { (self.concentration, self.rate, batchShape) = broadcastPair(concentration, rate) }
    public convenience init(_ concentration: Double, _ rate: Double) { self.init(Tensor(concentration), Tensor(rate)) }
    public var mean: Tensor { concentration / rate }
    public var variance: Tensor { concentration / rate.pow(2) }
    public var stddev: Tensor { variance.sqrt() }
    /// `_standard_gamma(α) / β`, at least the dtype's tiny (ATen's sampler), without gradient.
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { rsample(sampleShape) } }
    /// The same draw with the rate's gradient (β enters as 1/β); the concentration gets none here
    /// (PyTorch also differentiates the sampler in α, `_standard_gamma_grad`, which Descent does not).
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        let s = sampleShape + batchShape
        let g = noGrad { standardGamma(concentration.expand(s)) }
        return (g / rate.expand(s)).clamp(min: finfoTiny(concentration.dtype))
    }
    public func logProb(_ value: Tensor) -> Tensor {
        xlogy(concentration, rate) + xlogy(concentration - 1, value) - rate * value - concentration.lgamma()
    }
    public func cdf(_ value: Tensor) -> Tensor { fail("Gamma.cdf needs the regularised incomplete gamma (torch.special.gammainc), which Descent does not have yet") }
    public func entropy() -> Tensor {
        concentration - rate.log() + concentration.lgamma() + (1.0 - concentration) * concentration.digamma()
    }
    public var description: String { "Gamma(concentration: \(torchSize(concentration.shape)), rate: \(torchSize(rate.shape)))" }
}

/// Chi-squared with `df` degrees of freedom: Gamma(df / 2, 1/2) (PyTorch's `Chi2`).
public final class Chi2: Gamma {
    public var df: Tensor { concentration * 2 }
    public init(_ df: Tensor) { super.init(df * 0.5, Tensor.fullLike(df, 0.5)) }
    public convenience init(_ df: Double) { self.init(Tensor(df)) }
    public override var description: String { "Chi2(df: \(torchSize(concentration.shape)))" }
}

/// Dirichlet over the last dim of `concentration` (PyTorch's `Dirichlet`).
public final class Dirichlet: CustomStringConvertible {
    public let concentration: Tensor
    public var batchShape: [Int] { Array(concentration.shape.dropLast()) }
    public var eventShape: [Int] { [concentration.shape[concentration.rank - 1]] }
    public init(_ concentration: Tensor) {
        if concentration.rank < 1 { fail("`concentration` parameter must be at least one-dimensional.") }
        self.concentration = concentration
    }
    public var mean: Tensor { concentration / concentration.sum(dim: -1, keepDim: true) }
    public var variance: Tensor {
        let c0 = concentration.sum(dim: -1, keepDim: true)
        return concentration * (c0 - concentration) / (c0.pow(2) * (c0 + 1))
    }
    /// ATen's `_sample_dirichlet` (gamma draws in double, normalised), without gradient.
    public func sample(_ sampleShape: [Int] = []) -> Tensor {
        noGrad { sampleDirichlet(concentration.expand(sampleShape + batchShape + eventShape)) }
    }
    public func logProb(_ value: Tensor) -> Tensor {
        xlogy(concentration - 1.0, value).sum(dim: -1) + concentration.sum(dim: -1).lgamma() - concentration.lgamma().sum(dim: -1)
    }
    public func entropy() -> Tensor {
        let k = Double(concentration.shape[concentration.rank - 1]), a0 = concentration.sum(dim: -1)
        return concentration.lgamma().sum(dim: -1) - a0.lgamma() - (k - a0) * a0.digamma()
            - ((concentration - 1.0) * concentration.digamma()).sum(dim: -1)
    }
    public var description: String { "Dirichlet(concentration: \(torchSize(concentration.shape)))" }
}

/// Beta(α = concentration1, β = concentration0) on (0, 1), as a two-class Dirichlet (PyTorch's `Beta`).
public final class Beta: CustomStringConvertible {
    public let concentration1: Tensor, concentration0: Tensor
    public let batchShape: [Int]
    let dirichlet: Dirichlet
    public init(_ concentration1: Tensor, _ concentration0: Tensor) {
        (self.concentration1, self.concentration0, batchShape) = broadcastPair(concentration1, concentration0)
        dirichlet = Dirichlet(stack([self.concentration1, self.concentration0], dim: -1))
    }
    public convenience init(_ concentration1: Double, _ concentration0: Double) { self.init(Tensor(concentration1), Tensor(concentration0)) }
    public var mean: Tensor { concentration1 / (concentration1 + concentration0) }
    public var variance: Tensor {
        let total = concentration1 + concentration0
        return concentration1 * concentration0 / (total.pow(2) * (total + 1))
    }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { dirichlet.sample(sampleShape)[.ellipsis, 0] }
    public func logProb(_ value: Tensor) -> Tensor { dirichlet.logProb(stack([value, 1.0 - value], dim: -1)) }
    public func entropy() -> Tensor { dirichlet.entropy() }
    public var description: String { "Beta()" }
}

/// Poisson counts with `rate` λ (PyTorch's `Poisson`; draws are floats).
public final class Poisson: CustomStringConvertible {
    public let rate: Tensor
    public var batchShape: [Int] { rate.shape }
    public init(_ rate: Tensor) { self.rate = rate }
    public convenience init(_ rate: Double) { self.init(Tensor(rate)) }
    public var mean: Tensor { rate }
    public var variance: Tensor { rate }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { poisson(rate.expand(sampleShape + batchShape)) } }
    public func logProb(_ value: Tensor) -> Tensor {
        let (r, v, _) = broadcastPair(rate, value)
        return xlogy(v, r) - r - (v + 1).lgamma()
    }
    public var description: String { "Poisson(rate: \(torchSize(rate.shape)))" }
}

/// A Gaussian over the last dim with mean `loc` and a covariance, its Cholesky factor or its
/// precision (PyTorch's `MultivariateNormal`; give exactly one).
public final class MultivariateNormal: CustomStringConvertible {
    public let loc: Tensor
    /// The lower Cholesky factor L of the covariance (Σ = L Lᵀ).
    public let scaleTril: Tensor
    public let batchShape: [Int]
    public var eventShape: [Int] { [loc.shape[loc.rank - 1]] }
    public init(_ loc: Tensor, covarianceMatrix: Tensor? = nil, scaleTril: Tensor? = nil, precisionMatrix: Tensor? = nil) {
        if loc.rank < 1 { fail("loc must be at least one-dimensional.") }
        if [covarianceMatrix, scaleTril, precisionMatrix].compactMap({ $0 }).count != 1 {
            fail("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        }
        let m = (covarianceMatrix ?? scaleTril ?? precisionMatrix)!
        if m.rank < 2 { fail("covariance_matrix, scale_tril or precision_matrix must be at least two-dimensional, with optional leading batch dimensions") }
        let tril: Tensor
        if let c = covarianceMatrix { tril = linalg.cholesky(c) }
        else if let l = scaleTril { tril = l }
        else {
            // PyTorch's _precision_to_scale_tril: flip, Cholesky, flip, transpose, triangular inverse
            let lf = linalg.cholesky(precisionMatrix!.flip(-2, -1))
            let lInv = lf.flip(-2, -1).transpose(-2, -1)
            tril = linalg.inv(lInv)
        }
        batchShape = broadcastShapes(Array(loc.shape.dropLast()), Array(tril.shape.dropLast(2)))
        let n = loc.shape[loc.rank - 1]
        self.loc = loc.expand(batchShape + [n])
        self.scaleTril = tril.expand(batchShape + [n, n])
    }
    public var mean: Tensor { loc }
    /// Σ log Lᵢᵢ = ½ log det Σ.
    var halfLogDet: Tensor { scaleTril.diagonal(dim1: -2, dim2: -1).log().sum(dim: -1) }
    public var covarianceMatrix: Tensor { scaleTril.matmul(scaleTril.transpose(-2, -1)) }
    public var variance: Tensor { scaleTril.pow(2).sum(dim: -1) }
    /// The square root of `variance`.
    public var stddev: Tensor { variance.sqrt() }
    /// loc + L ε with ε ~ N(0, I) (`normal_` draws): gradients flow to loc and L.
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        let eps = Tensor.empty(sampleShape + batchShape + eventShape, dtype: loc.dtype, device: loc.device).normal_()
        return loc + scaleTril.matmul(eps.unsqueeze(-1)).squeeze(dim: -1)
    }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { noGrad { rsample(sampleShape) } }
    public func logProb(_ value: Tensor) -> Tensor {
        let diff = value - loc
        let shape = broadcastShapes(diff.shape, loc.shape)
        let n = Double(eventShape[0])
        let z = linalg.solve(scaleTril.expand(Array(shape.dropLast()) + [eventShape[0], eventShape[0]]), diff.expand(shape).unsqueeze(-1)).squeeze(dim: -1)
        let m = z.pow(2).sum(dim: -1)
        return -0.5 * (n * Foundation.log(2 * Double.pi) + m) - halfLogDet
    }
    public func entropy() -> Tensor {
        return 0.5 * Double(eventShape[0]) * (1.0 + Foundation.log(2 * Double.pi)) + halfLogDet
    }
    public var description: String { "MultivariateNormal(loc: \(torchSize(loc.shape)), covariance_matrix: \(torchSize(scaleTril.shape)))" }
}

/// Treats the last `reinterpretedBatchNdims` batch dims of a Normal as event dims: log-probs and
/// entropies are summed over them (PyTorch's `Independent`, e.g. `Independent(Normal(mu, sigma), 1)`).
public final class Independent: CustomStringConvertible {
    public let baseDist: Normal
    public let reinterpretedBatchNdims: Int
    public init(_ base: Normal, _ reinterpretedBatchNdims: Int) {
        if reinterpretedBatchNdims > base.batchShape.count {
            fail("Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual \(reinterpretedBatchNdims) vs \(base.batchShape.count)")
        }
        baseDist = base; self.reinterpretedBatchNdims = reinterpretedBatchNdims
    }
    public var batchShape: [Int] { Array(baseDist.batchShape.dropLast(reinterpretedBatchNdims)) }
    public var eventShape: [Int] { Array(baseDist.batchShape.suffix(reinterpretedBatchNdims)) }
    public var mean: Tensor { baseDist.mean }
    public var variance: Tensor { baseDist.variance }
    public func sample(_ sampleShape: [Int] = []) -> Tensor { baseDist.sample(sampleShape) }
    public func rsample(_ sampleShape: [Int] = []) -> Tensor { baseDist.rsample(sampleShape) }
    private func sumRightmost(_ t: Tensor) -> Tensor {
        reinterpretedBatchNdims == 0 ? t : t.sum(dims: Array((t.rank - reinterpretedBatchNdims)..<t.rank))
    }
    public func logProb(_ value: Tensor) -> Tensor { sumRightmost(baseDist.logProb(value)) }
    public func entropy() -> Tensor { sumRightmost(baseDist.entropy()) }
    public var description: String { "Independent(\(baseDist), \(reinterpretedBatchNdims))" }
}

// MARK: - kl_divergence pairs (PyTorch's registrations)

/// KL(p ‖ q) for Uniforms: log((q.high - q.low) / (p.high - p.low)), infinite where p's support leaves q's.
public func klDivergence(_ p: Uniform, _ q: Uniform) -> Tensor {
    let result = ((q.high - q.low) / (p.high - p.low)).log()
    let outside = (q.low .> p.low).logicalOr(q.high .< p.high)
    return result.maskedFill(outside, Double.infinity)
}
/// KL for Exponentials: log(λp/λq) + λq/λp - 1.
public func klDivergence(_ p: Exponential, _ q: Exponential) -> Tensor {
    let ratio = q.rate / p.rate
    return -ratio.log() + ratio - 1
}
/// KL for Laplaces.
public func klDivergence(_ p: Laplace, _ q: Laplace) -> Tensor {
    let scaleRatio = p.scale / q.scale, locAbsDiff = (p.loc - q.loc).abs()
    let t1 = -scaleRatio.log(), t2 = locAbsDiff / q.scale, t3 = scaleRatio * (-locAbsDiff / p.scale).exp()
    return t1 + t2 + t3 - 1
}
/// KL for Gammas.
public func klDivergence(_ p: Gamma, _ q: Gamma) -> Tensor {
    let t1 = q.concentration * (p.rate / q.rate).log()
    let t2 = q.concentration.lgamma() - p.concentration.lgamma()
    let t3 = (p.concentration - q.concentration) * p.concentration.digamma()
    let t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4
}
/// KL for Dirichlets.
public func klDivergence(_ p: Dirichlet, _ q: Dirichlet) -> Tensor {
    let sumP = p.concentration.sum(dim: -1), sumQ = q.concentration.sum(dim: -1)
    let t1 = sumP.lgamma() - sumQ.lgamma()
    let t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(dim: -1)
    let t3 = p.concentration - q.concentration
    let t4 = p.concentration.digamma() - sumP.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(dim: -1)
}
/// KL for Betas.
public func klDivergence(_ p: Beta, _ q: Beta) -> Tensor {
    let sumP = p.concentration1 + p.concentration0, sumQ = q.concentration1 + q.concentration0
    let t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sumP.lgamma()
    let t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sumQ.lgamma()
    let t3 = (p.concentration1 - q.concentration1) * p.concentration1.digamma()
    let t4 = (p.concentration0 - q.concentration0) * p.concentration0.digamma()
    let t5 = (sumQ - sumP) * sumP.digamma()
    return t1 - t2 + t3 + t4 + t5
}
/// KL for Poissons: λp (log λp - log λq) - (λp - λq).
public func klDivergence(_ p: Poisson, _ q: Poisson) -> Tensor { p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate) }
/// KL for Bernoullis.
public func klDivergence(_ p: Bernoulli, _ q: Bernoulli) -> Tensor {
    let t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    let t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    return t1 + t2
}
/// KL for Categoricals: Σ p (log p - log q), 0 where p is 0.
public func klDivergence(_ p: Categorical, _ q: Categorical) -> Tensor {
    let t = p.probs * (p.logits - q.logits)
    return t.maskedFill(q.probs .== 0, Double.infinity).maskedFill(p.probs .== 0, 0).sum(dim: -1)
}
/// KL for MultivariateNormals.
public func klDivergence(_ p: MultivariateNormal, _ q: MultivariateNormal) -> Tensor {
    if p.eventShape != q.eventShape { fail("KL-divergence between two Multivariate Normals with different event shapes cannot be computed") }
    let n = Double(p.eventShape[0])
    let halfTermP = p.halfLogDet, halfTermQ = q.halfLogDet
    let qInvP = linalg.solve(q.scaleTril, p.scaleTril)
    let term2 = qInvP.pow(2).sum(dims: [-2, -1])
    let z = linalg.solve(q.scaleTril, (q.loc - p.loc).unsqueeze(-1)).squeeze(dim: -1)
    let term3 = z.pow(2).sum(dim: -1)
    return halfTermQ - halfTermP + 0.5 * (term2 + term3 - n)
}
/// KL for Independents over Normals: the base KL summed over the reinterpreted dims.
public func klDivergence(_ p: Independent, _ q: Independent) -> Tensor {
    if p.reinterpretedBatchNdims != q.reinterpretedBatchNdims { fail("NotImplementedError: Independent KL with different reinterpreted dims") }
    let k = klDivergence(p.baseDist, q.baseDist), r = p.reinterpretedBatchNdims
    return r == 0 ? k : k.sum(dims: Array((k.rank - r)..<k.rank))
}
