# The PyTorch twin of 12-autograd-deep.swift: autograd in depth, printed block by block.
import torch
import torch.nn as nn
import torch.nn.functional as F
import warnings
warnings.filterwarnings("ignore")   # backward(create_graph=True) warns on stderr; Descent does not
def block(t): print("## " + t)

block("requires_grad and leaves")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
print(x.requires_grad, y.requires_grad)
print(x.is_leaf, y.is_leaf)
print(y)
print(y.grad_fn.name())
print(x.grad_fn is None, x.grad is None)
z = torch.tensor([1.0, 2.0])
print(z.requires_grad)
z.requires_grad_()
print(z)
print(torch.zeros(2, requires_grad=True))
print(torch.ones(2).requires_grad)
w = torch.randn(2, 2).requires_grad_()
print(w.is_leaf, w.requires_grad)

block("grad_fn names and next_functions")
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
b = torch.tensor([0.5, 0.25], requires_grad=True)
out = (a @ b).relu().sum() / 2
print(out)
print(out.grad_fn.name())
print(", ".join(f[0].name() if f[0] is not None else "None" for f in out.grad_fn.next_functions))
h = a.t().exp().mean(dim=0)
print(h)
print((a * 2 - 1).pow(2).sqrt().log())
print(a.sum(dim=1, keepdim=True).expand(2, 3))
print(a.reshape(4).sigmoid().unsqueeze(0).transpose(0, 1).tanh())
print(torch.stack([a[0], b]).softmax(dim=1))

block("grad accumulation")
w = torch.tensor([1.0, -1.0], requires_grad=True)
(w * w).sum().backward()
print(w.grad)
(w * 3).sum().backward()
print(w.grad)
w.grad.zero_()
print(w.grad)
w.exp().sum().backward()
print(w.grad)
w.grad = None
print(w.grad is None)
y = (w ** 2).sum()
y.backward(retain_graph=True)
y.backward()
print(w.grad)

block("retain_grad on a non-leaf")
a = torch.tensor([1.0, 2.0], requires_grad=True)
h = a * a
h.retain_grad()
out = (h * 3).sum()
out.backward()
print(h.grad)
print(a.grad)
print(h.retains_grad, a.retains_grad)
print(h.is_leaf)

block("backward with a gradient argument")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x.pow(2)
print(y)
y.backward(torch.tensor([1.0, 0.1, 0.01]))
print(x.grad)
M = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
P = M @ M
P.backward(torch.ones(2, 2))
print(M.grad)

block("autograd.grad and higher derivatives")
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
(dy,) = torch.autograd.grad(y, x, create_graph=True)
print(dy)
(d2y,) = torch.autograd.grad(dy, x, create_graph=True)
print(d2y)
(d3y,) = torch.autograd.grad(d2y, x)
print(d3y)
print(x.grad is None)
v = torch.tensor([1.0, 2.0], requires_grad=True)
f = (v.sin() * v).sum()
(g,) = torch.autograd.grad(f, v, create_graph=True)
print(g)
(hh,) = torch.autograd.grad(g.sum(), v)
print(hh)
u = torch.tensor([1.0, 2.0], requires_grad=True)
k = torch.tensor([3.0, 4.0], requires_grad=True)
gs = torch.autograd.grad((u * k).sum(), [u, k])
print(gs[0])
print(gs[1])
unused = torch.tensor([5.0], requires_grad=True)
gs = torch.autograd.grad((u * u).sum(), [u, unused], allow_unused=True)
print(gs[0])
print(gs[1])
q = torch.tensor([1.0, 3.0], requires_grad=True)
loss = (q ** 3).sum()
loss.backward(create_graph=True)
print(q.grad.detach())
print(q.grad.requires_grad)
gq = q.grad.clone()
q.grad = None
gq.sum().backward()
print(q.grad)
print(torch.autograd.functional.jacobian(lambda t: t ** 2, torch.tensor([1.0, 2.0])))
print(torch.autograd.functional.hessian(lambda t: (t ** 3).sum(), torch.tensor([1.0, 2.0])))

block("detach and no_grad")
x = torch.tensor([1.0, 2.0], requires_grad=True)
d = x.detach()
print(d)
print(d.requires_grad, d.is_leaf)
d[0] = 10.0
print(x)
with torch.no_grad():
    n = x * 2
print(n)
print(n.requires_grad)
print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled())
    with torch.enable_grad():
        e = x * 3
