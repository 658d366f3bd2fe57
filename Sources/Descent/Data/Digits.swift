import Foundation

/// The 8x8 handwritten digits (1,797 images, labels 0-9), embedded in the package so that programs
/// run offline with real data: UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin,
/// C. Kaynak, 1998; CC BY 4.0), as shipped by scikit-learn (`load_digits`). `data` is float32
/// (1797, 64) with pixel values 0...16, `targets` int64; samples are (image (1, 8, 8) scaled to [0, 1], label).
public struct Digits: Dataset {
    public let data: Tensor
    public let targets: Tensor
    let labels: [Int64]

    public init() throws {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz") else {
            throw DatasetError.fileNotFound(path: "digits.csv.gz", hint: "The package's resource bundle is missing.")
        }
        try self.init(path: url.path)
    }
    /// Reads the digits CSV (64 pixel columns then the label), gzip or plain, from `path`.
    public init(path: String) throws {
        let bytes = try readMaybeGzip(path)
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw DatasetError.unreadable(path: path, reason: "not UTF-8 text") }
        var pixels: [Float] = [], labels: [Int64] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let cols = line.split(separator: ",")
            guard cols.count == 65, let label = Int64(cols[64]), (0...9).contains(label) else {
                throw DatasetError.unreadable(path: path, reason: "line \(n + 1) is not 64 pixels and a label 0-9")
            }
            for c in cols[0..<64] {
                guard let v = Float(c) else { throw DatasetError.unreadable(path: path, reason: "line \(n + 1) has a non-numeric pixel") }
                pixels.append(v)
            }
            labels.append(label)
        }
        data = Tensor(flat: pixels, shape: [labels.count, 64])
        targets = Tensor(flat: labels, shape: [labels.count])
        self.labels = labels
    }
    public var count: Int { labels.count }
    public subscript(index: Int) -> (Tensor, Int) { ((data[index] / 16).reshape(1, 8, 8), Int(labels[index])) }
    public func batch(_ indices: [Int]) -> (Tensor, Tensor) {
        let idx = Tensor(flat: indices.map { Int64($0) }, shape: [indices.count])
        return ((data.indexSelect(dim: 0, idx) / 16).reshape(-1, 1, 8, 8), targets.indexSelect(dim: 0, idx))
    }
}
