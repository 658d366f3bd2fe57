/// One item of a subscript: an integer, a range, `.all`, `.stride(by:)`, a tensor of indices or a mask.
public protocol TensorIndex {
    var tensorIndexItem: TensorIndexItem { get }
}

/// The resolved forms of subscript items (PyTorch's `x[i]`, `x[a:b:s]`, `x[:]`, `x[None]`, `x[...]`, `x[idx]`).
public enum TensorIndexItem: TensorIndex {
    case index(Int)
    case range(Int?, Int?, Int)
    case everything
    case newDim
    case rest
    case tensor(Tensor)
    public var tensorIndexItem: TensorIndexItem { self }
}

extension TensorIndex where Self == TensorIndexItem {
    /// Every entry of the dim (PyTorch's `:`).
    public static var all: TensorIndexItem { .everything }
    /// Every `step`-th entry of the dim (PyTorch's `::step`).
    public static func stride(by step: Int) -> TensorIndexItem { .range(nil, nil, step) }
    /// Entries `start..<end` every `step` (PyTorch's `start:end:step`); nil bounds mean the ends.
    public static func slice(_ start: Int?, _ end: Int?, step: Int = 1) -> TensorIndexItem { .range(start, end, step) }
    /// A new size-1 dim (PyTorch's `None`).
    public static var newAxis: TensorIndexItem { .newDim }
    /// All remaining dims (PyTorch's `...`).
    public static var ellipsis: TensorIndexItem { .rest }
}

extension Int: TensorIndex { public var tensorIndexItem: TensorIndexItem { .index(self) } }
extension Range: TensorIndex where Bound == Int { public var tensorIndexItem: TensorIndexItem { .range(lowerBound, upperBound, 1) } }
extension ClosedRange: TensorIndex where Bound == Int { public var tensorIndexItem: TensorIndexItem { .range(lowerBound, upperBound + 1, 1) } }
extension PartialRangeFrom: TensorIndex where Bound == Int { public var tensorIndexItem: TensorIndexItem { .range(lowerBound, nil, 1) } }
extension PartialRangeUpTo: TensorIndex where Bound == Int { public var tensorIndexItem: TensorIndexItem { .range(nil, upperBound, 1) } }
extension PartialRangeThrough: TensorIndex where Bound == Int { public var tensorIndexItem: TensorIndexItem { .range(nil, upperBound + 1, 1) } }
extension Tensor: TensorIndex { public var tensorIndexItem: TensorIndexItem { .tensor(self) } }
/// A list of integers picks entries, as an int64 index tensor does (PyTorch's `x[[0, 2]]`).
extension Array: TensorIndex where Element == Int { public var tensorIndexItem: TensorIndexItem { .tensor(Tensor(self, dtype: .int64)) } }

/// A basic (view) index resolved against a concrete dim.
enum BasicIndex {
    case select(Int)              // a single entry: the dim disappears
    case range(Int, Int, Int)     // start, count, step
    case insert                   // new size-1 dim
}

extension Tensor {
    /// Indexing as in PyTorch: integers select, ranges slice (views sharing storage), `.all` keeps a dim,
    /// `.stride(by:)` steps, an int64 tensor picks entries, a bool tensor masks.
    public subscript(_ items: TensorIndex...) -> Tensor {
        get { self[items.map { $0.tensorIndexItem }] }
        set { assign(items.map { $0.tensorIndexItem }, newValue) }
    }

    public subscript(_ items: [TensorIndexItem]) -> Tensor {
        get { index(items) }
        set { assign(items, newValue) }
    }

