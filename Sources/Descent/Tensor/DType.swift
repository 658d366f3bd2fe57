/// The element type of a tensor (PyTorch's `torch.dtype`). Prints as its bare name (`float32`,
/// `uint8`), as the lecture programs expect (PyTorch's own `print(x.dtype)` adds `torch.`).
public enum DType: Int32, CustomStringConvertible, Sendable, CaseIterable {
    case float32 = 0, float64 = 1, int64 = 2, uint8 = 3, bool = 4, int32 = 5

    /// PyTorch's other names for the same dtypes: `torch.long`, `torch.int`, `torch.float`, `torch.double`.
    public static let long = DType.int64
    /// `torch.int` (int32).
    public static let int = DType.int32
    /// `torch.float` (float32).
    public static let float = DType.float32
    /// `torch.double` (float64).
    public static let double = DType.float64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8, .bool: return 1
        }
    }
    /// True for `float32` and `float64`.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    public var description: String { name }
    /// The dtype's name (`float32`).
    public var name: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int64: return "int64"
        case .int32: return "int32"
        case .uint8: return "uint8"
        case .bool: return "bool"
        }
    }
    /// PyTorch's scalar type name in messages such as "expected scalar type Long but found Float".
    var scalarTypeName: String {
        switch self {
        case .float32: return "Float"
        case .float64: return "Double"
        case .int64: return "Long"
        case .int32: return "Int"
        case .uint8: return "Byte"
        case .bool: return "Bool"
        }
    }
    /// PyTorch's legacy tensor type name in messages (`torch.FloatTensor`).
    var legacyTypeName: String { "torch.\(scalarTypeName)Tensor" }
    /// PyTorch's promotion category: bool < integer < floating.
    var category: Int { self == .bool ? 0 : (isFloatingPoint ? 2 : 1) }

    /// The result type of combining two dtypes of the same priority (PyTorch's `promote_types`).
    static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a.category != b.category { return a.category > b.category ? a : b }
        switch a.category {
        case 2: return .float64
        case 1:
            // uint8 with a signed type -> the signed type (int64 > int32 > uint8)
            let rank: (DType) -> Int = { $0 == .int64 ? 3 : ($0 == .int32 ? 2 : 1) }
            if (a == .uint8 || b == .uint8) && (a == .int32 || b == .int32) { return .int32 }
            return rank(a) >= rank(b) ? a : b
        default: return .bool
        }
    }
    var code: Int32 { rawValue }
}

/// A Swift type that can be the element of a tensor.
public protocol TensorScalar {
    static var dtype: DType { get }
    /// Converts from the Double used for generic element access.
    init(descentDouble: Double)
    var descentDouble: Double { get }
}
extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    public init(descentDouble v: Double) { self = Float(v) }
    public var descentDouble: Double { Double(self) }
}
extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    public init(descentDouble v: Double) { self = v }
    public var descentDouble: Double { self }
}
extension Int64: TensorScalar {
    public static var dtype: DType { .int64 }
    public init(descentDouble v: Double) { self = Int64(v) }
    public var descentDouble: Double { Double(self) }
}
extension Int: TensorScalar {
    public static var dtype: DType { .int64 }
    public init(descentDouble v: Double) { self = Int(v) }
    public var descentDouble: Double { Double(self) }
}
extension Int32: TensorScalar {
    public static var dtype: DType { .int32 }
    public init(descentDouble v: Double) { self = Int32(v) }
    public var descentDouble: Double { Double(self) }
}
extension UInt8: TensorScalar {
    public static var dtype: DType { .uint8 }
    public init(descentDouble v: Double) { self = UInt8(v) }
    public var descentDouble: Double { Double(self) }
}
extension Bool: TensorScalar {
    public static var dtype: DType { .bool }
    public init(descentDouble v: Double) { self = v != 0 }
    public var descentDouble: Double { self ? 1 : 0 }
}

/// The floating-point dtype of tensors made without one (PyTorch's default dtype): float32 unless `setDefaultDtype` changed it.
nonisolated(unsafe) private var defaultFloatingDType: DType = .float32

/// Sets the dtype that float literals, factories (`zeros`, `randn`, `arange` with fractions, ...), new layers' parameters
/// and int-to-float promotions use (PyTorch's `torch.set_default_dtype`): `.float32` (the default) or `.float64`.
/// Process-wide, as PyTorch's: set it before making tensors on other threads (loader workers).
public func setDefaultDtype(_ dtype: DType) {
    if dtype != .float32 && dtype != .float64 { fail("only floating-point types are supported as the default type") }
    defaultFloatingDType = dtype
}

/// The dtype `setDefaultDtype` set (PyTorch's `torch.get_default_dtype`).
public func getDefaultDtype() -> DType { defaultFloatingDType }
