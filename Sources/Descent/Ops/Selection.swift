// Finding, counting and selecting entries: nonzero/argwhere, one-argument where, masked_select,
// count_nonzero, bincount and unique. Each is written with other ops (the positions of a mask come
// from the backend's nonzero kernel), so every backend runs them.

extension Tensor {
    /// The flat (row-major) positions of the nonzero entries, int64 (no autograd).
    func nonzeroFlatPositions() -> Tensor {
        noGrad { Kernels.nonzeroPositions((dtype == .bool ? self : self .!= 0).contiguous()) }
    }

    /// The indices of the nonzero entries, one row per entry in row-major order: int64 of shape
    /// `[count, rank]` (PyTorch's `nonzero()`).
    public func nonzero() -> Tensor {
        let pos = nonzeroFlatPositions()
        if rank == 0 { return Tensor.zeros([pos.shape[0], 0], dtype: .int64, device: device) }
        var inner = 1
        var columns = [Tensor](repeating: pos, count: rank)
        for d in Swift.stride(from: rank - 1, through: 0, by: -1) {
            columns[d] = noGrad { pos.floorDivide(inner) % shape[d] }
            inner *= shape[d]
        }
        return Descent.stack(columns, dim: 1)
    }
    /// One int64 index tensor per dimension, for the nonzero entries (PyTorch's `nonzero(as_tuple=True)`).
    public func nonzero(asTuple: Bool) -> [Tensor] {
        if !asTuple { return [nonzero()] }
        if rank == 0 { return [Tensor.zeros([nonzeroFlatPositions().shape[0]], dtype: .int64, device: device)] }
        return nonzero().unbind(dim: 1).map { $0.contiguous() }
    }
    /// The indices of the nonzero entries, `[count, rank]` (PyTorch's `argwhere`, the same as `nonzero()`).
    public func argwhere() -> Tensor { nonzero() }

