import Foundation

/// A random-number generator. On the CPU (the default) it reproduces PyTorch's CPU generator bit for
/// bit (mt19937 and PyTorch's transformations; see RNG.md). `Generator(device: .cuda(0))` is PyTorch's
/// CUDA generator: a seed and a Philox offset, from which the GPU kernels draw PyTorch's Philox
/// stream (see `CUDA.manualSeed`). `Generator()` starts from PyTorch's default seed.
public final class Generator {
    /// The device whose random numbers it draws (PyTorch's `generator.device`).
    public let device: Device
    /// The CPU backend's mt19937 engine (the draws of every CPU random op come from it). A CUDA
    /// generator keeps its seed there; its draws come from the Philox kernels.
    let engine: CPUGeneratorEngine
    /// A CUDA generator's position: PyTorch's `philox_offset_per_thread`, a multiple of 4.
    var philoxOffset: UInt64 = 0
    private let lock = NSLock()

    /// A generator seeded with `seed` (PyTorch's `torch.Generator().manual_seed(seed)`).
    public init(seed: UInt64 = 67280421310721) { device = .cpu; engine = CPUGeneratorEngine(seed: seed) }
    public convenience init(seed: Int) { self.init(seed: UInt64(bitPattern: Int64(seed))) }
    /// A generator for `device` (PyTorch's `torch.Generator(device="cuda")`): `.cpu` or `.cuda(i)`.
    public init(device: Device, seed: UInt64 = 67280421310721) {
        if device == .meta { fail("Generator: the meta device has no random numbers; use .cpu or .cuda(i)") }
        self.device = device
        engine = CPUGeneratorEngine(seed: seed)
    }

    /// Re-seeds (PyTorch's `manual_seed`); returns self. A CUDA generator starts its Philox offset again.
    @discardableResult public func manualSeed(_ seed: Int) -> Generator { manualSeed(UInt64(bitPattern: Int64(seed))) }
    /// Re-seeds with a 64-bit seed; returns self.
    @discardableResult public func manualSeed(_ seed: UInt64) -> Generator {
        lock.lock(); defer { lock.unlock() }
        engine.seed(seed); philoxOffset = 0
        return self
    }
    /// The seed last set.
    public var initialSeed: UInt64 { engine.initialSeed }
    /// One 32-bit draw.
    public func random() -> UInt32 { engine.random() }
    /// One 64-bit draw (high word first).
    public func random64() -> UInt64 { engine.random64() }
    /// `random64() % 2^63`, as PyTorch's `torch.empty((), dtype=torch.int64).random_()`.
    public func randomInt63() -> Int64 { engine.randomInt63() }

