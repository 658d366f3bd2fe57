// Lecture: Karpathy's "Let's build GPT" at character level on a few embedded lines of Shakespeare,
// written as a PyTorch user would write it against Descent. The vocabulary, encode/decode,
// train/val split, getBatch with Tensor.randint; the averaging trick (tril, maskedFill, softmax);
// one self-attention head; a GPT of hand-written Head, MultiHeadAttention, FeedForward and Block
// modules (registerBuffer'd tril, dropout, LayerNorm, residuals), its weights re-initialised with
// apply(), trained with AdamW (decay and no-decay groups), a LambdaLR warm-up + cosine schedule and
// gradient clipping, estimateLoss() in eval mode without gradients, and text sampled with
// multinomial; nanoGPT's fused attention with scaledDotProductAttention checked against the heads;
// MultiheadAttention with generateSquareSubsequentMask / triu masks; the same language model built
// from TransformerEncoderLayer(normFirst: true) with isCausal, trained and sampled.
// Expected output: pytorch/23-transformer-lm.py's (pytorch/23-transformer-lm.expected).
// (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func f4(_ x: Double) -> String { String(format: "%.4f", x) }

let text = """
First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.

All:
We know't, we know't.

First Citizen:
Let us kill him, and we'll have corn at our own price.
Is't a verdict?

All:
No more talking on't; let it be done: away, away!

Second Citizen:
One word, good citizens.
"""

// hyperparameters
let batchSize = 8
let blockSize = 16
let maxIters = 200
let evalInterval = 50
let learningRate = 3e-3
let evalIters = 10
let nEmbd = 32
let nHead = 2
let nLayer = 2
let dropoutRate = 0.1
let warmupIters = 20
let weightDecay = 0.1

block("vocabulary")
print("length of dataset in characters:", text.count)
print(String(text.prefix(60)))
let chars = Array(Set(text)).sorted()
let vocabSize = chars.count
print(String(chars[1...]))
print(chars[0].asciiValue!, vocabSize)
var stoi: [Character: Int] = [:]
var itos: [Int: Character] = [:]
for (i, ch) in chars.enumerated() {
    stoi[ch] = i
    itos[i] = ch
}
func encode(_ s: String) -> [Int] { s.map { stoi[$0]! } }
func decode(_ l: [Int]) -> String { String(l.map { itos[$0]! }) }
print(encode("hear me speak"))
print(decode(encode("hear me speak")))

block("train and val split")
let data = Tensor(encode(text), dtype: .int64)
print(data.shape, data.dtype)
print(data[..<32])
let n = Int(0.9 * Double(data.shape[0]))
let trainData = data[..<n]
let valData = data[n...]
print(trainData.shape[0], valData.shape[0])

block("context and target")
var x = trainData[..<blockSize]
let y = trainData[1..<(blockSize + 1)]
for t in 0..<6 {
    let context = x[..<(t + 1)]
    let target = y[t]
    print("when input is \(context.tolist()) the target: \(Int(target.item()))")
}

block("get_batch")
manualSeed(1337)
func getBatch(_ split: String) -> (Tensor, Tensor) {
    let data = split == "train" ? trainData : valData
    let ix = Tensor.randint(0, data.shape[0] - blockSize, [batchSize])
    let x = stack(ix.toArray(Int.self).map { data[$0..<($0 + blockSize)] })
    let y = stack(ix.toArray(Int.self).map { data[($0 + 1)..<($0 + blockSize + 1)] })
    return (x, y)
}
var (xb, yb) = getBatch("train")
print("inputs:", xb.shape)
print(xb[..<2])
print("targets:", yb.shape)
print(yb[..<2])
print(decode(xb[0].toArray(Int.self)).replacingOccurrences(of: "\n", with: "\\n"), "->",
      decode(yb[0].toArray(Int.self)).replacingOccurrences(of: "\n", with: "\\n"))
let g = Generator().manualSeed(42)
print(Tensor.randint(0, valData.shape[0] - blockSize, [batchSize], generator: g))

block("the averaging trick")
manualSeed(1337)
var (B, T, C) = (4, 8, 2)
x = Tensor.randn(B, T, C)
let xbow = Tensor.zeros(B, T, C)
for bi in 0..<B {
    for t in 0..<T {
        let xprev = x[bi, ..<(t + 1)]
        xbow[bi, t] = mean(xprev, 0)
    }
}
var wei = Tensor.ones(T, T).tril()
wei = wei / wei.sum(1, keepDim: true)
let xbow2 = wei.matmul(x)
print(allclose(xbow, xbow2, atol: 1e-6))
var tril = Tensor.ones(T, T).tril()
wei = Tensor.zeros(T, T)
wei = wei.maskedFill(tril .== 0, -.infinity)
print(wei[..<3])
wei = softmax(wei, dim: -1)
let xbow3 = wei.matmul(x)
print(allclose(xbow, xbow3, atol: 1e-6))
print(wei[..<4])
print(xbow[0, ..<3])

