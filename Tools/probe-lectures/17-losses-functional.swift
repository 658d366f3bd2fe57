// Losses and torch.nn.functional: every loss module with its reductions (none / mean / sum) and the
// gradient of the loss w.r.t. its input, then a tour of the functional API (activations and their
// gradients, softmax family, normalize, one_hot, pad, interpolate, dropout, distances, embedding,
// unfold/fold, linear, conv2d, pooling, layer/batch/group norm), written as a PyTorch user would
// write it against Descent. Expected output: pytorch/17-losses-functional.py's
// (pytorch/17-losses-functional.expected). (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func pyList(_ a: [String]) -> String { "[" + a.map { "'\($0)'" }.joined(separator: ", ") + "]" }

/// Each reduction: the loss, then the gradient of its sum w.r.t. x.
func run(_ x: Tensor, _ make: (Reduction) -> Tensor) {
    for (name, r) in [("none", Reduction.none), ("mean", Reduction.mean), ("sum", Reduction.sum)] {
        x.grad = nil
        let loss = make(r)
        print(name)
        print(loss)
        loss.sum().backward()
        print(x.grad!)
    }
}
/// KLDivLoss takes its own reduction type (it adds batchmean).
func kl(_ r: Reduction) -> KLReduction {
    switch r {
    case .none: return .none
    case .mean: return .mean
    case .sum: return .sum
    }
}

manualSeed(0)
let x = Tensor.randn(3, 4, requiresGrad: true)
let t = Tensor.randn(3, 4)

block("MSELoss")
run(x) { MSELoss(reduction: $0)(x, t) }

block("L1Loss")
run(x) { L1Loss(reduction: $0)(x, t) }

block("SmoothL1Loss beta=0.5")
run(x) { SmoothL1Loss(reduction: $0, beta: 0.5)(x, t) }
do {
    x.grad = nil
    let loss = SmoothL1Loss()(x, t)
    loss.backward()
    print(loss)
    print(x.grad!)
}

block("HuberLoss delta=0.5")
run(x) { HuberLoss(reduction: $0, delta: 0.5)(x, t) }
do {
    x.grad = nil
    let loss = HuberLoss(delta: 2.0)(x, t)
    loss.backward()
    print(loss)
    print(x.grad!)
}

block("BCELoss with weight")
let p = Tensor.rand(3, 4).requiresGrad_()
let y = Tensor.randint(0, 2, [3, 4]).float()
let w = Tensor([1.0, 2.0, 0.5, 0.0])
print(p)
print(y)
run(p) { BCELoss(reduction: $0)(p, y) }
run(p) { BCELoss(weight: w, reduction: $0)(p, y) }
print(BCELoss(weight: w).stateDict())

block("BCEWithLogitsLoss with pos_weight")
run(x) { BCEWithLogitsLoss(reduction: $0)(x, y) }
let pw = Tensor([1.0, 2.0, 0.5, 3.0])
run(x) { BCEWithLogitsLoss(reduction: $0, posWeight: pw)(x, y) }
run(x) { BCEWithLogitsLoss(weight: w, reduction: $0, posWeight: pw)(x, y) }
print(pyList(BCEWithLogitsLoss(weight: w, posWeight: pw).stateDict().keys))

block("CrossEntropyLoss")
let logits = Tensor.randn(4, 5, requiresGrad: true)
let target = Tensor([1, 0, 4, 2])
let cw = Tensor([1.0, 2.0, 0.5, 1.0, 1.5])
print(logits)
run(logits) { CrossEntropyLoss(reduction: $0)(logits, target) }
print("weights")
run(logits) { CrossEntropyLoss(weight: cw, reduction: $0)(logits, target) }
print("ignore_index=0")
run(logits) { CrossEntropyLoss(ignoreIndex: 0, reduction: $0)(logits, target) }
print("weights and ignore_index=0")
run(logits) { CrossEntropyLoss(weight: cw, ignoreIndex: 0, reduction: $0)(logits, target) }
print("label_smoothing=0.1")
run(logits) { CrossEntropyLoss(reduction: $0, labelSmoothing: 0.1)(logits, target) }
print("weights and label_smoothing=0.2")
run(logits) { CrossEntropyLoss(weight: cw, reduction: $0, labelSmoothing: 0.2)(logits, target) }
print("probability targets")
let probs = Tensor.randn(4, 5).softmax(dim: 1)
print(probs)
run(logits) { CrossEntropyLoss(reduction: $0)(logits, probs) }
print("probability targets, weights and label_smoothing=0.1")
run(logits) { CrossEntropyLoss(weight: cw, reduction: $0, labelSmoothing: 0.1)(logits, probs) }
print("(N, C, d) input")
let logits3 = Tensor.randn(2, 5, 3, requiresGrad: true)
let target3 = Tensor.randint(0, 5, [2, 3])
print(target3)
run(logits3) { CrossEntropyLoss(reduction: $0)(logits3, target3) }
run(logits3) { CrossEntropyLoss(weight: cw, ignoreIndex: 2, reduction: $0)(logits3, target3) }
print("unbatched (C,) input")
let v = Tensor.randn(5, requiresGrad: true)
run(v) { CrossEntropyLoss(reduction: $0)(v, Tensor(3)) }