    /// The entries where `mask` (broadcast with this tensor) is true, as a 1-D tensor (PyTorch's `masked_select`).
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        if mask.dtype != .bool { fail("masked_select: expected BoolTensor for mask") }
        checkSameDevice(self, mask)
        let b = broadcastShapes(shape, mask.shape)
        let positions = mask.expand(b).nonzeroFlatPositions()
        let flat = (shape == b ? self : expand(b)).reshape(-1)
        return flat.indexSelect(dim: 0, positions, gradFnName: "MaskedSelectBackward0")
    }

    /// The number of nonzero entries, int64 (PyTorch's `count_nonzero`).
    public func countNonzero() -> Tensor { noGrad { (self .!= 0).sum() } }
    /// The number of nonzero entries along `dim`.
    public func countNonzero(dim: Int) -> Tensor { noGrad { (self .!= 0).sum(dim: dim) } }
    /// The number of nonzero entries over `dims`.
    public func countNonzero(dims: [Int]) -> Tensor { noGrad { (self .!= 0).sum(dims: dims) } }

    /// How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative integers (PyTorch's
    /// `bincount`): int64 counts, or the sums of `weights` (float32 weights give float32, others float64).
    /// The result has `max(input) + 1` entries, at least `minlength`.
    public func bincount(weights: Tensor? = nil, minlength: Int = 0) -> Tensor {
        if rank != 1 || dtype.isFloatingPoint || dtype == .bool { fail("bincount only supports 1-d non-negative integral inputs.") }
        if minlength < 0 { fail("minlength should be >= 0") }
        if let w = weights, w.shape != shape { fail("weights should be 1-d and have the same length as input") }
        return noGrad {
            if count > 0 && min().item() < 0 { fail("bincount only supports 1-d non-negative integral inputs.") }
            let bins = Swift.max(count > 0 ? Int(max().item()) + 1 : 0, minlength)
            let index = to(dtype: .int64)
            guard let w = weights else {
                return Tensor.zeros([bins], dtype: .int64, device: device)
                    .scatterAdd(dim: 0, index: index, src: Tensor.ones([count], dtype: .int64, device: device))
            }
            let outType: DType = w.dtype == .float32 ? .float32 : .float64
            return Tensor.zeros([bins], dtype: outType, device: device).scatterAdd(dim: 0, index: index, src: w.to(dtype: outType))
        }
    }

    /// The sorted distinct values of the flattened tensor (PyTorch's `torch.unique`; `sorted` is
    /// accepted for PyTorch's signature, and the values always come back sorted, as PyTorch's CPU gives them).
    public func unique(sorted: Bool = true) -> Tensor { uniqueParts().values }
    /// The distinct values and how often each occurs (`torch.unique(x, return_counts=True)`).
    public func unique(sorted: Bool = true, returnCounts: Bool) -> (Tensor, Tensor) {
        let u = uniqueParts()
        return (u.values, u.counts)
    }
    /// The distinct values and, for each input entry, the index of its value among them
    /// (`torch.unique(x, return_inverse=True)`; the inverse has the input's shape).
    public func unique(sorted: Bool = true, returnInverse: Bool) -> (Tensor, Tensor) {
        let u = uniqueParts()
        return (u.values, u.inverse)
    }
    /// The distinct values, the inverse indices and the counts (`return_inverse=True, return_counts=True`).
    public func unique(sorted: Bool = true, returnInverse: Bool, returnCounts: Bool) -> (Tensor, Tensor, Tensor) {
        let u = uniqueParts()
        return (u.values, u.inverse, u.counts)
    }

    /// The distinct slices along `dim`, sorted lexicographically (`torch.unique(x, dim=d)`: unique rows for `dim: 0`).
    public func unique(sorted: Bool = true, dim: Int) -> Tensor { uniqueSlices(dim: dim).values }
    /// The distinct slices along `dim` with the inverse indices (one per input slice) and the counts
    /// (`torch.unique(x, dim=d, return_inverse=True, return_counts=True)`).
    public func unique(sorted: Bool = true, dim: Int, returnInverse: Bool, returnCounts: Bool) -> (Tensor, Tensor, Tensor) {
        let u = uniqueSlices(dim: dim)
        return (u.values, u.inverse, u.counts)
    }

    /// `unique` along `dim`: the slices sorted lexicographically by a stable sort per column, last
    /// column first, then runs of equal slices merged, as for flat values.
    func uniqueSlices(dim: Int) -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        if rank == 0 { fail("unique: Dimension out of range (expected to be in range of [-1, 0], but got \(dim))") }
        let d = normalizeDim(dim, rank)
        return noGrad {
            let n = shape[d]
            let rows = movedim(d, 0).contiguous().reshape([n, -1])
            let k = rows.shape[1]
            var order = Tensor.arange(n, device: device)
            if n > 0 && k > 0 {
                for c in (0..<k).reversed() {
                    let (_, o) = rows[.all, c].indexSelect(dim: 0, order).sort(stable: true)
                    order = order.indexSelect(dim: 0, o)
                }
            }
            let sortedRows = rows.indexSelect(dim: 0, order)
            // a run starts where a slice differs from the one before (no columns: all slices are equal)
            let starts = n == 0 ? Tensor.zeros([0], dtype: .bool, device: device)
                : Descent.concat([Tensor.ones([1], dtype: .bool, device: device), (sortedRows[1...] .!= sortedRows[..<(n - 1)]).any(dim: 1)])
            let picked = sortedRows[starts]
            var outShape = shape
            outShape.remove(at: d)
            outShape.insert(picked.shape[0], at: 0)
            let values = picked.reshape(outShape).movedim(0, d).contiguous()
            let group = starts.to(dtype: .int64).cumsum(dim: 0) - 1
            let inverse = Tensor.zeros([n], dtype: .int64, device: device).scatter(dim: 0, index: order, src: group)
            let counts = Tensor.zeros([picked.shape[0]], dtype: .int64, device: device)
                .scatterAdd(dim: 0, index: group, src: Tensor.ones([n], dtype: .int64, device: device))
            return (values, inverse, counts)
        }
    }

    func uniqueParts() -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        noGrad {
            let flat = reshape(-1)
            let n = flat.count
            if n == 0 {
                return (flat.contiguous(), Tensor.zeros(shape, dtype: .int64, device: device), Tensor.zeros([0], dtype: .int64, device: device))
            }
            let (sortedValues, order) = flat.sort(stable: true)
            // a run starts where a value differs from the one before it
            let starts = Descent.concat([Tensor.ones([1], dtype: .bool, device: device),
                                         sortedValues[1...] .!= sortedValues[..<(n - 1)]])
            let values = sortedValues[starts]
            let group = starts.to(dtype: .int64).cumsum(dim: 0) - 1
            let inverse = Tensor.zeros([n], dtype: .int64, device: device).scatter(dim: 0, index: order, src: group).reshape(shape)
            let counts = Tensor.zeros([values.count], dtype: .int64, device: device)
                .scatterAdd(dim: 0, index: group, src: Tensor.ones([n], dtype: .int64, device: device))
            return (values, inverse, counts)
        }
    }
}

