extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// The tensor as PyTorch prints it: `tensor([[0.0000],\n        [0.1000]], requires_grad=True)`.
    public var description: String {
        if isUninitializedLazy { return self is Parameter ? "<UninitializedParameter>" : "<UninitializedBuffer>" }
        let prefix = self is Parameter ? "Parameter containing:\n" : ""
        if device.isMeta {
            return prefix + formatValuelessTensor(shape: shape, dtypeName: "torch.\(dtype)", device: device.description,
                                                  requiresGrad: requiresGradFlag && node == nil, gradFnName: node?.name)
        }
        let kind: PrintElementKind = dtype.isFloatingPoint ? .floating : (dtype == .bool ? .boolean : .integer)
        let values = noGrad { toArray(Double.self) }
        let dtypeSuffix: String? = (dtype == getDefaultDtype() || dtype == .int64 || dtype == .bool) ? nil : "torch.\(dtype)"
        return prefix + formatTensor(values: values, shape: shape, kind: kind, dtypeSuffix: dtypeSuffix,
                            deviceSuffix: device == .cpu ? nil : device.description,
                            requiresGrad: requiresGradFlag && node == nil, gradFnName: node?.name)
    }
    public var debugDescription: String { description }
}

/// Sets how tensors print (PyTorch's `torch.set_printoptions`). `profile` "default", "short" or "full"
/// sets every option first (full: no summarising), then the other arguments apply, as in PyTorch;
/// `sciMode` (nil: automatic) is set by every call, as PyTorch's is.
public func setPrintOptions(precision: Int? = nil, threshold: Int? = nil, edgeItems: Int? = nil, lineWidth: Int? = nil, sciMode: Bool?? = nil,
                            profile: String? = nil) {
    switch profile {
    case "default"?: tensorPrintOptions.precision = 4; tensorPrintOptions.threshold = 1000; tensorPrintOptions.edgeItems = 3; tensorPrintOptions.lineWidth = 80
    case "short"?: tensorPrintOptions.precision = 2; tensorPrintOptions.threshold = 1000; tensorPrintOptions.edgeItems = 2; tensorPrintOptions.lineWidth = 80
    case "full"?: tensorPrintOptions.precision = 4; tensorPrintOptions.threshold = Int.max; tensorPrintOptions.edgeItems = 3; tensorPrintOptions.lineWidth = 80
    case nil: break
    case let p?: fail("Invalid printoptions profile \(p): expected \"default\", \"short\" or \"full\"")
    }
    if let p = precision { tensorPrintOptions.precision = p }
    if let t = threshold { tensorPrintOptions.threshold = t }
    if let e = edgeItems { tensorPrintOptions.edgeItems = e }
    if let l = lineWidth { tensorPrintOptions.lineWidth = l }
    tensorPrintOptions.sciMode = sciMode ?? nil   // every call sets it, as PyTorch's (nil: automatic)
}
/// `setPrintOptions` with PyTorch's spelling and argument names (`torch.set_printoptions(edgeitems=2, linewidth=120)`).
public func setPrintoptions(precision: Int? = nil, threshold: Int? = nil, edgeitems: Int? = nil, linewidth: Int? = nil,
                            profile: String? = nil, sciMode: Bool? = nil) {
    setPrintOptions(precision: precision, threshold: threshold, edgeItems: edgeitems, lineWidth: linewidth, sciMode: sciMode, profile: profile)
}

/// Prints one tensor, exactly as `Swift.print(tensor)` does.
///
/// This overload exists for the type checker: with only `print(_: Any...)`, a tensor expression
/// inside `print(...)` has no known result type, and Swift tries every numeric operator overload
/// of the standard library for it. `print(-(yhat.log() * y + (1 - yhat).log() * (1 - y)).sum() / 3)`
/// took 616 ms to type-check that way, and takes 4 ms with this overload to aim at.
@inlinable
public func print(_ tensor: Tensor, terminator: String = "\n") {
    Swift.print(tensor, terminator: terminator)
}
