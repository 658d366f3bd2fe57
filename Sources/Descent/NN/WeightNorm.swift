import Foundation

// torch.nn.utils.weight_norm and spectral_norm (the hook-based API): the parameter becomes a
// tensor recomputed before every forward from new parameters (`weight_g`, `weight_v`; or
// `weight_orig` with power-iteration buffers `weight_u`, `weight_v`), which are what
// `parameters()`, optimizers and the state dict see, under PyTorch's names.

/// ‖v‖₂ over every dim but `dim` (nil: over all), shaped to broadcast against v (PyTorch's `norm_except_dim`).
func normExceptDim(_ v: Tensor, _ dim: Int?) -> Tensor {
    guard let d0 = dim else { return v.norm() }
    let d = normalizeDim(d0, v.rank)
    if d == 0 {
        return v.contiguous().reshape(v.shape[0], -1).norm(dim: 1).reshape([v.shape[0]] + Array(repeating: 1, count: v.rank - 1))
    }
    if d == v.rank - 1 {
        return v.contiguous().reshape(-1, v.shape[d]).norm(dim: 0).reshape(Array(repeating: 1, count: v.rank - 1) + [v.shape[d]])
    }
    return normExceptDim(v.transpose(0, d), 0).transpose(0, d)
}

/// The module's declared parameter `name`, hidden from `parameters()` from now on.
private func takeParameter(_ module: Module, _ name: String, _ what: String) -> Parameter {
    if module.normHooks[name] != nil { fail("Cannot register two \(what) hooks on the same parameter \(name)") }
    guard let w = module.namedDirectParameters().first(where: { $0.0 == name })?.1 else {
        fail("Module '\(module.typeName)' has no parameter or buffer with name '\(name)'")
    }
    module.hiddenParameterNames.insert(name)
    return w
}

/// Reparameterises `module`'s `name` as g · v / ‖v‖ (norm over every dim but `dim`; nil: the whole
/// tensor) with new parameters `name_g` and `name_v`, recomputed before each forward (PyTorch's
/// `torch.nn.utils.weight_norm`). Returns the module.
@discardableResult
public func weightNorm<M: Module>(_ module: M, name: String = "weight", dim: Int? = 0) -> M {
    let w = takeParameter(module, name, "weight_norm")
    let g = Parameter(normExceptDim(w.detach(), dim).detach().clone())
    let v = Parameter(w.detach())
    module.registerParameter(name + "_g", g)
    module.registerParameter(name + "_v", v)
    let compute = { v * (g / normExceptDim(v, dim)) }
    w.adopt(compute())
    let handle = module.registerForwardPreHook { _, _ in w.adopt(compute()); return nil }
    module.normHooks[name] = ("weight_norm", handle, compute)
    return module
}

/// Undoes `weightNorm`: `name` is a trained parameter again, holding g · v / ‖v‖ now (PyTorch's `remove_weight_norm`).
@discardableResult
public func removeWeightNorm<M: Module>(_ module: M, name: String = "weight") -> M {
    removeNorm(module, name, "weight_norm", ["_g", "_v"])
}

private func removeNorm<M: Module>(_ module: M, _ name: String, _ kind: String, _ suffixes: [String]) -> M {
    guard let (k, handle, value) = module.normHooks[name], k == kind else { fail("\(kind) of '\(name)' not found in \(module.typeName)") }
    handle.remove()
    module.normHooks[name] = nil
    let w = module.namedDirectParameters().first { $0.0 == name }!.1
    w.adopt(noGrad { value().detach().clone() })
    w.requiresGrad = true
    for s in suffixes { module.registerParameter(name + s, nil) }
    if kind == "spectral_norm" { module.removeBuffer(name + "_u"); module.removeBuffer(name + "_v") }
    module.hiddenParameterNames.remove(name)
    return module
}

/// Divides `module`'s `name` by its largest singular value, estimated by `nPowerIterations` steps of
/// power iteration per training forward (buffers `name_u`, `name_v`); the trained parameter is
/// `name_orig` (PyTorch's `torch.nn.utils.spectral_norm`; `dim` defaults to 1 for transposed
/// convolutions, else 0). Returns the module.
@discardableResult
public func spectralNorm<M: Module>(_ module: M, name: String = "weight", nPowerIterations: Int = 1, eps: Double = 1e-12, dim: Int? = nil) -> M {
    if nPowerIterations < 0 { fail("Expected n_power_iterations to be positive, but got n_power_iterations=\(nPowerIterations)") }
    let d = dim ?? ((module is ConvTranspose1d || module is ConvTranspose2d) ? 1 : 0)
    let w = takeParameter(module, name, "spectral_norm")
    let orig = Parameter(w.detach())
    func matrix(_ t: Tensor) -> Tensor {
        var m = t
        if d != 0 { m = m.permute([d] + (0..<t.rank).filter { $0 != d }) }
        return m.reshape(m.shape[0], -1)
    }
    let (u, v) = noGrad { () -> (Tensor, Tensor) in
        let wm = matrix(orig)
        let u = normalize(Tensor.empty([wm.shape[0]], dtype: wm.dtype, device: wm.device).normal_(0, 1), dim: 0, eps: eps)
        let v = normalize(Tensor.empty([wm.shape[1]], dtype: wm.dtype, device: wm.device).normal_(0, 1), dim: 0, eps: eps)
        return (u, v)
    }
    module.registerParameter(name + "_orig", orig)
    module.registerBuffer(name + "_u", u)
    module.registerBuffer(name + "_v", v)
    let handle = module.registerForwardPreHook { m, _ in
        let wm = matrix(orig)
        var (uu, vv) = (u, v)
        if m.isTraining {
            noGrad {
                for _ in 0..<nPowerIterations {
                    v.copy_(normalize(wm.t().mv(u), dim: 0, eps: eps))
                    u.copy_(normalize(wm.mv(v), dim: 0, eps: eps))
                }
            }
            if nPowerIterations > 0 { uu = u.clone(); vv = v.clone() }
        }
        let sigma = uu.dot(wm.mv(vv))
        w.adopt(orig / sigma)
        return nil
    }
    module.normHooks[name] = ("spectral_norm", handle, { orig / u.dot(matrix(orig).mv(v)) })
    return module
}

/// Undoes `spectralNorm`: `name` is a trained parameter again, holding the last normalised weight (PyTorch's `remove_spectral_norm`).
@discardableResult
public func removeSpectralNorm<M: Module>(_ module: M, name: String = "weight") -> M {
    removeNorm(module, name, "spectral_norm", ["_orig"])
}
