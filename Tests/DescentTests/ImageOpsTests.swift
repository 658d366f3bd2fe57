import Testing
import Foundation
import Descent

extension Core {
/// interpolate's bicubic, antialiased, nearest-exact, area and trilinear modes, and torchvision's
/// tensor transforms, against torch 2.13 / torchvision 0.28 (the snippets beside them).
@Suite struct ImageOpsTests {
    /// (name, shape, y[1, 2, 0], z.grad[1, 1, 2]) for g = linspace(-1, 1) over y.
    /// torch.manual_seed(0); z = torch.randn(2, 3, 7, 9, requires_grad=True); y = f(z)
    /// g = torch.linspace(-1, 1, y.numel()).reshape(y.shape); y.backward(g)
    @Test(arguments: [
        // F.interpolate(t, size=(11, 5), mode='bicubic')
        ("BC", [2, 3, 11, 5], [-0.28136298060417175, -0.35006821155548096, -0.16549862921237946, -0.16110193729400635, 0.9416807889938354],
         [0.41954919695854187, 0.24862976372241974, 0.5900192856788635, 0.13899511098861694, 0.6706024408340454, 0.14277076721191406, 0.6046675443649292, 0.26418471336364746, 0.44265350699424744]),
        // F.interpolate(t, scale_factor=1.5, mode='bicubic', align_corners=True)
        ("BCA", [2, 3, 10, 13], [-1.3700363636016846, 0.8014981746673584, 1.392301082611084, -0.0332069993019104, -0.4030018746852875, -0.41714686155319214, -0.25559672713279724, -0.16824805736541748, -0.11741236597299576, -0.05459475517272949, 0.1869724839925766, 0.6858276128768921, 1.1263659000396729],
         [0.7957911491394043, 1.024150013923645, 1.0212255716323853, 1.0049811601638794, 1.038986086845398, 1.0223084688186646, 1.0567463636398315, 1.0791631937026978, 0.8513821363449097]),
        // F.interpolate(t, size=(3, 4), mode='bilinear', antialias=True)
        ("AAL", [2, 3, 3, 4], [0.5358167886734009, 0.11495836079120636, 0.31426572799682617, 0.3280605375766754],
         [0.06864548474550247, 0.0936560109257698, 0.08994512259960175, 0.08700697124004364, 0.0894780308008194, 0.09194909781217575, 0.10094137489795685, 0.11086522787809372, 0.08275704830884933]),
        // F.interpolate(t, size=(4, 3), mode='bicubic', antialias=True)
        ("AAC", [2, 3, 4, 3], [0.5331678986549377, -0.08098707348108292, 0.4208349585533142],
         [0.06189533695578575, 0.08761370927095413, 0.09259267151355743, 0.08747490495443344, 0.08435671776533127, 0.09215280413627625, 0.10194846242666245, 0.09909580647945404, 0.07082586735486984]),
        // F.interpolate(t, size=(10, 12), mode='bilinear', antialias=True)
        ("AAU", [2, 3, 10, 12], [-1.3700363636016846, 0.4509499669075012, 0.9522610306739807, -0.08138442039489746, -0.3704489469528198, -0.31673285365104675, -0.20820936560630798, -0.11990096420049667, -0.06392421573400497, 0.23474368453025818, 0.6776039600372314, 1.1263659000396729],
         [0.9339969754219055, 0.8557024002075195, 0.949087381362915, 0.9571715593338013, 0.877260148525238, 0.9728009104728699, 0.9808850884437561, 0.8988178968429565, 0.9959754943847656]),
        // F.interpolate(t, size=(5, 13), mode='nearest-exact')
        ("NE", [2, 3, 5, 13], [-1.3700363636016846, 1.5435417890548706, 1.5435417890548706, -0.0332069993019104, -0.4186263680458069, -0.4186263680458069, -0.25559672713279724, -0.12923042476177216, -0.12923042476177216, -0.05459475517272949, 0.4083467423915863, 0.4083467423915863, 1.1263659000396729],
         [0.40359896421432495, 0.8226221203804016, 0.4190231263637543, 0.8534704446792603, 0.4344472885131836, 0.8843187689781189, 0.4498714804649353, 0.9151670932769775, 0.4652956426143646]),
        // F.interpolate(t, size=(3, 4), mode='area')
        ("AR", [2, 3, 3, 4], [0.2332151085138321, 0.21958552300930023, 0.4385804831981659, 0.2631114423274994],
         [0.09076682478189468, 0.09076682478189468, 0.18779343366622925, 0.09702660888433456, 0.200313001871109, 0.10328638553619385, 0.21283255517482758, 0.10954616963863373, 0.10954616963863373]),
    ])
    func interpolateModesMatchPyTorch(_ c: (String, [Int], [Double], [Double])) {
        let (name, shape, row, grad) = c
        manualSeed(0)
        let z = Tensor.randn(2, 3, 7, 9).requiresGrad_()
        let y: Tensor
        switch name {
        case "BC": y = interpolate(z, size: [11, 5], mode: "bicubic")
        case "BCA": y = interpolate(z, scaleFactor: 1.5, mode: "bicubic", alignCorners: true)
        case "AAL": y = interpolate(z, size: [3, 4], mode: "bilinear", antialias: true)
        case "AAC": y = interpolate(z, size: [4, 3], mode: "bicubic", antialias: true)
        case "AAU": y = interpolate(z, size: [10, 12], mode: "bilinear", antialias: true)
        case "NE": y = interpolate(z, size: [5, 13], mode: "nearest-exact")
        default: y = interpolate(z, size: [3, 4], mode: "area")
        }
        #expect(y.shape == shape)
        expectValues(y[1, 2, 0], row, atol: 1e-6)
        y.backward(gradient: Tensor.linspace(-1, 1, count: y.count).reshape(y.shape))
        expectValues(z.grad![1, 1, 2], grad, atol: 1e-5)
    }

