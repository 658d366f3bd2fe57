import Testing
import Foundation
import Descent

extension Core {
/// atan2/hypot/logaddexp and friends, NaN-skipping reductions, running extremes, order statistics,
/// binning, scatter_reduce and the shape builders, against torch 2.13 (the snippets beside them).
@Suite struct MathAndSearchTests {
    @Test func twoArgumentMathMatchesPyTorch() {
        // a = torch.tensor([1., -2., 0., 3., -0.5], requires_grad=True); b = torch.tensor([-1., -2., 2., 0.5, 0.], requires_grad=True)
        // y = torch.atan2(a, b); (y * torch.arange(5.)).sum().backward(); a.grad, b.grad
        let a = Tensor([1.0, -2.0, 0.0, 3.0, -0.5]).requiresGrad_(), b = Tensor([-1.0, -2.0, 2.0, 0.5, 0.0]).requiresGrad_()
        let y = atan2(a, b)
        expectValues(y, [2.356194496154785, -2.356194496154785, 0.0, 1.4056476354599, -1.5707963705062866])
        #expect(y.gradFn == "Atan2Backward0")
        (y * Tensor.arange(5.0)).sum().backward()
        expectValues(a.grad!, [0, -0.25, 1.0, 0.1621621698141098, 0])
        expectValues(b.grad!, [0, 0.25, 0, -0.9729729890823364, 8.0])
        // a.grad = None; b.grad = None; h = torch.hypot(a, b); h.sum().backward()
        a.grad = nil; b.grad = nil
        let h = hypot(a, b)
        expectValues(h, [1.4142135381698608, 2.8284270763397217, 2.0, 3.041381359100342, 0.5])
        h.sum().backward()
        expectValues(a.grad!, [0.7071067690849304, -0.7071067690849304, 0.0, 0.9863938689231873, -1.0])
        expectValues(b.grad!, [-0.7071067690849304, -0.7071067690849304, 1.0, 0.16439898312091827, 0.0])
        // torch.logaddexp(torch.tensor([1., 1000., -inf, inf]), torch.tensor([2., 1000., -inf, 3.]))
        let inf = Double.infinity
        expectValues(logaddexp(Tensor([1.0, 1000.0, -inf, inf]), Tensor([2.0, 1000.0, -inf, 3.0])), [2.3132617473602295, 1000.6931762695312, -inf, inf])
        // torch.logaddexp2(torch.tensor([1., 3.]), torch.tensor([2., -1.]))
        expectValues(Tensor([1.0, 3.0]).logaddexp2(Tensor([2.0, -1.0])), [2.5849623680114746, 3.087462902069092])
        // torch.logit(torch.tensor([0.25, 0.5, 0.0, 1.0]), eps=1e-6); torch.sinc(torch.tensor([0., 0.5, 1.5, -0.25])); torch.frac(...)
        expectValues(logit(Tensor([0.25, 0.5, 0.0, 1.0]), eps: 1e-6), [-1.0986123085021973, 0.0, -13.815509796142578, 13.80231761932373], rtol: 1e-4)
        expectValues(Tensor([0.0, 0.5, 1.5, -0.25]).sinc(), [1.0, 0.6366197466850281, -0.21220658719539642, 0.9003162980079651])
        expectValues(Tensor([1.5, -2.25, 3.0]).frac(), [0.5, -0.25, 0.0], atol: 0)
        // sinc's gradient at 0 is 0, not NaN
        let z = Tensor([0.0]).requiresGrad_()
        z.sinc().sum().backward()
        expectValues(z.grad!, [0], atol: 0)
        // integers promote to float32 (torch.atan2(torch.tensor([1]), torch.tensor([1])).dtype)
        #expect(atan2(Tensor([1]), Tensor([1])).dtype == .float32)
    }

