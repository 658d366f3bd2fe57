import Testing
import Descent

extension Core {
@Suite struct Elementwise {
    // PyTorch: a = torch.tensor([[0.5, -1.25, 2.0], [3.0, -0.75, 1.5]]); b = torch.tensor([0.25, 2.0, -4.0]); c = torch.tensor([[2.0], [-0.5]])
    let a = Tensor([[0.5, -1.25, 2.0], [3.0, -0.75, 1.5]])
    let b = Tensor([0.25, 2.0, -4.0])
    let c = Tensor([[2.0], [-0.5]])

    @Test func arithmeticWithBroadcasting() {
        // PyTorch: a + b; list((a + b).shape)
        expectValues(a + b, [0.75, 0.75, -2.0, 3.25, 1.25, -2.5], shape: [2, 3], dtype: .float32)
        // PyTorch: a - b
        expectValues(a - b, [0.25, -3.25, 6.0, 2.75, -2.75, 5.5])
        // PyTorch: a * b
        expectValues(a * b, [0.125, -2.5, -8.0, 0.75, -1.5, -6.0])
        // PyTorch: a / b
        expectValues(a / b, [2.0, -0.625, -0.5, 12.0, -0.375, -0.375])
        // PyTorch: a + c
        expectValues(a + c, [2.5, 0.75, 4.0, 2.5, -1.25, 1.0])
        // PyTorch: a / c
        expectValues(a / c, [0.25, -0.625, 1.0, -6.0, 1.5, -3.0])
        // PyTorch: c - b; list((c - b).shape)
        expectValues(c - b, [1.75, 0.0, 6.0, -0.75, -2.5, 3.5], shape: [2, 3])
        // PyTorch: b * c; list((b * c).shape)
        expectValues(b * c, [0.5, 4.0, -8.0, -0.125, -1.0, 2.0], shape: [2, 3])
        // PyTorch: -a
        expectValues(-a, [-0.5, 1.25, -2.0, -3.0, 0.75, -1.5])
        // PyTorch: z = torch.zeros(4, 1, 3) + torch.ones(2, 1)
        // PyTorch: list(z.shape)
        #expect((Tensor.zeros(4, 1, 3) + Tensor.ones(2, 1)).shape == [4, 2, 3])
    }

    @Test func scalarsOnEitherSide() {
        // PyTorch: a * 2
        expectValues(a * 2, [1.0, -2.5, 4.0, 6.0, -1.5, 3.0])
        // PyTorch: 2 * a
        expectValues(2 * a, [1.0, -2.5, 4.0, 6.0, -1.5, 3.0])
        // PyTorch: a - 1.5
        expectValues(a - 1.5, [-1.0, -2.75, 0.5, 1.5, -2.25, 0.0])
        // PyTorch: 1.5 - a
        expectValues(1.5 - a, [1.0, 2.75, -0.5, -1.5, 2.25, 0.0])
        // PyTorch: a / 4
        expectValues(a / 4, [0.125, -0.3125, 0.5, 0.75, -0.1875, 0.375])
        // PyTorch: 4 / a
        expectValues(4 / a, [8.0, -3.200000047683716, 2.0, 1.3333333730697632, -5.333333492279053, 2.6666667461395264])
        // PyTorch: a + 1
        expectValues(a + 1, [1.5, -0.25, 3.0, 4.0, 0.25, 2.5])
        // PyTorch: 1 - a
        expectValues(1 - a, [0.5, 2.25, -1.0, -2.0, 1.75, -0.5])
        // PyTorch: 0.1 + a
        expectValues(0.1 + a, [0.6000000238418579, -1.149999976158142, 2.0999999046325684, 3.0999999046325684, -0.6499999761581421, 1.600000023841858])
        // PyTorch: a * 0.3
        expectValues(a * Float(0.3), [0.15000000596046448, -0.375, 0.6000000238418579, 0.9000000357627869, -0.22500000894069672, 0.45000001788139343])
        // the scalar keeps double precision until the operation, as in PyTorch
        // PyTorch: p = torch.tensor([1.0, 3.0]) * 0.1
        #expect(floatBits(Tensor([1.0, 3.0]) * 0.1) == floatBits([0.10000000149011612, 0.30000001192092896]))
        // PyTorch: q = torch.tensor([1.0, 3.0]) / 3.0
        #expect(floatBits(Tensor([1.0, 3.0]) / 3.0) == floatBits([0.3333333432674408, 1.0]))
        // a number on the left: `3 / x` is x.reciprocal() * 3 in PyTorch, which rounds differently from 3 / x
        // PyTorch: xr = torch.linspace(0.1, 10, 37); rd = 3 / xr; rs = 1 - xr
        let xr = Tensor.linspace(0.1, 10, count: 37)
        // PyTorch: rd
        #expect(floatBits(3 / xr) == floatBits([30.0, 8.000000953674316, 4.615384578704834, 3.243243455886841, 2.5, 2.03389835357666, 1.7142858505249023, 1.4814815521240234, 1.3043479919433594, 1.165048599243164, 1.0526316165924072, 0.9600000381469727, 0.8823530673980713, 0.8163265585899353, 0.7594937682151794, 0.7100592851638794, 0.6666667461395264, 0.628272294998169, 0.5940593481063843, 0.563380241394043, 0.5357142686843872, 0.5106382369995117, 0.4878048300743103, 0.46692603826522827, 0.4477611780166626, 0.4301075041294098, 0.41379308700561523, 0.39867109060287476, 0.38461536169052124, 0.37151703238487244, 0.35928142070770264, 0.3478260934352875, 0.33707866072654724, 0.3269754648208618, 0.317460298538208, 0.3084832727909088, 0.30000001192092896]))
        // PyTorch: rd
        #expect(floatBits(3.0 / xr) == floatBits([30.0, 8.000000953674316, 4.615384578704834, 3.243243455886841, 2.5, 2.03389835357666, 1.7142858505249023, 1.4814815521240234, 1.3043479919433594, 1.165048599243164, 1.0526316165924072, 0.9600000381469727, 0.8823530673980713, 0.8163265585899353, 0.7594937682151794, 0.7100592851638794, 0.6666667461395264, 0.628272294998169, 0.5940593481063843, 0.563380241394043, 0.5357142686843872, 0.5106382369995117, 0.4878048300743103, 0.46692603826522827, 0.4477611780166626, 0.4301075041294098, 0.41379308700561523, 0.39867109060287476, 0.38461536169052124, 0.37151703238487244, 0.35928142070770264, 0.3478260934352875, 0.33707866072654724, 0.3269754648208618, 0.317460298538208, 0.3084832727909088, 0.30000001192092896]))
        let three = 3.0
        // PyTorch: rd
        #expect(floatBits(three / xr) == floatBits([30.0, 8.000000953674316, 4.615384578704834, 3.243243455886841, 2.5, 2.03389835357666, 1.7142858505249023, 1.4814815521240234, 1.3043479919433594, 1.165048599243164, 1.0526316165924072, 0.9600000381469727, 0.8823530673980713, 0.8163265585899353, 0.7594937682151794, 0.7100592851638794, 0.6666667461395264, 0.628272294998169, 0.5940593481063843, 0.563380241394043, 0.5357142686843872, 0.5106382369995117, 0.4878048300743103, 0.46692603826522827, 0.4477611780166626, 0.4301075041294098, 0.41379308700561523, 0.39867109060287476, 0.38461536169052124, 0.37151703238487244, 0.35928142070770264, 0.3478260934352875, 0.33707866072654724, 0.3269754648208618, 0.317460298538208, 0.3084832727909088, 0.30000001192092896]))
        // PyTorch: rs
        #expect(floatBits(1 - xr) == floatBits([0.8999999761581421, 0.625, 0.3500000238418579, 0.07500004768371582, -0.19999992847442627, -0.47499990463256836, -0.7499998807907104, -1.0249998569488525, -1.299999713897705, -1.5749998092651367, -1.8499996662139893, -2.124999761581421, -2.3999996185302734, -2.674999713897705, -2.9499995708465576, -3.22499942779541, -3.499999523162842, -3.7749996185302734, -4.050000190734863, -4.325000286102295, -4.600000381469727, -4.875000476837158, -5.15000057220459, -5.425000190734863, -5.700000286102295, -5.975000381469727, -6.25, -6.525000095367432, -6.800000190734863, -7.074999809265137, -7.350000381469727, -7.625, -7.899999618530273, -8.175000190734863, -8.449999809265137, -8.725000381469727, -9.0]))
        var acc = Tensor([1.0, 2.0])
        acc += Tensor([0.5, 0.5])
        acc *= Tensor([2.0, 4.0])
        acc -= Tensor([1.0, 1.0])
        acc /= Tensor([2.0, 2.0])
        // PyTorch: acc = ((torch.tensor([1.0, 2.0]) + 0.5) * torch.tensor([2.0, 4.0]) - 1) / 2
        #expect(values(acc) == [1.0, 4.5])
    }

