import Foundation

/// Writes scalars to TensorBoard event files (PyTorch's `torch.utils.tensorboard.SummaryWriter`):
///
///     let writer = try SummaryWriter()                 // runs/Dec06_19-30-00_host
///     try writer.addScalar("Loss/train", loss.item(), globalStep: step)
///     try writer.addScalars("loss", ["train": t, "val": v], globalStep: epoch)
///     writer.close()
///
/// `addScalars` writes each curve to its own subdirectory `<logDir>/<mainTag>_<key>`, as PyTorch does, so that
/// TensorBoard draws them in one chart. Files are created at the first value; writes throw `LoggingError`.
public final class SummaryWriter {
    /// The directory the event files go to.
    public let logDir: String
    private var writer: EventFileWriter?
    private var subWriters: [String: EventFileWriter] = [:]

    /// A writer for `logDir`, by default `runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname><comment>` as PyTorch's.
    public init(logDir: String? = nil, comment: String = "") {
        if let logDir { self.logDir = logDir; return }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "MMMdd_HH-mm-ss"
        self.logDir = "runs/" + f.string(from: Date()) + "_" + ProcessInfo.processInfo.hostName + comment
    }

    /// The main event file (nil before the first value and after `close`).
    public var eventFilePath: String? { writer?.path }

    /// Records `value` under `tag` at `globalStep` (PyTorch's `add_scalar`).
    public func addScalar(_ tag: String, _ value: Double, globalStep: Int? = nil, walltime: Double? = nil) throws {
        try write(Self.scalar(tag, value), globalStep, walltime)
    }

    /// Records several curves under one chart `mainTag` (PyTorch's `add_scalars`).
    public func addScalars(_ mainTag: String, _ tagScalarDict: [String: Double], globalStep: Int? = nil, walltime: Double? = nil) throws {
        let time = walltime ?? Date().timeIntervalSince1970
        for (key, value) in tagScalarDict.sorted(by: { $0.key < $1.key }) {
            let dir = logDir + "/" + (mainTag + "_" + key).replacingOccurrences(of: "/", with: "_")
            if subWriters[dir] == nil { subWriters[dir] = try EventFileWriter(directory: dir) }
            try subWriters[dir]!.write(Self.event(Self.scalar(mainTag, value), globalStep, time))
        }
    }

