// Lecture: sequences. Embedding + a 2-layer LSTM classifier trained with SGD (momentum) and
// gradient clipping on a toy task (is the sum of 8 random digits above 36?); a GRU on packed
// variable-length sequences; a TransformerEncoderLayer in eval mode; MultiheadAttention with its
// weights; LayerNorm, GELU and CrossEntropyLoss with label smoothing.
// (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }

manualSeed(0)
block("embedding and lstm shapes")
let emb = Embedding(10, 8)
let lstm = LSTM(8, 16, numLayers: 2, batchFirst: true)
print(emb)
print(lstm)
let x = Tensor.randint(0, 10, [4, 6])
print(x)
let e = emb(x)
let (out, (h, c)) = lstm(e)
print(e.shape, out.shape, h.shape, c.shape)
print(allclose(out[.all, -1], h[-1]))
for (name, p) in lstm.namedParameters() {
    print(name, p.shape)
}
print(lstm.parameters().map { $0.numel() }.reduce(0, +))

final class SeqClassifier: Module {
    let embed: Embedding
    let lstm: LSTM
    let fc: Linear
    init(vocab: Int = 10, dim: Int = 8, hidden: Int = 16, classes: Int = 2) {
        embed = Embedding(vocab, dim)
        lstm = LSTM(dim, hidden, numLayers: 2, batchFirst: true)
        fc = Linear(hidden, classes)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        let (_, (h, _)) = lstm(embed(x))
        return fc(h[-1])
    }
}

block("toy task")
manualSeed(1)
let X = Tensor.randint(0, 10, [256, 8])
let y = (X.sum(dim: 1) .> 36).long()
print(X.shape, y.shape, y.dtype)
print(X[..<3])
print(y[..<10], Int(y.sum().item()))

block("training")
let model = SeqClassifier()
print(model)
let optimizer = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
let lossFn = CrossEntropyLoss()
for step in 0..<100 {
    let i = step % 8
    let (xb, yb) = (X[(i * 32)..<((i + 1) * 32)], y[(i * 32)..<((i + 1) * 32)])
    optimizer.zeroGrad()
    let loss = lossFn(model(xb), yb)
    loss.backward()
    let norm = clipGradNorm_(model.parameters(), maxNorm: 1.0)
    optimizer.step()
    if step % 20 == 0 || step == 99 {
        print(String(format: "step %d: loss %.4f grad norm %.4f", step, loss.item(), norm.item()))
    }
}
let acc = noGrad { (model(X).argmax(dim: 1) .== y).float().mean().item() }
print(String(format: "train accuracy %.4f", acc))

block("gru on packed sequences")
manualSeed(2)
let gru = GRU(3, 4, batchFirst: true)
print(gru)
let seqs = [Tensor.randn(5, 3), Tensor.randn(2, 3), Tensor.randn(4, 3)]
let lengths = Tensor(seqs.map { $0.size(0) })
let padded = padSequence(seqs, batchFirst: true)
print(padded.shape, lengths)
let packed = packPaddedSequence(padded, lengths: lengths, batchFirst: true, enforceSorted: false)
print(packed.data.shape, packed.batchSizes, packed.sortedIndices!, packed.unsortedIndices!)
let (outPacked, hGRU) = gru(packed)
let (outPadded, outLengths) = padPackedSequence(outPacked, batchFirst: true)
print(outPadded.shape, outLengths)
noGrad {
    print(outPadded)
    print(hGRU)
    let (full, _) = gru(seqs[0].unsqueeze(0))
    print(allclose(full[0, -1], hGRU[0, 0], atol: 1e-6))
    let (short, _) = gru(seqs[1].unsqueeze(0))
    print(allclose(short[0, -1], hGRU[0, 1], atol: 1e-6))
    print(outPadded[1, 2...].equal(Tensor.zeros(3, 4)))
}

block("transformer encoder layer")
manualSeed(3)
let layer = TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0.1, batchFirst: true)
print(layer)
print(layer.parameters().map { $0.numel() }.reduce(0, +))
layer.eval()
let src = Tensor.randn(2, 3, 8)
let yEnc: Tensor = noGrad { layer(src) }
print(yEnc.shape)
print(yEnc)
let mask = Tensor([[false, false, true], [false, false, false]])
let yMasked: Tensor = noGrad { layer(src, srcKeyPaddingMask: mask) }
print(yMasked[1])
print(allclose(yMasked[1], yEnc[1], atol: 1e-5))

block("multihead attention")
manualSeed(4)
let mha = MultiheadAttention(8, 2, batchFirst: true)
print(mha)
for (name, p) in mha.namedParameters() {
    print(name, p.shape)
}
let q = Tensor.randn(2, 3, 8)
let kv = Tensor.randn(2, 4, 8)
let (attnOut, attnW) = mha(q, kv, kv)
print(attnOut.shape, attnW!.shape)
noGrad {
    print(attnW!)
    print(attnW!.sum(dim: -1))
}
let (_, perHead) = mha(q, kv, kv, averageAttnWeights: false)
print(perHead!.shape)
let keyPaddingMask = Tensor([[false, false, false, true], [false, true, true, true]])
let (_, wMasked) = noGrad { mha(q, kv, kv, keyPaddingMask: keyPaddingMask) }
print(wMasked![1])

block("layer norm and gelu")
manualSeed(5)
let ln = LayerNorm(4)
print(ln)
let xs = Tensor.randn(2, 4)
print(xs)
let yLn = ln(xs)
print(yLn)
print(yLn.mean(dim: -1).abs().max().item() < 1e-6)
let geluModule = GELU()
print(geluModule, GELU(approximate: "tanh"))
print(geluModule(xs))
print(GELU(approximate: "tanh")(xs))
print(gelu(xs))

block("cross entropy with label smoothing")
manualSeed(6)
let logits = Tensor.randn(4, 5, requiresGrad: true)
let target = Tensor([1, 0, 4, 2])
let ce = CrossEntropyLoss(labelSmoothing: 0.1)
let ceLoss = ce(logits, target)
print(ceLoss)
print(CrossEntropyLoss()(logits, target))
print(crossEntropy(logits, target, labelSmoothing: 0.2))
ceLoss.backward()
print(logits.grad!)
print(abs(logits.grad!.sum().item()) < 1e-6)
