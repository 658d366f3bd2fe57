import Foundation
import Testing
import Descent

// torchvision's ResNets, checked against torchvision 0.28 (/tmp/ref/resnet.py, in short):
//   torch.manual_seed(0); m = torchvision.models.resnet18(num_classes=10); sd = m.state_dict()
//   len(sd), keys; sums of conv1.weight, layer1.0.conv1.weight, layer2.0.downsample.0.weight, layer4.1.conv2.weight,
//   fc.weight, fc.bias; x = torch.randn(2, 3, 32, 32); m.eval() output; m.train() output, y.sum().backward()
//   repr(m) (Fixtures/resnet18-repr.txt); torch.manual_seed(0); torchvision.models.resnet50(num_classes=10)

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

extension Core {
@Suite struct ModelsTests {
    @Test func resnet18IsTorchvisions() throws {
        manualSeed(0)
        let m = resnet18(numClasses: 10)
        let sd = m.stateDict()
        #expect(sd.keys.count == 122)
        #expect(Array(sd.keys.prefix(8)) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                                             "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.weight"])
        #expect(Array(sd.keys.suffix(3)) == ["layer4.1.bn2.num_batches_tracked", "fc.weight", "fc.bias"])
        let sums = ["conv1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.conv2.weight", "fc.weight", "fc.bias"]
            .map { sd[$0]!.to(dtype: .float64).sum().item() }
        for (s, e) in zip(sums, [-0.67375662, -9.26929113, -23.17352959, 6.76915263, 0.88131196, 0.03109933]) { #expect(abs(s - e) < 1e-5) }
        expectValues(m.conv1.weight[0, 0, 0], [0.0021970532834529877, 0.035336077213287354, 0.016136009246110916, 0.015546316280961037,
                                               -0.03931987285614014, 0.022625761106610298, 0.006918719038367271])
        #expect(m.parameters().reduce(0) { $0 + $1.count } == 11181642)

        let x = Tensor.randn(2, 3, 32, 32)
        m.eval()
        let out = noGrad { m(x) }
        expectValues(out[0], [-0.22474050521850586, 0.09174784272909164, -0.3879122734069824, 0.028992097824811935, -0.8435094356536865,
                              -0.8848366141319275, 0.1458500772714615, -0.04320688918232918, 0.1322200745344162, 0.22663170099258423], atol: 1e-5)
        expectValues(out[1], [0.021816495805978775, -0.1733076125383377, -0.39953160285949707, 0.13298672437667847, -0.6734068393707275,
                              -0.6457945704460144, 0.23007997870445251, -0.22823123633861542, 0.34260234236717224, 0.26714468002319336], atol: 1e-5)
        // training mode in float64 (float32's batch statistics of two samples amplify rounding past a tight check):
        // torch.manual_seed(0); m = resnet18(num_classes=10).double(); x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
        // y = m(x); y[0]; y.sum().backward(); m.conv1.weight.grad.sum()
        manualSeed(0)
        let m64 = resnet18(numClasses: 10).double()
        let x64 = Tensor.randn([2, 3, 32, 32], dtype: .float64)
        let y = m64(x64)
        expectValues(y[0], [0.8949178559714291, 0.6398872820611546, 0.058282245077366346, 0.36424340738769145, -0.7664018409847484,
                            0.7801540045043205, -0.6219809667029594, -0.9727967284697947, 0.5440344039369237, 0.6369138762130346], atol: 1e-9)
        y.sum().backward()
        #expect(abs(m64.conv1.weight.grad!.sum().item() / 242750.6961515415 - 1) < 1e-9)
        // one training-mode forward of x updates the running statistics as PyTorch's (m.train(); m(x); m.bn1.running_mean[:3])
        m.train()
        _ = m(x)
        expectValues(m.bn1.runningMean![0..<3], [-0.00010441728227306157, -0.0013692505890503526, -0.0024600611068308353], atol: 1e-7)
        let repr = try String(contentsOfFile: fixtures + "/resnet18-repr.txt", encoding: .utf8)
        #expect("\(m)" == repr)
    }

    @Test func resnet50AndReplacingTheHead() throws {
        manualSeed(0)
        let m = resnet50(numClasses: 10)
        let sd = m.stateDict()
        #expect(sd.keys.count == 320 && m.parameters().reduce(0) { $0 + $1.count } == 23528522)
        #expect(abs(sd["layer3.5.conv3.weight"]!.to(dtype: .float64).sum().item() - -58.11798414) < 1e-4)
        // fine-tuning: freeze everything, then a new head (model.fc = nn.Linear(2048, 3)) is what trains
        for p in m.parameters() { p.requiresGrad = false }
        m.fc = Linear(2048, 3)
        #expect(m.parameters().filter(\.requiresGrad).count == 2 && m.stateDict()["fc.weight"]!.shape == [3, 2048])
        #expect(m(Tensor.randn(1, 3, 64, 64)).shape == [1, 3])
        // zero_init_residual zeroes each block's last batch norm
        let z = resnet18(numClasses: 10, zeroInitResidual: true)
        #expect(z.stateDict()["layer2.1.bn2.weight"]!.abs().sum().item() == 0 && z.stateDict()["layer2.1.bn1.weight"]!.sum().item() == 128)
    }
}
}
