// Formatting.swift
//
// A faithful port of PyTorch's tensor printer (`torch/_tensor_str.py`, torch 2.x) for
// dense, strided, real-valued tensors. `formatTensor` is a pure function over a flat
// row-major buffer of `Double`s; it knows nothing about `Tensor`, so the `Tensor`
// type (description / debugDescription) calls it with its elements, shape, and the
// suffix information (dtype, device, autograd state).
//
// Ported pieces, with their PyTorch names:
//   * `_Formatter`              -> `TensorElementFormatter`
//   * `get_summarized_data`     -> `summarizedValues(...)`
//   * `_tensor_str_with_formatter` / `_vector_str` / `_scalar_str`
//   * `_add_suffixes` and the dense branch of `_str_intern`
//
// Float text must match Python's `'{:.4f}'.format(v)` / `'{:.4e}'.format(v)`. Both
// Python and the C library round the exact binary value correctly, so `%.Nf` / `%.Ne`
// give identical digits (including `-0`, and exponents with at least two digits, e.g.
// `e-05`); NaN and infinities are spelled by hand because C may print `-nan` where
// Python always prints `nan`.

import Foundation

/// How the elements of a tensor are printed (PyTorch decides this from the dtype).
enum PrintElementKind {
    /// Floating-point dtypes (float16, bfloat16, float32, float64, ...).
    case floating
    /// Integer dtypes (uint8, int8, int16, int32, int64, ...): printed like Python `int`s.
    case integer
    /// `torch.bool`: printed as `True` / `False`.
    case boolean
}

/// Mirror of PyTorch's `torch._tensor_str.PRINT_OPTS` (defaults = `profile="default"`).
struct TensorPrintOptions {
    /// Digits after the decimal point for floating-point elements.
    var precision = 4
    /// Tensors with more than `threshold` elements are summarised with `...`.
    /// Use `Int.max` for PyTorch's `threshold=inf` (`profile="full"`).
    var threshold = 1000
    /// Number of leading and trailing items shown per dimension when summarising.
    var edgeItems = 3
    /// Characters per line used for wrapping rows and suffixes.
    var lineWidth = 80
    /// `nil`: choose scientific notation automatically; `true` / `false`: force it.
    var sciMode: Bool? = nil
}

/// Process-wide print options used by `formatTensor` when no options are passed
/// (the analogue of `torch.set_printoptions`).
///
/// - Important: This is plain global mutable state and is **not thread-safe**.
///   Change it only when no other thread is formatting tensors (e.g. at program
///   start-up, or through `setPrintOptions(...)`, which documents the same restriction).
nonisolated(unsafe) var tensorPrintOptions = TensorPrintOptions()