block("NLLLoss")
let lp = logSoftmax(Tensor.randn(4, 5), dim: 1).detach().requiresGrad_()
print(lp)
run(lp) { NLLLoss(reduction: $0)(lp, target) }
run(lp) { NLLLoss(weight: cw, reduction: $0)(lp, target) }
run(lp) { NLLLoss(ignoreIndex: 4, reduction: $0)(lp, target) }
let lp3 = logSoftmax(Tensor.randn(2, 5, 3), dim: 1).detach().requiresGrad_()
run(lp3) { NLLLoss(weight: cw, reduction: $0)(lp3, target3) }

block("KLDivLoss")
let inp = logSoftmax(Tensor.randn(3, 4), dim: 1).detach().requiresGrad_()
let tgt = softmax(Tensor.randn(3, 4), dim: 1)
run(inp) { KLDivLoss(reduction: kl($0))(inp, tgt) }
do {
    inp.grad = nil
    let loss = KLDivLoss(reduction: .batchMean)(inp, tgt)
    loss.backward()
    print("batchmean")
    print(loss)
    print(inp.grad!)
}
print("log_target")
run(inp) { KLDivLoss(reduction: kl($0), logTarget: true)(inp, tgt.log()) }
do {
    inp.grad = nil
    let loss = KLDivLoss(reduction: .batchMean, logTarget: true)(inp, tgt.log())
    loss.backward()
    print(loss)
    print(inp.grad!)
}

block("CosineEmbeddingLoss")
let a = Tensor.randn(4, 5, requiresGrad: true)
let b = Tensor.randn(4, 5)
let ysign = Tensor([1.0, -1.0, 1.0, -1.0])
run(a) { CosineEmbeddingLoss(reduction: $0)(a, b, ysign) }
run(a) { CosineEmbeddingLoss(margin: 0.2, reduction: $0)(a, b, ysign) }

block("MarginRankingLoss")
let s1 = Tensor.randn(5, requiresGrad: true)
let s2 = Tensor.randn(5)
let yr = Tensor([1.0, -1.0, 1.0, 1.0, -1.0])
run(s1) { MarginRankingLoss(reduction: $0)(s1, s2, yr) }
run(s1) { MarginRankingLoss(margin: 0.5, reduction: $0)(s1, s2, yr) }

block("HingeEmbeddingLoss")
let h = Tensor.randn(6, requiresGrad: true)
let yh = Tensor([1.0, -1.0, -1.0, 1.0, -1.0, 1.0])
run(h) { HingeEmbeddingLoss(reduction: $0)(h, yh) }
run(h) { HingeEmbeddingLoss(margin: 0.5, reduction: $0)(h, yh) }

block("SoftMarginLoss")
run(h) { SoftMarginLoss(reduction: $0)(h, yh) }

block("TripletMarginLoss")
let anc = Tensor.randn(4, 3, requiresGrad: true)
let pos = Tensor.randn(4, 3)
let neg = Tensor.randn(4, 3)
run(anc) { TripletMarginLoss(reduction: $0)(anc, pos, neg) }
run(anc) { TripletMarginLoss(margin: 2.0, p: 1, swap: true, reduction: $0)(anc, pos, neg) }

block("PoissonNLLLoss")
let rate = Tensor.randn(2, 3, requiresGrad: true)
let counts = Tensor.randint(0, 5, [2, 3]).float()
print(counts)
run(rate) { PoissonNLLLoss(reduction: $0)(rate, counts) }
let lam = (Tensor.rand(2, 3) + 0.5).requiresGrad_()
run(lam) { PoissonNLLLoss(logInput: false, full: true, reduction: $0)(lam, counts) }

