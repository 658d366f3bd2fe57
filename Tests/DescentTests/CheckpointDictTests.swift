import Foundation
import Testing
import Descent

// `torch.save({...}, path)` / `torch.load(path)`: a dictionary of state dicts, tensors, numbers and
// strings in one file, and the checks on reading one back.

private func scratchFile(_ name: String) -> String {
    let d = NSTemporaryDirectory() + "descent-ckptdict-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d + "/" + name
}

private func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do { try body() } catch let e as CheckpointError { return e } catch { Issue.record("unexpected \(error)") }
    return nil
}

extension Core {
@Suite struct CheckpointDictTests {
    @Test func roundTripKeepsOrderKindsAndValuesAndResumesTraining() throws {
        manualSeed(0)
        let model = Sequential { Linear(3, 4); ReLU(); Linear(4, 2) }
        let opt = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        let sched = StepLR(opt, stepSize: 2, gamma: 0.5)
        let x = Tensor.randn(5, 3), y = Tensor.randn(5, 2)
        func step() { opt.zeroGrad(); mseLoss(model(x), y).backward(); opt.step(); sched.step() }
        step(); step(); step()
        let loss = mseLoss(model(x), y).detach()
        let savedWeight = model.stateDict()["0.weight"]!.clone()
        let path = scratchFile("ckpt.safetensors")
        try save(["epoch": 3, "model": model.stateDict(), "optimizer": opt.stateDict(), "scheduler": sched.stateDict(),
                  "loss": loss, "best": Double.nan, "lr": 0.05, "name": "run 'a'", "done": false,
                  "history": [1.5, 0.25], "steps": [1, 2, 3], "tags": ["x", "y"]], to: path)

        let ckpt = try loadCheckpoint(from: path)
        #expect(ckpt.keys == ["epoch", "model", "optimizer", "scheduler", "loss", "best", "lr", "name", "done", "history", "steps", "tags"])
        #expect(String(describing: ckpt["epoch"]!) == "3")
        #expect(try ckpt.int("epoch") == 3)
        #expect(try ckpt.double("lr") == 0.05)
        #expect(try ckpt.double("best").isNaN)
        #expect(try ckpt.string("name") == "run 'a'")
        #expect(ckpt["done"] as Bool? == false)
        #expect(ckpt["history"] as [Double]? == [1.5, 0.25])
        #expect(ckpt["steps"] as [Int]? == [1, 2, 3])
        #expect(ckpt["tags"] as [String]? == ["x", "y"])
        #expect(try ckpt.tensor("loss").equal(loss))
        #expect(try ckpt.double("loss") == loss.item())
        #expect(ckpt.description.hasPrefix("{'epoch': 3, 'model': <state dict: 4 tensors>, "))
        #expect(ckpt.description.contains("'name': \"run 'a'\", 'done': False, 'history': [1.5, 0.25], 'steps': [1, 2, 3], 'tags': ['x', 'y']}"))

        // a fresh model, optimizer and scheduler resumed from it take the same next step
        manualSeed(1)
        let model2 = Sequential { Linear(3, 4); ReLU(); Linear(4, 2) }
        let opt2 = SGD(model2.parameters(), lr: 0.1, momentum: 0.9)
        let sched2 = StepLR(opt2, stepSize: 2, gamma: 0.5)
        try model2.loadStateDict(ckpt["model"]!)
        try opt2.loadStateDict(ckpt["optimizer"]!)
        try sched2.loadStateDict(try ckpt.stateDict("scheduler"))
        #expect(sched2.lastEpoch == 3 && sched2.getLastLR() == sched.getLastLR())
        step()
        opt2.zeroGrad(); mseLoss(model2(x), y).backward(); opt2.step(); sched2.step()
        for (a, b) in zip(model.parameters(), model2.parameters()) { #expect(a.equal(b)) }

        // the tensors are plain safetensors entries, named <key>/<name>
        let flat = try load(from: path)
        #expect(flat["model/0.weight"]!.equal(savedWeight))
        #expect(flat.keys.contains("loss") && flat.keys.contains("model/2.bias"))
        let typed: Checkpoint = try load(from: path)
        #expect(typed.keys == ckpt.keys)
    }

    @Test func plainAndTrainerFilesLoadAsDictionaries() throws {
        let path = scratchFile("plain.safetensors")
        let w = Tensor([[1.0, 2.0]]), b = Tensor([3.0])
        try save(["w": w, "b": b], to: path)
        let ckpt = try loadCheckpoint(from: path)
        #expect(Set(ckpt.keys) == ["w", "b"])
        #expect(try ckpt.tensor("w").equal(w) && ckpt.tensor("b").equal(b))
        #expect(checkpointError { _ = try ckpt.stateDict("w") } == .invalidField(path: path, field: "w", value: "a tensor of shape [1, 2]", reason: "expected a state dict"))
        #expect(checkpointError { _ = try ckpt.int("epoch") } == .missingField(path: path, field: "epoch"))

        // a Trainer checkpoint: Lightning's epoch, global_step and state_dict
        let model = Sequential { Linear(2, 1) }
        let trainer = Trainer(maxEpochs: 1, loggers: [], enableCheckpointing: false, enableProgressBar: false, enableModelSummary: false)
        let tpath = scratchFile("last.ckpt")
        try trainer.saveCheckpoint(tpath, model)
        let t = try loadCheckpoint(from: tpath)
        #expect(t.keys == ["epoch", "global_step", "state_dict"])
        #expect(try t.int("epoch") == 0 && t.int("global_step") == 0)
        #expect(try Set(t.stateDict("state_dict").keys) == Set(model.stateDict().keys))   // in the file's order
    }

    @Test func damagedStructureThrowsNamingTheProblem() throws {
        let path = scratchFile("bad.safetensors")
        func write(_ json: String, _ tensors: StateDict = ["model/w": Tensor([1.0])]) throws {
            try save(tensors, to: path, metadata: ["format": "descent-dict", "descent.checkpoint": json])
        }
        func reason(_ json: String, _ tensors: StateDict = ["model/w": Tensor([1.0])]) throws -> String? {
            try write(json, tensors)
            guard case .invalidField(_, "descent.checkpoint", _, let r)? = checkpointError({ _ = try loadCheckpoint(from: path) }) else { return nil }
            return r
        }
        try write(#"[{"key":"model","kind":"state_dict","tensors":[["w","model/w"]]},{"key":"epoch","kind":"int","value":"7"}]"#)
        #expect(try loadCheckpoint(from: path).int("epoch") == 7)
        #expect(try reason("{") == "expected a JSON array of entries")
        #expect(try reason(#"[{"key":"e","kind":"int","value":"7.5"}]"#, [:]) == "'e' is not an integer")
        #expect(try reason(#"[{"key":"e","kind":"int"}]"#, [:]) == "'e' has no value")
        #expect(try reason(#"[{"key":"e","kind":"float16","value":"1"}]"#, [:]) == "'e' has the unknown kind 'float16'")
        #expect(try reason(#"[{"key":"e","kind":"int","value":"1"},{"key":"e","kind":"int","value":"2"}]"#, [:]) == "the key 'e' appears twice")
        #expect(try reason(#"[{"key":"model","kind":"state_dict","tensors":[["w","model/v"]]}]"#) == #"'model' names a tensor the file does not hold: ["w", "model/v"]"#)
        #expect(try reason(#"[{"key":"m","kind":"state_dict","tensors":[["w","model/w"]]},{"key":"n","kind":"tensor","tensors":[["n","model/w"]]}]"#)
                == #"'n' names a tensor the file does not hold: ["n", "model/w"]"#)
        #expect(try reason(#"[{"key":"e","kind":"double_list","values":["1","x"]}]"#, [:]) == "'e' holds 'x'")
        #expect(try reason(#"[{"key":"e","kind":"bool","value":"yes"}]"#, [:]) == "'e' is not true or false")
        #expect(try reason("[]") == "the file holds the tensor 'model/w' that no entry names")
    }
}
}
