import Testing
import Descent

// torchvision's random crop and flip draw from the global generator in its order (crop top, crop
// left, then the flip's rand), so seeded augmentation gives PyTorch's images; CenterCrop's corner
// uses Python's rounding. Expected values printed by:
//   # torchvision 0.2x's RandomCrop / RandomHorizontalFlip / CenterCrop on tensors, written out (torchvision is
//   # not installed here): RandomCrop pads (F.pad, fill 0), then i = randint(0, h-th+1, (1,)), j = randint(0, w-tw+1, (1,));
//   # RandomHorizontalFlip flips when torch.rand(1) < p; CenterCrop's corner is int(round((h - th) / 2.0)).
//   import torch, torch.nn.functional as F
//   torch.manual_seed(0)
//   img = torch.arange(36, dtype=torch.uint8).reshape(6, 6)
//   outs = []
//   for _ in range(4):
//       x = F.pad(img, (1, 1, 1, 1), value=0)
//       i = torch.randint(0, 8 - 4 + 1, size=(1,)).item(); j = torch.randint(0, 8 - 4 + 1, size=(1,)).item()
//       x = x[i:i+4, j:j+4]
//       if torch.rand(1) < 0.5: x = x.flip(-1)
//       outs.append(x)
//   print([int(v) for v in torch.stack(outs).flatten().tolist()])
//   x = torch.arange(2 * 7 * 9.).reshape(2, 7, 9)
//   top, left = int(round((7 - 4) / 2.0)), int(round((9 - 5) / 2.0))
//   print([float(v) for v in x[:, top:top+4, left:left+5].flatten().tolist()])

extension Core {
@Suite struct TransformTests {
    @Test func randomCropAndFlipDrawAsTorchvision() {
        manualSeed(0)
        let img = Tensor.arange(36).reshape(6, 6).to(dtype: .uint8)
        let t = Compose([RandomCrop(4, padding: 1), RandomHorizontalFlip()])
        let outs = (0..<4).map { _ in t(img) }
        #expect(outs.allSatisfy { $0.shape == [4, 4] && $0.dtype == .uint8 })
        #expect(values(stack(outs)) == [0, 23, 22, 21, 0, 29, 28, 27, 0, 35, 34, 33, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 11, 10, 9, 8, 17, 16, 15, 14, 23, 22, 21, 20, 29, 28, 27, 26, 15, 14, 13, 12, 21, 20, 19, 18, 27, 26, 25, 24, 33, 32, 31, 30])
        #expect(RandomCrop(28, padding: 4).description == "RandomCrop(size=(28, 28), padding=4)")
        #expect(RandomHorizontalFlip().description == "RandomHorizontalFlip(p=0.5)")
    }

    @Test func centerCropMatchesTorchvision() {
        let x = Tensor.arange(126.0).reshape(2, 7, 9)
        let c = CenterCrop((4, 5))(x)
        #expect(c.shape == [2, 4, 5])
        #expect(values(c) == [20.0, 21.0, 22.0, 23.0, 24.0, 29.0, 30.0, 31.0, 32.0, 33.0, 38.0, 39.0, 40.0, 41.0, 42.0, 47.0, 48.0, 49.0, 50.0, 51.0, 83.0, 84.0, 85.0, 86.0, 87.0, 92.0, 93.0, 94.0, 95.0, 96.0, 101.0, 102.0, 103.0, 104.0, 105.0, 110.0, 111.0, 112.0, 113.0, 114.0])
        #expect(CenterCrop(2)(Tensor.arange(16.0).reshape(4, 4)).shape == [2, 2])
        #expect(values(CenterCrop(6)(Tensor.ones(4, 4)).sum()) == [16])   // zero-padded to 6x6
    }
}
}
