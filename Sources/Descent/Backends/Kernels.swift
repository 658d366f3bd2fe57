// The kernel entries every op reaches memory through. Each entry picks the backend of its output's
// device with one `switch` (no existentials, no look-ups), so the CPU path costs one predictable
// branch. The meta device has no memory: its entries do nothing, and the op above has already
// computed the output's shape and dtype and raised any shape error. Adding a device = a case in
// `BackendID`, its folder here, and one line in each `switch` below (the compiler lists them all).

/// Elementwise binary kernels (the CPU kernels' codes, in the same order).
enum BinaryOp: Int32 {
    case add = 0, sub, mul, div, pow, maximum, minimum
    case eq, ne, lt, le, gt, ge
    /// Fused gradient helpers: a = upstream gradient, b = the saved value.
    case reluBackward, sigmoidBackward, tanhBackward
    case logicalAnd, logicalOr, fmod, remainder
    /// Float types only (integer operands are promoted to float32 first).
    case atan2, hypot
}

/// Elementwise unary kernels with up to two scalar parameters.
enum UnaryOp: Int32 {
    case neg = 0, exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu
    case clamp, powScalar, leakyRelu, elu, gelu, silu
    case log1p, expm1, rsqrt, square, sign, reciprocal, floor, ceil, round
    case affine, rsubScalar, logSigmoid, softplus, erf, trunc, log2, log10
    case tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
}

/// Reductions over the middle axis of an (outer, r, inner) block.
enum ReduceOp: Int32 { case sum = 0, max, min, prod, any, all }

/// A 2-D sliding-window geometry (convolutions and pooling).
struct Window2D {
    var n = 0, c = 0, h = 0, w = 0
    var oc = 0, oh = 0, ow = 0
    var kh = 0, kw = 0, sh = 0, sw = 0, ph = 0, pw = 0, dh = 1, dw = 1
    var groups = 1
}

/// One fused optimizer update of a parameter, as a value: which rule, its state tensors (same shape,
/// dtype and device as the parameter; ASGD's `eta`/`mu` and NAdam's `muProduct` are 0-dim float32
/// tensors the kernel updates) and its hyperparameters, in PyTorch's names.
enum OptimizerUpdate {
    case sgd(momentumBuffer: Tensor?, lr: Double, momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool,
             firstStep: Bool, maximize: Bool)
    /// AMSGrad when `maxExpAvgSq` is given; AdamW's decoupled weight decay when `decoupledWeightDecay`.
    case adam(expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?, lr: Double, beta1: Double, beta2: Double, eps: Double,
              weightDecay: Double, step: Int, decoupledWeightDecay: Bool, maximize: Bool)
    /// Adam with its step count in a float64 device tensor, incremented on the device (`capturable`:
    /// a captured graph's replays then count their steps). CUDA only.
    case adamDeviceStep(expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?, step: Tensor, lr: Double, beta1: Double, beta2: Double,
                        eps: Double, weightDecay: Double, decoupledWeightDecay: Bool, maximize: Bool)
    case rmsprop(squareAvg: Tensor, gradAvg: Tensor?, momentumBuffer: Tensor?, lr: Double, alpha: Double, eps: Double,
                 weightDecay: Double, momentum: Double, maximize: Bool)
    /// `clr` is the step's decayed learning rate.
    case adagrad(sum: Tensor, clr: Double, eps: Double, weightDecay: Double, maximize: Bool)
    case adadelta(squareAvg: Tensor, accDelta: Tensor, lr: Double, rho: Double, eps: Double, weightDecay: Double, maximize: Bool)
    case adamax(expAvg: Tensor, expInf: Tensor, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
                step: Int, maximize: Bool)
    case asgd(ax: Tensor, eta: Tensor, mu: Tensor, lr: Double, lambd: Double, alpha: Double, t0: Double, weightDecay: Double,
              step: Int, maximize: Bool)
    case rprop(prev: Tensor, stepSize: Tensor, etaMinus: Double, etaPlus: Double, stepSizeMin: Double, stepSizeMax: Double,
               maximize: Bool)
    case nadam(expAvg: Tensor, expAvgSq: Tensor, muProduct: Tensor, lr: Double, beta1: Double, beta2: Double, eps: Double,
               weightDecay: Double, momentumDecay: Double, step: Int, decoupledWeightDecay: Bool, maximize: Bool)
    case radam(expAvg: Tensor, expAvgSq: Tensor, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
               step: Int, decoupledWeightDecay: Bool, maximize: Bool)
    case sparseAdam(expAvg: Tensor, expAvgSq: Tensor, lr: Double, beta1: Double, beta2: Double, eps: Double, step: Int, maximize: Bool)
}

/// What a random kernel draws, as a value (PyTorch's CPU transformations of its mt19937 stream).
enum RandomDraw {
    case uniform(from: Double, to: Double)
    /// Box-Muller in PyTorch's blocks of 16, or one element at a time (`elementwise`, its path for strided tensors).
    case normal(mean: Double, std: Double, elementwise: Bool)
    case bernoulli(Double)
    /// Dropout's keep mask: 1 with probability `keep`. On the CPU `bernoulli(keep)`, as PyTorch's CPU
    /// dropout; on CUDA the layout of PyTorch's fused dropout kernel, `vector` consecutive elements a
    /// thread (4 or 2 when x is contiguous, aligned and divisible; else 1, the grid-stride layout).
    case dropoutMask(keep: Double, vector: Int)
    case exponential(Double)
    /// int64 uniform in [low, high).
    case integers(low: Int, high: Int)
    /// A permutation of 0..<n (int64).
    case permutation
    /// 0/1 with the contiguous per-element `probabilities`.
    case bernoulliTensor(probabilities: Tensor)
    /// Category indices (int64) drawn with replacement from each row of the contiguous `probabilities`.
    case categorical(probabilities: Tensor)
}

