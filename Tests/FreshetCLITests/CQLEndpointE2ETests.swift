import Foundation
import FreshetContracts
import FreshetCore
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
        let first = try await runFreshet(["up", "--no-cql", "--no-web", "--count", "3000", "--rate", "100000", "--seed", "cql", "--data-dir", dir])
        #expect(first.status == 0, "\(first.stderr)")
        // Running again, so slowly (one person per 100 s) that the count holds still while
        // both clients read it.
        let up = try await RunningFreshet(
            ["up", "--no-web", "--cql-port", "0", "--rate", "0.01", "--seed", "cql-live", "--data-dir", dir],
            readyMarker: "CQL endpoint listening on")
        defer { up.sendTerminate() }
        let port = try #require(up.readyLine.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }?.split(separator: ":").last)
        try await eventually("the live run's first person is stored", within: .seconds(60)) {
            (try? await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { try await $0.totalUsers() }) == 3001
        }
        let cqlsh = try await runTool(
            "cqlsh",
            ["--connect-timeout", "60", "--request-timeout", "60", "127.0.0.1", String(port), "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
        #expect(cqlsh.status == 0, "\(cqlsh.stderr)")
        let users = try await runFreshet(["users", "count", "--data-dir", dir])
        #expect(users.status == 0, "\(users.stderr)")
        // "3001 users in created_users" (the first word is the number).
        let count = String(users.stdoutText.split(separator: " ").first ?? "")
        #expect(count == "3001", "freshet users count printed \(users.stdoutText)")
        // cqlsh prints a table: " count\n-------\n  3001\n\n(1 rows)".
        let cells = cqlsh.stdoutText.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(cells.contains(count), "cqlsh printed: \(cqlsh.stdoutText)")
        #expect(cells.contains("(1"), "cqlsh printed: \(cqlsh.stdoutText)")
        #expect(await up.stop() == 0)
    }
}

/// Freshet's own Cassandra sink writing a pipeline run into the CQL endpoint of a second
/// Freshet process, as it would into a Cassandra cluster.
@Suite("Cassandra store into a second Freshet", .serialized)
struct CassandraStoreE2ETests {
    @Test func aRunStoredThroughTheCQLSinkReadsBackEqualToTheSource() async throws {
        let warehouse = tempDataDir()
        let pipelineDir = tempDataDir()
        defer {
            try? FileManager.default.removeItem(atPath: warehouse)
            try? FileManager.default.removeItem(atPath: pipelineDir)
        }
        let node = try await RunningFreshet(
            ["serve", "--cql-writable", "--cql-port", "0", "--web-port", "0", "--data-dir", warehouse],
            readyMarker: "CQL endpoint listening on")
        defer { node.sendTerminate() }
        let port = try #require(node.readyLine.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }?.split(separator: ":").last)
        #expect(node.readyLine.contains("writable"), "\(node.readyLine)")

        let run = try await runFreshet(
            [
                "up", "--store", "cassandra://127.0.0.1:\(port)?keyspace=spark_streams", "--count", "5000", "--rate", "100000",
                "--seed", "cassandra-sink", "--data-dir", pipelineDir, "--web-port", "0", "--cql-port", "0",
            ], timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdoutText.contains("5000 rows stored"), "\(run.stdoutText)")
        // The web UI and the CQL endpoint serve the Cassandra store.
        #expect(run.stdoutText.contains("web UI listening on http://127.0.0.1:"), "\(run.stdoutText)")
        #expect(run.stdoutText.contains("CQL endpoint listening on 127.0.0.1:"), "\(run.stdoutText)")
        // No local SQLite store was written by the pipeline.
        #expect(!FileManager.default.fileExists(atPath: SQLiteStore.path(dataDirectory: pipelineDir)))

        // The second process's store holds exactly the source's people, field for field: the
        // same seed run into a local SQLite store is the reference.
        let reference = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: reference) }
        let local = try await runFreshet([
            "up", "--no-web", "--no-cql", "--count", "5000", "--rate", "100000", "--seed", "cassandra-sink", "--data-dir", reference,
        ])
        #expect(local.status == 0, "\(local.stderr)")
        let stored = try await storedRows(in: warehouse)
        let source = try await storedRows(in: reference)
        #expect(stored.count == 5000)
        func comparable(_ rows: [CreatedUserRow]) -> [String: [String]] {
            Dictionary(
                uniqueKeysWithValues: rows.map { r in
                    (
                        r.id,
                        [
                            r.firstName, r.lastName, r.gender, r.address, r.postCode, r.email, r.username, r.dob, r.registeredDate, r.phone, r.picture,
                            r.nat ?? "",
                        ]
                    )
                })
        }
        let storedByID = comparable(stored)
        let sourceByID = comparable(source)
        let differing = sourceByID.filter { storedByID[$0.key] != $0.value }.map(\.key)
        #expect(Set(storedByID.keys) == Set(sourceByID.keys) && differing.isEmpty, "\(differing.count) rows differ, e.g. \(differing.prefix(3))")

        let cqlsh = try await runTool(
            "cqlsh",
            ["--connect-timeout", "60", "--request-timeout", "60", "127.0.0.1", String(port), "-e", "SELECT COUNT(*) FROM spark_streams.created_users;"])
        #expect(cqlsh.stdoutText.split(whereSeparator: \.isWhitespace).contains("5000"), "\(cqlsh.stdoutText) \(cqlsh.stderr)")
        #expect(await node.stop() == 0)
    }
}

