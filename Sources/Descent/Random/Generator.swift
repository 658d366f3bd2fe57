import CDescentKernels

/// A random-number generator that reproduces PyTorch's CPU generator bit for bit (mt19937 and
/// PyTorch's transformations; see RNG.md). `Generator()` starts from PyTorch's default seed.
public final class Generator {
    let state: UnsafeMutablePointer<dk_generator>

    /// A generator seeded with `seed` (PyTorch's `torch.Generator().manual_seed(seed)`).
    public init(seed: UInt64 = 67280421310721) {
        state = .allocate(capacity: 1)
        dk_gen_seed(state, seed)
    }
    public convenience init(seed: Int) { self.init(seed: UInt64(bitPattern: Int64(seed))) }
    deinit { state.deallocate() }

    /// Re-seeds (PyTorch's `manual_seed`); returns self.
    @discardableResult public func manualSeed(_ seed: Int) -> Generator { dk_gen_seed(state, UInt64(bitPattern: Int64(seed))); return self }
    /// The seed last set.
    public var initialSeed: UInt64 { state.pointee.seed }
    /// One 32-bit draw.
    public func random() -> UInt32 { dk_gen_random(state) }
    /// One 64-bit draw (high word first).
    public func random64() -> UInt64 { dk_gen_random64(state) }
    /// `random64() % 2^63`, as PyTorch's `torch.empty((), dtype=torch.int64).random_()`.
    public func randomInt63() -> Int64 { Int64(dk_gen_random_int63(state)) }

    /// A snapshot of the generator's state (PyTorch's `get_state()`), restorable with `setState`.
    public func getState() -> [UInt8] {
        withUnsafeBytes(of: state.pointee) { Array($0) }
    }
    /// Restores a snapshot taken with `getState()`.
    public func setState(_ bytes: [UInt8]) {
        precondition(bytes.count == MemoryLayout<dk_generator>.size, "invalid generator state")
        bytes.withUnsafeBytes { b in UnsafeMutableRawPointer(state).copyMemory(from: b.baseAddress!, byteCount: b.count) }
    }
}

/// The global generator used when no `generator:` is given. Nondeterministic until `manualSeed`.
nonisolated(unsafe) public let defaultGenerator: Generator = {
    var s: UInt64 = 0
    withUnsafeMutableBytes(of: &s) { b in
        for i in 0..<8 { b[i] = UInt8.random(in: 0...255) }
    }
    return Generator(seed: s)
}()

/// Seeds the global generator (PyTorch's `torch.manual_seed`).
public func manualSeed(_ seed: Int) { defaultGenerator.manualSeed(seed) }
/// Seeds the global generator with a 64-bit seed.
public func manualSeed(_ seed: UInt64) { dk_gen_seed(defaultGenerator.state, seed) }
/// The seed of the global generator (PyTorch's `torch.initial_seed`).
public func initialSeed() -> UInt64 { defaultGenerator.initialSeed }

