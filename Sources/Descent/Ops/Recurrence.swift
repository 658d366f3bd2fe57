// The fused recurrence behind `RNN`, `LSTM` and `GRU` (PyTorch's `_VF.rnn_tanh`, `_VF.lstm`, ...): one
// layer and direction over a whole sequence as one op, its forward and its backpropagation through
// time together here.

/// One step of a cell: the pre-computed input projection `xw` (x·W_ihᵀ + b_ih), the state, the
/// recurrent weights. Returns the new hidden state (and cell state for LSTM).
func recurrentStep(_ mode: RNNMode, xw: Tensor, h: Tensor, c: Tensor?, wHh: Tensor, bHh: Tensor?) -> (Tensor, Tensor?) {
    let hw = linear(h, wHh, bHh)
    switch mode {
    case .rnnTanh: return ((hw + xw).tanh(), nil)
    case .rnnRelu: return ((hw + xw).relu(), nil)
    case .lstm:
        // PyTorch's LSTMCell: gates = h·W_hhᵀ + b_hh + xw; i, f, g, o; c' = f*c + i*g; h' = o*tanh(c')
        let gates = (hw + xw).chunk(4, dim: 1)
        let i = gates[0].sigmoid(), f = gates[1].sigmoid(), g = gates[2].tanh(), o = gates[3].sigmoid()
        let c2 = f * c! + i * g
        return (o * c2.tanh(), c2)
    case .gru:
        // PyTorch's GRUCell: r = σ(h_r + x_r), z = σ(h_z + x_z), n = tanh(x_n + r*h_n), h' = (h - n)*z + n
        let xg = xw.chunk(3, dim: 1), hg = hw.chunk(3, dim: 1)
        let r = (hg[0] + xg[0]).sigmoid(), z = (hg[1] + xg[1]).sigmoid()
        let n = (xg[2] + hg[2] * r).tanh()
        return ((h - n) * z + n, nil)
    }
}

/// One layer and direction of a recurrence over a whole sequence as a single autograd node (as
/// PyTorch's fused CPU kernels are): the input projection of all steps is one product, each step one
/// addmm and its gate math, and backpropagation through time computes the weight gradients of all
/// steps in one product each. `x` is (L, N, I); returns the outputs (L, N, H) in time order, h_n and
/// (LSTM) c_n. The forward values are those of the step formulas in `recurrentStep`.
func fusedRecurrentLayer(_ mode: RNNMode, x: Tensor, h0: Tensor, c0: Tensor?, wIh: Tensor, wHh: Tensor, bIh: Tensor?, bHh: Tensor?,
                         reverse: Bool) -> (Tensor, Tensor, Tensor?) {
    let seqLen = x.shape[0], n = x.shape[1], inSize = x.shape[2], hidden = wHh.shape[1]
    let x2 = x.detach().reshape(seqLen * n, inSize)
    let wIhD = wIh.detach(), wHhD = wHh.detach()
    // what backward needs, by processing step s (time t = reverse ? L-1-s : s)
    var acts: [[Tensor]] = [], hPrev: [Tensor] = []
    var hs = [Tensor]()
    let y = noGrad { () -> Tensor in
        let xw = linear(x2, wIhD, bIh?.detach())
        let wHhT = wHhD.t().contiguous(), bHhD = bHh?.detach()   // row-major B: the steps' products need no packing
        var h = h0.detach(), c = c0?.detach()
        hs = [Tensor](repeating: h, count: seqLen)
        for step in 0..<seqLen {
            let t = reverse ? seqLen - 1 - step : step
            let xt = xw[(t * n)..<(t * n + n)]
            hPrev.append(h)
            let hw = bHhD.map { addmm($0, h, wHhT) } ?? h.mm(wHhT)
            switch mode {
            case .rnnTanh: h = (hw + xt).tanh()
            case .rnnRelu: h = (hw + xt).relu()
            case .lstm:
                // the cell's pointwise math in one pass (the ops of `recurrentStep`, same order and rounding)
                let dt = x.dtype
                let dev = x.device
                let act = Tensor(uninitializedShape: [n, 4 * hidden], dtype: dt, device: dev), c2 = Tensor(uninitializedShape: [n, hidden], dtype: dt, device: dev)
                let tc = Tensor(uninitializedShape: [n, hidden], dtype: dt, device: dev), h2 = Tensor(uninitializedShape: [n, hidden], dtype: dt, device: dev)
                let xtc = xt.contiguous(), cPrev = c!.contiguous()
                Kernels.lstmCellForward(hw.contiguous(), xtc, cPrev, activations: act, c: c2, tanhC: tc, h: h2)
                h = h2
                c = c2
                acts.append([act, tc, cPrev])
            case .gru:
                let xg = xt.chunk(3, dim: 1), hg = hw.chunk(3, dim: 1)
                let r = (hg[0] + xg[0]).sigmoid(), z = (hg[1] + xg[1]).sigmoid()
                let nn = (xg[2] + hg[2] * r).tanh()
                h = (h - nn) * z + nn
                acts.append([r, z, nn, hg[2]])
            }
            hs[t] = h
        }
        // the outputs in time order, then the final cell state (LSTM) or hidden state
        return stack(hs + [mode == .lstm ? c! : h], dim: 0)
    }
    var inputs = [x, h0]
    if let c0 = c0 { inputs.append(c0) }
    inputs += [wIh, wHh]
    if let b = bIh { inputs.append(b) }
    if let b = bHh { inputs.append(b) }
    if inputs.contains(where: wantsGrad) {
        let hasBias = bIh != nil
        let context = RecurrentLayerContext(mode: mode, seqLen: seqLen, n: n, inSize: inSize, hidden: hidden, reverse: reverse,
                                            hasBias: hasBias, x2: x2, wIh: wIhD, wHh: wHhD, acts: acts, hPrev: hPrev, hs: hs)
        y.recorded(.recurrentLayer(context), inputs: inputs)
    }
    let hLast = mode == .lstm ? y[reverse ? 0 : seqLen - 1] : y[seqLen]
    // the outputs' node carries the name PyTorch's output has (its RNN and GRU stack the steps' outputs)
    let outputs = y.sliceAsOneNode([.range(0, seqLen, 1)], gradFnName: mode == .lstm ? "MkldnnRnnLayerBackward0" : "StackBackward0")
    return (outputs, hLast, mode == .lstm ? y[seqLen] : nil)
}

