import Foundation
import Testing
import Descent

// Modules (torch.nn): initialisation, forward values, parameter names, train/eval, dropout,
// printing, state dicts, nn.init and activation modules. Expected values come from PyTorch 2.13
// (CPU); the snippet that produced each one is in the comment beside it.

/// PyTorch:
/// class TwoLayer(nn.Module):
///     def __init__(s):
///         super().__init__(); s.l1 = nn.Linear(2,3); s.scale = nn.Parameter(torch.ones(1))
///         s.blocks = nn.ModuleList([nn.Linear(3,3), nn.ReLU(), nn.Linear(3,1)])
///         s.moduleList = nn.ModuleList([nn.Linear(1,1), nn.Tanh(), nn.Linear(1,2)])
///         s.notAParam = torch.zeros(2)
private final class TwoLayer: Module {
    let l1 = Linear(2, 3)
    var scale = Parameter(Tensor.ones(1))
    let blocks: [Module] = [Linear(3, 3), ReLU(), Linear(3, 1)]
    let moduleList = ModuleList([Linear(1, 1), Tanh(), Linear(1, 2)])
    let notAParam = Tensor.zeros(2)     // a plain tensor is neither a parameter nor state
    let absent: Parameter? = nil        // an optional parameter that is nil is skipped
    let width = 3                        // other properties are ignored
    override func forward(_ x: Tensor) -> Tensor {
        var h = l1(x) * scale
        for b in blocks { h = b(h) }
        return h
    }
}

/// A module with only submodule properties (its repr can be compared with PyTorch's).
private final class Tower: Module {
    let l1 = Linear(2, 3)
    let moduleList = ModuleList([Linear(3, 3), ReLU(), Linear(3, 1)])
    override init() { super.init() }
}

/// The same Linear stored under two names (PyTorch: s.a = lin; s.b = lin).
private final class Shared: Module {
    let a: Linear
    let b: Linear
    override init() { let lin = Linear(2, 2); a = lin; b = lin; super.init() }
    override func forward(_ x: Tensor) -> Tensor { b(a(x)) }
}

/// A subclass of a user's module: properties of both levels are found, the base class's first.
private class BaseNet: Module {
    let first = Linear(1, 2)
    override init() { super.init() }
}
private final class DerivedNet: BaseNet {
    let second = Linear(2, 1)
    var gain = Parameter(Tensor.ones(1))
}

/// The custom layer of lecture 06 (../shared/lectures/06-xor-custom-module.swift), verbatim.
private final class NoisyLinear: Module {
    var w: Parameter
    var b: Parameter
    let noiseStddev: Float
    init(_ inputSize: Int, _ outputSize: Int, noiseStddev: Float = 0.1) {
        w = Parameter(Tensor.empty(inputSize, outputSize))
        xavierUniform_(w)
        b = Parameter(Tensor.zeros(outputSize))
        self.noiseStddev = noiseStddev
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        let noisy = isTraining ? x + Tensor.randn(x.shape) * noiseStddev : x
        return noisy.mm(w) + b
    }
}

extension Core {
@Suite struct NNTests {
    // MARK: Linear

    /// PyTorch: class M(nn.Module): lin = nn.Linear(2, 1); self.register_buffer('count', torch.zeros(1));
    ///          forward: self.count += 1; return self.lin(x)
    final class Counting: Module {
        let lin = Linear(2, 1)
        let count = Tensor.zeros(1)
        override init() { super.init(); registerBuffer("count", count) }
        override func forward(_ x: Tensor) -> Tensor { noGrad { _ = count.add_(Tensor.onesLike(count)) }; return lin(x) }
    }

    @Test func registeredBuffersAreSavedLoadedAndCastButAreNotParameters() throws {
        let m = Counting()
        _ = m(Tensor.ones(1, 2)); _ = m(Tensor.ones(1, 2))
        // PyTorch: list(m.state_dict().keys()); m.count; [n for n, _ in m.named_buffers()]; len(list(m.parameters()))
        #expect(m.stateDict().keys == ["count", "lin.weight", "lin.bias"])
        #expect(m.count.toArray(Float.self) == [2])
        #expect(m.namedBuffers().map(\.0) == ["count"] && m.parameters().count == 2)
        #expect(m.buffer("count") === m.count)
        // loading writes into the same tensor
        let other = Counting()
        try other.loadStateDict(m.stateDict())
        #expect(other.count.toArray(Float.self) == [2])
        // PyTorch: m.double().count.dtype -> torch.float64
        m.double()
        #expect(m.count.dtype == .float64)
    }

