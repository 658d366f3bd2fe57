// Lecture: the data pipeline, as a PyTorch user builds it. Custom Datasets, TensorDataset,
// DataLoader (batch size, shuffling with a seeded Generator and with the global seed, drop last,
// collate functions, workers), randomSplit, Subset, ConcatDataset, the samplers and the indices
// they yield, MNIST with ToTensor + Normalize, a train/validation split, the dataset's mean and
// std, class counts, class-balanced sampling with WeightedRandomSampler, random augmentations
// (RandomCrop with padding, RandomHorizontalFlip) and their draws, and oneHot labels.
// Expected output: pytorch/19-data-pipeline.py's (pytorch/19-data-pipeline.expected).
// The MNIST folder is the first argument, else DESCENT_MNIST (default /work/shared/data/mnist).
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
let args = CommandLine.arguments
let root = args.count > 1 ? args[1] : (ProcessInfo.processInfo.environment["DESCENT_MNIST"] ?? "/work/shared/data/mnist")

struct Squares: Dataset {
    let n: Int
    init(_ n: Int) { self.n = n }
    var count: Int { n }
    subscript(index: Int) -> (Tensor, Int) {
        (Tensor([Float(index), Float(index * index)]), index % 3)
    }
}

block("custom dataset")
let sq = Squares(10)
print(sq.count)
do {
    let (x, y) = sq[3]
    print(x, y)
    let loader = DataLoader(sq, batchSize: 4)
    print(loader.count)
    for (i, (xb, yb)) in loader.enumerated() {
        print(i, xb.shape, xb.dtype, yb.shape, yb.dtype)
        print(xb)
        print(yb)
    }
}

block("TensorDataset")
let X = Tensor.arange(20.0).reshape(10, 2)
let Y = Tensor.arange(10)
let tds = TensorDataset(X, Y)
print(tds.count)
do {
    let (x, y) = tds[2]
    print(x, y)
    print(tds.tensors[0].shape == X.shape)
    let loader = DataLoader(tds, batchSize: 4)
    print(loader.count, loader.batchSize, loader.dataset.count, loader.dropLast)
    for (xb, yb) in loader {
        print(xb.shape, yb.tolist())
    }
}

block("shuffle with a seeded generator")
do {
    let g = Generator().manualSeed(0)
    let loader = DataLoader(tds, batchSize: 4, shuffle: true, generator: g)
    print(type(of: loader.sampler))
    for epoch in 0..<2 {
        print(epoch, loader.map { $0.1.tolist() })
    }
    let g2 = Generator().manualSeed(0)
    print(DataLoader(tds, batchSize: 4, shuffle: true, generator: g2).map { $0.1.tolist() })
    let state = g.getState()
    let first = loader.map { $0.1.toArray(Int.self) }
    g.setState(state)
    let again = loader.map { $0.1.toArray(Int.self) }
    print(first == again, first)
}

block("shuffle with the global seed")
do {
    manualSeed(0)
    let loader = DataLoader(tds, batchSize: 4, shuffle: true)
    for epoch in 0..<2 {
        print(epoch, loader.map { $0.1.tolist() })
    }
    let (_, yb) = loader.makeIterator().next()!
    print(yb)
    print(Tensor.rand(2))
    manualSeed(0)
    print(loader.map { $0.1.tolist() })
}

block("drop_last")
do {
    var loader = DataLoader(tds, batchSize: 4, dropLast: true)
    print(loader.count)
    for (xb, yb) in loader {
        print(xb.shape, yb.tolist())
    }
    loader = DataLoader(tds, batchSize: 3, shuffle: true, dropLast: true, generator: Generator().manualSeed(1))
    print(loader.count, loader.map { $0.1.tolist() })
}

block("num_workers")
do {
    let w0 = DataLoader(tds, batchSize: 4, shuffle: true, generator: Generator().manualSeed(5)).map { $0.1.toArray(Int.self) }
    let w2 = DataLoader(tds, batchSize: 4, shuffle: true, generator: Generator().manualSeed(5), numWorkers: 2).map { $0.1.toArray(Int.self) }
    print(w0 == w2, w2)
}

block("collate_fn")
struct Seqs: Dataset {
    var count: Int { 7 }
    subscript(index: Int) -> (Tensor, Int) { (Tensor.arange(1, index % 4 + 2), index) }
}
func padCollate(_ batch: [(Tensor, Int)]) -> (Tensor, Tensor, Tensor) {
    let seqs = batch.map { $0.0 }
    let lengths = Tensor(seqs.map { $0.count })
    let labels = Tensor(batch.map { $0.1 })
    return (padSequence(seqs, batchFirst: true), lengths, labels)
}
func pairCollate(_ batch: [(Tensor, Int)]) -> (Tensor, Tensor) {
    let xs = stack(batch.map { $0.0 })
    let ys = Tensor(batch.map { Float($0.1) })
    return (xs.sum(1), ys * 2)
}
do {
    let loader = DataLoader(Seqs(), batchSize: 3, shuffle: true, generator: Generator().manualSeed(1), collateFn: padCollate)
    for (padded, lengths, labels) in loader {
        print(padded)
        print(lengths, labels)
    }
    for (s, y2) in DataLoader(sq, batchSize: 5, collateFn: pairCollate) {
        print(s, y2)
    }
}

