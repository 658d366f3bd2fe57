import Testing
import Descent

// The meta device (PyTorch's `device='meta'`): shapes and dtypes without memory, through the same
// backend seam as the CPU. Expected strings come from PyTorch 2.13 (the snippets are beside them).

extension Core {
@Suite struct MetaDevice {
    @Test func printsWithoutValues() {
        // print(torch.empty(2,3,device='meta'))            -> tensor(..., device='meta', size=(2, 3))
        #expect(Tensor.empty(2, 3, device: .meta).description == "tensor(..., device='meta', size=(2, 3))")
        // print(torch.zeros(2,3,device='meta', requires_grad=True))
        #expect(Tensor.zeros([2, 3], device: .meta, requiresGrad: true).description
                == "tensor(..., device='meta', size=(2, 3), requires_grad=True)")
        // print(torch.empty(2,3,device='meta', dtype=torch.int64))
        #expect(Tensor.empty([2, 3], dtype: .int64, device: .meta).description == "tensor(..., device='meta', size=(2, 3), dtype=torch.int64)")
        // print(torch.empty((),device='meta'))
        #expect(Tensor.empty([], device: .meta).description == "tensor(..., device='meta', size=())")
        #expect(Device.meta.description == "meta")
    }

    @Test func opsComputeShapesDtypesAndGradFns() {
        // x = torch.randn(2,5, device='meta', requires_grad=True); relu / sum / softmax / max(dim=1) / argmax
        let x = Tensor.randn([2, 5], device: .meta, requiresGrad: true)
        #expect(x.relu().description == "tensor(..., device='meta', size=(2, 5), grad_fn=<ReluBackward0>)")
        #expect(x.sum().description == "tensor(..., device='meta', size=(), grad_fn=<SumBackward0>)")
        #expect(x.mean().description == "tensor(..., device='meta', size=(), grad_fn=<MeanBackward0>)")
        #expect(x.softmax(dim: 1).description == "tensor(..., device='meta', size=(2, 5), grad_fn=<SoftmaxBackward0>)")
        #expect(x.sum(dim: 1).description == "tensor(..., device='meta', size=(2,), grad_fn=<SumBackward1>)")
        let (values, indices) = x.max(dim: 1)
        #expect(values.description == "tensor(..., device='meta', size=(2,), grad_fn=<MaxBackward0>)")
        #expect(indices.description == "tensor(..., device='meta', size=(2,), dtype=torch.int64)")
        #expect(x.argmax(dim: 1).dtype == .int64 && x.argmax(dim: 1).device == .meta)
        // broadcasting, promotion and a Swift number (a 0-dim CPU tensor) all stay on meta
        let y = x * 2 + Tensor.ones([5], device: .meta).to(dtype: .float64)
        #expect(y.shape == [2, 5] && y.dtype == .float64 && y.device == .meta)
        #expect(x.t().matmul(Tensor.empty([2, 7], device: .meta)).shape == [5, 7])
    }

    @Test func linearOnMetaAllocatesNothingAndDrawsNothing() {
        // torch.manual_seed(0); lin = torch.nn.Linear(3,4, device='meta'); print(lin.weight); print(lin(torch.randn(2,3, device='meta')))
        manualSeed(0)
        let reference = Tensor.randn(3)
        manualSeed(0)
        let lin = Linear(3, 4, device: .meta)
        #expect(lin.weight.description == "Parameter containing:\ntensor(..., device='meta', size=(4, 3), requires_grad=True)")
        #expect(lin.bias!.description == "Parameter containing:\ntensor(..., device='meta', size=(4,), requires_grad=True)")
        let out = lin(Tensor.randn([2, 3], device: .meta))
        #expect(out.description == "tensor(..., device='meta', size=(2, 4), grad_fn=<AddmmBackward0>)")
        // meta draws do not advance the CPU generator (PyTorch: torch.get_rng_state() unchanged)
        #expect(Tensor.randn(3).equal(reference))
    }

