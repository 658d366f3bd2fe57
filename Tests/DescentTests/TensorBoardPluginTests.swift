import Foundation
import Testing
import Descent

/// Bytes from a hex string.
private func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = [], it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// A fresh temporary log directory, removed by the caller.
private func tempLogDir() -> String { NSTemporaryDirectory() + "descent-tbp-\(UUID().uuidString)" }

/// The only event file in `dir`.
private func eventFile(_ dir: String) throws -> String {
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("events.out.tfevents.") }
    #expect(files.count == 1)
    return dir + "/" + files[0]
}

// torch.manual_seed(0); labels = torch.randint(0, 2, (40,)); preds = torch.rand(40); w = torch.rand(40)
private let prLabels: [Int] = [0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0]
private let prPreds: [Float] = [0.5262957811355591, 0.24365824460983276, 0.584592342376709, 0.033152639865875244, 0.13871687650680542, 0.242235004901886,
    0.815468966960907, 0.793160617351532, 0.2782524824142456, 0.48195880651474, 0.8197803497314453, 0.9970665574073792, 0.6984410881996155,
    0.5675464272499084, 0.8352431654930115, 0.2055988311767578, 0.593172013759613, 0.11234724521636963, 0.1534569263458252, 0.24170821905136108,
    0.7262365221977234, 0.7010802030563354, 0.2038237452507019, 0.6510535478591919, 0.7744860053062439, 0.4368913173675537, 0.5190907716751099,
    0.6158523559570312, 0.8101882934570312, 0.9800970554351807, 0.1146882176399231, 0.3167651295661926, 0.6965049505233765, 0.9142746925354004,
    0.9351036548614502, 0.9411783814430237, 0.5995072722434998, 0.06520867347717285, 0.5459962487220764, 0.18719732761383057]
private let prWeights: [Float] = [0.03402292728424072, 0.944246232509613, 0.8801798820495605, 0.0012360215187072754, 0.5935860276222229,
    0.4157699942588806, 0.41771942377090454, 0.2711215615272522, 0.6922780871391296, 0.2038482427597046, 0.6832956671714783, 0.75285404920578,
    0.8579357862472534, 0.6869555711746216, 0.0051323771476745605, 0.17565155029296875, 0.7496575117111206, 0.6046506762504578, 0.1099579930305481,
    0.21209025382995605, 0.9703746438026428, 0.8369089365005493, 0.28198742866516113, 0.3741576075553894, 0.023700952529907227, 0.49101293087005615,
    0.12347054481506348, 0.11432164907455444, 0.4724501967430115, 0.5750725269317627, 0.2952348589897156, 0.7966887950897217, 0.19573044776916504,
    0.9536850452423096, 0.8426499366760254, 0.07835853099822998, 0.3755578398704529, 0.5225613117218018, 0.572950541973114, 0.6185871362686157]

