import Foundation
/// An edge from a node to the input it differentiates into.
enum Edge {
    case none            // the input does not require grad
    case leaf(Tensor)    // accumulate into the leaf's .grad
    case node(Node)      // pass to the producer's node
}

/// A recorded operation in the autograd graph: which op (a value, with its non-tensor metadata),
/// which tensors it saved for backward, and where each input's gradient goes. One backward
/// function (`Op.backward`) walks these values, as candle does; the name prints as PyTorch's `grad_fn`.
final class Node {
    let op: Op
    var saved: [Tensor]
    /// The version of each saved tensor's storage when it was saved.
    var savedVersions: [Int]
    let edges: [Edge]
    var savedWereFreed = false
    let hadSaved: Bool
    var retainedOutput: WeakTensor?
    /// Indices of `saved` that hold this node's own output (stored without the node, to avoid a cycle).
    var outputSaved: [Int] = []
    // engine bookkeeping
    var pendingGrad: Tensor?
    /// Gradient hooks of the tensor this node produced (`registerHook`), run on its gradient first.
    var gradHooks: [(id: Int, hook: (Tensor) -> Tensor?)]?
    /// Whether `pendingGrad` is a buffer the engine allocated itself (so slices may add into it in place).
    var pendingOwned = false
    var dependencies = 0
    /// Where the forward op was called (the call stack), kept only in anomaly mode.
    var forwardTrace: [String]?

    init(op: Op, saved: [Tensor], edges: [Edge]) {
        self.op = op
        self.saved = saved
        self.savedVersions = saved.isEmpty ? [] : saved.map { $0.storage.version }
        self.edges = edges
        self.hadSaved = !saved.isEmpty
    }
    var name: String { op.name }
}

/// A node of the autograd graph as PyTorch shows it (`tensor.grad_fn`, `grad_fn.next_functions`):
/// its name and, per input, the function the gradient flows to next (`AccumulateGrad` for a leaf,
/// nil for an input that needs no gradient).
public struct GradFunction: CustomStringConvertible {
    /// PyTorch's name: `AddmmBackward0`, ..., or `AccumulateGrad`.
    public let name: String
    private let edges: [Edge]
    init(node: Node) { name = node.name; edges = node.edges }
    private init(leafNamed name: String) { self.name = name; edges = [] }
    /// The next function of each input (PyTorch's `next_functions`).
    public var nextFunctions: [GradFunction?] {
        edges.map { e in
            switch e {
            case .none: return nil
            case .leaf: return GradFunction(leafNamed: "AccumulateGrad")
            case .node(let n): return GradFunction(node: n)
            }
        }
    }
    public var description: String { "<\(name)>" }
}

extension Tensor {
    /// The autograd node that produced this tensor, with its inputs' next functions (PyTorch's `grad_fn`).
    public var gradFunction: GradFunction? { node.map(GradFunction.init(node:)) }
}

@inline(__always)
func edge(_ t: Tensor) -> Edge {
    if !t.requiresGradFlag { return .none }
    if let n = t.node { return .node(n) }
    return .leaf(t)
}

@inline(__always) func wantsGrad(_ a: Tensor) -> Bool { gradEnabled && a.requiresGradFlag }
@inline(__always) func wantsGrad(_ a: Tensor, _ b: Tensor) -> Bool { gradEnabled && (a.requiresGradFlag || b.requiresGradFlag) }

extension Tensor {
    /// Attaches a node for `op` to this freshly computed tensor. Call only when `wantsGrad(...)`.
    @discardableResult
    func recorded(_ op: Op, inputs: [Tensor], saved: [Tensor] = []) -> Tensor {
        // A saved output must not point back at its own node (a retain cycle that would leak every
        // graph that is never backpropagated): save an alias of the same storage without the node.
        var saved = saved
        var outputSaved: [Int] = []
        for i in saved.indices where saved[i] === self { saved[i] = detach(); outputSaved.append(i) }
        node = Node(op: op, saved: saved, edges: inputs.map(edge))
        node!.outputSaved = outputSaved
        if anomalyDetectionEnabled { node!.forwardTrace = Thread.callStackSymbols }
        requiresGradFlag = true
        return self
    }

    /// Computes the gradient of this scalar with respect to the graph's leaves and adds it into their
    /// `.grad` (PyTorch's `backward()`). The graph's saved tensors are freed unless `retainGraph`.
    public func backward(retainGraph: Bool = false) {
        if count != 1 { fail("grad can be implicitly created only for scalar outputs") }
        backward(gradient: Tensor.onesLike(self), retainGraph: retainGraph)
    }

