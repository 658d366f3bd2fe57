import Testing
import Descent

extension Core {
@Suite struct Creation {
    @Test func nestedFloatArraysAreFloat32() {
        // PyTorch: a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        let a = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        // PyTorch: a.dtype
        #expect(a.dtype == .float32)
        // PyTorch: list(a.shape)
        #expect(a.shape == [2, 3])
        // PyTorch: list(a.stride())
        #expect(a.strides == [3, 1])
        #expect(a.isContiguous)
        // PyTorch: a.numel(); a.dim()
        #expect(a.count == 6 && a.rank == 2)
        // PyTorch: a
        #expect(values(a) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        #expect(a.device == .cpu)
        // PyTorch: c = torch.tensor([[0.0], [0.1]])
        let c = Tensor([[0.0], [0.1]])
        // PyTorch: list(c.shape)
        #expect(c.shape == [2, 1])
        // PyTorch: c
        #expect(values(c) == [0.0, 0.10000000149011612])
        // PyTorch: d = torch.zeros(2, 3, 4)
        // PyTorch: list(d.stride())
        #expect(Tensor.zeros(2, 3, 4).strides == [12, 4, 1])
    }

    @Test func integerAndBoolLiterals() {
        // PyTorch: i = torch.tensor([[1, 2], [3, -4]])
        let i = Tensor([[1, 2], [3, -4]])
        // PyTorch: i.dtype
        #expect(i.dtype == .int64)
        // PyTorch: i
        #expect(ints(i) == [1, 2, 3, -4])
        // PyTorch: b = torch.tensor([True, False, True])
        let b = Tensor([true, false, true])
        // PyTorch: b.dtype
        #expect(b.dtype == .bool)
        // PyTorch: b
        #expect(bools(b) == [true, false, true])
        // PyTorch: s = torch.tensor(3.14, requires_grad=True)
        let s = Tensor(3.14, requiresGrad: true)
        // PyTorch: list(s.shape)
        #expect(s.shape == [])
        // PyTorch: s.dtype
        #expect(s.dtype == .float32)
        #expect(s.requiresGrad && s.isLeaf)
        // PyTorch: s.item()
        #expect(s.item() == 3.140000104904175)
        // PyTorch: z = torch.tensor(2.5); t = torch.tensor(0.1)
        // PyTorch: z.dtype; list(z.shape); z.item()
        #expect(Tensor(2.5).dtype == .float32 && Tensor(2.5).shape == [] && Tensor(2.5).item() == 2.5)
        // PyTorch: t.item(); t.double().item()
        #expect(Tensor(0.1).item() == 0.10000000149011612 && Tensor(0.1).double().item() == 0.10000000149011612)
        // PyTorch: n = torch.tensor(7)
        // PyTorch: n.dtype; n.item()
        #expect(Tensor(7).dtype == .int64 && Tensor(7).item() == 7)
        // PyTorch: e = torch.tensor([0, 1, 2], dtype=torch.int64)
        let e = Tensor([0, 1, 2], dtype: .int64)
        // PyTorch: e.dtype; e
        #expect(e.dtype == .int64 && ints(e) == [0, 1, 2])
        // PyTorch: f = torch.tensor([0, 1, 2], dtype=torch.float32)
        let f = Tensor([0, 1, 2], dtype: .float32)
        // PyTorch: f.dtype; f
        #expect(f.dtype == .float32 && values(f) == [0.0, 1.0, 2.0])
        // PyTorch: g = torch.tensor([1.5, -2.25], dtype=torch.float64)
        let g = Tensor([1.5, -2.25], dtype: .float64)
        // PyTorch: g.dtype; g
        #expect(g.dtype == .float64 && values(g) == [1.5, -2.25])
        let flat = Tensor(flat: [Float(1), 2, 3, 4, 5, 6], shape: [3, 2])
        #expect(flat.shape == [3, 2] && flat.dtype == .float32 && values(flat[2]) == [5, 6])
    }

    @Test func dtypeNamesPrint() {
        // The bare names lecture 03's PyTorch twin prints for `print(train.data.dtype)` ("uint8", "int64").
        #expect("\(DType.float32)" == "float32")
        #expect("\(DType.float64)" == "float64")
        #expect("\(DType.int64)" == "int64")
        #expect(DType.float32.name == "float32")
        #expect("\(DType.uint8)" == "uint8")
        #expect("\(DType.bool)" == "bool")
        #expect("\(Device.cpu)" == "cpu" && "\(Device.cuda(0))" == "cuda:0" && Tensor.zeros(1).device == .cpu)
        #expect(DType.float32.itemSize == 4 && DType.int64.itemSize == 8 && DType.uint8.itemSize == 1)
    }