block("softmax sharpens")
let s = Tensor([0.1, -0.2, 0.3, -0.2, 0.5])
print(softmax(s, dim: -1))
print(softmax(s * 8, dim: -1))

block("one head of self-attention")
manualSeed(1337)
(B, T, C) = (4, 8, 32)
x = Tensor.randn(B, T, C)
let headSize = 16
let key = Linear(C, headSize, bias: false)
let query = Linear(C, headSize, bias: false)
let value = Linear(C, headSize, bias: false)
let k = key(x)
let q = query(x)
wei = q.matmul(k.transpose(-2, -1)) * pow(Double(headSize), -0.5)
tril = Tensor.ones(T, T).tril()
wei = wei.maskedFill(tril .== 0, -.infinity)
wei = softmax(wei, dim: -1)
let v = value(x)
let out = wei.matmul(v)
print(out.shape, wei.shape)
print(wei[0, ..<4])
let scores = q.matmul(k.transpose(-2, -1)) * pow(Double(headSize), -0.5)
print(String(format: "%.4f %.4f %.4f", k.variance().item(), q.variance().item(), scores.variance().item()))

block("scaled_dot_product_attention")
let outCausal = scaledDotProductAttention(q, k, v, isCausal: true)
let outMasked = scaledDotProductAttention(q, k, v, attnMask: tril.bool())
print(outCausal.shape)
print(allclose(out, outCausal, atol: 1e-6), allclose(out, outMasked, atol: 1e-6))
print((out - outCausal).abs().max().item() < 1e-5)
print(outCausal[0, ..<2, ..<6])

block("layer norm")
manualSeed(1337)
let ln = LayerNorm(C)
let xn = ln(x)
print(abs(xn[.all, 0].mean().item()) < 1e-5, f4(xn[.all, 0].std().item()))
let manual = (x - x.mean(-1, keepDim: true)) / sqrt(x.variance(dim: -1, unbiased: false, keepDim: true) + 1e-5)
print(allclose(xn, manual, atol: 1e-5))

/// one head of self-attention
final class Head: Module {
    let key: Linear
    let query: Linear
    let value: Linear
    let tril: Tensor
    let dropout: Dropout

    init(_ headSize: Int) {
        key = Linear(nEmbd, headSize, bias: false)
        query = Linear(nEmbd, headSize, bias: false)
        value = Linear(nEmbd, headSize, bias: false)
        tril = Tensor.ones(blockSize, blockSize).tril()
        dropout = Dropout(dropoutRate)
        super.init()
        registerBuffer("tril", tril)
    }

    override func forward(_ x: Tensor) -> Tensor {
        let T = x.shape[1]
        let k = key(x)
        let q = query(x)
        var wei = q.matmul(k.transpose(-2, -1)) * pow(Double(k.size(-1)), -0.5)
        wei = wei.maskedFill(tril[..<T, ..<T] .== 0, -.infinity)
        wei = softmax(wei, dim: -1)
        wei = dropout(wei)
        let v = value(x)
        let out = wei.matmul(v)
        return out
    }
}

/// multiple heads of self-attention in parallel
final class MultiHeadAttention: Module {
    let heads: ModuleList
    let proj: Linear
    let dropout: Dropout

    init(_ numHeads: Int, _ headSize: Int) {
        heads = ModuleList((0..<numHeads).map { _ in Head(headSize) })
        proj = Linear(headSize * numHeads, nEmbd)
        dropout = Dropout(dropoutRate)
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor {
        var out = cat(heads.map { $0(x) }, dim: -1)
        out = dropout(proj(out))
        return out
    }
}

/// a simple linear layer followed by a non-linearity
final class FeedForward: Module {
    let net: Sequential

    init(_ nEmbd: Int) {
        net = Sequential {
            Linear(nEmbd, 4 * nEmbd)
            ReLU()
            Linear(4 * nEmbd, nEmbd)
            Dropout(dropoutRate)
        }
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor { net(x) }
}

/// Transformer block: communication followed by computation
final class Block: Module {
    let sa: MultiHeadAttention
    let ffwd: FeedForward
    let ln1: LayerNorm
    let ln2: LayerNorm

