import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), the format
// that PyTorch users read with `safetensors.torch.load_file` and write with `save_file`:
//
//     8 bytes      N, the header length, a little-endian UInt64
//     N bytes      a UTF-8 JSON object: {"name": {"dtype": "F32", "shape": [2, 3],
//                  "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}},
//                  padded with spaces to a multiple of 8 bytes
//     the rest     the tensors' bytes, little-endian, row-major, back to back; data_offsets are
//                  relative to the start of this buffer
//
// Writing follows the reference implementation byte for byte: tensors sorted by dtype alignment
// (largest first) then by name, compact JSON with `__metadata__` first, space padding. Reading
// applies the reference implementation's rules (header at most 100,000,000 bytes; entries, taken in
// offset order, must tile the data buffer exactly: no gap, no overlap, each entry's size equal to
// shape × dtype size, nothing after the last one) and checks everything before allocating a
// tensor, so a damaged or hostile file gives a `SerializationError`, never a crash or a huge
// allocation. Descent assumes a little-endian host, as do all the platforms Swift runs on.

// MARK: - Errors

/// Why a safetensors file could not be read or written. Every case names the file.
public enum SerializationError: Error, CustomStringConvertible, Equatable {
    /// The part of a file that ends too early.
    public enum Section: Equatable, Sendable {
        /// The first 8 bytes (the header length).
        case headerLength
        /// The JSON header.
        case header
        /// The tensor data; `tensor` is the first tensor whose bytes run past the end of the file.
        case data(tensor: String)
    }

    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but cannot be read (a directory, no permission, an I/O error).
    case unreadable(path: String, reason: String)
    /// Writing failed (folder missing or read-only, disk full, ...); any previous file at `path` is intact.
    case writeFailed(path: String, reason: String)
    /// The file ends before the part `section` that its first bytes or its header announce.
    case truncated(path: String, section: Section, expectedBytes: Int, actualBytes: Int)
    /// The header length in the first 8 bytes is larger than the 100,000,000-byte limit of the format.
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    /// The header is not valid UTF-8 JSON.
    case invalidHeader(path: String, reason: String)
    /// The header is valid JSON but not a JSON object.
    case headerNotObject(path: String)
    /// `__metadata__` is not an object whose values are all strings.
    case invalidMetadata(path: String)
    /// A tensor's entry in the header is not a JSON object.
    case entryNotObject(path: String, tensor: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A tensor's `dtype`, `shape` or `data_offsets` has the wrong JSON type or an invalid value.
    case invalidField(path: String, tensor: String, field: String, reason: String)
    /// A `dtype` that the safetensors format does not define.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A safetensors dtype that Descent cannot represent (e.g. `U64`, `F8_E4M3`, `C64`).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// `data_offsets` whose end is before their begin.
    case invalidOffsets(path: String, tensor: String, offsets: [Int])
    /// A tensor's bytes overlap the previous tensor's (in offset order).
    case overlappingOffsets(path: String, tensor: String, offsets: [Int], previous: String, previousEnd: Int)
    /// Unused bytes before a tensor: the offsets do not tile the data buffer.
    case gapInData(path: String, tensor: String, offsets: [Int], expectedBegin: Int)
    /// A tensor's byte count (end - begin) is not shape × dtype size.
    case sizeMismatch(path: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, offsets: [Int])
    /// shape × dtype size overflows.
    case sizeOverflow(path: String, tensor: String, shape: [Int])
    /// Bytes after the last tensor: the offsets do not cover the data buffer.
    case trailingBytes(path: String, dataBytes: Int, coveredBytes: Int)
    /// A state dict key that cannot be saved (`__metadata__` is reserved by the format).
    case invalidName(path: String, name: String, reason: String)
    /// A `torch.save` file (zip archive or legacy pickle) that is damaged or holds what Descent does not read.
    case invalidTorchFile(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .writeFailed(let p, _), .truncated(let p, _, _, _),
             .headerTooLarge(let p, _, _), .invalidHeader(let p, _), .headerNotObject(let p), .invalidMetadata(let p),
             .entryNotObject(let p, _), .missingField(let p, _, _), .invalidField(let p, _, _, _), .unknownDType(let p, _, _),
             .unsupportedDType(let p, _, _), .invalidOffsets(let p, _, _), .overlappingOffsets(let p, _, _, _, _),
             .gapInData(let p, _, _, _), .sizeMismatch(let p, _, _, _, _, _), .sizeOverflow(let p, _, _),
             .trailingBytes(let p, _, _), .invalidName(let p, _, _), .invalidTorchFile(let p, _):
            return p
        }
    }

