import CZlib
import Foundation

// PNG output: the figure's SVG (see SVGRenderer) drawn into pixels by Descent itself, so a PNG and
// the SVG of one figure show the same picture. Only the SVG that SVGRenderer writes is understood:
// rect, path (M L H V A Q C Z, absolute and relative), text with a superscript tspan, defs/use,
// g with inherited paint, rectangular clip paths, and PNG images with a scale-and-translate matrix.
// Shapes are filled with exact-area anti-aliasing (signed-area accumulation, as font-rs does); text
// is drawn from DejaVu Sans outlines embedded in GlyphData.swift.

struct RPoint { var x: Double, y: Double }

/// An affine map (SVG's matrix(a b c d e f)).
struct Affine {
    var a = 1.0, b = 0.0, c = 0.0, d = 1.0, e = 0.0, f = 0.0
    func apply(_ p: RPoint) -> RPoint { RPoint(x: a * p.x + c * p.y + e, y: b * p.x + d * p.y + f) }
    /// `self` applied after `r`.
    func after(_ r: Affine) -> Affine {
        Affine(a: a * r.a + c * r.b, b: b * r.a + d * r.b, c: a * r.c + c * r.d, d: b * r.c + d * r.d,
               e: a * r.e + c * r.f + e, f: b * r.e + d * r.f + f)
    }
    static func translate(_ x: Double, _ y: Double) -> Affine { Affine(e: x, f: y) }
    static func rotate(degrees: Double, about cx: Double, _ cy: Double) -> Affine {
        let t = degrees * .pi / 180, co = cos(t), si = sin(t)
        return Affine(a: co, b: si, c: -si, d: co, e: cx - co * cx + si * cy, f: cy - si * cx - co * cy)
    }
    var isIdentity: Bool { a == 1 && b == 0 && c == 0 && d == 1 && e == 0 && f == 0 }
}

struct ClipRect { var x0, y0, x1, y1: Double }

