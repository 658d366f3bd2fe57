extension Tensor {
    func inferShape(_ shape: [Int]) -> [Int] {
        var out = shape
        var known = 1, infer = -1
        for (i, s) in shape.enumerated() {
            if s == -1 {
                if infer >= 0 { fail("only one dimension can be inferred") }
                infer = i
            } else if s < 0 { fail("invalid shape dimension \(s)") } else { known *= s }
        }
        let n = count
        if infer >= 0 {
            if known == 0 || n % known != 0 { fail("shape '\(shapeString(shape))' is invalid for input of size \(n)") }
            out[infer] = n / known
        } else if known != n {
            fail("shape '\(shapeString(shape))' is invalid for input of size \(n)")
        }
        return out
    }

    /// A view with another shape; one size may be -1 (inferred). Requires a contiguous tensor (PyTorch's `view`).
    public func view(_ shape: Int...) -> Tensor { view(shape) }
    public func view(_ shape: [Int]) -> Tensor {
        let s = inferShape(shape)
        guard let st = isContiguous ? Tensor.contiguousStrides(s) : viewStrides(s) else {
            fail("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        }
        let out = makeView(s, st, offset)
        if wantsGrad(self) { out.recorded(.view(inShape: self.shape), inputs: [self]) }
        return out
    }
    /// The strides of a view of this tensor with `newShape` (same element count), or nil where the
    /// elements are not laid out for one (PyTorch's `computeStride`: each run of dims that are
    /// contiguous with one another may be split or merged, size-1 dims go anywhere).
    func viewStrides(_ newShape: [Int]) -> [Int]? {
        if shape.isEmpty { return Array(repeating: 1, count: newShape.count) }
        var newStrides = Array(repeating: 0, count: newShape.count)
        if count == 0 {
            if shape == newShape { return strides }
            var acc = 1
            for d in Swift.stride(from: newShape.count - 1, through: 0, by: -1) { newStrides[d] = acc; acc *= Swift.max(newShape[d], 1) }
            return newStrides
        }
        var viewD = newShape.count - 1, chunkBase = strides[rank - 1], tensorNumel = 1, viewNumel = 1
        for d in Swift.stride(from: rank - 1, through: 0, by: -1) {
            tensorNumel *= shape[d]
            if d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBase
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if d > 0 { chunkBase = strides[d - 1]; tensorNumel = 1; viewNumel = 1 }
            }
        }
        return viewD == -1 ? newStrides : nil
    }
    /// The same elements with another shape; one size may be -1. A view when possible, else a copy.
    public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }
    public func reshape(_ shape: [Int]) -> Tensor {
        if isContiguous { return view(shape) }
        return contiguous().unsafeView(shape)
    }
    /// A view of a contiguous tensor that PyTorch records as `_unsafe_view` (UnsafeViewBackward0):
    /// the reshape after a copy, and the last step of a batched matmul.
    func unsafeView(_ shape: [Int]) -> Tensor {
        let out = noGrad { view(shape) }
        if wantsGrad(self) { out.recorded(.unsafeView(inShape: self.shape), inputs: [self]) }
        return out
    }
    /// Reshapes to `other`'s shape.
    public func viewAs(_ other: Tensor) -> Tensor { view(other.shape) }

    /// Flattens dims `startDim...endDim` into one (PyTorch's `flatten`).
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshape(1) }
        let s = normalizeDim(startDim, rank), e = normalizeDim(endDim, rank)
        if s > e { fail("flatten() has invalid args: start_dim cannot come after end_dim") }
        if s == e { return self }
        let mid = shape[s...e].reduce(1, *)
        return reshape(Array(shape[..<s]) + [mid] + Array(shape[(e + 1)...]))
    }

    /// Removes all size-1 dims, or only `dim` when given and of size 1.
    public func squeeze(dim: Int? = nil) -> Tensor {
        var keep: [Int] = []
        if let d = dim {
            if rank == 0 && !wantsGrad(self) { return self }
            let d2 = normalizeDim(d, rank)
            keep = (0..<rank).filter { $0 != d2 || shape[$0] != 1 }
        } else {
            keep = (0..<rank).filter { shape[$0] != 1 }
        }
        if keep.count == rank && !wantsGrad(self) { return self }   // (a graph tensor gets its own view, as in PyTorch)
        let out = makeView(keep.map { shape[$0] }, keep.map { strides[$0] }, offset)
        if wantsGrad(self) { out.recorded(.squeeze(inShape: shape, dim: dim), inputs: [self]) }
        return out
    }
    /// Inserts a size-1 dim at `dim`.
    public func unsqueeze(_ dim: Int) -> Tensor {
        let d = normalizeDim(dim, rank + 1)
        var s = shape, st = strides
        let newStride = d < rank ? shape[d] * strides[d] : 1
        s.insert(1, at: d); st.insert(newStride, at: d)
        let out = makeView(s, st, offset)
        if wantsGrad(self) { out.recorded(.unsqueeze(dim: d), inputs: [self]) }
        return out
    }
    public func unsqueeze(dim: Int) -> Tensor { unsqueeze(dim) }

    /// Reorders dims (PyTorch's `permute`).
    public func permute(_ dims: Int...) -> Tensor { permute(dims) }
    public func permute(_ dims: [Int]) -> Tensor {
        if dims.count != rank { fail("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(dims.count)") }
        let d = dims.map { normalizeDim($0, rank) }
        if Set(d).count != d.count { fail("permute(): duplicate dims are not allowed.") }
        let out = makeView(d.map { shape[$0] }, d.map { strides[$0] }, offset)
        if wantsGrad(self) { out.recorded(.permute(d), inputs: [self]) }
        return out
    }
    /// Moves dim `source` to position `destination`, keeping the others in order (PyTorch's `movedim`).
    public func movedim(_ source: Int, _ destination: Int) -> Tensor {
        let s = normalizeDim(source, rank), d = normalizeDim(destination, rank)
        var order = Array(0..<rank)
        order.remove(at: s)
        order.insert(s, at: d)
        return permute(order)
    }
    /// Swaps two dims.
    public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor { transpose(dim0, dim1, inPlace: false) }
    /// `transpose`; `inPlace` names the backward as PyTorch's `transpose_` does (TransposeBackward1),
    /// for the results PyTorch makes with it (a batch-first RNN's or GRU's output).
    func transpose(_ dim0: Int, _ dim1: Int, inPlace: Bool) -> Tensor {
        let a = normalizeDim(dim0, rank), b = normalizeDim(dim1, rank)
        var s = shape, st = strides
        s.swapAt(a, b); st.swapAt(a, b)
        let out = makeView(s, st, offset)
        if wantsGrad(self) { out.recorded(.transpose(a, b, inPlace: inPlace), inputs: [self]) }
        return out
    }
    /// Transposes a 2-D tensor (0-D and 1-D are returned as they are), like PyTorch's `t()`.
    public func t() -> Tensor {
        if rank > 2 { fail("t() expects a tensor with <= 2 dimensions, but self is \(rank)D") }
        if rank < 2 {
            if !wantsGrad(self) { return self }
            return makeView(shape, strides, offset).recorded(.tOp, inputs: [self])
        }
        let out = makeView([shape[1], shape[0]], [strides[1], strides[0]], offset)
        if wantsGrad(self) { out.recorded(.tOp, inputs: [self]) }
        return out
    }
    /// The tensor with its dims reversed (PyTorch's `.T`).
    public var T: Tensor { rank < 2 ? self : permute(Array((0..<rank).reversed())) }
    /// Transpose of the last two dims (PyTorch's `.mT`).
    public var mT: Tensor { transpose(-2, -1) }

    /// A contiguous tensor with the same values (self when already contiguous).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        copyStrided(from: self, into: out)
        if wantsGrad(self) { out.recorded(.clone, inputs: [self]) }
        return out
    }
    /// A copy in new memory (PyTorch's `clone`).
    public func clone() -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        copyStrided(from: self, into: out)
        if wantsGrad(self) { out.recorded(.clone, inputs: [self]) }
        return out
    }

    /// Splits into chunks of `size` along `dim` (views).
    public func split(_ size: Int, dim: Int = 0) -> [Tensor] {
        let d = normalizeDim(dim, rank)
        return Swift.stride(from: 0, to: shape[d], by: size).map { start in
            let basic = (0..<rank).map { $0 == d ? BasicIndex.range(start, Swift.min(size, shape[d] - start), 1) : BasicIndex.range(0, shape[$0], 1) }
            let v = basicView(basic)
            if wantsGrad(self) { v.recorded(.basicIndex("SplitBackward0", inShape: shape, basic), inputs: [self]) }
            return v
        }
    }
    /// Splits into parts of the given sizes along `dim` (views; PyTorch's `split([2, 3, 5])`).
    public func split(_ sizes: [Int], dim: Int = 0) -> [Tensor] {
        let d = normalizeDim(dim, rank)
        if sizes.reduce(0, +) != shape[d] || sizes.contains(where: { $0 < 0 }) {
            fail("split_with_sizes expects split_sizes to sum exactly to \(shape[d]) (input tensor's size at dimension \(d)), but got split_sizes=\(sizes)")
        }
        var start = 0
        return sizes.map { size in
            let basic = (0..<rank).map { $0 == d ? BasicIndex.range(start, size, 1) : BasicIndex.range(0, shape[$0], 1) }
            start += size
            let v = basicView(basic)
            if wantsGrad(self) { v.recorded(.basicIndex("SplitWithSizesBackward0", inShape: shape, basic), inputs: [self]) }
            return v
        }
    }
    /// The slices along `dim`, each without that dim (views; PyTorch's `unbind`).
    public func unbind(dim: Int = 0) -> [Tensor] {
        let d = normalizeDim(dim, rank)
        return (0..<shape[d]).map { i in
            let basic = (0..<rank).map { $0 == d ? BasicIndex.select(i) : BasicIndex.range(0, shape[$0], 1) }
            let v = basicView(basic)
            if wantsGrad(self) { v.recorded(.basicIndex("UnbindBackward0", inShape: shape, basic), inputs: [self]) }
            return v
        }
    }
    /// Expands `dim` into `sizes` (PyTorch's `unflatten`; one size may be -1).
    public func unflatten(_ dim: Int, _ sizes: [Int]) -> Tensor {
        let d = normalizeDim(dim, rank)
        let known = sizes.filter { $0 != -1 }.reduce(1, *)
        if sizes.filter({ $0 == -1 }).count > 1 || (sizes.contains(-1) ? (known == 0 || shape[d] % known != 0) : known != shape[d]) {
            fail("unflatten: Provided sizes \(sizes) don't multiply up to the size of dim \(dim) (\(shape[d])) in the input tensor")
        }
        return view(Array(shape[..<d]) + sizes + Array(shape[(d + 1)...]))
    }
    /// Swaps two dims (PyTorch's `swapaxes`, the same as `transpose`).
    public func swapaxes(_ axis0: Int, _ axis1: Int) -> Tensor { transpose(axis0, axis1) }
    /// Swaps two dims (PyTorch's `swapdims`, the same as `transpose`).
    public func swapdims(_ dim0: Int, _ dim1: Int) -> Tensor { transpose(dim0, dim1) }
    /// The windows of `size` entries of `dimension`, `step` apart, in a new last dim (PyTorch's `unfold`):
    /// a view sharing memory; with autograd, the windows are copies whose gradients add back.
    public func unfold(_ dimension: Int, _ size: Int, _ step: Int) -> Tensor {
        let d = rank == 0 ? 0 : normalizeDim(dimension, rank)
        let length = rank == 0 ? 1 : shape[d]
        if size > length { fail("maximum size for tensor at dimension \(d) is \(length) but size is \(size)") }
        if step <= 0 { fail("step is \(step) but must be > 0") }
        let windows = (length - size) / step + 1
        if rank == 0 { return reshape(1) }
        if wantsGrad(self) {
            let parts = (0..<windows).map { narrow(dim: d, start: $0 * step, length: size) }
            return Descent.stack(parts, dim: d).movedim(d + 1, rank)
        }
        var s = shape, st = strides
        s[d] = windows; st[d] = strides[d] * step
        s.append(size); st.append(strides[d])
        return makeView(s, st, offset)
    }
    /// Splits into `chunks` nearly equal parts along `dim`.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let d = normalizeDim(dim, rank)
        return split((shape[d] + chunks - 1) / chunks, dim: d)
    }
    /// A view of `length` entries of `dim` starting at `start`.
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        let d = normalizeDim(dim, rank)
        var items = [TensorIndexItem](repeating: .everything, count: d)
        items.append(.range(start, start + length, 1))
        return sliceAsOneNode(items)
    }
}