    public var description: String {
        func offs(_ o: [Int]) -> String { "[" + o.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file"
        case .unreadable(let p, let r):
            return "\(p): cannot read the file: \(r)"
        case .writeFailed(let p, let r):
            return "\(p): cannot write the file: \(r) (any previous file at this path is unchanged)"
        case .truncated(let p, let s, let e, let a):
            switch s {
            case .headerLength:
                return "\(p): not a safetensors file or truncated: it has \(a) bytes, fewer than the 8-byte header length"
            case .header:
                return "\(p): truncated: the header length says the file has at least \(e) bytes, but it has \(a)\(zipHint(UInt64(e - 8)))"
            case .data(let t):
                return "\(p): truncated: the header's data_offsets need \(e) bytes, but the file has \(a) (tensor \"\(t)\" runs past the end of the file)"
            }
        case .headerTooLarge(let p, let n, let l):
            return "\(p): header length \(n) is larger than the safetensors limit of \(l) bytes: not a safetensors file or corrupted\(zipHint(n))"
        case .invalidHeader(let p, let r):
            return "\(p): the header is not valid JSON (\(r)): wrong header length or corrupted file"
        case .headerNotObject(let p):
            return "\(p): the header is JSON but not an object of tensor entries"
        case .invalidMetadata(let p):
            return "\(p): \"__metadata__\" in the header must be an object of string values"
        case .entryNotObject(let p, let t):
            return "\(p): the header entry of tensor \"\(t)\" is not an object with dtype, shape and data_offsets"
        case .missingField(let p, let t, let f):
            return "\(p): the header entry of tensor \"\(t)\" has no \"\(f)\""
        case .invalidField(let p, let t, let f, let r):
            return "\(p): the \"\(f)\" of tensor \"\(t)\" \(r)"
        case .unknownDType(let p, let t, let d):
            return "\(p): tensor \"\(t)\" has unknown dtype \"\(d)\" (safetensors dtypes: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unsupportedDType(let p, let t, let d):
            return "\(p): tensor \"\(t)\" has dtype \(d), which Descent does not support (it reads F64, F32, F16, BF16, I64, I32, I16, I8, U32, U16, U8, BOOL)"
        case .invalidOffsets(let p, let t, let o):
            return "\(p): tensor \"\(t)\" has data_offsets \(offs(o)) whose end is before their begin"
        case .overlappingOffsets(let p, let t, let o, let prev, let pe):
            return "\(p): tensor \"\(t)\" has data_offsets \(offs(o)) overlapping tensor \"\(prev)\", which ends at \(pe)"
        case .gapInData(let p, let t, let o, let e):
            return "\(p): tensor \"\(t)\" has data_offsets \(offs(o)), leaving \(o[0] - e) unused bytes after offset \(e): the offsets must tile the data buffer"
        case .sizeMismatch(let p, let t, let d, let s, let e, let o):
            return "\(p): tensor \"\(t)\" (\(d), shape \(shapeString(s))) needs \(e) bytes, but its data_offsets \(offs(o)) span \(o[1] - o[0])"
        case .sizeOverflow(let p, let t, let s):
            return "\(p): tensor \"\(t)\" has shape \(shapeString(s)), whose size overflows"
        case .trailingBytes(let p, let d, let c):
            return "\(p): the data buffer has \(d) bytes but the tensors' data_offsets cover only \(c): the offsets must cover the whole buffer"
        case .invalidName(let p, let n, let r):
            return "\(p): cannot save tensor \"\(n)\": \(r)"
        case .invalidTorchFile(let p, let r):
            return "\(p): cannot read this torch.save file: \(r)"
        }
    }
}