block("GaussianNLLLoss")
let mu = Tensor.randn(4, 2, requiresGrad: true)
let obs = Tensor.randn(4, 2)
let vr = (Tensor.rand(4, 2) + 0.1).requiresGrad_()
run(mu) { GaussianNLLLoss(reduction: $0)(mu, obs, vr) }
print(vr.grad!)
vr.grad = nil
run(mu) { GaussianNLLLoss(full: true, reduction: $0)(mu, obs, vr[.all, 0..<1]) }
print(vr.grad!)
vr.grad = nil
run(mu) { GaussianNLLLoss(reduction: $0)(mu, obs, vr[.all, 0]) }

block("MultiLabelSoftMarginLoss")
let ml = Tensor.randn(3, 4, requiresGrad: true)
let yml = Tensor.randint(0, 2, [3, 4]).float()
print(yml)
run(ml) { MultiLabelSoftMarginLoss(reduction: $0)(ml, yml) }
run(ml) { MultiLabelSoftMarginLoss(weight: w, reduction: $0)(ml, yml) }

block("MultiMarginLoss")
let mm = Tensor.randn(3, 4, requiresGrad: true)
let ymm = Tensor([3, 0, 1])
run(mm) { MultiMarginLoss(reduction: $0)(mm, ymm) }
run(mm) { MultiMarginLoss(p: 2, margin: 0.5, reduction: $0)(mm, ymm) }
run(mm) { MultiMarginLoss(weight: w, reduction: $0)(mm, ymm) }

block("MultiLabelMarginLoss")
let yl = Tensor([[3, 0, -1, 1], [1, 2, 3, -1], [0, -1, 2, 2]])
run(mm) { MultiLabelMarginLoss(reduction: $0)(mm, yl) }

block("CTCLoss")
let raw = Tensor.randn(6, 2, 4, requiresGrad: true)
let targets = Tensor([[1, 2, 2], [1, 3, 0]])
let inLens = Tensor([6, 5])
let tgLens = Tensor([3, 2])
run(raw) { CTCLoss(reduction: $0)(raw.logSoftmax(dim: 2), targets, inLens, tgLens) }
print("gradient w.r.t. the log-probabilities themselves")
do {
    let lpc = raw.detach().logSoftmax(dim: 2).requiresGrad_()
    let loss = CTCLoss()(lpc, targets, inLens, tgLens)
    loss.backward()
    print(loss)
    print(lpc.grad!)
}
print("impossible alignment, zero_infinity")
let short = Tensor([2, 2])
print(CTCLoss(reduction: .none)(raw.logSoftmax(dim: 2), targets, short, tgLens))
print(CTCLoss(reduction: .none, zeroInfinity: true)(raw.logSoftmax(dim: 2), targets, short, tgLens))
print(ctcLoss(raw.logSoftmax(dim: 2), targets, inLens, tgLens, blank: 0, reduction: .sum))

block("activations")
manualSeed(1)
let xa = (Tensor.randn(2, 5) * 2).requiresGrad_()
print(xa)
// F.selu, F.mish, F.softplus(beta=, threshold=), F.hardtanh, F.relu6, F.hardswish, F.hardsigmoid,
// F.logsigmoid, F.softsign have no free function: the Tensor methods are used.
let acts: [(String, (Tensor) -> Tensor)] = [
    ("relu", { relu($0) }),
    ("leaky_relu", { leakyRelu($0, negativeSlope: 0.2) }),
    ("elu", { elu($0, alpha: 0.5) }),
    ("selu", { $0.selu() }),
    ("celu", { celu($0, alpha: 2.0) }),
    ("gelu", { gelu($0) }),
    ("gelu tanh", { gelu($0, approximate: "tanh") }),
    ("silu", { silu($0) }),
    ("mish", { $0.mish() }),
    ("softplus", { softplus($0) }),
    ("softplus beta=2 threshold=1", { $0.softplus(beta: 2, threshold: 1) }),
    ("hardtanh", { $0.hardtanh() }),
    ("hardtanh -0.5 0.5", { $0.hardtanh(minVal: -0.5, maxVal: 0.5) }),
    ("relu6", { $0.relu6() }),
    ("hardswish", { $0.hardswish() }),
    ("hardsigmoid", { $0.hardsigmoid() }),
    ("logsigmoid", { $0.logSigmoid() }),
    ("softsign", { $0.softsign() }),
    ("tanhshrink", { tanhshrink($0) }),
    ("sigmoid", { sigmoid($0) }),
    ("tanh", { tanh($0) }),
]
for (name, f) in acts {
    xa.grad = nil
    let out = f(xa)
    out.sum().backward()
    print(name)
    print(out)
    print(xa.grad!)
}

