// Probability distributions (PyTorch's `torch.distributions`): Normal, Categorical and Bernoulli with
// `sample`, `rsample` (reparameterised, differentiable), `logProb` and `entropy`, and the Normal-Normal
// `klDivergence`, as VAE and policy-gradient programs use them. Samples draw from the global generator
// in PyTorch's order, so a seeded program draws PyTorch's numbers.

import Foundation

/// A Gaussian with mean `loc` and standard deviation `scale`, broadcast together (PyTorch's `Normal`).
public final class Normal: CustomStringConvertible {
    public let loc: Tensor, scale: Tensor
    /// The shape of one draw (loc and scale broadcast).
    public let batchShape: [Int]
    public init(_ loc: Tensor, _ scale: Tensor) {
        (self.loc, self.scale, batchShape) = broadcastPair(loc, scale)
    }
    public convenience init(_ loc: Double, _ scale: Double) { self.init(Tensor(loc), Tensor(scale)) }
    /// A number for the scale, in `loc`'s dtype (`Normal(mu, 1.0)`).
    public convenience init(_ loc: Tensor, _ scale: Double) { self.init(loc, Tensor.full([], scale, dtype: loc.dtype)) }
    /// A number for the mean, in `scale`'s dtype (`Normal(0.0, sigma)`).
    public convenience init(_ loc: Double, _ scale: Tensor) { self.init(Tensor.full([], loc, dtype: scale.dtype), scale) }
    /// PyTorch's keyword form, `Normal(loc=mu, scale=sigma)`.
    public convenience init(loc: Tensor, scale: Tensor) { self.init(loc, scale) }
    public var mean: Tensor { loc }
    public var stddev: Tensor { scale }
    public var variance: Tensor { scale.pow(2) }
    /// The shape of one event: a scalar (`[]`).
    public var eventShape: [Int] { [] }
    /// Draws of shape sampleShape + batchShape, without gradient (PyTorch's `torch.normal(loc, scale)`).
    public func sample(_ sampleShape: [Int] = []) -> Tensor {
        noGrad { Tensor.randn(sampleShape + batchShape, dtype: loc.dtype, device: loc.device) * scale + loc }
    }
    /// loc + ε · scale with ε ~ N(0, 1): gradients flow to loc and scale (PyTorch's `rsample`).
    public func rsample(_ sampleShape: [Int] = []) -> Tensor {
        let eps = Tensor.randn(sampleShape + batchShape, dtype: loc.dtype, device: loc.device)
        return loc + eps * scale
    }
    /// log p(value) (PyTorch's `log_prob`).
    public func logProb(_ value: Tensor) -> Tensor {
        let v = scale.pow(2), logScale = scale.log()
        return -((value - loc).pow(2)) / (v * 2) - logScale - Foundation.log(Foundation.sqrt(2 * Double.pi))
    }
    /// The differential entropy, 0.5 + 0.5 log(2π) + log σ.
    public func entropy() -> Tensor { scale.log() + (0.5 + 0.5 * Foundation.log(2 * Double.pi)) }
    /// The cumulative distribution function.
    public func cdf(_ value: Tensor) -> Tensor { (((value - loc) * scale.reciprocal() / 2.0.squareRoot()).erf() + 1) * 0.5 }
    /// The inverse CDF, loc + scale · erfinv(2v − 1) · √2 (PyTorch's `icdf`).
    public func icdf(_ value: Tensor) -> Tensor { loc + scale * (2 * value - 1).erfinv() * 2.0.squareRoot() }
    public var description: String { distributionRepr("Normal", [("loc", loc), ("scale", scale)]) }
}

