import Testing
import Foundation
import Descent

// What a review of unseen lecture programs wrote as PyTorch does and Descent lacked: positional dims
// (`x.sum(0)`, `x.max(1)`), `torch.result_type` / `promote_types` / `can_cast`, `unique(dim=)`,
// `retains_grad`, `torch.autograd.gradcheck`, and non-tensor arguments to a custom Function.
// Expected values come from PyTorch 2.13, the snippet beside each.
extension Core {
@Suite struct PositionalSpellingTests {
    @Test func positionalDimsAreTheLabelledOps() {
        // PyTorch: x = torch.tensor([[3., 1., 2.], [0., 5., 4.]])
        let x = Tensor([[3.0, 1, 2], [0, 5, 4]])
        // x.sum(0), x.mean(1), x.argmax(1), x.max(1), x.flatten(0), x.cumsum(1)
        #expect(values(x.sum(0)) == [3, 6, 6] && values(x.mean(1)) == [2, 3] && ints(x.argmax(1)) == [0, 1])
        let (mv, mi) = x.max(1)
        #expect(values(mv) == [3, 5] && ints(mi) == [0, 1])
        #expect(x.flatten(0).shape == [6] && values(x.cumsum(1)) == [3, 4, 6, 0, 5, 9])
        // x.gather(1, torch.tensor([[2], [0]])) -> [[2.], [0.]]; x.topk(2, 1); x.sort(0); x.narrow(1, 1, 2); x.chunk(3, 1)[2]
        #expect(values(x.gather(1, Tensor([[2], [0]]))) == [2, 0])
        let (tv, ti) = x.topk(2, 1)
        #expect(values(tv) == [3, 2, 5, 4] && ints(ti) == [0, 2, 1, 2])
        let (sv, si) = x.sort(0)
        #expect(values(sv) == [0, 1, 2, 3, 5, 4] && ints(si) == [1, 0, 0, 0, 1, 1])
        #expect(values(x.narrow(1, 1, 2)) == [1, 2, 5, 4] && values(x.chunk(3, 1)[2]) == [2, 4])
        // x.median(1) -> values [2., 4.], indices [2, 2]; x.prod(1) -> [6., 0.]; torch.max(x, 0) -> [3, 5, 4], [0, 1, 1]
        #expect(values(x.median(1).values) == [2, 4] && ints(x.median(1).indices) == [2, 2] && values(x.prod(1)) == [6, 0])
        #expect(values(max(x, 0).values) == [3, 5, 4] && ints(max(x, 0).indices) == [0, 1, 1])
        // torch.cat([x, x], 1).shape == (2, 6); torch.stack([x, x], 2).shape == (2, 3, 2)
        #expect(cat([x, x], 1).shape == [2, 6] && stack([x, x], 2).shape == [2, 3, 2])
        // x.scatter(1, torch.tensor([[0], [2]]), 9.0); x.scatter_add(0, torch.tensor([[1, 1, 0]]), torch.ones(1, 3))
        #expect(values(x.scatter(1, Tensor([[0], [2]]), 9.0)) == [9, 1, 2, 0, 5, 9])
        #expect(values(x.scatterAdd(0, Tensor([[1, 1, 0]]), Tensor.ones(1, 3))) == [3, 1, 3, 1, 6, 4])
        // x.index_select(1, torch.tensor([2, 0])); x.amax(0); x.count_nonzero(0); x.std(0)
        #expect(values(x.indexSelect(1, Tensor([2, 0]))) == [2, 3, 4, 0] && values(x.amax(0)) == [3, 5, 4])
        #expect(ints(x.countNonzero(0)) == [1, 2, 2])
        #expect(x.std(0).allclose(Tensor([2.1213, 2.8284, 1.4142]), atol: 1e-4))
        #expect(equal(x, x.clone()) && !equal(x, x + 1))
    }