/// Copies `src` (any strides, broadcast to dst's shape) into `dst` (any strides). Same dtype required.
func copyStrided(from src: Tensor, into dst: Tensor) {
    let shape = dst.shape
    Kernels.copyStrided(src, srcStrides: src.shape == shape ? src.strides : src.broadcastStrides(to: shape), into: dst)
}

/// Joins tensors along an existing dim (PyTorch's `torch.cat` / `torch.concat`).
public func concat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    guard let first = tensors.first else { fail("torch.cat(): expected a non-empty list of Tensors") }
    let d = normalizeDim(dim, first.rank)
    var dt = first.dtype
    for t in tensors.dropFirst() { dt = DType.promote(dt, t.dtype); checkSameDevice(first, t) }
    var shape = first.shape
    var total = 0
    for (i, t) in tensors.enumerated() {
        if t.rank != first.rank { fail("Tensors must have same number of dimensions: got \(first.rank) and \(t.rank)") }
        for k in 0..<t.rank where k != d && t.shape[k] != first.shape[k] {
            fail("Sizes of tensors must match except in dimension \(d). Expected size \(first.shape[k]) but got size \(t.shape[k]) for tensor number \(i) in the list.")
        }
        total += t.shape[d]
    }
    shape[d] = total
    for t in tensors.dropFirst() { checkSameDevice(first, t) }
    let out = Tensor(uninitializedShape: shape, dtype: dt, device: first.device)
    var start = 0
    for t in tensors {
        let len = t.shape[d]
        if len > 0 {
            let view = noGrad { out.narrow(dim: d, start: start, length: len) }
            copyStrided(from: t.dtype == dt ? t : noGrad { t.to(dtype: dt) }, into: view)
        }
        start += len
    }
    if gradEnabled && tensors.contains(where: { $0.requiresGradFlag }) && dt.isFloatingPoint {
        out.recorded(.cat(dim: d, sizes: tensors.map { $0.shape[d] }), inputs: tensors)
    }
    return out
}
/// Joins along dim 1, or along dim 0 for 1-D tensors (PyTorch's `torch.hstack`).
public func hstack(_ tensors: [Tensor]) -> Tensor {
    guard let first = tensors.first else { fail("hstack expects a non-empty TensorList") }
    return concat(tensors.map { $0.rank == 0 ? $0.reshape(1) : $0 }, dim: first.rank <= 1 ? 0 : 1)
}
/// Stacks rows: 1-D tensors become rows, then everything joins along dim 0 (PyTorch's `torch.vstack`).
public func vstack(_ tensors: [Tensor]) -> Tensor {
    if tensors.isEmpty { fail("vstack expects a non-empty TensorList") }
    return concat(tensors.map { $0.rank == 0 ? $0.reshape(1, 1) : ($0.rank == 1 ? $0.unsqueeze(0) : $0) }, dim: 0)
}
/// Same as `concat` (PyTorch's `torch.cat`).
public func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor { concat(tensors, dim: dim) }

