import Foundation

/// A picture of one or more panels (matplotlib's `Figure`), written to SVG by `savefig(_:)`.
///
/// Sizes follow matplotlib: `figsize` is in inches and the picture is `figsize × dpi` pixels; line
/// widths, marker and font sizes are in points (1/72 inch), so a figure keeps its look at any dpi.
///
/// ```swift
/// let fig = Figure(figsize: (16, 4), dpi: 100)     // 1600 × 400 pixels
/// let ax = fig.addSubplot(1, 3, 1)
/// ax.plot(lossHist, lineWidth: 4)
/// try fig.savefig("curves.svg")
/// ```
public final class Figure {
    /// Width and height in inches.
    public let figsize: (width: Double, height: Double)
    /// Pixels per inch.
    public let dpi: Double
    /// The panels, in the order they were added (colour bars included).
    public private(set) var axes: [Axes] = []
    var suptitleText: String?

    /// A figure `figsize` inches large at `dpi` pixels per inch (matplotlib's defaults: 6.4 × 4.8 in, 100 dpi).
    /// The figure that plotting calls without an `ax:` draw into (matplotlib's `plt.gcf()`): made on first
    /// use, and kept alive here, since an `Axes` refers to its figure weakly.
    nonisolated(unsafe) public static var current: Figure?
    /// The current figure, made if there is none (matplotlib's `plt.gcf()`).
    public static func gcf() -> Figure {
        if let f = current { return f }
        let f = Figure()
        current = f
        return f
    }

    public init(figsize: (Double, Double) = (6.4, 4.8), dpi: Double = 100) {
        if !(figsize.0 > 0 && figsize.1 > 0 && dpi > 0) || !figsize.0.isFinite || !figsize.1.isFinite {
            fail("figure size must be positive finite not (\(figsize.0), \(figsize.1)) at dpi \(dpi)")
        }
        self.figsize = (figsize.0, figsize.1)
        self.dpi = dpi
    }

    /// The picture's width in pixels (`figsize.width × dpi`).
    public var pixelWidth: Int { Int((figsize.width * dpi).rounded()) }
    /// The picture's height in pixels (`figsize.height × dpi`).
    public var pixelHeight: Int { Int((figsize.height * dpi).rounded()) }

    /// Adds the `index`-th panel (1-based, row by row) of an `nrows × ncols` grid (matplotlib's
    /// `add_subplot(nrows, ncols, index)`), with matplotlib's default margins and spacing.
    @discardableResult
    public func addSubplot(_ nrows: Int, _ ncols: Int, _ index: Int) -> Axes {
        if nrows < 1 || ncols < 1 { fail("Number of rows and columns must be positive, not (\(nrows), \(ncols))") }
        if index < 1 || index > nrows * ncols { fail("num must be an integer with 1 <= num <= \(nrows * ncols), not \(index)") }
        let (left, right, bottom, top, wspace, hspace) = (0.125, 0.9, 0.11, 0.88, 0.2, 0.2)
        let cellW = (right - left) / (Double(ncols) + wspace * Double(ncols - 1))
        let cellH = (top - bottom) / (Double(nrows) + hspace * Double(nrows - 1))
        let r = (index - 1) / ncols, c = (index - 1) % ncols
        let x = left + Double(c) * cellW * (1 + wspace)
        let y = top - Double(r + 1) * cellH - Double(r) * cellH * hspace
        let ax = addAxes((x, y, cellW, cellH))
        ax.gridSpec = (nrows, ncols, r, c)
        return ax
    }

    /// Adds a panel at `rect` = (left, bottom, width, height) in figure coordinates (0…1), as
    /// matplotlib's `add_axes`.
    @discardableResult
    public func addAxes(_ rect: (Double, Double, Double, Double)) -> Axes {
        let ax = Axes(figure: self, position: rect)
        axes.append(ax)
        return ax
    }

    /// A title centred above all panels (matplotlib's `suptitle`).
    public func suptitle(_ title: String) { suptitleText = title }