    @Test func trilinearAndModeErrorsMatchPyTorch() {
        // torch.manual_seed(0); torch.randn(2, 3, 7, 9); v = torch.randn(1, 2, 3, 4, 5, requires_grad=True)
        // y = F.interpolate(v, size=(4, 6, 3), mode='trilinear'); y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
        // y[0, 1, 2, 3], v.grad[0, 0, 1, 2]
        manualSeed(0)
        _ = Tensor.randn(2, 3, 7, 9)
        let v = Tensor.randn(1, 2, 3, 4, 5).requiresGrad_()
        let y = interpolate(v, size: [4, 6, 3], mode: "trilinear")
        #expect(y.shape == [1, 2, 4, 6, 3])
        expectValues(y[0, 1, 2, 3], [-0.4075857400894165, -0.7727195024490356, -0.004370328038930893], atol: 1e-6)
        y.backward(gradient: Tensor.linspace(-1, 1, count: y.count).reshape(y.shape))
        expectValues(v.grad![0, 0, 1, 2], [-0.6089744567871094, -0.3044871985912323, -0.8872379064559937, -0.28700482845306396, -0.5740092396736145], atol: 1e-5)
        // the same upsample as a module prints as torch's
        #expect(Upsample(size: (4, 6), mode: "bicubic").description == "Upsample(size=(4, 6), mode='bicubic')")
    }

    /// The images of tv_cases: torch.rand(shape, generator=torch.Generator().manual_seed(seed)), uint8 as (x * 255).round().
    static func image(_ seed: Int, _ shape: [Int], u8: Bool = false) -> Tensor {
        let x = Tensor.rand(shape, generator: Generator(seed: seed))
        return u8 ? (x * 255).round().to(dtype: .uint8) : x
    }

