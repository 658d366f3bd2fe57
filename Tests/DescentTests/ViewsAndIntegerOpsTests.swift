import Testing
import Foundation
import Descent

// What session 28's probe 24 (indexing, views, in-place, integer arithmetic) found: in-place writes
// through views of graph tensors (CopySlices), as_strided, the in-place shape ops, index_put_ with
// accumulate, index_copy_, masked_scatter_, integer bitwise ops and shifts, topk's tie order, and
// PyTorch's spellings. Expected values from PyTorch 2.13, the snippet beside each.
extension Core {
@Suite struct ViewsAndIntegerOpsTests {
    @Test func inPlaceThroughAViewIsRecordedOnItsBase() {
        // w = torch.tensor([1., 2., 3.], requires_grad=True); y = w * 2; y[1:].mul_(10)
        // y.grad_fn -> CopySlices, y -> [2, 40, 60]; y.sum().backward(); w.grad -> [2, 20, 20]
        let w = Tensor([1.0, 2.0, 3.0] as [Float], requiresGrad: true)
        let y = w * 2
        y[1...].mul_(10)
        #expect(y.gradFn == "CopySlices" && values(y) == [2, 40, 60])
        y.sum().backward()
        #expect(values(w.grad!) == [2, 20, 20])

        // w2 = torch.tensor([1., 2., 3., 4.], requires_grad=True); z = w2 * w2; v = z.view(2, 2)[:, 1]; v.mul_(w2[:2])
        // z -> [1, 4, 9, 32]; v.grad_fn -> AsStridedBackward0; z.grad_fn -> CopySlices
        // (z * torch.tensor([1., 2., 3., 4.])).sum().backward(); w2.grad -> [10, 72, 18, 64]
        let w2 = Tensor([1.0, 2.0, 3.0, 4.0] as [Float], requiresGrad: true)
        let z = w2 * w2
        let v = z.view(2, 2)[.all, 1]
        v.mul_(w2[..<2])
        #expect(values(z) == [1, 4, 9, 32] && v.gradFn == "AsStridedBackward0" && z.gradFn == "CopySlices")
        (z * Tensor([1.0, 2.0, 3.0, 4.0] as [Float])).sum().backward()
        #expect(values(w2.grad!) == [10, 72, 18, 64])

        // w3 = torch.tensor([5., 7.], requires_grad=True); q = torch.zeros(3); q[1:].add_(w3)
        // q.grad_fn -> CopySlices, q -> [0, 5, 7]; (q * torch.tensor([1., 2., 3.])).sum().backward(); w3.grad -> [2, 3]
        let w3 = Tensor([5.0, 7.0] as [Float], requiresGrad: true)
        let q = Tensor.zeros(3)
        q[1...].add_(w3)
        #expect(q.gradFn == "CopySlices" && values(q) == [0, 5, 7])
        (q * Tensor([1.0, 2.0, 3.0] as [Float])).sum().backward()
        #expect(values(w3.grad!) == [2, 3])
    }

    @Test func inPlaceOnAViewOfALeafThatRequiresGradStops() async {
        // w = torch.ones(3, requires_grad=True); w[0].mul_(2)
        // -> RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place operation.
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor.ones(3).requiresGrad_()
            w[0].mul_(2)
        }
        #expect(stderr(r).contains("a view of a leaf Variable that requires grad is being used in an in-place operation."))
    }

