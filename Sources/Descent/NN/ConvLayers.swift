import Foundation

// Convolution, pooling and batch-normalisation layers (PyTorch's `nn.Conv2d`, `nn.MaxPool2d`,
// `nn.AvgPool2d`, `nn.BatchNorm1d`, `nn.BatchNorm2d`). Sizes are given as one Int for both
// spatial dims or as an (height, width) pair, as in PyTorch.

/// A size as the user wrote it (an Int or a pair), so that the repr shows it as PyTorch's does.
struct WrittenSize {
    let value: (Int, Int)
    let isPair: Bool
    init(_ v: Int) { value = (v, v); isPair = false }
    init(_ v: (Int, Int)) { value = v; isPair = true }
    var repr: String { isPair ? pairRepr(value) : "\(value.0)" }
}

/// Python's repr of a 2-tuple: `(3, 3)`.
func pairRepr(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }

/// A 2-D convolution layer (PyTorch's `nn.Conv2d`) over (N, C, H, W) or unbatched (C, H, W)
/// inputs, initialised as PyTorch does (kaiming-uniform weight with a = √5, then a uniform bias
/// in ±1/√fanIn, drawn in that order from the global generator).
public class Conv2d: Module {
    /// The input channels (0 for a `LazyConv2d` until its first forward).
    public internal(set) var inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    /// The zero padding at the top and left (and, except for `.same` with an odd total, bottom and right).
    public let padding: (Int, Int)
    /// PyTorch's string padding (`padding="same"` / `"valid"`), or nil when given as numbers.
    public let stringPadding: ConvPadding?
    /// What the padding holds (PyTorch's `padding_mode`): "zeros", "reflect", "replicate" or "circular".
    public let paddingMode: String
    public let dilation: (Int, Int)
    public let groups: Int
    /// The filters, shaped (outChannels, inChannels / groups, kH, kW).
    public var weight: Parameter
    /// The bias, shaped (outChannels), or nil.
    public var bias: Parameter?

    /// A convolution with square kernels and equal stride/padding/dilation in both dims.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(inChannels, outChannels, kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                  mode: nil, dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }

    /// A convolution with (height, width) kernel size, stride, padding and dilation.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                            paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(inChannels, outChannels, kernel: kernelSize, stride: stride, padding: padding, mode: nil,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }

