import CZlib
import Foundation

// A reader of zip archives, enough for the files `torch.save` writes (PyTorch's
// `PyTorchStreamWriter`: stored entries, zip64 when large) and for zips that other tools made of
// them (deflated entries, inflated by zlib). It reads the central directory, then each entry's local
// header for where its data starts, and checks every entry's CRC-32 (zlib's) when it is read.

/// zlib's CRC-32 of `bytes` continued from `crc`, fed in pieces (zlib takes a 32-bit length).
func crc32Update(_ crc: uLong, _ bytes: UnsafeRawBufferPointer) -> uLong {
    var c = crc, at = 0
    while at < bytes.count {
        let n = min(bytes.count - at, 1 << 30)
        c = crc32(c, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, uInt(n))
        at += n
    }
    return c
}

/// One file in a zip archive.
struct ZipEntry {
    let name: String
    let method: UInt16
    let crc: UInt32
    let compressedSize: Int
    let size: Int
    let localHeaderOffset: Int
}

/// A zip archive's directory over a byte source; `read(_:)` gives an entry's bytes.
struct ZipArchive {
    let source: ByteSource
    private(set) var entries: [ZipEntry] = []
    private var byName: [String: Int] = [:]

    /// Why the archive cannot be read, with the file's name (as the caller's error type).
    let fail: (String) -> Error

