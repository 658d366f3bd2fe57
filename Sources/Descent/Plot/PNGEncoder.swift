import CZlib
import Foundation

/// Encodes 8-bit RGBA pixels (row-major, 4 bytes a pixel) as a PNG file: one IDAT chunk deflated
/// by zlib's `compress2`, filter type 0 on every row, CRCs from zlib's `crc32`.
func encodePNG(width: Int, height: Int, rgba: [UInt8], dpi: Double? = nil) -> [UInt8] {
    precondition(rgba.count == width * height * 4)
    var raw = [UInt8](repeating: 0, count: height * (width * 4 + 1))
    for y in 0..<height {
        let src = y * width * 4, dst = y * (width * 4 + 1) + 1
        raw[dst..<(dst + width * 4)] = rgba[src..<(src + width * 4)]
    }
    var destLen = compressBound(uLong(raw.count))
    var deflated = [UInt8](repeating: 0, count: Int(destLen))
    let rc = deflated.withUnsafeMutableBufferPointer { d in
        raw.withUnsafeBufferPointer { s in compress2(d.baseAddress, &destLen, s.baseAddress, uLong(s.count), 6) }
    }
    precondition(rc == Z_OK, "zlib compress2 failed (\(rc))")
    deflated.removeSubrange(Int(destLen)...)

    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    func be32(_ v: Int) -> [UInt8] { [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ data: [UInt8]) {
        let body = Array(type.utf8) + data
        png += be32(data.count) + body
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        png += be32(Int(crc))
    }
    chunk("IHDR", be32(width) + be32(height) + [8, 6, 0, 0, 0])  // 8-bit RGBA, deflate, no interlace
    if let dpi, dpi > 0 {  // pixels per metre, both axes, as matplotlib records its dpi
        let ppm = Int((dpi / 0.0254).rounded())
        chunk("pHYs", be32(ppm) + be32(ppm) + [1])
    }
    chunk("IDAT", deflated)
    chunk("IEND", [])
    return png
}
