import Testing
import Descent

// L-BFGS (PyTorch's optim.LBFGS, with and without the strong-Wolfe line search) against PyTorch 2.13 (CPU).
// Descent's generator equals PyTorch's, so `manualSeed(0); Linear(3, 2)` starts from the same weights.
// PyTorch:
//   import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as O
//   X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
//   Y = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])

private let X = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
private let Y = Tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])

/// L-BFGS on the linear problem (`lin`), on a separable quadratic in one 5-element parameter (`quad`) or on
/// Rosenbrock's function from (-1.5, 2) with a and b as two one-element parameters (`rosen`); PyTorch's
/// parameters, the loss each `step` returned, and the optimizer's `func_evals` and `n_iter` after `steps`
/// calls of `step(closure)`.
///
/// On `quad` and `rosen`, Descent's gradients are PyTorch's bit for bit (element-wise ops only), and the
/// whole L-BFGS run, line search included, follows PyTorch's exactly: same iterations, same evaluations.
/// On `lin`, Descent's Linear/MSE gradients differ from PyTorch's (MKL GEMM, float cascade sums) by 1-2 ulp,
/// which quasi-Newton iterations amplify on this ill-conditioned system: there the final parameters
/// agree to 1e-4 and the iteration counts are not compared.
private struct LBFGSCase {
    let problem: String
    let make: ([Parameter]) -> LBFGS
    let steps: Int, funcEvals: Int, nIter: Int
    let params: [Double], losses: [Double]
    init(_ problem: String, _ make: @escaping ([Parameter]) -> LBFGS, steps: Int, funcEvals: Int, nIter: Int,
         params: [Double], losses: [Double]) {
        self.problem = problem; self.make = make; self.steps = steps; self.funcEvals = funcEvals; self.nIter = nIter
        self.params = params; self.losses = losses
    }
}

