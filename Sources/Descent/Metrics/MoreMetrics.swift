import Foundation

// More of torchmetrics: regression scores, the curve metrics (AUROC, average precision, ROC, precision-recall),
// scores read from stat counts or the confusion matrix, and the aggregation metrics. Each follows torchmetrics'
// formulas and special cases; scores are float32 tensors.

// MARK: - Regression

/// The coefficient of determination, 1 - RSS / TSS (torchmetrics' `R2Score`): preds and target (N) or
/// (N, numOutputs); `multioutput` "uniform_average", "raw_values" or "variance_weighted"; `adjusted` regressors.
public final class R2Score: Metric {
    public let numOutputs: Int, adjusted: Int, multioutput: String
    public init(numOutputs: Int = 1, adjusted: Int = 0, multioutput: String = "uniform_average") {
        if adjusted < 0 { fail("`adjusted` parameter should be an integer larger or equal to 0.") }
        if !["raw_values", "uniform_average", "variance_weighted"].contains(multioutput) {
            fail("Invalid input to argument `multioutput`. Choose one of the following: ('raw_values', 'uniform_average', 'variance_weighted')")
        }
        self.numOutputs = numOutputs; self.adjusted = adjusted; self.multioutput = multioutput
        super.init(stateSize: 3 * numOutputs + 1)
    }
    /// Per output [Σy, Σy², Σ(y - ŷ)²], then the count of rows.
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        let k = preds.rank == 1 ? 1 : preds.shape[1]
        if preds.rank > 2 || k != numOutputs { fail("R2Score: expected preds of shape (N) or (N, \(numOutputs)), got \(shapeString(preds.shape))") }
        var s = [Double](repeating: 0, count: stateSize)
        for i in p.indices {
            let o = i % k
            s[3 * o] += t[i]; s[3 * o + 1] += t[i] * t[i]; s[3 * o + 2] += (t[i] - p[i]) * (t[i] - p[i])
        }
        s[3 * numOutputs] = Double(p.count / k)
        return s
    }
    public override func compute(from s: [Double]) -> Tensor {
        let n = s[3 * numOutputs]
        if n < 2 { fail("Needs at least two samples to calculate r2 score.") }
        var raw: [Double] = [], tss: [Double] = []
        for o in 0..<numOutputs {
            let sum = s[3 * o], rss = s[3 * o + 2]
            let t = s[3 * o + 1] - sum * (sum / n)
            tss.append(t)
            let rssZero = Swift.abs(rss) <= 1e-4, tssZero = Swift.abs(t) <= 1e-4
            raw.append(!rssZero && !tssZero ? 1 - rss / t : (!rssZero && tssZero ? 0 : 1))
        }
        func adjust(_ r2: Double) -> Double {
            adjusted > 0 && Double(adjusted) < n - 1 ? 1 - (1 - r2) * (n - 1) / (n - Double(adjusted) - 1) : r2
        }
        if multioutput == "raw_values" { return Tensor(raw.map { Float(adjust($0)) }) }
        var r2: Double
        if multioutput == "variance_weighted" {
            let total = tss.reduce(0, +)
            r2 = zip(tss, raw).reduce(0) { $0 + $1.0 / total * $1.1 }
        } else { r2 = raw.reduce(0, +) / Double(numOutputs) }
        return Tensor(Float(adjust(r2)))
    }
}

/// Mean absolute percentage error, mean(|ŷ - y| / max(|y|, 1.17e-6)) (torchmetrics' `MeanAbsolutePercentageError`).
public final class MeanAbsolutePercentageError: Metric {
    public init() { super.init(stateSize: 2) }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        return [zip(p, t).reduce(0) { $0 + Swift.abs($1.0 - $1.1) / Swift.max(Swift.abs($1.1), 1.17e-6) }, Double(p.count)]
    }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0] / s[1])) }
}

/// Mean squared log error, mean((log(1 + ŷ) - log(1 + y))²) (torchmetrics' `MeanSquaredLogError`).
public final class MeanSquaredLogError: Metric {
    public init() { super.init(stateSize: 2) }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        return [zip(p, t).reduce(0) { let d = Foundation.log1p($1.0) - Foundation.log1p($1.1); return $0 + d * d }, Double(p.count)]
    }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0] / s[1])) }
}

