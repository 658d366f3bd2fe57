import CDescentKernels

// The CPU backend's fused optimizer updates (optim.c) and the host vector math of LBFGS (lbfgs.c).

extension CPUBackend {
    static func optimizerStep(_ u: OptimizerUpdate, param p: Tensor, grad g: Tensor) {
        let dt = p.dtype.code, n = Int64(p.count), pp = p.rawPointer, gp = g.rawPointer
        func b(_ v: Bool) -> Int32 { v ? 1 : 0 }
        switch u {
        case let .sgd(buf, lr, momentum, dampening, weightDecay, nesterov, firstStep, maximize):
            dk_sgd(dt, n, pp, gp, rawOrNil(buf), lr, momentum, dampening, weightDecay, b(nesterov), b(firstStep), b(maximize))
        case let .adam(m, v, vmax, lr, beta1, beta2, eps, weightDecay, step, decoupled, maximize):
            dk_adam(dt, n, pp, gp, m.rawPointer, v.rawPointer, rawOrNil(vmax), lr, beta1, beta2, eps, weightDecay, Int64(step),
                    b(vmax != nil), b(decoupled), b(maximize))
        case .adamDeviceStep: fatalError("Adam's device step count is for CUDA parameters")
        case let .rmsprop(sq, gavg, buf, lr, alpha, eps, weightDecay, momentum, maximize):
            dk_rmsprop(dt, n, pp, gp, sq.rawPointer, rawOrNil(gavg), rawOrNil(buf), lr, alpha, eps, weightDecay, momentum, b(maximize))
        case let .adagrad(sum, clr, eps, weightDecay, maximize):
            dk_adagrad(dt, n, pp, gp, sum.rawPointer, clr, eps, weightDecay, b(maximize))
        case let .adadelta(sq, acc, lr, rho, eps, weightDecay, maximize):
            dk_adadelta(dt, n, pp, gp, sq.rawPointer, acc.rawPointer, lr, rho, eps, weightDecay, b(maximize))
        case let .adamax(m, u, lr, beta1, beta2, eps, weightDecay, step, maximize):
            dk_adamax(dt, n, pp, gp, m.rawPointer, u.rawPointer, lr, beta1, beta2, eps, weightDecay, Int64(step), b(maximize))
        case let .asgd(ax, eta, mu, lr, lambd, alpha, t0, weightDecay, step, maximize):
            dk_asgd(dt, n, pp, gp, ax.rawPointer, eta.pointer(Float.self), mu.pointer(Float.self), lr, lambd, alpha, t0, weightDecay,
                    Int64(step), b(maximize))
        case let .rprop(prev, stepSize, etaMinus, etaPlus, stepMin, stepMax, maximize):
            dk_rprop(dt, n, pp, gp, prev.rawPointer, stepSize.rawPointer, etaMinus, etaPlus, stepMin, stepMax, b(maximize))
        case let .nadam(m, v, muProduct, lr, beta1, beta2, eps, weightDecay, momentumDecay, step, decoupled, maximize):
            dk_nadam(dt, n, pp, gp, m.rawPointer, v.rawPointer, muProduct.pointer(Float.self), lr, beta1, beta2, eps, weightDecay,
                     momentumDecay, Int64(step), b(decoupled), b(maximize))
        case let .radam(m, v, lr, beta1, beta2, eps, weightDecay, step, decoupled, maximize):
            dk_radam(dt, n, pp, gp, m.rawPointer, v.rawPointer, lr, beta1, beta2, eps, weightDecay, Int64(step), b(decoupled), b(maximize))
        case let .sparseAdam(m, v, lr, beta1, beta2, eps, step, maximize):
            dk_sparse_adam(dt, n, pp, gp, m.rawPointer, v.rawPointer, lr, beta1, beta2, eps, Int64(step), b(maximize))
        }
    }
    /// p += alpha * flat[offset ..< offset + p.count] (float32, contiguous p).
    static func addScaledFromHost(_ alpha: Float, _ flat: [Float], offset: Int, into p: Tensor) {
        precondition(p.dtype == .float32 && offset + p.count <= flat.count)
        flat.withUnsafeBufferPointer { buf in dk_lbfgs_axpy_f32(Int64(p.count), alpha, buf.baseAddress! + offset, p.pointer(Float.self)) }
    }
    /// p = flat[offset ..< offset + p.count] (float32, contiguous p).
    static func copyFromHost(_ flat: [Float], offset: Int, into p: Tensor) {
        precondition(p.dtype == .float32 && offset + p.count <= flat.count)
        flat.withUnsafeBufferPointer { buf in p.pointer(Float.self).update(from: buf.baseAddress! + offset, count: p.count) }
    }
}

/// Float vectors in host memory (LBFGS's flat parameter space), with the C kernels' summation order.
enum HostVectors {
    static func dot(_ x: [Float], _ y: [Float]) -> Float { dk_lbfgs_dot_f32(Int64(x.count), x, y) }
    static func maxAbs(_ x: [Float], scale: Float = 1) -> Float { dk_lbfgs_max_abs_f32(Int64(x.count), x, scale) }
    static func sumAbs(_ x: [Float]) -> Float { dk_lbfgs_sum_abs_f32(Int64(x.count), x) }
    static func sub(_ a: [Float], _ b: [Float], into y: inout [Float]) { dk_lbfgs_sub_f32(Int64(a.count), a, b, &y) }
    static func scale(_ x: [Float], _ s: Float, into y: inout [Float]) { dk_lbfgs_scale_f32(Int64(x.count), x, s, &y) }
    /// PyTorch's two-loop recursion over the ring of `count` (of `capacity`) past steps starting at `head`.
    static func lbfgsDirection(count: Int, capacity: Int, head: Int, oldDirs: [Float], oldSteps: [Float], ro: [Float],
                               al: inout [Float], grad: [Float], hDiag: Float, into dir: inout [Float]) {
        dk_lbfgs_direction_f32(Int64(grad.count), Int64(count), Int64(capacity), Int64(head), oldDirs, oldSteps, ro, &al, grad, hDiag, &dir)
    }
}
