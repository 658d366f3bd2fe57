import Testing
import Descent

// Losses (torch.nn.functional / torch.nn): values, input gradients and grad_fn names against
// PyTorch 2.13 (CPU), float32. The snippets assume
//   def run(fn, x, *a, **kw):
//       x = x.clone().requires_grad_(); l = fn(x, *a, **kw)
//       l.backward() if l.dim() == 0 else l.backward(U)   # U: the upstream gradient named below
//       return l, x.grad, l.grad_fn.name()

/// Runs `loss` on a fresh float32 leaf made from `x`, back-propagates (with `upstream` when the loss
/// is not a scalar), and checks the value, the input's gradient and the grad_fn name.
private func check(_ x: Tensor, _ loss: (Tensor) -> Tensor, value: [Double], grad: [Double], gradFn: String?,
                   upstream: Tensor? = nil, atol: Double = 1e-6, rtol: Double = 1e-5,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let leaf = x.detach().requiresGrad_()
    let l = loss(leaf)
    #expect(l.dtype == .float32, sourceLocation: sourceLocation)
    expectValues(l, value, atol: atol, rtol: rtol, sourceLocation: sourceLocation)
    if let u = upstream {
        #expect(l.shape == u.shape, "shape of the unreduced loss", sourceLocation: sourceLocation)
        l.backward(gradient: u)
    } else {
        #expect(l.shape == [], "a reduced loss is a scalar", sourceLocation: sourceLocation)
        l.backward()
    }
    guard let g = leaf.grad else { Issue.record("no gradient", sourceLocation: sourceLocation); return }
    #expect(g.shape == x.shape, sourceLocation: sourceLocation)
    expectValues(g, grad, atol: atol, rtol: rtol, sourceLocation: sourceLocation)
    if let fn = gradFn { #expect(l.gradFn == fn, sourceLocation: sourceLocation) }
}

// PyTorch: x0 = torch.tensor([[0.5, -1.2, 2.0], [0.1, 0.7, -0.3]]); y0 = torch.tensor([[1.0, 0.0, 1.5], [-0.5, 0.7, 0.2]])
private let x0 = Tensor([[0.5, -1.2, 2.0], [0.1, 0.7, -0.3]])
private let y0 = Tensor([[1.0, 0.0, 1.5], [-0.5, 0.7, 0.2]])
// PyTorch: U = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])   (upstream for (2, 3) unreduced losses)
private let u23 = Tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])
// PyTorch: p = torch.tensor([[0.9, 0.2, 0.5], [0.01, 0.75, 0.4]]); t = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.3]])
private let probs = Tensor([[0.9, 0.2, 0.5], [0.01, 0.75, 0.4]])
private let bt = Tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.3]])
// PyTorch: z = torch.tensor([[2.0, -1.0, 0.0], [-3.0, 0.5, 1.5]])
private let logits = Tensor([[2.0, -1.0, 0.0], [-3.0, 0.5, 1.5]])
// PyTorch: X = torch.tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.3, -0.2, 0.1], [2.5, -1.5, 0.0]]); T = torch.tensor([0, 2, 1, 2])
private let ceX = Tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.3, -0.2, 0.1], [2.5, -1.5, 0.0]])
private let ceT = Tensor([0, 2, 1, 2])
// PyTorch: U4 = torch.tensor([1.0, -2.0, 0.5, 3.0])   (upstream for (4,) unreduced losses)
private let u4 = Tensor([1.0, -2.0, 0.5, 3.0])
// PyTorch: P = torch.tensor([[0.2, 0.7, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4]])
private let ceP = Tensor([[0.2, 0.7, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4]])
// PyTorch: W = torch.tensor([0.5, 2.0, 1.0])
private let ceW = Tensor([0.5, 2.0, 1.0])

