import Testing
import Descent

// GroupNorm, Dropout1d and Dropout2d against PyTorch 2.13 (snippets beside the values), and
// GroupNorm's gradient against finite differences.

extension Core {
@Suite struct NormDropoutTests {
    /// PyTorch: gn = nn.GroupNorm(2, 4); weight <- [1, -0.5, 2, 0.25], bias <- [0.1, 0.2, -0.3, 0]
    ///   x = (torch.arange(2*4*3.).reshape(2,4,3) ** 1.5 / 7).requires_grad_(); y = gn(x)
    ///   w = torch.linspace(-1,1,y.numel()).reshape(y.shape); (y*w).sum().backward()
    @Test func groupNormMatchesPyTorch() {
        let gn = GroupNorm(2, 4)
        #expect(gn.description == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)")
        #expect(GroupNorm(3, 6, eps: 1e-3, affine: false).description == "GroupNorm(3, 6, eps=0.001, affine=False, bias=False)")
        #expect(gn.namedParameters().map(\.0) == ["weight", "bias"])
        noGrad {
            gn.weight!.copy_(Tensor([1.0, -0.5, 2.0, 0.25]))
            gn.bias!.copy_(Tensor([0.1, 0.2, -0.3, 0.0]))
        }
        let x = (Tensor.arange(24.0).reshape(2, 4, 3).pow(1.5) / 7).requiresGrad_()
        let y = gn(x)
        #expect(y.gradFn == "NativeGroupNormBackward0")
        expectValues(y, [-1.0977715253829956, -0.8429709672927856, -0.37708666920661926, 0.13689450919628143, -0.22031652927398682, -0.6254927515983582, -3.10707426071167, -2.0811781883239746, -0.9791221022605896, 0.061769381165504456, 0.2168206423521042, 0.3798317313194275, -1.3292796611785889, -0.7852835059165955, -0.2199404388666153, 0.06701422482728958, -0.23587748408317566, -0.5483885407447815, -3.179205894470215, -2.066371202468872, -0.9238519668579102, 0.06844975799322128, 0.218410462141037, 0.37181904911994934], shape: [2, 4, 3])
        (y * Tensor.linspace(-1, 1, count: y.count).reshape(y.shape)).sum().backward()
        expectValues(x.grad!, [-0.10645246505737305, -0.19678235054016113, -0.49042952060699463, 1.061039686203003, 0.295354962348938, -0.5627304315567017, -0.03484082221984863, -0.0471799373626709, -0.07256031036376953, 0.2471456527709961, 0.05516171455383301, -0.1477259397506714, -0.084967702627182, 0.0306093692779541, 0.14827150106430054, -0.059879422187805176, -0.031930744647979736, -0.0021029114723205566, -0.15862178802490234, 0.09264802932739258, 0.3478200435638428, -0.2659728527069092, -0.09515714645385742, 0.0792839527130127], atol: 2e-6, rtol: 1e-4)
        expectValues(gn.weight!.grad!, [2.2056937217712402, -0.436771422624588, -0.4971408545970917, 2.2782368659973145], atol: 1e-5)
        expectValues(gn.bias!.grad!, [-2.3478262424468994, -0.7826086282730103, 0.7826087474822998, 2.3478262424468994], atol: 1e-5)
    }

    @Test func groupNormGradCheck() {
        gradCheck({ groupNorm($0[0], numGroups: 3, weight: $0[1], bias: $0[2]) },
                  inputs: [r64(2, 6, 2, 3, seed: 1), r64(6, seed: 2), r64(6, seed: 3)])
        gradCheck({ groupNorm($0[0], numGroups: 1) }, inputs: [r64(3, 4, seed: 4)])
    }

    /// PyTorch: torch.manual_seed(3); d = nn.Dropout2d(0.4); x = torch.arange(1., 41.).reshape(2,5,2,2).requires_grad_()
    ///   y = d(x); y.sum().backward(); d1 = nn.Dropout1d(0.5); d1(torch.ones(3, 4)); d1(torch.ones(2, 3, 2)); torch.rand(2)
    @Test func channelDropoutMatchesPyTorch() {
        manualSeed(3)
        let d = Dropout2d(0.4)
        #expect(d.description == "Dropout2d(p=0.4, inplace=False)")
        let x = Tensor.arange(1.0, 41.0).reshape(2, 5, 2, 2).requiresGrad_()
        let y = d(x)
        #expect(y.gradFn == "MulBackward0")
        expectValues(y, [1.6666666269302368, 3.3333332538604736, 5.0, 6.666666507720947, 8.333333015441895, 10.0, 11.666666030883789, 13.333333015441895, 0.0, 0.0, 0.0, 0.0, 21.66666603088379, 23.333332061767578, 25.0, 26.66666603088379, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 41.666664123535156, 43.33333206176758, 45.0, 46.666664123535156, 48.33333206176758, 50.0, 51.666664123535156, 53.33333206176758, 55.0, 56.666664123535156, 58.33333206176758, 60.0, 0.0, 0.0, 0.0, 0.0], atol: 0, rtol: 0)
        y.sum().backward()
        expectValues(x.grad![.all, .all, 0, 0].flatten(), [1.6666666269302368, 1.6666666269302368, 0.0, 1.6666666269302368, 0.0, 0.0, 1.6666666269302368, 1.6666666269302368, 1.6666666269302368, 0.0], atol: 0, rtol: 0)
        let d1 = Dropout1d(0.5)
        #expect(d1.description == "Dropout1d(p=0.5, inplace=False)")
        expectValues(d1(Tensor.ones(3, 4)), [2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2], shape: [3, 4], atol: 0, rtol: 0)
        expectValues(d1(Tensor.ones(2, 3, 2)), [2, 2, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0], shape: [2, 3, 2], atol: 0, rtol: 0)
        // the generator is left where PyTorch leaves it
        expectValues(Tensor.rand(2), [0.2659062147140503, 0.5096188187599182], atol: 0, rtol: 0)
        // evaluation mode passes the input through
        d.eval()
        #expect(d(x) === x)
    }
}
}
