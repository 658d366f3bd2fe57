// torch.linalg's decompositions: cholesky, qr, eigh/eigvalsh, svd/svdvals, and what is built on them
// (slogdet, pinv, matrix_rank, lstsq). Computed in double on the CPU (linalg.c; other devices go through
// the CPU) and rounded to the input's dtype; gradients are PyTorch's formulas. QR follows LAPACK's
// Householder signs; eigenvectors and singular vectors are unique only up to sign, and ours are
// normalised (largest component positive), where LAPACK's are whatever its algorithm gives.

/// Checks (…, m, n) floating matrices and returns a float64 contiguous CPU copy with the batch count.
private func hostMatrices(_ name: String, _ a: Tensor, square: Bool) -> (x: Tensor, batch: [Int], count: Int, m: Int, n: Int) {
    if a.rank < 2 { fail("\(name): The input tensor A must have at least 2 dimensions.") }
    if !a.dtype.isFloatingPoint { fail("\(name): Expected a floating point or complex tensor as input. Got \(a.dtype.scalarTypeName)") }
    let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
    if square && m != n { fail("\(name): A must be batches of square matrices, but they are \(m) by \(n) matrices") }
    let batch = Array(a.shape.dropLast(2))
    return (noGrad { a.to(dtype: .float64).to(.cpu).contiguous().clone() }, batch, batch.reduce(1, *), m, n)
}
private func backTo(_ t: Tensor, _ a: Tensor) -> Tensor { t.to(dtype: a.dtype).to(a.device) }
private func mT(_ t: Tensor) -> Tensor { t.transpose(-2, -1) }
/// Packs outputs (each (…, rows, cols)) into one (count, total) tensor so that one Function node
/// carries them all; `unpack` cuts the gradient (or the result) back into the pieces.
private func pack(_ parts: [Tensor], count: Int) -> Tensor { concat(parts.map { $0.reshape(count, -1) }, dim: 1) }
private func unpack(_ packed: Tensor, _ shapes: [[Int]]) -> [Tensor] {
    var start = 0
    return shapes.map { s in
        let per = s.suffix(2).reduce(1, *)
        defer { start += per }
        return packed.narrow(dim: 1, start: start, length: per).reshape(s)
    }
}

final class LinalgCholesky: Function {
    override class var gradFnName: String { "LinalgCholeskyExBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let a = inputs[0]
        let (x, _, count, n, _) = hostMatrices("linalg.cholesky", a, square: true)
        let bad = Kernels.cholesky(count: count, n: n, a: x)
        if bad != 0 {
            let b = (bad - 1) / Swift.max(n, 1), order = (bad - 1) % Swift.max(n, 1) + 1
            fail("linalg.cholesky: \(a.rank > 2 ? "(Batch element \(b)): " : "")The factorization could not be completed because the input is not positive-definite (the leading minor of order \(order) is not positive-definite).")
        }
        let l = backTo(x, a)
        ctx.saveForBackward(l)
        return l
    }
    override class func backward(_ ctx: FunctionContext, _ gL: Tensor) -> [Tensor?] {
        // PyTorch's cholesky_backward: gA = L⁻ᴴ · ½(Φ + Φ_strictly_lowerᴴ) · L⁻¹, Φ = tril(Lᴴ gL)
        let l = ctx.savedTensors[0]
        var gA = mT(l).matmul(gL).tril()
        gA = (gA + mT(gA.tril(-1))) * 0.5
        let lInv = linalg.inv(l)
        return [mT(lInv).matmul(gA).matmul(lInv)]
    }
}

final class LinalgQR: Function {
    override class var gradFnName: String { "LinalgQrBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let a = inputs[0]
        let (x, batch, count, m, n) = hostMatrices("linalg.qr", a, square: false)
        let k = Swift.min(m, n)
        let q = Tensor.zeros(batch + [m, k], dtype: .float64), r = Tensor.zeros(batch + [k, n], dtype: .float64)
        if count > 0 { Kernels.qr(count: count, m: m, n: n, a: x, q: q, r: r) }
        let (qa, ra) = (backTo(q, a), backTo(r, a))
        ctx.saveForBackward(qa, ra)
        ctx.values["shapes"] = [batch + [m, k], batch + [k, n]]
        return pack([qa, ra], count: count)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (q, r) = (ctx.savedTensors[0], ctx.savedTensors[1])
        let parts = unpack(g, ctx.values["shapes"] as! [[Int]])
        let (gQ, gR) = (parts[0], parts[1])
        let m = q.shape[q.rank - 2], n = r.shape[r.rank - 1]
        if m < n { fail("linalg.qr: the derivative of QR for a wide matrix (m < n) is not implemented here") }
        // PyTorch's linalg_qr_backward (m ≥ n): gA = [gQ + Q copyltu(M)] R⁻ᴴ, M = R gRᴴ − gQᴴ Q
        let mm = r.matmul(mT(gR)) - mT(gQ).matmul(q)
        let copyltu = mm.tril() + mT(mm.tril(-1))
        return [(gQ + q.matmul(copyltu)).matmul(mT(linalg.inv(r)))]
    }
}

