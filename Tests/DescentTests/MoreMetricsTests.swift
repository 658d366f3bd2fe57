import Foundation
import Testing
import Descent

// torchmetrics 1.9 (torch 2.13) values: /tmp/tmref.py, in short
//   torch.manual_seed(0); pb = torch.rand(20); tb = torch.randint(0, 2, (20,)); lm = torch.randn(30, 4)
//   tmc = torch.randint(0, 4, (30,)); rp = torch.randn(25); rt = rp * 0.8 + torch.randn(25) * 0.5; ptie = (pb * 5).round() / 5
// and each metric called once on them (`tm.AUROC(task='binary')(pb, tb)`, ...), as written beside each expectation.

private struct MetricData {
    let pb: Tensor, tb: Tensor, lm: Tensor, tmc: Tensor, rp: Tensor, rt: Tensor, ptie: Tensor
    init() {
        manualSeed(0)
        pb = Tensor.rand(20); tb = Tensor.randint(0, 2, [20]); lm = Tensor.randn(30, 4); tmc = Tensor.randint(0, 4, [30])
        rp = Tensor.randn(25); rt = rp * 0.8 + Tensor.randn(25) * 0.5
        ptie = (pb * 5).round() / 5
    }
}

private func close(_ t: Tensor, _ v: Double, _ tol: Double = 2e-6) -> Bool { Swift.abs(t.item() - v) <= tol }

extension Core {
@Suite struct MoreMetricsTests {
    @Test func theDataIsTorchs() {
        let d = MetricData()
        // pb.tolist()[:3], tb.tolist(), tmc.tolist()[:6]
        #expect(d.pb.toArray(Float.self).prefix(3).elementsEqual([0.49625658988952637, 0.7682217955589294, 0.08847743272781372]))
        #expect(d.tb.toArray(Int.self) == [0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0])
        #expect(d.tmc.toArray(Int.self) == [1, 0, 2, 2, 3, 0, 3, 2, 3, 0, 0, 2, 0, 2, 3, 2, 2, 3, 0, 0, 0, 1, 2, 0, 1, 2, 3, 2, 2, 3])
    }

    @Test func curveMetricsMatchTorchmetrics() {
        let d = MetricData()
        // tm.AUROC(task='binary')(pb, tb), (ptie, tb) -> 0.5729166269302368 0.5677083134651184
        #expect(close(AUROC(task: .binary)(d.pb, d.tb), 0.5729166269302368) && close(AUROC(task: .binary)(d.ptie, d.tb), 0.5677083134651184))
        // tm.AUROC(task='multiclass', num_classes=4, average=...)(lm, tmc): macro 0.432707548, weighted 0.453148603, none below
        #expect(close(AUROC(task: .multiclass(numClasses: 4))(d.lm, d.tmc), 0.432707548))
        #expect(close(AUROC(task: .multiclass(numClasses: 4), average: .weighted)(d.lm, d.tmc), 0.453148603))
        expectValues(AUROC(task: .multiclass(numClasses: 4), average: .none)(d.lm, d.tmc), [0.518518507, 0.296296299, 0.406698585, 0.509316802], atol: 2e-6)
        // tm.AveragePrecision(task='binary')(pb, tb), (ptie, tb); multiclass macro and none
        #expect(close(AveragePrecision(task: .binary)(d.pb, d.tb), 0.7464715242385864) && close(AveragePrecision(task: .binary)(d.ptie, d.tb), 0.7154864072799683))
        #expect(close(AveragePrecision(task: .multiclass(numClasses: 4))(d.lm, d.tmc), 0.2771413326263428))
        expectValues(AveragePrecision(task: .multiclass(numClasses: 4), average: .none)(d.lm, d.tmc), [0.324630946, 0.092768148, 0.395085543, 0.296080709], atol: 2e-6)
        // f, t, th = tm.ROC(task='binary')(ptie, tb)
        let roc = ROC()
        roc.update(d.ptie, d.tb)
        let (f, t, th) = roc.curve()
        expectValues(f, [0.0, 0.0, 0.25, 0.625, 1.0, 1.0], atol: 1e-7)
        expectValues(t, [0.0, 0.25, 0.416666657, 0.666666687, 0.833333313, 1.0], atol: 1e-7)
        expectValues(th, [1.0, 0.800000012, 0.600000024, 0.400000006, 0.200000003, 0.0], atol: 1e-7)
        // p, r, th = tm.PrecisionRecallCurve(task='binary')(ptie, tb)
        let prc = PrecisionRecallCurve()
        prc.update(d.ptie, d.tb)
        let (p, r, pth) = prc.curve()
        expectValues(p, [0.600000024, 0.555555582, 0.615384638, 0.714285731, 1.0, 1.0], atol: 1e-7)
        expectValues(r, [1.0, 0.833333313, 0.666666687, 0.416666657, 0.25, 0.0], atol: 1e-7)
        expectValues(pth, [0.0, 0.200000003, 0.400000006, 0.600000024, 0.800000012], atol: 1e-7)
        // m = tm.AUROC(task='binary'); m.update(pb[:7], tb[:7]); m.update(pb[7:], tb[7:]); m.compute() -> the one-batch value
        let m = AUROC(task: .binary)
        m.update(d.pb[0..<7], d.tb[0..<7]); m.update(d.pb[7..<20], d.tb[7..<20])
        #expect(close(m.compute(), 0.5729166269302368) && m.state.count == 40)
        m.reset()
        #expect(m.state.isEmpty)
        // logits are squashed by sigmoid per batch: the AUROC of a monotone transform is the same
        #expect(close(AUROC(task: .binary)(d.pb * 8 - 4, d.tb), 0.5729166269302368))
        #expect("\(AUROC(task: .binary))" == "BinaryAUROC()" && "\(AUROC(task: .multiclass(numClasses: 4)))" == "MulticlassAUROC()" && "\(ROC())" == "BinaryROC()")
    }

