// 3-D (volumetric) layers: Conv3d, MaxPool3d, AvgPool3d, BatchNorm3d, written as a gather of the sliding
// windows (the N-d im2col shared with unfold / fold) and a matmul or a reduction over each window, so
// autograd and every backend come with them. Accurate float32, not PyTorch's kernels' summation order.

/// Where each (kernel offset, output position) reads in the zero-padded input, flattened row-major, for
/// any number of spatial dims: kernel offsets outermost (unfold's channel-major order), then positions.
func slidingWindowIndex(size: [Int], kernel: [Int], dilation: [Int], padding: [Int], stride: [Int]) -> (index: [Int64], padded: [Int], blocks: [Int]) {
    let dims = size.count
    let padded = (0..<dims).map { size[$0] + 2 * padding[$0] }
    let span = (0..<dims).map { dilation[$0] * (kernel[$0] - 1) + 1 }
    let blocks = (0..<dims).map { padded[$0] < span[$0] ? 0 : (padded[$0] - span[$0]) / stride[$0] + 1 }
    if blocks.contains(where: { $0 <= 0 }) {
        let t = { (v: [Int]) in "(" + v.map(String.init).joined(separator: ", ") + ")" }
        fail("Given input with spatial size \(t(size)), kernel_size=\(t(kernel)), dilation=\(t(dilation)), padding=\(t(padding)), calculated shape of the array of sliding blocks as \(t(blocks)), but its components must be at least one.")
    }
    var planeStride = [Int](repeating: 1, count: dims)
    for d in stride.indices.reversed() where d < dims - 1 { planeStride[d] = planeStride[d + 1] * padded[d + 1] }
    let kCount = kernel.reduce(1, *), bCount = blocks.reduce(1, *)
    var idx = [Int64](repeating: 0, count: kCount * bCount)
    for k in 0..<kCount {
        var rem = k, kOff = [Int](repeating: 0, count: dims)
        for d in (0..<dims).reversed() { kOff[d] = rem % kernel[d]; rem /= kernel[d] }
        for b in 0..<bCount {
            var r = b, at = 0
            for d in (0..<dims).reversed() {
                let o = r % blocks[d]; r /= blocks[d]
                at += (o * stride[d] + kOff[d] * dilation[d]) * planeStride[d]
            }
            idx[k * bCount + b] = Int64(at)
        }
    }
    return (idx, padded, blocks)
}

/// The (N, C, K, L) windows of an (N, C, D, H, W) input padded with `value`: K = kd·kh·kw offsets, L positions.
private func windows3d(_ x: Tensor, _ k: [Int], _ s: [Int], _ p: [Int], _ d: [Int], value: Double) -> (Tensor, [Int]) {
    let (n, c) = (x.shape[0], x.shape[1])
    let (idx, padded, blocks) = slidingWindowIndex(size: Array(x.shape[2...]), kernel: k, dilation: d, padding: p, stride: s)
    let xp = p.allSatisfy({ $0 == 0 }) ? x : pad(x, [p[2], p[2], p[1], p[1], p[0], p[0]], value: value)
    let flat = xp.reshape(n, c, padded.reduce(1, *))
    let index = Tensor(flat: idx, shape: [1, 1, idx.count]).to(x.device).expand([n, c, idx.count])
    return (flat.gather(dim: 2, index: index).reshape(n, c, k.reduce(1, *), blocks.reduce(1, *)), blocks)
}
private func triple(_ v: Int) -> [Int] { [v, v, v] }
private func batched5d(_ x: Tensor, _ name: String, _ body: (Tensor) -> Tensor) -> Tensor {
    if x.rank != 4 && x.rank != 5 { fail("Expected 4D (unbatched) or 5D (batched) input to \(name), but got input of size: \(shapeString(x.shape))") }
    return x.rank == 4 ? body(x.unsqueeze(0)).squeeze(dim: 0) : body(x)
}

