import CDescentKernels

// `deepcopy(model)`: Python's `copy.deepcopy` for modules. Swift has no generic way to copy an instance
// of a class it does not know, so this reads the class's field layout from the Swift runtime's
// reflection metadata (the same records `Mirror` reads) and builds the copy field by field:
//
// - every `Module` reachable from the fields (stored properties, arrays, dictionaries, optionals,
//   tuples and structs holding them) is copied once, so a submodule shared by two parents stays
//   shared in the copy, and a module that refers back to its parent does not loop;
// - every `Tensor` (parameters, buffers, any tensor property) gets its own storage with the same
//   values, dtype and device, detached; a `Parameter` stays a `Parameter` with the same
//   `requiresGrad`, and its `.grad` is copied too, as PyTorch copies it;
// - every other value is copied as Swift copies it: numbers, strings and arrays of them by value,
//   closures and instances of other classes (a generator, a logger) by reference; weak references
//   stay weak and point at the same object.
//
// A module with `weightNorm`/`spectralNorm` hooks stops with a message: those hooks hold the
// original's tensors in closures, which no copy can reach into. Unowned properties stop too.

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

/// Field-layout records of the Swift runtime (its `_FieldReflectionMetadata`).
private struct FieldRecord {
    var name: UnsafePointer<CChar>? = nil
    var freeFunc: (@convention(c) (UnsafePointer<CChar>?) -> Void)? = nil
    var isStrong = false
    var isVar = false
}
@_silgen_name("swift_reflectionMirror_recursiveCount")
private func runtimeFieldCount(_ type: Any.Type) -> Int
@_silgen_name("swift_reflectionMirror_recursiveChildOffset")
private func runtimeFieldOffset(_ type: Any.Type, index: Int) -> Int
@_silgen_name("swift_reflectionMirror_recursiveChildMetadata")
private func runtimeFieldType(_ type: Any.Type, index: Int, fieldMetadata: UnsafeMutablePointer<FieldRecord>) -> Any.Type

/// One stored property of a class, struct or tuple type: its name, byte offset, type and whether it is strong.
private struct Field { var name: String; var offset: Int; var type: Any.Type; var isStrong: Bool }

private func fields(of type: Any.Type) -> [Field] {
    (0..<runtimeFieldCount(type)).map { i in
        var record = FieldRecord()
        let t = runtimeFieldType(type, index: i, fieldMetadata: &record)
        defer { record.freeFunc?(record.name) }
        return Field(name: record.name.map { String(cString: $0) } ?? "\(i)", offset: runtimeFieldOffset(type, index: i),
                     type: t, isStrong: record.isStrong)
    }
}

// Typed access to a field through its opened type.
private func isTrivial(_ type: Any.Type) -> Bool {
    func open<T>(_: T.Type) -> Bool { _isPOD(T.self) }
    return _openExistential(type, do: open)
}
private func load(_ type: Any.Type, _ p: UnsafeRawPointer) -> Any {
    func open<T>(_: T.Type) -> Any { p.assumingMemoryBound(to: T.self).pointee }
    return _openExistential(type, do: open)
}
private func initialize(_ type: Any.Type, _ p: UnsafeMutableRawPointer, from source: UnsafeRawPointer) {
    func open<T>(_: T.Type) { p.assumingMemoryBound(to: T.self).initialize(to: source.assumingMemoryBound(to: T.self).pointee) }
    _openExistential(type, do: open)
}
private func assign(_ type: Any.Type, _ p: UnsafeMutableRawPointer, _ value: Any) {
    func open<T>(_: T.Type) { p.assumingMemoryBound(to: T.self).pointee = value as! T }
    _openExistential(type, do: open)
}

private protocol OptionalType {}
extension Optional: OptionalType {}

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
        if type is AnyClass || isTrivial(type) { return value }
        switch Mirror(reflecting: value).displayStyle {
        case .struct?, .tuple?:
            func open<T>(_ v: T) -> Any {
                var out = v
                withUnsafeMutableBytes(of: &out) { raw in
                    for f in fields(of: T.self) where f.isStrong && !isTrivial(f.type) {
                        let p = raw.baseAddress! + f.offset
                        assign(f.type, p, copy(load(f.type, UnsafeRawPointer(p))))
                    }
                }
                return out
            }
            return _openExistential(value, do: open)
        default:
            return value   // enums (their payloads are not reached), functions, metatypes
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
        #if canImport(ObjectiveC)
        fail("deepcopy reads Linux's class metadata layout; it is not available on this platform")
        #else
        for (name, m) in module.namedModules() where !m.normHooks.isEmpty {
            fail("deepcopy: \(m.typeName)\(name.isEmpty ? "" : " (`\(name)`)") has weightNorm/spectralNorm hooks on "
                 + "\(m.normHooks.keys.sorted()), which refer to the original's tensors; remove them, copy, then apply them to the copy")
        }
        let cls: AnyClass = type(of: module)
        let metadata = unsafeBitCast(cls, to: UnsafeRawPointer.self)
        // Swift's class metadata without Objective-C interop: flags (UInt32) at 16, instance address
        // point at 20, instance size (UInt32) at 24, instance alignment mask (UInt16) at 28.
        let size = Int(metadata.load(fromByteOffset: 24, as: UInt32.self))
        let alignMask = Int(metadata.load(fromByteOffset: 28, as: UInt16.self))
        let layout = fields(of: cls)
        let end = layout.map { f -> Int in
            func open<T>(_: T.Type) -> Int { MemoryLayout<T>.size }
            return f.offset + _openExistential(f.type, do: open)
        }.max() ?? 16
        if end > size || alignMask < 7 { fail("deepcopy: unexpected class metadata for \(cls) (size \(size), fields end at \(end))") }
        // A weak property's type is an Optional; an unowned one's is not (an unowned Optional is taken for weak).
        for f in layout where !f.isStrong && !(f.type is OptionalType.Type) {
            fail("deepcopy: \(cls) has an unowned property `\(f.name)`, which cannot be copied; make it weak or strong")
        }

        // First a field-by-field copy of the original, so that the new object is whole...
        let source = UnsafeMutableRawPointer(Unmanaged.passUnretained(module).toOpaque())
        let raw = dk_swift_alloc_object(metadata, size, alignMask)!
        for f in layout {
            if f.isStrong { initialize(f.type, raw + f.offset, from: source + f.offset) }
            else { dk_swift_weak_copy_init(raw + f.offset, source + f.offset) }
        }
        let copy = Unmanaged<Module>.fromOpaque(raw).takeRetainedValue()
        memo[ObjectIdentifier(module)] = copy
        // ...then its modules and tensors replaced by their copies.
        for f in layout where f.isStrong && !isTrivial(f.type) {
            assign(f.type, raw + f.offset, self.copy(load(f.type, raw + f.offset)))
        }
        return copy
        #endif
    }
}