    @Test func regressionMetricsMatchTorchmetrics() {
        let d = MetricData()
        // tm.R2Score()(rp, rt), MeanAbsolutePercentageError, MeanSquaredLogError (on .abs()), PearsonCorrCoef, SpearmanCorrCoef, ExplainedVariance
        #expect(close(R2Score()(d.rp, d.rt), 0.7608228325843811))
        #expect(close(MeanAbsolutePercentageError()(d.rp, d.rt), 3.891420841217041, 4e-6))
        #expect(close(MeanSquaredLogError()(d.rp.abs(), d.rt.abs()), 0.06557174026966095))
        #expect(close(PearsonCorrCoef()(d.rp, d.rt), 0.9127300977706909))
        #expect(close(SpearmanCorrCoef()(d.rp, d.rt), 0.8838461637496948))
        // ties share their mean rank: tm.SpearmanCorrCoef()(tensor([1., 2., 2., 3., 5.]), tensor([2., 1., 4., 4., 3.]))
        #expect(close(SpearmanCorrCoef()(Tensor([1.0, 2.0, 2.0, 3.0, 5.0]), Tensor([2.0, 1.0, 4.0, 4.0, 3.0])), 0.394736647605896))
        #expect(close(ExplainedVariance()(d.rp, d.rt), 0.7655469179153442))
        // two outputs: each column's R² (1 - RSS/TSS by hand), their mean, and raw values
        let p2 = stack([d.rp, d.rt], dim: 1), t2 = stack([d.rt, d.rp], dim: 1)
        let raw = R2Score(numOutputs: 2, multioutput: "raw_values")(p2, t2)
        let r2b = 1 - ((d.rt - d.rp) * (d.rt - d.rp)).sum().item() / ((d.rp - d.rp.mean()) * (d.rp - d.rp.mean())).sum().item()
        expectValues(raw, [0.7608228325843811, r2b], atol: 2e-6)
        #expect(close(R2Score(numOutputs: 2)(p2, t2), (0.7608228325843811 + r2b) / 2))
        // adjusted R² = 1 - (1 - r2)(n - 1)/(n - k - 1)
        #expect(close(R2Score(adjusted: 3)(d.rp, d.rt), 1 - (1 - 0.7608228325843811) * 24 / 21))
        // the functional forms give the same one-batch values
        #expect(close(r2Score(d.rp, d.rt), 0.7608228325843811) && close(pearsonCorrcoef(d.rp, d.rt), 0.9127300977706909))
        #expect(close(spearmanCorrcoef(d.rp, d.rt), 0.8838461637496948) && close(auroc(d.pb, d.tb, task: .binary), 0.5729166269302368))
        #expect(close(cohenKappa(d.pb, d.tb, task: .binary), 0.15094339847564697))
        #expect("\(R2Score())" == "R2Score()" && "\(SpearmanCorrCoef())" == "SpearmanCorrCoef()")
    }

