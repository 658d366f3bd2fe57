# The PyTorch twin of 20-generative.swift. Usage: python 20-generative.py MNIST_DIR
# Generative models and distributions: a small VAE on the first 512 MNIST images (reparameterisation
# with randn_like, sigmoid decoder, BCE(sum) + KL, Adam, sampling from the prior under no_grad), a tiny
# GAN on 2-D Gaussian data (BCEWithLogitsLoss, two Adams with betas=(0.5, 0.999), detach), and
# torch.distributions (Normal, Bernoulli, Categorical, MultivariateNormal, Uniform, Independent,
# kl_divergence) with torch.multinomial, torch.bernoulli and torch.normal.
# (torchvision is broken in this venv, so MNIST and ToTensor are written out as torchvision defines them.)
import torch, torch.nn as nn, torch.nn.functional as F, gzip, numpy as np, sys, os
from torch.distributions import Normal, Bernoulli, Categorical, MultivariateNormal, Uniform, Independent, kl_divergence
root = sys.argv[1]
def block(t): print("## " + t, flush=True)
def b(x): return str(x).lower()
def idx(name):
    data = gzip.open(os.path.join(root, name)).read()
    magic = int.from_bytes(data[0:4], 'big'); nd = magic & 0xff
    dims = [int.from_bytes(data[4+4*i:8+4*i], 'big') for i in range(nd)]
    return torch.tensor(np.frombuffer(data, dtype=np.uint8, offset=4+4*nd).reshape(dims).copy())

class ToTensor:
    def __call__(self, img): return img.unsqueeze(0).to(torch.get_default_dtype()).div(255)
class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None):
        p = "train" if train else "t10k"
        self.data = idx(f"{p}-images-idx3-ubyte.gz"); self.targets = idx(f"{p}-labels-idx1-ubyte.gz").long()
        self.transform = transform
    def __len__(self): return len(self.data)
    def __getitem__(self, i): return self.transform(self.data[i]), int(self.targets[i])

# ---------------------------------------------------------------- VAE
class VAE(nn.Module):
    def __init__(self, latent=8):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc21 = nn.Linear(128, latent)   # mu
        self.fc22 = nn.Linear(128, latent)   # log-variance
        self.fc3 = nn.Linear(latent, 128)
        self.fc4 = nn.Linear(128, 784)
    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)
    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std
    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

def vae_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, bce, kld

train_ds = torch.utils.data.Subset(MNIST(root, train=True, transform=ToTensor()), range(512))
block("vae data")
x0, y0 = train_ds[0]
print(len(train_ds), list(x0.shape), y0)
print(f"{x0.min().item():.4f} {x0.max().item():.4f} {x0.mean().item():.4f}")

torch.manual_seed(0)
vae = VAE()
block("vae model")
print(vae)
print(sum(p.numel() for p in vae.parameters()))

g = torch.Generator().manual_seed(0)
loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, generator=g)
optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)

block("vae first batch")
xb, _ = next(iter(loader))
recon, mu, logvar = vae(xb)
print(list(xb.shape), list(recon.shape), list(mu.shape), list(logvar.shape))
print(recon.grad_fn.name(), mu.grad_fn.name())
loss, bce, kld = vae_loss(recon, xb, mu, logvar)
print(f"{loss.item() / len(xb):.4f} {bce.item() / len(xb):.4f} {kld.item() / len(xb):.4f}")
# the closed-form KL equals kl_divergence(N(mu, std), N(0, 1)) summed
std = torch.exp(0.5 * logvar)
kl2 = kl_divergence(Normal(mu, std), Normal(torch.zeros_like(mu), torch.ones_like(std))).sum()
print(f"{kl2.item() / len(xb):.4f}", b(torch.allclose(kl2, kld, rtol=1e-4)))

block("vae training")
for epoch in range(2):
    vae.train()
    total, total_bce, total_kld = 0.0, 0.0, 0.0
    for xb, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = vae(xb)
        loss, bce, kld = vae_loss(recon, xb, mu, logvar)
        loss.backward()
        optimizer.step()
        total += loss.item(); total_bce += bce.item(); total_kld += kld.item()
    n = len(loader.dataset)
    print(f"epoch {epoch + 1}: loss {total / n:.4f} bce {total_bce / n:.4f} kld {total_kld / n:.4f}")

block("vae reconstruction")
vae.eval()
with torch.no_grad():
    x8 = torch.stack([train_ds[i][0] for i in range(8)])
    mu, logvar = vae.encode(x8.view(-1, 784))
    recon = vae.decode(mu)
    per_image = F.binary_cross_entropy(recon, x8.view(-1, 784), reduction='none').sum(dim=1)
