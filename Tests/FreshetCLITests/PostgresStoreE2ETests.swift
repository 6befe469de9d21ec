import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetPostgres
import FreshetStore
import FreshetTesting
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `freshet up --store postgres://…` left in the database, read through the same sink the
/// CLI writes with (its `UserQueries` side).
struct PostgresContents {
    var rows: [CreatedUserRow]
    var totalUsers: Int
    var genderTotal: Int
    var windowTotal: Int
    var positions: [Int32: Int64]

    static func read(_ url: String) async throws -> PostgresContents {
        var logger = Logger(label: "test.postgres")
        logger.logLevel = .critical
        let sink = try await PostgresSink.connect(url: url, logger: logger)
        do {
            var rows: [CreatedUserRow] = []
            var cursor: String?
            while true {
                let page = try await sink.users(limit: 1000, after: cursor)
                if page.isEmpty { break }
                rows += page
                cursor = page.last?.id
            }
            let contents = PostgresContents(
                rows: rows, totalUsers: try await sink.totalUsers(),
                genderTotal: try await sink.countsByGender().map(\.count).reduce(0, +),
                windowTotal: try await sink.windowCounts(dimension: "total", since: 0).map(\.count).reduce(0, +),
                positions: try await sink.positions(topic: "users_created"))
            try await sink.close()
            return contents
        } catch {
            try? await sink.close()
            throw error
        }
    }
}

/// The end offset of every non-empty partition of `users_created` in a data directory's log.
func logEndOffsets(in dataDir: String) async throws -> [Int32: Int64] {
    var config = EmbeddedBrokerConfig(dataDirectory: dataDir, durability: .none)
    config.readOnly = true
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    config.logger = logger
    return try await EmbeddedBroker.withBroker(config) { broker in
        var ends: [Int32: Int64] = [:]
        for p in try await broker.describeTopic("users_created").partitions where p.latestOffset > 0 {
            ends[p.partition] = p.latestOffset
        }
        return ends
    }
}

@Suite("freshet up --store postgres://, end to end", .serialized, .postgresServer)
struct PostgresStoreE2ETests {
    /// Checks the database against the log: every id of the log stored exactly once, the
    /// counters and the live windows counted every record once, positions at the log's end.
    func expectStoreMatchesLog(_ url: String, _ dir: String, records expected: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let log = try await records(in: dir, topic: "users_created")
        let logIDs = try log.map { try UserCreated.decode($0.value).id }
        #expect(log.count == expected, sourceLocation: sourceLocation)
        #expect(Set(logIDs).count == expected, "the log holds duplicate ids", sourceLocation: sourceLocation)
        let stored = try await PostgresContents.read(url)
        let storedIDs = stored.rows.map(\.id)
        #expect(stored.rows.count == expected, sourceLocation: sourceLocation)
        #expect(Set(storedIDs).count == expected, "duplicate ids in created_users", sourceLocation: sourceLocation)
        #expect(Set(storedIDs) == Set(logIDs), sourceLocation: sourceLocation)
        #expect(stored.totalUsers == expected, sourceLocation: sourceLocation)
        #expect(stored.genderTotal == expected, sourceLocation: sourceLocation)
        #expect(stored.windowTotal == expected, sourceLocation: sourceLocation)
        #expect(stored.positions == (try await logEndOffsets(in: dir)), sourceLocation: sourceLocation)
    }

    @Test func boundedRunsStoreEveryIdOnceAndASecondRunAddsOnlyTheNewPeople() async throws {
        let url = try PostgresServerTrait.freshDatabase("cli_bounded")
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["up", "--store", url, "--no-web", "--no-cql", "--rate", "100000", "--data-dir", dir]

        let first = try await runFreshet(common + ["--count", "3000", "--seed", "pg-e2e"], timeout: 300)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutText.contains("3000 rows stored"), "\(first.stdoutText)")
        // The banner names the store without its password.
        let password = try PostgresServerTrait.server().password
        #expect(first.stdoutText.contains("freshet:***@127.0.0.1"), "\(first.stdoutText)")
        #expect(!first.stdoutText.contains(password) && !first.stderr.contains(password))
        try await expectStoreMatchesLog(url, dir, records: 3000)

