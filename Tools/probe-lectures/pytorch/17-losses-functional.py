# The PyTorch twin of 17-losses-functional.swift: every loss module with its reductions and the
# gradient w.r.t. the input, then a tour of torch.nn.functional. Printed block by block.
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(t): print("## " + t)
def dt(t): return str(t.dtype).replace("torch.", "")   # Swift prints a dtype by its bare name
def pylist(a): return "[" + ", ".join("'%s'" % k for k in a) + "]"


def run(x, make):
    # each reduction: the loss, then the gradient of its sum w.r.t. x
    for red in ["none", "mean", "sum"]:
        x.grad = None
        loss = make(red)
        print(red)
        print(loss)
        loss.sum().backward()
        print(x.grad)


torch.manual_seed(0)
x = torch.randn(3, 4, requires_grad=True)
t = torch.randn(3, 4)

block("MSELoss")
run(x, lambda r: nn.MSELoss(reduction=r)(x, t))

block("L1Loss")
run(x, lambda r: nn.L1Loss(reduction=r)(x, t))

block("SmoothL1Loss beta=0.5")
run(x, lambda r: nn.SmoothL1Loss(reduction=r, beta=0.5)(x, t))
x.grad = None
loss = nn.SmoothL1Loss()(x, t)
loss.backward()
print(loss)
print(x.grad)

block("HuberLoss delta=0.5")
run(x, lambda r: nn.HuberLoss(reduction=r, delta=0.5)(x, t))
x.grad = None
loss = nn.HuberLoss(delta=2.0)(x, t)
loss.backward()
print(loss)
print(x.grad)

block("BCELoss with weight")
p = torch.rand(3, 4).requires_grad_()
y = torch.randint(0, 2, (3, 4)).float()
w = torch.tensor([1.0, 2.0, 0.5, 0.0])
print(p)
print(y)
run(p, lambda r: nn.BCELoss(reduction=r)(p, y))
run(p, lambda r: nn.BCELoss(weight=w, reduction=r)(p, y))
print(nn.BCELoss(weight=w).state_dict())

block("BCEWithLogitsLoss with pos_weight")
run(x, lambda r: nn.BCEWithLogitsLoss(reduction=r)(x, y))
pw = torch.tensor([1.0, 2.0, 0.5, 3.0])
run(x, lambda r: nn.BCEWithLogitsLoss(reduction=r, pos_weight=pw)(x, y))
run(x, lambda r: nn.BCEWithLogitsLoss(weight=w, reduction=r, pos_weight=pw)(x, y))
print(pylist(nn.BCEWithLogitsLoss(weight=w, pos_weight=pw).state_dict().keys()))

block("CrossEntropyLoss")
logits = torch.randn(4, 5, requires_grad=True)
target = torch.tensor([1, 0, 4, 2])
cw = torch.tensor([1.0, 2.0, 0.5, 1.0, 1.5])
print(logits)
run(logits, lambda r: nn.CrossEntropyLoss(reduction=r)(logits, target))
print("weights")
run(logits, lambda r: nn.CrossEntropyLoss(weight=cw, reduction=r)(logits, target))
print("ignore_index=0")
run(logits, lambda r: nn.CrossEntropyLoss(ignore_index=0, reduction=r)(logits, target))
print("weights and ignore_index=0")
run(logits, lambda r: nn.CrossEntropyLoss(weight=cw, ignore_index=0, reduction=r)(logits, target))
print("label_smoothing=0.1")
run(logits, lambda r: nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1)(logits, target))
print("weights and label_smoothing=0.2")
run(logits, lambda r: nn.CrossEntropyLoss(weight=cw, reduction=r, label_smoothing=0.2)(logits, target))
print("probability targets")
probs = torch.randn(4, 5).softmax(dim=1)
print(probs)
run(logits, lambda r: nn.CrossEntropyLoss(reduction=r)(logits, probs))
print("probability targets, weights and label_smoothing=0.1")
run(logits, lambda r: nn.CrossEntropyLoss(weight=cw, reduction=r, label_smoothing=0.1)(logits, probs))
print("(N, C, d) input")
logits3 = torch.randn(2, 5, 3, requires_grad=True)
target3 = torch.randint(0, 5, (2, 3))
print(target3)
run(logits3, lambda r: nn.CrossEntropyLoss(reduction=r)(logits3, target3))
run(logits3, lambda r: nn.CrossEntropyLoss(weight=cw, ignore_index=2, reduction=r)(logits3, target3))
print("unbatched (C,) input")
v = torch.randn(5, requires_grad=True)
run(v, lambda r: nn.CrossEntropyLoss(reduction=r)(v, torch.tensor(3)))

