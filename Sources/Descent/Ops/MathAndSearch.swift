import Foundation

// Still more of PyTorch's tensor functions: two-argument math (atan2, hypot, logaddexp), NaN-skipping
// reductions, running extremes, order statistics (kthvalue, mode, quantile), binning (searchsorted,
// bucketize, histc), scatter_reduce, and the shape builders (kron, tensordot, cross, block_diag, ...).
// Selections (which index wins) are computed on the host, then the values are gathered with their
// gradient; everything else is written with existing ops, so autograd and every backend come with it.

extension Tensor {
    /// A float copy of an integer or bool tensor (PyTorch's promotion for float-only math).
    fileprivate var floatingPromoted: Tensor { dtype.isFloatingPoint ? self : to(dtype: getDefaultDtype()) }

    /// The angle of (other, self) in radians, quadrant-aware (PyTorch's `torch.atan2(self, other)`).
    public func atan2(_ other: Tensor) -> Tensor { Tensor.arith(floatingPromoted, other.floatingPromoted, .atan2) }
    /// √(self² + other²) without overflow (PyTorch's `torch.hypot`).
    public func hypot(_ other: Tensor) -> Tensor { Tensor.arith(floatingPromoted, other.floatingPromoted, .hypot) }
    /// log(exp(self) + exp(other)) without overflow (PyTorch's `torch.logaddexp`).
    public func logaddexp(_ other: Tensor) -> Tensor {
        let m = maximum(other)
        let sum = m + (self - other).abs().neg().exp().log1p()
        // both infinite with the same sign: that infinity (the formula would give NaN)
        return Descent.where(isinf() .&& (self .== other), self.expand(sum.shape), sum)
    }
    /// log2(2^self + 2^other) (PyTorch's `torch.logaddexp2`).
    public func logaddexp2(_ other: Tensor) -> Tensor {
        let m = maximum(other)
        let sum = m + (self - other).abs().neg().exp2().log1p() * (1 / M_LN2)
        return Descent.where(isinf() .&& (self .== other), self.expand(sum.shape), sum)
    }
    /// 2^self.
    public func exp2() -> Tensor { (self * M_LN2).exp() }
    /// log(p / (1 − p)), with p clamped to [eps, 1 − eps] when `eps` is given (PyTorch's `torch.logit`).
    public func logit(eps: Double? = nil) -> Tensor {
        let p = eps.map { clamp(min: $0, max: 1 - $0) } ?? self
        return (p / (1 - p)).log()
    }
    /// 1 − erf(x) (PyTorch's `torch.erfc`).
    public func erfc() -> Tensor { 1 - erf() }
    /// sin(πx) / (πx), 1 at 0 (PyTorch's `torch.sinc`).
    public func sinc() -> Tensor {
        let zero = self .== 0
        let safe = Descent.where(zero, Tensor.onesLike(self), self) * Double.pi
        return Descent.where(zero, Tensor.onesLike(self), safe.sin() / safe)
    }
    /// Degrees to radians (PyTorch's `torch.deg2rad`).
    public func deg2rad() -> Tensor { floatingPromoted * (Double.pi / 180) }
    /// Radians to degrees (PyTorch's `torch.rad2deg`).
    public func rad2deg() -> Tensor { floatingPromoted * (180 / Double.pi) }
    /// The fractional part, x − trunc(x), with x's sign (PyTorch's `torch.frac`).
    public func frac() -> Tensor { self - trunc() }
    /// max(self, min) (PyTorch's `clamp_min`).
    public func clampMin(_ min: Double) -> Tensor { unary(.clamp, min, .infinity, .clampMin(min), save: .input) }
    /// min(self, max) (PyTorch's `clamp_max`).
    public func clampMax(_ max: Double) -> Tensor { clamp(max: max) }
    /// The columns in reverse order (PyTorch's `fliplr`; at least 2-D).
    public func fliplr() -> Tensor {
        if rank < 2 { fail("Input must be >= 2-d.") }
        return flip(dims: [1])
    }
    /// The rows in reverse order (PyTorch's `flipud`; at least 1-D).
    public func flipud() -> Tensor {
        if rank < 1 { fail("Input must be >= 1-d.") }
        return flip(dims: [0])
    }
    /// Rotated by 90° `k` times in the plane of `dims`, from the first toward the second (PyTorch's `rot90`).
    public func rot90(_ k: Int = 1, dims: [Int] = [0, 1]) -> Tensor {
        if dims.count != 2 { fail("expected total rotation dims == 2, but got dims = \(dims.count)") }
        if rank < 2 { fail("expected total dims >= 2, but got total dims = \(rank)") }
        let d0 = normalizeDim(dims[0], rank), d1 = normalizeDim(dims[1], rank)
        if d0 == d1 { fail("expected rotation dims to be different, but got dim0 = \(d0) and dim1 = \(d1)") }
        switch ((k % 4) + 4) % 4 {
        case 1: return flip(dims: [d1]).transpose(d0, d1)
        case 2: return flip(dims: [d0, d1])
        case 3: return flip(dims: [d0]).transpose(d0, d1)
        default: return clone()
        }
    }

    /// The sum with NaNs counted as zero (PyTorch's `nansum`).
    public func nansum() -> Tensor { Descent.where(isnan(), Tensor.zerosLike(self), self).sum() }
    /// `nansum` along `dims`.
    public func nansum(dims: [Int], keepDim: Bool = false) -> Tensor {
        Descent.where(isnan(), Tensor.zerosLike(self), self).sum(dims: dims, keepDim: keepDim)
    }
    /// `nansum` along one dim.
    public func nansum(dim: Int, keepDim: Bool = false) -> Tensor { nansum(dims: [dim], keepDim: keepDim) }
    /// The mean of the non-NaN elements (PyTorch's `nanmean`).
    public func nanmean() -> Tensor { nansum() / isnan().logicalNot().sum().to(dtype: dtype) }
    /// `nanmean` along `dims`.
    public func nanmean(dims: [Int], keepDim: Bool = false) -> Tensor {
        nansum(dims: dims, keepDim: keepDim) / isnan().logicalNot().sum(dims: dims, keepDim: keepDim).to(dtype: dtype)
    }
    /// `nanmean` along one dim.
    public func nanmean(dim: Int, keepDim: Bool = false) -> Tensor { nanmean(dims: [dim], keepDim: keepDim) }

    /// The minimum and maximum together (PyTorch's `aminmax`).
    public func aminmax(dim: Int? = nil, keepDim: Bool = false) -> (min: Tensor, max: Tensor) {
        guard let d = dim else { return (amin(), amax()) }
        return (amin(dims: [d], keepDim: keepDim), amax(dims: [d], keepDim: keepDim))
    }
    /// The p-norm of self − other (PyTorch's `torch.dist`).
    public func dist(_ other: Tensor, p: Double = 2) -> Tensor { (self - other).norm(p) }

