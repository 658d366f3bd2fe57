import Foundation

/// The verified MNIST copy: $DESCENT_MNIST, or ../shared/data/mnist next to the package.
let mnistRoot: String = {
    if let p = ProcessInfo.processInfo.environment["DESCENT_MNIST"], !p.isEmpty { return p }
    return URL(fileURLWithPath: #filePath)      // <package>/Tests/DescentTests/Helpers.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/mnist").standardizedFileURL.path
}()
