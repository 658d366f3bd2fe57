import Testing
import Descent

// SequentialLR, CosineAnnealingWarmRestarts and the closed forms behind step(epoch:), against
// PyTorch 2.13's get_last_lr() sequences (exact doubles). The PyTorch program:
//   def mk(lr=0.1): p = torch.nn.Parameter(torch.zeros(1)); return torch.optim.SGD([p], lr=lr)
//   seq1: o = mk(); s = SequentialLR(o, [LinearLR(o, start_factor=0.25, total_iters=3), CosineAnnealingLR(o, T_max=5, eta_min=0.01)], milestones=[3])
//   seq2: o = mk(0.5); s = SequentialLR(o, [ExponentialLR(o, gamma=0.9), StepLR(o, step_size=2, gamma=0.5), MultiStepLR(o, milestones=[1, 3], gamma=0.1)], milestones=[2, 6])
//   warm: o = mk(); s = CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001); then s.state_dict()
//   (each: [s.get_last_lr()[0]] then o.step(); s.step() and the new value, repeatedly)
//   frac: s = CosineAnnealingWarmRestarts(mk(), T_0=4); for e in range(3): for i in range(4): s.step(e + i / 4)
//   jump: s = CosineAnnealingWarmRestarts(mk(), T_0=2, T_mult=3); for e in [0.5, 2, 3.5, 7.9, 9, 30]: s.step(e) -> lr, T_i, T_cur

private func sgd(_ lr: Double = 0.1) -> SGD { SGD([Parameter(Tensor.zeros(1))], lr: lr) }

extension Core {
@Suite struct ComposedSchedulerTests {
    @Test func sequentialWarmupThenCosine() {
        let o = sgd()
        let s = SequentialLR(o, schedulers: [LinearLR(o, startFactor: 0.25, totalIters: 3), CosineAnnealingLR(o, tMax: 5, etaMin: 0.01)],
                             milestones: [3])
        var seq = [s.getLastLR()[0]]
        for _ in 0..<10 { o.step(); s.step(); seq.append(s.getLastLR()[0]) }
        #expect(seq == [0.025, 0.05, 0.07500000000000001, 0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736,
                        0.018594235253127367, 0.01, 0.018594235253127367, 0.04109423525312739])
    }

    @Test func sequentialOfThreeUsesClosedFormsAtMilestones() {
        let o = sgd(0.5)
        let s = SequentialLR(o, schedulers: [ExponentialLR(o, gamma: 0.9), StepLR(o, stepSize: 2, gamma: 0.5),
                                             MultiStepLR(o, milestones: [1, 3], gamma: 0.1)], milestones: [2, 6])
        var seq = [s.getLastLR()[0]]
        for _ in 0..<9 { o.step(); s.step(); seq.append(s.getLastLR()[0]) }
        #expect(seq == [0.5, 0.45, 0.5, 0.5, 0.25, 0.25, 0.5, 0.05, 0.05, 0.005000000000000001])
    }

    @Test func warmRestarts() {
        let o = sgd()
        let s = CosineAnnealingWarmRestarts(o, t0: 3, tMult: 2, etaMin: 0.001)
        var seq = [s.getLastLR()[0]]
        for _ in 0..<12 { o.step(); s.step(); seq.append(s.getLastLR()[0]) }
        #expect(seq == [0.1, 0.07525000000000001, 0.025750000000000012, 0.1, 0.09336825748732973, 0.07525000000000001, 0.0505,
                        0.025750000000000012, 0.007631742512670284, 0.1, 0.09831332840130888, 0.09336825748732973, 0.0855017856687341])
        let sd = s.stateDict()
        #expect(sd["T_i"]!.item() == 12 && sd["T_cur"]!.item() == 3 && sd["last_epoch"]!.item() == 12 && sd["_step_count"]!.item() == 0)
        #expect(o.paramGroups[0].lr == 0.0855017856687341)
    }

    @Test func warmRestartsWithFractionalEpochs() {
        let s = CosineAnnealingWarmRestarts(sgd(), t0: 4)
        var seq: [Double] = []
        for e in 0..<3 { for i in 0..<4 { s.step(epoch: Double(e) + Double(i) / 4); seq.append(s.getLastLR()[0]) } }
        #expect(seq == [0.1, 0.09903926402016153, 0.09619397662556434, 0.09157348061512727, 0.08535533905932738, 0.07777851165098011,
                        0.0691341716182545, 0.059754516100806426, 0.05, 0.04024548389919359, 0.030865828381745515, 0.022221488349019904])
        let j = CosineAnnealingWarmRestarts(sgd(), t0: 2, tMult: 3)
        var got: [String] = []
        for e in [0.5, 2, 3.5, 7.9, 9, 30] { j.step(epoch: e); got.append("\(j.getLastLR()[0]) \(j.tI) \(j.tCur)") }
        #expect(got == ["0.08535533905932738 2 0.5", "0.1 6 0.0", "0.08535533905932738 6 1.5", "6.852326227130834e-05 6 5.9",
                        "0.09924038765061041 18 1.0", "0.0986522435289912 54 4.0"])
    }

    /// PyTorch: o = mk(); s = ConstantLR(o, factor=0.5, total_iters=3)
    ///   o = mk(1.0); s = ChainedScheduler([ConstantLR(o, factor=0.1, total_iters=2), ExponentialLR(o, gamma=0.9)])
    ///   o = mk(1.0); s = SequentialLR(o, [ConstantLR(o, factor=0.1, total_iters=2), ExponentialLR(o, gamma=0.9)], milestones=[3])
    @Test func constantAndChained() {
        func run(_ o: SGD, _ s: LRScheduler, _ n: Int) -> [Double] {
            var seq = [s.getLastLR()[0]]
            for _ in 0..<n { o.step(); s.step(); seq.append(s.getLastLR()[0]) }
            return seq
        }
        let o1 = sgd()
        #expect(run(o1, ConstantLR(o1, factor: 0.5, totalIters: 3), 5) == [0.05, 0.05, 0.05, 0.1, 0.1, 0.1])
        let o2 = sgd(1.0)
        let chain = ChainedScheduler([ConstantLR(o2, factor: 0.1, totalIters: 2), ExponentialLR(o2, gamma: 0.9)])
        #expect(run(o2, chain, 5) == [0.1, 0.09000000000000001, 0.8100000000000002, 0.7290000000000002, 0.6561000000000002, 0.5904900000000002])
        let o3 = sgd(1.0)
        let seq = SequentialLR(o3, schedulers: [ConstantLR(o3, factor: 0.1, totalIters: 2), ExponentialLR(o3, gamma: 0.9)], milestones: [3])
        #expect(run(o3, seq, 6) == [0.1, 0.1, 1.0, 1.0, 0.9, 0.81, 0.7290000000000001])
    }

    /// PyTorch: SequentialLR(o, [LinearLR(o)], milestones=[2]) -> ValueError: Sequential Schedulers expects number of
    /// schedulers provided to be one more than the number of milestone points, but got number of schedulers 1 and the
    /// number of milestones to be equal to 1
    @Test func sequentialMisuseStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let o = sgd()
            _ = SequentialLR(o, schedulers: [LinearLR(o)], milestones: [2])
        }
        #expect(stderr(r).contains("but got number of schedulers 1 and the number of milestones to be equal to 1"))
    }
}
}
