import Testing
import Descent

extension Core {
@Suite struct SliceGradTests {
    /// Many slices of one intermediate tensor add their gradients into one buffer (in place after
    /// the first): overlapping slices, selects, split pieces and a non-slice use must all sum up.
    /// PyTorch: x = torch.arange(12.).reshape(3,4).requires_grad_(); y = x * 2
    ///   l = (y[0:2]*3).sum() + (y[1:3]**2).sum() + y[1,2]*5 + sum((p*(i+1)).sum() for i,p in enumerate(y.split(1, 1))) + (y*y[2]).sum()
    ///   l.backward(); x.grad
    @Test func overlappingSlicesOfAnIntermediateSumTheirGradients() {
        let x = Tensor.arange(12.0).reshape(3, 4).requiresGrad_()
        let y = x * 2
        var l = (y[0..<2] * 3).sum() + y[1..<3].pow(2).sum() + y[1, 2] * 5
        for (i, p) in y.split(1, dim: 1).enumerated() { l = l + (p * Double(i + 1)).sum() }
        l = l + (y * y[2]).sum()
        l.backward()
        expectValues(x.grad!, [40.0, 46.0, 52.0, 58.0, 72.0, 86.0, 110.0, 114.0, 146.0, 172.0, 198.0, 224.0], shape: [3, 4], atol: 0, rtol: 0)
        // the same through retainGraph twice: the gradients double
        let x2 = Tensor.arange(6.0).requiresGrad_()
        let y2 = x2 * 1
        let l2 = y2[0..<4].sum() + y2[2..<6].sum() * 2
        l2.backward(retainGraph: true)
        l2.backward()
        expectValues(x2.grad!, [2, 2, 6, 6, 4, 4], atol: 0, rtol: 0)
    }
}
}
