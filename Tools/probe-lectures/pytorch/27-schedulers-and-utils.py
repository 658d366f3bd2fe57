# The PyTorch twin of 27-schedulers-and-utils.swift: learning-rate schedulers beyond probe 15's tour
# (OneCycleLR cos/linear/three_phase, CyclicLR triangular2/exp_range/scale_fn, CosineAnnealingWarmRestarts
# with T_mult and fractional epochs, LambdaLR and MultiplicativeLR closures, SequentialLR with two milestones,
# ChainedScheduler, LinearLR/ConstantLR warm-ups, PolynomialLR, ReduceLROnPlateau in max/abs mode with
# cooldown and per-group min_lr), get_last_lr(), scheduler state dicts, per-group schedules,
# add_param_group mid-training, swa_utils (AveragedModel, SWALR, update_bn), EMA and gradient accumulation
# by hand, gradient checkpointing, clip_grad_norm_ on non-finite gradients, and
# torch.autograd.functional.jacobian/hessian.
# Usage: python 27-schedulers-and-utils.py [MNIST_DIR]   (MNIST is not read)
import math
import warnings
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential
from torch.utils.data import TensorDataset, DataLoader
from torch.autograd.functional import jacobian, hessian
warnings.filterwarnings("ignore")   # scheduler warnings go to stderr


def block(t): print("## " + t)
def f6(v): return f"{v:.6f}"
def seq(values): return " ".join(f6(v) for v in values)


torch.manual_seed(0)
X = torch.randn(64, 4)
true_w = torch.tensor([[1.5], [-2.0], [0.5], [1.0]])
y = X @ true_w + 0.3 * torch.sin(3 * X[:, :1]) + 0.1 * torch.randn(64, 1)


def make_model(seed=1):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))


def full_loss(model):
    with torch.no_grad():
        return F.mse_loss(model(X), y).item()


def train(model, opt, sched, steps=12):
    """Full-batch steps; the scheduler steps after each; returns the lr after every step."""
    lrs = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


block("data")
print(list(X.shape), list(y.shape), f6(y.sum().item()))
print("initial loss", f6(full_loss(make_model())))

block("OneCycleLR")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=12)
print("start", f6(opt.param_groups[0]["lr"]), f6(opt.param_groups[0]["momentum"]))
lrs, moms = [], []
for _ in range(12):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    if sched.last_epoch < 12:
        sched.step()
    lrs.append(sched.get_last_lr()[0])
    moms.append(opt.param_groups[0]["momentum"])
print("cos lr:", seq(lrs))
print("cos momentum:", seq(moms))
print("last_epoch", sched.last_epoch, "loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
sched = lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=16, pct_start=0.25, anneal_strategy="linear",
                                three_phase=True, div_factor=10.0, final_div_factor=100.0)
lrs, betas = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["betas"][0]]
for _ in range(15):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    betas.append(opt.param_groups[0]["betas"][0])
print("linear three_phase lr:", seq(lrs))
print("linear three_phase beta1:", seq(betas))
print("betas[1]", opt.param_groups[0]["betas"][1], "loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}], lr=0.1, momentum=0.9)
sched = lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.02], epochs=3, steps_per_epoch=4, cycle_momentum=False)
print("groups start", seq(sched.get_last_lr()), opt.param_groups[0]["momentum"])
for epoch in range(3):
    for _ in range(4):
        opt.zero_grad()
        F.mse_loss(model(X), y).backward()
        opt.step()
        if sched.last_epoch < sched.total_steps:
            sched.step()
    print(f"epoch {epoch}:", seq(sched.get_last_lr()))
print("per-group OneCycleLR loss", f6(full_loss(model)), sched.total_steps)

