import Testing
import Descent

// Optimizers (torch.optim): trajectories on a fixed small problem against PyTorch 2.13 (CPU).
// PyTorch:
//   X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
//   Y = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])
//   def traj(make, steps=5):
//       torch.manual_seed(0); m = nn.Linear(3, 2); opt = make(m.parameters()); losses = []
//       for _ in range(steps):
//           loss = F.mse_loss(m(X), Y); losses.append(loss.item()); loss.backward(); opt.step(); opt.zero_grad()
//       return m.weight, m.bias, losses

private let X = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-0.3, 0.8, 0.1], [1.0, 1.0, -1.0]])
private let Y = Tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 0.0], [0.2, 0.3]])

/// One optimizer configuration and PyTorch's parameters and losses after 5 steps of `traj`.
private struct Case {
    let name: String
    let make: ([Parameter]) -> Optimizer
    let weight: [Double], bias: [Double], losses: [Double]
    init(_ name: String, _ make: @escaping ([Parameter]) -> Optimizer, weight: [Double], bias: [Double], losses: [Double]) {
        self.name = name; self.make = make; self.weight = weight; self.bias = bias; self.losses = losses
    }
}

/// `traj` in Swift: `steps` steps of `opt` on a seed-0 Linear(3, 2); returns the losses.
@discardableResult
private func train(_ m: Linear, _ opt: Optimizer, steps: Int) -> [Double] {
    var losses: [Double] = []
    for _ in 0..<steps {
        let loss = mseLoss(m(X), Y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        opt.zeroGrad()
    }
    return losses
}

private let cases: [Case] = [
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.1))
        Case("sgd", { SGD($0, lr: 0.1) },
             weight: [0.11214820295572281, 0.006316173356026411, -0.04682796820998192, -0.11609192192554474, -0.034133899956941605, -0.363321453332901],
             bias: [0.09554117172956467, 0.49337220191955566],
             losses: [1.9072803258895874, 1.376954436302185, 1.026397943496704, 0.7922244668006897, 0.6337778568267822]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.1, momentum=0.9))
        Case("sgd_mom", { SGD($0, lr: 0.1, momentum: 0.9) },
             weight: [0.3063822388648987, -0.4209624230861664, 0.5408270955085754, 0.319795697927475, 0.18826663494110107, -1.074662208557129],
             bias: [0.2546122372150421, 0.5133847594261169],
             losses: [1.9072803258895874, 1.376954436302185, 0.7235267758369446, 0.3553800582885742, 0.39757680892944336]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
        Case("sgd_nest", { SGD($0, lr: 0.1, momentum: 0.9, nesterov: true) },
             weight: [0.37579432129859924, -0.3998042345046997, 0.45342886447906494, 0.31245073676109314, 0.04467509314417839, -0.9881508946418762],
             bias: [0.24992825090885162, 0.42708319425582886],
             losses: [1.9072803258895874, 0.9941656589508057, 0.44787588715553284, 0.3106310963630676, 0.3740196228027344]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.1, momentum=0.9, dampening=0.5))
        Case("sgd_damp", { SGD($0, lr: 0.1, momentum: 0.9, dampening: 0.5) },
             weight: [0.1984402984380722, -0.259728342294693, 0.3397369384765625, 0.15232565999031067, 0.1566067337989807, -0.8278189897537231],
             bias: [0.18791233003139496, 0.5414156317710876],
             losses: [1.9072803258895874, 1.376954436302185, 0.8499196767807007, 0.4795551598072052, 0.3334850072860718]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.1, weight_decay=0.1))
        Case("sgd_wd", { SGD($0, lr: 0.1, weightDecay: 0.1) },
             weight: [0.11128447204828262, 0.0016684592701494694, -0.03912341594696045, -0.10254561901092529, -0.02844339981675148, -0.35636141896247864],
             bias: [0.09406263381242752, 0.4715214967727661],
             losses: [1.9072803258895874, 1.3645427227020264, 1.0115628242492676, 0.779066264629364, 0.6235706210136414]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True))
        Case("sgd_all", { SGD($0, lr: 0.05, momentum: 0.8, weightDecay: 0.01, nesterov: true) },
             weight: [0.1626458764076233, -0.12317004799842834, 0.1361875981092453, 0.016595613211393356, 0.04571431502699852, -0.5817073583602905],
             bias: [0.14176137745380402, 0.5043843388557434],
             losses: [1.9072803258895874, 1.4238685369491577, 0.9661830067634583, 0.6252784729003906, 0.4195854365825653]),
        // PyTorch: traj(lambda p: O.SGD(p, lr=0.01, momentum=0.5, maximize=True))
        Case("sgd_max", { SGD($0, lr: 0.01, momentum: 0.5, maximize: true) },
             weight: [-0.022268088534474373, 0.3804502785205841, -0.5801376700401306, -0.496364951133728, -0.2796628475189209, 0.2812768816947937],
             bias: [-0.03417210653424263, 0.4401727318763733],
             losses: [1.9072803258895874, 1.9663923978805542, 2.0582923889160156, 2.170957326889038, 2.298919200897217]),
        // PyTorch: traj(lambda p: O.Adam(p, lr=0.1))
        Case("adam", { Adam($0, lr: 0.1) },
             weight: [0.3325206935405731, -0.1780943125486374, 0.006886526942253113, 0.04585956037044525, 0.2256304919719696, -0.3274674415588379],
             bias: [0.2798684537410736, 0.5460613965988159],
             losses: [1.9072803258895874, 1.3950181007385254, 1.0189054012298584, 0.7479382157325745, 0.5522908568382263]),
        // PyTorch: traj(lambda p: O.Adam(p))
        Case("adam_default", { Adam($0) },
             weight: [0.0006752483313903213, 0.3047163784503937, -0.4701860547065735, -0.41989564895629883, -0.2173701971769333, 0.1498214155435562],
             bias: [-0.006441593170166016, 0.46277064085006714],
             losses: [1.9072803258895874, 1.9014778137207031, 1.8956892490386963, 1.889914870262146, 1.8841547966003418]),
        // PyTorch: traj(lambda p: O.Adam(p, lr=0.1, weight_decay=0.1))
        Case("adam_wd", { Adam($0, lr: 0.1, weightDecay: 0.1) },
             weight: [0.30854687094688416, -0.17674261331558228, 0.006409361958503723, 0.049399830400943756, 0.22614270448684692, -0.3261517882347107],
             bias: [0.26226136088371277, 0.4546264111995697],
             losses: [1.9072803258895874, 1.3950179815292358, 1.0155516862869263, 0.7352474927902222, 0.5313552618026733]),
        // PyTorch: traj(lambda p: O.Adam(p, lr=0.05, betas=(0.5, 0.9), eps=1e-6))
        Case("adam_betas", { Adam($0, lr: 0.05, betas: (0.5, 0.9), eps: 1e-6) },
             weight: [0.19877703487873077, 0.06744791567325592, -0.23539674282073975, -0.19000862538814545, 0.007134787738323212, -0.08506117761135101],
             bias: [0.18130332231521606, 0.5631815791130066],
             losses: [1.9072803258895874, 1.6339747905731201, 1.398780107498169, 1.199686884880066, 1.0308102369308472]),
        // PyTorch: traj(lambda p: O.Adam(p, lr=0.1, amsgrad=True))
        Case("adam_ams", { Adam($0, lr: 0.1, amsgrad: true) },
             weight: [0.3325206935405731, -0.1780943125486374, 0.006886526942253113, 0.04585956037044525, 0.22559936344623566, -0.3274674415588379],
             bias: [0.2798684537410736, 0.5460613965988159],
             losses: [1.9072803258895874, 1.3950181007385254, 1.0189054012298584, 0.7479382157325745, 0.5522908568382263]),
        // PyTorch: traj(lambda p: O.AdamW(p, lr=0.1))
        Case("adamw", { AdamW($0, lr: 0.1) },
             weight: [0.3324987292289734, -0.17856332659721375, 0.008155681192874908, 0.047005847096443176, 0.22574615478515625, -0.3272128105163574],
             bias: [0.2793876528739929, 0.5436177253723145],
             losses: [1.9072803258895874, 1.3937164545059204, 1.0170567035675049, 0.7460308074951172, 0.5506259202957153]),
        // PyTorch: traj(lambda p: O.AdamW(p, lr=0.1, weight_decay=0.1, amsgrad=True))
        Case("adamw_ams", { AdamW($0, lr: 0.1, weightDecay: 0.1, amsgrad: true) },
             weight: [0.33227160573005676, -0.18259543180465698, 0.01924154907464981, 0.05703572928905487, 0.22665876150131226, -0.3248777687549591],
             bias: [0.2751239836215973, 0.5221124291419983],
             losses: [1.9072803258895874, 1.3820379972457886, 1.000637173652649, 0.7292797565460205, 0.5361975431442261]),
        // PyTorch: traj(lambda p: O.RMSprop(p, lr=0.01))
        Case("rmsprop", { RMSprop($0, lr: 0.01) },
             weight: [0.20811347663402557, 0.014116045087575912, -0.18671582639217377, -0.14292067289352417, 0.037530507892370224, -0.1347472369670868],
             bias: [0.16725417971611023, 0.48519226908683777],
             losses: [1.9072803258895874, 1.3950179815292358, 1.1382296085357666, 0.9671673774719238, 0.8410794138908386]),
        // PyTorch: traj(lambda p: O.RMSprop(p, lr=0.01, centered=True))
        Case("rmsprop_c", { RMSprop($0, lr: 0.01, centered: true) },
             weight: [0.20949327945709229, 0.01079719141125679, -0.18360474705696106, -0.1398591548204422, 0.03973272442817688, -0.13791993260383606],
             bias: [0.1675650179386139, 0.48396581411361694],
             losses: [1.9072803258895874, 1.3927853107452393, 1.1341513395309448, 0.9614448547363281, 0.833956778049469]),
        // PyTorch: traj(lambda p: O.RMSprop(p, lr=0.01, momentum=0.9))
        Case("rmsprop_m", { RMSprop($0, lr: 0.01, momentum: 0.9) },
             weight: [0.419334352016449, -0.5089563131332397, 0.30655989050865173, 0.3059178292751312, 0.40610262751579285, -0.6344004273414612],
             bias: [0.316853404045105, 0.4761538505554199],
             losses: [1.9072803258895874, 1.3950179815292358, 0.8583016991615295, 0.5178240537643433, 0.3981590270996094]),
        // PyTorch: traj(lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1))
        Case("rmsprop_cm", { RMSprop($0, lr: 0.01, alpha: 0.9, weightDecay: 0.1, momentum: 0.5, centered: true) },
             weight: [0.15916959941387177, 0.11409639567136765, -0.2814598083496094, -0.2349841296672821, -0.03721326217055321, -0.03876727819442749],
             bias: [0.14680182933807373, 0.5343589186668396],
             losses: [1.9072803258895874, 1.721259593963623, 1.5125842094421387, 1.3260952234268188, 1.1676522493362427]),
        // PyTorch: traj(lambda p: O.Adagrad(p, lr=0.1))
        Case("adagrad", { Adagrad($0, lr: 0.1) },
             weight: [0.2073870599269867, 0.015318479388952255, -0.18789416551589966, -0.14416398108005524, 0.03650106489658356, -0.13356482982635498],
             bias: [0.16702638566493988, 0.48636117577552795],
             losses: [1.9072803258895874, 1.3950181007385254, 1.1389422416687012, 0.968733012676239, 0.8435099720954895]),
        // PyTorch: traj(lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2))
        Case("adagrad_opts", { Adagrad($0, lr: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.2) },
             weight: [0.13687419891357422, 0.05520417541265488, -0.21411427855491638, -0.1741614043712616, -0.0005297884345054626, -0.10974173992872238],
             bias: [0.12867872416973114, 0.47752800583839417],
             losses: [1.9072803258895874, 1.4490233659744263, 1.2023539543151855, 1.0406105518341064, 0.9243448376655579]),
]

