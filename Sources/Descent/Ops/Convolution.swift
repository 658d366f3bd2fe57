// 2-D convolution, max/average pooling and batch normalisation (PyTorch's `F.conv2d`,
// `F.max_pool2d`, `F.avg_pool2d`, `F.batch_norm`) on float32/float64 CPU tensors. Forward and
// backward are C kernels (Sources/CDescentKernels/conv.c: im2col + GEMM, window loops, fused
// batch-norm passes); each op records one node with PyTorch's grad_fn name.

/// PyTorch's legacy type name of a dtype (`torch.FloatTensor`), used in its conv error messages.
private func legacyTypeName(_ d: DType) -> String {
    switch d {
    case .float32: return "torch.FloatTensor"
    case .float64: return "torch.DoubleTensor"
    case .int64: return "torch.LongTensor"
    case .int32: return "torch.IntTensor"
    case .uint8: return "torch.ByteTensor"
    case .bool: return "torch.BoolTensor"
    }
}

private func checkFloat(_ t: Tensor, _ op: String) {
    if !t.dtype.isFloatingPoint { fail("\"\(op)\" not implemented for '\(t.dtype.scalarTypeName)'") }
}

/// The (N, C, H, W) geometry of a 3-D (unbatched) or 4-D input.
private func batchedShape(_ x: Tensor) -> (n: Int, c: Int, h: Int, w: Int) {
    x.rank == 4 ? (x.shape[0], x.shape[1], x.shape[2], x.shape[3]) : (1, x.shape[0], x.shape[1], x.shape[2])
}

// MARK: - Convolution

/// PyTorch's string paddings of a convolution: `.valid` (no padding) or `.same` (the output has
/// the input's size; stride 1 only; an odd total padding puts the extra row/column at the bottom/right).
public enum ConvPadding: String, Sendable { case valid, same }

/// 2-D convolution of `input` (N, C, H, W) — or unbatched (C, H, W) — with `weight`
/// (outChannels, C/groups, kH, kW) plus an optional `bias` (outChannels) (PyTorch's `F.conv2d`).
/// Integer arguments apply to both spatial dims.
public func conv2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    conv2dImpl(input, weight, bias, stride: (stride, stride), padding: .explicit(padding, padding), dilation: (dilation, dilation), groups: groups)
}

/// 2-D convolution with (height, width) pairs for stride, padding and dilation.
@_disfavoredOverload
public func conv2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    conv2dImpl(input, weight, bias, stride: stride, padding: .explicit(padding.0, padding.1), dilation: dilation, groups: groups)
}

/// 2-D convolution with PyTorch's `padding="valid"` or `padding="same"`.
public func conv2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: ConvPadding,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    conv2d(input, weight, bias, stride: (stride, stride), padding: padding, dilation: (dilation, dilation), groups: groups)
}

/// 2-D convolution with PyTorch's `padding="valid"` or `padding="same"` and (height, width) pairs.
@_disfavoredOverload
public func conv2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: ConvPadding,
                   dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    let spec: PaddingSpec = padding == .same ? .same : .explicit(0, 0)
    return conv2dImpl(input, weight, bias, stride: stride, padding: spec, dilation: dilation, groups: groups)
}

/// Padding as resolved by the public entry points.
enum PaddingSpec { case explicit(Int, Int), same }

func conv2dImpl(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, stride: (Int, Int), padding spec: PaddingSpec,
                dilation: (Int, Int), groups: Int) -> Tensor {
    convImpl(input, weight, bias, dims: 2, stride: stride, padding: spec, dilation: dilation, groups: groups)
}