    /// A snapshot of the generator's state (PyTorch's `get_state()`), restorable with `setState`. A
    /// CUDA generator's is PyTorch's 16 bytes: the seed and the Philox offset, little-endian.
    public func getState() -> [UInt8] {
        lock.lock(); defer { lock.unlock() }
        guard device.isCUDA else { return engine.stateBytes() }
        let bytes = { (v: UInt64) in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        return bytes(engine.initialSeed) + bytes(philoxOffset)
    }
    /// Restores a snapshot taken with `getState()`. A state that is not one stops the program.
    public func setState(_ bytes: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        if device.isCUDA {
            // PyTorch's CUDAGeneratorImpl::set_state: 16 bytes (seed, offset), or 8 (the seed, offset 0)
            if bytes.count != 16 && bytes.count != 8 { fail("RNG state is wrong size") }
            let word = { (i: Int) in bytes[i..<i + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            if !Generator.isValidCUDAState(bytes) { fail("offset must be a multiple of 4") }
            engine.seed(word(0)); philoxOffset = bytes.count == 16 ? word(8) : 0
            return
        }
        if !Generator.isValidState(bytes) { fail("RNG state is wrong size or invalid (\(bytes.count) bytes)") }
        engine.setStateBytes(bytes)
    }
    /// Whether `bytes` is a CPU generator state `setState` accepts (the right size, a position within the state).
    public static func isValidState(_ bytes: [UInt8]) -> Bool { CPUGeneratorEngine.isValidState(bytes) }
    /// Whether `bytes` is a CUDA generator state `setState` accepts (16 bytes with an offset that is a
    /// multiple of 4, or 8 bytes of seed alone, as PyTorch accepts).
    public static func isValidCUDAState(_ bytes: [UInt8]) -> Bool { bytes.count == 8 || bytes.count == 16 && bytes[8] % 4 == 0 }

    /// PyTorch's `philox_cuda_state(increment)`: the seed and the offset a kernel draws from, after
    /// which the offset moves on by `increment` rounded up to a multiple of 4.
    func philoxState(increment: UInt64) -> (seed: UInt64, offset: UInt64) {
        lock.lock(); defer { lock.unlock() }
        let offset = philoxOffset
        philoxOffset &+= Generator.philoxStep(increment)
        return (engine.initialSeed, offset)
    }
    /// How far a draw of `increment` moves the Philox offset: up to a multiple of 4, as PyTorch's.
    static func philoxStep(_ increment: UInt64) -> UInt64 { (increment + 3) / 4 * 4 }

    /// `generator`, or the default generator of `device`; stops, as PyTorch does, when a generator of
    /// another device type is given.
    static func resolve(_ generator: Generator?, for device: Device) -> Generator {
        let wanted = device.isCUDA ? "cuda" : "cpu"
        guard let g = generator else {
            if case .cuda(let i) = device { return CUDA.defaultGenerator(i) }
            return defaultGenerator
        }
        if g.device.isCUDA != device.isCUDA {
            fail("Expected a '\(wanted)' device type for generator but found '\(g.device.isCUDA ? "cuda" : "cpu")'")
        }
        return g
    }
}

/// The global generator used when no `generator:` is given. Nondeterministic until `manualSeed`.
nonisolated(unsafe) public let defaultGenerator: Generator = Generator(seed: UInt64.random(in: 0...UInt64.max))

/// Seeds the global generator and every CUDA device's (PyTorch's `torch.manual_seed`).
public func manualSeed(_ seed: Int) { manualSeed(UInt64(bitPattern: Int64(seed))) }
/// Seeds the global generator and every CUDA device's with a 64-bit seed.
public func manualSeed(_ seed: UInt64) { defaultGenerator.manualSeed(seed); CUDA.manualSeedAll(seed) }
/// Seeds every generator (Lightning's `seed_everything`): the global one and each CUDA device's. With no seed it takes
/// the environment's `PL_GLOBAL_SEED`, else 0; a seed outside [0, 2³² - 1] becomes 0, with Lightning's warning. It
/// sets `PL_GLOBAL_SEED` (and `PL_SEED_WORKERS` to `workers`, recorded for Lightning-minded tools: Descent's loader
/// workers already draw from the seeded generators), prints "Seed set to N" on standard error, and returns the seed.
/// `verbose: false` (Lightning 2.6's `verbose=False`) leaves out the "Seed set to N" line.
@discardableResult public func seedEverything(_ seed: Int? = nil, workers: Bool = false, verbose: Bool = true) -> Int {
    var s: Int
    if let seed { s = seed } else if let env = ProcessInfo.processInfo.environment["PL_GLOBAL_SEED"], let v = Int(env) { s = v } else {
        s = 0
        FileHandle.standardError.write(Data("No seed found, seed set to 0\n".utf8))
    }
    if s < 0 || s > 4_294_967_295 {
        FileHandle.standardError.write(Data("\(s) is not in bounds, numpy accepts from 0 to 4294967295\n".utf8))
        s = 0
    }
    setenv("PL_GLOBAL_SEED", String(s), 1)
    setenv("PL_SEED_WORKERS", workers ? "1" : "0", 1)
    if verbose && (!Distributed.isInitialized || Distributed.rank == 0) { FileHandle.standardError.write(Data("Seed set to \(s)\n".utf8)) }
    manualSeed(s)
    return s
}
/// The seed of the global generator (PyTorch's `torch.initial_seed`).
public func initialSeed() -> UInt64 { defaultGenerator.initialSeed }

extension Tensor {
    /// Uniform samples in [0, 1) (PyTorch's `torch.rand`).
    public static func rand(_ shape: Int..., dtype: DType = getDefaultDtype(), device: Device = .cpu, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { rand(shape, dtype: dtype, device: device, generator: generator, requiresGrad: requiresGrad) }
    public static func rand(_ shape: [Int], dtype: DType = getDefaultDtype(), device: Device = .cpu, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor {
        Tensor.empty(shape, dtype: dtype, device: device).uniform_(0, 1, generator: generator).requiringGrad(requiresGrad)
    }
    /// Standard normal samples (PyTorch's `torch.randn`).
    public static func randn(_ shape: Int..., dtype: DType = getDefaultDtype(), device: Device = .cpu, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { randn(shape, dtype: dtype, device: device, generator: generator, requiresGrad: requiresGrad) }
    public static func randn(_ shape: [Int], dtype: DType = getDefaultDtype(), device: Device = .cpu, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor {
        Tensor.empty(shape, dtype: dtype, device: device).normal_(0, 1, generator: generator).requiringGrad(requiresGrad)
    }
    /// Integers uniform in [low, high) (PyTorch's `torch.randint(low, high, size)`), int64.
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], device: Device = .cpu, generator: Generator? = nil) -> Tensor {
        if high <= low { fail("random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)") }
        let t = Tensor.empty(shape, dtype: .int64, device: device)
        Kernels.random(.integers(low: low, high: high), into: t, generator: generator)
        return t
    }
    public static func randint(_ low: Int, _ high: Int, _ shape: Int..., device: Device = .cpu, generator: Generator? = nil) -> Tensor { randint(low, high, shape, device: device, generator: generator) }
    /// Integers uniform in [0, high).
    public static func randint(high: Int, _ shape: [Int], device: Device = .cpu, generator: Generator? = nil) -> Tensor { randint(0, high, shape, device: device, generator: generator) }
    /// A random permutation of 0..<n (PyTorch's `torch.randperm`), int64.
    public static func randperm(_ n: Int, device: Device = .cpu, generator: Generator? = nil) -> Tensor {
        let t = Tensor.empty([n], dtype: .int64, device: device)
        Kernels.random(.permutation, into: t, generator: generator)
        return t
    }
    /// Uniform samples shaped like `t` (its dtype and device).
    public static func randLike(_ t: Tensor, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { rand(t.shape, dtype: t.dtype, device: t.device, generator: generator, requiresGrad: requiresGrad) }
    /// Normal samples shaped like `t` (its dtype and device).
    public static func randnLike(_ t: Tensor, generator: Generator? = nil, requiresGrad: Bool = false) -> Tensor { randn(t.shape, dtype: t.dtype, device: t.device, generator: generator, requiresGrad: requiresGrad) }

    /// Fills in place with uniform samples in [from, to) (PyTorch's `uniform_`).
    @discardableResult public func uniform_(_ from: Double = 0, _ to: Double = 1, generator: Generator? = nil) -> Tensor {
        fillRandom(generator, .uniform(from: from, to: to))
    }
    /// Fills in place with normal samples (PyTorch's `normal_`).
    @discardableResult public func normal_(_ mean: Double = 0, _ std: Double = 1, generator: Generator? = nil) -> Tensor {
        // PyTorch's block Box-Muller runs only on contiguous tensors; others take the per-element path.
        fillRandom(generator, .normal(mean: mean, std: std, elementwise: !isContiguous))
    }
    /// Fills in place with 1 with probability p, else 0 (PyTorch's `bernoulli_(p)`).
    @discardableResult public func bernoulli_(_ p: Double = 0.5, generator: Generator? = nil) -> Tensor {
        fillRandom(generator, .bernoulli(p))
    }
    /// Fills in place with Exponential(`lambd`) draws (PyTorch's `exponential_`, same numbers for the same seed).
    @discardableResult public func exponential_(_ lambd: Double = 1, generator: Generator? = nil) -> Tensor {
        if !(lambd > 0) { fail("exponential_ expects lambda > 0.0, but found lambda=\(lambd)") }
        return fillRandom(generator, .exponential(lambd))
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
                let q = Tensor.empty(shape, dtype: dtype, device: device).exponential_(1, generator: generator)
                let race = p / q
                if numSamples == 1 { return race.argmax(dim: -1, keepDim: true) }
                return race.topk(numSamples, dim: -1).indices
            }
            let rows = rank == 1 ? 1 : shape[0]
            let out = Tensor.empty(rank == 1 ? [numSamples] : [rows, numSamples], dtype: .int64, device: device)
            Kernels.random(.categorical(probabilities: p), into: out, generator: generator)
            return out
        }
    }

    /// Samples 0/1 with the probabilities in this tensor (PyTorch's `torch.bernoulli(probs)`).
    public func bernoulli(generator: Generator? = nil) -> Tensor {
        if !dtype.isFloatingPoint { fail("bernoulli expects a floating point tensor of probabilities") }
        let out = Tensor.empty(shape, dtype: dtype, device: device)
        Kernels.random(.bernoulliTensor(probabilities: contiguous()), into: out, generator: generator)
        return out
    }

    /// Dropout's keep mask for this tensor: 1 with probability `keep`, in its dtype and on its device.
    /// PyTorch's CPU dropout draws `bernoulli_(keep)`; on CUDA, `native_dropout`'s fused kernel,
    /// whose layout depends on x's alignment and size (4 consecutive floats a thread, 2 doubles; 1
    /// for odd sizes or overlapping or gapped views). On either device a dense tensor whose dims are
    /// permuted (a transposed matrix, a batch-first transformer's attention output) is drawn in memory
    /// order, as PyTorch's mask keeps x's strides (`empty_like`) and is filled in memory order.
    func dropoutMask(keep: Double) -> Tensor {
        let dense = isNonOverlappingAndDense
        var vector = 1
        if dense && device.isCUDA {
            vector = dtype == .float64 ? 2 : 4
            let address = storage.deviceAddress + UInt64(offset * dtype.itemSize)
            while vector > 1 && (address % UInt64(vector * dtype.itemSize) != 0 || count % vector != 0) { vector /= 2 }
        }
        let mask = Tensor.empty(dense ? [count] : shape, dtype: dtype, device: device)
        Kernels.random(.dropoutMask(keep: keep, vector: vector), into: mask, generator: nil)
        guard dense && !isContiguous else { return dense ? mask.reshape(shape) : mask }
        return Tensor(storage: mask.storage, shape: shape, strides: strides, offset: 0, dtype: dtype)
    }

    /// Whether the elements fill a block of memory exactly once in some order of the dims (PyTorch's
    /// `is_non_overlapping_and_dense`): contiguous, or a permutation of a contiguous tensor.
    var isNonOverlappingAndDense: Bool {
        var expected = 1
        for d in (0..<rank).filter({ shape[$0] != 1 }).sorted(by: { strides[$0] < strides[$1] }) {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    private func fillRandom(_ generator: Generator?, _ draw: RandomDraw) -> Tensor {
        if !dtype.isFloatingPoint { fail("random fill expects a floating point tensor, got \(dtype)") }
        let g = generator
        if gradEnabled && requiresGradFlag && node == nil {
            fail("a leaf Variable that requires grad is being used in an in-place operation.")
        }
        storage.version += 1
        if isContiguous {
            Kernels.random(draw, into: self, generator: g)
        } else {
            // PyTorch's TensorIterator visits a non-contiguous tensor in memory order (dims sorted by
            // stride), so the draws are laid out that way, not in logical row-major order.
            let perm = (0..<rank).sorted { (a: Int, b: Int) -> Bool in strides[a] != strides[b] ? strides[a] > strides[b] : a < b }
            let inMemoryOrder = Tensor(storage: storage, shape: perm.map { shape[$0] }, strides: perm.map { strides[$0] }, offset: offset, dtype: dtype)
            let tmp = Tensor.empty(inMemoryOrder.shape, dtype: dtype, device: device)
            Kernels.random(draw, into: tmp, generator: g)
            copyStrided(from: tmp, into: inMemoryOrder)
        }
        return self
    }
}

/// Normal samples with the given mean and std (PyTorch's `torch.normal(mean, std, size)`).
public func normal(_ mean: Double, _ std: Double, _ shape: [Int], generator: Generator? = nil) -> Tensor {
    Tensor.empty(shape).normal_(mean, std, generator: generator)
}

/// `torch.normal(mean, std, size=...)` with PyTorch's keyword.
public func normal(_ mean: Double, _ std: Double, size: [Int], generator: Generator? = nil) -> Tensor {
    normal(mean, std, size, generator: generator)
}
/// One normal draw per element of the broadcast `mean` and `std` (PyTorch's `torch.normal(mean, std)`
/// with tensors): standard normal draws, then `.mul_(std).add_(mean)`, as PyTorch computes them.
public func normal(_ mean: Tensor, _ std: Tensor, generator: Generator? = nil) -> Tensor {
    let shape = broadcastShapes(mean.shape, std.shape)
    let out = Tensor.empty(shape, dtype: resultType(mean, std), device: mean.device).normal_(0, 1, generator: generator)
    return noGrad { out.mul_(std).add_(mean) }
}
/// `torch.normal(mean, std)` with a tensor of means and one std: draws with that std, then `+ mean`.
public func normal(_ mean: Tensor, _ std: Double = 1, generator: Generator? = nil) -> Tensor {
    let out = Tensor.empty(mean.shape, dtype: mean.dtype, device: mean.device).normal_(0, std, generator: generator)
    return noGrad { out.add_(mean) }
}
/// `torch.normal(mean, std)` with one mean and a tensor of stds: standard draws, `* std + mean`.
public func normal(_ mean: Double, _ std: Tensor, generator: Generator? = nil) -> Tensor {
    normal(Tensor.full([], mean, dtype: std.dtype, device: std.device), std, generator: generator)
}

/// `torch.multinomial` as a free function.
public func multinomial(_ input: Tensor, _ numSamples: Int, replacement: Bool = false, generator: Generator? = nil) -> Tensor {
    input.multinomial(numSamples, replacement: replacement, generator: generator)
}

/// The global CPU generator's state (PyTorch's `torch.get_rng_state()`, here its bytes).
public func getRNGState() -> [UInt8] { defaultGenerator.getState() }
/// Restores the global CPU generator from `getRNGState()` (PyTorch's `torch.set_rng_state`).
public func setRNGState(_ state: [UInt8]) { defaultGenerator.setState(state) }
/// 0/1 samples with the probabilities in `input` (PyTorch's `torch.bernoulli`).
public func bernoulli(_ input: Tensor, generator: Generator? = nil) -> Tensor { input.bernoulli(generator: generator) }
