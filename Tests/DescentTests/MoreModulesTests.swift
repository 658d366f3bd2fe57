import Testing
import Foundation
import Descent

/// Sequences of lengths 1…5 whose elements are their index (a dataset that needs a collate function).
private struct Ragged: Dataset {
    var count: Int { 5 }
    subscript(index: Int) -> (Tensor, Int) { (Tensor.full([index + 1], Double(index)), index % 2) }
    func batch(_ indices: [Int]) -> (Tensor, Tensor) { fatalError("the loader's collateFn batches") }
}

extension Core {
/// RMSNorm, unfold/fold, Bilinear, ConvTranspose1d and the margin losses against torch 2.13.
@Suite struct MoreModulesTests {
    @Test func rmsNormMatchesPyTorchBits() {
        // torch.manual_seed(0); x = torch.randn(4, 6, 16, requires_grad=True); m = nn.RMSNorm(16)
        // m.weight.copy_(torch.linspace(0.5, 1.5, 16)); y = m(x); g = torch.randn(y.shape); y.backward(g)
        // h(y), h(x.grad), h(m.weight.grad), y.grad_fn.name(); F.rms_norm(x, (6, 16), eps=1e-5)
        manualSeed(0)
        let x = Tensor.randn(4, 6, 16).requiresGrad_()
        let m = RMSNorm(16)
        #expect(m.description == "RMSNorm((16,), eps=None, elementwise_affine=True)")
        #expect(RMSNorm([6, 16], eps: 1e-5, elementwiseAffine: false).description == "RMSNorm((6, 16), eps=1e-05, elementwise_affine=False)")
        noGrad { m.weight!.copy_(Tensor.linspace(0.5, 1.5, count: 16)) }
        let y = m(x), g = Tensor.randn(y.shape)
        y.backward(gradient: g)
        #expect(y.gradFn == "MulBackward0")
        expectValues(y[0, 0, 0..<4], [-0.6153071522712708, -0.7137748599052429, -0.17346890270709991, -0.331979900598526])
        #expect(bitsum(y) == 159151763009314)
        #expect(bitsum(x.grad!) == 156227204471810)
        #expect(bitsum(m.weight!.grad!) == 304202362788)
        #expect(bitsum(rmsNorm(x.detach(), [6, 16], eps: 1e-5)) == 159147708573499)
    }

    @Test func unfoldAndFoldMatchPyTorch() {
        // F.unfold(torch.arange(9.).reshape(1, 1, 3, 3), 2)
        expectValues(unfold(Tensor.arange(9.0).reshape(1, 1, 3, 3), kernelSize: 2), [0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8], shape: [1, 4, 4], atol: 0)
        // torch.manual_seed(1); img = torch.randn(2, 3, 5, 6, requires_grad=True)
        // u = F.unfold(img, kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)); gu = torch.randn(u.shape); u.backward(gu)
        manualSeed(1)
        let img = Tensor.randn(2, 3, 5, 6).requiresGrad_()
        let u = unfold(img, kernelSize: (2, 3), dilation: (1, 2), padding: (1, 1), stride: (2, 1))
        #expect(u.shape == [2, 18, 12])
        #expect(bitsum(u) == 138512950532655)
        u.backward(gradient: Tensor.randn(u.shape))
        #expect(bitsum(img.grad!) == 34117227131976)
        // cols = torch.randn(2, 12, 9, requires_grad=True); f = F.fold(cols, output_size=(4, 5), kernel_size=2, padding=1, stride=2)
        // f.backward(torch.randn(f.shape))
        let cols = Tensor.randn(2, 12, 9).requiresGrad_()
        let f = fold(cols, outputSize: (4, 5), kernelSize: 2, padding: 1, stride: 2)
        #expect(f.shape == [2, 3, 4, 5])
        #expect(bitsum(f) == 14513335730027)
        f.backward(gradient: Tensor.randn(f.shape))
        #expect(bitsum(cols.grad!) == 28140195425878)
        // print(nn.Unfold(kernel_size=(2, 3)), nn.Fold(output_size=(4, 5), kernel_size=2))
        #expect(Unfold(kernelSize: (2, 3)).description == "Unfold(kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0), stride=(1, 1))")
        #expect(Unfold(kernelSize: 2).description == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)")
        #expect(Fold(outputSize: (4, 5), kernelSize: 2).description == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)")
        // fold(unfold(x)) multiplies each pixel by the number of blocks covering it
        let ones = Tensor.ones(1, 1, 3, 3)
        expectValues(fold(unfold(ones, kernelSize: 2), outputSize: (3, 3), kernelSize: 2), [1, 2, 1, 2, 4, 2, 1, 2, 1], atol: 0)
    }

