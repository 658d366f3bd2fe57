import Foundation
import Testing
import Descent

/// The model of the SWA/EMA references: torch.manual_seed(s); nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
private func swaNet() -> Sequential { Sequential { Linear(3, 8); BatchNorm1d(8); ReLU(); Linear(8, 2) } }

private func hashes(_ m: Module) -> [String] {
    m.stateDict().map { "\($0.0) \(String(bitHash($0.1), radix: 16))" }
}

// Every expected value below comes from one PyTorch 2.13 script (bh = Helpers.bitHash's twin, over the
// float32/int64 values):
//   from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn, get_ema_avg_fn, get_swa_multi_avg_fn
//   net = lambda: nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
extension Core {
@Suite struct SWATests {
    @Test func swaWithCosineThenSWALRAndUpdateBn() {
        // torch.manual_seed(0); model = net(); opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        // swa = AveragedModel(model); sched = CosineAnnealingLR(opt, T_max=5); swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=3)
        // X = torch.randn(32, 3); Y = torch.randint(0, 2, (32,)); lrs = []
        // for epoch in range(8):
        //     for i in range(0, 32, 8): opt.zero_grad(); F.cross_entropy(model(X[i:i+8]), Y[i:i+8]).backward(); opt.step()
        //     if epoch >= 3: swa.update_parameters(model); swa_sched.step()
        //     else: sched.step()
        //     lrs.append(opt.param_groups[0]['lr'])
        // [(k, bh(v)) for k, v in swa.state_dict().items()]; update_bn(DataLoader(TensorDataset(X, Y), batch_size=8), swa); (again)
        // swa.eval(); bh(swa(X)); print(swa); opt.state_dict()['param_groups']
        manualSeed(0)
        let model = swaNet()
        let opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        let swa = AveragedModel(model)
        let sched = CosineAnnealingLR(opt, tMax: 5)
        let swaSched = SWALR(opt, swaLR: 0.05, annealEpochs: 3)
        let x = Tensor.randn(32, 3), y = Tensor.randint(0, 2, [32])
        var lrs: [Double] = []
        for epoch in 0..<8 {
            for i in stride(from: 0, to: 32, by: 8) {
                opt.zeroGrad(); crossEntropy(model(x[i..<(i + 8)]), y[i..<(i + 8)]).backward(); opt.step()
            }
            if epoch >= 3 { swa.updateParameters(model); swaSched.step() } else { sched.step() }
            lrs.append(opt.paramGroups[0].lr)
        }
        #expect(lrs == [0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.03841186271093947, 0.04613728757031316, 0.05, 0.05, 0.05])
        #expect(hashes(swa) == [
            "n_averaged af63b84c8601af60", "module.0.weight 344d5de92a6e4333", "module.0.bias ca3ec340003b06d0",
            "module.1.weight e496619e4633c4ef", "module.1.bias 2c64c6097d235bf8", "module.1.running_mean ae92d9b779e666d",
            "module.1.running_var 4b93eb38a5df717d", "module.1.num_batches_tracked af639d4c8601817f",
            "module.3.weight 3b924f823cfab7bd", "module.3.bias 7245c2ea81a260b8"])
        updateBn(DataLoader(TensorDataset(x, y), batchSize: 8), swa)
        let after = hashes(swa)
        #expect(after[5] == "module.1.running_mean 11057c709ad05a1f" && after[6] == "module.1.running_var e4d9071aa43c0ff5"
                && after[7] == "module.1.num_batches_tracked af63b94c8601b113" && after[1] == "module.0.weight 344d5de92a6e4333")
        #expect((swa.module[1] as! BatchNorm1d).momentum == 0.1 && swa.isTraining)   // momentum and mode restored
        swa.eval()
        #expect(bitHash(swa(x)) == 0x296ffd0860b97dc && model.isTraining)
        #expect("\(swa)" == """
            AveragedModel(
              (module): Sequential(
                (0): Linear(in_features=3, out_features=8, bias=True)
                (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
                (2): ReLU()
                (3): Linear(in_features=8, out_features=2, bias=True)
              )
            )
            """)
        // the group carries swa_lr, as PyTorch's: {'lr': 0.05, ..., 'initial_lr': 0.1, 'swa_lr': 0.05, 'params': [0, 1, 2, 3, 4, 5]}
        let sd = opt.stateDict()
        #expect(sd["param_groups.0.swa_lr"]?.item() == 0.05 && sd["param_groups.0.initial_lr"]?.item() == 0.1)
    }

    @Test func emaOfParametersAndBuffers() {
        // torch.manual_seed(1); model = net(); opt = torch.optim.Adam(model.parameters(), lr=0.01)
        // ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
        // ema2 = AveragedModel(model, avg_fn=get_ema_avg_fn(0.8)); swa2 = AveragedModel(model, multi_avg_fn=get_swa_multi_avg_fn())
        // X = torch.randn(16, 3); Y = torch.randint(0, 2, (16,))
        // for step in range(5): opt.zero_grad(); F.cross_entropy(model(X), Y).backward(); opt.step(); (each).update_parameters(model)
        manualSeed(1)
        let model = swaNet()
        let opt = Adam(model.parameters(), lr: 0.01)
        let ema = AveragedModel(model, multiAvgFn: getEmaMultiAvgFn(decay: 0.9), useBuffers: true)
        let ema2 = AveragedModel(model, avgFn: getEmaAvgFn(decay: 0.8))
        let swa2 = AveragedModel(model, multiAvgFn: getSwaMultiAvgFn())
        let x = Tensor.randn(16, 3), y = Tensor.randint(0, 2, [16])
        for _ in 0..<5 {
            opt.zeroGrad(); crossEntropy(model(x), y).backward(); opt.step()
            ema.updateParameters(model); ema2.updateParameters(model); swa2.updateParameters(model)
        }
        #expect(hashes(ema) == [
            "n_averaged af63b84c8601af60", "module.0.weight cca1b3b4afc6e6e6", "module.0.bias bff9958f30f65f8c",
            "module.1.weight af2180f1a5bcd49c", "module.1.bias 5d1a97a2dcda9db4", "module.1.running_mean 547056e84022b93d",
            "module.1.running_var 7b2f47c28748534e", "module.1.num_batches_tracked af63bc4c8601b62c",
            "module.3.weight c342138db6b99e88", "module.3.bias 580badb1ec4ad982"])
        #expect(hashes(ema2) == [
            "n_averaged af63b84c8601af60", "module.0.weight 764c5f41f4e02c64", "module.0.bias 5545465a9fe83b44",
            "module.1.weight bc616e46956f87c6", "module.1.bias 200ab21e3dae7a9", "module.1.running_mean 4cf7ea9a0f38a654",
            "module.1.running_var 81d3ef57f51e0762", "module.1.num_batches_tracked af63b84c8601af60",
            "module.3.weight 6f613d3ed1b25210", "module.3.bias 6b5764d9cccfe7f6"])
        #expect(hashes(swa2) == [
            "n_averaged af63b84c8601af60", "module.0.weight d5ba1f7d328a6e23", "module.0.bias febf52337f4a2eca",
            "module.1.weight 7347d8b423d7454f", "module.1.bias 538eeeec13e0294f", "module.1.running_mean 4cf7ea9a0f38a654",
            "module.1.running_var 81d3ef57f51e0762", "module.1.num_batches_tracked af63b84c8601af60",
            "module.3.weight a7a55b8449197f73", "module.3.bias 6df1d6c96ffa4fb3"])
        // ema.module[1].num_batches_tracked, swa2's, ema2's: tensor(1) tensor(5) tensor(5)
        func tracked(_ m: Module) -> Int { Int(m.getBuffer("module.1.num_batches_tracked").item()) }
        #expect(tracked(ema) == 1 && tracked(swa2) == 5 && tracked(ema2) == 5)
        // the averaged copy is its own: training the model further leaves it where it was
        let before = hashes(ema)
        opt.zeroGrad(); crossEntropy(model(x), y).backward(); opt.step()
        #expect(hashes(ema) == before)
        // and its state dict round-trips through load (n_averaged included)
        let restored = AveragedModel(swaNet(), multiAvgFn: getEmaMultiAvgFn(decay: 0.9), useBuffers: true)
        try! restored.loadStateDict(ema.stateDict())
        #expect(hashes(restored) == before && restored.nAveraged.item() == 5.0)
    }

    @Test func swalrSchedules() {
        // torch.manual_seed(2); a, b = nn.Linear(2, 2), nn.Linear(2, 1)
        // for ep, strat in [(4, "linear"), (0, "cos"), (4, "cos")]:
        //     o = torch.optim.SGD([{'params': a.parameters()}, {'params': b.parameters(), 'lr': 0.5}], lr=1.0)
        //     s = SWALR(o, swa_lr=[0.1, 0.2], anneal_epochs=ep, anneal_strategy=strat); seq = [s.get_last_lr()]
        //     for _ in range(6): o.step(); s.step(); seq.append(s.get_last_lr())
        let a = Linear(2, 2), b = Linear(2, 1)
        let expected: [(Int, String, [[Double]])] = [
            (4, "linear", [[1.0, 0.5], [0.775, 0.425], [0.55, 0.35], [0.325, 0.275], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]]),
            (0, "cos", Array(repeating: [0.1, 0.2], count: 7)),
            (4, "cos", [[1.0, 0.5], [0.8681980515339464, 0.4560660171779821], [0.55, 0.35], [0.23180194846605365, 0.2439339828220179],
                        [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]]),
        ]
        for (epochs, strategy, want) in expected {
            let o = SGD(groups: [ParamGroup(params: a.parameters()), ParamGroup(params: b.parameters(), lr: 0.5)], lr: 1.0)
            let s = SWALR(o, swaLRs: [0.1, 0.2], annealEpochs: epochs, annealStrategy: strategy)
            var seq = [s.getLastLR()]
            for _ in 0..<6 { o.step(); s.step(); seq.append(s.getLastLR()) }
            #expect(seq == want, "\(epochs) \(strategy)")
            // s.state_dict(): {'_anneal_strategy': ..., 'anneal_epochs': ..., 'last_epoch': 6, '_step_count': 7, '_last_lr': [0.1, 0.2], ...}
            let d = s.stateDict()
            #expect(d["anneal_epochs"]?.item() == Double(epochs) && d["last_epoch"]?.item() == 6.0 && d["_step_count"]?.item() == 7.0)
            let o2 = SGD(groups: [ParamGroup(params: a.parameters()), ParamGroup(params: b.parameters(), lr: 0.5)], lr: 1.0)
            let s2 = SWALR(o2, swaLRs: [0.1, 0.2], annealEpochs: 9, annealStrategy: "cos")
            try! s2.loadStateDict(d)
            #expect(s2.annealEpochs == epochs && s2.annealStrategy == strategy && s2.getLastLR() == [0.1, 0.2])
        }
    }

    @Test func misuseStopsAsPyTorch() async {
        let decay = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = getEmaMultiAvgFn(decay: 1.5) }
        #expect(stderr(decay).contains("Invalid decay value 1.5 provided. Please provide a value in [0,1] range."))
        let strategy = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SWALR(SGD(Linear(1, 1).parameters(), lr: 0.1), swaLR: 0.05, annealStrategy: "step")
        }
        #expect(stderr(strategy).contains("anneal_strategy must be one of 'cos' or 'linear', instead got step"))
        let both = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AveragedModel(Linear(1, 1), avgFn: getSwaAvgFn(), multiAvgFn: getSwaMultiAvgFn())
        }
        #expect(stderr(both).contains("Only one of avg_fn and multi_avg_fn should be provided"))
    }
}
}