    /// Resolves items into per-dim basic indices plus the advanced (tensor) indices and their dims in the
    /// view. `fullSlice` marks the basic entries that keep a whole dim and that PyTorch does not record:
    /// ellipsis and tensor placeholders, and, in a subscript of several items, slices written with start
    /// 0 (or none), step 1 and an end at or past the size (its `applySlice` shortcut).
    func resolve(_ items: [TensorIndexItem]) -> (basic: [BasicIndex], advanced: [(Tensor, Int)], fullSlice: [Bool]) {
        var basic: [BasicIndex] = []
        var fullSlice: [Bool] = []
        var advanced: [(Tensor, Int)] = []
        let consuming = items.reduce(0) { n, it in
            switch it {
            case .newDim, .rest: return n
            case .tensor(let t): return n + (t.dtype == .bool ? Swift.max(t.rank, 1) : 1)
            default: return n + 1
            }
        }
        if consuming > rank { fail("too many indices for tensor of dimension \(rank)") }
        var dim = 0      // input dim
        var outDim = 0   // dim in the result of the basic indexing
        for it in items {
            switch it {
            case .index(let i):
                let n = shape[dim]
                if i < -n || i >= n { fail("index \(i) is out of bounds for dimension \(dim) with size \(n)") }
                basic.append(.select(i < 0 ? i + n : i)); fullSlice.append(false); dim += 1
            case .range(let s, let e, let step):
                if step <= 0 { fail("step must be greater than zero") }
                let n = shape[dim]
                func clampBound(_ v: Int?, _ def: Int) -> Int {
                    guard var v = v else { return def }
                    if v < 0 { v += n }
                    return Swift.min(Swift.max(v, 0), n)
                }
                let start = clampBound(s, 0), end = clampBound(e, n)
                let cnt = end > start ? (end - start + step - 1) / step : 0
                basic.append(.range(start, cnt, step)); dim += 1; outDim += 1
                fullSlice.append(items.count > 1 && (s ?? 0) == 0 && step == 1 && (e ?? Int.max) >= n)
            case .everything:
                basic.append(.range(0, shape[dim], 1)); fullSlice.append(items.count > 1); dim += 1; outDim += 1
            case .newDim:
                basic.append(.insert); fullSlice.append(false); outDim += 1
            case .rest:
                let remaining = rank - dim - (consuming - basicConsumedAfter(items, it))
                for _ in 0..<Swift.max(remaining, 0) { basic.append(.range(0, shape[dim], 1)); fullSlice.append(true); dim += 1; outDim += 1 }
            case .tensor(let t):
                advanced.append((t, outDim))
                let k = t.dtype == .bool ? Swift.max(t.rank, 1) : 1
                for _ in 0..<k { basic.append(.range(0, shape[dim], 1)); fullSlice.append(true); dim += 1; outDim += 1 }
            }
        }
        return (basic, advanced, fullSlice)
    }
    private func basicConsumedAfter(_ items: [TensorIndexItem], _ e: TensorIndexItem) -> Int {
        // dims consumed by the items before the ellipsis
        var n = 0
        for it in items {
            if case .rest = it { break }
            switch it {
            case .newDim: break
            case .tensor(let t): n += t.dtype == .bool ? Swift.max(t.rank, 1) : 1
            default: n += 1
            }
        }
        return n
    }

    /// Applies basic indices as a view (no autograd recording).
    func basicView(_ basic: [BasicIndex]) -> Tensor {
        var s: [Int] = [], st: [Int] = []
        var off = offset
        var dim = 0
        for b in basic {
            switch b {
            case .select(let i): off += i * strides[dim]; dim += 1
            case .range(let start, let cnt, let step):
                off += start * strides[dim]; s.append(cnt); st.append(strides[dim] * step); dim += 1
            case .insert: s.append(1); st.append(1)
            }
        }
        while dim < rank { s.append(shape[dim]); st.append(strides[dim]); dim += 1 }
        return makeView(s, st, off)
    }

    func index(_ items: [TensorIndexItem]) -> Tensor {
        let (basic, adv, fullSlice) = resolve(items)
        var v = wantsGrad(self) ? recordedBasicIndex(basic, skip: fullSlice, aliasWhenEmpty: adv.isEmpty) : basicView(basic)
        if adv.count == 1 { v = v.advancedIndex(adv[0].0, dim: adv[0].1) }
        else if adv.count > 1 { v = v.multiTensorIndex(adv) }
        return v
    }