    @Test func asStridedViewsTheStorage() {
        // torch.arange(9.).as_strided([2, 2], [3, 1], 1) -> [[1, 2], [4, 5]]
        let x = Tensor.arange(9.0)
        #expect(values(x.asStrided([2, 2], [3, 1], storageOffset: 1)) == [1, 2, 4, 5])
        // xg = torch.arange(6., requires_grad=True); o = xg.as_strided([2, 3], [1, 1]) -> [[0, 1, 2], [1, 2, 3]], AsStridedBackward0
        // (o * torch.tensor([[1., 2., 3.], [4., 5., 6.]])).sum().backward(); xg.grad -> [1, 6, 8, 6, 0, 0]
        let xg = Tensor.arange(6.0).requiresGrad_()
        let o = asStrided(xg, [2, 3], [1, 1])
        #expect(values(o) == [0, 1, 2, 1, 2, 3] && o.gradFn == "AsStridedBackward0")
        (o * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] as [[Float]])).sum().backward()
        #expect(values(xg.grad!) == [1, 6, 8, 6, 0, 0])
        // a slice's data_ptr is its offset in bytes past its base's; storage_offset() counts elements
        let sl = x[2...]
        #expect(sl.dataPtr() - x.dataPtr() == 8 && sl.storageOffset() == 2 && x.view(3, 3).dataPtr() == x.dataPtr())
    }

    @Test func asStridedOutsideTheStorageStops() async {
        // torch.arange(9.).as_strided([3], [5])
        // -> setStorage: sizes [3], strides [5], storage offset 0, and itemsize 4 requiring a storage size of 44 are out of bounds for storage of size 36
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.arange(9.0).asStrided([3], [5])
        }
        #expect(stderr(r).contains("setStorage: sizes [3], strides [5], storage offset 0, and itemsize 4 requiring a storage size of 44 are out of bounds for storage of size 36"))
    }

    @Test func inPlaceShapeOpsAndEmptyContiguity() {
        // a = torch.zeros(2, 3); a.unsqueeze_(0) -> [1, 2, 3]; a.transpose_(0, 2) -> [3, 2, 1], stride (1, 3, 6); a.squeeze_(1) -> [3, 2, 1]
        let a = Tensor.zeros(2, 3)
        a.unsqueeze_(0)
        #expect(a.shape == [1, 2, 3])
        a.transpose_(0, 2)
        #expect(a.shape == [3, 2, 1] && a.stride() == [1, 3, 6])
        a.squeeze_(1)
        #expect(a.shape == [3, 2, 1])
        a.squeeze_()
        #expect(a.shape == [3, 2])
        let y = Tensor.arange(6.0).reshape(2, 3)
        y.t_()
        #expect(y.shape == [3, 2] && !y.isContiguous && values(y.contiguous()) == [0, 3, 1, 4, 2, 5])
        // torch.zeros(0, 3).t().is_contiguous(), torch.zeros(3, 0)[:, ::2].is_contiguous() -> True True
        #expect(Tensor.zeros(0, 3).t().isContiguous && Tensor.zeros(3, 0)[.all, .stride(by: 2)].isContiguous)
    }

    @Test func indexPutIndexCopyAndMaskedScatter() {
        // m = torch.zeros(3, 2); m.index_put_((torch.tensor([0, -1, 0]),), torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), accumulate=True)
        // -> [[6, 8], [0, 0], [3, 4]]
        let m = Tensor.zeros(3, 2)
        m.indexPut_([Tensor([0, -1, 0])], Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] as [[Float]]), accumulate: true)
        #expect(values(m) == [6, 8, 0, 0, 3, 4])
        // d = torch.zeros(2, 4); d.index_copy_(1, torch.tensor([3, 0]), torch.tensor([[1., 2.], [3., 4.]])) -> [[2, 0, 0, 1], [4, 0, 0, 3]]
        let d = Tensor.zeros(2, 4)
        d.indexCopy_(dim: 1, index: Tensor([3, 0]), source: Tensor([[1.0, 2.0], [3.0, 4.0]] as [[Float]]))
        #expect(values(d) == [2, 0, 0, 1, 4, 0, 0, 3])
        // t = torch.zeros(2, 3); t.masked_scatter_(torch.tensor([True, False, True]), torch.arange(10., 16.)) -> [[10, 0, 11], [12, 0, 13]]
        let t = Tensor.zeros(2, 3)
        t.maskedScatter_(Tensor([true, false, true]), Tensor.arange(10.0, 16.0))
        #expect(values(t) == [10, 0, 11, 12, 0, 13])
        // ww = torch.arange(6.).reshape(2, 3); ww[ww > 1] = torch.tensor([10., 20., 30., 40.]) -> [[0, 1, 10], [20, 30, 40]]
        let ww = Tensor.arange(6.0).reshape(2, 3)
        ww[ww .> 1] = Tensor([10.0, 20.0, 30.0, 40.0] as [Float])
        #expect(values(ww) == [0, 1, 10, 20, 30, 40])
    }

    @Test func integerBitwiseOpsAndShifts() {
        // p = torch.tensor([12, 10, -1]); q = torch.tensor([10, 6, 1])
        // p & q, p | q, p ^ q, ~p, p << 1, p >> 1 -> [8, 2, 1] [14, 14, -1] [6, 12, -2] [-13, -11, 0] [24, 20, -2] [6, 5, -1]
        let p = Tensor([12, 10, -1]), q = Tensor([10, 6, 1])
        #expect(ints(p & q) == [8, 2, 1] && ints(p | q) == [14, 14, -1] && ints(p ^ q) == [6, 12, -2])
        #expect(ints(~p) == [-13, -11, 0] && ints(p << 1) == [24, 20, -2] && ints(p >> 1) == [6, 5, -1])
        // torch.tensor([1, 2], dtype=torch.int32) << 31, torch.tensor([-8, 8]) >> 2, torch.tensor([1]) << 64, torch.tensor([-5]) >> 70
        // -> [-2147483648, 0] [-2, 2] [0] [-1]
        let s31 = Tensor([1, 2], dtype: .int32) << 31
        #expect(ints(s31) == [-2147483648, 0] && s31.dtype == .int32)
        #expect(ints(Tensor([-8, 8]) >> 2) == [-2, 2] && ints(Tensor([1]) << 64) == [0] && ints(Tensor([-5]) >> 70) == [-1])
        // torch.bitwise_not(torch.tensor([0, 255], dtype=torch.uint8)), uint8 [200] << 1, uint8 [200] >> 1 -> [255, 0] [144] [100]
        let u = Tensor([200], dtype: .uint8)
        #expect(ints(bitwiseNot(Tensor([0, 255], dtype: .uint8))) == [255, 0] && ints(u << 1) == [144] && ints(u >> 1) == [100])
        // dtypes: uint8 ^ uint8 -> uint8, int32 & int64 -> int64; torch.tensor([True, False]) | torch.tensor([2, 4]) -> [3, 4]
        #expect(bitwiseXor(Tensor([5], dtype: .uint8), Tensor([3], dtype: .uint8)).dtype == .uint8)
        #expect((Tensor([1, 2], dtype: .int32) & Tensor([3])).dtype == .int64 && ints(Tensor([true, false]) | Tensor([2, 4])) == [3, 4])
        // -torch.tensor([250, 5], dtype=torch.uint8) -> [6, 251]
        let neg = -Tensor([250, 5], dtype: .uint8)
        #expect(ints(neg) == [6, 251] && neg.dtype == .uint8)
    }

    @Test func topkOrdersTiesAsPyTorchsCPUKernel() {
        // tt = torch.tensor([1.0, 3.0, 3.0, 2.0, 3.0]); tt.topk(2).indices, tt.topk(3, sorted=False).indices, tt.topk(2, largest=False).indices
        // -> [2, 4] [2, 4, 1] [0, 3]
        let tt = Tensor([1.0, 3.0, 3.0, 2.0, 3.0] as [Float])
        #expect(ints(tt.topk(2).indices) == [2, 4] && ints(tt.topk(3, sorted: false).indices) == [2, 4, 1])
        #expect(ints(tt.topk(2, largest: false).indices) == [0, 3] && values(tt.topk(2).values) == [3, 3])
        // g = torch.Generator().manual_seed(0); r = torch.randint(0, 4, (3, 200), generator=g).float()
        // r.topk(3, dim=1).indices -> [[5, 1, 4], [10, 5, 2], [5, 1, 4]]  (partial_sort: k * 64 <= 200)
        // r.topk(2, dim=0).indices[:, :6] -> [[2, 0, 1, 1, 0, 0], [1, 2, 2, 0, 2, 1]]
        let g = Generator().manualSeed(0)
        let r = Tensor.randint(0, 4, [3, 200], generator: g).float()
        #expect(ints(r.topk(3, dim: 1).indices) == [5, 1, 4, 10, 5, 2, 5, 1, 4])
        #expect(ints(r.topk(2, dim: 0).indices[.all, ..<6]) == [2, 0, 1, 1, 0, 0, 1, 2, 2, 0, 2, 1])
        // n = torch.tensor([1., nan, 3., nan, 3.]); n.topk(3).indices, n.topk(2, largest=False).indices -> [1, 3, 4] [0, 2]
        let n = Tensor([1.0, .nan, 3.0, .nan, 3.0] as [Float])
        #expect(ints(n.topk(3).indices) == [1, 3, 4] && ints(n.topk(2, largest: false).indices) == [0, 2])
        // torch.tensor([[2, 2, 1, 2]]).topk(2).indices -> [[1, 3]]
        #expect(ints(Tensor([[2, 2, 1, 2]]).topk(2).indices) == [1, 3])
    }

    @Test func integerMeansClampNaNAndIntegerRemainders() {
        // torch.tensor([0, 0, 0]).scatter_reduce(0, torch.tensor([0, 0, 1]), torch.tensor([1, 2, 5]), reduce="mean") -> [1, 2, 0]
        // torch.tensor([-7, 7]).scatter_reduce(0, torch.tensor([0, 1]), torch.tensor([0, 0]), reduce="mean") -> [-4, 3]
        let s1 = Tensor([0, 0, 0]).scatterReduce(dim: 0, index: Tensor([0, 0, 1]), src: Tensor([1, 2, 5]), reduce: "mean")
        #expect(ints(s1) == [1, 2, 0] && s1.dtype == .int64)
        #expect(ints(Tensor([-7, 7]).scatterReduce(dim: 0, index: Tensor([0, 1]), src: Tensor([0, 0]), reduce: "mean")) == [-4, 3])
        // x = torch.tensor([1., nan, 3.], requires_grad=True); y = x.clamp(min=nan) -> [nan, nan, nan]; y.sum().backward(); x.grad -> [0, 0, 0]
        let x = Tensor([1.0, .nan, 3.0] as [Float], requiresGrad: true)
        let y = x.clamp(min: .nan)
        #expect(values(y).allSatisfy { $0.isNaN })
        y.sum().backward()
        #expect(values(x.grad!) == [0, 0, 0])
        // torch.tensor([7, -7]).fmod(3), .remainder(-3), -7 % torch.tensor([3, -3]) -> [1, -1] [-2, -1] [2, -1], int64
        let f = Tensor([7, -7]).fmod(3)
        #expect(ints(f) == [1, -1] && f.dtype == .int64 && ints(Tensor([7, -7]).remainder(-3)) == [-2, -1])
        // torch.tensor([1, 2, 4]).mean(dtype=torch.float32) -> 2.3333332538604736
        #expect(Tensor([1, 2, 4]).mean(dtype: .float32).item() == 2.3333332538604736)
    }

    @Test func matrixHelpersAndSpellings() {
        // torch.diag_embed(torch.tensor([[1, 2], [3, 4]])) -> [[[1, 0], [0, 2]], [[3, 0], [0, 4]]]
        let de = diagEmbed(Tensor([[1, 2], [3, 4]]))
        #expect(de.shape == [2, 2, 2] && ints(de) == [1, 0, 0, 2, 3, 0, 0, 4])
        // torch.diag_embed(torch.tensor([1., 2.]), offset=-1) -> [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
        #expect(values(diagEmbed(Tensor([1.0, 2.0] as [Float]), offset: -1)) == [0, 0, 0, 1, 0, 0, 0, 2, 0])
        // torch.diag_embed(torch.tensor([[1., 2.]]), dim1=0, dim2=2) -> [[[1, 0]], [[0, 2]]]
        let d02 = diagEmbed(Tensor([[1.0, 2.0]] as [[Float]]), dim1: 0, dim2: 2)
        #expect(d02.shape == [2, 1, 2] && values(d02) == [1, 0, 0, 2])
        // torch.combinations(torch.tensor([1, 2, 3, 4]), r=3); (torch.tensor([1, 2, 3]), with_replacement=True); torch.combinations(torch.tensor([1, 2]), r=3).shape
        // -> [[1, 2, 3], [1, 2, 4], [1, 3, 4], [2, 3, 4]] [[1, 1], [1, 2], [1, 3], [2, 2], [2, 3], [3, 3]] [0, 3]
        #expect(ints(combinations(Tensor([1, 2, 3, 4]), r: 3)) == [1, 2, 3, 1, 2, 4, 1, 3, 4, 2, 3, 4])
        #expect(ints(combinations(Tensor([1, 2, 3]), withReplacement: true)) == [1, 1, 1, 2, 1, 3, 2, 2, 2, 3, 3, 3])
        #expect(combinations(Tensor([1, 2]), r: 3).shape == [0, 3])
        // x = torch.tensor([1., 2., 3.], requires_grad=True); c = torch.combinations(x); (c[:, 0] * c[:, 1]).sum().backward(); x.grad -> [5, 4, 3]
        let xc = Tensor([1.0, 2.0, 3.0] as [Float], requiresGrad: true)
        let c = combinations(xc)
        (c[.all, 0] * c[.all, 1]).sum().backward()
        #expect(values(xc.grad!) == [5, 4, 3])
        // torch.msort(torch.tensor([[3, 1], [1, 2], [2, 0]])) -> [[1, 0], [2, 1], [3, 2]]
        #expect(ints(msort(Tensor([[3, 1], [1, 2], [2, 0]]))) == [1, 0, 2, 1, 3, 2])
        // r6 = torch.arange(6).reshape(2, 3); r6.roll(1), r6.roll(1, 1), r6.roll(-1, dims=0), r6.rot90(1, [1, 0])
        // -> [[5, 0, 1], [2, 3, 4]] [[2, 0, 1], [5, 3, 4]] [[3, 4, 5], [0, 1, 2]] [[3, 0], [4, 1], [5, 2]]
        let r6 = Tensor.arange(6).reshape(2, 3)
        #expect(ints(r6.roll(1)) == [5, 0, 1, 2, 3, 4] && ints(r6.roll(1, 1)) == [2, 0, 1, 5, 3, 4])
        #expect(ints(r6.roll(-1, dims: 0)) == [3, 4, 5, 0, 1, 2] && ints(r6.rot90(1, [1, 0])) == [3, 0, 4, 1, 5, 2])
        // torch.tensor([[3., 1., 2.], [9., 7., 8.]]).kthvalue(1, 0).values, torch.tensor([1., 3., 2., 3., 0.]).cummin(0).indices -> [3, 1, 2] [0, 0, 0, 0, 4]
        #expect(values(Tensor([[3.0, 1.0, 2.0], [9.0, 7.0, 8.0]] as [[Float]]).kthvalue(1, 0).values) == [3, 1, 2])
        #expect(ints(Tensor([1.0, 3.0, 2.0, 3.0, 0.0] as [Float]).cummin(0).indices) == [0, 0, 0, 0, 4])
        // u = torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]); torch.unique_consecutive(u), (..., return_counts=True), u.unique_consecutive(return_inverse=True)
        // -> [1, 2, 3, 1, 2] ([1, 2, 3, 1, 2], [2, 2, 1, 2, 1]) ([1, 2, 3, 1, 2], [0, 0, 1, 1, 2, 3, 3, 4])
        let u = Tensor([1, 1, 2, 2, 3, 1, 1, 2])
        let (uv, uc) = uniqueConsecutive(u, returnCounts: true)
        let (_, ui) = u.uniqueConsecutive(returnInverse: true)
        #expect(ints(uniqueConsecutive(u)) == [1, 2, 3, 1, 2] && ints(uv) == [1, 2, 3, 1, 2] && ints(uc) == [2, 2, 1, 2, 1])
        #expect(ints(ui) == [0, 0, 1, 1, 2, 3, 3, 4])
    }
}
}
