#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened at run time (`dlopen`), with typed look-ups of its C entry points: how the
/// CUDA backend reaches the driver and NVRTC without linking them at build time.
struct DynamicLibrary {
    let path: String
    private let handle: UnsafeMutableRawPointer

    /// Opens `path`, or returns `dlerror()`'s text.
    static func open(_ path: String) -> Result<DynamicLibrary, DynamicLibraryError> {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.notFound(path: path, dlerror: dlerror().map { String(cString: $0) } ?? "unknown error"))
        }
        return .success(DynamicLibrary(path: path, handle: h))
    }
    /// The entry point `name` as a C function of type `T`.
    func symbol<T>(_ name: String, as _: T.Type) throws(DynamicLibraryError) -> T {
        guard let p = dlsym(handle, name) else { throw .missingSymbol(path: path, symbol: name) }
        return unsafeBitCast(p, to: T.self)
    }
}

enum DynamicLibraryError: Error {
    case notFound(path: String, dlerror: String)
    case missingSymbol(path: String, symbol: String)
}
