import Foundation
import Testing
@_spi(Testing) import Descent

// torchvision's pretrained-weights API and torch.hub's cache, against torchvision 0.28 / torch 2.13.
// download.pytorch.org cannot be reached from the test machines: the downloads here are file:// URLs,
// and resnet18(weights:) finds its file already in the hub cache, as after a first download.

private func scratch() throws -> String {
    let d = NSTemporaryDirectory() + "descent-hub-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

extension Core {
@Suite struct PretrainedWeightsTests {
    @Test func weightsDescribeThemselvesAsTorchvision() {
        // w = ResNet18_Weights.IMAGENET1K_V1; str(w), len(w.meta["categories"]), w.meta["categories"][281], repr(w.transforms())
        let w = ResNet18_Weights.IMAGENET1K_V1
        #expect("\(w)" == "ResNet18_Weights.IMAGENET1K_V1" && w.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth")
        #expect(w.categories.count == 1000 && w.categories[0] == "tench" && w.categories[281] == "tabby" && w.categories[999] == "toilet tissue")
        #expect("\(w.transforms())" == """
            ImageClassification(
                crop_size=[224]
                resize_size=[256]
                mean=[0.485, 0.456, 0.406]
                std=[0.229, 0.224, 0.225]
                interpolation=InterpolationMode.BILINEAR
            )
            """)
        #expect("\(ResNet50_Weights.DEFAULT)" == "ResNet50_Weights.IMAGENET1K_V2" && ResNet50_Weights.DEFAULT.transforms().resizeSize == 232)
        #expect(ResNet18_Weights.DEFAULT.weights.numParams == resnet18().parameters().map(\.count).reduce(0, +))
    }

    @Test func transformsPrepareImagesAsTorchvision() {
        // img = ((torch.arange(3*300*400) * 7919) % 251).to(torch.uint8).reshape(3, 300, 400)
        // out = ResNet18_Weights.IMAGENET1K_V1.transforms()(img)
        // out.shape, out.double().sum(), out[0,0,:4], out[2,100,100:103], out[1,223,220:224]
        let img = ((Tensor.arange(3 * 300 * 400) * 7919) % 251).to(dtype: .uint8).reshape([3, 300, 400])
        let out = ResNet18_Weights.IMAGENET1K_V1.transforms()(img)
        #expect(out.shape == [3, 224, 224] && out.dtype == .float32)
        #expect(close(out.to(dtype: .float64).sum().item(), 27577.68477486493, atol: 0.05, rtol: 0))
        expectValues(out[0, 0, 0..<4], [1.2214230298995972, 0.22818739712238312, 0.6563062071800232, -0.9534206390380859], atol: 1e-5)
        expectValues(out[2, 100, 100..<103], [-0.13124175369739532, -0.23581691086292267, 0.6007844805717468], atol: 1e-5)
        expectValues(out[1, 223, 220..<224], [-0.5826330184936523, -0.4075629711151123, -0.33753496408462524, -0.47759097814559937], atol: 1e-5)
        // a float batch through ResNet50_Weights.DEFAULT (resize 232):
        // out2 = ResNet50_Weights.DEFAULT.transforms()((img.float() / 255).unsqueeze(0)); out2.double().sum(), out2[0,1,5,:3]
        let out2 = ResNet50_Weights.DEFAULT.transforms()((img.to(dtype: .float32) / 255).unsqueeze(0))
        #expect(out2.shape == [1, 3, 224, 224])
        #expect(close(out2.to(dtype: .float64).sum().item(), 27572.277782767585, atol: 0.05, rtol: 0))
        expectValues(out2[0, 1, 5, 0..<3], [0.6871647834777832, 0.44506028294563293, -0.17512641847133636], atol: 1e-5)
        // Normalize takes the channels from dim -3 of a batch too: (1 - mean) / std per channel, for each of the 2 images
        expectValues(Normalize(mean: [1, 2, 3], std: [2, 2, 2])(Tensor.ones([2, 3, 1, 1])), [0, -0.5, -1, 0, -0.5, -1], shape: [2, 3, 1, 1])
    }

    @Test func hashPrefixIsTorchHubs() {
        // torch.hub.HASH_REGEX.search(name).group(1) (None when it does not match)
        #expect(hashPrefix("resnet18-f37072fd.pth") == "f37072fd")
        #expect(hashPrefix("a-b-c0ff.pt") == "c0ff")
        #expect(hashPrefix("x-12ab.tar.gz") == "12ab")
        #expect(hashPrefix("model.pth") == nil && hashPrefix("x-ZZ.pth") == nil)
        #expect(hashPrefix("x-.pth") == "")
    }

    @Test func loadStateDictFromURLDownloadsOnceAndChecksTheHash() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(3)
        let net = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
        try net.save(to: dir + "/tiny.pth", format: .torch)
        let sum = try sha256Hex(ofFile: dir + "/tiny.pth")
        let good = dir + "/tiny-\(sum.prefix(8)).pth", bad = dir + "/tiny-00000000.pth"
        try FileManager.default.copyItem(atPath: dir + "/tiny.pth", toPath: good)
        try FileManager.default.copyItem(atPath: dir + "/tiny.pth", toPath: bad)
        let cache = dir + "/cache"
        let sd = try loadStateDictFromURL("file://" + good, modelDir: cache, progress: false, checkHash: true)
        #expect(sd.keys == net.stateDict().keys)
        for (k, t) in net.stateDict() { #expect(bitHash(sd[k]!) == bitHash(t), "\(k)") }
        #expect(FileManager.default.fileExists(atPath: cache + "/tiny-\(sum.prefix(8)).pth"))
        // the cached file is used from now on, even when the source is gone
        try FileManager.default.removeItem(atPath: good)
        #expect(try loadStateDictFromURL("file://" + good, modelDir: cache, progress: false, checkHash: true).keys == sd.keys)
        // a download whose SHA-256 does not start with the name's digits is refused and not cached
        do {
            _ = try loadStateDictFromURL("file://" + bad, modelDir: cache, progress: false, checkHash: true)
            Issue.record("a file with the wrong hash was accepted")
        } catch DatasetError.checksumMismatch(_, let expected, let got) {
            #expect(expected == "00000000..." && got == sum)
        }
        #expect(!FileManager.default.fileExists(atPath: cache + "/tiny-00000000.pth"))
        // without checkHash the name's digits are not checked
        #expect(try loadStateDictFromURL("file://" + bad, modelDir: cache, progress: false).count == 4)
    }

    @Test func resnet18WithWeightsLoadsTheCachedFile() throws {
        let home = try scratch()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let old = ProcessInfo.processInfo.environment["TORCH_HOME"]
        setenv("TORCH_HOME", home, 1)
        defer { if let o = old { setenv("TORCH_HOME", o, 1) } else { unsetenv("TORCH_HOME") } }
        #expect(hubDir() == home + "/hub")
        // a file in the cache under the published name stands for the downloaded weights
        manualSeed(7)
        let source = resnet18()
        try FileManager.default.createDirectory(atPath: home + "/hub/checkpoints", withIntermediateDirectories: true)
        try source.save(to: home + "/hub/checkpoints/resnet18-f37072fd.pth", format: .torch)
        manualSeed(0)
        let model = try resnet18(weights: .IMAGENET1K_V1)
        for (k, t) in source.stateDict() { #expect(bitHash(model.stateDict()[k]!) == bitHash(t), "\(k)") }
        // torchvision draws the random initialisation before loading: the generator moved as for resnet18()
        let after = Tensor.rand([3])
        manualSeed(0)
        _ = resnet18()
        #expect(bitHash(Tensor.rand([3])) == bitHash(after))
    }
}
}
