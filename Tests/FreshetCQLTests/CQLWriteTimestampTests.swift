import Foundation
import FreshetCQL
import FreshetContracts
import FreshetCore
import FreshetStore
import FreshetTesting
import Logging
import NIOCore
import Testing

@testable import FreshetCQLServer

/// The endpoint's node (`CQLServer`'s planner and storage) over a temporary SQLite store,
/// driven request by request without a socket: what a Cassandra node does with timestamps.
final class TimestampNode: Sendable {
    let store: SQLiteStore
    let server: CQLServer
    let directory: String
    static let session = CQLSessionState(keyspace: "spark_streams", addresses: CQLQueryPlannerTests.addresses)

    private init(store: SQLiteStore, server: CQLServer, directory: String) {
        self.store = store
        self.server = server
        self.directory = directory
    }

    static func with(_ body: (TimestampNode) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cql-ts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLiteStore.open(.init(path: SQLiteStore.path(dataDirectory: directory)))
        try await store.prepare()
        // A node clock far ahead of the small timestamps the tests write.
        let server = CQLServer(configuration: .init(port: 0), queries: store, sink: store, now: { 1_800_000_000_000 })
        let node = TimestampNode(store: store, server: server, directory: directory)
        do {
            try await body(node)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    /// Plans and runs one request, as a connection would.
    @discardableResult
    func run(_ request: CQLRequest) async throws -> CQLResult {
        switch server.plan(request, session: Self.session) {
        case .result(let result): return result
        case .error(let error): throw error
        case .storage(let operation):
            guard let storage = server.storage[operation.table.qualifiedName] else { throw CQLServerError(code: .serverError, message: "no storage") }
            return try await operation.run(on: storage)
        }
    }

    @discardableResult
    func query(_ text: String, _ values: [CQLBindValue] = [], defaultTimestamp: Int64? = nil) async throws -> CQLResult {
        try await run(.query(text, parameters: .init(values: values.isEmpty ? nil : .positional(values), defaultTimestamp: defaultTimestamp)))
    }

    /// The cells of the first row a SELECT returns.
    func first(_ text: String) async throws -> [CQLValue?]? {
        guard case .rows(let rows) = try await query(text) else { return nil }
        return try rows.decodedRows().first
    }
}

extension CQLServer {
    func plan(_ request: CQLRequest, session: CQLSessionState) -> CQLPlan { planner.plan(request, session: session) }
}

@Suite("CQL endpoint: USING TIMESTAMP, WRITETIME() and token()")
struct CQLWriteTimestampTests {
    static func bigint(_ value: Int64) -> CQLBindValue { CQLBindValue(.bigint(value)) }
    static func text(_ value: String) -> CQLBindValue { CQLBindValue(.text(value)) }

    static func error(_ body: () async throws -> Void) async -> CQLServerError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? CQLServerError
        }
    }

    // MARK: created_users

    /// The later timestamp wins whichever write arrives first; an older write is answered
    /// (as Cassandra answers it) but changes nothing.
    @Test(arguments: [(20, 10), (10, 20)] as [(Int64, Int64)])
    func theLaterTimestampWinsInEitherOrder(first: Int64, second: Int64) async throws {
        try await TimestampNode.with { node in
            let insert = "INSERT INTO created_users (id, first_name, nat) VALUES (?, ?, ?) USING TIMESTAMP ?"
            try await node.query(insert, [Self.text("u"), Self.text("at \(first)"), Self.text("DE"), Self.bigint(first)])
            try await node.query(insert, [Self.text("u"), Self.text("at \(second)"), .null, Self.bigint(second)])
            let row = try #require(try await node.first("SELECT first_name, writetime(first_name), nat, writetime(nat) FROM created_users WHERE id = 'u'"))
            #expect(row[0] == .text("at 20"))
            #expect(row[1] == .bigint(20))
            // The winning write set nat: null at 20 (no write time, as Cassandra's tombstone), DE at 20.
            #expect(row[2] == (first == 20 ? .text("DE") : nil))
            #expect(row[3] == (first == 20 ? .bigint(20) : nil))
            #expect(try await node.store.user(id: "u")?.firstName == "at 20")
            #expect(try await node.store.totalUsers() == 1)
        }
    }

