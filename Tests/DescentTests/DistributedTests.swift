import Foundation
import Testing
import Descent

/// Runs `descent-checks` (built beside this test bundle) under Open MPI's `mpirun` with
/// real processes, and reads back what each rank printed.
enum MPIRun {
    /// `mpirun`, or nil where Open MPI is not installed (CI installs it and sets DESCENT_REQUIRE_MPI=1,
    /// so there these tests cannot skip).
    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var required: Bool { ProcessInfo.processInfo.environment["DESCENT_REQUIRE_MPI"] == "1" }
    static var enabled: Bool {
        if mpirun == nil && required { Issue.record("DESCENT_REQUIRE_MPI=1 but mpirun is not installed") }
        if checks == nil && required { Issue.record("DESCENT_REQUIRE_MPI=1 but descent-checks was not built") }
        return mpirun != nil && checks != nil
    }
    /// The checks program: in the folder of the test bundle (`.build/<config>/`).
    static let checks: String? = sibling("descent-checks")
    /// An executable of this package built beside the test bundle (`.build/<config>/name`).
    static func sibling(_ name: String) -> String? {
        var dirs = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        dirs += ["release", "debug"].map { root.appendingPathComponent(".build/\($0)") }
        for d in dirs {
            let p = d.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    struct Result {
        let status: Int32
        let output: String
        let seconds: Double
        /// Lines `rank=R name=value` per rank: `ranks[R][name]`.
        let ranks: [[String: String]]
    }

    /// `mpirun -np n descent-checks scenario args...`, or the program alone when `n` is nil.
    static func run(_ scenario: String, np: Int?, args: [String] = [], env: [String: String] = [:], limit: Double = 120) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        var environment = ProcessInfo.processInfo.environment
        environment["DESCENT_CHECK_OUT"] = dir.path
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        // containers often forbid the cross-process memory copy Open MPI's shared-memory transport tries first
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        if let np {
            p.executableURL = URL(fileURLWithPath: mpirun!)
            p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(np)", "-x", "DESCENT_CHECK_OUT", "-x", "SWIFT_BACKTRACE",
                           checks!, scenario] + args
        } else {
            p.executableURL = URL(fileURLWithPath: checks!)
            p.arguments = [scenario] + args
        }
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        let start = Date()
        try p.run()
        // a watchdog: a hung job is a failure, not a hung test run
        let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        let seconds = Date().timeIntervalSince(start)
        var ranks: [[String: String]] = Array(repeating: [:], count: np ?? 1)
        var text = String(decoding: data, as: UTF8.self)
        for r in 0..<(np ?? 1) {
            guard let s = try? String(contentsOf: dir.appendingPathComponent("rank\(r).txt"), encoding: .utf8) else { continue }
            text += s
            for line in s.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let eq = parts[1].firstIndex(of: "=") else { continue }
                ranks[r][String(parts[1][..<eq])] = String(parts[1][parts[1].index(after: eq)...])
            }
        }
        return Result(status: p.terminationStatus, output: text, seconds: seconds, ranks: ranks)
    }
}

/// Parses "[1,2.5,-3]" into numbers.
private func numbers(_ s: String?) -> [Double] {
    guard let s else { return [] }
    return s.split(whereSeparator: { "[],;".contains($0) }).compactMap { Double($0) }
}

