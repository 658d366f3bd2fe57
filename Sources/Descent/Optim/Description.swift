// How optimizers and state dicts print: as PyTorch's `print(optimizer)` and `print(state_dict)`.

/// What PyTorch shows of one optimizer beyond its typed settings (whose names, kinds and defaults
/// come from `settings`): the entries Descent does not vary, the order of its `defaults` in
/// `state_dict()`, and the order of a parameter's state entries (empty: the state dict's own order).
private struct PyTorchLayout {
    let settings: any OptimizerSettings.Type
    let constants: [(String, String)]
    let order: [String]
    let stateOrder: [String]
}

private func layout(_ name: String) -> PyTorchLayout? {
    let flags = [("differentiable", "False"), ("foreach", "None")]
    switch name {
    case "SGD":
        return PyTorchLayout(settings: SGD.Settings.self, constants: [("fused", "None")] + flags,
                             order: ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach", "differentiable", "fused"],
                             stateOrder: ["momentum_buffer"])
    case "Adam", "AdamW":
        return PyTorchLayout(settings: Adam.Settings.self,
                             constants: [("decoupled_weight_decay", name == "AdamW" ? "True" : "False"), ("fused", "None"), ("capturable", "False")] + flags,
                             order: ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay"],
                             stateOrder: ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    case "RMSprop":
        return PyTorchLayout(settings: RMSprop.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "momentum", "alpha", "eps", "centered", "weight_decay", "capturable", "foreach", "maximize", "differentiable"],
                             stateOrder: ["step", "square_avg", "momentum_buffer", "grad_avg"])
    case "Adagrad":
        return PyTorchLayout(settings: Adagrad.Settings.self, constants: [("fused", "None")] + flags,
                             order: ["lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value", "foreach", "maximize", "differentiable", "fused"],
                             stateOrder: ["step", "sum"])
    case "Adadelta":
        return PyTorchLayout(settings: Adadelta.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "rho", "eps", "weight_decay", "maximize", "capturable", "foreach", "differentiable"],
                             stateOrder: ["step", "square_avg", "acc_delta"])
    case "Adamax":
        return PyTorchLayout(settings: Adamax.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "betas", "eps", "weight_decay", "foreach", "maximize", "differentiable", "capturable"],
                             stateOrder: ["step", "exp_avg", "exp_inf"])
    case "ASGD":
        return PyTorchLayout(settings: ASGD.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "lambd", "alpha", "t0", "weight_decay", "foreach", "maximize", "differentiable", "capturable"],
                             stateOrder: ["step", "eta", "mu", "ax"])
    case "Rprop":
        return PyTorchLayout(settings: Rprop.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "etas", "step_sizes", "foreach", "maximize", "differentiable", "capturable"],
                             stateOrder: ["step", "prev", "step_size"])
    case "NAdam":
        return PyTorchLayout(settings: NAdam.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize", "foreach", "capturable", "differentiable"],
                             stateOrder: ["step", "mu_product", "exp_avg", "exp_avg_sq"])
    case "RAdam":
        return PyTorchLayout(settings: RAdam.Settings.self, constants: [("capturable", "False")] + flags,
                             order: ["lr", "betas", "eps", "weight_decay", "maximize", "foreach", "capturable", "decoupled_weight_decay", "differentiable"],
                             stateOrder: ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    case "SparseAdam":
        return PyTorchLayout(settings: SparseAdam.Settings.self, constants: [], order: ["lr", "betas", "eps", "maximize"],
                             stateOrder: ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    case "LBFGS":
        return PyTorchLayout(settings: LBFGS.Settings.self, constants: [("line_search_fn", "None")],
                             order: ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn"],
                             stateOrder: [])
    default:
        return nil
    }
}

/// The layout of an optimizer Descent does not know (one written by a user): its settings in their
/// own order, nothing else.
private func layout<S: OptimizerSettings>(of settings: S) -> PyTorchLayout {
    var order = ["lr"]
    for f in S.fields { let base = baseName(f.name); if !order.contains(base) { order.append(base) } }
    return PyTorchLayout(settings: S.self, constants: [], order: order, stateOrder: [])
}

/// `betas` for `betas.0`: the name PyTorch shows a tuple's halves under.
private func baseName(_ name: String) -> String { String(name.split(separator: ".")[0]) }

/// One setting as `groupEntries` needs it: PyTorch's name, kind and default, and whether the default is a Python int.
private struct FieldInfo { let name: String, kind: OptimizerSettingKind, defaultValue: Double, pythonInt: Bool }

private func fieldInfo<S: OptimizerSettings>(_ settings: S.Type) -> (lr: Double, lrIsInt: Bool, fields: [FieldInfo]) {
    let ints = S.pythonIntDefaults
    return (S.defaultLR, ints.contains("lr"), S.fieldInfo.map { FieldInfo(name: $0.name, kind: $0.kind, defaultValue: $0.default, pythonInt: ints.contains($0.name)) })
}


