import Foundation

/// Training curves redrawn as they grow (the homework's `plt.ion()` / `ax.clear()` / `plt.pause`
/// loop): every `update` appends one value per named series and redraws. With a `path`, the figure
/// is rewritten atomically (an image viewer or browser tab shows the new one; `htmlPath` is a small
/// page that reloads it every two seconds). With `terminal: true`, the curves are drawn in place on
/// standard error with Unicode braille characters, so they show over ssh.
///
/// Series whose name contains "loss" go in the first panel, the others (accuracies, ...) in a
/// second, each against the update number (the epoch).
public final class LivePlot {
    /// Where the figure is written (`.svg`), or nil.
    public let path: String?
    /// Whether the curves are also drawn in the terminal.
    public let terminal: Bool
    /// The values so far, per series, in the order the names first appeared.
    public private(set) var series: [(name: String, values: [Double])] = []
    let figsize: (Double, Double)
    let columns: Int, rows: Int
    private var drawnLines = 0

    /// - Parameters:
    ///   - path: the image to rewrite after each update (SVG), or nil.
    ///   - terminal: draw in place on standard error with braille characters (`columns` x `rows` characters a panel).
    public init(path: String? = nil, terminal: Bool = false, figsize: (Double, Double) = (12, 4), columns: Int = 60, rows: Int = 12) {
        self.path = path; self.terminal = terminal; self.figsize = figsize
        self.columns = Swift.max(columns, 1); self.rows = Swift.max(rows, 1)
    }

    /// The page that shows `path` and reloads it: `<path>.html`.
    public var htmlPath: String? { path.map { $0 + ".html" } }

    /// Appends `values` (a series missing here gets no point this time) and redraws.
    public func update(_ values: [String: Double]) throws {
        for (name, v) in values.sorted(by: { $0.key < $1.key }) {
            if let i = series.firstIndex(where: { $0.name == name }) { series[i].values.append(v) }
            else { series.append((name, [v])) }
        }
        try redraw()
    }

    /// The panels: loss-like series first, then the rest (empty panels are left out).
    var panels: [[(name: String, values: [Double])]] {
        let loss = series.filter { $0.name.lowercased().contains("loss") }
        let other = series.filter { !$0.name.lowercased().contains("loss") }
        return [loss, other].filter { !$0.isEmpty }
    }

    /// The figure of the current curves.
    public func figure() -> Figure {
        let panels = self.panels
        let fig = Figure(figsize: figsize, dpi: 100)
        for (k, panel) in panels.enumerated() {
            let ax = fig.addSubplot(1, Swift.max(panels.count, 1), k + 1)
            for s in panel { ax.plot(s.values, lineWidth: 2, label: s.name, marker: s.values.count == 1 ? .circle : nil) }
            ax.setXLabel("epoch")
            ax.legend()
            ax.grid()
        }
        return fig
    }

    private func redraw() throws {
        if let path {
            try figure().savefig(path)
            if let html = htmlPath, !FileManager.default.fileExists(atPath: html) {
                let name = (path as NSString).lastPathComponent
                let page = """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(name)</title></head>
                <body style="margin:0;background:#fff"><img id="p" src="\(name)" style="max-width:100%">
                <script>setInterval(function(){document.getElementById('p').src='\(name)?t='+Date.now()},2000)</script>
                </body></html>

                """
                do { try writeFileAtomically(html, data: Data(page.utf8)) }
                catch let SerializationError.writeFailed(_, reason) { throw PlotError.writeFailed(path: html, reason: reason) }
            }
        }
        if terminal {
            let text = brailleText()
            // move back over the previous drawing, then draw over it
            let up = drawnLines > 0 ? "\u{1B}[\(drawnLines)A\r" : ""
            FileHandle.standardError.write(Data((up + text).utf8))
            drawnLines = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        }
    }

