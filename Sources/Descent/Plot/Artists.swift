import Foundation

/// A line drawn by `Axes.plot` (matplotlib's `Line2D`).
public final class Line2D {
    public internal(set) var x: [Double]
    public internal(set) var y: [Double]
    public var color: Color
    /// Width in points (1/72 inch); matplotlib's default is 1.5.
    public var lineWidth: Double
    public var lineStyle: LineStyle
    public var marker: Marker?
    /// Marker size in points.
    public var markerSize: Double
    public var label: String?
    public var alpha: Double
    init(x: [Double], y: [Double], color: Color, lineWidth: Double, lineStyle: LineStyle, marker: Marker?,
         markerSize: Double, label: String?, alpha: Double) {
        self.x = x; self.y = y; self.color = color; self.lineWidth = lineWidth; self.lineStyle = lineStyle
        self.marker = marker; self.markerSize = markerSize; self.label = label; self.alpha = alpha
    }
}

/// Points drawn by `Axes.scatter` (matplotlib's `PathCollection`).
public final class PathCollection {
    public internal(set) var x: [Double]
    public internal(set) var y: [Double]
    /// One colour per point, or one for all.
    public internal(set) var colors: [Color]
    /// One marker per point, or one for all.
    public internal(set) var markers: [Marker]
    /// Marker area in points² (matplotlib's `s`; default 36, a 6-point marker).
    public var size: Double
    public var edgeColor: Color?
    public var edgeWidth: Double
    public var alpha: Double
    public var label: String?
    init(x: [Double], y: [Double], colors: [Color], markers: [Marker], size: Double, edgeColor: Color?,
         edgeWidth: Double, alpha: Double, label: String?) {
        self.x = x; self.y = y; self.colors = colors; self.markers = markers; self.size = size
        self.edgeColor = edgeColor; self.edgeWidth = edgeWidth; self.alpha = alpha; self.label = label
    }
    func color(_ i: Int) -> Color { colors.count == 1 ? colors[0] : colors[i] }
    func marker(_ i: Int) -> Marker { markers.count == 1 ? markers[0] : markers[i] }
}

/// An image drawn by `Axes.imshow` (matplotlib's `AxesImage`); pass it to `Figure.colorbar`.
public final class AxesImage {
    /// Size in pixels of the image data.
    public let width: Int, height: Int
    /// The 8-bit RGBA pixels, row 0 first (drawn at `extent.top`).
    let rgba: [UInt8]
    /// (left, right, bottom, top) in data coordinates, as matplotlib's `extent`.
    public let extent: (left: Double, right: Double, bottom: Double, top: Double)
    /// The colour map and value range of a scalar image (nil for RGB images).
    public let cmap: Colormap?
    public let vmin: Double, vmax: Double
    /// Drawn with square pixels (`"nearest"`, matplotlib's default look for small images) or smoothed.
    let nearest: Bool
    var label: String? = nil
    init(width: Int, height: Int, rgba: [UInt8], extent: (Double, Double, Double, Double), cmap: Colormap?,
         vmin: Double, vmax: Double, nearest: Bool = true) {
        self.width = width; self.height = height; self.rgba = rgba
        self.extent = (extent.0, extent.1, extent.2, extent.3)
        self.cmap = cmap; self.vmin = vmin; self.vmax = vmax; self.nearest = nearest
    }
}

/// Rectangles drawn by `Axes.hist` or `Axes.bar` (matplotlib's `BarContainer`).
public final class BarContainer {
    /// (left, right, bottom, top) of each bar in data coordinates.
    public internal(set) var bars: [(x0: Double, x1: Double, y0: Double, y1: Double)]
    public var color: Color
    public var edgeColor: Color?
    public var alpha: Double
    public var label: String?
    init(bars: [(Double, Double, Double, Double)], color: Color, edgeColor: Color?, alpha: Double, label: String?) {
        self.bars = bars.map { ($0.0, $0.1, $0.2, $0.3) }
        self.color = color; self.edgeColor = edgeColor; self.alpha = alpha; self.label = label
    }
}

/// Line segments in data coordinates (the boundaries of decision regions).
final class SegmentCollection {
    var segments: [(Double, Double, Double, Double)]
    var color: Color
    var lineWidth: Double
    init(segments: [(Double, Double, Double, Double)], color: Color, lineWidth: Double) {
        self.segments = segments; self.color = color; self.lineWidth = lineWidth
    }
}

/// Something an `Axes` draws, with matplotlib's default z-order (images 0, patches and
/// collections 1, grid 1.5, lines 2).
enum Artist {
    case line(Line2D), scatter(PathCollection), image(AxesImage), bars(BarContainer), segments(SegmentCollection)

    var zorder: Double {
        switch self {
        case .image: return 0
        case .bars, .scatter, .segments: return 1
        case .line: return 2
        }
    }
}
