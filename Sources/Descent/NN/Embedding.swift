/// A lookup table of `numEmbeddings` vectors of size `embeddingDim` (PyTorch's `nn.Embedding`):
/// the weight is drawn from N(0, 1) as PyTorch does, and the row `paddingIdx` (if any) is zero and
/// receives no gradient.
public final class Embedding: Module {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    /// The row that stays zero and gets no gradient (normalised to a non-negative index), or nil.
    public let paddingIdx: Int?
    /// The table, shaped (numEmbeddings, embeddingDim).
    public var weight: Parameter

    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, device: Device = .cpu) {
        if let p = paddingIdx, p >= numEmbeddings || p < -numEmbeddings {
            fail("Padding_idx must be within num_embeddings")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Parameter(Tensor.empty([numEmbeddings, embeddingDim], device: device))
        super.init()
        resetParameters()
    }
    /// A table initialised from `embeddings` (PyTorch's `Embedding.from_pretrained`; frozen by default).
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, paddingIdx: Int? = nil) -> Embedding {
        if embeddings.rank != 2 { fail("Embeddings parameter is expected to be 2-dimensional") }
        let e = Embedding(embeddings.shape[0], embeddings.shape[1], paddingIdx: paddingIdx)
        noGrad { e.weight.copy_(embeddings) }
        e.weight.requiresGrad = !freeze
        return e
    }
    /// Re-draws the table from N(0, 1) and zeroes the padding row, as PyTorch's `reset_parameters`.
    public func resetParameters() {
        normal_(weight)
        if let p = paddingIdx { noGrad { weight[p].fill_(0) } }
    }
    public override func forward(_ x: Tensor) -> Tensor { embedding(x, weight, paddingIdx: paddingIdx) }
    public override func extraRepr() -> String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