/// The indices of `x`'s nonzero entries, `[count, rank]` (PyTorch's `torch.nonzero`).
public func nonzero(_ x: Tensor) -> Tensor { x.nonzero() }
/// The indices of `x`'s nonzero entries (PyTorch's `torch.argwhere`).
public func argwhere(_ x: Tensor) -> Tensor { x.nonzero() }
/// One int64 index tensor per dimension of `condition`, for its true entries (PyTorch's one-argument
/// `torch.where(condition)`, the same as `nonzero(as_tuple=True)`).
public func `where`(_ condition: Tensor) -> [Tensor] { condition.nonzero(asTuple: true) }
/// The entries of `x` where `mask` is true (PyTorch's `torch.masked_select`).
public func maskedSelect(_ x: Tensor, _ mask: Tensor) -> Tensor { x.maskedSelect(mask) }
/// The number of nonzero entries (PyTorch's `torch.count_nonzero`).
public func countNonzero(_ x: Tensor) -> Tensor { x.countNonzero() }
/// The number of nonzero entries along `dim`.
public func countNonzero(_ x: Tensor, dim: Int) -> Tensor { x.countNonzero(dim: dim) }
/// How often each non-negative integer occurs (PyTorch's `torch.bincount`).
public func bincount(_ x: Tensor, weights: Tensor? = nil, minlength: Int = 0) -> Tensor { x.bincount(weights: weights, minlength: minlength) }
/// The sorted distinct values (PyTorch's `torch.unique`).
public func unique(_ x: Tensor, sorted: Bool = true) -> Tensor { x.unique(sorted: sorted) }
/// The distinct slices along `dim` (`torch.unique(x, dim=d)`).
public func unique(_ x: Tensor, sorted: Bool = true, dim: Int) -> Tensor { x.unique(sorted: sorted, dim: dim) }
/// The distinct values and their counts.
public func unique(_ x: Tensor, sorted: Bool = true, returnCounts: Bool) -> (Tensor, Tensor) { x.unique(sorted: sorted, returnCounts: returnCounts) }
/// The distinct values and the inverse indices.
public func unique(_ x: Tensor, sorted: Bool = true, returnInverse: Bool) -> (Tensor, Tensor) { x.unique(sorted: sorted, returnInverse: returnInverse) }
/// The distinct values, the inverse indices and the counts.
public func unique(_ x: Tensor, sorted: Bool = true, returnInverse: Bool, returnCounts: Bool) -> (Tensor, Tensor, Tensor) {
    x.unique(sorted: sorted, returnInverse: returnInverse, returnCounts: returnCounts)
}
