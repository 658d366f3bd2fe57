// Vision building blocks and image ops: F.interpolate (nearest, nearest-exact, bilinear with and
// without align_corners, bicubic, area, antialias, scale factors and sizes) and its gradients,
// nn.Upsample, affine_grid / grid_sample, unfold / fold (im2col), PixelShuffle / PixelUnshuffle,
// ConvTranspose2d (stride 2, output_padding, groups, output_size), depthwise / grouped / dilated
// Conv2d with padding='same', adaptive pooling with odd sizes, AvgPool2d's ceil_mode and
// count_include_pad, BatchNorm2d in training and eval, GroupNorm, InstanceNorm2d, LayerNorm over
// (C, H, W), Dropout2d, channels-last layouts, torchvision transforms on tensors, and a small ResNet
// (basic blocks with skip connections) trained a few SGD steps, written as a PyTorch user would
// write them against Descent. Expected output: pytorch/26-vision-ops.py's
// (pytorch/26-vision-ops.expected). (No data files: DESCENT_MNIST is not read.)
import Descent
import Foundation

func block(_ title: String) { print("## \(title)") }
func py(_ b: Bool) -> String { b ? "True" : "False" }   // Python prints booleans capitalised
/// Every value with `d` decimals, space-separated (the twin's `fmt`; `+ 0` turns -0.0 into 0.0).
func fmt(_ t: Tensor, _ d: Int = 4) -> String {
    t.detach().flatten().toArray(Float.self).map { String(format: "%.\(d)f", $0 + 0) }.joined(separator: " ")
}

block("interpolate: nearest, bilinear, bicubic, area")
let x = Tensor.arange(12.0).reshape(1, 1, 3, 4)
print(interpolate(x, scaleFactor: 2, mode: "nearest"))
print(interpolate(x, size: [5, 7], mode: "nearest"))
print(interpolate(x, size: [5, 7], mode: "nearest-exact"))
print(interpolate(x, size: [5, 7], mode: "bilinear", alignCorners: false))
print(interpolate(x, size: [5, 7], mode: "bilinear", alignCorners: true))
print(interpolate(x, scaleFactor: [1.5, 0.5], mode: "bilinear"))
print(interpolate(x, scaleFactor: 1.5, mode: "bilinear", recomputeScaleFactor: true))
print(interpolate(x, size: [4, 6], mode: "bicubic", alignCorners: false))
print(interpolate(x, size: [4, 6], mode: "bicubic", alignCorners: true))
print(interpolate(x, size: [2, 3], mode: "bilinear", antialias: true))
print(interpolate(x, size: [2, 2], mode: "area"))

block("interpolate gradients")
let wts = Tensor.arange(35.0).reshape(1, 1, 5, 7) / 10
let modes: [(String, Bool?)] = [("nearest", nil), ("bilinear", false), ("bilinear", true), ("bicubic", false)]
for (mode, corners) in modes {
    let xg = x.clone().requiresGrad_()
    let y = interpolate(xg, size: [5, 7], mode: mode, alignCorners: corners)
    print(mode, y.gradFn!)
    (y * wts).sum().backward()
    print(xg.grad!)
}

block("nn.Upsample")
let up = Upsample(scaleFactor: 2, mode: "nearest")
print(up)
print(up(x).shape)
let up2 = Upsample(size: (4, 6), mode: "bilinear", alignCorners: true)
print(up2)
print(up2(x))
let up3 = UpsamplingBilinear2d(scaleFactor: 2)
print(up3)
print(up3(x)[0, 0, ..<2])
let up4 = Upsample(scaleFactor: (2, 1.5), mode: "nearest")
print(up4)
print(up4(x))

block("affine_grid and grid_sample")
manualSeed(1)
let img = Tensor.randn(1, 2, 4, 5)
let theta = Tensor([[[0.8, -0.3, 0.1], [0.2, 0.9, -0.2]]])
let grid = affineGrid(theta, size: [1, 2, 3, 4], alignCorners: false)
print(grid.shape)
print(grid[0, 0])
print(fmt(gridSample(img, grid, alignCorners: false)))
print(fmt(gridSample(img, grid, mode: "nearest", alignCorners: false)))
let grid2 = affineGrid(theta * 1.5, size: [1, 2, 3, 4], alignCorners: true)
print(grid2[0, 2])
print(fmt(gridSample(img, grid2, paddingMode: "border", alignCorners: true)))
print(fmt(gridSample(img, grid2, paddingMode: "zeros", alignCorners: true)))
let ident = Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
let same = gridSample(img, affineGrid(ident, size: img.shape, alignCorners: false), alignCorners: false)
print(py(allclose(same, img, atol: 1e-6)))
let th = theta.clone().requiresGrad_()
let im = img.clone().requiresGrad_()
let ag = affineGrid(th, size: [1, 2, 3, 4], alignCorners: false)
let gs = gridSample(im, ag, alignCorners: false)
print(ag.gradFn!, gs.gradFn!)
(gs * Tensor.arange(24.0).reshape(1, 2, 3, 4) / 10).sum().backward()
print(fmt(im.grad![0, 0]))
print(fmt(th.grad!))

