// `deepcopy(model)`: Python's `copy.deepcopy` for modules. The copy is built field by field from the
// Swift runtime's field records (Runtime/ObjectCloning.swift):
//
// - every `Module` reachable from the fields (stored properties, arrays, dictionaries, optionals,
//   tuples and structs holding them) is copied once, so a submodule shared by two parents stays
//   shared in the copy, and a module that refers back to its parent does not loop;
// - every `Tensor` (parameters, buffers, any tensor property) gets its own storage with the same
//   values, dtype and device, detached; a `Parameter` stays a `Parameter` with the same
//   `requiresGrad`, and its `.grad` is copied too, as PyTorch copies it;
// - every other value is copied as Swift copies it: numbers, strings and arrays of them by value,
//   closures and instances of other classes (a generator, a logger) by reference, enum payloads as
//   they are (a tensor inside a user enum is shared); weak properties are nil in the copy.
//
// A module with `weightNorm`/`spectralNorm` hooks stops with a message: those hooks hold the
// original's tensors in closures, which no copy can reach into. So does `DistributedDataParallel`
// (its gradient hooks sit on the original's parameters: copy its `module`), and a non-optional
// unowned property. No initializer runs for the copy: a module that owns a C resource (a file
// descriptor, allocated memory) freed in `deinit` must not be deep-copied.

/// A copy of `module` with its own parameters, buffers and submodules (PyTorch's
/// `copy.deepcopy(model)`): training one does not change the other.
public func deepcopy<M: Module>(_ module: M) -> M {
    DeepCopier().copyModule(module) as! M
}

/// A copy of `tensor` with its own storage (PyTorch's `copy.deepcopy(t)`): detached, same values,
/// dtype, device and `requiresGrad`; a `Parameter` stays one, with its gradient copied.
public func deepcopy<T: Tensor>(_ tensor: T) -> T {
    DeepCopier().copyTensor(tensor) as! T
}

/// A deep copy of any other value holding tensors or modules, such as a state dict (PyTorch's
/// `copy.deepcopy(model.state_dict())`): every tensor in it gets its own storage.
@_disfavoredOverload
public func deepcopy<T>(_ value: T) -> T {
    DeepCopier().copy(value) as! T
}

/// Values that hold other values the copier must reach (the standard containers).
private protocol DeepCopyContainer { func deepCopied(_ copier: DeepCopier) -> Any }
extension Array: DeepCopyContainer {
    fileprivate func deepCopied(_ copier: DeepCopier) -> Any { _isPOD(Element.self) ? self : map { copier.copy($0) as! Element } }
}
extension ContiguousArray: DeepCopyContainer {
    fileprivate func deepCopied(_ copier: DeepCopier) -> Any { _isPOD(Element.self) ? self : ContiguousArray(map { copier.copy($0) as! Element }) }
}
extension Dictionary: DeepCopyContainer {
    fileprivate func deepCopied(_ copier: DeepCopier) -> Any { _isPOD(Value.self) ? self : mapValues { copier.copy($0) as! Value } }
}
extension Optional: DeepCopyContainer {
    fileprivate func deepCopied(_ copier: DeepCopier) -> Any {
        switch self { case .some(let w): return Optional(copier.copy(w) as! Wrapped); case .none: return self }
    }
}

/// One deep copy: the objects copied so far, by the original's identity (Python's `memo`).
final class DeepCopier {
    private var memo: [ObjectIdentifier: AnyObject] = [:]

    /// The copy of any value: modules and tensors copied once each, containers, structs and tuples
    /// rebuilt around their copied contents, everything else as Swift copies it.
    func copy(_ value: Any) -> Any {
        if let t = value as? Tensor { return copyTensor(t) }
        if let m = value as? Module { return copyModule(m) }
        if let c = value as? DeepCopyContainer { return c.deepCopied(self) }
        let type = Swift.type(of: value)
        if type is AnyClass || isTrivialType(type) { return value }
        switch Mirror(reflecting: value).displayStyle {
        case .struct?, .tuple?: return rebuildingFields(of: value, copy)
        default: return value   // enums (their payloads are not reached), functions, metatypes
        }
    }

    func copyTensor(_ t: Tensor) -> Tensor {
        if let done = memo[ObjectIdentifier(t)] { return done as! Tensor }
        let data = noGrad { t.detach().clone() }
        let out: Tensor
        if let p = t as? Parameter {
            out = Parameter(data, requiresGrad: p.requiresGrad)
        } else {
            out = data
            if t.requiresGrad && t.gradFn == nil { out.requiresGrad = true }
        }
        if let g = t.grad { out.grad = noGrad { g.detach().clone() } }
        memo[ObjectIdentifier(t)] = out
        return out
    }

    func copyModule(_ module: Module) -> Module {
        if let done = memo[ObjectIdentifier(module)] { return done as! Module }
        if !module.normHooks.isEmpty {
            fail("deepcopy: \(module.typeName) has weightNorm/spectralNorm hooks on \(module.normHooks.keys.sorted()), which refer "
                 + "to the original's tensors; remove them, copy, then apply them to the copy")
        }
        if module is DistributedDataParallel {
            fail("deepcopy: DistributedDataParallel's gradient hooks sit on the original's parameters; copy its `module` instead")
        }
        return cloningFields(of: module, register: { memo[ObjectIdentifier(module)] = $0 }, copy)
    }
}
