import Foundation

// The GPU backend runs on a runtime: NVIDIA's CUDA driver API (`CUDARuntime`), or OpenCL
// (`OpenCLRuntime`), which runs the same kernel sources on PoCL's CPU device so that every commit
// exercises the backend end to end without a GPU (`DESCENT_CUDA_RUNTIME=opencl`). A runtime hands
// out device memory in a flat address space, copies between host and device, compiles the kernel
// sources and launches kernels on in-order queues (streams). Calls cross the protocol once per launch
// or copy, never per element. Launches and copies go to the calling thread's current stream of the
// device (`currentStream`: nil is the default stream), as PyTorch's thread-local current stream.
import CDescentKernels

/// A kernel's argument. `.tensor` and `.null` are a pointer and an element offset: two parameters
/// (see `DK_ARG` in `KernelSource.prelude`).
enum KernelArg {
    case i32(Int32)
    case i64(Int64)
    case f64(Double)
    /// A tensor's memory: its storage's device address and its offset in elements.
    case tensor(address: UInt64, elementOffset: Int, itemSize: Int)
    /// A null pointer (an absent optional operand).
    case null
    /// A struct by value (8-byte aligned).
    case bytes([Int64])
}

/// A compiled kernel: the runtime's handle.
struct GPUFunction { let handle: OpaquePointer }

/// A device's memory, compiler and launch queue.
protocol GPURuntime: AnyObject, DeviceMemory, HostMemory, StreamEvents, CustomStringConvertible {
    /// The device's index (`cuda:ordinal`).
    var ordinal: Int { get }
    /// What runs the kernels, for messages and the README ("CUDA 12.4, NVIDIA H100", "OpenCL (PoCL)").
    var description: String { get }
    /// The device's multiprocessors (compute units): PyTorch sizes its random kernels' grids by them.
    var multiprocessorCount: Int { get }
    /// The most resident threads per multiprocessor (2,048 on an A100 or H100).
    var maxThreadsPerMultiprocessor: Int { get }
    /// Copies host bytes to device memory at `address`, in the current stream's order; returns when done.
    func upload(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64)
    /// Queues a copy from page-locked host memory (`allocateHost`) on the current stream and returns at once.
    /// (Refused during a graph capture: replays would read a buffer the pinned allocator may reuse.)
    func uploadAsync(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64)
    /// Copies device bytes at `address` to the host, after the work queued on the current stream.
    func download(from address: UInt64, bytes: Int, to dst: UnsafeMutableRawPointer)
    /// Copies `bytes` between two device addresses, in queue order.
    func copy(from src: UInt64, to dst: UInt64, bytes: Int)
    /// Compiles one kernel source (`KernelSource.all`) into a module (a program).
    func compile(_ source: String, name: String) throws -> OpaquePointer
    /// The kernel `name` of a compiled module.
    func function(_ module: OpaquePointer, _ name: String) throws -> GPUFunction
    /// Queues `function` on `blocks` blocks (work-groups) of `threads` threads.
    func launch(_ function: GPUFunction, blocks: Int, threads: Int, _ args: [KernelArg])
    /// Waits for all queued work, on every stream.
    func synchronize()
    /// A new stream, which does not wait for the default stream's work (PyTorch's streams are non-blocking).
    func createStream() -> OpaquePointer
    /// Releases a stream from `createStream` (its queued work still runs).
    func destroyStream(_ stream: OpaquePointer)
    /// Waits for the work queued on `stream` (nil: the default stream).
    func synchronizeStream(_ stream: OpaquePointer?)
    /// Whether all work queued on `stream` has run.
    func streamIsIdle(_ stream: OpaquePointer?) -> Bool
    /// A new event; with `timing`, `elapsedMilliseconds` can measure between two of them.
    func createEvent(timing: Bool) -> OpaquePointer
    /// Records `event` on `stream`: it completes when the work queued there by now has run.
    func record(_ event: OpaquePointer, on stream: OpaquePointer?)
    /// Makes `stream` wait, on the device, for `event` before its later work.
    func wait(_ stream: OpaquePointer?, for event: OpaquePointer)
    /// Milliseconds between two recorded, completed timing events.
    func elapsedMilliseconds(from start: OpaquePointer, to end: OpaquePointer) -> Double
    /// Starts capturing the work queued on `stream` into a graph instead of running it.
    func beginCapture(_ stream: OpaquePointer)
    /// `stream` waited for an event recorded on a capturing stream: its later work belongs to the capture.
    func joinCapture(_ stream: OpaquePointer)
    /// Ends the capture on `stream` and returns the graph, ready to launch.
    func endCapture(_ stream: OpaquePointer) -> OpaquePointer
    /// Queues a captured graph's work on `stream`.
    func launchGraph(_ graph: OpaquePointer, on stream: OpaquePointer?)
    /// Releases a captured graph.
    func destroyGraph(_ graph: OpaquePointer)
    /// Whether the event's work has run (an event never recorded has).
    func eventIsComplete(_ event: OpaquePointer) -> Bool
    /// Waits for the event's work.
    func synchronizeEvent(_ event: OpaquePointer)
    /// Releases the event.
    func destroyEvent(_ event: OpaquePointer)
    /// Runs `gemm` with the vendor's BLAS in queue order; false when there is none (the backend's
    /// own kernel multiplies instead). `tf32` lets float32 products use TF32 tensor cores.
    func blasGemm(_ gemm: BLASGemm, tf32: Bool) -> Bool
}

