import Foundation
import SwiftProtobuf

/// Where a `Trainer` sends logged metrics (Lightning's `Logger` base class): TensorBoard event files,
/// a CSV table, or your own. Metrics arrive as name → value with the global step.
public protocol ExperimentLogger: AnyObject {
    /// The experiment's name (the folder under `saveDir`).
    var name: String { get }
    /// The run's version (`version_N` folder).
    var version: Int { get }
    /// `saveDir/name/version_N`: where the run's files (and by default its checkpoints) go.
    var logDir: String { get }
    /// Records `metrics` at `step`.
    func logMetrics(_ metrics: [String: Double], step: Int) throws
    /// Records the run's hyper-parameters.
    func logHyperparams(_ params: [String: String]) throws
    /// Flushes what was logged to disk.
    func save() throws
    /// Called once when training or testing ends (`status` is "success" or "failed").
    func finalize(status: String) throws
}

extension ExperimentLogger {
    public func logHyperparams(_ params: [String: String]) throws {}
    public func save() throws {}
    public func finalize(status: String) throws { try save() }
}

/// Errors writing logs.
public enum LoggingError: Error, CustomStringConvertible, Equatable {
    /// A folder or file could not be created or written.
    case writeFailed(path: String, reason: String)
    /// A value that cannot be logged (an empty histogram, an image of the wrong shape), with PyTorch's reason.
    case invalidValue(String)
    public var description: String {
        switch self {
        case .writeFailed(let p, let r): return "cannot write \(p): \(r)"
        case .invalidValue(let reason): return reason
        }
    }
}

/// The next free `version_N` under `root` (Lightning's numbering: one more than the largest present, else 0).
func nextVersion(in root: String) -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return 0 }
    let versions = names.compactMap { n -> Int? in
        guard n.hasPrefix("version_") else { return nil }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root + "/" + n, isDirectory: &isDir), isDir.boolValue else { return nil }
        return Int(n.dropFirst("version_".count))
    }
    return (versions.max() ?? -1) + 1
}

func makeDirectory(_ path: String) throws {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    catch { throw LoggingError.writeFailed(path: path, reason: "\(error)") }
}

/// Python's `str()` of a logged number: integers as integers (epoch, step), floats in their shortest form.
func pythonNumber(_ v: Double, integral: Bool) -> String {
    if integral, v.rounded() == v, Swift.abs(v) < 1e15 { return String(Int64(v)) }
    return pythonRepr(v)
}

/// Writes metrics as TensorBoard scalars (Lightning's `TensorBoardLogger`): an event file
/// `events.out.tfevents.<time>.<host>.<pid>.<n>` in `saveDir/name/version_N`, readable by
/// `tensorboard --logdir saveDir`. Each metric is a scalar whose tag is its name; `experiment` is the
/// `SummaryWriter` behind it, for images, histograms and text (`logger.experiment.addImage(...)`).
/// A module's `saveHyperparameters` go to `hparams.yaml` and TensorBoard's HPARAMS tab (with Lightning's `hp_metric` of -1).
public final class TensorBoardLogger: ExperimentLogger {
    public let saveDir: String
    public let name: String
    public let version: Int
    public var logDir: String { saveDir + "/" + name + "/version_\(version)" }
    private var hyperparams: [String: String] = [:]

    /// A logger writing under `saveDir/name/version_N`; `version` defaults to the next free one.
    public init(saveDir: String, name: String = "lightning_logs", version: Int? = nil) {
        self.saveDir = saveDir
        self.name = name
        self.version = version ?? nextVersion(in: saveDir + "/" + name)
    }

    /// The `SummaryWriter` writing this logger's event file (Lightning's `logger.experiment`).
    public private(set) lazy var experiment = SummaryWriter(logDir: logDir)

    /// The event file being written (nil until the first value and after `finalize`).
    public var eventFilePath: String? { experiment.eventFilePath }
    /// Every event file this logger has written (a new one after each `finalize`, as Lightning's).
    public private(set) var eventFilePaths: [String] = []

