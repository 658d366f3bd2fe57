import CDescentJPEG
import CZlib
import Foundation

// Decoding image files into uint8 tensors (C, H, W), as `torchvision.io.read_image` gives them and as
// `ImageFolder` loads its samples: PNG (every color type and bit depth, Adam7 interlacing; inflated
// by zlib, CRCs checked), binary PGM / PPM, and JPEG through the system's libjpeg (libjpeg-turbo's
// libjpeg.so.62, opened at run time; the same library and settings PIL decodes with, so the pixels
// are PIL's; a clear error where it is missing). Colors convert as PIL's `Image.convert` does, so that an
// `ImageFolder` sample is what torchvision's PIL loader gives: gray to RGB by repeating the channel,
// RGB to gray by ITU-R 601-2 luma, alpha dropped, palettes looked up, 1-, 2- and 4-bit gray scaled to
// 0...255. 16-bit color samples keep their high byte and 16-bit gray is clipped at 255, as PIL's
// conversion does (Descent has no uint16). Anything else throws
// `DatasetError.unreadable` naming the file.

/// The channels `readImage` returns (torchvision's `ImageReadMode`).
public enum ImageReadMode: Sendable {
    /// The file's own channels: 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA); palettes become RGB(A).
    case unchanged
    case gray
    case grayAlpha
    case rgb
    case rgbAlpha
}

/// Reads an image file (JPEG, PNG, PGM, PPM) as a uint8 tensor (C, H, W) (`torchvision.io.read_image`).
public func readImage(_ path: String, mode: ImageReadMode = .unchanged) throws -> Tensor {
    guard let data = FileManager.default.contents(atPath: path) else {
        if FileManager.default.fileExists(atPath: path) { throw DatasetError.unreadable(path: path, reason: "cannot read the file") }
        throw DatasetError.fileNotFound(path: path, hint: "")
    }
    return try decodeImage([UInt8](data), mode: mode, path: path)
}

/// Decodes the bytes of a JPEG, PNG, PGM or PPM file as a uint8 tensor (C, H, W) (`torchvision.io.decode_image`).
public func decodeImage(_ bytes: [UInt8], mode: ImageReadMode = .unchanged, path: String = "<data>") throws -> Tensor {
    let img = try decodeRaw(bytes, path: path)
    let out = convert(img, to: mode)
    // interleaved (H, W, C) to (C, H, W)
    return Tensor(flat: out.pixels, shape: [img.height, img.width, out.channels]).permute([2, 0, 1]).contiguous()
}

/// Decoded pixels, interleaved, 8 bits per sample.
struct RawImage {
    var width: Int, height: Int, channels: Int
    var pixels: [UInt8]
    /// A PNG's tRNS color key (gray or RGB samples): pixels of this color get alpha 0 in a mode with alpha.
    var key: [UInt8]? = nil
}

private func decodeRaw(_ b: [UInt8], path: String) throws -> RawImage {
    if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try PNGDecoder(bytes: b, path: path).decode() }
    if b.count >= 2, b[0] == UInt8(ascii: "P"), b[1] == UInt8(ascii: "5") || b[1] == UInt8(ascii: "6") { return try decodePNM(b, path: path) }
    if b.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(b, path: path) }
    let kind: String
    if b.starts(with: Array("BM".utf8)) { kind = "a BMP image" }
    else if b.starts(with: Array("RIFF".utf8)) { kind = "a WebP image" }
    else if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { kind = "a TIFF image" }
    else { throw DatasetError.unreadable(path: path, reason: "not a JPEG, PNG, PGM or PPM image") }
    throw DatasetError.unreadable(path: path, reason: "\(kind), which Descent does not decode yet (it reads JPEG, PNG, PGM and PPM; convert the images, e.g. with PIL: Image.open(p).save(q.png))")
}

