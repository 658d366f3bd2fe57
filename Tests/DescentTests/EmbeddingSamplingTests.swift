import Testing
import Descent

extension Core {
/// multinomial and exponential_ draw PyTorch's numbers; Embedding, LayerNorm and `.data` behave as PyTorch's.
@Suite struct EmbeddingAndSampling {
    @Test func exponentialAndMultinomialMatchPyTorchDraws() {
        // PyTorch: torch.manual_seed(0); torch.empty(5).exponential_(); torch.empty(3, dtype=torch.float64).exponential_(2)
        manualSeed(0)
        #expect(floatBits(Tensor.empty(5).exponential_()) == floatBits([3.508326292037964, 1.2303847074508667, 0.615044116973877, 2.535118579864502, 1.0357054471969604]))
        #expect(values(Tensor.empty(3, dtype: .float64).exponential_(2)) == [0.783064447792376, 0.09837629769256363, 0.21624420357249943])
        // PyTorch: p = torch.tensor([0.1, 0.2, 0.3, 0.4]); torch.manual_seed(42)
        //          p.multinomial(1), p.multinomial(3), p.multinomial(10, replacement=True)
        let p = Tensor([0.1, 0.2, 0.3, 0.4])
        manualSeed(42)
        #expect(ints(p.multinomial(1)) == [3])
        #expect(ints(p.multinomial(3)) == [1, 3, 0])
        #expect(ints(p.multinomial(10, replacement: true)) == [0, 1, 1, 2, 3, 3, 2, 3, 0, 3])
        // PyTorch: g = torch.Generator().manual_seed(2147483647); P = torch.rand(3, 27, generator=g)
        //          P.multinomial(1, generator=g), P.multinomial(5, replacement=True, generator=g), P.multinomial(4, generator=g)
        let g = Generator(seed: 2147483647)
        let P = Tensor.rand(3, 27, generator: g)
        let one = P.multinomial(1, generator: g)
        #expect(one.shape == [3, 1] && ints(one) == [12, 13, 13])
        #expect(ints(P.multinomial(5, replacement: true, generator: g)) == [5, 23, 23, 12, 10, 5, 14, 15, 15, 11, 22, 8, 19, 22, 15])
        #expect(ints(P.multinomial(4, generator: g)) == [23, 7, 1, 20, 19, 15, 22, 12, 8, 9, 7, 0])
    }

    @Test func embeddingWithPaddingAndLayerNorm() {
        // PyTorch: torch.manual_seed(0); e = torch.nn.Embedding(5, 3, padding_idx=1); ln = torch.nn.LayerNorm(3)
        //          idx = torch.tensor([[0, 1, 4], [1, 2, 2]]); y = ln(e(idx)); (y * torch.arange(18.0).reshape(2, 3, 3)).sum().backward()
        manualSeed(0)
        let e = Embedding(5, 3, paddingIdx: 1)
        #expect("\(e)" == "Embedding(5, 3, padding_idx=1)")
        expectValues(e.weight, [1.5409960746765137, -0.293428897857666, -2.1787893772125244, 0, 0, 0, 0.40334683656692505, 0.8380263447761536,
                                -0.7192575931549072, -0.40334352850914, -0.5966353416442871, 0.18203648924827576, -0.8566746115684509,
                                1.1006041765213013, -1.0711873769760132], atol: 0, rtol: 0)
        let ln = LayerNorm(3)
        #expect("\(ln)" == "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)")
        let y = ln(e(Tensor([[0, 1, 4], [1, 2, 2]])))
        #expect(y.shape == [2, 3, 3] && y.gradFn == "NativeLayerNormBackward0")
        (y * Tensor.arange(18.0).reshape(2, 3, 3)).sum().backward()
        expectValues(y, [1.219114065170288, 0.011180020868778229, -1.2302939891815186, 0, 0, 0, -0.5944951772689819, 1.4085153341293335,
                         -0.8140199780464172, 0, 0, 0, 0.34949278831481934, 1.0119954347610474, -1.3614883422851562,
                         0.34949278831481934, 1.0119954347610474, -1.3614883422851562])
        expectValues(e.weight.grad!, [-0.003049194812774658, 0.006010711193084717, -0.002961456775665283, 0, 0, 0, -2.440645217895508,
                                      1.7593460083007812, 0.6812973022460938, 0, 0, 0, -1.0678839683532715, 0.10547542572021484,
                                      0.962407112121582], atol: 2e-6)
    }

