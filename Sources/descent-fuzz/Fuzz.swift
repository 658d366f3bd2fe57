// The fuzzing harness's program (Fuzz/run.sh). Built with `-sanitize=fuzzer -DFUZZING` it is a
// libFuzzer binary for the parser named by DESCENT_FUZZ_TARGET (idx, safetensors, checkpoint, csv,
// digits, cli); built normally it replays files through the same parser (`descent-fuzz <target> files...`)
// and writes the seed corpora (`descent-fuzz --seeds <dir>`).
@_spi(Fuzzing) import Descent
import DescentCommands
import Foundation

/// What the harness feeds: one of the library's parsers, or the `descent` command line.
enum HarnessTarget {
    case library(FuzzTarget), cli
    init?(_ name: String) {
        if name == "cli" { self = .cli } else if let t = FuzzTarget(rawValue: name) { self = .library(t) } else { return nil }
    }
    static let names = FuzzTarget.allCases.map(\.rawValue) + ["cli"]

    func run(_ bytes: [UInt8]) {
        switch self {
        case .library(let t): fuzzOne(t, bytes)
        case .cli:
            // arguments separated by NUL bytes, parsed (never run) by the program's own definitions:
            // a bad command line must end in a thrown error, which `descent` prints with its usage
            let args = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            _ = try? DescentCLI.parseAsRoot(args)
        }
    }

    func seeds() throws -> [(name: String, bytes: [UInt8])] {
        switch self {
        case .library(let t): return try fuzzSeeds(t)
        case .cli:
            let lines = [["mnist-mlp", "--data", "mnist", "--epochs", "3", "--batch-size", "64", "--strategy", "ddp"],
                         ["mnist-binary", "--strategy", "auto"], ["mnist-trainer", "--epochs", "2", "--curves", "c.svg", "--terminal"],
                         ["xor", "--epochs", "10", "--figure", "x.png"], ["plot", "metrics.csv", "-o", "x.svg", "--terminal"],
                         ["demo", "--epochs", "1"], ["cuda-info"], ["--help"], ["mnist-mlp", "--iterations=325", "--seed", "-1"]]
            return lines.enumerated().map { ("args\($0.offset)", Array($0.element.joined(separator: "\0").utf8)) }
        }
    }
}

#if FUZZING
nonisolated(unsafe) let fuzzTarget: HarnessTarget = {
    let name = ProcessInfo.processInfo.environment["DESCENT_FUZZ_TARGET"] ?? ""
    guard let t = HarnessTarget(name) else { fatalError("set DESCENT_FUZZ_TARGET to one of \(HarnessTarget.names)") }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`: here it hands over to libFuzzer's driver.
@_cdecl("descent_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, args = argv
    return runFuzzerDriver(&count, &args, fuzzInput)
}
#else
@main struct Replay {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "--seeds", args.count == 2 {
            for name in HarnessTarget.names {
                let dir = args[1] + "/" + name
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for s in try HarnessTarget(name)!.seeds() { _ = FileManager.default.createFile(atPath: dir + "/" + s.name, contents: Data(s.bytes)) }
            }
            return
        }
        guard let name = args.first, let target = HarnessTarget(name) else {
            print("usage: descent-fuzz <\(HarnessTarget.names.joined(separator: "|"))> files-or-folders... | --seeds <dir>")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst() {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { continue }
                target.run(Array(d))
                count += 1
            }
        }
        print("\(name): \(count) inputs replayed")
    }
}
#endif
