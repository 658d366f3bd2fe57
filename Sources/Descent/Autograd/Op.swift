/// Every differentiable operation, as a value: its metadata (shapes, dims, scalars) lives in the
/// case; saved tensors live in the node. `name` is PyTorch's `grad_fn` name and `backward` is the
/// derivative rule, written with public tensor ops so that every backend gets gradients for free.
enum Op {
    case add([Int], [Int]), sub([Int], [Int]), rsub([Int]), mul, div, neg
    case pow(Double), powTensor, maximum, minimum, whereOp([Int], [Int]), fmod, remainder, atan2, hypot
    case exp, log, sqrt, rsqrt, abs, sin, cos, tanh, sigmoid, relu, leakyRelu(Double), elu(Double), gelu, silu
    case log1p, expm1, reciprocal, logSigmoid, softplus, clamp(Double, Double), clampMin(Double), erf, log2, log10
    case tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
    /// A user's `Function` subclass (its name, context and backward live in the node).
    case custom(CustomFunctionNode)
    case zeroGrad(String)
    case sum(inShape: [Int], dims: [Int]?, keepDim: Bool), mean(inShape: [Int], dims: [Int]?, keepDim: Bool)
    case extremumAll(String), extremumDim(String, inShape: [Int], dim: Int, keepDim: Bool)
    /// amax/amin over `dims`: the gradient is shared evenly among the tied extremes (saves input, output).
    case extremumDims(String, dims: [Int], keepDim: Bool)
    case variance(dims: [Int], correction: Int, keepDim: Bool), std(dims: [Int], correction: Int, keepDim: Bool)
    case logsumexp(dims: [Int], keepDim: Bool)
    case softmax(dim: Int), logSoftmax(dim: Int)
    case mm, bmm, dot, addmm(biasShape: [Int], beta: Double, alpha: Double)
    case view(inShape: [Int]), expand(inShape: [Int]), squeeze(inShape: [Int], dim: Int?), unsqueeze(dim: Int)
    case permute([Int]), transpose(Int, Int, inPlace: Bool), clone, toCopy(DType), toCopyDevice(Device)
    case tOp, unsafeView(inShape: [Int]), squeezeDims(inShape: [Int]), mv
    case basicIndex(String, inShape: [Int], [BasicIndex]), indexSelect(String, inShape: [Int], dim: Int)
    case cat(dim: Int, sizes: [Int]), stack(dim: Int)
    // The cases below keep their longer rules beside their forward, in `extension Op` of the op's file
    // (Ops/Convolution.swift, Normalization.swift, Recurrence.swift, LossFunctions.swift, ...).
    case flip([Int]), prod, prodDim(dim: Int, keepDim: Bool), cumprod(dim: Int, count: Int, scalar: Bool)
    case maskedFill(inShape: [Int]), triangle(lower: Bool, diagonal: Int), repeatTiles(expanded: [Int], inShape: [Int])
    case roundingDiv([Int], [Int]), erfinv
    case convolution(Window2D, inShape: [Int], wShape: [Int]), convTranspose2d(Window2D, inShape: [Int], wShape: [Int])
    case maxPool2d(Window2D, inShape: [Int], dtype: DType)
    /// Max unpooling: scatters (planes, in) values to saved flat positions; the gradient gathers them back.
    case maxUnpool2d(inShape: [Int])
    case avgPool2d(Window2D, countIncludePad: Bool, divisor: Int, inShape: [Int], dtype: DType)
    case batchNorm(BatchNormShape)
    case copyInto(srcShape: [Int]), cumsum(outer: Int, count: Int, inner: Int)
    /// A write into a region (`x[items] = value`); saves a mask that is 0 inside the region.
    case indexPut(advanced: Bool, items: [TensorIndexItem], valueShape: [Int])
    /// An output that picks input entries at saved int64 indices along `dim` (sort, topk, gather).
    case pickAlong(String, inShape: [Int], dim: Int)
    case scatterValue(dim: Int), scatterSource(add: Bool, dim: Int), vectorNorm2(dims: [Int]?, keepDim: Bool)
    case activation(PointwiseActivation), prelu(reduceDims: [Int], wShape: [Int])
    case embedding(rows: Int, width: Int, paddingIdx: Int?)
    case layerNorm(dims: [Int], batchDims: [Int], hasWeight: Bool, hasBias: Bool), groupNorm(GroupNormShape)
    case layerNormRows(dims: [Int], batchDims: [Int], hasWeight: Bool, hasBias: Bool)
    case adaptiveAvgPool2d(planes: Int, h: Int, w: Int, oh: Int, ow: Int, inShape: [Int])
    case recurrentLayer(RecurrentLayerContext)
    case elementwiseLoss(ElementwiseLoss, reduction: Reduction, count: Int), divScalar(Double)
    /// CUDA's fused dropout (`native_dropout`): saves the keep mask; the gradient is scaled by 1/(1-p)
    /// rounded from double, as PyTorch's backward does (its forward uses the float reciprocal).
    case nativeDropout(keep: Double)
    /// The fused BCE kernels; saves input, target, then the weight and positive-class weight that are given.
    case fusedBinaryCrossEntropy(logits: Bool, reduction: Reduction, divisor: Double, hasWeight: Bool, hasPosWeight: Bool)
    /// NLL on log-probabilities (or fused softmax + NLL on logits); saves rows, targets and row weights.
    case nll(String, fromLogits: Bool, reduction: Reduction, rows: Int, classes: Int, back: RowsLayout)

