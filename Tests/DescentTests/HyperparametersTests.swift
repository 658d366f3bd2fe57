import Foundation
import Testing
import Descent

// Lightning's save_hyperparameters / hparams and what the loggers write of them, against lightning 2.6.6
// (/tmp/ref/hparams.py, in short):
//   class Net(L.LightningModule): def __init__(self, lr=0.1, hidden=16, optimizer="adam", eps=1e-05, name="my net"):
//       self.save_hyperparameters() ...; SGD(lr=self.hparams.lr)
//   L.Trainer(max_epochs=1, logger=[TensorBoardLogger(d), CSVLogger(d, name="csv")], log_every_n_steps=1).fit(...)
//   open(log_dir + "/hparams.yaml").read(); the event file's summaries (EventFileLoader), plugin contents in hex

private final class Net: Module, TrainingModule {
    let lin = Linear(3, 1)
    init(lr: Double = 0.1, hidden: Int = 16, optimizer: String = "adam", eps: Double = 1e-05, name: String = "my net") {
        super.init()
        saveHyperparameters(["lr": .init(lr), "hidden": .init(hidden), "optimizer": .init(optimizer), "eps": .init(eps), "name": .init(name)])
    }
    override func forward(_ x: Tensor) -> Tensor { lin(x) }
    func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
        let loss = mseLoss(self(batch.0), batch.1)
        log("train_loss", loss)
        return loss
    }
    func configureOptimizers() -> Optimizer {
        SGD(parameters(), lr: hparams["lr"]!.double!)
    }
}

private func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

extension Core {
@Suite struct HyperparametersTests {
    @Test func savedHyperparametersReachTheLoggersAsLightnings() throws {
        let dir = NSTemporaryDirectory() + "descent-hp-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        manualSeed(1)
        let x = Tensor.randn(10, 3)
        let y = x.matmul(Tensor([[1.0], [-2.0], [0.5]])) + 0.3
        let net = Net()
        #expect(net.hparams == ["lr": 0.1, "hidden": 16, "optimizer": "adam", "eps": 1e-05, "name": "my net"])
        let tb = TensorBoardLogger(saveDir: dir), csv = CSVLogger(saveDir: dir, name: "csv")
        try Trainer(maxEpochs: 1, loggers: [tb, csv], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false,
                    logEveryNSteps: 1).fit(net, trainDataLoaders: DataLoader(TensorDataset(x, y), batchSize: 4))
        let yaml = "eps: 1.0e-05\nhidden: 16\nlr: 0.1\nname: my net\noptimizer: adam\n"
        #expect(try String(contentsOfFile: tb.logDir + "/hparams.yaml", encoding: .utf8) == yaml)
        #expect(try String(contentsOfFile: csv.logDir + "/hparams.yaml", encoding: .utf8) == yaml)
        // hp_metric -1 at step 0, then the three hparams summaries, then the training scalars
        let path = tb.eventFilePaths[0]
        let scalars = try TensorBoardFormat.readScalars(path).scalars
        #expect(scalars.first.map { [$0.step == 0, $0.tag == "hp_metric", $0.value == -1] } == [true, true, true])
        let summaries = try TensorBoardFormat.readSummaries(path).map { hex($0.summary) }
        #expect(summaries.count == 1 + 3 + 3)   // Lightning writes train_loss and epoch as two events a step; here one holds both
        let experiment = "124522060a026c722003220a0a0668696464656e2003220d0a096f7074696d697a6572200122070a03657073200322080a046e616d6520012a0d0a0b120968705f6d6574726963"
        #expect(summaries[1].contains(experiment) && summaries[3].contains("22020801"))
        // the session's values (a map: protobuf writes its entries in an order of its own)
        for entry in ["0a100a046e616d6512081a066d79206e6574", "0a0f0a026c721209119a9999999999b93f", "0a130a096f7074696d697a657212061a046164616d",
                      "0a130a0668696464656e1209110000000000003040", "0a100a03657073120911f168e388b5f8e43e"] {
            #expect(summaries[2].contains(entry))
        }
    }

    @Test func laterCallsReplaceAndYAMLQuotesWhatItMust() {
        let net = Net()
        net.saveHyperparameters(["lr": 0.5, "note": "yes", "big": 1e17, "path": "a: b"])
        #expect(net.hparams["lr"] == 0.5 && net.hparams.count == 8 && net.hparams["hidden"]?.int == 16 && net.hparams["name"]?.string == "my net")
        // yaml.dump({"note": "yes", "big": 1e17, "path": "a: b"}): 'yes', 1.0e+17, 'a: b'
        let tb = TensorBoardLogger(saveDir: NSTemporaryDirectory() + "descent-hp-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: tb.saveDir) }
        #expect(throws: Never.self) {
            try Trainer(maxEpochs: 1, logger: tb, enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
                .fit(net, trainDataLoaders: DataLoader(TensorDataset(Tensor.randn(2, 3), Tensor.randn(2, 1)), batchSize: 2))
        }
        let text = (try? String(contentsOfFile: tb.logDir + "/hparams.yaml", encoding: .utf8)) ?? ""
        #expect(text.contains("note: 'yes'\n") && text.contains("big: 1.0e+17\n") && text.contains("path: 'a: b'\n"))
    }
}
}