/// Pearson's correlation of preds and target (torchmetrics' `PearsonCorrCoef`), clamped to [-1, 1].
public final class PearsonCorrCoef: Metric {
    public init() { super.init(stateSize: 6) }
    /// [n, Σx, Σy, Σx², Σy², Σxy]
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        var s = [Double(p.count), 0, 0, 0, 0, 0]
        for (x, y) in zip(p, t) { s[1] += x; s[2] += y; s[3] += x * x; s[4] += y * y; s[5] += x * y }
        return s
    }
    public override func compute(from s: [Double]) -> Tensor {
        let n = s[0]
        let cov = s[5] - s[1] * s[2] / n, vx = s[3] - s[1] * s[1] / n, vy = s[4] - s[2] * s[2] / n
        if vx <= 0 || vy <= 0 { warnOnce("The variance of predictions or target is close to zero. This can cause instability in Pearson correlation coefficient, leading to wrong results.") }
        return Tensor(Float(clampCorrelation(cov / (vx * vy).squareRoot())))
    }
}

/// Spearman's rank correlation (torchmetrics' `SpearmanCorrCoef`): Pearson's correlation of the ranks (ties share
/// their mean rank), with torchmetrics' 1e-6 in the denominator. Keeps every value.
public final class SpearmanCorrCoef: Metric {
    public init() { super.init(stateSize: 2) }
    public override var stateReduction: StateReduction { .cat }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        return zip(p, t).flatMap { [$0, $1] }
    }
    public override func compute(from s: [Double]) -> Tensor {
        let n = s.count / 2
        let rp = averageRanks((0..<n).map { s[2 * $0] }), rt = averageRanks((0..<n).map { s[2 * $0 + 1] })
        let mp = rp.reduce(0, +) / Double(n), mt = rt.reduce(0, +) / Double(n)
        var cov = 0.0, vp = 0.0, vt = 0.0
        for i in 0..<n { cov += (rp[i] - mp) * (rt[i] - mt); vp += (rp[i] - mp) * (rp[i] - mp); vt += (rt[i] - mt) * (rt[i] - mt) }
        let d = Double(n)
        let r = (cov / d) / ((vp / d).squareRoot() * (vt / d).squareRoot() + 1e-6)
        return Tensor(Float(clampCorrelation(r)))
    }
}

/// A correlation clamped to [-1, 1], NaN kept (as `torch.clamp`).
func clampCorrelation(_ r: Double) -> Double { r.isNaN ? r : Swift.max(-1, Swift.min(1, r)) }

/// 1-based ranks, ties given their mean rank.
func averageRanks(_ v: [Double]) -> [Double] {
    let order = v.indices.sorted { v[$0] < v[$1] }
    var ranks = [Double](repeating: 0, count: v.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
        for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
        i = j + 1
    }
    return ranks
}

/// The explained variance, 1 - Var(y - ŷ) / Var(y) (torchmetrics' `ExplainedVariance`, one output).
public final class ExplainedVariance: Metric {
    public init() { super.init(stateSize: 5) }
    /// [n, Σ(y - ŷ), Σ(y - ŷ)², Σy, Σy²]
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let (p, t) = regressionPair(preds, target, typeName)
        var s = [Double(p.count), 0, 0, 0, 0]
        for (x, y) in zip(p, t) { s[1] += y - x; s[2] += (y - x) * (y - x); s[3] += y; s[4] += y * y }
        return s
    }
    public override func compute(from s: [Double]) -> Tensor {
        let n = s[0], diffAvg = s[1] / n, targetAvg = s[3] / n
        let numerator = s[2] / n - diffAvg * diffAvg, denominator = s[4] / n - targetAvg * targetAvg
        if numerator != 0 && denominator != 0 { return Tensor(Float(1 - numerator / denominator)) }
        return Tensor(Float(numerator != 0 ? 0 : 1))
    }
}

// MARK: - Scores from stat counts

/// Specificity, tn / (tn + fp) (torchmetrics' `Specificity`).
public final class Specificity: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "Specificity" }
    public override func compute(from s: [Double]) -> Tensor { reduce(s) { _, fp, tn, _ in tn / (tn + fp) } }
}

/// The F-beta score, (1 + β²)·tp / ((1 + β²)·tp + β²·fn + fp) (torchmetrics' `FBetaScore`).
public final class FBetaScore: StatScoresMetric {
    public let beta: Double
    public init(task: ClassificationTask, beta: Double = 1, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1,
                ignoreIndex: Int? = nil) {
        if !(beta > 0) { fail("Expected argument `beta` to be a float larger than 0, but got \(beta).") }
        self.beta = beta
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "FBetaScore" }
    public override func compute(from s: [Double]) -> Tensor {
        let b2 = Float(beta * beta)
        return reduce(s) { tp, fp, _, fn in (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) }
    }
}

