// Lecture: generative models and distributions. A small VAE on the first 512 MNIST training images
// (Linear encoder to mu / log-variance, the reparameterisation trick with randn_like, a sigmoid
// decoder, BCE(sum) + KL, Adam for two epochs, sampling from the prior without gradients); a tiny GAN
// on 2-D Gaussian data (BCEWithLogitsLoss, two Adams with betas (0.5, 0.999), detach, zero_grad);
// torch.distributions (Normal, Bernoulli, Categorical, MultivariateNormal, Uniform, Independent,
// kl_divergence) and the random functions multinomial, bernoulli and normal.
// Written as a PyTorch user would write it against Descent. Expected output:
// pytorch/20-generative.py's (pytorch/20-generative.expected). The MNIST folder comes from
// DESCENT_MNIST (default /work/shared/data/mnist).
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
let root = ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "/work/shared/data/mnist"

// ---------------------------------------------------------------- VAE
final class VAE: Module {
    let fc1 = Linear(784, 128)
    let fc21 = Linear(128, 8)   // mu
    let fc22 = Linear(128, 8)   // log-variance
    let fc3 = Linear(8, 128)
    let fc4 = Linear(128, 784)

    func encode(_ x: Tensor) -> (Tensor, Tensor) {
        let h = relu(fc1(x))
        return (fc21(h), fc22(h))
    }
    func reparameterize(_ mu: Tensor, _ logvar: Tensor) -> Tensor {
        let std = exp(0.5 * logvar)
        let eps = Tensor.randnLike(std)
        return mu + eps * std
    }
    func decode(_ z: Tensor) -> Tensor {
        sigmoid(fc4(relu(fc3(z))))
    }
    // PyTorch's forward returns (recon, mu, logvar); Module.forward returns one Tensor, so the
    // tuple comes from callAsFunction (as LSTM's does).
    func callAsFunction(_ x: Tensor) -> (Tensor, Tensor, Tensor) {
        let (mu, logvar) = encode(x.view(-1, 784))
        let z = reparameterize(mu, logvar)
        return (decode(z), mu, logvar)
    }
}

func vaeLoss(_ recon: Tensor, _ x: Tensor, _ mu: Tensor, _ logvar: Tensor) -> (Tensor, Tensor, Tensor) {
    let bce = binaryCrossEntropy(recon, x.view(-1, 784), reduction: .sum)
    let kld = -0.5 * sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kld, bce, kld)
}

let trainDs = Subset(try MNIST(root: root, train: true, transform: ToTensor()), indices: Array(0..<512))
block("vae data")
let (x0, y0) = trainDs[0]
print(trainDs.count, x0.shape, y0)
print(String(format: "%.4f %.4f %.4f", x0.min().item(), x0.max().item(), x0.mean().item()))

manualSeed(0)
let vae = VAE()
block("vae model")
print(vae)
print(vae.parameters().map { $0.numel() }.reduce(0, +))

let g = Generator().manualSeed(0)
let loader = DataLoader(trainDs, batchSize: 64, shuffle: true, generator: g)
let optimizer = Adam(vae.parameters(), lr: 1e-3)

block("vae first batch")
do {
    let (xb, _) = loader.makeIterator().next()!
    let (recon, mu, logvar) = vae(xb)
    print(xb.shape, recon.shape, mu.shape, logvar.shape)
    print(recon.gradFn!, mu.gradFn!)
    let (loss, bce, kld) = vaeLoss(recon, xb, mu, logvar)
    let n = Double(xb.size(0))
    print(String(format: "%.4f %.4f %.4f", loss.item() / n, bce.item() / n, kld.item() / n))
    // the closed-form KL equals kl_divergence(N(mu, std), N(0, 1)) summed
    let std = exp(0.5 * logvar)
    let kl2 = klDivergence(Normal(mu, std), Normal(Tensor.zerosLike(mu), Tensor.onesLike(std))).sum()
    print(String(format: "%.4f", kl2.item() / n), allclose(kl2, kld, rtol: 1e-4))
}

block("vae training")
for epoch in 0..<2 {
    vae.train()
    var total = 0.0, totalBCE = 0.0, totalKLD = 0.0
    for (xb, _) in loader {
        optimizer.zeroGrad()
        let (recon, mu, logvar) = vae(xb)
        let (loss, bce, kld) = vaeLoss(recon, xb, mu, logvar)
        loss.backward()
        optimizer.step()
        total += loss.item(); totalBCE += bce.item(); totalKLD += kld.item()
    }
    let n = Double(loader.dataset.count)
    print(String(format: "epoch %d: loss %.4f bce %.4f kld %.4f", epoch + 1, total / n, totalBCE / n, totalKLD / n))
}

block("vae reconstruction")
vae.eval()
let x8 = stack((0..<8).map { trainDs[$0].0 })
let (mu8, logvar8) = noGrad { vae.encode(x8.view(-1, 784)) }
let recon8 = noGrad { vae.decode(mu8) }
let perImage = noGrad { binaryCrossEntropy(recon8, x8.view(-1, 784), reduction: .none).sum(dim: 1) }
print(recon8.requiresGrad, recon8.shape)
print(perImage.toArray(Float.self).map { String(format: "%.2f", $0) }.joined(separator: " "))
print(String(format: "%.4f %.4f", mu8.abs().mean().item(), logvar8.mean().item()))