    @Test func layerNormGradientsOfAllInputs() {
        // PyTorch: lx = torch.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, 3.0]], requires_grad=True); ln3 = torch.nn.LayerNorm(4)
        //          ln3.weight, ln3.bias = [1, 2, -1, 0.5], [0.1, 0.2, 0.3, 0.4]; ly = ln3(lx)
        //          (ly * ly * torch.tensor([1.0, 2, 3, 4])).sum().backward(); ly, lx.grad, ln3.weight.grad, ln3.bias.grad
        let lx = Tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, 3.0]], requiresGrad: true)
        let ln = LayerNorm(4)
        noGrad { ln.weight!.copy_(Tensor([1.0, 2, -1, 0.5])); ln.bias!.copy_(Tensor([0.1, 0.2, 0.3, 0.4])) }
        let ly = ln(lx)
        (ly * ly * Tensor([1.0, 2, 3, 4])).sum().backward()
        expectValues(ly, [0.15862077474594116, -2.496555805206299, -1.1655194759368896, 0.3120688498020172, 0.4651474058628082,
                          -1.260589599609375, 1.395442247390747, 1.1302947998046875])
        expectValues(lx.grad!, [2.4656405448913574, -4.366547107696533, -3.471008777618408, 5.371915340423584, 1.4886093139648438,
                                -1.8596506118774414, 0.9559755325317383, -0.5849332809448242], atol: 1e-5)
        expectValues(ln.weight!.grad!, [0.3582916855812073, 17.146610260009766, -19.420307159423828, 12.768125534057617], atol: 1e-5)
        expectValues(ln.bias!.grad!, [1.2475364208221436, -15.028581619262695, 1.3795371055603027, 11.538908958435059], atol: 1e-5)
    }

    @Test func dataAssignmentUpdatesInPlaceWithoutHistory() {
        // PyTorch: w = torch.tensor([1.0, 2.0], requires_grad=True); (w * w).sum().backward(); w.data += -0.1 * w.grad
        let w = Tensor([1.0, 2.0], requiresGrad: true)
        (w * w).sum().backward()
        w.data += -0.1 * w.grad!
        expectValues(w, [0.8, 1.6])
        #expect(w.isLeaf && w.requiresGrad && w.data.gradFn == nil && !w.data.requiresGrad)
    }

    @Test func adaptiveAveragePooling() {
        // PyTorch: m = nn.AdaptiveAvgPool2d((2, 3)); x = torch.arange(70.).reshape(1, 2, 5, 7).requires_grad_()
        //          y = m(x); (y * torch.arange(12.).reshape(1, 2, 2, 3)).sum().backward(); y, x.grad[0, 0, 2]; nn.AdaptiveAvgPool2d(1)(x)
        let m = AdaptiveAvgPool2d((2, 3))
        #expect("\(m)" == "AdaptiveAvgPool2d(output_size=(2, 3))" && "\(AdaptiveAvgPool2d(1))" == "AdaptiveAvgPool2d(output_size=1)")
        #expect("\(AdaptiveAvgPool2d((nil, 2)))" == "AdaptiveAvgPool2d(output_size=(None, 2))")
        let x = Tensor.arange(70.0).reshape(1, 2, 5, 7).requiresGrad_()
        let y = m(x)
        #expect(y.gradFn == "AdaptiveAvgPool2DBackward0" && y.shape == [1, 2, 2, 3])
        expectValues(y, [8, 10, 12, 22, 24, 26, 43, 45, 47, 57, 59, 61])
        (y * Tensor.arange(12.0).reshape(1, 2, 2, 3)).sum().backward()
        // the middle row of the first plane belongs to both output rows
        #expect(floatBits(x.grad![0, 0, 2]) == floatBits([0.3333333432674408, 0.3333333432674408, 0.8888888955116272, 0.5555555820465088, 1.3333332538604736, 0.7777777314186096, 0.7777777314186096]))
        expectValues(AdaptiveAvgPool2d(1)(x), [17, 52], shape: [1, 2, 1, 1])
    }

    @Test func samplingMisuseStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([0.5, 0.5]).multinomial(3)
        }
        // PyTorch: torch.tensor([0.5, 0.5]).multinomial(3)
        #expect(stderr(r).contains("cannot sample n_sample > prob_dist.size(-1) samples without replacement"))
        let neg = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([0.5, -0.5, 1]).multinomial(2, replacement: true)
        }
        // PyTorch: torch.tensor([0.5, -0.5, 1]).multinomial(2, replacement=True)
        #expect(stderr(neg).contains("invalid multinomial distribution (encountering probability entry < 0)"))
        let oob = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding(3, 2)(Tensor([0, 3]))
        }
        // PyTorch: torch.nn.Embedding(3, 2)(torch.tensor([0, 3])) -> IndexError: index out of range in self
        #expect(stderr(oob).contains("index out of range in self"))
    }
}
}
