/// One fuzz target: a function that must return normally for every input — never trap, never
/// recurse without bound, never allocate more than the input justifies. A wrong answer it can
/// detect (a round trip that does not round-trip) is a crash too (`FuzzCheck.expect`).
///
/// libFuzzer drives the targets (`scripts/fuzz`, the `freshet-fuzz` executable built with
/// `-sanitize=fuzzer`); `FuzzCorpusTests` replays each target's seed corpus
/// (`Fuzz/Corpus/<name>/`) and every crash found so far (`Fuzz/Crashes/<name>/`) in every
/// test run, so a crash once found stays fixed.
public struct FuzzTarget: Sendable {
    /// The target's name on the command line and its corpus folder: `cql-frame`.
    public let name: String
    /// What it feeds, to which parser.
    public let summary: String
    /// Longest input libFuzzer generates (`-max_len`). Defaults to 64 KiB.
    public let maxLength: Int
    public let run: @Sendable ([UInt8]) -> Void

    public init(_ name: String, _ summary: String, maxLength: Int = 64 * 1024, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.summary = summary
        self.maxLength = maxLength
        self.run = run
    }
}

public enum FuzzTargets {
    /// Every target, by module of the data path.
    public static let all: [FuzzTarget] = core + avro + registry + cql + kafka + log + app

    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

/// Checks a fuzz target makes beyond "does not trap".
public enum FuzzCheck {
    /// Stops the process (libFuzzer records the input as a crash) when `condition` is false.
    public static func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        if !condition { fatalError("fuzz check failed: \(message())", file: file, line: line) }
    }
}

/// Splits fuzz input into a few typed choices and the rest, so one byte string can pick a
/// message kind, a version or a split point deterministically.
public struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    public init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    /// The next byte, or 0 when the input is exhausted.
    public mutating func byte() -> UInt8 {
        bytes.popFirst() ?? 0
    }

    /// The next two bytes as a big-endian integer, or 0.
    public mutating func uint16() -> UInt16 {
        UInt16(byte()) << 8 | UInt16(byte())
    }

    /// Whatever is left.
    public mutating func rest() -> [UInt8] {
        defer { bytes = [] }
        return Array(bytes)
    }
}