print(b(recon.requires_grad), list(recon.shape))
print(" ".join(f"{v:.2f}" for v in per_image.tolist()))
print(f"{mu.abs().mean().item():.4f} {logvar.mean().item():.4f}")

block("vae sampling from the prior")
torch.manual_seed(1)
with torch.no_grad():
    z = torch.randn(16, 8)
    samples = vae.decode(z).view(-1, 1, 28, 28)
print(list(samples.shape), b(samples.requires_grad))
print(f"{samples.mean().item():.4f} {samples.min().item():.4f} {samples.max().item():.4f}")
print(b(bool(((samples >= 0) & (samples <= 1)).all())))
with torch.no_grad():
    z = Normal(torch.zeros(8), torch.ones(8)).sample((4,))
    print(list(z.shape), list(vae.decode(z).shape))

# ---------------------------------------------------------------- GAN
block("gan setup")
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
print(G)
print(D)
criterion = nn.BCEWithLogitsLoss()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
print(opt_g.param_groups[0]['betas'], opt_d.param_groups[0]['lr'])
true_mean = torch.tensor([2.0, -1.0])
true_std = torch.tensor([0.5, 1.5])
def real_batch(n):
    return torch.randn(n, 2) * true_std + true_mean

block("gan training")
batch = 64
for step in range(1, 301):
    real = real_batch(batch)
    z = torch.randn(batch, 4)
    fake = G(z)
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    # discriminator: real -> 1, fake -> 0, without gradients into G
    opt_d.zero_grad()
    loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
    loss_d.backward()
    opt_d.step()
    # generator: make D call the fakes real
    opt_g.zero_grad()
    loss_g = criterion(D(fake), ones)
    loss_g.backward()
    opt_g.step()
    if step % 50 == 0:
        print(f"step {step}: loss_d {loss_d.item():.4f} loss_g {loss_g.item():.4f}")

block("gan zero_grad and detach")
print(b(fake.detach().requires_grad), b(fake.requires_grad), fake.grad_fn.name())
opt_d.zero_grad()
print(b(D[0].weight.grad is None), b(G[0].weight.grad is None))
opt_g.zero_grad(set_to_none=False)
print(b(G[0].weight.grad is None), G[0].weight.grad.abs().sum().item())

block("gan samples")
with torch.no_grad():
    gen = G(torch.randn(1000, 4))
    d_real = torch.sigmoid(D(real_batch(1000))).mean()
    d_fake = torch.sigmoid(D(gen)).mean()
print(list(gen.shape), b(gen.requires_grad))
print(f"{gen.mean(0)[0].item():.3f} {gen.mean(0)[1].item():.3f} {gen.std(0)[0].item():.3f} {gen.std(0)[1].item():.3f}")
print(f"{d_real.item():.4f} {d_fake.item():.4f}")

# ---------------------------------------------------------------- distributions
block("Normal")
torch.manual_seed(0)
n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
print(n)
print(list(n.batch_shape), list(n.event_shape))
print(n.sample())
print(n.sample((3,)))
print(n.mean, n.stddev, n.variance)
x = torch.tensor([0.5, -1.0])
print(n.log_prob(x))
print(n.entropy())
print(n.cdf(x))
print(n.icdf(torch.tensor([0.1, 0.9])))
std_normal = Normal(0.0, 1.0)
print(std_normal)
print(std_normal.sample((2, 2)))
print(std_normal.log_prob(torch.tensor([0.0, 1.0, 2.0])))

block("Normal rsample gradients")
mu = torch.tensor([0.5, -0.5], requires_grad=True)
sigma = torch.tensor([2.0, 1.0], requires_grad=True)
torch.manual_seed(1)
d = Normal(mu, sigma)
s = d.rsample((4,))
print(list(s.shape), b(s.grad_fn is not None))
s.sum().backward()
print(mu.grad, sigma.grad)
print(b(d.sample().requires_grad))
lp = d.log_prob(torch.tensor([0.0, 0.0])).sum()
mu.grad = None; sigma.grad = None
lp.backward()
print(lp, mu.grad, sigma.grad)

block("Bernoulli")
torch.manual_seed(2)
bern = Bernoulli(probs=torch.tensor([0.1, 0.5, 0.9]))
print(bern)
print(bern.sample())
print(bern.sample((4,)))
print(bern.log_prob(torch.tensor([1.0, 0.0, 1.0])))
print(bern.entropy())
print(bern.mean, bern.variance)
print(bern.logits)
bl = Bernoulli(logits=torch.tensor([-2.0, 0.0, 3.0]))
print(bl.probs)
print(bl.sample((2,)))