    @Test func powers() {
        // PyTorch: a.pow(2)
        expectValues(a.pow(2), [0.25, 1.5625, 4.0, 9.0, 0.5625, 2.25])
        // PyTorch: a.pow(3)
        expectValues(a.pow(3), [0.125, -1.953125, 8.0, 27.0, -0.421875, 3.375])
        // PyTorch: a.abs().pow(0.5)
        expectValues(a.abs().pow(0.5), [0.7071067690849304, 1.1180340051651, 1.4142135381698608, 1.7320507764816284, 0.8660253882408142, 1.2247449159622192])
        // PyTorch: a.abs().pow(-1.5)
        expectValues(a.abs().pow(-1.5), [2.8284270763397217, 0.7155417799949646, 0.3535533845424652, 0.19245009124279022, 1.5396007299423218, 0.5443310737609863])
        // PyTorch: a.abs().pow(b)
        expectValues(a.abs().pow(b), [0.8408964276313782, 1.5625, 0.0625, 1.316074013710022, 0.5625, 0.1975308656692505])
        // PyTorch: torch.pow(a, 2)
        expectValues(pow(a, 2), [0.25, 1.5625, 4.0, 9.0, 0.5625, 2.25])
        // PyTorch: torch.pow(c.abs(), a)
        expectValues(pow(c.abs(), a), [1.4142135381698608, 0.4204482138156891, 4.0, 0.125, 1.6817928552627563, 0.3535533845424652], shape: [2, 3])
        // PyTorch: a.square()
        expectValues(a.square(), [0.25, 1.5625, 4.0, 9.0, 0.5625, 2.25])
        // PyTorch: ip = torch.tensor([1, 2, 3]).pow(2)
        let ip = Tensor([1, 2, 3]).pow(2)
        // PyTorch: ip.dtype; ip
        #expect(ip.dtype == .int64 && ints(ip) == [1, 4, 9])
    }

    @Test func unaryFunctions() {
        // PyTorch: a.exp()
        expectValues(a.exp(), [1.6487212181091309, 0.2865048050880432, 7.389056205749512, 20.08553695678711, 0.4723665416240692, 4.481688976287842])
        // PyTorch: a.abs().log()
        expectValues(a.abs().log(), [-0.6931471824645996, 0.2231435477733612, 0.6931471824645996, 1.0986123085021973, -0.28768208622932434, 0.40546509623527527])
        // PyTorch: a.abs().sqrt()
        expectValues(a.abs().sqrt(), [0.7071067690849304, 1.1180340051651, 1.4142135381698608, 1.7320507764816284, 0.8660253882408142, 1.2247449159622192])
        // PyTorch: a.abs()
        expectValues(a.abs(), [0.5, 1.25, 2.0, 3.0, 0.75, 1.5])
        // PyTorch: a.sin()
        expectValues(a.sin(), [0.4794255495071411, -0.9489846229553223, 0.9092974066734314, 0.14112000167369843, -0.681638777256012, 0.9974949955940247])
        // PyTorch: a.cos()
        expectValues(a.cos(), [0.8775825500488281, 0.3153223693370819, -0.416146844625473, -0.9899924993515015, 0.7316888570785522, 0.07073719799518585])
        // PyTorch: a.tanh()
        expectValues(a.tanh(), [0.46211716532707214, -0.8482836484909058, 0.9640275835990906, 0.9950547814369202, -0.6351489424705505, 0.9051482677459717])
        // PyTorch: a.sigmoid()
        expectValues(a.sigmoid(), [0.622459352016449, 0.22270013391971588, 0.8807970285415649, 0.9525741338729858, 0.32082128524780273, 0.8175744414329529])
        // PyTorch: a.relu()
        expectValues(a.relu(), [0.5, 0.0, 2.0, 3.0, 0.0, 1.5])
        // PyTorch: a.neg()
        expectValues(a.neg(), [-0.5, 1.25, -2.0, -3.0, 0.75, -1.5])
        // free-function forms
        // PyTorch: torch.exp(a)
        expectValues(exp(a), [1.6487212181091309, 0.2865048050880432, 7.389056205749512, 20.08553695678711, 0.4723665416240692, 4.481688976287842])
        // PyTorch: torch.log(a.abs())
        expectValues(log(a.abs()), [-0.6931471824645996, 0.2231435477733612, 0.6931471824645996, 1.0986123085021973, -0.28768208622932434, 0.40546509623527527])
        // PyTorch: torch.sqrt(a.abs())
        expectValues(sqrt(a.abs()), [0.7071067690849304, 1.1180340051651, 1.4142135381698608, 1.7320507764816284, 0.8660253882408142, 1.2247449159622192])
        // PyTorch: torch.abs(a)
        expectValues(abs(a), [0.5, 1.25, 2.0, 3.0, 0.75, 1.5])
        // PyTorch: torch.sin(a)
        expectValues(sin(a), [0.4794255495071411, -0.9489846229553223, 0.9092974066734314, 0.14112000167369843, -0.681638777256012, 0.9974949955940247])
        // PyTorch: torch.cos(a)
        expectValues(cos(a), [0.8775825500488281, 0.3153223693370819, -0.416146844625473, -0.9899924993515015, 0.7316888570785522, 0.07073719799518585])
        // PyTorch: torch.tanh(a)
        expectValues(tanh(a), [0.46211716532707214, -0.8482836484909058, 0.9640275835990906, 0.9950547814369202, -0.6351489424705505, 0.9051482677459717])
        // PyTorch: torch.sigmoid(a)
        expectValues(sigmoid(a), [0.622459352016449, 0.22270013391971588, 0.8807970285415649, 0.9525741338729858, 0.32082128524780273, 0.8175744414329529])
        // PyTorch: torch.relu(a)
        expectValues(relu(a), [0.5, 0.0, 2.0, 3.0, 0.0, 1.5])
        // PyTorch: sp = torch.tensor([-100.0, -20.0, 0.0, 20.0, 100.0])
        let sp = Tensor([-100.0, -20.0, 0.0, 20.0, 100.0])
        // PyTorch: sp.sigmoid()
        expectValues(sp.sigmoid(), [0.0, 2.06115369216775e-09, 0.5, 1.0, 1.0], atol: 0)
        // PyTorch: sp.tanh()
        expectValues(sp.tanh(), [-1.0, -1.0, 0.0, 1.0, 1.0], atol: 0)
        // PyTorch: sp.exp()
        expectValues(sp.exp(), [3.783505853677006e-44, 2.06115369216775e-09, 1.0, 485165184.0, .infinity])
        // PyTorch: li = torch.tensor([0.0, -1.0]).log()
        expectValues(Tensor([0.0, -1.0]).log(), [-.infinity, .nan])
        // integer inputs of float functions give float32
        // PyTorch: ie = torch.tensor([0, 1, 2]).exp()
        let ie = Tensor([0, 1, 2]).exp()
        // PyTorch: ie.dtype
        #expect(ie.dtype == .float32)
        // PyTorch: ie
        expectValues(ie, [1.0, 2.7182817459106445, 7.389056205749512])
    }

