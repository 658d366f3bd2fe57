// Learning-rate schedulers and training utilities beyond probe 15's tour: OneCycleLR (cos, linear,
// three_phase, per-group max_lr, epochs x steps_per_epoch), CyclicLR (triangular2 with step_size_down,
// exp_range on Adam's beta1, a custom scale_fn), CosineAnnealingWarmRestarts with T_mult and fractional
// epochs, LambdaLR with one closure per group and a counting closure, MultiplicativeLR, SequentialLR with
// two milestones, ChainedScheduler, LinearLR/ConstantLR warm-ups, PolynomialLR, ReduceLROnPlateau (mode max,
// threshold_mode abs, cooldown, per-group min_lr; and on a validation loss), get_last_lr(), scheduler state
// dicts (printed, their keys, a warm-restart resume), add_param_group mid-training under StepLR,
// swa_utils (AveragedModel, SWALR, update_bn), EMA of weights by hand and with get_ema_multi_avg_fn,
// gradient accumulation by hand, gradient checkpointing (checkpoint, checkpoint_sequential, with dropout),
// clip_grad_norm_ on non-finite gradients, and torch.autograd.functional.jacobian / hessian. A small seeded
// regression net trains under each scheduler; the lr sequences and final losses print with 6 decimals.
// Written as a PyTorch user would write it against Descent. Expected output:
// pytorch/27-schedulers-and-utils.py's (pytorch/27-schedulers-and-utils.expected). No data files are read.
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func pyBools(_ a: [Bool]) -> String { "[" + a.map(py).joined(separator: ", ") + "]" }
func pyList(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }
func f6(_ v: Double) -> String { String(format: "%.6f", v) }
func seq(_ values: [Double]) -> String { values.map(f6).joined(separator: " ") }
func lin(_ model: Sequential, _ i: Int) -> Linear { model[i] as! Linear }   // model[i] as nn.Linear
/// The top-level keys of a scheduler's state dict (Descent flattens nested entries as "a.0.b").
func topKeys(_ sd: StateDict) -> String {
    var keys: [String] = []
    for k in sd.keys {
        let head = String(k.split(separator: ".")[0])
        if !keys.contains(head) { keys.append(head) }
    }
    return pyList(keys.sorted())
}

manualSeed(0)
let X = Tensor.randn(64, 4)
let trueW = Tensor([[1.5], [-2.0], [0.5], [1.0]])
let y = X.matmul(trueW) + 0.3 * (3 * X[.all, 0..<1]).sin() + 0.1 * Tensor.randn(64, 1)

func makeModel(_ seed: Int = 1) -> Sequential {
    manualSeed(seed)
    return Sequential { Linear(4, 16); Tanh(); Linear(16, 1) }
}

func fullLoss(_ model: Module) -> Double {
    let v: Double = noGrad { mseLoss(model(X), y).item() }
    return v
}

/// Full-batch steps; the scheduler steps after each; returns the lr after every step.
func train(_ model: Module, _ opt: Optimizer, _ sched: LRScheduler, steps: Int = 12) -> [Double] {
    var lrs: [Double] = []
    for _ in 0..<steps {
        opt.zeroGrad()
        let loss = mseLoss(model(X), y)
        loss.backward()
        opt.step()
        sched.step()
        lrs.append(opt.paramGroups[0].lr)
    }
    return lrs
}

block("data")
print(X.shape, y.shape, f6(y.sum().item()))
print("initial loss", f6(fullLoss(makeModel())))

