// Rearranging and masking entries: flip, tril/triu, repeat (PyTorch's names).

extension Tensor {
    /// Reverses the order of entries along each of `dims` (PyTorch's `flip`); a copy.
    public func flip(_ dims: Int...) -> Tensor { flip(dims: dims) }
    /// Reverses the order of entries along each of `dims` (PyTorch's `flip(dims)`); a copy.
    public func flip(dims: [Int]) -> Tensor {
        let ds = dims.map { normalizeDim($0, rank) }
        if Set(ds).count != ds.count { fail("dims has duplicates, original flip dims size=\(ds.count), but unique flip dims size=\(Set(ds).count)") }
        var out = noGrad { () -> Tensor in
            var r = self
            for d in ds where rank > 0 { r = r.indexSelect(dim: d, Tensor.arange(shape[d] - 1, -1, -1).to(device)) }
            return r.isContiguous && r.storage !== storage ? r : r.contiguous().clone()
        }
        if rank == 0 { out = noGrad { clone() } }
        if wantsGrad(self) {
            out.recorded(.flip(ds), inputs: [self])
        }
        return out
    }

    /// The lower triangle of the last two dims, entries above diagonal `diagonal` zeroed (PyTorch's `tril`).
    public func tril(_ diagonal: Int = 0) -> Tensor { triangle(diagonal, lower: true) }
    /// `tril` with PyTorch's keyword, `x.tril(diagonal=-1)`.
    public func tril(diagonal: Int) -> Tensor { triangle(diagonal, lower: true) }
    /// `triu` with PyTorch's keyword, `x.triu(diagonal=1)`.
    public func triu(diagonal: Int) -> Tensor { triangle(diagonal, lower: false) }
    /// The upper triangle of the last two dims, entries below diagonal `diagonal` zeroed (PyTorch's `triu`).
    public func triu(_ diagonal: Int = 0) -> Tensor { triangle(diagonal, lower: false) }
    private func triangle(_ k: Int, lower: Bool) -> Tensor {
        if rank < 2 { fail("\(lower ? "tril" : "triu"): input tensor must have at least 2 dimensions") }
        let r = shape[rank - 2], c = shape[rank - 1]
        let diff = (Tensor.arange(c).reshape(1, c) - Tensor.arange(r).reshape(r, 1)).to(device)   // col - row
        let keep = lower ? diff .<= k : diff .>= k
        let out = noGrad { `where`(keep, self, Tensor.zeros([], dtype: dtype)) }
        if wantsGrad(self) {
            out.recorded(.triangle(lower: lower, diagonal: k), inputs: [self])
        }
        return out
    }

    /// Tiles the tensor `sizes[i]` times along each dim (PyTorch's `repeat`); extra leading sizes add dims.
    public func `repeat`(_ sizes: Int...) -> Tensor { `repeat`(sizes) }
    /// Tiles the tensor `sizes[i]` times along each dim (PyTorch's `repeat(sizes)`).
    public func `repeat`(_ sizes: [Int]) -> Tensor {
        if sizes.count < rank {
            fail("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
        }
        let padded = [Int](repeating: 1, count: sizes.count - rank) + shape
        var inter: [Int] = [], expanded: [Int] = [], final: [Int] = []
        for (s, n) in zip(sizes, padded) { inter += [1, n]; expanded += [s, n]; final.append(s * n) }
        let out = noGrad { reshape(inter).expand(expanded).contiguous().reshape(final) }
        if wantsGrad(self) {
            let inShape = shape
            out.recorded(.repeatTiles(expanded: expanded, inShape: inShape), inputs: [self])
        }
        return out
    }

}

extension Tensor {
    /// Tiles the tensor `reps[i]` times along each dim; fewer reps than dims repeat the last dims
    /// (PyTorch's `tile`).
    public func tile(_ reps: Int...) -> Tensor { tile(reps) }
    /// Tiles the tensor `reps[i]` times along each dim (PyTorch's `tile(reps)`).
    public func tile(_ reps: [Int]) -> Tensor {
        `repeat`([Int](repeating: 1, count: Swift.max(0, rank - reps.count)) + reps)
    }
    /// Repeats each entry `repeats` times along `dim`, or of the flattened tensor when `dim` is nil
    /// (PyTorch's `repeat_interleave`).
    public func repeatInterleave(_ repeats: Int, dim: Int? = nil) -> Tensor {
        if repeats < 0 { fail("repeats can not be negative") }
        let x = dim == nil ? reshape(-1) : self
        let d = dim == nil ? 0 : normalizeDim(dim!, rank)
        return x.repeatInterleave(counts: [Int](repeating: repeats, count: x.shape[d]), dim: d)
    }
    /// Repeats entry `i` of `dim` `repeats[i]` times (PyTorch's `repeat_interleave(tensor, dim)`).
    public func repeatInterleave(_ repeats: Tensor, dim: Int? = nil) -> Tensor {
        if repeats.dtype.isFloatingPoint || repeats.rank > 1 { fail("repeat_interleave only accept 1D vector as repeat") }
        let x = dim == nil ? reshape(-1) : self
        let d = dim == nil ? 0 : normalizeDim(dim!, rank)
        let counts = repeats.rank == 0 ? [Int](repeating: Int(repeats.item()), count: x.shape[d]) : repeats.toArray(Int.self)
        if counts.count != x.shape[d] { fail("repeats must have the same size as input along dim, but got repeats.size(0) = \(counts.count) and input.size(\(d)) = \(x.shape[d])") }
        return x.repeatInterleave(counts: counts, dim: d)
    }
    private func repeatInterleave(counts: [Int], dim d: Int) -> Tensor {
        if counts.contains(where: { $0 < 0 }) { fail("repeats can not be negative") }
        var picks: [Int] = []
        for (i, c) in counts.enumerated() { picks += [Int](repeating: i, count: c) }
        return indexSelect(dim: d, Tensor(picks, dtype: .int64, device: device))
    }
}

/// `torch.tile` as a free function.
public func tile(_ x: Tensor, _ reps: [Int]) -> Tensor { x.tile(reps) }
/// `torch.repeat_interleave` as a free function.
public func repeatInterleave(_ x: Tensor, _ repeats: Int, dim: Int? = nil) -> Tensor { x.repeatInterleave(repeats, dim: dim) }

/// `torch.flip` as a free function.
public func flip(_ x: Tensor, dims: [Int]) -> Tensor { x.flip(dims: dims) }
/// `torch.tril` as a free function.
public func tril(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.tril(diagonal) }
/// `tril` with PyTorch's keyword, `torch.tril(x, diagonal=-1)`.
public func tril(_ x: Tensor, diagonal: Int) -> Tensor { x.tril(diagonal) }
/// `triu` with PyTorch's keyword, `torch.triu(x, diagonal=1)`.
public func triu(_ x: Tensor, diagonal: Int) -> Tensor { x.triu(diagonal) }
/// `torch.triu` as a free function.
public func triu(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.triu(diagonal) }