    @Test func marginLossesClampWithClampMin() {
        // PyTorch: a = torch.tensor([1., -2., 0.5], requires_grad=True); b = torch.tensor([0., 1., 2.]); y = torch.tensor([1., 1., -1.])
        //   l = F.margin_ranking_loss(a, b, y, margin=0.5, reduction='none') -> [0., 3.5, 0.], grad_fn ClampMinBackward0
        //   F.triplet_margin_loss(a[None], b[None], b[None] + 1, reduction='none').grad_fn -> ClampMinBackward0
        //   torch.clamp_min(a, 0).grad_fn -> ClampMinBackward0; a.clamp(min=0).grad_fn -> ClampBackward1
        let a = Tensor([1.0, -2.0, 0.5], requiresGrad: true), b = Tensor([0.0, 1.0, 2.0]), y = Tensor([1.0, 1.0, -1.0])
        let l = marginRankingLoss(a, b, y, margin: 0.5, reduction: .none)
        #expect(values(l) == [0, 3.5, 0] && l.gradFn == "ClampMinBackward0")
        #expect(tripletMarginLoss(a.unsqueeze(0), b.unsqueeze(0), (b + 1).unsqueeze(0), reduction: .none).gradFn == "ClampMinBackward0")
        #expect(a.clampMin(0).gradFn == "ClampMinBackward0" && a.clamp(min: 0).gradFn == "ClampBackward1")
        // l.sum().backward(); a.grad -> [-0., -1., 0.]
        l.sum().backward()
        #expect(values(a.grad!) == [0, -1, 0])
    }

    @Test func resultTypePromoteTypesAndCanCast() {
        // PyTorch: a = torch.tensor([1, 2]); torch.result_type(a, 2.5) -> float32;
        //          torch.result_type(a, torch.tensor(2.5, dtype=torch.float64)) -> float64;
        //          torch.result_type(torch.tensor([1., 2.]), torch.tensor(1, dtype=torch.float64)) -> float32;
        //          torch.result_type(torch.tensor([1, 2], dtype=torch.int32), torch.tensor(1)) -> int32
        let a = Tensor([1, 2])
        #expect(resultType(a, 2.5) == .float32)
        #expect(resultType(a, Tensor(2.5, dtype: .float64)) == .float64)
        #expect(resultType(Tensor([1.0, 2.0]), Tensor(1, dtype: .float64)) == .float32)
        #expect(resultType(Tensor([1, 2], dtype: .int32), Tensor(1)) == .int32)
        // torch.promote_types(torch.uint8, torch.int32) -> int32; (torch.bool, torch.float32) -> float32
        #expect(promoteTypes(.uint8, .int32) == .int32 && promoteTypes(.bool, .float32) == .float32)
        // torch.can_cast: (float64, float32) True, (float32, int32) False, (int64, bool) False, (bool, uint8) True, (int64, uint8) True
        #expect(canCast(.float64, .float32) && !canCast(.float32, .int32) && !canCast(.int64, .bool))
        #expect(canCast(.bool, .uint8) && canCast(.int64, .uint8))
    }

    @Test func uniqueAlongADim() {
        // PyTorch: x = torch.tensor([[1, 2], [1, 2], [3, 4], [0, 9], [3, 4]])
        //          x.unique(dim=0, return_inverse=True, return_counts=True)
        //          -> [[0, 9], [1, 2], [3, 4]], [1, 1, 2, 0, 2], [1, 2, 2]
        let x = Tensor([[1, 2], [1, 2], [3, 4], [0, 9], [3, 4]])
        let (u, inv, counts) = x.unique(dim: 0, returnInverse: true, returnCounts: true)
        #expect(u.shape == [3, 2] && ints(u) == [0, 9, 1, 2, 3, 4] && ints(inv) == [1, 1, 2, 0, 2] && ints(counts) == [1, 2, 2])
        // y = torch.tensor([[[2, 1], [1, 1]], [[2, 1], [0, 1]]]); y.unique(dim=2, return_inverse=True, return_counts=True)
        //   -> [[[1, 2], [1, 1]], [[1, 2], [1, 0]]], [1, 0], [1, 1]
        let y = Tensor([[[2, 1], [1, 1]], [[2, 1], [0, 1]]])
        let (uy, iy, cy) = y.unique(dim: 2, returnInverse: true, returnCounts: true)
        #expect(uy.shape == [2, 2, 2] && ints(uy) == [1, 2, 1, 1, 1, 2, 1, 0] && ints(iy) == [1, 0] && ints(cy) == [1, 1])
        // torch.tensor([[1.5, 2.0], [1.5, -1.0]]).unique(dim=1) -> the same (columns already distinct and sorted)
        #expect(values(unique(Tensor([[1.5, 2.0], [1.5, -1.0]]), dim: 1)) == [1.5, 2, 1.5, -1])
    }

