import Foundation
import Testing
import Descent

/// Linear layers added in a loop, as `self.add_module(f"block{i}", nn.Linear(...))` does.
private final class Blocks: Module {
    let head = Linear(4, 2)
    init(_ n: Int) {
        super.init()
        for i in 0..<n { addModule("block\(i)", Linear(4, 4)) }
    }
    override func forward(_ x: Tensor) -> Tensor {
        var h = x
        for (name, m) in namedChildren() where name.hasPrefix("block") { h = m(h).relu() }
        return head(h)
    }
}

extension Core {
@Suite struct ModuleExtrasTests {
    @Test func registeredModulesAreChildren() {
        let m = Blocks(3)
        // PyTorch: list(m.state_dict().keys()) for head = nn.Linear(4, 2) then add_module("block0".."block2", nn.Linear(4, 4))
        #expect(m.stateDict().keys == ["head.weight", "head.bias", "block0.weight", "block0.bias", "block1.weight", "block1.bias",
                                           "block2.weight", "block2.bias"])
        #expect(m.parameters().count == 8 && m(Tensor.ones(5, 4)).shape == [5, 2])
        let replacement = Linear(4, 4)
        m.registerModule("block1", replacement)
        #expect(m.getSubmodule("block1") === replacement && m.children().count == 4)
        m.registerModule("block2", nil)
        #expect(m.children().count == 3 && m.getSubmodule("") === m)
        #expect(m.getParameter(target: "block0.bias") === (m.getSubmodule("block0") as! Linear).bias!)
    }

    @Test func submodulesAndBuffersByPath() {
        let net = Sequential { Linear(3, 4); BatchNorm1d(4); ReLU() }
        // PyTorch: net.get_submodule("1") is the BatchNorm1d; net.get_buffer("1.running_var") is ones(4); len(list(net.buffers())) == 3
        #expect(net.getSubmodule("1") is BatchNorm1d)
        #expect(net.getBuffer("1.running_var").equal(Tensor.ones(4)))
        #expect(net.buffers().count == 3 && net.buffers()[2].dtype == .int64)
    }

    @Test func maskOperators() {
        let a = Tensor([-1.0, 0.5, 2.0, 3.0]), b = Tensor([0.0, 0.2, 5.0, 0.9])
        // (a > 0) & (b < 1) -> [F, T, F, T]; | -> [T, T, T, T]; ^ -> [T, F, T, F]
        #expect(((a .> 0) & (b .< 1)).toArray(Bool.self) == [false, true, false, true])
        #expect(((a .> 0) | (b .< 1)).toArray(Bool.self) == [true, true, true, true])
        #expect(((a .> 0) ^ (b .< 1)).toArray(Bool.self) == [true, false, true, false])
        #expect((a .> 0).bitwiseAnd(b .> 1).toArray(Bool.self) == [false, false, true, false])
        #expect(((a .> 0) & true).toArray(Bool.self) == [false, true, true, true] && ((a .> 0) ^ true).toArray(Bool.self) == [true, false, false, false])
        var m = a .> 0
        m &= b .< 1
        #expect(m.toArray(Bool.self) == [false, true, false, true] && (a .> 0).bitwiseNot().toArray(Bool.self) == [true, false, false, false])
        // a mask selects as in PyTorch: a[(a > 0) & (b < 1)] -> [0.5, 3.0]
        expectValues(a[(a .> 0) & (b .< 1)], [0.5, 3.0])
    }

    @Test func integerBitwiseStopsWithAMessage() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]) & Tensor([3, 1])
        }
        #expect(stderr(r).contains("& (bitwise_and) is only supported for bool tensors here, got int64 and int64"))
    }
}
}

extension Core {
@Suite struct DefaultDtypeTests {
    @Test func setDefaultDtypeChangesWhatIsMade() {
        // torch.set_default_dtype(torch.float64); a = torch.tensor([1.5, 2.0]); print(a, a.dtype)
        // torch.zeros(2).dtype, nn.Linear(2, 1).weight.dtype; torch.arange(3) / 2; torch.tensor([1, 2]) * 0.5
        // torch.tensor([1.0], dtype=torch.float32); torch.manual_seed(0); torch.randn(3).tolist()
        // torch.arange(0, 1, 0.25).dtype, torch.tensor([1, 4]).sqrt().dtype
        setDefaultDtype(.float64)
        defer { setDefaultDtype(.float32) }
        #expect(getDefaultDtype() == .float64)
        let a = Tensor([1.5, 2.0])
        #expect(a.dtype == .float64 && "\(a)" == "tensor([1.5000, 2.0000])")
        #expect(Tensor.zeros(2).dtype == .float64 && Linear(2, 1).weight.dtype == .float64)
        #expect("\(Tensor.arange(3) / 2)" == "tensor([0.0000, 0.5000, 1.0000])")
        #expect("\(Tensor([1, 2]) * 0.5)" == "tensor([0.5000, 1.0000])")
        #expect("\(Tensor([1.0], dtype: .float32))" == "tensor([1.], dtype=torch.float32)")
        manualSeed(0)
        #expect(Tensor.randn(3).toArray(Double.self) == [1.5409961082440433, -0.2934289057609464, -2.1787893820745574])
        #expect(Tensor.arange(0, 1, 0.25).dtype == .float64 && Tensor([1, 4]).sqrt().dtype == .float64)
        setDefaultDtype(.float32)
        #expect(Tensor([1.5]).dtype == .float32 && "\(Tensor([1.0], dtype: .float64))" == "tensor([1.], dtype=torch.float64)")
    }

    @Test func onlyFloatingDefaults() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { setDefaultDtype(.int64) }
        #expect(stderr(r).contains("only floating-point types are supported as the default type"))
    }
}
}
