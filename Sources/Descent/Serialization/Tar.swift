import Foundation

// A reader of tar archives (POSIX ustar, GNU long names, pax `path` records), enough to unpack the
// archives datasets are published as (`cifar-10-python.tar.gz`). Regular files only: directories are
// made as needed; links and devices are skipped.

/// A regular file of a tar archive.
@_spi(Testing) public struct TarEntry {
    public let name: String
    public let bytes: ArraySlice<UInt8>
}

/// The regular files of the tar archive in `b` (`path` names it in errors).
@_spi(Testing) public func readTar(_ b: [UInt8], path: String) throws -> [TarEntry] {
    func bad(_ why: String, _ at: Int) -> DatasetError { .unreadable(path: path, reason: "not a valid tar archive: \(why) at byte \(at)") }
    func text(_ s: ArraySlice<UInt8>) -> String {
        String(decoding: s.prefix { $0 != 0 }, as: UTF8.self)
    }
    /// A numeric header field: octal text, or base-256 when its first byte has the high bit set (GNU).
    func number(_ s: ArraySlice<UInt8>, _ at: Int) throws -> Int {
        if let f = s.first, f & 0x80 != 0 {
            var v = Int(f & 0x7F)
            for x in s.dropFirst() {
                guard v < Int.max >> 9 else { throw bad("a size too large", at) }
                v = v << 8 | Int(x)
            }
            return v
        }
        let t = text(s).trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return 0 }
        guard let v = Int(t, radix: 8), v >= 0 else { throw bad("a number field '\(t.prefix(12))' that is not octal", at) }
        return v
    }
    var out: [TarEntry] = []
    var pos = 0
    var longName: String?, paxPath: String?
    while pos < b.count {
        guard b.count - pos >= 512 else { throw bad("a header cut short", pos) }
        let h = b[pos..<pos + 512]
        if h.allSatisfy({ $0 == 0 }) { break }   // the end-of-archive blocks
        let stored = try number(h[(pos + 148)..<(pos + 156)], pos)
        var sum = 0
        for (k, x) in h.enumerated() { sum += (148..<156).contains(k) ? 0x20 : Int(x) }
        if stored != sum { throw bad("a header checksum \(stored), computed \(sum)", pos) }
        let size = try number(h[(pos + 124)..<(pos + 136)], pos)
        let type = h[pos + 156]
        let start = pos + 512
        guard size <= b.count - start else { throw bad("an entry of \(size) bytes past the end of the data", pos) }
        let data = b[start..<start + size]
        var name = text(h[pos..<(pos + 100)])
        if text(h[(pos + 257)..<(pos + 262)]) == "ustar" {
            let prefix = text(h[(pos + 345)..<(pos + 500)])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        pos = start + (size + 511) / 512 * 512
        switch type {
        case UInt8(ascii: "L"):   // GNU: the next entry's long name
            longName = text(data)
            continue
        case UInt8(ascii: "x"):   // pax: records "<len> <key>=<value>\n"
            var rest = data[...]
            while let space = rest.firstIndex(of: 0x20), let len = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)),
                  len > 0, len <= rest.count {
                let record = rest[rest.startIndex..<(rest.startIndex + len)]
                let body = String(decoding: record[(space + 1)...].dropLast(), as: UTF8.self)
                if body.hasPrefix("path=") { paxPath = String(body.dropFirst(5)) }
                rest = rest[(rest.startIndex + len)...]
            }
            continue
        case UInt8(ascii: "g"): continue
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            out.append(TarEntry(name: paxPath ?? longName ?? name, bytes: data))
        default: break   // directories, links, devices
        }
        longName = nil; paxPath = nil
    }
    return out
}

/// Unpacks the (gzip-compressed or plain) tar archive at `archive` into `folder`, each file written
/// atomically; returns the files' names. Names that are absolute or climb out with `..` are refused.
@discardableResult
@_spi(Testing) public func extractTarGz(_ archive: String, into folder: String) throws -> [String] {
    let entries = try readTar(try readMaybeGzip(archive), path: archive)
    let fm = FileManager.default
    for e in entries {
        let parts = e.name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if e.name.hasPrefix("/") || parts.isEmpty || parts.contains("..") {
            throw DatasetError.unreadable(path: archive, reason: "the archive holds a file named '\(e.name)', outside the folder it unpacks into")
        }
        let target = folder + "/" + parts.joined(separator: "/")
        try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { try Data(e.bytes).write(to: URL(fileURLWithPath: target), options: .atomic) } catch {
            throw DatasetError.unreadable(path: target, reason: "cannot write: \(error.localizedDescription)")
        }
    }
    return entries.map(\.name)
}
