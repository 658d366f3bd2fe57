import Foundation

/// Tick positions and labels, as matplotlib's `AutoLocator` (a `MaxNLocator` with steps
/// 1, 2, 2.5, 5 × 10^k), `LogLocator` and `ScalarFormatter` choose them.
enum Ticks {
    /// matplotlib's `scale_range`: the power of ten of the raw step, and an offset for ranges far from zero.
    static func scaleRange(_ vmin: Double, _ vmax: Double, _ n: Int) -> (scale: Double, offset: Double) {
        let dv = Swift.abs(vmax - vmin)
        let meanv = (vmax + vmin) / 2
        var offset = 0.0
        if Swift.abs(meanv) / dv >= 100 {
            offset = (meanv < 0 ? -1 : 1) * Foundation.pow(10.0, floor(log10(Swift.abs(meanv))))
        }
        return (Foundation.pow(10.0, floor(log10(dv / Double(n)))), offset)
    }

    /// `MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)`: at most `nbins + 1`
    /// "nice" ticks covering the interval (some may lie just outside it).
    static func maxN(_ vmin0: Double, _ vmax0: Double, nbins: Int, minTicks: Int = 2) -> [Double] {
        var vmin = vmin0, vmax = vmax0
        if vmax < vmin { swap(&vmin, &vmax) }
        if vmax - vmin <= Swift.abs(vmax) * 1e-12 || vmax == vmin {  // nonsingular: widen a point
            let d = vmin == 0 ? 0.001 : Swift.abs(vmin) * 0.001
            vmin -= d; vmax += d
        }
        let (scale, offset) = scaleRange(vmin, vmax, nbins)
        let lo = vmin - offset, hi = vmax - offset
        let steps = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20].map { $0 * scale }
        let rawStep = (hi - lo) / Double(nbins)
        let istep = steps.firstIndex { $0 >= rawStep } ?? steps.count - 1
        var ticks: [Double] = []
        for step in steps[...istep].reversed() {
            let best = floor(lo / step) * step
            let tol: Double = offset > 0 ? Swift.max(1e-10, Foundation.pow(10.0, log10(offset / step) - 12)) : 1e-10
            func le(_ x: Double) -> Double {
                let d = floor(x / step), m = x - d * step
                return Swift.abs(m / step - 1) < tol ? d + 1 : d
            }
            func ge(_ x: Double) -> Double {
                let d = floor(x / step), m = x - d * step
                return Swift.abs(m / step) < tol ? d : d + 1
            }
            let low = le(lo - best), high = ge(hi - best)
            ticks = stride(from: low, through: high, by: 1).map { $0 * step + best }
            let shown = ticks.filter { $0 <= hi && $0 >= lo }.count
            if shown >= minTicks { break }
        }
        return ticks.map { $0 + offset }
    }

    /// matplotlib's tick count for an axis `length` long with labels of `fontSize` (the same unit):
    /// room for one tick per 3 font sizes (x) or 2 (y), between 1 and 9 bins.
    static func nbins(length: Double, fontSize: Double, vertical: Bool) -> Int {
        let n = Int(floor(length / (fontSize * (vertical ? 2 : 3))))
        return Swift.min(Swift.max(n, 1), 9)
    }

    /// `LogLocator(base=10)`: the decades covering [vmin, vmax] (every k-th decade when there are many),
    /// and the minor ticks 2…9 × 10^k when the decades are not thinned.
    static func log(_ vmin: Double, _ vmax: Double, numTicks: Int) -> (major: [Double], minor: [Double]) {
        let lo = floor(log10(vmin)), hi = ceil(log10(vmax))
        let decades = hi - lo
        let stride_ = Swift.max(1, Int(ceil((decades + 1) / Double(Swift.max(numTicks, 2)))))
        var major: [Double] = []
        var e = floor(lo / Double(stride_)) * Double(stride_)
        while e <= hi { major.append(Foundation.pow(10.0, e)); e += Double(stride_) }
        var minor: [Double] = []
        if stride_ == 1 {
            for k in Int(lo)..<Int(hi) { for m in 2...9 { minor.append(Double(m) * Foundation.pow(10.0, Double(k))) } }
        }
        return (major, minor)
    }

    /// `ScalarFormatter`: labels with as few decimals as keep the ticks distinct, Unicode minus,
    /// and a power-of-ten multiplier ("1e6", written at the end of the axis) when the ticks are
    /// ≥ 10^6 or < 10^-4 in size (matplotlib's `axes.formatter.limits` = [-5, 6]).
    static func format(_ locs: [Double], viewInterval: (Double, Double)) -> (labels: [String], multiplier: String?) {
        guard !locs.isEmpty else { return ([], nil) }
        let maxAbs = locs.map { Swift.abs($0) }.max()!
        var oom = 0
        if maxAbs > 0 {
            let o = Int(floor(log10(maxAbs)))
            if o <= -5 || o >= 6 { oom = o }
        }
        let scaled = locs.map { $0 / Foundation.pow(10.0, Double(oom)) }
        var pts = scaled
        if pts.count < 2 { pts += [viewInterval.0, viewInterval.1].map { $0 / Foundation.pow(10.0, Double(oom)) } }
        let range = (pts.max()! - pts.min()!)
        var sigfigs = 0
        if range > 0 {
            let rangeOom = Int(floor(log10(range)))
            sigfigs = Swift.max(0, 3 - rangeOom)
            let thresh = 1e-3 * Foundation.pow(10.0, Double(rangeOom))
            while sigfigs >= 0 {
                let p = Foundation.pow(10.0, Double(sigfigs))
                let err = scaled.map { Swift.abs($0 - ($0 * p).rounded() / p) }.max()!
                if err < thresh { sigfigs -= 1 } else { break }
            }
            sigfigs += 1
        }
        let labels = scaled.map { v -> String in
            var s = String(format: "%.\(sigfigs)f", v)
            if s.hasPrefix("-") {
                s.removeFirst()
                if s.contains(where: { $0 != "0" && $0 != "." }) { s = "\u{2212}" + s }
            }
            return s
        }
        return (labels, oom == 0 ? nil : "1e\(oom)".replacingOccurrences(of: "-", with: "\u{2212}"))
    }
}
