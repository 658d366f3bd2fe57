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

/// One parameter group's entries as PyTorch shows them, in `groupKeys` order, from its learning
/// rate and options (`option(name)`); `initial_lr` last when a scheduler set it.
private func groupEntries(_ name: String, lr: Double, initialLR: Double?, option: (String) -> Double?) -> [(String, String)] {
    var lines: [(String, String)] = []
    for k in groupKeys(name) {
        var text = k.defaultRepr
        if k.source == "lr" {
            text = repr(lr, default: k.defaultRepr)
        } else if let src = k.source, k.defaultRepr.hasPrefix("(") {
            let parts = k.defaultRepr.dropFirst().dropLast().split(separator: ", ").map(String.init)
            if let a = option(src + ".0"), let b = option(src + ".1"), parts.count == 2 {
                text = "(\(repr(a, default: parts[0])), \(repr(b, default: parts[1])))"
            }
        } else if let src = k.source, let v = option(src) {
            text = repr(v, default: k.defaultRepr)
        }
        lines.append((k.key, text))
    }
    if let i = initialLR, i == i { lines.append(("initial_lr", pythonFloat(i))) }
    // OneCycleLR's own entries, in the order it adds them
    for k in ["max_lr", "min_lr", "max_momentum", "base_momentum"] { if let v = option(k) { lines.append((k, pythonFloat(v))) } }
    return lines
}

/// The order of a group's keys in PyTorch's `state_dict()` (the constructor's `defaults` order).
private func constructorOrder(_ name: String) -> [String] {
    switch name {
    case "SGD": return ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach", "differentiable", "fused"]
    case "Adam", "AdamW": return ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay"]
    case "RMSprop": return ["lr", "momentum", "alpha", "eps", "centered", "weight_decay", "capturable", "foreach", "maximize", "differentiable"]
    case "Adagrad": return ["lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value", "foreach", "maximize", "differentiable", "fused"]
    case "Adadelta": return ["lr", "rho", "eps", "weight_decay", "maximize", "capturable", "foreach", "differentiable"]
    case "Adamax": return ["lr", "betas", "eps", "weight_decay", "foreach", "maximize", "differentiable", "capturable"]
    case "ASGD": return ["lr", "lambd", "alpha", "t0", "weight_decay", "foreach", "maximize", "differentiable", "capturable"]
    case "Rprop": return ["lr", "etas", "step_sizes", "foreach", "maximize", "differentiable", "capturable"]
    case "NAdam": return ["lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize", "foreach", "capturable", "differentiable"]
    case "RAdam": return ["lr", "betas", "eps", "weight_decay", "maximize", "foreach", "capturable", "decoupled_weight_decay", "differentiable"]
    case "SparseAdam": return ["lr", "betas", "eps", "maximize"]
    case "LBFGS": return ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn"]
    default: return []
    }
}

/// The order of a parameter's state entries in PyTorch (SGD keeps no `step`).
private func stateOrder(_ name: String) -> [String] {
    switch name {
    case "SGD": return ["momentum_buffer"]
    case "Adam", "AdamW", "RAdam", "SparseAdam": return ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    case "RMSprop": return ["step", "square_avg", "momentum_buffer", "grad_avg"]
    case "Adagrad": return ["step", "sum"]
    case "Adadelta": return ["step", "square_avg", "acc_delta"]
    case "Adamax": return ["step", "exp_avg", "exp_inf"]
    case "ASGD": return ["step", "eta", "mu", "ax"]
    case "Rprop": return ["step", "prev", "step_size"]
    case "NAdam": return ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    default: return []   // L-BFGS: the state dict's own order
    }
}

extension Optimizer: CustomStringConvertible {
    /// Prints like PyTorch's `print(optimizer)`: each parameter group's settings, sorted by name.
    public var description: String {
        let name = String(describing: type(of: self))
        var out = "\(name) ("
        for (i, g) in paramGroups.enumerated() {
            out += (i > 0 ? "\n" : "") + "\nParameter Group \(i)"   // PyTorch: a blank line between groups
            let lines = groupEntries(name, lr: g.lr, initialLR: hasScheduler ? g.initialLR : nil) { g.options[$0] }
            for (k, v) in lines.sorted(by: { $0.0 < $1.0 }) { out += "\n    \(k): \(v)" }
        }
        return out + "\n)"
    }
}

/// `print(optimizer.stateDict())` as PyTorch prints `optimizer.state_dict()`:
/// `{'state': {0: {'step': tensor(1.), 'exp_avg': ...}}, 'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}]}`.
func optimizerStateDescription(_ d: StateDict, _ name: String, hasScheduler: Bool, explicitKeys: [Set<String>] = []) -> String {
    func value(_ key: String) -> Double? { d[key].map { $0.item() } }
    var states: [String] = []
    var index = 0
    var groups: [String] = []
    var gi = 0
    while let lr = value("param_groups.\(gi).lr") {
        let params = d["param_groups.\(gi).params"]?.toArray(Int.self) ?? []
        let entries = groupEntries(name, lr: lr, initialLR: hasScheduler ? value("param_groups.\(gi).initial_lr") : nil) { value("param_groups.\(gi).\($0)") }
        let byKey = Dictionary(entries, uniquingKeysWith: { a, _ in a })
        // the group's own settings first (PyTorch fills the defaults in after them), then the defaults
        let own = gi < explicitKeys.count ? explicitKeys[gi] : []
        let order = constructorOrder(name).filter { own.contains($0) } + constructorOrder(name).filter { !own.contains($0) }
        var parts = order.compactMap { k in byKey[k].map { "'\(k)': \($0)" } }
        for k in ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"] { if let v = byKey[k] { parts.append("'\(k)': \(v)") } }
        parts.append("'params': [" + params.map(String.init).joined(separator: ", ") + "]")
        groups.append("{" + parts.joined(separator: ", ") + "}")
        index = max(index, (params.max() ?? -1) + 1)
        gi += 1
    }
    for i in 0..<index {
        let prefix = "state.\(i)."
        let keys = d.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        if keys.isEmpty { continue }
        let order = stateOrder(name)
        let ordered = order.isEmpty ? keys : order.filter { keys.contains($0) }
        let entries = ordered.map { k -> String in
            let t = d[prefix + k]!
            let shown = k == "step" ? Tensor(Float(t.item())) : t   // PyTorch keeps steps as float32 scalars
            return "'\(k)': \(shown)"
        }
        states.append("\(i): {" + entries.joined(separator: ", ") + "}")
    }
    return "{'state': {" + states.joined(separator: ", ") + "}, 'param_groups': [" + groups.joined(separator: ", ") + "]}"
}

extension StateDict: CustomStringConvertible {
    /// Prints like PyTorch's `print(model.state_dict())`: `OrderedDict([('weight', tensor(...)), ...])`; an
    /// optimizer's state dict prints as PyTorch's nested `{'state': ..., 'param_groups': [...]}`.
    public var description: String {
        if let o = optimizerPrint { return optimizerStateDescription(self, o.name, hasScheduler: o.hasScheduler, explicitKeys: o.explicitKeys) }
        return "OrderedDict([" + keys.map { "('\($0)', \(self[$0]!))" }.joined(separator: ", ") + "])"
    }
}
