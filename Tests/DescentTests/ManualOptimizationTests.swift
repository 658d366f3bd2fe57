import Foundation
import Testing
import Descent

// Lightning's manual optimization: automatic_optimization = False, self.optimizers(), manual_backward,
// toggle_optimizer, clip_gradients, lr_schedulers(), several optimizers (a GAN). Expected values from
// lightning 2.6.6 with torch 2.13 (the scripts are beside each test).

/// y = x·[1, -2, 0.5] + 0.3: 10 training rows in batches of 4 (3 batches an epoch).
private final class Rows: DataModule {
    let x: Tensor, y: Tensor
    init() { manualSeed(1); x = Tensor.randn(10, 3); y = x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3 }
    func trainDataLoader() -> DataLoader<TensorDataset<(Tensor, Tensor)>> { DataLoader(TensorDataset(x, y), batchSize: 4) }
}

/// A GAN in miniature: a Linear(2, 3) generator against a Linear(3, 4)-Tanh-Linear(4, 1) discriminator.
private final class GAN: Module, TrainingModule {
    let gen: Linear, disc: Sequential
    let automaticOptimization = false
    var steps: [Int] = [], discGrads: [Double?] = []
    override init() {
        manualSeed(0)
        gen = Linear(2, 3); disc = Sequential { Linear(3, 4); Tanh(); Linear(4, 1) }
        super.init()
    }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let real = batch.0, n = real.shape[0]
        let opts = optimizers()
        let (gOpt, dOpt) = (opts[0], opts[1])
        let z = Tensor.randn(n, 2)
        toggleOptimizer(gOpt)
        let fake = gen(z)
        let gLoss = binaryCrossEntropyWithLogits(disc(fake), Tensor.ones(n, 1))
        gOpt.zeroGrad(); manualBackward(gLoss); gOpt.step()
        discGrads.append((disc[0] as! Linear).bias!.grad?.sum().item())
        untoggleOptimizer(gOpt)
        let dLoss = toggledOptimizer(dOpt) {
            let d = (binaryCrossEntropyWithLogits(disc(real), Tensor.ones(n, 1))
                     + binaryCrossEntropyWithLogits(disc(fake.detach()), Tensor.zeros(n, 1))) / 2
            dOpt.zeroGrad(); manualBackward(d); dOpt.step()
            return d
        }
        logDict(["g_loss": gLoss, "d_loss": dLoss], progressBar: true)
        steps.append(trainer!.globalStep)
        return dLoss
    }
    func configureOptimizers() -> [Optimizer] {
        [Adam(gen.parameters(), lr: 0.01, betas: (0.5, 0.999)), Adam(disc.parameters(), lr: 0.02)]
    }
}

/// Manual optimization with one optimizer: clipped by norm, a StepLR stepped by hand after each epoch's last batch.
private final class OneOpt: Module, TrainingModule {
    let lin: Linear
    let automaticOptimization = false
    let clipByValue: Bool
    init(clipByValue: Bool = false) { manualSeed(0); lin = Linear(3, 1); self.clipByValue = clipByValue; super.init() }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let opt = optimizers()
        let loss = mseLoss(self(batch.0), batch.1)
        opt.zeroGrad(); manualBackward(loss)
        if clipByValue { clipGradients(opt[0], gradientClipVal: 0.2, gradientClipAlgorithm: "value") }
        else { clipGradients(opt[0], gradientClipVal: 0.5, gradientClipAlgorithm: "norm") }
        opt.step()
        if !clipByValue {
            if trainer!.isLastBatch { lrSchedulers().step() }
            log("loss", loss, onStep: true, onEpoch: true)
        }
        return loss
    }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1, momentum: 0.9) }
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { clipByValue ? nil : StepLR(optimizer, stepSize: 1, gamma: 0.5) }
}

/// Automatic optimization with two optimizers (not allowed).
private final class TwoAuto: Module, TrainingModule {
    let a = Linear(3, 1), b = Linear(3, 1)
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(a(batch.0) + b(batch.0), batch.1) }
    func configureOptimizers() -> [Optimizer] { [SGD(a.parameters(), lr: 0.1), SGD(b.parameters(), lr: 0.1)] }
}

