// Lazy modules (PyTorch's `nn.LazyLinear`, `nn.LazyConv1d/2d`, `nn.LazyBatchNorm1d/2d`): the input
// size is left out and read from the first batch. Until then the weights are placeholders that print
// `<UninitializedParameter>`; the first forward gives them their shapes in place (so the objects that
// `parameters()` returned, and an optimizer built on them, stay the ones trained), draws them as the
// eager layer's `reset_parameters` does, and from then on the module prints as the eager layer
// (PyTorch's `cls_to_become`). As in PyTorch, build the optimizer after a dry run, or at least before
// the first `step()`; `loadStateDict` gives placeholders the saved shapes.

/// A placeholder parameter (PyTorch's `UninitializedParameter`) on `device`.
func lazyParameter(_ device: Device) -> Parameter {
    let p = Parameter(Tensor.empty([0], device: device))
    p.isUninitializedLazy = true
    return p
}

/// Whether `t` is a lazy module's placeholder that has no shape yet (PyTorch's `torch.nn.parameter.is_lazy`).
public func isLazy(_ t: Tensor) -> Bool { t.isUninitializedLazy }

extension Module {
    /// Whether any parameter or buffer of this module or its submodules is still a lazy placeholder
    /// (PyTorch's `LazyModuleMixin.has_uninitialized_params`, over the whole tree).
    public func hasUninitializedParams() -> Bool {
        namedModules().contains { (_, m) in
            m.directParameters().contains { $0.1.isUninitializedLazy } || m.namedDirectBuffers().contains { $0.1.isUninitializedLazy }
        }
    }
}

/// Gives placeholder `t` a new shape on its own device and dtype (contents uninitialised until reset).
func materialize(_ t: Tensor?, _ shape: [Int]) {
    guard let t, t.isUninitializedLazy else { return }
    t.materialize(with: Tensor.empty(shape, dtype: t.dtype, device: t.device))
}

/// The channel count of a lazy convolution's first input, as PyTorch's `_get_in_channels`.
private func lazyInChannels(_ x: Tensor, spatialDims: Int, _ name: String) -> Int {
    let unbatched = spatialDims + 1
    if x.rank != unbatched && x.rank != unbatched + 1 {
        fail("Expected \(unbatched)D (unbatched) or \(unbatched + 1)D (batched) input to \(name), but got input of size: torch.Size(\(shapeString(x.shape)))")
    }
    return x.rank == unbatched + 1 ? x.shape[1] : x.shape[0]
}

/// A `Linear` whose `inFeatures` is the last dim of its first input (PyTorch's `nn.LazyLinear`).
public final class LazyLinear: Linear {
    /// A layer with `outFeatures` outputs; the weight is drawn at the first forward.
    public init(_ outFeatures: Int, bias: Bool = true, device: Device = .cpu) {
        super.init(lazyOutFeatures: outFeatures, bias: bias, device: device)
    }
    /// PyTorch's keyword form, `LazyLinear(out_features=...)`.
    public convenience init(outFeatures: Int, bias: Bool = true, device: Device = .cpu) {
        self.init(outFeatures, bias: bias, device: device)
    }
    override var typeName: String { weight.isUninitializedLazy ? "LazyLinear" : "Linear" }

    public override func forward(_ x: Tensor) -> Tensor {
        if weight.isUninitializedLazy {
            if x.rank == 0 { fail("LazyLinear: expected an input with at least one dimension, got a 0-dim tensor") }
            inFeatures = x.shape[x.rank - 1]
            noGrad { materialize(weight, [outFeatures, inFeatures]); materialize(bias, [outFeatures]) }
            resetParameters()
        } else if inFeatures == 0 {
            inFeatures = weight.shape[1]   // placeholders given their shapes by loadStateDict
        }
        return super.forward(x)
    }
}

/// A `Conv1d` whose `inChannels` comes from its first input (PyTorch's `nn.LazyConv1d`).
public final class LazyConv1d: Conv1d {
    /// A convolution with `outChannels` filters; the weight is drawn at the first forward.
    public init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
                bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        super.init(0, outChannels, kernelSize, stride, padding, nil, dilation, groups, bias, paddingMode, device: device, lazy: true)
    }
    /// A convolution with PyTorch's `padding="same"` or `"valid"`.
    public init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding, dilation: Int = 1, groups: Int = 1,
                bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        if padding == .same && stride != 1 { fail("padding='same' is not supported for strided convolutions") }
        super.init(0, outChannels, kernelSize, stride, padding == .same ? dilation * (kernelSize - 1) / 2 : 0, padding,
                   dilation, groups, bias, paddingMode, device: device, lazy: true)
    }
    override var typeName: String { weight.isUninitializedLazy ? "LazyConv1d" : "Conv1d" }

    public override func forward(_ x: Tensor) -> Tensor {
        if weight.isUninitializedLazy {
            let c = lazyInChannels(x, spatialDims: 1, "LazyConv1d")
            checkConvChannels(c, outChannels, groups)
            inChannels = c
            noGrad { materialize(weight, [outChannels, c / groups, kernelSize]); materialize(bias, [outChannels]) }
            resetParameters()
        } else if inChannels == 0 {
            inChannels = weight.shape[1] * groups
        }
        return super.forward(x)
    }
}