block("CyclicLR")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3, mode="triangular2")
print("start", f6(opt.param_groups[0]["lr"]), f6(opt.param_groups[0]["momentum"]))
lrs, moms = [], []
for _ in range(15):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    moms.append(opt.param_groups[0]["momentum"])
print("triangular2 lr:", seq(lrs))
print("triangular2 momentum:", seq(moms))
print("loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
sched = lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.02, step_size_up=3, mode="exp_range", gamma=0.9)
lrs, betas = [], []
for _ in range(12):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    betas.append(opt.param_groups[0]["betas"][0])
print("exp_range lr:", seq(lrs))
print("exp_range beta1:", seq(betas))
print("loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.05, step_size_up=2, cycle_momentum=False,
                              scale_fn=lambda x: 0.5 * (1 + math.sin(x * math.pi / 2)), scale_mode="cycle")
print("scale_fn lr:", seq(train(model, opt, sched, steps=12)))
print("loss", f6(full_loss(model)))

block("CosineAnnealingWarmRestarts")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.001)
print("T_mult=2 lr:", seq(train(model, opt, sched, steps=14)))
print("T_cur", f6(sched.T_cur), "T_i", sched.T_i, "last_epoch", sched.last_epoch, "loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=2, eta_min=0.0)
iters = 4
out = []
for epoch in range(4):
    for i in range(iters):
        opt.zero_grad()
        F.mse_loss(model(X), y).backward()
        opt.step()
        sched.step(epoch + i / iters)
        out.append(sched.get_last_lr()[0])
print("fractional lr:", seq(out))
print("T_cur", f6(sched.T_cur), "T_i", sched.T_i, "last_epoch", sched.last_epoch, "loss", f6(full_loss(model)))

block("LambdaLR and MultiplicativeLR")
model = make_model()
opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.02}], lr=0.1)
warmup = lambda epoch: min(1.0, (epoch + 1) / 4)
decay = lambda epoch: 0.9 ** epoch
sched = lr_scheduler.LambdaLR(opt, lr_lambda=[warmup, decay])
rows = []
for _ in range(8):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    sched.step()
    rows.append(sched.get_last_lr())
print("group 0:", seq([r[0] for r in rows]))
print("group 1:", seq([r[1] for r in rows]))
print("base_lrs", seq(sched.base_lrs), "loss", f6(full_loss(model)))

calls = []
def counting(epoch):
    calls.append(epoch)
    return 1.0 / (1 + epoch)
opt = torch.optim.SGD(make_model().parameters(), lr=0.3)
sched = lr_scheduler.LambdaLR(opt, counting)
for _ in range(5):
    opt.step()
    sched.step()
print("calls", calls, seq(sched.get_last_lr()))

model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.95)
print("MultiplicativeLR 0.95:", seq(train(model, opt, sched, steps=10)))
print("loss", f6(full_loss(model)))
opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched = lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5 if epoch % 3 == 0 else 1.0)
out = []
for _ in range(10):
    opt.step()
    sched.step()
    out.append(opt.param_groups[0]["lr"])
print("MultiplicativeLR every 3:", seq(out))

block("SequentialLR and ChainedScheduler")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
s1 = lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=3)
s2 = lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
s3 = lr_scheduler.ExponentialLR(opt, gamma=0.8)
sched = lr_scheduler.SequentialLR(opt, schedulers=[s1, s2, s3], milestones=[3, 6])
print("start", f6(opt.param_groups[0]["lr"]))
print("SequentialLR:", seq(train(model, opt, sched, steps=10)))
print("last_epoch", sched.last_epoch, [s.last_epoch for s in (s1, s2, s3)], "loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.ChainedScheduler([lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4),
                                       lr_scheduler.ExponentialLR(opt, gamma=0.9)], optimizer=opt)
print("start", f6(opt.param_groups[0]["lr"]))
print("ChainedScheduler:", seq(train(model, opt, sched, steps=8)))
print("loss", f6(full_loss(model)))