/// Automatic optimization calling manualBackward (not allowed).
private final class AutoCallsManual: Module, TrainingModule {
    let a = Linear(3, 1)
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let l = mseLoss(a(batch.0), batch.1); manualBackward(l); return l
    }
    func configureOptimizers() -> Optimizer { SGD(a.parameters(), lr: 0.1) }
}

/// Implements neither form of configureOptimizers.
private final class NoOptimizer: Module, TrainingModule {
    let a = Linear(3, 1)
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(a(batch.0), batch.1) }
}

private func scratch() -> String { NSTemporaryDirectory() + "descent-mo-" + UUID().uuidString }
private func quiet(maxEpochs: Int? = nil, maxSteps: Int = -1, callbacks: [Callback] = [], logger: ExperimentLogger? = nil,
                   logEveryNSteps: Int = 50, gradientClipVal: Double? = nil, accumulateGradBatches: Int = 1,
                   checkpointing: Bool = false) -> Trainer {
    Trainer(maxEpochs: maxEpochs, maxSteps: maxSteps, callbacks: callbacks, loggers: logger.map { [$0] } ?? [],
            enableCheckpointing: checkpointing, enableProgressBar: false, enableModelSummary: false, logEveryNSteps: logEveryNSteps,
            accumulateGradBatches: accumulateGradBatches, gradientClipVal: gradientClipVal)
}