/// A `Conv2d` whose `inChannels` comes from its first input (PyTorch's `nn.LazyConv2d`).
public final class LazyConv2d: Conv2d {
    /// A convolution with `outChannels` square filters; the weight is drawn at the first forward.
    public convenience init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                            groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                  dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }
    /// A convolution with (height, width) sizes.
    public init(_ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        super.init(0, outChannels, kernel: kernelSize, stride: stride, padding: padding, mode: nil, dilation: dilation, groups: groups,
                   bias: bias, paddingMode: paddingMode, device: device, lazy: true)
    }
    /// A convolution with square filters and PyTorch's `padding="same"` or `"valid"`.
    public init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        if padding == .same && stride != 1 { fail("padding='same' is not supported for strided convolutions") }
        let p = padding == .same ? dilation * (kernelSize - 1) / 2 : 0
        super.init(0, outChannels, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (p, p), mode: padding,
                   dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode, device: device, lazy: true)
    }
    override var typeName: String { weight.isUninitializedLazy ? "LazyConv2d" : "Conv2d" }

    public override func forward(_ x: Tensor) -> Tensor {
        if weight.isUninitializedLazy {
            let c = lazyInChannels(x, spatialDims: 2, "LazyConv2d")
            checkConvChannels(c, outChannels, groups)
            inChannels = c
            noGrad {
                materialize(weight, [outChannels, c / groups, kernelSize.0, kernelSize.1]); materialize(bias, [outChannels])
            }
            resetParameters()
        } else if inChannels == 0 {
            inChannels = weight.shape[1] * groups
        }
        return super.forward(x)
    }
}

/// Makes a lazy batch norm's placeholders real with `x.shape[1]` channels and resets them as
/// PyTorch's `_LazyNormBase.initialize_parameters` does (weight ones, bias zeros, statistics reset).
private func initializeLazyNorm(_ bn: BatchNormBase, _ x: Tensor) {
    if bn.weight?.isUninitializedLazy ?? false || bn.runningMean?.isUninitializedLazy ?? false {
        let c = x.shape[1]
        bn.numFeatures = c
        noGrad {
            for t in [bn.weight, bn.bias, bn.runningMean, bn.runningVar] { materialize(t, [c]) }
            bn.weight?.fill_(1); bn.bias?.zero_()
        }
        bn.resetRunningStats()
    } else if bn.numFeatures == 0, let t = bn.weight ?? bn.runningMean {
        bn.numFeatures = t.shape[0]
    }
}

/// Marks a lazy batch norm's per-channel tensors as placeholders.
private func markLazyNorm(_ bn: BatchNormBase) {
    for t in [bn.weight, bn.bias, bn.runningMean, bn.runningVar] { t?.isUninitializedLazy = true }
}

/// A `BatchNorm1d` whose `numFeatures` comes from its first input (PyTorch's `nn.LazyBatchNorm1d`).
public final class LazyBatchNorm1d: BatchNorm1d {
    /// A batch norm whose channel count is read from the first batch.
    public init(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true,
                device: Device = .cpu) {
        super.init(0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, device: device)
        markLazyNorm(self)
    }
    override var typeName: String { hasUninitializedParams() ? "LazyBatchNorm1d" : "BatchNorm1d" }
    public override func forward(_ x: Tensor) -> Tensor {
        checkInputDim(x)
        initializeLazyNorm(self, x)
        return super.forward(x)
    }
}

/// A `BatchNorm2d` whose `numFeatures` comes from its first input (PyTorch's `nn.LazyBatchNorm2d`).
public final class LazyBatchNorm2d: BatchNorm2d {
    /// A batch norm whose channel count is read from the first batch.
    public init(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, trackRunningStats: Bool = true,
                device: Device = .cpu) {
        super.init(0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, device: device)
        markLazyNorm(self)
    }
    override var typeName: String { hasUninitializedParams() ? "LazyBatchNorm2d" : "BatchNorm2d" }
    public override func forward(_ x: Tensor) -> Tensor {
        checkInputDim(x)
        initializeLazyNorm(self, x)
        return super.forward(x)
    }
}