block("dict samples")
struct Pairs: Dataset {
    var count: Int { 5 }
    subscript(index: Int) -> [String: Tensor] {
        ["x": Tensor.full([2], Double(index)), "y": Tensor(index * 10)]
    }
}
do {
    let batch = DataLoader(Pairs(), batchSize: 3).makeIterator().next()!
    print(batch.keys.sorted().joined(separator: ", "))
    print(batch["x"]!)
    print(batch["y"]!)
}

block("random_split")
do {
    var parts = randomSplit(tds, [7, 3], generator: Generator().manualSeed(42))
    print(parts.map { $0.count })
    print(parts[0].indices, parts[1].indices)
    let (x, y) = parts[1][0]
    print(x, y)
    parts = randomSplit(tds, [0.5, 0.3, 0.2], generator: Generator().manualSeed(42))
    print(parts.map { $0.indices })
    manualSeed(0)
    let halves = randomSplit(tds, [6, 4])
    print(halves[0].indices, halves[1].indices)
    print(Tensor.rand(1))
}

block("Subset and ConcatDataset")
do {
    let sub = Subset(tds, [0, 2, 4, 6])
    print(sub.count, sub.indices)
    let (x, y) = sub[1]
    print(x, y)
    for (xb, yb) in DataLoader(sub, batchSize: 3) {
        print(xb, yb)
    }
    let a = TensorDataset(Tensor.arange(0.0, 6.0).reshape(3, 2), Tensor([0, 1, 2]))
    let c = TensorDataset(Tensor.arange(10.0, 20.0).reshape(5, 2), Tensor([3, 4, 5, 6, 7]))
    let both = ConcatDataset([a, c])
    print(both.count, both.cumulativeSizes)
    let (x4, y4) = both[4]
    print(x4, y4)
    for (xb, yb) in DataLoader(both, batchSize: 3) {
        print(xb.tolist(), yb.tolist())
    }
    print(DataLoader(both, batchSize: 3, shuffle: true, generator: Generator().manualSeed(2)).map { $0.1.tolist() })
}

block("samplers")
do {
    let ds10 = TensorDataset(Tensor.arange(10))
    print(Array(SequentialSampler(ds10)))
    let g = Generator().manualSeed(0)
    var rs = RandomSampler(ds10, generator: g)
    print(Array(rs), rs.count)
    print(Array(rs))
    rs = RandomSampler(ds10, replacement: true, numSamples: 5, generator: Generator().manualSeed(0))
    print(Array(rs), rs.count)
    let srs = SubsetRandomSampler([1, 3, 5, 7], generator: Generator().manualSeed(0))
    print(Array(srs), srs.count)
    var ws = WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], numSamples: 8, replacement: true, generator: Generator().manualSeed(0))
    print(Array(ws), ws.count)
    ws = WeightedRandomSampler([0.1, 0.1, 0.4, 0.4], numSamples: 4, replacement: false, generator: Generator().manualSeed(0))
    print(Array(ws))
    var bs = BatchSampler(SequentialSampler(ds10), batchSize: 3, dropLast: false)
    print(Array(bs), bs.count)
    bs = BatchSampler(SequentialSampler(ds10), batchSize: 3, dropLast: true)
    print(Array(bs), bs.count)
    let loader = DataLoader(ds10, batchSize: 4, sampler: SubsetRandomSampler([0, 2, 4, 6, 8], generator: Generator().manualSeed(3)))
    print(loader.count, loader.map { $0.tolist() })
    let batched = DataLoader(ds10, batchSampler: BatchSampler(RandomSampler(ds10, generator: Generator().manualSeed(3)), batchSize: 4, dropLast: false))
    print(batched.count, batched.map { $0.tolist() })
}

block("MNIST")
let transform = Compose([ToTensor(), Normalize(mean: [0.1307], std: [0.3081])])
let train = try MNIST(root: root, train: true, transform: transform)
let test = try MNIST(root: root, train: false, transform: transform)
print(train.count, test.count)
print(train.data.shape, train.data.dtype, train.targets.shape, train.targets.dtype)
print(train.targets[0..<10])
print(train.classes.joined(separator: ", "))
do {
    let (img, label) = train[0]
    print(img.shape, img.dtype, label)
    print(String(format: "%.4f %.4f %.4f %.4f", img.mean().item(), img.std().item(), img.min().item(), img.max().item()))
}
print(transform)

