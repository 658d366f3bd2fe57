import Testing
import Foundation
import Descent

// The ops, layers, losses, schedulers and data tools a PyTorch program reaches for that a review
// of unseen lecture programs found missing; every expected value comes from PyTorch 2.13 (the
// snippet beside it; `L(t)` is `t.tolist()`).
extension Core {
@Suite struct PyTorchSpellings {
    @Test func findingAndCountingEntries() {
        // PyTorch: x = torch.tensor([[0, 3, 0], [2, 0, 5]]); torch.nonzero(x); torch.where(x > 0)
        let x = Tensor([[0, 3, 0], [2, 0, 5]])
        #expect(x.nonzero().shape == [3, 2] && ints(x.nonzero()) == [0, 1, 1, 0, 1, 2])
        #expect(ints(argwhere(x)) == [0, 1, 1, 0, 1, 2])
        let w = Descent.where(x .> 0)
        #expect(w.count == 2 && ints(w[0]) == [0, 1, 1] && ints(w[1]) == [1, 0, 2])
        // PyTorch: torch.nonzero(torch.tensor(5)).shape == (1, 0)
        #expect(Tensor(5).nonzero().shape == [1, 0])
        // PyTorch: x.count_nonzero().item() == 3; x.count_nonzero(dim=0) == [1, 1, 1]
        #expect(x.countNonzero().item() == 3 && ints(x.countNonzero(dim: 0)) == [1, 1, 1])
        // PyTorch: a = torch.tensor([[1., 5, 5], [2, 0, -1]], requires_grad=True); ms = a.masked_select(a > 1)
        //          L(ms) == [5, 5, 2]; ms.grad_fn.name() == 'MaskedSelectBackward0'; ms.sum().backward(); L(a.grad)
        let a = Tensor([[1.0, 5, 5], [2, 0, -1]], requiresGrad: true)
        let ms = a.maskedSelect(a .> 1)
        #expect(values(ms) == [5, 5, 2] && ms.gradFn == "MaskedSelectBackward0")
        ms.sum().backward()
        #expect(values(a.grad!) == [0, 1, 1, 1, 0, 0])
    }

    @Test func bincountAndUnique() {
        // PyTorch: y = torch.tensor([1, 3, 1, 0, 3, 3]); torch.bincount(y); torch.bincount(y, minlength=6)
        let y = Tensor([1, 3, 1, 0, 3, 3])
        #expect(ints(y.bincount()) == [1, 2, 0, 3] && y.bincount().dtype == .int64)
        #expect(ints(bincount(y, minlength: 6)) == [1, 2, 0, 3, 0, 0])
        // PyTorch: torch.bincount(y, weights=torch.tensor([.5, 1, 1, 1, 1, 2])) -> [1.0, 1.5, 0.0, 4.0], float32
        let wb = y.bincount(weights: Tensor([0.5, 1, 1, 1, 1, 2]))
        #expect(values(wb) == [1, 1.5, 0, 4] && wb.dtype == .float32)
        // PyTorch: torch.bincount(torch.tensor([], dtype=torch.long)) is empty
        #expect(Tensor([Int]()).bincount().shape == [0])
        // PyTorch: u, inv, cnt = torch.unique(torch.tensor([[3, 1], [3, 2]]), return_inverse=True, return_counts=True)
        //          L(u) == [1, 2, 3]; L(inv) == [[2, 0], [2, 1]]; L(cnt) == [1, 1, 2]
        let (u, inv, cnt) = Tensor([[3, 1], [3, 2]]).unique(returnInverse: true, returnCounts: true)
        #expect(ints(u) == [1, 2, 3] && inv.shape == [2, 2] && ints(inv) == [2, 0, 2, 1] && ints(cnt) == [1, 1, 2])
        #expect(ints(unique(y)) == [0, 1, 3])
        let (v2, c2) = y.unique(returnCounts: true)
        #expect(ints(v2) == [0, 1, 3] && ints(c2) == [1, 2, 3])
    }

