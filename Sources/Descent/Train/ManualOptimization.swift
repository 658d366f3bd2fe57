import Foundation

/// An optimizer as a `TrainingModule` sees it in manual optimization (Lightning's `LightningOptimizer`):
/// `step()` steps the optimizer and counts the step in the trainer's `globalStep`, as Lightning counts
/// only steps taken through `self.optimizers()`.
public final class LightningOptimizer {
    /// The optimizer it wraps.
    public let optimizer: Optimizer
    weak var trainer: Trainer?

    init(_ optimizer: Optimizer, trainer: Trainer) { self.optimizer = optimizer; self.trainer = trainer }

    /// Steps the optimizer; counts one step of `trainer.globalStep`.
    public func step() {
        optimizer.step()
        trainer?.countOptimizerStep()
    }
    /// Steps with a closure that recomputes the loss (LBFGS); returns the loss.
    @discardableResult public func step(_ closure: () -> Tensor) -> Tensor {
        let loss = optimizer.step(closure)
        trainer?.countOptimizerStep()
        return loss
    }
    /// Clears the gradients of the optimizer's parameters (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad(setToNil: Bool = true) { optimizer.zeroGrad(setToNil: setToNil) }
    /// The optimizer's parameter groups.
    public var paramGroups: [ParamGroup] { optimizer.paramGroups }
    /// The optimizer's state (PyTorch's `optimizer.state_dict()`).
    public func stateDict() -> StateDict { optimizer.stateDict() }
}

/// What Lightning's `self.optimizers()` and `self.lr_schedulers()` return: one element, which the list
/// forwards to (`let opt = optimizers(); opt.step()`), or several, read by index
/// (`let opts = optimizers(); let (g, d) = (opts[0], opts[1])`).
public struct ListOrSingle<Element>: RandomAccessCollection {
    public let elements: [Element]
    public init(_ elements: [Element]) { self.elements = elements }
    public var startIndex: Int { 0 }
    public var endIndex: Int { elements.count }
    public subscript(i: Int) -> Element { elements[i] }
    /// The single element; several or none stop the program (index the list instead).
    public var single: Element {
        guard elements.count == 1 else {
            fail("\(elements.count) \(Element.self)s are configured: index them (`let opts = optimizers(); opts[0].step()`)")
        }
        return elements[0]
    }
}

extension ListOrSingle where Element == LightningOptimizer {
    /// Steps the single optimizer.
    public func step() { single.step() }
    /// Steps the single optimizer with a loss closure; returns the loss.
    @discardableResult public func step(_ closure: () -> Tensor) -> Tensor { single.step(closure) }
    /// Clears the single optimizer's gradients.
    public func zeroGrad(setToNil: Bool = true) { single.zeroGrad(setToNil: setToNil) }
    /// The single optimizer's parameter groups.
    public var paramGroups: [ParamGroup] { single.paramGroups }
    /// The single optimizer it wraps.
    public var optimizer: Optimizer { single.optimizer }
}

extension ListOrSingle where Element == LRScheduler {
    /// Steps the single scheduler.
    public func step() { single.step() }
    /// Steps the single scheduler, a `ReduceLROnPlateau`, with the metric it watches.
    public func step(metric: Double) {
        guard let p = single as? ReduceLROnPlateau else { fail("step(metric:) needs a ReduceLROnPlateau, not \(type(of: single))") }
        p.step(metric: metric)
    }
    /// The single scheduler's last computed learning rates.
    public func getLastLR() -> [Double] { single.getLastLR() }
}

extension TrainingModule {
    /// The trainer, for a method that needs one (stops with Lightning's message outside `fit`).
    private var attachedTrainer: Trainer {
        guard let t = trainer else { fail("\(type(of: self)) is not attached to a `Trainer`.") }
        return t
    }
    private func verifyManual(_ name: String) {
        if automaticOptimization {
            fail("to use \(name), please disable automatic optimization: set model property `automatic_optimization` as False")
        }
    }

