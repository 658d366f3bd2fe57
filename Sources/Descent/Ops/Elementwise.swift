// MARK: - Binary arithmetic

extension Tensor {
    static func arith(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        // A Swift number on the left (a wrapped 0-dim tensor, e.g. the literal in `1 - x`, `2 / x`):
        // PyTorch's `__rsub__` (RsubBackward1) and `__rtruediv__` (reciprocal() * number, MulBackward0).
        if a.isWrappedNumber && !b.isWrappedNumber {
            if op == .sub { return rsub(b, a) }
            if op == .div { return b.reciprocal() * a }
        }
        var t = resultType(a, b)
        if op == .div && !t.isFloatingPoint { t = getDefaultDtype() }   // true division, like PyTorch
        if t == .bool && (op == .sub) {
            fail("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
        }
        let out = binaryKernel(a, b, op: op, compute: t, output: t)
        if wantsGrad(a, b) {
            if !t.isFloatingPoint { return out }
            switch op {
            case .add: out.recorded(.add(a.shape, b.shape), inputs: [a, b])
            case .sub: out.recorded(.sub(a.shape, b.shape), inputs: [a, b])
            case .mul: out.recorded(.mul, inputs: [a, b], saved: [a, b])
            case .div: out.recorded(.div, inputs: [a, b], saved: [a, b])
            case .pow: out.recorded(.powTensor, inputs: [a, b], saved: [a, b, out])
            case .maximum: out.recorded(.maximum, inputs: [a, b], saved: [a, b])
            case .minimum: out.recorded(.minimum, inputs: [a, b], saved: [a, b])
            case .fmod: out.recorded(.fmod, inputs: [a, b], saved: [a, b])
            case .remainder: out.recorded(.remainder, inputs: [a, b], saved: [a, b])
            case .atan2: out.recorded(.atan2, inputs: [a, b], saved: [a, b])
            case .hypot: out.recorded(.hypot, inputs: [a, b], saved: [a, b, out])
            default: break
            }
        }
        return out
    }

    /// Elementwise `a + b` with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor { arith(a, b, .add) }
    /// Elementwise `a - b` with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor { arith(a, b, .sub) }
    /// Elementwise `a * b` with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor { arith(a, b, .mul) }
    /// Elementwise true division with broadcasting (integers divide to float32, as in PyTorch).
    public static func / (a: Tensor, b: Tensor) -> Tensor { arith(a, b, .div) }

    // One generic overload per side instead of one per number type: with Int, Float and Double
    // written out, `-(yhat.log() * y + (1 - yhat).log() * (1 - y)).sum() / 3` took 616 ms to
    // type-check; with these it takes a few (issue #15).
    @_disfavoredOverload public static func + <S: ScalarOperand>(a: Tensor, b: S) -> Tensor { a + b.wrappedNumber }
    public static func + <S: ScalarOperand>(a: S, b: Tensor) -> Tensor { a.wrappedNumber + b }
    @_disfavoredOverload public static func - <S: ScalarOperand>(a: Tensor, b: S) -> Tensor { a - b.wrappedNumber }
    public static func - <S: ScalarOperand>(a: S, b: Tensor) -> Tensor { rsub(b, a.wrappedNumber) }
    @_disfavoredOverload public static func * <S: ScalarOperand>(a: Tensor, b: S) -> Tensor { a * b.wrappedNumber }
    public static func * <S: ScalarOperand>(a: S, b: Tensor) -> Tensor { a.wrappedNumber * b }
    @_disfavoredOverload public static func / <S: ScalarOperand>(a: Tensor, b: S) -> Tensor { a / b.wrappedNumber }
    public static func / <S: ScalarOperand>(a: S, b: Tensor) -> Tensor { b.reciprocal() * a.wrappedNumber }   // PyTorch's __rtruediv__

    // Compound assignment changes the tensor in place, as PyTorch's `x += y` does: every reference to
    // it (and every view of its memory) sees the change, the dtype stays, and the shape must hold
    // the broadcast result.
    /// In-place `a += b` (PyTorch's `__iadd__`, `add_`).
    public static func += (a: inout Tensor, b: Tensor) { a.add_(b) }
    /// In-place `a -= b` (`sub_`).
    public static func -= (a: inout Tensor, b: Tensor) { a.sub_(b) }
    /// In-place `a *= b` (`mul_`).
    public static func *= (a: inout Tensor, b: Tensor) { a.mul_(b) }
    /// In-place `a /= b` (`div_`; an integer tensor refuses, as in PyTorch).
    public static func /= (a: inout Tensor, b: Tensor) { a.div_(b) }
    @_disfavoredOverload public static func += <S: ScalarOperand>(a: inout Tensor, b: S) { a.add_(b.wrappedNumber) }
    @_disfavoredOverload public static func -= <S: ScalarOperand>(a: inout Tensor, b: S) { a.sub_(b.wrappedNumber) }
    @_disfavoredOverload public static func *= <S: ScalarOperand>(a: inout Tensor, b: S) { a.mul_(b.wrappedNumber) }
    @_disfavoredOverload public static func /= <S: ScalarOperand>(a: inout Tensor, b: S) { a.div_(b.wrappedNumber) }

    /// A Swift number as a wrapped 0-dim tensor (doubles keep their precision but promote like float32).
    static func wrap(_ v: Double) -> Tensor { Tensor.scalar(v, dtype: .float64) }
    static func wrap(_ v: Int) -> Tensor { Tensor.scalar(Double(v), dtype: .int64) }

    /// `scalar - t` (PyTorch's `rsub`, grad_fn RsubBackward1).
    static func rsub(_ t: Tensor, _ s: Tensor) -> Tensor {
        let dt = resultType(t, s)
        let out = binaryKernel(s, t, op: .sub, compute: dt, output: dt)
        if wantsGrad(t) && dt.isFloatingPoint { out.recorded(.rsub(t.shape), inputs: [t]) }
        return out
    }

    /// Unary minus.
    public static prefix func - (a: Tensor) -> Tensor { a.neg() }

    /// Elementwise power with a scalar exponent.
    public func pow(_ exponent: Double) -> Tensor {
        if !dtype.isFloatingPoint {
            // an integral exponent keeps the integer dtype; a fractional one gives float32, as in PyTorch
            if exponent == exponent.rounded() && Swift.abs(exponent) < 1e18 { return Tensor.arith(self, Tensor.wrap(Int(exponent)), .pow) }
            return to(dtype: getDefaultDtype()).pow(exponent)
        }
        return unary(.powScalar, exponent, 0, .pow(exponent), save: .input)
    }
    /// Elementwise power with a tensor exponent (broadcasting).
    @_disfavoredOverload public func pow(_ exponent: Tensor) -> Tensor { Tensor.arith(self, exponent, .pow) }
    /// Elementwise maximum (PyTorch's `torch.maximum`).
    public func maximum(_ other: Tensor) -> Tensor { Tensor.arith(self, other, .maximum) }
    /// Elementwise minimum (PyTorch's `torch.minimum`).
    public func minimum(_ other: Tensor) -> Tensor { Tensor.arith(self, other, .minimum) }
    /// Python's modulus, with the sign of the divisor (PyTorch's `torch.remainder`, the `%` operator).
    @_disfavoredOverload public func remainder(_ other: Tensor) -> Tensor { Tensor.arith(self, other, .remainder) }
    /// `remainder` by a number.
    public func remainder(_ other: Double) -> Tensor { remainder(Tensor.wrap(other)) }
    /// C's fmod, with the sign of the dividend (PyTorch's `torch.fmod`).
    @_disfavoredOverload public func fmod(_ other: Tensor) -> Tensor { Tensor.arith(self, other, .fmod) }
    /// `fmod` by a number.
    public func fmod(_ other: Double) -> Tensor { fmod(Tensor.wrap(other)) }
    /// `fmod` by an integer: integer tensors stay integers (PyTorch's `x.fmod(3)`).
    public func fmod(_ other: Int) -> Tensor { fmod(Tensor.wrap(other)) }
    /// `remainder` by an integer: integer tensors stay integers (PyTorch's `x.remainder(3)`).
    public func remainder(_ other: Int) -> Tensor { remainder(Tensor.wrap(other)) }
    /// `a % b`: PyTorch's `remainder` (the sign of `b`).
    public static func % (a: Tensor, b: Tensor) -> Tensor { a.remainder(b) }
    @_disfavoredOverload public static func % (a: Tensor, b: Double) -> Tensor { a.remainder(wrap(b)) }
    public static func % (a: Tensor, b: Int) -> Tensor { a.remainder(wrap(b)) }
    public static func % (a: Double, b: Tensor) -> Tensor { wrap(a).remainder(b) }
}

// MARK: - Comparisons (bool results)

infix operator .&& : LogicalConjunctionPrecedence
infix operator .|| : LogicalDisjunctionPrecedence

extension Tensor {
    static func compare(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        let t = resultType(a, b)
        return binaryKernel(a, b, op: op, compute: t, output: .bool)
    }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .eq) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .ne) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .lt) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .le) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .gt) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .ge) }
    @_disfavoredOverload public static func .== (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .eq) }
    @_disfavoredOverload public static func .!= (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .ne) }
    @_disfavoredOverload public static func .< (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .lt) }
    @_disfavoredOverload public static func .<= (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .le) }
    @_disfavoredOverload public static func .> (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .gt) }
    @_disfavoredOverload public static func .>= (a: Tensor, b: Double) -> Tensor { compare(a, wrap(b), .ge) }
    @_disfavoredOverload public static func .== (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .eq) }
    @_disfavoredOverload public static func .!= (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .ne) }
    @_disfavoredOverload public static func .< (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .lt) }
    @_disfavoredOverload public static func .<= (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .le) }
    @_disfavoredOverload public static func .> (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .gt) }
    @_disfavoredOverload public static func .>= (a: Tensor, b: Int) -> Tensor { compare(a, wrap(b), .ge) }
    /// Elementwise logical and of two tensors (nonzero = true).
    public static func .&& (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .logicalAnd) }
    /// Elementwise logical or of two tensors.
    public static func .|| (a: Tensor, b: Tensor) -> Tensor { compare(a, b, .logicalOr) }
    /// Elementwise logical not.
    public func logicalNot() -> Tensor { self .== Tensor.scalar(0, dtype: dtype) }
    /// `~x`: logical not of a bool tensor, bitwise not of an integer one (PyTorch's `~` / `bitwise_not`).
    public static prefix func ~ (x: Tensor) -> Tensor {
        if x.dtype == .bool { return x.logicalNot() }
        return integerOp(x, x, "bitwise_not") { a, _ in ~a }
    }
    /// `a & b`: element-wise and of bool tensors, bitwise and of integer ones (PyTorch's `bitwise_and`).
    public static func & (a: Tensor, b: Tensor) -> Tensor {
        if a.dtype == .bool && b.dtype == .bool { return a .&& b }
        return integerOp(a, b, "bitwise_and") { $0 & $1 }
    }
    /// `a | b`: element-wise or of bool tensors, bitwise or of integer ones (PyTorch's `bitwise_or`).
    public static func | (a: Tensor, b: Tensor) -> Tensor {
        if a.dtype == .bool && b.dtype == .bool { return a .|| b }
        return integerOp(a, b, "bitwise_or") { $0 | $1 }
    }
    /// `a ^ b`: element-wise exclusive or of bool tensors, bitwise of integer ones (PyTorch's `bitwise_xor`).
    public static func ^ (a: Tensor, b: Tensor) -> Tensor {
        if a.dtype == .bool && b.dtype == .bool { return a .!= b }
        return integerOp(a, b, "bitwise_xor") { $0 ^ $1 }
    }
    /// `mask & true`, `mask | false`, `mask ^ true`: a mask with a Bool.
    public static func & (a: Tensor, b: Bool) -> Tensor { a & Tensor(b) }
    public static func | (a: Tensor, b: Bool) -> Tensor { a | Tensor(b) }
    public static func ^ (a: Tensor, b: Bool) -> Tensor { a ^ Tensor(b) }
    /// In place: `mask &= other` (PyTorch's `&=`), likewise `|=` and `^=`.
    public static func &= (a: inout Tensor, b: Tensor) { a.copy_(a & b) }
    public static func |= (a: inout Tensor, b: Tensor) { a.copy_(a | b) }
    public static func ^= (a: inout Tensor, b: Tensor) { a.copy_(a ^ b) }
    /// Bitwise and (PyTorch's `bitwise_and`), as `&`.
    public func bitwiseAnd(_ other: Tensor) -> Tensor { self & other }
    /// Bitwise or (PyTorch's `bitwise_or`), as `|`.
    public func bitwiseOr(_ other: Tensor) -> Tensor { self | other }
    /// Bitwise exclusive or (PyTorch's `bitwise_xor`), as `^`.
    public func bitwiseXor(_ other: Tensor) -> Tensor { self ^ other }
    /// Bitwise not (PyTorch's `bitwise_not`), as `~`.
    public func bitwiseNot() -> Tensor { ~self }

    /// `true` when both tensors have the same shape and elements (PyTorch's `torch.equal`).
    public func equal(_ other: Tensor) -> Bool {
        shape == other.shape && (self .== other).all().item() != 0
    }
    /// `true` when all elements are close: |a - b| <= atol + rtol * |b| (PyTorch's `allclose`).
    public func allclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        let a = self.to(dtype: .float64), b = other.to(dtype: .float64)
        return noGrad { ((a - b).abs() .<= (b.abs() * rtol + atol)).all().item() != 0 }
    }
}

