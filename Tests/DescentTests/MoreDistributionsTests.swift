import Testing
import Foundation
import Descent

extension Core {
/// The distributions beyond Normal/Categorical/Bernoulli, their samplers and KL pairs, against
/// torch 2.13: the whole snippet runs in this order, so the seeded draws must match PyTorch's.
@Suite struct MoreDistributionsTests {
    @Test func samplersDrawPyTorchsNumbers() {
        // torch.manual_seed(0); torch._standard_gamma(torch.tensor([0.3, 1.0, 2.5, 7.0, 0.05]))
        // torch._standard_gamma(torch.tensor([0.3, 1.0, 2.5], dtype=torch.float64))
        // torch.poisson(torch.tensor([0.5, 3.0, 12.0, 40.0, 0.0])); torch._sample_dirichlet(torch.tensor([[0.5, 1.0, 2.0], [3.0, 0.2, 1.0]]))
        manualSeed(0)
        expectValues(standardGamma(Tensor([0.3, 1.0, 2.5, 7.0, 0.05] as [Float])), [5.907e-06, 0.1189837009, 2.4114193916, 5.2202110291, 0.000357397], atol: 1e-9, rtol: 1e-6)
        expectValues(standardGamma(Tensor([0.3, 1.0, 2.5]).to(dtype: .float64)), [0.0452172525, 0.1520710638, 2.7611770306], atol: 1e-9)
        expectValues(poisson(Tensor([0.5, 3.0, 12.0, 40.0, 0.0] as [Float])), [1, 2, 9, 42, 0], atol: 0)
        expectValues(sampleDirichlet(Tensor([[0.5, 1.0, 2.0], [3.0, 0.2, 1.0]] as [[Float]])),
                     [0.0151791573, 0.5582229495, 0.4265978932, 0.9563034177, 0.0091685671, 0.0345280319], atol: 1e-8)

        manualSeed(1)
        // g = Gamma(torch.tensor([2.0, 0.7]), torch.tensor([1.5, 3.0])); g.sample((3,)), g.log_prob(torch.tensor([0.5, 2.0])), g.entropy(), g.mean, g.variance
        let g = Gamma(Tensor([2.0, 0.7] as [Float]), Tensor([1.5, 3.0] as [Float]))
        expectValues(g.sample([3]), [1.783041954, 0.4297122955, 2.0265278816, 0.2288173884, 0.5064916015, 0.2165738344], atol: 1e-8)
        expectValues(g.logProb(Tensor([0.5, 2.0] as [Float])), [-0.63221699, -5.6997828484], atol: 1e-6)
        expectValues(g.entropy(), [1.1717506647, -0.5037521124], atol: 1e-6)
        expectValues(g.mean, [1.3333333731, 0.2333333343]); expectValues(g.variance, [0.8888888955, 0.0777777731])
        // b = Beta(torch.tensor([2.0, 0.5]), torch.tensor([3.0, 0.5])); b.sample((2,)), b.log_prob(torch.tensor([0.3, 0.9])), b.entropy(), b.mean, b.variance
        let b = Beta(Tensor([2.0, 0.5] as [Float]), Tensor([3.0, 0.5] as [Float]))
        expectValues(b.sample([2]), [0.4296108782, 0.9983935356, 0.3757184744, 0.9255117178], atol: 1e-7)
        expectValues(b.logProb(Tensor([0.3, 0.9] as [Float])), [0.5675839186, 0.0592428446], atol: 1e-6)
        expectValues(b.entropy(), [-0.2349061966, -0.2415651083], atol: 1e-6)
        expectValues(b.mean, [0.4, 0.5]); expectValues(b.variance, [0.04, 0.125])
        // d = Dirichlet(torch.tensor([1.5, 2.0, 0.5])); d.sample(), d.log_prob(torch.tensor([0.2, 0.5, 0.3])), d.entropy(), d.variance
        let d = Dirichlet(Tensor([1.5, 2.0, 0.5] as [Float]))
        expectValues(d.sample(), [0.2811877728, 0.6446164846, 0.0741957203], atol: 1e-7)
        expectValues(d.logProb(Tensor([0.2, 0.5, 0.3] as [Float])), [0.4442970455], atol: 1e-6)
        expectValues(d.entropy(), [-1.5068436861], atol: 1e-6); expectValues(d.variance, [0.046875, 0.05, 0.021875])
        // p = Poisson(torch.tensor([1.5, 20.0])); p.sample((2,)), p.log_prob(torch.tensor([2.0, 18.0]))
        let p = Poisson(Tensor([1.5, 20.0] as [Float]))
        expectValues(p.sample([2]), [1, 17, 1, 17], atol: 0)
        expectValues(p.logProb(Tensor([2.0, 18.0] as [Float])), [-1.3822169304, -2.4722671509], atol: 1e-6)
        // u = Uniform(torch.tensor([0.0, -1.0]), torch.tensor([2.0, 3.0])); u.rsample((2,)), u.log_prob(torch.tensor([1.0, 2.5])), u.entropy(), u.cdf(torch.tensor([0.5, 0.0]))
        let u = Uniform(Tensor([0.0, -1.0] as [Float]), Tensor([2.0, 3.0] as [Float]))
        expectValues(u.rsample([2]), [1.5637916327, 1.8660063744, 0.3535928726, -0.7008590698], atol: 1e-7)
        expectValues(u.logProb(Tensor([1.0, 2.5] as [Float])), [-0.6931471825, -1.3862943649])
        expectValues(u.entropy(), [0.6931471825, 1.3862943649]); expectValues(u.cdf(Tensor([0.5, 0.0] as [Float])), [0.25, 0.25])
        // e = Exponential(torch.tensor([0.5, 2.0])); e.rsample((2,)), e.log_prob(torch.tensor([1.0, 0.3])), e.entropy(), e.icdf(torch.tensor([0.5, 0.9]))
        let e = Exponential(Tensor([0.5, 2.0] as [Float]))
        expectValues(e.rsample([2]), [3.659607172, 0.6770734191, 0.6751210093, 0.7871775031], atol: 1e-6)
        expectValues(e.logProb(Tensor([1.0, 0.3] as [Float])), [-1.1931471825, 0.0931471586])
        expectValues(e.entropy(), [1.6931471825, 0.3068528175]); expectValues(e.icdf(Tensor([0.5, 0.9] as [Float])), [1.3862943649, 1.1512924433])
        // la = Laplace(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5])); la.rsample((2,)), la.log_prob(...[0.5, 2.0]), la.cdf(...[-0.5, 1.2]), la.entropy()
        let la = Laplace(Tensor([0.0, 1.0] as [Float]), Tensor([1.0, 0.5] as [Float]))
        expectValues(la.rsample([2]), [0.1335645467, 1.6857173443, 1.288932085, 1.4854242802], atol: 1e-6)
        expectValues(la.logProb(Tensor([0.5, 2.0] as [Float])), [-1.1931471825, -2.0])
        expectValues(la.cdf(Tensor([-0.5, 1.2] as [Float])), [0.3032653332, 0.664839983]); expectValues(la.entropy(), [1.6931471825, 1.0])
        // ln = LogNormal(torch.tensor([0.0, 0.5]), torch.tensor([1.0, 0.3])); ln.sample((2,)), ln.log_prob(...[1.5, 2.0]), ln.mean, ln.variance, ln.entropy()
        let ln = LogNormal(Tensor([0.0, 0.5] as [Float]), Tensor([1.0, 0.3] as [Float]))
        expectValues(ln.sample([2]), [1.9933464527, 2.253395319, 2.2459893227, 1.9323952198], atol: 1e-6)
        expectValues(ln.logProb(Tensor([1.5, 2.0] as [Float])), [-1.4066046476, -0.6153675318])
        expectValues(ln.mean, [1.6487212181, 1.7246084213]); expectValues(ln.variance, [4.6707744598, 0.280100137]); expectValues(ln.entropy(), [1.4189385176, 0.7149657011])
        // c2 = Chi2(torch.tensor([3.0])); c2.log_prob(torch.tensor([2.0])), c2.mean
        let c2 = Chi2(Tensor([3.0] as [Float]))
        expectValues(c2.logProb(Tensor([2.0] as [Float])), [-1.5723649263]); expectValues(c2.mean, [3])
        // cov = [[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]]; mvn = MultivariateNormal(torch.tensor([1.0, -1.0, 0.5]), covariance_matrix=cov)
        // mvn.rsample((2,)), mvn.log_prob(torch.tensor([[0.0, 0.0, 0.0], [1.0, -1.0, 1.0]])), mvn.entropy(), mvn.variance
        let mvn = MultivariateNormal(Tensor([1.0, -1.0, 0.5] as [Float]), covarianceMatrix: Self.cov)
        expectValues(mvn.rsample([2]), [0.9371231794, -0.9526146054, 1.0524549484, -0.5421134233, -1.3377580643, -0.3736069202], atol: 1e-6)
        expectValues(mvn.logProb(Tensor([[0.0, 0.0, 0.0], [1.0, -1.0, 1.0]] as [[Float]])), [-3.6606121063, -2.9572124481], atol: 1e-5)
        expectValues(mvn.entropy(), [4.1773176193], atol: 1e-5); expectValues(mvn.variance, [2, 1, 0.5], atol: 1e-6)
        // mvp = MultivariateNormal(torch.zeros(3), precision_matrix=torch.linalg.inv(cov)); mvp.scale_tril, mvp.log_prob(torch.tensor([0.3, 0.2, 0.1]))
        let mvp = MultivariateNormal(Tensor.zeros(3), precisionMatrix: linalg.inv(Self.cov))
        expectValues(mvp.scaleTril, [1.4142135382, 0.0, 0.0, 0.2121320218, 0.9772409797, 0.0, 0.0707106888, -0.2200071663, 0.6682790518], atol: 1e-5)
        expectValues(mvp.logProb(Tensor([0.3, 0.2, 0.1] as [Float])), [-2.7284901142], atol: 1e-5)

        // kl_divergence(...) for each registered pair (see the snippet)
        let q = MultivariateNormal(Tensor([0.0, 0.0, 1.0] as [Float]), scaleTril: Tensor([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.1, 0.2, 0.7]] as [[Float]]))
        expectValues(klDivergence(mvn, q), [1.6130363941], atol: 1e-5)
        expectValues(klDivergence(g, Gamma(Tensor([1.0, 1.0] as [Float]), Tensor([1.0, 2.0] as [Float]))), [0.1615826488, 0.2772715688], atol: 1e-6)
        expectValues(klDivergence(b, Beta(Tensor([1.0, 1.0] as [Float]), Tensor([2.0, 2.0] as [Float]))), [0.1250927448, 0.9347128868], atol: 1e-6)
        expectValues(klDivergence(d, Dirichlet(Tensor([1.0, 1.0, 1.0] as [Float]))), [0.8136965036], atol: 1e-6)
        expectValues(klDivergence(p, Poisson(Tensor([2.0, 10.0] as [Float]))), [0.0684769154, 3.8629436493], atol: 1e-6)
        expectValues(klDivergence(u, Uniform(Tensor([-1.0, -2.0] as [Float]), Tensor([2.0, 2.0] as [Float]))), [0.405465126, .infinity])
        expectValues(klDivergence(e, Exponential(Tensor([1.0, 1.0] as [Float]))), [0.3068528175, 0.1931471825])
        expectValues(klDivergence(la, Laplace(Tensor([0.5, 0.0] as [Float]), Tensor([2.0, 1.0] as [Float]))), [0.2464125156, 0.760814786])
        expectValues(klDivergence(Bernoulli(probs: Tensor([0.3, 0.9] as [Float])), Bernoulli(probs: Tensor([0.5, 0.2] as [Float]))), [0.082282871, 1.1457254887])
        expectValues(klDivergence(Categorical(probs: Tensor([0.2, 0.3, 0.5] as [Float])), Categorical(probs: Tensor([0.4, 0.4, 0.2] as [Float]))), [0.2332112938])
        // ind = Independent(Normal(torch.zeros(2, 3), torch.ones(2, 3) * 2), 1); ind.log_prob(torch.ones(2, 3)), ind.entropy(), batch/event shapes
        let ind = Independent(Normal(Tensor.zeros(2, 3), Tensor.ones(2, 3) * 2), 1)
        expectValues(ind.logProb(Tensor.ones(2, 3)), [-5.2112569809, -5.2112569809]); expectValues(ind.entropy(), [6.3362574577, 6.3362574577])
        #expect(ind.batchShape == [2] && ind.eventShape == [3])
    }