@Suite(.serialized) struct DistributedMPITests {
    /// Every collective on 2 and 3 real ranks, against values worked out by hand: rank r holds its
    /// inputs times (r + 1), so with n ranks the sum is the input times n(n+1)/2, the max times n, the
    /// product times n!.
    /// torchmetrics' sync on compute: summed counts (Accuracy), the max (MaxMetric) and gathered lists of unequal
    /// lengths (AUROC, CatMetric) give every rank the metric of all the data.
    @Test(arguments: [2, 3]) func metricsSyncAcrossRanks(np: Int) throws {
        guard MPIRun.enabled else { return }
        let r = try MPIRun.run("metrics", np: np)
        #expect(r.status == 0, "\(r.output)")
        for rank in 0..<np {
            let v = r.ranks[rank]
            #expect(v["auroc"] != nil && v["auroc"] == v["auroc.full"], "\(r.output)")
            #expect(v["accuracy"] != nil && v["accuracy"] == v["accuracy.full"])
            let mx = v["max"]?.split(separator: " ").map(String.init) ?? []
            #expect(mx.count == 2 && "full=" + mx[0] == mx[1])
            let cat = v["cat"]?.components(separatedBy: " full=") ?? []
            #expect(cat.count == 2 && cat[0] == cat[1] && numbers(cat[0]).count == 20)
            #expect(Int(v["localStates"] ?? "") == (20 - rank + np - 1) / np)
        }
    }

    @Test(arguments: [2, 3]) func collectivesOnRealRanks(np: Int) throws {
        guard MPIRun.enabled else { return }
        let r = try MPIRun.run("collectives", np: np)
        #expect(r.status == 0, "\(r.output)")
        let n = Double(np)
        let tri = n * (n + 1) / 2
        let fact = (1...np).reduce(1.0) { $0 * Double($1) }
        for rank in 0..<np {
            let v = r.ranks[rank]
            #expect(v["world"] == "\(np)")
            #expect(numbers(v["allReduce.sum"]) == [1, 2, 3].map { $0 * tri })
            #expect(numbers(v["allReduce.avg"]) == [1, 2, 3].map { $0 * tri / n })
            #expect(numbers(v["allReduce.max"]) == [1, 2, 3].map { $0 * n })
            #expect(numbers(v["allReduce.min"]) == [1, 2, 3])
            #expect(numbers(v["allReduce.product"]) == [1, 2, 3].map { pow($0, n) * fact })
            #expect(numbers(v["allReduce.int64"]) == [10 * tri, -20 * tri])
            #expect(numbers(v["allReduce.bool.max"]) == [1, 0])          // only rank 0 holds true
            #expect(v["allReduce.async"] == "[\(fmt(0.5 * tri)),\(fmt(0.25 * tri))] completed=true")
            #expect(numbers(v["broadcast.last"]) == [n, n * 10])        // rank n-1 holds (n, 10n)
            let gathered = (1...np).flatMap { [Double($0), -Double($0)] }
            #expect(numbers(v["allGather"]) == gathered)
            #expect(numbers(v["allGatherIntoTensor"]) == gathered)
            // input k on rank r is (k, 100) * (r+1): block `rank` summed over ranks
            #expect(numbers(v["reduceScatter"]) == [Double(rank) * tri, 100 * tri])
            // arange(2n) * (r+1), max over ranks = arange(2n) * n; block `rank`
            #expect(numbers(v["reduceScatterTensor.max"]) == [Double(2 * rank) * n, Double(2 * rank + 1) * n])
            #expect(v["barrier"] == "passed")
        }
        #expect(r.output.components(separatedBy: "initialized-after-destroy=false").count == np + 1)
    }

    /// DDP on 2 ranks with batch 32 each ends where one process with batch 64 ends (float32 rounding
    /// apart), and both ranks hold the same parameters to the bit. Momentum SGD, two epochs of a
    /// DistributedSampler's shuffled order, several 1 KB buckets, every third step accumulated with noSync.
    @Test func ddpOnTwoRanksMatchesOneProcessWithTheWholeBatch() throws {
        guard MPIRun.enabled else { return }
        let ddp = try MPIRun.run("ddp", np: 2)
        let one = try MPIRun.run("ddp-reference", np: nil)
        #expect(ddp.status == 0 && one.status == 0, "\(ddp.output)\n\(one.output)")
        let r0 = ddp.ranks[0], r1 = ddp.ranks[1]
        #expect(r0["start"] != nil && r0["start"] == r1["start"], "rank 0's initial parameters were broadcast")
        #expect(r0["params"] != nil && r0["params"] == r1["params"], "the ranks' parameters are identical to the bit")
        let a = numbers(r0["values"]), b = numbers(one.ranks[0]["values"])
        #expect(a.count == 1441 && b.count == 1441)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        // (a reducer that averaged nothing would leave each rank trained on its half: far from the reference)
        #expect(diff < 1e-5, "largest difference from the one-process run: \(diff)")
    }

