// torch.linalg's inverse, solve and determinant for square matrices (…, n, n): LU with partial pivoting
// in double on the CPU (linalg.c; other devices go through the CPU), rounded to the input's dtype, so the
// results are accurate rather than LAPACK's last bits. Gradients are PyTorch's formulas.

/// PyTorch's `torch.linalg` functions, called as `linalg.inv(a)`, `linalg.solve(a, b)`, `linalg.det(a)`.
public enum linalg {
    /// The inverse of each square matrix (PyTorch's `torch.linalg.inv`); a singular one stops with PyTorch's message.
    public static func inv(_ a: Tensor) -> Tensor { LinalgInvEx.apply(a) }
    /// X with A X = B (PyTorch's `torch.linalg.solve`): B (…, n, k), or (…, n) for one right-hand side.
    public static func solve(_ a: Tensor, _ b: Tensor) -> Tensor {
        let vector = b.rank == a.rank - 1 || b.rank == 1
        let x = LinalgSolveEx.apply(a, vector ? b.unsqueeze(-1) : b)
        return vector ? x.squeeze(dim: -1) : x
    }
    /// The determinant of each square matrix (PyTorch's `torch.linalg.det`).
    public static func det(_ a: Tensor) -> Tensor { LinalgDet.apply(a) }
}

extension Tensor {
    /// The inverse of each square matrix (PyTorch's `x.inverse()`).
    public func inverse() -> Tensor { linalg.inv(self) }
    /// The determinant of each square matrix (PyTorch's `x.det()`).
    public func det() -> Tensor { linalg.det(self) }
}
/// `torch.inverse(x)`.
public func inverse(_ x: Tensor) -> Tensor { linalg.inv(x) }
/// `torch.det(x)`.
public func det(_ x: Tensor) -> Tensor { linalg.det(x) }

/// Checks (…, n, n) and runs the LU kernel on float64 copies: (A's LU, X or nil, dets, first singular pivot).
private func luSolve(_ name: String, _ a: Tensor, _ b: Tensor?) -> (x: Tensor?, det: Tensor, singular: (batch: Int, pivot: Int)?) {
    if a.rank < 2 { fail("\(name): The input tensor A must have at least 2 dimensions.") }
    let n = a.shape[a.rank - 1]
    if a.shape[a.rank - 2] != n { fail("\(name): A must be batches of square matrices, but they are \(a.shape[a.rank - 2]) by \(n) matrices") }
    if !a.dtype.isFloatingPoint { fail("\(name): Expected a floating point or complex tensor as input. Got \(a.dtype.scalarTypeName)") }
    let batchShape = Array(a.shape.dropLast(2))
    var bShape = batchShape, k = 0
    if let b {
        if b.rank < 2 || b.shape[b.rank - 2] != n {
            fail("\(name): Incompatible shapes of A and B for the equation AX = B (\(shapeString(Array(a.shape.suffix(2)))) and \(shapeString(Array(b.shape.suffix(2)))))")
        }
        k = b.shape[b.rank - 1]
        bShape = broadcastShapes(batchShape, Array(b.shape.dropLast(2)))
    }
    let count = bShape.reduce(1, *)
    let am = a.expand(bShape + [n, n]).to(dtype: .float64).to(.cpu).contiguous().clone()
    let bm = b.map { $0.expand(bShape + [n, k]).to(dtype: .float64).to(.cpu).contiguous().clone() }
    let det = Tensor.zeros(bShape, dtype: .float64)
    let bad = Kernels.luSolve(count: count, n: n, k: k, a: am, b: bm, det: det)
    let singular = bad == 0 ? nil : ((bad - 1) / Swift.max(n, 1), (bad - 1) % Swift.max(n, 1) + 1)
    let back = { (t: Tensor) in t.to(dtype: a.dtype).to(a.device) }
    return (bm.map(back), back(det), singular)
}

final class LinalgInvEx: Function {
    override class var gradFnName: String { "LinalgInvExBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let a = inputs[0], n = a.rank >= 2 ? a.shape[a.rank - 1] : 0
        let eye = Tensor.eye(n, dtype: a.dtype).to(a.device).expand(Array(a.shape.dropLast(2)) + [n, n])
        let r = luSolve("linalg.inv", a, eye)
        if let s = r.singular {
            fail("linalg.inv: \(a.rank > 2 ? "(Batch element \(s.batch)): " : "")The diagonal element \(s.pivot) is zero, the inversion could not be completed because the input matrix is singular.")
        }
        ctx.saveForBackward(r.x!)
        return r.x!
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let yT = ctx.savedTensors[0].transpose(-2, -1)
        return [-(yT.matmul(g).matmul(yT))]   // -A⁻ᵀ g A⁻ᵀ
    }
}

final class LinalgSolveEx: Function {
    override class var gradFnName: String { "LinalgSolveExBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let r = luSolve("linalg.solve", inputs[0], inputs[1])
        if r.singular != nil { fail("linalg.solve: The solver failed because the input matrix is singular.") }
        ctx.saveForBackward(inputs[0], r.x!)
        return r.x!
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (a, x) = (ctx.savedTensors[0], ctx.savedTensors[1])
        let gb = LinalgSolveEx.apply(a.transpose(-2, -1), g)   // Aᵀ gB = g
        return [ctx.needsInputGrad[0] ? -(gb.matmul(x.transpose(-2, -1))) : nil, gb]
    }
}

final class LinalgDet: Function {
    override class var gradFnName: String { "LinalgDetBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let d = luSolve("linalg.det", inputs[0], nil).det
        ctx.saveForBackward(inputs[0], d)
        return d
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        let (a, d) = (ctx.savedTensors[0], ctx.savedTensors[1])
        return [(g * d).unsqueeze(-1).unsqueeze(-1) * linalg.inv(a).transpose(-2, -1)]   // g det A⁻ᵀ
    }
}