    @Test func amaxAminAndMedianShareGradientsAsPyTorch() {
        // PyTorch: a = torch.tensor([[1., 5, 5], [2, 0, -1]], requires_grad=True); m = a.amax(dim=1); m.sum().backward()
        //          L(m) == [5, 2]; m.grad_fn.name() == 'AmaxBackward0'; L(a.grad) == [[0, .5, .5], [1, 0, 0]]
        let a = Tensor([[1.0, 5, 5], [2, 0, -1]], requiresGrad: true)
        let m = a.amax(dim: 1)
        #expect(values(m) == [5, 2] && m.gradFn == "AmaxBackward0")
        m.sum().backward()
        #expect(values(a.grad!) == [0, 0.5, 0.5, 1, 0, 0])
        // PyTorch: a.grad = None; m = a.amin(); m.backward() -> -1, AminBackward0, grad 1 at [1, 2]
        a.grad = nil
        let mn = a.amin()
        #expect(mn.item() == -1 && mn.gradFn == "AminBackward0")
        mn.backward()
        #expect(values(a.grad!) == [0, 0, 0, 0, 0, 1])
        // PyTorch: b = torch.tensor([[3., 1, 4, 2], [1, 1, 1, 0]], requires_grad=True); md = b.median(); md.backward()
        //          md.item() == 1.0; 'MedianBackward0'; L(b.grad) == [[0, .25, 0, 0], [.25, .25, .25, 0]]
        let b = Tensor([[3.0, 1, 4, 2], [1, 1, 1, 0]], requiresGrad: true)
        let md = b.median()
        #expect(md.item() == 1 && md.gradFn == "MedianBackward0")
        md.backward()
        #expect(values(b.grad!) == [0, 0.25, 0, 0, 0.25, 0.25, 0.25, 0])
        // PyTorch: v, i = b.median(dim=1) -> [2, 1], [3, 0], 'MedianBackward1'
        let (v, i) = b.median(dim: 1)
        #expect(values(v) == [2, 1] && ints(i) == [3, 0] && v.gradFn == "MedianBackward1")
    }

    @Test func logarithmsInOtherBasesAndCloseness() {
        // PyTorch: torch.tensor([8., 1, 0.5, 3]).log2(); torch.tensor([100., 2, 0.001]).log10()
        #expect(floatBits(Tensor([8.0, 1, 0.5, 3]).log2()) == floatBits([3.0, 0.0, -1.0, 1.5849624872207642]))
        #expect(floatBits(log10(Tensor([100.0, 2, 0.001]))) == floatBits([2.0, 0.3010300099849701, -3.0]))
        // PyTorch: c = torch.tensor([2., 3.], requires_grad=True); c.log2().sum().backward(); L(c.grad)
        let c = Tensor([2.0, 3.0], requiresGrad: true)
        c.log2().sum().backward()
        expectValues(c.grad!, [0.7213475108146667, 0.48089835047721863])
        // PyTorch: torch.isclose(torch.tensor([1., 2, inf, nan]), torch.tensor([1.000001, 2.1, inf, nan])) -> [T, F, T, F]
        let p = Tensor([1.0, 2, .infinity, .nan]), q = Tensor([1.000001, 2.1, .infinity, .nan])
        #expect(bools(p.isclose(q)) == [true, false, true, false])
        #expect(bools(isclose(p, q, equalNan: true)) == [true, false, true, true])
    }

