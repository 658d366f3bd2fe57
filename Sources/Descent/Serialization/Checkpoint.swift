import Foundation

// `torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict()}, path)` and
// `torch.load(path)`: a dictionary of state dicts, tensors, numbers and strings in one file.
//
// The file is a safetensors file (atomic write, the reader's checks): a state dict's tensors are
// stored as `<key>/<name>`, a tensor as `<key>`, and the `__metadata__` entry `descent.checkpoint`
// holds, as JSON, the entries in order with their kinds, their values (numbers, strings) and which
// stored tensor is which. `loadCheckpoint(from:)` also reads a plain safetensors file (each tensor
// an entry, as `torch.load` of a saved state dict gives) and a Trainer checkpoint.

/// A value that a `Checkpoint` holds under a key: a `StateDict`, a `Tensor`, an `Int`, a `Double`,
/// a `String`, a `Bool`, or an array of `Int`, `Double` or `String`.
public protocol CheckpointValue {}
extension StateDict: CheckpointValue {}
extension Tensor: CheckpointValue {}
extension Int: CheckpointValue {}
extension Double: CheckpointValue {}
extension String: CheckpointValue {}
extension Bool: CheckpointValue {}
extension Array: CheckpointValue where Element: CheckpointScalar {}

/// The element types of an array a `Checkpoint` can hold.
public protocol CheckpointScalar {}
extension Int: CheckpointScalar {}
extension Double: CheckpointScalar {}
extension String: CheckpointScalar {}

/// A dictionary of state dicts, tensors, numbers and strings in insertion order: what `torch.save`
/// of a dict writes and `torch.load` gives back.
///
/// ```swift
/// try save(["epoch": epoch, "model": model.stateDict(), "optimizer": optimizer.stateDict()], to: path)
/// let ckpt = try loadCheckpoint(from: path)
/// try model.loadStateDict(ckpt["model"]!)      // a StateDict where one is expected
/// let start = try ckpt.int("epoch") + 1
/// ```
public struct Checkpoint: Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public var keys: [String] { entries.keys }
    private var entries = InsertionOrdered<any CheckpointValue>()
    /// The file it was loaded from (named in errors), or `<checkpoint>`.
    public let path: String

    public init() { path = "<checkpoint>" }
    /// `["epoch": 3, "model": model.stateDict()]`, in the literal's order.
    public init(dictionaryLiteral elements: (String, any CheckpointValue)...) {
        path = "<checkpoint>"
        for (k, v) in elements { self[k] = v }
    }
    init(path: String) { self.path = path }

    /// The value under `key` (`nil` when there is none).
    public subscript(key: String) -> (any CheckpointValue)? {
        get { entries[key] }
        set { entries[key] = newValue }
    }
    /// The value under `key` as the type the context expects (`model.loadStateDict(ckpt["model"]!)`);
    /// `nil` when there is none or it has another type.
    public subscript<T: CheckpointValue>(key: String) -> T? { entries[key] as? T }

    public var count: Int { keys.count }
    public func makeIterator() -> AnyIterator<(String, any CheckpointValue)> { entries.makeIterator() }

    /// The value under `key`, which must be a `T`; throws `CheckpointError` naming the key otherwise.
    private func value<T>(_ key: String, _ what: String) throws -> T {
        guard let v = entries[key] else { throw CheckpointError.missingField(path: path, field: key) }
        guard let t = v as? T else {
            throw CheckpointError.invalidField(path: path, field: key, value: Checkpoint.kind(of: v), reason: "expected \(what)")
        }
        return t
    }
    /// The state dict under `key`; throws when it is missing or not a state dict.
    public func stateDict(_ key: String) throws -> StateDict { try value(key, "a state dict") }
    /// The tensor under `key`; throws when it is missing or not a tensor.
    public func tensor(_ key: String) throws -> Tensor { try value(key, "a tensor") }
    /// The string under `key`; throws when it is missing or not a string.
    public func string(_ key: String) throws -> String { try value(key, "a string") }
    /// The integer under `key` (an `Int`, or a one-element integer tensor); throws otherwise.
    public func int(_ key: String) throws -> Int {
        if let t = entries[key] as? Tensor, t.numel() == 1, !t.dtype.isFloatingPoint, t.dtype != .bool { return Int(t.item()) }
        return try value(key, "an integer")
    }
    /// The number under `key` (a `Double`, an `Int`, or a one-element tensor); throws otherwise.
    public func double(_ key: String) throws -> Double {
        if let i = entries[key] as? Int { return Double(i) }
        if let t = entries[key] as? Tensor, t.numel() == 1, t.dtype != .bool { return t.item() }
        return try value(key, "a number")
    }

    static func kind(of v: any CheckpointValue) -> String {
        switch v {
        case let t as Tensor: return "a tensor of shape \(t.shape)"
        case is StateDict: return "a state dict"
        case is Int: return "an integer"
        case is Double: return "a number"
        case is String: return "a string"
        case is Bool: return "a Bool"
        default: return "an array"
        }
    }

    /// `{'epoch': 3, 'model': <state dict: 6 tensors>, ...}`.
    public var description: String {
        func show(_ v: any CheckpointValue) -> String {
            switch v {
            case let s as String: return pythonRepr(s)
            case let b as Bool: return b ? "True" : "False"
            case let sd as StateDict: return "<state dict: \(sd.count) tensor\(sd.count == 1 ? "" : "s")>"
            case let a as [String]: return "[" + a.map(pythonRepr).joined(separator: ", ") + "]"
            default: return "\(v)"
            }
        }
        return "{" + keys.map { "\(pythonRepr($0)): \(show(entries[$0]!))" }.joined(separator: ", ") + "}"
    }
}

