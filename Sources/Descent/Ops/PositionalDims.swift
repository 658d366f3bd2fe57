// PyTorch's positional-dim spellings: `x.sum(0)`, `x.argmax(1)`, `x.max(1)`, `x.flatten(1)`,
// `x.gather(1, idx)`, ... Each is the labelled form (`sum(dim:)`, `argmax(dim:)`, ...) under the
// name PyTorch code writes, so a line copied from a PyTorch program compiles unchanged.

extension Tensor {
    /// `sum(dim:)` as PyTorch's `x.sum(0)`.
    public func sum(_ dim: Int, keepDim: Bool = false) -> Tensor { sum(dim: dim, keepDim: keepDim) }
    /// `sum(dims:)` as PyTorch's `x.sum((0, 1))`.
    public func sum(_ dims: [Int], keepDim: Bool = false) -> Tensor { sum(dims: dims, keepDim: keepDim) }
    /// `mean(dim:)` as PyTorch's `x.mean(0)`.
    public func mean(_ dim: Int, keepDim: Bool = false) -> Tensor { mean(dim: dim, keepDim: keepDim) }
    /// `mean(dims:)` as PyTorch's `x.mean((0, 1))`.
    public func mean(_ dims: [Int], keepDim: Bool = false) -> Tensor { mean(dims: dims, keepDim: keepDim) }
    /// `prod(dim:)` as PyTorch's `x.prod(0)`.
    public func prod(_ dim: Int, keepDim: Bool = false) -> Tensor { prod(dim: dim, keepDim: keepDim) }
    /// `std(dim:)` as PyTorch's `x.std(0)`.
    public func std(_ dim: Int, keepDim: Bool = false) -> Tensor { std(dim: dim, keepDim: keepDim) }
    /// `variance(dim:)` as PyTorch's `x.var(0)`.
    public func variance(_ dim: Int, keepDim: Bool = false) -> Tensor { variance(dim: dim, keepDim: keepDim) }
    /// `logsumexp(dim:)` as PyTorch's `x.logsumexp(1)`.
    public func logsumexp(_ dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dim: dim, keepDim: keepDim) }
    /// `amax(dim:)` as PyTorch's `x.amax(1)`.
    public func amax(_ dim: Int, keepDim: Bool = false) -> Tensor { amax(dim: dim, keepDim: keepDim) }
    /// `amin(dim:)` as PyTorch's `x.amin(1)`.
    public func amin(_ dim: Int, keepDim: Bool = false) -> Tensor { amin(dim: dim, keepDim: keepDim) }
    /// `any(dim:)` as PyTorch's `x.any(1)`.
    public func any(_ dim: Int, keepDim: Bool = false) -> Tensor { any(dim: dim, keepDim: keepDim) }
    /// `all(dim:)` as PyTorch's `x.all(1)`.
    public func all(_ dim: Int, keepDim: Bool = false) -> Tensor { all(dim: dim, keepDim: keepDim) }
    /// `argmax(dim:)` as PyTorch's `x.argmax(1)`.
    public func argmax(_ dim: Int, keepDim: Bool = false) -> Tensor { argmax(dim: dim, keepDim: keepDim) }
    /// `argmin(dim:)` as PyTorch's `x.argmin(1)`.
    public func argmin(_ dim: Int, keepDim: Bool = false) -> Tensor { argmin(dim: dim, keepDim: keepDim) }
    /// `max(dim:)` as PyTorch's `values, indices = x.max(1)`.
    public func max(_ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { max(dim: dim, keepDim: keepDim) }
    /// `min(dim:)` as PyTorch's `values, indices = x.min(1)`.
    public func min(_ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { min(dim: dim, keepDim: keepDim) }
    /// `median(dim:)` as PyTorch's `x.median(1)`.
    public func median(_ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { median(dim: dim, keepDim: keepDim) }
    /// `cumsum(dim:)` as PyTorch's `x.cumsum(0)`.
    public func cumsum(_ dim: Int) -> Tensor { cumsum(dim: dim) }
    /// `cumprod(dim:)` as PyTorch's `x.cumprod(0)`.
    public func cumprod(_ dim: Int) -> Tensor { cumprod(dim: dim) }
    /// `softmax(dim:)` as PyTorch's `x.softmax(1)`.
    public func softmax(_ dim: Int) -> Tensor { softmax(dim: dim) }
    /// `logSoftmax(dim:)` as PyTorch's `x.log_softmax(1)`.
    public func logSoftmax(_ dim: Int) -> Tensor { logSoftmax(dim: dim) }
    /// `squeeze(dim:)` as PyTorch's `x.squeeze(0)`.
    public func squeeze(_ dim: Int) -> Tensor { squeeze(dim: dim) }
    /// `flatten(startDim:endDim:)` as PyTorch's `x.flatten(1)`.
    public func flatten(_ startDim: Int, _ endDim: Int = -1) -> Tensor { flatten(startDim: startDim, endDim: endDim) }
    /// `gather(dim:index:)` as PyTorch's `x.gather(1, idx)`.
    public func gather(_ dim: Int, _ index: Tensor) -> Tensor { gather(dim: dim, index: index) }
    /// `scatter(dim:index:src:)` as PyTorch's `x.scatter(1, idx, src)`.
    public func scatter(_ dim: Int, _ index: Tensor, _ src: Tensor) -> Tensor { scatter(dim: dim, index: index, src: src) }
    /// `scatter(dim:index:value:)` as PyTorch's `x.scatter(1, idx, 1.0)`.
    public func scatter(_ dim: Int, _ index: Tensor, _ value: Double) -> Tensor { scatter(dim: dim, index: index, value: value) }
    /// `scatterAdd(dim:index:src:)` as PyTorch's `x.scatter_add(0, idx, src)`.
    public func scatterAdd(_ dim: Int, _ index: Tensor, _ src: Tensor) -> Tensor { scatterAdd(dim: dim, index: index, src: src) }
    /// `indexSelect(dim:_:)` as PyTorch's `x.index_select(0, idx)`.
    public func indexSelect(_ dim: Int, _ index: Tensor) -> Tensor { indexSelect(dim: dim, index) }
    /// `narrow(dim:start:length:)` as PyTorch's `x.narrow(0, 1, 2)`.
    public func narrow(_ dim: Int, _ start: Int, _ length: Int) -> Tensor { narrow(dim: dim, start: start, length: length) }
    /// `chunk(_:dim:)` as PyTorch's `x.chunk(2, 1)`.
    public func chunk(_ chunks: Int, _ dim: Int) -> [Tensor] { chunk(chunks, dim: dim) }
    /// `split(_:dim:)` as PyTorch's `x.split(2, 1)`.
    public func split(_ size: Int, _ dim: Int) -> [Tensor] { split(size, dim: dim) }
    /// `topk(_:dim:)` as PyTorch's `x.topk(3, 1)`.
    public func topk(_ k: Int, _ dim: Int, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        topk(k, dim: dim, largest: largest, sorted: sorted)
    }
    /// `sort(dim:)` as PyTorch's `x.sort(0)`.
    public func sort(_ dim: Int, descending: Bool = false) -> (values: Tensor, indices: Tensor) { sort(dim: dim, descending: descending) }
    /// `countNonzero(dim:)` as PyTorch's `x.count_nonzero(0)`.
    public func countNonzero(_ dim: Int) -> Tensor { countNonzero(dim: dim) }
    /// `unbind(dim:)` as PyTorch's `x.unbind(1)`.
    public func unbind(_ dim: Int) -> [Tensor] { unbind(dim: dim) }
    /// The number of elements (PyTorch's `nelement()`, the same as `numel()`).
    public func nelement() -> Int { count }
}

/// `torch.sum(x, 0)`.
public func sum(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> Tensor { x.sum(dim: dim, keepDim: keepDim) }
/// `torch.mean(x, 0)`.
public func mean(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> Tensor { x.mean(dim: dim, keepDim: keepDim) }
/// `torch.argmax(x, 1)`.
public func argmax(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> Tensor { x.argmax(dim: dim, keepDim: keepDim) }
/// `torch.argmin(x, 1)`.
public func argmin(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> Tensor { x.argmin(dim: dim, keepDim: keepDim) }
/// `values, indices = torch.max(x, 1)`.
public func max(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.max(dim: dim, keepDim: keepDim) }
/// `values, indices = torch.min(x, 1)`.
public func min(_ x: Tensor, _ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.min(dim: dim, keepDim: keepDim) }
/// `torch.softmax(x, 1)` / `F.softmax(x, 1)`.
public func softmax(_ x: Tensor, _ dim: Int) -> Tensor { x.softmax(dim: dim) }
/// `torch.log_softmax(x, 1)` / `F.log_softmax(x, 1)`.
public func logSoftmax(_ x: Tensor, _ dim: Int) -> Tensor { x.logSoftmax(dim: dim) }
/// `torch.cat(xs, 1)`.
public func cat(_ tensors: [Tensor], _ dim: Int) -> Tensor { concat(tensors, dim: dim) }
/// `torch.stack(xs, 1)`.
public func stack(_ tensors: [Tensor], _ dim: Int) -> Tensor { stack(tensors, dim: dim) }
/// `torch.cumsum(x, 0)`.
public func cumsum(_ x: Tensor, _ dim: Int) -> Tensor { x.cumsum(dim: dim) }
/// `torch.gather(x, 1, idx)`.
public func gather(_ x: Tensor, _ dim: Int, _ index: Tensor) -> Tensor { x.gather(dim: dim, index: index) }
/// `torch.equal(a, b)`: same shape and the same values.
public func equal(_ a: Tensor, _ b: Tensor) -> Bool { a.equal(b) }

/// `unbind(_:dim:)` as PyTorch's `torch.unbind(x, 1)`.
public func unbind(_ x: Tensor, _ dim: Int) -> [Tensor] { x.unbind(dim: dim) }
/// `multinomial(_:_:)` with PyTorch's keyword, `torch.multinomial(p, num_samples=1, ...)`.
public func multinomial(_ input: Tensor, numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
    input.multinomial(numSamples, replacement: replacement, generator: generator)
}
extension Tensor {
    /// `multinomial(_:)` with PyTorch's keyword, `p.multinomial(num_samples=1)`.
    public func multinomial(numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        multinomial(numSamples, replacement: replacement, generator: generator)
    }
}

// MARK: - More of PyTorch's spellings: positional dims, free functions

extension Tensor {
    /// `kthvalue(_:dim:)` as PyTorch's `x.kthvalue(2, 0)`.
    public func kthvalue(_ k: Int, _ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { kthvalue(k, dim: dim, keepDim: keepDim) }
    /// `cummax(dim:)` as PyTorch's `x.cummax(0)`.
    public func cummax(_ dim: Int) -> (values: Tensor, indices: Tensor) { cummax(dim: dim) }
    /// `cummin(dim:)` as PyTorch's `x.cummin(0)`.
    public func cummin(_ dim: Int) -> (values: Tensor, indices: Tensor) { cummin(dim: dim) }
    /// `logcumsumexp(dim:)` as PyTorch's `x.logcumsumexp(0)`.
    public func logcumsumexp(_ dim: Int) -> Tensor { logcumsumexp(dim: dim) }
    /// `rot90(_:dims:)` as PyTorch's `x.rot90(1, [1, 0])`.
    public func rot90(_ k: Int, _ dims: [Int]) -> Tensor { rot90(k, dims: dims) }
    /// The flattened elements shifted by `shift`, wrapping around, in this shape (PyTorch's `x.roll(1)`).
    public func roll(_ shift: Int) -> Tensor { roll([shift]) }
    /// `roll` along one dim, as PyTorch's `x.roll(1, 0)`.
    public func roll(_ shift: Int, _ dim: Int) -> Tensor { roll([shift], dims: [dim]) }
    /// `roll` along one dim, as PyTorch's `x.roll(-1, dims=0)`.
    public func roll(_ shift: Int, dims: Int) -> Tensor { roll([shift], dims: [dims]) }
    /// The mean in `dtype` (PyTorch's `x.mean(dtype=torch.float32)`, which also takes integer tensors).
    public func mean(dtype: DType) -> Tensor { to(dtype: dtype).mean() }
    /// The mean along `dim` in `dtype` (PyTorch's `x.mean(dim, dtype=)`).
    public func mean(dim: Int, keepDim: Bool = false, dtype: DType) -> Tensor { to(dtype: dtype).mean(dim: dim, keepDim: keepDim) }
    /// The sum in `dtype` (PyTorch's `x.sum(dtype=)`).
    public func sum(dtype: DType) -> Tensor { to(dtype: dtype).sum() }
    /// Sorted along the first dim (PyTorch's `msort`).
    public func msort() -> Tensor { sort(dim: 0).values }
}

/// `torch.div(a, b, rounding_mode=)`: nil is true division, "trunc" or "floor" round.
public func div(_ a: Tensor, _ b: Tensor, roundingMode: String?) -> Tensor { a.div(b, roundingMode: roundingMode) }
/// `torch.floor_divide(a, b)`.
public func floorDivide(_ a: Tensor, _ b: Tensor) -> Tensor { a.floorDivide(b) }
/// `torch.fmod(a, b)`: the remainder with the dividend's sign.
public func fmod(_ a: Tensor, _ b: Tensor) -> Tensor { a.fmod(b) }
/// `torch.remainder(a, b)`: the remainder with the divisor's sign (Python's `%`).
public func remainder(_ a: Tensor, _ b: Tensor) -> Tensor { a.remainder(b) }
/// `torch.nan_to_num(x, nan=, posinf=, neginf=)`.
public func nanToNum(_ x: Tensor, nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
    x.nanToNum(nan: nan, posinf: posinf, neginf: neginf)
}
/// `torch.nonzero(x, as_tuple=True)`: one index tensor per dim.
public func nonzero(_ x: Tensor, asTuple: Bool) -> [Tensor] { x.nonzero(asTuple: asTuple) }
/// `torch.msort(x)`: sorted along the first dim.
public func msort(_ x: Tensor) -> Tensor { x.msort() }
/// `torch.sort(x, dim, descending, stable)`.
public func sort(_ x: Tensor, dim: Int = -1, descending: Bool = false, stable: Bool) -> (values: Tensor, indices: Tensor) {
    x.sort(dim: dim, descending: descending, stable: stable)
}
/// `torch.argsort(x, dim, descending, stable)`.
public func argsort(_ x: Tensor, dim: Int = -1, descending: Bool = false, stable: Bool) -> Tensor {
    x.argsort(dim: dim, descending: descending, stable: stable)
}
/// `torch.kthvalue(x, k, dim)` positionally.
public func kthvalue(_ x: Tensor, _ k: Int, _ dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { x.kthvalue(k, dim: dim, keepDim: keepDim) }
/// `torch.cummax(x, 0)`.
public func cummax(_ x: Tensor, _ dim: Int) -> (values: Tensor, indices: Tensor) { x.cummax(dim: dim) }
/// `torch.cummin(x, 0)`.
public func cummin(_ x: Tensor, _ dim: Int) -> (values: Tensor, indices: Tensor) { x.cummin(dim: dim) }
/// `torch.logcumsumexp(x, 0)`.
public func logcumsumexp(_ x: Tensor, _ dim: Int) -> Tensor { x.logcumsumexp(dim: dim) }
/// `torch.cumprod(x, 0)`.
public func cumprod(_ x: Tensor, _ dim: Int) -> Tensor { x.cumprod(dim: dim) }
/// `torch.rot90(x, k, [d0, d1])` positionally.
public func rot90(_ x: Tensor, _ k: Int, _ dims: [Int]) -> Tensor { x.rot90(k, dims: dims) }
/// `torch.roll(x, shifts=, dims=)` with one shift and one dim.
public func roll(_ x: Tensor, shifts: Int, dims: Int) -> Tensor { x.roll([shifts], dims: [dims]) }
/// `torch.roll(x, shifts=, dims=)` with lists.
public func roll(_ x: Tensor, shifts: [Int], dims: [Int] = []) -> Tensor { x.roll(shifts, dims: dims) }
/// `torch.roll(x, shift)`: over the flattened tensor.
public func roll(_ x: Tensor, _ shift: Int) -> Tensor { x.roll([shift]) }
/// `torch.unique_consecutive(x)`.
public func uniqueConsecutive(_ x: Tensor) -> Tensor { x.uniqueConsecutive() }
/// `torch.unique_consecutive(x, return_inverse=True)`.
public func uniqueConsecutive(_ x: Tensor, returnInverse: Bool) -> (Tensor, Tensor) { x.uniqueConsecutive(returnInverse: returnInverse) }
/// `torch.unique_consecutive(x, return_counts=True)`.
public func uniqueConsecutive(_ x: Tensor, returnCounts: Bool) -> (Tensor, Tensor) { x.uniqueConsecutive(returnCounts: returnCounts) }
/// `torch.unique_consecutive(x, return_inverse=True, return_counts=True)`.
public func uniqueConsecutive(_ x: Tensor, returnInverse: Bool, returnCounts: Bool) -> (Tensor, Tensor, Tensor) {
    x.uniqueConsecutive(returnInverse: returnInverse, returnCounts: returnCounts)
}
/// `torch.diag_embed(x, offset, dim1, dim2)`.
public func diagEmbed(_ x: Tensor, offset: Int = 0, dim1: Int = -2, dim2: Int = -1) -> Tensor { x.diagEmbed(offset: offset, dim1: dim1, dim2: dim2) }
/// `torch.combinations(x, r, with_replacement)`.
public func combinations(_ x: Tensor, r: Int = 2, withReplacement: Bool = false) -> Tensor { x.combinations(r: r, withReplacement: withReplacement) }
/// `torch.tril_indices(row, col, offset)` positionally.
public func trilIndices(_ row: Int, _ col: Int, _ offset: Int) -> Tensor { trilIndices(row, col, offset: offset) }
/// `torch.triu_indices(row, col, offset)` positionally.
public func triuIndices(_ row: Int, _ col: Int, _ offset: Int) -> Tensor { triuIndices(row, col, offset: offset) }