    /// The basic part of a subscript on a graph tensor, applied left to right as PyTorch does: each
    /// integer records `SelectBackward0`, each slice `SliceBackward0`, each new axis
    /// `UnsqueezeBackward0`. In a subscript of several items a slice that keeps its whole dim
    /// (start 0 as written, step 1, end at or past the size: `:`, `...`, `0..<n`) is skipped, as
    /// PyTorch's `applySlice` skips it; when nothing is left the view records `AliasBackward0`.
    /// A lone slice (`x[0..<3]`, `x[.all]`) always records `SliceBackward0`.
    private func recordedBasicIndex(_ basic: [BasicIndex], skip: [Bool], aliasWhenEmpty: Bool) -> Tensor {
        var v: Tensor = self
        var outDim = 0   // where the next entry applies in the view built so far
        var recordedAny = false
        for (k, b) in basic.enumerated() {
            if skip[k] { outDim += 1; continue }
            var prefix = [BasicIndex]()
            for d in 0..<outDim { prefix.append(.range(0, v.shape[d], 1)) }
            let step = prefix + [b]
            let name: String
            switch b {
            case .select: name = "SelectBackward0"
            case .range: name = "SliceBackward0"; outDim += 1
            case .insert: name = "UnsqueezeBackward0"; outDim += 1
            }
            let next = v.basicView(step)
            next.recorded(.basicIndex(name, inShape: v.shape, step), inputs: [v])
            v = next
            recordedAny = true
        }
        if !recordedAny && aliasWhenEmpty {
            let alias = basicView([])
            alias.recorded(.basicIndex("AliasBackward0", inShape: shape, []), inputs: [self])
            return alias
        }
        return v
    }

    /// The subscript as one recorded view (`SliceBackward0`, or `gradFnName`), as `narrow` records it.
    func sliceAsOneNode(_ items: [TensorIndexItem], gradFnName: String = "SliceBackward0") -> Tensor {
        let (basic, _, _) = resolve(items)
        let v = basicView(basic)
        if wantsGrad(self) { v.recorded(.basicIndex(gradFnName, inShape: shape, basic), inputs: [self]) }
        return v
    }

    /// Several integer index tensors (PyTorch's `x[idx0, idx1]`): they broadcast together; the picked
    /// entries replace their dims, in place when the indexed dims are adjacent, else in front.
    func multiTensorIndex(_ adv: [(Tensor, Int)]) -> Tensor {
        for (t, _) in adv where t.dtype == .bool || t.dtype == .uint8 {
            fail("indexing with a mask together with other index tensors is not supported")
        }
        let dims = adv.map { $0.1 }
        let adjacent = zip(dims, dims.dropFirst()).allSatisfy { $1 == $0 + 1 }
        var x = self
        var first = dims[0]
        if !adjacent {   // the advanced dims go first
            let rest = (0..<rank).filter { !dims.contains($0) }
            x = permute(dims + rest)
            first = 0
        }
        var bshape: [Int] = []
        for (t, _) in adv { bshape = bshape.isEmpty ? t.shape : broadcastShapes(bshape, t.shape) }
        // one linear index into the flattened indexed dims
        var linear: Tensor? = nil
        for (k, (t, d)) in adv.enumerated() {
            let n = shape[d]
            let idx = Kernels.checkedIndices((t.dtype == .int64 ? t : t.to(dtype: .int64)).expand(bshape).contiguous(),
                                             size: n, dim: d, wrapNegative: true)
            let stride = adv[(k + 1)...].reduce(1) { $0 * shape[$1.1] }
            let term = stride == 1 ? idx : idx * stride
            linear = linear.map { $0 + term } ?? term
        }
        let flat = x.flatten(startDim: first, endDim: first + adv.count - 1)
        return flat.advancedIndex(linear!, dim: first)
    }