    /// Each case's result, in the order of the Python snippet above `transformsMatchTorchvision`.
    static func transformCases() -> [(String, Tensor)] {
        let x = image(1, [3, 10, 12]), xu = image(2, [3, 10, 12], u8: true), m = image(3, [1, 9, 11]), mu = image(4, [1, 9, 11], u8: true)
        var r: [(String, Tensor)] = []
        func add(_ n: String, _ t: Tensor) { r.append((n, t)) }
        add("resize6", TF.resize(x, 6))
        add("resize_u8", TF.resize(xu, [7, 5]))
        add("resize_bicubic", TF.resize(x, [13, 17], interpolation: .bicubic))
        add("resize_bicubic_u8", TF.resize(xu, [4, 5], interpolation: .bicubic))
        add("resize_nearest", TF.resize(x, [4, 7], interpolation: .nearest))
        add("resize_max", TF.resize(x, 8, maxSize: 9))
        add("rotate", TF.rotate(m, 33))
        add("rotate_u8", TF.rotate(mu, -20, fill: [7]))
        add("rotate_bil_expand", TF.rotate(x, 40, interpolation: .bilinear, expand: true, fill: [0.5, 0.2, 0.1]))
        add("rotate_center", TF.rotate(m, 90, center: [2, 3]))
        add("affine", TF.affine(x, angle: 12, translate: [1, -2], scale: 1.1, shear: [5, 3], interpolation: .bilinear))
        manualSeed(0)
        let rr = RandomRotation(25)
        add("RandomRotation", rr(mu)); add("RandomRotation2", rr(m))
        manualSeed(1)
        let ra = RandomAffine(degrees: 15, translate: [0.1, 0.2], scale: [0.9, 1.1], shear: [10])
        add("RandomAffine", stack((0..<3).map { _ in ra(m) }))
        manualSeed(1)
        add("RandomAffine4", RandomAffine(degrees: [-5, 30], shear: [-3, 3, 2, 6], fill: [0.5])(x))
        manualSeed(2)
        let cj = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1)
        add("ColorJitter", stack((0..<3).map { _ in cj(x) }))
        manualSeed(2)
        add("ColorJitter_u8", stack((0..<3).map { _ in cj(xu) }))
        add("hue", TF.adjustHue(x, 0.3)); add("hue_u8", TF.adjustHue(xu, -0.2)); add("sat", TF.adjustSaturation(x, 1.7))
        add("contrast_u8", TF.adjustContrast(xu, 0.6)); add("bright_u8", TF.adjustBrightness(xu, 1.3))
        add("gray", TF.rgbToGrayscale(x)); add("gray_u8", TF.rgbToGrayscale(xu, numOutputChannels: 3))
        manualSeed(3)
        let rrc = RandomResizedCrop(8)
        add("RRC", stack((0..<4).map { _ in rrc(x) }))
        manualSeed(3)
        let rrc2 = RandomResizedCrop((5, 7), scale: [0.5, 0.9], ratio: [0.5, 2])
        add("RRC2", stack((0..<4).map { _ in rrc2(xu) }))
        manualSeed(4)
        add("Blur", GaussianBlur(kernelSize: 5, sigma: (0.1, 2))(x))
        add("blur_fn", TF.gaussianBlur(xu, kernelSize: [3, 5]))
        manualSeed(5)
        let er = RandomErasing(p: 1, value: nil)
        add("Erase", stack((0..<3).map { _ in er(x) }))
        manualSeed(5)
        let er2 = RandomErasing(p: 0.7, value: [0.1, 0.2, 0.3])
        add("Erase2", stack((0..<4).map { _ in er2(x) }))
        add("pad_sym", TF.pad(x, [2, 1, 3, 0], paddingMode: "symmetric")); add("pad_edge_u8", TF.pad(xu, [1, 2], paddingMode: "edge"))
        add("pad_reflect", TF.pad(x, [2], paddingMode: "reflect")); add("pad_const", TF.pad(xu, [1, 1, 2, 0], fill: 9))
        add("crop_out", TF.crop(x, -1, 3, 4, 11))
        add("invert_u8", TF.invert(xu)); add("solarize", TF.solarize(x, 0.5))
        add("cid", TF.convertImageDtype(x, .uint8)); add("cid2", TF.convertImageDtype(xu, .float64))
        manualSeed(6)
        let ap = RandomApply([RandomRotation(10), ColorJitter(brightness: 0.5)], p: 0.6)
        add("RandomApply", stack((0..<4).map { _ in ap(x) }))
        manualSeed(7)
        let rg = RandomGrayscale(p: 0.5)
        add("RandomGrayscale", stack((0..<4).map { _ in rg(x) }))
        return r
    }