/// An RGB picture on an opaque background, drawn into with coverage-weighted "over" compositing.
final class RasterCanvas {
    let width: Int, height: Int
    /// Red, green and blue per pixel, 0...1.
    var rgb: [Float]
    private var acc: [Float] = []

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        rgb = [Float](repeating: 1, count: width * height * 3)
    }

    /// 8-bit RGBA, fully opaque.
    var rgba8: [UInt8] {
        var out = [UInt8](repeating: 255, count: width * height * 4)
        for i in 0..<(width * height) {
            for k in 0..<3 { out[i * 4 + k] = UInt8(Swift.max(0, Swift.min(255, (rgb[i * 3 + k] * 255).rounded()))) }
        }
        return out
    }

    /// Fills the polygons (closed implicitly; winding added up, so holes run the other way round)
    /// with `color` at `alpha`, inside `clip`.
    func fill(_ polygons: [[RPoint]], color: (Float, Float, Float), alpha: Float, clip: ClipRect?) {
        guard alpha > 0 else { return }
        var lo = RPoint(x: .infinity, y: .infinity), hi = RPoint(x: -.infinity, y: -.infinity)
        for poly in polygons { for p in poly where p.x.isFinite && p.y.isFinite {
            lo.x = Swift.min(lo.x, p.x); lo.y = Swift.min(lo.y, p.y); hi.x = Swift.max(hi.x, p.x); hi.y = Swift.max(hi.y, p.y)
        } }
        var cx0 = 0.0, cy0 = 0.0, cx1 = Double(width), cy1 = Double(height)
        if let c = clip { cx0 = Swift.max(cx0, c.x0); cy0 = Swift.max(cy0, c.y0); cx1 = Swift.min(cx1, c.x1); cy1 = Swift.min(cy1, c.y1) }
        let bx0 = Int(Swift.max(lo.x, cx0).rounded(.down)), by0 = Int(Swift.max(lo.y, cy0).rounded(.down))
        let bx1 = Int(Swift.min(hi.x, cx1).rounded(.up)), by1 = Int(Swift.min(hi.y, cy1).rounded(.up))
        guard bx1 > bx0 && by1 > by0 else { return }
        let lw = bx1 - bx0, lh = by1 - by0, stride = lw + 2
        if acc.count < stride * lh { acc = [Float](repeating: 0, count: stride * lh) }
        else { for i in 0..<(stride * lh) { acc[i] = 0 } }
        acc.withUnsafeMutableBufferPointer { a in
            for poly in polygons where poly.count >= 3 {
                var prev = poly[poly.count - 1]
                for p in poly {
                    accumulateEdge(a.baseAddress!, stride: stride, rows: lh, width: Double(lw),
                                   prev.x - Double(bx0), prev.y - Double(by0), p.x - Double(bx0), p.y - Double(by0))
                    prev = p
                }
            }
        }
        // the clip rectangle's share of each boundary row and column
        func share(_ i: Int, _ c0: Double, _ c1: Double) -> Float {
            Float(Swift.max(0, Swift.min(Double(i + 1), c1) - Swift.max(Double(i), c0)))
        }
        let (r, g, b) = color
        for y in 0..<lh {
            let py = by0 + y
            let rowShare = clip == nil ? 1 : share(py, cy0, cy1)
            var sum: Float = 0
            let base = y * stride
            for x in 0..<lw {
                sum += acc[base + x]
                var cov = Swift.min(1, Swift.abs(sum))
                if cov <= 0.0001 { continue }
                let px = bx0 + x
                if clip != nil { cov *= rowShare * share(px, cx0, cx1) }
                let k = cov * alpha
                let o = (py * width + px) * 3
                rgb[o] += (r - rgb[o]) * k
                rgb[o + 1] += (g - rgb[o + 1]) * k
                rgb[o + 2] += (b - rgb[o + 2]) * k
            }
        }
    }

    /// Draws `w × h` RGBA pixels mapped onto the canvas by `m` (a scale and a translation), nearest or
    /// bilinear, composited by their alpha.
    func image(width w: Int, height h: Int, rgba: [UInt8], transform m: Affine, nearest: Bool, clip: ClipRect?) {
        guard w > 0 && h > 0 && m.a != 0 && m.d != 0 else { return }
        let p0 = m.apply(RPoint(x: 0, y: 0)), p1 = m.apply(RPoint(x: Double(w), y: Double(h)))
        var x0 = Swift.min(p0.x, p1.x), x1 = Swift.max(p0.x, p1.x), y0 = Swift.min(p0.y, p1.y), y1 = Swift.max(p0.y, p1.y)
        if let c = clip { x0 = Swift.max(x0, c.x0); y0 = Swift.max(y0, c.y0); x1 = Swift.min(x1, c.x1); y1 = Swift.min(y1, c.y1) }
        let ix0 = Swift.max(0, Int(x0.rounded())), ix1 = Swift.min(width, Int(x1.rounded()))
        let iy0 = Swift.max(0, Int(y0.rounded())), iy1 = Swift.min(height, Int(y1.rounded()))
        guard ix1 > ix0 && iy1 > iy0 else { return }
        func texel(_ u: Int, _ v: Int, _ k: Int) -> Float {
            Float(rgba[(Swift.max(0, Swift.min(h - 1, v)) * w + Swift.max(0, Swift.min(w - 1, u))) * 4 + k]) / 255
        }
        for py in iy0..<iy1 {
            let v = (Double(py) + 0.5 - m.f) / m.d
            for px in ix0..<ix1 {
                let u = (Double(px) + 0.5 - m.e) / m.a
                var c: (Float, Float, Float, Float)
                if nearest {
                    let iu = Int(u.rounded(.down)), iv = Int(v.rounded(.down))
                    c = (texel(iu, iv, 0), texel(iu, iv, 1), texel(iu, iv, 2), texel(iu, iv, 3))
                } else {
                    let fu = u - 0.5, fv = v - 0.5
                    let iu = Int(fu.rounded(.down)), iv = Int(fv.rounded(.down))
                    let tu = Float(fu - Double(iu)), tv = Float(fv - Double(iv))
                    func lerp(_ k: Int) -> Float {
                        let top = texel(iu, iv, k) * (1 - tu) + texel(iu + 1, iv, k) * tu
                        let bottom = texel(iu, iv + 1, k) * (1 - tu) + texel(iu + 1, iv + 1, k) * tu
                        return top * (1 - tv) + bottom * tv
                    }
                    c = (lerp(0), lerp(1), lerp(2), lerp(3))
                }
                let o = (py * width + px) * 3
                rgb[o] += (c.0 - rgb[o]) * c.3
                rgb[o + 1] += (c.1 - rgb[o + 1]) * c.3
                rgb[o + 2] += (c.2 - rgb[o + 2]) * c.3
            }
        }
    }
}

/// Adds the signed area that the edge (x0, y0)–(x1, y1) covers to the accumulation buffer (font-rs's
/// `draw_line`): each row gets, per pixel, the change in coverage; a running sum along the row gives
/// the winding-weighted coverage. x is clamped into [0, width]: what lies left of the box still winds.
@inline(__always)
private func accumulateEdge(_ a: UnsafeMutablePointer<Float>, stride: Int, rows: Int, width: Double,
                            _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) {
    guard ay.isFinite && by.isFinite && ax.isFinite && bx.isFinite, ay != by else { return }
    let dir: Float = ay < by ? 1 : -1
    var (x0, y0, x1, y1) = ay < by ? (ax, ay, bx, by) : (bx, by, ax, ay)
    x0 = Swift.min(Swift.max(x0, 0), width); x1 = Swift.min(Swift.max(x1, 0), width)
    if y1 <= 0 || y0 >= Double(rows) { return }
    let dxdy = (x1 - x0) / (y1 - y0)
    var x = x0
    if y0 < 0 { x -= y0 * dxdy; y0 = 0 }
    let yEnd = Swift.min(rows, Int(y1.rounded(.up)))
    var row = Int(y0.rounded(.down))
    while row < yEnd {
        let dy = Swift.min(Double(row + 1), y1) - Swift.max(Double(row), y0)
        var xnext = x + dxdy * dy
        xnext = Swift.min(Swift.max(xnext, 0), width)
        let d = Float(dy) * dir
        let (lo, hi) = x < xnext ? (x, xnext) : (xnext, x)
        let line = a + row * stride
        let loFloor = lo.rounded(.down), hiCeil = hi.rounded(.up)
        let i0 = Int(loFloor), i1 = Int(hiCeil)
        if i1 <= i0 + 1 {
            let xmf = Float(0.5 * (x + xnext) - loFloor)
            line[i0] += d - d * xmf
            line[i0 + 1] += d * xmf
        } else {
            let s = Float(1 / (hi - lo))
            let x0f = Float(lo - loFloor)
            let a0 = 0.5 * s * (1 - x0f) * (1 - x0f)
            let x1f = Float(hi - hiCeil + 1)
            let am = 0.5 * s * x1f * x1f
            line[i0] += d * a0
            if i1 == i0 + 2 {
                line[i0 + 1] += d * (1 - a0 - am)
            } else {
                let a1 = s * (1.5 - x0f)
                line[i0 + 1] += d * (a1 - a0)
                var k = i0 + 2
                while k < i1 - 1 { line[k] += d * s; k += 1 }
                let a2 = a1 + Float(i1 - i0 - 3) * s
                line[i1 - 1] += d * (1 - a2 - am)
            }
            line[i1] += d * am
        }
        x = xnext
        row += 1
    }
}

