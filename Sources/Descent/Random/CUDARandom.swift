import Foundation

// PyTorch's CUDA random numbers. Each CUDA device has a default generator (a seed and a Philox
// offset); a random kernel takes the seed and the current offset, and moves the offset on by what
// PyTorch's `calc_execution_policy` says its threads may use. The kernels (`KernelSource.philox`)
// draw curand's Philox4x32-10 in PyTorch's layout, so `manualSeed(s)` then `Tensor.randn(…, device:
// .cuda(0))` gives PyTorch's numbers on the same GPU model (the layout depends on the number of
// multiprocessors once a tensor has more than 256 × that × 8 elements, as PyTorch's does).

extension CUDA {
    private static let lock = NSLock()
    private nonisolated(unsafe) static var generators: [Int: Generator] = [:]
    /// The seed `manualSeedAll` (or `manualSeed()` for all devices) set before a device's generator existed.
    private nonisolated(unsafe) static var pendingSeed: UInt64?

    /// The default generator of `cuda:device` (PyTorch's `torch.cuda.default_generators[device]`),
    /// seeded nondeterministically until `manualSeed`, as PyTorch's is.
    public static func defaultGenerator(_ device: Int = 0) -> Generator {
        lock.lock(); defer { lock.unlock() }
        if let g = generators[device] { return g }
        let g = Generator(device: .cuda(device), seed: pendingSeed ?? UInt64.random(in: 0...UInt64.max))
        generators[device] = g
        return g
    }
    /// Seeds `cuda:device`'s default generator (PyTorch's `torch.cuda.manual_seed`, for the current device 0).
    public static func manualSeed(_ seed: Int, device: Int = 0) { defaultGenerator(device).manualSeed(seed) }
    /// Seeds every CUDA device's default generator (`torch.cuda.manual_seed_all`; `manualSeed(_:)` calls it).
    public static func manualSeedAll(_ seed: Int) { manualSeedAll(UInt64(bitPattern: Int64(seed))) }
    /// Seeds every CUDA device's default generator with a 64-bit seed.
    public static func manualSeedAll(_ seed: UInt64) {
        lock.lock(); defer { lock.unlock() }
        pendingSeed = seed
        for g in generators.values { g.manualSeed(seed) }
    }
    /// The seed of `cuda:device`'s default generator (`torch.cuda.initial_seed`).
    public static func initialSeed(device: Int = 0) -> UInt64 { defaultGenerator(device).initialSeed }
    /// `cuda:device`'s generator state: PyTorch's 16 bytes, seed then offset (`torch.cuda.get_rng_state`).
    public static func getRNGState(device: Int = 0) -> [UInt8] { defaultGenerator(device).getState() }
    /// Restores a state from `getRNGState` (`torch.cuda.set_rng_state`).
    public static func setRNGState(_ state: [UInt8], device: Int = 0) { defaultGenerator(device).setState(state) }
    /// The largest offset, in bytes, a random kernel's launch indexes (PyTorch's 32-bit indexing,
    /// 2^31 - 1); tests lower it to see a draw split as one of 2 GiB or more is.
    @_spi(Testing) public nonisolated(unsafe) static var philoxIndexLimit = Int(Int32.max)
    /// The launch PyTorch's random kernels use on `cuda:device` for `elements` values, `unroll` a draw.
    @_spi(Testing) public static func philoxLaunch(elements: Int, unroll: Int, device: Int = 0) -> PhiloxLaunch {
        PhiloxLaunch(elements: elements, unroll: unroll, on: GPURegistry.context(device).runtime)
    }
}

/// The launch of one of PyTorch's random kernels (`calc_execution_policy` in its
/// DistributionTemplates.h): 256 threads a block, as many blocks as the elements need but at most
/// those the device keeps resident, and the Philox offset the draw consumes (4 per round of a thread).
@_spi(Testing) public struct PhiloxLaunch: Equatable {
    public static let threads = 256
    public let blocks: Int
    public let counterOffset: UInt64

    /// `unroll` is the values each curand4 call gives: 4 floats, 2 doubles, 4 or 2 integers.
    public init(elements n: Int, unroll: Int, multiprocessors: Int, maxThreadsPerMultiprocessor: Int) {
        precondition(n > 0)
        let wanted = (n + Self.threads - 1) / Self.threads
        blocks = Swift.min(multiprocessors * (maxThreadsPerMultiprocessor / Self.threads), wanted)
        counterOffset = UInt64((n - 1) / (Self.threads * blocks * unroll) + 1) * 4
    }
    /// The pieces (start, count) PyTorch's `with_32bit_indexing` cuts `n` elements of `itemSize` bytes
    /// into, in the order it launches them: halves (the first one the smaller), cut again until
    /// each has at most `limit` elements and its last byte offset is below `limit`.
    public static func pieces(_ n: Int, itemSize: Int, limit: Int = CUDA.philoxIndexLimit) -> [(start: Int, count: Int)] {
        func cut(_ start: Int, _ m: Int) -> [(start: Int, count: Int)] {
            if m < 2 || (m <= limit && 1 + (m - 1) * itemSize <= limit) { return [(start, m)] }
            return cut(start, m / 2) + cut(start + m / 2, m - m / 2)
        }
        return cut(0, n)
    }
    /// The launch on `runtime`'s device.
    init(elements n: Int, unroll: Int, on runtime: GPURuntime) {
        self.init(elements: n, unroll: unroll, multiprocessors: runtime.multiprocessorCount, maxThreadsPerMultiprocessor: runtime.maxThreadsPerMultiprocessor)
    }
}