block("OneCycleLR")
do {
    var model = makeModel()
    let sgd = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    let sched = OneCycleLR(sgd, maxLR: 0.2, totalSteps: 12)
    print("start", f6(sgd.paramGroups[0].lr), f6(sgd.paramGroups[0][SGD.Settings.self].momentum))
    var lrs: [Double] = [], moms: [Double] = []
    for _ in 0..<12 {
        sgd.zeroGrad()
        mseLoss(model(X), y).backward()
        sgd.step()
        if sched.lastEpoch < 12 {
            sched.step()
        }
        lrs.append(sched.getLastLR()[0])
        moms.append(sgd.paramGroups[0][SGD.Settings.self].momentum)
    }
    print("cos lr:", seq(lrs))
    print("cos momentum:", seq(moms))
    print("last_epoch", sched.lastEpoch, "loss", f6(fullLoss(model)))

    model = makeModel()
    let adam = Adam(model.parameters(), lr: 0.01)
    let linear = OneCycleLR(adam, maxLR: 0.05, totalSteps: 16, pctStart: 0.25, annealStrategy: .linear,
                            divFactor: 10.0, finalDivFactor: 100.0, threePhase: true)
    lrs = [adam.paramGroups[0].lr]
    var betas = [adam.paramGroups[0][Adam.Settings.self].betas.0]
    for _ in 0..<15 {
        adam.zeroGrad()
        mseLoss(model(X), y).backward()
        adam.step()
        linear.step()
        lrs.append(adam.paramGroups[0].lr)
        betas.append(adam.paramGroups[0][Adam.Settings.self].betas.0)
    }
    print("linear three_phase lr:", seq(lrs))
    print("linear three_phase beta1:", seq(betas))
    print("betas[1]", adam.paramGroups[0][Adam.Settings.self].betas.1, "loss", f6(fullLoss(model)))

    model = makeModel()
    let groups = SGD(groups: [ParamGroup(params: model[0].parameters()), ParamGroup(params: model[2].parameters())],
                     lr: 0.1, momentum: 0.9)
    let perGroup = OneCycleLR(groups, maxLR: [0.1, 0.02], epochs: 3, stepsPerEpoch: 4, cycleMomentum: false)
    print("groups start", seq(perGroup.getLastLR()), groups.paramGroups[0][SGD.Settings.self].momentum)
    for epoch in 0..<3 {
        for _ in 0..<4 {
            groups.zeroGrad()
            mseLoss(model(X), y).backward()
            groups.step()
            if perGroup.lastEpoch < perGroup.totalSteps {
                perGroup.step()
            }
        }
        print("epoch \(epoch):", seq(perGroup.getLastLR()))
    }
    print("per-group OneCycleLR loss", f6(fullLoss(model)), perGroup.totalSteps)
}

block("CyclicLR")
do {
    var model = makeModel()
    let sgd = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    let sched = CyclicLR(sgd, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 2, stepSizeDown: 3, mode: .triangular2)
    print("start", f6(sgd.paramGroups[0].lr), f6(sgd.paramGroups[0][SGD.Settings.self].momentum))
    var lrs: [Double] = [], moms: [Double] = []
    for _ in 0..<15 {
        sgd.zeroGrad()
        mseLoss(model(X), y).backward()
        sgd.step()
        sched.step()
        lrs.append(sgd.paramGroups[0].lr)
        moms.append(sgd.paramGroups[0][SGD.Settings.self].momentum)
    }
    print("triangular2 lr:", seq(lrs))
    print("triangular2 momentum:", seq(moms))
    print("loss", f6(fullLoss(model)))

    model = makeModel()
    let adam = Adam(model.parameters(), lr: 0.01)
    let expRange = CyclicLR(adam, baseLR: 0.001, maxLR: 0.02, stepSizeUp: 3, mode: .expRange, gamma: 0.9)
    lrs = []
    var betas: [Double] = []
    for _ in 0..<12 {
        adam.zeroGrad()
        mseLoss(model(X), y).backward()
        adam.step()
        expRange.step()
        lrs.append(adam.paramGroups[0].lr)
        betas.append(adam.paramGroups[0][Adam.Settings.self].betas.0)
    }
    print("exp_range lr:", seq(lrs))
    print("exp_range beta1:", seq(betas))
    print("loss", f6(fullLoss(model)))

    model = makeModel()
    let plain = SGD(model.parameters(), lr: 0.1)
    let custom = CyclicLR(plain, baseLR: 0.01, maxLR: 0.05, stepSizeUp: 2,
                          scaleFn: { (x: Double) in 0.5 * (1 + sin(x * .pi / 2)) }, scaleMode: .cycle, cycleMomentum: false)
    print("scale_fn lr:", seq(train(model, plain, custom, steps: 12)))
    print("loss", f6(fullLoss(model)))
}

