// Lecture: Karpathy's "makemore" on 40 embedded names, written as a PyTorch user would write it
// against Descent. stoi/itos, a bigram count matrix and sampling from it, the negative
// log-likelihood; the neural bigram (one-hot, a 27x27 weight, manual gradient descent); the MLP of
// part 2 (embedding table C[X], tanh layer, cross-entropy, minibatches, lr decay); part 3's manual
// batch norm with running statistics; the same model with nn modules and SGD; names sampled with
// multinomial at each stage. Expected output: pytorch/21-makemore.py's (pytorch/21-makemore.expected).
// (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
func f4(_ x: Double) -> String { String(format: "%.4f", x) }

let words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
             "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett",
             "victoria", "madison", "luna", "grace", "chloe", "penelope", "layla", "riley", "zoey", "nora",
             "lily", "violet", "aurora", "jack", "quinn", "xavier", "felix", "wyatt", "kevin", "yusuf"]

block("vocabulary")
print(words.count, words.map { $0.count }.min()!, words.map { $0.count }.max()!)
let chars = Array(Set(words.joined())).sorted()
var stoi: [String: Int] = [:]
for (i, s) in chars.enumerated() { stoi[String(s)] = i + 1 }
stoi["."] = 0
var itos: [Int: String] = [:]
for (s, i) in stoi { itos[i] = s }
let vocabSize = itos.count
print(String(chars), vocabSize)
print(stoi["a"]!, stoi["z"]!, itos[0]!, itos[13]!)

block("bigram counts")
let N = Tensor.zeros(27, 27, dtype: .int32)
for w in words {
    let chs = ["."] + w.map { String($0) } + ["."]
    for (ch1, ch2) in zip(chs, chs.dropFirst()) {
        let ix1 = stoi[ch1]!
        let ix2 = stoi[ch2]!
        N[ix1, ix2] += 1
    }
}
print(N.dtype, Int(N.sum().item()), Int(N.max().item()))
print(N[..<4, ..<10])
print(N[0])
let topA = Int(N[stoi["a"]!].argmax().item())
print(topA, itos[topA]!)

block("probabilities")
var P = (N + 1).float()
P /= P.sum(1, keepDim: true)
print(P.shape, P.dtype)
print(P[0])
print(py(abs(P[0].sum().item() - 1.0) < 1e-6))
print(P.sum(1)[..<5])

block("sampling from the bigram table")
var g = Generator().manualSeed(2147483647)
print(P[0].multinomial(10, replacement: true, generator: g))
g = Generator().manualSeed(2147483647)
for _ in 0..<6 {
    var out: [String] = []
    var ix = 0
    while true {
        let p = P[ix]
        ix = Int(multinomial(p, numSamples: 1, replacement: true, generator: g).item())
        out.append(itos[ix]!)
        if ix == 0 {
            break
        }
    }
    print(out.joined())
}

block("negative log likelihood")
var logLikelihood = Tensor(0.0)
var n = 0
for w in words {
    let chs = ["."] + w.map { String($0) } + ["."]
    for (ch1, ch2) in zip(chs, chs.dropFirst()) {
        let ix1 = stoi[ch1]!
        let ix2 = stoi[ch2]!
        let prob = P[ix1, ix2]
        let logprob = log(prob)
        logLikelihood += logprob
        n += 1
        if w == "emma" {
            print("\(ch1)\(ch2): \(f4(prob.item())) \(f4(logprob.item()))")
        }
    }
}
print("log_likelihood=\(logLikelihood)")
let nll = -logLikelihood
print("nll=\(nll)")
print(nll / n)
print(n)

block("neural bigram data")
var xsList: [Int] = [], ysList: [Int] = []
for w in words {
    let chs = ["."] + w.map { String($0) } + ["."]
    for (ch1, ch2) in zip(chs, chs.dropFirst()) {
        xsList.append(stoi[ch1]!)
        ysList.append(stoi[ch2]!)
    }
}
let xs = Tensor(xsList)
let ys = Tensor(ysList)
let num = xs.nelement()
print("number of examples: ", num)
print(xs[..<10])
print(ys[..<10])
let xencAll = oneHot(xs, numClasses: 27).float()
print(xencAll.shape, xencAll.dtype)
print(xencAll[..<2, ..<8])

