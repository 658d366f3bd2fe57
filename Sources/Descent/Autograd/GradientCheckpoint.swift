// Gradient checkpointing (PyTorch's `torch.utils.checkpoint`): a block's intermediate activations are
// not kept for backward; backward runs the block again to get them. Memory for time.

/// Runs `function` on `inputs` without keeping its intermediate activations for backward; backward
/// recomputes them (PyTorch's `torch.utils.checkpoint.checkpoint(function, *args)`). Gradients reach
/// the inputs that require grad and every parameter `function` uses, as without checkpointing.
///
/// With `preserveRNGState` (the default) the recomputation sees the random state the forward saw, so
/// dropout masks are the same. The output's `gradFn` is the block's last op (PyTorch's non-reentrant
/// form, the default); `useReentrant: true` names it `CheckpointFunctionBackward` as PyTorch's
/// reentrant form does. Backward through a checkpoint adds into parameters' `.grad` (as `backward()`
/// does), so use `backward()` rather than `grad(_:_:)` for parameters inside the block; it supports
/// no second derivatives.
public func checkpoint(_ function: @escaping ([Tensor]) -> Tensor, _ inputs: [Tensor], useReentrant: Bool = false,
                       preserveRNGState: Bool = true) -> Tensor {
    guard gradEnabled else { return function(inputs) }
    let needs = inputs.map { $0.requiresGradFlag }
    let cudaDevices = Array(Set(inputs.compactMap { t -> Int? in if case .cuda(let i) = t.device { return i } else { return nil } })).sorted()
    let rng = preserveRNGState ? defaultGenerator.getState() : nil
    let cudaRNG = preserveRNGState ? cudaDevices.map { CUDA.getRNGState(device: $0) } : []
    // the forward on detached copies: its graph (and the activations it saves) is dropped on return
    let leaves = inputs.enumerated().map { i, x in needs[i] ? x.detach().requiresGrad_() : x.detach() }
    let inner = function(leaves)
    guard inner.requiresGradFlag else { return inner }
    let name = useReentrant ? "CheckpointFunctionBackward" : (inner.node?.name ?? "CheckpointFunctionBackward")
    let node = CustomFunctionNode(name: name, ctx: FunctionContext(), inputShapes: inputs.map(\.shape)) { _, g in
        // run the block again with the forward's random state, then backpropagate through it
        let now = rng.map { _ in defaultGenerator.getState() }
        let cudaNow = cudaDevices.map { CUDA.getRNGState(device: $0) }
        if let rng { defaultGenerator.setState(rng) }
        for (d, s) in zip(cudaDevices, cudaRNG) { CUDA.setRNGState(s, device: d) }
        let again = inputs.enumerated().map { i, x in needs[i] ? x.detach().requiresGrad_() : x.detach() }
        let out = enableGrad { function(again) }
        if let now { defaultGenerator.setState(now) }
        for (d, s) in zip(cudaDevices, cudaNow) { CUDA.setRNGState(s, device: d) }
        if out.requiresGradFlag { out.backward(gradient: g) }
        return again.enumerated().map { i, t in needs[i] ? (t.grad ?? Tensor.zerosLike(t)) : nil }
    }
    return inner.detach().recorded(.custom(node), inputs: inputs)
}

/// `checkpoint` of a one-input block: `checkpoint({ block($0) }, x)`.
public func checkpoint(_ function: @escaping (Tensor) -> Tensor, _ input: Tensor, useReentrant: Bool = false,
                       preserveRNGState: Bool = true) -> Tensor {
    checkpoint({ function($0[0]) }, [input], useReentrant: useReentrant, preserveRNGState: preserveRNGState)
}

/// `checkpoint` of a two-input block.
public func checkpoint(_ function: @escaping (Tensor, Tensor) -> Tensor, _ a: Tensor, _ b: Tensor, useReentrant: Bool = false,
                       preserveRNGState: Bool = true) -> Tensor {
    checkpoint({ function($0[0], $0[1]) }, [a, b], useReentrant: useReentrant, preserveRNGState: preserveRNGState)
}

/// Runs a `Sequential` in `segments` pieces, checkpointing all but the last (PyTorch's
/// `torch.utils.checkpoint.checkpoint_sequential`: pieces of `count / segments` layers, the last
/// piece taking the rest).
public func checkpointSequential(_ functions: Sequential, _ segments: Int, _ input: Tensor, useReentrant: Bool = false,
                                 preserveRNGState: Bool = true) -> Tensor {
    if segments < 1 { fail("checkpoint_sequential: segments must be positive, got \(segments)") }
    let layers = functions.layers
    let size = layers.count / segments
    var x = input, end = -1
    /// The layers start...stop applied in order.
    func run(_ start: Int, _ stop: Int) -> (Tensor) -> Tensor {
        { t in (start...stop).reduce(t) { acc, i in layers[i](acc) } }
    }
    var start = 0
    while start < size * (segments - 1) {
        end = start + size - 1
        x = checkpoint(run(start, end), x, useReentrant: useReentrant, preserveRNGState: preserveRNGState)
        start += size
    }
    return end + 1 <= layers.count - 1 ? run(end + 1, layers.count - 1)(x) : x
}