    /// The panels drawn with braille characters (2 x 4 dots a character), one colour per series,
    /// a line of legend under each panel; ends with a newline.
    public func brailleText(colors: Bool = true) -> String {
        var out = ""
        for panel in panels {
            let all = panel.flatMap { $0.values }.filter { $0.isFinite }
            guard let lo0 = all.min(), let hi0 = all.max() else { continue }
            let (lo, hi) = lo0 == hi0 ? (lo0 - 0.5, hi0 + 0.5) : (lo0, hi0)
            let n = panel.map { $0.values.count }.max() ?? 1
            var canvas = BrailleCanvas(columns: columns, rows: rows)
            for (k, s) in panel.enumerated() {
                var last: (Int, Int)?
                for (i, v) in s.values.enumerated() where v.isFinite {
                    let x = n <= 1 ? 0 : Int((Double(i) / Double(n - 1) * Double(canvas.width - 1)).rounded())
                    let y = Int(((hi - v) / (hi - lo) * Double(canvas.height - 1)).rounded())
                    if let p = last { canvas.line(p.0, p.1, x, y, series: k) } else { canvas.set(x, y, series: k) }
                    last = (x, y)
                }
            }
            let label = { (v: Double) in String(format: "%9.4g", v) }
            let lines = canvas.lines(colors: colors)
            for (r, line) in lines.enumerated() {
                let axis = r == 0 ? label(hi) : r == lines.count - 1 ? label(lo) : String(repeating: " ", count: 9)
                out += axis + " ┤" + line + "\n"
            }
            out += String(repeating: " ", count: 10) + "└" + String(repeating: "─", count: columns) + "\n"
            out += String(repeating: " ", count: 11) + panel.enumerated().map { k, s in
                let last = s.values.last.map { String(format: "%.4g", $0) } ?? ""
                return (colors ? BrailleCanvas.ansi(k) : "") + "⣿ \(s.name) \(last)" + (colors ? "\u{1B}[0m" : "")
            }.joined(separator: "   ") + "\n"
        }
        return out
    }
}

/// A grid of braille characters used as a bitmap of `2 * columns` x `4 * rows` dots; each dot
/// remembers the series that set it last (its colour).
struct BrailleCanvas {
    let columns: Int, rows: Int
    var width: Int { columns * 2 }
    var height: Int { rows * 4 }
    private var dots: [Int8]   // -1: empty, else the series

    init(columns: Int, rows: Int) {
        self.columns = columns; self.rows = rows
        dots = [Int8](repeating: -1, count: columns * 2 * rows * 4)
    }
    mutating func set(_ x: Int, _ y: Int, series: Int) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        dots[y * width + x] = Int8(truncatingIfNeeded: series)
    }
    /// Bresenham's line.
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, series: Int) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, series: series)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }
    /// The tab10-like terminal colours: blue, orange (yellow), green, red, magenta, cyan.
    static func ansi(_ series: Int) -> String {
        let codes = [34, 33, 32, 31, 35, 36]
        return "\u{1B}[\(codes[series % codes.count])m"
    }
    /// One string per character row. A character takes the colour of its first lit dot's series.
    func lines(colors: Bool) -> [String] {
        // dot (dx, dy) inside a character -> its bit in U+2800 + bits
        let bit: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        var out: [String] = []
        for r in 0..<rows {
            var line = ""
            var current: Int8 = -1
            for c in 0..<columns {
                var code: UInt32 = 0
                var owner: Int8 = -1
                for dy in 0..<4 {
                    for dx in 0..<2 {
                        let s = dots[(r * 4 + dy) * width + c * 2 + dx]
                        if s >= 0 { code |= bit[dy][dx]; if owner < 0 { owner = s } }
                    }
                }
                if colors && owner >= 0 && owner != current { line += BrailleCanvas.ansi(Int(owner)); current = owner }
                line.unicodeScalars.append(Unicode.Scalar(0x2800 + code)!)
            }
            if colors && current >= 0 { line += "\u{1B}[0m" }
            out.append(line)
        }
        return out
    }
}

/// Redraws the logged epoch metrics after every training epoch (a `LivePlot` as a Trainer callback;
/// the homework's live loss and accuracy curves). `metrics` names what to draw (default: every
/// epoch-level value the module logged, but `epoch`); the figure goes to `path` (SVG, rewritten
/// atomically, with `path.html` to watch it in a browser) and, with `terminal: true`, to the terminal.
public final class PlotCallback: Callback {
    public let plot: LivePlot
    public let metrics: [String]?
    public init(path: String? = nil, metrics: [String]? = nil, terminal: Bool = false) {
        plot = LivePlot(path: path, terminal: terminal)
        self.metrics = metrics
    }
    override var isMonitoring: Bool { true }   // after the module's epoch-end hook and validation
    public override func onTrainEpochEnd(_ trainer: Trainer, _ module: Module) throws {
        guard trainer.isGlobalZero else { return }
        var values: [String: Double] = [:]
        if let names = metrics {
            for n in names { if let v = trainer.callbackMetrics[n] { values[n] = v } }
        } else {
            for (k, v) in trainer.callbackMetrics where k != "epoch" && !k.hasSuffix("_step") { values[k] = v }
        }
        try plot.update(values)
    }
}