/// A convolution over `dims` (1 or 2) spatial dims. 1-D runs as 2-D with height 1: its stride,
/// padding and dilation pairs are (1, s), (0, p) and (1, d), and `.explicit` padding gives (0, p).
func convImpl(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?, dims: Int, stride: (Int, Int), padding spec: PaddingSpec,
              dilation: (Int, Int), groups: Int) -> Tensor {
    let name = "conv\(dims)d"
    if input.rank != dims + 1 && input.rank != dims + 2 {
        fail("Expected \(dims + 1)D (unbatched) or \(dims + 2)D (batched) input to \(name), but got input of size: \(shapeString(input.shape))")
    }
    if input.rank == dims + 1 {
        // PyTorch runs an unbatched input as a batch of one and squeezes the result (SqueezeBackward1).
        return convImpl(input.unsqueeze(0), weight, bias, dims: dims, stride: stride, padding: spec, dilation: dilation,
                        groups: groups).squeeze(dim: 0)
    }
    checkConvOperands(input, weight, name)
    if weight.rank != dims + 2 {
        let spatial = dims == 2 ? "kH, kW" : "kW"
        fail("\(name): expected a \(dims + 2)-D weight (out_channels, in_channels/groups, \(spatial)), but got weight of size \(shapeString(weight.shape))")
    }
    if stride.0 <= 0 || stride.1 <= 0 { fail("non-positive stride is not supported") }
    let kh = dims == 2 ? weight.shape[2] : 1, kw = weight.shape[dims + 1]
    let padding: (Int, Int)
    switch spec {
    case .explicit(let ph, let pw): padding = (ph, pw)
    case .same:
        if stride != (1, 1) { fail("padding='same' is not supported for strided convolutions") }
        // the top/left padding; the output keeps the input's size, so any extra bottom/right row is implicit
        padding = (dilation.0 * (kh - 1) / 2, dilation.1 * (kw - 1) / 2)
    }
    if padding.0 < 0 || padding.1 < 0 { fail("negative padding is not supported") }
    if dilation.0 <= 0 || dilation.1 <= 0 { fail("non-positive dilation is not supported") }
    if groups <= 0 { fail("non-positive groups is not supported") }
    let n = input.shape[0], c = input.shape[1]
    let h = dims == 2 ? input.shape[2] : 1, w = input.shape[dims + 1]
    let oc = weight.shape[0]
    if oc % groups != 0 {
        fail("Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(shapeString(weight.shape))] instead")
    }
    if c != weight.shape[1] * groups {
        fail("Given groups=\(groups), weight of size \(shapeString(weight.shape)), expected input\(shapeString(input.shape)) to have \(weight.shape[1] * groups) channels, but got \(c) channels instead")
    }
    if let b = bias {
        checkSameDevice(input, b)
        if b.rank != 1 || b.shape[0] != oc {
            fail("Given weight of size \(shapeString(weight.shape)), expected bias to be 1-dimensional with \(oc) elements, but got bias of size \(shapeString(b.shape)) instead")
        }
        if b.dtype != input.dtype {
            fail("Input type (\(input.dtype == .float32 ? "float" : "double")) and bias type (\(b.dtype == .float32 ? "float" : b.dtype == .float64 ? "double" : b.dtype.name)) should be the same")
        }
    }
    let ekh = dilation.0 * (kh - 1) + 1, ekw = dilation.1 * (kw - 1) + 1
    let ph = h + 2 * padding.0, pw = w + 2 * padding.1
    let oh: Int, ow: Int
    if case .same = spec {
        (oh, ow) = (h, w)
    } else {
        if ph < ekh || pw < ekw {
            let sizes = dims == 2 ? ("(\(ph) x \(pw))", "(\(ekh) x \(ekw))") : ("(\(pw))", "(\(ekw))")
            fail("Calculated padded input size per channel: \(sizes.0). Kernel size: \(sizes.1). Kernel size can't be greater than actual input size")
        }
        (oh, ow) = ((ph - ekh) / stride.0 + 1, (pw - ekw) / stride.1 + 1)
    }
    let g = windowGeometry(n: n, c: c, h: h, w: w, oc: oc, oh: oh, ow: ow, kernel: (kh, kw), stride: stride, padding: padding,
                           dilation: dilation, groups: groups)
    let outShape = dims == 2 ? [n, oc, oh, ow] : [n, oc, ow]
    let x = input.contiguous(), wt = weight.contiguous(), b = bias?.contiguous()
    let out = Tensor(uninitializedShape: outShape, dtype: input.dtype, device: input.device)
    Kernels.conv2dForward(g, x, wt, b, out: out)
    let recordsBias = bias.map { $0.requiresGradFlag } ?? false
    if gradEnabled && (input.requiresGradFlag || weight.requiresGradFlag || recordsBias) {
        let inShape = input.shape, wShape = weight.shape
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        out.recorded(.convolution(g, inShape: inShape, wShape: wShape), inputs: inputs, saved: [x, wt])
    }
    return out
}