/// A 3-D convolution of (N, C, D, H, W) or (C, D, H, W) input with weight (O, C / groups, kd, kh, kw)
/// (PyTorch's `F.conv3d`).
public func conv3d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: [Int] = [1, 1, 1], padding: [Int] = [0, 0, 0],
                   dilation: [Int] = [1, 1, 1], groups: Int = 1) -> Tensor {
    batched5d(input, "conv3d") { x in
        if weight.rank != 5 { fail("Expected 5-dimensional weight for 5-dimensional input, but got weight of size \(shapeString(weight.shape))") }
        let (n, c, o) = (x.shape[0], x.shape[1], weight.shape[0])
        if c != weight.shape[1] * groups {
            fail("Given groups=\(groups), weight of size \(shapeString(weight.shape)), expected input\(shapeString(x.shape)) to have \(weight.shape[1] * groups) channels, but got \(c) channels instead")
        }
        let k = Array(weight.shape[2...])
        let (cols, blocks) = windows3d(x, k, stride, padding, dilation, value: 0)   // (N, C, K, L)
        let kk = k.reduce(1, *), l = blocks.reduce(1, *)
        let colsG = cols.reshape(n, groups, (c / groups) * kk, l)
        let w = weight.reshape(groups, o / groups, (c / groups) * kk)
        var y = w.matmul(colsG).reshape([n, o] + blocks)
        if let b = bias { y = y + b.reshape(1, o, 1, 1, 1) }
        return y
    }
}
/// `F.conv3d` with cubic settings.
public func conv3d(_ input: Tensor, _ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
    conv3d(input, weight, bias, stride: triple(stride), padding: triple(padding), dilation: triple(dilation), groups: groups)
}
/// 3-D max pooling (PyTorch's `F.max_pool3d`; `stride` defaults to the kernel size; padding counts as −∞).
public func maxPool3d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0], dilation: [Int] = [1, 1, 1]) -> Tensor {
    batched5d(input, "max_pool3d") { x in
        let (cols, blocks) = windows3d(x, kernelSize, stride ?? kernelSize, padding, dilation, value: -.infinity)
        return cols.max(dim: 2).values.reshape([x.shape[0], x.shape[1]] + blocks)
    }
}
/// `F.max_pool3d` with cubic settings.
public func maxPool3d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) -> Tensor {
    maxPool3d(input, kernelSize: triple(kernelSize), stride: stride.map(triple), padding: triple(padding), dilation: triple(dilation))
}
/// 3-D average pooling (PyTorch's `F.avg_pool3d`; zero padding counted in the average, as `count_include_pad=True`).
public func avgPool3d(_ input: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0]) -> Tensor {
    batched5d(input, "avg_pool3d") { x in
        let (cols, blocks) = windows3d(x, kernelSize, stride ?? kernelSize, padding, [1, 1, 1], value: 0)
        return cols.mean(dim: 2).reshape([x.shape[0], x.shape[1]] + blocks)
    }
}
/// `F.avg_pool3d` with cubic settings.
public func avgPool3d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    avgPool3d(input, kernelSize: triple(kernelSize), stride: stride.map(triple), padding: triple(padding))
}

private func tripleRepr(_ v: [Int]) -> String { "(" + v.map(String.init).joined(separator: ", ") + ")" }
/// PyTorch prints a default left as its number (`padding=0`), a given one as it was given.
private func defaultOr(_ v: [Int], _ d: Int) -> String { v == triple(d) ? "\(d)" : tripleRepr(v) }

/// A 3-D convolution layer (PyTorch's `nn.Conv3d`), initialised as PyTorch does (kaiming-uniform, a = √5).
public final class Conv3d: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int], groups: Int
    /// What the padding holds (PyTorch's `padding_mode`): "zeros", "reflect", "replicate" or "circular".
    public let paddingMode: String
    /// The filters, shaped (outChannels, inChannels / groups, kd, kh, kw).
    public var weight: Parameter
    public var bias: Parameter?
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1, 1], padding: [Int] = [0, 0, 0],
                dilation: [Int] = [1, 1, 1], groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        checkConvChannels(inChannels, outChannels, groups)
        checkPaddingMode(paddingMode)
        self.paddingMode = paddingMode
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize; self.stride = stride
        self.padding = padding; self.dilation = dilation; self.groups = groups
        weight = Parameter(Tensor.empty([outChannels, inChannels / groups] + kernelSize, device: device))
        self.bias = bias ? Parameter(Tensor.empty([outChannels], device: device)) : nil
        super.init()
        resetConvParameters(weight, self.bias)
    }
    /// Cubic kernels and equal settings in the three dims.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                            groups: Int = 1, bias: Bool = true, paddingMode: String = "zeros", device: Device = .cpu) {
        self.init(inChannels, outChannels, kernelSize: triple(kernelSize), stride: triple(stride), padding: triple(padding),
                  dilation: triple(dilation), groups: groups, bias: bias, paddingMode: paddingMode, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor {
        if paddingMode != "zeros" {
            let pads = modePadding(kernel: kernelSize, padding: padding, dilation: dilation, string: nil)
            return conv3d(pad(x, pads, mode: paddingMode), weight, bias, stride: stride, padding: [0, 0, 0], dilation: dilation, groups: groups)
        }
        return conv3d(x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    public override func extraRepr() -> String {
        var s = "\(inChannels), \(outChannels), kernel_size=\(tripleRepr(kernelSize)), stride=\(tripleRepr(stride))"
        if padding != [0, 0, 0] { s += ", padding=\(tripleRepr(padding))" }
        if dilation != [1, 1, 1] { s += ", dilation=\(tripleRepr(dilation))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        if paddingMode != "zeros" { s += ", padding_mode=\(paddingMode)" }
        return s
    }
}

/// PyTorch's `nn.MaxPool3d`.
public final class MaxPool3d: Module {
    public let kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]
    private let repr: String
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
        self.kernelSize = triple(kernelSize); self.stride = triple(stride ?? kernelSize); self.padding = triple(padding); self.dilation = triple(dilation)
        repr = "kernel_size=\(kernelSize), stride=\(stride ?? kernelSize), padding=\(padding), dilation=\(dilation), ceil_mode=False"
        super.init()
    }
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0], dilation: [Int] = [1, 1, 1]) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding; self.dilation = dilation
        repr = "kernel_size=\(tripleRepr(kernelSize)), stride=\(tripleRepr(stride ?? kernelSize)), padding=\(defaultOr(padding, 0)), dilation=\(defaultOr(dilation, 1)), ceil_mode=False"
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { maxPool3d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation) }
    public override func extraRepr() -> String { repr }
}

