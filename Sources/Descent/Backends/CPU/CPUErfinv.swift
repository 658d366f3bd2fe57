import Foundation

extension CPUBackend {
    /// out = erfinv(x) over contiguous float32/float64 tensors.
    static func erfinv(_ x: Tensor, out: Tensor) {
        if x.dtype == .float64 {
            let s = x.pointer(Double.self), d = out.pointer(Double.self)
            for i in 0..<out.count { d[i] = erfinvScalar(s[i]) }
        } else {
            let s = x.pointer(Float.self), d = out.pointer(Float.self)
            for i in 0..<out.count { d[i] = erfinvScalar(s[i]) }
        }
    }
}

/// PyTorch's `calc_erfinv` in `T`'s precision.
func erfinvScalar<T: BinaryFloatingPoint>(_ y: T) -> T {
    let a: [T] = [0.886226899, -1.645349621, 0.914624893, -0.140543331]
    let b: [T] = [-2.118377725, 1.442710462, -0.329097515, 0.012229801]
    let c: [T] = [-1.970840454, -1.624906493, 3.429567803, 1.641345311]
    let d: [T] = [3.543889200, 1.637067800]
    let ya = Swift.abs(y)
    if ya > 1 || y.isNaN { return .nan }
    if ya == 1 { return y > 0 ? .infinity : -.infinity }
    var x: T
    if ya <= T(0.7) {
        let z = y * y
        let num = ((a[3] * z + a[2]) * z + a[1]) * z + a[0]
        let dem = (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1
        x = y * num / dem
    } else {
        let z = sqrtT(-logT((1 - ya) / 2))
        let num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0]
        let dem = (d[1] * z + d[0]) * z + 1
        x = (y < 0 ? -num : num) / dem
    }
    let k = 2 / T(Double.pi.squareRoot())
    x = x - (erfT(x) - y) / (k * expT(-x * x))
    x = x - (erfT(x) - y) / (k * expT(-x * x))
    return x
}
private func erfT<T: BinaryFloatingPoint>(_ x: T) -> T { T.self == Float.self ? T(erff(Float(x))) : T(Foundation.erf(Double(x))) }
private func expT<T: BinaryFloatingPoint>(_ x: T) -> T { T.self == Float.self ? T(expf(Float(x))) : T(Foundation.exp(Double(x))) }
private func logT<T: BinaryFloatingPoint>(_ x: T) -> T { T.self == Float.self ? T(logf(Float(x))) : T(Foundation.log(Double(x))) }
private func sqrtT<T: BinaryFloatingPoint>(_ x: T) -> T { x.squareRoot() }
