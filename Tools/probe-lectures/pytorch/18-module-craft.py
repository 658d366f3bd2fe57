# The PyTorch twin of 18-module-craft.swift: building and inspecting modules, printed block by block.
from collections import OrderedDict
import torch
import torch.nn as nn
import warnings
warnings.filterwarnings("ignore")   # the full backward hook on a module whose input needs no grad warns on stderr
from torch.nn.utils import parameters_to_vector, vector_to_parameters, clip_grad_norm_, clip_grad_value_


def block(t): print("## " + t)
def dt(t): return str(t.dtype).replace("torch.", "")   # Swift prints a dtype by its bare name
def pylist(a): return "[" + ", ".join("'%s'" % k for k in a) + "]"
def shp(g): return "None" if g is None else str(list(g.shape))


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(torch.relu(self.norm(self.fc(x)))) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([Block(8), Block(8)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1)})
        self.bn = nn.BatchNorm1d(8)
        self.temperature = nn.Parameter(torch.ones(1))
        self.register_buffer("scale", torch.tensor(2.0))
        self.register_buffer("cache", torch.zeros(3), persistent=False)

    def forward(self, x):
        h = self.stem(x) * self.scale
        for b in self.blocks:
            h = b(h)
        h = self.bn(h)
        return self.heads["cls"](h) / self.temperature + self.heads["reg"](h)


torch.manual_seed(0)
model = Net()
x = torch.randn(5, 4)

block("print(model)")
print(model)

block("named_parameters")
for name, p in model.named_parameters():
    print(name, list(p.shape), p.requires_grad)
print(len(list(model.parameters())))

block("named_modules")
for name, m in model.named_modules():
    print(name if name else "<root>", type(m).__name__)

block("named_children")
for name, m in model.named_children():
    print(name, type(m).__name__)
print(len(list(model.children())), len(list(model.modules())))

block("named_buffers")
for name, b in model.named_buffers():
    print(name, list(b.shape), dt(b))
print(model.scale)
print(model.cache)

block("parameter counts")
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(total, trainable)

block("state_dict")
sd = model.state_dict()
for k, v in sd.items():
    print(k, list(v.shape))
print(len(sd), "cache" in sd, "scale" in sd)

block("get_submodule and get_parameter")
print(model.get_submodule("blocks.1.norm"))
print(list(model.get_parameter("heads.reg.weight").shape))
print(model.get_buffer("bn.running_var"))
print(model.heads["cls"])
print(model.blocks[0].fc)

block("ModuleList and ModuleDict")
print(len(model.blocks), len(model.heads))
print(list(model.heads.keys()))
for k, m in model.heads.items():
    print(k, m)
print("cls" in model.heads, "box" in model.heads)
ml = nn.ModuleList()
ml.append(nn.Linear(2, 2))
ml.extend([nn.ReLU(), nn.Tanh()])
ml.insert(1, nn.Identity())
print(ml)
print(len(ml))
md = nn.ModuleDict()
md["a"] = nn.ReLU()
md["b"] = nn.Sigmoid()
md.update({"c": nn.Tanh()})
print(md)
print(type(md.pop("b")).__name__, list(md.keys()))

block("apply with nn.init")
visited = []


def init_fn(m):
    visited.append(type(m).__name__)
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.weight, 0.5)
        nn.init.zeros_(m.bias)


torch.manual_seed(1)
model.apply(init_fn)
print(" ".join(visited))
print(model.stem.weight)
print(model.heads["reg"].weight)
print(model.blocks[1].norm.weight)
print(model.heads["cls"].bias)

