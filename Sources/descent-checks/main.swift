// Programs that the tests start as separate processes: under `mpirun` (Tests/DescentTests/DistributedTests.swift)
// or to be killed mid-training (ResumeTests.swift). Each prints what it computed, one `rank=R name=value` line
// per result, and the test compares those lines with values worked out by hand or with another run.
// Not a user-facing tool.
import Descent
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Each rank's lines go to `$DESCENT_CHECK_OUT/rank<R>.txt` when that is set (mpirun would interleave long
/// lines of several ranks on one stdout), else to stdout.
func out(_ name: String, _ value: String) {
    let rank = Distributed.isInitialized ? Distributed.rank : 0
    let line = "rank=\(rank) \(name)=\(value)\n"
    if let dir = ProcessInfo.processInfo.environment["DESCENT_CHECK_OUT"] {
        let path = "\(dir)/rank\(rank).txt"
        if let h = FileHandle(forWritingAtPath: path) { h.seekToEndOfFile(); h.write(Data(line.utf8)); h.closeFile() }
        else { _ = FileManager.default.createFile(atPath: path, contents: Data(line.utf8)) }
    } else {
        print(line, terminator: "")
        fflush(stdout)
    }
}
func values(_ t: Tensor) -> String {
    let v = t.to(dtype: .float64).reshape([-1]).toArray(Double.self)
    return "[" + v.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) }.joined(separator: ",") + "]"
}
/// The exact bits of float32 values, to compare ranks bit for bit.
func bits(_ t: Tensor) -> String {
    t.contiguous().reshape([-1]).toArray(Float.self).map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
}

let args = CommandLine.arguments.dropFirst()
guard let scenario = args.first else {
    print("usage: descent-checks collectives|ddp|ddp-reference|unused|unused-found|timeout|kill|availability")
    exit(2)
}