    @Test func largeTensorsUseTheSameMath() {
        // big enough for the vectorised and threaded paths, with a ragged tail
        // PyTorch: big = torch.linspace(-6, 6, 100003)
        let big = Tensor.linspace(-6, 6, count: 100003)
        // PyTorch: idx = [0, 1, 7, 8, 15, 16, 4097, 50001, 99999, 100002]
        let idx = Tensor([0, 1, 7, 8, 15, 16, 4097, 50001, 99999, 100002])
        // PyTorch: big.exp()[idx]
        expectValues(big.exp()[idx], [0.0024787522852420807, 0.002479050075635314, 0.0024808356538414955, 0.002481132512912154, 0.0024832182098180056, 0.002483515301719308, 0.004052708391100168, 0.9999998211860657, 403.2835693359375, 403.4288024902344])
        // PyTorch: big.sigmoid()[idx]
        expectValues(big.sigmoid()[idx], [0.0024726230185478926, 0.0024729196447879076, 0.0024746963754296303, 0.002474991837516427, 0.002477067057043314, 0.0024773627519607544, 0.004036350175738335, 0.5, 0.9975264668464661, 0.9975274205207825])
        // PyTorch: big.tanh()[idx]
        expectValues(big.tanh()[idx], [-0.9999877214431763, -0.9999877214431763, -0.9999876618385315, -0.9999876618385315, -0.9999876618385315, -0.9999876618385315, -0.9999671578407288, -1.5652767615392804e-07, 0.9999877214431763, 0.9999877214431763])
        // PyTorch: (big * big + 1)[idx]
        expectValues((big * big + 1)[idx], [37.0, 36.998558044433594, 36.98991775512695, 36.98848342895508, 36.97840118408203, 36.976966857910156, 31.342138290405273, 1.0, 36.99568176269531, 37.0])
        // PyTorch: big.relu()[idx]
        expectValues(big.relu()[idx], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.999639987945557, 6.0])
        // PyTorch: s = big.exp().sum()
        expectValues(big.exp().sum(), [3362154.5], rtol: 1e-5)
        // PyTorch: s2 = big.sin().abs().sum()
        expectValues(big.sin().abs().sum(), [66004.4375], rtol: 1e-5)
        // column sums with cancellation, PyTorch's float32 result to the bit (the float64 sums are -6.04787872, -4.39346232, 405.90388203)
        // PyTorch: m = (big.reshape(-1, 1)[:100000].reshape(400, 250) + torch.linspace(0, 1, 250)).sum(0)[[0, 1, 249]]
        let m = (big.reshape(-1, 1)[..<100000].reshape(400, 250) + Tensor.linspace(0, 1, count: 250)).sum(dim: 0)
        #expect(floatBits(m[Tensor([0, 1, 249])]) == floatBits([-6.0479736328125, -4.3935546875, 405.90386962890625]))
    }

    @Test func clampMaximumMinimumWhere() {
        // PyTorch: a.clamp(min=-1, max=1)
        expectValues(a.clamp(min: -1, max: 1), [0.5, -1.0, 1.0, 1.0, -0.75, 1.0])
        // PyTorch: a.clamp(min=0)
        expectValues(a.clamp(min: 0), [0.5, 0.0, 2.0, 3.0, 0.0, 1.5])
        // PyTorch: a.clamp(max=0.6)
        expectValues(a.clamp(max: 0.6), [0.5, -1.25, 0.6000000238418579, 0.6000000238418579, -0.75, 0.6000000238418579])
        // PyTorch: torch.clamp(a, -0.8, 1.6)
        expectValues(clamp(a, min: -0.8, max: 1.6), [0.5, -0.800000011920929, 1.600000023841858, 1.600000023841858, -0.75, 1.5])
        // PyTorch: torch.maximum(a, b)
        expectValues(a.maximum(b), [0.5, 2.0, 2.0, 3.0, 2.0, 1.5])
        // PyTorch: torch.maximum(a, c)
        expectValues(maximum(a, c), [2.0, 2.0, 2.0, 3.0, -0.5, 1.5])
        // PyTorch: torch.minimum(a, c)
        expectValues(a.minimum(c), [0.5, -1.25, 2.0, -0.5, -0.75, -0.5])
        // PyTorch: torch.minimum(b, a)
        expectValues(minimum(b, a), [0.25, -1.25, -4.0, 0.25, -0.75, -4.0])
        // PyTorch: torch.where(a > 0, a, b)
        expectValues(`where`(a .> 0, a, b), [0.5, 2.0, 2.0, 3.0, 2.0, 1.5])
        // PyTorch: torch.where(a > 0, a, 0.0)
        expectValues(`where`(a .> 0, a, 0.0), [0.5, 0.0, 2.0, 3.0, 0.0, 1.5])
        // PyTorch: torch.where(b < 1, -1.0, c)
        expectValues(`where`(b .< 1, -1.0, c), [-1.0, 2.0, -1.0, -1.0, -0.5, -1.0], shape: [2, 3])
        // PyTorch: cm = torch.clamp(torch.tensor([1, 5, 9]), 2, 6)
        let cm = Tensor([1, 5, 9]).clamp(min: 2, max: 6)
        // PyTorch: cm.dtype; cm
        #expect(cm.dtype == .int64 && ints(cm) == [2, 5, 6])
    }

    @Test func comparisonsReturnBool() {
        // PyTorch: x = torch.tensor([1.0, 2.0, 3.0, 4.0]); y = torch.tensor([1.0, 3.0, 3.0, 2.0])
        let x = Tensor([1.0, 2.0, 3.0, 4.0]), y = Tensor([1.0, 3.0, 3.0, 2.0])
        // PyTorch: (x == y).dtype
        #expect((x .== y).dtype == .bool)
        // PyTorch: x == y
        #expect(bools(x .== y) == [true, false, true, false])
        // PyTorch: x != y
        #expect(bools(x .!= y) == [false, true, false, true])
        // PyTorch: x < y
        #expect(bools(x .< y) == [false, true, false, false])
        // PyTorch: x <= y
        #expect(bools(x .<= y) == [true, true, true, false])
        // PyTorch: x > y
        #expect(bools(x .> y) == [false, false, false, true])
        // PyTorch: x >= y
        #expect(bools(x .>= y) == [true, false, true, true])
        // PyTorch: x > 2.5
        #expect(bools(x .> 2.5) == [false, false, true, true])
        // PyTorch: x == 3
        #expect(bools(x .== 3) == [false, false, true, false])
        // PyTorch: x <= 2
        #expect(bools(x .<= 2) == [true, true, false, false])
        // PyTorch: bc = x.reshape(-1, 1) < y
        // PyTorch: list(bc.shape); bc
        #expect((x.reshape(-1, 1) .< y).shape == [4, 4] && bools(x.reshape(-1, 1) .< y) == [false, true, true, true, false, true, true, false, false, false, false, false, false, false, false, false])
        // PyTorch: ic = torch.tensor([1, 2, 3]) == torch.tensor([1.0, 2.5, 3.0])
        #expect(bools(Tensor([1, 2, 3]) .== Tensor([1.0, 2.5, 3.0])) == [true, false, true])
        // PyTorch: acc = ((torch.tensor([2, 1, 0, 2, 0]) == torch.tensor([2, 1, 2, 2, 0])).float().mean())
        // PyTorch: acc.item()
        #expect((Tensor([2, 1, 0, 2, 0]) .== Tensor([2, 1, 2, 2, 0])).float().mean().item() == 0.800000011920929)
    }

