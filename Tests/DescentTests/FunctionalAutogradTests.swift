import Testing
import Foundation
import Descent

extension Core {
/// torch.autograd.functional against torch 2.13:
/// f = lambda x: torch.stack([x[0] * x[1] ** 2, torch.sin(x[2]) + x[0], (x ** 3).sum()]); x = torch.tensor([1.0, 2.0, 0.5])
/// g = lambda x: (x[0] ** 2 * x[1] + torch.exp(x[2]) * x[1]).reshape(()); v = torch.tensor([1.0, -1.0, 0.5])
@Suite struct FunctionalAutogradTests {
    static func f(_ x: Tensor) -> Tensor { stack([x[0] * x[1].pow(2), x[2].sin() + x[0], x.pow(3).sum()]) }
    static func g(_ x: Tensor) -> Tensor { (x[0].pow(2) * x[1] + x[2].exp() * x[1]).reshape([]) }
    static let x = Tensor([1.0, 2.0, 0.5] as [Float]), v = Tensor([1.0, -1.0, 0.5] as [Float])

    @Test func jacobianHessianAndProductsMatchPyTorch() {
        // jacobian(f, x), hessian(g, x)
        let j = jacobian(Self.f, Self.x)
        #expect(j.shape == [3, 3] && j.isLeaf)
        expectValues(j, [4.0, 4.0, 0.0, 1.0, 0.0, 0.87758255, 3.0, 12.0, 0.75])
        expectValues(autograd.functional.hessian(Self.g, Self.x), [4.0, 2.0, 0.0, 2.0, 0.0, 1.64872122, 0.0, 1.64872122, 3.29744244])
        // vjp(f, x, v)[1], jvp(f, x, v)[1], hvp(g, x, v)[1], vhp(g, x, v)[1]
        expectValues(vjp(Self.f, Self.x, Self.v).1, [4.5, 10.0, -0.50258255])
        let (out, jv) = jvp(Self.f, Self.x, Self.v)
        expectValues(out, Self.f(Self.x).toArray(Float.self).map(Double.init)); expectValues(jv, [0.0, 1.43879128, -8.625])
        expectValues(hvp(Self.g, Self.x, Self.v).1, [2.0, 2.82436061, 0.0]); expectValues(vhp(Self.g, Self.x, Self.v).1, [2.0, 2.82436061, 0.0])
        // m = torch.tensor([[1.0, 2.0], [3.0, 4.0]]); jacobian(lambda t: t @ t, m); jacobian(lambda t: torch.ones(2), x)
        let jm = jacobian({ $0.matmul($0) }, Tensor([[1.0, 2.0], [3.0, 4.0]] as [[Float]]))
        #expect(jm.shape == [2, 2, 2, 2])
        expectValues(jm, [2.0, 3.0, 2.0, 0.0, 2.0, 5.0, 0.0, 2.0, 3.0, 0.0, 5.0, 3.0, 0.0, 3.0, 2.0, 8.0])
        expectValues(jacobian({ _ in Tensor.ones(2) }, Self.x), [0, 0, 0, 0, 0, 0], shape: [2, 3])
        // xr = torch.tensor([1.0, 2.0, 0.5], requires_grad=True); Jc = jacobian(f, xr, create_graph=True); Jc.sum().backward(); xr.grad
        let xr = Self.x.clone().requiresGrad_()
        jacobian(Self.f, xr, createGraph: true).sum().backward()
        expectValues(xr.grad!, [10.0, 18.0, 2.52057457], atol: 1e-5)
    }
}
}