extension Core {
@Suite struct LossTests {
    @Test func mseLossValuesAndGradients() {
        // PyTorch: run(F.mse_loss, x0, y0, reduction='mean')
        check(x0, { MSELoss()($0, y0) }, value: [0.42500004172325134],
              grad: [-0.1666666716337204, -0.40000003576278687, 0.1666666716337204, 0.20000001788139343, 0.0, -0.1666666716337204],
              gradFn: "MseLossBackward0")
        // PyTorch: run(F.mse_loss, x0, y0, reduction='sum')
        check(x0, { MSELoss(reduction: .sum)($0, y0) }, value: [2.5500001907348633],
              grad: [-1.0, -2.4000000953674316, 1.0, 1.2000000476837158, 0.0, -1.0], gradFn: "MseLossBackward0")
        // PyTorch: run(F.mse_loss, x0, y0, reduction='none')  with U
        check(x0, { mseLoss($0, y0, reduction: .none) }, value: [0.25, 1.440000057220459, 0.25, 0.36000001430511475, 0.0, 0.25],
              grad: [-1.0, 4.800000190734863, 0.5, 3.6000001430511475, 0.0, 1.5], gradFn: "MseLossBackward0", upstream: u23)
        // The target's gradient is the negative of the input's.
        let x = x0.detach().requiresGrad_(), y = y0.detach().requiresGrad_()
        mseLoss(x, y).backward()
        expectValues(y.grad!, [0.1666666716337204, 0.40000003576278687, -0.1666666716337204, -0.20000001788139343, 0.0, 0.1666666716337204])
    }

    @Test func l1LossValuesAndGradients() {
        // PyTorch: run(F.l1_loss, x0, y0, reduction='mean')
        check(x0, { L1Loss()($0, y0) }, value: [0.550000011920929],
              grad: [-0.1666666716337204, -0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.0, -0.1666666716337204],
              gradFn: "MeanBackward0")
        // PyTorch: run(F.l1_loss, x0, y0, reduction='sum')
        check(x0, { L1Loss(reduction: .sum)($0, y0) }, value: [3.3000001907348633], grad: [-1.0, -1.0, 1.0, 1.0, 0.0, -1.0], gradFn: "SumBackward0")
        // PyTorch: run(F.l1_loss, x0, y0, reduction='none')  with U
        check(x0, { l1Loss($0, y0, reduction: .none) }, value: [0.5, 1.2000000476837158, 0.5, 0.6000000238418579, 0.0, 0.5],
              grad: [-1.0, 2.0, 0.5, 3.0, 0.0, 1.5], gradFn: "AbsBackward0", upstream: u23)
    }

