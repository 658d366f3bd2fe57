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

/// `torch.flip` as a free function.
public func flip(_ x: Tensor, dims: [Int]) -> Tensor { x.flip(dims: dims) }
/// `torch.tril` as a free function.
public func tril(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.tril(diagonal) }
/// `torch.triu` as a free function.
public func triu(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.triu(diagonal) }