model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
warm = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=2)
restarts = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, eta_min=0.01)
sched = lr_scheduler.SequentialLR(opt, schedulers=[warm, restarts], milestones=[2])
print("Sequential(Linear, WarmRestarts):", seq(train(model, opt, sched, steps=9)))

block("warm-up and polynomial decay")
for name, make in [
    ("LinearLR up", lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4)),
    ("LinearLR down", lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5)),
    ("ConstantLR", lambda o: lr_scheduler.ConstantLR(o, factor=0.25, total_iters=3)),
    ("PolynomialLR sqrt", lambda o: lr_scheduler.PolynomialLR(o, total_iters=6, power=0.5)),
    ("PolynomialLR cubic", lambda o: lr_scheduler.PolynomialLR(o, total_iters=8, power=3.0)),
]:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make(opt)
    start = opt.param_groups[0]["lr"]
    lrs = train(model, opt, sched, steps=10)
    print(f"{name}: {f6(start)} | {seq(lrs)}")
    print(f"  loss {f6(full_loss(model))}")

block("ReduceLROnPlateau")
model = make_model()
opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.04}], lr=0.1)
sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, threshold=0.01,
                                       threshold_mode="abs", cooldown=2, min_lr=[0.02, 0.005])
accs = [0.50, 0.55, 0.555, 0.56, 0.565, 0.60, 0.605, 0.61, 0.612, 0.613, 0.70, 0.701, 0.702, 0.703]
for i, acc in enumerate(accs):
    opt.step()
    sched.step(acc)
    print(f"{i:2d} acc {acc:.3f} lrs {seq(sched.get_last_lr())} best {sched.best:.3f} bad {sched.num_bad_epochs} "
          f"cooldown {sched.cooldown_counter} in_cooldown {sched.in_cooldown}")

model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.3, patience=2)
for epoch in range(20):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    opt.step()
    val = F.mse_loss(model(X[:16]), y[:16]).detach()
    sched.step(val)
    if epoch % 4 == 3:
        print(f"epoch {epoch} val {f6(val.item())} lr {f6(opt.param_groups[0]['lr'])} bad {sched.num_bad_epochs}")
print("loss", f6(full_loss(model)))

block("get_last_lr")
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
print(len(sched.get_last_lr()), f6(sched.get_last_lr()[0]))
same = []
for _ in range(7):
    opt.step()
    sched.step()
    same.append(sched.get_last_lr()[0] == opt.param_groups[0]["lr"])
print(same)
print(sched.last_epoch, f6(sched.get_last_lr()[0]))

block("scheduler state_dict")
opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
for _ in range(3):
    opt.step()
    sched.step()
print(sched.state_dict())
opt = torch.optim.SGD(make_model().parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=10)
for _ in range(4):
    opt.step()
    sched.step()
sd = sched.state_dict()
print(sorted(sd.keys()))
print(sd["total_steps"], sd["last_epoch"], sd["_step_count"], seq(sd["base_lrs"]), seq(sd["_last_lr"]))
opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, cooldown=1)
for m in [0.1, 0.2, 0.2, 0.2]:
    sched.step(m)
sd = sched.state_dict()
print(sorted(sd.keys()))
print(sd["best"], sd["num_bad_epochs"], sd["cooldown_counter"], sd["last_epoch"], seq(sd["_last_lr"]))
opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
                                        lr_scheduler.ExponentialLR(opt, gamma=0.9)], milestones=[2])
for _ in range(3):
    opt.step()
    sched.step()
sd = sched.state_dict()
print(sorted(sd.keys()))
print(sd["_milestones"], sd["last_epoch"], [s["last_epoch"] for s in sd["_schedulers"]])

# resume a warm-restart schedule from its state dict
opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
for _ in range(5):
    opt.step()
    sched.step()
saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
opt2 = torch.optim.SGD(make_model().parameters(), lr=0.1)
sched2 = lr_scheduler.CosineAnnealingWarmRestarts(opt2, T_0=3, T_mult=2)
opt2.load_state_dict(saved_opt)
sched2.load_state_dict(saved_sched)
a, b = [], []
for _ in range(6):
    opt.step(); sched.step(); a.append(sched.get_last_lr()[0])
    opt2.step(); sched2.step(); b.append(sched2.get_last_lr()[0])
print(seq(a))
print(a == b, f6(sched2.T_cur), sched2.T_i)

block("add_param_group mid-training")
model = make_model()
opt = torch.optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
for step in range(10):
    if step == 4:
        opt.add_param_group({"params": model[2].parameters(), "lr": 0.05})
        print("groups", len(opt.param_groups), [g["lr"] for g in opt.param_groups], [g["momentum"] for g in opt.param_groups])
    model.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    sched.step()
    print(f"step {step} lrs {seq([g['lr'] for g in opt.param_groups])} last {seq(sched.get_last_lr())}")
print("loss", f6(full_loss(model)), len(opt.state))

block("swa_utils")
torch.manual_seed(3)
bn_model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
loader = DataLoader(TensorDataset(X, y), batch_size=16)
swa_model = AveragedModel(bn_model)
opt = torch.optim.SGD(bn_model.parameters(), lr=0.05, momentum=0.9)
cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
swa_sched = SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="linear")
swa_start = 4
lrs = []
for epoch in range(10):
    for xb, yb in loader:
        opt.zero_grad()
        F.mse_loss(bn_model(xb), yb).backward()
        opt.step()
    if epoch >= swa_start:
        swa_model.update_parameters(bn_model)
        swa_sched.step()
    else:
        cosine.step()
    lrs.append(opt.param_groups[0]["lr"])
print("lr:", seq(lrs))
print("n_averaged", swa_model.n_averaged)
bn = swa_model.module[1]
print("running_mean before", f6(bn.running_mean.sum().item()), bn.num_batches_tracked.item())
update_bn(loader, swa_model)
print("running_mean after", f6(bn.running_mean.sum().item()), f6(bn.running_var.sum().item()), bn.num_batches_tracked.item())
print("bn momentum", bn.momentum)
swa_model.eval()
bn_model.eval()
with torch.no_grad():
    print("swa loss", f6(F.mse_loss(swa_model(X), y).item()), "model loss", f6(F.mse_loss(bn_model(X), y).item()))
print(sorted(k for k in swa_model.state_dict().keys())[:3])

block("EMA of weights")
model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
ema_params = [p.detach().clone() for p in model.parameters()]
for step in range(15):
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    ema_model.update_parameters(model)
    with torch.no_grad():
        if step == 0:
            for e, p in zip(ema_params, model.parameters()):
                e.copy_(p)
        else:
            for e, p in zip(ema_params, model.parameters()):
                e.lerp_(p, 1 - 0.9)
print([torch.equal(e, a) for e, a in zip(ema_params, ema_model.module.parameters())])
manual = [p.detach().clone() for p in make_model().parameters()]
decay = 0.9
for e, p in zip(manual, model.parameters()):
    e.mul_(decay).add_(p.detach(), alpha=1 - decay)
print(f6(manual[0].sum().item()), f6(ema_params[0].sum().item()))
with torch.no_grad():
    print("ema loss", f6(F.mse_loss(ema_model(X), y).item()), "model loss", f6(full_loss(model)))
print("n_averaged", ema_model.n_averaged.item())

block("gradient accumulation")
model_a = make_model()
model_b = make_model()
F.mse_loss(model_a(X), y).backward()
accum = 4
for xb, yb in zip(X.chunk(accum), y.chunk(accum)):
    loss = F.mse_loss(model_b(xb), yb) / accum
    loss.backward()
