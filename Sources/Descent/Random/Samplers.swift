import CDescentKernels

// The samplers behind torch.distributions' Gamma, Beta, Dirichlet and Poisson: ATen's
// `sample_gamma` (Marsaglia-Tsang) and `sample_poisson` (Hoermann's transformed rejection),
// drawing from the CPU generator in PyTorch's order, so seeded CPU draws are PyTorch's.
// On CUDA the draws are made on the host from a CPU generator seeded by the CUDA generator's
// Philox state (same distribution, not PyTorch's CUDA numbers), and moved to the device.

/// Runs a serial CPU sampler over the contiguous float copy of `params`.
private func drawPerElement(_ params: Tensor, generator: Generator?, _ name: String,
                            f32: (UnsafeMutablePointer<dk_generator>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int64) -> Void,
                            f64: (UnsafeMutablePointer<dk_generator>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int64) -> Void) -> Tensor {
    if !params.dtype.isFloatingPoint { fail("\(name) not implemented for '\(params.dtype)'") }
    let device = params.device
    var src = params.detach().contiguous()
    let engine: CPUGeneratorEngine
    switch device.backend {
    case .cpu: engine = Generator.resolve(generator, for: device).engine
    case .cuda:
        let (seed, offset) = Generator.resolve(generator, for: device).philoxState(increment: 20)
        engine = Generator(seed: Int(bitPattern: UInt(seed ^ (offset &* 0x9E3779B97F4A7C15)))).engine
        src = src.cpu()
    case .meta: return Tensor.empty(params.shape, dtype: params.dtype, device: device)
    }
    let out = Tensor.empty(src.shape, dtype: src.dtype)
    if src.dtype == .float64 {
        f64(engine.state, src.pointer(Double.self), out.pointer(Double.self), Int64(out.count))
    } else {
        f32(engine.state, src.pointer(Float.self), out.pointer(Float.self), Int64(out.count))
    }
    return device == .cpu ? out : out.to(device)
}

/// Gamma(α, 1) draws, one per element of `concentration` (`torch._standard_gamma`), no gradient.
public func standardGamma(_ concentration: Tensor, generator: Generator? = nil) -> Tensor {
    drawPerElement(concentration, generator: generator, "_standard_gamma", f32: { dk_standard_gamma_f32($0, $1, $2, $3) },
                   f64: { dk_standard_gamma_f64($0, $1, $2, $3) })
}

/// Poisson draws with the per-element rates (`torch.poisson`), as floats.
public func poisson(_ rates: Tensor, generator: Generator? = nil) -> Tensor {
    drawPerElement(rates, generator: generator, "poisson", f32: { dk_poisson_f32($0, $1, $2, $3) }, f64: { dk_poisson_f64($0, $1, $2, $3) })
}

/// Dirichlet draws along the last dim (`torch._sample_dirichlet`): Gamma(α, 1) in double, normalised, cast back.
public func sampleDirichlet(_ concentration: Tensor, generator: Generator? = nil) -> Tensor {
    let g = standardGamma(concentration.to(dtype: .float64), generator: generator)
    // clamped to [smallest normal, largest value below 1] in the result's type, as ATen's kernel
    let top = concentration.dtype == .float64 ? Double(1).nextDown : Double(Float(1).nextDown)
    return (g / g.sum(dim: -1, keepDim: true)).to(dtype: concentration.dtype).clamp(min: finfoTiny(concentration.dtype), max: top)
}
