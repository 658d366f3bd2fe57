# The PyTorch twin of 15-optim-zoo.swift: every optimizer on one tiny seeded regression, parameter
# groups, printing optimizers and their state dicts, the LR schedulers' sequences, state-dict round
# trips that resume identically, zero_grad(set_to_none=...), clip_grad_norm_ and clip_grad_value_.
# Usage: python 15-optim-zoo.py [MNIST_DIR]   (MNIST is not read)
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
import warnings
warnings.filterwarnings("ignore")   # scheduler deprecation warnings go to stderr anyway
def block(t): print("## " + t)

torch.manual_seed(42)
X = torch.randn(32, 3)
y = (X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3).tanh() + 0.05 * torch.randn(32, 1)

def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))

def fmt(values, digits=4):
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"

def report(name, model):
    with torch.no_grad():
        final = F.mse_loss(model(X), y).item()
    print(f"{name}: loss {final:.6f} w0 {fmt(model[0].weight[0].tolist())}")

def train(model, opt, steps=20):
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        opt.step()

block("data")
print(list(X.shape), list(y.shape))
print(f"{X.sum().item():.4f} {y.sum().item():.4f}")
m = make_model()
report("initial", m)

block("optimizer zoo")
zoo = [
    ("SGD", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("SGD momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("SGD nesterov", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD weight decay", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.1, weight_decay=0.01)),
    ("Adam", lambda p: torch.optim.Adam(p, lr=0.01)),
    ("Adam amsgrad", lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True)),
    ("Adam weight decay", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1)),
    ("AdamW", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ("RMSprop centered", lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01)),
    ("Adadelta", lambda p: torch.optim.Adadelta(p, lr=1.0)),
    ("Adamax", lambda p: torch.optim.Adamax(p, lr=0.02)),
    ("NAdam", lambda p: torch.optim.NAdam(p, lr=0.01)),
    ("NAdam decoupled", lambda p: torch.optim.NAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", lambda p: torch.optim.RAdam(p, lr=0.01)),
    ("RAdam decoupled", lambda p: torch.optim.RAdam(p, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", lambda p: torch.optim.Rprop(p, lr=0.01)),
    ("ASGD", lambda p: torch.optim.ASGD(p, lr=0.05, t0=5)),
]
for name, make in zoo:
    model = make_model()
    opt = make(model.parameters())
    train(model, opt)
    report(name, model)

for name, kwargs in [("LBFGS", {}), ("LBFGS strong_wolfe", {"line_search_fn": "strong_wolfe"})]:
    model = make_model()
    opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=5, history_size=10, **kwargs)
    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        return loss
    for _ in range(4):
        first = opt.step(closure)
    print(f"last closure loss {first.item():.6f}")
    report(name, model)

block("optimizer state")
model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
train(model, opt, steps=3)
w = model[0].weight
print(len(opt.state))
print(sorted(opt.state[w].keys()))
print(opt.state[w]["step"])
print(list(opt.state[w]["exp_avg"].shape))
print(f"{opt.state[w]['exp_avg_sq'].sum().item():.8f}")
print(opt)

block("print optimizers")
print(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01))
print(torch.optim.RMSprop(model.parameters()))

block("optimizer state dict")
torch.manual_seed(0)
lin = nn.Linear(2, 1)
xs = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
ys = torch.tensor([[1.0], [0.0]])
opt = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
for _ in range(2):
    opt.zero_grad()
    F.mse_loss(lin(xs), ys).backward()
    opt.step()
print(opt.state_dict())
opt = torch.optim.Adam(lin.parameters(), lr=0.01)
opt.zero_grad()
F.mse_loss(lin(xs), ys).backward()
opt.step()
print(opt.state_dict())

block("parameter groups")
model = make_model()
opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.01}, {"params": model[2].parameters()}], lr=0.1, momentum=0.9)
print([g["lr"] for g in opt.param_groups])
print([g["momentum"] for g in opt.param_groups])
print([len(g["params"]) for g in opt.param_groups])
train(model, opt)
report("two groups", model)
opt.param_groups[0]["lr"] *= 10
print([g["lr"] for g in opt.param_groups])
extra = nn.Parameter(torch.zeros(3))
opt.add_param_group({"params": [extra], "lr": 0.5, "momentum": 0.0})
print(len(opt.param_groups), [g["lr"] for g in opt.param_groups], [g["momentum"] for g in opt.param_groups])
print(opt)
model = make_model()
opt = torch.optim.Adam([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.05, "betas": (0.5, 0.9)}], lr=0.01)
print([g["lr"] for g in opt.param_groups], [g["betas"] for g in opt.param_groups])
train(model, opt)
report("adam two groups", model)

block("lr schedulers")
def sgd(momentum=0.0):
    p = nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([p], lr=0.1, momentum=momentum)

def run(name, opt, sched, n=10, metrics=None):
    out = [opt.param_groups[0]["lr"]]
    for i in range(n):
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
        out.append(opt.param_groups[0]["lr"])
    print(f"{name}: " + " ".join(f"{v:.6f}" for v in out))
    print(f"  last {sched.get_last_lr()[0]:.6f}" if metrics is None else f"  bad epochs {sched.num_bad_epochs}")