/// Joins tensors of equal shape along a new dim (PyTorch's `torch.stack`).
public func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    guard let first = tensors.first else { fail("stack expects a non-empty TensorList") }
    let d = normalizeDim(dim, first.rank + 1)
    for (i, t) in tensors.enumerated() where t.shape != first.shape {
        fail("stack expects each tensor to be equal size, but got \(shapeString(first.shape)) at entry 0 and \(shapeString(t.shape)) at entry \(i)")
    }
    let parts = noGrad { tensors.map { $0.unsqueeze(d) } }
    let out = noGrad { concat(parts, dim: d) }
    if gradEnabled && tensors.contains(where: { $0.requiresGradFlag }) && out.dtype.isFloatingPoint {
        out.recorded(.stack(dim: d), inputs: tensors)
    }
    return out
}

/// Iterating a tensor gives its slices along dim 0, as `for row in x` does in PyTorch.
extension Tensor: Sequence {
    /// The slices along dim 0 (PyTorch's iteration, through `unbind`); a 0-dim tensor cannot be iterated.
    public func makeIterator() -> IndexingIterator<[Tensor]> {
        if rank == 0 { fail("iteration over a 0-d tensor") }
        return unbind(dim: 0).makeIterator()
    }
    /// The size of dim 0 (the number of slices iteration yields).
    public var underestimatedCount: Int { rank == 0 ? 0 : shape[0] }
}
