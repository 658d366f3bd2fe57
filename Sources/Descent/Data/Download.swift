import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A file of a dataset: its name and the MD5 of its bytes as published.
@_spi(Testing) public struct DatasetFile {
    public let name: String
    public let md5: String
    public init(name: String, md5: String) { self.name = name; self.md5 = md5 }
}

@_spi(Testing) public enum DatasetFiles {
    /// torchvision's MNIST mirrors, tried in order.
    static let mnistMirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    static let mnist = [
        DatasetFile(name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        DatasetFile(name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432"),
        DatasetFile(name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3"),
        DatasetFile(name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    static let fashionMirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    static let fashion = [
        DatasetFile(name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        DatasetFile(name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe"),
        DatasetFile(name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79"),
        DatasetFile(name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
}

/// Hex MD5 of a file's bytes.
@_spi(Testing) public func md5Hex(ofFile path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(path: path, reason: "cannot read") }
    return Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
/// Hex SHA-256 of a file's bytes.
public func sha256Hex(ofFile path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(path: path, reason: "cannot read") }
    return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// Fetches `url` (http(s) or file) into memory, synchronously.
func fetch(_ url: URL, timeout: TimeInterval = 60) throws -> Data {
    if url.isFileURL {
        guard let d = FileManager.default.contents(atPath: url.path) else { throw DatasetError.unreadable(path: url.path, reason: "no such file") }
        return d
    }
    final class Box: @unchecked Sendable { var data: Data?; var error: Error?; var status = 0 }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    var request = URLRequest(url: url)
    request.timeoutInterval = timeout
    let task = URLSession.shared.dataTask(with: request) { data, response, error in
        box.data = data; box.error = error
        box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        done.signal()
    }
    task.resume()
    done.wait()
    if let e = box.error { throw DatasetError.unreadable(path: url.absoluteString, reason: "download failed: \(e.localizedDescription)") }
    if box.status != 200 && box.status != 0 { throw DatasetError.unreadable(path: url.absoluteString, reason: "download failed: HTTP \(box.status)") }
    guard let d = box.data else { throw DatasetError.unreadable(path: url.absoluteString, reason: "download returned no data") }
    return d
}

/// Makes sure each file is in `folder` with its published MD5: files already there are verified;
/// missing ones are downloaded from the first mirror that answers, verified before they are
/// moved into place (a temporary file, then a rename), and a file that fails its checksum is an error.
func ensureDownloaded(_ files: [DatasetFile], mirrors: [String], into folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for f in files {
        let path = folder + "/" + f.name
        if FileManager.default.fileExists(atPath: path) {
            let sum = try md5Hex(ofFile: path)
            if sum != f.md5 { throw DatasetError.checksumMismatch(path: path, expected: f.md5, got: sum) }
            continue
        }
        var lastError: Error? = nil
        var got = false
        for m in mirrors {
            guard let url = URL(string: m + f.name) else { continue }
            do {
                let data = try fetch(url)
                let sum = Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
                if sum != f.md5 { throw DatasetError.checksumMismatch(path: url.absoluteString, expected: f.md5, got: sum) }
                let tmp = path + ".part-\(getpid())"
                try data.write(to: URL(fileURLWithPath: tmp))
                if rename(tmp, path) != 0 {
                    try? FileManager.default.removeItem(atPath: tmp)
                    throw DatasetError.unreadable(path: path, reason: "cannot move the download into place")
                }
                got = true
                break
            } catch { lastError = error }
        }
        if !got {
            throw DatasetError.fileNotFound(path: path, hint: "Downloading it failed (\(lastError.map { "\($0)" } ?? "no mirror")). Put the file there by hand, e.g. from a verified copy.")
        }
    }
}