/// A hint for files that start with a zip signature, as `torch.save` checkpoints do.
private func zipHint(_ headerLength: UInt64) -> String {
    headerLength & 0xFFFF_FFFF == 0x0403_4B50 ? " (it starts like a zip archive: a torch.save checkpoint, not safetensors?)" : ""
}

// MARK: - Public API

/// Saves `stateDict` as a safetensors file that PyTorch reads with `safetensors.torch.load_file`
/// (and `model.load_state_dict`). `metadata` goes to the header's `__metadata__`.
///
/// The write is atomic: the file is written to a temporary file in the same folder, flushed to
/// disk, then renamed over `path`, so `path` holds either the previous file or the complete new one.
/// Tensors are stored in the safetensors library's order (by dtype, largest first, then by name),
/// contiguous and in their own dtype.
public func save(_ stateDict: StateDict, to path: String, metadata: [String: String] = [:]) throws {
    let plan = try SafetensorsPlan(stateDict, metadata: metadata, path: path)
    try writeAtomically(plan, to: path)
}

/// Loads a safetensors file (written by Descent, `safetensors.torch.save_file`, or any other
/// safetensors writer) as a state dict, with its tensors in the order of their data in the file.
/// A file `torch.save` wrote (`torch.save(model.state_dict(), "model.pth")`, zip or legacy format) is
/// read too: its tensors in the pickle's order, nested dicts flattened with dotted keys.
///
/// F32, F64, I64, I32, U8 and BOOL tensors keep their dtype; F16 and BF16 become float32, I8, I16 and
/// U16 become int32, and U32 becomes int64 (all exact). Anything malformed throws a `SerializationError`.
public func load(from path: String) throws -> StateDict {
    let src = try FileSource(path: path)
    if isTorchFile(src) { return try readTorchFile(src).stateDict(path: path) }
    return try readSafetensors(src).stateDict
}

/// `load(from:)` for the bytes of a safetensors file in memory; `name` is used in error messages.
public func loadSafetensors(data: Data, name: String = "<data>") throws -> StateDict {
    try readSafetensors(DataSource(data: data, name: name)).stateDict
}

/// The `__metadata__` of a safetensors file (empty when it has none). The whole header is validated;
/// the tensor data is not read.
public func safetensorsMetadata(from path: String) throws -> [String: String] {
    let src = try FileSource(path: path)
    return try parseSafetensorsHeader(src).metadata
}

/// The bytes `save(_:to:metadata:)` would write, in memory.
public func serializeSafetensors(_ stateDict: StateDict, metadata: [String: String] = [:]) throws -> Data {
    let plan = try SafetensorsPlan(stateDict, metadata: metadata, path: "<data>")
    var out = Data(capacity: plan.totalBytes)
    out.append(contentsOf: plan.prefix)
    for t in plan.tensors where t.count > 0 {
        Kernels.withHostBytes(t) { out.append(contentsOf: $0) }
    }
    return out
}

extension Module {
    /// Saves `stateDict()` as a safetensors file (atomically; see `save(_:to:metadata:)`).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try Descent.save(stateDict(), to: path, metadata: metadata)
    }
    /// Loads a safetensors file into this module's parameters and buffers (`loadStateDict`): with
    /// `strict`, missing or unexpected keys throw `StateDictError.loadFailed`; shapes must match.
    /// Returns the keys that did not match.
    @discardableResult
    public func load(from path: String, strict: Bool = true) throws -> IncompatibleKeys {
        try loadStateDict(Descent.load(from: path), strict: strict)
    }
}

