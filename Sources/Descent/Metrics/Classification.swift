/// What a classification metric classifies (torchmetrics' `task` with `num_classes` / `num_labels`).
public enum ClassificationTask: Sendable, Equatable {
    var isMultilabel: Bool { if case .multilabel = self { return true } else { return false } }
    /// The prefix torchmetrics' task classes print with: `Binary`, `Multiclass`, `Multilabel`.
    var prefix: String { switch self { case .binary: "Binary"; case .multiclass: "Multiclass"; case .multilabel: "Multilabel" } }
    /// One probability or logit (or a 0/1 label) per sample.
    case binary
    /// One of `numClasses` classes per sample: logits/probabilities (N, C, ...) or class indices (N, ...).
    case multiclass(numClasses: Int)
    /// `numLabels` independent yes/no labels per sample: (N, L) probabilities or logits.
    case multilabel(numLabels: Int)
}

/// How per-class scores are combined (torchmetrics' `average`).
public enum MetricAverage: String, Sendable {
    /// Counts summed over classes, then one score.
    case micro
    /// The mean of per-class scores (classes that never occur in preds or target are left out).
    case macro
    /// Per-class scores weighted by each class's support.
    case weighted
    /// One score per class.
    case none
}

/// Accuracy, precision, recall, F1 and the confusion matrix share one state: true/false positives
/// and negatives per class (torchmetrics' stat scores), laid out as [tp, fp, tn, fn] per class.
open class StatScoresMetric: Metric {
    public let task: ClassificationTask
    public let threshold: Double
    public let average: MetricAverage
    public let ignoreIndex: Int?
    public let topK: Int
    let classes: Int

    init(task: ClassificationTask, threshold: Double, average: MetricAverage, ignoreIndex: Int?, topK: Int) {
        self.task = task; self.threshold = threshold; self.average = average; self.ignoreIndex = ignoreIndex; self.topK = topK
        switch task {
        case .binary: classes = 1
        case .multiclass(let c):
            if c < 2 { fail("Expected argument `num_classes` to be an integer larger than 1, but got \(c)") }
            classes = c
        case .multilabel(let l):
            if l < 2 { fail("Expected argument `num_labels` to be an integer larger than 1, but got \(l)") }
            classes = l
        }
        if topK < 1 { fail("Expected argument `top_k` to be an integer larger than or equal to 1, but got \(topK)") }
        super.init(stateSize: 4 * classes)
    }

    var isMultilabel: Bool { task.isMultilabel }

    var taskPrefix: String { task.prefix }

