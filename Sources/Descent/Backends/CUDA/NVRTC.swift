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
/// `DESCENT_NVRTC`): compiles the backend's CUDA C sources to PTX for a GPU architecture.
final class NVRTC: @unchecked Sendable {
    private typealias Program = OpaquePointer
    private let createProgram: @convention(c) (UnsafeMutablePointer<Program?>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32,
                                               UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private let compileProgram: @convention(c) (Program?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private let getPTXSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let getPTX: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let getLogSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let getLog: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
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
        errorString = try symbol("nvrtcGetErrorString", as: type(of: errorString))
        var major: Int32 = 0, minor: Int32 = 0
        if let v = try? lib.symbol("nvrtcVersion", as: (@convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32).self),
           v(&major, &minor) == 0 {
            version = "\(major).\(minor)"
        } else { version = "unknown" }
    }

    /// Compiles `source` for `arch` (e.g. "sm_90") and returns its PTX and the compiler's log. With
    /// `warningsAreErrors`, a non-empty log (any warning) is an error, as `.ci/run` wants it.
    func compile(_ source: String, name: String, arch: String, warningsAreErrors: Bool = false) throws -> (ptx: String, log: String) {
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
        return (String(cString: ptx), log)
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
                let (ptx, _) = try nvrtc.compile(source, name: name, arch: arch, warningsAreErrors: true)
                let missing = entries.filter { !ptx.contains(".entry \($0)(") }
                if !missing.isEmpty {
                    throw NVRTCError.failed(call: "PTX of \(name) for \(arch)", code: -1, message: "missing kernels \(missing)", log: "")
                }
                report.append("\(name) \(arch): \(entries.count) kernels, \(ptx.utf8.count) bytes of PTX")
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
    /// Whether NVRTC can be loaded here.
    public static var isAvailable: Bool { (try? NVRTC.shared.get()) != nil }
}
