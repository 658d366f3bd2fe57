/// PyTorch's broadcasting of two shapes, failing with its message when they are incompatible.
func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int] {
    if a == b { return a }
    let n = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
            fail("The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i)")
        }
    }
    return out
}

extension Tensor {
    /// Element strides that read this tensor as if broadcast to `shape` (0 on broadcast dims).
    func broadcastStrides(to shape: [Int]) -> [Int] {
        let n = shape.count, k = self.shape.count
        var st = [Int](repeating: 0, count: n)
        for i in 0..<k {
            let j = n - k + i
            st[j] = self.shape[i] == shape[j] ? strides[i] : 0
        }
        return st
    }

    /// A view of this tensor broadcast to `shape` (PyTorch's `expand`), recording ExpandBackward0.
    public func expand(_ shape: [Int]) -> Tensor {
        if shape == self.shape && !wantsGrad(self) { return self }
        var target = shape
        let off = shape.count - self.shape.count
        if off < 0 { fail("expand: the number of sizes provided (\(shape.count)) must be greater or equal to the number of dimensions in the tensor (\(self.shape.count))") }
        for i in 0..<shape.count where shape[i] == -1 {
            if i < off { fail("expand: -1 is not allowed in a leading, non-existing dimension") }
            target[i] = self.shape[i - off]
        }
        for i in 0..<self.shape.count where self.shape[i] != 1 && self.shape[i] != target[i + off] {
            fail("The expanded size of the tensor (\(target[i + off])) must match the existing size (\(self.shape[i])) at non-singleton dimension \(i + off).  Target sizes: \(shapeString(shape)).  Tensor sizes: \(shapeString(self.shape))")
        }
        let out = makeView(target, broadcastStrides(to: target), offset)
        if wantsGrad(self) { out.recorded(.expand(inShape: self.shape), inputs: [self]) }
        return out
    }
    public func expand(_ shape: Int...) -> Tensor { expand(shape) }
    /// Broadcasts to `other`'s shape.
    public func expandAs(_ other: Tensor) -> Tensor { expand(other.shape) }
}

/// Sums a broadcast gradient back down to `shape` (the backward of broadcasting).
func sumToShape(_ g: Tensor, _ shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let lead = g.shape.count - shape.count
    var dims: [Int] = Array(0..<Swift.max(lead, 0))
    for i in 0..<shape.count where shape[i] == 1 && g.shape[i + lead] != 1 { dims.append(i + lead) }
    var r = dims.isEmpty ? g : g.sum(dims: dims, keepDim: true)
    if r.shape != shape { r = r.reshape(shape) }
    return r
}

/// The result dtype of a binary op, with PyTorch's priorities: dimensioned tensors, then 0-dim
/// tensors, then wrapped Swift numbers, each able to raise only the category (bool < int < float).
/// The dtype of an op combining `a` and `b` (PyTorch's `torch.result_type`): dimensioned tensors
/// outrank 0-dim ones, which outrank Swift numbers; a lower rank wins only with a higher category
/// (bool < integer < floating point).
public func resultType(_ a: Tensor, _ b: Tensor) -> DType {
    if a.dtype == b.dtype { return a.dtype }
    func level(_ t: Tensor) -> Int { t.isWrappedNumber ? 2 : (t.rank == 0 ? 1 : 0) }
    var best: [DType?] = [nil, nil, nil]
    for t in [a, b] {
        let l = level(t)
        best[l] = best[l].map { DType.promote($0, t.dtype) } ?? t.dtype
    }
    var r: DType? = best[0]
    for l in 1...2 {
        guard let d = best[l] else { continue }
        if let cur = r {
            if d.category > cur.category {
                r = l == 2 ? (d.category == 2 ? getDefaultDtype() : (d.category == 1 ? .int64 : .bool)) : d
            }
        } else {
            r = l == 2 ? (d.category == 2 ? getDefaultDtype() : (d.category == 1 ? .int64 : .bool)) : d
        }
    }
    return r!
}

/// The smallest dtype both `a` and `b` convert to (PyTorch's `torch.promote_types`).
public func promoteTypes(_ a: DType, _ b: DType) -> DType { DType.promote(a, b) }
/// Whether PyTorch's casting rules let an op write a `from` result into a `to` tensor (PyTorch's
/// `torch.can_cast`): not floating point into integer or bool, nor integer into bool.
public func canCast(_ from: DType, _ to: DType) -> Bool { from.category <= to.category }

/// Stops with PyTorch's message when two operands live on different devices. A 0-dim CPU tensor
/// (a Swift number in `x * 2`, or `torch.tensor(2.0)`) may meet a tensor on any device, as in PyTorch.
@inline(__always)
func checkSameDevice(_ a: Tensor, _ b: Tensor) {
    if a.device != b.device && !(a.rank == 0 && a.device == .cpu) && !(b.rank == 0 && b.device == .cpu) {
        mixedDevices(a.device, b.device)
    }
}
@inline(never) func mixedDevices(_ a: Device, _ b: Device) -> Never {
    // PyTorch words it differently when one side is the meta device
    if a == .meta || b == .meta { fail("Tensor on device \(a == .meta ? b : a) is not on the expected device meta!") }
    fail("Expected all tensors to be on the same device, but found at least two devices, \(a) and \(b)!")
}
/// The device of an op's result: the operands' shared device, or that of the one that is not a 0-dim CPU tensor.
@inline(__always)
func resultDevice(_ a: Tensor, _ b: Tensor) -> Device {
    a.device == b.device || a.rank == 0 && a.device == .cpu ? b.device : a.device
}

/// Runs a binary kernel: broadcasts, converts both operands to `compute`, writes a new tensor.
func binaryKernel(_ a: Tensor, _ b: Tensor, op: BinaryOp, compute: DType, output: DType) -> Tensor {
    checkSameDevice(a, b)
    let a2 = a.dtype == compute ? a : a.promoted(to: compute)
    let b2 = b.dtype == compute ? b : b.promoted(to: compute)
    let shape = a.shape == b.shape ? a.shape : broadcastShapes(a.shape, b.shape)
    let out = Tensor(uninitializedShape: shape, dtype: output, device: resultDevice(a, b))
    let sa = a2.shape == shape ? a2.strides : a2.broadcastStrides(to: shape)
    let sb = b2.shape == shape ? b2.strides : b2.broadcastStrides(to: shape)
    Kernels.binary(op, compute: compute, out: out, a2, sa, b2, sb)
    return out
}
