import Testing
import Descent

// A custom Dataset needs only `count` and a subscript: its `Batch` is inferred from the sample type
// as PyTorch's `default_collate` batches it (issue #15: "ambiguous inference of associated type
// 'Batch'"). None of these types declares `Batch`.

/// Pairs of tensors: row i is ([i, 2i], [i]).
private struct Pairs: Dataset {
    var count: Int { 5 }
    subscript(index: Int) -> (Tensor, Tensor) { (Tensor([Float(index), Float(2 * index)]), Tensor([Float(index)])) }
}
/// A tensor and an integer label.
private final class Labelled: Dataset {
    var count: Int { 4 }
    subscript(index: Int) -> (Tensor, Int) { (Tensor([Float(index)]), index % 2) }
}
/// Tensors only (an unsupervised set).
private struct Inputs: Dataset {
    var count: Int { 3 }
    subscript(index: Int) -> Tensor { Tensor([Float(index), -1]) }
}
/// Plain numbers.
private struct Numbers: Dataset {
    var count: Int { 3 }
    subscript(index: Int) -> Double { Double(index) / 4 }
}
/// A sample type the default collation does not know, with its own `batch` (PyTorch's `collate_fn`).
private struct Words: Dataset {
    var count: Int { 3 }
    subscript(index: Int) -> String { ["a", "bb", "ccc"][index] }
    func batch(_ indices: [Int]) -> [String] { indices.map { self[$0] } }
}

/// Fits y = 2x + 1 through a custom dataset.
private final class Line: Module, TrainingModule {
    let lin = Linear(1, 1)
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
}
private struct LineData: Dataset {
    var count: Int { 16 }
    subscript(index: Int) -> (Tensor, Tensor) {
        let x = Float(index) / 8 - 1
        return (Tensor([x]), Tensor([2 * x + 1]))
    }
}

// In `Core` (one test at a time): it seeds the global generator.
extension Core {
@Suite struct CustomDatasetTests {
    @Test func tensorPairsStack() {
        let (x, y) = Pairs().batch([3, 1])
        #expect(x.shape == [2, 2] && y.shape == [2, 1])
        #expect(x.toArray(Float.self) == [3, 6, 1, 2])
        #expect(y.toArray(Float.self) == [3, 1])
    }

    @Test func integerLabelsBecomeAnInt64Tensor() {
        // default_collate([(torch.tensor([0.]), 0), (torch.tensor([3.]), 1)]) -> [tensor([[0.],[3.]]), tensor([0, 1])]
        let (x, y) = Labelled().batch([0, 3])
        #expect(x.shape == [2, 1] && x.toArray(Float.self) == [0, 3])
        #expect(y.dtype == .int64 && y.toArray(Int.self) == [0, 1])
    }

    @Test func singleTensorsAndNumbers() {
        let b = Inputs().batch([2, 0])
        #expect(b.shape == [2, 2] && b.toArray(Float.self) == [2, -1, 0, -1])
        // default_collate([0.5, 0.25]) -> tensor([0.5000, 0.2500], dtype=torch.float64)
        let n = Numbers().batch([2, 1])
        #expect(n.dtype == .float64 && n.toArray(Double.self) == [0.5, 0.25])
        #expect(Words().batch([2, 0]) == ["ccc", "a"])
    }

    @Test func dataLoaderBatchesACustomDataset() {
        let loader = DataLoader(Pairs(), batchSize: 2)
        let sizes = loader.map { $0.0.shape[0] }
        #expect(sizes == [2, 2, 1])
        let labels = DataLoader(Labelled(), batchSize: 4).map { $0.1.toArray(Int.self) }
        #expect(labels == [[0, 1, 0, 1]])
        #expect(DataLoader(Words(), batchSize: 2).map { $0 } == [["a", "bb"], ["ccc"]])
    }

    @Test func trainerFitsThroughACustomDataset() throws {
        manualSeed(0)
        let model = Line()
        let trainer = Trainer(maxEpochs: 60, logger: false, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        try trainer.fit(model, trainDataLoaders: DataLoader(LineData(), batchSize: 4, shuffle: true))
        // Least squares on exact data: the weight and bias converge to 2 and 1.
        #expect(abs(model.lin.weight.item() - 2) < 1e-3)
        #expect(abs(model.lin.bias!.item() - 1) < 1e-3)
    }
}
}