/// The Jaccard index (intersection over union), tp / (tp + fp + fn) (torchmetrics' `JaccardIndex`; macro by default).
public final class JaccardIndex: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .macro, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: 1)
    }
    override var typeName: String { taskPrefix + "JaccardIndex" }
    public override func compute(from s: [Double]) -> Tensor {
        // torchmetrics' _jaccard_index_reduce: an ignored class that is a real class weighs nothing (macro) and its
        // union leaves the denominator (micro)
        guard case .multiclass = task, let ig = ignoreIndex, ig >= 0 && ig < classes, average == .macro || average == .micro else {
            return reduce(s) { tp, fp, _, fn in tp / (tp + fp + fn) }
        }
        let union = (0..<classes).map { c -> Float in let k = stats(s, c); return Float(k.tp + k.fp + k.fn) }
        let inter = (0..<classes).map { Float(stats(s, $0).tp) }
        if average == .micro {
            let denom = union.reduce(0, +) - union[ig]
            return Tensor(denom == 0 ? 0 : inter.reduce(0, +) / denom)
        }
        var weights = union.map { $0 == 0 ? Float(0) : 1 }
        weights[ig] = 0
        let total = weights.reduce(0, +)
        var out: Float = 0
        for c in 0..<classes where total > 0 { out += weights[c] * (union[c] == 0 ? 0 : inter[c] / union[c]) / total }
        return Tensor(out)
    }
}

// MARK: - Scores from the confusion matrix

/// A metric computed from the confusion matrix (summed over labels for `.multilabel`).
public class ConfusionMatrixScore: Metric {
    public let task: ClassificationTask
    private struct Hidden { let matrix: ConfusionMatrix }
    private let hidden: Hidden
    init(task: ClassificationTask, threshold: Double, ignoreIndex: Int?) {
        self.task = task
        hidden = Hidden(matrix: ConfusionMatrix(task: task, threshold: threshold, ignoreIndex: ignoreIndex))
        super.init(stateSize: hidden.matrix.stateSize)
    }
    var taskPrefix: String { task.prefix }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] { hidden.matrix.batchState(preds, target) }
    /// The (C, C) matrix, rows targets and columns predictions.
    func matrix(_ s: [Double]) -> (c: Int, m: [Double]) {
        if case .multilabel = task {
            var m = [Double](repeating: 0, count: 4)
            for (i, v) in s.enumerated() { m[i % 4] += v }
            return (2, m)
        }
        let c = Int(Double(s.count).squareRoot())
        return (c, s)
    }
    /// The (C, C) matrix's row sums (targets per class) and column sums (predictions per class).
    func marginals(_ c: Int, _ m: [Double]) -> (rows: [Double], cols: [Double]) {
        ((0..<c).map { r in (0..<c).reduce(0.0) { $0 + m[r * c + $1] } }, (0..<c).map { k in (0..<c).reduce(0.0) { $0 + m[$1 * c + k] } })
    }
}

/// Matthews' correlation coefficient (torchmetrics' `MatthewsCorrCoef`), with its special cases for perfect and
/// degenerate binary matrices.
public final class MatthewsCorrCoef: ConfusionMatrixScore {
    public override init(task: ClassificationTask, threshold: Double = 0.5, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, ignoreIndex: ignoreIndex)
    }
    override var typeName: String { taskPrefix + "MatthewsCorrCoef" }
    public override func compute(from s: [Double]) -> Tensor {
        let (c, m) = matrix(s)
        if c == 2 {
            let (tn, fp, fn, tp) = (m[0], m[1], m[2], m[3])
            if tp + tn != 0 && fp + fn == 0 { return Tensor(Float(1)) }
            if tp + tn == 0 && fp + fn != 0 { return Tensor(Float(-1)) }
        }
        let (tk, pk) = marginals(c, m)
        let trace = (0..<c).reduce(0.0) { $0 + m[$1 * c + $1] }, total = m.reduce(0, +)
        var numerator = trace * total - zip(tk, pk).reduce(0) { $0 + $1.0 * $1.1 }
        var denom = (total * total - pk.reduce(0) { $0 + $1 * $1 }) * (total * total - tk.reduce(0) { $0 + $1 * $1 })
        if denom == 0 {
            guard c == 2 else { return Tensor(Float(0)) }
            let (tn, fp, fn, tp) = (m[0], m[1], m[2], m[3])
            let a = tp == 0 || tn == 0 ? tp + tn : 0, b = fp == 0 || fn == 0 ? fp + fn : 0
            let eps = Double(Float.ulpOfOne)
            numerator = eps.squareRoot() * (a - b)
            denom = (tp + fp + eps) * (tp + fn + eps) * (tn + fp + eps) * (tn + fn + eps)
        }
        return Tensor(Float(numerator / denom.squareRoot()))
    }
}