    @Test func bilinearAndTransposedConv1dMatchPyTorch() {
        // torch.manual_seed(2); bl = nn.Bilinear(3, 4, 2); h(bl.weight), h(bl.bias); a = torch.randn(5, 3); b = torch.randn(5, 4); bl(a, b)
        manualSeed(2)
        let bl = Bilinear(3, 4, 2)
        #expect(bl.description == "Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)")
        #expect(bitsum(bl.weight) == 628743512877 && bitsum(bl.bias!) == 5261241447)
        let a = Tensor.randn(5, 3), b = Tensor.randn(5, 4)
        expectValues(bl(a, b), [1.517901062965393, 1.636762261390686, -0.1899816393852234, 1.0452364683151245, 0.5913074612617493,
                                -0.31796973943710327, -1.10655677318573, -0.2034793347120285, -0.4723482131958008, 0.43072593212127686], shape: [5, 2])
        // torch.manual_seed(3); ct = nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        // xi = torch.randn(2, 4, 7, requires_grad=True); yo = ct(xi); yo.backward(torch.ones_like(yo))
        manualSeed(3)
        let ct = ConvTranspose1d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
        #expect(ct.description == "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), output_padding=(1,), groups=2)")
        #expect(bitsum(ct.weight) == 1681217829161 && bitsum(ct.bias!) == 47364794785)
        let xi = Tensor.randn(2, 4, 7).requiresGrad_()
        let yo = ct(xi)
        #expect(yo.shape == [2, 6, 14])
        expectValues(yo[0, 0, 0..<5], [-0.1787128746509552, 0.12560667097568512, -0.003817826509475708, 0.37709230184555054, 0.29171085357666016], atol: 1e-6)
        yo.backward(gradient: Tensor.onesLike(yo))
        expectValues(xi.grad![0, 0, 0..<4], [-0.4924912750720978, -0.9571018815040588, -0.9571018815040588, -0.9571018815040588], atol: 1e-6)
        expectValues(ct.weight.grad![0, 0], [-0.21434485912322998, -0.4728720188140869, -0.4728720188140869], atol: 1e-5)
    }

