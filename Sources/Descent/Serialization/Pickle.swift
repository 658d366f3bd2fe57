import Foundation

// A reader of Python pickles (protocols 0 to 5) for the data files datasets ship as pickles (CIFAR's
// batches: dicts of lists, strings and numpy arrays). It builds values; it never runs code: a callable
// it does not know (anything but numpy's array and dtype constructors and `_codecs.encode`) becomes an
// opaque `PickleValue.object`. Python 2 byte strings (`str`) stay bytes; `string` reads them as latin-1,
// as `pickle.load(f, encoding="latin1")` does.

/// A numpy array read from a pickle: its dtype descriptor (`u1`, `<f4`...), shape, and raw bytes.
@_spi(Testing) public final class PickledArray {
    public internal(set) var descr = "u1", shape: [Int] = [], fortranOrder = false
    public internal(set) var bytes: [UInt8] = []
}

/// A mutable Python container (list, dict, set): shared by reference, as the pickle's memo shares it.
@_spi(Testing) public final class PickleBox<T> {
    public internal(set) var value: T
    var depth: Int
    /// A dict's positions of its int and string keys (so that setting an item is not a scan).
    var index: [String: Int] = [:]
    init(_ value: T, depth: Int = 1) { self.value = value; self.depth = depth }
}

/// A value read from a pickle.
@_spi(Testing) public enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    /// Python 2 `str`, Python 3 `bytes` / `bytearray`.
    case bytes([UInt8])
    case string(String)
    case tuple([PickleValue])
    case list(PickleBox<[PickleValue]>)
    case dict(PickleBox<[(PickleValue, PickleValue)]>)
    /// A global reference (`module.name`), as `GLOBAL` / `STACK_GLOBAL` push it.
    case global(module: String, name: String)
    case array(PickledArray)
    /// A numpy dtype (`numpy.dtype('u1')`), with its byte order once its state is built.
    case dtype(PickleBox<String>)
    /// A persistent id (`BINPERSID` / `PERSID`): the reference to data kept outside the pickle, as
    /// `torch.save` refers to each tensor's storage.
    case persistent(PickleBox<PickleValue>)
    /// Anything else a callable would make: the callable, its arguments and any state built into it.
    case object(PickleBox<(callable: PickleValue, args: PickleValue, state: PickleValue?)>)

    /// The text of a `string`, or of Python 2 `bytes` read as latin-1.
    public var string: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(b.map { Character(Unicode.Scalar($0)) })
        default: return nil
        }
    }
    public var int: Int? { if case .int(let i) = self { return i }; if case .bool(let b) = self { return b ? 1 : 0 }; return nil }
    /// The items of a list or tuple.
    public var items: [PickleValue]? {
        switch self {
        case .list(let l): return l.value
        case .tuple(let t): return t
        default: return nil
        }
    }
    /// The entry of a dict under the string key `key` (Python 2 byte-string keys match too).
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let d) = self else { return nil }
        return d.value.first { $0.0.string == key }?.1
    }
    /// How deep this value's containers nest (bounded while reading, so that freeing it cannot overflow the stack).
    var depth: Int {
        switch self {
        case .list(let b): return b.depth
        case .dict(let b): return b.depth
        case .tuple(let t): return 1 + (t.map(\.depth).max() ?? 0)
        case .object(let b): return b.depth
        case .persistent(let b): return b.depth
        default: return 0
        }
    }
}

/// Reads the pickle in `bytes` (`path` names it in errors); throws `DatasetError.unreadable` for anything
/// that is not a well-formed pickle of plain data.
@_spi(Testing) public func unpickle(_ bytes: [UInt8], path: String) throws -> PickleValue {
    var reader = Unpickler(bytes: bytes, path: path)
    return try reader.run()
}

/// Reads the pickle that starts at `offset` of `bytes`; returns it and the offset just past its `STOP`
/// (a legacy `torch.save` file is several pickles and raw data in a row).
func unpickle(_ bytes: [UInt8], path: String, from offset: Int) throws -> (value: PickleValue, end: Int) {
    var reader = Unpickler(bytes: bytes, path: path)
    reader.pos = offset
    let v = try reader.run()
    return (v, reader.pos)
}

/// The pickle machine: a stack, a mark stack and a memo.
private struct Unpickler {
    let bytes: [UInt8]
    let path: String
    var pos = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    /// Deeper containers are refused: freeing a value recurses once per level.
    static let maxDepth = 1000

    init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

    func error(_ what: String, at: Int? = nil) -> DatasetError {
        .unreadable(path: path, reason: "not a valid pickle: \(what) at byte \(at ?? pos)")
    }

    mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw error("unexpected end of data") }
        defer { pos += 1 }
        return bytes[pos]
    }
    /// `n` bytes as an unsigned little-endian integer.
    mutating func uint(_ n: Int) throws -> UInt64 {
        guard bytes.count - pos >= n else { throw error("unexpected end of data") }
        var v: UInt64 = 0
        for k in 0..<n { v |= UInt64(bytes[pos + k]) << (8 * UInt64(k)) }
        pos += n
        return v
    }
    mutating func take(_ n: UInt64) throws -> [UInt8] {
        guard n <= UInt64(bytes.count - pos) else { throw error("a length of \(n) bytes runs past the end of the data") }
        defer { pos += Int(n) }
        return Array(bytes[pos..<pos + Int(n)])
    }
    /// A text line (protocol 0 arguments), without its newline.
    mutating func line() throws -> String {
        guard let end = bytes[pos...].firstIndex(of: 0x0A) else { throw error("unterminated line") }
        defer { pos = end + 1 }
        return String(decoding: bytes[pos..<end], as: UTF8.self)
    }
    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw error("stack underflow") }
        return v
    }
    /// The values above the topmost mark, which is removed.
    mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw error("no mark on the stack") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    mutating func push(_ v: PickleValue) throws {
        if v.depth > Unpickler.maxDepth { throw error("containers nested more than \(Unpickler.maxDepth) deep") }
        stack.append(v)
    }
    mutating func utf8(_ b: [UInt8]) throws -> String {
        guard let s = String(bytes: b, encoding: .utf8) else { throw error("a string that is not UTF-8") }
        return s
    }
    /// A signed little-endian integer of `b` (LONG1 / LONG4); more than 8 bytes must be sign extension.
    func long(_ b: [UInt8]) throws -> Int {
        guard !b.isEmpty else { return 0 }
        let negative = b.last! & 0x80 != 0
        if b.count > 8 {
            guard b[8...].allSatisfy({ $0 == (negative ? 0xFF : 0) }) else { throw error("an integer too large for 64 bits") }
        }
        var v: UInt64 = negative ? ~0 : 0
        for (k, x) in b.prefix(8).enumerated() {
            v &= ~(UInt64(0xFF) << (8 * UInt64(k)))
            v |= UInt64(x) << (8 * UInt64(k))
        }
        return Int(bitPattern: UInt(v))
    }
    /// The top of the stack, above the topmost mark: the list or dict `APPEND` / `SETITEM` add to.
    func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let v = stack.last else { throw error("stack underflow") }
        return v
    }
    mutating func append(_ items: [PickleValue], to target: PickleValue) throws {
        let d = 1 + (items.map(\.depth).max() ?? 0)
        if d > Unpickler.maxDepth { throw error("containers nested more than \(Unpickler.maxDepth) deep") }
        switch target {
        case .list(let l): l.value.append(contentsOf: items); l.depth = max(l.depth, d)
        default: throw error("APPEND to something that is not a list")
        }
    }
    func setItems(_ kv: [PickleValue], in target: PickleValue) throws {
        guard kv.count % 2 == 0 else { throw error("SETITEMS with an odd number of values") }
        guard case .dict(let d) = target else { throw error("SETITEM on something that is not a dict") }
        let depth = 1 + (kv.map(\.depth).max() ?? 0)
        if depth > Unpickler.maxDepth { throw error("containers nested more than \(Unpickler.maxDepth) deep") }
        d.depth = max(d.depth, depth)
        for k in stride(from: 0, to: kv.count, by: 2) {
            if let key = hashKey(kv[k]), let i = d.index[key] { d.value[i].1 = kv[k + 1]; continue }
            if let key = hashKey(kv[k]) { d.index[key] = d.value.count }
            d.value.append((kv[k], kv[k + 1]))
        }
    }
    /// A dict key's identity for ints and strings (Python's equal keys replace each other); nil for other keys.
    func hashKey(_ v: PickleValue) -> String? {
        switch v {
        case .int(let i): return "i\(i)"
        case .bool(let b): return "i\(b ? 1 : 0)"
        case .string(let s): return "s" + s
        case .bytes(let b): return "b" + b.map { String(format: "%02x", $0) }.joined()
        default: return nil
        }
    }

    mutating func run() throws -> PickleValue {
        while true {
            let at = pos
            let op = try byte()
            switch op {
            case 0x80:   // PROTO
                let p = try byte()
                if p > 5 { throw error("unsupported pickle protocol \(p)", at: at) }
            case 0x95: _ = try uint(8)   // FRAME
            case UInt8(ascii: "."):   // STOP
                guard let v = stack.last, marks.isEmpty, stack.count == 1 else { throw error("STOP with \(stack.count) values on the stack", at: at) }
                return v
            case UInt8(ascii: "("): marks.append(stack.count)
            case UInt8(ascii: "0"): _ = try pop()
            case UInt8(ascii: "1"): _ = try popMark()
            case UInt8(ascii: "2"):
                guard let v = stack.last else { throw error("DUP of an empty stack", at: at) }
                try push(v)
            case UInt8(ascii: "N"): try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case UInt8(ascii: "I"):
                let s = try line()
                if s == "01" { try push(.bool(true)) } else if s == "00" { try push(.bool(false)) }
                else if let v = Int(s) { try push(.int(v)) } else { throw error("INT \(s.prefix(30))", at: at) }
            case UInt8(ascii: "J"): try push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))
            case UInt8(ascii: "K"): try push(.int(Int(try uint(1))))
            case UInt8(ascii: "M"): try push(.int(Int(try uint(2))))
            case UInt8(ascii: "L"):
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                guard let v = Int(s) else { throw error("LONG \(s.prefix(30))", at: at) }
                try push(.int(v))
            case 0x8A: try push(.int(try long(take(try uint(1)))))
            case 0x8B:
                let n = try uint(4)
                if n > 1 << 20 { throw error("LONG4 of \(n) bytes", at: at) }
                try push(.int(try long(take(n))))
            case UInt8(ascii: "F"):
                let s = try line()
                guard let v = Double(s) else { throw error("FLOAT \(s.prefix(30))", at: at) }
                try push(.float(v))
            case UInt8(ascii: "G"): try push(.float(Double(bitPattern: try uint(8).byteSwapped)))
            case UInt8(ascii: "S"): try push(.bytes(try pythonStringLiteral(try line(), at: at)))
            case UInt8(ascii: "T"):
                let n = Int32(truncatingIfNeeded: try uint(4))
                if n < 0 { throw error("BINSTRING of negative length", at: at) }
                try push(.bytes(try take(UInt64(n))))
            case UInt8(ascii: "U"): try push(.bytes(try take(try uint(1))))
            case UInt8(ascii: "B"): try push(.bytes(try take(try uint(4))))
            case UInt8(ascii: "C"): try push(.bytes(try take(try uint(1))))
            case 0x8E, 0x96: try push(.bytes(try take(try uint(8))))   // BINBYTES8, BYTEARRAY8
            case UInt8(ascii: "V"): try push(.string(try line()))
            case UInt8(ascii: "X"): try push(.string(try utf8(try take(try uint(4)))))
            case 0x8C: try push(.string(try utf8(try take(try uint(1)))))
            case 0x8D: try push(.string(try utf8(try take(try uint(8)))))
            case UInt8(ascii: ")"): try push(.tuple([]))
            case UInt8(ascii: "t"): try push(.tuple(try popMark()))
            case 0x85, 0x86, 0x87:
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw error("stack underflow", at: at) }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                try push(.tuple(items))
            case UInt8(ascii: "]"), 0x8F: try push(.list(PickleBox([])))   // EMPTY_LIST, EMPTY_SET (read as a list)
            case UInt8(ascii: "l"), 0x91:   // LIST, FROZENSET (read as a list)
                let items = try popMark()
                let l = PickleValue.list(PickleBox([]))
                try append(items, to: l)
                try push(l)
            case UInt8(ascii: "a"):
                let v = try pop()
                try append([v], to: try top())
            case UInt8(ascii: "e"), 0x90:   // APPENDS, ADDITEMS
                let items = try popMark()
                try append(items, to: try top())
            case UInt8(ascii: "}"): try push(.dict(PickleBox([])))
            case UInt8(ascii: "d"):
                let kv = try popMark()
                let d = PickleValue.dict(PickleBox([]))
                try setItems(kv, in: d)
                try push(d)
            case UInt8(ascii: "s"):
                let v = try pop(), k = try pop()
                try setItems([k, v], in: try top())
            case UInt8(ascii: "u"):
                let kv = try popMark()
                try setItems(kv, in: try top())
            case UInt8(ascii: "g"):
                guard let i = Int(try line()), let v = memo[i] else { throw error("GET of an unknown memo entry", at: at) }
                try push(v)
            case UInt8(ascii: "h"), UInt8(ascii: "j"):
                let i = Int(try uint(op == UInt8(ascii: "h") ? 1 : 4))
                guard let v = memo[i] else { throw error("BINGET of unknown memo entry \(i)", at: at) }
                try push(v)
            case UInt8(ascii: "p"):
                guard let i = Int(try line()), let v = stack.last else { throw error("PUT without a value or index", at: at) }
                memo[i] = v
            case UInt8(ascii: "q"), UInt8(ascii: "r"):
                let i = Int(try uint(op == UInt8(ascii: "q") ? 1 : 4))
                guard let v = stack.last else { throw error("BINPUT of an empty stack", at: at) }
                memo[i] = v
            case 0x94:   // MEMOIZE
                guard let v = stack.last else { throw error("MEMOIZE of an empty stack", at: at) }
                memo[memo.count] = v
            case UInt8(ascii: "c"):
                let module = try line(), name = try line()
                try push(.global(module: module, name: name))
            case 0x93:   // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else { throw error("STACK_GLOBAL of non-strings", at: at) }
                try push(.global(module: m, name: n))
            case UInt8(ascii: "Q"):   // BINPERSID
                let pid = try pop()
                try push(.persistent(PickleBox(pid, depth: 1 + pid.depth)))
            case UInt8(ascii: "P"):   // PERSID (protocol 0: the id is a line of text)
                try push(.persistent(PickleBox(.string(try line()), depth: 1)))
            case UInt8(ascii: "R"):
                let args = try pop(), callable = try pop()
                try push(try reduce(callable, args, at: at))
            case 0x81:   // NEWOBJ
                let args = try pop(), cls = try pop()
                try push(.object(PickleBox((cls, args, nil), depth: 1 + max(cls.depth, args.depth))))
            case UInt8(ascii: "b"):
                let state = try pop()
                guard let target = stack.last else { throw error("BUILD without an object", at: at) }
                try build(target, state, at: at)
            default:
                throw error("unsupported opcode 0x\(String(op, radix: 16))", at: at)
            }
        }
    }

    /// `callable(*args)` for the callables data pickles use; anything else stays an opaque object.
    func reduce(_ callable: PickleValue, _ args: PickleValue, at: Int) throws -> PickleValue {
        guard case .tuple(let a) = args else { throw error("REDUCE with arguments that are not a tuple", at: at) }
        guard case .global(let module, let name) = callable else {
            return .object(PickleBox((callable, args, nil), depth: 1 + max(callable.depth, args.depth)))
        }
        if module == "collections" && (name == "OrderedDict" || name == "Counter") {
            // OrderedDict() then SETITEMS (and BUILD of its attributes): a dict; from a list of pairs too
            let d = PickleValue.dict(PickleBox([]))
            if case .dict(let src)? = a.first {
                try setItems(src.value.flatMap { [$0.0, $0.1] }, in: d)
            } else if let pairs = a.first?.items {
                for p in pairs {
                    guard let kv = p.items, kv.count == 2 else { throw error("\(name) of something other than key-value pairs", at: at) }
                    try setItems(kv, in: d)
                }
            }
            return d
        }
        let numpyCore = module == "numpy.core.multiarray" || module == "numpy._core.multiarray"
        switch (name, numpyCore || module == "numpy" || module == "numpy.core.numeric" || module == "numpy._core.numeric" || module == "_codecs") {
        case ("_reconstruct", true) where numpyCore:
            return .array(PickledArray())
        case ("dtype", true) where module == "numpy":
            guard let d = a.first?.string else { throw error("numpy.dtype without a type string", at: at) }
            return .dtype(PickleBox(d))
        case ("encode", true) where module == "_codecs":
            // Python 3's protocol-2 bytes: _codecs.encode(text, "latin1")
            guard a.count == 2, case .string(let s) = a[0], let enc = a[1].string, enc == "latin1" || enc == "latin-1" else {
                throw error("_codecs.encode other than latin1", at: at)
            }
            return .bytes(try latin1Bytes(s, "latin1 text", at: at))
        case ("_frombuffer", true) where module.hasSuffix("numeric"):
            // protocol 5: _frombuffer(buffer, dtype, shape, order)
            guard a.count == 4, case .bytes(let b) = a[0], case .dtype(let d) = a[1], let shape = a[2].items?.compactMap(\.int),
                  shape.count == a[2].items?.count, let order = a[3].string else {
                throw error("numpy _frombuffer with unexpected arguments", at: at)
            }
            let arr = PickledArray()
            arr.descr = d.value; arr.shape = shape; arr.fortranOrder = order == "F"; arr.bytes = b
            try check(arr, at: at)
            return .array(arr)
        default:
            return .object(PickleBox((callable, args, nil), depth: 1 + max(callable.depth, args.depth)))
        }
    }

    /// `BUILD`: an array's state `(version, shape, dtype, fortran, data)`, a dtype's `(3, byteorder, ...)`.
    func build(_ target: PickleValue, _ state: PickleValue, at: Int) throws {
        switch target {
        case .array(let arr):
            guard case .tuple(let s) = state, s.count == 5 || s.count == 4 else { throw error("an ndarray state that is not a 4- or 5-tuple", at: at) }
            let off = s.count - 4   // version first when there are five
            guard let dims = s[off].items, case .dtype(let d) = s[off + 1], let fortran = s[off + 2].int else {
                throw error("a malformed ndarray state", at: at)
            }
            let shape = dims.compactMap(\.int)
            guard shape.count == dims.count else { throw error("an ndarray shape that is not integers", at: at) }
            switch s[off + 3] {
            case .bytes(let b): arr.bytes = b
            case .string(let text): arr.bytes = try latin1Bytes(text, "array data", at: at)   // Python 2 data read as latin-1 text
            default: throw error("ndarray data that is not bytes (an object array?)", at: at)
            }
            arr.descr = d.value; arr.shape = shape; arr.fortranOrder = fortran != 0
            try check(arr, at: at)
        case .dtype(let d):
            if case .tuple(let s) = state, s.count >= 2, let order = s[1].string, order == "<" || order == ">" {
                if !d.value.hasPrefix("<") && !d.value.hasPrefix(">") { d.value = order + d.value }
            }
        case .object(let o): o.value.state = state
        case .dict: break   // an OrderedDict's attributes (a state dict's `_metadata`): not kept
        default: throw error("BUILD on a value that takes no state", at: at)
        }
    }

    /// The bytes of latin-1 `text` (each character one byte); `what` names it when a character is above U+00FF.
    func latin1Bytes(_ text: String, _ what: String, at: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for u in text.unicodeScalars {
            guard u.value < 256 else { throw error("\(what) with a character above U+00FF", at: at) }
            out.append(UInt8(u.value))
        }
        return out
    }

    /// The array's bytes must be exactly its shape times its item size.
    func check(_ arr: PickledArray, at: Int) throws {
        guard arr.shape.allSatisfy({ $0 >= 0 }) else { throw error("a negative ndarray dimension", at: at) }
        var n = 1
        for d in arr.shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            if o { throw error("an ndarray shape \(arr.shape) too large", at: at) }
            n = m
        }
        guard let size = PickledArray.dtype(arr.descr)?.itemSize else { return }   // `tensor()` refuses the type
        let (bytes, overflow) = n.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == arr.bytes.count else {
            throw error("an ndarray of shape \(arr.shape) and dtype \(arr.descr) with \(arr.bytes.count) bytes of data", at: at)
        }
    }

    /// Python 2's `repr` of a byte string (protocol 0 `STRING`): quoted, with backslash escapes.
    func pythonStringLiteral(_ s: String, at: Int) throws -> [UInt8] {
        let b = Array(s.utf8)
        guard b.count >= 2, let q = b.first, q == b.last, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") else {
            throw error("STRING that is not quoted", at: at)
        }
        var out: [UInt8] = [], i = 1
        while i < b.count - 1 {
            let c = b[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < b.count - 1 else { throw error("STRING ending in a backslash", at: at) }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "x"):
                guard i + 2 <= b.count - 1, let v = UInt8(String(decoding: b[i..<i + 2], as: UTF8.self), radix: 16) else {
                    throw error("STRING with a bad \\x escape", at: at)
                }
                out.append(v); i += 2
            default: out.append(e)
            }
        }
        return out
    }
}

extension PickledArray {
    /// The Descent dtype of a numpy type string, or nil.
    static func dtype(_ descr: String) -> DType? {
        var d = Substring(descr)
        if let f = d.first, "<|=".contains(f) { d = d.dropFirst() }
        switch d {
        case "u1", "B": return .uint8
        case "b1", "?": return .bool
        case "i4": return .int32
        case "i8": return .int64
        case "f4": return .float32
        case "f8": return .float64
        default: return nil
        }
    }

    /// The array as a tensor of its dtype and shape (big-endian and unsupported types throw).
    public func tensor(path: String) throws -> Tensor {
        guard let dt = PickledArray.dtype(descr) else {
            throw DatasetError.unreadable(path: path, reason: "a numpy array of dtype '\(descr)', which Descent does not read")
        }
        let t = Tensor.empty(fortranOrder ? shape.reversed() : shape, dtype: dt)
        Kernels.copyBytesFromHost(bytes, start: 0, into: t)
        return fortranOrder && shape.count > 1 ? t.permute(Array((0..<shape.count).reversed())).contiguous() : t
    }
}
