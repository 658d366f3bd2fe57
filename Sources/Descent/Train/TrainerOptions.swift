import Foundation

/// A number of batches, or a fraction of a loader's batches (Lightning's int-or-float `overfit_batches`,
/// `val_check_interval`): `10` is ten batches, `0.25` a quarter of them.
public enum BatchLimit: Equatable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case batches(Int)
    case fraction(Double)
    public init(integerLiteral value: Int) { self = .batches(value) }
    public init(floatLiteral value: Double) { self = .fraction(value) }

    /// How many of `total` batches this is (Lightning's `int(total * fraction)`, at most `total`).
    public func count(of total: Int) -> Int {
        switch self {
        case .batches(let n): return Swift.min(n, total)
        case .fraction(let f): return Swift.min(Int(Double(total) * f), total)
        }
    }
    /// Whether this limits nothing away (0 batches or 0.0).
    var isZero: Bool { self == .batches(0) || self == .fraction(0) }
}

/// Lightning's `fast_dev_run`: `true` (one batch), `false`, or a number of batches.
public struct FastDevRun: Equatable, Sendable, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public let batches: Int
    public init(booleanLiteral value: Bool) { batches = value ? 1 : 0 }
    public init(integerLiteral value: Int) { batches = value }
}

/// A logger that writes nothing (Lightning's `DummyLogger`, what `fastDevRun` logs to).
public final class DummyLogger: ExperimentLogger {
    public init() {}
    public var name: String { "" }
    public var version: Int { 0 }
    public var logDir: String { "" }
    public func logMetrics(_ metrics: [String: Double], step: Int) throws {}
}
