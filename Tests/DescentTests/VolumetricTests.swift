import Testing
import Foundation
import Descent

extension Core {
/// Conv3d, MaxPool3d, AvgPool3d and BatchNorm3d against torch 2.13 (the snippets beside them).
@Suite struct VolumetricTests {
    @Test func conv3dMatchesPyTorch() {
        // torch.manual_seed(0); c = nn.Conv3d(4, 6, (2, 3, 3), stride=(1, 2, 1), padding=(1, 0, 1), groups=2); h(c.weight), h(c.bias)
        // x = torch.randn(2, 4, 5, 6, 7, requires_grad=True); y = c(x); y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
        manualSeed(0)
        let c = Conv3d(4, 6, kernelSize: [2, 3, 3], stride: [1, 2, 1], padding: [1, 0, 1], groups: 2)
        #expect(c.description == "Conv3d(4, 6, kernel_size=(2, 3, 3), stride=(1, 2, 1), padding=(1, 0, 1), groups=2)")
        #expect(bitsum(c.weight) == 51728746821838 && bitsum(c.bias!) == 47479267653)
        let x = Tensor.randn(2, 4, 5, 6, 7).requiresGrad_()
        let y = c(x)
        #expect(y.shape == [2, 6, 6, 2, 7])
        expectValues(y[0, 0, 0, 0], [-0.6277676820755005, -0.6343610286712646, -0.01981537789106369, -0.23146271705627441, -0.6603552103042603,
                                     -0.8373001217842102, -0.4987469017505646], atol: 1e-5)
        y.backward(gradient: Tensor.linspace(-1, 1, count: y.count).reshape(y.shape))
        expectValues(x.grad![1, 2, 3, 4], [-0.6252784729003906, -0.8426063656806946, -0.8447014093399048, -0.8467965126037598, -0.8488914966583252,
                                           -0.8509864807128906, -0.6700817346572876], atol: 1e-4)
        expectValues(c.weight.grad![1, 0, 0].flatten(), [-5.377283096313477, -3.0696792602539062, -4.111229419708252, -5.017566680908203, -3.0314853191375732,
                                                         -3.025749683380127, -4.368675231933594, -1.702758550643921, -0.2082686424255371], atol: 1e-3)
        expectValues(c.bias!.grad!, [-70.06951904296875, -42.04170608520508, -14.013894081115723, 14.013903617858887, 42.041709899902344, 70.06951904296875], atol: 1e-3)
    }

    @Test func volumetricPoolingAndBatchNormMatchPyTorch() {
        // (x as in conv3dMatchesPyTorch) mp = nn.MaxPool3d(2); z = mp(x); z[0, 0, 0]; z.sum().backward(); x.grad[0, 0, 0, :2]
        manualSeed(0)
        _ = Conv3d(4, 6, kernelSize: [2, 3, 3], groups: 2)   // the same draws as torch's Conv3d before x
        let x = Tensor.randn(2, 4, 5, 6, 7).requiresGrad_()
        let mp = MaxPool3d(kernelSize: 2)
        #expect(mp.description == "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)")
        #expect(MaxPool3d(kernelSize: [2, 2, 1], stride: [1, 2, 1], padding: [1, 0, 0]).description
                == "MaxPool3d(kernel_size=(2, 2, 1), stride=(1, 2, 1), padding=(1, 0, 0), dilation=1, ceil_mode=False)")
        let z = mp(x)
        #expect(z.shape == [2, 4, 2, 3, 3])
        expectValues(z[0, 0, 0], [1.3945199251174927, 1.5712648630142212, 0.37994185090065, 1.4403421878814697, 1.2350903749465942, 0.7917584776878357,
                                  1.4628292322158813, 1.3481554985046387, 0.8199948072433472], atol: 0)
        z.sum().backward()
        expectValues(x.grad![0, 0, 0, 0..<2], [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], atol: 0)
        // F.max_pool3d(x, (2, 2, 1), stride=(1, 2, 1), padding=(1, 0, 0))[1, 3, 0, 1]
        let z2 = maxPool3d(x.detach(), kernelSize: [2, 2, 1], stride: [1, 2, 1], padding: [1, 0, 0])
        #expect(z2.shape == [2, 4, 6, 3, 7])
        expectValues(z2[1, 3, 0, 1], [-0.07936809211969376, 0.8194433450698853, 0.8363556861877441, -0.36218351125717163, 1.6760268211364746,
                                      1.1294496059417725, 0.789511501789093], atol: 0)
        // ap = nn.AvgPool3d(3, stride=2, padding=1); ap(x)[0, 1, 1, 1]
        let ap = AvgPool3d(kernelSize: 3, stride: 2, padding: 1)
        #expect(ap.description == "AvgPool3d(kernel_size=3, stride=2, padding=1)")
        let a = ap(x.detach())
        #expect(a.shape == [2, 4, 3, 3, 4])
        expectValues(a[0, 1, 1, 1], [0.2724051773548126, 0.21159936487674713, -0.1368316411972046, -0.08806542307138443], atol: 1e-6)
        // bn = nn.BatchNorm3d(4); o = bn(x); o[0, 0, 0, 0, :3], bn.running_mean
        let bn = BatchNorm3d(4)
        #expect(bn.description == "BatchNorm3d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)")
        let o = bn(x.detach())
        expectValues(o[0, 0, 0, 0, 0..<3], [-1.546041488647461, 0.9606841206550598, -0.3919970691204071], atol: 1e-5)
        expectValues(bn.runningMean!, [0.005294147878885269, 0.004123936407268047, -0.004196030553430319, -0.002787320874631405], atol: 1e-7)
    }