    @Test func aWriteWithoutATimestampGetsTheNodesClockAndTheRequestsDefaultWins() async throws {
        try await TimestampNode.with { node in
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('u', 'old') USING TIMESTAMP 5")
            // The node's clock: now in microseconds, far beyond 5.
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('u', 'now')")
            let now = try #require(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'u'"))
            #expect(now[0] == .text("now"))
            guard case .bigint(let micros)? = now[1] else { throw CQLServerError(code: .serverError, message: "no write time") }
            #expect(micros >= 1_800_000_000_000_000)
            // The request's default timestamp (protocol flag 0x20), as drivers send their clock.
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('u', 'default')", defaultTimestamp: micros - 1)
            #expect(try await node.first("SELECT first_name FROM created_users WHERE id = 'u'")?[0] == .text("now"))
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('u', 'default')", defaultTimestamp: micros + 1)
            #expect(
                try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'u'") == [.text("default"), .bigint(micros + 1)])
            // USING TIMESTAMP beats the default; an unset marker means "no timestamp here".
            try await node.query(
                "INSERT INTO created_users (id, first_name) VALUES ('u', 'explicit') USING TIMESTAMP ?", [Self.bigint(micros + 5)], defaultTimestamp: 1)
            #expect(try await node.first("SELECT writetime(first_name) FROM created_users WHERE id = 'u'") == [.bigint(micros + 5)])
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('u', 'unset') USING TIMESTAMP ?", [.unset], defaultTimestamp: micros + 6)
            #expect(
                try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'u'") == [.text("unset"), .bigint(micros + 6)])
        }
    }