extension Optimizer {
    /// Saves the optimizer's `stateDict()` (per-parameter state and hyper-parameters) as a safetensors file, for resuming.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try Descent.save(stateDict(), to: path, metadata: metadata)
    }
    /// Restores state saved by `save(to:)` (the same parameters in the same order).
    public func load(from path: String) throws {
        try loadStateDict(Descent.load(from: path))
    }
}

// MARK: - Dtypes

/// The dtypes of the safetensors format, in the reference implementation's order (by alignment),
/// which decides the order tensors are written in.
enum SafetensorsDType: String, CaseIterable {
    case BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ,
         I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64

    var rank: Int { Self.allCases.firstIndex(of: self)! }

    var bitSize: Int {
        switch self {
        case .F4: return 4
        case .F6_E2M3, .F6_E3M2: return 6
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ: return 8
        case .I16, .U16, .F16, .BF16: return 16
        case .I32, .U32, .F32: return 32
        case .C64, .F64, .I64, .U64: return 64
        }
    }

    init(_ d: DType) {
        switch d {
        case .float32: self = .F32
        case .float64: self = .F64
        case .int64: self = .I64
        case .int32: self = .I32
        case .uint8: self = .U8
        case .bool: self = .BOOL
        }
    }

    /// The Descent dtype a tensor of this dtype loads as (nil: not supported).
    var descentDType: DType? {
        switch self {
        case .F32, .F16, .BF16: return .float32
        case .F64: return .float64
        case .I64, .U32: return .int64
        case .I32, .I16, .I8, .U16: return .int32
        case .U8: return .uint8
        case .BOOL: return .bool
        default: return nil
        }
    }
}

// MARK: - Writing

private let maxHeaderBytes = 100_000_000

/// What to write: the 8-byte length + padded header, then the tensors' bytes in order.
private struct SafetensorsPlan {
    var prefix: [UInt8]
    var tensors: [Tensor]
    var totalBytes: Int

    init(_ stateDict: StateDict, metadata: [String: String], path: String) throws {
        var entries: [(name: String, tensor: Tensor, dtype: SafetensorsDType)] = []
        for (name, t) in stateDict {
            if name == "__metadata__" {
                throw SerializationError.invalidName(path: path, name: name, reason: "the name is reserved for the header's metadata")
            }
            let c = noGrad { t.detach().contiguous() }
            entries.append((name, c, SafetensorsDType(c.dtype)))
        }
        // The reference writer's order: larger dtype alignment first, then by name (byte order).
        entries.sort { a, b in
            a.dtype.rank != b.dtype.rank ? a.dtype.rank > b.dtype.rank : Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
        }
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for e in entries {
            let n = e.tensor.count * e.tensor.dtype.itemSize
            if !first { json += "," }
            first = false
            json += jsonString(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":["
                + e.tensor.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(offset + n)]}"
            offset += n
        }
        json += "}"
        var header = Array(json.utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        if header.count > maxHeaderBytes {
            throw SerializationError.headerTooLarge(path: path, length: UInt64(header.count), limit: maxHeaderBytes)
        }
        var n = UInt64(header.count).littleEndian
        prefix = withUnsafeBytes(of: &n) { Array($0) } + header
        tensors = entries.map(\.tensor)
        totalBytes = prefix.count + offset
    }
}

/// A JSON string literal, escaped as serde_json (the reference writer) escapes it.
private func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

