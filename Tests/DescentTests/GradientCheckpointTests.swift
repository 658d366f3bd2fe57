import Testing
import Foundation
import Descent

// torch.utils.checkpoint: the block runs again in backward, with the forward's random state, and the
// gradients are those of the plain run. Expected values from PyTorch 2.13, the snippet beside each.
extension Core {
@Suite struct GradientCheckpointTests {
    // torch.manual_seed(0); net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2))
    // x = torch.randn(5, 3, requires_grad=True); torch.manual_seed(1); y = checkpoint(net, x, use_reentrant=False)
    // y.grad_fn -> AddmmBackward0; (y * torch.arange(10.).view(5, 2)).sum().backward()
    // x.grad[:6] -> [-0.240401, -0.283345, -0.100663, -1.308311, -1.585012, 0.584273]
    // net[0].weight.grad[:6] -> [-0.267744, -0.257529, -0.308682, -17.630154, -15.694407, -6.843111]
    // the same seed without checkpoint gives equal gradients and outputs (torch.equal -> True True True)
    @Test func checkpointedBlockGivesThePlainRunsGradients() {
        manualSeed(0)
        let net = Sequential(Linear(3, 4), Tanh(), Dropout(0.5), Linear(4, 2))
        let x = Tensor.randn(5, 3).requiresGrad_()
        let w = Tensor.arange(10.0).view(5, 2)
        manualSeed(1)
        let y = checkpoint({ net($0) }, x)
        #expect(y.gradFn == "AddmmBackward0")
        (y * w).sum().backward()
        let gx = values(x.grad!), gw = values((net[0] as! Linear).weight.grad!)
        let wantX = [-0.240401, -0.283345, -0.100663, -1.308311, -1.585012, 0.584273]
        let wantW = [-0.267744, -0.257529, -0.308682, -17.630154, -15.694407, -6.843111]
        #expect(zip(gx.prefix(6), wantX).allSatisfy { close($0, $1, atol: 2e-6, rtol: 0) })
        #expect(zip(gw.prefix(6), wantW).allSatisfy { close($0, $1, atol: 2e-5, rtol: 0) })
        x.grad = nil
        net.zeroGrad()
        manualSeed(1)
        let plain = net(x)
        (plain * w).sum().backward()
        #expect(values(x.grad!) == gx && values((net[0] as! Linear).weight.grad!) == gw && values(plain) == values(y))
        // yr = checkpoint(net, x, use_reentrant=True) -> CheckpointFunctionBackward
        #expect(checkpoint({ net($0) }, x, useReentrant: true).gradFn == "CheckpointFunctionBackward")
        // net.eval(); ys = checkpoint_sequential(net, 2, x, use_reentrant=False) -> AddmmBackward0, equal to net(x)
        net.eval()
        let ys = checkpointSequential(net, 2, x)
        #expect(ys.gradFn == "AddmmBackward0" && values(ys) == values(net(x)))
    }

    @Test func parametersGetGradientsWhenTheInputDoesNot() {
        // a block whose input needs no gradient still trains its parameters (non-reentrant PyTorch)
        manualSeed(0)
        let lin = Linear(3, 2)
        let x = Tensor.randn(4, 3)
        checkpoint({ lin($0).tanh() }, x).sum().backward()
        let ck = values(lin.weight.grad!)
        lin.zeroGrad()
        lin(x).tanh().sum().backward()
        #expect(ck == values(lin.weight.grad!) && ck.contains { $0 != 0 })
    }

    // Probe 26 and 27 spellings (not checkpointing, but small and of the same session).
    @Test func upsamplingLayersRecomputedScalesAndMultiplicativeLR() {
        // x = torch.arange(16.).view(1, 1, 4, 4); F.interpolate(x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)[:6]
        // -> [0.0, 0.5, 1.1667, 1.8333, 2.5, 3.0]; without recompute -> [0.0, 0.3824, 0.9706, 1.5588, 2.1471, 2.7353]
        let x = Tensor.arange(16.0).view(1, 1, 4, 4)
        let re = values(interpolate(x, scaleFactor: 1.7, mode: "bilinear", recomputeScaleFactor: true)).prefix(6)
        let plain = values(interpolate(x, scaleFactor: 1.7, mode: "bilinear")).prefix(6)
        #expect(zip(re, [0.0, 0.5, 1.1667, 1.8333, 2.5, 3.0]).allSatisfy { close($0, $1, atol: 1e-4, rtol: 0) })
        #expect(zip(plain, [0.0, 0.3824, 0.9706, 1.5588, 2.1471, 2.7353]).allSatisfy { close($0, $1, atol: 1e-4, rtol: 0) })
        // u = nn.UpsamplingBilinear2d(scale_factor=2) -> UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear'); u(x)[:5] -> [0, 0.4286, 0.8571, 1.2857, 1.7143]
        let u = UpsamplingBilinear2d(scaleFactor: 2)
        #expect(u.description == "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')")
        #expect(zip(values(u(x)).prefix(5), [0, 0.4286, 0.8571, 1.2857, 1.7143]).allSatisfy { close($0, $1, atol: 1e-4, rtol: 0) })
        // up = nn.Upsample(scale_factor=(2, 1.5), mode="nearest") -> Upsample(scale_factor=(2.0, 1.5), mode='nearest'), [1, 1, 8, 6], [0, 0, 1, 2, 2, 3]
        let up = Upsample(scaleFactor: (2, 1.5), mode: "nearest")
        #expect(up.description == "Upsample(scale_factor=(2.0, 1.5), mode='nearest')" && up(x).shape == [1, 1, 8, 6])
        #expect(values(up(x)).prefix(6) == [0, 0, 1, 2, 2, 3])
        // s = MultiplicativeLR(SGD([w], lr=0.1), lr_lambda=lambda e: 0.5 if e % 2 == 0 else 0.9); 4 steps
        // -> [0.09000000000000001, 0.045000000000000005, 0.04050000000000001, 0.020250000000000004]
        let w = Parameter(Tensor([1.0, 2.0] as [Float]))
        let opt = SGD([w], lr: 0.1)
        let s = MultiplicativeLR(opt, lrLambda: { $0 % 2 == 0 ? 0.5 : 0.9 })
        var lrs: [Double] = []
        for _ in 0..<4 { opt.step(); s.step(); lrs.append(s.getLastLR()[0]) }
        #expect(lrs == [0.09000000000000001, 0.045000000000000005, 0.04050000000000001, 0.020250000000000004])
        // w.grad = torch.tensor([3., 4.]); clip_grad_norm_(w, max_norm=1.0) -> 5.0, w.grad -> [0.6, 0.8] (float32)
        w.grad = Tensor([3.0, 4.0] as [Float])
        #expect(clipGradNorm_(w, maxNorm: 1.0).item() == 5 && values(w.grad!) == [Double(Float(0.5999999046325684)), Double(Float(0.7999998331069946))])
    }
}
}