/// Device, dtype and float checks shared by the convolutions, with PyTorch's messages.
private func checkConvOperands(_ input: Tensor, _ weight: Tensor, _ name: String) {
    checkSameDevice(input, weight)
    if input.dtype != weight.dtype {
        fail("Input type (\(legacyTypeName(input.dtype))) and weight type (\(legacyTypeName(weight.dtype))) should be the same or input should be a MKLDNN tensor and weight is a dense tensor")
    }
    checkFloat(input, name)
}

/// The kernels' description of a window op.
func windowGeometry(n: Int, c: Int, h: Int, w: Int, oc: Int, oh: Int, ow: Int, kernel: (Int, Int), stride: (Int, Int),
                    padding: (Int, Int), dilation: (Int, Int), groups: Int) -> Window2D {
    Window2D(n: n, c: c, h: h, w: w, oc: oc, oh: oh, ow: ow, kh: kernel.0, kw: kernel.1, sh: stride.0, sw: stride.1,
             ph: padding.0, pw: padding.1, dh: dilation.0, dw: dilation.1, groups: groups)
}

/// 1-D convolution of `input` (N, C, L) — or unbatched (C, L) — with `weight` (outChannels,
/// C/groups, k) plus an optional `bias` (outChannels) (PyTorch's `F.conv1d`).
public func conv1d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    convImpl(input, weight, bias, dims: 1, stride: (1, stride), padding: .explicit(0, padding), dilation: (1, dilation), groups: groups)
}

/// 1-D convolution with PyTorch's `padding="valid"` or `padding="same"`.
public func conv1d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: ConvPadding,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    convImpl(input, weight, bias, dims: 1, stride: (1, stride), padding: padding == .same ? .same : .explicit(0, 0),
             dilation: (1, dilation), groups: groups)
}

/// 2-D transposed convolution (PyTorch's `F.conv_transpose2d`, the gradient of `conv2d` with
/// respect to its input): `input` (N, inChannels, H, W) or unbatched, `weight` (inChannels,
/// outChannels/groups, kH, kW), output (N, outChannels, (H-1)·stride - 2·padding +
/// dilation·(kH-1) + outputPadding + 1, ...).
@_disfavoredOverload
public func convTranspose2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1,
                            dilation: (Int, Int) = (1, 1)) -> Tensor {
    if input.rank != 3 && input.rank != 4 {
        fail("Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: \(shapeString(input.shape))")
    }
    if input.rank == 3 {
        return convTranspose2d(input.unsqueeze(0), weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                               groups: groups, dilation: dilation).squeeze(dim: 0)
    }
    checkConvOperands(input, weight, "conv_transpose2d")
    if weight.rank != 4 {
        fail("conv_transpose2d: expected a 4-D weight (in_channels, out_channels/groups, kH, kW), but got weight of size \(shapeString(weight.shape))")
    }
    if stride.0 <= 0 || stride.1 <= 0 { fail("non-positive stride is not supported") }
    if padding.0 < 0 || padding.1 < 0 { fail("negative padding is not supported") }
    if dilation.0 <= 0 || dilation.1 <= 0 { fail("non-positive dilation is not supported") }
    if groups <= 0 { fail("non-positive groups is not supported") }
    if outputPadding.0 < 0 || outputPadding.1 < 0 || (outputPadding.0 >= stride.0 && outputPadding.0 >= dilation.0)
        || (outputPadding.1 >= stride.1 && outputPadding.1 >= dilation.1) {
        fail("output padding must be smaller than either stride or dilation, but got output_padding_height: \(outputPadding.0) output_padding_width: \(outputPadding.1) stride_height: \(stride.0) stride_width: \(stride.1) dilation_height: \(dilation.0) dilation_width: \(dilation.1)")
    }
    let n = input.shape[0], cin = input.shape[1], h = input.shape[2], w = input.shape[3]
    let kh = weight.shape[2], kw = weight.shape[3], cout = weight.shape[1] * groups
    if cin != weight.shape[0] {
        fail("Given transposed=1, weight of size \(shapeString(weight.shape)), expected input\(shapeString(input.shape)) to have \(weight.shape[0]) channels, but got \(cin) channels instead")
    }
    if cin % groups != 0 {
        fail("Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(shapeString(weight.shape))] instead")
    }
    if let b = bias {
        checkSameDevice(input, b)
        if b.rank != 1 || b.shape[0] != cout {
            fail("Given transposed=1, weight of size \(shapeString(weight.shape)), expected bias to be 1-dimensional with \(cout) elements, but got bias of size \(shapeString(b.shape)) instead")
        }
        if b.dtype != input.dtype { fail("Input type (\(input.dtype.name)) and bias type (\(b.dtype.name)) should be the same") }
    }
    let oh = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let ow = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    if oh <= 0 || ow <= 0 {
        fail("Given input size per channel: (\(h) x \(w)). Calculated output size per channel: (\(oh) x \(ow)). Output size is too small")
    }
    // The convolution whose input gradient this is: input (N, cout, oh, ow) -> output (N, cin, h, w).
    let g = windowGeometry(n: n, c: cout, h: oh, w: ow, oc: cin, oh: h, ow: w, kernel: (kh, kw), stride: stride, padding: padding,
                           dilation: dilation, groups: groups)
    let x = input.contiguous(), wt = weight.contiguous()
    let out = Tensor(uninitializedShape: [n, cout, oh, ow], dtype: input.dtype, device: input.device)
    Kernels.conv2dBackward(g, x: nil, w: wt, gy: x, gx: out, gw: nil, gb: nil)
    if let b = bias {
        noGrad { _ = out.add_(b.detach().reshape(1, cout, 1, 1)) }
    }
    let recordsBias = bias.map { $0.requiresGradFlag } ?? false
    if gradEnabled && (input.requiresGradFlag || weight.requiresGradFlag || recordsBias) {
        let inShape = input.shape, wShape = weight.shape
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        out.recorded(.convTranspose2d(g, inShape: inShape, wShape: wShape), inputs: inputs, saved: [x, wt])
    }
    return out
}