block("unfold and fold (im2col)")
let u = Tensor.arange(50.0).reshape(1, 2, 5, 5)
let cols = unfold(u, kernelSize: 3, padding: 1, stride: 2)
print(cols.shape)
print(cols[0, ..<9])
let colsD = unfold(u, kernelSize: 2, dilation: 2)
print(colsD.shape)
print(colsD[0, ..<4])
let unf = Unfold(kernelSize: (2, 3), dilation: (1, 2), padding: 1, stride: (2, 1))
print(unf)
print(unf(u).shape)
let foldLayer = Fold(outputSize: (5, 5), kernelSize: 3, padding: 1, stride: 2)
print(foldLayer)
print(foldLayer(cols))
let ones5 = Tensor.ones(1, 2, 5, 5)
print(fold(unfold(ones5, kernelSize: 3, padding: 1), outputSize: (5, 5), kernelSize: 3, padding: 1)[0, 0])
manualSeed(2)
let cw = Tensor.randn(4, 2, 3, 3)
let cx = Tensor.randn(2, 2, 6, 6)
let ref = conv2d(cx, cw, padding: 1)
let via = cw.view(4, -1).matmul(unfold(cx, kernelSize: 3, padding: 1)).view(2, 4, 6, 6)
print(py(allclose(ref, via, atol: 1e-5)))
let ug = u.clone().requiresGrad_()
let c = unfold(ug, kernelSize: 3, padding: 1, stride: 2)
print(c.gradFn!)
(c * Tensor.arange(Double(c.numel())).reshape(c.shape) / 100).sum().backward()
print(ug.grad![0, 1])
let fg = cols.clone().requiresGrad_()
let f = fold(fg, outputSize: (5, 5), kernelSize: 3, padding: 1, stride: 2)
print(f.gradFn!)
(f * Tensor.arange(50.0).reshape(1, 2, 5, 5)).sum().backward()
print(fg.grad![0, ..<3])

block("PixelShuffle and PixelUnshuffle")
let p = Tensor.arange(48.0).reshape(1, 8, 2, 3)
let ps = PixelShuffle(2)
print(ps)
let shuf = ps(p)
print(shuf.shape)
print(shuf[0, 0])
print(shuf[0, 1])
let pu = PixelUnshuffle(2)
print(pu)
let unshuf = pu(shuf)
print(unshuf.shape, py(equal(unshuf, p)))
print(pixelUnshuffle(Tensor.zeros(2, 3, 6, 4), downscaleFactor: 2).shape)
let pg = p.clone().requiresGrad_()
let pso = pixelShuffle(pg, upscaleFactor: 2)
print(pso.gradFn!)
(pso * Tensor.arange(48.0).reshape(1, 2, 4, 6)).sum().backward()
print(pg.grad![0, ..<2])

block("ConvTranspose2d")
manualSeed(3)
let ct = ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
print(ct)
print(ct.weight.shape, ct.bias!.shape)
let xt = Tensor.randn(2, 4, 5, 5, requiresGrad: true)
let yt = ct(xt)
print(yt.shape, yt.gradFn!)
print(fmt(yt[0, 0, ..<3, ..<3]))
print(fmt(yt[1, 5, (-2)..., (-2)...]))
(yt * Tensor.arange(1200.0).reshape(2, 6, 10, 10) / 1000).sum().backward()
print(fmt(ct.weight.grad![0, 0]))
print(fmt(ct.bias!.grad!))
print(fmt(xt.grad![0, 0, 0]))
let ct2 = ConvTranspose2d(4, 4, kernelSize: 3, stride: 2, padding: 1)
print(ct2(xt).shape, ct2(xt, outputSize: [10, 10]).shape)
let ct3 = ConvTranspose2d(4, 2, kernelSize: (2, 3), stride: (2, 1), bias: false, dilation: 2)
print(ct3)
print(ct3(xt).shape)
print(fmt(convTranspose2d(xt, ct2.weight, stride: 2)[0, 0, 0]))

