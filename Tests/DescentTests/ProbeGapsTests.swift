import Testing
import Foundation
import Descent

// What session 27's probe programs (data pipeline, generative models, makemore, checkpoints and
// hooks) wrote as PyTorch does and Descent lacked: max pooling indices and unpooling, samplers as
// sequences, distribution properties and reprs, tensor `normal`, grad-mode scopes, and small
// spellings. Expected values from PyTorch 2.13, the snippet beside each.
extension Core {
@Suite struct ProbeGapsTests {
    // x = torch.tensor([[3., 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9], [3, 2, 3, 8, 4]]).view(1, 1, 4, 5).requires_grad_()
    static let grid: [Float] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4]

    @Test func maxPoolReturnsIndicesAndUnpoolPutsValuesBack() {
        // o, i = nn.MaxPool2d(2, stride=2, return_indices=True)(x) -> [9, 6, 8, 9], [5, 7, 11, 12]
        // y = nn.MaxUnpool2d(2, stride=2)(o, i, output_size=x.size()); y.grad_fn -> MaxUnpool2DBackward0
        // (y * torch.arange(20.).view(1, 1, 4, 5)).sum().backward(); x.grad -> 5, 7, 11, 12 at the maxima
        let x = Tensor(Self.grid).view(1, 1, 4, 5).requiresGrad_()
        let pool = MaxPool2d(2, stride: 2, returnIndices: true)
        let (o, i) = pool(x)
        let plain = pool(x)   // without a tuple the output alone, as before
        #expect(values(o) == [9, 6, 8, 9] && ints(i) == [5, 7, 11, 12] && values(plain) == values(o))
        let unpool = MaxUnpool2d(2, stride: 2)
        let y = unpool(o, i, outputSize: x.shape)
        #expect(y.shape == [1, 1, 4, 5] && y.gradFn == "MaxUnpool2DBackward0")
        #expect(values(y) == [0, 0, 0, 0, 0, 9, 0, 6, 0, 0, 0, 8, 9, 0, 0, 0, 0, 0, 0, 0])
        (y * Tensor.arange(20.0).view(1, 1, 4, 5)).sum().backward()
        #expect(values(x.grad!) == [0, 0, 0, 0, 0, 5, 0, 7, 0, 0, 0, 11, 12, 0, 0, 0, 0, 0, 0, 0])
        // u(o, i).shape -> [1, 1, 4, 4]; print(u) -> MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
        #expect(unpool(o, i).shape == [1, 1, 4, 4])
        #expect(unpool.description == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))")
        let (fo, fi) = maxPool2d(x, kernelSize: 2, returnIndices: true)
        #expect(values(fo) == values(o) && ints(fi) == ints(i))
    }

    @Test func maxPool1dIndicesAndUnpool1d() {
        // x1 = torch.tensor([[0.5, -1., 2., 3., -2., 1.]]); o1, i1 = F.max_pool1d(x1, 2, return_indices=True)
        // -> [0.5, 3, 1], [0, 3, 5]; F.max_unpool1d(o1, i1, 2) -> [0.5, 0, 0, 3, 0, 1]
        // nn.MaxUnpool1d(2)(o1, i1, output_size=[7]) -> [0.5, 0, 0, 3, 0, 1, 0]
        let x1 = Tensor([[0.5, -1, 2, 3, -2, 1] as [Float]])
        let (o1, i1) = maxPool1d(x1, kernelSize: 2, returnIndices: true)
        #expect(values(o1) == [0.5, 3, 1] && ints(i1) == [0, 3, 5])
        #expect(values(maxUnpool1d(o1, i1, 2)) == [0.5, 0, 0, 3, 0, 1])
        let (mo, mi) = MaxPool1d(2, returnIndices: true)(x1)
        #expect(values(mo) == values(o1) && ints(mi) == ints(i1))
        #expect(values(MaxUnpool1d(2)(o1, i1, outputSize: [7])) == [0.5, 0, 0, 3, 0, 1, 0])
    }