/// What a recurrent layer's backward needs: its shapes, weights and the activations of every step.
final class RecurrentLayerContext {
    let mode: RNNMode
    let seqLen: Int, n: Int, inSize: Int, hidden: Int
    let reverse: Bool, hasBias: Bool
    let x2: Tensor, wIhD: Tensor, wHhD: Tensor
    let acts: [[Tensor]], hPrev: [Tensor], hs: [Tensor]
    init(mode: RNNMode, seqLen: Int, n: Int, inSize: Int, hidden: Int, reverse: Bool, hasBias: Bool, x2: Tensor, wIh: Tensor, wHh: Tensor,
         acts: [[Tensor]], hPrev: [Tensor], hs: [Tensor]) {
        self.mode = mode; self.seqLen = seqLen; self.n = n; self.inSize = inSize; self.hidden = hidden
        self.reverse = reverse; self.hasBias = hasBias; self.x2 = x2; self.wIhD = wIh; self.wHhD = wHh
        self.acts = acts; self.hPrev = hPrev; self.hs = hs
    }
}

extension Op {
    /// Backpropagation through time of one fused recurrent layer: per step the cell's gate gradients,
    /// then one product per weight gradient over all steps.
    static func recurrentLayerBackward(_ ctx: RecurrentLayerContext, _ gY: Tensor, _ needs: [Bool]) -> [Tensor?] {
        let (mode, seqLen, n, inSize, hidden, reverse, hasBias) = (ctx.mode, ctx.seqLen, ctx.n, ctx.inSize, ctx.hidden, ctx.reverse, ctx.hasBias)
        let (x2, wIhD, wHhD, acts, hPrev, hs) = (ctx.x2, ctx.wIhD, ctx.wHhD, ctx.acts, ctx.hPrev, ctx.hs)
        let gy = gY.contiguous()
        var dh = mode == .lstm ? Tensor.zeros([n, hidden], dtype: gy.dtype, device: gy.device) : gy[seqLen]
        var dc: Tensor? = mode == .lstm ? gy[seqLen] : nil
        var dXW = [Tensor](repeating: dh, count: seqLen), dHW = [Tensor](repeating: dh, count: seqLen)
        for step in (0..<seqLen).reversed() {
            let t = reverse ? seqLen - 1 - step : step
            let dht = gy[t] + dh
            switch mode {
            case .rnnTanh, .rnnRelu:
                let ht = hs[t]
                let da = mode == .rnnTanh ? dht * (1 - ht * ht) : dht * (ht .> 0).to(dtype: dht.dtype)
                dXW[t] = da; dHW[t] = da
                dh = da.mm(wHhD)
            case .lstm:
                let a = acts[step]
                let gates = Tensor(uninitializedShape: [n, 4 * hidden], dtype: gy.dtype, device: gy.device)
                let dhc = dht.contiguous(), dcNext = dc!.contiguous().clone()
                Kernels.lstmCellBackward(activations: a[0], tanhC: a[1], cPrev: a[2], dh: dhc, dc: dcNext, gates: gates)
                dc = dcNext
                dXW[t] = gates; dHW[t] = gates
                dh = gates.mm(wHhD)
            case .gru:
                let a = acts[step], (r, z, nn, hn) = (a[0], a[1], a[2], a[3])
                let dz = dht * (hPrev[step] - nn)
                let dan = dht * (1 - z) * (1 - nn * nn)
                let dar = dan * hn * r * (1 - r), daz = dz * z * (1 - z)
                dXW[t] = concat([dar, daz, dan], dim: 1)
                dHW[t] = concat([dar, daz, dan * r], dim: 1)
                dh = dht * z + dHW[t].mm(wHhD)
            }
        }
        let gX = Descent.stack(dXW, dim: 0).reshape(seqLen * n, -1)
        let gH = mode == .gru ? Descent.stack(dHW, dim: 0).reshape(seqLen * n, -1) : gX
        var grads: [Tensor?] = []
        grads.append(needs[0] ? gX.mm(wIhD).reshape(seqLen, n, inSize) : nil)
        grads.append(needs[1] ? dh : nil)
        var k = 2
        if mode == .lstm { grads.append(needs[k] ? dc : nil); k += 1 }
        grads.append(needs[k] ? gX.t().mm(x2) : nil)
        if needs[k + 1] {
            let prev = Descent.stack((0..<seqLen).map { t in hPrev[reverse ? seqLen - 1 - t : t] }, dim: 0).reshape(seqLen * n, hidden)
            grads.append(gH.t().mm(prev))
        } else { grads.append(nil) }
        if hasBias {
            grads.append(needs[k + 2] ? gX.sum(dim: 0) : nil)
            grads.append(needs[k + 3] ? gH.sum(dim: 0) : nil)
        }
        return grads
    }
}
