import CDescentKernels

// The CPU backend's random numbers: PyTorch's mt19937 CPU generator and its transformations (rng.c).

/// The state of one CPU generator (mt19937 plus PyTorch's cached normal), owned by a `Generator`.
final class CPUGeneratorEngine {
    let state: UnsafeMutablePointer<dk_generator>
    init(seed: UInt64) {
        state = .allocate(capacity: 1)
        dk_gen_seed(state, seed)
    }
    deinit { state.deallocate() }
    func seed(_ s: UInt64) { dk_gen_seed(state, s) }
    var initialSeed: UInt64 { state.pointee.seed }
    func random() -> UInt32 { dk_gen_random(state) }
    func random64() -> UInt64 { dk_gen_random64(state) }
    func randomInt63() -> Int64 { Int64(dk_gen_random_int63(state)) }
    func stateBytes() -> [UInt8] { withUnsafeBytes(of: state.pointee) { Array($0) } }
    /// Whether `bytes` is a state `setStateBytes` can take: the right size, and mt19937's position within
    /// its 624 words (1 <= left <= 624, 0 <= next, left + next <= 625), so no draw reads outside them.
    static func isValidState(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == MemoryLayout<dk_generator>.size else { return false }
        var g = dk_generator()
        withUnsafeMutableBytes(of: &g) { $0.copyBytes(from: bytes) }
        return g.left >= 1 && g.left <= 624 && g.next >= 0 && Int(g.left) + Int(g.next) <= 625
    }
    func setStateBytes(_ bytes: [UInt8]) {
        precondition(CPUGeneratorEngine.isValidState(bytes), "invalid generator state")
        bytes.withUnsafeBytes { b in UnsafeMutableRawPointer(state).copyMemory(from: b.baseAddress!, byteCount: b.count) }
    }
}

extension CPUBackend {
    static func random(_ draw: RandomDraw, into t: Tensor, generator g: CPUGeneratorEngine) {
        let s = g.state, n = Int64(t.count), f64 = t.dtype == .float64
        switch draw {
        case let .uniform(from, to):
            if f64 { dk_uniform_f64(s, t.pointer(Double.self), n, from, to) } else { dk_uniform_f32(s, t.pointer(Float.self), n, from, to) }
        case let .normal(mean, std, elementwise):
            if f64 {
                if elementwise { dk_normal_f64_serial(s, t.pointer(Double.self), n, mean, std) } else { dk_normal_f64(s, t.pointer(Double.self), n, mean, std) }
            } else {
                if elementwise { dk_normal_f32_serial(s, t.pointer(Float.self), n, mean, std) } else { dk_normal_f32(s, t.pointer(Float.self), n, mean, std) }
            }
        case .bernoulli(let p), .dropoutMask(let p, _):
            if f64 { dk_bernoulli_f64(s, t.pointer(Double.self), n, p) } else { dk_bernoulli_f32(s, t.pointer(Float.self), n, p) }
        case let .exponential(lambd):
            if f64 { dk_exponential_f64(s, t.pointer(Double.self), n, lambd) } else { dk_exponential_f32(s, t.pointer(Float.self), n, lambd) }
        case let .integers(low, high):
            dk_randint_i64(s, t.pointer(Int64.self), n, Int64(low), Int64(high))
        case .permutation:
            dk_randperm_i64(s, t.pointer(Int64.self), n)
        case let .bernoulliTensor(p):
            if f64 { dk_bernoulli_tensor_f64(s, t.pointer(Double.self), p.pointer(Double.self), n) }
            else { dk_bernoulli_tensor_f32(s, t.pointer(Float.self), p.pointer(Float.self), n) }
        case let .categorical(p):
            let rows = Int64(p.rank == 1 ? 1 : p.shape[0]), cats = Int64(p.shape[p.rank - 1]), samples = Int64(t.shape[t.rank - 1])
            let status = p.dtype == .float64
                ? dk_multinomial_replacement_f64(s, p.pointer(Double.self), rows, cats, samples, t.pointer(Int64.self))
                : dk_multinomial_replacement_f32(s, p.pointer(Float.self), rows, cats, samples, t.pointer(Int64.self))
            switch status {
            case 0: return
            case 1: fail("invalid multinomial distribution (encountering probability entry < 0)")
            case 2: fail("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
            case 3: fail("invalid multinomial distribution (sum of probabilities <= 0)")
            default: fail("multinomial: out of memory")
            }
        }
    }
}

extension CPUBackend {
    /// ATen's serial gamma or Poisson sampler over the contiguous float `params`, into `out`.
    static func samplePerElement(_ kind: PerElementSampler, params: Tensor, into out: Tensor, generator g: CPUGeneratorEngine) {
        let n = Int64(out.count), s = g.state
        if out.dtype == .float64 {
            let src = params.pointer(Double.self), dst = out.pointer(Double.self)
            if kind == .gamma { dk_standard_gamma_f64(s, src, dst, n) } else { dk_poisson_f64(s, src, dst, n) }
        } else {
            let src = params.pointer(Float.self), dst = out.pointer(Float.self)
            if kind == .gamma { dk_standard_gamma_f32(s, src, dst, n) } else { dk_poisson_f32(s, src, dst, n) }
        }
    }
}
