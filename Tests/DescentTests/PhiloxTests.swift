import Testing
@_spi(Testing) import Descent
import DescentCommands

// The host twin of curand's Philox4x32-10 (Sources/DescentCommands/PhiloxReference.swift), which the
// GPU suite compares the CUDA kernels' draws with, checked here against Random123's known answers,
// NVIDIA's curand headers compiled for the host, and PyTorch's published CUDA output.

@Suite struct PhiloxTests {
    /// Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter, key, result).
    @Test func knownAnswers() {
        #expect(CurandPhilox.block([0, 0, 0, 0], key: [0, 0]) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8])
        #expect(CurandPhilox.block([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff])
                == [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd])
        #expect(CurandPhilox.block([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], key: [0xa4093822, 0x299f31d0])
                == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1])
    }

    /// curand_kernel.h's host code path (curand 10.3.10 headers, built with g++ against stub vector types):
    ///
    ///     curandStatePhilox4_32_10_t st; curand_init(seed, subsequence, offset, &st);
    ///     uint4 a = curand4(&st), b = curand4(&st);           // "raw" lines
    ///     curand_init(0, 3, 8, &st); curand_uniform4(&st) ... // and normal4, uniform2_double, normal2_double
    @Test func curandInitSkipsSubsequencesAndOffsets() {
        let raw: [(UInt64, UInt64, UInt64, [UInt32])] = [
            (0, 0, 4, [0xf8e4cca4, 0x5cb200db, 0xb1a574eb, 0x097eff67, 0x04faa329, 0x51c732a6, 0x241513ad, 0x459135e4]),
            (0, 1, 12, [0x22686e8f, 0xa003a1da, 0x50f1eac8, 0x33c36e5e, 0xd21af330, 0x3d697450, 0x57745dc0, 0xec2555c3]),
            (42, 255, 0, [0x2d23f1fd, 0xb574c3ab, 0x5b85f193, 0xc1522810, 0xce301255, 0xb630a9cf, 0x6d480284, 0xdbfe6c7b]),
            (67280421310721, 1, 12, [0x07118532, 0xe581e812, 0xc54a7b14, 0x7f356097, 0x250280f9, 0xc89d8a30, 0xfd5b56d3, 0xeb539f04]),
            (67280421310721, 255, 4, [0x95c5f1f8, 0xfca0fa01, 0xac7baa07, 0x0235705c, 0x0ee47ce4, 0xcbb6c47a, 0x5659051c, 0x58d642b6]),
        ]
        for (seed, sub, offset, words) in raw {
            var s = CurandPhilox(seed: seed, subsequence: sub, offset: offset)
            #expect(s.next4() + s.next4() == words, "seed \(seed) subsequence \(sub) offset \(offset)")
        }
        // an offset that is not a multiple of 4 starts inside a block (curand's STATE); PyTorch never does
        var whole = CurandPhilox(seed: 42, subsequence: 1, offset: 0), shifted = CurandPhilox(seed: 42, subsequence: 1, offset: 2)
        let w = whole.next4() + whole.next4()
        #expect(shifted.next4() == Array(w[2..<6]))
    }

    @Test func curandDistributions() {
        var s = CurandPhilox(seed: 0, subsequence: 3, offset: 8)
        let r = s.next4()
        #expect(r.map(CurandPhilox.uniform) == [0.809690833, 0.0312365256, 0.772722721, 0.06173658].map { Float($0) })
        #expect(CurandPhilox.uniformDouble(r[0], r[1]) == 0.031236382491624803)
        #expect(CurandPhilox.uniformDouble(r[2], r[3]) == 0.061736216893436391)
        // normal4 on the host uses sinf/cosf and no fused multiply-add: equal to float rounding
        let (a, b) = CurandPhilox.boxMuller(r[0], r[1]), (c, d) = CurandPhilox.boxMuller(r[2], r[3])
        for (x, y) in zip([a, b, c, d], [0.126710564, 0.637299001, 0.271620154, 0.66474998] as [Float]) { #expect(abs(x - y) <= 2e-6) }
        let (e, f) = CurandPhilox.boxMullerDouble(r)
        #expect(abs(e - 0.99589519973196983) < 1e-14 && abs(f - 2.4373215354623361) < 1e-14)
    }

    /// PyTorch's launch shape (`calc_execution_policy`) on an H100 (132 multiprocessors of 2,048 threads).
    @Test func launchShapeAsPyTorch() {
        func h100(_ n: Int, _ unroll: Int) -> PhiloxLaunch { PhiloxLaunch(elements: n, unroll: unroll, multiprocessors: 132, maxThreadsPerMultiprocessor: 2048) }
        #expect(h100(64, 4) == PhiloxLaunch(elements: 64, unroll: 4, multiprocessors: 1, maxThreadsPerMultiprocessor: 256))
        #expect(h100(64, 4).blocks == 1 && h100(64, 4).counterOffset == 4)
        #expect(h100(257, 4).blocks == 2)
        // 1056 resident blocks: 1056 × 256 × 4 = 1,081,344 floats in one round, then a second
        #expect(h100(1_081_344, 4).blocks == 1056 && h100(1_081_344, 4).counterOffset == 4)
        #expect(h100(1_081_345, 4).counterOffset == 8)
        #expect(h100(1_081_345, 2).counterOffset == 12)
    }

    /// A draw past 32-bit indexing is cut as PyTorch's `with_32bit_indexing` cuts a 1-D iterator
    /// (TensorIterator.cpp): halves, the first `n / 2`, until each piece's last byte offset plus one
    /// is at most 2^31 - 1. For float32: 2^29 elements reach offset 2^31 - 4 and fit; 2^29 + 1 do not.
    @Test func drawsPast32BitIndexingAreCutAsPyTorchCutsThem() {
        func counts(_ n: Int, _ itemSize: Int) -> [Int] { PhiloxLaunch.pieces(n, itemSize: itemSize, limit: Int(Int32.max)).map { $0.count } }
        #expect(counts(1 << 29, 4) == [1 << 29])
        #expect(counts((1 << 29) + 1, 4) == [1 << 28, (1 << 28) + 1])
        #expect(counts((1 << 30) + 3, 4) == [1 << 28, (1 << 28) + 1, (1 << 28) + 1, (1 << 28) + 1])
        #expect(counts((1 << 28) + 1, 8) == [1 << 27, (1 << 27) + 1])
        let pieces = PhiloxLaunch.pieces((1 << 30) + 3, itemSize: 4, limit: Int(Int32.max))
        #expect(pieces.map { $0.start } == [0, 1 << 28, (1 << 29) + 1, (1 << 29) + (1 << 28) + 2])
    }

    /// The twin in PyTorch's layout reproduces PyTorch's published CUDA numbers: three draws from
    /// seed 0 at offsets 0, 4 and 8 (`PublishedTorchCUDA`), one block of 256 threads each.
    @Test func reproducesPyTorchsPublishedCUDADraws() {
        let normal = PhiloxReference.Draw.normal(mean: 0, std: 1)
        let a = PhiloxReference.values(normal, n: 64, double: false, seed: 0, offset: 0, blocks: 1)
        let b = PhiloxReference.values(normal, n: 64, double: false, seed: 0, offset: 4, blocks: 1)
        let bias = PhiloxReference.values(normal, n: 8, double: false, seed: 0, offset: 8, blocks: 1)
        #expect(PublishedTorchCUDA.matches(a, PublishedTorchCUDA.a, significant: false))
        #expect(PublishedTorchCUDA.matches(PublishedTorchCUDA.fuse(a, b, bias), PublishedTorchCUDA.fused, significant: true))
        // and the comparison can fail: another offset or another seed does not match
        #expect(!PublishedTorchCUDA.matches(PublishedTorchCUDA.fuse(a, bias + b, b), PublishedTorchCUDA.fused, significant: true))
        #expect(!PublishedTorchCUDA.matches(PhiloxReference.values(normal, n: 64, double: false, seed: 1, offset: 0, blocks: 1), PublishedTorchCUDA.a, significant: false))
    }

    @Test func cudaGeneratorState() {
        let g = Generator(device: .cuda(0), seed: 5)
        #expect(g.getState() == [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        g.setState([1, 2, 0, 0, 0, 0, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0])
        #expect(g.initialSeed == 0x201 && g.getState()[8...9] == [8, 1])
        g.manualSeed(7)
        #expect(g.getState() == [7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Generator().device == .cpu && g.device == .cuda(0))
        // PyTorch's set_state also takes the seed alone (8 bytes), with the offset at 0 (read from
        // CUDAGeneratorImpl::set_state: `if (new_state_size == total_size - offset_size) no_philox_seed = true`;
        // no CUDA build of PyTorch here to print it)
        g.setState([1, 2, 0, 0, 0, 0, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0])
        g.setState([3, 0, 0, 0, 0, 0, 0, 0])
        #expect(g.getState() == [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Generator.isValidCUDAState([3, 0, 0, 0, 0, 0, 0, 0]) && !Generator.isValidCUDAState([3, 0, 0]))
        #expect(!Generator.isValidCUDAState([1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]))   // offset not a multiple of 4
    }
}
