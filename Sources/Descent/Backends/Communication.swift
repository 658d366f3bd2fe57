import Foundation

/// What a process group needs from the engine that moves tensors between processes: MPI today
/// (Backends/MPI), NCCL for CUDA tensors next, loaded the same way. A process group calls these on its
/// communication thread only, one at a time and in the same order on every rank (MPI's rule); every
/// tensor is contiguous and on a device the engine serves. `.average` never reaches an engine: the
/// group sums and divides.
protocol CommunicationEngine: AnyObject {
    var rank: Int { get }
    var worldSize: Int { get }
    /// The engine's name in messages ("mpi").
    var name: String { get }
    /// Reduces `t` across ranks in place.
    func allReduce(_ t: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError)
    /// Copies `root`'s `t` into every rank's `t`.
    func broadcast(_ t: Tensor, root: Int) throws(CommunicationError)
    /// Writes every rank's `input`, in rank order, into `output` (`worldSize * input.count` elements).
    func allGather(_ input: Tensor, into output: Tensor) throws(CommunicationError)
    /// Reduces `input` (`worldSize` equal blocks) across ranks and writes block `rank` into `output`.
    func reduceScatter(_ input: Tensor, into output: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError)
    func barrier() throws(CommunicationError)
    /// Stops every rank of the job (after a timeout or a failed collective): MPI_Abort.
    func abort(code: Int32) -> Never
}

/// A collective that failed inside the engine, with the call and the engine's own message.
public struct CommunicationError: Error, CustomStringConvertible, Sendable {
    /// The engine call that failed (`MPI_Allreduce`).
    public let call: String
    /// The engine's text for the failure.
    public let message: String
    public var description: String { "\(call) failed: \(message)" }
}

/// The engine of a world of one process (a program started without an MPI launcher): every
/// collective leaves the data as it is, or copies it where the output is another tensor.
final class SingleProcessEngine: CommunicationEngine {
    var rank: Int { 0 }
    var worldSize: Int { 1 }
    var name: String { "mpi" }
    func allReduce(_ t: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError) {}
    func broadcast(_ t: Tensor, root: Int) throws(CommunicationError) {}
    func allGather(_ input: Tensor, into output: Tensor) throws(CommunicationError) { copy(input, output) }
    func reduceScatter(_ input: Tensor, into output: Tensor, _ op: Distributed.ReduceOp) throws(CommunicationError) { copy(input, output) }
    func barrier() throws(CommunicationError) {}
    func abort(code: Int32) -> Never { exit(code) }
    private func copy(_ a: Tensor, _ b: Tensor) {
        if a.storage === b.storage && a.offset == b.offset { return }
        b.rawPointer.copyMemory(from: a.rawPointer, byteCount: b.count * b.dtype.itemSize)
    }
}
