import Foundation

/// NVIDIA cuBLAS, loaded with `dlopen` at first use (`libcublas.so.12`, or the path in
/// `DESCENT_CUBLAS`): the CUDA backend's float32 and float64 matrix products, as PyTorch's. Without
/// it the backend's own tiled kernel multiplies (and `CUDA.blasDescription` says so).
final class CUBLAS: @unchecked Sendable {
    typealias Handle = OpaquePointer
    /// `cublasSgemm_v2`/`cublasDgemm_v2`: alpha and beta point to host floats (or doubles), A, B, C are device addresses.
    typealias Gemm = @convention(c) (Handle?, Int32, Int32, Int32, Int32, Int32, UnsafeRawPointer, UInt64, Int32, UInt64, Int32,
                                     UnsafeRawPointer, UInt64, Int32) -> Int32
    let path: String
    let create: @convention(c) (UnsafeMutablePointer<Handle?>) -> Int32
    let setMathMode: @convention(c) (Handle?, Int32) -> Int32
    let setStream: @convention(c) (Handle?, OpaquePointer?) -> Int32
    let setWorkspace: @convention(c) (Handle?, UInt64, Int) -> Int32
    let sgemm: Gemm
    let dgemm: Gemm
    private let statusName: (@convention(c) (Int32) -> UnsafePointer<CChar>?)?

    static var libraryPath: String { ProcessInfo.processInfo.environment["DESCENT_CUBLAS"] ?? "libcublas.so.12" }
    /// cuBLAS, loaded at first use, or why it cannot be.
    static let shared: Result<CUBLAS, CUDAUnavailable> = Result { try CUBLAS(path: libraryPath) }.mapError { $0 as! CUDAUnavailable }

    private init(path: String) throws {
        self.path = path
        let lib = try DynamicLibrary.open(path) { CUDAUnavailable.noCUBLAS("dlopen(\"\(path)\") failed (\($0))") }
        func symbol<T>(_ name: String, as t: T.Type) throws -> T {
            do { return try lib.symbol(name, as: t) } catch { throw CUDAUnavailable.noCUBLAS("\(path) has no \(name)") }
        }
        create = try symbol("cublasCreate_v2", as: type(of: create))
        setMathMode = try symbol("cublasSetMathMode", as: type(of: setMathMode))
        setStream = try symbol("cublasSetStream_v2", as: type(of: setStream))
        setWorkspace = try symbol("cublasSetWorkspace_v2", as: type(of: setWorkspace))
        sgemm = try symbol("cublasSgemm_v2", as: Gemm.self)
        dgemm = try symbol("cublasDgemm_v2", as: Gemm.self)
        statusName = try? lib.symbol("cublasGetStatusName", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self)
    }

    /// The status's name (`CUBLAS_STATUS_NOT_INITIALIZED`), from the library when it can say.
    func name(_ status: Int32) -> String {
        if let f = statusName, let s = f(status) { return String(cString: s) }
        let names: [Int32: String] = [1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
                                      8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
                                      14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED"]
        return names[status] ?? "CUBLAS_STATUS_\(status)"
    }
}

/// A column-major matrix product as BLAS states it: C (m×n) = alpha·op(A)·op(B) + beta·C, with device
/// addresses and leading dimensions.
struct BLASGemm {
    var transA: Bool, transB: Bool, m: Int, n: Int, k: Int
    var a: UInt64, lda: Int, b: UInt64, ldb: Int, c: UInt64, ldc: Int
    var alpha: Double, beta: Double
    var double: Bool
}

extension BLASGemm {
    /// The row-major product c = alpha·a·b + beta·c of 2-D views as one column-major call, computing
    /// cᵀ = bᵀ·aᵀ (a row-major matrix is its transpose in column-major order); nil when an operand has
    /// no unit stride or c is not row-major (the caller copies or uses its own kernel).
    init?(_ a: Tensor, _ b: Tensor, into c: Tensor, alpha: Double, beta: Double) {
        let m = c.shape[0], n = c.shape[1], k = a.shape[1]
        guard let la = Self.layout(m, k, a.strides), let lb = Self.layout(k, n, b.strides), let lc = Self.layout(m, n, c.strides), !lc.trans
        else { return nil }
        func address(_ t: Tensor) -> UInt64 { t.storage.deviceAddress + UInt64(t.offset * t.dtype.itemSize) }
        self.init(transA: lb.trans, transB: la.trans, m: n, n: m, k: k, a: address(b), lda: lb.ld, b: address(a), ldb: la.ld,
                  c: address(c), ldc: lc.ld, alpha: alpha, beta: beta, double: c.dtype == .float64)
    }

    /// How BLAS sees the transpose of a rows×cols row-major view with strides s: stored as is with
    /// leading dimension s[0] (unit column stride), or transposed with s[1] (unit row stride).
    static func layout(_ rows: Int, _ cols: Int, _ s: [Int]) -> (trans: Bool, ld: Int)? {
        let s0 = rows == 1 ? Swift.max(cols, 1) : s[0], s1 = cols == 1 ? 1 : s[1]
        if s1 == 1 && s0 >= Swift.max(cols, 1) && s0 <= Int(Int32.max) { return (false, s0) }
        if s0 == 1 && s1 >= Swift.max(rows, 1) && s1 <= Int(Int32.max) { return (true, s1) }
        return nil
    }
}
