// Custom differentiable operations (PyTorch's `torch.autograd.Function`): a subclass overrides the class
// methods `forward` and `backward`; `apply` runs the forward without recording and records one node
// whose rule is the subclass's backward.

/// What a custom `Function`'s forward leaves for its backward (PyTorch's `ctx`).
public final class FunctionContext {
    fileprivate(set) var saved: [Tensor] = []
    /// Whether each input needs a gradient (PyTorch's `ctx.needs_input_grad`).
    public fileprivate(set) var needsInputGrad: [Bool] = []
    /// Other values the forward keeps for the backward (PyTorch's attributes on `ctx`, e.g. `ctx.alpha = 0.5`).
    public var values: [String: Any] = [:]
    /// Keeps tensors for the backward (PyTorch's `ctx.save_for_backward`).
    public func saveForBackward(_ tensors: Tensor...) { saved = tensors }
    /// Keeps tensors for the backward.
    public func saveForBackward(_ tensors: [Tensor]) { saved = tensors }
    /// The tensors kept by `saveForBackward` (PyTorch's `ctx.saved_tensors`).
    public var savedTensors: [Tensor] { saved }
}

/// A custom operation with its own gradient (PyTorch's `torch.autograd.Function`):
///
///     final class MyReLU: Function {
///         override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
///             ctx.saveForBackward(inputs[0]); return inputs[0].clamp(min: 0)
///         }
///         override class func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
///             [gradOutput * (ctx.savedTensors[0] .> 0).float()]
///         }
///     }
///     let y = MyReLU.apply(x)   // y.gradFn == "MyReLUBackward"
///
/// `backward` returns one gradient (or nil) per input; gradients that broadcast to an input are summed to its shape.
open class Function {
    /// The computation, run without recording (PyTorch's `forward(ctx, *inputs)`).
    open class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        fail("You must implement the forward function for custom autograd.Function.")
    }
    /// The gradients of the inputs from the output's (PyTorch's `backward(ctx, grad_output)`).
    open class func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
        fail("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")
    }
    /// The recorded node's grad_fn name: the class name and "Backward", as PyTorch names custom functions.
    open class var gradFnName: String { "\(String(describing: self))Backward" }
    /// Runs the function on `inputs` and records it (PyTorch's `MyFunction.apply(*inputs)`).
    public class func apply(_ inputs: Tensor...) -> Tensor { apply(inputs) }
    /// Runs the function on `inputs` and records it.
    public class func apply(_ inputs: [Tensor]) -> Tensor { applyWith(FunctionContext(), inputs) }
    /// Runs the function with non-tensor arguments (PyTorch's `MulConstant.apply(x, 3.0)`): `forward`
    /// and `backward` read them from `ctx.values` (`ctx.values["constant"] as! Double`).
    public class func apply(_ inputs: Tensor..., values: [String: Any]) -> Tensor {
        let ctx = FunctionContext()
        ctx.values = values
        return applyWith(ctx, inputs)
    }
    /// `apply` with a context that already holds non-tensor arguments in `values` for `forward`.
    class func applyWith(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.needsInputGrad = inputs.map { wantsGrad($0) }
        let raw = noGrad { forward(ctx, inputs) }
        guard inputs.contains(where: wantsGrad) else { return raw }
        // an input returned as it is comes back as a new tensor sharing its storage (recorded, unlike the input)
        let out = inputs.contains(where: { $0 === raw }) ? raw.detach() : raw
        let node = CustomFunctionNode(name: gradFnName, ctx: ctx,
                                      inputShapes: inputs.map(\.shape), rule: { backward($0, $1) })
        return out.recorded(.custom(node), inputs: inputs, saved: ctx.saved)
    }
}

/// A recorded custom function: its grad_fn name, context and backward.
final class CustomFunctionNode {
    let name: String
    let ctx: FunctionContext
    let inputShapes: [[Int]]
    let rule: (FunctionContext, Tensor) -> [Tensor?]
    init(name: String, ctx: FunctionContext, inputShapes: [[Int]], rule: @escaping (FunctionContext, Tensor) -> [Tensor?]) {
        self.name = name; self.ctx = ctx; self.inputShapes = inputShapes; self.rule = rule
    }
    /// Calls the subclass's backward with the engine's saved tensors and checks what it returns.
    func backward(_ g: Tensor, saved: [Tensor]) -> [Tensor?] {
        ctx.saved = saved
        let grads = rule(ctx, g)
        if grads.count != inputShapes.count {
            fail("function \(name) returned an incorrect number of gradients (expected \(inputShapes.count), got \(grads.count))")
        }
        return grads.enumerated().map { i, gr in
            guard let gr else { return nil }
            if gr.shape == inputShapes[i] { return gr }
            if gr.count == 0 && inputShapes[i].reduce(1, *) == 0 { return gr.reshape(inputShapes[i]) }
            let want = inputShapes[i]
            let expandable = gr.rank >= want.count && zip(want.reversed(), gr.shape.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
            if expandable { return sumToShape(gr, want) }
            fail("Function \(name) returned an invalid gradient at index \(i) - got \(shapeString(gr.shape)) but expected shape compatible with \(shapeString(inputShapes[i]))")
        }
    }
}

/// Records `body(inputs)` as one node named `name`, as PyTorch records an op it runs as one fused
/// kernel (`SoftMarginLossBackward0`, `CtcLossBackward0`, ...), where Descent composes the op from
/// others: the values and the gradients are the composition's, computed from detached copies of the
/// inputs, and `extra` may add to each input's gradient (what PyTorch's own backward adds, as CTC's).
/// Under `createGraph` the gradients are recorded with respect to the output's gradient, not through
/// the inputs again (no second derivatives through such an op).
func fusedOp(_ name: String, _ inputs: [Tensor], extra: ((Tensor) -> [Tensor?])? = nil, _ body: ([Tensor]) -> Tensor) -> Tensor {
    guard inputs.contains(where: wantsGrad) else { return body(inputs) }
    let needs = inputs.map(wantsGrad)
    let leaves = inputs.enumerated().map { i, x in needs[i] ? x.detach().requiresGrad_() : x }
    let inner = body(leaves)
    let ctx = FunctionContext()
    let node = CustomFunctionNode(name: name, ctx: ctx, inputShapes: inputs.map(\.shape)) { _, g in
        let wanted = leaves.indices.filter { needs[$0] }
        let gs = grad([inner], wanted.map { leaves[$0] }, gradOutputs: [g], retainGraph: true, createGraph: isGradEnabled(), allowUnused: true)
        var out = [Tensor?](repeating: nil, count: inputs.count)
        for (k, i) in wanted.enumerated() { out[i] = gs[k] }
        if let extra {
            for (i, e) in extra(g).enumerated() where needs[i] { if let e, let o = out[i] { out[i] = o + e } }
        }
        return out
    }
    return inner.detach().recorded(.custom(node), inputs: inputs)
}