block("grouped, depthwise and dilated Conv2d, padding='same'")
manualSeed(4)
let dw = Conv2d(4, 8, kernelSize: 3, padding: .same, dilation: 2, groups: 4, bias: false)
print(dw)
print(dw.weight.shape)
let xc = Tensor.randn(2, 4, 7, 6, requiresGrad: true)
let yc = dw(xc)
print(yc.shape, yc.gradFn!)
print(fmt(yc[0, 0, 0]))
print(fmt(yc[1, 7, -1]))
let even = Conv2d(4, 3, kernelSize: 4, padding: .same)
print(even)
let ye = even(xc)
print(ye.shape)
print(fmt(ye[0, 0, .all, 0]))
print(fmt(ye[0, 2, -1]))
let valid = Conv2d(4, 4, kernelSize: (3, 2), padding: .valid, groups: 2)
print(valid)
print(valid(xc).shape)
let refl = Conv2d(4, 4, kernelSize: 3, padding: 1, groups: 4, paddingMode: "reflect")
print(refl)
print(fmt(refl(xc)[0, 1, 0]))
let pw = Conv2d(4, 6, kernelSize: 1)
print(fmt(pw(xc)[1, .all, 3, 3]))
let wc = Tensor.arange(336.0).reshape(2, 8, 7, 3)[.ellipsis, ..<1].expand(2, 8, 7, 6) / 100
((yc * wc).sum() + ye.sum()).backward()
print(fmt(dw.weight.grad![.all, 0, 1]))
print(fmt(even.weight.grad![0, 0]))
print(fmt(even.bias!.grad!))
print(fmt(xc.grad![0, 0, 0]))
print(fmt(conv2d(xc, dw.weight, padding: .same, dilation: 2, groups: 4)[1, 3, 2]))

block("adaptive pooling with odd sizes")
manualSeed(5)
let xa = Tensor.randn(1, 2, 7, 5, requiresGrad: true)
let aap = AdaptiveAvgPool2d((3, 2))
print(aap)
let ya = aap(xa)
print(ya.shape, ya.gradFn!)
print(fmt(ya))
let keep = AdaptiveAvgPool2d((nil, 3))
print(keep)
print(keep(xa).shape)
print(fmt(keep(xa)[0, 0, .all, 1]))
print(fmt(adaptiveAvgPool2d(xa, (9, 6))[0, 1, 0]))
let amp = AdaptiveMaxPool2d((4, 3), returnIndices: true)
print(amp)
let (ym, idx) = amp(xa)
print(fmt(ym))
print(idx)
(ya * Tensor([1.0, -2.0]).view(1, 1, 1, 2)).sum().backward()
print(fmt(xa.grad![0, 0]))
xa.grad = nil
ym.sum().backward()
print(xa.grad![0, 1])

block("AvgPool2d ceil_mode and count_include_pad, MaxPool2d ceil_mode")
let q = Tensor.arange(25.0).reshape(1, 1, 5, 5)
let pools: [Module] = [
    AvgPool2d(2, ceilMode: true),
    AvgPool2d(3, stride: 2, padding: 1),
    AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false),
    AvgPool2d(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
    AvgPool2d(2, stride: 2, ceilMode: true, divisorOverride: 3),
    MaxPool2d(2, ceilMode: true),
    MaxPool2d(3, stride: 2, padding: 1, dilation: 2),
]
for pool in pools {
    print(pool)
    print(pool(q))
}
let qg = q.clone().requiresGrad_()
let yq = avgPool2d(qg, kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)
print(yq.gradFn!)
yq.sum().backward()
print(qg.grad!)

block("BatchNorm2d: train vs eval, running stats")
manualSeed(6)
let bn = BatchNorm2d(3)
print(bn)
let xb = Tensor.randn(4, 3, 3, 3) * 2 + 1
let yb = bn(xb)
print(py(yb.mean(dims: [0, 2, 3]).abs().max().item() < 1e-5))
print(fmt(yb.variance(dims: [0, 2, 3], unbiased: false)))
print(fmt(yb[1, 2, 0]))
print(fmt(bn.runningMean!))
print(fmt(bn.runningVar!))
print(bn.numBatchesTracked!)
_ = bn(xb * 0.5)
print(fmt(bn.runningMean!), "|", fmt(bn.runningVar!))
bn.eval()
let ybe = bn(xb)
print(fmt(ybe[0, 0, 0]))
print(py(bn.isTraining), bn.numBatchesTracked!)
let cum = BatchNorm2d(3, momentum: nil)
_ = cum(xb)
_ = cum(xb * 0.5)
print(cum)
print(fmt(cum.runningMean!), "|", fmt(cum.runningVar!))
let nostats = BatchNorm2d(3, affine: false, trackRunningStats: false)
print(nostats)
nostats.eval()
print(fmt(nostats(xb)[0, 0, 0]))
print(nostats.buffers().count, nostats.parameters().count)
let bng = BatchNorm2d(3)
uniform_(bng.weight!)
uniform_(bng.bias!)
let xg2 = xb.clone().requiresGrad_()
let ob = bng(xg2)
print(ob.gradFn!)
(ob * Tensor.arange(108.0).reshape(4, 3, 3, 3) / 100).sum().backward()
print(fmt(xg2.grad![0, 0]))
print(fmt(bng.weight!.grad!), "|", fmt(bng.bias!.grad!))