switch scenario {
case "collectives":
    try Distributed.initProcessGroup(backend: .mpi)
    let r = Double(Distributed.rank + 1), n = Distributed.worldSize
    out("world", "\(n)")
    for (name, op) in [("sum", Distributed.ReduceOp.sum), ("avg", .avg), ("max", .max), ("min", .min), ("product", .product)] {
        let t = Tensor([1, 2, 3] as [Float]) * r
        Distributed.allReduce(t, op: op)
        out("allReduce.\(name)", values(t))
    }
    let i = Tensor([10, -20] as [Int]) * Int(r)
    Distributed.allReduce(i, op: .sum)
    out("allReduce.int64", values(i))
    let b = Tensor([Distributed.rank == 0, false])
    Distributed.allReduce(b, op: .max)
    out("allReduce.bool.max", values(b))
    let a = Tensor([0.5, 0.25] as [Double]) * r
    let w = Distributed.allReduce(a, op: .sum, asyncOp: true)
    w.wait()
    out("allReduce.async", values(a) + " completed=\(w.isCompleted)")
    let bc = Tensor([r, r * 10])
    Distributed.broadcast(bc, src: n - 1)
    out("broadcast.last", values(bc))
    let list = (0..<n).map { _ in Tensor.zeros([2]) }
    Distributed.allGather(list, Tensor([r, -r]))
    out("allGather", list.map(values).joined(separator: ";"))
    let into = Tensor.zeros([2 * n])
    Distributed.allGatherIntoTensor(into, Tensor([r, -r]), asyncOp: true).wait()
    out("allGatherIntoTensor", values(into))
    let rs = Tensor.zeros([2])
    Distributed.reduceScatter(rs, (0..<n).map { k in Tensor([Double(k), 100]) * r })
    out("reduceScatter", values(rs))
    let rst = Tensor.zeros([2])
    Distributed.reduceScatterTensor(rst, Tensor.arange(Double(2 * n)) * r, op: .max)
    out("reduceScatterTensor.max", values(rst))
    Distributed.barrier()
    out("barrier", "passed")
    Distributed.destroyProcessGroup()
    print("initialized-after-destroy=\(Distributed.isInitialized)")

case "metrics":
    // Metric states synced across ranks: each rank sees every n-th of 20 scores (unequal shares for n = 3)
    try Distributed.initProcessGroup(backend: .mpi)
    let n = Distributed.worldSize, r = Distributed.rank
    manualSeed(0)
    let scores = Tensor.rand(20), labels = Tensor.randint(0, 2, [20])
    let mine = Tensor(Array(stride(from: r, to: 20, by: n)))
    let auroc = AUROC(task: .binary), top = MaxMetric(), all = CatMetric(), acc = Accuracy(task: .binary)
    auroc.update(scores.indexSelect(dim: 0, mine), labels.indexSelect(dim: 0, mine))
    acc.update(scores.indexSelect(dim: 0, mine), labels.indexSelect(dim: 0, mine))
    top.update(scores.indexSelect(dim: 0, mine))
    all.update(scores.indexSelect(dim: 0, mine))
    out("auroc", "\(auroc.compute().item())")
    out("auroc.full", "\(AUROC(task: .binary)(scores, labels).item())")
    out("accuracy", "\(acc.compute().item())")
    out("accuracy.full", "\(Accuracy(task: .binary)(scores, labels).item())")
    out("max", "\(top.compute().item()) full=\(scores.max().item())")
    out("cat", values(all.compute().sort().values) + " full=" + values(scores.sort().values))
    out("localStates", "\(auroc.state.count / 2)")
    Distributed.destroyProcessGroup()

case "ddp", "ddp-reference":
    // DDP on N ranks with batch 64/N each against one process with batch 64: the same data (a
    // DistributedSampler splits every 64-sample block of the shuffled order across the ranks), the same
    // start (rank 0's parameters, broadcast), SGD with momentum, and one step accumulated over two
    // micro-batches with noSync.
    let reference = scenario == "ddp-reference"
    try Distributed.initProcessGroup(backend: .mpi)
    let world = reference ? 1 : Distributed.worldSize
    manualSeed(7)
    let x = Tensor.randn([512, 10]), y = (x[0..., 0..<1] * 2 - x[0..., 1..<2]).sin()
    let ds = TensorDataset(x, y)
    manualSeed(100 + (reference ? 0 : Distributed.rank))   // different starts: DDP must broadcast rank 0's
    let net = Sequential(Linear(10, 32), Tanh(), Linear(32, 32), ReLU(), Linear(32, 1))
    let sampler = DistributedSampler(ds, numReplicas: world, rank: reference ? 0 : Distributed.rank, shuffle: true, seed: 3)
    let loader = DataLoader(ds, batchSize: 64 / world, sampler: sampler)
    let model: Module = reference ? net : DistributedDataParallel(net, bucketCapMB: 0.001)  // several buckets
    let opt = SGD(model.parameters(), lr: 0.05, momentum: 0.9)
    if !reference, let ddp = model as? DistributedDataParallel {
        out("start", bits(ddp.module.parameters()[0]))
    }
    for epoch in 0..<2 {
        sampler.setEpoch(epoch)
        var pending = false
        for (i, (xb, yb)) in loader.enumerated() {
            if i % 3 == 1 {
                // accumulate this micro-batch locally; the next one's backward averages both
                opt.zeroGrad()
                let l = mseLoss(model(xb), yb)
                if let ddp = model as? DistributedDataParallel { ddp.noSync { l.backward() } } else { l.backward() }
                pending = true
                continue
            }
            if !pending { opt.zeroGrad() }
            pending = false
            mseLoss(model(xb), yb).backward()
            opt.step()
        }
    }
    let params = model.parameters()
    out("params", params.map(bits).joined(separator: ";"))
    out("values", params.map(values).joined(separator: ";"))

case "unused", "unused-found":
    // The second layer takes no part in the loss.
    final class TwoHeads: Module {
        let used = Linear(4, 2), unused = Linear(4, 2)
        override func forward(_ x: Tensor) -> Tensor { used(x) }
    }
    try Distributed.initProcessGroup(backend: .mpi)
    manualSeed(1)
    let ddp = DistributedDataParallel(TwoHeads(), findUnusedParameters: scenario == "unused-found")
    let x = Tensor.randn([3, 4])
    for step in 0..<2 {
        ddp.zeroGrad()
        ddp(x).sum().backward()
        out("step", "\(step)")
    }
    let inner = ddp.module as! TwoHeads
    out("unused.grad", inner.unused.weight.grad == nil ? "nil" : values(inner.unused.weight.grad!))
    out("used.grad", values(inner.used.bias!.grad!))

case "timeout":
    // Rank 1 leaves the collective out: rank 0 must stop within its timeout and take the job down.
    try Distributed.initProcessGroup(backend: .mpi, timeout: 3)
    if Distributed.rank == 1 { sleep(120) }
    Distributed.allReduce(Tensor([1.0, 2.0]))
    out("unreachable", "true")

case "kill":
    // Rank 1 dies (SIGKILL) in the middle of DDP training: the other ranks must not hang.
    try Distributed.initProcessGroup(backend: .mpi)
    manualSeed(0)
    let ddp = DistributedDataParallel(Sequential(Linear(8, 16), ReLU(), Linear(16, 1)))
    let opt = SGD(ddp.parameters(), lr: 0.01)
    for step in 0..<1_000_000 {
        if step == 20 && Distributed.rank == 1 { kill(getpid(), SIGKILL) }
        opt.zeroGrad()
        ddp(Tensor.randn([16, 8])).square().mean().backward()
        opt.step()
        if step % 10 == 0 { out("step", "\(step)") }
    }

case "trainer", "trainer-kill":
    // Trainer(strategy: .ddp) on the embedded digits: every rank writes under its own folder, so the
    // test can see that only rank 0 wrote. "trainer-kill": rank 1 dies in epoch 2.
    let dir = CommandLine.arguments[2]
    let kill = scenario == "trainer-kill"
    final class Net: Module, TrainingModule {
        let net = Sequential(Flatten(), Linear(64, 32), ReLU(), Linear(32, 10))
        let valAcc = Accuracy(task: .multiclass(numClasses: 10))
        override func forward(_ x: Tensor) -> Tensor { net(x) }
        func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
            let loss = crossEntropy(self(batch.0), batch.1)
            log("train_loss", loss, onEpoch: true, syncDist: true)
            log("local_loss", loss, onStep: false, onEpoch: true)
            return loss
        }
        func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
            _ = valAcc(self(batch.0), batch.1)
            log("val_acc", valAcc)
            return nil
        }
        func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
    }
    final class Killer: Callback {
        override func onTrainBatchEnd(_ trainer: Trainer, _ module: Module, loss: Tensor, batchIndex: Int) throws {
            if trainer.currentEpoch == 2 && batchIndex == 3 && trainer.globalRank == 1 { Glibc.kill(getpid(), SIGKILL) }
        }
    }
    manualSeed(0)
    let digits = try Digits()
    let parts = randomSplit(digits, [1397, 400], generator: Generator(seed: 1))
    try Distributed.initProcessGroup(backend: .mpi)
    let rank = Distributed.rank
    manualSeed(10 + rank)   // different initial weights: the trainer must broadcast rank 0's
    let model = Net()
    let mine = "\(dir)/rank\(rank)"
    let trainer = Trainer(maxEpochs: 4, callbacks: [ModelCheckpoint(dirpath: mine + "/checkpoints", saveLast: true)] + (kill ? [Killer()] : []),
                          logger: CSVLogger(saveDir: mine), enableProgressBar: false, enableModelSummary: false,
                          numSanityValSteps: 0, strategy: .ddp, devices: 2)
    try trainer.fit(model, trainDataLoaders: DataLoader(parts[0], batchSize: 32, shuffle: true),
                    valDataLoaders: DataLoader(parts[1], batchSize: 50))
    out("params", model.parameters().map(bits).joined(separator: ";"))
    out("train_loss", "\(trainer.callbackMetrics["train_loss"]!)")
    out("local_loss", "\(trainer.callbackMetrics["local_loss"]!)")
    out("val_acc", "\(trainer.callbackMetrics["val_acc"]!)")
    out("global_zero", "\(trainer.isGlobalZero) world=\(trainer.worldSize)")
    // the whole validation set on this process alone: what the synced metric must equal
    let x = stack((0..<parts[1].count).map { parts[1][$0].0 }), y = Tensor((0..<parts[1].count).map { parts[1][$0].1 })
    let acc = noGrad { (model(x).argmax(dim: 1) .== y).to(dtype: .float64).mean().item() }
    out("full_val_acc", "\(acc)")

