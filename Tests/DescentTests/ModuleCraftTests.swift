import Testing
import Foundation
import Descent

// Module and metric conveniences that a review of unseen programs wrote as PyTorch does: non-persistent
// buffers, shared submodules listed once, Sequential/ModuleList editing, partial-range slices, a
// one-argument MeanMetric, MetricCollection. Expected values from PyTorch 2.13 / torchmetrics 1.9,
// the snippet beside each.
private final class BufferBlock: Module {
    let l = Linear(2, 2)
    let keep = Tensor.ones(2), cache = Tensor.zeros(3)
    override init() {
        super.init()
        registerBuffer("keep", keep)
        registerBuffer("cache", cache, persistent: false)
    }
    override func forward(_ x: Tensor) -> Tensor { l(x) }
}

extension Core {
@Suite struct ModuleCraftTests {
    @Test func nonPersistentBuffersStayOutOfTheStateDict() throws {
        // PyTorch: register_buffer('keep', torch.ones(2)); register_buffer('cache', torch.zeros(3), persistent=False)
        //          list(b.state_dict().keys()) -> ['keep', 'l.weight', 'l.bias']; [n for n, _ in b.named_buffers()] -> ['keep', 'cache']
        let b = BufferBlock()
        #expect(b.stateDict().keys.map { $0 } == ["keep", "l.weight", "l.bias"])
        #expect(b.namedBuffers().map(\.0) == ["keep", "cache"])
        try b.loadStateDict(BufferBlock().stateDict())   // strict: the cache is neither missing nor unexpected
    }

    @Test func aSharedSubmoduleIsListedOnceButSavedUnderEachName() {
        // PyTorch: sh = nn.Linear(2, 2); m = nn.Sequential(sh, nn.ReLU(), sh)
        //          [n for n, _ in m.named_modules()] -> ['', '0', '1']; list(m.state_dict()) -> ['0.weight', '0.bias', '2.weight', '2.bias']
        let sh = Linear(2, 2)
        let m = Sequential(sh, ReLU(), sh)
        #expect(m.namedModules().map(\.0) == ["", "0", "1"] && m.modules().count == 3)
        #expect(m.namedModules(removeDuplicate: false).map(\.0) == ["", "0", "1", "2"])
        #expect(m.stateDict().keys.map { $0 } == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(m.parameters().count == 2)
    }

    @Test func sequentialAndModuleListEditing() {
        // PyTorch: s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(1, nn.Identity()); s.extend([nn.Sigmoid()]); print(s)
        //          s.pop(0) -> ReLU(), len(s) == 3; print(s); [type(x).__name__ for x in s[1:]] -> ['Tanh', 'Sigmoid']
        let s = Sequential(ReLU(), Tanh())
        s.insert(1, Identity())
        s.extend([Sigmoid()])
        #expect(s.description == "Sequential(\n  (0): ReLU()\n  (1): Identity()\n  (2): Tanh()\n  (3): Sigmoid()\n)")
        #expect(s.pop(0) is ReLU && s.count == 3)
        #expect(s.description == "Sequential(\n  (0): Identity()\n  (1): Tanh()\n  (2): Sigmoid()\n)")
        #expect(s[1...].map { "\($0)" } == ["Tanh()", "Sigmoid()"] && s[..<1].count == 1)
        #expect(s.map { "\($0)" } == ["Identity()", "Tanh()", "Sigmoid()"])   // for layer in s
        // ml = nn.ModuleList([nn.ReLU()]); ml.extend([nn.Tanh(), nn.Sigmoid()]); ml.insert(1, nn.Identity()); ml[-1] -> Sigmoid(), len 4
        let ml = ModuleList([ReLU()])
        ml.extend([Tanh(), Sigmoid()])
        ml.insert(1, Identity())
        #expect(ml[-1] is Sigmoid && ml.count == 4)
        #expect(ml.description == "ModuleList(\n  (0): ReLU()\n  (1): Identity()\n  (2): Tanh()\n  (3): Sigmoid()\n)")
    }

    @Test func aggregationMetricsReturnTheBatchValueWhenCalled() {
        // torchmetrics: mean = MeanMetric(); mean(torch.tensor([10., 20.])) -> 15., mean(torch.tensor(6.)) -> 6., mean.compute() -> 12.
        //               s = SumMetric(); s(torch.tensor([1., 2.])) -> 3.; s(torch.tensor(4.)) -> 4.; s.compute() -> 7.
        let mean = MeanMetric()
        #expect(mean(Tensor([10.0, 20.0])).item() == 15 && mean(Tensor(6.0)).item() == 6 && mean.compute().item() == 12)
        let s = SumMetric()
        #expect(s(Tensor([1.0, 2.0])).item() == 3 && s(Tensor(4.0)).item() == 4 && s.compute().item() == 7)
    }

    @Test func metricCollectionKeysValuesAndRepr() {
        // torchmetrics: mc = MetricCollection([Accuracy(task="multiclass", num_classes=4),
        //   F1Score(task="multiclass", num_classes=4, average="macro")], prefix="val_"); print(mc); list(mc.keys())
        //   torch.manual_seed(0); l = torch.randn(6, 4); t = torch.randint(0, 4, (6,)); mc(l, t)
        //   -> {'val_MulticlassAccuracy': tensor(0.3333), 'val_MulticlassF1Score': tensor(0.2917)}
        //   n = MetricCollection({"acc": ..., "f1": F1Score(task="multiclass", num_classes=4)}, postfix="_x")
        //   list(n.keys()), list(n.keys(keep_base=True)) -> ['acc_x', 'f1_x'] ['acc', 'f1']; n(l, t) -> acc_x 0.3333, f1_x 0.3333
        let mc = MetricCollection([Accuracy(task: .multiclass(numClasses: 4)),
                                   F1Score(task: .multiclass(numClasses: 4), average: .macro)], prefix: "val_")
        #expect(mc.description == "MetricCollection(\n  (MulticlassAccuracy): MulticlassAccuracy()\n  (MulticlassF1Score): MulticlassF1Score(),\n  prefix=val_\n)")
        #expect(mc.keys() == ["val_MulticlassAccuracy", "val_MulticlassF1Score"])
        manualSeed(0)
        let l = Tensor.randn(6, 4), t = Tensor.randint(0, 4, [6])
        let out = mc(l, t)
        #expect(abs(out["val_MulticlassAccuracy"]!.item() - 1.0 / 3) < 1e-6 && abs(out["val_MulticlassF1Score"]!.item() - 0.2917) < 1e-4)
        #expect(abs(mc.compute()["val_MulticlassF1Score"]!.item() - 0.2917) < 1e-4)
        mc.reset()
        let n = MetricCollection(["acc": Accuracy(task: .multiclass(numClasses: 4)), "f1": F1Score(task: .multiclass(numClasses: 4))], postfix: "_x")
        #expect(n.keys() == ["acc_x", "f1_x"] && n.keys(keepBase: true) == ["acc", "f1"] && n["acc"] is Accuracy)
        let r = n(l, t)
        #expect(abs(r["acc_x"]!.item() - 1.0 / 3) < 1e-6 && abs(r["f1_x"]!.item() - 1.0 / 3) < 1e-6)
    }
}
}