block("GroupNorm, InstanceNorm2d, LayerNorm over (C, H, W)")
manualSeed(7)
let xn = Tensor.randn(2, 4, 3, 3) * 3 + 2
let gn = GroupNorm(2, 4)
normal_(gn.weight!)
normal_(gn.bias!)
print(gn)
let yg = gn(xn)
print(fmt(yg[0, .all, 0, 0]))
let gn0 = GroupNorm(2, 4, affine: false)
print(gn0)
print(fmt(gn0(xn)[1].reshape(2, -1).variance(dim: 1, unbiased: false)))
let inn = InstanceNorm2d(4, affine: true, trackRunningStats: true)
print(inn)
let yi = inn(xn)
print(fmt(yi[0, 1, 0]))
print(fmt(inn.runningMean!), "|", fmt(inn.runningVar!))
inn.eval()
print(fmt(inn(xn)[0, 1, 0]))
let innPlain = InstanceNorm2d(4)
print(innPlain)
print(fmt(innPlain(xn)[1, 3, 2]))
let ln = LayerNorm([4, 3, 3])
print(ln)
print(ln.weight!.shape)
normal_(ln.weight!)
let yl = ln(xn)
print(fmt(yl[0, 0, 0]))
let lnPlane = LayerNorm([3, 3], elementwiseAffine: false)
print(lnPlane)
print(fmt(lnPlane(xn)[0, 2, 1]))
let wn = Tensor.arange(72.0).reshape(2, 4, 3, 3) / 50
let xng = xn.clone().requiresGrad_()
let og = gn(xng)
print(og.gradFn!)
(og * wn).sum().backward()
print(fmt(xng.grad![0, 0, 0]))
print(fmt(gn.weight!.grad!), "|", fmt(gn.bias!.grad!))
xng.grad = nil
let ol = ln(xng)
print(ol.gradFn!)
(ol * wn).sum().backward()
print(fmt(xng.grad![1, 3, 2]))
print(fmt(ln.weight!.grad![0, 0]))
xng.grad = nil
inn.train()
let oi = inn(xng)
(oi * wn).sum().backward()
print(fmt(xng.grad![1, 0, 1]))
print(fmt(inn.weight!.grad!), "|", fmt(inn.bias!.grad!))

block("Dropout2d")
let d2 = Dropout2d(0.5)
print(d2)
manualSeed(8)
let ones4 = Tensor.ones(2, 4, 2, 2)
let yd = d2(ones4)
print(yd[.all, .all, 0, 0])
print(yd.sum(dims: [2, 3]))
d2.eval()
print(py(equal(d2(ones4), ones4)), py(d2.isTraining))
print(dropout2d(ones4, p: 0.3, training: false).sum().item())

block("channels: permute, contiguous, channels_last")
let cl = Tensor.arange(24.0).reshape(2, 3, 2, 2)
let nhwc = cl.permute(0, 2, 3, 1)
print(nhwc.shape, nhwc.stride(), py(nhwc.isContiguous))
let c2 = nhwc.contiguous()
print(c2.stride(), py(c2.isContiguous))
print(c2[0, 1, 0])
let nchw = c2.permute(0, 3, 1, 2)
print(nchw.shape, nchw.stride(), py(nchw.isContiguous), py(equal(nchw, cl)))
print(py(nchw.isContiguous(memoryFormat: .channelsLast)))
let mf = cl.contiguous(memoryFormat: .channelsLast)
print(mf.stride(), mf.shape, py(equal(mf, cl)))
manualSeed(9)
let conv = Conv2d(3, 2, kernelSize: 1)
print(py(allclose(conv(nchw), conv(cl))))
let gc = nhwc.clone().requiresGrad_()
let h = gc.permute(0, 3, 1, 2).contiguous()
print(h.gradFn!, h.gradFunction!.nextFunctions[0]!.name)
(h * Tensor.arange(24.0).reshape(2, 3, 2, 2)).sum().backward()
print(gc.grad![1, 1])
let tokens = cl.flatten(2).transpose(1, 2)
print(tokens.shape, py(tokens.isContiguous))
print(tokens[0])
print(cl.movedim(1, -1).stride())