/// Cohen's kappa, agreement beyond chance (torchmetrics' `CohenKappa`); `weights` nil, "linear" or "quadratic".
public final class CohenKappa: ConfusionMatrixScore {
    public let weights: String?
    public init(task: ClassificationTask, threshold: Double = 0.5, weights: String? = nil, ignoreIndex: Int? = nil) {
        if let w = weights, !["linear", "quadratic", "none"].contains(w) {
            fail("Expected argument `weight` to be one of [None, 'none', 'linear', 'quadratic'] but got \(w)")
        }
        if case .multilabel = task { fail("CohenKappa: task must be binary or multiclass") }
        self.weights = weights == "none" ? nil : weights
        super.init(task: task, threshold: threshold, ignoreIndex: ignoreIndex)
    }
    override var typeName: String { taskPrefix + "CohenKappa" }
    public override func compute(from s: [Double]) -> Tensor {
        let (c, m) = matrix(s)
        let (rows, cols) = marginals(c, m)
        let total = cols.reduce(0, +)
        var observed = 0.0, expected = 0.0
        for r in 0..<c {
            for k in 0..<c {
                let d = Double(Swift.abs(r - k))
                let w = weights == "linear" ? d : weights == "quadratic" ? d * d : (r == k ? 0 : 1)
                observed += w * m[r * c + k]
                expected += w * rows[r] * cols[k] / total
            }
        }
        return Tensor(Float(1 - observed / expected))
    }
}

// MARK: - Curves

/// The curve metrics' state: every (probability, target) record; probabilities from logits by sigmoid (binary) or
/// softmax (multiclass) when a batch has values outside [0, 1], as torchmetrics' formatting does.
public class CurveMetric: Metric {
    public let task: ClassificationTask
    public let ignoreIndex: Int?
    let classes: Int
    init(task: ClassificationTask, ignoreIndex: Int?) {
        self.task = task; self.ignoreIndex = ignoreIndex
        switch task {
        case .binary: classes = 1
        case .multiclass(let c): classes = c
        case .multilabel: fail("multilabel curve metrics are not supported; use one binary metric per label")
        }
        super.init(stateSize: classes + 1)
    }
    public override var stateReduction: StateReduction { .cat }
    var taskPrefix: String { task.prefix }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        let preds = preds.detach(), target = target.detach()
        if target.dtype.isFloatingPoint { fail("\(typeName): expected an integer target, got \(target.dtype)") }
        let t = target.toArray(Int.self)
        var out: [Double] = []
        if classes == 1 {
            if preds.shape != target.shape {
                fail("Expected `preds` and `target` to have the same shape, but got \(shapeString(preds.shape)) and \(shapeString(target.shape)).")
            }
            var p = preds.to(dtype: .float32).toArray(Float.self)
            let kept = t.indices.filter { ignoreIndex == nil || t[$0] != ignoreIndex! }
            if kept.contains(where: { !(p[$0] >= 0 && p[$0] <= 1) }) { p = preds.to(dtype: .float32).sigmoid().toArray(Float.self) }
            for (x, y) in zip(p, t) {
                if let ig = ignoreIndex, y == ig { continue }
                if y != 0 && y != 1 { fail("Detected the following values in `target`: \(y) but expected only the following values [0, 1].") }
                out += [Double(x), Double(y)]
            }
        } else {
            if preds.rank != 2 || preds.shape[1] != classes || preds.shape[0] != t.count {
                fail("Expected `preds` of shape (N, \(classes)) for a target of shape \(shapeString(target.shape)), got \(shapeString(preds.shape))")
            }
            var p = preds.to(dtype: .float32).toArray(Float.self)
            let kept = t.indices.filter { ignoreIndex == nil || t[$0] != ignoreIndex! }
            if kept.contains(where: { i in p[(i * classes)..<((i + 1) * classes)].contains { !($0 >= 0 && $0 <= 1) } }) {
                p = preds.to(dtype: .float32).softmax(dim: 1).toArray(Float.self)
            }
            for (i, y) in t.enumerated() {
                if let ig = ignoreIndex, y == ig { continue }
                if y < 0 || y >= classes { fail("Detected more unique values in `target` than expected. Expected only \(classes) but found a value \(y) in `target`.") }
                out += p[(i * classes)..<((i + 1) * classes)].map(Double.init) + [Double(y)]
            }
        }
        return out
    }
    /// Class `k`'s scores and 0/1 targets (one-vs-rest).
    func binaryColumns(_ s: [Double], _ k: Int) -> (scores: [Float], targets: [Bool]) {
        let w = classes + 1, n = s.count / w
        return ((0..<n).map { Float(s[$0 * w + k]) }, (0..<n).map { classes == 1 ? s[$0 * w + 1] == 1 : Int(s[$0 * w + classes]) == k })
    }
    /// The per-class scores reduced: macro (mean of the defined ones), weighted (by support), or none.
    func reducePerClass(_ s: [Double], _ average: MetricAverage, _ score: ([Float], [Bool]) -> Float) -> Tensor {
        if classes == 1 { let (p, t) = binaryColumns(s, 0); return Tensor(score(p, t)) }
        var res: [Float] = [], support: [Float] = []
        for k in 0..<classes {
            let (p, t) = binaryColumns(s, k)
            res.append(score(p, t))
            support.append(Float(t.filter { $0 }.count))
        }
        if average == .none { return Tensor(res) }
        if res.contains(where: \.isNaN) { warnOnce("Average precision score for one or more classes was `nan`. Ignoring these classes in \(average.rawValue)-average") }
        let defined = res.indices.filter { !res[$0].isNaN }
        if average == .weighted {
            let total = defined.reduce(Float(0)) { $0 + support[$1] }
            return Tensor(defined.reduce(Float(0)) { $0 + res[$1] * (support[$1] / total) })
        }
        return Tensor(defined.reduce(Float(0)) { $0 + res[$1] } / Float(defined.count))
    }
}