    @Test func splittingTilingAndWindows() {
        // PyTorch: torch.arange(10).split([2, 3, 5])
        #expect(Tensor.arange(10).split([2, 3, 5]).map(ints) == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]])
        // PyTorch: torch.tensor([[1, 2], [3, 4]]).unbind(1)
        #expect(Tensor([[1, 2], [3, 4]]).unbind(dim: 1).map(ints) == [[1, 3], [2, 4]])
        // PyTorch: [L(row) for row in torch.tensor([[1, 2], [3, 4]])]
        #expect(Tensor([[1, 2], [3, 4]]).map(ints) == [[1, 2], [3, 4]])
        // PyTorch: torch.tensor([[1, 2]]).tile((2,)); torch.tensor([1, 2]).tile((2, 2))
        let t1 = Tensor([[1, 2]]).tile(2), t2 = Tensor([1, 2]).tile(2, 2)
        #expect(t1.shape == [1, 4] && ints(t1) == [1, 2, 1, 2] && t2.shape == [2, 4] && ints(t2) == [1, 2, 1, 2, 1, 2, 1, 2])
        // PyTorch: torch.hstack([tensor([1, 2]), tensor([3])]); torch.hstack([tensor([[1], [2]]), tensor([[3], [4]])])
        #expect(ints(hstack([Tensor([1, 2]), Tensor([3])])) == [1, 2, 3])
        #expect(ints(hstack([Tensor([[1], [2]]), Tensor([[3], [4]])])) == [1, 3, 2, 4])
        // PyTorch: torch.vstack([tensor([1, 2]), tensor([3, 4])])
        let vs = vstack([Tensor([1, 2]), Tensor([3, 4])])
        #expect(vs.shape == [2, 2] && ints(vs) == [1, 2, 3, 4])
        // PyTorch: x.repeat_interleave(2); x.repeat_interleave(torch.tensor([1, 2]), dim=1) for x = [[1, 2], [3, 4]]
        let x = Tensor([[1, 2], [3, 4]])
        #expect(ints(x.repeatInterleave(2)) == [1, 1, 2, 2, 3, 3, 4, 4])
        let ri = x.repeatInterleave(Tensor([1, 2]), dim: 1)
        #expect(ri.shape == [2, 3] && ints(ri) == [1, 2, 2, 3, 4, 4])
        // PyTorch: w = torch.arange(7.).unfold(0, 3, 2); L(w); w.stride() == (2, 1)
        let w = Tensor.arange(7.0).unfold(0, 3, 2)
        #expect(w.shape == [3, 3] && values(w) == [0, 1, 2, 2, 3, 4, 4, 5, 6] && w.stride() == [2, 1] && w.stride(0) == 2)
        // PyTorch: wg = torch.arange(7., requires_grad=True); wg.unfold(0, 3, 2).sum().backward(); L(wg.grad)
        let wg = Tensor.arange(0.0, 7.0, requiresGrad: true)
        wg.unfold(0, 3, 2).sum().backward()
        #expect(values(wg.grad!) == [1, 1, 2, 1, 2, 1, 1])
        // PyTorch: torch.arange(12).reshape(3, 4)[[0, 2]]
        #expect(ints(Tensor.arange(12).reshape(3, 4)[[0, 2]]) == [0, 1, 2, 3, 8, 9, 10, 11])
        // PyTorch: list(torch.arange(6).reshape(1, 6).unflatten(1, (3, -1)).shape) == [1, 3, 2]
        #expect(Tensor.arange(6).reshape(1, 6).unflatten(1, [3, -1]).shape == [1, 3, 2])
    }

    @Test func inPlaceOpsKeepDtypeAndCompoundAssignmentIsInPlace() {
        // PyTorch: q = torch.arange(4); q.add_(10); q.sub_(1) -> [9, 10, 11, 12] int64
        let q = Tensor.arange(4)
        q.add_(10); q.sub_(1)
        #expect(ints(q) == [9, 10, 11, 12] && q.dtype == .int64)
        // PyTorch: p = torch.ones(2, 2) * 3; p.div_(2); p.pow_(2) -> 2.25
        let p = Tensor.ones(2, 2) * 3
        p.div_(2); p.pow_(2)
        #expect(values(p) == [2.25, 2.25, 2.25, 2.25])
        // PyTorch: r = torch.tensor([-4., 9]); r.abs_(); r.sqrt_() -> [2, 3]
        let r = Tensor([-4.0, 9])
        r.abs_(); r.sqrt_()
        #expect(values(r) == [2, 3])
        // PyTorch: h = torch.ones(3); k = h; h += 1; h *= torch.tensor([1., 2, 3]); h -= 0.5; h /= 2; L(k)
        var h = Tensor.ones(3)
        let k = h
        h += 1; h *= Tensor([1.0, 2, 3]); h -= 0.5; h /= 2
        #expect(values(k) == [0.75, 1.75, 2.75] && h === k)
        // PyTorch: t = torch.zeros(3, requires_grad=True); z = t * 2; z += t; z.sum().backward(); L(t.grad); z.grad_fn.name()
        let t = Tensor.zeros(3, requiresGrad: true)
        var z = t * 2
        z += t
        z.sum().backward()
        #expect(values(t.grad!) == [3, 3, 3] && z.gradFn == "AddBackward0")
        // PyTorch: torch.zeros(3, 2).index_add_(0, torch.tensor([0, 2, 0]), torch.tensor([[1., 2], [3, 4], [5, 6]]), alpha=2)
        let ia = Tensor.zeros(3, 2).indexAdd_(dim: 0, index: Tensor([0, 2, 0]), source: Tensor([[1.0, 2], [3, 4], [5, 6]]), alpha: 2)
        #expect(values(ia) == [12, 16, 0, 0, 6, 8])
        // PyTorch: torch.full((2, 3), 7).dtype == torch.int64
        #expect(Tensor.full([2, 3], 7).dtype == .int64)
    }