/// A distribution over the indices of the last dim, from `probs` (normalised to sum to 1) or `logits`
/// (PyTorch's `Categorical`).
public final class Categorical: CustomStringConvertible {
    /// Log-probabilities, normalised (logits − logsumexp).
    public let logits: Tensor
    /// Probabilities, normalised.
    public let probs: Tensor
    private let fromLogits: Bool
    public init(probs: Tensor) {
        let p = probs / probs.sum(dim: -1, keepDim: true)
        self.probs = p
        let eps = finfoEps(p.dtype)
        logits = p.clamp(min: eps, max: 1 - eps).log()
        fromLogits = false
    }
    public init(logits: Tensor) {
        self.logits = logits - logits.logsumexp(dim: -1, keepDim: true)
        probs = self.logits.softmax(dim: -1)
        fromLogits = true
    }
    /// The shape of one draw (all dims but the last).
    public var batchShape: [Int] { Array(probs.shape.dropLast()) }
    /// The shape of one event: a class index (`[]`).
    public var eventShape: [Int] { [] }
    /// Undefined for class labels: NaN, as PyTorch's.
    public var mean: Tensor { Tensor.full(batchShape, .nan, dtype: probs.dtype, device: probs.device) }
    /// Undefined for class labels: NaN, as PyTorch's.
    public var variance: Tensor { Tensor.full(batchShape, .nan, dtype: probs.dtype, device: probs.device) }
    /// The number of classes (the size of the last dim).
    public var numEvents: Int { probs.shape[probs.rank - 1] }
    public var description: String {
        distributionRepr("Categorical", [fromLogits ? ("logits", logits) : ("probs", probs)])
    }
    /// Indices (int64) of shape sampleShape + batchShape (PyTorch's `torch.multinomial(probs, n, True).T`).
    public func sample(_ sampleShape: [Int] = []) -> Tensor {
        noGrad {
            let n = sampleShape.reduce(1, *), k = probs.shape[probs.rank - 1]
            let draws = probs.reshape(-1, k).multinomial(n, replacement: true).t()
            return draws.reshape(sampleShape + batchShape)
        }
    }
    /// log p(value) for class indices `value`.
    public func logProb(_ value: Tensor) -> Tensor {
        let idx = value.to(dtype: .int64).unsqueeze(-1)
        let shape = broadcastShapes(idx.shape, logits.shape)
        let lp = logits.expand(shape)
        let v = idx.expand(Array(shape.dropLast()) + [1])
        return lp.gather(dim: -1, index: v).squeeze(dim: -1)
    }
    /// −Σ p log p over the last dim.
    public func entropy() -> Tensor {
        let minReal = logits.dtype == .float64 ? -Double.greatestFiniteMagnitude : -Double(Float.greatestFiniteMagnitude)
        return -(logits.clamp(min: minReal) * probs).sum(dim: -1)
    }
}

/// A coin with probability `probs` of 1, or `logits` (PyTorch's `Bernoulli`).
public final class Bernoulli: CustomStringConvertible {
    public let probs: Tensor, logits: Tensor
    private let fromLogits: Bool
    public init(probs: Tensor) {
        self.probs = probs
        let eps = finfoEps(probs.dtype)
        let p = probs.clamp(min: eps, max: 1 - eps)
        logits = p.log() - (-p).log1p()
        fromLogits = false
    }
    public init(logits: Tensor) { self.logits = logits; probs = logits.sigmoid(); fromLogits = true }
    /// PyTorch's positional form, `Bernoulli(probs)`.
    public convenience init(_ probs: Tensor) { self.init(probs: probs) }
    /// A number for the probability (`Bernoulli(0.3)`, a float32 scalar).
    public convenience init(_ probs: Double) { self.init(probs: Tensor(probs)) }
    /// A number for the probability.
    public convenience init(probs: Double) { self.init(probs: Tensor(probs)) }
    /// The shape of one draw.
    public var batchShape: [Int] { probs.shape }
    /// The shape of one event: a scalar (`[]`).
    public var eventShape: [Int] { [] }
    /// `probs`.
    public var mean: Tensor { probs }
    /// p (1 − p).
    public var variance: Tensor { probs * (1 - probs) }
    /// √(p (1 − p)).
    public var stddev: Tensor { variance.sqrt() }
    public var description: String { distributionRepr("Bernoulli", [fromLogits ? ("logits", logits) : ("probs", probs)]) }
    /// 0/1 draws of shape sampleShape + probs.shape (PyTorch's `torch.bernoulli`).
    public func sample(_ sampleShape: [Int] = []) -> Tensor {
        noGrad { probs.expand(sampleShape + probs.shape).contiguous().bernoulli() }
    }
    /// log p(value), as −BCE-with-logits.
    public func logProb(_ value: Tensor) -> Tensor {
        let shape = broadcastShapes(logits.shape, value.shape)
        return -binaryCrossEntropyWithLogits(logits.expand(shape), value.expand(shape), reduction: .none)
    }
    /// The entropy, as BCE-with-logits of the probabilities on themselves.
    public func entropy() -> Tensor { binaryCrossEntropyWithLogits(logits, probs, reduction: .none) }
}

/// KL(p ‖ q) for two Normals (PyTorch's `kl_divergence`): log(σq/σp) + (σp² + (μp − μq)²) / (2σq²) − ½.
public func klDivergence(_ p: Normal, _ q: Normal) -> Tensor {
    let varRatio = (p.scale / q.scale).pow(2)
    let t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return (varRatio + t1 - 1 - varRatio.log()) * 0.5
}

/// PyTorch's `Distribution.__repr__`: each parameter as its value when it holds one number (a 0-dim
/// one as a Python float, `Normal(loc: 0.0, scale: 1.0)`), else as its `torch.Size`.
func distributionRepr(_ name: String, _ params: [(String, Tensor)]) -> String {
    let args = params.map { (key, t) -> String in
        if t.count != 1 { return "\(key): \(torchSize(t.shape))" }
        return "\(key): " + (t.rank == 0 ? formatPyFloat(t.item()) : t.description)
    }
    return "\(name)(\(args.joined(separator: ", ")))"
}
