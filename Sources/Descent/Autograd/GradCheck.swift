/// Checks `fn`'s gradients against finite differences (PyTorch's `torch.autograd.gradcheck`): for
/// every input that requires grad, the Jacobian from backward must match central differences
/// (f(x + eps) − f(x − eps)) / 2·eps element by element, |analytical − numerical| ≤ atol + rtol·|numerical|.
/// Use float64 inputs, as PyTorch advises (float32 ones get its warning). A mismatch stops with
/// PyTorch's "Jacobian mismatch" message and both Jacobians (rows: input elements, columns: output
/// elements), or returns false with `raiseException: false`.
@discardableResult
public func gradcheck(_ fn: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
                      rtol: Double = 1e-3, raiseException: Bool = true) -> Bool {
    let checked = inputs.indices.filter { inputs[$0].requiresGrad }
    if checked.isEmpty {
        fail("gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.")
    }
    for i in checked where !inputs[i].dtype.isFloatingPoint {
        fail("gradcheck: input #\(i) requires gradient but is a \(inputs[i].dtype) tensor")
    }
    for i in checked where inputs[i].dtype != .float64 {
        warnOnce("Input #\(i) requires gradient and is not a double precision floating point or complex. This check will likely fail if all the inputs are not of double precision floating point or complex. ")
    }
    let out = enableGrad { fn(inputs) }
    let m = out.count
    // analytical: one backward per output element, with a one-hot gradient
    var analytical = checked.map { [[Double]](repeating: [Double](repeating: 0, count: m), count: inputs[$0].count) }
    if out.requiresGrad {
        for j in 0..<m {
            var onehot = [Double](repeating: 0, count: m)
            onehot[j] = 1
            let g = grad([out], checked.map { inputs[$0] }, gradOutputs: [Tensor(flat: onehot, shape: out.shape).to(dtype: out.dtype)],
                         retainGraph: true, allowUnused: true)
            for (k, gk) in g.enumerated() {
                for (i, v) in gk.toArray(Double.self).enumerated() { analytical[k][i][j] = v }
            }
        }
    }
    // numerical: central differences, one input element at a time
    for (k, idx) in checked.enumerated() {
        let x = inputs[idx]
        let base = x.toArray(Double.self)
        var numerical = [[Double]](repeating: [], count: base.count)
        noGrad {
            func evaluate(_ values: [Double]) -> [Double] {
                var xs = inputs
                xs[idx] = Tensor(flat: values, shape: x.shape).to(dtype: x.dtype)
                return fn(xs).toArray(Double.self)
            }
            for i in base.indices {
                var plus = base, minus = base
                plus[i] += eps; minus[i] -= eps
                let a = evaluate(plus), b = evaluate(minus)
                numerical[i] = zip(a, b).map { ($0 - $1) / (2 * eps) }
            }
        }
        let close = zip(analytical[k], numerical).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) } }
        if !close {
            if !raiseException { return false }
            let shape = [base.count, m]
            let num = Tensor(flat: numerical.flatMap { $0 }, shape: shape), ana = Tensor(flat: analytical[k].flatMap { $0 }, shape: shape)
            fail("Jacobian mismatch for output 0 with respect to input \(idx),\nnumerical:\(num)\nanalytical:\(ana)\n")
        }
    }
    return true
}

/// `gradcheck` of a one-input function (PyTorch's `gradcheck(f, x)`).
@discardableResult
public func gradcheck(_ fn: (Tensor) -> Tensor, input: Tensor, eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
                      raiseException: Bool = true) -> Bool {
    gradcheck({ fn($0[0]) }, inputs: [input], eps: eps, atol: atol, rtol: rtol, raiseException: raiseException)
}