    @Test func threeDimensionalPaddingAndAdaptivePoolingMatchPyTorch() {
        // x = torch.arange(2 * 3 * 4 * 5.).reshape(1, 2, 3, 4, 5); reprs; nn.ReflectionPad3d((1, 0, 1, 0, 1, 1))(x)[0, 0, 0, :2]
        // nn.ReplicationPad3d(1)(x)[0, 1, 0, 0]; nn.CircularPad1d(2)(torch.arange(5.).reshape(1, 1, 5)); nn.CircularPad2d(1)(...2x2)
        let x = Tensor.arange(120.0).reshape(1, 2, 3, 4, 5)
        #expect(ZeroPad3d(1).description == "ZeroPad3d((1, 1, 1, 1, 1, 1))")
        #expect(ReflectionPad3d((1, 0, 1, 0, 1, 1)).description == "ReflectionPad3d((1, 0, 1, 0, 1, 1))")
        #expect(CircularPad1d(2).description == "CircularPad1d((2, 2))")
        #expect(ConstantPad3d(1, value: 3.5).description == "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=3.5)")
        #expect(ZeroPad1d((1, 2)).description == "ZeroPad1d((1, 2))")
        expectValues(ReflectionPad3d((1, 0, 1, 0, 1, 1))(x)[0, 0, 0, 0..<2], [26, 25, 26, 27, 28, 29, 21, 20, 21, 22, 23, 24], atol: 0)
        let rep = ReplicationPad3d(1)(x)
        #expect(rep.shape == [1, 2, 5, 6, 7])
        expectValues(rep[0, 1, 0, 0], [60, 60, 61, 62, 63, 64, 64], atol: 0)
        expectValues(CircularPad1d(2)(Tensor.arange(5.0).reshape(1, 1, 5)), [3, 4, 0, 1, 2, 3, 4, 0, 1], atol: 0)
        expectValues(CircularPad2d(1)(Tensor.arange(4.0).reshape(1, 1, 2, 2)), [3, 2, 3, 2, 1, 0, 1, 0, 3, 2, 3, 2, 1, 0, 1, 0], atol: 0)
        // a = nn.AdaptiveAvgPool3d((2, 3, 2)); a(x)[0, 1]; nn.AdaptiveMaxPool3d((1, 2, 3))(x)[0, 0]
        let a = AdaptiveAvgPool3d([2, 3, 2])
        #expect(a.description == "AdaptiveAvgPool3d(output_size=(2, 3, 2))" && AdaptiveMaxPool3d(1).description == "AdaptiveMaxPool3d(output_size=1)")
        expectValues(a(x)[0, 1], [73.5, 75.5, 78.5, 80.5, 83.5, 85.5, 93.5, 95.5, 98.5, 100.5, 103.5, 105.5], shape: [2, 3, 2], atol: 1e-5)
        expectValues(AdaptiveMaxPool3d([1, 2, 3])(x)[0, 0], [46, 48, 49, 56, 58, 59], shape: [1, 2, 3], atol: 0)
    }
}
}