extension CassandraStoreE2ETests {
    /// `freshet up --store cassandra://…` keeps its web UI: `/api/stats` answers from the
    /// Cassandra store (Freshet's own node here), and its totals, genders, countries and
    /// per-minute ingest each add up to what was stored.
    @Test func theDashboardOfACassandraStoreAddsUpToEveryRecord() async throws {
        let warehouse = tempDataDir()
        let pipelineDir = tempDataDir()
        defer {
            try? FileManager.default.removeItem(atPath: warehouse)
            try? FileManager.default.removeItem(atPath: pipelineDir)
        }
        let node = try await RunningFreshet(
            ["serve", "--cql-writable", "--cql-port", "0", "--web-port", "0", "--data-dir", warehouse], readyMarker: "CQL endpoint listening on")
        defer { node.sendTerminate() }
        let cqlPort = try #require(HostileInputTests.port(in: node.readyLine, after: "127.0.0.1:"))
        let store = "cassandra://127.0.0.1:\(cqlPort)?keyspace=spark_streams&connect_timeout=60"
        // Ten nationalities, so that the dashboard's top ten countries are all of them.
        let nationalities = "AU,BR,CA,CH,DE,DK,ES,FI,FR,GB"
        let fill = try await runFreshet(
            [
                "up", "--store", store, "--count", "3000", "--rate", "3000", "--nat", nationalities, "--seed", "cassandra-stats",
                "--web-port", "0", "--no-cql", "--no-scheduler", "--data-dir", pipelineDir,
            ], timeout: 300)
        #expect(fill.status == 0, "\(fill.stderr)")
        #expect(fill.stdoutText.contains("web UI listening on http://127.0.0.1:"), "\(fill.stdoutText)")
        // The same store, served by a running `freshet up` (no source: nothing changes meanwhile).
        let up = try await RunningFreshet(
            ["up", "--store", store, "--source", "none", "--web-port", "0", "--no-cql", "--no-scheduler", "--data-dir", pipelineDir],
            readyMarker: "web UI listening on")
        defer { up.sendTerminate() }
        let webPort = try #require(HostileInputTests.port(in: up.readyLine, after: "http://127.0.0.1:"))
        let stats = try HTTP.get(port: webPort, "/api/stats")
        #expect(stats.status == 200)
        let root = try #require(try JSONParser.parse(stats.body).objectValue)
        let users = try #require(root["users"]?.objectValue)
        func sum(_ list: JSONValue?) -> Int { list?.arrayValue?.compactMap { $0.objectValue?["count"]?.intValue }.reduce(0, +) ?? -1 }
        #expect(users["total"]?.intValue == 3000, "\(users)")
        #expect(sum(users["gender"]) == 3000, "\(users)")
        #expect(sum(users["top_countries"]) == 3000, "\(users)")
        #expect(users["top_countries"]?.arrayValue?.count == 10, "\(users)")
        #expect(sum(users["monthly_registrations"]) == 3000, "\(users)")
        #expect(sum(root["ingest_per_minute"]) == 3000, "\(root["ingest_per_minute"].map { "\($0)" } ?? "none")")
        #expect(await up.stop() == 0)
    }
}

@Suite("bench cql")
struct BenchCQLTests {
    @Test func printsRowsPerSecondAndStoresEveryRow() async throws {
        // The command itself fails unless the endpoint's store holds every row it wrote.
        let result = try await runFreshet(["bench", "cql", "--rows", "1500", "--batch", "500"], timeout: 300)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("1500 rows in batches of 500"), "\(result.stdoutText)")
        #expect(result.stdoutText.contains("rows/s"), "\(result.stdoutText)")
    }
}
