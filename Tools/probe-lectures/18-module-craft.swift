// Building and inspecting modules: a custom Module with submodules, a ModuleList and a ModuleDict,
// buffers (persistent and not), named_parameters / named_modules / named_children / named_buffers,
// apply with nn.init, freezing, train/eval propagation, forward / forward-pre / full backward hooks,
// state dicts (strict and not), dtype casts, Sequential surgery, a named Sequential, zero_grad,
// parameters_to_vector, gradient clipping, weight tying and a trainable-parameter summary, written as
// a PyTorch user would write them against Descent. Expected output: pytorch/18-module-craft.py's
// (pytorch/18-module-craft.expected). (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func pyList(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }
func pyBools(_ a: [Bool]) -> String { "[" + a.map(py).joined(separator: ", ") + "]" }
func shp(_ g: Tensor?) -> String { g.map { "\($0.shape)" } ?? "None" }
func typeName(_ m: Module) -> String { String(describing: type(of: m)) }   // Python's type(m).__name__

final class Block: Module {
    let fc: Linear
    let norm: LayerNorm
    let drop: Dropout
    init(_ dim: Int) {
        fc = Linear(dim, dim)
        norm = LayerNorm(dim)
        drop = Dropout(0.1)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        drop(relu(norm(fc(x)))) + x
    }
}

final class Net: Module {
    let stem: Linear
    let blocks: ModuleList
    let heads: ModuleDict
    let bn: BatchNorm1d
    let temperature: Parameter
    let scale: Tensor
    let cache: Tensor
    override init() {
        stem = Linear(4, 8)
        blocks = ModuleList([Block(8), Block(8)])
        heads = ModuleDict(["cls": Linear(8, 3), "reg": Linear(8, 1)])
        bn = BatchNorm1d(8)
        temperature = Parameter(Tensor.ones(1))
        scale = Tensor(2.0)
        cache = Tensor.zeros(3)
        super.init()
        registerBuffer("scale", scale)
        registerBuffer("cache", cache, persistent: false)
    }
    override func forward(_ x: Tensor) -> Tensor {
        var h = stem(x) * scale
        for b in blocks {
            h = b(h)
        }
        h = bn(h)
        return heads["cls"]!(h) / temperature + heads["reg"]!(h)
    }
}

manualSeed(0)
var model = Net()
let x = Tensor.randn(5, 4)

block("print(model)")
print(model)

block("named_parameters")
for (name, p) in model.namedParameters() {
    print(name, p.shape, py(p.requiresGrad))
}
print(model.parameters().count)

block("named_modules")
for (name, m) in model.namedModules() {
    print(name.isEmpty ? "<root>" : name, typeName(m))
}

block("named_children")
for (name, m) in model.namedChildren() {
    print(name, typeName(m))
}
print(model.children().count, model.modules().count)

block("named_buffers")
for (name, b) in model.namedBuffers() {
    print(name, b.shape, b.dtype)
}
print(model.scale)
print(model.cache)

block("parameter counts")
do {
    let total = model.parameters().map { $0.numel() }.reduce(0, +)
    let trainable = model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +)
    print(total, trainable)
}

block("state_dict")
let sd = model.stateDict()
for (k, v) in sd {
    print(k, v.shape)
}
print(sd.count, py(sd["cache"] != nil), py(sd["scale"] != nil))

block("get_submodule and get_parameter")
print(model.getSubmodule("blocks.1.norm"))
print(model.getParameter("heads.reg.weight")!.shape)
print(model.getBuffer("bn.running_var"))
print(model.heads["cls"]!)
print((model.blocks[0] as! Block).fc)

block("ModuleList and ModuleDict")
print(model.blocks.count, model.heads.count)
print(pyList(model.heads.keys))
for (k, m) in model.heads {
    print(k, m)
}
print(py(model.heads.contains("cls")), py(model.heads.contains("box")))
let ml = ModuleList()
ml.append(Linear(2, 2))
ml.extend([ReLU(), Tanh()])
ml.insert(1, Identity())
print(ml)
print(ml.count)
let md = ModuleDict()
md["a"] = ReLU()
md["b"] = Sigmoid()
md.update([("c", Tanh())])
print(md)
print(typeName(md.pop("b")), pyList(md.keys))

block("apply with nn.init")
var visited: [String] = []
manualSeed(1)
model.apply { m in
    visited.append(typeName(m))
    if let l = m as? Linear {
        xavierUniform_(l.weight)
        zeros_(l.bias!)
    } else if let n = m as? LayerNorm {
        constant_(n.weight!, 0.5)
        zeros_(n.bias!)
    }
}
print(visited.joined(separator: " "))
print(model.stem.weight)
print((model.heads["reg"] as! Linear).weight)
print((model.blocks[1] as! Block).norm.weight!)
print((model.heads["cls"] as! Linear).bias!)