block("CosineAnnealingWarmRestarts")
do {
    var model = makeModel()
    var opt = SGD(model.parameters(), lr: 0.1, momentum: 0.5)
    var sched = CosineAnnealingWarmRestarts(opt, t0: 2, tMult: 2, etaMin: 0.001)
    print("T_mult=2 lr:", seq(train(model, opt, sched, steps: 14)))
    print("T_cur", f6(sched.tCur), "T_i", sched.tI, "last_epoch", sched.lastEpoch, "loss", f6(fullLoss(model)))

    model = makeModel()
    opt = SGD(model.parameters(), lr: 0.05)
    sched = CosineAnnealingWarmRestarts(opt, t0: 1, tMult: 2, etaMin: 0.0)
    let iters = 4
    var out: [Double] = []
    for epoch in 0..<4 {
        for i in 0..<iters {
            opt.zeroGrad()
            mseLoss(model(X), y).backward()
            opt.step()
            sched.step(epoch: Double(epoch) + Double(i) / Double(iters))
            out.append(sched.getLastLR()[0])
        }
    }
    print("fractional lr:", seq(out))
    print("T_cur", f6(sched.tCur), "T_i", sched.tI, "last_epoch", sched.lastEpoch, "loss", f6(fullLoss(model)))
}

block("LambdaLR and MultiplicativeLR")
var calls: [Int] = []
do {
    var model = makeModel()
    var opt = SGD(groups: [ParamGroup(params: model[0].parameters()), ParamGroup(params: model[2].parameters(), lr: 0.02)], lr: 0.1)
    let warmup: (Int) -> Double = { epoch in min(1.0, Double(epoch + 1) / 4) }
    let decay: (Int) -> Double = { epoch in pow(0.9, Double(epoch)) }
    let sched = LambdaLR(opt, lrLambda: [warmup, decay])
    var rows: [[Double]] = []
    for _ in 0..<8 {
        opt.zeroGrad()
        mseLoss(model(X), y).backward()
        opt.step()
        sched.step()
        rows.append(sched.getLastLR())
    }
    print("group 0:", seq(rows.map { $0[0] }))
    print("group 1:", seq(rows.map { $0[1] }))
    print("base_lrs", seq(sched.baseLRs), "loss", f6(fullLoss(model)))

    opt = SGD(makeModel().parameters(), lr: 0.3)
    let counting = LambdaLR(opt, lrLambda: { epoch in
        calls.append(epoch)
        return 1.0 / Double(1 + epoch)
    })
    for _ in 0..<5 {
        opt.step()
        counting.step()
    }
    print("calls", calls, seq(counting.getLastLR()))

    model = makeModel()
    opt = SGD(model.parameters(), lr: 0.1)
    let mult = MultiplicativeLR(opt, lrLambda: { _ in 0.95 })
    print("MultiplicativeLR 0.95:", seq(train(model, opt, mult, steps: 10)))
    print("loss", f6(fullLoss(model)))
    opt = SGD(makeModel().parameters(), lr: 0.1)
    let every3 = MultiplicativeLR(opt, lrLambda: { epoch in epoch % 3 == 0 ? 0.5 : 1.0 })
    var out: [Double] = []
    for _ in 0..<10 {
        opt.step()
        every3.step()
        out.append(opt.paramGroups[0].lr)
    }
    print("MultiplicativeLR every 3:", seq(out))
}

block("SequentialLR and ChainedScheduler")
do {
    var model = makeModel()
    var opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    let s1 = LinearLR(opt, startFactor: 0.2, totalIters: 3)
    let s2 = ConstantLR(opt, factor: 0.5, totalIters: 2)
    let s3 = ExponentialLR(opt, gamma: 0.8)
    let sched = SequentialLR(opt, schedulers: [s1, s2, s3], milestones: [3, 6])
    print("start", f6(opt.paramGroups[0].lr))
    print("SequentialLR:", seq(train(model, opt, sched, steps: 10)))
    let subs: [LRScheduler] = [s1, s2, s3]
    print("last_epoch", sched.lastEpoch, subs.map(\.lastEpoch), "loss", f6(fullLoss(model)))

    model = makeModel()
    opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
    let chained = ChainedScheduler([LinearLR(opt, startFactor: 0.25, totalIters: 4), ExponentialLR(opt, gamma: 0.9)], optimizer: opt)
    print("start", f6(opt.paramGroups[0].lr))
    print("ChainedScheduler:", seq(train(model, opt, chained, steps: 8)))
    print("loss", f6(fullLoss(model)))

    model = makeModel()
    opt = SGD(model.parameters(), lr: 0.1)
    let warm = LinearLR(opt, startFactor: 0.1, totalIters: 2)
    let restarts = CosineAnnealingWarmRestarts(opt, t0: 3, etaMin: 0.01)
    let both = SequentialLR(opt, schedulers: [warm, restarts], milestones: [2])
    print("Sequential(Linear, WarmRestarts):", seq(train(model, opt, both, steps: 9)))
}

