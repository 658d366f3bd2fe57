import Foundation
import Testing
import Descent

/// Live training curves (LivePlot, PlotCallback), their braille terminal form, and `descent plot` of a
/// CSVLogger file.
// In `Core` (one test at a time): it seeds the global generator.
extension Core {
@Suite struct LivePlotTests {
    static let csv = """
    epoch,step,train_loss,val_acc,val_loss
    0,21,0.9,,
    0,21,,0.7,0.8
    1,43,0.5,,
    1,43,,0.8,0.6

    """

    @Test func metricsFileIsRead() throws {
        let m = try MetricsCSV(text: Self.csv)
        #expect(m.names == ["train_loss", "val_acc", "val_loss"])
        #expect(m.points["train_loss"]!.map(\.value) == [0.9, 0.5])
        #expect(m.points["val_acc"]!.map(\.epoch) == [0, 1])
        // one panel of losses, one of the rest
        #expect(m.figure().axes.count == 2)
    }

    @Test func badMetricsFilesThrowNamingTheLine() {
        let cases: [(String, Int, String)] = [
            ("", 1, "no header"),
            ("step,loss\n1,2\n", 1, "no epoch column in the header"),
            ("epoch,loss,loss\n0,1,2\n", 1, "a column name appears twice"),
            ("epoch,step,loss\n0,1\n", 2, "2 cells for 3 columns"),
            ("epoch,step,loss\n0,1,0.5\nx,2,0.4\n", 3, "epoch is not a number: \"x\""),
            ("epoch,step,loss\n0,1,abc\n", 2, "loss is not a number: \"abc\""),
            ("epoch,step,loss\ninf,1,0.5\n", 2, "epoch is not a number: \"inf\""),
        ]
        for (text, line, reason) in cases {
            #expect(throws: MetricsCSVError.malformed(path: "metrics.csv", line: line, reason: reason)) { try MetricsCSV(text: text) }
        }
        #expect(throws: MetricsCSVError.unreadable(path: "/nonexistent/metrics.csv")) { try MetricsCSV(path: "/nonexistent/metrics.csv") }
    }

    /// Two characters, one row: 4 x 4 dots. The series [0, 1] runs from the bottom-left dot (0, 3) to the
    /// top-right one (3, 0) through (1, 2) and (2, 1): bits 0x40|0x20 in the first character (⡠) and
    /// 0x02|0x08 in the second (⠊).
    @Test func brailleDrawing() throws {
        let live = LivePlot(columns: 2, rows: 1)
        try live.update(["a": 0])
        try live.update(["a": 1])
        #expect(live.series.map(\.name) == ["a"] && live.series[0].values == [0, 1])
        #expect(live.brailleText(colors: false) == "        1 ┤⡠⠊\n          └──\n           ⣿ a 1\n")
    }

    /// With a path, each update rewrites the SVG (atomically) and the first writes a reloading HTML page.
    @Test func writesTheFigureAndAPageThatReloadsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("curves.svg").path
        let live = LivePlot(path: path)
        try live.update(["train_loss": 1.0, "val_acc": 0.5])
        let first = try String(contentsOfFile: path, encoding: .utf8)
        try live.update(["train_loss": 0.5, "val_acc": 0.75])
        let second = try String(contentsOfFile: path, encoding: .utf8)
        #expect(first != second && second.contains("train_loss") && second.contains("val_acc"))
        let page = try String(contentsOfFile: live.htmlPath!, encoding: .utf8)
        #expect(page.contains("<img id=\"p\" src=\"curves.svg\"") && page.contains("setInterval"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// As a Trainer callback: one point per epoch of every epoch-level value the module logged.
    @Test func plotCallbackFollowsTheLoggedMetrics() throws {
        final class Fit: Module, TrainingModule {
            let lin = Linear(1, 1)
            override func forward(_ x: Tensor) -> Tensor { lin(x) }
            func trainingStep(_ batch: (Tensor, Tensor), batchIndex: Int) -> Tensor {
                let loss = mseLoss(self(batch.0), batch.1)
                log("train_loss", loss, onStep: false, onEpoch: true)
                return loss
            }
            func configureOptimizers() -> Optimizer { SGD(parameters(), lr: 0.1) }
        }
        manualSeed(0)
        let x = Tensor.randn(16, 1), y = x * 3 + 1
        let cb = PlotCallback()
        let trainer = Trainer(maxEpochs: 3, callbacks: [cb], logger: false, enableCheckpointing: false,
                              enableProgressBar: false, enableModelSummary: false)
        try trainer.fit(Fit(), trainDataLoaders: DataLoader(TensorDataset(x, y), batchSize: 4))
        let s = cb.plot.series.first { $0.name == "train_loss" }
        #expect(s?.values.count == 3)
        #expect(s?.values.last == trainer.callbackMetrics["train_loss"])
        #expect(s.map { $0.values[2] < $0.values[0] } == true, "the loss went down")
    }

    /// `descent plot metrics.csv -o curves.svg`, and its message for a bad file.
    @Test func cliPlotsAMetricsFile() throws {
        guard let exe = MPIRun.sibling("descent") else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-plotcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("metrics.csv").path, svg = dir.appendingPathComponent("curves.svg").path
        try Self.csv.write(toFile: csv, atomically: true, encoding: .utf8)
        let ok = try run(exe, ["plot", csv, "-o", svg])
        #expect(ok.status == 0 && ok.output.contains("wrote \(svg) (train_loss, val_acc, val_loss)"), "\(ok.output)")
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("val_loss"))
        try "epoch,step,loss\n0,1,abc\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let bad = try run(exe, ["plot", csv])
        #expect(bad.status == 1 && bad.output.contains("descent plot: \(csv), line 2: loss is not a number: \"abc\""), "\(bad.output)")
    }

    private func run(_ exe: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
}
