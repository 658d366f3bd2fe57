// Max pooling that also returns where each maximum came from, and its partial inverse, max
// unpooling (PyTorch's `return_indices=True`, `F.max_unpool1d/2d`, `nn.MaxUnpool1d/2d`).

/// Max pooling that also returns each maximum's flat `h * W + w` index (PyTorch's
/// `F.max_pool2d(x, 2, return_indices=True)`): `let (y, indices) = maxPool2d(x, kernelSize: 2, returnIndices: true)`.
public func maxPool2d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false, returnIndices: Bool) -> (Tensor, Tensor) {
    maxPool2dWithIndices(input, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) },
                         padding: (padding, padding), dilation: (dilation, dilation), ceilMode: ceilMode)
}
/// `maxPool2d(_:kernelSize:...returnIndices:)` with (height, width) windows.
public func maxPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      dilation: (Int, Int) = (1, 1), ceilMode: Bool = false, returnIndices: Bool) -> (Tensor, Tensor) {
    maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
}
/// Max pooling over the last dim that also returns each maximum's position along it (PyTorch's
/// `F.max_pool1d(x, 2, return_indices=True)`).
public func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false, returnIndices: Bool) -> (Tensor, Tensor) {
    var indices: Tensor?
    let y = as2d(input, "max_pool1d") { x in
        let (y, i) = maxPool2dWithIndices(x, kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                                          padding: (0, padding), dilation: (1, dilation), ceilMode: ceilMode)
        indices = i
        return y
    }
    return (y, indices!.squeeze(dim: -2))
}
/// `F.max_pool1d_with_indices`.
public func maxPool1dWithIndices(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                 ceilMode: Bool = false) -> (Tensor, Tensor) {
    maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, returnIndices: true)
}

