import Testing
import Descent

// Adadelta, Adamax, ASGD, Rprop, NAdam, RAdam and SparseAdam (adaptive step sizes, running averages):
// trajectories on a fixed small problem against PyTorch 2.13 (CPU, single-tensor code path).
// Descent's generator equals PyTorch's, so `manualSeed(0); Linear(3, 2)` starts from the same weights.
// PyTorch:
//   import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as O
//   X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
//   Y = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])
//   XS = X.clone(); XS[:, 1] = 0   # column 1 zero: weight[:, 1] gets an exactly zero gradient
//   def traj(make, steps=10, x=X, sparse=False, alternate=False):
//       torch.manual_seed(0); m = nn.Linear(3, 2); opt = make(m.parameters()); losses = []
//       for i in range(steps):
//           loss = F.mse_loss(m(XS if alternate and i % 2 == 0 else x), Y); losses.append(loss.item()); loss.backward()
//           if sparse:
//               for p in m.parameters(): p.grad = p.grad.to_sparse()
//           opt.step(); opt.zero_grad()
//       return m.weight, m.bias, losses
// Values agree to float32 rounding: the kernels repeat PyTorch's roundings and fused multiply-adds
// element by element; what remains is PyTorch's float32 sqrt (MKL VML here), which is off by one ulp
// for about 0.7% of inputs, hence the tolerances (2e-6 relative).

private let X = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
private let Y = Tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])
private let XS = Tensor([[0.5, 0.0, 2.0], [1.5, 0.0, -0.75], [-0.3, 0.0, 0.1], [1.0, 0.0, -1.0]])
private let rtol = 2e-6, atol = 1e-7

/// One optimizer configuration and PyTorch's parameters and losses after 10 steps of `traj`.
private struct Case {
    let name: String
    let make: ([Parameter]) -> Optimizer
    let alternate: Bool
    let weight: [Double], bias: [Double], losses: [Double]
    init(_ name: String, _ make: @escaping ([Parameter]) -> Optimizer, alternate: Bool = false,
         weight: [Double], bias: [Double], losses: [Double]) {
        self.name = name; self.make = make; self.alternate = alternate; self.weight = weight; self.bias = bias; self.losses = losses
    }
}

