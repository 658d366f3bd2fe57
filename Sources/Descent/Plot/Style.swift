import Foundation

/// An RGBA colour (components in 0...1), written like matplotlib's colour specs:
/// `"C0"`…`"C9"` (the default colour cycle), `"tab:blue"`, `"red"`, `"k"`, `"#1f77b4"`, `"#1f77b480"`,
/// or a gray level `"0.8"`. Use it where the API takes a `color:`.
public struct Color: Equatable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible, Sendable {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    /// A colour from components in 0...1.
    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// A colour from a matplotlib colour spec; an unknown spec stops the program with matplotlib's message.
    public init(_ spec: String) {
        guard let c = Color.parse(spec) else { fail("Invalid RGBA argument: '\(spec)'") }
        self = c
    }
    public init(stringLiteral value: String) { self.init(value) }

    /// The same colour with another alpha.
    public func withAlpha(_ a: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: a) }

    /// `#rrggbb` (alpha is written separately in SVG).
    public var hex: String {
        func h(_ v: Double) -> String {
            let b = Int((Swift.min(Swift.max(v, 0), 1) * 255).rounded())
            return (b < 16 ? "0" : "") + String(b, radix: 16)
        }
        return "#" + h(red) + h(green) + h(blue)
    }
    public var description: String { alpha == 1 ? hex : hex + String(format: " (alpha %.3g)", alpha) }

    /// matplotlib's default colour cycle, tab10 (`C0` … `C9`).
    public static let tab10: [Color] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static let named: [String: String] = [
        "b": "#0000ff", "g": "#008000", "r": "#ff0000", "c": "#00bfbf", "m": "#bf00bf", "y": "#bfbf00",
        "k": "#000000", "w": "#ffffff",
        "blue": "#0000ff", "green": "#008000", "red": "#ff0000", "cyan": "#00ffff", "magenta": "#ff00ff",
        "yellow": "#ffff00", "black": "#000000", "white": "#ffffff", "gray": "#808080", "grey": "#808080",
        "orange": "#ffa500", "purple": "#800080", "brown": "#a52a2a", "pink": "#ffc0cb", "navy": "#000080",
        "lightgray": "#d3d3d3", "darkgray": "#a9a9a9", "olive": "#808000", "teal": "#008080",
        "tab:blue": "#1f77b4", "tab:orange": "#ff7f0e", "tab:green": "#2ca02c", "tab:red": "#d62728",
        "tab:purple": "#9467bd", "tab:brown": "#8c564b", "tab:pink": "#e377c2", "tab:gray": "#7f7f7f",
        "tab:grey": "#7f7f7f", "tab:olive": "#bcbd22", "tab:cyan": "#17becf", "none": "#00000000",
    ]

    static func parse(_ spec: String) -> Color? {
        let s = spec.lowercased().trimmingCharacters(in: .whitespaces)
        if s.count == 2, s.hasPrefix("c"), let i = Int(s.dropFirst()) { return tab10[i] }
        if let hex = named[s] { return parse(hex) }
        if s.hasPrefix("#") {
            let digits = Array(s.dropFirst())
            guard digits.count == 6 || digits.count == 8, let v = UInt64(String(digits), radix: 16) else { return nil }
            let n = digits.count == 8 ? v : (v << 8 | 0xFF)
            return Color(red: Double((n >> 24) & 0xFF) / 255, green: Double((n >> 16) & 0xFF) / 255,
                         blue: Double((n >> 8) & 0xFF) / 255, alpha: Double(n & 0xFF) / 255)
        }
        if let g = Double(s), g >= 0, g <= 1 { return Color(red: g, green: g, blue: g) }
        return nil
    }
}

/// A colour map from values in 0...1 to colours (matplotlib's `cmap`): `.gray` and `.viridis`
/// (perceptually uniform, matplotlib's default).
public enum Colormap: String, Sendable, CaseIterable {
    case gray, viridis

    /// The colour for `x` in 0...1 (clamped), taken from a 256-entry table as matplotlib does.
    public func callAsFunction(_ x: Double) -> Color {
        let (r, g, b) = rgb8(x)
        return Color(red: Double(r) / 255, green: Double(g) / 255, blue: Double(b) / 255)
    }

    /// The 8-bit colour for `x` in 0...1: entry `floor(x * 256)` (clamped to 0...255) of the table.
    func rgb8(_ x: Double) -> (UInt8, UInt8, UInt8) {
        let i = x.isNaN ? 0 : Int(Swift.min(Swift.max(x * 256, 0), 255))
        switch self {
        case .gray: return (UInt8(i), UInt8(i), UInt8(i))
        case .viridis: return Colormap.viridisTable[i]
        }
    }