extension MaxPool2d {
    /// The pooled output and the flat index of each maximum (`let (y, indices) = pool(x)`, as a
    /// PyTorch `MaxPool2d(..., return_indices=True)` returns); `pool(x)` alone gives the output.
    @_disfavoredOverload
    public func callAsFunction(_ x: Tensor) -> (Tensor, Tensor) {
        maxPool2dWithIndices(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}
extension MaxPool1d {
    /// The pooled output and each maximum's position (`let (y, indices) = pool(x)`, as PyTorch's
    /// `MaxPool1d(..., return_indices=True)`); `pool(x)` alone gives the output.
    @_disfavoredOverload
    public func callAsFunction(_ x: Tensor) -> (Tensor, Tensor) {
        maxPool1d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode, returnIndices: true)
    }
}

/// PyTorch's `F.max_unpool2d`: puts each value of an (N, C, H, W) or (C, H, W) input at the flat
/// `h * W + w` position its index names in a zero output of `outputSize` (its last two entries), by
/// default `(H - 1) * stride - 2 * padding + kernelSize` per dim. `stride` nil means `kernelSize`.
public func maxUnpool2d(_ input: Tensor, _ indices: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                        padding: (Int, Int) = (0, 0), outputSize: [Int]? = nil) -> Tensor {
    let st = stride ?? kernelSize
    let (oh, ow) = unpoolOutputSize(input, kernel: [kernelSize.0, kernelSize.1], stride: [st.0, st.1],
                                    padding: [padding.0, padding.1], outputSize: outputSize)
    if indices.dtype != .int64 { fail("elements in indices should be type int64 but got: \(indices.dtype.scalarTypeName)") }
    if input.rank != 3 && input.rank != 4 {
        fail("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with \(input.rank) dimensions.")
    }
    if indices.shape != input.shape {
        fail("Expected shape of indices to be same as that of the input tensor (\(shapeString(input.shape))) but got indices tensor with shape: \(shapeString(indices.shape))")
    }
    let planes = input.shape.dropLast(2).reduce(1, *), n = input.shape[input.rank - 2] * input.shape[input.rank - 1]
    let idx = indices.contiguous().reshape([planes, n])
    if n > 0, planes > 0 {
        let lo = Int(idx.min().item()), hi = Int(idx.max().item())
        if lo < 0 || hi >= oh * ow {
            fail("Found an invalid max index: \(lo < 0 ? lo : hi) (output volumes are of size \(oh)x\(ow))")
        }
    }
    let out = noGrad {
        Tensor.zeros([planes, oh * ow], dtype: input.dtype, device: input.device)
            .scatter(dim: 1, index: idx, src: input.contiguous().reshape([planes, n]))
            .view(Array(input.shape.dropLast(2)) + [oh, ow])
    }
    return wantsGrad(input) ? out.recorded(.maxUnpool2d(inShape: input.shape), inputs: [input], saved: [idx]) : out
}
/// `maxUnpool2d` with square windows.
public func maxUnpool2d(_ input: Tensor, _ indices: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                        outputSize: [Int]? = nil) -> Tensor {
    maxUnpool2d(input, indices, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
                outputSize: outputSize)
}
/// `F.max_unpool2d(x, indices, 2)` as PyTorch's positional form.
public func maxUnpool2d(_ input: Tensor, _ indices: Tensor, _ kernelSize: Int, _ stride: Int? = nil) -> Tensor {
    maxUnpool2d(input, indices, kernelSize: kernelSize, stride: stride)
}
/// PyTorch's `F.max_unpool1d`: the 1-D case of `maxUnpool2d` over the last dim of (N, C, L) or (C, L).
public func maxUnpool1d(_ input: Tensor, _ indices: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                        outputSize: [Int]? = nil) -> Tensor {
    let st = stride ?? kernelSize
    let (ol, _) = unpoolOutputSize(input, kernel: [kernelSize], stride: [st], padding: [padding], outputSize: outputSize)
    return maxUnpool2d(input.unsqueeze(dim: -1), indices.unsqueeze(dim: -1), kernelSize: (kernelSize, 1), stride: (st, 1),
                       padding: (padding, 0), outputSize: [ol, 1]).squeeze(dim: -1)
}
/// `F.max_unpool1d(x, indices, 2)` as PyTorch's positional form.
public func maxUnpool1d(_ input: Tensor, _ indices: Tensor, _ kernelSize: Int, _ stride: Int? = nil) -> Tensor {
    maxUnpool1d(input, indices, kernelSize: kernelSize, stride: stride)
}

/// PyTorch's `_unpool_output_size`: the default size per spatial dim, or the last entries of
/// `outputSize`, which must lie strictly within one stride of the default.
private func unpoolOutputSize(_ input: Tensor, kernel: [Int], stride: [Int], padding: [Int], outputSize: [Int]?) -> (Int, Int) {
    let k = kernel.count
    if input.rank < k { fail("max_unpool\(k)d: expected an input with at least \(k) dims, got \(shapeString(input.shape))") }
    let spatial = Array(input.shape.suffix(k))
    var defaults: [Int] = []
    for d in 0..<k { defaults.append((spatial[d] - 1) * stride[d] - 2 * padding[d] + kernel[d]) }
    var size = defaults
    if let o = outputSize {
        if o.count == k + 2 { size = Array(o.suffix(k)) }
        else if o.count == k { size = o }
        else {
            fail("output_size should be a sequence containing \(k) or \(k + 2) elements, but it has a length of '\(o.count)'")
        }
        for d in 0..<k {
            let lo = defaults[d] - stride[d], hi = defaults[d] + stride[d]
            if !(lo < size[d] && size[d] < hi) {
                fail("invalid output_size \"[\(size.map(String.init).joined(separator: ", "))]\" (dim \(d) must be between \(lo) and \(hi))")
            }
        }
    }
    return (size[0], k > 1 ? size[1] : 1)
}

/// PyTorch's `nn.MaxUnpool2d`: `unpool(y, indices)` or `unpool(y, indices, outputSize: x.shape)`
/// puts pooled values back where `MaxPool2d(..., returnIndices: true)` found them, zeros elsewhere.
public final class MaxUnpool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    /// (height, width) windows; `stride` nil means `kernelSize`.
    public init(_ kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        super.init()
    }
    /// Square windows; `stride` nil means `kernelSize`.
    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init((kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }
    /// PyTorch's keyword form.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize, stride: stride, padding: padding)
    }
    /// Unpools `x` with the indices its max pooling returned; `outputSize` (2 or 4 entries) picks
    /// among the sizes that pool to `x`'s.
    public func callAsFunction(_ x: Tensor, _ indices: Tensor, outputSize: [Int]? = nil) -> Tensor {
        maxUnpool2d(x, indices, kernelSize: kernelSize, stride: stride, padding: padding, outputSize: outputSize)
    }
    public override func forward(_ x: Tensor) -> Tensor {
        fail("MaxUnpool2d.forward() missing 1 required positional argument: 'indices'")
    }
    public override func extraRepr() -> String {
        "kernel_size=(\(kernelSize.0), \(kernelSize.1)), stride=(\(stride.0), \(stride.1)), padding=(\(padding.0), \(padding.1))"
    }
}

/// PyTorch's `nn.MaxUnpool1d`: the 1-D case of `MaxUnpool2d` over the last dim.
public final class MaxUnpool1d: Module {
    public let kernelSize: Int, stride: Int, padding: Int
    /// `stride` nil means `kernelSize`.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        super.init()
    }
    /// PyTorch's keyword form.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize, stride: stride, padding: padding)
    }
    /// Unpools `x` with the indices its max pooling returned; `outputSize` (1 or 3 entries) picks
    /// among the lengths that pool to `x`'s.
    public func callAsFunction(_ x: Tensor, _ indices: Tensor, outputSize: [Int]? = nil) -> Tensor {
        maxUnpool1d(x, indices, kernelSize: kernelSize, stride: stride, padding: padding, outputSize: outputSize)
    }
    public override func forward(_ x: Tensor) -> Tensor {
        fail("MaxUnpool1d.forward() missing 1 required positional argument: 'indices'")
    }
    public override func extraRepr() -> String { "kernel_size=(\(kernelSize),), stride=(\(stride),), padding=(\(padding),)" }
}