    /// [tp, fp, tn, fn] per class for one batch.
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        var s = [Double](repeating: 0, count: 4 * classes)
        func count(_ c: Int, predicted: Bool, actual: Bool) {
            s[4 * c + (predicted ? (actual ? 0 : 1) : (actual ? 3 : 2))] += 1
        }
        let preds = preds.detach(), target = target.detach()
        if target.dtype.isFloatingPoint && task != .binary {
            fail("\(typeName): expected an integer target, got \(target.dtype)")
        }
        switch task {
        case .binary, .multilabel:
            if preds.shape != target.shape {
                fail("Expected `preds` and `target` to have the same shape, but got \(shapeString(preds.shape)) and \(shapeString(target.shape)).")
            }
            var p = preds.toDoubles()
            if preds.dtype.isFloatingPoint {
                // Values outside [0, 1] are logits (torchmetrics applies sigmoid then).
                if p.contains(where: { $0 < 0 || $0 > 1 }) { p = preds.sigmoid().toDoubles() }
                p = p.map { $0 > threshold ? 1 : 0 }
            }
            let t = target.toDoubles()
            let width = task == .binary ? 1 : classes
            if isMultilabel && (preds.rank < 2 || preds.shape[1] != classes) {
                fail("Expected `preds` of shape (N, \(classes), ...), got \(shapeString(preds.shape))")
            }
            // (N, L, ...) labels: element i belongs to label (i / inner) % L.
            let inner = task == .binary ? 1 : preds.shape.dropFirst(2).reduce(1, *)
            for i in p.indices {
                if let ig = ignoreIndex, Int(t[i]) == ig { continue }
                if t[i] != 0 && t[i] != 1 { fail("Detected the following values in `target`: \(t[i]) but expected only the following values [0, 1].") }
                count((i / inner) % width, predicted: p[i] == 1, actual: t[i] == 1)
            }
        case .multiclass:
            let labels: [Int]
            var scores: [Double] = []
            if preds.dtype.isFloatingPoint && preds.rank == target.rank + 1 {
                if preds.shape[1] != classes {
                    fail("Expected `preds.shape[1]` to be equal to the number of classes but got \(preds.shape[1]) and \(classes).")
                }
                var expected = target.shape; expected.insert(classes, at: 1)
                if preds.shape != expected {
                    fail("Expected the shape of `preds` to be (N, C, ...) = \(shapeString(expected)) for a target of shape \(shapeString(target.shape)), got \(shapeString(preds.shape))")
                }
                // (N, C, d...) -> (N*d..., C) rows of class scores
                let rows = preds.rank > 2 ? preds.movedim(1, -1).reshape(-1, classes) : preds
                labels = rows.argmax(dim: 1).toArray(Int.self)
                if topK > 1 { scores = rows.toDoubles() }
            } else {
                if preds.shape != target.shape {
                    fail("Expected `preds` and `target` to have the same shape, but got \(shapeString(preds.shape)) and \(shapeString(target.shape)).")
                }
                if topK > 1 { fail("\(typeName): top_k > 1 needs class scores (N, C), not labels") }
                labels = preds.toArray(Int.self)
            }
            let t = target.toArray(Int.self)
            for (i, y) in t.enumerated() {
                if let ig = ignoreIndex, y == ig { continue }
                if y < 0 || y >= classes { fail("Detected more unique values in `target` than expected. Expected only \(classes) but found a value \(y) in `target`.") }
                var predicted = labels[i]
                if predicted < 0 || predicted >= classes { fail("Detected more unique values in `preds` than expected. Expected only \(classes) but found a value \(predicted) in `preds`.") }
                if topK > 1 {
                    // correct when the target's score is among the k largest
                    let row = scores[(i * classes)..<((i + 1) * classes)]
                    let higher = row.filter { $0 > row[row.startIndex + y] }.count
                    if higher < topK { predicted = y }
                }
                for c in 0..<classes { count(c, predicted: predicted == c, actual: y == c) }
            }
        }
        return s
    }

    /// (tp, fp, tn, fn) of class c.
    func stats(_ s: [Double], _ c: Int) -> (tp: Double, fp: Double, tn: Double, fn: Double) { (s[4 * c], s[4 * c + 1], s[4 * c + 2], s[4 * c + 3]) }

    /// Reduces per-class scores as `average` says; `micro` is the score of the summed counts. Like
    /// torchmetrics, scores are float32 quotients (0 where the denominator is 0) and the average is
    /// the float32 sum of weight * score / total weight.
    func reduce(_ s: [Double], _ score: (Float, Float, Float, Float) -> Float) -> Tensor {
        func safe(_ x: Float) -> Float { x.isNaN ? 0 : x }
        if classes == 1 || average == .micro {
            var tp = 0.0, fp = 0.0, tn = 0.0, fn = 0.0
            for c in 0..<classes { let k = stats(s, c); tp += k.tp; fp += k.fp; tn += k.tn; fn += k.fn }
            return Tensor(safe(score(Float(tp), Float(fp), Float(tn), Float(fn))))
        }
        let per = (0..<classes).map { c -> Float in let k = stats(s, c); return safe(score(Float(k.tp), Float(k.fp), Float(k.tn), Float(k.fn))) }
        if average == .none { return Tensor(per) }
        var weights = [Float](repeating: 1, count: classes)
        for c in 0..<classes {
            let k = stats(s, c)
            if average == .weighted { weights[c] = Float(k.tp + k.fn) }
            else if !isMultilabel && (topK == 1 ? k.tp + k.fp + k.fn == 0 : k.tp + k.fn == 0) { weights[c] = 0 }  // a class seen nowhere does not count
        }
        let total = weights.reduce(Float(0), +)
        var out: Float = 0
        for c in 0..<classes { out += total == 0 ? 0 : (weights[c] * per[c]) / total }
        return Tensor(out)
    }
}

