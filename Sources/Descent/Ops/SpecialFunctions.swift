import Foundation

// The gamma family: lgamma, digamma, polygamma and mvlgamma, with PyTorch's CPU algorithms
// (glibc's lgamma; Cephes' psi, trigamma and Hurwitz zeta as in ATen's Math.h) and gradients.

/// Runs one of the special-function kernels on a contiguous float copy of x.
private func specialKernel(_ x: Tensor, _ f: SpecialFunction, order k: Int) -> Tensor {
    let src = (x.dtype.isFloatingPoint ? x : x.to(dtype: getDefaultDtype())).contiguous()
    let out = Tensor(uninitializedShape: src.shape, dtype: src.dtype, device: src.device)
    Kernels.special(f, order: k, src, out: out)
    return out
}

/// lgamma with `LgammaBackward0`: grad · digamma(x).
final class LgammaFunction: Function {
    override class var gradFnName: String { "LgammaBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0])
        return specialKernel(inputs[0], .lgamma, order: 0)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] { [g * ctx.savedTensors[0].digamma()] }
}
/// digamma with `DigammaBackward0`: grad · polygamma(1, x).
final class DigammaFunction: Function {
    override class var gradFnName: String { "DigammaBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0])
        return specialKernel(inputs[0], .digamma, order: 0)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] { [g * ctx.savedTensors[0].polygamma(1)] }
}
/// polygamma of order n ≥ 1 with `PolygammaBackward0`: grad · polygamma(n + 1, x).
final class PolygammaFunction: Function {
    override class var gradFnName: String { "PolygammaBackward0" }
    override class func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
        ctx.saveForBackward(inputs[0])
        return specialKernel(inputs[0], .polygamma, order: ctx.values["n"] as! Int)
    }
    override class func backward(_ ctx: FunctionContext, _ g: Tensor) -> [Tensor?] {
        [g * ctx.savedTensors[0].polygamma(ctx.values["n"] as! Int + 1)]
    }
    static func apply(_ x: Tensor, order n: Int) -> Tensor {
        let ctx = FunctionContext()
        ctx.values["n"] = n
        return applyWith(ctx, [x])
    }
}

extension Tensor {
    /// ln|Γ(x)| (`torch.lgamma`; integers compute in float32).
    public func lgamma() -> Tensor { LgammaFunction.apply(self) }
    /// ψ(x) = d/dx ln Γ(x) (`torch.digamma`: -inf at +0, +inf at -0, NaN at negative integers).
    public func digamma() -> Tensor { DigammaFunction.apply(self) }
    /// The n-th derivative of digamma (`torch.polygamma(n, x)`; n = 0 is digamma).
    public func polygamma(_ n: Int) -> Tensor {
        if n < 0 { fail("polygamma(n, x) does not support negative n.") }
        return n == 0 ? digamma() : PolygammaFunction.apply(self, order: n)
    }
    /// The multivariate log-gamma of dimension p (`torch.mvlgamma`): Σᵢ lgamma(x - i/2) + p(p-1)/4 · ln π,
    /// every element must exceed (p - 1)/2.
    public func mvlgamma(p: Int) -> Tensor {
        if p < 1 { fail("p has to be greater than or equal to 1") }
        let x = dtype.isFloatingPoint ? self : to(dtype: getDefaultDtype())
        if noGrad({ (x .<= Double(p - 1) / 2).any().item() != 0 }) { fail("All elements must be greater than (p-1)/2") }
        let offsets = Tensor.arange(-Double(p) * 0.5 + 0.5, 0.5, 0.5, dtype: x.dtype, device: x.device)
        return (x.unsqueeze(-1) + offsets).lgamma().sum(dim: -1) + Double(p * (p - 1)) * Foundation.log(Double.pi) / 4
    }
}

/// `torch.lgamma`.
public func lgamma(_ x: Tensor) -> Tensor { x.lgamma() }
/// `torch.digamma`.
public func digamma(_ x: Tensor) -> Tensor { x.digamma() }
/// `torch.polygamma(n, x)`.
public func polygamma(_ n: Int, _ x: Tensor) -> Tensor { x.polygamma(n) }
/// `torch.mvlgamma(x, p)`.
public func mvlgamma(_ x: Tensor, p: Int) -> Tensor { x.mvlgamma(p: p) }

extension special {
    /// `torch.special.gammaln` (lgamma).
    public static func gammaln(_ x: Tensor) -> Tensor { x.lgamma() }
    /// `torch.special.digamma`.
    public static func digamma(_ x: Tensor) -> Tensor { x.digamma() }
    /// `torch.special.psi` (digamma).
    public static func psi(_ x: Tensor) -> Tensor { x.digamma() }
    /// `torch.special.polygamma(n, x)`.
    public static func polygamma(_ n: Int, _ x: Tensor) -> Tensor { x.polygamma(n) }
    /// `torch.special.multigammaln(x, p)`.
    public static func multigammaln(_ x: Tensor, _ p: Int) -> Tensor { x.mvlgamma(p: p) }
}
