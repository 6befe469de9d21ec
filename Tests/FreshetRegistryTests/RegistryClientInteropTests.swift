import Foundation
import FreshetTesting
import Testing

/// Clients no one here wrote against `freshet up`'s registry.
@Suite("Registry interop")
struct RegistryClientInteropTests {
    static let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/FreshetRegistryTests/Python/sr_client.py").path

    /// confluent-kafka's SchemaRegistryClient registers the users_created-value schema, looks it
    /// up, reads it by id, version and latest, checks compatibility (an added optional field
    /// accepted, a changed type refused with 409), and deletes soft then hard.
    @Test func confluentKafkaSchemaRegistryClient() throws {
        let dir = NSTemporaryDirectory() + "freshet-registry-interop-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try RunningFreshet(
            ["up", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--rate", "1", "--data-dir", dir],
            readyMarker: "schema registry listening on")
        defer { up.stop() }
        let url = try #require(up.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }).dropLast()
        let result = try runTool("python3", [Self.script, String(url)], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "OK\n")
    }
}
