import Foundation
import Testing
@_spi(Testing) import Descent

// Files torch.save wrote (Fixtures/torch/make-torch-fixtures.py, torch 2.13), read by load(from:)
// and loadCheckpoint(from:). Expected values come from PyTorch reading the same files.

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/torch").path

private func scratchFile(_ bytes: [UInt8]) throws -> String {
    let p = NSTemporaryDirectory() + "descent-torchfile-" + UUID().uuidString + ".pt"
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
}

/// The message of the `SerializationError` that reading `path` with `read` throws ("" if it does not throw).
private func failure(_ path: String, _ read: (String) throws -> Void) -> String {
    do { try read(path); return "" } catch let e as SerializationError { return e.description } catch { return "other error: \(error)" }
}

extension Core {
@Suite struct TorchFileTests {
    @Test func stateDictOfZipAndLegacyFiles() throws {
        // m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)); m.load_state_dict(torch.load('sequential.pt')); m.eval()
        // m(torch.tensor([[1.,2,3],[-1,0.5,2]])).tolist()
        let expected = [-0.8393456339836121, -0.004484056029468775, -0.8192961812019348, 1.0646475553512573]
        for file in ["sequential.pt", "sequential-legacy.pt"] {
            let sd = try load(from: fixtures + "/" + file)
            #expect(sd.keys == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], "\(file)")
            #expect(sd["1.num_batches_tracked"]!.dtype == .int64 && sd["1.num_batches_tracked"]!.shape == [] && ints(sd["1.num_batches_tracked"]!) == [1])
            let m = Sequential(Linear(3, 2), BatchNorm1d(2))
            try m.loadStateDict(sd)
            m.eval()
            expectValues(m(Tensor([[1, 2, 3], [-1, 0.5, 2]] as [[Float]])), expected, shape: [2, 2])
        }
        // both formats hold the same bits
        let zip = try load(from: fixtures + "/sequential.pt"), legacy = try load(from: fixtures + "/sequential-legacy.pt")
        for (k, t) in zip { #expect(bitHash(t) == bitHash(legacy[k]!), "\(k)") }
        // Module.load(from:) reads them too
        let m = Sequential(Linear(3, 2), BatchNorm1d(2))
        try m.load(from: fixtures + "/sequential.pt")
        #expect(bitHash(m.stateDict()["0.weight"]!) == bitHash(zip["0.weight"]!))
    }

    @Test func checkpointDictEntries() throws {
        let c = try loadCheckpoint(from: fixtures + "/checkpoint.pt")
        #expect(c.keys == ["epoch", "loss", "done", "name", "tags", "sizes", "lrs", "model", "optimizer", "x", "y", "column", "transposed",
                           "row", "half", "bf16", "int8", "int16", "mask", "scalar", "double", "param", "empty", "expanded"])
        #expect(try c.int("epoch") == 3 && c.double("loss") == 0.25 && c["done"] as? Bool == true && c.string("name") == "adam-run")
        #expect(c["tags"] as? [String] == ["a", "b"] && c["sizes"] as? [Int] == [1, 2, 3] && c["lrs"] as? [Double] == [0.1, 0.01])
        // base = torch.arange(12.).reshape(3, 4): base[:, 1], base.t(), base[2] share its storage
        expectValues(try c.tensor("column"), [1, 5, 9], shape: [3], dtype: .float32)
        expectValues(try c.tensor("transposed"), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], shape: [4, 3])
        expectValues(try c.tensor("row"), [8, 9, 10, 11], shape: [4])
        // half and bfloat16 become float32, int8 and int16 int32, exactly
        expectValues(try c.tensor("half"), [1.5, -2.25, 65504], dtype: .float32, atol: 0, rtol: 0)
        expectValues(try c.tensor("bf16"), [1.5, -3], dtype: .float32, atol: 0, rtol: 0)
        expectValues(try c.tensor("int8"), [-128, 127], dtype: .int32, atol: 0, rtol: 0)
        expectValues(try c.tensor("int16"), [-300, 300], dtype: .int32, atol: 0, rtol: 0)
        #expect(bools(try c.tensor("mask")) == [true, false, true])
        #expect(try c.tensor("scalar").shape == [] && ints(try c.tensor("scalar")) == [7] && c.tensor("scalar").dtype == .int64)
        expectValues(try c.tensor("double"), [1.25], shape: [1, 1], dtype: .float64)
        expectValues(try c.tensor("param"), [4, 5])
        #expect(try c.tensor("empty").shape == [0, 3])
        expectValues(try c.tensor("expanded"), [9, 9, 9, 9], shape: [4])   // a stride-0 view
        // nested dicts are state dicts with dotted keys
        let opt = try c.stateDict("optimizer")
        #expect(opt.keys.contains("state.0.exp_avg") && opt.keys.contains("param_groups.0.betas.1"))
        #expect(ints(opt["param_groups.0.params"]!) == [0, 1] && values(opt["param_groups.0.lr"]!) == [0.01])
        #expect(opt["param_groups.0.amsgrad"]!.dtype == .bool && opt["param_groups.0.foreach"] == nil)
    }

    @Test func adamResumesFromPyTorchState() throws {
        // c = torch.load('checkpoint.pt'); net = nn.Linear(3, 2); net.load_state_dict(c['model'])
        // opt = torch.optim.Adam(net.parameters(), lr=0.01); opt.load_state_dict(c['optimizer'])
        // opt.zero_grad(); F.mse_loss(net(c['x']), c['y']).backward(); opt.step(); net.weight.tolist(), net.bias.tolist()
        let c = try loadCheckpoint(from: fixtures + "/checkpoint.pt")
        let net = Linear(3, 2)
        try net.loadStateDict(c.stateDict("model"))
        let opt = Adam(net.parameters(), lr: 0.01)
        try opt.loadStateDict(c.stateDict("optimizer"))
        opt.zeroGrad()
        mseLoss(net(try c.tensor("x")), try c.tensor("y")).backward()
        opt.step()
        expectValues(net.weight, [0.025667818263173103, 0.279760479927063, -0.4453471899032593,
                                  -0.3949999511241913, -0.1924043595790863, 0.1249072253704071], atol: 1e-7)
        expectValues(net.bias!, [0.01850755140185356, 0.4278019070625305], atol: 1e-7)
    }

    @Test func refusesWhatItCannotRead() throws {
        let whole = failure(fixtures + "/whole-model.pt") { _ = try load(from: $0) }
        #expect(whole.contains("__main__.Net") && whole.contains("state_dict()"), "\(whole)")
        let scripted = failure(fixtures + "/scripted.pt") { _ = try loadCheckpoint(from: $0) }
        #expect(scripted.contains("TorchScript"), "\(scripted)")
        // a state dict file is no checkpoint dict? it is: its entries are tensors
        #expect(try loadCheckpoint(from: fixtures + "/sequential.pt").count == 7)
    }

    @Test func damagedFilesThrow() throws {
        for file in ["checkpoint.pt", "sequential-legacy.pt"] {
            let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + file)))
            // cut anywhere: a typed error, never a crash
            for n in stride(from: 0, to: good.count, by: max(1, good.count / 97)) {
                let p = try scratchFile(Array(good.prefix(n)))
                defer { try? FileManager.default.removeItem(atPath: p) }
                #expect(!failure(p) { _ = try loadCheckpoint(from: $0) }.isEmpty, "\(file) cut at \(n) was read")
            }
        }
        // a flipped bit in a tensor's bytes: the zip entry's CRC-32 catches it
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/sequential.pt")))
        let name = Array("sequential/data/0".utf8)
        let at = (0..<(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name }!   // its local header's name
        let dataStart = at + name.count + (Int(bytes[at - 2]) | Int(bytes[at - 1]) << 8)   // past the extra field
        bytes[dataStart + 1] ^= 0x10
        let p = try scratchFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: p) }
        let msg = failure(p) { _ = try load(from: $0) }
        #expect(msg.contains("CRC-32 of sequential/data/0"), "\(msg)")
    }

    // Files Descent writes with format: .torch load in PyTorch 2.13 as torch.save's do (checked with
    // c = torch.load(path) and torch.load(path, mmap=True), which needs the 64-byte alignment;
    // model.load_state_dict(torch.load(path)) reports all keys matched; zipfile.ZipFile(path).testzip() is None).
    @Test func writesWhatTorchSaveWrites() throws {
        manualSeed(0)
        let m = Sequential(Linear(3, 2), BatchNorm1d(2))
        _ = m(Tensor.randn([4, 3]))
        let c: Checkpoint = ["epoch": 3, "loss": 0.25, "done": true, "name": "run", "ints": [1, -70000, 1 << 40], "ds": [0.5, -1.0],
                             "tags": ["a"], "model": m.stateDict(), "t": Tensor.arange(12).reshape([3, 4]).t(), "mask": Tensor([true, false]),
                             "empty": Tensor.zeros([0, 3]), "d": Tensor([1.5, 2.5], dtype: .float64), "s": Tensor(3.0)]
        let dir = NSTemporaryDirectory() + "descent-torchwrite-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for large in [false, true] {
            zip64Threshold = large ? 0 : 0xFFFF_FFFF   // zip64 records for every entry, as for files past 4 GiB
            defer { zip64Threshold = 0xFFFF_FFFF }
            let sdPath = dir + "/model-\(large).pth", ckptPath = dir + "/ckpt-\(large).pt"
            try m.save(to: sdPath, format: .torch)
            try save(c, to: ckptPath, format: .torch)
            // the archive's records, as torch.save names them, each entry's data 64-byte aligned
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sdPath)))
            #expect(bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]))
            #expect(String(decoding: bytes, as: UTF8.self).contains("model-\(large)/data.pkl"))
            let sd = try load(from: sdPath)
            #expect(sd.keys == m.stateDict().keys)
            for (k, t) in m.stateDict() { #expect(sd[k]!.dtype == t.dtype && sd[k]!.shape == t.shape && bitHash(sd[k]!) == bitHash(t), "\(k)") }
            let back = try loadCheckpoint(from: ckptPath)
            #expect(back.keys == c.keys)
            #expect(try back.int("epoch") == 3 && back.double("loss") == 0.25 && back["done"] as? Bool == true && back.string("name") == "run")
            #expect(back["ints"] as? [Int] == [1, -70000, 1 << 40] && back["ds"] as? [Double] == [0.5, -1.0] && back["tags"] as? [String] == ["a"])
            #expect(try back.stateDict("model").keys == m.stateDict().keys)
            expectValues(try back.tensor("t"), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], shape: [4, 3], dtype: .int64)
            #expect(try bools(back.tensor("mask")) == [true, false] && back.tensor("empty").shape == [0, 3])
            expectValues(try back.tensor("d"), [1.5, 2.5], dtype: .float64)
            #expect(try back.tensor("s").shape == [] && values(back.tensor("s")) == [3])
        }
    }

    @Test func hostilePicklesThrowInsteadOfRecursingOrExploding() throws {
        // legacy layout around a hand-written data pickle: magic, protocol 1001, system info, the pickle, no storages
        func legacy(_ pickle: [UInt8]) -> [UInt8] {
            [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
             0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E] + pickle + [0x80, 0x02, 0x5D, 0x2E]
        }
        let ascii = { (s: String) in Array(s.utf8) }
        // {"a": L} with L = [L]: a list that contains itself
        let selfList = [0x80, 0x02, 0x7D] + ascii("(X") + [1, 0, 0, 0] + ascii("a]q") + [0] + ascii("h") + [0] + ascii("au.")
        // {"a": L60}, L_k = [L_k-1, L_k-1], L_0 = "s": 2^60 leaves from 600 bytes (each level pops the last list, kept in the memo)
        var shared = [0x80, 0x02, 0x7D] + ascii("(X") + [1, 0, 0, 0] + ascii("aX") + [1, 0, 0, 0] + ascii("sq") + [0]
        for _ in 0..<60 { shared += ascii("0](h") + [0] + ascii("h") + [0] + ascii("eq") + [0] }
        shared += ascii("u.")
        for (bytes, words) in [(legacy(selfList), "nested more than 200"), (legacy(shared), "more than 1,000,000 entries")] {
            let p = try scratchFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: p) }
            let msg = failure(p) { _ = try loadCheckpoint(from: $0) }
            #expect(msg.contains(words), "\(msg)")
        }
    }
}
}
