# The PyTorch original of 14-rnn-and-friends.swift. Usage: python 14-rnn-and-friends.py [MNIST_DIR] (unused)
# Embedding + 2-layer LSTM classifier trained with SGD (momentum) and gradient clipping; a GRU on
# packed variable-length sequences; a TransformerEncoderLayer in eval mode; MultiheadAttention
# with its weights; LayerNorm, GELU and CrossEntropyLoss with label smoothing.
import torch, torch.nn as nn
from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
def block(t): print("## " + t, flush=True)
def b(v): return str(v).lower()

torch.manual_seed(0)
block("embedding and lstm shapes")
emb = nn.Embedding(10, 8)
lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
print(emb)
print(lstm)
x = torch.randint(0, 10, (4, 6))
print(x)
e = emb(x)
out, (h, c) = lstm(e)
print(list(e.shape), list(out.shape), list(h.shape), list(c.shape))
print(b(torch.allclose(out[:, -1], h[-1])))
for name, p in lstm.named_parameters():
    print(name, list(p.shape))
print(sum(p.numel() for p in lstm.parameters()))

class SeqClassifier(nn.Module):
    def __init__(self, vocab=10, dim=8, hidden=16, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(hidden, classes)
    def forward(self, x):
        out, (h, c) = self.lstm(self.embed(x))
        return self.fc(h[-1])

block("toy task")
torch.manual_seed(1)
X = torch.randint(0, 10, (256, 8))
y = (X.sum(dim=1) > 36).long()
print(list(X.shape), list(y.shape), str(y.dtype).removeprefix("torch."))
print(X[:3])
print(y[:10], int(y.sum().item()))

block("training")
model = SeqClassifier()
print(model)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for step in range(100):
    i = step % 8
    xb, yb = X[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    if step % 20 == 0 or step == 99:
        print(f"step {step}: loss {loss.item():.4f} grad norm {norm.item():.4f}")
with torch.no_grad():
    acc = (model(X).argmax(dim=1) == y).float().mean().item()
print(f"train accuracy {acc:.4f}")

block("gru on packed sequences")
torch.manual_seed(2)
gru = nn.GRU(3, 4, batch_first=True)
print(gru)
seqs = [torch.randn(5, 3), torch.randn(2, 3), torch.randn(4, 3)]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(list(padded.shape), lengths)
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(list(packed.data.shape), packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
out_packed, h = gru(packed)
out, out_lengths = pad_packed_sequence(out_packed, batch_first=True)
print(list(out.shape), out_lengths)
with torch.no_grad():
    print(out)
    print(h)
    full, _ = gru(seqs[0].unsqueeze(0))
    print(b(torch.allclose(full[0, -1], h[0, 0], atol=1e-6)))
    short, _ = gru(seqs[1].unsqueeze(0))
    print(b(torch.allclose(short[0, -1], h[0, 1], atol=1e-6)))
    print(b(torch.equal(out[1, 2:], torch.zeros(3, 4))))

block("transformer encoder layer")
torch.manual_seed(3)
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, batch_first=True)
print(layer)
print(sum(p.numel() for p in layer.parameters()))
layer.eval()
src = torch.randn(2, 3, 8)
with torch.no_grad():
    y_enc = layer(src)
print(list(y_enc.shape))
print(y_enc)
mask = torch.tensor([[False, False, True], [False, False, False]])
with torch.no_grad():
    y_masked = layer(src, src_key_padding_mask=mask)
print(y_masked[1])
print(b(torch.allclose(y_masked[1], y_enc[1], atol=1e-5)))

block("multihead attention")
torch.manual_seed(4)
mha = nn.MultiheadAttention(8, 2, batch_first=True)
print(mha)
for name, p in mha.named_parameters():
    print(name, list(p.shape))
q = torch.randn(2, 3, 8)
kv = torch.randn(2, 4, 8)
attn_out, attn_w = mha(q, kv, kv)
print(list(attn_out.shape), list(attn_w.shape))
with torch.no_grad():
    print(attn_w)
    print(attn_w.sum(dim=-1))
_, per_head = mha(q, kv, kv, average_attn_weights=False)
print(list(per_head.shape))
key_padding_mask = torch.tensor([[False, False, False, True], [False, True, True, True]])
with torch.no_grad():
    _, w_masked = mha(q, kv, kv, key_padding_mask=key_padding_mask)
print(w_masked[1])

block("layer norm and gelu")
torch.manual_seed(5)
ln = nn.LayerNorm(4)
print(ln)
x = torch.randn(2, 4)
print(x)
y_ln = ln(x)
print(y_ln)
print(b(y_ln.mean(dim=-1).abs().max().item() < 1e-6))
gelu = nn.GELU()
print(gelu, nn.GELU(approximate="tanh"))
print(gelu(x))
print(nn.GELU(approximate="tanh")(x))
print(nn.functional.gelu(x))

block("cross entropy with label smoothing")
torch.manual_seed(6)
logits = torch.randn(4, 5, requires_grad=True)
target = torch.tensor([1, 0, 4, 2])
ce = nn.CrossEntropyLoss(label_smoothing=0.1)
loss = ce(logits, target)
print(loss)
print(nn.CrossEntropyLoss()(logits, target))
print(nn.functional.cross_entropy(logits, target, label_smoothing=0.2))
loss.backward()
print(logits.grad)
print(b(abs(logits.grad.sum().item()) < 1e-6))