block("neural bigram training")
g = Generator().manualSeed(2147483647)
let W = Tensor.randn(27, 27, generator: g, requiresGrad: true)
print(W[0, ..<5])
var loss = Tensor(0.0)
for k in 0..<60 {
    let xenc = oneHot(xs, numClasses: 27).float()
    let logits = xenc.matmul(W)
    let counts = logits.exp()
    let probs = counts / counts.sum(1, keepDim: true)
    loss = -probs[Tensor.arange(num), ys].log().mean() + 0.01 * W.pow(2).mean()
    W.grad = nil
    loss.backward()
    W.data += -50 * W.grad!
    if k % 10 == 0 || k == 59 {
        print("step \(k): loss \(f4(loss.item()))")
    }
}
print(loss.gradFn!)
print(W.grad![0, ..<5])

block("sampling from the neural bigram")
g = Generator().manualSeed(2147483647)
for _ in 0..<6 {
    var out: [String] = []
    var ix = 0
    while true {
        let xenc = oneHot(Tensor([ix]), numClasses: 27).float()
        let logits = xenc.matmul(W)
        let counts = logits.exp()
        let p = counts / counts.sum(1, keepDim: true)
        ix = Int(multinomial(p, numSamples: 1, replacement: true, generator: g).item())
        out.append(itos[ix]!)
        if ix == 0 {
            break
        }
    }
    print(out.joined())
}

block("mlp dataset")
let blockSize = 3
func buildDataset(_ words: [String]) -> (Tensor, Tensor) {
    var X: [[Int]] = [], Y: [Int] = []
    for w in words {
        var context = [Int](repeating: 0, count: blockSize)
        for ch in w + "." {
            let ix = stoi[String(ch)]!
            X.append(context)
            Y.append(ix)
            context = Array(context.dropFirst()) + [ix]
        }
    }
    return (Tensor(X), Tensor(Y))
}

let perm = Tensor.randperm(words.count, generator: Generator().manualSeed(42)).toArray(Int.self)
print(Array(perm[..<8]))
let shuffled = perm.map { words[$0] }
let n1 = Int(0.8 * Double(shuffled.count))
let (Xtr, Ytr) = buildDataset(Array(shuffled[..<n1]))
let (Xdev, Ydev) = buildDataset(Array(shuffled[n1...]))
print(Xtr.shape, Ytr.shape, Xtr.dtype)
print(Xdev.shape, Ydev.shape)
for (x, y) in zip(Xtr[..<6], Ytr[..<6]) {
    print(x.map { itos[Int($0.item())]! }.joined(), "--->", itos[Int(y.item())]!)
}

block("embedding lookup")
g = Generator().manualSeed(2147483647)
var C = Tensor.randn(27, 2, generator: g)
print(C[5])
print(oneHot(Tensor(5), numClasses: 27).float().matmul(C))
print(C[[5, 6, 7]])
print(C[Tensor([5, 6, 7, 7, 7])])
let embAll = C[Xtr]
print(embAll.shape)
print(Int(Xtr[13, 2].item()), C[Xtr][13, 2], C[Xtr[13, 2]])
let catted = cat([embAll[.all, 0, .all], embAll[.all, 1, .all], embAll[.all, 2, .all]], 1)
print(catted.shape)
print(py(embAll.view(-1, 6).equal(cat(unbind(embAll, 1), 1))))
print(py(embAll.view(-1, 6).isContiguous), embAll.view(embAll.shape[0], -1).shape)

