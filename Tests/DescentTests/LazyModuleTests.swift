import Testing
import Foundation
import Descent

// Lazy modules against PyTorch 2.13. Every hash is Helpers.bitHash's twin `bh` over the float32 values,
// from this script:
//   torch.manual_seed(0); m = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
//   opt = torch.optim.SGD(m.parameters(), lr=0.1); x = torch.randn(3, 5); y = m(x)
//   bh(y) -> 307c8d993e405f7b; y.sum().backward(); opt.step(); bh(m[0].weight), bh(m[2].bias) -> d3a8239dafb2c267, c2d884760a1350fb
//   torch.manual_seed(1); c = nn.Sequential(nn.LazyConv2d(6, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))
//   y = c(torch.randn(2, 3, 4, 4)); bh(c[0].weight), bh(c[0].bias), bh(c[4].weight) -> 4cfdbe0ab9c94af5 7d6c901200474630 875e0003dc76225f
//   y.sum(), c[1].running_mean.sum(), c[1].running_var.sum() -> -1.4604756832122803 0.035141270607709885 5.5254387855529785; print(c)
//   torch.manual_seed(2); d = nn.Sequential(nn.LazyConv1d(4, 2, stride=2, bias=False), nn.LazyBatchNorm1d(momentum=None),
//     nn.Flatten(), nn.LazyLinear(1, bias=False)); y = d(torch.randn(5, 3, 6)); bh(y), bh(d[1].running_var) -> 7a550dc171c6a613 211c13aa821138ab
//   torch.manual_seed(3); u = nn.LazyConv2d(2, 2); o = u(torch.randn(3, 4, 4)); bh(u.weight), o.sum() -> 41fd5b6f1a384f2f -1.8910411596298218
private func hex(_ t: Tensor) -> String { String(bitHash(t), radix: 16) }

extension Core {
@Suite struct LazyModuleTests {
    @Test func lazyLinearDrawsAtTheFirstForwardAndTrainsTheSameObjects() {
        manualSeed(0)
        let m = Sequential { LazyLinear(4); ReLU(); LazyLinear(2) }
        // PyTorch: print(m) before the first forward; print(m[0].weight) -> <UninitializedParameter>
        #expect(m.description == """
            Sequential(
              (0): LazyLinear(in_features=0, out_features=4, bias=True)
              (1): ReLU()
              (2): LazyLinear(in_features=0, out_features=2, bias=True)
            )
            """)
        let first = m[0] as! LazyLinear
        #expect("\(first.weight)" == "<UninitializedParameter>")
        #expect(isLazy(first.weight) && m.hasUninitializedParams())
        #expect(m.stateDict().keys.sorted() == ["0.bias", "0.weight", "2.bias", "2.weight"])
        let opt = SGD(m.parameters(), lr: 0.1)   // built before the dry run, as PyTorch allows
        let x = Tensor.randn(3, 5)
        let y = m(x)
        #expect(hex(y) == "307c8d993e405f7b")
        #expect(first.weight.shape == [4, 5] && first.inFeatures == 5 && !m.hasUninitializedParams())
        #expect(m.description.contains("(0): Linear(in_features=5, out_features=4, bias=True)"))
        #expect(m[0] is Linear)
        y.sum().backward()
        opt.step()
        #expect(hex(first.weight) == "d3a8239dafb2c267")
        #expect(hex((m[2] as! Linear).bias!) == "c2d884760a1350fb")
    }

    @Test func lazyConvAndBatchNormTakeTheirChannelsFromTheFirstBatch() {
        manualSeed(1)
        let c = Sequential { LazyConv2d(6, kernelSize: 3, padding: 1); LazyBatchNorm2d(); ReLU(); Flatten(); LazyLinear(3) }
        #expect(c.description.contains("(0): LazyConv2d(0, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"))
        #expect(c.description.contains("(1): LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"))
        let y = c(Tensor.randn(2, 3, 4, 4))
        let bn = c[1] as! BatchNorm2d
        // the draws match bit for bit; the convolution sums in its own order, so outputs match to rounding
        #expect(hex((c[0] as! Conv2d).weight) == "4cfdbe0ab9c94af5" && hex((c[0] as! Conv2d).bias!) == "7d6c901200474630")
        #expect(hex((c[4] as! Linear).weight) == "875e0003dc76225f")
        #expect(abs(y.sum().item() - -1.4604756832122803) < 1e-5)
        #expect(abs(bn.runningMean!.sum().item() - 0.035141270607709885) < 1e-6)
        #expect(abs(bn.runningVar!.sum().item() - 5.5254387855529785) < 1e-5)
        #expect(bn.numBatchesTracked!.item() == 1 && bn.numFeatures == 6)
        #expect(c.description == """
            Sequential(
              (0): Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
              (1): BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
              (2): ReLU()
              (3): Flatten(start_dim=1, end_dim=-1)
              (4): Linear(in_features=96, out_features=3, bias=True)
            )
            """)

        manualSeed(2)
        let d = Sequential { LazyConv1d(4, kernelSize: 2, stride: 2, bias: false); LazyBatchNorm1d(momentum: nil); Flatten(); LazyLinear(1, bias: false) }
        let yd = d(Tensor.randn(5, 3, 6))
        #expect(hex(yd) == "7a550dc171c6a613" && hex((d[1] as! BatchNorm1d).runningVar!) == "211c13aa821138ab")
        #expect(d.description.contains("(0): Conv1d(3, 4, kernel_size=(2,), stride=(2,), bias=False)"))
        #expect(d.description.contains("(1): BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)"))

        manualSeed(3)
        let u = LazyConv2d(2, kernelSize: 2)
        let uo = u(Tensor.randn(3, 4, 4))
        #expect(hex(u.weight) == "41fd5b6f1a384f2f" && abs(uo.sum().item() - -1.8910411596298218) < 1e-5)
        #expect(u.description == "Conv2d(3, 2, kernel_size=(2, 2), stride=(1, 1))")
    }

    @Test func loadingAStateDictGivesPlaceholdersTheSavedShapes() throws {
        // PyTorch: dst = nn.Sequential(nn.LazyLinear(2), nn.LazyBatchNorm1d()); dst.load_state_dict(src.state_dict())
        //          dst[0].weight.shape == (2, 3); dst[1].running_mean.shape == (2,)
        manualSeed(4)
        let src = Sequential { Linear(3, 2); BatchNorm1d(2) }
        let dst = Sequential { LazyLinear(2); LazyBatchNorm1d() }
        try dst.loadStateDict(src.stateDict())
        let lin = dst[0] as! Linear, bn = dst[1] as! BatchNorm1d
        #expect(lin.weight.shape == [2, 3] && bn.runningMean!.shape == [2] && !dst.hasUninitializedParams())
        #expect(lin.weight.equal((src[0] as! Linear).weight))
        let x = Tensor.randn(4, 3)
        #expect(dst(x).equal(src(x)))
        #expect(lin.inFeatures == 3 && bn.numFeatures == 2)
    }

    @Test func aLazyConvWithTheWrongRankStops() async {
        // PyTorch: nn.LazyConv2d(2, 2)(torch.randn(4, 4)) -> RuntimeError: Expected 3D (unbatched) or 4D (batched)
        //          input to LazyConv2d, but got input of size: torch.Size([4, 4])
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyConv2d(2, kernelSize: 2)(Tensor.zeros(4, 4))
        }
        #expect(stderr(r).contains("Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of size: torch.Size([4, 4])"))
    }
}
}