    @Test func uint8DividedBy255IsFloat32() {
        // PyTorch: u = torch.tensor([0, 1, 128, 255], dtype=torch.uint8); r = u / 255
        let u = Tensor([0, 1, 128, 255], dtype: .uint8)
        let r = u / 255
        // PyTorch: r.dtype
        #expect(r.dtype == .float32)
        // PyTorch: r
        #expect(floatBits(r) == floatBits([0.0, 0.003921568859368563, 0.501960813999176, 1.0]))
        // PyTorch: r2 = u.float() / 255
        #expect(floatBits(u.float() / 255) == floatBits([0.0, 0.003921568859368563, 0.501960813999176, 1.0]))
        #expect(ints(u) == [0, 1, 128, 255])
    }

    @Test func viewsOfStridedTensorsFollowPyTorch() {
        // x = torch.arange(24.).reshape(2,3,4).transpose(0,1); v = x.view(3,2,2,2); v.stride(), v[1,1,0]
        // torch.arange(6.).reshape(2,3).t().view(3,1,2).stride(); torch.tensor([1.,2.,3.]).expand(4,3).view(2,2,3).stride()
        let x = Tensor.arange(24.0).reshape(2, 3, 4).transpose(0, 1)
        let v = x.view(3, 2, 2, 2)
        #expect(v.strides == [4, 12, 2, 1] && !v.isContiguous)
        #expect(v[1, 1, 0].toArray(Float.self) == [16, 17])
        _ = v.fill_(0)   // a view: writes reach x
        #expect(x.sum().item() == 0)
        let w = Tensor.arange(6.0).reshape(2, 3).t().view(3, 1, 2)
        #expect(w.strides == [1, 6, 3] && w.flatten().toArray(Float.self) == [0, 3, 1, 4, 2, 5])
        #expect(Tensor([1.0, 2.0, 3.0]).expand(4, 3).view(2, 2, 3).strides == [0, 0, 1])
    }

    @Test func factories() {
        // PyTorch: z = torch.zeros(2, 3)
        let z = Tensor.zeros(2, 3)
        // PyTorch: list(z.shape); z.dtype; z
        #expect(z.shape == [2, 3] && z.dtype == .float32 && values(z) == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        // PyTorch: o = torch.ones([3], dtype=torch.int64)
        let o = Tensor.ones([3], dtype: .int64)
        // PyTorch: o.dtype; o
        #expect(o.dtype == .int64 && ints(o) == [1, 1, 1])
        // PyTorch: fu = torch.full((2, 2), 7.5)
        let fu = Tensor.full([2, 2], 7.5)
        // PyTorch: list(fu.shape); fu
        #expect(fu.shape == [2, 2] && values(fu) == [7.5, 7.5, 7.5, 7.5])
        let fu2 = Tensor.full(3, 1, value: -2.0)
        #expect(fu2.shape == [3, 1] && values(fu2) == [-2, -2, -2])
        // PyTorch: torch.full((2, 3), 7).dtype is torch.int64 (an integer fill value)
        let fu3 = Tensor.full([2, 3], 7)
        #expect(fu3.dtype == .int64 && ints(fu3) == [7, 7, 7, 7, 7, 7])
        #expect(Tensor.full([2], 7, dtype: .float32).dtype == .float32)
        // PyTorch: em = torch.empty(4, 5)
        let em = Tensor.empty(4, 5)
        // PyTorch: list(em.shape); em.dtype
        #expect(em.shape == [4, 5] && em.dtype == .float32)
        #expect(Tensor.empty([2, 2], dtype: .int64).dtype == .int64)
        // PyTorch: src = torch.tensor([[1, 2, 3]])
        let src = Tensor([[1, 2, 3]])
        // PyTorch: zl = torch.zeros_like(src); ol = torch.ones_like(src)
        // PyTorch: zl.dtype; zl
        #expect(Tensor.zerosLike(src).dtype == .int64 && ints(Tensor.zerosLike(src)) == [0, 0, 0])
        // PyTorch: list(ol.shape); ol
        #expect(Tensor.onesLike(src).shape == [1, 3] && ints(Tensor.onesLike(src)) == [1, 1, 1])
        #expect(Tensor.onesLike(src, dtype: .float32).dtype == .float32)
    }