block("vae sampling from the prior")
manualSeed(1)
let samples: Tensor = noGrad {
    let z = Tensor.randn(16, 8)
    return vae.decode(z).view(-1, 1, 28, 28)
}
print(samples.shape, samples.requiresGrad)
print(String(format: "%.4f %.4f %.4f", samples.mean().item(), samples.min().item(), samples.max().item()))
print(((samples .>= 0) & (samples .<= 1)).all().item() == 1)
do {
    let z = noGrad { Normal(Tensor.zeros(8), Tensor.ones(8)).sample([4]) }
    let decoded = noGrad { vae.decode(z) }
    print(z.shape, decoded.shape)
}

// ---------------------------------------------------------------- GAN
block("gan setup")
manualSeed(0)
let netG = Sequential { Linear(4, 32); ReLU(); Linear(32, 2) }
let netD = Sequential { Linear(2, 32); LeakyReLU(0.2); Linear(32, 1) }
print(netG)
print(netD)
let criterion = BCEWithLogitsLoss()
let optG = Adam(netG.parameters(), lr: 2e-3, betas: (0.5, 0.999))
let optD = Adam(netD.parameters(), lr: 2e-3, betas: (0.5, 0.999))
print(optG.paramGroups[0][Adam.Settings.self].betas, optD.paramGroups[0].lr)
let trueMean = Tensor([2.0, -1.0])
let trueStd = Tensor([0.5, 1.5])
func realBatch(_ n: Int) -> Tensor {
    Tensor.randn(n, 2) * trueStd + trueMean
}

block("gan training")
let batch = 64
var fake = Tensor.zeros(batch, 2)
for step in 1...300 {
    let real = realBatch(batch)
    let z = Tensor.randn(batch, 4)
    fake = netG(z)
    let ones = Tensor.ones(batch, 1), zeros = Tensor.zeros(batch, 1)
    // discriminator: real -> 1, fake -> 0, without gradients into G
    optD.zeroGrad()
    let lossD = criterion(netD(real), ones) + criterion(netD(fake.detach()), zeros)
    lossD.backward()
    optD.step()
    // generator: make D call the fakes real
    optG.zeroGrad()
    let lossG = criterion(netD(fake), ones)
    lossG.backward()
    optG.step()
    if step % 50 == 0 {
        print(String(format: "step %d: loss_d %.4f loss_g %.4f", step, lossD.item(), lossG.item()))
    }
}

block("gan zero_grad and detach")
print(fake.detach().requiresGrad, fake.requiresGrad, fake.gradFn!)
optD.zeroGrad()
print((netD[0] as! Linear).weight.grad == nil, (netG[0] as! Linear).weight.grad == nil)
optG.zeroGrad(setToNil: false)
let g0 = (netG[0] as! Linear).weight
print(g0.grad == nil, g0.grad!.abs().sum().item())

block("gan samples")
let gen = noGrad { netG(Tensor.randn(1000, 4)) }
let dReal = noGrad { sigmoid(netD(realBatch(1000))).mean() }
let dFake = noGrad { sigmoid(netD(gen)).mean() }
print(gen.shape, gen.requiresGrad)
print(String(format: "%.3f %.3f %.3f %.3f", gen.mean(0)[0].item(), gen.mean(0)[1].item(), gen.std(0)[0].item(), gen.std(0)[1].item()))
print(String(format: "%.4f %.4f", dReal.item(), dFake.item()))

// ---------------------------------------------------------------- distributions
block("Normal")
manualSeed(0)
let n = Normal(Tensor([0.0, 1.0]), Tensor([1.0, 2.0]))
print(n)
print(n.batchShape, n.eventShape)
print(n.sample())
print(n.sample([3]))
print(n.mean, n.stddev, n.variance)
let xn = Tensor([0.5, -1.0])
print(n.logProb(xn))
print(n.entropy())
print(n.cdf(xn))
print(n.icdf(Tensor([0.1, 0.9])))
let stdNormal = Normal(0.0, 1.0)
print(stdNormal)
print(stdNormal.sample([2, 2]))
print(stdNormal.logProb(Tensor([0.0, 1.0, 2.0])))

block("Normal rsample gradients")
let mu = Tensor([0.5, -0.5], requiresGrad: true)
let sigma = Tensor([2.0, 1.0], requiresGrad: true)
manualSeed(1)
let d = Normal(mu, sigma)
let s = d.rsample([4])
print(s.shape, s.gradFn != nil)
s.sum().backward()
print(mu.grad!, sigma.grad!)
print(d.sample().requiresGrad)
let lp = d.logProb(Tensor([0.0, 0.0])).sum()
mu.grad = nil; sigma.grad = nil
lp.backward()
print(lp, mu.grad!, sigma.grad!)