/// 2-D transposed convolution with the same stride, padding, output padding and dilation in both dims.
public func convTranspose2d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1) -> Tensor {
    convTranspose2d(input, weight, bias, stride: (stride, stride), padding: (padding, padding),
                    outputPadding: (outputPadding, outputPadding), groups: groups, dilation: (dilation, dilation))
}

// MARK: - Pooling

/// Output size of a pooling window along one dim (PyTorch's `pooling_output_shape`).
private func poolOutputSize(_ size: Int, kernel: Int, pad: Int, stride: Int, dilation: Int, ceilMode: Bool) -> Int {
    let num = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
    var out = Int((Double(num) / Double(stride)).rounded(.down)) + 1
    if ceilMode && (out - 1) * stride >= size + pad { out -= 1 }
    return out
}

/// Validates a pooling call and returns its geometry and output shape.
private func poolGeometry(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                          dilation: (Int, Int), ceilMode: Bool) -> (Window2D, [Int]) {
    if (x.rank != 3 && x.rank != 4) || x.shape.dropFirst(x.rank - 3).contains(0) {
        fail("non-empty 3D or 4D (batch mode) tensor expected for input")
    }
    checkFloat(x, "pool2d")
    if kernel.0 <= 0 || kernel.1 <= 0 { fail("kernel size should be greater than zero, but got kH: \(kernel.0) kW: \(kernel.1)") }
    if stride.0 <= 0 || stride.1 <= 0 { fail("stride should not be zero") }
    if dilation.0 <= 0 || dilation.1 <= 0 {
        fail("dilation should be greater than zero, but got dilationH: \(dilation.0) dilationW: \(dilation.1)")
    }
    for (p, k, d) in [(padding.0, kernel.0, dilation.0), (padding.1, kernel.1, dilation.1)] {
        if p < 0 { fail("pad must be non-negative, but got pad: \(p)") }
        if p > ((k - 1) * d + 1) / 2 {
            fail("pad should be at most half of effective kernel size, but got pad=\(p), kernel_size=\(k) and dilation=\(d)")
        }
    }
    let (n, c, h, w) = batchedShape(x)
    let oh = poolOutputSize(h, kernel: kernel.0, pad: padding.0, stride: stride.0, dilation: dilation.0, ceilMode: ceilMode)
    let ow = poolOutputSize(w, kernel: kernel.1, pad: padding.1, stride: stride.1, dilation: dilation.1, ceilMode: ceilMode)
    if oh < 1 || ow < 1 {
        fail("Given input size: (\(c)x\(h)x\(w)). Calculated output size: (\(c)x\(oh)x\(ow)). Output size is too small")
    }
    let g = windowGeometry(n: n, c: c, h: h, w: w, oc: c, oh: oh, ow: ow, kernel: kernel, stride: stride, padding: padding,
                           dilation: dilation, groups: 1)
    let shape = x.rank == 4 ? [n, c, oh, ow] : [c, oh, ow]
    return (g, shape)
}