block("mlp training")
g = Generator().manualSeed(2147483647)
C = Tensor.randn(27, 10, generator: g)
var W1 = Tensor.randn(30, 100, generator: g)
var b1 = Tensor.randn(100, generator: g)
var W2 = Tensor.randn(100, 27, generator: g)
var b2 = Tensor.randn(27, generator: g)
var parameters = [C, W1, b1, W2, b2]
print(parameters.map { $0.nelement() }.reduce(0, +))
for p in parameters {
    p.requiresGrad = true
}
let maxSteps = 300
var lastIx = Tensor.zeros(32, dtype: .int64)
for i in 0..<maxSteps {
    let ix = Tensor.randint(0, Xtr.shape[0], [32], generator: g)
    let emb = C[Xtr[ix]]
    let h = tanh(emb.view(-1, 30).matmul(W1) + b1)
    let logits = h.matmul(W2) + b2
    loss = crossEntropy(logits, Ytr[ix])
    for p in parameters {
        p.grad = nil
    }
    loss.backward()
    let lr = i < 200 ? 0.1 : 0.01
    for p in parameters {
        p.data += -lr * p.grad!
    }
    if i % 50 == 0 || i == maxSteps - 1 {
        print(String(format: "%5d/%5d: %.4f", i, maxSteps, loss.item()))
    }
    lastIx = ix
}
print(lastIx[..<8])

func splitLoss(_ split: String) {
    let (x, y) = ["train": (Xtr, Ytr), "val": (Xdev, Ydev)][split]!
    noGrad {
        let emb = C[x]
        let h = tanh(emb.view(-1, 30).matmul(W1) + b1)
        let logits = h.matmul(W2) + b2
        let loss = crossEntropy(logits, y)
        print(split, f4(loss.item()))
    }
}
splitLoss("train")
splitLoss("val")

block("sampling from the mlp")
g = Generator().manualSeed(2147483647 + 10)
for _ in 0..<6 {
    var out: [Int] = []
    var context = [Int](repeating: 0, count: blockSize)
    while true {
        let emb = C[Tensor([context])]
        let h = tanh(emb.view(1, -1).matmul(W1) + b1)
        let logits = h.matmul(W2) + b2
        let probs = softmax(logits, dim: 1)
        let ix = Int(multinomial(probs, numSamples: 1, generator: g).item())
        context = Array(context.dropFirst()) + [ix]
        out.append(ix)
        if ix == 0 {
            break
        }
    }
    print(out.map { itos[$0]! }.joined())
}

block("manual batch norm")
let nEmbd = 10
let nHidden = 100
g = Generator().manualSeed(2147483647)
C = Tensor.randn(vocabSize, nEmbd, generator: g)
W1 = Tensor.randn(nEmbd * blockSize, nHidden, generator: g) * (5.0 / 3.0) / pow(Double(nEmbd * blockSize), 0.5)
W2 = Tensor.randn(nHidden, vocabSize, generator: g) * 0.01
b2 = Tensor.randn(vocabSize, generator: g) * 0
let bngain = Tensor.ones(1, nHidden)
let bnbias = Tensor.zeros(1, nHidden)
var bnmeanRunning = Tensor.zeros(1, nHidden)
var bnstdRunning = Tensor.ones(1, nHidden)
parameters = [C, W1, W2, b2, bngain, bnbias]
print(parameters.map { $0.nelement() }.reduce(0, +))
for p in parameters {
    p.requiresGrad = true
}
print(f4(W1.std().item()))
var lossi: [Double] = []
for i in 0..<maxSteps {
    let ix = Tensor.randint(0, Xtr.shape[0], [32], generator: g)
    let (Xb, Yb) = (Xtr[ix], Ytr[ix])
    let emb = C[Xb]
    let embcat = emb.view(emb.shape[0], -1)
    var hpreact = embcat.matmul(W1)
    let bnmeani = hpreact.mean(0, keepDim: true)
    let bnstdi = hpreact.std(0, keepDim: true)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    noGrad {
        bnmeanRunning = 0.999 * bnmeanRunning + 0.001 * bnmeani
        bnstdRunning = 0.999 * bnstdRunning + 0.001 * bnstdi
    }
    let h = tanh(hpreact)
    let logits = h.matmul(W2) + b2
    loss = crossEntropy(logits, Yb)
    for p in parameters {
        p.grad = nil
    }
    loss.backward()
    let lr = i < 200 ? 0.1 : 0.01
    for p in parameters {
        p.data += -lr * p.grad!
    }
    lossi.append(loss.log10().item())
    if i % 50 == 0 || i == maxSteps - 1 {
        print(String(format: "%5d/%5d: %.4f", i, maxSteps, loss.item()))
    }
}
print(f4(lossi.reduce(0, +) / Double(lossi.count)))
print(py(bnmeanRunning.requiresGrad), py(bnmeanRunning.gradFn == nil))
print(bnmeanRunning[0, ..<5])
print(bnstdRunning[0, ..<5])