block("nn.init functions")
manualSeed(2)
let w = Tensor.empty(3, 5)
kaimingNormal_(w, mode: .fanOut, nonlinearity: "relu")
print(w)
kaimingUniform_(w, a: 0.1)
print(w)
xavierNormal_(w, gain: calculateGain("tanh"))
print(w)
normal_(w, mean: 0.0, std: 0.02)
print(w)
uniform_(w, -0.1, 0.1)
print(w)
truncNormal_(w, std: 0.02, a: -0.03, b: 0.03)
print(w)
print(py(w.abs().max().item() <= 0.03))
orthogonal_(w)
print(w)
print(py(allclose(w.matmul(w.T), Tensor.eye(3), atol: 1e-5)))
constant_(w, 0.3)
print(w)
ones_(w)
print(w.sum())
eye_(w)
print(w)
print(String(format: "%.6f", calculateGain("leaky_relu", param: 0.2)))

block("freezing")
manualSeed(3)
model = Net()
model.stem.requiresGrad_(false)
for p in model.blocks[0].parameters() {
    p.requiresGrad = false
}
do {
    let out = model(x)
    out.sum().backward()
    for (name, p) in model.namedParameters() {
        print(name, py(p.requiresGrad), py(p.grad == nil))
    }
    let total = model.parameters().map { $0.numel() }.reduce(0, +)
    let trainable = model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +)
    print(total, trainable, total - trainable)
    model.zeroGrad()
    print(py(model.parameters().allSatisfy { $0.grad == nil }))
    model.requiresGrad_(true)
    print(model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +))
}

block("train and eval")
model.eval()
for (name, m) in model.namedModules() {
    print(name.isEmpty ? "<root>" : name, py(m.isTraining))
}
model.train()
model.blocks[1].eval()
print(pyBools(model.modules().map { $0.isTraining }))
model.train()
print(py(model.modules().allSatisfy { $0.isTraining }))
model.eval()
do {
    let a: Tensor = noGrad { model(x) }
    let b: Tensor = noGrad { model(x) }
    print(py(a.equal(b)))
    print(a)
}

block("hooks")
model.train()
manualSeed(4)
func preHook(_ m: Module, _ inp: Tensor) -> Tensor? {
    print("pre", typeName(m), shp(inp))
    return nil
}
func fwdHook(_ m: Module, _ inp: Tensor, _ out: Tensor) -> Tensor? {
    print("fwd", typeName(m), shp(inp), shp(out))
    return nil
}
func bwdHook(_ m: Module, _ gin: [Tensor?], _ gout: [Tensor]) -> [Tensor?]? {
    print("bwd", typeName(m), "in", gin.map { shp($0) }.joined(separator: " "), "out", gout.map { shp($0) }.joined(separator: " "))
    return nil
}
func bwdPreHook(_ m: Module, _ gout: [Tensor]) -> [Tensor]? {
    print("bwd pre", typeName(m), gout.map { shp($0) }.joined(separator: " "))
    return nil
}
do {
    let cls = model.heads["cls"]!
    let h1 = model.blocks[0].registerForwardPreHook(preHook)
    let h2 = model.stem.registerForwardHook(fwdHook)
    let h3 = cls.registerFullBackwardHook(bwdHook)
    let h4 = cls.registerFullBackwardPreHook(bwdPreHook)
    let h5 = model.stem.registerFullBackwardHook(bwdHook)
    var out = model(x)
    print(out.shape)
    out.sum().backward()
    for hd in [h1, h2, h3, h4, h5] {
        hd.remove()
    }
    out = model(x)
    print("after remove", out.shape)
    // a forward hook that replaces the output, a pre-hook that replaces the input
    let hz = model.heads["reg"]!.registerForwardHook { _, _, o in o * 0 }
    let hp = cls.registerForwardPreHook { _, i in i * 0 }
    model.eval()
    let r: Tensor = noGrad { model(x) }
    print(r)
    hz.remove()
    hp.remove()
    // a backward hook that replaces grad_input
    let lin = Linear(3, 2)
    let xin = Tensor.ones(1, 3, requiresGrad: true)
    let hb = lin.registerFullBackwardHook { _, gin, _ in [gin[0]! * 10] }
    lin(xin).sum().backward()
    print(xin.grad!)
    hb.remove()
}

block("load_state_dict strict=False")
manualSeed(5)
let src = Net()
let dst = Net()
var sd2 = src.stateDict()
sd2["heads.reg.bias"] = nil
sd2["extra.weight"] = Tensor.zeros(2)
let result = try dst.loadStateDict(sd2, strict: false)
print(pyList(result.missingKeys))
print(pyList(result.unexpectedKeys))
print(result)
print(py(dst.stem.weight.equal(src.stem.weight)),
      py((dst.heads["reg"] as! Linear).bias!.equal((src.heads["reg"] as! Linear).bias!)))
print(try dst.loadStateDict(src.stateDict()))
do {
    try dst.loadStateDict(sd2)
} catch {
    print(error)
}
sd2["stem.bias"] = Tensor.zeros(3)
do {
    try dst.loadStateDict(sd2, strict: false)
} catch {
    print(error)
}