    @Test func devicesFromStrings() {
        // PyTorch: torch.device("cuda:1").type == "cuda", .index == 1; torch.device("cpu").index is None
        let d = Device("cuda:1")
        #expect(d == .cuda(1) && d.type == "cuda" && d.index == 1)
        #expect(Device("cpu") == .cpu && Device("cpu").index == nil && Device("cuda") == .cuda(0))
        let literal: Device = "meta"
        #expect(literal == .meta && literal.type == "meta")
        let x = Tensor([1.0, 2, 3], device: "cpu")
        #expect(x.isCPU && !x.isCUDA && Tensor.arange(3, device: .cpu).device == .cpu)
    }

    @Test func functionalSimilarityAndPadding() {
        // PyTorch: F.normalize(torch.tensor([[3., 4], [0, 0]]))
        expectValues(normalize(Tensor([[3.0, 4], [0, 0]])), [0.6000000238418579, 0.800000011920929, 0, 0])
        // PyTorch: F.cosine_similarity(torch.tensor([[1., 2, 3], [1, 0, 0]]), torch.tensor([[2., 4, 6], [0, 1, 0]]))
        expectValues(cosineSimilarity(Tensor([[1.0, 2, 3], [1, 0, 0]]), Tensor([[2.0, 4, 6], [0, 1, 0]])), [0.9999998807907104, 0])
        // PyTorch: a = torch.tensor([[1., 2, 3], [1, 0, 0]], requires_grad=True); F.cosine_similarity(a, b).sum().backward(); L(a.grad)
        let ca = Tensor([[1.0, 2, 3], [1, 0, 0]], requiresGrad: true)
        cosineSimilarity(ca, Tensor([[2.0, 4, 6], [0, 1, 0]])).sum().backward()
        expectValues(ca.grad!, [7.450580596923828e-09, 1.4901161193847656e-08, 2.9802322387695312e-08, 0, 1, 0], atol: 1e-7)
        // PyTorch: F.pad(torch.tensor([[1., 2], [3, 4]]), (1, 0, -1, 2), value=9)
        let pd = pad(Tensor([[1.0, 2], [3, 4]]), [1, 0, -1, 2], value: 9)
        #expect(pd.shape == [3, 3] && values(pd) == [9, 3, 4, 9, 9, 9, 9, 9, 9])
        // PyTorch: nn.utils.rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])], batch_first=True, padding_value=-1)
        let ps = padSequence([Tensor([1, 2, 3]), Tensor([4])], batchFirst: true, paddingValue: -1)
        #expect(ps.shape == [2, 3] && ints(ps) == [1, 2, 3, 4, -1, -1])
        // PyTorch: nn.utils.rnn.pad_sequence([torch.tensor([1., 2]), torch.tensor([4.])]) -> [[1, 4], [2, 0]]
        let pt = padSequence([Tensor([1.0, 2]), Tensor([4.0])])
        #expect(pt.shape == [2, 2] && values(pt) == [1, 4, 2, 0])
    }

