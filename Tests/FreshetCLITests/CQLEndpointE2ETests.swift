import Foundation
import FreshetStore
import FreshetTesting
import Testing

/// The seeds verify their pipeline with `cqlsh -e "SELECT COUNT(*) FROM
/// spark_streams.created_users;"`; against a running `freshet up` that must print what
/// `freshet users count` says.
@Suite("CQL endpoint of freshet up", .serialized)
struct CQLEndpointE2ETests {
    @Test func cqlshCountAgainstARunningPipelineEqualsUsersCount() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try runFreshet(["up", "--no-cql", "--no-web", "--count", "3000", "--rate", "100000", "--seed", "cql", "--data-dir", dir])
        #expect(first.status == 0, "\(first.stderr)")
        // Running again, so slowly (one person per 100 s) that the count holds still while
        // both clients read it.
        let up = try RunningFreshet(
            ["up", "--no-web", "--cql-port", "0", "--rate", "0.01", "--seed", "cql-live", "--data-dir", dir],
            readyMarker: "CQL endpoint listening on")
        defer { up.stop() }
        let port = try #require(up.readyLine.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }?.split(separator: ":").last)
        try await waitUntil("the live run's first person is stored", timeout: 60) {
            (try? await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { try await $0.totalUsers() }) == 3001
        }
        let cqlsh = try runTool("cqlsh", ["--connect-timeout", "60", "--request-timeout", "60", "127.0.0.1", String(port), "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
        #expect(cqlsh.status == 0, "\(cqlsh.stderr)")
        let users = try runFreshet(["users", "count", "--data-dir", dir])
        #expect(users.status == 0, "\(users.stderr)")
        // "3001 users in created_users" (the first word is the number).
        let count = String(users.stdoutText.split(separator: " ").first ?? "")
        #expect(count == "3001", "freshet users count printed \(users.stdoutText)")
        // cqlsh prints a table: " count\n-------\n  3001\n\n(1 rows)".
        let cells = cqlsh.stdoutText.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(cells.contains(count), "cqlsh printed: \(cqlsh.stdoutText)")
        #expect(cells.contains("(1"), "cqlsh printed: \(cqlsh.stdoutText)")
        #expect(up.stop() == 0)
    }
}