block("warm-up and polynomial decay")
do {
    let makers: [(String, (Optimizer) -> LRScheduler)] = [
        ("LinearLR up", { LinearLR($0, startFactor: 0.1, endFactor: 1.0, totalIters: 4) }),
        ("LinearLR down", { LinearLR($0, startFactor: 1.0, endFactor: 0.1, totalIters: 5) }),
        ("ConstantLR", { ConstantLR($0, factor: 0.25, totalIters: 3) }),
        ("PolynomialLR sqrt", { PolynomialLR($0, totalIters: 6, power: 0.5) }),
        ("PolynomialLR cubic", { PolynomialLR($0, totalIters: 8, power: 3.0) }),
    ]
    for (name, make) in makers {
        let model = makeModel()
        let opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        let sched = make(opt)
        let start = opt.paramGroups[0].lr
        let lrs = train(model, opt, sched, steps: 10)
        print("\(name): \(f6(start)) | \(seq(lrs))")
        print("  loss \(f6(fullLoss(model)))")
    }
}

block("ReduceLROnPlateau")
do {
    var model = makeModel()
    let opt = SGD(groups: [ParamGroup(params: model[0].parameters()), ParamGroup(params: model[2].parameters(), lr: 0.04)], lr: 0.1)
    let sched = ReduceLROnPlateau(opt, mode: .max, factor: 0.5, patience: 1, threshold: 0.01,
                                  thresholdMode: .abs, cooldown: 2, minLR: [0.02, 0.005])
    let accs = [0.50, 0.55, 0.555, 0.56, 0.565, 0.60, 0.605, 0.61, 0.612, 0.613, 0.70, 0.701, 0.702, 0.703]
    for (i, acc) in accs.enumerated() {
        opt.step()
        sched.step(metric: acc)
        let head = "\(String(format: "%2d", i)) acc \(String(format: "%.3f", acc)) lrs \(seq(sched.getLastLR()))"
        print("\(head) best \(String(format: "%.3f", sched.best)) bad \(sched.numBadEpochs) cooldown \(sched.cooldownCounter) in_cooldown \(py(sched.inCooldown))")
    }

    model = makeModel()
    let adam = Adam(model.parameters(), lr: 0.05)
    let plateau = ReduceLROnPlateau(adam, factor: 0.3, patience: 2)
    for epoch in 0..<20 {
        adam.zeroGrad()
        let loss = mseLoss(model(X), y)
        loss.backward()
        adam.step()
        let val = mseLoss(model(X[0..<16]), y[0..<16]).detach()
        plateau.step(metric: val)
        if epoch % 4 == 3 {
            print("epoch \(epoch) val \(f6(val.item())) lr \(f6(adam.paramGroups[0].lr)) bad \(plateau.numBadEpochs)")
        }
    }
    print("loss", f6(fullLoss(model)))
}

block("get_last_lr")
do {
    let model = makeModel()
    let opt = SGD(model.parameters(), lr: 0.1)
    let sched = CosineAnnealingLR(opt, tMax: 5, etaMin: 0.01)
    print(sched.getLastLR().count, f6(sched.getLastLR()[0]))
    var same: [Bool] = []
    for _ in 0..<7 {
        opt.step()
        sched.step()
        same.append(sched.getLastLR()[0] == opt.paramGroups[0].lr)
    }
    print(pyBools(same))
    print(sched.lastEpoch, f6(sched.getLastLR()[0]))
}