    /// viridis, interpolated in 256 steps between its 10 published samples (#440154 … #fde725).
    static let viridisTable: [(UInt8, UInt8, UInt8)] = {
        let keys: [UInt32] = [0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725]
        return (0..<256).map { i in
            let t = Double(i) / 255 * Double(keys.count - 1)
            let k = Swift.min(Int(t), keys.count - 2), f = t - Double(k)
            func ch(_ shift: UInt32) -> UInt8 {
                let a = Double((keys[k] >> shift) & 0xFF), b = Double((keys[k + 1] >> shift) & 0xFF)
                return UInt8((a + (b - a) * f).rounded())
            }
            return (ch(16), ch(8), ch(0))
        }
    }()
}

/// How a line is drawn (matplotlib's `linestyle`): `"-"`, `"--"`, `"-."`, `":"`, or `"none"`.
public enum LineStyle: String, ExpressibleByStringLiteral, Sendable {
    case solid = "-", dashed = "--", dashDot = "-.", dotted = ":", none = "none"

    public init(stringLiteral value: String) {
        switch value {
        case "-", "solid": self = .solid
        case "--", "dashed": self = .dashed
        case "-.", "dashdot": self = .dashDot
        case ":", "dotted": self = .dotted
        case "none", "None", "", " ": self = .none
        default: fail("'\(value)' is not a valid value for ls; supported values are '-', '--', '-.', ':', 'None', ' ', '', 'solid', 'dashed', 'dashdot', 'dotted'")
        }
    }

    /// matplotlib's dash pattern in multiples of the line width (`lines.dashed_pattern` etc., scaled).
    var dashPattern: [Double]? {
        switch self {
        case .solid, .none: return nil
        case .dashed: return [3.7, 1.6]
        case .dashDot: return [6.4, 1.6, 1, 1.6]
        case .dotted: return [1, 1.65]
        }
    }
}

/// A marker shape (matplotlib's `marker`): `"o"`, `"s"`, `"^"`, `"v"`, `"<"`, `">"`, `"D"`, `"x"`, `"+"`, `"."`, `"*"`.
public enum Marker: String, ExpressibleByStringLiteral, CaseIterable, Sendable {
    case circle = "o", square = "s", triangleUp = "^", triangleDown = "v", triangleLeft = "<", triangleRight = ">",
         diamond = "D", x = "x", plus = "+", point = ".", star = "*"

    public init(stringLiteral value: String) {
        guard let m = Marker(rawValue: value) else { fail("Unrecognized marker style '\(value)'") }
        self = m
    }

    /// Drawn with strokes only (no fill), like matplotlib's unfilled markers.
    var isUnfilled: Bool { self == .x || self == .plus }

    /// The outline for a marker of `size` pixels (matplotlib's marker paths, centred on 0, y down).
    func path(size s: Double) -> String {
        let h = s / 2
        func p(_ pts: [(Double, Double)]) -> String {
            "M" + pts.map { svgNum($0.0) + " " + svgNum($0.1) }.joined(separator: "L") + "Z"
        }
        switch self {
        case .circle, .point:
            let r = self == .point ? h / 2 : h
            return "M\(svgNum(-r)) 0A\(svgNum(r)) \(svgNum(r)) 0 1 0 \(svgNum(r)) 0A\(svgNum(r)) \(svgNum(r)) 0 1 0 \(svgNum(-r)) 0Z"
        case .square: return p([(-h, -h), (h, -h), (h, h), (-h, h)])
        case .triangleUp: return p([(0, -h), (-h, h), (h, h)])
        case .triangleDown: return p([(0, h), (-h, -h), (h, -h)])
        case .triangleLeft: return p([(-h, 0), (h, -h), (h, h)])
        case .triangleRight: return p([(h, 0), (-h, -h), (-h, h)])
        case .diamond:
            let d = h * 0.6 * 2.squareRoot()
            return p([(0, -d), (d, 0), (0, d), (-d, 0)])
        case .x: return "M\(svgNum(-h)) \(svgNum(-h))L\(svgNum(h)) \(svgNum(h))M\(svgNum(-h)) \(svgNum(h))L\(svgNum(h)) \(svgNum(-h))"
        case .plus: return "M\(svgNum(-h)) 0L\(svgNum(h)) 0M0 \(svgNum(-h))L0 \(svgNum(h))"
        case .star:
            var pts: [(Double, Double)] = []
            for k in 0..<10 {
                let r = k % 2 == 0 ? h : h * 0.381966, a = Double.pi * (Double(k) / 5 - 0.5)
                pts.append((r * cos(a), r * sin(a)))
            }
            return p(pts)
        }
    }
}

/// The scale of an axis (matplotlib's `set_yscale("log")`).
public enum AxisScale: String, Sendable { case linear, log }

/// Where a legend goes (matplotlib's `loc`); `.best` picks the corner that hides the least data.
public enum LegendLocation: String, Sendable, CaseIterable {
    case best, upperRight = "upper right", upperLeft = "upper left", lowerLeft = "lower left",
         lowerRight = "lower right", right, centerLeft = "center left", centerRight = "center right",
         lowerCenter = "lower center", upperCenter = "upper center", center
}
