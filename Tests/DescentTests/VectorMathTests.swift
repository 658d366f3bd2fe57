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

    /// tanh runs SLEEF's vectorised algorithm; PyTorch's x86 build uses MKL's VML tanh, whose bits
    /// differ on a few inputs: all must be within 1 ulp, nearly all identical, the special values exact.
    /// PyTorch: x = torch.cat([((torch.arange(600.) - 300) / 29.3).float(), torch.tensor([0., -0., 1e-30, -1e-8,
    ///   18.7, 18.8, -25., 9.0, float('inf'), -float('inf')])]); torch.tanh(x) as int32 bit patterns
    @Test func tanhIsWithinOneUlpOfPyTorch() {
        let x = concat([(Tensor.arange(600.0) - 300) / 29.3, Tensor([0.0, -0.0, 1e-30, -1e-8, 18.7, 18.8, -25.0, 9.0, .infinity, -.infinity])])
        let got = x.tanh().toArray(Float.self).map(\.bitPattern)
        let expected: [UInt32] = [3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836864, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836863, 3212836862, 3212836862, 3212836862, 3212836862, 3212836862, 3212836862, 3212836862, 3212836861, 3212836861, 3212836861, 3212836861, 3212836861, 3212836860, 3212836860, 3212836860, 3212836860, 3212836859, 3212836859, 3212836859, 3212836858, 3212836858, 3212836857, 3212836857, 3212836856, 3212836856, 3212836855, 3212836855, 3212836854, 3212836853, 3212836852, 3212836852, 3212836851, 3212836850, 3212836849, 3212836848, 3212836847, 3212836845, 3212836844, 3212836843, 3212836841, 3212836839, 3212836838, 3212836836, 3212836834, 3212836832, 3212836830, 3212836827, 3212836824, 3212836822, 3212836819, 3212836815, 3212836812, 3212836808, 3212836804, 3212836800, 3212836796, 3212836791, 3212836786, 3212836780, 3212836774, 3212836768, 3212836761, 3212836754, 3212836746, 3212836738, 3212836729, 3212836719, 3212836709, 3212836698, 3212836687, 3212836674, 3212836661, 3212836646, 3212836631, 3212836614, 3212836597, 3212836578, 3212836558, 3212836536, 3212836513, 3212836488, 3212836462, 3212836433, 3212836403, 3212836370, 3212836335, 3212836298, 3212836258, 3212836215, 3212836169, 3212836120, 3212836068, 3212836011, 3212835951, 3212835887, 3212835817, 3212835744, 3212835664, 3212835580, 3212835489, 3212835392, 3212835288, 3212835176, 3212835057, 3212834930, 3212834793, 3212834647, 3212834490, 3212834322, 3212834143, 3212833951, 3212833745, 3212833525, 3212833289, 3212833036, 3212832766, 3212832476, 3212832166, 3212831835, 3212831479, 3212831099, 3212830692, 3212830256, 3212829789, 3212829289, 3212828755, 3212828182, 3212827569, 3212826912, 3212826209, 3212825457, 3212824651, 3212823789, 3212822866, 3212821877, 3212820819, 3212819686, 3212818473, 3212817175, 3212815785, 3212814297, 3212812704, 3212810998, 3212809173, 3212807218, 3212805126, 3212802886, 3212800488, 3212797922, 3212795174, 3212792233, 3212789084, 3212785714, 3212782107, 3212778245, 3212774112, 3212769688, 3212764953, 3212759884, 3212754460, 3212748654, 3212742440, 3212735789, 3212728672, 3212721056, 3212712905, 3212704182, 3212694849, 3212684862, 3212674176, 3212662743, 3212650511, 3212637425, 3212623426, 3212608450, 3212592432, 3212575299, 3212556976, 3212537380, 3212516426, 3212494020, 3212470065, 3212444457, 3212417083, 3212387825, 3212356557, 3212323147, 3212287450, 3212249318, 3212208589, 3212165094, 3212118654, 3212069079, 3212016167, 3211959706, 3211899472, 3211835228, 3211766726, 3211693704, 3211615886, 3211532985, 3211444696, 3211350705, 3211250681, 3211144281, 3211031147, 3210910907, 3210783179, 3210647566, 3210503662, 3210351048, 3210189299, 3210017979, 3209836650, 3209644868, 3209442189, 3209228170, 3209002374, 3208764370, 3208513743, 3208250092, 3207973037, 3207682225, 3207377333, 3207058078, 3206724215, 3206375550, 3206011945, 3205633318, 3205239655, 3204831016, 3204366813, 3203490599, 3202585736, 3201653008, 3200693377, 3199707994, 3198698193, 3197665490, 3196611585, 3195017039, 3192835938, 3190624572, 3188387557, 3184588432, 3180041241, 3171663280, 0, 1024179632, 1032557593, 1037104784, 1040903909, 1043140924, 1045352290, 1047533391, 1049127937, 1050181842, 1051214545, 1052224346, 1053209729, 1054169360, 1055102088, 1056006951, 1056883165, 1057347368, 1057756007, 1058149670, 1058528297, 1058891902, 1059240567, 1059574430, 1059893685, 1060198577, 1060489389, 1060766444, 1061030095, 1061280722, 1061518726, 1061744522, 1061958541, 1062161220, 1062353002, 1062534331, 1062705651, 1062867400, 1063020014, 1063163918, 1063299531, 1063427259, 1063547499, 1063660633, 1063767033, 1063867057, 1063961048, 1064049337, 1064132238, 1064210056, 1064283078, 1064351580, 1064415824, 1064476058, 1064532519, 1064585431, 1064635006, 1064681446, 1064724941, 1064765670, 1064803802, 1064839499, 1064872909, 1064904177, 1064933435, 1064960809, 1064986417, 1065010372, 1065032778, 1065053732, 1065073328, 1065091651, 1065108784, 1065124802, 1065139778, 1065153777, 1065166863, 1065179095, 1065190528, 1065201214, 1065211201, 1065220534, 1065229257, 1065237408, 1065245024, 1065252141, 1065258792, 1065265006, 1065270812, 1065276236, 1065281305, 1065286040, 1065290464, 1065294597, 1065298459, 1065302066, 1065305436, 1065308585, 1065311526, 1065314274, 1065316840, 1065319238, 1065321478, 1065323570, 1065325525, 1065327350, 1065329056, 1065330649, 1065332137, 1065333527, 1065334825, 1065336038, 1065337171, 1065338229, 1065339218, 1065340141, 1065341003, 1065341809, 1065342561, 1065343264, 1065343921, 1065344534, 1065345107, 1065345641, 1065346141, 1065346608, 1065347044, 1065347451, 1065347831, 1065348187, 1065348518, 1065348828, 1065349118, 1065349388, 1065349641, 1065349877, 1065350097, 1065350303, 1065350495, 1065350674, 1065350842, 1065350999, 1065351145, 1065351282, 1065351409, 1065351528, 1065351640, 1065351744, 1065351841, 1065351932, 1065352016, 1065352096, 1065352169, 1065352239, 1065352303, 1065352363, 1065352420, 1065352472, 1065352521, 1065352567, 1065352610, 1065352650, 1065352687, 1065352722, 1065352755, 1065352785, 1065352814, 1065352840, 1065352865, 1065352888, 1065352910, 1065352930, 1065352949, 1065352966, 1065352983, 1065352998, 1065353013, 1065353026, 1065353039, 1065353050, 1065353061, 1065353071, 1065353081, 1065353090, 1065353098, 1065353106, 1065353113, 1065353120, 1065353126, 1065353132, 1065353138, 1065353143, 1065353148, 1065353152, 1065353156, 1065353160, 1065353164, 1065353167, 1065353171, 1065353174, 1065353176, 1065353179, 1065353182, 1065353184, 1065353186, 1065353188, 1065353190, 1065353191, 1065353193, 1065353195, 1065353196, 1065353197, 1065353199, 1065353200, 1065353201, 1065353202, 1065353203, 1065353204, 1065353204, 1065353205, 1065353206, 1065353207, 1065353207, 1065353208, 1065353208, 1065353209, 1065353209, 1065353210, 1065353210, 1065353211, 1065353211, 1065353211, 1065353212, 1065353212, 1065353212, 1065353212, 1065353213, 1065353213, 1065353213, 1065353213, 1065353213, 1065353214, 1065353214, 1065353214, 1065353214, 1065353214, 1065353214, 1065353214, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353215, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 1065353216, 0, 2147483648, 228737632, 2989214839, 1065353216, 1065353216, 3212836864, 1065353215, 1065353216, 3212836864]
        #expect(got.count == expected.count)
        let ulps = zip(got, expected).map { Swift.abs(Int64(Int32(bitPattern: $0)) - Int64(Int32(bitPattern: $1))) }
        #expect(ulps.allSatisfy { $0 <= 1 })
        #expect(ulps.filter { $0 == 0 }.count >= 590, "\(ulps.filter { $0 != 0 }.count) of \(ulps.count) differ")
        #expect(Array(got.suffix(10)) == Array(expected.suffix(10)))
        #expect(Tensor([Double.nan]).tanh().item().isNaN)
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
        // torch.exp is MKL's vsExp: correctly rounded but for a few cases on Intel CPUs; on other x86 CPUs
        // MKL's generic kernel (which Descent follows) rounds about 1% of results the other way.
        let vendor = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("GenuineIntel") ?? true
        #expect(off <= (vendor ? 2 : n / 50))
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
        // In Descent's own GEMM (convolutions' and other internal products, and bmm of operands that are
        // neither contiguous nor transposed, which PyTorch would copy first; mm, addmm and other bmm follow
        // PyTorch's MKL order instead) a (M x K)(K x N) product with few columns (N <= 16) is computed as
        // C^T = B^T A^T; its bits equal those of the product asked for transposed, and it agrees with float64.
        manualSeed(5)
        for (m, k, n) in [(40, 50, 7), (64, 676, 9), (33, 17, 16), (300, 200, 3)] {
            let a = Tensor.randn(m, 2 * k)[.all, .stride(by: 2)], b = Tensor.randn(k, 2 * n)[.all, .stride(by: 2)]
            let c = a.unsqueeze(0).bmm(b.unsqueeze(0))[0], ct = b.t().unsqueeze(0).bmm(a.t().unsqueeze(0))[0].t()
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