block("NLLLoss")
lp = F.log_softmax(torch.randn(4, 5), dim=1).detach().requires_grad_()
print(lp)
run(lp, lambda r: nn.NLLLoss(reduction=r)(lp, target))
run(lp, lambda r: nn.NLLLoss(weight=cw, reduction=r)(lp, target))
run(lp, lambda r: nn.NLLLoss(ignore_index=4, reduction=r)(lp, target))
lp3 = F.log_softmax(torch.randn(2, 5, 3), dim=1).detach().requires_grad_()
run(lp3, lambda r: nn.NLLLoss(weight=cw, reduction=r)(lp3, target3))

block("KLDivLoss")
inp = F.log_softmax(torch.randn(3, 4), dim=1).detach().requires_grad_()
tgt = F.softmax(torch.randn(3, 4), dim=1)
run(inp, lambda r: nn.KLDivLoss(reduction=r)(inp, tgt))
inp.grad = None
loss = nn.KLDivLoss(reduction="batchmean")(inp, tgt)
loss.backward()
print("batchmean")
print(loss)
print(inp.grad)
print("log_target")
run(inp, lambda r: nn.KLDivLoss(reduction=r, log_target=True)(inp, tgt.log()))
inp.grad = None
loss = nn.KLDivLoss(reduction="batchmean", log_target=True)(inp, tgt.log())
loss.backward()
print(loss)
print(inp.grad)

block("CosineEmbeddingLoss")
a = torch.randn(4, 5, requires_grad=True)
b = torch.randn(4, 5)
ysign = torch.tensor([1.0, -1.0, 1.0, -1.0])
run(a, lambda r: nn.CosineEmbeddingLoss(reduction=r)(a, b, ysign))
run(a, lambda r: nn.CosineEmbeddingLoss(margin=0.2, reduction=r)(a, b, ysign))

block("MarginRankingLoss")
s1 = torch.randn(5, requires_grad=True)
s2 = torch.randn(5)
yr = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0])
run(s1, lambda r: nn.MarginRankingLoss(reduction=r)(s1, s2, yr))
run(s1, lambda r: nn.MarginRankingLoss(margin=0.5, reduction=r)(s1, s2, yr))

block("HingeEmbeddingLoss")
h = torch.randn(6, requires_grad=True)
yh = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0, 1.0])
run(h, lambda r: nn.HingeEmbeddingLoss(reduction=r)(h, yh))
run(h, lambda r: nn.HingeEmbeddingLoss(margin=0.5, reduction=r)(h, yh))

block("SoftMarginLoss")
run(h, lambda r: nn.SoftMarginLoss(reduction=r)(h, yh))

block("TripletMarginLoss")
anc = torch.randn(4, 3, requires_grad=True)
pos = torch.randn(4, 3)
neg = torch.randn(4, 3)
run(anc, lambda r: nn.TripletMarginLoss(reduction=r)(anc, pos, neg))
run(anc, lambda r: nn.TripletMarginLoss(margin=2.0, p=1, swap=True, reduction=r)(anc, pos, neg))

block("PoissonNLLLoss")
rate = torch.randn(2, 3, requires_grad=True)
counts = torch.randint(0, 5, (2, 3)).float()
print(counts)
run(rate, lambda r: nn.PoissonNLLLoss(reduction=r)(rate, counts))
lam = (torch.rand(2, 3) + 0.5).requires_grad_()
run(lam, lambda r: nn.PoissonNLLLoss(log_input=False, full=True, reduction=r)(lam, counts))

