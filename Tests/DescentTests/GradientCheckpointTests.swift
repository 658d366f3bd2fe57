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
}
}