    /// Whether the op's output is a view sharing its input's memory.
    var isView: Bool {
        switch self {
        case .view, .expand, .squeeze, .unsqueeze, .permute, .transpose, .tOp, .basicIndex, .squeezeDims: return true
        default: return false
        }
    }

    /// Whether the rule also differentiates through saved inputs (the ops whose rules sit beside their
    /// forward): under create_graph their gradients must then be recorded too.
    var rulesUseSavedInputs: Bool {
        switch self {
        case .flip, .prod, .prodDim, .cumprod, .maskedFill, .triangle, .repeatTiles, .roundingDiv, .erfinv,
             .convolution, .convTranspose2d, .maxPool2d, .avgPool2d, .batchNorm, .copyInto, .cumsum, .indexPut,
             .pickAlong, .scatterValue, .scatterSource, .vectorNorm2, .activation, .prelu, .embedding, .layerNorm, .layerNormRows,
             .groupNorm, .adaptiveAvgPool2d, .recurrentLayer, .elementwiseLoss, .divScalar, .fusedBinaryCrossEntropy, .nll, .nativeDropout,
             .custom:
            return true
        default: return false
        }
    }

    var name: String {
        switch self {
        case .add: return "AddBackward0"
        case .sub: return "SubBackward0"
        case .rsub: return "RsubBackward1"
        case .mul: return "MulBackward0"
        case .div: return "DivBackward0"
        case .neg: return "NegBackward0"
        case .pow: return "PowBackward0"
        case .powTensor: return "PowBackward1"
        case .maximum: return "MaximumBackward0"
        case .minimum: return "MinimumBackward0"
        case .whereOp: return "WhereBackward0"
        case .fmod: return "FmodBackward1"
        case .remainder: return "RemainderBackward1"
        case .atan2: return "Atan2Backward0"
        case .hypot: return "HypotBackward0"
        case .exp: return "ExpBackward0"
        case .log: return "LogBackward0"
        case .sqrt: return "SqrtBackward0"
        case .rsqrt: return "RsqrtBackward0"
        case .abs: return "AbsBackward0"
        case .sin: return "SinBackward0"
        case .cos: return "CosBackward0"
        case .tanh: return "TanhBackward0"
        case .sigmoid: return "SigmoidBackward0"
        case .relu: return "ReluBackward0"
        case .leakyRelu: return "LeakyReluBackward0"
        case .elu: return "EluBackward0"
        case .gelu: return "GeluBackward0"
        case .silu: return "SiluBackward0"
        case .log1p: return "Log1PBackward0"
        case .log2: return "Log2Backward0"
        case .log10: return "Log10Backward0"
        case .expm1: return "Expm1Backward0"
        case .reciprocal: return "ReciprocalBackward0"
        case .logSigmoid: return "LogSigmoidBackward0"
        case .softplus: return "SoftplusBackward0"
        case .clamp: return "ClampBackward1"
        case .clampMin: return "ClampMinBackward0"
        case .erf: return "ErfBackward0"
        case .custom(let c): return c.name
        case .tan: return "TanBackward0"
        case .asin: return "AsinBackward0"
        case .acos: return "AcosBackward0"
        case .atan: return "AtanBackward0"
        case .sinh: return "SinhBackward0"
        case .cosh: return "CoshBackward0"
        case .asinh: return "AsinhBackward0"
        case .acosh: return "AcoshBackward0"
        case .atanh: return "AtanhBackward0"
        case .zeroGrad(let n): return n
        case .sum(_, let dims, _): return dims == nil ? "SumBackward0" : "SumBackward1"
        case .mean(_, let dims, _): return dims == nil ? "MeanBackward0" : "MeanBackward1"
        case .extremumAll(let n): return n
        case .extremumDim(let n, _, _, _): return n
        case .extremumDims(let n, _, _): return n
        case .variance: return "VarBackward0"
        case .std: return "StdBackward0"
        case .logsumexp: return "LogsumexpBackward0"
        case .softmax: return "SoftmaxBackward0"
        case .logSoftmax: return "LogSoftmaxBackward0"
        case .mm: return "MmBackward0"
        case .bmm: return "BmmBackward0"
        case .dot: return "DotBackward0"
        case .addmm: return "AddmmBackward0"
        case .view: return "ViewBackward0"
        case .expand: return "ExpandBackward0"
        case .squeeze(_, let d): return d == nil ? "SqueezeBackward0" : "SqueezeBackward1"
        case .unsqueeze: return "UnsqueezeBackward0"
        case .permute: return "PermuteBackward0"
        case .transpose(_, _, let inPlace): return inPlace ? "TransposeBackward1" : "TransposeBackward0"
        case .tOp: return "TBackward0"
        case .unsafeView: return "UnsafeViewBackward0"
        case .squeezeDims: return "SqueezeBackward4"
        case .mv: return "MvBackward0"
        case .clone: return "CloneBackward0"
        case .toCopy, .toCopyDevice: return "ToCopyBackward0"
        case .basicIndex(let n, _, _): return n
        case .indexSelect(let n, _, _): return n
        case .cat: return "CatBackward0"
        case .stack: return "StackBackward0"
        case .flip: return "FlipBackward0"
        case .prod: return "ProdBackward0"
        case .prodDim: return "ProdBackward1"
        case .cumprod: return "CumprodBackward0"
        case .maskedFill: return "MaskedFillBackward0"
        case .triangle(let lower, _): return lower ? "TrilBackward0" : "TriuBackward0"
        case .repeatTiles: return "RepeatBackward0"
        case .roundingDiv: return "DivBackward2"
        case .erfinv: return "ErfinvBackward0"
        case .convolution, .convTranspose2d: return "ConvolutionBackward0"
        case .maxPool2d: return "MaxPool2DWithIndicesBackward0"
        case .maxUnpool2d: return "MaxUnpool2DBackward0"
        case .avgPool2d: return "AvgPool2DBackward0"
        case .batchNorm: return "NativeBatchNormBackward0"
        case .copyInto: return "CopyBackwards"
        case .cumsum: return "CumsumBackward0"
        case .indexPut(let advanced, _, _): return advanced ? "IndexPutBackward0" : "CopySlices"
        case .pickAlong(let n, _, _): return n
        case .scatterValue: return "ScatterBackward1"
        case .scatterSource(let add, _): return add ? "ScatterAddBackward0" : "ScatterBackward0"
        case .vectorNorm2: return "LinalgVectorNormBackward0"
        case .activation(let a): return a.gradFnName
        case .prelu: return "PreluKernelBackward0"
        case .embedding: return "EmbeddingBackward0"
        case .layerNorm, .layerNormRows: return "NativeLayerNormBackward0"
        case .groupNorm: return "NativeGroupNormBackward0"
        case .adaptiveAvgPool2d: return "AdaptiveAvgPool2DBackward0"
        case .recurrentLayer(let c): return c.mode == .lstm ? "MkldnnRnnLayerBackward0" : "RnnLayerBackward0"
        case .elementwiseLoss(let k, _, _): return k.gradFnName
        case .divScalar: return "DivBackward1"
        case .nativeDropout: return "NativeDropoutBackward0"
        case .fusedBinaryCrossEntropy(let logits, _, _, _, _): return logits ? "BinaryCrossEntropyWithLogitsBackward0" : "BinaryCrossEntropyBackward0"
        case .nll(let name, _, _, _, _, _): return name
        }
    }