/// Max pooling with the flat (ih * W + iw) index of each maximum (PyTorch's `F.max_pool2d(...,
/// return_indices=True)`). `stride` nil means `kernelSize`.
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> (Tensor, Tensor) {
    let (g, shape) = poolGeometry(input, kernel: kernelSize, stride: stride ?? kernelSize, padding: padding, dilation: dilation, ceilMode: ceilMode)
    let x = input.contiguous()
    let out = Tensor(uninitializedShape: shape, dtype: input.dtype, device: input.device)
    let idx = Tensor(uninitializedShape: shape, dtype: .int64, device: input.device)
    Kernels.maxPool2dForward(g, x, out: out, indices: idx)
    if wantsGrad(input) {
        let geometry = g, inShape = input.shape, dt = input.dtype
        out.recorded(.maxPool2d(geometry, inShape: inShape, dtype: dt), inputs: [input], saved: [idx])
    }
    return (out, idx)
}

/// Max pooling with square windows (PyTorch's `F.max_pool2d`). `stride` nil means `kernelSize`.
public func maxPool2d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false) -> Tensor {
    maxPool2dWithIndices(input, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) },
                         padding: (padding, padding), dilation: (dilation, dilation), ceilMode: ceilMode).0
}
/// `F.max_pool2d(x, 2)` and `F.max_pool2d(x, 3, 2)` as PyTorch's positional form.
public func maxPool2d(_ input: Tensor, _ kernelSize: Int, _ stride: Int? = nil) -> Tensor {
    maxPool2d(input, kernelSize: kernelSize, stride: stride)
}
/// Max pooling with (height, width) windows (PyTorch's `F.max_pool2d`).
public func maxPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
    maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).0
}

/// Average pooling (PyTorch's `F.avg_pool2d`): `stride` nil means `kernelSize`; with
/// `countIncludePad` the zero padding counts in the divisor; `divisorOverride` replaces it.
public func avgPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    let (g, shape) = poolGeometry(input, kernel: kernelSize, stride: stride ?? kernelSize, padding: padding, dilation: (1, 1), ceilMode: ceilMode)
    if let d = divisorOverride, d == 0 { fail("divisor must be not zero") }
    let x = input.contiguous()
    let out = Tensor(uninitializedShape: shape, dtype: input.dtype, device: input.device)
    let divisor = divisorOverride ?? 0
    Kernels.avgPool2dForward(g, countIncludePad: countIncludePad, divisor: divisor, x, out: out)
    if wantsGrad(input) {
        let geometry = g, inShape = input.shape, dt = input.dtype
        out.recorded(.avgPool2d(geometry, countIncludePad: countIncludePad, divisor: divisor, inShape: inShape, dtype: dt), inputs: [input])
    }
    return out
}
/// `F.avg_pool2d(x, 2)` and `F.avg_pool2d(x, 3, 2)` as PyTorch's positional form.
public func avgPool2d(_ input: Tensor, _ kernelSize: Int, _ stride: Int? = nil) -> Tensor {
    avgPool2d(input, kernelSize: kernelSize, stride: stride)
}
/// Average pooling with square windows (PyTorch's `F.avg_pool2d`).
public func avgPool2d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                      countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    avgPool2d(input, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
              ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
}

// MARK: - Batch normalisation