    @Test func conversions() {
        // PyTorch: f = torch.tensor([1, 2, -3]).float()
        let f = Tensor([1, 2, -3]).float()
        // PyTorch: f.dtype; f
        #expect(f.dtype == .float32 && values(f) == [1.0, 2.0, -3.0])
        // PyTorch: l = torch.tensor([1.7, -1.7, 2.5, -0.5]).long()
        let l = Tensor([1.7, -1.7, 2.5, -0.5]).long()
        // PyTorch: l.dtype; l
        #expect(l.dtype == .int64 && ints(l) == [1, -1, 2, 0])
        // PyTorch: d = torch.tensor([0.1, 0.2]).to(torch.float64)
        let d = Tensor([0.1, 0.2]).to(dtype: .float64)
        // PyTorch: d.dtype; d
        #expect(d.dtype == .float64 && values(d) == [0.10000000149011612, 0.20000000298023224])
        // PyTorch: bf = torch.tensor([True, False]).float()
        #expect(values(Tensor([true, false]).float()) == [1.0, 0.0])
        // PyTorch: tb = torch.tensor([0.0, 0.5, -2.0]).to(torch.bool)
        #expect(bools(Tensor([0.0, 0.5, -2.0]).to(dtype: .bool)) == [false, true, true])
        // PyTorch: u8 = torch.tensor([300, -1, 7]).to(torch.uint8)
        #expect(ints(Tensor([300, -1, 7]).to(dtype: .uint8)) == [44, 255, 7])
        #expect(Tensor([1.5]).double().dtype == .float64 && Tensor([1]).to(dtype: .int64).dtype == .int64)
    }

    @Test func typePromotion() {
        // PyTorch: r = torch.tensor([1, 2, 3]) * 2.5
        let r = Tensor([1, 2, 3]) * 2.5
        // PyTorch: r.dtype; r
        #expect(r.dtype == .float32 && values(r) == [2.5, 5.0, 7.5])
        // PyTorch: q = torch.tensor([1, 2, 3]) / torch.tensor([2, 2, 2])
        let q = Tensor([1, 2, 3]) / Tensor([2, 2, 2])
        // PyTorch: q.dtype; q
        #expect(q.dtype == .float32 && values(q) == [0.5, 1.0, 1.5])
        // PyTorch: q2 = torch.tensor([7]) / 2
        // PyTorch: q2.dtype; q2
        #expect((Tensor([7]) / 2).dtype == .float32 && values(Tensor([7]) / 2) == [3.5])
        // PyTorch: s = torch.tensor([1.0, 2.0]) + torch.tensor(2.5, dtype=torch.float64)
        let s = Tensor([1.0, 2.0]) + Tensor(2.5, dtype: .float64)
        // PyTorch: s.dtype; s
        #expect(s.dtype == .float32 && values(s) == [3.5, 4.5])
        // PyTorch: s2 = torch.tensor([1, 2]) + torch.tensor(2.5, dtype=torch.float64)
        let s2 = Tensor([1, 2]) + Tensor(2.5, dtype: .float64)
        // PyTorch: s2.dtype; s2
        #expect(s2.dtype == .float64 && values(s2) == [3.5, 4.5])
        // PyTorch: s3 = torch.tensor([1.0, 2.0]) + torch.tensor([2.5], dtype=torch.float64)
        // PyTorch: s3.dtype
        #expect((Tensor([1.0, 2.0]) + Tensor([2.5], dtype: .float64)).dtype == .float64)
        // PyTorch: s4 = torch.tensor([1, 2]) + 1
        // PyTorch: s4.dtype; s4
        #expect((Tensor([1, 2]) + 1).dtype == .int64 && ints(Tensor([1, 2]) + 1) == [2, 3])
        // PyTorch: s5 = torch.tensor([1, 2], dtype=torch.uint8) + 3
        // PyTorch: s5.dtype
        #expect((Tensor([1, 2], dtype: .uint8) + 3).dtype == .uint8)
        // PyTorch: s6 = torch.tensor([True, False]) * 2
        // PyTorch: s6.dtype; s6
        #expect((Tensor([true, false]) * 2).dtype == .int64 && ints(Tensor([true, false]) * 2) == [2, 0])
        // PyTorch: s7 = torch.tensor([1, 2]) + torch.tensor([True, False])
        // PyTorch: s7.dtype; s7
        #expect((Tensor([1, 2]) + Tensor([true, false])).dtype == .int64 && ints(Tensor([1, 2]) + Tensor([true, false])) == [2, 2])
        // PyTorch: s8 = torch.tensor([1.5], dtype=torch.float64) * 2.5
        // PyTorch: s8.dtype
        #expect((Tensor([1.5], dtype: .float64) * 2.5).dtype == .float64)
        // PyTorch: s9 = torch.tensor([1, 2], dtype=torch.uint8) * torch.tensor([3])
        // PyTorch: s9.dtype
        #expect((Tensor([1, 2], dtype: .uint8) * Tensor([3])).dtype == .int64)
        // PyTorch: s10 = torch.tensor(2) * torch.tensor([1.5, 2.0])
        // PyTorch: s10.dtype
        #expect((Tensor(2) * Tensor([1.5, 2.0])).dtype == .float32)
        // a float literal meets a float64 tensor with its double value
        // PyTorch: s12 = torch.tensor([1.0, 3.0], dtype=torch.float64) * 0.1
        // PyTorch: s12.dtype; s12
        #expect((Tensor([1.0, 3.0], dtype: .float64) * 0.1).dtype == .float64 && values(Tensor([1.0, 3.0], dtype: .float64) * 0.1) == [0.1, 0.30000000000000004])
        let tenth = 0.1
        // PyTorch: s12
        #expect(values(Tensor([1.0, 3.0], dtype: .float64) * tenth) == [0.1, 0.30000000000000004])
        // PyTorch: s13 = 0.1 - torch.tensor([1.0], dtype=torch.float64)
        #expect(values(0.1 - Tensor([1.0], dtype: .float64)) == [-0.9])
        // PyTorch: s14 = torch.where(torch.tensor([True, False]), torch.tensor([1.0, 1.0], dtype=torch.float64), 0.1)
        #expect(values(`where`(Tensor([true, false]), Tensor([1.0, 1.0], dtype: .float64), 0.1)) == [1.0, 0.1])
        // PyTorch: s11 = 1 - torch.tensor([0.25]).to(torch.float64)
        // PyTorch: s11.dtype; s11
        #expect((1 - Tensor([0.25], dtype: .float64)).dtype == .float64 && values(1 - Tensor([0.25], dtype: .float64)) == [0.75])
    }
}

@Suite struct Reductions {
    // PyTorch: x = torch.tensor([[1.5, -2.0, 3.25, 0.5], [4.0, 0.75, -1.0, 2.0], [-3.5, 1.25, 2.5, 6.0]])
    let x = Tensor([[1.5, -2.0, 3.25, 0.5], [4.0, 0.75, -1.0, 2.0], [-3.5, 1.25, 2.5, 6.0]])
    // PyTorch: y = torch.arange(24.0).reshape(2, 3, 4).sin() * 3
    let y = Tensor.arange(0.0, 24.0).reshape(2, 3, 4).sin() * 3

    @Test func sumAndMean() {
        // PyTorch: x.sum()
        expectValues(x.sum(), [15.25], shape: [])
        // PyTorch: x.sum(0); list(x.sum(0).shape)
        expectValues(x.sum(dim: 0), [2.0, 0.0, 4.75, 8.5], shape: [4])
        // PyTorch: x.sum(1, keepdim=True); list(x.sum(1, keepdim=True).shape)
        expectValues(x.sum(dim: 1, keepDim: true), [3.25, 5.75, 6.25], shape: [3, 1])
        // PyTorch: x.sum(-1)
        expectValues(x.sum(dim: -1), [3.25, 5.75, 6.25])
        // PyTorch: y.sum((0, 2)); list(y.sum((0, 2)).shape)
        expectValues(y.sum(dims: [0, 2]), [10.249133110046387, -9.565699577331543, 2.25598406791687], shape: [3])
        // PyTorch: y.sum((0, 2), keepdim=True); list(y.sum((0, 2), keepdim=True).shape)
        expectValues(y.sum(dims: [0, 2], keepDim: true), [10.249133110046387, -9.565699577331543, 2.25598406791687], shape: [1, 3, 1])
        // PyTorch: x.mean()
        expectValues(x.mean(), [1.2708333730697632], shape: [])
        // PyTorch: x.mean(0)
        expectValues(x.mean(dim: 0), [0.6666666865348816, 0.0, 1.5833333730697632, 2.8333332538604736])
        // PyTorch: x.mean(1, keepdim=True)
        expectValues(x.mean(dim: 1, keepDim: true), [0.8125, 1.4375, 1.5625], shape: [3, 1])
        // PyTorch: y.mean((1, 2))
        expectValues(y.mean(dims: [1, 2]), [0.10279951244592667, 0.14215199649333954])
        // PyTorch: y.mean((-1, 0), keepdim=True); list(y.mean((-1, 0), keepdim=True).shape)
        expectValues(y.mean(dims: [-1, 0], keepDim: true), [1.2811416387557983, -1.1957124471664429, 0.28199800848960876], shape: [1, 3, 1])
        // PyTorch: si = torch.tensor([[1, 2], [3, 4]]).sum()
        let si = Tensor([[1, 2], [3, 4]]).sum()
        // PyTorch: si.dtype; si.item()
        #expect(si.dtype == .int64 && si.item() == 10)
        // PyTorch: sb = torch.tensor([True, True, False]).sum()
        // PyTorch: sb.dtype; sb.item()
        #expect(Tensor([true, true, false]).sum().dtype == .int64 && Tensor([true, true, false]).sum().item() == 2)
        // a non-contiguous input
        // PyTorch: x.t().sum(1)
        expectValues(x.t().sum(dim: 1), [2.0, 0.0, 4.75, 8.5])
    }