    /// Adds a colour bar for `image` to the right of its panel `ax` (default: the panel that shows
    /// it), taking 15% of the panel's width as matplotlib's `colorbar` does. Returns the colour bar's panel.
    @discardableResult
    public func colorbar(_ image: AxesImage, ax: Axes? = nil) -> Axes {
        guard let parent = ax ?? axes.first(where: { $0.artists.contains { if case .image(let i) = $0 { return i === image }; return false } }) else {
            fail("Unable to determine Axes to steal space for Colorbar.")
        }
        guard image.cmap != nil else { fail("a colour bar needs a scalar image drawn with a colour map") }
        let cax = Axes(figure: self, position: parent.position)
        cax.colorbarOf = image
        cax.xLimits = (0, 1)
        cax.yLimits = (image.vmin, image.vmax == image.vmin ? image.vmin + 1 : image.vmax)
        parent.colorbarAxes = cax
        placeColorbar(of: parent)
        axes.append(cax)
        return cax
    }

    /// Splits `parent`'s slot between the panel and its colour bar (matplotlib's fraction 0.15, pad 0.05, aspect 20).
    func placeColorbar(of parent: Axes) {
        guard let cax = parent.colorbarAxes else { return }
        let (fraction, pad, aspect) = (0.15, 0.05, 20.0)
        let pb = parent.slot
        parent.position = (pb.x, pb.y, pb.w * (1 - fraction - pad), pb.h)
        parent.anchor = (1, 0.5)
        let slotX = pb.x + pb.w * (1 - fraction)
        let slotW = pb.w * fraction
        // the bar is 20 times as tall as wide (in pixels), at the left of its slot
        let hPx = pb.h * Double(pixelHeight)
        let wFrac = Swift.min(slotW, hPx / aspect / Double(pixelWidth))
        cax.position = (slotX, pb.y, wFrac, pb.h)
        cax.slot = cax.position
    }

    /// Moves the panels of the subplot grid so that their tick labels, axis labels and titles fit in
    /// the figure and do not overlap (matplotlib's `tight_layout`): `pad` (in font sizes) around the
    /// figure's edge, and between panels. Panels placed by `addAxes` stay where they are.
    public func tightLayout(pad: Double = 1.08) {
        let gridded = axes.filter { $0.gridSpec != nil }
        guard let spec = gridded.first?.gridSpec else { return }
        let grid = gridded.filter { $0.gridSpec!.nrows == spec.nrows && $0.gridSpec!.ncols == spec.ncols }
        // A panel's decorations depend on its size (a centred title overhangs more on a narrower
        // panel), so measure and place again until the layout settles.
        for _ in 0..<3 { if !tightLayoutPass(grid, spec: spec, pad: pad) { break } }
    }

