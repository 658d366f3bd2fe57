// Channel-wise dropout (PyTorch's `nn.Dropout1d`, `nn.Dropout2d` and their functions).

/// Zeroes whole channels with probability `p` while training and scales the rest by 1/(1-p)
/// (PyTorch's `nn.Dropout1d`, for (N, C, L) or (C, L) inputs).
public final class Dropout1d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor { dropout1d(x, p: p, training: isTraining) }
}

/// Zeroes whole channels (2-D feature maps) with probability `p` while training and scales the
/// rest by 1/(1-p) (PyTorch's `nn.Dropout2d`, for (N, C, H, W) inputs).
public final class Dropout2d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor { dropout2d(x, p: p, training: isTraining) }
}

func checkDropoutP(_ p: Double) {
    if p < 0 || p > 1 { fail("dropout probability has to be between 0 and 1, but got \(p)") }
}

/// PyTorch's `F.dropout1d`: one Bernoulli(1 - p) draw per (sample, channel) of an (N, C, L) or (C, L) input.
public func dropout1d(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    checkDropoutP(p)
    if x.rank != 2 && x.rank != 3 {
        fail("dropout1d: Expected 2D or 3D input, but received a \(x.rank)D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    }
    if x.rank == 2 { return featureDropout(x.unsqueeze(0), p: p, training: training).squeeze(dim: 0) }
    return featureDropout(x, p: p, training: training)
}

/// PyTorch's `F.dropout2d`: one Bernoulli(1 - p) draw per (sample, channel); a 3-D input is taken
/// as (N, C, L), as PyTorch still does (with a warning there).
public func dropout2d(_ x: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
    checkDropoutP(p)
    if x.rank < 2 { fail("Feature dropout requires at least 2 dimensions in the input") }
    return featureDropout(x, p: p, training: training)
}

/// x * noise, noise (N, C, 1, ...) ~ Bernoulli(1 - p) / (1 - p) (PyTorch's `_dropout_impl` with feature_dropout).
func featureDropout(_ x: Tensor, p: Double, training: Bool) -> Tensor {
    if !training || p == 0 { return x }
    if p == 1 { return x * 0 }
    let noiseShape = [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2)
    let noise = noGrad { Tensor.empty(noiseShape, dtype: x.dtype, device: x.device).bernoulli_(1 - p) / Tensor.scalar(1 - p, dtype: x.dtype) }
    return x * noise
}