/// The curves of a `CSVLogger` file (`lightning_logs/version_0/metrics.csv`: `epoch`, `step`, then one
/// column per metric, empty where a row has none), as `descent plot` draws them: every epoch-level
/// metric against the epoch, losses in the first panel, the rest in a second.
public struct MetricsCSV {
    /// The metric columns (not `epoch` or `step`), in the file's order.
    public let names: [String]
    /// Per metric, its (epoch, value) points in file order.
    public let points: [String: [(epoch: Double, value: Double)]]

    /// Reads and checks a metrics file; a malformed one throws `MetricsCSVError` naming the line.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw MetricsCSVError.unreadable(path: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw MetricsCSVError.malformed(path: path, line: 1, reason: "not UTF-8 text") }
        try self.init(text: text, path: path)
    }
    /// Parses the text of a metrics file (`path` names it in errors).
    public init(text: String, path: String = "metrics.csv") throws {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        guard let header = lines.first, !header.isEmpty else { throw MetricsCSVError.malformed(path: path, line: 1, reason: "no header") }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let epochColumn = columns.firstIndex(of: "epoch") else {
            throw MetricsCSVError.malformed(path: path, line: 1, reason: "no epoch column in the header")
        }
        if Set(columns).count != columns.count { throw MetricsCSVError.malformed(path: path, line: 1, reason: "a column name appears twice") }
        let metricColumns = columns.indices.filter { columns[$0] != "epoch" && columns[$0] != "step" && !columns[$0].isEmpty }
        var points: [String: [(epoch: Double, value: Double)]] = [:]
        for (n, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == columns.count else {
                throw MetricsCSVError.malformed(path: path, line: n + 1, reason: "\(cells.count) cells for \(columns.count) columns")
            }
            guard let epoch = Double(cells[epochColumn]), epoch.isFinite else {
                throw MetricsCSVError.malformed(path: path, line: n + 1, reason: "epoch is not a number: \"\(cells[epochColumn].prefix(20))\"")
            }
            for c in metricColumns where !cells[c].isEmpty {
                guard let v = Double(cells[c]) else {
                    throw MetricsCSVError.malformed(path: path, line: n + 1, reason: "\(columns[c]) is not a number: \"\(cells[c].prefix(20))\"")
                }
                points[columns[c], default: []].append((epoch, v))
            }
        }
        names = metricColumns.map { columns[$0] }
        self.points = points
    }

    /// The figure: one line per metric with values, losses in the first panel, the rest in the second.
    public func figure(figsize: (Double, Double) = (12, 4)) -> Figure {
        let drawn = names.filter { !(points[$0]?.isEmpty ?? true) }
        let loss = drawn.filter { $0.lowercased().contains("loss") }, other = drawn.filter { !$0.lowercased().contains("loss") }
        let panels = [loss, other].filter { !$0.isEmpty }
        let fig = Figure(figsize: figsize, dpi: 100)
        for (k, panel) in panels.enumerated() {
            let ax = fig.addSubplot(1, panels.count, k + 1)
            for name in panel {
                let p = points[name]!
                ax.plot(p.map(\.epoch), p.map(\.value), lineWidth: 2, label: name, marker: p.count == 1 ? .circle : nil)
            }
            ax.setXLabel("epoch")
            ax.legend()
            ax.grid()
        }
        return fig
    }
}

/// A metrics file that cannot be plotted.
public enum MetricsCSVError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case malformed(path: String, line: Int, reason: String)
    public var description: String {
        switch self {
        case let .unreadable(path): return "cannot read \(path)"
        case let .malformed(path, line, reason): return "\(path), line \(line): \(reason)"
        }
    }
}