extension GPURuntime {
    /// Stops a call that makes the host wait for the device while a graph is being captured (CUDA
    /// refuses it: the capture would be invalidated).
    func refuseWhileCapturing(_ what: String) {
        if GPUGraphCapture.active {
            fail("CUDA error: operation not permitted when stream is capturing (\(what) waits for the device; move it out of the captured region)")
        }
    }
    /// Counts a copy that makes the host wait for the device, and refuses it during a graph capture.
    func waitingTransfer(_ what: String) {
        GPUWorkCounter.synchronousTransfers += 1
        refuseWhileCapturing(what)
    }
    /// The calling thread's current stream on this device (nil: the default stream).
    @inline(__always) var currentStream: OpaquePointer? { dk_get_current_stream(Int32(ordinal)).map(OpaquePointer.init) }

    // The allocators' view of events (`StreamEvents`): streams and events as numbers, 0 the default stream.
    func recordEvent(onStream stream: UInt64) -> UInt64 {
        let e = createEvent(timing: false)
        record(e, on: OpaquePointer(bitPattern: UInt(stream)))
        return UInt64(UInt(bitPattern: e))
    }
    func eventIsComplete(_ event: UInt64) -> Bool { eventIsComplete(OpaquePointer(bitPattern: UInt(event))!) }
    func synchronizeEvent(_ event: UInt64) { synchronizeEvent(OpaquePointer(bitPattern: UInt(event))!) }
    func destroyEvent(_ event: UInt64) { destroyEvent(OpaquePointer(bitPattern: UInt(event))!) }
}

/// Counts of work queued on GPUs (kernel launches, vendor BLAS calls included, and device copies),
/// for the tests that check how many launches a step takes. Racy by design: one increment per call.
@_spi(Testing) public enum GPUWorkCounter {
    public nonisolated(unsafe) static var launches = 0
    /// Copies between device memory.
    public nonisolated(unsafe) static var copies = 0
    /// Copies that wait for the device (host to device from pageable memory, device to host): each stalls the host.
    public nonisolated(unsafe) static var synchronousTransfers = 0
}

/// Whether the calling thread is capturing a graph (a wait for the device is refused meanwhile).
enum GPUGraphCapture {
    static var active: Bool { dk_get_capturing() != nil }
    private static let lock = NSLock()
    private nonisolated(unsafe) static var captures = 0
    /// Counts the captures under way in the process (any thread).
    static func began() { lock.lock(); captures += 1; lock.unlock(); PinnedMemory.setDeferEvents(true) }
    static func ended() {
        lock.lock(); captures -= 1; let n = captures; lock.unlock()
        if n == 0 { PinnedMemory.setDeferEvents(false) }
    }
    /// Stops a wait for the whole device while any thread captures a graph: it would wait for the
    /// capturing stream, which CUDA refuses (and which would invalidate the capture).
    static func refuseDeviceWideWait(_ what: String) {
        lock.lock(); let n = captures; lock.unlock()
        if n > 0 {
            fail("CUDA error: operation not permitted when stream is capturing (\(what) waits for the whole device while a CUDA graph is being captured; wait for a stream or an event instead, or after the capture)")
        }
    }
    /// Stops what a capture cannot hold: `what` depends on host state that replays would not update.
    static func refuse(_ what: String) {
        if active { fail("\(what) cannot be captured in a CUDA graph: each replay would repeat the captured values") }
    }
}

/// A stream handle as the allocators number it (0: the default stream).
@inline(__always) func streamID(_ s: OpaquePointer?) -> UInt64 { s.map { UInt64(UInt(bitPattern: $0)) } ?? 0 }

/// Why a GPU call failed: the call and the runtime's error, PyTorch-style.
struct GPUError: Error, CustomStringConvertible {
    let call: String, code: Int32, name: String
    var description: String { "\(call) failed: \(name) (\(code))" }
}