block("to float64")
model.to(dtype: .float64)
print(model.stem.weight.dtype, model.scale.dtype, model.cache.dtype, model.bn.runningMean!.dtype, model.bn.numBatchesTracked!.dtype)
do {
    let r: Tensor = noGrad { model(x.double()) }
    print(r.dtype)
}
model.float()
print(model.stem.weight.dtype, model.scale.dtype)
model.double()
print(model.temperature.dtype)
model.to(dtype: .float32)

block("Sequential")
manualSeed(6)
let seq = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
print(seq.count)
print(seq[0])
print(seq[-1])
print(seq[1..<seq.count])   // seq[1:] (no seq[1...])
print(seq[0..<2])           // seq[:2] (no seq[..<2])
seq.append(Sigmoid())
print(seq.count)
seq.insert(1, BatchNorm1d(3))
print(seq)
seq.extend([Identity()])
print(seq.count, typeName(seq[-1]))
print(typeName(seq.pop(5)), seq.count)
for (i, m) in seq.children().enumerated() {   // `for m in seq`: Sequential is not a Sequence
    print(i, typeName(m))
}
print(py(seq(Tensor.randn(4, 2)).shape == [4, 1]))

block("named Sequential")
manualSeed(7)
let net = Sequential(named: ["fc1": Linear(2, 4), "act": ReLU(), "fc2": Linear(4, 1)])
print(net)
print(net["fc1"])
print(pyList(net.namedParameters().map { $0.0 }))
print(net[1..<net.count])
net.addModule("out", Sigmoid())
print(pyList(net.namedChildren().map { $0.0 }))

block("zero_grad")
manualSeed(8)
let xs = Tensor.randn(6, 2)
net(xs).sum().backward()
print(pyBools(net.parameters().map { $0.grad == nil }))
net.zeroGrad()
print(pyBools(net.parameters().map { $0.grad == nil }))

block("parameters_to_vector and vector_to_parameters")
let vec = parametersToVector(net.parameters())
print(vec.shape)
print(vec)
vectorToParameters(Tensor.arange(0, vec.numel(), dtype: .float32), net.parameters())
print((net["fc1"] as! Linear).weight)
print((net["fc2"] as! Linear).bias!)

block("clip_grad_norm_ and clip_grad_value_")
manualSeed(9)
let net2 = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
let xs2 = Tensor.randn(8, 3)
net2(xs2).pow(2).sum().backward()
let total2 = clipGradNorm_(net2.parameters(), maxNorm: 0.5)
print(total2)
print(String(format: "%.4f", stack(net2.parameters().map { $0.grad!.norm() }).norm().item()))
net2.zeroGrad()
net2(xs2).pow(2).sum().backward()
let totalInf = clipGradNorm_(net2.parameters(), maxNorm: 1.0, normType: .infinity)
print(totalInf)
print((net2[2] as! Linear).bias!.grad!)
net2.zeroGrad()
net2(xs2).pow(2).sum().backward()
clipGradValue_(net2.parameters(), clipValue: 0.1)
print((net2[2] as! Linear).weight.grad!)

block("weight tying")
final class Tied: Module {
    let embed: Embedding
    let out: Linear
    override init() {
        embed = Embedding(10, 4)
        out = Linear(4, 10, bias: false)
        super.init()
        out.weight = embed.weight
    }
    override func forward(_ idx: Tensor) -> Tensor {
        out(embed(idx))
    }
}
manualSeed(10)
let tied = Tied()
print(tied.parameters().count, tied.parameters().map { $0.numel() }.reduce(0, +))
print(pyList(tied.namedParameters().map { $0.0 }))
print(pyList(tied.stateDict().keys))
print(py(tied.out.weight === tied.embed.weight))
let tiedLogits = tied(Tensor([1, 3, 3]))
print(tiedLogits.shape)
tiedLogits.sum().backward()
print(tied.embed.weight.grad![0..<4])
let shared = Linear(3, 3)
let twice = Sequential(shared, ReLU(), shared)
print(twice.parameters().count, twice.parameters().map { $0.numel() }.reduce(0, +))
print(pyList(twice.namedParameters().map { $0.0 }))
print(pyList(twice.namedModules().map { $0.0 }))
print(pyList(twice.stateDict().keys))
print(twice)

block("trainable summary")
manualSeed(11)
model = Net()
model.blocks.requiresGrad_(false)
func col(_ s: String, _ width: Int) -> String { s.padding(toLength: max(width, s.count), withPad: " ", startingAt: 0) }
print(col("name", 24) + col("shape", 10) + "trainable")
for (name, p) in model.namedParameters() {
    print(col(name, 24) + col("\(p.shape)", 10) + py(p.requiresGrad))
}
do {
    let total = model.parameters().map { $0.numel() }.reduce(0, +)
    let trainable = model.parameters().filter { $0.requiresGrad }.map { $0.numel() }.reduce(0, +)
    print("total \(total), trainable \(trainable), frozen \(total - trainable)")
    print(String(format: "%.2f%% trainable", 100 * Double(trainable) / Double(total)))
}
print(typeName(model.blocks[-1]), typeName((model.blocks[-1] as! Block).drop))   // negative ModuleList index
