import Foundation
import Testing
import Descent

/// A struct holding a tensor and a module, as a user's model might keep one.
private struct Pair { var scale: Tensor; var head: Linear; var label = "pair" }

/// Something a model refers to without owning it.
private protocol Watcher: AnyObject { var name: String { get } }
private final class Owner: Watcher { var name = "trainer" }

/// A step held behind a protocol, as a struct with a tensor and a string inside.
private protocol Step { func apply(_ x: Tensor) -> Tensor }
private struct ScaleStep: Step {
    var factor: Tensor
    var name: String
    func apply(_ x: Tensor) -> Tensor { x * factor }
}

/// A model with the shapes of property `deepcopy` must reach: a module used twice, weak links to
/// an owner, a struct behind a protocol, a dictionary and an optional of modules, a struct and a tuple holding tensors, a closure.
private final class Tangled: Module {
    let shared = Linear(4, 4)
    var stack: [Module]
    var byName: [String: Module] = ["norm": BatchNorm1d(4)]
    var extra: Linear? = Linear(4, 4, bias: false)
    var pair = Pair(scale: Tensor([2.0, 0.5, 1.0, -1.0]), head: Linear(4, 2))
    var offsets: (String, Tensor) = ("offsets", Tensor.full([4], 0.25))
    var activation: (Tensor) -> Tensor = { $0.relu() }
    weak var owner: Owner?
    weak var watcher: (any Watcher)?
    var steps: [any Step] = [ScaleStep(factor: Tensor([1.5]), name: "scale")]
    let ids: [Int] = Array(0..<100)
    override init() {
        stack = [shared, Tanh(), shared]
        super.init()
        registerBuffer("scale", pair.scale)
    }
    override func forward(_ x: Tensor) -> Tensor {
        var h = x
        for m in stack { h = m(h) }
        h = byName["norm"]!(activation(h) * pair.scale + offsets.1)
        for s in steps { h = s.apply(h) }
        return pair.head(extra!(h))
    }
}

