# The PyTorch twin of 22-checkpoints-hooks.swift: checkpoints (model, optimizer and scheduler state
# dicts with torch.save / torch.load, resuming to the uninterrupted run's numbers), state-dict
# inspection, parameter counting and freezing, parameter groups, forward / pre / tensor / full
# backward hooks, gradient clipping, parameters_to_vector, apply with nn.init, deepcopy, train/eval
# with Dropout, and the grad modes.
# Usage: python 22-checkpoints-hooks.py [MNIST_DIR]   (MNIST is not read)
import copy
import os
import shutil
import tempfile
import warnings
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
warnings.filterwarnings("ignore")


def block(t): print("## " + t)
def f6(v): return f"{v:.6f}"
def g8(v): return f"{v:.8g}"
def pylist(a): return "[" + ", ".join("'%s'" % k for k in a) + "]"
def shp(t): return "None" if t is None else str(list(t.shape))


torch.manual_seed(0)
X = torch.randn(64, 4)
true_w = torch.tensor([[1.5], [-2.0], [0.5], [1.0]])
y = X @ true_w + 0.5 * X[:, :1] * X[:, 1:2] + 0.1 * torch.randn(64, 1)

EPOCHS, BATCH = 6, 16
STEPS = EPOCHS * (64 // BATCH)


def make_model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))


def make_training(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=STEPS)
    return opt, sched