    /// Backward with an explicit upstream gradient of this tensor's shape (PyTorch's `backward(gradient)`).
    /// With `createGraph`, the gradients are themselves recorded, so they can be differentiated again.
    public func backward(gradient: Tensor, retainGraph: Bool? = nil, createGraph: Bool = false) {
        if !requiresGradFlag {
            fail("element 0 of tensors does not require grad and does not have a grad_fn")
        }
        if gradient.shape != shape {
            fail("Mismatch in shape: grad_output[0] has a shape of \(shapeString(gradient.shape)) and output[0] has a shape of \(shapeString(shape)).")
        }
        let retain = retainGraph ?? createGraph
        if createGraph { enableGrad { runBackward(root: self, gradient: gradient, retainGraph: retain, createGraph: true) } }
        else { noGrad { runBackward(root: self, gradient: gradient, retainGraph: retain) } }
        runQueuedBackwardCallbacks()
    }
    /// `backward()` of a scalar with `createGraph` (higher-order gradients).
    public func backward(retainGraph: Bool? = nil, createGraph: Bool) {
        if count != 1 { fail("grad can be implicitly created only for scalar outputs") }
        backward(gradient: Tensor.onesLike(self), retainGraph: retainGraph, createGraph: createGraph)
    }

    /// A tensor sharing storage with this one but cut from the graph (PyTorch's `detach()`).
    /// The same memory without history (PyTorch's `.data`); assigning copies the new values into
    /// this tensor's memory without recording, as `p.data = ...` does in PyTorch.
    public var data: Tensor {
        get { detach() }
        set { noGrad { copyStrided(from: newValue.dtype == dtype ? newValue.expand(shape) : newValue.to(dtype: dtype).expand(shape), into: self) } }
    }
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }
    /// Cuts this tensor from the graph in place, making it a leaf (PyTorch's `detach_()`).
    @discardableResult public func detach_() -> Tensor { node = nil; requiresGradFlag = false; return self }
}

func accumulateGrad(into leaf: Tensor, _ g: Tensor, createGraph: Bool = false) {
    var g = g
    if g.shape != leaf.shape { g = sumToShape(g, leaf.shape) }
    if g.dtype != leaf.dtype { g = g.to(dtype: leaf.dtype) }
    if createGraph {
        leaf.grad = leaf.grad.map { $0 + g } ?? g   // keep the graph of the gradient
    } else if let existing = leaf.grad {
        existing.addInPlaceRaw(g)
    } else {
        leaf.grad = g.clone()   // a fresh buffer: later accumulation is in place
    }
}

// MARK: hooks

/// Undoes a `registerHook`, `registerPostAccumulateGradHook` or module hook (PyTorch's `RemovableHandle`).
public final class HookHandle {
    private var removal: (() -> Void)?
    init(_ removal: @escaping () -> Void) { self.removal = removal }
    /// Removes the hook; later calls do nothing.
    public func remove() { removal?(); removal = nil }
}

/// How many leaves have post-accumulate hooks: while zero, backward does no per-leaf bookkeeping.
nonisolated(unsafe) private var hookedLeaves = 0
nonisolated(unsafe) private var nextHookID = 0
/// Callbacks to run once the current backward pass has finished (PyTorch's `queue_callback`).
nonisolated(unsafe) private var queuedBackwardCallbacks: [() -> Void] = []

