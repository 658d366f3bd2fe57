// L-BFGS (PyTorch's `optim.LBFGS`), with PyTorch's strong-Wolfe line search and its float32/Python-float
// scalar arithmetic, so that it takes PyTorch's decisions; the flat-vector math runs in C (lbfgs.c).

/// A scalar as PyTorch's L-BFGS code holds it: a Python float (double arithmetic) or a 0-dim float32
/// tensor (results of `dot`, `max`, ...). Arithmetic with a tensor operand rounds the other operand to
/// float32 and the result is a tensor; `python_float / tensor` is `tensor.reciprocal() * python_float`
/// (PyTorch's `__rtruediv__`). Comparisons with a tensor operand compare in float32. Mirroring this makes
/// the line search take the same decisions as PyTorch's.
struct TorchScalar {
    var value: Double
    var isTensor: Bool
    static func py(_ v: Double) -> TorchScalar { TorchScalar(value: v, isTensor: false) }
    static func tensor(_ v: Float) -> TorchScalar { TorchScalar(value: Double(v), isTensor: true) }
    var f: Float { Float(value) }

    static func + (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f + b.f) : .py(a.value + b.value)
    }
    static func - (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f - b.f) : .py(a.value - b.value)
    }
    static func * (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        a.isTensor || b.isTensor ? .tensor(a.f * b.f) : .py(a.value * b.value)
    }
    static func / (a: TorchScalar, b: TorchScalar) -> TorchScalar {
        if !a.isTensor && b.isTensor { return .tensor((1 / b.f) * a.f) }
        return a.isTensor || b.isTensor ? .tensor(a.f / b.f) : .py(a.value / b.value)
    }
    static prefix func - (a: TorchScalar) -> TorchScalar { a.isTensor ? .tensor(-a.f) : .py(-a.value) }
    var magnitude: TorchScalar { isTensor ? .tensor(Swift.abs(f)) : .py(Swift.abs(value)) }
    var squared: TorchScalar { isTensor ? .tensor(f * f) : .py(value * value) }
    var squareRoot: TorchScalar { isTensor ? .tensor(f.squareRoot()) : .py(value.squareRoot()) }

    static func < (a: TorchScalar, b: TorchScalar) -> Bool { a.isTensor || b.isTensor ? a.f < b.f : a.value < b.value }
    static func <= (a: TorchScalar, b: TorchScalar) -> Bool { a.isTensor || b.isTensor ? a.f <= b.f : a.value <= b.value }
    static func > (a: TorchScalar, b: TorchScalar) -> Bool { b < a }
    static func >= (a: TorchScalar, b: TorchScalar) -> Bool { b <= a }
}

/// Python's `min(a, b)` (the first unless the second is smaller) and `max(a, b)`.
private func pyMin(_ a: TorchScalar, _ b: TorchScalar) -> TorchScalar { b < a ? b : a }
private func pyMax(_ a: TorchScalar, _ b: TorchScalar) -> TorchScalar { b > a ? b : a }

/// Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to the bounds
/// (PyTorch's `_cubic_interpolate`).
private func cubicInterpolate(_ x1: TorchScalar, _ f1: TorchScalar, _ g1: TorchScalar, _ x2: TorchScalar, _ f2: TorchScalar,
                              _ g2: TorchScalar, bounds: (TorchScalar, TorchScalar)? = nil) -> TorchScalar {
    let (xmin, xmax) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - .py(3) * (f1 - f2) / (x1 - x2)
    let d2Square = d1.squared - g1 * g2
    if d2Square >= .py(0) {
        let d2 = d2Square.squareRoot
        let minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + .py(2) * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + .py(2) * d2))
        return pyMin(pyMax(minPos, xmin), xmax)
    }
    return (xmin + xmax) / .py(2)
}

/// Limited-memory BFGS (PyTorch's `optim.LBFGS`: lr 1, max_iter 20, max_eval max_iter*5/4,
/// tolerance_grad 1e-7, tolerance_change 1e-9, history_size 100, line_search_fn nil or "strong_wolfe").
///
/// Call `step { ... }` with a closure that clears the gradients, computes the loss, calls `backward()`
/// and returns the loss; one step runs up to `maxIter` iterations and returns the first loss. Like
/// PyTorch's, it works on all parameters as one flat vector and supports a single parameter group.
public final class LBFGS: Optimizer {
    /// `"strong_wolfe"` or nil (a fixed step of `lr`).
    public let lineSearchFn: String?
    private var params: [Parameter] { paramGroups[0].params }
    private var numel: Int { params.reduce(0) { $0 + $1.count } }

