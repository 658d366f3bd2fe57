import Foundation

/// One plot panel of a `Figure` (matplotlib's `Axes`): lines, points, images and histograms in
/// data coordinates, with ticks, labels, a title, a legend and a grid. Make one with
/// `Figure.addSubplot(_:_:_:)` or `subplots(_:_:)`.
///
/// ```swift
/// let fig = Figure(figsize: (16, 4), dpi: 100)
/// let ax = fig.addSubplot(1, 3, 1)
/// ax.plot(lossHist, lineWidth: 4, label: "train")
/// ax.setXLabel("Epoch"); ax.setYLabel("Loss"); ax.legend()
/// try fig.savefig("curves.svg")
/// ```
public final class Axes {
    /// The figure this panel belongs to.
    public private(set) weak var figure: Figure?
    /// The panel's box in figure coordinates (0…1 from the left and from the bottom), as matplotlib's
    /// `get_position()`: (left, bottom, width, height).
    var position: (x: Double, y: Double, w: Double, h: Double)
    /// Where the box sits inside `position` when an equal aspect shrinks it (0…1 from left, bottom).
    var anchor: (Double, Double) = (0.5, 0.5)

    var artists: [Artist] = []
    var title: String?
    var xLabel: String?
    var yLabel: String?
    var xLimits: (Double, Double)?
    var yLimits: (Double, Double)?
    var xScale = AxisScale.linear
    var yScale = AxisScale.linear
    var gridOn = false
    var legendSpec: (loc: LegendLocation, frameAlpha: Double)?
    var aspectEqual = false
    var spinesVisible = true
    var axisOn = true
    var xTicksFixed: (values: [Double], labels: [String]?)?
    var yTicksFixed: (values: [Double], labels: [String]?)?
    var lineCycle = 0
    var patchCycle = 0
    /// Set on the axes of a colour bar: the image it explains (ticks on the right, no x ticks).
    var colorbarOf: AxesImage?
    /// Images and bars stop autoscaling at their edges (matplotlib's sticky edges).
    var stickyX: [Double] = []
    var stickyY: [Double] = []
    /// The grid cell of `addSubplot`/`subplots` (what `tightLayout` rearranges).
    var gridSpec: (nrows: Int, ncols: Int, row: Int, col: Int)?
    /// The panel's cell before a colour bar took part of it, in figure coordinates.
    var slot: (x: Double, y: Double, w: Double, h: Double)
    /// The colour bar drawn beside this panel, if any.
    var colorbarAxes: Axes?

    init(figure: Figure, position: (Double, Double, Double, Double)) {
        self.figure = figure
        self.position = (position.0, position.1, position.2, position.3)
        self.slot = self.position
    }

    func nextLineColor() -> Color { defer { lineCycle += 1 }; return Color.tab10[lineCycle % 10] }
    func nextPatchColor() -> Color { defer { patchCycle += 1 }; return Color.tab10[patchCycle % 10] }

    // MARK: Lines

    /// Plots `y` against its indices 0, 1, 2, … (matplotlib's `plot(y)`).
    ///
    /// - Parameters:
    ///   - lineWidth: in points (matplotlib's `lw`/`linewidth`, default 1.5).
    ///   - color: default: the next colour of the cycle (`C0`, `C1`, …).
    ///   - label: the line's name in the legend.
    ///   - lineStyle: `"-"`, `"--"`, `"-."`, `":"`.
    ///   - marker: a marker drawn at every point (default none).
    @discardableResult
    public func plot(_ y: some PlotData, lineWidth: Double = 1.5, color: Color? = nil, label: String? = nil,
                     lineStyle: LineStyle = .solid, marker: Marker? = nil, markerSize: Double = 6, alpha: Double = 1) -> Line2D {
        let ys = y.plotValues
        return addLine(ys.indices.map(Double.init), ys, lineWidth, color, label, lineStyle, marker, markerSize, alpha)
    }

