/// Values that can initialise a tensor: Swift scalars and arrays of them, nested to any depth.
public protocol TensorData {
    /// Appends the values in row-major order and returns the shape.
    func descentFlatten(into values: inout [Double]) -> [Int]
    /// The dtype PyTorch infers for such a literal (floats -> float32, ints -> int64, bools -> bool).
    static var descentDefaultDType: DType { get }
}
extension Double: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(self); return [] }
    public static var descentDefaultDType: DType { getDefaultDtype() }
}
extension Float: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(Double(self)); return [] }
    public static var descentDefaultDType: DType { .float32 }
}
extension Int: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(Double(self)); return [] }
    public static var descentDefaultDType: DType { .int64 }
}
extension Int64: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(Double(self)); return [] }
    public static var descentDefaultDType: DType { .int64 }
}
extension Int32: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(Double(self)); return [] }
    public static var descentDefaultDType: DType { .int32 }
}
extension UInt8: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(Double(self)); return [] }
    public static var descentDefaultDType: DType { .uint8 }
}
extension Bool: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] { values.append(self ? 1 : 0); return [] }
    public static var descentDefaultDType: DType { .bool }
}
extension Array: TensorData where Element: TensorData {
    public func descentFlatten(into values: inout [Double]) -> [Int] {
        var inner: [Int]? = nil
        for e in self {
            let s = e.descentFlatten(into: &values)
            if let i = inner, i != s {
                fail("expected sequence of length \(i.first ?? 0) at dim \(1) (got \(s.first ?? 0))")
            }
            inner = s
        }
        return [count] + (inner ?? (Element.self is any Collection.Type ? [0] : []))
    }
    public static var descentDefaultDType: DType { Element.descentDefaultDType }
}

extension Tensor {
    /// A tensor from a Swift scalar or (nested) array: `Tensor([[0.0], [0.1]])`, `Tensor(3.14, requiresGrad: true)`,
    /// `Tensor([0, 1, 2], dtype: .int64)`. Floating literals give float32 and integer literals int64, as in PyTorch.
    public convenience init<T: TensorData>(_ data: T, dtype: DType? = nil, device: Device = .cpu, requiresGrad: Bool = false) {
        var values: [Double] = []
        let shape = data.descentFlatten(into: &values)
        self.init(values: values, shape: shape, dtype: dtype ?? T.descentDefaultDType, device: device)
        if requiresGrad {
            if !self.dtype.isFloatingPoint { fail("Only Tensors of floating point and complex dtype can require gradients") }
            self.requiresGrad = true
        }
    }

