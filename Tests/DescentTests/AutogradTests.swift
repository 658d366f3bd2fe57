import Foundation
import Testing
import Descent

extension Core {
/// Gradient checks: every differentiable op against central finite differences in float64.
@Suite struct GradientChecks {
    @Test func arithmeticWithBroadcasting() {
        gradCheck({ $0[0] + $0[1] }, inputs: [r64(2, 3), r64(3, seed: 2)])
        gradCheck({ $0[0] + $0[1] }, inputs: [r64(2, 1), r64(3, seed: 2)])
        gradCheck({ $0[0] - $0[1] }, inputs: [r64(4, 1, 3), r64(2, 1, seed: 2)])
        gradCheck({ $0[0] * $0[1] }, inputs: [r64(2, 3), r64(2, 1, seed: 2)])
        gradCheck({ $0[0] * $0[1] }, inputs: [r64(3), r64(2, 3, seed: 2)])
        gradCheck({ $0[0] / $0[1] }, inputs: [r64(2, 3), u64(3, lo: 0.5, hi: 2)])
        gradCheck({ $0[0] / $0[1] }, inputs: [r64(3, 1), u64(1, 4, lo: -2, hi: -0.5)])
        gradCheck({ $0[0] * $0[0] }, inputs: [r64(5)])   // the same tensor twice
        gradCheck({ -$0[0] }, inputs: [r64(2, 2)])
        // a 0-dim tensor combined with a matrix
        gradCheck({ $0[0] * $0[1] + $0[1] }, inputs: [r64(2, 3), Tensor(0.7, dtype: .float64)])
    }

    @Test func scalarArithmetic() {
        gradCheck({ $0[0] * 2.5 }, inputs: [r64(3)])
        gradCheck({ 2.5 * $0[0] }, inputs: [r64(3)])
        gradCheck({ $0[0] + 1 }, inputs: [r64(3)])
        gradCheck({ 1.5 + $0[0] }, inputs: [r64(3)])
        gradCheck({ $0[0] - 0.5 }, inputs: [r64(3)])
        gradCheck({ 1 - $0[0] }, inputs: [r64(3)])
        gradCheck({ $0[0] / 4 }, inputs: [r64(3)])
        gradCheck({ 3 / $0[0] }, inputs: [u64(3, lo: 0.5, hi: 2)])
    }

    @Test func powers() {
        gradCheck({ $0[0].pow(2) }, inputs: [r64(2, 3)])
        gradCheck({ $0[0].pow(3) }, inputs: [r64(2, 3)])
        gradCheck({ $0[0].pow(0.5) }, inputs: [u64(4, lo: 0.5, hi: 3)])
        gradCheck({ $0[0].pow(-1.5) }, inputs: [u64(4, lo: 0.5, hi: 3)])
        gradCheck({ $0[0].pow(0) + $0[0] }, inputs: [r64(3)])
        gradCheck({ $0[0].square() }, inputs: [r64(3)])
        gradCheck({ $0[0].pow($0[1]) }, inputs: [u64(2, 3, lo: 0.5, hi: 2), r64(2, 3, seed: 3)])
        gradCheck({ $0[0].pow($0[1]) }, inputs: [u64(2, 1, lo: 0.5, hi: 2), r64(3, seed: 3)])
        gradCheck({ pow($0[0], 2) + pow($0[0], $0[1]) }, inputs: [u64(3, lo: 0.5, hi: 2), r64(3, seed: 3)])
    }

    @Test func unaryFunctions() {
        let x = r64(2, 3)
        let pos = u64(2, 3, lo: 0.3, hi: 3)
        gradCheck({ $0[0].exp() }, inputs: [x])
        gradCheck({ $0[0].log() }, inputs: [pos])
        gradCheck({ $0[0].sqrt() }, inputs: [pos])
        gradCheck({ $0[0].abs() }, inputs: [x])
        gradCheck({ $0[0].sin() }, inputs: [x])
        gradCheck({ $0[0].cos() }, inputs: [x])
        gradCheck({ $0[0].tanh() }, inputs: [x])
        gradCheck({ $0[0].sigmoid() }, inputs: [x])
        gradCheck({ $0[0].relu() }, inputs: [x])
        gradCheck({ exp($0[0]) + log($0[1]) + sqrt($0[1]) + abs($0[0]) }, inputs: [x, pos])
        gradCheck({ sin($0[0]) * cos($0[0]) + tanh($0[0]) + sigmoid($0[0]) + relu($0[0]) }, inputs: [x])
        gradCheck({ $0[0].rsqrt() }, inputs: [pos])
        gradCheck({ $0[0].reciprocal() }, inputs: [pos])
        gradCheck({ $0[0].log1p() }, inputs: [pos])
        gradCheck({ $0[0].expm1() }, inputs: [x])
        gradCheck({ $0[0].leakyRelu(negativeSlope: 0.2) }, inputs: [x])
        gradCheck({ $0[0].elu(alpha: 1.5) }, inputs: [x])
        gradCheck({ $0[0].gelu() }, inputs: [x])
        gradCheck({ $0[0].silu() }, inputs: [x])
        gradCheck({ $0[0].logSigmoid() }, inputs: [x])
        gradCheck({ $0[0].softplus() }, inputs: [x])
        gradCheck({ $0[0].erf() }, inputs: [x])
    }

    @Test func clampMaximumMinimumWhere() {
        // values kept away from the kinks (clamp bounds, ties)
        let x = Tensor([[-1.7, -0.4, 0.3], [0.9, 1.6, -2.2]], dtype: .float64)
        gradCheck({ $0[0].clamp(min: -1, max: 1) }, inputs: [x])
        gradCheck({ $0[0].clamp(min: 0) }, inputs: [x])
        gradCheck({ clamp($0[0], max: 0.5) }, inputs: [x])
        let y = Tensor([0.2, -1.0, 0.6], dtype: .float64)
        gradCheck({ $0[0].maximum($0[1]) }, inputs: [x, y])
        gradCheck({ minimum($0[0], $0[1]) }, inputs: [x, y])
        gradCheck({ maximum($0[0], $0[1].reshape(2, 1)) }, inputs: [x, Tensor([0.1, 1.0], dtype: .float64)])
        let cond = x .> 0
        gradCheck({ `where`(cond, $0[0], $0[1]) }, inputs: [x, y])
        gradCheck({ `where`(cond, $0[0] * 2, 0.0) }, inputs: [x])
        gradCheck({ `where`(Tensor([true, false, true]), 1.0, $0[0]) }, inputs: [x])
    }