    @Test func maxMinArgmaxArgmin() {
        // PyTorch: x.max()
        expectValues(x.max(), [6.0], shape: [])
        // PyTorch: x.min()
        expectValues(x.min(), [-3.5])
        // PyTorch: mx = x.max(dim=1)
        let mx = x.max(dim: 1)
        // PyTorch: mx.values; list(mx.values.shape)
        expectValues(mx.values, [3.25, 4.0, 6.0], shape: [3])
        // PyTorch: mx.indices
        #expect(ints(mx.indices) == [2, 0, 3])
        // PyTorch: mn = x.min(dim=0, keepdim=True)
        let mn = x.min(dim: 0, keepDim: true)
        // PyTorch: mn.values; list(mn.values.shape)
        expectValues(mn.values, [-3.5, -2.0, -1.0, 0.5], shape: [1, 4])
        // PyTorch: mn.indices
        #expect(ints(mn.indices) == [2, 0, 1, 0])
        // PyTorch: am = x.argmax(dim=1)
        // PyTorch: am; am.dtype
        #expect(ints(x.argmax(dim: 1)) == [2, 0, 3] && x.argmax(dim: 1).dtype == .int64)
        // PyTorch: x.argmin(dim=0)
        #expect(ints(x.argmin(dim: 0)) == [2, 0, 1, 0])
        // PyTorch: x.argmax(dim=0, keepdim=True)
        #expect(ints(x.argmax(dim: 0, keepDim: true)) == [1, 2, 0, 2] && x.argmax(dim: 0, keepDim: true).shape == [1, 4])
        // PyTorch: x.argmax().item(); x.argmin().item()
        #expect(x.argmax().item() == 11 && x.argmin().item() == 8)
        // PyTorch: y.argmax(dim=1)
        #expect(ints(y.argmax(dim: 1)) == [2, 0, 0, 1, 2, 2, 0, 0])
        // PyTorch: y.argmin(dim=-1)
        #expect(ints(y.argmin(dim: -1)) == [0, 1, 3, 0, 1, 3])
        // ties: the first index wins
        // PyTorch: t = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]).argmax(dim=1)
        #expect(ints(Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]).argmax(dim: 1)) == [1, 0])
        // PyTorch: netout = torch.tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        let netout = Tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        // PyTorch: netout.argmax(dim=1)
        #expect(ints(netout.argmax(dim: 1)) == [2, 0, 2, 2, 0])
        // PyTorch: ymx = y.max(dim=2)
        // PyTorch: ymx.values
        expectValues(y.max(dim: 2).values, [2.7278921604156494, 1.9709597826004028, 2.9680747985839844, 2.9718222618103027, 0.44963163137435913, 2.7388358116149902])
    }

    @Test func nanPropagates() {
        // PyTorch: n = torch.tensor([[1.0, float('nan'), 3.0], [2.0, 0.5, -1.0]])
        let n = Tensor([[1.0, Double.nan, 3.0], [2.0, 0.5, -1.0]])
        // PyTorch: n.max()
        expectValues(n.max(), [.nan])
        // PyTorch: n.min()
        expectValues(n.min(), [.nan])
        // PyTorch: n.max(1).values
        expectValues(n.max(dim: 1).values, [.nan, 2.0])
        // PyTorch: n.max(1).indices
        #expect(ints(n.max(dim: 1).indices) == [1, 0])
        // PyTorch: n.argmax(1); n.argmin(1)
        #expect(ints(n.argmax(dim: 1)) == [1, 0] && ints(n.argmin(dim: 1)) == [1, 2])
        // PyTorch: n.argmax().item()
        #expect(n.argmax().item() == 1)
        // PyTorch: n.sum(0)
        expectValues(n.sum(dim: 0), [3.0, .nan, 2.0])
        // PyTorch: n.logsumexp(1)
        expectValues(n.logsumexp(dim: 1), [.nan, 2.2413113117218018])
        // PyTorch: n.softmax(1)
        expectValues(n.softmax(dim: 1), [.nan, .nan, .nan, 0.785597026348114, 0.17529039084911346, 0.03911257162690163])
        // PyTorch: torch.maximum(n, torch.tensor(2.0))
        expectValues(n.maximum(Tensor(2.0)), [2.0, .nan, 3.0, 2.0, 2.0, 2.0])
        // PyTorch: torch.minimum(n, torch.tensor(2.0))
        expectValues(n.minimum(Tensor(2.0)), [1.0, .nan, 2.0, 2.0, 0.5, -1.0])
        // PyTorch: n.clamp(0, 1)
        expectValues(n.clamp(min: 0, max: 1), [1.0, .nan, 1.0, 1.0, 0.5, 0.0])
        // PyTorch: n.relu()
        expectValues(n.relu(), [1.0, .nan, 3.0, 2.0, 0.5, 0.0])
        // PyTorch: n == n; n != n
        #expect(bools(n .== n) == [true, false, true, true, true, true] && bools(n .!= n) == [false, true, false, false, false, false])
    }

    @Test func varianceAndStd() {
        // PyTorch: x.var()
        expectValues(x.variance(), [6.8461174964904785])
        // PyTorch: x.var(correction=0)
        expectValues(x.variance(correction: 0), [6.275607585906982])
        // PyTorch: x.var(1)
        expectValues(x.variance(dim: 1), [4.807291507720947, 4.432291507720947, 15.432291984558105])
        // PyTorch: x.var(0, correction=0, keepdim=True)
        expectValues(x.variance(dim: 0, correction: 0, keepDim: true), [9.722222328186035, 2.0416667461395264, 3.430555582046509, 5.388888835906982], shape: [1, 4])
        // PyTorch: y.var((0, 2))
        expectValues(y.variance(dims: [0, 2]), [2.5257647037506104, 2.988950252532959, 5.944567680358887])
        // PyTorch: x.std()
        expectValues(x.std(), [2.616508722305298])
        // PyTorch: x.std(0)
        expectValues(x.std(dim: 0), [3.8188130855560303, 1.75, 2.2684428691864014, 2.8431203365325928])
        // PyTorch: x.std(1, correction=0, keepdim=True)
        expectValues(x.std(dim: 1, correction: 0, keepDim: true), [1.898807168006897, 1.8232439756393433, 3.402090311050415], shape: [3, 1])
        // PyTorch: y.std((1, 2), correction=2)
        expectValues(y.std(dims: [1, 2], correction: 2), [2.321333408355713, 2.2619547843933105])
    }

