import Foundation

/// Stops the program with a PyTorch-style message for programmer errors (shape, dim, dtype or
/// device misuse). Like PyTorch's `RuntimeError`, but a Swift program cannot catch a misuse, so it traps.
@inline(never)
func fail(_ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) -> Never {
    let m = message()
    // what the program printed before the error reaches its output first, as in Python (a pipe's
    // buffered standard output is otherwise lost when the process stops)
    fflush(stdout)
    FileHandle.standardError.write(("Descent error: " + m + "\n").data(using: .utf8)!)
    fatalError(m, file: file, line: line)
}

nonisolated(unsafe) private var warned = Set<String>()

/// Prints a PyTorch-style `UserWarning` to standard error, once per distinct message (Python's
/// default warning filter shows a warning once per place).
func warnOnce(_ message: String) {
    if warned.insert(message).inserted {
        FileHandle.standardError.write(("UserWarning: " + message + "\n").data(using: .utf8)!)
    }
}

/// Wraps a possibly negative dim into `0..<rank`, failing like PyTorch when it is out of range.
@inline(__always)
func normalizeDim(_ dim: Int, _ rank: Int) -> Int {
    let r = Swift.max(rank, 1)
    if dim < -r || dim >= r {
        fail("Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
    }
    return dim < 0 ? dim + r : dim
}

func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
