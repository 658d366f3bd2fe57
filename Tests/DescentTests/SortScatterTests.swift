import Testing
import Descent

extension Core {
/// sort/topk/gather/scatter, flip/repeat/masked_fill/tril, prod/cumprod, rounding division and the isnan family.
@Suite struct SelectionOps {
    // PyTorch: a = torch.tensor([[0.5, -1.25, 2.0, 0.75], [3.0, -0.75, 1.5, -2.0], [-0.25, 1.0, -1.5, 2.5]], requires_grad=True)
    //          w = torch.arange(12.0).reshape(3, 4); idx = torch.tensor([[0, 2], [1, 1], [3, 0]])
    func a() -> Tensor { Tensor([[0.5, -1.25, 2.0, 0.75], [3.0, -0.75, 1.5, -2.0], [-0.25, 1.0, -1.5, 2.5]], requiresGrad: true) }
    let w = Tensor.arange(12.0).reshape(3, 4)
    let idx = Tensor([[0, 2], [1, 1], [3, 0]])

    @Test func sortIsStableWithNaNOnTop() {
        let x = Tensor([3.0, 1, 2, 3, 1, Double.nan, 2, 3])
        // PyTorch: x = torch.tensor([3., 1, 2, 3, 1, float('nan'), 2, 3]); x.sort()
        let (v, i) = x.sort()
        expectValues(v, [1, 1, 2, 2, 3, 3, 3, .nan])
        #expect(ints(i) == [1, 4, 2, 6, 0, 3, 7, 5])
        // PyTorch: x.sort(descending=True).indices; x.argsort(descending=True)
        #expect(ints(x.sort(descending: true).indices) == [5, 0, 3, 7, 2, 6, 1, 4])
        #expect(ints(x.argsort(descending: true)) == [5, 0, 3, 7, 2, 6, 1, 4])
        // PyTorch: x.topk(3, largest=False)
        let (tv, ti) = x.topk(3, largest: false)
        expectValues(tv, [1, 1, 2]); #expect(ints(ti) == [1, 4, 2])
        // PyTorch: torch.tensor([[1, 5, 5, 2], [4, 4, 0, 4]]).sort(dim=0, descending=True)
        let (iv, ii) = Tensor([[1, 5, 5, 2], [4, 4, 0, 4]]).sort(dim: 0, descending: true)
        #expect(ints(iv) == [4, 5, 5, 4, 1, 4, 0, 2] && iv.dtype == .int64)
        #expect(ints(ii) == [1, 0, 0, 1, 0, 1, 1, 0])
    }

    @Test func sortAndTopkGradients() {
        let x = a()
        // PyTorch: v, i = a.sort(dim=1, descending=True); (v * w).sum().backward(); v, i, a.grad
        let (v, i) = x.sort(dim: 1, descending: true)
        #expect(v.gradFn == "SortBackward0")
        (v * w).sum().backward()
        expectValues(v, [2.0, 0.75, 0.5, -1.25, 3.0, 1.5, -0.75, -2.0, 2.5, 1.0, -0.25, -1.5])
        #expect(ints(i) == [2, 3, 0, 1, 0, 2, 1, 3, 3, 1, 0, 2])
        expectValues(x.grad!, [2, 3, 0, 1, 4, 6, 5, 7, 10, 9, 11, 8])
        // PyTorch: a.grad = None; v, i = a.topk(2, dim=0); (v * v).sum().backward(); v, i, a.grad
        x.grad = nil
        let (tv, ti) = x.topk(2, dim: 0)
        #expect(tv.gradFn == "TopkBackward0" && tv.shape == [2, 4])
        (tv * tv).sum().backward()
        expectValues(tv, [3.0, 1.0, 2.0, 2.5, 0.5, -0.75, 1.5, 0.75])
        #expect(ints(ti) == [1, 2, 0, 2, 0, 1, 1, 0])
        expectValues(x.grad!, [1.0, 0.0, 4.0, 1.5, 6.0, -1.5, 3.0, 0.0, 0.0, 2.0, 0.0, 5.0])
    }