    @Test func logsumexpValues() {
        // PyTorch: x.logsumexp(1)
        expectValues(x.logsumexp(dim: 1), [3.467487096786499, 4.166232585906982, 6.0381855964660645])
        // PyTorch: x.logsumexp(0, keepdim=True)
        expectValues(x.logsumexp(dim: 0, keepDim: true), [4.079401016235352, 1.7479257583618164, 3.646512269973755, 6.022155284881592], shape: [1, 4])
        // PyTorch: y.logsumexp((0, 2))
        expectValues(y.logsumexp(dims: [0, 2]), [4.104305267333984, 2.294546127319336, 3.950648307800293])
        // large values do not overflow
        // PyTorch: big = torch.tensor([[1000.0, 1000.0], [-1000.0, -999.0]]).logsumexp(1)
        expectValues(Tensor([[1000.0, 1000.0], [-1000.0, -999.0]]).logsumexp(dim: 1), [1000.6931762695312, -998.686767578125])
        // PyTorch: inf = torch.tensor([[-float('inf'), -float('inf')], [float('inf'), 1.0]]).logsumexp(1)
        expectValues(Tensor([[-Double.infinity, -Double.infinity], [Double.infinity, 1.0]]).logsumexp(dim: 1), [-.infinity, .infinity])
    }

    @Test func softmaxAndLogSoftmax2D() {
        // PyTorch: netout = torch.tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        let netout = Tensor([[-2.0, -2.0, 0.0], [3.14, 3.14, 3.14], [0.0, 0.0, 2.0], [2.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
        // PyTorch: netout.softmax(0)
        expectValues(netout.softmax(dim: 0), [0.00414779270067811, 0.00414779270067811, 0.011482233181595802, 0.7080938220024109, 0.7080938220024109, 0.26528400182724, 0.030648278072476387, 0.030648278072476387, 0.08484286069869995, 0.22646184265613556, 0.22646184265613556, 0.6269086599349976, 0.030648278072476387, 0.030648278072476387, 0.011482233181595802])
        // PyTorch: netout.softmax(1)
        expectValues(netout.softmax(dim: 1), [0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.3333333432674408, 0.3333333432674408, 0.3333333432674408, 0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.3333333432674408, 0.3333333432674408, 0.3333333432674408])
        // PyTorch: netout.softmax(-1)
        expectValues(netout.softmax(dim: -1), [0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.3333333432674408, 0.3333333432674408, 0.3333333432674408, 0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.10650698095560074, 0.10650698095560074, 0.7869860529899597, 0.3333333432674408, 0.3333333432674408, 0.3333333432674408])
        // PyTorch: netout.log_softmax(0)
        expectValues(netout.logSoftmax(dim: 0), [-5.4851789474487305, -5.4851789474487305, -4.466954231262207, -0.34517863392829895, -0.34517863392829895, -1.3269542455673218, -3.4851787090301514, -3.4851787090301514, -2.466954469680786, -1.4851787090301514, -1.4851787090301514, -0.46695438027381897, -3.4851787090301514, -3.4851787090301514, -4.466954231262207])
        // PyTorch: netout.log_softmax(1)
        expectValues(netout.logSoftmax(dim: 1), [-2.239544630050659, -2.239544630050659, -0.23954473435878754, -1.0986123085021973, -1.0986123085021973, -1.0986123085021973, -2.239544630050659, -2.239544630050659, -0.23954473435878754, -2.239544630050659, -2.239544630050659, -0.23954473435878754, -1.0986123085021973, -1.0986123085021973, -1.0986123085021973])
        // PyTorch: torch.softmax(x, 1)
        expectValues(softmax(x, dim: 1), [0.13980774581432343, 0.004221828188747168, 0.8045380115509033, 0.05143239349126816, 0.8468493819236755, 0.032835911959409714, 0.005706026218831539, 0.11460860073566437, 7.204745634226128e-05, 0.008327553048729897, 0.029066018760204315, 0.9625343084335327])
        // PyTorch: torch.log_softmax(x, 0)
        expectValues(logSoftmax(x, dim: 0), [-2.5794007778167725, -3.7479257583618164, -0.39651235938072205, -5.522155284881592, -0.07940079271793365, -0.9979257583618164, -4.646512508392334, -4.022155284881592, -7.579401016235352, -0.497925728559494, -1.1465123891830444, -0.02215515822172165])
        // PyTorch: u = torch.tensor([[3, 2], [2, 2], [5, 6]]).float().softmax(1)
        expectValues(Tensor([[3, 2], [2, 2], [5, 6]]).float().softmax(dim: 1), [0.7310585975646973, 0.2689414322376251, 0.5, 0.5, 0.2689414322376251, 0.7310585975646973])
        // PyTorch: big = torch.tensor([[1000.0, 0.0, -1000.0]]).log_softmax(1)
        expectValues(Tensor([[1000.0, 0.0, -1000.0]]).logSoftmax(dim: 1), [0.0, -1000.0, -2000.0])
        // PyTorch: x.t().softmax(1)
        expectValues(x.t().softmax(dim: 1), [0.07581941783428192, 0.9236696362495422, 0.0005108672194182873, 0.023566577583551407, 0.36864331364631653, 0.6077900528907776, 0.6726619601249695, 0.009595007635653019, 0.3177430033683777, 0.0039972239173948765, 0.017914315685629845, 0.9780884385108948])
    }

    @Test func softmaxAndLogSoftmax3D() {
        // PyTorch: y.softmax(0)
        expectValues(y.softmax(dim: 0), [0.8333723545074463, 0.7796987295150757, 0.43931806087493896, 0.1783592253923416, 0.19675546884536743, 0.5018548965454102, 0.804508626461029, 0.8207339644432068, 0.5570600628852844, 0.21863968670368195, 0.16721299290657043, 0.3866751790046692, 0.1666276603937149, 0.22030124068260193, 0.560681939125061, 0.8216407895088196, 0.8032445311546326, 0.49814513325691223, 0.19549141824245453, 0.17926600575447083, 0.4429399073123932, 0.7813603281974792, 0.832787036895752, 0.6133248209953308])
        // PyTorch: y.softmax(1)
        expectValues(y.softmax(dim: 1), [0.0486435741186142, 0.7810564041137695, 0.9605743885040283, 0.17443546652793884, 0.005023425444960594, 0.003523522987961769, 0.02715042605996132, 0.8198772668838501, 0.9463329911231995, 0.21542009711265564, 0.012275135144591331, 0.005687234457582235, 0.012426200322806835, 0.22200876474380493, 0.9476432204246521, 0.8103193044662476, 0.026201482862234116, 0.003518459154292941, 0.005099763628095388, 0.18058407306671143, 0.9613723158836365, 0.7744727730751038, 0.04725705459713936, 0.009096626192331314])
        // PyTorch: y.softmax(2)
        expectValues(y.softmax(dim: 2), [0.03299105539917946, 0.4118459224700928, 0.5047829747200012, 0.05038011446595192, 0.013291529379785061, 0.0072482614777982235, 0.055661462247371674, 0.9237987399101257, 0.8406261205673218, 0.1487739086151123, 0.008448667824268341, 0.0021513632964342833, 0.006601124070584774, 0.1164497435092926, 0.6446973085403442, 0.2322518229484558, 0.19606181979179382, 0.025996126234531403, 0.04887071251869202, 0.7290713787078857, 0.5366276502609253, 0.42685121297836304, 0.03378155082464218, 0.0027395880315452814])
        // PyTorch: y.log_softmax(0)
        expectValues(y.logSoftmax(dim: 0), [-0.1822747141122818, -0.24884766340255737, -0.8225315809249878, -1.7239556312561035, -1.6257935762405396, -0.6894442439079285, -0.21752361953258514, -0.19755622744560242, -0.5850821733474731, -1.5203301906585693, -1.7884868383407593, -0.9501702785491943, -1.791993498802185, -1.5127594470977783, -0.5786014795303345, -0.19645199179649353, -0.2190960794687271, -0.6968638300895691, -1.632238745689392, -1.7188844680786133, -0.8143211603164673, -0.2467188537120819, -0.1829773336648941, -0.4888605773448944])
        // PyTorch: y.log_softmax(1)
        expectValues(y.logSoftmax(dim: 1), [-3.023235559463501, -0.24710793793201447, -0.04022382199764252, -1.746200442314148, -5.293643474578857, -5.648293972015381, -3.6063625812530518, -0.19860060513019562, -0.0551607646048069, -1.5351653099060059, -4.400179386138916, -5.169531345367432, -4.387948036193848, -1.5050384998321533, -0.05377718806266785, -0.2103268802165985, -3.641939163208008, -5.6497321128845215, -5.278561115264893, -1.7115588188171387, -0.03939351439476013, -0.2555727958679199, -3.0521533489227295, -4.6998515129089355])
        // PyTorch: y.log_softmax(-1)
        expectValues(y.logSoftmax(dim: -1), [-3.4115188121795654, -0.8871060013771057, -0.6836267113685608, -2.988158702850342, -4.3206281661987305, -4.926993370056152, -2.888467311859131, -0.07926104962825775, -0.17360828816890717, -1.905327558517456, -4.773746490478516, -6.141653537750244, -5.020515441894531, -2.1502954959869385, -0.4389743506908417, -1.4599330425262451, -1.629325270652771, -3.6498076915740967, -3.0185768604278564, -0.3159836232662201, -0.6224508285522461, -0.8513197898864746, -3.387840509414673, -5.899947643280029])
        // PyTorch: y.permute(2, 0, 1).softmax(1)
        expectValues(y.permute(2, 0, 1).softmax(dim: 1), [0.8333723545074463, 0.19675546884536743, 0.5570600628852844, 0.1666276603937149, 0.8032445311546326, 0.4429399073123932, 0.7796987295150757, 0.5018548965454102, 0.21863968670368195, 0.22030124068260193, 0.49814513325691223, 0.7813603281974792, 0.43931806087493896, 0.804508626461029, 0.16721299290657043, 0.560681939125061, 0.19549141824245453, 0.832787036895752, 0.1783592253923416, 0.8207339644432068, 0.3866751790046692, 0.8216407895088196, 0.17926600575447083, 0.6133248209953308])
    }
}