    @Test func reductions() {
        let x = r64(3, 4)
        let y = r64(2, 3, 4, seed: 5)
        gradCheck({ $0[0].sum() }, inputs: [x])
        gradCheck({ $0[0].sum(dim: 0) }, inputs: [x])
        gradCheck({ $0[0].sum(dim: 1, keepDim: true) }, inputs: [x])
        gradCheck({ $0[0].sum(dims: [0, 2]) }, inputs: [y])
        gradCheck({ $0[0].sum(dims: [-1, 1], keepDim: true) }, inputs: [y])
        gradCheck({ $0[0].mean() }, inputs: [x])
        gradCheck({ $0[0].mean(dim: 1) }, inputs: [x])
        gradCheck({ $0[0].mean(dims: [0, 1], keepDim: true) }, inputs: [y])
        gradCheck({ $0[0].max() }, inputs: [x])
        gradCheck({ $0[0].min() }, inputs: [x])
        gradCheck({ $0[0].max(dim: 1).values }, inputs: [x])
        gradCheck({ $0[0].max(dim: 0, keepDim: true).values }, inputs: [y])
        gradCheck({ $0[0].min(dim: 2).values }, inputs: [y])
        gradCheck({ $0[0].min(dim: -2, keepDim: true).values }, inputs: [y])
    }

    @Test func varianceStdLogsumexp() {
        let x = r64(3, 4)
        let y = r64(2, 3, 4, seed: 5)
        gradCheck({ $0[0].variance() }, inputs: [x])
        gradCheck({ $0[0].variance(correction: 0) }, inputs: [x])
        gradCheck({ $0[0].variance(dim: 1) }, inputs: [x])
        gradCheck({ $0[0].variance(dim: 0, keepDim: true) }, inputs: [x])
        gradCheck({ $0[0].variance(dims: [0, 2], correction: 2) }, inputs: [y])
        gradCheck({ $0[0].std() }, inputs: [x])
        gradCheck({ $0[0].std(dim: 0) }, inputs: [x])
        gradCheck({ $0[0].std(dim: 1, correction: 0, keepDim: true) }, inputs: [x])
        gradCheck({ $0[0].std(dims: [1, 2]) }, inputs: [y])
        gradCheck({ $0[0].logsumexp(dim: 1) }, inputs: [x])
        gradCheck({ $0[0].logsumexp(dim: 0, keepDim: true) }, inputs: [x])
        gradCheck({ $0[0].logsumexp(dims: [0, 2]) }, inputs: [y])
        gradCheck({ $0[0].logsumexp(dims: [1], keepDim: true) }, inputs: [y])
    }

    @Test func softmaxAndLogSoftmax() {
        let x = r64(3, 4)
        let y = r64(2, 3, 4, seed: 5)
        for d in [0, 1, -1] {
            gradCheck({ $0[0].softmax(dim: d) }, inputs: [x])
            gradCheck({ $0[0].logSoftmax(dim: d) }, inputs: [x])
        }
        for d in [0, 1, 2] {
            gradCheck({ $0[0].softmax(dim: d) }, inputs: [y])
            gradCheck({ $0[0].logSoftmax(dim: d) }, inputs: [y])
        }
        gradCheck({ softmax($0[0].transpose(0, 1), dim: 1) }, inputs: [x])
        gradCheck({ logSoftmax($0[0].permute(2, 0, 1), dim: 1) }, inputs: [y])
    }