    /// What torchvision 0.28 gives for the cases of `transformCases` (shape, dtype, sum, first six values), from
    /// (the torchvision import in the venv needs `sys.modules['torchvision._meta_registrations']` stubbed: its C ops are CUDA builds)
    /// import torch, torchvision.transforms as T, torchvision.transforms.functional as F
    /// import torch
    /// def show(name, y):
    ///     y2 = y.double()
    ///     print(f'{name} shape={list(y.shape)} dtype={str(y.dtype).replace("torch.","")} sum={y2.sum().item()!r} row={y2.flatten()[:6].tolist()}')
    /// def img(seed, shape, u8=False):
    ///     g = torch.Generator().manual_seed(seed)
    ///     x = torch.rand(shape, generator=g)
    ///     return (x*255).round().to(torch.uint8) if u8 else x
    /// x = img(1, (3, 10, 12)); xu = img(2, (3, 10, 12), True); m = img(3, (1, 9, 11)); mu = img(4, (1, 9, 11), True)
    /// show('resize6', F.resize(x, 6))
    /// show('resize_u8', F.resize(xu, [7, 5]))
    /// show('resize_bicubic', F.resize(x, [13, 17], interpolation=T.InterpolationMode.BICUBIC))
    /// show('resize_bicubic_u8', F.resize(xu, [4, 5], interpolation=T.InterpolationMode.BICUBIC))
    /// show('resize_nearest', F.resize(x, [4, 7], interpolation=T.InterpolationMode.NEAREST))
    /// show('resize_max', F.resize(x, 8, max_size=9))
    /// print('resize repr', T.Resize(32), T.Resize((4, 6), interpolation=T.InterpolationMode.BICUBIC, antialias=False))
    /// show('rotate', F.rotate(m, 33.0))
    /// show('rotate_u8', F.rotate(mu, -20.0, fill=[7]))
    /// show('rotate_bil_expand', F.rotate(x, 40.0, interpolation=T.InterpolationMode.BILINEAR, expand=True, fill=[0.5, 0.2, 0.1]))
    /// show('rotate_center', F.rotate(m, 90.0, center=[2, 3]))
    /// show('affine', F.affine(x, angle=12.0, translate=[1, -2], scale=1.1, shear=[5.0, 3.0], interpolation=T.InterpolationMode.BILINEAR))
    /// torch.manual_seed(0); t = T.RandomRotation(25); show('RandomRotation', t(mu)); show('RandomRotation2', t(m)); print('rr repr', t)
    /// torch.manual_seed(1); t = T.RandomAffine(15, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=10); ys=[t(m) for _ in range(3)]; show('RandomAffine', torch.stack(ys)); print('ra repr', t)
    /// torch.manual_seed(1); t = T.RandomAffine((-5, 30), shear=(-3, 3, 2, 6), fill=0.5); show('RandomAffine4', t(x))
    /// torch.manual_seed(2); t = T.ColorJitter(0.4, 0.4, 0.4, 0.1); show('ColorJitter', torch.stack([t(x) for _ in range(3)])); print('cj repr', t)
    /// torch.manual_seed(2); show('ColorJitter_u8', torch.stack([t(xu) for _ in range(3)]))
    /// show('hue', F.adjust_hue(x, 0.3)); show('hue_u8', F.adjust_hue(xu, -0.2)); show('sat', F.adjust_saturation(x, 1.7)); show('contrast_u8', F.adjust_contrast(xu, 0.6)); show('bright_u8', F.adjust_brightness(xu, 1.3))
    /// show('gray', F.rgb_to_grayscale(x)); show('gray_u8', F.rgb_to_grayscale(xu, 3))
    /// torch.manual_seed(3); t = T.RandomResizedCrop(8); show('RRC', torch.stack([t(x) for _ in range(4)])); print('rrc repr', t)
    /// torch.manual_seed(3); t = T.RandomResizedCrop((5, 7), scale=(0.5, 0.9), ratio=(0.5, 2.0)); show('RRC2', torch.stack([t(xu) for _ in range(4)]))
    /// torch.manual_seed(4); t = T.GaussianBlur(5, sigma=(0.1, 2.0)); show('Blur', t(x)); print('blur repr', t)
    /// show('blur_fn', F.gaussian_blur(xu, [3, 5]))
    /// torch.manual_seed(5); t = T.RandomErasing(p=1.0, value='random'); show('Erase', torch.stack([t(x) for _ in range(3)])); print('erase repr', t, T.RandomErasing())
    /// torch.manual_seed(5); t = T.RandomErasing(p=0.7, value=(0.1, 0.2, 0.3)); show('Erase2', torch.stack([t(x) for _ in range(4)]))
    /// show('pad_sym', F.pad(x, [2, 1, 3, 0], padding_mode='symmetric')); show('pad_edge_u8', F.pad(xu, [1, 2], padding_mode='edge')); show('pad_reflect', F.pad(x, 2, padding_mode='reflect')); show('pad_const', F.pad(xu, [1, 1, 2, 0], fill=9))
    /// print('pad repr', T.Pad(2), T.Pad([1, 2], fill=3, padding_mode='edge'))
    /// show('crop_out', F.crop(x, -1, 3, 4, 11))
    /// show('invert_u8', F.invert(xu)); show('solarize', F.solarize(x, 0.5))
    /// show('cid', F.convert_image_dtype(x, torch.uint8)); show('cid2', F.convert_image_dtype(xu, torch.float64))
    /// torch.manual_seed(6); t = T.RandomApply([T.RandomRotation(10), T.ColorJitter(0.5)], p=0.6); show('RandomApply', torch.stack([t(x) for _ in range(4)]))
    /// torch.manual_seed(7); t = T.RandomGrayscale(0.5); show('RandomGrayscale', torch.stack([t(x) for _ in range(4)])); print(t, T.Grayscale(3), T.RandomInvert(), T.RandomSolarize(0.5))
    static let torchvisionResults: [(String, [Int], DType, Double, [Double])] = [
        ("resize6", [3, 6, 7], .float32, 63.930246859788895, [0.5305399894714355, 0.44751468300819397, 0.44364994764328003, 0.6251484155654907, 0.6178427338600159, 0.41087794303894043]),
        ("resize_u8", [3, 7, 5], .uint8, 12966.0, [143.0, 153.0, 121.0, 93.0, 126.0, 146.0]),
        ("resize_bicubic", [3, 13, 17], .float32, 337.14688300155103, [0.7901097536087036, 0.4905535578727722, 0.26121842861175537, 0.3931364417076111, 0.7086529731750488, 0.4727231562137604]),
        ("resize_bicubic_u8", [3, 4, 5], .uint8, 7398.0, [146.0, 134.0, 95.0, 104.0, 133.0, 134.0]),
        ("resize_nearest", [3, 4, 7], .float32, 41.058510184288025, [0.7576315999031067, 0.2793108820915222, 0.7346844673156738, 0.7998586297035217, 0.3971373438835144, 0.5695084929466248]),
        ("resize_max", [3, 8, 9], .float32, 109.74991743266582, [0.6029452085494995, 0.35197943449020386, 0.5520875453948975, 0.36304527521133423, 0.6282591819763184, 0.6554269194602966]),
        ("rotate", [1, 9, 11], .float32, 37.590832591056824, [0.0, 0.0, 0.0, 0.7718658447265625, 0.7718658447265625, 0.8473186492919922]),
        ("rotate_u8", [1, 9, 11], .uint8, 13044.0, [7.0, 155.0, 236.0, 121.0, 152.0, 2.0]),
        ("rotate_bil_expand", [3, 16, 16], .float32, 281.48237800970674, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
        ("rotate_center", [1, 9, 11], .float32, 15.969275653362274, [0.45940524339675903, 0.2927446961402893, 0.004324436187744141, 0.4301472306251526, 0.2773125171661377, 0.6075549125671387]),
        ("affine", [3, 10, 12], .float32, 152.19909894559532, [0.110122449696064, 0.9140850305557251, 0.47939977049827576, 0.6656136512756348, 0.5669073462486267, 0.5010916590690613]),
        ("RandomRotation", [1, 9, 11], .uint8, 13922.0, [143.0, 143.0, 23.0, 54.0, 2.0, 10.0]),
        ("RandomRotation2", [1, 9, 11], .float32, 40.72661888599396, [0.0, 0.0, 0.0, 0.47161436080932617, 0.06011629104614258, 0.7718658447265625]),
        ("RandomAffine", [3, 1, 9, 11], .float32, 123.6112813949585, [0.7994906306266785, 0.14984089136123657, 0.40146881341934204, 0.026954829692840576, 0.47161436080932617, 0.06011629104614258]),
        ("RandomAffine4", [3, 10, 12], .float32, 183.17150646448135, [0.5, 0.3397757411003113, 0.30514949560165405, 0.46354562044143677, 0.4549863338470459, 0.7346844673156738]),
        ("ColorJitter", [3, 3, 10, 12], .float32, 507.6044034222141, [0.8297459483146667, 0.21381230652332306, 0.3376522362232208, 0.7941709756851196, 0.0, 0.8710619807243347]),
        ("ColorJitter_u8", [3, 3, 10, 12], .uint8, 125627.0, [167.0, 83.0, 174.0, 128.0, 185.0, 155.0]),
        ("hue", [3, 10, 12], .float32, 183.18989482335746, [0.11467704176902771, 0.39950108528137207, 0.5909600853919983, 0.595623254776001, 0.09902925789356232, 0.6267515420913696]),
        ("hue_u8", [3, 10, 12], .uint8, 46522.0, [221.0, 120.0, 130.0, 223.0, 182.0, 36.0]),
        ("sat", [3, 10, 12], .float32, 179.80778581276536, [1.0, 0.1487230360507965, 0.1340097188949585, 0.9808288812637329, 0.0, 1.0]),
        ("contrast_u8", [3, 10, 12], .uint8, 44065.0, [142.0, 106.0, 145.0, 121.0, 157.0, 143.0]),
        ("bright_u8", [3, 10, 12], .uint8, 55283.0, [204.0, 126.0, 210.0, 157.0, 236.0, 205.0]),
        ("gray", [1, 10, 12], .float32, 61.949039809405804, [0.3526374101638794, 0.46586495637893677, 0.7874400019645691, 0.3830495774745941, 0.48674941062927246, 0.4284321367740631]),
        ("gray_u8", [3, 10, 12], .uint8, 43764.0, [184.0, 157.0, 60.0, 167.0, 205.0, 88.0]),
        ("RRC", [4, 3, 8, 8], .float32, 393.7165136747062, [0.5059208273887634, 0.4890877306461334, 0.3880891501903534, 0.28709056973457336, 0.33416929841041565, 0.5293253660202026]),
        ("RRC2", [4, 3, 5, 7], .uint8, 51995.0, [163.0, 113.0, 89.0, 104.0, 112.0, 90.0]),
        ("Blur", [3, 10, 12], .float32, 182.03991204500198, [0.4713996350765228, 0.4718734622001648, 0.4784940481185913, 0.48376187682151794, 0.5050516724586487, 0.579792320728302]),
        ("blur_fn", [3, 10, 12], .uint8, 44478.0, [146.0, 153.0, 150.0, 147.0, 141.0, 107.0]),
        ("Erase", [3, 3, 10, 12], .float32, 443.86205248814076, [0.7576315999031067, 0.2793108820915222, 0.40306925773620605, 0.7346844673156738, 0.029281556606292725, 0.7998586297035217]),
        ("Erase2", [4, 3, 10, 12], .float32, 668.0781537294388, [0.7576315999031067, 0.2793108820915222, 0.40306925773620605, 0.7346844673156738, 0.029281556606292725, 0.7998586297035217]),
        ("pad_sym", [3, 11, 17], .float32, 278.40644001960754, [0.2793108820915222, 0.7576315999031067, 0.7576315999031067, 0.2793108820915222, 0.40306925773620605, 0.7346844673156738]),
        ("pad_edge_u8", [3, 14, 14], .uint8, 72341.0, [157.0, 157.0, 97.0, 162.0, 121.0, 182.0]),
        ("pad_reflect", [3, 14, 16], .float32, 336.5299301147461, [0.7980638742446899, 0.5239408016204834, 0.3397757411003113, 0.5239408016204834, 0.7980638742446899, 0.77176833152771]),
        ("pad_const", [3, 11, 15], .uint8, 45736.0, [9.0, 9.0, 9.0, 9.0, 9.0, 9.0]),
        ("crop_out", [3, 4, 11], .float32, 40.90973782539368, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        ("invert_u8", [3, 10, 12], .uint8, 47279.0, [98.0, 158.0, 93.0, 134.0, 73.0, 97.0]),
        ("solarize", [3, 10, 12], .float32, 90.63800036907196, [0.2423684000968933, 0.2793108820915222, 0.40306925773620605, 0.26531553268432617, 0.029281556606292725, 0.20014137029647827]),
        ("cid", [3, 10, 12], .uint8, 46665.0, [193.0, 71.0, 103.0, 188.0, 7.0, 204.0]),
        ("cid2", [3, 10, 12], .float64, 174.59215686274507, [0.615686274509804, 0.3803921568627451, 0.6352941176470588, 0.4745098039215686, 0.7137254901960784, 0.6196078431372549]),
        ("RandomApply", [4, 3, 10, 12], .float32, 758.6922354847193, [0.7191283702850342, 0.2651161551475525, 0.3825850784778595, 0.6973474025726318, 0.02779345214366913, 0.759209394454956]),
        ("RandomGrayscale", [4, 3, 10, 12], .float32, 734.8457207456231, [0.7576315999031067, 0.2793108820915222, 0.40306925773620605, 0.7346844673156738, 0.029281556606292725, 0.7998586297035217]),
    ]

    @Test func transformsMatchTorchvision() {
        let cases = Self.transformCases()
        #expect(cases.count == Self.torchvisionResults.count)
        for ((name, y), (tvName, shape, dtype, sum, row)) in zip(cases, Self.torchvisionResults) {
            #expect(name == tvName)
            #expect(y.shape == shape, "\(name) shape")
            #expect(y.dtype == dtype, "\(name) dtype")
            let d = y.to(dtype: .float64)
            #expect(abs(d.sum().item() - sum) <= 2e-6 * Swift.max(1, abs(sum)), "\(name) sum \(d.sum().item()) vs \(sum)")
            expectValues(d.flatten()[0..<6], row, atol: 1e-6)
        }
    }

    @Test func transformReprsMatchTorchvision() {
        // print(T.Resize(32), T.Resize((4, 6), interpolation=T.InterpolationMode.BICUBIC, antialias=False)) and the others below
        #expect(Resize(32).description == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)")
        #expect(Resize((4, 6), interpolation: .bicubic, antialias: false).description == "Resize(size=(4, 6), interpolation=bicubic, max_size=None, antialias=False)")
        #expect(RandomRotation(25).description == "RandomRotation(degrees=[-25.0, 25.0], interpolation=nearest, expand=False, fill=0)")
        #expect(RandomAffine(degrees: 15, translate: [0.1, 0.2], scale: [0.9, 1.1], shear: [10]).description
                == "RandomAffine(degrees=[-15.0, 15.0], translate=(0.1, 0.2), scale=(0.9, 1.1), shear=[-10.0, 10.0])")
        #expect(ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1).description
                == "ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), hue=(-0.1, 0.1))")
        #expect(RandomResizedCrop(8).description == "RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)")
        #expect(GaussianBlur(kernelSize: 5, sigma: (0.1, 2)).description == "GaussianBlur(kernel_size=(5, 5), sigma=(0.1, 2.0))")
        #expect(RandomErasing(p: 1, value: nil).description == "RandomErasing(p=1.0, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=random, inplace=False)")
        #expect(RandomErasing().description == "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)")
        #expect(Pad(2).description == "Pad(padding=2, fill=0, padding_mode=constant)")
        #expect(Pad([1, 2], fill: 3, paddingMode: "edge").description == "Pad(padding=[1, 2], fill=3, padding_mode=edge)")
        #expect(RandomGrayscale(p: 0.5).description == "RandomGrayscale(p=0.5)" && Grayscale(numOutputChannels: 3).description == "Grayscale(num_output_channels=3)")
        #expect(RandomInvert().description == "RandomInvert(p=0.5)" && RandomSolarize(threshold: 0.5).description == "RandomSolarize(threshold=0.5,p=0.5)")
    }