    @Test func rotationsAndNaNReductionsMatchPyTorch() {
        // r = torch.arange(6.).reshape(2, 3); torch.rot90(r), torch.rot90(r, 2), torch.rot90(r, -1)
        let r = Tensor.arange(6.0).reshape(2, 3)
        expectValues(rot90(r), [2, 5, 1, 4, 0, 3], shape: [3, 2], atol: 0)
        expectValues(r.rot90(2), [5, 4, 3, 2, 1, 0], shape: [2, 3], atol: 0)
        expectValues(r.rot90(-1), [3, 0, 4, 1, 5, 2], shape: [3, 2], atol: 0)
        expectValues(r.fliplr(), [2, 1, 0, 5, 4, 3], atol: 0)
        expectValues(r.flipud(), [3, 4, 5, 0, 1, 2], atol: 0)
        // n = torch.tensor([[1., nan, 3.], [nan, nan, 2.]]); torch.nansum(n), torch.nanmean(n), torch.nansum(n, 1), torch.nanmean(n, 0)
        let n = Tensor([[1.0, .nan, 3.0], [.nan, .nan, 2.0]])
        #expect(nansum(n).item() == 6)
        #expect(nanmean(n).item() == 2)
        expectValues(n.nansum(dim: 1), [4, 2], atol: 0)
        let m = n.nanmean(dim: 0).toDoubles()
        #expect(m[0] == 1 && m[1].isNaN && m[2] == 2.5)
        // torch.var_mean(r, 1), torch.std_mean(r, 0, correction=0), torch.dist(...), torch.aminmax
        let (v, mu) = varMean(r, dims: [1])
        expectValues(v, [1, 1], atol: 1e-6); expectValues(mu, [1, 4], atol: 1e-6)
        let (s, mu0) = stdMean(r, dims: [0], correction: 0)
        expectValues(s, [1.5, 1.5, 1.5], atol: 1e-6); expectValues(mu0, [1.5, 2.5, 3.5], atol: 1e-6)
        #expect(dist(Tensor([1.0, 2.0]), Tensor([4.0, 6.0])).item() == 5)
        #expect(dist(Tensor([1.0, 2.0]), Tensor([4.0, 6.0]), p: 1).item() == 7)
        let (lo, hi) = aminmax(r, dim: 1)
        expectValues(lo, [0, 3], atol: 0); expectValues(hi, [2, 5], atol: 0)
    }

    @Test func runningExtremesMatchPyTorch() {
        // c = torch.tensor([[1., 3., 2., 3., 0.], [5., 4., 6., 1., 6.]], requires_grad=True)
        // v, i = torch.cummax(c, 1); torch.cummin(c, 1); (v * torch.arange(5.)).sum().backward(); c.grad
        let c = Tensor([[1.0, 3.0, 2.0, 3.0, 0.0], [5.0, 4.0, 6.0, 1.0, 6.0]]).requiresGrad_()
        let (v, i) = cummax(c, dim: 1)
        expectValues(v, [1, 3, 3, 3, 3, 5, 5, 6, 6, 6], atol: 0)
        expectValues(i, [0, 1, 1, 3, 3, 0, 0, 2, 2, 4], dtype: .int64, atol: 0)
        #expect(v.gradFn == "CummaxBackward0")
        let (v2, i2) = c.cummin(dim: 1)
        expectValues(v2, [1, 1, 1, 1, 0, 5, 4, 4, 1, 1], atol: 0)
        expectValues(i2, [0, 0, 0, 0, 4, 0, 1, 1, 3, 3], atol: 0)
        (v * Tensor.arange(5.0)).sum().backward()
        expectValues(c.grad!, [0, 3, 0, 7, 0, 1, 0, 5, 0, 4], atol: 0)
        // torch.cummax(c, 0); torch.cummax(torch.tensor([1., nan, 2., nan, 0.]), 0)
        expectValues(c.detach().cummax(dim: 0).indices, [0, 0, 0, 0, 0, 1, 1, 1, 0, 1], atol: 0)
        let nanRun = Tensor([1.0, .nan, 2.0, .nan, 0.0]).cummax(dim: 0)
        #expect(nanRun.values.toDoubles()[0] == 1 && nanRun.values.toDoubles()[1...].allSatisfy { $0.isNaN })
        expectValues(nanRun.indices, [0, 1, 1, 3, 3], atol: 0)
        // x = torch.tensor([[0.5, -1., 2., 0.25], [3., 1., -2., 0.]], requires_grad=True); l = torch.logcumsumexp(x, 1); l.sum().backward()
        let x = Tensor([[0.5, -1.0, 2.0, 0.25], [3.0, 1.0, -2.0, 0.0]]).requiresGrad_()
        let l = logcumsumexp(x, dim: 1)
        expectValues(l, [0.5, 0.7014132738113403, 2.2413113117218018, 2.369278907775879, 3.0, 3.1269280910491943, 3.132845163345337, 3.1755154132843018])
        l.sum().backward()
        expectValues(x.grad!, [2.147099733352661, 0.2559525668621063, 1.4768295288085938, 0.12011821568012238,
                               3.5954222679138184, 0.3512521982192993, 0.011553054675459862, 0.041772566735744476])
    }