    /// With 4 ranks (batch 16 each) the same holds, to float32 tolerance.
    @Test func ddpOnFourRanksMatchesOneProcess() throws {
        guard MPIRun.enabled else { return }
        let ddp = try MPIRun.run("ddp", np: 4)
        let one = try MPIRun.run("ddp-reference", np: nil)
        #expect(ddp.status == 0, "\(ddp.output)")
        let b = numbers(one.ranks[0]["values"])
        for rank in 0..<4 {
            let a = numbers(ddp.ranks[rank]["values"])
            #expect(a.count == b.count)
            let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff < 1e-5, "rank \(rank): \(diff)")
        }
    }

    /// A parameter without a gradient stops the next forward with PyTorch's error (naming the
    /// parameter indices), unless findUnusedParameters, where its .grad stays nil on every rank.
    @Test func unusedParameters() throws {
        guard MPIRun.enabled else { return }
        let strict = try MPIRun.run("unused", np: 2)
        #expect(strict.status != 0)
        #expect(strict.output.contains("Expected to have finished reduction in the prior iteration before starting a new one."))
        #expect(strict.output.contains("Parameter indices which did not receive grad for rank 0: 2 3"))
        #expect(strict.ranks[0]["step"] == "0", "the first step runs; the second forward stops")
        let found = try MPIRun.run("unused-found", np: 2)
        #expect(found.status == 0, "\(found.output)")
        for rank in 0..<2 {
            #expect(found.ranks[rank]["step"] == "1")
            #expect(found.ranks[rank]["unused.grad"] == "nil")
            // loss = sum of a 3x2 output: d/dbias = 3 per output on every rank, averaged = 3
            #expect(found.ranks[rank]["used.grad"] == "[3,3]")
        }
    }

    /// A rank that skips a collective: the others stop after the group's timeout (3 s here) with a
    /// message naming the rank and the collective, and the whole job ends.
    @Test func aCollectiveThatNeverCompletesStopsTheJob() throws {
        guard MPIRun.enabled else { return }
        let r = try MPIRun.run("timeout", np: 2)
        #expect(r.status != 0)
        #expect(r.output.contains("[rank 0] allReduce #1 (2 float32 elements) did not finish within 3 s"), "\(r.output)")
        #expect(r.seconds < 60, "took \(r.seconds) s")   // rank 1 sleeps 120 s: it was killed, not waited for
    }

    /// Killing one rank mid-training (SIGKILL): the other ranks do not hang; mpirun names the rank.
    @Test func aKilledRankEndsTheJob() throws {
        guard MPIRun.enabled else { return }
        let r = try MPIRun.run("kill", np: 2)
        #expect(r.status != 0)
        #expect(r.output.contains("rank 1") && r.output.contains("signal 9"), "\(r.output)")
        #expect(r.ranks[0]["step"] != nil, "training had started")
        #expect(r.seconds < 60, "took \(r.seconds) s")
    }

    /// Without Open MPI: isAvailable is false with the reason; started by a launcher, initProcessGroup
    /// throws it; started without one, the program is a world of one process.
    @Test func missingOpenMPIIsReportedAndASingleProcessStillRuns() throws {
        guard MPIRun.checks != nil else { return }
        let missing = ["DESCENT_MPI": "/nonexistent/libmpi.so.40"]
        let alone = try MPIRun.run("availability", np: nil, env: missing)
        #expect(alone.output.contains("available=false"))
        #expect(alone.output.contains("reason=Open MPI is not installed: dlopen(\"/nonexistent/libmpi.so.40\") failed"))
        #expect(alone.output.contains("init=ok world=1 launched=false"))
        var launched = missing
        launched["OMPI_COMM_WORLD_SIZE"] = "2"
        let r = try MPIRun.run("availability", np: nil, env: launched)
        #expect(r.output.contains("init-error=Distributed backend mpi is not available: Open MPI is not installed"), "\(r.output)")
    }
}