    /// Running sums along `dim` (PyTorch's `cumsum`); integer and bool tensors sum as int64.
    public func cumsum(dim: Int) -> Tensor {
        let d = normalizeDim(dim, Swift.max(rank, 1))
        let x = (dtype.isFloatingPoint || dtype == .int64 ? self : to(dtype: .int64)).contiguous()
        let out = Tensor(uninitializedShape: x.shape, dtype: x.dtype, device: device)
        let outer = rank == 0 ? 1 : shape[..<d].reduce(1, *), n = rank == 0 ? 1 : shape[d], inner = rank == 0 ? 1 : shape[(d + 1)...].reduce(1, *)
        Kernels.cumsum(x, outer, n, inner, out: out, reverse: false)
        if wantsGrad(self) && dtype.isFloatingPoint {
            out.recorded(.cumsum(outer: outer, count: n, inner: inner), inputs: [self])
        }
        return out
    }

    /// Picks entries along `dim` with an int64 tensor, or masks dims `dim..<dim+mask.rank` with a bool tensor.
    func advancedIndex(_ t: Tensor, dim: Int) -> Tensor {
        checkSameDevice(self, t)
        if t.dtype == .bool || t.dtype == .uint8 {
            let k = Swift.max(t.rank, 1)
            for i in 0..<t.rank where t.shape[i] != shape[dim + i] {
                fail("The shape of the mask \(shapeString(t.shape)) at index \(i) does not match the shape of the indexed tensor \(shapeString(shape)) at index \(dim + i)")
            }
            let idx = Kernels.nonzeroPositions(t.contiguous())
            let flat = k == 1 ? self : self.flatten(startDim: dim, endDim: dim + k - 1)
            return flat.indexSelect(dim: dim, idx, gradFnName: "IndexBackward0")
        }
        if t.dtype != .int64 && t.dtype != .int32 { fail("tensors used as indices must be long, int, byte or bool tensors") }
        let flatIdx = t.rank == 1 ? t : t.reshape(-1)
        let r = indexSelect(dim: dim, flatIdx.to(dtype: .int64), gradFnName: "IndexBackward0")
        if t.rank == 1 { return r }
        return r.reshape(Array(shape[..<dim]) + t.shape + Array(shape[(dim + 1)...]))
    }

    /// Entries of `dim` at the int64 `indices` (PyTorch's `index_select`); negative indices count from the end.
    public func indexSelect(dim: Int, _ indices: Tensor) -> Tensor { indexSelect(dim: dim, indices, gradFnName: "IndexSelectBackward0") }

    func indexSelect(dim: Int, _ indices: Tensor, gradFnName: String) -> Tensor {
        let d = normalizeDim(dim, rank)
        let n = shape[d]
        let idx = Kernels.checkedIndices(indices.contiguous(), size: n, dim: d, wrapNegative: true)
        let x = contiguous()
        let outer = shape[..<d].reduce(1, *), inner = shape[(d + 1)...].reduce(1, *)
        var s = shape; s[d] = idx.count
        let out = Tensor(uninitializedShape: s, dtype: dtype, device: device)
        Kernels.indexSelect(x, outer, n, inner, idx, out: out)
        if wantsGrad(self) { out.recorded(.indexSelect(gradFnName, inShape: shape, dim: d), inputs: [self], saved: [idx]) }
        return out
    }

