import Testing
import Descent

extension Core {
/// The extra activations against PyTorch: values, gradients, grad_fn names and reprs.
@Suite struct MoreActivations {
    // PyTorch: x = torch.tensor([-4.0, -2.5, -0.5, 0.0, 0.75, 2.0, 3.5, 7.0], requires_grad=True)
    //          y = m(x); (y * torch.arange(1., 9.)).sum().backward(); repr(m), y.grad_fn.name(), y, x.grad
    func check(_ m: Module, repr: String, gradFn: String, _ y: [Double], _ g: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        let x = Tensor([-4.0, -2.5, -0.5, 0.0, 0.75, 2.0, 3.5, 7.0], requiresGrad: true)
        let out = m(x)
        (out * Tensor.arange(1.0, 9.0)).sum().backward()
        #expect("\(m)" == repr, sourceLocation: sourceLocation)
        #expect(out.gradFn == gradFn, sourceLocation: sourceLocation)
        expectValues(out, y, atol: 1e-6, sourceLocation: sourceLocation)
        expectValues(x.grad!, g, atol: 2e-6, sourceLocation: sourceLocation)
    }

    @Test func pointwiseActivations() {
        check(Softplus(beta: 2, threshold: 5), repr: "Softplus(beta=2.0, threshold=5.0)", gradFn: "SoftplusBackward0",
              [0.0001677, 0.0033577, 0.1566308, 0.3465736, 0.8507066, 2.0090749, 3.5, 7.0],
              [0.0003354, 0.0133857, 0.8068244, 2.0, 4.0878725, 5.8920827, 7.0, 8.0])
        check(Hardtanh(minVal: -2, maxVal: 1.5), repr: "Hardtanh(min_val=-2.0, max_val=1.5)", gradFn: "HardtanhBackward0",
              [-2.0, -2.0, -0.5, 0.0, 0.75, 1.5, 1.5, 1.5], [0, 0, 3, 4, 5, 0, 0, 0])
        check(ReLU6(), repr: "ReLU6()", gradFn: "HardtanhBackward0", [0, 0, 0, 0, 0.75, 2.0, 3.5, 6.0], [0, 0, 0, 0, 5, 6, 7, 0])
        check(Mish(), repr: "Mish()", gradFn: "MishBackward0",
              [-0.0725918, -0.1968162, -0.2207438, 0.0, 0.6100184, 1.943959, 3.4939909, 6.9999886],
              [-0.0537732, -0.2194871, 0.8685319, 2.4000001, 4.928792, 6.4159079, 7.0695744, 8.0001736])
        check(Hardswish(), repr: "Hardswish()", gradFn: "HardswishBackward0",
              [0, -0.2083333, -0.2083333, 0.0, 0.46875, 1.6666666, 3.5, 7.0], [0, -0.6666666, 0.9999999, 2.0, 3.75, 7.0000005, 7.0, 8.0])
        check(Hardsigmoid(), repr: "Hardsigmoid()", gradFn: "HardsigmoidBackward0",
              [0, 0.0833333, 0.4166667, 0.5, 0.625, 0.8333333, 1.0, 1.0], [0, 0.3333333, 0.5, 0.6666667, 0.8333334, 1.0, 0, 0])
        check(Softsign(), repr: "Softsign()", gradFn: "DivBackward0",
              [-0.8, -0.7142857, -0.3333333, 0.0, 0.4285714, 0.6666667, 0.7777778, 0.875],
              [0.04, 0.1632653, 1.3333333, 4.0, 1.6326531, 0.6666666, 0.345679, 0.125])
        check(LogSigmoid(), repr: "LogSigmoid()", gradFn: "LogSigmoidBackward0",
              [-4.0181499, -2.5788898, -0.974077, -0.6931472, -0.386871, -0.126928, -0.0297504, -0.0009115],
              [0.9820138, 1.8482836, 1.8673779, 2.0, 1.6041064, 0.7152175, 0.2051856, 0.0072884])
        check(SELU(), repr: "SELU()", gradFn: "EluBackward0",
              [-1.7258986, -1.6137857, -0.6917582, 0.0, 0.7880257, 2.101402, 3.6774535, 7.354907],
              [0.0322007, 0.2886271, 3.1990232, 7.0323973, 5.2535052, 6.3042059, 7.354907, 8.4056082])
        check(Softmin(dim: 0), repr: "Softmin(dim=0)", gradFn: "SoftmaxBackward0",
              [0.7792146, 0.1738663, 0.0235302, 0.0142718, 0.0067415, 0.0019315, 0.000431, 1.3e-05],
              [0.2361352, -0.1211774, -0.0399298, -0.0384905, -0.0249231, -0.0090721, -0.0024552, -8.72e-05])
    }

    @Test func preluLearnsOneSlopePerChannel() {
        // PyTorch: p = nn.PReLU(3); xi = torch.tensor([[[-1.0, 2.0], [0.5, -3.0], [-0.25, 1.0]]], requires_grad=True)
        //          y = p(xi); (y * y).sum().backward(); y, xi.grad, p.weight.grad
        let p = PReLU(numParameters: 3)
        let x = Tensor([[[-1.0, 2.0], [0.5, -3.0], [-0.25, 1.0]]], requiresGrad: true)
        let y = p(x)
        (y * y).sum().backward()
        #expect("\(p)" == "PReLU(num_parameters=3)" && y.gradFn == "PreluKernelBackward0")
        expectValues(y, [-0.25, 2.0, 0.5, -0.75, -0.0625, 1.0])
        expectValues(x.grad!, [-0.125, 4.0, 1.0, -0.375, -0.03125, 2.0])
        expectValues(p.weight.grad!, [0.5, 4.5, 0.03125])
    }
}
}
