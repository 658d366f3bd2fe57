import Testing
import Descent

// Conv1d and ConvTranspose2d (PyTorch's nn.Conv1d / nn.ConvTranspose2d): initialisation from the
// seeded generator, values, gradients, grad_fn names and reprs against PyTorch 2.13; gradient
// checks against finite differences in float64.

extension Core {
@Suite struct Conv1dAndTransposedConvTests {
    /// PyTorch: torch.manual_seed(0); c = nn.Conv1d(2, 3, 3, stride=2, padding=1)
    ///   x = torch.arange(14.).reshape(1,2,7).sub(6).div(4).requires_grad_(); y = c(x)
    ///   w = torch.linspace(-1,1,y.numel()).reshape(y.shape); (y*w).sum().backward()
    @Test func conv1dMatchesPyTorch() {
        manualSeed(0)
        let c = Conv1d(2, 3, kernelSize: 3, stride: 2, padding: 1)
        #expect(c.description == "Conv1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,))")
        expectValues(c.weight, [-0.0030564817134290934, 0.21900218725204468, -0.3360067903995514, -0.3004458546638489, -0.15723861753940582, 0.1094747856259346, -0.008088696748018265, 0.3236957788467407, -0.036229606717824936, 0.1080276295542717, -0.1233779713511467, -0.08024748414754868, -0.39001941680908203, -0.2703755497932434, -0.16828937828540802, 0.0151229752227664, 0.16139492392539978, 0.2449582815170288], shape: [3, 2, 3], atol: 0, rtol: 0)
        expectValues(c.bias!, [-0.276768296957016, -0.17777696251869202, 0.14828276634216309], atol: 0, rtol: 0)
        let x = ((Tensor.arange(14.0).reshape(1, 2, 7) - 6) / 4).requiresGrad_()
        let y = c(x)
        #expect(y.gradFn == "ConvolutionBackward0")
        expectValues(y, [-0.16983535885810852, -0.39862188696861267, -0.632757306098938, -1.0018404722213745, -0.6890017986297607, -0.5829567909240723, -0.49106699228286743, -0.22962479293346405, 0.9270356893539429, 1.4059655666351318, 1.2023615837097168, 0.5509132146835327], shape: [1, 3, 4])
        (y * Tensor.linspace(-1, 1, count: y.count).reshape(y.shape)).sum().backward()
        expectValues(x.grad!, [-0.4301808178424835, 0.02443435788154602, -0.38066765666007996, -0.1467820703983307, -0.3311544954776764, -0.3179985284805298, -0.2816413342952728, 0.26424849033355713, 0.2693779170513153, 0.24257181584835052, 0.2869943380355835, 0.22089515626430511, 0.3046107888221741, 0.1992184817790985], shape: [1, 2, 7])
        expectValues(c.weight.grad!, [1.6136363744735718, 2.6363635063171387, 2.0227272510528564, -1.727272629737854, -2.454545497894287, -2.2727272510528564, -0.022727280855178833, 0.45454540848731995, 0.3863636255264282, 0.45454540848731995, 0.45454537868499756, -0.09090909361839294, -1.6590908765792847, -1.727272629737854, -1.25, 2.6363635063171387, 3.3636364936828613, 2.090909004211426], shape: [3, 2, 3])
        expectValues(c.bias!.grad!, [-2.909090995788574, 0.0, 2.909090757369995], atol: 1e-5)
    }

    /// PyTorch: c2 = nn.Conv1d(4, 2, 4, padding='same', groups=2, bias=False, dilation=2); print(c2)
    ///   c2(torch.randn(3, 4, 9)).shape; c2(xx[0]).shape, c2(xx[0]).grad_fn.name(); print(nn.Conv1d(1,1,2))
    @Test func conv1dSameUnbatchedAndRepr() {
        let c2 = Conv1d(4, 2, kernelSize: 4, padding: .same, dilation: 2, groups: 2, bias: false)
        #expect(c2.description == "Conv1d(4, 2, kernel_size=(4,), stride=(1,), padding=same, dilation=(2,), groups=2, bias=False)")
        #expect(Conv1d(1, 1, kernelSize: 2).description == "Conv1d(1, 1, kernel_size=(2,), stride=(1,))")
        let xx = Tensor.randn(3, 4, 9)
        #expect(c2(xx).shape == [3, 2, 9])
        let single = c2(xx[0])
        #expect(single.shape == [2, 9] && single.gradFn == "SqueezeBackward1")
        // the unbatched result is the batched one's first row
        #expect(single.toArray(Float.self) == c2(xx)[0].toArray(Float.self))
    }