    /// A convolution with square kernels and PyTorch's `padding="same"` or `"valid"`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: padding,
                  dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }

    /// A convolution with (height, width) sizes and PyTorch's `padding="same"` or `"valid"`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                            padding: ConvPadding, dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                            paddingMode: String = "zeros", device: Device = .cpu) {
        if padding == .same && stride != (1, 1) { fail("padding='same' is not supported for strided convolutions") }
        let pads = padding == .same ? (dilation.0 * (kernelSize.0 - 1) / 2, dilation.1 * (kernelSize.1 - 1) / 2) : (0, 0)
        self.init(inChannels, outChannels, kernel: kernelSize, stride: stride, padding: pads, mode: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }

    /// The designated initializer; `lazy` leaves the weights as placeholders (`LazyConv2d`).
    init(_ inChannels: Int, _ outChannels: Int, kernel kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int),
         mode: ConvPadding?, dilation: (Int, Int), groups: Int, bias: Bool, paddingMode: String, device: Device, lazy: Bool = false) {
        checkConvChannels(inChannels, outChannels, groups)
        checkPaddingMode(paddingMode)
        self.paddingMode = paddingMode
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.stringPadding = mode
        self.dilation = dilation
        self.groups = groups
        if lazy {
            weight = lazyParameter(device)
            self.bias = bias ? lazyParameter(device) : nil
            super.init()
            return
        }
        weight = Parameter(Tensor.empty([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], device: device))
        self.bias = bias ? Parameter(Tensor.empty([outChannels], device: device)) : nil
        super.init()
        resetParameters()
    }

    /// Re-draws the weights as PyTorch's `reset_parameters` does.
    public func resetParameters() { resetConvParameters(weight, bias) }

    public override func forward(_ x: Tensor) -> Tensor {
        if paddingMode != "zeros" {
            let pads = modePadding(kernel: [kernelSize.0, kernelSize.1], padding: [padding.0, padding.1],
                                   dilation: [dilation.0, dilation.1], string: stringPadding)
            return conv2d(pad(x, pads, mode: paddingMode), weight, bias, stride: stride, padding: (0, 0), dilation: dilation, groups: groups)
        }
        if let mode = stringPadding { return conv2d(x, weight, bias, stride: stride, padding: mode, dilation: dilation, groups: groups) }
        return conv2d(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public override func extraRepr() -> String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(pairRepr(kernelSize)), stride=\(pairRepr(stride))"
        if let mode = stringPadding { s += ", padding=\(mode.rawValue)" }
        else if padding != (0, 0) { s += ", padding=\(pairRepr(padding))" }
        if dilation != (1, 1) { s += ", dilation=\(pairRepr(dilation))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        if paddingMode != "zeros" { s += ", padding_mode=\(paddingMode)" }
        return s
    }
}

/// A 1-D convolution layer (PyTorch's `nn.Conv1d`) over (N, C, L) or unbatched (C, L) inputs,
/// initialised as PyTorch does (kaiming-uniform weight with a = √5, then a uniform bias in ±1/√fanIn).
public class Conv1d: Module {
    /// The input channels (0 for a `LazyConv1d` until its first forward).
    public internal(set) var inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    /// The zero padding on each side (the left side for `.same` with an odd total).
    public let padding: Int
    /// PyTorch's string padding (`padding="same"` / `"valid"`), or nil when given as a number.
    public let stringPadding: ConvPadding?
    /// What the padding holds (PyTorch's `padding_mode`): "zeros", "reflect", "replicate" or "circular".
    public let paddingMode: String
    public let dilation: Int
    public let groups: Int
    /// The filters, shaped (outChannels, inChannels / groups, kernelSize).
    public var weight: Parameter
    /// The bias, shaped (outChannels), or nil.
    public var bias: Parameter?

    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(inChannels, outChannels, kernelSize, stride, padding, nil, dilation, groups, bias, paddingMode, device: device)
    }
    /// A convolution with PyTorch's `padding="same"` or `"valid"`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvPadding,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        if padding == .same && stride != 1 { fail("padding='same' is not supported for strided convolutions") }
        self.init(inChannels, outChannels, kernelSize, stride, padding == .same ? dilation * (kernelSize - 1) / 2 : 0, padding,
                  dilation, groups, bias, paddingMode, device: device)
    }
    /// The designated initializer; `lazy` leaves the weights as placeholders (`LazyConv1d`).
    init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: Int, _ stride: Int, _ padding: Int, _ mode: ConvPadding?,
         _ dilation: Int, _ groups: Int, _ bias: Bool, _ paddingMode: String, device: Device, lazy: Bool = false) {
        checkConvChannels(inChannels, outChannels, groups)
        checkPaddingMode(paddingMode)
        self.paddingMode = paddingMode
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.stringPadding = mode
        self.dilation = dilation
        self.groups = groups
        if lazy {
            weight = lazyParameter(device)
            self.bias = bias ? lazyParameter(device) : nil
            super.init()
            return
        }
        weight = Parameter(Tensor.empty([outChannels, inChannels / groups, kernelSize], device: device))
        self.bias = bias ? Parameter(Tensor.empty([outChannels], device: device)) : nil
        super.init()
        resetParameters()
    }
    /// Re-draws the weights as PyTorch's `reset_parameters` does.
    public func resetParameters() { resetConvParameters(weight, bias) }
    public override func forward(_ x: Tensor) -> Tensor {
        if paddingMode != "zeros" {
            let pads = modePadding(kernel: [kernelSize], padding: [padding], dilation: [dilation], string: stringPadding)
            return conv1d(pad(x, pads, mode: paddingMode), weight, bias, stride: stride, padding: 0, dilation: dilation, groups: groups)
        }
        if let mode = stringPadding { return conv1d(x, weight, bias, stride: stride, padding: mode, dilation: dilation, groups: groups) }
        return conv1d(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    public override func extraRepr() -> String {
        var s = "\(inChannels), \(outChannels), kernel_size=(\(kernelSize),), stride=(\(stride),)"
        if let mode = stringPadding { s += ", padding=\(mode.rawValue)" }
        else if padding != 0 { s += ", padding=(\(padding),)" }
        if dilation != 1 { s += ", dilation=(\(dilation),)" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        if paddingMode != "zeros" { s += ", padding_mode=\(paddingMode)" }
        return s
    }
}

/// A 2-D transposed convolution layer (PyTorch's `nn.ConvTranspose2d`, "deconvolution"): weight
/// (inChannels, outChannels / groups, kH, kW), initialised as PyTorch does.
public final class ConvTranspose2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    /// Extra rows/columns added to one side of the output (less than the stride or the dilation).
    public let outputPadding: (Int, Int)
    public let groups: Int
    public let dilation: (Int, Int)
    /// The filters, shaped (inChannels, outChannels / groups, kH, kW).
    public var weight: Parameter
    /// The bias, shaped (outChannels), or nil.
    public var bias: Parameter?

    /// A transposed convolution with square kernels and equal settings in both dims.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1, device: Device = .cpu) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                  outputPadding: (outputPadding, outputPadding), groups: groups, bias: bias, dilation: (dilation, dilation), device: device)
    }
    /// A transposed convolution with (height, width) settings.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                outputPadding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true, dilation: (Int, Int) = (1, 1), device: Device = .cpu) {
        checkConvChannels(inChannels, outChannels, groups)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.groups = groups
        self.dilation = dilation
        weight = Parameter(Tensor.empty([inChannels, outChannels / groups, kernelSize.0, kernelSize.1], device: device))
        self.bias = bias ? Parameter(Tensor.empty([outChannels], device: device)) : nil
        super.init()
        resetParameters()
    }
    /// Re-draws the weights as PyTorch's `reset_parameters` does.
    public func resetParameters() { resetConvParameters(weight, bias) }
    public override func forward(_ x: Tensor) -> Tensor {
        convTranspose2d(x, weight, bias, stride: stride, padding: padding, outputPadding: outputPadding, groups: groups, dilation: dilation)
    }
    public override func extraRepr() -> String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(pairRepr(kernelSize)), stride=\(pairRepr(stride))"
        if padding != (0, 0) { s += ", padding=\(pairRepr(padding))" }
        if dilation != (1, 1) { s += ", dilation=\(pairRepr(dilation))" }
        if outputPadding != (0, 0) { s += ", output_padding=\(pairRepr(outputPadding))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        return s
    }
}

