import Testing
import Descent

extension Core {
/// The generator reproduces PyTorch's CPU generator bit for bit (RNG.md).
@Suite struct RandomNumbers {
    @Test func randAllSizes() {
        // PyTorch: torch.manual_seed(0); r1 = torch.rand(1); r3 = torch.rand(3); r16 = torch.rand(16); r17 = torch.rand(17); r1000 = torch.rand(1000)
        manualSeed(0)
        let r1 = Tensor.rand(1), r3 = Tensor.rand(3), r16 = Tensor.rand(16), r17 = Tensor.rand(17), r1000 = Tensor.rand(1000)
        #expect(r1.dtype == .float32 && r1000.shape == [1000])
        // PyTorch: r1
        #expect(floatBits(r1) == floatBits([0.49625658988952637]))
        // PyTorch: r3
        #expect(floatBits(r3) == floatBits([0.7682217955589294, 0.08847743272781372, 0.13203048706054688]))
        // PyTorch: r16
        #expect(floatBits(r16) == floatBits([0.30742281675338745, 0.6340786814689636, 0.4900934100151062, 0.8964447379112244, 0.455627977848053, 0.6323062777519226, 0.3488934636116028, 0.40171730518341064, 0.022325754165649414, 0.16885894536972046, 0.2938884496688843, 0.518521785736084, 0.6976675987243652, 0.800011396408081, 0.16102945804595947, 0.28226858377456665]))
        // PyTorch: r17
        #expect(floatBits(r17) == floatBits([0.6816085577011108, 0.9151939749717712, 0.39709991216659546, 0.8741558790206909, 0.41940832138061523, 0.5529070496559143, 0.9527381062507629, 0.036164820194244385, 0.1852310299873352, 0.37341737747192383, 0.3051000237464905, 0.9320003986358643, 0.17591017484664917, 0.2698335647583008, 0.15067976713180542, 0.03171950578689575, 0.20812976360321045]))
        // PyTorch: r1000[[0, 1, 2, 500, 998, 999]]
        #expect(floatBits(r1000[Tensor([0, 1, 2, 500, 998, 999])]) == floatBits([0.9297990202903748, 0.7231091856956482, 0.7423362731933594, 0.17272716760635376, 0.5910104513168335, 0.11807447671890259]))
        // PyTorch: H(r1000)
        #expect(bitHash(r1000) == 8626642810326881592)
        // PyTorch: r1000.double().sum().item()
        expectValues(r1000.sum(), [501.76625603437424], atol: 1e-3)
        // PyTorch: torch.manual_seed(0); r23 = torch.rand(2, 3)
        manualSeed(0)
        let r23 = Tensor.rand(2, 3)
        // PyTorch: r23
        #expect(r23.shape == [2, 3] && floatBits(r23) == floatBits([0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688, 0.30742281675338745, 0.6340786814689636]))
        // PyTorch: torch.manual_seed(0); r3again = torch.rand([3])
        manualSeed(0)
        // PyTorch: r3again
        #expect(floatBits(Tensor.rand([3])) == floatBits([0.49625658988952637, 0.7682217955589294, 0.08847743272781372]))
    }