/// A Python string literal as `repr` writes a simple one: single quotes.
private func pythonRepr(_ s: String) -> String {
    s.contains("'") && !s.contains("\"") ? "\"\(s)\"" : "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// How an entry is described in the `descent.checkpoint` metadata.
private struct CheckpointEntry: Codable {
    var key: String
    var kind: String            // state_dict, tensor, int, double, string, bool, int_list, double_list, string_list
    var value: String? = nil    // int, double, bool as text (doubles round-trip, nan and inf included)
    var values: [String]? = nil // the lists
    var tensors: [[String]]? = nil // state_dict: [name in the dict, name in the file]; tensor: [[key, name in the file]]
}

/// The metadata entry that describes a saved `Checkpoint`'s entries (JSON).
let checkpointMetadataKey = "descent.checkpoint"
/// The metadata entry of a Trainer checkpoint that describes what the module's `onSaveCheckpoint` added.
let checkpointExtraMetadataKey = "checkpoint_extra"
/// The metadata entry of a Trainer checkpoint with the module's hyper-parameters, in order: a JSON list
/// of `[name, "number" or "string", value]`.
let hyperparametersMetadataKey = "hyper_parameters"
/// The metadata entry of a Trainer checkpoint with the module's state-dict keys in order (a JSON list).
let stateDictOrderMetadataKey = "state_dict_order"
/// The prefix of the tensors that a module's `onSaveCheckpoint` added to a Trainer checkpoint.
let checkpointExtraPrefix = "checkpoint_extra/"

extension StateDict {
    /// The same entries with the keys that `orderJSON` lists first, in its order (as saved).
    func inOrder(_ orderJSON: String?) -> StateDict {
        guard let text = orderJSON, let order = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return self }
        var out = StateDict()
        for k in order { if let t = self[k] { out[k] = t } }
        for (k, t) in self where out[k] == nil { out[k] = t }
        return out
    }
}

