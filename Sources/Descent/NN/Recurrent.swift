import Foundation

// Recurrent layers (PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` and their cells). Parameters, their
// names, shapes, order and initialisation are PyTorch's, so `manualSeed(s)` then `LSTM(...)` gives
// PyTorch's weights and a state dict loads in either library. The recurrences are built from
// recorded ops (one input-projection GEMM per layer and direction, then one addmm and a few
// pointwise ops per step), with PyTorch's cell formulas in PyTorch's order; autograd runs
// backpropagation through time. Packed sequences run each sequence alone (NN/PackedSequence.swift);
// LSTM's `proj_size` is not supported.

/// The cell type a recurrent layer runs.
public enum RNNMode: Sendable, Equatable {
    case rnnTanh, rnnRelu, lstm, gru
    var gates: Int { switch self { case .lstm: return 4; case .gru: return 3; default: return 1 } }
}

/// The common machinery of `RNN`, `LSTM` and `GRU` (PyTorch's `nn.RNNBase`).
open class RNNBase: Module {
    public let mode: RNNMode
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    /// Whether the layers have the biases b_ih and b_hh.
    public let bias: Bool
    /// Inputs and outputs are (batch, seq, feature) instead of (seq, batch, feature).
    public let batchFirst: Bool
    /// Dropout on the outputs of every layer but the last, while training.
    public let dropout: Double
    public let bidirectional: Bool
    /// The parameters with PyTorch's names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
    /// `bias_hh_l0`, then `..._reverse` for the backward direction), layer by layer.
    public private(set) var flatWeights: [(String, Parameter)] = []