    /// Writes `value` (broadcast) into the indexed region (PyTorch's `x[...] = value`). On a tensor of
    /// an autograd graph the write is recorded (PyTorch's `CopySlices` / `IndexPutBackward0`): the region's
    /// gradient goes to `value`, the rest to the old value.
    func assign(_ items: [TensorIndexItem], _ value: Tensor) {
        applyInPlace([value], raw: { assignRaw(items, value) }, compute: { old in
            let out = noGrad { old.clone() }
            out.assignRaw(items, value)
            if wantsGrad(old, value) {
                let advanced = items.contains { if case .tensor = $0 { return true } else { return false } }
                let valueShape = value.shape
                let keep = Tensor.ones(old.shape, dtype: old.dtype, device: old.device)
                keep.assignRaw(items, Tensor.zeros([], dtype: old.dtype))
                out.recorded(.indexPut(advanced: advanced, items: items, valueShape: valueShape), inputs: [old, value], saved: [keep])
            }
            return out
        })
    }

    /// The write itself, without autograd.
    func assignRaw(_ items: [TensorIndexItem], _ value: Tensor) {
        let (basic, adv, _) = resolve(items)
        let v = basicView(basic)
        if adv.count > 1 {
            // several index tensors: the same linear index as reading, written one entry at a time
            let dims = adv.map { $0.1 }
            guard zip(dims, dims.dropFirst()).allSatisfy({ $1 == $0 + 1 }), v.isContiguous || v.rank == dims.count else {
                fail("assignment through several index tensors needs adjacent indexed dims of a contiguous tensor")
            }
            var bshape: [Int] = []
            for (t, _) in adv { bshape = bshape.isEmpty ? t.shape : broadcastShapes(bshape, t.shape) }
            let cols = adv.map { (t, _) in t.to(dtype: .int64).expand(bshape).contiguous().toArray(Int.self) }
            let vv = value.to(dtype: dtype).expand(bshape + Array(v.shape[(dims.last! + 1)...])).contiguous()
            let lead = Array(0..<dims[0])
            if !lead.isEmpty { fail("assignment through several index tensors must index the leading dims") }
            for j in 0..<(cols.first?.count ?? 0) {
                var target = v
                for (k, c) in cols.enumerated() {
                    let n = v.shape[dims[k]]
                    let i = c[j] < 0 ? c[j] + n : c[j]
                    if i < 0 || i >= n { fail("index \(c[j]) is out of bounds for dimension \(dims[k]) with size \(n)") }
                    target = target.basicView([.select(i)])
                }
                let src = vv.reshape(-1, Swift.max(target.count, 1)).basicView([.select(j)]).reshape(target.shape)
                copyStrided(from: src, into: target)
            }
            return
        }
        if let (t, d) = adv.first {
            if t.dtype == .bool && value.count != 1 {
                // x[mask] = values: the true entries, in row-major order, take the values' slices one by
                // one (PyTorch's index_put_ with mask.nonzero())
                let coords = t.nonzero().to(.cpu).toArray(Int64.self)
                let k = coords.count / Swift.max(t.rank, 1)
                let lead = Array(v.shape[..<d]), rest = Array(v.shape[Swift.min(d + t.rank, v.rank)...])
                let vv = value.to(dtype: dtype).expand(lead + [k] + rest)
                let keepLead = (0..<d).map { BasicIndex.range(0, v.shape[$0], 1) }
                for j in 0..<k {
                    let target = v.basicView(keepLead + (0..<t.rank).map { .select(Int(coords[j * t.rank + $0])) })
                    copyStrided(from: vv.basicView(keepLead + [.select(j)]), into: target)
                }
                return
            }
            if t.dtype == .bool {
                // masked assignment: write through a where() over the view
                let m = t.rank < v.rank - d ? t.reshape(t.shape + [Int](repeating: 1, count: v.rank - d - t.rank)) : t
                let shaped = Array(repeating: 1, count: d) + m.shape
                let r = noGrad { `where`(m.reshape(shaped), value.to(dtype: dtype), v) }
                copyStrided(from: r, into: v)
                return
            }
            let idx = t.reshape(-1).to(dtype: .int64).toArray(Int64.self)
            let vv = value.to(dtype: dtype)
            for (j, i) in idx.enumerated() {
                let target = v.basicView(Array(repeating: .range(0, 0, 1), count: 0) + (0..<d).map { BasicIndex.range(0, v.shape[$0], 1) } + [.select(Int(i))])
                let src = vv.rank >= v.rank ? vv.basicView((0..<d).map { BasicIndex.range(0, vv.shape[$0], 1) } + [.select(j)]) : vv
                copyStrided(from: src, into: target)
            }
            return
        }
        copy(from: value, into: v)
    }
    private func copy(from value: Tensor, into v: Tensor) {
        _ = broadcastShapes(value.shape, v.shape)
        let s = value.dtype == dtype ? value : value.to(dtype: dtype)
        copyStrided(from: s, into: v)
    }
}

