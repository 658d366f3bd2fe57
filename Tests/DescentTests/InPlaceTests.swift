import Testing
import Descent

extension Core {
/// In-place ops on tensors of an autograd graph are recorded as PyTorch records them, and version
/// counters stop a backward that would read overwritten saved values.
@Suite struct InPlaceAutograd {
    @Test func inPlaceChainOnAGraphTensor() {
        // PyTorch: w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True)
        //          x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]]); h = x @ w.t()
        //          h.add_(1); h.mul_(2); h[0, 1] = torch.tensor(5.0); h.masked_fill_(torch.tensor([True, False]), 0); h.clamp_(max=4)
        //          h.grad_fn.name(), h; (h * h).sum().backward(); w.grad
        let w = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requiresGrad: true)
        let x = Tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
        let h = x.matmul(w.t())
        h.add_(1); h.mul_(2); h[0, 1] = Tensor(5.0); h.maskedFill_(Tensor([true, false]), 0); h.clamp_(max: 4)
        #expect(h.gradFn == "ClampBackward1")
        expectValues(h, [0.0, 4.0, 0.0, 0.25])
        (h * h).sum().backward()
        expectValues(w.grad!, [0, 0, 0, 0.5, -0.5, 3.0])
    }

    @Test func bufferFilledFromTheGraph() {
        // PyTorch: v = torch.tensor([1.0, -2.0], requires_grad=True); buf = torch.zeros(2, 2); buf[1] = v * 3
        //          buf.add_(w[:, 0]); buf.grad_fn.name(), buf.is_leaf, buf; (buf * buf).sum().backward(); v.grad, w.grad
        let w = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requiresGrad: true)
        let v = Tensor([1.0, -2.0], requiresGrad: true)
        let buf = Tensor.zeros(2, 2)
        buf[1] = v * 3
        buf.add_(w[.all, 0])
        #expect(buf.gradFn == "AddBackward0" && !buf.isLeaf && buf.requiresGrad)
        expectValues(buf, [0.5, 1.5, 3.5, -4.5])
        (buf * buf).sum().backward()
        expectValues(v.grad!, [21, -27])
        expectValues(w.grad!, [8, 0, 0, -6, 0, 0])
        // PyTorch: g = torch.tensor([0.5, -1.0], requires_grad=True); s = (g * 2).relu_(); s.grad_fn.name(); s.sum().backward(); g.grad
        let g = Tensor([0.5, -1.0], requiresGrad: true)
        let s = (g * 2).relu_()
        #expect(s.gradFn == "ReluBackward0")
        s.sum().backward()
        expectValues(g.grad!, [2, 0])
    }

    @Test func overwritingASavedValueStopsBackward() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([0.5, 1.0, -1.0], requiresGrad: true)
            let e = w.exp()
            e.add_(1)
            e.sum().backward()
        }
        // PyTorch: e = w.exp(); e.add_(1); e.sum().backward()
        #expect(stderr(result).contains("one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of Exp, is at version 1; expected version 0 instead."))
        let leaf = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor([0.5, 1.0], requiresGrad: true).mul_(2)
        }
        // PyTorch: torch.tensor([0.5, 1.0], requires_grad=True).mul_(2)
        #expect(stderr(leaf).contains("a leaf Variable that requires grad is being used in an in-place operation."))
    }
}
}