    // State (PyTorch keeps it in `state[params[0]]`).
    private var funcEvals = 0
    private var nIter = 0
    private var d: [Float] = []
    private var t = TorchScalar.py(0)
    private var hDiag = TorchScalar.py(1)
    private var prevFlatGrad: [Float]? = nil
    private var prevLoss: Double? = nil
    /// History (y = old_dirs, s = old_stps, ro) in ring buffers of `capacity` rows; `head` is the oldest row.
    private var oldDirs: [Float] = [], oldStps: [Float] = [], ro: [Float] = []
    private var historyCount = 0, historyHead = 0, historyCapacity = 0

    /// L-BFGS's settings (PyTorch's defaults; `maxEval` defaults to `maxIter * 5 / 4`).
    public struct Settings: OptimizerSettings {
        public var maxIter = 20
        public var maxEval: Int
        public var toleranceGrad = 1e-7
        public var toleranceChange = 1e-9
        public var historySize = 100
        public init() { maxEval = maxIter * 5 / 4 }
        public static var defaultLR: Double { 1 }
        public static var fields: [OptimizerSetting<Settings>] {
            [.integer("max_iter", \.maxIter), .integer("max_eval", \.maxEval), .real("tolerance_grad", \.toleranceGrad),
             .real("tolerance_change", \.toleranceChange), .integer("history_size", \.historySize)]
        }
        public static var pythonIntDefaults: Set<String> { ["lr"] }
    }

    public init(_ params: [Parameter], lr: Double = Settings.defaultLR, maxIter: Int = Settings().maxIter, maxEval: Int? = nil,
                toleranceGrad: Double = Settings().toleranceGrad, toleranceChange: Double = Settings().toleranceChange,
                historySize: Int = Settings().historySize, lineSearchFn: String? = nil) {
        checkLR(lr)
        if let f = lineSearchFn, f != "strong_wolfe" { fail("only 'strong_wolfe' is supported") }
        self.lineSearchFn = lineSearchFn
        var s = Settings()
        s.maxIter = maxIter; s.maxEval = maxEval ?? maxIter * 5 / 4; s.toleranceGrad = toleranceGrad
        s.toleranceChange = toleranceChange; s.historySize = historySize
        super.init(groups: [ParamGroup(params: params)], lr: lr, defaults: s)
    }

    public override func step() {
        fail("LBFGS.step() needs a closure that reevaluates the model and returns the loss: use step { ... }")
    }