/// `Trainer(strategy: .ddp, devices: 2)` under mpirun, on the embedded digits.
@Suite(.serialized) struct TrainerDDPTests {
    static func folder() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("descent-ddp-trainer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// The ranks start from different weights and end with the same ones (bit for bit); a value logged
    /// with syncDist is the same on both ranks while one logged without differs; the validation metric's
    /// compute() sums both ranks' counts, so it equals the accuracy over the whole validation set; only
    /// rank 0 wrote logs and checkpoints (each rank was given its own folder).
    @Test func fitOnTwoRanks() throws {
        guard MPIRun.enabled else { return }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try MPIRun.run("trainer", np: 2, args: [dir.path])
        #expect(r.status == 0, "\(r.output)")
        let a = r.ranks[0], b = r.ranks[1]
        #expect(a["params"] != nil && a["params"] == b["params"])
        #expect(a["train_loss"] != nil && a["train_loss"] == b["train_loss"])
        #expect(a["local_loss"] != b["local_loss"])
        #expect(a["val_acc"] == b["val_acc"])
        let acc = Double(a["val_acc"] ?? "") ?? -1, full = Double(a["full_val_acc"] ?? "") ?? -2
        #expect(abs(acc - full) < 1e-6, "synced \(acc), whole set \(full)")
        #expect(acc > 0.5, "it learned: \(acc)")
        #expect(a["global_zero"] == "true world=2" && b["global_zero"] == "false world=2")
        let fm = FileManager.default
        // 1397 samples: 699 per rank, 22 batches of 32, 4 epochs
        #expect(fm.fileExists(atPath: dir.path + "/rank0/checkpoints/epoch=3-step=88.ckpt"))
        #expect(fm.fileExists(atPath: dir.path + "/rank0/lightning_logs/version_0/metrics.csv"))
        #expect(!fm.fileExists(atPath: dir.path + "/rank1"), "rank 1 wrote nothing")
    }

    /// Rank 1 is killed in epoch 2: the job ends, and the last complete checkpoint (epoch 1) loads.
    @Test func aKilledRankLeavesALoadableCheckpoint() throws {
        guard MPIRun.enabled else { return }
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try MPIRun.run("trainer-kill", np: 2, args: [dir.path])
        #expect(r.status != 0)
        #expect(r.output.contains("rank 1") && r.output.contains("signal 9"), "\(r.output)")
        let last = dir.path + "/rank0/checkpoints/last.ckpt"
        let meta = try safetensorsMetadata(from: last)
        #expect(meta["epoch"] == "1" && meta["global_step"] == "44")
        let sd = try load(from: last)
        #expect(sd["net.1.weight"]?.shape == [32, 64])
    }
}

private func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

/// In this process (no launcher): a world of one, where collectives leave or copy their data.
@Suite(.serialized) struct DistributedSingleProcessTests {
    @Test func aWorldOfOneProcess() throws {
        #expect(!Distributed.isInitialized)
        try Distributed.initProcessGroup(backend: .mpi)
        defer { Distributed.destroyProcessGroup() }
        #expect(Distributed.isInitialized && Distributed.rank == 0 && Distributed.worldSize == 1)
        let t = Tensor([1.0, 2.0, 3.0])
        Distributed.allReduce(t, op: .average)
        #expect(t.toArray(Float.self) == [1, 2, 3])
        let list = [Tensor.zeros([3])]
        Distributed.allGather(list, t)
        #expect(list[0].toArray(Float.self) == [1, 2, 3])
        let out = Tensor.zeros([3])
        Distributed.reduceScatterTensor(out, Tensor([4.0, 5.0, 6.0]))
        #expect(out.toArray(Float.self) == [4, 5, 6])
        #expect(Distributed.allReduce(t, asyncOp: true).wait())
    }
}

/// `registerPostAccumulateGradHook`: runs once per backward, after every path's contribution.
@Suite struct PostAccumulateGradHookTests {
    @Test func runsOnceWithTheWholeGradient() {
        // w = torch.tensor([1., 2.], requires_grad=True); seen = []
        // w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
        // ((w * 3).sum() + (w * w).sum()).backward()   # seen == [tensor([5., 7.])]
        // ((w * 3).sum()).backward()                    # seen[1] == tensor([8., 10.])
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        var seen: [[Float]] = []
        let handle = w.registerPostAccumulateGradHook { p in seen.append(p.grad!.toArray(Float.self)) }
        ((w * 3).sum() + (w * w).sum()).backward()
        #expect(seen == [[5, 7]])
        (w * 3).sum().backward()
        #expect(seen == [[5, 7], [8, 10]])
        // autograd.grad does not accumulate, so the hook does not run
        _ = grad((w * 2).sum(), [w])
        #expect(seen.count == 2)
        handle.remove()
        (w * 3).sum().backward()
        #expect(seen.count == 2)
    }
}

/// DistributedSampler against PyTorch 2.13 (Benchmarks/distributed/sampler_reference.txt has the snippet):
///   s = DistributedSampler(range(n), num_replicas=R, rank=r, shuffle=..., seed=..., drop_last=...)
///   s.set_epoch(e); list(iter(s)), len(s)
@Suite struct DistributedSamplerTests {
    func indices(_ n: Int, _ replicas: Int, shuffle: Bool, seed: Int = 0, dropLast: Bool = false, epoch: Int = 0) -> [[Int]] {
        (0..<replicas).map { r in
            let s = DistributedSampler(count: n, numReplicas: replicas, rank: r, shuffle: shuffle, seed: seed, dropLast: dropLast)
            s.setEpoch(epoch)
            let idx = s.indices(count: n, generator: Generator(seed: 99))
            #expect(idx.count == s.count)
            return idx
        }
    }
    @Test func matchesPyTorch() {
        #expect(indices(10, 3, shuffle: true) == [[4, 5, 0, 2], [1, 3, 8, 4], [7, 9, 6, 1]])
        #expect(indices(10, 3, shuffle: true, epoch: 1) == [[5, 2, 9, 4], [6, 0, 3, 5], [1, 8, 7, 6]])
        #expect(indices(10, 3, shuffle: false) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]])
        #expect(indices(10, 3, shuffle: false, dropLast: true) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
        #expect(indices(11, 4, shuffle: true, seed: 42, dropLast: true, epoch: 2) == [[2, 5], [4, 3], [9, 7], [8, 6]])
        #expect(indices(5, 4, shuffle: false) == [[0, 4], [1, 0], [2, 1], [3, 2]])
        #expect(indices(2, 5, shuffle: false) == [[0], [1], [0], [1], [0]])
        #expect(indices(5, 4, shuffle: true) == [[4, 2], [0, 4], [1, 0], [3, 1]])
        #expect(indices(2, 5, shuffle: true) == [[0], [1], [0], [1], [0]])
    }
    @Test func loaderLengthFollowsTheSampler() {
        // len(DataLoader(range(10), batch_size=3, sampler=DistributedSampler(range(10), 3, 0))) == 2 (4 indices)
        let ds = TensorDataset(Tensor.arange(10.0))
        let loader = DataLoader(ds, batchSize: 3, sampler: DistributedSampler(ds, numReplicas: 3, rank: 0, shuffle: false))
        #expect(loader.count == 2)
        #expect(Array(loader).map { $0.toArray(Float.self) } == [[0, 3, 6], [9]])
    }
}
