#if canImport(Glibc)
import Glibc
#endif
import Foundation

// Open MPI, loaded at run time with `dlopen` (no MPI headers or libraries are needed to build
// Descent). Open MPI's ABI (`libmpi.so.40`): its handles (`MPI_Comm`, `MPI_Datatype`, `MPI_Op`,
// `MPI_Errhandler`) are pointers to exported C globals (`ompi_mpi_comm_world`, `ompi_mpi_float`,
// `ompi_mpi_op_sum`, ...), so this file binds those addresses by name as the C macros do.

/// Why MPI cannot be used on this machine.
enum MPIUnavailable: Error, CustomStringConvertible {
    case noLibrary(path: String, dlerror: String)
    case missingSymbol(path: String, symbol: String)
    case initFailed(code: Int32, message: String)
    case threadSupport(provided: Int32)

    var description: String {
        switch self {
        case let .noLibrary(path, err):
            return "Open MPI is not installed: dlopen(\"\(path)\") failed (\(err)); install it (Debian: apt-get install openmpi-bin) or set DESCENT_MPI to libmpi.so.40's path"
        case let .missingSymbol(path, symbol): return "\(path) is not Open MPI's libmpi (ABI 40): it has no \(symbol)"
        case let .initFailed(code, message): return "MPI_Init_thread failed with error \(code): \(message)"
        case let .threadSupport(p): return "this Open MPI provides thread level \(p); Descent needs MPI_THREAD_SERIALIZED (2) for its communication thread"
        }
    }
}

/// The MPI entry points and handles Descent uses, bound once per process.
final class MPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    let path: String
    let initThread: @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    let initialized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    let finalize: @convention(c) () -> Int32
    let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    let allgather: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    let reduceScatterBlock: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    let barrier: @convention(c) (Handle) -> Int32
    let abort: @convention(c) (Handle, Int32) -> Int32
    let errorString: @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    let setErrhandler: @convention(c) (Handle, Handle) -> Int32
    let libraryVersion: @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    let commWorld: Handle
    let errorsReturn: Handle
    /// `MPI_IN_PLACE` (Open MPI's `(void *) 1`).
    let inPlace = UnsafeRawPointer(bitPattern: 1)!
    let float32, float64, int64, int32, uint8: Handle
    let opSum, opProd, opMax, opMin, opLor, opLand: Handle

    /// The library name, or the path in `DESCENT_MPI`.
    static var libraryPath: String { ProcessInfo.processInfo.environment["DESCENT_MPI"] ?? "libmpi.so.40" }

    /// The library, loaded at first use, or why it cannot be.
    static let shared: Result<MPILibrary, MPIUnavailable> = Result { try MPILibrary(path: libraryPath) }.mapError { $0 as! MPIUnavailable }

    private init(path: String) throws {
        self.path = path
        // RTLD_GLOBAL: Open MPI's components (dlopen'ed by libmpi itself) resolve libmpi's symbols
        let lib = try DynamicLibrary.open(path, global: true) { MPIUnavailable.noLibrary(path: path, dlerror: $0) }
        func fn<T>(_ name: String, _ t: T.Type) throws -> T {
            do { return try lib.symbol(name, as: t) } catch { throw MPIUnavailable.missingSymbol(path: path, symbol: name) }
        }
        func obj(_ name: String) throws -> Handle {
            do { return try lib.address(of: name) } catch { throw MPIUnavailable.missingSymbol(path: path, symbol: name) }
        }
        initThread = try fn("MPI_Init_thread", type(of: initThread))
        initialized = try fn("MPI_Initialized", type(of: initialized))
        finalized = try fn("MPI_Finalized", type(of: finalized))
        finalize = try fn("MPI_Finalize", type(of: finalize))
        commRank = try fn("MPI_Comm_rank", type(of: commRank))
        commSize = try fn("MPI_Comm_size", type(of: commSize))
        allreduce = try fn("MPI_Allreduce", type(of: allreduce))
        bcast = try fn("MPI_Bcast", type(of: bcast))
        allgather = try fn("MPI_Allgather", type(of: allgather))
        reduceScatterBlock = try fn("MPI_Reduce_scatter_block", type(of: reduceScatterBlock))
        barrier = try fn("MPI_Barrier", type(of: barrier))
        abort = try fn("MPI_Abort", type(of: abort))
        errorString = try fn("MPI_Error_string", type(of: errorString))
        setErrhandler = try fn("MPI_Comm_set_errhandler", type(of: setErrhandler))
        libraryVersion = try fn("MPI_Get_library_version", type(of: libraryVersion))
        commWorld = try obj("ompi_mpi_comm_world")
        errorsReturn = try obj("ompi_mpi_errors_return")
        float32 = try obj("ompi_mpi_float"); float64 = try obj("ompi_mpi_double")
        int64 = try obj("ompi_mpi_int64_t"); int32 = try obj("ompi_mpi_int32_t"); uint8 = try obj("ompi_mpi_uint8_t")
        opSum = try obj("ompi_mpi_op_sum"); opProd = try obj("ompi_mpi_op_prod")
        opMax = try obj("ompi_mpi_op_max"); opMin = try obj("ompi_mpi_op_min")
        opLor = try obj("ompi_mpi_op_lor"); opLand = try obj("ompi_mpi_op_land")
    }

    /// MPI's text for an error code.
    func message(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        var n: Int32 = 0
        guard errorString(code, &buf, &n) == 0 else { return "MPI error \(code)" }
        return String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `MPI_Get_library_version`'s first line ("Open MPI v4.1.4, ...").
    var version: String {
        var buf = [CChar](repeating: 0, count: 8192)
        var n: Int32 = 0
        guard libraryVersion(&buf, &n) == 0 else { return "unknown" }
        let s = String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.split(separator: "\n").first.map(String.init) ?? s
    }
}
