import Foundation

/// Draws a classifier's decision regions over 2-D data, as mlxtend's `plot_decision_regions`:
/// the class that `model` predicts on a grid fills the background (each class's colour at 45%
/// over white, thin black boundaries), the points of `x` are drawn on top with one colour and one
/// marker per class of `y` (`"s^oxv<>"`, alpha 0.8, black edges), with a legend in the upper right.
///
/// - Parameters:
///   - x: `[N, 2]` inputs (a tensor, or rows of two numbers).
///   - y: the `N` class labels (integers 0, 1, 2, …).
///   - model: a `Module`; its output is `[N, C]` (the class is the argmax) or `[N]`/`[N, 1]` (class 1 where
///     the output is above `threshold`). It runs in eval mode without gradients, on its own device and dtype.
///   - ax: the panel to draw in (default: a new figure's only panel).
///   - gridSize: the grid's columns and rows (default: one cell per pixel of the panel).
///   - zoomFactor: the view spans the data ± 1/zoomFactor, as mlxtend's `zoom_factor`.
/// - Returns: the panel.
@discardableResult
public func plotDecisionRegions(x: some PlotMatrix, y: some PlotData, model: Module, ax: Axes? = nil, threshold: Double = 0.5,
                                gridSize: (Int, Int)? = nil, zoomFactor: Double = 1, legend: Bool = true) -> Axes {
    let firstParam = model.parameters().first
    let dtype = firstParam?.dtype ?? .float32
    let device = firstParam?.device ?? .cpu
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    return plotDecisionRegions(x: x, y: y, ax: ax, threshold: threshold, gridSize: gridSize, zoomFactor: zoomFactor, legend: legend,
                               dtype: dtype, device: device) { model($0) }
}

/// `plotDecisionRegions(x:y:model:ax:)` with a closure as the classifier: it gets `[M, 2]` grid points
/// (float32 on the CPU) and returns `[M, C]` scores (argmax) or `[M]`/`[M, 1]` values (above `threshold`: class 1).
@discardableResult
public func plotDecisionRegions(x: some PlotMatrix, y: some PlotData, ax: Axes? = nil, threshold: Double = 0.5,
                                gridSize: (Int, Int)? = nil, zoomFactor: Double = 1, legend: Bool = true,
                                model: (Tensor) -> Tensor) -> Axes {
    plotDecisionRegions(x: x, y: y, ax: ax, threshold: threshold, gridSize: gridSize, zoomFactor: zoomFactor, legend: legend,
                        dtype: .float32, device: .cpu, model)
}