    /// One measure-and-place pass of `tightLayout`; false when the panels cannot fit.
    private func tightLayoutPass(_ grid: [Axes], spec: (nrows: Int, ncols: Int, row: Int, col: Int), pad: Double) -> Bool {
        var r = SVGRenderer(width: Double(pixelWidth), height: Double(pixelHeight), ptToPx: dpi / 72)
        _ = r.render(self)
        let W = Double(pixelWidth), H = Double(pixelHeight), padPx = pad * 10 * dpi / 72
        // how far each panel's decorations reach beyond its cell, in pixels
        var left = [Double](repeating: 0, count: spec.ncols), right = left
        var top = [Double](repeating: 0, count: spec.nrows), bottom = top
        for ax in grid {
            let g = ax.gridSpec!
            let cell = PixelRect(x: ax.slot.x * W, y: (1 - ax.slot.y - ax.slot.h) * H, w: ax.slot.w * W, h: ax.slot.h * H)
            var box = r.boxes[ObjectIdentifier(ax)] ?? cell
            if let cax = ax.colorbarAxes, let cb = r.boxes[ObjectIdentifier(cax)] { box = box.union(cb) }
            left[g.col] = Swift.max(left[g.col], cell.x - box.x)
            right[g.col] = Swift.max(right[g.col], box.x + box.w - cell.x - cell.w)
            top[g.row] = Swift.max(top[g.row], cell.y - box.y)
            bottom[g.row] = Swift.max(bottom[g.row], box.y + box.h - cell.y - cell.h)
        }
        let suptitleH = suptitleText == nil ? 0 : H * 0.02 + 1.3 * 12 * dpi / 72
        let l = left[0] + padPx, rt = right[spec.ncols - 1] + padPx
        let t = top[0] + padPx + suptitleH, b = bottom[spec.nrows - 1] + padPx
        let wsp = (0..<Swift.max(0, spec.ncols - 1)).map { right[$0] + left[$0 + 1] + padPx }
        let hsp = (0..<Swift.max(0, spec.nrows - 1)).map { bottom[$0] + top[$0 + 1] + padPx }
        let cellW = (W - l - rt - wsp.reduce(0, +)) / Double(spec.ncols)
        let cellH = (H - t - b - hsp.reduce(0, +)) / Double(spec.nrows)
        guard cellW > 0 && cellH > 0 else {
            warnOnce("Tight layout not applied. The left and right margins cannot be made large enough to accommodate all Axes decorations.")
            return false
        }
        for ax in grid {
            let g = ax.gridSpec!
            let x = l + Double(g.col) * cellW + wsp.prefix(g.col).reduce(0, +)
            let y = t + Double(g.row) * cellH + hsp.prefix(g.row).reduce(0, +)
            ax.slot = (x / W, 1 - (y + cellH) / H, cellW / W, cellH / H)
            ax.position = ax.slot
            placeColorbar(of: ax)
        }
        return true
    }

    /// Writes the figure to `path` atomically (a temporary file in the same folder, then a rename).
    /// The format comes from the extension: `.svg` writes clean SVG (text as text, a viewBox, an
    /// embedded PNG only where an image is drawn); `.png` writes the same picture as pixels
    /// (`figsize × dpi`, text drawn with an embedded DejaVu Sans). Any other extension throws
    /// `PlotError.unsupportedFormat`.
    public func savefig(_ path: String) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let data: Data
        switch ext {
        case "svg": data = Data(renderSVG().utf8)
        case "png": data = Data(renderPNG())
        default: throw PlotError.unsupportedFormat(path: path, format: ext.isEmpty ? "(none)" : ext)
        }
        do {
            try writeFileAtomically(path, data: data)
        } catch let SerializationError.writeFailed(_, reason) {
            throw PlotError.writeFailed(path: path, reason: reason)
        }
    }

    /// The PNG file that `savefig` writes for a `.png` path: the SVG drawn by Descent's rasterizer,
    /// `pixelWidth × pixelHeight`, with the dpi recorded in its `pHYs` chunk.
    public func renderPNG() -> [UInt8] {
        encodePNG(width: pixelWidth, height: pixelHeight, rgba: renderRGBA(), dpi: dpi)
    }

    /// The pixels of `renderPNG`, row by row, 4 bytes (RGBA) each.
    func renderRGBA() -> [UInt8] { rasterizeSVG(renderSVG(), width: pixelWidth, height: pixelHeight).rgba8 }

    /// The SVG text that `savefig` writes for an `.svg` path.
    public func renderSVG() -> String {
        var r = SVGRenderer(width: Double(pixelWidth), height: Double(pixelHeight), ptToPx: dpi / 72)
        return r.render(self)
    }
}

/// A figure with an `nrows × ncols` grid of panels (matplotlib's `plt.subplots`); the panels come
/// row by row: `let (fig, axs) = subplots(1, 3, figsize: (16, 4))`.
public func subplots(_ nrows: Int = 1, _ ncols: Int = 1, figsize: (Double, Double) = (6.4, 4.8), dpi: Double = 100) -> (Figure, [Axes]) {
    let fig = Figure(figsize: figsize, dpi: dpi)
    let axs = (1...(Swift.max(nrows, 1) * Swift.max(ncols, 1))).map { fig.addSubplot(nrows, ncols, $0) }
    return (fig, axs)
}
