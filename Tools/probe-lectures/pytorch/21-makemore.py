# The PyTorch original of 21-makemore.swift. Usage: python 21-makemore.py [MNIST_DIR] (unused)
# Karpathy's "makemore" on 40 embedded names: stoi/itos, a bigram count matrix and sampling from
# it, the negative log-likelihood; the neural bigram (one-hot, a 27x27 weight, manual gradient
# descent); the MLP of part 2 (embedding table C[X], tanh layer, cross-entropy, minibatches, lr
# decay); part 3's manual batch norm with running statistics; the same model with nn modules and
# torch.optim; names sampled with torch.multinomial at each stage.
import torch, torch.nn as nn, torch.nn.functional as F
def block(t): print("## " + t, flush=True)
def b(v): return str(v)   # Python prints True/False
def dt(t): return str(t.dtype).replace("torch.", "")

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett",
         "victoria", "madison", "luna", "grace", "chloe", "penelope", "layla", "riley", "zoey", "nora",
         "lily", "violet", "aurora", "jack", "quinn", "xavier", "felix", "wyatt", "kevin", "yusuf"]

block("vocabulary")
print(len(words), min(len(w) for w in words), max(len(w) for w in words))
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
print(''.join(chars), vocab_size)
print(stoi['a'], stoi['z'], itos[0], itos[13])

block("bigram counts")
N = torch.zeros((27, 27), dtype=torch.int32)
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        N[ix1, ix2] += 1
print(dt(N), N.sum().item(), N.max().item())
print(N[:4, :10])
print(N[0])
print(N[stoi['a']].argmax().item(), itos[N[stoi['a']].argmax().item()])

block("probabilities")
P = (N + 1).float()
P /= P.sum(1, keepdim=True)
print(list(P.shape), dt(P))
print(P[0])
print(b(abs(P[0].sum().item() - 1.0) < 1e-6))
print(P.sum(1)[:5])

block("sampling from the bigram table")
g = torch.Generator().manual_seed(2147483647)
p = P[0]
print(torch.multinomial(p, num_samples=10, replacement=True, generator=g))
g = torch.Generator().manual_seed(2147483647)
for i in range(6):
    out = []
    ix = 0
    while True:
        p = P[ix]
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print(''.join(out))

block("negative log likelihood")
log_likelihood = 0.0
n = 0
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        prob = P[ix1, ix2]
        logprob = torch.log(prob)
        log_likelihood += logprob
        n += 1
        if w == "emma":
            print(f"{ch1}{ch2}: {prob:.4f} {logprob:.4f}")
print(f"{log_likelihood=}")
nll = -log_likelihood
print(f"{nll=}")
print(nll / n)
print(n)

block("neural bigram data")
xs, ys = [], []
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
print('number of examples: ', num)
print(xs[:10])
print(ys[:10])
xenc = F.one_hot(xs, num_classes=27).float()
print(list(xenc.shape), dt(xenc))
print(xenc[:2, :8])

block("neural bigram training")
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((27, 27), generator=g, requires_grad=True)
print(W[0, :5])
for k in range(60):
    xenc = F.one_hot(xs, num_classes=27).float()
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdim=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad
    if k % 10 == 0 or k == 59:
        print(f"step {k}: loss {loss.item():.4f}")
print(loss.grad_fn.name())
print(W.grad[0, :5])

block("sampling from the neural bigram")
g = torch.Generator().manual_seed(2147483647)
for i in range(6):
    out = []
    ix = 0
    while True:
        xenc = F.one_hot(torch.tensor([ix]), num_classes=27).float()
        logits = xenc @ W
        counts = logits.exp()
        p = counts / counts.sum(1, keepdim=True)
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0:
            break
    print(''.join(out))

block("mlp dataset")
block_size = 3
def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y

perm = torch.randperm(len(words), generator=torch.Generator().manual_seed(42)).tolist()
print(perm[:8])
shuffled = [words[i] for i in perm]
n1 = int(0.8 * len(shuffled))
Xtr, Ytr = build_dataset(shuffled[:n1])
Xdev, Ydev = build_dataset(shuffled[n1:])
print(list(Xtr.shape), list(Ytr.shape), dt(Xtr))
print(list(Xdev.shape), list(Ydev.shape))
for x, y in zip(Xtr[:6], Ytr[:6]):
    print(''.join(itos[ix.item()] for ix in x), '--->', itos[y.item()])