/// Batch normalisation over dim 1 of an (N, C, ...) input (PyTorch's `F.batch_norm`). With
/// `training`, each channel is normalised with the batch's mean and biased variance, and the
/// running statistics (when given) are updated in place: mean with the batch mean, variance with
/// the unbiased batch variance, each as `(1 - momentum) * running + momentum * batch`. Without
/// `training`, the running statistics normalise. `weight` and `bias` (C entries) scale and shift.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                      training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
    if input.rank < 2 { fail("Dimension out of range (expected to be in range of [-1, 0], but got 1)") }
    checkFloat(input, "batch_norm")
    let n = input.shape[0], c = input.shape[1], l = input.shape.dropFirst(2).reduce(1, *)
    for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
        guard let t = t else { continue }
        checkSameDevice(input, t)
        if t.count != c { fail("\(name) should contain \(c) elements not \(t.count)") }
        if t.dtype != input.dtype { fail("mixed dtype (CPU): all inputs must share same datatype.") }
    }
    if training && n * l <= 1 {
        fail("Expected more than 1 value per channel when training, got input size \(shapeString(input.shape))")
    }
    if !training && (runningMean == nil || runningVar == nil) {
        fail("running_\(runningMean == nil ? "mean" : "var") must be defined in evaluation mode")
    }
    let dt = input.dtype
    let x = input.contiguous()
    let out = Tensor(uninitializedShape: input.shape, dtype: dt, device: input.device)
    let (meanT, invstdT) = Kernels.batchNormForward(x, n: n, c: c, l: l, runningMean: runningMean, runningVar: runningVar,
                                                    weight: weight, bias: bias, training: training, momentum: momentum, eps: eps, out: out)

    let wantsW = weight.map { $0.requiresGradFlag } ?? false, wantsB = bias.map { $0.requiresGradFlag } ?? false
    if gradEnabled && (input.requiresGradFlag || wantsW || wantsB) {
        var inputs = [input]
        if let wt = weight { inputs.append(wt) }
        if let bt = bias { inputs.append(bt) }
        let hasW = weight != nil, hasB = bias != nil, shape = input.shape
        let saved = [x, meanT, invstdT] + (weight.map { [$0.contiguous()] } ?? [])
        out.recorded(.batchNorm(BatchNormShape(training: training, n: n, c: c, l: l, hasWeight: hasW, hasBias: hasB, shape: shape, dtype: dt)), inputs: inputs, saved: saved)
    }
    return out
}

/// PyTorch's `F.adaptive_avg_pool2d` on (N, C, H, W) or (C, H, W) float inputs.
/// `adaptiveAvgPool2d` with the same size for both dims (`1` for global average pooling).
public func adaptiveAvgPool2d(_ x: Tensor, _ outputSize: Int) -> Tensor { adaptiveAvgPool2d(x, (outputSize, outputSize)) }
public func adaptiveAvgPool2d(_ x: Tensor, _ outputSize: (Int?, Int?)) -> Tensor {
    if x.rank != 3 && x.rank != 4 { fail("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got \(shapeString(x.shape))") }
    if !x.dtype.isFloatingPoint { fail("adaptive_avg_pool2d: expected a floating point input") }
    let h = x.shape[x.rank - 2], w = x.shape[x.rank - 1]
    let oh = outputSize.0 ?? h, ow = outputSize.1 ?? w
    let planes = x.count / Swift.max(h * w, 1)
    let outShape = Array(x.shape[..<(x.rank - 2)]) + [oh, ow]
    let xc = x.contiguous()
    let out = Tensor(uninitializedShape: outShape, dtype: x.dtype, device: x.device)
    Kernels.adaptiveAvgPool2d(xc, planes: planes, h: h, w: w, oh: oh, ow: ow, out: out, backward: false)
    if wantsGrad(x) {
        let inShape = x.shape
        out.recorded(.adaptiveAvgPool2d(planes: planes, h: h, w: w, oh: oh, ow: ow, inShape: inShape), inputs: [x])
    }
    return out
}

/// What batch norm's backward needs besides its saved tensors.
struct BatchNormShape {
    let training: Bool
    let n: Int, c: Int, l: Int
    let hasWeight: Bool, hasBias: Bool
    let shape: [Int]
    let dtype: DType
}