extension Tensor {
    /// Calls `hook(self)` each time a `backward()` has finished adding into this leaf's `.grad`: once per
    /// backward, after every path's contribution (PyTorch's `register_post_accumulate_grad_hook`).
    /// `autograd.grad(...)` does not call it. How `DistributedDataParallel` starts reducing a bucket of
    /// gradients while backward goes on.
    @discardableResult
    public func registerPostAccumulateGradHook(_ hook: @escaping (Tensor) -> Void) -> HookHandle {
        if node != nil { fail("post accumulate grad hooks cannot be registered on non-leaf tensors") }
        if !requiresGradFlag { fail("cannot register a hook on a tensor that doesn't require gradient") }
        return addLeafHook(\.postAccumulateGradHooks, hook)
    }
    /// Adds `hook` to one of this leaf's hook lists (counted in `hookedLeaves` while the list exists).
    private func addLeafHook<H>(_ list: ReferenceWritableKeyPath<Tensor, [(id: Int, hook: H)]?>, _ hook: H) -> HookHandle {
        nextHookID += 1
        let id = nextHookID
        if self[keyPath: list] == nil { self[keyPath: list] = []; hookedLeaves += 1 }
        self[keyPath: list]!.append((id, hook))
        return HookHandle { [weak self] in
            guard let self, var hooks = self[keyPath: list] else { return }
            hooks.removeAll { $0.id == id }
            if hooks.isEmpty { self[keyPath: list] = nil; hookedLeaves -= 1 } else { self[keyPath: list] = hooks }
        }
    }
    /// Calls `hook(grad)` with this tensor's gradient each time a backward pass computes it; a non-nil
    /// result replaces the gradient (PyTorch's `Tensor.register_hook`: for a leaf, the gradient about to be
    /// accumulated into `.grad`; for an intermediate tensor, the one passed on to what produced it).
    @discardableResult
    public func registerHook(_ hook: @escaping (Tensor) -> Tensor?) -> HookHandle {
        if !requiresGradFlag { fail("cannot register a hook on a tensor that doesn't require gradient") }
        guard let n = node else { return addLeafHook(\.gradHooks, hook) }
        nextHookID += 1
        let id = nextHookID
        n.gradHooks = (n.gradHooks ?? []) + [(id, hook)]
        return HookHandle { [weak n] in
            guard let n else { return }
            n.gradHooks?.removeAll { $0.id == id }
            if n.gradHooks?.isEmpty == true { n.gradHooks = nil }
        }
    }
    fileprivate func runGradHooks(_ g: Tensor) -> Tensor {
        var g = g
        for h in gradHooks ?? [] { if let r = h.hook(g) { g = r } }
        return g
    }
    fileprivate func runPostAccumulateGradHooks() {
        guard let hooks = postAccumulateGradHooks else { return }
        for h in hooks { h.hook(self) }
    }
}

/// Runs `callback` when the backward pass in progress finishes, after every gradient is accumulated
/// (PyTorch's `Variable._execution_engine.queue_callback`); outside a backward pass, at the end of the next one.
func queueBackwardCallback(_ callback: @escaping () -> Void) { queuedBackwardCallbacks.append(callback) }

private func runQueuedBackwardCallbacks() {
    while !queuedBackwardCallbacks.isEmpty {
        let callbacks = queuedBackwardCallbacks
        queuedBackwardCallbacks = []
        for c in callbacks { c() }
    }
}

/// Gradients of `outputs` with respect to `inputs` (PyTorch's `torch.autograd.grad`): leaves or
/// intermediate tensors, without touching any `.grad`. `gradOutputs` defaults to ones for scalar
/// outputs. With `createGraph` the results are recorded and can be differentiated again (the graph
/// is then kept unless `retainGraph: false`). An input the outputs do not depend on is an error
/// unless `allowUnused`, which gives zeros for it (PyTorch's `materialize_grads=True`).
public func grad(_ outputs: [Tensor], _ inputs: [Tensor], gradOutputs: [Tensor]? = nil, retainGraph: Bool? = nil,
                 createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
    if let go = gradOutputs, go.count != outputs.count {
        fail("grad requires one grad_output per output: got \(go.count) for \(outputs.count) outputs")
    }
    for (i, t) in inputs.enumerated() where !t.requiresGradFlag {
        fail("One of the differentiated Tensors does not require grad (input \(i))")
    }
    let retain = retainGraph ?? createGraph
    var targets: [ObjectIdentifier: Int] = [:]
    for (i, t) in inputs.enumerated() { targets[ObjectIdentifier(t.node.map { $0 as AnyObject } ?? t)] = i }
    var results = [Tensor?](repeating: nil, count: inputs.count)
    func run() {
        for (k, out) in outputs.enumerated() {
            if !out.requiresGradFlag { fail("element \(k) of tensors does not require grad and does not have a grad_fn") }
            let g = gradOutputs?[k] ?? {
                if out.count != 1 { fail("grad can be implicitly created only for scalar outputs") }
                return Tensor.onesLike(out)
            }()
            runBackward(root: out, gradient: g, retainGraph: retain || k < outputs.count - 1, createGraph: createGraph) { key, grad in
                guard let i = targets[key] else { return }
                results[i] = results[i].map { $0 + grad } ?? grad
            }
        }
    }
    if createGraph { enableGrad(run) } else { noGrad(run) }
    return results.enumerated().map { i, r in
        if let r { return r.shape == inputs[i].shape ? r : sumToShape(r, inputs[i].shape) }
        if !allowUnused {
            fail("The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allowUnused: true (PyTorch's allow_unused=True) if this is the desired behavior.")
        }
        return Tensor.zerosLike(inputs[i])
    }
}