    public func logMetrics(_ metrics: [String: Double], step: Int) throws {
        try experiment.write(metrics.sorted(by: { $0.key < $1.key }).map { SummaryWriter.scalar($0.key, $0.value) }, step, nil)
        if let p = experiment.eventFilePath, eventFilePaths.last != p { eventFilePaths.append(p) }
    }

    public func logHyperparams(_ params: [String: String]) throws {
        for (k, v) in params { hyperparams[k] = v }
    }

    /// Records a module's hyper-parameters as Lightning's `log_hyperparams(params)` does: for `hparams.yaml`, and
    /// as TensorBoard's HPARAMS summaries with the default `hp_metric` of -1.
    func logHyperparams(typed params: [(String, HParamValue)]) throws {
        for (k, v) in params { hyperparams[k] = v.yaml }
        try logMetrics(["hp_metric": -1], step: 0)
        for v in try SummaryWriter.hparamsSummaries(params, metrics: ["hp_metric"]) { try experiment.write([v], nil, nil) }
    }

    /// Flushes the event file and writes `hparams.yaml` (Lightning writes one per run).
    public func save() throws {
        try experiment.flush()
        try writeHparamsYAML(hyperparams, in: logDir)
    }

    public func finalize(status: String) throws {
        try save()
        if let p = experiment.eventFilePath, eventFilePaths.last != p { eventFilePaths.append(p) }
        experiment.close()
    }
}

/// `hparams.yaml` in `folder`: the hyper-parameters sorted by name, `{}` when there are none (Lightning's).
func writeHparamsYAML(_ params: [String: String], in folder: String) throws {
    try makeDirectory(folder)
    let yaml = params.isEmpty ? "{}\n" : params.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\n" }.joined()
    try writeFileAtomically(folder + "/hparams.yaml", data: Data(yaml.utf8))
}

extension HParamValue {
    /// The value as PyYAML dumps it: integral numbers as integers, floats in Python's repr with `.0` before
    /// an exponent, strings plain unless YAML would read them otherwise.
    var yaml: String {
        switch self {
        case .number(let v):
            var r = pythonNumber(v, integral: true).lowercased()
            if !r.contains("."), let e = r.firstIndex(of: "e") { r.insert(contentsOf: ".0", at: e) }
            return r
        case .string(let s):
            // plain as PyYAML writes it ("my net"), quoted where YAML would read something else
            let plain = !s.isEmpty && s.first!.isLetter && s.last != " " && !s.contains(": ") && !s.contains(" #")
                && s.allSatisfy { $0.isLetter || $0.isNumber || " _-./".contains($0) } && Double(s) == nil
                && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(s.lowercased())
            return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }
}

/// Writes metrics to `saveDir/name/version_N/metrics.csv` (Lightning's `CSVLogger`): one row per
/// logging call, columns `epoch`, `step` and the metric names in sorted order, empty where a row
/// has no value. The file is rewritten atomically on every `save()`.
public final class CSVLogger: ExperimentLogger {
    public let saveDir: String
    public let name: String
    public let version: Int
    public var logDir: String { saveDir + "/" + name + "/version_\(version)" }
    /// The rows logged so far.
    public private(set) var rows: [[String: Double]] = []
    private var dirty = false
    /// Rows are written to disk every this many logging calls (and on `save()` / `finalize`).
    public let flushLogsEveryNSteps: Int

    public init(saveDir: String, name: String = "lightning_logs", version: Int? = nil, flushLogsEveryNSteps: Int = 100) {
        self.saveDir = saveDir
        self.name = name
        self.version = version ?? nextVersion(in: saveDir + "/" + name)
        self.flushLogsEveryNSteps = flushLogsEveryNSteps
    }

    public var metricsFilePath: String { logDir + "/metrics.csv" }

    public func logMetrics(_ metrics: [String: Double], step: Int) throws {
        var row = metrics
        row["step"] = Double(step)
        rows.append(row)
        dirty = true
        if rows.count % flushLogsEveryNSteps == 0 { try save() }
    }

    public func logHyperparams(_ params: [String: String]) throws {
        for (k, v) in params { hyperparams[k] = v }
    }
    private var hyperparams: [String: String] = [:]