case "resume":
    // Trainer on the embedded digits with shuffling, dropout and a StepLR scheduler, checkpointing every
    // 5 optimizer steps (mid-epoch). Arguments: folder, then "full", "kill:<step>" (SIGKILL itself right
    // after that optimizer step) or "resume" (from folder/checkpoints/last.ckpt), optionally followed by
    // "kill:<step>" again. Prints the final parameters' bits.
    let dir = CommandLine.arguments[2]
    let modes = Array(CommandLine.arguments.dropFirst(3))
    let killAt = modes.first { $0.hasPrefix("kill:") }.flatMap { Int($0.dropFirst(5)) }
    final class Net: Module, TrainingModule {
        let net = Sequential(Flatten(), Linear(64, 48), ReLU(), Dropout(0.3), Linear(48, 10))
        override func forward(_ x: Tensor) -> Tensor { net(x) }
        func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
            let loss = crossEntropy(self(batch.0), batch.1)
            log("train_loss", loss)
            return loss
        }
        func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.2, momentum: 0.9) }
        func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { StepLR(optimizer, stepSize: 1, gamma: 0.5) }
    }
    final class Killer: Callback {
        let step: Int
        init(step: Int) { self.step = step }
        override func onTrainBatchEnd(_ trainer: Trainer, _ module: Module, loss: Tensor, batchIndex: Int) throws {
            if trainer.globalStep == step { Glibc.kill(getpid(), SIGKILL) }
        }
    }
    manualSeed(0)
    let digits = try Digits()
    let train = randomSplit(digits, [1397, 400], generator: Generator(seed: 1))[0]
    manualSeed(5)
    let model = Net()
    // the checkpoint callback first: it saves before the killer fires at the same step
    let trainer = Trainer(maxEpochs: 3, callbacks: [ModelCheckpoint(dirpath: dir + "/checkpoints", saveLast: true, everyNTrainSteps: 5)]
                                                   + (killAt.map { [Killer(step: $0)] } ?? []),
                          logger: false, enableProgressBar: false, enableModelSummary: false)
    let loader = DataLoader(train, batchSize: 64, shuffle: true)
    try trainer.fit(model, trainDataLoaders: loader, ckptPath: modes.first == "resume" ? dir + "/checkpoints/last.ckpt" : nil)
    out("params", model.parameters().map(bits).joined(separator: ";"))
    out("global_step", "\(trainer.globalStep)")
    out("lr", "\(trainer.optimizer!.paramGroups[0].lr)")

case "availability":
    // Where Open MPI is missing (DESCENT_MPI names a library that is not there)
    print("available=\(Distributed.isAvailable(.mpi))")
    print("reason=\(Distributed.unavailableReason(.mpi) ?? "none")")
    do {
        try Distributed.initProcessGroup(backend: .mpi)
        print("init=ok world=\(Distributed.worldSize) launched=\(Distributed.isLaunched)")
    } catch {
        print("init-error=\(error)")
    }

default:
    print("unknown scenario \(scenario)")
    exit(2)
}