    @Test func randnAllSizes() {
        // PyTorch: torch.manual_seed(0); n1 = torch.randn(1); n3 = torch.randn(3); n16 = torch.randn(16); n17 = torch.randn(17); n1000 = torch.randn(1000)
        manualSeed(0)
        let n1 = Tensor.randn(1), n3 = Tensor.randn(3), n16 = Tensor.randn(16), n17 = Tensor.randn(17), n1000 = Tensor.randn(1000)
        // PyTorch: n1
        #expect(floatBits(n1) == floatBits([1.5409960746765137]))
        // PyTorch: n3
        #expect(floatBits(n3) == floatBits([-0.293428897857666, -2.1787893772125244, 0.5684312582015991]))
        // PyTorch: n16
        #expect(floatBits(n16) == floatBits([-0.35612836480140686, 0.4372227191925049, 0.4913049638271332, -0.20410172641277313, -0.08853142708539963, 0.5238832831382751, -0.6658713221549988, 0.8503773808479309, -1.04375159740448, -1.3453052043914795, 0.7853556275367737, 0.9928374886512756, -0.193183034658432, -0.30896252393722534, 0.5025728344917297, -0.8594456315040588]))
        // PyTorch: n17
        #expect(floatBits(n17) == floatBits([0.46809640526771545, -0.7425481677055359, 0.5627213716506958, 0.25962740182876587, -0.17396099865436554, -0.678746223449707, 0.9382607340812683, 0.4888698160648346, -0.6730899214744568, 0.08453469723463058, -1.2001394033432007, -0.004785737954080105, -0.5180748105049133, -0.30670419335365295, -1.580993890762329, 1.7066433429718018, -0.4462171792984009]))
        // PyTorch: n1000[[0, 1, 15, 16, 500, 984, 985, 999]]
        #expect(floatBits(n1000[Tensor([0, 1, 15, 16, 500, 984, 985, 999])]) == floatBits([-0.4503297507762909, -0.5730770826339722, -1.6293259859085083, 2.0819554328918457, 0.975620687007904, 0.6639502048492432, -2.103325128555298, -0.8295227885246277]))
        // PyTorch: H(n1000)
        #expect(bitHash(n1000) == 11415981979211235944)
        // PyTorch: n1000.double().sum().item()
        expectValues(n1000.sum(), [-22.565771756519098], atol: 1e-3)
        // PyTorch: torch.manual_seed(3); n57 = torch.randn(5, 7); n100 = torch.randn(100)
        manualSeed(3)
        let n57 = Tensor.randn(5, 7), n100 = Tensor.randn([100])
        // PyTorch: n57
        #expect(n57.shape == [5, 7] && floatBits(n57) == floatBits([-0.07664429396390915, 0.35988152027130127, -0.7820168137550354, 0.07152773439884186, 0.6648393869400024, -0.28678029775619507, 1.6205507516860962, -1.596708059310913, -0.05168096348643303, -0.30597570538520813, 0.2485017478466034, -0.2225608378648758, 0.9131519198417664, 0.2043411135673523, 0.573984682559967, 0.41633129119873047, 0.26150116324424744, 0.9311244487762451, -0.5144619941711426, 0.3487463593482971, 0.037066876888275146, -0.06768558919429779, 0.4290330410003662, -0.8681192398071289, -1.196319580078125, 1.02799654006958, 0.07189109176397324, 0.68141108751297, -0.9583004117012024, 0.06392408162355423, 0.6589139103889465, 0.8194591999053955, 0.5615938901901245, -0.24814683198928833, -1.0799609422683716]))
        // PyTorch: H(n100)
        #expect(bitHash(n100) == 16378268969819256407)
    }

    @Test func scalarNormalPathCachesTheSecondSample() {
        // PyTorch: torch.manual_seed(5); a = torch.randn(1); b = torch.randn(1); c = torch.randn(3); torch.manual_seed(5); ab = torch.randn(2)
        manualSeed(5)
        let a = Tensor.randn(1), b = Tensor.randn(1), c = Tensor.randn(3)
        manualSeed(5)
        let ab = Tensor.randn(2)
        // PyTorch: ab
        #expect(floatBits(concat([a, b])) == floatBits([-0.4867807626724243, -0.6038215756416321]))
        // PyTorch: c
        #expect(floatBits(c) == floatBits([-0.5580962300300598, 0.6675242781639099, -0.19741509854793549]))
        // manualSeed clears the cache: an odd count followed by a reseed starts afresh
        // PyTorch: torch.manual_seed(5); x = torch.randn(1); torch.manual_seed(5); y = torch.randn(1)
        manualSeed(5)
        _ = Tensor.randn(1)
        manualSeed(5)
        // PyTorch: y
        #expect(floatBits(Tensor.randn(1)) == floatBits([-0.4867807626724243]))
        // the block path (>= 16) neither reads nor clears the cache
        // PyTorch: torch.manual_seed(9); p = torch.randn(1); q = torch.randn(16); r = torch.randn(1)
        manualSeed(9)
        let p = Tensor.randn(1), q = Tensor.randn(16), r = Tensor.randn(1)
        // PyTorch: p; q; r
        #expect(floatBits(p) == floatBits([0.04472753778100014]) && floatBits(q) == floatBits([1.4460110664367676, 0.6191256046295166, -0.7736892700195312, -2.4655654430389404, -0.9713495373725891, -0.5872728824615479, -2.324496269226074, -0.8784086108207703, 1.705946922302246, 2.228217840194702, -0.06774540990591049, 0.2330685704946518, -0.11819479614496231, 0.8437122702598572, 0.7933648228645325, -0.9539257287979126]) && floatBits(r) == floatBits([1.9112390279769897]))
    }

