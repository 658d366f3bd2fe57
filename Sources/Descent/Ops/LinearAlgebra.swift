/// C = alpha * A·B + beta * C on 2-D views with any strides (no copies for transposed operands).
/// `asPyTorch`: a float32 product on the CPU rounds as PyTorch's `mm`/`addmm` rounds it, where that
/// order is known (MKL's, see gemm_torch.c).
@inline(__always)
func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, alpha: Double = 1, beta: Double = 0, asPyTorch: Bool = false) {
    Kernels.gemm(a, b, into: c, alpha: alpha, beta: beta, asPyTorch: asPyTorch)
}

func checkMatmulTypes(_ a: Tensor, _ b: Tensor) {
    checkSameDevice(a, b)
    if a.dtype != b.dtype { fail("expected m1 and m2 to have the same dtype, but got: \(a.dtype.scalarTypeName.lowercased()) != \(b.dtype.scalarTypeName.lowercased())") }
    if !a.dtype.isFloatingPoint { fail("\"addmm_impl_cpu_\" not implemented for '\(a.dtype.scalarTypeName)'") }
}

extension Tensor {
    /// Matrix product of two 2-D tensors (PyTorch's `mm`).
    public func mm(_ other: Tensor) -> Tensor {
        if rank != 2 { fail("self must be a matrix") }
        if other.rank != 2 { fail("mat2 must be a matrix") }
        if shape[1] != other.shape[0] {
            fail("mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))")
        }
        checkMatmulTypes(self, other)
        let out = Tensor(uninitializedShape: [shape[0], other.shape[1]], dtype: dtype, device: device)
        gemm(self, other, into: out, asPyTorch: true)
        if wantsGrad(self, other) { out.recorded(.mm, inputs: [self, other], saved: [self, other]) }
        return out
    }

    /// Batched matrix product of two 3-D tensors (PyTorch's `bmm`).
    public func bmm(_ other: Tensor) -> Tensor {
        if rank != 3 || other.rank != 3 { fail("batch1 must be a 3D tensor") }
        if shape[0] != other.shape[0] || shape[2] != other.shape[1] {
            fail("Expected size for first two dimensions of batch2 tensor to be: [\(shape[0]), \(shape[2])] but got: [\(other.shape[0]), \(other.shape[1])].")
        }
        checkMatmulTypes(self, other)
        let out = Tensor(uninitializedShape: [shape[0], shape[1], other.shape[2]], dtype: dtype, device: device)
        // PyTorch: a naive kernel below 400 multiply-adds per product, else MKL's batched gemm, which runs each
        // item's gemm on one thread when there are several items (measured at 2 threads)
        if !Kernels.bmmSmall(self, other, into: out) {
            func item(_ i: Int) -> (Tensor, Tensor, Tensor) {
                (Tensor(storage: storage, shape: [shape[1], shape[2]], strides: [strides[1], strides[2]], offset: offset + i * strides[0], dtype: dtype),
                 Tensor(storage: other.storage, shape: [other.shape[1], other.shape[2]], strides: [other.strides[1], other.strides[2]], offset: other.offset + i * other.strides[0], dtype: dtype),
                 Tensor(storage: out.storage, shape: [shape[1], other.shape[2]], strides: [out.strides[1], out.strides[2]], offset: i * out.strides[0], dtype: dtype))
            }
            let batched = shape[0] >= 2 && {
                let (a, b, c) = item(0)
                return Kernels.bmmAsPyTorch(a, b, into: c, batch: shape[0], batchStrides: (strides[0], other.strides[0], out.strides[0]))
            }()
            if !batched {
                for i in 0..<shape[0] {
                    let (a, b, c) = item(i)
                    gemm(a, b, into: c, asPyTorch: true)
                }
            }
        }
        if wantsGrad(self, other) { out.recorded(.bmm, inputs: [self, other], saved: [self, other]) }
        return out
    }

    /// Dot product of two 1-D tensors (0-dim result).
    public func dot(_ other: Tensor) -> Tensor {
        if rank != 1 || other.rank != 1 { fail("1D tensors expected, but got \(rank)D and \(other.rank)D tensors") }
        if shape[0] != other.shape[0] { fail("inconsistent tensor size, expected tensor [\(shape[0])] and src [\(other.shape[0])] to have the same number of elements, but got \(shape[0]) and \(other.shape[0]) elements respectively") }
        checkMatmulTypes(self, other)
        let out = noGrad { unsqueeze(0).mm(other.unsqueeze(1)).reshape([]) }
        if wantsGrad(self, other) { out.recorded(.dot, inputs: [self, other], saved: [self, other]) }
        return out
    }

