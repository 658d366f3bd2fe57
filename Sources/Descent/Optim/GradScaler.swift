import Foundation

/// Loss scaling for mixed-precision training (PyTorch's `torch.amp.GradScaler`): `scale(loss)` multiplies
/// the loss by the scale before `backward()`; `step(optimizer)` divides the gradients by it (unless
/// `unscale_(optimizer)` already did), and skips the optimizer's step when any gradient is infinite or
/// NaN; `update()` halves the scale after a skipped step and doubles it after `growthInterval` steps
/// in a row without one. The arithmetic is PyTorch's (float32 scale, its reciprocal rounded from float64),
/// so scales, skipped steps and weights follow PyTorch's.
///
/// ```swift
/// let scaler = GradScaler("cuda")
/// scaler.scale(lossFn(model(x), y)).backward()
/// scaler.unscale_(optimizer)                      // optional: to clip the true gradients
/// clipGradNorm_(model.parameters(), maxNorm: 1.0)
/// scaler.step(optimizer)
/// scaler.update()
/// ```
///
/// As in PyTorch, `GradScaler("cuda")` on a machine without a usable GPU warns and disables itself
/// (`scale` returns the loss, `step` just steps); use `GradScaler("cpu")` to scale on the CPU.
/// Descent computes in float32 throughout (it has no `autocast` to float16 yet), where scaling changes
/// nothing but guards against overflow as PyTorch's does.
public final class GradScaler {
    private enum Stage { case ready, unscaled, stepped }
    private struct OptimizerState { var stage = Stage.ready; var foundInf: Float? }

    /// The device type the scaler works for ("cuda" or "cpu").
    public let device: String
    private var enabled: Bool
    private var initScale: Double
    private var scaleValue: Float?
    private var growthFactor: Double
    private var backoffFactor: Double
    private var growthInterval: Int
    private var initGrowthTracker = 0
    private var growthTracker: Int?
    private var states: [ObjectIdentifier: OptimizerState] = [:]

    /// A scaler starting at `initScale` (PyTorch's defaults: 2^16, ×2 after 2000 good steps, ×0.5 after a skipped one).
    public init(_ device: String = "cuda", initScale: Double = 65536, growthFactor: Double = 2, backoffFactor: Double = 0.5,
                growthInterval: Int = 2000, enabled: Bool = true) {
        self.device = device
        self.enabled = enabled
        if device == "cuda" && enabled && !CUDA.isAvailable() {
            warnOnce("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.")
            self.enabled = false
        }
        if self.enabled {
            if growthFactor <= 1 { fail("AssertionError: The growth factor must be > 1.0.") }
            if backoffFactor >= 1 { fail("AssertionError: The backoff factor must be < 1.0.") }
        }
        self.initScale = initScale; self.growthFactor = growthFactor; self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
    }

    private func checkStarted(_ function: String) {
        if scaleValue == nil {
            fail("AssertionError: Attempted \(function) but _scale is None.  This may indicate your script did not use "
                 + "scaler.scale(loss or outputs) earlier in the iteration.")
        }
    }

    /// `outputs` multiplied by the scale (PyTorch's `scale`); unchanged when the scaler is disabled.
    public func scale(_ outputs: Tensor) -> Tensor {
        if !enabled { return outputs }
        if scaleValue == nil { scaleValue = Float(initScale); growthTracker = initGrowthTracker }
        return outputs * Tensor(Double(scaleValue!), dtype: .float32).to(outputs.device)
    }
    /// Each of `outputs` multiplied by the scale.
    public func scale(_ outputs: [Tensor]) -> [Tensor] { outputs.map { scale($0) } }

    /// Divides the gradients of `optimizer`'s parameters by the scale in place and records whether any
    /// is infinite or NaN (PyTorch's `unscale_`). Call it at most once per optimizer between updates.
    public func unscale_(_ optimizer: Optimizer) {
        if !enabled { return }
        checkStarted("unscale_")
        let id = ObjectIdentifier(optimizer)
        switch states[id, default: OptimizerState()].stage {
        case .unscaled: fail("RuntimeError: unscale_() has already been called on this optimizer since the last update().")
        case .stepped: fail("RuntimeError: unscale_() is being called after step().")
        case .ready: break
        }
        let inverse = Double(Float(1 / Double(scaleValue!)))    // scale.double().reciprocal().float()
        var found: Float = 0
        noGrad {
            for group in optimizer.paramGroups {
                for p in group.params {
                    guard let g = p.grad else { continue }
                    if g.isfinite().all().item() == 0 { found = 1 }
                    if inverse != 1 { g.mul_(inverse) }
                }
            }
        }
        states[id] = OptimizerState(stage: .unscaled, foundInf: found)
    }