    init(_ nEmbd: Int, nHead: Int) {
        let headSize = nEmbd / nHead
        sa = MultiHeadAttention(nHead, headSize)
        ffwd = FeedForward(nEmbd)
        ln1 = LayerNorm(nEmbd)
        ln2 = LayerNorm(nEmbd)
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor {
        var x = x
        x = x + sa(ln1(x))
        x = x + ffwd(ln2(x))
        return x
    }
}

// The submodules keep nanoGPT's names (wte, ln_f, lm_head) so that state dicts match PyTorch's.
final class GPTLanguageModel: Module {
    let wte: Embedding
    let wpe: Embedding
    let blocks: Sequential
    let ln_f: LayerNorm
    let lm_head: Linear

    override init() {
        wte = Embedding(vocabSize, nEmbd)
        wpe = Embedding(blockSize, nEmbd)
        blocks = Sequential((0..<nLayer).map { _ in Block(nEmbd, nHead: nHead) })
        ln_f = LayerNorm(nEmbd)
        lm_head = Linear(nEmbd, vocabSize)
        super.init()
        apply(initWeights)
    }

    func initWeights(_ module: Module) {
        if let linear = module as? Linear {
            normal_(linear.weight, mean: 0.0, std: 0.02)
            if let bias = linear.bias {
                zeros_(bias)
            }
        } else if let embedding = module as? Embedding {
            normal_(embedding.weight, mean: 0.0, std: 0.02)
        }
    }

    func callAsFunction(_ idx: Tensor, _ targets: Tensor? = nil) -> (Tensor, Tensor?) {
        let T = idx.shape[1]
        let tokEmb = wte(idx)
        let posEmb = wpe(Tensor.arange(T))
        var x = tokEmb + posEmb
        x = blocks(x)
        x = ln_f(x)
        var logits = lm_head(x)
        guard let targets else {
            return (logits, nil)
        }
        let (B, T2, C) = (logits.shape[0], logits.shape[1], logits.shape[2])
        logits = logits.view(B * T2, C)
        let loss = crossEntropy(logits, targets.view(B * T2))
        return (logits, loss)
    }

