// Loss modules (PyTorch's `nn.MSELoss`, `nn.CrossEntropyLoss`, ...); their functions are in Ops/LossFunctions.swift.

/// `mseLoss` as a module (PyTorch's `nn.MSELoss`).
public final class MSELoss: Module {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { mseLoss(input, target, reduction: reduction) }
}
/// `l1Loss` as a module.
public final class L1Loss: Module {
    public let reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { l1Loss(input, target, reduction: reduction) }
}
/// `binaryCrossEntropy` as a module (PyTorch's `nn.BCELoss`: probabilities in).
public final class BCELoss: Module {
    public let reduction: Reduction
    /// The per-element rescaling weight, a buffer as in PyTorch (saved in the state dict, cast by `to(dtype:)`).
    public var weight: Tensor? { buffer("weight") }
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.reduction = reduction; super.init()
        if let w = weight { registerBuffer("weight", w) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { binaryCrossEntropy(input, target, weight: weight, reduction: reduction) }
}
/// `binaryCrossEntropyWithLogits` as a module (PyTorch's `nn.BCEWithLogitsLoss`: logits in).
public final class BCEWithLogitsLoss: Module {
    public let reduction: Reduction
    /// The per-element weight and the positive-class weight, buffers as in PyTorch (`weight`, `pos_weight`).
    public var weight: Tensor? { buffer("weight") }
    public var posWeight: Tensor? { buffer("pos_weight") }
    public init(weight: Tensor? = nil, reduction: Reduction = .mean, posWeight: Tensor? = nil) {
        self.reduction = reduction; super.init()
        if let w = weight { registerBuffer("weight", w) }
        if let p = posWeight { registerBuffer("pos_weight", p) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }
}
/// `crossEntropy` as a module (PyTorch's `nn.CrossEntropyLoss`: logits in, indices or probabilities as targets).
public final class CrossEntropyLoss: Module {
    public let ignoreIndex: Int, reduction: Reduction, labelSmoothing: Double
    /// The per-class weight, a buffer as in PyTorch (saved in the state dict, cast by `to(dtype:)`).
    public var weight: Tensor? { buffer("weight") }
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0) {
        self.ignoreIndex = ignoreIndex; self.reduction = reduction; self.labelSmoothing = labelSmoothing; super.init()
        if let w = weight { registerBuffer("weight", w) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        crossEntropy(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
    }
}
/// `nllLoss` as a module.
public final class NLLLoss: Module {
    public let ignoreIndex: Int, reduction: Reduction
    /// The per-class weight, a buffer as in PyTorch.
    public var weight: Tensor? { buffer("weight") }
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.ignoreIndex = ignoreIndex; self.reduction = reduction; super.init()
        if let w = weight { registerBuffer("weight", w) }
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction) }
}
/// `huberLoss` as a module.
public final class HuberLoss: Module {
    public let reduction: Reduction, delta: Double
    public init(reduction: Reduction = .mean, delta: Double = 1) { self.reduction = reduction; self.delta = delta; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { huberLoss(input, target, delta: delta, reduction: reduction) }
}
/// `smoothL1Loss` as a module.
public final class SmoothL1Loss: Module {
    public let reduction: Reduction, beta: Double
    public init(reduction: Reduction = .mean, beta: Double = 1) { self.reduction = reduction; self.beta = beta; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { smoothL1Loss(input, target, beta: beta, reduction: reduction) }
}
/// `klDiv` as a module.
public final class KLDivLoss: Module {
    public let reduction: KLReduction, logTarget: Bool
    public init(reduction: KLReduction = .mean, logTarget: Bool = false) { self.reduction = reduction; self.logTarget = logTarget; super.init() }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { klDiv(input, target, reduction: reduction, logTarget: logTarget) }
}

/// `marginRankingLoss` as a module (PyTorch's `nn.MarginRankingLoss`).
public final class MarginRankingLoss: Module {
    public let margin: Double, reduction: Reduction
    public init(margin: Double = 0, reduction: Reduction = .mean) { self.margin = margin; self.reduction = reduction; super.init() }
    public func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) -> Tensor {
        marginRankingLoss(input1, input2, target, margin: margin, reduction: reduction)
    }
}
/// `cosineEmbeddingLoss` as a module (PyTorch's `nn.CosineEmbeddingLoss`).
public final class CosineEmbeddingLoss: Module {
    public let margin: Double, reduction: Reduction
    public init(margin: Double = 0, reduction: Reduction = .mean) { self.margin = margin; self.reduction = reduction; super.init() }
    public func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) -> Tensor {
        cosineEmbeddingLoss(input1, input2, target, margin: margin, reduction: reduction)
    }
}
/// `tripletMarginLoss` as a module (PyTorch's `nn.TripletMarginLoss`).
public final class TripletMarginLoss: Module {
    public let margin: Double, p: Double, eps: Double, swap: Bool, reduction: Reduction
    public init(margin: Double = 1, p: Double = 2, eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) {
        self.margin = margin; self.p = p; self.eps = eps; self.swap = swap; self.reduction = reduction; super.init()
    }
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        tripletMarginLoss(anchor, positive, negative, margin: margin, p: p, eps: eps, swap: swap, reduction: reduction)
    }
}
/// `gaussianNLLLoss` as a module (PyTorch's `nn.GaussianNLLLoss`).
public final class GaussianNLLLoss: Module {
    public let full: Bool, eps: Double, reduction: Reduction
    public init(full: Bool = false, eps: Double = 1e-6, reduction: Reduction = .mean) {
        self.full = full; self.eps = eps; self.reduction = reduction; super.init()
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> Tensor {
        gaussianNLLLoss(input, target, variance, full: full, eps: eps, reduction: reduction)
    }
}
/// `poissonNLLLoss` as a module (PyTorch's `nn.PoissonNLLLoss`).
public final class PoissonNLLLoss: Module {
    public let logInput: Bool, full: Bool, eps: Double, reduction: Reduction
    public init(logInput: Bool = true, full: Bool = false, eps: Double = 1e-8, reduction: Reduction = .mean) {
        self.logInput = logInput; self.full = full; self.eps = eps; self.reduction = reduction; super.init()
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        poissonNLLLoss(input, target, logInput: logInput, full: full, eps: eps, reduction: reduction)
    }
}
