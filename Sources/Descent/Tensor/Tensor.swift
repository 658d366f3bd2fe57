/// An n-dimensional array on a device, with reverse-mode automatic differentiation
/// (PyTorch's `torch.Tensor`). Tensors are reference types, as in PyTorch: views share storage,
/// and `grad` is set on the same object that `backward()` reaches.
public class Tensor: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    private(set) var storage: Storage
    /// The size of each dimension (changes only when a lazy module materializes a parameter).
    public private(set) var shape: [Int]
    /// Element strides of each dimension.
    public private(set) var strides: [Int]
    /// Element offset of the first element in the storage.
    private(set) var offset: Int
    /// The element type (changes only when a module casts its parameters, `Module.to(dtype:)`).
    public private(set) var dtype: DType
    var requiresGradFlag: Bool = false
    /// The autograd node that produced this tensor (nil for leaves).
    var node: Node?
    /// Set for the 0-dim tensors that Swift scalars become in `x * 2` (PyTorch's "wrapped numbers"),
    /// which take part in type promotion with the lowest priority.
    var isWrappedNumber = false
    /// The exact value of a float literal (`Tensor(0.1)`, the `0.1` in `x * 0.1`): the tensor is float32,
    /// as PyTorch's `torch.tensor(0.1)`, but converts to float64 from the double, as a Python float does.
    var literalDouble: Double?
    var retainsGradFlag = false
    /// The accumulated gradient, set by `backward()` on leaves that require grad.
    public var grad: Tensor?
    /// Called with this leaf once `backward()` has added all of its gradient (see `registerPostAccumulateGradHook`).
    var postAccumulateGradHooks: [(id: Int, hook: (Tensor) -> Void)]?
    /// A leaf's gradient hooks (`registerHook`), run on its whole gradient before it is accumulated.
    var gradHooks: [(id: Int, hook: (Tensor) -> Tensor?)]?
    /// Set on a lazy module's placeholder parameters and buffers until their first forward gives them
    /// a shape (PyTorch's `UninitializedParameter` / `UninitializedBuffer`).
    var isUninitializedLazy = false
    /// The tensor whose storage this view shares (PyTorch's `_base`): a recorded in-place write through
    /// the view is recorded on it (`CopySlices`). Set by `makeView`, which every view op goes through.
    var viewBase: Tensor?

    /// Makes this tensor hold `t`'s data (same shape), in place: how `Module.to(dtype:)` casts a
    /// parameter without replacing the object that the module and its optimizer hold.
    func replaceData(with t: Tensor) {
        precondition(t.shape == shape)
        storage = t.storage; strides = t.strides; offset = t.offset; dtype = t.dtype
    }

    /// Gives a lazy placeholder `t`'s shape and data, in place (PyTorch's `UninitializedParameter.materialize`):
    /// the module and any optimizer built before the first forward keep holding this object.
    func materialize(with t: Tensor) {
        precondition(isUninitializedLazy)
        storage = t.storage; shape = t.shape; strides = t.strides; offset = t.offset; dtype = t.dtype
        isUninitializedLazy = false
    }

    /// Makes this tensor another view of its own storage, with `t`'s layout and graph node (the
    /// in-place shape ops `unsqueeze_`, `t_`, ...; `t` is a view of this tensor).
    func takeLayout(of t: Tensor) {
        precondition(t.storage === storage)
        shape = t.shape; strides = t.strides; offset = t.offset
        if t.node != nil { node = t.node; requiresGradFlag = t.requiresGradFlag }
    }

    init(storage: Storage, shape: [Int], strides: [Int], offset: Int, dtype: DType) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
    }

    /// A new contiguous tensor with uninitialised memory.
    init(uninitializedShape shape: [Int], dtype: DType, device: Device) {
        var n = 1
        for s in shape {
            if s < 0 { fail("Trying to create tensor with negative dimension \(s): \(shapeString(shape))") }
            n &*= s
        }
        self.storage = Storage(byteCount: n * dtype.itemSize, device: device)
        self.shape = shape
        self.strides = Tensor.contiguousStrides(shape)
        self.offset = 0
        self.dtype = dtype
    }

    /// An integer literal in a tensor expression (`x * 2`, `1 - x`): a 0-dim int64 "wrapped number"
    /// that promotes like a Python int (a float tensor stays float32).
    public required init(integerLiteral value: Int) {
        storage = Storage(byteCount: 8)
        shape = []; strides = []; offset = 0; dtype = .int64
        Kernels.writeElement(self, storageOffset: 0, Double(value))
        isWrappedNumber = true
    }
    /// A floating literal in a tensor expression (`x * 0.5`) or `Tensor(2.5)`: a 0-dim float32
    /// "wrapped number" that promotes like a Python float (float32 tensors stay float32) and keeps
    /// the literal's double precision when it meets a float64 tensor.
    public required init(floatLiteral value: Double) {
        storage = Storage(byteCount: 4)
        shape = []; strides = []; offset = 0; dtype = .float32
        Kernels.writeElement(self, storageOffset: 0, value)
        isWrappedNumber = true
        literalDouble = value
    }

    @inline(__always)
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var st = [Int](repeating: 1, count: shape.count)
        var acc = 1
        var i = shape.count - 1
        while i >= 0 { st[i] = acc; acc &*= shape[i]; i -= 1 }
        return st
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of dimensions (PyTorch's `dim()`).
    public func dim() -> Int { shape.count }
    /// Number of elements.
    public var count: Int { var n = 1; for s in shape { n &*= s }; return n }
    /// Number of elements (PyTorch's `numel()`).
    public func numel() -> Int { count }
    /// Bytes per element (PyTorch's `element_size()`).
    public func elementSize() -> Int { dtype.itemSize }
    /// Bytes per element (PyTorch's `itemsize`).
    public var itemSize: Int { dtype.itemSize }
    /// Bytes of all elements (PyTorch's `nbytes`).
    public var nbytes: Int { count * dtype.itemSize }
    /// Size of one dimension (negative dims count from the end).
    public func size(_ dim: Int) -> Int { shape[normalizeDim(dim, rank)] }
    /// The shape (PyTorch's `size()`, a `torch.Size`; here the `[Int]` that `shape` is).
    public func size() -> [Int] { shape }
    /// Number of dimensions (PyTorch's `ndim`).
    public var ndim: Int { shape.count }
    /// The device whose memory holds this tensor.
    public var device: Device { storage.device }
    /// Whether the tensor lives on a CUDA device (PyTorch's `is_cuda`).
    public var isCUDA: Bool { device.isCUDA }
    /// Whether the tensor lives in CPU memory (PyTorch's `is_cpu`).
    public var isCPU: Bool { device == .cpu }
    /// The strides of each dimension, in elements (PyTorch's `stride()`).
    public func stride() -> [Int] { strides }
    /// The stride of `dim`, in elements (PyTorch's `stride(dim)`).
    public func stride(_ dim: Int) -> Int { strides[normalizeDim(dim, rank)] }
    /// Whether gradients are tracked for this tensor.
    public var requiresGrad: Bool {
        get { requiresGradFlag }
        set {
            if !newValue && node != nil {
                fail("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
            }
            if newValue && !dtype.isFloatingPoint {
                fail("only Tensors of floating point dtype can require gradients")
            }
            requiresGradFlag = newValue
        }
    }
    /// Sets `requiresGrad` and returns self (PyTorch's `requires_grad_()`).
    @discardableResult public func requiresGrad_(_ value: Bool = true) -> Tensor { requiresGrad = value; return self }
    /// Makes this tensor object stand for `t` (same shape): its memory, dtype and graph node. How a
    /// parametrized module attribute (`weightNorm`'s weight) is recomputed in place each forward.
    func adopt(_ t: Tensor) {
        precondition(t.shape == shape, "adopt: shape \(t.shape) != \(shape)")
        storage = t.storage; strides = t.strides; offset = t.offset; dtype = t.dtype
        node = t.node; requiresGradFlag = t.requiresGradFlag
    }
    /// `true` for tensors created by the user (not by an op that records a gradient).
    public var isLeaf: Bool { node == nil }
    /// PyTorch's `grad_fn` name, e.g. `AddmmBackward0`; nil for leaves.
    public var gradFn: String? { node?.name }
    /// Whether `retainGrad()` made this non-leaf keep its `grad` (PyTorch's `retains_grad`).
    public var retainsGrad: Bool { retainsGradFlag }
    /// Keeps `grad` for this non-leaf tensor after `backward()` (PyTorch's `retain_grad()`).
    public func retainGrad() {
        if node == nil { return }
        retainsGradFlag = true
        node!.retainedOutput = WeakTensor(self)
    }

    /// Whether elements are laid out densely in row-major order.
    public var isContiguous: Bool {
        if shape.contains(0) { return true }
        var expected = 1
        var i = shape.count - 1
        while i >= 0 {
            let s = shape[i]
            if s != 1 {
                if strides[i] != expected { return false }
                expected &*= s
            }
            i -= 1
        }
        return true
    }

}

/// A weak reference to a tensor (for retained gradients of non-leaves).
struct WeakTensor { weak var tensor: Tensor?; init(_ t: Tensor) { tensor = t } }

// MARK: - Reading values

extension Tensor {
    /// The single value of a one-element tensor, as a Double (PyTorch's `item()`).
    public func item() -> Double {
        if count != 1 { fail("a Tensor with \(count) elements cannot be converted to Scalar") }
        return elementAsDouble(flatIndex: 0)
    }

    /// Element at a row-major flat index, as Double (slow path for printing and tests).
    func elementAsDouble(flatIndex: Int) -> Double {
        var rem = flatIndex
        var off = offset
        var i = shape.count - 1
        while i >= 0 {
            let s = shape[i]
            off += (rem % s) * strides[i]
            rem /= s
            i -= 1
        }
        return Kernels.readElement(self, storageOffset: off)
    }

    /// All elements in row-major order, converted to `T` (PyTorch's `tolist()` flattened).
    public func toArray<T: TensorScalar>(_: T.Type) -> [T] {
        let t = self.to(dtype: T.dtype).contiguous()
        if T.self == Int.self {
            return Kernels.elements(t, as: Int64.self).map { unsafeBitCast(Int($0), to: T.self) }
        }
        if T.self == Bool.self {
            return Kernels.elements(t, as: UInt8.self).map { unsafeBitCast($0 != 0, to: T.self) }
        }
        return Kernels.elements(t, as: T.self)
    }

    /// All elements in row-major order as Doubles.
    public func toDoubles() -> [Double] { toArray(Double.self) }

    /// The elements as nested Swift arrays, one level per dim (PyTorch's `tolist()`): `Double` for
    /// float tensors, `Int` for integer ones, `Bool` for bool; a 0-dim tensor gives the bare value.
    /// `print(x.tolist())` prints what Python prints, except `true`/`false` for bools.
    public func tolist() -> Any {
        let flat: [Any]
        switch dtype {
        case .float32, .float64: flat = toArray(Double.self)
        case .bool: flat = toArray(Bool.self)
        default: flat = toArray(Int.self)
        }
        if rank == 0 { return flat[0] }
        func nest(_ dim: Int, _ start: Int) -> [Any] {
            let n = shape[dim]
            if dim == rank - 1 { return Array(flat[start..<(start + n)]) }
            let block = shape[(dim + 1)...].reduce(1, *)
            return (0..<n).map { nest(dim + 1, start + $0 * block) as Any }
        }
        return nest(0, 0)
    }
}
