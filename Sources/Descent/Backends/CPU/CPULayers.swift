import CDescentKernels

// The CPU backend's kernels for nn layers: the fused LSTM cell (rnn.c) and adaptive average pooling.

extension CPUBackend {
    static func lstmCellForward(_ hw: Tensor, _ xw: Tensor, _ cPrev: Tensor, activations: Tensor, c: Tensor, tanhC: Tensor, h: Tensor) {
        dk_lstm_cell_forward(h.dtype.code, Int64(h.shape[0]), Int64(h.shape[1]), hw.rawPointer, xw.rawPointer, cPrev.rawPointer,
                             activations.rawPointer, c.rawPointer, tanhC.rawPointer, h.rawPointer)
    }
    static func lstmCellBackward(activations: Tensor, tanhC: Tensor, cPrev: Tensor, dh: Tensor, dc: Tensor, gates: Tensor) {
        dk_lstm_cell_backward(gates.dtype.code, Int64(dh.shape[0]), Int64(dh.shape[1]), activations.rawPointer, tanhC.rawPointer,
                              cPrev.rawPointer, dh.rawPointer, dc.rawPointer, gates.rawPointer)
    }

    static func adaptiveAvgPool2d<T: BinaryFloatingPoint>(_: T.Type, _ src: Tensor, _ dst: Tensor, planes: Int, h: Int, w: Int, oh: Int, ow: Int, backward: Bool) {
        func start(_ i: Int, _ o: Int, _ n: Int) -> Int { (i * n) / o }
        func end(_ i: Int, _ o: Int, _ n: Int) -> Int { ((i + 1) * n + o - 1) / o }
        let s = src.pointer(T.self), d = dst.pointer(T.self)
        for p in 0..<planes {
            for i in 0..<oh {
                let h0 = start(i, oh, h), h1 = end(i, oh, h)
                for j in 0..<ow {
                    let w0 = start(j, ow, w), w1 = end(j, ow, w)
                    let kh = T(h1 - h0), kw = T(w1 - w0)
                    if backward {   // grad_input += grad_output / kh / kw
                        let delta = s[p * oh * ow + i * ow + j] / kh / kw
                        for a in h0..<h1 { for b in w0..<w1 { d[p * h * w + a * w + b] += delta } }
                    } else {        // sum in order, then / kh / kw
                        var sum: T = 0
                        for a in h0..<h1 { for b in w0..<w1 { sum += s[p * h * w + a * w + b] } }
                        d[p * oh * ow + i * ow + j] = sum / kh / kw
                    }
                }
            }
        }
    }
}