    /// Unscales the gradients (unless `unscale_` did) and runs `optimizer.step()` if none is infinite or
    /// NaN (PyTorch's `step`); without scaling it just steps.
    public func step(_ optimizer: Optimizer) {
        if !enabled { optimizer.step(); return }
        checkStarted("step")
        let id = ObjectIdentifier(optimizer)
        if states[id]?.stage == .stepped { fail("RuntimeError: step() has already been called since the last update().") }
        if states[id]?.stage != .unscaled { unscale_(optimizer) }
        if states[id]?.foundInf == 0 { optimizer.step() }
        states[id]?.stage = .stepped
    }

    /// Adjusts the scale for the next iteration (PyTorch's `update`): × `backoffFactor` if any step
    /// since the last update found infinite gradients, × `growthFactor` after `growthInterval`
    /// good steps in a row; `newScale` sets it instead.
    public func update(newScale: Double? = nil) {
        if !enabled { return }
        checkStarted("update")
        if let newScale {
            scaleValue = Float(newScale)
        } else {
            let found = states.values.compactMap(\.foundInf)
            if found.isEmpty { fail("AssertionError: No inf checks were recorded prior to update.") }
            // PyTorch's _amp_update_scale_: float32 scale, double factors, growth only to a finite value
            if found.reduce(0, +) != 0 {
                scaleValue = Float(Double(scaleValue!) * backoffFactor)
                growthTracker = 0
            } else {
                let successful = growthTracker! + 1
                if successful == growthInterval {
                    let grown = Float(Double(scaleValue!) * growthFactor)
                    if grown.isFinite { scaleValue = grown }
                    growthTracker = 0
                } else {
                    growthTracker = successful
                }
            }
        }
        states = [:]
    }

    /// The current scale (the initial one before the first `scale`; 1 when disabled).
    public func getScale() -> Double { enabled ? scaleValue.map(Double.init) ?? initScale : 1 }
    public func getGrowthFactor() -> Double { growthFactor }
    public func setGrowthFactor(_ value: Double) { growthFactor = value }
    public func getBackoffFactor() -> Double { backoffFactor }
    public func setBackoffFactor(_ value: Double) { backoffFactor = value }
    public func getGrowthInterval() -> Int { growthInterval }
    public func setGrowthInterval(_ value: Int) { growthInterval = value }
    /// Whether the scaler scales (false when disabled, or made for "cuda" without a GPU).
    public func isEnabled() -> Bool { enabled }

    /// The scaler's state (PyTorch's `state_dict()`): `scale`, `growth_factor`, `backoff_factor`,
    /// `growth_interval`, `_growth_tracker` as float64 scalars; empty when disabled.
    public func stateDict() -> StateDict {
        var d = StateDict()
        if !enabled { return d }
        d["scale"] = Tensor(getScale(), dtype: .float64)
        d["growth_factor"] = Tensor(growthFactor, dtype: .float64)
        d["backoff_factor"] = Tensor(backoffFactor, dtype: .float64)
        d["growth_interval"] = Tensor(Double(growthInterval), dtype: .float64)
        d["_growth_tracker"] = Tensor(Double(growthTracker ?? initGrowthTracker), dtype: .float64)
        return d
    }

    /// Restores what `stateDict()` saved (nothing when disabled). An empty dict (saved by a disabled
    /// scaler) or a missing, non-numeric or out-of-range entry throws a `StateDictError`.
    public func loadStateDict(_ d: StateDict) throws {
        if !enabled { return }
        if d.keys.isEmpty {
            throw StateDictError.invalid("The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.")
        }
        func number(_ key: String) throws -> Double {
            guard let t = d[key] else { throw StateDictError.keyMismatch(missing: [key], unexpected: []) }
            if t.count != 1 || t.dtype == .bool { throw StateDictError.shapeMismatch(key: key, expected: [], got: t.shape) }
            return t.item()
        }
        let scale = try checkedNumber(try number("scale"), key: "scale", min: 0)
        let growth = try checkedNumber(try number("growth_factor"), key: "growth_factor")
        let backoff = try checkedNumber(try number("backoff_factor"), key: "backoff_factor")
        let interval = try checkedInteger(try number("growth_interval"), key: "growth_interval", min: 1)
        let tracker = try checkedInteger(try number("_growth_tracker"), key: "_growth_tracker")
        initScale = scale
        if scaleValue != nil { scaleValue = Float(scale) }
        growthFactor = growth; backoffFactor = backoff; growthInterval = interval
        initGrowthTracker = tracker
        if growthTracker != nil { growthTracker = tracker }
    }
}
