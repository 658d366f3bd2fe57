import CZlib
import Foundation

// Writing what `torch.save` writes, so that PyTorch loads Descent's weights with plain
// `torch.load(path)` (its default `weights_only=True` accepts them): the zip archive of PyTorch 1.6+,
// `<name>/data.pkl` (a protocol-2 pickle: dicts, `OrderedDict` state dicts, numbers, strings, lists,
// and tensors as `torch._utils._rebuild_tensor_v2` of a storage) beside `<name>/data/<i>` (each
// tensor's bytes, aligned to 64 bytes as PyTorch aligns them), `<name>/byteorder` and `<name>/version`.
// Entries are stored, not compressed, with their CRC-32; zip64 records are written when an entry or
// the archive passes 4 GiB.

/// The file format `save(_:to:format:)` writes.
public enum CheckpointFormat: Sendable {
    /// safetensors (Descent's default; `safetensors.torch.load_file` reads it).
    case safetensors
    /// What `torch.save` writes (a zip archive holding a pickle); `torch.load` reads it.
    case torch
}

/// Saves `stateDict` in `format`: `.torch` writes what `torch.save(model.state_dict(), path)` writes
/// (an `OrderedDict` of tensors, for `model.load_state_dict(torch.load(path))`), atomically.
public func save(_ stateDict: StateDict, to path: String, format: CheckpointFormat) throws {
    switch format {
    case .safetensors: try save(stateDict, to: path)
    case .torch: try writeTorchFile(.stateDict(stateDict), to: path)
    }
}

/// Saves `checkpoint` in `format`: `.torch` writes what `torch.save` of the same Python dict writes
/// (state dicts as `OrderedDict`s of tensors), atomically.
@_disfavoredOverload
public func save(_ checkpoint: Checkpoint, to path: String, format: CheckpointFormat) throws {
    switch format {
    case .safetensors: try save(checkpoint, to: path)
    case .torch: try writeTorchFile(.checkpoint(checkpoint), to: path)
    }
}

extension Module {
    /// Saves `stateDict()` in `format` (`.torch`: what `torch.save(model.state_dict(), path)` writes).
    public func save(to path: String, format: CheckpointFormat) throws {
        try Descent.save(stateDict(), to: path, format: format)
    }
}

/// What a torch file is written from.
enum TorchFileContent {
    case stateDict(StateDict)
    case checkpoint(Checkpoint)
}

/// Entries and offsets past this are written with zip64 records (lowered by tests).
@_spi(Testing) nonisolated(unsafe) public var zip64Threshold = 0xFFFF_FFFF

/// Writes `content` as a `torch.save` zip archive at `path`, atomically.
func writeTorchFile(_ content: TorchFileContent, to path: String) throws {
    var pickle = TorchPickleWriter()
    switch content {
    case .stateDict(let sd): pickle.stateDict(sd)
    case .checkpoint(let c): try pickle.checkpoint(c, path: path)
    }
    pickle.stop()
    // the archive's folder is the file's name without its extension, as torch.save names it
    var archive = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    if archive.isEmpty || archive.contains(where: { !$0.isASCII || $0 == "\\" }) { archive = "archive" }
    var records: [(name: String, bytes: ZipWriter.Bytes)] = [(archive + "/data.pkl", .array(pickle.out))]
    records.append((archive + "/byteorder", .array(Array("little".utf8))))
    for (i, t) in pickle.tensors.enumerated() { records.append((archive + "/data/\(i)", .tensor(t))) }
    records.append((archive + "/version", .array(Array("3\n".utf8))))
    try writeFileAtomically(path) { writeAll in
        try withoutActuallyEscaping(writeAll) { w in
            var zip = ZipWriter(write: w)
            for r in records { try zip.add(r.name, r.bytes) }
            try zip.finish()
        }
    }
}

/// A protocol-2 pickle of plain data and tensors, as `torch.save` writes one (tensors refer to their
/// storages by persistent id; `tensors` are the storages in order).
struct TorchPickleWriter {
    var out: [UInt8] = [0x80, 2]
    var tensors: [Tensor] = []

