// Layer and group normalisation (PyTorch's `F.layer_norm`, `F.group_norm`): float32 on the CPU through
// kernels that round as PyTorch's (layernorm_f32.c), elsewhere written with tensor ops (so every backend
// runs them); each recorded as one node whose rule is below.

/// PyTorch's `F.layer_norm`: (x - mean) / sqrt(var + eps) over the trailing `normalizedShape` dims, then * weight + bias.
public func layerNorm(_ x: Tensor, _ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
    let k = normalizedShape.count
    if k == 0 || k > x.rank || Array(x.shape[(x.rank - k)...]) != normalizedShape {
        fail("Given normalized_shape=\(shapeString(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shapeString(x.shape))")
    }
    let dims = Array((x.rank - k)..<x.rank)
    let batchDims = Array(0..<(x.rank - k))
    let size = normalizedShape.reduce(1, *)
    if weight.map({ $0.shape == normalizedShape }) ?? true, bias.map({ $0.shape == normalizedShape }) ?? true,
       let (y, mean, rstd) = noGrad({ Kernels.layerNormRows(x, rows: size == 0 ? 0 : x.count / size, size: size, weight: weight, bias: bias, eps: eps) }) {
        let inputs = [x] + [weight, bias].compactMap { $0 }
        if inputs.contains(where: wantsGrad) {
            y.recorded(.layerNormRows(dims: dims, batchDims: batchDims, hasWeight: weight != nil, hasBias: bias != nil),
                       inputs: inputs, saved: [x, mean, rstd] + (weight.map { [$0] } ?? []))
        }
        return y
    }
    let (y, xhat, rstd) = noGrad { () -> (Tensor, Tensor, Tensor) in
        let centered = x - x.mean(dims: dims, keepDim: true)
        let rstd = ((centered * centered).mean(dims: dims, keepDim: true) + eps).rsqrt()
        let xhat = centered * rstd
        var y = xhat
        if let w = weight { y = y * w }
        if let b = bias { y = y + b }
        return (y, xhat, rstd)
    }
    var inputs = [x], saved = [xhat, rstd]
    if let w = weight { inputs.append(w); saved.append(w) }
    if let b = bias { inputs.append(b) }
    if inputs.contains(where: wantsGrad) {
        let hasWeight = weight != nil, hasBias = bias != nil
        y.recorded(.layerNorm(dims: dims, batchDims: batchDims, hasWeight: hasWeight, hasBias: hasBias), inputs: inputs, saved: saved)
    }
    return y
}

