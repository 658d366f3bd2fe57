// How optimizers and state dicts print: as PyTorch's `print(optimizer)` and `print(state_dict)`.

/// PyTorch's entries of one optimizer's parameter group, sorted by key, with their default reprs.
/// `source` names the option holding the value (nil: a constant of PyTorch's that Descent does not vary).
private struct GroupKey {
    let key: String, source: String?, defaultRepr: String
    init(_ key: String, _ source: String? = nil, _ defaultRepr: String) { self.key = key; self.source = source; self.defaultRepr = defaultRepr }
}

private let commonFlags = [GroupKey("differentiable", nil, "False"), GroupKey("foreach", nil, "None")]

private func groupKeys(_ name: String) -> [GroupKey] {
    let adamLike = [GroupKey("betas", "betas", "(0.9, 0.999)"), GroupKey("capturable", nil, "False")]
    switch name {
    case "SGD":
        return [GroupKey("dampening", "dampening", "0"), GroupKey("fused", nil, "None"), GroupKey("lr", "lr", "0.001"),
                GroupKey("maximize", "maximize", "False"), GroupKey("momentum", "momentum", "0"),
                GroupKey("nesterov", "nesterov", "False"), GroupKey("weight_decay", "weight_decay", "0")] + commonFlags
    case "Adam", "AdamW":
        return [GroupKey("amsgrad", "amsgrad", "False"), GroupKey("decoupled_weight_decay", nil, name == "AdamW" ? "True" : "False"),
                GroupKey("eps", "eps", "1e-08"), GroupKey("fused", nil, "None"), GroupKey("lr", "lr", "0.001"),
                GroupKey("maximize", "maximize", "False"), GroupKey("weight_decay", "weight_decay", name == "AdamW" ? "0.01" : "0")]
            + adamLike + commonFlags
    case "RMSprop":
        return [GroupKey("alpha", "alpha", "0.99"), GroupKey("capturable", nil, "False"), GroupKey("centered", "centered", "False"),
                GroupKey("eps", "eps", "1e-08"), GroupKey("lr", "lr", "0.01"), GroupKey("maximize", "maximize", "False"),
                GroupKey("momentum", "momentum", "0"), GroupKey("weight_decay", "weight_decay", "0")] + commonFlags
    case "Adagrad":
        return [GroupKey("eps", "eps", "1e-10"), GroupKey("fused", nil, "None"),
                GroupKey("initial_accumulator_value", "initial_accumulator_value", "0"), GroupKey("lr", "lr", "0.01"),
                GroupKey("lr_decay", "lr_decay", "0"), GroupKey("maximize", "maximize", "False"),
                GroupKey("weight_decay", "weight_decay", "0")] + commonFlags
    case "Adadelta":
        return [GroupKey("capturable", nil, "False"), GroupKey("eps", "eps", "1e-06"), GroupKey("lr", "lr", "1.0"),
                GroupKey("maximize", "maximize", "False"), GroupKey("rho", "rho", "0.9"), GroupKey("weight_decay", "weight_decay", "0")]
            + commonFlags
    case "Adamax":
        return [GroupKey("eps", "eps", "1e-08"), GroupKey("lr", "lr", "0.002"), GroupKey("maximize", "maximize", "False"),
                GroupKey("weight_decay", "weight_decay", "0")] + adamLike + commonFlags
    case "ASGD":
        return [GroupKey("alpha", "alpha", "0.75"), GroupKey("capturable", nil, "False"), GroupKey("lambd", "lambd", "0.0001"),
                GroupKey("lr", "lr", "0.01"), GroupKey("maximize", "maximize", "False"), GroupKey("t0", "t0", "1000000.0"),
                GroupKey("weight_decay", "weight_decay", "0")] + commonFlags
    case "Rprop":
        return [GroupKey("capturable", nil, "False"), GroupKey("etas", "etas", "(0.5, 1.2)"), GroupKey("lr", "lr", "0.01"),
                GroupKey("maximize", "maximize", "False"), GroupKey("step_sizes", "step_sizes", "(1e-06, 50)")] + commonFlags
    case "NAdam", "RAdam":
        var keys = [GroupKey("decoupled_weight_decay", "decoupled_weight_decay", "False"), GroupKey("eps", "eps", "1e-08"),
                    GroupKey("lr", "lr", name == "NAdam" ? "0.002" : "0.001"), GroupKey("maximize", "maximize", "False"),
                    GroupKey("weight_decay", "weight_decay", "0")] + adamLike + commonFlags
        if name == "NAdam" { keys.append(GroupKey("momentum_decay", "momentum_decay", "0.004")) }
        return keys
    case "SparseAdam":
        return [GroupKey("betas", "betas", "(0.9, 0.999)"), GroupKey("eps", "eps", "1e-08"), GroupKey("lr", "lr", "0.001"),
                GroupKey("maximize", "maximize", "False")]
    case "LBFGS":
        return [GroupKey("history_size", "history_size", "100"), GroupKey("line_search_fn", nil, "None"), GroupKey("lr", "lr", "1"),
                GroupKey("max_eval", "max_eval", "25"), GroupKey("max_iter", "max_iter", "20"),
                GroupKey("tolerance_change", "tolerance_change", "1e-09"), GroupKey("tolerance_grad", "tolerance_grad", "1e-07")]
    default:
        return []
    }
}

/// A Double as Python prints a float (shortest round-trip digits; Swift's and Python's agree).
private func pythonFloat(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return "\(v)"
}

/// A value as PyTorch would show it: the default's own text when the value is the default (PyTorch
/// keeps the int `0` of a default), else a Python float, or True/False for flags.
private func repr(_ v: Double, default d: String) -> String {
    if d == "True" || d == "False" { return v != 0 ? "True" : "False" }
    if let dv = Double(d), dv == v { return d }
    return pythonFloat(v)
}

extension Optimizer: CustomStringConvertible {
    /// Prints like PyTorch's `print(optimizer)`: each parameter group's settings, sorted by name.
    public var description: String {
        let name = String(describing: type(of: self))
        var out = "\(name) ("
        for (i, g) in paramGroups.enumerated() {
            out += (i > 0 ? "\n" : "") + "\nParameter Group \(i)"   // PyTorch: a blank line between groups
            var lines: [(String, String)] = []
            for k in groupKeys(name) {
                var text = k.defaultRepr
                if k.source == "lr" {
                    text = repr(g.lr, default: k.defaultRepr)
                } else if let src = k.source, k.defaultRepr.hasPrefix("(") {
                    let parts = k.defaultRepr.dropFirst().dropLast().split(separator: ", ").map(String.init)
                    if let a = g.options[src + ".0"], let b = g.options[src + ".1"], parts.count == 2 {
                        text = "(\(repr(a, default: parts[0])), \(repr(b, default: parts[1])))"
                    }
                } else if let src = k.source, let v = g.options[src] {
                    text = repr(v, default: k.defaultRepr)
                }
                lines.append((k.key, text))
            }
            if g.initialLR == g.initialLR && hasScheduler { lines.append(("initial_lr", pythonFloat(g.initialLR))) }
            for (k, v) in lines.sorted(by: { $0.0 < $1.0 }) { out += "\n    \(k): \(v)" }
        }
        return out + "\n)"
    }
}

extension StateDict: CustomStringConvertible {
    /// Prints like PyTorch's `print(model.state_dict())`: `OrderedDict([('weight', tensor(...)), ...])`.
    public var description: String {
        "OrderedDict([" + keys.map { "('\($0)', \(self[$0]!))" }.joined(separator: ", ") + "])"
    }
}
