// Storage-level views and in-place writes as PyTorch has them: `data_ptr()`, `storage_offset()`,
// `as_strided`, the in-place shape ops (`unsqueeze_`, `t_`, ...), `index_put_`, `index_copy_`,
// `masked_scatter_`, and in-place writes through a view of a graph tensor, recorded on the
// tensor it views (PyTorch's `CopySlices`).

extension Tensor {
    /// A view of this tensor's storage with another layout; an in-place write through it is recorded
    /// on the tensor it views (`viewBase`).
    func makeView(_ shape: [Int], _ strides: [Int], _ offset: Int) -> Tensor {
        let out = Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
        out.viewBase = viewBase ?? self
        return out
    }

    /// The address of the first element (PyTorch's `data_ptr()`): views of one storage differ by their
    /// offset in bytes.
    public func dataPtr() -> Int {
        let base: Int
        switch storage.memory {
        case .host(let p), .pinned(let p): base = Int(bitPattern: p)
        case .device(let a): base = Int(truncatingIfNeeded: a)
        case .none: base = 0
        }
        return base + offset * dtype.itemSize
    }
    /// The offset of the first element in the storage, in elements (PyTorch's `storage_offset()`).
    public func storageOffset() -> Int { offset }

    /// A view of the storage with the given sizes, strides and offset in elements (PyTorch's
    /// `as_strided`; the offset defaults to this tensor's). Records `AsStridedBackward0`.
    public func asStrided(_ size: [Int], _ stride: [Int], storageOffset: Int? = nil) -> Tensor {
        if size.count != stride.count { fail("mismatch in length of strides and shape") }
        if let s = size.first(where: { $0 < 0 }) { fail("Trying to create tensor with negative dimension \(s): \(shapeString(size))") }
        if stride.contains(where: { $0 < 0 }) { fail("as_strided: Negative strides are not supported at the moment, got strides: \(stride)") }
        let off = storageOffset ?? offset
        if off < 0 { fail("Tensor: invalid storage offset \(off)") }
        if !size.contains(0) {
            let need = off + zip(size, stride).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
            let have = storage.byteCount / dtype.itemSize
            if need > have {
                let b = dtype.itemSize
                fail("setStorage: sizes \(size), strides \(stride), storage offset \(off), and itemsize \(b) requiring a storage size of \(need * b) are out of bounds for storage of size \(have * b)")
            }
        }
        let out = makeView(size, stride, off)
        guard wantsGrad(self) else { return out }
        // each output element's gradient goes to the input element stored where it reads (summed where
        // several read one); elements outside this tensor's layout get none
        let found = flatIndices(ofPositions: storagePositions(size, stride, off))
        let pairs = found.enumerated().compactMap { k, j in j.map { (Int64(k), Int64($0)) } }
        let src = Tensor(flat: pairs.map(\.0), shape: [pairs.count]), dst = Tensor(flat: pairs.map(\.1), shape: [pairs.count])
        let inShape = shape, n = count
        let node = CustomFunctionNode(name: "AsStridedBackward0", ctx: FunctionContext(), inputShapes: [inShape]) { _, g in
            let picked = g.reshape(-1).indexSelect(dim: 0, src.to(g.device))
            return [Tensor.zeros([n], dtype: g.dtype, device: g.device).indexAdd(dim: 0, index: dst.to(g.device), source: picked).reshape(inShape)]
        }
        return out.recorded(.custom(node), inputs: [self])
    }

    /// The storage position of each element of a layout, in row-major order.
    func storagePositions(_ shape: [Int], _ strides: [Int], _ offset: Int) -> [Int] {
        let n = shape.reduce(1, *)
        if n == 0 { return [] }
        var out = [Int](); out.reserveCapacity(n)
        var idx = [Int](repeating: 0, count: shape.count)
        var pos = offset
        for _ in 0..<n {
            out.append(pos)
            var d = shape.count - 1
            while d >= 0 {
                idx[d] += 1; pos += strides[d]
                if idx[d] < shape[d] { break }
                pos -= strides[d] * shape[d]; idx[d] = 0; d -= 1
            }
        }
        return out
    }
    /// For each storage position, the row-major index of this tensor's element stored there (nil where none).
    func flatIndices(ofPositions positions: [Int]) -> [Int?] {
        if isContiguous {
            return positions.map { p in p - offset >= 0 && p - offset < count ? p - offset : nil }
        }
        var at: [Int: Int] = [:]
        for (j, p) in storagePositions(shape, strides, offset).enumerated() where at[p] == nil { at[p] = j }
        return positions.map { at[$0] }
    }

