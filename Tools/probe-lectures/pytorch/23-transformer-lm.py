# The PyTorch original of 23-transformer-lm.swift. Usage: python 23-transformer-lm.py [MNIST_DIR] (unused)
# Karpathy's "Let's build GPT" at character level on a few embedded lines of Shakespeare: the
# vocabulary, encode/decode, train/val split, get_batch with torch.randint; the averaging trick
# (tril, masked_fill, softmax); one self-attention head; a GPT of hand-written Head,
# MultiHeadAttention, FeedForward and Block modules (register_buffer'd tril, dropout, LayerNorm,
# residuals), its weights re-initialised with apply(), trained with AdamW (decay and no-decay
# groups), a LambdaLR warm-up + cosine schedule and gradient clipping, estimate_loss() in eval mode
# without gradients, and text sampled with torch.multinomial; nanoGPT's fused attention with
# F.scaled_dot_product_attention checked against the heads; nn.MultiheadAttention with
# generate_square_subsequent_mask / triu masks; the same language model built from
# nn.TransformerEncoderLayer(norm_first=True) with is_causal, trained and sampled.
import math
import torch
import torch.nn as nn
from torch.nn import functional as F
def block(t): print("## " + t, flush=True)
def b(v): return str(v).lower()   # Swift prints true/false

text = """First Citizen:
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
One word, good citizens."""

# hyperparameters
batch_size = 8
block_size = 16
max_iters = 200
eval_interval = 50
learning_rate = 3e-3
eval_iters = 10
n_embd = 32
n_head = 2
n_layer = 2
dropout = 0.1
warmup_iters = 20
weight_decay = 0.1

block("vocabulary")
print("length of dataset in characters:", len(text))
print(text[:60])
chars = sorted(list(set(text)))
vocab_size = len(chars)
print(''.join(chars[1:]))
print(ord(chars[0]), vocab_size)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
decode = lambda l: ''.join([itos[i] for i in l])
print(encode("hear me speak"))
print(decode(encode("hear me speak")))

block("train and val split")
data = torch.tensor(encode(text), dtype=torch.long)
print(list(data.shape), str(data.dtype).replace("torch.", ""))
print(data[:32])
n = int(0.9 * len(data))
train_data = data[:n]
val_data = data[n:]
print(len(train_data), len(val_data))

block("context and target")
x = train_data[:block_size]
y = train_data[1:block_size + 1]
for t in range(6):
    context = x[:t + 1]
    target = y[t]
    print(f"when input is {context.tolist()} the target: {target.item()}")

block("get_batch")
torch.manual_seed(1337)
def get_batch(split):
    data = train_data if split == 'train' else val_data
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y
xb, yb = get_batch('train')
print('inputs:', list(xb.shape))
print(xb[:2])
print('targets:', list(yb.shape))
print(yb[:2])
print(decode(xb[0].tolist()).replace("\n", "\\n"), '->', decode(yb[0].tolist()).replace("\n", "\\n"))
g = torch.Generator().manual_seed(42)
print(torch.randint(len(val_data) - block_size, (batch_size,), generator=g))

block("the averaging trick")
torch.manual_seed(1337)
B, T, C = 4, 8, 2
x = torch.randn(B, T, C)
xbow = torch.zeros((B, T, C))
for bi in range(B):
    for t in range(T):
        xprev = x[bi, :t + 1]
        xbow[bi, t] = torch.mean(xprev, 0)
wei = torch.tril(torch.ones(T, T))
wei = wei / wei.sum(1, keepdim=True)
xbow2 = wei @ x
print(b(torch.allclose(xbow, xbow2, atol=1e-6)))
tril = torch.tril(torch.ones(T, T))
wei = torch.zeros((T, T))
wei = wei.masked_fill(tril == 0, float('-inf'))
print(wei[:3])
wei = F.softmax(wei, dim=-1)
xbow3 = wei @ x
print(b(torch.allclose(xbow, xbow3, atol=1e-6)))
print(wei[:4])
print(xbow[0, :3])

block("softmax sharpens")
s = torch.tensor([0.1, -0.2, 0.3, -0.2, 0.5])
print(torch.softmax(s, dim=-1))
print(torch.softmax(s * 8, dim=-1))

block("one head of self-attention")
torch.manual_seed(1337)
B, T, C = 4, 8, 32
x = torch.randn(B, T, C)
head_size = 16
key = nn.Linear(C, head_size, bias=False)
query = nn.Linear(C, head_size, bias=False)
value = nn.Linear(C, head_size, bias=False)
k = key(x)
q = query(x)
wei = q @ k.transpose(-2, -1) * head_size**-0.5
tril = torch.tril(torch.ones(T, T))
wei = wei.masked_fill(tril == 0, float('-inf'))
wei = F.softmax(wei, dim=-1)
v = value(x)
out = wei @ v
print(list(out.shape), list(wei.shape))
print(wei[0, :4])
print(f"{k.var().item():.4f} {q.var().item():.4f} {(q @ k.transpose(-2, -1) * head_size**-0.5).var().item():.4f}")