// MARK: - Strokes

enum LineCap { case butt, square, round }
enum LineJoin { case miter, round }

/// The outline of a stroked path as polygons that all turn the same way (so their windings add up):
/// a quadrilateral per segment, a disc or square per join, caps at open ends, dashes applied first.
func strokePolygons(_ subpaths: [(points: [RPoint], closed: Bool)], width: Double, cap: LineCap, join: LineJoin,
                    dash: [Double]?) -> [[RPoint]] {
    guard width > 0 else { return [] }
    let r = width / 2
    var out: [[RPoint]] = []
    func oriented(_ p: [RPoint]) -> [RPoint] {
        var area = 0.0
        for i in p.indices { let q = p[(i + 1) % p.count]; area += p[i].x * q.y - q.x * p[i].y }
        return area < 0 ? p.reversed() : p
    }
    let discSides = Swift.max(8, Swift.min(32, Int(r * 6)))
    func disc(_ c: RPoint) -> [RPoint] {
        (0..<discSides).map { k in
            let t = 2 * Double.pi * Double(k) / Double(discSides)
            return RPoint(x: c.x + r * cos(t), y: c.y + r * sin(t))
        }
    }
    func square(_ c: RPoint, _ ux: Double, _ uy: Double) -> [RPoint] {
        let (nx, ny) = (-uy * r, ux * r), (tx, ty) = (ux * r, uy * r)
        return oriented([RPoint(x: c.x - tx + nx, y: c.y - ty + ny), RPoint(x: c.x + tx + nx, y: c.y + ty + ny),
                         RPoint(x: c.x + tx - nx, y: c.y + ty - ny), RPoint(x: c.x - tx - nx, y: c.y - ty - ny)])
    }
    func strokeRun(_ pts: [RPoint], closed: Bool) {
        var p = pts
        if closed, let f = p.first, let l = p.last, f.x != l.x || f.y != l.y { p.append(f) }
        // drop repeated points
        var q: [RPoint] = []
        for v in p where q.last.map({ $0.x != v.x || $0.y != v.y }) ?? true { q.append(v) }
        guard q.count >= 2 else {
            if let c = q.first, cap == .round { out.append(disc(c)) }
            return
        }
        var firstDir = (0.0, 0.0)
        for i in 0..<(q.count - 1) {
            var a = q[i], b = q[i + 1]
            let len = hypot(b.x - a.x, b.y - a.y)
            let ux = (b.x - a.x) / len, uy = (b.y - a.y) / len
            if i == 0 { firstDir = (ux, uy) }
            if cap == .square && !closed {
                if i == 0 { a.x -= ux * r; a.y -= uy * r }
                if i == q.count - 2 { b.x += ux * r; b.y += uy * r }
            }
            let nx = -uy * r, ny = ux * r
            out.append(oriented([RPoint(x: a.x + nx, y: a.y + ny), RPoint(x: b.x + nx, y: b.y + ny),
                                 RPoint(x: b.x - nx, y: b.y - ny), RPoint(x: a.x - nx, y: a.y - ny)]))
            if i > 0 {
                if join == .round { out.append(disc(q[i])) } else { out.append(square(q[i], ux, uy)) }
            }
        }
        if closed {
            if join == .round { out.append(disc(q[0])) } else { out.append(square(q[0], firstDir.0, firstDir.1)) }
        } else if cap == .round {
            out.append(disc(q[0])); out.append(disc(q[q.count - 1]))
        }
    }
    for sp in subpaths {
        guard let pattern = dash, pattern.contains(where: { $0 > 0 }) else { strokeRun(sp.points, closed: sp.closed); continue }
        var pts = sp.points
        if sp.closed, let f = pts.first { pts.append(f) }
        var k = 0, left = pattern[0], on = true
        var run: [RPoint] = pts.isEmpty ? [] : [pts[0]]
        for i in 0..<Swift.max(0, pts.count - 1) {
            var a = pts[i]
            let b = pts[i + 1]
            var len = hypot(b.x - a.x, b.y - a.y)
            while len > left {
                let t = left / len
                let m = RPoint(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t)
                if on { run.append(m); strokeRun(run, closed: false) }
                run = [m]
                len -= left; a = m
                on.toggle(); k = (k + 1) % pattern.count; left = pattern[k]
            }
            left -= len
            if on { run.append(b) } else { run = [b] }
        }
        if on && run.count >= 2 { strokeRun(run, closed: false) }
    }
    return out
}