    @Test func marginLossesMatchPyTorch() {
        // inp = torch.tensor([0.5, -1., 2., 0.3], requires_grad=True); tg = torch.tensor([1., -1., -1., 1.])
        // F.hinge_embedding_loss(inp, tg), F.soft_margin_loss(inp, tg), with their gradients
        let inp = Tensor([0.5, -1.0, 2.0, 0.3]).requiresGrad_(), tg = Tensor([1.0, -1.0, -1.0, 1.0])
        let hinge = HingeEmbeddingLoss()(inp, tg)
        expectValues(hinge, [0.699999988079071]); hinge.backward()
        expectValues(inp.grad!, [0.25, -0.25, 0, 0.25])
        inp.grad = nil
        let soft = SoftMarginLoss()(inp, tg)
        expectValues(soft, [0.8671554923057556]); soft.backward()
        expectValues(inp.grad!, [-0.09438516944646835, 0.06723535805940628, 0.22019927203655243, -0.1063893660902977])
        // X = torch.tensor([[0.1, 0.2, 0.4, 0.8], [0.9, -0.3, 0.5, 0.0]], requires_grad=True); Y = [[1., 0., 0., 1.], [0., 1., 1., 0.]]
        // F.multilabel_soft_margin_loss(X, Y, weight=torch.tensor([1., 2., 0.5, 1.]))
        let X = Tensor([[0.1, 0.2, 0.4, 0.8], [0.9, -0.3, 0.5, 0.0]]).requiresGrad_()
        let mlsm = MultiLabelSoftMarginLoss(weight: Tensor([1.0, 2.0, 0.5, 1.0]))(X, Tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]))
        expectValues(mlsm, [0.8685415983200073]); mlsm.backward()
        expectValues(X.grad!, [-0.059377603232860565, 0.13745850324630737, 0.037417978048324585, -0.038753192871809006,
                               0.08886869251728058, -0.1436106264591217, -0.02359629236161709, 0.0625])
        // F.multi_margin_loss(X, torch.tensor([3, 0])) and its gradient
        X.grad = nil
        let mm = MultiMarginLoss()(X, Tensor([3, 0]))
        expectValues(mm, [0.25]); mm.backward()
        expectValues(X.grad!, [0.125, 0.125, 0.125, -0.375, -0.25, 0, 0.125, 0.125])
        // F.multi_margin_loss(X, torch.tensor([1, 2]), p=2, margin=0.5, weight=torch.tensor([1., 2., 3., 4.]), reduction='none')
        expectValues(multiMarginLoss(X, Tensor([1, 2]), p: 2, margin: 0.5, weight: Tensor([1.0, 2.0, 3.0, 4.0]), reduction: .none), [0.9300000667572021, 0.6074999570846558])
        // F.multilabel_margin_loss(X, torch.tensor([[3, 0, -1, 1], [1, 2, 0, -1]])) and its gradient
        X.grad = nil
        let mlm = MultiLabelMarginLoss()(X, Tensor([[3, 0, -1, 1], [1, 2, 0, -1]]))
        expectValues(mlm, [0.6625000238418579]); mlm.backward()
        expectValues(X.grad!, [-0.25, 0.25, 0.25, -0.25, -0.125, -0.125, -0.125, 0.375])
    }

    @Test func dataLoaderCollateFnBatchesWithTheSameOrder() {
        // loader = DataLoader(ds, batch_size=2, shuffle=True, collate_fn=lambda b: (pad_sequence([s for s, _ in b],
        //     batch_first=True), torch.tensor([y for _, y in b]))) draws the same order as the default collation
        manualSeed(7)
        let loader = DataLoader(Ragged(), batchSize: 2, shuffle: true, collateFn: { samples in
            (padSequence(samples.map(\.0), batchFirst: true), Tensor(samples.map { Int64($0.1) }))
        })
        #expect(loader.count == 3)
        var seen: [Int] = []
        for (x, y) in loader {
            #expect(x.shape[0] == y.shape[0])
            let rows = x.toDoubles(), width = x.shape[1]
            for r in 0..<x.shape[0] {
                let index = Int(rows[r * width])   // each row is its index, repeated (index + 1) times, then padding
                #expect(Array(rows[(r * width)..<(r * width + index + 1)]) == [Double](repeating: Double(index), count: index + 1))
                #expect(y.toDoubles()[r] == Double(index % 2))
                seen.append(index)
            }
        }
        manualSeed(7)
        let order = DataLoader(TensorDataset(Tensor.arange(5)), batchSize: 2, shuffle: true).flatMap { $0.toDoubles().map { Int($0) } }
        #expect(seen == order)
    }

    @Test func spatialTransformerSamplingMatchesPyTorch() {
        // theta = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], requires_grad=True)
        // grid = F.affine_grid(theta, [2, 3, 4, 5], align_corners=False); grid[0, 1]; F.affine_grid(theta, ..., align_corners=True)[0, 0, :2]
        let theta = Tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]).requiresGrad_()
        let grid = affineGrid(theta, size: [2, 3, 4, 5])
        expectValues(grid[0, 1], [-0.5699999332427979, -0.5649999976158142, -0.21000000834465027, -0.4449999928474426, 0.15000000596046448,
                                  -0.32499998807907104, 0.5099999904632568, -0.20499996840953827, 0.8700000047683716, -0.08499996364116669], atol: 1e-6)
        expectValues(affineGrid(theta, size: [2, 3, 4, 5], alignCorners: true)[0, 0, 0..<2], [-0.5999999642372131, -1.4500000476837158, -0.1499999761581421, -1.2999999523162842], atol: 1e-6)
        // torch.manual_seed(0) (before theta); inp = torch.randn(2, 3, 4, 5, requires_grad=True); out = F.grid_sample(inp, grid, align_corners=False)
        // g = torch.linspace(-1, 1, out.numel()).reshape(out.shape); out.backward(g); inp.grad[0, 0], theta.grad
        manualSeed(0)
        let inp = Tensor.randn(2, 3, 4, 5).requiresGrad_()
        let out = gridSample(inp, grid)
        expectValues(out[0, 0], [-0.3098841607570648, -0.2542698383331299, -0.27385586500167847, 0.23708580434322357, 0.20869053900241852,
                                 -0.6772993803024292, -0.9964532852172852, -1.0688825845718384, 0.00486867967993021, -0.3942655026912689,
                                 0.351232647895813, -0.02034659869968891, 0.15606361627578735, 1.108796238899231, 0.9756230711936951,
                                 -0.03906037658452988, -1.0145214796066284, -1.570370078086853, 0.04087427631020546, 0.3382962644100189], atol: 1e-5)
        // the identity transform samples the image itself
        #expect((out[1] - inp[1]).abs().max().item() < 1e-6)
        out.backward(gradient: Tensor.linspace(-1, 1, count: out.count).reshape(out.shape))
        expectValues(inp.grad![0, 0], [-0.292499840259552, -0.8765547275543213, -0.8846217393875122, -0.9491657614707947, -0.9065293669700623,
                                       -0.4416596293449402, -0.8093278408050537, -0.8173948526382446, -0.8572835922241211, -0.8091027736663818,
                                       -0.5648800134658813, -0.7351555228233337, -0.7938194870948792, -0.8011680841445923, -0.6715083718299866,
                                       -0.40913450717926025, -0.6941744089126587, -0.7051721811294556, -0.6571974754333496, -0.5238169431686401], atol: 1e-5)
        expectValues(theta.grad!, [-6.407886505126953, 3.0643351078033447, 0.2497360110282898, -2.8856046199798584, -1.776486873626709, -0.8373985290527344,
                                   3.9161252975463867, -1.5841299295425415, -4.429222106933594, -4.060909748077393, -4.727574825286865, 6.051445484161377], atol: 1e-4)
        // inp.grad = None; theta.grad = None; o2 = F.grid_sample(inp, F.affine_grid(theta, [2, 3, 3, 3], align_corners=True) * 1.3,
        //     padding_mode="border", align_corners=True); o2[0, 1]; o2.sum().backward(); theta.grad
        theta.grad = nil
        let o2 = gridSample(inp, affineGrid(theta, size: [2, 3, 3, 3], alignCorners: true) * 1.3, paddingMode: "border", alignCorners: true)
        expectValues(o2[0, 1], [-0.34889209270477295, 1.3702454566955566, 0.750189483165741, -0.3693559765815735, 0.11751320213079453,
                                -0.46668946743011475, 0.274585485458374, 0.1975051909685135, 0.441156268119812], atol: 1e-5)
        o2.sum().backward()
        expectValues(theta.grad!, [3.342822551727295, -1.4244482517242432, 12.882079124450684, -0.6255655288696289, -5.354036331176758, 4.465262413024902,
                                   0.0, 1.5855271816253662, -5.750676155090332, -1.6965160369873047, 0.0, -17.833351135253906], atol: 1e-4)
        // F.grid_sample(inp, grid, mode="nearest")[0, 2]
        let o3 = gridSample(inp.detach(), grid.detach(), mode: "nearest")
        expectValues(o3[0, 2], [0.0, -0.28966769576072693, 0.05250748619437218, 0.5228604674339294, 0.5228604674339294,
                                0.7924439907073975, -1.4688938856124878, -1.586688756942749, -0.6730899214744568, 0.8728312253952026,
                                2.3022053241729736, 0.17784371972084045, -0.23033547401428223, -0.3917543888092041, 0.5432947278022766,
                                -0.3951575458049774, -0.4462171792984009, 0.7440207004547119, 1.5209795236587524, 0.0], atol: 1e-6)
    }

    @Test func embeddingBagMatchesPyTorch() {
        // torch.manual_seed(1); eb = nn.EmbeddingBag(10, 3, mode="sum"); x = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9]); off = torch.tensor([0, 4, 4])
        manualSeed(1)
        let eb = EmbeddingBag(10, 3, mode: "sum")
        #expect(eb.description == "EmbeddingBag(10, 3, mode='sum')")
        expectValues(eb.weight[0..<2], [-1.5255959033966064, -0.7502318024635315, -0.6539809107780457, -1.6094847917556763, -0.1001671776175499, -0.6091889142990112], atol: 0)
        let x = Tensor([1, 2, 4, 5, 4, 3, 2, 9]), off = Tensor([0, 4, 4])
        expectValues(eb(x, off), [-3.1108734607696533, 1.8571957349777222, -1.7140861749649048, 0, 0, 0, -0.9271079301834106, 1.6578137874603271, -2.321559429168701], shape: [3, 3])
        // psw = torch.linspace(0.5, 2, 8, requires_grad=True); y2 = eb(x, off, per_sample_weights=psw); y2.sum().backward(); psw.grad; eb.weight.grad[:3]
        let psw = Tensor.linspace(0.5, 2, count: 8).requiresGrad_()
        let y2 = eb(x, offsets: off, perSampleWeights: psw)
        expectValues(y2, [-2.053083658218384, 2.514991044998169, -1.1934248208999634, 0, 0, 0, -1.6315429210662842, 2.9089956283569336, -4.176636695861816])
        y2.sum().backward()
        expectValues(psw.grad!, [-2.318840980529785, -3.301013231277466, 1.1442220211029053, 1.5078679323196411, 1.1442220211029053, -0.7250475883483887, -3.301013231277466, 1.290985107421875])
        expectValues(eb.weight.grad![0..<3], [0, 0, 0, 0.5, 0.5, 0.5, 2.5, 2.5, 2.5])
        // em = nn.EmbeddingBag(10, 3, mode="mean", padding_idx=2) with eb's weights (row 2 zero): em(x, off), em(torch.tensor([[1, 2], [2, 2]]))
        let em = EmbeddingBag(10, 3, mode: "mean", paddingIdx: 2)
        #expect(em.description == "EmbeddingBag(10, 3, mode='mean', padding_idx=2)")
        noGrad { em.weight.copy_(eb.weight); em.weight[2].fill_(0) }
        expectValues(em(x, off), [-0.7103671431541443, 1.1554306745529175, -0.333980530500412, 0, 0, 0, 0.017554787918925285, 1.0889700651168823, -0.5364716053009033])
        expectValues(em(Tensor([[1, 2], [2, 2]])), [-1.6094847917556763, -0.1001671776175499, -0.6091889142990112, 0, 0, 0])
        // nn.EmbeddingBag.from_pretrained(eb.weight.data, mode="max")(x, off)
        let ex = EmbeddingBag.fromPretrained(eb.weight.detach(), mode: "max")
        expectValues(ex(x, off), [-0.22227048873901367, 1.8793457746505737, -0.07213178277015686, 0, 0, 0, 0.30372199416160583, 2.3571109771728516, -0.25145524740219116], atol: 0)
    }

    @Test func summaryWriterHistogramsAndImagesReadAsPyTorchWritesThem() throws {
        // torch.manual_seed(0); w = torch.randn(50) * 0.1; wr = SummaryWriter(d); wr.add_histogram("fc.weight", w, 3)
        // wr.add_histogram("ints", torch.tensor([1., 2., 2., 3., 10.]), 4, bins=np.array([0., 1., 2., 5., 10.]))
        // wr.add_image("gray", torch.linspace(0, 1, 6).reshape(1, 2, 3), 5); read back with tensorboard's event_pb2 (and PIL)
        let dir = NSTemporaryDirectory() + "descent-tb-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(0)
        let w = Tensor.randn(50) * 0.1
        let writer = SummaryWriter(logDir: dir)
        try writer.addHistogram("fc.weight", w, globalStep: 3)
        try writer.addHistogram("ints", Tensor([1.0, 2.0, 2.0, 3.0, 10.0]), bins: [0, 1, 2, 5, 10], globalStep: 4)
        try writer.addImage("gray", Tensor.linspace(0, 1, count: 6).reshape(1, 2, 3), globalStep: 5)
        writer.close()
        let file = dir + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir)).first!
        let hs = try TensorBoardFormat.readHistograms(file)
        #expect(hs.count == 2)
        let h = hs[0]
        #expect(h.step == 3 && h.tag == "fc.weight")
        #expect(h.min == Double(Float(-0.2115219384431839)) && h.max == Double(Float(0.34105026721954346)) && h.num == 50)
        #expect(abs(h.sum - 0.24409861373715103) < 1e-12 && abs(h.sumSquares - 0.580445009298398) < 1e-12)
        #expect(h.bucketLimits.count == 556)
        #expect(h.bucketLimits.prefix(3).elementsEqual([-0.2195814928486969, -0.19961953895336082, -0.18147230813941892]))
        #expect(h.bucketLimits.suffix(2).elementsEqual([0.3214892636797772, 0.35363819004775493]))
        #expect(h.buckets.prefix(4).elementsEqual([0, 1, 0, 1]) && h.buckets.suffix(2).elementsEqual([0, 1]) && h.buckets.reduce(0, +) == 50)
        #expect(hs[1].tag == "ints" && hs[1].bucketLimits == [1, 2, 5, 10] && hs[1].buckets == [0, 1, 3, 1])
        #expect(hs[1].sum == 18 && hs[1].sumSquares == 118)
        let images = try TensorBoardFormat.readImages(file)
        #expect(images.count == 1 && images[0].tag == "gray" && images[0].step == 5)
        #expect(images[0].height == 2 && images[0].width == 3 && images[0].colorspace == 3)
        let decoded = try decodePNG(images[0].png)
        // PIL's pixels: 0, 51, 102, 153, 204, 255 in each of R, G, B
        let gray = stride(from: 0, to: decoded.pixels.count, by: 4).map { Int(decoded.pixels[$0]) }
        #expect(gray == [0, 51, 102, 153, 204, 255])
        #expect(throws: LoggingError.self) { try writer.addHistogram("empty", Tensor.zeros(0)) }
    }

    @Test func ctcLossMatchesPyTorch() {
        // torch.manual_seed(0); logits = torch.randn(12, 3, 5, requires_grad=True); lp = logits.log_softmax(2)
        // targets = torch.tensor([[1, 2, 2, 3], [4, 4, 0, 0], [2, 1, 3, 0]]); il = torch.tensor([12, 9, 10]); tl = torch.tensor([4, 2, 3])
        // l = nn.CTCLoss()(lp, targets, il, tl); l.backward(); logits.grad[0], logits.grad[8, 1]
        manualSeed(0)
        let logits = Tensor.randn(12, 3, 5).requiresGrad_()
        let lp = logits.logSoftmax(dim: 2)
        let targets = Tensor([[1, 2, 2, 3], [4, 4, 0, 0], [2, 1, 3, 0]]), il = Tensor([12, 9, 10]), tl = Tensor([4, 2, 3])
        let l = CTCLoss()(lp, targets, il, tl)
        expectValues(l, [3.8152027130126953], atol: 1e-5)
        l.backward()
        expectValues(logits.grad![0], [-0.017887603491544724, -0.053328342735767365, 0.01473062764853239, 0.01226351410150528, 0.044221799820661545,
                                       -0.07377281039953232, 0.026939863339066505, 0.004456663969904184, 0.051003530621528625, -0.008627247996628284,
                                       -0.047452326864004135, 0.014525707811117172, -0.036479584872722626, 0.03679801896214485, 0.03260818496346474], atol: 1e-5)
        expectValues(logits.grad![8, 1], [-0.09771740436553955, 0.038861148059368134, 0.061800818890333176, 0.0063804942183196545, -0.009325053542852402], atol: 1e-5)
        // F.ctc_loss(lp, targets, il, tl, reduction="none"), "sum"; the concatenated targets torch.tensor([1, 2, 2, 3, 4, 4, 2, 1, 3])
        let none: [Double] = [11.216102600097656, 7.317513942718506, 14.948476791381836]
        let lpd = lp.detach()
        expectValues(ctcLoss(lpd, targets, il, tl, reduction: .none), none, atol: 1e-4)
        expectValues(ctcLoss(lpd, targets, il, tl, reduction: .sum), [33.482093811035156], atol: 1e-4)
        expectValues(ctcLoss(lpd, Tensor([1, 2, 2, 3, 4, 4, 2, 1, 3]), inputLengths: [12, 9, 10], targetLengths: [4, 2, 3], reduction: .none), none, atol: 1e-4)
        // blank=4: F.ctc_loss(lp, torch.tensor([[1, 2], [0, 3], [3, 3]]), il, torch.tensor([2, 2, 1]), blank=4, reduction="none")
        expectValues(ctcLoss(lpd, Tensor([[1, 2], [0, 3], [3, 3]]), inputLengths: [12, 9, 10], targetLengths: [2, 2, 1], blank: 4, reduction: .none),
                     [12.74368953704834, 9.955239295959473, 8.783796310424805], atol: 1e-4)
        // impossible alignments (four 1s need 7 frames): inf, or 0 with zero_infinity=True (input lengths 3, 12, 3)
        let four = Tensor([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
        #expect(ctcLoss(lpd, four, inputLengths: [3, 3, 3], targetLengths: [4, 4, 4], reduction: .none).toDoubles().allSatisfy { $0 == .infinity })
        expectValues(ctcLoss(lpd, four, inputLengths: [3, 12, 3], targetLengths: [4, 4, 4], reduction: .none, zeroInfinity: true), [0, 12.044687271118164, 0], atol: 1e-4)
    }
}
}
