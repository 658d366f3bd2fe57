// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Descent",
    products: [
        .library(name: "Descent", targets: ["Descent"]),
        .executable(name: "descent", targets: ["descent"]),
        .executable(name: "descent-bench", targets: ["descent-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        .target(name: "CDescentKernels"),
        // two entry points of the Swift runtime, for deepcopy's new instances of any Module subclass
        .target(name: "CDescentRuntime"),
        // JPEG decoding through the system's libjpeg, opened at run time (no build-time dependency)
        .target(name: "CDescentJPEG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "Descent", dependencies: ["CDescentKernels", "CDescentRuntime", "CDescentJPEG", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
                                                .product(name: "SwiftProtobuf", package: "swift-protobuf")], resources: [.copy("Resources/digits.csv.gz")]),
        // the command line's definitions, shared by the `descent` program and the fuzzing harness
        .target(name: "DescentCommands", dependencies: ["Descent", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "descent", dependencies: ["DescentCommands"]),
        .executableTarget(name: "descent-bench", dependencies: ["Descent"]),
        // programs the tests start as separate processes (under mpirun, or to kill them)
        .executableTarget(name: "descent-checks", dependencies: ["Descent"]),
        // the fuzzing harness (Fuzz/run.sh builds it with -sanitize=fuzzer)
        .executableTarget(name: "descent-fuzz", dependencies: ["Descent", "DescentCommands"]),
        .testTarget(name: "DescentTests", dependencies: ["Descent", "DescentCommands", "CZlib"], exclude: ["Snapshots", "Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
