import CZlib
import Foundation

/// The parsers the fuzzing harness (`Fuzz/run.sh`, the `descent-fuzz` program) drives with mutated
/// files. Reached with `@_spi(Fuzzing) import Descent`; not part of the public API.
@_spi(Fuzzing) public enum FuzzTarget: String, CaseIterable, Sendable {
    /// MNIST's IDX files, gzip or plain (`readIDX` through `readMaybeGzip`).
    case idx
    /// safetensors files (`loadSafetensors(data:)`, `safetensorsMetadata` and `loadCheckpoint`).
    case safetensors
    /// Trainer checkpoints, resumed with `Trainer.fit(..., ckptPath:)`.
    case checkpoint
    /// CSVLogger metrics files (`MetricsCSV`).
    case csv
    /// The digits CSV (`Digits(path:)`).
    case digits
}

/// A scratch file per process for the parsers that read paths.
private let fuzzPath: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("input").path
}()

/// The smallest model a checkpoint can be resumed into: Linear(1, 1) with SGD.
private final class FuzzModel: Module, TrainingModule {
    let lin = Linear(1, 1)
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor { mseLoss(self(batch.0), batch.1) }
    func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1, momentum: 0.9) }
    func configureLRScheduler(_ optimizer: Optimizer) -> LRScheduler? { StepLR(optimizer, stepSize: 1, gamma: 0.5) }
}

/// Runs one input through `target`'s parser. A thrown error is a correct answer to a bad file; a
/// crash, a hang or an oversized allocation is a bug (libFuzzer reports those).
@_spi(Fuzzing) public func fuzzOne(_ target: FuzzTarget, _ bytes: [UInt8]) {
    func toFile() -> Bool { FileManager.default.createFile(atPath: fuzzPath, contents: Data(bytes)) }
    switch target {
    case .idx:
        guard toFile() else { return }
        _ = try? readIDX(fuzzPath, expectedMagic: 0x0000_0803)
        _ = try? readIDX(fuzzPath, expectedMagic: 0x0000_0801)
    case .safetensors:
        if let sd = try? loadSafetensors(data: Data(bytes)) { for (_, t) in sd { _ = t.shape } }
        if toFile() {
            _ = try? safetensorsMetadata(from: fuzzPath)
            _ = try? loadCheckpoint(from: fuzzPath)
        }
    case .checkpoint:
        guard toFile() else { return }
        let model = FuzzModel()
        let trainer = Trainer(maxEpochs: 2, logger: false, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        let data = TensorDataset(Tensor([[1.0], [2.0]]), Tensor([[2.0], [4.0]]))
        _ = try? trainer.fit(model, trainDataLoaders: DataLoader(data, batchSize: 1), ckptPath: fuzzPath)
    case .csv:
        _ = try? MetricsCSV(text: String(decoding: bytes, as: UTF8.self))
    case .digits:
        guard toFile() else { return }
        _ = try? Digits(path: fuzzPath)
    }
}

/// Small valid inputs of `target`, the seeds the fuzzer mutates.
@_spi(Fuzzing) public func fuzzSeeds(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
    switch target {
    case .idx:
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [0, 255, 128, 7, 1, 2, 3, 4]
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]
        return [("images.idx", images), ("labels.idx", labels), ("images.idx.gz", try gzipBytes(images))]
    case .safetensors:
        let sd: StateDict = ["w": Tensor([[1.0, 2.0], [3.0, 4.0]]), "b": Tensor([1, 2, 3] as [Int]), "m": Tensor([true, false])]
        let (tensors, meta) = try flatten(["epoch": 3, "model": sd, "loss": Tensor(0.5), "lr": 0.1, "tags": ["a"]])
        return [("small.safetensors", Array(try serializeSafetensors(sd, metadata: ["format": "pt"]))),
                ("dict.safetensors", Array(try serializeSafetensors(tensors, metadata: meta)))]
    case .checkpoint:
        // a real checkpoint of FuzzModel, mid-epoch (rng states, batches_in_epoch, callback state)
        manualSeed(0)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-fuzz-seed-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ckpt = ModelCheckpoint(dirpath: dir, saveLast: true, everyNTrainSteps: 1)
        let trainer = Trainer(maxEpochs: 1, callbacks: [ckpt], logger: false, enableProgressBar: false, enableModelSummary: false)
        let data = TensorDataset(Tensor([[1.0], [2.0]]), Tensor([[2.0], [4.0]]))
        try trainer.fit(FuzzModel(), trainDataLoaders: DataLoader(data, batchSize: 1, shuffle: true))
        return [("last.ckpt", Array(try Data(contentsOf: URL(fileURLWithPath: ckpt.lastModelPath))))]
    case .csv:
        return [("metrics.csv", Array("epoch,step,train_loss,val_acc\n0,9,0.5,\n0,9,,0.75\n1,19,0.25,0.875\n".utf8))]
    case .digits:
        let row = (0..<64).map { String($0 % 17) }.joined(separator: ",")
        return [("digits.csv", Array((row + ",3\n" + row + ",9\n").utf8))]
    }
}

/// `bytes` gzip-compressed (for the IDX seed).
private func gzipBytes(_ bytes: [UInt8]) throws -> [UInt8] {
    let path = fuzzPath + ".gz"
    guard let f = gzopen(path, "wb") else { throw DatasetError.unreadable(path: path, reason: "cannot write") }
    _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
    gzclose(f)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}