    @Test func initialisersUnflattenAndParameterVectors() {
        // PyTorch: wt = torch.empty(2, 3); nn.init.eye_(wt)
        #expect(values(eye_(Tensor.empty(2, 3))) == [1, 0, 0, 0, 1, 0])
        // PyTorch: cw = torch.empty(4, 2, 3); nn.init.dirac_(cw, groups=2)
        #expect(values(dirac_(Tensor.empty(4, 2, 3), groups: 2)) == [0, 1, 0, 0, 0, 0,  0, 0, 0, 0, 1, 0,  0, 1, 0, 0, 0, 0,  0, 0, 0, 0, 1, 0])
        // PyTorch: print(nn.Unflatten(1, (2, 3))) -> Unflatten(dim=1, unflattened_size=(2, 3))
        #expect("\(Unflatten(1, [2, 3]))" == "Unflatten(dim=1, unflattened_size=(2, 3))")
        // PyTorch: torch.manual_seed(0); lin = nn.Linear(2, 2); nn.utils.parameters_to_vector(lin.parameters())
        manualSeed(0)
        let lin = Linear(2, 2)
        expectValues(parametersToVector(lin.parameters()), [-0.005293981172144413, 0.37932288646698, -0.5819807648658752,
                                                             -0.5203874707221985, -0.27234524488449097, 0.1896158903837204])
        // PyTorch: nn.utils.vector_to_parameters(torch.arange(6.), lin.parameters()) -> weight [[0, 1], [2, 3]], bias [4, 5]
        vectorToParameters(Tensor.arange(6.0), lin.parameters())
        #expect(values(lin.weight) == [0, 1, 2, 3] && values(lin.bias!) == [4, 5])
    }

    @Test func rankingEmbeddingAndLikelihoodLosses() {
        // PyTorch: x1 = torch.tensor([[1., 2], [3, -1], [0, 1]]); x2 = torch.tensor([[2., 1], [1, 1], [0, 2]]); tgt = torch.tensor([1., -1, 1])
        let x1 = Tensor([[1.0, 2], [3, -1], [0, 1]]), x2 = Tensor([[2.0, 1], [1, 1], [0, 2]]), tgt = Tensor([1.0, -1, 1])
        // PyTorch: F.margin_ranking_loss(x1[:, 0], x2[:, 0], tgt, margin=0.5).item()
        expectValues(MarginRankingLoss(margin: 0.5)(x1[.all, 0], x2[.all, 0], tgt), [1.5])
        // PyTorch: F.cosine_embedding_loss(x1, x2, tgt, margin=0.1).item()
        expectValues(CosineEmbeddingLoss(margin: 0.1)(x1, x2, tgt), [0.1824045181274414])
        // PyTorch: F.triplet_margin_loss(x1, x2, x2.flip(0)).item()
        expectValues(TripletMarginLoss()(x1, x2, x2.flip(0)), [0.8047375679016113])
        // PyTorch: F.gaussian_nll_loss(x1[:, 0], x2[:, 0], torch.tensor([0.5, 1e-9, 2.])).item()
        expectValues(GaussianNLLLoss()(x1[.all, 0], x2[.all, 0], Tensor([0.5, 1e-9, 2.0])), [666664.6875])
        // PyTorch: F.gaussian_nll_loss(x1, x2, torch.ones(3, 1), full=True, reduction='sum').item()
        expectValues(gaussianNLLLoss(x1, x2, Tensor.ones(3, 1), full: true, reduction: .sum), [11.013630867004395])
        // PyTorch: F.poisson_nll_loss(x1, x2.abs()).item(); F.poisson_nll_loss(x1.abs(), x2.abs() * 2, log_input=False, full=True).item()
        expectValues(PoissonNLLLoss()(x1, x2.abs()), [4.3798394203186035])
        expectValues(poissonNLLLoss(x1.abs(), x2.abs() * 2, logInput: false, full: true), [2.1144046783447266])
    }