/// PyTorch's `_ConvNd` checks on channels and groups.
/// PyTorch's check of a convolution's `padding_mode`.
func checkPaddingMode(_ mode: String) {
    if !["zeros", "reflect", "replicate", "circular"].contains(mode) {
        fail("ValueError: padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='\(mode)'")
    }
}

/// The `F.pad` amounts a convolution with a non-zeros `padding_mode` applies first (PyTorch's
/// `_reversed_padding_repeated_twice`): last dim first, (left, right) each; for `padding="same"` the
/// total dilation · (k − 1) split with the extra one on the right.
func modePadding(kernel: [Int], padding: [Int], dilation: [Int], string: ConvPadding?) -> [Int] {
    var out: [Int] = []
    for d in (0..<kernel.count).reversed() {
        if string == .same {
            let total = dilation[d] * (kernel[d] - 1), left = total / 2
            out += [left, total - left]
        } else {
            out += [padding[d], padding[d]]
        }
    }
    return out
}

func checkConvChannels(_ inChannels: Int, _ outChannels: Int, _ groups: Int) {
    if groups <= 0 { fail("groups must be a positive integer") }
    if inChannels % groups != 0 { fail("in_channels must be divisible by groups") }
    if outChannels % groups != 0 { fail("out_channels must be divisible by groups") }
}

/// PyTorch's `_ConvNd.reset_parameters`: kaiming-uniform (a = √5) weight, then a bias uniform in
/// ±1/√fanIn, fanIn = weight.shape[1] × the kernel's elements.
func resetConvParameters(_ weight: Tensor, _ bias: Tensor?) {
    kaimingUniform_(weight, a: 5.0.squareRoot())
    if let b = bias {
        let fanIn = weight.shape.dropFirst().reduce(1, *)
        let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
        uniform_(b, -bound, bound)
    }
}

/// Max pooling over (N, C, H, W) or (C, H, W) inputs (PyTorch's `nn.MaxPool2d`); the gradient
/// goes to the position of each maximum.
public final class MaxPool2d: Module {
    let kernel: WrittenSize, strideSize: WrittenSize, pad: WrittenSize, dil: WrittenSize
    public let ceilMode: Bool
    /// Whether a PyTorch program asked for the indices (`return_indices=True`): `let (y, indices) = pool(x)` gives them either way.
    public let returnIndices: Bool
    public var kernelSize: (Int, Int) { kernel.value }
    public var stride: (Int, Int) { strideSize.value }
    public var padding: (Int, Int) { pad.value }
    public var dilation: (Int, Int) { dil.value }