    public init(mode: RNNMode, _ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, device: Device = .cpu) {
        if dropout < 0 || dropout > 1 {
            fail("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        }
        if hiddenSize <= 0 { fail("hidden_size must be greater than zero") }
        if numLayers <= 0 { fail("num_layers must be greater than zero") }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        super.init()
        let dirs = bidirectional ? 2 : 1, gate = mode.gates * hiddenSize
        for layer in 0..<numLayers {
            for d in 0..<dirs {
                let sfx = "_l\(layer)" + (d == 1 ? "_reverse" : "")
                let inSize = layer == 0 ? inputSize : hiddenSize * dirs
                flatWeights.append(("weight_ih" + sfx, Parameter(Tensor.empty([gate, inSize], device: device))))
                flatWeights.append(("weight_hh" + sfx, Parameter(Tensor.empty([gate, hiddenSize], device: device))))
                if bias {
                    flatWeights.append(("bias_ih" + sfx, Parameter(Tensor.empty([gate], device: device))))
                    flatWeights.append(("bias_hh" + sfx, Parameter(Tensor.empty([gate], device: device))))
                }
            }
        }
        resetParameters()
    }

    /// Re-draws every parameter uniformly in ±1/√hiddenSize, in parameter order (PyTorch's `reset_parameters`).
    public func resetParameters() {
        let stdv = 1 / Double(hiddenSize).squareRoot()
        for (_, p) in flatWeights { uniform_(p, -stdv, stdv) }
    }

    public override func namedDirectParameters() -> [(String, Parameter)] { flatWeights }
    /// The parameter with PyTorch's name (`lstm.parameter("weight_ih_l0")` for `lstm.weight_ih_l0`).
    public func parameter(_ name: String) -> Parameter {
        guard let p = flatWeights.first(where: { $0.0 == name }) else { fail("'\(typeName)' object has no attribute '\(name)'") }
        return p.1
    }

    /// Output only (the whole sequence of last-layer hidden states), for use inside `Sequential`.
    open override func forward(_ x: Tensor) -> Tensor { run(x, nil, nil).0 }

    /// Runs the layers over `input`, from the given initial states (zeros when nil). Returns the
    /// output sequence, h_n and (LSTM) c_n.
    func run(_ input: Tensor, _ hx: Tensor?, _ cx: Tensor?) -> (Tensor, Tensor, Tensor?) {
        let name = typeName
        if input.rank != 2 && input.rank != 3 {
            fail("\(name): Expected input to be 2D or 3D, got \(input.rank)D instead")
        }
        let dirs = bidirectional ? 2 : 1
        let batched = input.rank == 3
        if input.shape[input.rank - 1] != inputSize {
            fail("input.size(-1) must be equal to input_size. Expected \(inputSize), got \(input.shape[input.rank - 1])")
        }
        // seq-first (L, N, in)
        var x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1)
        let seqLen = x.shape[0], n = x.shape[1]
        if seqLen == 0 { fail("Expected sequence length to be larger than 0 in RNN") }
        let stateShape = [numLayers * dirs, n, hiddenSize]
        func prepare(_ s: Tensor?, _ what: String) -> Tensor {
            guard let s = s else { return Tensor.zeros(stateShape, dtype: input.dtype, device: input.device) }
            if batched && s.rank != 3 {
                fail("For batched 3-D input, \(what) should also be 3-D but got \(s.rank)-D tensor")
            }
            if !batched && s.rank != 2 {
                fail("For unbatched 2-D input, \(what) should also be 2-D but got \(s.rank)-D tensor")
            }
            let st = batched ? s : s.unsqueeze(1)
            if st.shape != stateShape {
                fail("Expected hidden size \(shapeString(batched ? stateShape : [stateShape[0], stateShape[2]])), got \(shapeString(s.shape))")
            }
            return st
        }
        let h0 = prepare(hx, "hx"), c0 = mode == .lstm ? prepare(cx, "cx") : nil
        var hN: [Tensor] = [], cN: [Tensor] = []
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for d in 0..<dirs {
                let k = layer * dirs + d
                let per = bias ? 4 : 2
                let w = flatWeights[(k * per)..<(k * per + per)].map(\.1)
                let (wIh, wHh) = (w[0], w[1])
                let bIh: Tensor? = bias ? w[2] : nil, bHh: Tensor? = bias ? w[3] : nil
                let (o, hLast, cLast) = fusedRecurrentLayer(mode, x: x, h0: h0[k], c0: c0?[k], wIh: wIh, wHh: wHh, bIh: bIh, bHh: bHh,
                                                            reverse: d == 1)
                outputs.append(o)
                hN.append(hLast)
                if let c = cLast { cN.append(c) }
            }
            x = dirs == 1 ? outputs[0] : concat(outputs, dim: 2)
            if dropout > 0 && isTraining && layer < numLayers - 1 { x = Descent.dropout(x, p: dropout, training: true) }
        }
        var output = x
        var hOut = stack(hN, dim: 0), cOut = mode == .lstm ? stack(cN, dim: 0) : nil
        if !batched {
            output = output.squeeze(dim: 1)
            hOut = hOut.squeeze(dim: 1)
            cOut = cOut?.squeeze(dim: 1)
        } else if batchFirst {
            // PyTorch's RNN and GRU transpose their output in place (TransposeBackward1), its LSTM does not
            output = output.transpose(0, 1, inPlace: mode != .lstm)
        }
        return (output, hOut, cOut)
    }

    open override func extraRepr() -> String {
        var s = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", num_layers=\(numLayers)" }
        if !bias { s += ", bias=False" }
        if batchFirst { s += ", batch_first=True" }
        if dropout != 0 { s += ", dropout=\(formatPyFloat(dropout))" }
        if bidirectional { s += ", bidirectional=True" }
        return s
    }
}

