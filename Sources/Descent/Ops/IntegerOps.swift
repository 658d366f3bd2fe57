// Integer-only element-wise ops (bitwise and, or, xor, not, shifts), computed on the host in int64
// and wrapped to the result dtype's width as C casts do, which is what PyTorch's kernels give.
// They are not hot in deep learning (masks, hashing, index arithmetic), so they stay off the kernels.


extension Tensor {
    /// `f` on the broadcast integer (or bool) operands, in the promoted dtype; floating operands stop
    /// with PyTorch's message.
    static func integerOp(_ a: Tensor, _ b: Tensor, _ name: String, _ f: (Int64, Int64) -> Int64) -> Tensor {
        let t = resultType(a, b)
        if t.isFloatingPoint { fail("\"\(name)_cpu\" not implemented for '\(t.scalarTypeName)'") }
        let shape = broadcastShapes(a.shape, b.shape)
        let x = a.to(dtype: .int64).expand(shape).contiguous().to(.cpu).toArray(Int64.self)
        let y = b === a ? x : b.to(dtype: .int64).expand(shape).contiguous().to(.cpu).toArray(Int64.self)   // unary ops pass self twice
        var out = [Int64](repeating: 0, count: x.count)
        for i in 0..<x.count { out[i] = wrapped(f(x[i], y[i]), to: t) }
        return Tensor(flat: out, shape: shape).to(dtype: t).to(resultDevice(a, b))
    }
    /// An int64 value wrapped to `dtype`'s width (two's complement), as a C cast.
    static func wrapped(_ v: Int64, to dtype: DType) -> Int64 {
        switch dtype {
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .uint8: return Int64(UInt8(truncatingIfNeeded: v))
        case .bool: return v != 0 ? 1 : 0
        default: return v
        }
    }
    /// The number of bits of an integer dtype.
    fileprivate static func bits(_ dtype: DType) -> Int64 {
        switch dtype { case .int32: return 32; case .uint8, .bool: return 8; default: return 64 }
    }

    /// `a << b`: each element shifted left (PyTorch's `bitwise_left_shift`; a shift past the width gives 0).
    @_disfavoredOverload public static func << (a: Tensor, b: Tensor) -> Tensor {
        let w = bits(resultType(a, b))
        return integerOp(a, b, "lshift") { x, s in s < 0 || s >= w ? 0 : x << s }
    }
    /// `a >> b`: each element shifted right, keeping the sign (PyTorch's `bitwise_right_shift`).
    @_disfavoredOverload public static func >> (a: Tensor, b: Tensor) -> Tensor {
        let t = resultType(a, b), w = bits(t)
        return integerOp(a, b, "rshift") { x, s in
            let v = t == .uint8 ? Int64(UInt8(truncatingIfNeeded: x)) : x
            return s < 0 || s >= w ? (v < 0 ? -1 : 0) : v >> s
        }
    }
    /// `a <<= b` in place.
    @_disfavoredOverload public static func <<= (a: inout Tensor, b: Tensor) { a.copy_(a << b) }
    /// `a >>= b` in place.
    @_disfavoredOverload public static func >>= (a: inout Tensor, b: Tensor) { a.copy_(a >> b) }
    /// Shifted left (PyTorch's `bitwise_left_shift`), as `<<`.
    public func bitwiseLeftShift(_ other: Tensor) -> Tensor { self << other }
    /// Shifted right (PyTorch's `bitwise_right_shift`), as `>>`.
    public func bitwiseRightShift(_ other: Tensor) -> Tensor { self >> other }
}

/// `torch.bitwise_and(a, b)`, as `a & b`.
public func bitwiseAnd(_ a: Tensor, _ b: Tensor) -> Tensor { a & b }
/// `torch.bitwise_or(a, b)`, as `a | b`.
public func bitwiseOr(_ a: Tensor, _ b: Tensor) -> Tensor { a | b }
/// `torch.bitwise_xor(a, b)`, as `a ^ b`.
public func bitwiseXor(_ a: Tensor, _ b: Tensor) -> Tensor { a ^ b }
/// `torch.bitwise_not(x)`, as `~x`.
public func bitwiseNot(_ x: Tensor) -> Tensor { ~x }
/// `torch.bitwise_left_shift(a, b)`, as `a << b`.
public func bitwiseLeftShift(_ a: Tensor, _ b: Tensor) -> Tensor { a << b }
/// `torch.bitwise_right_shift(a, b)`, as `a >> b`.
public func bitwiseRightShift(_ a: Tensor, _ b: Tensor) -> Tensor { a >> b }
