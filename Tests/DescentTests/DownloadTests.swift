import Descent
import Foundation
import Testing

/// The download path of MNIST(download: true), exercised offline through file:// mirrors that hold
/// the verified copies from ../shared/data/mnist (published MD5s are checked against them).
@Suite(.serialized) struct DownloadTests {
    static let shared = mnistRoot
    static let names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "descent-dl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func downloadsFromAMirrorAndVerifies() throws {
        let mirror = try tempDir(), root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: mirror); try? FileManager.default.removeItem(atPath: root) }
        for n in Self.names { try FileManager.default.copyItem(atPath: Self.shared + "/" + n, toPath: mirror + "/" + n) }
        let saved = MNIST.mirrors
        defer { MNIST.mirrors = saved }
        MNIST.mirrors = ["file://" + mirror + "/"]
        let test = try MNIST(root: root, train: false, download: true)
        #expect(test.count == 10000)
        for n in Self.names { #expect(FileManager.default.fileExists(atPath: root + "/MNIST/raw/" + n)) }
        // no partial files left behind
        let left = try FileManager.default.contentsOfDirectory(atPath: root + "/MNIST/raw").filter { $0.contains(".part") }
        #expect(left.isEmpty)
    }

    @Test func corruptMirrorFileFailsItsChecksum() throws {
        let mirror = try tempDir(), root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: mirror); try? FileManager.default.removeItem(atPath: root) }
        for n in Self.names { try FileManager.default.copyItem(atPath: Self.shared + "/" + n, toPath: mirror + "/" + n) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: mirror + "/t10k-labels-idx1-ubyte.gz"))
        bytes[100] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: mirror + "/t10k-labels-idx1-ubyte.gz"))
        let saved = MNIST.mirrors
        defer { MNIST.mirrors = saved }
        MNIST.mirrors = ["file://" + mirror + "/"]
        do {
            _ = try MNIST(root: root, train: false, download: true)
            Issue.record("a corrupt download was accepted")
        } catch let e as DatasetError {
            // the corrupt file is never moved into place
            #expect("\(e)".contains("checksum"))
            #expect(!FileManager.default.fileExists(atPath: root + "/MNIST/raw/t10k-labels-idx1-ubyte.gz"))
        }
    }

    @Test func offlineWithoutFilesSaysWhereToPutThem() throws {
        let root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: DatasetError.self) { _ = try MNIST(root: root, train: true) }
        do { _ = try MNIST(root: root, train: true) } catch {
            #expect("\(error)".contains(root))
            #expect("\(error)".contains("Put the four MNIST IDX files"))
        }
        let saved = MNIST.mirrors
        defer { MNIST.mirrors = saved }
        MNIST.mirrors = ["file:///nonexistent-descent-mirror/"]
        #expect(throws: DatasetError.self) { _ = try MNIST(root: root, train: true, download: true) }
    }

    @Test func existingFileWithWrongChecksumIsRejected() throws {
        let root = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/MNIST/raw", withIntermediateDirectories: true)
        for n in Self.names { try FileManager.default.copyItem(atPath: Self.shared + "/" + n, toPath: root + "/MNIST/raw/" + n) }
        // train-labels replaced by the test labels: a valid IDX file, but not the published one
        try FileManager.default.removeItem(atPath: root + "/MNIST/raw/train-labels-idx1-ubyte.gz")
        let saved = MNIST.mirrors
        defer { MNIST.mirrors = saved }
        MNIST.mirrors = ["file://" + Self.shared + "/"]
        // a missing file is fetched from the mirror; then everything verifies
        let train = try MNIST(root: root, train: true, download: true)
        #expect(train.count == 60000)
        try FileManager.default.removeItem(atPath: root + "/MNIST/raw/train-labels-idx1-ubyte.gz")
        try FileManager.default.copyItem(atPath: Self.shared + "/t10k-labels-idx1-ubyte.gz", toPath: root + "/MNIST/raw/train-labels-idx1-ubyte.gz")
        try FileManager.default.removeItem(atPath: root + "/MNIST/raw/t10k-images-idx3-ubyte.gz")
        #expect(throws: DatasetError.self) { _ = try MNIST(root: root, train: true, download: true) }
    }
}
