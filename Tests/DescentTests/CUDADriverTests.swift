import Foundation
import Testing
import Descent

/// The CUDA driver loader: without a GPU it must say which part is missing. Each case runs in a child
/// process (the driver is loaded once per process), pointed at a library by `DESCENT_CUDA_DRIVER`:
/// a missing path, a library that is not a driver, and fake drivers built here with the C compiler
/// that report an old version, a failing cuInit, no device, or two devices.
@Suite struct CUDADriverLoading {
    /// Builds a fake `libcuda` whose entry points return the given values; nil when no C compiler is found.
    static func fakeDriver(version: Int32, initResult: Int32, devices: Int32) -> String? {
        buildFakeDriver(named: "\(version)-\(initResult)-\(devices)", """
        int cuDriverGetVersion(int *v) { *v = \(version); return 0; }
        int cuInit(unsigned flags) { return \(initResult); }
        int cuDeviceGetCount(int *n) { *n = \(devices); return 0; }
        int cuGetErrorName(int e, const char **s) { *s = e == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_UNKNOWN"; return 0; }
        """)
    }

    /// Compiles `code` into `libcuda.so.1` in a fresh temporary folder; nil when no C compiler is found.
    static func buildFakeDriver(named name: String, _ code: String) -> String? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-fakecuda-\(name)-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("fake.c"), lib = dir.appendingPathComponent("libcuda.so.1")
        guard (try? code.write(to: src, atomically: true, encoding: .utf8)) != nil else { return nil }
        for cc in ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: cc) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: cc)
            p.arguments = ["-shared", "-fPIC", "-o", lib.path, src.path]
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return lib.path }
        }
        return nil
    }

    static var hasCompiler: Bool { ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].contains { FileManager.default.isExecutableFile(atPath: $0) } }

    @Test func aMissingLibraryIsNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("DESCENT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
            if CUDA.isAvailable() || CUDA.deviceCount() != 0 { exit(3) }
        }
        #expect(stderr(r).contains("no NVIDIA driver library: dlopen(\"/nonexistent/libcuda.so.1\") failed"))
    }

    @Test func aLibraryThatIsNotADriverIsNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("DESCENT_CUDA_DRIVER", "libm.so.6", 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r).contains("libm.so.6 is not a CUDA driver library: it has no cuInit"))
    }

    @Test(.enabled(if: hasCompiler)) func oldDriversFailingInitAndNoDevicesAreNamed() async {
        let r1 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let old = CUDADriverLoading.fakeDriver(version: 11080, initResult: 0, devices: 1) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", old, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r1).contains("the NVIDIA driver supports CUDA 11.8; Descent needs CUDA 12.0 or newer"))
        let r2 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let noGPU = CUDADriverLoading.fakeDriver(version: 12040, initResult: 100, devices: 0) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", noGPU, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r2).contains("cuInit failed with CUDA_ERROR_NO_DEVICE (100)"))
        let r3 = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let none = CUDADriverLoading.fakeDriver(version: 12040, initResult: 0, devices: 0) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", none, 1)
            FileHandle.standardError.write(Data((CUDA.unavailableReason ?? "available").utf8))
        }
        #expect(stderr(r3).contains("the NVIDIA driver sees no CUDA device"))
    }

    /// A driver that counts two devices but lacks the calls that make a context: the count stands,
    /// and the reason names the missing entry point.
    @Test(.enabled(if: hasCompiler)) func anIncompleteDriverIsCountedAndNamed() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let two = CUDADriverLoading.fakeDriver(version: 12040, initResult: 0, devices: 2) else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", two, 1)
            FileHandle.standardError.write(Data("count=\(CUDA.deviceCount()) \(CUDA.unavailableReason ?? "available")".utf8))
            if CUDA.isAvailable() { exit(3) }
        }
        #expect(stderr(r).contains("count=2 ") && stderr(r).contains("is not a CUDA driver library: it has no cuDeviceGet"), "\(stderr(r))")
    }
}