    @Test func arangeLinspaceEye() {
        // PyTorch: a = torch.arange(5)
        let a = Tensor.arange(5)
        // PyTorch: a.dtype; a
        #expect(a.dtype == .int64 && ints(a) == [0, 1, 2, 3, 4])
        // PyTorch: b = torch.arange(1, 10, 3)
        #expect(ints(Tensor.arange(1, 10, 3)) == [1, 4, 7])
        // PyTorch: c = torch.arange(10, 0, -3)
        #expect(ints(Tensor.arange(10, 0, -3)) == [10, 7, 4, 1])
        // PyTorch: d = torch.arange(0.0, 1.0, 0.25)
        let d = Tensor.arange(0.0, 1.0, 0.25)
        // PyTorch: d.dtype; d
        #expect(d.dtype == .float32 && values(d) == [0.0, 0.25, 0.5, 0.75])
        // PyTorch: d2 = torch.arange(0.0, 1.0, 0.1); d3 = torch.arange(-1.0, 2.0, 0.3)
        #expect(floatBits(Tensor.arange(0.0, 1.0, 0.1)) == floatBits([0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5, 0.6000000238418579, 0.699999988079071, 0.800000011920929, 0.8999999761581421]))
        // PyTorch: d3
        #expect(floatBits(Tensor.arange(-1.0, 2.0, 0.3)) == floatBits([-1.0, -0.699999988079071, -0.4000000059604645, -0.10000000149011612, 0.20000000298023224, 0.5, 0.800000011920929, 1.100000023841858, 1.399999976158142, 1.7000000476837158]))
        // PyTorch: l = torch.linspace(0, 1, 5)
        let l = Tensor.linspace(0, 1, count: 5)
        // PyTorch: l.dtype; l
        #expect(l.dtype == .float32 && values(l) == [0.0, 0.25, 0.5, 0.75, 1.0])
        // PyTorch: l2 = torch.linspace(-10, 10, 1000)
        let l2 = Tensor.linspace(-10, 10, count: 1000)
        // PyTorch: list(l2.shape)
        #expect(l2.shape == [1000])
        // bit-exact: PyTorch computes from both ends in float
        // PyTorch: l2i = l2[[0, 1, 2, 333, 499, 500, 501, 998, 999]]
        #expect(floatBits(l2[Tensor([0, 1, 2, 333, 499, 500, 501, 998, 999])]) == floatBits([-10.0, -9.979979515075684, -9.959959983825684, -3.3333334922790527, -0.010010387748479843, 0.010010387748479843, 0.03003040701150894, 9.979979515075684, 10.0]))
        // PyTorch: l100 = torch.linspace(0, 1, 100)
        #expect(floatBits(Tensor.linspace(0, 1, count: 100)) == floatBits([0.0, 0.010101010091602802, 0.020202020183205605, 0.03030303120613098, 0.04040404036641121, 0.05050504952669144, 0.06060606241226196, 0.07070706784725189, 0.08080808073282242, 0.09090909361839294, 0.10101009905338287, 0.1111111119389534, 0.12121212482452393, 0.13131313025951385, 0.14141413569450378, 0.1515151560306549, 0.16161616146564484, 0.17171716690063477, 0.1818181872367859, 0.19191919267177582, 0.20202019810676575, 0.21212121844291687, 0.2222222238779068, 0.23232322931289673, 0.24242424964904785, 0.2525252401828766, 0.2626262605190277, 0.27272728085517883, 0.28282827138900757, 0.2929292917251587, 0.3030303120613098, 0.31313130259513855, 0.3232323229312897, 0.3333333432674408, 0.34343433380126953, 0.35353535413742065, 0.3636363744735718, 0.3737373650074005, 0.38383838534355164, 0.39393940567970276, 0.4040403962135315, 0.4141414165496826, 0.42424243688583374, 0.4343434274196625, 0.4444444477558136, 0.4545454680919647, 0.46464645862579346, 0.4747474789619446, 0.4848484992980957, 0.49494948983192444, 0.5050504803657532, 0.5151515007019043, 0.5252525210380554, 0.5353535413742065, 0.5454545617103577, 0.5555555820465088, 0.5656565427780151, 0.5757575631141663, 0.5858585834503174, 0.5959596037864685, 0.6060606241226196, 0.6161616444587708, 0.6262626051902771, 0.6363636255264282, 0.6464646458625793, 0.6565656661987305, 0.6666666865348816, 0.6767677068710327, 0.6868686676025391, 0.6969696879386902, 0.7070707082748413, 0.7171717286109924, 0.7272727489471436, 0.7373737096786499, 0.747474730014801, 0.7575757503509521, 0.7676767706871033, 0.7777777910232544, 0.7878788113594055, 0.7979797720909119, 0.808080792427063, 0.8181818127632141, 0.8282828330993652, 0.8383838534355164, 0.8484848737716675, 0.8585858345031738, 0.868686854839325, 0.8787878751754761, 0.8888888955116272, 0.8989899158477783, 0.9090909361839294, 0.9191918969154358, 0.9292929172515869, 0.939393937587738, 0.9494949579238892, 0.9595959782600403, 0.9696969985961914, 0.9797979593276978, 0.9898989796638489, 1.0]))
        // PyTorch: l64 = torch.linspace(-1e3, 3.3, 777, dtype=torch.float64)[[0, 5, 100, 387, 388, 389, 500, 700, 776]]
        let l64 = Tensor.linspace(-1e3, 3.3, count: 777, dtype: .float64)
        // PyTorch: l64
        #expect(l64.dtype == .float64 && values(l64[Tensor([0, 5, 100, 387, 388, 389, 500, 700, 776])]) == [-1000.0, -993.5354381443299, -870.7087628865979, -499.64291237113406, -498.34999999999997, -497.05708762886593, -353.5438144329896, -94.96134020618555, 3.3])
        // PyTorch: l3 = torch.linspace(0.1, 0.7, 7)
        #expect(floatBits(Tensor.linspace(0.1, 0.7, count: 7)) == floatBits([0.10000000149011612, 0.19999998807907104, 0.29999998211860657, 0.4000000059604645, 0.5, 0.6000000238418579, 0.699999988079071]))
        // PyTorch: e = torch.eye(3)
        let e = Tensor.eye(3)
        // PyTorch: list(e.shape); e
        #expect(e.shape == [3, 3] && values(e) == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
        // PyTorch: e2 = torch.eye(2, 3)
        // PyTorch: e2; list(e2.shape)
        #expect(values(Tensor.eye(2, 3)) == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0] && Tensor.eye(2, 3).shape == [2, 3])
    }