    // MARK: In-place shape ops

    /// Inserts a size-1 dim at `dim`, in place (PyTorch's `unsqueeze_`).
    @discardableResult public func unsqueeze_(_ dim: Int) -> Tensor { relayout(unsqueeze(dim)) }
    /// Removes size-1 dims (all, or `dim`), in place (PyTorch's `squeeze_`).
    @discardableResult public func squeeze_(_ dim: Int? = nil) -> Tensor { relayout(squeeze(dim: dim)) }
    /// Swaps two dims, in place (PyTorch's `transpose_`).
    @discardableResult public func transpose_(_ dim0: Int, _ dim1: Int) -> Tensor { relayout(transpose(dim0, dim1)) }
    /// Transposes a matrix, in place (PyTorch's `t_`).
    @discardableResult public func t_() -> Tensor { relayout(t()) }
    /// Makes this tensor the view `v` of itself (its layout and, on a graph, its node).
    private func relayout(_ v: Tensor) -> Tensor {
        if gradEnabled && requiresGradFlag && node == nil {
            fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if v !== self { takeLayout(of: v) }
        return self
    }

    // MARK: In-place writes through a view of a graph tensor

    /// A tracked in-place op on a view: the view's new value is computed from a copy that keeps its
    /// history and written into the shared storage, then the tensor it views records `CopySlices`
    /// (its old history for the elements outside the view, the new value's for those inside), and
    /// this view becomes a view of that (`AsStridedBackward0`), as in PyTorch.
    func applyThroughView(_ base: Tensor, compute: (Tensor) -> Tensor) -> Tensor {
        if base.node == nil && base.requiresGradFlag {
            fail("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        }
        let r = computeAndWriteBack(compute)
        // where each element of this view sits in the base, row-major
        let inBase = base.flatIndices(ofPositions: storagePositions(shape, strides, offset))
        if inBase.contains(where: { $0 == nil }) { fail("an in-place write through a view reaches outside the tensor it views") }
        let sel = Tensor(flat: inBase.map { Int64($0!) }, shape: [inBase.count])
        let baseShape = base.shape, viewShape = shape
        let copySlices = CustomFunctionNode(name: "CopySlices", ctx: FunctionContext(), inputShapes: [baseShape, viewShape]) { _, g in
            let flat = g.reshape(-1), s = sel.to(g.device)
            return [flat.indexFill(dim: 0, index: s, value: 0).reshape(baseShape), flat.indexSelect(dim: 0, s).reshape(viewShape)]
        }
        let baseOld = base.detach()
        baseOld.node = base.node
        baseOld.requiresGradFlag = base.requiresGradFlag
        let marker = base.detach().recorded(.custom(copySlices), inputs: [baseOld, r])
        base.node = marker.node
        base.requiresGradFlag = true
        let again = base.asStrided(shape, strides, storageOffset: offset)
        node = again.node
        requiresGradFlag = true
        return self
    }

    // MARK: index_put_, index_copy_, masked_scatter_

    /// Writes `values` at the entries picked by one index tensor per leading dim, adding them up where
    /// `accumulate` (PyTorch's `index_put_`; bool index tensors pick their true entries).
    @discardableResult public func indexPut_(_ indices: [Tensor], _ values: Tensor, accumulate: Bool = false) -> Tensor {
        if indices.count > rank { fail("too many indices for tensor of dimension \(rank) (got \(indices.count))") }
        if !accumulate { assign(indices.map { .tensor($0) }, values); return self }
        var cols: [Tensor] = []
        for t in indices { if t.dtype == .bool { cols += t.nonzero(asTuple: true) } else { cols.append(t) } }
        if cols.count > rank { fail("too many indices for tensor of dimension \(rank) (got \(cols.count))") }
        if let t = cols.first(where: { $0.dtype.isFloatingPoint }) { fail("tensors used as indices must be long, int, byte or bool tensors, got \(t.dtype)") }
        var bshape = cols.first?.shape ?? []
        for c in cols.dropFirst() { bshape = broadcastShapes(bshape, c.shape) }
        let k = cols.count, lead = Array(shape[..<k]), rest = Array(shape[k...])
        var linear = [Int64](repeating: 0, count: bshape.reduce(1, *))
        for (i, c) in cols.enumerated() {
            let n = lead[i]
            let scale = lead[(i + 1)...].reduce(1, *)
            for (j, v) in c.to(dtype: .int64).expand(bshape).contiguous().to(.cpu).toArray(Int64.self).enumerated() {
                if v < -Int64(n) || v >= Int64(n) { fail("index \(v) is out of bounds for dimension \(i) with size \(n)") }
                linear[j] += (v < 0 ? v + Int64(n) : v) * Int64(scale)
            }
        }
        let src = values.to(dtype: dtype).expand(bshape + rest).reshape([linear.count] + rest)
        let flat = reshape([lead.reduce(1, *)] + rest)
        return copy_(flat.indexAdd(dim: 0, index: Tensor(flat: linear, shape: [linear.count]).to(device), source: src).reshape(shape))
    }
    /// `indexPut_` on a copy (PyTorch's `index_put`).
    public func indexPut(_ indices: [Tensor], _ values: Tensor, accumulate: Bool = false) -> Tensor {
        clone().indexPut_(indices, values, accumulate: accumulate)
    }

    /// Copies the slices of `source` along `dim` to the positions `index` names (PyTorch's `index_copy_`).
    @discardableResult public func indexCopy_(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        let d = rank == 0 ? 0 : normalizeDim(dim, rank)
        if index.rank > 1 { fail("index_copy_(): Index should have dimension 1 or 0 (got \(index.rank))") }
        if index.dtype != .int64 { fail("index_copy_(): Expected a long tensor for index, but got \(index.dtype)") }
        if source.dtype != dtype { fail("index_copy_(): self and source expected to have the same dtype, but got (self) \(dtype) and (source) \(source.dtype)") }
        var want = shape
        if rank > 0 { want[d] = index.count }
        if source.shape != want && !(rank == 0 && source.count == 1) {
            fail("index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: \(shapeString(shape)) at dimension \(d) and source slice shape: \(shapeString(source.shape)) at dimension \(d).")
        }
        let items: [TensorIndexItem] = Array(repeating: .all, count: d) + [.tensor(index.reshape(-1))]
        assign(items, source)
        return self
    }
    /// `indexCopy_` on a copy (PyTorch's `index_copy`).
    public func indexCopy(dim: Int, index: Tensor, source: Tensor) -> Tensor { clone().indexCopy_(dim: dim, index: index, source: source) }

    /// Copies `source`'s leading elements, in order, to the entries where `mask` (broadcast) is true
    /// (PyTorch's `masked_scatter_`).
    @discardableResult public func maskedScatter_(_ mask: Tensor, _ source: Tensor) -> Tensor {
        if mask.dtype != .bool { fail("masked_scatter_ only supports boolean masks, but got mask with dtype \(mask.dtype)") }
        if source.dtype != dtype { fail("masked_scatter: expected self and source to have same dtypes but got \(dtype) and \(source.dtype)") }
        let m = mask.expand(shape)
        let k = Int(m.sum().item())
        if source.count < k { fail("masked_scatter: expected source to have at least as many elements as ones in mask") }
        assign([.tensor(m)], source.reshape(-1).narrow(dim: 0, start: 0, length: k))
        return self
    }
    /// `maskedScatter_` on a copy (PyTorch's `masked_scatter`).
    public func maskedScatter(_ mask: Tensor, _ source: Tensor) -> Tensor { clone().maskedScatter_(mask, source) }
}

/// `torch.as_strided(x, size, stride, storage_offset)`.
public func asStrided(_ x: Tensor, _ size: [Int], _ stride: [Int], storageOffset: Int? = nil) -> Tensor {
    x.asStrided(size, stride, storageOffset: storageOffset)
}
/// `torch.index_put(x, indices, values, accumulate)`.
public func indexPut(_ x: Tensor, _ indices: [Tensor], _ values: Tensor, accumulate: Bool = false) -> Tensor {
    x.indexPut(indices, values, accumulate: accumulate)
}
/// `torch.index_copy(x, dim, index, source)`.
public func indexCopy(_ x: Tensor, dim: Int, index: Tensor, source: Tensor) -> Tensor { x.indexCopy(dim: dim, index: index, source: source) }
/// `torch.masked_scatter(x, mask, source)`.
public func maskedScatter(_ x: Tensor, _ mask: Tensor, _ source: Tensor) -> Tensor { x.maskedScatter(mask, source) }
