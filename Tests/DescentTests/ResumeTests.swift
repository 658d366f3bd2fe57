import Foundation
import Testing
import Descent

/// Exact resume after `kill -9` (issue "Reliability"): a Trainer run with shuffling, dropout, momentum
/// SGD and a StepLR scheduler, checkpointing every 5 optimizer steps in the middle of epochs, is killed
/// with SIGKILL twice and resumed from its last checkpoint each time; it must end with the parameters
/// of the uninterrupted run, bit for bit. (The program is `descent-checks resume`.)
@Suite(.serialized) struct ResumeAfterKillTests {
    @Test func killedTwiceAndResumedEndsBitIdentical() throws {
        guard MPIRun.checks != nil else {
            if MPIRun.required { Issue.record("descent-checks was not built") }
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let straightDir = dir.appendingPathComponent("straight").path, killedDir = dir.appendingPathComponent("killed").path

        let straight = try MPIRun.run("resume", np: nil, args: [straightDir, "full"])
        #expect(straight.status == 0, "\(straight.output)")
        // 1397 samples in batches of 64: 22 steps an epoch, 3 epochs; lr 0.2 halved after each epoch
        #expect(straight.ranks[0]["global_step"] == "66")
        #expect(straight.ranks[0]["lr"] == "0.025")

        // killed after step 23: the last checkpoint is step 20, batch 20 of epoch 0
        let first = try MPIRun.run("resume", np: nil, args: [killedDir, "kill:23"])
        #expect(first.status == 9, "SIGKILL: \(first.output)")
        #expect(first.ranks[0]["params"] == nil)
        let last = killedDir + "/checkpoints/last.ckpt"
        var meta = try safetensorsMetadata(from: last)
        #expect(meta["global_step"] == "20" && meta["epoch"] == "0" && meta["batches_in_epoch"] == "20")
        #expect(meta["rng_state.global"] != nil && meta["rng_state.epoch_start.global"] != nil)

        // resumed, and killed again after step 52 (checkpoint: step 50, batch 6 of epoch 2)
        let second = try MPIRun.run("resume", np: nil, args: [killedDir, "resume", "kill:52"])
        #expect(second.status == 9, "SIGKILL: \(second.output)")
        meta = try safetensorsMetadata(from: last)
        #expect(meta["global_step"] == "50" && meta["epoch"] == "2" && meta["batches_in_epoch"] == "6")

        let resumed = try MPIRun.run("resume", np: nil, args: [killedDir, "resume"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.ranks[0]["global_step"] == "66")
        #expect(resumed.ranks[0]["lr"] == "0.025")
        let a = straight.ranks[0]["params"], b = resumed.ranks[0]["params"]
        #expect(a != nil && a == b, "the resumed run's parameters differ from the uninterrupted run's")
    }
}