    @Test func conv1dGradCheck() {
        gradCheck({ conv1d($0[0], $0[1], $0[2]) }, inputs: [r64(2, 3, 7, seed: 1), r64(4, 3, 3, seed: 2), r64(4, seed: 3)])
        gradCheck({ conv1d($0[0], $0[1], $0[2], stride: 2, padding: 2, dilation: 2, groups: 2) },
                  inputs: [r64(2, 4, 9, seed: 4), r64(2, 2, 3, seed: 5), r64(2, seed: 6)])
        gradCheck({ conv1d($0[0], $0[1], padding: .same) }, inputs: [r64(1, 2, 6, seed: 7), r64(3, 2, 4, seed: 8)])
    }

    /// PyTorch: torch.manual_seed(1); t = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)
    ///   x = (torch.arange(2*4*2*3.)/10-2).reshape(2,4,2,3).requires_grad_(); y = t(x)
    ///   w = torch.linspace(-1,1,y.numel()).reshape(y.shape); (y*w).sum().backward()
    @Test func convTranspose2dMatchesPyTorch() {
        manualSeed(1)
        let t = ConvTranspose2d(4, 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
        #expect(t.description == "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), groups=2)")
        expectValues(t.weight, [0.1717544049024582, -0.14712607860565186, -0.0646204948425293, 0.15645632147789001, -0.3138123154640198, 0.19990575313568115, -0.06857510656118393, 0.16958129405975342, 0.0463389977812767, -0.04081472009420395, 0.09245364367961884, 0.016443928703665733, 0.12174272537231445, -0.12990033626556396, -0.024302920326590538, -0.030009111389517784, 0.0483146533370018, -0.0013316075783222914, 0.29138892889022827, 0.10373004525899887, -0.12413541972637177, -0.20132045447826385, -0.055871885269880295, -0.14378023147583008, -0.10681617259979248, 0.015960535034537315, 0.19870924949645996, 0.18117889761924744, -0.32585030794143677, 0.20664016902446747, 0.09312129020690918, 0.3161851763725281, 0.22001993656158447, -0.3037125766277313, -0.3169361352920532, -0.16077737510204315], shape: [4, 1, 3, 3], atol: 0, rtol: 0)
        expectValues(t.bias!, [0.29270392656326294, -0.05552300065755844], atol: 0, rtol: 0)
        let x = (Tensor.arange(48.0) / 10 - 2).reshape(2, 4, 2, 3).requiresGrad_()
        let y = t(x)
        #expect(y.gradFn == "ConvolutionBackward0")
        expectValues(y, [1.102189064025879, -0.5286160111427307, 1.0578176975250244, -0.48323583602905273, 1.0134464502334595, -0.037962913513183594, 0.034316182136535645, 0.22896891832351685, 0.05063852667808533, 0.231887549161911, 0.06696085631847382, 0.29302287101745605, 0.9690752625465393, -0.3924754858016968, 0.9247039556503296, -0.3470953106880188, 0.8803327083587646, 0.014717936515808105, -0.04873040318489075, 0.3551216721534729, -0.02694082260131836, 0.34976398944854736, -0.005151212215423584, 0.22439387440681458, -0.07406254857778549, 0.14710935950279236, -0.04803120344877243, 0.14391344785690308, -0.021999869495630264, 0.030745141208171844, -0.08935420215129852, -0.07478038966655731, -0.14166384935379028, -0.056532829999923706, -0.19397342205047607, -0.07551589608192444, 0.004031430929899216, 0.13752153515815735, 0.030062802135944366, 0.13432559370994568, 0.056094102561473846, 0.05361703038215637, -0.09519685059785843, -0.1889714002609253, -0.12529444694519043, -0.22623109817504883, -0.15539199113845825, -0.16336897015571594, 0.03727865219116211, 0.5605084896087646, -0.007092595100402832, 0.6058886051177979, -0.05146384239196777, 0.3834838569164276, 0.4260525703430176, 0.2990160286426544, 0.44237494468688965, 0.30193468928337097, 0.45869722962379456, 0.285416841506958, -0.09583514928817749, 0.6966490745544434, -0.14020639657974243, 0.7420291900634766, -0.18457770347595215, 0.4361647367477417, 0.4742198884487152, 0.22653728723526, 0.4960094690322876, 0.22117960453033447, 0.5177990794181824, 0.33241161704063416, 0.5506893396377563, 0.07040665298700333, 0.5767207741737366, 0.06721080094575882, 0.6027520895004272, 0.213720440864563, -1.3447843790054321, 0.36316123604774475, -1.3970938920974731, 0.38140878081321716, -1.4494035243988037, 0.21353194117546082, 0.6287834048271179, 0.06081882864236832, 0.6548146605491638, 0.05762288719415665, 0.6808459758758545, 0.23659229278564453, -0.817538321018219, -1.083203911781311, -0.847635805606842, -1.1204636096954346, -0.8777333498001099, -0.0723324790596962], shape: [2, 2, 4, 6])
        (y * Tensor.linspace(-1, 1, count: y.count).reshape(y.shape)).sum().backward()
        expectValues(x.grad!, [-0.06955548375844955, -0.15995335578918457, -0.15195779502391815, 0.13985562324523926, -0.08369959890842438, -0.07738789170980453, 0.11261524260044098, 0.014507700689136982, 0.01385563239455223, -0.009267882443964481, -0.044815532863140106, -0.042600955814123154, 0.020842794328927994, 0.15394198894500732, 0.14160014688968658, 0.029541121795773506, -0.017283210530877113, -0.01821521855890751, -0.08803348988294601, -0.024180633947253227, -0.03058481588959694, -0.024986833333969116, -0.08229116350412369, -0.08608615398406982, 0.03353206813335419, 0.03194045275449753, 0.03993603587150574, 0.028967684134840965, 0.06778111308813095, 0.0740928053855896, 0.004266397096216679, -0.0011419159127399325, -0.0017939818790182471, -0.007572859991341829, 0.008334370329976082, 0.010548952035605907, 0.03601853922009468, -0.14226241409778595, -0.15460427105426788, 0.024096712470054626, -0.03965163230895996, -0.04058361053466797, -0.028926188126206398, -0.1778813600540161, -0.18428555130958557, -0.08634451776742935, -0.1733708530664444, -0.17716582119464874], shape: [2, 4, 2, 3])
        expectValues(t.weight.grad!, [2.8863155841827393, 4.437894821166992, 4.387368202209473, 6.315789222717285, 9.690526008605957, 9.551578521728516, 5.810525894165039, 8.856842041015625, 8.717894554138184, 2.1031577587127686, 3.263157844543457, 3.2884209156036377, 4.749473571777344, 7.341052532196045, 7.353683948516846, 4.850525856018066, 7.416841506958008, 7.429472923278809, 3.0378944873809814, 4.513684272766113, 4.614736557006836, 6.012631416320801, 8.932631492614746, 9.096841812133789, 6.71999979019165, 9.91789436340332, 10.082104682922363, 3.4673681259155273, 5.157894611358643, 5.334736347198486, 6.871578693389893, 10.221053123474121, 10.53684139251709, 8.185262680053711, 12.115789413452148, 12.431578636169434], shape: [4, 1, 3, 3], rtol: 1e-5)
        expectValues(t.bias!.grad!, [-12.126315116882324, 12.126315116882324], atol: 1e-5)
        // PyTorch: print(nn.ConvTranspose2d(3, 6, (2,3), dilation=2, bias=False))
        #expect(ConvTranspose2d(3, 6, kernelSize: (2, 3), bias: false, dilation: (2, 2)).description
                == "ConvTranspose2d(3, 6, kernel_size=(2, 3), stride=(1, 1), dilation=(2, 2), bias=False)")
    }