extension Core {
@Suite struct ManualOptimizationTests {
    // /tmp/ref/gan.py, in short (Lightning 2.6.6):
    //   class GAN(L.LightningModule): automatic_optimization = False; torch.manual_seed(0); gen = nn.Linear(2, 3)
    //     disc = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    //     training_step: g_opt, d_opt = self.optimizers(); z = torch.randn(n, 2); toggle g_opt; fake = gen(z)
    //       g_loss = bce_logits(disc(fake), 1); g_opt.zero_grad(); manual_backward(g_loss); g_opt.step()
    //       record disc[0].bias.grad.sum(); untoggle; toggle d_opt; d_loss = (bce_logits(disc(real), 1)
    //       + bce_logits(disc(fake.detach()), 0)) / 2; zero_grad, manual_backward, step; untoggle
    //       self.log_dict({"g_loss": g_loss, "d_loss": d_loss}, prog_bar=True); record trainer.global_step
    //     configure_optimizers: [Adam(gen, lr=0.01, betas=(0.5, 0.999)), Adam(disc, lr=0.02)], []
    //   L.Trainer(max_epochs=2, logger=CSVLogger(d), log_every_n_steps=2, callbacks=[LearningRateMonitor()])
    @Test func ganWithTwoOptimizersFollowsLightning() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = CSVLogger(saveDir: dir)
        let rows = Rows()   // the data first: training draws from the generator as the GAN's init left it
        let gan = GAN()
        let trainer = quiet(maxEpochs: 2, callbacks: [LearningRateMonitor()], logger: csv, logEveryNSteps: 2)
        try trainer.fit(gan, dataModule: rows)
        // both optimizers' steps count: 2 a batch, 6 batches
        #expect(trainer.globalStep == 12 && gan.steps == [2, 4, 6, 8, 10, 12] && trainer.batchesThatStepped == 6)
        // toggled: the generator's backward left the discriminator's gradient as its own last backward made it
        let grads = [0.06369131803512573, -0.007872901856899261, 0.0114530548453331, 0.051589950919151306, -0.04330740496516228]
        #expect(gan.discGrads.count == 6 && gan.discGrads[0] == nil)
        for (g, e) in zip(gan.discGrads.dropFirst(), grads) { #expect(abs(g! - e) < 1e-6) }
        // the loggers number rows by batches (1, 3, 5), not by optimizer steps
        let lossRows = csv.rows.filter { $0["g_loss"] != nil }
        #expect(lossRows.map { $0["step"]! } == [1, 3, 5] && lossRows.map { $0["epoch"]! } == [0, 1, 1])
        let g = [0.9201822876930237, 0.8908293843269348, 0.7472014427185059], d = [0.753270149230957, 0.5502962470054626, 0.7558244466781616]
        for (r, (ge, de)) in zip(lossRows, zip(g, d)) { #expect(abs(r["g_loss"]! - ge) < 1e-5 && abs(r["d_loss"]! - de) < 1e-5) }
        // LearningRateMonitor names a repeated optimizer type lr-Adam, lr-Adam-1; at epoch starts (steps 0, 3) and logging batches
        let lrRows = csv.rows.filter { $0["lr-Adam"] != nil }
        #expect(lrRows.map { $0["step"]! } == [0, 1, 3, 3, 5])
        #expect(lrRows.allSatisfy { $0["lr-Adam"] == 0.01 && $0["lr-Adam-1"] == 0.02 })
        expectValues(gan.gen.weight.flatten(), [-0.026693154126405716, 0.3462298810482025, -0.5804446339607239,
                                                -0.5549399256706238, -0.261668860912323, 0.1555778980255127], atol: 1e-5)
        #expect(abs((gan.disc[2] as! Linear).bias!.item() - -0.019750092178583145) < 1e-5)
        #expect(trainer.progressBarMetrics.keys.sorted() == ["d_loss", "g_loss"])
        // every parameter requires gradients again after the untoggles
        let untoggled = gan.parameters().allSatisfy { $0.requiresGrad }
        #expect(untoggled)

        // max_steps counts optimizer steps: 5 stops after 3 batches (6 steps), checked before each batch
        let g2 = GAN()
        let t2 = quiet(maxSteps: 5)
        try t2.fit(g2, dataModule: rows)
        #expect(t2.globalStep == 6 && t2.currentEpoch == 1 && g2.steps == [2, 4, 6])
    }

    // /tmp/ref/manual1.py: automatic_optimization = False; torch.manual_seed(0); lin = nn.Linear(3, 1)
    //   training_step: opt = self.optimizers(); sch = self.lr_schedulers(); loss = mse(lin(x), y); opt.zero_grad()
    //     self.manual_backward(loss); self.clip_gradients(opt, gradient_clip_val=0.5, gradient_clip_algorithm="norm")
    //     opt.step(); if self.trainer.is_last_batch: sch.step(); self.log("loss", loss, on_step=True, on_epoch=True)
    //   configure_optimizers: o = SGD(lr=0.1, momentum=0.9); [o], [StepLR(o, 1, 0.5)]
    //   L.Trainer(max_epochs=3, logger=CSVLogger(d), log_every_n_steps=2)
    //   the same module stepping `opt.zero_grad(); manual_backward(loss); clip_gradients(opt, 0.2, "value"); opt.step()`, 1 epoch
    @Test func oneOptimizerByHandWithSchedulerAndClipping() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = CSVLogger(saveDir: dir)
        let net = OneOpt()
        let trainer = quiet(maxEpochs: 3, logger: csv, logEveryNSteps: 2)
        try trainer.fit(net, dataModule: Rows())
        // the Trainer did not step the scheduler: the module's three steps halve 0.1 three times
        #expect(trainer.globalStep == 9 && trainer.optimizer!.paramGroups[0].lr == 0.0125)
        expectValues(net.lin.weight.flatten(), [0.02260499633848667, -0.3377104103565216, -0.31250956654548645], atol: 1e-5)
        #expect(abs(net.lin.bias!.item() - -0.310731440782547) < 1e-5)
        let steps = csv.rows.filter { $0["loss_step"] != nil }, epochs = csv.rows.filter { $0["loss_epoch"] != nil }
        #expect(steps.map { $0["step"]! } == [1, 3, 5, 7] && epochs.map { $0["step"]! } == [2, 5, 8])
        for (r, e) in zip(steps, [19.981159210205078, 3.2242422103881836, 11.906697273254395, 13.203620910644531]) {
            #expect(abs(r["loss_step"]! - e) < 1e-4)
        }
        for (r, e) in zip(epochs, [12.65568733215332, 10.185111045837402, 8.200172424316406]) { #expect(abs(r["loss_epoch"]! - e) < 1e-4) }

        let byValue = OneOpt(clipByValue: true)
        try quiet(maxEpochs: 1).fit(byValue, dataModule: Rows())
        expectValues(byValue.lin.weight.flatten(), [0.006414840929210186, 0.1975158452987671, -0.47138532996177673], atol: 1e-6)
        #expect(abs(byValue.lin.bias!.item() - -0.3526946008205414) < 1e-6)
    }

    @Test func resumingAGanIsExact() throws {
        // two epochs straight equal one epoch, a checkpoint, and one more from it: both Adams' moments, the
        // step count and the loggers' batch count come back (their states under optimizer_states.0. and .1.)
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = Rows()
        let straight = GAN()
        try quiet(maxEpochs: 2).fit(straight, dataModule: rows)
        let first = GAN()
        let ckpt = ModelCheckpoint(dirpath: dir, filename: "last")
        let t1 = quiet(maxEpochs: 1, callbacks: [ckpt], checkpointing: true)
        #expect(ckpt.dirpath == dir)
        try t1.fit(first, dataModule: rows)
        let sd = try load(from: dir + "/last.ckpt")
        #expect(sd.keys.contains { $0.hasPrefix("optimizer_states.1.state.") } && sd.keys.contains { $0.hasPrefix("optimizer_states.0.state.") })
        #expect(try safetensorsMetadata(from: dir + "/last.ckpt")["batches_that_stepped"] == "3")
        let resumed = GAN()
        let t2 = quiet(maxEpochs: 2)
        try t2.fit(resumed, dataModule: rows, ckptPath: dir + "/last.ckpt")
        #expect(t2.globalStep == 12 && t2.batchesThatStepped == 6 && resumed.steps == [8, 10, 12])
        for (a, b) in zip(straight.parameters(), resumed.parameters()) { #expect(a.equal(b)) }
    }

    @Test func misuseStopsWithLightningsMessages() async {
        let two = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? quiet(maxEpochs: 1).fit(TwoAuto(), dataModule: Rows())
        }
        #expect(stderr(two).contains("Training with multiple optimizers is only supported with manual optimization. Set `self.automatic_optimization = False`"))
        let clip = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? quiet(maxEpochs: 1, gradientClipVal: 1).fit(GAN(), dataModule: Rows())
        }
        #expect(stderr(clip).contains("Automatic gradient clipping is not supported for manual optimization. Remove `Trainer(gradient_clip_val=1.0)`"))
        let accumulate = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? quiet(maxEpochs: 1, accumulateGradBatches: 2).fit(GAN(), dataModule: Rows())
        }
        #expect(stderr(accumulate).contains("Automatic gradient accumulation is not supported for manual optimization. Remove `Trainer(accumulate_grad_batches=2)`"))
        let backward = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? quiet(maxEpochs: 1).fit(AutoCallsManual(), dataModule: Rows())
        }
        #expect(stderr(backward).contains("to use manual_backward, please disable automatic optimization: set model property `automatic_optimization` as False"))
        let none = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            try? quiet(maxEpochs: 1).fit(NoOptimizer(), dataModule: Rows())
        }
        #expect(stderr(none).contains("`configure_optimizers` must be implemented to be used with the Lightning Trainer"))
        let several = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            final class SingleOfTwo: Module, TrainingModule {
                let a = Linear(3, 1), b = Linear(3, 1)
                let automaticOptimization = false
                func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { optimizers().step(); return Tensor(0.0) }
                func configureOptimizers() -> [Optimizer] { [SGD(a.parameters(), lr: 0.1), SGD(b.parameters(), lr: 0.1)] }
            }
            try? quiet(maxEpochs: 1).fit(SingleOfTwo(), dataModule: Rows())
        }
        #expect(stderr(several).contains("2 LightningOptimizers are configured: index them"))
    }
}
}
