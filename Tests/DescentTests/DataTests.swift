import Foundation
import Testing
import Descent

// Data (torch.utils.data, torchvision.datasets.MNIST): datasets, loaders, shuffling order, splits,
// MNIST / Fashion-MNIST files and their bad-input errors, transforms, and one small training run.
// Expected orders come from PyTorch 2.13 (CPU); the snippet is beside each value.

/// Fashion-MNIST sits beside MNIST ($DESCENT_FASHION_MNIST overrides).
private let fashionRoot: String = {
    if let p = ProcessInfo.processInfo.environment["DESCENT_FASHION_MNIST"], !p.isEmpty { return p }
    return URL(fileURLWithPath: mnistRoot).appendingPathComponent("../fashion-mnist").standardizedFileURL.path
}()

// Each file is read once per test process.
private let mnistTrain = Result { try MNIST(root: mnistRoot, train: true) }
private let mnistTest = Result { try MNIST(root: mnistRoot, train: false) }

/// The first elements of every batch of a single-tensor loader, flattened: the sample order.
private func order(_ loader: DataLoader<TensorDataset<Tensor>>) -> [Int] { loader.flatMap { ints($0) } }

/// A fresh temporary folder.
private func tempDir() throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("descent-data-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}
/// An IDX file: big-endian magic, sizes, then bytes.
private func idx(magic: UInt32, dims: [UInt32], data: [UInt8]) -> Data {
    var b: [UInt8] = []
    for v in [magic] + dims { b += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    return Data(b + data)
}
/// Valid uncompressed test-split files with `n` images (28x28) and `labels` in `dir`.
private func writeSmallMNIST(_ dir: URL, images n: Int, labels: [UInt8], prefix: String = "t10k") throws {
    let pixels = (0..<(n * 784)).map { UInt8($0 % 256) }
    try idx(magic: 2051, dims: [UInt32(n), 28, 28], data: pixels).write(to: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
    try idx(magic: 2049, dims: [UInt32(labels.count)], data: labels).write(to: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
}
/// Runs `body`, which must throw a `DatasetError`; returns it (nil and an issue otherwise).
private func datasetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as DatasetError {
        return e
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension Core {
@Suite struct DataTests {
    // MARK: TensorDataset and DataLoader

    @Test func tensorDatasetCountSubscriptAndBatch() {
        let x = Tensor.arange(0.0, 20.0).reshape(10, 2)
        let y = Tensor.arange(10) * 10
        let ds = TensorDataset(x, y)
        #expect(ds.count == 10)
        #expect(ds.tensors.count == 2 && ds.tensors[0] === x)
        let (x3, y3) = ds[3]
        #expect(x3.shape == [2] && values(x3) == [6, 7])
        #expect(y3.shape == [] && y3.dtype == .int64 && ints(y3) == [30])
        let (xb, yb) = ds.batch([4, 0, 9])
        #expect(xb.shape == [3, 2] && values(xb) == [8, 9, 0, 1, 18, 19])
        #expect(yb.shape == [3] && ints(yb) == [40, 0, 90])
        // One tensor: samples are tensors; three tensors: triples; an array of tensors: arrays.
        let one = TensorDataset(x)
        #expect(values(one[1]) == [2, 3])
        #expect(one.batch([2, 1]).shape == [2, 2])
        let three = TensorDataset(x, y, y * 2)
        #expect(ints(three[2].2) == [40])
        let many = TensorDataset([x, y, x])
        #expect(many[5].count == 3 && values(many[5][2]) == [10, 11])
    }

    @Test func dataLoaderCountAndBatches() {
        let x = Tensor.arange(0.0, 20.0).reshape(10, 2)
        let y = Tensor.arange(10) * 10
        let ds = TensorDataset(x, y)
        // PyTorch: len(DataLoader(TensorDataset(torch.arange(10)), batch_size=b, drop_last=d)) for b, d in ...
        #expect(DataLoader(ds, batchSize: 3).count == 4)
        #expect(DataLoader(ds, batchSize: 3, dropLast: true).count == 3)
        #expect(DataLoader(ds, batchSize: 5).count == 2)
        #expect(DataLoader(ds, batchSize: 5, dropLast: true).count == 2)
        #expect(DataLoader(ds, batchSize: 20).count == 1)
        #expect(DataLoader(ds, batchSize: 20, dropLast: true).count == 0)
        #expect(DataLoader(ds).count == 10)
        #expect(DataLoader(ds, batchSize: 20, dropLast: true).map { $0 }.isEmpty)

        // The lecture's destructuring form; the last short batch is kept.
        var xs: [[Int]] = [], ys: [[Int]] = []
        for (xb, yb) in DataLoader(ds, batchSize: 4) {
            xs.append(xb.shape); ys.append(ints(yb))
            #expect(xb.dtype == .float32 && yb.dtype == .int64)
        }
        #expect(xs == [[4, 2], [4, 2], [2, 2]])
        #expect(ys == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90]])
        // dropLast drops it.
        let dropped = DataLoader(ds, batchSize: 4, dropLast: true).map { ints($0.1) }
        #expect(dropped == [[0, 10, 20, 30], [40, 50, 60, 70]])
        // Iterating twice gives two epochs.
        let loader = DataLoader(ds, batchSize: 6)
        #expect(loader.map { ints($0.1) } == loader.map { ints($0.1) })
        #expect(loader.reduce(0) { $0 + $1.0.shape[0] } == 10)
        // An explicit sampler.
        #expect(DataLoader(ds, batchSize: 4, sampler: SequentialSampler()).map { ints($0.1) } == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90]])
        #expect(BatchSampler(SequentialSampler(), batchSize: 3, dropLast: false).batches(count: 7, generator: Generator(seed: 0)) == [[0, 1, 2], [3, 4, 5], [6]])
        #expect(BatchSampler(SequentialSampler(), batchSize: 3, dropLast: true).batches(count: 7, generator: Generator(seed: 0)) == [[0, 1, 2], [3, 4, 5]])
    }

    @Test func shuffleOrderIsPyTorchs() {
        let ds = TensorDataset(Tensor.arange(10))
        manualSeed(5)
        let dl = DataLoader(ds, batchSize: 1, shuffle: true)
        // PyTorch: torch.manual_seed(5); dl = DataLoader(TensorDataset(torch.arange(10)), batch_size=1, shuffle=True)
        //          [int(b[0]) for b in dl]   (first epoch, then second epoch)
        #expect(order(dl) == [8, 3, 0, 5, 9, 1, 6, 2, 4, 7])
        #expect(order(dl) == [5, 8, 9, 7, 2, 0, 4, 1, 3, 6])
        // PyTorch: ... then torch.rand(2)   (the loader drew from the global generator)
        #expect(floatBits(Tensor.rand(2)) == floatBits([0.0332646369934082, 0.9941847324371338]))

        manualSeed(5)
        // PyTorch: torch.manual_seed(5); [b[0].tolist() for b in DataLoader(TensorDataset(torch.arange(10)), batch_size=3, shuffle=True)]
        #expect(DataLoader(ds, batchSize: 3, shuffle: true).map { ints($0) } == [[8, 3, 0], [5, 9, 1], [6, 2, 4], [7]])
        manualSeed(5)
        // PyTorch: same with drop_last=True
        #expect(DataLoader(ds, batchSize: 3, shuffle: true, dropLast: true).map { ints($0) } == [[8, 3, 0], [5, 9, 1], [6, 2, 4]])

        // Even without shuffling, each epoch draws a base seed from the global generator, as PyTorch does.
        manualSeed(5)
        _ = DataLoader(ds, batchSize: 4).map { $0 }
        // PyTorch: torch.manual_seed(5); list(DataLoader(TensorDataset(torch.arange(10)), batch_size=4)); torch.rand(2)
        #expect(floatBits(Tensor.rand(2)) == floatBits([0.9074696898460388, 0.8199270367622375]))

        // With the loader's own generator the global one is untouched.
        manualSeed(0)
        let g = Generator(seed: 7)
        let gdl = DataLoader(ds, batchSize: 4, shuffle: true, generator: g)
        // PyTorch: g = torch.Generator().manual_seed(7); dl = DataLoader(TensorDataset(torch.arange(10)), batch_size=4, shuffle=True, generator=g)
        //          torch.manual_seed(0); [b[0].tolist() for b in dl] (twice); torch.rand(2)
        #expect(gdl.map { ints($0) } == [[1, 3, 5, 7], [9, 4, 6, 2], [8, 0]])
        #expect(gdl.map { ints($0) } == [[5, 1, 6, 0], [9, 7, 8, 4], [3, 2]])
        #expect(floatBits(Tensor.rand(2)) == floatBits([0.49625658988952637, 0.7682217955589294]))
    }

    @Test func workersGiveTheSameBatchesInTheSameOrder() {
        let x = Tensor.arange(0.0, 20.0).reshape(10, 2)
        let y = Tensor.arange(10) * 10
        let ds = TensorDataset(x, y)
        // PyTorch: x = torch.arange(20.).reshape(10, 2); y = torch.arange(10) * 10; torch.manual_seed(11)
        //          [(a.tolist(), b.tolist()) for a, b in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, num_workers=2)]
        //          (the same with num_workers=0)
        let expectedY = [[40, 30, 20, 60], [70, 90, 80, 50], [10, 0]]
        let expectedX: [[Double]] = [[8, 9, 6, 7, 4, 5, 12, 13], [14, 15, 18, 19, 16, 17, 10, 11], [2, 3, 0, 1]]
        for workers in [0, 2] {
            manualSeed(11)
            let batches = DataLoader(ds, batchSize: 4, shuffle: true, numWorkers: workers).map { $0 }
            #expect(batches.map { ints($0.1) } == expectedY, "numWorkers \(workers)")
            #expect(batches.map { values($0.0) } == expectedX, "numWorkers \(workers)")
        }
        // Many epochs with workers: same as without.
        manualSeed(3)
        let plain = DataLoader(ds, batchSize: 3, shuffle: true)
        let a = (0..<5).map { _ in plain.map { ints($0.1) } }
        manualSeed(3)
        let threaded = DataLoader(ds, batchSize: 3, shuffle: true, numWorkers: 2)
        let b = (0..<5).map { _ in threaded.map { ints($0.1) } }
        #expect(a == b)
        // Leaving an epoch early neither hangs nor crashes.
        let big = TensorDataset(Tensor.arange(1000))
        for _ in 0..<3 {
            for batch in DataLoader(big, batchSize: 10, numWorkers: 2) {
                #expect(ints(batch).first == 0)
                break
            }
        }
        #expect(DataLoader(big, batchSize: 100, numWorkers: 3).map { ints($0) }.flatMap { $0 } == Array(0..<1000))
    }

    @Test func subsetConcatDatasetAndSamplers() {
        let x = Tensor.arange(0.0, 20.0).reshape(10, 2)
        let y = Tensor.arange(10) * 10
        let ds = TensorDataset(x, y)
        let sub = Subset(ds, indices: [4, 0, 7])
        #expect(sub.count == 3 && sub.indices == [4, 0, 7])
        #expect(ints(sub[1].1) == [0] && values(sub[0].0) == [8, 9])
        #expect(ints(sub.batch([0, 2]).1) == [40, 70])
        #expect(DataLoader(sub, batchSize: 2).map { ints($0.1) } == [[40, 0], [70]])

        let a = TensorDataset(Tensor([[1.0], [2.0], [3.0]]), Tensor([1, 2, 3]))
        let b = TensorDataset(Tensor([[4.0], [5.0], [6.0], [7.0]]), Tensor([4, 5, 6, 7]))
        let cat = ConcatDataset([a, b])
        // PyTorch: len(ConcatDataset([a, b])); ConcatDataset([a, b])[3]
        #expect(cat.count == 7)
        #expect(ints(cat[3].1) == [4] && values(cat[6].0) == [7])
        #expect(ints(cat[2].1) == [3])
        let (cx, cy) = cat.batch([1, 5, 2])
        #expect(cx.shape == [3, 1] && values(cx) == [2, 6, 3] && ints(cy) == [2, 6, 3])
        // Through a loader (generic code): batches that span both datasets.
        #expect(DataLoader(cat, batchSize: 3).map { ints($0.1) } == [[1, 2, 3], [4, 5, 6], [7]])
        #expect(DataLoader(cat, batchSize: 4).map { ints($0.1) } == [[1, 2, 3, 4], [5, 6, 7]])
        manualSeed(0)
        let shuffled = DataLoader(cat, batchSize: 4, shuffle: true).flatMap { ints($0.1) }
        #expect(shuffled.sorted() == [1, 2, 3, 4, 5, 6, 7])

        // WeightedRandomSampler: only positive weights are drawn; without replacement no repeats.
        let w = WeightedRandomSampler(weights: [0, 1, 0, 3], numSamples: 50)
        let picks = w.indices(count: 4, generator: Generator(seed: 0))
        #expect(picks.count == 50 && Set(picks).isSubset(of: [1, 3]) && picks.filter { $0 == 3 }.count > picks.filter { $0 == 1 }.count)
        let norep = WeightedRandomSampler(weights: [1, 2, 3, 4], numSamples: 4, replacement: false).indices(count: 4, generator: Generator(seed: 1))
        #expect(norep.sorted() == [0, 1, 2, 3])
    }

    @Test func randomSplitIsPyTorchs() {
        let ds = TensorDataset(Tensor.arange(10))
        let parts = randomSplit(ds, [7, 3], generator: Generator(seed: 1))
        // PyTorch: [list(s.indices) for s in random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(1))]
        #expect(parts.map(\.indices) == [[5, 6, 1, 2, 0, 8, 9], [3, 7, 4]])
        #expect(ints(parts[1].batch([0, 1, 2])) == [3, 7, 4])
        // PyTorch: [list(s.indices) for s in random_split(range(10), [0.7, 0.2, 0.1], generator=torch.Generator().manual_seed(1))]
        #expect(randomSplit(ds, fractions: [0.7, 0.2, 0.1], generator: Generator(seed: 1)).map(\.indices) == [[5, 6, 1, 2, 0, 8, 9], [3, 7], [4]])
        // PyTorch: [list(s.indices) for s in random_split(range(11), [0.5, 0.5], generator=torch.Generator().manual_seed(1))]
        let eleven = TensorDataset(Tensor.arange(11))
        #expect(randomSplit(eleven, fractions: [0.5, 0.5], generator: Generator(seed: 1)).map(\.indices) == [[0, 10, 2, 3, 7, 6], [4, 8, 1, 9, 5]])
        // PyTorch: [len(s) for s in random_split(range(10), [0.34, 0.33, 0.33], generator=torch.Generator().manual_seed(1))]
        #expect(randomSplit(ds, fractions: [0.34, 0.33, 0.33], generator: Generator(seed: 1)).map(\.count) == [4, 3, 3])
        // Without a generator: the global one.
        manualSeed(3)
        // PyTorch: torch.manual_seed(3); [list(s.indices) for s in random_split(range(6), [4, 2])]
        #expect(randomSplit(TensorDataset(Tensor.arange(6)), [4, 2]).map(\.indices) == [[4, 0, 3, 2], [1, 5]])
    }

    // MARK: MNIST

    @Test func mnistTrainAndTest() throws {
        let train = try mnistTrain.get()
        let test = try mnistTest.get()
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.data.shape == [60000, 28, 28] && train.data.dtype == .uint8)
        #expect(train.targets.shape == [60000] && train.targets.dtype == .int64)
        #expect(test.data.shape == [10000, 28, 28])
        // Label counts (../shared/data/README.md; np.bincount of the label files).
        var counts = [Int](repeating: 0, count: 10)
        for l in ints(train.targets) { counts[l] += 1 }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        counts = [Int](repeating: 0, count: 10)
        for l in ints(test.targets) { counts[l] += 1 }
        #expect(counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        // PyTorch (torchvision): MNIST(root, train=True)[i][1] for i in 0..<10; test: the same
        #expect((0..<10).map { train[$0].1 } == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        #expect((0..<10).map { test[$0].1 } == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])

        let (img, label) = train[0]
        #expect(img.shape == [1, 28, 28] && img.dtype == .float32 && label == 5)
        let px = values(img)
        #expect(px.min() == 0 && px.max() == 1)
        // PyTorch: x0 = ToTensor()(train image 0); x0.sum(); x0[0, 14, 14]
        #expect(Swift.abs(px.reduce(0, +) - 107.94117736816406) < 1e-3)
        #expect(Float(px[14 * 28 + 14]) == Float(0.9411764740943909))
        // PyTorch: train.data[0, 14, 10:18]; train.data[0].sum()
        #expect(ints(train.data[0][14][10..<18]) == [0, 0, 0, 81, 240, 253, 253, 119])
        #expect(ints(train.data[0].to(dtype: .int64).sum()) == [27525])
        // A batch is the same as the samples stacked.
        let (xb, yb) = train.batch([0, 1, 59999])
        #expect(xb.shape == [3, 1, 28, 28] && xb.dtype == .float32)
        #expect(ints(yb) == [5, 0, ints(train.targets[59999])[0]])
        #expect(values(xb[0]) == px)
        // All pixels lie in [0, 1].
        let all = train.batch(Array(0..<1000)).0
        #expect(all.min().item() == 0 && all.max().item() == 1)
        // The lecture filter: digits 0 and 1.
        let zeroOne = train.filter(classes: [0, 1])
        // PyTorch: idx = ((t == 0) | (t == 1)).nonzero(); len(idx); idx[:5]
        #expect(zeroOne.count == 12665)
        #expect(Array(zeroOne.indices.prefix(5)) == [1, 3, 6, 8, 14])
        #expect(Set((0..<50).map { zeroOne[$0].1 }) == [0, 1])
    }

    @Test func fashionMNIST() throws {
        let train = try FashionMNIST(root: fashionRoot, train: true)
        let test = try FashionMNIST(root: fashionRoot, train: false)
        #expect(train.count == 60000 && test.count == 10000)
        var counts = [Int](repeating: 0, count: 10)
        for l in ints(train.targets) { counts[l] += 1 }
        #expect(counts == [Int](repeating: 6000, count: 10))
        counts = [Int](repeating: 0, count: 10)
        for l in ints(test.targets) { counts[l] += 1 }
        #expect(counts == [Int](repeating: 1000, count: 10))
        // PyTorch (torchvision): FashionMNIST(root, train=True)[i][1] for i in 0..<10
        #expect((0..<10).map { train[$0].1 } == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect((0..<10).map { test[$0].1 } == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        let (img, label) = train[0]
        #expect(img.shape == [1, 28, 28] && label == 9)
        #expect(FashionMNIST.classes[label] == "Ankle boot")
        // PyTorch: train.data[0, 14, 10:18]; ToTensor()(image 0).sum()
        #expect(ints(train.data[0][14][10..<18]) == [0, 0, 237, 226, 217, 223, 222, 219])
        #expect(Swift.abs(values(img).reduce(0, +) - 299.00787353515625) < 1e-3)
    }

    @Test func transforms() throws {
        // PyTorch: torch.tensor([[0, 51, 255], [102, 204, 1]], dtype=torch.uint8).float() / 255   (ToTensor)
        let u = Tensor(flat: [UInt8(0), 51, 255, 102, 204, 1], shape: [2, 3])
        let t = ToTensor()(u)
        #expect(t.shape == [1, 2, 3] && t.dtype == .float32)
        #expect(floatBits(t) == floatBits([0.0, 0.20000000298023224, 1.0, 0.4000000059604645, 0.800000011920929, 0.003921568859368563]))
        // HWC -> CHW.
        let hwc = Tensor(flat: (0..<12).map { UInt8($0 * 20) }, shape: [2, 2, 3])
        let chw = ToTensor()(hwc)
        #expect(chw.shape == [3, 2, 2])
        #expect(values(chw[0]).map { Float($0) } == [0, 60, 120, 180].map { Float($0) / 255 })
        // Float input passes through.
        #expect(values(ToTensor()(Tensor([0.5, 2.0]))) == [0.5, 2.0])

        // PyTorch: (ToTensor()(train image 0) - 0.1307) / 0.3081, row 14, columns 10..<18; and its sum
        let norm = try MNIST(root: mnistRoot, train: true, transform: Compose([ToTensor(), Normalize(mean: [0.1307], std: [0.3081])]))
        let (img, label) = norm[0]
        #expect(label == 5 && img.shape == [1, 28, 28])
        expectValues(img[0, 14][10..<18], [-0.4242129623889923, -0.4242129623889923, -0.4242129623889923, 0.6067740321159363,
                                           2.630563259124756, 2.796030282974243, 2.796030282974243, 1.0904468297958374])
        #expect(Swift.abs(img.sum().item() - 17.76169204711914) < 1e-3)
        // A batch with a transform is the transformed samples stacked.
        let (xb, yb) = norm.batch([0, 1])
        #expect(xb.shape == [2, 1, 28, 28] && ints(yb) == [5, 0])
        #expect(values(xb[0]) == values(img))

        // Per-channel Normalize.
        // PyTorch: (torch.tensor([[[0.5, 1.0]], [[0.0, 0.4]], [[0.3, 0.8]]]) - torch.tensor([0.5, 0.4, 0.3])[:, None, None]) / torch.tensor([0.2, 0.2, 0.5])[:, None, None]
        let c3 = Normalize(mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.5])(Tensor([[[0.5, 1.0]], [[0.0, 0.4]], [[0.3, 0.8]]]))
        expectValues(c3, [0.0, 2.5, -2.0, 0.0, 0.0, 1.0], shape: [3, 1, 2])

        // Lambda, and Compose applies in order.
        let flat = Compose([ToTensor(), Lambda { $0.reshape(-1) }, Lambda { $0 * 2 }])
        let f = flat(u)
        #expect(f.shape == [6])
        expectValues(f, [0.0, 0.4, 2.0, 0.8, 1.6, 0.00784313725490196])
        let mf = try MNIST(root: mnistRoot, train: false, transform: Compose([ToTensor(), Lambda { $0.reshape(-1) }]))
        #expect(mf[0].0.shape == [784] && mf[0].1 == 7)
        #expect(mf.batch([0, 1, 2]).0.shape == [3, 784])
    }

    // MARK: Bad inputs

    @Test func missingFilesAndFolders() throws {
        let missing = "/nonexistent/descent-\(UUID().uuidString)"
        guard let e = datasetError({ _ = try MNIST(root: missing) }) else { return }
        guard case .fileNotFound(let path, let hint) = e else { Issue.record("got \(e)"); return }
        #expect(path.hasPrefix(missing) && path.contains("train-images-idx3-ubyte"))
        #expect(!hint.isEmpty)
        #expect("\(e)".contains(missing))
        #expect(datasetError({ _ = try FashionMNIST(root: missing, train: false) }) != nil)

        // Images present, labels missing: the labels file is named.
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        guard let e2 = datasetError({ _ = try MNIST(root: dir.path, train: false) }) else { return }
        guard case .fileNotFound(let p2, _) = e2 else { Issue.record("got \(e2)"); return }
        #expect(p2.contains("t10k-labels-idx1-ubyte"))
    }

    @Test func smallValidFilesLoadFromRootOrTorchvisionLayout() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeSmallMNIST(dir, images: 3, labels: [7, 0, 9])
        let m = try MNIST(root: dir.path, train: false)
        #expect(m.count == 3 && ints(m.targets) == [7, 0, 9])
        #expect(ints(m.data[1][0][0..<3]) == [16, 17, 18])   // (784 + i) % 256
        // torchvision's layout: root/MNIST/raw
        let raw = dir.appendingPathComponent("tv/MNIST/raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try writeSmallMNIST(raw, images: 2, labels: [3, 4], prefix: "train")
        let tv = try MNIST(root: dir.appendingPathComponent("tv").path, train: true)
        #expect(tv.count == 2 && tv[1].1 == 4)
    }

    @Test func truncatedAndWrongMagicIDXFiles() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("t10k-images-idx3-ubyte")
        let labels = dir.appendingPathComponent("t10k-labels-idx1-ubyte")
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])

        // Data shorter than the header says.
        try idx(magic: 2051, dims: [2, 28, 28], data: [UInt8](repeating: 7, count: 100)).write(to: images)
        #expect(throws: DatasetError.truncated(path: images.path, expectedBytes: 1568, gotBytes: 100)) {
            _ = try MNIST(root: dir.path, train: false)
        }
        // A header cut short, and an empty file.
        try Data([0, 0, 8, 3, 0, 0]).write(to: images)
        #expect(datasetError({ _ = try MNIST(root: dir.path, train: false) }).map { "\($0)".contains(images.path) } == true)
        try Data().write(to: images)
        #expect(datasetError({ _ = try MNIST(root: dir.path, train: false) }) != nil)
        // Sizes in the header whose product overflows: an error, not a crash.
        try idx(magic: 2051, dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: [1, 2, 3]).write(to: images)
        #expect(datasetError({ _ = try MNIST(root: dir.path, train: false) }).map { "\($0)".contains(images.path) } == true)

        // Wrong magic numbers: a label file where images belong, and the reverse.
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])
        try idx(magic: 2049, dims: [2], data: [1, 2]).write(to: images)
        #expect(throws: DatasetError.badMagic(path: images.path, found: 2049, expected: 2051)) {
            _ = try MNIST(root: dir.path, train: false)
        }
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])
        try idx(magic: 2051, dims: [2, 1, 1], data: [1, 2]).write(to: labels)
        #expect(throws: DatasetError.badMagic(path: labels.path, found: 2051, expected: 2049)) {
            _ = try MNIST(root: dir.path, train: false)
        }
        // Image and label counts disagree.
        try writeSmallMNIST(dir, images: 2, labels: [1, 2, 3])
        #expect(throws: DatasetError.countMismatch(images: 2, labels: 3)) {
            _ = try MNIST(root: dir.path, train: false)
        }
        // A label that is not a digit.
        try writeSmallMNIST(dir, images: 2, labels: [1, 12])
        #expect(throws: DatasetError.badLabel(path: labels.path, value: 12)) {
            _ = try MNIST(root: dir.path, train: false)
        }
        // Messages name the file.
        #expect("\(DatasetError.badMagic(path: images.path, found: 2049, expected: 2051))".contains(images.path))
    }

    @Test func corruptAndTruncatedGzip() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Valid (plain) images, and the real test labels .gz with bytes flipped in the middle.
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let realLabels = try Data(contentsOf: URL(fileURLWithPath: mnistRoot).appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        var corrupt = [UInt8](realLabels)
        let mid = corrupt.count / 2
        for i in mid..<(mid + 16) { corrupt[i] ^= 0x5A }
        let gz = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        try Data(corrupt).write(to: gz)
        guard let e = datasetError({ _ = try MNIST(root: dir.path, train: false) }) else { return }
        guard case .unreadable(let p, _) = e else { Issue.record("got \(e)"); return }
        #expect(p == gz.path)
        #expect("\(e)".contains(gz.path))

        // A .gz cut in half.
        try realLabels.prefix(realLabels.count / 2).write(to: gz)
        guard let e2 = datasetError({ _ = try MNIST(root: dir.path, train: false) }) else { return }
        guard case .unreadable(let p2, _) = e2 else { Issue.record("got \(e2)"); return }
        #expect(p2 == gz.path)

        // A real images .gz with its trailing checksum damaged.
        try writeSmallMNIST(dir, images: 2, labels: [1, 2])
        var images = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mnistRoot).appendingPathComponent("t10k-images-idx3-ubyte.gz")))
        images[images.count - 6] ^= 0xFF    // inside the CRC-32 trailer
        let igz = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        try Data(images).write(to: igz)
        guard let e3 = datasetError({ _ = try MNIST(root: dir.path, train: false) }) else { return }
        guard case .unreadable(let p3, _) = e3 else { Issue.record("got \(e3)"); return }
        #expect(p3 == igz.path)
    }

    // MARK: End to end

    @Test func mnistZerosAndOnesTrainAbove98Percent() throws {
        let train = try mnistTrain.get()
        let ds = Subset(train, indices: Array(train.filter(classes: [0, 1]).indices.prefix(2000)))
        #expect(ds.count == 2000)
        manualSeed(0)
        let model = Sequential { Linear(784, 32); ReLU(); Linear(32, 1); Sigmoid() }
        let lossFn = BCELoss()
        let optimizer = SGD(model.parameters(), lr: 0.1)
        let loader = DataLoader(ds, batchSize: 64, shuffle: true)
        #expect(loader.count == 32)
        var lastEpochLoss = 0.0
        for _ in 0..<3 {
            lastEpochLoss = 0
            for (xb, yb) in loader {
                let pred = model(xb.reshape(xb.shape[0], 784))
                let loss = lossFn(pred, yb.float().reshape(-1, 1))
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                lastEpochLoss += loss.item() * Double(xb.shape[0])
            }
        }
        #expect(lastEpochLoss / 2000 < 0.1)
        let (x, y) = ds.batch(Array(0..<2000))
        let accuracy = noGrad {
            ((model(x.reshape(2000, 784)) .>= 0.5).float().reshape(-1) .== y.float()).float().mean().item()
        }
        #expect(accuracy > 0.98)
    }
}
}
