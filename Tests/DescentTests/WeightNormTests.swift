import Testing
import Foundation
import Descent

extension Core {
/// weightNorm / spectralNorm (torch.nn.utils' hook API) against torch 2.13: one PyTorch script run
/// in this order (`from torch.nn.utils import weight_norm, spectral_norm, remove_weight_norm, remove_spectral_norm`);
/// each comment gives the lines that produced the values beside it.
@Suite struct WeightNormTests {
    @Test func weightNormTrainsGAndV() {
        // torch.manual_seed(0); m = weight_norm(nn.Linear(4, 3)); [n for n, _ in m.named_parameters()], list(m.state_dict().keys()), m.weight_g
        manualSeed(0)
        let m = weightNorm(Linear(4, 3))
        #expect(m.namedParameters().map(\.0) == ["bias", "weight_g", "weight_v"])
        #expect(Array(m.stateDict().keys).sorted() == ["bias", "weight_g", "weight_v"])
        let g = m.getParameter("weight_g")!, v = m.getParameter("weight_v")!
        #expect(g.shape == [3, 1])
        expectValues(g, [0.613766491, 0.460792392, 0.227961615])
        // x = torch.randn(5, 4); y = m(x); y.sum().backward(); y[0], m.weight_g.grad, m.weight_v.grad[0]
        let x = Tensor.randn(5, 4)
        let y = m(x)
        y.sum().backward()
        expectValues(y[0], [-0.354264975, -0.434819818, -0.222234756])
        expectValues(g.grad!, [0.759190857, -0.603272259, 0.692840755], atol: 1e-6)
        expectValues(v.grad![0], [0.010397471, 0.265489399, 0.569699585, -0.443713576], atol: 1e-6)
        // opt = torch.optim.SGD(m.parameters(), lr=0.1); opt.step(); m(x)[1]
        SGD(m.parameters(), lr: 0.1).step()
        expectValues(m(x)[1], [-1.112402201, -0.542536378, -0.7141397], atol: 1e-6)
        // c = weight_norm(nn.Conv2d(2, 3, 3), dim=None); c.weight_g (a 0-dim norm of the whole weight)
        let c = weightNorm(Conv2d(2, 3, kernelSize: 3), dim: nil)
        #expect(c.getParameter("weight_g")!.shape == [])
        expectValues(c.getParameter("weight_g")!, [1.06295383])
        // remove_weight_norm(m); [n for n, _ in m.named_parameters()], m.weight[0]
        removeWeightNorm(m)
        #expect(Set(m.namedParameters().map(\.0)) == ["bias", "weight"])
        expectValues(m.weight[0], [-0.004158956, 0.210134625, -0.407354385, -0.281368673], atol: 1e-6)
        #expect(m.weight.isLeaf && m.weight.requiresGrad)
    }