// MARK: - Unary

/// What a unary op saves for its backward.
enum UnarySave { case nothing, input, output }

extension Tensor {
    func unary(_ op: UnaryOp, _ p1: Double, _ p2: Double, _ gop: Op?, save: UnarySave) -> Tensor {
        if !dtype.isFloatingPoint && !(dtype == .int64 && (op == .neg || op == .abs || op == .sign || op == .square || op == .clamp)) {
            // integer inputs of float functions compute in float32, as PyTorch does for exp/log/sqrt/...
            return self.to(dtype: getDefaultDtype()).unary(op, p1, p2, gop, save: save)
        }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.unary(op, x, out: out, p1, p2)
        if let gop = gop, wantsGrad(self), dtype.isFloatingPoint {
            switch save {
            case .nothing: out.recorded(gop, inputs: [self])
            case .input: out.recorded(gop, inputs: [self], saved: [self])
            case .output: out.recorded(gop, inputs: [self], saved: [out])
            }
        }
        return out
    }

    /// Elementwise negation.
    public func neg() -> Tensor {
        if dtype == .bool { fail("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.") }
        if dtype == .uint8 { return Tensor.integerOp(self, self, "neg") { a, _ in -a } }   // wraps, as PyTorch's
        return unary(.neg, 0, 0, .neg, save: .nothing)
    }
    /// Elementwise e^x.
    public func exp() -> Tensor { unary(.exp, 0, 0, .exp, save: .output) }
    /// Elementwise natural logarithm.
    public func log() -> Tensor { unary(.log, 0, 0, .log, save: .input) }
    /// Elementwise square root.
    public func sqrt() -> Tensor { unary(.sqrt, 0, 0, .sqrt, save: .output) }
    /// Elementwise 1/sqrt(x).
    public func rsqrt() -> Tensor { unary(.rsqrt, 0, 0, .rsqrt, save: .output) }
    /// Elementwise absolute value.
    public func abs() -> Tensor { unary(.abs, 0, 0, .abs, save: .input) }
    /// Elementwise sine.
    public func sin() -> Tensor { unary(.sin, 0, 0, .sin, save: .input) }
    /// Elementwise cosine.
    public func cos() -> Tensor { unary(.cos, 0, 0, .cos, save: .input) }
    /// Elementwise hyperbolic tangent.
    public func tanh() -> Tensor { unary(.tanh, 0, 0, .tanh, save: .output) }
    /// Elementwise tangent.
    public func tan() -> Tensor { unary(.tan, 0, 0, .tan, save: .output) }
    /// Elementwise arcsine.
    public func asin() -> Tensor { unary(.asin, 0, 0, .asin, save: .input) }
    /// Elementwise arccosine.
    public func acos() -> Tensor { unary(.acos, 0, 0, .acos, save: .input) }
    /// Elementwise arctangent.
    public func atan() -> Tensor { unary(.atan, 0, 0, .atan, save: .input) }
    /// Elementwise hyperbolic sine.
    public func sinh() -> Tensor { unary(.sinh, 0, 0, .sinh, save: .input) }
    /// Elementwise hyperbolic cosine.
    public func cosh() -> Tensor { unary(.cosh, 0, 0, .cosh, save: .input) }
    /// Elementwise inverse hyperbolic sine.
    public func asinh() -> Tensor { unary(.asinh, 0, 0, .asinh, save: .input) }
    /// Elementwise inverse hyperbolic cosine.
    public func acosh() -> Tensor { unary(.acosh, 0, 0, .acosh, save: .input) }
    /// Elementwise inverse hyperbolic tangent.
    public func atanh() -> Tensor { unary(.atanh, 0, 0, .atanh, save: .input) }
    /// Elementwise logistic sigmoid 1 / (1 + e^-x).
    public func sigmoid() -> Tensor { unary(.sigmoid, 0, 0, .sigmoid, save: .output) }
    /// Elementwise max(x, 0).
    public func relu() -> Tensor {
        if !dtype.isFloatingPoint && dtype != .bool {   // integer tensors stay integers, as in PyTorch
            return Descent.where(self .> 0, self, Tensor.scalar(0, dtype: dtype))
        }
        return unary(.relu, 0, 0, .relu, save: .output)
    }
    /// Elementwise x > 0 ? x : slope * x.
    public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
        unary(.leakyRelu, negativeSlope, 0, .leakyRelu(negativeSlope), save: .input)
    }
    /// Elementwise x > 0 ? x : alpha * (e^x - 1).
    public func elu(alpha: Double = 1) -> Tensor { unary(.elu, alpha, 0, .elu(alpha), save: .input) }
    /// Elementwise exact GELU, x * Φ(x).
    public func gelu() -> Tensor { unary(.gelu, 0, 0, .gelu, save: .input) }
    /// GELU, exact (`"none"`) or with PyTorch's tanh approximation (`"tanh"`):
    /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), in PyTorch's order of operations.
    public func gelu(approximate: String) -> Tensor {
        switch approximate {
        case "none": return gelu()
        case "tanh": return activation(.geluTanh)
        default: fail("approximate argument must be either none or tanh.")
        }
    }
    /// Elementwise x * sigmoid(x).
    public func silu() -> Tensor { unary(.silu, 0, 0, .silu, save: .input) }
    /// Elementwise log(1 + x).
    public func log1p() -> Tensor { unary(.log1p, 0, 0, .log1p, save: .input) }
    /// Base-2 logarithm.
    public func log2() -> Tensor { unary(.log2, 0, 0, .log2, save: .input) }
    /// Base-10 logarithm.
    public func log10() -> Tensor { unary(.log10, 0, 0, .log10, save: .input) }
    /// Elementwise e^x - 1.
    public func expm1() -> Tensor { unary(.expm1, 0, 0, .expm1, save: .output) }
    /// Elementwise x².
    public func square() -> Tensor { pow(2) }
    /// Elementwise sign (-1, 0, 1).
    public func sign() -> Tensor { unary(.sign, 0, 0, .zeroGrad("SignBackward0"), save: .nothing) }
    /// Elementwise 1/x.
    public func reciprocal() -> Tensor { unary(.reciprocal, 0, 0, .reciprocal, save: .output) }
    /// Elementwise floor.
    public func floor() -> Tensor { unary(.floor, 0, 0, .zeroGrad("FloorBackward0"), save: .nothing) }
    /// Elementwise ceiling.
    public func ceil() -> Tensor { unary(.ceil, 0, 0, .zeroGrad("CeilBackward0"), save: .nothing) }
    /// Elementwise rounding toward zero.
    public func trunc() -> Tensor { unary(.trunc, 0, 0, .zeroGrad("TruncBackward0"), save: .nothing) }
    /// Elementwise rounding half to even.
    public func round() -> Tensor { unary(.round, 0, 0, .zeroGrad("RoundBackward0"), save: .nothing) }
    /// Elementwise log(sigmoid(x)), computed stably.
    public func logSigmoid() -> Tensor { unary(.logSigmoid, 0, 0, .logSigmoid, save: .input) }
    /// Elementwise log(1 + e^x), computed stably.
    public func softplus() -> Tensor { unary(.softplus, 0, 0, .softplus, save: .input) }
    /// Clamps every element into [min, max] (PyTorch's `clamp`).
    public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
        if min == nil && max == nil { fail("torch.clamp: At least one of 'min' or 'max' must not be None") }
        if min?.isNaN == true || max?.isNaN == true { return self * 0 + Double.nan }   // a NaN bound gives NaN everywhere, as PyTorch's
        let lo = min ?? -Double.infinity, hi = max ?? Double.infinity
        return unary(.clamp, lo, hi, .clamp(lo, hi), save: .input)
    }
    /// Same as `clamp`.
    public func clip(min: Double? = nil, max: Double? = nil) -> Tensor { clamp(min: min, max: max) }
}

