import Testing
import Descent

extension Core {
/// Programmer errors stop the program with PyTorch's message (exit tests: each runs in a child process).
@Suite struct ProgrammerErrors {
    @Test func mmShapeMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 1).mm(Tensor.zeros(2, 2))
        }
        // PyTorch: m1 = err(lambda: torch.zeros(3, 1).mm(torch.zeros(2, 2)))
        #expect(stderr(result).contains("mat1 and mat2 shapes cannot be multiplied (3x1 and 2x2)"))
    }

    @Test func instanceNormNeedsMoreThanOneSpatialElement() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm1d(3)(Tensor.randn(2, 3, 1))
        }
        // PyTorch: err(lambda: nn.InstanceNorm1d(3)(torch.randn(2, 3, 1)))
        #expect(stderr(result).contains("Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1])"))
    }

    @Test func bceOutsideZeroOne() async {
        let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = binaryCrossEntropy(Tensor([1.5]), Tensor([1.0]))
        }
        // PyTorch: err(lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
        #expect(stderr(input).contains("all elements of input should be between 0 and 1"))
        let target = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BCELoss()(Tensor([0.5]), Tensor([1.5]))
        }
        // PyTorch: err(lambda: F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([1.5])))
        #expect(stderr(target).contains("all elements of target should be between 0 and 1"))
    }

    @Test func bceShapeMismatches() async {
        let probs = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = binaryCrossEntropy(Tensor.rand(4, 1), Tensor.rand(4))
        }
        // PyTorch: err(lambda: F.binary_cross_entropy(torch.rand(4, 1), torch.rand(4)))
        #expect(stderr(probs).contains("Using a target size (torch.Size([4])) that is different to the input size (torch.Size([4, 1])) is deprecated. Please ensure they have the same size."))
        let logits = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = binaryCrossEntropyWithLogits(Tensor.randn(4, 1), Tensor.rand(4))
        }
        // PyTorch: err(lambda: F.binary_cross_entropy_with_logits(torch.randn(4, 1), torch.rand(4)))
        #expect(stderr(logits).contains("Target size (torch.Size([4])) must be the same as input size (torch.Size([4, 1]))"))
    }

    @Test func crossEntropyFloatTargetsOfTheWrongShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(Tensor.randn(4, 3), Tensor([0.0, 1, 2, 1]))
        }
        // PyTorch: err(lambda: F.cross_entropy(torch.randn(4, 3), torch.tensor([0.0, 1, 2, 1])))
        #expect(stderr(result).contains("expected target dtype to be Long or Byte, but got Float"))
    }

    @Test func broadcastingMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3) + Tensor.zeros(4)
        }
        // PyTorch: m2 = err(lambda: torch.zeros(2, 3) + torch.zeros(4))
        #expect(stderr(result).contains("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"))
    }

    @Test func dimOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).sum(dim: 2)
        }
        // PyTorch: m3 = err(lambda: torch.zeros(2, 3).sum(2))
        #expect(stderr(result).contains("Dimension out of range (expected to be in range of [-2, 1], but got 2)"))
    }

    @Test func viewOfNonContiguous() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).t().view(6)
        }
        // PyTorch: m4 = err(lambda: torch.zeros(2, 3).t().view(6))
        #expect(stderr(result).contains("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."))
    }

    @Test func backwardTwiceThroughAFreedGraph() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
        // PyTorch: x = torch.tensor([1.0, 2.0], requires_grad=True); y = (x * x).sum(); y.backward(); m5 = err(lambda: y.backward())
        #expect(stderr(result).contains("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true (PyTorch's retain_graph=True) if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."))
    }

    @Test func inPlaceOnALeafThatRequiresGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([1.0, 2.0], requiresGrad: true)
            w.fill_(1)
        }
        // PyTorch: w = torch.tensor([1.0, 2.0], requires_grad=True); m6 = err(lambda: w.fill_(1))
        #expect(stderr(result).contains("a leaf Variable that requires grad is being used in an in-place operation."))
    }

    @Test func backwardOnANonScalar() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            (x * 2).backward()
        }
        // PyTorch: x = torch.tensor([1.0, 2.0], requires_grad=True); m7 = err(lambda: (x * 2).backward())
        #expect(stderr(result).contains("grad can be implicitly created only for scalar outputs"))
    }

    @Test func reshapeToTheWrongSize() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).reshape(4, -1)
        }
        // PyTorch: m8 = err(lambda: torch.zeros(2, 3).reshape(4, -1))
        #expect(stderr(result).contains("shape '[4, -1]' is invalid for input of size 6"))
    }
}
}