/// PyTorch's `nn.AvgPool3d` (count_include_pad=True).
public final class AvgPool3d: Module {
    public let kernelSize: [Int], stride: [Int], padding: [Int]
    private let repr: String
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = triple(kernelSize); self.stride = triple(stride ?? kernelSize); self.padding = triple(padding)
        repr = "kernel_size=\(kernelSize), stride=\(stride ?? kernelSize), padding=\(padding)"
        super.init()
    }
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0]) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        repr = "kernel_size=\(tripleRepr(kernelSize)), stride=\(tripleRepr(stride ?? kernelSize)), padding=\(defaultOr(padding, 0))"
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { avgPool3d(x, kernelSize: kernelSize, stride: stride, padding: padding) }
    public override func extraRepr() -> String { repr }
}

/// Batch normalisation of (N, C, D, H, W) inputs over each of the C channels (PyTorch's `nn.BatchNorm3d`).
public final class BatchNorm3d: BatchNormBase {
    public override func checkInputDim(_ x: Tensor) {
        if x.rank != 5 { fail("expected 5D input (got \(x.rank)D input)") }
    }
}

/// Output cell i of an adaptive pool over n inputs spans floor(i·n/out) ..< ceil((i+1)·n/out), as PyTorch's.
private func adaptiveRange(_ i: Int, _ n: Int, _ out: Int) -> Range<Int> { (i * n / out)..<(((i + 1) * n + out - 1) / out) }
/// Adaptive pooling of (N, C, D, H, W) or (C, D, H, W) to `outputSize`, one window reduction per cell.
private func adaptivePool3d(_ input: Tensor, _ outputSize: [Int], _ name: String, _ reduce: (Tensor) -> Tensor) -> Tensor {
    if outputSize.count != 3 { fail("\(name): output_size must be 3") }
    return batched5d(input, name) { x in
        let size = Array(x.shape[2...])
        var cells: [Tensor] = []
        for i in 0..<outputSize[0] { for j in 0..<outputSize[1] { for k in 0..<outputSize[2] {
            let r = [adaptiveRange(i, size[0], outputSize[0]), adaptiveRange(j, size[1], outputSize[1]), adaptiveRange(k, size[2], outputSize[2])]
            let window = x.narrow(dim: 2, start: r[0].lowerBound, length: r[0].count).narrow(dim: 3, start: r[1].lowerBound, length: r[1].count)
                .narrow(dim: 4, start: r[2].lowerBound, length: r[2].count)
            cells.append(reduce(window.reshape(x.shape[0], x.shape[1], -1)))
        } } }
        return stack(cells, dim: 2).reshape([x.shape[0], x.shape[1]] + outputSize)
    }
}
/// Average pooling to a fixed (D, H, W) output size (PyTorch's `F.adaptive_avg_pool3d`).
public func adaptiveAvgPool3d(_ input: Tensor, _ outputSize: [Int]) -> Tensor {
    adaptivePool3d(input, outputSize, "adaptive_avg_pool3d") { $0.mean(dim: 2) }
}
/// Max pooling to a fixed (D, H, W) output size (PyTorch's `F.adaptive_max_pool3d`, values only).
public func adaptiveMaxPool3d(_ input: Tensor, _ outputSize: [Int]) -> Tensor {
    adaptivePool3d(input, outputSize, "adaptive_max_pool3d") { $0.max(dim: 2).values }
}
/// PyTorch's `nn.AdaptiveAvgPool3d`.
public final class AdaptiveAvgPool3d: Module {
    public let outputSize: [Int]
    private let repr: String
    public init(_ outputSize: Int) { self.outputSize = triple(outputSize); repr = "output_size=\(outputSize)"; super.init() }
    public init(_ outputSize: [Int]) { self.outputSize = outputSize; repr = "output_size=\(tripleRepr(outputSize))"; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool3d(x, outputSize) }
    public override func extraRepr() -> String { repr }
}
/// PyTorch's `nn.AdaptiveMaxPool3d`.
public final class AdaptiveMaxPool3d: Module {
    public let outputSize: [Int]
    private let repr: String
    public init(_ outputSize: Int) { self.outputSize = triple(outputSize); repr = "output_size=\(outputSize)"; super.init() }
    public init(_ outputSize: [Int]) { self.outputSize = outputSize; repr = "output_size=\(tripleRepr(outputSize))"; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { adaptiveMaxPool3d(x, outputSize) }
    public override func extraRepr() -> String { repr }
}