    /// A contiguous tensor holding `values` (row-major) converted to `dtype`.
    convenience init(values: [Double], shape: [Int], dtype: DType, device: Device = .cpu) {
        self.init(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.copyFromHost(values, into: self)
    }

    /// A tensor from a flat buffer of Swift values and a shape.
    public convenience init<T: TensorScalar>(flat values: [T], shape: [Int]) {
        let n = shape.reduce(1, *)
        if n != values.count { fail("shape \(shapeString(shape)) is invalid for input of size \(values.count)") }
        self.init(uninitializedShape: shape, dtype: T.dtype, device: .cpu)
        if T.self == Int.self || T.self == Bool.self {
            for (i, v) in values.enumerated() { setElement(flatIndex: i, v.descentDouble) }
        } else {
            Kernels.fillFromHost(self) { dst in values.withUnsafeBytes { dst.copyMemory(from: $0) } }
        }
    }

    /// A 0-dim tensor for a Swift scalar in an expression (a PyTorch "wrapped number").
    static func scalar(_ v: Double, dtype: DType) -> Tensor {
        let t = Tensor(uninitializedShape: [], dtype: dtype, device: .cpu)
        t.setElement(flatIndex: 0, v)
        t.isWrappedNumber = true
        return t
    }

    func setElement(flatIndex: Int, _ v: Double) {
        var rem = flatIndex, off = offset
        var i = shape.count - 1
        while i >= 0 { off += (rem % shape[i]) * strides[i]; rem /= shape[i]; i -= 1 }
        Kernels.writeElement(self, storageOffset: off, v)
    }

    // MARK: Factories

    /// A tensor with uninitialised values (PyTorch's `torch.empty`); `device: .meta` allocates nothing.
    public static func empty(_ shape: Int..., dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { empty(shape, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    public static func empty(_ shape: [Int], dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        Tensor(uninitializedShape: shape, dtype: dtype, device: device).requiringGrad(requiresGrad)
    }
    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.fill(t, value)
        return t.requiringGrad(requiresGrad)
    }
    public static func full(_ shape: Int..., value: Double, dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, value, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    /// A tensor filled with an integer: int64 unless `dtype` says otherwise (PyTorch's `torch.full((2, 3), 7)`).
    public static func full(_ shape: [Int], _ value: Int, dtype: DType? = nil, device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        full(shape, Double(value), dtype: dtype ?? .int64, device: device, requiresGrad: requiresGrad)
    }
    public static func full(_ shape: Int..., value: Int, dtype: DType? = nil, device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, value, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    /// A tensor of zeros.
    public static func zeros(_ shape: Int..., dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, 0, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    public static func zeros(_ shape: [Int], dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, 0, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    /// A tensor of ones.
    public static func ones(_ shape: Int..., dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, 1, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    public static func ones(_ shape: [Int], dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor { full(shape, 1, dtype: dtype, device: device, requiresGrad: requiresGrad) }
    /// Zeros with the shape, dtype and device of `t`.
    public static func zerosLike(_ t: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor { full(t.shape, 0, dtype: dtype ?? t.dtype, device: t.device, requiresGrad: requiresGrad) }
    /// Ones with the shape, dtype and device of `t`.
    public static func onesLike(_ t: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor { full(t.shape, 1, dtype: dtype ?? t.dtype, device: t.device, requiresGrad: requiresGrad) }
    /// `value` with the shape, dtype and device of `t`.
    public static func fullLike(_ t: Tensor, _ value: Double, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor { full(t.shape, value, dtype: dtype ?? t.dtype, device: t.device, requiresGrad: requiresGrad) }
    /// Uninitialised with the shape, dtype and device of `t`.
    public static func emptyLike(_ t: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor { empty(t.shape, dtype: dtype ?? t.dtype, device: t.device, requiresGrad: requiresGrad) }

    /// Sets `requiresGrad` when asked (the factories' `requires_grad=True`); PyTorch's error for non-float dtypes.
    func requiringGrad(_ flag: Bool) -> Tensor {
        if flag { requiresGrad = true }
        return self
    }

    /// Values `start, start+step, ...` below `end` (PyTorch's `torch.arange`). Integer arguments give int64.
    public static func arange(_ end: Int, device: Device = .cpu) -> Tensor { arange(0, end, 1, device: device) }
    /// `torch.arange(n, dtype=...)`: 0, 1, ..., n - 1 as `dtype`.
    public static func arange(_ end: Int, dtype: DType, device: Device = .cpu) -> Tensor { arange(0, end, 1, dtype: dtype, device: device) }
    /// `0, 1, ...` below a fractional `end`, as float32 (PyTorch's `arange(6.0)`).
    @_disfavoredOverload
    public static func arange(_ end: Double, dtype: DType = getDefaultDtype(), device: Device = .cpu) -> Tensor { arange(0, end, 1, dtype: dtype, device: device) }
    public static func arange(_ start: Int, _ end: Int, _ step: Int = 1, dtype: DType = .int64, device: Device = .cpu) -> Tensor {
        if step == 0 { fail("step must be nonzero") }
        let n = Swift.max(0, (end - start + step - (step > 0 ? 1 : -1)) / step)
        return Tensor(values: (0..<n).map { Double(start + $0 * step) }, shape: [n], dtype: dtype, device: device)
    }
    public static func arange(_ start: Double, _ end: Double, _ step: Double = 1, dtype: DType = getDefaultDtype(), device: Device = .cpu, requiresGrad: Bool = false) -> Tensor {
        if step == 0 { fail("step must be nonzero") }
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(values: (0..<n).map { start + Double($0) * step }, shape: [n], dtype: dtype, device: device).requiringGrad(requiresGrad)
    }

    /// `count` evenly spaced values from `start` to `end` inclusive (PyTorch's `torch.linspace`).
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = getDefaultDtype(), requiresGrad: Bool = false) -> Tensor {
        linspaceValues(start, end, count: count, dtype: dtype).requiringGrad(requiresGrad)
    }
    private static func linspaceValues(_ start: Double, _ end: Double, count: Int, dtype: DType) -> Tensor {
        if count < 0 { fail("number of steps must be non-negative") }
        let t = Tensor(uninitializedShape: [count], dtype: dtype, device: .cpu)
        if count == 0 { return t }
        if count == 1 { t.setElement(flatIndex: 0, start); return t }
        let half = count / 2
        if dtype == .float32 {
            // PyTorch computes in float: step = (end - start) / (steps - 1); the second half counts back
            // from end; each value is one fused multiply-add (start + step*i, end - step*(steps-1-i)).
            let s = Float(start), e = Float(end)
            let step = (e - s) / Float(count - 1)
            // (each value is exact in float, so writing it through a double changes nothing)
            for i in 0..<count { t.setElement(flatIndex: i, Double(i < half ? s.addingProduct(step, Float(i)) : e.addingProduct(-step, Float(count - i - 1)))) }
        } else {
            let step = (end - start) / Double(count - 1)
            for i in 0..<count { t.setElement(flatIndex: i, i < half ? start.addingProduct(step, Double(i)) : end.addingProduct(-step, Double(count - i - 1))) }
        }
        return t
    }

    /// The identity matrix (PyTorch's `torch.eye`).
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = getDefaultDtype(), requiresGrad: Bool = false) -> Tensor {
        let cols = m ?? n
        let t = zeros([n, cols], dtype: dtype)
        for i in 0..<Swift.min(n, cols) { t.setElement(flatIndex: i * cols + i, 1) }
        return t.requiringGrad(requiresGrad)
    }
}

/// One-hot encoding of int64 class indices (PyTorch's `F.one_hot`); classes inferred as max + 1 when omitted.
public func oneHot(_ t: Tensor, numClasses: Int? = nil) -> Tensor {
    if t.dtype != .int64 { fail("one_hot is only applicable to index tensor of type LongTensor.") }
    let idx = t.contiguous().toArray(Int64.self)
    let k = numClasses ?? Int((idx.max() ?? -1) + 1)
    var values = [Double](repeating: 0, count: idx.count * k)
    for (i, c) in idx.enumerated() {
        if c < 0 || Int(c) >= k { fail("Class values must be smaller than num_classes.") }
        values[i * k + Int(c)] = 1
    }
    return Tensor(values: values, shape: t.shape + [k], dtype: .int64)
}