    @Test func polynomialAndCyclicSchedulers() {
        // PyTorch: opt = SGD([torch.zeros(1, requires_grad=True)], lr=0.1); sch = PolynomialLR(opt, total_iters=4, power=2.0)
        //          six times: opt.step(); sch.step(); get_last_lr()
        let poly = SGD([Parameter(Tensor.zeros(1))], lr: 0.1)
        let ps = PolynomialLR(poly, totalIters: 4, power: 2)
        var lrs = [ps.getLastLR()[0]]
        for _ in 0..<6 { poly.step(); ps.step(); lrs.append(ps.getLastLR()[0]) }
        #expect(lrs == [0.1, 0.05625, 0.024999999999999998, 0.0062499999999999995, 0.0, 0.0, 0.0])
        // PyTorch: opt = SGD(..., lr=0.1, momentum=0.9); sch = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2,
        //          step_size_down=3, mode="triangular2"); eleven steps, get_last_lr() and param_groups[0]['momentum']
        let cyc = SGD([Parameter(Tensor.zeros(1))], lr: 0.1, momentum: 0.9)
        let cs = CyclicLR(cyc, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 2, stepSizeDown: 3, mode: .triangular2)
        lrs = [cs.getLastLR()[0]]
        var moms = [cyc.paramGroups[0][SGD.Settings.self].momentum]
        for _ in 0..<11 {
            cyc.step(); cs.step()
            lrs.append(cs.getLastLR()[0]); moms.append(cyc.paramGroups[0][SGD.Settings.self].momentum)
        }
        #expect(lrs == [0.01, 0.055, 0.09999999999999999, 0.06999999999999999, 0.039999999999999994, 0.01, 0.03250000000000002,
                        0.055, 0.039999999999999994, 0.025000000000000015, 0.01, 0.021250000000000012])
        #expect(moms == [0.9, 0.8500000000000001, 0.8, 0.8333333333333334, 0.8666666666666667, 0.9, 0.875, 0.8500000000000001,
                         0.8666666666666667, 0.8833333333333333, 0.9, 0.8875000000000001])
    }

    @Test func loadersDrawLazilyAsPyTorchs() {
        let ds = TensorDataset(Tensor.arange(10), Tensor.arange(10))
        // PyTorch: g = torch.Generator().manual_seed(7); dl = DataLoader(ds, batch_size=5, shuffle=True, generator=g)
        //          next(iter(dl))[0] -> [1, 3, 5, 7, 9]; then a full epoch -> [[7, 3, 4, 1, 8], [2, 5, 0, 6, 9]]
        let dl = DataLoader(ds, batchSize: 5, shuffle: true, generator: Generator().manualSeed(7))
        var it = dl.makeIterator()
        #expect(ints(it.next()!.0) == [1, 3, 5, 7, 9])
        #expect(dl.map { ints($0.0) } == [[7, 3, 4, 1, 8], [2, 5, 0, 6, 9]])
        // PyTorch: batch_size=4: two of the three batches [1, 3, 5, 7], [9, 4, 6, 2]; then [[7, 3, 4, 1], [8, 2, 5, 0], [6, 9]]
        let dl4 = DataLoader(ds, batchSize: 4, shuffle: true, generator: Generator().manualSeed(7))
        it = dl4.makeIterator()
        #expect(ints(it.next()!.0) == [1, 3, 5, 7] && ints(it.next()!.0) == [9, 4, 6, 2])
        #expect(dl4.map { ints($0.0) } == [[7, 3, 4, 1], [8, 2, 5, 0], [6, 9]])
        // PyTorch: drop_last=True, two epochs -> [[1, 3, 5, 7], [9, 4, 6, 2]], [[5, 1, 6, 0], [9, 7, 8, 4]]
        let dd = DataLoader(ds, batchSize: 4, shuffle: true, dropLast: true, generator: Generator().manualSeed(7))
        #expect(dd.map { ints($0.0) } == [[1, 3, 5, 7], [9, 4, 6, 2]])
        #expect(dd.map { ints($0.0) } == [[5, 1, 6, 0], [9, 7, 8, 4]])
    }

    @Test func samplersDrawAsPyTorchs() {
        // PyTorch: torch.manual_seed(3); s = WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], num_samples=3, replacement=False)
        //          list(s), list(s) -> [0, 1, 3], [2, 1, 3]
        manualSeed(3)
        let s = WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], numSamples: 3, replacement: false)
        #expect(s.indices(count: 4, generator: defaultGenerator) == [0, 1, 3])
        #expect(s.indices(count: 4, generator: defaultGenerator) == [2, 1, 3])
        // PyTorch: list(WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], num_samples=6, generator=torch.Generator().manual_seed(5)))
        let sg = WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], numSamples: 6, generator: Generator().manualSeed(5))
        #expect(sg.indices(count: 4, generator: defaultGenerator) == [2, 1, 1, 1, 1, 3])
        // PyTorch: torch.manual_seed(3); [b[0] for b in DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([0, 2, 4, 6, 8]))]
        manualSeed(3)
        let ds = TensorDataset(Tensor.arange(10), Tensor.arange(10))
        #expect(DataLoader(ds, batchSize: 3, sampler: SubsetRandomSampler([0, 2, 4, 6, 8])).map { ints($0.0) } == [[4, 8, 6], [0, 2]])
        // PyTorch: list(SubsetRandomSampler([10, 20, 30, 40], generator=torch.Generator().manual_seed(1)))
        #expect(SubsetRandomSampler([10, 20, 30, 40], generator: Generator().manualSeed(1)).indices(count: 0, generator: defaultGenerator) == [20, 40, 30, 10])
    }

    @Test func packedSequencesRunAsPyTorchs() {
        // PyTorch (snippet): torch.manual_seed(0); seqs = [torch.randn(2, 3), torch.randn(4, 3), torch.randn(3, 3)]
        //   packed = pack_padded_sequence(pad_sequence(seqs, batch_first=True), torch.tensor([2, 4, 3]), batch_first=True, enforce_sorted=False)
        manualSeed(0)
        let seqs = [Tensor.randn(2, 3), Tensor.randn(4, 3), Tensor.randn(3, 3)]
        let packed = packPaddedSequence(padSequence(seqs, batchFirst: true), lengths: Tensor([2, 4, 3]), batchFirst: true, enforceSorted: false)
        // packed.batch_sizes == [3, 3, 2, 1]; sorted_indices == [1, 2, 0]; unsorted_indices == [2, 0, 1]; packed.data[:, 0]
        #expect(ints(packed.batchSizes) == [3, 3, 2, 1] && ints(packed.sortedIndices!) == [1, 2, 0] && ints(packed.unsortedIndices!) == [2, 0, 1])
        expectValues(packed.data[.all, 0], [0.403347, -0.891995, 1.540996, -0.403344, 1.456503, 0.568431, -0.856675, 0.191869, 0.122701], atol: 1e-6)
        // torch.manual_seed(1); lstm = nn.LSTM(3, 2, batch_first=True); out, (h, c) = lstm(packed)
        // unp, lens = pad_packed_sequence(out, batch_first=True); (unp.sum() + h.sum()).backward()
        manualSeed(1)
        let lstm = LSTM(3, 2, batchFirst: true)
        let (out, (h, c)) = lstm(packed)
        let (unp, lens) = padPackedSequence(out, batchFirst: true)
        #expect(ints(lens) == [2, 4, 3] && unp.shape == [3, 4, 2])
        // unp.grad_fn, h.grad_fn, c.grad_fn, pad_packed_sequence(out)[0].grad_fn: all IndexSelectBackward0 (back to the batch order)
        #expect(unp.gradFn == "IndexSelectBackward0" && h.gradFn == "IndexSelectBackward0" && c.gradFn == "IndexSelectBackward0")
        #expect(padPackedSequence(out).0.gradFn == "IndexSelectBackward0")
        expectValues(unp, [0.351392, 0.017128, 0.378066, -0.069798, 0, 0, 0, 0, -0.034804, 0.041548, -0.004351, 0.075397,
                           -0.134875, 0.076536, -0.032234, 0.090335, 0.038493, 0.04418, 0.083759, 0.042786, -0.047159, 0.060032, 0, 0], atol: 2e-6)
        expectValues(h, [0.378066, -0.069798, -0.032234, 0.090335, -0.047159, 0.060032], atol: 2e-6)
        expectValues(c, [0.567551, -0.091331, -0.061797, 0.140346, -0.062745, 0.083491], atol: 2e-6)
        (unp.sum() + h.sum()).backward()
        // lstm.weight_ih_l0.grad.flatten()[:6]
        expectValues(lstm.parameter("weight_ih_l0").grad!.reshape(-1)[..<6], [0.243502, -0.451544, -0.023995, 0.004532, 0.149085, 0.018154], atol: 2e-6)
        // torch.manual_seed(2); gru = nn.GRU(3, 2, bidirectional=True); o2, h2 = gru(pack_sequence([seqs[1], seqs[2], seqs[0]]))
        manualSeed(2)
        let gru = GRU(3, 2, bidirectional: true)
        let (o2, h2) = gru(packSequence([seqs[1], seqs[2], seqs[0]]))
        expectValues(o2.data.reshape(-1)[..<8], [0.213559, 0.060827, -0.189902, -0.66095, -0.175576, -0.327826, -0.113951, -0.568208], atol: 2e-6)
        expectValues(h2, [0.096464, -0.433603, 0.457843, 0.105371, -0.45073, 0.162913, -0.189902, -0.66095, -0.113951, -0.568208, -0.150648, -0.75177], atol: 2e-6)
        // pad_packed_sequence(o2, total_length=5, padding_value=-1.0) -> shape [5, 3, 4], lengths [4, 3, 2], p2[4, 0, 0] == p2[3, 1, 0] == -1
        let (p2, l2) = padPackedSequence(o2, paddingValue: -1, totalLength: 5)
        #expect(p2.shape == [5, 3, 4] && ints(l2) == [4, 3, 2] && p2[4, 0, 0].item() == -1 && p2[3, 1, 0].item() == -1)
    }

    @Test func functionalMetrics() {
        // torchmetrics.functional.accuracy(preds, target, task="multiclass", num_classes=3) equals MulticlassAccuracy's
        // value on one batch: here 3 of 4 right (math), and macro F1 = mean(1, 2/3, 2/3)... computed from the stat scores:
        // class 0: tp 1 fp 0 fn 0 -> 1; class 1: tp 1 fp 1 fn 0 -> 2/3; class 2: tp 1 fp 0 fn 1 -> 2/3
        let preds = Tensor([0, 1, 2, 1]), target = Tensor([0, 1, 2, 2])
        expectValues(accuracy(preds, target, task: .multiclass(numClasses: 3)), [0.75])
        expectValues(f1Score(preds, target, task: .multiclass(numClasses: 3), average: .macro), [(1 + 2.0 / 3 + 2.0 / 3) / 3])
        #expect(ints(confusionMatrix(preds, target, task: .multiclass(numClasses: 3))) == [1, 0, 0, 0, 1, 0, 0, 1, 1])
    }
    @Test func recurrentOutputsNameTheirBackwardAsPyTorchs() {
        // for M in (nn.RNN, nn.GRU, nn.LSTM): for bf in (True, False):
        //     print(M(3, 4, batch_first=bf)(torch.randn(2, 5, 3))[0].grad_fn,
        //           M(3, 4, batch_first=bf, num_layers=2, bidirectional=True)(torch.randn(2, 5, 3))[0].grad_fn)
        // RNN/GRU: TransposeBackward1 TransposeBackward1 / StackBackward0 CatBackward0
        // LSTM: TransposeBackward0 TransposeBackward0 / MkldnnRnnLayerBackward0 CatBackward0
        let x = Tensor.randn(2, 5, 3)
        for bf in [true, false] {
            let transposed = bf ? "TransposeBackward1" : nil
            #expect(RNN(3, 4, batchFirst: bf)(x).0.gradFn == transposed ?? "StackBackward0")
            #expect(GRU(3, 4, numLayers: 2, batchFirst: bf, bidirectional: true)(x).0.gradFn == transposed ?? "CatBackward0")
            #expect(LSTM(3, 4, numLayers: 2, batchFirst: bf, bidirectional: true)(x).0.gradFn == (bf ? "TransposeBackward0" : "CatBackward0"))
        }
        #expect(LSTM(3, 4, batchFirst: true)(x).0.gradFn == "TransposeBackward0")
        #expect(LSTM(3, 4, numLayers: 2)(x).0.gradFn == "MkldnnRnnLayerBackward0")   // print(nn.LSTM(3, 4, num_layers=2)(x)[0].grad_fn)
        #expect(GRU(3, 4, numLayers: 2)(x).0.gradFn == "StackBackward0")
    }

}
    @Test func optimizerStepStateIsAFloatTensor() {
        // p = torch.nn.Parameter(torch.ones(2)); opt = torch.optim.Adam([p])
        // for _ in range(3): opt.zero_grad(); (p * p).sum().backward(); opt.step()
        // print(opt.state[p]["step"])   # tensor(3.)
        let p = Parameter(Tensor([1.0, 1.0]))
        let opt = Adam([p])
        for _ in 0..<3 { opt.zeroGrad(); (p * p).sum().backward(); opt.step() }
        let st = opt.state(for: p)!
        #expect(st["step"]!.description == "tensor(3.)" && st["step"]!.dtype == .float32)
        st["step"] = Tensor(Float(7))
        #expect(st.step == 7)
        #expect(opt.state[p]!["exp_avg"]!.equal(st["exp_avg"]!) && opt.state.count == 1)   // optimizer.state[p]["exp_avg"]
    }

}