    /// Square windows; `stride` nil means `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, returnIndices: Bool = false, ceilMode: Bool = false) {
        kernel = WrittenSize(kernelSize)
        strideSize = WrittenSize(stride ?? kernelSize)
        pad = WrittenSize(padding); dil = WrittenSize(dilation); self.ceilMode = ceilMode; self.returnIndices = returnIndices
        super.init()
    }
    /// (height, width) windows; `stride` nil means `kernelSize`.
    /// Padding and dilation left out print as PyTorch's defaults do (`padding=0, dilation=1`).
    public init(_ kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil,
                dilation: (Int, Int)? = nil, returnIndices: Bool = false, ceilMode: Bool = false) {
        kernel = WrittenSize(kernelSize)
        strideSize = WrittenSize(stride ?? kernelSize)
        pad = padding.map { WrittenSize($0) } ?? WrittenSize(0); dil = dilation.map { WrittenSize($0) } ?? WrittenSize(1)
        self.ceilMode = ceilMode; self.returnIndices = returnIndices
        super.init()
    }
    /// Square windows; `stride` nil means `kernelSize` (PyTorch's keyword form).
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, returnIndices: Bool = false, ceilMode: Bool = false) {
        self.init(kernelSize, stride: stride, padding: padding, dilation: dilation, returnIndices: returnIndices, ceilMode: ceilMode)
    }
    /// (height, width) windows (PyTorch's keyword form).
    public convenience init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil,
                            dilation: (Int, Int)? = nil, returnIndices: Bool = false, ceilMode: Bool = false) {
        self.init(kernelSize, stride: stride, padding: padding, dilation: dilation, returnIndices: returnIndices, ceilMode: ceilMode)
    }

    /// The pooled output (`pool(x)`; not disfavoured as `Module`'s is, so that it wins over the
    /// `(output, indices)` form in Unpooling.swift where both fit).
    public override func callAsFunction(_ x: Tensor) -> Tensor { super.callAsFunction(x) }
    public override func forward(_ x: Tensor) -> Tensor {
        maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
    public override func extraRepr() -> String {
        "kernel_size=\(kernel.repr), stride=\(strideSize.repr), padding=\(pad.repr), dilation=\(dil.repr), ceil_mode=\(ceilMode ? "True" : "False")"
    }
}

/// Average pooling over (N, C, H, W) or (C, H, W) inputs (PyTorch's `nn.AvgPool2d`).
public final class AvgPool2d: Module {
    let kernel: WrittenSize, strideSize: WrittenSize, pad: WrittenSize
    public let ceilMode: Bool
    public let countIncludePad: Bool
    public let divisorOverride: Int?
    public var kernelSize: (Int, Int) { kernel.value }
    public var stride: (Int, Int) { strideSize.value }
    public var padding: (Int, Int) { pad.value }

    /// Square windows; `stride` nil means `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        kernel = WrittenSize(kernelSize); strideSize = WrittenSize(stride ?? kernelSize); pad = WrittenSize(padding)
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad; self.divisorOverride = divisorOverride
        super.init()
    }
    /// (height, width) windows; `stride` nil means `kernelSize`.
    public init(_ kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        kernel = WrittenSize(kernelSize); strideSize = WrittenSize(stride ?? kernelSize); pad = padding.map { WrittenSize($0) } ?? WrittenSize(0)
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad; self.divisorOverride = divisorOverride
        super.init()
    }
    /// Square windows (PyTorch's keyword form).
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                            countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.init(kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
    /// (height, width) windows (PyTorch's keyword form).
    public convenience init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int)? = nil, ceilMode: Bool = false,
                            countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.init(kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                  countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
    public override func extraRepr() -> String { "kernel_size=\(kernel.repr), stride=\(strideSize.repr), padding=\(pad.repr)" }
}