    @Test func moduleDoubleAndFloatCastParametersAndBuffersInPlace() {
        // PyTorch: m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).double(); dtypes of parameters and buffers
        manualSeed(0)
        let m = Sequential { Linear(3, 4); BatchNorm1d(4) }
        let w = (m[0] as! Linear).weight, before = w.toArray(Float.self)
        m.double()
        #expect(m.parameters().allSatisfy { $0.dtype == .float64 })
        #expect(m.namedBuffers().filter { $0.1.dtype.isFloatingPoint }.allSatisfy { $0.1.dtype == .float64 })
        // the same Parameter objects, holding the same values
        #expect((m[0] as! Linear).weight === w && w.toArray(Double.self) == before.map(Double.init))
        #expect(w.requiresGrad && w.isLeaf)
        let y = m(Tensor.randn(5, 3, dtype: .float64))
        #expect(y.dtype == .float64)
        y.sum().backward()
        #expect(w.grad!.dtype == .float64)
        m.float()
        #expect(m.parameters().allSatisfy { $0.dtype == .float32 } && w.grad!.dtype == .float32)
        #expect(w.toArray(Float.self) == before)
    }

    @Test func linearInitialisationIsPyTorchsBitForBit() {
        manualSeed(0)
        let l = Linear(3, 2)
        // PyTorch: torch.manual_seed(0); l = nn.Linear(3, 2); l.weight.tolist(); l.bias.tolist()
        #expect(floatBits(l.weight) == floatBits([-0.004322517663240433, 0.3097158372402191, -0.4751853346824646,
                                                  -0.4248946011066437, -0.2223689705133438, 0.15482072532176971]))
        #expect(floatBits(l.bias!) == floatBits([-0.011439144611358643, 0.45777493715286255]))
        #expect(l.weight.shape == [2, 3] && l.bias!.shape == [2])
        #expect(l.weight.requiresGrad && l.weight.isLeaf && l.bias!.requiresGrad)
        #expect(l.inFeatures == 3 && l.outFeatures == 2)

        // Draw order across layers, and bias: false draws no bias.
        manualSeed(42)
        let a = Linear(4, 3, bias: false)
        let b = Linear(3, 1)
        #expect(a.bias == nil)
        #expect(a.parameters().count == 1)
        // PyTorch: torch.manual_seed(42); a = nn.Linear(4, 3, bias=False); b = nn.Linear(3, 1); a.weight
        #expect(floatBits(a.weight) == floatBits([0.3822692632675171, 0.4150039553642273, -0.11713624000549316, 0.45930564403533936,
                                                  -0.10955178737640381, 0.10089534521102905, -0.24342751502990723, 0.2936413288116455,
                                                  0.4407714605331421, -0.3668140769004822, 0.43459808826446533, 0.09357964992523193]))
        // PyTorch: b.weight; b.bias
        #expect(floatBits(b.weight) == floatBits([0.42655149102211, 0.078190878033638, 0.27839142084121704]))
        #expect(floatBits(b.bias!) == floatBits([-0.08151666074991226]))

        // Sequential (result-builder form) draws its layers in order.
        manualSeed(1)
        let s = Sequential { Linear(2, 3); ReLU(); Linear(3, 1) }
        let p = s.parameters()
        // PyTorch: torch.manual_seed(1); s = nn.Sequential(nn.Linear(2,3), nn.ReLU(), nn.Linear(3,1)); [p.tolist() for p in s.parameters()]
        #expect(floatBits(p[0]) == floatBits([0.36434608697891235, -0.3121015429496765, -0.13708077371120453,
                                              0.3318939507007599, -0.665696382522583, 0.42406412959098816]))
        #expect(floatBits(p[1]) == floatBits([-0.1454697549343109, 0.35973623394966125, 0.09829985350370407]))
        #expect(floatBits(p[2]) == floatBits([-0.07069316506385803, 0.16013438999652863, 0.02848171815276146]))
        #expect(floatBits(p[3]) == floatBits([0.2108645886182785]))
    }

    @Test func linearForwardAndGradients() {
        manualSeed(0)
        let l = Linear(3, 2)
        let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        let y = l(x)
        // PyTorch: x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]); y = l(x); y; y.grad_fn.name()
        expectValues(y, [-1.2736868858337402, 0.7773380279541016, 0.4158950448036194, -0.3512747287750244], shape: [2, 2], dtype: .float32)
        #expect(y.gradFn == "AddmmBackward0")
        // PyTorch: (y * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward(); l.weight.grad; l.bias.grad
        (y * Tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        expectValues(l.weight.grad!, [5.0, -0.25, -0.25, 7.0, -1.0, 1.0], shape: [2, 3])
        expectValues(l.bias!.grad!, [4.0, 6.0], shape: [2])
        #expect(x.grad == nil)

        // A batch of matrices (3-D input) takes the matmul + bias path.
        // PyTorch: x3 = torch.tensor([[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[1.0, 2.0, 3.0], [-1.0, -2.0, 0.0]]]); l(x3)
        let x3 = Tensor([[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[1.0, 2.0, 3.0], [-1.0, -2.0, 0.0]]])
        expectValues(l(x3), [-1.2736868858337402, 0.7773380279541016, 0.4158950448036194, -0.3512747287750244,
                             -0.8218859434127808, 0.0526045560836792, -0.6265482902526855, 1.3274074792861938], shape: [2, 2, 2])
        // Under noGrad nothing is recorded.
        let z = noGrad { l(x) }
        #expect(z.gradFn == nil && !z.requiresGrad)
    }

    // MARK: Parameters, names, train/eval

    @Test func sequentialParameterNamesAndCounts() {
        let net = Sequential { Linear(2, 3); ReLU(); Linear(3, 1); Sigmoid() }
        // PyTorch: [n for n, _ in nn.Sequential(nn.Linear(2,3), nn.ReLU(), nn.Linear(3,1), nn.Sigmoid()).named_parameters()]
        #expect(net.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        // PyTorch: sum(p.numel() for p in net.parameters())  -> 13
        #expect(net.parameters().map(\.count).reduce(0, +) == 13)
        #expect(net.parameters().count == 4)
        #expect(net.count == 4)
        #expect(net[0] is Linear && net[1] is ReLU && net[3] is Sigmoid)
        #expect(net.namedParameters()[2].1 === (net[2] as! Linear).weight)
        #expect(net.children().count == 4)
        #expect(net.modules().count == 5)
        #expect(net.to(.cpu) === net)

        // The array form, and append.
        let arr = Sequential([Linear(4, 2), Tanh()])
        arr.append(Linear(2, 5))
        #expect(arr.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(arr.parameters().map(\.shape) == [[2, 4], [2], [5, 2], [5]])
        #expect(arr(Tensor.zeros(3, 4)).shape == [3, 5])

        // Nested Sequentials give dotted names.
        let nested = Sequential { Linear(1, 2); Sequential { ReLU(); Linear(2, 2) } }
        // PyTorch: [n for n, _ in nn.Sequential(nn.Linear(1,2), nn.Sequential(nn.ReLU(), nn.Linear(2,2))).named_parameters()]
        #expect(nested.namedParameters().map(\.0) == ["0.weight", "0.bias", "1.1.weight", "1.1.bias"])
    }

    @Test func customModuleFindsParametersModulesAndArrays() {
        let m = TwoLayer()
        // PyTorch (TwoLayer above, lists as nn.ModuleList): [n for n, _ in m.named_parameters()]
        #expect(m.namedParameters().map(\.0) == ["scale", "l1.weight", "l1.bias", "blocks.0.weight", "blocks.0.bias",
                                                  "blocks.2.weight", "blocks.2.bias", "moduleList.0.weight", "moduleList.0.bias",
                                                  "moduleList.2.weight", "moduleList.2.bias"])
        // PyTorch: sum(p.numel() for p in m.parameters())  -> 32
        #expect(m.parameters().map(\.count).reduce(0, +) == 32)
        #expect(m.parameters()[0] === m.scale)
        #expect(m.parameters()[1] === m.l1.weight)
        // PyTorch: list(m.state_dict().keys())  (same names, plain tensors are not state)
        #expect(m.stateDict().keys == m.namedParameters().map(\.0))
        #expect(m(Tensor.ones(4, 2)).shape == [4, 1])
        #expect(m.moduleList.count == 3 && m.moduleList[1] is Tanh)
        #expect(Array(m.moduleList).count == 3)

        // A subclass of a user's module sees the base class's properties first.
        let d = DerivedNet()
        #expect(d.namedParameters().map(\.0) == ["gain", "first.weight", "first.bias", "second.weight", "second.bias"])

        // A module stored twice: parameters() lists it once, the state dict under both names.
        let s = Shared()
        // PyTorch: [n for n, _ in s.named_parameters()]; list(s.state_dict().keys())
        #expect(s.namedParameters().map(\.0) == ["a.weight", "a.bias"])
        #expect(s.stateDict().keys == ["a.weight", "a.bias", "b.weight", "b.bias"])
    }

    @Test func trainAndEvalPropagate() {
        let inner = Sequential { ReLU(); Dropout(0.5) }
        let net = Sequential { Linear(2, 2); Dropout(0.3); inner }
        #expect(net.modules().allSatisfy { $0.isTraining })
        let r = net.eval()
        #expect(r === net)
        #expect(net.modules().allSatisfy { !$0.isTraining })
        #expect(net.modules().count == 6)
        net.train()
        #expect(net.modules().allSatisfy { $0.isTraining })
        inner.train(false)
        #expect(net.isTraining && net[0].isTraining && net[1].isTraining)
        #expect(!inner.isTraining && !inner[0].isTraining && !inner[1].isTraining)
        net.train(true)
        #expect(inner[1].isTraining)
        // Custom modules: the reflected children and the [Module] elements too.
        let m = TwoLayer().eval()
        #expect(!m.l1.isTraining && !m.blocks[2].isTraining && !m.moduleList[2].isTraining)
    }

    @Test func zeroGradOnModules() {
        manualSeed(0)
        let net = Sequential { Linear(3, 2); ReLU(); Linear(2, 1) }
        net(Tensor.ones(4, 3)).sum().backward()
        #expect(net.parameters().allSatisfy { $0.grad != nil })
        net.zeroGrad(setToNil: false)
        #expect(net.parameters().allSatisfy { p in p.grad.map { values($0).allSatisfy { $0 == 0 } } ?? false })
        net.zeroGrad()
        #expect(net.parameters().allSatisfy { $0.grad == nil })
    }

    // MARK: Dropout

    @Test func dropoutMatchesPyTorchInTrainingAndIsIdentityInEval() {
        manualSeed(0)
        let d = Dropout(0.123)
        let y = d(Tensor.ones(8))
        // PyTorch: torch.manual_seed(0); F.dropout(torch.ones(8), 0.123)
        #expect(floatBits(y) == floatBits([0.0, 1.1402509212493896, 1.1402509212493896, 0.0,
                                           1.1402509212493896, 1.1402509212493896, 1.1402509212493896, 1.1402509212493896]))

        manualSeed(3)
        let x = Tensor.arange(0.0, 10.0).reshape(2, 5).requiresGrad_()
        let d2 = Dropout(0.5)
        let y2 = d2(x)
        // PyTorch: torch.manual_seed(3); x = torch.arange(10.).reshape(2,5).requires_grad_(); y = nn.Dropout(0.5)(x); y
        expectValues(y2, [0.0, 2.0, 0.0, 6.0, 0.0, 0.0, 12.0, 14.0, 16.0, 0.0], shape: [2, 5])
        // PyTorch: y.grad_fn.name()  -> MulBackward0 (CPU dropout is input * mask/(1-p))
        #expect(y2.gradFn == "MulBackward0")
        // PyTorch: y.sum().backward(); x.grad
        y2.sum().backward()
        expectValues(x.grad!, [2.0, 2.0, 0.0, 2.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0])

        // Eval: the input unchanged, and no random numbers drawn.
        manualSeed(0)
        d.eval()
        let e = d(Tensor([1.0, 2.0, 3.0]))
        #expect(values(e) == [1.0, 2.0, 3.0])
        // PyTorch: torch.manual_seed(0); torch.rand(3)
        #expect(floatBits(Tensor.rand(3)) == floatBits([0.49625658988952637, 0.7682217955589294, 0.08847743272781372]))

        // p = 0 and p = 1.
        #expect(values(Dropout(0)(Tensor([1.0, 2.0]))) == [1.0, 2.0])
        #expect(values(Dropout(1)(Tensor([1.0, 2.0]))) == [0.0, 0.0])
        #expect(Dropout().p == 0.5)
        // The free function follows `training:`.
        #expect(values(dropout(Tensor([4.0]), p: 0.9, training: false)) == [4.0])
    }

    // MARK: Printing

    @Test func descriptionsMatchPyTorchRepr() {
        let net = Sequential { Linear(2, 3); ReLU(); Linear(3, 1); Sigmoid() }
        // PyTorch: print(nn.Sequential(nn.Linear(2,3), nn.ReLU(), nn.Linear(3,1), nn.Sigmoid()))
        #expect(net.description == """
            Sequential(
              (0): Linear(in_features=2, out_features=3, bias=True)
              (1): ReLU()
              (2): Linear(in_features=3, out_features=1, bias=True)
              (3): Sigmoid()
            )
            """)
        // PyTorch: print(nn.Sequential(nn.Linear(2,3), nn.Sequential(nn.ReLU(), nn.Dropout(0.25)), nn.Flatten()))
        let nested = Sequential { Linear(2, 3); Sequential { ReLU(); Dropout(0.25) }; Flatten() }
        #expect(nested.description == """
            Sequential(
              (0): Linear(in_features=2, out_features=3, bias=True)
              (1): Sequential(
                (0): ReLU()
                (1): Dropout(p=0.25, inplace=False)
              )
              (2): Flatten(start_dim=1, end_dim=-1)
            )
            """)
        // PyTorch: repr(nn.Flatten()), repr(nn.Dropout(0.25)), repr(nn.Dropout()), repr(nn.Dropout(0.1)), ...
        #expect(Flatten().description == "Flatten(start_dim=1, end_dim=-1)")
        #expect(Dropout(0.25).description == "Dropout(p=0.25, inplace=False)")
        #expect(Dropout().description == "Dropout(p=0.5, inplace=False)")
        #expect(Dropout(0.1).description == "Dropout(p=0.1, inplace=False)")
        #expect(LeakyReLU().description == "LeakyReLU(negative_slope=0.01)")
        #expect(LeakyReLU(negativeSlope: 0.2).description == "LeakyReLU(negative_slope=0.2)")
        #expect(Softmax(dim: 1).description == "Softmax(dim=1)")
        #expect(LogSoftmax(dim: 1).description == "LogSoftmax(dim=1)")
        #expect(ELU().description == "ELU(alpha=1.0)")
        #expect(ELU(alpha: 0.5).description == "ELU(alpha=0.5)")
        #expect(GELU().description == "GELU(approximate='none')")
        #expect(Identity().description == "Identity()")
        #expect(Tanh().description == "Tanh()")
        #expect(Linear(4, 2, bias: false).description == "Linear(in_features=4, out_features=2, bias=False)")
        // PyTorch: print(Tower())  (l1 = nn.Linear(2,3); moduleList = nn.ModuleList([nn.Linear(3,3), nn.ReLU(), nn.Linear(3,1)]))
        #expect(Tower().description == """
            Tower(
              (l1): Linear(in_features=2, out_features=3, bias=True)
              (moduleList): ModuleList(
                (0): Linear(in_features=3, out_features=3, bias=True)
                (1): ReLU()
                (2): Linear(in_features=3, out_features=1, bias=True)
              )
            )
            """)
        // PyTorch: print(nn.Sequential(NoisyLinear(2,4,0.07), nn.ReLU(), nn.Linear(4,1)))
        #expect(Sequential { NoisyLinear(2, 4, noiseStddev: 0.07); ReLU(); Linear(4, 1) }.description == """
            Sequential(
              (0): NoisyLinear()
              (1): ReLU()
              (2): Linear(in_features=4, out_features=1, bias=True)
            )
            """)
        // PyTorch: repr(nn.Parameter(torch.tensor([1.0, 2.0])))
        #expect(Parameter(Tensor([1.0, 2.0])).description == "Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    }

    // MARK: State dicts

    @Test func stateDictKeysAndLoading() throws {
        manualSeed(0)
        let a = Sequential { Linear(2, 3); ReLU(); Linear(3, 1) }
        let b = Sequential { Linear(2, 3); ReLU(); Linear(3, 1) }
        let sd = a.stateDict()
        // PyTorch: list(nn.Sequential(nn.Linear(2,3), nn.ReLU(), nn.Linear(3,1)).state_dict().keys())
        #expect(sd.keys == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(sd.count == 4)
        #expect(sd["0.weight"]!.shape == [3, 2] && !sd["0.weight"]!.requiresGrad)
        #expect(Array(sd).map(\.0) == sd.keys)
        #expect(!values(a.parameters()[0]).elementsEqual(values(b.parameters()[0])))

        try b.loadStateDict(sd)
        for (pa, pb) in zip(a.parameters(), b.parameters()) {
            #expect(values(pa) == values(pb))
            #expect(pb.requiresGrad && pb.isLeaf)
            #expect(pa !== pb)
        }
        // Loading copies: changing the source afterwards leaves b alone.
        let before = values(b.parameters()[0])
        noGrad { _ = a.parameters()[0].fill_(7) }
        #expect(values(b.parameters()[0]) == before)
        let x = Tensor([[0.5, -0.25]])
        try b.loadStateDict(a.stateDict())
        #expect(values(b(x)) == values(a(x)))

        // Missing and unexpected keys (strict).
        var partial = a.stateDict()
        partial["2.bias"] = nil
        partial["extra.weight"] = Tensor.zeros(1)
        #expect(partial.keys == ["0.weight", "0.bias", "2.weight", "extra.weight"])
        // PyTorch (b = nn.Sequential(nn.Linear(2,3), nn.ReLU(), nn.Linear(3,1)), the same partial dict):
        //   str(e) of b.load_state_dict(sd); b.load_state_dict(sd, strict=False)
        func message(_ body: () throws -> Void) -> String { do { try body(); return "" } catch { return "\(error)" } }
        #expect(message { try b.loadStateDict(partial) }
                == "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"2.bias\". \n\tUnexpected key(s) in state_dict: \"extra.weight\". ")
        // Non-strict: the matching keys load, the others are ignored and returned.
        noGrad { _ = partial["0.bias"]!.fill_(-3) }
        let keys = try b.loadStateDict(partial, strict: false)
        #expect(values(b.parameters()[1]) == [-3, -3, -3])
        #expect("\(keys)" == "_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['extra.weight'])")
        #expect(keys.missingKeys == ["2.bias"] && keys.unexpectedKeys == ["extra.weight"])
        #expect("\(try b.loadStateDict(b.stateDict()))" == "<All keys matched successfully>")

        // Shape mismatches throw, strict or not, listing every one; nothing is copied.
        let wide = Sequential { Linear(2, 4); ReLU(); Linear(4, 1) }
        let beforeLoad = values(b.parameters()[0])
        let sizes = "size mismatch for 0.weight: copying a param with shape torch.Size([4, 2]) from checkpoint, the shape in current model is torch.Size([3, 2]).\n\tsize mismatch for 0.bias: copying a param with shape torch.Size([4]) from checkpoint, the shape in current model is torch.Size([3]).\n\tsize mismatch for 2.weight: copying a param with shape torch.Size([1, 4]) from checkpoint, the shape in current model is torch.Size([1, 3])."
        #expect(message { try b.loadStateDict(wide.stateDict()) } == "Error(s) in loading state_dict for Sequential:\n\t" + sizes)
        #expect(message { try b.loadStateDict(wide.stateDict(), strict: false) } == "Error(s) in loading state_dict for Sequential:\n\t" + sizes)
        var wideMissing = wide.stateDict()
        wideMissing["2.bias"] = nil
        #expect(message { try b.loadStateDict(wideMissing) }
                == "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"2.bias\". \n\t" + sizes)
        #expect(values(b.parameters()[0]) == beforeLoad)
    }

    // MARK: NoisyLinear (lecture 06)

    @Test func noisyLinearAddsNoiseOnlyWhileTraining() {
        manualSeed(0)
        let m = NoisyLinear(2, 4, noiseStddev: 0.1)
        // PyTorch (lecture 06's NoisyLinear): torch.manual_seed(0); m = NoisyLinear(2, 4, 0.1); m.w
        #expect(floatBits(m.w) == floatBits([-0.007486820220947266, 0.5364435911178589, -0.8230451345443726, -0.7359390258789062,
                                             -0.3851543664932251, 0.26815736293792725, -0.019813179969787598, 0.7928894758224487]))
        #expect(values(m.b) == [0, 0, 0, 0])
        // PyTorch: [n for n, _ in m.named_parameters()]
        #expect(m.namedParameters().map(\.0) == ["w", "b"])
        let x = Tensor([[0.5, -1.0], [1.0, 2.0], [-0.5, 0.25]])
        // PyTorch: x = torch.tensor([[0.5, -1.0], [1.0, 2.0], [-0.5, 0.25]]); y1 = m(x)   (training: with noise)
        let y1 = m(x)
        expectValues(y1, [0.4360904395580292, -0.09561843425035477, -0.2996772527694702, -1.1919379234313965,
                          -0.8103744983673096, 1.1168678998947144, -0.8975291848182678, 0.8866023421287537,
                          -0.0764717310667038, -0.2505825161933899, 0.4665665626525879, 0.5871441960334778], shape: [3, 4])
        // PyTorch: y1.grad_fn.name()
        #expect(y1.gradFn == "AddBackward0")
        // A second training call draws new noise.
        #expect(values(m(x)) != values(y1))
        // PyTorch: m.eval(); m(x)   (no noise)
        m.eval()
        let y2 = m(x)
        let expectedEval = [0.38141095638275146, 6.443262100219727e-05, -0.3917093873023987, -1.1608589887619019,
                            -0.7777955532073975, 1.0727583169937134, -0.8626714944839478, 0.8498399257659912,
                            -0.09254518151283264, -0.20118245482444763, 0.4065692722797394, 0.5661919116973877]
        expectValues(y2, expectedEval)
        expectValues(m(x), expectedEval)
        // Gradients reach the custom parameters.
        y2.sum().backward()
        // d/dw sum(x @ w + b) = column sums of x, repeated; d/db = number of rows
        expectValues(m.w.grad!, [1.0, 1.0, 1.0, 1.0, 1.25, 1.25, 1.25, 1.25])
        expectValues(m.b.grad!, [3, 3, 3, 3])
    }

    // MARK: nn.init

    @Test func initFunctionsMatchPyTorch() {
        manualSeed(0)
        let t = Tensor.empty(3, 5)
        xavierUniform_(t)
        // PyTorch: torch.manual_seed(0); t = torch.empty(3, 5); nn.init.xavier_uniform_(t)
        #expect(floatBits(t) == floatBits([-0.006483776494860649, 0.46457377076148987, -0.7127779722213745, -0.6373418569564819,
                                           -0.3335534632205963, 0.23223108053207397, -0.017158716917037964, 0.6866624355316162,
                                           -0.07685459405183792, 0.22916118800640106, -0.26172420382499695, -0.17023061215877533,
                                           -0.8273560404777527, -0.5735531449317932, -0.35699567198753357]))
        manualSeed(0)
        xavierUniform_(t, gain: calculateGain("tanh"))
        // PyTorch: torch.manual_seed(0); nn.init.xavier_uniform_(t, gain=nn.init.calculate_gain('tanh'))
        expectValues(t, [-0.010806294158101082, 0.7742896676063538, -1.1879633665084839, -1.0622365474700928,
                         -0.5559224486351013, 0.3870518207550049, -0.028597863391041756, 1.1444374322891235,
                         -0.1280909925699234, 0.38193532824516296, -0.43620699644088745, -0.28371772170066833,
                         -1.3789267539978027, -0.9559218883514404, -0.5949928164482117], atol: 1e-7, rtol: 1e-6)

        // normal_ with 16 or more elements uses PyTorch's vectorised normal path.
        manualSeed(0)
        let n20 = xavierNormal_(Tensor.empty(4, 5))
        // PyTorch: torch.manual_seed(0); nn.init.xavier_normal_(torch.empty(4, 5))
        expectValues(n20, [-0.5307260155677795, -0.5432277917861938, -0.11812387406826019, -0.2045324295759201,
                           0.2822956442832947, -0.7330788373947144, -0.16091883182525635, 0.8735154867172241,
                           0.22066275775432587, -0.07434635609388351, 0.6805478930473328, 0.12541690468788147,
                           0.6549534797668457, 0.747805118560791, 0.44608932733535767, -0.3977130353450775,
                           0.43926727771759033, 0.5935026407241821, 0.9451569318771362, 0.02533181942999363], atol: 1e-7, rtol: 1e-6)
        manualSeed(0)
        // PyTorch: torch.manual_seed(0); nn.init.xavier_normal_(torch.empty(2, 3))
        expectValues(xavierNormal_(Tensor.empty(2, 3)), [0.9746115207672119, -0.18558073043823242, -1.3779873847961426,
                                                          0.3595075011253357, -0.6859121322631836, -0.8845493793487549], atol: 1e-7, rtol: 1e-6)

        manualSeed(0)
        // PyTorch: torch.manual_seed(0); nn.init.kaiming_uniform_(torch.empty(3, 5), nonlinearity='relu')
        expectValues(kaimingUniform_(Tensor.empty(3, 5), nonlinearity: "relu"),
                     [-0.008201400749385357, 0.5876445174217224, -0.9016007781028748, -0.8061808347702026,
                      -0.4219154715538025, 0.29375168681144714, -0.021704252809286118, 0.8685669302940369,
                      -0.0972142368555069, 0.2898685336112976, -0.3310578465461731, -0.21532660722732544,
                      -1.0465319156646729, -0.7254937291145325, -0.45156779885292053], atol: 1e-7, rtol: 1e-6)
        // A conv-shaped weight: fans include the receptive field (fan_in = 3*2*2).
        manualSeed(0)
        let conv = kaimingUniform_(Tensor.empty(4, 3, 2, 2), a: 5.0.squareRoot())
        // PyTorch: torch.manual_seed(0); t = torch.empty(4,3,2,2); nn.init.kaiming_uniform_(t, a=math.sqrt(5)); t[0,0]; t[3,2]
        expectValues(conv[0, 0], [-0.0021612588316202164, 0.15485791862010956, -0.2375926673412323, -0.21244730055332184], atol: 1e-7, rtol: 1e-6)
        expectValues(conv[3, 2], [-0.2085869014263153, -0.1488206833600998, 0.18213608860969543, 0.16925635933876038], atol: 1e-7, rtol: 1e-6)
        manualSeed(0)
        // PyTorch: torch.manual_seed(0); nn.init.kaiming_normal_(torch.empty(4, 5), mode='fan_out', nonlinearity='relu')
        expectValues(kaimingNormal_(Tensor.empty(4, 5), mode: .fanOut, nonlinearity: "relu"),
                     [-0.7960889935493469, -0.8148416876792908, -0.1771858185529709, -0.30679863691329956,
                      0.42344343662261963, -1.0996181964874268, -0.24137824773788452, 1.3102731704711914,
                      0.3309941291809082, -0.11151953786611557, 1.0208218097686768, 0.188125342130661,
                      0.9824302196502686, 1.1217076778411865, 0.6691339612007141, -0.5965695381164551,
                      0.6589009165763855, 0.8902539610862732, 1.4177353382110596, 0.03799772635102272], atol: 1e-7, rtol: 1e-6)
        manualSeed(0)
        // PyTorch: torch.manual_seed(0); nn.init.uniform_(torch.empty(2, 3), -2, 3)
        expectValues(uniform_(Tensor.empty(2, 3), -2, 3), [0.48128294944763184, 1.841109037399292, -1.5576128959655762,
                                                           -1.3398475646972656, -0.46288591623306274, 1.170393466949463], atol: 1e-7, rtol: 1e-6)
        manualSeed(0)
        // PyTorch: torch.manual_seed(0); nn.init.normal_(torch.empty(2, 3), mean=1.0, std=0.5)
        expectValues(normal_(Tensor.empty(2, 3), mean: 1, std: 0.5), [1.7704980373382568, 0.853285551071167, -0.08939468860626221,
                                                                      1.2842156887054443, 0.45773881673812866, 0.300702303647995], atol: 1e-7, rtol: 1e-6)
        // With a generator: the global one is not touched.
        manualSeed(0)
        let g = Generator(seed: 7)
        // PyTorch: g = torch.Generator().manual_seed(7); nn.init.xavier_uniform_(torch.empty(2, 3), generator=g)
        expectValues(xavierUniform_(Tensor.empty(2, 3), generator: g), [0.0765114575624466, -0.6598891615867615, 0.34881535172462463,
                                                                       0.3437293767929077, -0.5854901075363159, -0.16418224573135376], atol: 1e-7, rtol: 1e-6)
        // PyTorch: torch.manual_seed(0); torch.rand(3)
        #expect(floatBits(Tensor.rand(3)) == floatBits([0.49625658988952637, 0.7682217955589294, 0.08847743272781372]))

        let c = Tensor.empty(2, 2)
        #expect(values(constant_(c, 0.25)) == [0.25, 0.25, 0.25, 0.25])
        #expect(values(zeros_(c)) == [0, 0, 0, 0])
        #expect(values(ones_(c)) == [1, 1, 1, 1])
        // Initialising a parameter records nothing: it stays a leaf that requires grad.
        let p = Parameter(Tensor.empty(3, 2))
        xavierUniform_(p)
        #expect(p.isLeaf && p.requiresGrad && p.gradFn == nil)

        // PyTorch: nn.init.calculate_gain(...) for linear, sigmoid, tanh, relu, selu, leaky_relu, leaky_relu(0.2)
        #expect(calculateGain("linear") == 1 && calculateGain("sigmoid") == 1)
        // PyTorch: nn.init.calculate_gain('conv_transpose2d') -> 1
        #expect(calculateGain("conv_transpose2d") == 1 && calculateGain("conv1d") == 1)
        #expect(Swift.abs(calculateGain("tanh") - 1.6666666666666667) < 1e-15)
        #expect(Swift.abs(calculateGain("relu") - 1.4142135623730951) < 1e-15)
        #expect(calculateGain("selu") == 0.75)
        #expect(Swift.abs(calculateGain("leaky_relu") - 1.4141428569978354) < 1e-15)
        #expect(Swift.abs(calculateGain("leaky_relu", param: 0.2) - 1.3867504905630728) < 1e-15)
    }

    // MARK: Activation modules

    @Test func activationModulesValuesGradientsAndGradFns() {
        // PyTorch: x = torch.tensor([[-2.0, -0.5, 0.0], [0.3, 1.0, 2.5]], requires_grad=True)
        //          w = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]]); y = mod(x); (y * w).sum().backward()
        //          y; x.grad; y.grad_fn.name()
        let cases: [(Module, [Double], [Double], String?)] = [
            (ReLU(), [0.0, 0.0, 0.0, 0.30000001192092896, 1.0, 2.5], [0.0, 0.0, 0.0, 3.0, 0.25, -1.5], "ReluBackward0"),
            (LeakyReLU(negativeSlope: 0.2), [-0.4000000059604645, -0.10000000149011612, 0.0, 0.30000001192092896, 1.0, 2.5],
             [0.20000000298023224, -0.4000000059604645, 0.10000000149011612, 3.0, 0.25, -1.5], "LeakyReluBackward0"),
            (ELU(alpha: 0.5), [-0.4323323667049408, -0.19673466682434082, 0.0, 0.30000001192092896, 1.0, 2.5],
             [0.0676676407456398, -0.6065306663513184, 0.25, 3.0, 0.25, -1.5], "EluBackward0"),
            (Sigmoid(), [0.11920291930437088, 0.3775406777858734, 0.5, 0.5744425058364868, 0.7310585975646973, 0.9241418242454529],
             [0.10499358177185059, -0.47000741958618164, 0.125, 0.7333749532699585, 0.049152981489896774, -0.1051555722951889], "SigmoidBackward0"),
            (Tanh(), [-0.9640275835990906, -0.46211716532707214, 0.0, 0.29131263494491577, 0.7615941762924194, 0.9866142868995667],
             [0.07065081596374512, -1.5728954076766968, 0.5, 2.745410919189453, 0.10499357432126999, -0.039888374507427216], "TanhBackward0"),
            (GELU(), [-0.04550027847290039, -0.1542687714099884, 0.0, 0.1853734403848648, 0.8413447141647339, 2.48447585105896],
             [-0.08523187041282654, -0.2650098204612732, 0.25, 2.1969833374023438, 0.27082884311676025, -1.5564165115356445], "GeluBackward0"),
            (SiLU(), [-0.23840583860874176, -0.1887703388929367, 0.0, 0.172332763671875, 0.7310585975646973, 2.310354471206665],
             [-0.09078425168991089, -0.520077645778656, 0.25, 1.9433400630950928, 0.2319176346063614, -1.6491016149520874], "SiluBackward0"),
            (Softmax(dim: 1), [0.0776955857872963, 0.3482074439525604, 0.5740970373153687, 0.0830649882555008, 0.16727234423160553, 0.7496626377105713],
             [0.10346493870019913, -0.5809246301651001, 0.47745972871780396, 0.31842803955078125, 0.1812363862991333, -0.4996644854545593], "SoftmaxBackward0"),
            (Softmax(dim: 0), [0.09112296998500824, 0.18242551386356354, 0.07585817575454712, 0.9088770747184753, 0.8175744414329529, 0.9241418242454529],
             [-0.16563916206359863, -0.335579514503479, 0.1402074247598648, 0.1656389683485031, 0.335579514503479, -0.1402074247598648], "SoftmaxBackward0"),
            (LogSoftmax(dim: 1), [-2.5549569129943848, -1.0549569129943848, -0.55495685338974, -2.4881319999694824, -1.7881319522857666, -0.288131982088089],
             [1.038847804069519, -1.8258962631225586, 0.7870485186576843, 2.8546361923217773, -0.042726628482341766, -2.8119096755981445], "LogSoftmaxBackward0"),
            (Identity(), [-2.0, -0.5, 0.0, 0.30000001192092896, 1.0, 2.5], [1.0, -2.0, 0.5, 3.0, 0.25, -1.5], nil),
        ]
        let w = Tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])
        for (mod, expectedY, expectedGrad, fn) in cases {
            let x = Tensor([[-2.0, -0.5, 0.0], [0.3, 1.0, 2.5]], requiresGrad: true)
            let y = mod(x)
            (y * w).sum().backward()
            expectValues(y, expectedY, shape: [2, 3], dtype: .float32)
            expectValues(x.grad!, expectedGrad, shape: [2, 3])
            #expect(y.gradFn == fn, "\(mod)")
            #expect(mod.parameters().isEmpty)
        }
        // Flatten: (2, 3, 2, 2) -> (2, 12); with startDim 0 -> (24).
        let t = Tensor.arange(0.0, 24.0).reshape(2, 3, 2, 2)
        #expect(Flatten()(t).shape == [2, 12])
        #expect(Flatten(startDim: 0)(t).shape == [24])
        #expect(Flatten(startDim: 1, endDim: 2)(t).shape == [2, 6, 2])
        #expect(values(Flatten()(t)) == values(t))
    }
}
}
