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
        if writer == nil { writer = try EventFileWriter(directory: logDir) }
        try writer!.write(Self.event(tag, value, globalStep, walltime))
    }

    /// Records several curves under one chart `mainTag` (PyTorch's `add_scalars`).
    public func addScalars(_ mainTag: String, _ tagScalarDict: [String: Double], globalStep: Int? = nil, walltime: Double? = nil) throws {
        let time = walltime ?? Date().timeIntervalSince1970
        for (key, value) in tagScalarDict.sorted(by: { $0.key < $1.key }) {
            let dir = logDir + "/" + (mainTag + "_" + key).replacingOccurrences(of: "/", with: "_")
            if subWriters[dir] == nil { subWriters[dir] = try EventFileWriter(directory: dir) }
            try subWriters[dir]!.write(Self.event(mainTag, value, globalStep, time))
        }
    }

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

    private static func event(_ tag: String, _ value: Double, _ step: Int?, _ walltime: Double?) -> TBEvent {
        var v = TBSummary.Value()
        v.tag = tag
        v.simpleValue = Float(value)
        var summary = TBSummary()
        summary.value = [v]
        var e = TBEvent()
        e.wallTime = walltime ?? Date().timeIntervalSince1970
        e.step = Int64(step ?? 0)
        e.what = .summary(summary)
        return e
    }
}