    @Test func float64Samples() {
        // PyTorch: torch.manual_seed(1); d5 = torch.rand(5, dtype=torch.float64); n5 = torch.randn(5, dtype=torch.float64); n20 = torch.randn(20, dtype=torch.float64); u = torch.empty(7, dtype=torch.float64).uniform_(2, 5)
        manualSeed(1)
        let d5 = Tensor.rand(5, dtype: .float64), n5 = Tensor.randn(5, dtype: .float64), n20 = Tensor.randn(20, dtype: .float64)
        let u = Tensor.empty(7, dtype: .float64).uniform_(2, 5)
        #expect(d5.dtype == .float64)
        // PyTorch: d5
        #expect(values(d5) == [0.06105327471962363, 0.2245545065676504, 0.23425251394483937, 0.17709922744775553, 0.5560680561489946])
        // PyTorch: n5
        #expect(values(n5) == [0.8590085906714707, 0.705592271166518, -0.34055499844559173, -1.2719898844500754, -1.1948244721142485])
        // PyTorch: n20
        #expect(values(n20) == [-0.21235847780647354, 1.417536747076676, 0.9852275300724078, 0.33893592696338753, -0.29860084468041753, 0.644344364616798, 0.09578445220533666, -1.5084106407056563, -0.5842388085089033, -2.067962430690414, -0.1941494909295202, 0.3637087362110191, 1.0146405705694284, 1.5557913692854093, 2.259669415942446, 2.0955714036030395, 0.21419370885074568, 1.370093892857187, 0.8451349076347527, -1.038963834549605])
        // PyTorch: u
        #expect(values(u) == [2.9652975607445304, 3.09170787738391, 2.8955295440665, 3.9905925993294793, 2.7655009034080518, 3.2431157738424012, 4.518664787669341])
    }