/// torchmetrics' `_binary_clf_curve`: scores sorted descending, and at each distinct score the false and true
/// positives counted so far and the score itself.
func binaryClfCurve(_ scores: [Float], _ targets: [Bool]) -> (fps: [Float], tps: [Float], thresholds: [Float]) {
    let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var fps: [Float] = [], tps: [Float] = [], thresholds: [Float] = []
    var tp = 0, seen = 0
    for (k, i) in order.enumerated() {
        seen += 1
        if targets[i] { tp += 1 }
        if k + 1 == order.count || scores[order[k + 1]] != scores[i] {
            tps.append(Float(tp)); fps.append(Float(seen - tp)); thresholds.append(scores[i])
        }
    }
    return (fps, tps, thresholds)
}

/// The ROC curve of one class: (fpr, tpr, thresholds), starting at (0, 0) with threshold 1.
func rocCurve(_ scores: [Float], _ targets: [Bool]) -> (fpr: [Float], tpr: [Float], thresholds: [Float]) {
    let c = binaryClfCurve(scores, targets)
    let fps = [0] + c.fps, tps = [0] + c.tps
    let fpr = fps.last! > 0 ? fps.map { $0 / fps.last! } : [Float](repeating: 0, count: fps.count)
    let tpr = tps.last! > 0 ? tps.map { $0 / tps.last! } : [Float](repeating: 0, count: tps.count)
    if fps.last! <= 0 { warnOnce("No negative samples in targets, false positive value should be meaningless. Returning zero tensor in false positive score") }
    if tps.last! <= 0 { warnOnce("No positive samples in targets, true positive value should be meaningless. Returning zero tensor in true positive score") }
    return (fpr, tpr, [1] + c.thresholds)
}

/// The precision-recall curve of one class: (precision, recall, thresholds), thresholds ascending, ending at (1, 0).
func precisionRecallCurve(_ scores: [Float], _ targets: [Bool]) -> (precision: [Float], recall: [Float], thresholds: [Float]) {
    let c = binaryClfCurve(scores, targets)
    let precision = zip(c.tps, c.fps).map { $0 + $1 == 0 ? 0 : $0 / ($0 + $1) }
    let recall = c.tps.map { $0 / c.tps.last! }
    return (precision.reversed() + [1], recall.reversed() + [0], c.thresholds.reversed())
}

