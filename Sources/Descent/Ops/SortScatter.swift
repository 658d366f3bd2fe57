// Sorting and gather/scatter along a dim (PyTorch's sort, argsort, topk, gather, scatter, scatter_add).

extension Tensor {
    /// The (outer, n, inner) split of a contiguous tensor around `d` (a 0-dim tensor is one row of one).
    fileprivate func splitAround(_ d: Int) -> (Int, Int, Int) {
        if rank == 0 { return (1, 1, 1) }
        return (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *))
    }

    /// Sorted values and their original positions along `dim` (PyTorch's `sort`). The sort is stable:
    /// equal values keep their order, in both directions; NaN sorts above every number.
    public func sort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = normalizeDim(dim, rank)
        let x = contiguous()
        let (outer, n, inner) = x.splitAround(d)
        let values = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        let indices = Tensor(uninitializedShape: shape, dtype: .int64, device: device)
        Kernels.sort(x, outer, n, inner, values: values, indices: indices, descending: descending)
        if wantsGrad(self) { values.recorded(Tensor.scatterBackOp("SortBackward0", inShape: shape, dim: d), inputs: [self], saved: [indices]) }
        return (values, indices)
    }

    /// The positions that sort `dim` (PyTorch's `argsort`).
    public func argsort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> Tensor {
        noGrad { sort(dim: dim, descending: descending).indices }
    }

    /// The `k` largest (or smallest) entries along `dim` and their positions (PyTorch's `topk`; NaN
    /// counts as the largest). On the CPU the positions are PyTorch's, ties included: each row goes
    /// through the selection PyTorch's CPU kernel uses (integers compare as doubles,
    /// exact below 2^53). On a GPU, ties come in index order (a sort), as PyTorch's CUDA kernel
    /// orders them only where `sorted`.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        let d = normalizeDim(dim, rank)
        let n = rank == 0 ? 1 : shape[d]
        if k < 0 || k > n { fail("selected index k out of range") }
        let values: Tensor, indices: Tensor
        if device == .cpu && rank > 0 {
            // rows along the last dim, each selected as PyTorch's topk_impl_loop does
            let rows = noGrad { movedim(d, rank - 1).contiguous().to(dtype: .float64) }
            var movedShape = rows.shape
            movedShape[rank - 1] = k
            let picked = Tensor.zeros(movedShape, dtype: .int64)
            Kernels.topkRows(rows, n: n, k: k, largest: largest, sorted: sorted, indices: picked)
            indices = picked.movedim(rank - 1, d).contiguous()
            values = noGrad { gather(dim: d, index: indices) }
        } else {
            let (v, i) = noGrad { sort(dim: d, descending: largest) }
            var items = [TensorIndexItem](repeating: .everything, count: d)
            items.append(.range(0, k, 1))
            values = rank == 0 ? v : v[items].contiguous()
            indices = rank == 0 ? i : i[items].contiguous()
        }
        if wantsGrad(self) { values.recorded(Tensor.scatterBackOp("TopkBackward0", inShape: shape, dim: d), inputs: [self], saved: [indices]) }
        return (values, indices)
    }

    /// The gradient rule of an op whose output picks input entries at saved `indices` along `dim`:
    /// zeros with the gradient added at those positions.
    static func scatterBackOp(_ name: String, inShape: [Int], dim: Int) -> Op { .pickAlong(name, inShape: inShape, dim: dim) }

    /// Checks an index for gather/scatter and returns it contiguous.
    fileprivate func checkedIndex(_ index: Tensor, dim d: Int, op: String) -> Tensor {
        if index.dtype != .int64 { fail("\(op)(): Expected dtype int64 for index") }
        if index.rank != rank && !(index.rank <= 1 && rank <= 1) {
            fail("Index tensor must have the same number of dimensions as \(op == "gather" ? "input" : "self") tensor")
        }
        checkSameDevice(self, index)
        return Kernels.checkedIndices(index.contiguous(), size: rank == 0 ? 1 : shape[d], dim: d, wrapNegative: false)
    }

    /// Values along `dim` picked by `index` (PyTorch's `gather`): out[i][j] = self[i][index[i][j]] for dim 1;
    /// `index` has self's rank and sizes no larger than self's in the other dims.
    public func gather(dim: Int, index: Tensor) -> Tensor {
        let d = normalizeDim(dim, rank)
        for k in 0..<Swift.min(rank, index.rank) where k != d && index.shape[k] > shape[k] {
            fail("Size does not match at dimension \(k) expected index \(shapeString(index.shape)) to be no larger than self \(shapeString(shape)) apart from dimension \(d)")
        }
        let idx = checkedIndex(index, dim: d, op: "gather")
        let out = Tensor(uninitializedShape: idx.shape, dtype: dtype, device: device)
        if idx.count > 0 { Kernels.gather(self, dim: d, idx, out: out) }
        if wantsGrad(self) { out.recorded(Tensor.scatterBackOp("GatherBackward0", inShape: shape, dim: d), inputs: [self], saved: [idx]) }
        return out
    }

    /// Writes `src` (or a scalar when `src` is 0-dim) into `target` at `index` along `d`; mode 0 sets, 1 adds.
    fileprivate static func scatterKernel(_ target: Tensor, dim d: Int, index idx: Tensor, src: Tensor, mode: Int32) {
        if idx.count == 0 { return }
        Kernels.scatter(target, dim: d, idx, src, add: mode == 1)
    }

    fileprivate func checkScatterShapes(_ index: Tensor, _ src: Tensor?, dim d: Int) {
        for k in 0..<Swift.min(rank, index.rank) {
            let tooBigForSelf = k != d && index.shape[k] > shape[k]
            let tooBigForSrc = src.map { $0.rank == index.rank && index.shape[k] > $0.shape[k] } ?? false
            if tooBigForSelf || tooBigForSrc {
                let srcPart = src.map { " and to be smaller size than src \(shapeString($0.shape))" } ?? ""
                fail("Expected index \(shapeString(index.shape)) to be smaller than self \(shapeString(shape)) apart from dimension \(d)\(srcPart)")
            }
        }
        if let s = src, s.dtype != dtype {
            fail("scatter(): Expected self.dtype to be equal to src.dtype")
        }
    }

    /// A copy with `src`'s entries written at `index` along `dim` (PyTorch's `scatter`):
    /// out[i][index[i][j]] = src[i][j] for dim 1.
    public func scatter(dim: Int, index: Tensor, src: Tensor) -> Tensor { scatterCopy(normalizeDim(dim, rank), index, src, add: false) }

    /// A copy with `value` written at `index` along `dim` (PyTorch's `scatter(dim, index, value)`).
    public func scatter(dim: Int, index: Tensor, value: Double) -> Tensor {
        let d = normalizeDim(dim, rank)
        checkScatterShapes(index, nil, dim: d)
        let idx = checkedIndex(index, dim: d, op: "scatter")
        let out = noGrad { clone() }
        Tensor.scatterKernel(out, dim: d, index: idx, src: Tensor.scalar(value, dtype: dtype), mode: 0)
        if wantsGrad(self) {
            out.recorded(.scatterValue(dim: d), inputs: [self], saved: [idx])
        }
        return out
    }

    /// A copy with `src`'s entries added at `index` along `dim` (PyTorch's `scatter_add`).
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) -> Tensor { scatterCopy(normalizeDim(dim, rank), index, src, add: true) }

    /// `scatter` / `scatterAdd` out of place, with PyTorch's gradients (the overwritten entries get none).
    private func scatterCopy(_ d: Int, _ index: Tensor, _ src: Tensor, add: Bool) -> Tensor {
        checkScatterShapes(index, src, dim: d)
        let idx = checkedIndex(index, dim: d, op: add ? "scatter_add" : "scatter")
        let out = noGrad { clone() }
        Tensor.scatterKernel(out, dim: d, index: idx, src: src, mode: add ? 1 : 0)
        if wantsGrad(self, src) {
            out.recorded(.scatterSource(add: add, dim: d), inputs: [self, src], saved: [idx])
        }
        return out
    }

    /// In-place `scatter` (PyTorch's `scatter_`).
    @discardableResult public func scatter_(dim: Int, index: Tensor, src: Tensor) -> Tensor { scatterInPlace(normalizeDim(dim, rank), index, src, add: false) }
    /// In-place `scatter` of one value (PyTorch's `scatter_(dim, index, value)`).
    @discardableResult public func scatter_(dim: Int, index: Tensor, value: Double) -> Tensor {
        let d = normalizeDim(dim, rank)
        checkScatterShapes(index, nil, dim: d)
        return applyInPlace(raw: {
            Tensor.scatterKernel(self, dim: d, index: checkedIndex(index, dim: d, op: "scatter"), src: Tensor.scalar(value, dtype: dtype), mode: 0)
        }, compute: { old in old.scatter(dim: d, index: index, value: value) })
    }
    /// In-place `scatterAdd` (PyTorch's `scatter_add_`).
    @discardableResult public func scatterAdd_(dim: Int, index: Tensor, src: Tensor) -> Tensor { scatterInPlace(normalizeDim(dim, rank), index, src, add: true) }

    /// Adds `alpha * source`'s slices into the slices `index` of `dim`, in place (PyTorch's `index_add_`).
    @discardableResult public func indexAdd_(dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) -> Tensor {
        let (d, idx, src) = indexAddOperands(dim, index, source, alpha)
        return scatterAdd_(dim: d, index: idx, src: src)
    }
    /// A copy with `alpha * source`'s slices added into the slices `index` of `dim` (PyTorch's `index_add`).
    public func indexAdd(dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) -> Tensor {
        let (d, idx, src) = indexAddOperands(dim, index, source, alpha)
        return scatterAdd(dim: d, index: idx, src: src)
    }
    /// index_add as a scatter_add: the 1-D index spread over the source's shape.
    private func indexAddOperands(_ dim: Int, _ index: Tensor, _ source: Tensor, _ alpha: Double) -> (Int, Tensor, Tensor) {
        let d = normalizeDim(dim, rank)
        if index.rank > 1 || index.dtype.isFloatingPoint { fail("index_add_(): Index is supposed to be a vector") }
        let k = index.rank == 0 ? 1 : index.shape[0]
        var expected = shape
        if rank > 0 { expected[d] = k }
        if source.shape != expected && !(rank == 0 && source.count == 1) {
            fail("index_add_(): Source/destination tensor must have same slice shapes. Destination slice shape: \(shapeString(shape)) at dimension \(d) and source slice shape: \(shapeString(source.shape)) at dimension \(d).")
        }
        var view = [Int](repeating: 1, count: Swift.max(rank, 1)); view[d] = k
        let idx = index.to(dtype: .int64).reshape(view).expand(source.rank == 0 ? [1] : source.shape).contiguous()
        let src = alpha == 1 ? source : source * alpha
        return (d, idx, rank == 0 ? src.reshape(1) : src)
    }

    /// `scatter_` / `scatterAdd_`: written in place, or recorded through `scatterCopy` on a graph tensor.
    private func scatterInPlace(_ d: Int, _ index: Tensor, _ src: Tensor, add: Bool) -> Tensor {
        checkScatterShapes(index, src, dim: d)
        return applyInPlace([src], raw: {
            Tensor.scatterKernel(self, dim: d, index: checkedIndex(index, dim: d, op: add ? "scatter_add" : "scatter"), src: src, mode: add ? 1 : 0)
        }, compute: { old in old.scatterCopy(d, index, src, add: add) })
    }
}

/// `torch.sort` as a free function.
public func sort(_ x: Tensor, dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) { x.sort(dim: dim, descending: descending) }
/// `torch.argsort` as a free function.
public func argsort(_ x: Tensor, dim: Int = -1, descending: Bool = false) -> Tensor { x.argsort(dim: dim, descending: descending) }
/// `torch.topk` as a free function.
public func topk(_ x: Tensor, _ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
    x.topk(k, dim: dim, largest: largest, sorted: sorted)
}
/// `torch.gather` as a free function.
public func gather(_ x: Tensor, dim: Int, index: Tensor) -> Tensor { x.gather(dim: dim, index: index) }