extension Core {
@Suite struct DeepCopyTests {
    @Test func copiesEverythingTrainableAndSharesNothing() {
        manualSeed(0)
        let m = Tangled()
        let owner = Owner()
        m.owner = owner
        m.watcher = owner
        let x = Tensor.randn([8, 4])
        _ = m(x)                                     // moves the BatchNorm's running statistics
        m(x).sum().backward()                        // gives every parameter a gradient
        m.eval()
        let c = deepcopy(m)

        // the same values, outputs and mode...
        #expect(c.stateDict().keys == m.stateDict().keys)
        for ((n, a), (_, b)) in zip(m.stateDict(), c.stateDict()) { #expect(bitHash(a) == bitHash(b), "\(n)") }
        #expect(bitHash(c(x)) == bitHash(m(x)) && !c.isTraining)
        // (a dictionary of modules is not a child, in PyTorch or here: eval() did not reach it, nor the copy's)
        #expect(c.byName["norm"]!.isTraining && m.byName["norm"]!.isTraining && c.byName["norm"] !== m.byName["norm"])
        // ...in new objects: no parameter, buffer or module of the copy is the original's
        let originals = Set((m.modules() as [AnyObject] + m.parameters() + m.buffers()).map(ObjectIdentifier.init))
        let copies = Set((c.modules() as [AnyObject] + c.parameters() + c.buffers()).map(ObjectIdentifier.init))
        #expect(originals.isDisjoint(with: copies) && copies.count == originals.count)
        // a module used twice is one module in the copy too; the registered buffer is the struct's tensor
        #expect(c.stack[0] === c.shared && c.stack[2] === c.shared && c.buffer("scale")! === c.pair.scale)
        #expect(c.offsets.0 == "offsets" && c.offsets.1 !== m.offsets.1 && c.pair.label == "pair" && c.ids == m.ids)
        // parameters stay parameters with their gradients; weak links are nil in the copy
        for (p, q) in zip(m.parameters(), c.parameters()) {
            #expect(q.requiresGrad && q.grad != nil && q.grad !== p.grad && bitHash(q.grad!) == bitHash(p.grad!))
        }
        #expect(c.owner == nil && c.watcher == nil && m.owner === owner && m.watcher?.name == "trainer")
        // a struct behind a protocol is rebuilt around a copy of its tensor
        let (ms, cs) = (m.steps[0] as! ScaleStep, c.steps[0] as! ScaleStep)
        #expect(cs.factor !== ms.factor && values(cs.factor) == [1.5] && cs.name == "scale")

        // changing the original (training it, its running statistics) leaves the copy as it was
        let before = c(x)
        noGrad { for p in m.parameters() { p.mul_(0.5) }; for b in m.buffers() where b.dtype == .float32 { b.add_(1) } }
        m.zeroGrad()
        #expect(bitHash(c(x)) == bitHash(before) && c.parameters().allSatisfy { $0.grad != nil })
        #expect(bitHash(m(x)) != bitHash(before))
    }

    @Test func libraryModulesCopyAndStayIndependent() {
        manualSeed(1)
        let cases: [(Module, Tensor)] = [
            (Sequential { Conv2d(3, 4, kernelSize: 3, padding: 1); BatchNorm2d(4); ReLU(); MaxPool2d(2); Flatten(); Linear(16, 3) },
             Tensor.randn([2, 3, 4, 4])),
            (TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0), Tensor.randn([5, 2, 8])),
            (resnet18(numClasses: 5), Tensor.randn([1, 3, 32, 32])),
        ]
        for (m, x) in cases {
            m.eval()
            let c = deepcopy(m)
            let y = m(x)
            #expect(bitHash(c(x)) == bitHash(y), "\(type(of: m))")
            noGrad { for p in m.parameters() { p.zero_() } }
            #expect(bitHash(c(x)) == bitHash(y), "\(type(of: m)) shares a tensor with its copy")
        }
        // a recurrent layer's tuple form
        let lstm = LSTM(3, 5, numLayers: 2, batchFirst: true)
        let c = deepcopy(lstm)
        let x = Tensor.randn([2, 4, 3])
        let (y, (h, _)) = lstm(x)
        let (cy, (ch, _)) = c(x)
        #expect(bitHash(cy) == bitHash(y) && bitHash(ch) == bitHash(h) && c.parameters().count == lstm.parameters().count)
    }

    @Test func aTargetNetworkFollowsOnlyWhenLoaded() {
        // DQN's target network: target = copy.deepcopy(policy); train policy; target.load_state_dict(policy.state_dict())
        manualSeed(2)
        let policy = Sequential { Linear(3, 8); ReLU(); Linear(8, 2) }
        let target = deepcopy(policy)
        let opt = SGD(policy.parameters(), lr: 0.1)
        let x = Tensor.randn([4, 3])
        let y0 = target(x)
        policy(x).pow(2).mean().backward()
        opt.step()
        #expect(bitHash(target(x)) == bitHash(y0) && bitHash(policy(x)) != bitHash(y0))
        try! target.loadStateDict(policy.stateDict())
        #expect(bitHash(target(x)) == bitHash(policy(x)))
    }

    @Test func tensorsCopyWithTheirFlags() {
        let p = Parameter(Tensor([1.0, 2.0]), requiresGrad: false)
        let q = deepcopy(p)
        #expect(q !== p && !q.requiresGrad && values(q) == [1, 2])
        let t = Tensor([3.0]).requiresGrad_()
        (t * 2).sum().backward()
        let u = deepcopy(t)
        #expect(u.requiresGrad && u.grad.map(values) == [2] && u.grad !== t.grad)
    }

    @Test func weightNormHooksStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = deepcopy(weightNorm(Linear(2, 2)))
        }
        #expect(stderr(r).contains("weightNorm/spectralNorm hooks on [\"weight\"]"))
    }
}
}