block("GaussianNLLLoss")
mu = torch.randn(4, 2, requires_grad=True)
obs = torch.randn(4, 2)
var = (torch.rand(4, 2) + 0.1).requires_grad_()
run(mu, lambda r: nn.GaussianNLLLoss(reduction=r)(mu, obs, var))
print(var.grad)
var.grad = None
run(mu, lambda r: nn.GaussianNLLLoss(full=True, reduction=r)(mu, obs, var[:, :1]))
print(var.grad)
var.grad = None
run(mu, lambda r: nn.GaussianNLLLoss(reduction=r)(mu, obs, var[:, 0]))

block("MultiLabelSoftMarginLoss")
ml = torch.randn(3, 4, requires_grad=True)
yml = torch.randint(0, 2, (3, 4)).float()
print(yml)
run(ml, lambda r: nn.MultiLabelSoftMarginLoss(reduction=r)(ml, yml))
run(ml, lambda r: nn.MultiLabelSoftMarginLoss(weight=w, reduction=r)(ml, yml))

block("MultiMarginLoss")
mm = torch.randn(3, 4, requires_grad=True)
ymm = torch.tensor([3, 0, 1])
run(mm, lambda r: nn.MultiMarginLoss(reduction=r)(mm, ymm))
run(mm, lambda r: nn.MultiMarginLoss(p=2, margin=0.5, reduction=r)(mm, ymm))
run(mm, lambda r: nn.MultiMarginLoss(weight=w, reduction=r)(mm, ymm))

block("MultiLabelMarginLoss")
yl = torch.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [0, -1, 2, 2]])
run(mm, lambda r: nn.MultiLabelMarginLoss(reduction=r)(mm, yl))

block("CTCLoss")
T, N, C = 6, 2, 4
raw = torch.randn(T, N, C, requires_grad=True)
targets = torch.tensor([[1, 2, 2], [1, 3, 0]])
in_lens = torch.tensor([6, 5])
tg_lens = torch.tensor([3, 2])
run(raw, lambda r: nn.CTCLoss(reduction=r)(raw.log_softmax(2), targets, in_lens, tg_lens))
print("gradient w.r.t. the log-probabilities themselves")
lpc = raw.detach().log_softmax(2).requires_grad_()
loss = nn.CTCLoss()(lpc, targets, in_lens, tg_lens)
loss.backward()
print(loss)
print(lpc.grad)
print("impossible alignment, zero_infinity")
short = torch.tensor([2, 2])
print(nn.CTCLoss(reduction="none")(raw.log_softmax(2), targets, short, tg_lens))
print(nn.CTCLoss(reduction="none", zero_infinity=True)(raw.log_softmax(2), targets, short, tg_lens))
print(F.ctc_loss(raw.log_softmax(2), targets, in_lens, tg_lens, blank=0, reduction="sum"))

block("activations")
torch.manual_seed(1)
xa = (torch.randn(2, 5) * 2).requires_grad_()
print(xa)
acts = [
    ("relu", lambda z: F.relu(z)),
    ("leaky_relu", lambda z: F.leaky_relu(z, 0.2)),
    ("elu", lambda z: F.elu(z, alpha=0.5)),
    ("selu", lambda z: F.selu(z)),
    ("celu", lambda z: F.celu(z, alpha=2.0)),
    ("gelu", lambda z: F.gelu(z)),
    ("gelu tanh", lambda z: F.gelu(z, approximate="tanh")),
    ("silu", lambda z: F.silu(z)),
    ("mish", lambda z: F.mish(z)),
    ("softplus", lambda z: F.softplus(z)),
    ("softplus beta=2 threshold=1", lambda z: F.softplus(z, beta=2, threshold=1)),
    ("hardtanh", lambda z: F.hardtanh(z)),
    ("hardtanh -0.5 0.5", lambda z: F.hardtanh(z, -0.5, 0.5)),
    ("relu6", lambda z: F.relu6(z)),
    ("hardswish", lambda z: F.hardswish(z)),
    ("hardsigmoid", lambda z: F.hardsigmoid(z)),
    ("logsigmoid", lambda z: F.logsigmoid(z)),
    ("softsign", lambda z: F.softsign(z)),
    ("tanhshrink", lambda z: F.tanhshrink(z)),
    ("sigmoid", lambda z: torch.sigmoid(z)),
    ("tanh", lambda z: torch.tanh(z)),
]
for name, f in acts:
    xa.grad = None
    out = f(xa)
    out.sum().backward()
    print(name)
    print(out)
    print(xa.grad)

