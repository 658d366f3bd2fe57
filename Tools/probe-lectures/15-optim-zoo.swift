// Lecture: the optimizer zoo. Every optimizer (SGD with momentum / nesterov / weight decay, Adam with
// amsgrad, AdamW, RMSprop centered, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS with
// a closure) trains the same seeded 3-4-1 net on the same data for 20 steps; then optimizer state,
// printing optimizers and their state dicts, parameter groups, every LR scheduler's sequence,
// scheduler and optimizer state-dict round trips that resume identically, zero_grad(set_to_none),
// clip_grad_norm_ (its return value, inf and 1 norms) and clip_grad_value_.
// Expected output: pytorch/15-optim-zoo.py's (pytorch/15-optim-zoo.expected). No data files are read.
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func show(_ t: Tensor?) -> String { t.map { "\($0)" } ?? "None" }
func fmt(_ values: [Double], _ digits: Int = 4) -> String {
    "[" + values.map { String(format: "%.\(digits)f", $0) }.joined(separator: ", ") + "]"
}
func f6(_ v: Double) -> String { String(format: "%.6f", v) }

manualSeed(42)
let X = Tensor.randn(32, 3)
let y = (X.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3).tanh() + 0.05 * Tensor.randn(32, 1)

func makeModel() -> Sequential {
    manualSeed(0)
    return Sequential { Linear(3, 4); Tanh(); Linear(4, 1) }
}
func firstWeight(_ model: Sequential) -> Tensor { (model[0] as! Linear).weight }

func report(_ name: String, _ model: Sequential) {
    let finalLoss: Double = noGrad { mseLoss(model(X), y).item() }
    let w = firstWeight(model)[0].toArray(Float.self).map { Double($0) }
    print("\(name): loss \(f6(finalLoss)) w0 \(fmt(w))")
}

func train(_ model: Sequential, _ opt: Optimizer, steps: Int = 20) {
    for _ in 0..<steps {
        opt.zeroGrad()
        let loss = mseLoss(model(X), y)
        loss.backward()
        opt.step()
    }
}

block("data")
print(X.shape, y.shape)
print(String(format: "%.4f %.4f", X.sum().item(), y.sum().item()))
report("initial", makeModel())

block("optimizer zoo")
let zoo: [(String, ([Parameter]) -> Optimizer)] = [
    ("SGD", { SGD($0, lr: 0.1) }),
    ("SGD momentum", { SGD($0, lr: 0.05, momentum: 0.9) }),
    ("SGD nesterov", { SGD($0, lr: 0.05, momentum: 0.9, nesterov: true) }),
    ("SGD weight decay", { SGD($0, lr: 0.1, momentum: 0.5, dampening: 0.1, weightDecay: 0.01) }),
    ("Adam", { Adam($0, lr: 0.01) }),
    ("Adam amsgrad", { Adam($0, lr: 0.01, betas: (0.8, 0.99), amsgrad: true) }),
    ("Adam weight decay", { Adam($0, lr: 0.01, weightDecay: 0.1) }),
    ("AdamW", { AdamW($0, lr: 0.01, weightDecay: 0.1) }),
    ("RMSprop", { RMSprop($0, lr: 0.01) }),
    ("RMSprop centered", { RMSprop($0, lr: 0.01, momentum: 0.9, centered: true) }),
    ("Adagrad", { Adagrad($0, lr: 0.1, lrDecay: 0.01) }),
    ("Adadelta", { Adadelta($0, lr: 1.0) }),
    ("Adamax", { Adamax($0, lr: 0.02) }),
    ("NAdam", { NAdam($0, lr: 0.01) }),
    ("NAdam decoupled", { NAdam($0, lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true) }),
    ("RAdam", { RAdam($0, lr: 0.01) }),
    ("RAdam decoupled", { RAdam($0, lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true) }),
    ("Rprop", { Rprop($0, lr: 0.01) }),
    ("ASGD", { ASGD($0, lr: 0.05, t0: 5) }),
]
for (name, make) in zoo {
    let model = makeModel()
    let opt = make(model.parameters())
    train(model, opt)
    report(name, model)
}