    @Test func matrixProducts() {
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(4), r64(4, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(3, 4), r64(4, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(4), r64(4, 2, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(3, 4), r64(4, 2, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(2, 3, 4), r64(2, 4, 5, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(2, 1, 3, 4), r64(3, 4, 2, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(2, 3, 4), r64(4, 2, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(2, 3, 4), r64(4, seed: 2)])
        gradCheck({ $0[0].matmul($0[1]) }, inputs: [r64(3, 4), r64(2, 4, 5, seed: 2)])
        gradCheck({ $0[0].mm($0[1]) }, inputs: [r64(3, 4), r64(4, 2, seed: 2)])
        gradCheck({ $0[0].T.mm($0[1].T) }, inputs: [r64(4, 3), r64(2, 4, seed: 2)])
        gradCheck({ $0[0].bmm($0[1]) }, inputs: [r64(2, 3, 4), r64(2, 4, 5, seed: 2)])
        gradCheck({ addmm($0[0], $0[1], $0[2]) }, inputs: [r64(2), r64(3, 4, seed: 2), r64(4, 2, seed: 3)])
        gradCheck({ addmm($0[0], $0[1], $0[2]) }, inputs: [r64(3, 2), r64(3, 4, seed: 2), r64(4, 2, seed: 3)])
        gradCheck({ addmm($0[0], $0[1], $0[2], beta: 0.5, alpha: -2) }, inputs: [r64(3, 1), r64(3, 4, seed: 2), r64(4, 2, seed: 3)])
        gradCheck({ $0[0].outer($0[1]) }, inputs: [r64(3), r64(2, seed: 2)])
        gradCheck({ dot($0[0], $0[1]) }, inputs: [r64(5), r64(5, seed: 2)])
        gradCheck({ mv($0[0].T, $0[1]) }, inputs: [r64(4, 3), r64(4, seed: 2)])
    }

    @Test func indexingAndSlicing() {
        let x = r64(4, 5)
        gradCheck({ $0[0][1] }, inputs: [x])
        gradCheck({ $0[0][-1] }, inputs: [x])
        gradCheck({ $0[0][1..<3] }, inputs: [x])
        gradCheck({ $0[0][.stride(by: 2)] }, inputs: [x])
        gradCheck({ $0[0][.all, 2] }, inputs: [x])
        gradCheck({ $0[0][1, 0..<4] }, inputs: [x])
        gradCheck({ $0[0][1..., .slice(0, nil, step: 3)] }, inputs: [x])
        gradCheck({ $0[0][2, 3] * $0[0][0, 0] }, inputs: [x])
        gradCheck({ $0[0][.newAxis, 1] }, inputs: [x])
        gradCheck({ $0[0][Tensor([2, 0, 2, 3])] }, inputs: [x])   // a repeated row accumulates
        gradCheck({ $0[0][.all, Tensor([4, 4, 1])] }, inputs: [x])
        gradCheck({ $0[0].indexSelect(dim: 1, Tensor([0, 3, 0])) }, inputs: [x])
        gradCheck({ $0[0][Tensor([[0, 1], [3, 3]])] }, inputs: [x])
        let mask = x .> 0
        gradCheck({ $0[0][mask] }, inputs: [x])
        gradCheck({ $0[0][Tensor([true, false, true, true])] }, inputs: [x])
        gradCheck({ $0[0].narrow(dim: 1, start: 1, length: 3) }, inputs: [x])
        gradCheck({ $0[0].split(2, dim: 1)[2] + $0[0].chunk(2, dim: 0)[1][.all, 0] }, inputs: [x])
        let y = r64(2, 3, 4, seed: 3)
        gradCheck({ $0[0][1, .all, 1..<3] }, inputs: [y])
        gradCheck({ $0[0][.ellipsis, 2] }, inputs: [y])
    }

    @Test func joiningAndReshaping() {
        let x = r64(2, 3), y = r64(2, 3, seed: 2), z = r64(1, 3, seed: 3)
        gradCheck({ concat([$0[0], $0[1]], dim: 0) }, inputs: [x, y])
        gradCheck({ concat([$0[0], $0[1], $0[0]], dim: 1) }, inputs: [x, y])
        gradCheck({ cat([$0[0], $0[1]], dim: 0) }, inputs: [x, z])
        gradCheck({ stack([$0[0], $0[1]], dim: 0) }, inputs: [x, y])
        gradCheck({ stack([$0[0], $0[1]], dim: 1) }, inputs: [x, y])
        gradCheck({ stack([$0[0], $0[1], $0[0]], dim: -1) }, inputs: [x, y])
        let w = r64(2, 3, 4, seed: 4)
        gradCheck({ $0[0].permute(2, 0, 1) }, inputs: [w])
        gradCheck({ $0[0].permute(1, 2, 0) * $0[1] }, inputs: [w, r64(3, 4, 2, seed: 5)])
        gradCheck({ $0[0].transpose(0, 2) }, inputs: [w])
        gradCheck({ $0[0].T }, inputs: [w])
        gradCheck({ $0[0].t() }, inputs: [x])
        gradCheck({ $0[0].mT }, inputs: [w])
        gradCheck({ $0[0].reshape(-1, 1) }, inputs: [w])
        gradCheck({ $0[0].reshape(4, 6) }, inputs: [w])
        gradCheck({ $0[0].transpose(0, 1).reshape(3, 8) }, inputs: [w])
        gradCheck({ $0[0].view(6, 4) }, inputs: [w])
        gradCheck({ $0[0].flatten() }, inputs: [w])
        gradCheck({ $0[0].flatten(startDim: 1) }, inputs: [w])
        gradCheck({ $0[0].unsqueeze(1) }, inputs: [x])
        gradCheck({ $0[0].unsqueeze(-1).squeeze() }, inputs: [x])
        gradCheck({ $0[0].squeeze(dim: 0) }, inputs: [z])
        gradCheck({ $0[0].expand(4, 3) }, inputs: [z])
        gradCheck({ $0[0].transpose(0, 1).contiguous() }, inputs: [x])
        gradCheck({ $0[0].clone() * $0[0] }, inputs: [x])
    }

    @Test func composites() {
        // the lecture's binary cross-entropy, written out
        let u = Tensor([[-1.0], [0.0], [1.0]], dtype: .float64)
        let y = Tensor([[0.0], [0.0], [1.0]], dtype: .float64)
        gradCheck({ (p: [Tensor]) -> Tensor in
            let yhat = p[0].sigmoid()
            let l = yhat.log() * y + (1 - yhat).log() * (1 - y)
            return -l.sum() / 3
        }, inputs: [u])
        // cross-entropy by formula through a small network
        let t = oneHot(Tensor([2, 1, 0, 2])).double()
        gradCheck({ (p: [Tensor]) -> Tensor in
            let h = addmm(p[2], p[0], p[1]).tanh()
            return -(h.logSoftmax(dim: 1) * t).sum() / 4
        }, inputs: [r64(4, 5), r64(5, 3, seed: 2), r64(3, seed: 3)])
        // a value used along several paths
        gradCheck({ (p: [Tensor]) -> Tensor in
            let a = p[0].exp()
            return (a * a.sin() + a.sum(dim: 0) - a.mean()).softmax(dim: 1)
        }, inputs: [r64(3, 2)])
    }
}

@Suite struct AutogradBehaviour {
    /// Grad mode is per thread, as PyTorch's: a `noGrad` block on one thread leaves another thread
    /// recording, and a new thread starts with recording on (torch.is_grad_enabled() in a
    /// threading.Thread started inside `with torch.no_grad():` is True).
    @Test func gradModeIsPerThread() {
        let entered = DispatchSemaphore(value: 0), checked = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var otherThreadRecorded = false, otherThreadSawEnabled = false, insideStayedOff = false
        Thread.detachNewThread {
            noGrad {
                entered.signal()
                checked.wait()
                insideStayedOff = !isGradEnabled()
            }
            done.signal()
        }
        entered.wait()
        otherThreadSawEnabled = isGradEnabled()
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        otherThreadRecorded = (x * x).sum().gradFn != nil
        checked.signal()
        done.wait()
        #expect(otherThreadSawEnabled && otherThreadRecorded, "noGrad on another thread switched this one off")
        #expect(insideStayedOff)
        noGrad {
            nonisolated(unsafe) var fresh = false
            let t = Thread { fresh = isGradEnabled(); done.signal() }
            t.start()
            done.wait()
            #expect(fresh, "a new thread starts recording")
            #expect(!isGradEnabled())
        }
    }

    @Test func factoriesTakeRequiresGrad() {
        // PyTorch: str(torch.zeros(2, requires_grad=True)); str(torch.ones(2, 1, requires_grad=True))
        #expect("\(Tensor.zeros(2, requiresGrad: true))" == "tensor([0., 0.], requires_grad=True)")
        #expect("\(Tensor.ones(2, 1, requiresGrad: true))" == "tensor([[1.],\n        [1.]], requires_grad=True)")
        // PyTorch: torch.manual_seed(0); w = torch.randn(3, requires_grad=True); (w * w).sum().backward(); w.grad
        //          w.grad.tolist()
        manualSeed(0)
        let w = Tensor.randn(3, requiresGrad: true)
        #expect(w.requiresGrad && w.isLeaf)
        (w * w).sum().backward()
        expectValues(w.grad!, [3.0819921493530273, -0.586857795715332, -4.357578754425049])
        for t in [Tensor.rand(2, requiresGrad: true), .full([2], 0.5, requiresGrad: true), .linspace(0, 1, count: 3, requiresGrad: true),
                  .arange(0.0, 3.0, requiresGrad: true), .eye(2, requiresGrad: true), .randnLike(w, requiresGrad: true),
                  .zerosLike(w, requiresGrad: true), .empty(2, requiresGrad: true)] {
            #expect(t.requiresGrad && t.isLeaf)
        }
        #expect(!Tensor.randn(2).requiresGrad)
    }

    @Test func leafAndGradientFromLecture() {
        // PyTorch: w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True); loss = (w * w * 2).sum(); loss.backward()
        let w = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        let loss = (w * w * 2).sum()
        #expect(w.isLeaf && !loss.isLeaf && loss.requiresGrad)
        #expect(w.grad == nil)
        loss.backward()
        // PyTorch: w.grad
        #expect(values(w.grad!) == [4.0, 8.0, 12.0])
        // PyTorch: loss2 = w.exp().mean(); loss2.backward()
        let loss2 = w.exp().mean()
        loss2.backward()
        // accumulates into .grad
        // PyTorch: w.grad
        expectValues(w.grad!, [4.906094074249268, 10.463018417358398, 18.695178985595703])
        #expect(w.grad!.isLeaf && !w.grad!.requiresGrad)
    }

    @Test func accumulationAcrossTwoBackwardCalls() {
        // PyTorch: x = torch.tensor([0.5, -1.0], requires_grad=True); (x * 3).sum().backward(); (x * x).sum().backward()
        let x = Tensor([0.5, -1.0], requiresGrad: true)
        (x * 3).sum().backward()
        #expect(values(x.grad!) == [3, 3])
        (x * x).sum().backward()
        // PyTorch: x.grad
        #expect(values(x.grad!) == [4.0, 1.0])
        // zeroing between steps, as optimizers do
        x.grad!.zero_()
        (x * 2).sum().backward()
        #expect(values(x.grad!) == [2, 2])
        x.grad = nil
        (x * 5).sum().backward()
        #expect(values(x.grad!) == [5, 5])
    }

    @Test func retainGraphAllowsASecondBackward() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = (x.exp() * x).sum()
        y.backward(retainGraph: true)
        let first = values(x.grad!)
        y.backward()
        // PyTorch: x = torch.tensor([1.0, 2.0], requires_grad=True); y = (x.exp() * x).sum(); y.backward(retain_graph=True); y.backward()
        // PyTorch: x.grad
        expectValues(x.grad!, [10.873126983642578, 44.33433532714844])
        #expect(zip(values(x.grad!), first).allSatisfy { Swift.abs($0 - 2 * $1) < 1e-5 })
        // a graph without saved tensors may be walked twice without retainGraph, as in PyTorch
        let z = Tensor([1.0, 2.0], requiresGrad: true)
        let s = (z + 1).sum()
        s.backward()
        s.backward()
        #expect(values(z.grad!) == [2, 2])
    }

    @Test func backwardWithGradient() {
        // PyTorch: x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True); y = x * x; y.backward(torch.tensor([[1.0, 0.5], [-1.0, 2.0]]))
        let x = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
        let y = x * x
        y.backward(gradient: Tensor([[1.0, 0.5], [-1.0, 2.0]]))
        // PyTorch: x.grad
        #expect(values(x.grad!) == [2.0, 2.0, -6.0, 16.0])
        // on a leaf: the gradient itself
        let l = Tensor([1.0, 2.0], requiresGrad: true)
        l.backward(gradient: Tensor([3.0, 4.0]))
        #expect(values(l.grad!) == [3, 4])
    }

    @Test func detachCutsTheGraph() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let d = (x * 2).detach()
        #expect(!d.requiresGrad && d.isLeaf && d.gradFn == nil)
        let y = (x * d).sum()
        y.backward()
        #expect(values(x.grad!) == [2, 4])   // d is a constant
        let v = x.detach()
        #expect(!v.requiresGrad && values(v) == [1, 2])
    }

    @Test func noGradAndGuard() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = noGrad { x * 2 }
        #expect(!y.requiresGrad && y.gradFn == nil)
        #expect(isGradEnabled())
        let r: Int = noGrad {
            #expect(!isGradEnabled())
            return 3
        }
        #expect(r == 3 && isGradEnabled())
        do {
            let guardian = NoGradGuard()
            #expect(!isGradEnabled())
            let z = x.exp()
            #expect(!z.requiresGrad)
            guardian.restore()
        }
        #expect(isGradEnabled())
        // the guard restores when released, and guards nest
        func scoped() -> Bool {
            let outer = NoGradGuard()
            let inner = NoGradGuard()
            inner.restore()
            let stillOff = !isGradEnabled()
            withExtendedLifetime(outer) {}
            return stillOff
        }
        #expect(scoped())
        #expect(isGradEnabled())
        #expect((x * x).requiresGrad)
        // enableGrad inside noGrad
        let e = noGrad { enableGrad { x * 3 } }
        #expect(e.requiresGrad && e.gradFn == "MulBackward0")
        setGradEnabled(false)
        #expect(!(x + 1).requiresGrad)
        setGradEnabled(true)
        #expect((x + 1).requiresGrad)
    }

    @Test func requiresGradPropagation() {
        let a = Tensor([1.0, 2.0])
        let b = Tensor([3.0, 4.0], requiresGrad: true)
        #expect(!(a * 2).requiresGrad)
        #expect((a * b).requiresGrad && (a + b).gradFn == "AddBackward0")
        #expect(a.gradFn == nil && b.gradFn == nil && a.isLeaf && b.isLeaf)
        let c = Tensor([1.0]).requiresGrad_()
        #expect(c.requiresGrad)
        // integer results of a tracked tensor do not require grad
        #expect(!(b .> 3).requiresGrad && !b.argmax(dim: 0).requiresGrad)
        // gradients flow only into tensors that asked for them
        let y = (a * b).sum()
        y.backward()
        #expect(a.grad == nil && values(b.grad!) == [1, 2])
        // retainGrad keeps a non-leaf's gradient
        let h = b * 3
        h.retainGrad()
        h.sum().backward()
        #expect(values(h.grad!) == [1, 1])
    }

    @Test func gradFnNames() {
        // PyTorch: a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True); b = torch.tensor([0.5, -1.0], requires_grad=True)
        let a = Tensor([[1.0, 2.0], [3.0, 4.0]], requiresGrad: true)
        let b = Tensor([0.5, -1.0], requiresGrad: true)
        // PyTorch: (a + b).grad_fn.name()
        #expect((a + b).gradFn == "AddBackward0")
        // PyTorch: (a + 1).grad_fn.name()
        #expect((a + 1).gradFn == "AddBackward0")
        // PyTorch: (a - b).grad_fn.name()
        #expect((a - b).gradFn == "SubBackward0")
        // PyTorch: (a * b).grad_fn.name()
        #expect((a * b).gradFn == "MulBackward0")
        // PyTorch: (a * 2).grad_fn.name()
        #expect((a * 2).gradFn == "MulBackward0")
        // PyTorch: (a / b).grad_fn.name()
        #expect((a / b).gradFn == "DivBackward0")
        // PyTorch: (a / 2).grad_fn.name()
        #expect((a / 2).gradFn == "DivBackward0")
        // PyTorch: (1 - a).grad_fn.name()
        #expect((1 - a).gradFn == "RsubBackward1")
        // PyTorch: (2 / a).grad_fn.name()
        #expect((2 / a).gradFn == "MulBackward0")
        // PyTorch: (-a).grad_fn.name()
        #expect((-a).gradFn == "NegBackward0")
        // PyTorch: a.pow(2).grad_fn.name()
        #expect(a.pow(2).gradFn == "PowBackward0")
        // PyTorch: a.pow(b).grad_fn.name()
        #expect(a.pow(b).gradFn == "PowBackward1")
        // PyTorch: a.exp().grad_fn.name()
        #expect(a.exp().gradFn == "ExpBackward0")
        // PyTorch: a.log().grad_fn.name()
        #expect(a.log().gradFn == "LogBackward0")
        // PyTorch: a.sqrt().grad_fn.name()
        #expect(a.sqrt().gradFn == "SqrtBackward0")
        // PyTorch: a.abs().grad_fn.name()
        #expect(a.abs().gradFn == "AbsBackward0")
        // PyTorch: a.sin().grad_fn.name()
        #expect(a.sin().gradFn == "SinBackward0")
        // PyTorch: a.cos().grad_fn.name()
        #expect(a.cos().gradFn == "CosBackward0")
        // PyTorch: a.tanh().grad_fn.name()
        #expect(a.tanh().gradFn == "TanhBackward0")
        // PyTorch: a.sigmoid().grad_fn.name()
        #expect(a.sigmoid().gradFn == "SigmoidBackward0")
        // PyTorch: a.relu().grad_fn.name()
        #expect(a.relu().gradFn == "ReluBackward0")
        // PyTorch: a.clamp(min=0, max=1).grad_fn.name()
        #expect(a.clamp(min: 0, max: 1).gradFn == "ClampBackward1")
        // PyTorch: torch.maximum(a, b).grad_fn.name()
        #expect(a.maximum(b).gradFn == "MaximumBackward0")
        // PyTorch: torch.minimum(a, b).grad_fn.name()
        #expect(a.minimum(b).gradFn == "MinimumBackward0")
        // PyTorch: torch.where(a > 2, a, b).grad_fn.name()
        #expect(`where`(a .> 2, a, b).gradFn == "WhereBackward0")
        // PyTorch: a.sum().grad_fn.name()
        #expect(a.sum().gradFn == "SumBackward0")
        // PyTorch: a.sum(0).grad_fn.name()
        #expect(a.sum(dim: 0).gradFn == "SumBackward1")
        // PyTorch: a.mean().grad_fn.name()
        #expect(a.mean().gradFn == "MeanBackward0")
        // PyTorch: a.mean(1).grad_fn.name()
        #expect(a.mean(dim: 1).gradFn == "MeanBackward1")
        // PyTorch: a.max().grad_fn.name()
        #expect(a.max().gradFn == "MaxBackward1")
        // PyTorch: a.max(1).values.grad_fn.name()
        #expect(a.max(dim: 1).values.gradFn == "MaxBackward0")
        // PyTorch: a.min(0).values.grad_fn.name()
        #expect(a.min(dim: 0).values.gradFn == "MinBackward0")
        // PyTorch: a.var().grad_fn.name()
        #expect(a.variance().gradFn == "VarBackward0")
        // PyTorch: a.std(0).grad_fn.name()
        #expect(a.std(dim: 0).gradFn == "StdBackward0")
        // PyTorch: a.logsumexp(1).grad_fn.name()
        #expect(a.logsumexp(dim: 1).gradFn == "LogsumexpBackward0")
        // PyTorch: a.softmax(1).grad_fn.name()
        #expect(a.softmax(dim: 1).gradFn == "SoftmaxBackward0")
        // PyTorch: a.log_softmax(1).grad_fn.name()
        #expect(a.logSoftmax(dim: 1).gradFn == "LogSoftmaxBackward0")
        // PyTorch: a.mm(a).grad_fn.name()
        #expect(a.mm(a).gradFn == "MmBackward0")
        // PyTorch: a.matmul(a).grad_fn.name()
        #expect(a.matmul(a).gradFn == "MmBackward0")
        // PyTorch: torch.addmm(b, a, a).grad_fn.name()
        #expect(addmm(b, a, a).gradFn == "AddmmBackward0")
        // PyTorch: b.matmul(b).grad_fn.name()
        #expect(b.matmul(b).gradFn == "DotBackward0")
        // PyTorch: a.unsqueeze(0).bmm(a.unsqueeze(0)).grad_fn.name()
        #expect(a.unsqueeze(0).bmm(a.unsqueeze(0)).gradFn == "BmmBackward0")
        // PyTorch: a.view(4).grad_fn.name()
        #expect(a.view(4).gradFn == "ViewBackward0")
        // PyTorch: a.reshape(-1, 1).grad_fn.name()
        #expect(a.reshape(-1, 1).gradFn == "ViewBackward0")
        // PyTorch: a.t().reshape(4).grad_fn.name()
        #expect(a.t().reshape(4).gradFn == "UnsafeViewBackward0")
        // PyTorch: a[0].grad_fn.name()
        #expect(a[0].gradFn == "SelectBackward0")
        // PyTorch: a[0:1].grad_fn.name()
        #expect(a[0..<1].gradFn == "SliceBackward0")
        // PyTorch: a[:, 1].grad_fn.name()
        #expect(a[.all, 1].gradFn == "SelectBackward0")
        // PyTorch: a[torch.tensor([1, 0])].grad_fn.name()
        #expect(a[Tensor([1, 0])].gradFn == "IndexBackward0")
        // PyTorch: a[a > 2].grad_fn.name()
        #expect(a[a .> 2].gradFn == "IndexBackward0")
        // PyTorch: a.transpose(0, 1).grad_fn.name()
        #expect(a.transpose(0, 1).gradFn == "TransposeBackward0")
        // PyTorch: a.t().grad_fn.name()
        #expect(a.t().gradFn == "TBackward0")
        // PyTorch: a.permute(1, 0).grad_fn.name()
        #expect(a.permute(1, 0).gradFn == "PermuteBackward0")
        // PyTorch: a.unsqueeze(0).grad_fn.name()
        #expect(a.unsqueeze(0).gradFn == "UnsqueezeBackward0")
        // PyTorch: a.unsqueeze(0).squeeze().grad_fn.name()
        #expect(a.unsqueeze(0).squeeze().gradFn == "SqueezeBackward0")
        // PyTorch: a.unsqueeze(0).squeeze(0).grad_fn.name()
        #expect(a.unsqueeze(0).squeeze(dim: 0).gradFn == "SqueezeBackward1")
        // PyTorch: a.expand(3, 2, 2).grad_fn.name()
        #expect(a.expand(3, 2, 2).gradFn == "ExpandBackward0")
        // PyTorch: torch.cat([a, a]).grad_fn.name()
        #expect(concat([a, a]).gradFn == "CatBackward0")
        // PyTorch: torch.stack([a, a]).grad_fn.name()
        #expect(stack([a, a]).gradFn == "StackBackward0")
        // PyTorch: a.clone().grad_fn.name()
        #expect(a.clone().gradFn == "CloneBackward0")
        // PyTorch: a.to(torch.float64).grad_fn.name()
        #expect(a.to(dtype: .float64).gradFn == "ToCopyBackward0")
        // PyTorch: torch.outer(b, b).grad_fn.name()
        #expect(b.outer(b).gradFn == "MulBackward0")
        // PyTorch: a.erf().grad_fn.name()
        #expect(a.erf().gradFn == "ErfBackward0")
        // PyTorch: a.split(1)[1].grad_fn.name()
        #expect(a.split(1)[1].gradFn == "SplitBackward0")
        // PyTorch: a.chunk(2)[0].grad_fn.name()
        #expect(a.chunk(2)[0].gradFn == "SplitBackward0")
        // PyTorch: a.narrow(0, 0, 1).grad_fn.name()
        #expect(a.narrow(dim: 0, start: 0, length: 1).gradFn == "SliceBackward0")
        // PyTorch: a.index_select(0, torch.tensor([1])).grad_fn.name()
        #expect(a.indexSelect(dim: 0, Tensor([1])).gradFn == "IndexSelectBackward0")
        // PyTorch: a.T.grad_fn.name()
        #expect(a.T.gradFn == "PermuteBackward0")
        // PyTorch: a.mT.grad_fn.name()
        #expect(a.mT.gradFn == "TransposeBackward0")
        // PyTorch: a.t().flatten().grad_fn.name()
        #expect(a.t().flatten().gradFn == "UnsafeViewBackward0")
        // PyTorch: a.flatten().grad_fn.name()
        #expect(a.flatten().gradFn == "ViewBackward0")
        // PyTorch: a[None].grad_fn.name()
        #expect(a[.newAxis].gradFn == "UnsqueezeBackward0")
        // PyTorch: a[1, 0].grad_fn.name()
        #expect(a[1, 0].gradFn == "SelectBackward0")
        // PyTorch: a[:, ::2].grad_fn.name()
        #expect(a[.all, .stride(by: 2)].gradFn == "SliceBackward0")
        // PyTorch: a.square().grad_fn.name()
        #expect(a.square().gradFn == "PowBackward0")
        // PyTorch: a.clamp(min=0).grad_fn.name()
        #expect(a.clamp(min: 0).gradFn == "ClampBackward1")
        // PyTorch: A3 = torch.ones(2, 3, 2, requires_grad=True)
        let A3 = Tensor.ones(2, 3, 2).requiresGrad_()
        // the forms of matmul
        // PyTorch: a.matmul(b).grad_fn.name()
        #expect(a.matmul(b).gradFn == "MvBackward0")
        // PyTorch: b.matmul(a).grad_fn.name()
        #expect(b.matmul(a).gradFn == "SqueezeBackward4")
        // PyTorch: A3.matmul(a).grad_fn.name()
        #expect(A3.matmul(a).gradFn == "UnsafeViewBackward0")
        // PyTorch: A3.matmul(b).grad_fn.name()
        #expect(A3.matmul(b).gradFn == "UnsafeViewBackward0")
        // PyTorch: A3.matmul(A3.mT).grad_fn.name()
        #expect(A3.matmul(A3.mT).gradFn == "UnsafeViewBackward0")
        // PyTorch: b.matmul(A3.mT).grad_fn.name()
        #expect(b.matmul(A3.mT).gradFn == "UnsafeViewBackward0")
        // PyTorch: torch.mv(a, b).grad_fn.name()
        #expect(mv(a, b).gradFn == "MvBackward0")
    }

    @Test func gradientsAtTiesAndKinksFollowPyTorch() {
        // PyTorch: def g(f, *xs):
        //              ts = [torch.tensor(x, requires_grad=True) for x in xs]; f(*ts).sum().backward(); return [t.grad for t in ts]
        //          x = [1.0, 3.0, 3.0, -2.0, 0.0]
        let x = [1.0, 3.0, 3.0, -2.0, 0.0]
        func grads(_ f: ([Tensor]) -> Tensor, _ xs: [Double]...) -> [[Double]] {
            let ts = xs.map { Tensor($0, requiresGrad: true) }
            f(ts).sum().backward()
            return ts.map { values($0.grad!) }
        }
        // PyTorch: g(lambda t: t.max(), x)
        #expect(grads({ $0[0].max() }, x) == [[0.0, 0.5, 0.5, 0.0, 0.0]])
        // PyTorch: g(lambda t: t.min(), [2.0, -1.0, 5.0, -1.0])
        #expect(grads({ $0[0].min() }, [2.0, -1.0, 5.0, -1.0]) == [[0.0, 0.5, 0.0, 0.5]])
        // PyTorch: g(lambda t: t.reshape(1, 5).max(dim=1).values, x)
        #expect(grads({ $0[0].reshape(1, 5).max(dim: 1).values }, x) == [[0.0, 1.0, 0.0, 0.0, 0.0]])
        // PyTorch: g(lambda a, b: torch.maximum(a, b), x, [1.0, 0.0, 3.0, -2.0, 1.0])
        #expect(grads({ $0[0].maximum($0[1]) }, x, [1.0, 0.0, 3.0, -2.0, 1.0]) == [[0.5, 1.0, 0.5, 0.5, 0.0], [0.5, 0.0, 0.5, 0.5, 1.0]])
        // PyTorch: g(lambda a, b: torch.minimum(a, b), x, [1.0, 0.0, 3.0, -2.0, 1.0])
        #expect(grads({ $0[0].minimum($0[1]) }, x, [1.0, 0.0, 3.0, -2.0, 1.0]) == [[0.5, 0.0, 0.5, 0.5, 1.0], [0.5, 1.0, 0.5, 0.5, 0.0]])
        // PyTorch: g(lambda t: t.clamp(1, 3), x)
        #expect(grads({ $0[0].clamp(min: 1, max: 3) }, x) == [[1.0, 1.0, 1.0, 0.0, 0.0]])
        // PyTorch: g(lambda t: t.relu(), x)
        #expect(grads({ $0[0].relu() }, x) == [[1.0, 1.0, 1.0, 0.0, 0.0]])
        // PyTorch: g(lambda t: t.abs(), x)
        #expect(grads({ $0[0].abs() }, x) == [[1.0, 1.0, 1.0, -1.0, 0.0]])
        // PyTorch: g(lambda t: t.pow(2) * 0.5, x)
        #expect(grads({ $0[0].pow(2) * 0.5 }, x) == [[1.0, 3.0, 3.0, -2.0, 0.0]])
        // PyTorch: g(lambda t: t.pow(0), x)
        #expect(grads({ $0[0].pow(0) }, x) == [[0.0, 0.0, 0.0, 0.0, 0.0]])
        // PyTorch: g(lambda a, b: a.pow(b), [0.0, 2.0], [2.0, 0.0])
        #expect(grads({ $0[0].pow($0[1]) }, [0.0, 2.0], [2.0, 0.0]) == [[0.0, 0.0], [0.0, 0.6931471824645996]])
        // PyTorch: g(lambda t: t.sqrt(), [0.0, 4.0])
        #expect(grads({ $0[0].sqrt() }, [0.0, 4.0]) == [[.infinity, 0.25]])
        // PyTorch: g(lambda t: t.argmax(0).float() + t, x)
        #expect(grads({ $0[0].argmax(dim: 0).float() + $0[0] }, x) == [[1.0, 1.0, 1.0, 1.0, 1.0]])
    }

    @Test func toDtypeGradientComesBackInTheLeafDtype() {
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = (x.to(dtype: .float64) * Tensor([3.0, 4.0], dtype: .float64)).sum()
        y.backward()
        #expect(x.grad!.dtype == .float32 && values(x.grad!) == [3, 4])
    }
}
}

extension Core {
/// Mixed subscripts apply their parts left to right, as PyTorch's indexing does.
@Suite struct SubscriptGradFns {
    /// The grad_fn names from `t` down its first inputs to the leaf (PyTorch's walk of next_functions[0][0]).
    func chain(_ t: Tensor) -> String {
        var names: [String] = []
        var f = t.gradFunction
        while let g = f { names.append(g.name); f = g.nextFunctions.first ?? nil }
        return names.joined(separator: " -> ")
    }