    @Test func orderStatisticsMatchPyTorch() {
        // k = torch.tensor([[3., 1., 4., 1.5, 5.], [9., 2., 6., 5.5, 3.]], requires_grad=True); kv, ki = torch.kthvalue(k, 2, 1)
        // kv.sum().backward(); torch.kthvalue(k, 1, 0, keepdim=True)
        let k = Tensor([[3.0, 1.0, 4.0, 1.5, 5.0], [9.0, 2.0, 6.0, 5.5, 3.0]]).requiresGrad_()
        let (kv, ki) = kthvalue(k, 2, dim: 1)
        expectValues(kv, [1.5, 3], shape: [2], atol: 0); expectValues(ki, [3, 4], atol: 0)
        kv.sum().backward()
        expectValues(k.grad!, [0, 0, 0, 1, 0, 0, 0, 0, 0, 1], atol: 0)
        let keep = k.detach().kthvalue(1, dim: 0, keepDim: true)
        expectValues(keep.values, [3, 1, 4, 1.5, 3], shape: [1, 5], atol: 0); expectValues(keep.indices, [0, 0, 0, 0, 1], atol: 0)
        // m = torch.tensor([[1., 2., 2., 3., 3.], [4., 4., 1., 1., 0.], [7., 8., 9., 7., 9.]]); torch.mode(m, 1)
        // torch.mode(torch.tensor([[1., 2.], [1., 3.], [2., 3.]]), 0)
        let md = mode(Tensor([[1.0, 2.0, 2.0, 3.0, 3.0], [4.0, 4.0, 1.0, 1.0, 0.0], [7.0, 8.0, 9.0, 7.0, 9.0]]), dim: 1)
        expectValues(md.values, [2, 1, 7], atol: 0); expectValues(md.indices, [2, 3, 3], atol: 0)
        let md0 = Tensor([[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]).mode(dim: 0)
        expectValues(md0.values, [1, 3], atol: 0); expectValues(md0.indices, [1, 2], atol: 0)
        // q = torch.tensor([[0., 1., 2., 3., 4.], [10., 30., 20., 50., 40.]], requires_grad=True)
        // torch.quantile(q, 0.3, dim=1), torch.quantile(q, 0.5), and each interpolation at 0.3 and 0.625
        let q = Tensor([[0.0, 1.0, 2.0, 3.0, 4.0], [10.0, 30.0, 20.0, 50.0, 40.0]]).requiresGrad_()
        expectValues(quantile(q, 0.3, dim: 1), [1.2000000476837158, 22.0])
        #expect(q.quantile(0.5).item() == 7)
        let expected: [String: ([Double], [Double])] = [
            "lower": ([1, 20], [2, 30]), "higher": ([2, 30], [3, 40]), "nearest": ([1, 20], [2, 30]), "midpoint": ([1.5, 25], [2.5, 35]),
        ]
        for (interp, (at3, at625)) in expected {
            expectValues(q.quantile(0.3, dim: 1, interpolation: interp), at3, atol: 1e-6)
            expectValues(q.quantile(0.625, dim: 1, interpolation: interp), at625, atol: 1e-6)
        }
        // torch.quantile(q, torch.tensor([0.1, 0.9]), dim=1, keepdim=True)
        expectValues(q.quantile([0.1, 0.9], dim: 1, keepDim: true), [0.4000000059604645, 14, 3.5999999046325684, 46], shape: [2, 2, 1])
        // qq = torch.quantile(q, 0.3, dim=1); qq.sum().backward(); q.grad
        q.quantile(0.3, dim: 1).sum().backward()
        expectValues(q.grad!, [0, 0.7999999523162842, 0.20000004768371582, 0, 0, 0, 0.20000004768371582, 0.7999999523162842, 0, 0])
        // torch.quantile(torch.tensor([1., nan, 3.]), 0.5), torch.nanquantile(torch.tensor([1., nan, 3., 4.]), 0.5)
        #expect(Tensor([1.0, .nan, 3.0]).quantile(0.5).item().isNaN)
        #expect(Tensor([1.0, .nan, 3.0, 4.0]).nanquantile(0.5).item() == 3)
    }

    @Test func binningMatchesPyTorch() {
        // torch.histc(torch.tensor([1., 2., 1., 2.5, 4., 10.]), bins=4, min=0, max=4)
        // torch.histc(torch.tensor([0.1, 0.2, 0.35, 0.9, 0.7, 0.3]), bins=3)
        expectValues(histc(Tensor([1.0, 2.0, 1.0, 2.5, 4.0, 10.0]), bins: 4, min: 0, max: 4), [0, 2, 2, 1], atol: 0)
        expectValues(Tensor([0.1, 0.2, 0.35, 0.9, 0.7, 0.3]).histc(bins: 3), [4, 0, 2], atol: 0)
        // s = torch.tensor([1, 3, 5, 7, 9]); vals = torch.tensor([[3, 6, 9], [3, 6, 9]])
        // torch.searchsorted(s, vals), (s, vals, right=True), (s, 5); s2 = [[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]], side='right'
        let s = Tensor([1, 3, 5, 7, 9]), vals = Tensor([[3, 6, 9], [3, 6, 9]])
        expectValues(searchsorted(s, vals), [1, 3, 4, 1, 3, 4], shape: [2, 3], dtype: .int64, atol: 0)
        expectValues(searchsorted(s, vals, right: true), [2, 3, 5, 2, 3, 5], atol: 0)
        #expect(searchsorted(s, 5).item() == 2)
        expectValues(searchsorted(Tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]), vals, side: "right"), [2, 3, 5, 1, 3, 4], atol: 0)
        // torch.bucketize(vals, s), torch.bucketize(torch.tensor([3, 6, 9]), s, right=True)
        expectValues(bucketize(vals, s), [1, 3, 4, 1, 3, 4], atol: 0)
        expectValues(bucketize(Tensor([3, 6, 9]), s, outInt32: true, right: true), [2, 3, 5], dtype: .int32, atol: 0)
    }