let (bnmean, bnstd): (Tensor, Tensor) = noGrad {
    let emb = C[Xtr]
    let embcat = emb.view(emb.shape[0], -1)
    let hpreact = embcat.matmul(W1)
    return (hpreact.mean(0, keepDim: true), hpreact.std(0, keepDim: true))
}
print(f4((bnmean - bnmeanRunning).abs().max().item()))
print(f4((bnstd - bnstdRunning).abs().max().item()))

func splitLossBN(_ split: String) {
    let (x, y) = ["train": (Xtr, Ytr), "val": (Xdev, Ydev)][split]!
    noGrad {
        let emb = C[x]
        let embcat = emb.view(emb.shape[0], -1)
        var hpreact = embcat.matmul(W1)
        hpreact = bngain * (hpreact - bnmeanRunning) / bnstdRunning + bnbias
        let h = tanh(hpreact)
        let logits = h.matmul(W2) + b2
        let loss = crossEntropy(logits, y)
        print(split, f4(loss.item()))
    }
}
splitLossBN("train")
splitLossBN("val")

block("nn modules")
manualSeed(42)
let model = Sequential {
    Embedding(vocabSize, nEmbd)
    Flatten()
    Linear(nEmbd * blockSize, nHidden, bias: false)
    BatchNorm1d(nHidden)
    Tanh()
    Linear(nHidden, vocabSize)
}
noGrad {
    (model[-1] as! Linear).weight *= 0.1
}
print(model)
print(model.parameters().map { $0.nelement() }.reduce(0, +))
for (name, p) in model.namedParameters() {
    print(name, p.shape, py(p.requiresGrad))
}
print((model[-1] as! Linear).weight[0, ..<4])
let optimizer = SGD(model.parameters(), lr: 0.1)
g = Generator().manualSeed(42)
var logits = Tensor(0.0)
for i in 0..<maxSteps {
    let ix = Tensor.randint(0, Xtr.shape[0], [32], generator: g)
    let (Xb, Yb) = (Xtr[ix], Ytr[ix])
    logits = model(Xb)
    loss = crossEntropy(logits, Yb)
    optimizer.zeroGrad()
    loss.backward()
    let lr = i < 200 ? 0.1 : 0.01
    for group in optimizer.paramGroups {
        group.lr = lr
    }
    optimizer.step()
    if i % 50 == 0 || i == maxSteps - 1 {
        print(String(format: "%5d/%5d: %.4f", i, maxSteps, loss.item()))
    }
}
print(logits.gradFn!, loss.gradFn!)
let bn = model[3] as! BatchNorm1d
print(bn.runningMean![..<4])
print(bn.runningVar![..<4])
print(bn.numBatchesTracked!)

model.eval()
func splitLossModel(_ split: String) {
    let (x, y) = ["train": (Xtr, Ytr), "val": (Xdev, Ydev)][split]!
    noGrad {
        let logits: Tensor = model(x)
        let loss = crossEntropy(logits, y)
        print(split, f4(loss.item()))
    }
}
splitLossModel("train")
splitLossModel("val")

block("sampling from the model")
g = Generator().manualSeed(2147483647 + 10)
for _ in 0..<6 {
    var out: [Int] = []
    var context = [Int](repeating: 0, count: blockSize)
    while true {
        let logits: Tensor = noGrad { model(Tensor([context])) }
        let probs = softmax(logits, dim: 1)
        let ix = Int(multinomial(probs, numSamples: 1, generator: g).item())
        context = Array(context.dropFirst()) + [ix]
        out.append(ix)
        if ix == 0 {
            break
        }
    }
    print(out.map { itos[$0]! }.joined())
}
