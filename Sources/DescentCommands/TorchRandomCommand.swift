import ArgumentParser
import Foundation
@_spi(Testing) import Descent

/// `descent torch-random-check DIR`: the same draws as `Benchmarks/gpu/torch_random.py` wrote into
/// DIR from PyTorch on this GPU, compared value for value (exactly where no transcendental function
/// is involved, within float rounding for normal and exponential draws).
struct TorchRandomCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "torch-random-check",
        abstract: "Compares Descent's CUDA random draws with PyTorch's, written by Benchmarks/gpu/torch_random.py.")
    @Argument(help: "The folder torch_random.py wrote.") var folder: String

    func run() throws {
        guard CUDA.isAvailable() else { print("CUDA is not available: \(CUDA.unavailableReason ?? "unknown")"); throw ExitCode(2) }
        let manifest = try String(contentsOfFile: folder + "/manifest.txt", encoding: .utf8)
        var failed = 0
        for line in manifest.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 7, let n = Int(f[3]), let seed = Int(f[4]), let a = Double(f[5]), let b = Double(f[6]) else {
                print("bad manifest line: \(line)"); throw ExitCode(2)
            }
            let want = try Self.readDoubles(folder + "/\(f[0]).bin")
            let dtype: DType = f[2] == "float64" ? .float64 : (f[2] == "int64" ? .int64 : .float32)
            manualSeed(seed)
            let gpu = Device.cuda(0)
            let t: Tensor
            switch f[1] {
            case "normal": t = Tensor.empty([n], dtype: dtype, device: gpu).normal_(a, b)
            case "uniform": t = Tensor.empty([n], dtype: dtype, device: gpu).uniform_(a, b)
            case "randint": t = Tensor.randint(Int(a), Int(b), [n], device: gpu)
            case "bernoulli": t = Tensor.empty([n], dtype: dtype, device: gpu).bernoulli_(a)
            case "bernoulli_tensor":
                let probs = Tensor((0..<n).map { Double($0 % 101) / 100 }).to(dtype: dtype).to(gpu)
                t = probs.bernoulli()
            case "uniform_cut": t = Tensor.empty([n], dtype: dtype, device: gpu).uniform_(a, b).narrow(dim: 0, start: (1 << 28) - 1000, length: 2000)
            case "randperm": t = Tensor.randperm(n, device: gpu)
            case "multinomial":
                let (rows, cats) = (Int(a), Int(b))
                let probs: [Double] = (0..<rows * cats).map { (i: Int) -> Double in i % 7 == 3 ? 0 : Double(i % 101 + 1) / 100 }
                t = Tensor(probs, dtype: dtype).reshape(rows, cats).to(gpu).multinomial(n, replacement: true)
            case "exponential": t = Tensor.empty([n], dtype: dtype, device: gpu).exponential_(a)
            case "dropout": t = (dropout(Tensor.ones([n], dtype: dtype).to(gpu), p: a) .!= 0).to(dtype: dtype)
            default: _ = Tensor.rand([n], device: gpu); t = Tensor.rand([100], device: gpu)
            }
            let got = t.cpu().toDoubles()
            let exact = !["normal", "exponential"].contains(f[1])
            let tolerance = dtype == .float64 ? 1e-12 : 2e-5
            let bad = PhiloxReference.mismatches(got, want, exact: exact, tolerance: tolerance)
            if got.count != want.count || !bad.isEmpty {
                failed += 1
                let first = bad.first.map { "element \($0.offset): ours \($0.got), PyTorch's \($0.want)" } ?? "\(got.count) vs \(want.count) values"
                print("FAIL \(f[0]) (\(f[1]) \(f[2]) n=\(n)): \(bad.count) differ; \(first)")
            } else {
                print("PASS \(f[0]) (\(f[1]) \(f[2]) n=\(n))\(exact ? ", bit for bit" : ", within \(tolerance)")")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    static func readDoubles(_ path: String) throws -> [Double] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in (0..<data.count / 8).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
    }
}
