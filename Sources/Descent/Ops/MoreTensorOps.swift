import Foundation

// More of PyTorch's tensor functions, written with existing ops (so autograd and every backend come
// with them): reductions along dims for bools, diagonals, interpolation and fused multiply-adds,
// rolling, grids, pairwise distances, pixel shuffles and the `new_*` constructors.

extension Tensor {
    /// Whether any element along `dim` is nonzero (PyTorch's `x.any(dim)`), bool.
    public func any(dim: Int, keepDim: Bool = false) -> Tensor {
        reduceDims(ReduceOp.any, dims: [normalizeDim(dim, rank)], keepDim: keepDim, outType: .bool)
    }
    /// Whether all elements along `dim` are nonzero (PyTorch's `x.all(dim)`), bool.
    public func all(dim: Int, keepDim: Bool = false) -> Tensor {
        reduceDims(ReduceOp.all, dims: [normalizeDim(dim, rank)], keepDim: keepDim, outType: .bool)
    }

    /// The diagonal `offset` above (negative: below) the main one of the matrices in dims `dim1`, `dim2`,
    /// as the last dim of the result (PyTorch's `x.diagonal(offset, dim1, dim2)`).
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor {
        if rank < 2 { fail("diagonal(): input must be at least 2-D, got \(rank)-D") }
        let d1 = normalizeDim(dim1, rank), d2 = normalizeDim(dim2, rank)
        if d1 == d2 { fail("diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let rows = shape[d1], cols = shape[d2]
        let length = Swift.max(0, offset >= 0 ? Swift.min(rows, cols - offset) : Swift.min(rows + offset, cols))
        let rest = (0..<rank).filter { $0 != d1 && $0 != d2 }
        let flat = permute(rest + [d1, d2]).reshape(rest.map { shape[$0] } + [rows * cols])
        if length == 0 { return flat.narrow(dim: -1, start: 0, length: 0) }
        let start = offset >= 0 ? offset : -offset * cols
        return flat.narrow(dim: -1, start: start, length: (length - 1) * (cols + 1) + 1)[.ellipsis, .stride(by: cols + 1)]
    }
    /// The matrices with the last dim on diagonal `offset` of dims `dim1` and `dim2` of the result, zeros
    /// elsewhere (PyTorch's `diag_embed`).
    public func diagEmbed(offset: Int = 0, dim1: Int = -2, dim2: Int = -1) -> Tensor {
        if rank < 1 { fail("diag_embed(): input must be at least 1-D") }
        let outRank = rank + 1
        let d1 = normalizeDim(dim1, outRank), d2 = normalizeDim(dim2, outRank)
        if d1 == d2 { fail("diagonal dimensions cannot be identical \(dim1), \(dim2)") }
        let n = shape[rank - 1], m = n + Swift.abs(offset)
        let rows = Tensor.arange(m).reshape(m, 1), cols = Tensor.arange(m).reshape(1, m)
        let onDiagonal = (cols - rows) .== offset
        // entry (i, j) of a matrix reads element min(i, j) of the vector, picked only on the diagonal
        let pick = rows.minimum(cols).clamp(max: Double(Swift.max(n - 1, 0)))
        let lead = Array(shape.dropLast())
        let spread = n == 0 ? Tensor.zeros(lead + [m, m], dtype: dtype, device: device)
            : indexSelect(dim: rank - 1, pick.reshape(-1).to(device)).reshape(lead + [m, m])
        let square = `where`(onDiagonal.to(device), spread, Tensor.zeros([], dtype: dtype, device: device))
        var perm = [Int](repeating: 0, count: outRank), next = 0
        for p in 0..<outRank {
            if p == d1 { perm[p] = outRank - 2 } else if p == d2 { perm[p] = outRank - 1 } else { perm[p] = next; next += 1 }
        }
        return perm == Array(0..<outRank) ? square : square.permute(perm)
    }
    /// The length-`r` combinations of a 1-D tensor's elements, in order, one per row (PyTorch's
    /// `torch.combinations`; `withReplacement` lets an element repeat).
    public func combinations(r: Int = 2, withReplacement: Bool = false) -> Tensor {
        if rank != 1 { fail("Expect a 1D vector, but got shape \(shapeString(shape))") }
        if r < 0 { fail("Expect a non-negative number, but got \(r)") }
        if r == 0 { return Tensor.empty([0], dtype: dtype, device: device) }
        let n = shape[0]
        var rowsOut: [Int64] = [], combo = [Int](repeating: 0, count: r)
        func fill(_ pos: Int, _ start: Int) {
            if pos == r { rowsOut += combo.map(Int64.init); return }
            if start >= n { return }
            for i in start..<n { combo[pos] = i; fill(pos + 1, withReplacement ? i : i + 1) }
        }
        fill(0, 0)
        let count = rowsOut.count / r
        if count == 0 { return Tensor.empty([0, r], dtype: dtype, device: device) }
        return indexSelect(dim: 0, Tensor(flat: rowsOut, shape: [rowsOut.count]).to(device)).reshape(count, r)
    }
    /// The sum of the main diagonal of a matrix (PyTorch's `x.trace()`).
    public func trace() -> Tensor {
        if rank != 2 { fail("trace: expected a matrix, but got tensor with dim \(rank)") }
        return diagonal().sum()
    }
    /// A vector's square matrix with it on diagonal `diagonal`, or a matrix's diagonal `diagonal` as a vector
    /// (PyTorch's `torch.diag`).
    public func diag(_ diagonal: Int = 0) -> Tensor {
        switch rank {
        case 1: return diagEmbed(offset: diagonal)
        case 2: return self.diagonal(offset: diagonal)
        default: fail("diag(): Supports 1D or 2D tensors. Got \(rank)D")
        }
    }

    /// self + weight · (end − self), as PyTorch's `lerp` (from the other end when |weight| ≥ 0.5).
    ///
    /// On float32 tensors PyTorch's CPU and CUDA kernels compute this as one fused multiply-add,
    /// fma(weight, end − self, self) or fma(weight − 1, end − self, end), rounded once; so does this,
    /// in float64, where the product of two floats is exact.
    public func lerp(_ end: Tensor, _ weight: Double) -> Tensor {
        let small = Swift.abs(weight) < 0.5
        if dtype == .float32 && end.dtype == .float32 {
            let w = Double(Float(weight))
            let diff = (end - self).to(dtype: .float64)
            return ((small ? self : end).to(dtype: .float64) + diff * (small ? w : w - 1)).to(dtype: .float32)
        }
        return small ? self + (end - self) * weight : end - (end - self) * (1 - weight)
    }
    /// self + weight · (end − self) with a tensor weight (PyTorch's `lerp`; one rounding on float32, as above).
    public func lerp(_ end: Tensor, _ weight: Tensor) -> Tensor {
        let small = weight.abs() .< 0.5
        if dtype == .float32 && end.dtype == .float32 && weight.dtype == .float32 {
            let coeff = Descent.where(small, weight, weight - 1).to(dtype: .float64)
            let base = Descent.where(small, self, end).to(dtype: .float64)
            return (base + coeff * (end - self).to(dtype: .float64)).to(dtype: .float32)
        }
        return Descent.where(small, self + weight * (end - self), end - (end - self) * (1 - weight))
    }
    /// In-place `lerp` (PyTorch's `lerp_`, e.g. an exponential moving average of weights).
    @discardableResult public func lerp_(_ end: Tensor, _ weight: Double) -> Tensor { copy_(lerp(end, weight)) }
    /// self + value · t1 · t2 (PyTorch's `addcmul`).
    public func addcmul(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { self + t1 * value * t2 }
    /// self + value · t1 / t2 (PyTorch's `addcdiv`).
    public func addcdiv(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { self + t1 * value / t2 }
    /// In-place `addcmul`.
    @discardableResult public func addcmul_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { copy_(addcmul(t1, t2, value: value)) }
    /// In-place `addcdiv`.
    @discardableResult public func addcdiv_(_ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { copy_(addcdiv(t1, t2, value: value)) }

    /// The elements shifted by `shifts` along `dims`, wrapping around; without dims, over the flattened
    /// tensor, keeping its shape (PyTorch's `torch.roll`).
    public func roll(_ shifts: [Int], dims: [Int] = []) -> Tensor {
        if dims.isEmpty {
            if shifts.count != 1 { fail("roll: shifts and dims must align. shifts: \(shifts.count), dims: 0") }
            return flatten().roll(shifts, dims: [0]).view(shape)
        }
        if shifts.count != dims.count { fail("shifts and dimensions must align. shifts: \(shifts.count), dims:\(dims.count)") }
        var out = self
        for (s, d) in zip(shifts, dims) {
            let dd = normalizeDim(d, rank), n = shape[dd]
            if n == 0 { continue }
            let k = ((s % n) + n) % n
            if k == 0 { continue }
            out = concat([out.narrow(dim: dd, start: n - k, length: k), out.narrow(dim: dd, start: 0, length: n - k)], dim: dd)
        }
        return out
    }
    /// `roll` by one shift along one dim.
    public func roll(_ shift: Int, dim: Int) -> Tensor { roll([shift], dims: [dim]) }

    /// A tensor of `shape` filled with `value`, with this tensor's dtype and device (PyTorch's `x.new_full`).
    public func newFull(_ shape: [Int], _ value: Double) -> Tensor { Tensor.full(shape, value, dtype: dtype, device: device) }
    /// Zeros with this tensor's dtype and device (PyTorch's `x.new_zeros`).
    public func newZeros(_ shape: Int...) -> Tensor { newFull(shape, 0) }
    /// Zeros with this tensor's dtype and device.
    public func newZeros(_ shape: [Int]) -> Tensor { newFull(shape, 0) }
    /// Ones with this tensor's dtype and device (PyTorch's `x.new_ones`).
    public func newOnes(_ shape: Int...) -> Tensor { newFull(shape, 1) }
    /// Ones with this tensor's dtype and device.
    public func newOnes(_ shape: [Int]) -> Tensor { newFull(shape, 1) }
    /// An uninitialised tensor with this tensor's dtype and device (PyTorch's `x.new_empty`).
    public func newEmpty(_ shape: [Int]) -> Tensor { Tensor.empty(shape, dtype: dtype, device: device) }
    /// Whether the dtype is a floating-point one (PyTorch's `x.is_floating_point()`).
    public func isFloatingPoint() -> Bool { dtype.isFloatingPoint }
}

/// `torch.diagonal(x, offset, dim1, dim2)`.
public func diagonal(_ x: Tensor, offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor { x.diagonal(offset: offset, dim1: dim1, dim2: dim2) }
/// `torch.diag(x, diagonal)`.
public func diag(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.diag(diagonal) }
/// `torch.trace(x)`.
public func trace(_ x: Tensor) -> Tensor { x.trace() }
/// `torch.lerp(start, end, weight)`.
public func lerp(_ start: Tensor, _ end: Tensor, _ weight: Double) -> Tensor { start.lerp(end, weight) }
/// `torch.addcmul(input, t1, t2, value=)`.
public func addcmul(_ input: Tensor, _ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { input.addcmul(t1, t2, value: value) }
/// `torch.addcdiv(input, t1, t2, value=)`.
public func addcdiv(_ input: Tensor, _ t1: Tensor, _ t2: Tensor, value: Double = 1) -> Tensor { input.addcdiv(t1, t2, value: value) }
/// `torch.roll(x, shifts, dims)`.
public func roll(_ x: Tensor, _ shifts: [Int], dims: [Int] = []) -> Tensor { x.roll(shifts, dims: dims) }
/// beta · input + alpha · (batch1 @ batch2) (PyTorch's `torch.baddbmm`).
public func baddbmm(_ input: Tensor, _ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
    let p = batch1.bmm(batch2)
    return (beta == 0 ? Tensor.zerosLike(p) : input * beta) + (alpha == 1 ? p : p * alpha)
}
/// beta · input + alpha · (mat @ vec) (PyTorch's `torch.addmv`).
public func addmv(_ input: Tensor, _ mat: Tensor, _ vec: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
    let p = mat.mv(vec)
    return (beta == 0 ? Tensor.zerosLike(p) : input * beta) + (alpha == 1 ? p : p * alpha)
}

/// Coordinate grids from 1-D tensors (PyTorch's `torch.meshgrid`): `indexing` "ij" (matrix, the default)
/// or "xy" (Cartesian: the first two dims swapped). The results are expanded views.
public func meshgrid(_ tensors: [Tensor], indexing: String = "ij") -> [Tensor] {
    if indexing != "ij" && indexing != "xy" { fail("torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: \(indexing)") }
    for t in tensors where t.rank > 1 { fail("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: \(t.rank)D") }
    var ts = tensors.map { $0.reshape(-1) }
    let swap = indexing == "xy" && ts.count >= 2
    if swap { ts.swapAt(0, 1) }
    let shape = ts.map { $0.count }
    var out = ts.enumerated().map { i, t -> Tensor in
        var view = Array(repeating: 1, count: ts.count)
        view[i] = shape[i]
        return t.view(view).expand(shape)
    }
    if swap { out.swapAt(0, 1) }
    return out
}
/// `torch.meshgrid(a, b, ...)`.
public func meshgrid(_ tensors: Tensor..., indexing: String = "ij") -> [Tensor] { meshgrid(tensors, indexing: indexing) }

/// The p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M): (…, P, R) (PyTorch's
/// `torch.cdist`, computed directly as ‖x1ᵢ − x2ⱼ‖ₚ, as PyTorch's non-matmul path).
public func cdist(_ x1: Tensor, _ x2: Tensor, p: Double = 2) -> Tensor {
    if x1.rank < 2 || x2.rank < 2 { fail("cdist only supports at least 2D tensors, X1 got: \(x1.rank)D") }
    if x1.shape[x1.rank - 1] != x2.shape[x2.rank - 1] {
        fail("X1 and X2 must have the same number of columns. X1: \(x1.shape[x1.rank - 1]) X2: \(x2.shape[x2.rank - 1])")
    }
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim: -1)
}

/// (N, C·r², H, W) → (N, C, H·r, W·r) (PyTorch's `F.pixel_shuffle`, sub-pixel upsampling).
public func pixelShuffle(_ x: Tensor, upscaleFactor r: Int) -> Tensor {
    if x.rank < 3 { fail("pixel_shuffle expects input to have at least 3 dimensions, but got input with \(x.rank) dimension(s)") }
    let lead = Array(x.shape.dropLast(3)), (c, h, w) = (x.shape[x.rank - 3], x.shape[x.rank - 2], x.shape[x.rank - 1])
    if c % (r * r) != 0 { fail("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=\(c) is not divisible by \(r * r)") }
    let oc = c / (r * r), n = lead.count
    let y = x.reshape(lead + [oc, r, r, h, w])
    return y.permute(Array(0..<n) + [n, n + 3, n + 1, n + 4, n + 2]).reshape(lead + [oc, h * r, w * r])
}
/// (N, C, H·r, W·r) → (N, C·r², H, W) (PyTorch's `F.pixel_unshuffle`).
public func pixelUnshuffle(_ x: Tensor, downscaleFactor r: Int) -> Tensor {
    if x.rank < 3 { fail("pixel_unshuffle expects input to have at least 3 dimensions, but got input with \(x.rank) dimension(s)") }
    let lead = Array(x.shape.dropLast(3)), (c, h, w) = (x.shape[x.rank - 3], x.shape[x.rank - 2], x.shape[x.rank - 1])
    if h % r != 0 || w % r != 0 { fail("pixel_unshuffle expects height and width to be divisible by downscale_factor, but got \(h) and \(w) for downscale_factor=\(r)") }
    let n = lead.count
    let y = x.reshape(lead + [c, h / r, r, w / r, r])
    return y.permute(Array(0..<n) + [n, n + 2, n + 4, n + 1, n + 3]).reshape(lead + [c * r * r, h / r, w / r])
}

/// PyTorch's `nn.PixelShuffle(upscale_factor)`.
public final class PixelShuffle: Module {
    public let upscaleFactor: Int
    public init(_ upscaleFactor: Int) { self.upscaleFactor = upscaleFactor; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { pixelShuffle(x, upscaleFactor: upscaleFactor) }
    public override func extraRepr() -> String { "upscale_factor=\(upscaleFactor)" }
}
/// PyTorch's `nn.PixelUnshuffle(downscale_factor)`.
public final class PixelUnshuffle: Module {
    public let downscaleFactor: Int
    public init(_ downscaleFactor: Int) { self.downscaleFactor = downscaleFactor; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { pixelUnshuffle(x, downscaleFactor: downscaleFactor) }
    public override func extraRepr() -> String { "downscale_factor=\(downscaleFactor)" }
}

extension Tensor {
    /// `steps` values from base^start to base^end, evenly spaced in the exponent (PyTorch's `torch.logspace`).
    public static func logspace(_ start: Double, _ end: Double, count: Int, base: Double = 10, dtype: DType = getDefaultDtype()) -> Tensor {
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        let values = (0..<count).map { i in
            Foundation.pow(base, i < count / 2 ? start + step * Double(i) : end - step * Double(count - i - 1))
        }
        return Tensor(flat: values, shape: [count]).to(dtype: dtype)
    }
}