/// PyTorch's `F.group_norm`: x (N, C, *) normalised over each of `numGroups` channel groups,
/// then * weight[c] + bias[c].
public func groupNorm(_ x: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor {
    if x.rank < 2 { fail("Expected at least 2 dimensions for input tensor but received \(x.rank)") }
    let n = x.shape[0], c = x.shape[1]
    if numGroups <= 0 || c % numGroups != 0 {
        fail("Expected number of channels in input to be divisible by num_groups, but got input of shape \(shapeString(x.shape)) and num_groups=\(numGroups)")
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t = t, t.rank != 1 || t.shape[0] != c {
            fail("Expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(shapeString(t.shape)) and input of shape \(shapeString(x.shape))")
        }
    }
    if !x.dtype.isFloatingPoint { fail("\"group_norm\" not implemented for '\(x.dtype.scalarTypeName)'") }
    let channelShape = [1, c] + Array(repeating: 1, count: x.rank - 2)
    let otherDims = [0] + Array(2..<x.rank)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    let shapeInfo = { (kernel: Bool) in
        GroupNormShape(n: n, groups: numGroups, channelShape: channelShape, otherDims: otherDims, shape: x.shape,
                       hasWeight: weight != nil, hasBias: bias != nil, kernel: kernel)
    }
    if let (y, mean, rstd) = noGrad({ Kernels.groupNorm(x, groups: numGroups, weight: weight, bias: bias, eps: eps) }) {
        if inputs.contains(where: wantsGrad) {
            y.recorded(.groupNorm(shapeInfo(true)), inputs: inputs, saved: [x, mean, rstd] + (weight.map { [$0] } ?? []))
        }
        return y
    }
    let (y, xhat, rstd) = noGrad { () -> (Tensor, Tensor, Tensor) in
        let xr = x.reshape(n, numGroups, -1)
        let centered = xr - xr.mean(dim: 2, keepDim: true)
        let rstd = ((centered * centered).mean(dim: 2, keepDim: true) + eps).rsqrt()
        let xhat = (centered * rstd).reshape(x.shape)
        var y = xhat
        if let w = weight { y = y * w.reshape(channelShape) }
        if let b = bias { y = y + b.reshape(channelShape) }
        return (y, xhat, rstd)
    }
    if inputs.contains(where: wantsGrad) {
        y.recorded(.groupNorm(shapeInfo(false)), inputs: inputs, saved: [xhat, rstd] + (weight.map { [$0] } ?? []))
    }
    return y
}

/// What group norm's backward needs besides its saved tensors.
struct GroupNormShape {
    let n: Int, groups: Int
    let channelShape: [Int], otherDims: [Int], shape: [Int]
    let hasWeight: Bool, hasBias: Bool
    /// Whether the forward ran the float32 CPU kernel, which saves (x, mean, rstd, weight?) instead of (xhat, rstd, weight?).
    let kernel: Bool
}

extension Op {
    /// NativeLayerNormBackward0, from the saved normalised input, 1/std and weight.
    static func layerNormBackward(dims: [Int], batchDims: [Int], hasWeight: Bool, hasBias: Bool,
                                  _ g: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let (xhat, rstd) = (s[0], s[1])
        let gx = hasWeight ? g * s[2] : g
        var grads: [Tensor?] = []
        if needs[0] {
            let m1 = gx.mean(dims: dims, keepDim: true), m2 = (gx * xhat).mean(dims: dims, keepDim: true)
            grads.append(rstd * (gx - m1 - xhat * m2))
        } else { grads.append(nil) }
        if hasWeight { grads.append(needs[1] ? (batchDims.isEmpty ? g * xhat : (g * xhat).sum(dims: batchDims)) : nil) }
        if hasBias { grads.append(needs[hasWeight ? 2 : 1] ? (batchDims.isEmpty ? g : g.sum(dims: batchDims)) : nil) }
        return grads
    }
    /// NativeLayerNormBackward0 of the float32 CPU kernel, from the saved input, row means, 1/std and weight
    /// (under create_graph, the differentiable rule above on the normalised input).
    static func layerNormRowsBackward(dims: [Int], batchDims: [Int], hasWeight: Bool, hasBias: Bool,
                                      _ g: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        let (x, mean, rstd) = (s[0], s[1], s[2]), w = hasWeight ? s[3] : nil
        if recording(x, g) || (w.map { recording(g, $0) } ?? false) {
            let keep = Array(x.shape[..<batchDims.count]) + Array(repeating: 1, count: dims.count)
            let r = rstd.reshape(keep)
            return layerNormBackward(dims: dims, batchDims: batchDims, hasWeight: hasWeight, hasBias: hasBias,
                                     g, [(x - mean.reshape(keep)) * r, r] + (w.map { [$0] } ?? []), needs)
        }
        return Kernels.layerNormRowsBackward(g, x: x, paramShape: dims.map { x.shape[$0] }, mean: mean, rstd: rstd,
                                             weight: w, hasBias: hasBias, needs: needs)
    }
    /// NativeGroupNormBackward0, from the saved normalised input, 1/std per group and weight.
    static func groupNormBackward(_ b: GroupNormShape, _ g: Tensor, _ s: [Tensor], _ needs: [Bool]) -> [Tensor?] {
        if b.kernel {
            let (x, mean, rstd) = (s[0], s[1], s[2]), w = b.hasWeight ? s[3] : nil
            if recording(g, x) || (w.map { recording(g, $0) } ?? false) {
                let r = rstd.reshape(b.n, b.groups, 1)
                let xhat = ((x.reshape(b.n, b.groups, -1) - mean.reshape(b.n, b.groups, 1)) * r).reshape(b.shape)
                let plain = GroupNormShape(n: b.n, groups: b.groups, channelShape: b.channelShape, otherDims: b.otherDims,
                                           shape: b.shape, hasWeight: b.hasWeight, hasBias: b.hasBias, kernel: false)
                return groupNormBackward(plain, g, [xhat, r] + (w.map { [$0] } ?? []), needs)
            }
            return Kernels.groupNormBackward(g, x: x, groups: b.groups, mean: mean, rstd: rstd, weight: w, hasBias: b.hasBias, needs: needs)
        }
        let (xhat, rstd) = (s[0], s[1])
        var grads: [Tensor?] = []
        if needs[0] {
            let gx = (b.hasWeight ? g * s[2].reshape(b.channelShape) : g).reshape(b.n, b.groups, -1)
            let xh = xhat.reshape(b.n, b.groups, -1)
            let m1 = gx.mean(dim: 2, keepDim: true), m2 = (gx * xh).mean(dim: 2, keepDim: true)
            grads.append((rstd * (gx - m1 - xh * m2)).reshape(b.shape))
        } else { grads.append(nil) }
        if b.hasWeight { grads.append(needs[1] ? (g * xhat).sum(dims: b.otherDims) : nil) }
        if b.hasBias { grads.append(needs[b.hasWeight ? 2 : 1] ? g.sum(dims: b.otherDims) : nil) }
        return grads
    }
}