    static let cov = Tensor([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]] as [[Float]])

    @Test func gradientsFlowThroughLogProbAndRsample() {
        // conc = torch.tensor([2.0, 0.7], requires_grad=True); rate = torch.tensor([1.5, 3.0], requires_grad=True)
        // Gamma(conc, rate).log_prob(torch.tensor([0.5, 2.0])).sum().backward(); conc.grad, rate.grad
        let conc = Tensor([2.0, 0.7] as [Float]).requiresGrad_(), rate = Tensor([1.5, 3.0] as [Float]).requiresGrad_()
        Gamma(conc, rate).logProb(Tensor([0.5, 2.0] as [Float])).sum().backward()
        expectValues(conc.grad!, [-0.7104662657, 3.011783123], atol: 1e-5); expectValues(rate.grad!, [0.8333333731, -1.7666666508], atol: 1e-6)
        // loc = torch.tensor([1.0, -1.0, 0.5], requires_grad=True); Lt = torch.linalg.cholesky(cov).requires_grad_()
        // torch.manual_seed(2); s = MultivariateNormal(loc, scale_tril=Lt).rsample((4,)); (s ** 2).sum().backward(); loc.grad, Lt.grad
        let loc = Tensor([1.0, -1.0, 0.5] as [Float]).requiresGrad_(), lt = linalg.cholesky(Self.cov).requiresGrad_()
        manualSeed(2)
        let s = MultivariateNormal(loc, scaleTril: lt).rsample([4])
        s.pow(2).sum().backward()
        expectValues(loc.grad!, [4.373073101, -3.3051199913, 1.8412928581], atol: 1e-5)
        expectValues(lt.grad!, [5.9818687439, -1.4589592218, -2.2304024696, -0.8660376072, -0.1837853789, 1.3979469538, -0.2837791443, 1.1894159317, 0.8950042725], atol: 1e-5)
    }
}
}
