import Foundation
import Testing
import Descent

// Safetensors checkpoints: round trips of every dtype, models and optimizers, interop with
// PyTorch's `safetensors.torch` in both directions, bad files (each throws its own typed error),
// and atomic writes. Files live in a fresh temporary folder per test.

// MARK: - Helpers

/// A fresh temporary folder, removed when `body` returns.
private func withTempDir(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-st-" + UUID().uuidString).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
}

private func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
private func writeBytes(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
private func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

private func f32Bits(_ t: Tensor) -> [UInt32] { t.toArray(Float.self).map(\.bitPattern) }
private func f64Bits(_ t: Tensor) -> [UInt64] { t.toArray(Double.self).map(\.bitPattern) }

/// A safetensors file from a header text (used as is: no padding) and data bytes; `length`
/// overrides the header length written in the first 8 bytes.
private func stFile(_ header: String, _ data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = length ?? UInt64(h.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + h + data
}

/// The error `loadSafetensors(data:)` throws for `bytes` (nil when it loads, or throws something else).
private func loadError(_ bytes: [UInt8], name: String = "bad.safetensors") -> SerializationError? {
    do { _ = try loadSafetensors(data: Data(bytes), name: name); return nil } catch let e as SerializationError { return e } catch { return nil }
}

/// The error `body` throws, as a `SerializationError` (nil otherwise).
private func serializationError(_ body: () throws -> Void) -> SerializationError? {
    do { try body(); return nil } catch let e as SerializationError { return e } catch { return nil }
}

private func stateDictError(_ body: () throws -> Void) -> StateDictError? {
    do { try body(); return nil } catch let e as StateDictError { return e } catch { return nil }
}

private func base64(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }

/// torch.manual_seed(0); m = nn.Sequential(nn.Linear(3,2), nn.ReLU(), nn.Linear(2,1))
/// safetensors.torch.save_file(m.state_dict(), "seq.safetensors")   # torch 2.13, safetensors 0.8.0
private let torchSequentialFile = base64("""
    +AAAAAAAAAB7IjAuYmlhcyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzAsOF19LCIwLndlaWdodCI6eyJkdHlwZSI6IkYz\
    MiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbOCwzMl19LCIyLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMi\
    OlszMiwzNl19LCIyLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMSwyXSwiZGF0YV9vZmZzZXRzIjpbMzYsNDRdfX0gIEBrO7x6Yeo+6KONuxOT\
    nj5+S/O+yYvZvrG0Y75TiR4+XdNavt6DgL2XmT8+
    """)

/// save_file({"f64": torch.tensor([1.5, -2.25], dtype=torch.float64),
///            "i64": torch.tensor([[1, -2], [3, 9007199254740993]]),
///            "i32": torch.tensor([7, -8], dtype=torch.int32), "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
///            "b": torch.tensor([True, False, True]), "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 3),
///            "f16": torch.tensor([1.0, -0.5, 65504.0, 2**-24, float('inf'), -0.0], dtype=torch.float16),
///            "bf16": torch.tensor([1.0, -3.0, 0.1], dtype=torch.bfloat16),
///            "i8": torch.tensor([-128, 127], dtype=torch.int8), "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
///            "u16": torch.tensor([65535], dtype=torch.uint16), "u32": torch.tensor([4294967295], dtype=torch.uint32)},
///           "mixed.safetensors", metadata={"note": "a\"b\\c\n/é"})
private let torchMixedFile = base64("""
    GAMAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJub3RlIjoiYVwiYlxcY1xuL8OpIn0sImk2NCI6eyJkdHlwZSI6Ikk2NCIsInNoYXBlIjpbMiwyXSwiZGF0YV9v\
    ZmZzZXRzIjpbMCwzMl19LCJmNjQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlszMiw0OF19LCJlbXB0eSI6eyJkdHlwZSI6\
    IkYzMiIsInNoYXBlIjpbMCwzXSwiZGF0YV9vZmZzZXRzIjpbNDgsNDhdfSwic2NhbGFyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRhX29mZnNl\
    dHMiOls0OCw1Ml19LCJ1MzIiOnsiZHR5cGUiOiJVMzIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOls1Miw1Nl19LCJpMzIiOnsiZHR5cGUiOiJJMzIi\
    LCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls1Niw2NF19LCJiZjE2Ijp7ImR0eXBlIjoiQkYxNiIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzY0\
    LDcwXX0sImYxNiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbNl0sImRhdGFfb2Zmc2V0cyI6WzcwLDgyXX0sInUxNiI6eyJkdHlwZSI6IlUxNiIsInNoYXBl\
    IjpbMV0sImRhdGFfb2Zmc2V0cyI6WzgyLDg0XX0sImkxNiI6eyJkdHlwZSI6IkkxNiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6Wzg0LDg4XX0sImk4\
    Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls4OCw5MF19LCJ1OCI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlszXSwiZGF0YV9v\
    ZmZzZXRzIjpbOTAsOTNdfSwiYiI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls5Myw5Nl19fSAgICAgICABAAAAAAAAAP7/\
    ////////AwAAAAAAAAABAAAAAAAgAAAAAAAAAPg/AAAAAAAAAsAAAGBA/////wcAAAD4////gD9AwM09ADwAuP97AQAAfACA//8AgP9/gH8A/wcBAAE=
    """)

/// A state dict with every Descent dtype, 0-dim, empty and non-contiguous tensors, and special floats.
private func everyDTypeStateDict() -> StateDict {
    let w = Tensor(flat: [Float(1.5), -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude], shape: [2, 3])
    return StateDict([
        ("w", w),
        ("wt", w.t()),                                                                  // a non-contiguous view
        ("d", Tensor(flat: [Double.pi], shape: [])),                                    // 0-dim float64
        ("i64", Tensor(flat: [Int64.min, -1, 0, Int64.max], shape: [2, 2])),
        ("i32", Tensor(flat: [Int32.min, 0, Int32.max], shape: [3])),
        ("u8", Tensor(flat: [UInt8(0), 1, 255], shape: [3])),
        ("b", Tensor(flat: [true, false, false, true], shape: [2, 2])),
        ("s", Tensor(flat: [Int64(42)], shape: [])),                                     // 0-dim int64
        ("e", Tensor.zeros([0, 3])),                                                     // empty float32
        ("e64", Tensor.zeros([0], dtype: .int64)),
        ("e2", Tensor.zeros([2, 0, 4], dtype: .bool)),
        ("nan", Tensor(flat: [Float.nan, -Float.nan, Float(bitPattern: 0x7FC0_1234)], shape: [3])),
    ])
}

extension Core {
@Suite struct SerializationTests {

    // MARK: Round trips

    @Test func everyDTypeRoundTripsBitForBit() throws {
        try withTempDir { dir in
            let path = dir + "/all.safetensors"
            let sd = everyDTypeStateDict()
            try save(sd, to: path)
            let back = try load(from: path)
            // The safetensors library's order: dtype alignment (I64, F64, F32, I32, U8, BOOL), then name.
            #expect(back.keys == ["e64", "i64", "s", "d", "e", "nan", "w", "wt", "i32", "u8", "b", "e2"])
            for (k, t) in sd {
                let u = try #require(back[k], "\(k)")
                #expect(u.shape == t.shape, "\(k)")
                #expect(u.dtype == t.dtype, "\(k)")
                #expect(u.isContiguous, "\(k)")
                switch t.dtype {
                case .float32: #expect(f32Bits(u) == f32Bits(t), "\(k)")
                case .float64: #expect(f64Bits(u) == f64Bits(t), "\(k)")
                case .int64: #expect(u.toArray(Int64.self) == t.toArray(Int64.self), "\(k)")
                case .int32: #expect(u.toArray(Int32.self) == t.toArray(Int32.self), "\(k)")
                case .uint8: #expect(u.toArray(UInt8.self) == t.toArray(UInt8.self), "\(k)")
                case .bool: #expect(u.toArray(Bool.self) == t.toArray(Bool.self), "\(k)")
                }
            }
            // w.t() is saved contiguous: [[1.5, -inf], [-0.0, lnm], [inf, gfm]].
            #expect(f32Bits(back["wt"]!) == [Float(1.5), -.infinity, -0.0, .leastNonzeroMagnitude, .infinity, .greatestFiniteMagnitude].map(\.bitPattern))
            // Saving what was loaded gives the same bytes; in-memory serialisation matches the file.
            let again = dir + "/again.safetensors"
            try save(back, to: again)
            #expect(try fileBytes(again) == fileBytes(path))
            #expect([UInt8](try serializeSafetensors(sd)) == (try fileBytes(path)))
            #expect(try loadSafetensors(data: Data(fileBytes(path))).keys == back.keys)
        }
    }

    @Test func emptyStateDictIsTheReferenceEmptyFile() throws {
        try withTempDir { dir in
            let path = dir + "/empty.safetensors"
            try save(StateDict(), to: path)
            // The bytes of the reference implementation's `test_empty`.
            #expect(try fileBytes(path) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
            #expect(try load(from: path).count == 0)
            #expect(try safetensorsMetadata(from: path) == [:])
        }
    }

    @Test func sequentialRoundTripAndFreshModelGivesIdenticalOutputs() throws {
        try withTempDir { dir in
            let path = dir + "/model.safetensors"
            manualSeed(0)
            let net = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
            try net.save(to: path, metadata: ["format": "pt"])
            let sd = try load(from: path)
            #expect(Set(sd.keys) == Set(["0.weight", "0.bias", "2.weight", "2.bias"]))
            for (k, t) in net.stateDict() {
                #expect(sd[k]!.shape == t.shape && sd[k]!.dtype == .float32, "\(k)")
                #expect(f32Bits(sd[k]!) == f32Bits(t), "\(k)")
            }
            #expect(try safetensorsMetadata(from: path) == ["format": "pt"])

            manualSeed(1)
            let fresh = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
            let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.0, 1.0]])
            #expect(f32Bits(fresh(x)) != f32Bits(net(x)))
            try fresh.load(from: path)
            #expect(f32Bits(fresh(x)) == f32Bits(net(x)))
            // Parameters keep their identity and stay trainable after loading.
            #expect(fresh.parameters().allSatisfy { $0.requiresGrad })
        }
    }

    @Test func strictLoadingRejectsMissingUnexpectedAndMisshapenKeys() throws {
        try withTempDir { dir in
            let small = dir + "/small.safetensors", big = dir + "/big.safetensors", partial = dir + "/partial.safetensors"
            manualSeed(0)
            let net = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
            try net.save(to: small)
            try Sequential(Linear(3, 4), ReLU(), Linear(4, 2), ReLU(), Linear(2, 1)).save(to: big)
            var sd = net.stateDict()
            sd["2.bias"] = nil
            try save(sd, to: partial)

            // Missing keys.
            let deeper = Sequential(Linear(3, 4), ReLU(), Linear(4, 2), ReLU(), Linear(2, 1))
            #expect(stateDictError { try deeper.load(from: small) } == .loadFailed(module: "Sequential", missing: ["4.weight", "4.bias"], unexpected: [], sizeMismatches: []))
            #expect(stateDictError { try Sequential(Linear(3, 4), ReLU(), Linear(4, 2)).load(from: partial) }
                    == .loadFailed(module: "Sequential", missing: ["2.bias"], unexpected: [], sizeMismatches: []))
            // Unexpected keys (in the file's order), and strict: false accepting them.
            let target = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
            #expect(stateDictError { try target.load(from: big) } == .loadFailed(module: "Sequential", missing: [], unexpected: ["4.bias", "4.weight"], sizeMismatches: []))
            #expect(try target.load(from: big, strict: false) == IncompatibleKeys(missingKeys: [], unexpectedKeys: ["4.bias", "4.weight"]))
            let bigSD = try load(from: big)
            #expect(f32Bits(target.stateDict()["0.weight"]!) == f32Bits(bigSD["0.weight"]!))
            // Shapes must match even without strict.
            let wider = Sequential(Linear(3, 5), ReLU(), Linear(5, 2))
            let sizes: [StateDictError.SizeMismatch] = [.init(key: "0.weight", expected: [5, 3], got: [4, 3]), .init(key: "0.bias", expected: [5], got: [4]),
                                                        .init(key: "2.weight", expected: [2, 5], got: [2, 4])]
            #expect(stateDictError { try wider.load(from: small) } == .loadFailed(module: "Sequential", missing: [], unexpected: [], sizeMismatches: sizes))
            #expect(stateDictError { try wider.load(from: small, strict: false) } == .loadFailed(module: "Sequential", missing: [], unexpected: [], sizeMismatches: sizes))
        }
    }

    @Test func optimizerStateRoundTripsAndResumesIdentically() throws {
        try withTempDir { dir in
            let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.0, 1.0], [0.1, 0.2, 0.3]])
            let y = Tensor([[1.0], [-1.0], [0.5], [0.0]])
            func train(_ net: Module, _ opt: Optimizer, steps: Int) {
                for _ in 0..<steps {
                    opt.zeroGrad()
                    mseLoss(net(x), y).backward()
                    opt.step()
                }
            }
            manualSeed(0)
            let net = Sequential(Linear(3, 4), ReLU(), Linear(4, 1))
            let opt = Adam(net.parameters(), lr: 0.01, amsgrad: true)
            train(net, opt, steps: 3)

            let optPath = dir + "/opt.safetensors", netPath = dir + "/net.safetensors"
            let state = opt.stateDict()
            try save(state, to: optPath)
            let back = try load(from: optPath)
            #expect(Set(back.keys) == Set(state.keys))
            #expect(back["param_groups.0.lr"]!.shape == [] && back["param_groups.0.lr"]!.dtype == .float64)
            #expect(back["param_groups.0.lr"]!.item() == 0.01)
            #expect(back["state.0.step"]!.item() == 3)
            for (k, t) in state {
                #expect(back[k]!.shape == t.shape && back[k]!.dtype == t.dtype, "\(k)")
                #expect(f64Bits(back[k]!) == f64Bits(t), "\(k)")
            }

            // Resume: a new model and optimizer (other seed, other lr) restored from the files
            // continue exactly as the original.
            try net.save(to: netPath)
            try opt.save(to: optPath)
            manualSeed(7)
            let net2 = Sequential(Linear(3, 4), ReLU(), Linear(4, 1))
            let opt2 = Adam(net2.parameters(), lr: 0.5, amsgrad: true)
            try net2.load(from: netPath)
            try opt2.load(from: optPath)
            #expect(opt2.paramGroups[0].lr == 0.01)
            train(net, opt, steps: 2)
            train(net2, opt2, steps: 2)
            for ((k, a), (_, b)) in zip(net.stateDict(), net2.stateDict()) { #expect(f32Bits(a) == f32Bits(b), "\(k)") }
        }
    }

    // MARK: Interop with PyTorch

    @Test func loadsAFileWrittenByTorch() throws {
        try withTempDir { dir in
            let path = dir + "/seq.safetensors"
            try writeBytes(torchSequentialFile, path)
            let sd = try load(from: path)
            #expect(sd.keys == ["0.bias", "0.weight", "2.bias", "2.weight"])
            // m.state_dict() values, printed with float.hex()
            #expect(sd["0.weight"]!.shape == [2, 3] && sd["0.weight"]!.dtype == .float32)
            #expect(f32Bits(sd["0.weight"]!) == [-0x1.1b47d0p-8, 0x1.3d2626p-2, -0x1.e696fcp-2, -0x1.b31792p-2, -0x1.c76962p-3, 0x1.3d12a6p-3].map { Float($0).bitPattern })
            #expect(f32Bits(sd["0.bias"]!) == [-0x1.76d680p-7, 0x1.d4c2f4p-2].map { Float($0).bitPattern })
            #expect(sd["2.weight"]!.shape == [1, 2])
            #expect(f32Bits(sd["2.weight"]!) == [-0x1.0107bcp-4, 0x1.7f332ep-3].map { Float($0).bitPattern })
            #expect(f32Bits(sd["2.bias"]!) == [Float(-0x1.b5a6bap-3).bitPattern])

            // load_state_dict into the same architecture; m(x) in torch: [-0.06824970245361328, -0.23979495465755463]
            manualSeed(123)
            let net = Sequential(Linear(3, 2), ReLU(), Linear(2, 1))
            try net.load(from: path)
            let out = net(Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])).toArray(Double.self)
            #expect(abs(out[0] - -0.06824970245361328) < 1e-7 && abs(out[1] - -0.23979495465755463) < 1e-7)
        }
    }

    @Test func resavingATorchFileGivesTheSameBytes() throws {
        try withTempDir { dir in
            let sd = try loadSafetensors(data: Data(torchSequentialFile))
            #expect([UInt8](try serializeSafetensors(sd)) == torchSequentialFile)
            let path = dir + "/resaved.safetensors"
            try save(sd, to: path)
            #expect(try fileBytes(path) == torchSequentialFile)
        }
    }

    @Test func loadsEveryTorchDTypeAndTheMetadata() throws {
        try withTempDir { dir in
            let path = dir + "/mixed.safetensors"
            try writeBytes(torchMixedFile, path)
            let sd = try load(from: path)
            #expect(sd.keys == ["i64", "f64", "empty", "scalar", "u32", "i32", "bf16", "f16", "u16", "i16", "i8", "u8", "b"])
            #expect(sd["i64"]!.dtype == .int64 && sd["i64"]!.shape == [2, 2])
            #expect(sd["i64"]!.toArray(Int64.self) == [1, -2, 3, 9007199254740993])
            #expect(sd["f64"]!.dtype == .float64 && sd["f64"]!.toArray(Double.self) == [1.5, -2.25])
            #expect(sd["empty"]!.dtype == .float32 && sd["empty"]!.shape == [0, 3])
            #expect(sd["scalar"]!.shape == [] && sd["scalar"]!.item() == 3.5)
            #expect(sd["u32"]!.dtype == .int64 && sd["u32"]!.toArray(Int64.self) == [4294967295])
            #expect(sd["i32"]!.dtype == .int32 && sd["i32"]!.toArray(Int32.self) == [7, -8])
            // BF16 and F16 widen exactly to float32 (subnormal, infinity and -0.0 included).
            #expect(sd["bf16"]!.dtype == .float32 && f32Bits(sd["bf16"]!) == [1.0, -3.0, 0x1.9ap-4].map { Float($0).bitPattern })
            #expect(sd["f16"]!.dtype == .float32)
            #expect(f32Bits(sd["f16"]!) == [1.0, -0.5, 65504.0, 0x1p-24, .infinity, -0.0].map { Float($0).bitPattern })
            #expect(sd["u16"]!.dtype == .int32 && sd["u16"]!.toArray(Int32.self) == [65535])
            #expect(sd["i16"]!.dtype == .int32 && sd["i16"]!.toArray(Int32.self) == [-32768, 32767])
            #expect(sd["i8"]!.dtype == .int32 && sd["i8"]!.toArray(Int32.self) == [-128, 127])
            #expect(sd["u8"]!.dtype == .uint8 && sd["u8"]!.toArray(UInt8.self) == [0, 255, 7])
            #expect(sd["b"]!.dtype == .bool && sd["b"]!.toArray(Bool.self) == [true, false, true])
            #expect(try safetensorsMetadata(from: path) == ["note": "a\"b\\c\n/é"])
        }
    }

    /// Parses a Descent-written file with no Descent code: the 8-byte length, the JSON header
    /// (JSONSerialization) and the raw little-endian bytes at each entry's offsets.
    @Test func descentWrittenFilePassesAnIndependentCheck() throws {
        try withTempDir { dir in
            let path = dir + "/check.safetensors"
            let w = Tensor(flat: [Float(0.25), -1.5, 3.0, 1e-3, -0.0, 7.0], shape: [2, 3])
            let sd = StateDict([
                ("layer.weight", w),
                ("layer.bias", Tensor(flat: [Float(0.5), -0.5], shape: [2])),
                ("count", Tensor(flat: [Int64(-3), 1 << 40], shape: [2])),
                ("mask", Tensor(flat: [true, false, true], shape: [3])),
                ("lr", Tensor(flat: [0.125], shape: [])),
                ("idx", Tensor(flat: [Int32(-7), 9], shape: [2, 1])),
                ("pix", Tensor(flat: [UInt8(200)], shape: [1])),
            ])
            let meta = ["format": "pt", "quote\"and\\slash": "line\nbreak\u{01}/é"]
            try save(sd, to: path, metadata: meta)
            let bytes = try fileBytes(path)

            let n = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
            #expect(n % 8 == 0 && 8 + n <= bytes.count)
            let headerText = try #require(String(bytes: bytes[8..<(8 + n)], encoding: .utf8))
            #expect(headerText.hasPrefix("{\"__metadata__\":{\"format\":\"pt\","))    // metadata first, compact
            #expect(headerText.contains("\"line\\nbreak\\u0001/é\""))                    // serde_json's escaping
            #expect(headerText.last(where: { $0 != " " }) == "}")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
            #expect(json["__metadata__"] as? [String: String] == meta)

            // Entries: dtype names, shapes, offsets tiling the buffer in the writer's order.
            let expected: [(String, String, [Int], Int)] = [   // name, dtype, shape, item size
                ("count", "I64", [2], 8), ("lr", "F64", [], 8), ("layer.bias", "F32", [2], 4), ("layer.weight", "F32", [2, 3], 4),
                ("idx", "I32", [2, 1], 4), ("pix", "U8", [1], 1), ("mask", "BOOL", [3], 1),
            ]
            #expect(json.count == expected.count + 1)
            var offset = 0
            var ranges: [String: Range<Int>] = [:]
            for (name, dtype, shape, size) in expected {
                let e = try #require(json[name] as? [String: Any], "\(name)")
                #expect(e["dtype"] as? String == dtype, "\(name)")
                #expect(e["shape"] as? [Int] == shape, "\(name)")
                let nbytes = shape.reduce(1, *) * size
                #expect(e["data_offsets"] as? [Int] == [offset, offset + nbytes], "\(name)")
                ranges[name] = (8 + n + offset)..<(8 + n + offset + nbytes)
                offset += nbytes
            }
            #expect(bytes.count == 8 + n + offset)
            func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
            #expect(Array(bytes[ranges["layer.weight"]!]) == [Float(0.25), -1.5, 3.0, 1e-3, -0.0, 7.0].flatMap { le($0.bitPattern) })
            #expect(Array(bytes[ranges["layer.bias"]!]) == [Float(0.5), -0.5].flatMap { le($0.bitPattern) })
            #expect(Array(bytes[ranges["count"]!]) == [Int64(-3), 1 << 40].flatMap { le($0) })
            #expect(Array(bytes[ranges["lr"]!]) == le((0.125 as Double).bitPattern))
            #expect(Array(bytes[ranges["idx"]!]) == [Int32(-7), 9].flatMap { le($0) })
            #expect(Array(bytes[ranges["pix"]!]) == [200])
            #expect(Array(bytes[ranges["mask"]!]) == [1, 0, 1])
        }
    }

    // MARK: Bad files: each throws its own error and never crashes

    @Test func missingEmptyAndUnreadableFiles() throws {
        try withTempDir { dir in
            let missing = dir + "/nope.safetensors"
            #expect(serializationError { _ = try load(from: missing) } == .fileNotFound(path: missing))
            #expect(serializationError { _ = try load(from: dir + "/no/such/dir/x.safetensors") } == .fileNotFound(path: dir + "/no/such/dir/x.safetensors"))
            let empty = dir + "/empty.safetensors"
            try writeBytes([], empty)
            #expect(serializationError { _ = try load(from: empty) } == .truncated(path: empty, section: .headerLength, expectedBytes: 8, actualBytes: 0))
            if case .unreadable(let p, let reason)? = serializationError({ _ = try load(from: dir) }) {
                #expect(p == dir && reason.contains("directory"))
            } else { Issue.record("a directory should be unreadable") }
            let e = serializationError { _ = try load(from: missing) }
            #expect(e?.description.contains(missing) == true)
        }
    }

    @Test func truncatedFilesAtEveryCutPoint() throws {
        try withTempDir { dir in
            let whole = [UInt8](try serializeSafetensors(everyDTypeStateDict(), metadata: ["k": "v"]))
            let n = (0..<8).reduce(0) { $0 | Int(whole[$1]) << (8 * $1) }
            #expect(try loadSafetensors(data: Data(whole)).count == 12)
            for cut in 0..<whole.count {
                let e = loadError(Array(whole[0..<cut]))
                switch cut {
                case 0..<8:
                    #expect(e == .truncated(path: "bad.safetensors", section: .headerLength, expectedBytes: 8, actualBytes: cut), "cut \(cut)")
                case 8..<(8 + n):
                    #expect(e == .truncated(path: "bad.safetensors", section: .header, expectedBytes: 8 + n, actualBytes: cut), "cut \(cut)")
                default:
                    if case .truncated(_, .data, let expected, let actual)? = e {
                        #expect(expected == whole.count && actual == cut, "cut \(cut)")
                    } else { Issue.record("cut \(cut): \(String(describing: e))") }
                }
            }
            // The same through a file, with the file named in the error.
            let path = dir + "/cut.safetensors"
            try writeBytes(Array(whole[0..<(whole.count - 3)]), path)
            let e = serializationError { _ = try load(from: path) }
            #expect(e == .truncated(path: path, section: .data(tensor: "b"), expectedBytes: whole.count, actualBytes: whole.count - 3))
            #expect(e?.description.contains(path) == true)
        }
    }

    @Test func wrongHeaderLengths() throws {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"   // no padding
        let good = stFile(header, [0, 0, 128, 63, 0, 0, 0, 64])
        #expect(try loadSafetensors(data: Data(good))["a"]!.toArray(Float.self) == [1, 2])
        let n = header.utf8.count
        func withLength(_ m: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: m >> (8 * UInt64($0))) } + good[8...] }
        for delta in [-1, -8, 1, 8] {   // the JSON is cut or runs into the tensor bytes
            if case .invalidHeader? = loadError(withLength(UInt64(n + delta))) {} else { Issue.record("delta \(delta): \(String(describing: loadError(withLength(UInt64(n + delta)))))") }
        }
        #expect(loadError(withLength(0)) == .invalidHeader(path: "bad.safetensors", reason: "malformed JSON"))
        // A torch.save (zip) checkpoint is not mistaken for safetensors, and the message says so.
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x08] + [UInt8](repeating: 0, count: 64)
        let e = loadError(zip)
        if case .headerTooLarge? = e { #expect(e!.description.contains("torch.save")) } else { Issue.record("zip: \(String(describing: e))") }
        let shortZip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 1, 2, 3]
        let e2 = loadError(shortZip)
        if case .truncated(_, .header, _, _)? = e2 { #expect(e2!.description.contains("torch.save")) } else { Issue.record("short zip: \(String(describing: e2))") }
    }

    @Test func headersThatAreNotJSONObjects() throws {
        for text in ["[1, 2]    ", "3       ", "\"x\"     ", "null    "] {
            #expect(loadError(stFile(text)) == .headerNotObject(path: "bad.safetensors"), "\(text)")
        }
        for text in ["{\"a\":  ", "{'a': 1}", "{\"a\":{}", "        ", "{} \u{0}    "] {
            #expect(loadError(stFile(text)) == .invalidHeader(path: "bad.safetensors", reason: "malformed JSON"), "\(text)")
        }
        #expect(loadError([4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D]) == .invalidHeader(path: "bad.safetensors", reason: "not UTF-8"))
        #expect(loadError(stFile("{\"__metadata__\":{\"a\":1}}")) == .invalidMetadata(path: "bad.safetensors"))
        #expect(loadError(stFile("{\"__metadata__\":[\"a\"]}")) == .invalidMetadata(path: "bad.safetensors"))
        #expect(loadError(stFile("{\"w\":5}")) == .entryNotObject(path: "bad.safetensors", tensor: "w"))
        #expect(loadError(stFile("{\"w\":[\"F32\",[1],[0,4]]}")) == .entryNotObject(path: "bad.safetensors", tensor: "w"))
    }

    @Test func entriesWithMissingOrInvalidFields() throws {
        let four: [UInt8] = [0, 0, 128, 63]
        #expect(loadError(stFile("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", four)) == .missingField(path: "bad.safetensors", tensor: "w", field: "dtype"))
        #expect(loadError(stFile("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", four)) == .missingField(path: "bad.safetensors", tensor: "w", field: "shape"))
        #expect(loadError(stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", four)) == .missingField(path: "bad.safetensors", tensor: "w", field: "data_offsets"))
        #expect(loadError(stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"offsets\":[0,4]}}", four)) == .missingField(path: "bad.safetensors", tensor: "w", field: "data_offsets"))
        let invalid: [(String, String)] = [
            ("\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]", "dtype"),
            ("\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]", "shape"),
            ("\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]", "shape"),
            ("\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]", "shape"),
            ("\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]", "shape"),
            ("\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,4]", "shape"),
            ("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]", "data_offsets"),
            ("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]", "data_offsets"),
            ("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]", "data_offsets"),
            ("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"", "data_offsets"),
            ("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999999]", "data_offsets"),
        ]
        for (body, field) in invalid {
            if case .invalidField(let p, let t, let f, _)? = loadError(stFile("{\"w\":{\(body)}}", four)) {
                #expect(p == "bad.safetensors" && t == "w" && f == field, "\(body)")
            } else { Issue.record("\(body): \(String(describing: loadError(stFile("{\"w\":{\(body)}}", four))))") }
        }
    }

    @Test func unknownAndUnsupportedDTypes() throws {
        let eight = [UInt8](repeating: 1, count: 8)
        for name in ["F17", "float32", "f32", "", "Q4_0"] {
            #expect(loadError(stFile("{\"w\":{\"dtype\":\"\(name)\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight))
                    == .unknownDType(path: "bad.safetensors", tensor: "w", dtype: name), "\(name)")
        }
        for (name, count) in [("U64", 1), ("C64", 1), ("F8_E4M3", 8), ("F8_E5M2", 8)] {
            #expect(loadError(stFile("{\"w\":{\"dtype\":\"\(name)\",\"shape\":[\(count)],\"data_offsets\":[0,8]}}", eight))
                    == .unsupportedDType(path: "bad.safetensors", tensor: "w", dtype: name), "\(name)")
        }
        let e = loadError(stFile("{\"w\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight))
        #expect(e?.description.contains("F17") == true && e?.description.contains("BF16") == true)
    }

    @Test func headersThatLieAboutOffsets() throws {
        func entry(_ name: String, _ shape: [Int], _ b: Int, _ e: Int, dtype: String = "F32") -> String {
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(b),\(e)]}"
        }
        func file(_ entries: [String], _ dataBytes: Int) -> [UInt8] {
            stFile("{" + entries.joined(separator: ",") + "}", [UInt8](repeating: 0, count: dataBytes))
        }
        let path = "bad.safetensors"
        // Overlap (in either textual order).
        #expect(loadError(file([entry("a", [2], 0, 8), entry("b", [2], 4, 12)], 12))
                == .overlappingOffsets(path: path, tensor: "b", offsets: [4, 12], previous: "a", previousEnd: 8))
        #expect(loadError(file([entry("b", [2], 4, 12), entry("a", [2], 0, 8)], 12))
                == .overlappingOffsets(path: path, tensor: "b", offsets: [4, 12], previous: "a", previousEnd: 8))
        #expect(loadError(file([entry("a", [2], 0, 8), entry("b", [2], 0, 8)], 8))
                == .overlappingOffsets(path: path, tensor: "b", offsets: [0, 8], previous: "a", previousEnd: 8))
        // Gaps: between tensors, and before the first one.
        #expect(loadError(file([entry("a", [2], 0, 8), entry("b", [2], 12, 20)], 20))
                == .gapInData(path: path, tensor: "b", offsets: [12, 20], expectedBegin: 8))
        #expect(loadError(file([entry("a", [2], 4, 12)], 12)) == .gapInData(path: path, tensor: "a", offsets: [4, 12], expectedBegin: 0))
        // End before begin.
        #expect(loadError(file([entry("a", [0], 8, 0)], 8)) == .invalidOffsets(path: path, tensor: "a", offsets: [8, 0]))
        // Size not matching shape × dtype.
        #expect(loadError(file([entry("a", [3], 0, 8)], 8))
                == .sizeMismatch(path: path, tensor: "a", dtype: "F32", shape: [3], expectedBytes: 12, offsets: [0, 8]))
        #expect(loadError(file([entry("a", [2, 2], 0, 8, dtype: "F64")], 8))
                == .sizeMismatch(path: path, tensor: "a", dtype: "F64", shape: [2, 2], expectedBytes: 32, offsets: [0, 8]))
        #expect(loadError(file([entry("a", [], 0, 0)], 0))
                == .sizeMismatch(path: path, tensor: "a", dtype: "F32", shape: [], expectedBytes: 4, offsets: [0, 0]))
        // Out of range: past the end of the data (nothing huge is allocated).
        let h1 = "{" + [entry("a", [2], 0, 8), entry("b", [2], 8, 16)].joined(separator: ",") + "}"
        #expect(loadError(file([entry("a", [2], 0, 8), entry("b", [2], 8, 16)], 8))
                == .truncated(path: path, section: .data(tensor: "b"), expectedBytes: 8 + h1.utf8.count + 16, actualBytes: 8 + h1.utf8.count + 8))
        let h2 = "{" + entry("big", [1_000_000_000_000], 0, 4_000_000_000_000) + "}"
        #expect(loadError(file([entry("big", [1_000_000_000_000], 0, 4_000_000_000_000)], 16))
                == .truncated(path: path, section: .data(tensor: "big"), expectedBytes: 8 + h2.utf8.count + 4_000_000_000_000, actualBytes: 8 + h2.utf8.count + 16))
        // Offsets that do not cover the whole buffer.
        #expect(loadError(file([entry("a", [2], 0, 8)], 12)) == .trailingBytes(path: path, dataBytes: 12, coveredBytes: 8))
        #expect(loadError(file([], 4)) == .trailingBytes(path: path, dataBytes: 4, coveredBytes: 0))
        // shape × dtype size overflowing.
        #expect(loadError(file([entry("a", [1 << 32, 1 << 32], 0, 8)], 8)) == .sizeOverflow(path: path, tensor: "a", shape: [1 << 32, 1 << 32]))
        // Empty tensors may share an offset; entries may appear in any order in the JSON.
        let ok = try loadSafetensors(data: Data(file([entry("z", [2], 0, 8), entry("e", [0, 5], 8, 8), entry("d", [0], 8, 8), entry("c", [1], 8, 12)], 12)))
        #expect(ok.keys == ["z", "d", "e", "c"])
    }

    @Test func boolBytesOtherThanOneLoadAsTrue() throws {
        let sd = try loadSafetensors(data: Data(stFile("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", [0, 2, 255])))
        #expect(sd["m"]!.toArray(Bool.self) == [false, true, true])
        #expect(sd["m"]!.toArray(UInt8.self) == [0, 1, 1])
    }

    // MARK: Atomic writes

    @Test func savingOverAFileEitherSucceedsOrLeavesItIntact() throws {
        try withTempDir { dir in
            let path = dir + "/ckpt.safetensors"
            let a = StateDict([("w", Tensor(flat: [Float(1), 2, 3], shape: [3]))])
            let b = StateDict([("w", Tensor(flat: [Float(4), 5], shape: [2])), ("n", Tensor(flat: [Int64(9)], shape: []))])
            try save(a, to: path)
            let oldBytes = try fileBytes(path)

            // A save that fails before writing (reserved name) leaves the old file as it was.
            let bad: StateDict = { var d = b; d["__metadata__"] = Tensor.zeros(1); return d }()
            #expect(serializationError { try save(bad, to: path) } == .invalidName(path: path, name: "__metadata__", reason: "the name is reserved for the header's metadata"))
            #expect(try fileBytes(path) == oldBytes)
            #expect(listing(dir) == ["ckpt.safetensors"])

            // A save that fails after writing its temporary file (the target is a folder): nothing
            // changes and no temporary file is left behind.
            let folder = dir + "/folder.safetensors"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            try writeBytes([1, 2, 3], folder + "/inside")
            if case .writeFailed(let p, _)? = serializationError({ try save(b, to: folder) }) { #expect(p == folder) }
            else { Issue.record("saving over a folder should fail") }
            #expect(listing(dir) == ["ckpt.safetensors", "folder.safetensors"])
            #expect(listing(folder) == ["inside"])

            // A folder that does not exist.
            let nowhere = dir + "/missing/ckpt.safetensors"
            if case .writeFailed(let p, let reason)? = serializationError({ try save(b, to: nowhere) }) {
                #expect(p == nowhere && !reason.isEmpty)
            } else { Issue.record("saving into a missing folder should fail") }
            #expect(!FileManager.default.fileExists(atPath: nowhere))

            // A successful save replaces the file completely, leaving nothing else.
            try save(b, to: path)
            let back = try load(from: path)
            #expect(back.keys == ["n", "w"])
            #expect(back["w"]!.toArray(Float.self) == [4, 5] && back["n"]!.item() == 9)
            #expect(listing(dir) == ["ckpt.safetensors", "folder.safetensors"])

        }
    }
}
}
