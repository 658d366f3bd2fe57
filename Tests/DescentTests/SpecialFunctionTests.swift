import Testing
import Foundation
import Descent

extension Core {
/// lgamma, digamma, polygamma and mvlgamma against torch 2.13 (the snippets beside them).
@Suite struct SpecialFunctionTests {
    static let x: [Double] = [-2.5, -1.3, -0.0, 0.0, 0.2, 0.5, 1.0, 1.7, 3.3, 9.99, 10.0, 12.5, 150.0, 1e20, -3.0]
    /// x = torch.tensor([-2.5, -1.3, -0.0, 0.0, 0.2, 0.5, 1.0, 1.7, 3.3, 9.99, 10.0, 12.5, 150.0, 1e20, -3.0]); xd = x.double()
    /// for f in lgamma, digamma, polygamma(1, .), polygamma(2, .), polygamma(3, .): [v.view(torch.int32).item() for v in f(x)], f(xd).tolist()
    static let expected: [(Int, [Int32], [Double])] = [
        (-1, [-1117364272, 1067051707, 2139095040, 2139095040, 1069749382, 1058178690, 0, -1111214382, 1065136765, 1095530515, 1095554121, 1100341234, 1142292635, 1668561356, 2139095040],
         [-0.05624371649767405, 1.2024759238403724, .infinity, .infinity, 1.5240638066682175, 0.5723649429247001, 0.0, -0.09580768746272736, 0.9870985285505535, 12.779314699205763, 12.801827480081469, 18.734347511936445, 600.0094705553274, 4.5051702782797425e+21, .infinity]),
        (0, [1066218557, 1077443471, 2139095040, -8388608, -1062649904, -1074047917, -1089223572, 1045794212, 1065645329, 1074793337, 1074797751, 1075776882, 1084242889, 1110979825, 2143289344],
         [1.1031566406452433, 2.8825412420385206, .infinity, -.infinity, -5.2890398183093055, -1.9635100260214229, -0.5772156649015328, 0.2085479126977822, 1.0348224722033543, 2.2507003487352195, 2.251752589066721, 2.4851956512749123, 5.007298257075679, 46.051701879921794, .nan]),
        (1, [1092133058, 1097373459, 2139095040, 2139095040, 1104290713, 1084090854, 1070763315, 1061884239, 1052048935, 1037540210, 1037525362, 1034588530, 1004220130, 507307272, 1517720478],
         [9.53924664493752, 14.536879512656014, .infinity, .infinity, 26.267376454937818, 4.934802202073678, 1.6449340676383375, 0.7932328016963798, 0.3535015478044089, 0.1052769526831501, 0.10516633568216657, 0.08328522460170883, 0.006688938271165995, 9.99999979959123e-21, 7.311989052578831e+31]),
        (2, [-1109550571, 1116281170, -8388608, -8388608, -1015317920, -1048141472, -1072046848, -1088772716, -1107463869, -1137349676, -1137374626, -1142740610, -1204049647, -2147412286, -8388608],
         [-0.1082040516417282, 68.54945012663059, -.infinity, -.infinity, -251.4780249288945, -16.828796644234316, -2.404113806319188, -0.6040890416858391, -0.12375118935857396, -0.011073071064118527, -0.011049834970802069, -0.006932436585788242, -4.4741728380430464e-05, -9.999999599182465e-41, -.infinity]),
        (3, [1128447862, 1145056808, 2139095040, 2139095040, 1164612586, 1120063860, 1087360602, 1063500373, 1034932724, 991462453, 991431036, 982986269, 891333553, 0, 2139095040],
         [194.74787621918756, 768.7211215575066, .infinity, .infinity, 3753.2447713168804, 97.40909103400242, 6.493939402266829, 0.8895619155193477, 0.08584967156000695, 0.0023272161077341645, 0.0023199013042898686, 0.0011534128049134052, 5.985448553818361e-07, 1.9999998797547412e-60, .infinity]),
    ]