// MARK: - Paths

/// Parses SVG path data into subpaths of points (curves flattened), in user units.
func parsePathData(_ d: String) -> [(points: [RPoint], closed: Bool)] {
    var subpaths: [(points: [RPoint], closed: Bool)] = []
    var current: [RPoint] = []
    var pen = RPoint(x: 0, y: 0), start = pen
    let bytes = Array(d.utf8)
    var i = 0
    func skipSeparators() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x2C || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 } }
    func number() -> Double? {
        skipSeparators()
        let s = i
        if i < bytes.count, bytes[i] == 0x2D || bytes[i] == 0x2B { i += 1 }
        var seenDot = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 { i += 1 }
            else if c == 0x2E && !seenDot { seenDot = true; i += 1 }
            else if (c == 0x65 || c == 0x45) && i > s {
                i += 1
                if i < bytes.count, bytes[i] == 0x2D || bytes[i] == 0x2B { i += 1 }
            } else { break }
        }
        guard i > s, let v = Double(String(decoding: bytes[s..<i], as: UTF8.self)) else { i = s; return nil }
        return v
    }
    func flush(closed: Bool) {
        if current.count > 0 { subpaths.append((current, closed)) }
        current = []
    }
    func lineTo(_ p: RPoint) { if current.isEmpty { current = [pen] }; current.append(p); pen = p }
    var command: UInt8 = 0
    while true {
        skipSeparators()
        guard i < bytes.count else { break }
        let c = bytes[i]
        if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { command = c; i += 1 }
        let rel = command >= 0x61
        let base = rel ? pen : RPoint(x: 0, y: 0)
        switch command | 0x20 {
        case 0x6D:  // m
            guard let x = number(), let y = number() else { return subpaths }
            flush(closed: false)
            pen = RPoint(x: base.x + x, y: base.y + y); start = pen; current = [pen]
            command = rel ? 0x6C : 0x4C   // further pairs are line-tos
        case 0x6C:  // l
            guard let x = number(), let y = number() else { return subpaths }
            lineTo(RPoint(x: base.x + x, y: base.y + y))
        case 0x68:  // h
            guard let x = number() else { return subpaths }
            lineTo(RPoint(x: (rel ? pen.x : 0) + x, y: pen.y))
        case 0x76:  // v
            guard let y = number() else { return subpaths }
            lineTo(RPoint(x: pen.x, y: (rel ? pen.y : 0) + y))
        case 0x7A:  // z
            pen = start
            flush(closed: true)
            current = []
        case 0x71:  // q
            guard let x1 = number(), let y1 = number(), let x = number(), let y = number() else { return subpaths }
            let c1 = RPoint(x: base.x + x1, y: base.y + y1), e = RPoint(x: base.x + x, y: base.y + y), s = pen
            for k in 1...8 {
                let t = Double(k) / 8, u = 1 - t
                lineTo(RPoint(x: u * u * s.x + 2 * u * t * c1.x + t * t * e.x, y: u * u * s.y + 2 * u * t * c1.y + t * t * e.y))
            }
        case 0x63:  // c
            guard let x1 = number(), let y1 = number(), let x2 = number(), let y2 = number(), let x = number(), let y = number()
            else { return subpaths }
            let c1 = RPoint(x: base.x + x1, y: base.y + y1), c2 = RPoint(x: base.x + x2, y: base.y + y2)
            let e = RPoint(x: base.x + x, y: base.y + y), s = pen
            for k in 1...12 {
                let t = Double(k) / 12, u = 1 - t
                let w0 = u * u * u, w1 = 3 * u * u * t, w2 = 3 * u * t * t, w3 = t * t * t
                lineTo(RPoint(x: w0 * s.x + w1 * c1.x + w2 * c2.x + w3 * e.x, y: w0 * s.y + w1 * c1.y + w2 * c2.y + w3 * e.y))
            }
        case 0x61:  // a: circular arcs (rx = ry, no rotation), as the markers use
            guard let rx = number(), let ry = number(), let _ = number(), let large = number(), let sweep = number(),
                  let x = number(), let y = number() else { return subpaths }
            let e = RPoint(x: base.x + x, y: base.y + y), s = pen
            let rr = Swift.max(Swift.abs(rx), Swift.abs(ry))
            let mx = (s.x + e.x) / 2, my = (s.y + e.y) / 2
            let dx = e.x - s.x, dy = e.y - s.y, chord = hypot(dx, dy)
            guard chord > 0 else { continue }
            let r = Swift.max(rr, chord / 2)
            let h = (r * r - chord * chord / 4).squareRoot()
            let sign: Double = (large != 0) == (sweep != 0) ? -1 : 1
            let cx = mx - sign * h * dy / chord, cy = my + sign * h * dx / chord
            let a0 = atan2(s.y - cy, s.x - cx)
            var a1 = atan2(e.y - cy, e.x - cx)
            if sweep != 0 { while a1 <= a0 { a1 += 2 * .pi } } else { while a1 >= a0 { a1 -= 2 * .pi } }
            let steps = Swift.max(4, Int(Swift.abs(a1 - a0) / (2 * .pi) * 32))
            for k in 1...steps {
                let t = a0 + (a1 - a0) * Double(k) / Double(steps)
                lineTo(k == steps ? e : RPoint(x: cx + r * cos(t), y: cy + r * sin(t)))
            }
        default:
            return subpaths  // an unknown command ends the path, as SVG renderers do
        }
    }
    flush(closed: false)
    return subpaths
}