    /// Writes `hparams.yaml` and, when rows were logged since, `metrics.csv` (Lightning's).
    public func save() throws {
        try writeHparamsYAML(hyperparams, in: logDir)
        guard dirty else { return }
        let keys = Set(rows.flatMap(\.keys)).sorted()
        var text = keys.joined(separator: ",") + "\n"
        for r in rows {
            text += keys.map { k in r[k].map { pythonNumber($0, integral: k == "epoch" || k == "step") } ?? "" }.joined(separator: ",") + "\n"
        }
        try writeFileAtomically(metricsFilePath, data: Data(text.utf8))
        dirty = false
    }
}

// MARK: - TensorBoard event files

/// Appends TFRecord-framed `Event` protos to an event file: each record is the length (uint64 LE),
/// the masked CRC-32C of the length, the bytes, and the masked CRC-32C of the bytes. The first record
/// is the file version `brain.Event:2`, as TensorFlow and PyTorch's SummaryWriter write it.
final class EventFileWriter {
    let path: String
    private let handle: FileHandle
    private nonisolated(unsafe) static var counter = 0

    init(directory: String) throws {
        try makeDirectory(directory)
        EventFileWriter.counter += 1
        let host = ProcessInfo.processInfo.hostName
        let name = String(format: "events.out.tfevents.%010d.%@.%d.%d", Int(Date().timeIntervalSince1970), host,
                          Int(ProcessInfo.processInfo.processIdentifier), EventFileWriter.counter - 1)
        path = directory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw LoggingError.writeFailed(path: path, reason: "cannot create the event file")
        }
        handle = h
        var first = TBEvent()
        first.wallTime = Date().timeIntervalSince1970
        first.what = .fileVersion("brain.Event:2")
        try write(first)
    }