    @Test func aBillionParameterModelReportsItsSizeWithoutMemory() {
        // m = nn.Sequential(nn.Linear(32768, 16384), nn.ReLU(), nn.Linear(16384, 16384), nn.ReLU(),
        //                   nn.Linear(16384, 16384), nn.ReLU(), nn.Linear(16384, 16384)) under torch.device('meta')
        // sum(p.numel() for p in m.parameters()) -> 1342242816
        let before = MemoryPool.allocatedBytes
        let m = Sequential {
            Linear(32768, 16384, device: .meta)
            ReLU()
            Linear(16384, 16384, device: .meta)
            ReLU()
            Linear(16384, 16384, device: .meta)
            ReLU()
            Linear(16384, 16384, device: .meta)
        }
        let count = m.parameters().reduce(0) { $0 + $1.numel() }
        #expect(count == 1_342_242_816)
        let out = m(Tensor.randn([8, 32768], device: .meta))
        #expect(out.description == "tensor(..., device='meta', size=(8, 16384), grad_fn=<AddmmBackward0>)")
        // 5.4 GB of float32 parameters, and under a megabyte of host memory taken
        #expect(MemoryPool.allocatedBytes - before < 1 << 20)
    }

    @Test func backwardAndOptimizersRunOnMeta() {
        // m = nn.Sequential(nn.Linear(4,8), nn.ReLU(), nn.Linear(8,3)).to('meta'); loss = F.cross_entropy(m(x), t); loss.backward()
        // -> NllLossBackward0; every .grad is a meta tensor of its parameter's shape; SGD/Adam step() run
        let m = Sequential { Linear(4, 8); ReLU(); Linear(8, 3) }.to(.meta)
        let x = Tensor.randn([5, 4], device: .meta)
        let t = Tensor.empty([5], dtype: .int64, device: .meta)
        let loss = crossEntropy(m(x), t)
        #expect(loss.description == "tensor(..., device='meta', size=(), grad_fn=<NllLossBackward0>)")
        loss.backward()
        for p in m.parameters() {
            #expect(p.grad?.device == .meta && p.grad?.shape == p.shape)
        }
        let adam = Adam(m.parameters(), lr: 0.1)
        adam.step()
        let sgd = SGD(m.parameters(), lr: 0.1, momentum: 0.9)
        sgd.step()
        #expect(m.parameters().allSatisfy { $0.device == .meta })
    }