extension Core {
@Suite struct TensorBoardPluginTests {
    @Test func textPrCurveAndHparamsAreTensorBoardsBytes() throws {
        // The summaries PyTorch builds (torch.utils.tensorboard.summary, tensorboard 2.x), serialised:
        //   summary.text('note', 'héllo **world**').SerializeToString().hex()
        //   summary.pr_curve('pr', labels.numpy().astype(bool), preds.numpy(), num_thresholds=11)
        //   summary.pr_curve('prw', labels..., preds..., num_thresholds=5, weights=w.numpy())
        //   exp, ssi, sei = summary.hparams({'lr': 0.1, 'bsize': 32, 'optim': 'adam', 'nest': True},
        //                                   {'hparam/acc': 0.9, 'hparam/loss': 0.25}, {'optim': ['adam', 'sgd'], 'bsize': [16, 32]})
        //   (each plugin content re-serialised with deterministic=True, which orders the hparams map by key)
        let dir = tempLogDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = SummaryWriter(logDir: dir)
        try writer.addText("note", "héllo **world**", globalStep: 3)
        let labels = Tensor(flat: prLabels, shape: [40]), preds = Tensor(flat: prPreds, shape: [40])
        try writer.addPrCurve("pr", labels, preds, globalStep: 4, numThresholds: 11)
        try writer.addPrCurve("prw", labels, preds, globalStep: 5, numThresholds: 5, weights: Tensor(flat: prWeights, shape: [40]))
        try writer.addPrCurve("pr127", labels, preds)
        try writer.addHparams(["lr": 0.1, "bsize": 32, "optim": "adam", "nest": true], ["hparam/acc": 0.9, "hparam/loss": 0.25],
                              hparamDomainDiscrete: ["optim": ["adam", "sgd"], "bsize": [16, 32]], runName: "run1", globalStep: 2)
        writer.close()
        let main = try TensorBoardFormat.readSummaries(try eventFile(dir))
        #expect(main.count == 4)
        #expect(main[0].step == 3 && main[0].summary == hexBytes(
            "0a390a116e6f74652f746578745f73756d6d617279421a0807120412020801421068c3a96c6c6f202a2a776f726c642a2a4a080a060a0474657874"))
        #expect(try TensorBoardFormat.readTexts(try eventFile(dir)).map { "\($0.step) \($0.tag) \($0.text)" } == ["3 note/text_summary héllo **world**"])
        #expect(main[1].step == 4 && main[1].summary == hexBytes(
            "0ab1020a02707242970208011208120208061202080b2a88020000b8410000b0410000a041000070410000704100005041000010410000e0400000a04000000040"
            + "00000000000088410000804100005041000040410000304100003041000000410000c040000080400000404000000000000000000000803f000080400000a04000"
            + "00c0400000c0400000104100003041000050410000604100008841000000000000803f000040400000004100000041000020410000604100008041000090410000"
            + "a8410000b8413333133fe535143fca261b3fe4380e3f3bb1133fabaa0a3f8887073f9ed8093fe4380e3fcdcccc3e000000000000803f9cde743fd39b5e3fdff4263f"
            + "dff4263f16b2103f0b59c83e7ad39b3ed39b5e3e4316b23d000000004a110a0f0a0970725f6375727665731202100b"))
        #expect(main[2].step == 5 && main[2].summary == hexBytes(
            "0aa1010a037072774286010801120812020806120208052a7879422d412906f240b8a2c54084ff3040000000005753ff40bd00cf404382b54054de134000000000"
            + "000000006a4ac13f28a213402d64b5405753ff400000000090fd50403ae294409802014179422d412165133fb1fb093fc671053f307a0b3f000000000000803f2d"
            + "cd323f2402123f0ac3823e000000004a110a0f0a0970725f63757276657312021005"))
        // The default 127 thresholds: v = s.value[0].tensor.float_val; len(v), v[0], v[60], v[127+64], v[2*127+100], v[4*127+90], v[5*127+30], sum(v)
        // -> 762 23.0 14.0 11.0 13.0 0.5 0.8260869383811951 5209.0867361836135
        #expect(main[3].step == 0)
        let v = try prFloats(main[3].summary)
        #expect(v.count == 762 && v[0] == 23 && v[60] == 14 && v[127 + 64] == 11 && v[2 * 127 + 100] == 13 && v[4 * 127 + 90] == 0.5)
        #expect(v[5 * 127 + 30] == Float(0.8260869383811951) && abs(v.map(Double.init).reduce(0, +) - 5209.0867361836135) < 1e-9)

        let run = try TensorBoardFormat.readSummaries(try eventFile(dir + "/run1"))
        #expect(run.count == 5 && run.allSatisfy { $0.step == 2 })
        #expect(run[0].summary == hexBytes(
            "0a9a010a145f68706172616d735f2f6578706572696d656e744a81010a7f0a0768706172616d731274127222060a026c72200322210a056273697a6520032a160a0911"
            + "00000000000030400a09110000000000004040221a0a056f7074696d20012a0f0a061a046164616d0a051a0373676422080a046e65737420032a0e0a0c120a6870"
            + "6172616d2f6163632a0f0a0d120b68706172616d2f6c6f7373"))
        #expect(run[1].summary == hexBytes(
            "0a780a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a580a560a0768706172616d73124b1a490a120a056273697a651209110000000000"
            + "0040400a0f0a026c721209119a9999999999b93f0a110a046e657374120911000000000000f03f0a0f0a056f7074696d12061a046164616d"))
        #expect(run[2].summary == hexBytes("0a2f0a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f4a110a0f0a0768706172616d73120422020801"))
        let metrics = try TensorBoardFormat.readScalars(try eventFile(dir + "/run1")).scalars
        #expect(metrics.map { "\($0.tag)=\($0.value)" } == ["hparam/acc=0.9", "hparam/loss=0.25"])

        // PyTorch's TypeError cases: a domain whose values are not the hyperparameter's type, or for an unknown name
        #expect(throws: LoggingError.self) { try writer.addHparams(["lr": 0.1], [:], hparamDomainDiscrete: ["lr": ["a"]]) }
        #expect(throws: LoggingError.self) { try writer.addHparams(["lr": 0.1], [:], hparamDomainDiscrete: ["wd": [0.1]]) }
        #expect(throws: LoggingError.self) { try writer.addPrCurve("bad", labels, preds[0..<10]) }
    }

    /// The float_val of the PR-curve summary's tensor (field 1 value → field 8 tensor → field 5 packed floats).
    private func prFloats(_ summary: [UInt8]) throws -> [Float] {
        var i = 0
        func varint(_ b: [UInt8]) -> Int { var v = 0, s = 0; while true { let x = b[i]; i += 1; v |= Int(x & 0x7f) << s; s += 7; if x < 0x80 { return v } } }
        func field(_ b: [UInt8], _ want: Int) -> [UInt8] {
            i = 0
            while i < b.count {
                let key = varint(b), wire = key & 7
                if wire == 2 { let n = varint(b); let body = Array(b[i..<(i + n)]); i += n; if key >> 3 == want { return body } }
                else if wire == 0 { _ = varint(b) } else if wire == 5 { i += 4 } else { i += 8 }
            }
            return []
        }
        let packed = field(field(field(summary, 1), 8), 5)
        return stride(from: 0, to: packed.count, by: 4).map { k in Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(packed[k + $1]) << (8 * UInt32($1)) }) }
    }

    @Test func addImagesTilesEightToARow() throws {
        // imgs = torch.linspace(0, 1, 10*6).reshape(10, 1, 2, 3); s = summary.image('imgs', imgs, dataformats='NCHW')
        // a = np.array(Image.open(io.BytesIO(s.value[0].image.encoded_image_string))); a.shape, a[:, :, 0].tolist()
        let dir = tempLogDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = SummaryWriter(logDir: dir)
        try writer.addImages("imgs", Tensor.linspace(0, 1, count: 60).reshape(10, 1, 2, 3), globalStep: 1)
        // the same batch as (N, H, W, C)
        try writer.addImages("nhwc", Tensor.linspace(0, 1, count: 60).reshape(10, 1, 2, 3).permute(0, 2, 3, 1), globalStep: 2, dataformats: "NHWC")
        #expect(throws: LoggingError.self) { try writer.addImages("rgba", Tensor.zeros(2, 4, 2, 2)) }
        #expect(throws: LoggingError.self) { try writer.addImage("bad", Tensor.zeros(2, 2, 2), dataformats: "CHWN") }
        writer.close()
        let images = try TensorBoardFormat.readImages(try eventFile(dir))
        #expect(images.count == 2)
        let expected: [[Int]] = [[0, 4, 8, 25, 30, 34, 51, 56, 60, 77, 82, 86, 103, 108, 112, 129, 133, 138, 155, 159, 164, 181, 185, 190],
                                 [12, 17, 21, 38, 43, 47, 64, 69, 73, 90, 95, 99, 116, 121, 125, 142, 146, 151, 168, 172, 177, 194, 198, 203],
                                 [207, 211, 216, 233, 237, 242] + [Int](repeating: 0, count: 18),
                                 [220, 224, 229, 246, 250, 255] + [Int](repeating: 0, count: 18)]
        for im in images {
            #expect(im.height == 4 && im.width == 24 && im.colorspace == 3)
            let d = try decodePNG(im.png)
            let red = (0..<4).map { y in (0..<24).map { x in Int(d.pixels[(y * 24 + x) * 4]) } }
            #expect(red == expected)
            let px: [UInt8] = d.pixels
            let gray = (0..<(4 * 24)).allSatisfy { (q: Int) -> Bool in px[q * 4] == px[q * 4 + 1] && px[q * 4] == px[q * 4 + 2] }
            #expect(gray)
        }
    }

    @Test func addFigureWritesTheFiguresPixels() throws {
        let dir = tempLogDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fig = Figure(figsize: (2, 1), dpi: 50)
        let ax = fig.addSubplot(1, 1, 1)
        ax.plot([0, 1, 2], [1, 0, 1])
        Figure.current = fig
        let writer = SummaryWriter(logDir: dir)
        try writer.addFigure("curve", fig, globalStep: 7)
        #expect(Figure.current == nil)      // closed, as plt.close(figure)
        try writer.addFigure("two", [fig, fig], globalStep: 8, close: false)
        writer.close()
        let images = try TensorBoardFormat.readImages(try eventFile(dir))
        #expect(images.count == 2 && images[0].tag == "curve" && images[0].step == 7)
        #expect(images[0].width == 100 && images[0].height == 50 && images[0].colorspace == 3)
        #expect(images[1].width == 200 && images[1].height == 50)
        // the image is the figure's own PNG rendering, alpha dropped
        let logged = try decodePNG(images[0].png), own = try decodePNG(fig.renderPNG())
        let rgb = { (im: RGBAImage) in (0..<(im.width * im.height)).flatMap { p in (0..<3).map { im.pixels[p * 4 + $0] } } }
        #expect(rgb(logged) == rgb(own))
        #expect(rgb(try decodePNG(images[1].png)).count == 2 * rgb(own).count)
    }

    @Test func addEmbeddingWritesTheProjectorFiles() throws {
        // wr = SummaryWriter(d); torch.manual_seed(1); mat = torch.randn(4, 3)
        // wr.add_embedding(mat, metadata=['a', 'b', 'c', 'd'], global_step=7, tag='feat/x')
        // wr.add_embedding(mat * 2, metadata=[['a', 1], ['b', 2], ['c', 3], ['d', 4]], metadata_header=['name', 'id'],
        //                  label_img=torch.linspace(0, 1, 16).reshape(4, 1, 2, 2)); the files' bytes, and the sprite's red channel
        let dir = tempLogDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(1)
        let mat = Tensor.randn(4, 3)
        let writer = SummaryWriter(logDir: dir)
        try writer.addEmbedding(mat, metadata: ["a", "b", "c", "d"], globalStep: 7, tag: "feat/x")
        try writer.addEmbedding(mat * 2, metadata: [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]], metadataHeader: ["name", "id"],
                                labelImg: Tensor.linspace(0, 1, count: 16).reshape(4, 1, 2, 2))
        #expect(throws: LoggingError.self) { try writer.addEmbedding(mat, metadata: ["a"]) }
        #expect(throws: LoggingError.self) { try writer.addEmbedding(mat.reshape(12)) }
        func read(_ p: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + p)), as: UTF8.self) }
        #expect(try read("projector_config.pbtxt") == "embeddings {\n  tensor_name: \"feat/x:00007\"\n  metadata_path: \"00007/feat%2fx/metadata.tsv\"\n"
            + "  tensor_path: \"00007/feat%2fx/tensors.tsv\"\n}\nembeddings {\n  tensor_name: \"default:00000\"\n  metadata_path: \"00000/default/metadata.tsv\"\n"
            + "  sprite {\n    image_path: \"00000/default/sprite.png\"\n    single_image_dim: 2\n    single_image_dim: 2\n  }\n"
            + "  tensor_path: \"00000/default/tensors.tsv\"\n}\n")
        #expect(try read("00007/feat%2fx/metadata.tsv") == "a\nb\nc\nd\n")
        #expect(try read("00000/default/metadata.tsv") == "name\tid\na\t1\nb\t2\nc\t3\nd\t4\n")
        #expect(try read("00007/feat%2fx/tensors.tsv") == "0.6613521575927734\t0.266924113035202\t0.06167725846171379\n"
            + "0.6213173270225525\t-0.4519059658050537\t-0.16613022983074188\n-1.522768497467041\t0.38168391585350037\t-1.0276086330413818\n"
            + "-0.563052773475647\t-0.8922905325889587\t-0.05825017765164375\n")
        #expect(try read("00000/default/tensors.tsv") == "1.3227043151855469\t0.533848226070404\t0.12335451692342758\n"
            + "1.242634654045105\t-0.9038119316101074\t-0.33226045966148376\n-3.045536994934082\t0.7633678317070007\t-2.0552172660827637\n"
            + "-1.126105546951294\t-1.7845810651779175\t-0.1165003553032875\n")
        let sprite = try decodePNG([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/00000/default/sprite.png"))))
        #expect(sprite.width == 4 && sprite.height == 4)
        #expect((0..<16).map { Int(sprite.pixels[$0 * 4]) } == [0, 17, 68, 85, 34, 51, 102, 119, 135, 152, 204, 221, 169, 187, 238, 255])
    }
}
}