// MARK: - Text

/// A DejaVu Sans glyph: its advance and contours of (x, y, on-curve), 2048 units per em.
struct Glyph { var advance: Double; var contours: [[(Double, Double, Bool)]] }

/// DejaVu Sans as decoded from GlyphData.swift, by code point.
let dejaVuGlyphs: [UInt32: Glyph] = {
    let raw = Data(base64Encoded: dejaVuGlyphData, options: .ignoreUnknownCharacters) ?? Data()
    var words: [Int16] = []
    words.reserveCapacity(raw.count / 2)
    var i = raw.startIndex
    while i + 1 < raw.endIndex { words.append(Int16(bitPattern: UInt16(raw[i]) | UInt16(raw[i + 1]) << 8)); i += 2 }
    var glyphs: [UInt32: Glyph] = [:]
    var k = 0
    func next() -> Int { defer { k += 1 }; return k < words.count ? Int(words[k]) : 0 }
    while k < words.count {
        let code = UInt32(UInt16(bitPattern: Int16(next()))), adv = next(), n = next()
        var contours: [[(Double, Double, Bool)]] = []
        for _ in 0..<Swift.max(0, n) {
            let m = next()
            contours.append((0..<Swift.max(0, m)).map { _ in (Double(next()), Double(next()), next() != 0) })
        }
        glyphs[code] = Glyph(advance: Double(adv), contours: contours)
    }
    return glyphs
}()

/// A character the embedded font lacks: an empty box (as renderers draw a missing glyph).
private let missingGlyph = Glyph(advance: 1300, contours: [
    [(150, 0, true), (1150, 0, true), (1150, 1493, true), (150, 1493, true)],
    [(250, 100, true), (250, 1393, true), (1050, 1393, true), (1050, 100, true)],
])

func glyph(_ u: Unicode.Scalar) -> Glyph { dejaVuGlyphs[u.value] ?? missingGlyph }

/// The outlines of `s` at `size` with the pen starting at (x, baseline y), in y-down coordinates;
/// returns the polygons and the pen's final x.
func textPolygons(_ s: String, x: Double, y: Double, size: Double) -> (polygons: [[RPoint]], endX: Double) {
    let scale = size / 2048
    let steps = Swift.max(2, Swift.min(8, Int(size / 5)))
    var pen = x
    var out: [[RPoint]] = []
    for u in s.unicodeScalars {
        let g = glyph(u)
        for contour in g.contours where contour.count >= 2 {
            func pt(_ p: (Double, Double, Bool)) -> RPoint { RPoint(x: pen + p.0 * scale, y: y - p.1 * scale) }
            // start at an on-curve point (or between two off-curve ones)
            let n = contour.count
            var startIdx = 0
            while startIdx < n && !contour[startIdx].2 { startIdx += 1 }
            var first: RPoint
            var order: [(Double, Double, Bool)]
            if startIdx == n {
                let a = contour[0], b = contour[1]
                first = pt(((a.0 + b.0) / 2, (a.1 + b.1) / 2, true))
                order = Array(contour[1...]) + [contour[0]]
            } else {
                first = pt(contour[startIdx])
                order = Array(contour[(startIdx + 1)...]) + Array(contour[...startIdx])
            }
            var poly = [first]
            var cur = first
            var control: RPoint?
            for p in order {
                let q = pt(p)
                if p.2 {
                    if let c = control {
                        for k in 1...steps {
                            let t = Double(k) / Double(steps), v = 1 - t
                            poly.append(RPoint(x: v * v * cur.x + 2 * v * t * c.x + t * t * q.x, y: v * v * cur.y + 2 * v * t * c.y + t * t * q.y))
                        }
                        control = nil
                    } else { poly.append(q) }
                    cur = q
                } else {
                    if let c = control {
                        let mid = RPoint(x: (c.x + q.x) / 2, y: (c.y + q.y) / 2)
                        for k in 1...steps {
                            let t = Double(k) / Double(steps), v = 1 - t
                            poly.append(RPoint(x: v * v * cur.x + 2 * v * t * c.x + t * t * mid.x, y: v * v * cur.y + 2 * v * t * c.y + t * t * mid.y))
                        }
                        cur = mid
                    }
                    control = q
                }
            }
            out.append(poly)
        }
        pen += g.advance * scale
    }
    return (out, pen)
}