    /// Records the distribution of `values` under `tag` (PyTorch's `add_histogram`, `bins="tensorflow"`: the
    /// exponential buckets ±1e-12·1.1ᵏ and 0, trimmed to the occupied range as PyTorch's `make_histogram`).
    public func addHistogram(_ tag: String, _ values: Tensor, globalStep: Int? = nil, walltime: Double? = nil) throws {
        try addHistogram(tag, values, bins: Self.defaultBins, globalStep: globalStep, walltime: walltime)
    }
    /// `add_histogram` with explicit bin edges (numpy's `histogram(values, bins=edges)`).
    public func addHistogram(_ tag: String, _ values: Tensor, bins: [Double], globalStep: Int? = nil, walltime: Double? = nil) throws {
        let v = noGrad { values.detach().to(.cpu).to(dtype: .float64).contiguous().toArray(Double.self) }
        if v.isEmpty { throw LoggingError.invalidValue("add_histogram: the input has no element") }
        if bins.count < 2 { throw LoggingError.invalidValue("add_histogram: at least two bin edges are needed") }
        // numpy.histogram: [eᵢ, eᵢ₊₁) and the last bin closed; values outside the edges are not counted
        var counts = [Double](repeating: 0, count: bins.count - 1)
        for x in v where x >= bins[0] && x <= bins[bins.count - 1] {
            var lo = 0, hi = bins.count
            while lo < hi { let mid = (lo + hi) / 2; if bins[mid] <= x { lo = mid + 1 } else { hi = mid } }
            counts[Swift.min(lo - 1, counts.count - 1)] += 1
        }
        // make_histogram: keep from one bin left of the first occupied one to the last occupied one
        guard let first = counts.firstIndex(where: { $0 > 0 }), let last = counts.lastIndex(where: { $0 > 0 }) else {
            throw LoggingError.invalidValue("add_histogram: no value falls inside the bins")
        }
        var h = TBHistogram()
        h.bucket = first > 0 ? Array(counts[(first - 1)...last]) : [0] + Array(counts[...last])
        h.bucketLimit = Array(bins[first...(last + 1)])
        h.min = v.min()!; h.max = v.max()!; h.num = Double(v.count)
        h.sum = v.reduce(0, +); h.sumSquares = v.reduce(0) { $0 + $1 * $1 }
        var value = TBSummary.Value()
        value.tag = tag
        value.histo = h
        try write(value, globalStep, walltime)
    }
    /// Records an image under `tag` (PyTorch's `add_image`): `image` is (C, H, W) by default (`dataformats`
    /// "CHW", "HWC" or "HW") with 1, 3 or 4 channels; floats in [0, 1] are scaled by 255, uint8 kept; PNG-encoded.
    public func addImage(_ tag: String, _ image: Tensor, globalStep: Int? = nil, walltime: Double? = nil, dataformats: String = "CHW") throws {
        var hwc: Tensor
        switch dataformats {
        case "CHW": hwc = image.permute(1, 2, 0)
        case "HWC": hwc = image
        case "HW": hwc = image.unsqueeze(2)
        default: throw LoggingError.invalidValue("add_image: dataformats must be CHW, HWC or HW, got \(dataformats)")
        }
        if hwc.rank != 3 { throw LoggingError.invalidValue("add_image: expected a \(dataformats.count)-D image, got shape \(shapeString(image.shape))") }
        let (h, w, c) = (hwc.shape[0], hwc.shape[1], hwc.shape[2])
        if ![1, 3, 4].contains(c) { throw LoggingError.invalidValue("add_image: expected 1, 3 or 4 channels, got \(c)") }
        // PyTorch: float images times 255, clipped to [0, 255], truncated to uint8; one channel repeated to RGB
        let scale: Float = image.dtype == .uint8 ? 1 : 255
        let px = noGrad { hwc.detach().to(.cpu).to(dtype: .float32).contiguous().toArray(Float.self) }
        func byte(_ x: Float) -> UInt8 { UInt8(Swift.max(0, Swift.min(255, x.isNaN ? 0 : x * scale))) }   // float32, as numpy's astype
        var rgba = [UInt8](repeating: 255, count: h * w * 4)
        for p in 0..<(h * w) {
            for k in 0..<3 { rgba[p * 4 + k] = byte(px[p * c + (c == 1 ? 0 : k)]) }
            if c == 4 { rgba[p * 4 + 3] = byte(px[p * c + 3]) }
        }
        var img = TBImage()
        img.height = Int32(h); img.width = Int32(w); img.colorspace = Int32(c == 1 ? 3 : c)
        img.encodedImageString = encodePNG(width: w, height: h, rgba: rgba)
        var value = TBSummary.Value()
        value.tag = tag
        value.image = img
        try write(value, globalStep, walltime)
    }
    /// Writes one summary value to the main event file.
    private func write(_ value: TBSummary.Value, _ step: Int?, _ walltime: Double?) throws {
        if writer == nil { writer = try EventFileWriter(directory: logDir) }
        try writer!.write(Self.event(value, step, walltime))
    }
    /// PyTorch's `SummaryWriter.default_bins`: ±1e-12 · 1.1ᵏ up to 1e20, and 0.
    static let defaultBins: [Double] = {
        var v = 1e-12, buckets: [Double] = []
        while v < 1e20 { buckets.append(v); v *= 1.1 }
        return buckets.reversed().map { -$0 } + [0] + buckets
    }()

    /// Writes buffered events to disk (PyTorch's `flush`).
    public func flush() throws {
        try writer?.flush()
        for w in subWriters.values { try w.flush() }
    }

    /// Flushes and closes the files (PyTorch's `close`); a later value opens new ones.
    public func close() {
        try? flush()
        writer?.close(); writer = nil
        for w in subWriters.values { w.close() }
        subWriters = [:]
    }

    private static func scalar(_ tag: String, _ value: Double) -> TBSummary.Value {
        var v = TBSummary.Value()
        v.tag = tag
        v.simpleValue = Float(value)
        return v
    }
    /// One value as an event at `step` (0 when nil) and `walltime` (now when nil).
    private static func event(_ value: TBSummary.Value, _ step: Int?, _ walltime: Double?) -> TBEvent {
        var summary = TBSummary()
        summary.value = [value]
        var e = TBEvent()
        e.wallTime = walltime ?? Date().timeIntervalSince1970
        e.step = Int64(step ?? 0)
        e.what = .summary(summary)
        return e
    }
}