block("torchvision transforms on tensors")
manualSeed(10)
let pic = Tensor.rand(3, 6, 8)
let tf = Compose([Resize((4, 5), antialias: true), CenterCrop(3),
                  Normalize(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])])
print(tf)
let ot = tf(pic)
print(ot.shape)
print(fmt(ot[0]))
print(fmt(TF.hflip(pic)[1, 0]))
print(fmt(TF.resize(pic, [3, 4], interpolation: .nearest)[2]))
print(TF.resize(pic, 3).shape)
print(fmt(TF.resize(pic, 3)[0, 0]))
let aug = Compose([RandomCrop(4, padding: 1), RandomHorizontalFlip()])
print(aug)
manualSeed(11)
print(fmt(aug(pic)[0]))
print(fmt(aug(pic)[2]))
let batch = Tensor.rand(2, 3, 6, 8)
print(Resize((3, 4))(batch).shape)
print(fmt(Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2])(batch)[1, 2, 0]))
print(fmt(TF.rgbToGrayscale(pic)[0, 0]))

final class BasicBlock: Module {
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let relu: ReLU
    let conv2: Conv2d
    let bn2: BatchNorm2d
    let downsample: Sequential?
    init(_ inplanes: Int, _ planes: Int, stride: Int = 1) {
        conv1 = Conv2d(inplanes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        relu = ReLU(inplace: true)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        if stride != 1 || inplanes != planes {
            downsample = Sequential {
                Conv2d(inplanes, planes, kernelSize: 1, stride: stride, bias: false)
                BatchNorm2d(planes)
            }
        } else {
            downsample = nil
        }
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        var identity = x
        var out = relu(bn1(conv1(x)))
        out = bn2(conv2(out))
        if let downsample {
            identity = downsample(x)
        }
        out += identity
        return relu(out)
    }
}

final class TinyResNet: Module {
    let stem: Sequential
    let layer1: BasicBlock
    let layer2: BasicBlock
    let pool: AdaptiveAvgPool2d
    let fc: Linear
    init(numClasses: Int = 4) {
        stem = Sequential { Conv2d(3, 8, kernelSize: 3, padding: 1, bias: false); BatchNorm2d(8); ReLU(inplace: true) }
        layer1 = BasicBlock(8, 8)
        layer2 = BasicBlock(8, 16, stride: 2)
        pool = AdaptiveAvgPool2d((1, 1))
        fc = Linear(16, numClasses)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        let h = layer2(layer1(stem(x)))
        return fc(flatten(pool(h), 1))
    }
}

block("a ResNet basic block trained with SGD")
manualSeed(12)
let net = TinyResNet()
print(net)
print(net.parameters().map { $0.numel() }.reduce(0, +))
let xs = Tensor.randn(8, 3, 8, 8)
let ys = Tensor.randint(0, 4, [8])
let opt = SGD(net.parameters(), lr: 0.05, momentum: 0.9, weightDecay: 5e-4)
for step in 0..<6 {
    opt.zeroGrad()
    let logits = net(xs)
    let loss = crossEntropy(logits, ys)
    loss.backward()
    if step == 0 {
        print(logits.gradFn!, loss.gradFn!)
        for name in ["stem.0.weight", "layer1.conv1.weight", "layer2.downsample.0.weight", "layer2.bn2.weight", "fc.weight"] {
            print(name, String(format: "%.5f", net.getParameter(name)!.grad!.norm().item()))
        }
    }
    opt.step()
    print(step, String(format: "%.5f", loss.item()))
}
net.eval()
let pred: Tensor = noGrad { net(xs) }
print(pred.argmax(dim: 1))
print(fmt(pred[0]))
print(fmt(net.layer2.bn2.runningMean![..<4]))
print(net.layer2.bn2.numBatchesTracked!)

block("grid_sample: reflection padding and bicubic")
print(fmt(gridSample(pic[.newAxis], affineGrid(theta * 1.5, size: [1, 3, 3, 4], alignCorners: false),
                     paddingMode: "reflection", alignCorners: false)))
print(fmt(gridSample(pic[.newAxis], affineGrid(theta, size: [1, 3, 3, 4], alignCorners: false),
                     mode: "bicubic", alignCorners: false)))