// MARK: - The SVG subset

/// Paint and geometry settings inherited through `<g>` elements.
private struct PaintState {
    var fill: (Float, Float, Float)? = (0, 0, 0)
    var fillOpacity: Float = 1
    var stroke: (Float, Float, Float)?
    var strokeOpacity: Float = 1
    var strokeWidth = 1.0
    var cap = LineCap.butt
    var join = LineJoin.miter
    var dash: [Double]?
    var clip: ClipRect?

    mutating func apply(_ attrs: [String: String], clips: [String: ClipRect]) {
        func color(_ v: String) -> (Float, Float, Float)? {
            guard v != "none", let c = Color.parse(v) else { return nil }
            return (Float(c.red), Float(c.green), Float(c.blue))
        }
        if let v = attrs["fill"] { fill = color(v) }
        if let v = attrs["fill-opacity"], let o = Float(v) { fillOpacity = o }
        if let v = attrs["stroke"] { stroke = color(v) }
        if let v = attrs["stroke-opacity"], let o = Float(v) { strokeOpacity = o }
        if let v = attrs["stroke-width"], let w = Double(v) { strokeWidth = w }
        if let v = attrs["stroke-linecap"] { cap = v == "square" ? .square : v == "round" ? .round : .butt }
        if let v = attrs["stroke-linejoin"] { join = v == "round" ? .round : .miter }
        if let v = attrs["stroke-dasharray"] { dash = v == "none" ? nil : v.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        if let v = attrs["clip-path"], v.hasPrefix("url(#"), v.hasSuffix(")") {
            let id = String(v.dropFirst(5).dropLast())
            if let c = clips[id] {
                clip = clip.map { ClipRect(x0: Swift.max($0.x0, c.x0), y0: Swift.max($0.y0, c.y0), x1: Swift.min($0.x1, c.x1), y1: Swift.min($0.y1, c.y1)) } ?? c
            }
        }
    }
}

private enum SVGEvent { case open(String, [String: String], selfClosing: Bool), close(String), text(String) }

/// Splits SVG text into tags and character data (no DTDs or CDATA: SVGRenderer writes none).
private func svgEvents(_ svg: String) -> [SVGEvent] {
    var events: [SVGEvent] = []
    let b = Array(svg.utf8)
    var i = 0
    func unescape(_ s: Substring) -> String {
        guard s.contains("&") else { return String(s) }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
    while i < b.count {
        if b[i] != 0x3C {
            let s = i
            while i < b.count && b[i] != 0x3C { i += 1 }
            let t = String(decoding: b[s..<i], as: UTF8.self)
            if !t.allSatisfy({ $0.isWhitespace }) { events.append(.text(unescape(t[...]))) }
            continue
        }
        // a tag: find its end outside quotes
        var j = i + 1
        var quote: UInt8 = 0
        while j < b.count {
            if quote != 0 { if b[j] == quote { quote = 0 } }
            else if b[j] == 0x22 || b[j] == 0x27 { quote = b[j] }
            else if b[j] == 0x3E { break }
            j += 1
        }
        let body = String(decoding: b[(i + 1)..<Swift.min(j, b.count)], as: UTF8.self)
        i = j + 1
        if body.hasPrefix("?") || body.hasPrefix("!") { continue }
        if body.hasPrefix("/") { events.append(.close(body.dropFirst().trimmingCharacters(in: .whitespaces))); continue }
        let selfClosing = body.hasSuffix("/")
        let inner = selfClosing ? body.dropLast() : Substring(body)
        // name, then name="value" pairs
        var k = inner.startIndex
        while k < inner.endIndex && !inner[k].isWhitespace { k = inner.index(after: k) }
        let name = String(inner[inner.startIndex..<k])
        var attrs: [String: String] = [:]
        var rest = inner[k...]
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[rest.startIndex..<eq].trimmingCharacters(in: .whitespaces)
            var v = rest[rest.index(after: eq)...].drop { $0.isWhitespace }
            guard let q = v.first, q == "\"" || q == "'" else { break }
            v = v.dropFirst()
            guard let end = v.firstIndex(of: q) else { break }
            attrs[key] = unescape(v[v.startIndex..<end])
            rest = v[v.index(after: end)...]
        }
        events.append(.open(name, attrs, selfClosing: selfClosing))
    }
    return events
}

private func parseTransform(_ s: String) -> Affine {
    var m = Affine()
    var rest = Substring(s)
    while let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")") {
        let name = rest[rest.startIndex..<open].trimmingCharacters(in: .whitespaces)
        let args = rest[rest.index(after: open)..<close].split { $0 == " " || $0 == "," }.compactMap { Double($0) }
        var t = Affine()
        switch name {
        case "translate": t = .translate(args.first ?? 0, args.count > 1 ? args[1] : 0)
        case "rotate": t = .rotate(degrees: args.first ?? 0, about: args.count > 2 ? args[1] : 0, args.count > 2 ? args[2] : 0)
        case "scale": t = Affine(a: args.first ?? 1, d: args.count > 1 ? args[1] : (args.first ?? 1))
        case "matrix" where args.count == 6: t = Affine(a: args[0], b: args[1], c: args[2], d: args[3], e: args[4], f: args[5])
        default: break
        }
        m = m.after(t)
        rest = rest[rest.index(after: close)...]
    }
    return m
}

