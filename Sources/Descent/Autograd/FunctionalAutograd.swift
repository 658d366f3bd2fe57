import Foundation

// torch.autograd.functional: Jacobians, Hessians and vector products of a function of one tensor,
// built on `grad` (the reverse mode, row by row as PyTorch's `vectorize=False`). Results are
// detached unless `createGraph`; an output that does not depend on the input gives zeros.

/// The input as a fresh leaf that requires grad (or the input itself under `createGraph`, so the
/// result stays differentiable with respect to it).
private func differentiable(_ x: Tensor, _ createGraph: Bool) -> Tensor {
    if createGraph && x.requiresGrad { return x.viewAs(x) }
    return x.detach().requiresGrad_()
}

/// ∂/∂x of each output element in turn: a tensor of shape out.shape + x.shape (zeros where unused).
private func jacobianRows(_ out: Tensor, _ x: Tensor, createGraph: Bool) -> Tensor {
    let flat = out.reshape(-1)
    var rows: [Tensor] = []
    for i in 0..<flat.count {
        if !out.requiresGrad { rows.append(Tensor.zerosLike(x)); continue }
        let g = grad([flat[i]], [x], retainGraph: true, createGraph: createGraph, allowUnused: true)[0]
        rows.append(g)
    }
    let j = rows.isEmpty ? Tensor.zeros([0] + x.shape, dtype: x.dtype) : stack(rows)
    return j.reshape(out.shape + x.shape)
}

/// The Jacobian of `f` at `x`, of shape f(x).shape + x.shape (`torch.autograd.functional.jacobian`).
public func jacobian(_ f: (Tensor) -> Tensor, _ x: Tensor, createGraph: Bool = false) -> Tensor {
    let xi = differentiable(x, createGraph)
    let out = enableGrad { f(xi) }
    let j = jacobianRows(out, xi, createGraph: createGraph)
    return createGraph ? j : j.detach()
}

/// The Hessian of the scalar function `f` at `x`, of shape x.shape + x.shape (`torch.autograd.functional.hessian`).
public func hessian(_ f: (Tensor) -> Tensor, _ x: Tensor, createGraph: Bool = false) -> Tensor {
    let xi = differentiable(x, createGraph)
    let out = enableGrad { f(xi) }
    if out.count != 1 { fail("The Tensor returned by the function given to hessian should contain a single element") }
    let g = enableGrad { out.requiresGrad ? grad([out.reshape([])], [xi], createGraph: true, allowUnused: true)[0] : Tensor.zerosLike(xi) }
    let h = jacobianRows(g, xi, createGraph: createGraph)
    return createGraph ? h : h.detach()
}

/// (f(x), vᵀ J): the vector-Jacobian product (`torch.autograd.functional.vjp`; v may be omitted for a one-element output).
public func vjp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor? = nil, createGraph: Bool = false) -> (Tensor, Tensor) {
    let xi = differentiable(x, createGraph)
    let out = enableGrad { f(xi) }
    if v == nil && out.count != 1 { fail("The vector v can only be None if the user-provided function returns a single Tensor with a single element.") }
    if let v, v.shape != out.shape { fail("v has invalid size: should be \(torchSize(out.shape)) but got \(torchSize(v.shape)).") }
    let r = out.requiresGrad
        ? grad([out], [xi], gradOutputs: [v ?? Tensor.onesLike(out)], createGraph: createGraph, allowUnused: true)[0] : Tensor.zerosLike(xi)
    return createGraph ? (out, r) : (out.detach(), r.detach())
}

/// (f(x), J v): the Jacobian-vector product, by the double-backward trick (`torch.autograd.functional.jvp`).
public func jvp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor? = nil, createGraph: Bool = false) -> (Tensor, Tensor) {
    if v == nil && x.count != 1 { fail("The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.") }
    if let v, v.shape != x.shape { fail("v has invalid size: should be \(torchSize(x.shape)) but got \(torchSize(v.shape)).") }
    let xi = differentiable(x, createGraph)
    let out = enableGrad { f(xi) }
    guard out.requiresGrad else { return (out.detach(), Tensor.zerosLike(out)) }
    let u = Tensor.zerosLike(out).requiresGrad_()
    let gx = enableGrad { grad([out], [xi], gradOutputs: [u], createGraph: true, allowUnused: true)[0] }
    let r = gx.requiresGrad ? grad([gx], [u], gradOutputs: [v ?? Tensor.onesLike(xi)], createGraph: createGraph, allowUnused: true)[0] : Tensor.zerosLike(out)
    return createGraph ? (out, r) : (out.detach(), r.detach())
}

/// (f(x), H v) for the scalar function `f` (`torch.autograd.functional.hvp`).
public func hvp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor, createGraph: Bool = false) -> (Tensor, Tensor) {
    vhp(f, x, v, createGraph: createGraph)   // the Hessian of a twice-differentiable scalar function is symmetric: H v = vᵀ H
}

/// (f(x), vᵀ H) for the scalar function `f` (`torch.autograd.functional.vhp`).
public func vhp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor, createGraph: Bool = false) -> (Tensor, Tensor) {
    if v.shape != x.shape { fail("v has invalid size: should be \(torchSize(x.shape)) but got \(torchSize(v.shape)).") }
    let xi = differentiable(x, createGraph)
    let out = enableGrad { f(xi) }
    if out.count != 1 { fail("The function given to hvp should return a single Tensor with a single element.") }
    guard out.requiresGrad else { return (out.detach(), Tensor.zerosLike(xi)) }
    let g = enableGrad { grad([out.reshape([])], [xi], createGraph: true, allowUnused: true)[0] }
    let r = g.requiresGrad ? grad([g], [xi], gradOutputs: [v], createGraph: createGraph, allowUnused: true)[0] : Tensor.zerosLike(xi)
    return createGraph ? (out, r) : (out.detach(), r.detach())
}

/// PyTorch's `torch.autograd` namespace, for `autograd.grad(...)` and `autograd.functional.jacobian(...)`.
public enum autograd {
    /// `torch.autograd.grad`.
    public static func grad(_ outputs: [Tensor], _ inputs: [Tensor], gradOutputs: [Tensor]? = nil, retainGraph: Bool? = nil,
                            createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
        Descent.grad(outputs, inputs, gradOutputs: gradOutputs, retainGraph: retainGraph, createGraph: createGraph, allowUnused: allowUnused)
    }
    /// `torch.autograd.functional`.
    public enum functional {
        public static func jacobian(_ f: (Tensor) -> Tensor, _ x: Tensor, createGraph: Bool = false) -> Tensor { Descent.jacobian(f, x, createGraph: createGraph) }
        public static func hessian(_ f: (Tensor) -> Tensor, _ x: Tensor, createGraph: Bool = false) -> Tensor { Descent.hessian(f, x, createGraph: createGraph) }
        public static func vjp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor? = nil, createGraph: Bool = false) -> (Tensor, Tensor) { Descent.vjp(f, x, v, createGraph: createGraph) }
        public static func jvp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor? = nil, createGraph: Bool = false) -> (Tensor, Tensor) { Descent.jvp(f, x, v, createGraph: createGraph) }
        public static func hvp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor, createGraph: Bool = false) -> (Tensor, Tensor) { Descent.hvp(f, x, v, createGraph: createGraph) }
        public static func vhp(_ f: (Tensor) -> Tensor, _ x: Tensor, _ v: Tensor, createGraph: Bool = false) -> (Tensor, Tensor) { Descent.vhp(f, x, v, createGraph: createGraph) }
    }
}