    @Test func oneHotEncoding() {
        // PyTorch: y = torch.tensor([2, 1, 2, 2, 0]); oh = F.one_hot(y)
        let y = Tensor([2, 1, 2, 2, 0])
        let oh = oneHot(y)
        // PyTorch: list(oh.shape); oh.dtype
        #expect(oh.shape == [5, 3] && oh.dtype == .int64)
        // PyTorch: oh
        #expect(ints(oh) == [0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0])
        // PyTorch: oh2 = F.one_hot(torch.tensor([[0, 3], [1, 1]]), num_classes=5)
        let oh2 = oneHot(Tensor([[0, 3], [1, 1]]), numClasses: 5)
        // PyTorch: list(oh2.shape); oh2
        #expect(oh2.shape == [2, 2, 5] && ints(oh2) == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test func contiguityAndStrides() {
        // PyTorch: x = torch.arange(24).reshape(2, 3, 4); p = x.permute(2, 0, 1)
        let x = Tensor.arange(24).reshape(2, 3, 4)
        let p = x.permute(2, 0, 1)
        // PyTorch: list(p.shape); list(p.stride())
        #expect(p.shape == [4, 2, 3] && p.strides == [1, 12, 4])
        // PyTorch: p.is_contiguous()
        #expect(p.isContiguous == false)
        let pc = p.contiguous()
        // PyTorch: list(p.contiguous().stride())
        #expect(pc.isContiguous && pc.strides == [6, 3, 1])
        // PyTorch: p
        #expect(ints(pc) == [0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23])
        // PyTorch: s = x[:, 1]
        // PyTorch: s.is_contiguous(); list(s.stride())
        #expect(x[.all, 1].isContiguous == false && x[.all, 1].strides == [12, 1])
        // PyTorch: u = x[:, :, :1]
        // PyTorch: u.is_contiguous()
        #expect(x[.all, .all, 0..<1].isContiguous == false)
    }
}

@Suite struct ShapeOps {
    // PyTorch: x = torch.arange(12.0).reshape(3, 4)
    let x = Tensor.arange(0.0, 12.0).reshape(3, 4)