for (name, lineSearch) in [("LBFGS", nil), ("LBFGS strong_wolfe", "strong_wolfe")] as [(String, String?)] {
    let model = makeModel()
    let opt = LBFGS(model.parameters(), lr: 1, maxIter: 5, historySize: 10, lineSearchFn: lineSearch)
    var first = Tensor(0.0)
    for _ in 0..<4 {
        first = opt.step {
            opt.zeroGrad()
            let loss = mseLoss(model(X), y)
            loss.backward()
            return loss
        }
    }
    print("last closure loss \(f6(first.item()))")
    report(name, model)
}

block("optimizer state")
do {
    let model = makeModel()
    let opt = Adam(model.parameters(), lr: 0.01)
    train(model, opt, steps: 3)
    let w = firstWeight(model)
    print(opt.state.count)
    // PyTorch: sorted(opt.state[w].keys()); Descent keeps the step count outside `tensors`
    let keys = (Array(opt.state[w]!.tensors.keys) + ["step"]).sorted()
    print("[" + keys.map { "'\($0)'" }.joined(separator: ", ") + "]")
    print(opt.state[w]!["step"]!)
    print(opt.state[w]!["exp_avg"]!.shape)
    print(String(format: "%.8f", opt.state[w]!["exp_avg_sq"]!.sum().item()))
    print(opt)

    block("print optimizers")
    print(SGD(model.parameters(), lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true))
    print(RMSprop(model.parameters()))
}

block("optimizer state dict")
do {
    manualSeed(0)
    let lin = Linear(2, 1)
    let xs = Tensor([[1.0, 2.0], [3.0, -1.0]])
    let ys = Tensor([[1.0], [0.0]])
    var opt: Optimizer = SGD(lin.parameters(), lr: 0.1, momentum: 0.9)
    for _ in 0..<2 {
        opt.zeroGrad()
        mseLoss(lin(xs), ys).backward()
        opt.step()
    }
    print(opt.stateDict())
    opt = Adam(lin.parameters(), lr: 0.01)
    opt.zeroGrad()
    mseLoss(lin(xs), ys).backward()
    opt.step()
    print(opt.stateDict())
}

block("parameter groups")
do {
    var model = makeModel()
    let opt = SGD(groups: [ParamGroup(params: model[0].parameters(), lr: 0.01), ParamGroup(params: model[2].parameters())],
                  lr: 0.1, momentum: 0.9)
    print(opt.paramGroups.map(\.lr))
    print(opt.paramGroups.map { $0[SGD.Settings.self].momentum })
    print(opt.paramGroups.map { $0.params.count })
    train(model, opt)
    report("two groups", model)
    opt.paramGroups[0].lr *= 10
    print(opt.paramGroups.map(\.lr))
    let extra = Parameter(Tensor.zeros(3))
    opt.addParamGroup(ParamGroup(params: [extra], lr: 0.5, options: ["momentum": 0.0]))
    print(opt.paramGroups.count, opt.paramGroups.map(\.lr), opt.paramGroups.map { $0[SGD.Settings.self].momentum })
    print(opt)
    model = makeModel()
    let adam = Adam(groups: [ParamGroup(params: model[0].parameters()),
                             ParamGroup(params: model[2].parameters(), lr: 0.05, options: ["betas.0": 0.5, "betas.1": 0.9])],
                    lr: 0.01)
    print(adam.paramGroups.map(\.lr), adam.paramGroups.map { $0[Adam.Settings.self].betas })
    train(model, adam)
    report("adam two groups", model)
}

block("lr schedulers")
func sgd(momentum: Double = 0) -> SGD {
    let p = Parameter(Tensor.zeros(1))
    return SGD([p], lr: 0.1, momentum: momentum)
}
func run(_ name: String, _ opt: Optimizer, _ sched: LRScheduler, n: Int = 10, metrics: [Double]? = nil) {
    var out = [opt.paramGroups[0].lr]
    for i in 0..<n {
        opt.step()
        if let metrics {
            (sched as! ReduceLROnPlateau).step(metric: metrics[i])
        } else {
            sched.step()
        }
        out.append(opt.paramGroups[0].lr)
    }
    print("\(name): " + out.map(f6).joined(separator: " "))
    if metrics == nil {
        print("  last \(f6(sched.getLastLR()[0]))")
    } else {
        print("  bad epochs \((sched as! ReduceLROnPlateau).numBadEpochs)")
    }
}