/// Chooses elements from `a` where `condition` is true, else from `b` (PyTorch's `torch.where`).
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    checkSameDevice(a, b); checkSameDevice(condition, a)
    if condition.dtype != .bool { fail("where expected condition to be a boolean tensor, but got a tensor with dtype \(condition.dtype)") }
    let t = resultType(a, b)
    let shape = broadcastShapes(broadcastShapes(condition.shape, a.shape), b.shape)
    let c = noGrad { condition.expand(shape).contiguous() }
    let a2 = noGrad { a.promoted(to: t).expand(shape).contiguous() }
    let b2 = noGrad { b.promoted(to: t).expand(shape).contiguous() }
    let out = Tensor(uninitializedShape: shape, dtype: t, device: resultDevice(condition, resultDevice(a, b) == a.device ? a : b))
    Kernels.select(c, a2, b2, out: out)
    if wantsGrad(a, b) && t.isFloatingPoint { out.recorded(.whereOp(a.shape, b.shape), inputs: [a, b], saved: [c]) }
    return out
}
@_disfavoredOverload public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Double) -> Tensor { `where`(condition, a, Tensor.wrap(b)) }
@_disfavoredOverload public func `where`(_ condition: Tensor, _ a: Double, _ b: Tensor) -> Tensor { `where`(condition, Tensor.wrap(a), b) }

