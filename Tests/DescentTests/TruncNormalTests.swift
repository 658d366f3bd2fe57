import Testing
import Descent

extension Core {
@Suite struct TruncNormalTests {
    /// PyTorch: torch.manual_seed(0); w = torch.empty(3, 4); torch.nn.init.trunc_normal_(w, std=0.02)
    ///   w = torch.empty(6); torch.nn.init.trunc_normal_(w, mean=1.0, std=2.0, a=0.0, b=3.0)
    ///   w = torch.empty(7); torch.nn.init.trunc_normal_(w, mean=0.0, std=1.0, a=1.5, b=4.0)   (the rejection path)
    ///   torch.rand(1)
    /// PyTorch 2.13 redraws out-of-range normals, or (for narrow ranges) accepts uniform proposals:
    /// the same draws in the same order give the same bits.
    @Test func truncNormalMatchesPyTorch() {
        manualSeed(0)
        let w = truncNormal_(Tensor.empty(3, 4), std: 0.02)
        expectValues(w, [0.03081992268562317, -0.00586857832968235, -0.04357578605413437, 0.011368625797331333, -0.021690446883440018, -0.027971908450126648, 0.008066937327384949, 0.016760526224970818, -0.01438515167683363, -0.008066870272159576, -0.011932707391679287, 0.0036407297011464834], atol: 0, rtol: 0)
        let v = Tensor.empty(6).truncNormal_(mean: 1, std: 2, a: 0, b: 3)
        expectValues(v, [1.3837388753890991, 0.9291562438011169, 1.7407870292663574, 1.245402455329895, 2.879619836807251, 1.7462292909622192], atol: 0, rtol: 0)
        #expect(v.toArray(Float.self).allSatisfy { $0 >= 0 && $0 <= 3 })
        let r = truncNormal_(Tensor.empty(7), mean: 0, std: 1, a: 1.5, b: 4)
        expectValues(r, [2.6811254024505615, 2.6421637535095215, 1.5509388446807861, 2.0091166496276855, 1.624927043914795, 1.5444601774215698, 1.7395977973937988], atol: 0, rtol: 0)
        expectValues(Tensor.rand(1), [0.1954779028892517], atol: 0, rtol: 0)
    }

    /// PyTorch: y = torch.tensor([-0.99, -0.5, 0.0, 0.3, 0.75, 0.999], dtype=torch.float64, requires_grad=True)
    ///   e = torch.erfinv(y); e.sum().backward(); torch.erfinv(torch.tensor([1.0, -1.0, 1.5, 0.5]))
    @Test func erfinvValuesAndGradient() {
        let y = Tensor([-0.99, -0.5, 0.0, 0.3, 0.75, 0.999], dtype: .float64).requiresGrad_()
        let e = y.erfinv()
        #expect(e.gradFn == "ErfinvBackward0")
        expectValues(e, [-1.8213863677184494, -0.4769362762044699, 0.0, 0.2724627147267543, 0.8134198475976185, 2.3267537655135246], atol: 1e-15, rtol: 1e-14)
        e.sum().backward()
        expectValues(y.grad!, [24.45087647374641, 1.1125848189719496, 0.8862269254527579, 0.9545203588405493, 1.7174997693674523, 198.93951776442498], rtol: 1e-12)
        let f = Tensor([1.0, -1.0, 1.5, 0.5]).erfinv().toArray(Float.self)
        #expect(f[0] == .infinity && f[1] == -.infinity && f[2].isNaN && f[3] == 0.4769362807273865)
        gradCheck({ $0[0].erfinv() }, inputs: [Tensor([-0.9, -0.2, 0.4, 0.8], dtype: .float64)])
    }
}
}

extension Core {
@Suite struct OrthogonalInitTests {
    /// PyTorch: torch.manual_seed(0); w = torch.empty(3, 5); torch.nn.init.orthogonal_(w)
    ///   w = torch.empty(4, 2, 1); torch.nn.init.orthogonal_(w, gain=2.0); torch.rand(1)
    @Test func orthogonalMatchesPyTorch() {
        manualSeed(0)
        let w = orthogonal_(Tensor.empty(3, 5))
        expectValues(w, [0.5222306251525879, -0.09944058954715729, -0.7383733987808228, 0.19263656437397003, -0.3675355315208435, -0.5364793539047241, 0.2105625420808792, -0.14289414882659912, -0.35876867175102234, -0.7202220559120178, -0.440916508436203, 0.06626057624816895, -0.04565519466996193, 0.8897528648376465, -0.08635801076889038], shape: [3, 5], atol: 1e-6)
        // rows orthonormal: W Wᵀ = I
        expectValues(w.matmul(w.t()), [1, 0, 0, 0, 1, 0, 0, 0, 1], atol: 1e-6)
        let v = orthogonal_(Tensor.empty(4, 2, 1), gain: 2)
        expectValues(v, [0.11500763893127441, -0.7966901063919067, 0.3497195243835449, -1.2770681381225586, -1.4144831895828247, 0.6975764632225037, 1.3651765584945679, 1.1170361042022705], shape: [4, 2, 1], atol: 2e-6)
        expectValues(Tensor.rand(1), [0.2782524824142456], atol: 0, rtol: 0)
    }
}
}