block("train/val split")
let splits = randomSplit(train, [55000, 5000], generator: Generator().manualSeed(42))
let trainDs = splits[0], valDs = splits[1]
print(trainDs.count, valDs.count)
print(Array(trainDs.indices[..<8]), Array(valDs.indices[..<8]))
do {
    let trainLoader = DataLoader(trainDs, batchSize: 256, shuffle: true, generator: Generator().manualSeed(0))
    let valLoader = DataLoader(valDs, batchSize: 1000)
    print(trainLoader.count, valLoader.count)
    let (xb, yb) = trainLoader.makeIterator().next()!
    print(xb.shape, yb.shape, xb.dtype, yb.dtype)
    print(yb[0..<16])
    print(String(format: "%.4f %.4f", xb.mean().item(), xb.std().item()))
    let valLabels = cat(valLoader.map { $0.1 })
    print(valLabels.shape, valLabels[0..<10].tolist())
    let trva = randomSplit(train, [0.9, 0.1], generator: Generator().manualSeed(42))
    print(trva[0].count, trva[1].count, Array(trva[0].indices[..<4]))
    let full = ConcatDataset([train, test])
    print(full.count, full[60000].1 == test[0].1, full[59999].1)
    let mixed = ConcatDataset([Subset(train, 0..<100), test])
    print(mixed.count, mixed[100].1)
}

block("dataset mean and std")
do {
    let plain = try MNIST(root: root, train: true, transform: ToTensor())
    let data = plain.data.float() / 255
    print(String(format: "%.4f %.4f", data.mean().item(), data.std().item()))
    let loader = DataLoader(Subset(plain, 0..<10000), batchSize: 1000)
    var mean = Tensor.zeros(1)
    var std = Tensor.zeros(1)
    for (images, _) in loader {
        let n = images.size(0)
        let flat = images.view(n, images.size(1), -1)
        mean += flat.mean(2).sum(0)
        std += flat.std(2).sum(0)
    }
    mean /= Double(loader.dataset.count)
    std /= Double(loader.dataset.count)
    print(String(format: "%.4f %.4f", mean.item(), std.item()))
    var total = 0.0, totalSq = 0.0, count = 0
    for (images, _) in loader {
        total += images.sum().item()
        totalSq += images.pow(2).sum().item()
        count += images.numel()
    }
    let m = total / Double(count)
    print(String(format: "%.4f %.4f", m, (totalSq / Double(count) - m * m).squareRoot()))
}

block("class counts")
do {
    let counts = bincount(train.targets, minlength: 10)
    print(counts)
    let (values, counts2) = unique(train.targets, returnCounts: true)
    print(values, counts2)
    print(bincount(train.targets[valDs.indices], minlength: 10))
    print(test.targets.bincount())
    let w = 1.0 / counts.float()
    print(String(format: "%.4f", (w.max() / w.min()).item()))
}

block("class-balanced sampling")
do {
    let labels = train.targets[0..<1000]
    let classCount = bincount(labels)
    let sampleWeights = 1.0 / classCount[labels].float()
    let sampler = WeightedRandomSampler(sampleWeights, numSamples: 1000, replacement: true, generator: Generator().manualSeed(0))
    let loader = DataLoader(Subset(train, 0..<1000), batchSize: 100, sampler: sampler)
    print(loader.count)
    let drawn = cat(loader.map { $0.1 })
    print(classCount)
    print(bincount(drawn, minlength: 10))
}

block("transforms")
let aug = Compose([RandomCrop(28, padding: 4), RandomHorizontalFlip(), ToTensor(), Normalize(mean: [0.1307], std: [0.3081])])
print(aug)
do {
    let x = Tensor.arange(16, dtype: .uint8).reshape(4, 4)
    manualSeed(0)
    print(RandomHorizontalFlip(p: 1.0)(x))
    print(RandomHorizontalFlip(p: 0.0)(x))
    print(RandomCrop(3, padding: 1)(x))
    print(RandomCrop(3, padding: 1)(x))
    print(RandomCrop(2)(x))
    print(Tensor.rand(2))
    let flat = Compose([ToTensor(), Lambda { $0.flatten() }])
    print(flat)
    print(flat(x).shape, flat(x)[0..<4])
}
let augTrain = try MNIST(root: root, train: true, transform: aug)
do {
    manualSeed(0)
    let (a1, l1) = augTrain[0]
    let (a2, l2) = augTrain[0]
    print(a1.shape, l1, l2, equal(a1, a2))
    print((a1[0] .> 0).nonzero()[0].tolist(), (a2[0] .> 0).nonzero()[0].tolist(), (train[0].0[0] .> 0).nonzero()[0].tolist())
    print(Int((a1 .> 0).sum().item()), Int((a2 .> 0).sum().item()))
}

block("augmented loader, global seed")
do {
    manualSeed(0)
    let augLoader = DataLoader(Subset(augTrain, 0..<512), batchSize: 128, shuffle: true)
    print(augLoader.count)
    for (xb, yb) in augLoader {
        print(xb.shape, yb[0..<8].tolist(), (xb[0, 0] .> 0).nonzero()[0].tolist(), Int((xb .> 0).sum().item()))
    }
    print(Tensor.rand(2))
}

block("one_hot")
do {
    let y = Tensor([3, 0, 2])
    print(oneHot(y))
    print(oneHot(y, numClasses: 5))
    print(oneHot(train.targets[0..<4], numClasses: 10).float())
    let (_, yb) = DataLoader(train, batchSize: 6).makeIterator().next()!
    let oh = oneHot(yb, numClasses: 10)
    print(oh.shape, oh.dtype, oh.argmax(1).tolist(), oh.sum(0).tolist())
}