// Free-function forms of the math methods (PyTorch's `torch.exp(x)` ...).
public func exp(_ x: Tensor) -> Tensor { x.exp() }
public func log(_ x: Tensor) -> Tensor { x.log() }
public func sqrt(_ x: Tensor) -> Tensor { x.sqrt() }
public func abs(_ x: Tensor) -> Tensor { x.abs() }
public func sin(_ x: Tensor) -> Tensor { x.sin() }
/// `torch.tan(x)`.
public func tan(_ x: Tensor) -> Tensor { x.tan() }
/// `torch.asin(x)`.
public func asin(_ x: Tensor) -> Tensor { x.asin() }
/// `torch.acos(x)`.
public func acos(_ x: Tensor) -> Tensor { x.acos() }
/// `torch.atan(x)`.
public func atan(_ x: Tensor) -> Tensor { x.atan() }
/// `torch.sinh(x)`.
public func sinh(_ x: Tensor) -> Tensor { x.sinh() }
/// `torch.cosh(x)`.
public func cosh(_ x: Tensor) -> Tensor { x.cosh() }
/// `torch.asinh(x)`.
public func asinh(_ x: Tensor) -> Tensor { x.asinh() }
/// `torch.acosh(x)`.
public func acosh(_ x: Tensor) -> Tensor { x.acosh() }
/// `torch.atanh(x)`.
public func atanh(_ x: Tensor) -> Tensor { x.atanh() }
public func cos(_ x: Tensor) -> Tensor { x.cos() }
public func tanh(_ x: Tensor) -> Tensor { x.tanh() }
public func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }
public func relu(_ x: Tensor) -> Tensor { x.relu() }
public func pow(_ x: Tensor, _ e: Double) -> Tensor { x.pow(e) }
@_disfavoredOverload public func pow(_ x: Tensor, _ e: Tensor) -> Tensor { x.pow(e) }
public func clamp(_ x: Tensor, min: Double? = nil, max: Double? = nil) -> Tensor { x.clamp(min: min, max: max) }
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { a.maximum(b) }
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { a.minimum(b) }
public func leakyRelu(_ x: Tensor, negativeSlope: Double = 0.01) -> Tensor { x.leakyRelu(negativeSlope: negativeSlope) }
public func elu(_ x: Tensor, alpha: Double = 1) -> Tensor { x.elu(alpha: alpha) }
public func gelu(_ x: Tensor, approximate: String = "none") -> Tensor { x.gelu(approximate: approximate) }
public func silu(_ x: Tensor) -> Tensor { x.silu() }
public func softmax(_ x: Tensor, dim: Int) -> Tensor { x.softmax(dim: dim) }
public func logSoftmax(_ x: Tensor, dim: Int) -> Tensor { x.logSoftmax(dim: dim) }