    /// The optimizers being trained with (Lightning's `self.optimizers()`): one, which the result forwards
    /// `step()` and `zeroGrad()` to, or several, by index. Their `step()` counts in `trainer.globalStep`.
    public func optimizers() -> ListOrSingle<LightningOptimizer> { ListOrSingle(attachedTrainer.lightningOptimizers) }

    /// The learning-rate schedulers (Lightning's `self.lr_schedulers()`); in manual optimization the
    /// Trainer does not step them: call `step()` yourself.
    public func lrSchedulers() -> ListOrSingle<LRScheduler> { ListOrSingle(attachedTrainer.lrSchedulers) }

    /// Backward in manual optimization (Lightning's `self.manual_backward(loss)`): `loss.backward()`, with
    /// the gradients averaged across ranks in data-parallel training.
    public func manualBackward(_ loss: Tensor, retainGraph: Bool = false) {
        verifyManual("manual_backward")
        let t = attachedTrainer
        t.reducer?.prepareForBackward(outputs: [loss])
        loss.backward(retainGraph: retainGraph)
    }

    /// Makes only `optimizer`'s parameters require gradients (Lightning's `toggle_optimizer`): every other
    /// optimizer's parameters stop requiring them until `untoggleOptimizer(_:)`.
    public func toggleOptimizer(_ optimizer: LightningOptimizer) {
        let t = attachedTrainer
        var saved: [ObjectIdentifier: Bool] = [:]
        for opt in t.optimizers { for g in opt.paramGroups { for p in g.params where saved[ObjectIdentifier(p)] == nil {
            saved[ObjectIdentifier(p)] = p.requiresGrad
            p.requiresGrad = false
        } } }
        for g in optimizer.paramGroups { for p in g.params { p.requiresGrad = saved[ObjectIdentifier(p)]! } }
        t.toggledRequiresGrad = saved
    }

    /// Restores what `toggleOptimizer(_:)` changed (Lightning's `untoggle_optimizer`).
    public func untoggleOptimizer(_ optimizer: LightningOptimizer) {
        let t = attachedTrainer
        for opt in t.optimizers where opt !== optimizer.optimizer {
            for g in opt.paramGroups { for p in g.params { if let r = t.toggledRequiresGrad[ObjectIdentifier(p)] { p.requiresGrad = r } } }
        }
        t.toggledRequiresGrad = [:]
    }

    /// Runs `body` with `optimizer` toggled (Lightning's `with self.toggled_optimizer(opt):`).
    public func toggledOptimizer<R>(_ optimizer: LightningOptimizer, _ body: () throws -> R) rethrows -> R {
        toggleOptimizer(optimizer)
        defer { untoggleOptimizer(optimizer) }
        return try body()
    }

    /// Clips the gradients of `optimizer`'s parameters (Lightning's `self.clip_gradients`): by their total
    /// 2-norm (`"norm"`, the default) or by value (`"value"`). Without a value, the Trainer's
    /// `gradientClipVal` (none: nothing is clipped).
    public func clipGradients(_ optimizer: LightningOptimizer, gradientClipVal: Double? = nil, gradientClipAlgorithm: String? = nil) {
        let t = attachedTrainer
        if let v = gradientClipVal, let tv = t.gradientClipVal, tv != v {
            fail("You have set `Trainer(gradient_clip_val=\(tv))` and have passed `clip_gradients(gradient_clip_val=\(v))`. Please use only one of them.")
        }
        let algorithm = gradientClipAlgorithm?.lowercased() ?? t.gradientClipAlgorithm
        if algorithm != "norm" && algorithm != "value" {
            fail("`gradient_clip_algorithm` \(algorithm) is invalid. Allowed algorithms: ['value', 'norm']")
        }
        let value = gradientClipVal ?? t.gradientClipVal ?? 0
        guard value > 0 else { return }
        let params = optimizer.paramGroups.flatMap(\.params)
        if algorithm == "value" { clipGradValue_(params, clipValue: value) } else { clipGradNorm_(params, maxNorm: value) }
    }
}