    /// Plots `y` against `x` (matplotlib's `plot(x, y)`); see `plot(_:lineWidth:color:label:lineStyle:marker:markerSize:alpha:)`.
    @discardableResult
    public func plot(_ x: some PlotData, _ y: some PlotData, lineWidth: Double = 1.5, color: Color? = nil, label: String? = nil,
                     lineStyle: LineStyle = .solid, marker: Marker? = nil, markerSize: Double = 6, alpha: Double = 1) -> Line2D {
        let xs = x.plotValues, ys = y.plotValues
        if xs.count != ys.count {
            fail("x and y must have same first dimension, but have shapes (\(xs.count),) and (\(ys.count),)")
        }
        return addLine(xs, ys, lineWidth, color, label, lineStyle, marker, markerSize, alpha)
    }

    private func addLine(_ xs: [Double], _ ys: [Double], _ lw: Double, _ color: Color?, _ label: String?,
                         _ ls: LineStyle, _ marker: Marker?, _ ms: Double, _ alpha: Double) -> Line2D {
        let line = Line2D(x: xs, y: ys, color: color ?? nextLineColor(), lineWidth: lw, lineStyle: ls, marker: marker,
                          markerSize: ms, label: label, alpha: alpha)
        artists.append(.line(line))
        return line
    }

    // MARK: Points

    /// Draws a marker at each point (matplotlib's `scatter(x, y)`).
    ///
    /// - Parameters:
    ///   - s: marker area in points² (default 36: a 6-point marker).
    ///   - color: one colour for all points (default: the next colour of the cycle).
    ///   - colors: one colour per point (overrides `color`).
    ///   - marker: the marker shape (default a circle); `markers`: one per point.
    ///   - edgeColor: an outline around filled markers (default none).
    @discardableResult
    public func scatter(_ x: some PlotData, _ y: some PlotData, s: Double = 36, color: Color? = nil, colors: [Color]? = nil,
                        marker: Marker = .circle, markers: [Marker]? = nil, alpha: Double = 1, edgeColor: Color? = nil,
                        edgeWidth: Double = 1, label: String? = nil) -> PathCollection {
        let xs = x.plotValues, ys = y.plotValues
        if xs.count != ys.count { fail("x and y must be the same size, but have sizes \(xs.count) and \(ys.count)") }
        if let c = colors, c.count != xs.count {
            fail("'c' argument has \(c.count) elements, which is inconsistent with 'x' and 'y' with size \(xs.count).")
        }
        if let m = markers, m.count != xs.count { fail("'markers' has \(m.count) elements, but 'x' and 'y' have size \(xs.count)") }
        let cs = colors ?? [color ?? nextPatchColor()]
        let pc = PathCollection(x: xs, y: ys, colors: cs.isEmpty ? [Color.tab10[0]] : cs, markers: markers ?? [marker],
                                size: s, edgeColor: edgeColor, edgeWidth: edgeWidth, alpha: alpha, label: label)
        artists.append(.scatter(pc))
        return pc
    }

    /// Draws a marker at each point coloured by its value in `c` through `cmap` (matplotlib's
    /// `scatter(x, y, c=values, cmap="viridis")`), scaled between `vmin` and `vmax` (default: the
    /// values' minimum and maximum).
    @discardableResult
    public func scatter(_ x: some PlotData, _ y: some PlotData, c: some PlotData, cmap: Colormap = .viridis,
                        vmin: Double? = nil, vmax: Double? = nil, s: Double = 36, marker: Marker = .circle,
                        alpha: Double = 1, edgeColor: Color? = nil, edgeWidth: Double = 1, label: String? = nil) -> PathCollection {
        let values = c.plotValues
        let finite = values.filter(\.isFinite)
        let lo = vmin ?? finite.min() ?? 0, hi = vmax ?? finite.max() ?? 1
        let colors = values.map { v in cmap(hi > lo ? (v - lo) / (hi - lo) : 0) }
        return scatter(x, y, s: s, colors: colors, marker: marker, alpha: alpha, edgeColor: edgeColor,
                       edgeWidth: edgeWidth, label: label)
    }