    @Test func reshapeAndView() {
        // PyTorch: r = torch.tensor([0.0, 0.1, 0.2]).reshape(-1, 1)
        let r = Tensor([0.0, 0.1, 0.2]).reshape(-1, 1)
        // PyTorch: list(r.shape)
        #expect(r.shape == [3, 1])
        // PyTorch: v = x.view(2, -1)
        let v = x.view(2, -1)
        // PyTorch: list(v.shape); v
        #expect(v.shape == [2, 6] && values(v) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
        // PyTorch: v2 = x.view(12)
        // PyTorch: list(v2.shape)
        #expect(x.view([12]).shape == [12])
        // PyTorch: rt = x.t().reshape(-1)
        let rt = x.t().reshape(-1)
        // PyTorch: rt
        #expect(values(rt) == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0])
        // PyTorch: fl = torch.arange(24).reshape(2, 3, 4).flatten()
        // PyTorch: list(fl.shape)
        #expect(Tensor.arange(24).reshape(2, 3, 4).flatten().shape == [24])
        // PyTorch: fl1 = torch.arange(24).reshape(2, 3, 4).flatten(1)
        // PyTorch: list(fl1.shape)
        #expect(Tensor.arange(24).reshape(2, 3, 4).flatten(startDim: 1).shape == [2, 12])
        // PyTorch: fl2 = torch.arange(24).reshape(2, 3, 4).flatten(0, 1)
        // PyTorch: list(fl2.shape)
        #expect(Tensor.arange(24).reshape(2, 3, 4).flatten(startDim: 0, endDim: 1).shape == [6, 4])
    }

