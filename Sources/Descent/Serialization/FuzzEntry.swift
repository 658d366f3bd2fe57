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
    /// Python pickles (`unpickle`, and the arrays in them as tensors), as CIFAR's batches are.
    case pickle
    /// tar archives, gzip or plain (`readTar`).
    case tar
    /// `torch.save` files, zip or legacy (`readTorchFile`, as `load(from:)` and `loadCheckpoint(from:)` read them).
    case torchfile
    /// Image files: PNG, PGM, PPM and JPEG (`decodeImage`, as `readImage` and `ImageFolder` read them).
    case image
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
    case .pickle:
        guard let v = try? unpickle(bytes, path: "fuzz") else { return }
        if case .array(let a)? = v["data"] { _ = try? a.tensor(path: "fuzz") }
        if case .array(let a) = v { _ = try? a.tensor(path: "fuzz") }
    case .tar:
        guard toFile() else { return }
        _ = try? readTar(readMaybeGzip(fuzzPath), path: fuzzPath)
    case .torchfile:
        guard let v = try? readTorchFile(DataSource(data: Data(bytes), name: "fuzz")) else { return }
        _ = try? v.checkpoint(path: "fuzz")
        _ = try? v.stateDict(path: "fuzz")
    case .image:
        maxJPEGSampleBytes = 1 << 24   // libjpeg's own buffers stay under libFuzzer's allocation limit
        _ = try? decodeImage(bytes, mode: .rgb)
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
    case .pickle:
        // pickle.dumps({"data": np.arange(12, dtype=np.uint8).reshape(2, 6) * 20, "labels": [3, 1000, 70000, -2],
        //               "name": "small", "ratio": 0.25, "flags": (True, False, None)}, protocol=5)
        let p5: [UInt8] = [
            128, 5, 149, 214, 0, 0, 0, 0, 0, 0, 0, 125, 148, 40, 140, 4, 100, 97, 116, 97, 148, 140, 19, 110, 117, 109, 112, 121,
            46, 95, 99, 111, 114, 101, 46, 110, 117, 109, 101, 114, 105, 99, 148, 140, 11, 95, 102, 114, 111, 109, 98, 117, 102,
            102, 101, 114, 148, 147, 148, 40, 150, 12, 0, 0, 0, 0, 0, 0, 0, 0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220,
            148, 140, 5, 110, 117, 109, 112, 121, 148, 140, 5, 100, 116, 121, 112, 101, 148, 147, 148, 140, 2, 117, 49, 148, 137,
            136, 135, 148, 82, 148, 40, 75, 3, 140, 1, 124, 148, 78, 78, 78, 74, 255, 255, 255, 255, 74, 255, 255, 255, 255, 75, 0,
            116, 148, 98, 75, 2, 75, 6, 134, 148, 140, 1, 67, 148, 116, 148, 82, 148, 140, 6, 108, 97, 98, 101, 108, 115, 148, 93,
            148, 40, 75, 3, 77, 232, 3, 74, 112, 17, 1, 0, 74, 254, 255, 255, 255, 101, 140, 4, 110, 97, 109, 101, 148, 140, 5, 115,
            109, 97, 108, 108, 148, 140, 5, 114, 97, 116, 105, 111, 148, 71, 63, 208, 0, 0, 0, 0, 0, 0, 140, 5, 102, 108, 97, 103,
            115, 148, 136, 137, 78, 135, 148, 117, 46
        ]
        return [("small.pkl", p5)]
    case .tar:
        return [("one.tar", tarSeed(name: "folder/file", contents: Array("hello".utf8))), ("one.tar.gz", try gzipBytes(tarSeed(name: "a", contents: [1, 2])))]
    case .torchfile:
        let sd: StateDict = ["w": Tensor([[1.0, 2.0], [3.0, 4.0]]).t(), "b": Tensor([1, 2, 3] as [Int]), "m": Tensor([true, false])]
        let c: Checkpoint = ["epoch": 3, "model": sd, "loss": 0.5, "name": "x", "lrs": [0.1, 0.2]]
        let path = fuzzPath + ".pt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try save(c, to: path, format: .torch)
        let zip = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // the same state dict in the legacy layout: magic, version 1001, system info, data, keys, storages
        var pickle = TorchPickleWriter()
        pickle.stateDict(sd)
        pickle.stop()
        var legacy: [UInt8] = legacyTorchMagic + [0x2E]
        legacy += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E] + pickle.out
        var keys = TorchPickleWriter()
        keys.op("]"); keys.op("(")
        for i in pickle.tensors.indices { keys.string(String(i)) }
        keys.op("e"); keys.stop()
        legacy += keys.out
        for t in pickle.tensors {
            legacy += ZipWriter.le(t.count, 8)
            Kernels.withHostBytes(t) { legacy += $0 }
        }
        return [("checkpoint.pt", zip), ("legacy.pt", legacy)]
    case .image:
        // a PNG as Descent's plots write it (RGBA, 8 bit), and a PPM
        let png = encodePNG(width: 3, height: 2, rgba: [255, 0, 0, 255, 0, 255, 0, 9, 0, 0, 255, 255, 9, 9, 9, 255, 200, 100, 50, 0, 1, 2, 3, 4])
        let ppm = Array("P6\n2 1\n255\n".utf8) + [1, 2, 3, 250, 251, 252]
        return [("small.png", png), ("small.ppm", ppm)]
    }
}

/// A ustar archive of one file (for the tar seeds).
private func tarSeed(name: String, contents: [UInt8]) -> [UInt8] {
    var h = [UInt8](repeating: 0, count: 512)
    func put(_ s: String, at: Int) { for (i, x) in s.utf8.enumerated() { h[at + i] = x } }
    put(name, at: 0); put("0000644", at: 100); put(String(format: "%011o", contents.count), at: 124)
    h[156] = UInt8(ascii: "0"); put("ustar", at: 257); put("00", at: 263)
    let sum = h.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 0x20 : Int($1.element)) }
    put(String(format: "%06o", sum), at: 148); h[155] = 0x20
    let padded = contents + [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    return h + padded + [UInt8](repeating: 0, count: 1024)
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