do {
    var opt = sgd(); run("StepLR", opt, StepLR(opt, stepSize: 3, gamma: 0.5))
    opt = sgd(); run("MultiStepLR", opt, MultiStepLR(opt, milestones: [2, 5, 8], gamma: 0.1))
    opt = sgd(); run("ExponentialLR", opt, ExponentialLR(opt, gamma: 0.9))
    opt = sgd(); run("CosineAnnealingLR", opt, CosineAnnealingLR(opt, tMax: 10, etaMin: 0.001))
    opt = sgd(); run("LambdaLR", opt, LambdaLR(opt, lrLambda: { pow(0.95, Double($0)) }))
    opt = sgd(); run("LinearLR", opt, LinearLR(opt, startFactor: 0.25, totalIters: 4))
    opt = sgd(); run("ConstantLR", opt, ConstantLR(opt, factor: 0.5, totalIters: 3))
    opt = sgd(); run("PolynomialLR", opt, PolynomialLR(opt, totalIters: 5, power: 2.0))
    opt = sgd()
    let warm = LinearLR(opt, startFactor: 0.1, totalIters: 3)
    let cosine = CosineAnnealingLR(opt, tMax: 7)
    run("LinearLR+SequentialLR", opt, SequentialLR(opt, schedulers: [warm, cosine], milestones: [3]))
    opt = sgd()
    run("ChainedScheduler", opt, ChainedScheduler([ConstantLR(opt, factor: 0.5, totalIters: 2), ExponentialLR(opt, gamma: 0.9)]))
    opt = sgd(); run("CosineAnnealingWarmRestarts", opt, CosineAnnealingWarmRestarts(opt, t0: 3, tMult: 2, etaMin: 0.01), n: 12)
    opt = sgd(); run("ReduceLROnPlateau", opt, ReduceLROnPlateau(opt, mode: .min, factor: 0.5, patience: 1),
                     metrics: [1.0, 0.9, 0.95, 0.96, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71])
    opt = sgd(momentum: 0.9)
    let sched = OneCycleLR(opt, maxLR: 1.0, totalSteps: 10)
    var lrs = [opt.paramGroups[0].lr], moms = [opt.paramGroups[0][SGD.Settings.self].momentum]
    for _ in 0..<9 {
        opt.step()
        sched.step()
        lrs.append(opt.paramGroups[0].lr)
        moms.append(opt.paramGroups[0][SGD.Settings.self].momentum)
    }
    print("OneCycleLR lr: " + lrs.map(f6).joined(separator: " "))
    print("OneCycleLR momentum: " + moms.map(f6).joined(separator: " "))
    opt = sgd(momentum: 0.9)
    run("CyclicLR", opt, CyclicLR(opt, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 2, mode: .triangular2))
}

block("fractional epochs")
do {
    let opt = sgd()
    let sched = CosineAnnealingWarmRestarts(opt, t0: 2)
    var out: [String] = []
    let iters = 3
    for epoch in 0..<4 {
        for i in 0..<iters {
            opt.step()
            sched.step(epoch: Double(epoch) + Double(i) / Double(iters))
            out.append(f6(opt.paramGroups[0].lr))
        }
    }
    print(out.joined(separator: " "))
}

block("scheduler state dict")
do {
    let opt = sgd()
    let sched = StepLR(opt, stepSize: 3, gamma: 0.5)
    for _ in 0..<4 {
        opt.step()
        sched.step()
    }
    let sd = sched.stateDict()
    print(Int(sd["last_epoch"]!.item()), Int(sd["_step_count"]!.item()),
          sd["base_lrs"]!.toArray(Double.self).map(f6).joined(separator: " "),
          sd["_last_lr"]!.toArray(Double.self).map(f6).joined(separator: " "))
    let osd = opt.stateDict()
    let opt2 = sgd()
    let sched2 = StepLR(opt2, stepSize: 3, gamma: 0.5)
    try opt2.loadStateDict(osd)
    try sched2.loadStateDict(sd)
    var a: [String] = [], b: [String] = []
    for _ in 0..<5 {
        opt.step(); sched.step(); a.append(f6(sched.getLastLR()[0]))
        opt2.step(); sched2.step(); b.append(f6(sched2.getLastLR()[0]))
    }
    print(a.joined(separator: " "))
    print(b.joined(separator: " "))
    print(py(a == b))
}

