import Foundation
import Testing

/// The backend seam (issue "Devices: one backend layer under every op"): only `Sources/Descent/Backends`
/// calls the C kernels or touches a tensor's memory; the layers above reach memory through `Kernels`.
@Suite struct Layering {
    /// The Swift files of the Descent target, by path relative to `Sources/Descent`.
    static func sources() throws -> [(path: String, text: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Descent")
        let files = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        return try files.sorted().map { ($0, try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// Lines of `text` that contain any of `patterns`, as "path:line: text".
    static func hits(_ path: String, _ text: String, _ patterns: [String]) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, line in
            patterns.contains { line.contains($0) } ? "\(path):\(i + 1): \(line.trimmingCharacters(in: .whitespaces))" : nil
        }
    }

    @Test func kernelsAndTensorMemoryOnlyInBackends() throws {
        let files = try Self.sources()
        #expect(files.count > 40, "found the sources")
        #expect(files.contains { $0.path.hasPrefix("Backends/CPU/") }, "the CPU backend has a folder")
        var offenders: [String] = []
        for (path, text) in files where !path.hasPrefix("Backends/") {
            offenders += Self.hits(path, text, ["import CDescentKernels", "dk_", "DK_", "rawPointer", ".pointer(", "hostBase", "CPUBackend."])
        }
        #expect(offenders.isEmpty, "kernel calls or raw tensor memory above Backends/:\n\(offenders.joined(separator: "\n"))")
    }

    @Test func noUnsafePointersInTheLayersAboveTheBackends() throws {
        // file I/O (Serialization, Logging) and the tensor type itself may use Swift's unsafe buffers
        let layers = ["Ops/", "Autograd/", "NN/", "Losses/", "Optim/", "Random/", "Data/", "Train/", "Metrics/", "Distributed/"]
        var offenders: [String] = []
        for (path, text) in try Self.sources() where layers.contains(where: path.hasPrefix) {
            offenders += Self.hits(path, text, ["UnsafeMutable", "UnsafeRaw", "UnsafePointer", "UnsafeBuffer", "withUnsafe", "assumingMemoryBound", "bindMemory"])
        }
        #expect(offenders.isEmpty, "raw pointers above Backends/:\n\(offenders.joined(separator: "\n"))")
    }

    @Test func theScanFindsWhatItLooksFor() {
        // the scanner itself: a line with a kernel call is reported, with its path and line number
        let found = Self.hits("Ops/X.swift", "let a = 1\n    dk_fill(t, 0)\n", ["dk_"])
        #expect(found == ["Ops/X.swift:2: dk_fill(t, 0)"])
    }
}