private func errnoString(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

/// Writes `plan` to a temporary file next to `path`, syncs it, and renames it over `path`.
private func writeAtomically(_ plan: SafetensorsPlan, to path: String) throws {
    try writeFileAtomically(path) { writeAll in
        try plan.prefix.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
        for t in plan.tensors where t.count > 0 { try Kernels.withHostBytes(t) { try writeAll($0.baseAddress!, $0.count) } }
    }
}

/// Removes the temporary files that interrupted atomic writes left in `dir` (`.<name>.tmp-<UUID>`, as
/// `writeFileAtomically` names them) and that no live writer holds locked. Best effort: what cannot be
/// removed stays. Other files are never touched.
func removeStaleTemporaryFiles(in dir: String) {
    let folder = dir.isEmpty ? "." : dir
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for name in names where isAtomicWriteTemporaryName(name) {
        let path = folder + "/" + name
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 { continue }
        defer { _ = close(fd) }
        var st = stat(), now = stat()
        // a writer holds its file locked until it renames it; the lock is released when a process dies
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              lstat(path, &now) == 0, now.st_ino == st.st_ino, now.st_dev == st.st_dev else { continue }
        _ = unlink(path)
    }
}

/// Whether `name` is `.<something>.tmp-<UUID>`.
func isAtomicWriteTemporaryName(_ name: String) -> Bool {
    guard name.hasPrefix("."), let r = name.range(of: ".tmp-", options: .backwards), r.lowerBound > name.index(after: name.startIndex) else { return false }
    return UUID(uuidString: String(name[r.upperBound...])) != nil
}

/// Writes `data` to `path` atomically (temporary file in the same folder, fsync, rename).
func writeFileAtomically(_ path: String, data: Data) throws {
    try writeFileAtomically(path) { writeAll in
        try data.withUnsafeBytes { if $0.count > 0 { try writeAll($0.baseAddress!, $0.count) } }
    }
}

/// Creates a temporary file next to `path`, lets `body` write it through `writeAll`, syncs it and
/// renames it over `path`, so `path` holds either its previous content or the complete new one.
/// Failures throw `SerializationError.writeFailed`; the temporary file is removed.
func writeFileAtomically(_ path: String, _ body: ((UnsafeRawPointer, Int) throws -> Void) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    var tmp = "", fd: Int32 = -1
    // The temporary file stays locked (flock) until it is renamed, so that `removeStaleTemporaryFiles`
    // tells a live write from one a killed process left behind. A cleaner may take the file between its
    // creation and the lock: then it is unlinked by the time the lock is ours, and a new name is tried.
    for _ in 0..<8 {
        tmp = (dir.hasSuffix("/") ? dir : dir + "/") + "." + url.lastPathComponent + ".tmp-" + UUID().uuidString
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 {
            throw SerializationError.writeFailed(path: path, reason: "cannot create a temporary file in \(dir): \(errnoString())")
        }
        var st = stat()
        if flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0 { break }
        _ = close(fd); _ = unlink(tmp); fd = -1
    }
    if fd < 0 { throw SerializationError.writeFailed(path: path, reason: "cannot lock a temporary file in \(dir)") }
    var closed = false
    var renamed = false
    var lockHolder: Int32 = -1   // a duplicate of fd that keeps the lock between close(fd) and rename
    defer {
        if !closed { _ = close(fd) }
        if !renamed { _ = unlink(tmp) }
        if lockHolder >= 0 { _ = close(lockHolder) }
    }
    func writeAll(_ p: UnsafeRawPointer, _ count: Int) throws {
        var done = 0
        while done < count {
            let r = write(fd, p + done, count - done)
            if r < 0 {
                if errno == EINTR { continue }
                throw SerializationError.writeFailed(path: path, reason: errnoString())
            }
            done += r
        }
    }
    try body(writeAll)
    if fsync(fd) != 0 { throw SerializationError.writeFailed(path: path, reason: "fsync: \(errnoString())") }
    lockHolder = dup(fd)
    closed = true
    if close(fd) != 0 { throw SerializationError.writeFailed(path: path, reason: "close: \(errnoString())") }
    if rename(tmp, path) != 0 { throw SerializationError.writeFailed(path: path, reason: errnoString()) }
    renamed = true
    // Make the rename itself durable (best effort: some file systems refuse fsync on folders).
    let dfd = open(dir, O_RDONLY | O_CLOEXEC)
    if dfd >= 0 { _ = fsync(dfd); _ = close(dfd) }
}

// MARK: - Reading

/// Random access to the bytes of a file or of a `Data`.
protocol ByteSource {
    var name: String { get }
    var byteCount: Int { get }
    /// Copies `count` bytes at `offset` (within `byteCount`) into `dst`.
    func read(into dst: UnsafeMutableRawPointer, at offset: Int, count: Int) throws
}

extension ByteSource {
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { try out.withUnsafeMutableBytes { try read(into: $0.baseAddress!, at: offset, count: count) } }
        return out
    }
}