    private func gatherFlatGrad() -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(numel)
        for p in params {
            if let g = p.grad {
                if g.dtype != .float32 || g.count != p.count { fail("LBFGS: gradient of shape \(shapeString(g.shape)) and dtype \(g.dtype) for a float32 parameter of shape \(shapeString(p.shape))") }
                flat += g.toArray(Float.self)
            } else {
                flat += [Float](repeating: 0, count: p.count)
            }
        }
        return flat
    }
    /// p += t * d, parameter by parameter (PyTorch's `_add_grad`).
    private func addGrad(_ step: TorchScalar, _ dir: [Float]) {
        var offset = 0
        for p in params {
            Kernels.addScaledFromHost(step.f, dir, offset: offset, into: p)
            offset += p.count
        }
    }
    private func cloneParams() -> [Float] {
        params.flatMap { $0.toArray(Float.self) }
    }
    private func setParams(_ flat: [Float]) {
        var offset = 0
        for p in params { Kernels.copyFromHost(flat, offset: offset, into: p); offset += p.count }
    }
    private func dot(_ x: [Float], _ y: [Float]) -> Float { HostVectors.dot(x, y) }
    private func maxAbs(_ x: [Float], scale: Float = 1) -> Float { HostVectors.maxAbs(x, scale: scale) }

    private func evaluate(_ closure: () -> Tensor) -> Double { enableGrad { closure() }.item() }
    /// Loss and flat gradient at x + t d; the parameters are put back to x (PyTorch's `_directional_evaluate`).
    private func directionalEvaluate(_ closure: () -> Tensor, _ x: [Float], _ t: TorchScalar, _ d: [Float]) -> (Double, [Float]) {
        addGrad(t, d)
        let loss = evaluate(closure)
        let g = gatherFlatGrad()
        setParams(x)
        return (loss, g)
    }

    /// Appends (y, s, 1/ys), dropping the oldest pair when the history is full.
    private func pushHistory(_ y: [Float], _ s: [Float], _ r: Float, capacity: Int) {
        let n = y.count
        if capacity != historyCapacity && historyCount > 0 {   // history_size changed: repack in logical order
            var dirs: [Float] = [], stps: [Float] = [], ros: [Float] = []
            let keep = Swift.min(historyCount, Swift.max(capacity - 1, 0))
            for i in (historyCount - keep)..<historyCount {
                let row = (historyHead + i) % historyCapacity
                dirs += oldDirs[row * n ..< (row + 1) * n]; stps += oldStps[row * n ..< (row + 1) * n]; ros.append(ro[row])
            }
            oldDirs = dirs; oldStps = stps; ro = ros; historyCount = keep; historyHead = 0
        }
        historyCapacity = capacity
        if historyCapacity <= 0 { return }
        if historyCount < historyCapacity {
            oldDirs += y; oldStps += s; ro.append(r)
            historyCount += 1
        } else {
            let row = historyHead
            oldDirs.replaceSubrange(row * n ..< (row + 1) * n, with: y)
            oldStps.replaceSubrange(row * n ..< (row + 1) * n, with: s)
            ro[row] = r
            historyHead = (historyHead + 1) % historyCapacity
        }
    }

    @discardableResult
    public override func step(_ closure: () -> Tensor) -> Tensor {
        if paramGroups.count != 1 { fail("LBFGS doesn't support per-parameter options (parameter groups)") }
        for p in params {
            if p.dtype != .float32 || p.device.isMeta || !p.isContiguous { fail("LBFGS: parameters must be contiguous float32 tensors on cpu or cuda") }
        }
        let group = paramGroups[0], s = group[Settings.self]
        let lr = group.lr
        let maxIter = s.maxIter, maxEval = s.maxEval
        let toleranceGrad = s.toleranceGrad, toleranceChange = s.toleranceChange
        let historySize = s.historySize
        let n = numel

        let origLoss = enableGrad { closure() }
        var loss = origLoss.item()
        var currentEvals = 1
        funcEvals += 1
        var flatGrad = gatherFlatGrad()
        var optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
        if optCond { return origLoss }

        var iter = 0
        while iter < maxIter {
            iter += 1
            nIter += 1
            if nIter == 1 {
                d = flatGrad.map { -$0 }
                oldDirs = []; oldStps = []; ro = []; historyCount = 0; historyHead = 0; historyCapacity = historySize
                hDiag = .py(1)
            } else {
                var y = [Float](repeating: 0, count: n), s = [Float](repeating: 0, count: n)
                HostVectors.sub(flatGrad, prevFlatGrad!, into: &y)
                HostVectors.scale(d, t.f, into: &s)
                let ys = TorchScalar.tensor(dot(y, s))
                if ys > .py(1e-10) {
                    pushHistory(y, s, 1 / ys.f, capacity: historySize)
                    hDiag = ys / .tensor(dot(y, y))
                }
                var al = [Float](repeating: 0, count: Swift.max(historyCount, 1))
                var dir = [Float](repeating: 0, count: n)
                HostVectors.lbfgsDirection(count: historyCount, capacity: Swift.max(historyCapacity, 1), head: historyHead,
                                           oldDirs: oldDirs, oldSteps: oldStps, ro: ro, al: &al, grad: flatGrad, hDiag: hDiag.f, into: &dir)
                d = dir
            }
            prevFlatGrad = flatGrad
            prevLoss = loss
            if nIter == 1 {
                t = pyMin(.py(1), .py(1) / .tensor(HostVectors.sumAbs(flatGrad))) * .py(lr)
            } else {
                t = .py(lr)
            }
            let gtd = TorchScalar.tensor(dot(flatGrad, d))
            if gtd > .py(-toleranceChange) { break }

            var lsFuncEvals = 0
            if lineSearchFn != nil {
                let xInit = cloneParams()
                let r = strongWolfe({ self.directionalEvaluate(closure, $0, $1, $2) }, xInit, t, d, loss, flatGrad, gtd,
                                    toleranceChange: toleranceChange, maxLS: maxEval - currentEvals)
                loss = r.loss; flatGrad = r.grad; t = r.t; lsFuncEvals = r.evals
                addGrad(t, d)
                optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
            } else {
                addGrad(t, d)
                if iter != maxIter {
                    loss = evaluate(closure)
                    flatGrad = gatherFlatGrad()
                    optCond = maxAbs(flatGrad) <= Float(toleranceGrad)
                    lsFuncEvals = 1
                }
            }
            currentEvals += lsFuncEvals
            funcEvals += lsFuncEvals

            if iter == maxIter { break }
            if currentEvals >= maxEval { break }
            if optCond { break }
            if maxAbs(d, scale: t.f) <= Float(toleranceChange) { break }
            if Swift.abs(loss - prevLoss!) < toleranceChange { break }
        }
        return origLoss
    }

    /// PyTorch's `_strong_wolfe` line search (c1 1e-4, c2 0.9).
    private func strongWolfe(_ objFunc: ([Float], TorchScalar, [Float]) -> (Double, [Float]), _ x: [Float], _ t0: TorchScalar,
                             _ d: [Float], _ f: Double, _ g: [Float], _ gtd: TorchScalar, c1: Double = 1e-4, c2: Double = 0.9,
                             toleranceChange: Double, maxLS: Int) -> (loss: Double, grad: [Float], t: TorchScalar, evals: Int) {
        var t = t0
        let dNorm = TorchScalar.tensor(maxAbs(d))
        var (fNew, gNew) = objFunc(x, t, d)
        var lsFuncEvals = 1
        var gtdNew = TorchScalar.tensor(dot(gNew, d))
        var tPrev = TorchScalar.py(0), fPrev = f, gPrev = g, gtdPrev = gtd
        var done = false
        var lsIter = 0
        var bracket: [TorchScalar] = [], bracketF: [Double] = [], bracketG: [[Float]] = [], bracketGtd: [TorchScalar] = []
        let fT = TorchScalar.py(f), c1T = TorchScalar.py(c1), negC2 = TorchScalar.py(-c2)
        while lsIter < maxLS {
            if TorchScalar.py(fNew) > fT + c1T * t * gtd || (lsIter > 1 && fNew >= fPrev) {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew]
                break
            }
            if gtdNew.magnitude <= negC2 * gtd {
                bracket = [t]; bracketF = [fNew]; bracketG = [gNew]
                done = true
                break
            }
            if gtdNew >= .py(0) {
                bracket = [tPrev, t]; bracketF = [fPrev, fNew]; bracketG = [gPrev, gNew]; bracketGtd = [gtdPrev, gtdNew]
                break
            }
            let minStep = t + .py(0.01) * (t - tPrev)
            let maxStep = t * .py(10)
            let tmp = t
            t = cubicInterpolate(tPrev, .py(fPrev), gtdPrev, t, .py(fNew), gtdNew, bounds: (minStep, maxStep))
            tPrev = tmp
            fPrev = fNew
            gPrev = gNew
            gtdPrev = gtdNew
            (fNew, gNew) = objFunc(x, t, d)
            lsFuncEvals += 1
            gtdNew = .tensor(dot(gNew, d))
            lsIter += 1
        }
        if lsIter == maxLS {
            bracket = [.py(0), t]; bracketF = [f, fNew]; bracketG = [g, gNew]
        }

        var insufProgress = false
        var (lowPos, highPos) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done && lsIter < maxLS {
            if (bracket[1] - bracket[0]).magnitude * dNorm < .py(toleranceChange) { break }
            t = cubicInterpolate(bracket[0], .py(bracketF[0]), bracketGtd[0], bracket[1], .py(bracketF[1]), bracketGtd[1])
            let hi = pyMax(bracket[0], bracket[1]), lo = pyMin(bracket[0], bracket[1])
            let eps = .py(0.1) * (hi - lo)
            if pyMin(hi - t, t - lo) < eps {
                if insufProgress || t >= hi || t <= lo {
                    t = (t - hi).magnitude < (t - lo).magnitude ? hi - eps : lo + eps
                    insufProgress = false
                } else {
                    insufProgress = true
                }
            } else {
                insufProgress = false
            }
            (fNew, gNew) = objFunc(x, t, d)
            lsFuncEvals += 1
            gtdNew = .tensor(dot(gNew, d))
            lsIter += 1
            if TorchScalar.py(fNew) > fT + c1T * t * gtd || fNew >= bracketF[lowPos] {
                bracket[highPos] = t; bracketF[highPos] = fNew; bracketG[highPos] = gNew; bracketGtd[highPos] = gtdNew
                (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if gtdNew.magnitude <= negC2 * gtd {
                    done = true
                } else if gtdNew * (bracket[highPos] - bracket[lowPos]) >= .py(0) {
                    bracket[highPos] = bracket[lowPos]; bracketF[highPos] = bracketF[lowPos]
                    bracketG[highPos] = bracketG[lowPos]; bracketGtd[highPos] = bracketGtd[lowPos]
                }
                bracket[lowPos] = t; bracketF[lowPos] = fNew; bracketG[lowPos] = gNew; bracketGtd[lowPos] = gtdNew
            }
        }
        return (bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals)
    }

    // MARK: State dict

    private func floatTensor(_ values: [Float], shape: [Int]) -> Tensor {
        Tensor(flat: values, shape: shape)
    }
    private func floats(_ t: Tensor) -> [Float] { t.toArray(Float.self) }

    /// The groups' hyper-parameters and PyTorch's L-BFGS state under `state.0.` (`func_evals`, `n_iter`, `d`, `t`,
    /// `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`; history as rows, oldest first),
    /// plus `t_is_tensor`/`H_diag_is_tensor`, which record whether PyTorch would hold those as float32 tensors.
    public override func stateDict() -> StateDict {
        var sd = super.stateDict()
        if nIter == 0 && funcEvals == 0 { return sd }
        let n = numel
        sd["state.0.func_evals"] = Tensor(Double(funcEvals), dtype: .float64)
        sd["state.0.n_iter"] = Tensor(Double(nIter), dtype: .float64)
        if nIter > 0 {
            sd["state.0.d"] = floatTensor(d, shape: [n])
            sd["state.0.t"] = Tensor(t.value, dtype: .float64)
            sd["state.0.t_is_tensor"] = Tensor(t.isTensor ? 1 : 0, dtype: .float64)
            sd["state.0.H_diag"] = Tensor(hDiag.value, dtype: .float64)
            sd["state.0.H_diag_is_tensor"] = Tensor(hDiag.isTensor ? 1 : 0, dtype: .float64)
            var dirs: [Float] = [], stps: [Float] = [], ros: [Float] = []
            for i in 0..<historyCount {
                let row = (historyHead + i) % historyCapacity
                dirs += oldDirs[row * n ..< (row + 1) * n]; stps += oldStps[row * n ..< (row + 1) * n]; ros.append(ro[row])
            }
            sd["state.0.old_dirs"] = floatTensor(dirs, shape: [historyCount, n])
            sd["state.0.old_stps"] = floatTensor(stps, shape: [historyCount, n])
            sd["state.0.ro"] = floatTensor(ros, shape: [historyCount])
            if let g = prevFlatGrad { sd["state.0.prev_flat_grad"] = floatTensor(g, shape: [n]) }
            if let l = prevLoss { sd["state.0.prev_loss"] = Tensor(l, dtype: .float64) }
        }
        return sd
    }

    public override func loadStateDict(_ sd: StateDict) throws {
        var rest = StateDict()
        for (k, v) in sd where !k.hasPrefix("state.") { rest[k] = v }
        try super.loadStateDict(rest)
        let n = numel
        func vector(_ key: String, rows: Int? = nil) throws -> [Float]? {
            guard let v = sd[key] else { return nil }
            let expected = rows.map { [$0, n] } ?? [n]
            if v.shape != expected { throw StateDictError.shapeMismatch(key: key, expected: expected, got: v.shape) }
            return floats(v)
        }
        func count(_ key: String) throws -> Int {
            guard let t = sd[key] else { return 0 }
            if t.count != 1 || t.dtype == .bool { throw StateDictError.shapeMismatch(key: key, expected: [], got: t.shape) }
            return try checkedInteger(t.item(), key: key)
        }
        funcEvals = try count("state.0.func_evals")
        nIter = try count("state.0.n_iter")
        historyCount = 0; historyHead = 0; oldDirs = []; oldStps = []; ro = []
        historyCapacity = paramGroups[0][Settings.self].historySize
        prevFlatGrad = nil; prevLoss = nil
        guard nIter > 0 else { return }
        guard let dd = try vector("state.0.d"), let tv = sd["state.0.t"], let hv = sd["state.0.H_diag"] else {
            throw StateDictError.invalid("LBFGS state dict: n_iter > 0 but d, t or H_diag is missing")
        }
        d = dd
        t = (sd["state.0.t_is_tensor"]?.item() ?? 0) != 0 ? .tensor(Float(tv.item())) : .py(tv.item())
        hDiag = (sd["state.0.H_diag_is_tensor"]?.item() ?? 0) != 0 ? .tensor(Float(hv.item())) : .py(hv.item())
        if let r = sd["state.0.ro"] {
            let k = r.count
            if r.shape != [k] { throw StateDictError.shapeMismatch(key: "state.0.ro", expected: [k], got: r.shape) }
            guard let dirs = try vector("state.0.old_dirs", rows: k), let stps = try vector("state.0.old_stps", rows: k) else {
                throw StateDictError.invalid("LBFGS state dict: ro without old_dirs/old_stps")
            }
            oldDirs = dirs; oldStps = stps; ro = floats(r); historyCount = k
            historyCapacity = Swift.max(historyCapacity, k)
        }
        prevFlatGrad = try vector("state.0.prev_flat_grad")
        prevLoss = sd["state.0.prev_loss"]?.item()
    }
}