final class LinalgEigh: Function {
    override class var gradFnName: String { "LinalgEighBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let a = inputs[0]
        let (x, batch, count, n, _) = hostMatrices("linalg.eigh", a, square: true)
        let w = Tensor.zeros(batch + [1, n], dtype: .float64), v = Tensor.zeros(batch + [n, n], dtype: .float64)
        if count > 0 { Kernels.eigh(count: count, n: n, a: x, w: w, v: v) }
        let (wa, va) = (backTo(w, a), backTo(v, a))
        ctx.saveForBackward(wa.squeeze(dim: -2), va)
        ctx.values["shapes"] = [batch + [1, n], batch + [n, n]]
        return pack([wa, va], count: count)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (w, v) = (ctx.savedTensors[0], ctx.savedTensors[1])
        let parts = unpack(g, ctx.values["shapes"] as! [[Int]])
        let (gW, gV) = (parts[0].squeeze(dim: -2), parts[1])
        // PyTorch's linalg_eig_backward (Hermitian): gA = V [skew(Vᴴ gV)/E, diag gL] Vᴴ, E[i][j] = λⱼ − λᵢ
        var vhgv = mT(v).matmul(gV)
        vhgv = (vhgv - mT(vhgv)) * 0.5
        let n = w.shape[w.rank - 1]
        let eye = Tensor.eye(n, dtype: w.dtype).to(w.device)
        let e = w.unsqueeze(-2) - w.unsqueeze(-1) + eye
        let inner = (vhgv / e) * (1 - eye) + gW.diagEmbed()
        return [v.matmul(inner).matmul(mT(v))]
    }
}

final class LinalgSVD: Function {
    override class var gradFnName: String { "LinalgSvdBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let a = inputs[0]
        let (x, batch, count, m, n) = hostMatrices("linalg.svd", a, square: false)
        let k = Swift.min(m, n)
        let u = Tensor.zeros(batch + [m, k], dtype: .float64), s = Tensor.zeros(batch + [1, k], dtype: .float64)
        let vh = Tensor.zeros(batch + [k, n], dtype: .float64)
        if count > 0 { Kernels.svd(count: count, m: m, n: n, a: x, u: u, s: s, vh: vh) }
        let (ua, sa, vha) = (backTo(u, a), backTo(s, a), backTo(vh, a))
        ctx.saveForBackward(ua, sa.squeeze(dim: -2), vha)
        ctx.values["shapes"] = [batch + [m, k], batch + [1, k], batch + [k, n]]
        return pack([ua, sa, vha], count: count)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (u, s, vh) = (ctx.savedTensors[0], ctx.savedTensors[1], ctx.savedTensors[2])
        let parts = unpack(g, ctx.values["shapes"] as! [[Int]])
        let (gU, gS, gVh) = (parts[0], parts[1].squeeze(dim: -2), parts[2])
        let m = u.shape[u.rank - 2], n = vh.shape[vh.rank - 1], k = s.shape[s.rank - 1]
        // PyTorch's svd_backward (reduced): gA = U [(skew(Uᴴ gU) S + S skew(Vᴴ gV)) / E + diag gS] Vᴴ,
        // E[i][j] = sⱼ² − sᵢ², plus the parts of gU (gV) outside U's (V's) span for tall (wide) A
        let v = mT(vh), gV = mT(gVh)
        let uhgu = mT(u).matmul(gU), vhgv = mT(v).matmul(gV)
        let skewU = uhgu - mT(uhgu), skewV = vhgv - mT(vhgv)
        let s2 = s * s
        let eye = Tensor.eye(k, dtype: s.dtype).to(s.device)
        let e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye
        var gA = ((skewU * s.unsqueeze(-2) + s.unsqueeze(-1) * skewV) / e) * (1 - eye) + gS.diagEmbed()
        if m > k {
            gA = u.matmul(gA)
            let gUSinv = gU / s.unsqueeze(-2)
            gA = (gA + gUSinv - u.matmul(mT(u).matmul(gUSinv))).matmul(vh)
        } else if n > k {
            gA = gA.matmul(vh)
            let sInvgVh = gVh / s.unsqueeze(-1)
            gA = u.matmul(gA + sInvgVh - sInvgVh.matmul(v).matmul(vh))
        } else {
            gA = u.matmul(gA).matmul(vh)
        }
        return [gA]
    }
}

