// The libFuzzer driver, built only by `scripts/fuzz` (FRESHET_FUZZ=1 swift build --product
// freshet-fuzz, every Freshet module compiled with -sanitize=fuzzer):
//
//     freshet-fuzz TARGET [libFuzzer flags] [corpus folders]
//     freshet-fuzz -list
import FreshetFuzzTargets

#if canImport(Glibc)
    import Glibc
#endif

nonisolated(unsafe) var target: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target?.run(bytes)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

let arguments = CommandLine.arguments
guard arguments.count >= 2, let chosen = FuzzTargets.named(arguments[1]) else {
    if arguments.count >= 2, arguments[1] == "-list" {
        for t in FuzzTargets.all { print("\(t.name)\t\(t.maxLength)\t\(t.summary)") }
        exit(0)
    }
    let name = arguments.count >= 2 ? "unknown target '\(arguments[1])'; " : ""
    print("freshet-fuzz: \(name)usage: freshet-fuzz TARGET [libFuzzer flags] [corpus…]; targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
    exit(2)
}
target = chosen
// libFuzzer sees the program name and everything after the target.
var argc = CommandLine.argc - 1
var argv = CommandLine.unsafeArgv
argv[1] = argv[0]
var shifted = argv.advanced(by: 1)
exit(LLVMFuzzerRunDriver(&argc, &shifted, fuzzOneInput))
