import Foundation
import Testing
import Descent

// Lightning's val_check_interval, fast_dev_run and overfit_batches, checked against lightning 2.6.6
// (/tmp/ref/valcheck.py, in short):
//   torch.manual_seed(1); x = torch.randn(10, 3); y = x @ [[1], [-2], [0.5]] + 0.3
//   class Net: torch.manual_seed(0); lin = nn.Linear(3, 1); training_step logs "train_loss", validation_step "val_loss";
//     records t<i>, v<i>, "vend" (on_validation_epoch_end), "tend" (on_train_epoch_end); SGD(lr=0.1)
//   ck = ModelCheckpoint(dirpath=d + "/ck", monitor="val_loss", save_top_k=-1, filename="{epoch}-{step}")
//   L.Trainer(max_epochs=2, logger=CSVLogger(d), log_every_n_steps=1, callbacks=[ck], **kw).fit(m,
//     DataLoader(TensorDataset(x, y), batch_size=2), DataLoader(TensorDataset(x[:4], y[:4]), batch_size=2))

private final class Net: Module, TrainingModule {
    let lin: Linear
    var calls: [String] = []
    override init() { manualSeed(0); lin = Linear(3, 1); super.init() }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let loss = mseLoss(self(batch.0), batch.1)
        log("train_loss", loss)
        calls.append("t\(batchIndex)")
        return loss
    }
    func validationStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor? {
        let loss = mseLoss(self(batch.0), batch.1)
        log("val_loss", loss)
        calls.append("v\(batchIndex)")
        return loss
    }
    func onValidationEpochEnd() { calls.append("vend") }
    func onTrainEpochEnd() { calls.append("tend") }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}

private struct Run {
    let net: Net, trainer: Trainer, csv: CSVLogger, checkpoints: [String]?
    var calls: String { net.calls.joined(separator: " ") }
    var valRows: [[String: Double]] { csv.rows.filter { $0["val_loss"] != nil } }
}

private func run(maxEpochs: Int = 2, numSanityValSteps: Int = 2, fastDevRun: FastDevRun = false, overfitBatches: BatchLimit = 0,
                 valCheckInterval: BatchLimit = 1.0, shuffle: Bool = false) throws -> Run {
    let dir = NSTemporaryDirectory() + "descent-flags-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    manualSeed(1)
    let x = Tensor.randn(10, 3)
    let y = x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3
    let net = Net()
    let csv = CSVLogger(saveDir: dir)
    let ck = ModelCheckpoint(dirpath: dir + "/ck", filename: "{epoch}-{step}", monitor: "val_loss", saveTopK: -1)
    let trainer = Trainer(maxEpochs: maxEpochs, callbacks: [ck], logger: csv, fastDevRun: fastDevRun, enableProgressBar: false,
                          enableModelSummary: false, logEveryNSteps: 1, numSanityValSteps: numSanityValSteps,
                          overfitBatches: overfitBatches, valCheckInterval: valCheckInterval)
    try trainer.fit(net, trainDataLoaders: DataLoader(TensorDataset(x, y), batchSize: 2, shuffle: shuffle),
                    valDataLoaders: DataLoader(TensorDataset(x[0..<4], y[0..<4]), batchSize: 2))
    let files = try? FileManager.default.contentsOfDirectory(atPath: dir + "/ck").sorted()
    return Run(net: net, trainer: trainer, csv: csv, checkpoints: files)
}