    /// Gradients for each input edge, given the gradient `g` of the output.
    func backward(_ g: Tensor, saved s: [Tensor], edges: [Edge]) -> [Tensor?] {
        func needs(_ i: Int) -> Bool { if case .none = edges[i] { return false } else { return true } }
        func allNeeds() -> [Bool] { edges.indices.map(needs) }
        switch self {
        case .add(let a, let b): return [sumToShape(g, a), sumToShape(g, b)]
        case .sub(let a, let b): return [sumToShape(g, a), needs(1) ? sumToShape(-g, b) : nil]
        case .rsub(let a): return [sumToShape(-g, a)]
        case .mul:
            return [needs(0) ? sumToShape(g * s[1], s[0].shape) : nil, needs(1) ? sumToShape(g * s[0], s[1].shape) : nil]
        case .div:
            return [needs(0) ? sumToShape(g / s[1], s[0].shape) : nil,
                    needs(1) ? sumToShape(-g * ((s[0] / s[1]) / s[1]), s[1].shape) : nil]   // PyTorch's div_tensor_other_backward
        case .neg: return [-g]
        case .pow(let p):
            if p == 0 { return [Tensor.zerosLike(g)] }
            return [g * (s[0].pow(p - 1) * p)]
        case .powTensor:
            let (a, b, out) = (s[0], s[1], s[2])
            let ga = needs(0) ? sumToShape(g * b * a.pow(b - 1), a.shape) : nil
            let gb = needs(1) ? sumToShape(g * out * Descent.where(a .== 0, Tensor.zerosLike(a), a.log()), b.shape) : nil
            return [ga, gb]
        case .maximum, .minimum:
            let (a, b) = (s[0], s[1])
            let isMax: Bool = { if case .maximum = self { return true } else { return false } }()
            let wa = (isMax ? (a .> b) : (a .< b)).to(dtype: g.dtype) + (a .== b).to(dtype: g.dtype) * 0.5
            return [needs(0) ? sumToShape(g * wa, a.shape) : nil, needs(1) ? sumToShape(g * (1 - wa), b.shape) : nil]
        case .fmod, .remainder:
            // d/da = 1; d/db = -trunc(a / b) (fmod) or -floor(a / b) (remainder), as PyTorch's derivatives.yaml
            let (a, b) = (s[0], s[1])
            let q: Tensor = { if case .fmod = self { return (a / b).trunc() } else { return (a / b).floor() } }()
            return [needs(0) ? sumToShape(g, a.shape) : nil, needs(1) ? sumToShape(-g * q, b.shape) : nil]
        case .atan2:
            // PyTorch's atan2_backward: recip = 1 / (a² + b²); (g · b · recip, g · −a · recip)
            let (a, b) = (s[0], s[1])
            let recip = (a * a + b * b).reciprocal()
            return [needs(0) ? sumToShape(g * b * recip, a.shape) : nil, needs(1) ? sumToShape(g * -a * recip, b.shape) : nil]
        case .hypot:
            // derivatives.yaml: self: grad * self / result, other: grad * other / result
            let (a, b, out) = (s[0], s[1], s[2])
            return [needs(0) ? sumToShape(g * a / out, a.shape) : nil, needs(1) ? sumToShape(g * b / out, b.shape) : nil]
        case .whereOp(let a, let b):
            let c = s[0]
            let z = Tensor.zeros([], dtype: g.dtype)
            return [needs(0) ? sumToShape(Descent.where(c, g, z), a) : nil, needs(1) ? sumToShape(Descent.where(c, z, g), b) : nil]
        case .exp: return [g * s[0]]
        case .log: return [g / s[0]]
        case .sqrt: return [g / (s[0] * 2)]
        case .rsqrt: return [(g * -0.5) * s[0].pow(3)]   // -0.5 * grad * result.pow(3)
        case .abs: return [g * s[0].sign()]
        case .sin: return [g * s[0].cos()]
        case .cos: return [-g * s[0].sin()]
        case .custom(let c): return c.backward(g, saved: s)
        // PyTorch's derivatives.yaml formulas
        case .tan: return [g * (s[0].pow(2) + 1)]                 // saved: the result
        case .asin: return [g * (-s[0] * s[0] + 1).rsqrt()]
        case .acos: return [g * -((-s[0] * s[0] + 1).rsqrt())]
        case .atan: return [g / (s[0] * s[0] + 1)]
        case .sinh: return [g * s[0].cosh()]
        case .cosh: return [g * s[0].sinh()]
        case .asinh: return [g * (s[0].pow(2) + 1).rsqrt()]
        case .acosh: return [g * (s[0].pow(2) - 1).rsqrt()]
        case .atanh: return [g * (1 / (1 - s[0].pow(2)))]
        // fused kernels; recorded ops instead when the gradient itself is being differentiated (create_graph)
        case .tanh:
            if recording(g, s[0]) { return [g * (1 - s[0] * s[0])] }
            return [binaryKernel(g, s[0], op: .tanhBackward, compute: g.dtype, output: g.dtype)]
        case .sigmoid:
            if recording(g, s[0]) { return [g * (1 - s[0]) * s[0]] }
            return [binaryKernel(g, s[0], op: .sigmoidBackward, compute: g.dtype, output: g.dtype)]
        case .relu:
            if recording(g, s[0]) { return [g * (s[0] .> 0).to(dtype: g.dtype)] }
            return [binaryKernel(g, s[0], op: .reluBackward, compute: g.dtype, output: g.dtype)]
        case .leakyRelu(let slope):
            return [g * Descent.where(s[0] .> 0, Tensor.onesLike(g), Tensor.fullLike(g, slope))]
        case .elu(let alpha):
            let x = s[0]
            if !recording(g, x), let k = Kernels.activationBackward(.elu, g, x, alpha, 1) { return [k] }
            return [g * Descent.where(x .> 0, Tensor.onesLike(g), x.exp() * alpha)]
        case .gelu:
            let x = s[0]
            if !recording(g, x), let k = Kernels.activationBackward(.gelu, g, x) { return [k] }
            let cdf = ((x * 0.70710678118654752440).erf() + 1) * 0.5
            let pdf = (x * x * -0.5).exp() * 0.39894228040143267794
            return [g * (cdf + x * pdf)]
        case .silu:
            if !recording(g, s[0]), let k = Kernels.activationBackward(.silu, g, s[0]) { return [k] }
            let sg = s[0].sigmoid()
            return [g * (sg * (1 + s[0] * (1 - sg)))]
        case .log1p: return [g / (s[0] + 1)]
        case .log2: return [g / (s[0] * 0.6931471805599453)]   // PyTorch: grad / (self * std::log(2.0))
        case .log10: return [g / (s[0] * 2.302585092994046)]
        case .expm1: return [g * (s[0] + 1)]
        case .reciprocal: return [-g * (s[0] * s[0])]   // -grad * (result * result)
        case .logSigmoid:
            if !recording(g, s[0]), let k = Kernels.activationBackward(.logSigmoid, g, s[0]) { return [k] }
            return [g * (-s[0]).sigmoid()]
        case .softplus:
            if !recording(g, s[0]), let k = Kernels.activationBackward(.softplus, g, s[0]) { return [k] }
            return [g * s[0].sigmoid()]
        case .clamp(let lo, let hi):
            let x = s[0]
            let mask = (x .>= lo) .&& (x .<= hi)
            return [g * mask.to(dtype: g.dtype)]
        case .clampMin(let lo):
            return [g * (s[0] .>= lo).to(dtype: g.dtype)]
        case .erf: return [(-(s[0].pow(2))).exp() * 1.1283791670955126 * g]   // 2 / sqrt(pi) * exp(-(self.pow(2))) * grad
        case .zeroGrad: return [Tensor.zerosLike(g)]
        case .sum(let inShape, let dims, let keepDim):
            return [expandReduced(g, inShape: inShape, dims: dims, keepDim: keepDim)]
        case .mean(let inShape, let dims, let keepDim):
            let n = dims.map { Set($0).reduce(1) { $0 * inShape[$1] } } ?? inShape.reduce(1, *)
            return [expandReduced(g / Double(n), inShape: inShape, dims: dims, keepDim: keepDim)]
        case .extremumAll:
            let (x, out) = (s[0], s[1])
            let mask = (x .== out).to(dtype: g.dtype)
            return [mask * (g / mask.sum())]
        case .extremumDims(_, let dims, let keepDim):
            // PyTorch's scale_grad_by_count(restore_reduced_dims(grad), restore_reduced_dims(result) == self, dims)
            var (out, gg) = (s[1], g)
            if !keepDim { for d in dims.sorted() { out = out.unsqueeze(d); gg = gg.unsqueeze(d) } }
            let mask = (s[0] .== out).to(dtype: g.dtype)
            return [(gg / mask.sum(dims: dims, keepDim: true)) * mask]
        case .extremumDim(_, let inShape, let dim, let keepDim):
            let idx = keepDim ? s[0] : s[0].unsqueeze(dim)
            let gg = keepDim ? g : g.unsqueeze(dim)
            var rshape = [Int](repeating: 1, count: inShape.count); rshape[dim] = inShape[dim]
            let ar = Tensor.arange(0, inShape[dim]).reshape(rshape).to(g.device)
            let mask = (ar .== idx).to(dtype: g.dtype)
            return [mask * gg]
        case .variance(let dims, let correction, let keepDim):
            let x = s[0]
            let n = Set(dims).reduce(1) { $0 * x.shape[$1] }
            let gg = keepDim ? g : unsqueezeDims(g, dims)
            return [gg * (x - x.mean(dims: dims, keepDim: true)) * (2.0 / Double(Swift.max(n - correction, 0)))]
        case .std(let dims, let correction, let keepDim):
            let (x, out) = (s[0], s[1])
            let n = Set(dims).reduce(1) { $0 * x.shape[$1] }
            let gg = keepDim ? g : unsqueezeDims(g, dims)
            let o = keepDim ? out : unsqueezeDims(out, dims)
            return [gg * (x - x.mean(dims: dims, keepDim: true)) / (o * Double(Swift.max(n - correction, 0)))]
        case .logsumexp(let dims, let keepDim):
            let (x, out) = (s[0], s[1])
            let gg = keepDim ? g : unsqueezeDims(g, dims)
            let o = keepDim ? out : unsqueezeDims(out, dims)
            return [gg * (x - o).exp()]
        case .softmax(let d):
            if recording(g, s[0]) { let gy = g * s[0]; return [gy - s[0] * gy.sum(dim: d, keepDim: true)] }
            return [softmaxBackward(g, s[0], dim: d, isLog: false)]
        case .logSoftmax(let d):
            if recording(g, s[0]) { return [g - s[0].exp() * g.sum(dim: d, keepDim: true)] }
            return [softmaxBackward(g, s[0], dim: d, isLog: true)]
        case .mm:
            let (a, b) = (s[0], s[1])
            return [needs(0) ? mat1Grad(g, a, b) : nil, needs(1) ? mat2Grad(g, a, b) : nil]
        case .bmm:
            let (a, b) = (s[0], s[1])
            return [needs(0) ? g.bmm(b.transpose(1, 2)) : nil, needs(1) ? a.transpose(1, 2).bmm(g) : nil]
        case .dot: return [needs(0) ? g * s[1] : nil, needs(1) ? g * s[0] : nil]
        case .addmm(let biasShape, let beta, let alpha):
            let (a, b) = (s[0], s[1])
            let gb = needs(0) ? sumToShape(beta == 1 ? g : g * beta, biasShape) : nil
            let ga = needs(1) ? (alpha == 1 ? mat1Grad(g, a, b) : mat1Grad(g, a, b) * alpha) : nil
            let gw = needs(2) ? (alpha == 1 ? mat2Grad(g, a, b) : mat2Grad(g, a, b) * alpha) : nil
            return [gb, ga, gw]
        case .view(let inShape): return [g.reshape(inShape)]
        case .expand(let inShape): return [sumToShape(g, inShape)]
        case .squeeze(let inShape, _): return [g.reshape(inShape)]
        case .unsqueeze(let d): return [g.squeeze(dim: d)]
        case .permute(let dims):
            var inv = [Int](repeating: 0, count: dims.count)
            for (i, d) in dims.enumerated() { inv[d] = i }
            return [g.permute(inv)]
        case .transpose(let a, let b, _): return [g.transpose(a, b)]
        case .tOp: return [g.t()]
        case .unsafeView(let inShape), .squeezeDims(let inShape): return [g.reshape(inShape)]
        case .mv: return [needs(0) ? g.outer(s[1]) : nil, needs(1) ? s[0].t().matmul(g) : nil]
        case .clone: return [g]
        case .toCopy(let src): return [g.to(dtype: src)]
        case .toCopyDevice(let src): return [g.to(src)]
        case .basicIndex(let name, let inShape, let basic):
            if g.requiresGradFlag { return [BasicIndexScatter.apply(g, name: name, inShape: inShape, basic)] }   // create_graph
            return [BasicIndexScatter.scatter(g, inShape: inShape, basic)]
        case .indexSelect(_, let inShape, let dim):
            let z = Tensor.zeros(inShape, dtype: g.dtype, device: g.device)
            let gc = g.contiguous()
            let outer = inShape[..<dim].reduce(1, *), inner = inShape[(dim + 1)...].reduce(1, *)
            Kernels.indexAdd(z, outer, inShape[dim], inner, s[0], gc)
            return [z]
        case .cat(let dim, let sizes):
            var start = 0
            var out: [Tensor?] = []
            for n in sizes { out.append(g.narrow(dim: dim, start: start, length: n)); start += n }
            return out
        case .stack(let dim):
            return (0..<g.shape[dim]).map { g[Array(repeating: TensorIndexItem.all, count: dim) + [.index($0)]] }
        case .flip(let dims): return [g.flip(dims: dims)]
        case .prod:
            return [Tensor.prodBackward(g.reshape(-1).expand([s[0].count]), s[0].reshape(-1), s[1].reshape(-1), dim: 0).reshape(s[0].shape)]
        case .prodDim(let d, let keepDim):
            let gk = keepDim || s[0].rank == 0 ? g : g.unsqueeze(d)
            let ok = keepDim || s[0].rank == 0 ? s[1] : s[1].unsqueeze(d)
            return [Tensor.prodBackward(gk.expand(s[0].shape), s[0], ok.expand(s[0].shape), dim: d)]
        case .cumprod(let d, let n, let scalar): return Op.cumprodBackward(g, s, dim: d, count: n, scalar: scalar)
        case .maskedFill(let inShape): return [sumToShape(Descent.where(s[0], Tensor.zeros([], dtype: g.dtype), g), inShape)]
        case .triangle(let lower, let k): return [lower ? g.tril(k) : g.triu(k)]
        case .repeatTiles(let expanded, let inShape):
            return [g.reshape(expanded).sum(dims: Array(Swift.stride(from: 0, to: expanded.count, by: 2))).reshape(inShape)]
        case .roundingDiv(let sa, let sb):
            return [needs(0) ? sumToShape(Tensor.zerosLike(g), sa) : nil, needs(1) ? sumToShape(Tensor.zerosLike(g), sb) : nil]
        case .erfinv: return [g * (s[0] * s[0]).exp() * Tensor.wrap(Double.pi.squareRoot() / 2)]   // (a Double, not a Float)
        case let .convolution(geo, inShape, wShape): return Op.convolutionBackward(geo, inShape: inShape, wShape: wShape, g, s, allNeeds())
        case let .convTranspose2d(geo, inShape, wShape): return Op.convTranspose2dBackward(geo, inShape: inShape, wShape: wShape, g, s, allNeeds())
        case let .maxPool2d(geo, inShape, dt): return Op.maxPool2dBackward(geo, inShape: inShape, dt: dt, g, s)
        case .maxUnpool2d(let inShape): return [g.reshape([s[0].shape[0], -1]).gather(dim: 1, index: s[0]).view(inShape)]
        case let .avgPool2d(geo, include, divisor, inShape, dt):
            return Op.avgPool2dBackward(geo, countIncludePad: include, divisor: divisor, inShape: inShape, dt: dt, g)
        case .batchNorm(let b): return Op.batchNormBackward(b, g, s, allNeeds())
        case .copyInto(let srcShape): return [needs(0) ? Tensor.zerosLike(g) : nil, needs(1) ? sumToShape(g, srcShape) : nil]
        case let .cumsum(outer, n, inner):
            // the gradient of a running sum: running sums of g from the end
            let gc = g.contiguous()
            let r = Tensor(uninitializedShape: gc.shape, dtype: gc.dtype, device: gc.device)
            Kernels.cumsum(gc, outer, n, inner, out: r, reverse: true)
            return [r]
        case let .indexPut(_, items, valueShape): return [needs(0) ? g * s[0] : nil, needs(1) ? sumToShape(g[items], valueShape) : nil]
        case let .pickAlong(_, inShape, dim): return [Tensor.zeros(inShape, dtype: g.dtype, device: g.device).scatterAdd(dim: dim, index: s[0], src: g)]
        case .scatterValue(let d): return [g.scatter(dim: d, index: s[0], value: 0)]
        case let .scatterSource(add, d):
            return [needs(0) ? (add ? g : g.scatter(dim: d, index: s[0], value: 0)) : nil, needs(1) ? g.gather(dim: d, index: s[0]) : nil]
        case let .vectorNorm2(dims, keep):
            let (x, norm) = (s[0], s[1])
            var scale = Descent.where(norm .== 0, Tensor.zeros([], dtype: g.dtype), g / norm)
            if let d = dims, !keep { scale = scale.unsqueeze(d[0]) }
            return [x * scale]
        case .activation(let a):
            if case .hardswish = a, !recording(g, s[0]), let k = Kernels.activationBackward(.hardswish, g, s[0]) { return [k] }
            if case .mish = a, !recording(g, s[0]), let k = Kernels.activationBackward(.mish, g, s[0]) { return [k] }
            if case .geluTanh = a, !recording(g, s[0]), let k = Kernels.activationBackward(.geluTanh, g, s[0]) { return [k] }
            if case .selu = a, !recording(g, s[0]),
               let k = Kernels.activationBackward(.elu, g, s[0], PointwiseActivation.seluAlpha, PointwiseActivation.seluScale) { return [k] }
            return [g * a.slope(s[0])]
        case let .prelu(reduceDims, wShape): return Op.preluBackward(reduceDims: reduceDims, wShape: wShape, g, s, allNeeds())
        case let .embedding(n, d, pad): return Op.embeddingBackward(rows: n, width: d, paddingIdx: pad, g, s)
        case let .layerNorm(dims, batchDims, hasW, hasB):
            return Op.layerNormBackward(dims: dims, batchDims: batchDims, hasWeight: hasW, hasBias: hasB, g, s, allNeeds())
        case let .layerNormRows(dims, batchDims, hasWeight, hasBias):
            return Op.layerNormRowsBackward(dims: dims, batchDims: batchDims, hasWeight: hasWeight, hasBias: hasBias, g, s, allNeeds())
        case .groupNorm(let b): return Op.groupNormBackward(b, g, s, allNeeds())
        case let .adaptiveAvgPool2d(planes, h, w, oh, ow, inShape):
            return Op.adaptiveAvgPool2dBackward(planes: planes, h: h, w: w, oh: oh, ow: ow, inShape: inShape, g)
        case .recurrentLayer(let c): return Op.recurrentLayerBackward(c, g, allNeeds())
        case let .elementwiseLoss(kind, reduction, count):
            let (x, y) = (s[0], s[1])
            let up: Tensor = reduction == .mean ? g / Double(count) : g
            return [needs(0) ? kind.gradInput(x, y) * up : nil, needs(1) ? kind.gradTarget(x, y) * up : nil]
        case .divScalar(let d): return [g / d]
        case .nativeDropout(let keep): return [g * s[0] * Tensor.scalar(1 / keep, dtype: g.dtype)]
        case let .fusedBinaryCrossEntropy(logits, reduction, divisor, hasW, hasPW):
            return Op.fusedBinaryCrossEntropyBackward(logits: logits, reduction: reduction, divisor: divisor, hasWeight: hasW, hasPosWeight: hasPW, g, s)
        case let .nll(_, fromLogits, reduction, m, c, back):
            return Op.nllBackward(fromLogits: fromLogits, reduction: reduction, rows: m, classes: c, back: back, g, s)
        }
    }
}

