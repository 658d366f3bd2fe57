// Packed variable-length sequences (PyTorch's `nn.utils.rnn`: `pack_padded_sequence`,
// `pad_packed_sequence`, `pack_sequence`, and RNN/LSTM/GRU layers run on a `PackedSequence`).

/// Sequences of different lengths packed time step by time step, longest first (PyTorch's
/// `PackedSequence`): `data` holds step 0 of every sequence, then step 1 of those still running, ...;
/// `batchSizes[t]` counts the sequences at step t; `sortedIndices` orders the batch by length
/// (nil when packed with `enforceSorted: true`) and `unsortedIndices` puts it back.
public struct PackedSequence: CustomStringConvertible {
    public let data: Tensor
    public let batchSizes: Tensor
    public let sortedIndices: Tensor?
    public let unsortedIndices: Tensor?

    public init(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor? = nil, unsortedIndices: Tensor? = nil) {
        self.data = data; self.batchSizes = batchSizes; self.sortedIndices = sortedIndices; self.unsortedIndices = unsortedIndices
    }
    public var description: String {
        "PackedSequence(data=\(data), batch_sizes=\(batchSizes), sorted_indices=\(sortedIndices.map { "\($0)" } ?? "None"), unsorted_indices=\(unsortedIndices.map { "\($0)" } ?? "None"))"
    }
    /// The steps per time (host copy of `batchSizes`).
    var sizes: [Int] { batchSizes.toArray(Int.self) }
    /// The length of the sequence at each sorted position.
    var sortedLengths: [Int] {
        let s = sizes
        var lengths = [Int](repeating: 0, count: s.first ?? 0)
        for n in s { for j in 0..<n { lengths[j] += 1 } }
        return lengths
    }
    /// The original batch index of each sorted position.
    var sortedOrder: [Int] { sortedIndices?.toArray(Int.self) ?? Array(0..<(sizes.first ?? 0)) }
}

