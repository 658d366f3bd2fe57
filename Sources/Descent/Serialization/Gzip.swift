import CZlib
import Foundation

/// Reads a whole file, inflating it when it is gzip (zlib's gzread reads plain files as they are).
/// A gzip stream that fails its CRC check or ends early is an error.
@_spi(Testing) public func readMaybeGzip(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.unreadable(path: path, reason: "no such file") }
    guard let f = gzopen(path, "rb") else { throw DatasetError.unreadable(path: path, reason: "cannot open") }
    defer { gzclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { gzread(f, $0.baseAddress, UInt32($0.count)) }
        if n < 0 {
            var err: Int32 = 0
            let msg = gzerror(f, &err).map { String(cString: $0) } ?? "inflate error"
            throw DatasetError.unreadable(path: path, reason: "corrupt gzip data (\(msg))")
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<Int(n)])
    }
    // gzread returns 0 at a premature end of a gzip member; gzerror tells
    var err: Int32 = 0
    let msg = gzerror(f, &err)
    if err != Z_OK && err != Z_STREAM_END {
        throw DatasetError.unreadable(path: path, reason: "corrupt gzip data (\(msg.map { String(cString: $0) } ?? "error \(err)"))")
    }
    return out
}