/// Formats a tensor exactly as PyTorch's `str(tensor)` / `repr(tensor)` does.
///
/// - Parameters:
///   - values: The tensor's elements, flat in row-major order, as `Double`
///     (booleans as 0/1; float32 values as `Double(Float)`). Its count must equal
///     the product of `shape`. Int64 values beyond 2^53 may print imprecisely.
///   - shape: The tensor's shape; `[]` for a 0-dim (scalar) tensor.
///   - kind: How elements are rendered.
///   - dtypeSuffix: `nil` when the dtype is the default for `kind` (float32, int64,
///     bool), otherwise PyTorch's name for it, e.g. `"torch.float64"`,
///     `"torch.uint8"`, `"torch.int32"`. Passing the default name explicitly is
///     equivalent to `nil`. As in PyTorch, empty tensors show every dtype other than
///     float32 (so an empty int64 tensor prints `dtype=torch.int64`).
///   - deviceSuffix: `nil` for the default device, else e.g. `"cuda:0"`, printed as
///     `device='cuda:0'`.
///   - requiresGrad: Appends `requires_grad=True` when set and `gradFnName` is `nil`.
///   - gradFnName: e.g. `"AddmmBackward0"`, printed as `grad_fn=<AddmmBackward0>`.
///   - options: Print options; defaults to the global `tensorPrintOptions`.
/// - Returns: The `tensor(...)` string (without the `Parameter containing:\n`
///   prefix, which the caller adds for parameters).
func formatTensor(
    values: [Double],
    shape: [Int],
    kind: PrintElementKind,
    dtypeSuffix: String?,
    deviceSuffix: String?,
    requiresGrad: Bool,
    gradFnName: String?,
    options: TensorPrintOptions = tensorPrintOptions
) -> String {
    let numel = shape.reduce(1, *)
    precondition(shape.allSatisfy { $0 >= 0 }, "formatTensor: negative dimension in shape \(shape)")
    precondition(values.count == numel,
                 "formatTensor: \(values.count) values for shape \(shape) (\(numel) elements)")

    let prefix = "tensor("
    let indent = prefix.utf8.count

    let defaultDtypeName: String
    switch kind {
    case .floating: defaultDtypeName = "torch.\(getDefaultDtype())"
    case .integer: defaultDtypeName = "torch.int64"
    case .boolean: defaultDtypeName = "torch.bool"
    }
    let dtypeName = dtypeSuffix ?? defaultDtypeName

    var suffixes: [String] = []
    if let device = deviceSuffix {
        suffixes.append("device='\(device)'")
    }

    let body: String
    if numel == 0 {
        // Explicitly print the shape if it is not (0,), to match NumPy.
        if shape.count != 1 {
            suffixes.append("size=" + pythonTupleString(shape))
        }
        // With no elements the dtype cannot be inferred, so anything but the default
        // float dtype is shown (int64 and bool included).
        if dtypeName != "torch.\(getDefaultDtype())" {
            suffixes.append("dtype=" + dtypeName)
        }
        body = "[]"
    } else {
        if options.edgeItems == 0 {
            suffixes.append("size=" + pythonTupleString(shape))
        }
        if dtypeName != defaultDtypeName {
            suffixes.append("dtype=" + dtypeName)
        }
        let printer = TensorPrinter(values: values, shape: shape, kind: kind, options: options)
        body = printer.render(indent: indent)
    }

    if let gradFn = gradFnName {
        suffixes.append("grad_fn=<\(gradFn)>")
    } else if requiresGrad {
        suffixes.append("requires_grad=True")
    }

    return addSuffixes(prefix + body, suffixes: suffixes, indent: indent,
                       lineWidth: options.lineWidth)
}

/// How PyTorch prints a tensor without values (the meta device): `tensor(..., device='meta',
/// size=(2, 3))`, then the dtype unless float32, then `requires_grad=True` or `grad_fn=<...>`.
func formatValuelessTensor(shape: [Int], dtypeName: String, device: String, requiresGrad: Bool, gradFnName: String?,
                           options: TensorPrintOptions = tensorPrintOptions) -> String {
    var suffixes = ["device='\(device)'", "size=" + pythonTupleString(shape)]
    if dtypeName != "torch.\(getDefaultDtype())" { suffixes.append("dtype=" + dtypeName) }
    if let gradFn = gradFnName { suffixes.append("grad_fn=<\(gradFn)>") } else if requiresGrad { suffixes.append("requires_grad=True") }
    return addSuffixes("tensor(...", suffixes: suffixes, indent: "tensor(".utf8.count, lineWidth: options.lineWidth)
}

// MARK: - Suffixes

/// PyTorch's `_add_suffixes` (dense tensors never force a newline).
private func addSuffixes(_ tensorStr: String, suffixes: [String], indent: Int,
                         lineWidth: Int) -> String {
    var result = tensorStr
    // Python: `len(s) - s.rfind("\n") + 1` (rfind gives -1 when there is no newline).
    let utf8 = Array(tensorStr.utf8)
    let lastNewline = utf8.lastIndex(of: UInt8(ascii: "\n")) ?? -1
    var lastLineLength = utf8.count - lastNewline + 1
    for suffix in suffixes {
        let suffixLength = suffix.utf8.count
        if lastLineLength + suffixLength + 2 > lineWidth {
            result += ",\n" + String(repeating: " ", count: indent) + suffix
            lastLineLength = indent + suffixLength
        } else {
            result += ", " + suffix
            lastLineLength += suffixLength + 2
        }
    }
    result += ")"
    return result
}