    @Test func convTranspose2dGradCheck() {
        gradCheck({ convTranspose2d($0[0], $0[1], $0[2]) }, inputs: [r64(2, 3, 3, 4, seed: 1), r64(3, 2, 2, 3, seed: 2), r64(2, seed: 3)])
        gradCheck({ convTranspose2d($0[0], $0[1], $0[2], stride: (2, 3), padding: (1, 0), outputPadding: (1, 2), groups: 2, dilation: (1, 2)) },
                  inputs: [r64(1, 4, 3, 2, seed: 4), r64(4, 3, 3, 2, seed: 5), r64(6, seed: 6)])
        gradCheck({ convTranspose2d($0[0], $0[1]) }, inputs: [r64(2, 3, 2, seed: 7), r64(2, 1, 3, 3, seed: 8)])
    }

    /// The transposed convolution is the adjoint of the convolution: <conv(x), y> = <x, convT(y)>.
    @Test func convTransposeIsTheAdjointOfConv() {
        let x = r64(2, 3, 10, 9, seed: 11), w = r64(4, 3, 3, 2, seed: 12), y = r64(2, 4, 5, 5, seed: 13)
        let lhs = (conv2d(x, w, stride: (2, 2), padding: (1, 1)) * y).sum().item()
        let rhs = (x * convTranspose2d(y, w, stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))).sum().item()
        #expect(Swift.abs(lhs - rhs) < 1e-9 * Swift.abs(lhs))
    }

    /// PyTorch: F.conv1d(torch.zeros(1,2,3), torch.zeros(1,3,2)) -> "Given groups=1, weight of size [1, 3, 2],
    ///   expected input[1, 2, 3] to have 3 channels, but got 2 channels instead"
    @Test func convMisuseStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv1d(Tensor.zeros(1, 2, 3), Tensor.zeros(1, 3, 2))
        }
        #expect(stderr(r).contains("Given groups=1, weight of size [1, 3, 2], expected input[1, 2, 3] to have 3 channels, but got 2 channels instead"))
        let r2 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv1d(Tensor.zeros(2, 3, 4, 5), Tensor.zeros(1, 3, 2))
        }
        #expect(stderr(r2).contains("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 3, 4, 5]"))
        let r3 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(2, 1, 3, 3), stride: 2, outputPadding: 2)
        }
        #expect(stderr(r3).contains("output padding must be smaller than either stride or dilation"))
    }
}
}
