import CDescentKernels

extension Tensor {
    /// A copy converted to `dtype` (self when it already has it), PyTorch's `to(dtype)`.
    public func to(dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        dk_cast(self.dtype.code, x.rawPointer, dtype.code, out.rawPointer, Int64(count))
        if wantsGrad(self) && dtype.isFloatingPoint { out.recorded(.toCopy(self.dtype), inputs: [self]) }
        return out
    }
    /// `to(dtype:)` for an operand of a binary op: a float literal in the expression (`x64 * 0.1`)
    /// takes part with its exact double value, as a Python float does in PyTorch.
    func promoted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        if let d = literalDouble, isWrappedNumber, !requiresGradFlag, Float(d) == pointer(Float.self).pointee {
            return Tensor.scalar(d, dtype: dtype)
        }
        return to(dtype: dtype)
    }
    /// This tensor on `device` (self when already there). Tensors are copied; modules move in place.
    public func to(_ device: Device) -> Tensor {
        if device == self.device { return self }
        if device.isCUDA {
            fail("Cannot move a tensor to \(device): \(CUDA.unavailableReason ?? "CUDA is not available")")
        }
        return self
    }
    /// Same as `to(dtype:)` then `to(_ device:)`.
    public func to(_ device: Device, dtype: DType) -> Tensor { to(dtype: dtype).to(device) }
    /// This tensor on the CPU.
    public func cpu() -> Tensor { to(.cpu) }
    /// This tensor on CUDA device `index`.
    public func cuda(_ index: Int = 0) -> Tensor { to(.cuda(index)) }
    /// Converts to float32.
    public func float() -> Tensor { to(dtype: .float32) }
    /// Converts to float64.
    public func double() -> Tensor { to(dtype: .float64) }
    /// Converts to int64.
    public func long() -> Tensor { to(dtype: .int64) }
    /// Converts to int32.
    public func int() -> Tensor { to(dtype: .int32) }
    /// Converts to bool (nonzero = true).
    public func bool() -> Tensor { to(dtype: .bool) }
    /// Converts to uint8.
    public func byte() -> Tensor { to(dtype: .uint8) }
}

// MARK: - In-place operations (used by optimizers and initialisers; they do not record gradients)

extension Tensor {
    func checkInPlace() {
        if gradEnabled && requiresGradFlag && node == nil {
            fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        if gradEnabled && node != nil {
            fail("in-place operations on tensors that are part of the autograd graph are not supported; use the out-of-place form")
        }
    }

    /// self += other (broadcast), without recording; `other` converted to self's dtype.
    func addInPlaceRaw(_ other: Tensor, alpha: Double = 1) {
        var o = other.dtype == dtype ? other : other.to(dtype: dtype)
        if alpha != 1 { o = (o * alpha).to(dtype: dtype) }   // (an integer tensor times a Double is float32)
        if o.shape == shape && isContiguous && o.isContiguous && dtype.isFloatingPoint {
            dk_axpy(dtype.code, Int64(count), 1, o.rawPointer, rawPointer)
            return
        }
        let sa = strides, sb = o.broadcastStrides(to: shape)
        shape.withUnsafeBufferPointer { sh in sa.withUnsafeBufferPointer { pa in sb.withUnsafeBufferPointer { pb in
            // out must be contiguous for dk_binary; compute into a temporary when self is a strided view
            if isContiguous {
                dk_binary(Int32(DK_ADD), dtype.code, Int32(shape.count), i64(sh), rawPointer, rawPointer, i64(pa), o.rawPointer, i64(pb))
            } else {
                let tmp = noGrad { self + o }
                copyStrided(from: tmp, into: self)
            }
        } } }
    }

    /// Copies `src` (broadcast, converted) into this tensor's memory (PyTorch's `copy_`).
    @discardableResult public func copy_(_ src: Tensor) -> Tensor {
        checkInPlace()
        checkSameDevice(self, src)
        _ = broadcastShapes(src.shape, shape)
        let s = src.dtype == dtype ? src : noGrad { src.to(dtype: dtype) }
        copyStrided(from: s, into: self)
        return self
    }
    /// Fills with `value` in place.
    @discardableResult public func fill_(_ value: Double) -> Tensor {
        checkInPlace()
        if isContiguous { dk_fill(dtype.code, rawPointer, Int64(count), value) }
        else { copyStrided(from: Tensor.full([], value, dtype: dtype), into: self) }
        return self
    }
    /// Fills with zeros in place.
    @discardableResult public func zero_() -> Tensor { fill_(0) }
    /// self += alpha * other, in place (PyTorch's `add_`).
    @discardableResult public func add_(_ other: Tensor, alpha: Double = 1) -> Tensor {
        checkInPlace()
        checkInPlaceResultType(other)
        if !dtype.isFloatingPoint && alpha != alpha.rounded() {
            fail("For integral input tensors, argument alpha must not be a floating point number.")
        }
        addInPlaceRaw(other, alpha: alpha)
        return self
    }
    /// self *= value, in place (PyTorch's `mul_`); a Double on an integer tensor is PyTorch's cast error.
    @discardableResult public func mul_(_ value: Double) -> Tensor {
        checkInPlace()
        if !dtype.isFloatingPoint { fail("result type Float can't be cast to the desired output type \(dtype.scalarTypeName)") }
        if !isContiguous { return mul_(Tensor.wrap(value)) }
        dk_unary(Int32(DK_AFFINE), dtype.code, Int64(count), rawPointer, rawPointer, value, 0)
        return self
    }
    /// self *= value, in place; integer tensors stay integers (PyTorch's `x.mul_(3)`).
    @discardableResult public func mul_(_ value: Int) -> Tensor {
        dtype.isFloatingPoint ? mul_(Double(value)) : mul_(Tensor.wrap(value))
    }
    /// PyTorch refuses an in-place op whose result type (floating) does not fit self's (integer).
    func checkInPlaceResultType(_ other: Tensor) {
        if !dtype.isFloatingPoint && other.dtype.isFloatingPoint {
            fail("result type Float can't be cast to the desired output type \(dtype.scalarTypeName)")
        }
    }
    /// self = other * self elementwise, in place.
    @discardableResult public func mul_(_ other: Tensor) -> Tensor {
        checkInPlace()
        checkInPlaceResultType(other)
        let r = noGrad { self * other }
        copyStrided(from: r.to(dtype: dtype), into: self)
        return self
    }
    func contiguousOrFail() -> Tensor {
        if !isContiguous { fail("in-place operation needs a contiguous tensor here") }
        return self
    }
}