    @Test func bceLossValuesAndGradients() {
        // PyTorch: run(F.binary_cross_entropy, p, t, reduction='mean')
        check(probs, { BCELoss()($0, bt) }, value: [0.3253081440925598],
              grad: [-0.18518519401550293, 0.2083333134651184, -0.3333333432674408, 0.16835016012191772, -0.2222222238779068, 0.069444440305233],
              gradFn: "BinaryCrossEntropyBackward0")
        // PyTorch: run(F.binary_cross_entropy, p, t, reduction='sum')
        check(probs, { BCELoss(reduction: .sum)($0, bt) }, value: [1.9518488645553589],
              grad: [-1.1111111640930176, 1.2499998807907104, -2.0, 1.0101009607315063, -1.3333333730697632, 0.4166666269302368],
              gradFn: "BinaryCrossEntropyBackward0")
        // PyTorch: run(F.binary_cross_entropy, p, t, reduction='none')  with U
        check(probs, { binaryCrossEntropy($0, bt, reduction: .none) },
              value: [0.10536054521799088, 0.2231435626745224, 0.6931471824645996, 0.0100503358989954, 0.28768208622932434, 0.6324651837348938],
              grad: [-1.1111111640930176, -2.499999761581421, -1.0, 3.0303030014038086, -0.3333333432674408, -0.6249999403953552],
              gradFn: "BinaryCrossEntropyBackward0", upstream: u23)
        // PyTorch: run(F.binary_cross_entropy, p, t, weight=torch.tensor([2.0, 0.5, 1.0]))
        check(probs, { BCELoss(weight: Tensor([2.0, 0.5, 1.0]))($0, bt) }, value: [0.30197450518608093],
              grad: [-0.37037038803100586, 0.1041666567325592, -0.3333333432674408, 0.33670032024383545, -0.1111111119389534, 0.069444440305233],
              gradFn: "BinaryCrossEntropyBackward0")
        // Probabilities of exactly 0 and 1: logs clamped at -100, gradient denominators at 1e-12.
        // PyTorch: run(F.binary_cross_entropy, torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.5, 1.0]]), torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.5]]))
        check(Tensor([[0.0, 1.0, 0.0], [1.0, 0.5, 1.0]]), { binaryCrossEntropy($0, Tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.5]])) },
              value: [41.78219223022461], grad: [-166666665984.0, 166666665984.0, 0.0, 0.0, -0.3333333432674408, 83333332992.0],
              gradFn: "BinaryCrossEntropyBackward0")
    }

    @Test func bceWithLogitsValuesAndGradients() {
        // PyTorch: run(F.binary_cross_entropy_with_logits, z, t, reduction='mean')
        check(logits, { BCEWithLogitsLoss()($0, bt) }, value: [0.48456907272338867],
              grad: [-0.01986716128885746, 0.04482357203960419, -0.0833333358168602, 0.007904312573373318, -0.06292343884706497, 0.08626240491867065],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0")
        // PyTorch: run(F.binary_cross_entropy_with_logits, z, t, reduction='sum')
        check(logits, { BCEWithLogitsLoss(reduction: .sum)($0, bt) }, value: [2.907414436340332],
              grad: [-0.11920297145843506, 0.2689414322376251, -0.5, 0.04742587357759476, -0.377540647983551, 0.5175744295120239],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0")
        // PyTorch: run(F.binary_cross_entropy_with_logits, z, t, reduction='none')  with U
        check(logits, { binaryCrossEntropyWithLogits($0, bt, reduction: .none) },
              value: [0.12692801654338837, 0.3132617473602295, 0.6931471824645996, 0.04858732223510742, 0.4740769863128662, 1.2514132261276245],
              grad: [-0.11920297145843506, -0.5378828644752502, -0.25, 0.14227762818336487, -0.09438516199588776, -0.7763616442680359],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0", upstream: u23)
        // PyTorch: run(F.binary_cross_entropy_with_logits, z, t, pos_weight=torch.tensor([3.0, 1.0, 0.5]))
        check(logits, { BCEWithLogitsLoss(posWeight: Tensor([3.0, 1.0, 0.5]))($0, bt) }, value: [0.464080810546875],
              grad: [-0.05960146710276604, 0.04482357203960419, -0.0416666679084301, 0.007904312573373318, -0.06292343884706497, 0.09082303196191788],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0")
        // PyTorch: run(F.binary_cross_entropy_with_logits, z, t, pos_weight=torch.tensor([3.0, 1.0, 0.5]), weight=torch.tensor([2.0, 0.5, 1.0]), reduction='sum')
        check(logits, { BCEWithLogitsLoss(weight: Tensor([2.0, 0.5, 1.0]), reduction: .sum, posWeight: Tensor([3.0, 1.0, 0.5]))($0, bt) },
              value: [2.8201868534088135],
              grad: [-0.7152175903320312, 0.13447071611881256, -0.25, 0.09485174715518951, -0.1887703239917755, 0.5449382066726685],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0")
        // Large logits stay finite (numerically stable).
        // PyTorch: run(F.binary_cross_entropy_with_logits, torch.tensor([[100.0, -100.0, 50.0], [-50.0, 30.0, -30.0]]), torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]))
        check(Tensor([[100.0, -100.0, 50.0], [-50.0, 30.0, -30.0]]),
              { binaryCrossEntropyWithLogits($0, Tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])) },
              value: [43.33333206176758], grad: [0.1666666716337204, -0.1666666716337204, 0.0, 3.214583260771018e-23, 0.1666666716337204, -0.1666666716337204],
              gradFn: "BinaryCrossEntropyWithLogitsBackward0")
        // The same loss as BCE on sigmoid outputs.
        // PyTorch: F.binary_cross_entropy(torch.sigmoid(z), t).item()  -> 0.48456907272338867
        expectValues(BCELoss()(logits.sigmoid(), bt), [0.48456907272338867])
    }

    @Test func crossEntropyWithClassIndices() {
        // PyTorch: run(F.cross_entropy, X, T, reduction='mean')
        let meanGrad = [-0.19219402968883514, 0.15713292360305786, 0.03506109490990639, 0.004286955576390028, 0.011653156019747257, -0.015940114855766296,
                        0.10308166593313217, -0.18747781217098236, 0.0843961238861084, 0.22718997299671173, 0.0041611287742853165, -0.2313511073589325]
        check(ceX, { CrossEntropyLoss()($0, ceT) }, value: [1.3779666423797607], grad: meanGrad, gradFn: "NllLossBackward0")
        // PyTorch: run(F.cross_entropy, X, T, reduction='sum')
        check(ceX, { CrossEntropyLoss(reduction: .sum)($0, ceT) }, value: [5.511866569519043],
              grad: [-0.7687761187553406, 0.6285316944122314, 0.14024437963962555, 0.017147822305560112, 0.04661262407898903, -0.06376045942306519,
                     0.4123266637325287, -0.7499112486839294, 0.3375844955444336, 0.9087598919868469, 0.016644515097141266, -0.92540442943573],
              gradFn: "NllLossBackward0")
        // PyTorch: run(F.cross_entropy, X, T, reduction='none')  with U4
        check(ceX, { crossEntropy($0, ceT, reduction: .none) }, value: [1.4643688201904297, 0.06588391214609146, 1.385939359664917, 2.5956742763519287],
              grad: [-0.7687761187553406, 0.6285316944122314, 0.14024437963962555, -0.034295644611120224, -0.09322524815797806, 0.12752091884613037,
                     0.20616333186626434, -0.3749556243419647, 0.1687922477722168, 2.7262797355651855, 0.0499335452914238, -2.7762134075164795],
              gradFn: "NllLossBackward0", upstream: u4)

        // One-hot float targets give the same loss and gradient as the indices.
        // PyTorch: run(F.cross_entropy, X, F.one_hot(T, 3).float())
        let onehot = oneHot(ceT, numClasses: 3).float()
        #expect(onehot.shape == [4, 3] && onehot.dtype == .float32)
        // (PyTorch's C++ divides by the batch size as a Scalar: F.cross_entropy(X, onehot).grad_fn is DivBackward1)
        check(ceX, { CrossEntropyLoss()($0, onehot) }, value: [1.3779666423797607], grad: meanGrad, gradFn: "DivBackward1")
        #expect(Swift.abs(crossEntropy(ceX, onehot).item() - crossEntropy(ceX, ceT).item()) < 1e-6)
        // PyTorch: F.cross_entropy(X, F.one_hot(T, 3).float(), reduction=r).grad_fn for 'sum', 'none'; and label_smoothing=0.1
        let xg = ceX.detach().requiresGrad_()
        #expect(crossEntropy(xg, onehot, reduction: .sum).gradFn == "NegBackward0")
        #expect(crossEntropy(xg, onehot, reduction: .none).gradFn == "NegBackward0")
        #expect(crossEntropy(xg, onehot, labelSmoothing: 0.1).gradFn == "DivBackward1")

        // A single sample: 1-D logits and a 0-D target.
        // PyTorch: run(F.cross_entropy, torch.tensor([1.0, 2.0, 0.5]), torch.tensor(1))
        check(Tensor([1.0, 2.0, 0.5]), { crossEntropy($0, Tensor(1)) }, value: [0.4643687903881073],
              grad: [0.23122388124465942, -0.37146830558776855, 0.14024437963962555], gradFn: "NllLossBackward0")

        // K-dimensional: (N, C, d) logits with (N, d) targets.
        // PyTorch: X3 = torch.tensor([[[1.0, -1.0], [0.5, 2.0], [0.0, 0.3]], [[-0.5, 1.5], [2.0, 0.0], [1.0, 1.0]]]); T3 = torch.tensor([[0, 1], [2, 0]])
        //          run(F.cross_entropy, X3, T3)
        check(Tensor([[[1.0, -1.0], [0.5, 2.0], [0.0, 0.3]], [[-0.5, 1.5], [2.0, 0.0], [1.0, 1.0]]]), { crossEntropy($0, Tensor([[0, 1], [2, 0]])) },
              value: [0.7162400484085083],
              grad: [-0.1233799010515213, 0.010099039413034916, 0.07679896801710129, -0.04715539515018463, 0.046580929309129715, 0.03705636411905289,
                     0.014152931980788708, -0.11336265504360199, 0.172418013215065, 0.0304879080504179, -0.18657095730304718, 0.08287473767995834],
              gradFn: nil)
    }

    @Test func crossEntropyWithProbabilities() {
        // PyTorch: run(F.cross_entropy, X, P)
        check(ceX, { CrossEntropyLoss()($0, ceP) }, value: [1.3904666900634766],
              grad: [0.007805969566106796, -0.0178670734167099, 0.010061094537377357, 0.004286955576390028, -0.11334684491157532, 0.1090598851442337,
                     -0.14691832661628723, 0.06252218782901764, 0.0843961238861084, 0.1521899700164795, -0.07083887606859207, -0.08135110884904861],
              gradFn: nil)
        // PyTorch: run(F.cross_entropy, X, P, reduction='none')  with U4
        check(ceX, { crossEntropy($0, ceP, reduction: .none) }, value: [0.8143688440322876, 1.5658838748931885, 0.885939359664917, 2.2956743240356445],
              grad: [0.031223878264427185, -0.0714682936668396, 0.04024437814950943, -0.034295644611120224, 0.9067747592926025, -0.8724790811538696,
                     -0.29383665323257446, 0.12504437565803528, 0.1687922477722168, 1.826279640197754, -0.8500664830207825, -0.9762133359909058],
              gradFn: nil, upstream: u4)
        // PyTorch: run(F.cross_entropy, X, P, weight=W)
        check(ceX, { CrossEntropyLoss(weight: ceW)($0, ceP) }, value: [2.011202812194824],
              grad: [0.06748955696821213, -0.09858731180429459, 0.03109775297343731, 0.006430433131754398, -0.23252026736736298, 0.22608983516693115,
                     -0.07345916330814362, 0.03126109391450882, 0.0421980619430542, 0.2237684577703476, -0.14521470665931702, -0.07855378091335297],
              gradFn: nil)
        // PyTorch: run(F.cross_entropy, X, P, label_smoothing=0.1)
        check(ceX, { CrossEntropyLoss(labelSmoothing: 0.1)($0, ceP) }, value: [1.4283831119537354],
              grad: [0.004472639411687851, -0.0087004154920578, 0.0042277611792087555, -0.004046378191560507, -0.10918017476797104, 0.11322655528783798,
                     -0.1302516758441925, 0.05418885499238968, 0.07606279104948044, 0.15135663747787476, -0.07167220860719681, -0.07968443632125854],
              gradFn: nil)
    }

    @Test func crossEntropyWeightIgnoreIndexAndLabelSmoothing() {
        // PyTorch: run(F.cross_entropy, X, T, weight=W)
        check(ceX, { CrossEntropyLoss(weight: ceW)($0, ceT) }, value: [1.3701380491256714],
              grad: [-0.08541957288980484, 0.06983685493469238, 0.015582708641886711, 0.0038106271531432867, 0.010358360596001148, -0.014168990775942802,
                     0.18325629830360413, -0.3332938849925995, 0.15003755688667297, 0.20194664597511292, 0.003698781132698059, -0.20564542710781097],
              gradFn: "NllLossBackward0")
        // PyTorch: run(F.cross_entropy, X, T, weight=W, reduction='sum')
        check(ceX, { CrossEntropyLoss(weight: ceW, reduction: .sum)($0, ceT) }, value: [6.165621280670166],
              grad: [-0.3843880593776703, 0.3142658472061157, 0.07012218981981277, 0.017147822305560112, 0.04661262407898903, -0.06376045942306519,
                     0.8246533274650574, -1.4998224973678589, 0.6751689910888672, 0.9087598919868469, 0.016644515097141266, -0.92540442943573],
              gradFn: "NllLossBackward0")
        // PyTorch: run(F.cross_entropy, X, T, ignore_index=2)
        check(ceX, { CrossEntropyLoss(ignoreIndex: 2)($0, ceT) }, value: [1.4251540899276733],
              grad: [-0.3843880593776703, 0.3142658472061157, 0.07012218981981277, 0.0, 0.0, 0.0,
                     0.20616333186626434, -0.3749556243419647, 0.1687922477722168, 0.0, 0.0, 0.0],
              gradFn: "NllLossBackward0")
        // PyTorch: run(F.cross_entropy, X, T, ignore_index=2, reduction='none')  with U4
        check(ceX, { crossEntropy($0, ceT, ignoreIndex: 2, reduction: .none) }, value: [1.4643688201904297, 0.0, 1.385939359664917, 0.0],
              grad: [-0.7687761187553406, 0.6285316944122314, 0.14024437963962555, 0.0, 0.0, 0.0,
                     0.20616333186626434, -0.3749556243419647, 0.1687922477722168, 0.0, 0.0, 0.0],
              gradFn: "NllLossBackward0", upstream: u4)
        // PyTorch: run(F.cross_entropy, X, T, label_smoothing=0.1)
        check(ceX, { CrossEntropyLoss(labelSmoothing: 0.1)($0, ceT) }, value: [1.4171333312988281],
              grad: [-0.17552736401557922, 0.1487995833158493, 0.026727762073278427, -0.004046378191560507, 0.0033198222517967224, 0.000726550817489624,
                     0.09474833309650421, -0.17081114649772644, 0.07606279104948044, 0.21885663270950317, -0.004172204993665218, -0.21468444168567657],
              gradFn: "AddBackward0")
        // PyTorch: run(F.cross_entropy, X, T, label_smoothing=0.1, reduction='sum')
        check(ceX, { CrossEntropyLoss(reduction: .sum, labelSmoothing: 0.1)($0, ceT) }, value: [5.6685333251953125],
              grad: [-0.7021094560623169, 0.5951983332633972, 0.10691104829311371, -0.016185512766242027, 0.01327928900718689, 0.002906203269958496,
                     0.37899333238601685, -0.6832445859909058, 0.30425116419792175, 0.8754265308380127, -0.016688819974660873, -0.8587377667427063],
              gradFn: "AddBackward0")
        // PyTorch: run(F.cross_entropy, X, T, label_smoothing=0.1, reduction='none')  with U4
        check(ceX, { crossEntropy($0, ceT, reduction: .none, labelSmoothing: 0.1) },
              value: [1.447702169418335, 0.2992172837257385, 1.3592727184295654, 2.5623409748077393],
              grad: [-0.7021094560623169, 0.5951983332633972, 0.10691104829311371, 0.032371025532484055, -0.02655857801437378, -0.005812406539916992,
                     0.18949666619300842, -0.3416222929954529, 0.15212558209896088, 2.626279354095459, -0.05006646737456322, -2.5762131214141846],
              gradFn: "AddBackward0", upstream: u4)
        // All three together.
        // PyTorch: run(F.cross_entropy, X, T, weight=W, ignore_index=1, label_smoothing=0.2)
        check(ceX, { CrossEntropyLoss(weight: ceW, ignoreIndex: 1, labelSmoothing: 0.2)($0, ceT) }, value: [1.6910841464996338],
              grad: [-0.11475661396980286, 0.10589469224214554, 0.008861908689141273, -0.006245566997677088, -0.034066785126924515, 0.04031233862042427,
                     0.0, 0.0, 0.0, 0.36228740215301514, -0.046453602612018585, -0.31583383679389954],
              gradFn: "AddBackward0")
    }

    @Test func crossEntropyNodeNamesFollowTheInputRank() {
        // PyTorch: [F.cross_entropy(torch.randn(*shp, requires_grad=True), t, reduction=r).grad_fn.name()
        //           for r in ['none', 'mean', 'sum']]  for shp (2,3), (2,3,4), (2,3,4,5), (2,3,4,5,6)
        let expected: [[Int]: [String]] = [
            [2, 3]: ["NllLossBackward0", "NllLossBackward0", "NllLossBackward0"],
            [2, 3, 4]: ["ViewBackward0", "NllLoss2DBackward0", "NllLoss2DBackward0"],
            [2, 3, 4, 5]: ["NllLoss2DBackward0", "NllLoss2DBackward0", "NllLoss2DBackward0"],
            [2, 3, 4, 5, 6]: ["ViewBackward0", "NllLoss2DBackward0", "NllLoss2DBackward0"]]
        for (shape, names) in expected {
            let x = Tensor.randn(shape).requiresGrad_()
            let t = Tensor.zeros([shape[0]] + shape.dropFirst(2), dtype: .int64)
            let got = [Reduction.none, .mean, .sum].map { crossEntropy(x, t, reduction: $0).gradFn ?? "" }
            #expect(got == names, "\(shape)")
            #expect(nllLoss(x.logSoftmax(dim: 1), t).gradFn == names[1])
        }
    }

    @Test func regressionLossesBroadcastMismatchedShapesLikePyTorch() {
        // PyTorch (warns "Using a target size (torch.Size([3])) that is different to the input size
        // (torch.Size([3, 1]))...", then broadcasts to 3 x 3):
        //   x = torch.tensor([[1.0], [2.0], [3.0]]); y = torch.tensor([1.0, 2.5, 2.0])
        //   F.mse_loss(x, y), F.l1_loss(x, y), F.huber_loss(x, y), F.smooth_l1_loss(x, y)
        let x = Tensor([[1.0], [2.0], [3.0]], requiresGrad: true), y = Tensor([1.0, 2.5, 2.0])
        expectValues(mseLoss(x, y), [1.0833333730697632])
        expectValues(l1Loss(x, y), [0.8333333134651184])
        expectValues(huberLoss(x, y), [0.4722222089767456])
        expectValues(smoothL1Loss(x, y), [0.4722222089767456])
        // PyTorch: F.mse_loss(x, y).backward(); x.grad; F.mse_loss(x, y).grad_fn.name()
        let l = mseLoss(x, y)
        #expect(l.gradFn == "MseLossBackward0")
        l.backward()
        expectValues(x.grad!, [-0.5555555820465088, 0.1111111119389534, 0.7777777910232544])
    }

    @Test func nllLossValuesAndGradients() {
        // PyTorch: LP = F.log_softmax(X, dim=1).detach()
        let lp = noGrad { ceX.logSoftmax(dim: 1) }
        // PyTorch: run(F.nll_loss, LP, T)
        check(lp, { NLLLoss()($0, ceT) }, value: [1.3779666423797607],
              grad: [-0.25, 0.0, 0.0, 0.0, 0.0, -0.25, 0.0, -0.25, 0.0, 0.0, 0.0, -0.25], gradFn: "NllLossBackward0")
        // PyTorch: run(F.nll_loss, LP, T, weight=W, ignore_index=0)
        check(lp, { NLLLoss(weight: ceW, ignoreIndex: 0)($0, ceT) }, value: [1.3583592176437378],
              grad: [0.0, 0.0, 0.0, 0.0, 0.0, -0.25, 0.0, -0.5, 0.0, 0.0, 0.0, -0.25], gradFn: "NllLossBackward0")
        // PyTorch: run(F.nll_loss, LP, T, reduction='sum')
        check(lp, { NLLLoss(reduction: .sum)($0, ceT) }, value: [5.511866569519043],
              grad: [-1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0], gradFn: "NllLossBackward0")
        // PyTorch: run(F.nll_loss, LP, T, reduction='none')  with U4
        check(lp, { nllLoss($0, ceT, reduction: .none) }, value: [1.4643688201904297, 0.06588391214609146, 1.385939359664917, 2.5956742763519287],
              grad: [-1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, -0.5, 0.0, 0.0, 0.0, -3.0], gradFn: "NllLossBackward0", upstream: u4)
        // LogSoftmax + NLLLoss is CrossEntropyLoss.
        #expect(Swift.abs(NLLLoss()(LogSoftmax(dim: 1)(ceX), ceT).item() - CrossEntropyLoss()(ceX, ceT).item()) < 1e-6)
    }

    @Test func huberAndSmoothL1() {
        // PyTorch: run(F.huber_loss, x0, y0, delta=0.5)
        check(x0, { HuberLoss(delta: 0.5)($0, y0) }, value: [0.17083334922790527],
              grad: [-0.0833333358168602, -0.0833333358168602, 0.0833333358168602, 0.0833333358168602, 0.0, -0.0833333358168602],
              gradFn: "HuberLossBackward0")
        // PyTorch: run(F.huber_loss, x0, y0, delta=0.5, reduction='sum')
        check(x0, { HuberLoss(reduction: .sum, delta: 0.5)($0, y0) }, value: [1.0250000953674316],
              grad: [-0.5, -0.5, 0.5, 0.5, 0.0, -0.5], gradFn: "HuberLossBackward0")
        // PyTorch: run(F.huber_loss, x0, y0, delta=0.5, reduction='none')  with U
        check(x0, { huberLoss($0, y0, delta: 0.5, reduction: .none) }, value: [0.125, 0.4750000238418579, 0.125, 0.17500001192092896, 0.0, 0.125],
              grad: [-0.5, 1.0, 0.25, 1.5, 0.0, 0.75], gradFn: "HuberLossBackward0", upstream: u23)
        // PyTorch: run(F.smooth_l1_loss, x0, y0, beta=0.5)
        check(x0, { SmoothL1Loss(beta: 0.5)($0, y0) }, value: [0.34166669845581055],
              grad: [-0.1666666716337204, -0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.0, -0.1666666716337204],
              gradFn: "SmoothL1LossBackward0")
        // PyTorch: run(F.smooth_l1_loss, x0, y0, beta=0.5, reduction='sum')
        check(x0, { SmoothL1Loss(reduction: .sum, beta: 0.5)($0, y0) }, value: [2.0500001907348633],
              grad: [-1.0, -1.0, 1.0, 1.0, 0.0, -1.0], gradFn: "SmoothL1LossBackward0")
        // PyTorch: run(F.smooth_l1_loss, x0, y0, beta=0.5, reduction='none')  with U
        check(x0, { smoothL1Loss($0, y0, beta: 0.5, reduction: .none) }, value: [0.25, 0.9500000476837158, 0.25, 0.3500000238418579, 0.0, 0.25],
              grad: [-1.0, 2.0, 0.5, 3.0, 0.0, 1.5], gradFn: "SmoothL1LossBackward0", upstream: u23)
        // Defaults (delta = beta = 1) on inputs with both small and large differences: equal losses.
        let x3 = x0 * 3
        // PyTorch: run(F.huber_loss, x0 * 3, y0); run(F.smooth_l1_loss, x0 * 3, y0)
        let defaultGrad = [0.0833333358168602, -0.1666666716337204, 0.1666666716337204, 0.13333334028720856, 0.1666666716337204, -0.1666666716337204]
        check(x3, { HuberLoss()($0, y0) }, value: [1.5075000524520874], grad: defaultGrad, gradFn: "HuberLossBackward0")
        check(x3, { SmoothL1Loss()($0, y0) }, value: [1.5075000524520874], grad: defaultGrad, gradFn: "SmoothL1LossBackward0")
        // PyTorch: run(F.smooth_l1_loss, x0 * 3, y0, beta=2.0)
        check(x3, { smoothL1Loss($0, y0, beta: 2) }, value: [1.1858333349227905],
              grad: [0.0416666679084301, -0.1666666716337204, 0.1666666716337204, 0.06666667014360428, 0.11666665971279144, -0.09166666865348816],
              gradFn: "SmoothL1LossBackward0")
    }

    @Test func klDivValuesAndGradients() {
        // PyTorch: inp = F.log_softmax(torch.tensor([[0.2, 1.0, -0.5], [1.5, 0.0, 0.3]]), dim=1).detach()
        //          tgt = torch.tensor([[0.1, 0.6, 0.3], [0.0, 0.5, 0.5]])
        let inp = noGrad { Tensor([[0.2, 1.0, -0.5], [1.5, 0.0, 0.3]]).logSoftmax(dim: 1) }
        let tgt = Tensor([[0.1, 0.6, 0.3], [0.0, 0.5, 0.5]])
        // PyTorch: run(F.kl_div, inp, tgt, reduction='batchmean')
        check(inp, { KLDivLoss(reduction: .batchMean)($0, tgt) }, value: [0.6123768091201782],
              grad: [-0.05000000074505806, -0.30000001192092896, -0.15000000596046448, -0.0, -0.25, -0.25], gradFn: "DivBackward0")
        // PyTorch: run(F.kl_div, inp, tgt, reduction='sum')
        check(inp, { KLDivLoss(reduction: .sum)($0, tgt) }, value: [1.2247536182403564],
              grad: [-0.10000000149011612, -0.6000000238418579, -0.30000001192092896, -0.0, -0.5, -0.5], gradFn: "SumBackward0")
        // PyTorch: run(F.kl_div, inp, tgt, reduction='mean')
        check(inp, { KLDivLoss()($0, tgt) }, value: [0.20412559807300568],
              grad: [-0.01666666753590107, -0.10000000894069672, -0.05000000447034836, -0.0, -0.0833333358168602, -0.0833333358168602],
              gradFn: "MeanBackward0")
        // PyTorch: run(F.kl_div, inp, tgt, reduction='none')  with U   (a zero target contributes 0)
        check(inp, { klDiv($0, tgt, reduction: .none) },
              value: [-0.0988290011882782, 0.0020816922187805176, 0.2430967092514038, 0.0, 0.614202082157135, 0.4642021059989929],
              grad: [-0.10000000149011612, 1.2000000476837158, -0.15000000596046448, -0.0, -0.125, 0.75], gradFn: nil, upstream: u23)
        // PyTorch: run(F.kl_div, inp, torch.log(torch.tensor([[0.1, 0.6, 0.3], [0.2, 0.5, 0.3]])), reduction='batchmean', log_target=True)
        let logT = Tensor([[0.1, 0.6, 0.3], [0.2, 0.5, 0.3]]).log()
        check(inp, { KLDivLoss(reduction: .batchMean, logTarget: true)($0, logT) }, value: [0.3241238594055176],
              grad: [-0.04999999701976776, -0.30000001192092896, -0.14999999105930328, -0.09999999403953552, -0.25, -0.14999999105930328],
              gradFn: "DivBackward0")
    }
}
}