    @Test func uniformAndNormalFillsWithNonPowerOfTwoWidths() {
        // PyTorch: torch.manual_seed(2); u7 = torch.empty(7).uniform_(-0.3, 0.7); u33 = torch.empty(3, 11).uniform_(-1/3, 1/3); g5 = torch.empty(5).normal_(2, 3); g20 = torch.empty(20).normal_(-1, 0.37); g33 = torch.empty(33).normal_(0.5, 1.7)
        manualSeed(2)
        let u7 = Tensor.empty(7).uniform_(-0.3, 0.7)
        let u33 = Tensor.empty(3, 11).uniform_(-1.0 / 3, 1.0 / 3)
        let g5 = Tensor.empty(5).normal_(2, 3)
        let g20 = Tensor.empty(20).normal_(-1, 0.37)
        let g33 = Tensor.empty(33).normal_(0.5, 1.7)
        // PyTorch: u7
        #expect(floatBits(u7) == floatBits([0.3146950602531433, 0.08101284503936768, 0.3371143341064453, 0.17446106672286987, 0.4135938286781311, 0.3190363645553589, 0.14253264665603638]))
        // PyTorch: u33
        #expect(floatBits(u33) == floatBits([-0.269487589597702, 0.07610480487346649, -0.2951148748397827, 0.04380933567881584, 0.022152623161673546, -0.07329945266246796, 0.27256566286087036, 0.022245606407523155, 0.13822615146636963, 0.14106492698192596, -0.1966438740491867, -0.12814483046531677, 0.32057270407676697, -0.3264924883842468, -0.022639434784650803, -0.026416581124067307, 0.23643648624420166, -0.0316898450255394, 0.08777260780334473, -0.016001224517822266, -0.18664893507957458, -0.18893007934093475, -0.16194459795951843, -0.3028014898300171, -0.21632742881774902, 0.07844965159893036, 0.21938201785087585, 0.016420762985944748, -0.15279659628868103, 0.14649450778961182, -0.1279575526714325, -0.07383962720632553, -0.18273577094078064]))
        // PyTorch: g5
        #expect(floatBits(g5) == floatBits([1.822596788406372, -2.695769786834717, 3.277411699295044, -2.445394515991211, 0.57029128074646]))
        // PyTorch: g20
        #expect(floatBits(g20) == floatBits([-0.9834508895874023, -0.4134567677974701, -1.218752384185791, -0.5814494490623474, -0.7979269623756409, -1.5022797584533691, -0.576234757900238, -1.3569022417068481, -1.0956610441207886, -1.0155898332595825, -1.3535408973693848, -1.049790859222412, -1.1028380393981934, -0.7960972189903259, -0.9942985773086548, -1.3398237228393555, -1.4566556215286255, -0.9060479998588562, -0.892684280872345, -1.2306013107299805]))
        // PyTorch: g33
        #expect(floatBits(g33) == floatBits([1.3266663551330566, 0.9708080291748047, 1.518332600593567, -0.013613133691251278, -0.7657864689826965, -1.355203628540039, 3.5300374031066895, -0.20202496647834778, 1.2257564067840576, 1.6540849208831787, 2.061119556427002, 1.3172528743743896, 3.313401222229004, 1.5285040140151978, 0.8114083409309387, -2.318479061126709, -0.009081649594008923, 3.020547866821289, 0.8307297229766846, -1.433319330215454, -0.40818068385124207, 1.3856087923049927, -0.017875442281365395, 0.5595676302909851, 0.39060094952583313, 1.530469298362732, 1.0293501615524292, -2.3757638931274414, 3.567209243774414, 0.8130661249160767, -0.9055328369140625, -2.755788564682007, 0.23691099882125854]))
        // PyTorch: torch.manual_seed(4); nn_ = torch.normal(2.0, 3.0, size=(5,))
        manualSeed(4)
        // PyTorch: nn_
        #expect(floatBits(normal(2.0, 3.0, [5])) == floatBits([-2.815828800201416, 2.6974570751190186, 8.719610214233398, 4.541881561279297, 5.601933002471924]))
    }