// PyTorch:
//   def lin(steps, **kw):
//       torch.manual_seed(0); m = nn.Linear(3, 2); opt = O.LBFGS(m.parameters(), **kw)
//       def closure():
//           opt.zero_grad(); loss = F.mse_loss(m(X), Y); loss.backward(); return loss
//       losses = [opt.step(closure).item() for _ in range(steps)]
//       st = opt.state[opt._params[0]]
//       return m.weight.flatten().tolist() + m.bias.tolist(), losses, st["func_evals"], st["n_iter"]
//   def rosen(steps, **kw):
//       a = torch.tensor([-1.5], requires_grad=True); b = torch.tensor([2.0], requires_grad=True)
//       opt = O.LBFGS([a, b], **kw)
//       def closure():
//           opt.zero_grad(); loss = ((1 - a).pow(2) + 100 * (b - a.pow(2)).pow(2)).sum(); loss.backward(); return loss
//       ... as lin
//   C = torch.tensor([1.0, 10.0, 0.5, 4.0, 25.0]); T = torch.tensor([0.5, 0.25, -1.0, 2.0, 0.1])
//   def quad(steps, **kw):
//       x = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.5], requires_grad=True); opt = O.LBFGS([x], **kw)
//       def closure():
//           opt.zero_grad(); loss = (C * (x - T).pow(2)).sum(); loss.backward(); return loss
//       ... as lin
private let lbfgsCases: [LBFGSCase] = [
        // PyTorch: lin(steps=1, **dict())
        LBFGSCase("lin", { LBFGS($0) }, steps: 1, funcEvals: 16, nIter: 16,
                  params: [1.255179762840271, 0.7655358910560608, 0.9862173795700073, -2.94486927986145, -5.834550857543945, -4.813837051391602, -0.8344913125038147, 4.265565872192383],
                  losses: [1.9072803258895874]),
        // PyTorch: lin(steps=3, **dict(max_iter=5))
        LBFGSCase("lin", { LBFGS($0, maxIter: 5) }, steps: 3, funcEvals: 15, nIter: 15,
                  params: [1.255179762840271, 0.7655358910560608, 0.9862173795700073, -2.94486927986145, -5.834550857543945, -4.813837051391602, -0.8344913125038147, 4.265565872192383],
                  losses: [1.9072803258895874, 0.15163277089595795, 0.02969636395573616]),
        // PyTorch: lin(steps=3, **dict(lr=0.5, max_iter=4, history_size=2))
        LBFGSCase("lin", { LBFGS($0, lr: 0.5, maxIter: 4, historySize: 2) }, steps: 3, funcEvals: 12, nIter: 12,
                  params: [0.7254167795181274, -0.2564218044281006, 0.2476530522108078, 0.007051199674606323, -1.5159473419189453, -1.5763133764266968, -0.1714664101600647, 0.8065563440322876],
                  losses: [1.9072803258895874, 0.22015702724456787, 0.14013272523880005]),
        // PyTorch: lin(steps=1, **dict(line_search_fn='strong_wolfe'))
        LBFGSCase("lin", { LBFGS($0, lineSearchFn: "strong_wolfe") }, steps: 1, funcEvals: 19, nIter: 17,
                  params: [1.2551764249801636, 0.7655365467071533, 0.9862193465232849, -2.944871664047241, -5.8345537185668945, -4.813845157623291, -0.8344913125038147, 4.265568733215332],
                  losses: [1.9072803258895874]),
        // PyTorch: quad(steps=2, **dict(max_iter=4))
        LBFGSCase("quad", { LBFGS($0, maxIter: 4) }, steps: 2, funcEvals: 8, nIter: 8,
                  params: [0.40085291862487793, 0.25647521018981934, -0.8444963097572327, 1.9356579780578613, 0.10274723917245865],
                  losses: [120.00000762939453, 1.2067433595657349]),
        // PyTorch: quad(steps=3, **dict(lr=0.3, max_iter=3, history_size=2))
        LBFGSCase("quad", { LBFGS($0, lr: 0.3, maxIter: 3, historySize: 2) }, steps: 3, funcEvals: 9, nIter: 6,
                  params: [0.9033511877059937, -0.15946675837039948, 0.3470230996608734, 2.4343178272247314, -0.11000914126634598],
                  losses: [120.00000762939453, 55.4326171875, 15.247117042541504]),
        // PyTorch: quad(steps=2, **dict(line_search_fn='strong_wolfe', max_iter=4))
        LBFGSCase("quad", { LBFGS($0, maxIter: 4, lineSearchFn: "strong_wolfe") }, steps: 2, funcEvals: 10, nIter: 8,
                  params: [0.40085291862487793, 0.25647521018981934, -0.8444963097572327, 1.9356579780578613, 0.10274723917245865],
                  losses: [120.00000762939453, 1.2067433595657349]),
        // PyTorch: quad(steps=1, **dict(line_search_fn='strong_wolfe'))
        LBFGSCase("quad", { LBFGS($0, lineSearchFn: "strong_wolfe") }, steps: 1, funcEvals: 16, nIter: 16,
                  params: [0.5000035166740417, 0.250000536441803, -1.0000004768371582, 1.9999990463256836, 0.09999968111515045],
                  losses: [120.00000762939453]),
        // PyTorch: rosen(steps=5, **dict(max_iter=5))
        LBFGSCase("rosen", { LBFGS($0, maxIter: 5) }, steps: 5, funcEvals: 25, nIter: 25,
                  params: [-0.6483491063117981, 0.4162219166755676],
                  losses: [12.5, 5.832366943359375, 5.645446300506592, 4.697018623352051, 3.1733570098876953]),
        // PyTorch: rosen(steps=2, **dict(line_search_fn='strong_wolfe'))
        LBFGSCase("rosen", { LBFGS($0, lineSearchFn: "strong_wolfe") }, steps: 2, funcEvals: 50, nIter: 39,
                  params: [0.9999943971633911, 0.9999887347221375],
                  losses: [12.5, 1.308570146560669]),
        // PyTorch: rosen(steps=5, **dict(line_search_fn='strong_wolfe', max_iter=10, history_size=3))
        LBFGSCase("rosen", { LBFGS($0, maxIter: 10, historySize: 3, lineSearchFn: "strong_wolfe") }, steps: 5, funcEvals: 49, nIter: 38,
                  params: [1.0000001192092896, 1.000000238418579],
                  losses: [12.5, 4.156405448913574, 0.9583178162574768, 0.06507942080497742, 7.16582349014061e-10]),
]

/// Runs an L-BFGS case; returns the losses `step` returned and the final parameters.
private func runLBFGS(_ c: LBFGSCase, _ opt: inout LBFGS?) -> (losses: [Double], params: [Double]) {
    if c.problem == "lin" {
        manualSeed(0)
        let m = Linear(3, 2)
        let o = c.make(m.parameters())
        opt = o
        let closure: () -> Tensor = {
            o.zeroGrad()
            let loss = mseLoss(m(X), Y)
            loss.backward()
            return loss
        }
        let losses = (0..<c.steps).map { _ in o.step(closure).item() }
        return (losses, values(m.weight) + values(m.bias!))
    } else if c.problem == "quad" {
        let x = Parameter(Tensor([1.0, -2.0, 0.5, 3.0, -1.5]))
        let o = c.make([x])
        opt = o
        let closure: () -> Tensor = {
            o.zeroGrad()
            let loss = quadratic(x)
            loss.backward()
            return loss
        }
        let losses = (0..<c.steps).map { _ in o.step(closure).item() }
        return (losses, values(x))
    } else {
        let a = Parameter(Tensor([-1.5])), b = Parameter(Tensor([2.0]))
        let o = c.make([a, b])
        opt = o
        let closure: () -> Tensor = {
            o.zeroGrad()
            let loss = rosenbrock(a, b)
            loss.backward()
            return loss
        }
        let losses = (0..<c.steps).map { _ in o.step(closure).item() }
        return (losses, values(a) + values(b))
    }
}

