import Foundation

// The GPU backend runs on a runtime: NVIDIA's CUDA driver API (`CUDARuntime`), or OpenCL
// (`OpenCLRuntime`), which runs the same kernel sources on PoCL's CPU device so that every commit
// exercises the backend end to end without a GPU (`DESCENT_CUDA_RUNTIME=opencl`). A runtime hands
// out device memory in a flat address space, copies between host and device, compiles the kernel
// sources and launches kernels on one in-order queue. Calls cross the protocol once per launch or
// copy, never per element.

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
protocol GPURuntime: AnyObject, DeviceMemory, CustomStringConvertible {
    /// What runs the kernels, for messages and the README ("CUDA 12.4, NVIDIA H100", "OpenCL (PoCL)").
    var description: String { get }
    /// The device's multiprocessors (compute units): PyTorch sizes its random kernels' grids by them.
    var multiprocessorCount: Int { get }
    /// The most resident threads per multiprocessor (2,048 on an A100 or H100).
    var maxThreadsPerMultiprocessor: Int { get }
    /// Copies host bytes to device memory at `address` (synchronously).
    func upload(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64)
    /// Copies device bytes at `address` to the host, after all queued work.
    func download(from address: UInt64, bytes: Int, to dst: UnsafeMutableRawPointer)
    /// Copies `bytes` between two device addresses, in queue order.
    func copy(from src: UInt64, to dst: UInt64, bytes: Int)
    /// Compiles one kernel source (`KernelSource.all`) into a module (a program).
    func compile(_ source: String, name: String) throws -> OpaquePointer
    /// The kernel `name` of a compiled module.
    func function(_ module: OpaquePointer, _ name: String) throws -> GPUFunction
    /// Queues `function` on `blocks` blocks (work-groups) of `threads` threads.
    func launch(_ function: GPUFunction, blocks: Int, threads: Int, _ args: [KernelArg])
    /// Waits for all queued work.
    func synchronize()
    /// Runs `gemm` with the vendor's BLAS in queue order; false when there is none (the backend's
    /// own kernel multiplies instead). `tf32` lets float32 products use TF32 tensor cores.
    func blasGemm(_ gemm: BLASGemm, tf32: Bool) -> Bool
}

/// Why a GPU call failed: the call and the runtime's error, PyTorch-style.
struct GPUError: Error, CustomStringConvertible {
    let call: String, code: Int32, name: String
    var description: String { "\(call) failed: \(name) (\(code))" }
}
