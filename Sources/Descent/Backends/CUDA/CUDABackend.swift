import Foundation

// The CUDA backend's entries (`Kernels` calls them for tensors on `.cuda(i)`): GPU kernels from
// `KernelSource`, launched on the device's runtime (the CUDA driver, or OpenCL in tests). Every op
// has its GPU kernel now; an op added without one runs its CPU kernel on host copies of the operands
// (`onHost`), with the same results, slowly, and `CUDABackend.hostFallbacks` counts it for the GPU
// suite's report (whose checks expect none).

enum CUDABackend {
    static let threads = 256

    @inline(__always) static func context(_ t: Tensor) -> GPUContext {
        guard case .cuda(let i) = t.device else { fatalError("\(t.device) is not a CUDA device") }
        return GPURegistry.context(i)
    }
    /// A tensor as a kernel argument (its storage's address and its offset).
    @inline(__always) static func arg(_ t: Tensor) -> KernelArg {
        .tensor(address: t.storage.deviceAddress, elementOffset: t.offset, itemSize: t.dtype.itemSize)
    }
    @inline(__always) static func arg(_ t: Tensor?) -> KernelArg { t.map { arg($0) } ?? .null }
    /// `t` on `device` (a 0-dim CPU operand of a GPU op is copied over, as PyTorch does with scalars).
    /// `t` on `device`. A one-element CPU operand of a GPU op (a wrapped number, as in `x * 2`) is
    /// filled in on the device by a kernel, so no copy makes the host wait for the device.
    @inline(__always) static func on(_ device: Device, _ t: Tensor) -> Tensor {
        if t.device == device { return t }
        if device.isCUDA, let v = hostScalar(t) {
            let d = Tensor(uninitializedShape: t.shape, dtype: t.dtype, device: device)
            fill(d, v)
            return d
        }
        return t.to(device)
    }
    /// The value of a one-element CPU tensor when a Double holds it exactly (every float, integers up to 2^53).
    static func hostScalar(_ t: Tensor) -> Double? {
        guard t.device == .cpu, t.count == 1 else { return nil }
        if t.dtype == .int64 {
            let v = t.storage.hostBase.load(fromByteOffset: t.offset * 8, as: Int64.self)
            return abs(v) <= 1 << 53 ? Double(v) : nil
        }
        return Kernels.readElement(t, storageOffset: t.offset)
    }

    /// Launches `name` with one thread per element of `n` (grid-stride loops past 4,096 blocks).
    static func launch(_ ctx: GPUContext, _ name: String, elements n: Int, _ args: [KernelArg]) {
        guard n > 0 else { return }
        UpdateBatch.flushBeforeOtherWork()
        let blocks = Swift.min((n + threads - 1) / threads, 4096)
        ctx.runtime.launch(ctx.function(name), blocks: blocks, threads: threads, args)
    }
    /// Launches `name` with one block per output (grid-stride past 4,096 blocks).
    static func launch(_ ctx: GPUContext, _ name: String, blocks n: Int, _ args: [KernelArg]) {
        guard n > 0 else { return }
        UpdateBatch.flushBeforeOtherWork()
        ctx.runtime.launch(ctx.function(name), blocks: Swift.min(n, 4096), threads: threads, args)
    }

    /// A shape and two stride lists as the kernels' `dk_shape`, after merging dimensions that are
    /// contiguous in both (and dropping size-1 ones); stops past 8 dimensions that cannot merge.
    static func shapeArg(_ shape: [Int], _ sa: [Int], _ sb: [Int]) -> KernelArg {
        var n: [Int] = [], a: [Int] = [], b: [Int] = []
        for d in shape.indices where shape[d] != 1 {
            if let last = n.indices.last, a[last] == sa[d] * shape[d], b[last] == sb[d] * shape[d] {
                n[last] *= shape[d]; a[last] = sa[d]; b[last] = sb[d]
            } else { n.append(shape[d]); a.append(sa[d]); b.append(sb[d]) }
        }
        if n.isEmpty { n = [1]; a = [0]; b = [0] }
        return rawShapeArg(n, a, b, original: shape)
    }
    /// A shape and its stride lists as `dk_shape`, dimension for dimension (gather needs `dim` kept).
    static func rawShapeArg(_ shape: [Int], _ sa: [Int], _ sb: [Int] = [], original: [Int]? = nil) -> KernelArg {
        if shape.count > 8 { fail("CUDA kernels take at most 8 dimensions (after merging contiguous ones); got shape \(original ?? shape)") }
        func pad(_ v: [Int]) -> [Int64] { v.map(Int64.init) + [Int64](repeating: 0, count: 8 - v.count) }
        return .bytes([Int64(shape.count)] + pad(shape) + pad(sa) + pad(sb))
    }

    // MARK: host fallback

    /// Counts the ops that ran on the host for want of a GPU kernel (for the GPU suite's report).
    static var hostFallbacks: [String: Int] { fallbackLock.lock(); defer { fallbackLock.unlock() }; return fallbackCounts }
    private nonisolated(unsafe) static var fallbackCounts: [String: Int] = [:]
    private static let fallbackLock = NSLock()

    /// Runs a CPU kernel on host copies of GPU tensors: each distinct storage among `tensors` is
    /// copied to the host whole (views keep their offsets and strides), `body` runs with `h(t)`
    /// giving each tensor's host twin, and the storages of `written` are copied back.
    static func onHost<R>(_ op: String, _ tensors: [Tensor?], written: [Tensor?], _ body: (_ h: (Tensor?) -> Tensor?) -> R) -> R {
        UpdateBatch.flushBeforeOtherWork()
        fallbackLock.lock(); fallbackCounts[op, default: 0] += 1; fallbackLock.unlock()
        var twins: [ObjectIdentifier: Storage] = [:]
        for case let t? in tensors + written where t.device.isCUDA && twins[ObjectIdentifier(t.storage)] == nil {
            let host = Storage(byteCount: t.storage.byteCount, device: .cpu)
            context(t).runtime.download(from: t.storage.deviceAddress, bytes: t.storage.byteCount, to: host.hostBase)
            twins[ObjectIdentifier(t.storage)] = host
        }
        func h(_ t: Tensor?) -> Tensor? {
            guard let t, t.device.isCUDA, let s = twins[ObjectIdentifier(t.storage)] else { return t }
            return Tensor(storage: s, shape: t.shape, strides: t.strides, offset: t.offset, dtype: t.dtype)
        }
        let result = body(h)
        var done = Set<ObjectIdentifier>()
        for case let t? in written where t.device.isCUDA && done.insert(ObjectIdentifier(t.storage)).inserted {
            let s = twins[ObjectIdentifier(t.storage)]!
            context(t).runtime.upload(s.hostBase, bytes: s.byteCount, to: t.storage.deviceAddress)
        }
        return result
    }

    // MARK: elementwise