/// Channels converted as PIL's `convert` does.
private func convert(_ img: RawImage, to mode: ImageReadMode) -> (pixels: [UInt8], channels: Int) {
    let n = img.width * img.height, c = img.channels
    let want: Int
    switch mode {
    case .unchanged: return (img.pixels, c)
    case .gray: want = 1
    case .grayAlpha: want = 2
    case .rgb: want = 3
    case .rgbAlpha: want = 4
    }
    if want == c { return (img.pixels, c) }
    var out = [UInt8](repeating: 0, count: n * want)
    let p = img.pixels
    for i in 0..<n {
        let color = c >= 3
        let r = Int(p[i * c]), g = color ? Int(p[i * c + 1]) : r, bl = color ? Int(p[i * c + 2]) : r
        var alpha: UInt8 = (c == 2 || c == 4) ? p[i * c + c - 1] : 255
        if let k = img.key, k.count == c, (0..<c).allSatisfy({ p[i * c + $0] == k[$0] }) { alpha = 0 }
        // PIL's L = R * 299/1000 + G * 587/1000 + B * 114/1000, in its fixed point
        let luma = color ? UInt8((r * 19595 + g * 38470 + bl * 7471 + 0x8000) >> 16) : UInt8(r)
        switch want {
        case 1: out[i] = luma
        case 2: out[2 * i] = luma; out[2 * i + 1] = alpha
        case 3: out[3 * i] = UInt8(r); out[3 * i + 1] = UInt8(g); out[3 * i + 2] = UInt8(bl)
        default: out[4 * i] = UInt8(r); out[4 * i + 1] = UInt8(g); out[4 * i + 2] = UInt8(bl); out[4 * i + 3] = alpha
        }
    }
    return (out, want)
}

/// The largest image decoded, in bytes of raw samples (a hostile header cannot ask for more).
private let maxImageBytes = 1 << 30
/// The largest JPEG decoded, in bytes of samples: libjpeg keeps two more bytes per sample for a
/// progressive file's coefficients (lowered by the fuzzing harness).
nonisolated(unsafe) var maxJPEGSampleBytes = 1 << 29

/// libjpeg's entry points, opened once.
private let libjpeg: Result<descent_jpeg_api, DynamicLibraryError> = {
    guard descent_jpeg_supported() != 0 else { return .failure(.notFound(path: "libjpeg.so.62", dlerror: "only 64-bit platforms are supported")) }
    switch DynamicLibrary.open("libjpeg.so.62") {
    case .failure(let e): return .failure(e)
    case .success(let lib):
        do {
            return .success(descent_jpeg_api(
                std_error: try lib.address(of: "jpeg_std_error"), create_decompress: try lib.address(of: "jpeg_CreateDecompress"),
                mem_src: try lib.address(of: "jpeg_mem_src"), read_header: try lib.address(of: "jpeg_read_header"),
                start_decompress: try lib.address(of: "jpeg_start_decompress"), read_scanlines: try lib.address(of: "jpeg_read_scanlines"),
                finish_decompress: try lib.address(of: "jpeg_finish_decompress"), destroy_decompress: try lib.address(of: "jpeg_destroy_decompress")))
        } catch let e as DynamicLibraryError { return .failure(e) } catch { return .failure(.notFound(path: "libjpeg.so.62", dlerror: "\(error)")) }
    }
}()

/// Whether the system's libjpeg could be loaded (the JPEG tests skip without it, unless CI requires it).
@_spi(Testing) public var libjpegAvailable: Bool { if case .success = libjpeg { return true }; return false }

