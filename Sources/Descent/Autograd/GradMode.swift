/// Whether operations record the autograd graph (PyTorch's grad mode). Global, like the
/// process-wide default of PyTorch; set it from the thread that trains.
nonisolated(unsafe) var gradEnabled = true

/// Whether autograd is recording (PyTorch's `torch.is_grad_enabled()`).
public func isGradEnabled() -> Bool { gradEnabled }
/// Turns recording on or off until changed again (PyTorch's `torch.set_grad_enabled`).
public func setGradEnabled(_ enabled: Bool) { gradEnabled = enabled }

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