block("scheduler state_dict")
do {
    var opt = SGD(makeModel().parameters(), lr: 0.1)
    let cosine = CosineAnnealingLR(opt, tMax: 10, etaMin: 0.001)
    for _ in 0..<3 {
        opt.step()
        cosine.step()
    }
    print(cosine.stateDict())

    opt = SGD(makeModel().parameters(), lr: 0.1, momentum: 0.9)
    let oneCycle = OneCycleLR(opt, maxLR: 0.5, totalSteps: 10)
    for _ in 0..<4 {
        opt.step()
        oneCycle.step()
    }
    var sd = oneCycle.stateDict()
    print(topKeys(sd))
    print(Int(sd["total_steps"]!.item()), Int(sd["last_epoch"]!.item()), Int(sd["_step_count"]!.item()),
          seq(sd["base_lrs"]!.toArray(Double.self)), seq(sd["_last_lr"]!.toArray(Double.self)))

    opt = SGD(makeModel().parameters(), lr: 0.1)
    let plateau = ReduceLROnPlateau(opt, mode: .max, patience: 0, cooldown: 1)
    for m in [0.1, 0.2, 0.2, 0.2] {
        plateau.step(metric: m)
    }
    sd = plateau.stateDict()
    print(topKeys(sd))
    print(sd["best"]!.item(), Int(sd["num_bad_epochs"]!.item()), Int(sd["cooldown_counter"]!.item()),
          Int(sd["last_epoch"]!.item()), seq(sd["_last_lr"]!.toArray(Double.self)))

    opt = SGD(makeModel().parameters(), lr: 0.1)
    let sequential = SequentialLR(opt, schedulers: [ConstantLR(opt, factor: 0.5, totalIters: 2), ExponentialLR(opt, gamma: 0.9)],
                                  milestones: [2])
    for _ in 0..<3 {
        opt.step()
        sequential.step()
    }
    sd = sequential.stateDict()
    print(topKeys(sd))
    // PyTorch's sd["_schedulers"] is a list of dicts; Descent keeps them under "_schedulers.<i>."
    print(sd["_milestones"]!.toArray(Double.self).map { Int($0) }, Int(sd["last_epoch"]!.item()),
          (0..<2).map { Int(sd["_schedulers.\($0).last_epoch"]!.item()) })

    // resume a warm-restart schedule from its state dict
    opt = SGD(makeModel().parameters(), lr: 0.1)
    let sched = CosineAnnealingWarmRestarts(opt, t0: 3, tMult: 2)
    for _ in 0..<5 {
        opt.step()
        sched.step()
    }
    let savedSched = sched.stateDict(), savedOpt = opt.stateDict()
    let opt2 = SGD(makeModel().parameters(), lr: 0.1)
    let sched2 = CosineAnnealingWarmRestarts(opt2, t0: 3, tMult: 2)
    try opt2.loadStateDict(savedOpt)
    try sched2.loadStateDict(savedSched)
    var a: [Double] = [], b: [Double] = []
    for _ in 0..<6 {
        opt.step(); sched.step(); a.append(sched.getLastLR()[0])
        opt2.step(); sched2.step(); b.append(sched2.getLastLR()[0])
    }
    print(seq(a))
    print(py(a == b), f6(sched2.tCur), sched2.tI)
}

block("add_param_group mid-training")
do {
    let model = makeModel()
    let opt = SGD(model[0].parameters(), lr: 0.1, momentum: 0.9)
    let sched = StepLR(opt, stepSize: 3, gamma: 0.5)
    for step in 0..<10 {
        if step == 4 {
            opt.addParamGroup(ParamGroup(params: model[2].parameters(), lr: 0.05))
            print("groups", opt.paramGroups.count, opt.paramGroups.map(\.lr), opt.paramGroups.map { $0[SGD.Settings.self].momentum })
        }
        model.zeroGrad()
        mseLoss(model(X), y).backward()
        opt.step()
        sched.step()
        print("step \(step) lrs \(seq(opt.paramGroups.map(\.lr))) last \(seq(sched.getLastLR()))")
    }
    print("loss", f6(fullLoss(model)), opt.state.count)
}

