import Foundation

// Reading the files `torch.save` writes, so that weights trained in PyTorch (a `model.state_dict()`,
// torchvision's pretrained `.pth` files, a training checkpoint dict, an optimizer's state dict)
// load into Descent: `model.loadStateDict(try load(from: "model.pth"))`.
//
// Two layouts are read: the zip archive PyTorch writes since 1.6 (`<name>/data.pkl`, a pickle whose
// tensors refer by persistent id to the storages `<name>/data/<key>`), and the older "legacy" file
// (`_use_new_zipfile_serialization=False`: a magic-number pickle, a version, system info, the data
// pickle, the list of storage keys, then each storage as its element count and its bytes). The
// pickle is read by Descent's own reader, which runs no code: only the callables `torch.load(...,
// weights_only=True)` allows for plain data are understood (`_rebuild_tensor_v2`, `_rebuild_parameter`,
// `OrderedDict`, `torch.Size`, dtypes, devices). A file holding a pickled module object (`torch.save(model)`)
// throws, naming its class: save `model.state_dict()` instead. TorchScript archives (`torch.jit.save`)
// are refused. Half and bfloat16 tensors become float32, int8 and int16 become int32 (all exact), as
// for safetensors files.

/// What a `torch.save` file holds, with its tensors rebuilt.
indirect enum TorchValue {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case tensor(Tensor)
    case list([TorchValue])
    case dict([(String, TorchValue)])
    /// An object Descent does not rebuild (a class instance, a function): its class or callable name.
    case other(String)
}

/// Whether the file at `path` starts like a `torch.save` file (a zip archive or a legacy pickle).
func isTorchFile(_ src: ByteSource) -> Bool {
    guard src.byteCount >= 4, let head = try? src.bytes(at: 0, count: min(src.byteCount, 16)) else { return false }
    return ZipArchive.looksLikeZip(head) || head.starts(with: legacyTorchMagic)
}

/// A legacy `torch.save` file starts with the pickle of its magic number 0x1950a86a20f9469cfc6c:
/// PROTO 2, LONG1 of 10 bytes.
let legacyTorchMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