private let quadC = Tensor([1.0, 10.0, 0.5, 4.0, 25.0]), quadT = Tensor([0.5, 0.25, -1.0, 2.0, 0.1])
private func quadratic(_ x: Tensor) -> Tensor { (quadC * (x - quadT).pow(2)).sum() }

private func rosenbrock(_ a: Tensor, _ b: Tensor) -> Tensor {
    let u = (1 - a).pow(2)
    let v = (b - a.pow(2)).pow(2)
    return (u + 100 * v).sum()
}

extension Core {
@Suite struct LBFGSTests {
    @Test func defaultsArePyTorchs() {
        let p = [Parameter(Tensor.zeros(2))]
        // PyTorch: O.LBFGS(p).defaults -> lr 1, max_iter 20, max_eval 25, tolerance_grad 1e-07,
        //          tolerance_change 1e-09, history_size 100, line_search_fn None
        let lbfgs = LBFGS(p)
        let o = lbfgs.paramGroups[0].options
        #expect(lbfgs.paramGroups[0].lr == 1 && o["max_iter"] == 20 && o["max_eval"] == 25 && o["history_size"] == 100)
        #expect(o["tolerance_grad"] == 1e-7 && o["tolerance_change"] == 1e-9 && lbfgs.lineSearchFn == nil)
        // PyTorch: O.LBFGS(p, max_iter=7).defaults['max_eval'] -> 8
        #expect(LBFGS(p, maxIter: 7).paramGroups[0].options["max_eval"] == 8)
    }

    @Test(arguments: lbfgsCases.indices)
    func lbfgsMatchesPyTorch(_ index: Int) {
        let c = lbfgsCases[index]
        var opt: LBFGS? = nil
        let (losses, params) = runLBFGS(c, &opt)
        let exact = c.problem != "lin"
        expectValues(Tensor(losses), c.losses, atol: 1e-6, rtol: exact ? 2e-6 : 1e-5)
        expectValues(Tensor(params), c.params, atol: exact ? 1e-7 : 1e-5, rtol: exact ? 2e-6 : 1e-4)
        if exact {
            let sd = opt!.stateDict()
            #expect(sd["state.0.func_evals"]?.item() == Double(c.funcEvals))
            #expect(sd["state.0.n_iter"]?.item() == Double(c.nIter))
        }
    }

    /// Two L-BFGS steps on Rosenbrock's function, a state-dict round trip into fresh parameters and
    /// optimizer, three more steps: the same as five uninterrupted steps (PyTorch's rosen(steps=5, max_iter=5)).
    @Test func lbfgsStateDictRoundTripResumes() throws {
        let c = lbfgsCases.first { $0.problem == "rosen" }!
        func closure(_ a: Tensor, _ b: Tensor, _ o: LBFGS) -> () -> Tensor {
            { o.zeroGrad(); let l = rosenbrock(a, b); l.backward(); return l }
        }
        let a = Parameter(Tensor([-1.5])), b = Parameter(Tensor([2.0]))
        let opt = LBFGS([a, b], maxIter: 5)
        var losses = (0..<2).map { _ in opt.step(closure(a, b, opt)).item() }
        let optState = opt.stateDict()
        #expect(optState["state.0.old_dirs"]!.shape == [9, 2] && optState["state.0.ro"]!.shape == [9])
        #expect(optState["state.0.n_iter"]?.item() == 10 && optState["state.0.d"]!.shape == [2])
        let a2 = Parameter(Tensor(values(a))), b2 = Parameter(Tensor(values(b)))
        let opt2 = LBFGS([a2, b2], maxIter: 5)
        try opt2.loadStateDict(optState)
        losses += (0..<3).map { _ in opt2.step(closure(a2, b2, opt2)).item() }
        expectValues(Tensor(losses), c.losses, atol: 1e-6, rtol: 2e-6)
        expectValues(Tensor(values(a2) + values(b2)), c.params, atol: 1e-7, rtol: 2e-6)
        #expect(opt2.stateDict()["state.0.n_iter"]?.item() == Double(c.nIter))
        #expect(opt2.stateDict()["state.0.func_evals"]?.item() == Double(c.funcEvals))
        // A history for parameters of another size is rejected.
        let other = LBFGS([Parameter(Tensor([1.0, 2.0, 3.0]))])
        #expect(throws: StateDictError.self) { try other.loadStateDict(optState) }
    }
}
}