/// The per-element samplers of `Kernels.samplePerElement`.
enum PerElementSampler { case gamma, poisson }

enum Kernels {
    // MARK: elementwise

    /// out = a op b, computed in `compute`; `sa`/`sb` read a and b broadcast to out's shape (out contiguous).
    @inline(__always)
    static func binary(_ op: BinaryOp, compute: DType, out: Tensor, _ a: Tensor, _ sa: [Int], _ b: Tensor, _ sb: [Int]) {
        switch out.device.backend {
        case .cpu: CPUBackend.binary(op, compute: compute, out: out, a, sa, b, sb)
        case .cuda: CUDABackend.binary(op, compute: compute, out: out, a, sa, b, sb)
        case .meta: break
        }
    }
    /// out = op(x) elementwise over contiguous x and out (which may be the same tensor).
    @inline(__always)
    static func unary(_ op: UnaryOp, _ x: Tensor, out: Tensor, _ p1: Double = 0, _ p2: Double = 0) {
        switch out.device.backend {
        case .cpu: CPUBackend.unary(op, x, out: out, p1, p2)
        case .cuda: CUDABackend.unary(op, x, out: out, p1, p2)
        case .meta: break
        }
    }
    /// Fills the contiguous tensor `t` with `value`.
    static func fill(_ t: Tensor, _ value: Double) {
        switch t.device.backend {
        case .cpu: CPUBackend.fill(t, value)
        case .cuda: CUDABackend.fill(t, value)
        case .meta: break
        }
    }
    /// Converts the contiguous `x` into the contiguous `out` (same count, out's dtype).
    static func cast(_ x: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.cast(x, out: out)
        case .cuda: CUDABackend.cast(x, out: out)
        case .meta: break
        }
    }
    /// Copies `src` read with `srcStrides` (broadcast to dst's shape) into `dst` with its own strides.
    static func copyStrided(_ src: Tensor, srcStrides: [Int], into dst: Tensor) {
        switch dst.device.backend {
        case .cpu where src.device.isCUDA: CUDABackend.copyStrided(src, srcStrides: srcStrides, into: dst)
        case .cpu: CPUBackend.copyStrided(src, srcStrides: srcStrides, into: dst)
        case .cuda: CUDABackend.copyStrided(src, srcStrides: srcStrides, into: dst)
        case .meta: break
        }
    }
    /// out = cond ? a : b over contiguous tensors of one shape.
    static func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.select(cond, a, b, out: out)
        case .cuda: CUDABackend.select(cond, a, b, out: out)
        case .meta: break
        }
    }
    /// out = lgamma, digamma or polygamma of order `k` of x, over contiguous float tensors.
    static func special(_ f: SpecialFunction, order k: Int, _ x: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.special(f, order: k, x, out: out)
        case .cuda: CUDABackend.special(f, order: k, x, out: out)
        case .meta: break
        }
    }
    /// out = erfinv(x) over contiguous float tensors.
    static func erfinv(_ x: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.erfinv(x, out: out)
        case .cuda: CUDABackend.erfinv(x, out: out)
        case .meta: break
        }
    }
    /// y += alpha * x over contiguous float tensors of one count.
    static func axpy(_ alpha: Double, _ x: Tensor, _ y: Tensor) {
        switch y.device.backend {
        case .cpu: CPUBackend.axpy(alpha, x, y)
        case .cuda: CUDABackend.axpy(alpha, x, y)
        case .meta: break
        }
    }

    // MARK: reductions and scans over (outer, r, inner) blocks of contiguous tensors

    static func reduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.reduce(op, x, outer, r, inner, out: out)
        case .cuda: CUDABackend.reduce(op, x, outer, r, inner, out: out)
        case .meta: break
        }
    }
    /// First index of the extreme (max or min) along r, and its value.
    static func argReduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, indices: Tensor, values: Tensor) {
        switch values.device.backend {
        case .cpu: CPUBackend.argReduce(op, x, outer, r, inner, indices: indices, values: values)
        case .cuda: CUDABackend.argReduce(op, x, outer, r, inner, indices: indices, values: values)
        case .meta: break
        }
    }
    static func softmax(_ x: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.softmax(x, isLog: isLog, outer, r, inner, out: out)
        case .cuda: CUDABackend.softmax(x, isLog: isLog, outer, r, inner, out: out)
        case .meta: break
        }
    }
    /// The gradient of softmax (or log-softmax) from its output y and the upstream gradient gy.
    static func softmaxBackward(_ y: Tensor, _ gy: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.softmaxBackward(y, gy, isLog: isLog, outer, r, inner, out: out)
        case .cuda: CUDABackend.softmaxBackward(y, gy, isLog: isLog, outer, r, inner, out: out)
        case .meta: break
        }
    }
    /// The 2-norms of the rows of `size` elements of x (shaped `outShape`), summed and rounded as
    /// PyTorch's CPU norm kernel does; nil where there is no such kernel (contiguous float32 on the CPU).
    static func norm2Rows(_ x: Tensor, size: Int, outShape: [Int]) -> Tensor? {
        guard x.device.backend == .cpu, x.dtype == .float32, x.isContiguous else { return nil }
        let out = Tensor(uninitializedShape: outShape, dtype: x.dtype, device: x.device)
        CPUBackend.norm2Rows(x, rows: size == 0 ? 0 : x.count / size, size: size, out: out)
        return out
    }
    /// Float32 layer norm of `rows` rows of `size` on the CPU, rounded as PyTorch's kernel: (y, mean, rstd);
    /// nil where that kernel does not apply (another device or dtype, a strided input).
    static func layerNormRows(_ x: Tensor, rows: Int, size: Int, weight: Tensor?, bias: Tensor?, eps: Double) -> (Tensor, Tensor, Tensor)? {
        guard x.device.backend == .cpu, x.dtype == .float32, x.isContiguous, plainFloat32(weight, x), plainFloat32(bias, x) else { return nil }
        let y = Tensor(uninitializedShape: x.shape, dtype: .float32, device: x.device)
        let mean = Tensor(uninitializedShape: [rows], dtype: .float32, device: x.device)
        let rstd = Tensor(uninitializedShape: [rows], dtype: .float32, device: x.device)
        CPUBackend.layerNormRows(x, rows: rows, size: size, weight: weight, bias: bias, eps: eps, y: y, mean: mean, rstd: rstd)
        return (y, mean, rstd)
    }
    /// The gradients of `layerNormRows` over trailing dims of `paramShape` (dx, then dweight and dbias where the
    /// layer has them; each only where wanted).
    static func layerNormRowsBackward(_ g: Tensor, x: Tensor, paramShape: [Int], mean: Tensor, rstd: Tensor, weight: Tensor?,
                                      hasBias: Bool, needs: [Bool]) -> [Tensor?] {
        let g = g.contiguous(), size = paramShape.reduce(1, *), rows = size == 0 ? 0 : x.count / size
        let (dx, dw, db) = normGradients(x, paramShape: paramShape, hasWeight: weight != nil, hasBias: hasBias, needs: needs)
        CPUBackend.layerNormRowsBackward(g, x: x, rows: rows, size: size, mean: mean, rstd: rstd, weight: weight, dx: dx, dw: dw, db: db)
        return [dx] + (weight == nil ? [] : [dw]) + (hasBias ? [db] : [])
    }
    /// Float32 group norm of a contiguous (N, C, *) input on the CPU, rounded as PyTorch's kernel: (y, mean, rstd),
    /// mean and rstd shaped (N, G); nil where that kernel does not apply (another device or dtype, a strided input).
    static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Double) -> (Tensor, Tensor, Tensor)? {
        guard x.device.backend == .cpu, x.dtype == .float32, x.isContiguous, plainFloat32(weight, x), plainFloat32(bias, x) else { return nil }
        let n = x.shape[0], c = x.shape[1], hxw = n * c == 0 ? 0 : x.count / (n * c)
        let y = Tensor(uninitializedShape: x.shape, dtype: .float32, device: x.device)
        let mean = Tensor(uninitializedShape: [n, groups], dtype: .float32, device: x.device)
        let rstd = Tensor(uninitializedShape: [n, groups], dtype: .float32, device: x.device)
        CPUBackend.groupNorm(x, n: n, c: c, hxw: hxw, groups: groups, weight: weight, bias: bias, eps: eps, y: y, mean: mean, rstd: rstd)
        return (y, mean, rstd)
    }
    /// The gradients of `groupNorm` (dx, then dweight and dbias where the layer has them; each only where wanted).
    static func groupNormBackward(_ g: Tensor, x: Tensor, groups: Int, mean: Tensor, rstd: Tensor, weight: Tensor?,
                                  hasBias: Bool, needs: [Bool]) -> [Tensor?] {
        let g = g.contiguous(), n = x.shape[0], c = x.shape[1], hxw = n * c == 0 ? 0 : x.count / (n * c)
        let (dx, dw, db) = normGradients(x, paramShape: [c], hasWeight: weight != nil, hasBias: hasBias, needs: needs)
        CPUBackend.groupNormBackward(g, x: x, n: n, c: c, hxw: hxw, groups: groups, mean: mean, rstd: rstd, weight: weight,
                                     dx: dx, dw: dw, db: db)
        return [dx] + (weight == nil ? [] : [dw]) + (hasBias ? [db] : [])
    }
    /// Whether an optional norm parameter can go to a float32 kernel beside x (absent, or contiguous float32 on x's device).
    private static func plainFloat32(_ t: Tensor?, _ x: Tensor) -> Bool {
        t.map { $0.dtype == .float32 && $0.isContiguous && $0.device == x.device } ?? true
    }
    /// Uninitialised float32 outputs for a norm's dx, dweight and dbias, each only where the layer has it and it is wanted
    /// (`needs` lists x, then the weight and bias the layer has).
    private static func normGradients(_ x: Tensor, paramShape: [Int], hasWeight: Bool, hasBias: Bool,
                                      needs: [Bool]) -> (Tensor?, Tensor?, Tensor?) {
        let make = { (need: Bool, shape: [Int]) in need ? Tensor(uninitializedShape: shape, dtype: .float32, device: x.device) : nil }
        return (make(needs[0], x.shape), hasWeight ? make(needs[1], paramShape) : nil,
                hasBias ? make(needs[hasWeight ? 2 : 1], paramShape) : nil)
    }
    /// An activation's gradient g * f'(x) for float32 CPU tensors of one shape, rounded as PyTorch's kernel
    /// (torch_act.c); nil elsewhere (the caller then uses its tensor-op rule).
    static func activationBackward(_ kind: ActivationGradient, _ g: Tensor, _ x: Tensor, _ p1: Double = 0, _ p2: Double = 0) -> Tensor? {
        guard x.device.backend == .cpu, x.dtype == .float32, g.dtype == .float32, g.shape == x.shape else { return nil }
        let (gc, xc) = (g.contiguous(), x.contiguous())
        let out = Tensor(uninitializedShape: x.shape, dtype: .float32, device: x.device)
        return CPUBackend.torchActivation(kind.rawValue, g: gc, x: xc, out: out, p1: p1, p2: p2) ? out : nil
    }
    /// An activation of a float32 CPU tensor rounded as PyTorch's kernel (torch_act.c); nil elsewhere.
    static func activationForward(_ kind: ActivationForward, _ x: Tensor) -> Tensor? {
        guard x.device.backend == .cpu, x.dtype == .float32 else { return nil }
        let out = Tensor(uninitializedShape: x.shape, dtype: .float32, device: x.device)
        return CPUBackend.torchActivation(kind.rawValue, g: nil, x: x.contiguous(), out: out, p1: 0, p2: 0) ? out : nil
    }
    static func cumsum(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor, reverse: Bool) {
        switch out.device.backend {
        case .cpu: CPUBackend.cumsum(x, outer, n, inner, out: out, reverse: reverse)
        case .cuda: CUDABackend.cumsum(x, outer, n, inner, out: out, reverse: reverse)
        case .meta: break
        }
    }
    static func cumprod(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.cumprod(x, outer, n, inner, out: out)
        case .cuda: CUDABackend.cumprod(x, outer, n, inner, out: out)
        case .meta: break
        }
    }
    /// PyTorch's CPU topk selection of each row of `rows` (contiguous float64, rows of n) into `indices`
    /// (contiguous int64, rows of k). CPU only: a GPU's topk sorts instead.
    static func topkRows(_ rows: Tensor, n: Int, k: Int, largest: Bool, sorted: Bool, indices: Tensor) {
        precondition(rows.device == .cpu && rows.dtype == .float64 && rows.isContiguous)
        CPUBackend.topkRows(rows, n: n, k: k, largest: largest, sorted: sorted, indices: indices)
    }
    /// Stable sort along n; NaN above every number.
    static func sort(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, values: Tensor, indices: Tensor, descending: Bool) {
        switch values.device.backend {
        case .cpu: CPUBackend.sort(x, outer, n, inner, values: values, indices: indices, descending: descending)
        case .cuda: CUDABackend.sort(x, outer, n, inner, values: values, indices: indices, descending: descending)
        case .meta: break
        }
    }

    // MARK: indexing

    /// The int64 `idx` with every entry checked against `size` (PyTorch's out-of-bounds message) and
    /// negative entries wrapped (a copy when any is negative); on the meta device, `idx` as it is.
    static func checkedIndices(_ idx: Tensor, size: Int, dim: Int, wrapNegative: Bool, message: String? = nil) -> Tensor {
        switch idx.device.backend {
        case .cpu: return CPUBackend.checkedIndices(idx, size: size, dim: dim, wrapNegative: wrapNegative, message: message)
        case .cuda: return CUDABackend.checkedIndices(idx, size: size, dim: dim, wrapNegative: wrapNegative, message: message)
        case .meta: return MetaBackend.checkedIndices(idx)
        }
    }
    /// out (outer, nIdx, inner) = x (outer, size, inner) at idx along the middle axis.
    static func indexSelect(_ x: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.indexSelect(x, outer, size, inner, idx, out: out)
        case .cuda: CUDABackend.indexSelect(x, outer, size, inner, idx, out: out)
        case .meta: break
        }
    }
    /// dst (outer, size, inner) += src (outer, nIdx, inner) at idx along the middle axis.
    static func indexAdd(_ dst: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, _ src: Tensor) {
        switch dst.device.backend {
        case .cpu: CPUBackend.indexAdd(dst, outer, size, inner, idx, src)
        case .cuda: CUDABackend.indexAdd(dst, outer, size, inner, idx, src)
        case .meta: break
        }
    }
    /// The flat positions of the nonzero entries of a contiguous bool tensor (data-dependent: the
    /// meta device cannot say how many, as in PyTorch).
    static func nonzeroPositions(_ mask: Tensor) -> Tensor {
        switch mask.device.backend {
        case .cpu: return CPUBackend.nonzeroPositions(mask)
        case .cuda: return CUDABackend.nonzeroPositions(mask)
        case .meta: MetaBackend.nonzeroPositions()
        }
    }
    /// out[..i..] = x[..idx[..i..] along dim..] (PyTorch's gather), idx contiguous and in range.
    static func gather(_ x: Tensor, dim: Int, _ idx: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.gather(x, dim: dim, idx, out: out)
        case .cuda: CUDABackend.gather(x, dim: dim, idx, out: out)
        case .meta: break
        }
    }
    /// target[..idx..] = src (or += when `add`), src of idx's shape or 0-dim (a scalar).
    static func scatter(_ target: Tensor, dim: Int, _ idx: Tensor, _ src: Tensor, add: Bool) {
        switch target.device.backend {
        case .cpu: CPUBackend.scatter(target, dim: dim, idx, src, add: add)
        case .cuda: CUDABackend.scatter(target, dim: dim, idx, src, add: add)
        case .meta: break
        }
    }

    // MARK: linear algebra

    /// y = op(y + bias), bias broadcast along the rows of the contiguous matrix y: the GPU's fused
    /// epilogue of `Sequential`'s Linear + activation (the CPU runs those layers unfused).
    static func biasActivation(_ y: Tensor, bias: Tensor, _ op: UnaryOp) {
        switch y.device.backend {
        case .cuda: CUDABackend.biasActivation(y, bias: bias, op)
        case .cpu, .meta: fatalError("the fused bias and activation is for CUDA tensors")
        }
    }
    /// c = alpha * a·b + beta * c on 2-D views with any strides (float32 or float64). `asPyTorch`: on
    /// the CPU, a float32 product with alpha 1 and beta 0 or 1 rounds as PyTorch's `mm`/`addmm` does.
    static func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, alpha: Double, beta: Double, asPyTorch: Bool = false) {
        switch c.device.backend {
        case .cpu:
            if asPyTorch && alpha == 1 && (beta == 0 || beta == 1) && c.dtype == .float32
                && CPUBackend.sgemmAsPyTorch(a, b, into: c, addToC: beta == 1) { return }
            CPUBackend.gemm(a, b, into: c, alpha: alpha, beta: beta)
        case .cuda: CUDABackend.gemm(a, b, into: c, alpha: alpha, beta: beta)
        case .meta: break
        }
    }

    /// PyTorch's float32 CPU `bmm` of several items as MKL's batched gemm (a, b, out: item 0's 2-D views; the
    /// item strides of a, b, out); false where that order is not modelled (the caller then multiplies each item).
    static func bmmAsPyTorch(_ a: Tensor, _ b: Tensor, into out: Tensor, batch: Int, batchStrides: (Int, Int, Int)) -> Bool {
        guard out.device.backend == .cpu, out.dtype == .float32 else { return false }
        return CPUBackend.sgemmAsPyTorch(a, b, into: out, addToC: false, batch: batch, batchStrides: batchStrides)
    }
    /// PyTorch's float32 CPU `bmm` for products of fewer than 400 multiply-adds (its naive kernel's order) into
    /// the contiguous `out`; false elsewhere (the caller then multiplies batch by batch).
    static func bmmSmall(_ a: Tensor, _ b: Tensor, into out: Tensor) -> Bool {
        guard out.device.backend == .cpu, out.dtype == .float32, a.shape[1] * a.shape[2] * b.shape[2] < 400 else { return false }
        CPUBackend.bmmSmall(a, b, into: out)
        return true
    }

    /// LU with partial pivoting of `count` contiguous float64 CPU matrices a (n x n, overwritten), solving for the
    /// n x k right-hand sides b (overwritten) and writing the determinants; 0, or batch · n + the first zero pivot.
    static func luSolve(count: Int, n: Int, k: Int, a: Tensor, b: Tensor?, det: Tensor) -> Int {
        CPUBackend.luSolve(count: count, n: n, k: k, a: a, b: b, det: det)
    }
    /// The decompositions below take and fill contiguous float64 CPU tensors (linalg.c).
    static func cholesky(count: Int, n: Int, a: Tensor) -> Int { CPUBackend.cholesky(count: count, n: n, a: a) }
    static func qr(count: Int, m: Int, n: Int, a: Tensor, q: Tensor, r: Tensor) { CPUBackend.qr(count: count, m: m, n: n, a: a, q: q, r: r) }
    static func eigh(count: Int, n: Int, a: Tensor, w: Tensor, v: Tensor) { CPUBackend.eigh(count: count, n: n, a: a, w: w, v: v) }
    static func svd(count: Int, m: Int, n: Int, a: Tensor, u: Tensor, s: Tensor, vh: Tensor) { CPUBackend.svd(count: count, m: m, n: n, a: a, u: u, s: s, vh: vh) }

    // MARK: between devices and the host (printing, item(), tolist(), files)

    /// Copies the contiguous `src` into the contiguous `dst` of the same shape and dtype on another device.
    static func transfer(_ src: Tensor, to dst: Tensor, nonBlocking: Bool = false) {
        switch (src.device.backend, dst.device.backend) {
        case (.cpu, .cpu): CPUBackend.cast(src, out: dst)
        case (_, .meta): break
        case (.meta, _): MetaBackend.copyOut()
        case (.cuda, _), (_, .cuda): CUDABackend.transfer(src, to: dst, nonBlocking: nonBlocking)
        }
    }

    /// One element at a storage offset, as a Double (fails on a device without host-readable memory).
    static func readElement(_ t: Tensor, storageOffset: Int) -> Double {
        switch t.device.backend {
        case .cpu: return CPUBackend.readElement(t, storageOffset: storageOffset)
        case .cuda: return CUDABackend.readElement(t, storageOffset: storageOffset)
        case .meta: MetaBackend.readValues()
        }
    }
    static func writeElement(_ t: Tensor, storageOffset: Int, _ v: Double) {
        switch t.device.backend {
        case .cpu: CPUBackend.writeElement(t, storageOffset: storageOffset, v)
        case .cuda: CUDABackend.writeElement(t, storageOffset: storageOffset, v)
        case .meta: break
        }
    }
    /// Fills a contiguous tensor from Swift doubles (converted to its dtype).
    static func copyFromHost(_ values: [Double], into t: Tensor) {
        switch t.device.backend {
        case .cpu: CPUBackend.copyFromHost(values, into: t)
        case .cuda: CUDABackend.copyFromHost(values, into: t)
        case .meta: break
        }
    }
    /// Fills a contiguous tensor with the raw bytes `bytes[start..<start + t.nbytes]` (its dtype's layout).
    static func copyBytesFromHost(_ bytes: [UInt8], start: Int, into t: Tensor) {
        fillFromHost(t) { dst in
            precondition(start >= 0 && start + dst.count <= bytes.count)
            bytes.withUnsafeBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + dst.count)])) }
        }
    }
    /// The elements of a contiguous tensor whose dtype has `T`'s layout, as a Swift array.
    static func elements<T>(_ t: Tensor, as _: T.Type) -> [T] {
        precondition(MemoryLayout<T>.stride == t.dtype.itemSize)
        if t.device == .meta { MetaBackend.readValues() }
        return withHostBytes(t) { Array(UnsafeBufferPointer(start: $0.baseAddress?.assumingMemoryBound(to: T.self), count: t.count)) }
    }

    // MARK: convolution, pooling, batch norm (contiguous operands; geometry in `Window2D`)

    /// The convolution of x by w (plus b). `asPyTorch`: on the CPU, float32 rounds as PyTorch's
    /// convolution forward does (false when the call computes a transposed convolution's input gradient).
    static func conv2dForward(_ g: Window2D, _ x: Tensor, _ w: Tensor, _ b: Tensor?, out: Tensor, asPyTorch: Bool = true) {
        switch out.device.backend {
        case .cpu: CPUBackend.conv2dForward(g, x, w, b, out: out, asPyTorch: asPyTorch)
        case .cuda: CUDABackend.conv2dForward(g, x, w, b, out: out)
        case .meta: break
        }
    }
    /// The gradients of a convolution (any of gx, gw, gb); with x nil and only gx, the transposed convolution of gy.
    /// `transposed`: the weight gradient of a transposed convolution (g is its convolution view), which
    /// PyTorch's CPU path chooses by the transposed convolution's input.
    static func conv2dBackward(_ g: Window2D, x: Tensor?, w: Tensor, gy: Tensor, gx: Tensor?, gw: Tensor?, gb: Tensor?, transposed: Bool = false) {
        switch gy.device.backend {
        case .cpu: CPUBackend.conv2dBackward(g, x: x, w: w, gy: gy, gx: gx, gw: gw, gb: gb, transposed: transposed)
        case .cuda: CUDABackend.conv2dBackward(g, x: x, w: w, gy: gy, gx: gx, gw: gw, gb: gb)
        case .meta: break
        }
    }
    static func maxPool2dForward(_ g: Window2D, _ x: Tensor, out: Tensor, indices: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.maxPool2dForward(g, x, out: out, indices: indices)
        case .cuda: CUDABackend.maxPool2dForward(g, x, out: out, indices: indices)
        case .meta: break
        }
    }
    static func maxPool2dBackward(_ g: Window2D, _ gy: Tensor, indices: Tensor, gx: Tensor) {
        switch gx.device.backend {
        case .cpu: CPUBackend.maxPool2dBackward(g, gy, indices: indices, gx: gx)
        case .cuda: CUDABackend.maxPool2dBackward(g, gy, indices: indices, gx: gx)
        case .meta: break
        }
    }
    static func avgPool2dForward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ x: Tensor, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.avgPool2dForward(g, countIncludePad: countIncludePad, divisor: divisor, x, out: out)
        case .cuda: CUDABackend.avgPool2dForward(g, countIncludePad: countIncludePad, divisor: divisor, x, out: out)
        case .meta: break
        }
    }
    static func avgPool2dBackward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ gy: Tensor, gx: Tensor) {
        switch gx.device.backend {
        case .cpu: CPUBackend.avgPool2dBackward(g, countIncludePad: countIncludePad, divisor: divisor, gy, gx: gx)
        case .cuda: CUDABackend.avgPool2dBackward(g, countIncludePad: countIncludePad, divisor: divisor, gy, gx: gx)
        case .meta: break
        }
    }
    /// Batch-norm forward into `out`, updating the running statistics when training; returns the
    /// per-channel mean and 1/std that backward needs.
    static func batchNormForward(_ x: Tensor, n: Int, c: Int, l: Int, runningMean: Tensor?, runningVar: Tensor?,
                                 weight: Tensor?, bias: Tensor?, training: Bool, momentum: Double, eps: Double,
                                 out: Tensor) -> (mean: Tensor, invstd: Tensor) {
        switch out.device.backend {
        case .cpu:
            return CPUBackend.batchNormForward(x, n: n, c: c, l: l, runningMean: runningMean, runningVar: runningVar, weight: weight,
                                               bias: bias, training: training, momentum: momentum, eps: eps, out: out)
        case .cuda:
            return CUDABackend.batchNormForward(x, n: n, c: c, l: l, runningMean: runningMean, runningVar: runningVar, weight: weight,
                                                bias: bias, training: training, momentum: momentum, eps: eps, out: out)
        case .meta: return MetaBackend.batchNormStatistics(channels: c, dtype: x.dtype)
        }
    }
    static func batchNormBackward(training: Bool, n: Int, c: Int, l: Int, x: Tensor, gy: Tensor, mean: Tensor, invstd: Tensor,
                                  weight: Tensor?, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        switch gy.device.backend {
        case .cpu: CPUBackend.batchNormBackward(training: training, n: n, c: c, l: l, x: x, gy: gy, mean: mean, invstd: invstd,
                                                weight: weight, gx: gx, gw: gw, gb: gb)
        case .cuda:
            CUDABackend.batchNormBackward(training: training, n: n, c: c, l: l, x: x, gy: gy, mean: mean, invstd: invstd,
                                          weight: weight, gx: gx, gw: gw, gb: gb)
        case .meta: break
        }
    }

    // MARK: losses (contiguous operands)

    /// Elementwise binary cross-entropy (on probabilities, or on logits) into `out`.
    static func bceForward(logits: Bool, _ x: Tensor, _ y: Tensor, weight: Tensor?, posWeight: Tensor?, out: Tensor) {
        switch out.device.backend {
        case .cpu: CPUBackend.bceForward(logits: logits, x, y, weight: weight, posWeight: posWeight, out: out)
        case .cuda: CUDABackend.bceForward(logits: logits, x, y, weight: weight, posWeight: posWeight, out: out)
        case .meta: break
        }
    }
    /// d/dx of the BCE, with the upstream gradient elementwise or one value, divided by `divisor`.
    static func bceBackward(logits: Bool, _ x: Tensor, _ y: Tensor, weight: Tensor?, posWeight: Tensor?, upstream: Tensor,
                            upstreamIsElementwise: Bool, divisor: Double, gx: Tensor) {
        switch gx.device.backend {
        case .cpu: CPUBackend.bceBackward(logits: logits, x, y, weight: weight, posWeight: posWeight, upstream: upstream,
                                          upstreamIsElementwise: upstreamIsElementwise, divisor: divisor, gx: gx)
        case .cuda:
            CUDABackend.bceBackward(logits: logits, x, y, weight: weight, posWeight: posWeight, upstream: upstream,
                                    upstreamIsElementwise: upstreamIsElementwise, divisor: divisor, gx: gx)
        case .meta: break
        }
    }
    /// Per-row NLL of (M, C) log-probabilities at int64 targets, and each row's weight (0 when ignored).
    static func nllForward(_ rows: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int, rowLoss: Tensor, rowWeight: Tensor) {
        switch rowLoss.device.backend {
        case .cpu: CPUBackend.nllForward(rows, target, weight: weight, ignoreIndex: ignoreIndex, rowLoss: rowLoss, rowWeight: rowWeight)
        case .cuda: CUDABackend.nllForward(rows, target, weight: weight, ignoreIndex: ignoreIndex, rowLoss: rowLoss, rowWeight: rowWeight)
        case .meta: break
        }
    }
    /// The summed (or weight-averaged) NLL as a 0-dim tensor, in PyTorch's order of additions.
    static func nllReduce(_ rowLoss: Tensor, rowWeight: Tensor, _ target: Tensor, ignoreIndex: Int, weighted: Bool, mean: Bool) -> Tensor {
        switch rowLoss.device.backend {
        case .cpu: return CPUBackend.nllReduce(rowLoss, rowWeight: rowWeight, target, ignoreIndex: ignoreIndex, weighted: weighted, mean: mean)
        case .cuda: return CUDABackend.nllReduce(rowLoss, rowWeight: rowWeight, target, ignoreIndex: ignoreIndex, weighted: weighted, mean: mean)
        case .meta: return MetaBackend.scalar(dtype: rowLoss.dtype)
        }
    }
    /// d/d(log-probs) of the NLL, or d/d(logits) of the fused softmax + NLL when `fromLogits`.
    static func nllBackward(fromLogits: Bool, logProbs: Tensor, _ target: Tensor, rowWeight: Tensor, upstream: Tensor,
                            upstreamIsElementwise: Bool, mean: Bool, gx: Tensor) {
        switch gx.device.backend {
        case .cpu: CPUBackend.nllBackward(fromLogits: fromLogits, logProbs: logProbs, target, rowWeight: rowWeight, upstream: upstream,
                                          upstreamIsElementwise: upstreamIsElementwise, mean: mean, gx: gx)
        case .cuda:
            CUDABackend.nllBackward(fromLogits: fromLogits, logProbs: logProbs, target, rowWeight: rowWeight, upstream: upstream,
                                    upstreamIsElementwise: upstreamIsElementwise, mean: mean, gx: gx)
        case .meta: break
        }
    }

    // MARK: nn layers

    /// One LSTM step's pointwise math: gates from hw + xw, the new cell state, tanh of it and the new hidden state.
    static func lstmCellForward(_ hw: Tensor, _ xw: Tensor, _ cPrev: Tensor, activations: Tensor, c: Tensor, tanhC: Tensor, h: Tensor) {
        switch h.device.backend {
        case .cpu: CPUBackend.lstmCellForward(hw, xw, cPrev, activations: activations, c: c, tanhC: tanhC, h: h)
        case .cuda: CUDABackend.lstmCellForward(hw, xw, cPrev, activations: activations, c: c, tanhC: tanhC, h: h)
        case .meta: break
        }
    }
    /// The gradient of one LSTM step's pre-activations; `dc` is overwritten with the gradient for cPrev.
    static func lstmCellBackward(activations: Tensor, tanhC: Tensor, cPrev: Tensor, dh: Tensor, dc: Tensor, gates: Tensor) {
        switch gates.device.backend {
        case .cpu: CPUBackend.lstmCellBackward(activations: activations, tanhC: tanhC, cPrev: cPrev, dh: dh, dc: dc, gates: gates)
        case .cuda: CUDABackend.lstmCellBackward(activations: activations, tanhC: tanhC, cPrev: cPrev, dh: dh, dc: dc, gates: gates)
        case .meta: break
        }
    }
    /// Adaptive average pooling of `planes` (h, w) planes to (oh, ow), or (backward) its gradient added into `out`.
    static func adaptiveAvgPool2d(_ x: Tensor, planes: Int, h: Int, w: Int, oh: Int, ow: Int, out: Tensor, backward: Bool) {
        switch out.device.backend {
        case .cpu:
            if x.dtype == .float64 { CPUBackend.adaptiveAvgPool2d(Double.self, x, out, planes: planes, h: h, w: w, oh: oh, ow: ow, backward: backward) }
            else { CPUBackend.adaptiveAvgPool2d(Float.self, x, out, planes: planes, h: h, w: w, oh: oh, ow: ow, backward: backward) }
        case .cuda: CUDABackend.adaptiveAvgPool2d(x, planes: planes, h: h, w: w, oh: oh, ow: ow, out: out, backward: backward)
        case .meta: break
        }
    }

    // MARK: optimizers

    /// Applies one fused update to the contiguous parameter `param` with gradient `grad`, in place.
    static func optimizerStep(_ update: OptimizerUpdate, param: Tensor, grad: Tensor) {
        switch param.device.backend {
        case .cpu: CPUBackend.optimizerStep(update, param: param, grad: grad)
        case .cuda: CUDABackend.optimizerStep(update, param: param, grad: grad)
        case .meta: break
        }
    }
    /// param += alpha * flat[offset ..< offset + param.count] (float32).
    static func addScaledFromHost(_ alpha: Float, _ flat: [Float], offset: Int, into param: Tensor) {
        switch param.device.backend {
        case .cpu: CPUBackend.addScaledFromHost(alpha, flat, offset: offset, into: param)
        case .cuda: CUDABackend.addScaledFromHost(alpha, flat, offset: offset, into: param)
        case .meta: break
        }
    }
    /// param = flat[offset ..< offset + param.count] (float32).
    static func copyFromHost(_ flat: [Float], offset: Int, into param: Tensor) {
        switch param.device.backend {
        case .cpu: CPUBackend.copyFromHost(flat, offset: offset, into: param)
        case .cuda: CUDABackend.copyFromHost(flat, offset: offset, into: param)
        case .meta: break
        }
    }

    // MARK: random numbers

    /// Fills the contiguous `t` with draws from `generator` (or the default generator of t's device;
    /// one of another device type stops). On the meta device nothing is drawn and no generator
    /// advances, as in PyTorch.
    static func random(_ draw: RandomDraw, into t: Tensor, generator: Generator?) {
        switch t.device.backend {
        case .cpu: CPUBackend.random(draw, into: t, generator: Generator.resolve(generator, for: t.device).engine)
        case .cuda: CUDABackend.random(draw, into: t, generator: Generator.resolve(generator, for: t.device))
        case .meta: break
        }
    }

    /// Fills `out` with one draw per element of the contiguous float `params` (gamma: Gamma(α, 1);
    /// poisson: Poisson(λ)) with ATen's serial samplers. On CUDA the draws are made on the host from
    /// a CPU generator seeded by the CUDA generator's Philox state (same distribution, not PyTorch's
    /// CUDA numbers) and copied to the device.
    static func samplePerElement(_ kind: PerElementSampler, params: Tensor, into out: Tensor, generator: Generator?) {
        switch out.device.backend {
        case .cpu: CPUBackend.samplePerElement(kind, params: params, into: out, generator: Generator.resolve(generator, for: out.device).engine)
        case .cuda:
            let (seed, offset) = Generator.resolve(generator, for: out.device).philoxState(increment: 20)
            let engine = Generator(seed: Int(bitPattern: UInt(seed ^ (offset &* 0x9E3779B97F4A7C15)))).engine
            let host = Tensor(uninitializedShape: out.shape, dtype: out.dtype, device: .cpu)
            CPUBackend.samplePerElement(kind, params: params.cpu().contiguous(), into: host, generator: engine)
            noGrad { _ = out.copy_(host) }
        case .meta: break
        }
    }

    // MARK: host bytes (files)

    /// Calls `body` with the raw bytes of the contiguous `t` in host memory (the tensor's own memory on the CPU).
    static func withHostBytes<R>(_ t: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch t.device.backend {
        case .cpu: return try body(UnsafeRawBufferPointer(start: t.rawPointer, count: t.count * t.dtype.itemSize))
        case .cuda: return try CUDABackend.withHostBytes(t, body)
        case .meta: MetaBackend.copyOut()
        }
    }
    /// Calls `body` to write the raw bytes of the contiguous `t` (its dtype's layout) from the host.
    static func fillFromHost(_ t: Tensor, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        switch t.device.backend {
        case .cpu: try body(UnsafeMutableRawBufferPointer(start: t.rawPointer, count: t.count * t.dtype.itemSize))
        case .cuda: try CUDABackend.fillFromHost(t, body)
        case .meta: break
        }
    }
}

/// The activation gradients torch_act.c computes (its DK_ACT_*_BWD codes).
enum ActivationGradient: Int32 {
    case silu = 10, elu = 11, softplus = 12, gelu = 13, logSigmoid = 14, hardswish = 15, geluTanh = 18, mish = 20
}
/// torch_act.c's forward activations reached from Swift (DK_ACT_*; the others run through the unary ops).
enum ActivationForward: Int32 {
    case geluTanh = 17, mish = 19
}
