// Einstein summation (PyTorch's `torch.einsum`), built from permutes, reshapes, sums and batched
// matrix products, so autograd differentiates it through those ops.

/// Sums products of `operands` over the indices the equation leaves out (PyTorch's `torch.einsum`):
/// `einsum("bij,bjk->bik", a, b)`, `einsum("ij->ji", x)`, `einsum("i,i->", u, v)`, `"...ij,...jk"`.
/// Without "->" the output keeps, in alphabetical order, the indices that appear once. An index
/// repeated inside one operand takes its diagonal (`"ii->i"`, `"ii"` for the trace). Operands are
/// combined left to right, two at a time.
public func einsum(_ equation: String, _ operands: Tensor...) -> Tensor { einsum(equation, operands) }

/// `einsum` with the operands in an array.
public func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
    let eq = equation.filter { $0 != " " }
    let parts = eq.components(separatedBy: "->")
    if parts.count > 2 { fail("einsum(): more than one '->' in the equation") }
    let inputs = parts[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    if inputs.count != operands.count {
        fail("einsum(): more operands were provided than specified in the equation")
    }
    // Expand "..." into fresh upper-case letters (broadcast dims, aligned from the right).
    let ellipsisDims = zip(inputs, operands).map { spec, t in spec.contains("...") ? t.rank - (spec.count - 3) : 0 }
    let maxEllipsis = ellipsisDims.max() ?? 0
    // Greek capitals stand for the ellipsis dims: they cannot clash with the equation's [a-zA-Z].
    let fresh = Array("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ".prefix(maxEllipsis))
    if maxEllipsis > 24 { fail("einsum(): too many dimensions under the ellipsis") }
    func expand(_ spec: String, _ n: Int) -> [Character] {
        guard let r = spec.range(of: "...") else { return Array(spec) }
        return Array(spec[..<r.lowerBound]) + Array(fresh.suffix(n)) + Array(spec[r.upperBound...])
    }
    var specs = zip(inputs, ellipsisDims).map { expand($0, $1) }
    for (i, (s, t)) in zip(specs, operands).enumerated() {
        if s.contains(where: { !($0.isLetter && ($0.isASCII || fresh.contains($0))) }) { fail("einsum(): invalid subscript given in the equation string") }
        if s.count != t.rank {
            fail("einsum(): the number of subscripts in the equation (\(s.count)) does not match the number of dimensions (\(t.rank)) for operand \(i)\(inputs[i].contains("...") ? "" : " and no ellipsis was given")")
        }
    }
    var counts: [Character: Int] = [:]
    for s in specs { for c in s { counts[c, default: 0] += 1 } }
    let output: [Character]
    if parts.count == 2 {
        output = expand(parts[1], maxEllipsis)
        for c in output where counts[c] == nil {
            fail("einsum(): output subscript \(c) does not appear in the equation for any input operand")
        }
        if Set(output).count != output.count { fail("einsum(): output subscript appears more than once in the output") }
    } else {
        output = fresh + counts.keys.filter { $0.isASCII && counts[$0] == 1 }.sorted()
    }
    // The size of each index, checked across operands (size-1 dims broadcast).
    var sizes: [Character: Int] = [:]
    for (k, (s, t)) in zip(specs, operands).enumerated() {
        for (c, n) in zip(s, t.shape) {
            if let m = sizes[c], m != n, m != 1, n != 1 {
                fail("einsum(): subscript \(c) has size \(n) for operand \(k) which does not broadcast with previously seen size \(m)")
            }
            sizes[c] = Swift.max(sizes[c] ?? 1, n)
        }
    }
    // Diagonals of repeated indices, then broadcast size-1 dims.
    var terms: [(Tensor, [Character])] = []
    for (s, t) in zip(specs, operands) {
        var (x, idx) = takeDiagonals(t, s)
        let target = idx.map { sizes[$0]! }
        if x.shape != target { x = x.expand(target) }
        terms.append((x, idx))
    }
    specs = terms.map(\.1)
    // Fold left: contract each pair over the indices no later operand and not the output needs.
    var (acc, accIdx) = terms[0]
    for k in 1..<terms.count {
        let later = Set(terms[(k + 1)...].flatMap(\.1)).union(output)
        (acc, accIdx) = contractPair(acc, accIdx, terms[k].0, terms[k].1, keep: later, output: output)
    }
    // Sum what remains outside the output, then order as the output.
    let drop = accIdx.indices.filter { !output.contains(accIdx[$0]) }
    if !drop.isEmpty {
        acc = acc.sum(dims: drop)
        accIdx = accIdx.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }
    let perm = output.map { c in accIdx.firstIndex(of: c)! }
    return perm == Array(0..<perm.count) ? acc : acc.permute(perm)
}