    /// Rows the store's own pipeline wrote carry no write time: any write wins over them.
    @Test func aRowWithoutAWriteTimeLosesToAnyWrite() async throws {
        try await TimestampNode.with { node in
            try await node.store.upsert([CreatedUsersCQLTable.blank(id: "p", ingestedAt: 7)])
            #expect(try await node.first("SELECT writetime(first_name) FROM created_users WHERE id = 'p'") == [nil])
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('p', 'cql') USING TIMESTAMP -3")
            #expect(
                try await node.first("SELECT first_name, writetime(first_name), ingested_at FROM created_users WHERE id = 'p'") == [
                    .text("cql"), .bigint(-3), .timestamp(7),
                ])
        }
    }

    @Test func batchesCarryTheirTimestamps() async throws {
        try await TimestampNode.with { node in
            try await node.query(
                """
                BEGIN BATCH USING TIMESTAMP 30
                  INSERT INTO created_users (id, first_name) VALUES ('a', 'batch');
                  INSERT INTO created_users (id, first_name) VALUES ('b', 'batch')
                APPLY BATCH
                """)
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('a', 'older') USING TIMESTAMP 29")
            try await node.query("INSERT INTO created_users (id, first_name) VALUES ('b', 'newer') USING TIMESTAMP 31")
            #expect(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'a'") == [.text("batch"), .bigint(30)])
            #expect(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'b'") == [.text("newer"), .bigint(31)])
            // Statements of a batch with their own timestamps, one row twice: the later wins.
            try await node.query(
                """
                BEGIN UNLOGGED BATCH
                  INSERT INTO created_users (id, first_name) VALUES ('c', 'second') USING TIMESTAMP 41
                  INSERT INTO created_users (id, first_name) VALUES ('c', 'first') USING TIMESTAMP 40
                APPLY BATCH
                """)
            #expect(try await node.first("SELECT first_name FROM created_users WHERE id = 'c'") == [.text("second")])
            // A prepared batch, and a protocol BATCH whose default timestamp applies to the
            // statements without one.
            guard
                case .prepared(let prepared) = try await node.run(
                    .prepare("BEGIN BATCH USING TIMESTAMP ? INSERT INTO created_users (id, first_name) VALUES (?, ?) APPLY BATCH"))
            else {
                throw CQLServerError(code: .serverError, message: "not prepared")
            }
            #expect(prepared.metadata.columns.map(\.name) == ["[timestamp]", "id", "first_name"])
            #expect(prepared.metadata.columns.first?.type == .bigint)
            #expect(prepared.metadata.partitionKeyIndexes.isEmpty)
            try await node.run(.execute(id: prepared.id, parameters: .init(values: .positional([Self.bigint(50), Self.text("d"), Self.text("prepared")]))))
            guard case .prepared(let insert) = try await node.run(.prepare("INSERT INTO created_users (id, first_name) VALUES (?, ?) USING TIMESTAMP ?")) else {
                throw CQLServerError(code: .serverError, message: "not prepared")
            }
            #expect(insert.metadata.columns.map(\.name) == ["id", "first_name", "[timestamp]"])
            #expect(insert.metadata.partitionKeyIndexes == [0])
            try await node.run(
                .batch(
                    CQLBatch(
                        statements: [
                            CQLBatchStatement(.query("INSERT INTO created_users (id, first_name) VALUES ('d', 'default 49')")),
                            CQLBatchStatement(.prepared(id: insert.id), values: [Self.text("e"), Self.text("own 70"), Self.bigint(70)]),
                            CQLBatchStatement(.query("INSERT INTO created_users (id, first_name) VALUES ('e', 'default 60')")),
                        ], defaultTimestamp: 49)))
            #expect(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'd'") == [.text("prepared"), .bigint(50)])
            #expect(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'e'") == [.text("own 70"), .bigint(70)])
        }
    }

    /// Many writes of one row with random timestamps, all at once: the highest timestamp's
    /// value is what remains (the merge and the comparison are atomic with the write).
    @Test func concurrentWritesOfOneRowKeepTheHighestTimestamp() async throws {
        try await TimestampNode.with { node in
            var generator = RowGenerator(seed: 5)
            let timestamps = (0..<64).map { _ in Int64(generator.int(1_000_000)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, timestamp) in timestamps.enumerated() {
                    group.addTask {
                        let table = i % 2 == 0 ? "created_users (id, first_name)" : "stream_positions (id, topic)"
                        try await node.query("INSERT INTO \(table) VALUES ('x', 'v\(timestamp)') USING TIMESTAMP \(timestamp)")
                    }
                }
                try await group.waitForAll()
            }
            let users = timestamps.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).max()!
            let positions = timestamps.enumerated().filter { $0.offset % 2 == 1 }.map(\.element).max()!
            #expect(try await node.first("SELECT first_name, writetime(first_name) FROM created_users WHERE id = 'x'") == [.text("v\(users)"), .bigint(users)])
            #expect(
                try await node.first("SELECT topic, writetime(topic) FROM stream_positions WHERE id = 'x'") == [.text("v\(positions)"), .bigint(positions)])
        }
    }

    // MARK: The sink's tables

    @Test(arguments: [(7, 3), (3, 7)] as [(Int64, Int64)])
    func keyedTablesKeepTheLaterWrite(first: Int64, second: Int64) async throws {
        try await TimestampNode.with { node in
            let insert = "INSERT INTO stream_state (id, topic, partition, counted_offset, counters) VALUES ('t/0', 't', 0, ?, 0x01) USING TIMESTAMP ?"
            try await node.query(insert, [Self.bigint(first * 10), Self.bigint(first)])
            try await node.query(insert, [Self.bigint(second * 10), Self.bigint(second)])
            #expect(
                try await node.first("SELECT counted_offset, writetime(counted_offset), writetime(recent) FROM stream_state WHERE id = 't/0'") == [
                    .bigint(70), .bigint(7), nil,
                ])
            // A BATCH across the sink's tables, one timestamp for all of it.
            try await node.query(
                """
                BEGIN BATCH USING TIMESTAMP 6
                  INSERT INTO stream_state (id, counted_offset) VALUES ('t/0', 60)
                  INSERT INTO stream_positions (id, next_offset) VALUES ('t/0', 60)
                  INSERT INTO partition_windows (id, as_of) VALUES ('t/0/0', 60)
                APPLY BATCH
                """)
            #expect(try await node.first("SELECT counted_offset FROM stream_state WHERE id = 't/0'") == [.bigint(70)])
            #expect(try await node.first("SELECT next_offset, writetime(next_offset) FROM stream_positions WHERE id = 't/0'") == [.bigint(60), .bigint(6)])
            #expect(try await node.first("SELECT as_of FROM partition_windows WHERE id = 't/0/0'") == [.bigint(60)])
        }
    }

    // MARK: Errors

    static let refused: [(String, [CQLBindValue], CQLErrorCode, String)] = [
        ("INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP ?", [.null], .invalid, "Invalid null value of timestamp"),
        ("INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP ?", [CQLBindValue(.int(5))], .invalid, "[timestamp]"),
        ("INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP 'soon'", [], .invalid, "\"[timestamp]\" of type bigint"),
        ("INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP 1.5", [], .invalid, "\"[timestamp]\" of type bigint"),
        ("INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP 9223372036854775808", [], .invalid, "out of range"),
        ("INSERT INTO created_users (id) VALUES ('a') USING TTL 5", [], .invalid, "USING TTL"),
        (
            "BEGIN BATCH USING TIMESTAMP 1 INSERT INTO created_users (id) VALUES ('a') USING TIMESTAMP 2 APPLY BATCH", [], .invalid,
            "Timestamp must be set either on BATCH or individual statements"
        ),
        ("BEGIN COUNTER BATCH INSERT INTO created_users (id) VALUES ('a') APPLY BATCH", [], .invalid, "counter batches"),
        ("BEGIN BATCH INSERT INTO created_users (id) VALUES ('a') INSERT INTO stream_state (id) VALUES ('b') APPLY BATCH", [], .invalid, "writes to one table"),
        ("SELECT writetime(id) FROM created_users", [], .invalid, "PRIMARY KEY part id"),
        ("SELECT writetime(cluster_name) FROM system.local", [], .invalid, "WRITETIME() of system.local"),
        ("SELECT COUNT(*) FROM created_users WHERE token(id) > 0", [], .invalid, "token() restrictions"),
        ("SELECT * FROM created_users WHERE token(id) > 0 AND id = 'a'", [], .invalid, "token() restrictions"),
        ("SELECT * FROM created_users WHERE token(first_name) > 0", [], .invalid, "all partition key components"),
        ("SELECT * FROM created_users WHERE token(id) > token('a', 'b')", [], .invalid, "takes 1 argument"),
        ("SELECT * FROM created_users WHERE token(id) > ?", [.null], .invalid, "partition key token"),
        ("SELECT * FROM system.local WHERE token(key) > 0", [], .invalid, "token() restrictions on system.local"),
    ]

    @Test(arguments: refused)
    func badTimestampsAndTokensAreRefused(_ text: String, _ values: [CQLBindValue], _ code: CQLErrorCode, _ message: String) async throws {
        try await TimestampNode.with { node in
            let error = await Self.error { try await node.query(text, values) }
            #expect(error?.code == code && error?.message.contains(message) == true, "\(String(describing: error))")
            let total = try await node.store.totalUsers()
            #expect(total == 0)
        }
    }

    @Test func aDefaultTimestampOfLongMinIsAProtocolError() async throws {
        try await TimestampNode.with { node in
            let error = await Self.error { try await node.query("INSERT INTO created_users (id) VALUES ('a')", defaultTimestamp: .min) }
            #expect(error?.code == .protocolError && error?.message.contains("Out of bound timestamp") == true, "\(String(describing: error))")
        }
    }

    // MARK: token()

    /// `token(id) > token(?)` pages every row once, in the ring's order, as Cassandra does.
    @Test func tokenRangesPageEveryRowOnceInTokenOrder() async throws {
        try await TimestampNode.with { node in
            let ids = (0..<300).map { "id-\($0)" }
            try await node.store.upsert(ids.map { CreatedUsersCQLTable.blank(id: $0, ingestedAt: 0) })
            var seen: [String] = []
            var last: String?
            while true {
                let (text, values): (String, [CQLBindValue]) =
                    last.map { ("SELECT id FROM created_users WHERE token(id) > token(?) LIMIT 7", [Self.text($0)]) }
                    ?? ("SELECT id FROM created_users WHERE token(id) > ? LIMIT 7", [Self.bigint(.min)])
                guard case .rows(let rows) = try await node.query(text, values) else { break }
                let page = try rows.decodedRows().compactMap { row -> String? in
                    if case .text(let id)? = row.first { return id }
                    return nil
                }
                seen += page
                guard page.count == 7, let next = page.last else { break }
                last = next
            }
            #expect(seen.count == ids.count)
            #expect(Set(seen) == Set(ids))
            let tokens = seen.map { CQLMurmur3Token.token(of: Array($0.utf8)) }
            #expect(tokens == tokens.sorted())
            // A range with both ends, and a page size smaller than the LIMIT: the paging state
            // continues the range.
            let low = tokens[100]
            let high = tokens[200]
            var inRange: [String] = []
            var state: ByteBuffer?
            repeat {
                let result = try await node.run(
                    .query(
                        "SELECT id FROM created_users WHERE token(id) >= \(low) AND token(id) < \(high) LIMIT 1000",
                        parameters: .init(pageSize: 30, pagingState: state)))
                guard case .rows(let rows) = result else { break }
                inRange += try rows.decodedRows().compactMap { row -> String? in
                    if case .text(let id)? = row.first { return id }
                    return nil
                }
                state = rows.metadata.pagingState
            } while state != nil
            #expect(inRange == Array(seen[100..<200]))
        }
    }
}