    /// Whether `bytes` (a file's first bytes) start like a zip archive.
    static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    init(_ source: ByteSource, fail: @escaping (String) -> Error) throws {
        self.source = source
        self.fail = fail
        let size = source.byteCount
        func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
        func u64(_ b: [UInt8], _ at: Int) throws -> Int {
            let v = UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
            guard v <= UInt64(Int.max) else { throw fail("a zip64 field of \(v)") }
            return Int(v)
        }
        // The end of central directory record: the last signature in the final 64 KiB + 22 bytes.
        guard size >= 22 else { throw fail("\(size) bytes are too few for a zip archive") }
        let tailStart = max(0, size - 65_557)
        let tail = try source.bytes(at: tailStart, count: size - tailStart)
        guard let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
            tail[$0] == 0x50 && tail[$0 + 1] == 0x4B && tail[$0 + 2] == 0x05 && tail[$0 + 3] == 0x06
        }) else { throw fail("no end of central directory record (not a zip archive, or cut short)") }
        var count = u16(tail, eocd + 10)
        var dirSize = u32(tail, eocd + 12)
        var dirOffset = u32(tail, eocd + 16)
        if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
            // zip64: a locator just before the record points at the zip64 end of central directory
            let loc = eocd - 20
            guard loc >= 0, u32(tail, loc) == 0x0706_4B50 else { throw fail("a zip64 archive without its locator") }
            let at = try u64(tail, loc + 8)
            guard at <= size - 56 else { throw fail("a zip64 end of central directory past the end of the file") }
            let r = try source.bytes(at: at, count: 56)
            guard u32(r, 0) == 0x0606_4B50 else { throw fail("a bad zip64 end of central directory signature") }
            count = try u64(r, 32); dirSize = try u64(r, 40); dirOffset = try u64(r, 48)
        }
        guard dirOffset <= size, dirSize <= size - dirOffset else {
            throw fail("a central directory of \(dirSize) bytes at \(dirOffset), past the end of the \(size)-byte file")
        }
        guard count <= dirSize / 46 else { throw fail("\(count) entries in a central directory of \(dirSize) bytes") }
        let dir = try source.bytes(at: dirOffset, count: dirSize)
        var p = 0
        entries.reserveCapacity(count)
        for _ in 0..<count {
            guard dir.count - p >= 46, u32(dir, p) == 0x0201_4B50 else { throw fail("a bad central directory entry at byte \(dirOffset + p)") }
            let nameLength = u16(dir, p + 28), extraLength = u16(dir, p + 30), commentLength = u16(dir, p + 32)
            guard dir.count - p - 46 >= nameLength + extraLength + commentLength else { throw fail("a central directory entry cut short") }
            let name = String(decoding: dir[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            var compressed = u32(dir, p + 20), usize = u32(dir, p + 24), offset = u32(dir, p + 42)
            // zip64 extra field: the 64-bit sizes and offset, for those whose 32-bit field is all ones
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while extraEnd - e >= 4 {
                let id = u16(dir, e), n = u16(dir, e + 2)
                guard extraEnd - e - 4 >= n else { throw fail("an extra field of \(name) cut short") }
                if id == 1 {
                    var q = e + 4
                    func next() throws -> Int {
                        guard e + 4 + n - q >= 8 else { throw fail("a zip64 extra field of \(name) cut short") }
                        defer { q += 8 }
                        return try u64(dir, q)
                    }
                    if usize == 0xFFFF_FFFF { usize = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if offset == 0xFFFF_FFFF { offset = try next() }
                }
                e += 4 + n
            }
            if u16(dir, p + 8) & 1 != 0 { throw fail("\(name) is encrypted") }
            if byName[name] != nil { throw fail("the entry \(name) appears twice") }
            byName[name] = entries.count
            entries.append(ZipEntry(name: name, method: UInt16(u16(dir, p + 10)), crc: UInt32(u32(dir, p + 16)),
                                    compressedSize: compressed, size: usize, localHeaderOffset: offset))
            p += 46 + nameLength + extraLength + commentLength
        }
    }

    func entry(_ name: String) -> ZipEntry? { byName[name].map { entries[$0] } }

    /// The bytes of `entry`, inflated if deflated, CRC-checked.
    func read(_ entry: ZipEntry) throws -> [UInt8] {
        let size = source.byteCount
        func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        guard entry.localHeaderOffset <= size - 30 else { throw fail("the local header of \(entry.name) is past the end of the file") }
        let h = try source.bytes(at: entry.localHeaderOffset, count: 30)
        guard h[0] == 0x50, h[1] == 0x4B, h[2] == 0x03, h[3] == 0x04 else { throw fail("a bad local header signature for \(entry.name)") }
        let start = entry.localHeaderOffset + 30 + u16(h, 26) + u16(h, 28)
        guard start <= size, entry.compressedSize <= size - start else {
            throw fail("the data of \(entry.name) (\(entry.compressedSize) bytes) runs past the end of the file")
        }
        var out: [UInt8]
        switch entry.method {
        case 0:
            guard entry.size == entry.compressedSize else { throw fail("the stored entry \(entry.name) has two different sizes") }
            out = try source.bytes(at: start, count: entry.size)
        case 8:
            // a deflated entry cannot grow more than 1032 times (deflate's limit); bounds the allocation
            guard entry.size / 1032 <= entry.compressedSize else { throw fail("\(entry.name) claims to inflate \(entry.compressedSize) bytes to \(entry.size)") }
            guard entry.size < Int(UInt32.max), entry.compressedSize < Int(UInt32.max) else { throw fail("a deflated entry of 4 GiB or more (\(entry.name))") }
            var input = try source.bytes(at: start, count: entry.compressedSize)
            out = [UInt8](repeating: 0, count: entry.size)
            var z = z_stream()
            guard inflateInit2_(&z, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib could not start inflating") }
            defer { inflateEnd(&z) }
            let rc: Int32 = input.withUnsafeMutableBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    z.next_in = i.baseAddress; z.avail_in = uInt(i.count)
                    z.next_out = o.baseAddress; z.avail_out = uInt(o.count)
                    return inflate(&z, Z_FINISH)
                }
            }
            guard rc == Z_STREAM_END, Int(z.total_out) == entry.size else { throw fail("the deflated data of \(entry.name) is corrupt") }
        default:
            throw fail("\(entry.name) uses zip compression method \(entry.method) (only stored and deflated entries are read)")
        }
        let crc = out.withUnsafeBytes { crc32Update(crc32(0, nil, 0), $0) }
        guard UInt32(crc) == entry.crc else { throw fail("the CRC-32 of \(entry.name) does not match (the file is corrupt)") }
        return out
    }
}
