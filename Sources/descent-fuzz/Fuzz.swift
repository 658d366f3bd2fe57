// The fuzzing harness's program (Fuzz/run.sh). Built with `-sanitize=fuzzer -DFUZZING` it is a
// libFuzzer binary for the parser named by DESCENT_FUZZ_TARGET (idx, safetensors, checkpoint, csv,
// digits); built normally it replays files through the same parser (`descent-fuzz <target> files...`)
// and writes the seed corpora (`descent-fuzz --seeds <dir>`).
@_spi(Fuzzing) import Descent
import Foundation

#if FUZZING
nonisolated(unsafe) let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["DESCENT_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
        fatalError("set DESCENT_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(fuzzTarget, Array(UnsafeBufferPointer(start: data, count: size)))
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
            for t in FuzzTarget.allCases {
                let dir = args[1] + "/" + t.rawValue
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for s in try fuzzSeeds(t) { _ = FileManager.default.createFile(atPath: dir + "/" + s.name, contents: Data(s.bytes)) }
            }
            return
        }
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: descent-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> files-or-folders... | --seeds <dir>")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst() {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { continue }
                fuzzOne(target, Array(d))
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs replayed")
    }
}
#endif
