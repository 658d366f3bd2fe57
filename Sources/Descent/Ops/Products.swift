// Products: prod over all entries or a dim, and running products (PyTorch's `prod`, `cumprod`).

extension Tensor {
    /// Product of all entries (PyTorch's `prod`); integers multiply as int64.
    public func prod() -> Tensor {
        let out = reduceDims(ReduceOp.prod, dims: nil, keepDim: false, outType: sumType)
        if wantsGrad(self) {
            out.recorded(.prod, inputs: [self], saved: [self, out])
        }
        return out
    }
    /// Product over `dim` (PyTorch's `prod(dim, keepdim)`).
    public func prod(dim: Int, keepDim: Bool = false) -> Tensor {
        let d = normalizeDim(dim, rank)
        let out = reduceDims(ReduceOp.prod, dims: [d], keepDim: keepDim, outType: sumType)
        if wantsGrad(self) {
            out.recorded(.prodDim(dim: d, keepDim: keepDim), inputs: [self], saved: [self, out])
        }
        return out
    }
    /// PyTorch's `prod_backward`: g * (result / input) without zeros; with zeros, products of the
    /// other entries from exclusive running products in both directions.
    static func prodBackward(_ g: Tensor, _ x: Tensor, _ result: Tensor, dim: Int) -> Tensor {
        if x.rank == 0 { return g }
        let zeros = noGrad { (x .== 0).any().item() != 0 }
        if !zeros { return g * (result / x) }
        let n = x.shape[dim]
        var onesShape = x.shape; onesShape[dim] = 1
        let one = Tensor.ones(onesShape, dtype: x.dtype, device: x.device)
        let left = concat([one, x.narrow(dim: dim, start: 0, length: n - 1)], dim: dim).cumprod(dim: dim)
        let rev = x.flip(dims: [dim])
        let right = concat([one, rev.narrow(dim: dim, start: 0, length: n - 1)], dim: dim).cumprod(dim: dim).flip(dims: [dim])
        return g * left * right
    }

    /// Running products along `dim` (PyTorch's `cumprod`), accumulated in double for float types.
    public func cumprod(dim: Int) -> Tensor {
        let d = normalizeDim(dim, Swift.max(rank, 1))
        let x = (dtype.isFloatingPoint || dtype == .int64 ? self : to(dtype: .int64)).contiguous()
        let out = Tensor(uninitializedShape: x.shape, dtype: x.dtype, device: device)
        let outer = rank == 0 ? 1 : shape[..<d].reduce(1, *), n = rank == 0 ? 1 : shape[d], inner = rank == 0 ? 1 : shape[(d + 1)...].reduce(1, *)
        Kernels.cumprod(x, outer, n, inner, out: out)
        if wantsGrad(self) && dtype.isFloatingPoint {
            let scalar = rank == 0
            out.recorded(.cumprod(dim: d, count: n, scalar: scalar), inputs: [self], saved: [self, out])
        }
        return out
    }

}

/// `torch.prod` as a free function.
public func prod(_ x: Tensor) -> Tensor { x.prod() }

extension Op {
    /// CumprodBackward0: without zeros, reverse running sums of g·y divided by x; with zeros, the
    /// products of the other entries one position at a time.
    static func cumprodBackward(_ g: Tensor, _ s: [Tensor], dim d: Int, count n: Int, scalar: Bool) -> [Tensor?] {
        let (x, y) = (s[0], s[1])
        if scalar { return [g] }
        if noGrad({ (x .== 0).any().item() == 0 }) {
            // sum_{j >= i} g_j y_j / x_i: reverse running sums of g*y, divided by x
            return [(g * y).flip(dims: [d]).cumsum(dim: d).flip(dims: [d]) / x]
        }
        // with zeros: sum_{j >= i} g_j prod_{k <= j, k != i} x_k, one position at a time
        var parts: [Tensor] = []
        for i in 0..<n {
            let before = i == 0 ? nil : x.narrow(dim: d, start: 0, length: i).prod(dim: d, keepDim: true)
            let after = x.narrow(dim: d, start: i, length: n - i)
            var ones = after.shape; ones[d] = 1
            let excl = concat([Tensor.ones(ones, dtype: x.dtype, device: x.device), after.narrow(dim: d, start: 1, length: n - i - 1)], dim: d).cumprod(dim: d)
            let terms = before.map { excl * $0 } ?? excl
            parts.append((terms * g.narrow(dim: d, start: i, length: n - i)).sum(dim: d, keepDim: true))
        }
        return [concat(parts, dim: d)]
    }
}