    @Test func fillsOfNonContiguousViews() {
        // PyTorch fills a strided view in memory order, and uses the per-element normal path for it
        // PyTorch: torch.manual_seed(6); t = torch.empty(8, 4).t(); t.uniform_(); t2 = torch.empty(8, 4).t(); t2.normal_(); b = torch.zeros(4, 6); b[:, 1:5].normal_(1, 2); b2 = torch.zeros(5, 6); b2[:, ::2].uniform_(-2, 3)
        manualSeed(6)
        let t = Tensor.empty(8, 4).t()
        t.uniform_()
        let t2 = Tensor.empty(8, 4).t()
        t2.normal_()
        let b = Tensor.zeros(4, 6)
        b[.all, 1..<5].normal_(1, 2)
        let b2 = Tensor.zeros(5, 6)
        b2[.all, .stride(by: 2)].uniform_(-2, 3)
        // PyTorch: t
        #expect(floatBits(t) == floatBits([0.5721975564956665, 0.2346559762954712, 0.5601091384887695, 0.6332442164421082, 0.8644093871116638, 0.16420388221740723, 0.6173217296600342, 0.21090328693389893, 0.5538755059242249, 0.449179470539093, 0.16737735271453857, 0.7692459225654602, 0.6051731705665588, 0.28331953287124634, 0.3923313617706299, 0.4281542897224426, 0.986829936504364, 0.6743363738059998, 0.3333297371864319, 0.21470218896865845, 0.364973783493042, 0.3858189582824707, 0.1878029704093933, 0.4974134564399719, 0.6080296039581299, 0.7480074167251587, 0.4647522568702698, 0.7814956903457642, 0.2535771131515503, 0.8337479829788208, 0.837465226650238, 0.03402101993560791]))
        // PyTorch: t2
        #expect(floatBits(t2) == floatBits([0.663931667804718, -1.576441764831543, -0.6111037135124207, 0.5922176241874695, -1.9198360443115234, -0.42461395263671875, 1.294301986694336, -0.919696033000946, 0.310323029756546, -0.6679336428642273, 1.80978262424469, -0.639374852180481, 0.02908523939549923, -1.1098603010177612, -1.6916096210479736, -0.8914013504981995, -0.28780144453048706, 0.3337676227092743, -0.4968240559101105, 0.5385938286781311, 0.03981444239616394, -0.7321704030036926, -0.19434309005737305, -0.8614920973777771, -0.19864808022975922, -0.48908868432044983, -0.5998901128768921, -0.0648481547832489, -0.4480820596218109, 0.2759360373020172, -0.7330858111381531, 1.8489552736282349]))
        // PyTorch: b
        #expect(floatBits(b) == floatBits([0.0, 3.291874647140503, -1.511204719543457, 1.456627368927002, 2.778879404067993, 0.0, 0.0, 1.4203379154205322, 1.9295111894607544, -0.3407849669456482, -1.9830431938171387, 0.0, 0.0, 0.7625997066497803, 1.892607569694519, 3.574770927429199, 0.6715138554573059, 0.0, 0.0, 6.567288398742676, 1.7327913045883179, 2.7816033363342285, 0.8744020462036133, 0.0]))
        // PyTorch: b2
        #expect(floatBits(b2) == floatBits([-0.4345453977584839, 0.0, 0.6075422763824463, 0.0, 2.4193572998046875, 0.0, -0.22312772274017334, 0.0, 0.32051342725753784, 0.0, -0.7946721911430359, 0.0, 2.611112594604492, 0.0, 1.3550727367401123, 0.0, 0.19461023807525635, 0.0, -0.6258110404014587, 0.0, 2.53418231010437, 0.0, 1.8417917490005493, 0.0, 1.2676587104797363, 0.0, 1.805626630783081, 0.0, 2.6160733699798584, 0.0]))
    }

    @Test func randintAndRandperm() {
        // PyTorch: torch.manual_seed(0); i10 = torch.randint(0, 10, (10,)); i34 = torch.randint(-5, 5, (3, 4)); big = torch.randint(0, 2**30, (5,)); huge = torch.randint(-2**40, 2**40, (3,)); i1000 = torch.randint(0, 3, (1000,))
        manualSeed(0)
        let i10 = Tensor.randint(0, 10, [10])
        let i34 = Tensor.randint(-5, 5, 3, 4)
        let big = Tensor.randint(0, 1 << 30, [5])
        let huge = Tensor.randint(-(1 << 40), 1 << 40, [3])
        let i1000 = Tensor.randint(high: 3, [1000])
        // PyTorch: i10
        #expect(i10.dtype == .int64 && ints(i10) == [4, 9, 3, 0, 3, 9, 7, 3, 7, 3])
        // PyTorch: i34
        #expect(i34.shape == [3, 4] && ints(i34) == [-4, 1, 1, 4, 3, 1, 1, 3, -1, -2, 1, 4])
        // PyTorch: big
        #expect(ints(big) == [987744430, 613256017, 369705497, 375363656, 636393364])
        // PyTorch: huge
        #expect(ints(huge) == [-604008803376, -51723624763, 1091524495183])
        // PyTorch: H(i1000)
        #expect(bitHash(i1000) == 5108997043441430254)
        // PyTorch: torch.manual_seed(42); p10 = torch.randperm(10); p1 = torch.randperm(1); p100 = torch.randperm(100)
        manualSeed(42)
        let p10 = Tensor.randperm(10), p1 = Tensor.randperm(1), p100 = Tensor.randperm(100)
        // PyTorch: p10
        #expect(p10.dtype == .int64 && ints(p10) == [2, 6, 1, 8, 4, 5, 0, 9, 3, 7])
        // PyTorch: p1
        #expect(ints(p1) == [0])
        // PyTorch: H(p100)
        #expect(bitHash(p100) == 17260919383947828765)
        #expect(Set(ints(p100)) == Set(0..<100))
        // PyTorch: g = torch.Generator().manual_seed(7); gp = torch.randperm(12, generator=g); gi = torch.randint(0, 100, (4,), generator=g)
        let g = Generator(seed: 7)
        // PyTorch: gp
        #expect(ints(Tensor.randperm(12, generator: g)) == [3, 4, 0, 5, 7, 9, 11, 6, 8, 1, 10, 2])
        // PyTorch: gi
        #expect(ints(Tensor.randint(0, 100, [4], generator: g)) == [31, 8, 17, 62])
    }

