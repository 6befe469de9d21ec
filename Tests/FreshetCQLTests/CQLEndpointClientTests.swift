import Foundation
import FreshetCQL
import FreshetContracts
import FreshetCore
import FreshetStore
import FreshetTesting
import Testing

/// The endpoint against the real clients: cqlsh 6 and the DataStax Python driver 3.30, over a
/// SQLite store filled with generated users. A missing cqlsh or driver fails these tests.
@Suite("CQL endpoint with cqlsh and cassandra-driver", .serialized)
struct CQLEndpointClientTests {
    @Test func cqlshCountsTheRows() async throws {
        try await CQLEndpointFixture.with(rows: 2_345) { fixture in
            let result = try await runClient("cqlsh", ["127.0.0.1", String(fixture.port), "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
            #expect(result.status == 0, "cqlsh failed: \(result.stderr)")
            #expect(result.stderr.isEmpty || !result.stderr.contains("Error"), "\(result.stderr)")
            let lines = result.stdoutText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.contains("count"), "\(result.stdoutText)")
            #expect(lines.contains("2345"), "\(result.stdoutText)")
            #expect(lines.contains("(1 rows)"), "\(result.stdoutText)")
        }
    }

    @Test func cqlshDescribesKeyspacesTablesAndTheTable() async throws {
        try await CQLEndpointFixture.with(rows: 10) { fixture in
            let port = String(fixture.port)
            let table = try await runClient("cqlsh", ["127.0.0.1", port, "-e", "DESCRIBE TABLE spark_streams.created_users"])
            #expect(table.status == 0, "\(table.stderr)")
            let text = table.stdoutText
            #expect(text.contains("CREATE TABLE spark_streams.created_users ("), "\(text)")
            for column in ["id text PRIMARY KEY", "first_name text", "age bigint", "nat text", "ingested_at timestamp", "registered_date text"] {
                #expect(text.contains(column), "DESCRIBE TABLE lacks '\(column)': \(text)")
            }

            let keyspaces = try await runClient("cqlsh", ["127.0.0.1", port, "-e", "DESCRIBE KEYSPACES"])
            #expect(keyspaces.status == 0, "\(keyspaces.stderr)")
            #expect(keyspaces.stdoutText.contains("spark_streams"), "\(keyspaces.stdoutText)")
            #expect(keyspaces.stdoutText.contains("system_schema"), "\(keyspaces.stdoutText)")

            let tables = try await runClient("cqlsh", ["127.0.0.1", port, "-k", "spark_streams", "-e", "DESCRIBE TABLES"])
            #expect(tables.status == 0, "\(tables.stderr)")
            #expect(tables.stdoutText.contains("created_users"), "\(tables.stdoutText)")

            let select = try await runClient(
                "cqlsh", ["127.0.0.1", port, "-e", "USE spark_streams; SELECT id, first_name, age FROM created_users WHERE id = '\(fixture.rows[3].id)';"])
            #expect(select.status == 0, "\(select.stderr)")
            #expect(select.stdoutText.contains(fixture.rows[3].firstName), "\(select.stdoutText)")
            #expect(select.stdoutText.contains("(1 rows)"), "\(select.stdoutText)")

            let script =
                "DESCRIBE CLUSTER; SELECT cluster_name, release_version, partitioner FROM system.local; DESCRIBE KEYSPACE spark_streams; CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}; CREATE TABLE IF NOT EXISTS spark_streams.created_users (id UUID PRIMARY KEY, first_name TEXT, email TEXT);"
            let more = try await runClient("cqlsh", ["127.0.0.1", port, "-e", script])
            #expect(more.status == 0, "\(more.stderr)")
            #expect(
                more.stdoutText.contains("Cluster: Freshet") && more.stdoutText.contains("Partitioner: org.apache.cassandra.dht.Murmur3Partitioner"),
                "\(more.stdoutText)")
            #expect(more.stdoutText.contains("4.1.5"), "\(more.stdoutText)")
            #expect(more.stdoutText.contains("CREATE KEYSPACE spark_streams WITH replication"), "\(more.stdoutText)")
            #expect(!more.stderr.contains("Error"), "\(more.stderr)")

            let bad = try await runClient("cqlsh", ["127.0.0.1", port, "-e", "SELECT * FROM spark_streams.created_users WHERE email = 'x@example.org';"])
            #expect(bad.stderr.contains("InvalidRequest") && bad.stderr.contains("partition key"), "\(bad.stderr)")
        }
    }