/// Two parameter groups: the weight with its own learning rate, the bias with the default learning
/// rate and one option of its own; PyTorch's parameters after 5 steps.
private struct GroupCase {
    let name: String
    let make: ([ParamGroup]) -> Optimizer
    let weightLR: Double, biasOptions: [String: Double], lrs: [Double]
    let weight: [Double], bias: [Double]
    init(_ name: String, _ make: @escaping ([ParamGroup]) -> Optimizer, weightLR: Double, biasOptions: [String: Double], lrs: [Double],
         weight: [Double], bias: [Double]) {
        self.name = name; self.make = make; self.weightLR = weightLR; self.biasOptions = biasOptions; self.lrs = lrs
        self.weight = weight; self.bias = bias
    }
}

// PyTorch:
//   def groups(make, wlr, bias_opts, sparse=False):
//       torch.manual_seed(0); m = nn.Linear(3, 2)
//       opt = make([{"params": [m.weight], "lr": wlr}, {"params": [m.bias], **bias_opts}])
//       5 steps as in traj (grads made sparse with .to_sparse() for SparseAdam)
private let groupCases: [GroupCase] = [
        // PyTorch: opt = O.SGD(g, lr=0.01, momentum=0.9) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'momentum': 0.5}}]
        GroupCase("SGD", { SGD(groups: $0, lr: 0.01, momentum: 0.9) }, weightLR: 0.1, biasOptions: ["momentum": 0.5], lrs: [0.1, 0.01],
                  weight: [0.35036468505859375, -0.40366125106811523, 0.5485618114471436, 0.34361952543258667, 0.19766174256801605, -1.070255160331726],
                  bias: [0.00847281701862812, 0.46077823638916016]),
        // PyTorch: opt = O.Adam(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'betas': (0.5, 0.9)}}]
        GroupCase("Adam", { Adam(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["betas.0": 0.5, "betas.1": 0.9], lrs: [0.1, 0.01],
                  weight: [0.45985037088394165, -0.1742444634437561, 0.00852368026971817, 0.056431032717227936, 0.23433712124824524, -0.3267120122909546],
                  bias: [0.029989929869771004, 0.4738824963569641]),
        // PyTorch: opt = O.AdamW(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'weight_decay': 0.5}}]
        GroupCase("AdamW", { AdamW(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["weight_decay": 0.5], lrs: [0.1, 0.01],
                  weight: [0.45879822969436646, -0.174727201461792, 0.00978931039571762, 0.05766346678137779, 0.23454397916793823, -0.326447457075119],
                  bias: [0.03506769239902496, 0.4772717356681824]),
        // PyTorch: opt = O.RMSprop(g, lr=0.001) with g = [{"params": [m.weight], "lr": 0.01}, {"params": [m.bias], **{'alpha': 0.9}}]
        GroupCase("RMSprop", { RMSprop(groups: $0, lr: 0.001) }, weightLR: 0.01, biasOptions: ["alpha": 0.9], lrs: [0.01, 0.001],
                  weight: [0.27322083711624146, 0.018989231437444687, -0.18416692316532135, -0.1356154978275299, 0.04215068370103836, -0.13386858999729156],
                  bias: [-0.002163900062441826, 0.4632579982280731]),
        // PyTorch: opt = O.Adagrad(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'lr_decay': 0.1}}]
        GroupCase("Adagrad", { Adagrad(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["lr_decay": 0.1], lrs: [0.1, 0.01],
                  weight: [0.26777011156082153, 0.019755173474550247, -0.1855454444885254, -0.13775712251663208, 0.040538571774959564, -0.13278815150260925],
                  bias: [0.012936905026435852, 0.47294721007347107]),
        // PyTorch: opt = O.Adadelta(g) with g = [{"params": [m.weight], "lr": 0.5}, {"params": [m.bias], **{'rho': 0.5}}]
        GroupCase("Adadelta", { Adadelta(groups: $0) }, weightLR: 0.5, biasOptions: ["rho": 0.5], lrs: [0.5, 1.0],
                  weight: [0.003811982460319996, 0.301518976688385, -0.4669942855834961, -0.4167163670063019, -0.2141977995634079, 0.14662961661815643],
                  bias: [-0.002645488129928708, 0.46652114391326904]),
        // PyTorch: opt = O.Adamax(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'eps': 0.001}}]
        GroupCase("Adamax", { Adamax(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["eps": 1e-3], lrs: [0.1, 0.01],
                  weight: [0.38456904888153076, -0.11350946128368378, -0.0526852160692215, -0.008074231445789337, 0.15470191836357117, -0.2632373571395874],
                  bias: [0.027676351368427277, 0.48378244042396545]),
        // PyTorch: opt = O.ASGD(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'t0': 2}}]
        GroupCase("ASGD", { ASGD(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["t0": 2], lrs: [0.1, 0.01],
                  weight: [0.12543043494224548, 0.01156213041394949, -0.04436749592423439, -0.10932023078203201, -0.0314483605325222, -0.3619855046272278],
                  bias: [0.0013111340813338757, 0.4623855948448181]),
        // PyTorch: opt = O.Rprop(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.05}, {"params": [m.bias], **{'etas': (0.4, 1.1)}}]
        GroupCase("Rprop", { Rprop(groups: $0, lr: 0.01) }, weightLR: 0.05, biasOptions: ["etas.0": 0.4, "etas.1": 1.1], lrs: [0.05, 0.01],
                  weight: [0.36775749921798706, -0.06236419826745987, -0.10310530662536621, -0.05281457304954529, 0.14971105754375458, -0.21725930273532867],
                  bias: [0.049611859023571014, 0.5041849613189697]),
        // PyTorch: opt = O.NAdam(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'momentum_decay': 0.01}}]
        GroupCase("NAdam", { NAdam(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["momentum_decay": 0.01], lrs: [0.1, 0.01],
                  weight: [0.32797837257385254, -0.04909985885024071, -0.11693783104419708, -0.07009811699390411, 0.09625963866710663, -0.20069870352745056],
                  bias: [0.022029394283890724, 0.47308778762817383]),
        // PyTorch: opt = O.RAdam(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'betas': (0.8, 0.99)}}]
        GroupCase("RAdam", { RAdam(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["betas.0": 0.8, "betas.1": 0.99], lrs: [0.1, 0.01],
                  weight: [0.12087218463420868, -0.036402516067028046, 0.03014061599969864, -0.06575065851211548, 0.02313975989818573, -0.45188379287719727],
                  bias: [0.00181411555968225, 0.4642030596733093]),
        // PyTorch: opt = O.SparseAdam(g, lr=0.01) with g = [{"params": [m.weight], "lr": 0.1}, {"params": [m.bias], **{'betas': (0.5, 0.9)}}]; grads .to_sparse()
        GroupCase("SparseAdam", { SparseAdam(groups: $0, lr: 0.01) }, weightLR: 0.1, biasOptions: ["betas.0": 0.5, "betas.1": 0.9], lrs: [0.1, 0.01],
                  weight: [0.4598500430583954, -0.17424428462982178, 0.008523553609848022, 0.05643085390329361, 0.2343369424343109, -0.3267119228839874],
                  bias: [0.0299899410456419, 0.4738824963569641]),
]

extension Core {
@Suite struct OptimTests {
    @Test(arguments: groupCases.map(\.name))
    func parameterGroupsWithTheirOwnLearningRatesAndOptions(_ name: String) {
        let c = groupCases.first { $0.name == name }!
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = c.make([ParamGroup(params: [m.weight], lr: c.weightLR), ParamGroup(params: [m.bias!], options: c.biasOptions)])
        #expect(opt.paramGroups.map(\.lr) == c.lrs)
        #expect(opt.paramGroups.map(\.initialLR) == c.lrs)
        for (k, v) in c.biasOptions { #expect(opt.paramGroups[1].options[k] == v) }
        // The weight group keeps the optimizer's defaults for the options the bias group overrides.
        for k in c.biasOptions.keys { #expect(opt.paramGroups[0].options[k] != nil && opt.paramGroups[0].options[k] != c.biasOptions[k]) }
        train(m, opt, steps: 5)
        expectValues(m.weight, c.weight, atol: 1e-7, rtol: 2e-6)
        expectValues(m.bias!, c.bias, atol: 1e-7, rtol: 2e-6)
    }

    @Test(arguments: cases.map(\.name))
    func trajectoryMatchesPyTorch(_ name: String) {
        let c = cases.first { $0.name == name }!
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = c.make(m.parameters())
        let losses = train(m, opt, steps: 5)
        expectValues(Tensor(losses), c.losses, atol: 1e-6, rtol: 1e-5)
        expectValues(m.weight, c.weight, atol: 1e-6, rtol: 1e-5)
        expectValues(m.bias!, c.bias, atol: 1e-6, rtol: 1e-5)
    }

    @Test func defaultsArePyTorchs() {
        let p = [Parameter(Tensor.zeros(2))]
        // PyTorch: O.SGD(p).defaults['lr'] -> 0.001; O.Adam(p).defaults -> lr 0.001, betas (0.9, 0.999), eps 1e-08, weight_decay 0
        #expect(SGD(p).paramGroups[0].lr == 0.001)
        let adam = Adam(p)
        #expect(adam.paramGroups[0].lr == 0.001)
        #expect(adam.paramGroups[0].options["betas.0"] == 0.9 && adam.paramGroups[0].options["betas.1"] == 0.999)
        #expect(adam.paramGroups[0].options["eps"] == 1e-8 && adam.paramGroups[0].options["weight_decay"] == 0)
        // PyTorch: O.AdamW(p).defaults['weight_decay'] -> 0.01; O.RMSprop(p).defaults -> lr 0.01, alpha 0.99, eps 1e-08; O.Adagrad(p).defaults['lr'] -> 0.01
        #expect(AdamW(p).paramGroups[0].options["weight_decay"] == 0.01)
        let rms = RMSprop(p)
        #expect(rms.paramGroups[0].lr == 0.01 && rms.paramGroups[0].options["alpha"] == 0.99 && rms.paramGroups[0].options["eps"] == 1e-8)
        #expect(Adagrad(p).paramGroups[0].lr == 0.01)
        #expect(Adagrad(p).paramGroups[0].options["eps"] == 1e-10)
    }

    @Test func parameterGroupsAndChangingTheLearningRate() {
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = SGD(groups: [ParamGroup(params: [m.weight], lr: 0.1), ParamGroup(params: [m.bias!])], lr: 0.01, momentum: 0.9)
        #expect(opt.paramGroups.map(\.lr) == [0.1, 0.01])
        train(m, opt, steps: 5)
        // PyTorch: torch.manual_seed(0); m = nn.Linear(3, 2)
        //          opt = O.SGD([{"params": [m.weight], "lr": 0.1}, {"params": [m.bias]}], lr=0.01, momentum=0.9); 5 steps as in traj
        expectValues(m.weight, [0.34920990467071533, -0.40411248803138733, 0.5483849048614502, 0.34289270639419556, 0.1973775327205658, -1.0703682899475098])
        expectValues(m.bias!, [0.021736493334174156, 0.46690425276756287])

        manualSeed(0)
        let m2 = Linear(3, 2)
        let adam = Adam(m2.parameters(), lr: 0.1)
        train(m2, adam, steps: 3)
        adam.paramGroups[0].lr = 0.01
        train(m2, adam, steps: 2)
        // PyTorch: as traj(lambda p: O.Adam(p, lr=0.1)) but with opt.param_groups[0]["lr"] = 0.01 before the 4th step
        expectValues(m2.weight, [0.2711184620857239, -0.007295380346477032, -0.15964388847351074, -0.11321534216403961, 0.08491876721382141, -0.16073378920555115])
        expectValues(m2.bias!, [0.2523306608200073, 0.6291146874427795])
        #expect(adam.paramGroups[0].initialLR == 0.1)
    }

    /// Two steps, a state-dict round trip into a fresh model and optimizer, three more steps:
    /// the same parameters as five uninterrupted steps (PyTorch's numbers from `traj`).
    @Test(arguments: ["sgd_mom", "sgd_nest", "adam", "adam_ams", "adamw", "rmsprop_cm", "adagrad_opts"])
    func stateDictRoundTripResumesTheTrajectory(_ name: String) throws {
        let c = cases.first { $0.name == name }!
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = c.make(m.parameters())
        let first = train(m, opt, steps: 2)
        let modelState = m.stateDict()
        let optState = opt.stateDict()
        #expect(optState.keys.contains("param_groups.0.lr"))
        #expect(optState.keys.contains { $0.hasPrefix("state.0.") } && optState.keys.contains { $0.hasPrefix("state.1.") })

        manualSeed(123)   // a different initialisation, overwritten by the state dict
        let m2 = Linear(3, 2)
        let opt2 = c.make(m2.parameters())
        try m2.loadStateDict(modelState)
        try opt2.loadStateDict(optState)
        // The original keeps training independently of the copy.
        train(m, opt, steps: 1)
        let rest = train(m2, opt2, steps: 3)
        expectValues(Tensor(first + rest), c.losses, atol: 1e-6, rtol: 1e-5)
        expectValues(m2.weight, c.weight, atol: 1e-6, rtol: 1e-5)
        expectValues(m2.bias!, c.bias, atol: 1e-6, rtol: 1e-5)
        // The loaded state is a copy: the saved dict still round-trips its step count.
        #expect(opt2.stateDict()["state.0.step"]!.item() == 5)
    }

    @Test func optimizerStateDictContentsAndErrors() throws {
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = Adam(m.parameters(), lr: 0.1)
        #expect(opt.stateDict().keys.allSatisfy { $0.hasPrefix("param_groups.") })
        train(m, opt, steps: 2)
        let sd = opt.stateDict()
        for k in ["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq",
                  "param_groups.0.lr", "param_groups.0.eps", "param_groups.0.weight_decay"] {
            #expect(sd[k] != nil, "\(k)")
        }
        #expect(sd["state.0.exp_avg"]!.shape == [2, 3] && sd["state.1.exp_avg"]!.shape == [2])
        #expect(sd["state.0.step"]!.item() == 2)
        #expect(sd["param_groups.0.lr"]!.item() == 0.1)
        #expect(sd["state.0.max_exp_avg_sq"] == nil)

        // Hyper-parameters come back too.
        let other = Adam(Linear(3, 2).parameters(), lr: 0.5)
        try other.loadStateDict(sd)
        #expect(other.paramGroups[0].lr == 0.1)

        // State comes back in the parameters' dtype, as PyTorch's load_state_dict casts it
        // (torch: opt64.load_state_dict(opt32.state_dict()); opt64.state[p]['exp_avg'].dtype == torch.float64)
        let double = Linear(3, 2).to(dtype: .float64)
        let opt64 = Adam(double.parameters())
        try opt64.loadStateDict(sd)
        let moment = opt64.stateDict()["state.0.exp_avg"]!
        #expect(moment.dtype == .float64 && moment.toDoubles() == sd["state.0.exp_avg"]!.toDoubles())

        // State for parameters of another shape is rejected.
        let wrong = Adam(Linear(3, 3).parameters())
        #expect(throws: StateDictError.self) { try wrong.loadStateDict(sd) }
    }

    @Test func zeroGradAndSkippingParametersWithoutGradients() {
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = SGD(m.parameters(), lr: 0.1, momentum: 0.9)
        mseLoss(m(X), Y).backward()
        #expect(m.weight.grad != nil && m.bias!.grad != nil)
        opt.zeroGrad(setToNil: false)
        #expect(m.weight.grad.map { values($0) } == [0, 0, 0, 0, 0, 0])
        #expect(m.bias!.grad.map { values($0) } == [0, 0])
        opt.zeroGrad()
        #expect(m.weight.grad == nil && m.bias!.grad == nil)

        // A step with no gradients leaves everything as it was.
        let w0 = values(m.weight), b0 = values(m.bias!)
        opt.step()
        #expect(values(m.weight) == w0 && values(m.bias!) == b0)

        // A frozen bias (no gradient) is skipped; the weight moves.
        m.bias!.requiresGrad = false
        mseLoss(m(X), Y).backward()
        #expect(m.bias!.grad == nil)
        opt.step()
        #expect(values(m.bias!) == b0)
        #expect(values(m.weight) != w0)
        // A parameter updated in place stays a leaf that requires grad, with no graph.
        #expect(m.weight.isLeaf && m.weight.requiresGrad && m.weight.gradFn == nil)
    }

    @Test func float64ParametersFollowPyTorchInFloat64() {
        // PyTorch: the same traj with X, Y and the model in float64:
        //   X = X.double(); Y = Y.double(); m = nn.Linear(3, 2).double() (after torch.manual_seed(0))
        let x64 = X.double(), y64 = Y.double()
        let cases64: [(String, ([Parameter]) -> Optimizer, [Double], [Double], [Double])] = [
            // PyTorch: traj(lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01))
            ("sgd", { SGD($0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) },
             [0.37495947166264293, -0.39904141176207164, 0.4527735980660294, 0.3155395299910335, 0.0461248735214875, -0.9828593657145833],
             [0.24892149847719205, 0.42027987462997285],
             [1.9072804125049754, 0.9922523505026141, 0.4465006787646436, 0.3100088252043698, 0.37250182455377445]),
            // PyTorch: traj(lambda p: O.Adam(p, lr=0.1, amsgrad=True))
            ("adam", { Adam($0, lr: 0.1, amsgrad: true) },
             [0.3325206915084779, -0.17809431602895542, 0.006886520770426771, 0.04585953445075347, 0.22559935574452916, -0.3274674617407734],
             [0.2798684609960008, 0.5460613703132648],
             [1.9072804125049754, 1.395018106265105, 1.0189052727297823, 0.7479381093123683, 0.5522908843313359]),
            // PyTorch: traj(lambda p: O.AdamW(p, lr=0.1))
            ("adamw", { AdamW($0, lr: 0.1) },
             [0.3324987525285671, -0.17856334170111554, 0.008155737866376564, 0.047005854608318486, 0.22574615671432252, -0.32721277929023085],
             [0.2793876272687641, 0.5436176978900481],
             [1.9072804125049754, 1.3937162256780393, 1.0170566335175797, 0.7460307431466976, 0.5506258878202399]),
            // PyTorch: traj(lambda p: O.RMSprop(p, lr=0.01, momentum=0.5, centered=True))
            ("rmsprop", { RMSprop($0, lr: 0.01, momentum: 0.5, centered: true) },
             [0.2811669419808843, -0.1757413157532377, -0.007573501453924345, 0.0243913813176645, 0.16946752332791593, -0.31640375046868335],
             [0.19758421571413207, 0.4222470942880446],
             [1.9072804125049754, 1.3927853108385906, 0.9647310137175403, 0.682677965744291, 0.5032722008374833]),
            // PyTorch: traj(lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1))
            ("adagrad", { Adagrad($0, lr: 0.1, lrDecay: 0.01, weightDecay: 0.1) },
             [0.19547596987058038, 0.021149323446718868, -0.19211735708561326, -0.14409655159422108, 0.034586929354583434, -0.12816983894469408],
             [0.15885675069561156, 0.43353607042696285],
             [1.9072804125049754, 1.3950181012464706, 1.141456130347591, 0.9731666562177367, 0.8503428185745017]),
        ]
        for (name, make, weight, bias, losses) in cases64 {
            manualSeed(0)
            let m = Linear(3, 2).double()
            #expect(m.weight.dtype == .float64 && m.bias!.dtype == .float64, "\(name)")
            let opt = make(m.parameters())
            var got: [Double] = []
            for _ in 0..<5 {
                let loss = mseLoss(m(x64), y64)
                got.append(loss.item())
                loss.backward(); opt.step(); opt.zeroGrad()
            }
            for (a, b) in zip(got, losses) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(name) loss") }
            for (a, b) in zip(m.weight.toArray(Double.self), weight) { #expect(abs(a - b) <= 1e-12, "\(name) weight") }
            for (a, b) in zip(m.bias!.toArray(Double.self), bias) { #expect(abs(a - b) <= 1e-12, "\(name) bias") }
        }
    }

    @Test func largeParametersAreUpdatedInThreadedChunksWithTheSameBits() {
        // Math: each element's update is independent, so a 100,003-element parameter (updated in
        // threaded chunks) must end bit-equal to the same values held as four small parameters.
        manualSeed(7)
        let n = 100_003, parts = [30_000, 30_000, 30_000, 10_003]
        let values = Tensor.randn(n), grads = Tensor.randn(n)
        let makers: [([Parameter]) -> Optimizer] = [
            { SGD($0, lr: 0.1, momentum: 0.9, nesterov: true) }, { Adam($0, lr: 0.01) }, { AdamW($0, lr: 0.01, amsgrad: true) },
            { RMSprop($0, lr: 0.01, momentum: 0.5, centered: true) }, { Adagrad($0, lr: 0.1) }]
        for make in makers {
            let big = Parameter(values.clone())
            var start = 0
            var small: [Parameter] = []
            for c in parts { small.append(Parameter(values[start..<(start + c)].clone())); start += c }
            let o1 = make([big]), o2 = make(small)
            for _ in 0..<3 {
                big.grad = grads.clone()
                start = 0
                for (i, c) in parts.enumerated() { small[i].grad = grads[start..<(start + c)].clone(); start += c }
                o1.step(); o2.step()
            }
            #expect(big.toArray(Float.self) == small.flatMap { $0.toArray(Float.self) }, "\(type(of: o1))")
        }
    }

    @Test func stepWithAClosure() {
        manualSeed(0)
        let m = Linear(3, 2)
        let opt = SGD(m.parameters(), lr: 0.1)
        var losses: [Double] = []
        for _ in 0..<5 {
            opt.zeroGrad()
            let l = opt.step {
                let loss = mseLoss(m(X), Y)
                loss.backward()
                return loss
            }
            losses.append(l.item())
        }
        let sgd = cases.first { $0.name == "sgd" }!
        expectValues(Tensor(losses), sgd.losses)
        expectValues(m.weight, sgd.weight)
        expectValues(m.bias!, sgd.bias)
    }
}
}