/// Decodes an 8-bit RGBA PNG as SVGRenderer embeds them (any filter type); nil when it is not one.
func decodeRGBAPNG(_ png: [UInt8]) -> (width: Int, height: Int, rgba: [UInt8])? {
    guard png.count > 33, png[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
    func be32(_ i: Int) -> Int { Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3]) }
    var i = 8, w = 0, h = 0
    var idat: [UInt8] = []
    while i + 8 <= png.count {
        let len = be32(i)
        guard len >= 0, i + 12 + len <= png.count else { return nil }
        let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
        if type == "IHDR" {
            w = be32(i + 8); h = be32(i + 12)
            guard png[i + 16] == 8, png[i + 17] == 6, png[i + 20] == 0 else { return nil }
        } else if type == "IDAT" { idat += png[(i + 8)..<(i + 8 + len)] }
        else if type == "IEND" { break }
        i += 12 + len
    }
    guard w > 0, h > 0, w <= 1 << 14, h <= 1 << 14 else { return nil }
    let rowBytes = w * 4
    var raw = [UInt8](repeating: 0, count: h * (rowBytes + 1))
    var rawLen = uLongf(raw.count)
    let rc = raw.withUnsafeMutableBufferPointer { r in idat.withUnsafeBufferPointer { s in uncompress(r.baseAddress, &rawLen, s.baseAddress, uLong(s.count)) } }
    guard rc == Z_OK, Int(rawLen) == raw.count else { return nil }
    var out = [UInt8](repeating: 0, count: h * rowBytes)
    for y in 0..<h {
        let f = raw[y * (rowBytes + 1)]
        for x in 0..<rowBytes {
            let v = raw[y * (rowBytes + 1) + 1 + x]
            let a = x >= 4 ? Int(out[y * rowBytes + x - 4]) : 0
            let up = y > 0 ? Int(out[(y - 1) * rowBytes + x]) : 0
            let c = x >= 4 && y > 0 ? Int(out[(y - 1) * rowBytes + x - 4]) : 0
            var pred = 0
            switch f {
            case 1: pred = a
            case 2: pred = up
            case 3: pred = (a + up) / 2
            case 4:
                let p = a + up - c, pa = Swift.abs(p - a), pb = Swift.abs(p - up), pc = Swift.abs(p - c)
                pred = pa <= pb && pa <= pc ? a : (pb <= pc ? up : c)
            default: pred = 0
            }
            out[y * rowBytes + x] = UInt8(truncatingIfNeeded: Int(v) + pred)
        }
    }
    return (w, h, out)
}