struct DataSource: ByteSource {
    let data: Data
    let name: String
    var byteCount: Int { data.count }
    func read(into dst: UnsafeMutableRawPointer, at offset: Int, count: Int) throws {
        let start = data.startIndex + offset
        data.copyBytes(to: dst.assumingMemoryBound(to: UInt8.self), from: start..<(start + count))
    }
}

final class FileSource: ByteSource {
    let fd: Int32
    let name: String
    let byteCount: Int

    init(path: String) throws {
        name = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw SerializationError.fileNotFound(path: path) }
            throw SerializationError.unreadable(path: path, reason: errnoString(e))
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            _ = close(fd)
            throw SerializationError.unreadable(path: path, reason: errnoString(e))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            _ = close(fd)
            throw SerializationError.unreadable(path: path, reason: "it is a directory")
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            _ = close(fd)
            throw SerializationError.unreadable(path: path, reason: "not a regular file")
        }
        self.fd = fd
        byteCount = Int(st.st_size)
    }
    deinit { _ = close(fd) }

    func read(into dst: UnsafeMutableRawPointer, at offset: Int, count: Int) throws {
        var done = 0
        while done < count {
            let r = pread(fd, dst + done, count - done, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw SerializationError.unreadable(path: name, reason: errnoString())
            }
            if r == 0 { throw SerializationError.unreadable(path: name, reason: "the file shrank while it was being read") }
            done += r
        }
    }
}

private struct HeaderEntry {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let begin: Int
    let end: Int
}

private struct ParsedHeader {
    var entries: [HeaderEntry]    // in offset order, validated
    var metadata: [String: String]
    var dataStart: Int
}