    // MARK: Images

    /// Shows a 2-D array as an image (matplotlib's `imshow`): row 0 at the top, pixel (i, j) centred at
    /// x = j, y = i, square pixels. Scalar images are coloured by `cmap` between `vmin` and `vmax`
    /// (default: the data's minimum and maximum); `[H, W, 3]` or `[H, W, 4]` tensors are RGB(A) in 0…1.
    @discardableResult
    public func imshow(_ image: some PlotMatrix, cmap: Colormap = .viridis, vmin: Double? = nil, vmax: Double? = nil) -> AxesImage {
        let (shape, values) = image.plotMatrix
        let rgba: [UInt8]
        var lo = 0.0, hi = 1.0
        let isColor = shape.count == 3 && (shape[2] == 3 || shape[2] == 4)
        guard shape.count == 2 || isColor else { fail("Invalid shape \(shapeString(shape)) for image data") }
        let h = shape[0], w = shape[1]
        if isColor {
            let c = shape[2]
            var px = [UInt8](repeating: 255, count: h * w * 4)
            for p in 0..<(h * w) {
                for k in 0..<c { px[p * 4 + k] = UInt8((Swift.min(Swift.max(values[p * c + k], 0), 1) * 255).rounded()) }
            }
            rgba = px
        } else {
            let finite = values.filter(\.isFinite)
            lo = vmin ?? finite.min() ?? 0
            hi = vmax ?? finite.max() ?? 1
            let span = hi - lo
            var px = [UInt8](repeating: 0, count: h * w * 4)
            for p in 0..<(h * w) {
                let v = values[p]
                if !v.isFinite { continue }  // NaN: transparent, as matplotlib's "bad" colour
                let t = span > 0 ? (v - lo) / span : 0
                let (r, g, b) = cmap.rgb8(t)
                px[p * 4] = r; px[p * 4 + 1] = g; px[p * 4 + 2] = b; px[p * 4 + 3] = 255
            }
            rgba = px
        }
        let img = AxesImage(width: w, height: h, rgba: rgba, extent: (-0.5, Double(w) - 0.5, Double(h) - 0.5, -0.5),
                            cmap: isColor ? nil : cmap, vmin: lo, vmax: hi)
        artists.append(.image(img))
        stickyX += [-0.5, Double(w) - 0.5]
        stickyY += [-0.5, Double(h) - 0.5]
        if xLimits == nil { xLimits = (-0.5, Double(w) - 0.5) }
        if yLimits == nil { yLimits = (Double(h) - 0.5, -0.5) }
        aspectEqual = true
        return img
    }

    /// Adds a ready-made image covering `extent` (left, right, bottom, top) without touching the limits.
    func addImage(_ img: AxesImage) { artists.append(.image(img)) }

    // MARK: Histograms