    @Test func retainsGradReportsRetainGrad() {
        // PyTorch: h = torch.tensor([1., 2.], requires_grad=True); k = h * h; k.retain_grad()
        //          k.retains_grad, h.retains_grad, (h * 2).retains_grad -> True False False
        let h = Tensor([1.0, 2.0], requiresGrad: true)
        let k = h * h
        k.retainGrad()
        #expect(k.retainsGrad && !h.retainsGrad && !(h * 2).retainsGrad)
    }

    private final class GoodLinear: Function {
        override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            ctx.saveForBackward(inputs[0], inputs[1]); return inputs[0].matmul(inputs[1].t())
        }
        override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
            [g.matmul(ctx.savedTensors[1]), g.t().matmul(ctx.savedTensors[0])]
        }
    }
    /// The backward forgets the transpose's factor of 2 in d(x²)/dx: gradcheck must catch it.
    private final class BadSquare: Function {
        override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            ctx.saveForBackward(inputs[0]); return inputs[0] * inputs[0]
        }
        override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] { [g * ctx.savedTensors[0]] }
    }
    private final class Scale: Function {
        override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
            inputs[0] * (ctx.values["factor"] as! Double)
        }
        override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] { [g * (ctx.values["factor"] as! Double)] }
    }

    @Test func gradcheckComparesBackwardWithFiniteDifferences() {
        // PyTorch: torch.autograd.gradcheck(lambda w: LinearFn.apply(inp, w), (wd,)) -> True (float64, correct backward)
        let inp = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).double()
        let w = Tensor([[0.1, 0.2], [0.3, 0.4]]).double().requiresGrad_()
        #expect(gradcheck({ GoodLinear.apply(inp, $0[0]) }, inputs: [w]))
        #expect(gradcheck({ GoodLinear.apply($0[0], $0[1]) }, inputs: [inp.clone().requiresGrad_(), w]))
        #expect(gradcheck({ $0.sin() * $0 }, input: Tensor([0.3, -1.2, 2.0]).double().requiresGrad_()))
        // a wrong backward fails: PyTorch's gradcheck(..., raise_exception=False) -> False
        #expect(!gradcheck({ BadSquare.apply($0[0]) }, inputs: [Tensor([1.0, 2.0]).double().requiresGrad_()], raiseException: false))
    }

    @Test func gradcheckStopsWithTheJacobiansOnAMismatch() async {
        // PyTorch: GradcheckError: Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor([[2., 0.], [0., 4.]], ...
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            gradcheck({ BadSquare.apply($0[0]) }, inputs: [Tensor([1.0, 2.0]).double().requiresGrad_()])
        }
        let e = stderr(r)
        #expect(e.contains("Jacobian mismatch for output 0 with respect to input 0,"))
        #expect(e.contains("numerical:tensor([[2.0000, 0.0000],\n        [0.0000, 4.0000]], dtype=torch.float64)"))
        #expect(e.contains("analytical:tensor([[1., 0.],\n        [0., 2.]], dtype=torch.float64)"))
    }

    @Test func aCustomFunctionTakesNonTensorArguments() {
        // PyTorch: MulConstant.apply(x, 3.0) with ctx.constant = 3.0; y.sum().backward(); x.grad -> [3., 3.]
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        let y = Scale.apply(x, values: ["factor": 3.0])
        #expect(values(y) == [3, 6] && y.gradFn == "ScaleBackward")
        y.sum().backward()
        #expect(values(x.grad!) == [3, 3])
    }
}
}