/// A curve metric reduced over classes by `average` (macro, weighted or none).
public class AveragedCurveMetric: CurveMetric {
    public let average: MetricAverage
    init(task: ClassificationTask, average: MetricAverage, ignoreIndex: Int?, name: String) {
        if average == .micro { fail("\(name): average must be macro, weighted or none") }
        self.average = average
        super.init(task: task, ignoreIndex: ignoreIndex)
    }
}

/// The area under the ROC curve (torchmetrics' `AUROC`, exact thresholds): binary, or one-vs-rest per class for
/// `.multiclass` reduced by `average` (macro by default). Keeps every score.
public final class AUROC: AveragedCurveMetric {
    public init(task: ClassificationTask, average: MetricAverage = .macro, ignoreIndex: Int? = nil) {
        super.init(task: task, average: average, ignoreIndex: ignoreIndex, name: "AUROC")
    }
    override var typeName: String { taskPrefix + "AUROC" }
    public override func compute(from s: [Double]) -> Tensor {
        reducePerClass(s, average) { p, t in
            let r = rocCurve(p, t)
            var area: Float = 0
            for i in 1..<r.fpr.count { area += (r.fpr[i] - r.fpr[i - 1]) * (r.tpr[i] + r.tpr[i - 1]) / 2 }
            return area
        }
    }
}

/// Average precision, the area under the precision-recall curve as a step sum (torchmetrics' `AveragePrecision`,
/// exact thresholds): binary, or per class for `.multiclass` reduced by `average` (macro by default).
public final class AveragePrecision: AveragedCurveMetric {
    public init(task: ClassificationTask, average: MetricAverage = .macro, ignoreIndex: Int? = nil) {
        super.init(task: task, average: average, ignoreIndex: ignoreIndex, name: "AveragePrecision")
    }
    override var typeName: String { taskPrefix + "AveragePrecision" }
    public override func compute(from s: [Double]) -> Tensor {
        reducePerClass(s, average) { p, t in
            let c = precisionRecallCurve(p, t)
            var ap: Float = 0
            for i in 0..<(c.recall.count - 1) { ap += (c.recall[i + 1] - c.recall[i]) * c.precision[i] }
            return -ap
        }
    }
}

/// The binary ROC curve (torchmetrics' `ROC(task="binary")`): `curve()` gives (fpr, tpr, thresholds), thresholds
/// descending from 1; `compute()` gives them stacked as a (3, K) tensor.
public final class ROC: CurveMetric {
    public override init(task: ClassificationTask = .binary, ignoreIndex: Int? = nil) {
        if task != .binary { fail("ROC: only the binary curve is supported; use one ROC per class") }
        super.init(task: task, ignoreIndex: ignoreIndex)
    }
    override var typeName: String { "BinaryROC" }
    /// (fpr, tpr, thresholds) over everything since the last reset.
    public func curve() -> (fpr: Tensor, tpr: Tensor, thresholds: Tensor) {
        let c = compute()
        return (c[0], c[1], c[2])
    }
    public override func compute(from s: [Double]) -> Tensor {
        let (p, t) = binaryColumns(s, 0)
        let r = rocCurve(p, t)
        return Tensor(flat: r.fpr + r.tpr + r.thresholds, shape: [3, r.fpr.count])
    }
}

/// The binary precision-recall curve (torchmetrics' `PrecisionRecallCurve(task="binary")`): `curve()` gives
/// (precision, recall, thresholds) with one threshold fewer than points; `compute()` gives precision and recall
/// stacked as a (2, K) tensor.
public final class PrecisionRecallCurve: CurveMetric {
    public override init(task: ClassificationTask = .binary, ignoreIndex: Int? = nil) {
        if task != .binary { fail("PrecisionRecallCurve: only the binary curve is supported; use one curve per class") }
        super.init(task: task, ignoreIndex: ignoreIndex)
    }
    override var typeName: String { "BinaryPrecisionRecallCurve" }
    /// (precision, recall, thresholds) over everything since the last reset.
    public func curve() -> (precision: Tensor, recall: Tensor, thresholds: Tensor) {
        let (p, t) = binaryColumns(syncedState(), 0)
        let c = precisionRecallCurve(p, t)
        return (Tensor(c.precision), Tensor(c.recall), Tensor(c.thresholds))
    }
    public override func compute(from s: [Double]) -> Tensor {
        let (p, t) = binaryColumns(s, 0)
        let c = precisionRecallCurve(p, t)
        return Tensor(flat: c.precision + c.recall, shape: [2, c.precision.count])
    }
}

// MARK: - Aggregation

