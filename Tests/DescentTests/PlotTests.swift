import CZlib
import Foundation
import Testing
import Descent

// Plots are tested as a person looks at them: the SVG is rendered by librsvg's `rsvg-convert`
// (installed by .ci/run), the PNG it writes is decoded here, and the tests look at pixels.

/// The rsvg-convert executable, if this machine has one.
let rsvgConvert: String? = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert", "/opt/homebrew/bin/rsvg-convert"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// A decoded 8-bit image, RGBA.
struct RGBAImage {
    let width: Int, height: Int
    let pixels: [UInt8]
    /// The pixel at column x, row y (rounded down), as (r, g, b, a).
    subscript(_ x: Double, _ y: Double) -> (Int, Int, Int, Int) {
        let i = (Int(y) * width + Int(x)) * 4
        return (Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]), Int(pixels[i + 3]))
    }
}

enum PNGDecodeError: Error { case bad(String) }

/// Decodes a non-interlaced 8-bit PNG (gray, RGB, gray+alpha or RGBA; filter types 0–4) to RGBA.
func decodePNG(_ data: [UInt8]) throws -> RGBAImage {
    guard data.count > 8, data[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw PNGDecodeError.bad("signature") }
    func be32(_ i: Int) -> Int { Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3]) }
    var pos = 8
    var width = 0, height = 0, colorType = 0
    var idat: [UInt8] = []
    while pos + 8 <= data.count {
        let len = be32(pos), type = String(decoding: data[(pos + 4)..<(pos + 8)], as: UTF8.self)
        let body = Array(data[(pos + 8)..<(pos + 8 + len)])
        let crc = data[(pos + 4)..<(pos + 8 + len)].withContiguousStorageIfAvailable { crc32(0, $0.baseAddress, uInt($0.count)) }
            ?? Array(data[(pos + 4)..<(pos + 8 + len)]).withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        guard Int(crc) == be32(pos + 8 + len) else { throw PNGDecodeError.bad("CRC of \(type)") }
        switch type {
        case "IHDR":
            width = Int(body[0]) << 24 | Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3])
            height = Int(body[4]) << 24 | Int(body[5]) << 16 | Int(body[6]) << 8 | Int(body[7])
            guard body[8] == 8, body[12] == 0 else { throw PNGDecodeError.bad("only 8-bit non-interlaced") }
            colorType = Int(body[9])
        case "IDAT": idat += body
        default: break
        }
        pos += 12 + len
    }
    let channels: Int
    switch colorType { case 0: channels = 1; case 2: channels = 3; case 4: channels = 2; case 6: channels = 4
    default: throw PNGDecodeError.bad("color type \(colorType)") }
    let stride = width * channels
    var raw = [UInt8](repeating: 0, count: height * (stride + 1))
    var rawLen = uLongf(raw.count)
    let rc = raw.withUnsafeMutableBufferPointer { r in idat.withUnsafeBufferPointer { uncompress(r.baseAddress, &rawLen, $0.baseAddress, uLong($0.count)) } }
    guard rc == Z_OK, Int(rawLen) == raw.count else { throw PNGDecodeError.bad("inflate \(rc)") }
    var out = [UInt8](repeating: 0, count: height * stride)
    for y in 0..<height {
        let filter = raw[y * (stride + 1)]
        for i in 0..<stride {
            let x = Int(raw[y * (stride + 1) + 1 + i])
            let a = i >= channels ? Int(out[y * stride + i - channels]) : 0
            let b = y > 0 ? Int(out[(y - 1) * stride + i]) : 0
            let c = (i >= channels && y > 0) ? Int(out[(y - 1) * stride + i - channels]) : 0
            let pred: Int
            switch filter {
            case 0: pred = 0
            case 1: pred = a
            case 2: pred = b
            case 3: pred = (a + b) / 2
            case 4:
                let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                pred = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
            default: throw PNGDecodeError.bad("filter \(filter)")
            }
            out[y * stride + i] = UInt8((x + pred) & 0xFF)
        }
    }
    var rgba = [UInt8](repeating: 255, count: width * height * 4)
    for p in 0..<(width * height) {
        switch channels {
        case 1: rgba[p * 4] = out[p]; rgba[p * 4 + 1] = out[p]; rgba[p * 4 + 2] = out[p]
        case 2: rgba[p * 4] = out[p * 2]; rgba[p * 4 + 1] = out[p * 2]; rgba[p * 4 + 2] = out[p * 2]; rgba[p * 4 + 3] = out[p * 2 + 1]
        default: for k in 0..<channels { rgba[p * 4 + k] = out[p * channels + k] }
        }
    }
    return RGBAImage(width: width, height: height, pixels: rgba)
}

