// Checkpoints, hooks and training utilities: a small MLP trained with Adam and OneCycleLR, a full
// checkpoint {model, optimizer, scheduler, epoch} saved to a temporary folder and loaded into fresh
// objects that finish the run with the uninterrupted run's numbers; the optimizer's and scheduler's
// state dicts looked into; parameter counting, freezing and parameter groups; forward, forward-pre,
// tensor and full backward hooks and their removal; clip_grad_norm_ / clip_grad_value_;
// parameters_to_vector; apply with nn.init; deepcopy; train/eval with Dropout; the grad modes.
// Written as a PyTorch user would write it against Descent. Expected output:
// pytorch/22-checkpoints-hooks.py's (pytorch/22-checkpoints-hooks.expected). No data files are read.
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func pyBools(_ a: [Bool]) -> String { "[" + a.map(py).joined(separator: ", ") + "]" }
func pyList(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }
func f6(_ v: Double) -> String { String(format: "%.6f", v) }
func g8(_ v: Double) -> String { String(format: "%.8g", v) }
func shp(_ t: Tensor?) -> String { t.map { "\($0.shape)" } ?? "None" }
func typeName(_ m: Module) -> String { String(describing: type(of: m)) }   // Python's type(m).__name__

manualSeed(0)
let X = Tensor.randn(64, 4)
let trueW = Tensor([[1.5], [-2.0], [0.5], [1.0]])
let y = X.matmul(trueW) + 0.5 * X[.all, 0..<1] * X[.all, 1..<2] + 0.1 * Tensor.randn(64, 1)

let epochs = 6, batch = 16
let steps = epochs * (64 / batch)

func makeModel(_ seed: Int) -> Sequential {
    manualSeed(seed)
    return Sequential {
        Linear(4, 16)
        ReLU()
        Linear(16, 16)
        ReLU()
        Linear(16, 1)
    }
}

func makeTraining(_ model: Sequential) -> (Adam, OneCycleLR) {
    let opt = Adam(model.parameters(), lr: 0.01)
    let sched = OneCycleLR(opt, maxLR: 0.05, totalSteps: steps)
    return (opt, sched)
}