/// An Elman RNN, h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh) (PyTorch's `nn.RNN`;
/// `nonlinearity: "relu"` uses ReLU). Input (L, N, inputSize), (N, L, inputSize) with
/// `batchFirst`, or unbatched (L, inputSize); `rnn(x)` returns (output, h_n).
public final class RNN: RNNBase {
    public let nonlinearity: String
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, device: Device = .cpu) {
        let mode: RNNMode
        switch nonlinearity {
        case "tanh": mode = .rnnTanh
        case "relu": mode = .rnnRelu
        default: fail("Unknown nonlinearity '\(nonlinearity)'. Select from 'tanh' or 'relu'.")
        }
        self.nonlinearity = nonlinearity
        super.init(mode: mode, inputSize, hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, device: device)
    }
    /// (output, h_n) from the initial hidden state `hx` ((numLayers·directions, N, hiddenSize); zeros when nil).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> (Tensor, Tensor) {
        let (o, h, _) = run(input, hx, nil)
        return (o, h)
    }
    /// (output, h_n) from zero initial states.
    public func callAsFunction(_ input: Tensor) -> (Tensor, Tensor) { callAsFunction(input, nil) }
}

/// A long short-term memory layer (PyTorch's `nn.LSTM`, gates in PyTorch's order i, f, g, o).
/// `lstm(x)` returns (output, (h_n, c_n)).
public final class LSTM: RNNBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, device: Device = .cpu) {
        super.init(mode: .lstm, inputSize, hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, device: device)
    }
    /// (output, (h_n, c_n)) from the initial states (h_0, c_0) (zeros when nil).
    public func callAsFunction(_ input: Tensor, _ state: (Tensor, Tensor)?) -> (Tensor, (Tensor, Tensor)) {
        let (o, h, c) = run(input, state?.0, state?.1)
        return (o, (h, c!))
    }
    /// (output, (h_n, c_n)) from zero initial states.
    public func callAsFunction(_ input: Tensor) -> (Tensor, (Tensor, Tensor)) { callAsFunction(input, nil) }
}

/// A gated recurrent unit layer (PyTorch's `nn.GRU`, gates r, z, n). `gru(x)` returns (output, h_n).
public final class GRU: RNNBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, device: Device = .cpu) {
        super.init(mode: .gru, inputSize, hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, device: device)
    }
    /// (output, h_n) from the initial hidden state `hx` (zeros when nil).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> (Tensor, Tensor) {
        let (o, h, _) = run(input, hx, nil)
        return (o, h)
    }
    /// (output, h_n) from zero initial states.
    public func callAsFunction(_ input: Tensor) -> (Tensor, Tensor) { callAsFunction(input, nil) }
}

// MARK: - Cells

/// The common part of the single-step cells (PyTorch's `nn.RNNCellBase`): `weight_ih`,
/// `weight_hh`, `bias_ih`, `bias_hh`, drawn uniformly in ±1/√hiddenSize in that order.
open class RNNCellBase: Module {
    public let mode: RNNMode
    public let inputSize: Int
    public let hiddenSize: Int
    /// (gates·hiddenSize, inputSize).
    public var weightIh: Parameter
    /// (gates·hiddenSize, hiddenSize).
    public var weightHh: Parameter
    public var biasIh: Parameter?
    public var biasHh: Parameter?

    init(mode: RNNMode, _ inputSize: Int, _ hiddenSize: Int, bias: Bool, device: Device) {
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let gate = mode.gates * hiddenSize
        weightIh = Parameter(Tensor.empty([gate, inputSize], device: device))
        weightHh = Parameter(Tensor.empty([gate, hiddenSize], device: device))
        biasIh = bias ? Parameter(Tensor.empty([gate], device: device)) : nil
        biasHh = bias ? Parameter(Tensor.empty([gate], device: device)) : nil
        super.init()
        resetParameters()
    }
    /// Re-draws every parameter uniformly in ±1/√hiddenSize (PyTorch's `reset_parameters`).
    public func resetParameters() {
        let stdv = 1 / Double(hiddenSize).squareRoot()
        for (_, p) in namedDirectParameters() { uniform_(p, -stdv, stdv) }
    }
    public override func namedDirectParameters() -> [(String, Parameter)] {
        var out = [("weight_ih", weightIh), ("weight_hh", weightHh)]
        if let b = biasIh { out.append(("bias_ih", b)) }
        if let b = biasHh { out.append(("bias_hh", b)) }
        return out
    }

