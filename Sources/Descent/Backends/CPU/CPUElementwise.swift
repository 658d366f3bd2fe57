import CDescentKernels

// The CPU backend's elementwise, reduction, indexing, matmul and host-copy kernels: thin calls
// into the C kernels with the tensors' host addresses.

extension CPUBackend {
    @inline(__always)
    static func binary(_ op: BinaryOp, compute: DType, out: Tensor, _ a: Tensor, _ sa: [Int], _ b: Tensor, _ sb: [Int]) {
        let shape = out.shape
        shape.withUnsafeBufferPointer { sh in
            sa.withUnsafeBufferPointer { pa in
                sb.withUnsafeBufferPointer { pb in
                    dk_binary(op.rawValue, compute.code, Int32(shape.count), i64(sh), out.rawPointer, a.rawPointer, i64(pa), b.rawPointer, i64(pb))
                }
            }
        }
    }
    @inline(__always)
    static func unary(_ op: UnaryOp, _ x: Tensor, out: Tensor, _ p1: Double, _ p2: Double) {
        dk_unary(op.rawValue, out.dtype.code, Int64(out.count), x.rawPointer, out.rawPointer, p1, p2)
    }
    static func fill(_ t: Tensor, _ value: Double) { dk_fill(t.dtype.code, t.rawPointer, Int64(t.count), value) }
    static func cast(_ x: Tensor, out: Tensor) { dk_cast(x.dtype.code, x.rawPointer, out.dtype.code, out.rawPointer, Int64(out.count)) }
    static func copyStrided(_ src: Tensor, srcStrides: [Int], into dst: Tensor) {
        let shape = dst.shape
        shape.withUnsafeBufferPointer { sh in
            dst.strides.withUnsafeBufferPointer { ds in
                srcStrides.withUnsafeBufferPointer { sp in
                    dk_copy_strided(Int64(dst.dtype.itemSize), Int32(shape.count), i64(sh), dst.rawPointer, i64(ds), src.rawPointer, i64(sp))
                }
            }
        }
    }
    static func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor, out: Tensor) {
        dk_where(Int64(out.dtype.itemSize), Int64(out.count), cond.pointer(UInt8.self), a.rawPointer, b.rawPointer, out.rawPointer)
    }
    static func axpy(_ alpha: Double, _ x: Tensor, _ y: Tensor) { dk_axpy(y.dtype.code, Int64(y.count), alpha, x.rawPointer, y.rawPointer) }

    static func reduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        dk_reduce(op.rawValue, x.dtype.code, Int64(outer), Int64(r), Int64(inner), x.rawPointer, out.rawPointer)
    }
    static func argReduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, indices: Tensor, values: Tensor) {
        dk_arg_reduce(op.rawValue, x.dtype.code, Int64(outer), Int64(r), Int64(inner), x.rawPointer, indices.pointer(Int64.self), values.rawPointer)
    }
    static func softmax(_ x: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        dk_softmax(x.dtype.code, isLog ? 1 : 0, Int64(outer), Int64(r), Int64(inner), x.rawPointer, out.rawPointer)
    }
    static func softmaxBackward(_ y: Tensor, _ gy: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        dk_softmax_bwd(y.dtype.code, isLog ? 1 : 0, Int64(outer), Int64(r), Int64(inner), y.rawPointer, gy.rawPointer, out.rawPointer)
    }
    static func cumsum(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor, reverse: Bool) {
        dk_cumsum(x.dtype.code, Int64(outer), Int64(n), Int64(inner), x.rawPointer, out.rawPointer, reverse ? 1 : 0)
    }
    static func cumprod(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor) {
        dk_cumprod(x.dtype.code, Int64(outer), Int64(n), Int64(inner), x.rawPointer, out.rawPointer)
    }
    static func topkRows(_ rows: Tensor, n: Int, k: Int, largest: Bool, sorted: Bool, indices: Tensor) {
        guard n > 0, k > 0 else { return }
        let x = rows.pointer(Double.self), out = indices.pointer(Int64.self)
        for r in 0..<(rows.count / n) {
            dk_topk_row(x + r * n, Int64(n), Int64(k), largest ? 1 : 0, sorted ? 1 : 0, nil, out + r * k)
        }
    }
    static func sort(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, values: Tensor, indices: Tensor, descending: Bool) {
        dk_sort(x.dtype.code, Int64(outer), Int64(n), Int64(inner), x.rawPointer, values.rawPointer, indices.pointer(Int64.self), descending ? 1 : 0)
    }

    static func checkedIndices(_ idx: Tensor, size: Int, dim: Int, wrapNegative: Bool, message: String?) -> Tensor {
        let p = idx.pointer(Int64.self)
        let lo = wrapNegative ? -Int64(size) : 0
        var hasNegative = false
        for i in 0..<idx.count {
            let v = p[i]
            if v < lo || v >= Int64(size) { fail(message ?? "index \(v) is out of bounds for dimension \(dim) with size \(size)") }
            if v < 0 { hasNegative = true }
        }
        if !hasNegative { return idx }
        let fixed = noGrad { idx.clone() }
        let q = fixed.pointer(Int64.self)
        for i in 0..<fixed.count where q[i] < 0 { q[i] += Int64(size) }
        return fixed
    }
    static func indexSelect(_ x: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, out: Tensor) {
        dk_index_select(Int64(x.dtype.itemSize), Int64(outer), Int64(size), Int64(inner), x.rawPointer, idx.pointer(Int64.self), Int64(idx.count), out.rawPointer)
    }
    static func indexAdd(_ dst: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, _ src: Tensor) {
        dk_index_add(dst.dtype.code, Int64(outer), Int64(size), Int64(inner), dst.rawPointer, idx.pointer(Int64.self), Int64(idx.count), src.rawPointer)
    }
    static func nonzeroPositions(_ mask: Tensor) -> Tensor {
        let n = Int64(mask.count)
        let cnt = Int(dk_count_nonzero_u8(mask.pointer(UInt8.self), n))
        let idx = Tensor(uninitializedShape: [cnt], dtype: .int64, device: mask.device)
        dk_nonzero_u8(mask.pointer(UInt8.self), n, idx.pointer(Int64.self))
        return idx
    }
    static func gather(_ x: Tensor, dim: Int, _ idx: Tensor, out: Tensor) {
        let ishape = idx.rank == 0 ? [1] : idx.shape
        let xs = x.rank == 0 ? [1] : x.strides
        ishape.withUnsafeBufferPointer { sh in xs.withUnsafeBufferPointer { st in
            dk_gather_dim(Int64(x.dtype.itemSize), Int32(ishape.count), i64(sh), Int32(dim), x.rawPointer, i64(st), idx.pointer(Int64.self), out.rawPointer)
        } }
    }
    static func scatter(_ target: Tensor, dim: Int, _ idx: Tensor, _ src: Tensor, add: Bool) {
        let ishape = idx.rank == 0 ? [1] : idx.shape
        let ys = target.rank == 0 ? [1] : target.strides
        let ss = src.rank == 0 ? [Int](repeating: 0, count: ishape.count) : src.strides
        ishape.withUnsafeBufferPointer { sh in ys.withUnsafeBufferPointer { yst in ss.withUnsafeBufferPointer { sst in
            dk_scatter_dim(target.dtype.code, add ? 1 : 0, Int32(ishape.count), i64(sh), Int32(dim), target.rawPointer, i64(yst), idx.pointer(Int64.self), src.rawPointer, i64(sst))
        } } }
    }

    static func luSolve(count: Int, n: Int, k: Int, a: Tensor, b: Tensor?, det: Tensor) -> Int {
        Int(dk_lu_solve_f64(Int64(count), Int64(n), Int64(k), a.pointer(Double.self), b?.pointer(Double.self), det.pointer(Double.self)))
    }
    static func cholesky(count: Int, n: Int, a: Tensor) -> Int { Int(dk_cholesky_f64(Int64(count), Int64(n), a.pointer(Double.self))) }
    static func qr(count: Int, m: Int, n: Int, a: Tensor, q: Tensor, r: Tensor) {
        dk_qr_f64(Int64(count), Int64(m), Int64(n), a.pointer(Double.self), q.pointer(Double.self), r.pointer(Double.self))
    }
    static func eigh(count: Int, n: Int, a: Tensor, w: Tensor, v: Tensor) {
        dk_eigh_f64(Int64(count), Int64(n), a.pointer(Double.self), w.pointer(Double.self), v.pointer(Double.self))
    }
    static func svd(count: Int, m: Int, n: Int, a: Tensor, u: Tensor, s: Tensor, vh: Tensor) {
        dk_svd_f64(Int64(count), Int64(m), Int64(n), a.pointer(Double.self), u.pointer(Double.self), s.pointer(Double.self), vh.pointer(Double.self))
    }
    static func bmmSmall(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        let (sa, sb) = (a.strides.map { Int64($0) }, b.strides.map { Int64($0) })
        dk_bmm_small_f32(Int64(a.shape[0]), Int64(a.shape[1]), Int64(a.shape[2]), Int64(b.shape[2]), a.pointer(Float.self), sa[0], sa[1], sa[2],
                         b.pointer(Float.self), sb[0], sb[1], sb[2], c.pointer(Float.self))
    }

    static func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, alpha: Double, beta: Double) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        if a.dtype == .float32 {
            dk_sgemm(Int64(m), Int64(n), Int64(k), Float(alpha), a.pointer(Float.self), Int64(a.strides[0]), Int64(a.strides[1]),
                     b.pointer(Float.self), Int64(b.strides[0]), Int64(b.strides[1]), Float(beta),
                     c.pointer(Float.self), Int64(c.strides[0]), Int64(c.strides[1]))
        } else {
            dk_dgemm(Int64(m), Int64(n), Int64(k), alpha, a.pointer(Double.self), Int64(a.strides[0]), Int64(a.strides[1]),
                     b.pointer(Double.self), Int64(b.strides[0]), Int64(b.strides[1]), beta,
                     c.pointer(Double.self), Int64(c.strides[0]), Int64(c.strides[1]))
        }
    }

    /// `c = a·b` (`addToC`: `c += a·b`) for float32, rounded as PyTorch's CPU `mm`/`addmm` rounds it:
    /// the BLAS call `addmm_impl_cpu_` makes (which operand is "a", which are transposed, from the
    /// strides of c, a and b), computed in MKL's order by `dk_sgemm_torch` with PyTorch's thread
    /// count. False, computing nothing, where PyTorch would copy an operand first or the order is
    /// not known; the caller then runs Descent's own GEMM.
    /// `batch` > 1: the items of a bmm (a, b, c are item 0's views; `batchStrides` the item strides of a, b, c),
    /// as MKL's batched gemm: one thread per item.
    static func sgemmAsPyTorch(_ a: Tensor, _ b: Tensor, into c: Tensor, addToC: Bool, batch: Int = 1, batchStrides: (Int, Int, Int) = (0, 0, 0)) -> Bool {
        let rows = c.shape[0], cols = c.shape[1]
        let cs = c.strides
        var m1 = a, m2 = b
        let tc: Bool
        if cs[0] == 1 && (cols == 1 || cs[1] >= Swift.max(1, rows)) {
            tc = false
        } else if cs[1] == 1 && (rows == 1 || cs[0] >= Swift.max(1, cols)) {
            swap(&m1, &m2)
            tc = true
        } else {
            return false
        }
        let m = tc ? cols : rows, n = tc ? rows : cols, k = tc ? m1.shape[0] : m1.shape[1]
        let (i0, i1) = tc ? (1, 0) : (0, 1)
        func transposed(_ t: Tensor, _ lead: Int, _ other: Int) -> Bool? {
            let s = t.strides
            if s[i0] == 1 && s[i1] >= Swift.max(1, lead) { return false }
            if s[i1] == 1 && s[i0] >= Swift.max(1, other) { return true }
            return nil   // PyTorch clones it first
        }
        guard let ta = transposed(m1, m, k), let tb = transposed(m2, k, n) else { return false }
        let lda = m1.strides[ta == tc ? 1 : 0], ldb = m2.strides[tb == tc ? 1 : 0], ldc = cs[tc ? 0 : 1]
        if batch > 1 {
            let (s1, s2) = tc ? (batchStrides.1, batchStrides.0) : (batchStrides.0, batchStrides.1)
            return dk_sgemm_torch_batched(ta ? 1 : 0, tb ? 1 : 0, Int64(m), Int64(n), Int64(k), m1.pointer(Float.self), Int64(lda), Int64(s1),
                                          m2.pointer(Float.self), Int64(ldb), Int64(s2), c.pointer(Float.self), Int64(ldc),
                                          Int64(batchStrides.2), Int64(batch)) != 0
        }
        return dk_sgemm_torch(ta ? 1 : 0, tb ? 1 : 0, Int64(m), Int64(n), Int64(k), m1.pointer(Float.self), Int64(lda),
                              m2.pointer(Float.self), Int64(ldb), addToC ? 1 : 0, c.pointer(Float.self), Int64(ldc),
                              Int32(dk_num_threads())) != 0
    }

    /// One of torch_act.c's float32 activations (or gradients, with g); false where it is not modelled.
    static func torchActivation(_ op: Int32, g: Tensor?, x: Tensor, out: Tensor, p1: Double, p2: Double) -> Bool {
        dk_torch_activation_f32(op, Int64(x.count), g?.pointer(Float.self), x.pointer(Float.self), out.pointer(Float.self), p1, p2) != 0
    }
    static func norm2Rows(_ x: Tensor, rows: Int, size: Int, out: Tensor) {
        dk_norm2_rows_f32(Int64(rows), Int64(size), x.pointer(Float.self), out.pointer(Float.self))
    }

    static func readElement(_ t: Tensor, storageOffset off: Int) -> Double {
        let p = t.storage.hostBase
        switch t.dtype {
        case .float32: return Double(p.assumingMemoryBound(to: Float.self)[off])
        case .float64: return p.assumingMemoryBound(to: Double.self)[off]
        case .int64: return Double(p.assumingMemoryBound(to: Int64.self)[off])
        case .int32: return Double(p.assumingMemoryBound(to: Int32.self)[off])
        case .uint8, .bool: return Double(p.assumingMemoryBound(to: UInt8.self)[off])
        }
    }
    static func writeElement(_ t: Tensor, storageOffset off: Int, _ v: Double) {
        let p = t.storage.hostBase
        switch t.dtype {
        case .float32: p.assumingMemoryBound(to: Float.self)[off] = Float(v)
        case .float64: p.assumingMemoryBound(to: Double.self)[off] = v
        case .int64: p.assumingMemoryBound(to: Int64.self)[off] = Int64(v)
        case .int32: p.assumingMemoryBound(to: Int32.self)[off] = Int32(v)
        case .uint8: p.assumingMemoryBound(to: UInt8.self)[off] = UInt8(truncatingIfNeeded: Int(v))
        case .bool: p.assumingMemoryBound(to: UInt8.self)[off] = v != 0 ? 1 : 0
        }
    }
    static func copyFromHost(_ values: [Double], into t: Tensor) {
        values.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { dk_cast(DType.float64.code, base, t.dtype.code, t.rawPointer, Int64(values.count)) }
        }
    }
}