@Suite struct MatrixProducts {
    // PyTorch: A = torch.tensor([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]]); B = torch.tensor([[2.0, 0.0], [1.0, -1.0], [0.25, 4.0]]); v = torch.tensor([1.0, -2.0, 0.5]); w = torch.tensor([3.0, -1.0])
    let A = Tensor([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]])
    let B = Tensor([[2.0, 0.0], [1.0, -1.0], [0.25, 4.0]])
    let v = Tensor([1.0, -2.0, 0.5])
    let w = Tensor([3.0, -1.0])

    @Test func matmulShapes() {
        // PyTorch: v.matmul(v); list(v.matmul(v).shape)
        expectValues(v.matmul(v), [5.25], shape: [])
        // PyTorch: A.matmul(v); list(A.matmul(v).shape)
        expectValues(A.matmul(v), [-3.5, 7.5], shape: [2])
        // PyTorch: v.matmul(B); list(v.matmul(B).shape)
        expectValues(v.matmul(B), [0.125, 4.0], shape: [2])
        // PyTorch: A.matmul(B); list(A.matmul(B).shape)
        expectValues(A.matmul(B), [3.75, -6.0, -1.5, 11.0], shape: [2, 2])
        // PyTorch: torch.matmul(B, A)
        expectValues(matmul(B, A), [2.0, 4.0, -2.0, 0.5, 5.0, -3.0, 2.25, -11.5, 7.75], shape: [3, 3])
        // PyTorch: A.mm(B)
        expectValues(A.mm(B), [3.75, -6.0, -1.5, 11.0])
        // PyTorch: torch.mm(A.T, w.reshape(2, 1))
        expectValues(mm(A.T, w.reshape(2, 1)), [2.5, 9.0, -5.0])
        // PyTorch: torch.outer(v, w)
        expectValues(v.outer(w), [3.0, -1.0, -6.0, 2.0, 1.5, -0.5], shape: [3, 2])
        // PyTorch: torch.outer(w, v)
        expectValues(outer(w, v), [3.0, -6.0, 1.5, -1.0, 2.0, -0.5], shape: [2, 3])
        // PyTorch: torch.dot(v, v)
        expectValues(dot(v, v), [5.25])
        // PyTorch: torch.mv(A, v)
        expectValues(mv(A, v), [-3.5, 7.5], shape: [2])
        // PyTorch: A.T.mv(w)
        expectValues(A.T.mv(w), [2.5, 9.0, -5.0], shape: [3])
    }

    @Test func batchedMatmul() {
        // PyTorch: P = torch.arange(24.0).reshape(2, 3, 4).cos(); Q = torch.arange(40.0).reshape(2, 4, 5).sin(); R = torch.arange(20.0).reshape(4, 5) / 7
        let P = Tensor.arange(0.0, 24.0).reshape(2, 3, 4).cos()
        let Q = Tensor.arange(0.0, 40.0).reshape(2, 4, 5).sin()
        let R = Tensor.arange(0.0, 20.0).reshape(4, 5) / 7
        // PyTorch: P.bmm(Q)
        expectValues(P.bmm(Q), [-0.93549644947052, 1.3916670083999634, 2.439338207244873, 1.244293212890625, -1.0947493314743042, -0.30411002039909363, -1.8064936399459839, -1.6479952335357666, 0.025662243366241455, 1.675726056098938, 1.3330554962158203, 0.9699389338493347, -0.28493499755859375, -1.2778410911560059, -1.0959060192108154, 0.8404748439788818, 2.096191883087158, 1.4246797561645508, -0.5566762685775757, -2.026226758956909, -1.9136322736740112, -2.2584283351898193, -0.5268359184265137, 1.689126968383789, 2.35211443901062, 1.6611924171447754, 0.856222927570343, -0.7359538078308105, -1.6514980792999268, -1.0486626625061035], shape: [2, 3, 5])
        // PyTorch: torch.bmm(P, Q)
        expectValues(bmm(P, Q), [-0.93549644947052, 1.3916670083999634, 2.439338207244873, 1.244293212890625, -1.0947493314743042, -0.30411002039909363, -1.8064936399459839, -1.6479952335357666, 0.025662243366241455, 1.675726056098938, 1.3330554962158203, 0.9699389338493347, -0.28493499755859375, -1.2778410911560059, -1.0959060192108154, 0.8404748439788818, 2.096191883087158, 1.4246797561645508, -0.5566762685775757, -2.026226758956909, -1.9136322736740112, -2.2584283351898193, -0.5268359184265137, 1.689126968383789, 2.35211443901062, 1.6611924171447754, 0.856222927570343, -0.7359538078308105, -1.6514980792999268, -1.0486626625061035])
        // PyTorch: P.matmul(Q)
        expectValues(P.matmul(Q), [-0.93549644947052, 1.3916670083999634, 2.439338207244873, 1.244293212890625, -1.0947493314743042, -0.30411002039909363, -1.8064936399459839, -1.6479952335357666, 0.025662243366241455, 1.675726056098938, 1.3330554962158203, 0.9699389338493347, -0.28493499755859375, -1.2778410911560059, -1.0959060192108154, 0.8404748439788818, 2.096191883087158, 1.4246797561645508, -0.5566762685775757, -2.026226758956909, -1.9136322736740112, -2.2584283351898193, -0.5268359184265137, 1.689126968383789, 2.35211443901062, 1.6611924171447754, 0.856222927570343, -0.7359538078308105, -1.6514980792999268, -1.0486626625061035], shape: [2, 3, 5])
        // PyTorch: P.matmul(R); list(P.matmul(R).shape)
        expectValues(P.matmul(R), [-2.3299777507781982, -2.310811758041382, -2.2916455268859863, -2.272479295730591, -2.2533130645751953, 3.1897923946380615, 3.381805658340454, 3.5738184452056885, 3.765831470489502, 3.9578444957733154, -1.8399972915649414, -2.1101796627044678, -2.380361795425415, -2.6505441665649414, -2.9207262992858887, -0.7843873500823975, -0.623194694519043, -0.462001770734787, -0.3008088171482086, -0.13961590826511383, 2.865417003631592, 2.9248740673065186, 2.984330892562866, 3.043787717819214, 3.1032447814941406, -2.961535692214966, -3.200455904006958, -3.43937611579895, -3.6782960891723633, -3.9172163009643555], shape: [2, 3, 5])
        // PyTorch: pv = P.matmul(torch.tensor([1.0, 0.0, -1.0, 2.0]))
        // PyTorch: pv; list(pv.shape)
        expectValues(P.matmul(Tensor([1.0, 0.0, -1.0, 2.0])), [-0.5638381242752075, -0.10600936412811279, 0.7024228572845459, -0.8122590780258179, 0.35943305492401123, 0.34237682819366455], shape: [2, 3])
        // PyTorch: vq = torch.tensor([1.0, 0.0, -1.0, 2.0]).matmul(Q)
        // PyTorch: vq; list(vq.shape)
        expectValues(Tensor([1.0, 0.0, -1.0, 2.0]).matmul(Q), [1.8445968627929688, 1.2656545639038086, -0.4769245386123657, -1.7810214757919312, -1.447655439376831, 1.0446115732192993, -0.7428643703460693, -1.8473541736602783, -1.2533950805664062, 0.4929295778274536], shape: [2, 5])
        // PyTorch: S = torch.arange(12.0).reshape(3, 4) / 5; sq = S.matmul(Q)
        let S = Tensor.arange(0.0, 12.0).reshape(3, 4) / 5
        // PyTorch: sq; list(sq.shape)
        expectValues(S.matmul(Q), [-0.019220560789108276, -0.6286212205886841, -0.6600703597068787, -0.08465388417243958, 0.5685929656028748, -0.7013466358184814, -1.209291696548462, -0.6054195165634155, 0.5550726652145386, 1.2052335739135742, -1.3834726810455322, -1.7899620532989502, -0.5507686138153076, 1.1947990655899048, 1.8418738842010498, -0.6785926222801208, -0.6041706800460815, 0.025722980499267578, 0.6319670677185059, 0.6571835279464722, -1.187089204788208, -0.4414525032043457, 0.7100536227226257, 1.2087397575378418, 0.5961161851882935, -1.6955857276916504, -0.27873480319976807, 1.3943841457366943, 1.7855124473571777, 0.5350488424301147], shape: [2, 3, 5])
        // PyTorch: P4 = torch.arange(24.0).reshape(2, 1, 3, 4).cos(); Q4 = torch.arange(60.0).reshape(3, 4, 5).sin(); pq4 = P4.matmul(Q4)
        let P4 = Tensor.arange(0.0, 24.0).reshape(2, 1, 3, 4).cos()
        let Q4 = Tensor.arange(0.0, 60.0).reshape(3, 4, 5).sin()
        // PyTorch: pq4; list(pq4.shape)
        expectValues(P4.matmul(Q4), [-0.93549644947052, 1.3916670083999634, 2.439338207244873, 1.244293212890625, -1.0947493314743042, -0.30411002039909363, -1.8064936399459839, -1.6479952335357666, 0.025662243366241455, 1.675726056098938, 1.3330554962158203, 0.9699389338493347, -0.28493499755859375, -1.2778410911560059, -1.0959060192108154, 1.6764992475509644, 2.398660182952881, 0.9155042767524719, -1.4093621969223022, -2.438467502593994, -1.9057705402374268, -1.466214895248413, 0.32137200236320496, 1.8134907484054565, 1.6382946968078613, 0.8148903250694275, -0.481896311044693, -1.3356298208236694, -0.961391270160675, 0.29674583673477173, 2.3037948608398438, 0.5660334825515747, -1.692136526107788, -2.394564151763916, -0.8954403400421143, -1.2513114213943481, 0.6098215579986572, 1.9102874994277954, 1.4544439315795898, -0.3386087417602539, -0.6679713129997253, -1.3632456064224243, -0.8051580786705017, 0.49318787455558777, 1.3380992412567139, -1.4385764598846436, 0.5385047197341919, 2.020487070083618, 1.6448431015014648, -0.24306219816207886, 0.5475772023200989, -1.6739192008972168, -2.356422185897827, -0.872441291809082, 1.4136581420898438, 0.7227359414100647, 1.649788737297058, 1.0600333213806152, -0.5043116807937622, -1.6049950122833252, 0.8404748439788818, 2.096191883087158, 1.4246797561645508, -0.5566762685775757, -2.026226758956909, -1.9136322736740112, -2.2584283351898193, -0.5268359184265137, 1.689126968383789, 2.35211443901062, 1.6611924171447754, 0.856222927570343, -0.7359538078308105, -1.6514980792999268, -1.0486626625061035, 2.124541759490967, 1.1723319292068481, -0.8577147722244263, -2.099182367324829, -1.410671353340149, -2.109415054321289, -0.16932892799377441, 1.9264376163482666, 2.2510461807250977, 0.5060533881187439, 0.6330696940422058, -0.9509702920913696, -1.6606926918029785, -0.8435817956924438, 0.7491142749786377], shape: [2, 3, 3, 5])
        // PyTorch: P.transpose(1, 2).matmul(P)
        expectValues(P.transpose(1, 2).matmul(P), [1.4484201669692993, 0.487457811832428, -0.9216710925102234, -1.4834198951721191, 0.487457811832428, 1.2025492191314697, 0.81202232837677, -0.32507404685020447, -0.9216710925102234, 0.81202232837677, 1.7991461753845215, 1.132143259048462, -1.4834198951721191, -0.32507404685020447, 1.132143259048462, 1.5484733581542969, 1.7957321405410767, 0.8057469129562378, -0.9250383973121643, -1.8053476810455322, 0.8057469129562378, 1.1991819143295288, 0.4900946021080017, -0.6695833802223206, -0.9250383973121643, 0.4900946021080017, 1.454636812210083, 1.0817928314208984, -1.8053476810455322, -0.6695833802223206, 1.0817928314208984, 1.838573694229126])
    }

    @Test func addmmValues() {
        // PyTorch: bias = torch.tensor([0.5, -0.5])
        let bias = Tensor([0.5, -0.5])
        // PyTorch: torch.addmm(bias, A, B)
        expectValues(addmm(bias, A, B), [4.25, -6.5, -1.0, 10.5], shape: [2, 2])
        // PyTorch: torch.addmm(bias, A, B, beta=0.5, alpha=2)
        expectValues(addmm(bias, A, B, beta: 0.5, alpha: 2), [7.75, -12.25, -2.75, 21.75])
        // PyTorch: cb = torch.tensor([[1.0], [2.0]])
        // PyTorch: torch.addmm(cb, A, B)
        expectValues(addmm(Tensor([[1.0], [2.0]]), A, B), [4.75, -5.0, 0.5, 13.0])
        // PyTorch: torch.addmm(torch.tensor(1.5), A, B)
        expectValues(addmm(Tensor(1.5), A, B), [5.25, -4.5, 0.0, 12.5])
    }

    @Test func largeSgemmWithTransposedOperands() {
        let g = Generator(seed: 7)
        let at = Tensor.randn(129, 257, generator: g)   // A = at.T: 257 x 129, transposed view
        let bt = Tensor.randn(65, 129, generator: g)    // B = bt.T: 129 x 65
        let a = at.T, b = bt.T
        #expect(!a.isContiguous && !b.isContiguous)
        let cs: [Tensor] = [a.matmul(b), a.mm(b.contiguous()), a.contiguous().mm(b), a.contiguous().matmul(b.contiguous())]
        let av = values(at), bv = values(bt)
        var expected = [Double](repeating: 0, count: 257 * 65)
        for i in 0..<257 {
            for j in 0..<65 {
                var s = 0.0
                for k in 0..<129 { s += av[k * 257 + i] * bv[j * 129 + k] }
                expected[i * 65 + j] = s
            }
        }
        for c in cs { expectValues(c, expected, shape: [257, 65], atol: 1e-4, rtol: 1e-4) }
        // float64 GEMM, and a shape that is thin in every direction
        let a64 = a.double(), b64 = b.double()
        expectValues(a64.mm(b64), expected, shape: [257, 65], atol: 1e-10, rtol: 1e-10)
        let thin = a[.all, 0..<1].mm(b[0..<1])
        var e2 = [Double](repeating: 0, count: 257 * 65)
        for i in 0..<257 { for j in 0..<65 { e2[i * 65 + j] = av[i] * bv[j * 129] } }
        expectValues(thin, e2, atol: 1e-5, rtol: 1e-5)
    }
}
}
