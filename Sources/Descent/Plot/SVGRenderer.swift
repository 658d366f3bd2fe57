import Foundation

/// A rectangle in pixels, origin at the top left.
struct PixelRect {
    var x, y, w, h: Double
    func union(_ o: PixelRect) -> PixelRect {
        let x0 = Swift.min(x, o.x), y0 = Swift.min(y, o.y)
        return PixelRect(x: x0, y: y0, w: Swift.max(x + w, o.x + o.w) - x0, h: Swift.max(y + h, o.y + o.h) - y0)
    }
}

/// Maps data values on one axis to pixels (linear or log10).
struct AxisMap {
    /// The values at `p0` and `p1` (the view limits; `v0 > v1` for a flipped axis).
    let v0, v1: Double
    let log: Bool
    let p0, p1: Double
    func t(_ v: Double) -> Double { log ? log10(v) : v }
    func callAsFunction(_ v: Double) -> Double {
        let a = t(v0), b = t(v1)
        let p = p0 + (t(v) - a) / (b - a) * (p1 - p0)
        return Swift.min(Swift.max(p, -1e6), 1e6)
    }
    var lo: Double { Swift.min(v0, v1) }
    var hi: Double { Swift.max(v0, v1) }
    /// Whether `v` lies within the view (with a little slack for rounding).
    func shows(_ v: Double) -> Bool {
        if log && v <= 0 { return false }
        let a = t(lo), b = t(hi), x = t(v), eps = (b - a) * 1e-9
        return x >= a - eps && x <= b + eps
    }
}

/// One legend row: what its handle looks like and its text.
private enum LegendHandle {
    case line(Line2D), marker(PathCollection), patch(Color, Double)
}

/// Writes a `Figure` as SVG, in pixels (`width × height`, viewBox to match), with every size in
/// points converted by `ptToPx`.
struct SVGRenderer {
    let width: Double, height: Double, ptToPx: Double
    var out = ""
    var nextID = 0
    /// Each panel's extent with its tick labels, axis labels and title (for `tightLayout`), in pixels.
    var boxes: [ObjectIdentifier: PixelRect] = [:]
    private var currentBox: PixelRect?

    static let fontFamily = "DejaVu Sans, Bitstream Vera Sans, Arial, Helvetica, sans-serif"

    init(width: Double, height: Double, ptToPx: Double) {
        self.width = width; self.height = height; self.ptToPx = ptToPx
    }

    func pt(_ v: Double) -> Double { v * ptToPx }
    mutating func id(_ prefix: String) -> String { nextID += 1; return "\(prefix)\(nextID)" }

    mutating func render(_ fig: Figure) -> String {
        out = """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" \
        width="\(svgNum(width))" height="\(svgNum(height))" viewBox="0 0 \(svgNum(width)) \(svgNum(height))" \
        font-family="\(Self.fontFamily)">
        <!-- Made with Descent -->
        <rect width="\(svgNum(width))" height="\(svgNum(height))" fill="#ffffff"/>

        """
        for ax in fig.axes { renderAxes(ax) }
        if let t = fig.suptitleText {
            let size = pt(12)
            text(t, x: width / 2, y: height * 0.02 + capHeight * size, size: size, anchor: "middle")
        }
        out += "</svg>\n"
        return out
    }

    // MARK: Text and primitives

