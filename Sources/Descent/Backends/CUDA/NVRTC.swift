#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why a CUDA source did not compile, or why NVRTC cannot be used.
enum NVRTCError: Error, CustomStringConvertible {
    case notFound(path: String, dlerror: String)
    case missingSymbol(String)
    /// An NVRTC call failed; `log` is the compiler's output (errors and warnings).
    case failed(call: String, code: Int32, message: String, log: String)

    var description: String {
        switch self {
        case let .notFound(path, err): return "NVRTC not found: dlopen(\"\(path)\") failed (\(err))"
        case let .missingSymbol(s): return "the NVRTC library has no \(s)"
        case let .failed(call, code, message, log): return "\(call) failed with \(message) (\(code))" + (log.isEmpty ? "" : ":\n\(log)")
        }
    }
}

/// NVRTC (CUDA's run-time compiler), loaded with `dlopen` (`libnvrtc.so.12`, or the path in
/// `DESCENT_NVRTC`): compiles the backend's CUDA C sources for a GPU architecture. For a real
/// architecture (`sm_90`) it gives the machine code (CUBIN), which any CUDA 12 driver loads; PTX from
/// a newer NVRTC than the driver would be refused (CUDA_ERROR_UNSUPPORTED_PTX_VERSION), so PTX is
/// loaded only for a GPU newer than this NVRTC knows (`compute_XX`, which the driver compiles).
final class NVRTC: @unchecked Sendable {
    private typealias Program = OpaquePointer
    private let createProgram: @convention(c) (UnsafeMutablePointer<Program?>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
                                               UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private let compileProgram: @convention(c) (Program?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private let getPTXSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let getPTX: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let getLogSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let getLog: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let getCUBINSize: (@convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32)?
    private let getCUBIN: (@convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32)?
    /// The architectures this NVRTC compiles for (`nvrtcGetSupportedArchs`: 75, 80, 86, 89, 90, ...), when it says.
    let supportedArchitectures: [Int]?
    private let destroyProgram: @convention(c) (UnsafeMutablePointer<Program?>) -> Int32
    private let errorString: @convention(c) (Int32) -> UnsafePointer<CChar>?
    /// The compiler's version ("12.9"), part of the kernel cache's key.
    let version: String

    static var libraryPath: String { ProcessInfo.processInfo.environment["DESCENT_NVRTC"] ?? "libnvrtc.so.12" }
    /// NVRTC, loaded at first use, or why it cannot be.
    static let shared: Result<NVRTC, NVRTCError> = Result { try NVRTC(path: libraryPath) }.mapError { $0 as! NVRTCError }

    private init(path: String) throws {
        let lib = try DynamicLibrary.open(path) { NVRTCError.notFound(path: path, dlerror: $0) }
        func symbol<T>(_ name: String, as t: T.Type) throws -> T {
            do { return try lib.symbol(name, as: t) } catch { throw NVRTCError.missingSymbol(name) }
        }
        createProgram = try symbol("nvrtcCreateProgram", as: type(of: createProgram))
        compileProgram = try symbol("nvrtcCompileProgram", as: type(of: compileProgram))
        getPTXSize = try symbol("nvrtcGetPTXSize", as: type(of: getPTXSize))
        getPTX = try symbol("nvrtcGetPTX", as: type(of: getPTX))
        getLogSize = try symbol("nvrtcGetProgramLogSize", as: type(of: getLogSize))
        getLog = try symbol("nvrtcGetProgramLog", as: type(of: getLog))
        destroyProgram = try symbol("nvrtcDestroyProgram", as: type(of: destroyProgram))
        typealias SizeFn = @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
        typealias BytesFn = @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
        getCUBINSize = try? lib.symbol("nvrtcGetCUBINSize", as: SizeFn.self)
        getCUBIN = try? lib.symbol("nvrtcGetCUBIN", as: BytesFn.self)
        typealias CountFn = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
        if let count = try? lib.symbol("nvrtcGetNumSupportedArchs", as: CountFn.self),
           let list = try? lib.symbol("nvrtcGetSupportedArchs", as: CountFn.self) {
            var n: Int32 = 0
            if count(&n) == 0 && n > 0 {
                var archs = [Int32](repeating: 0, count: Int(n))
                supportedArchitectures = list(&archs) == 0 ? archs.map(Int.init) : nil
            } else { supportedArchitectures = nil }
        } else { supportedArchitectures = nil }
        errorString = try symbol("nvrtcGetErrorString", as: type(of: errorString))
        var major: Int32 = 0, minor: Int32 = 0
        if let v = try? lib.symbol("nvrtcVersion", as: (@convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32).self),
           v(&major, &minor) == 0 {
            version = "\(major).\(minor)"
        } else { version = "unknown" }
    }

    /// What to compile for a device of `arch` ("sm_90"): the device's own architecture (machine code)
    /// when this NVRTC knows it, else PTX for the newest virtual architecture it knows below the device
    /// ("compute_90" for an sm_100 GPU and an older NVRTC), which the driver compiles at load.
    func target(for arch: String) -> String { Self.target(for: arch, supported: supportedArchitectures) }
    /// `target(for:)` given the architectures NVRTC lists (nil: it does not say; try the device's own).
    static func target(for arch: String, supported: [Int]?) -> String {
        guard arch.hasPrefix("sm_"), let cc = Int(arch.dropFirst(3)), let known = supported, !known.contains(cc),
              let best = known.filter({ $0 <= cc }).max() else { return arch }
        return "compute_\(best)"
    }

    /// Compiles `source` for `arch` ("sm_90", or a virtual "compute_90") and returns its PTX, its
    /// machine code (CUBIN, for a real architecture) and the compiler's log. With `warningsAreErrors`,
    /// a non-empty log (any warning) is an error, as `.ci/run` wants it.
    func compile(_ source: String, name: String, arch: String, warningsAreErrors: Bool = false) throws -> (ptx: String, cubin: Data?, log: String) {
        var program: Program? = nil
        func check(_ rc: Int32, _ call: String, log: String = "") throws {
            if rc != 0 { throw NVRTCError.failed(call: call, code: rc, message: errorString(rc).map { String(cString: $0) } ?? "error", log: log) }
        }
        try check(createProgram(&program, source, name + ".cu", 0, nil, nil), "nvrtcCreateProgram")
        defer { _ = destroyProgram(&program) }
        let options = ["--gpu-architecture=\(arch)", "--std=c++17", "-default-device"]
        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        var optionPointers: [UnsafePointer<CChar>?] = cOptions.map { UnsafePointer($0) }
        let rc = compileProgram(program, Int32(optionPointers.count), &optionPointers)
        var logSize = 0
        _ = getLogSize(program, &logSize)
        var logBytes = [CChar](repeating: 0, count: Swift.max(logSize, 1))
        _ = getLog(program, &logBytes)
        let log = String(cString: logBytes).trimmingCharacters(in: .whitespacesAndNewlines)
        try check(rc, "nvrtcCompileProgram (\(name), \(arch))", log: log)
        if warningsAreErrors && !log.isEmpty {
            throw NVRTCError.failed(call: "nvrtcCompileProgram (\(name), \(arch))", code: -1, message: "warnings", log: log)
        }
        var ptxSize = 0
        try check(getPTXSize(program, &ptxSize), "nvrtcGetPTXSize")
        var ptx = [CChar](repeating: 0, count: ptxSize + 1)
        try check(getPTX(program, &ptx), "nvrtcGetPTX")
        var cubin: Data? = nil
        if arch.hasPrefix("sm_"), let getCUBINSize, let getCUBIN {
            var size = 0
            try check(getCUBINSize(program, &size), "nvrtcGetCUBINSize")
            var bytes = [CChar](repeating: 0, count: size)
            try check(getCUBIN(program, &bytes), "nvrtcGetCUBIN")
            cubin = bytes.withUnsafeBytes { Data($0) }
        }
        return (String(cString: ptx), cubin, log)
    }

    /// What the driver loads for `source` on `target` (from `target(for:)`): the CUBIN for a real
    /// architecture, else the PTX with its terminating zero byte.
    func image(_ source: String, name: String, target: String) throws -> Data {
        let (ptx, cubin, _) = try compile(source, name: name, arch: target)
        return cubin ?? Data(ptx.utf8 + [0])
    }
}

/// Compiles every CUDA kernel source of this build for each architecture; returns one line per
/// (source, architecture) or throws the first failure (with the compiler's log).
public enum CUDAKernelCheck {
    /// Compiles the backend's CUDA C sources with NVRTC for `architectures` (warnings are errors) and
    /// checks that each defines its kernels. Needs NVRTC only, not a GPU.
    public static func compileAll(architectures: [String] = ["sm_80", "sm_90"]) throws -> [String] {
        let nvrtc = try NVRTC.shared.get()
        var report: [String] = []
        for (name, source, entries) in KernelSource.all {
            for arch in architectures {
                let (ptx, cubin, _) = try nvrtc.compile(source, name: name, arch: arch, warningsAreErrors: true)
                let missing = entries.filter { !ptx.contains(".entry \($0)(") }
                if !missing.isEmpty {
                    throw NVRTCError.failed(call: "PTX of \(name) for \(arch)", code: -1, message: "missing kernels \(missing)", log: "")
                }
                // the machine code the runtime loads: an ELF image naming every kernel
                guard let cubin, cubin.starts(with: [0x7f, 0x45, 0x4c, 0x46]),
                      entries.allSatisfy({ cubin.range(of: Data($0.utf8 + [0])) != nil }) else {
                    throw NVRTCError.failed(call: "CUBIN of \(name) for \(arch)", code: -1, message: "no ELF image with every kernel", log: "")
                }
                report.append("\(name) \(arch): \(entries.count) kernels, \(ptx.utf8.count) bytes of PTX, \(cubin.count) bytes of CUBIN")
            }
        }
        return report
    }
    /// Compiles one CUDA C source for `arch` with NVRTC (warnings are errors); returns its PTX.
    public static func compile(_ source: String, name: String, arch: String) throws -> String {
        try NVRTC.shared.get().compile(source, name: name, arch: arch, warningsAreErrors: true).ptx
    }
    /// The kernel sources' names, in build order.
    public static var sourceNames: [String] { KernelSource.all.map { $0.name } }
    /// The text of the kernel source `name` (CUDA C; OpenCL C with `__OPENCL_VERSION__` defined).
    public static func source(named name: String) -> String? { KernelSource.all.first { $0.name == name }?.source }
    /// Builds every kernel source with the OpenCL runtime (PoCL in CI) and returns each build's log
    /// (empty when clean). Needs `CUDA.useOpenCLWithoutGPU()` to have chosen OpenCL.
    @_spi(Testing) public static func openCLBuildLogs() throws -> [String: String] {
        guard case .success(let c) = GPURegistry.contexts, let rt = c.first?.runtime as? OpenCLRuntime else {
            throw NVRTCError.notFound(path: OpenCLRuntime.libraryPath, dlerror: "the OpenCL runtime is not in use")
        }
        for (name, source, entries) in KernelSource.all {
            let module = try rt.compile(source, name: name)
            for e in entries { _ = try rt.function(module, e) }
        }
        return rt.buildLogs
    }
    /// What the runtime compiles for a GPU of `arch` when NVRTC knows `supported` architectures.
    @_spi(Testing) public static func target(for arch: String, supported: [Int]?) -> String { NVRTC.target(for: arch, supported: supported) }
    /// The architectures the loaded NVRTC compiles for, when it says.
    @_spi(Testing) public static var supportedArchitectures: [Int]? { (try? NVRTC.shared.get())?.supportedArchitectures }
    /// Whether NVRTC can be loaded here.
    public static var isAvailable: Bool { (try? NVRTC.shared.get()) != nil }
}