    @Test func countAndMatrixScoresMatchTorchmetrics() {
        let d = MetricData()
        let mc = ClassificationTask.multiclass(numClasses: 4)
        // tm.Specificity(task='multiclass', num_classes=4, average='macro')(lm, tmc), tm.Specificity(task='binary')(pb, tb)
        #expect(close(Specificity(task: mc, average: .macro)(d.lm, d.tmc), 0.7137258052825928) && close(Specificity(task: .binary)(d.pb, d.tb), 0.75))
        // tm.FBetaScore(task='multiclass', num_classes=4, beta=2.0, average='macro')(lm, tmc); binary beta=0.5
        #expect(close(FBetaScore(task: mc, beta: 2, average: .macro)(d.lm, d.tmc), 0.14585483074188232))
        #expect(close(FBetaScore(task: .binary, beta: 0.5)(d.pb, d.tb), 0.625))
        // tm.JaccardIndex(task='multiclass', num_classes=4)(lm, tmc) (macro), binary
        #expect(close(JaccardIndex(task: mc)(d.lm, d.tmc), 0.07928921282291412) && close(JaccardIndex(task: .binary)(d.pb, d.tb), 0.3571428656578064))
        // tm.MatthewsCorrCoef(task='multiclass', num_classes=4)(lm, tmc), binary
        #expect(close(MatthewsCorrCoef(task: mc)(d.lm, d.tmc), -0.1391116976737976) && close(MatthewsCorrCoef(task: .binary)(d.pb, d.tb), 0.17118418216705322))
        // a perfect binary prediction is 1, a perfectly wrong one -1 (torchmetrics' special cases)
        let y = Tensor([0, 1, 1, 0])
        #expect(MatthewsCorrCoef(task: .binary)(Tensor([0.1, 0.9, 0.8, 0.2]), y).item() == 1)
        #expect(MatthewsCorrCoef(task: .binary)(Tensor([0.9, 0.1, 0.2, 0.8]), y).item() == -1)
        // tm.CohenKappa(task='multiclass', num_classes=4)(lm, tmc), binary, multiclass weights='quadratic'
        #expect(close(CohenKappa(task: mc)(d.lm, d.tmc), -0.13636362552642822) && close(CohenKappa(task: .binary)(d.pb, d.tb), 0.15094339847564697))
        #expect(close(CohenKappa(task: mc, weights: "quadratic")(d.lm, d.tmc), -0.014150857925415039))
        #expect("\(JaccardIndex(task: mc))" == "MulticlassJaccardIndex()" && "\(MatthewsCorrCoef(task: .binary))" == "BinaryMatthewsCorrCoef()"
                && "\(CohenKappa(task: .binary))" == "BinaryCohenKappa()")
    }

    @Test func reviewedEdgeCases() {
        // p = tensor([0, 1, 2, 2, 1, 0, 0, 2]); t = tensor([0, 1, 1, 2, 2, 0, 1, 0])
        // tm.JaccardIndex(task='multiclass', num_classes=3, ignore_index=0)(p, t) (macro), the same with average='micro', and without ignore_index
        let p = Tensor([0, 1, 2, 2, 1, 0, 0, 2]), t = Tensor([0, 1, 1, 2, 2, 0, 1, 0])
        let mc = ClassificationTask.multiclass(numClasses: 3)
        #expect(close(JaccardIndex(task: mc, ignoreIndex: 0)(p, t), 0.2916666865348816))
        #expect(close(JaccardIndex(task: mc, average: .micro, ignoreIndex: 0)(p, t), 0.2857142984867096))
        #expect(close(JaccardIndex(task: mc)(p, t), 0.3333333432674408))
        // tm.R2Score(multioutput='raw_values', adjusted=1)(x, y) adjusts each output
        let x = Tensor([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0], [6.0, 6.0]]), y = Tensor([[1.5, 2.0], [2.0, 0.5], [2.5, 4.0], [4.5, 3.0], [5.0, 7.0]])
        expectValues(R2Score(numOutputs: 2, adjusted: 1, multioutput: "raw_values")(x, y), [0.7594501972198486, 0.8739495873451233], atol: 2e-6)
        // tm.PearsonCorrCoef()(tensor([1., 1., 1.]), tensor([1., 2., 3.])) -> nan (not clamped to 1)
        #expect(PearsonCorrCoef()(Tensor([1.0, 1.0, 1.0]), Tensor([1.0, 2.0, 3.0])).item().isNaN)
        // an ignored item holding a logit does not send the rest through sigmoid
        let probs = Tensor([0.2, 0.9, 0.4, 7.0]), labels = Tensor([0, 1, 1, -1])
        #expect(close(AUROC(task: .binary, ignoreIndex: -1)(probs, labels), 1.0) && close(AUROC(task: .binary)(Tensor([0.2, 0.9, 0.4]), Tensor([0, 1, 1])), 1.0))
    }

    @Test func aggregationMetrics() {
        // s = tm.SumMetric(); s.update(torch.tensor([1., 2.])); s.update(3.) -> 6; Max: [1, 5], 3 -> 5; Min: [1, 5], -3 -> -3; Cat -> [1, 5, -3]
        let sum = SumMetric(), mx = MaxMetric(), mn = MinMetric(), cat = CatMetric()
        sum.update(Tensor([1.0, 2.0])); sum.update(3)
        mx.update(Tensor([1.0, 5.0])); mx.update(3)
        mn.update(Tensor([1.0, 5.0])); mn.update(-3)
        cat.update(Tensor([1.0, 5.0])); cat.update(-3)
        #expect(sum.compute().item() == 6 && mx.compute().item() == 5 && mn.compute().item() == -3)
        expectValues(cat.compute(), [1, 5, -3])
        // NaN is dropped (nan_strategy="warn")
        sum.update(Tensor([Double.nan, 1.0]))
        #expect(sum.compute().item() == 7)
        mx.reset()
        #expect(mx.state == [-Double.infinity])
        #expect("\(SumMetric())" == "SumMetric()")
    }
}
}