block("optimizer resume")
do {
    let path = "/tmp/descent-probe-15-opt.pt"
    let model = makeModel()
    let opt = Adam(model.parameters(), lr: 0.01)
    train(model, opt, steps: 10)
    try save(["step": 10, "model": model.stateDict(), "optimizer": opt.stateDict()], to: path)
    train(model, opt, steps: 10)
    report("uninterrupted", model)
    manualSeed(123)
    let model2 = Sequential { Linear(3, 4); Tanh(); Linear(4, 1) }
    let opt2 = Adam(model2.parameters(), lr: 0.5)
    let ckpt = try loadCheckpoint(from: path)
    print(try ckpt.int("step"))
    try model2.loadStateDict(ckpt["model"]!)
    try opt2.loadStateDict(ckpt.stateDict("optimizer"))
    print(opt2.paramGroups[0].lr, opt2.state[firstWeight(model2)]!["step"]!)
    train(model2, opt2, steps: 10)
    report("resumed", model2)
    print(py(firstWeight(model).equal(firstWeight(model2))), py((model[2] as! Linear).bias!.equal((model2[2] as! Linear).bias!)))
    try FileManager.default.removeItem(atPath: path)
}

block("zero_grad")
do {
    manualSeed(0)
    let lin = Linear(3, 1)
    let opt = SGD(lin.parameters(), lr: 0.1)
    mseLoss(lin(X), y).backward()
    print(show(lin.weight.grad))
    mseLoss(lin(X), y).backward()
    print(show(lin.weight.grad))
    opt.zeroGrad(setToNil: false)          // PyTorch: zero_grad(set_to_none=False)
    print(show(lin.weight.grad))
    opt.zeroGrad()
    print(show(lin.weight.grad))
    mseLoss(lin(X), y).backward()
    lin.zeroGrad()
    print(show(lin.weight.grad), show(lin.bias!.grad))
    opt.step()
    print(lin.weight)
}

block("clip_grad_norm_")
let clipModel = makeModel()
mseLoss(clipModel(X), y).backward()
let params = clipModel.parameters()
let before = params.map { $0.grad!.clone() }
do {
    let total = clipGradNorm_(clipModel.parameters(), maxNorm: 0.5)
    print(total)
    print(f6(total.item()))
    let after = stack(params.map { $0.grad!.norm() }).norm()
    print(f6(after.item()))
    print(f6((params[0].grad! / before[0]).mean().item()))
    for (p, b) in zip(params, before) { p.grad = b.clone() }
    let inf = clipGradNorm_(clipModel.parameters(), maxNorm: 0.1, normType: .infinity)
    print(f6(inf.item()))
    print(f6(params.map { $0.grad!.abs().max().item() }.max()!))
    for (p, b) in zip(params, before) { p.grad = b.clone() }
    let big = clipGradNorm_(clipModel.parameters(), maxNorm: 100.0)
    print(f6(big.item()), py(params[0].grad!.equal(before[0])))
    let l1 = clipGradNorm_(clipModel.parameters(), maxNorm: 1.0, normType: 1.0)
    print(f6(l1.item()))
}

block("clip_grad_value_")
for (p, b) in zip(params, before) { p.grad = b.clone() }
clipGradValue_(clipModel.parameters(), clipValue: 0.05)
print(params[0].grad!)
print(params[3].grad!)
print(f6(params.map { $0.grad!.abs().max().item() }.max()!))

block("clipping in a training loop")
do {
    let model = makeModel()
    let opt = SGD(model.parameters(), lr: 0.2, momentum: 0.9)
    var norms: [Double] = []
    for _ in 0..<20 {
        opt.zeroGrad()
        let loss = mseLoss(model(X), y)
        loss.backward()
        norms.append(clipGradNorm_(model.parameters(), maxNorm: 0.25).item())
        opt.step()
    }
    print(norms.prefix(5).map { String(format: "%.4f", $0) }.joined(separator: " "))
    report("clipped SGD", model)
}