/// A JPEG decoded by libjpeg with its defaults (integer IDCT, fancy upsampling), as PIL decodes it: RGB,
/// or one channel for a grayscale file.
private func decodeJPEG(_ b: [UInt8], path: String) throws -> RawImage {
    var api: descent_jpeg_api
    switch libjpeg {
    case .success(let a): api = a
    case .failure(let e):
        let why: String
        switch e {
        case .notFound(_, let err): why = err
        case .missingSymbol(_, let sym): why = "it has no \(sym)"
        }
        throw DatasetError.unreadable(path: path, reason: "a JPEG image: decoding it needs the system's libjpeg (libjpeg.so.62: Debian and Ubuntu's libjpeg62-turbo, Fedora's libjpeg-turbo), which could not be loaded (\(why))")
    }
    var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
    var message = [CChar](repeating: 0, count: 200)
    func bad() -> DatasetError { .unreadable(path: path, reason: "not a valid JPEG: \(String(cString: message))") }
    let info = b.withUnsafeBufferPointer { descent_jpeg_info(&api, $0.baseAddress, UInt($0.count), &w, &h, &c, &message) }
    guard info == 0 else { throw bad() }
    let (n, o) = (Int(w) * Int(c)).multipliedReportingOverflow(by: Int(h))
    guard w > 0, h > 0, !o, n <= maxJPEGSampleBytes else { throw DatasetError.unreadable(path: path, reason: "a JPEG of \(w)x\(h) pixels, too large") }
    var pixels = [UInt8](repeating: 0, count: n)
    let rc = b.withUnsafeBufferPointer { input in
        pixels.withUnsafeMutableBufferPointer { out in
            descent_jpeg_decode(&api, input.baseAddress, UInt(input.count), out.baseAddress, out.count, &message)
        }
    }
    guard rc == 0 else { throw bad() }
    return RawImage(width: Int(w), height: Int(h), channels: Int(c), pixels: pixels)
}

private struct PNGDecoder {
    let bytes: [UInt8]
    let path: String

    func bad(_ why: String) -> DatasetError { .unreadable(path: path, reason: "not a valid PNG: \(why)") }