block("nn.init functions")
torch.manual_seed(2)
w = torch.empty(3, 5)
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
print(w)
nn.init.kaiming_uniform_(w, a=0.1)
print(w)
nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh"))
print(w)
nn.init.normal_(w, mean=0.0, std=0.02)
print(w)
nn.init.uniform_(w, -0.1, 0.1)
print(w)
nn.init.trunc_normal_(w, std=0.02, a=-0.03, b=0.03)
print(w)
print(w.abs().max().item() <= 0.03)
nn.init.orthogonal_(w)
print(w)
print(torch.allclose(w @ w.T, torch.eye(3), atol=1e-5))
nn.init.constant_(w, 0.3)
print(w)
nn.init.ones_(w)
print(w.sum())
nn.init.eye_(w)
print(w)
print(f"{nn.init.calculate_gain('leaky_relu', 0.2):.6f}")

block("freezing")
torch.manual_seed(3)
model = Net()
model.stem.requires_grad_(False)
for p in model.blocks[0].parameters():
    p.requires_grad = False
out = model(x)
out.sum().backward()
for name, p in model.named_parameters():
    print(name, p.requires_grad, p.grad is None)
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(total, trainable, total - trainable)
model.zero_grad()
print(all(p.grad is None for p in model.parameters()))
model.requires_grad_(True)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))

block("train and eval")
model.eval()
for name, m in model.named_modules():
    print(name if name else "<root>", m.training)
model.train()
model.blocks[1].eval()
print([m.training for m in model.modules()])
model.train()
print(all(m.training for m in model.modules()))
model.eval()
with torch.no_grad():
    a = model(x)
    b = model(x)
print(torch.equal(a, b))
print(a)

block("hooks")
model.train()
torch.manual_seed(4)
calls = []


def pre_hook(m, inp):
    print("pre", type(m).__name__, shp(inp[0]))


def fwd_hook(m, inp, out):
    print("fwd", type(m).__name__, shp(inp[0]), shp(out))


def bwd_hook(m, gin, gout):
    print("bwd", type(m).__name__, "in", " ".join(shp(g) for g in gin), "out", " ".join(shp(g) for g in gout))


def bwd_pre_hook(m, gout):
    print("bwd pre", type(m).__name__, " ".join(shp(g) for g in gout))


h1 = model.blocks[0].register_forward_pre_hook(pre_hook)
h2 = model.stem.register_forward_hook(fwd_hook)
h3 = model.heads["cls"].register_full_backward_hook(bwd_hook)
h4 = model.heads["cls"].register_full_backward_pre_hook(bwd_pre_hook)
h5 = model.stem.register_full_backward_hook(bwd_hook)
out = model(x)
print(list(out.shape))
out.sum().backward()
for hd in [h1, h2, h3, h4, h5]:
    hd.remove()
out = model(x)
print("after remove", list(out.shape))
# a forward hook that replaces the output, a pre-hook that replaces the input
hz = model.heads["reg"].register_forward_hook(lambda m, i, o: o * 0)
hp = model.heads["cls"].register_forward_pre_hook(lambda m, i: (i[0] * 0,))
model.eval()
with torch.no_grad():
    print(model(x))
hz.remove()
hp.remove()
# a backward hook that replaces grad_input
lin = nn.Linear(3, 2)
xin = torch.ones(1, 3, requires_grad=True)
hb = lin.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 10,))
lin(xin).sum().backward()
print(xin.grad)
hb.remove()

block("load_state_dict strict=False")
torch.manual_seed(5)
src = Net()
dst = Net()
sd = src.state_dict()
del sd["heads.reg.bias"]
sd["extra.weight"] = torch.zeros(2)
result = dst.load_state_dict(sd, strict=False)
print(pylist(result.missing_keys))
print(pylist(result.unexpected_keys))
print(result)
print(torch.equal(dst.stem.weight, src.stem.weight), torch.equal(dst.heads["reg"].bias, src.heads["reg"].bias))
print(dst.load_state_dict(src.state_dict()))
try:
    dst.load_state_dict(sd)
except RuntimeError as e:
    print(e)
sd["stem.bias"] = torch.zeros(3)
try:
    dst.load_state_dict(sd, strict=False)
except RuntimeError as e:
    print(e)

block("to float64")
model.to(torch.float64)
print(dt(model.stem.weight), dt(model.scale), dt(model.cache), dt(model.bn.running_mean), dt(model.bn.num_batches_tracked))
with torch.no_grad():
    print(dt(model(x.double())))
