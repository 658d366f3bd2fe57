import CDescentKernels

// The CPU backend's convolution, pooling and batch-norm kernels (conv.c).

extension Window2D {
    /// The C kernels' form of the geometry.
    var cGeometry: dk_window2d {
        var g = dk_window2d()
        g.N = Int64(n); g.C = Int64(self.c); g.H = Int64(h); g.W = Int64(w)
        g.OC = Int64(oc); g.OH = Int64(oh); g.OW = Int64(ow)
        g.KH = Int64(kh); g.KW = Int64(kw); g.SH = Int64(sh); g.SW = Int64(sw)
        g.PH = Int64(ph); g.PW = Int64(pw); g.DH = Int64(dh); g.DW = Int64(dw)
        g.groups = Int64(groups)
        return g
    }
}

extension CPUBackend {
    static func conv2dForward(_ g: Window2D, _ x: Tensor, _ w: Tensor, _ b: Tensor?, out: Tensor, asPyTorch: Bool) {
        var geo = g.cGeometry
        dk_conv2d_forward(out.dtype.code, &geo, x.rawPointer, w.rawPointer, rawOrNil(b), out.rawPointer, asPyTorch ? 1 : 0)
    }
    static func conv2dBackward(_ g: Window2D, x: Tensor?, w: Tensor, gy: Tensor, gx: Tensor?, gw: Tensor?, gb: Tensor?, transposed: Bool) {
        var geo = g.cGeometry
        dk_conv2d_backward(gy.dtype.code, &geo, transposed ? 1 : 0, rawOrNil(x), w.rawPointer, gy.rawPointer, rawOrNil(gx), rawOrNil(gw), rawOrNil(gb))
    }
    static func maxPool2dForward(_ g: Window2D, _ x: Tensor, out: Tensor, indices: Tensor) {
        var geo = g.cGeometry
        dk_max_pool2d_forward(x.dtype.code, &geo, x.rawPointer, out.rawPointer, indices.pointer(Int64.self))
    }
    static func maxPool2dBackward(_ g: Window2D, _ gy: Tensor, indices: Tensor, gx: Tensor) {
        var geo = g.cGeometry
        dk_max_pool2d_backward(gy.dtype.code, &geo, gy.rawPointer, indices.pointer(Int64.self), gx.rawPointer)
    }
    static func avgPool2dForward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ x: Tensor, out: Tensor) {
        var geo = g.cGeometry
        dk_avg_pool2d_forward(x.dtype.code, &geo, countIncludePad ? 1 : 0, Int64(divisor), x.rawPointer, out.rawPointer)
    }
    static func avgPool2dBackward(_ g: Window2D, countIncludePad: Bool, divisor: Int, _ gy: Tensor, gx: Tensor) {
        var geo = g.cGeometry
        dk_avg_pool2d_backward(gx.dtype.code, &geo, countIncludePad ? 1 : 0, Int64(divisor), gy.rawPointer, gx.rawPointer)
    }

    /// Batch-norm forward: the batch's (or running) statistics, the running-statistics update, and
    /// out = x * alpha + beta per channel; returns the saved mean and 1/std (C entries, x's dtype).
    static func batchNormForward(_ x: Tensor, n: Int, c: Int, l: Int, runningMean: Tensor?, runningVar: Tensor?,
                                 weight: Tensor?, bias: Tensor?, training: Bool, momentum: Double, eps: Double,
                                 out: Tensor) -> (Tensor, Tensor) {
        let dt = x.dtype
        if dt == .float32 {
            return batchNormForwardF32(x, n: n, c: c, l: l, runningMean: runningMean, runningVar: runningVar, weight: weight,
                                       bias: bias, training: training, momentum: momentum, eps: eps, out: out)
        }
        // per-channel statistics, in double
        var mean = [Double](repeating: 0, count: c), invstd = [Double](repeating: 0, count: c)
        if training {
            var variance = [Double](repeating: 0, count: c)
            mean.withUnsafeMutableBufferPointer { m in
                variance.withUnsafeMutableBufferPointer { v in
                    dk_batch_norm_stats(dt.code, Int64(n), Int64(c), Int64(l), x.rawPointer, m.baseAddress, v.baseAddress)
                }
            }
            for i in 0..<c { invstd[i] = 1 / (variance[i] + eps).squareRoot() }
            let count = Double(n * l)
            if let rm = runningMean {
                let old = rm.toDoubles()
                let new = (0..<c).map { momentum * mean[$0] + (1 - momentum) * old[$0] }
                noGrad { _ = rm.copy_(Tensor(values: new, shape: rm.shape, dtype: rm.dtype)) }
            }
            if let rv = runningVar {
                let old = rv.toDoubles()
                let new = (0..<c).map { momentum * variance[$0] * count / (count - 1) + (1 - momentum) * old[$0] }
                noGrad { _ = rv.copy_(Tensor(values: new, shape: rv.shape, dtype: rv.dtype)) }
            }
        } else {
            mean = runningMean!.toDoubles()
            let v = runningVar!.toDoubles()
            for i in 0..<c { invstd[i] = 1 / (v[i] + eps).squareRoot() }
        }
        // y = x * alpha + beta with alpha = invstd * weight, beta = bias - mean * alpha, in the input's precision
        let w = weight?.toDoubles(), b = bias?.toDoubles()
        let meanT = Tensor(values: mean, shape: [c], dtype: dt), invstdT = Tensor(values: invstd, shape: [c], dtype: dt)
        let alpha: Tensor, beta: Tensor
        if dt == .float32 {
            // PyTorch forms alpha and beta in float from the float-rounded mean and invstd
            let m = meanT.toArray(Float.self), s = invstdT.toArray(Float.self)
            var a = [Float](repeating: 0, count: c), bb = [Float](repeating: 0, count: c)
            for i in 0..<c {
                let wi: Float = w.map { Float($0[i]) } ?? 1
                let bi: Float = b.map { Float($0[i]) } ?? 0
                a[i] = s[i] * wi
                bb[i] = bi - m[i] * a[i]
            }
            alpha = Tensor(flat: a, shape: [c]); beta = Tensor(flat: bb, shape: [c])
        } else {
            var a = [Double](repeating: 0, count: c), bb = [Double](repeating: 0, count: c)
            for i in 0..<c {
                let wi: Double = w?[i] ?? 1
                let bi: Double = b?[i] ?? 0
                a[i] = invstd[i] * wi
                bb[i] = bi - mean[i] * a[i]
            }
            alpha = Tensor(flat: a, shape: [c]); beta = Tensor(flat: bb, shape: [c])
        }
        dk_batch_norm_apply(dt.code, Int64(n), Int64(c), Int64(l), x.rawPointer, alpha.rawPointer, beta.rawPointer, out.rawPointer)
        return (meanT, invstdT)
    }
    /// `batchNormForward` for float32 planes longer than one, rounded as PyTorch's CPU kernels round it:
    /// the statistics and output in batchnorm_f32.c; invstd and the running statistics as
    /// `batch_norm_cpu_update_stats_template` forms them (momentum in float, `var_sum / n` a float
    /// division, invstd in double; eval mode's invstd in float).
    private static func batchNormForwardF32(_ x: Tensor, n: Int, c: Int, l: Int, runningMean: Tensor?, runningVar: Tensor?,
                                            weight: Tensor?, bias: Tensor?, training: Bool, momentum: Double, eps: Double,
                                            out: Tensor) -> (Tensor, Tensor) {
        var mean = [Float](repeating: 0, count: c), invstd = [Float](repeating: 0, count: c)
        let count = n * l
        if training {
            var varSum = [Float](repeating: 0, count: c)
            if l == 1 {   // (N, C): PyTorch's channels-last kernels, which depend on the thread count
                dk_batch_norm_stats_f32_rows(Int64(n), Int64(c), x.pointer(Float.self), &mean, &varSum)
            } else {
                dk_batch_norm_stats_f32_pytorch(Int64(n), Int64(c), Int64(l), x.pointer(Float.self), &mean, &varSum)
            }
            for i in 0..<c { invstd[i] = Float(1 / (Double(varSum[i] / Float(count)) + eps).squareRoot()) }
            let m = Float(momentum)
            if let rm = runningMean {
                let old = rm.toDoubles().map { Float($0) }
                let new = (0..<c).map { Double(m * mean[$0] + (1 - m) * old[$0]) }
                noGrad { _ = rm.copy_(Tensor(values: new, shape: rm.shape, dtype: rm.dtype)) }
            }
            if let rv = runningVar {
                let old = rv.toDoubles().map { Float($0) }
                let new = (0..<c).map { Double(Float(Double(m) * Double(varSum[$0] / Float(count - 1)) + Double((1 - m) * old[$0]))) }
                noGrad { _ = rv.copy_(Tensor(values: new, shape: rv.shape, dtype: rv.dtype)) }
            }
        } else {
            mean = runningMean!.toDoubles().map { Float($0) }
            let v = runningVar!.toDoubles().map { Float($0) }
            for i in 0..<c { invstd[i] = 1 / (v[i] + Float(eps)).squareRoot() }
        }
        let w = weight?.toDoubles(), b = bias?.toDoubles()
        var alpha = [Float](repeating: 0, count: c), beta = [Float](repeating: 0, count: c)
        for i in 0..<c {
            alpha[i] = invstd[i] * (w.map { Float($0[i]) } ?? 1)
            beta[i] = (b.map { Float($0[i]) } ?? 0).addingProduct(-mean[i], alpha[i])
        }
        dk_batch_norm_apply_f32_fma(Int64(n), Int64(c), Int64(l), x.pointer(Float.self), alpha, beta, out.pointer(Float.self))
        return (Tensor(flat: mean, shape: [c]), Tensor(flat: invstd, shape: [c]))
    }
    /// Float32 layer norm rows as PyTorch's kernel rounds them (layernorm_f32.c).
    static func layerNormRows(_ x: Tensor, rows: Int, size: Int, weight: Tensor?, bias: Tensor?, eps: Double, y: Tensor, mean: Tensor, rstd: Tensor) {
        dk_layer_norm_f32_pytorch(Int64(rows), Int64(size), x.pointer(Float.self), weight?.pointer(Float.self),
                                  bias?.pointer(Float.self), Float(eps), y.pointer(Float.self), mean.pointer(Float.self),
                                  rstd.pointer(Float.self))
    }
    static func layerNormRowsBackward(_ g: Tensor, x: Tensor, rows: Int, size: Int, mean: Tensor, rstd: Tensor, weight: Tensor?,
                                      dx: Tensor?, dw: Tensor?, db: Tensor?) {
        dk_layer_norm_backward_f32_pytorch(Int64(rows), Int64(size), x.pointer(Float.self), g.pointer(Float.self),
                                           mean.pointer(Float.self), rstd.pointer(Float.self), weight?.pointer(Float.self),
                                           dx?.pointer(Float.self), dw?.pointer(Float.self), db?.pointer(Float.self))
    }
    /// Float32 group norm as PyTorch's kernel rounds it (layernorm_f32.c).
    static func groupNorm(_ x: Tensor, n: Int, c: Int, hxw: Int, groups: Int, weight: Tensor?, bias: Tensor?, eps: Double,
                          y: Tensor, mean: Tensor, rstd: Tensor) {
        dk_group_norm_f32_pytorch(Int64(n), Int64(c), Int64(hxw), Int64(groups), x.pointer(Float.self), weight?.pointer(Float.self),
                                  bias?.pointer(Float.self), eps, y.pointer(Float.self), mean.pointer(Float.self), rstd.pointer(Float.self))
    }
    static func groupNormBackward(_ g: Tensor, x: Tensor, n: Int, c: Int, hxw: Int, groups: Int, mean: Tensor, rstd: Tensor,
                                  weight: Tensor?, dx: Tensor?, dw: Tensor?, db: Tensor?) {
        dk_group_norm_backward_f32_pytorch(Int64(n), Int64(c), Int64(hxw), Int64(groups), x.pointer(Float.self), g.pointer(Float.self),
                                           mean.pointer(Float.self), rstd.pointer(Float.self), weight?.pointer(Float.self),
                                           dx?.pointer(Float.self), dw?.pointer(Float.self), db?.pointer(Float.self))
    }
    static func batchNormBackward(training: Bool, n: Int, c: Int, l: Int, x: Tensor, gy: Tensor, mean: Tensor, invstd: Tensor,
                                  weight: Tensor?, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        if training && l == 1 && gy.dtype == .float32 {
            dk_batch_norm_backward_f32_rows(Int64(n), Int64(c), x.pointer(Float.self), gy.pointer(Float.self),
                                            mean.pointer(Float.self), invstd.pointer(Float.self), weight?.pointer(Float.self),
                                            gx?.pointer(Float.self), gw?.pointer(Float.self), gb?.pointer(Float.self))
            return
        }
        if training && l > 1 && gy.dtype == .float32 {
            dk_batch_norm_backward_f32_pytorch(Int64(n), Int64(c), Int64(l), x.pointer(Float.self), gy.pointer(Float.self),
                                               mean.pointer(Float.self), invstd.pointer(Float.self), weight?.pointer(Float.self),
                                               gx?.pointer(Float.self), gw?.pointer(Float.self), gb?.pointer(Float.self))
            return
        }
        dk_batch_norm_backward(gy.dtype.code, training ? 1 : 0, Int64(n), Int64(c), Int64(l), x.rawPointer, gy.rawPointer,
                               mean.rawPointer, invstd.rawPointer, rawOrNil(weight), rawOrNil(gx), rawOrNil(gw), rawOrNil(gb))
    }
}