print([torch.allclose(pa.grad, pb.grad, atol=1e-6) for pa, pb in zip(model_a.parameters(), model_b.parameters())])
print(f6(model_a[0].weight.grad.norm().item()), f6(model_b[0].weight.grad.norm().item()))
model = make_model()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
step_losses = []
for i, (xb, yb) in enumerate(zip(X.split(8), y.split(8))):
    loss = F.mse_loss(model(xb), yb) / 2
    loss.backward()
    if (i + 1) % 2 == 0:
        opt.step()
        opt.zero_grad()
        step_losses.append(full_loss(model))
print("accumulated steps", len(step_losses), seq(step_losses))

block("gradient checkpointing")
torch.manual_seed(5)
mlp = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
xin = X[:8].clone().requires_grad_()
torch.manual_seed(11)
out = mlp(xin)
F.mse_loss(out, y[:8]).backward()
plain = [p.grad.clone() for p in mlp.parameters()]
plain_x = xin.grad.clone()
mlp.zero_grad()
xin.grad = None
torch.manual_seed(11)
block_a = mlp[:3]
block_b = mlp[3:]
h = checkpoint(block_a, xin, use_reentrant=False)
out2 = checkpoint(block_b, h, use_reentrant=False)
print(out2.grad_fn.name(), torch.equal(out, out2))
F.mse_loss(out2, y[:8]).backward()
print([torch.allclose(a, p.grad, atol=1e-7) for a, p in zip(plain, mlp.parameters())], torch.allclose(plain_x, xin.grad, atol=1e-7))
print(f6(mlp[0].weight.grad.abs().sum().item()), f6(xin.grad.abs().sum().item()))
mlp.zero_grad()
torch.manual_seed(11)
out3 = checkpoint_sequential(mlp, 2, X[:8], use_reentrant=False)
F.mse_loss(out3, y[:8]).backward()
print(torch.equal(out, out3), [torch.allclose(a, p.grad, atol=1e-7) for a, p in zip(plain, mlp.parameters())])
mlp.eval()
with torch.no_grad():
    out4 = checkpoint(mlp, X[:8], use_reentrant=False)
print(out4.requires_grad, out4.grad_fn is None)

block("clip_grad_norm_")
model = make_model()
F.mse_loss(model(X), y).backward()
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, error_if_nonfinite=True)
print(f6(total.item()))
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.05, norm_type=float("inf"))
print(f6(total.item()), f6(max(p.grad.abs().max().item() for p in model.parameters())))
total = torch.nn.utils.clip_grad_norm_(model[2].weight, max_norm=0.01)
print(f6(total.item()), f6(model[2].weight.grad.norm().item()))
model[0].bias.grad[0] = float("inf")
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
print(total.item(), model[0].weight.grad.isnan().all().item(), model[0].bias.grad.isnan().sum().item())
model.zero_grad()
F.mse_loss(model(X), y).backward()
model[2].bias.grad[0] = float("nan")
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=float("inf"))
print(total.item())
frozen = nn.Linear(3, 2)
print(torch.nn.utils.clip_grad_norm_(frozen.parameters(), max_norm=1.0))

block("jacobian and hessian")
def f(x):
    return torch.stack([x[0] * x[1], x[1].sin() + x[2], (x ** 2).sum()])
x0 = torch.tensor([1.0, 2.0, 0.5])
print(jacobian(f, x0))
print(jacobian(lambda v: v.exp() * 2, torch.tensor([0.0, 1.0])))
def rosen(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
print(hessian(rosen, torch.tensor([1.0, 1.0])))
print(hessian(lambda v: (v ** 3).sum() + v[0] * v[1], torch.tensor([1.0, -2.0])))
W = torch.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 3.0]])
print(jacobian(lambda v: torch.tanh(W @ v), torch.tensor([0.3, -0.2])))
a = torch.tensor([1.0, 2.0])
b = torch.tensor([3.0, -1.0])
ja, jb = jacobian(lambda p, q: p * q + p.sum(), (a, b))
print(ja)
print(jb)
jm = jacobian(lambda m: m.sum(dim=1), torch.ones(2, 3))
print(list(jm.shape))
print(jm)
