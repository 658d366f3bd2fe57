import Testing
import Foundation
import Descent

extension Core {
/// The vectorised exponential behind `exp`, `sigmoid`, `softmax` and cross-entropy.
@Suite struct VectorMath {
    /// Order-independent checksum of a float tensor's bits (PyTorch: `t.view(torch.int32).long().sum()`).
    func bitSum(_ t: Tensor) -> Int64 { t.toArray(Float.self).reduce(0) { $0 + Int64(Int32(bitPattern: $1.bitPattern)) } }

    @Test func sigmoidIsBitIdenticalToPyTorch() {
        // PyTorch: torch.sigmoid(torch.linspace(a, b, n)).view(torch.int32).long().sum().item()
        // (the inputs' own checksum, torch.linspace(a, b, n).view(torch.int32).long().sum(), is checked first)
        for (a, b, n, xSum, sSum) in [(-20.0, 20.0, 1001, Int64(16294411214), Int64(1005005695230)),
                                      (-88.0, 88.0, 4097, 136186194944, 3272215746128),
                                      (-5.0, 5.0, 33, 8388608, 34565559471)] {
            let x = Tensor.linspace(a, b, count: n)
            #expect(bitSum(x) == xSum)
            #expect(bitSum(x.sigmoid()) == sSum)
        }
    }

    @Test func fusedBCEIsBitIdenticalToPyTorch() {
        // PyTorch: x = torch.linspace(0.001, 0.999, 1001); y = (torch.arange(1001) % 3 == 0).float()
        let x = Tensor.linspace(0.001, 0.999, count: 1001), y = Tensor((0..<1001).map { $0 % 3 == 0 ? 1.0 : 0.0 })
        // PyTorch: F.binary_cross_entropy(x, y, reduction='none').view(torch.int32).long().sum()
        #expect(bitSum(binaryCrossEntropy(x, y, reduction: .none)) == 1059018075296)
        // PyTorch: xr = x.clone().requires_grad_(); F.binary_cross_entropy(xr, y).backward(); xr.grad.view(torch.int32).long().sum()
        let xr = x.clone().requiresGrad_()
        binaryCrossEntropy(xr, y).backward()
        #expect(bitSum(xr.grad!) == 277086968309)
        // PyTorch: z = torch.linspace(-30, 30, 1001); F.binary_cross_entropy_with_logits(z, y, reduction='none')...sum()
        let z = Tensor.linspace(-30, 30, count: 1001)
        // (PyTorch's logsigmoid takes SLEEF's vector log1p, Descent libm's log1pf: a few elements
        // differ by an ulp, so the checksum may move by a few units; the gradients below are exact.)
        #expect(abs(bitSum(binaryCrossEntropyWithLogits(z, y, reduction: .none)) - 853015916958) <= 32)
        // PyTorch: zr = z.clone().requires_grad_(); F.binary_cross_entropy_with_logits(zr, y).backward(); zr.grad...sum()
        let zr = z.clone().requiresGrad_()
        binaryCrossEntropyWithLogits(zr, y).backward()
        #expect(bitSum(zr.grad!) == 281255575068)
        // PyTorch: zr.grad = None; F.binary_cross_entropy_with_logits(zr, y, pos_weight=torch.tensor([3.0])).backward(); zr.grad...sum()
        zr.grad = nil
        binaryCrossEntropyWithLogits(zr, y, posWeight: Tensor([3.0])).backward()
        #expect(bitSum(zr.grad!) == 284638739682)
    }

    @Test func expIsCorrectlyRounded() {
        // Math: e^x evaluated in double and rounded once to float is the correctly rounded result
        // (but for double-rounding cases, far rarer than 1 in 10^5). Over 200,001 points of
        // [-103, 89], every result must be within 1 ulp of it and all but 2 equal to it.
        let n = 200_001
        let x = Tensor.linspace(-103, 89, count: n)
        let xs = x.toArray(Float.self), ys = x.exp().toArray(Float.self)
        var off = 0, maxUlps: Float = 0
        for (xi, yi) in zip(xs, ys) {
            let ref = Float(Foundation.exp(Double(xi)))
            if yi != ref { off += 1 }
            maxUlps = max(maxUlps, abs(yi - ref) / max(ref.ulp, Float.leastNonzeroMagnitude))
        }
        #expect(off <= 2)
        #expect(maxUlps <= 1)
        // Edges: PyTorch: torch.exp(torch.tensor([nan, inf, -inf, 88.8, -104., 0.]))
        let e = Tensor([Double.nan, .infinity, -.infinity, 88.8, -104, 0]).exp().toArray(Float.self)
        #expect(e[0].isNaN && e[1] == .infinity && e[2] == 0 && e[3] == .infinity && e[4] == 0 && e[5] == 1)
    }