block("Bernoulli")
manualSeed(2)
let bern = Bernoulli(probs: Tensor([0.1, 0.5, 0.9]))
print(bern)
print(bern.sample())
print(bern.sample([4]))
print(bern.logProb(Tensor([1.0, 0.0, 1.0])))
print(bern.entropy())
print(bern.mean, bern.variance)
print(bern.logits)
let bl = Bernoulli(logits: Tensor([-2.0, 0.0, 3.0]))
print(bl.probs)
print(bl.sample([2]))

block("Categorical")
manualSeed(3)
let categorical = Categorical(probs: Tensor([0.1, 0.2, 0.3, 0.4]))
print(categorical)
print(categorical.sample())
print(categorical.sample([10]))
print(categorical.logProb(Tensor([0, 3])))
print(categorical.entropy())
print(categorical.probs, categorical.logits)
let counts = bincount(categorical.sample([4000]), minlength: 4)
print(counts)
let cl = Categorical(logits: Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
print(cl.batchShape, cl.sample(), cl.sample([2]))
print(cl.probs)
print(cl.entropy())
print(cl.logProb(Tensor([2, 0])))

block("MultivariateNormal")
manualSeed(4)
let loc = Tensor([0.0, 1.0])
let cov = Tensor([[1.0, 0.5], [0.5, 2.0]])
let mvn = MultivariateNormal(loc, covarianceMatrix: cov)
print(mvn)
print(mvn.batchShape, mvn.eventShape)
print(mvn.sample())
print(mvn.sample([3]))
print(mvn.logProb(Tensor([[0.0, 0.0], [1.0, 2.0]])))
print(mvn.entropy())
print(mvn.mean, mvn.variance, mvn.stddev)
print(mvn.scaleTril)
print(mvn.covarianceMatrix)
let big = mvn.sample([5000])
print(String(format: "%.2f %.2f", big.mean(0)[0].item(), big.mean(0)[1].item()))

block("Uniform")
manualSeed(5)
let u = Uniform(0.0, 2.0)
print(u)
print(u.sample([5]))
print(u.logProb(Tensor([0.5, 1.5])))
print(u.entropy(), u.mean, u.stddev)
let u2 = Uniform(Tensor([0.0, 1.0]), Tensor([1.0, 3.0]))
print(u2.rsample())
print(u2.cdf(Tensor([0.25, 2.0])))

block("Independent")
let ind = Independent(Normal(Tensor.zeros(3), Tensor.ones(3)), 1)
print(ind.batchShape, ind.eventShape)
print(ind.logProb(Tensor([0.0, 1.0, -1.0])))
print(ind.entropy())

block("kl_divergence")
let p = Normal(Tensor([0.0, 1.0]), Tensor([1.0, 0.5]))
let q = Normal(Tensor([1.0, 1.0]), Tensor([2.0, 1.0]))
print(klDivergence(p, q))
print(klDivergence(p, p))
print(klDivergence(Bernoulli(probs: Tensor([0.3])), Bernoulli(probs: Tensor([0.6]))))
print(klDivergence(Categorical(probs: Tensor([0.2, 0.8])), Categorical(probs: Tensor([0.5, 0.5]))))
print(klDivergence(mvn, MultivariateNormal(Tensor.zeros(2), covarianceMatrix: Tensor.eye(2))))
print(klDivergence(Uniform(0.0, 1.0), Uniform(-1.0, 2.0)))
// Monte Carlo estimate of KL(p || q) from rsample agrees with the closed form
manualSeed(6)
let xs = p.rsample([20000])
let mc = (p.logProb(xs) - q.logProb(xs)).mean(0)
print(String(format: "%.2f %.2f", mc[0].item(), mc[1].item()))

// ---------------------------------------------------------------- random functions
block("multinomial")
manualSeed(7)
let w = Tensor([0.1, 0.2, 0.3, 0.4])
print(multinomial(w, 10, replacement: true))
print(multinomial(w, 4))
print(multinomial(w, 2, replacement: false))
print(multinomial(Tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), 2))
print(w.multinomial(5, replacement: true))
let gen42 = Generator().manualSeed(42)
print(multinomial(w, 3, generator: gen42))
print(multinomial(Tensor([0.0, 0.0, 5.0]), 1))

block("bernoulli")
manualSeed(8)
print(bernoulli(Tensor.full([2, 5], 0.3)))
print(bernoulli(Tensor([0.0, 1.0, 0.5, 0.5])))
print(Tensor.empty(6).bernoulli_(0.5))
let probs = Tensor.rand(3, 3)
print(probs)
print(bernoulli(probs))

block("normal")
manualSeed(9)
print(normal(0.0, 1.0, [2, 3]))
print(normal(2.0, 0.5, [4]))
print(normal(Tensor([0.0, 10.0, 100.0]), Tensor([1.0, 1.0, 1.0])))
print(normal(Tensor.zeros(3), 0.1))
print(Tensor.empty(2, 2).normal_(5.0, 0.01))
let ones23 = Tensor.ones(2, 3)
print(Tensor.randnLike(ones23))
print(Tensor.randLike(ones23))
let many = normal(1.0, 2.0, [10000])
print(String(format: "%.2f %.2f", many.mean().item(), many.std().item()))