    func generate(_ idx: Tensor, maxNewTokens: Int) -> Tensor {
        var idx = idx
        for _ in 0..<maxNewTokens {
            let idxCond = idx[.all, (-blockSize)...]
            var (logits, _) = self(idxCond)
            logits = logits[.all, -1, .all]
            let probs = softmax(logits, dim: -1)
            let idxNext = multinomial(probs, numSamples: 1)
            idx = cat([idx, idxNext], dim: 1)
        }
        return idx
    }
}

block("the model")
manualSeed(1337)
let model = GPTLanguageModel()
print(model)
let nParams = model.parameters().map { $0.numel() }.reduce(0, +)
print(nParams, "parameters")
print(String(format: "%.6f M parameters", Double(nParams) / 1e6))
let sd = model.stateDict()
print(sd.count, model.parameters().count, model.buffers().count)
print(sd.keys.prefix(8).joined(separator: " "))
for (name, buf) in model.namedBuffers() {
    print(name, buf.shape)
    break
}
print(model.lm_head.weight[0, ..<6])
print(f4(model.wte.weight.std().item()))
var (logits, loss) = model(xb, yb)
print(logits.shape, f4(loss!.item()), f4(-log(1.0 / Double(vocabSize))))
(logits, loss) = model(xb)
print(logits.shape, loss == nil)

func estimateLoss() -> [String: Double] {
    noGrad {
        var out: [String: Double] = [:]
        model.eval()
        for split in ["train", "val"] {
            let losses = Tensor.zeros(evalIters)
            for k in 0..<evalIters {
                let (X, Y) = getBatch(split)
                let (_, loss) = model(X, Y)
                losses[k] = Tensor(loss!.item())
            }
            out[split] = losses.mean().item()
        }
        model.train()
        return out
    }
}

block("optimizer and schedule")
let decayParams = model.namedParameters().filter { $0.1.dim() >= 2 }.map { $0.1 }
let nodecayParams = model.namedParameters().filter { $0.1.dim() < 2 }.map { $0.1 }
print(decayParams.count, decayParams.map { $0.numel() }.reduce(0, +),
      nodecayParams.count, nodecayParams.map { $0.numel() }.reduce(0, +))
let optimizer = AdamW(groups: [
    ParamGroup(params: decayParams, options: ["weight_decay": weightDecay]),
    ParamGroup(params: nodecayParams, options: ["weight_decay": 0.0]),
], lr: learningRate, betas: (0.9, 0.95))

func lrLambda(_ it: Int) -> Double {
    if it < warmupIters {
        return Double(it + 1) / Double(warmupIters)
    }
    let progress = Double(it - warmupIters) / Double(maxIters - warmupIters)
    return 0.1 + 0.9 * 0.5 * (1.0 + cos(Double.pi * progress))
}

let scheduler = LambdaLR(optimizer, lrLambda: lrLambda)
print([0, 9, 19, 20, 110, 199].map { f4(lrLambda($0)) }.joined(separator: " "))
print(String(format: "%.6f", scheduler.getLastLR()[0]), optimizer.paramGroups[1].options["weight_decay"]!)

block("training")
manualSeed(1337)
for iter in 0..<maxIters {
    if iter % evalInterval == 0 || iter == maxIters - 1 {
        let losses = estimateLoss()
        print(String(format: "step %d: train loss %.4f, val loss %.4f, lr %.6f",
                     iter, losses["train"]!, losses["val"]!, scheduler.getLastLR()[0]))
    }
    (xb, yb) = getBatch("train")
    (logits, loss) = model(xb, yb)
    optimizer.zeroGrad(setToNone: true)
    loss!.backward()
    let norm = clipGradNorm_(model.parameters(), maxNorm: 1.0)
    optimizer.step()
    scheduler.step()
    if iter % 40 == 0 {
        print(String(format: "  iter %d: loss %.4f, grad norm %.4f", iter, loss!.item(), norm.item()))
    }
}
print(f4(loss!.item()), loss!.gradFn!)
print(model.lm_head.bias![..<6])
let state = optimizer.state[model.lm_head.weight]!
print(state["step"]!, state["exp_avg_sq"]!.shape)

block("generate")
model.eval()
manualSeed(42)
let context = Tensor.zeros(1, 1, dtype: .int64)
let outIdx: Tensor = noGrad { model.generate(context, maxNewTokens: 120) }
print(outIdx.shape)
print(decode(outIdx[0].toArray(Int.self)))
let prompt = Tensor([encode("First")], dtype: .int64)
noGrad {
    print(decode(model.generate(prompt, maxNewTokens: 40)[0].toArray(Int.self)))
}

/// nanoGPT's attention: one fused q/k/v projection and scaledDotProductAttention
final class CausalSelfAttention: Module {
    let c_attn: Linear
    let c_proj: Linear
    let attnDropout: Double
    let nHead: Int
    let nEmbd: Int

    init(_ nEmbd: Int, _ nHead: Int) {
        c_attn = Linear(nEmbd, 3 * nEmbd, bias: false)
        c_proj = Linear(nEmbd, nEmbd)
        attnDropout = dropoutRate
        self.nHead = nHead
        self.nEmbd = nEmbd
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor {
        let (B, T, C) = (x.size(0), x.size(1), x.size(2))
        let qkv = c_attn(x).split(nEmbd, dim: 2)
        let k = qkv[1].view(B, T, nHead, C / nHead).transpose(1, 2)
        let q = qkv[0].view(B, T, nHead, C / nHead).transpose(1, 2)
        let v = qkv[2].view(B, T, nHead, C / nHead).transpose(1, 2)
        var y = scaledDotProductAttention(q, k, v, attnMask: nil,
                                          dropoutP: isTraining ? attnDropout : 0, isCausal: true)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return c_proj(y)
    }
}

block("fused attention matches the heads")
let sa = (model.blocks[0] as! Block).sa
let csa = CausalSelfAttention(nEmbd, nHead)
csa.eval()
let heads = sa.heads.map { $0 as! Head }
let qkvWeights: [Tensor] = heads.map { $0.query.weight } + heads.map { $0.key.weight } + heads.map { $0.value.weight }
noGrad {
    csa.c_attn.weight.copy_(cat(qkvWeights, dim: 0))
    csa.c_proj.weight.copy_(sa.proj.weight)
    csa.c_proj.bias!.copy_(sa.proj.bias!)
}
let xs: Tensor = noGrad { model.wte(xb) + model.wpe(Tensor.arange(blockSize)) }
let yHeads: Tensor = noGrad { sa(xs) }
let yFused: Tensor = noGrad { csa(xs) }
print(yFused.shape, allclose(yHeads, yFused, atol: 1e-5))
print(yFused[0, 0, ..<6])

block("nn.MultiheadAttention with a causal mask")
manualSeed(7)
T = 5
let mha = MultiheadAttention(nEmbd, nHead, batchFirst: true)
print(mha)
for (name, p) in mha.namedParameters() {
    print(name, p.shape)
}
x = Tensor.randn(2, T, nEmbd)
let mask = Transformer.generateSquareSubsequentMask(T)
print(mask)
let boolMask = triu(Tensor.ones(T, T, dtype: .bool), diagonal: 1)
print(boolMask)
let (outM, w) = mha(x, x, x, attnMask: mask)
let (outB, wB) = mha(x, x, x, attnMask: boolMask)
let (outC, wC) = mha(x, x, x, needWeights: false, attnMask: mask, isCausal: true)
print(outM.shape, w!.shape, wC == nil)
print(w![0])
print(allclose(outM, outB, atol: 1e-6), allclose(outM, outC, atol: 1e-6), w!.equal(wB!))
print((w!.triu(1) .== 0).all().item() == 1)
let yManual: Tensor = noGrad {
    let qkv = linear(x, mha.inProjWeight!, mha.inProjBias)
    let chunks = qkv.chunk(3, dim: -1)
    let q = chunks[0].view(2, T, nHead, nEmbd / nHead).transpose(1, 2)
    let k = chunks[1].view(2, T, nHead, nEmbd / nHead).transpose(1, 2)
    let v = chunks[2].view(2, T, nHead, nEmbd / nHead).transpose(1, 2)
    let y = scaledDotProductAttention(q, k, v, isCausal: true).transpose(1, 2).reshape(2, T, nEmbd)
    return mha.outProj(y)
}
print(allclose(outM, yManual, atol: 1e-6))

/// the same language model from Descent's own transformer layers
final class TorchGPT: Module {
    let wte: Embedding
    let wpe: Embedding
    let blocks: [TransformerEncoderLayer]
    let ln_f: LayerNorm
    let lm_head: Linear

