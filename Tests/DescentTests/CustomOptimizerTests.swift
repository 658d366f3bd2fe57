import Testing
import Descent

// An optimizer written outside the library, as a PyTorch user subclasses torch.optim.Optimizer: only
// `import Descent` (not @testable), typed settings of its own, and per-parameter state.

/// sign-SGD: p -= lr * sign(grad) (p += with `maximize`); the state tensor `count` counts each parameter's steps.
final class SignSGD: Optimizer {
    struct Settings: OptimizerSettings {
        var maximize = false
        static var defaultLR: Double { 0.01 }
        static var fields: [OptimizerSetting<Settings>] { [.flag("maximize", \.maximize)] }
    }
    init(groups: [ParamGroup], lr: Double = Settings.defaultLR) {
        super.init(groups: groups, lr: lr, defaults: Settings())
    }
    override func update(_ p: Parameter, grad: Tensor, group: ParamGroup, state: ParamState) {
        let s = group[Settings.self]
        state.zeros("count", like: p).add_(1)
        p.sub_(grad.sign(), alpha: s.maximize ? -group.lr : group.lr)
    }
}

extension Core {
@Suite struct CustomOptimizerTests {
    @Test func aSubclassWritesItsOwnUpdateWithTypedSettingsAndState() {
        let w = Parameter(Tensor([1.0, -2.0, 3.0]))
        let b = Parameter(Tensor([0.5]))
        let unused = Parameter(Tensor([7.0]))
        let opt = SignSGD(groups: [ParamGroup(params: [w, unused]), ParamGroup(params: [b], lr: 0.5, options: ["maximize": 1])], lr: 0.25)
        #expect(opt.paramGroups.map(\.lr) == [0.25, 0.5])
        #expect(opt.paramGroups[0][SignSGD.Settings.self].maximize == false && opt.paramGroups[1][SignSGD.Settings.self].maximize)
        let c = Tensor([3.0, -0.5, 0.0])
        for _ in 0..<2 {
            // loss = w·c + 2b: grad w = c = [3, -0.5, 0], sign [1, -1, 0]; grad b = 2, sign 1; `unused` gets no gradient
            let loss = (w * c).sum() + (b * 2).sum()
            loss.backward()
            opt.step()
            opt.zeroGrad()
        }
        // w = w0 - 2 * 0.25 * sign(c) = [0.5, -1.5, 3]; b = b0 + 2 * 0.5 (maximize) = 1.5; all exact in float32
        #expect(values(w) == [0.5, -1.5, 3.0])
        #expect(values(b) == [1.5])
        #expect(values(unused) == [7.0] && opt.state(for: unused) == nil)
        #expect(opt.state(for: w)?.step == 2 && opt.state(for: b)?.step == 2)
        #expect(opt.state(for: w)?["count"].map(values) == [2, 2, 2])
        // The state dict and printing use the settings' PyTorch names.
        let sd = opt.stateDict()
        #expect(sd["param_groups.0.maximize"]?.item() == 0 && sd["param_groups.1.maximize"]?.item() == 1)
        #expect(sd["state.0.count"].map(values) == [2, 2, 2] && sd["state.2.count"].map(values) == [2])
        #expect("\(opt)" == "SignSGD (\nParameter Group 0\n    lr: 0.25\n    maximize: False\n\nParameter Group 1\n    lr: 0.5\n    maximize: True\n)")
    }

    @Test func builtInSettingsAreTypedAndSeenByPyTorchsNames() {
        let p = Parameter(Tensor([1.0, 2.0]))
        let sgd = SGD([p], lr: 0.1, momentum: 0.9)
        #expect(sgd.paramGroups[0][SGD.Settings.self].momentum == 0.9)
        sgd.paramGroups[0][SGD.Settings.self].momentum = 0.5
        #expect(sgd.paramGroups[0].options["momentum"] == 0.5)
        #expect(sgd.stateDict()["param_groups.0.momentum"]?.item() == 0.5)
        let adam = Adam([p], betas: (0.8, 0.99))
        #expect(adam.paramGroups[0][Adam.Settings.self].betas.0 == 0.8 && adam.paramGroups[0][Adam.Settings.self].betas.1 == 0.99)
        #expect(adam.paramGroups[0].options["betas.0"] == 0.8 && adam.defaults["betas.1"] == 0.99)
        #expect(Adam.Settings().eps == 1e-8 && Adam.Settings.defaultLR == 0.001 && AdamW([p]).paramGroups[0][Adam.Settings.self].weightDecay == 0.01)
    }

    @Test func aSettingTheOptimizerDoesNotHaveStopsWithItsName() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD(groups: [ParamGroup(params: [Parameter(Tensor([1.0]))], options: ["betas.0": 0.5])])
        }
        #expect(stderr(result).contains("SGD has no setting 'betas.0'"))
    }
}
}