    func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }

    func decode() throws -> RawImage {
        var pos = 8
        var width = 0, height = 0, depth = 0, colorType = -1, interlace = 0
        var palette: [UInt8] = [], transparency: [UInt8] = []
        var idat: [UInt8] = []
        var sawEnd = false
        while pos < bytes.count {
            guard bytes.count - pos >= 12 else { throw bad("a chunk cut short at byte \(pos)") }
            let length = u32(pos)
            guard length <= bytes.count - pos - 12 else { throw bad("a chunk of \(length) bytes runs past the end of the file") }
            let type = String(decoding: bytes[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let data = bytes[(pos + 8)..<(pos + 8 + length)]
            let stored = UInt32(u32(pos + 8 + length))
            let crc = bytes[(pos + 4)..<(pos + 8 + length)].withContiguousStorageIfAvailable { crc32(0, $0.baseAddress, uInt($0.count)) } ?? 0
            guard UInt32(crc) == stored else { throw bad("the CRC of chunk \(type) does not match") }
            if colorType < 0 && type != "IHDR" { throw bad("the first chunk is \(type), not IHDR") }
            switch type {
            case "IHDR":
                guard length == 13 else { throw bad("an IHDR of \(length) bytes") }
                let d = Array(data)
                width = Int(d[0]) << 24 | Int(d[1]) << 16 | Int(d[2]) << 8 | Int(d[3])
                height = Int(d[4]) << 24 | Int(d[5]) << 16 | Int(d[6]) << 8 | Int(d[7])
                depth = Int(d[8]); colorType = Int(d[9]); interlace = Int(d[12])
                let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
                guard let depths = allowed[colorType], depths.contains(depth) else { throw bad("color type \(colorType) with bit depth \(depth)") }
                guard width > 0, height > 0, d[10] == 0, d[11] == 0, interlace <= 1 else { throw bad("a bad IHDR (size \(width)x\(height), methods \(d[10]) \(d[11]) \(interlace))") }
            case "PLTE": palette = Array(data)
            case "tRNS": transparency = Array(data)
            case "IDAT": idat += data
            case "IEND": sawEnd = true
            default:
                // an unknown critical chunk (upper-case first letter) cannot be skipped
                if let f = type.unicodeScalars.first, f.value >= 65 && f.value <= 90 { throw bad("an unknown critical chunk \(type)") }
            }
            pos += 12 + length
            if sawEnd { break }
        }
        guard sawEnd else { throw bad("no IEND chunk (the file is cut short)") }
        guard !idat.isEmpty else { throw bad("no image data") }
        if colorType == 3 && (palette.isEmpty || palette.count % 3 != 0 || palette.count > 768) { throw bad("a palette image without a valid PLTE") }
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let bitsPerPixel = samples * depth
        // the passes: the whole image, or Adam7's seven
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] = interlace == 0 ? [(0, 0, 1, 1)]
            : [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var expected = 0
        var sizes: [(w: Int, h: Int)] = []
        for p in passes {
            let w = width > p.x0 ? (width - p.x0 + p.dx - 1) / p.dx : 0
            let h = height > p.y0 ? (height - p.y0 + p.dy - 1) / p.dy : 0
            sizes.append((w, h))
            guard w <= maxImageBytes / max(bitsPerPixel, 8), h <= maxImageBytes else { throw bad("an image of \(width)x\(height) pixels, too large") }
            if w > 0 && h > 0 { expected += h * (1 + (w * bitsPerPixel + 7) / 8) }
            guard expected <= maxImageBytes else { throw bad("an image of \(width)x\(height) pixels, too large") }
        }
        // the decoded pixels (up to 4 channels) are bounded too, not only the packed rows
        let (pixelCount, o1) = width.multipliedReportingOverflow(by: height)
        guard !o1, pixelCount <= maxImageBytes / 4 else { throw bad("an image of \(width)x\(height) pixels, too large") }
        // deflate cannot expand data more than 1032 times: a larger claim is a broken file, not a big image
        guard expected / 1032 <= idat.count else { throw bad("\(idat.count) bytes of image data for \(width)x\(height) pixels") }
        var raw = [UInt8](repeating: 0, count: expected)
        var rawLength = uLongf(expected)
        let rc = raw.withUnsafeMutableBufferPointer { o in
            idat.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &rawLength, i.baseAddress, uLong(i.count)) }
        }
        guard rc == Z_OK, Int(rawLength) == expected else { throw bad("corrupt image data (zlib: \(rc == Z_BUF_ERROR ? "more or less data than the size says" : "error \(rc)"))") }
        // unfilter each pass, then place its samples (as 8-bit) in the image
        let channels = colorType == 3 ? (transparency.isEmpty ? 3 : 4) : samples
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var at = 0
        let bpp = max(1, bitsPerPixel / 8)
        for (k, p) in passes.enumerated() {
            let (w, h) = sizes[k]
            guard w > 0 && h > 0 else { continue }
            let stride = (w * bitsPerPixel + 7) / 8
            var prev = [UInt8](repeating: 0, count: stride)
            var row = [UInt8](repeating: 0, count: stride)
            for y in 0..<h {
                let filter = raw[at]
                for i in 0..<stride { row[i] = raw[at + 1 + i] }
                at += 1 + stride
                switch filter {
                case 0: break
                case 1: for i in bpp..<max(bpp, stride) { row[i] &+= row[i - bpp] }
                case 2: for i in 0..<stride { row[i] &+= prev[i] }
                case 3:
                    for i in 0..<stride {
                        let left = i >= bpp ? Int(row[i - bpp]) : 0
                        row[i] &+= UInt8((left + Int(prev[i])) / 2)
                    }
                case 4:
                    for i in 0..<stride {
                        let a = i >= bpp ? Int(row[i - bpp]) : 0, b = Int(prev[i]), c = i >= bpp ? Int(prev[i - bpp]) : 0
                        let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                        row[i] &+= UInt8(pa <= pb && pa <= pc ? a : (pb <= pc ? b : c))
                    }
                default: throw bad("filter type \(filter) in row \(y)")
                }
                // the row's samples
                for x in 0..<w {
                    let dst = ((p.y0 + y * p.dy) * width + p.x0 + x * p.dx) * channels
                    if depth == 8 {
                        if colorType == 3 {
                            try lookup(Int(row[x]), palette, transparency, into: &pixels, at: dst)
                        } else {
                            for s in 0..<samples { pixels[dst + s] = row[x * samples + s] }
                        }
                    } else if depth == 16 && colorType == 0 {
                        // PIL opens 16-bit gray as I;16 and its convert clips at 255
                        pixels[dst] = UInt8(min(255, Int(row[2 * x]) << 8 | Int(row[2 * x + 1])))
                    } else if depth == 16 {
                        for s in 0..<samples { pixels[dst + s] = row[2 * (x * samples + s)] }   // the high byte, as PIL's RGB;16B
                    } else {
                        let bit = x * depth
                        let v = Int(row[bit / 8] >> UInt8(8 - depth - bit % 8)) & ((1 << depth) - 1)
                        if colorType == 3 { try lookup(v, palette, transparency, into: &pixels, at: dst) }
                        else { pixels[dst] = UInt8(v * 255 / ((1 << depth) - 1)) }
                    }
                }
                swap(&prev, &row)
            }
        }
        var image = RawImage(width: width, height: height, channels: channels, pixels: pixels)
        // a tRNS color key of a gray or RGB image (8 bits or fewer): its pixels are transparent when alpha is asked for
        if (colorType == 0 || colorType == 2) && depth <= 8 && transparency.count == (colorType == 0 ? 2 : 6) {
            image.key = stride(from: 0, to: transparency.count, by: 2).map { k in
                let v = Int(transparency[k]) << 8 | Int(transparency[k + 1])
                return UInt8(truncatingIfNeeded: depth == 8 ? v : v * 255 / ((1 << depth) - 1))
            }
        }
        return image
    }

    /// A palette entry's RGB (and its alpha from tRNS, opaque past its end).
    /// (An index past the palette's colors is black, as PIL decodes it.)
    func lookup(_ i: Int, _ palette: [UInt8], _ alpha: [UInt8], into pixels: inout [UInt8], at dst: Int) throws {
        if 3 * i + 2 < palette.count {
            pixels[dst] = palette[3 * i]; pixels[dst + 1] = palette[3 * i + 1]; pixels[dst + 2] = palette[3 * i + 2]
        }
        if !alpha.isEmpty { pixels[dst + 3] = i < alpha.count ? alpha[i] : 255 }
    }
}