print(e)
with torch.inference_mode():
    im = x + 1
print(im.requires_grad)
torch.set_grad_enabled(False)
s = x * 4
torch.set_grad_enabled(True)
print(s.requires_grad)
y = (x * 2).detach()
print(y.is_leaf, y.grad_fn is None)
with torch.no_grad():
    x.mul_(0.5)
print(x)

block("hooks")
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
hd = x.register_hook(lambda g: g * 10)
(x * x).sum().backward()
print(x.grad)
hd.remove()
x.grad = None
(x * x).sum().backward()
print(x.grad)
x.grad = None
y = x * 2
y.register_hook(lambda g: print("hook saw", g))
y.register_hook(lambda g: g + 1)
y.sum().backward()
print(x.grad)

block("custom autograd Function")
class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0).float()
x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = MyReLU.apply(x)
print(y)
print(y.grad_fn.name())
(y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(x.grad)

class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t, constant):
        ctx.constant = constant
        return t * constant
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = MulConstant.apply(x, 3.0)
print(y)
y.sum().backward()
print(x.grad)

class LinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inp, weight):
        ctx.save_for_backward(inp, weight)
        return inp @ weight.t()
    @staticmethod
    def backward(ctx, g):
        inp, weight = ctx.saved_tensors
        gi = g @ weight if ctx.needs_input_grad[0] else None
        gw = g.t() @ inp if ctx.needs_input_grad[1] else None
        return gi, gw
inp = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
weight = torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
o = LinearFn.apply(inp, weight)
print(o)
o.sum().backward()
print(weight.grad)
wd = weight.detach().clone().double().requires_grad_()
print(torch.autograd.gradcheck(lambda w: LinearFn.apply(inp.double(), w), (wd,)))

block("softmax, log_softmax, cross_entropy grads")
logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requires_grad=True)
target = torch.tensor([1, 2])
p = logits.softmax(dim=1)
print(p)
p[:, 0].sum().backward()
print(logits.grad)
logits.grad = None
ls = F.log_softmax(logits, dim=1)
print(ls)
ls[torch.arange(2), target].sum().backward()
print(logits.grad)
logits.grad = None
loss = F.cross_entropy(logits, target)
print(loss)
loss.backward()
print(logits.grad)
print((torch.softmax(logits, dim=1) - F.one_hot(target, 3)).detach() / 2)
logits.grad = None
loss = F.cross_entropy(logits, target, reduction="sum", label_smoothing=0.1)
print(loss)
loss.backward()
print(logits.grad)
logits.grad = None
loss = F.nll_loss(F.log_softmax(logits, dim=1), target)
print(loss)
loss.backward()
print(logits.grad)

block("grads through indexing, cat, where, max")
x = torch.tensor([1.0, -2.0, 3.0, -4.0], requires_grad=True)
y = x[1:3]
print(y)
y2 = x[torch.tensor([0, 0, 3])]
print(y2)
(y.sum() + y2.sum()).backward()
print(x.grad)
x.grad = None
c = torch.cat([x, x * 2])
print(c)
c.sum().backward()
print(x.grad)
x.grad = None
w = torch.where(x > 0, x, x * x)
print(w)
w.sum().backward()
print(x.grad)
x.grad = None
m = x.max()
print(m)
m.backward()
print(x.grad)
x.grad = None
mv = x.reshape(2, 2).max(dim=1).values
print(mv)
mv.sum().backward()
print(x.grad)
x.grad = None
sel = x[x > 0]
print(sel)
(sel * sel).sum().backward()
print(x.grad)
x.grad = None
st = torch.stack([x[0], x[3]])
print(st)
g = x.gather(0, torch.tensor([3, 3, 1]))
print(g)
(st.sum() + g.sum()).backward()
print(x.grad)
x.grad = None
ab = x.abs().clamp(max=2.5)
print(ab)
ab.sum().backward()
print(x.grad)

block("grad of a small MLP")
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
xb = torch.randn(5, 3)
yb = torch.tensor([0, 1, 1, 0, 1])
out = net(xb)
print(out)
loss = F.cross_entropy(out, yb)
print(loss)
loss.backward()
for name, p in net.named_parameters():
    print(name, list(p.shape))
    print(p.grad)
print(f"{net[0].weight.grad.norm().item():.6f}")
net.zero_grad()
print(net[0].weight.grad is None)
