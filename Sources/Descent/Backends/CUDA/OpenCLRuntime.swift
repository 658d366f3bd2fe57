#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CDescentKernels

/// The GPU backend on OpenCL, loaded with `dlopen` (`libOpenCL.so.1`, or the path in
/// `DESCENT_OPENCL`). With PoCL's CPU device it runs the CUDA backend's kernels on the host, so the
/// tests and CI check the backend without a GPU (`DESCENT_CUDA_RUNTIME=opencl`). OpenCL buffers
/// have no addresses, so each allocation gets a range of a made-up flat address space; a kernel
/// argument is then the buffer holding the address and the element offset inside it. Streams are
/// command queues (in order, with profiling for timing events); events are markers; a wait is a barrier.
final class OpenCLRuntime: GPURuntime, @unchecked Sendable {
    typealias Handle = OpaquePointer
    private let lib: DynamicLibrary
    private let device: Handle, context: Handle, queue: Handle
    let deviceName: String
    private let lock = NSLock()

    private let clCreateBuffer: @convention(c) (Handle?, UInt64, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Handle?
    private let clReleaseMemObject: @convention(c) (Handle?) -> Int32
    private let clEnqueueWriteBuffer: @convention(c) (Handle?, Handle?, UInt32, Int, Int, UnsafeRawPointer?, UInt32, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private let clEnqueueReadBuffer: @convention(c) (Handle?, Handle?, UInt32, Int, Int, UnsafeMutableRawPointer?, UInt32, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private let clEnqueueCopyBuffer: @convention(c) (Handle?, Handle?, Handle?, Int, Int, Int, UInt32, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private let clCreateProgramWithSource: @convention(c) (Handle?, UInt32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?, UnsafeMutablePointer<Int32>?) -> Handle?
    private let clBuildProgram: @convention(c) (Handle?, UInt32, UnsafePointer<Handle?>?, UnsafePointer<CChar>?, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private let clGetProgramBuildInfo: @convention(c) (Handle?, Handle?, UInt32, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> Int32
    private let clCreateKernel: @convention(c) (Handle?, UnsafePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Handle?
    private let clSetKernelArg: @convention(c) (Handle?, UInt32, Int, UnsafeRawPointer?) -> Int32
    private let clEnqueueNDRangeKernel: @convention(c) (Handle?, Handle?, UInt32, UnsafePointer<Int>?, UnsafePointer<Int>?, UnsafePointer<Int>?, UInt32, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private let clFinish: @convention(c) (Handle?) -> Int32
    private let clFlush: @convention(c) (Handle?) -> Int32
    private let clCreateCommandQueue: @convention(c) (Handle?, Handle?, UInt64, UnsafeMutablePointer<Int32>?) -> Handle?
    private let clEnqueueMarkerWithWaitList: @convention(c) (Handle?, UInt32, UnsafePointer<Handle?>?, UnsafeMutablePointer<Handle?>?) -> Int32
    private let clEnqueueBarrierWithWaitList: @convention(c) (Handle?, UInt32, UnsafePointer<Handle?>?, UnsafeMutablePointer<Handle?>?) -> Int32
    private let clWaitForEvents: @convention(c) (UInt32, UnsafePointer<Handle?>?) -> Int32
    private let clGetEventInfo: @convention(c) (Handle?, UInt32, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> Int32
    private let clGetEventProfilingInfo: @convention(c) (Handle?, UInt32, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> Int32
    private let clReleaseEvent: @convention(c) (Handle?) -> Int32
    private let clReleaseCommandQueue: @convention(c) (Handle?) -> Int32
    /// The queues made for streams (the default queue is `queue`).
    private var streamQueues: [Handle] = []
    /// An event: the marker of its latest record (nil before the first).
    private final class Event { var marker: Handle?; let timing: Bool; init(timing: Bool) { self.timing = timing } }

    /// The buffers, by the first address of their range, in address order.
    private var buffers: [(base: UInt64, size: Int, mem: Handle)] = []
    private var nextAddress: UInt64 = 1 << 32
    /// The compiler's output for each source built so far (warnings included).
    private(set) var buildLogs: [String: String] = [:]

    static var libraryPath: String { ProcessInfo.processInfo.environment["DESCENT_OPENCL"] ?? "libOpenCL.so.1" }

    init() throws {
        let path = Self.libraryPath
        let library = try DynamicLibrary.open(path) { CUDAUnavailable.noOpenCL("dlopen(\"\(path)\") failed (\($0))") }
        func symbol<T>(_ name: String, as t: T.Type = T.self) throws -> T {
            do { return try library.symbol(name, as: t) } catch { throw CUDAUnavailable.noOpenCL("\(path) has no \(name)") }
        }
        let clGetPlatformIDs = try symbol("clGetPlatformIDs", as: (@convention(c) (UInt32, UnsafeMutablePointer<Handle?>?, UnsafeMutablePointer<UInt32>?) -> Int32).self)
        let clGetDeviceIDs = try symbol("clGetDeviceIDs", as: (@convention(c) (Handle?, UInt64, UInt32, UnsafeMutablePointer<Handle?>?, UnsafeMutablePointer<UInt32>?) -> Int32).self)
        let clGetDeviceInfo = try symbol("clGetDeviceInfo", as: (@convention(c) (Handle?, UInt32, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> Int32).self)
        let clCreateContext = try symbol("clCreateContext", as: (@convention(c) (UnsafeRawPointer?, UInt32, UnsafePointer<Handle?>?, UnsafeRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Handle?).self)
        clCreateCommandQueue = try symbol("clCreateCommandQueue")
        clFlush = try symbol("clFlush")
        clEnqueueMarkerWithWaitList = try symbol("clEnqueueMarkerWithWaitList")
        clEnqueueBarrierWithWaitList = try symbol("clEnqueueBarrierWithWaitList")
        clWaitForEvents = try symbol("clWaitForEvents")
        clGetEventInfo = try symbol("clGetEventInfo")
        clGetEventProfilingInfo = try symbol("clGetEventProfilingInfo")
        clReleaseEvent = try symbol("clReleaseEvent")
        clReleaseCommandQueue = try symbol("clReleaseCommandQueue")
        clCreateBuffer = try symbol("clCreateBuffer")
        clReleaseMemObject = try symbol("clReleaseMemObject")
        clEnqueueWriteBuffer = try symbol("clEnqueueWriteBuffer")
        clEnqueueReadBuffer = try symbol("clEnqueueReadBuffer")
        clEnqueueCopyBuffer = try symbol("clEnqueueCopyBuffer")
        clCreateProgramWithSource = try symbol("clCreateProgramWithSource")
        clBuildProgram = try symbol("clBuildProgram")
        clGetProgramBuildInfo = try symbol("clGetProgramBuildInfo")
        clCreateKernel = try symbol("clCreateKernel")
        clSetKernelArg = try symbol("clSetKernelArg")
        clEnqueueNDRangeKernel = try symbol("clEnqueueNDRangeKernel")
        clFinish = try symbol("clFinish")

        var p: Handle? = nil, count: UInt32 = 0
        let rc = clGetPlatformIDs(1, &p, &count)
        guard rc == 0, count > 0, let platform = p else { throw CUDAUnavailable.noOpenCL("no OpenCL platform (clGetPlatformIDs returned \(rc); install pocl-opencl-icd)") }
        var d: Handle? = nil, nd: UInt32 = 0
        guard clGetDeviceIDs(platform, 0xFFFF_FFFF, 1, &d, &nd) == 0, nd > 0, let device = d else { throw CUDAUnavailable.noOpenCL("the OpenCL platform has no device") }
        var nameBytes = [CChar](repeating: 0, count: 256)
        _ = clGetDeviceInfo(device, 0x102B, 255, &nameBytes, nil)   // CL_DEVICE_NAME
        deviceName = String(cString: nameBytes)
        var units: UInt32 = 0
        _ = clGetDeviceInfo(device, 0x1002, 4, &units, nil)   // CL_DEVICE_MAX_COMPUTE_UNITS
        multiprocessorCount = Int(Swift.max(units, 1))
        var err: Int32 = 0
        var devices: [Handle?] = [device]
        guard let ctx = clCreateContext(nil, 1, &devices, nil, nil, &err), err == 0 else { throw CUDAUnavailable.noOpenCL("clCreateContext failed (\(err))") }
        guard let q = clCreateCommandQueue(ctx, device, 2, &err), err == 0 else { throw CUDAUnavailable.noOpenCL("clCreateCommandQueue failed (\(err))") }
        self.device = device; context = ctx; queue = q; lib = library
    }

    var description: String { "OpenCL (\(deviceName))" }
    /// The compute units stand for multiprocessors; 2,048 threads each, as on an A100 or H100.
    let multiprocessorCount: Int
    var maxThreadsPerMultiprocessor: Int { 2048 }
    /// No vendor BLAS here: the backend's tiled kernel multiplies.
    func blasGemm(_ gemm: BLASGemm, tf32: Bool) -> Bool { false }

    private func check(_ rc: Int32, _ call: String) {
        if rc != 0 { fail("\(GPUError(call: call, code: rc, name: "OpenCL error"))") }
    }

    // MARK: memory

    func allocate(_ bytes: Int) -> UInt64? {
        lock.lock(); defer { lock.unlock() }
        var err: Int32 = 0
        guard let mem = clCreateBuffer(context, 1, Swift.max(bytes, 1), nil, &err), err == 0 else { return nil }   // CL_MEM_READ_WRITE
        let base = nextAddress
        nextAddress += UInt64((Swift.max(bytes, 1) + 0xFFFF) & ~0xFFFF)
        buffers.append((base, bytes, mem))
        return base
    }
    func free(_ address: UInt64) {
        lock.lock(); defer { lock.unlock() }
        guard let i = buffers.firstIndex(where: { $0.base == address }) else { fatalError("OpenCL free of an unknown address") }
        _ = clReleaseMemObject(buffers[i].mem)
        buffers.remove(at: i)
    }
    /// The buffer holding `address` and the byte offset inside it.
    private func resolve(_ address: UInt64) -> (Handle, Int) {
        var lo = 0, hi = buffers.count
        while lo < hi { let mid = (lo + hi) / 2; if buffers[mid].base <= address { lo = mid + 1 } else { hi = mid } }
        precondition(lo > 0 && address < buffers[lo - 1].base + UInt64(Swift.max(buffers[lo - 1].size, 1)), "OpenCL address outside every buffer")
        return (buffers[lo - 1].mem, Int(address - buffers[lo - 1].base))
    }

    func upload(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64) {
        waitingTransfer("a copy from the host")
        write(src, bytes: bytes, to: address, blocking: true)
    }
    func uploadAsync(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64) {
        refuseWhileCapturing("a copy from pinned memory")
        write(src, bytes: bytes, to: address, blocking: false)
    }
    /// Queues a host-to-device write on the current queue; a non-blocking one is flushed so it starts.
    private func write(_ src: UnsafeRawPointer, bytes: Int, to address: UInt64, blocking: Bool) {
        guard bytes > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        let (mem, off) = resolve(address)
        let q = current
        check(clEnqueueWriteBuffer(q, mem, blocking ? 1 : 0, off, bytes, src, 0, nil, nil), "clEnqueueWriteBuffer")
        if !blocking { _ = clFlush(q) }
    }
    /// PoCL's device is the host: any aligned memory serves as "page-locked".
    func allocateHost(_ bytes: Int) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer? = nil
        return posix_memalign(&p, 4096, Swift.max(bytes, 1)) == 0 ? p : nil
    }
    func freeHost(_ pointer: UnsafeMutableRawPointer) { Foundation.free(pointer) }
    func download(from address: UInt64, bytes: Int, to dst: UnsafeMutableRawPointer) {
        waitingTransfer("a copy to the host")
        guard bytes > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        let (mem, off) = resolve(address)
        check(clEnqueueReadBuffer(current, mem, 1, off, bytes, dst, 0, nil, nil), "clEnqueueReadBuffer")
    }
    func copy(from src: UInt64, to dst: UInt64, bytes: Int) {
        GPUWorkCounter.copies += 1
        guard bytes > 0 else { return }
        if record(.copy(src, dst, bytes)) { return }
        lock.lock(); defer { lock.unlock() }
        let (s, so) = resolve(src), (d, dOff) = resolve(dst)
        check(clEnqueueCopyBuffer(current, s, d, so, dOff, bytes, 0, nil, nil), "clEnqueueCopyBuffer")
    }

    // MARK: kernels

    func compile(_ source: String, name: String) throws -> OpaquePointer {
        lock.lock(); defer { lock.unlock() }
        var err: Int32 = 0
        let program: Handle? = source.withCString { s in
            var strings: [UnsafePointer<CChar>?] = [s]
            return clCreateProgramWithSource(context, 1, &strings, nil, &err)
        }
        guard let prog = program, err == 0 else { throw GPUError(call: "clCreateProgramWithSource (\(name))", code: err, name: "OpenCL error") }
        var devices: [Handle?] = [device]
        let rc = clBuildProgram(prog, 1, &devices, "-cl-std=CL1.2", nil, nil)
        var size = 0
        _ = clGetProgramBuildInfo(prog, device, 0x1183, 0, nil, &size)   // CL_PROGRAM_BUILD_LOG
        var log = [CChar](repeating: 0, count: size + 1)
        _ = clGetProgramBuildInfo(prog, device, 0x1183, size, &log, nil)
        buildLogs[name] = String(cString: log).trimmingCharacters(in: .whitespacesAndNewlines)
        if rc != 0 { throw NVRTCError.failed(call: "clBuildProgram (\(name))", code: rc, message: "OpenCL build error", log: buildLogs[name]!) }
        return prog
    }
    func function(_ module: OpaquePointer, _ name: String) throws -> GPUFunction {
        lock.lock(); defer { lock.unlock() }
        var err: Int32 = 0
        guard let kernel = clCreateKernel(module, name, &err), err == 0 else { throw GPUError(call: "clCreateKernel (\(name))", code: err, name: "no such kernel") }
        return GPUFunction(handle: kernel)
    }

    func launch(_ function: GPUFunction, blocks: Int, threads: Int, _ args: [KernelArg]) {
        GPUWorkCounter.launches += 1
        if record(.launch(function, blocks, threads, args)) { return }
        lock.lock(); defer { lock.unlock() }
        let k = function.handle
        var index: UInt32 = 0
        func set<T>(_ value: T) {
            var v = value
            check(clSetKernelArg(k, index, MemoryLayout<T>.size, &v), "clSetKernelArg (\(index))")
            index += 1
        }
        for a in args {
            switch a {
            case .i32(let v): set(v)
            case .i64(let v): set(v)
            case .f64(let v): set(v)
            case let .tensor(address, elementOffset, itemSize):
                let (mem, off) = resolve(address)
                set(Optional(mem))
                set(Int64(off / itemSize + elementOffset))
            case .null:
                check(clSetKernelArg(k, index, MemoryLayout<Handle?>.size, nil), "clSetKernelArg (\(index))")
                index += 1
                set(Int64(0))
            case .bytes(let words):
                words.withUnsafeBytes { check(clSetKernelArg(k, index, $0.count, $0.baseAddress), "clSetKernelArg (\(index))") }
                index += 1
            }
        }
        var global = blocks * threads, local = threads
        check(clEnqueueNDRangeKernel(current, k, 1, nil, &global, &local, 0, nil, nil), "clEnqueueNDRangeKernel")
    }

    func synchronize() {
        refuseWhileCapturing("synchronize")
        GPUGraphCapture.refuseDeviceWideWait("synchronize")
        lock.lock(); defer { lock.unlock() }
        _ = clFinish(queue)
        for q in streamQueues { _ = clFinish(q) }
    }

    // MARK: streams and events

    let ordinal = 0
    /// The calling thread's current queue.
    private var current: Handle { currentStream ?? queue }
    private func queue(_ stream: OpaquePointer?) -> Handle { stream ?? queue }

    func createStream() -> OpaquePointer {
        lock.lock(); defer { lock.unlock() }
        var err: Int32 = 0
        guard let q = clCreateCommandQueue(context, device, 2, &err), err == 0 else { fail("\(GPUError(call: "clCreateCommandQueue", code: err, name: "OpenCL error"))") }
        streamQueues.append(q)
        return q
    }
    func destroyStream(_ stream: OpaquePointer) {
        lock.lock(); defer { lock.unlock() }
        _ = clFlush(stream)
        streamQueues.removeAll { $0 == stream }
        _ = clReleaseCommandQueue(stream)
    }
    func synchronizeStream(_ stream: OpaquePointer?) { check(clFinish(queue(stream)), "clFinish") }
    func streamIsIdle(_ stream: OpaquePointer?) -> Bool {
        // a marker queued behind the stream's work: PoCL completes it on its own thread shortly after
        // that work, so the answer is the stream's state at some moment within this call (up to 20 ms)
        let e = createEvent(timing: false)
        defer { destroyEvent(e) }
        record(e, on: stream)
        for _ in 0..<200 {
            if eventIsComplete(e) { return true }
            usleep(100)
        }
        return false
    }
    private func event(_ e: OpaquePointer) -> Event { Unmanaged<Event>.fromOpaque(UnsafeRawPointer(e)).takeUnretainedValue() }
    func createEvent(timing: Bool) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(Event(timing: timing)).toOpaque()) }
    func record(_ e: OpaquePointer, on stream: OpaquePointer?) {
        let ev = event(e)
        var marker: Handle? = nil
        check(clEnqueueMarkerWithWaitList(queue(stream), 0, nil, &marker), "clEnqueueMarkerWithWaitList")
        _ = clFlush(queue(stream))
        if let old = ev.marker { _ = clReleaseEvent(old) }
        ev.marker = marker
    }
    func wait(_ stream: OpaquePointer?, for e: OpaquePointer) {
        guard let m = event(e).marker else { return }
        var list: [Handle?] = [m]
        check(clEnqueueBarrierWithWaitList(queue(stream), 1, &list, nil), "clEnqueueBarrierWithWaitList")
    }
    func eventIsComplete(_ e: OpaquePointer) -> Bool {
        guard let m = event(e).marker else { return true }
        var status: Int32 = -1
        check(clGetEventInfo(m, 0x11D3, 4, &status, nil), "clGetEventInfo")   // CL_EVENT_COMMAND_EXECUTION_STATUS
        return status == 0   // CL_COMPLETE
    }
    func synchronizeEvent(_ e: OpaquePointer) {
        guard let m = event(e).marker else { return }
        var list: [Handle?] = [m]
        check(clWaitForEvents(1, &list), "clWaitForEvents")
    }
    func elapsedMilliseconds(from start: OpaquePointer, to end: OpaquePointer) -> Double {
        func end_(_ e: OpaquePointer) -> UInt64 {
            guard let m = event(e).marker else { fail("CUDA error: elapsedTime of an event that was not recorded") }
            var ns: UInt64 = 0
            check(clGetEventProfilingInfo(m, 0x1283, 8, &ns, nil), "clGetEventProfilingInfo")   // CL_PROFILING_COMMAND_END
            return ns
        }
        return Double(Int64(bitPattern: end_(end) &- end_(start))) / 1e6
    }
    // MARK: graphs

    /// OpenCL has no graphs: a capture records the launches and copies queued on the capturing
    /// queue (and on the queues that joined it), and a replay queues them again on one queue, with
    /// the same arguments (the same addresses), in the order the host queued them, which respects
    /// every dependency between the joined queues.
    private enum Recorded { case launch(GPUFunction, Int, Int, [KernelArg]); case copy(UInt64, UInt64, Int) }
    private final class Recording {
        let queue: Handle
        var queues: Set<Handle>
        var work: [Recorded] = []
        init(queue: Handle) { self.queue = queue; queues = [queue] }
    }
    private var recording: Recording?
    /// Records `work` when the calling thread's queue is being captured; false when it must run now.
    private func record(_ work: Recorded) -> Bool {
        guard let r = recording, r.queues.contains(current) else { return false }
        r.work.append(work)
        return true
    }
    func beginCapture(_ stream: OpaquePointer) { recording = Recording(queue: stream) }
    func joinCapture(_ stream: OpaquePointer) { recording?.queues.insert(stream) }
    func endCapture(_ stream: OpaquePointer) -> OpaquePointer {
        guard let r = recording, r.queue == stream else { fail("endCapture on a stream that is not capturing") }
        recording = nil
        return OpaquePointer(Unmanaged.passRetained(r).toOpaque())
    }
    func launchGraph(_ graph: OpaquePointer, on stream: OpaquePointer?) {
        let r = Unmanaged<Recording>.fromOpaque(UnsafeRawPointer(graph)).takeUnretainedValue()
        let previous = currentStream
        dk_set_current_stream(Int32(ordinal), stream.map { UnsafeMutableRawPointer($0) })
        let launches = GPUWorkCounter.launches
        defer {
            dk_set_current_stream(Int32(ordinal), previous.map { UnsafeMutableRawPointer($0) })
            GPUWorkCounter.launches = launches + 1   // one graph launch, as on CUDA
        }
        for w in r.work {
            switch w {
            case let .launch(f, b, t, a): launch(f, blocks: b, threads: t, a)
            case let .copy(src, dst, n): copy(from: src, to: dst, bytes: n)
            }
        }
    }
    func destroyGraph(_ graph: OpaquePointer) { Unmanaged<Recording>.fromOpaque(UnsafeRawPointer(graph)).release() }

    func destroyEvent(_ e: OpaquePointer) {
        let ev = Unmanaged<Event>.fromOpaque(UnsafeRawPointer(e))
        if let m = ev.takeUnretainedValue().marker { _ = clReleaseEvent(m) }
        ev.release()
    }
}