block("swa_utils")
do {
    manualSeed(3)
    let bnModel = Sequential { Linear(4, 16); BatchNorm1d(16); ReLU(); Linear(16, 1) }
    let loader = DataLoader(TensorDataset(X, y), batchSize: 16)
    let swaModel = AveragedModel(bnModel)
    let opt = SGD(bnModel.parameters(), lr: 0.05, momentum: 0.9)
    let cosine = CosineAnnealingLR(opt, tMax: 4)
    let swaSched = SWALR(opt, swaLR: 0.02, annealEpochs: 3, annealStrategy: "linear")
    let swaStart = 4
    var lrs: [Double] = []
    for epoch in 0..<10 {
        for (xb, yb) in loader {
            opt.zeroGrad()
            mseLoss(bnModel(xb), yb).backward()
            opt.step()
        }
        if epoch >= swaStart {
            swaModel.updateParameters(bnModel)
            swaSched.step()
        } else {
            cosine.step()
        }
        lrs.append(opt.paramGroups[0].lr)
    }
    print("lr:", seq(lrs))
    print("n_averaged", swaModel.nAveraged)
    let bn = swaModel.module[1] as! BatchNorm1d
    print("running_mean before", f6(bn.runningMean!.sum().item()), Int(bn.numBatchesTracked!.item()))
    updateBn(loader, swaModel)
    print("running_mean after", f6(bn.runningMean!.sum().item()), f6(bn.runningVar!.sum().item()), Int(bn.numBatchesTracked!.item()))
    print("bn momentum", bn.momentum!)
    swaModel.eval()
    bnModel.eval()
    let swaLoss: Double = noGrad { mseLoss(swaModel(X), y).item() }
    let modelLoss: Double = noGrad { mseLoss(bnModel(X), y).item() }
    print("swa loss", f6(swaLoss), "model loss", f6(modelLoss))
    print(pyList(Array(swaModel.stateDict().keys.sorted().prefix(3))))
}

block("EMA of weights")
do {
    let model = makeModel()
    let opt = Adam(model.parameters(), lr: 0.02)
    let emaModel = AveragedModel(model, multiAvgFn: getEmaMultiAvgFn(decay: 0.9))
    let emaParams = model.parameters().map { $0.detach().clone() }
    for step in 0..<15 {
        opt.zeroGrad()
        mseLoss(model(X), y).backward()
        opt.step()
        emaModel.updateParameters(model)
        noGrad {
            if step == 0 {
                for (e, p) in zip(emaParams, model.parameters()) { e.copy_(p) }
            } else {
                for (e, p) in zip(emaParams, model.parameters()) { e.lerp_(p, 1 - 0.9) }
            }
        }
    }
    print(pyBools(zip(emaParams, emaModel.module.parameters()).map { $0.equal($1) }))
    let manual = makeModel().parameters().map { $0.detach().clone() }
    let decay = 0.9
    for (e, p) in zip(manual, model.parameters()) {
        e.mul_(decay).add_(p.detach(), alpha: 1 - decay)
    }
    print(f6(manual[0].sum().item()), f6(emaParams[0].sum().item()))
    let emaLoss: Double = noGrad { mseLoss(emaModel(X), y).item() }
    print("ema loss", f6(emaLoss), "model loss", f6(fullLoss(model)))
    print("n_averaged", Int(emaModel.nAveraged.item()))
}

block("gradient accumulation")
do {
    let modelA = makeModel()
    let modelB = makeModel()
    mseLoss(modelA(X), y).backward()
    let accum = 4
    for (xb, yb) in zip(X.chunk(accum), y.chunk(accum)) {
        let loss = mseLoss(modelB(xb), yb) / Double(accum)
        loss.backward()
    }
    print(pyBools(zip(modelA.parameters(), modelB.parameters()).map { $0.grad!.allclose($1.grad!, atol: 1e-6) }))
    print(f6(lin(modelA, 0).weight.grad!.norm().item()), f6(lin(modelB, 0).weight.grad!.norm().item()))
    let model = makeModel()
    let opt = SGD(model.parameters(), lr: 0.1)
    var stepLosses: [Double] = []
    for (i, (xb, yb)) in zip(X.split(8), y.split(8)).enumerated() {
        let loss = mseLoss(model(xb), yb) / 2
        loss.backward()
        if (i + 1) % 2 == 0 {
            opt.step()
            opt.zeroGrad()
            stepLosses.append(fullLoss(model))
        }
    }
    print("accumulated steps", stepLosses.count, seq(stepLosses))
}