opt = sgd(); run("StepLR", opt, torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5))
opt = sgd(); run("MultiStepLR", opt, torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 8], gamma=0.1))
opt = sgd(); run("ExponentialLR", opt, torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9))
opt = sgd(); run("CosineAnnealingLR", opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001))
opt = sgd(); run("LambdaLR", opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda e: 0.95 ** e))
opt = sgd(); run("LinearLR", opt, torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4))
opt = sgd(); run("ConstantLR", opt, torch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3))
opt = sgd(); run("PolynomialLR", opt, torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=5, power=2.0))
opt = sgd()
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7)
run("LinearLR+SequentialLR", opt, torch.optim.lr_scheduler.SequentialLR(opt, schedulers=[warm, cosine], milestones=[3]))
opt = sgd()
run("ChainedScheduler", opt, torch.optim.lr_scheduler.ChainedScheduler(
    [torch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2), torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)]))
opt = sgd(); run("CosineAnnealingWarmRestarts", opt, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01), n=12)
opt = sgd(); run("ReduceLROnPlateau", opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1),
                 metrics=[1.0, 0.9, 0.95, 0.96, 0.8, 0.85, 0.86, 0.87, 0.7, 0.71])
opt = sgd(momentum=0.9)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
lrs, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
for _ in range(9):
    opt.step()
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    moms.append(opt.param_groups[0]["momentum"])
print("OneCycleLR lr: " + " ".join(f"{v:.6f}" for v in lrs))
print("OneCycleLR momentum: " + " ".join(f"{v:.6f}" for v in moms))
opt = sgd(momentum=0.9)
sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")
run("CyclicLR", opt, sched)

block("fractional epochs")
opt = sgd()
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
out = []
iters = 3
for epoch in range(4):
    for i in range(iters):
        opt.step()
        sched.step(epoch + i / iters)
        out.append(f"{opt.param_groups[0]['lr']:.6f}")
print(" ".join(out))

block("scheduler state dict")
opt = sgd()
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
for _ in range(4):
    opt.step()
    sched.step()
sd = sched.state_dict()
print(sd["last_epoch"], sd["_step_count"], " ".join(f"{v:.6f}" for v in sd["base_lrs"]), " ".join(f"{v:.6f}" for v in sd["_last_lr"]))
osd = opt.state_dict()
opt2 = sgd()
sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=3, gamma=0.5)
opt2.load_state_dict(osd)
sched2.load_state_dict(sd)
a, b = [], []
for _ in range(5):
    opt.step(); sched.step(); a.append(f"{sched.get_last_lr()[0]:.6f}")
    opt2.step(); sched2.step(); b.append(f"{sched2.get_last_lr()[0]:.6f}")
print(" ".join(a))
print(" ".join(b))
print(a == b)

block("optimizer resume")
path = "/tmp/descent-probe-15-opt.pt"
model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
train(model, opt, steps=10)
torch.save({"step": 10, "model": model.state_dict(), "optimizer": opt.state_dict()}, path)
train(model, opt, steps=10)
report("uninterrupted", model)
torch.manual_seed(123)
model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
opt2 = torch.optim.Adam(model2.parameters(), lr=0.5)
ckpt = torch.load(path)
print(ckpt["step"])
model2.load_state_dict(ckpt["model"])
opt2.load_state_dict(ckpt["optimizer"])
print(opt2.param_groups[0]["lr"], opt2.state[model2[0].weight]["step"])
train(model2, opt2, steps=10)
report("resumed", model2)
print(torch.equal(model[0].weight, model2[0].weight), torch.equal(model[2].bias, model2[2].bias))
os.remove(path)

block("zero_grad")
torch.manual_seed(0)
lin = nn.Linear(3, 1)
opt = torch.optim.SGD(lin.parameters(), lr=0.1)
F.mse_loss(lin(X), y).backward()
print(lin.weight.grad)
F.mse_loss(lin(X), y).backward()
print(lin.weight.grad)
opt.zero_grad(set_to_none=False)
print(lin.weight.grad)
opt.zero_grad()
print(lin.weight.grad)
F.mse_loss(lin(X), y).backward()
lin.zero_grad()
print(lin.weight.grad, lin.bias.grad)
opt.step()
print(lin.weight)

block("clip_grad_norm_")
model = make_model()
F.mse_loss(model(X), y).backward()
params = list(model.parameters())
before = [p.grad.clone() for p in params]
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
print(total)
print(f"{total.item():.6f}")
after = torch.stack([p.grad.norm() for p in params]).norm()
print(f"{after.item():.6f}")
print(f"{(params[0].grad / before[0]).mean().item():.6f}")
for p, b in zip(params, before):
    p.grad = b.clone()
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.1, norm_type=float("inf"))
print(f"{total.item():.6f}")
print(f"{max(p.grad.abs().max().item() for p in params):.6f}")
for p, b in zip(params, before):
    p.grad = b.clone()
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=100.0)
print(f"{total.item():.6f}", torch.equal(params[0].grad, before[0]))
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=1.0)
print(f"{total.item():.6f}")

block("clip_grad_value_")
for p, b in zip(params, before):
    p.grad = b.clone()
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
print(params[0].grad)
print(params[3].grad)
print(f"{max(p.grad.abs().max().item() for p in params):.6f}")

block("clipping in a training loop")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
norms = []
for _ in range(20):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.25).item())
    opt.step()
print(" ".join(f"{v:.4f}" for v in norms[:5]))
report("clipped SGD", model)
