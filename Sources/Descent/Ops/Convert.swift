extension Tensor {
    /// A copy converted to `dtype` (self when it already has it), PyTorch's `to(dtype)`.
    public func to(dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.cast(x, out: out)
        if wantsGrad(self) && dtype.isFloatingPoint { out.recorded(.toCopy(self.dtype), inputs: [self]) }
        return out
    }
    /// `to(dtype:)` for an operand of a binary op: a float literal in the expression (`x64 * 0.1`)
    /// takes part with its exact double value, as a Python float does in PyTorch.
    func promoted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        if let d = literalDouble, isWrappedNumber, !requiresGradFlag, Float(d) == Float(item()) {
            return Tensor.scalar(d, dtype: dtype)
        }
        return to(dtype: dtype)
    }
    /// This tensor on `device` (self when already there). Tensors are copied, recording
    /// `ToCopyBackward0`; modules move in place. `.to(.meta)` keeps the shape and dtype and drops the
    /// values; nothing can be copied out of the meta device (PyTorch's "Cannot copy out of meta tensor").
    /// With `nonBlocking`, a copy from pinned memory (`pinMemory()`) to a GPU is queued on the current
    /// stream and this returns at once (PyTorch's `non_blocking=True`); other copies wait, and a copy
    /// to the CPU always waits, so its values can be read at once.
    public func to(_ device: Device, nonBlocking: Bool = false) -> Tensor {
        if device == self.device { return self }
        let x = contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype, device: device)
        Kernels.transfer(x, to: out, nonBlocking: nonBlocking)
        if wantsGrad(self) { out.recorded(.toCopyDevice(self.device), inputs: [self]) }
        return out
    }
    /// Same as `to(dtype:)` then `to(_ device:)`.
    public func to(_ device: Device, dtype: DType) -> Tensor { to(dtype: dtype).to(device) }
    /// This tensor on the CPU.
    public func cpu() -> Tensor { to(.cpu) }
    /// This tensor on CUDA device `index`.
    public func cuda(_ index: Int = 0, nonBlocking: Bool = false) -> Tensor { to(.cuda(index), nonBlocking: nonBlocking) }
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
    /// Whether an in-place op on this tensor, with these operands, must be recorded by autograd:
    /// grad mode is on and this tensor belongs to a graph or an operand requires grad.
    func inPlaceIsTracked(_ operands: [Tensor]) -> Bool {
        if gradEnabled && requiresGradFlag && node == nil {
            fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        return gradEnabled && (node != nil || operands.contains { $0.requiresGradFlag })
    }

    /// Runs an in-place op as PyTorch does. Untracked (see `inPlaceIsTracked`), `raw` writes into this
    /// tensor's memory. Tracked, `compute` builds the new value out of place from a copy of the old one
    /// that keeps its history (and serves the op's own backward); the value is written back and its
    /// history replaces this tensor's, so later ops and `backward()` see the in-place op. Either way the
    /// storage's version goes up, so backward refuses values saved before they were overwritten.
    @discardableResult
    func applyInPlace(_ operands: [Tensor] = [], raw: () -> Void, compute: (Tensor) -> Tensor) -> Tensor {
        if !inPlaceIsTracked(operands) {
            raw()
            storage.version += 1
            return self
        }
        if let base = viewBase, base.storage === storage { return applyThroughView(base, compute: compute) }
        if let n = node, n.op.isView {
            fail("a view of a tensor that is part of the autograd graph is being modified by an in-place operation (\(n.name)); modify the tensor it views, or use the out-of-place form")
        }
        let r = computeAndWriteBack(compute)
        node = r.node
        requiresGradFlag = r.requiresGradFlag
        return self
    }

    /// The tracked in-place op's new value, computed out of place from a copy of this tensor that keeps
    /// its history, and written back into this tensor's memory (the version goes up).
    func computeAndWriteBack(_ compute: (Tensor) -> Tensor) -> Tensor {
        let old = noGrad { clone() }
        old.node = node
        old.requiresGradFlag = requiresGradFlag
        let r = compute(old)
        if r.shape != shape {
            fail("output with shape \(shapeString(shape)) doesn't match the broadcast shape \(shapeString(r.shape))")
        }
        noGrad { copyStrided(from: r.dtype == dtype ? r : r.to(dtype: dtype), into: self) }
        storage.version += 1
        if let n = r.node {
            // an op that saved its output (relu_, sigmoid_, exp_) saved this tensor, as in PyTorch: a later
            // in-place write to it makes that backward fail instead of using the overwritten values
            let alias = detach()
            for i in n.outputSaved where i < n.saved.count { n.saved[i] = alias; n.savedVersions[i] = storage.version }
        }
        return r
    }

    /// self += other (broadcast), without recording; `other` converted to self's dtype.
    func addInPlaceRaw(_ other: Tensor, alpha: Double = 1) {
        var o = other.dtype == dtype ? other : other.to(dtype: dtype)
        if alpha != 1 { o = (o * alpha).to(dtype: dtype) }   // (an integer tensor times a Double is float32)
        if o.shape == shape && isContiguous && o.isContiguous && dtype.isFloatingPoint {
            Kernels.axpy(1, o, self)
            return
        }
        // the binary kernel writes a contiguous output; compute into a temporary when self is a strided view
        if isContiguous {
            Kernels.binary(.add, compute: dtype, out: self, self, strides, o, o.broadcastStrides(to: shape))
        } else {
            let tmp = noGrad { self + o }
            copyStrided(from: tmp, into: self)
        }
    }

    /// Copies `src` (broadcast, converted) into this tensor's memory (PyTorch's `copy_`).
    @discardableResult public func copy_(_ src: Tensor) -> Tensor {
        // copy_ crosses devices (a CPU state dict into CUDA parameters), as in PyTorch; nothing comes out of meta
        if src.device == .meta || device == .meta { checkSameDevice(self, src) }
        _ = broadcastShapes(src.shape, shape)
        return applyInPlace([src], raw: {
            let s = src.dtype == dtype ? src : noGrad { src.to(dtype: dtype) }
            copyStrided(from: s, into: self)
        }, compute: { old in
            // PyTorch's CopyBackwards: no gradient to the old value, the (summed) gradient to src
            let out = noGrad { src.to(dtype: old.dtype).expand(old.shape).contiguous().to(old.device) }
            if wantsGrad(old, src) {
                let srcShape = src.shape
                out.recorded(.copyInto(srcShape: srcShape), inputs: [old, src])
            }
            return out
        })
    }
    /// Fills with `value` in place.
    @discardableResult public func fill_(_ value: Double) -> Tensor {
        applyInPlace(raw: {
            if isContiguous { Kernels.fill(self, value) }
            else { copyStrided(from: Tensor.full([], value, dtype: dtype), into: self) }
        }, compute: { old in
            let out = Tensor.full(old.shape, value, dtype: old.dtype, device: old.device)
            if wantsGrad(old) { out.recorded(.zeroGrad("FillBackward0"), inputs: [old]) }
            return out
        })
    }
    /// Fills with zeros in place.
    @discardableResult public func zero_() -> Tensor { fill_(0) }
    /// self += alpha * other, in place (PyTorch's `add_`).
    @discardableResult public func add_(_ other: Tensor, alpha: Double = 1) -> Tensor {
        checkInPlaceResultType(other)
        if !dtype.isFloatingPoint && alpha != alpha.rounded() {
            fail("For integral input tensors, argument alpha must not be a floating point number.")
        }
        return applyInPlace([other], raw: { addInPlaceRaw(other, alpha: alpha) },
                            compute: { old in alpha == 1 ? old + other : old + other * alpha })
    }
    /// self += value, in place (a literal goes to the tensor overload: `q.add_(10)` keeps an int64 `q` int64).
    @_disfavoredOverload @discardableResult public func add_<S: ScalarOperand>(_ value: S) -> Tensor { add_(value.wrappedNumber) }
    /// self -= alpha * other, in place (PyTorch's `sub_`).
    @discardableResult public func sub_(_ other: Tensor, alpha: Double = 1) -> Tensor {
        checkInPlaceResultType(other)
        return applyInPlace([other], raw: { addInPlaceRaw(other, alpha: -alpha) },
                            compute: { old in alpha == 1 ? old - other : old - other * alpha })
    }
    /// self -= value, in place.
    @_disfavoredOverload @discardableResult public func sub_<S: ScalarOperand>(_ value: S) -> Tensor { sub_(value.wrappedNumber) }
    /// self /= other elementwise, in place (PyTorch's `div_`; integer tensors refuse, as in PyTorch).
    @discardableResult public func div_(_ other: Tensor) -> Tensor {
        if !dtype.isFloatingPoint { fail("result type Float can't be cast to the desired output type \(dtype.scalarTypeName)") }
        return applyInPlace([other], raw: { copyStrided(from: noGrad { (self / other).to(dtype: dtype) }, into: self) },
                            compute: { old in old / other })
    }
    /// self /= value, in place.
    @_disfavoredOverload @discardableResult public func div_<S: ScalarOperand>(_ value: S) -> Tensor { div_(value.wrappedNumber) }
    /// Clamps in place (PyTorch's `clamp_`).
    @discardableResult public func clamp_(min: Double? = nil, max: Double? = nil) -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { clamp(min: min, max: max) }, into: self) },
                     compute: { old in old.clamp(min: min, max: max) })
    }
    /// ReLU in place (PyTorch's `relu_`).
    @discardableResult public func relu_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { relu() }, into: self) }, compute: { old in old.relu() })
    }
    /// Sigmoid in place (PyTorch's `sigmoid_`).
    @discardableResult public func sigmoid_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { sigmoid() }, into: self) }, compute: { old in old.sigmoid() })
    }
    /// Tanh in place (PyTorch's `tanh_`).
    @discardableResult public func tanh_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { tanh() }, into: self) }, compute: { old in old.tanh() })
    }
    /// Exponential in place (PyTorch's `exp_`).
    @discardableResult public func exp_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { exp() }, into: self) }, compute: { old in old.exp() })
    }
    /// Power in place (PyTorch's `pow_`).
    @discardableResult public func pow_(_ exponent: Double) -> Tensor {
        if !dtype.isFloatingPoint && exponent != exponent.rounded() {
            fail("result type Float can't be cast to the desired output type \(dtype.scalarTypeName)")
        }
        return applyInPlace(raw: { copyStrided(from: noGrad { pow(exponent).to(dtype: dtype) }, into: self) },
                            compute: { old in old.pow(exponent) })
    }
    /// Elementwise power by a tensor, in place.
    @_disfavoredOverload @discardableResult public func pow_(_ exponent: Tensor) -> Tensor {
        checkInPlaceResultType(exponent)
        return applyInPlace([exponent], raw: { copyStrided(from: noGrad { pow(exponent).to(dtype: dtype) }, into: self) },
                            compute: { old in old.pow(exponent) })
    }
    /// Absolute value in place (PyTorch's `abs_`).
    @discardableResult public func abs_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { abs() }, into: self) }, compute: { old in old.abs() })
    }
    /// Square root in place (PyTorch's `sqrt_`; integer tensors refuse, as in PyTorch).
    @discardableResult public func sqrt_() -> Tensor {
        checkInPlaceResultType(Tensor.wrap(0.5))
        return applyInPlace(raw: { copyStrided(from: noGrad { sqrt() }, into: self) }, compute: { old in old.sqrt() })
    }
    /// Natural logarithm in place (PyTorch's `log_`).
    @discardableResult public func log_() -> Tensor {
        checkInPlaceResultType(Tensor.wrap(0.5))
        return applyInPlace(raw: { copyStrided(from: noGrad { log() }, into: self) }, compute: { old in old.log() })
    }
    /// Negation in place (PyTorch's `neg_`).
    @discardableResult public func neg_() -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { -self }, into: self) }, compute: { old in -old })
    }
    /// `value` where `mask` is true, in place (PyTorch's `masked_fill_`).
    @discardableResult public func maskedFill_(_ mask: Tensor, _ value: Double) -> Tensor {
        applyInPlace(raw: { copyStrided(from: noGrad { maskedFill(mask, value) }, into: self) },
                     compute: { old in old.maskedFill(mask, value) })
    }
    /// self *= value, in place (PyTorch's `mul_`); a Double on an integer tensor is PyTorch's cast error.
    @discardableResult public func mul_(_ value: Double) -> Tensor {
        if !dtype.isFloatingPoint { fail("result type Float can't be cast to the desired output type \(dtype.scalarTypeName)") }
        if !isContiguous || inPlaceIsTracked([]) { return mul_(Tensor.wrap(value)) }
        Kernels.unary(.affine, self, out: self, value, 0)
        storage.version += 1
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
        checkInPlaceResultType(other)
        return applyInPlace([other], raw: {
            let r = noGrad { self * other }
            copyStrided(from: r.to(dtype: dtype), into: self)
        }, compute: { old in old * other })
    }
    func contiguousOrFail() -> Tensor {
        if !isContiguous { fail("in-place operation needs a contiguous tensor here") }
        return self
    }
}
