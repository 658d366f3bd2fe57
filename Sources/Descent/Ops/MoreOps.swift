import Foundation
// flip, prod, masked_fill, tril/triu, repeat, division with a rounding mode and the isnan family.

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

    /// `value` where `mask` is true, self elsewhere (PyTorch's `masked_fill`); the mask broadcasts.
    public func maskedFill(_ mask: Tensor, _ value: Double) -> Tensor {
        if mask.dtype != .bool { fail("masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.scalarTypeName)") }
        let out = noGrad { `where`(mask, Tensor.scalar(value, dtype: dtype), self) }
        if wantsGrad(self) {
            let inShape = shape
            out.recorded(.maskedFill(inShape: inShape), inputs: [self], saved: [mask])
        }
        return out
    }
    /// `value` (a 0-dim tensor) where `mask` is true (PyTorch's `masked_fill` with a tensor value).
    @_disfavoredOverload
    public func maskedFill(_ mask: Tensor, _ value: Tensor) -> Tensor {
        if value.rank != 0 { fail("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with \(value.rank) dimension(s).") }
        if !value.requiresGradFlag { return maskedFill(mask, value.item()) }
        return `where`(mask, value.to(dtype: dtype), self)
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

    /// Division with a rounding mode (PyTorch's `div(other, rounding_mode=)`): nil is true division,
    /// "trunc" rounds toward zero, "floor" toward -inf (Python's `//`). Integers stay integers.
    public func div(_ other: Tensor, roundingMode: String?) -> Tensor {
        guard let mode = roundingMode else { return self / other }
        if mode != "trunc" && mode != "floor" {
            fail("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '\(mode)'")
        }
        let t = resultType(self, other)
        let out: Tensor
        if t.isFloatingPoint {
            out = noGrad { () -> Tensor in
                let a = self.promoted(to: t), b = other.promoted(to: t)
                if mode == "trunc" { return (a / b).trunc() }
                // PyTorch's div_floor_floating: (a - fmod(a, b)) / b, corrected toward -inf and to the nearest integer
                let m = a.fmod(b)
                var q = (a - m) / b
                q = `where`((m .!= 0) .&& ((b .< 0) .!= (m .< 0)), q - 1, q)
                var f = q.floor()
                f = `where`(q - f .> 0.5, f + 1, f)
                f = `where`(q .== 0, (a / b).sign() * 0, f)   // signed zero as in PyTorch (copysign(0, a/b))
                return `where`(b .== 0, a / b, f)
            }
        } else {
            let shape = broadcastShapes(self.shape, other.shape)
            let a = self.to(dtype: .int64).expand(shape).contiguous().toArray(Int64.self)
            let b = other.to(dtype: .int64).expand(shape).contiguous().toArray(Int64.self)
            var q = [Int64](repeating: 0, count: a.count)
            for i in 0..<a.count {
                if b[i] == 0 { fail("ZeroDivisionError") }
                var v = a[i] / b[i]
                if mode == "floor" && (a[i] % b[i] != 0) && ((a[i] < 0) != (b[i] < 0)) { v -= 1 }
                q[i] = v
            }
            out = Tensor(flat: q, shape: shape).to(dtype: t)
        }
        if wantsGrad(self, other) && t.isFloatingPoint {
            let (sa, sb) = (shape, other.shape)
            out.recorded(.roundingDiv(sa, sb), inputs: [self, other])
        }
        return out
    }
    /// Division by a number with a rounding mode.
    public func div(_ other: Double, roundingMode: String?) -> Tensor { div(Tensor.wrap(other), roundingMode: roundingMode) }
    /// Division by an integer with a rounding mode (integer tensors stay integers).
    public func div(_ other: Int, roundingMode: String?) -> Tensor { div(Tensor.wrap(other), roundingMode: roundingMode) }
    /// True division (PyTorch's `div`).
    public func div(_ other: Tensor) -> Tensor { self / other }
    /// Python's `a // b` (PyTorch's `floor_divide`).
    public func floorDivide(_ other: Tensor) -> Tensor { div(other, roundingMode: "floor") }
    /// Python's `a // b` by an integer.
    public func floorDivide(_ other: Int) -> Tensor { div(Tensor.wrap(other), roundingMode: "floor") }
    /// Python's `a // b` by a number.
    public func floorDivide(_ other: Double) -> Tensor { div(Tensor.wrap(other), roundingMode: "floor") }

    /// True where the entry is NaN (PyTorch's `isnan`).
    public func isnan() -> Tensor { noGrad { self .!= self } }
    /// True where the entry is +inf or -inf (PyTorch's `isinf`).
    public func isinf() -> Tensor {
        if !dtype.isFloatingPoint { return Tensor.zeros(shape, dtype: .bool, device: device) }
        return noGrad { abs() .== Double.infinity }
    }
    /// True where the entry is neither NaN nor infinite (PyTorch's `isfinite`).
    public func isfinite() -> Tensor {
        if !dtype.isFloatingPoint { return Tensor.ones(shape, dtype: .bool, device: device) }
        return noGrad { (self .== self) .&& (abs() .!= Double.infinity) }
    }
    /// Replaces NaN with `nan`, +inf with `posinf` and -inf with `neginf` (PyTorch's `nan_to_num`;
    /// nil infinities become the dtype's largest and smallest finite values).
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        if !dtype.isFloatingPoint { return clone() }
        let big = dtype == .float32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
        var r = `where`(isnan(), Tensor.scalar(nan, dtype: dtype), self)
        r = `where`(noGrad { self .== Double.infinity }, Tensor.scalar(posinf ?? big, dtype: dtype), r)
        return `where`(noGrad { self .== -Double.infinity }, Tensor.scalar(neginf ?? -big, dtype: dtype), r)
    }
}