block("softmax, log_softmax, softmin along dims")
manualSeed(2)
let s = Tensor.randn(2, 3, 4)
for d in [0, 1, 2, -1] {
    print("dim", d)
    print(softmax(s, dim: d))
    print(logSoftmax(s, dim: d))
    print(s.softmin(dim: d))   // no free softmin
}
print(softmax(s, dim: 1).sum(dim: 1))
print(softmax(s.double(), dim: -1).dtype)
print(softmax(s.to(dtype: .float64), dim: -1).dtype)   // F.softmax(s, dim=-1, dtype=torch.float64): no dtype argument

block("normalize")
manualSeed(3)
let nx0 = Tensor.randn(3, 4)
print(normalize(nx0))
print(normalize(nx0, p: 1, dim: 0))
print(normalize(nx0, dim: -1).norm(dim: -1))
print(normalize(Tensor.zeros(2, 3)))

block("one_hot")
let yoh = Tensor([0, 2, 1, 3])
print(oneHot(yoh))
print(oneHot(yoh, numClasses: 5))
print(oneHot(Tensor([[0, 1], [2, 0]]), numClasses: 3))
print(oneHot(yoh).dtype)

block("pad")
let img = Tensor.arange(9.0).reshape(1, 1, 3, 3)
print(pad(img, [1, 1]))
print(pad(img, [1, 2, 0, 1], value: 9.0))
print(pad(img, [1, 1, 1, 1], mode: "reflect"))
print(pad(img, [2, 0, 1, 0], mode: "replicate"))
print(pad(img, [1, 1, 1, 1], mode: "circular"))
print(pad(img, [-1, 0, 0, -1]))
let seq = Tensor.arange(5.0).reshape(1, 1, 5)
print(pad(seq, [2, 3], mode: "reflect"))
print(pad(seq, [2, 3], mode: "replicate"))
do {
    let pg = Tensor.arange(4.0).reshape(1, 1, 4).requiresGrad_()
    pad(pg, [2, 2], mode: "reflect").sum().backward()
    print(pg.grad!)
}

block("interpolate")
let small = Tensor.arange(6.0).reshape(1, 1, 2, 3)
print(interpolate(small, scaleFactor: 2, mode: "nearest"))
print(interpolate(small, size: [3, 5], mode: "nearest"))
print(interpolate(small, size: [3, 5], mode: "nearest-exact"))
print(interpolate(small, size: [4, 6], mode: "bilinear", alignCorners: false))
print(interpolate(small, size: [4, 6], mode: "bilinear", alignCorners: true))
print(interpolate(small, scaleFactor: 1.5, mode: "bilinear"))
print(interpolate(Tensor.arange(4.0).reshape(1, 1, 4), size: 7, mode: "linear", alignCorners: true))
print(interpolate(Tensor.arange(16.0).reshape(1, 1, 4, 4), size: [2, 2], mode: "area"))
do {
    let ig = small.clone().requiresGrad_()
    interpolate(ig, size: [4, 6], mode: "bilinear", alignCorners: false).sum().backward()
    print(ig.grad!)
}

block("dropout")
let ones = Tensor.ones(2, 8)
print(dropout(ones, p: 0.5, training: false))
manualSeed(0)
print(dropout(ones, p: 0.5, training: true))
manualSeed(0)
print(dropout(ones, p: 0.25))
let drop = Dropout(0.5)
print(drop)
manualSeed(0)
print(drop(ones))
drop.eval()
print(drop(ones))
print(py(drop.isTraining))
do {
    manualSeed(0)
    let dg = Tensor.ones(6, requiresGrad: true)
    dropout(dg, p: 0.5).sum().backward()
    print(dg.grad!)
}

block("cosine_similarity, pairwise_distance, cdist")
manualSeed(4)
let u = Tensor.randn(3, 4)
let vv = Tensor.randn(3, 4)
print(cosineSimilarity(u, vv))
print(cosineSimilarity(u, vv, dim: 0))
print(cosineSimilarity(u, u[0..<1]))
print(pairwiseDistance(u, vv))
print(pairwiseDistance(u, vv, p: 1.0, keepDim: true))
print(cdist(u, vv))
print(cdist(u, vv, p: 1.0))
print(cdist(u.unsqueeze(0), vv[..<2].unsqueeze(0)).shape)

block("embedding")
manualSeed(5)
let table = Tensor.randn(6, 3, requiresGrad: true)
let idx = Tensor([[0, 2, 5], [2, 2, 1]])
do {
    var e = embedding(idx, table)
    print(e)
    e.sum().backward()
    print(table.grad!)
    table.grad = nil
    e = embedding(idx, table, paddingIdx: 2)
    e.sum().backward()
    print(table.grad!)
}

