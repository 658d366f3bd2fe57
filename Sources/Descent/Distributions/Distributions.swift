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
    public var mean: Tensor { loc }
    public var stddev: Tensor { scale }
    public var variance: Tensor { scale.pow(2) }
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
    public var description: String { "Normal(loc: \(torchSize(loc.shape)), scale: \(torchSize(scale.shape)))" }
}

/// A distribution over the indices of the last dim, from `probs` (normalised to sum to 1) or `logits`
/// (PyTorch's `Categorical`).
public final class Categorical {
    /// Log-probabilities, normalised (logits − logsumexp).
    public let logits: Tensor
    /// Probabilities, normalised.
    public let probs: Tensor
    public init(probs: Tensor) {
        let p = probs / probs.sum(dim: -1, keepDim: true)
        self.probs = p
        let eps = finfoEps(p.dtype)
        logits = p.clamp(min: eps, max: 1 - eps).log()
    }
    public init(logits: Tensor) {
        self.logits = logits - logits.logsumexp(dim: -1, keepDim: true)
        probs = self.logits.softmax(dim: -1)
    }
    /// The shape of one draw (all dims but the last).
    public var batchShape: [Int] { Array(probs.shape.dropLast()) }
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
public final class Bernoulli {
    public let probs: Tensor, logits: Tensor
    public init(probs: Tensor) {
        self.probs = probs
        let eps = finfoEps(probs.dtype)
        let p = probs.clamp(min: eps, max: 1 - eps)
        logits = p.log() - (-p).log1p()
    }
    public init(logits: Tensor) { self.logits = logits; probs = logits.sigmoid() }
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