/// `str(tuple(shape))`: `()`, `(5,)`, `(0, 3)`.
private func pythonTupleString(_ shape: [Int]) -> String {
    switch shape.count {
    case 0: return "()"
    case 1: return "(\(shape[0]),)"
    default: return "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

// MARK: - Element formatter (`_Formatter`)

private struct TensorElementFormatter {
    let kind: PrintElementKind
    let precision: Int
    private(set) var intMode = true
    private(set) var sciMode = false
    private(set) var maxWidth = 1

    /// - Parameter values: the (summarised) elements the formatter is computed from.
    init(values: [Double], kind: PrintElementKind, options: TensorPrintOptions) {
        self.kind = kind
        self.precision = max(0, options.precision)

        guard kind == .floating else {
            for value in values {
                maxWidth = max(maxWidth, Self.nonFloatingString(value, kind: kind).utf8.count)
            }
            return
        }

        var minAbs = Double.infinity
        var maxAbs = 0.0
        var sawNonzeroFinite = false
        for value in values where value.isFinite && value != 0 {
            sawNonzeroFinite = true
            let magnitude = Swift.abs(value)
            minAbs = Swift.min(minAbs, magnitude)
            maxAbs = Swift.max(maxAbs, magnitude)
            if intMode && value != value.rounded(.up) {
                intMode = false
            }
        }
        // No valid number: int mode, no sci mode, width 1 (even if sciMode is forced).
        guard sawNonzeroFinite else { return }

        if let forced = options.sciMode {
            sciMode = forced
        } else {
            sciMode = maxAbs / minAbs > 1000.0 || maxAbs > 1.0e8 || minAbs < 1.0e-4
        }

        for value in values where value.isFinite && value != 0 {
            let width: Int
            if sciMode {
                width = Self.scientific(value, precision: precision).utf8.count
            } else if intMode {
                width = Self.fixed(value, precision: 0).utf8.count + 1
            } else {
                width = Self.fixed(value, precision: precision).utf8.count
            }
            maxWidth = Swift.max(maxWidth, width)
        }
    }

    var width: Int { maxWidth }

    func format(_ value: Double) -> String {
        let text: String
        switch kind {
        case .floating:
            if sciMode {
                text = Self.scientific(value, precision: precision)
            } else if intMode {
                if value.isFinite {
                    text = Self.fixed(value, precision: 0) + "."
                } else {
                    text = Self.fixed(value, precision: 0)
                }
            } else {
                text = Self.fixed(value, precision: precision)
            }
        case .integer, .boolean:
            text = Self.nonFloatingString(value, kind: kind)
        }
        let padding = maxWidth - text.utf8.count
        return padding > 0 ? String(repeating: " ", count: padding) + text : text
    }

    /// Python `str(int)` / `str(bool)`.
    static func nonFloatingString(_ value: Double, kind: PrintElementKind) -> String {
        if kind == .boolean {
            return value != 0 ? "True" : "False"
        }
        if value.isNaN { return "0" }
        if Swift.abs(value) < 9.0e18 {
            return String(Int64(value))
        }
        // Out of Int64 range (e.g. large uint64): exact decimal of the Double.
        return fixed(value.rounded(.towardZero), precision: 0)
    }

    /// Python `'{:.{p}f}'.format(value)`.
    static func fixed(_ value: Double, precision: Int) -> String {
        if let special = nonFiniteString(value) { return special }
        return String(format: "%.\(precision)f", value)
    }

    /// Python `'{:.{p}e}'.format(value)`.
    static func scientific(_ value: Double, precision: Int) -> String {
        if let special = nonFiniteString(value) { return special }
        return String(format: "%.\(precision)e", value)
    }

    /// Python spells these `nan` (regardless of the sign bit), `inf`, `-inf`.
    private static func nonFiniteString(_ value: Double) -> String? {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return nil
    }
}

// MARK: - Layout (`_tensor_str`)

private struct TensorPrinter {
    let values: [Double]
    let shape: [Int]
    /// Row-major strides (in elements) of `shape`.
    let strides: [Int]
    let edgeItems: Int
    let lineWidth: Int
    let summarize: Bool
    let formatter: TensorElementFormatter

    init(values: [Double], shape: [Int], kind: PrintElementKind, options: TensorPrintOptions) {
        self.values = values
        self.shape = shape
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        self.strides = strides
        self.edgeItems = max(0, options.edgeItems)
        self.lineWidth = options.lineWidth
        self.summarize = values.count > options.threshold

        var formatterValues: [Double]
        if summarize {
            formatterValues = []
            Self.collectSummarized(values: values, shape: shape, strides: strides,
                                   axis: 0, offset: 0, edgeItems: edgeItems,
                                   into: &formatterValues)
        } else {
            formatterValues = values
        }
        self.formatter = TensorElementFormatter(values: formatterValues, kind: kind,
                                                options: options)
    }

    /// PyTorch's `get_summarized_data`, flattened (the formatter only needs the
    /// multiset of values, not their order).
    private static func collectSummarized(values: [Double], shape: [Int], strides: [Int],
                                          axis: Int, offset: Int, edgeItems: Int,
                                          into out: inout [Double]) {
        let remaining = shape.count - axis
        if remaining == 0 {
            out.append(values[offset])
            return
        }
        let size = shape[axis]
        if remaining == 1 {
            if size > 2 * edgeItems {
                // `cat(self[:e], self[-e:])`; note `self[-0:]` is the whole row.
                if edgeItems == 0 {
                    out.append(contentsOf: values[offset ..< offset + size])
                } else {
                    out.append(contentsOf: values[offset ..< offset + edgeItems])
                    out.append(contentsOf: values[offset + size - edgeItems ..< offset + size])
                }
            } else {
                out.append(contentsOf: values[offset ..< offset + size])
            }
            return
        }
        if edgeItems == 0 {
            return  // `self.new_empty([0] * self.dim())`
        }
        let step = strides[axis]
        let indices: [Int] = size > 2 * edgeItems
            ? Array(0 ..< edgeItems) + Array(size - edgeItems ..< size)
            : Array(0 ..< size)
        for index in indices {
            collectSummarized(values: values, shape: shape, strides: strides,
                              axis: axis + 1, offset: offset + index * step,
                              edgeItems: edgeItems, into: &out)
        }
    }

    func render(indent: Int) -> String {
        tensorString(axis: 0, offset: 0, indent: indent)
    }

    /// `_tensor_str_with_formatter`.
    private func tensorString(axis: Int, offset: Int, indent: Int) -> String {
        let remaining = shape.count - axis
        if remaining == 0 {
            return formatter.format(values[offset])
        }
        if remaining == 1 {
            return vectorString(offset: offset, count: shape[axis], indent: indent)
        }
        let size = shape[axis]
        let step = strides[axis]
        var slices: [String] = []
        if summarize && size > 2 * edgeItems {
            for index in 0 ..< edgeItems {
                slices.append(tensorString(axis: axis + 1, offset: offset + index * step,
                                           indent: indent + 1))
            }
            slices.append("...")
            for index in (size - edgeItems) ..< size {
                slices.append(tensorString(axis: axis + 1, offset: offset + index * step,
                                           indent: indent + 1))
            }
        } else {
            for index in 0 ..< size {
                slices.append(tensorString(axis: axis + 1, offset: offset + index * step,
                                           indent: indent + 1))
            }
        }
        let separator = "," + String(repeating: "\n", count: remaining - 1)
            + String(repeating: " ", count: indent + 1)
        return "[" + slices.joined(separator: separator) + "]"
    }

    /// `_vector_str`.
    private func vectorString(offset: Int, count: Int, indent: Int) -> String {
        // Length includes the comma and space between elements.
        let elementLength = formatter.width + 2
        let elementsPerLine = max(
            1, Int((Double(lineWidth - indent) / Double(elementLength)).rounded(.down)))

        var data: [String] = []
        if summarize && edgeItems == 0 {
            data = ["..."]
        } else if summarize && count > 2 * edgeItems {
            for index in 0 ..< edgeItems {
                data.append(formatter.format(values[offset + index]))
            }
            data.append(" ...")
            for index in (count - edgeItems) ..< count {
                data.append(formatter.format(values[offset + index]))
            }
        } else {
            data.reserveCapacity(count)
            for index in 0 ..< count {
                data.append(formatter.format(values[offset + index]))
            }
        }

        var lines: [String] = []
        var start = 0
        while start < data.count {
            let end = min(start + elementsPerLine, data.count)
            lines.append(data[start ..< end].joined(separator: ", "))
            start = end
        }
        let separator = ",\n" + String(repeating: " ", count: indent + 1)
        return "[" + lines.joined(separator: separator) + "]"
    }
}