func trainEpoch(_ model: Sequential, _ opt: Optimizer, _ sched: LRScheduler) -> Double {
    model.train()
    var total = 0.0
    for i in stride(from: 0, to: 64, by: batch) {
        let xb = X[i..<(i + batch)], yb = y[i..<(i + batch)]
        opt.zeroGrad()
        let loss = mseLoss(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
    }
    return total / Double(64 / batch)
}

func lin(_ model: Sequential, _ i: Int) -> Linear { model[i] as! Linear }   // model[i] as nn.Linear

// tempfile.mkdtemp()
let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("descent-probe-22-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)

block("data and model")
print(X.shape, y.shape, f6(y.sum().item()))
let model = makeModel(1)
print(model)
print(model.parameters().map { $0.numel() }.reduce(0, +))
print(model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +))
print(model.parameters().count)

block("state_dict keys and shapes")
for (k, v) in model.stateDict() {
    print(k, v.shape)
}
print(model.stateDict().count)

block("uninterrupted run")
let modelA = makeModel(1)
let (optA, schedA) = makeTraining(modelA)
var lossesA: [Double] = []
for epoch in 0..<epochs {
    let loss = trainEpoch(modelA, optA, schedA)
    lossesA.append(loss)
    print("epoch \(epoch) loss \(f6(loss)) lr \(g8(schedA.getLastLR()[0]))")
}

block("checkpoint at epoch 3")
let modelB = makeModel(1)
let (optB, schedB) = makeTraining(modelB)
for epoch in 0..<3 {
    let loss = trainEpoch(modelB, optB, schedB)
    print("epoch \(epoch) loss \(f6(loss))")
}
let path = tmp + "/ckpt.pt"
try save(["epoch": 3, "model": modelB.stateDict(), "optimizer": optB.stateDict(),
          "scheduler": schedB.stateDict()], to: path)
print(pyList(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted()))

block("optimizer state_dict")
do {
    // PyTorch's nested {'state': {...}, 'param_groups': [...]} comes flattened: "param_groups.0.lr", "state.0.exp_avg"
    let osd = optB.stateDict()
    var top: [String] = []
    for k in osd.keys {
        let head = String(k.split(separator: ".")[0])
        if !top.contains(head) { top.append(head) }
    }
    print(pyList(top))
    let gp = "param_groups.0."
    var groupKeys: [String] = []
    for k in osd.keys where k.hasPrefix(gp) {
        let name = String(k.dropFirst(gp.count).split(separator: ".")[0])   // "betas.0" -> "betas"
        if !groupKeys.contains(name) { groupKeys.append(name) }
    }
    print(pyList(groupKeys.sorted()))
    func value(_ name: String) -> Double { osd[gp + name]!.item() }
    print("lr", g8(value("lr")))
    print("betas", "(\(g8(value("betas.0"))), \(g8(value("betas.1"))))")
    print("eps", g8(value("eps")))
    print("weight_decay", g8(value("weight_decay")))
    print("amsgrad", py(value("amsgrad") != 0))
    print("initial_lr", g8(value("initial_lr")))
    print("max_lr", g8(value("max_lr")), "min_lr", g8(value("min_lr")))
    print("max_momentum", g8(value("max_momentum")), "base_momentum", g8(value("base_momentum")))
    print("params", osd[gp + "params"]!.toArray(Int.self))
    var stateIndices: [Int] = []
    for k in osd.keys where k.hasPrefix("state.") {
        let i = Int(k.split(separator: ".")[1])!
        if !stateIndices.contains(i) { stateIndices.append(i) }
    }
    print(stateIndices)
    print(pyList(osd.keys.filter { $0.hasPrefix("state.0.") }.map { String($0.dropFirst("state.0.".count)) }))
    print(osd["state.0.step"]!)
    print(osd["state.0.exp_avg"]!.shape)
    print(String(format: "%.6e", osd["state.4.exp_avg_sq"]!.sum().item()))
    print(optB.state[lin(modelB, 0).weight]!["step"]!)
}

block("scheduler state_dict")
do {
    let ssd = schedB.stateDict()
    print(Int(ssd["last_epoch"]!.item()), Int(ssd["_step_count"]!.item()), Int(ssd["total_steps"]!.item()))
    print(pyList(ssd["base_lrs"]!.toArray(Double.self).map(g8)), pyList(ssd["_last_lr"]!.toArray(Double.self).map(g8)))
}

block("resume from the checkpoint")
let modelC = makeModel(99)
let (optC, schedC) = makeTraining(modelC)
let ckpt = try loadCheckpoint(from: path)            // torch.load(path)
print(pyList(ckpt.keys.sorted()))
print(try ckpt.stateDict("model").count)
print(try modelC.loadStateDict(ckpt["model"]!))
try optC.loadStateDict(ckpt.stateDict("optimizer"))
try schedC.loadStateDict(ckpt.stateDict("scheduler"))
let start = try ckpt.int("epoch")
print(start, g8(optC.paramGroups[0].lr), g8(optC.paramGroups[0][Adam.Settings.self].betas.0), schedC.lastEpoch)
var lossesC: [Double] = []
for epoch in start..<epochs {
    let loss = trainEpoch(modelC, optC, schedC)
    lossesC.append(loss)
    print("epoch \(epoch) loss \(f6(loss)) lr \(g8(schedC.getLastLR()[0]))")
}
print(py(lossesC == Array(lossesA[start...])))
print(py(zip(modelA.parameters(), modelC.parameters()).allSatisfy { $0.equal($1) }))
print(py(optA.state[lin(modelA, 4).weight]!["exp_avg"]!.equal(optC.state[lin(modelC, 4).weight]!["exp_avg"]!)))
print(py(schedA.getLastLR() == schedC.getLastLR()))

block("state_dict file round trip")
let path2 = tmp + "/model.pt"
try save(modelC.stateDict(), to: path2)             // torch.save(model.state_dict(), path2)
print(pyList(try FileManager.default.contentsOfDirectory(atPath: tmp).sorted()))
let fresh = makeModel(5)
print(try fresh.loadStateDict(load(from: path2)))
print(py(zip(fresh.parameters(), modelC.parameters()).allSatisfy { $0.equal($1) }))
let alias = modelC.stateDict()
let best = deepcopy(modelC.stateDict())             // best = copy.deepcopy(model.state_dict())
noGrad {
    lin(modelC, 0).weight.add_(1.0)
}
print(py(alias["0.weight"]!.equal(lin(modelC, 0).weight)), py(best["0.weight"]!.equal(lin(modelC, 0).weight)))
try modelC.loadStateDict(best)
print(py(lin(modelC, 0).weight.equal(lin(fresh, 0).weight)))

block("counting and freezing")
do {
    let modelF = makeModel(2)
    modelF[0].requiresGrad_(false)
    for (name, p) in modelF.namedParameters() {
        print(name, py(p.requiresGrad))
    }
    let total = modelF.parameters().map { $0.numel() }.reduce(0, +)
    let trainable = modelF.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +)
    print(total, trainable, total - trainable)
    let optF = Adam(modelF.parameters().filter { $0.requiresGrad }, lr: 0.01)
    print(optF.paramGroups[0].params.count)
    let w0 = lin(modelF, 0).weight.clone()
    let w2 = lin(modelF, 2).weight.clone()
    var loss = Tensor(0.0)
    for _ in 0..<5 {
        optF.zeroGrad()
        loss = mseLoss(modelF(X), y)
        loss.backward()
        optF.step()
    }
    print(py(lin(modelF, 0).weight.equal(w0)), py(lin(modelF, 2).weight.equal(w2)))
    print(py(lin(modelF, 0).weight.grad == nil), py(lin(modelF, 2).weight.grad == nil))
    print(f6(loss.item()))
}

