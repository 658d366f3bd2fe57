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
    let edges: [Edge]
    var savedWereFreed = false
    let hadSaved: Bool
    var retainedOutput: WeakTensor?
    // engine bookkeeping
    var pendingGrad: Tensor?
    var dependencies = 0

    init(op: Op, saved: [Tensor], edges: [Edge]) {
        self.op = op
        self.saved = saved
        self.edges = edges
        self.hadSaved = !saved.isEmpty
    }
    var name: String { op.name }
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
        for i in saved.indices where saved[i] === self { saved[i] = detach() }
        node = Node(op: op, saved: saved, edges: inputs.map(edge))
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
    public func backward(gradient: Tensor, retainGraph: Bool = false) {
        if !requiresGradFlag {
            fail("element 0 of tensors does not require grad and does not have a grad_fn")
        }
        if gradient.shape != shape {
            fail("Mismatch in shape: grad_output[0] has a shape of \(shapeString(gradient.shape)) and output[0] has a shape of \(shapeString(shape)).")
        }
        noGrad { runBackward(root: self, gradient: gradient, retainGraph: retainGraph) }
    }

    /// A tensor sharing storage with this one but cut from the graph (PyTorch's `detach()`).
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }
    /// Cuts this tensor from the graph in place, making it a leaf (PyTorch's `detach_()`).
    @discardableResult public func detach_() -> Tensor { node = nil; requiresGradFlag = false; return self }
}

func accumulateGrad(into leaf: Tensor, _ g: Tensor) {
    var g = g
    if g.shape != leaf.shape { g = sumToShape(g, leaf.shape) }
    if g.dtype != leaf.dtype { g = g.to(dtype: leaf.dtype) }
    if let existing = leaf.grad {
        existing.addInPlaceRaw(g)
    } else {
        leaf.grad = g.clone()   // a fresh buffer: later accumulation is in place
    }
}

private func runBackward(root: Tensor, gradient: Tensor, retainGraph: Bool) {
    guard let rootNode = root.node else {
        accumulateGrad(into: root, gradient)
        return
    }
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
            }
        }
    }
    rootNode.pendingGrad = gradient
    var ready: [Node] = [rootNode]
    while let n = ready.popLast() {
        guard let g = n.pendingGrad else { continue }
        n.pendingGrad = nil
        if n.savedWereFreed && n.hadSaved {
            fail("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
        }
        if let r = n.retainedOutput?.tensor {
            if let existing = r.grad { r.grad = existing + g } else { r.grad = g.clone() }
        }
        let grads = n.op.backward(g, saved: n.saved, edges: n.edges)
        if !retainGraph { n.saved.removeAll(); n.savedWereFreed = true }
        for (i, e) in n.edges.enumerated() {
            guard i < grads.count, let gi = grads[i] else {
                if case .node(let m) = e { m.dependencies -= 1; if m.dependencies == 0 { ready.append(m) } }
                continue
            }
            switch e {
            case .none: break
            case .leaf(let t): accumulateGrad(into: t, gi)
            case .node(let m):
                if let p = m.pendingGrad { m.pendingGrad = p + gi } else { m.pendingGrad = gi }
                m.dependencies -= 1
                if m.dependencies == 0 { ready.append(m) }
            }
        }
    }
    for n in all { n.dependencies = 0; n.pendingGrad = nil }
}