/// The hyper-parameters a Trainer checkpoint holds (nil when it holds none).
func checkpointHyperparameters(_ meta: [String: String], path: String) throws -> [(String, HParamValue)]? {
    guard let h = meta[hyperparametersMetadataKey] else { return nil }
    let bad = CheckpointError.invalidField(path: path, field: hyperparametersMetadataKey, value: String(h.prefix(40)),
                                           reason: "expected a JSON list of [name, kind, value]")
    guard let rows = try? JSONDecoder().decode([[String]].self, from: Data(h.utf8)) else { throw bad }
    return try rows.map { r in
        guard r.count == 3 else { throw bad }
        switch r[1] {
        case "number": guard let v = Double(r[2]) else { throw bad }; return (r[0], .number(v))
        case "string": return (r[0], .string(r[2]))
        default: throw bad
        }
    }
}
/// `hyperparametersMetadataKey`'s text for these values.
func hyperparametersMetadata(_ values: [(String, HParamValue)]) -> String {
    let rows = values.map { k, v -> [String] in
        switch v { case .number(let d): return [k, "number", String(d)]; case .string(let s): return [k, "string", s] }
    }
    return String(decoding: (try? JSONEncoder().encode(rows)) ?? Data("[]".utf8), as: UTF8.self)
}

/// Saves a dictionary of state dicts, tensors, numbers and strings in one file (`torch.save` of a
/// dict), atomically. `loadCheckpoint(from:)` reads it back; PyTorch's `safetensors.torch.load_file`
/// sees the tensors as `<key>/<name>`.
@_disfavoredOverload
public func save(_ checkpoint: Checkpoint, to path: String) throws {
    let (tensors, metadata) = try flatten(checkpoint)
    try save(tensors, to: path, metadata: metadata)
}

/// The tensors and the metadata of the safetensors file that stores `checkpoint`.
func flatten(_ checkpoint: Checkpoint) throws -> (StateDict, [String: String]) {
    var tensors = StateDict()
    var entries: [CheckpointEntry] = []
    func fileName(_ wanted: String) -> String {
        var name = wanted, i = 1
        while tensors[name] != nil || name == "__metadata__" { name = "\(wanted)#\(i)"; i += 1 }
        return name
    }
    for (key, v) in checkpoint {
        var e = CheckpointEntry(key: key, kind: "")
        switch v {
        case let sd as StateDict:
            e.kind = "state_dict"
            e.tensors = sd.map { (name, t) in
                let f = fileName(key + "/" + name)
                tensors[f] = t
                return [name, f]
            }
        case let t as Tensor:
            e.kind = "tensor"
            let f = fileName(key)
            tensors[f] = t
            e.tensors = [[key, f]]
        case let i as Int: e.kind = "int"; e.value = String(i)
        case let d as Double: e.kind = "double"; e.value = String(d)
        case let b as Bool: e.kind = "bool"; e.value = String(b)
        case let s as String: e.kind = "string"; e.value = s
        case let a as [Int]: e.kind = "int_list"; e.values = a.map { String($0) }
        case let a as [Double]: e.kind = "double_list"; e.values = a.map { String($0) }
        case let a as [String]: e.kind = "string_list"; e.values = a
        default: preconditionFailure("a checkpoint cannot hold \(type(of: v))")
        }
        entries.append(e)
    }
    let json = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
    return (tensors, ["format": "descent-dict", checkpointMetadataKey: json])
}

/// Loads what `save(_ checkpoint:to:)` wrote (`torch.load` of a saved dict), in its order. A plain
/// safetensors file gives one tensor entry per tensor, as `torch.load` of a saved state dict does; a
/// Trainer checkpoint gives `epoch`, `global_step` and the model's `state_dict`, as Lightning's do.
/// A file `torch.save` wrote gives its dict's entries: tensors, numbers, strings and lists of them as
/// they are, each nested dict or list (a state dict, an optimizer's state) as a `StateDict` with dotted
/// keys (`state.0.exp_avg`). A damaged file throws `SerializationError` or `CheckpointError`.
public func loadCheckpoint(from path: String) throws -> Checkpoint {
    let src = try FileSource(path: path)
    if isTorchFile(src) { return try readTorchFile(src).checkpoint(path: path) }
    let (sd, meta) = try loadSafetensorsFile(path)
    var ckpt = Checkpoint(path: path)
    if meta["format"] == Trainer.checkpointFormat { return try trainerCheckpoint(sd, meta, path: path) }
    guard let json = meta[checkpointMetadataKey] else {
        for (k, t) in sd { ckpt[k] = t }
        return ckpt
    }
    return try unflatten(sd, json: json, path: path)
}