/// `traj` in Swift: `steps` steps of `opt` on `m`; with `alternate`, the even steps (0, 2, ...) use XS.
/// Descent has no sparse gradients: SparseAdam takes the dense gradient and skips its zero entries.
@discardableResult
private func train(_ m: Linear, _ opt: Optimizer, steps: Int, from start: Int = 0, alternate: Bool = false) -> [Double] {
    var losses: [Double] = []
    for i in start..<(start + steps) {
        let loss = mseLoss(m(alternate && i % 2 == 0 ? XS : X), Y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zeroGrad()
    }
    return losses
}

private let cases: [Case] = [
        // PyTorch: traj(lambda p: O.Adadelta(p))
        Case("adadelta", { Adadelta($0) },
             weight: [0.027703654021024704, 0.27639466524124146, -0.44198641180992126, -0.391956627368927, -0.18959365785121918, 0.12161916494369507],
             bias: [0.020408552139997482, 0.4882041811943054],
             losses: [1.9072803258895874, 1.8889780044555664, 1.8704084157943726, 1.8517526388168335, 1.83310067653656, 1.8145041465759277, 1.795997977256775, 1.777605414390564, 1.7593421936035156, 1.7412208318710327]),
        // PyTorch: traj(lambda p: O.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1))
        Case("adadelta_opts", { Adadelta($0, lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1) },
             weight: [0.03376554697751999, 0.26972490549087524, -0.43533071875572205, -0.38536491990089417, -0.1830882728099823, 0.11497695744037628],
             bias: [0.02645494043827057, 0.4921121299266815],
             losses: [1.9072803258895874, 1.8868279457092285, 1.865540862083435, 1.8438010215759277, 1.8217984437942505, 1.7996457815170288, 1.7774169445037842, 1.7551648616790771, 1.7329267263412476, 1.710731863975525]),
        // PyTorch: traj(lambda p: O.Adadelta(p, lr=0.3, maximize=True))
        Case("adadelta_max", { Adadelta($0, lr: 0.3, maximize: true) },
             weight: [-0.014603796415030956, 0.319879412651062, -0.48536017537117004, -0.43509456515312195, -0.2325822114944458, 0.16499564051628113],
             bias: [-0.02173496223986149, 0.4473615288734436],
             losses: [1.9072803258895874, 1.9127980470657349, 1.9184777736663818, 1.9242782592773438, 1.9301787614822388, 1.9361681938171387, 1.9422390460968018, 1.948386311531067, 1.954606056213379, 1.9608962535858154]),
        // PyTorch: traj(lambda p: O.Adamax(p, lr=0.05))
        Case("adamax", { Adamax($0, lr: 0.05) },
             weight: [0.27058613300323486, -0.11367635428905487, -0.06911081820726395, -0.043685972690582275, 0.1253998875617981, -0.2542034685611725],
             bias: [0.22893282771110535, 0.5280208587646484],
             losses: [1.9072803258895874, 1.633974313735962, 1.4066202640533447, 1.216734528541565, 1.0574239492416382, 0.9231550693511963, 0.809529185295105, 0.7130762934684753, 0.6310665011405945, 0.5613455176353455]),
        // PyTorch: traj(lambda p: O.Adamax(p))
        Case("adamax_default", { Adamax($0) },
             weight: [0.015256345272064209, 0.2897525429725647, -0.45525869727134705, -0.4050480127334595, -0.20256809890270233, 0.13489383459091187],
             bias: [0.008090820163488388, 0.4769116938114166],
             losses: [1.9072803258895874, 1.895688772201538, 1.8841687440872192, 1.8727216720581055, 1.8613471984863281, 1.8500458002090454, 1.8388184309005737, 1.8276652097702026, 1.8165861368179321, 1.8055814504623413]),
        // PyTorch: traj(lambda p: O.Adamax(p, lr=0.05, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.1))
        Case("adamax_opts", { Adamax($0, lr: 0.05, betas: (0.3, 0.9), eps: 1e-6, weightDecay: 0.1) },
             weight: [0.2856474220752716, -0.1811240315437317, 0.003998748958110809, 0.08539646863937378, 0.13343897461891174, -0.33117255568504333],
             bias: [0.15638643503189087, 0.2684575319290161],
             losses: [1.9072803258895874, 1.6339746713638306, 1.3941683769226074, 1.184011459350586, 0.9990676641464233, 0.8375019431114197, 0.6989321112632751, 0.5827990770339966, 0.4881376028060913, 0.4127095937728882]),
        // PyTorch: traj(lambda p: O.Adamax(p, lr=0.01, maximize=True))
        Case("adamax_max", { Adamax($0, lr: 0.01, maximize: true) },
             weight: [-0.09740486741065979, 0.40753456950187683, -0.5724588632583618, -0.5211016535758972, -0.31791865825653076, 0.2521170675754547],
             bias: [-0.10395833849906921, 0.36876896023750305],
             losses: [1.9072803258895874, 1.9660636186599731, 2.025548219680786, 2.0857536792755127, 2.1466989517211914, 2.208402633666992, 2.270883083343506, 2.334158420562744, 2.398245096206665, 2.4631614685058594]),
        // PyTorch: traj(lambda p: O.ASGD(p, lr=0.1))
        Case("asgd", { ASGD($0, lr: 0.1) },
             weight: [0.21139198541641235, -0.12722785770893097, 0.10300473123788834, 0.03069904074072838, -0.0359359048306942, -0.5597933530807495],
             bias: [0.14086364209651947, 0.4560989439487457],
             losses: [1.9072803258895874, 1.3769420385360718, 1.0263851881027222, 0.7922156453132629, 0.6337738037109375, 0.5248991250991821, 0.4486997127532959, 0.3942229151725769, 0.35433390736579895, 0.324360191822052]),
        // PyTorch: traj(lambda p: O.ASGD(p))
        Case("asgd_default", { ASGD($0) },
             weight: [0.018587855622172356, 0.23148566484451294, -0.3606315851211548, -0.3457888662815094, -0.16326166689395905, 0.01681683212518692],
             bias: [0.014620332978665829, 0.47420647740364075],
             losses: [1.9072803258895874, 1.84927237033844, 1.7934317588806152, 1.7396745681762695, 1.6879193782806396, 1.6380887031555176, 1.5901076793670654, 1.543904185295105, 1.4994096755981445, 1.4565577507019043]),
        // PyTorch: traj(lambda p: O.ASGD(p, lr=0.1, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1))
        Case("asgd_opts", { ASGD($0, lr: 0.1, lambd: 0.01, alpha: 0.5, t0: 3, weightDecay: 0.1) },
             weight: [0.20506443083286285, -0.125019833445549, 0.10406406223773956, 0.05110880360007286, -0.02257380820810795, -0.5312567949295044],
             bias: [0.13541464507579803, 0.4156320095062256],
             losses: [1.9072803258895874, 1.3633062839508057, 1.010259747505188, 0.7780994772911072, 0.6230136752128601, 0.5174751281738281, 0.44410020112991333, 0.39184603095054626, 0.35365030169487, 0.32496047019958496]),
        // PyTorch: traj(lambda p: O.ASGD(p, lr=0.01, t0=0, maximize=True))
        Case("asgd_max", { ASGD($0, lr: 0.01, t0: 0, maximize: true) },
             weight: [-0.026267074048519135, 0.4008331000804901, -0.6109171509742737, -0.5169659852981567, -0.2977496087551117, 0.31841957569122314],
             bias: [-0.040323615074157715, 0.4339519739151001],
             losses: [1.9072803258895874, 1.96639084815979, 2.0277552604675293, 2.091463088989258, 2.1576085090637207, 2.226287364959717, 2.297600746154785, 2.3716537952423096, 2.4485561847686768, 2.5284206867218018]),
        // PyTorch: traj(lambda p: O.Rprop(p))
        Case("rprop", { Rprop($0) },
             weight: [0.20366652309894562, 0.05012896656990051, -0.2155984789133072, -0.16530773043632507, 0.037217892706394196, -0.10476614534854889],
             bias: [0.1965499073266983, 0.5540881156921387],
             losses: [1.9072803258895874, 1.849871039390564, 1.7827939987182617, 1.704912781715393, 1.6152161359786987, 1.5129958391189575, 1.3981298208236694, 1.271520733833313, 1.1325910091400146, 0.9830979704856873]),
        // PyTorch: traj(lambda p: O.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)))
        Case("rprop_opts", { Rprop($0, lr: 0.05, etas: (0.3, 1.5), stepSizes: (1e-3, 0.2)) },
             weight: [0.47322434186935425, -0.4545341730117798, 0.00806467980146408, 0.33935546875, -0.22744712233543396, -0.6094292998313904],
             bias: [0.1523171216249466, 0.11519679427146912],
             losses: [1.9072803258895874, 1.633974313735962, 1.2884212732315063, 0.8942753076553345, 0.5098201036453247, 0.3206523060798645, 0.29722198843955994, 0.2364177405834198, 0.20372867584228516, 0.20019061863422394]),
        // PyTorch: traj(lambda p: O.Rprop(p, lr=0.02, maximize=True))
        Case("rprop_max", { Rprop($0, lr: 0.02, maximize: true) },
             weight: [-0.5234962701797485, 0.8288896083831787, -0.9943591356277466, -0.944068431854248, -0.7415426969528198, 0.6739944219589233],
             bias: [-0.5306128859519958, -0.06139881908893585],
             losses: [1.9072803258895874, 2.0262210369110107, 2.176203966140747, 2.366630792617798, 2.6101863384246826, 2.9241156578063965, 3.332024335861206, 3.8664345741271973, 4.572410583496094, 5.512725830078125]),
        // PyTorch: traj(lambda p: O.NAdam(p, lr=0.05))
        Case("nadam", { NAdam($0, lr: 0.05) },
             weight: [0.24898479878902435, -0.052502408623695374, -0.12256546318531036, -0.07576917111873627, 0.09110449254512787, -0.19940291345119476],
             bias: [0.18621249496936798, 0.4436893165111542],
             losses: [1.9072803258895874, 1.6195698976516724, 1.440552830696106, 1.2931101322174072, 1.1619476079940796, 1.0422604084014893, 0.9323595762252808, 0.831743597984314, 0.740341067314148, 0.6581520438194275]),
        // PyTorch: traj(lambda p: O.NAdam(p))
        Case("nadam_default", { NAdam($0) },
             weight: [0.01162022165954113, 0.2936103343963623, -0.45909497141838074, -0.40883755683898926, -0.20633117854595184, 0.1387302279472351],
             bias: [0.004482285585254431, 0.473519891500473],
             losses: [1.9072803258895874, 1.8950361013412476, 1.8860124349594116, 1.8776226043701172, 1.8692846298217773, 1.860815167427063, 1.8521596193313599, 1.843310832977295, 1.83428156375885, 1.8250908851623535]),
        // PyTorch: traj(lambda p: O.NAdam(p, lr=0.05, weight_decay=0.1))
        Case("nadam_wd", { NAdam($0, lr: 0.05, weightDecay: 0.1) },
             weight: [0.23519361019134521, -0.04961211234331131, -0.12333176285028458, -0.06971171498298645, 0.09297293424606323, -0.19678638875484467],
             bias: [0.1764269471168518, 0.3757086992263794],
             losses: [1.9072803258895874, 1.6195698976516724, 1.4412211179733276, 1.2939006090164185, 1.1621932983398438, 1.0415846109390259, 0.9307823777198792, 0.8295339345932007, 0.7378511428833008, 0.6557229161262512]),
        // PyTorch: traj(lambda p: O.NAdam(p, lr=0.05, betas=(0.3, 0.9), weight_decay=0.1, momentum_decay=0.01, decoupled_weight_decay=True))
        Case("nadam_decoupled", { NAdam($0, lr: 0.05, betas: (0.3, 0.9), weightDecay: 0.1, momentumDecay: 0.01, decoupledWeightDecay: true) },
             weight: [0.28605449199676514, -0.11688723415136337, -0.056134916841983795, 0.005620219744741917, 0.11998585611581802, -0.25515541434288025],
             bias: [0.1561564952135086, 0.3470759093761444],
             losses: [1.9072803258895874, 1.5996735095977783, 1.3706613779067993, 1.1808052062988281, 1.0202345848083496, 0.8833680748939514, 0.7667582631111145, 0.6678573489189148, 0.5844428539276123, 0.5144692063331604]),
        // PyTorch: traj(lambda p: O.NAdam(p, lr=0.01, maximize=True))
        Case("nadam_max", { NAdam($0, lr: 0.01, maximize: true) },
             weight: [-0.0898643508553505, 0.3917412757873535, -0.5575720071792603, -0.5080870985984802, -0.3059339225292206, 0.23721781373023987],
             bias: [-0.09731564670801163, 0.36921364068984985],
             losses: [1.9072803258895874, 1.9694230556488037, 2.0170328617095947, 2.0625789165496826, 2.109067678451538, 2.1575629711151123, 2.2084882259368896, 2.262014150619507, 2.318204164505005, 2.3770740032196045]),
        // PyTorch: traj(lambda p: O.RAdam(p, lr=0.05))
        Case("radam", { RAdam($0, lr: 0.05) },
             weight: [0.0627819150686264, 0.10861978679895401, -0.18561680614948273, -0.2216346561908722, -0.07072709500789642, -0.19219473004341125],
             bias: [0.06212492287158966, 0.5029661059379578],
             losses: [1.9072803258895874, 1.628300666809082, 1.3886758089065552, 1.1843116283416748, 1.01133394241333, 0.8660976886749268, 0.8619656562805176, 0.8568117618560791, 0.8508011698722839, 0.8440493941307068]),
        // PyTorch: traj(lambda p: O.RAdam(p))
        Case("radam_default", { RAdam($0) },
             weight: [-0.003005392150953412, 0.3053159713745117, -0.46877729892730713, -0.4204503893852234, -0.21884958446025848, 0.14713998138904572],
             bias: [-0.009877371601760387, 0.4589548408985138],
             losses: [1.9072803258895874, 1.9014301300048828, 1.8955963850021362, 1.889779806137085, 1.883980631828308, 1.878198266029358, 1.8780499696731567, 1.877861499786377, 1.8776389360427856, 1.8773850202560425]),
        // PyTorch: traj(lambda p: O.RAdam(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1))
        Case("radam_opts", { RAdam($0, lr: 0.05, betas: (0.8, 0.9), eps: 1e-6, weightDecay: 0.1) },
             weight: [0.14711469411849976, 0.024263635277748108, -0.1005377322435379, -0.1337449848651886, 0.0030107256025075912, -0.26884275674819946],
             bias: [0.13979151844978333, 0.47995778918266296],
             losses: [1.9072803258895874, 1.6214241981506348, 1.3778222799301147, 1.1720633506774902, 0.9998151063919067, 0.8568971157073975, 0.8173448443412781, 0.7694532871246338, 0.7166840434074402, 0.661634087562561]),
        // PyTorch: traj(lambda p: O.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True))
        Case("radam_decoupled", { RAdam($0, lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true) },
             weight: [-0.06644836813211441, 0.5265069007873535, -0.7931662797927856, -0.6389518976211548, -0.406762957572937, 0.5572600364685059],
             bias: [-0.09095873683691025, 0.36628562211990356],
             losses: [1.9072803258895874, 2.2056963443756104, 2.5457115173339844, 2.932344436645508, 3.371251106262207, 3.868812084197998, 3.8574230670928955, 3.849241256713867, 3.843846559524536, 3.840947151184082]),
        // PyTorch: traj(lambda p: O.SparseAdam(p, lr=0.05), sparse=True, alternate=True)
        Case("sparse_adam", { SparseAdam($0, lr: 0.05) }, alternate: true,
             weight: [0.30286815762519836, 0.10843852162361145, 0.008101984858512878, 0.04382108151912689, -0.03115369752049446, -0.32838326692581177],
             bias: [0.23861171305179596, 0.48048341274261475],
             losses: [1.5466539859771729, 1.703964352607727, 1.2017388343811035, 1.32151460647583, 0.9444565773010254, 1.025746464729309, 0.7447771430015564, 0.7861893773078918, 0.5815294981002808, 0.5891942977905273]),
        // PyTorch: traj(lambda p: O.SparseAdam(p, lr=0.05, betas=(0.3, 0.7), eps=1e-6, maximize=True), sparse=True, alternate=True)
        Case("sparse_adam_opts", { SparseAdam($0, lr: 0.05, betas: (0.3, 0.7), eps: 1e-6, maximize: true) }, alternate: true,
             weight: [-0.5518131852149963, 0.589499831199646, -0.9966742396354675, -0.9586508870124817, -0.5104864239692688, 0.6775266528129578],
             bias: [-0.559081494808197, -0.10415603220462799],
             losses: [1.5466539859771729, 2.133798837661743, 1.9918203353881836, 2.762026786804199, 2.554852247238159, 3.549229145050049, 3.2433671951293945, 4.488883018493652, 4.053195953369141, 5.5714030265808105]),
]

extension Core {
@Suite struct AdaptiveOptimizerTests {
    @Test(arguments: cases.map(\.name))
    func trajectoryMatchesPyTorch(_ name: String) {
        let c = cases.first { $0.name == name }!
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = c.make(m.parameters())
        let losses = train(m, opt, steps: 10, alternate: c.alternate)
        expectValues(Tensor(losses), c.losses, atol: atol, rtol: rtol)
        expectValues(m.weight, c.weight, atol: atol, rtol: rtol)
        expectValues(m.bias!, c.bias, atol: atol, rtol: rtol)
    }

    @Test func defaultsArePyTorchs() {
        let p = [Parameter(Tensor.zeros(2))]
        // PyTorch: O.Adadelta(p).defaults -> lr 1.0, rho 0.9, eps 1e-06, weight_decay 0
        let adadelta = Adadelta(p)
        #expect(adadelta.paramGroups[0].lr == 1.0 && adadelta.paramGroups[0].options["rho"] == 0.9)
        #expect(adadelta.paramGroups[0].options["eps"] == 1e-6 && adadelta.paramGroups[0].options["weight_decay"] == 0)
        // PyTorch: O.Adamax(p).defaults -> lr 0.002, betas (0.9, 0.999), eps 1e-08
        let adamax = Adamax(p)
        #expect(adamax.paramGroups[0].lr == 0.002 && adamax.paramGroups[0].options["betas.0"] == 0.9)
        #expect(adamax.paramGroups[0].options["betas.1"] == 0.999 && adamax.paramGroups[0].options["eps"] == 1e-8)
        // PyTorch: O.ASGD(p).defaults -> lr 0.01, lambd 0.0001, alpha 0.75, t0 1000000.0
        let asgd = ASGD(p)
        #expect(asgd.paramGroups[0].lr == 0.01 && asgd.paramGroups[0].options["lambd"] == 1e-4)
        #expect(asgd.paramGroups[0].options["alpha"] == 0.75 && asgd.paramGroups[0].options["t0"] == 1e6)
        // PyTorch: O.Rprop(p).defaults -> lr 0.01, etas (0.5, 1.2), step_sizes (1e-06, 50)
        let rprop = Rprop(p)
        #expect(rprop.paramGroups[0].lr == 0.01 && rprop.paramGroups[0].options["etas.0"] == 0.5 && rprop.paramGroups[0].options["etas.1"] == 1.2)
        #expect(rprop.paramGroups[0].options["step_sizes.0"] == 1e-6 && rprop.paramGroups[0].options["step_sizes.1"] == 50)
        // PyTorch: O.NAdam(p).defaults -> lr 0.002, momentum_decay 0.004, decoupled_weight_decay False
        let nadam = NAdam(p)
        #expect(nadam.paramGroups[0].lr == 0.002 && nadam.paramGroups[0].options["momentum_decay"] == 0.004)
        #expect(nadam.paramGroups[0].options["decoupled_weight_decay"] == 0 && nadam.paramGroups[0].options["eps"] == 1e-8)
        // PyTorch: O.RAdam(p).defaults -> lr 0.001, betas (0.9, 0.999), eps 1e-08
        let radam = RAdam(p)
        #expect(radam.paramGroups[0].lr == 0.001 && radam.paramGroups[0].options["betas.1"] == 0.999)
        // PyTorch: O.SparseAdam(p).defaults -> lr 0.001, betas (0.9, 0.999), eps 1e-08
        let sparse = SparseAdam(p)
        #expect(sparse.paramGroups[0].lr == 0.001 && sparse.paramGroups[0].options["eps"] == 1e-8)
    }

    /// SparseAdam is Adam restricted to the entries with a nonzero gradient: on a step whose gradient is
    /// zero for weight[:, 1], those weights and their moments stay as they were (PyTorch's sparse semantics).
    @Test func sparseAdamLeavesEntriesWithZeroGradientAlone() {
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = SparseAdam(m.parameters(), lr: 0.05)
        train(m, opt, steps: 1, alternate: true)            // step 0 uses XS: weight[:, 1] has a zero gradient
        let w1 = values(m.weight)
        let sd = opt.stateDict()
        let m1 = values(sd["state.0.exp_avg"]!), v1 = values(sd["state.0.exp_avg_sq"]!)
        #expect(m1[1] == 0 && m1[4] == 0 && v1[1] == 0 && v1[4] == 0)
        #expect(m1[0] != 0 && v1[2] != 0)
        manualSeed(0)
        #expect(w1[1] == values(Linear(3, 2).weight)[1])
        train(m, opt, steps: 1, from: 1, alternate: true)   // step 1 uses X: every entry moves
        let m2 = values(opt.stateDict()["state.0.exp_avg"]!)
        #expect(m2[1] != 0 && values(m.weight)[1] != w1[1])
        train(m, opt, steps: 1, from: 2, alternate: true)   // step 2 uses XS again: exp_avg[1] is kept, not decayed
        #expect(values(opt.stateDict()["state.0.exp_avg"]!)[1] == m2[1])
        // Adam decays the moments of zero-gradient entries; PyTorch: traj(lambda p: O.Adam(p, lr=0.05), alternate=True)
        manualSeed(0)
        let m3 = Linear(3, 2)
        train(m3, Adam(m3.parameters(), lr: 0.05), steps: 10, alternate: true)
        expectValues(m3.weight, [0.3077930212020874, 0.005995776504278183, 0.006543386727571487, 0.04336175695061684, 0.06009218841791153, -0.32697734236717224], atol: atol, rtol: rtol)
        expectValues(m3.bias!, [0.24585023522377014, 0.47373905777931213], atol: atol, rtol: rtol)
    }

    /// Four steps, a state-dict round trip into a fresh model and optimizer, six more steps: the same as
    /// ten uninterrupted steps. ASGD's `eta`/`mu` and NAdam's `mu_product` are 0-dim state tensors.
    @Test(arguments: ["adadelta_opts", "adamax_opts", "asgd_opts", "rprop_opts", "nadam_decoupled", "radam_opts", "sparse_adam"])
    func stateDictRoundTripResumesTheTrajectory(_ name: String) throws {
        let c = cases.first { $0.name == name }!
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = c.make(m.parameters())
        let first = train(m, opt, steps: 4, alternate: c.alternate)
        let modelState = m.stateDict(), optState = opt.stateDict()
        manualSeed(123)
        let m2 = Linear(3, 2)
        let opt2 = c.make(m2.parameters())
        try m2.loadStateDict(modelState)
        try opt2.loadStateDict(optState)
        let rest = train(m2, opt2, steps: 6, from: 4, alternate: c.alternate)
        expectValues(Tensor(first + rest), c.losses, atol: atol, rtol: rtol)
        expectValues(m2.weight, c.weight, atol: atol, rtol: rtol)
        expectValues(m2.bias!, c.bias, atol: atol, rtol: rtol)
    }

    @Test func scalarStateIsZeroDimensional() throws {
        manualSeed(0)
        let m = Linear(3, 2)
        let asgd = ASGD(m.parameters(), lr: 0.1)
        train(m, asgd, steps: 2)
        let sd = asgd.stateDict()
        #expect(sd["state.0.eta"]!.shape == [] && sd["state.0.mu"]!.shape == [] && sd["state.0.ax"]!.shape == [2, 3])
        // PyTorch: torch.manual_seed(0); m = nn.Linear(3, 2); opt = O.ASGD(m.parameters(), lr=0.1); 2 steps as in traj
        //          opt.state[m.weight]['eta'] -> tensor(0.09999849647283554) (float32, shape []), ['mu'] -> tensor(1.)
        #expect(sd["state.0.eta"]!.item() == 0.09999849647283554)
        #expect(sd["state.0.mu"]!.item() == 1)
        // A scalar state of the wrong size is rejected.
        var bad = sd
        bad["state.0.eta"] = Tensor([1.0, 2.0])
        #expect(throws: StateDictError.self) { try ASGD(Linear(3, 2).parameters()).loadStateDict(bad) }
    }
}

    @Test func float64ParametersFollowPyTorchInFloat64() {
        // PyTorch: traj in float64 (X, Y and nn.Linear(3, 2) .double(), after torch.manual_seed(0)), 8 steps;
        // with sparse=True the even steps use XS and the gradients are made sparse (SparseAdam).
        // State tensors take the parameter's dtype; ASGD's eta/mu, NAdam's mu_product stay float32, as in PyTorch.
        let x64 = X.double(), xs64 = XS.double(), y64 = Y.double()
        let cases64: [(String, ([Parameter]) -> Optimizer, [Double], [Double], [Double])] = [
            // PyTorch: traj(lambda p: O.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1), steps=8)  [state dtypes: step=torch.float32, square_avg=torch.float64, acc_delta=torch.float64]
            ("adadelta", { Adadelta($0, lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1) },
             [0.026025434482154323, 0.27825044710097496, -0.44379946775715, -0.3937028442994901, -0.19131858098475493, 0.12344159714018464],
             [0.018801489484849956, 0.4859598274102741],
             [1.9072804125049754, 1.8868280247898754, 1.8655406849799723, 1.8438009155827828, 1.8217983134503082, 1.7996456214741736, 1.7774170406515422, 1.7551646437692234]),
            // PyTorch: traj(lambda p: O.Adamax(p, lr=0.1, weight_decay=0.05), steps=8)  [state dtypes: step=torch.float32, exp_avg=torch.float64, exp_inf=torch.float64]
            ("adamax", { Adamax($0, lr: 0.1, weightDecay: 0.05) },
             [0.3166642168671911, -0.2979213499514021, 0.09969009456939476, 0.11851968101031796, 0.23110834824608195, -0.42696016936657505],
             [0.22787851917121457, 0.34190060141913603],
             [1.9072804125049754, 1.3950181062065088, 1.0432989118432372, 0.7939581885612681, 0.614313449935862, 0.4860386396063402, 0.39595364832343244, 0.33498685912541204]),
            // PyTorch: traj(lambda p: O.ASGD(p, lr=0.1, t0=2, weight_decay=0.01), steps=8)  [state dtypes: step=torch.float32, eta=torch.float32, mu=torch.float32, ax=torch.float64]
            ("asgd", { ASGD($0, lr: 0.1, t0: 2, weightDecay: 0.01) },
             [0.17472353430774237, -0.08514921318203941, 0.061566825876837136, -0.016015360708048872, -0.023843212488571467, -0.4993232074567947],
             [0.1279944037508153, 0.4705794473168808],
             [1.9072804125049754, 1.375696761835861, 1.0248835543264578, 0.7908704511088559, 0.6327172569987114, 0.5241376224958331, 0.4481912796989048, 0.39391475101640416]),
            // PyTorch: traj(lambda p: O.Rprop(p, lr=0.05), steps=8)  [state dtypes: step=torch.float32, prev=torch.float64, step_size=torch.float64]
            ("rprop", { Rprop($0, lr: 0.05) },
             [0.24247748233675956, -0.3360793627597808, 0.1706098653175353, 0.40005963889335616, 0.21191902948665614, -0.6701335146782301],
             [0.16192085538864134, 0.3445269371528626],
             [1.9072804125049754, 1.633974256852246, 1.3513488700655285, 1.0701579712003118, 0.8045457066292274, 0.5579825561482277, 0.38400008523238716, 0.3096791557385619]),
            // PyTorch: traj(lambda p: O.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), steps=8)  [state dtypes: step=torch.float32, mu_product=torch.float32, exp_avg=torch.float64, exp_avg_sq=torch.float64]
            ("nadam", { NAdam($0, lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true) },
             [0.21656076542408095, 0.008511446852089278, -0.17376935547145367, -0.1298200952497219, 0.04615655015626833, -0.1357758706721918],
             [0.17795866328134843, 0.48486751467100186],
             [1.9072804125049754, 1.6125803610048575, 1.4288206082105956, 1.278028893824354, 1.1446823971114073, 1.023850788535752, 0.9137195427284429, 0.8136376515424177]),
            // PyTorch: traj(lambda p: O.RAdam(p, lr=0.1, betas=(0.9, 0.9)), steps=8)  [state dtypes: step=torch.float32, exp_avg=torch.float64, exp_avg_sq=torch.float64]
            ("radam", { RAdam($0, lr: 0.1, betas: (0.9, 0.9)) },
             [0.20996642066107074, -0.1286891537878661, 0.11380022520676464, 0.01823738804357563, 0.07646404251105195, -0.5381074077307652],
             [0.1994975739101279, 0.5003627296445026],
             [1.9072804125049754, 1.3769542574145546, 0.9930587662876604, 0.7238483264453465, 0.5424047537748898, 0.4262834457827226, 0.3926974993629315, 0.35710109577266025]),
            // PyTorch: traj(lambda p: O.SparseAdam(p, lr=0.1), steps=8, sparse=True)  [state dtypes: exp_avg=torch.float64, exp_avg_sq=torch.float64]
            ("sparse_adam", { SparseAdam($0, lr: 0.1) },
             [0.3245306225466728, 0.0020116943715252217, 0.2728174824253078, 0.2829916455141698, 0.042002045900957734, -0.5912494611889563],
             [0.16641790509994775, 0.31227846628186195],
             [1.5466539782404896, 1.5238517613574527, 0.9462832169686212, 0.9250925787025985, 0.589908316637393, 0.5328141100444076, 0.35635115446913956, 0.3038495268163274]),
        ]
        for (name, make, weight, bias, losses) in cases64 {
            manualSeed(0)
            let m = Linear(3, 2).double()
            let opt = make(m.parameters())
            var got: [Double] = []
            for i in 0..<8 {
                let loss = mseLoss(m(name == "sparse_adam" && i % 2 == 0 ? xs64 : x64), y64)
                got.append(loss.item())
                loss.backward(); opt.step(); opt.zeroGrad()
            }
            for (a, b) in zip(got, losses) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(name) loss") }
            for (a, b) in zip(m.weight.toArray(Double.self), weight) { #expect(abs(a - b) <= 1e-12, "\(name) weight") }
            for (a, b) in zip(m.bias!.toArray(Double.self), bias) { #expect(abs(a - b) <= 1e-12, "\(name) bias") }
            #expect(m.weight.dtype == .float64, "\(name)")
        }
        // NAdam's mu_product is float32 even for float64 parameters (PyTorch: _get_scalar_dtype()).
        manualSeed(0)
        let m = Linear(3, 2).double()
        let nadam = NAdam(m.parameters())
        mseLoss(m(x64), y64).backward(); nadam.step()
        let sd = nadam.stateDict()
        #expect(sd["state.0.mu_product"]!.dtype == .float32 && sd["state.0.exp_avg"]!.dtype == .float64)
    }
}