/// Packs a padded batch (`[maxLen, batch, *]`, or `[batch, maxLen, *]` with `batchFirst`) of sequences
/// with the given lengths (PyTorch's `nn.utils.rnn.pack_padded_sequence`). With `enforceSorted`, the
/// lengths must not increase; otherwise the batch is sorted by length first (longest first, ties in
/// batch order). Gradients flow back to `input`.
public func packPaddedSequence(_ input: Tensor, lengths: [Int], batchFirst: Bool = false, enforceSorted: Bool = true) -> PackedSequence {
    if input.rank < 2 { fail("pack_padded_sequence: expected an input of at least 2 dimensions, got \(input.rank)") }
    let x = batchFirst ? input.transpose(0, 1) : input
    let steps = x.shape[0], batch = x.shape[1]
    if lengths.count != batch { fail("Expected `len(lengths)` to be equal to batch_size, but got \(lengths.count) (batch_size=\(batch))") }
    if lengths.contains(where: { $0 <= 0 }) {
        fail("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    }
    if lengths.contains(where: { $0 > steps }) { fail("Expected sequence length to be at most \(steps), but got \(lengths.max()!)") }
    var order = Array(0..<batch)
    if enforceSorted {
        for i in 1..<Swift.max(batch, 1) where lengths[i] > lengths[i - 1] {
            fail("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
        }
    } else {
        order = order.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
    }
    let maxLen = lengths.max() ?? 0
    var sizes: [Int] = [], rows: [Int] = []
    for t in 0..<maxLen {
        let running = order.filter { lengths[$0] > t }
        sizes.append(running.count)
        rows += running.map { t * batch + $0 }
    }
    let flat = x.reshape([steps * batch] + Array(x.shape.dropFirst(2)))
    let data = flat.indexSelect(dim: 0, Tensor(rows, dtype: .int64, device: input.device))
    var unsorted = [Int](repeating: 0, count: batch)
    for (j, b) in order.enumerated() { unsorted[b] = j }
    return PackedSequence(data: data, batchSizes: Tensor(sizes, dtype: .int64),
                          sortedIndices: enforceSorted ? nil : Tensor(order, dtype: .int64, device: input.device),
                          unsortedIndices: enforceSorted ? nil : Tensor(unsorted, dtype: .int64, device: input.device))
}
/// `packPaddedSequence` with the lengths in a tensor.
public func packPaddedSequence(_ input: Tensor, lengths: Tensor, batchFirst: Bool = false, enforceSorted: Bool = true) -> PackedSequence {
    packPaddedSequence(input, lengths: lengths.toArray(Int.self), batchFirst: batchFirst, enforceSorted: enforceSorted)
}
/// Packs a list of sequences (first dim = length) (PyTorch's `nn.utils.rnn.pack_sequence`).
public func packSequence(_ sequences: [Tensor], enforceSorted: Bool = true) -> PackedSequence {
    packPaddedSequence(padSequence(sequences), lengths: sequences.map { $0.shape[0] }, enforceSorted: enforceSorted)
}

/// Pads a packed batch back to `[maxLen, batch, *]` (or `[batch, maxLen, *]` with `batchFirst`) in the
/// original batch order, and returns the lengths (PyTorch's `nn.utils.rnn.pad_packed_sequence`);
/// `totalLength` pads to a longer length.
public func padPackedSequence(_ sequence: PackedSequence, batchFirst: Bool = false, paddingValue: Double = 0,
                              totalLength: Int? = nil) -> (Tensor, Tensor) {
    let sizes = sequence.sizes, lengths = sequence.sortedLengths
    let batch = sizes.first ?? 0, maxLen = sizes.count
    let steps = totalLength ?? maxLen
    if steps < maxLen {
        fail("Expected total_length to be at least the length of the longest sequence in input, but got total_length=\(steps) and max sequence length being \(maxLen)")
    }
    let data = sequence.data
    let trailing = Array(data.shape.dropFirst())
    // one padding row after the data; every (step, sorted position) picks its row or the padding
    let padRow = Tensor.full([1] + trailing, paddingValue, dtype: data.dtype, device: data.device)
    let rowsAndPad = concat([data, padRow])
    var offsets = [0]
    for s in sizes { offsets.append(offsets.last! + s) }
    var pick: [Int] = []
    for t in 0..<steps { for j in 0..<batch { pick.append(t < maxLen && j < sizes[t] ? offsets[t] + j : data.shape[0]) } }
    var out = rowsAndPad.indexSelect(dim: 0, Tensor(pick, dtype: .int64, device: data.device)).reshape([steps, batch] + trailing)
    if batchFirst { out = out.transpose(0, 1) }
    var originalLengths = lengths
    // back to the original batch order last, as PyTorch (so the output's grad_fn is IndexSelectBackward0)
    if let u = sequence.unsortedIndices {
        out = out.indexSelect(dim: batchFirst ? 0 : 1, u)
        let un = u.toArray(Int.self)
        originalLengths = un.map { lengths[$0] }
    }
    return (out, Tensor(originalLengths, dtype: .int64))
}

extension RNNBase {
    /// Runs the layer on each packed sequence alone (the same numbers as one padded run that stops
    /// each sequence at its length), packs the outputs as the input was packed, and returns the last
    /// states in the original batch order. Between-layer dropout, when training, draws per sequence.
    func runPacked(_ p: PackedSequence, _ h0: Tensor?, _ c0: Tensor?) -> (PackedSequence, Tensor, Tensor?) {
        let sizes = p.sizes, lengths = p.sortedLengths, order = p.sortedOrder
        var offsets = [0]
        for s in sizes { offsets.append(offsets.last! + s) }
        var outputs: [Tensor] = [], hs = [Tensor?](repeating: nil, count: order.count), cs = [Tensor?](repeating: nil, count: order.count)
        for (j, b) in order.enumerated() {
            let rows = Tensor((0..<lengths[j]).map { offsets[$0] + j }, dtype: .int64, device: p.data.device)
            let x = p.data.indexSelect(dim: 0, rows)
            let h = h0.map { $0.narrow(dim: 1, start: b, length: 1) }, c = c0.map { $0.narrow(dim: 1, start: b, length: 1) }
            let (o, hn, cn) = run(batchFirst ? x.unsqueeze(0) : x.unsqueeze(1), h, c)
            outputs.append(batchFirst ? o.squeeze(dim: 0) : o.squeeze(dim: 1))
            hs[j] = hn; cs[j] = cn
        }
        // the outputs sequence by sequence, then reordered step by step as the input was packed
        var starts = [0]
        for l in lengths { starts.append(starts.last! + l) }
        var pick: [Int] = []
        for (t, s) in sizes.enumerated() { for j in 0..<s { pick.append(starts[j] + t) } }
        let data = concat(outputs).indexSelect(dim: 0, Tensor(pick, dtype: .int64, device: p.data.device))
        let packed = PackedSequence(data: data, batchSizes: p.batchSizes, sortedIndices: p.sortedIndices, unsortedIndices: p.unsortedIndices)
        // the last states in sorted order, then put back in the original order as PyTorch's permute_hidden does
        var hN = concat(hs.map { $0! }, dim: 1)
        var cN = mode == .lstm ? concat(cs.map { $0! }, dim: 1) : nil
        if let u = p.unsortedIndices {
            hN = hN.indexSelect(dim: 1, u)
            cN = cN?.indexSelect(dim: 1, u)
        }
        return (packed, hN, cN)
    }
}

extension RNN {
    /// Runs on packed sequences: (packed output, h_n in the original batch order).
    public func callAsFunction(_ input: PackedSequence, _ hx: Tensor? = nil) -> (PackedSequence, Tensor) {
        let (o, h, _) = runPacked(input, hx, nil)
        return (o, h)
    }
}
extension GRU {
    /// Runs on packed sequences: (packed output, h_n in the original batch order).
    public func callAsFunction(_ input: PackedSequence, _ hx: Tensor? = nil) -> (PackedSequence, Tensor) {
        let (o, h, _) = runPacked(input, hx, nil)
        return (o, h)
    }
}
extension LSTM {
    /// Runs on packed sequences: (packed output, (h_n, c_n) in the original batch order).
    public func callAsFunction(_ input: PackedSequence, _ state: (Tensor, Tensor)? = nil) -> (PackedSequence, (Tensor, Tensor)) {
        let (o, h, c) = runPacked(input, state?.0, state?.1)
        return (o, (h, c!))
    }
}
