import Foundation

/// The compiled kernels on disk, as PyTorch keeps its JIT kernels in `~/.cache/torch/kernels`: the
/// image the driver loads (CUBIN, or PTX) of each kernel source for each GPU architecture and NVRTC version, so that a machine compiles a
/// source once, not at every process start. The folder is `DESCENT_KERNEL_CACHE`, else
/// `$XDG_CACHE_HOME/descent/kernels`, else `~/.cache/descent/kernels`; `DESCENT_KERNEL_CACHE_DISABLE=1`
/// turns the cache off. An entry begins with a header naming what it was compiled from (architecture,
/// compiler, the source's length and 64-bit FNV-1a hash) and is written atomically; an entry that does
/// not read back whole with the expected header is compiled again and replaced.
@_spi(Testing) public struct KernelCache: Sendable {
    /// The folder holding the entries.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The cache this process uses, or nil when it is turned off.
    public static var standard: KernelCache? {
        let env = ProcessInfo.processInfo.environment
        if env["DESCENT_KERNEL_CACHE_DISABLE"] == "1" { return nil }
        if let d = env["DESCENT_KERNEL_CACHE"], !d.isEmpty { return KernelCache(directory: d) }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return KernelCache(directory: base + "/descent/kernels")
    }

    /// 64-bit FNV-1a of the source's UTF-8 bytes.
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
    /// The first line of an entry: what it was compiled from (target architecture, compiler, the
    /// source's length and hash) and the length of the image after it.
    public static func header(source: String, target: String, compiler: String, imageBytes: Int) -> String {
        "descent-kernel 2 \(target) \(compiler) \(source.utf8.count) \(String(hash(source), radix: 16)) \(imageBytes)"
    }
    /// The entry's path for the source `name`.
    public func path(name: String, source: String, target: String) -> String {
        "\(directory)/\(name)-\(target)-\(String(Self.hash(source), radix: 16)).bin"
    }

    /// The cached image (CUBIN or PTX) of `source`, or nil when there is no sound entry for it.
    public func load(name: String, source: String, target: String, compiler: String) -> Data? {
        guard let data = FileManager.default.contents(atPath: path(name: name, source: source, target: target)),
              let newline = data.firstIndex(of: 0x0a),
              let first = String(data: data[data.startIndex..<newline], encoding: .utf8) else { return nil }
        let image = data[(newline + 1)...]
        guard !image.isEmpty, first == Self.header(source: source, target: target, compiler: compiler, imageBytes: image.count) else { return nil }
        return Data(image)
    }

    /// Keeps `image` for `source` (atomically; a cache that cannot be written is only slower).
    public func store(_ image: Data, name: String, source: String, target: String, compiler: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var entry = Data((Self.header(source: source, target: target, compiler: compiler, imageBytes: image.count) + "\n").utf8)
            entry.append(image)
            try entry.write(to: URL(fileURLWithPath: path(name: name, source: source, target: target)), options: .atomic)
        } catch {}
    }
}
