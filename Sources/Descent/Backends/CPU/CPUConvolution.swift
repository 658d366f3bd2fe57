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
    static func conv2dForward(_ g: Window2D, _ x: Tensor, _ w: Tensor, _ b: Tensor?, out: Tensor) {
        var geo = g.cGeometry
        dk_conv2d_forward(out.dtype.code, &geo, x.rawPointer, w.rawPointer, rawOrNil(b), out.rawPointer)
    }
    static func conv2dBackward(_ g: Window2D, x: Tensor?, w: Tensor, gy: Tensor, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        var geo = g.cGeometry
        dk_conv2d_backward(gy.dtype.code, &geo, rawOrNil(x), w.rawPointer, gy.rawPointer, rawOrNil(gx), rawOrNil(gw), rawOrNil(gb))
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
    static func batchNormBackward(training: Bool, n: Int, c: Int, l: Int, x: Tensor, gy: Tensor, mean: Tensor, invstd: Tensor,
                                  weight: Tensor?, gx: Tensor?, gw: Tensor?, gb: Tensor?) {
        dk_batch_norm_backward(gy.dtype.code, training ? 1 : 0, Int64(n), Int64(c), Int64(l), x.rawPointer, gy.rawPointer,
                               mean.rawPointer, invstd.rawPointer, rawOrNil(weight), rawOrNil(gx), rawOrNil(gw), rawOrNil(gb))
    }
}