/// `grad` of one output.
public func grad(_ output: Tensor, _ inputs: [Tensor], gradOutput: Tensor? = nil, retainGraph: Bool? = nil,
                 createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
    grad([output], inputs, gradOutputs: gradOutput.map { [$0] }, retainGraph: retainGraph, createGraph: createGraph, allowUnused: allowUnused)
}

/// The engine. Without `capture`, gradients reaching leaves accumulate into their `.grad`; with it,
/// `capture(key, grad)` receives the full gradient of every leaf (key: the tensor) and of every
/// intermediate tensor (key: its node) instead, and no `.grad` changes (`grad(_:_:)`).
private func runBackward(root: Tensor, gradient: Tensor, retainGraph: Bool, createGraph: Bool = false,
                         capture: ((ObjectIdentifier, Tensor) -> Void)? = nil) {
    guard let rootNode = root.node else {
        if let capture { capture(ObjectIdentifier(root), gradient) } else {
            accumulateGrad(into: root, root.runGradHooks(gradient), createGraph: createGraph)
            root.runPostAccumulateGradHooks()
        }
        return
    }
    // Leaves with post-accumulate hooks: how many edges reach each, so its hooks run after the last one.
    let trackLeaves = capture == nil && hookedLeaves > 0
    var leafEdges: [ObjectIdentifier: Int] = [:]
    var leafReceived = Set<ObjectIdentifier>()
    // Count, for each node, how many edges from other reachable nodes point at it.
    var stack: [Node] = [rootNode]
    var visited = Set<ObjectIdentifier>([ObjectIdentifier(rootNode)])
    var all: [Node] = []
    while let n = stack.popLast() {
        all.append(n)
        for e in n.edges {
            if case .node(let m) = e {
                m.dependencies += 1
                if visited.insert(ObjectIdentifier(m)).inserted { stack.append(m) }
            } else if trackLeaves, case .leaf(let t) = e, t.postAccumulateGradHooks != nil || t.gradHooks != nil {
                leafEdges[ObjectIdentifier(t), default: 0] += 1
            }
        }
    }
    // A leaf with gradient hooks gathers its gradient over all its edges; the hooks then see the whole of it.
    var leafGathered: [ObjectIdentifier: Tensor] = [:]
    /// One more edge into hooked leaf `t` is done (`k` were left): after the last, its gathered gradient
    /// goes through its gradient hooks into `.grad`, then its post-accumulate hooks run.
    func leafArrived(_ t: Tensor, _ k: Int) {
        if k == 1 {
            leafEdges[ObjectIdentifier(t)] = nil
            if let g = leafGathered.removeValue(forKey: ObjectIdentifier(t)) {
                accumulateGrad(into: t, t.runGradHooks(g), createGraph: createGraph)
            }
            if leafReceived.contains(ObjectIdentifier(t)) { t.runPostAccumulateGradHooks() }
        } else { leafEdges[ObjectIdentifier(t)] = k - 1 }
    }
    rootNode.pendingGrad = gradient
    var ready: [Node] = [rootNode]
    while let n = ready.popLast() {
        guard var g = n.pendingGrad else { continue }
        n.pendingGrad = nil
        if let hooks = n.gradHooks { for h in hooks { if let r = h.hook(g) { g = r } } }
        if n.savedWereFreed && n.hadSaved {
            fail("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true (PyTorch's retain_graph=True) if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
        }
        capture?(ObjectIdentifier(n), g)
        if capture == nil, let r = n.retainedOutput?.tensor {
            if let existing = r.grad { r.grad = existing + g } else { r.grad = g.clone() }
        }
        var saved = n.saved
        for (i, t) in saved.enumerated() where i < n.savedVersions.count && t.storage.version != n.savedVersions[i] {
            let producer = n.outputSaved.contains(i) ? n.name : t.node?.name
            // PyTorch names the producer without its "Backward0" suffix here ("output 0 of Tanh")
            let which = producer.map { ", which is output 0 of \(withoutBackwardSuffix($0))," } ?? ""
            fail("one of the variables needed for gradient computation has been modified by an inplace operation: [\(t.dtype.legacyTypeName) \(shapeString(t.shape))]\(which) is at version \(t.storage.version); expected version \(n.savedVersions[i]) instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with detectAnomaly { ... } or setDetectAnomaly(true) (PyTorch's torch.autograd.set_detect_anomaly).")
        }
        if createGraph {
            // a saved output takes part in the new graph as the output itself (attached to this node)
            for i in n.outputSaved where i < saved.count {
                let alias = saved[i].detach()
                alias.node = n
                alias.requiresGradFlag = true
                saved[i] = alias
            }
        }
        // A slice (x[i], split, chunk) whose input already has a gradient buffer of its own adds into the
        // sliced region of that buffer, instead of making an input-sized zero tensor per slice: taking
        // all L steps of a sequence apart then costs O(L) rather than O(L²).
        if !createGraph, case .basicIndex(_, let inShape, let basic) = n.op, case .node(let m) = n.edges[0],
           m.pendingOwned, let p = m.pendingGrad, p.shape == inShape, p.dtype == g.dtype {
            _ = p.basicView(basic).add_(g)
            m.dependencies -= 1
            if m.dependencies == 0 { ready.append(m) }
            continue
        }
        let grads = n.op.backward(g, saved: saved, edges: n.edges)
        if anomalyDetectionEnabled { checkForNaN(grads, of: n) }
        if createGraph {
            // Every derivative is linear in g, so a result that lost g's graph came from a kernel without a
            // differentiable backward; the fused ops (convolution, batch norm, losses, ...) also depend on
            // their saved inputs.
            var tracked = g.requiresGradFlag
            if n.op.rulesUseSavedInputs, saved.contains(where: { $0.requiresGradFlag }) { tracked = true }
            if case .zeroGrad = n.op { tracked = false }
            if tracked && grads.contains(where: { $0.map { !$0.requiresGradFlag } ?? false }) {
                fail("double backward (create_graph=True) through \(n.name) is not supported yet")
            }
        }
        if !retainGraph { n.saved.removeAll(); n.savedWereFreed = true }
        for (i, e) in n.edges.enumerated() {
            guard i < grads.count, let gi = grads[i] else {
                if case .node(let m) = e { m.dependencies -= 1; if m.dependencies == 0 { ready.append(m) } }
                else if trackLeaves, case .leaf(let t) = e, let k = leafEdges[ObjectIdentifier(t)] { leafArrived(t, k) }
                continue
            }
            switch e {
            case .none: break
            case .leaf(let t):
                if let capture { capture(ObjectIdentifier(t), gi) } else if trackLeaves, t.gradHooks != nil, let k = leafEdges[ObjectIdentifier(t)] {
                    let key = ObjectIdentifier(t)
                    let gs = gi.shape == t.shape ? gi : sumToShape(gi, t.shape)
                    leafGathered[key] = leafGathered[key].map { $0 + gs } ?? gs
                    leafReceived.insert(key)
                    leafArrived(t, k)
                } else {
                    accumulateGrad(into: t, gi, createGraph: createGraph)
                    if trackLeaves, let k = leafEdges[ObjectIdentifier(t)] { leafReceived.insert(ObjectIdentifier(t)); leafArrived(t, k) }
                }
            case .node(let m):
                if let p = m.pendingGrad {
                    if m.pendingOwned { _ = p.add_(gi) } else { m.pendingGrad = p + gi; m.pendingOwned = !createGraph }
                } else {
                    m.pendingGrad = gi
                    // a slice's backward returns a fresh input-sized buffer that nothing else holds
                    if case .basicIndex = n.op, !createGraph { m.pendingOwned = true } else { m.pendingOwned = false }
                }
                m.dependencies -= 1
                if m.dependencies == 0 { ready.append(m) }
            }
        }
    }
    for n in all { n.dependencies = 0; n.pendingGrad = nil; n.pendingOwned = false }
}

/// "TanhBackward0" -> "Tanh" (how PyTorch names a saved value's producer in its version-mismatch error).
func withoutBackwardSuffix(_ name: String) -> String {
    var t = Substring(name)
    while let c = t.last, c.isNumber { t = t.dropLast() }
    return t.hasSuffix("Backward") ? String(t.dropLast(8)) : name
}

/// Anomaly mode's check after one node's backward: PyTorch's error for the first NaN gradient, after
/// its warning with the call stack of the forward op that produced the node.
private func checkForNaN(_ grads: [Tensor?], of n: Node) {
    for (i, g) in grads.enumerated() {
        guard let g = g, g.dtype.isFloatingPoint, g.device != .meta else { continue }
        if noGrad({ g.isnan().any().item() }) != 0 {
            let trace = n.forwardTrace.map { "\n" + $0.joined(separator: "\n") } ?? " (unknown: the forward ran outside anomaly mode)"
            FileHandle.standardError.write(Data("UserWarning: Error detected in \(n.name). Traceback of forward call that caused the error:\(trace)\n".utf8))
            fail("Function '\(n.name)' returned nan values in its \(i)th output.")
        }
    }
}