    @Test func partsApplyLeftToRightAndFullSlicesAreSkipped() {
        // torch.manual_seed(0); w = torch.randn(3,4,5, requires_grad=True); v = torch.randn(4,6, requires_grad=True)
        // chain(t): names of t.grad_fn, then next_functions[0][0] repeatedly, as printed by PyTorch 2.13
        let w = Tensor.randn([3, 4, 5], requiresGrad: true), v = Tensor.randn([4, 6], requiresGrad: true)
        let idx = Tensor([0, 2])
        let cases: [(Tensor, String, [Int])] = [
            (w[0, 0..<4], "SelectBackward0 -> AccumulateGrad", [4, 5]),
            (w[0..<2, 1], "SelectBackward0 -> SliceBackward0 -> AccumulateGrad", [2, 5]),
            (w[.all, 0], "SelectBackward0 -> AccumulateGrad", [3, 5]),
            (w[1, .all, 0..<2], "SliceBackward0 -> SelectBackward0 -> AccumulateGrad", [4, 2]),
            (w[0..<2], "SliceBackward0 -> AccumulateGrad", [2, 4, 5]),
            (w[.ellipsis, 1], "SelectBackward0 -> AccumulateGrad", [3, 4]),
            (w[1, 2, 3], "SelectBackward0 -> SelectBackward0 -> SelectBackward0 -> AccumulateGrad", []),
            (w[.all, 1..<3, 2], "SelectBackward0 -> SliceBackward0 -> AccumulateGrad", [3, 2]),
            (w[.newAxis, 0], "SelectBackward0 -> UnsqueezeBackward0 -> AccumulateGrad", [1, 4, 5]),
            (w[0, .newAxis], "UnsqueezeBackward0 -> SelectBackward0 -> AccumulateGrad", [1, 4, 5]),
            (w[.stride(by: 2), 1], "SelectBackward0 -> SliceBackward0 -> AccumulateGrad", [2, 5]),
            (w[idx, 1], "IndexBackward0 -> SelectBackward0 -> AccumulateGrad", [2, 5]),
            (w[1, idx], "IndexBackward0 -> SelectBackward0 -> AccumulateGrad", [2, 5]),
            (w[idx], "IndexBackward0 -> AccumulateGrad", [2, 4, 5]),
            (w[idx, 0..<3], "IndexBackward0 -> SliceBackward0 -> AccumulateGrad", [2, 3, 5]),
            (w[0, 0..<100], "SelectBackward0 -> AccumulateGrad", [4, 5]),
            (w[0, (-4)...], "SliceBackward0 -> SelectBackward0 -> AccumulateGrad", [4, 5]),
            (w[0..<3, 1], "SelectBackward0 -> AccumulateGrad", [3, 5]),
            (w[.all], "SliceBackward0 -> AccumulateGrad", [3, 4, 5]),
            (w[.ellipsis], "AliasBackward0 -> AccumulateGrad", [3, 4, 5]),
            (w[.all, .all, .all], "AliasBackward0 -> AccumulateGrad", [3, 4, 5]),
            (w[1, .ellipsis, 2], "SelectBackward0 -> SelectBackward0 -> AccumulateGrad", [4]),
            (w[1..<2, 2..<3], "SliceBackward0 -> SliceBackward0 -> AccumulateGrad", [1, 1, 5]),
            (v[0, 0..<4], "SliceBackward0 -> SelectBackward0 -> AccumulateGrad", [4]),
            (v[1..<3, 2], "SelectBackward0 -> SliceBackward0 -> AccumulateGrad", [2]),
            (v[2], "SelectBackward0 -> AccumulateGrad", [6]),
        ]
        for (t, expected, shape) in cases {
            #expect(chain(t) == expected)
            #expect(t.shape == shape)
        }
    }