block("gradient checkpointing")
do {
    manualSeed(5)
    let mlp = Sequential { Linear(4, 32); ReLU(); Dropout(0.2); Linear(32, 32); Tanh(); Linear(32, 1) }
    let xin = X[0..<8].clone().requiresGrad_()
    manualSeed(11)
    let out = mlp(xin)
    mseLoss(out, y[0..<8]).backward()
    let plain = mlp.parameters().map { $0.grad!.clone() }
    let plainX = xin.grad!.clone()
    mlp.zeroGrad()
    xin.grad = nil
    manualSeed(11)
    let blockA = mlp[..<3]
    let blockB = mlp[3...]
    let h = checkpoint({ blockA($0) }, xin, useReentrant: false)
    let out2 = checkpoint({ blockB($0) }, h, useReentrant: false)
    print(out2.gradFn ?? "None", py(out.equal(out2)))
    mseLoss(out2, y[0..<8]).backward()
    print(pyBools(zip(plain, mlp.parameters()).map { $0.allclose($1.grad!, atol: 1e-7) }), py(plainX.allclose(xin.grad!, atol: 1e-7)))
    print(f6(lin(mlp, 0).weight.grad!.abs().sum().item()), f6(xin.grad!.abs().sum().item()))
    mlp.zeroGrad()
    manualSeed(11)
    let out3 = checkpointSequential(mlp, 2, X[0..<8], useReentrant: false)
    mseLoss(out3, y[0..<8]).backward()
    print(py(out.equal(out3)), pyBools(zip(plain, mlp.parameters()).map { $0.allclose($1.grad!, atol: 1e-7) }))
    mlp.eval()
    let out4: Tensor = noGrad { checkpoint({ mlp($0) }, X[0..<8], useReentrant: false) }
    print(py(out4.requiresGrad), py(out4.gradFn == nil))
}

block("clip_grad_norm_")
do {
    let model = makeModel()
    mseLoss(model(X), y).backward()
    var total = clipGradNorm_(model.parameters(), maxNorm: 1.0, errorIfNonfinite: true)
    print(f6(total.item()))
    total = clipGradNorm_(model.parameters(), maxNorm: 0.05, normType: .infinity)
    print(f6(total.item()), f6(model.parameters().map { $0.grad!.abs().max().item() }.max()!))
    total = clipGradNorm_(lin(model, 2).weight, maxNorm: 0.01)
    print(f6(total.item()), f6(lin(model, 2).weight.grad!.norm().item()))
    lin(model, 0).bias!.grad![0] = Tensor(Double.infinity)
    total = clipGradNorm_(model.parameters(), maxNorm: 1.0)
    print(total.item(), py(lin(model, 0).weight.grad!.isnan().all().item() != 0), Int(lin(model, 0).bias!.grad!.isnan().sum().item()))
    model.zeroGrad()
    mseLoss(model(X), y).backward()
    lin(model, 2).bias!.grad![0] = Tensor(Double.nan)
    total = clipGradNorm_(model.parameters(), maxNorm: 1.0, normType: .infinity)
    print(total.item())
    let frozen = Linear(3, 2)
    print(clipGradNorm_(frozen.parameters(), maxNorm: 1.0))
}

block("jacobian and hessian")
do {
    func f(_ x: Tensor) -> Tensor {
        stack([x[0] * x[1], x[1].sin() + x[2], x.pow(2).sum()])
    }
    let x0 = Tensor([1.0, 2.0, 0.5])
    print(jacobian(f, x0))
    print(jacobian({ $0.exp() * 2 }, Tensor([0.0, 1.0])))
    func rosen(_ v: Tensor) -> Tensor {
        (1 - v[0]).pow(2) + 100 * (v[1] - v[0].pow(2)).pow(2)
    }
    print(hessian(rosen, Tensor([1.0, 1.0])))
    print(hessian({ $0.pow(3).sum() + $0[0] * $0[1] }, Tensor([1.0, -2.0])))
    let W = Tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 3.0]])
    print(jacobian({ W.matmul($0).tanh() }, Tensor([0.3, -0.2])))
    let a = Tensor([1.0, 2.0])
    let b = Tensor([3.0, -1.0])
    // PyTorch: ja, jb = jacobian(lambda p, q: p * q + p.sum(), (a, b))
    let jab = jacobian({ (xs: [Tensor]) -> Tensor in xs[0] * xs[1] + xs[0].sum() }, [a, b])
    print(jab[0])
    print(jab[1])
    let jm = jacobian({ $0.sum(dim: 1) }, Tensor.ones(2, 3))
    print(jm.shape)
    print(jm)
}
