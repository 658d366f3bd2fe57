import Descent
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// The distributed benchmarks (started under mpirun; Benchmarks/distributed/run.sh runs them beside
// their baselines): Descent's all-reduce against Open MPI's MPI_Allreduce called from C
// (Benchmarks/distributed/allreduce_c.c, the same protocol), and one DDP epoch of the MNIST MLP against
// PyTorch DDP on gloo (Benchmarks/distributed/ddp_mnist_torch.py, the same setup).

/// Open MPI's `MPI_Allreduce` called straight through its C ABI (as allreduce_c.c does), on the same
/// libmpi Descent loaded: the in-process baseline, timed in alternation with Descent's.
struct RawMPIAllReduce {
    typealias Fn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
    let allreduce: Fn
    let float, sum, world: UnsafeMutableRawPointer
    init() {
        guard let h = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL), let f = dlsym(h, "MPI_Allreduce"),
              let fl = dlsym(h, "ompi_mpi_float"), let su = dlsym(h, "ompi_mpi_op_sum"), let w = dlsym(h, "ompi_mpi_comm_world")
        else { fatalError("libmpi.so.40 not found") }
        allreduce = unsafeBitCast(f, to: Fn.self); float = fl; sum = su; world = w
    }
    func callAsFunction(_ buf: UnsafeMutableRawPointer, _ count: Int) {
        _ = allreduce(UnsafeRawPointer(bitPattern: 1), buf, Int32(count), float, sum, world)
    }
}

/// In-place float32 sum all-reduce, 4 KB to 64 MB: one correctness check, warm-up, a probe choosing
/// N for about 0.25 s (rank 0's N broadcast), then 8 alternating blocks of N calls of Descent's
/// `Distributed.allReduce` and of the raw `MPI_Allreduce`; the best block of each, max over ranks.
/// (Alternating in one job keeps this machine's two speed modes out of the ratio.)
func allReduceBenchmark() throws {
    try Distributed.initProcessGroup(backend: .mpi)
    let rank = Distributed.rank, size = Distributed.worldSize
    let raw = RawMPIAllReduce()
    for bytes in [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20] {
        let count = bytes / 4
        let pattern = Tensor.arange(0, count, 1, dtype: .int64).remainder(7).to(dtype: .float32)
        let check = pattern * Double(rank + 1)
        Distributed.allReduce(check)
        let want = pattern * Double(size * (size + 1) / 2)
        if (check .!= want).any().item() != 0 { fatalError("all-reduce of \(bytes) bytes gave a wrong sum") }
        let buf = Tensor.zeros([count])   // a fresh buffer, as the raw side has
        // the same 64-byte alignment as Descent's CPU allocator
        var mem: UnsafeMutableRawPointer?
        posix_memalign(&mem, 64, bytes)
        memset(mem!, 0, bytes)
        defer { free(mem) }
        for _ in 0..<5 { Distributed.allReduce(buf) }
        Distributed.barrier()
        let t0 = Date()
        for _ in 0..<5 { Distributed.allReduce(buf) }
        let per = Date().timeIntervalSince(t0) / 5
        let n = Tensor([per > 0 ? Swift.min(50_000, Swift.max(10, Int(0.25 / per))) : 50_000])
        Distributed.broadcast(n, src: 0)
        let calls = n.toArray(Int.self)[0]
        var bestDescent = Double.infinity, bestRaw = Double.infinity
        for block in 0..<8 {
            // alternate which goes first
            Distributed.barrier()
            if block % 2 == 0 {
                let t = Date()
                for _ in 0..<calls { Distributed.allReduce(buf) }
                bestDescent = Swift.min(bestDescent, Date().timeIntervalSince(t) / Double(calls))
            } else {
                let t = Date()
                for _ in 0..<calls { raw(mem!, count) }
                bestRaw = Swift.min(bestRaw, Date().timeIntervalSince(t) / Double(calls))
            }
        }
        let times = Tensor([bestDescent, bestRaw], dtype: .float64)
        Distributed.allReduce(times, op: .max)
        let (d, r) = (times.toArray(Double.self)[0], times.toArray(Double.self)[1])
        if rank == 0 {
            print("allreduce_descent bytes=\(bytes) us=\(String(format: "%.2f", d * 1e6)) GBps=\(String(format: "%.3f", Double(bytes) / d / 1e9))")
            print("allreduce_mpi_raw bytes=\(bytes) us=\(String(format: "%.2f", r * 1e6)) GBps=\(String(format: "%.3f", Double(bytes) / r / 1e9))")
            fflush(stdout)
        }
    }
    Distributed.destroyProcessGroup()
}

/// One epoch of the MNIST MLP (784-256-256-10, SGD lr 0.1, batch 64 per rank, one thread per process),
/// under DDP (or one process with `single`): 20 warm-up steps of epoch 0's order, then epoch 1 timed
/// between two barriers. The data, initialisation and sampler order are PyTorch's for the same seeds.
func ddpMNISTBenchmark(single: Bool) throws {
    setNumThreads(1)
    try Distributed.initProcessGroup(backend: .mpi)
    let world = single ? 1 : Distributed.worldSize, rank = single ? 0 : Distributed.rank
    let root = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "../shared/data/mnist"
    let mnist = try MNIST(root: root, train: true)
    let x = ((mnist.data.float() / 255 - 0.1307) / 0.3081).reshape(-1, 784)
    let ds = TensorDataset(x, mnist.targets)
    let sampler = DistributedSampler(ds, numReplicas: world, rank: rank, shuffle: true, seed: 0)
    let loader = DataLoader(ds, batchSize: 64, sampler: sampler)
    manualSeed(0)
    let net = Sequential(Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10))
    let model: Module = single ? net : DistributedDataParallel(net)
    let opt = SGD(model.parameters(), lr: 0.1)
    func step(_ xb: Tensor, _ yb: Tensor) -> Tensor {
        let loss = crossEntropy(model(xb), yb)
        opt.zeroGrad(); loss.backward(); opt.step()
        return loss
    }
    sampler.setEpoch(0)
    for (i, (xb, yb)) in loader.enumerated() {
        if i == 20 { break }
        _ = step(xb, yb)
    }
    sampler.setEpoch(1)
    if !single { Distributed.barrier() }
    let t0 = Date()
    var steps = 0
    var last = Tensor(0.0)
    for (xb, yb) in loader { last = step(xb, yb); steps += 1 }
    if !single { Distributed.barrier() }
    let dt = Date().timeIntervalSince(t0)
    if rank == 0 {
        print("\(single ? "single_descent" : "ddp_descent") epoch_s=\(String(format: "%.3f", dt)) steps=\(steps) final_loss=\(String(format: "%.6f", last.item()))" + (single ? "" : " world=\(world)"))
        fflush(stdout)
    }
}

/// The cost of a collective call itself: a world of one process, where the engine does nothing.
func collectiveOverhead() throws {
    try Distributed.initProcessGroup(backend: .mpi)
    let buf = Tensor.zeros([1024])
    for _ in 0..<1000 { Distributed.allReduce(buf) }
    let n = 1_000_000
    let t0 = Date()
    for _ in 0..<n { Distributed.allReduce(buf) }
    print("allreduce_call_overhead\t\(String(format: "%.3e", Date().timeIntervalSince(t0) / Double(n)))")
}
