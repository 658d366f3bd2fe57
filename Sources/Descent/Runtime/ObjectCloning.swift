import CDescentRuntime

// Copying values and class instances field by field, for `deepcopy` (NN/DeepCopy.swift). Swift has no
// generic way to copy an instance of a class it does not know, so this reads the type's field layout
// from the Swift runtime's reflection records (the ones `Mirror` reads: each stored property's name,
// byte offset, type and whether it is a strong reference) and copies each field with its own type's
// copy, as the compiler would. Linux only: it reads the class metadata layout Swift uses without
// Objective-C interop.

/// The runtime's `_FieldReflectionMetadata`.
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

/// One stored property of a class, struct or tuple type (superclass properties first).
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

/// Whether values of `type` are plain bits (no references to copy).
func isTrivialType(_ type: Any.Type) -> Bool {
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

/// A copy of the struct or tuple `value` whose strong, non-trivial fields are replaced by `transform`
/// of themselves (which must return a value of the field's type). The value is opened at its dynamic
/// type, so a struct inside an existential (`any P`, `Any`) is reached too.
func rebuildingFields(of value: Any, _ transform: (Any) -> Any) -> Any {
    func open<T>(_: T.Type) -> Any {
        var out = value as! T
        withUnsafeMutableBytes(of: &out) { raw in
            for f in fields(of: T.self) where f.isStrong && !isTrivialType(f.type) {
                let p = raw.baseAddress! + f.offset
                assign(f.type, p, transform(load(f.type, UnsafeRawPointer(p))))
            }
        }
        return out
    }
    return _openExistential(type(of: value), do: open)
}

/// A new instance of `object`'s class with every strong field copied from it (references retained),
/// handed to `register` while whole, then with its strong, non-trivial fields replaced by `transform`
/// of themselves. Weak (and unowned optional) properties are nil in the copy: the runtime's records do
/// not say which of the two a field is, and nil is valid storage for both. Stops on a non-optional
/// unowned property, and on a class whose fields the runtime does not fully describe.
func cloningFields<C: AnyObject>(of object: C, register: (C) -> Void, _ transform: (Any) -> Any) -> C {
    #if canImport(ObjectiveC)
    fail("deepcopy reads Linux's class metadata layout; it is not available on this platform")
    #else
    let cls: AnyClass = type(of: object)
    let metadata = unsafeBitCast(cls, to: UnsafeRawPointer.self)
    // Swift's class metadata without Objective-C interop: flags (UInt32) at 16, instance address
    // point at 20, instance size (UInt32) at 24, instance alignment mask (UInt16) at 28.
    let size = Int(metadata.load(fromByteOffset: 24, as: UInt32.self))
    let alignMask = Int(metadata.load(fromByteOffset: 28, as: UInt16.self))
    let layout = fields(of: cls)
    let extents = layout.map { f -> Range<Int> in
        func open<T>(_: T.Type) -> Int { MemoryLayout<T>.size }
        return f.offset..<(f.offset + _openExistential(f.type, do: open))
    }
    let end = extents.map(\.upperBound).max() ?? 16
    if end > size || alignMask < 7 { fail("deepcopy: unexpected class metadata for \(cls) (size \(size), fields end at \(end))") }
    // every word of the instance after its header must belong to a described field (a class built
    // without reflection metadata lists none, and its fields would be left uninitialised)
    for word in stride(from: 16, to: size, by: 8) where !extents.contains(where: { $0.overlaps(word..<(word + 8)) }) {
        fail("deepcopy: the Swift runtime does not describe every stored property of \(cls) (built without reflection metadata?)")
    }
    for f in layout where !f.isStrong && !(f.type is OptionalType.Type) {
        fail("deepcopy: \(cls) has an unowned property `\(f.name)`, which cannot be copied; make it weak or strong")
    }
    let source = UnsafeMutableRawPointer(Unmanaged.passUnretained(object).toOpaque())
    let raw = descent_swift_alloc_object(metadata, size, alignMask)!
    (raw + 16).initializeMemory(as: UInt8.self, repeating: 0, count: size - 16)   // nil for the weak fields, zero padding
    for f in layout where f.isStrong { initialize(f.type, raw + f.offset, from: source + f.offset) }
    let copy = Unmanaged<C>.fromOpaque(raw).takeRetainedValue()
    register(copy)
    for f in layout where f.isStrong && !isTrivialType(f.type) {
        assign(f.type, raw + f.offset, transform(load(f.type, raw + f.offset)))
    }
    return copy
    #endif
}