    @Test func layersOfTheLecturesRunOnMeta() {
        // conv = nn.Conv2d(1, 8, 3, device='meta'); y = conv(x (4,1,28,28)) -> (4,8,26,26) ConvolutionBackward0; MaxPool2d(2) -> (4,8,13,13)
        let conv = Conv2d(1, 8, kernelSize: 3, device: .meta)
        #expect(conv.weight.description == "Parameter containing:\ntensor(..., device='meta', size=(8, 1, 3, 3), requires_grad=True)")
        let x = Tensor.randn([4, 1, 28, 28], device: .meta, requiresGrad: true)
        let y = conv(x)
        #expect(y.description == "tensor(..., device='meta', size=(4, 8, 26, 26), grad_fn=<ConvolutionBackward0>)")
        let pooled = MaxPool2d(2)(y)
        #expect(pooled.shape == [4, 8, 13, 13] && pooled.gradFn == "MaxPool2DWithIndicesBackward0")
        pooled.sum().backward()
        #expect(x.grad?.shape == [4, 1, 28, 28] && conv.weight.grad?.shape == [8, 1, 3, 3] && x.grad?.device == .meta)
        // BatchNorm1d(6) in training mode -> NativeBatchNormBackward0
        let bn = BatchNorm1d(6, device: .meta)
        #expect(bn(Tensor.randn([10, 6], device: .meta, requiresGrad: true)).gradFn == "NativeBatchNormBackward0")
        // lstm = nn.LSTM(10, 20).to('meta'); out, (h, c) = lstm(x (5,3,10)) -> (5,3,20), (1,3,20), (1,3,20)
        let lstm = LSTM(10, 20).to(.meta)
        let (o, (h, c)) = lstm(Tensor.randn([5, 3, 10], device: .meta))
        #expect(o.shape == [5, 3, 20] && h.shape == [1, 3, 20] && c.shape == [1, 3, 20] && o.device == .meta)
        // emb = nn.Embedding(100, 16).to('meta'); emb(meta int64 (4,7)) -> (4,7,16) EmbeddingBackward0
        let emb = Embedding(100, 16, device: .meta)
        let e = emb(Tensor.empty([4, 7], dtype: .int64, device: .meta))
        #expect(e.shape == [4, 7, 16] && e.gradFn == "EmbeddingBackward0")
        // Dropout in training mode -> MulBackward0; sigmoid + BCE; MSE
        let d = Dropout(p: 0.5)(Tensor.randn([3, 4], device: .meta, requiresGrad: true))
        #expect(d.shape == [3, 4] && d.device == .meta)
        let p = Tensor.randn([3, 1], device: .meta, requiresGrad: true).sigmoid()
        #expect(BCELoss()(p, Tensor.empty([3, 1], device: .meta)).description == "tensor(..., device='meta', size=(), grad_fn=<BinaryCrossEntropyBackward0>)")
        #expect(MSELoss()(p, Tensor.empty([3, 1], device: .meta)).gradFn == "MseLossBackward0")
        // the rest of the lectures' modules: Flatten, Sigmoid, Softmax, BCEWithLogitsLoss
        let net = Sequential { Flatten(); Linear(64, 10, device: .meta); Sigmoid() }
        let z = net(Tensor.randn([5, 1, 8, 8], device: .meta))
        #expect(z.shape == [5, 10] && z.gradFn == "SigmoidBackward0" && z.device == .meta)
        #expect(Softmax(dim: 1)(z).gradFn == "SoftmaxBackward0")
        // z = torch.randn(5,10, device='meta', requires_grad=True)
        // print(repr(F.binary_cross_entropy_with_logits(z, torch.empty(5,10, device='meta'))))  (wrapped at 80 columns)
        #expect(BCEWithLogitsLoss()(z, Tensor.empty([5, 10], device: .meta)).description
                == "tensor(..., device='meta', size=(),\n       grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)")
    }

    @Test func movingToMetaRecordsACopy() {
        // x = torch.randn(2,3, requires_grad=True); y = x.to('meta') -> grad_fn=<ToCopyBackward0>, not a leaf
        let x = Tensor.randn([2, 3], requiresGrad: true)
        let y = x.to(.meta)
        #expect(y.description == "tensor(..., device='meta', size=(2, 3), grad_fn=<ToCopyBackward0>)")
        #expect(!y.isLeaf)
        #expect(y.to(.meta) === y)
        // a module moves in place: the same parameter objects, now on meta
        let lin = Linear(3, 2)
        let w = lin.weight
        lin.to(.meta)
        #expect(lin.weight === w && w.device == .meta && w.requiresGrad)
        // and is materialised with toEmpty
        lin.toEmpty(device: .cpu)
        #expect(w.device == .cpu && w.shape == [2, 3])
    }

    @Test func readingValuesFails() async {
        // torch.empty((), device='meta').item() -> RuntimeError: Tensor.item() cannot be called on meta tensors
        let item = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.empty([], device: .meta).item()
        }
        #expect(stderr(item).contains("Tensor.item() cannot be called on meta tensors"))
        // torch.empty(2,3,device='meta').to('cpu') -> NotImplementedError: Cannot copy out of meta tensor; no data!
        let copy = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.empty([2, 3], device: .meta).to(.cpu)
        }
        #expect(stderr(copy).contains("Cannot copy out of meta tensor; no data!"))
        // torch.randn(2,3,device='meta') + torch.randn(2,3) -> Tensor on device cpu is not on the expected device meta!
        let mixed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.randn([2, 3], device: .meta) + Tensor.randn([2, 3])
        }
        #expect(stderr(mixed).contains("Tensor on device cpu is not on the expected device meta!"))
    }

    @Test func shapeErrorsStillStop() async {
        // shapes are checked before any kernel: the CPU's message (PyTorch's meta kernels word it
        // "a and b must have same reduction dim, but got [2, 3] X [4, 5].")
        let mm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.randn([2, 3], device: .meta).mm(Tensor.randn([4, 5], device: .meta))
        }
        #expect(stderr(mm).contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"))
        let conv = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(1, 8, kernelSize: 3).to(.meta)(Tensor.randn([4, 3, 28, 28], device: .meta))
        }
        #expect(stderr(conv).contains("expected input[4, 3, 28, 28] to have 1 channels, but got 3 channels instead"))
    }
}
}