    @Test func theStepsCarryTheGradientBack() {
        // w[0:2, 1] then w[1, :, 0:2]: each entry picked gets its upstream gradient, the rest zero
        let w = Tensor.arange(0.0, 60.0).reshape(3, 4, 5).requiresGrad_()
        (w[0..<2, 1] * 2).sum().backward()
        let g = w.grad!
        #expect(g[0, 1].toDoubles() == [2, 2, 2, 2, 2] && g[1, 1].toDoubles() == [2, 2, 2, 2, 2])
        #expect(g.sum().item() == 20)
        w.grad = nil
        let y = w[1, .all, 0..<2]
        (y * y).sum().backward()
        // d/dw of sum(w[1, :, 0:2]^2) = 2 w there
        #expect(w.grad![1, .all, 0..<2].equal(y.detach() * 2))
        #expect(w.grad!.sum().item() == (y.detach() * 2).sum().item())
    }
}
}

extension Core {
/// Anomaly mode (PyTorch's `torch.autograd.detect_anomaly()`).
@Suite struct AnomalyDetection {
    @Test func aNaNGradientStopsAtItsOpWithPyTorchsMessage() async {
        // x = torch.tensor([0.0, 1.0], requires_grad=True)
        // with torch.autograd.detect_anomaly(): (x.log() * 0).sum().backward()
        //   -> UserWarning: Error detected in LogBackward0. Traceback of forward call that caused the error: ...
        //   -> RuntimeError: Function 'LogBackward0' returned nan values in its 0th output.
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            detectAnomaly {
                let x = Tensor([0.0, 1.0], requiresGrad: true)
                (x.log() * 0).sum().backward()
            }
        }
        let err = stderr(r)
        #expect(err.contains("Function 'LogBackward0' returned nan values in its 0th output."))
        #expect(err.contains("Error detected in LogBackward0. Traceback of forward call that caused the error:"))
    }

    @Test func withoutAnomalyModeTheNaNIsKeptAndTheModeIsScoped() {
        // outside anomaly mode PyTorch returns the nan: x.grad -> tensor([nan, 0.])
        let x = Tensor([0.0, 1.0], requiresGrad: true)
        (x.log() * 0).sum().backward()
        let g = x.grad!.toDoubles()
        #expect(g[0].isNaN && g[1] == 0)
        #expect(!isAnomalyEnabled())
        detectAnomaly { #expect(isAnomalyEnabled()) }
        #expect(!isAnomalyEnabled())
        // a clean backward in anomaly mode is unchanged
        let y = Tensor([2.0, 3.0], requiresGrad: true)
        detectAnomaly { (y * y).sum().backward() }
        #expect(y.grad!.toDoubles() == [4, 6])
    }
}
}