extension Tensor {
    /// The inverse error function (PyTorch's `erfinv`: its rational first guess and two Newton steps,
    /// in the tensor's precision; float32 results agree with PyTorch's to 1 ulp on 99% of inputs).
    /// Integer inputs compute in float32.
    public func erfinv() -> Tensor {
        if !dtype.isFloatingPoint { return to(dtype: .float32).erfinv() }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.erfinv(x, out: out)
        if wantsGrad(self) {
            // d/dy erfinv(y) = sqrt(pi)/2 * exp(erfinv(y)^2)
            out.recorded(.erfinv, inputs: [self], saved: [out])
        }
        return out
    }
    /// Fills in place with values from N(mean, std²) truncated to [a, b], drawn as PyTorch 2.13's
    /// `nn.init.trunc_normal_` draws them: when [a, b] holds more than 30% of the mass, normal draws
    /// with the out-of-range ones redrawn (whole-tensor rounds); otherwise uniform proposals on [a, b]
    /// accepted with probability pdf/peak. The same generator calls in the same order, so the values
    /// are PyTorch's for the same seed.
    @discardableResult
    public func truncNormal_(mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2, generator: Generator? = nil) -> Tensor {
        func cdf(_ x: Double) -> Double { (1 + Foundation.erf(x / 2.0.squareRoot())) / 2 }
        return noGrad {
            let p = cdf((b - mean) / std) - cdf((a - mean) / std)
            if p > 0.3 {
                // the bounds as the tensor's dtype rounds them
                let lo = Tensor.scalar(a, dtype: dtype).item(), hi = Tensor.scalar(b, dtype: dtype).item()
                var result = normal_(mean, std, generator: generator)
                while true {
                    let mask = (result .< lo) .|| (result .> hi)
                    if mask.any().item() == 0 { break }
                    result = Descent.where(mask, Tensor.empty(shape, dtype: dtype, device: device).normal_(mean, std, generator: generator), result)
                }
                if result !== self { copy_(result) }
                return self
            }
            let mode = Swift.max(a, Swift.min(mean, b))
            let logPeak = -0.5 * ((mode - mean) / std) * ((mode - mean) / std)
            func logPdf(_ c: Tensor) -> Tensor { let z = (c - mean) / std; return z * z * -0.5 - logPeak }
            uniform_(a, b, generator: generator)
            var candidates = logPdf(self)
            var pending = Tensor.empty(shape, dtype: dtype, device: device).uniform_(generator: generator).log() .> candidates
            if pending.any().item() == 0 { return self }
            var result = self.clone()
            while true {
                let proposal = Tensor.empty(shape, dtype: dtype, device: device).uniform_(a, b, generator: generator)
                result = Descent.where(pending, proposal, result)
                candidates = logPdf(proposal)
                pending = Descent.where(pending, Tensor.empty(shape, dtype: dtype, device: device).uniform_(generator: generator).log() .> candidates, pending)
                if pending.any().item() == 0 { break }
            }
            return copy_(result)
        }
    }
}


/// Fills `t` in place from a truncated normal distribution (PyTorch's `nn.init.trunc_normal_`).
@discardableResult public func truncNormal_(_ t: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                            generator: Generator? = nil) -> Tensor {
    t.truncNormal_(mean: mean, std: std, a: a, b: b, generator: generator)
}

/// `torch.flip` as a free function.
public func flip(_ x: Tensor, dims: [Int]) -> Tensor { x.flip(dims: dims) }
/// `torch.prod` as a free function.
public func prod(_ x: Tensor) -> Tensor { x.prod() }
/// `torch.tril` as a free function.
public func tril(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.tril(diagonal) }
/// `torch.triu` as a free function.
public func triu(_ x: Tensor, _ diagonal: Int = 0) -> Tensor { x.triu(diagonal) }
/// `torch.isnan` as a free function.
public func isnan(_ x: Tensor) -> Tensor { x.isnan() }
/// `torch.isinf` as a free function.
public func isinf(_ x: Tensor) -> Tensor { x.isinf() }
/// `torch.isfinite` as a free function.
public func isfinite(_ x: Tensor) -> Tensor { x.isfinite() }

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