block("embedding lookup")
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 2), generator=g)
print(C[5])
print(F.one_hot(torch.tensor(5), num_classes=27).float() @ C)
print(C[[5, 6, 7]])
print(C[torch.tensor([5, 6, 7, 7, 7])])
emb = C[Xtr]
print(list(emb.shape))
print(Xtr[13, 2].item(), C[Xtr][13, 2], C[Xtr[13, 2]])
cat = torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1)
print(list(cat.shape))
print(b(torch.equal(emb.view(-1, 6), torch.cat(torch.unbind(emb, 1), 1))))
print(b(emb.view(-1, 6).is_contiguous()), list(emb.view(emb.shape[0], -1).shape))

block("mlp training")
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 10), generator=g)
W1 = torch.randn((30, 100), generator=g)
b1 = torch.randn(100, generator=g)
W2 = torch.randn((100, 27), generator=g)
b2 = torch.randn(27, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True
max_steps = 300
for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 200 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    if i % 50 == 0 or i == max_steps - 1:
        print(f"{i:5d}/{max_steps:5d}: {loss.item():.4f}")
print(ix[:8])

@torch.no_grad()
def split_loss(split):
    x, y = {'train': (Xtr, Ytr), 'val': (Xdev, Ydev)}[split]
    emb = C[x]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, y)
    print(split, f"{loss.item():.4f}")
split_loss('train')
split_loss('val')

block("sampling from the mlp")
g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(6):
    out = []
    context = [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        logits = h @ W2 + b2
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break
    print(''.join(itos[i] for i in out))

block("manual batch norm")
n_embd = 10
n_hidden = 100
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size) ** 0.5)
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.randn(vocab_size, generator=g) * 0
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))
parameters = [C, W1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True
print(f"{W1.std().item():.4f}")
lossi = []
for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 200 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.log10().item())
    if i % 50 == 0 or i == max_steps - 1:
        print(f"{i:5d}/{max_steps:5d}: {loss.item():.4f}")
print(f"{sum(lossi) / len(lossi):.4f}")
print(b(bnmean_running.requires_grad), b(bnmean_running.grad_fn is None))
print(bnmean_running[0, :5])
print(bnstd_running[0, :5])

with torch.no_grad():
    emb = C[Xtr]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    bnmean = hpreact.mean(0, keepdim=True)
    bnstd = hpreact.std(0, keepdim=True)
print(f"{(bnmean - bnmean_running).abs().max().item():.4f}")
print(f"{(bnstd - bnstd_running).abs().max().item():.4f}")

@torch.no_grad()
def split_loss_bn(split):
    x, y = {'train': (Xtr, Ytr), 'val': (Xdev, Ydev)}[split]
    emb = C[x]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, y)
    print(split, f"{loss.item():.4f}")
split_loss_bn('train')
split_loss_bn('val')

block("nn modules")
torch.manual_seed(42)
model = nn.Sequential(
    nn.Embedding(vocab_size, n_embd), nn.Flatten(),
    nn.Linear(n_embd * block_size, n_hidden, bias=False), nn.BatchNorm1d(n_hidden), nn.Tanh(),
    nn.Linear(n_hidden, vocab_size),
)
with torch.no_grad():
    model[-1].weight *= 0.1
print(model)
print(sum(p.nelement() for p in model.parameters()))
for name, p in model.named_parameters():
    print(name, list(p.shape), p.requires_grad)
print(model[-1].weight[0, :4])
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
g = torch.Generator().manual_seed(42)
for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    logits = model(Xb)
    loss = F.cross_entropy(logits, Yb)
    optimizer.zero_grad()
    loss.backward()
    lr = 0.1 if i < 200 else 0.01
    for group in optimizer.param_groups:
        group['lr'] = lr
    optimizer.step()
    if i % 50 == 0 or i == max_steps - 1:
        print(f"{i:5d}/{max_steps:5d}: {loss.item():.4f}")
print(logits.grad_fn.name(), loss.grad_fn.name())
print(model[3].running_mean[:4])
print(model[3].running_var[:4])
print(model[3].num_batches_tracked)

model.eval()
@torch.no_grad()
def split_loss_model(split):
    x, y = {'train': (Xtr, Ytr), 'val': (Xdev, Ydev)}[split]
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    print(split, f"{loss.item():.4f}")
split_loss_model('train')
split_loss_model('val')

block("sampling from the model")
g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(6):
    out = []
    context = [0] * block_size
    while True:
        with torch.no_grad():
            logits = model(torch.tensor([context]))
        probs = F.softmax(logits, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        out.append(ix)
        if ix == 0:
            break
    print(''.join(itos[i] for i in out))