block("unfold and fold")
let im = Tensor.arange(24.0).reshape(1, 2, 3, 4)
let cols = unfold(im, kernelSize: 2)
print(cols.shape)
print(cols)
// F.unfold(im, kernel_size=(2, 3), padding=1, stride=2): a pair kernel needs pairs everywhere
let cols2 = unfold(im, kernelSize: (2, 3), padding: (1, 1), stride: (2, 2))
print(cols2.shape)
print(fold(cols, outputSize: (3, 4), kernelSize: 2))
print(fold(unfold(im, kernelSize: 2, stride: 2), outputSize: (3, 4), kernelSize: 2, stride: 2))

block("linear")
manualSeed(6)
let lx = Tensor.randn(2, 3)
let lw = Tensor.randn(4, 3, requiresGrad: true)
let lb = Tensor.randn(4, requiresGrad: true)
do {
    let out = linear(lx, lw, lb)
    print(out)
    print(linear(lx, lw))
    out.sum().backward()
    print(lw.grad!)
    print(lb.grad!)
    print(linear(Tensor.randn(2, 2, 3), lw, lb).shape)
}

block("conv2d")
manualSeed(7)
let cx = Tensor.randn(1, 4, 5, 5)
let cwt = Tensor.randn(6, 4, 3, 3, requiresGrad: true)
let cb = Tensor.randn(6)
print(conv2d(cx, cwt, cb).shape)
print(conv2d(cx, cwt, cb, stride: 1, padding: 1)[0, 0])
print(conv2d(cx, cwt, cb, stride: 2, padding: 1)[0, 0..<2])
print(conv2d(cx, cwt, cb, padding: 2, dilation: 2)[0, 1])
print(conv2d(cx, cwt, cb, stride: (2, 1), padding: (0, 1)).shape)
print(conv2d(cx, cwt, padding: .same).shape)
let gw = Tensor.randn(6, 2, 3, 3)
print(conv2d(cx, gw, padding: 1, groups: 2)[0, 3])
let dw = Tensor.randn(4, 1, 3, 3)
print(conv2d(cx, dw, groups: 4)[0, 2])
conv2d(cx, cwt, cb, stride: 2, padding: 1).sum().backward()
print(cwt.grad![0, 0])

block("pooling")
manualSeed(8)
let px = Tensor.randn(1, 2, 5, 5)
print(maxPool2d(px, 2))
print(maxPool2d(px, kernelSize: 3, stride: 2, padding: 1))
print(maxPool2d(px, kernelSize: 2, ceilMode: true).shape)
print(avgPool2d(px, 2))
print(avgPool2d(px, kernelSize: 3, stride: 2, padding: 1))
print(avgPool2d(px, kernelSize: 3, stride: 2, padding: 1, countIncludePad: false))
print(adaptiveAvgPool2d(px, (2, 3)))
print(adaptiveAvgPool2d(px, (1, 1)).flatten())   // F.adaptive_avg_pool2d(px, 1): no Int form
print(adaptiveMaxPool2d(px, 2))
do {
    let pgx = px.clone().requiresGrad_()
    maxPool2d(pgx, kernelSize: 3, stride: 2, padding: 1).sum().backward()
    print(pgx.grad![0, 0])
}

block("layer_norm, batch_norm, group_norm")
manualSeed(9)
let nx = Tensor.randn(4, 6, requiresGrad: true)
let gamma = Tensor.randn(6)
let beta = Tensor.randn(6)
let ln = layerNorm(nx, [6])
print(ln)
print(layerNorm(nx, [6], weight: gamma, bias: beta))
(layerNorm(nx, [6], weight: gamma, bias: beta) * Tensor.arange(6.0)).sum().backward()
print(nx.grad!)
let rm = Tensor.zeros(6)
let rv = Tensor.ones(6)
let bn = batchNorm(nx, runningMean: rm, runningVar: rv, weight: gamma, bias: beta, training: true, momentum: 0.1)
print(bn)
print(rm)
print(rv)
print(batchNorm(nx, runningMean: rm, runningVar: rv, training: false))
let x4 = Tensor.randn(2, 6, 2, 2)
let gn = groupNorm(x4, numGroups: 3, weight: gamma, bias: beta)
print(gn[0])
print(groupNorm(x4, numGroups: 2)[1, .all, 0, 0])
print(instanceNorm(x4)[0, 0])
print(rmsNorm(nx, [6]).detach()[0])