    /// The contiguous CPU values around `d`, as (outer, n, inner, values).
    fileprivate func hostRows(_ d: Int) -> (outer: Int, n: Int, inner: Int, values: [Double]) {
        let v = to(.cpu).contiguous().toArray(Double.self)
        if rank == 0 { return (1, 1, 1, v) }
        return (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *), v)
    }
    /// `indices` (host, one per (outer, inner) or per element) as an int64 tensor on this device.
    fileprivate func indexTensor(_ indices: [Int64], shape: [Int]) -> Tensor {
        Tensor(flat: indices, shape: shape).to(device)
    }
    /// Values picked along `d` by host-chosen indices (of `indexShape`, self's rank), with the gradient
    /// flowing back to the picked positions under `name`.
    fileprivate func picked(_ name: String, dim d: Int, indices: [Int64], indexShape: [Int], keepDim: Bool) -> (values: Tensor, indices: Tensor) {
        if rank == 0 { return (clone(), indexTensor([0], shape: [])) }
        var idx = indexTensor(indices, shape: indexShape)
        let full = indexShape == shape
        var values = noGrad { gather(dim: d, index: idx) }
        if !full && !keepDim { values = noGrad { values.squeeze(dim: d) }; idx = idx.squeeze(dim: d) }
        if wantsGrad(self) {
            if full { values.recorded(Tensor.scatterBackOp(name, inShape: shape, dim: d), inputs: [self], saved: [idx]) }
            else { values.recorded(.extremumDim(name, inShape: shape, dim: d, keepDim: keepDim), inputs: [self], saved: [idx]) }
        }
        return (values, idx)
    }

    /// The running maximum along `dim` and where it was last reached (PyTorch's `cummax`; NaN propagates).
    public func cummax(dim: Int) -> (values: Tensor, indices: Tensor) { runningExtreme(dim: dim, max: true) }
    /// The running minimum along `dim` and where it was last reached (PyTorch's `cummin`).
    public func cummin(dim: Int) -> (values: Tensor, indices: Tensor) { runningExtreme(dim: dim, max: false) }
    private func runningExtreme(dim: Int, max: Bool) -> (values: Tensor, indices: Tensor) {
        let d = rank == 0 ? 0 : normalizeDim(dim, rank)
        let (outer, n, inner, v) = hostRows(d)
        var idx = [Int64](repeating: 0, count: v.count)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                for k in 0..<n {
                    let x = v[(o * n + k) * inner + i], b = v[(o * n + best) * inner + i]
                    // PyTorch's cummax_cummin_helper: NaN wins and stays; ties move to the later index
                    if x.isNaN || (!b.isNaN && (max ? x >= b : x <= b)) { best = k }
                    idx[(o * n + k) * inner + i] = Int64(best)
                }
            }
        }
        return picked(max ? "CummaxBackward0" : "CumminBackward0", dim: d, indices: idx, indexShape: shape, keepDim: true)
    }
    /// log(cumsum(exp(x))) along `dim`, without overflow (PyTorch's `logcumsumexp`).
    public func logcumsumexp(dim: Int) -> Tensor {
        if rank == 0 { return clone() }
        let d = normalizeDim(dim, rank)
        let m = noGrad { amax(dims: [d], keepDim: true).nanToNum(nan: 0, posinf: 0, neginf: 0) }
        return (self - m).exp().cumsum(dim: d).log() + m
    }

    /// The `k`-th smallest value along `dim` (1-based) and its index (PyTorch's `kthvalue`).
    public func kthvalue(_ k: Int, dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = rank == 0 ? 0 : normalizeDim(dim, rank)
        let n = rank == 0 ? 1 : shape[d]
        if k < 1 || k > n { fail("kthvalue(): selected number k out of range for dimension \(d)") }
        let sorted = noGrad { sort(dim: d, stable: true).indices.narrow(dim: d, start: k - 1, length: 1) }
        return picked("KthvalueBackward0", dim: d, indices: sorted.to(.cpu).toArray(Int64.self), indexShape: sorted.shape, keepDim: keepDim)
    }
    /// The most frequent value along `dim` (the smallest among equally frequent ones) and the last index
    /// where it occurs (PyTorch's `mode`).
    public func mode(dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = rank == 0 ? 0 : normalizeDim(dim, rank)
        let (outer, n, inner, v) = hostRows(d)
        if n == 0 { fail("mode(): Expected reduction dim \(d) to have non-zero size.") }
        var idx = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let order = (0..<n).sorted { a, b in
                    let x = v[(o * n + a) * inner + i], y = v[(o * n + b) * inner + i]
                    return x < y || (x == y && a < b)
                }
                var bestCount = 0, run = 0
                for (j, k) in order.enumerated() {
                    run += 1
                    if j == n - 1 || v[(o * n + order[j + 1]) * inner + i] != v[(o * n + k) * inner + i] {
                        if run > bestCount { bestCount = run; idx[o * inner + i] = Int64(k) }
                        run = 0
                    }
                }
            }
        }
        var indexShape = shape
        if rank > 0 { indexShape[d] = 1 }
        return picked("ModeBackward0", dim: d, indices: idx, indexShape: indexShape, keepDim: keepDim)
    }

    /// The `q`-quantiles (each in [0, 1]) over all elements or along `dim` (PyTorch's `quantile`);
    /// `interpolation` is "linear", "lower", "higher", "nearest" or "midpoint". A row with NaN gives NaN.
    /// With several `q`s the quantiles are the result's first dim.
    public func quantile(_ q: [Double], dim: Int? = nil, keepDim: Bool = false, interpolation: String = "linear") -> Tensor {
        quantileImpl(q, scalarQ: false, dim: dim, keepDim: keepDim, interpolation: interpolation, ignoreNaN: false)
    }
    /// One quantile (PyTorch's `quantile(x, 0.25)`).
    public func quantile(_ q: Double, dim: Int? = nil, keepDim: Bool = false, interpolation: String = "linear") -> Tensor {
        quantileImpl([q], scalarQ: true, dim: dim, keepDim: keepDim, interpolation: interpolation, ignoreNaN: false)
    }
    /// `quantile` ignoring NaNs (PyTorch's `nanquantile`).
    public func nanquantile(_ q: Double, dim: Int? = nil, keepDim: Bool = false, interpolation: String = "linear") -> Tensor {
        quantileImpl([q], scalarQ: true, dim: dim, keepDim: keepDim, interpolation: interpolation, ignoreNaN: true)
    }
    private func quantileImpl(_ qs: [Double], scalarQ: Bool, dim: Int?, keepDim: Bool, interpolation: String, ignoreNaN: Bool) -> Tensor {
        if !dtype.isFloatingPoint { fail("quantile() input tensor must be either float or double dtype") }
        if !["linear", "lower", "higher", "nearest", "midpoint"].contains(interpolation) {
            fail("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. Got \(interpolation)")
        }
        for q in qs where !(q >= 0 && q <= 1) { fail("quantile() q values must be in the range [0, 1]") }
        if count == 0 { fail("quantile() input tensor must be non-empty") }
        // the reduced dim last: (rest..., n)
        let d = dim.map { rank == 0 ? 0 : normalizeDim($0, rank) }
        let rows: Tensor = d.map { rank == 0 ? reshape(1) : movedim($0, -1) } ?? reshape(-1)
        let sorted = rows.sort(dim: -1).values
        let n = rows.shape[rows.rank - 1]
        let lead = Array(rows.shape.dropLast())
        let valid: Tensor = ignoreNaN ? noGrad { rows.isnan().logicalNot().sum(dims: [rows.rank - 1], keepDim: true) } : Tensor.full(lead + [1], Double(n), dtype: .int64, device: device)
        let hasNaN = noGrad { rows.isnan().any(dim: -1, keepDim: true) }
        var outs: [Tensor] = []
        let last = noGrad { (valid.to(dtype: dtype) - 1).clamp(min: 0) }
        for q in qs {
            // PyTorch: ranks = q * (valid - 1) in the input's dtype, below = ranks as long, above = ceil
            let ranks = noGrad { last * q }
            var below = noGrad { ranks.to(dtype: .int64) }, above = noGrad { ranks.ceil().to(dtype: .int64) }
            var weight = noGrad { ranks - below.to(dtype: dtype) }
            switch interpolation {
            case "lower": above = below; weight = Tensor.zerosLike(weight)
            case "higher": below = above; weight = Tensor.zerosLike(weight)
            case "nearest": below = noGrad { ranks.round().to(dtype: .int64) }; above = below; weight = Tensor.zerosLike(weight)
            case "midpoint": weight = noGrad { Descent.where(above .== below, Tensor.zerosLike(weight), Tensor.fullLike(weight, 0.5)) }
            default: break
            }
            if !ignoreNaN {   // a NaN sorts last: the quantile of such a row is its last value, NaN
                below = Descent.where(hasNaN, Tensor.fullLike(below, Double(n - 1)), below)
                above = Descent.where(hasNaN, Tensor.fullLike(above, Double(n - 1)), above)
            }
            let lo = sorted.gather(dim: -1, index: below), hi = sorted.gather(dim: -1, index: above)
            var r = interpolation == "linear" || interpolation == "midpoint" ? lo.lerp(hi, weight) : lo
            if ignoreNaN { r = Descent.where(valid .== 0, Tensor.fullLike(r, .nan), r) }
            outs.append(r)   // (rest..., 1)
        }
        var shapeOut: [Int]
        if let dd = d {
            shapeOut = shape
            if rank > 0 { if keepDim { shapeOut[dd] = 1 } else { shapeOut.remove(at: dd) } }
        } else {
            shapeOut = keepDim ? [Int](repeating: 1, count: rank) : []
        }
        let each = outs.map { $0.reshape(shapeOut) }
        return scalarQ ? each[0] : stack(each, dim: 0)
    }

    /// Counts of the elements in `bins` equal-width bins over [min, max] (PyTorch's `histc`; with
    /// min == max the data's own range; elements outside are ignored).
    public func histc(bins: Int = 100, min: Double = 0, max: Double = 0) -> Tensor {
        if !dtype.isFloatingPoint { fail("torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input \(dtype) and bins float") }
        if bins <= 0 { fail("torch.histc: bins must be > 0, but got \(bins) for dimension 0") }
        let v = to(.cpu).contiguous().toArray(Double.self)
        var lo = min, hi = max
        if lo == hi && !v.isEmpty { lo = v.min()!; hi = v.max()! }
        if lo == hi { lo -= 1; hi += 1 }
        if lo > hi { fail("torch.histc: max must be larger than min") }
        var counts = [Double](repeating: 0, count: bins)
        // PyTorch's histogramdd kernel (linear interpolation), in the input's precision
        if dtype == .float32 {
            let l = Float(lo), h = Float(hi)
            for x in v.map({ Float($0) }) where x >= l && x <= h {
                var pos = Int((x - l) * Float(bins) / (h - l))
                if pos == bins { pos -= 1 }
                counts[pos] += 1
            }
        } else {
            for x in v where x >= lo && x <= hi {
                var pos = Int((x - lo) * Double(bins) / (hi - lo))
                if pos == bins { pos -= 1 }
                counts[pos] += 1
            }
        }
        return Tensor(flat: counts, shape: [bins]).to(dtype: dtype).to(device)
    }

    /// self with `value` written at `index` along `dim` (PyTorch's `index_fill`).
    public func indexFill(dim: Int, index: Tensor, value: Double) -> Tensor {
        let d = rank == 0 ? 0 : normalizeDim(dim, rank)
        if index.rank > 1 { fail("Index is supposed to be a vector") }
        var maskShape = [Int](repeating: 1, count: rank)
        if rank > 0 { maskShape[d] = shape[d] }
        let n = rank == 0 ? 1 : shape[d]
        var hit = [Bool](repeating: false, count: n)
        for i in index.to(.cpu).toArray(Int64.self) {
            let j = i < 0 ? Int(i) + n : Int(i)
            if j < 0 || j >= n { fail("index \(i) is out of bounds for dimension \(d) with size \(n)") }
            hit[j] = true
        }
        let mask = Tensor(flat: hit.map { $0 ? 1.0 : 0.0 }, shape: maskShape).to(device) .!= 0
        return maskedFill(mask, value)
    }
    /// In-place `indexFill` (PyTorch's `index_fill_`).
    @discardableResult public func indexFill_(dim: Int, index: Tensor, value: Double) -> Tensor { copy_(indexFill(dim: dim, index: index, value: value)) }
    /// Values picked along `dim` by `indices`, broadcasting the other dims (PyTorch's `take_along_dim`);
    /// without a dim, from the flattened tensor.
    public func takeAlongDim(_ indices: Tensor, dim: Int? = nil) -> Tensor {
        guard let dd = dim else { return reshape(-1).gather(dim: 0, index: indices.reshape(-1)) }
        let d = normalizeDim(dd, rank)
        if indices.rank != rank { fail("torch.take_along_dim(): input and indices should have the same number of dimensions, but got \(rank) dimensions for input, and \(indices.rank) dimensions for indices") }
        var selfShape = shape, idxShape = indices.shape
        selfShape[d] = 1; idxShape[d] = 1
        let b = broadcastShapes(selfShape, idxShape)
        var s = b, i = b
        s[d] = shape[d]; i[d] = indices.shape[d]
        return expand(s).gather(dim: d, index: indices.expand(i))
    }

    /// The cross product of 3-vectors along `dim` (PyTorch's `torch.cross`; without a dim, the first
    /// dim of size 3).
    public func cross(_ other: Tensor, dim: Int? = nil) -> Tensor {
        let b = broadcastShapes(shape, other.shape)
        let d: Int
        if let dd = dim { d = normalizeDim(dd, b.count) } else {
            guard let first = b.firstIndex(of: 3) else { fail("no dimension of size 3 in input") }
            d = first
        }
        if b[d] != 3 { fail("linalg.cross: inputs dimension \(d) must have length 3. Got \(shape.count > d ? shape[d] : 1) and \(other.shape.count > d ? other.shape[d] : 1)") }
        let x = expand(b), y = other.expand(b)
        func c(_ t: Tensor, _ i: Int) -> Tensor { t.narrow(dim: d, start: i, length: 1) }
        return concat([c(x, 1) * c(y, 2) - c(x, 2) * c(y, 1), c(x, 2) * c(y, 0) - c(x, 0) * c(y, 2), c(x, 0) * c(y, 1) - c(x, 1) * c(y, 0)], dim: d)
    }

    /// self expanded to `shape` (PyTorch's `broadcast_to`).
    public func broadcastTo(_ shape: [Int]) -> Tensor { expand(shape) }

    /// The result of reducing `src` into self at `index` along `dim` (PyTorch's `scatter_reduce`):
    /// `reduce` is "sum", "prod", "mean", "amax" or "amin"; with `includeSelf` false the scattered
    /// positions forget self's value. Gradients as PyTorch's (amax/amin share ties evenly; prod's
    /// gradient assumes no zero among the reduced values).
    public func scatterReduce(dim: Int, index: Tensor, src: Tensor, reduce: String, includeSelf: Bool = true) -> Tensor {
        let d = normalizeDim(dim, rank)
        if !["sum", "prod", "mean", "amax", "amin"].contains(reduce) {
            fail("reduce argument must be either sum, prod, mean, amax or amin, got \(reduce)")
        }
        // which positions of self receive something
        let scattered = noGrad { Tensor.zeros(shape, dtype: dtype, device: device).scatter(dim: d, index: index, value: 1) .!= 0 }
        let counts = noGrad { Tensor.zeros(shape, dtype: dtype, device: device).scatterAdd(dim: d, index: index, src: Tensor.onesLike(index.to(dtype: dtype))) }
        let base = includeSelf ? self : Descent.where(scattered, Tensor.zerosLike(self), self)
        let srcPart = src.narrowTo(index.shape)
        switch reduce {
        case "sum": return base.scatterAdd(dim: d, index: index, src: srcPart)
        case "mean":
            let n = includeSelf ? counts + 1 : counts.clamp(min: 1)
            let total = base.scatterAdd(dim: d, index: index, src: srcPart)
            return dtype.isFloatingPoint ? total / n : total.div(n, roundingMode: "floor")   // integers: floor, as PyTorch's
        default: break
        }
        // amax / amin / prod: the values on the host, the gradient through a differentiable stand-in
        let (_, n, inner, sv) = hostRows(d)
        let iv = index.to(.cpu).contiguous().toArray(Int64.self), xv = srcPart.to(.cpu).contiguous().toArray(Double.self)
        var r = sv, seen = [Bool](repeating: includeSelf, count: sv.count)
        let m = index.rank == 0 ? 1 : index.shape[d]
        let idxOuter = index.rank == 0 ? 1 : index.shape[..<d].reduce(1, *), idxInner = index.rank == 0 ? 1 : index.shape[(d + 1)...].reduce(1, *)
        for o in 0..<idxOuter {
            for k in 0..<m {
                for i in 0..<idxInner {
                    let j = Int(iv[(o * m + k) * idxInner + i])
                    if j < 0 || j >= n { fail("index \(j) is out of bounds for dimension \(d) with size \(n)") }
                    let t = (o * n + j) * inner + i, x = xv[(o * m + k) * idxInner + i]
                    if !seen[t] { r[t] = x; seen[t] = true; continue }
                    switch reduce {
                    case "amax": r[t] = (x.isNaN || r[t].isNaN) ? .nan : Swift.max(r[t], x)
                    case "amin": r[t] = (x.isNaN || r[t].isNaN) ? .nan : Swift.min(r[t], x)
                    default: r[t] = dtype == .float32 ? Double(Float(r[t]) * Float(x)) : r[t] * x
                    }
                }
            }
        }
        let result = Tensor(flat: r, shape: shape).to(dtype: dtype).to(device)
        if !(wantsGrad(self) || wantsGrad(src)) { return result }
        let (wSelf, wSrc): (Tensor, Tensor) = noGrad {
            let selfIn = includeSelf ? Tensor.onesLike(self) : Descent.where(scattered, Tensor.zerosLike(self), Tensor.onesLike(self))
            let picked = result.gather(dim: d, index: index)
            if reduce == "prod" {
                return (Descent.where(selfIn .== 0, Tensor.zerosLike(self), result / self), picked / srcPart)
            }
            // PyTorch's scatter_reduce_backward: ties share evenly, self counted even without include_self
            let selfHit = (self .== result).to(dtype: dtype)
            let srcHit = (srcPart .== picked).to(dtype: dtype)
            let share = selfHit.scatterAdd(dim: d, index: index, src: srcHit)
            return (selfHit * selfIn / share, srcHit / share.gather(dim: d, index: index))
        }
        let standIn = self * wSelf + Tensor.zerosLike(self).scatterAdd(dim: d, index: index, src: srcPart * wSrc)
        return result + (standIn - standIn.detach())
    }
    /// `src` cut to `shape` from its start in every dim (scatter uses only index's extent of src).
    fileprivate func narrowTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        var t = self
        for (d, n) in target.enumerated() where t.shape[d] != n { t = t.narrow(dim: d, start: 0, length: n) }
        return t
    }
}