    /// Counts `x` in `bins` equal bins over `range` (default: the data's minimum to maximum; the last
    /// bin includes its right edge, as numpy's) and draws the counts as bars (matplotlib's `hist`).
    /// With `density`, the bars are scaled to integrate to 1. Returns the counts and the `bins + 1` edges.
    @discardableResult
    public func hist(_ x: some PlotData, bins: Int = 10, range: (Double, Double)? = nil, density: Bool = false,
                     color: Color? = nil, edgeColor: Color? = nil, alpha: Double = 1, label: String? = nil) -> (counts: [Double], edges: [Double]) {
        if bins < 1 { fail("`bins` must be positive, when an integer") }
        let xs = x.plotValues.filter(\.isFinite)
        var (lo, hi) = range ?? (xs.min() ?? 0, xs.max() ?? 1)
        if lo > hi { fail("max must be larger than min in range parameter.") }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        var counts = [Double](repeating: 0, count: bins)
        for v in xs where v >= lo && v <= hi {
            var i = Int((v - lo) / (hi - lo) * Double(bins))
            if i == bins { i -= 1 }
            // exact comparison against the edges, as numpy's searchsorted does
            while i > 0 && v < edges[i] { i -= 1 }
            while i < bins - 1 && v >= edges[i + 1] { i += 1 }
            counts[i] += 1
        }
        if density {
            let total = counts.reduce(0, +)
            if total > 0 { counts = counts.indices.map { counts[$0] / (total * (edges[$0 + 1] - edges[$0])) } }
        }
        let bc = BarContainer(bars: counts.indices.map { (edges[$0], edges[$0 + 1], 0, counts[$0]) },
                              color: color ?? nextPatchColor(), edgeColor: edgeColor, alpha: alpha, label: label)
        artists.append(.bars(bc))
        stickyY.append(0)
        return (counts, edges)
    }

    // MARK: Decorations

    /// Sets the title drawn above the panel.
    public func setTitle(_ title: String) { self.title = title }
    /// Sets the label under the x axis.
    public func setXLabel(_ label: String) { xLabel = label }
    /// Sets the label left of the y axis.
    public func setYLabel(_ label: String) { yLabel = label }
    /// Fixes the x axis to `left…right` (matplotlib's `set_xlim`); `left > right` flips the axis.
    public func setXLim(_ left: Double, _ right: Double) { xLimits = (left, right) }
    /// Fixes the y axis to `bottom…top` (matplotlib's `set_ylim`); `bottom > top` flips the axis.
    public func setYLim(_ bottom: Double, _ top: Double) { yLimits = (bottom, top) }
    /// The x axis's scale: `.linear` or `.log` (base 10; values ≤ 0 are not drawn).
    public func setXScale(_ scale: AxisScale) { xScale = scale }
    /// The y axis's scale: `.linear` or `.log` (base 10; values ≤ 0 are not drawn).
    public func setYScale(_ scale: AxisScale) { yScale = scale }
    /// Draws grid lines at the major ticks (matplotlib's `grid()`; light gray, under the lines).
    public func grid(_ visible: Bool = true) { gridOn = visible }
    /// Draws a legend of the labelled lines, points and bars (matplotlib's `legend()`); `.best` puts it
    /// where it covers the least data.
    public func legend(loc: LegendLocation = .best, frameAlpha: Double = 0.8) { legendSpec = (loc, frameAlpha) }
    /// Puts the x ticks at `ticks`, labelled by `labels` (default: formatted numbers); `[]` removes them.
    public func setXTicks(_ ticks: [Double], labels: [String]? = nil) { xTicksFixed = (ticks, labels) }
    /// Puts the y ticks at `ticks`, labelled by `labels` (default: formatted numbers); `[]` removes them.
    public func setYTicks(_ ticks: [Double], labels: [String]? = nil) { yTicksFixed = (ticks, labels) }
    /// matplotlib's `axis("off")` (hides spines, ticks and axis labels), `axis("on")` and `axis("equal")`.
    public func axis(_ option: String) {
        switch option {
        case "off": axisOn = false
        case "on": axisOn = true
        case "equal", "scaled", "image": aspectEqual = true
        default: fail("Unrecognized string '\(option)' to axis; try 'on' or 'off'")
        }
    }
    /// Removes everything drawn and every setting (matplotlib's `ax.clear()`), keeping the panel's place.
    public func clear() {
        artists = []; title = nil; xLabel = nil; yLabel = nil; xLimits = nil; yLimits = nil
        xScale = .linear; yScale = .linear; gridOn = false; legendSpec = nil; aspectEqual = false
        spinesVisible = true; axisOn = true; xTicksFixed = nil; yTicksFixed = nil; lineCycle = 0; patchCycle = 0
        stickyX = []; stickyY = []
    }
}