/// mlxtend's default class colours and markers.
let decisionColors: [Color] = ["#1f77b4", "#ff7f0e", "#3ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
let decisionMarkers: [Marker] = [.square, .triangleUp, .circle, .x, .triangleDown, .triangleLeft, .triangleRight]

private func plotDecisionRegions(x: some PlotMatrix, y: some PlotData, ax: Axes?, threshold: Double, gridSize: (Int, Int)?,
                                 zoomFactor: Double, legend: Bool, dtype: DType, device: Device,
                                 _ classify: (Tensor) -> Tensor) -> Axes {
    let (shape, xv) = x.plotMatrix
    let labels = y.plotValues
    guard shape.count == 2, shape[1] == 2 else {
        fail("plotDecisionRegions needs 2-D inputs of shape [N, 2], got \(shapeString(shape))")
    }
    let n = shape[0]
    if labels.count != n { fail("x has \(n) rows but y has \(labels.count) labels") }
    let ax = ax ?? Figure.gcf().addSubplot(1, 1, 1)   // (the current figure keeps it alive)
    let fig = ax.figure
    let x0s = stride(from: 0, to: xv.count, by: 2).map { xv[$0] }, x1s = stride(from: 1, to: xv.count, by: 2).map { xv[$0] }
    let pad = 1 / zoomFactor
    let xmin = (x0s.min() ?? 0) - pad, xmax = (x0s.max() ?? 0) + pad
    let ymin = (x1s.min() ?? 0) - pad, ymax = (x1s.max() ?? 0) + pad

    // one grid cell per pixel of the panel by default
    let (cols, rows): (Int, Int) = gridSize ?? {
        let w = Double(fig?.pixelWidth ?? 640) * ax.position.w, h = Double(fig?.pixelHeight ?? 480) * ax.position.h
        return (Swift.max(2, Int(w.rounded(.up))), Swift.max(2, Int(h.rounded(.up))))
    }()
    if cols < 1 || rows < 1 { fail("gridSize must be positive, got (\(cols), \(rows))") }

    // cell centres, row 0 at the top
    var pred = [Int](repeating: 0, count: cols * rows)
    let batch = 1 << 16
    var start = 0
    noGrad {
        while start < cols * rows {
            let m = Swift.min(batch, cols * rows - start)
            var pts = [Double](repeating: 0, count: m * 2)
            for k in 0..<m {
                let idx = start + k, r = idx / cols, c = idx % cols
                pts[2 * k] = xmin + (Double(c) + 0.5) / Double(cols) * (xmax - xmin)
                pts[2 * k + 1] = ymax - (Double(r) + 0.5) / Double(rows) * (ymax - ymin)
            }
            let input = Tensor(flat: pts, shape: [m, 2]).to(device, dtype: dtype)
            let out = classify(input)
            let classes: [Double]
            if out.rank == 2 && out.shape[1] > 1 {
                classes = out.argmax(dim: 1).plotValues
            } else {
                classes = out.plotValues.map { $0 > threshold ? 1 : 0 }
            }
            if classes.count != m { fail("the classifier returned \(classes.count) predictions for \(m) grid points (output shape \(shapeString(out.shape)))") }
            for k in 0..<m { pred[start + k] = Int(classes[k]) }
            start += m
        }
    }

    // classes: the sorted distinct labels; a predicted class takes its label's colour
    let labelInts = labels.map { Int($0.rounded()) }
    let classValues = Array(Set(labelInts)).sorted()
    func colorIndex(_ c: Int) -> Int { classValues.firstIndex(of: c) ?? (c >= 0 ? c : 0) }
    var rgba = [UInt8](repeating: 0, count: cols * rows * 4)
    for p in 0..<(cols * rows) {
        let c = decisionColors[colorIndex(pred[p]) % decisionColors.count]
        rgba[p * 4] = UInt8((c.red * 255).rounded()); rgba[p * 4 + 1] = UInt8((c.green * 255).rounded())
        rgba[p * 4 + 2] = UInt8((c.blue * 255).rounded()); rgba[p * 4 + 3] = UInt8((0.45 * 255).rounded())
    }
    ax.addImage(AxesImage(width: cols, height: rows, rgba: rgba, extent: (xmin, xmax, ymin, ymax), cmap: nil, vmin: 0, vmax: 1))

    // boundaries between cells of different classes, merged into runs
    var segs: [(Double, Double, Double, Double)] = []
    let dx = (xmax - xmin) / Double(cols), dy = (ymax - ymin) / Double(rows)
    for c in 1..<Swift.max(cols, 1) {  // vertical edges between columns c-1 and c, merged down the rows
        let xe = xmin + Double(c) * dx
        var r = 0
        while r < rows {
            guard pred[r * cols + c] != pred[r * cols + c - 1] else { r += 1; continue }
            var r2 = r
            while r2 + 1 < rows && pred[(r2 + 1) * cols + c] != pred[(r2 + 1) * cols + c - 1] { r2 += 1 }
            segs.append((xe, ymax - Double(r) * dy, xe, ymax - Double(r2 + 1) * dy))
            r = r2 + 1
        }
    }
    for r in 1..<Swift.max(rows, 1) {  // horizontal edges between rows r-1 and r, merged along the columns
        let ye = ymax - Double(r) * dy
        var c = 0
        while c < cols {
            guard pred[r * cols + c] != pred[(r - 1) * cols + c] else { c += 1; continue }
            var c2 = c
            while c2 + 1 < cols && pred[r * cols + c2 + 1] != pred[(r - 1) * cols + c2 + 1] { c2 += 1 }
            segs.append((xmin + Double(c) * dx, ye, xmin + Double(c2 + 1) * dx, ye))
            c = c2 + 1
        }
    }
    if !segs.isEmpty { ax.artists.append(.segments(SegmentCollection(segments: segs, color: "#000000", lineWidth: 0.5))) }

    // the points, one colour and marker per class
    for (i, cv) in classValues.enumerated() {
        let idx = labelInts.indices.filter { labelInts[$0] == cv }
        ax.scatter(idx.map { x0s[$0] }, idx.map { x1s[$0] }, color: decisionColors[i % decisionColors.count],
                   marker: decisionMarkers[i % decisionMarkers.count], alpha: 0.8, edgeColor: "#000000", label: "\(cv)")
    }
    ax.setXLim(xmin, xmax)
    ax.setYLim(ymin, ymax)
    ax.spinesVisible = false
    if legend { ax.legend(loc: .upperRight, frameAlpha: 0.3) }
    return ax
}