/// `torch.atan2(input, other)`.
public func atan2(_ input: Tensor, _ other: Tensor) -> Tensor { input.atan2(other) }
/// `torch.hypot(input, other)`.
public func hypot(_ input: Tensor, _ other: Tensor) -> Tensor { input.hypot(other) }
/// `torch.logaddexp(input, other)`.
public func logaddexp(_ input: Tensor, _ other: Tensor) -> Tensor { input.logaddexp(other) }
/// `torch.logit(input, eps)`.
public func logit(_ input: Tensor, eps: Double? = nil) -> Tensor { input.logit(eps: eps) }
/// `torch.rot90(input, k, dims)`.
public func rot90(_ input: Tensor, _ k: Int = 1, dims: [Int] = [0, 1]) -> Tensor { input.rot90(k, dims: dims) }
/// `torch.nansum(input)`.
public func nansum(_ input: Tensor) -> Tensor { input.nansum() }
/// `torch.nanmean(input)`.
public func nanmean(_ input: Tensor) -> Tensor { input.nanmean() }
/// `torch.cummax(input, dim)`.
public func cummax(_ input: Tensor, dim: Int) -> (values: Tensor, indices: Tensor) { input.cummax(dim: dim) }
/// `torch.cummin(input, dim)`.
public func cummin(_ input: Tensor, dim: Int) -> (values: Tensor, indices: Tensor) { input.cummin(dim: dim) }
/// `torch.logcumsumexp(input, dim)`.
public func logcumsumexp(_ input: Tensor, dim: Int) -> Tensor { input.logcumsumexp(dim: dim) }
/// `torch.kthvalue(input, k, dim, keepdim)`.
public func kthvalue(_ input: Tensor, _ k: Int, dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { input.kthvalue(k, dim: dim, keepDim: keepDim) }
/// `torch.mode(input, dim, keepdim)`.
public func mode(_ input: Tensor, dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) { input.mode(dim: dim, keepDim: keepDim) }
/// `torch.quantile(input, q, dim, keepdim, interpolation=)`.
public func quantile(_ input: Tensor, _ q: Double, dim: Int? = nil, keepDim: Bool = false, interpolation: String = "linear") -> Tensor {
    input.quantile(q, dim: dim, keepDim: keepDim, interpolation: interpolation)
}
/// `torch.quantile(input, torch.tensor([q...]), ...)`.
public func quantile(_ input: Tensor, _ q: [Double], dim: Int? = nil, keepDim: Bool = false, interpolation: String = "linear") -> Tensor {
    input.quantile(q, dim: dim, keepDim: keepDim, interpolation: interpolation)
}
/// `torch.histc(input, bins, min, max)`.
public func histc(_ input: Tensor, bins: Int = 100, min: Double = 0, max: Double = 0) -> Tensor { input.histc(bins: bins, min: min, max: max) }
/// `torch.take_along_dim(input, indices, dim)`.
public func takeAlongDim(_ input: Tensor, _ indices: Tensor, dim: Int? = nil) -> Tensor { input.takeAlongDim(indices, dim: dim) }
/// `torch.cross(input, other, dim)`.
public func cross(_ input: Tensor, _ other: Tensor, dim: Int? = nil) -> Tensor { input.cross(other, dim: dim) }
/// `torch.dist(input, other, p)`.
public func dist(_ input: Tensor, _ other: Tensor, p: Double = 2) -> Tensor { input.dist(other, p: p) }
/// `torch.aminmax(input, dim=, keepdim=)`.
public func aminmax(_ input: Tensor, dim: Int? = nil, keepDim: Bool = false) -> (min: Tensor, max: Tensor) { input.aminmax(dim: dim, keepDim: keepDim) }
/// `torch.scatter_reduce(input, dim, index, src, reduce, include_self=)`.
public func scatterReduce(_ input: Tensor, dim: Int, index: Tensor, src: Tensor, reduce: String, includeSelf: Bool = true) -> Tensor {
    input.scatterReduce(dim: dim, index: index, src: src, reduce: reduce, includeSelf: includeSelf)
}
/// `torch.var_mean(input, dim, correction=, keepdim=)`: the variance and the mean together.
public func varMean(_ input: Tensor, dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> (variance: Tensor, mean: Tensor) {
    (input.variance(dims: dims, correction: correction, keepDim: keepDim), dims.map { input.mean(dims: $0, keepDim: keepDim) } ?? input.mean())
}
/// `torch.std_mean(input, dim, correction=, keepdim=)`: the standard deviation and the mean together.
public func stdMean(_ input: Tensor, dims: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> (std: Tensor, mean: Tensor) {
    (input.std(dims: dims, correction: correction, keepDim: keepDim), dims.map { input.mean(dims: $0, keepDim: keepDim) } ?? input.mean())
}

/// For each value, the index in the last dim of `sortedSequence` where it would be inserted to keep
/// the order: the first such place, or the last with `right` (PyTorch's `torch.searchsorted`).
/// A 1-D sequence serves every value; otherwise its leading dims match `values`'.
@_disfavoredOverload public func searchsorted(_ sortedSequence: Tensor, _ values: Tensor, right: Bool = false, side: String? = nil, outInt32: Bool = false) -> Tensor {
    if let s = side, s != "left" && s != "right" { fail("torch.searchsorted(): side can only be 'left' or 'right' but got \(s)") }
    if let s = side, (s == "right") != right && right { fail("torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True") }
    let upper = right || side == "right"
    let seq = sortedSequence.to(.cpu).contiguous().toArray(Double.self), vals = values.to(.cpu).contiguous().toArray(Double.self)
    let n = sortedSequence.rank == 0 ? 1 : sortedSequence.shape[sortedSequence.rank - 1]
    if sortedSequence.rank > 1 && Array(sortedSequence.shape.dropLast()) != Array(values.shape.dropLast()) {
        fail("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor \(shapeString(sortedSequence.shape)) and input value tensor \(shapeString(values.shape))")
    }
    let perRow = values.rank == 0 ? 1 : values.shape[values.rank - 1]
    var out = [Int64](repeating: 0, count: vals.count)
    for (k, v) in vals.enumerated() {
        let base = sortedSequence.rank > 1 ? (k / perRow) * n : 0
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2, s = seq[base + mid]
            // NaN sorts last, as in PyTorch's cus_lower_bound / cus_upper_bound
            let goRight = upper ? !(v < s || (s.isNaN && !v.isNaN)) : (s < v || (v.isNaN && !s.isNaN))
            if goRight { lo = mid + 1 } else { hi = mid }
        }
        out[k] = Int64(lo)
    }
    let t = Tensor(flat: out, shape: values.shape)
    return (outInt32 ? t.to(dtype: .int32) : t).to(values.device)
}
/// `torch.searchsorted(sorted_sequence, value)` for one number: a 0-dim index.
public func searchsorted(_ sortedSequence: Tensor, _ value: Double, right: Bool = false, side: String? = nil, outInt32: Bool = false) -> Tensor {
    searchsorted(sortedSequence, Tensor.scalar(value, dtype: sortedSequence.dtype), right: right, side: side, outInt32: outInt32)
}
/// The bucket of each element among 1-D `boundaries` (PyTorch's `torch.bucketize`): with `right` false,
/// i such that boundaries[i−1] < x ≤ boundaries[i]; with `right`, boundaries[i−1] ≤ x < boundaries[i].
public func bucketize(_ input: Tensor, _ boundaries: Tensor, outInt32: Bool = false, right: Bool = false) -> Tensor {
    if boundaries.rank != 1 { fail("boundaries tensor must be 1 dimension, but got dim(\(boundaries.rank))") }
    return searchsorted(boundaries, input, right: right, outInt32: outInt32)
}

/// The Kronecker product (PyTorch's `torch.kron`).
public func kron(_ a: Tensor, _ b: Tensor) -> Tensor {
    let r = Swift.max(a.rank, b.rank)
    let sa = [Int](repeating: 1, count: r - a.rank) + a.shape, sb = [Int](repeating: 1, count: r - b.rank) + b.shape
    let x = a.reshape(sa.flatMap { [$0, 1] }), y = b.reshape(sb.flatMap { [1, $0] })
    return (x * y).reshape(zip(sa, sb).map { $0 * $1 })
}
/// Contracts the last `dims` dims of `a` with the first `dims` of `b` (PyTorch's `torch.tensordot`).
public func tensordot(_ a: Tensor, _ b: Tensor, dims: Int = 2) -> Tensor {
    if dims < 0 { fail("tensordot expects dims >= 0, but got dims=\(dims)") }
    return tensordot(a, b, dims: (Array((a.rank - dims)..<a.rank), Array(0..<dims)))
}
/// Contracts dims `dims.0` of `a` with `dims.1` of `b`, pairwise (PyTorch's `torch.tensordot(a, b, dims=([..], [..]))`).
public func tensordot(_ a: Tensor, _ b: Tensor, dims: ([Int], [Int])) -> Tensor {
    if dims.0.count != dims.1.count { fail("both dimension lists should have same length") }
    let ca = dims.0.map { normalizeDim($0, a.rank) }, cb = dims.1.map { normalizeDim($0, b.rank) }
    for (i, j) in zip(ca, cb) where a.shape[i] != b.shape[j] {
        fail("contracted dimensions need to match, but first has size \(a.shape[i]) in dim \(i) and second has size \(b.shape[j]) in dim \(j)")
    }
    let fa = (0..<a.rank).filter { !ca.contains($0) }, fb = (0..<b.rank).filter { !cb.contains($0) }
    let k = ca.reduce(1) { $0 * a.shape[$1] }
    let m = fa.reduce(1) { $0 * a.shape[$1] }, n = fb.reduce(1) { $0 * b.shape[$1] }
    let am = a.permute(fa + ca).reshape(m, k), bm = b.permute(cb + fb).reshape(k, n)
    return am.mm(bm).reshape(fa.map { a.shape[$0] } + fb.map { b.shape[$0] })
}
/// The tensors expanded to their common broadcast shape (PyTorch's `torch.broadcast_tensors`).
public func broadcastTensors(_ tensors: [Tensor]) -> [Tensor] {
    let shape = tensors.reduce([Int]()) { broadcastShapes($0, $1.shape) }
    return tensors.map { $0.expand(shape) }
}
/// `torch.broadcast_tensors(a, b, ...)`.
public func broadcastTensors(_ tensors: Tensor...) -> [Tensor] { broadcastTensors(tensors) }
/// `torch.broadcast_to(input, shape)`.
public func broadcastTo(_ input: Tensor, _ shape: [Int]) -> Tensor { input.expand(shape) }
/// Every combination of the 1-D tensors' elements, one per row (PyTorch's `torch.cartesian_prod`).
public func cartesianProd(_ tensors: [Tensor]) -> Tensor {
    if tensors.count == 1 { return tensors[0] }
    return stack(meshgrid(tensors).map { $0.reshape(-1) }, dim: 1)
}
/// `torch.cartesian_prod(a, b, ...)`.
public func cartesianProd(_ tensors: Tensor...) -> Tensor { cartesianProd(tensors) }
/// The (2, N) row and column indices of a row × col matrix's lower triangle from diagonal `offset`
/// (PyTorch's `torch.tril_indices`).
public func trilIndices(_ row: Int, _ col: Int, offset: Int = 0) -> Tensor { triangleIndices(row, col, offset, lower: true) }
/// The (2, N) indices of the upper triangle from diagonal `offset` (PyTorch's `torch.triu_indices`).
public func triuIndices(_ row: Int, _ col: Int, offset: Int = 0) -> Tensor { triangleIndices(row, col, offset, lower: false) }
private func triangleIndices(_ row: Int, _ col: Int, _ offset: Int, lower: Bool) -> Tensor {
    var rs: [Int64] = [], cs: [Int64] = []
    for i in 0..<row { for j in 0..<col where lower ? j - i <= offset : j - i >= offset { rs.append(Int64(i)); cs.append(Int64(j)) } }
    return Tensor(flat: rs + cs, shape: [2, rs.count])
}
/// 0-D and 1-D tensors as (1, n)… at least 1-D (PyTorch's `torch.atleast_1d`).
public func atleast1d(_ x: Tensor) -> Tensor { x.rank == 0 ? x.reshape(1) : x }
/// At least 2-D: a vector becomes one row (PyTorch's `torch.atleast_2d`).
public func atleast2d(_ x: Tensor) -> Tensor { x.rank == 0 ? x.reshape(1, 1) : x.rank == 1 ? x.unsqueeze(0) : x }
/// At least 3-D: (n) → (1, n, 1), (m, n) → (m, n, 1) (PyTorch's `torch.atleast_3d`).
public func atleast3d(_ x: Tensor) -> Tensor {
    switch x.rank {
    case 0: return x.reshape(1, 1, 1)
    case 1: return x.reshape(1, x.shape[0], 1)
    case 2: return x.unsqueeze(2)
    default: return x
    }
}
/// 1-D tensors as columns, side by side (PyTorch's `torch.column_stack`).
public func columnStack(_ tensors: [Tensor]) -> Tensor {
    hstack(tensors.map { $0.rank == 0 ? $0.reshape(1, 1) : $0.rank == 1 ? $0.unsqueeze(1) : $0 })
}
/// Stacked along the third dim (PyTorch's `torch.dstack`).
public func dstack(_ tensors: [Tensor]) -> Tensor { concat(tensors.map(atleast3d), dim: 2) }
/// The tensors (0-, 1- or 2-D) as blocks on the diagonal of a zero matrix (PyTorch's `torch.block_diag`).
public func blockDiag(_ tensors: [Tensor]) -> Tensor {
    for (i, t) in tensors.enumerated() where t.rank > 2 {
        fail("torch.block_diag: Input tensors must have 2 or fewer dimensions. Input \(i) has \(t.rank) dimensions")
    }
    let blocks = tensors.map { $0.rank == 0 ? $0.reshape(1, 1) : $0.rank == 1 ? $0.unsqueeze(0) : $0 }
    let dt = blocks.dropFirst().reduce(blocks.first?.dtype ?? .float32) { DType.promote($0, $1.dtype) }
    let cols = blocks.reduce(0) { $0 + $1.shape[1] }
    var left = 0
    let rows = blocks.map { b -> Tensor in
        defer { left += b.shape[1] }
        return pad(b.to(dtype: dt), [left, cols - left - b.shape[1], 0, 0])
    }
    return rows.isEmpty ? Tensor.zeros([0, 0]) : concat(rows, dim: 0)
}
/// `torch.block_diag(a, b, ...)`.
public func blockDiag(_ tensors: Tensor...) -> Tensor { blockDiag(tensors) }

extension linalg {
    /// The cross product along `dim` (PyTorch's `torch.linalg.cross`, dim −1 by default).
    public static func cross(_ a: Tensor, _ b: Tensor, dim: Int = -1) -> Tensor { a.cross(b, dim: dim) }
    /// The p-norm of the elements over `dims` (PyTorch's `torch.linalg.vector_norm`; all of them without dims).
    public static func vectorNorm(_ x: Tensor, ord: Double = 2, dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        guard let ds = dims else { return keepDim ? x.norm(ord).reshape([Int](repeating: 1, count: x.rank)) : x.norm(ord) }
        if ds.count == 1 { return x.norm(ord, dim: ds[0], keepDim: keepDim) }
        let nd = ds.map { normalizeDim($0, x.rank) }
        let rest = (0..<x.rank).filter { !nd.contains($0) }
        let flat = x.permute(rest + nd).reshape(rest.map { x.shape[$0] } + [-1]).norm(ord, dim: -1)
        if !keepDim { return flat }
        var s = x.shape
        for d in nd { s[d] = 1 }
        return flat.reshape(s)
    }
    /// The Frobenius norm ("fro"), nuclear norms aside, of the matrices in the last two dims
    /// (PyTorch's `torch.linalg.matrix_norm`; ord "fro", 1, −1, ∞, −∞ as numbers 1/−1/±.infinity).
    public static func matrixNorm(_ x: Tensor, ord: String = "fro", keepDim: Bool = false) -> Tensor {
        if ord != "fro" { fail("linalg.matrix_norm: Order \(ord) not supported.") }
        if x.rank < 2 { fail("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.") }
        return vectorNorm(x, ord: 2, dims: [-2, -1], keepDim: keepDim)
    }
    /// The induced 1/∞ norms (max column / row abs sum) of the matrices in the last two dims.
    public static func matrixNorm(_ x: Tensor, ord: Double, keepDim: Bool = false) -> Tensor {
        if x.rank < 2 { fail("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.") }
        let (sumDim, maxDim): (Int, Int)
        switch ord {
        case 1, -1: (sumDim, maxDim) = (x.rank - 2, x.rank - 1)
        case .infinity, -.infinity: (sumDim, maxDim) = (x.rank - 1, x.rank - 2)
        default: fail("linalg.matrix_norm: Order \(ord) not supported.")
        }
        let s = x.abs().sum(dims: [sumDim], keepDim: true)
        let r = ord > 0 ? s.amax(dims: [maxDim], keepDim: true) : s.amin(dims: [maxDim], keepDim: true)
        return keepDim ? r : r.squeeze(dim: x.rank - 1).squeeze(dim: x.rank - 2)
    }
    /// `torch.linalg.norm`: the 2-norm of the flattened tensor, or along `dims` (two dims: Frobenius).
    public static func norm(_ x: Tensor, dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        vectorNorm(x, dims: dims, keepDim: keepDim)   // the Frobenius norm of matrices is the same sum
    }
}

// MARK: - Differences, membership, covariance and friends

extension Tensor {
    /// The n-th forward difference along `dim`, after `prepend` and before `append` (PyTorch's `torch.diff`;
    /// bool tensors compare neighbours with `!=`).
    public func diff(n: Int = 1, dim: Int = -1, prepend: Tensor? = nil, append: Tensor? = nil) -> Tensor {
        if rank == 0 { fail("diff expects input to be at least one-dimensional") }
        let d = normalizeDim(dim, rank)
        var x = self
        if prepend != nil || append != nil { x = concat([prepend, self, append].compactMap { $0 }, dim: d) }
        for _ in 0..<n {
            let len = x.shape[d]
            if len == 0 { break }
            let hi = x.narrow(dim: d, start: 1, length: len - 1), lo = x.narrow(dim: d, start: 0, length: len - 1)
            x = x.dtype == .bool ? (hi .!= lo) : hi - lo
        }
        return x
    }
    /// Whether each element is among `testElements` (PyTorch's `torch.isin`; `invert` negates), bool.
    public func isin(_ testElements: Tensor, invert: Bool = false) -> Tensor {
        let set = Set(testElements.to(.cpu).toArray(Double.self))
        let hits = to(.cpu).contiguous().toArray(Double.self).map { set.contains($0) != invert ? 1.0 : 0.0 }
        return (Tensor(flat: hits, shape: shape) .!= 0).to(device)
    }
    /// The elements with consecutive repeats collapsed, over the flattened tensor (PyTorch's `torch.unique_consecutive`).
    public func uniqueConsecutive() -> Tensor { uniqueConsecutiveParts().values }
    /// `uniqueConsecutive` with the inverse indices (PyTorch's `return_inverse=True`).
    public func uniqueConsecutive(returnInverse: Bool) -> (Tensor, Tensor) { let u = uniqueConsecutiveParts(); return (u.values, u.inverse) }
    /// `uniqueConsecutive` with each run's length (PyTorch's `return_counts=True`).
    public func uniqueConsecutive(returnCounts: Bool) -> (Tensor, Tensor) { let u = uniqueConsecutiveParts(); return (u.values, u.counts) }
    /// `uniqueConsecutive` with the inverse indices and each run's length.
    public func uniqueConsecutive(returnInverse: Bool, returnCounts: Bool) -> (Tensor, Tensor, Tensor) { uniqueConsecutiveParts() }
    /// The collapsed elements, the inverse indices and each run's length.
    func uniqueConsecutiveParts() -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        let v = to(.cpu).contiguous().toArray(Double.self)
        var values: [Double] = [], counts: [Int64] = [], inverse: [Int64] = []
        for x in v {
            if let last = values.last, last == x { counts[counts.count - 1] += 1 } else { values.append(x); counts.append(1) }
            inverse.append(Int64(values.count - 1))
        }
        return (Tensor(flat: values, shape: [values.count]).to(dtype: dtype).to(device), Tensor(flat: inverse, shape: shape).to(device),
                Tensor(flat: counts, shape: [counts.count]).to(device))
    }
    /// Whether the sign bit is set (negative numbers and −0.0), bool (PyTorch's `torch.signbit`).
    public func signbit() -> Tensor {
        noGrad { dtype.isFloatingPoint ? (self .< 0) .|| ((self .== 0) .&& (reciprocal() .< 0)) : self .< 0 }
    }
    /// The magnitude of self with the sign of `other` (PyTorch's `torch.copysign`).
    public func copysign(_ other: Tensor) -> Tensor {
        let x = floatingPromoted
        return x.abs() * Descent.where(other.signbit(), Tensor.full([], -1, dtype: x.dtype).to(device), Tensor.full([], 1, dtype: x.dtype).to(device))
    }
    /// 0 below zero, 1 above, `values` at zero (PyTorch's `torch.heaviside`).
    public func heaviside(_ values: Tensor) -> Tensor {
        noGrad { Descent.where(self .== 0, values.to(dtype: dtype), (self .> 0).to(dtype: dtype)) }
    }
    /// self ** exponent in float64 (PyTorch's `torch.float_power`).
    public func floatPower(_ exponent: Double) -> Tensor { to(dtype: .float64).pow(exponent) }
    /// The area under y(x) by the trapezoidal rule along `dim`, spacing `dx` (PyTorch's `torch.trapezoid`).
    public func trapezoid(dx: Double = 1, dim: Int = -1) -> Tensor {
        let d = normalizeDim(dim, rank), n = shape[d]
        if n == 0 { return sum(dims: [d]) }
        return (narrow(dim: d, start: 1, length: n - 1) + narrow(dim: d, start: 0, length: n - 1)).sum(dims: [d]) * (dx / 2)
    }
    /// The trapezoidal rule with sample points `x` (PyTorch's `torch.trapezoid(y, x)`).
    public func trapezoid(x: Tensor, dim: Int = -1) -> Tensor {
        let d = normalizeDim(dim, rank), n = shape[d]
        let dx = x.rank == 1 ? x.diff() : x.diff(dim: d)
        let shapeDx: [Int] = x.rank == 1 ? (0..<rank).map { $0 == d ? Swift.max(n - 1, 0) : 1 } : dx.shape
        return ((narrow(dim: d, start: 1, length: n - 1) + narrow(dim: d, start: 0, length: n - 1)) * dx.reshape(shapeDx)).sum(dims: [d]) / 2
    }
}

/// `torch.diff(x, n, dim, prepend, append)`.
public func diff(_ x: Tensor, n: Int = 1, dim: Int = -1, prepend: Tensor? = nil, append: Tensor? = nil) -> Tensor {
    x.diff(n: n, dim: dim, prepend: prepend, append: append)
}
/// `torch.isin(elements, test_elements, invert=)`.
public func isin(_ elements: Tensor, _ testElements: Tensor, invert: Bool = false) -> Tensor { elements.isin(testElements, invert: invert) }
/// `torch.trapezoid(y, dx=)`.
public func trapezoid(_ y: Tensor, dx: Double = 1, dim: Int = -1) -> Tensor { y.trapezoid(dx: dx, dim: dim) }
/// `torch.trapezoid(y, x)`.
public func trapezoid(_ y: Tensor, _ x: Tensor, dim: Int = -1) -> Tensor { y.trapezoid(x: x, dim: dim) }
/// The covariance matrix of the rows (variables) of `input` over its columns (observations) (PyTorch's
/// `torch.cov`, `correction` 1 by default; a vector is one variable).
public func cov(_ input: Tensor, correction: Int = 1) -> Tensor {
    if input.rank > 2 { fail("cov(): expected input to have two or fewer dimensions but got an input with \(input.rank) dimensions") }
    let x = input.rank < 2 ? input.reshape(1, -1) : input
    let n = x.shape[1]
    let centred = x - x.mean(dim: 1, keepDim: true)
    let c = centred.matmul(centred.transpose(0, 1)) / Double(Swift.max(n - correction, 0))
    return input.rank < 2 ? c.reshape([]) : c
}
/// Pearson's correlation coefficients of the rows of `input` (PyTorch's `torch.corrcoef`), clipped to [−1, 1].
public func corrcoef(_ input: Tensor) -> Tensor {
    let c = cov(input)
    if c.rank == 0 { return c / c }
    let d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(min: -1, max: 1)
}
/// The Vandermonde matrix of `x`: columns x^(N−1) … x^0, or ascending powers with `increasing` (PyTorch's `torch.vander`).
public func vander(_ x: Tensor, n: Int? = nil, increasing: Bool = false) -> Tensor {
    if x.rank != 1 { fail("x must be a one-dimensional tensor.") }
    let cols = n ?? x.shape[0]
    let powers = (0..<cols).map { increasing ? $0 : cols - 1 - $0 }
    if cols == 0 { return Tensor.empty([x.shape[0], 0], dtype: x.dtype, device: x.device) }
    return stack(powers.map { p in p == 0 ? Tensor.onesLike(x) : x.pow(Double(p)) }, dim: 1)
}
/// PyTorch's `torch.special` functions that have other names here.
public enum special {
    /// The logistic sigmoid (`torch.special.expit`).
    public static func expit(_ x: Tensor) -> Tensor { x.sigmoid() }
    /// log(p / (1 − p)) (`torch.special.logit`).
    public static func logit(_ x: Tensor, eps: Double? = nil) -> Tensor { x.logit(eps: eps) }
    /// 1 − erf(x) (`torch.special.erfc`).
    public static func erfc(_ x: Tensor) -> Tensor { x.erfc() }
    /// The inverse error function (`torch.special.erfinv`).
    public static func erfinv(_ x: Tensor) -> Tensor { x.erfinv() }
    /// x · log(y), 0 where x is 0 (`torch.special.xlogy`).
    public static func xlogy(_ x: Tensor, _ y: Tensor) -> Tensor { Descent.xlogy(x, y) }
    /// log(1 + x) (`torch.special.log1p`).
    public static func log1p(_ x: Tensor) -> Tensor { x.log1p() }
    /// exp(x) − 1 (`torch.special.expm1`).
    public static func expm1(_ x: Tensor) -> Tensor { x.expm1() }
    /// 2^x (`torch.special.exp2`).
    public static func exp2(_ x: Tensor) -> Tensor { x.exp2() }
    /// sin(πx)/(πx) (`torch.special.sinc`).
    public static func sinc(_ x: Tensor) -> Tensor { x.sinc() }
    /// log Σ exp over `dims` (`torch.special.logsumexp`).
    public static func logsumexp(_ x: Tensor, dims: [Int], keepDim: Bool = false) -> Tensor { x.logsumexp(dims: dims, keepDim: keepDim) }
    /// Softmax along `dim` (`torch.special.softmax`).
    public static func softmax(_ x: Tensor, dim: Int) -> Tensor { x.softmax(dim: dim) }
    /// Log-softmax along `dim` (`torch.special.log_softmax`).
    public static func logSoftmax(_ x: Tensor, dim: Int) -> Tensor { x.logSoftmax(dim: dim) }
}
