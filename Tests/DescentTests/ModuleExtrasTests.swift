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

    @Test func addModuleOnContainers() {
        // s = nn.Sequential(nn.Linear(2, 2)); s.add_module('act', nn.ReLU()); print(s)
        let s = Sequential { Linear(2, 2) }
        s.addModule("act", ReLU())
        #expect("\(s)" == "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (act): ReLU()\n)")
        #expect(s(Tensor.full([1, 2], -100.0)).min().item() >= 0)     // the ReLU runs in forward
        let d = ModuleDict()
        d.addModule("fc", Linear(2, 1))
        #expect(d.parameters().count == 2 && d.getParameter("fc.weight") != nil)
    }

    @Test func registeringADeclaredNameStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { Blocks(1).addModule("head", Linear(1, 1)) }
        #expect(stderr(r).contains("attribute 'head' already exists"))
        // a module whose children are fixed (MultiheadAttention lists only out_proj) refuses instead of dropping it
        let fixed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            MultiheadAttention(8, 2).addModule("extra", ReLU())
        }
        #expect(stderr(fixed).contains("MultiheadAttention cannot take registered modules"))
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

    @Test func floatBitwiseStopsWithAMessage() async {
        // torch.tensor([1.]) & torch.tensor([2.])  ->  RuntimeError: "bitwise_and_cpu" not implemented for 'Float'
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1.0, 2.0]) & Tensor([3.0, 1.0])
        }
        #expect(stderr(r).contains("\"bitwise_and_cpu\" not implemented for 'Float'"))
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

extension Core {
@Suite struct SmallOpsTests {
    @Test func smallOpsMatchPyTorch() {
        // torch.manual_seed(0); x = torch.randn(2, 3); x.take(torch.tensor([[0, 5], [3, 1]]))
        manualSeed(0)
        let x = Tensor.randn(2, 3)
        expectValues(x.take(Tensor([[0, 5], [3, 1]])), [1.5409960746765137, -1.3985954523086548, 0.5684312582015991, -0.293428897857666], shape: [2, 2])
        // a.fmax(b), a.fmin(b) with NaNs: [2, 1, 3, nan], [1, 1, 3, nan]
        let a = Tensor([1.0, .nan, 3.0, .nan]), b = Tensor([2.0, 1.0, .nan, .nan])
        let mx = a.fmax(b).toArray(Float.self), mn = a.fmin(b).toArray(Float.self)
        #expect(Array(mx.prefix(3)) == [2, 1, 3] && mx[3].isNaN && Array(mn.prefix(3)) == [1, 1, 3] && mn[3].isNaN)
        // torch.inner(x, torch.ones(4, 3)): each row's sum, 4 times
        expectValues(x.inner(Tensor.ones(4, 3)), [Double](repeating: -0.9312222003936768, count: 4) + [Double](repeating: -1.9146865606307983, count: 4),
                     shape: [2, 4], atol: 1e-6)
        // torch.logdet(m), of a matrix with a negative determinant (nan), and batched
        let m = Tensor([[2.0, 1.0], [1.0, 3.0]]), n = Tensor([[0.0, 1.0], [1.0, 0.0]])
        #expect(abs(m.logdet().item() - 1.6094379425048828) < 1e-6 && n.logdet().item().isNaN)
        #expect(stack([m, n]).logdet().toArray(Float.self)[1].isNaN)
        // torch.zeros(2, 2).addr(tensor([1., 2.]), tensor([3., 4.]), beta=0.5, alpha=2)
        expectValues(Tensor.zeros(2, 2).addr(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]), beta: 0.5, alpha: 2), [6, 8, 12, 16])
        // beta = 0 ignores the input, NaN included (PyTorch: torch.full((2, 2), nan).addr(v1, v2, beta=0) is the outer product)
        expectValues(Tensor.full([2, 2], .nan).addr(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]), beta: 0), [3, 4, 6, 8])
        #expect(Tensor([1.0, .infinity, -.infinity]).isposinf().toArray(Bool.self) == [false, true, false])
        #expect(Tensor([1.0, .infinity, -.infinity]).isneginf().toArray(Bool.self) == [false, false, true])
        expectValues(Tensor([1.0, 2.0]).diagflat(1), [0, 1, 0, 0, 0, 2, 0, 0, 0], shape: [3, 3])
        #expect(x.diagflat().shape == [6, 6] && x.ravel().shape == [6] && x.moveaxis(0, 1).shape == [3, 2])
    }

    @Test func gumbelSoftmaxDrawsAsPyTorch() {
        // torch.manual_seed(0); l = torch.randn(3, 4, requires_grad=True); torch.manual_seed(1); F.gumbel_softmax(l, tau=0.5)
        manualSeed(0)
        let l = Tensor.randn(3, 4).requiresGrad_()
        manualSeed(1)
        expectValues(gumbelSoftmax(l, tau: 0.5), [0.9837374687194824, 0.0015395667869597673, 3.219893915229477e-05, 0.014690685085952282,
                                                  0.012290135957300663, 0.3219013810157776, 0.416197806596756, 0.24961073696613312,
                                                  0.02906390279531479, 0.08719135820865631, 0.05474330857396126, 0.8290014266967773], atol: 1e-6)
        // torch.manual_seed(1); h = F.gumbel_softmax(l, tau=0.5, hard=True); (h * torch.arange(4.)).sum().backward(); h, l.grad
        manualSeed(1)
        let h = gumbelSoftmax(l, tau: 0.5, hard: true)
        expectValues(h, [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
        (h * Tensor.arange(4.0)).sum().backward()
        expectValues(l.grad!, [-0.08986642211675644, 0.0029384910594671965, 0.00012585431977640837, 0.08680208772420883,
                               -0.046779435127973557, -0.5814371109008789, 0.08063481003046036, 0.5475814342498779,
                               -0.15599656105041504, -0.29360508918762207, -0.0748540535569191, 0.5244557857513428], atol: 1e-6)
    }

    @Test func distanceModulesAndTripletWithDistance() {
        // torch.manual_seed(2); an, po, ne = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)
        // nn.TripletMarginWithDistanceLoss()(an, po, ne); with distance 1 - cosine_similarity, swap=True, margin=0.5
        manualSeed(2)
        let an = Tensor.randn(4, 3), po = Tensor.randn(4, 3), ne = Tensor.randn(4, 3)
        expectValues(TripletMarginWithDistanceLoss()(an, po, ne), [1.1531809568405151], atol: 1e-6)
        let cosine = TripletMarginWithDistanceLoss(distanceFunction: { 1 - cosineSimilarity($0, $1) }, margin: 0.5, swap: true)
        expectValues(cosine(an, po, ne), [0.9715970158576965], atol: 1e-6)
        #expect(CosineSimilarity()(an, po).equal(cosineSimilarity(an, po)) && PairwiseDistance()(an, po).equal(pairwiseDistance(an, po)))
        #expect("\(CosineSimilarity())" == "CosineSimilarity()" && "\(PairwiseDistance())" == "PairwiseDistance()")
    }
}
}