/// The shared implementation of `BatchNorm1d` and `BatchNorm2d` (PyTorch's `_BatchNorm`).
open class BatchNormBase: Module {
    /// The channels (0 for a lazy batch norm until its first forward).
    public internal(set) var numFeatures: Int
    public let eps: Double
    /// The running-average factor; nil means a cumulative average (1 / numBatchesTracked).
    public var momentum: Double?
    public let affine: Bool
    public let trackRunningStats: Bool
    /// The scale γ (ones), or nil without `affine`.
    public var weight: Parameter?
    /// The shift β (zeros), or nil without `affine` (or with `bias: false`).
    public var bias: Parameter?
    /// Running mean of the batches seen in training (zeros at first), or nil without `trackRunningStats`.
    public let runningMean: Tensor?
    /// Running unbiased variance (ones at first), or nil without `trackRunningStats`.
    public let runningVar: Tensor?
    /// Number of training batches seen (a 0-dim int64 tensor), or nil without `trackRunningStats`.
    public let numBatchesTracked: Tensor?

    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, bias: Bool = true, device: Device = .cpu) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        weight = affine ? Parameter(Tensor.ones([numFeatures], device: device)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numFeatures], device: device)) : nil
        runningMean = trackRunningStats ? Tensor.zeros([numFeatures], device: device) : nil
        runningVar = trackRunningStats ? Tensor.ones([numFeatures], device: device) : nil
        numBatchesTracked = trackRunningStats ? Tensor.zeros([], dtype: .int64, device: device) : nil
        super.init()
    }

    /// Checks the input's rank (BatchNorm1d: 2 or 3, BatchNorm2d: 4).
    open func checkInputDim(_ x: Tensor) {}

    /// Sets the running statistics back to zeros / ones / 0 (PyTorch's `reset_running_stats`).
    public func resetRunningStats() {
        noGrad {
            runningMean?.zero_(); runningVar?.fill_(1); numBatchesTracked?.zero_()
        }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkInputDim(x)
        var factor = momentum ?? 0
        if isTraining, let nbt = numBatchesTracked {
            noGrad { _ = nbt.add_(Tensor.wrap(1)) }   // PyTorch's num_batches_tracked.add_(1)
            if momentum == nil { factor = 1 / nbt.item() }
        }
        let useBatchStats = isTraining || (runningMean == nil && runningVar == nil)
        let track = !isTraining || trackRunningStats
        return batchNorm(x, runningMean: track ? runningMean : nil, runningVar: track ? runningVar : nil,
                         weight: weight, bias: bias, training: useBatchStats, momentum: factor, eps: eps)
    }

    public override func namedDirectBuffers() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        if let t = runningMean { out.append(("running_mean", t)) }
        if let t = runningVar { out.append(("running_var", t)) }
        if let t = numBatchesTracked { out.append(("num_batches_tracked", t)) }
        return out
    }

    public override func extraRepr() -> String {
        func b(_ v: Bool) -> String { v ? "True" : "False" }
        return "\(numFeatures), eps=\(formatPyFloat(eps)), momentum=\(momentum.map(formatPyFloat) ?? "None"), affine=\(b(affine)), bias=\(b(bias != nil)), track_running_stats=\(b(trackRunningStats))"
    }
}

/// Batch normalisation of (N, C) or (N, C, L) inputs over each of the C channels (PyTorch's
/// `nn.BatchNorm1d`): batch statistics in training (updating the running ones), running
/// statistics in eval mode.
public class BatchNorm1d: BatchNormBase {
    public override func checkInputDim(_ x: Tensor) {
        if x.rank != 2 && x.rank != 3 { fail("expected 2D or 3D input (got \(x.rank)D input)") }
    }
}

/// Batch normalisation of (N, C, H, W) inputs over each of the C channels (PyTorch's
/// `nn.BatchNorm2d`): batch statistics in training (updating the running ones), running
/// statistics in eval mode.
public class BatchNorm2d: BatchNormBase {
    public override func checkInputDim(_ x: Tensor) {
        if x.rank != 4 { fail("expected 4D input (got \(x.rank)D input)") }
    }
}

/// Average pooling to a fixed output size whatever the input's (PyTorch's `nn.AdaptiveAvgPool2d`):
/// output cell (i, j) averages rows floor(i·H/OH) ..< ceil((i+1)·H/OH) and likewise columns. A nil
/// size keeps that input dim.
public final class AdaptiveAvgPool2d: Module {
    let size: AdaptiveSize2d
    public var outputSize: (Int?, Int?) { size.value }
    /// The same size for both dims (`AdaptiveAvgPool2d(1)` for global average pooling).
    public init(_ outputSize: Int) { size = AdaptiveSize2d(outputSize); super.init() }
    /// An (height, width) size; nil keeps the input's.
    public init(_ outputSize: (Int?, Int?)) { size = AdaptiveSize2d(outputSize); super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize) }
    public override func extraRepr() -> String { "output_size=\(size.written)" }
}

/// An adaptive pool's output size and how PyTorch prints it (`1`, or `(3, None)`).
struct AdaptiveSize2d {
    let value: (Int?, Int?)
    let written: String
    init(_ v: Int) { value = (v, v); written = "\(v)" }
    init(_ v: (Int?, Int?)) { value = v; written = "(\(v.0.map(String.init) ?? "None"), \(v.1.map(String.init) ?? "None"))" }
}