    @Test func bernoulli() {
        // PyTorch: torch.manual_seed(8); b10 = torch.empty(10).bernoulli_(0.3); b40 = torch.empty(40).bernoulli_(0.75); d = torch.empty(6, dtype=torch.float64).bernoulli_(0.5); probs = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0, 0.25]); bp = torch.bernoulli(probs)
        manualSeed(8)
        let b10 = Tensor.empty(10).bernoulli_(0.3)
        let b40 = Tensor.empty(40).bernoulli_(0.75)
        let d = Tensor.empty(6, dtype: .float64).bernoulli_(0.5)
        let probs = Tensor([0.0, 0.1, 0.5, 0.9, 1.0, 0.25])
        let bp = probs.bernoulli()
        // PyTorch: b10
        #expect(values(b10) == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0])
        // PyTorch: b40
        #expect(values(b40) == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
        // PyTorch: d
        #expect(values(d) == [1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
        // PyTorch: bp
        #expect(values(bp) == [0.0, 0.0, 0.0, 1.0, 1.0, 0.0])
        // what comes after is still in step
        // PyTorch: after = torch.rand(2)
        #expect(floatBits(Tensor.rand(2)) == floatBits([0.9330572485923767, 0.8262463808059692]))
    }

    @Test func generatorsAreIndependentOfTheGlobalOne() {
        // PyTorch: g = torch.Generator().manual_seed(123); torch.manual_seed(0); a = torch.rand(2, generator=g); b = torch.rand(2); c = torch.randn(3, generator=g); d = torch.rand(2)
        let g = Generator(seed: 123)
        manualSeed(0)
        let a = Tensor.rand(2, generator: g)
        let b = Tensor.rand(2)
        let c = Tensor.randn(3, generator: g)
        let d = Tensor.rand(2)
        // PyTorch: a
        #expect(floatBits(a) == floatBits([0.29611194133758545, 0.516562283039093]))
        // PyTorch: b
        #expect(floatBits(b) == floatBits([0.49625658988952637, 0.7682217955589294]))
        // PyTorch: c
        #expect(floatBits(c) == floatBits([1.3339003324508667, 0.1122860386967659, 0.9447060823440552]))
        // PyTorch: d
        #expect(floatBits(d) == floatBits([0.08847743272781372, 0.13203048706054688]))
        // PyTorch: g0 = torch.Generator(); s0 = g0.initial_seed(); r0 = torch.rand(3, generator=g0)
        let g0 = Generator()
        // PyTorch: s0
        #expect(g0.initialSeed == 67280421310721)
        // PyTorch: r0
        #expect(floatBits(Tensor.rand(3, generator: g0)) == floatBits([0.267295241355896, 0.8725283145904541, 0.3352888226509094]))
        // PyTorch: g1 = torch.Generator().manual_seed(5); i63 = [torch.empty((), dtype=torch.int64).random_(generator=g1).item() for _ in range(3)]
        let g1 = Generator(seed: 5)
        // PyTorch: i63
        #expect((0..<3).map { _ in g1.randomInt63() } == [4095051218741643470, 6838803925648402109, 3813295331020233846])
        // re-seeding a generator, and snapshots of its state
        g1.manualSeed(5)
        let state = g1.getState()
        let first = Tensor.randn(20, generator: g1)
        g1.setState(state)
        #expect(floatBits(Tensor.randn(20, generator: g1)) == floatBits(first))
        manualSeed(77)
        #expect(initialSeed() == 77)
        // PyTorch: torch.manual_seed(11); rl = torch.rand_like(torch.zeros(2, 2)); nl = torch.randn_like(torch.zeros(3, dtype=torch.float64))
        manualSeed(11)
        // PyTorch: rl
        #expect(floatBits(Tensor.randLike(Tensor.zeros(2, 2))) == floatBits([0.14904171228408813, 0.4865531325340271, 0.985661506652832, 0.16840142011642456]))
        // PyTorch: nl
        #expect(values(Tensor.randnLike(Tensor.zeros(3, dtype: .float64))) == [-0.6995416095669132, -1.3022973799235347, -0.5132622016467678])
    }