    @Test func squeezeUnsqueeze() {
        // PyTorch: a = torch.zeros(1, 3, 1, 2)
        let a = Tensor.zeros(1, 3, 1, 2)
        // PyTorch: s = a.squeeze()
        // PyTorch: list(s.shape)
        #expect(a.squeeze().shape == [3, 2])
        // PyTorch: s2 = a.squeeze(2)
        // PyTorch: list(s2.shape)
        #expect(a.squeeze(dim: 2).shape == [1, 3, 2])
        // PyTorch: s3 = a.squeeze(1)
        // PyTorch: list(s3.shape)
        #expect(a.squeeze(dim: 1).shape == [1, 3, 1, 2])
        // PyTorch: u0 = x.unsqueeze(0); u1 = x.unsqueeze(-1); u2 = x.unsqueeze(1)
        // PyTorch: list(u0.shape)
        #expect(x.unsqueeze(0).shape == [1, 3, 4])
        // PyTorch: list(u1.shape)
        #expect(x.unsqueeze(-1).shape == [3, 4, 1])
        // PyTorch: list(u2.shape); u2
        #expect(x.unsqueeze(1).shape == [3, 1, 4] && values(x.unsqueeze(1)) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    }

    @Test func transposePermuteT() {
        // PyTorch: t = x.transpose(0, 1)
        let t = x.transpose(0, 1)
        // PyTorch: list(t.shape); t
        #expect(t.shape == [4, 3] && values(t) == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0])
        // PyTorch: x.T; x.t()
        #expect(values(x.T) == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0] && values(x.t()) == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0])
        // PyTorch: y = torch.arange(24.0).reshape(2, 3, 4); p = y.permute(1, 2, 0)
        let y = Tensor.arange(0.0, 24.0).reshape(2, 3, 4)
        let p = y.permute(1, 2, 0)
        // PyTorch: list(p.shape); p
        #expect(p.shape == [3, 4, 2] && values(p) == [0.0, 12.0, 1.0, 13.0, 2.0, 14.0, 3.0, 15.0, 4.0, 16.0, 5.0, 17.0, 6.0, 18.0, 7.0, 19.0, 8.0, 20.0, 9.0, 21.0, 10.0, 22.0, 11.0, 23.0])
        // PyTorch: yT = y.permute(2, 1, 0)
        // PyTorch: list(yT.shape); yT
        #expect(y.T.shape == [4, 3, 2] && values(y.T) == [0.0, 12.0, 4.0, 16.0, 8.0, 20.0, 1.0, 13.0, 5.0, 17.0, 9.0, 21.0, 2.0, 14.0, 6.0, 18.0, 10.0, 22.0, 3.0, 15.0, 7.0, 19.0, 11.0, 23.0])
        // PyTorch: tn = y.transpose(-1, 0)
        #expect(values(y.transpose(-1, 0)) == [0.0, 12.0, 4.0, 16.0, 8.0, 20.0, 1.0, 13.0, 5.0, 17.0, 9.0, 21.0, 2.0, 14.0, 6.0, 18.0, 10.0, 22.0, 3.0, 15.0, 7.0, 19.0, 11.0, 23.0])
        // PyTorch: mt = y.mT
        // PyTorch: list(mt.shape); mt
        #expect(y.mT.shape == [2, 4, 3] && values(y.mT) == [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0, 12.0, 16.0, 20.0, 13.0, 17.0, 21.0, 14.0, 18.0, 22.0, 15.0, 19.0, 23.0])
    }

    @Test func concatAndStack() {
        // PyTorch: a = torch.tensor([[1.0, 2.0], [3.0, 4.0]]); b = torch.tensor([[5.0, 6.0]])
        let a = Tensor([[1.0, 2.0], [3.0, 4.0]])
        let b = Tensor([[5.0, 6.0]])
        // PyTorch: c0 = torch.cat([a, b], dim=0)
        let c0 = concat([a, b], dim: 0)
        // PyTorch: list(c0.shape); c0
        #expect(c0.shape == [3, 2] && values(c0) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        // PyTorch: c1 = torch.cat([a, b.t(), a], dim=1)
        let c1 = concat([a, b.t(), a], dim: 1)
        // PyTorch: list(c1.shape); c1
        #expect(c1.shape == [2, 5] && values(c1) == [1.0, 2.0, 5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 3.0, 4.0])
        // PyTorch: cneg = torch.cat([a, a], dim=-1)
        #expect(values(cat([a, a], dim: -1)) == [1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0])
        // PyTorch: s0 = torch.stack([a, a * 2], dim=0); s1 = torch.stack([a, a * 2], dim=1); s2 = torch.stack([a, a * 2], dim=-1)
        let s0 = stack([a, a * 2], dim: 0), s1 = stack([a, a * 2], dim: 1), s2 = stack([a, a * 2], dim: -1)
        // PyTorch: list(s0.shape); s0
        #expect(s0.shape == [2, 2, 2] && values(s0) == [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0])
        // PyTorch: list(s1.shape); s1
        #expect(s1.shape == [2, 2, 2] && values(s1) == [1.0, 2.0, 2.0, 4.0, 3.0, 4.0, 6.0, 8.0])
        // PyTorch: list(s2.shape); s2
        #expect(s2.shape == [2, 2, 2] && values(s2) == [1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0])
        // PyTorch: ci = torch.cat([torch.arange(10).float().reshape(-1, 1), torch.tensor([1.0] * 5 + [0.0] * 5).reshape(-1, 1)], dim=1)
        let ci = concat([Tensor(Array(0..<10)).float().reshape(-1, 1), Tensor([Double](repeating: 1, count: 5) + [Double](repeating: 0, count: 5)).reshape(-1, 1)], dim: 1)
        // PyTorch: list(ci.shape); ci
        #expect(ci.shape == [10, 2] && values(ci) == [0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0, 1.0, 5.0, 0.0, 6.0, 0.0, 7.0, 0.0, 8.0, 0.0, 9.0, 0.0])
    }

    @Test func splitChunkNarrowExpand() {
        // PyTorch: n = x.narrow(1, 1, 2)
        #expect(values(x.narrow(dim: 1, start: 1, length: 2)) == [1.0, 2.0, 5.0, 6.0, 9.0, 10.0])
        // PyTorch: sp = x.split(2, dim=1)
        let sp = x.split(2, dim: 1)
        // PyTorch: len(sp); sp[1]
        #expect(sp.count == 2 && values(sp[1]) == [2.0, 3.0, 6.0, 7.0, 10.0, 11.0])
        // PyTorch: ch = x.chunk(2, dim=0)
        let ch = x.chunk(2, dim: 0)
        // PyTorch: [list(c.shape) for c in ch]
        #expect(ch.map(\.shape) == [[2, 4], [1, 4]])
        // PyTorch: e = torch.tensor([[1.0], [2.0]]).expand(2, 3)
        let e = Tensor([[1.0], [2.0]]).expand(2, 3)
        // PyTorch: list(e.shape); e; list(e.stride())
        #expect(e.shape == [2, 3] && values(e) == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0] && e.strides == [1, 0])
    }
}

@Suite struct Indexing {
    // PyTorch: x = torch.arange(12).reshape(3, 4)
    let x = Tensor.arange(12).reshape(3, 4)