/// Reads a `torch.save` file (zip or legacy) into a `TorchValue`; anything malformed throws
/// `SerializationError.invalidTorchFile`.
func readTorchFile(_ src: ByteSource) throws -> TorchValue {
    let path = src.name
    func fail(_ why: String) -> Error { SerializationError.invalidTorchFile(path: path, reason: why) }
    // a storage's bytes, however they are stored
    var storages: (_ key: String, _ dtype: SafetensorsDType, _ numel: Int) throws -> [UInt8]
    let pickle: PickleValue
    let head = try src.bytes(at: 0, count: min(src.byteCount, 16))
    if ZipArchive.looksLikeZip(head) {
        let zip = try ZipArchive(src, fail: fail)
        if zip.entries.contains(where: { $0.name.hasSuffix("constants.pkl") }) {
            throw fail("it is a TorchScript archive (torch.jit.save); Descent reads torch.save files (save the model's state_dict())")
        }
        // the records are `<archive name>/data.pkl`, `<archive name>/data/<key>`...
        guard let pkl = zip.entries.first(where: { $0.name.hasSuffix("/data.pkl") && $0.name.dropLast(9).firstIndex(of: "/") == nil })
                ?? zip.entry("data.pkl") else {
            throw fail("a zip archive without data.pkl (not written by torch.save)")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let order = zip.entry(prefix + "byteorder") {
            let text = String(decoding: try zip.read(order), as: UTF8.self)
            if text != "little" { throw fail("its tensors are stored \(text)-endian; Descent reads little-endian files") }
        }
        pickle = try readPickle(try zip.read(pkl), path: path, from: 0).value
        storages = { key, dtype, numel in
            guard let e = zip.entry(prefix + "data/" + key) else { throw fail("no record data/\(key) for a tensor's storage") }
            let (bytes, overflow) = numel.multipliedReportingOverflow(by: dtype.bitSize / 8)
            guard !overflow, e.size == bytes else {
                throw fail("the storage data/\(key) has \(e.size) bytes, but \(numel) \(dtype.rawValue) elements need \(overflow ? "more" : String(bytes))")
            }
            return try zip.read(e)
        }
    } else if head.starts(with: legacyTorchMagic) {
        let all = try src.bytes(at: 0, count: src.byteCount)
        // the magic number's pickle (an 80-bit integer, compared as bytes), then the protocol version,
        // the system info and the data
        guard all.count > legacyTorchMagic.count, all[legacyTorchMagic.count] == UInt8(ascii: ".") else { throw fail("a bad magic number") }
        var at = legacyTorchMagic.count + 1
        var parts: [PickleValue] = []
        for _ in 0..<3 {
            let (v, end) = try readPickle(all, path: path, from: at)
            parts.append(v); at = end
        }
        guard case .int(1001) = parts[0] else { throw fail("a legacy torch.save file of an unknown protocol version") }
        pickle = parts[2]
        let (keysValue, dataStart) = try readPickle(all, path: path, from: at)
        guard let keys = keysValue.items?.compactMap(\.string), keys.count == keysValue.items?.count else {
            throw fail("a legacy file without its list of storage keys")
        }
        // each storage, in the order of the keys: its element count (8 bytes) and its bytes; the element
        // size comes from the storage type the pickle gives it, so the offsets are found on first use
        let itemSizes = try legacyStorageItemSizes(pickle, fail: fail)
        var offsets: [String: (at: Int, numel: Int, itemSize: Int)] = [:]
        var p = dataStart
        for k in keys {
            guard let size = itemSizes[k] else { throw fail("the storage key \(k) is not used by any tensor") }
            guard all.count - p >= 8 else { throw fail("the data of storage \(k) is cut short") }
            var n: UInt64 = 0
            for i in 0..<8 { n |= UInt64(all[p + i]) << (8 * UInt64(i)) }
            let (bytes, overflow) = Int(clamping: n).multipliedReportingOverflow(by: size)
            guard !overflow, n <= UInt64(Int.max), bytes <= all.count - p - 8 else { throw fail("the data of storage \(k) runs past the end of the file") }
            offsets[k] = (p + 8, Int(n), size)
            p += 8 + bytes
        }
        storages = { key, dtype, numel in
            guard let o = offsets[key] else { throw fail("no data for storage \(key)") }
            guard o.numel == numel else { throw fail("storage \(key) has \(o.numel) elements, but the pickle says \(numel)") }
            guard o.itemSize == dtype.bitSize / 8 else { throw fail("storage \(key) is named with two element types") }
            return Array(all[o.at..<(o.at + numel * dtype.bitSize / 8)])
        }
    } else {
        throw fail("neither a zip archive nor a legacy torch.save file")
    }
    var rebuilder = TorchRebuilder(storages: storages, fail: fail, byteBudget: 4 * src.byteCount + (64 << 20))
    return try rebuilder.value(pickle, depth: 0)
}

/// A pickle read with errors as `SerializationError`.
private func readPickle(_ bytes: [UInt8], path: String, from offset: Int) throws -> (value: PickleValue, end: Int) {
    do { return try unpickle(bytes, path: path, from: offset) } catch DatasetError.unreadable(_, let reason) {
        throw SerializationError.invalidTorchFile(path: path, reason: reason)
    }
}

/// The element size of each storage key that the legacy pickle's persistent ids name.
private func legacyStorageItemSizes(_ root: PickleValue, fail: (String) -> Error) throws -> [String: Int] {
    var out: [String: Int] = [:]
    var seen = Set<ObjectIdentifier>()
    var stack = [root]
    var visits = 0
    while let v = stack.popLast() {
        visits += 1
        if visits > 10_000_000 { throw fail("a pickle that shares values too many times") }
        switch v {
        case .persistent(let b):
            guard seen.insert(ObjectIdentifier(b)).inserted else { continue }
            if let t = b.value.items, t.count >= 3, case .global(_, let name) = t[1], let key = t[2].string,
               let dt = storageDType(name) {
                out[key] = dt.bitSize / 8
            }
        case .tuple(let t): stack.append(contentsOf: t)
        case .list(let b):
            guard seen.insert(ObjectIdentifier(b)).inserted else { continue }
            stack.append(contentsOf: b.value)
        case .dict(let b):
            guard seen.insert(ObjectIdentifier(b)).inserted else { continue }
            for (k, x) in b.value { stack.append(k); stack.append(x) }
        case .object(let b):
            guard seen.insert(ObjectIdentifier(b)).inserted else { continue }
            stack.append(b.value.args)
            if let s = b.value.state { stack.append(s) }
        default: break
        }
    }
    return out
}

/// The storage type names of `torch.save` (`torch.FloatStorage`, ...) as the dtypes of their elements.
private func storageDType(_ name: String) -> SafetensorsDType? {
    switch name {
    case "FloatStorage": return .F32
    case "DoubleStorage": return .F64
    case "HalfStorage": return .F16
    case "BFloat16Storage": return .BF16
    case "LongStorage": return .I64
    case "IntStorage": return .I32
    case "ShortStorage": return .I16
    case "CharStorage": return .I8
    case "ByteStorage", "UntypedStorage": return .U8
    case "BoolStorage": return .BOOL
    default: return nil
    }
}

/// A torch dtype global (`torch.float32`) as the dtype of its elements.
private func torchDType(_ name: String) -> SafetensorsDType? {
    switch name {
    case "float32", "float": return .F32
    case "float64", "double": return .F64
    case "float16", "half": return .F16
    case "bfloat16": return .BF16
    case "int64", "long": return .I64
    case "int32", "int": return .I32
    case "int16", "short": return .I16
    case "int8": return .I8
    case "uint8": return .U8
    case "bool": return .BOOL
    default: return nil
    }
}

/// Turns the pickle's values into `TorchValue`s, rebuilding tensors from their storages.
private struct TorchRebuilder {
    let storages: (String, SafetensorsDType, Int) throws -> [UInt8]
    let fail: (String) -> Error
    /// Bytes the rebuilt tensors may take in all (views of one storage are copies here; a stride-0
    /// view of a small storage could otherwise ask for any amount of memory).
    var byteBudget: Int
    var loaded: [String: (dtype: SafetensorsDType, bytes: [UInt8])] = [:]
    /// Values already converted, by the identity of their boxes (the memo shares them).
    var done: [ObjectIdentifier: TorchValue] = [:]
    var visits = 0

    init(storages: @escaping (String, SafetensorsDType, Int) throws -> [UInt8], fail: @escaping (String) -> Error, byteBudget: Int) {
        self.storages = storages; self.fail = fail; self.byteBudget = byteBudget
    }

    mutating func value(_ v: PickleValue, depth: Int) throws -> TorchValue {
        visits += 1
        if visits > 10_000_000 { throw fail("a pickle that shares values too many times") }
        // a container that holds itself, or nesting deeper than any checkpoint's
        if depth > 200 { throw fail("values nested more than 200 deep (or a container that contains itself)") }
        switch v {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .double(d)
        case .string, .bytes: return .string(v.string ?? "")
        case .tuple(let t): return .list(try t.map { try value($0, depth: depth + 1) })
        case .list(let b):
            if let d = done[ObjectIdentifier(b)] { return d }
            let r = TorchValue.list(try b.value.map { try value($0, depth: depth + 1) })
            done[ObjectIdentifier(b)] = r
            return r
        case .dict(let b):
            if let d = done[ObjectIdentifier(b)] { return d }
            let r = TorchValue.dict(try b.value.map { (k, x) in (try key(k), try value(x, depth: depth + 1)) })
            done[ObjectIdentifier(b)] = r
            return r
        case .global(let module, let name): return .other(module + "." + name)
        case .array: return .other("numpy.ndarray")
        case .dtype: return .other("numpy.dtype")
        case .persistent: throw fail("a storage outside a tensor")
        case .object(let b):
            if let d = done[ObjectIdentifier(b)] { return d }
            let r = try object(b.value.callable, b.value.args, depth: depth)
            done[ObjectIdentifier(b)] = r
            return r
        }
    }

    /// A dict key as text (optimizer states are keyed by parameter index).
    func key(_ k: PickleValue) throws -> String {
        switch k {
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .float(let d): return pythonNumber(d, integral: false)
        default:
            if let s = k.string { return s }
            throw fail("a dict key that is not a string or a number")
        }
    }

    mutating func object(_ callable: PickleValue, _ args: PickleValue, depth: Int) throws -> TorchValue {
        guard case .global(let module, let name) = callable else { return .other("an object") }
        let a = args.items ?? []
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor_v3"):
            guard a.count >= 4, case .persistent(let pid) = a[0] else { throw fail("\(name) without a storage") }
            var dtype: SafetensorsDType? = nil
            if name == "_rebuild_tensor_v3" {
                guard a.count >= 7, case .global(_, let d) = a[6], let dt = torchDType(d) else { throw fail("_rebuild_tensor_v3 without a dtype Descent reads") }
                dtype = dt
            }
            if name == "_rebuild_tensor_v2", a.count >= 7, case .dict(let meta) = a[6],
               meta.value.contains(where: { if case .bool(true) = $0.1 { return true }; return false }) {
                throw fail("a tensor with its conj or neg bit set")
            }
            return .tensor(try tensor(pid.value, offset: a[1], size: a[2], stride: a[3], dtype: dtype))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = a.first else { throw fail("\(name) without data") }
            return try value(data, depth: depth + 1)
        case ("torch._tensor", "_rebuild_from_type_v2"), ("torch.tensor", "_rebuild_from_type_v2"):
            // (func, type, args, state): a tensor subclass such as nn.Parameter; the tensor is func(*args)
            guard a.count >= 3 else { throw fail("_rebuild_from_type_v2 with \(a.count) arguments") }
            return try object(a[0], a[2], depth: depth)
        case ("torch", "Size"):
            return try a.first.map { try value($0, depth: depth + 1) } ?? .list([])
        case ("torch", "device"):
            return .string(a.compactMap { $0.string ?? $0.int.map(String.init) }.joined(separator: ":"))
        default:
            if module.hasPrefix("torch._utils") && name.hasPrefix("_rebuild") {
                throw fail("a tensor rebuilt by \(module).\(name) (sparse, quantized, nested or on another device), which Descent does not read")
            }
            return .other(module + "." + name)
        }
    }

    /// A tensor of `size` and `stride` at `offset` in the storage `pid` names, copied into its own memory.
    mutating func tensor(_ pid: PickleValue, offset: PickleValue, size: PickleValue, stride: PickleValue, dtype: SafetensorsDType?) throws -> Tensor {
        guard let t = pid.items, t.count >= 5, t[0].string == "storage", case .global(_, let typeName) = t[1],
              let key = t[2].string, let numel = t[4].int, numel >= 0 else {
            throw fail("a storage reference that is not ('storage', type, key, location, size)")
        }
        guard let storageType = storageDType(typeName) else { throw fail("a \(typeName), which Descent does not read") }
        let elementType = dtype ?? storageType
        if t.count >= 6, case .tuple = t[5] { throw fail("a legacy storage view, which Descent does not read") }
        let storage: (dtype: SafetensorsDType, bytes: [UInt8])
        if let s = loaded[key] {
            guard s.dtype == storageType else { throw fail("storage \(key) used as both \(s.dtype.rawValue) and \(storageType.rawValue)") }
            storage = s
        } else {
            storage = (storageType, try storages(key, storageType, numel))
            loaded[key] = storage
        }
        let item = elementType.bitSize / 8
        guard storage.bytes.count % item == 0 else { throw fail("storage \(key) of \(storage.bytes.count) bytes holds no whole number of \(elementType.rawValue)") }
        let storageCount = storage.bytes.count / item
        guard let shape = size.items?.compactMap(\.int), shape.count == size.items?.count, shape.allSatisfy({ $0 >= 0 }),
              let strides = stride.items?.compactMap(\.int), strides.count == shape.count, strides.allSatisfy({ $0 >= 0 }),
              let start = offset.int, start >= 0 else {
            throw fail("a tensor whose size, stride or offset is not non-negative integers")
        }
        var count = 1, last = start
        for (n, s) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: n)
            guard !o1 else { throw fail("a tensor of size \(shape), whose element count overflows") }
            count = c
            if n > 0 {
                let (span, o2) = (n - 1).multipliedReportingOverflow(by: s)
                let (l, o3) = last.addingReportingOverflow(span)
                guard !o2, !o3 else { throw fail("a tensor whose strides \(strides) overflow") }
                last = l
            }
        }
        if count > 0 && last >= storageCount {
            throw fail("a tensor of size \(shape), stride \(strides) and offset \(start) that reaches past its storage of \(storageCount) elements")
        }
        let (bytes, o4) = count.multipliedReportingOverflow(by: item)
        // counted as what is allocated: the copied elements and the tensor (widened to 4 bytes for narrower types)
        let (cost, o5) = count.multipliedReportingOverflow(by: item + max(item, 4))
        guard !o4, !o5, cost <= byteBudget else { throw fail("tensors (views of storages) that would take more than \(byteBudget) bytes in all") }
        byteBudget -= cost
        // the elements in row-major order
        var raw: [UInt8]
        var contiguous = true, expect = 1
        for (n, s) in zip(shape, strides).reversed() where n != 1 && count > 0 {
            if s != expect { contiguous = false; break }
            expect *= n   // at most count, which did not overflow
        }
        if count == 0 {
            raw = []
        } else if contiguous {
            raw = Array(storage.bytes[(start * item)..<((start + count) * item)])
        } else {
            raw = [UInt8](repeating: 0, count: bytes)
            var index = [Int](repeating: 0, count: shape.count)
            var src = start
            storage.bytes.withUnsafeBufferPointer { from in
                raw.withUnsafeMutableBufferPointer { to in
                    for e in 0..<count {
                        for b in 0..<item { to[e * item + b] = from[src * item + b] }
                        var d = shape.count - 1
                        while d >= 0 {
                            index[d] += 1; src += strides[d]
                            if index[d] < shape[d] { break }
                            src -= strides[d] * shape[d]; index[d] = 0; d -= 1
                        }
                    }
                }
            }
        }
        guard let descent = elementType.descentDType else { throw fail("a tensor of dtype \(elementType.rawValue), which Descent does not read") }
        let out = Tensor(uninitializedShape: shape, dtype: descent, device: .cpu)
        if count > 0 {
            if SafetensorsDType(descent) == elementType {
                Kernels.fillFromHost(out) { buf in
                    raw.withUnsafeBytes { buf.copyMemory(from: $0) }
                    if descent == .bool { for i in 0..<buf.count where buf[i] > 1 { buf[i] = 1 } }
                }
            } else {
                Kernels.fillFromHost(out) { widen(raw, elementType, count: count, into: $0) }
            }
        }
        return out
    }
}