block("parameter groups with different lrs")
do {
    let modelG = makeModel(3)
    let optG = Adam(groups: [ParamGroup(params: modelG[0].parameters(), lr: 0.05),
                             ParamGroup(params: modelG[2].parameters() + modelG[4].parameters())], lr: 0.005)
    let schedG = CosineAnnealingLR(optG, tMax: 4)
    print(optG.paramGroups.map { $0.params.count })
    print(pyList(optG.paramGroups.map { g8($0.lr) }))
    for _ in 0..<4 {
        optG.zeroGrad()
        mseLoss(modelG(X), y).backward()
        optG.step()
        schedG.step()
        print(pyList(optG.paramGroups.map { g8($0.lr) }), pyList(schedG.getLastLR().map(g8)))
    }
    print(optG)
}

block("forward hooks")
let modelH = makeModel(4)
var activations: [String: Tensor] = [:]
func saveActivation(_ name: String) -> (Module, Tensor, Tensor) -> Tensor? {
    return { _, _, output in
        activations[name] = output.detach()
        return nil
    }
}
let handles = [modelH[1].registerForwardHook(saveActivation("relu1")),
               modelH[3].registerForwardHook(saveActivation("relu2"))]
_ = modelH(X[0..<8])
for name in ["relu1", "relu2"] {
    let a = activations[name]!
    print(name, a.shape, String(format: "%.4f", (a .== 0).float().mean().item()), f6(a.sum().item()), py(a.requiresGrad))
}
for handle in handles {
    handle.remove()
}
activations.removeAll()
_ = modelH(X[0..<1])
print(activations.count)

var calls: [String] = []
let hp = modelH[0].registerForwardPreHook { module, input in
    calls.append(typeName(module) + " " + shp(input))
    return nil
}
_ = modelH(X[0..<8])
_ = modelH(X[0..<3])
print(pyList(calls))
hp.remove()
_ = modelH(X[0..<2])
print(calls.count)

