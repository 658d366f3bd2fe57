import Foundation
import SwiftProtobuf

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
            try subWriters[dir]!.write(Self.event([Self.scalar(mainTag, value)], globalStep, time))
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
    /// Records an image under `tag` (PyTorch's `add_image`): `image` is (C, H, W) by default (`dataformats` a
    /// permutation of "CHW" or "HW", e.g. "HWC") with 1, 3 or 4 channels; floats in [0, 1] are scaled by 255, uint8 kept;
    /// PNG-encoded.
    public func addImage(_ tag: String, _ image: Tensor, globalStep: Int? = nil, walltime: Double? = nil, dataformats: String = "CHW") throws {
        try write(Self.imageValue(tag, Self.toHWC(image, dataformats, "add_image"), scale: image.dtype == .uint8 ? 1 : 255), globalStep, walltime)
    }

    /// Records a batch of images as one grid under `tag` (PyTorch's `add_images`): `images` is (N, C, H, W) by default
    /// (`dataformats` a permutation of "NCHW") with 1 or 3 channels, tiled 8 to a row without padding.
    public func addImages(_ tag: String, _ images: Tensor, globalStep: Int? = nil, walltime: Double? = nil, dataformats: String = "NCHW") throws {
        try write(Self.imageValue(tag, Self.toHWC(images, dataformats, "add_images"), scale: images.dtype == .uint8 ? 1 : 255), globalStep, walltime)
    }

    /// Records a plot as an image under `tag` (PyTorch's `add_figure`): the figure drawn as `savefig` draws a PNG, its
    /// RGB channels; `close` forgets it as the current figure (matplotlib's `plt.close(figure)`).
    public func addFigure(_ tag: String, _ figure: Figure, globalStep: Int? = nil, close: Bool = true, walltime: Double? = nil) throws {
        try addImage(tag, Self.figureImage(figure, close: close), globalStep: globalStep, walltime: walltime, dataformats: "CHW")
    }

    /// Records several equally sized plots as one grid under `tag` (PyTorch's `add_figure` with a list).
    public func addFigure(_ tag: String, _ figures: [Figure], globalStep: Int? = nil, close: Bool = true, walltime: Double? = nil) throws {
        try addImages(tag, stack(figures.map { Self.figureImage($0, close: close) }), globalStep: globalStep, walltime: walltime)
    }

    /// Records `textString` under `tag + "/text_summary"` for TensorBoard's text tab (PyTorch's `add_text`; Markdown is rendered).
    public func addText(_ tag: String, _ textString: String, globalStep: Int? = nil, walltime: Double? = nil) throws {
        var t = TBTensor()
        t.dtype = TBTensor.dtString
        t.shape = TBTensorShape([1])
        t.stringVal = [Data(textString.utf8)]
        var value = TBSummary.Value()
        value.tag = tag + "/text_summary"
        value.metadata = TBSummaryMetadata(plugin: "text", content: try Self.bytes(TBPluginVersion()))
        value.tensor = t
        try write(value, globalStep, walltime)
    }

    /// Records a precision-recall curve under `tag` (PyTorch's `add_pr_curve`): `labels` are the true classes (nonzero is
    /// positive), `predictions` the probabilities in [0, 1]; `numThresholds` (at most 127) equal buckets, `weights` per example.
    public func addPrCurve(_ tag: String, _ labels: Tensor, _ predictions: Tensor, globalStep: Int? = nil, numThresholds: Int = 127,
                           weights: Tensor? = nil, walltime: Double? = nil) throws {
        let n = Swift.min(numThresholds, 127)
        if n < 2 { throw LoggingError.invalidValue("add_pr_curve: num_thresholds must be at least 2, got \(numThresholds)") }
        func host(_ t: Tensor) -> [Double] { noGrad { t.detach().to(.cpu).to(dtype: .float64).contiguous().toArray(Double.self) } }
        let lab = host(labels), w = weights.map(host)
        if labels.numel() != predictions.numel() || (w != nil && w!.count != 1 && w!.count != lab.count) {
            throw LoggingError.invalidValue("add_pr_curve: labels \(shapeString(labels.shape)), predictions \(shapeString(predictions.shape))"
                                            + (weights.map { " and weights \(shapeString($0.shape))" } ?? "") + " differ in size")
        }
        // compute_curve: bucket = floor(p · (n - 1)) in the predictions' precision, then numpy.histogram(bins = n, range = (0, n - 1))
        let pred = predictions.dtype == .float64 ? host(predictions).map { ($0 * Double(n - 1)).rounded(.down) }
            : host(predictions.to(dtype: .float32)).map { Double((Float($0) * Float(n - 1)).rounded(.down)) }
        var tpB = [Double](repeating: 0, count: n), fpB = tpB
        let edges = (0...n).map { $0 == n ? Double(n - 1) : Double($0) * (Double(n - 1) / Double(n)) }   // numpy.linspace
        for i in 0..<lab.count {
            let b = Double(Int32(truncatingIfNeeded: Int(exactly: pred[i]) ?? Int(Int32.min)))
            guard b >= 0 && b <= Double(n - 1) else { continue }
            var k = Int(b / Double(n - 1) * Double(n))
            if k == n { k -= 1 }
            if b < edges[k] { k -= 1 }
            if b >= edges[k + 1] && k != n - 1 { k += 1 }
            let wi = w.map { $0.count == 1 ? $0[0] : $0[i] } ?? 1
            let positive: Double = lab[i] != 0 ? 1 : 0
            tpB[k] += positive * wi
            fpB[k] += (1 - positive) * wi
        }
        var tp = tpB, fp = fpB
        for k in stride(from: n - 2, through: 0, by: -1) { tp[k] += tp[k + 1]; fp[k] += fp[k + 1] }
        let tn = fp.map { fp[0] - $0 }, fn = tp.map { tp[0] - $0 }
        let precision = (0..<n).map { tp[$0] / Swift.max(1e-7, tp[$0] + fp[$0]) }
        let recall = (0..<n).map { tp[$0] / Swift.max(1e-7, tp[$0] + fn[$0]) }
        var t = TBTensor()
        t.dtype = TBTensor.dtFloat
        t.shape = TBTensorShape([6, n])
        t.floatVal = (tp + fp + tn + fn + precision + recall).map { Float($0) }
        var version = TBPluginVersion()
        version.numThresholds = UInt32(n)
        var value = TBSummary.Value()
        value.tag = tag
        value.metadata = TBSummaryMetadata(plugin: "pr_curves", content: try Self.bytes(version))
        value.tensor = t
        try write(value, globalStep, walltime)
    }

    /// Records a run's hyperparameters and final metrics for TensorBoard's HPARAMS tab (PyTorch's `add_hparams`): the
    /// experiment, session start and end summaries and each metric as a scalar go to `<logDir>/<runName>` (by default
    /// the current time in seconds). `hparamDomainDiscrete` lists the values a hyperparameter can take.
    ///
    ///     try writer.addHparams(["lr": 0.1, "bsize": 32, "optimizer": "adam"], ["hparam/accuracy": 0.93])
    public func addHparams(_ hparamDict: KeyValuePairs<String, HParamValue>, _ metricDict: KeyValuePairs<String, Double>,
                           hparamDomainDiscrete: [String: [HParamValue]] = [:], runName: String? = nil, globalStep: Int? = nil) throws {
        for (k, domain) in hparamDomainDiscrete.sorted(by: { $0.key < $1.key }) {
            guard let v = hparamDict.first(where: { $0.key == k })?.value, domain.allSatisfy({ $0.isNumber == v.isNumber }) else {
                throw LoggingError.invalidValue("parameter: hparam_domain_discrete[\(k)] should be a list of same type as hparam_dict[\(k)].")
            }
        }
        let run = SummaryWriter(logDir: logDir + "/" + (runName.flatMap { $0.isEmpty ? nil : $0 } ?? "\(Date().timeIntervalSince1970)"))
        defer { run.close() }
        // one event per summary, as PyTorch's three add_summary calls
        for v in try Self.hparamsSummaries(hparamDict.map { ($0.key, $0.value) }, metrics: metricDict.map(\.key), domains: hparamDomainDiscrete) {
            try run.write([v], globalStep, nil)
        }
        for (k, v) in metricDict { try run.addScalar(k, v, globalStep: globalStep) }
    }

    /// The hparams plugin's three summaries (experiment, session start, session end) of PyTorch's `hparams()`.
    static func hparamsSummaries(_ hparamDict: [(String, HParamValue)], metrics: [String],
                                 domains hparamDomainDiscrete: [String: [HParamValue]] = [:]) throws -> [TBSummary.Value] {
        var experiment = TBExperiment(), start = TBSessionStartInfo()
        for (k, v) in hparamDict {
            start.hparams[k] = v.protoValue
            var info = TBExperiment.HParamInfo()
            info.name = k
            info.type = v.isNumber ? TBExperiment.HParamInfo.typeFloat64 : TBExperiment.HParamInfo.typeString
            if let domain = hparamDomainDiscrete[k] { info.domainDiscrete = Google_Protobuf_ListValue(values: domain.map(\.protoValue)) }
            experiment.hparamInfos.append(info)
        }
        experiment.metricInfos = metrics.map { var m = TBExperiment.MetricInfo(); m.tag = $0; return m }
        var end = TBSessionEndInfo()
        end.status = TBSessionEndInfo.statusSuccess
        func summary(_ tag: String, _ fill: (inout TBHParamsPluginData) -> Void) throws -> TBSummary.Value {
            var data = TBHParamsPluginData()
            fill(&data)
            var value = TBSummary.Value()
            value.tag = tag
            value.metadata = TBSummaryMetadata(plugin: "hparams", content: try Self.bytes(data))
            return value
        }
        return [try summary("_hparams_/experiment") { $0.experiment = experiment },
                try summary("_hparams_/session_start_info") { $0.sessionStartInfo = start },
                try summary("_hparams_/session_end_info") { $0.sessionEndInfo = end }]
    }

    /// Writes `matrix`'s rows as points for TensorBoard's projector (PyTorch's `add_embedding`): `<logDir>/<step, 5
    /// digits>/<tag>/tensors.tsv`, the labels in `metadata.tsv` (one per row, or rows of columns under `metadataHeader`),
    /// `labelImg` (N, C, H, W) as `sprite.png`, and the entry in `<logDir>/projector_config.pbtxt`.
    public func addEmbedding(_ matrix: Tensor, metadata: [String]? = nil, labelImg: Tensor? = nil, globalStep: Int? = nil, tag: String = "default") throws {
        try addEmbedding(matrix, metadataRows: metadata.map { $0.map { [$0] } }, metadataHeader: nil, labelImg: labelImg, globalStep: globalStep, tag: tag)
    }
    /// `addEmbedding` with several metadata columns per point, named by `metadataHeader`.
    public func addEmbedding(_ matrix: Tensor, metadata: [[String]], metadataHeader: [String], labelImg: Tensor? = nil, globalStep: Int? = nil,
                             tag: String = "default") throws {
        try addEmbedding(matrix, metadataRows: metadata, metadataHeader: metadataHeader, labelImg: labelImg, globalStep: globalStep, tag: tag)
    }
    private func addEmbedding(_ matrix: Tensor, metadataRows: [[String]]?, metadataHeader: [String]?, labelImg: Tensor?, globalStep: Int?, tag: String) throws {
        if matrix.rank != 2 { throw LoggingError.invalidValue("mat should be 2D, where mat.size(0) is the number of data points (got shape \(shapeString(matrix.shape)))") }
        let step = String(format: "%05d", globalStep ?? 0)
        let encoded = tag.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2f").replacingOccurrences(of: "\\", with: "%5c")
        let subdir = step + "/" + encoded, path = logDir + "/" + subdir
        try makeDirectory(path)
        var info = "embeddings {\n  tensor_name: \"\(Self.pbtxtEscape(tag + ":" + step))\"\n"
        if let rows = metadataRows {
            if rows.count != matrix.shape[0] { throw LoggingError.invalidValue("#labels should equal with #data points (\(rows.count) labels, \(matrix.shape[0]) points)") }
            var lines = rows.map { $0.joined(separator: "\t") }
            if let header = metadataHeader {
                if header.count != (rows.first?.count ?? 0) { throw LoggingError.invalidValue("len of header must be equal to the number of columns in metadata") }
                lines.insert(header.joined(separator: "\t"), at: 0)
            }
            try writeLogFile(path + "/metadata.tsv", lines.joined(separator: "\n") + "\n")
            info += "  metadata_path: \"\(Self.pbtxtEscape(subdir + "/metadata.tsv"))\"\n"
        }
        if let img = labelImg {
            if img.rank != 4 || img.shape[0] != matrix.shape[0] {
                throw LoggingError.invalidValue("#images should equal with #data points (label_img \(shapeString(img.shape)), \(matrix.shape[0]) points)")
            }
            try writeLogFile(path + "/sprite.png", Self.spritePNG(img))
            info += "  sprite {\n    image_path: \"\(Self.pbtxtEscape(subdir + "/sprite.png"))\"\n    single_image_dim: \(img.shape[3])\n    single_image_dim: \(img.shape[2])\n  }\n"
        }
        // make_mat: each value as Python prints the float (a float32 widened to double)
        let v = noGrad { matrix.detach().to(.cpu).to(dtype: matrix.dtype == .float64 ? .float64 : .float32).contiguous() }
        let values = v.dtype == .float64 ? v.toArray(Double.self) : v.toArray(Float.self).map(Double.init)
        let cols = matrix.shape[1]
        let lines = (0..<matrix.shape[0]).map { r in (0..<cols).map { formatPyFloat(values[r * cols + $0]) }.joined(separator: "\t") + "\n" }
        try writeLogFile(path + "/tensors.tsv", lines.joined())
        info += "  tensor_path: \"\(Self.pbtxtEscape(subdir + "/tensors.tsv"))\"\n}\n"
        projectorConfig += info
        try writeLogFile(logDir + "/projector_config.pbtxt", projectorConfig)
    }
    private var projectorConfig = ""

    /// make_sprite: the images tiled ⌈√N⌉ to a row, on a square black canvas as wide as the grid, times 255.
    private static func spritePNG(_ img: Tensor) -> Data {
        let grid = noGrad { makeGrid(img.to(dtype: .float32), nrow: Int(Double(img.shape[0]).squareRoot().rounded(.up)), padding: 0) }
        let c = grid.shape[0], h = grid.shape[1], w = grid.shape[2]
        let px = noGrad { grid.permute(1, 2, 0).to(.cpu).contiguous().toArray(Float.self) }
        var rgba = [UInt8](repeating: 0, count: w * w * 4)
        for p in 0..<(w * w) { rgba[p * 4 + 3] = 255 }
        for p in 0..<(Swift.min(h, w) * w) {
            for k in 0..<3 { let v = Double(px[p * c + Swift.min(k, c - 1)]) * 255; rgba[p * 4 + k] = v.isNaN ? 0 : UInt8(Swift.max(0, Swift.min(255, v))) }
        }
        return Data(encodePNG(width: w, height: w, rgba: rgba))
    }

    /// convert_to_HWC: `image` laid out as `dataformats` (its letters each once, as many as the rank; N tiles a batch
    /// with `makeGrid`) as (H, W, C).
    private static func toHWC(_ image: Tensor, _ dataformats: String, _ op: String) throws -> Tensor {
        let f = Array(dataformats.uppercased())
        let allowed: Set<Character> = f.count == 4 ? ["N", "C", "H", "W"] : f.count == 3 ? ["C", "H", "W"] : ["H", "W"]
        if Set(f) != allowed || f.count != image.rank {
            throw LoggingError.invalidValue("\(op): dataformats \(dataformats) does not describe an image of shape \(shapeString(image.shape))"
                                            + " (expected a permutation of NCHW, CHW or HW with one letter per dimension)")
        }
        func order(_ letters: String) -> [Int] { letters.map { l in f.firstIndex(of: l)! } }
        switch f.count {
        case 4:
            let nchw = image.permute(order("NCHW"))
            if nchw.shape[1] != 1 && nchw.shape[1] != 3 {
                throw LoggingError.invalidValue("\(op): expected 1 or 3 channels per image, got shape \(shapeString(image.shape))")
            }
            return makeGrid(nchw, nrow: 8, padding: 0).permute(1, 2, 0)
        case 3: return image.permute(order("HWC"))
        default: return image.permute(order("HW")).unsqueeze(2)
        }
    }

    /// make_image: an (H, W, C) image with 1, 3 or 4 channels times `scale`, clipped to [0, 255], truncated to bytes, as PNG.
    private static func imageValue(_ tag: String, _ hwc: Tensor, scale: Float) throws -> TBSummary.Value {
        let (h, w, c) = (hwc.shape[0], hwc.shape[1], hwc.shape[2])
        if ![1, 3, 4].contains(c) { throw LoggingError.invalidValue("add_image: expected 1, 3 or 4 channels, got \(c)") }
        let px = noGrad { hwc.detach().to(.cpu).to(dtype: .float32).contiguous().toArray(Float.self) }
        func byte(_ x: Float) -> UInt8 { UInt8(Swift.max(0, Swift.min(255, x.isNaN ? 0 : x * scale))) }   // float32, as numpy's astype
        var rgba = [UInt8](repeating: 255, count: h * w * 4)
        for p in 0..<(h * w) {
            for k in 0..<3 { rgba[p * 4 + k] = byte(px[p * c + (c == 1 ? 0 : k)]) }
            if c == 4 { rgba[p * 4 + 3] = byte(px[p * c + 3]) }
        }
        var img = TBImage()
        img.height = Int32(h); img.width = Int32(w); img.colorspace = Int32(c == 1 ? 3 : c)   // one channel is shown as RGB
        img.encodedImageString = encodePNG(width: w, height: h, rgba: rgba)
        var value = TBSummary.Value()
        value.tag = tag
        value.image = img
        return value
    }

    /// figure_to_image: the figure's pixels as a uint8 (3, H, W) tensor (RGB, alpha dropped).
    private static func figureImage(_ figure: Figure, close: Bool) -> Tensor {
        let rgba = figure.renderRGBA()
        let (w, h) = (figure.pixelWidth, figure.pixelHeight)
        var rgb = [UInt8](repeating: 0, count: 3 * h * w)
        for p in 0..<(h * w) { for k in 0..<3 { rgb[k * h * w + p] = rgba[p * 4 + k] } }
        if close && Figure.current === figure { Figure.current = nil }
        return Tensor(flat: rgb, shape: [3, h, w])
    }

    /// A plugin message's bytes (map entries in key order, as protobuf's deterministic serialisation).
    private static func bytes<M: SwiftProtobuf.Message>(_ m: M) throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        do { return try m.serializedBytes(options: options) } catch { throw LoggingError.invalidValue("cannot encode \(M.protoMessageName): \(error)") }
    }

    /// A string as a protobuf text-format string literal's contents.
    private static func pbtxtEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Writes a projector file atomically.
    private func writeLogFile(_ path: String, _ text: String) throws { try writeLogFile(path, Data(text.utf8)) }
    private func writeLogFile(_ path: String, _ data: Data) throws {
        do { try writeFileAtomically(path, data: data) } catch let SerializationError.writeFailed(_, reason) {
            throw LoggingError.writeFailed(path: path, reason: reason)
        }
    }
    /// Writes one summary value to the main event file.
    fileprivate func write(_ value: TBSummary.Value, _ step: Int?, _ walltime: Double?) throws {
        try write([value], step, walltime)
    }
    /// Writes several summary values as one event to the main event file.
    func write(_ values: [TBSummary.Value], _ step: Int?, _ walltime: Double?) throws {
        if writer == nil { writer = try EventFileWriter(directory: logDir) }
        try writer!.write(Self.event(values, step, walltime))
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

    static func scalar(_ tag: String, _ value: Double) -> TBSummary.Value {
        var v = TBSummary.Value()
        v.tag = tag
        v.simpleValue = Float(value)
        return v
    }
    /// One value as an event at `step` (0 when nil) and `walltime` (now when nil).
    private static func event(_ values: [TBSummary.Value], _ step: Int?, _ walltime: Double?) -> TBEvent {
        var summary = TBSummary()
        summary.value = values
        var e = TBEvent()
        e.wallTime = walltime ?? Date().timeIntervalSince1970
        e.step = Int64(step ?? 0)
        e.what = .summary(summary)
        return e
    }
}