    override init() {
        wte = Embedding(vocabSize, nEmbd)
        wpe = Embedding(blockSize, nEmbd)
        blocks = (0..<nLayer).map { _ in
            TransformerEncoderLayer(nEmbd, nHead, dimFeedforward: 4 * nEmbd, dropout: dropoutRate,
                                    activation: "gelu", batchFirst: true, normFirst: true)
        }
        ln_f = LayerNorm(nEmbd)
        lm_head = Linear(nEmbd, vocabSize)
        super.init()
    }

    func callAsFunction(_ idx: Tensor, _ targets: Tensor? = nil) -> (Tensor, Tensor?) {
        let T = idx.shape[1]
        var x = wte(idx) + wpe(Tensor.arange(T))
        let mask = Transformer.generateSquareSubsequentMask(T)
        for blk in blocks {
            x = blk(x, srcMask: mask, isCausal: true)
        }
        let logits = lm_head(ln_f(x))
        let loss = targets.map { crossEntropy(logits.view(-1, logits.size(-1)), $0.view(-1)) }
        return (logits, loss)
    }
}

block("nn.TransformerEncoderLayer language model")
manualSeed(1337)
let tmodel = TorchGPT()
print(tmodel.blocks[0])
print(tmodel.parameters().map { $0.numel() }.reduce(0, +), "parameters")
print(tmodel.namedParameters()[4..<10].map { $0.0 }.joined(separator: " "))
let topt = AdamW(tmodel.parameters(), lr: learningRate, weightDecay: weightDecay)
let tsched = LambdaLR(topt, lrLambda: lrLambda)
manualSeed(1337)
for iter in 0..<100 {
    (xb, yb) = getBatch("train")
    (logits, loss) = tmodel(xb, yb)
    topt.zeroGrad(setToNone: true)
    loss!.backward()
    clipGradNorm_(tmodel.parameters(), maxNorm: 1.0)
    topt.step()
    tsched.step()
    if iter % 25 == 0 || iter == 99 {
        print(String(format: "iter %d: loss %.4f, lr %.6f", iter, loss!.item(), tsched.getLastLR()[0]))
    }
}
tmodel.eval()
var idx = Tensor.zeros(1, 1, dtype: .int64)
noGrad {
    let (xv, yv) = getBatch("val")
    let (_, vloss) = tmodel(xv, yv)
    print(String(format: "val loss %.4f", vloss!.item()))
    manualSeed(42)
    for _ in 0..<60 {
        let (logits, _) = tmodel(idx[.all, (-blockSize)...])
        let probs = softmax(logits[.all, -1, .all], dim: -1)
        idx = cat([idx, multinomial(probs, numSamples: 1)], dim: 1)
    }
}
print(decode(idx[0].toArray(Int.self)))