/// Aggregates values: `update(value)` with a number or a tensor; NaNs are dropped with a warning (torchmetrics'
/// `nan_strategy="warn"`).
public class AggregationMetric: Metric {
    /// Adds every element of `value`.
    @_disfavoredOverload public func update(_ value: Tensor) { add(batchState(value, value)) }
    /// Adds `value`.
    public func update(_ value: Double) { add(values([value])) }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] { values(preds.detach().toDoubles()) }
    /// Adds `value` and returns the aggregate of this batch alone (torchmetrics' `metric(value)`).
    public override func forward(_ value: Tensor) -> Tensor { addBatch(values(value.detach().toDoubles())) }
    func values(_ v: [Double]) -> [Double] {
        let kept = v.filter { !$0.isNaN }
        if kept.count != v.count { warnOnce("Encountered `nan` values in tensor. Will be removed.") }
        return fold(kept)
    }
    func fold(_ v: [Double]) -> [Double] { v }
}

/// The sum of every value (torchmetrics' `SumMetric`).
public final class SumMetric: AggregationMetric {
    public init() { super.init(stateSize: 1) }
    override func fold(_ v: [Double]) -> [Double] { [v.reduce(0, +)] }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0])) }
}

/// The largest value (torchmetrics' `MaxMetric`; -inf before any).
public final class MaxMetric: AggregationMetric {
    public init() { super.init(stateSize: 1) }
    public override var stateReduction: StateReduction { .max }
    override func fold(_ v: [Double]) -> [Double] { [v.max() ?? -.infinity] }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0])) }
}

/// The smallest value (torchmetrics' `MinMetric`; inf before any).
public final class MinMetric: AggregationMetric {
    public init() { super.init(stateSize: 1) }
    public override var stateReduction: StateReduction { .min }
    override func fold(_ v: [Double]) -> [Double] { [v.min() ?? .infinity] }
    public override func compute(from s: [Double]) -> Tensor { Tensor(Float(s[0])) }
}

/// Every value, concatenated in order (torchmetrics' `CatMetric`).
public final class CatMetric: AggregationMetric {
    public init() { super.init(stateSize: 1) }
    public override var stateReduction: StateReduction { .cat }
    public override func compute(from s: [Double]) -> Tensor { Tensor(flat: s.map { Float($0) }, shape: [s.count]) }
}

// MARK: - Functional forms (torchmetrics.functional): one batch, no state kept