    @Test func rangesAndSteps() {
        // PyTorch: a = x[0:2]
        // PyTorch: list(a.shape); a
        #expect(x[0..<2].shape == [2, 4] && ints(x[0..<2]) == [0, 1, 2, 3, 4, 5, 6, 7])
        // PyTorch: b = x[::2]
        // PyTorch: list(b.shape); b
        #expect(x[.stride(by: 2)].shape == [2, 4] && ints(x[.stride(by: 2)]) == [0, 1, 2, 3, 8, 9, 10, 11])
        // PyTorch: c = x[:, 0]
        // PyTorch: list(c.shape); c
        #expect(x[.all, 0].shape == [3] && ints(x[.all, 0]) == [0, 4, 8])
        // PyTorch: d = x[0, 0:4]
        #expect(ints(x[0, 0..<4]) == [0, 1, 2, 3])
        // PyTorch: e = x[1, 1:3]
        #expect(ints(x[1, 1...2]) == [5, 6])
        // PyTorch: f = x[1:, :2]
        // PyTorch: list(f.shape); f
        #expect(x[1..., ..<2].shape == [2, 2] && ints(x[1..., ..<2]) == [4, 5, 8, 9])
        // PyTorch: g = x[-1]
        #expect(ints(x[-1]) == [8, 9, 10, 11])
        // PyTorch: h = x[:, ::3]
        #expect(ints(x[.all, .stride(by: 3)]) == [0, 3, 4, 7, 8, 11])
        // PyTorch: i = x[2, -1]
        // PyTorch: list(i.shape); i.item()
        #expect(x[2, -1].shape == [] && x[2, -1].item() == 11)
        // PyTorch: j = x[0:3:2, 1::2]
        #expect(ints(x[.slice(0, 3, step: 2), .slice(1, nil, step: 2)]) == [1, 3, 9, 11])
        // PyTorch: k = x[..., 1]
        #expect(ints(x[.ellipsis, 1]) == [1, 5, 9])
        // PyTorch: m = x[None, 1]
        // PyTorch: list(m.shape)
        #expect(x[.newAxis, 1].shape == [1, 4])
        // PyTorch: xs = torch.linspace(-10, 10, 1000).reshape(-1, 1)[::100]
        let xs = Tensor.linspace(-10, 10, count: 1000).reshape(-1, 1)[.stride(by: 100)]
        // PyTorch: list(xs.shape); xs
        #expect(xs.shape == [10, 1] && floatBits(xs) == floatBits([-10.0, -7.997998237609863, -5.995995998382568, -3.9939942359924316, -1.9919922351837158, 0.010010387748479843, 2.012012243270874, 4.01401424407959, 6.016016006469727, 8.018017768859863]))
    }

    @Test func mixedIntAndRangeOn3D() {
        // PyTorch: y = torch.arange(60).reshape(3, 4, 5)
        let y = Tensor.arange(60).reshape(3, 4, 5)
        // PyTorch: a = y[1, :, 2:4]
        // PyTorch: list(a.shape); a
        #expect(y[1, .all, 2..<4].shape == [4, 2] && ints(y[1, .all, 2..<4]) == [22, 23, 27, 28, 32, 33, 37, 38])
        // PyTorch: b = y[0:2, 3, ::2]
        // PyTorch: list(b.shape); b
        #expect(y[0..<2, 3, .stride(by: 2)].shape == [2, 3] && ints(y[0..<2, 3, .stride(by: 2)]) == [15, 17, 19, 35, 37, 39])
        // PyTorch: c = y[2, 1]
        #expect(ints(y[2, 1]) == [45, 46, 47, 48, 49])
        // PyTorch: d = y[:, 1:3, 4]
        #expect(ints(y[.all, 1..<3, 4]) == [9, 14, 29, 34, 49, 54])
    }