/// True while a backward pass records its own graph (create_graph) and `a` or `b` is part of it.
@inline(__always) func recording(_ a: Tensor, _ b: Tensor) -> Bool { gradEnabled && (a.requiresGradFlag || b.requiresGradFlag) }


func unsqueezeDims(_ g: Tensor, _ dims: [Int]) -> Tensor {
    var r = g
    for d in dims.sorted() { r = r.unsqueeze(d) }
    return r
}

/// Broadcasts the gradient of a reduction back to the input's shape.
func expandReduced(_ g: Tensor, inShape: [Int], dims: [Int]?, keepDim: Bool) -> Tensor {
    var r = g
    if let dims = dims, !keepDim { r = unsqueezeDims(r, Array(Set(dims))) }
    else if dims == nil && !keepDim { r = r.reshape([Int](repeating: 1, count: inShape.count)) }
    return r.expand(inShape)
}

extension Tensor {
    /// Elementwise error function.
    public func erf() -> Tensor { unary(.erf, 0, 0, .erf, save: .input) }
}

/// The gradient of `mat2` in `mat1.mm(mat2)`: aᵀ·g, laid out like mat2 (PyTorch's
/// `mm_mat2_backward`). When mat2 is column-major (a Linear layer's `weight.t()`), the product is
/// computed as (gᵀ·a)ᵀ, so the weight's own gradient comes out contiguous and the products, and so
/// their float32 rounding, are PyTorch's.
func mat2Grad(_ g: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    if b.rank == 2 && b.strides[0] == 1 && b.strides[1] == b.shape[0] { return g.t().mm(a).t() }
    return a.t().mm(g)
}

/// The gradient of mat1 in mm/addmm (PyTorch's mm_mat1_backward: column-major when mat1 is).
func mat1Grad(_ g: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    if a.rank == 2 && a.strides[0] == 1 && a.strides[1] == a.shape[0] { return b.mm(g.t()).t() }
    return g.mm(b.t())
}