    static func binary(_ op: BinaryOp, compute: DType, out: Tensor, _ a: Tensor, _ sa: [Int], _ b: Tensor, _ sb: [Int]) {
        let ctx = context(out)
        let isCompare = (op.rawValue >= BinaryOp.eq.rawValue && op.rawValue <= BinaryOp.ge.rawValue) || op == .logicalAnd || op == .logicalOr
        // a host scalar operand goes by value
        func byValue(_ x: Tensor, _ sx: [Int], _ v: Double, scalarFirst: Bool) {
            let name = (isCompare ? "dk_compare_scalar_" : "dk_binary_scalar_") + KernelType.suffix(compute)
            launch(ctx, name, elements: out.count, [.i32(op.rawValue), .i32(scalarFirst ? 1 : 0), .i64(Int64(out.count)),
                                                    shapeArg(out.shape, sx, [Int](repeating: 0, count: out.rank)), arg(out), arg(x), .f64(v)])
        }
        if a.device == out.device, let v = hostScalar(b) { byValue(a, sa, v, scalarFirst: false); return }
        if b.device == out.device, let v = hostScalar(a) { byValue(b, sb, v, scalarFirst: true); return }
        let a = on(out.device, a), b = on(out.device, b)
        let name = (isCompare ? "dk_compare_" : "dk_binary_") + KernelType.suffix(compute)
        launch(ctx, name, elements: out.count, [.i32(op.rawValue), .i64(Int64(out.count)), shapeArg(out.shape, sa, sb), arg(out), arg(a), arg(b)])
    }
    static func unary(_ op: UnaryOp, _ x: Tensor, out: Tensor, _ p1: Double, _ p2: Double) {
        switch out.dtype {
        case .float32, .float64: break
        case .int64, .int32:
            guard [.neg, .abs, .sign, .square, .clamp].contains(op) else { fail("\(op) is not implemented for \(out.dtype) on CUDA") }
        case .uint8, .bool: fail("\(op) is not implemented for \(out.dtype) on CUDA")
        }
        launch(context(out), "dk_unary_" + KernelType.suffix(out.dtype), elements: out.count,
               [.i32(op.rawValue), .i64(Int64(out.count)), arg(x), arg(out), .f64(p1), .f64(p2)])
    }
    static func fill(_ t: Tensor, _ value: Double) {
        launch(context(t), "dk_fill_" + KernelType.suffix(t.dtype), elements: t.count, [.i64(Int64(t.count)), arg(t), .f64(value)])
    }
    static func cast(_ x: Tensor, out: Tensor) {
        UpdateBatch.flushBeforeOtherWork()
        let ctx = context(out)
        if x.dtype == out.dtype {
            let size = out.dtype.itemSize
            ctx.runtime.copy(from: x.storage.deviceAddress + UInt64(x.offset * size), to: out.storage.deviceAddress + UInt64(out.offset * size),
                             bytes: out.count * size)
            return
        }
        launch(ctx, "dk_cast_\(KernelType.suffix(x.dtype))_\(KernelType.suffix(out.dtype))", elements: out.count,
               [.i64(Int64(out.count)), arg(x), arg(out)])
    }
    static func copyStrided(_ src: Tensor, srcStrides: [Int], into dst: Tensor) {
        if src.device != dst.device {
            // a source on another device (a CPU state dict copied into CUDA parameters): gather it on its
            // own device into dst's shape first, then move that and copy it into dst's layout
            let gathered = Tensor(uninitializedShape: dst.shape, dtype: dst.dtype, device: src.device)
            Kernels.copyStrided(src, srcStrides: srcStrides, into: gathered)
            let moved = gathered.to(dst.device)
            Kernels.copyStrided(moved, srcStrides: moved.strides, into: dst)
            return
        }
        if dst.isContiguous && src.dtype == dst.dtype && srcStrides == dst.strides {
            // both dense in the same order: one device-to-device copy
            cast(src, out: dst)
            return
        }
        launch(context(dst), "dk_copy_strided_\(dst.dtype.itemSize)", elements: dst.count,
               [.i64(Int64(dst.count)), shapeArg(dst.shape, dst.strides, srcStrides), arg(dst), arg(src)])
    }
    static func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor, out: Tensor) {
        let d = out.device
        launch(context(out), "dk_where_\(out.dtype.itemSize)", elements: out.count,
               [.i64(Int64(out.count)), arg(on(d, cond)), arg(on(d, a)), arg(on(d, b)), arg(out)])
    }
    /// y = op(y + bias) with bias broadcast along y's rows (y contiguous, 2-D).
    static func biasActivation(_ y: Tensor, bias: Tensor, _ op: UnaryOp) {
        launch(context(y), "dk_bias_activation_" + KernelType.suffix(y.dtype), elements: y.count,
               [.i32(op.rawValue), .i64(Int64(y.count)), .i64(Int64(y.shape[1])), arg(y), arg(bias.isContiguous ? bias : bias.contiguous())])
    }
    static func erfinv(_ x: Tensor, out: Tensor) {
        launch(context(out), "dk_erfinv_" + KernelType.suffix(out.dtype), elements: out.count, [.i64(Int64(out.count)), arg(x), arg(out)])
    }
    static func special(_ f: SpecialFunction, order k: Int, _ x: Tensor, out: Tensor) {
        launch(context(out), "dk_special_" + KernelType.suffix(out.dtype), elements: out.count,
               [.i32(f.rawValue), .i32(Int32(k)), .i64(Int64(out.count)), arg(x), arg(out)])
    }
    /// param += alpha * flat[offset ..< offset + param.count]: the slice uploaded, then added on the device (LBFGS).
    static func addScaledFromHost(_ alpha: Float, _ flat: [Float], offset: Int, into param: Tensor) {
        axpy(Double(alpha), hostSlice(flat, offset: offset, like: param), param)
    }
    /// param = flat[offset ..< offset + param.count], one upload (LBFGS).
    static func copyFromHost(_ flat: [Float], offset: Int, into param: Tensor) {
        precondition(param.dtype == .float32 && param.isContiguous && offset + param.count <= flat.count)
        UpdateBatch.flushBeforeOtherWork()
        flat.withUnsafeBytes { b in
            context(param).runtime.upload(b.baseAddress! + offset * 4, bytes: param.count * 4,
                                          to: param.storage.deviceAddress + UInt64(param.offset * 4))
        }
    }
    private static func hostSlice(_ flat: [Float], offset: Int, like param: Tensor) -> Tensor {
        let t = Tensor(uninitializedShape: param.shape, dtype: .float32, device: param.device)
        copyFromHost(flat, offset: offset, into: t)
        return t
    }
    static func axpy(_ alpha: Double, _ x: Tensor, _ y: Tensor) {
        launch(context(y), "dk_axpy_" + KernelType.suffix(y.dtype), elements: y.count, [.i64(Int64(y.count)), .f64(alpha), arg(x), arg(y)])
    }

    // MARK: reductions

    static func reduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        // the kernel reads and writes one type: a bool or integer sum (int64 out) converts its input first
        let src = x.dtype == out.dtype ? x : noGrad { x.to(dtype: out.dtype) }
        launch(context(out), "dk_reduce_" + KernelType.suffix(out.dtype), blocks: outer * inner,
               [.i32(op.rawValue), .i64(Int64(outer)), .i64(Int64(r)), .i64(Int64(inner)), arg(src), arg(out)])
    }
    static func argReduce(_ op: ReduceOp, _ x: Tensor, _ outer: Int, _ r: Int, _ inner: Int, indices: Tensor, values: Tensor) {
        launch(context(values), "dk_arg_reduce_" + KernelType.suffix(x.dtype), blocks: outer * inner,
               [.i32(op.rawValue), .i64(Int64(outer)), .i64(Int64(r)), .i64(Int64(inner)), arg(x), arg(indices), arg(values)])
    }
    static func softmax(_ x: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        launch(context(out), "dk_softmax_" + KernelType.suffix(x.dtype), blocks: outer * inner,
               [.i32(isLog ? 1 : 0), .i64(Int64(outer)), .i64(Int64(r)), .i64(Int64(inner)), arg(x), arg(out)])
    }
    static func softmaxBackward(_ y: Tensor, _ gy: Tensor, isLog: Bool, _ outer: Int, _ r: Int, _ inner: Int, out: Tensor) {
        launch(context(out), "dk_softmax_backward_" + KernelType.suffix(y.dtype), blocks: outer * inner,
               [.i32(isLog ? 1 : 0), .i64(Int64(outer)), .i64(Int64(r)), .i64(Int64(inner)), arg(y), arg(gy), arg(out)])
    }
    static func cumsum(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor, reverse: Bool) {
        launch(context(out), "dk_cumsum_" + KernelType.suffix(x.dtype), elements: outer * inner,
               [.i64(Int64(outer)), .i64(Int64(n)), .i64(Int64(inner)), arg(x), arg(out), .i32(reverse ? 1 : 0)])
    }
    static func cumprod(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, out: Tensor) {
        launch(context(out), "dk_cumprod_" + KernelType.suffix(x.dtype), elements: outer * inner,
               [.i64(Int64(outer)), .i64(Int64(n)), .i64(Int64(inner)), arg(x), arg(out)])
    }

    // MARK: indexing

    /// Checks the indices on the host (PyTorch checks them on the device and reports asynchronously).
    static func checkedIndices(_ idx: Tensor, size: Int, dim: Int, wrapNegative: Bool, message: String?) -> Tensor {
        let host = idx.to(.cpu)
        let checked = CPUBackend.checkedIndices(host, size: size, dim: dim, wrapNegative: wrapNegative, message: message)
        return checked === host ? idx : checked.to(idx.device)
    }
    static func indexSelect(_ x: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, out: Tensor) {
        launch(context(out), "dk_index_select_" + KernelType.suffix(x.dtype), elements: out.count,
               [.i64(Int64(outer)), .i64(Int64(size)), .i64(Int64(inner)), arg(x), arg(on(out.device, idx)), .i64(Int64(idx.count)), arg(out)])
    }
    static func indexAdd(_ dst: Tensor, _ outer: Int, _ size: Int, _ inner: Int, _ idx: Tensor, _ src: Tensor) {
        launch(context(dst), "dk_index_add_" + KernelType.suffix(dst.dtype), elements: outer * inner,
               [.i64(Int64(outer)), .i64(Int64(size)), .i64(Int64(inner)), arg(dst), arg(on(dst.device, idx)), .i64(Int64(idx.count)), arg(src)])
    }
    /// target[..idx..] = src (or += when `add`), deterministically: repeated indices write or add in
    /// order, as the CPU kernel does (PyTorch's CUDA kernels use atomics and leave the order open).
    static func scatter(_ target: Tensor, dim: Int, _ idx: Tensor, _ src: Tensor, add: Bool) {
        let ishape = idx.rank == 0 ? [1] : idx.shape
        guard idx.count > 0 else { return }
        let ys = target.rank == 0 ? [1] : target.strides
        let ss = src.rank == 0 ? [Int](repeating: 0, count: ishape.count) : src.strides
        let columns = idx.count / ishape[dim]
        launch(context(target), "dk_scatter_" + KernelType.suffix(target.dtype), elements: columns,
               [.i32(add ? 1 : 0), .i64(Int64(columns)), rawShapeArg(ishape, ys, ss), .i32(Int32(dim)), arg(target),
                arg(on(target.device, idx)), arg(on(target.device, src))])
    }
    /// A stable sort of each (outer, inner) row of n, NaN above every number: a bitonic network, one
    /// block a row, or for fewer than 32 rows longer than 1,024, one launch a stage of the network
    /// with every comparator of every row in parallel (a single block would sort a long row alone).
    static func sort(_ x: Tensor, _ outer: Int, _ n: Int, _ inner: Int, values: Tensor, indices: Tensor, descending: Bool) {
        let ctx = context(values), rows = outer * inner, s = KernelType.suffix(x.dtype)
        if n > 1024 && rows < 32 {
            var p = 1
            while p < n { p <<= 1 }
            let shape: [KernelArg] = [.i64(Int64(outer)), .i64(Int64(n)), .i64(Int64(inner))]
            launch(ctx, "dk_sort_start_" + s, elements: x.count, shape + [arg(x), arg(values), arg(indices)])
            var size = 2
            while size <= p {
                var j = size / 2
                while j > 0 {
                    launch(ctx, "dk_sort_stage_" + s, elements: rows * p / 2,
                           shape + [.i64(Int64(p)), .i64(Int64(size)), .i64(Int64(j)), .i32(descending ? 1 : 0), arg(values), arg(indices)])
                    j /= 2
                }
                size *= 2
            }
            return
        }
        launch(ctx, "dk_sort_" + s, blocks: rows,
               [.i64(Int64(outer)), .i64(Int64(n)), .i64(Int64(inner)), .i32(descending ? 1 : 0), arg(x), arg(values), arg(indices)])
    }
    /// The flat positions of a contiguous byte mask's nonzero entries, in order: a count per block,
    /// added up on the host (the output's size; PyTorch's nonzero waits for it too), then each block
    /// writes its positions (`dk_nonzero_count`, `dk_nonzero_write`).
    static func nonzeroPositions(_ mask: Tensor) -> Tensor {
        let n = mask.count
        guard n > 0 else { return Tensor(uninitializedShape: [0], dtype: .int64, device: mask.device) }
        let ctx = context(mask)
        let blocks = Swift.min((n + threads - 1) / threads, 4096), chunk = (n + blocks - 1) / blocks
        let counts = Tensor(uninitializedShape: [blocks], dtype: .int64, device: mask.device)
        launch(ctx, "dk_nonzero_count", blocks: blocks, [.i64(Int64(n)), .i64(Int64(chunk)), arg(mask), arg(counts)])
        var starts: [Double] = [], total = 0
        for c in Kernels.elements(counts, as: Int64.self) { starts.append(Double(total)); total += Int(c) }
        let out = Tensor(uninitializedShape: [total], dtype: .int64, device: mask.device)
        guard total > 0 else { return out }
        let first = Tensor(uninitializedShape: [blocks], dtype: .int64, device: mask.device)
        copyFromHost(starts, into: first)
        launch(ctx, "dk_nonzero_write", blocks: blocks, [.i64(Int64(n)), .i64(Int64(chunk)), arg(mask), arg(first), arg(out)])
        return out
    }
    static func gather(_ x: Tensor, dim: Int, _ idx: Tensor, out: Tensor) {
        let ishape = idx.rank == 0 ? [1] : idx.shape
        let xs = x.rank == 0 ? [1] : x.strides
        launch(context(out), "dk_gather_" + KernelType.suffix(x.dtype), elements: out.count,
               [.i64(Int64(out.count)), rawShapeArg(ishape, xs), .i32(Int32(dim)), arg(x), arg(on(out.device, idx)), arg(out)])
    }

    // MARK: linear algebra

    /// c = alpha·a·b + beta·c: cuBLAS when it is loaded (operands without a unit stride copied first),
    /// else the tiled kernel, which takes any strides.
    static func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, alpha: Double, beta: Double) {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        guard m > 0 && n > 0 else { return }
        UpdateBatch.flushBeforeOtherWork()
        let ctx = context(c)
        if ctx.runtime is CUDARuntime, case .success = CUBLAS.shared {
            let unit = { (t: Tensor) in BLASGemm.layout(t.shape[0], t.shape[1], t.strides) != nil ? t : t.contiguous() }
            let ua = unit(a), ub = unit(b)
            // the copies stay alive until the product is queued (their memory is not handed out again before it runs)
            let done = withExtendedLifetime((ua, ub)) {
                BLASGemm.layout(m, n, c.strides)?.trans == false
                    && BLASGemm(ua, ub, into: c, alpha: alpha, beta: beta).map { ctx.runtime.blasGemm($0, tf32: CUDA.matmulAllowTF32) } == true
            }
            if done { return }
        }
        let tiles = ((m + 15) / 16) * ((n + 15) / 16)
        launch(context(c), "dk_gemm_" + KernelType.suffix(c.dtype), blocks: tiles,
               [.i64(Int64(m)), .i64(Int64(n)), .i64(Int64(k)), .f64(alpha), arg(a), .i64(Int64(a.strides[0])), .i64(Int64(a.strides[1])),
                arg(b), .i64(Int64(b.strides[0])), .i64(Int64(b.strides[1])), .f64(beta), arg(c), .i64(Int64(c.strides[0])), .i64(Int64(c.strides[1]))])
    }

    // MARK: convolution and pooling (contiguous operands)

    /// A view of `t`'s memory with the given shape, strides and extra offset (no copy).
    private static func view(_ t: Tensor, _ shape: [Int], _ strides: [Int], offset: Int = 0) -> Tensor {
        Tensor(storage: t.storage, shape: shape, strides: strides, offset: t.offset + offset, dtype: t.dtype)
    }
    private static func window(_ g: Window2D) -> KernelArg {
        .bytes([g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow].map(Int64.init))
    }
    private static func im2col(_ ctx: GPUContext, _ g: Window2D, group: Int, _ x: Tensor, into cols: Tensor) {
        let cg = g.c / g.groups
        launch(ctx, "dk_im2col_" + KernelType.suffix(x.dtype), elements: cols.count,
               [.i64(Int64(g.n)), .i64(Int64(g.c)), .i64(Int64(group * cg)), .i64(Int64(cg)), window(g), arg(x), arg(cols)])
    }

    /// Each group: cols (cg·kh·kw × n·oh·ow) from x, then out = w_g · cols, moved to (n, oc, oh, ow); then the bias.
    static func conv2dForward(_ g: Window2D, _ x: Tensor, _ w: Tensor, _ b: Tensor?, out: Tensor) {
        let ctx = context(out)
        let cg = g.c / g.groups, ocg = g.oc / g.groups, k = cg * g.kh * g.kw, l = g.oh * g.ow
        guard out.count > 0 else { return }
        let cols = Tensor(uninitializedShape: [k, g.n * l], dtype: x.dtype, device: x.device)
        let product = Tensor(uninitializedShape: [ocg, g.n * l], dtype: x.dtype, device: x.device)
        for group in 0..<g.groups {
            im2col(ctx, g, group: group, x, into: cols)
            gemm(view(w, [ocg, k], [k, 1], offset: group * ocg * k), cols, into: product, alpha: 1, beta: 0)
            copyStrided(product, srcStrides: [l, g.n * l, 1], into: view(out, [g.n, ocg, l], [g.oc * l, l, 1], offset: group * ocg * l))
        }
        if let b {
            launch(ctx, "dk_channel_bias_" + KernelType.suffix(out.dtype), elements: out.count,
                   [.i64(Int64(out.count)), .i64(Int64(g.oc)), .i64(Int64(l)), arg(b), arg(out)])
        }
    }
    /// gw_g = gy_g · colsᵀ, cols' gradient = w_gᵀ · gy_g gathered back into gx (col2im), gb = gy summed over n and positions.
    static func conv2dBackward(_ g: Window2D, x: Tensor?, w: Tensor, gy: Tensor, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        let ctx = context(gy), s = KernelType.suffix(gy.dtype)
        let cg = g.c / g.groups, ocg = g.oc / g.groups, k = cg * g.kh * g.kw, l = g.oh * g.ow
        if l == 0 || g.oc == 0 || g.n == 0 {
            for case let t? in [gx, gw, gb] { fill(t, 0) }
            return
        }
        let gyGroup = Tensor(uninitializedShape: [ocg, g.n * l], dtype: gy.dtype, device: gy.device)
        let cols = Tensor(uninitializedShape: [k, g.n * l], dtype: gy.dtype, device: gy.device)
        for group in 0..<g.groups {
            copyStrided(view(gy, [ocg, g.n, l], [l, g.oc * l, 1], offset: group * ocg * l), srcStrides: [l, g.oc * l, 1],
                        into: view(gyGroup, [ocg, g.n, l], [g.n * l, l, 1]))
            let wg = view(w, [ocg, k], [k, 1], offset: group * ocg * k)
            if let gw, let x {
                im2col(ctx, g, group: group, x, into: cols)
                gemm(gyGroup, view(cols, [g.n * l, k], [1, g.n * l]), into: view(gw, [ocg, k], [k, 1], offset: group * ocg * k), alpha: 1, beta: 0)
            }
            if let gx {
                gemm(view(wg, [k, ocg], [1, k]), gyGroup, into: cols, alpha: 1, beta: 0)
                launch(ctx, "dk_col2im_" + s, elements: g.n * cg * g.h * g.w,
                       [.i64(Int64(g.n)), .i64(Int64(g.c)), .i64(Int64(group * cg)), .i64(Int64(cg)), window(g), arg(cols), arg(gx)])
            }
        }
        if let gb {
            let perImage = Tensor(uninitializedShape: [g.n * g.oc], dtype: gy.dtype, device: gy.device)
            reduce(.sum, gy, g.n * g.oc, l, 1, out: perImage)
            reduce(.sum, perImage, 1, g.n, g.oc, out: gb)
        }
    }
    static func maxPool2dForward(_ g: Window2D, _ x: Tensor, out: Tensor, indices: Tensor) {
        launch(context(out), "dk_max_pool_forward_" + KernelType.suffix(x.dtype), elements: out.count,
               [.i64(Int64(g.n * g.c)), window(g), arg(x), arg(out), arg(indices)])
    }
    static func maxPool2dBackward(_ g: Window2D, _ gy: Tensor, indices: Tensor, gx: Tensor) {
        launch(context(gx), "dk_max_pool_backward_" + KernelType.suffix(gx.dtype), elements: g.n * g.c,
               [.i64(Int64(g.n * g.c)), window(g), arg(gy), arg(indices), arg(gx)])
    }
    static func avgPool2dForward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ x: Tensor, out: Tensor) {
        launch(context(out), "dk_avg_pool_forward_" + KernelType.suffix(x.dtype), elements: out.count,
               [.i64(Int64(g.n * g.c)), window(g), .i32(countIncludePad ? 1 : 0), .i64(Int64(divisor)), arg(x), arg(out)])
    }
    static func avgPool2dBackward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ gy: Tensor, gx: Tensor) {
        launch(context(gx), "dk_avg_pool_backward_" + KernelType.suffix(gx.dtype), elements: g.n * g.c,
               [.i64(Int64(g.n * g.c)), window(g), .i32(countIncludePad ? 1 : 0), .i64(Int64(divisor)), arg(gy), arg(gx)])
    }

    static func adaptiveAvgPool2d(_ x: Tensor, planes: Int, h: Int, w: Int, oh: Int, ow: Int, out: Tensor, backward: Bool) {
        launch(context(out), "dk_adaptive_avg_pool_" + KernelType.suffix(out.dtype), elements: backward ? planes : planes * oh * ow,
               [.i32(backward ? 1 : 0), .i64(Int64(planes)), .i64(Int64(h)), .i64(Int64(w)), .i64(Int64(oh)), .i64(Int64(ow)), arg(x), arg(out)])
    }
    static func lstmCellForward(_ hw: Tensor, _ xw: Tensor, _ cPrev: Tensor, activations: Tensor, c: Tensor, tanhC: Tensor, h: Tensor) {
        launch(context(h), "dk_lstm_forward_" + KernelType.suffix(h.dtype), elements: h.count,
               [.i64(Int64(h.shape[0])), .i64(Int64(h.shape[1])), arg(hw), arg(xw), arg(cPrev), arg(activations), arg(c), arg(tanhC), arg(h)])
    }
    static func lstmCellBackward(activations: Tensor, tanhC: Tensor, cPrev: Tensor, dh: Tensor, dc: Tensor, gates: Tensor) {
        launch(context(gates), "dk_lstm_backward_" + KernelType.suffix(gates.dtype), elements: dh.count,
               [.i64(Int64(dh.shape[0])), .i64(Int64(dh.shape[1])), arg(activations), arg(tanhC), arg(cPrev), arg(dh), arg(dc), arg(gates)])
    }

    /// Batch norm: per-channel statistics (one block a channel) and the running-statistics update, then y = x·alpha + beta.
    static func batchNormForward(_ x: Tensor, n: Int, c: Int, l: Int, runningMean: Tensor?, runningVar: Tensor?,
                                 weight: Tensor?, bias: Tensor?, training: Bool, momentum: Double, eps: Double,
                                 out: Tensor) -> (mean: Tensor, invstd: Tensor) {
        let ctx = context(out), s = KernelType.suffix(x.dtype)
        let stats = (0..<4).map { _ in Tensor(uninitializedShape: [c], dtype: x.dtype, device: x.device) }
        // the kernel reads per-channel vectors with unit stride: strided ones are copied (running statistics back after)
        let dense = { (t: Tensor?) in t.map { $0.isContiguous ? $0 : $0.contiguous() } }
        let rm = dense(runningMean), rv = dense(runningVar)
        launch(ctx, "dk_bn_stats_" + s, blocks: c,
               [.i32(training ? 1 : 0), .i64(Int64(n)), .i64(Int64(c)), .i64(Int64(l)), arg(x), arg(rm), arg(rv),
                .i32(rm == nil ? 0 : 1), .i32(rv == nil ? 0 : 1), .f64(momentum), .f64(eps), arg(dense(weight)), .i32(weight == nil ? 0 : 1),
                arg(dense(bias)), .i32(bias == nil ? 0 : 1), arg(stats[0]), arg(stats[1]), arg(stats[2]), arg(stats[3])])
        for (copy, original) in [(rm, runningMean), (rv, runningVar)] {
            if training, let copy, let original, copy !== original { copyStrided(copy, srcStrides: copy.strides, into: original) }
        }
        launch(ctx, "dk_bn_apply_" + s, elements: out.count,
               [.i64(Int64(out.count)), .i64(Int64(c)), .i64(Int64(l)), arg(x), arg(stats[2]), arg(stats[3]), arg(out)])
        return (stats[0], stats[1])
    }
    static func batchNormBackward(training: Bool, n: Int, c: Int, l: Int, x: Tensor, gy: Tensor, mean: Tensor, invstd: Tensor,
                                  weight: Tensor?, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        launch(context(gy), "dk_bn_backward_" + KernelType.suffix(gy.dtype), blocks: c,
               [.i32(training ? 1 : 0), .i64(Int64(n)), .i64(Int64(c)), .i64(Int64(l)), arg(x), arg(gy), arg(mean), arg(invstd),
                arg(weight.map { $0.isContiguous ? $0 : $0.contiguous() }), .i32(weight == nil ? 0 : 1), arg(gx), .i32(gx == nil ? 0 : 1), arg(gw), .i32(gw == nil ? 0 : 1),
                arg(gb), .i32(gb == nil ? 0 : 1)])
    }

    // MARK: between the host and the device

    static func transfer(_ src: Tensor, to dst: Tensor, nonBlocking: Bool = false) {
        UpdateBatch.flushBeforeOtherWork()
        let bytes = src.count * src.dtype.itemSize
        switch (src.device, dst.device) {
        case (.cpu, .cuda(let i)):
            let runtime = context(dst).runtime, address = dst.storage.deviceAddress + UInt64(dst.offset * dst.dtype.itemSize)
            if nonBlocking && src.storage.isPinned && !GPUGraphCapture.active {
                // queued on the current stream; the pinned buffer is not reused until the copy has run
                runtime.uploadAsync(src.rawPointer, bytes: bytes, to: address)
                PinnedMemory.recordCopy(src.storage.hostBase, device: i)
            } else {
                runtime.upload(src.rawPointer, bytes: bytes, to: address)
            }
        case (.cuda, .cpu):
            context(src).runtime.download(from: src.storage.deviceAddress + UInt64(src.offset * src.dtype.itemSize), bytes: bytes, to: dst.rawPointer)
        case (.cuda(let i), .cuda(let j)) where i == j:
            cast(src, out: dst)
        default:
            let host = Tensor(uninitializedShape: src.shape, dtype: src.dtype, device: .cpu)
            transfer(src, to: host)
            transfer(host, to: dst)
        }
    }
    /// Calls `body` with the bytes of the contiguous `t`, copied to the host (after all queued work).
    static func withHostBytes<R>(_ t: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let host = Tensor(uninitializedShape: t.shape, dtype: t.dtype, device: .cpu)
        transfer(t, to: host)
        return try body(UnsafeRawBufferPointer(start: host.rawPointer, count: t.count * t.dtype.itemSize))
    }
    /// Fills the contiguous `t` from host bytes written by `body`.
    static func fillFromHost(_ t: Tensor, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let host = Tensor(uninitializedShape: t.shape, dtype: t.dtype, device: .cpu)
        try body(UnsafeMutableRawBufferPointer(start: host.rawPointer, count: t.count * t.dtype.itemSize))
        transfer(host, to: t)
    }
    static func readElement(_ t: Tensor, storageOffset: Int) -> Double {
        let one = Tensor(storage: t.storage, shape: [], strides: [], offset: storageOffset, dtype: t.dtype)
        let host = Tensor(uninitializedShape: [], dtype: t.dtype, device: .cpu)
        transfer(one, to: host)
        return CPUBackend.readElement(host, storageOffset: 0)
    }
    static func writeElement(_ t: Tensor, storageOffset: Int, _ v: Double) {
        let host = Tensor(uninitializedShape: [], dtype: t.dtype, device: .cpu)
        CPUBackend.writeElement(host, storageOffset: 0, v)
        transfer(host, to: Tensor(storage: t.storage, shape: [], strides: [], offset: storageOffset, dtype: t.dtype))
    }
    static func copyFromHost(_ values: [Double], into t: Tensor) {
        let host = Tensor(uninitializedShape: t.shape, dtype: t.dtype, device: .cpu)
        CPUBackend.copyFromHost(values, into: host)
        transfer(host, to: t)
    }

    // MARK: losses

    static func nllForward(_ rows: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int, rowLoss: Tensor, rowWeight: Tensor) {
        let ctx = context(rowLoss)
        let m = rows.shape[0], c = rows.shape[1]
        let bad = Tensor(uninitializedShape: [1], dtype: .int64, device: rowLoss.device)
        fill(bad, 0)
        launch(ctx, "dk_nll_forward_" + KernelType.suffix(rows.dtype), elements: m,
               [.i64(Int64(m)), .i64(Int64(c)), arg(rows), arg(target), arg(weight), .i32(weight == nil ? 0 : 1), .i64(Int64(ignoreIndex)),
                arg(rowLoss), arg(rowWeight), arg(bad)])
        let row = Int(readElement(bad, storageOffset: bad.offset))
        if row > 0 { fail("Target \(Int(readElement(target, storageOffset: target.offset + row - 1))) is out of bounds.") }
    }
    /// The summed (or weight-averaged) NLL, on the device: the total row loss over the total row weight.
    static func nllReduce(_ rowLoss: Tensor, rowWeight: Tensor, _ target: Tensor, ignoreIndex: Int, weighted: Bool, mean: Bool) -> Tensor {
        let total = Tensor(uninitializedShape: [], dtype: rowLoss.dtype, device: rowLoss.device)
        reduce(.sum, rowLoss, 1, rowLoss.count, 1, out: total)
        guard mean else { return total }
        let weights = Tensor(uninitializedShape: [], dtype: .float64, device: rowLoss.device)
        reduce(.sum, rowWeight, 1, rowWeight.count, 1, out: weights)
        let w = Tensor(uninitializedShape: [], dtype: rowLoss.dtype, device: rowLoss.device)
        cast(weights, out: w)
        let out = Tensor(uninitializedShape: [], dtype: rowLoss.dtype, device: rowLoss.device)
        binary(.div, compute: rowLoss.dtype, out: out, total, [], w, [])
        return out
    }
    static func nllBackward(fromLogits: Bool, logProbs: Tensor, _ target: Tensor, rowWeight: Tensor, upstream: Tensor,
                            upstreamIsElementwise: Bool, mean: Bool, gx: Tensor) {
        let ctx = context(gx)
        let m = gx.shape[0], c = gx.shape[1]
        let wsum = Tensor(uninitializedShape: [], dtype: .float64, device: gx.device)
        if mean { reduce(.sum, rowWeight, 1, rowWeight.count, 1, out: wsum) } else { fill(wsum, 1) }
        launch(ctx, "dk_nll_backward_" + KernelType.suffix(gx.dtype), elements: m * c,
               [.i32(fromLogits ? 1 : 0), .i64(Int64(m)), .i64(Int64(c)), arg(logProbs), arg(target), arg(rowWeight),
                arg(on(gx.device, upstream)), .i64(upstreamIsElementwise ? 1 : 0), .i32(mean ? 1 : 0), arg(wsum), arg(gx)])
    }

    // MARK: random numbers

    /// PyTorch's CUDA draws from the generator's Philox stream, each with PyTorch's kernel's layout:
    /// uniform, normal, bernoulli(p) with a number or a tensor, exponential, randint, dropout's mask,
    /// randperm and multinomial with replacement.
    static func random(_ draw: RandomDraw, into t: Tensor, generator g: Generator) {
        guard t.count > 0 else { return }
        let ctx = context(t)
        // PyTorch's distribution_nullary_kernel: the whole draw takes its offset, then a tensor past
        // 32-bit indexing (2 GiB or more) is drawn piece by piece, each piece taking its own offset
        // and launch (fused dropout indexes with 64 bits in one launch instead: `whole`)
        func launch(_ name: String, unroll: Int, whole: Bool = false, _ args: (_ philox: [KernelArg], _ piece: Tensor) -> [KernelArg]) {
            let policy = PhiloxLaunch(elements: t.count, unroll: unroll, on: ctx.runtime)
            let philox = PhiloxArgs(g, increment: policy.counterOffset)
            UpdateBatch.flushBeforeOtherWork()
            let pieces = whole ? [(start: 0, count: t.count)] : PhiloxLaunch.pieces(t.count, itemSize: t.dtype.itemSize)
            if pieces.count == 1 {
                ctx.runtime.launch(ctx.function(name), blocks: policy.blocks, threads: PhiloxLaunch.threads, args(philox.kernelArgs, t))
                return
            }
            for (start, count) in pieces {
                let piece = Tensor(storage: t.storage, shape: [count], strides: [1], offset: t.offset + start, dtype: t.dtype)
                let own = PhiloxLaunch(elements: count, unroll: unroll, on: ctx.runtime)
                ctx.runtime.launch(ctx.function(name), blocks: own.blocks, threads: PhiloxLaunch.threads,
                                   args(PhiloxArgs(g, increment: own.counterOffset).kernelArgs, piece))
            }
        }
        func float(_ kind: Int32, _ a: Double, _ b: Double, unroll: Int? = nil) {
            launch("dk_philox_" + KernelType.suffix(t.dtype), unroll: unroll ?? (t.dtype == .float64 ? 2 : 4), whole: kind == 4) { philox, piece in
                [.i32(kind), .i64(Int64(piece.count))] + philox + [.f64(a), .f64(b), arg(piece)]
            }
        }
        switch draw {
        case let .uniform(from, to): float(0, from, to)
        case let .normal(mean, std, _): float(1, mean, std)
        case let .bernoulli(p): float(2, p, 0)
        case let .exponential(lambd): float(3, lambd, 0)
        case let .dropoutMask(keep, vector): float(4, keep, Double(vector), unroll: 4)   // PyTorch's UNROLL, whatever the vector width
        case let .integers(low, high):
            let range = UInt64(bitPattern: Int64(high)) &- UInt64(bitPattern: Int64(low))
            launch("dk_philox_randint", unroll: range >= 1 << 28 ? 2 : 4) { philox, piece in   // 64-bit draws from 2^28 on (PyTorch 2.7+)
                [.i64(Int64(piece.count))] + philox + [.i64(Int64(bitPattern: range)), .i64(Int64(low)), arg(piece)]
            }
        case let .bernoulliTensor(p):
            // PyTorch's philox_cuda_state(10): one curand_uniform4 per 4 elements
            let probs = on(t.device, p)
            let philox = PhiloxArgs(g, increment: 10)
            Self.launch(ctx, "dk_philox_bernoulli_tensor", elements: (t.count + 3) / 4,
                   [.i64(Int64(t.count))] + philox.kernelArgs + [.i32(t.dtype == .float64 ? 1 : 0), arg(probs), arg(t)])
        case .permutation:
            randperm(t, g)
        case let .categorical(p):
            multinomialWithReplacement(p, into: t, g)
        }
    }

    /// PyTorch's CUDA `randperm`: random keys (int32 in [INT_MIN, INT_MAX) up to 32 bits, else int64),
    /// a stable sort of 0..<n by the keys' low `bits` bits (few enough that all n keys differ with
    /// probability 0.9), then each run of equal keys shuffled on the device (`dk_randperm_islands`).
    /// The int32 keys are drawn into int64, which holds the same values from the same draws.
    static func randperm(_ t: Tensor, _ g: Generator) {
        let ctx = context(t), n = t.count, nd = Double(n)
        let bits = Swift.min(64, Int(log2(nd - (6 * nd * nd + 1) / (log(0.9) * 12)).rounded(.up)))
        let keys = Tensor(uninitializedShape: [n], dtype: .int64, device: t.device)
        random(bits <= 32 ? .integers(low: Int(Int32.min), high: Int(Int32.max)) : .integers(low: Int.min, high: Int.max), into: keys, generator: g)
        // cub sorts the low `bits` bits as unsigned; all 32 of an int32 key (or 64 of an int64) in signed order
        if bits != 32 && bits < 64 { launch(ctx, "dk_randperm_mask", elements: n, [.i64(Int64(n)), .i64((1 << Int64(bits)) - 1), arg(keys)]) }
        let sorted = Tensor(uninitializedShape: [n], dtype: .int64, device: t.device)
        sort(keys, 1, n, 1, values: sorted, indices: t, descending: false)
        let philox = PhiloxArgs(g, increment: UInt64(n))
        launch(ctx, "dk_randperm_islands", elements: n - 1, [.i64(Int64(n))] + philox.kernelArgs + [arg(sorted), arg(t)])
    }

    /// PyTorch's CUDA `multinomial` with replacement and several samples: each row normalised and
    /// summed up (`renormRows`, `cumsum`), then one thread a sample (`dk_multinomial`) on PyTorch's grid.
    /// The running sums are not PyTorch's to the bit (its block reduction and scan add in another
    /// order), so a draw within an ulp of a category's edge may land in the neighbouring category.
    static func multinomialWithReplacement(_ p: Tensor, into t: Tensor, _ g: Generator) {
        let rows = p.rank == 1 ? 1 : p.shape[0], cats = p.shape[p.rank - 1], samples = t.shape[t.rank - 1]
        let p2 = p.reshape(rows, cats)
        let sums = p2.sum(dim: 1, keepDim: true)
        if !GPUGraphCapture.active {
            // PyTorch's CUDA kernels assert these on the device; the messages are its CPU kernel's
            let edges = stack([p2.min(), p2.max(), sums.min()]).cpu().toDoubles()
            if edges[0] < 0 { fail("invalid multinomial distribution (encountering probability entry < 0)") }
            if !edges[0].isFinite || !edges[1].isFinite { fail("invalid multinomial distribution (encountering probability entry = infinity or NaN)") }
            if !(edges[2] > 0) { fail("invalid multinomial distribution (sum of probabilities <= 0)") }
        }
        let dist = (p2 / sums).contiguous(), cum = dist.cumsum(dim: 1).contiguous()
        let gy = Swift.min(rows, 65535), gx = (samples - 1) / 128 + 1
        let philox = PhiloxArgs(g, increment: UInt64(((rows - 1) / gy + 1) * 4))
        launch(context(t), "dk_multinomial_" + KernelType.suffix(p.dtype), elements: rows * samples,
               [.i64(Int64(rows)), .i64(Int64(cats)), .i64(Int64(samples)), .i64(Int64(gx)), .i64(Int64(gy))] + philox.kernelArgs
                + [arg(cum), arg(dist), arg(t)])
    }

    static func bceForward(logits: Bool, _ x: Tensor, _ y: Tensor, weight: Tensor?, posWeight: Tensor?, out: Tensor) {
        // on probabilities, the first element whose input or target is outside [0, 1] (logits have no range)
        let bad = logits ? nil : Tensor(uninitializedShape: [2], dtype: .int32, device: out.device)
        if let bad { fill(bad, Double(Int32.max)) }
        launch(context(out), "dk_bce_forward_" + KernelType.suffix(out.dtype), elements: out.count,
               [.i32(logits ? 1 : 0), .i64(Int64(out.count)), arg(x), arg(y), arg(weight), .i32(weight == nil ? 0 : 1), arg(posWeight),
                .i32(posWeight == nil ? 0 : 1), arg(out), arg(bad)])
        guard let bad else { return }
        let first = Kernels.elements(bad, as: Int32.self)   // the first bad input, the first bad target
        if first[0] != Int32.max && first[0] <= first[1] { fail("all elements of input should be between 0 and 1") }
        if first[1] != Int32.max { fail("all elements of target should be between 0 and 1") }
    }
    static func bceBackward(logits: Bool, _ x: Tensor, _ y: Tensor, weight: Tensor?, posWeight: Tensor?, upstream: Tensor,
                            upstreamIsElementwise: Bool, divisor: Double, gx: Tensor) {
        launch(context(gx), "dk_bce_backward_" + KernelType.suffix(gx.dtype), elements: gx.count,
               [.i32(logits ? 1 : 0), .i64(Int64(gx.count)), arg(x), arg(y), arg(weight), .i32(weight == nil ? 0 : 1), arg(posWeight),
                .i32(posWeight == nil ? 0 : 1), arg(on(gx.device, upstream)), .i64(upstreamIsElementwise ? 1 : 0), .f64(divisor), arg(gx)])
    }

    // MARK: optimizers

    static func optimizerStep(_ update: OptimizerUpdate, param: Tensor, grad: Tensor) {
        if GPUGraphCapture.active {
            // PyTorch's capture health check: updates that read a host step count or host scalars would repeat the captured values
            switch update {
            case .sgd, .rmsprop, .adadelta, .rprop, .adamDeviceStep: break
            default: GPUGraphCapture.refuse("this optimizer's update (it reads its step count or scalars kept on the host; SGD, RMSprop, Adadelta, Rprop and Adam/AdamW with capturable: true can be captured)")
            }
        }
        if let batch = UpdateBatch.current, batch.add(update, param: param, grad: grad) { return }
        let ctx = context(param)
        let n = Int64(param.count), s = KernelType.suffix(param.dtype)
        switch update {
        case let .sgd(buf, lr, momentum, dampening, wd, nesterov, first, maximize):
            launch(ctx, "dk_sgd_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(buf), .f64(lr), .f64(momentum), .f64(dampening), .f64(wd),
                    .i32(nesterov ? 1 : 0), .i32(first ? 1 : 0), .i32(maximize ? 1 : 0)])
        case let .adam(m, v, vmax, lr, b1, b2, eps, wd, step, decoupled, maximize):
            launch(ctx, "dk_adam_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(v), arg(vmax), .i32(vmax == nil ? 0 : 1), .f64(lr), .f64(b1), .f64(b2),
                    .f64(eps), .f64(wd), .i64(Int64(step)), .i32(decoupled ? 1 : 0), .i32(maximize ? 1 : 0)])
        case let .adamDeviceStep(m, v, vmax, stepT, lr, b1, b2, eps, wd, decoupled, maximize):
            launch(ctx, "dk_step_increment_f64", elements: 1, [arg(stepT)])
            launch(ctx, "dk_adam_device_step_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(v), arg(vmax), .i32(vmax == nil ? 0 : 1), .f64(lr), .f64(b1), .f64(b2),
                    .f64(eps), .f64(wd), arg(stepT), .i32(decoupled ? 1 : 0), .i32(maximize ? 1 : 0)])
        case let .rmsprop(sq, gavg, buf, lr, alpha, eps, wd, momentum, maximize):
            launch(ctx, "dk_rmsprop_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(sq), arg(gavg), arg(buf), .i32(gavg == nil ? 0 : 1), .i32(buf == nil ? 0 : 1),
                    .f64(lr), .f64(alpha), .f64(eps), .f64(wd), .f64(momentum), .i32(maximize ? 1 : 0)])
        case let .adagrad(sum, clr, eps, wd, maximize):
            launch(ctx, "dk_adagrad_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(sum), .f64(clr), .f64(eps), .f64(wd), .i32(maximize ? 1 : 0)])
        case let .adadelta(sq, acc, lr, rho, eps, wd, maximize):
            launch(ctx, "dk_adadelta_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(sq), arg(acc), .f64(lr), .f64(rho), .f64(eps), .f64(wd), .i32(maximize ? 1 : 0)])
        case let .adamax(m, u, lr, b1, b2, eps, wd, step, maximize):
            launch(ctx, "dk_adamax_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(u), .f64(lr), .f64(b1), .f64(b2), .f64(eps), .f64(wd), .i64(Int64(step)),
                    .i32(maximize ? 1 : 0)])
        case let .asgd(ax, eta, mu, lr, lambd, alpha, t0, wd, step, maximize):
            // eta and mu: float32 scalars on the CPU, updated after the step as the CPU kernel does
            launch(ctx, "dk_asgd_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(ax), .f64(Kernels.readElement(eta, storageOffset: eta.offset)), .f64(Kernels.readElement(mu, storageOffset: mu.offset)), .f64(lambd), .f64(wd),
                    .i32(maximize ? 1 : 0)])
            let t = Double(step)
            Kernels.writeElement(eta, storageOffset: eta.offset, Double(Float(lr / pow(1 + lambd * lr * t, alpha))))
            Kernels.writeElement(mu, storageOffset: mu.offset, Double(Float(1 / Swift.max(t - t0, 1))))
        case let .rprop(prev, stepSize, em, ep, smin, smax, maximize):
            launch(ctx, "dk_rprop_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(prev), arg(stepSize), .f64(em), .f64(ep), .f64(smin), .f64(smax), .i32(maximize ? 1 : 0)])
        case let .nadam(m, v, muProduct, lr, b1, b2, eps, wd, md, step, decoupled, maximize):
            // mu_product: a float32 scalar on the CPU, multiplied by this step's mu in float first
            let muProd = Float(Kernels.readElement(muProduct, storageOffset: muProduct.offset)) * Float(b1 * (1 - 0.5 * pow(0.96, Double(step) * md)))
            Kernels.writeElement(muProduct, storageOffset: muProduct.offset, Double(muProd))
            launch(ctx, "dk_nadam_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(v), .f64(Double(muProd)), .f64(lr), .f64(b1), .f64(b2), .f64(eps), .f64(wd), .f64(md),
                    .i64(Int64(step)), .i32(decoupled ? 1 : 0), .i32(maximize ? 1 : 0)])
        case let .radam(m, v, lr, b1, b2, eps, wd, step, decoupled, maximize):
            launch(ctx, "dk_radam_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(v), .f64(lr), .f64(b1), .f64(b2), .f64(eps), .f64(wd), .i64(Int64(step)),
                    .i32(decoupled ? 1 : 0), .i32(maximize ? 1 : 0)])
        case let .sparseAdam(m, v, lr, b1, b2, eps, step, maximize):
            launch(ctx, "dk_sparse_adam_" + s, elements: param.count,
                   [.i64(n), arg(param), arg(grad), arg(m), arg(v), .f64(lr), .f64(b1), .f64(b2), .f64(eps), .i64(Int64(step)), .i32(maximize ? 1 : 0)])
        }
    }
}
