import Foundation
import FreshetTesting
import Testing

/// `--format` on the pipeline commands. Avro without a schema registry (`--no-registry`) is a
/// usage error naming `topic.format`, before anything is opened.
@Suite("CLI: --format")
struct AvroFormatCLITests {
    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("freshet-format-\(UUID().uuidString)").path
    }

    @Test(arguments: [["up"], ["process", "--broker", "kafka://127.0.0.1:1"], ["ingest", "--broker", "kafka://127.0.0.1:1"]])
    func avroWithoutARegistryIsAUsageError(command: [String]) async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await runFreshet(command + ["--format", "avro", "--no-registry", "--count", "10", "--no-web", "--no-cql", "--data-dir", dir])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("topic.format avro needs a schema registry"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/topics"), "the log was opened")
    }

    @Test func anUnknownFormatNamesTheKey() async throws {
        let result = try await runFreshet(["up", "--format", "protobuf", "--count", "10", "--data-dir", tempDir()])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--format (topic.format): expected one of json, avro; got 'protobuf'"), "\(result.stderr)")
        let printed = try await runFreshet(["config", "print", "--format", "avro"])
        #expect(printed.status == 0)
        #expect(printed.stdoutText.contains("topic:\n  format: avro"), "\(printed.stdoutText)")
    }
}