/// The driver-API layer (`CUDARuntime`) against a fake driver whose device memory is host memory:
/// context, `cuMemAlloc`/`cuMemFree` under the caching allocator and the three copies run for real,
/// and a module that does not load is named by its call and error. Needs NVRTC (the kernels are
/// compiled for the fake device's sm_90 before the driver refuses them); `.ci/run` provides it.
@Suite struct CUDADriverAPI {
    static func fakeHostMemoryDriver() -> String? {
        CUDADriverLoading.buildFakeDriver(named: "host", """
        #include <stdlib.h>
        #include <string.h>
        typedef unsigned long long u64;
        int cuDriverGetVersion(int *v) { *v = 12040; return 0; }
        int cuInit(unsigned f) { return 0; }
        int cuDeviceGetCount(int *n) { *n = 1; return 0; }
        int cuGetErrorName(int e, const char **s) { *s = e == 218 ? "CUDA_ERROR_INVALID_PTX" : "CUDA_ERROR_UNKNOWN"; return 0; }
        int cuDeviceGet(int *d, int o) { *d = o; return 0; }
        int cuDeviceGetName(char *n, int len, int d) { strncpy(n, "Fake GPU", len); return 0; }
        int cuDeviceGetAttribute(int *v, int a, int d) { *v = a == 75 ? 9 : 0; return 0; }
        int cuDevicePrimaryCtxRetain(void **c, int d) { static int ctx; *c = &ctx; return 0; }
        int cuCtxSetCurrent(void *c) { return 0; }
        int cuMemAlloc_v2(u64 *p, size_t n) { void *m = malloc(n); if (!m) return 2; *p = (u64)m; return 0; }
        int cuMemFree_v2(u64 p) { free((void *)p); return 0; }
        // with DESCENT_FAKE_LOG set, the stream and copy calls are logged: streams as s1, s2, … (s0: the default stream)
        #include <stdio.h>
        static int logging(void) { static int l = -1; if (l < 0) l = getenv("DESCENT_FAKE_LOG") != 0; return l; }
        #define LOG(...) do { if (logging()) fprintf(stderr, __VA_ARGS__); } while (0)
        static long sid(void *s) { return s ? (long)s - 0x1000 : 0; }
        int cuMemHostAlloc(void **p, size_t n, unsigned f) { *p = malloc(n); LOG("cuMemHostAlloc %zu flags=%u\\n", n, f); return 0; }
        int cuMemFreeHost(void *p) { free(p); return 0; }
        int cuMemcpyHtoDAsync_v2(u64 d, const void *s, size_t n, void *st) { memcpy((void *)d, s, n); LOG("cuMemcpyHtoDAsync %zu s%ld\\n", n, sid(st)); return 0; }
        int cuMemcpyDtoHAsync_v2(void *d, u64 s, size_t n, void *st) { memcpy(d, (const void *)s, n); LOG("cuMemcpyDtoHAsync %zu s%ld\\n", n, sid(st)); return 0; }
        int cuMemcpyDtoDAsync_v2(u64 d, u64 s, size_t n, void *st) { memcpy((void *)d, (const void *)s, n); LOG("cuMemcpyDtoDAsync %zu s%ld\\n", n, sid(st)); return 0; }
        int cuStreamBeginCapture_v2(void *s, int mode) { LOG("cuStreamBeginCapture s%ld mode=%d\\n", sid(s), mode); return 0; }
        int cuStreamEndCapture(void *s, void **g) { static int graph; *g = &graph; LOG("cuStreamEndCapture s%ld\\n", sid(s)); return 0; }
        int cuGraphInstantiateWithFlags(void **e, void *g, unsigned long long f) { static int exec; *e = &exec; LOG("cuGraphInstantiateWithFlags\\n"); return 0; }
        int cuGraphLaunch(void *e, void *s) { LOG("cuGraphLaunch s%ld\\n", sid(s)); return 0; }
        int cuGraphExecDestroy(void *e) { LOG("cuGraphExecDestroy\\n"); return 0; }
        int cuGraphDestroy(void *g) { LOG("cuGraphDestroy\\n"); return 0; }
        int cuStreamCreate(void **s, unsigned f) { static long n; *s = (void *)(0x1000 + ++n); LOG("cuStreamCreate s%ld flags=%u\\n", n, f); return 0; }
        int cuStreamDestroy_v2(void *s) { LOG("cuStreamDestroy s%ld\\n", sid(s)); return 0; }
        int cuStreamSynchronize(void *s) { LOG("cuStreamSynchronize s%ld\\n", sid(s)); return 0; }
        int cuStreamQuery(void *s) { return 0; }
        int cuStreamWaitEvent(void *s, void *e, unsigned f) { LOG("cuStreamWaitEvent s%ld e%d\\n", sid(s), *(int *)e); return 0; }
        int cuEventCreate(void **e, unsigned f) { static int n; int *p = malloc(sizeof(int)); *p = ++n; *e = p; LOG("cuEventCreate e%d flags=%u\\n", n, f); return 0; }
        int cuEventRecord(void *e, void *s) { LOG("cuEventRecord e%d s%ld\\n", *(int *)e, sid(s)); return 0; }
        int cuEventQuery(void *e) { return 0; }
        int cuEventSynchronize(void *e) { LOG("cuEventSynchronize e%d\\n", *(int *)e); return 0; }
        int cuEventElapsedTime(float *ms, void *a, void *b) { *ms = 1.5f; return 0; }
        int cuEventDestroy_v2(void *e) { free(e); return 0; }
        int cuModuleLoadData(void **m, const void *image) { LOG("cuModuleLoadData %.10s\\n", (const char *)image); return 218; }
        int cuModuleGetFunction(void **f, void *m, const char *name) { return 500; }
        int cuLaunchKernel(void *f, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e, unsigned g, unsigned s, void *st, void **p, void **x) { return 1; }
        int cuCtxSynchronize(void) { return 0; }
        """)
    }
    static var enabled: Bool {
        CUDADriverLoading.hasCompiler && (CUDAKernelCheck.isAvailable || ProcessInfo.processInfo.environment["DESCENT_REQUIRE_NVRTC"] == "1")
    }

    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func memoryAndCopiesGoThroughTheDriver() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver() else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            let t = Tensor([1.5, -2.5, 4]).to(.cuda(0))
            let back = t.cpu().toDoubles()
            let line = "available=\(CUDA.isAvailable()) name=\(CUDA.getDeviceName()) values=\(back) allocated=\(CUDA.memoryAllocated())"
            FileHandle.standardError.write(Data(line.utf8))
        }
        #expect(stderr(r) == "available=true name=CUDA (Fake GPU, sm_90) values=[1.5, -2.5, 4.0] allocated=512", "\(stderr(r))")
    }

    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func aModuleTheDriverRefusesIsNamed() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver() else { exit(0) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            let t = Tensor([1.0, 2.0]).to(.cuda(0))
            _ = t + t
        }
        #expect(stderr(r).contains("the GPU kernels elementwise did not compile for CUDA (Fake GPU, sm_90): cuModuleLoadData (elementwise) failed: CUDA_ERROR_INVALID_PTX (218)"), "\(stderr(r))")
    }

    /// Streams, events and pinned copies as driver calls: a pinned tensor is one `cuMemHostAlloc` (its
    /// size rounded up to a power of two, portable); a non-blocking copy from it on a side stream is
    /// one `cuMemcpyHtoDAsync` on that stream and no synchronization; an event recorded there and
    /// waited for by the default stream; a blocking copy back synchronizes the default stream only.
    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func streamsEventsAndPinnedCopiesGoThroughTheDriver() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver() else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            setenv("DESCENT_FAKE_LOG", "1", 1)
            func mark(_ s: String) { FileHandle.standardError.write(Data("-- \(s)\n".utf8)) }
            _ = CUDA.isAvailable()
            mark("pin")
            let x = Tensor([1.0, 2, 3]).pinMemory()
            mark("stream")
            let s = CUDA.Stream()
            mark("async")
            let g = CUDA.stream(s) { x.to(.cuda(0), nonBlocking: true) }
            mark("event")
            CUDA.currentStream().waitEvent(s.recordEvent())
            mark("blocking")
            let back = g.cpu().toDoubles()
            mark("done \(back) pinned=\(x.isPinned) \(CUDA.currentStream() == CUDA.defaultStream()) \(s == CUDA.defaultStream())")
            let dst = Tensor([0.0, 0, 0]).to(.cuda(0))   // (the fake driver runs no kernels: zeros would need one)
            do {
                let graph = CUDA.Graph()
                mark("capture")
                CUDA.graph(graph) { _ = dst.copy_(g) }
                mark("replay")
                graph.replay()
                mark("reset")
                graph.reset()
            }
            mark("released")
            mark("read")
            let copied = dst.cpu().toDoubles()
            mark("end \(copied)")
            let side = CUDA.Stream()
            let forked = CUDA.Graph()
            mark("fork")
            CUDA.graph(forked) {
                side.waitStream(CUDA.currentStream())
                CUDA.stream(side) { _ = dst.copy_(g) }
                CUDA.currentStream().waitStream(side)
            }
            mark("forked")
        }
        var sections: [String: [String]] = [:], current = ""
        for line in stderr(r).split(separator: "\n").map(String.init) {
            if line.hasPrefix("-- ") { current = String(line.dropFirst(3)); sections[current] = [] } else { sections[current, default: []].append(line) }
        }
        #expect(sections["pin"] == ["cuMemHostAlloc 16 flags=1"], "\(sections)")
        #expect(sections["stream"] == ["cuStreamCreate s1 flags=1"], "\(sections)")
        #expect(sections["async"] == ["cuMemcpyHtoDAsync 12 s1"], "\(sections)")
        #expect(sections["event"] == ["cuEventCreate e1 flags=2", "cuEventRecord e1 s1", "cuStreamWaitEvent s0 e1"], "\(sections)")
        #expect(sections["blocking"] == ["cuMemcpyDtoHAsync 12 s0", "cuStreamSynchronize s0"], "\(sections)")
        #expect(sections.keys.contains("done [1.0, 2.0, 3.0] pinned=true true false"), "\(sections)")
        // a graph: captured on a stream of its own in relaxed mode (memory may be allocated meanwhile),
        // instantiated, replayed on the current stream with one launch, destroyed after the device is idle
        #expect(sections["capture"] == ["cuStreamCreate s2 flags=1", "cuStreamBeginCapture s2 mode=2", "cuMemcpyDtoDAsync 12 s2",
                                         "cuStreamEndCapture s2", "cuGraphInstantiateWithFlags", "cuGraphDestroy"], "\(sections)")
        #expect(sections["replay"] == ["cuGraphLaunch s0"], "\(sections)")
        // the graph's stream goes with the graph
        #expect(sections["reset"]?.first == "cuGraphExecDestroy", "\(sections)")
        #expect(((sections["reset"] ?? []) + (sections["released"] ?? [])).filter { $0.hasPrefix("cuStream") } == ["cuStreamDestroy s2"], "\(sections)")
        // the fake driver runs the copy when it is captured (a real one only at the replay)
        #expect(sections.keys.contains("end [1.0, 2.0, 3.0]"), "\(sections)")
        // fork and join: the side stream waits for an event of the capturing stream, queues its copy,
        // and the capturing stream waits for an event of the side stream before the capture ends
        #expect(sections["fork"] == ["cuStreamCreate s4 flags=1", "cuStreamBeginCapture s4 mode=2", "cuEventCreate e2 flags=2", "cuEventRecord e2 s4",
                                      "cuStreamWaitEvent s3 e2", "cuMemcpyDtoDAsync 12 s3", "cuEventCreate e3 flags=2", "cuEventRecord e3 s3",
                                      "cuStreamWaitEvent s4 e3", "cuStreamEndCapture s4", "cuGraphInstantiateWithFlags", "cuGraphDestroy"], "\(sections)")
    }

    /// The kernel cache on disk: the first process compiles with NVRTC and keeps the machine code
    /// (CUBIN: the fake GPU is sm_90, which NVRTC 12 knows); a later one hands the driver the cached
    /// image (here a marker, to see it is used); a damaged entry is compiled again and replaced. The
    /// folder is named after the test process, which the children share.
    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func compiledKernelsAreKeptOnDisk() async throws {
        let dir = "/tmp/descent-kernel-cache-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func run() async -> String {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                guard let fake = CUDADriverAPI.fakeHostMemoryDriver() else { exit(0) }
                setenv("DESCENT_CUDA_DRIVER", fake, 1)
                setenv("DESCENT_FAKE_LOG", "1", 1)
                setenv("DESCENT_KERNEL_CACHE", "/tmp/descent-kernel-cache-test-\(getppid())", 1)
                let t = Tensor([1.0, 2.0]).to(.cuda(0))
                _ = t + t   // compiles "elementwise"; the fake driver then refuses the module
            }
            return stderr(r)
        }
        let first = await run()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        #expect(entries.count == 1 && entries[0].hasPrefix("elementwise-sm_90-") && entries[0].hasSuffix(".bin"), "\(entries)")
        #expect(first.contains("cuModuleLoadData \u{7f}ELF"), "the driver is handed NVRTC's CUBIN, an ELF image: \(first)")
        guard let name = entries.first else { return }
        let path = dir + "/" + name
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = String(decoding: data.prefix { $0 != 0x0a }, as: UTF8.self)
        #expect(header.hasPrefix("descent-kernel 2 sm_90 "), "\(header)")
        // the same header but for a 10-byte image, and that image
        let marker = header.split(separator: " ").dropLast().joined(separator: " ") + " 10\nCACHED-BIN"
        try marker.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await run().contains("cuModuleLoadData CACHED-BIN"))
        try ("descent-kernel 2 sm_90 another-compiler\nSTALE\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await run().contains("cuModuleLoadData \u{7f}ELF"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).starts(with: Data((header + "\n").utf8) + [0x7f, 0x45, 0x4c, 0x46]), "a damaged entry is replaced")
    }

    /// A fake cuBLAS computing column-major products on the host (the fake driver's device memory is
    /// host memory), which logs each call; a product with k = 7 fails as the real one can.
    static func fakeCUBLAS() -> String? {
        guard let path = CUDADriverLoading.buildFakeDriver(named: "cublas", """
        #include <stdio.h>
        typedef unsigned long long u64;
        static int mode = -1;
        int cublasCreate_v2(void **h) { static int handle; *h = &handle; return 0; }
        int cublasSetMathMode(void *h, int m) { mode = m; return 0; }
        /* sm_90: 32 MiB; each workspace is logged by the order it was first seen (w0, w1, ...) */
        int cublasSetWorkspace_v2(void *h, void *w, size_t n) {
            static void *seen[64]; static int count;
            int i = 0;
            while (i < count && seen[i] != w) ++i;
            if (i == count && count < 64) seen[count++] = w;
            fprintf(stderr, "cublasSetWorkspace w%d\\n", i);
            return n == 32 << 20 ? 0 : 7;
        }
        int cublasSetStream_v2(void *h, void *s) { fprintf(stderr, "cublasSetStream s%ld\\n", s ? (long)s - 0x1000 : 0); return 0; }
        #define GEMM(NAME, T) \\
        int NAME(void *h, int ta, int tb, int m, int n, int k, const T *alpha, u64 pa, int lda, u64 pb, int ldb, const T *beta, u64 pc, int ldc) { \\
            const T *A = (const T *)pa, *B = (const T *)pb; T *C = (T *)pc; \\
            fprintf(stderr, "%s %c %c m=%d n=%d k=%d lda=%d ldb=%d ldc=%d mode=%d\\n", #NAME, ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, lda, ldb, ldc, mode); \\
            if (k == 7) return 13; \\
            for (int i = 0; i < m; ++i) for (int j = 0; j < n; ++j) { \\
                double s = 0; \\
                for (int p = 0; p < k; ++p) s += (double)(ta ? A[p + i * lda] : A[i + p * lda]) * (double)(tb ? B[j + p * ldb] : B[p + j * ldb]); \\
                C[i + j * ldc] = (T)(*alpha * s + (*beta == 0 ? 0 : *beta * C[i + j * ldc])); \\
            } \\
            return 0; \\
        }
        GEMM(cublasSgemm_v2, float)
        GEMM(cublasDgemm_v2, double)
        """) else { return nil }
        // the loader asks for libcublas.so.12 by its path: give the fake that name
        let lib = (path as NSString).deletingLastPathComponent + "/libcublas.so.12"
        try? FileManager.default.removeItem(atPath: lib)
        try? FileManager.default.moveItem(atPath: path, toPath: lib)
        return lib
    }

    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func matrixProductsGoThroughCUBLAS() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver(), let blas = CUDADriverAPI.fakeCUBLAS() else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            setenv("DESCENT_CUBLAS", blas, 1)
            let gpu = Device.cuda(0)
            manualSeed(3)
            var worst = 0.0
            func check(_ x: Tensor, _ y: Tensor, _ gx: Tensor, _ gy: Tensor) {
                worst = Swift.max(worst, (gx.matmul(gy).cpu() - x.matmul(y)).abs().max().item())
            }
            for dtype in [DType.float32, .float64] {
                let a = Tensor.randn([3, 4]).to(dtype: dtype), b = Tensor.randn([4, 5]).to(dtype: dtype)
                let ga = a.to(gpu), gb = b.to(gpu)
                let gat = a.t().contiguous().to(gpu).t(), gbt = b.t().contiguous().to(gpu).t()   // transposed views on the device
                check(a, b, ga, gb); check(a, b, gat, gb); check(a, b, ga, gbt); check(a, b, gat, gbt)
                check(a.narrow(dim: 0, start: 1, length: 1), b, ga.narrow(dim: 0, start: 1, length: 1), gb)   // a row at an offset
                let x = Tensor.randn([2, 3, 4]).to(dtype: dtype), y = Tensor.randn([2, 4, 2]).to(dtype: dtype)
                check(x, y, x.to(gpu), y.to(gpu))   // bmm, one call per batch
            }
            CUDA.matmulAllowTF32 = true
            _ = Tensor.randn([2, 2]).to(gpu).matmul(Tensor.randn([2, 2]).to(gpu))
            _ = Tensor.randn([2, 2]).to(dtype: .float64).to(gpu).matmul(Tensor.randn([2, 2]).to(dtype: .float64).to(gpu))
            // a product on a side stream runs there: the handle is moved to it, and back for the default stream
            let side = CUDA.Stream()
            _ = CUDA.stream(side) { Tensor.randn([2, 3]).to(gpu).matmul(Tensor.randn([3, 2]).to(gpu)) }
            _ = Tensor.randn([2, 3]).to(gpu).matmul(Tensor.randn([3, 2]).to(gpu))
            FileHandle.standardError.write(Data("worst=\(worst) blas=\(CUDA.blasDescription.hasPrefix("cuBLAS"))\n".utf8))
        }
        let out = stderr(r)
        #expect(out.contains("worst=") && out.contains("blas=true"), "\(out)")
        let worst = Double(out.components(separatedBy: "worst=").last?.components(separatedBy: " ").first ?? "") ?? .infinity
        #expect(worst < 1e-5, "\(out)")
        // c = a·b row-major is cᵀ = bᵀ·aᵀ column-major: (m, n) swapped, a transposed view passes T with its column stride
        #expect(out.contains("cublasSgemm_v2 N N m=5 n=3 k=4 lda=5 ldb=4 ldc=5 mode=0"), "\(out)")
        #expect(out.contains("cublasSgemm_v2 N T m=5 n=3 k=4 lda=5 ldb=3 ldc=5 mode=0"), "\(out)")
        #expect(out.contains("cublasSgemm_v2 T N m=5 n=3 k=4 lda=4 ldb=4 ldc=5 mode=0"), "\(out)")
        #expect(out.contains("cublasDgemm_v2 T T m=5 n=3 k=4 lda=4 ldb=3 ldc=5 mode=0"), "\(out)")
        #expect(out.contains("cublasSgemm_v2 N N m=5 n=1 k=4 lda=5 ldb=4 ldc=5 mode=0"), "\(out)")
        // TF32 for float32 only when allowed (PyTorch's CUBLAS_TF32_TENSOR_OP_MATH = 3), never for float64
        #expect(out.contains("cublasSgemm_v2 N N m=2 n=2 k=2 lda=2 ldb=2 ldc=2 mode=3"), "\(out)")
        #expect(out.contains("cublasDgemm_v2 N N m=2 n=2 k=2 lda=2 ldb=2 ldc=2 mode=0"), "\(out)")
        // each stream has its own workspace (products on two streams may run at once), set with the stream
        #expect(out.contains("cublasSetStream s0\ncublasSetWorkspace w0\ncublasSgemm_v2 N N m=5 n=3 k=4"), "\(out)")
        #expect(out.contains("cublasSetStream s1\ncublasSetWorkspace w1\ncublasSgemm_v2 N N m=2 n=2 k=3 lda=2 ldb=3 ldc=2 mode=3\ncublasSetStream s0\ncublasSetWorkspace w0\ncublasSgemm_v2 N N m=2 n=2 k=3"), "\(out)")
    }

    /// A product captured in a graph: cuBLAS's handle is moved to the graph's stream, with a workspace
    /// of its own, before the capture begins (making them inside it would allocate where CUDA forbids).
    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func aCapturedProductHasItsWorkspaceBeforeTheCapture() async {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver(), let blas = CUDADriverAPI.fakeCUBLAS() else { exit(4) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            setenv("DESCENT_CUBLAS", blas, 1)
            setenv("DESCENT_FAKE_LOG", "1", 1)
            let a = Tensor([[1.0, 2, 3], [4, 5, 6]]).to(dtype: .float32).to(.cuda(0)), b = Tensor.ones([3, 2]).to(.cuda(0))
            let graph = CUDA.Graph()
            FileHandle.standardError.write(Data("-- capture\n".utf8))
            CUDA.graph(graph) { _ = a.matmul(b) }
            FileHandle.standardError.write(Data("-- end\n".utf8))
        }
        let out = stderr(r)
        let capture = out.components(separatedBy: "-- capture\n").last?.components(separatedBy: "-- end").first ?? ""
        let lines = capture.split(separator: "\n").map(String.init)
        #expect(lines.prefix(4) == ["cuStreamCreate s1 flags=1", "cublasSetStream s1", "cublasSetWorkspace w0", "cuStreamBeginCapture s1 mode=2"], "\(lines)")
        #expect(lines.contains("cublasSgemm_v2 N N m=2 n=2 k=3 lda=2 ldb=3 ldc=2 mode=0") && lines.last == "cuGraphDestroy", "\(lines)")
    }

    @Test(.enabled(if: enabled, "needs a C compiler and NVRTC (DESCENT_NVRTC)")) func aFailingCUBLASCallIsNamed() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            guard let fake = CUDADriverAPI.fakeHostMemoryDriver(), let blas = CUDADriverAPI.fakeCUBLAS() else { exit(0) }
            setenv("DESCENT_CUDA_DRIVER", fake, 1)
            setenv("DESCENT_CUBLAS", blas, 1)
            _ = Tensor.randn([2, 7]).to(.cuda(0)).matmul(Tensor.randn([7, 3]).to(.cuda(0)))
        }
        #expect(stderr(r).contains("cuBLAS error: cublasSgemm_v2 failed: CUBLAS_STATUS_EXECUTION_FAILED (13) for m=3 n=2 k=7"), "\(stderr(r))")
    }
}