// The backward rules of the ops above (their `Op` cases dispatch here).
extension Op {
    /// AdaptiveAvgPool2DBackward0: each output cell's gradient spread evenly over its window.
    static func adaptiveAvgPool2dBackward(planes: Int, h: Int, w: Int, oh: Int, ow: Int, inShape: [Int], _ g: Tensor) -> [Tensor?] {
        let gc = g.contiguous()
        let gx = Tensor.zeros(inShape, dtype: g.dtype, device: g.device)
        Kernels.adaptiveAvgPool2d(gc, planes: planes, h: h, w: w, oh: oh, ow: ow, out: gx, backward: true)
        return [gx]
    }
    static func convolutionBackward(_ g: Window2D, inShape: [Int], wShape: [Int], _ grad: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let gy = grad.dtype == s[0].dtype ? grad.contiguous() : grad.to(dtype: s[0].dtype).contiguous()
        let gx = needs[0] ? Tensor(uninitializedShape: inShape, dtype: gy.dtype, device: gy.device) : nil
        let gw = needs[1] ? Tensor(uninitializedShape: wShape, dtype: gy.dtype, device: gy.device) : nil
        let gb = needs.count > 2 && needs[2] ? Tensor(uninitializedShape: [wShape[0]], dtype: gy.dtype, device: gy.device) : nil
        Kernels.conv2dBackward(g, x: s[0], w: s[1], gy: gy, gx: gx, gw: gw, gb: gb)
        return needs.count > 2 ? [gx, gw, gb] : [gx, gw]
    }
    static func convTranspose2dBackward(_ g: Window2D, inShape: [Int], wShape: [Int], _ grad: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let gy = grad.dtype == s[0].dtype ? grad.contiguous() : grad.to(dtype: s[0].dtype).contiguous()
        var gx: Tensor?, gw: Tensor?, gb: Tensor?
        if needs[0] {
            let t = Tensor(uninitializedShape: inShape, dtype: gy.dtype, device: gy.device)
            Kernels.conv2dForward(g, gy, s[1], nil, out: t, asPyTorch: false)
            gx = t
        }
        let needsBias = needs.count > 2 && needs[2]
        let biasByKernel = needsBias && gy.device == .cpu   // the CPU kernel sums it in PyTorch's order
        if needs[1] || biasByKernel {
            let t = needs[1] ? Tensor(uninitializedShape: wShape, dtype: gy.dtype, device: gy.device) : nil
            let tb = biasByKernel ? Tensor(uninitializedShape: [gy.shape[1]], dtype: gy.dtype, device: gy.device) : nil
            Kernels.conv2dBackward(g, x: gy, w: s[1], gy: s[0], gx: nil, gw: t, gb: tb, transposed: true)
            gw = t
            gb = tb
        }
        if needsBias && !biasByKernel { gb = noGrad { gy.sum(dims: [0, 2, 3]) } }
        return needs.count > 2 ? [gx, gw, gb] : [gx, gw]
    }
    static func maxPool2dBackward(_ geometry: Window2D, inShape: [Int], dt: DType, _ grad: Tensor, _ s: [Tensor]) -> [Tensor?] {
        let gy = grad.dtype == dt ? grad.contiguous() : grad.to(dtype: dt).contiguous()
        let gx = Tensor(uninitializedShape: inShape, dtype: gy.dtype, device: gy.device)
        Kernels.maxPool2dBackward(geometry, gy, indices: s[0], gx: gx)
        return [gx]
    }
    static func avgPool2dBackward(_ geometry: Window2D, countIncludePad: Bool, divisor: Int, inShape: [Int], dt: DType, _ grad: Tensor) -> [Tensor?] {
        let gy = grad.dtype == dt ? grad.contiguous() : grad.to(dtype: dt).contiguous()
        let gx = Tensor(uninitializedShape: inShape, dtype: dt, device: gy.device)
        Kernels.avgPool2dBackward(geometry, countIncludePad: countIncludePad, divisor: divisor, gy, gx: gx)
        return [gx]
    }
    static func batchNormBackward(_ b: BatchNormShape, _ grad: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let (training, n, c, l, hasW, hasB, shape, dt) = (b.training, b.n, b.c, b.l, b.hasWeight, b.hasBias, b.shape, b.dtype)
        let gy = grad.dtype == dt ? grad.contiguous() : grad.to(dtype: dt).contiguous()
        let gx = needs[0] ? Tensor(uninitializedShape: shape, dtype: dt, device: gy.device) : nil
        let gw = hasW && needs[1] ? Tensor(uninitializedShape: [c], dtype: dt, device: gy.device) : nil
        let gb = hasB && needs[hasW ? 2 : 1] ? Tensor(uninitializedShape: [c], dtype: dt, device: gy.device) : nil
        Kernels.batchNormBackward(training: training, n: n, c: c, l: l, x: s[0], gy: gy, mean: s[1], invstd: s[2],
                                  weight: hasW ? s[3] : nil, gx: gx, gw: gw, gb: gb)
        var r: [Tensor?] = [gx]
        if hasW { r.append(gw) }
        if hasB { r.append(gb) }
        return r
    }
}
