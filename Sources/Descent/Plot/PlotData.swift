import Foundation

/// Values a plot accepts: a `Tensor` (any dtype, any device; flattened) or a Swift array of
/// `Double`, `Float` or integers.
public protocol PlotData {
    /// The values, in order, as Doubles.
    var plotValues: [Double] { get }
}

/// A number that can be plotted (`Double`, `Float`, `Int`, ...).
public protocol PlotScalar { var plotDouble: Double { get } }
extension Double: PlotScalar { public var plotDouble: Double { self } }
extension Float: PlotScalar { public var plotDouble: Double { Double(self) } }
extension Int: PlotScalar { public var plotDouble: Double { Double(self) } }
extension Int32: PlotScalar { public var plotDouble: Double { Double(self) } }
extension Int64: PlotScalar { public var plotDouble: Double { Double(self) } }
extension UInt8: PlotScalar { public var plotDouble: Double { Double(self) } }

extension Array: PlotData where Element: PlotScalar {
    public var plotValues: [Double] { map(\.plotDouble) }
}

extension Tensor: PlotData {
    public var plotValues: [Double] { noGrad { detach().toDoubles() } }
}

/// A 2-D array of values a plot accepts: a 2-D `Tensor` (or `[H, W, 3]`/`[H, W, 4]` RGB(A) in 0...1
/// for `imshow`) or nested Swift arrays (rows).
public protocol PlotMatrix {
    /// The shape (rows, columns, and 3 or 4 channels for colour images) and the values in row-major order.
    var plotMatrix: (shape: [Int], values: [Double]) { get }
}

extension Tensor: PlotMatrix {
    public var plotMatrix: (shape: [Int], values: [Double]) { (shape, plotValues) }
}

extension Array: PlotMatrix where Element: Collection, Element.Element: PlotScalar {
    public var plotMatrix: (shape: [Int], values: [Double]) {
        let cols = first?.count ?? 0
        for (i, r) in enumerated() where r.count != cols {
            fail("setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions (row \(i) has \(r.count) values, row 0 has \(cols))")
        }
        return ([count, cols], flatMap { $0.map(\.plotDouble) })
    }
}

/// An error from writing a figure.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// The file name's extension names a format that `savefig` cannot write.
    case unsupportedFormat(path: String, format: String)
    /// The file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedFormat(path, format):
            return "Format '\(format)' is not supported (supported formats: png, svg) while saving \(path)"
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}

// MARK: - Text

/// The width of `s` in DejaVu Sans at `size` (same unit as `size`), from the advances of the font
/// embedded for PNG output (GlyphData.swift). matplotlib draws text in DejaVu Sans, and so do SVG
/// renderers on most Linux machines, so layout uses these widths.
func textWidth(_ s: String, size: Double) -> Double {
    var units = 0.0
    for u in s.unicodeScalars { units += glyph(u).advance }
    return units / 2048 * size
}

/// DejaVu Sans's cap height (the height of digits and capitals) as a fraction of the font size.
let capHeight = 0.729
/// DejaVu Sans's descent below the baseline as a fraction of the font size.
let descentHeight = 0.236

/// `s` escaped for XML text and attribute values.
func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A coordinate for SVG: at most two decimals, no trailing zeros, no "-0".
func svgNum(_ v: Double) -> String {
    var out: [UInt8] = []
    appendNum(&out, v)
    return String(decoding: out, as: UTF8.self)
}

/// Appends `v` with at most two decimals (fast: used for every point of a path).
func appendNum(_ out: inout [UInt8], _ v: Double) {
    guard v.isFinite else { out += Array("0".utf8); return }
    var c = Int64((Swift.abs(v) * 100).rounded())
    if c == 0 { out.append(0x30); return }
    if v < 0 { out.append(0x2D) }
    let frac = Int(c % 100)
    c /= 100
    var digits: [UInt8] = []
    repeat { digits.append(UInt8(0x30 + c % 10)); c /= 10 } while c > 0
    out += digits.reversed()
    if frac != 0 {
        out.append(0x2E)
        out.append(UInt8(0x30 + frac / 10))
        if frac % 10 != 0 { out.append(UInt8(0x30 + frac % 10)) }
    }
}
