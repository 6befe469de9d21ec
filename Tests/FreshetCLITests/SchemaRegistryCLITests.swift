import Foundation
import FreshetContracts
import FreshetRegistryClient
import FreshetTesting
import Testing

/// `freshet up`'s and `freshet serve`'s schema registry, from outside: clients no one here wrote,
/// restarts, and two processes on one Kafka cluster. (The registry's own suites are
/// FreshetRegistryTests; the script is kept there.)
@Suite("Schema registry of freshet up and serve")
struct SchemaRegistryCLITests {
    enum Schemas {
        static let user = #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"}]}"#
        static let userWithNat =
            #"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"},{"name":"nat","type":["null","string"],"default":null}]}"#
        static let other = #"{"type":"record","name":"Other","fields":[{"name":"x","type":"long"}]}"#
    }

    static let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/FreshetRegistryTests/Python/sr_client.py").path

    /// confluent-kafka's SchemaRegistryClient registers the users_created-value schema, looks it
    /// up, reads it by id, version and latest, checks compatibility (an added optional field
    /// accepted, a changed type refused with 409), and deletes soft then hard.
    @Test func confluentKafkaSchemaRegistryClient() async throws {
        let dir = NSTemporaryDirectory() + "freshet-registry-interop-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await RunningFreshet(
            ["up", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--rate", "1", "--data-dir", dir],
            readyMarker: "schema registry listening on")
        defer { up.sendTerminate() }
        let url = try #require(up.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }).dropLast()
        let result = try await runTool("python3", [Self.script, String(url)], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "OK\n")
    }

    /// The registry's base URL from its "listening on" line.
    static func url(_ freshet: RunningFreshet) async throws -> String {
        let line = try await freshet.line(containing: "schema registry listening on")
        return String(try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }).dropLast())
    }

    /// Ids come from the data directory's `_schemas`: a restarted `freshet up` gives the same ones.
    @Test func restartKeepsIDs() async throws {
        let dir = NSTemporaryDirectory() + "freshet-registry-restart-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arguments = ["up", "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--rate", "1", "--data-dir", dir]
        var ids: [UInt32] = []
        do {
            let up = try await RunningFreshet(arguments, readyMarker: "schema registry listening on")
            let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: try await Self.url(up)))
            ids.append(try await client.register(subject: "other-value", schema: Schemas.other))
            ids.append(try await client.register(subject: "users_created-value", schema: Schemas.user))
            try await client.shutdown()
            #expect(await up.stop() == 0)
        }
        let up = try await RunningFreshet(arguments, readyMarker: "schema registry listening on")
        defer { up.sendTerminate() }
        let client = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: try await Self.url(up)))
        #expect(try await client.schema(id: ids[0]) == Schemas.other)
        #expect(try await client.register(subject: "users_created-value", schema: Schemas.user) == ids[1])
        #expect(try await client.register(subject: "users_created-value", schema: Schemas.userWithNat) == 3)
        try await client.shutdown()
    }

    /// `freshet up` and `freshet serve` on one Kafka cluster (Tansu) serve one registry state:
    /// what is registered through either is read through the other under the same id.
    @Test func twoProcessesOnOneKafkaClusterSeeTheSameIDs() async throws {
        try await TansuBroker.with { tansu in
            let dirA = NSTemporaryDirectory() + "freshet-registry-a-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dirA) }
            let up = try await RunningFreshet(
                ["up", "--broker", tansu.url, "--registry-port", "0", "--no-web", "--no-cql", "--no-scheduler", "--rate", "1", "--data-dir", dirA],
                readyMarker: "schema registry listening on")
            defer { up.sendTerminate() }
            // The dashboard over up's store (read-only); the registry over the cluster's _schemas.
            let serve = try await RunningFreshet(
                ["serve", "--broker", tansu.url, "--registry-port", "0", "--web-port", "0", "--no-cql", "--data-dir", dirA],
                readyMarker: "schema registry listening on")
            defer { serve.sendTerminate() }
            let a = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: try await Self.url(up)))
            let b = try RemoteSchemaRegistry(RemoteRegistryConfiguration(url: try await Self.url(serve)))
            // At the same time, different schemas through each.
            async let first = a.register(subject: "users_created-value", schema: Schemas.user)
            async let second = b.register(subject: "other-value", schema: Schemas.other)
            let (idA, idB) = try await (first, second)
            #expect(Set([idA, idB]) == [1, 2])
            #expect(try await b.schema(id: idA) == Schemas.user)
            #expect(try await a.schema(id: idB) == Schemas.other)
            #expect(try await b.register(subject: "copy-value", schema: Schemas.user) == idA)
            try await a.shutdown()
            try await b.shutdown()
        }
    }
}