// MARK: - Masked fill, division with rounding, NaN and infinity checks, erfinv

extension Tensor {
    /// `value` where `mask` is true, self elsewhere (PyTorch's `masked_fill`); the mask broadcasts.
    public func maskedFill(_ mask: Tensor, _ value: Double) -> Tensor {
        if mask.dtype != .bool { fail("masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.scalarTypeName)") }
        let out = noGrad { `where`(mask, Tensor.scalar(value, dtype: dtype), self) }
        if wantsGrad(self) {
            let inShape = shape
            out.recorded(.maskedFill(inShape: inShape), inputs: [self], saved: [mask])
        }
        return out
    }
    /// `value` (a 0-dim tensor) where `mask` is true (PyTorch's `masked_fill` with a tensor value).
    @_disfavoredOverload
    public func maskedFill(_ mask: Tensor, _ value: Tensor) -> Tensor {
        if value.rank != 0 { fail("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with \(value.rank) dimension(s).") }
        if !value.requiresGradFlag { return maskedFill(mask, value.item()) }
        return `where`(mask, value.to(dtype: dtype), self)
    }

    /// Division with a rounding mode (PyTorch's `div(other, rounding_mode=)`): nil is true division,
    /// "trunc" rounds toward zero, "floor" toward -inf (Python's `//`). Integers stay integers.
    public func div(_ other: Tensor, roundingMode: String?) -> Tensor {
        guard let mode = roundingMode else { return self / other }
        if mode != "trunc" && mode != "floor" {
            fail("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '\(mode)'")
        }
        let t = resultType(self, other)
        let out: Tensor
        if t.isFloatingPoint {
            out = noGrad { () -> Tensor in
                let a = self.promoted(to: t), b = other.promoted(to: t)
                if mode == "trunc" { return (a / b).trunc() }
                // PyTorch's div_floor_floating: (a - fmod(a, b)) / b, corrected toward -inf and to the nearest integer
                let m = a.fmod(b)
                var q = (a - m) / b
                q = `where`((m .!= 0) .&& ((b .< 0) .!= (m .< 0)), q - 1, q)
                var f = q.floor()
                f = `where`(q - f .> 0.5, f + 1, f)
                f = `where`(q .== 0, (a / b).sign() * 0, f)   // signed zero as in PyTorch (copysign(0, a/b))
                return `where`(b .== 0, a / b, f)
            }
        } else {
            let shape = broadcastShapes(self.shape, other.shape)
            let a = self.to(dtype: .int64).expand(shape).contiguous().toArray(Int64.self)
            let b = other.to(dtype: .int64).expand(shape).contiguous().toArray(Int64.self)
            var q = [Int64](repeating: 0, count: a.count)
            for i in 0..<a.count {
                if b[i] == 0 { fail("ZeroDivisionError") }
                var v = a[i] / b[i]
                if mode == "floor" && (a[i] % b[i] != 0) && ((a[i] < 0) != (b[i] < 0)) { v -= 1 }
                q[i] = v
            }
            out = Tensor(flat: q, shape: shape).to(dtype: t).to(resultDevice(self, other))
        }
        if wantsGrad(self, other) && t.isFloatingPoint {
            let (sa, sb) = (shape, other.shape)
            out.recorded(.roundingDiv(sa, sb), inputs: [self, other])
        }
        return out
    }
    /// Division by a number with a rounding mode.
    public func div(_ other: Double, roundingMode: String?) -> Tensor { div(Tensor.wrap(other), roundingMode: roundingMode) }
    /// Division by an integer with a rounding mode (integer tensors stay integers).
    public func div(_ other: Int, roundingMode: String?) -> Tensor { div(Tensor.wrap(other), roundingMode: roundingMode) }
    /// True division (PyTorch's `div`).
    public func div(_ other: Tensor) -> Tensor { self / other }
    /// Python's `a // b` (PyTorch's `floor_divide`).
    public func floorDivide(_ other: Tensor) -> Tensor { div(other, roundingMode: "floor") }
    /// Python's `a // b` by an integer.
    public func floorDivide(_ other: Int) -> Tensor { div(Tensor.wrap(other), roundingMode: "floor") }
    /// Python's `a // b` by a number.
    public func floorDivide(_ other: Double) -> Tensor { div(Tensor.wrap(other), roundingMode: "floor") }

