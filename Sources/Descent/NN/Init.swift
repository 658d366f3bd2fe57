import Foundation

// PyTorch's `nn.init`: in-place initialisers that draw from the global generator (or `generator:`)
// in PyTorch's order, without recording gradients.

func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
    if t.rank < 2 { fail("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions") }
    let receptive = t.shape.dropFirst(2).reduce(1, *)
    return (t.shape[1] * receptive, t.shape[0] * receptive)
}

/// The recommended gain for a nonlinearity (PyTorch's `calculate_gain`).
public func calculateGain(_ nonlinearity: String, param: Double? = nil) -> Double {
    switch nonlinearity {
    case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid": return 1
    case "tanh": return 5.0 / 3
    case "relu": return 2.0.squareRoot()
    case "leaky_relu": let s = param ?? 0.01; return (2.0 / (1 + s * s)).squareRoot()
    case "selu": return 3.0 / 4
    default: fail("Unsupported nonlinearity \(nonlinearity)")
    }
}

/// Fills with U(a, b).
@discardableResult public func uniform_(_ t: Tensor, _ a: Double = 0, _ b: Double = 1, generator: Generator? = nil) -> Tensor {
    noGrad { t.uniform_(a, b, generator: generator) }
}
/// Fills with N(mean, std²).
@discardableResult public func normal_(_ t: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil) -> Tensor {
    noGrad { t.normal_(mean, std, generator: generator) }
}
/// Fills with a constant.
@discardableResult public func constant_(_ t: Tensor, _ value: Double) -> Tensor { noGrad { t.fill_(value) } }
/// Fills with zeros.
@discardableResult public func zeros_(_ t: Tensor) -> Tensor { constant_(t, 0) }
/// Fills with ones.
@discardableResult public func ones_(_ t: Tensor) -> Tensor { constant_(t, 1) }
/// Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)).
@discardableResult public func xavierUniform_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let a = 3.0.squareRoot() * (gain * (2.0 / Double(fi + fo)).squareRoot())
    return uniform_(t, -a, a, generator: generator)
}
/// Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fanIn + fanOut)).
@discardableResult public func xavierNormal_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    return normal_(t, mean: 0, std: gain * (2.0 / Double(fi + fo)).squareRoot(), generator: generator)
}
/// Which fan Kaiming initialisation preserves.
public enum FanMode: Sendable { case fanIn, fanOut }
/// He uniform: U(-b, b) with b = gain * sqrt(3 / fan).
@discardableResult public func kaimingUniform_(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu", generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let fan = mode == .fanIn ? fi : fo
    let gain = calculateGain(nonlinearity, param: a)
    let bound = 3.0.squareRoot() * (gain / Double(fan).squareRoot())
    return uniform_(t, -bound, bound, generator: generator)
}
/// He normal: N(0, std²) with std = gain / sqrt(fan).
@discardableResult public func kaimingNormal_(_ t: Tensor, a: Double = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu", generator: Generator? = nil) -> Tensor {
    let (fi, fo) = fans(t)
    let fan = mode == .fanIn ? fi : fo
    return normal_(t, mean: 0, std: calculateGain(nonlinearity, param: a) / Double(fan).squareRoot(), generator: generator)
}