/// A fresh temporary folder for one test.
func plotTempDir() -> String {
    let d = NSTemporaryDirectory() + "descent-plot-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Who turns a figure into pixels: librsvg's `rsvg-convert` drawing the SVG, or Descent's own
/// `savefig("….png")`. Every pixel test runs with both (rsvg-convert where it is installed).
enum Renderer: String, CustomTestStringConvertible, Sendable {
    case rsvg, descent
    static var available: [Renderer] { rsvgConvert != nil ? [.rsvg, .descent] : [.descent] }
    var testDescription: String { self == .rsvg ? "SVG drawn by rsvg-convert" : "PNG written by savefig" }
}

/// Renders `fig` to RGBA: saves it as SVG and has rsvg-convert draw it, or saves it as PNG, then
/// decodes the PNG. Keeps the files in $DESCENT_PLOT_OUT when that is set (to look at them).
func renderFigure(_ fig: Figure, name: String, _ renderer: Renderer = .rsvg) throws -> RGBAImage {
    let dir = ProcessInfo.processInfo.environment["DESCENT_PLOT_OUT"] ?? plotTempDir()
    let svg = dir + "/\(name).svg", png = dir + "/\(name)\(renderer == .rsvg ? "" : "-descent").png"
    if renderer == .descent {
        try fig.savefig(png)
    } else {
        try fig.savefig(svg)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: rsvgConvert!)
        p.arguments = ["-o", png, svg]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else { throw PNGDecodeError.bad("rsvg-convert failed: \(msg)") }
    }
    let img = try decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: png))))
    #expect(img.width == fig.pixelWidth && img.height == fig.pixelHeight, "rendered size")
    return img
}

/// matplotlib's default subplot box for a single panel, in pixels: (left, top, width, height).
func defaultFrame(_ fig: Figure) -> (x: Double, y: Double, w: Double, h: Double) {
    let W = Double(fig.pixelWidth), H = Double(fig.pixelHeight)
    return (0.125 * W, 0.12 * H, 0.775 * W, 0.77 * H)
}

func near(_ p: (Int, Int, Int, Int), _ c: (Int, Int, Int), tol: Int) -> Bool {
    abs(p.0 - c.0) <= tol && abs(p.1 - c.1) <= tol && abs(p.2 - c.2) <= tol
}