    /// True where the entry is NaN (PyTorch's `isnan`).
    public func isnan() -> Tensor { noGrad { self .!= self } }
    /// True where the entry is +inf or -inf (PyTorch's `isinf`).
    public func isinf() -> Tensor {
        if !dtype.isFloatingPoint { return Tensor.zeros(shape, dtype: .bool, device: device) }
        return noGrad { abs() .== Double.infinity }
    }
    /// True where the entry is neither NaN nor infinite (PyTorch's `isfinite`).
    public func isfinite() -> Tensor {
        if !dtype.isFloatingPoint { return Tensor.ones(shape, dtype: .bool, device: device) }
        return noGrad { (self .== self) .&& (abs() .!= Double.infinity) }
    }
    /// Replaces NaN with `nan`, +inf with `posinf` and -inf with `neginf` (PyTorch's `nan_to_num`;
    /// nil infinities become the dtype's largest and smallest finite values).
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        if !dtype.isFloatingPoint { return clone() }
        let big = dtype == .float32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
        var r = `where`(isnan(), Tensor.scalar(nan, dtype: dtype), self)
        r = `where`(noGrad { self .== Double.infinity }, Tensor.scalar(posinf ?? big, dtype: dtype), r)
        return `where`(noGrad { self .== -Double.infinity }, Tensor.scalar(neginf ?? -big, dtype: dtype), r)
    }
    /// The inverse error function (PyTorch's `erfinv`: its rational first guess and two Newton steps,
    /// in the tensor's precision; float32 results agree with PyTorch's to 1 ulp on 99% of inputs).
    /// Integer inputs compute in float32.
    public func erfinv() -> Tensor {
        if !dtype.isFloatingPoint { return to(dtype: getDefaultDtype()).erfinv() }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.erfinv(x, out: out)
        if wantsGrad(self) {
            // d/dy erfinv(y) = sqrt(pi)/2 * exp(erfinv(y)^2)
            out.recorded(.erfinv, inputs: [self], saved: [out])
        }
        return out
    }
}

/// `torch.isnan` as a free function.
public func isnan(_ x: Tensor) -> Tensor { x.isnan() }
/// `torch.isinf` as a free function.
public func isinf(_ x: Tensor) -> Tensor { x.isinf() }
/// `torch.isfinite` as a free function.
public func isfinite(_ x: Tensor) -> Tensor { x.isfinite() }