extension linalg {
    /// The lower Cholesky factor L with A = L Lᴴ of each symmetric positive-definite matrix (PyTorch's
    /// `torch.linalg.cholesky`; `upper` gives Lᴴ); reads the lower triangle.
    public static func cholesky(_ a: Tensor, upper: Bool = false) -> Tensor {
        let l = LinalgCholesky.apply(a)
        return upper ? mT(l) : l
    }
    /// A = Q R with orthonormal Q (…, m, k) and upper-triangular R (…, k, n), k = min(m, n) (PyTorch's
    /// `torch.linalg.qr`, mode "reduced"; "r" returns an empty Q).
    public static func qr(_ a: Tensor, mode: String = "reduced") -> (Q: Tensor, R: Tensor) {
        if mode != "reduced" && mode != "r" { fail("qr received unrecognized mode '\(mode)' but expected one of 'reduced' (default), 'r', or 'complete'") }
        let m = a.rank >= 2 ? a.shape[a.rank - 2] : 0, n = a.rank >= 2 ? a.shape[a.rank - 1] : 0, k = Swift.min(m, n)
        let batch = Array(a.shape.dropLast(2))
        let parts = unpack(LinalgQR.apply(a), [batch + [m, k], batch + [k, n]])
        return (mode == "r" ? Tensor.empty([0], dtype: a.dtype, device: a.device) : parts[0], parts[1])
    }
    /// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of each symmetric matrix, read from
    /// its lower triangle (PyTorch's `torch.linalg.eigh`).
    public static func eigh(_ a: Tensor) -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let n = a.rank >= 2 ? a.shape[a.rank - 1] : 0
        let batch = Array(a.shape.dropLast(2))
        let parts = unpack(LinalgEigh.apply(a), [batch + [1, n], batch + [n, n]])
        return (parts[0].squeeze(dim: -2), parts[1])
    }
    /// The eigenvalues of each symmetric matrix, ascending (PyTorch's `torch.linalg.eigvalsh`).
    public static func eigvalsh(_ a: Tensor) -> Tensor { eigh(a).eigenvalues }
    /// A = U diag(S) Vh with S descending (PyTorch's `torch.linalg.svd`; `fullMatrices` must be false here).
    public static func svd(_ a: Tensor, fullMatrices: Bool = true) -> (U: Tensor, S: Tensor, Vh: Tensor) {
        let m = a.rank >= 2 ? a.shape[a.rank - 2] : 0, n = a.rank >= 2 ? a.shape[a.rank - 1] : 0, k = Swift.min(m, n)
        if fullMatrices && m != n {
            fail("linalg.svd: full_matrices=True is not supported here for non-square matrices; pass fullMatrices: false (the reduced SVD)")
        }
        let batch = Array(a.shape.dropLast(2))
        let parts = unpack(LinalgSVD.apply(a), [batch + [m, k], batch + [1, k], batch + [k, n]])
        return (parts[0], parts[1].squeeze(dim: -2), parts[2])
    }
    /// The singular values, descending (PyTorch's `torch.linalg.svdvals`).
    public static func svdvals(_ a: Tensor) -> Tensor { svd(a, fullMatrices: false).S }
    /// The sign and log |det| of each square matrix (PyTorch's `torch.linalg.slogdet`).
    public static func slogdet(_ a: Tensor) -> (sign: Tensor, logabsdet: Tensor) {
        let d = det(a)
        return (noGrad { d.sign() }, d.abs().log())
    }
    /// The Moore–Penrose pseudo-inverse, dropping singular values below rtol · the largest (PyTorch's
    /// `torch.linalg.pinv`; rtol defaults to max(m, n) · eps of the dtype).
    public static func pinv(_ a: Tensor, rtol: Double? = nil) -> Tensor {
        let (u, s, vh) = svd(a, fullMatrices: false)
        let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
        let eps = a.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne)
        let tol = noGrad { s.amax(dims: [-1], keepDim: true) * (rtol ?? Double(Swift.max(m, n)) * eps) }
        let keep = noGrad { s .> tol }
        let sInv = Descent.where(keep, 1 / Descent.where(keep, s, Tensor.onesLike(s)), Tensor.zerosLike(s))
        return mT(vh).matmul(sInv.unsqueeze(-1) * mT(u))
    }
    /// The number of singular values above max(m, n) · eps · the largest (PyTorch's `torch.linalg.matrix_rank`).
    public static func matrixRank(_ a: Tensor) -> Tensor {
        noGrad {
            let s = svdvals(a)
            let m = a.shape[a.rank - 2], n = a.shape[a.rank - 1]
            let eps = a.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne)
            return (s .> s.amax(dims: [-1], keepDim: true) * (Double(Swift.max(m, n)) * eps)).sum(dims: [-1])
        }
    }
    /// The least-squares solution X of A X ≈ B (PyTorch's `torch.linalg.lstsq(A, B).solution`), through
    /// the pseudo-inverse; B is (…, m, k) or (…, m).
    public static func lstsq(_ a: Tensor, _ b: Tensor) -> (solution: Tensor, rank: Tensor) {
        let vector = b.rank == a.rank - 1
        let x = pinv(a).matmul(vector ? b.unsqueeze(-1) : b)
        return (vector ? x.squeeze(dim: -1) : x, matrixRank(a))
    }
}

/// `torch.cholesky(a)` (lower).
public func cholesky(_ a: Tensor, upper: Bool = false) -> Tensor { linalg.cholesky(a, upper: upper) }
/// `torch.pinverse(a)`.
public func pinverse(_ a: Tensor) -> Tensor { linalg.pinv(a) }
extension Tensor {
    /// `x.cholesky()`.
    public func cholesky(upper: Bool = false) -> Tensor { linalg.cholesky(self, upper: upper) }
    /// `x.pinverse()`.
    public func pinverse() -> Tensor { linalg.pinv(self) }
}