block("softmax, log_softmax, softmin along dims")
torch.manual_seed(2)
s = torch.randn(2, 3, 4)
for d in [0, 1, 2, -1]:
    print("dim", d)
    print(F.softmax(s, dim=d))
    print(F.log_softmax(s, dim=d))
    print(F.softmin(s, dim=d))
print(F.softmax(s, dim=1).sum(dim=1))
print(dt(F.softmax(s.double(), dim=-1)))
print(dt(F.softmax(s, dim=-1, dtype=torch.float64)))

block("normalize")
torch.manual_seed(3)
nx = torch.randn(3, 4)
print(F.normalize(nx))
print(F.normalize(nx, p=1, dim=0))
print(F.normalize(nx, dim=-1).norm(dim=-1))
print(F.normalize(torch.zeros(2, 3)))

block("one_hot")
yoh = torch.tensor([0, 2, 1, 3])
print(F.one_hot(yoh))
print(F.one_hot(yoh, num_classes=5))
print(F.one_hot(torch.tensor([[0, 1], [2, 0]]), 3))
print(dt(F.one_hot(yoh)))

block("pad")
img = torch.arange(9.0).reshape(1, 1, 3, 3)
print(F.pad(img, (1, 1)))
print(F.pad(img, (1, 2, 0, 1), value=9.0))
print(F.pad(img, (1, 1, 1, 1), mode="reflect"))
print(F.pad(img, (2, 0, 1, 0), mode="replicate"))
print(F.pad(img, (1, 1, 1, 1), mode="circular"))
print(F.pad(img, (-1, 0, 0, -1)))
seq = torch.arange(5.0).reshape(1, 1, 5)
print(F.pad(seq, (2, 3), mode="reflect"))
print(F.pad(seq, (2, 3), mode="replicate"))
pg = torch.arange(4.0).reshape(1, 1, 4).requires_grad_()
F.pad(pg, (2, 2), mode="reflect").sum().backward()
print(pg.grad)

block("interpolate")
small = torch.arange(6.0).reshape(1, 1, 2, 3)
print(F.interpolate(small, scale_factor=2, mode="nearest"))
print(F.interpolate(small, size=(3, 5), mode="nearest"))
print(F.interpolate(small, size=(3, 5), mode="nearest-exact"))
print(F.interpolate(small, size=(4, 6), mode="bilinear", align_corners=False))
print(F.interpolate(small, size=(4, 6), mode="bilinear", align_corners=True))
print(F.interpolate(small, scale_factor=1.5, mode="bilinear"))
print(F.interpolate(torch.arange(4.0).reshape(1, 1, 4), size=7, mode="linear", align_corners=True))
print(F.interpolate(torch.arange(16.0).reshape(1, 1, 4, 4), size=(2, 2), mode="area"))
ig = small.clone().requires_grad_()
F.interpolate(ig, size=(4, 6), mode="bilinear", align_corners=False).sum().backward()
print(ig.grad)

block("dropout")
ones = torch.ones(2, 8)
print(F.dropout(ones, 0.5, training=False))
torch.manual_seed(0)
print(F.dropout(ones, 0.5, training=True))
torch.manual_seed(0)
print(F.dropout(ones, p=0.25))
drop = nn.Dropout(0.5)
print(drop)
torch.manual_seed(0)
print(drop(ones))
drop.eval()
print(drop(ones))
print(drop.training)
torch.manual_seed(0)
dg = torch.ones(6, requires_grad=True)
F.dropout(dg, 0.5).sum().backward()
print(dg.grad)

block("cosine_similarity, pairwise_distance, cdist")
torch.manual_seed(4)
u = torch.randn(3, 4)
v = torch.randn(3, 4)
print(F.cosine_similarity(u, v))
print(F.cosine_similarity(u, v, dim=0))
print(F.cosine_similarity(u, u[0:1]))
print(F.pairwise_distance(u, v))
print(F.pairwise_distance(u, v, p=1.0, keepdim=True))
print(torch.cdist(u, v))
print(torch.cdist(u, v, p=1.0))
print(list(torch.cdist(u.unsqueeze(0), v[:2].unsqueeze(0)).shape))