    @Test func tensorAndMaskIndexing() {
        // PyTorch: r = x[torch.tensor([2, 0, 2])]
        let r = x[Tensor([2, 0, 2])]
        // PyTorch: list(r.shape); r
        #expect(r.shape == [3, 4] && ints(r) == [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
        // PyTorch: rn = x[torch.tensor([-1])]
        #expect(ints(x[Tensor([-1])]) == [8, 9, 10, 11])
        // PyTorch: col = x[:, torch.tensor([3, 1])]
        #expect(ints(x[.all, Tensor([3, 1])]) == [3, 1, 7, 5, 11, 9])
        // PyTorch: r2 = x[torch.tensor([[0, 1], [2, 2]])]
        // PyTorch: list(r2.shape)
        #expect(x[Tensor([[0, 1], [2, 2]])].shape == [2, 2, 4])
        // PyTorch: isel = x.index_select(1, torch.tensor([0, 0, 2]))
        #expect(ints(x.indexSelect(dim: 1, Tensor([0, 0, 2]))) == [0, 0, 2, 4, 4, 6, 8, 8, 10])
        // PyTorch: m = x[x > 5]
        let m = x[x .> 5]
        // PyTorch: list(m.shape); m
        #expect(m.shape == [6] && ints(m) == [6, 7, 8, 9, 10, 11])
        // PyTorch: mr = x[torch.tensor([True, False, True])]
        let mr = x[Tensor([true, false, true])]
        // PyTorch: list(mr.shape); mr
        #expect(mr.shape == [2, 4] && ints(mr) == [0, 1, 2, 3, 8, 9, 10, 11])
        // PyTorch: me = x[x % 2 == 0]
        #expect(ints(x[(x - (x / 2).long() * 2) .== 0]) == [0, 2, 4, 6, 8, 10])
    }

    @Test func subscriptAssignment() {
        // PyTorch: z = torch.zeros(3, 4); z[0] = torch.tensor([1.0, 2.0, 3.0, 4.0]); z[:, 1] = -1; z[2, 2:] = 7; z[1:, ::3] = torch.tensor([[8.0, 9.0]])
        let z = Tensor.zeros(3, 4)
        z[0] = Tensor([1.0, 2.0, 3.0, 4.0])
        z[.all, 1] = Tensor(-1.0)
        z[2, 2...] = Tensor(7.0)
        z[1..., .stride(by: 3)] = Tensor([[8.0, 9.0]])
        // PyTorch: z
        #expect(values(z) == [1.0, -1.0, 3.0, 4.0, 8.0, -1.0, 0.0, 9.0, 8.0, -1.0, 7.0, 9.0])
        // PyTorch: w = torch.arange(6.0).reshape(2, 3); w[w > 2] = 0.5
        let w = Tensor.arange(0.0, 6.0).reshape(2, 3)
        w[w .> 2] = Tensor(0.5)
        // PyTorch: w
        #expect(values(w) == [0.0, 1.0, 2.0, 0.5, 0.5, 0.5])
        // PyTorch: q = torch.zeros(4, 2); q[torch.tensor([3, 0])] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        let q = Tensor.zeros(4, 2)
        q[Tensor([3, 0])] = Tensor([[1.0, 2.0], [3.0, 4.0]])
        // PyTorch: q
        #expect(values(q) == [3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0])
        // PyTorch: ii = torch.zeros(2, 2, dtype=torch.int64); ii[1, 0] = 5
        let ii = Tensor.zeros(2, 2, dtype: .int64)
        ii[1, 0] = Tensor(5)
        // PyTorch: ii
        #expect(ints(ii) == [0, 0, 5, 0])
    }

    @Test func viewsShareStorage() {
        // PyTorch: base = torch.zeros(3, 4); v = base[1]; v[2] = 5.0; base.view(-1)[0] = 1.0; base.t()[3, 2] = 9.0; base[:, ::2][0, 1] = 4.0
        let base = Tensor.zeros(3, 4)
        let v = base[1]
        v[2] = Tensor(5.0)
        base.view(-1)[0] = Tensor(1.0)
        base.t()[3, 2] = Tensor(9.0)
        base[.all, .stride(by: 2)][0, 1] = Tensor(4.0)
        // PyTorch: base
        #expect(values(base) == [1.0, 0.0, 4.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 9.0])
        #expect(v[2].item() == 5)
        // writing to the base shows through an existing view, too
        let col = base[.all, 3]
        base[2, 3] = Tensor(-3.0)
        #expect(col[2].item() == -3)
        let r = base.reshape(12)
        r[11] = Tensor(42.0)
        #expect(base[2, 3].item() == 42)
        // a contiguous() copy of a non-contiguous view does not share
        let c = base.t().contiguous()
        c[0, 0] = Tensor(100.0)
        #expect(base[0, 0].item() == 1)
        // detach shares storage too
        let d = base.detach()
        d[0, 1] = Tensor(11.0)
        #expect(base[0, 1].item() == 11)
    }
}
}
