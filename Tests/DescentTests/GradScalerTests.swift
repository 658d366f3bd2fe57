import Foundation
import Testing
import Descent

extension Core {
@Suite struct GradScalerTests {
    @Test func scalesSkipsAndGrowsAsPyTorch() {
        // torch.manual_seed(0); model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        // opt = torch.optim.SGD(model.parameters(), lr=0.1)
        // scaler = torch.amp.GradScaler("cpu", init_scale=2.**118, growth_interval=3)
        // X = torch.randn(16, 4); Y = torch.randn(16, 1) * 100; scales = []; skipped = []
        // for i in range(12):
        //     opt.zero_grad(); loss = F.mse_loss(model(X), Y); scaler.scale(loss).backward()
        //     if i % 2 == 0: scaler.unscale_(opt); nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        //     w = model[0].weight.clone(); scaler.step(opt); scaler.update()
        //     skipped.append(torch.equal(w, model[0].weight)); scales.append(scaler.get_scale())
        // scales; skipped; [bh(p) for p in model.parameters()] (bh: Helpers.bitHash's twin); scaler.state_dict()
        manualSeed(0)
        let model = Sequential { Linear(4, 8); Tanh(); Linear(8, 1) }
        let opt = SGD(model.parameters(), lr: 0.1)
        let scaler = GradScaler("cpu", initScale: 0x1p118, growthInterval: 3)
        let x = Tensor.randn(16, 4), y = Tensor.randn(16, 1) * 100
        var scales: [Double] = [], skipped: [Bool] = []
        for i in 0..<12 {
            opt.zeroGrad()
            let loss = mseLoss(model(x), y)
            scaler.scale(loss).backward()
            if i % 2 == 0 { scaler.unscale_(opt); clipGradNorm_(model.parameters(), maxNorm: 0.5) }
            let w = (model[0] as! Linear).weight.detach().clone()
            scaler.step(opt); scaler.update()
            skipped.append(bitHash(w) == bitHash((model[0] as! Linear).weight)); scales.append(scaler.getScale())
        }
        let a = 3.32306998946229e+35, b = 6.64613997892458e+35, c = 1.329227995784916e+36
        #expect(scales == [a, a, b, b, b, c, b, a, a, a, b, b])
        #expect(skipped == [false, false, false, false, false, false, true, true, false, false, false, false])
        #expect(model.parameters().map { String(bitHash($0), radix: 16) } == ["71b3c94aa0b8f31b", "7b562ddee689f132", "31417beea676c1b3", "89efadd03b5d8262"])
        // {'scale': 6.64613997892458e+35, 'growth_factor': 2.0, 'backoff_factor': 0.5, 'growth_interval': 3, '_growth_tracker': 1}
        let sd = scaler.stateDict()
        #expect(sd.keys == ["scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"])
        #expect(sd["scale"]?.item() == b && sd["growth_interval"]?.item() == 3.0 && sd["_growth_tracker"]?.item() == 1.0)
        let resumed = GradScaler("cpu")
        try! resumed.loadStateDict(sd)
        #expect(resumed.getScale() == b && resumed.getGrowthInterval() == 3 && resumed.stateDict()["_growth_tracker"]?.item() == 1.0)
        // a disabled scaler's empty state dict does not load into an enabled one
        #expect(throws: StateDictError.self) { try GradScaler("cpu").loadStateDict(GradScaler("cpu", enabled: false).stateDict()) }
    }

    @Test func cudaWithoutAGPUDisablesItself() async {
        // torch.amp.GradScaler("cuda") on a machine without CUDA: warns "...but CUDA is not available.  Disabling.",
        // is_enabled() False, get_scale() 1.0, state_dict() {} (in a child process whose driver library is missing)
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("DESCENT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1)
            let s = GradScaler("cuda")
            if s.isEnabled() || s.getScale() != 1 || !s.stateDict().keys.isEmpty { exit(3) }
            let w = Parameter(Tensor([1.0, 2.0]))
            let opt = SGD([w], lr: 0.5)
            let loss = s.scale((w * w).sum())
            if loss.item() != 5 { exit(4) }               // unchanged
            loss.backward()
            s.step(opt); s.update()                        // a plain step
            if values(w) != [0, 0] { exit(5) }
        }
        #expect(stderr(r).contains("UserWarning: torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling."))
    }

    @Test func misuseStopsAsPyTorch() async {
        let twice = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Parameter(Tensor([1.0])), opt = SGD([w], lr: 0.1), s = GradScaler("cpu")
            s.scale(w.sum()).backward(); s.unscale_(opt); s.unscale_(opt)
        }
        #expect(stderr(twice).contains("unscale_() has already been called on this optimizer since the last update()."))
        let early = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { GradScaler("cpu").update() }
        #expect(stderr(early).contains("Attempted update but _scale is None."))
    }
}
}
