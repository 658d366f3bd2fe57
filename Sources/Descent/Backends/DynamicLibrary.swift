#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened at run time (`dlopen`), with typed look-ups of its C entry points: how the
/// CUDA backend reaches the driver and NVRTC, and the distributed layer reaches MPI, without linking
/// them at build time.
struct DynamicLibrary {
    let path: String
    private let handle: UnsafeMutableRawPointer

    /// Opens `path`, or returns `dlerror()`'s text.
    /// `global` makes its symbols visible to the libraries it loads itself (Open MPI's plugins need that).
    static func open(_ path: String, global: Bool = false) -> Result<DynamicLibrary, DynamicLibraryError> {
        guard let h = dlopen(path, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL)) else {
            return .failure(.notFound(path: path, dlerror: dlerror().map { String(cString: $0) } ?? "unknown error"))
        }
        return .success(DynamicLibrary(path: path, handle: h))
    }
    /// Opens `path`, or throws the loader's own error made from `dlerror()`'s text.
    static func open(_ path: String, global: Bool = false, orThrow failure: (_ dlerror: String) -> any Error) throws -> DynamicLibrary {
        switch open(path, global: global) {
        case .success(let l): return l
        case .failure(.notFound(_, let err)): throw failure(err)
        case .failure(let e): throw failure("\(e)")
        }
    }
    /// The entry point `name` as a C function of type `T`.
    func symbol<T>(_ name: String, as _: T.Type) throws(DynamicLibraryError) -> T {
        guard let p = dlsym(handle, name) else { throw .missingSymbol(path: path, symbol: name) }
        return unsafeBitCast(p, to: T.self)
    }
    /// The address of the exported data object `name` (a C global such as Open MPI's `ompi_mpi_comm_world`).
    func address(of name: String) throws(DynamicLibraryError) -> UnsafeMutableRawPointer {
        guard let p = dlsym(handle, name) else { throw .missingSymbol(path: path, symbol: name) }
        return p
    }
}

enum DynamicLibraryError: Error {
    case notFound(path: String, dlerror: String)
    case missingSymbol(path: String, symbol: String)
}