/// A problem found while decoding the header JSON, turned into a `SerializationError` by the caller
/// (which knows the file name).
private enum HeaderProblem: Error {
    case notObject
    case badMetadata
    case entryNotObject(String)
    case missing(String, String)
    case invalid(String, String, String)
    case unknownDType(String, String)
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The header JSON, decoded with `JSONDecoder` into entries (in no particular order) and metadata.
private struct RawHeader: Decodable {
    var entries: [HeaderEntry] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let c: KeyedDecodingContainer<AnyKey>
        do { c = try decoder.container(keyedBy: AnyKey.self) } catch { throw HeaderProblem.notObject }
        for key in c.allKeys {
            let name = key.stringValue
            if name == "__metadata__" {
                do { metadata = try c.decode([String: String].self, forKey: key) } catch { throw HeaderProblem.badMetadata }
                continue
            }
            let e: KeyedDecodingContainer<AnyKey>
            do { e = try c.nestedContainer(keyedBy: AnyKey.self, forKey: key) } catch { throw HeaderProblem.entryNotObject(name) }
            func field<T: Decodable>(_ f: String, _ type: T.Type, _ expected: String) throws -> T {
                let k = AnyKey(stringValue: f)
                guard e.contains(k) else { throw HeaderProblem.missing(name, f) }
                do { return try e.decode(T.self, forKey: k) } catch { throw HeaderProblem.invalid(name, f, "must be \(expected)") }
            }
            let dtypeName = try field("dtype", String.self, "a string such as \"F32\"")
            let shape = try field("shape", [Int].self, "a list of non-negative integers")
            let offsets = try field("data_offsets", [Int].self, "a list of two non-negative integers [begin, end]")
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw HeaderProblem.unknownDType(name, dtypeName) }
            if shape.contains(where: { $0 < 0 }) {
                throw HeaderProblem.invalid(name, "shape", "must be a list of non-negative integers, got \(shapeString(shape))")
            }
            if offsets.count != 2 || offsets.contains(where: { $0 < 0 }) {
                throw HeaderProblem.invalid(name, "data_offsets", "must be a list of two non-negative integers [begin, end], got \(shapeString(offsets))")
            }
            entries.append(HeaderEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
    }
}

/// Reads and validates the header of `src` (not the tensor data).
private func parseSafetensorsHeader(_ src: ByteSource) throws -> ParsedHeader {
    let path = src.name
    let size = src.byteCount
    if size < 8 { throw SerializationError.truncated(path: path, section: .headerLength, expectedBytes: 8, actualBytes: size) }
    let lengthBytes = try src.bytes(at: 0, count: 8)
    let n = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    if n > UInt64(maxHeaderBytes) { throw SerializationError.headerTooLarge(path: path, length: n, limit: maxHeaderBytes) }
    let headerLength = Int(n)
    if 8 + headerLength > size {
        throw SerializationError.truncated(path: path, section: .header, expectedBytes: 8 + headerLength, actualBytes: size)
    }
    let headerBytes = try src.bytes(at: 8, count: headerLength)
    guard String(bytes: headerBytes, encoding: .utf8) != nil else {
        throw SerializationError.invalidHeader(path: path, reason: "not UTF-8")
    }
    let raw: RawHeader
    do {
        raw = try JSONDecoder().decode(RawHeader.self, from: Data(headerBytes))
    } catch let p as HeaderProblem {
        switch p {
        case .notObject: throw SerializationError.headerNotObject(path: path)
        case .badMetadata: throw SerializationError.invalidMetadata(path: path)
        case .entryNotObject(let t): throw SerializationError.entryNotObject(path: path, tensor: t)
        case .missing(let t, let f): throw SerializationError.missingField(path: path, tensor: t, field: f)
        case .invalid(let t, let f, let r): throw SerializationError.invalidField(path: path, tensor: t, field: f, reason: r)
        case .unknownDType(let t, let d): throw SerializationError.unknownDType(path: path, tensor: t, dtype: d)
        }
    } catch {
        throw SerializationError.invalidHeader(path: path, reason: "malformed JSON")
    }

    // Offset order, as the reference reader uses; ties (empty tensors) in the writer's order.
    let entries = raw.entries.sorted { a, b in
        if a.begin != b.begin { return a.begin < b.begin }
        if a.end != b.end { return a.end < b.end }
        if a.dtype.rank != b.dtype.rank { return a.dtype.rank > b.dtype.rank }
        return Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
    }
    var covered = 0
    var previous = ""
    for e in entries {
        let offsets = [e.begin, e.end]
        if e.end < e.begin { throw SerializationError.invalidOffsets(path: path, tensor: e.name, offsets: offsets) }
        if e.begin < covered {
            throw SerializationError.overlappingOffsets(path: path, tensor: e.name, offsets: offsets, previous: previous, previousEnd: covered)
        }
        if e.begin > covered { throw SerializationError.gapInData(path: path, tensor: e.name, offsets: offsets, expectedBegin: covered) }
        var bits = e.dtype.bitSize
        for s in e.shape {
            let (m, o) = bits.multipliedReportingOverflow(by: s)
            if o { throw SerializationError.sizeOverflow(path: path, tensor: e.name, shape: e.shape) }
            bits = m
        }
        let bytes = bits / 8
        if bits % 8 != 0 || e.end - e.begin != bytes {
            throw SerializationError.sizeMismatch(path: path, tensor: e.name, dtype: e.dtype.rawValue, shape: e.shape,
                                                  expectedBytes: (bits + 7) / 8, offsets: offsets)
        }
        covered = e.end
        previous = e.name
    }
    let dataStart = 8 + headerLength
    let dataBytes = size - dataStart
    if covered > dataBytes {
        let first = entries.first { $0.end > dataBytes }!
        let (needed, o) = dataStart.addingReportingOverflow(covered)
        throw SerializationError.truncated(path: path, section: .data(tensor: first.name), expectedBytes: o ? Int.max : needed, actualBytes: size)
    }
    if covered < dataBytes { throw SerializationError.trailingBytes(path: path, dataBytes: dataBytes, coveredBytes: covered) }
    return ParsedHeader(entries: entries, metadata: raw.metadata, dataStart: dataStart)
}

func loadSafetensorsFile(_ path: String) throws -> (stateDict: StateDict, metadata: [String: String]) {
    try readSafetensors(FileSource(path: path))
}

/// Validates the whole header, then reads each tensor's bytes straight into a new tensor.
func readSafetensors(_ src: ByteSource) throws -> (stateDict: StateDict, metadata: [String: String]) {
    let header = try parseSafetensorsHeader(src)
    for e in header.entries where e.dtype.descentDType == nil {
        throw SerializationError.unsupportedDType(path: src.name, tensor: e.name, dtype: e.dtype.rawValue)
    }
    var d = StateDict()
    for e in header.entries {
        let dtype = e.dtype.descentDType!
        let t = Tensor(uninitializedShape: e.shape, dtype: dtype, device: .cpu)
        let n = e.end - e.begin
        let at = header.dataStart + e.begin
        if n > 0 {
            if SafetensorsDType(dtype) == e.dtype {
                try Kernels.fillFromHost(t) { buf in
                    try src.read(into: buf.baseAddress!, at: at, count: n)
                    if dtype == .bool {   // any nonzero byte is true; store it as 1
                        for i in 0..<buf.count where buf[i] > 1 { buf[i] = 1 }
                    }
                }
            } else {
                let raw = try src.bytes(at: at, count: n)
                widen(raw, e.dtype, into: t)
            }
        }
        d[e.name] = t
    }
    return (d, header.metadata)
}

/// Converts little-endian values of a narrower safetensors dtype into `t` (float32, int32 or int64).
private func widen(_ raw: [UInt8], _ dtype: SafetensorsDType, into t: Tensor) {
    Kernels.fillFromHost(t) { widen(raw, dtype, count: t.count, into: $0) }
}
func widen(_ raw: [UInt8], _ dtype: SafetensorsDType, count: Int, into buf: UnsafeMutableRawBufferPointer) {
    func u16(_ i: Int) -> UInt16 { UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8 }
    switch dtype {
    case .F16:
        let p = buf.bindMemory(to: Float.self)
        for i in 0..<count { p[i] = halfToFloat(u16(i)) }
    case .BF16:
        let p = buf.bindMemory(to: Float.self)
        for i in 0..<count { p[i] = Float(bitPattern: UInt32(u16(i)) << 16) }
    case .I8:
        let p = buf.bindMemory(to: Int32.self)
        for i in 0..<count { p[i] = Int32(Int8(bitPattern: raw[i])) }
    case .I16:
        let p = buf.bindMemory(to: Int32.self)
        for i in 0..<count { p[i] = Int32(Int16(bitPattern: u16(i))) }
    case .U16:
        let p = buf.bindMemory(to: Int32.self)
        for i in 0..<count { p[i] = Int32(u16(i)) }
    case .U32:
        let p = buf.bindMemory(to: Int64.self)
        for i in 0..<count {
            let v = UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24
            p[i] = Int64(v)
        }
    default:
        fail("internal error: no conversion from safetensors \(dtype.rawValue)")
    }
}

/// IEEE half-precision bits to Float (exact).
private func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }   // inf, NaN
    if exponent == 0 {                                                                        // zero, subnormal
        let v = Float(mantissa) * 0x1p-24
        return sign != 0 ? -v : v
    }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}