    /// Matrix product with PyTorch's `matmul` rules: 1-D·1-D dot, matrix-vector, matrix-matrix,
    /// and batched products with broadcasting of the batch dims.
    public func matmul(_ other: Tensor) -> Tensor {
        let a = self, b = other
        switch (a.rank, b.rank) {
        case (1, 1): return a.dot(b)
        case (2, 2): return a.mm(b)
        case (1, 2):
            let m = a.unsqueeze(0).mm(b)
            let out = noGrad { m.squeeze(dim: 0) }
            if wantsGrad(m) { out.recorded(.squeezeDims(inShape: m.shape), inputs: [m]) }   // PyTorch's SqueezeBackward4
            return out
        case (2, 1): return a.mv(b)
        case (0, _), (_, 0): fail("both arguments to matmul need to be at least 1D, but they are \(a.rank)D and \(b.rank)D")
        default: break
        }
        if a.rank >= 3 && b.rank <= 2 {
            // fold the batch into rows: (..., n, k) x (k, m)
            let b2 = b.rank == 1 ? b.unsqueeze(1) : b
            let k = a.shape[a.rank - 1]
            if k != b2.shape[0] { fail("mat1 and mat2 shapes cannot be multiplied (\(a.count / Swift.max(k, 1))x\(k) and \(b2.shape[0])x\(b2.shape[1]))") }
            let r = a.reshape(-1, k).mm(b2)
            var s = Array(a.shape.dropLast()) + [b2.shape[1]]
            if b.rank == 1 { s.removeLast() }
            return r.unsafeView(s)
        }
        if a.rank <= 2 && b.rank >= 3 && wantsGrad(a) {
            // PyTorch folds b's batch into the rows of bᵀ when a requires grad: one mm (or mv), transposed back
            let k = b.shape[b.rank - 2], m = b.shape[b.rank - 1], batch = Array(b.shape.dropLast(2))
            let bt = b.transpose(-2, -1).reshape(-1, k)
            if a.rank == 1 { return bt.mv(a).unsafeView(batch + [m]) }
            return bt.mm(a.t()).unsafeView(batch + [m, a.shape[0]]).transpose(-2, -1).contiguous()
        }
        let a2 = a.rank == 1 ? a.unsqueeze(0) : a
        let b2 = b.rank == 1 ? b.unsqueeze(1) : b
        let n = a2.shape[a2.rank - 2], k = a2.shape[a2.rank - 1], k2 = b2.shape[b2.rank - 2], m = b2.shape[b2.rank - 1]
        if k != k2 { fail("Expected size for first two dimensions of batch2 tensor to be: [\(a2.shape.dropLast(2).reduce(1, *)), \(k)] but got: [\(b2.shape.dropLast(2).reduce(1, *)), \(k2)].") }
        let batch = broadcastShapes(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2)))
        let bc = batch.reduce(1, *)
        // PyTorch's expand + reshape: a view where the strides allow it (a transposed operand stays
        // transposed, which decides MKL's kernel), else a copy
        func batched(_ t: Tensor, _ rows: Int, _ cols: Int) -> Tensor {
            let e = t.expand(batch + [rows, cols])
            return e.viewStrides([bc, rows, cols]) != nil ? e.view([bc, rows, cols]) : e.reshape(bc, rows, cols)
        }
        let aa = batched(a2, n, k), bb = batched(b2, k, m)
        var outShape = batch + [n, m]
        if b.rank == 1 { outShape.removeLast() }
        if a.rank == 1 { outShape.remove(at: batch.count) }
        return aa.bmm(bb).unsafeView(outShape)
    }

    /// Matrix-vector product (PyTorch's `mv`).
    public func mv(_ v: Tensor) -> Tensor {
        if rank != 2 || v.rank != 1 { fail("vector + matrix @ vector expected, got \(rank), \(v.rank)") }
        if shape[1] != v.shape[0] { fail("size mismatch, got input (\(shape[0])), mat (\(shape[0])x\(shape[1])), vec (\(v.shape[0]))") }
        checkMatmulTypes(self, v)
        let out = noGrad { mm(v.unsqueeze(1)).reshape(shape[0]) }
        if wantsGrad(self, v) { out.recorded(.mv, inputs: [self, v], saved: [self, v]) }
        return out
    }

    /// Outer product of two 1-D tensors.
    public func outer(_ other: Tensor) -> Tensor {
        if rank != 1 || other.rank != 1 { fail("outer: expected 1D tensors") }
        return unsqueeze(1) * other.unsqueeze(0)
    }
}

/// beta * input + alpha * (mat1 · mat2) with `input` broadcast to the result (PyTorch's `addmm`).
public func addmm(_ input: Tensor, _ mat1: Tensor, _ mat2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
    if mat1.rank != 2 || mat2.rank != 2 { fail("mat1 must be a matrix, got \(mat1.rank)-D tensor") }
    if mat1.shape[1] != mat2.shape[0] {
        fail("mat1 and mat2 shapes cannot be multiplied (\(mat1.shape[0])x\(mat1.shape[1]) and \(mat2.shape[0])x\(mat2.shape[1]))")
    }
    checkMatmulTypes(mat1, mat2); checkSameDevice(input, mat1)
    let shape = [mat1.shape[0], mat2.shape[1]]
    let out = Tensor(uninitializedShape: shape, dtype: mat1.dtype, device: mat1.device)
    let bias = input.dtype == mat1.dtype ? input : noGrad { input.to(dtype: mat1.dtype) }
    _ = broadcastShapes(bias.shape, shape)
    copyStrided(from: bias, into: out)
    if beta != 1 { Kernels.unary(.affine, out, out: out, beta, 0) }
    gemm(mat1, mat2, into: out, alpha: alpha, beta: 1, asPyTorch: true)
    if gradEnabled && (input.requiresGradFlag || mat1.requiresGradFlag || mat2.requiresGradFlag) {
        out.recorded(.addmm(biasShape: input.shape, beta: beta, alpha: alpha), inputs: [input, mat1, mat2], saved: [mat1, mat2])
    }
    return out
}

public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b) }
public func mm(_ a: Tensor, _ b: Tensor) -> Tensor { a.mm(b) }
public func bmm(_ a: Tensor, _ b: Tensor) -> Tensor { a.bmm(b) }
public func outer(_ a: Tensor, _ b: Tensor) -> Tensor { a.outer(b) }
public func dot(_ a: Tensor, _ b: Tensor) -> Tensor { a.dot(b) }
public func mv(_ a: Tensor, _ v: Tensor) -> Tensor { a.mv(v) }