    @Test(arguments: ["4", "default"])
    func driverConnectsRoutesReadsPagesAndInserts(protocol: String) async throws {
        try await CQLEndpointFixture.with(rows: 2_345) { fixture in
            let known = fixture.rows[17]
            let out = try await runDriver(["data", String(fixture.port), `protocol`, known.id])
            #expect(out["protocol_version"] as? Int == 4)
            #expect(out["partitioner"] as? String == "org.apache.cassandra.dht.Murmur3Partitioner")
            #expect(out["cluster_name"] as? String == "Freshet")
            #expect((out["replication"] as? String)?.contains("SimpleStrategy") == true, "\(out["replication"] ?? "")")
            let columns = try #require(out["columns"] as? [String: String])
            #expect(Set(columns.keys) == Set(CreatedUserRow.columns))
            #expect(columns["age"] == "bigint" && columns["ingested_at"] == "timestamp" && columns["id"] == "text")
            #expect(out["partition_key"] as? [String] == ["id"])

            // Token-aware routing: the routing key is the id, the one node is its replica and first in the plan.
            let endpoint = "127.0.0.1:\(fixture.port)"
            #expect(out["policy"] as? String == "TokenAwarePolicy")
            #expect(out["routing_key"] as? String == known.id)
            #expect(out["replicas"] as? [String] == [endpoint])
            #expect((out["plan"] as? [String])?.first == endpoint)

            let row = try #require(out["row"] as? [String: String])
            #expect(row["id"] == known.id && row["first_name"] == known.firstName && row["email"] == known.email)
            #expect(row["age"] == String(known.age))
            #expect(out["missing_row"] is NSNull)

            #expect(out["paged_ids"] as? Int == 2_345)
            #expect(out["distinct_ids"] as? Int == 2_345)
            #expect(out["pages"] as? Int == 5)
            #expect(out["count"] as? Int == 2_345)
            #expect(out["limited"] as? Int == 700)

            // Inserted rows are in the store, with the derived columns filled as the processor would.
            let inserted = try #require(out["inserted"] as? [String])
            #expect(inserted.count == 3)
            for (i, id) in inserted.enumerated() {
                let stored = try #require(try await fixture.store.user(id: id), "inserted row \(id) is not in the store")
                #expect(stored.firstName == "Ada\(i)" && stored.nat == "GB")
                #expect(stored.emailDomain == "example.org" && stored.country == "United Kingdom")
                #expect(stored.year == "2020" && stored.month == "3" && stored.day == "4" && stored.age == 204)
                #expect(stored.ingestedAt == 1_800_000_000_000)
            }
            #expect(try await fixture.store.totalUsers() == 2_348)
            #expect(out["count_after"] as? Int == 2_348)
            #expect((out["inserted_back"] as? [String: String])?["first_name"] == "Ada0")
        }
    }

    /// The Python driver's writes with USING TIMESTAMP, in either order, in a BATCH, and with
    /// the driver's own clock: it reads back what a Cassandra node would keep.
    @Test func driverSeesTheLaterTimestampWin() async throws {
        try await CQLEndpointFixture.with(rows: 3) { fixture in
            let out = try await runDriver(["lww", String(fixture.port)])
            #expect(out["timestamp_marker"] as? String == "[timestamp]")
            #expect(out["newer_first"] as? [AnyHashable] == ["newer", 2000], "\(out)")
            #expect(out["older_first"] as? [AnyHashable] == ["newer", 2000], "\(out)")
            #expect(out["batch"] as? [AnyHashable] == ["batch", 3000], "\(out)")
            #expect(out["batch_2"] as? [AnyHashable] == ["batch", 3000], "\(out)")
            #expect(out["driver_batch"] as? [AnyHashable] == ["newer", 5000], "\(out)")
            let now = try #require(out["now"] as? [Any])
            #expect(now.first as? String == "now" && (now.last as? Int ?? 0) > 1_000_000_000_000_000, "\(now)")
            #expect((out["bad_timestamp"] as? String)?.contains("InvalidRequest") == true, "\(out)")
            #expect(try await fixture.store.user(id: "lww-older-first")?.firstName == "newer")
        }
    }

    @Test func driverAndCqlshAuthenticate() async throws {
        let credentials = CQLCredentials(username: "freshet", password: "s3cret-pw")
        try await CQLEndpointFixture.with(rows: 42, credentials: credentials) { fixture in
            let port = String(fixture.port)
            let wrong = try await runDriver(["auth", port, "freshet", "wrong"])
            #expect(wrong["result"] as? String == "AuthenticationFailed", "\(wrong)")
            #expect((wrong["message"] as? String)?.contains("password are incorrect") == true, "\(wrong)")

            let right = try await runDriver(["auth", port, "freshet", "s3cret-pw"])
            #expect(right["result"] as? String == "ok", "\(right)")
            #expect(right["count"] as? Int == 42)

            let anonymous = try await runClient("cqlsh", ["127.0.0.1", port, "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
            #expect(anonymous.status != 0)
            #expect(anonymous.stderr.contains("AuthenticationFailed") || anonymous.stderr.contains("Authentication"), "\(anonymous.stderr)")

            let cqlsh = try await runClient(
                "cqlsh", ["127.0.0.1", port, "-u", "freshet", "-p", "s3cret-pw", "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
            #expect(cqlsh.status == 0, "\(cqlsh.stderr)")
            #expect(cqlsh.stdoutText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains("42"), "\(cqlsh.stdoutText)")
        }
    }
}