def train_epoch(model, opt, sched):
    model.train()
    total = 0.0
    for i in range(0, 64, BATCH):
        xb, yb = X[i:i + BATCH], y[i:i + BATCH]
        opt.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
    return total / (64 // BATCH)


tmp = tempfile.mkdtemp()

block("data and model")
print(list(X.shape), list(y.shape), f6(y.sum().item()))
model = make_model(1)
print(model)
print(sum(p.numel() for p in model.parameters()))
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
print(len(list(model.parameters())))

block("state_dict keys and shapes")
for k, v in model.state_dict().items():
    print(k, list(v.shape))
print(len(model.state_dict()))

block("uninterrupted run")
model_a = make_model(1)
opt_a, sched_a = make_training(model_a)
losses_a = []
for epoch in range(EPOCHS):
    loss = train_epoch(model_a, opt_a, sched_a)
    losses_a.append(loss)
    print(f"epoch {epoch} loss {f6(loss)} lr {g8(sched_a.get_last_lr()[0])}")

block("checkpoint at epoch 3")
model_b = make_model(1)
opt_b, sched_b = make_training(model_b)
for epoch in range(3):
    loss = train_epoch(model_b, opt_b, sched_b)
    print(f"epoch {epoch} loss {f6(loss)}")
path = os.path.join(tmp, "ckpt.pt")
torch.save({"epoch": 3, "model": model_b.state_dict(), "optimizer": opt_b.state_dict(),
            "scheduler": sched_b.state_dict()}, path)
print(sorted(os.listdir(tmp)))

block("optimizer state_dict")
osd = opt_b.state_dict()
print(pylist(osd.keys()))
group = osd["param_groups"][0]
print(pylist(sorted(group.keys())))
print("lr", g8(group["lr"]))
print("betas", "(" + ", ".join(g8(b) for b in group["betas"]) + ")")
print("eps", g8(group["eps"]))
print("weight_decay", g8(group["weight_decay"]))
print("amsgrad", group["amsgrad"])
print("initial_lr", g8(group["initial_lr"]))
print("max_lr", g8(group["max_lr"]), "min_lr", g8(group["min_lr"]))
print("max_momentum", g8(group["max_momentum"]), "base_momentum", g8(group["base_momentum"]))
print("params", group["params"])
print(list(osd["state"].keys()))
print(pylist(osd["state"][0].keys()))
print(osd["state"][0]["step"])
print(list(osd["state"][0]["exp_avg"].shape))
print(f"{osd['state'][4]['exp_avg_sq'].sum().item():.6e}")
print(opt_b.state[model_b[0].weight]["step"])

block("scheduler state_dict")
ssd = sched_b.state_dict()
print(ssd["last_epoch"], ssd["_step_count"], ssd["total_steps"])
print([g8(v) for v in ssd["base_lrs"]], [g8(v) for v in ssd["_last_lr"]])

block("resume from the checkpoint")
model_c = make_model(99)
opt_c, sched_c = make_training(model_c)
ckpt = torch.load(path)
print(pylist(sorted(ckpt.keys())))
print(len(ckpt["model"]))
print(model_c.load_state_dict(ckpt["model"]))
opt_c.load_state_dict(ckpt["optimizer"])
sched_c.load_state_dict(ckpt["scheduler"])
start = ckpt["epoch"]
print(start, g8(opt_c.param_groups[0]["lr"]), g8(opt_c.param_groups[0]["betas"][0]), sched_c.last_epoch)
losses_c = []
for epoch in range(start, EPOCHS):
    loss = train_epoch(model_c, opt_c, sched_c)
    losses_c.append(loss)
    print(f"epoch {epoch} loss {f6(loss)} lr {g8(sched_c.get_last_lr()[0])}")
print(losses_c == losses_a[start:])
print(all(torch.equal(a, c) for a, c in zip(model_a.parameters(), model_c.parameters())))
print(torch.equal(opt_a.state[model_a[4].weight]["exp_avg"], opt_c.state[model_c[4].weight]["exp_avg"]))
print(sched_a.get_last_lr() == sched_c.get_last_lr())

block("state_dict file round trip")
path2 = os.path.join(tmp, "model.pt")
torch.save(model_c.state_dict(), path2)
print(sorted(os.listdir(tmp)))
fresh = make_model(5)
print(fresh.load_state_dict(torch.load(path2)))
print(all(torch.equal(a, b) for a, b in zip(fresh.parameters(), model_c.parameters())))
alias = model_c.state_dict()
best = copy.deepcopy(model_c.state_dict())
with torch.no_grad():
    model_c[0].weight.add_(1.0)
print(torch.equal(alias["0.weight"], model_c[0].weight), torch.equal(best["0.weight"], model_c[0].weight))
model_c.load_state_dict(best)
print(torch.equal(model_c[0].weight, fresh[0].weight))

block("counting and freezing")
model_f = make_model(2)
model_f[0].requires_grad_(False)
for name, p in model_f.named_parameters():
    print(name, p.requires_grad)
total = sum(p.numel() for p in model_f.parameters())
trainable = sum(p.numel() for p in model_f.parameters() if p.requires_grad)
print(total, trainable, total - trainable)
opt_f = torch.optim.Adam(filter(lambda p: p.requires_grad, model_f.parameters()), lr=0.01)
print(len(opt_f.param_groups[0]["params"]))
w0 = model_f[0].weight.clone()
w2 = model_f[2].weight.clone()
for _ in range(5):
    opt_f.zero_grad()
    loss = F.mse_loss(model_f(X), y)
    loss.backward()
    opt_f.step()
print(torch.equal(model_f[0].weight, w0), torch.equal(model_f[2].weight, w2))
print(model_f[0].weight.grad is None, model_f[2].weight.grad is None)
print(f6(loss.item()))

block("parameter groups with different lrs")
model_g = make_model(3)
opt_g = torch.optim.Adam([{"params": model_g[0].parameters(), "lr": 0.05},
                          {"params": list(model_g[2].parameters()) + list(model_g[4].parameters())}], lr=0.005)
sched_g = torch.optim.lr_scheduler.CosineAnnealingLR(opt_g, T_max=4)
print([len(g["params"]) for g in opt_g.param_groups])
print([g8(g["lr"]) for g in opt_g.param_groups])
for _ in range(4):
    opt_g.zero_grad()
    F.mse_loss(model_g(X), y).backward()
    opt_g.step()
    sched_g.step()
    print([g8(g["lr"]) for g in opt_g.param_groups], [g8(v) for v in sched_g.get_last_lr()])
print(opt_g)

block("forward hooks")
model_h = make_model(4)
activations = {}


def save_activation(name):
    def hook(module, inp, out):
        activations[name] = out.detach()
    return hook


handles = [model_h[1].register_forward_hook(save_activation("relu1")),
           model_h[3].register_forward_hook(save_activation("relu2"))]
out = model_h(X[:8])
for name in ["relu1", "relu2"]:
    a = activations[name]
    print(name, list(a.shape), f"{(a == 0).float().mean().item():.4f}", f6(a.sum().item()), a.requires_grad)
for h in handles:
    h.remove()
activations.clear()
model_h(X[:1])
print(len(activations))

calls = []


def pre_hook(module, inp):
    calls.append(type(module).__name__ + " " + shp(inp[0]))


hp = model_h[0].register_forward_pre_hook(pre_hook)
model_h(X[:8])
model_h(X[:3])
print(calls)
hp.remove()
model_h(X[:2])
print(len(calls))

hz = model_h[0].register_forward_pre_hook(lambda m, inp: (inp[0] * 0,))
with torch.no_grad():
    zeroed = model_h(X[:2])
hz.remove()
with torch.no_grad():
    print(torch.equal(zeroed, model_h(torch.zeros(2, 4))))
ho = model_h[4].register_forward_hook(lambda m, inp, out: out + 1)
with torch.no_grad():
    shifted = model_h(X[:2])
ho.remove()
with torch.no_grad():
    print((shifted - model_h(X[:2])).flatten())

block("tensor hooks")
torch.manual_seed(5)
x = torch.randn(4, requires_grad=True)
h = x * 3
seen = {}


def grab(g):
    seen["h"] = g.clone()


hh = h.register_hook(grab)
(h ** 2).sum().backward()
print(seen["h"])
print(x.grad)
hh.remove()
x.grad = None
h = x * 3
h.register_hook(lambda g: g * 0.5)
(h ** 2).sum().backward()
print(x.grad)
x.grad = None
hx = x.register_hook(lambda g: g.clamp(-1, 1))
(x * 10).sum().backward()
print(x.grad)
hx.remove()
x.grad = None
(x * 10).sum().backward()
print(x.grad)

block("full backward hook")
records = []


def backward_hook(module, grad_input, grad_output):
    records.append(f"{type(module).__name__} in {' '.join(shp(g) for g in grad_input)} "
                   f"out {' '.join(shp(g) for g in grad_output)} {f6(grad_output[0].norm().item())} {f6(grad_input[0].norm().item())}")


hb = model_h[2].register_full_backward_hook(backward_hook)
model_h.zero_grad()
F.mse_loss(model_h(X[:8]), y[:8]).backward()
print("\n".join(records))
hb.remove()
model_h.zero_grad()
F.mse_loss(model_h(X[:8]), y[:8]).backward()
print(len(records))

block("gradient clipping")
model_h.zero_grad()
F.mse_loss(model_h(X), y).backward()
total_norm = clip_grad_norm_(model_h.parameters(), max_norm=0.1)
print(total_norm)
print(f6(torch.stack([p.grad.norm() for p in model_h.parameters()]).norm().item()))
model_h.zero_grad()
F.mse_loss(model_h(X), y).backward()
print(clip_grad_norm_(model_h.parameters(), max_norm=10.0))
model_h.zero_grad()
F.mse_loss(model_h(X), y).backward()
clip_grad_value_(model_h.parameters(), clip_value=0.05)
print(f6(max(p.grad.abs().max().item() for p in model_h.parameters())))
print(model_h[4].bias.grad)

block("parameters_to_vector and vector_to_parameters")
vec = parameters_to_vector(model_h.parameters())
print(list(vec.shape), vec.requires_grad, f6(vec.sum().item()))
vector_to_parameters(vec * 0.5, model_h.parameters())
print(torch.allclose(parameters_to_vector(model_h.parameters()), vec * 0.5))
print(f6(model_h[0].weight.sum().item()), f6(model_h[4].bias.item()))

block("apply with nn.init")
model_i = make_model(7)
visited = []


def init_xavier(m):
    visited.append(type(m).__name__)
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


torch.manual_seed(8)
model_i.apply(init_xavier)
print(visited)
print(model_i[0].weight[:2])
print([f6(m.weight.sum().item()) for m in model_i if isinstance(m, nn.Linear)])
print(all(torch.equal(m.bias, torch.zeros_like(m.bias)) for m in model_i if isinstance(m, nn.Linear)))


def init_kaiming(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.constant_(m.bias, 0.01)


torch.manual_seed(9)
model_i.apply(init_kaiming)
print(model_i[4].weight)
print(model_i[4].bias)
print(f6(model_i[2].weight.std().item()))

block("deepcopy")
model_d = make_model(10)
model_d.eval()
clone = copy.deepcopy(model_d)
print(clone is model_d, clone[0].weight is model_d[0].weight)
print(all(torch.equal(a, b) for a, b in zip(clone.parameters(), model_d.parameters())))
print(clone.training, clone[0].training, clone[0].weight.requires_grad)
clone.train()
opt_d = torch.optim.SGD(clone.parameters(), lr=0.1)
F.mse_loss(clone(X), y).backward()
opt_d.step()
print(torch.equal(clone[0].weight, model_d[0].weight), model_d.training)
print(model_d[0].weight.grad is None, clone[0].weight.grad is None)
print(clone)

block("train, eval and Dropout")
torch.manual_seed(11)
drop = nn.Dropout(0.5)
ones = torch.ones(2, 6)
print(drop.training)
print(drop(ones))
drop.eval()
print(drop(ones))
print(drop.training)
torch.manual_seed(12)
net = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 1))
net.eval()
print([m.training for m in net.modules()])
with torch.no_grad():
    a = net(ones)
    b = net(ones)