block("scaled_dot_product_attention")
out_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
out_masked = F.scaled_dot_product_attention(q, k, v, attn_mask=tril.bool())
print(list(out_causal.shape))
print(b(torch.allclose(out, out_causal, atol=1e-6)), b(torch.allclose(out, out_masked, atol=1e-6)))
print(f"{(out - out_causal).abs().max().item() < 1e-5}".lower())
print(out_causal[0, :2, :6])

block("layer norm")
torch.manual_seed(1337)
ln = nn.LayerNorm(C)
xn = ln(x)
print(b(abs(xn[:, 0].mean().item()) < 1e-5), f"{xn[:, 0].std().item():.4f}")
manual = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True, unbiased=False) + 1e-5)
print(b(torch.allclose(xn, manual, atol=1e-5)))


class Head(nn.Module):
    """ one head of self-attention """

    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1]**-0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)
        out = wei @ v
        return out


class MultiHeadAttention(nn.Module):
    """ multiple heads of self-attention in parallel """

    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        out = self.dropout(self.proj(out))
        return out


class FeedForward(nn.Module):
    """ a simple linear layer followed by a non-linearity """

    def __init__(self, n_embd):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """ Transformer block: communication followed by computation """

    def __init__(self, n_embd, n_head):
        super().__init__()
        head_size = n_embd // n_head
        self.sa = MultiHeadAttention(n_head, head_size)
        self.ffwd = FeedForward(n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class GPTLanguageModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.wte(idx)
        pos_emb = self.wpe(torch.arange(T))
        x = tok_emb + pos_emb
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            logits = logits.view(B * T, C)
            targets = targets.view(B * T)
            loss = F.cross_entropy(logits, targets)
        return logits, loss

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -block_size:]
            logits, loss = self(idx_cond)
            logits = logits[:, -1, :]
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


block("the model")
torch.manual_seed(1337)
model = GPTLanguageModel()
print(model)
n_params = sum(p.numel() for p in model.parameters())
print(n_params, "parameters")
print(f"{n_params / 1e6:.6f} M parameters")
sd = model.state_dict()
print(len(sd), len(list(model.parameters())), len(list(model.buffers())))
print(" ".join(list(sd.keys())[:8]))
for name, buf in model.named_buffers():
    print(name, list(buf.shape))
    break
print(model.lm_head.weight[0, :6])
print(f"{model.wte.weight.std().item():.4f}")
logits, loss = model(xb, yb)
print(list(logits.shape), f"{loss.item():.4f}", f"{-math.log(1 / vocab_size):.4f}")
logits, loss = model(xb)
print(list(logits.shape), b(loss is None))


@torch.no_grad()
def estimate_loss():
    out = {}
    model.eval()
    for split in ['train', 'val']:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


block("optimizer and schedule")
decay_params = [p for n, p in model.named_parameters() if p.dim() >= 2]
nodecay_params = [p for n, p in model.named_parameters() if p.dim() < 2]
print(len(decay_params), sum(p.numel() for p in decay_params), len(nodecay_params), sum(p.numel() for p in nodecay_params))
optimizer = torch.optim.AdamW([
    {'params': decay_params, 'weight_decay': weight_decay},
    {'params': nodecay_params, 'weight_decay': 0.0},
], lr=learning_rate, betas=(0.9, 0.95))


def lr_lambda(it):
    if it < warmup_iters:
        return (it + 1) / warmup_iters
    progress = (it - warmup_iters) / (max_iters - warmup_iters)
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
print(" ".join(f"{lr_lambda(i):.4f}" for i in [0, 9, 19, 20, 110, 199]))
print(f"{scheduler.get_last_lr()[0]:.6f}", optimizer.param_groups[1]['weight_decay'])

block("training")
torch.manual_seed(1337)
for iter in range(max_iters):
    if iter % eval_interval == 0 or iter == max_iters - 1:
        losses = estimate_loss()
        print(f"step {iter}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}, lr {scheduler.get_last_lr()[0]:.6f}")
    xb, yb = get_batch('train')
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if iter % 40 == 0:
        print(f"  iter {iter}: loss {loss.item():.4f}, grad norm {norm.item():.4f}")
print(f"{loss.item():.4f}", loss.grad_fn.name())
print(model.lm_head.bias[:6])
print(optimizer.state[model.lm_head.weight]['step'], list(optimizer.state[model.lm_head.weight]['exp_avg_sq'].shape))