/// Binary PGM (P5) and PPM (P6) with a maxval up to 255 (larger maxvals keep their high byte).
private func decodePNM(_ b: [UInt8], path: String) throws -> RawImage {
    func bad(_ why: String) -> DatasetError { .unreadable(path: path, reason: "not a valid PGM/PPM: \(why)") }
    var pos = 2
    func number() throws -> Int {
        // whitespace and # comments, then decimal digits
        while pos < b.count {
            if b[pos] == UInt8(ascii: "#") { while pos < b.count && b[pos] != 0x0A { pos += 1 } }
            else if b[pos] == 0x20 || (0x09...0x0D).contains(b[pos]) { pos += 1 }
            else { break }
        }
        var v = 0, digits = 0
        while pos < b.count, b[pos] >= 0x30, b[pos] <= 0x39, digits < 10 { v = v * 10 + Int(b[pos] - 0x30); pos += 1; digits += 1 }
        guard digits > 0 else { throw bad("a header field that is not a number") }
        return v
    }
    let channels = b[1] == UInt8(ascii: "5") ? 1 : 3
    let width = try number(), height = try number(), maxval = try number()
    guard pos < b.count else { throw bad("no pixel data") }
    pos += 1   // the single whitespace after maxval
    guard width > 0, height > 0, maxval > 0, maxval < 65536 else { throw bad("size \(width)x\(height), maxval \(maxval)") }
    let sampleBytes = maxval < 256 ? 1 : 2
    let (n, o) = (width * channels).multipliedReportingOverflow(by: height)
    guard !o, n <= maxImageBytes else { throw bad("an image of \(width)x\(height) pixels, too large") }
    guard b.count - pos >= n * sampleBytes else { throw bad("\(b.count - pos) bytes of pixel data for \(width)x\(height) pixels") }
    // PIL's PpmDecoder: min(out_max, round(v / maxval * out_max)), out_max 255 for RGB and 8-bit gray; gray with
    // maxval > 255 opens as mode I (out_max 65535), which convert clips at 255
    let outMax = channels == 1 && maxval > 255 ? 65535.0 : 255.0
    var pixels = [UInt8](repeating: 0, count: n)
    for i in 0..<n {
        let v = sampleBytes == 1 ? Int(b[pos + i]) : Int(b[pos + 2 * i]) << 8 | Int(b[pos + 2 * i + 1])
        let scaled = min(outMax, (Double(v) / Double(maxval) * outMax).rounded(.toNearestOrEven))
        pixels[i] = UInt8(min(255, scaled))
    }
    return RawImage(width: width, height: height, channels: channels, pixels: pixels)
}