    @Test func sumsAreBitForBitPyTorchs() {
        // PyTorch sums float32 in float32 with its cascade (8-lane vectors, levels of 16+ elements) and,
        // above 32768 elements, in two halves on two threads; Descent reproduces it bit for bit.
        // PyTorch: torch.manual_seed(3); x = torch.randn(5001, 33); x.sum(0)[[0, 1, 16, 32]], x.sum(), x.sum(1)[[0, 5000]]
        manualSeed(3)
        let x = Tensor.randn(5001, 33)
        #expect(floatBits(x.sum(dim: 0)[Tensor([0, 1, 16, 32])]) == floatBits([92.15377807617188, -158.3825225830078, 75.54386901855469, 42.20514678955078]))
        #expect(floatBits(x.sum()) == floatBits([504.7363586425781]))
        #expect(floatBits(x.sum(dim: 1)[Tensor([0, 5000])]) == floatBits([8.996682167053223, -2.2416481971740723]))
        // PyTorch: torch.tensor([16777216.] + [1.] * 15).sum() -> 16777230.0 (eight lanes, then the lanes in order)
        #expect(Tensor([16777216.0] + [Double](repeating: 1, count: 15)).sum().item() == 16777230)
        // and as the bias gradient of a Linear layer over that batch
        let lin = Linear(33, 2)
        lin(x).sum().backward()
        #expect(lin.bias!.grad!.toArray(Float.self) == [5001, 5001])
    }

    @Test func largeOneDimensionalCopiesAreSplitCorrectly() {
        // A broadcast scalar filling 1,000,003 elements (threaded chunks plus a tail), and a strided
        // 1-D gather of the same length: every element lands where it should.
        let n = 1_000_003
        let filled = Tensor(2.5).expand([n]).contiguous().toArray(Float.self)
        #expect(filled.count == n && filled.allSatisfy { $0 == 2.5 })
        let src = Tensor.arange(0.0, Double(2 * n), dtype: .float64)
        let every2 = src[.stride(by: 2)].contiguous().toArray(Double.self)
        #expect(every2.count == n && every2.enumerated().allSatisfy { $0.element == Double(2 * $0.offset) })
    }

    @Test func narrowProductsAreComputedTransposedWithTheSameBits() {
        // A (M x K)(K x N) product with few columns (N <= 16) is computed as C^T = B^T A^T; its
        // bits equal those of the product asked for transposed, and it agrees with float64.
        manualSeed(5)
        for (m, k, n) in [(40, 50, 7), (64, 676, 9), (33, 17, 16), (300, 200, 3)] {
            let a = Tensor.randn(m, k), b = Tensor.randn(k, n)
            let c = a.mm(b), ct = b.t().mm(a.t()).t()
            #expect(c.toArray(Float.self) == ct.contiguous().toArray(Float.self), "\(m)x\(k)x\(n)")
            let ref = a.double().mm(b.double()).toArray(Double.self)
            for (x, y) in zip(c.toArray(Float.self), ref) { #expect(abs(Double(x) - y) <= 1e-4 * Double(k).squareRoot()) }
        }
    }

    @Test func softmaxRowsSumToOneAndMatchTheDefinition() {
        // Math: softmax(x)_i = e^(x_i - max) / sum_j e^(x_j - max), checked in double on long rows
        // (the vectorised path) and short ones (the tail).
        manualSeed(0)
        for c in [7, 16, 100, 1000] {
            let x = Tensor.randn(3, c) * 5
            let s = x.softmax(dim: 1).toArray(Float.self), ls = x.logSoftmax(dim: 1).toArray(Float.self)
            let xd = x.toArray(Float.self).map(Double.init)
            for r in 0..<3 {
                let row = Array(xd[(r * c)..<((r + 1) * c)]), m = row.max()!
                let z = row.reduce(0) { $0 + Foundation.exp($1 - m) }
                for i in 0..<c {
                    #expect(abs(Double(s[r * c + i]) - Foundation.exp(row[i] - m) / z) <= 1e-6)
                    #expect(abs(Double(ls[r * c + i]) - (row[i] - m - Foundation.log(z))) <= 1e-5)
                }
            }
        }
    }
}
}