    @Test func spectralNormDividesByTheLargestSingularValue() {
        // (after the weight_norm lines above) torch.manual_seed(1); s = spectral_norm(nn.Linear(5, 4))
        // [n for n, _ in s.named_parameters()], list(s.state_dict().keys()), s.weight_u, s.weight_v
        manualSeed(1)
        let s = spectralNorm(Linear(5, 4))
        #expect(s.namedParameters().map(\.0) == ["bias", "weight_orig"])
        #expect(Array(s.stateDict().keys).sorted() == ["bias", "weight_orig", "weight_u", "weight_v"])
        expectValues(s.buffer("weight_u")!, [-0.17696473, -0.874041617, 0.382347584, 0.241960943])
        expectValues(s.buffer("weight_v")!, [-0.105986021, -0.12850827, -0.395732313, -0.031013034, 0.90259999])
        // x2 = torch.randn(3, 5); three forwards; out[0], s.weight_u; out.sum().backward(); s.weight_orig.grad[0]
        let x2 = Tensor.randn(3, 5)
        var out = s(x2)
        out = s(x2); out = s(x2)
        expectValues(out[0], [-0.760288, -1.738380671, -0.809788704, 0.206841722], atol: 1e-6)
        expectValues(s.buffer("weight_u")!, [-0.890481532, -0.440221936, -0.09466777, 0.065461442], atol: 1e-6)
        out.sum().backward()
        expectValues(s.getParameter("weight_orig")!.grad![0], [1.892121315, 5.969277382, -4.907919884, 0.68464613, -4.557494164], atol: 1e-5)
        // s.eval(); s(x2)[1], s.weight_u (no power iteration in eval mode)
        s.eval()
        expectValues(s(x2)[1], [-0.236480638, 0.094293267, 0.749990344, -0.866838932], atol: 1e-6)
        expectValues(s.buffer("weight_u")!, [-0.890481532, -0.440221936, -0.09466777, 0.065461442], atol: 1e-6)
        // ct = spectral_norm(nn.ConvTranspose2d(3, 2, 3)): u over dim 1 (2), v over the rest (27)
        let ct = spectralNorm(ConvTranspose2d(3, 2, kernelSize: 3))
        #expect(ct.buffer("weight_u")!.shape == [2] && ct.buffer("weight_v")!.shape == [27])
        // remove_spectral_norm(s); [n for n, _ in s.named_parameters()], s.weight[0]
        removeSpectralNorm(s)
        #expect(Set(s.namedParameters().map(\.0)) == ["bias", "weight"] && s.buffer("weight_u") == nil)
        expectValues(s.weight[0], [0.383471578, -0.328484565, -0.144276485, 0.349315941, -0.700640559], atol: 1e-6)
    }

    final class Holder: Module {
        let ps = ParameterList([Parameter(Tensor.ones(2)), Parameter(Tensor.ones(2))])
        let pd = ParameterDict([("a", Parameter(Tensor.zeros(1))), ("b", Parameter(Tensor.zeros(2, 2)))])
    }

    @Test func parameterContainersNameAndPrintLikePyTorch() {
        // pl = nn.ParameterList([nn.Parameter(torch.randn(3)), nn.Parameter(torch.randn(2, 3).double())]); print(pl)
        let pl = ParameterList([Parameter(Tensor.randn(3)), Parameter(Tensor.randn(2, 3).to(dtype: .float64))])
        #expect(pl.description == """
            ParameterList(
                (0): Parameter containing: [torch.float32 of size 3]
                (1): Parameter containing: [torch.float64 of size 2x3]
            )
            """)
        #expect(pl.namedParameters().map(\.0) == ["0", "1"])
        // class M(nn.Module): ps = nn.ParameterList([...ones(2) x 2]); pd = nn.ParameterDict({'a': zeros(1), 'b': zeros(2, 2)}); print(M())
        let m = Holder()
        #expect(m.namedParameters().map(\.0) == ["ps.0", "ps.1", "pd.a", "pd.b"])
        #expect(m.description == """
            Holder(
              (ps): ParameterList(
                  (0): Parameter containing: [torch.float32 of size 2]
                  (1): Parameter containing: [torch.float32 of size 2]
              )
              (pd): ParameterDict(
                  (a): Parameter containing: [torch.FloatTensor of size 1]
                  (b): Parameter containing: [torch.FloatTensor of size 2x2]
              )
            )
            """)
        // the containers' parameters train: one SGD step on sum(ps[0]) + sum(pd['b']) moves exactly those
        let loss = m.ps[0].sum() + m.pd["b"]!.sum()
        loss.backward()
        SGD(m.parameters(), lr: 0.5).step()
        expectValues(m.ps[0], [0.5, 0.5]); expectValues(m.ps[1], [1, 1]); expectValues(m.pd["b"]!, [-0.5, -0.5, -0.5, -0.5])
        #expect(Array(m.stateDict().keys).sorted() == ["pd.a", "pd.b", "ps.0", "ps.1"])
    }
}
}