    func write(_ event: TBEvent) throws {
        let bytes: [UInt8]
        do { bytes = try event.serializedBytes() } catch { throw LoggingError.writeFailed(path: path, reason: "\(error)") }
        var record: [UInt8] = []
        var length = UInt64(bytes.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        record += lengthBytes
        record += le32(maskedCRC32C(lengthBytes))
        record += bytes
        record += le32(maskedCRC32C(bytes))
        do { try handle.write(contentsOf: record) } catch { throw LoggingError.writeFailed(path: path, reason: "\(error)") }
    }

    func flush() throws {
        do { try handle.synchronize() } catch { throw LoggingError.writeFailed(path: path, reason: "\(error)") }
    }
    func close() { try? handle.close() }

    private func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
}

/// TensorBoard's event-file format: reading scalars back, and the CRC that frames each record.
public enum TensorBoardFormat {
    /// Reads a TensorBoard event file: checks every record's framing and CRCs (throwing
    /// `SerializationError` on a bad file) and returns the file version and each scalar as (step, tag, value).
    public static func readScalars(_ path: String) throws -> (fileVersion: String?, scalars: [(step: Int, tag: String, value: Float)]) {
        try readTensorBoardScalars(path)
    }
    /// The histograms of an event file: step, tag, statistics, each bucket's right edge and its count.
    public static func readHistograms(_ path: String) throws -> [(step: Int, tag: String, min: Double, max: Double, num: Double, sum: Double,
                                                                  sumSquares: Double, bucketLimits: [Double], buckets: [Double])] {
        try readTensorBoardEvents(path).flatMap { e -> [(Int, String, Double, Double, Double, Double, Double, [Double], [Double])] in
            guard case .summary(let s)? = e.what else { return [] }
            return s.value.compactMap { v in v.histo.map { (Int(e.step), v.tag, $0.min, $0.max, $0.num, $0.sum, $0.sumSquares, $0.bucketLimit, $0.bucket) } }
        }
    }
    /// The images of an event file: step, tag, height, width, colour channels and the PNG bytes.
    public static func readImages(_ path: String) throws -> [(step: Int, tag: String, height: Int, width: Int, colorspace: Int, png: [UInt8])] {
        try readTensorBoardEvents(path).flatMap { e -> [(Int, String, Int, Int, Int, [UInt8])] in
            guard case .summary(let s)? = e.what else { return [] }
            return s.value.compactMap { v in v.image.map { (Int(e.step), v.tag, Int($0.height), Int($0.width), Int($0.colorspace), $0.encodedImageString) } }
        }
    }
    /// The texts of an event file (`addText`): step, tag (with its "/text_summary" suffix) and the text.
    public static func readTexts(_ path: String) throws -> [(step: Int, tag: String, text: String)] {
        try readTensorBoardEvents(path).flatMap { e -> [(Int, String, String)] in
            guard case .summary(let s)? = e.what else { return [] }
            return s.value.compactMap { v in
                guard v.metadata?.pluginData?.pluginName == "text", let t = v.tensor?.stringVal.first else { return nil }
                return (Int(e.step), v.tag, String(decoding: t, as: UTF8.self))
            }
        }
    }
    /// Every summary of an event file as its protobuf bytes (TensorBoard's `Summary` message), with its step and wall time.
    public static func readSummaries(_ path: String) throws -> [(step: Int, wallTime: Double, summary: [UInt8])] {
        try readTensorBoardEvents(path).compactMap { e in
            guard case .summary(let s)? = e.what else { return nil }
            do { return (Int(e.step), e.wallTime, try s.serializedBytes()) } catch {
                throw SerializationError.invalidHeader(path: path, reason: "cannot re-encode a summary: \(error)")
            }
        }
    }
    /// CRC-32C (Castagnoli) of `bytes`.
    public static func crc32c(_ bytes: [UInt8]) -> UInt32 { Descent.crc32c(bytes) }
    /// TFRecord's masked CRC-32C: rotated right by 15, plus 0xa282ead8.
    public static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 { Descent.maskedCRC32C(bytes) }
}

func readTensorBoardScalars(_ path: String) throws -> (fileVersion: String?, scalars: [(step: Int, tag: String, value: Float)]) {
    var version: String? = nil
    var out: [(Int, String, Float)] = []
    for e in try readTensorBoardEvents(path) {
        switch e.what {
        case .fileVersion(let v)?: version = v
        case .summary(let s)?: for v in s.value { if let x = v.simpleValue { out.append((Int(e.step), v.tag, x)) } }
        case nil: break
        }
    }
    return (version, out)
}

/// The events of a TFRecord event file, each record's two CRCs checked.
func readTensorBoardEvents(_ path: String) throws -> [TBEvent] {
    guard let data = FileManager.default.contents(atPath: path) else { throw SerializationError.fileNotFound(path: path) }
    let b = [UInt8](data)
    var i = 0
    var events: [TBEvent] = []
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) } }
    while i < b.count {
        guard i + 12 <= b.count else { throw SerializationError.invalidHeader(path: path, reason: "truncated record header at byte \(i)") }
        let lenBytes = Array(b[i..<(i + 8)])
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(lenBytes[k]) << UInt64(8 * k) }
        if u32(i + 8) != maskedCRC32C(lenBytes) { throw SerializationError.invalidHeader(path: path, reason: "bad length CRC at byte \(i)") }
        guard length <= UInt64(b.count) else { throw SerializationError.invalidHeader(path: path, reason: "truncated record at byte \(i)") }
        let len = Int(length)
        guard i + 12 + len + 4 <= b.count else { throw SerializationError.invalidHeader(path: path, reason: "truncated record at byte \(i)") }
        let body = Array(b[(i + 12)..<(i + 12 + len)])
        if u32(i + 12 + len) != maskedCRC32C(body) { throw SerializationError.invalidHeader(path: path, reason: "bad data CRC at byte \(i)") }
        do { events.append(try TBEvent(serializedBytes: body)) } catch {
            throw SerializationError.invalidHeader(path: path, reason: "bad event proto at byte \(i): \(error)")
        }
        i += 12 + len + 4
    }
    return events
}

// MARK: - CRC-32C (Castagnoli), as TFRecord frames use it

private let crc32cTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    return c
}

/// CRC-32C of `bytes` (reflected, polynomial 0x1EDC6F41).
func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for x in bytes { c = crc32cTable[Int((c ^ UInt32(x)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

/// TFRecord's masked CRC: rotate right by 15 and add a constant.
func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
    let c = crc32c(bytes)
    return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
}