/// Classification accuracy (torchmetrics' `Accuracy`; prints as `MulticlassAccuracy()` etc.).
/// `compute()` is a float32 scalar tensor; the default `average` is `.micro`, the fraction correct.
public final class Accuracy: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "Accuracy" }
    public override func compute(from s: [Double]) -> Tensor {
        switch task {
        case .multiclass: return reduce(s) { tp, _, _, fn in tp / (tp + fn) }
        case .binary, .multilabel: return reduce(s) { tp, fp, tn, fn in (tp + tn) / (tp + fp + tn + fn) }
        }
    }
}

/// Precision, tp / (tp + fp) (torchmetrics' `Precision`).
public final class Precision: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "Precision" }
    public override func compute(from s: [Double]) -> Tensor { reduce(s) { tp, fp, _, _ in tp / (tp + fp) } }
}

/// Recall, tp / (tp + fn) (torchmetrics' `Recall`).
public final class Recall: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "Recall" }
    public override func compute(from s: [Double]) -> Tensor { reduce(s) { tp, _, _, fn in tp / (tp + fn) } }
}

/// F1 score, 2tp / (2tp + fp + fn) (torchmetrics' `F1Score`).
public final class F1Score: StatScoresMetric {
    public init(task: ClassificationTask, threshold: Double = 0.5, average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) {
        super.init(task: task, threshold: threshold, average: average, ignoreIndex: ignoreIndex, topK: topK)
    }
    override var typeName: String { taskPrefix + "F1Score" }
    public override func compute(from s: [Double]) -> Tensor { reduce(s) { tp, fp, _, fn in 2 * tp / (2 * tp + fp + fn) } }
}

