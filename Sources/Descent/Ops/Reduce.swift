extension Tensor {
    /// Reduces along one dim with keepDim semantics; the input is made contiguous.
    func reduceDim(_ op: ReduceOp, _ d: Int, outType: DType) -> Tensor {
        let x = contiguous()
        let outer = shape[..<d].reduce(1, *), r = shape[d], inner = shape[(d + 1)...].reduce(1, *)
        var s = shape; s[d] = 1
        let out = Tensor(uninitializedShape: s, dtype: outType, device: device)
        if r == 0 {
            if op == ReduceOp.sum { Kernels.fill(out, 0); return out }
            fail("max(): Expected reduction dim \(d) to have non-zero size.")
        }
        Kernels.reduce(op, x, outer, r, inner, out: out)
        return out
    }

    func reduceDims(_ op: ReduceOp, dims: [Int]?, keepDim: Bool, outType: DType) -> Tensor {
        if dims == nil || rank == 0 {
            let x = contiguous()
            let out = Tensor(uninitializedShape: keepDim ? [Int](repeating: 1, count: rank) : [], dtype: outType, device: device)
            if x.count == 0 {
                if op == ReduceOp.sum { Kernels.fill(out, 0); return out }
                fail("max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
            }
            Kernels.reduce(op, x, 1, x.count, 1, out: out)
            return out
        }
        let ds = Array(Set(dims!.map { normalizeDim($0, rank) })).sorted(by: >)
        var r = self
        if ds.count > 1, zip(ds, ds.dropFirst()).contains(where: { $0 == $1 + 1 }) {
            // Adjacent reduced dims are one dim of their product, as PyTorch's TensorIterator coalesces
            // them: one reduction in its order (e.g. a contiguous (…, 6, 16) mean over the last two dims
            // is one row of 96), not one dim after another.
            let x = contiguous()
            var merged: [Int] = [], reduced: [Int] = []
            for d in 0..<rank {
                if ds.contains(d) && d > 0 && ds.contains(d - 1) { merged[merged.count - 1] *= shape[d]; continue }
                if ds.contains(d) { reduced.append(merged.count) }
                merged.append(shape[d])
            }
            r = Tensor(storage: x.storage, shape: merged, strides: Tensor.contiguousStrides(merged), offset: x.offset, dtype: x.dtype)
            for d in reduced.sorted(by: >) { r = r.reduceDim(op, d, outType: outType) }
            let outShape = keepDim ? (0..<rank).map { ds.contains($0) ? 1 : shape[$0] } : (0..<rank).filter { !ds.contains($0) }.map { shape[$0] }
            return Tensor(storage: r.storage, shape: outShape, strides: Tensor.contiguousStrides(outShape), offset: r.offset, dtype: r.dtype)
        }
        for d in ds { r = r.reduceDim(op, d, outType: outType) }
        if !keepDim {
            let keep = (0..<rank).filter { !ds.contains($0) }
            r = Tensor(storage: r.storage, shape: keep.map { r.shape[$0] }, strides: Tensor.contiguousStrides(keep.map { r.shape[$0] }), offset: r.offset, dtype: r.dtype)
        }
        return r
    }

    var sumType: DType { dtype.isFloatingPoint ? dtype : .int64 }

    /// Sum of all elements (a 0-dim tensor).
    public func sum() -> Tensor {
        let out = reduceDims(ReduceOp.sum, dims: nil, keepDim: false, outType: sumType)
        if wantsGrad(self) { out.recorded(.sum(inShape: shape, dims: nil, keepDim: false), inputs: [self]) }
        return out
    }
    /// Sum over `dim`.
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }
    /// Sum over `dims`.
    public func sum(dims: [Int], keepDim: Bool = false) -> Tensor {
        let out = reduceDims(ReduceOp.sum, dims: dims, keepDim: keepDim, outType: sumType)
        if wantsGrad(self) { out.recorded(.sum(inShape: shape, dims: dims.map { normalizeDim($0, rank) }, keepDim: keepDim), inputs: [self]) }
        return out
    }

    func checkMeanType(_ name: String) {
        if !dtype.isFloatingPoint {
            fail("\(name)(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(dtype.scalarTypeName)")
        }
    }
    /// Mean of all elements.
    public func mean() -> Tensor {
        checkMeanType("mean")
        let s = noGrad { sum() }
        let out = noGrad { s / Double(Swift.max(count, 0)) }
        if wantsGrad(self) { out.recorded(.mean(inShape: shape, dims: nil, keepDim: false), inputs: [self]) }
        return out
    }
    /// Mean over `dim`.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }
    /// Mean over `dims`.
    public func mean(dims: [Int], keepDim: Bool = false) -> Tensor {
        checkMeanType("mean")
        let nd = dims.map { normalizeDim($0, rank) }
        let n = Set(nd).reduce(1) { $0 * shape[$1] }
        let out = noGrad { sum(dims: nd, keepDim: keepDim) / Double(n) }
        if wantsGrad(self) { out.recorded(.mean(inShape: shape, dims: nd, keepDim: keepDim), inputs: [self]) }
        return out
    }

    /// The largest element (0-dim).
    public func max() -> Tensor {
        let out = reduceDims(ReduceOp.max, dims: nil, keepDim: false, outType: dtype)
        if wantsGrad(self) { out.recorded(.extremumAll("MaxBackward1"), inputs: [self], saved: [self, out]) }
        return out
    }
    /// The smallest element (0-dim).
    public func min() -> Tensor {
        let out = reduceDims(ReduceOp.min, dims: nil, keepDim: false, outType: dtype)
        if wantsGrad(self) { out.recorded(.extremumAll("MinBackward1"), inputs: [self], saved: [self, out]) }
        return out
    }

    func argReduce(_ op: ReduceOp, dim: Int, keepDim: Bool) -> (values: Tensor, indices: Tensor) {
        let d = normalizeDim(dim, rank)
        let x = contiguous()
        let outer = shape[..<d].reduce(1, *), r = rank == 0 ? 1 : shape[d], inner = rank == 0 ? 1 : shape[(d + 1)...].reduce(1, *)
        if r == 0 { fail("max(): Expected reduction dim \(d) to have non-zero size.") }
        var s = shape
        if rank > 0 { if keepDim { s[d] = 1 } else { s.remove(at: d) } }
        let vals = Tensor(uninitializedShape: s, dtype: dtype, device: device)
        let idx = Tensor(uninitializedShape: s, dtype: .int64, device: device)
        Kernels.argReduce(op, x, outer, r, inner, indices: idx, values: vals)
        if wantsGrad(self) {
            vals.recorded(.extremumDim(op == ReduceOp.max ? "MaxBackward0" : "MinBackward0", inShape: shape, dim: d, keepDim: keepDim), inputs: [self], saved: [idx])
        }
        return (vals, idx)
    }
    /// Largest values along `dim` and their indices (PyTorch's `max(dim)`).
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { argReduce(ReduceOp.max, dim: dim, keepDim: keepDim) }
    /// Smallest values along `dim` and their indices.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { argReduce(ReduceOp.min, dim: dim, keepDim: keepDim) }
    /// Index of the largest element along `dim` (first one on ties), int64.
    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor { noGrad { argReduce(ReduceOp.max, dim: dim, keepDim: keepDim).indices } }
    /// Index of the smallest element along `dim`, int64.
    public func argmin(dim: Int, keepDim: Bool = false) -> Tensor { noGrad { argReduce(ReduceOp.min, dim: dim, keepDim: keepDim).indices } }
    /// Flat index of the largest element.
    public func argmax() -> Tensor { noGrad { reshape(-1).argReduce(ReduceOp.max, dim: 0, keepDim: false).indices } }
    /// Flat index of the smallest element.
    public func argmin() -> Tensor { noGrad { reshape(-1).argReduce(ReduceOp.min, dim: 0, keepDim: false).indices } }

    /// The largest entries over `dims` (PyTorch's `amax`): values only; the gradient is shared evenly
    /// among tied maxima (unlike `max(dim:)`, which sends it to one index).
    public func amax(dims: [Int] = [], keepDim: Bool = false) -> Tensor { extremum(ReduceOp.max, "AmaxBackward0", dims, keepDim) }
    /// The largest entries along `dim` (PyTorch's `amax(dim)`).
    public func amax(dim: Int, keepDim: Bool = false) -> Tensor { amax(dims: [dim], keepDim: keepDim) }
    /// The smallest entries over `dims` (PyTorch's `amin`; all dims when `dims` is empty).
    public func amin(dims: [Int] = [], keepDim: Bool = false) -> Tensor { extremum(ReduceOp.min, "AminBackward0", dims, keepDim) }
    /// The smallest entries along `dim` (PyTorch's `amin(dim)`).
    public func amin(dim: Int, keepDim: Bool = false) -> Tensor { amin(dims: [dim], keepDim: keepDim) }
    private func extremum(_ op: ReduceOp, _ name: String, _ dims: [Int], _ keepDim: Bool) -> Tensor {
        let ds = dims.isEmpty ? Array(0..<rank) : Array(Set(dims.map { normalizeDim($0, rank) })).sorted()
        for d in ds where shape[d] == 0 {
            fail("\(name.hasPrefix("Amax") ? "amax" : "amin")(): Expected reduction dim \(d) to have non-zero size.")
        }
        let out = rank == 0 ? clone() : reduceDims(op, dims: ds, keepDim: keepDim, outType: dtype)
        if wantsGrad(self) && rank > 0 { out.recorded(.extremumDims(name, dims: ds, keepDim: keepDim), inputs: [self], saved: [self, out]) }
        return out
    }

    /// The lower median of all entries (PyTorch's `median()`: for an even count, the smaller of the two
    /// middle values; the gradient is shared evenly among the entries equal to it, as PyTorch's).
    public func median() -> Tensor {
        if count == 0 { return Tensor.full([], .nan, dtype: dtype, device: device) }
        if rank == 0 { return clone() }
        let values = noGrad { reshape(-1).median(dim: 0).values }
        if wantsGrad(self) {
            values.recorded(.extremumDims("MedianBackward0", dims: Array(0..<rank), keepDim: false), inputs: [self], saved: [self, values])
        }
        return values
    }
    /// The lower median along `dim` and its index (PyTorch's `median(dim)`; among equal values, the
    /// index of the one a stable sort puts in the middle).
    public func median(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = normalizeDim(dim, rank)
        let n = rank == 0 ? 1 : shape[d]
        if n == 0 { fail("median(): Expected reduction dim \(d) to have non-zero size.") }
        let (values, indices) = noGrad { () -> (Tensor, Tensor) in
            let sorted = sort(dim: d, stable: true)
            let k = (n - 1) / 2
            var v = sorted.values.narrow(dim: d, start: k, length: 1), i = sorted.indices.narrow(dim: d, start: k, length: 1)
            if !keepDim && rank > 0 { v = v.squeeze(dim: d); i = i.squeeze(dim: d) }
            return (v.clone(), i.clone())
        }
        if wantsGrad(self) {
            values.recorded(.extremumDim("MedianBackward1", inShape: shape, dim: d, keepDim: keepDim), inputs: [self], saved: [indices])
        }
        return (values, indices)
    }

    /// Variance with Bessel's correction by default (PyTorch's `var`, `correction` = 1).
    public func variance(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        checkMeanType("var")
        let nd = dims?.map { normalizeDim($0, rank) } ?? Array(0..<rank)
        let n = Set(nd).reduce(1) { $0 * shape[$1] }
        let out: Tensor = noGrad {
            let m = mean(dims: nd, keepDim: true)
            let d = self - m
            return (d * d).sum(dims: nd, keepDim: keepDim) / Double(Swift.max(n - correction, 0))
        }
        if wantsGrad(self) { out.recorded(.variance(dims: nd, correction: correction, keepDim: keepDim), inputs: [self], saved: [self]) }
        return out
    }
    public func variance(dim: Int, correction: Int = 1, keepDim: Bool = false) -> Tensor { variance(dims: [dim], correction: correction, keepDim: keepDim) }
    /// Standard deviation (square root of `variance`).
    public func std(dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        // correctly rounded, as the root inside PyTorch's std reduction (see norm)
        let out = noGrad { variance(dims: dims, correction: correction, keepDim: keepDim).pow(0.5) }
        if wantsGrad(self) {
            let nd = dims?.map { normalizeDim($0, rank) } ?? Array(0..<rank)
            out.recorded(.std(dims: nd, correction: correction, keepDim: keepDim), inputs: [self], saved: [self, out])
        }
        return out
    }
    public func std(dim: Int, correction: Int = 1, keepDim: Bool = false) -> Tensor { std(dims: [dim], correction: correction, keepDim: keepDim) }
    /// Variance, with Bessel's correction when `unbiased` (PyTorch's `var(unbiased=...)`: `correction` 1 or 0).
    public func variance(dims: [Int]? = nil, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        variance(dims: dims, correction: unbiased ? 1 : 0, keepDim: keepDim)
    }
    /// Variance over `dim` (PyTorch's `var(dim, unbiased=..., keepdim=...)`).
    public func variance(dim: Int, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        variance(dims: [dim], correction: unbiased ? 1 : 0, keepDim: keepDim)
    }
    /// Standard deviation, with Bessel's correction when `unbiased` (PyTorch's `std(unbiased=...)`).
    public func std(dims: [Int]? = nil, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        std(dims: dims, correction: unbiased ? 1 : 0, keepDim: keepDim)
    }
    /// Standard deviation over `dim` (PyTorch's `std(dim, unbiased=..., keepdim=...)`).
    public func std(dim: Int, unbiased: Bool, keepDim: Bool = false) -> Tensor {
        std(dims: [dim], correction: unbiased ? 1 : 0, keepDim: keepDim)
    }

    /// log(sum(exp(x))) over `dims`, computed stably.
    public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor {
        let nd = dims.map { normalizeDim($0, rank) }
        let out: Tensor = noGrad {
            var m = self
            for d in nd.sorted(by: >) { m = m.max(dim: d, keepDim: true).values }
            let mm = `where`(m.abs() .== Double.infinity, Tensor.zerosLike(m), m)
            var r = (self - mm).exp().sum(dims: nd, keepDim: true).log() + mm
            if !keepDim { r = r.squeezeDims(nd) }
            return r
        }
        if wantsGrad(self) { out.recorded(.logsumexp(dims: nd, keepDim: keepDim), inputs: [self], saved: [self, out]) }
        return out
    }
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dims: [dim], keepDim: keepDim) }

    func squeezeDims(_ dims: [Int]) -> Tensor {
        let keep = (0..<rank).filter { !dims.contains($0) }
        return reshape(keep.map { shape[$0] })
    }

    /// `true` if any element is nonzero (bool 0-dim).
    public func any() -> Tensor { reduceDims(ReduceOp.any, dims: nil, keepDim: false, outType: .bool) }
    /// `true` if all elements are nonzero (bool 0-dim).
    public func all() -> Tensor { reduceDims(ReduceOp.all, dims: nil, keepDim: false, outType: .bool) }

    /// Softmax along `dim`.
    public func softmax(dim: Int) -> Tensor { softmaxImpl(dim: dim, isLog: false) }
    /// Log-softmax along `dim`, computed stably.
    public func logSoftmax(dim: Int) -> Tensor { softmaxImpl(dim: dim, isLog: true) }

    func softmaxImpl(dim: Int, isLog: Bool) -> Tensor {
        if !dtype.isFloatingPoint { return to(dtype: getDefaultDtype()).softmaxImpl(dim: dim, isLog: isLog) }
        let d = normalizeDim(dim, rank)
        let x = contiguous()
        let outer = rank == 0 ? 1 : shape[..<d].reduce(1, *), r = rank == 0 ? 1 : shape[d], inner = rank == 0 ? 1 : shape[(d + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        if count > 0 { Kernels.softmax(x, isLog: isLog, outer, r, inner, out: out) }
        if wantsGrad(self) { out.recorded(isLog ? .logSoftmax(dim: d) : .softmax(dim: d), inputs: [self], saved: [out]) }
        return out
    }
}

/// Softmax/log-softmax backward through the fused kernel.
func softmaxBackward(_ g: Tensor, _ y: Tensor, dim: Int, isLog: Bool) -> Tensor {
    let gc = g.contiguous()
    let shape = y.shape
    let outer = shape[..<dim].reduce(1, *), r = shape.isEmpty ? 1 : shape[dim], inner = shape.isEmpty ? 1 : shape[(dim + 1)...].reduce(1, *)
    let out = Tensor(uninitializedShape: shape, dtype: y.dtype, device: y.device)
    Kernels.softmaxBackward(y, gc, isLog: isLog, outer, r, inner, out: out)
    return out
}

/// `torch.max(x)`: the largest element.
public func max(_ x: Tensor) -> Tensor { x.max() }
/// `torch.max(x, dim)`: the largest values along `dim` and their indices.
public func max(_ x: Tensor, dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.max(dim: dim, keepDim: keepDim) }
/// `torch.min(x)`: the smallest element.
public func min(_ x: Tensor) -> Tensor { x.min() }
/// `torch.min(x, dim)`: the smallest values along `dim` and their indices.
public func min(_ x: Tensor, dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.min(dim: dim, keepDim: keepDim) }
/// `torch.median(x, dim)`.
public func median(_ x: Tensor, dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.median(dim: dim, keepDim: keepDim) }
/// `torch.max(a, b)`: the elementwise maximum (PyTorch's `maximum`).
public func max(_ a: Tensor, _ b: Tensor) -> Tensor { a.maximum(b) }
/// `torch.min(a, b)`: the elementwise minimum (PyTorch's `minimum`).
public func min(_ a: Tensor, _ b: Tensor) -> Tensor { a.minimum(b) }