private func expectClose(_ a: [Double], _ b: [Double], _ tol: Double = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    for (u, v) in zip(a, b) { #expect(abs(u - v) < tol, "\(a) vs \(b)", sourceLocation: sourceLocation) }
}

extension Core {
@Suite struct TrainerFlagsTests {
    @Test func theSanityCheckLeavesTheRandomStreamsAlone() throws {
        // Lightning runs the sanity check inside isolate_rng(), so a shuffled fit trains on the same order with
        // num_sanity_val_steps=2 as with 0 and leaves the global generator where it would be without it.
        // Measured with lightning 2.6.6: torch.manual_seed(7); Trainer(max_epochs=e, num_sanity_val_steps=s).fit(m,
        //   DataLoader(ds, batch_size=4, shuffle=True), DataLoader(ds, batch_size=4)) then counting int64 draws from
        //   the seed to torch.get_rng_state(): 3 for e=1 and 6 for e=2, with s=0 and s=2 alike
        let a = try run(numSanityValSteps: 2, shuffle: true)
        let stateA = getRNGState()
        let b = try run(numSanityValSteps: 0, shuffle: true)
        let stateB = getRNGState()
        #expect(stateA == stateB)
        #expect(a.net.lin.weight.equal(b.net.lin.weight) && a.calls.hasPrefix("v0 v1 vend t0"))
    }

    @Test func aLoaderWithItsOwnGeneratorShufflesEachEpochAsLightning() throws {
        // Lightning stops an epoch at its last batch without asking the loader for another, so a sampler that
        // ends on a full batch never runs its closing randperm on the loader's generator: its epochs see
        // next(iter(loader))'s orders, not a plain `for` loop's. Measured with lightning 2.6.6:
        //   torch.manual_seed(0); X = torch.randn(128, 2); Y = torch.randint(0, 3, (128,))
        //   DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(5)),
        //   Trainer(max_epochs=3).fit(m, loader): the first batch's Y[:6] per epoch
        //   -> [[1, 0, 0, 1, 0, 0], [2, 2, 0, 1, 0, 1], [2, 0, 0, 2, 0, 0]] (a plain loop: [1, 0, 1, 1, 0, 1] at epoch 1)
        final class Seen: Module, TrainingModule {
            let l = Linear(2, 3)
            var firsts: [[Int]] = []
            override func forward(_ x: Tensor) -> Tensor { l(x) }
            func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
                if batchIndex == 0 { firsts.append(ints(batch.1[0..<6])) }
                return crossEntropy(self(batch.0), batch.1)
            }
            func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
        }
        manualSeed(0)
        let x = Tensor.randn(128, 2), y = Tensor.randint(0, 3, [128])
        let m = Seen()
        let loader = DataLoader(TensorDataset(x, y), batchSize: 16, shuffle: true, generator: Generator().manualSeed(5))
        try Trainer(maxEpochs: 3, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
            .fit(m, trainDataLoaders: loader)
        #expect(m.firsts == [[1, 0, 0, 1, 0, 0], [2, 2, 0, 1, 0, 1], [2, 0, 0, 2, 0, 0]])
    }

    @Test(arguments: [BatchLimit.batches(2), .fraction(0.5)])
    func valCheckIntervalValidatesWithinTheEpoch(_ interval: BatchLimit) throws {
        // 2 and 0.5 (int(5 * 0.5) = 2) both validate after batches 2 and 4 of 5, not at the epoch's end
        let r = try run(valCheckInterval: interval)
        #expect(r.calls == "v0 v1 vend t0 t1 v0 v1 vend t2 t3 v0 v1 vend t4 tend t0 t1 v0 v1 vend t2 t3 v0 v1 vend t4 tend")
        #expect(r.valRows.map { $0["step"]! } == [1, 3, 6, 8] && r.valRows.map { $0["epoch"]! } == [0, 0, 1, 1])
        expectClose(r.valRows.map { $0["val_loss"]! }, [2.057101, 0.808507, 0.125566, 0.143448])
        // checkpoints after each validation, not at the epoch's end (Lightning's _should_save_on_train_epoch_end)
        #expect(r.checkpoints == ["epoch=0-step=2.ckpt", "epoch=0-step=4.ckpt", "epoch=1-step=7.ckpt", "epoch=1-step=9.ckpt"])
        #expect(r.trainer.globalStep == 10 && r.trainer.currentEpoch == 2)
        expectClose(r.net.lin.weight.flatten().toArray(Float.self).map(Double.init), [0.5058416128158569, -1.8825234174728394, 0.6270366907119751])
    }

    @Test func valCheckEveryBatch() throws {
        // 0.25: int(5 * 0.25) = 1, every batch
        let r = try run(numSanityValSteps: 0, valCheckInterval: 0.25)
        #expect(r.calls == (0..<2).map { _ in (0..<5).map { "t\($0) v0 v1 vend" }.joined(separator: " ") + " tend" }.joined(separator: " "))
        #expect(r.valRows.map { $0["step"]! } == (0..<10).map(Double.init))
        expectClose(r.valRows.map { $0["val_loss"]! }, [4.345713, 2.057101, 0.9199, 0.808507, 0.859118, 0.138377, 0.125566, 0.140016, 0.143448, 0.160423])
        #expect(r.checkpoints?.count == 10 && r.checkpoints?.contains("epoch=1-step=10.ckpt") == true)
    }

    @Test func fastDevRunRunsABatchOfEachLoopAndWritesNothing() throws {
        let one = try run(fastDevRun: true)
        #expect(one.calls == "t0 v0 vend tend" && one.trainer.globalStep == 1 && one.trainer.currentEpoch == 1)
        #expect(one.checkpoints == nil && one.csv.rows.isEmpty && one.trainer.loggers.first is DummyLogger)
        expectClose(one.net.lin.weight.flatten().toArray(Float.self).map(Double.init), [0.1536462903022766, 0.300689697265625, -0.4175969660282135])
        let three = try run(fastDevRun: 3)
        #expect(three.calls == "t0 t1 t2 v0 v1 vend tend" && three.trainer.globalStep == 3 && three.checkpoints == nil)
        expectClose(three.net.lin.weight.flatten().toArray(Float.self).map(Double.init), [0.09909532219171524, -1.5086430311203003, -0.5788883566856384])
    }

    @Test(arguments: [false, true])
    func overfitBatchesTrainsOnTheSameBatches(_ shuffle: Bool) throws {
        // a shuffled training loader is read in order (Lightning turns shuffling off, with a warning)
        let r = try run(maxEpochs: 3, overfitBatches: 2, shuffle: shuffle)
        #expect(r.calls == "v0 v1 vend" + String(repeating: " t0 t1 v0 v1 vend tend", count: 3))
        #expect(r.valRows.map { $0["step"]! } == [1, 3, 5] && r.valRows.map { $0["epoch"]! } == [0, 1, 2])
        expectClose(r.valRows.map { $0["val_loss"]! }, [2.057101, 1.177633, 0.639491])
        #expect(r.checkpoints == ["epoch=0-step=2.ckpt", "epoch=1-step=4.ckpt", "epoch=2-step=6.ckpt"])
        expectClose(r.net.lin.weight.flatten().toArray(Float.self).map(Double.init), [0.5467963218688965, -1.0155242681503296, -0.6852797865867615])
    }

    @Test func valCheckIntervalPastTheEpochStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = try? run(valCheckInterval: 7) }
        #expect(stderr(r).contains("`val_check_interval` (7) must be less than or equal to the number of the training batches (5)."))
    }
}
}
