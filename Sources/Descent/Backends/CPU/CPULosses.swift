import CDescentKernels

// The CPU backend's loss kernels (loss.c) and PyTorch's nll_loss reduction order.

extension CPUBackend {
    static func bceForward(logits: Bool, _ x: Tensor, _ y: Tensor, weight w: Tensor?, posWeight pw: Tensor?, out l: Tensor) {
        let n = Int64(l.count)
        if logits {
            dk_bce_logits_fwd(l.dtype.code, n, x.rawPointer, y.rawPointer, rawOrNil(w), rawOrNil(pw), l.rawPointer)
            return
        }
        switch dk_bce_fwd(l.dtype.code, n, x.rawPointer, y.rawPointer, rawOrNil(w), l.rawPointer) {
        case 1: fail("all elements of input should be between 0 and 1")
        case 2: fail("all elements of target should be between 0 and 1")
        default: break
        }
    }
    static func bceBackward(logits: Bool, _ x: Tensor, _ y: Tensor, weight w: Tensor?, posWeight pw: Tensor?, upstream up: Tensor,
                            upstreamIsElementwise: Bool, divisor: Double, gx: Tensor) {
        let n = Int64(gx.count), stride: Int64 = upstreamIsElementwise ? 1 : 0
        if logits {
            dk_bce_logits_bwd(gx.dtype.code, n, x.rawPointer, y.rawPointer, rawOrNil(w), rawOrNil(pw), up.rawPointer, stride, divisor, gx.rawPointer)
        } else {
            dk_bce_bwd(gx.dtype.code, n, x.rawPointer, y.rawPointer, rawOrNil(w), up.rawPointer, stride, divisor, gx.rawPointer)
        }
    }
    static func nllForward(_ rows: Tensor, _ target: Tensor, weight: Tensor?, ignoreIndex: Int, rowLoss: Tensor, rowWeight: Tensor) {
        let m = rows.shape[0], c = rows.shape[1]
        let bad = dk_nll_fwd(rows.dtype.code, Int64(m), Int64(c), rows.rawPointer, target.pointer(Int64.self), rawOrNil(weight),
                             Int64(ignoreIndex), rowLoss.rawPointer, rowWeight.pointer(Double.self))
        if bad >= 0 { fail("Target \(target.pointer(Int64.self)[Int(bad)]) is out of bounds.") }
    }
    static func nllReduce(_ rowLoss: Tensor, rowWeight: Tensor, _ target: Tensor, ignoreIndex: Int, weighted: Bool, mean: Bool) -> Tensor {
        let rowW = Kernels.elements(rowWeight, as: Double.self), targets = Kernels.elements(target, as: Int64.self).map { Int($0) }
        let float = rowLoss.dtype == .float32
        let (total, weightTotal) = float
            ? nllCascade(Kernels.elements(rowLoss, as: Float.self), rowW, targets, ignoreIndex: ignoreIndex, weighted: weighted)
            : nllCascade(Kernels.elements(rowLoss, as: Double.self), rowW, targets, ignoreIndex: ignoreIndex, weighted: weighted)
        return Tensor.scalar(mean ? (float ? Double(Float(total) / Float(weightTotal)) : total / weightTotal) : total, dtype: rowLoss.dtype)
    }
    static func nllBackward(fromLogits: Bool, logProbs: Tensor, _ target: Tensor, rowWeight: Tensor, upstream up: Tensor,
                            upstreamIsElementwise: Bool, mean: Bool, gx: Tensor) {
        let m = Int64(gx.shape[0]), c = Int64(gx.shape[1]), upStride: Int64 = upstreamIsElementwise ? 1 : 0
        let rw = rowWeight.pointer(Double.self)
        // PyTorch's total_weight: the count of counted rows without class weights, else their weights summed in
        // nll_loss's cascade in the element type (rows of weight 0 taken as ignored)
        var totalWeight = 0.0
        if mean {
            let w = Array(UnsafeBufferPointer(start: rw, count: rowWeight.count))
            if w.allSatisfy({ $0 == 0 || $0 == 1 }) { totalWeight = Double(w.filter { $0 != 0 }.count) }
            else {
                let marks = w.map { $0 == 0 ? Int.min : 0 }
                totalWeight = gx.dtype == .float32
                    ? nllCascade([Float](repeating: 0, count: w.count), w, marks, ignoreIndex: Int.min, weighted: true).1
                    : nllCascade([Double](repeating: 0, count: w.count), w, marks, ignoreIndex: Int.min, weighted: true).1
            }
        }
        let meanFlag: Int32 = mean ? 1 : 0
        if fromLogits {
            dk_ce_bwd(gx.dtype.code, m, c, logProbs.rawPointer, target.pointer(Int64.self), rw, up.rawPointer, upStride, meanFlag, totalWeight, gx.rawPointer)
        } else {
            dk_nll_bwd(gx.dtype.code, m, c, target.pointer(Int64.self), rw, up.rawPointer, upStride, meanFlag, totalWeight, gx.rawPointer)
        }
    }
}

/// The loss and weight totals of PyTorch's `nll_loss_out_frame`: row losses added into level 0 of an
/// 8-level cascade (16 rows per level) in the element type, skipping ignored rows; the levels are
/// then added in order. Returns them as Doubles (exact conversions of `T` values).
func nllCascade<T: BinaryFloatingPoint>(_ rowLoss: [T], _ rowW: [Double], _ targets: [Int], ignoreIndex: Int, weighted: Bool) -> (Double, Double) {
    let levels = 8
    let batch = rowLoss.count
    let ceilLog2 = batch <= 2 ? 1 : 64 - (batch - 1).leadingZeroBitCount
    let power = Swift.max(4, ceilLog2 / levels)
    let mask = (1 << power) - 1
    var loss = [T](repeating: 0, count: levels), wsum = [T](repeating: 0, count: levels)
    var ignored = 0
    for b in 0..<batch {
        if targets[b] == ignoreIndex { ignored += 1; continue }
        loss[0] += rowLoss[b]
        if weighted { wsum[0] += T(rowW[b]) }
        for j in 0..<(levels - 1) {
            if b & (mask << (j * power)) != 0 { break }
            wsum[j + 1] += wsum[j]; loss[j + 1] += loss[j]
            wsum[j] = 0; loss[j] = 0
        }
    }
    var total: T = 0, weightTotal: T = 0
    for j in 0..<levels { total += loss[j]; weightTotal += wsum[j] }
    return (Double(total), weighted ? Double(weightTotal) : Double(T(batch - ignored)))
}

