
// The samplers behind torch.distributions' Gamma, Beta, Dirichlet and Poisson: ATen's
// `sample_gamma` (Marsaglia-Tsang) and `sample_poisson` (Hoermann's transformed rejection),
// drawing from the CPU generator in PyTorch's order, so seeded CPU draws are PyTorch's.
// On CUDA the draws are made on the host from a CPU generator seeded by the CUDA generator's
// Philox state (same distribution, not PyTorch's CUDA numbers), and moved to the device.

/// One draw per element of `params` (a float tensor) with ATen's serial sampler `kind`.
private func drawPerElement(_ params: Tensor, _ kind: PerElementSampler, generator: Generator?, _ name: String) -> Tensor {
    if !params.dtype.isFloatingPoint { fail("\"\(name)\" not implemented for '\(params.dtype)'") }
    let src = params.detach().contiguous()
    let out = Tensor.empty(src.shape, dtype: src.dtype, device: src.device)
    Kernels.samplePerElement(kind, params: src, into: out, generator: generator)
    return out
}

/// Gamma(α, 1) draws, one per element of `concentration` (`torch._standard_gamma`), no gradient.
public func standardGamma(_ concentration: Tensor, generator: Generator? = nil) -> Tensor {
    drawPerElement(concentration, .gamma, generator: generator, "_standard_gamma")
}

/// Poisson draws with the per-element rates (`torch.poisson`), as floats.
public func poisson(_ rates: Tensor, generator: Generator? = nil) -> Tensor {
    drawPerElement(rates, .poisson, generator: generator, "poisson")
}

/// Dirichlet draws along the last dim (`torch._sample_dirichlet`): Gamma(α, 1) in double, normalised, cast back.
public func sampleDirichlet(_ concentration: Tensor, generator: Generator? = nil) -> Tensor {
    let g = standardGamma(concentration.to(dtype: .float64), generator: generator)
    // clamped to [smallest normal, largest value below 1] in the result's type, as ATen's kernel
    let top = concentration.dtype == .float64 ? Double(1).nextDown : Double(Float(1).nextDown)
    return (g / g.sum(dim: -1, keepDim: true)).to(dtype: concentration.dtype).clamp(min: finfoTiny(concentration.dtype), max: top)
}