    @Test func gatherAndScatterWithGradients() {
        let x = a()
        // PyTorch: g = a.gather(1, idx); (g * g).sum().backward(); g, a.grad
        let g = x.gather(dim: 1, index: idx)
        #expect(g.gradFn == "GatherBackward0")
        (g * g).sum().backward()
        expectValues(g, [0.5, 2.0, -0.75, -0.75, 2.5, -0.25], shape: [3, 2])
        expectValues(x.grad!, [1.0, 0.0, 4.0, 0.0, 0.0, -3.0, 0.0, 0.0, -0.5, 0.0, 0.0, 5.0])
        // PyTorch: src = torch.tensor([[1., 2.], [3., 4.], [5., 6.]], requires_grad=True)
        //          s = a.scatter(1, idx, src); (s * w).sum().backward(); s, a.grad, src.grad
        x.grad = nil
        let src = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requiresGrad: true)
        let s = x.scatter(dim: 1, index: idx, src: src)
        #expect(s.gradFn == "ScatterBackward0")
        (s * w).sum().backward()
        expectValues(s, [1.0, -1.25, 2.0, 0.75, 3.0, 4.0, 1.5, -2.0, 6.0, 1.0, -1.5, 5.0])
        expectValues(x.grad!, [0, 1, 0, 3, 4, 0, 6, 7, 0, 9, 10, 0])
        expectValues(src.grad!, [0, 2, 5, 5, 11, 8])
        // PyTorch: s = a.scatter_add(1, idx, src); (s * s).sum().backward(); s, a.grad, src.grad
        x.grad = nil; src.grad = nil
        let sa = x.scatterAdd(dim: 1, index: idx, src: src)
        #expect(sa.gradFn == "ScatterAddBackward0")
        (sa * sa).sum().backward()
        expectValues(sa, [1.5, -1.25, 4.0, 0.75, 3.0, 6.25, 1.5, -2.0, 5.75, 1.0, -1.5, 7.5])
        expectValues(x.grad!, [3.0, -2.5, 8.0, 1.5, 6.0, 12.5, 3.0, -4.0, 11.5, 2.0, -3.0, 15.0])
        expectValues(src.grad!, [3.0, 8.0, 12.5, 12.5, 15.0, 11.5])
        // PyTorch: torch.zeros(3, 5).scatter(1, idx, 2.5)
        expectValues(Tensor.zeros(3, 5).scatter(dim: 1, index: idx, value: 2.5),
                     [2.5, 0, 2.5, 0, 0, 0, 2.5, 0, 0, 0, 2.5, 0, 0, 2.5, 0])
        // in place: the classic one-hot, torch.zeros(3, 4).scatter_(1, torch.tensor([[2], [0], [3]]), 1.0)
        let oh = Tensor.zeros(3, 4)
        oh.scatter_(dim: 1, index: Tensor([[2], [0], [3]]), value: 1)
        expectValues(oh, [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    }

    @Test func flipRepeatMaskedFillTril() {
        let x = a()
        // PyTorch: f = a.flip(0, 1); (f * w).sum().backward(); f, a.grad
        let f = x.flip(0, 1)
        (f * w).sum().backward()
        expectValues(f, [2.5, -1.5, 1.0, -0.25, -2.0, 1.5, -0.75, 3.0, 0.75, 2.0, -1.25, 0.5])
        expectValues(x.grad!, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
        #expect(f.gradFn == "FlipBackward0")
        // PyTorch: r = a.repeat(2, 1, 2); (r * r).sum().backward(); list(r.shape), r[1], a.grad
        x.grad = nil
        let r = x.repeat(2, 1, 2)
        (r * r).sum().backward()
        #expect(r.shape == [2, 3, 8] && r.gradFn == "RepeatBackward0")
        expectValues(r[1], [0.5, -1.25, 2.0, 0.75, 0.5, -1.25, 2.0, 0.75, 3.0, -0.75, 1.5, -2.0, 3.0, -0.75, 1.5, -2.0, -0.25, 1.0, -1.5, 2.5, -0.25, 1.0, -1.5, 2.5])
        expectValues(x.grad!, [4.0, -10.0, 16.0, 6.0, 24.0, -6.0, 12.0, -16.0, -2.0, 8.0, -12.0, 20.0])
        // PyTorch: m = torch.tensor([True, False, True, False]); mf = a.masked_fill(m, -1e9); (mf * w).sum().backward()
        x.grad = nil
        let mf = x.maskedFill(Tensor([true, false, true, false]), -1e9)
        (mf * w).sum().backward()
        #expect(mf.gradFn == "MaskedFillBackward0")
        expectValues(mf, [-1e9, -1.25, -1e9, 0.75, -1e9, -0.75, -1e9, -2.0, -1e9, 1.0, -1e9, 2.5])
        expectValues(x.grad!, [0, 1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11])
        // PyTorch: t = a.tril(-1); (t * w).sum().backward(); t, a.grad; a.triu(1)
        x.grad = nil
        let t = x.tril(-1)
        (t * w).sum().backward()
        expectValues(t, [0, 0, 0, 0, 3.0, 0, 0, 0, -0.25, 1.0, 0, 0])
        expectValues(x.grad!, [0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0])
        expectValues(x.triu(1), [0.0, -1.25, 2.0, 0.75, 0.0, 0.0, 1.5, -2.0, 0.0, 0.0, 0.0, 2.5])
    }

    @Test func productsWithZeros() {
        // PyTorch: p = torch.tensor([2.0, 0, 3, 0.5], requires_grad=True); p.prod().backward(); p.grad
        let p = Tensor([2.0, 0, 3, 0.5], requiresGrad: true)
        p.prod().backward()
        expectValues(p.grad!, [0, 3, 0, 0])
        // PyTorch: q = torch.tensor([[2.0, 1, 3], [0.5, 4, -1]], requires_grad=True); qp = q.prod(dim=1)
        //          (qp * torch.tensor([1.0, 2])).sum().backward(); qp, q.grad
        let q = Tensor([[2.0, 1, 3], [0.5, 4, -1]], requiresGrad: true)
        let qp = q.prod(dim: 1)
        #expect(qp.gradFn == "ProdBackward1")
        (qp * Tensor([1.0, 2])).sum().backward()
        expectValues(qp, [6, -2]); expectValues(q.grad!, [3, 6, 2, -8, -1, 4])
        // PyTorch: r = torch.tensor([[2.0, 0, 3], [0.5, 4, 0]], requires_grad=True); r.prod(dim=0).sum().backward(); r.grad
        let r = Tensor([[2.0, 0, 3], [0.5, 4, 0]], requiresGrad: true)
        r.prod(dim: 0).sum().backward()
        expectValues(r.grad!, [0.5, 4, 0, 2, 0, 3])
        // PyTorch: cp = torch.tensor([1.5, 2, -1, 3], requires_grad=True); cpo = cp.cumprod(0)
        //          (cpo * torch.tensor([1.0, 2, 3, 4])).sum().backward(); cpo, cp.grad
        let cp = Tensor([1.5, 2, -1, 3], requiresGrad: true)
        let cpo = cp.cumprod(dim: 0)
        (cpo * Tensor([1.0, 2, 3, 4])).sum().backward()
        expectValues(cpo, [1.5, 3, -3, -9]); expectValues(cp.grad!, [-25, -19.5, 45, -12])
        // PyTorch: cz = torch.tensor([1.5, 0, -1, 3], requires_grad=True); (cz.cumprod(0) * torch.tensor([1.0, 2, 3, 4])).sum().backward()
        let cz = Tensor([1.5, 0, -1, 3], requiresGrad: true)
        (cz.cumprod(dim: 0) * Tensor([1.0, 2, 3, 4])).sum().backward()
        expectValues(cz.grad!, [1, -19.5, 0, 0])
        // PyTorch: torch.tensor([[3, 1, 2], [0, 5, 4]]).prod(dim=1), ....cumprod(dim=1)
        #expect(ints(Tensor([[3, 1, 2], [0, 5, 4]]).prod(dim: 1)) == [6, 0])
        #expect(ints(Tensor([[3, 1, 2], [0, 5, 4]]).cumprod(dim: 1)) == [3, 3, 6, 0, 0, 0])
    }

    @Test func roundingDivisionAndNonFinite() {
        // PyTorch: torch.tensor([1.0, -1]).floor_divide(torch.tensor([0.1, 0.1])) -> [9., -10.] (not floor(1/0.1) = 10)
        expectValues(Tensor([1.0, -1]).floorDivide(Tensor([0.1, 0.1])), [9, -10])
        // PyTorch: torch.tensor([7, -7]).div(2, rounding_mode="floor"), ...trunc; torch.tensor([7.0, -7]).floor_divide(2.5)
        let fl = Tensor([7, -7]).div(2, roundingMode: "floor")
        #expect(ints(fl) == [3, -4] && fl.dtype == .int64)
        #expect(ints(Tensor([7, -7]).div(2, roundingMode: "trunc")) == [3, -3])
        expectValues(Tensor([7.0, -7]).floorDivide(2.5), [2, -3])
        expectValues(Tensor([7.0, -7, 0.5]).div(2, roundingMode: "trunc"), [3, -3, 0])
        // PyTorch: x = torch.tensor([1.0, nan, inf, -inf]); x.isnan(), x.isinf(), x.isfinite(), x.nan_to_num()
        let x = Tensor([1.0, .nan, .infinity, -.infinity])
        #expect(bools(x.isnan()) == [false, true, false, false])
        #expect(bools(x.isinf()) == [false, false, true, true])
        #expect(bools(x.isfinite()) == [true, false, false, false])
        expectValues(x.nanToNum(), [1, 0, Double(Float.greatestFiniteMagnitude), -Double(Float.greatestFiniteMagnitude)])
    }

    @Test func misuseStopsWithPyTorchsMessages() async {
        let oob = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).gather(dim: 1, index: Tensor([[0, 3]]))
        }
        // PyTorch: torch.zeros(2, 3).gather(1, torch.tensor([[0, 3]])) -> RuntimeError: index 3 is out of bounds for dimension 1 with size 3
        #expect(stderr(oob).contains("index 3 is out of bounds for dimension 1 with size 3"))
        let k = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3).topk(4)
        }
        // PyTorch: torch.zeros(3).topk(4) -> RuntimeError: selected index k out of range
        #expect(stderr(k).contains("selected index k out of range"))
        let mask = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3).maskedFill(Tensor([1.0, 0, 1]), 2)
        }
        // PyTorch: torch.zeros(3).masked_fill(torch.tensor([1., 0, 1]), 2) -> masked_fill_ only supports boolean masks, but got mask with dtype float
        #expect(stderr(mask).contains("masked_fill_ only supports boolean masks"))
    }
}