do {
    let hz = modelH[0].registerForwardPreHook { _, input in input * 0 }
    let zeroed: Tensor = noGrad { modelH(X[0..<2]) }
    hz.remove()
    let reference: Tensor = noGrad { modelH(Tensor.zeros(2, 4)) }
    print(py(zeroed.equal(reference)))
    let ho = modelH[4].registerForwardHook { _, _, output in output + 1 }
    let shifted: Tensor = noGrad { modelH(X[0..<2]) }
    ho.remove()
    let plain: Tensor = noGrad { modelH(X[0..<2]) }
    print((shifted - plain).flatten())
}

block("tensor hooks")
manualSeed(5)
let x = Tensor.randn(4, requiresGrad: true)
var h = x * 3
var seen: [String: Tensor] = [:]
let hh = h.registerHook { g in
    seen["h"] = g.clone()
    return nil
}
h.pow(2).sum().backward()
print(seen["h"]!)
print(x.grad!)
hh.remove()
x.grad = nil
h = x * 3
h.registerHook { g in g * 0.5 }
h.pow(2).sum().backward()
print(x.grad!)
x.grad = nil
let hx = x.registerHook { g in g.clamp(min: -1, max: 1) }
(x * 10).sum().backward()
print(x.grad!)
hx.remove()
x.grad = nil
(x * 10).sum().backward()
print(x.grad!)

block("full backward hook")
var records: [String] = []
let hb = modelH[2].registerFullBackwardHook { module, gradInput, gradOutput in
    let ins = gradInput.map { shp($0) }.joined(separator: " ")
    let outs = gradOutput.map { shp($0) }.joined(separator: " ")
    let outNorm = f6(gradOutput[0].norm().item()), inNorm = f6(gradInput[0]!.norm().item())
    records.append("\(typeName(module)) in \(ins) out \(outs) \(outNorm) \(inNorm)")
    return nil
}
modelH.zeroGrad()
mseLoss(modelH(X[0..<8]), y[0..<8]).backward()
print(records.joined(separator: "\n"))
hb.remove()
modelH.zeroGrad()
mseLoss(modelH(X[0..<8]), y[0..<8]).backward()
print(records.count)

block("gradient clipping")
modelH.zeroGrad()
mseLoss(modelH(X), y).backward()
let totalNorm = clipGradNorm_(modelH.parameters(), maxNorm: 0.1)
print(totalNorm)
print(f6(stack(modelH.parameters().map { $0.grad!.norm() }).norm().item()))
modelH.zeroGrad()
mseLoss(modelH(X), y).backward()
print(clipGradNorm_(modelH.parameters(), maxNorm: 10.0))
modelH.zeroGrad()
mseLoss(modelH(X), y).backward()
clipGradValue_(modelH.parameters(), clipValue: 0.05)
print(f6(modelH.parameters().map { $0.grad!.abs().max().item() }.max()!))
print(lin(modelH, 4).bias!.grad!)

block("parameters_to_vector and vector_to_parameters")
let vec = parametersToVector(modelH.parameters())
print(vec.shape, py(vec.requiresGrad), f6(vec.sum().item()))
vectorToParameters(vec * 0.5, modelH.parameters())
print(py(allclose(parametersToVector(modelH.parameters()), vec * 0.5)))
print(f6(lin(modelH, 0).weight.sum().item()), f6(lin(modelH, 4).bias!.item()))

