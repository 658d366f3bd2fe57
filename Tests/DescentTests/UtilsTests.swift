import Testing
import Descent

extension Core {
/// `norm`, gradient clipping and the module helpers `apply` / `requiresGrad_`, against PyTorch 2.13.
@Suite struct NNUtils {
    @Test func vectorNorms() {
        // PyTorch: x = torch.tensor([[3.0, -4.0, 0.5], [1.0, 2.0, -2.0]], requires_grad=True)
        let x = Tensor([[3.0, -4.0, 0.5], [1.0, 2.0, -2.0]], requiresGrad: true)
        // PyTorch: x.norm(), x.norm(1, dim=1), x.norm(float('inf')), x.norm(3), x.norm(0)
        expectValues(x.norm(), [5.852349758148193])
        expectValues(x.norm(1, dim: 1), [7.5, 5.0])
        expectValues(x.norm(.infinity), [4.0])
        expectValues(x.norm(3), [4.764039993286133])
        expectValues(x.norm(0), [6.0])
        // PyTorch: x.norm().backward(); x.grad
        x.norm().backward()
        expectValues(x.grad!, [0.5126146078109741, -0.6834861636161804, 0.08543577045202255, 0.1708715409040451, 0.3417430818080902, -0.3417430818080902])
    }

    /// PyTorch: torch.manual_seed(0); m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ///          F.mse_loss(m(X), Y).mul(10).backward()
    func model() -> Sequential {
        manualSeed(0)
        let m = Sequential { Linear(3, 4); ReLU(); Linear(4, 2) }
        let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), y = Tensor([[1.0, -1.0], [0.5, 2.0]])
        (mseLoss(m(x), y) * 10).backward()
        return m
    }

    @Test func clipGradNormMatchesPyTorch() {
        // PyTorch: tot = torch.nn.utils.clip_grad_norm_(m.parameters(), max_norm=0.5, norm_type=nt)
        //          tot, m[0].weight.grad, m[2].bias.grad   for nt in 2, 1, inf
        let cases: [(Double, Double, [Double], [Double])] = [
            (2, 13.780721664428711, [-0.09110621362924576, -0.14051508903503418, 0.3058553636074066], [-0.314684122800827, -0.1393202841281891]),
            (1, 31.407278060913086, [-0.039975106716156006, -0.0616544708609581, 0.13420161604881287], [-0.13807545602321625, -0.06113022193312645]),
            (.infinity, 8.673149108886719, [-0.1447581797838211, -0.2232636660337448, 0.48597192764282227], [-0.4999999403953552, -0.22136524319648743])]
        for (normType, total, w0Tail, b2) in cases {
            let m = model()
            let t = clipGradNorm_(m.parameters(), maxNorm: 0.5, normType: normType)
            expectValues(t, [total])
            expectValues((m[0] as! Linear).weight.grad!, [Double](repeating: 0, count: 9) + w0Tail)
            expectValues((m[2] as! Linear).bias!.grad!, b2)
        }
        // no gradients: a zero norm, nothing changes
        #expect(clipGradNorm_(Linear(2, 2).parameters(), maxNorm: 1).item() == 0)
    }

    @Test func clipGradValueMatchesPyTorch() {
        // PyTorch: torch.nn.utils.clip_grad_value_(m.parameters(), clip_value=0.3); m[0].weight.grad; m[2].bias.grad
        let m = model()
        clipGradValue_(m.parameters(), clipValue: 0.3)
        expectValues((m[0] as! Linear).weight.grad!, [Double](repeating: 0, count: 9) + [-0.3, -0.3, 0.3])
        expectValues((m[2] as! Linear).bias!.grad!, [-0.3, -0.3])
    }

    @Test func functionalActivations() {
        // PyTorch: F.leaky_relu(torch.tensor([-1.0, 2.0]), 0.2); F.gelu(torch.tensor([1.0])); F.silu(torch.tensor([1.0]));
        //          F.elu(torch.tensor([-1.0]), alpha=0.5)
        expectValues(leakyRelu(Tensor([-1.0, 2.0]), negativeSlope: 0.2), [-0.2, 2.0])
        expectValues(gelu(Tensor([1.0])), [0.8413447141647339])
        expectValues(silu(Tensor([1.0])), [0.7310585975646973])
        expectValues(elu(Tensor([-1.0]), alpha: 0.5), [-0.31606027483940125])
    }

    @Test func applyVisitsChildrenFirstAndRequiresGradFreezes() {
        let m = Sequential { Linear(2, 3); Sequential { ReLU(); Linear(3, 1) } }
        var order: [String] = []
        m.apply { order.append(String(describing: type(of: $0))) }
        // PyTorch: m.apply(lambda s: order.append(type(s).__name__)) -> children first, the root last
        #expect(order == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"])
        m.apply { if let l = $0 as? Linear { zeros_(l.weight) } }
        let weights = m.namedParameters().filter { $0.0.hasSuffix("weight") }.map(\.1)
        #expect(weights.count == 2 && weights.allSatisfy { $0.toArray(Float.self).allSatisfy { $0 == 0 } })
        (m[0] as! Linear).requiresGrad_(false)
        #expect(m.parameters().map(\.requiresGrad) == [false, false, true, true])
        m(Tensor.ones(4, 2)).sum().backward()
        #expect((m[0] as! Linear).weight.grad == nil)
    }
}
}