/// Draws the SVG that SVGRenderer wrote onto a `width × height` canvas.
func rasterizeSVG(_ svg: String, width: Int, height: Int) -> RasterCanvas {
    let canvas = RasterCanvas(width: width, height: height)
    var stack = [PaintState()]
    var clips: [String: ClipRect] = [:]
    var defs: [String: [String: String]] = [:]
    var inDefs = 0, inClip: String?
    var textAttrs: [String: String]?
    var textRuns: [(String, [String: String])] = []
    var tspan: [String: String]?
    var fontSize = 10.0

    func drawShape(_ subpaths: [(points: [RPoint], closed: Bool)], _ st: PaintState, transform: Affine) {
        let sp = transform.isIdentity ? subpaths : subpaths.map { (points: $0.points.map(transform.apply), closed: $0.closed) }
        if let f = st.fill {
            let polys = sp.map(\.points).filter { $0.count >= 3 }
            if !polys.isEmpty { canvas.fill(polys, color: f, alpha: st.fillOpacity, clip: st.clip) }
        }
        if let s = st.stroke {
            let scale = transform.isIdentity ? 1 : hypot(transform.a, transform.b)
            let polys = strokePolygons(sp, width: st.strokeWidth * scale, cap: st.cap, join: st.join, dash: st.dash.map { $0.map { $0 * scale } })
            if !polys.isEmpty { canvas.fill(polys, color: s, alpha: st.strokeOpacity, clip: st.clip) }
        }
    }
    func rectPath(_ a: [String: String]) -> [(points: [RPoint], closed: Bool)] {
        let x = Double(a["x"] ?? "") ?? 0, y = Double(a["y"] ?? "") ?? 0
        let w = Double(a["width"] ?? "") ?? 0, h = Double(a["height"] ?? "") ?? 0
        let r = Swift.min(Double(a["rx"] ?? "") ?? 0, w / 2, h / 2)
        guard r > 0 else {
            return [([RPoint(x: x, y: y), RPoint(x: x + w, y: y), RPoint(x: x + w, y: y + h), RPoint(x: x, y: y + h)], true)]
        }
        var pts: [RPoint] = []
        for (cx, cy, a0) in [(x + w - r, y + r, -90.0), (x + w - r, y + h - r, 0.0), (x + r, y + h - r, 90.0), (x + r, y + r, 180.0)] {
            for k in 0...4 {
                let t = (a0 + Double(k) * 22.5) * .pi / 180
                pts.append(RPoint(x: cx + r * cos(t), y: cy + r * sin(t)))
            }
        }
        return [(pts, true)]
    }

    for ev in svgEvents(svg) {
        switch ev {
        case let .open(name, attrs, selfClosing):
            if inClip != nil {
                if name == "rect", let id = inClip {
                    let x = Double(attrs["x"] ?? "") ?? 0, y = Double(attrs["y"] ?? "") ?? 0
                    clips[id] = ClipRect(x0: x, y0: y, x1: x + (Double(attrs["width"] ?? "") ?? 0), y1: y + (Double(attrs["height"] ?? "") ?? 0))
                }
                continue
            }
            switch name {
            case "g":
                var st = stack.last!
                st.apply(attrs, clips: clips)
                if !selfClosing { stack.append(st) }
            case "defs": if !selfClosing { inDefs += 1 }
            case "clipPath": if !selfClosing { inClip = attrs["id"] ?? "" }
            case "rect" where inDefs == 0:
                var st = stack.last!
                st.apply(attrs, clips: clips)
                drawShape(rectPath(attrs), st, transform: parseTransform(attrs["transform"] ?? ""))
            case "path":
                if inDefs > 0 { if let id = attrs["id"] { defs[id] = attrs }; continue }
                var st = stack.last!
                st.apply(attrs, clips: clips)
                drawShape(parsePathData(attrs["d"] ?? ""), st, transform: parseTransform(attrs["transform"] ?? ""))
            case "use" where inDefs == 0:
                let ref = (attrs["xlink:href"] ?? attrs["href"] ?? "").drop { $0 == "#" }
                guard let def = defs[String(ref)] else { continue }
                var st = stack.last!
                st.apply(def, clips: clips)
                st.apply(attrs, clips: clips)
                let t = Affine.translate(Double(attrs["x"] ?? "") ?? 0, Double(attrs["y"] ?? "") ?? 0)
                drawShape(parsePathData(def["d"] ?? ""), st, transform: t.after(parseTransform(def["transform"] ?? "")))
            case "text":
                textAttrs = attrs; textRuns = []
                fontSize = Double(attrs["font-size"] ?? "") ?? 10
            case "tspan": tspan = attrs
            case "image" where inDefs == 0:
                guard let href = attrs["xlink:href"] ?? attrs["href"], let comma = href.firstIndex(of: ","),
                      href.hasPrefix("data:image/png;base64"),
                      let data = Data(base64Encoded: String(href[href.index(after: comma)...])),
                      let img = decodeRGBAPNG([UInt8](data)) else { continue }
                let m = parseTransform(attrs["transform"] ?? "")
                let w = Double(attrs["width"] ?? "") ?? Double(img.width), h = Double(attrs["height"] ?? "") ?? Double(img.height)
                let fit = m.after(Affine(a: w / Double(img.width), d: h / Double(img.height)))
                let nearest = (attrs["style"] ?? "").contains("pixelated") || attrs["image-rendering"] == "optimizeSpeed"
                canvas.image(width: img.width, height: img.height, rgba: img.rgba, transform: fit, nearest: nearest, clip: stack.last!.clip)
            default: break
            }
        case let .close(name):
            switch name {
            case "g": if stack.count > 1 { stack.removeLast() }
            case "defs": inDefs = Swift.max(0, inDefs - 1)
            case "clipPath": inClip = nil
            case "tspan": tspan = nil
            case "text":
                guard let a = textAttrs else { continue }
                textAttrs = nil
                var st = stack.last!
                st.apply(a, clips: clips)
                guard let color = st.fill else { continue }
                let x = Double(a["x"] ?? "") ?? 0, y = Double(a["y"] ?? "") ?? 0
                // lay the runs out from x = 0, then shift by the anchor and transform
                var polys: [[RPoint]] = []
                var pen = 0.0, dy = 0.0
                for (s, ra) in textRuns {
                    dy += Double(ra["dy"] ?? "") ?? 0
                    let size = Double(ra["font-size"] ?? "") ?? fontSize
                    let (p, end) = textPolygons(s, x: pen, y: y + dy, size: size)
                    polys += p; pen = end
                }
                let shift = a["text-anchor"] == "middle" ? -pen / 2 : a["text-anchor"] == "end" ? -pen : 0
                let m = parseTransform(a["transform"] ?? "").after(.translate(x + shift, 0))
                canvas.fill(polys.map { $0.map(m.apply) }, color: color, alpha: st.fillOpacity, clip: st.clip)
            default: break
            }
        case let .text(t):
            if textAttrs != nil { textRuns.append((t, tspan ?? [:])) }
        }
    }
    return canvas
}