    @Test func unpoolingRefusesWhatPyTorchRefuses() async {
        // u(o, i, output_size=[9, 9]) -> ValueError: invalid output_size "[9, 9]" (dim 0 must be between 2 and 6)
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.arange(20.0).view(1, 1, 4, 5)
            let (o, i) = maxPool2d(x, kernelSize: 2, returnIndices: true)
            _ = MaxUnpool2d(2)(o, i, outputSize: [9, 9])
        }.map { #expect(stderr($0).contains("invalid output_size \"[9, 9]\" (dim 0 must be between 2 and 6)")) }
        // indices 18 into the default 4x4 output -> Found an invalid max index: 18 (output volumes are of size 4x4)
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxUnpool2d(Tensor.ones([1, 1, 2, 2]), Tensor([5, 7, 10, 18]).view(1, 1, 2, 2), kernelSize: 2)
        }.map { #expect(stderr($0).contains("Found an invalid max index: 18 (output volumes are of size 4x4)")) }
    }

    @Test func samplersIterateAsPyTorchSamplers() {
        // ds = TensorDataset(torch.arange(10)); list(SequentialSampler(ds)) -> 0..9
        // g = torch.Generator().manual_seed(0); rs = RandomSampler(ds, generator=g); list(rs), list(rs)
        //   -> [4, 1, 7, 5, 3, 9, 0, 8, 6, 2] [4, 0, 8, 5, 9, 1, 6, 3, 7, 2]
        let ds = TensorDataset(Tensor.arange(10))
        #expect(Array(SequentialSampler(ds)) == Array(0..<10) && SequentialSampler(0..<4).count == 4)
        let rs = RandomSampler(ds, generator: Generator().manualSeed(0))
        #expect(Array(rs) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2] && Array(rs) == [4, 0, 8, 5, 9, 1, 6, 3, 7, 2] && rs.count == 10)
        // RandomSampler(ds, replacement=True, num_samples=5, generator=torch.Generator().manual_seed(0)) -> [4, 9, 3, 0, 3]
        let r5 = RandomSampler(ds, replacement: true, numSamples: 5, generator: Generator().manualSeed(0))
        #expect(Array(r5) == [4, 9, 3, 0, 3] && r5.count == 5)
        // RandomSampler(range(5), replacement=True, num_samples=40, generator=...manual_seed(1)): a chunk of 32, then 8
        #expect(Array(RandomSampler(0..<5, replacement: true, numSamples: 40, generator: Generator().manualSeed(1)))
                == [0, 4, 4, 3, 3, 3, 1, 1, 4, 2, 3, 4, 1, 3, 3, 0, 2, 1, 2, 1, 0, 3, 1, 4, 3, 1, 4, 2, 4, 4, 3, 1, 2, 3, 2, 3, 3, 1, 2, 0])
        // RandomSampler(range(4), num_samples=10, generator=...manual_seed(2)) -> [0, 1, 3, 2, 0, 3, 1, 2, 2, 0]
        #expect(Array(RandomSampler(0..<4, numSamples: 10, generator: Generator().manualSeed(2))) == [0, 1, 3, 2, 0, 3, 1, 2, 2, 0])
        // torch.manual_seed(3); list(RandomSampler(range(6))), torch.rand(1) -> [1, 4, 5, 2, 0, 3] tensor([0.2858])
        manualSeed(3)
        #expect(Array(RandomSampler(0..<6)) == [1, 4, 5, 2, 0, 3])
        #expect(String(format: "%.4f", Tensor.rand(1).item()) == "0.2858")
        // list(WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], 8, generator=...manual_seed(0))) -> [3, 3, 2, 3, 3, 3, 1, 2]
        #expect(Array(WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], numSamples: 8, generator: Generator().manualSeed(0))) == [3, 3, 2, 3, 3, 3, 1, 2])
        // list(SubsetRandomSampler([1, 3, 5, 7], generator=...manual_seed(0))) -> [1, 3, 7, 5]
        #expect(Array(SubsetRandomSampler([1, 3, 5, 7], generator: Generator().manualSeed(0))) == [1, 3, 7, 5])
    }

    @Test func batchSamplersIterateAndFeedALoader() {
        // list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)) -> [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
        // len(BatchSampler(..., drop_last=True)) -> 3
        #expect(Array(BatchSampler(SequentialSampler(0..<10), batchSize: 3, dropLast: false)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
        #expect(BatchSampler(SequentialSampler(0..<10), batchSize: 3, dropLast: true).count == 3)
        // bl = DataLoader(ds, batch_sampler=BatchSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(3)), batch_size=4, drop_last=False))
        // len(bl), [b[0].tolist() for b in bl] -> 3 [[6, 0, 3, 7], [8, 5, 1, 9], [2, 4]]
        let ds = TensorDataset(Tensor.arange(10))
        let bl = DataLoader(ds, batchSampler: BatchSampler(RandomSampler(ds, generator: Generator().manualSeed(3)), batchSize: 4, dropLast: false))
        #expect(bl.count == 3 && bl.map(ints) == [[6, 0, 3, 7], [8, 5, 1, 9], [2, 4]])
        #expect(DataLoader(ds, batchSize: 4, shuffle: true).sampler is RandomSampler)
    }

    @Test func aZeroSampleCountStopsWithPyTorchsMessage() async {
        // RandomSampler(ds, num_samples=0) -> num_samples should be a positive integer value, but got num_samples=0
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RandomSampler(0..<10, numSamples: 0)
        }.map { #expect(stderr($0).contains("num_samples should be a positive integer value, but got num_samples=0")) }
    }

    @Test func distributionPropertiesAndReprs() {
        // print(Normal(0.0, 1.0), Normal(torch.tensor([0.5]), torch.tensor([2.0])), Normal(torch.zeros(2), torch.ones(2)))
        #expect(Normal(0.0, 1.0).description == "Normal(loc: 0.0, scale: 1.0)")
        #expect(Normal(Tensor([Float(0.5)]), Tensor([Float(2)])).description == "Normal(loc: tensor([0.5000]), scale: tensor([2.]))")
        #expect(Normal(Tensor.zeros(2), Tensor.ones(2)).description == "Normal(loc: torch.Size([2]), scale: torch.Size([2]))")
        // Bernoulli(probs=torch.tensor([0.3, 0.6, 0.9])), Bernoulli(probs=0.3), Bernoulli(logits=torch.zeros(2))
        let b = Bernoulli(probs: Tensor([0.3, 0.6, 0.9] as [Float]))
        #expect(b.description == "Bernoulli(probs: torch.Size([3]))")
        #expect(Bernoulli(probs: 0.3).description == "Bernoulli(probs: 0.30000001192092896)")
        #expect(Bernoulli(logits: Tensor.zeros(2)).description == "Bernoulli(logits: torch.Size([2]))")
        // Categorical(probs=torch.tensor([0.2, 0.8])), Categorical(logits=torch.zeros(2, 3)), Uniform(0.0, 2.0)
        #expect(Categorical(probs: Tensor([0.2, 0.8] as [Float])).description == "Categorical(probs: torch.Size([2]))")
        #expect(Categorical(logits: Tensor.zeros([2, 3])).description == "Categorical(logits: torch.Size([2, 3]))")
        #expect(Uniform(0.0, 2.0).description == "Uniform(low: 0.0, high: 2.0)")
        // b.mean, b.variance, b.stddev -> [0.3, 0.6, 0.9] [0.21, 0.24, 0.09] [0.4583, 0.4899, 0.3000]
        #expect(values(b.mean) == values(Tensor([0.3, 0.6, 0.9] as [Float])))
        #expect(b.variance.toArray(Float.self) == [Float(0.3) * (1 - Float(0.3)), Float(0.6) * (1 - Float(0.6)), Float(0.9) * (1 - Float(0.9))])
        #expect(String(format: "%.4f %.4f %.4f", b.stddev[0].item(), b.stddev[1].item(), b.stddev[2].item()) == "0.4583 0.4899 0.3000")
        #expect(b.eventShape.isEmpty && b.batchShape == [3] && Normal(0.0, 1.0).eventShape.isEmpty)
        // Normal(torch.tensor([0., 1., -2.]), torch.tensor([1., .5, 3.])).icdf(torch.tensor([0.1, 0.5, 0.975])).tolist()
        let n = Normal(Tensor([0, 1, -2] as [Float]), Tensor([1, 0.5, 3] as [Float]))
        #expect(floatBits(n.icdf(Tensor([0.1, 0.5, 0.975] as [Float]))) == floatBits([-1.2815515995025635, 1.0, 3.879892349243164]))
        // MultivariateNormal(torch.zeros(2), torch.tensor([[2., 0.5], [0.5, 1.]])).stddev -> [1.4142, 1.0000]
        let m = MultivariateNormal(Tensor.zeros(2), covarianceMatrix: Tensor([[2, 0.5], [0.5, 1]] as [[Float]]))
        #expect(String(format: "%.4f %.4f", m.stddev[0].item(), m.stddev[1].item()) == "1.4142 1.0000")
        // Categorical(probs=torch.tensor([0.2, 0.8])).mean -> tensor(nan)
        #expect(Categorical(probs: Tensor([0.2, 0.8] as [Float])).mean.item().isNaN)
    }

    @Test func normalWithTensorMeansAndStds() {
        // torch.manual_seed(0); torch.normal(torch.tensor([0., 10., 100.]), torch.tensor([1., 2., 3.])).tolist()
        manualSeed(0)
        #expect(floatBits(normal(Tensor([0, 10, 100] as [Float]), Tensor([1, 2, 3] as [Float])))
                == floatBits([1.5409960746765137, 9.413142204284668, 93.46363067626953]))
        // torch.manual_seed(0); torch.normal(torch.arange(20.), torch.full((20,), 0.5))[16:].tolist() (the 16-wide Box-Muller path)
        manualSeed(0)
        #expect(floatBits(normal(Tensor.arange(20.0), Tensor.full([20], 0.5))[16...])
                == floatBits([16.465913772583008, 17.629505157470703, 19.002490997314453, 19.02686882019043]))
        // torch.manual_seed(0); torch.normal(torch.tensor([0., 10., 100.]), 2.0).tolist()
        manualSeed(0)
        #expect(floatBits(normal(Tensor([0, 10, 100] as [Float]), 2.0)) == floatBits([3.0819921493530273, 9.413142204284668, 95.64241790771484]))
        // torch.manual_seed(0); torch.normal(1.0, torch.tensor([1., 2., 3.])).tolist()
        manualSeed(0)
        #expect(floatBits(normal(1.0, Tensor([1, 2, 3] as [Float]))) == floatBits([2.5409960746765137, 0.41314220428466797, -5.536368370056152]))
    }

    @Test func gradModeScopesAndSmallSpellings() {
        // w = torch.ones(2, requires_grad=True); with torch.set_grad_enabled(False): y = w * 2
        // y.requires_grad, torch.is_grad_enabled() -> False True
        let w = Tensor.ones(2).requiresGrad_()
        let y = setGradEnabled(false) { w * 2 }
        #expect(!y.requiresGrad && isGradEnabled())
        // with torch.inference_mode(): torch.is_inference_mode_enabled() -> True; outside -> False
        #expect(inferenceMode { isInferenceModeEnabled() } && !isInferenceModeEnabled())
        // print(nn.LeakyReLU(0.2)) -> LeakyReLU(negative_slope=0.2)
        #expect(LeakyReLU(0.2).description == "LeakyReLU(negative_slope=0.2)")
        // x = torch.arange(6.).view(2, 3); [t.tolist() for t in torch.unbind(x, 1)], x.nelement()
        let x = Tensor.arange(6.0).view(2, 3)
        #expect(unbind(x, 1).map(values) == [[0, 3], [1, 4], [2, 5]] && x.nelement() == 6 && x.unbind(1).count == 3)
        // g = torch.Generator().manual_seed(2147483647); torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), num_samples=5, replacement=True, generator=g)
        let g = Generator().manualSeed(2147483647)
        #expect(ints(multinomial(Tensor([0.1, 0.2, 0.7] as [Float]), numSamples: 5, replacement: true, generator: g)) == [2, 2, 2, 0, 0])
    }

    @Test func aModulesParametersChangeInPlaceWithCompoundOperators() {
        // lin = nn.Linear(2, 2); with torch.no_grad(): lin.weight.copy_(torch.tensor([[1., 2.], [3., 4.]])); lin.weight *= 0.1; lin.bias.zero_(); lin.bias += 2
        // lin.weight.tolist(), lin.bias.tolist() -> [[0.1, 0.2], [0.3, 0.4]] (float32) [2.0, 2.0]
        let lin = Linear(2, 2)
        noGrad {
            lin.weight.copy_(Tensor([[1, 2], [3, 4]] as [[Float]]))
            lin.weight *= 0.1
            lin.bias!.zero_()
            lin.bias! += 2
        }
        #expect(floatBits(lin.weight) == floatBits([0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645]))
        #expect(values(lin.bias!) == [2, 2] && lin.weight.requiresGrad)
        // copy.deepcopy(model.state_dict()): the copy keeps its values when the model trains on
        let sd = deepcopy(lin.stateDict())
        noGrad { lin.weight.zero_() }
        #expect(floatBits(sd["weight"]!) == floatBits([0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645]))
    }

    @Test func transformsPrintAsTorchvisionAndDatasetsHaveTheirFields() {
        // print(Compose([RandomCrop(28, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(mean=[0.1307], std=[0.3081])]))
        let aug = Compose([RandomCrop(28, padding: 4), RandomHorizontalFlip(), ToTensor(), Normalize(mean: [0.1307], std: [0.3081])])
        #expect(aug.description == """
            Compose(
                RandomCrop(size=(28, 28), padding=4)
                RandomHorizontalFlip(p=0.5)
                ToTensor()
                Normalize(mean=[0.1307], std=[0.3081])
            )
            """)
        #expect(Lambda { $0 }.description == "Lambda()")
        // torchvision.datasets.MNIST.classes[:2] -> ['0 - zero', '1 - one']
        #expect(MNIST.classes.prefix(2) == ["0 - zero", "1 - one"] && MNIST.classes.count == 10)
        // ConcatDataset([TensorDataset(torch.zeros(3)), TensorDataset(torch.zeros(5))]).cumulative_sizes -> [3, 8]
        #expect(ConcatDataset([TensorDataset(Tensor.zeros(3)), TensorDataset(Tensor.zeros(5))]).cumulativeSizes == [3, 8])
    }

    @Test func dictSamplesCollateKeyByKey() {
        // default_collate([{'x': torch.full((2,), 0.), 'y': torch.tensor(0)}, {'x': torch.full((2,), 1.), 'y': torch.tensor(10)}])
        // -> {'x': tensor([[0., 0.], [1., 1.]]), 'y': tensor([0, 10])}
        struct Pairs: Dataset {
            var count: Int { 5 }
            subscript(index: Int) -> [String: Tensor] { ["x": Tensor.full([2], Double(index)), "y": Tensor(index * 10)] }
        }
        let batch = DataLoader(Pairs(), batchSize: 2).makeIterator().next()!
        #expect(batch.keys.sorted() == ["x", "y"] && values(batch["x"]!) == [0, 0, 1, 1] && ints(batch["y"]!) == [0, 10])
    }

    @Test func fusedLossesRecordOneNodeAsPyTorchsKernels() {
        // x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True); y = torch.tensor([[1., -1., 1.], [-1., 1., 1.]])
        // l = F.soft_margin_loss(x, y): SoftMarginLossBackward0 0.6780290603637695; l.backward(); x.grad.tolist()
        let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]] as [[Float]]).requiresGrad_()
        let y = Tensor([[1, -1, 1], [-1, 1, 1]] as [[Float]])
        var l = softMarginLoss(x, y)
        #expect(l.gradFn == "SoftMarginLossBackward0" && Float(l.item()) == Float(0.6780290603637695))
        l.backward()
        #expect(values(x.grad!).enumerated().allSatisfy { close($1, [-0.06292344629764557, 0.04482357203960419, -0.019867151975631714,
                                                                    0.1362624168395996, -0.07502766698598862, -0.0957404300570488][$0], atol: 0, rtol: 1e-6) })
        // x.grad = None; l = F.multi_margin_loss(x, torch.tensor([1, 2])): MultiMarginLossBackward0 1.8000000715255737
        x.grad = nil
        l = multiMarginLoss(x, Tensor([1, 2]))
        #expect(l.gradFn == "MultiMarginLossBackward0" && Float(l.item()) == Float(1.8000000715255737))
        l.backward()
        #expect(floatBits(x.grad!) == floatBits([1.0 / 6, -1.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 6, -1.0 / 3]))
        // F.multilabel_margin_loss(x, torch.tensor([[2, -1, 0], [0, 1, -1]]), reduction='none'): MultilabelMarginLossBackward0 [0.0, 0.16666667]
        x.grad = nil
        l = multilabelMarginLoss(x, Tensor([[2, -1, 0], [0, 1, -1]]), reduction: .none)
        #expect(l.gradFn == "MultilabelMarginLossBackward0" && floatBits(l) == floatBits([0, 0.1666666716337204]))
        // F.celu(x, alpha=0.5).grad_fn.name() -> CeluBackward0
        #expect(celu(x, alpha: 0.5).gradFn == "CeluBackward0")
    }

    @Test func ctcRecordsOneNodeWithPyTorchsGradient() {
        // torch.manual_seed(0); lp = torch.randn(4, 2, 3).log_softmax(2).detach().requires_grad_(); tg = torch.tensor([[1, 2], [1, 1]])
        // l = F.ctc_loss(lp, tg, torch.tensor([4, 3]), torch.tensor([2, 1]), reduction='none') -> CtcLossBackward0 [2.505112886428833, 1.5593189001083374]
        // (l * torch.tensor([1.0, 2.0])).sum().backward(); lp.grad: the alignment term plus exp(lp) times the output
        // gradient for t < input length (PyTorch's backward, the gradient with respect to logits)
        manualSeed(0)
        let lp = Tensor.randn(4, 2, 3).logSoftmax(dim: 2).detach().requiresGrad_()
        let l = ctcLoss(lp, Tensor([[1, 2], [1, 1]]), Tensor([4, 3]), Tensor([2, 1]), reduction: .none)
        #expect(l.gradFn == "CtcLossBackward0")
        #expect(values(l).enumerated().allSatisfy { close($1, [2.505112886428833, 1.5593189001083374][$0], atol: 0, rtol: 1e-6) })
        (l * Tensor([1.0, 2.0] as [Float])).sum().backward()
        let want = [0.103785, -0.652452, 0.548667, -0.20469, -0.597232, 0.801921, 0.036262, -0.037753, 0.00149, 0.130196, -0.53826, 0.408064,
                    -0.125777, 0.432217, -0.30644, -0.304738, -0.707971, 1.012709, -0.022465, 0.102086, -0.079621, 0.0, 0.0, 0.0]
        #expect(values(lp.grad!).enumerated().allSatisfy { close($1, want[$0], atol: 2e-6, rtol: 0) })
        // F.ctc_loss(..., reduction='mean').grad_fn.name() -> MeanBackward0 (PyTorch divides and averages outside the op)
        #expect(ctcLoss(lp, Tensor([[1, 2], [1, 1]]), Tensor([4, 3]), Tensor([2, 1])).gradFn == "MeanBackward0")
    }
}
}