    /// One step; input (N, inputSize) or (inputSize); states default to zeros.
    func step(_ input: Tensor, _ hx: Tensor?, _ cx: Tensor?) -> (Tensor, Tensor?) {
        if input.rank != 1 && input.rank != 2 {
            fail("\(typeName): Expected input to be 1D or 2D, got \(input.rank)D instead")
        }
        if input.shape[input.rank - 1] != inputSize {
            fail("input has inconsistent input_size: got \(input.shape[input.rank - 1]) expected \(inputSize)")
        }
        let batched = input.rank == 2
        let x = batched ? input : input.unsqueeze(0)
        func state(_ s: Tensor?) -> Tensor {
            guard let s = s else { return Tensor.zeros([x.shape[0], hiddenSize], dtype: input.dtype, device: input.device) }
            let st = batched ? s : s.unsqueeze(0)
            if st.shape != [x.shape[0], hiddenSize] {
                fail("hidden has inconsistent size: expected \(shapeString([x.shape[0], hiddenSize])), got \(shapeString(s.shape))")
            }
            return st
        }
        let h = state(hx), c = mode == .lstm ? state(cx) : nil
        let (h2, c2) = recurrentStep(mode, xw: linear(x, weightIh, biasIh), h: h, c: c, wHh: weightHh, bHh: biasHh)
        return batched ? (h2, c2) : (h2.squeeze(dim: 0), c2?.squeeze(dim: 0))
    }

    open override func extraRepr() -> String {
        var s = "\(inputSize), \(hiddenSize)"
        if biasIh == nil { s += ", bias=False" }
        if mode == .rnnRelu { s += ", nonlinearity=relu" }
        return s
    }
}

/// One Elman RNN step (PyTorch's `nn.RNNCell`): `cell(x)` or `cell(x, h)` gives h'.
public final class RNNCell: RNNCellBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, nonlinearity: String = "tanh", device: Device = .cpu) {
        let mode: RNNMode
        switch nonlinearity {
        case "tanh": mode = .rnnTanh
        case "relu": mode = .rnnRelu
        default: fail("Unknown nonlinearity: \(nonlinearity)")
        }
        super.init(mode: mode, inputSize, hiddenSize, bias: bias, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor { step(x, nil, nil).0 }
    /// h' from the hidden state `hx`.
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor { step(input, hx, nil).0 }
}

/// One GRU step (PyTorch's `nn.GRUCell`): `cell(x)` or `cell(x, h)` gives h'.
public final class GRUCell: RNNCellBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, device: Device = .cpu) {
        super.init(mode: .gru, inputSize, hiddenSize, bias: bias, device: device)
    }
    public override func forward(_ x: Tensor) -> Tensor { step(x, nil, nil).0 }
    /// h' from the hidden state `hx`.
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor { step(input, hx, nil).0 }
}

/// One LSTM step (PyTorch's `nn.LSTMCell`): `cell(x, (h, c))` gives (h', c').
public final class LSTMCell: RNNCellBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, device: Device = .cpu) {
        super.init(mode: .lstm, inputSize, hiddenSize, bias: bias, device: device)
    }
    /// h' only, from zero states (for `Sequential`).
    public override func forward(_ x: Tensor) -> Tensor { step(x, nil, nil).0 }
    /// (h', c') from the states (h, c) (zeros when nil).
    public func callAsFunction(_ input: Tensor, _ state: (Tensor, Tensor)?) -> (Tensor, Tensor) {
        let (h, c) = step(input, state?.0, state?.1)
        return (h, c!)
    }
    /// (h', c') from zero states.
    public func callAsFunction(_ input: Tensor) -> (Tensor, Tensor) { callAsFunction(input, nil) }
}
