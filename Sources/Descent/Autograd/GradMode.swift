import Foundation

/// Whether operations record the autograd graph (PyTorch's grad mode): per thread, as PyTorch's
/// (`noGrad` on one thread does not stop another thread's training); a new thread starts with
/// recording on. Kept in thread-local storage by the backend layer (`ThreadState`).
var gradEnabled: Bool {
    @inline(__always) get { ThreadState.gradEnabled }
    @inline(__always) set { ThreadState.gradEnabled = newValue }
}

/// Whether autograd is recording (PyTorch's `torch.is_grad_enabled()`).
public func isGradEnabled() -> Bool { gradEnabled }
/// Turns recording on or off until changed again (PyTorch's `torch.set_grad_enabled`).
public func setGradEnabled(_ enabled: Bool) { gradEnabled = enabled }
/// Runs `body` with recording on or off, then restores the mode (PyTorch's `with torch.set_grad_enabled(is_train):`).
@discardableResult
public func setGradEnabled<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
    let saved = gradEnabled
    gradEnabled = enabled
    defer { gradEnabled = saved }
    return try body()
}

/// Runs `body` with gradient recording off (PyTorch's `with torch.no_grad():`).
@discardableResult
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    let saved = gradEnabled
    gradEnabled = false
    defer { gradEnabled = saved }
    return try body()
}

/// Runs `body` with gradient recording on (PyTorch's `torch.enable_grad()`).
@discardableResult
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    let saved = gradEnabled
    gradEnabled = true
    defer { gradEnabled = saved }
    return try body()
}

/// Turns gradient recording off for a scope without a closure; recording comes back when the
/// guard is released (`let guard = NoGradGuard()` ... `withExtendedLifetime(guard) {}` or `guard.restore()`).
public final class NoGradGuard {
    private let saved: Bool
    private var restored = false
    public init() { saved = gradEnabled; gradEnabled = false }
    /// Restores the previous grad mode now.
    public func restore() { if !restored { gradEnabled = saved; restored = true } }
    deinit { restore() }
}

/// Whether backward checks every gradient for NaN and records where each op was created (PyTorch's
/// anomaly mode). Slow: for finding the op that produced a NaN, not for training.
nonisolated(unsafe) var anomalyDetectionEnabled = false

/// Turns anomaly detection on or off until changed again (PyTorch's `torch.autograd.set_detect_anomaly`).
public func setDetectAnomaly(_ enabled: Bool) { anomalyDetectionEnabled = enabled }
/// Whether anomaly detection is on (PyTorch's `torch.is_anomaly_enabled()`).
public func isAnomalyEnabled() -> Bool { anomalyDetectionEnabled }

/// Runs `body` with anomaly detection on (PyTorch's `with torch.autograd.detect_anomaly():`): ops
/// remember where they were created, and a backward whose op returns a NaN gradient stops with
/// PyTorch's message (`Function 'LogBackward0' returned nan values in its 0th output.`) and the
/// call stack of that op's forward.
@discardableResult
public func detectAnomaly<R>(_ body: () throws -> R) rethrows -> R {
    let saved = anomalyDetectionEnabled
    anomalyDetectionEnabled = true
    defer { anomalyDetectionEnabled = saved }
    return try body()
}

/// Runs `body` without recording gradients (PyTorch's `torch.inference_mode()`; here `noGrad` that
/// `isInferenceModeEnabled()` can see).
@discardableResult
public func inferenceMode<R>(_ body: () throws -> R) rethrows -> R {
    let dict = Thread.current.threadDictionary
    let saved = dict[inferenceModeKey] as? Bool ?? false
    dict[inferenceModeKey] = true
    defer { Thread.current.threadDictionary[inferenceModeKey] = saved }
    return try noGrad(body)
}
/// Whether the calling thread is inside `inferenceMode { }` (PyTorch's `torch.is_inference_mode_enabled()`).
public func isInferenceModeEnabled() -> Bool { Thread.current.threadDictionary[inferenceModeKey] as? Bool ?? false }
private let inferenceModeKey = "descent.inferenceMode"
