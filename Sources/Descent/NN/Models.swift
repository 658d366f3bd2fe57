import Foundation

// torchvision's ResNets (`torchvision.models.resnet18(num_classes=10)` and its family), built layer
// for layer as torchvision builds them: the same module names (so torchvision's state dicts, saved as
// safetensors, load into them), the same printout, and the same initialisation drawn in the same
// order (each layer's default init as it is made, then kaiming-normal fan-out convolutions and unit
// batch norms in module order), so that after the same seed the weights are PyTorch's.

/// A 3x3 convolution with padding, without bias (torchvision's `conv3x3`).
private func conv3x3(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inPlanes, outPlanes, kernelSize: 3, stride: stride, padding: 1, bias: false)
}
/// A 1x1 convolution without bias (torchvision's `conv1x1`).
private func conv1x1(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inPlanes, outPlanes, kernelSize: 1, stride: stride, bias: false)
}

/// A residual block of a ResNet (`BasicBlock` or `Bottleneck`).
public protocol ResidualBlock: Module {
    /// Output channels per `planes` (1 for `BasicBlock`, 4 for `Bottleneck`).
    static var expansion: Int { get }
    /// The block; `downsample` (made first, as torchvision makes it) matches the shortcut's shape.
    init(inPlanes: Int, planes: Int, stride: Int, downsample: Sequential?)
    /// The block's last batch norm (zeroed by `zeroInitResidual`).
    var lastNorm: BatchNorm2d { get }
}

/// Two 3x3 convolutions with a shortcut (torchvision's `BasicBlock`, ResNet-18 and -34).
public final class BasicBlock: Module, ResidualBlock {
    public static let expansion = 1
    public let conv1: Conv2d, bn1: BatchNorm2d, relu: ReLU, conv2: Conv2d, bn2: BatchNorm2d
    public let downsample: Sequential?
    public let stride: Int
    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        conv1 = conv3x3(inPlanes, planes, stride: stride); bn1 = BatchNorm2d(planes); relu = ReLU(inplace: true)
        conv2 = conv3x3(planes, planes); bn2 = BatchNorm2d(planes)
        self.downsample = downsample; self.stride = stride
        super.init()
    }
    public var lastNorm: BatchNorm2d { bn2 }
    public override func forward(_ x: Tensor) -> Tensor {
        let out = bn2(conv2(relu(bn1(conv1(x)))))
        return relu(out + (downsample.map { $0(x) } ?? x))
    }
}

/// 1x1, 3x3 and 1x1 convolutions with a shortcut (torchvision's `Bottleneck`, ResNet-50 and deeper).
public final class Bottleneck: Module, ResidualBlock {
    public static let expansion = 4
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d, relu: ReLU
    public let downsample: Sequential?
    public let stride: Int
    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        conv1 = conv1x1(inPlanes, planes); bn1 = BatchNorm2d(planes)
        conv2 = conv3x3(planes, planes, stride: stride); bn2 = BatchNorm2d(planes)
        conv3 = conv1x1(planes, planes * Bottleneck.expansion); bn3 = BatchNorm2d(planes * Bottleneck.expansion)
        relu = ReLU(inplace: true)
        self.downsample = downsample; self.stride = stride
        super.init()
    }
    public var lastNorm: BatchNorm2d { bn3 }
    public override func forward(_ x: Tensor) -> Tensor {
        var out = relu(bn1(conv1(x)))
        out = relu(bn2(conv2(out)))
        out = bn3(conv3(out))
        return relu(out + (downsample.map { $0(x) } ?? x))
    }
}

/// A ResNet (torchvision's `ResNet`): a 7x7 stem, four stages of residual blocks, global average
/// pooling and a linear classifier `fc`, which you may replace (`model.fc = Linear(512, 10)`) to
/// fine-tune. Inputs are (N, 3, H, W).
public final class ResNet: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, relu: ReLU, maxpool: MaxPool2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let avgpool: AdaptiveAvgPool2d
    /// The classifier (a `Linear(512 * expansion, numClasses)` until you replace it).
    public var fc: Module

    /// A ResNet of `Block`s, `layers[i]` of them in stage i.
    public init<Block: ResidualBlock>(block: Block.Type, layers: [Int], numClasses: Int = 1000, zeroInitResidual: Bool = false) {
        precondition(layers.count == 4, "ResNet takes four stage sizes, got \(layers)")
        var inPlanes = 64
        func makeLayer(_ planes: Int, _ blocks: Int, stride: Int = 1) -> Sequential {
            var downsample: Sequential?
            if stride != 1 || inPlanes != planes * Block.expansion {
                downsample = Sequential([conv1x1(inPlanes, planes * Block.expansion, stride: stride), BatchNorm2d(planes * Block.expansion)])
            }
            var made: [Module] = [Block(inPlanes: inPlanes, planes: planes, stride: stride, downsample: downsample)]
            inPlanes = planes * Block.expansion
            for _ in 1..<Swift.max(blocks, 1) { made.append(Block(inPlanes: inPlanes, planes: planes, stride: 1, downsample: nil)) }
            return Sequential(made)
        }
        conv1 = Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(64); relu = ReLU(inplace: true); maxpool = MaxPool2d(3, stride: 2, padding: 1)
        layer1 = makeLayer(64, layers[0])
        layer2 = makeLayer(128, layers[1], stride: 2)
        layer3 = makeLayer(256, layers[2], stride: 2)
        layer4 = makeLayer(512, layers[3], stride: 2)
        avgpool = AdaptiveAvgPool2d((1, 1))
        fc = Linear(512 * Block.expansion, numClasses)
        super.init()
        for m in modules() {
            if let c = m as? Conv2d { kaimingNormal_(c.weight, mode: .fanOut, nonlinearity: "relu") }
            else if let b = m as? BatchNorm2d, let w = b.weight, let bias = b.bias { constant_(w, 1); constant_(bias, 0) }
        }
        if zeroInitResidual {
            for m in modules() { if let b = m as? ResidualBlock, let w = b.lastNorm.weight { constant_(w, 0) } }
        }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var y = maxpool(relu(bn1(conv1(x))))
        y = layer4(layer3(layer2(layer1(y))))
        return fc(avgpool(y).flatten(startDim: 1))
    }
}

/// ResNet-18 (torchvision's `resnet18(num_classes=...)`, untrained: load weights with `loadStateDict`).
public func resnet18(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [2, 2, 2, 2], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}
/// ResNet-34 (torchvision's `resnet34`).
public func resnet34(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}
/// ResNet-50 (torchvision's `resnet50`).
public func resnet50(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: Bottleneck.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}