model.float()
print(dt(model.stem.weight), dt(model.scale))
model.double()
print(dt(model.temperature))
model.to(torch.float32)

block("Sequential")
torch.manual_seed(6)
seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
print(len(seq))
print(seq[0])
print(seq[-1])
print(seq[1:])
print(seq[:2])
seq.append(nn.Sigmoid())
print(len(seq))
seq.insert(1, nn.BatchNorm1d(3))
print(seq)
seq.extend([nn.Identity()])
print(len(seq), type(seq[-1]).__name__)
print(type(seq.pop(5)).__name__, len(seq))
for i, m in enumerate(seq):
    print(i, type(m).__name__)
print(seq(torch.randn(4, 2)).shape == (4, 1))

block("named Sequential")
torch.manual_seed(7)
net = nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 4)), ("act", nn.ReLU()), ("fc2", nn.Linear(4, 1))]))
print(net)
print(net.fc1)
print([name for name, _ in net.named_parameters()])
print(net[1:])
net.add_module("out", nn.Sigmoid())
print([name for name, _ in net.named_children()])

block("zero_grad")
torch.manual_seed(8)
xs = torch.randn(6, 2)
net(xs).sum().backward()
print([p.grad is None for p in net.parameters()])
net.zero_grad()
print([p.grad is None for p in net.parameters()])

block("parameters_to_vector and vector_to_parameters")
vec = parameters_to_vector(net.parameters())
print(list(vec.shape))
print(vec)
vector_to_parameters(torch.arange(vec.numel(), dtype=torch.float32), net.parameters())
print(net.fc1.weight)
print(net.fc2.bias)

block("clip_grad_norm_ and clip_grad_value_")
torch.manual_seed(9)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
xs = torch.randn(8, 3)
(net(xs) ** 2).sum().backward()
total = clip_grad_norm_(net.parameters(), max_norm=0.5)
print(total)
print(f"{torch.stack([p.grad.norm() for p in net.parameters()]).norm().item():.4f}")
net.zero_grad()
(net(xs) ** 2).sum().backward()
total_inf = clip_grad_norm_(net.parameters(), max_norm=1.0, norm_type=float("inf"))
print(total_inf)
print(net[2].bias.grad)
net.zero_grad()
(net(xs) ** 2).sum().backward()
clip_grad_value_(net.parameters(), clip_value=0.1)
print(net[2].weight.grad)

block("weight tying")


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.out = nn.Linear(4, 10, bias=False)
        self.out.weight = self.embed.weight

    def forward(self, idx):
        return self.out(self.embed(idx))


torch.manual_seed(10)
tied = Tied()
print(len(list(tied.parameters())), sum(p.numel() for p in tied.parameters()))
print([name for name, _ in tied.named_parameters()])
print(list(tied.state_dict().keys()))
print(tied.out.weight is tied.embed.weight)
logits = tied(torch.tensor([1, 3, 3]))
print(list(logits.shape))
logits.sum().backward()
print(tied.embed.weight.grad[:4])
shared = nn.Linear(3, 3)
twice = nn.Sequential(shared, nn.ReLU(), shared)
print(len(list(twice.parameters())), sum(p.numel() for p in twice.parameters()))
print([name for name, _ in twice.named_parameters()])
print([name for name, _ in twice.named_modules()])
print(list(twice.state_dict().keys()))
print(twice)

block("trainable summary")
torch.manual_seed(11)
model = Net()
model.blocks.requires_grad_(False)
print(f"{'name':<24}{'shape':<10}{'trainable'}")
for name, p in model.named_parameters():
    print(f"{name:<24}{str(list(p.shape)):<10}{p.requires_grad}")
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"total {total}, trainable {trainable}, frozen {total - trainable}")
print(f"{100 * trainable / total:.2f}% trainable")
print(type(model.blocks[-1]).__name__, type(model.blocks[-1].drop).__name__)
