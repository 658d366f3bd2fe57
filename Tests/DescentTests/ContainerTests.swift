import Testing
import Descent

// Named Sequential and ModuleDict (PyTorch's nn.Sequential(OrderedDict(...)) and nn.ModuleDict).
// Expected strings come from PyTorch 2.13; the snippet is beside each.

/// PyTorch: class M(nn.Module): heads = nn.ModuleDict({'a': nn.Linear(2,1), 'b': nn.Linear(2,2)})
private final class Heads: Module {
    let heads = ModuleDict(["a": Linear(2, 1), "b": Linear(2, 2)])
    override init() { super.init() }
}

extension Core {
@Suite struct ContainerTests {
    /// PyTorch: net = nn.Sequential(OrderedDict([('fc1', nn.Linear(2,3)), ('act', nn.ReLU()), ('fc2', nn.Linear(3,1))]))
    ///          print(net); [n for n, _ in net.named_parameters()]; print(net[1:])
    @Test func namedSequential() {
        manualSeed(0)
        let net = Sequential(named: ["fc1": Linear(2, 3), "act": ReLU(), "fc2": Linear(3, 1)])
        #expect(net.description == """
        Sequential(
          (fc1): Linear(in_features=2, out_features=3, bias=True)
          (act): ReLU()
          (fc2): Linear(in_features=3, out_features=1, bias=True)
        )
        """)
        #expect(net.namedParameters().map(\.0) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(Array(net.stateDict().keys) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(net["fc2"] === net[2] && net[-1] === net[2])
        #expect(net[1..<3].description == """
        Sequential(
          (act): ReLU()
          (fc2): Linear(in_features=3, out_features=1, bias=True)
        )
        """)
        // the layers run in order: same result as calling them by hand
        let x = Tensor([[1.0, -2.0], [0.5, 0.25]])
        let byHand = net["fc2"](net["act"](net["fc1"](x)))
        #expect(net(x).toArray(Float.self) == byHand.toArray(Float.self))
        // append names the new layer by its index, as PyTorch does
        net.append(Sigmoid())
        #expect(net.namedChildren().map(\.0) == ["fc1", "act", "fc2", "3"])
    }

    /// PyTorch: d = nn.ModuleDict({'conv': nn.Conv2d(1, 2, 3), 'pool': nn.MaxPool2d(2)}); d['act'] = nn.ReLU()
    ///          print(d); list(d.keys()), len(d), 'pool' in d; [n for n,_ in d.named_parameters()]
    @Test func moduleDict() {
        let d = ModuleDict(["conv": Conv2d(1, 2, kernelSize: 3), "pool": MaxPool2d(2)])
        d["act"] = ReLU()
        #expect(d.description == """
        ModuleDict(
          (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
          (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          (act): ReLU()
        )
        """)
        #expect(d.keys == ["conv", "pool", "act"] && d.count == 3 && d.contains("pool") && !d.contains("fc"))
        #expect(d.namedParameters().map(\.0) == ["conv.weight", "conv.bias"])
        // replacing keeps the key's place; pop removes it
        let relu = ReLU()
        d["pool"] = relu
        #expect(d.keys == ["conv", "pool", "act"] && d["pool"] === relu)
        #expect(d.pop("conv") is Conv2d && d.keys == ["pool", "act"] && d.parameters().isEmpty)
        #expect(d["conv"] == nil)
        #expect(d.map(\.0) == ["pool", "act"])
    }

    /// PyTorch: print(M()); list(M().state_dict().keys())
    @Test func moduleDictInsideAModule() {
        let m = Heads()
        #expect(m.description == """
        Heads(
          (heads): ModuleDict(
            (a): Linear(in_features=2, out_features=1, bias=True)
            (b): Linear(in_features=2, out_features=2, bias=True)
          )
        )
        """)
        #expect(Array(m.stateDict().keys) == ["heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"])
    }

    /// PyTorch: nn.Sequential(OrderedDict([('a.b', nn.ReLU())])) -> KeyError: module name can't contain ".", got: a.b
    @Test func badNamesStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Sequential(named: ["a.b": ReLU()])
        }
        #expect(stderr(r).contains("module name can't contain \".\", got: a.b"))
        await #expect(processExitsWith: .failure) {
            _ = Sequential(named: ["a": ReLU(), "a": Tanh()])
        }
    }
}
}