        // More people, same log and database: the processor resumes from the positions in
        // PostgreSQL and applies only the new records.
        let second = try await runFreshet(common + ["--count", "2000", "--seed", "pg-e2e-more"], timeout: 300)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdoutText.contains("2000 rows stored"), "\(second.stdoutText)")
        try await expectStoreMatchesLog(url, dir, records: 5000)
    }

    @Test func sigkillMidStreamThenRestartStoresEveryLoggedIdExactlyOnce() async throws {
        let url = try PostgresServerTrait.freshDatabase("cli_crash")
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var killedWhileRunning = 0
        for round in 0..<3 {
            // A seed per run, so every record of the log is a distinct person and "stored once"
            // means rows == records (a repeated seed re-ingests the same ids: upserts).
            let unbounded = ["up", "--store", url, "--no-web", "--no-cql", "--rate", "20000", "--seed", "pg-crash-\(round)", "--data-dir", dir]
            let up = try await RunningFreshet(unbounded, readyMarker: "pipeline running", timeout: 120, stderrFile: dir + "/stderr-\(round).txt")
            try await Task.sleep(for: .milliseconds(Int.random(in: 700...2500)))
            if up.process.isRunning { killedWhileRunning += 1 }
            await up.kill()  // SIGKILL: no drain, no commit
            #expect(up.process.terminationReason == .uncaughtSignal, "round \(round): \(up.process.terminationStatus)")
        }
        #expect(killedWhileRunning == 3)
        // Something reached the log (and usually the store) before the kills.
        #expect(try await records(in: dir, topic: "users_created").count > 0)

        // A bounded restart drains what the killed runs left in the log, then adds its own.
        let drain = try await runFreshet(
            ["up", "--store", url, "--no-web", "--no-cql", "--count", "500", "--rate", "100000", "--seed", "pg-crash-drain", "--data-dir", dir], timeout: 300)
        #expect(drain.status == 0, "\(drain.stderr)")
        let logged = try await records(in: dir, topic: "users_created").count
        #expect(logged > 500)
        try await expectStoreMatchesLog(url, dir, records: logged)
    }

    @Test func aWrongPasswordFailsNamingTheStoreWithoutPrintingThePassword() async throws {
        let server = try PostgresServerTrait.server()
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wrong = "Wr0ngPassw0rd" + UUID().uuidString.prefix(8)
        let url = "postgres://\(server.user):\(wrong)@127.0.0.1:\(server.port)/postgres?sslmode=disable"
        let result = try await runFreshet(["up", "--store", url, "--no-web", "--no-cql", "--count", "10", "--seed", "pg-bad", "--data-dir", dir], timeout: 180)
        #expect(result.status != 0)
        #expect(!result.stdoutText.contains("rows stored"), "\(result.stdoutText)")
        #expect(result.stderr.contains("PostgreSQL"), "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(server.port)"), "\(result.stderr)")
        #expect(result.stderr.contains("password authentication failed"), "\(result.stderr)")
        #expect(!result.stderr.contains(wrong) && !result.stdoutText.contains(wrong))
    }

    @Test func anUnreachablePortFailsNamingTheStoreWithoutPrintingThePassword() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try closedPort()
        let secret = "S3cret" + UUID().uuidString.prefix(8)
        let url = "postgres://freshet:\(secret)@127.0.0.1:\(port)/freshet?sslmode=disable"
        let result = try await runFreshet(
            ["up", "--store", url, "--no-web", "--no-cql", "--count", "10", "--seed", "pg-down", "--data-dir", dir], timeout: 180)
        #expect(result.status != 0)
        #expect(!result.stdoutText.contains("rows stored"), "\(result.stdoutText)")
        #expect(result.stderr.contains("PostgreSQL"), "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(port)"), "\(result.stderr)")
        #expect(!result.stderr.contains(secret) && !result.stdoutText.contains(secret))
    }

    @Test func benchStoreWritesIntoAnEmptyDatabaseEmptiesItAfterAndRefusesOneWithUsers() async throws {
        let url = try PostgresServerTrait.freshDatabase("cli_bench")
        let password = try PostgresServerTrait.server().password
        let bench = try await runFreshet(["bench", "store", "--rows", "1500", "--batch", "500", "--query-repeats", "2", "--store", url], timeout: 300)
        #expect(bench.status == 0, "\(bench.stderr)")
        for line in ["fresh inserts", "same rows again (unchanged)", "updates (changed values)", "batch p50", "totalUsers", "size in PostgreSQL", "peak RSS"] {
            #expect(bench.stdoutText.contains(line), "\(line) missing: \(bench.stdoutText)")
        }
        #expect(bench.stdoutText.contains("freshet:***@127.0.0.1"))
        #expect(!bench.stdoutText.contains(password) && !bench.stderr.contains(password))
        let after = try await PostgresContents.read(url)
        #expect(after.rows.isEmpty && after.totalUsers == 0 && after.windowTotal == 0 && after.positions.isEmpty)

        // A database with data is never the bench's: it refuses and leaves the rows alone.
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await runFreshet(
            ["up", "--store", url, "--no-web", "--no-cql", "--count", "10", "--seed", "pg-bench-guard", "--data-dir", dir], timeout: 300)
        #expect(up.status == 0, "\(up.stderr)")
        let refused = try await runFreshet(["bench", "store", "--rows", "100", "--store", url], timeout: 300)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already has 10 users"), "\(refused.stderr)")
        #expect(try await PostgresContents.read(url).rows.count == 10)
    }

    /// A loopback port nobody listens on: bound, then closed.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        #expect(bound == 0)
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        #expect(named == 0)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