block("generate")
model.eval()
torch.manual_seed(42)
context = torch.zeros((1, 1), dtype=torch.long)
with torch.no_grad():
    out_idx = model.generate(context, max_new_tokens=120)
print(list(out_idx.shape))
print(decode(out_idx[0].tolist()))
prompt = torch.tensor([encode("First")], dtype=torch.long)
with torch.no_grad():
    print(decode(model.generate(prompt, max_new_tokens=40)[0].tolist()))


class CausalSelfAttention(nn.Module):
    """ nanoGPT's attention: one fused q/k/v projection and F.scaled_dot_product_attention """

    def __init__(self, n_embd, n_head):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout = dropout
        self.n_head = n_head
        self.n_embd = n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                           dropout_p=self.attn_dropout if self.training else 0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


block("fused attention matches the heads")
sa = model.blocks[0].sa
csa = CausalSelfAttention(n_embd, n_head)
csa.eval()
with torch.no_grad():
    csa.c_attn.weight.copy_(torch.cat([h.query.weight for h in sa.heads]
                                      + [h.key.weight for h in sa.heads]
                                      + [h.value.weight for h in sa.heads], dim=0))
    csa.c_proj.weight.copy_(sa.proj.weight)
    csa.c_proj.bias.copy_(sa.proj.bias)
    xs = model.wte(xb) + model.wpe(torch.arange(block_size))
    y_heads = sa(xs)
    y_fused = csa(xs)
print(list(y_fused.shape), b(torch.allclose(y_heads, y_fused, atol=1e-5)))
print(y_fused[0, 0, :6])

block("nn.MultiheadAttention with a causal mask")
torch.manual_seed(7)
T = 5
mha = nn.MultiheadAttention(n_embd, n_head, batch_first=True)
print(mha)
for name, p in mha.named_parameters():
    print(name, list(p.shape))
x = torch.randn(2, T, n_embd)
mask = nn.Transformer.generate_square_subsequent_mask(T)
print(mask)
bool_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
print(bool_mask)
out, w = mha(x, x, x, attn_mask=mask)
out_b, w_b = mha(x, x, x, attn_mask=bool_mask)
out_c, w_c = mha(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
print(list(out.shape), list(w.shape), b(w_c is None))
print(w[0])
print(b(torch.allclose(out, out_b, atol=1e-6)), b(torch.allclose(out, out_c, atol=1e-6)), b(torch.equal(w, w_b)))
print(b(bool(torch.all(w.triu(1) == 0))))
with torch.no_grad():
    qkv = F.linear(x, mha.in_proj_weight, mha.in_proj_bias)
    q, k, v = qkv.chunk(3, dim=-1)
    q = q.view(2, T, n_head, n_embd // n_head).transpose(1, 2)
    k = k.view(2, T, n_head, n_embd // n_head).transpose(1, 2)
    v = v.view(2, T, n_head, n_embd // n_head).transpose(1, 2)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, T, n_embd)
    y = mha.out_proj(y)
print(b(torch.allclose(out, y, atol=1e-6)))


class TorchGPT(nn.Module):
    """ the same language model from PyTorch's own transformer layers """

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(n_embd, n_head, dim_feedforward=4 * n_embd, dropout=dropout,
                                       activation="gelu", batch_first=True, norm_first=True)
            for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        for blk in self.blocks:
            x = blk(x, src_mask=mask, is_causal=True)
        logits = self.lm_head(self.ln_f(x))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


block("nn.TransformerEncoderLayer language model")
torch.manual_seed(1337)
tmodel = TorchGPT()
print(tmodel.blocks[0])
print(sum(p.numel() for p in tmodel.parameters()), "parameters")
print(" ".join([name for name, _ in tmodel.named_parameters()][4:10]))
topt = torch.optim.AdamW(tmodel.parameters(), lr=learning_rate, weight_decay=weight_decay)
tsched = torch.optim.lr_scheduler.LambdaLR(topt, lr_lambda)
torch.manual_seed(1337)
for iter in range(100):
    xb, yb = get_batch('train')
    logits, loss = tmodel(xb, yb)
    topt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 1.0)
    topt.step()
    tsched.step()
    if iter % 25 == 0 or iter == 99:
        print(f"iter {iter}: loss {loss.item():.4f}, lr {tsched.get_last_lr()[0]:.6f}")
tmodel.eval()
with torch.no_grad():
    xv, yv = get_batch('val')
    _, vloss = tmodel(xv, yv)
    print(f"val loss {vloss.item():.4f}")
    torch.manual_seed(42)
    idx = torch.zeros((1, 1), dtype=torch.long)
    for _ in range(60):
        logits, _ = tmodel(idx[:, -block_size:])
        probs = F.softmax(logits[:, -1, :], dim=-1)
        idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
print(decode(idx[0].tolist()))