    @Test func rngSpecTestVectors() {
        // RNG.md's table. nn.Linear(in, out) draws weight then bias with uniform_ (kaiming bound
        // sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in), bias bound 1 / sqrt(fan_in)).
        // PyTorch: torch.manual_seed(43052); l = torch.nn.Linear(1, 1)
        manualSeed(43052)
        let w = Tensor.empty(1, 1).uniform_(-1, 1), b = Tensor.empty(1).uniform_(-1, 1)
        // PyTorch: l.weight.item()
        #expect(w.item() == -0.3466869592666626 && w.item() == -0.3466869592666626)
        // PyTorch: l.bias.item()
        #expect(b.item() == -0.8470292091369629 && b.item() == -0.8470292091369629)
        // PyTorch: torch.manual_seed(0); l32 = torch.nn.Linear(3, 2)
        manualSeed(0)
        let bound = 3.0.squareRoot() * (2.0 / 6).squareRoot() / 3.0.squareRoot()
        let w32 = Tensor.empty(2, 3).uniform_(-bound, bound)
        let b32 = Tensor.empty(2).uniform_(-1 / 3.0.squareRoot(), 1 / 3.0.squareRoot())
        // PyTorch: l32.weight
        #expect(floatBits(w32) == floatBits([-0.004322517663240433, 0.3097158372402191, -0.4751853346824646, -0.4248946011066437, -0.2223689705133438, 0.15482072532176971]))
        // PyTorch: l32.bias
        #expect(floatBits(b32) == floatBits([-0.011439144611358643, 0.45777493715286255]))
        #expect(w32[0, 0].item() == -0.004322517663240433)
        // PyTorch: torch.manual_seed(0); r = torch.rand(3)
        manualSeed(0)
        expectValues(Tensor.rand(3), [0.4963, 0.7682, 0.0885], atol: 5e-5, rtol: 0)
        manualSeed(0)
        #expect(ints(Tensor.randint(0, 10, [10])) == [4, 9, 3, 0, 3, 9, 7, 3, 7, 3])
        manualSeed(42)
        #expect(ints(Tensor.randperm(10)) == [2, 6, 1, 8, 4, 5, 0, 9, 3, 7])
        manualSeed(42)
        expectValues(Tensor.randn(10)[..<3], [0.3367, 0.1288, 0.2345], atol: 5e-5, rtol: 0)
        // PyTorch: torch.manual_seed(0); n = torch.randn(1024)[213]
        manualSeed(0)
        // PyTorch: n.item()
        #expect(Tensor.randn(1024)[213].item() == 0.9868360757827759)
    }
}
}
