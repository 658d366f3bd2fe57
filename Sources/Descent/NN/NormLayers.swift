// Layer and group normalisation modules (their functions are in Ops/Normalization.swift).

/// Normalises over the last dims given by `normalizedShape`, then scales and shifts per element
/// (PyTorch's `nn.LayerNorm`: eps 1e-5, weight ones, bias zeros, biased variance).
public final class LayerNorm: Module {
    public let normalizedShape: [Int]
    public let eps: Double
    public let elementwiseAffine: Bool
    /// The scale, shaped `normalizedShape`, or nil without `elementwiseAffine`.
    public var weight: Parameter?
    /// The shift, shaped `normalizedShape`, or nil.
    public var bias: Parameter?

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, device: device)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape, device: device)) : nil
        super.init()
    }
    public convenience init(_ normalizedShape: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor { layerNorm(x, normalizedShape, weight: weight, bias: bias, eps: eps) }
    public override func extraRepr() -> String {
        let shape = "(" + normalizedShape.map(String.init).joined(separator: ", ") + (normalizedShape.count == 1 ? ",)" : ")")
        return "\(shape), eps=\(formatPyFloat(eps)), elementwise_affine=\(elementwiseAffine ? "True" : "False"), bias=\(bias != nil ? "True" : "False")"
    }
}

/// Normalises each sample over groups of channels (PyTorch's `nn.GroupNorm`): the C channels of
/// an (N, C, *) input form `numGroups` groups, each normalised with its own mean and biased
/// variance, then scaled and shifted per channel (weight ones, bias zeros).
public final class GroupNorm: Module {
    public let numGroups: Int
    public let numChannels: Int
    public let eps: Double
    public let affine: Bool
    /// The per-channel scale, or nil without `affine`.
    public var weight: Parameter?
    /// The per-channel shift, or nil without `affine`.
    public var bias: Parameter?

    /// `bias: false` leaves out the shift (PyTorch 2.x's `bias` argument).
    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true, device: Device = .cpu) {
        if numGroups <= 0 || numChannels % numGroups != 0 { fail("num_channels must be divisible by num_groups") }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        weight = affine ? Parameter(Tensor.ones([numChannels], device: device)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numChannels], device: device)) : nil
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { groupNorm(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps) }
    public override func extraRepr() -> String { "\(numGroups), \(numChannels), eps=\(formatPyFloat(eps)), affine=\(affine ? "True" : "False"), bias=\(bias != nil ? "True" : "False")" }
}