extension Core {
@Suite struct ImageGridTests {
    @Test func makeGridAndSaveImageMatchTorchvision() throws {
        // torch.manual_seed(0); x = torch.randn(5, 1, 2, 2)
        // g = make_grid(x, nrow=3, padding=1, normalize=True, pad_value=0.5); g.shape, g[0].flatten().tolist(), torch.equal(g[0], g[2])
        manualSeed(0)
        let x = Tensor.randn(5, 1, 2, 2)
        let g = makeGrid(x, nrow: 3, padding: 1, normalize: true, padValue: 0.5)
        #expect(g.shape == [3, 7, 10] && g[0].equal(g[2]))
        let p = 0.5
        expectValues(g[0], [p, p, p, p, p, p, p, p, p, p, p, 0.12057475000619888, 0.11312536895275116, p, 0.6050248742103577, 0.0, p,
                            0.5683001279830933, 0.3925148546695709, p, p, 0.3664294481277466, 0.3149417042732239, p, 0.34092944860458374,
                            0.9573113918304443, p, 0.8423290252685547, 0.5115465521812439, p, p, p, p, p, p, p, p, p, p, p, p, 0.8270782828330994,
                            0.8824052214622498, p, 0.6985586881637573, 0.7904618978500366, p, p, p, p, p, 0.7026236057281494, 0.19983235001564026, p,
                            1.0, 0.45190948247909546, p, p, p, p, p, p, p, p, p, p, p, p, p, p], atol: 1e-7)
        // g = make_grid(x, nrow=2, padding=0, normalize=True, scale_each=True); g.shape, g[1].flatten().tolist()
        let each = makeGrid(x, nrow: 2, padding: 0, normalize: true, scaleEach: true)
        #expect(each.shape == [3, 6, 4])
        expectValues(each[1], [0.029408862814307213, 0.0, 0.6320042610168457, 0.0, 1.0, 0.7967354655265808, 0.35613223910331726, 1.0,
                               0.3907952606678009, 0.0, 0.9189435243606567, 1.0, 1.0, 0.26462414860725403, 0.7366119623184204, 0.0,
                               0.4500153958797455, 0.6176944375038147, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], atol: 1e-7)
        // g = make_grid(x, normalize=True, value_range=(-1, 1)); g.shape, g.sum(), g[0, 2:4, 2:4].flatten().tolist()
        let ranged = makeGrid(x, normalize: true, valueRange: (-1, 1))
        #expect(ranged.shape == [3, 6, 22])
        expectValues(ranged.sum(), [36.35646438598633], atol: 1e-5)
        expectValues(ranged[0, 2..<4, 2..<4], [0.0, 0.0, 0.37471070885658264, 0.28306061029434204], atol: 1e-7)
        #expect(x.min().item() < -1)        // the input was not normalised in place
        // one image comes back as itself (one channel made three)
        #expect(makeGrid(x[0]).shape == [3, 2, 2] && makeGrid([x[0], x[1]], padding: 0).shape == [3, 2, 4])

        // y = torch.rand(2, 3, 2, 2); save_image(y, 'g.png', padding=1); np.array(Image.open('g.png')).reshape(-1).tolist()
        let y = Tensor.rand(2, 3, 2, 2)
        let path = NSTemporaryDirectory() + "descent-grid-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try saveImage(y, path, padding: 1)
        let png = try decodePNG([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(png.width == 7 && png.height == 4)
        let rgb = (0..<28).flatMap { q in (0..<3).map { Int(png.pixels[q * 4 + $0]) } }
        #expect(rgb == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 53, 134, 35, 237, 62, 62, 0, 0, 0, 71, 178, 151,
                        123, 145, 29, 0, 0, 0, 0, 0, 0, 184, 149, 208, 189, 8, 202, 0, 0, 0, 209, 213, 39, 254, 52, 62, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: PlotError.self) { try saveImage(y, NSTemporaryDirectory() + "grid.jpg") }
    }
}
}

extension Core {
@Suite struct TensorBoardLoggerExperimentTests {
    @Test func loggerExperimentWritesIntoTheSameEventFile() throws {
        let dir = NSTemporaryDirectory() + "descent-tbl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = TensorBoardLogger(saveDir: dir)
        try logger.logMetrics(["loss": 0.5, "acc": 0.75], step: 3)
        try logger.experiment.addText("notes", "first run", globalStep: 3)
        try logger.experiment.addImage("img", Tensor.ones(1, 2, 2), globalStep: 3)
        try logger.finalize(status: "success")
        #expect(logger.eventFilePaths.count == 1)
        let file = logger.eventFilePaths[0]
        #expect(file.hasPrefix(dir + "/lightning_logs/version_0/events.out.tfevents."))
        #expect(try TensorBoardFormat.readScalars(file).scalars.map { "\($0.step) \($0.tag) \($0.value)" } == ["3 acc 0.75", "3 loss 0.5"])
        #expect(try TensorBoardFormat.readTexts(file).map(\.text) == ["first run"])
        #expect(try TensorBoardFormat.readImages(file).map(\.tag) == ["img"])
    }
}
}