block("apply with nn.init")
let modelI = makeModel(7)
var visited: [String] = []
func initXavier(_ m: Module) {
    visited.append(typeName(m))
    if let l = m as? Linear {
        xavierUniform_(l.weight)
        zeros_(l.bias!)
    }
}
manualSeed(8)
modelI.apply(initXavier)
print(pyList(visited))
print(lin(modelI, 0).weight[0..<2])
print(pyList(modelI.compactMap { $0 as? Linear }.map { f6($0.weight.sum().item()) }))
print(py(modelI.compactMap { $0 as? Linear }.allSatisfy { $0.bias!.equal(Tensor.zerosLike($0.bias!)) }))
func initKaiming(_ m: Module) {
    if let l = m as? Linear {
        kaimingNormal_(l.weight, nonlinearity: "relu")
        constant_(l.bias!, 0.01)
    }
}
manualSeed(9)
modelI.apply(initKaiming)
print(lin(modelI, 4).weight)
print(lin(modelI, 4).bias!)
print(f6(lin(modelI, 2).weight.std().item()))

block("deepcopy")
do {
    let modelD = makeModel(10)
    modelD.eval()
    let clone = deepcopy(modelD)
    print(py(clone === modelD), py(lin(clone, 0).weight === lin(modelD, 0).weight))
    print(py(zip(clone.parameters(), modelD.parameters()).allSatisfy { $0.equal($1) }))
    print(py(clone.isTraining), py(clone[0].isTraining), py(lin(clone, 0).weight.requiresGrad))
    clone.train()
    let optD = SGD(clone.parameters(), lr: 0.1)
    mseLoss(clone(X), y).backward()
    optD.step()
    print(py(lin(clone, 0).weight.equal(lin(modelD, 0).weight)), py(modelD.isTraining))
    print(py(lin(modelD, 0).weight.grad == nil), py(lin(clone, 0).weight.grad == nil))
    print(clone)
}

block("train, eval and Dropout")
do {
    manualSeed(11)
    let drop = Dropout(0.5)
    let ones = Tensor.ones(2, 6)
    print(py(drop.isTraining))
    print(drop(ones))
    drop.eval()
    print(drop(ones))
    print(py(drop.isTraining))
    manualSeed(12)
    let net = Sequential {
        Linear(6, 6)
        ReLU()
        Dropout(0.3)
        Linear(6, 1)
    }
    net.eval()
    print(pyBools(net.modules().map { $0.isTraining }))
    var a: Tensor = noGrad { net(ones) }
    var b: Tensor = noGrad { net(ones) }
    print(py(a.equal(b)))
    print(a)
    net.train()
    print(pyBools(net.modules().map { $0.isTraining }))
    a = noGrad { net(ones) }
    b = noGrad { net(ones) }
    print(py(a.equal(b)))
    print(a)
    net[2].eval()
    print(pyBools(net.modules().map { $0.isTraining }))
}

block("grad modes")
do {
    let w = Tensor.ones(3, requiresGrad: true)
    print(py(isGradEnabled()))
    noGrad {
        let a = w * 2
        print(py(isGradEnabled()), py(a.requiresGrad), py(a.gradFn == nil))
    }
    inferenceMode {
        let b = w * 2
        print(py(isInferenceModeEnabled()), py(isGradEnabled()), py(b.requiresGrad))
    }
    print(py(isInferenceModeEnabled()))
    var c = Tensor(0.0), d = Tensor(0.0)
    noGrad {
        c = enableGrad { w * 2 }
        d = w * 2
    }
    print(py(c.requiresGrad), c.gradFn!, py(d.requiresGrad))
    setGradEnabled(false)
    var e = w * 2
    print(py(isGradEnabled()), py(e.requiresGrad))
    setGradEnabled(true)
    e = w * 2
    print(py(isGradEnabled()), py(e.requiresGrad))
    for isTrain in [true, false] {
        let f: Tensor = setGradEnabled(isTrain) { w * 2 }    // with torch.set_grad_enabled(is_train):
        print(py(isTrain), py(f.requiresGrad))
    }
    print(py(isGradEnabled()))
    modelA.eval()
    let val: Tensor = noGrad { mseLoss(modelA(X), y) }
    print(f6(val.item()), py(val.requiresGrad))
}

try FileManager.default.removeItem(atPath: tmp)
print(py(FileManager.default.fileExists(atPath: tmp)))