    @Test func gammaFamilyKeepsPyTorchsBits() {
        let xf = Tensor(Self.x.map { Float($0) }), xd = Tensor(Self.x).to(dtype: .float64)
        for (n, bits, doubles) in Self.expected {
            let f: (Tensor) -> Tensor = n < 0 ? { $0.lgamma() } : { $0.polygamma(n) }
            let yf = f(xf).toArray(Float.self), yd = f(xd).toArray(Double.self)
            let ours = yf.map { Int32(bitPattern: $0.bitPattern) }
            if n < 0 || n >= 2 {
                // float lgamma: PyTorch's vectorised kernel is Sleef's lgammaf, ours glibc's; polygamma n ≥ 2
                // multiplies float factors whose last bit can differ: within 1 ulp (digamma, trigamma: the same bits)
                #expect(zip(ours, bits).allSatisfy { abs(Int($0) - Int($1)) <= 1 }, "float32, n = \(n): \(ours) vs \(bits)")
            } else {
                #expect(ours == bits, "float32 bits, n = \(n)")
            }
            for (a, b) in zip(yd, doubles) {
                #expect(a == b || (a.isNaN && b.isNaN) || abs(a - b) <= 4e-16 * abs(b), "float64, n = \(n): \(a) vs \(b)")
            }
        }
        // torch.lgamma(torch.tensor([1, 2, 5])) is float32 [0, 0, 3.178053855895996]
        expectValues(lgamma(Tensor([1, 2, 5])), [0, 0, 3.178053855895996], dtype: .float32)
    }

    @Test func gammaFamilyGradientsMatchPyTorch() {
        // p = torch.tensor([0.3, 1.2, 4.5, 0.05], requires_grad=True)
        // y = torch.lgamma(p).sum() + (torch.digamma(p) * 0.5).sum() + torch.polygamma(2, p).sum() * 0.01
        // g, = torch.autograd.grad(y, p, create_graph=True); gg, = torch.autograd.grad(g.sum(), p)
        let p = Tensor([0.3, 1.2, 4.5, 0.05] as [Float]).requiresGrad_()
        #expect(p.lgamma().gradFn == "LgammaBackward0" && p.digamma().gradFn == "DigammaBackward0"
                && polygamma(2, p).gradFn == "PolygammaBackward0")
        let y = p.lgamma().sum() + (p.digamma() * 0.5).sum() + polygamma(2, p).sum() * 0.01
        let g = grad(y, [p], createGraph: true)[0]
        expectValues(g, [10.05157470703125, 0.3770983815193176, 1.5135366916656494, 9780.3212890625], rtol: 1e-6)
        let gg = grad(g.sum(), [p])[0]
        expectValues(gg, [-124.2255630493164, 0.42623433470726013, 0.21772369742393494, -775599.625], rtol: 1e-5)
        // float64 gradients against finite differences
        gradCheck({ $0[0].lgamma() + $0[0].digamma() * 0.3 + $0[0].polygamma(3) * 0.001 }, inputs: [u64(6, lo: 0.4, hi: 6)], atol: 1e-5, rtol: 1e-5)
    }

    @Test func mvlgammaMatchesPyTorch() async {
        // q = torch.tensor([[1.5, 2.0], [3.7, 10.0]], requires_grad=True); m = torch.mvlgamma(q, 3); m.sum().backward()
        let q = Tensor([[1.5, 2.0], [3.7, 10.0]] as [[Float]]).requiresGrad_()
        let m = mvlgamma(q, p: 3)
        expectValues(m, [2.168677568435669, 1.5963125228881836, 4.465392589569092, 36.81285858154297], atol: 2e-6)
        m.sum().backward()
        expectValues(q.grad!, [-2.5042366981506348, -0.11794179677963257, 2.962775707244873, 6.590131759643555], atol: 1e-5)
        #expect(special.multigammaln(Tensor([3.7] as [Float]), 3).item() == m[1, 0].item())
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = mvlgamma(Tensor([0.9]), p: 3) }
        #expect(stderr(r).contains("All elements must be greater than (p-1)/2"))
    }
}
}
