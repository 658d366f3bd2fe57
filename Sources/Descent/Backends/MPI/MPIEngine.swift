#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The MPI engine of a process group: Open MPI's collectives on `MPI_COMM_WORLD`, called on the
/// group's communication thread (MPI_THREAD_SERIALIZED). MPI is initialised once per process and
/// finalised at exit (MPI cannot be initialised twice), errors come back as codes
/// (`MPI_ERRORS_RETURN`) and become `CommunicationError`s naming the call.
final class MPIEngine: CommunicationEngine {
    let lib: MPILibrary
    let rank: Int
    let worldSize: Int
    var name: String { "mpi" }

    /// MPI_THREAD_SERIALIZED: any thread may call MPI, one at a time.
    private static let threadSerialized: Int32 = 2
    nonisolated(unsafe) private static var finalizerRegistered = false

    init() throws(MPIUnavailable) {
        let lib: MPILibrary
        switch MPILibrary.shared {
        case .success(let l): lib = l
        case .failure(let e): throw e
        }
        self.lib = lib
        var flag: Int32 = 0
        _ = lib.initialized(&flag)
        if flag == 0 {
            var provided: Int32 = 0
            let rc = lib.initThread(nil, nil, Self.threadSerialized, &provided)
            if rc != 0 { throw MPIUnavailable.initFailed(code: rc, message: lib.message(rc)) }
            if provided < Self.threadSerialized { throw MPIUnavailable.threadSupport(provided: provided) }
            if !Self.finalizerRegistered {
                Self.finalizerRegistered = true
                atexit {
                    guard case .success(let lib) = MPILibrary.shared else { return }
                    var done: Int32 = 0
                    _ = lib.finalized(&done)
                    if done == 0 { _ = lib.finalize() }
                }
            }
        }
        _ = lib.setErrhandler(lib.commWorld, lib.errorsReturn)
        var r: Int32 = 0, n: Int32 = 0
        _ = lib.commRank(lib.commWorld, &r)
        _ = lib.commSize(lib.commWorld, &n)
        rank = Int(r); worldSize = Int(n)
    }

    private func check(_ rc: Int32, _ call: String) throws(CommunicationError) {
        if rc != 0 { throw CommunicationError(call: call, message: lib.message(rc)) }
    }

    private func datatype(_ d: DType) -> MPILibrary.Handle {
        switch d {
        case .float32: return lib.float32
        case .float64: return lib.float64
        case .int64: return lib.int64
        case .int32: return lib.int32
        case .uint8, .bool: return lib.uint8
        }
    }
    /// MPI's op; on bool tensors sum and max are a logical or, product and min a logical and (as gloo).
    private func mpiOp(_ op: Distributed.ReduceOp, _ d: DType) -> MPILibrary.Handle {
        switch op {
        case .sum, .average: return d == .bool ? lib.opLor : lib.opSum
        case .product: return d == .bool ? lib.opLand : lib.opProd
        case .max: return d == .bool ? lib.opLor : lib.opMax
        case .min: return d == .bool ? lib.opLand : lib.opMin
        }
    }

    /// MPI counts are C ints: element-wise calls go in chunks below 2^31 elements.
    private static let chunk = Int(Int32.max)

    func allReduce(_ t: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError) {
        let base = t.rawPointer, size = t.dtype.itemSize
        var start = 0
        while start < t.count {
            let n = Swift.min(Self.chunk, t.count - start)
            try check(lib.allreduce(lib.inPlace, base + start * size, Int32(n), datatype(t.dtype), mpiOp(op, t.dtype), lib.commWorld), "MPI_Allreduce")
            start += n
        }
    }

    func broadcast(_ t: Tensor, root: Int) throws(CommunicationError) {
        let base = t.rawPointer, size = t.dtype.itemSize
        var start = 0
        while start < t.count {
            let n = Swift.min(Self.chunk, t.count - start)
            try check(lib.bcast(base + start * size, Int32(n), datatype(t.dtype), Int32(root), lib.commWorld), "MPI_Bcast")
            start += n
        }
    }

    func allGather(_ input: Tensor, into output: Tensor) throws(CommunicationError) {
        if input.count > Self.chunk { throw CommunicationError(call: "MPI_Allgather", message: "\(input.count) elements per rank is more than MPI's int count allows") }
        let dt = datatype(input.dtype)
        try check(lib.allgather(UnsafeRawPointer(input.rawPointer), Int32(input.count), dt, output.rawPointer, Int32(input.count), dt, lib.commWorld), "MPI_Allgather")
    }

    func reduceScatter(_ input: Tensor, into output: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError) {
        if output.count > Self.chunk { throw CommunicationError(call: "MPI_Reduce_scatter_block", message: "\(output.count) elements per rank is more than MPI's int count allows") }
        try check(lib.reduceScatterBlock(UnsafeRawPointer(input.rawPointer), output.rawPointer, Int32(output.count), datatype(input.dtype),
                                         mpiOp(op, input.dtype), lib.commWorld), "MPI_Reduce_scatter_block")
    }

    func barrier() throws(CommunicationError) { try check(lib.barrier(lib.commWorld), "MPI_Barrier") }

    func abort(code: Int32) -> Never {
        _ = lib.abort(lib.commWorld, code)
        _exit(code)
    }
}