/// A Swift number that mixes with tensors in arithmetic (`x * lr`, `1 - x`, `x / n`): `Int`, `Float`
/// and `Double`. It becomes a 0-dim "wrapped number" that promotes as a Python number does.
public protocol ScalarOperand {
    /// The number as a wrapped 0-dim tensor (int64 for integers, float64 for floating point).
    var wrappedNumber: Tensor { get }
}
extension Int: ScalarOperand { public var wrappedNumber: Tensor { Tensor.wrap(self) } }
extension Float: ScalarOperand { public var wrappedNumber: Tensor { Tensor.wrap(Double(self)) } }
extension Double: ScalarOperand { public var wrappedNumber: Tensor { Tensor.wrap(self) } }

// MARK: - PyTorch's method and function spellings of the operators

extension Tensor {
    /// `self + alpha * other` (PyTorch's `x.add(y, alpha=)`).
    public func add(_ other: Tensor, alpha: Double = 1) -> Tensor { alpha == 1 ? self + other : self + other * alpha }
    /// `self + value`.
    @_disfavoredOverload public func add<S: ScalarOperand>(_ value: S) -> Tensor { self + value.wrappedNumber }
    /// `self - alpha * other` (PyTorch's `x.sub(y, alpha=)`).
    public func sub(_ other: Tensor, alpha: Double = 1) -> Tensor { alpha == 1 ? self - other : self - other * alpha }
    /// `self - value`.
    @_disfavoredOverload public func sub<S: ScalarOperand>(_ value: S) -> Tensor { self - value.wrappedNumber }
    /// `self * other` (PyTorch's `x.mul(y)`).
    public func mul(_ other: Tensor) -> Tensor { self * other }
    /// `self * value`.
    @_disfavoredOverload public func mul<S: ScalarOperand>(_ value: S) -> Tensor { self * value.wrappedNumber }
    /// `self / value`.
    @_disfavoredOverload public func div<S: ScalarOperand>(_ value: S) -> Tensor { self / value.wrappedNumber }

    /// Elementwise `==` (PyTorch's `x.eq(y)`).
    public func eq(_ other: Tensor) -> Tensor { self .== other }
    /// Elementwise `!=` (PyTorch's `x.ne(y)`).
    public func ne(_ other: Tensor) -> Tensor { self .!= other }
    /// Elementwise `>` (PyTorch's `x.gt(y)`).
    public func gt(_ other: Tensor) -> Tensor { self .> other }
    /// Elementwise `>=` (PyTorch's `x.ge(y)`).
    public func ge(_ other: Tensor) -> Tensor { self .>= other }
    /// Elementwise `<` (PyTorch's `x.lt(y)`).
    public func lt(_ other: Tensor) -> Tensor { self .< other }
    /// Elementwise `<=` (PyTorch's `x.le(y)`).
    public func le(_ other: Tensor) -> Tensor { self .<= other }
    @_disfavoredOverload public func eq<S: ScalarOperand>(_ value: S) -> Tensor { self .== value.wrappedNumber }
    @_disfavoredOverload public func ne<S: ScalarOperand>(_ value: S) -> Tensor { self .!= value.wrappedNumber }
    @_disfavoredOverload public func gt<S: ScalarOperand>(_ value: S) -> Tensor { self .> value.wrappedNumber }
    @_disfavoredOverload public func ge<S: ScalarOperand>(_ value: S) -> Tensor { self .>= value.wrappedNumber }
    @_disfavoredOverload public func lt<S: ScalarOperand>(_ value: S) -> Tensor { self .< value.wrappedNumber }
    @_disfavoredOverload public func le<S: ScalarOperand>(_ value: S) -> Tensor { self .<= value.wrappedNumber }
    /// Elementwise logical and (PyTorch's `x.logical_and(y)`).
    public func logicalAnd(_ other: Tensor) -> Tensor { self .&& other }
    /// Elementwise logical or (PyTorch's `x.logical_or(y)`).
    public func logicalOr(_ other: Tensor) -> Tensor { self .|| other }
    /// Elementwise logical exclusive or (PyTorch's `x.logical_xor(y)`).
    public func logicalXor(_ other: Tensor) -> Tensor { logicalNot() .!= other.logicalNot() }

    /// Elementwise closeness: `self == other`, or both finite with |self - other| <= atol + rtol * |other|
    /// (PyTorch's `isclose`, computed in the inputs' type); `equalNan` counts NaN == NaN.
    public func isclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) -> Tensor {
        noGrad {
            var close = self .== other
            if equalNan { close = close .|| (isnan() .&& other.isnan()) }
            if !dtype.isFloatingPoint && !other.dtype.isFloatingPoint && rtol == 0 && atol == 0 { return close }
            let allowed = (other * rtol).abs() + atol
            let actual = (self - other).abs()
            return close .|| (actual.isfinite() .&& (actual .<= allowed))
        }
    }

    /// The tensor converted to `dtype` (PyTorch's `x.type(torch.int32)`).
    public func type(_ dtype: DType) -> Tensor { to(dtype: dtype) }
    /// The tensor converted to `other`'s dtype (PyTorch's `type_as`).
    public func typeAs(_ other: Tensor) -> Tensor { to(dtype: other.dtype) }
}