/// A hyperparameter's value for `SummaryWriter.addHparams`: a number or a string; literals work directly
/// (`["lr": 0.1, "layers": 3, "optimizer": "adam", "nesterov": true]`). A bool is written as the number 1 or 0, as
/// PyTorch writes it (Python's bool is an int).
public enum HParamValue: Sendable, Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
                         ExpressibleByBooleanLiteral {
    case number(Double)
    case string(String)
    public init(floatLiteral v: Double) { self = .number(v) }
    public init(integerLiteral v: Int) { self = .number(Double(v)) }
    public init(stringLiteral v: String) { self = .string(v) }
    public init(booleanLiteral v: Bool) { self = .number(v ? 1 : 0) }
    /// A number.
    public init(_ v: Double) { self = .number(v) }
    /// An integer, as a number.
    public init(_ v: Int) { self = .number(Double(v)) }
    /// A bool, as 1 or 0.
    public init(_ v: Bool) { self = .number(v ? 1 : 0) }
    /// A string.
    public init(_ v: String) { self = .string(v) }
    /// A tensor's first element, as a number.
    public init(_ t: Tensor) { self = .number(noGrad { t.detach().reshape(-1)[0].item() }) }

    var isNumber: Bool { if case .number = self { return true } else { return false } }
    /// The number (nil for a string): `hparams["lr"]!.double!`.
    public var double: Double? { if case .number(let v) = self { return v } else { return nil } }
    /// The number as an integer, when it is one.
    public var int: Int? { double.flatMap { $0.rounded() == $0 && Swift.abs($0) < 9e15 ? Int($0) : nil } }
    /// The string (nil for a number).
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var protoValue: Google_Protobuf_Value {
        switch self {
        case .number(let v): return Google_Protobuf_Value(numberValue: v)
        case .string(let v): return Google_Protobuf_Value(stringValue: v)
        }
    }
}