extension Tensor {
    /// Uniform samples in [0, 1) (PyTorch's `torch.rand`).
    public static func rand(_ shape: Int..., dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { rand(shape, dtype: dtype, generator: generator, requiresGrad: requiresGrad) }
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor {
        Tensor.empty(shape, dtype: dtype).uniform_(0, 1, generator: generator).requiringGrad(requiresGrad)
    }
    /// Standard normal samples (PyTorch's `torch.randn`).
    public static func randn(_ shape: Int..., dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { randn(shape, dtype: dtype, generator: generator, requiresGrad: requiresGrad) }
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor {
        Tensor.empty(shape, dtype: dtype).normal_(0, 1, generator: generator).requiringGrad(requiresGrad)
    }
    /// Integers uniform in [low, high) (PyTorch's `torch.randint(low, high, size)`), int64.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator? = nil) -> Tensor {
        if high <= low { fail("random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)") }
        let t = Tensor.empty(shape, dtype: .int64)
        dk_randint_i64((generator ?? defaultGenerator).state, t.pointer(Int64.self), Int64(t.count), Int64(low), Int64(high))
        return t
    }
    public static func randint(_ low: Int, _ high: Int, _ shape: Int..., generator: Generator? = nil) -> Tensor { randint(low, high, shape, generator: generator) }
    /// Integers uniform in [0, high).
    public static func randint(high: Int, _ shape: [Int], generator: Generator? = nil) -> Tensor { randint(0, high, shape, generator: generator) }
    /// A random permutation of 0..<n (PyTorch's `torch.randperm`), int64.
    public static func randperm(_ n: Int, generator: Generator? = nil) -> Tensor {
        let t = Tensor.empty([n], dtype: .int64)
        dk_randperm_i64((generator ?? defaultGenerator).state, t.pointer(Int64.self), Int64(n))
        return t
    }
    /// Uniform samples shaped like `t`.
    public static func randLike(_ t: Tensor, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { rand(t.shape, dtype: t.dtype, generator: generator, requiresGrad: requiresGrad) }
    /// Normal samples shaped like `t`.
    public static func randnLike(_ t: Tensor, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { randn(t.shape, dtype: t.dtype, generator: generator, requiresGrad: requiresGrad) }

    /// Fills in place with uniform samples in [from, to) (PyTorch's `uniform_`).
    @discardableResult public func uniform_(_ from: Double = 0, _ to: Double = 1, generator: Generator? = nil) -> Tensor {
        fillRandom(generator) { g, p, n in
            if dtype == .float64 { dk_uniform_f64(g, p.assumingMemoryBound(to: Double.self), n, from, to) }
            else { dk_uniform_f32(g, p.assumingMemoryBound(to: Float.self), n, from, to) }
        }
    }
    /// Fills in place with normal samples (PyTorch's `normal_`).
    @discardableResult public func normal_(_ mean: Double = 0, _ std: Double = 1, generator: Generator? = nil) -> Tensor {
        // PyTorch's block Box-Muller runs only on contiguous tensors; others take the per-element path.
        let serial = !isContiguous
        return fillRandom(generator) { g, p, n in
            if dtype == .float64 {
                let q = p.assumingMemoryBound(to: Double.self)
                if serial { dk_normal_f64_serial(g, q, n, mean, std) } else { dk_normal_f64(g, q, n, mean, std) }
            } else {
                let q = p.assumingMemoryBound(to: Float.self)
                if serial { dk_normal_f32_serial(g, q, n, mean, std) } else { dk_normal_f32(g, q, n, mean, std) }
            }
        }
    }
    /// Fills in place with 1 with probability p, else 0 (PyTorch's `bernoulli_(p)`).
    @discardableResult public func bernoulli_(_ p: Double = 0.5, generator: Generator? = nil) -> Tensor {
        fillRandom(generator) { g, ptr, n in
            if dtype == .float64 { dk_bernoulli_f64(g, ptr.assumingMemoryBound(to: Double.self), n, p) }
            else { dk_bernoulli_f32(g, ptr.assumingMemoryBound(to: Float.self), n, p) }
        }
    }
    /// Fills in place with Exponential(`lambd`) draws (PyTorch's `exponential_`, same numbers for the same seed).
    @discardableResult public func exponential_(_ lambd: Double = 1, generator: Generator? = nil) -> Tensor {
        if !(lambd > 0) { fail("exponential_ expects lambda > 0.0, but found lambda=\(lambd)") }
        return fillRandom(generator) { g, ptr, n in
            if dtype == .float64 { dk_exponential_f64(g, ptr.assumingMemoryBound(to: Double.self), n, lambd) }
            else { dk_exponential_f32(g, ptr.assumingMemoryBound(to: Float.self), n, lambd) }
        }
    }

    /// Draws `numSamples` category indices from each row of (unnormalised) probabilities (PyTorch's
    /// `multinomial`): int64, shape `[numSamples]` or `[rows, numSamples]`, the same indices as PyTorch
    /// for the same seed. Without replacement (and for one sample) it is PyTorch's exponential race,
    /// argmax/topk of p / Exp(1); with replacement, binary search in the normalised running sums.
    public func multinomial(_ numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
        if rank < 1 || rank > 2 { fail("prob_dist must be 1 or 2 dim") }
        if !dtype.isFloatingPoint { fail("multinomial only supports floating-point dtypes for input, got: \(dtype.scalarTypeName)") }
        if numSamples <= 0 { fail("cannot sample n_sample <= 0 samples") }
        let cats = shape[rank - 1]
        if !replacement && numSamples > cats { fail("cannot sample n_sample > prob_dist.size(-1) samples without replacement") }
        if cats > 1 << 24 { fail("number of categories cannot exceed 2^24") }
        return noGrad {
            let p = contiguous()
            if !replacement || numSamples == 1 {
                let finite = (p.max() .< Double.infinity).item() != 0 && (p.min() .>= 0).item() != 0
                if !finite { fail("probability tensor contains either `inf`, `nan` or element < 0") }
                let sums = rank == 1 ? p.sum().reshape(1) : p.sum(dim: 1)
                if (sums .== 0).any().item() != 0 { fail("invalid multinomial distribution (sum of probabilities <= 0)") }
                let q = Tensor.empty(shape, dtype: dtype).exponential_(1, generator: generator)
                let race = p / q
                if numSamples == 1 { return race.argmax(dim: -1, keepDim: true) }
                return race.topk(numSamples, dim: -1).indices
            }
            let rows = rank == 1 ? 1 : shape[0]
            let out = Tensor.empty(rank == 1 ? [numSamples] : [rows, numSamples], dtype: .int64)
            let g = (generator ?? defaultGenerator).state
            let status = dtype == .float64
                ? dk_multinomial_replacement_f64(g, p.pointer(Double.self), Int64(rows), Int64(cats), Int64(numSamples), out.pointer(Int64.self))
                : dk_multinomial_replacement_f32(g, p.pointer(Float.self), Int64(rows), Int64(cats), Int64(numSamples), out.pointer(Int64.self))
            switch status {
            case 0: return out
            case 1: fail("invalid multinomial distribution (encountering probability entry < 0)")
            case 2: fail("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
            case 3: fail("invalid multinomial distribution (sum of probabilities <= 0)")
            default: fail("multinomial: out of memory")
            }
        }
    }

    /// Samples 0/1 with the probabilities in this tensor (PyTorch's `torch.bernoulli(probs)`).
    public func bernoulli(generator: Generator? = nil) -> Tensor {
        let p = contiguous()
        let out = Tensor.empty(shape, dtype: dtype)
        let g = (generator ?? defaultGenerator).state
        if dtype == .float64 { dk_bernoulli_tensor_f64(g, out.pointer(Double.self), p.pointer(Double.self), Int64(count)) }
        else if dtype == .float32 { dk_bernoulli_tensor_f32(g, out.pointer(Float.self), p.pointer(Float.self), Int64(count)) }
        else { fail("bernoulli expects a floating point tensor of probabilities") }
        return out
    }

    private func fillRandom(_ generator: Generator?, _ body: (UnsafeMutablePointer<dk_generator>, UnsafeMutableRawPointer, Int64) -> Void) -> Tensor {
        if !dtype.isFloatingPoint { fail("random fill expects a floating point tensor, got \(dtype)") }
        let g = (generator ?? defaultGenerator).state
        if gradEnabled && requiresGradFlag && node == nil {
            fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        storage.version += 1
        if isContiguous {
            body(g, rawPointer, Int64(count))
        } else {
            // PyTorch's TensorIterator visits a non-contiguous tensor in memory order (dims sorted by
            // stride), so the draws are laid out that way, not in logical row-major order.
            let perm = (0..<rank).sorted { strides[$0] != strides[$1] ? strides[$0] > strides[$1] : $0 < $1 }
            let inMemoryOrder = Tensor(storage: storage, shape: perm.map { shape[$0] }, strides: perm.map { strides[$0] }, offset: offset, dtype: dtype)
            let tmp = Tensor.empty(inMemoryOrder.shape, dtype: dtype)
            body(g, tmp.rawPointer, Int64(count))
            copyStrided(from: tmp, into: inMemoryOrder)
        }
        return self
    }
}

/// Normal samples with the given mean and std (PyTorch's `torch.normal(mean, std, size)`).
public func normal(_ mean: Double, _ std: Double, _ shape: [Int], generator: Generator? = nil) -> Tensor {
    Tensor.empty(shape).normal_(mean, std, generator: generator)
}

/// `torch.multinomial` as a free function.
public func multinomial(_ input: Tensor, _ numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
    input.multinomial(numSamples, replacement: replacement, generator: generator)
}