print(torch.equal(a, b))
print(a)
net.train()
print([m.training for m in net.modules()])
with torch.no_grad():
    a = net(ones)
    b = net(ones)
print(torch.equal(a, b))
print(a)
net[2].eval()
print([m.training for m in net.modules()])

block("grad modes")
w = torch.ones(3, requires_grad=True)
print(torch.is_grad_enabled())
with torch.no_grad():
    a = w * 2
    print(torch.is_grad_enabled(), a.requires_grad, a.grad_fn is None)
with torch.inference_mode():
    b = w * 2
    print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), b.requires_grad)
print(torch.is_inference_mode_enabled())
with torch.no_grad():
    with torch.enable_grad():
        c = w * 2
    d = w * 2
print(c.requires_grad, c.grad_fn.name(), d.requires_grad)
torch.set_grad_enabled(False)
e = w * 2
print(torch.is_grad_enabled(), e.requires_grad)
torch.set_grad_enabled(True)
e = w * 2
print(torch.is_grad_enabled(), e.requires_grad)
for is_train in [True, False]:
    with torch.set_grad_enabled(is_train):
        f = w * 2
    print(is_train, f.requires_grad)
print(torch.is_grad_enabled())
model_a.eval()
with torch.no_grad():
    val = F.mse_loss(model_a(X), y)
print(f6(val.item()), val.requires_grad)

shutil.rmtree(tmp)
print(os.path.exists(tmp))
