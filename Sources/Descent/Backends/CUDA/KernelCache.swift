import Foundation

/// The compiled kernels on disk, as PyTorch keeps its JIT kernels in `~/.cache/torch/kernels`: the
/// PTX of each kernel source for each GPU architecture and NVRTC version, so that a machine compiles a
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
    /// The first line of an entry: what it was compiled from.
    public static func header(source: String, arch: String, compiler: String) -> String {
        "descent-ptx 1 \(arch) \(compiler) \(source.utf8.count) \(String(hash(source), radix: 16))"
    }
    /// The entry's path for the source `name`.
    public func path(name: String, source: String, arch: String) -> String {
        "\(directory)/\(name)-\(arch)-\(String(Self.hash(source), radix: 16)).ptx"
    }

    /// The cached PTX of `source`, or nil when there is no sound entry for it.
    public func load(name: String, source: String, arch: String, compiler: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(name: name, source: source, arch: arch)),
              let text = String(data: data, encoding: .utf8), let newline = text.firstIndex(of: "\n"),
              text[..<newline] == Self.header(source: source, arch: arch, compiler: compiler) else { return nil }
        let ptx = String(text[text.index(after: newline)...])
        return ptx.isEmpty ? nil : ptx
    }

    /// Keeps `ptx` for `source` (atomically; a cache that cannot be written is only slower).
    public func store(_ ptx: String, name: String, source: String, arch: String, compiler: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let text = Self.header(source: source, arch: arch, compiler: compiler) + "\n" + ptx
            try Data(text.utf8).write(to: URL(fileURLWithPath: path(name: name, source: source, arch: arch)), options: .atomic)
        } catch {}
    }
}