/// A setting as PyTorch would show it: True/False for flags, an int for ints and for a default that
/// PyTorch writes as an int (PyTorch keeps the int `0` of a default), else a Python float.
private func repr(_ v: Double, _ f: FieldInfo) -> String {
    switch f.kind {
    case .flag: return v != 0 ? "True" : "False"
    case .integer: return v == v.rounded() && Swift.abs(v) < 1e15 ? "\(Int(v))" : pythonRepr(v)
    case .real: return f.pythonInt && v == f.defaultValue ? "\(Int(v))" : pythonRepr(v)
    }
}

/// One parameter group's entries as PyTorch shows them (unsorted), from its learning rate and settings
/// (`option(name)`, PyTorch's names); `initial_lr` and OneCycleLR's entries last when present.
private func groupEntries(_ layout: PyTorchLayout?, lr: Double, initialLR: Double?, option: (String) -> Double?) -> [(String, String)] {
    var lines: [(String, String)] = []
    if let layout {
        let info = fieldInfo(layout.settings)
        lines.append(("lr", info.lrIsInt && lr == info.lr ? "\(Int(lr))" : pythonRepr(lr)))
        var done: Set<String> = []
        for f in info.fields where !done.contains(baseName(f.name)) {
            let base = baseName(f.name)
            done.insert(base)
            let parts = info.fields.filter { baseName($0.name) == base }
            let texts = parts.map { repr(option($0.name) ?? $0.defaultValue, $0) }
            lines.append((base, parts.count > 1 || f.name != base ? "(" + texts.joined(separator: ", ") + ")" : texts[0]))
        }
        lines += layout.constants
    }
    if let i = initialLR, i == i { lines.append(("initial_lr", pythonRepr(i))) }
    // OneCycleLR's and SWALR's own entries, in the order they add them
    for k in ["max_lr", "min_lr", "max_momentum", "base_momentum", "swa_lr"] { if let v = option(k) { lines.append((k, pythonRepr(v))) } }
    return lines
}

extension Optimizer: CustomStringConvertible {
    /// Prints like PyTorch's `print(optimizer)`: each parameter group's settings, sorted by name.
    public var description: String {
        let name = String(describing: type(of: self))
        let shape: PyTorchLayout
        if let known = layout(name) { shape = known } else { shape = layout(of: defaultSettings) }
        var out = "\(name) ("
        for (i, g) in paramGroups.enumerated() {
            out += (i > 0 ? "\n" : "") + "\nParameter Group \(i)"   // PyTorch: a blank line between groups
            let lines = groupEntries(shape, lr: g.lr, initialLR: hasScheduler ? g.initialLR : nil) { g.options[$0] }
            for (k, v) in lines.sorted(by: { $0.0 < $1.0 }) { out += "\n    \(k): \(v)" }
        }
        return out + "\n)"
    }
}

/// `print(optimizer.stateDict())` as PyTorch prints `optimizer.state_dict()`:
/// `{'state': {0: {'step': tensor(1.), 'exp_avg': ...}}, 'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}]}`.
func optimizerStateDescription(_ d: StateDict, _ name: String, hasScheduler: Bool, explicitKeys: [Set<String>] = []) -> String {
    func value(_ key: String) -> Double? { d[key].map { $0.item() } }
    let shape = layout(name)
    var states: [String] = []
    var index = 0
    var groups: [String] = []
    var gi = 0
    while let lr = value("param_groups.\(gi).lr") {
        let params = d["param_groups.\(gi).params"]?.toArray(Int.self) ?? []
        let entries = groupEntries(shape, lr: lr, initialLR: hasScheduler ? value("param_groups.\(gi).initial_lr") : nil) { value("param_groups.\(gi).\($0)") }
        let byKey = Dictionary(entries, uniquingKeysWith: { a, _ in a })
        // the group's own settings first (PyTorch fills the defaults in after them), then the defaults
        let own = gi < explicitKeys.count ? explicitKeys[gi] : []
        let constructorOrder = shape?.order ?? []
        let order = constructorOrder.filter { own.contains($0) } + constructorOrder.filter { !own.contains($0) }
        var parts = order.compactMap { k in byKey[k].map { "'\(k)': \($0)" } }
        for k in ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "swa_lr"] { if let v = byKey[k] { parts.append("'\(k)': \(v)") } }
        parts.append("'params': [" + params.map(String.init).joined(separator: ", ") + "]")
        groups.append("{" + parts.joined(separator: ", ") + "}")
        index = max(index, (params.max() ?? -1) + 1)
        gi += 1
    }
    for i in 0..<index {
        let prefix = "state.\(i)."
        let keys = d.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        if keys.isEmpty { continue }
        let order = shape?.stateOrder ?? []
        let ordered = order.isEmpty ? keys : order.filter { keys.contains($0) }
        let entries = ordered.compactMap { k -> String? in
            guard let t = d[prefix + k] else { return nil }
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