/// The confusion matrix (torchmetrics' `ConfusionMatrix`): rows are targets, columns predictions;
/// an int64 (C, C) tensor for `.multiclass`, (2, 2) for `.binary` and (L, 2, 2) for `.multilabel`
/// ([[tn, fp], [fn, tp]] per label). `normalize` is torchmetrics': `"true"` (over each row),
/// `"pred"` (over each column), `"all"`, or nil / `"none"`; normalized matrices are float32.
public final class ConfusionMatrix: Metric {
    public let task: ClassificationTask
    public let normalize: String?
    /// The binary counts come from an Accuracy kept out of the module tree (it is not a child).
    private struct Hidden { let scores: StatScoresMetric }
    private let hidden: Hidden
    var scores: StatScoresMetric { hidden.scores }
    let classes: Int
    public init(task: ClassificationTask, threshold: Double = 0.5, ignoreIndex: Int? = nil, normalize: String? = nil) {
        if let n = normalize, !["true", "pred", "all", "none"].contains(n) {
            fail("Argument `normalize` needs to one of the following: ('true', 'pred', 'all', 'none', None)")
        }
        self.task = task
        self.normalize = normalize == "none" ? nil : normalize
        hidden = Hidden(scores: Accuracy(task: task, threshold: threshold, average: .none, ignoreIndex: ignoreIndex))
        switch task {
        case .multiclass(let c): classes = c
        case .binary: classes = 2
        case .multilabel(let l): classes = l
        }
        super.init(stateSize: task.isMultilabel ? 4 * classes : classes * classes)
    }
    override var typeName: String {
        task.prefix + "ConfusionMatrix"
    }
    public override func batchState(_ preds: Tensor, _ target: Tensor) -> [Double] {
        switch task {
        case .binary:
            let s = scores.batchState(preds, target)   // [tp, fp, tn, fn]
            return [s[2], s[1], s[3], s[0]]            // [[tn, fp], [fn, tp]]
        case .multilabel:
            let s = scores.batchState(preds, target)   // [tp, fp, tn, fn] per label
            var m: [Double] = []
            for l in 0..<classes {
                let k = 4 * l
                m += [s[k + 2], s[k + 1], s[k + 3], s[k]]
            }
            return m
        case .multiclass:
            var m = [Double](repeating: 0, count: classes * classes)
            let preds = preds.detach(), target = target.detach()
            let labels = preds.dtype.isFloatingPoint && preds.rank == target.rank + 1
                ? (preds.rank > 2 ? preds.movedim(1, -1).reshape(-1, classes) : preds).argmax(dim: 1).toArray(Int.self)
                : preds.toArray(Int.self)
            let t = target.toArray(Int.self)
            if labels.count != t.count { fail("ConfusionMatrix: \(labels.count) predictions for \(t.count) targets") }
            for (p, y) in zip(labels, t) {
                if let ig = scores.ignoreIndex, y == ig { continue }
                if y < 0 || y >= classes || p < 0 || p >= classes { fail("ConfusionMatrix: class index out of range [0, \(classes)): target \(y), prediction \(p)") }
                m[y * classes + p] += 1
            }
            return m
        }
    }
    public override func compute(from s: [Double]) -> Tensor {
        let n = task.isMultilabel ? 2 : classes
        let shape = task.isMultilabel ? [classes, 2, 2] : [classes, classes]
        guard let mode = normalize else { return Tensor(flat: s.map { Int64($0) }, shape: shape) }
        // float32 quotients, 0 where the sum is 0 (torchmetrics' _safe_divide)
        var out = [Float](repeating: 0, count: s.count)
        for base in stride(from: 0, to: s.count, by: n * n) {
            for r in 0..<n {
                for c in 0..<n {
                    let denom: Double
                    switch mode {
                    case "true": denom = (0..<n).reduce(0) { $0 + s[base + r * n + $1] }
                    case "pred": denom = (0..<n).reduce(0) { $0 + s[base + $1 * n + c] }
                    default: denom = s[base..<(base + n * n)].reduce(0, +)
                    }
                    out[base + r * n + c] = denom == 0 ? 0 : Float(s[base + r * n + c]) / Float(denom)
                }
            }
        }
        return Tensor(flat: out, shape: shape)
    }
}

// MARK: - Functional forms (torchmetrics.functional): one batch, no state kept

/// The accuracy of one batch (torchmetrics' `functional.accuracy`).
public func accuracy(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5,
                     average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    Accuracy(task: task, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The precision of one batch (torchmetrics' `functional.precision`).
public func precision(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5,
                      average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    Precision(task: task, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The recall of one batch (torchmetrics' `functional.recall`).
public func recall(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5,
                   average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    Recall(task: task, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The F1 score of one batch (torchmetrics' `functional.f1_score`).
public func f1Score(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5,
                    average: MetricAverage = .micro, topK: Int = 1, ignoreIndex: Int? = nil) -> Tensor {
    F1Score(task: task, threshold: threshold, average: average, topK: topK, ignoreIndex: ignoreIndex)(preds, target)
}
/// The confusion matrix of one batch (torchmetrics' `functional.confusion_matrix`).
public func confusionMatrix(_ preds: Tensor, _ target: Tensor, task: ClassificationTask, threshold: Double = 0.5,
                            ignoreIndex: Int? = nil, normalize: String? = nil) -> Tensor {
    ConfusionMatrix(task: task, threshold: threshold, ignoreIndex: ignoreIndex, normalize: normalize)(preds, target)
}