    @Test func indexingHelpersMatchPyTorch() {
        // r.index_fill(1, torch.tensor([0, 2]), -1.)
        let r = Tensor.arange(6.0).reshape(2, 3)
        expectValues(r.indexFill(dim: 1, index: Tensor([0, 2]), value: -1), [-1, 1, -1, -1, 4, -1], atol: 0)
        // t = torch.tensor([[10., 30., 20.], [60., 40., 50.]]); torch.take_along_dim(t, argmax(t, 1, keepdim=True), 1),
        // (t, argsort(t, 1), 1), (t, torch.tensor([5, 0]))
        let t = Tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
        expectValues(takeAlongDim(t, t.argmax(dim: 1, keepDim: true), dim: 1), [30, 60], shape: [2, 1], atol: 0)
        expectValues(t.takeAlongDim(t.argsort(dim: 1), dim: 1), [10, 20, 30, 40, 50, 60], atol: 0)
        expectValues(t.takeAlongDim(Tensor([5, 0])), [50, 10], atol: 0)
        // base = torch.tensor([1., 2., 3., 4.], requires_grad=True); src = torch.tensor([5., 1., 7., 2., 3., 9.], requires_grad=True)
        // ind = torch.tensor([0, 1, 0, 1, 2, 1]); for each reduce and include_self:
        //   o = base.scatter_reduce(0, ind, src, reduce=red, include_self=inc); (o * torch.tensor([1., 2., 3., 4.])).sum().backward()
        let cases: [(String, Bool, [Double], [Double], [Double])] = [
            ("sum", true, [13, 14, 6, 4], [1, 2, 3, 4], [1, 2, 1, 2, 3, 2]),
            ("sum", false, [12, 12, 3, 4], [0, 0, 0, 4], [1, 2, 1, 2, 3, 2]),
            ("prod", true, [35, 36, 9, 4], [35, 36, 9, 4], [7, 72, 5, 36, 9, 8]),
            ("prod", false, [35, 18, 3, 4], [0, 0, 0, 4], [7, 36, 5, 18, 3, 4]),
            ("mean", true, [4.333333492279053, 3.5, 3, 4], [0.3333333432674408, 0.5, 1.5, 4], [0.3333333432674408, 0.5, 0.3333333432674408, 0.5, 1.5, 0.5]),
            ("mean", false, [6, 4, 3, 4], [0, 0, 0, 4], [0.5, 0.6666666865348816, 0.5, 0.6666666865348816, 3, 0.6666666865348816]),
            ("amax", true, [7, 9, 3, 4], [0, 0, 1.5, 4], [0, 0, 1, 0, 1.5, 2]),
            ("amax", false, [7, 9, 3, 4], [0, 0, 0, 4], [0, 0, 1, 0, 1.5, 2]),
            ("amin", true, [1, 1, 3, 4], [1, 0, 1.5, 4], [0, 2, 0, 0, 1.5, 0]),
            ("amin", false, [5, 1, 3, 4], [0, 0, 0, 4], [1, 2, 0, 0, 1.5, 0]),
        ]
        let ind = Tensor([0, 1, 0, 1, 2, 1])
        for (red, inc, out, gBase, gSrc) in cases {
            let base = Tensor([1.0, 2.0, 3.0, 4.0]).requiresGrad_(), src = Tensor([5.0, 1.0, 7.0, 2.0, 3.0, 9.0]).requiresGrad_()
            let o = base.scatterReduce(dim: 0, index: ind, src: src, reduce: red, includeSelf: inc)
            expectValues(o, out, sourceLocation: #_sourceLocation)
            (o * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
            expectValues(base.grad!, gBase, atol: 1e-6)
            expectValues(src.grad!, gSrc, atol: 1e-6)
        }
    }

    @Test func shapeBuildersMatchPyTorch() {
        // torch.linalg.cross(torch.tensor([[1., 0., 0.], [1., 2., 3.]]), torch.tensor([[0., 1., 0.], [4., 5., 6.]]))
        expectValues(linalg.cross(Tensor([[1.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), Tensor([[0.0, 1.0, 0.0], [4.0, 5.0, 6.0]])), [0, 0, 1, -3, 6, -3], atol: 0)
        // torch.kron(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[0., 1.], [1., 0.]]))
        expectValues(kron(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([[0.0, 1.0], [1.0, 0.0]])),
                     [0, 1, 0, 2, 1, 0, 2, 0, 0, 3, 0, 4, 3, 0, 4, 0], shape: [4, 4], atol: 0)
        // A = torch.arange(60.).reshape(3, 4, 5); B = torch.arange(24.).reshape(4, 3, 2); torch.tensordot(A, B, dims=([1, 0], [0, 1]))
        let tdot = tensordot(Tensor.arange(60.0).reshape(3, 4, 5), Tensor.arange(24.0).reshape(4, 3, 2), dims: ([1, 0], [0, 1]))
        expectValues(tdot, [4400, 4730, 4532, 4874, 4664, 5018, 4796, 5162, 4928, 5306], shape: [5, 2], atol: 0)
        // torch.tensordot(torch.arange(6.).reshape(2, 3), torch.arange(12.).reshape(3, 4), dims=1)
        expectValues(tensordot(Tensor.arange(6.0).reshape(2, 3), Tensor.arange(12.0).reshape(3, 4), dims: 1), [20, 23, 26, 29, 56, 68, 80, 92], atol: 0)
        // torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5]))
        expectValues(cartesianProd(Tensor([1, 2]), Tensor([3, 4, 5])), [1, 3, 1, 4, 1, 5, 2, 3, 2, 4, 2, 5], shape: [6, 2], atol: 0)
        // torch.tril_indices(3, 3), torch.triu_indices(3, 4, 1), torch.tril_indices(4, 3, -1)
        expectValues(trilIndices(3, 3), [0, 1, 1, 2, 2, 2, 0, 0, 1, 0, 1, 2], shape: [2, 6], atol: 0)
        expectValues(triuIndices(3, 4, offset: 1), [0, 0, 0, 1, 1, 2, 1, 2, 3, 2, 3, 3], atol: 0)
        expectValues(trilIndices(4, 3, offset: -1), [1, 2, 2, 3, 3, 3, 0, 0, 1, 0, 1, 2], atol: 0)
        // torch.block_diag(torch.tensor([[1., 2.]]), torch.tensor(3.), torch.tensor([[4.], [5.]]))
        expectValues(blockDiag(Tensor([[1.0, 2.0]]), Tensor(3.0), Tensor([[4.0], [5.0]])),
                     [1, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 5], shape: [4, 4], atol: 0)
        // torch.column_stack([torch.tensor([1., 2.]), torch.tensor([[3., 4.], [5., 6.]])]); torch.dstack([[1., 2.], [3., 4.]])
        expectValues(columnStack([Tensor([1.0, 2.0]), Tensor([[3.0, 4.0], [5.0, 6.0]])]), [1, 3, 4, 2, 5, 6], shape: [2, 3], atol: 0)
        expectValues(dstack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]), [1, 3, 2, 4], shape: [1, 2, 2], atol: 0)
        let bt = broadcastTensors(Tensor.zeros(3, 1), Tensor.zeros(4))
        #expect(bt[0].shape == [3, 4] && bt[1].shape == [3, 4])
        // torch.linalg.vector_norm(A, dim=(0, 2)); M = [[1., -2.], [3., 4.]]: matrix_norm(M), (M, 1), (M, inf), linalg.norm(M), vector_norm(M, 1)
        expectValues(linalg.vectorNorm(Tensor.arange(60.0).reshape(3, 4, 5), dims: [0, 2]), [106.25440979003906, 122.3315200805664, 139.24798583984375, 156.7322540283203])
        let mat = Tensor([[1.0, -2.0], [3.0, 4.0]])
        expectValues(linalg.matrixNorm(mat), [5.4772257804870605])
        #expect(linalg.matrixNorm(mat, ord: 1).item() == 6)
        #expect(linalg.matrixNorm(mat, ord: .infinity).item() == 7)
        expectValues(linalg.norm(mat), [5.4772257804870605])
        #expect(linalg.vectorNorm(mat, ord: 1).item() == 10)
    }

    @Test func differencesMembershipAndCovarianceMatchPyTorch() {
        // x = torch.tensor([[1., 4., 9., 16.], [2., 3., 5., 8.]]); torch.diff(x), (x, n=2, dim=1), (x, dim=0),
        // torch.diff(x[0], prepend=torch.tensor([0.]), append=torch.tensor([20.])); torch.diff(torch.tensor([True, True, False, True]))
        let x = Tensor([[1.0, 4.0, 9.0, 16.0], [2.0, 3.0, 5.0, 8.0]])
        expectValues(diff(x), [3, 5, 7, 1, 2, 3], shape: [2, 3], atol: 0)
        expectValues(x.diff(n: 2, dim: 1), [2, 2, 1, 1], atol: 0)
        expectValues(x.diff(dim: 0), [1, -1, -4, -8], shape: [1, 4], atol: 0)
        expectValues(x[0].diff(prepend: Tensor([0.0]), append: Tensor([20.0])), [1, 3, 5, 7, 4], atol: 0)
        expectValues(Tensor([true, true, false, true]).diff(), [0, 1, 1], dtype: .bool, atol: 0)
        // torch.isin(torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3])), (torch.tensor([1, 2, 3]), torch.tensor([2]), invert=True)
        expectValues(isin(Tensor([[1, 2], [3, 4]]), Tensor([2, 3])), [0, 1, 1, 0], dtype: .bool, atol: 0)
        expectValues(Tensor([1, 2, 3]).isin(Tensor([2]), invert: true), [1, 0, 1], atol: 0)
        // torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True)
        let uc = Tensor([1, 1, 2, 2, 3, 1, 1, 2]).uniqueConsecutive(returnInverse: true, returnCounts: true)
        expectValues(uc.0, [1, 2, 3, 1, 2], dtype: .int64, atol: 0)
        expectValues(uc.1, [0, 0, 1, 1, 2, 3, 3, 4], atol: 0)
        expectValues(uc.2, [2, 2, 1, 2, 1], atol: 0)
        // torch.signbit(torch.tensor([-1., -0., 0., 2.])); torch.copysign(torch.tensor([1., -2., 3.]), torch.tensor([-1., 0., -0.]))
        // torch.heaviside(torch.tensor([-1.5, 0., 2.]), torch.tensor([0.5])); torch.float_power(torch.tensor([2, 3]), 2)
        expectValues(Tensor([-1.0, -0.0, 0.0, 2.0]).signbit(), [1, 1, 0, 0], atol: 0)
        expectValues(Tensor([1.0, -2.0, 3.0]).copysign(Tensor([-1.0, 0.0, -0.0])), [-1, 2, -3], atol: 0)
        expectValues(Tensor([-1.5, 0.0, 2.0]).heaviside(Tensor([0.5])), [0, 0.5, 1], atol: 0)
        expectValues(Tensor([2, 3]).floatPower(2), [4, 9], dtype: .float64, atol: 0)
        // torch.trapezoid(x), (x, dx=0.5, dim=0), (x, torch.tensor([0., 1., 3., 6.]))
        expectValues(trapezoid(x), [21.5, 13], atol: 1e-6)
        expectValues(trapezoid(x, dx: 0.5, dim: 0), [0.75, 1.75, 3.5, 6], atol: 1e-6)
        expectValues(trapezoid(x, Tensor([0.0, 1.0, 3.0, 6.0])), [53, 30], atol: 1e-5)
        // o = torch.tensor([[0., 1., 2., 4.], [3., 1., 0., -1.], [1., 1., 2., 2.]]); torch.cov(o), (o, correction=0)[0],
        // torch.cov(torch.tensor([1., 2., 4.])), torch.corrcoef(o)
        let o = Tensor([[0.0, 1.0, 2.0, 4.0], [3.0, 1.0, 0.0, -1.0], [1.0, 1.0, 2.0, 2.0]])
        expectValues(cov(o), [2.9166667461395264, -2.75, 0.8333333134651184, -2.75, 2.9166667461395264, -0.8333333134651184,
                              0.8333333134651184, -0.8333333134651184, 0.3333333432674408], atol: 1e-6)
        expectValues(cov(o, correction: 0)[0], [2.1875, -2.0625, 0.625], atol: 1e-6)
        expectValues(cov(Tensor([1.0, 2.0, 4.0])), [2.3333334922790527], shape: [], atol: 1e-6)
        expectValues(corrcoef(o), [0.9999999403953552, -0.9428570866584778, 0.8451542258262634, -0.9428570866584778, 0.9999999403953552,
                                   -0.8451542258262634, 0.8451542258262634, -0.8451542258262634, 1.0], atol: 1e-6)
        // torch.vander(torch.tensor([1., 2., 3.])), (…, N=2, increasing=True)
        expectValues(vander(Tensor([1.0, 2.0, 3.0])), [1, 1, 1, 4, 2, 1, 9, 3, 1], shape: [3, 3], atol: 0)
        expectValues(vander(Tensor([1.0, 2.0, 3.0]), n: 2, increasing: true), [1, 1, 1, 2, 1, 3], shape: [3, 2], atol: 0)
        #expect(special.expit(Tensor([0.0])).item() == 0.5)
    }
}
}
