import Testing
import Foundation
import Descent

extension Core {
/// Module full backward hooks against torch 2.13:
/// torch.manual_seed(0); lin = nn.Linear(3, 2); hook logs (gi, go) and returns (gi[0] * 2,); pre logs go
/// h = lin.register_full_backward_hook(hook); h2 = lin.register_full_backward_pre_hook(pre)
/// x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True); y = lin(x); (y * torch.tensor([[1.0, -1.0]])).sum().backward()
@Suite struct BackwardHookTests {
    @Test func fullBackwardHooksSeeAndReplaceGradients() {
        manualSeed(0)
        let lin = Linear(3, 2)
        var log: [String] = []
        var gradIn: [Double] = [], gradOut: [Double] = []
        let h = lin.registerFullBackwardHook { m, gi, go in
            log.append("hook \(String(describing: type(of: m)))")
            gradIn = gi[0]!.toArray(Float.self).map(Double.init); gradOut = go[0].toArray(Float.self).map(Double.init)
            return [gi[0]! * 2]
        }
        let h2 = lin.registerFullBackwardPreHook { _, go in log.append("pre \(go[0].toArray(Float.self))"); return nil }
        let x = Tensor([[1.0, 2.0, 3.0]] as [[Float]]).requiresGrad_()
        let y = lin(x)
        #expect(y.gradFn == "BackwardHookFunctionBackward")
        (y * Tensor([[1.0, -1.0]] as [[Float]])).sum().backward()
        // log: [('pre', [[[1.0, -1.0]]]), ('Linear', [[[0.42057207226753235, 0.5320848226547241, -0.6300060749053955]]], [[[1.0, -1.0]]])]
        #expect(log == ["pre [1.0, -1.0]", "hook Linear"])
        expectValues(Tensor(gradIn), [0.42057207226753235, 0.5320848226547241, -0.6300060749053955])
        expectValues(Tensor(gradOut), [1, -1])
        // x.grad (doubled by the hook), lin.weight.grad
        expectValues(x.grad!, [0.8411441445350647, 1.0641696453094482, -1.260012149810791])
        expectValues(lin.weight.grad!, [1.0, 2.0, 3.0, -1.0, -2.0, -3.0])
        // removed hooks no longer fire; an input without grad gives the hook [nil] (PyTorch: (None,))
        h.remove(); h2.remove()
        log = []
        var sawNil = false
        lin.registerFullBackwardHook { _, gi, go in sawNil = gi[0] == nil && go.count == 1; log.append("late"); return nil }
        lin(Tensor.ones(1, 3)).sum().backward()
        #expect(log == ["late"] && sawNil)
    }
}
}