block("embedding")
torch.manual_seed(5)
table = torch.randn(6, 3, requires_grad=True)
idx = torch.tensor([[0, 2, 5], [2, 2, 1]])
e = F.embedding(idx, table)
print(e)
e.sum().backward()
print(table.grad)
table.grad = None
e = F.embedding(idx, table, padding_idx=2)
e.sum().backward()
print(table.grad)

block("unfold and fold")
im = torch.arange(2 * 3 * 4.0).reshape(1, 2, 3, 4)
cols = F.unfold(im, kernel_size=2)
print(list(cols.shape))
print(cols)
cols2 = F.unfold(im, kernel_size=(2, 3), padding=1, stride=2)
print(list(cols2.shape))
print(F.fold(cols, output_size=(3, 4), kernel_size=2))
print(F.fold(F.unfold(im, kernel_size=2, stride=2), output_size=(3, 4), kernel_size=2, stride=2))

block("linear")
torch.manual_seed(6)
lx = torch.randn(2, 3)
lw = torch.randn(4, 3, requires_grad=True)
lb = torch.randn(4, requires_grad=True)
out = F.linear(lx, lw, lb)
print(out)
print(F.linear(lx, lw))
out.sum().backward()
print(lw.grad)
print(lb.grad)
print(list(F.linear(torch.randn(2, 2, 3), lw, lb).shape))

block("conv2d")
torch.manual_seed(7)
cx = torch.randn(1, 4, 5, 5)
cw = torch.randn(6, 4, 3, 3, requires_grad=True)
cb = torch.randn(6)
print(list(F.conv2d(cx, cw, cb).shape))
print(F.conv2d(cx, cw, cb, stride=1, padding=1)[0, 0])
print(F.conv2d(cx, cw, cb, stride=2, padding=1)[0, :2])
print(F.conv2d(cx, cw, cb, padding=2, dilation=2)[0, 1])
print(list(F.conv2d(cx, cw, cb, stride=(2, 1), padding=(0, 1)).shape))
print(list(F.conv2d(cx, cw, padding="same").shape))
gw = torch.randn(6, 2, 3, 3)
print(F.conv2d(cx, gw, groups=2, padding=1)[0, 3])
dw = torch.randn(4, 1, 3, 3)
print(F.conv2d(cx, dw, groups=4)[0, 2])
F.conv2d(cx, cw, cb, stride=2, padding=1).sum().backward()
print(cw.grad[0, 0])

block("pooling")
torch.manual_seed(8)
px = torch.randn(1, 2, 5, 5)
print(F.max_pool2d(px, 2))
print(F.max_pool2d(px, 3, stride=2, padding=1))
print(list(F.max_pool2d(px, 2, ceil_mode=True).shape))
print(F.avg_pool2d(px, 2))
print(F.avg_pool2d(px, 3, stride=2, padding=1))
print(F.avg_pool2d(px, 3, stride=2, padding=1, count_include_pad=False))
print(F.adaptive_avg_pool2d(px, (2, 3)))
print(F.adaptive_avg_pool2d(px, 1).flatten())
print(F.adaptive_max_pool2d(px, 2))
pgx = px.clone().requires_grad_()
F.max_pool2d(pgx, 3, stride=2, padding=1).sum().backward()
print(pgx.grad[0, 0])

block("layer_norm, batch_norm, group_norm")
torch.manual_seed(9)
nx = torch.randn(4, 6, requires_grad=True)
gamma = torch.randn(6)
beta = torch.randn(6)
ln = F.layer_norm(nx, [6])
print(ln)
print(F.layer_norm(nx, (6,), gamma, beta))
(F.layer_norm(nx, [6], gamma, beta) * torch.arange(6.0)).sum().backward()
print(nx.grad)
rm = torch.zeros(6)
rv = torch.ones(6)
bn = F.batch_norm(nx, rm, rv, gamma, beta, training=True, momentum=0.1)
print(bn)
print(rm)
print(rv)
print(F.batch_norm(nx, rm, rv, training=False))
x4 = torch.randn(2, 6, 2, 2)
gn = F.group_norm(x4, 3, gamma, beta)
print(gn[0])
print(F.group_norm(x4, 2)[1, :, 0, 0])
print(F.instance_norm(x4)[0, 0])
print(F.rms_norm(nx, [6]).detach()[0])
