import Foundation

/// The gamma-family special functions (`Kernels.special`): 0 lgamma, 1 digamma, 2 polygamma of order n.
enum SpecialFunction: Int32 { case lgamma = 0, digamma = 1, polygamma = 2 }

extension CPUBackend {
    /// out = f(x) over contiguous float32/float64 tensors, with PyTorch's CPU algorithms.
    static func special(_ f: SpecialFunction, order n: Int, _ x: Tensor, out: Tensor) {
        if x.dtype == .float64 {
            let s = x.pointer(Double.self), d = out.pointer(Double.self)
            for i in 0..<out.count { d[i] = specialScalar(f, n, s[i]) }
        } else {
            let s = x.pointer(Float.self), d = out.pointer(Float.self)
            for i in 0..<out.count { d[i] = specialScalar(f, n, s[i]) }
        }
    }
}

func specialScalar(_ f: SpecialFunction, _ n: Int, _ x: Double) -> Double {
    switch f {
    case .lgamma: return Foundation.lgamma(x)
    case .digamma: return digammaScalar(x)
    case .polygamma: return n == 0 ? digammaScalar(x) : n == 1 ? trigammaScalar(x) : polygammaScalar(n, x)
    }
}
func specialScalar(_ f: SpecialFunction, _ n: Int, _ x: Float) -> Float {
    switch f {
    case .lgamma: return Foundation.lgammaf(x)
    case .digamma: return digammaScalar(x)
    case .polygamma: return n == 0 ? digammaScalar(x) : n == 1 ? trigammaScalar(x) : Float(polygammaScalar(n, Double(x), float: true))
    }
}

/// The asymptotic series of PyTorch's `calc_digamma` (Cephes psi).
private let digammaA: [Double] = [8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                                  -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                                  8.33333333333333333333E-2]

/// PyTorch's `calc_digamma(double)`: reflection below 0, recurrence up to 10, then the asymptotic series.
func digammaScalar(_ xIn: Double) -> Double {
    var x = xIn
    if x == 0 { return x.sign == .minus ? .infinity : -.infinity }
    if x < 0 {
        if x == x.rounded(.towardZero) { return .nan }
        let r = x - x.rounded(.towardZero)
        return digammaScalar(1 - x) - Double.pi / tan(Double.pi * r)
    }
    var result = 0.0
    while x < 10 { result -= 1 / x; x += 1 }
    if x == 10 { return result + 2.25175258906672110764 }
    var y = 0.0
    if x < 1.0e17 {
        let z = 1 / (x * x)
        y = z * digammaA.reduce(0.0) { $0 * z + $1 }
    }
    return result + log(x) - 0.5 / x - y
}

/// PyTorch's `calc_digamma(float)`: the same steps in float (the reflection's tangent in double).
func digammaScalar(_ xIn: Float) -> Float {
    var x = xIn
    if x == 0 { return x.sign == .minus ? .infinity : -.infinity }
    if x < 0 {
        if x == x.rounded(.towardZero) { return .nan }
        let r = Double(x) - Double(x).rounded(.towardZero)
        let piOverTan = Float(Double.pi / tan(Double.pi * r))
        return digammaScalar(1 - x) - piOverTan
    }
    var result: Float = 0
    while x < 10 { result -= 1 / x; x += 1 }
    if x == 10 { return result + 2.25175258906672110764 }
    var y: Float = 0
    if x < 1.0e17 {
        let z = 1 / (x * x)
        y = z * digammaA.reduce(Float(0)) { $0 * z + Float($1) }
    }
    return result + logf(x) - 0.5 / x - y
}

/// PyTorch's `calc_trigamma(double)`: reflection below ½, six recurrence steps, then the series.
func trigammaScalar(_ xIn: Double) -> Double {
    var x = xIn, sign = 1.0, result = 0.0
    if x < 0.5 {
        sign = -1
        let s = sin(Double.pi * x)
        result -= (Double.pi * Double.pi) / (s * s)
        x = 1 - x
    }
    for _ in 0..<6 { result += 1 / (x * x); x += 1 }
    let ixx = 1 / (x * x)
    result += (1 + 1 / (2 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return sign * result
}

/// PyTorch's `calc_trigamma(float)`: float steps; the series' tail is double there (its 1./6 literals).
func trigammaScalar(_ xIn: Float) -> Float {
    var x = xIn, sign: Float = 1, result: Float = 0
    if x < 0.5 {
        sign = -1
        let pi = Float(Double.pi)   // c10::pi<float>, rounded to nearest (Swift's Float.pi rounds down)
        let s = sinf(pi * x)
        result -= (pi * pi) / (s * s)
        x = 1 - x
    }
    for _ in 0..<6 { result += 1 / (x * x); x += 1 }
    let ixx = 1 / (x * x)
    let tail = Double(ixx) * (1.0 / 6 - Double(ixx) * (1.0 / 30 - Double(ixx) * (1.0 / 42)))
    result = Float(Double(result) + (Double(1 + 1 / (2 * x)) + tail) / Double(x))
    return sign * result
}

/// The Hurwitz zeta function ζ(s, q) (Cephes `zeta`, as PyTorch's, accumulated in double).
func hurwitzZeta(_ s: Double, _ q: Double) -> Double {
    let machep = 1.11022302462515654042E-16
    let a: [Double] = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                       -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                       1.8152105401943546773e17, -7.1661652561756670113e18]
    if s == 1 { return .infinity }
    if s < 1 { return .nan }
    if q <= 0 {
        if q == q.rounded(.down) { return .infinity }
        if s != s.rounded(.down) { return .nan }
    }
    var sum = pow(q, -s), aa = q, b = 0.0, i = 0
    while i < 9 || aa <= 9 {
        i += 1; aa += 1
        b = pow(aa, -s)
        sum += b
        if -machep * sum < b && b < machep * sum { return sum }
    }
    let w = aa
    sum += b * w / (s - 1)
    sum -= 0.5 * b
    var fac = 1.0, k = 0.0
    for j in 0..<12 {
        fac *= s + k
        b /= w
        var t = fac * b / a[j]
        sum += t
        t = abs(t / sum)
        if t < machep { return sum }
        k += 1
        fac *= s + k
        b /= w
        k += 1
    }
    return sum
}

/// PyTorch's `calc_polygamma` for n ≥ 2: (-1)^(n+1) n! ζ(n + 1, x), with n! as exp(lgamma(n + 1))
/// in the tensor's precision (`float`: lgammaf and expf, as the float kernel).
func polygammaScalar(_ n: Int, _ x: Double, float: Bool = false) -> Double {
    let sign: Double = n % 2 == 1 ? 1 : -1
    if float {
        let fact = expf(lgammaf(Float(n) + 1))
        return Double(Float(sign) * fact * Float(hurwitzZeta(Double(n + 1), x)))
    }
    return sign * exp(lgamma(Double(n) + 1)) * hurwitzZeta(Double(n + 1), x)
}