    @Test func transformMisuseStopsWithTorchvisionsMessages() async {
        let r1 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = TF.adjustHue(Tensor.rand(3, 4, 4), 0.7) }
        #expect(stderr(r1).contains("hue_factor (0.7) is not in [-0.5, 0.5]."))
        let r2 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = TF.rgbToGrayscale(Tensor.rand(2, 4, 4)) }
        #expect(stderr(r2).contains("permitted channel values are 1, 3, but found 2"))
        let r3 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = GaussianBlur(kernelSize: 4) }
        #expect(stderr(r3).contains("Kernel size value should be an odd and positive number."))
        let r4 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = TF.resize(Tensor.rand(1, 8, 8), 8, maxSize: 8) }
        #expect(stderr(r4).contains("max_size = 8 must be strictly greater than the requested size for the smaller edge size = [8]"))
        let r5 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = interpolate(Tensor.rand(1, 2, 4), size: 3, mode: "bicubic") }
        #expect(stderr(r5).contains("Got 3D input, but bicubic mode needs 4D input"))
        let r6 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { _ = interpolate(Tensor.rand(1, 2, 4, 4), size: 3, mode: "nearest", antialias: true) }
        #expect(stderr(r6).contains("Anti-alias option is restricted to bilinear and bicubic modes"))
    }
}
}