/// A Trainer checkpoint as Lightning's dict: `epoch`, `global_step`, the model's `state_dict` and what
/// its `onSaveCheckpoint` added.
func trainerCheckpoint(_ sd: StateDict, _ meta: [String: String], path: String) throws -> Checkpoint {
    var ckpt = Checkpoint(path: path)
    ckpt["epoch"] = try CheckpointError.count(meta, "epoch", path: path)
    ckpt["global_step"] = try CheckpointError.count(meta, "global_step", path: path)
    let parts = splitCheckpoint(sd)
    ckpt["state_dict"] = parts.model.inOrder(meta[stateDictOrderMetadataKey])
    if let json = meta[checkpointExtraMetadataKey] {
        for (k, v) in try unflatten(parts.extra, json: json, path: path) { ckpt[k] = v }
    }
    return ckpt
}

/// The entries `flatten` stored: `json` describes them, `sd` holds their tensors.
func unflatten(_ sd: StateDict, json: String, path: String) throws -> Checkpoint {
    var ckpt = Checkpoint(path: path)
    func invalid(_ reason: String) -> CheckpointError {
        .invalidField(path: path, field: checkpointMetadataKey, value: String(json.prefix(40)) + (json.count > 40 ? "..." : ""), reason: reason)
    }
    guard let entries = try? JSONDecoder().decode([CheckpointEntry].self, from: Data(json.utf8)) else {
        throw invalid("expected a JSON array of entries")
    }
    var used = Set<String>()
    for e in entries {
        if ckpt[e.key] != nil { throw invalid("the key \(pythonRepr(e.key)) appears twice") }
        func text() throws -> String {
            guard let v = e.value else { throw invalid("\(pythonRepr(e.key)) has no value") }
            return v
        }
        func list<T>(_ parse: (String) -> T?) throws -> [T] {
            guard let vs = e.values else { throw invalid("\(pythonRepr(e.key)) has no values") }
            return try vs.map { guard let v = parse($0) else { throw invalid("\(pythonRepr(e.key)) holds \(pythonRepr($0))") }; return v }
        }
        func stored() throws -> [(String, Tensor)] {
            guard let pairs = e.tensors else { throw invalid("\(pythonRepr(e.key)) names no tensors") }
            return try pairs.map { p in
                guard p.count == 2, let t = sd[p[1]], used.insert(p[1]).inserted else {
                    throw invalid("\(pythonRepr(e.key)) names a tensor the file does not hold: \(p)")
                }
                return (p[0], t)
            }
        }
        switch e.kind {
        case "state_dict":
            let pairs = try stored()
            if Set(pairs.map(\.0)).count != pairs.count { throw invalid("\(pythonRepr(e.key)) names a tensor twice") }
            ckpt[e.key] = StateDict(pairs)
        case "tensor":
            let pairs = try stored()
            guard pairs.count == 1 else { throw invalid("\(pythonRepr(e.key)) names \(pairs.count) tensors") }
            ckpt[e.key] = pairs[0].1
        case "int": ckpt[e.key] = try Int(text()) ?? { throw invalid("\(pythonRepr(e.key)) is not an integer") }()
        case "double": ckpt[e.key] = try Double(text()) ?? { throw invalid("\(pythonRepr(e.key)) is not a number") }()
        case "bool": ckpt[e.key] = try Bool(text()) ?? { throw invalid("\(pythonRepr(e.key)) is not true or false") }()
        case "string": ckpt[e.key] = try text()
        case "int_list": ckpt[e.key] = try list { Int($0) }
        case "double_list": ckpt[e.key] = try list { Double($0) }
        case "string_list": ckpt[e.key] = try list { $0 }
        default: throw invalid("\(pythonRepr(e.key)) has the unknown kind \(pythonRepr(e.kind))")
        }
    }
    if used.count != sd.count, let extra = sd.keys.first(where: { !used.contains($0) }) {
        throw invalid("the file holds the tensor \(pythonRepr(extra)) that no entry names")
    }
    return ckpt
}

/// `let ckpt: Checkpoint = try load(from: path)`: `loadCheckpoint(from:)`.
@_disfavoredOverload
public func load(from path: String) throws -> Checkpoint { try loadCheckpoint(from: path) }