/// `torch.add(a, b, alpha=)`.
public func add(_ a: Tensor, _ b: Tensor, alpha: Double = 1) -> Tensor { a.add(b, alpha: alpha) }
/// `torch.sub(a, b, alpha=)`.
public func sub(_ a: Tensor, _ b: Tensor, alpha: Double = 1) -> Tensor { a.sub(b, alpha: alpha) }
/// `torch.mul(a, b)`.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor { a * b }
/// `torch.div(a, b)`.
public func div(_ a: Tensor, _ b: Tensor) -> Tensor { a / b }
/// `torch.eq(a, b)`.
public func eq(_ a: Tensor, _ b: Tensor) -> Tensor { a .== b }
/// `torch.ne(a, b)`.
public func ne(_ a: Tensor, _ b: Tensor) -> Tensor { a .!= b }
/// `torch.gt(a, b)`.
public func gt(_ a: Tensor, _ b: Tensor) -> Tensor { a .> b }
/// `torch.ge(a, b)`.
public func ge(_ a: Tensor, _ b: Tensor) -> Tensor { a .>= b }
/// `torch.lt(a, b)`.
public func lt(_ a: Tensor, _ b: Tensor) -> Tensor { a .< b }
/// `torch.le(a, b)`.
public func le(_ a: Tensor, _ b: Tensor) -> Tensor { a .<= b }
/// `torch.logical_and(a, b)`.
public func logicalAnd(_ a: Tensor, _ b: Tensor) -> Tensor { a .&& b }
/// `torch.logical_or(a, b)`.
public func logicalOr(_ a: Tensor, _ b: Tensor) -> Tensor { a .|| b }
/// `torch.logical_not(x)`.
public func logicalNot(_ x: Tensor) -> Tensor { x.logicalNot() }
/// `torch.logical_xor(a, b)`.
public func logicalXor(_ a: Tensor, _ b: Tensor) -> Tensor { a.logicalXor(b) }
/// `torch.isclose(a, b)`.
public func isclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false) -> Tensor {
    a.isclose(b, rtol: rtol, atol: atol, equalNan: equalNan)
}
/// `torch.allclose(a, b)`.
public func allclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool { a.allclose(b, rtol: rtol, atol: atol) }
/// `torch.log2(x)`.
public func log2(_ x: Tensor) -> Tensor { x.log2() }
/// `torch.log10(x)`.
public func log10(_ x: Tensor) -> Tensor { x.log10() }
/// `F.softplus(x)`.
public func softplus(_ x: Tensor) -> Tensor { x.softplus() }
/// `torch.sum(x)`.
public func sum(_ x: Tensor) -> Tensor { x.sum() }
/// `torch.sum(x, dim)`.
public func sum(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.sum(dim: dim, keepDim: keepDim) }
/// `torch.mean(x)`.
public func mean(_ x: Tensor) -> Tensor { x.mean() }
/// `torch.mean(x, dim)`.
public func mean(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.mean(dim: dim, keepDim: keepDim) }
/// `torch.argmax(x)`.
public func argmax(_ x: Tensor) -> Tensor { x.argmax() }
/// `torch.argmax(x, dim)`.
public func argmax(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.argmax(dim: dim, keepDim: keepDim) }
/// `torch.argmin(x)`.
public func argmin(_ x: Tensor) -> Tensor { x.argmin() }
/// `torch.argmin(x, dim)`.
public func argmin(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.argmin(dim: dim, keepDim: keepDim) }
/// `torch.amax(x, dim)`.
public func amax(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.amax(dim: dim, keepDim: keepDim) }
/// `torch.amin(x, dim)`.
public func amin(_ x: Tensor, dim: Int, keepDim: Bool = false) -> Tensor { x.amin(dim: dim, keepDim: keepDim) }
/// `torch.squeeze(x, dim)`.
public func squeeze(_ x: Tensor, dim: Int? = nil) -> Tensor { x.squeeze(dim: dim) }
/// `torch.unsqueeze(x, dim)`.
public func unsqueeze(_ x: Tensor, _ dim: Int) -> Tensor { x.unsqueeze(dim) }
/// `torch.reshape(x, shape)`.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor { x.reshape(shape) }
/// `torch.transpose(x, dim0, dim1)`.
public func transpose(_ x: Tensor, _ dim0: Int, _ dim1: Int) -> Tensor { x.transpose(dim0, dim1) }
/// `torch.flatten(x, start_dim, end_dim)`.
public func flatten(_ x: Tensor, startDim: Int = 0, endDim: Int = -1) -> Tensor { x.flatten(startDim: startDim, endDim: endDim) }
/// `torch.flatten(x, 1)` as PyTorch's positional form.
public func flatten(_ x: Tensor, _ startDim: Int, _ endDim: Int = -1) -> Tensor { x.flatten(startDim: startDim, endDim: endDim) }
/// `torch.unbind(x, dim)`.
public func unbind(_ x: Tensor, dim: Int = 0) -> [Tensor] { x.unbind(dim: dim) }
/// `torch.split(x, size, dim)`.
public func split(_ x: Tensor, _ size: Int, dim: Int = 0) -> [Tensor] { x.split(size, dim: dim) }
/// `torch.split(x, sizes, dim)`.
public func split(_ x: Tensor, _ sizes: [Int], dim: Int = 0) -> [Tensor] { x.split(sizes, dim: dim) }
/// `torch.chunk(x, chunks, dim)`.
public func chunk(_ x: Tensor, _ chunks: Int, dim: Int = 0) -> [Tensor] { x.chunk(chunks, dim: dim) }
/// `torch.median(x)`.
public func median(_ x: Tensor) -> Tensor { x.median() }