// MARK: - Into Descent's values

extension TorchValue {
    /// A short description for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .double: return "a float"
        case .string: return "a string"
        case .tensor: return "a tensor"
        case .list: return "a list"
        case .dict: return "a dict"
        case .other(let name): return "a pickled \(name) object"
        }
    }

    /// The tensors and numbers under this value, flattened with dotted keys (`state.0.exp_avg`,
    /// `param_groups.0.betas.0`): tensors as they are, numbers and bools as 0-d tensors (int64, float64,
    /// bool), a list of ints as one int64 tensor (an optimizer group's `params`); strings, None and
    /// other objects are left out.
    func flatten(_ prefix: String, into sd: inout StateDict, path: String) throws {
        var budget = 1_000_000
        try flatten(prefix, into: &sd, budget: &budget, path: path)
    }
    /// (`budget` bounds the entries visited: shared lists make a small file a very wide tree.)
    private func flatten(_ prefix: String, into sd: inout StateDict, budget: inout Int, path: String) throws {
        budget -= 1
        if budget < 0 { throw SerializationError.invalidTorchFile(path: path, reason: "more than 1,000,000 entries (a list shared many times?)") }
        func name(_ k: String) -> String { prefix.isEmpty ? k : prefix + "." + k }
        switch self {
        case .tensor(let t): sd[prefix] = t
        case .int(let i): sd[prefix] = Tensor(flat: [Int64(i)], shape: [])
        case .double(let d): sd[prefix] = Tensor(d, dtype: .float64)
        case .bool(let b): sd[prefix] = Tensor(flat: [b], shape: [])
        case .list(let items):
            let ints = items.compactMap { if case .int(let i) = $0 { return Int64(i) }; return nil }
            if !items.isEmpty && ints.count == items.count {
                sd[prefix] = Tensor(flat: ints, shape: [ints.count])
            } else {
                for (i, x) in items.enumerated() { try x.flatten(name(String(i)), into: &sd, budget: &budget, path: path) }
            }
        case .dict(let pairs):
            for (k, x) in pairs { try x.flatten(name(k), into: &sd, budget: &budget, path: path) }
        case .none, .string, .other: break
        }
    }

    /// The file's top-level dict as a `Checkpoint`: tensors, numbers, strings and lists of them as they
    /// are, each nested dict or list as a `StateDict` (`flatten`).
    func checkpoint(path: String) throws -> Checkpoint {
        guard case .dict(let pairs) = self else {
            throw SerializationError.invalidTorchFile(path: path, reason: "it holds \(kind), not a dict\(hint)")
        }
        var ckpt = Checkpoint(path: path)
        for (k, v) in pairs {
            switch v {
            case .tensor(let t): ckpt[k] = t
            case .int(let i): ckpt[k] = i
            case .double(let d): ckpt[k] = d
            case .bool(let b): ckpt[k] = b
            case .string(let s): ckpt[k] = s
            case .none, .other: break
            case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .string = $0 { return true }; return false }):
                ckpt[k] = items.map { if case .string(let s) = $0 { return s }; return "" }
            case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .int = $0 { return true }; return false }):
                ckpt[k] = items.map { if case .int(let i) = $0 { return i }; return 0 }
            case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .double = $0 { return true }; if case .int = $0 { return true }; return false }):
                ckpt[k] = items.map { x -> Double in if case .double(let d) = x { return d }; if case .int(let i) = x { return Double(i) }; return 0 }
            case .list, .dict:
                var sd = StateDict()
                try v.flatten("", into: &sd, path: path)
                ckpt[k] = sd
            }
        }
        return ckpt
    }

    /// The file as one state dict (`flatten`); a dict at the top, or a single tensor under the key "".
    func stateDict(path: String) throws -> StateDict {
        guard case .dict = self else {
            throw SerializationError.invalidTorchFile(path: path, reason: "it holds \(kind), not a state dict\(hint)")
        }
        var sd = StateDict()
        try flatten("", into: &sd, path: path)
        return sd
    }

    private var hint: String {
        if case .other(let name) = self {
            return " (torch.save(model) pickles the \(name) class itself; save model.state_dict() instead)"
        }
        return ""
    }
}