/// The AUROC of one batch (torchmetrics' `functional.auroc`).
public func auroc(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, average: MetricAverage = .macro, ignoreIndex: Int? = nil) -> Tensor {
    AUROC(task: task, average: average, ignoreIndex: ignoreIndex)(preds, target)
}
/// The average precision of one batch (torchmetrics' `functional.average_precision`).
public func averagePrecision(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, average: MetricAverage = .macro,
                             ignoreIndex: Int? = nil) -> Tensor {
    AveragePrecision(task: task, average: average, ignoreIndex: ignoreIndex)(preds, target)
}
/// The specificity of one batch (torchmetrics' `functional.specificity`).
public func specificity(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro,
                        topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    Specificity(task: task, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The F-beta score of one batch (torchmetrics' `functional.fbeta_score`).
public func fbetaScore(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, beta: Double = 1, threshold: Double = 0.5,
                       average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    FBetaScore(task: task, beta: beta, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The Jaccard index of one batch (torchmetrics' `functional.jaccard_index`).
public func jaccardIndex(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .macro,
                         ignoreIndex: Int? = nil) -> Tensor {
    JaccardIndex(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex)(preds, target)
}
/// Matthews' correlation coefficient of one batch (torchmetrics' `functional.matthews_corrcoef`).
public func matthewsCorrcoef(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5, ignoreIndex: Int? = nil) -> Tensor {
    MatthewsCorrCoef(task: task, threshold: threshold, ignoreIndex: ignoreIndex)(preds, target)
}
/// Cohen's kappa of one batch (torchmetrics' `functional.cohen_kappa`).
public func cohenKappa(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5, weights: String? = nil,
                       ignoreIndex: Int? = nil) -> Tensor {
    CohenKappa(task: task, threshold: threshold, weights: weights, ignoreIndex: ignoreIndex)(preds, target)
}
/// R² of one batch (torchmetrics' `functional.r2_score`).
public func r2Score(_ preds: Tensor, _ target: Tensor, adjusted: Int = 0, multioutput: String = "uniform_average") -> Tensor {
    R2Score(numOutputs: preds.rank == 2 ? preds.shape[1] : 1, adjusted: adjusted, multioutput: multioutput)(preds, target)
}
/// The mean squared error of one batch (torchmetrics' `functional.mean_squared_error`).
public func meanSquaredError(_ preds: Tensor, _ target: Tensor, squared: Bool = true) -> Tensor { MeanSquaredError(squared: squared)(preds, target) }
/// The mean absolute error of one batch (torchmetrics' `functional.mean_absolute_error`).
public func meanAbsoluteError(_ preds: Tensor, _ target: Tensor) -> Tensor { MeanAbsoluteError()(preds, target) }
/// The mean absolute percentage error of one batch (torchmetrics' `functional.mean_absolute_percentage_error`).
public func meanAbsolutePercentageError(_ preds: Tensor, _ target: Tensor) -> Tensor { MeanAbsolutePercentageError()(preds, target) }
/// Pearson's correlation of one batch (torchmetrics' `functional.pearson_corrcoef`).
public func pearsonCorrcoef(_ preds: Tensor, _ target: Tensor) -> Tensor { PearsonCorrCoef()(preds, target) }
/// Spearman's rank correlation of one batch (torchmetrics' `functional.spearman_corrcoef`).
public func spearmanCorrcoef(_ preds: Tensor, _ target: Tensor) -> Tensor { SpearmanCorrCoef()(preds, target) }

// MARK: - MetricCollection

/// Several metrics updated and computed together (torchmetrics' `MetricCollection`). From a list the
/// keys are the metrics' class names as torchmetrics prints them (`MulticlassAccuracy`); from pairs,
/// the given names. `prefix` and `postfix` wrap every key of the results (`val_MulticlassAccuracy`).
public final class MetricCollection: Module {
    private var entries: [(String, Metric)]
    /// Put before every result key (`"val_"`).
    public let prefix: String?
    /// Put after every result key.
    public let postfix: String?

    /// The metrics keyed by their class names (two of the same class stop, as in torchmetrics).
    public init(_ metrics: [Metric], prefix: String? = nil, postfix: String? = nil) {
        var e: [(String, Metric)] = []
        for m in metrics {
            if e.contains(where: { $0.0 == m.typeName }) {
                fail("Encountered two metrics both named \(m.typeName)")
            }
            e.append((m.typeName, m))
        }
        entries = e; self.prefix = prefix; self.postfix = postfix
        super.init()
    }
    /// The metrics under the given names, in order (torchmetrics' dict form).
    public init(_ metrics: KeyValuePairs<String, Metric>, prefix: String? = nil, postfix: String? = nil) {
        entries = metrics.map { ($0.key, $0.value) }; self.prefix = prefix; self.postfix = postfix
        super.init()
        for (k, _) in entries { checkModuleName(k) }
    }
    public override func namedChildren() -> [(String, Module)] { entries.map { ($0.0, $0.1 as Module) } }
    public override func namedDirectParameters() -> [(String, Parameter)] { [] }

    private func key(_ base: String) -> String { (prefix ?? "") + base + (postfix ?? "") }
    /// The result keys (with prefix and postfix), or the names the metrics were given with `keepBase`.
    public func keys(keepBase: Bool = false) -> [String] { entries.map { keepBase ? $0.0 : key($0.0) } }
    /// The metric under its base name (`collection["acc"]`), or nil.
    public subscript(name: String) -> Metric? { entries.first { $0.0 == name }?.1 }
    /// Adds a batch to every metric and returns each one's value on this batch (torchmetrics' `forward`).
    public func callAsFunction(_ preds: Tensor, _ target: Tensor) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, m) in entries { out[key(k)] = m(preds, target) }
        return out
    }
    /// Adds a batch to every metric.
    public func update(_ preds: Tensor, _ target: Tensor) { for (_, m) in entries { m.update(preds, target) } }
    /// Every metric over the batches since the last reset.
    public func compute() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, m) in entries { out[key(k)] = m.compute() }
        return out
    }
    /// Clears every metric.
    public func reset() { for (_, m) in entries { m.reset() } }
    /// torchmetrics' repr: the metrics, then the prefix and postfix.
    public override var description: String {
        let base = super.description
        guard prefix != nil || postfix != nil, base.hasSuffix("\n)") else { return base }
        var s = String(base.dropLast(2))
        if let p = prefix { s += ",\n  prefix=\(p)" + (postfix != nil ? "," : "") }
        if let p = postfix { s += ",\n  postfix=\(p)" }
        return s + "\n)"
    }
}