/// Takes the diagonal for each index repeated within one operand ("ii" -> "i").
private func takeDiagonals(_ t: Tensor, _ spec: [Character]) -> (Tensor, [Character]) {
    var x = t, idx = spec
    while let (i, j) = firstRepeat(idx) {
        if x.shape[i] != x.shape[j] {
            fail("einsum(): subscript \(idx[i]) is repeated for operand but the sizes don't match, \(x.shape[i]) != \(x.shape[j])")
        }
        // move i and j last, then gather the diagonal through a strided view of the contiguous data
        let rest = x.shape.indices.filter { $0 != i && $0 != j }
        let moved = x.permute(rest + [i, j]).contiguous()
        let n = x.shape[i]
        let lead = rest.map { x.shape[$0] }
        let flat = moved.reshape(lead + [n * n])
        x = flat[Array(repeating: TensorIndexItem.everything, count: lead.count) + [.range(0, n * n, n + 1)]]
        idx = rest.map { idx[$0] } + [idx[i]]
    }
    return (x, idx)
}

private func firstRepeat(_ idx: [Character]) -> (Int, Int)? {
    for i in idx.indices { for j in (i + 1)..<idx.count where idx[i] == idx[j] { return (i, j) } }
    return nil
}

/// Contracts two terms: indices in both and in `keep` are batch dims, in both and not kept are summed
/// by a batched matrix product, in one only are kept (or summed first when not in `keep`).
private func contractPair(_ a: Tensor, _ ai: [Character], _ b: Tensor, _ bi: [Character], keep: Set<Character>,
                          output: [Character]) -> (Tensor, [Character]) {
    var (a, ai, b, bi) = (a, ai, b, bi)
    // indices of one operand that nothing else needs: sum them away first
    func sumAlone(_ t: inout Tensor, _ idx: inout [Character], _ other: [Character]) {
        let d = idx.indices.filter { !other.contains(idx[$0]) && !keep.contains(idx[$0]) }
        if d.isEmpty { return }
        t = t.sum(dims: d)
        idx = idx.enumerated().filter { !d.contains($0.offset) }.map(\.element)
    }
    sumAlone(&a, &ai, bi)
    sumAlone(&b, &bi, ai)
    let batch = ai.filter { bi.contains($0) && keep.contains($0) }
    let contract = ai.filter { bi.contains($0) && !keep.contains($0) }
    let aOnly = ai.filter { !bi.contains($0) }, bOnly = bi.filter { !ai.contains($0) }
    func size(_ t: Tensor, _ idx: [Character], _ cs: [Character]) -> [Int] { cs.map { t.shape[idx.firstIndex(of: $0)!] } }
    let bs = size(a, ai, batch), ms = size(a, ai, aOnly), ks = size(a, ai, contract), ns = size(b, bi, bOnly)
    let pa = (batch + aOnly + contract).map { ai.firstIndex(of: $0)! }
    let pb = (batch + contract + bOnly).map { bi.firstIndex(of: $0)! }
    if contract.isEmpty {
        // nothing summed: a broadcast product of views laid out in the output's order, as PyTorch's
        // sumproduct_pair multiplies (so 0 · -1 stays -0, and the result's grad_fn is MulBackward0)
        let all = batch + aOnly + bOnly
        let order = output.filter { all.contains($0) } + all.filter { !output.contains($0) }
        func align(_ t: Tensor, _ idx: [Character]) -> Tensor {
            var x = t, labels = idx
            for c in order where !labels.contains(c) { x = x.unsqueeze(-1); labels.append(c) }
            let perm = order.map { labels.firstIndex(of: $0)! }
            return perm == Array(0..<perm.count) ? x : x.permute(perm)
        }
        return (align(a, ai) * align(b, bi), order)
    }
    let B = bs.reduce(1, *), M = ms.reduce(1, *), K = ks.reduce(1, *), N = ns.reduce(1, *)
    let a3 = a.permute(pa).reshape(B, M, K), b3 = b.permute(pb).reshape(B, K, N)
    let out = a3.bmm(b3).reshape(bs + ms + ns)
    return (out, batch + aOnly + bOnly)
}