/// Rows of `weight` at the integer `indices` (PyTorch's `F.embedding`): shape `indices.shape + [dim]`.
public func embedding(_ indices: Tensor, _ weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
    if indices.dtype != .int64 && indices.dtype != .int32 {
        fail("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(indices.dtype.legacyTypeName) instead (while checking arguments for embedding)")
    }
    if weight.rank != 2 { fail("'weight' must be 2-D") }
    let n = weight.shape[0], d = weight.shape[1]
    checkSameDevice(weight, indices)
    let idx = Kernels.checkedIndices(indices.to(dtype: .int64).contiguous(), size: n, dim: 0, wrapNegative: false,
                                     message: "index out of range in self")
    let flat = idx.rank == 1 ? idx : idx.reshape(-1)
    let out = noGrad { weight.indexSelect(dim: 0, flat).reshape(indices.shape + [d]) }
    if wantsGrad(weight) {
        let pad = paddingIdx.map { $0 < 0 ? $0 + n : $0 }
        out.recorded(.embedding(rows: n, width: d, paddingIdx: pad), inputs: [weight], saved: [flat])
    }
    return out
}

extension Op {
    /// EmbeddingBackward0: the rows' gradients summed into a zero table; the padding row gets none.
    static func embeddingBackward(rows n: Int, width d: Int, paddingIdx pad: Int?, _ g: Tensor, _ s: [Tensor]) -> [Tensor?] {
        let gw = Tensor.zeros([n, d], dtype: g.dtype, device: g.device)
        let gc = g.reshape(-1, d).contiguous()
        Kernels.indexAdd(gw, 1, n, d, s[0], gc)
        if let pad = pad { noGrad { gw[pad].fill_(0) } }
        return [gw]
    }
}

/// The gradient of a basic index (select, slice, split, unbind): zeros with g in the indexed region,
/// as a recorded function, so that double backward (create_graph) goes through it; its own gradient
/// is the same index of the incoming gradient.
final class BasicIndexScatter: Function {
    override class var gradFnName: String { "SelectBackwardBackward0" }
    static func scatter(_ g: Tensor, inShape: [Int], _ basic: [BasicIndex]) -> Tensor {
        let z = Tensor.zeros(inShape, dtype: g.dtype, device: g.device)
        copyStrided(from: g, into: z.basicView(basic))
        return z
    }
    static func apply(_ g: Tensor, name: String, inShape: [Int], _ basic: [BasicIndex]) -> Tensor {
        let ctx = FunctionContext()
        ctx.values["index"] = (name, inShape, basic)
        return applyWith(ctx, [g])
    }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        let (_, inShape, basic) = ctx.values["index"] as! (String, [Int], [BasicIndex])
        return scatter(inputs[0], inShape: inShape, basic)
    }
    override class func backward(_ ctx: FunctionContext, _ gz: Tensor) -> [Tensor?] {
        let (name, _, basic) = ctx.values["index"] as! (String, [Int], [BasicIndex])
        let v = gz.basicView(basic)
        if wantsGrad(gz) { v.recorded(.basicIndex(name, inShape: gz.shape, basic), inputs: [gz]) }
        return [v]
    }
}
