import Foundation
import FreshetFuzzTargets
import FreshetTesting
import Testing

/// Every fuzz target's seed corpus and every crash libFuzzer found so far, replayed through the
/// target without the fuzzer: a parser that traps again fails here (the test process stops),
/// in every test run, long after the crash was fixed.
@Suite struct FuzzCorpusTests {
    static let fuzzRoot = Fixtures.repositoryRoot.appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, of target: String) throws -> [URL] {
        let directory = fuzzRoot.appendingPathComponent(folder).appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func seedCorpusAndPastCrashesRunCleanly(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = try Self.inputs("Corpus", of: name)
        #expect(!seeds.isEmpty, "Fuzz/Corpus/\(name) has no seed inputs")
        let crashes = try Self.inputs("Crashes", of: name)
        for file in seeds + crashes {
            let bytes = Array(try Data(contentsOf: file))
            #expect(bytes.count <= max(target.maxLength, 1 << 20), "\(file.lastPathComponent) is longer than the target's -max_len")
            target.run(bytes)
        }
    }

    @Test func everyCorpusFolderBelongsToATarget() throws {
        let names = Set(FuzzTargets.all.map(\.name))
        #expect(names.count == FuzzTargets.all.count, "two fuzz targets share a name")
        for folder in ["Corpus", "Crashes"] {
            let directory = Self.fuzzRoot.appendingPathComponent(folder)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for entry in entries where !entry.hasPrefix(".") {
                #expect(names.contains(entry), "Fuzz/\(folder)/\(entry) names no fuzz target")
            }
        }
    }
}
