import Foundation
import Testing
@_spi(Testing) import Descent

// CIFAR-10 / CIFAR-100 from fixtures laid out and pickled as the published archives are
// (Fixtures/make-cifar-fixtures.py: Python 2 cPickle protocol 2 batches in a GNU tar.gz), compared
// with what torchvision 0.28 reads from the same files (/tmp/ref/cifar.py, in short):
//   import torchvision.datasets.cifar as C; C.check_integrity = lambda p, m=None: True   (fixture MD5s)
//   tr = datasets.CIFAR10(root, train=True); te = datasets.CIFAR10(root, train=False)
//   tr.data.shape, tr.targets, te.targets, tr.classes; int(tr.data.sum()); tr.data[3, 5, 7]; ...
//   torch.manual_seed(0); tf = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(...)])
//   [tf(tr[k][0]) for k in range(3)]

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

private func scratch() throws -> String {
    let d = NSTemporaryDirectory() + "descent-cifar-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A root holding both fixtures unpacked.
private func unpacked() throws -> String {
    let root = try scratch()
    try extractTarGz(fixtures + "/cifar-10-python.tar.gz", into: root)
    try extractTarGz(fixtures + "/cifar-100-python.tar.gz", into: root)
    return root
}

extension Core {
@Suite struct CIFARTests {
    @Test func cifar10ReadsAsTorchvision() throws {
        let root = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let train = try CIFAR10(root: root, train: true), test = try CIFAR10(root: root, train: false)
        #expect(train.data.shape == [10, 32, 32, 3] && train.data.dtype == .uint8 && train.count == 10 && test.count == 3)
        #expect(train.targets.toArray(Int64.self) == [4, 9, 4, 3, 1, 2, 9, 5, 4, 1] && test.targets.toArray(Int64.self) == [9, 4, 9])
        #expect(train.classes == ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
        #expect(train.classToIdx["cat"] == 3)
        #expect(train.data.to(dtype: .int64).sum().item() == 3883874 && test.data.to(dtype: .int64).sum().item() == 1176941)
        #expect(train.data[3, 5, 7].toArray(UInt8.self) == [249, 26, 138] && train.data[9, 31, 0].toArray(UInt8.self) == [41, 87, 8])
        #expect(test.data[2, 0, 31].toArray(UInt8.self) == [45, 191, 0])
        // tr[4] through ToTensor: 1, (3, 32, 32) float32, sum 1502.34912109375, [2, 10, 20] = 0.3137255012989044
        let (x, y) = train[4]
        #expect(y == 1 && x.shape == [3, 32, 32] && x.dtype == .float32)
        #expect(abs(x.sum().item() - 1502.34912109375) < 1e-3 && x[2, 10, 20].item() == Double(Float(0.3137255012989044)))
        // a batch without a transform is the same images
        let (xb, yb) = train.batch([4, 0])
        #expect(xb.shape == [2, 3, 32, 32] && xb[0].equal(x) && yb.toArray(Int64.self) == [1, 4])
        #expect("\(train)" == "Dataset CIFAR10\n    Number of datapoints: 10\n    Root location: \(root)\n    Split: Train")
    }

    @Test func tutorialAugmentationMatchesTorchvision() throws {
        let root = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tf = Compose([RandomCrop(32, padding: 4), RandomHorizontalFlip(), ToTensor(),
                          Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])])
        let train = try CIFAR10(root: root, train: true, transform: tf)
        manualSeed(0)
        let a = (0..<3).map { train[$0].0 }
        for (t, e) in zip(a, [-1216.5096435546875, -711.2515258789062, -883.7280883789062]) { #expect(abs(t.sum().item() - e) < 1e-2) }
        expectValues(Tensor(a[0][0, 0].toArray(Float.self).prefix(6).map(Double.init)), [1.13825523853302, 1.8050806522369385, 1.7256966829299927, 1.3287767171859741,
                                         0.15389388799667358, 1.4875446557998657], atol: 1e-5)
        expectValues(Tensor(a[1][1, 3].toArray(Float.self).prefix(4).map(Double.init)), [1.643338680267334, 1.7560737133026123, -0.09600190818309784, 0.49988335371017456], atol: 1e-5)
    }

    @Test func cifar100HasFineLabels() throws {
        let root = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // CIFAR100(root, train=True): data (4, 32, 32, 3), targets [61, 91, 84, 78]; test [68, 53]; 100 classes; data sum 1567669
        let c = try CIFAR100(root: root, train: true), ct = try CIFAR100(root: root, train: false)
        #expect(c.data.shape == [4, 32, 32, 3] && c.targets.toArray(Int64.self) == [61, 91, 84, 78] && ct.targets.toArray(Int64.self) == [68, 53])
        #expect(c.classes.count == 100 && Array(c.classes.prefix(3)) == ["fine_00", "fine_01", "fine_02"])
        #expect(c.data.to(dtype: .int64).sum().item() == 1567669)
        #expect("\(ct)".hasPrefix("Dataset CIFAR100\n    Number of datapoints: 2"))
    }

    @Test func downloadVerifiesAndUnpacks() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let saved = CIFAR10.mirrors, savedLayout = DatasetFiles.cifar10
        defer { CIFAR10.mirrors = saved; DatasetFiles.cifar10 = savedLayout }
        CIFAR10.mirrors = ["file://" + fixtures + "/"]
        // the fixture is not the published archive: its MD5 fails, and nothing is unpacked
        do {
            _ = try CIFAR10(root: root, download: true)
            Issue.record("an archive with the wrong MD5 was accepted")
        } catch let e as DatasetError {
            #expect("\(e)".contains("checksum") && "\(e)".contains("c58f30108f718f92721af3b95e74349a"))
            #expect(!FileManager.default.fileExists(atPath: root + "/cifar-10-batches-py"))
        }
        // with the fixture's own MD5s: downloaded into root, verified, unpacked; a second call finds the batches intact
        let reference = try unpacked()
        defer { try? FileManager.default.removeItem(atPath: reference) }
        func sum(_ name: String) throws -> String { try md5Hex(ofFile: reference + "/cifar-10-batches-py/" + name) }
        var l = savedLayout
        l.archive = DatasetFile(name: l.archive.name, md5: try md5Hex(ofFile: fixtures + "/" + l.archive.name))
        l.trainFiles = try l.trainFiles.map { DatasetFile(name: $0.name, md5: try sum($0.name)) }
        l.testFiles = try l.testFiles.map { DatasetFile(name: $0.name, md5: try sum($0.name)) }
        l.meta = DatasetFile(name: l.meta.name, md5: try sum(l.meta.name))
        DatasetFiles.cifar10 = l
        let test = try CIFAR10(root: root, train: false, download: true)
        #expect(test.targets.toArray(Int64.self) == [9, 4, 9])
        #expect(FileManager.default.fileExists(atPath: root + "/cifar-10-python.tar.gz"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/cifar-10-batches-py").sorted()
                == ["batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "readme.html", "test_batch"])
        CIFAR10.mirrors = ["file:///nonexistent/"]   // intact batches: no download is tried
        #expect(try CIFAR10(root: root, train: true, download: true).count == 10)
    }

    @Test func missingFilesSayWhereToPutThem() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        do { _ = try CIFAR10(root: root); Issue.record("no error") } catch let e as DatasetError {
            #expect("\(e)".contains(root + "/cifar-10-batches-py/data_batch_1") && "\(e)".contains("pass download: true"))
        }
    }

    // pickle.dumps(small, protocol=2) and protocol=5 of
    // {"data": np.arange(12, dtype=np.uint8).reshape(2, 6) * 20, "labels": [3, 1000, 70000, -2], "name": "small",
    //  "ratio": 0.25, "flags": (True, False, None)}: bytes via _codecs.encode (2), frames, STACK_GLOBAL, _frombuffer (5)
    @Test(arguments: ["small-py3-protocol2.pkl", "small-py3-protocol5.pkl"])
    func python3PicklesRead(_ name: String) throws {
        let v = try unpickle([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name))), path: name)
        guard case .array(let arr)? = v["data"] else { Issue.record("no array"); return }
        let t = try arr.tensor(path: name)
        #expect(t.shape == [2, 6] && t.dtype == .uint8 && t.toArray(UInt8.self) == (0..<12).map { UInt8($0 * 20) })
        #expect(v["labels"]?.items?.compactMap(\.int) == [3, 1000, 70000, -2])
        #expect(v["name"]?.string == "small")
        if case .float(let r)? = v["ratio"] { #expect(r == 0.25) } else { Issue.record("ratio") }
        guard case .tuple(let flags)? = v["flags"], flags.count == 3, case .bool(true) = flags[0], case .bool(false) = flags[1],
              case .none = flags[2] else { Issue.record("flags"); return }
    }

    @Test func badPicklesThrowTypedErrors() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/small-py3-protocol2.pkl")))
        func fails(_ b: [UInt8], _ words: String) {
            do { _ = try unpickle(b, path: "x.pkl"); Issue.record("accepted: \(words)") } catch let e as DatasetError {
                #expect("\(e)".contains(words), "\(e)")
            } catch { Issue.record("untyped error \(error)") }
        }
        // every truncation is an error, never a crash
        for n in stride(from: 0, to: good.count - 1, by: 7) {
            do { _ = try unpickle(Array(good.prefix(n)), path: "x.pkl"); Issue.record("a pickle cut at \(n) was accepted") } catch is DatasetError {}
        }
        fails([0x80, 0x06, 0x4E, 0x2E], "unsupported pickle protocol 6")
        fails([0x80, 0x02, 0x4E, 0xFF], "unsupported opcode 0xff")
        fails([0x80, 0x02, 0x2E], "STOP with 0 values")
        fails([0x80, 0x02, 0x4E, 0x4E, 0x2E], "STOP with 2 values")
        fails([0x80, 0x02, 0x68, 0x09, 0x2E], "unknown memo entry 9")
        fails([0x80, 0x02, 0x28, 0x65, 0x2E], "stack underflow")              // MARK, APPENDS with nothing below
        fails([0x80, 0x02, 0x4E, 0x61, 0x2E], "stack underflow")              // APPEND with one value
        fails([0x80, 0x02, 0x4B, 0x01, 0x4E, 0x61, 0x2E], "APPEND to something that is not a list")
        fails([0x80, 0x02, 0x54, 0xFF, 0xFF, 0xFF, 0x7F], "runs past the end")   // BINSTRING of 2 GiB
        fails([0x80, 0x02, 0x58, 0x02, 0, 0, 0, 0xC3, 0x28, 0x2E], "not UTF-8")
        // 2000 nested lists
        fails([0x80, 0x02] + [UInt8](repeating: 0x5D, count: 2000) + [UInt8](repeating: 0x61, count: 1999) + [0x2E], "nested more than 1000 deep")
        // an array whose data does not fill its shape
        var s = good
        // the shape (2, 6): BININT1 2, BININT1 6, TUPLE2; make it (3, 6)
        let at = (0..<s.count - 5).first { Array(s[$0..<$0 + 5]) == [0x4B, 0x02, 0x4B, 0x06, 0x86] }!
        s[at + 1] = 3
        fails(s, "an ndarray of shape [3, 6] and dtype u1 with 12 bytes of data")
    }

    @Test func badTarsThrowTypedErrors() throws {
        let tar = try readMaybeGzip(fixtures + "/cifar-100-python.tar.gz")
        let entries = try readTar(tar, path: "t")
        #expect(entries.map(\.name) == ["cifar-100-python/train", "cifar-100-python/test", "cifar-100-python/meta"])
        func fails(_ b: [UInt8], _ words: String) {
            do { _ = try readTar(b, path: "t.tar"); Issue.record("accepted: \(words)") } catch let e as DatasetError {
                #expect("\(e)".contains(words), "\(e)")
            } catch { Issue.record("untyped error \(error)") }
        }
        fails(Array(tar.prefix(1500)), "an entry of")              // the first file (after the folder's header) cut short
        fails(Array(tar.prefix(100)), "a header cut short")
        var c = tar
        c[512 + 3] ^= 0x20                                          // the second header's name: its checksum no longer holds
        fails(c, "header checksum")
        // an entry that climbs out of the folder is refused before anything is written
        var evil = [UInt8](repeating: 0, count: 512)
        for (i, x) in Array("../evil".utf8).enumerated() { evil[i] = x }
        for (i, x) in Array("0000644\0".utf8).enumerated() { evil[100 + i] = x }
        for (i, x) in Array("00000000001\0".utf8).enumerated() { evil[124 + i] = x }
        evil[156] = UInt8(ascii: "0")
        let sum = evil.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 0x20 : Int($1.element)) }
        for (i, x) in Array(String(format: "%06o\0 ", sum).utf8).enumerated() { evil[148 + i] = x }
        let file = evil + [UInt8(ascii: "x")] + [UInt8](repeating: 0, count: 511) + [UInt8](repeating: 0, count: 1024)
        #expect(try readTar(file, path: "e").map(\.name) == ["../evil"])
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(file).write(to: URL(fileURLWithPath: dir + "/evil.tar"))
        do { try extractTarGz(dir + "/evil.tar", into: dir + "/out"); Issue.record("extracted ../evil") } catch let e as DatasetError {
            #expect("\(e)".contains("outside the folder"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/evil"))
    }
}
}