    mutating func op(_ c: Character) { out.append(c.asciiValue!) }
    mutating func global(_ module: String, _ name: String) {
        op("c"); out += Array(module.utf8); out.append(0x0A); out += Array(name.utf8); out.append(0x0A)
    }
    mutating func string(_ s: String) {
        let b = Array(s.utf8)
        op("X"); append32(b.count); out += b
    }
    mutating func append32(_ v: Int) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    mutating func int(_ v: Int) {
        if v >= 0 && v < 256 { op("K"); out.append(UInt8(v)) }
        else if v >= 0 && v < 65536 { op("M"); out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        else if v >= Int(Int32.min) && v <= Int(Int32.max) { op("J"); append32(v) }
        else { out.append(0x8A); out.append(8); for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    }
    mutating func double(_ d: Double) {
        op("G"); for k in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: d.bitPattern >> (8 * UInt64(k)))) }
    }
    mutating func bool(_ b: Bool) { out.append(b ? 0x88 : 0x89) }
    mutating func ints(_ xs: [Int]) { op("("); for x in xs { int(x) }; op("t") }
    mutating func emptyOrderedDict() { global("collections", "OrderedDict"); op(")"); op("R") }

    /// `_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` of a contiguous copy.
    mutating func tensor(_ t: Tensor) {
        let c = (t.device == .cpu ? t : t.to(.cpu)).contiguous()
        let key = tensors.count
        tensors.append(c)
        global("torch._utils", "_rebuild_tensor_v2")
        op("(")
        op("(")
        string("storage"); global("torch", storageName(c.dtype)); string(String(key)); string("cpu"); int(c.count)
        op("t")
        op("Q")   // BINPERSID
        int(0)
        ints(c.shape)
        var strides = [Int](repeating: 1, count: c.shape.count)
        for i in stride(from: c.shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * max(c.shape[i + 1], 1) }
        ints(strides)
        bool(false)
        emptyOrderedDict()
        op("t"); op("R")
    }

    func storageName(_ d: DType) -> String {
        switch d {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    /// An `OrderedDict` of the state dict's tensors.
    mutating func stateDict(_ sd: StateDict) {
        emptyOrderedDict()
        if sd.count > 0 {
            op("(")
            for (k, t) in sd { string(k); tensor(t) }
            op("u")
        }
    }

    /// A dict of the checkpoint's entries.
    mutating func checkpoint(_ c: Checkpoint, path: String) throws {
        op("}")
        guard c.count > 0 else { return }
        op("(")
        for (k, v) in c {
            string(k)
            switch v {
            case let sd as StateDict: stateDict(sd)
            case let t as Tensor: tensor(t)
            case let i as Int: int(i)
            case let d as Double: double(d)
            case let b as Bool: bool(b)
            case let s as String: string(s)
            case let a as [Int]: op("]"); op("("); for x in a { int(x) }; op("e")
            case let a as [Double]: op("]"); op("("); for x in a { double(x) }; op("e")
            case let a as [String]: op("]"); op("("); for x in a { string(x) }; op("e")
            default: throw SerializationError.invalidName(path: path, name: k, reason: "a checkpoint cannot hold \(type(of: v))")
            }
        }
        op("u")
    }

    mutating func stop() { op(".") }
}

/// Writes a zip archive of stored entries through `write`, each entry's data aligned to 64 bytes.
struct ZipWriter {
    enum Bytes {
        case array([UInt8])
        case tensor(Tensor)
    }
    let write: (UnsafeRawPointer, Int) throws -> Void
    var offset = 0
    var central: [UInt8] = []
    var count = 0

    init(write: @escaping (UnsafeRawPointer, Int) throws -> Void) { self.write = write }

    mutating func emit(_ b: [UInt8]) throws {
        try b.withUnsafeBytes { if $0.count > 0 { try write($0.baseAddress!, $0.count) } }
        offset += b.count
    }

    static func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    mutating func add(_ name: String, _ bytes: Bytes) throws {
        let nameBytes = Array(name.utf8)
        // the size and CRC-32 first (the local header holds them)
        var size = 0
        var crc = crc32(0, nil, 0)
        func feed(_ p: UnsafeRawBufferPointer) {
            crc = crc32Update(crc, p)
            size += p.count
        }
        switch bytes {
        case .array(let a): a.withUnsafeBytes(feed)
        case .tensor(let t): Kernels.withHostBytes(t, feed)
        }
        let big = size >= zip64Threshold || offset >= zip64Threshold
        let headerOffset = offset
        // local header: sizes in a zip64 extra field when large; padding so that the data starts at a multiple of 64
        var local = ZipWriter.le(0x0403_4B50, 4) + ZipWriter.le(big ? 45 : 20, 2) + ZipWriter.le(0, 2) + ZipWriter.le(0, 2)
            + ZipWriter.le(0, 4) + ZipWriter.le(Int(crc), 4)
        local += big ? ZipWriter.le(0xFFFF_FFFF, 4) + ZipWriter.le(0xFFFF_FFFF, 4) : ZipWriter.le(size, 4) + ZipWriter.le(size, 4)
        var extra: [UInt8] = big ? ZipWriter.le(1, 2) + ZipWriter.le(16, 2) + ZipWriter.le(size, 8) + ZipWriter.le(size, 8) : []
        let unpadded = offset + 30 + nameBytes.count + extra.count
        var pad = (64 - unpadded % 64) % 64
        if pad > 0 && pad < 4 { pad += 64 }   // an extra field needs 4 bytes of its own header
        if pad > 0 { extra += ZipWriter.le(0x4246, 2) + ZipWriter.le(pad - 4, 2) + [UInt8](repeating: 0x5A, count: pad - 4) }   // "FB", as PyTorch pads
        local += ZipWriter.le(nameBytes.count, 2) + ZipWriter.le(extra.count, 2) + nameBytes + extra
        try emit(local)
        switch bytes {
        case .array(let a): try emit(a)
        case .tensor(let t):
            try Kernels.withHostBytes(t) { p in if p.count > 0 { try write(p.baseAddress!, p.count) } }
            offset += size
        }
        // its central directory entry
        let centralExtra: [UInt8] = big ? ZipWriter.le(1, 2) + ZipWriter.le(24, 2) + ZipWriter.le(size, 8) + ZipWriter.le(size, 8) + ZipWriter.le(headerOffset, 8) : []
        central += ZipWriter.le(0x0201_4B50, 4) + ZipWriter.le(big ? 45 : 20, 2) + ZipWriter.le(big ? 45 : 20, 2) + ZipWriter.le(0, 2)
            + ZipWriter.le(0, 2) + ZipWriter.le(0, 4) + ZipWriter.le(Int(crc), 4)
        central += big ? ZipWriter.le(0xFFFF_FFFF, 4) + ZipWriter.le(0xFFFF_FFFF, 4) : ZipWriter.le(size, 4) + ZipWriter.le(size, 4)
        central += ZipWriter.le(nameBytes.count, 2) + ZipWriter.le(centralExtra.count, 2) + ZipWriter.le(0, 2) + ZipWriter.le(0, 2)
            + ZipWriter.le(0, 2) + ZipWriter.le(0, 4) + ZipWriter.le(big ? 0xFFFF_FFFF : headerOffset, 4) + nameBytes + centralExtra
        count += 1
    }

    /// The central directory and its end records (zip64 ones when the archive is large).
    mutating func finish() throws {
        let dirOffset = offset
        let dir = central
        try emit(dir)
        let big = dirOffset >= zip64Threshold || offset >= zip64Threshold || count >= 0xFFFF
        if big {
            let zip64At = offset
            try emit(ZipWriter.le(0x0606_4B50, 4) + ZipWriter.le(44, 8) + ZipWriter.le(45, 2) + ZipWriter.le(45, 2) + ZipWriter.le(0, 4)
                     + ZipWriter.le(0, 4) + ZipWriter.le(count, 8) + ZipWriter.le(count, 8) + ZipWriter.le(dir.count, 8) + ZipWriter.le(dirOffset, 8))
            try emit(ZipWriter.le(0x0706_4B50, 4) + ZipWriter.le(0, 4) + ZipWriter.le(zip64At, 8) + ZipWriter.le(1, 4))
        }
        try emit(ZipWriter.le(0x0605_4B50, 4) + ZipWriter.le(0, 2) + ZipWriter.le(0, 2)
                 + ZipWriter.le(big ? 0xFFFF : count, 2) + ZipWriter.le(big ? 0xFFFF : count, 2)
                 + ZipWriter.le(big ? 0xFFFF_FFFF : dir.count, 4) + ZipWriter.le(big ? 0xFFFF_FFFF : dirOffset, 4) + ZipWriter.le(0, 2))
    }
}