    /// A line of text with its baseline at `y`; `rotate` turns it about (x, y) in degrees (clockwise).
    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String, rotate: Double? = nil,
                       superscript: String? = nil) {
        if let box = currentBox {
            var w = textWidth(s, size: size)
            if let sup = superscript { w += textWidth(sup, size: size * 0.7) }
            let x0 = anchor == "middle" ? x - w / 2 : anchor == "end" ? x - w : x
            let up = (superscript != nil ? 1.05 : capHeight) * size, down = descentHeight * size
            // rotated text is the y label, turned -90°: it runs upwards from (x, y)
            let r = rotate != nil ? PixelRect(x: x - up, y: y - (w - (x - x0)), w: up + down, h: w)
                                  : PixelRect(x: x0, y: y - up, w: w, h: up + down)
            currentBox = box.union(r)
        }
        out += "<text x=\"\(svgNum(x))\" y=\"\(svgNum(y))\" font-size=\"\(svgNum(size))\""
        if anchor != "start" { out += " text-anchor=\"\(anchor)\"" }
        if let r = rotate { out += " transform=\"rotate(\(svgNum(r)) \(svgNum(x)) \(svgNum(y)))\"" }
        out += ">" + xmlEscape(s)
        if let sup = superscript {
            out += "<tspan dy=\"\(svgNum(-0.42 * size))\" font-size=\"\(svgNum(size * 0.7))\">\(xmlEscape(sup))</tspan>"
        }
        out += "</text>\n"
    }

    mutating func lineSegment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: String, width: Double) {
        out += "<path d=\"M\(svgNum(x0)) \(svgNum(y0))L\(svgNum(x1)) \(svgNum(y1))\" stroke=\"\(color)\" stroke-width=\"\(svgNum(width))\" stroke-linecap=\"square\"/>\n"
    }

    /// ` fill="…" fill-opacity="…"` (the opacity only when below 1).
    func paint(_ attr: String, _ c: Color, alpha: Double = 1) -> String {
        let a = c.alpha * alpha
        return " \(attr)=\"\(c.hex)\"" + (a < 1 ? " \(attr)-opacity=\"\(svgNum2(a))\"" : "")
    }
    func svgNum2(_ v: Double) -> String { String(format: "%.3g", v) }

    // MARK: Limits

    /// The data range of the artists along x (or y), positive values only on a log axis.
    func dataRange(_ ax: Axes, xAxis: Bool, log: Bool) -> (Double, Double)? {
        var lo = Double.infinity, hi = -Double.infinity
        func add(_ v: Double) { if v.isFinite && (!log || v > 0) { lo = Swift.min(lo, v); hi = Swift.max(hi, v) } }
        for a in ax.artists {
            switch a {
            case .line(let l): (xAxis ? l.x : l.y).forEach(add)
            case .scatter(let s): (xAxis ? s.x : s.y).forEach(add)
            case .image(let i):
                if xAxis { add(i.extent.left); add(i.extent.right) } else { add(i.extent.bottom); add(i.extent.top) }
            case .bars(let b): for r in b.bars { if xAxis { add(r.x0); add(r.x1) } else { add(r.y0); add(r.y1) } }
            case .segments(let s): for g in s.segments { if xAxis { add(g.0); add(g.2) } else { add(g.1); add(g.3) } }
            }
        }
        return lo <= hi ? (lo, hi) : nil
    }

    /// matplotlib's autoscale: the data range widened by 5% margins (in log10 space on a log axis),
    /// stopped at sticky edges (images, the base of bars).
    func viewLimits(_ ax: Axes, xAxis: Bool) -> (Double, Double) {
        let log = (xAxis ? ax.xScale : ax.yScale) == .log
        if let fixed = xAxis ? ax.xLimits : ax.yLimits {
            if log && (fixed.0 <= 0 || fixed.1 <= 0) { return (Swift.max(fixed.0, 1e-300), Swift.max(fixed.1, 1e-300)) }
            return fixed
        }
        guard var (lo, hi) = dataRange(ax, xAxis: xAxis, log: log) else { return log ? (1, 10) : (0, 1) }
        let t: (Double) -> Double = log ? { log10($0) } : { $0 }
        let inv: (Double) -> Double = log ? { Foundation.pow(10.0, $0) } : { $0 }
        var a = t(lo), b = t(hi)
        if a == b {  // matplotlib's nonsingular: widen a single value by 5% (±0.05 at zero)
            let d = a == 0 ? 0.05 : Swift.abs(a) * 0.05
            a -= d; b += d
        }
        let m = (b - a) * 0.05
        var newLo = inv(a - m), newHi = inv(b + m)
        lo = inv(a); hi = inv(b)
        let sticky = xAxis ? ax.stickyX : ax.stickyY
        if let s = sticky.filter({ $0 <= lo }).max(), newLo < s { newLo = s }
        if let s = sticky.filter({ $0 >= hi }).min(), newHi > s { newHi = s }
        return (newLo, newHi)
    }

    // MARK: Ticks

    struct TickSet {
        var major: [Double] = []
        var labels: [String] = []
        var superscripts: [String?] = []
        var minor: [Double] = []
        var multiplier: String?
    }

    func ticks(_ ax: Axes, map: AxisMap, vertical: Bool, length: Double, fontSize: Double) -> TickSet {
        var ts = TickSet()
        if let fixed = vertical ? ax.yTicksFixed : ax.xTicksFixed {
            ts.major = fixed.values
            if let l = fixed.labels {
                ts.labels = fixed.values.indices.map { $0 < l.count ? l[$0] : "" }
            } else {
                (ts.labels, ts.multiplier) = Ticks.format(fixed.values, viewInterval: (map.lo, map.hi))
            }
            ts.superscripts = ts.labels.map { _ in nil }
            return ts
        }
        if map.log {
            let numTicks = Ticks.nbins(length: length, fontSize: fontSize, vertical: vertical) + 1
            let (major, minor) = Ticks.log(map.lo, map.hi, numTicks: numTicks)
            ts.major = major.filter(map.shows)
            ts.minor = minor.filter(map.shows)
            ts.labels = ts.major.map { _ in "10" }
            ts.superscripts = ts.major.map { String(Int(log10($0).rounded())).replacingOccurrences(of: "-", with: "\u{2212}") }
            return ts
        }
        var nbins = Ticks.nbins(length: length, fontSize: fontSize, vertical: vertical)
        while true {
            let raw = Ticks.maxN(map.lo, map.hi, nbins: nbins)
            ts.major = raw.filter(map.shows)
            (ts.labels, ts.multiplier) = Ticks.format(ts.major, viewInterval: (map.lo, map.hi))
            ts.superscripts = ts.labels.map { _ in nil }
            // x labels must not touch: keep at least half a font size between neighbours
            if vertical || nbins == 1 { break }
            let spans = zip(ts.major, ts.labels).map { (map($0.0), textWidth($0.1, size: fontSize)) }
            let crowded = zip(spans, spans.dropFirst()).contains { a, b in
                Swift.abs(b.0 - a.0) < (a.1 + b.1) / 2 + fontSize * 0.5
            }
            if !crowded { break }
            nbins -= 1
        }
        return ts
    }

    // MARK: Axes

    mutating func renderAxes(_ ax: Axes) {
        let p = ax.position
        var frame = PixelRect(x: p.x * width, y: (1 - p.y - p.h) * height, w: p.w * width, h: p.h * height)
        let xl = viewLimits(ax, xAxis: true), yl = viewLimits(ax, xAxis: false)
        let xlog = ax.xScale == .log, ylog = ax.yScale == .log
        if ax.aspectEqual {
            let f: (Double) -> Double = { $0 }
            let dx = Swift.abs((xlog ? log10 : f)(xl.1) - (xlog ? log10 : f)(xl.0))
            let dy = Swift.abs((ylog ? log10 : f)(yl.1) - (ylog ? log10 : f)(yl.0))
            if dx > 0 && dy > 0 {
                if frame.h / frame.w > dy / dx {
                    let h = frame.w * dy / dx
                    frame.y += (frame.h - h) * (1 - ax.anchor.1); frame.h = h
                } else {
                    let w = frame.h * dx / dy
                    frame.x += (frame.w - w) * ax.anchor.0; frame.w = w
                }
            }
        }
        let mx = AxisMap(v0: xl.0, v1: xl.1, log: xlog, p0: frame.x, p1: frame.x + frame.w)
        let my = AxisMap(v0: yl.0, v1: yl.1, log: ylog, p0: frame.y + frame.h, p1: frame.y)
        let fs = pt(10)
        let tickLen = pt(3.5), tickPad = pt(3.5), tickW = pt(0.8)

        out += "<g>\n"
        out += "<rect x=\"\(svgNum(frame.x))\" y=\"\(svgNum(frame.y))\" width=\"\(svgNum(frame.w))\" height=\"\(svgNum(frame.h))\" fill=\"#ffffff\"/>\n"
        currentBox = frame
        defer { boxes[ObjectIdentifier(ax)] = currentBox; currentBox = nil }

        let xt = ax.colorbarOf != nil ? TickSet() : ticks(ax, map: mx, vertical: false, length: frame.w, fontSize: fs)
        let yt = ticks(ax, map: my, vertical: true, length: frame.h, fontSize: fs)

        // artists, clipped to the panel; the grid goes between patches (z 1) and lines (z 2)
        let clip = id("clip")
        out += "<clipPath id=\"\(clip)\"><rect x=\"\(svgNum(frame.x))\" y=\"\(svgNum(frame.y))\" width=\"\(svgNum(frame.w))\" height=\"\(svgNum(frame.h))\"/></clipPath>\n"
        out += "<g clip-path=\"url(#\(clip))\">\n"
        if let img = ax.colorbarOf { drawColorbarGradient(img, frame: frame) }
        let sorted = ax.artists.enumerated().sorted { ($0.element.zorder, $0.offset) < ($1.element.zorder, $1.offset) }.map(\.element)
        for a in sorted where a.zorder < 1.5 { draw(a, mx, my) }
        if ax.gridOn {
            var d: [UInt8] = []
            for v in xt.major where mx.shows(v) {
                let x = mx(v); d += Array("M".utf8); appendNum(&d, x); d.append(0x20); appendNum(&d, frame.y)
                d += Array("V".utf8); appendNum(&d, frame.y + frame.h)
            }
            for v in yt.major where my.shows(v) {
                let y = my(v); d += Array("M".utf8); appendNum(&d, frame.x); d.append(0x20); appendNum(&d, y)
                d += Array("H".utf8); appendNum(&d, frame.x + frame.w)
            }
            if !d.isEmpty {
                out += "<path d=\"\(String(decoding: d, as: UTF8.self))\" fill=\"none\" stroke=\"#b0b0b0\" stroke-width=\"\(svgNum(pt(0.8)))\" stroke-linecap=\"square\"/>\n"
            }
        }
        for a in sorted where a.zorder >= 1.5 { draw(a, mx, my) }
        out += "</g>\n"

        // spines, ticks and tick labels
        var xLabelTop = frame.y + frame.h
        var yLabelRight = frame.x
        let yRight = ax.colorbarOf != nil
        if ax.axisOn {
            if ax.spinesVisible {
                out += "<rect x=\"\(svgNum(frame.x))\" y=\"\(svgNum(frame.y))\" width=\"\(svgNum(frame.w))\" height=\"\(svgNum(frame.h))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"\(svgNum(tickW))\" stroke-linejoin=\"miter\"/>\n"
            }
            var d: [UInt8] = []
            var dMinor: [UInt8] = []
            let bottom = frame.y + frame.h
            for v in xt.major where mx.shows(v) {
                d += Array("M".utf8); appendNum(&d, mx(v)); d.append(0x20); appendNum(&d, bottom); d += Array("v".utf8); appendNum(&d, tickLen)
            }
            for v in xt.minor where mx.shows(v) {
                dMinor += Array("M".utf8); appendNum(&dMinor, mx(v)); dMinor.append(0x20); appendNum(&dMinor, bottom); dMinor += Array("v".utf8); appendNum(&dMinor, pt(2))
            }
            let yEdge = yRight ? frame.x + frame.w : frame.x
            let dir: Double = yRight ? 1 : -1
            for v in yt.major where my.shows(v) {
                d += Array("M".utf8); appendNum(&d, yEdge); d.append(0x20); appendNum(&d, my(v)); d += Array("h".utf8); appendNum(&d, dir * tickLen)
            }
            for v in yt.minor where my.shows(v) {
                dMinor += Array("M".utf8); appendNum(&dMinor, yEdge); dMinor.append(0x20); appendNum(&dMinor, my(v)); dMinor += Array("h".utf8); appendNum(&dMinor, dir * pt(2))
            }
            if !d.isEmpty { out += "<path d=\"\(String(decoding: d, as: UTF8.self))\" stroke=\"#000000\" stroke-width=\"\(svgNum(tickW))\"/>\n" }
            if !dMinor.isEmpty { out += "<path d=\"\(String(decoding: dMinor, as: UTF8.self))\" stroke=\"#000000\" stroke-width=\"\(svgNum(pt(0.6)))\"/>\n" }

            let xBase = bottom + tickLen + tickPad + capHeight * fs
            var anyX = false
            for (i, v) in xt.major.enumerated() where mx.shows(v) {
                text(xt.labels[i], x: mx(v), y: xBase, size: fs, anchor: "middle", superscript: xt.superscripts[i])
                anyX = true
            }
            if anyX { xLabelTop = xBase + descentHeight * fs + (xt.superscripts.contains { $0 != nil } ? 0 : 0) }
            else { xLabelTop = bottom + tickLen }
            if let m = xt.multiplier { text(m, x: frame.x + frame.w, y: xBase + fs * 1.3, size: fs, anchor: "end") }

            var widest = 0.0
            let yLabelX = yRight ? yEdge + tickLen + tickPad : yEdge - tickLen - tickPad
            for (i, v) in yt.major.enumerated() where my.shows(v) {
                text(yt.labels[i], x: yLabelX, y: my(v) + capHeight * fs / 2, size: fs, anchor: yRight ? "start" : "end",
                     superscript: yt.superscripts[i])
                var w = textWidth(yt.labels[i], size: fs)
                if let s = yt.superscripts[i] { w += textWidth(s, size: fs * 0.7) }
                widest = Swift.max(widest, w)
            }
            yLabelRight = widest > 0 ? yLabelX - widest : yEdge - tickLen
            if let m = yt.multiplier {
                text(m, x: yRight ? frame.x + frame.w : frame.x, y: frame.y - pt(4), size: fs, anchor: yRight ? "end" : "start")
            }

            if let l = ax.xLabel {
                text(l, x: frame.x + frame.w / 2, y: xLabelTop + pt(4) + 0.76 * fs, size: fs, anchor: "middle")
            }
            if let l = ax.yLabel {
                let x = yRight ? frame.x + frame.w + tickLen + tickPad + widest + pt(4) + 0.76 * fs
                                : yLabelRight - pt(4) - descentHeight * fs
                text(l, x: x, y: frame.y + frame.h / 2, size: fs, anchor: "middle", rotate: -90)
            }
        }
        if let t = ax.title {
            let size = pt(12)
            text(t, x: frame.x + frame.w / 2, y: frame.y - pt(6) - descentHeight * size, size: size, anchor: "middle")
        }
        if let spec = ax.legendSpec { drawLegend(ax, spec: spec, frame: frame, mx: mx, my: my, fs: fs) }
        out += "</g>\n"
    }

    // MARK: Artists

    mutating func draw(_ a: Artist, _ mx: AxisMap, _ my: AxisMap) {
        switch a {
        case .line(let l): drawLine(l, mx, my)
        case .scatter(let s): drawScatter(s, mx, my)
        case .image(let i): drawImage(i, mx, my)
        case .bars(let b): drawBars(b, mx, my)
        case .segments(let s):
            var d: [UInt8] = []
            d.reserveCapacity(s.segments.count * 24)
            for g in s.segments {
                d.append(0x4D); appendNum(&d, mx(g.0)); d.append(0x20); appendNum(&d, my(g.1))
                d.append(0x4C); appendNum(&d, mx(g.2)); d.append(0x20); appendNum(&d, my(g.3))
            }
            if !d.isEmpty {
                out += "<path d=\"\(String(decoding: d, as: UTF8.self))\" fill=\"none\"\(paint("stroke", s.color)) stroke-width=\"\(svgNum(pt(s.lineWidth)))\"/>\n"
            }
        }
    }

    /// The path of a polyline in pixels: breaks at NaN (and at values ≤ 0 on a log axis), and drops
    /// points closer than a quarter pixel to the previous one, so long series stay small.
    func polyline(_ xs: [Double], _ ys: [Double], _ mx: AxisMap, _ my: AxisMap) -> [UInt8] {
        var d: [UInt8] = []
        d.reserveCapacity(Swift.min(xs.count, 20000) * 14)
        var penDown = false
        var last = (0.0, 0.0)
        var pending: (Double, Double)?
        for i in xs.indices {
            let x = xs[i], y = ys[i]
            if !(x.isFinite && y.isFinite) || (mx.log && x <= 0) || (my.log && y <= 0) {
                if let p = pending { d.append(0x4C); appendNum(&d, p.0); d.append(0x20); appendNum(&d, p.1); pending = nil }
                penDown = false
                continue
            }
            let px = mx(x), py = my(y)
            if !penDown {
                d.append(0x4D); appendNum(&d, px); d.append(0x20); appendNum(&d, py)
                penDown = true; last = (px, py); pending = nil
                continue
            }
            if Swift.abs(px - last.0) < 0.25 && Swift.abs(py - last.1) < 0.25 { pending = (px, py); continue }
            d.append(0x4C); appendNum(&d, px); d.append(0x20); appendNum(&d, py)
            last = (px, py); pending = nil
        }
        if let p = pending { d.append(0x4C); appendNum(&d, p.0); d.append(0x20); appendNum(&d, p.1) }
        return d
    }

    mutating func drawLine(_ l: Line2D, _ mx: AxisMap, _ my: AxisMap) {
        if l.lineStyle != .none && l.lineWidth > 0 {
            let d = polyline(l.x, l.y, mx, my)
            if !d.isEmpty {
                let w = pt(l.lineWidth)
                out += "<path d=\"\(String(decoding: d, as: UTF8.self))\" fill=\"none\"\(paint("stroke", l.color, alpha: l.alpha)) stroke-width=\"\(svgNum(w))\" stroke-linejoin=\"round\""
                if let dash = l.lineStyle.dashPattern {
                    out += " stroke-dasharray=\"\(dash.map { svgNum($0 * w) }.joined(separator: ","))\" stroke-linecap=\"butt\""
                } else {
                    out += " stroke-linecap=\"square\""
                }
                out += "/>\n"
            }
        }
        if let m = l.marker {
            let sym = id("m")
            out += "<defs><path id=\"\(sym)\" d=\"\(m.path(size: pt(l.markerSize)))\"/></defs>\n"
            out += "<g\(m.isUnfilled ? " fill=\"none\"" + paint("stroke", l.color, alpha: l.alpha) : paint("fill", l.color, alpha: l.alpha))"
            out += m.isUnfilled ? " stroke-width=\"\(svgNum(pt(1)))\">\n" : ">\n"
            for i in l.x.indices where mx.shows(l.x[i]) && my.shows(l.y[i]) {
                out += "<use xlink:href=\"#\(sym)\" x=\"\(svgNum(mx(l.x[i])))\" y=\"\(svgNum(my(l.y[i])))\"/>\n"
            }
            out += "</g>\n"
        }
    }

    mutating func drawScatter(_ s: PathCollection, _ mx: AxisMap, _ my: AxisMap) {
        let size = pt(s.size.squareRoot())
        var symbols: [Marker: String] = [:]
        var defs = ""
        for m in Set(s.markers) {
            let sym = id("m")
            symbols[m] = sym
            defs += "<path id=\"\(sym)\" d=\"\(m.path(size: size))\"/>"
        }
        out += "<defs>\(defs)</defs>\n"
        let uniform = s.colors.count == 1
        out += "<g"
        if uniform { out += paint("fill", s.colors[0], alpha: s.alpha) }
        if let e = s.edgeColor { out += paint("stroke", e, alpha: s.alpha) + " stroke-width=\"\(svgNum(pt(s.edgeWidth)))\"" }
        out += ">\n"
        for i in s.x.indices {
            let x = s.x[i], y = s.y[i]
            guard x.isFinite && y.isFinite && (!mx.log || x > 0) && (!my.log || y > 0) else { continue }
            let m = s.marker(i)
            out += "<use xlink:href=\"#\(symbols[m]!)\" x=\"\(svgNum(mx(x)))\" y=\"\(svgNum(my(y)))\""
            if m.isUnfilled {
                out += " fill=\"none\"" + paint("stroke", s.color(i), alpha: s.alpha) + " stroke-width=\"\(svgNum(pt(1.5)))\""
            } else if !uniform {
                out += paint("fill", s.color(i), alpha: s.alpha)
            }
            out += "/>\n"
        }
        out += "</g>\n"
    }

    mutating func drawImagePixels(width w: Int, height h: Int, rgba: [UInt8], x0: Double, y0: Double, x1: Double, y1: Double, nearest: Bool) {
        // Renderers smooth a scaled image (librsvg ignores image-rendering), so a "nearest" image is
        // enlarged here first, to at least one image pixel per picture pixel: then smoothing only touches
        // the edges between cells, as in matplotlib's own resampling.
        var (w, h, rgba) = (w, h, rgba)
        if nearest {
            let kx = Swift.max(1, Int((Swift.abs(x1 - x0) / Double(w)).rounded(.up)))
            let ky = Swift.max(1, Int((Swift.abs(y1 - y0) / Double(h)).rounded(.up)))
            if (kx > 1 || ky > 1) && w * kx * h * ky <= 1 << 24 {
                var big = [UInt8](repeating: 0, count: w * kx * h * ky * 4)
                for y in 0..<(h * ky) {
                    let src = (y / ky) * w * 4, dst = y * w * kx * 4
                    for x in 0..<(w * kx) {
                        let s = src + (x / kx) * 4, d = dst + x * 4
                        big[d] = rgba[s]; big[d + 1] = rgba[s + 1]; big[d + 2] = rgba[s + 2]; big[d + 3] = rgba[s + 3]
                    }
                }
                (w, h, rgba) = (w * kx, h * ky, big)
            }
        }
        let png = encodePNG(width: w, height: h, rgba: rgba)
        let sx = (x1 - x0) / Double(w), sy = (y1 - y0) / Double(h)
        out += "<image width=\"\(w)\" height=\"\(h)\" preserveAspectRatio=\"none\""
        out += " transform=\"matrix(\(String(format: "%.6g", sx)) 0 0 \(String(format: "%.6g", sy)) \(svgNum(x0)) \(svgNum(y0)))\""
        if nearest { out += " image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\"" }
        out += " xlink:href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
    }

    mutating func drawImage(_ i: AxesImage, _ mx: AxisMap, _ my: AxisMap) {
        drawImagePixels(width: i.width, height: i.height, rgba: i.rgba, x0: mx(i.extent.left), y0: my(i.extent.top),
                        x1: mx(i.extent.right), y1: my(i.extent.bottom), nearest: i.nearest)
    }

    mutating func drawColorbarGradient(_ img: AxesImage, frame: PixelRect) {
        guard let cmap = img.cmap else { return }
        var px = [UInt8](repeating: 255, count: 256 * 4)
        for r in 0..<256 {
            let (cr, cg, cb) = cmap.rgb8((255.5 - Double(r)) / 256)
            px[r * 4] = cr; px[r * 4 + 1] = cg; px[r * 4 + 2] = cb
        }
        drawImagePixels(width: 1, height: 256, rgba: px, x0: frame.x, y0: frame.y, x1: frame.x + frame.w, y1: frame.y + frame.h, nearest: true)
    }

    mutating func drawBars(_ b: BarContainer, _ mx: AxisMap, _ my: AxisMap) {
        var d: [UInt8] = []
        for r in b.bars {
            if my.log && (r.y1 <= 0) { continue }
            let x0 = mx(r.x0), x1 = mx(r.x1)
            let y0 = my.log && r.y0 <= 0 ? my.p0 + 1e4 * (my.p0 > my.p1 ? 1 : -1) : my(r.y0), y1 = my(r.y1)
            d.append(0x4D); appendNum(&d, x0); d.append(0x20); appendNum(&d, y0)
            d.append(0x48); appendNum(&d, x1); d.append(0x56); appendNum(&d, y1)
            d.append(0x48); appendNum(&d, x0); d.append(0x5A)
        }
        guard !d.isEmpty else { return }
        out += "<path d=\"\(String(decoding: d, as: UTF8.self))\"\(paint("fill", b.color, alpha: b.alpha))"
        if let e = b.edgeColor { out += paint("stroke", e, alpha: b.alpha) + " stroke-width=\"\(svgNum(pt(1)))\"" }
        out += "/>\n"
    }

    // MARK: Legend

    mutating func drawLegend(_ ax: Axes, spec: (loc: LegendLocation, frameAlpha: Double), frame: PixelRect,
                             mx: AxisMap, my: AxisMap, fs: Double) {
        var rows: [(LegendHandle, String)] = []
        for a in ax.artists {
            switch a {
            case .line(let l): if let t = l.label, !t.hasPrefix("_") { rows.append((.line(l), t)) }
            case .scatter(let s): if let t = s.label, !t.hasPrefix("_") { rows.append((.marker(s), t)) }
            case .bars(let b): if let t = b.label, !t.hasPrefix("_") { rows.append((.patch(b.color, b.alpha), t)) }
            case .image, .segments: break
            }
        }
        if rows.isEmpty {
            warnOnce("No artists with labels found to put in legend.  Note that artists whose label start with an underscore are ignored when legend() is called with no argument.")
            return
        }
        let pad = 0.4 * fs, spacing = 0.5 * fs, handleLen = 2.0 * fs, handleGap = 0.8 * fs, axPad = 0.5 * fs
        let rowH = (0.928 + descentHeight) * fs
        let textW = rows.map { textWidth($0.1, size: fs) }.max()!
        let boxW = 2 * pad + handleLen + handleGap + textW
        let boxH = 2 * pad + Double(rows.count) * rowH + Double(rows.count - 1) * spacing

        func origin(_ loc: LegendLocation) -> (Double, Double) {
            let left = frame.x + axPad, right = frame.x + frame.w - axPad - boxW
            let top = frame.y + axPad, bottom = frame.y + frame.h - axPad - boxH
            let cx = frame.x + (frame.w - boxW) / 2, cy = frame.y + (frame.h - boxH) / 2
            switch loc {
            case .best, .upperRight: return (right, top)
            case .upperLeft: return (left, top)
            case .lowerLeft: return (left, bottom)
            case .lowerRight: return (right, bottom)
            case .right, .centerRight: return (right, cy)
            case .centerLeft: return (left, cy)
            case .lowerCenter: return (cx, bottom)
            case .upperCenter: return (cx, top)
            case .center: return (cx, cy)
            }
        }
        var loc = spec.loc
        if loc == .best {
            // matplotlib's "best": the first of its candidate places that covers the fewest data points and line pieces
            let candidates: [LegendLocation] = [.upperRight, .upperLeft, .lowerLeft, .lowerRight, .right, .centerLeft,
                                                .centerRight, .lowerCenter, .upperCenter, .center]
            var best = (Int.max, LegendLocation.upperRight)
            for c in candidates {
                let (ox, oy) = origin(c)
                let n = legendBadness(ax, x0: ox, y0: oy, x1: ox + boxW, y1: oy + boxH, mx: mx, my: my, limit: best.0)
                if n < best.0 { best = (n, c) }
                if n == 0 { break }
            }
            loc = best.1
        }
        let (ox, oy) = origin(loc)
        out += "<g>\n<rect x=\"\(svgNum(ox))\" y=\"\(svgNum(oy))\" width=\"\(svgNum(boxW))\" height=\"\(svgNum(boxH))\" rx=\"\(svgNum(0.2 * fs))\""
        out += " fill=\"#ffffff\" fill-opacity=\"\(svgNum2(spec.frameAlpha))\" stroke=\"#cccccc\" stroke-opacity=\"\(svgNum2(spec.frameAlpha))\" stroke-width=\"\(svgNum(pt(1)))\"/>\n"
        for (i, row) in rows.enumerated() {
            let top = oy + pad + Double(i) * (rowH + spacing)
            let midY = top + rowH / 2
            let hx = ox + pad
            switch row.0 {
            case .line(let l):
                if l.lineStyle != .none {
                    let w = pt(l.lineWidth)
                    out += "<path d=\"M\(svgNum(hx)) \(svgNum(midY))H\(svgNum(hx + handleLen))\"\(paint("stroke", l.color, alpha: l.alpha)) stroke-width=\"\(svgNum(w))\""
                    if let dash = l.lineStyle.dashPattern { out += " stroke-dasharray=\"\(dash.map { svgNum($0 * w) }.joined(separator: ","))\"" }
                    else { out += " stroke-linecap=\"square\"" }
                    out += "/>\n"
                }
                if let m = l.marker {
                    out += "<path transform=\"translate(\(svgNum(hx + handleLen / 2)) \(svgNum(midY)))\" d=\"\(m.path(size: pt(l.markerSize)))\""
                    out += m.isUnfilled ? " fill=\"none\"" + paint("stroke", l.color) : paint("fill", l.color)
                    out += "/>\n"
                }
            case .marker(let s):
                let m = s.markers[0]
                out += "<path transform=\"translate(\(svgNum(hx + handleLen / 2)) \(svgNum(midY)))\" d=\"\(m.path(size: pt(s.size.squareRoot())))\""
                if m.isUnfilled {
                    out += " fill=\"none\"" + paint("stroke", s.colors[0], alpha: s.alpha) + " stroke-width=\"\(svgNum(pt(1.5)))\""
                } else {
                    out += paint("fill", s.colors[0], alpha: s.alpha)
                    if let e = s.edgeColor { out += paint("stroke", e, alpha: s.alpha) + " stroke-width=\"\(svgNum(pt(s.edgeWidth)))\"" }
                }
                out += "/>\n"
            case .patch(let c, let alpha):
                let hh = 0.7 * fs
                out += "<rect x=\"\(svgNum(hx))\" y=\"\(svgNum(midY - hh / 2))\" width=\"\(svgNum(handleLen))\" height=\"\(svgNum(hh))\"\(paint("fill", c, alpha: alpha))/>\n"
            }
            text(row.1, x: hx + handleLen + handleGap, y: top + 0.928 * fs, size: fs, anchor: "start")
        }
        out += "</g>\n"
    }

    /// How much data a legend box at (x0, y0)–(x1, y1) would hide: points inside plus line pieces crossing it.
    func legendBadness(_ ax: Axes, x0: Double, y0: Double, x1: Double, y1: Double, mx: AxisMap, my: AxisMap, limit: Int) -> Int {
        var n = 0
        func inside(_ x: Double, _ y: Double) -> Bool { x >= x0 && x <= x1 && y >= y0 && y <= y1 }
        func crosses(_ ax_: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Bool {
            // Liang–Barsky: does the segment meet the box?
            var t0 = 0.0, t1 = 1.0
            let dx = bx - ax_, dy = by - ay
            for (p, q) in [(-dx, ax_ - x0), (dx, x1 - ax_), (-dy, ay - y0), (dy, y1 - ay)] {
                if p == 0 { if q < 0 { return false } } else {
                    let r = q / p
                    if p < 0 { if r > t1 { return false }; t0 = Swift.max(t0, r) } else { if r < t0 { return false }; t1 = Swift.min(t1, r) }
                }
            }
            return true
        }
        for a in ax.artists {
            switch a {
            case .line(let l):
                var prev: (Double, Double)?
                for i in l.x.indices {
                    guard l.x[i].isFinite && l.y[i].isFinite else { prev = nil; continue }
                    let p = (mx(l.x[i]), my(l.y[i]))
                    if inside(p.0, p.1) { n += 1 }
                    else if let q = prev, crosses(q.0, q.1, p.0, p.1) { n += 1 }
                    prev = p
                    if n >= limit { return n }
                }
            case .scatter(let s):
                for i in s.x.indices where s.x[i].isFinite && s.y[i].isFinite && inside(mx(s.x[i]), my(s.y[i])) { n += 1 }
            case .bars(let b):
                for r in b.bars where inside(mx((r.x0 + r.x1) / 2), my(r.y1)) { n += 1 }
            case .image, .segments: break
            }
            if n >= limit { return n }
        }
        return n
    }
}