/// Nested `tolist()` and views that change nothing but still record, as in PyTorch.
@Suite struct ListsAndNoOpViews {
    @Test func tolistNestsLikePython() {
        // PyTorch: print(torch.tensor([[0.1, 2], [3, 4.5]]).tolist()) -> [[0.10000000149011612, 2.0], [3.0, 4.5]]
        #expect("\(Tensor([[0.1, 2], [3, 4.5]]).tolist())" == "[[0.10000000149011612, 2.0], [3.0, 4.5]]")
        // PyTorch: torch.tensor([[1, 2, 3]]).tolist(), torch.tensor(2.5).tolist(), torch.zeros(2, 0).tolist()
        #expect("\(Tensor([[1, 2, 3]]).tolist())" == "[[1, 2, 3]]")
        #expect((Tensor(2.5).tolist() as? Double) == 2.5)
        #expect("\(Tensor.zeros(2, 0).tolist())" == "[[], []]")
    }

    @Test func noOpViewsOfGraphTensorsRecord() {
        // PyTorch: x = torch.tensor([1.0, 2.0], requires_grad=True)
        //          x.squeeze().grad_fn, x.t().grad_fn, x.expand(2).grad_fn, x.squeeze(0).grad_fn
        let x = Tensor([1.0, 2.0], requiresGrad: true)
        #expect(x.squeeze().gradFn == "SqueezeBackward0")
        #expect(x.t().gradFn == "TBackward0")
        #expect(x.expand(2).gradFn == "ExpandBackward0")
        #expect(x.squeeze(dim: 0).gradFn == "SqueezeBackward1")
        let y = x.squeeze() * 3
        y.sum().backward()
        expectValues(x.grad!, [3, 3])
    }
}
}