block("Categorical")
torch.manual_seed(3)
cat = Categorical(probs=torch.tensor([0.1, 0.2, 0.3, 0.4]))
print(cat)
print(cat.sample())
print(cat.sample((10,)))
print(cat.log_prob(torch.tensor([0, 3])))
print(cat.entropy())
print(cat.probs, cat.logits)
counts = torch.bincount(cat.sample((4000,)), minlength=4)
print(counts)
cl = Categorical(logits=torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
print(list(cl.batch_shape), cl.sample(), cl.sample((2,)))
print(cl.probs)
print(cl.entropy())
print(cl.log_prob(torch.tensor([2, 0])))

block("MultivariateNormal")
torch.manual_seed(4)
loc = torch.tensor([0.0, 1.0])
cov = torch.tensor([[1.0, 0.5], [0.5, 2.0]])
mvn = MultivariateNormal(loc, covariance_matrix=cov)
print(mvn)
print(list(mvn.batch_shape), list(mvn.event_shape))
print(mvn.sample())
print(mvn.sample((3,)))
print(mvn.log_prob(torch.tensor([[0.0, 0.0], [1.0, 2.0]])))
print(mvn.entropy())
print(mvn.mean, mvn.variance, mvn.stddev)
print(mvn.scale_tril)
print(mvn.covariance_matrix)
big = mvn.sample((5000,))
print(f"{big.mean(0)[0].item():.2f} {big.mean(0)[1].item():.2f}")

block("Uniform")
torch.manual_seed(5)
u = Uniform(0.0, 2.0)
print(u)
print(u.sample((5,)))
print(u.log_prob(torch.tensor([0.5, 1.5])))
print(u.entropy(), u.mean, u.stddev)
u2 = Uniform(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 3.0]))
print(u2.rsample())
print(u2.cdf(torch.tensor([0.25, 2.0])))

block("Independent")
ind = Independent(Normal(torch.zeros(3), torch.ones(3)), 1)
print(list(ind.batch_shape), list(ind.event_shape))
print(ind.log_prob(torch.tensor([0.0, 1.0, -1.0])))
print(ind.entropy())

block("kl_divergence")
p = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
q = Normal(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 1.0]))
print(kl_divergence(p, q))
print(kl_divergence(p, p))
print(kl_divergence(Bernoulli(probs=torch.tensor([0.3])), Bernoulli(probs=torch.tensor([0.6]))))
print(kl_divergence(Categorical(probs=torch.tensor([0.2, 0.8])), Categorical(probs=torch.tensor([0.5, 0.5]))))
print(kl_divergence(mvn, MultivariateNormal(torch.zeros(2), torch.eye(2))))
print(kl_divergence(Uniform(0.0, 1.0), Uniform(-1.0, 2.0)))
# Monte Carlo estimate of KL(p || q) from rsample agrees with the closed form
torch.manual_seed(6)
xs = p.rsample((20000,))
mc = (p.log_prob(xs) - q.log_prob(xs)).mean(0)
print(f"{mc[0].item():.2f} {mc[1].item():.2f}")

# ---------------------------------------------------------------- random functions
block("multinomial")
torch.manual_seed(7)
w = torch.tensor([0.1, 0.2, 0.3, 0.4])
print(torch.multinomial(w, 10, replacement=True))
print(torch.multinomial(w, 4))
print(torch.multinomial(w, 2, replacement=False))
print(torch.multinomial(torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), 2))
print(w.multinomial(5, replacement=True))
gen = torch.Generator().manual_seed(42)
print(torch.multinomial(w, 3, generator=gen))
print(torch.multinomial(torch.tensor([0.0, 0.0, 5.0]), 1))

block("bernoulli")
torch.manual_seed(8)
print(torch.bernoulli(torch.full((2, 5), 0.3)))
print(torch.bernoulli(torch.tensor([0.0, 1.0, 0.5, 0.5])))
print(torch.empty(6).bernoulli_(0.5))
probs = torch.rand(3, 3)
print(probs)
print(torch.bernoulli(probs))

block("normal")
torch.manual_seed(9)
print(torch.normal(0.0, 1.0, size=(2, 3)))
print(torch.normal(2.0, 0.5, size=(4,)))
print(torch.normal(torch.tensor([0.0, 10.0, 100.0]), torch.tensor([1.0, 1.0, 1.0])))
print(torch.normal(torch.zeros(3), 0.1))
print(torch.empty(2, 2).normal_(5.0, 0.01))
x = torch.ones(2, 3)
print(torch.randn_like(x))
print(torch.rand_like(x))
many = torch.normal(1.0, 2.0, size=(10000,))
print(f"{many.mean().item():.2f} {many.std().item():.2f}")