/// The text of each `<text>` element of an SVG, in order.
func svgTexts(_ svg: String) -> [String] {
    svg.components(separatedBy: "<text").dropFirst().map { s in
        let body = s[s.index(after: s.firstIndex(of: ">")!)...]
        return String(body[..<body.range(of: "</text>")!.lowerBound]).replacingOccurrences(of: "<tspan", with: "^<tspan")
            .replacingOccurrences(of: "</tspan>", with: "").replacingOccurrences(of: #"<tspan[^>]*>"#, with: "", options: .regularExpression)
    }
}

// In `Core` (one test at a time): it seeds the global generator.
extension Core {
@Suite struct Plot {
    // MARK: SVG structure

    @Test func figureSizeIsInchesTimesDpi() {
        let fig = Figure(figsize: (16, 4), dpi: 100)
        #expect(fig.pixelWidth == 1600 && fig.pixelHeight == 400)
        let svg = fig.renderSVG()
        #expect(svg.contains("width=\"1600\" height=\"400\" viewBox=\"0 0 1600 400\""))
        let (fig2, axs) = subplots(2, 3, figsize: (6, 4), dpi: 50)
        #expect(axs.count == 6 && fig2.axes.count == 6 && fig2.pixelWidth == 300)
    }

    @Test func niceTicksLikeMatplotlib() {
        // plt.plot([0, 1]): margins make the view -0.05…1.05, ticks 0.0 … 1.0 on both axes
        let fig = Figure()
        fig.addSubplot(1, 1, 1).plot([0.0, 1.0], [0.0, 1.0])
        let t = svgTexts(fig.renderSVG())
        #expect(t == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])

        // 50 epochs of a loss: x ticks 0, 10, …, 50; steps of 2.5 × 10^k need a decimal more
        let fig2 = Figure()
        let ax = fig2.addSubplot(1, 1, 1)
        ax.plot((0..<50).map { 0.2 * Double(49 - $0) / 49 })
        let t2 = svgTexts(fig2.renderSVG())
        #expect(t2.prefix(6) == ["0", "10", "20", "30", "40", "50"])
        #expect(t2.dropFirst(6) == ["0.000", "0.025", "0.050", "0.075", "0.100", "0.125", "0.150", "0.175", "0.200"])

        // negative values use the Unicode minus; large values a 1e6 multiplier
        let fig3 = Figure()
        fig3.addSubplot(1, 1, 1).plot([-2.0, 2.0], [0.0, 3e6])
        let t3 = svgTexts(fig3.renderSVG())
        #expect(t3 == ["\u{2212}2.0", "\u{2212}1.5", "\u{2212}1.0", "\u{2212}0.5", "0.0", "0.5", "1.0", "1.5", "2.0",
                       "0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "1e6"])
    }

    @Test func logScaleTicksArePowersOfTen() {
        let fig = Figure()
        let ax = fig.addSubplot(1, 1, 1)
        ax.plot([1.0, 0.1, 0.01, 0.001])
        ax.setYScale(.log)
        let t = svgTexts(fig.renderSVG())
        for e in ["10^\u{2212}3", "10^\u{2212}2", "10^\u{2212}1", "10^0"] { #expect(t.contains(e), "\(e) in \(t)") }
    }

    @Test func labelsTitleAndLegendAreText() {
        let (fig, axs) = subplots(1, 3, figsize: (16, 4))
        axs[0].plot([3.0, 2, 1.5, 1.2], lineWidth: 4, label: "Train loss")
        axs[0].plot([3.2, 2.4, 2.0, 1.9], lineWidth: 4, label: "Validation & test")
        axs[0].legend()
        axs[0].setXLabel("Epoch"); axs[0].setYLabel("Loss"); axs[0].setTitle("Loss <per epoch>")
        let svg = fig.renderSVG()
        let t = svgTexts(svg)
        for s in ["Epoch", "Loss", "Loss &lt;per epoch&gt;", "Train loss", "Validation &amp; test"] { #expect(t.contains(s), "\(s)") }
        #expect(svg.contains("stroke=\"#1f77b4\"") && svg.contains("stroke=\"#ff7f0e\""), "tab10 colour cycle")
        #expect(!svg.contains("<image"), "no raster without imshow")
        #expect(svg.contains("stroke-width=\"5.56\""), "4 points at 100 dpi")
    }

    @Test func savefigIsAtomicAndRejectsUnknownFormats() throws {
        let dir = plotTempDir()
        let fig = Figure(figsize: (2, 2))
        fig.addSubplot(1, 1, 1).plot([1, 2, 3])
        try fig.savefig(dir + "/a.svg")
        let text = try String(contentsOfFile: dir + "/a.svg", encoding: .utf8)
        #expect(text.hasPrefix("<?xml") && text.hasSuffix("</svg>\n"))
        try fig.savefig(dir + "/a.png")
        let png = try decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.png"))))
        #expect(png.width == 200 && png.height == 200)
        #expect(throws: PlotError.unsupportedFormat(path: dir + "/a.jpg", format: "jpg")) { try fig.savefig(dir + "/a.jpg") }
        #expect(throws: PlotError.self) { try fig.savefig(dir + "/no/such/folder/a.svg") }
        #expect(throws: PlotError.self) { try fig.savefig(dir + "/no/such/folder/a.png") }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(left == ["a.png", "a.svg"], "no temporary files left: \(left)")
    }

    @Test func histCountsLikeNumpy() {
        let fig = Figure()
        let ax = fig.addSubplot(1, 1, 1)
        // np.histogram([1, 2, 2, 3, 3, 3, 4], bins=3) -> [1, 2, 4], edges [1, 2, 3, 4]
        let (counts, edges) = ax.hist([1, 2, 2, 3, 3, 3, 4], bins: 3)
        #expect(counts == [1, 2, 4] && edges == [1, 2, 3, 4])
        let (d, _) = ax.hist(Tensor([0.0, 0.5, 1.0, 1.5]), bins: 2, range: (0, 2), density: true)
        #expect(d == [0.5, 0.5])
    }

    // MARK: Snapshot

    @Test func snapshotOfASmallFigure() throws {
        let fig = Figure(figsize: (3, 2), dpi: 72)
        let ax = fig.addSubplot(1, 1, 1)
        ax.plot([0.0, 1, 2], [1.0, 3, 2], label: "a")
        ax.plot([0.0, 2], [2.0, 1], label: "b", lineStyle: "--")
        ax.scatter([1.0], [1.5], marker: "s")
        ax.setTitle("t"); ax.setXLabel("x"); ax.setYLabel("y"); ax.grid(); ax.legend()
        let svg = fig.renderSVG()
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/small-figure.svg").path
        if ProcessInfo.processInfo.environment["DESCENT_UPDATE_SNAPSHOTS"] == "1" {
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg == expected, "the SVG changed; if intended, rerun with DESCENT_UPDATE_SNAPSHOTS=1 and review the diff")
    }

    // MARK: Rendered pixels

    @Test(arguments: Renderer.available)
    func lineGoesThroughItsDataPoints(_ renderer: Renderer) throws {
        let fig = Figure(figsize: (4, 3), dpi: 100)
        let ax = fig.addSubplot(1, 1, 1)
        let xs = [0.0, 1, 2, 3], ys = [0.0, 1, 0, 1]
        ax.plot(xs, ys, lineWidth: 3, color: "red")
        let img = try renderFigure(fig, name: "line", renderer)
        // autoscaled view: the data ± 5%
        let f = defaultFrame(fig)
        func px(_ x: Double, _ y: Double) -> (Double, Double) {
            (f.x + (x + 0.15) / 3.3 * f.w, f.y + f.h - (y + 0.05) / 1.1 * f.h)
        }
        for (x, y) in zip(xs, ys) + [(0.5, 0.5), (1.5, 0.5), (2.25, 0.25)] {
            let (u, v) = px(x, y)
            #expect(near(img[u, v], (255, 0, 0), tol: 40), "red at data (\(x), \(y)) = pixel (\(u), \(v)): \(img[u, v])")
        }
        for (x, y) in [(1.0, 0.0), (2.0, 1.0), (0.2, 0.8)] {
            let (u, v) = px(x, y)
            #expect(near(img[u, v], (255, 255, 255), tol: 2), "white at data (\(x), \(y)): \(img[u, v])")
        }
        // the frame is black, the margin outside it white
        let spine = (-1...1).map { img[f.x + f.w / 2, f.y + Double($0)].0 }.min()!
        #expect(spine < 128, "the top spine (0.8 pt, 1.1 px wide): \(spine)")
        #expect(near(img[5, 5], (255, 255, 255), tol: 0))
    }

    @Test(arguments: Renderer.available)
    func imshowReproducesGrayLevels(_ renderer: Renderer) throws {
        // a known 28×28 image, gray levels 0…255
        let values = (0..<28).map { i in (0..<28).map { j in Double((i * 37 + j * 11) % 256) } }
        var flat = values.flatMap { $0 }
        flat[0] = 0; flat[1] = 255  // the full range, so that vmin = 0 and vmax = 255
        let fig = Figure(figsize: (4, 4), dpi: 100)
        let ax = fig.addSubplot(1, 1, 1)
        ax.imshow(Tensor(flat: flat, shape: [28, 28]), cmap: .gray)
        let svg = fig.renderSVG()
        #expect(svg.components(separatedBy: "<image").count == 2, "one raster image")
        let img = try renderFigure(fig, name: "imshow", renderer)
        // equal aspect: the 310 × 308 box shrinks to 308 × 308, centred
        let f = defaultFrame(fig)
        let side = Swift.min(f.w, f.h), x0 = f.x + (f.w - side) / 2, y0 = f.y + (f.h - side) / 2
        var worst = 0
        for i in 0..<28 {
            for j in 0..<28 {
                let p = img[x0 + (Double(j) + 0.5) * side / 28, y0 + (Double(i) + 0.5) * side / 28]
                let v = Int(flat[i * 28 + j])
                worst = Swift.max(worst, abs(p.0 - v), abs(p.1 - v), abs(p.2 - v))
            }
        }
        #expect(worst <= 1, "largest gray-level error \(worst)")
        // ticks 0, 5, …, 25 along both axes
        #expect(svgTexts(svg) == ["0", "5", "10", "15", "20", "25", "0", "5", "10", "15", "20", "25"])
    }

    @Test(arguments: Renderer.available)
    func imshowViridisWithColorbar(_ renderer: Renderer) throws {
        let fig = Figure(figsize: (5, 4), dpi: 100)
        let ax = fig.addSubplot(1, 1, 1)
        let im = ax.imshow([[0.0, 1.0], [2.0, 3.0]])
        fig.colorbar(im)
        let img = try renderFigure(fig, name: "colorbar", renderer)
        // find the colour bar: the right quarter holds viridis's ends, yellow at the top, purple at the bottom
        var yellowY: [Int] = [], purpleY: [Int] = []
        for y in 0..<img.height {
            for x in (img.width * 3 / 4)..<img.width {
                if near(img[Double(x), Double(y)], (0xfd, 0xe7, 0x25), tol: 6) { yellowY.append(y) }
                if near(img[Double(x), Double(y)], (0x44, 0x01, 0x54), tol: 6) { purpleY.append(y) }
            }
        }
        #expect(!yellowY.isEmpty && !purpleY.isEmpty, "the colour bar shows viridis")
        if let y = yellowY.max(), let p = purpleY.min() { #expect(y < p, "yellow above purple") }
    }

    @Test(arguments: Renderer.available)
    func decisionRegionsShowThePredictedClass(_ renderer: Renderer) throws {
        // three classes from a fixed linear model: scores (x0, x1, -x0 - x1)
        let lin = Linear(2, 3)
        lin.weight = Parameter(Tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]).to(dtype: .float32))
        lin.bias = Parameter(Tensor([0.0, 0.0, 0.0]).to(dtype: .float32))
        func classOf(_ a: Double, _ b: Double) -> Int { [a, b, -a - b].enumerated().max { $0.element < $1.element }!.offset }
        let g = Generator(seed: 7)
        let pts = Tensor.empty([40, 2], dtype: .float64).uniform_(-2, 2, generator: g)
        let pv = pts.toDoubles()
        let labels = (0..<40).map { classOf(pv[2 * $0], pv[2 * $0 + 1]) }
        #expect(Set(labels).count == 3)

        let fig = Figure(figsize: (5, 4), dpi: 100)
        let ax = fig.addSubplot(1, 1, 1)
        plotDecisionRegions(x: pts, y: labels, model: lin, ax: ax)
        let img = try renderFigure(fig, name: "decision", renderer)

        let f = defaultFrame(fig)
        let xs = (0..<40).map { pv[2 * $0] }, ys = (0..<40).map { pv[2 * $0 + 1] }
        let (xmin, xmax, ymin, ymax) = (xs.min()! - 1, xs.max()! + 1, ys.min()! - 1, ys.max()! + 1)
        let colors = [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x3c, 0xa0, 0x2c)]
        var checked = 0, wrong: [String] = []
        for u in stride(from: f.x + 3, to: f.x + f.w - 3, by: 9) {
            for v in stride(from: f.y + 3, to: f.y + f.h - 3, by: 9) {
                let a = xmin + (u + 0.5 - f.x) / f.w * (xmax - xmin), b = ymax - (v + 0.5 - f.y) / f.h * (ymax - ymin)
                // away from the boundaries, the points and the legend (upper right)
                let sc = [a, b, -a - b].sorted()
                if sc[2] - sc[1] < 0.15 { continue }
                if zip(xs, ys).contains(where: { abs(($0.0 - a) / (xmax - xmin) * f.w) < 9 && abs(($0.1 - b) / (ymax - ymin) * f.h) < 9 }) { continue }
                if u > f.x + f.w - 80 && v < f.y + 90 { continue }
                let c = colors[classOf(a, b)]
                let blended = (Int((0.45 * Double(c.0) + 0.55 * 255).rounded()), Int((0.45 * Double(c.1) + 0.55 * 255).rounded()),
                               Int((0.45 * Double(c.2) + 0.55 * 255).rounded()))
                checked += 1
                if !near(img[u, v], blended, tol: 3) { wrong.append("(\(u), \(v)) data (\(a), \(b)) class \(classOf(a, b)): \(img[u, v])") }
            }
        }
        #expect(checked > 500)
        #expect(wrong.isEmpty, "\(wrong.count) of \(checked) wrong: \(wrong.prefix(5))")
        let t = svgTexts(fig.renderSVG())
        #expect(t.suffix(3) == ["0", "1", "2"], "legend of the classes")
    }

    /// Descent's PNG and librsvg's drawing of the same figure's SVG agree: shapes, text and images
    /// land on the same pixels (anti-aliasing and glyph hinting differ a little at edges).
    @Test(.enabled(if: rsvgConvert != nil, "rsvg-convert is not installed (apt-get install librsvg2-bin)"))
    func pngMatchesLibrsvg() throws {
        manualSeed(0)
        let (fig, axs) = subplots(1, 3, figsize: (12, 3.5))
        let xs = (0..<50).map { Double($0) / 10 }
        axs[0].plot(xs, xs.map { Foundation.sin($0) }, lineWidth: 2, label: "sin")
        axs[0].plot(xs, xs.map { Foundation.cos($0) }, label: "cos", lineStyle: "--")
        axs[0].setTitle("Curves, −1 … 1"); axs[0].setXLabel("x₁ (µs)"); axs[0].setYLabel("y"); axs[0].legend(); axs[0].grid(true)
        axs[1].scatter(Tensor.randn(60), Tensor.randn(60), color: "C1", marker: "^")
        axs[1].setYScale(.log)
        axs[1].plot([1, 2, 3], [1, 10, 100], marker: "o")
        axs[2].imshow(Tensor.rand(8, 8), cmap: .viridis)
        let ours = try renderFigure(fig, name: "compare", .descent)
        let theirs = try renderFigure(fig, name: "compare", .rsvg)
        var total = 0, far = 0
        for y in 0..<ours.height {
            for x in 0..<ours.width {
                let a = ours[Double(x) + 0.5, Double(y) + 0.5], b = theirs[Double(x) + 0.5, Double(y) + 0.5]
                let d = Swift.max(abs(a.0 - b.0), abs(a.1 - b.1), abs(a.2 - b.2))
                total += d
                if d > 96 { far += 1 }
            }
        }
        let n = Double(ours.width * ours.height)
        let mean = Double(total) / n, farShare = Double(far) / n
        #expect(mean < 1.0, "mean largest-channel difference \(mean) levels")
        #expect(farShare < 0.001, "\(far) pixels (\(farShare * 100)%) differ by more than 96 levels")
    }

    /// matplotlib's tight_layout: with long labels on a small 2×2 figure, the default margins cut
    /// the outer labels off and the inner ones run into the next panel; after `tightLayout()` every
    /// text lies inside the figure and no text crosses another panel's frame.
    @Test func tightLayoutFitsLabelsInsideTheFigure() {
        func make() -> Figure {
            let (fig, axs) = subplots(2, 2, figsize: (5, 3.5))
            for (k, ax) in axs.enumerated() {
                ax.plot([0, 1000000.0, 2000000], [1, 3, 2])
                ax.setTitle("Panel \(k + 1) with a long title")
                ax.setXLabel("Training step (thousands)"); ax.setYLabel("Validation loss")
            }
            return fig
        }
        // text boxes (x0, y0, x1, y1) from the SVG: x, y baseline, size, anchor, rotation
        func textBoxes(_ svg: String) -> [(Double, Double, Double, Double, String)] {
            let re = try! NSRegularExpression(pattern: #"<text x="([-\d.]+)" y="([-\d.]+)" font-size="([\d.]+)"( text-anchor="(\w+)")?( transform="rotate)?[^>]*>([^<]*)"#)
            let ns = svg as NSString
            return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
                func g(_ i: Int) -> String? { m.range(at: i).location == NSNotFound ? nil : ns.substring(with: m.range(at: i)) }
                let x = Double(g(1)!)!, y = Double(g(2)!)!, size = Double(g(3)!)!, text = g(7)!
                let w = 0.5 * size * Double(text.count), anchor = g(5) ?? "start"  // DejaVu's mean advance is about 0.55 em
                let shift = anchor == "middle" ? w / 2 : anchor == "end" ? w : 0
                if g(6) != nil { return (x - 0.73 * size, y - w + shift, x + 0.24 * size, y + shift, text) }
                return (x - shift, y - 0.73 * size, x - shift + w, y + 0.24 * size, text)
            }
        }
        func frames(_ svg: String) -> [(Double, Double, Double, Double)] {
            let re = try! NSRegularExpression(pattern: ##"<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#000000""##)
            let ns = svg as NSString
            return re.matches(in: svg, range: NSRange(location: 0, length: ns.length)).map { m in
                let v = (1...4).map { Double(ns.substring(with: m.range(at: $0)))! }
                return (v[0], v[1], v[0] + v[2], v[1] + v[3])
            }
        }
        func problems(_ fig: Figure) -> [String] {
            let svg = fig.renderSVG()
            let W = Double(fig.pixelWidth), H = Double(fig.pixelHeight)
            var out: [String] = []
            let fs = frames(svg)
            #expect(fs.count == 4)
            // leaving the figure: ink on the picture's outermost two pixels
            let png = try! decodePNG(fig.renderPNG())
            for y in 0..<png.height { for x in 0..<png.width where x < 2 || y < 2 || x >= png.width - 2 || y >= png.height - 2 {
                let p = png[Double(x) + 0.5, Double(y) + 0.5]
                if p.0 < 200 { out.append("ink at the edge, pixel (\(x), \(y))"); break }
            } }
            for t in textBoxes(svg) {
                if t.0 < -W || t.3 > 2 * H { out.append("'\(t.4)' far outside the figure") }
                let inside = fs.filter { t.0 < $0.2 && t.2 > $0.0 && t.1 < $0.3 && t.3 > $0.1 }
                if !inside.isEmpty { out.append("'\(t.4)' crosses a panel") }
            }
            return out
        }
        #expect(!problems(make()).isEmpty, "the default layout clips or overlaps (else the test shows nothing)")
        let fig = make()
        fig.tightLayout()
        if let dir = ProcessInfo.processInfo.environment["DESCENT_PLOT_OUT"] { try? fig.savefig(dir + "/tight.png"); try? make().savefig(dir + "/not-tight.png") }
        #expect(problems(fig) == [])
        // the panels still form a grid: equal sizes, aligned rows and columns
        let fs = frames(fig.renderSVG())
        #expect(abs((fs[0].2 - fs[0].0) - (fs[3].2 - fs[3].0)) < 0.01 && abs(fs[0].0 - fs[2].0) < 0.01 && abs(fs[0].1 - fs[1].1) < 0.01)
    }

    /// `scatter(x, y, c: values, cmap:)`: each point takes its value's colour, scaled between the
    /// values' minimum and maximum (matplotlib: viridis(0) = #440154, viridis(1) = #fde725).
    @Test(arguments: Renderer.available)
    func scatterColoursByValue(_ renderer: Renderer) throws {
        let fig = Figure(figsize: (4, 3), dpi: 100)
        let ax = fig.addSubplot(1, 1, 1)
        ax.scatter([0.0, 1, 2], [0.0, 1, 2], c: [10.0, 15, 20], cmap: .viridis, s: 400)
        let img = try renderFigure(fig, name: "scatter-c", renderer)
        let f = defaultFrame(fig)
        func px(_ v: Double) -> (Double, Double) { (f.x + (v + 0.1) / 2.2 * f.w, f.y + f.h - (v + 0.1) / 2.2 * f.h) }
        let (x0, y0) = px(0), (x2, y2) = px(2)
        #expect(near(img[x0, y0], (0x44, 0x01, 0x54), tol: 3), "lowest value: \(img[x0, y0])")
        #expect(near(img[x2, y2], (0xfd, 0xe7, 0x25), tol: 3), "highest value: \(img[x2, y2])")
        let mid = Colormap.viridis(0.5)
        let (x1, y1) = px(1)
        #expect(near(img[x1, y1], (Int(mid.red * 255), Int(mid.green * 255), Int(mid.blue * 255)), tol: 3), "middle value")
    }

    /// `descent xor` (the XOR lecture program) writes its three-panel figure: 1600 × 400 pixels, loss
    /// curves on the left, the decision regions' two class colours filling the right panel.
    @Test(.enabled(if: MPIRun.sibling("descent") != nil, "build the CLI first: swift build -c release --product descent"))
    func xorProgramWritesItsFigure() throws {
        let dir = plotTempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: MPIRun.sibling("descent")!)
        p.arguments = ["xor", "--figure", dir + "/xor.png"]
        p.standardOutput = Pipe()
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let img = try decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/xor.png"))))
        #expect(img.width == 1600 && img.height == 400)
        // the right panel (x 1100...1400): mlxtend's light blue and light orange fill most of it
        var blue = 0, orange = 0
        for y in stride(from: 60, to: 340, by: 4) { for x in stride(from: 1100, to: 1400, by: 4) {
            let c = img[Double(x), Double(y)]
            if c.2 > c.0 + 40 { blue += 1 } else if c.0 > c.2 + 40 { orange += 1 }
        } }
        #expect(blue > 500 && orange > 500, "class colours in the decision panel: \(blue) blue, \(orange) orange")
        // the first panel has the two loss curves in C0 and C1 somewhere
        var c0 = false, c1 = false
        for y in 50..<350 { for x in 200..<560 {
            let c = img[Double(x), Double(y)]
            if near(c, (0x1f, 0x77, 0xb4), tol: 10) { c0 = true }
            if near(c, (0xff, 0x7f, 0x0e), tol: 10) { c1 = true }
        } }
        #expect(c0 && c1, "the train and validation loss curves")
    }

    @Test func withoutAnAxesTheCurrentFigureHoldsThePlot() {
        // mlxtend's plot_decision_regions(X, y, clf) draws into plt.gca(): here the current figure, kept alive
        let x: [[Double]] = [[-1, 0], [1, 0]]
        let ax = plotDecisionRegions(x: x, y: [0, 1], gridSize: (4, 4)) { t in (t[0..., 0] .> 0.0).to(dtype: .float32) }
        #expect(ax.figure != nil && ax.figure === Figure.current)
        #expect(Figure.gcf() === ax.figure)
    }

    @Test(arguments: Renderer.available)
    func decisionRegionsWithAClosureAndOneOutput(_ renderer: Renderer) throws {
        // a single output thresholded at 0.5: class 1 where x0 > 0
        let x: [[Double]] = [[-1, 0], [-0.5, 1], [0.5, -1], [1, 0.5]]
        let fig = Figure(figsize: (4, 4), dpi: 100)
        let ax = plotDecisionRegions(x: x, y: [0, 0, 1, 1], ax: fig.addSubplot(1, 1, 1)) { t in
            (t[0..., 0] .> 0.0).to(dtype: .float32)
        }
        #expect(ax === fig.axes[0])
        let img = try renderFigure(fig, name: "decision2", renderer)
        let f = defaultFrame(fig)
        // view: x -2…2; at 1/8 and 7/8 of the width, low in the panel (away from points and legend)
        let left = img[f.x + f.w * 0.125, f.y + f.h * 0.8], right = img[f.x + f.w * 0.875, f.y + f.h * 0.8]
        // 45% of C0 (#1f77b4) and C1 (#ff7f0e) over white
        #expect(near(left, (154, 194, 221), tol: 3), "class 0: \(left)")
        #expect(near(right, (255, 197, 147), tol: 3), "class 1: \(right)")
    }

    @Test(arguments: Renderer.available)
    func threePanelsLikeTheXORLecture(_ renderer: Renderer) throws {
        // the lecture's figure: loss and accuracy curves, then the decision regions of an MLP
        manualSeed(1)
        let x = Tensor.rand(200, 2) * 2 - 1
        let y = ((x[.all, 0] * x[.all, 1]) .< 0.0).to(dtype: .float32)
        let net = Sequential { Linear(2, 8); ReLU(); Linear(8, 1); Sigmoid() }
        let epochs = 60
        let loss = (0..<epochs).map { 0.7 * exp(-Double($0) / 15) + 0.05 }
        let acc = (0..<epochs).map { 1 - 0.5 * exp(-Double($0) / 10) }
        let fig = Figure(figsize: (16, 4), dpi: 100)
        let ax1 = fig.addSubplot(1, 3, 1)
        ax1.plot(loss, lineWidth: 4, label: "Train loss")
        ax1.plot(loss.map { $0 + 0.03 }, lineWidth: 4, label: "Validation loss")
        ax1.legend(); ax1.setXLabel("Epochs"); ax1.setYLabel("Loss")
        let ax2 = fig.addSubplot(1, 3, 2)
        ax2.plot(acc, lineWidth: 4, label: "Train acc.")
        ax2.plot(acc.map { $0 - 0.02 }, lineWidth: 4, label: "Validation acc.")
        ax2.legend(); ax2.setXLabel("Epochs"); ax2.setYLabel("Accuracy"); ax2.grid()
        let ax3 = fig.addSubplot(1, 3, 3)
        plotDecisionRegions(x: x, y: y, model: net, ax: ax3)
        ax3.setXLabel("x₁"); ax3.setYLabel("x₂")
        let img = try renderFigure(fig, name: "xor-figure", renderer)
        // the last train-loss point: C0, in the first panel
        let f = (x: 0.125 * 1600.0, w: 0.775 * 1600 / 3.4, y: 0.12 * 400.0, h: 0.77 * 400.0)
        let (lo, hi) = (loss.min()!, loss.max()! + 0.03)
        let n = Double(epochs - 1)
        let u = f.x + (n + 0.05 * n) / (1.1 * n) * f.w
        let v = f.y + f.h - (loss[epochs - 1] - lo + 0.05 * (hi - lo)) / (1.1 * (hi - lo)) * f.h
        #expect(near(img[u, v], (0x1f, 0x77, 0xb4), tol: 30), "last loss point: \(img[u, v])")
    }

    @Test(arguments: Renderer.available)
    func histogramLogScaleAndScatterMarkers(_ renderer: Renderer) throws {
        let (fig, axs) = subplots(1, 3, figsize: (12, 3.5))
        let g = Generator(seed: 3)
        let data = Tensor.randn([2000], dtype: .float64, generator: g)
        let (counts, edges) = axs[0].hist(data, bins: 20, label: "randn")
        axs[0].legend(); axs[0].setTitle("hist")
        axs[1].plot((1...100).map { 1 / Double($0 * $0) }, label: "1/n²")
        axs[1].setYScale(.log); axs[1].legend(); axs[1].setTitle("log scale"); axs[1].grid()
        let markers: [Marker] = ["o", "s", "^", "v", "<", ">", "D", "x", "+", "*"]
        axs[2].scatter((0..<10).map(Double.init), (0..<10).map { Double($0 % 3) }, s: 80, colors: Color.tab10, markers: markers)
        axs[2].setTitle("markers"); axs[2].setXLim(-1, 10); axs[2].setYLim(-1, 3)
        let img = try renderFigure(fig, name: "hist-log-scatter", renderer)
        // the tallest bar is C0 halfway up
        let i = counts.indices.max { counts[$0] < counts[$1] }!
        let W = 1200.0, H = 350.0
        let cw = 0.775 * W / 3.4
        let f = (x: 0.125 * W, y: 0.12 * H, w: cw, h: 0.77 * H)
        let (x0, x1) = (edges.first!, edges.last!), m = (x1 - x0) * 0.05
        let u = f.x + ((edges[i] + edges[i + 1]) / 2 - (x0 - m)) / (x1 - x0 + 2 * m) * f.w
        let top = counts[i] * 1.05
        let v = f.y + f.h - counts[i] / 2 / top * f.h
        #expect(near(img[u, v], (0x1f, 0x77, 0xb4), tol: 2), "bar colour \(img[u, v])")
    }

}
}
