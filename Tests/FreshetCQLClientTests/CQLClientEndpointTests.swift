import Foundation
import FreshetCQL
import FreshetCQLServer
import FreshetCassandra
import FreshetContracts
import FreshetCore
import FreshetSource
import FreshetStore
import FreshetTesting
import Logging
import NIOCore
import Testing

@testable import FreshetCQLClient

/// Freshet's real CQL endpoint (`CQLServer`) over a temporary SQLite store, on port 0.
final class EndpointScope: Sendable {
    let store: SQLiteStore
    let port: Int
    let directory: String
    private let task: Task<Void, any Error>

    private init(store: SQLiteStore, port: Int, directory: String, task: Task<Void, any Error>) {
        self.store = store
        self.port = port
        self.directory = directory
        self.task = task
    }

    static func with<T>(credentials: CQLCredentials? = nil, _ body: (EndpointScope) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cqlclient-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(.init(path: SQLiteStore.path(dataDirectory: directory)))
        try await store.prepare()
        var logger = Logger(label: "freshet.cql.test")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = CQLServer(
            configuration: .init(host: "127.0.0.1", port: 0, credentials: credentials), queries: store, sink: store, logger: logger,
            onListening: { port in
                continuation.yield(port)
                continuation.finish()
            })
        let task = Task { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            throw CQLClientError(code: .connectFailed, message: "the CQL endpoint did not start")
        }
        let scope = EndpointScope(store: store, port: port, directory: directory, task: task)
        do {
            let result = try await body(scope)
            try await scope.stop()
            return result
        } catch {
            try? await scope.stop()
            throw error
        }
    }

    func stop() async throws {
        task.cancel()
        _ = try? await task.value
        try await store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var contactPoint: CQLContactPoint { CQLContactPoint(host: "127.0.0.1", port: port) }
}

/// Rows from the offline generator through the processor's transform.
func generatedUsers(_ count: Int, seed: String = "cql-client") -> [CreatedUserRow] {
    let generator = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1))
    var rows: [CreatedUserRow] = []
    var page = 1
    while rows.count < count {
        let batch = generator.page(seed: seed, page: page, results: min(1000, count - rows.count)).map(UserCreated.init)
        rows += batch.map { try! UserSchema().row(from: $0.jsonBytes(), ingestedAt: 1_767_225_600_000 + Int64(rows.count) * 37).get() }
        page += 1
    }
    return rows
}

/// The client and the Cassandra sink against Freshet's own CQL endpoint.
@Suite("CQL client and Cassandra sink against the CQL endpoint")
struct CQLClientEndpointTests {
    static func client(_ scope: EndpointScope, credentials: CQLCredentials? = nil) -> CQLClientConfiguration {
        // Generous connect timeout: the suite runs beside ~600 other tests on 2 cores.
        CQLClientConfiguration(
            contactPoints: [scope.contactPoint], connection: .init(credentials: credentials, connectTimeout: .seconds(60)), consistency: .one)
    }

    @Test func readsSystemLocalBuildsTheRingPreparesAndExecutes() async throws {
        try await EndpointScope.with { scope in
            let rows = generatedUsers(20)
            try await scope.store.upsert(rows)
            try await CQLClient.withClient(Self.client(scope)) { client in
                let local = try await client.page("SELECT cluster_name, partitioner, data_center FROM system.local")
                #expect(local.namedRows.first?["partitioner"] == .text("org.apache.cassandra.dht.Murmur3Partitioner"))
                #expect(client.localDataCenter == "datacenter1")
                // One node owning token 0: every key routes to it.
                #expect(client.ring.nodes.map(\.address) == ["127.0.0.1:\(scope.port)"])
                #expect(client.ring.owner(of: CQLMurmur3Token.token(of: Array(rows[0].id.utf8)))?.address == "127.0.0.1:\(scope.port)")
                #expect(client.openConnections == ["127.0.0.1:\(scope.port)": 2])

                let select = try await client.prepare("SELECT * FROM spark_streams.created_users WHERE id = ?")
                #expect(select.metadata.partitionKeyIndexes == [0])
                #expect(select.keyspace == "spark_streams")
                #expect(try await client.prepare(select.query) == select)  // cached
                let page = try await client.page(select, [.text(rows[7].id)])
                #expect(page.rows.count == 1)
                #expect(page.namedRows.first?["email"] == .text(rows[7].email))
                #expect(page.namedRows.first?["age"] == .bigint(Int64(rows[7].age)))
                // Token-aware: the keyspace's replication is known, so the key's replica leads the plan.
                #expect(await client.replication(of: "spark_streams") == .simple(replicationFactor: 1))
                let key = try #require(select.routingKey([CQLBindValue(.text(rows[7].id))]))
                #expect(client.plan(routingKey: key, replication: .simple(replicationFactor: 1)).first == "127.0.0.1:\(scope.port)")
                #expect(try await client.schemaVersions().count == 1)
                try await client.awaitSchemaAgreement()
            }
        }
    }

    /// Window increments per minute of `ingested_at`, as the processor would produce for `rows`.
    static func windows(_ rows: [CreatedUserRow]) -> [WindowCount] {
        var counts: [String: WindowCount] = [:]
        for row in rows {
            let start = row.ingestedAt - row.ingestedAt % 60_000
            for (dimension, value) in SinkRecord.windowCells(of: row) {
                counts["\(start)/\(dimension)/\(value)", default: WindowCount(windowStart: start, dimension: dimension, value: value, count: 0)].count += 1
            }
        }
        return counts.values.sorted { ($0.windowStart, $0.dimension, $0.value) < ($1.windowStart, $1.dimension, $1.value) }
    }

    @Test func sinkWritesGeneratedRowsThatReadBackEqual() async throws {
        try await EndpointScope.with { scope in
            let rows = generatedUsers(3_000)
            let sink = try await CassandraSink.connect(url: "cassandra://127.0.0.1:\(scope.port)?connect_timeout=60&consistency=ONE&concurrency=64")
            do {
                try await sink.prepare()
                try await sink.prepare()  // idempotent: the DDL says IF NOT EXISTS
                #expect(try await sink.positions(topic: "users_created").isEmpty)
                var offsets: [Int32: Int64] = [:]
                for (index, start) in stride(from: 0, to: rows.count, by: 1_000).enumerated() {
                    let chunk = Array(rows[start..<min(start + 1_000, rows.count)])
                    let partition = Int32(index % 2)
                    let from = offsets[partition] ?? 0
                    let records = chunk.enumerated().map {
                        SinkRecord(offset: from + Int64($0.offset), row: $0.element, windowStart: $0.element.ingestedAt / 60_000 * 60_000)
                    }
                    offsets[partition] = from + Int64(chunk.count)
                    try await sink.write(
                        SinkBatch(slices: [
                            PartitionSlice(topic: "users_created", partition: partition, from: from, to: from + Int64(chunk.count), records: records),
                            PartitionSlice(topic: "other", partition: 0, from: 0, to: 5, records: []),
                        ]))
                }
                // Through the store's own read side, every row is as written.
                #expect(try await scope.store.totalUsers() == rows.count)
                for row in rows {
                    let stored = try await scope.store.user(id: row.id)
                    #expect(stored == row, "row \(row.id)")
                }
                #expect(try await sink.positions(topic: "users_created") == offsets)
                #expect(try await sink.positions(topic: "other") == [0: 5])
                // Window counts accumulate across batches (a window may span two of them) and
                // partitions; the sink's dashboard queries add them up.
                let expected = Self.windows(rows)
                for dimension in ["total", "gender", "country", "nat"] {
                    let read = try await sink.windowCounts(dimension: dimension, since: 0)
                    #expect(read == expected.filter { $0.dimension == dimension }, "\(dimension) windows")
                }
                try await SinkContract.checkInvariants(sink, rows: rows.count, countedRecords: rows.count, "after 3,000 generated rows")
                // Newest first, then by id (a generated page shares one ingested_at), as SQLite orders them.
                let newest = rows.sorted { a, b in a.ingestedAt != b.ingestedAt ? a.ingestedAt > b.ingestedAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8) }
                #expect(try await sink.recentUsers(limit: 5) == Array(newest.prefix(5)))
                #expect(try await sink.recentUsers(limit: 5) == (try await scope.store.recentUsers(limit: 5)))
                // The endpoint's own bookkeeping is untouched: these are the remote sink's.
                #expect(try await scope.store.positions(topic: "users_created").isEmpty)
            } catch {
                try? await sink.close()
                throw error
            }
            try await sink.close()
        }
    }

    /// `freshet up --store cassandra://…` serves the Cassandra store on its own CQL endpoint:
    /// here a second endpoint over a `CassandraSink` (as its `UserQueries` and its sink) that
    /// writes into the first. Reads page in token order, INSERTs are upserts that move the
    /// Cassandra store's counters.
    @Test func anEndpointServesACassandraStore() async throws {
        try await EndpointScope.with { scope in
            let sink = try await CassandraSink.connect(url: "cassandra://127.0.0.1:\(scope.port)?connect_timeout=60&consistency=ONE")
            try await sink.prepare()
            let rows = generatedUsers(600, seed: "served")
            try await sink.write(batch(slice(Array(rows[0..<400]), partition: 0, from: 0), slice(Array(rows[400..<600]), partition: 1, from: 0)))
            var logger = Logger(label: "freshet.cql.test")
            logger.logLevel = .warning
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let server = CQLServer(
                configuration: .init(host: "127.0.0.1", port: 0), queries: sink, sink: sink, logger: logger,
                onListening: { port in
                    continuation.yield(port)
                    continuation.finish()
                })
            let task = Task { try await server.run() }
            defer { task.cancel() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await CQLClient.withClient(CQLClientConfiguration(contactPoints: [CQLContactPoint(host: "127.0.0.1", port: port)], consistency: .one)) {
                client in
                let count = try await client.page("SELECT COUNT(*) FROM spark_streams.created_users")
                #expect(count.rows.first?.first == .bigint(600))
                var ids: [String] = []
                for try await page in client.pages("SELECT id FROM spark_streams.created_users", pageSize: 128) {
                    for row in page.rows { if case .text(let id)?? = row.first { ids.append(id) } }
                }
                #expect(ids.count == 600 && Set(ids) == Set(rows.map(\.id)))
                let tokens = ids.map { CQLMurmur3Token.token(of: Array($0.utf8)) }
                #expect(tokens == tokens.sorted(), "pages follow the Cassandra store's token order")
                let one = try await client.page("SELECT email FROM spark_streams.created_users WHERE id = '\(rows[42].id)'")
                #expect(one.rows.first?.first == .text(rows[42].email))
                let insert = try await client.prepare("INSERT INTO spark_streams.created_users (id, first_name, gender, email) VALUES (?, ?, ?, ?)")
                try await client.execute(insert, [.text("served-new"), .text("Ada"), .text("female"), .text("ada@served.example")])
                try await client.execute(
                    insert, [.text(rows[0].id), .text("Changed"), .text(rows[0].gender == "male" ? "female" : "male"), .text(rows[0].email)])
            }
            try await SinkContract.checkInvariants(sink, rows: 601, countedRecords: 600, "after INSERTs through the serving endpoint")
            #expect(try await sink.user(id: rows[0].id)?.firstName == "Changed")
            #expect(try await scope.store.user(id: "served-new")?.emailDomain == "served.example")
            task.cancel()
            _ = try? await task.value
            try await sink.close()
        }
    }

    @Test func pagingThroughAllRowsWithPageSize500ReturnsEachIDOnce() async throws {
        try await EndpointScope.with { scope in
            let rows = generatedUsers(2_345, seed: "paging")
            try await scope.store.upsert(rows)
            try await CQLClient.withClient(Self.client(scope)) { client in
                var ids: [String] = []
                var pages = 0
                for try await page in client.pages("SELECT id FROM spark_streams.created_users", pageSize: 500) {
                    pages += 1
                    #expect(page.rows.count <= 500)
                    for row in page.rows { if case .text(let id)?? = row.first { ids.append(id) } }
                }
                #expect(pages == 5)
                #expect(ids.count == rows.count)
                #expect(Set(ids) == Set(rows.map(\.id)))
                // Prepared, too.
                let statement = try await client.prepare("SELECT id FROM spark_streams.created_users")
                var count = 0
                for try await page in client.pages(statement, pageSize: 500) { count += page.rows.count }
                #expect(count == rows.count)
            }
        }
    }

    @Test func aRowTheStoreRefusesIsNamed() async throws {
        try await EndpointScope.with { scope in
            let sink = try await CassandraSink.connect(url: "cassandra://127.0.0.1:\(scope.port)?connect_timeout=60&consistency=ONE")
            try await sink.prepare()
            var rows = generatedUsers(3, seed: "reject")
            rows[1].id = String(repeating: "x", count: 300)  // the endpoint keeps ids of 1…255 bytes
            let error = await #expect(throws: CassandraSinkError.self) {
                try await sink.upsert(rows)
            }
            #expect(error?.code == .rowRejected)
            #expect(error?.rejectedRowID == rows[1].id)
            // Refused before anything was sent: a batch with it writes nothing either.
            let refused = await #expect(throws: CassandraSinkError.self) {
                try await sink.write(batch(slice(rows, from: 0)))
            }
            #expect(refused?.rejectedRowID == rows[1].id)
            #expect(try await scope.store.totalUsers() == 0)
            #expect(try await sink.positions(topic: "users_created").isEmpty)
            try await sink.close()
        }
    }

    @Test func credentialsFromTheURL() async throws {
        try await EndpointScope.with(credentials: CQLCredentials(username: "freshet", password: "s3cret pw")) { scope in
            let sink = try await CassandraSink.connect(url: "cassandra://freshet:s3cret%20pw@127.0.0.1:\(scope.port)?connect_timeout=60&consistency=ONE")
            try await sink.prepare()
            try await sink.upsert(generatedUsers(5, seed: "auth"))
            #expect(try await scope.store.totalUsers() == 5)
            try await sink.close()
            let error = await #expect(throws: CQLClientError.self) {
                _ = try await CassandraSink.connect(url: "cassandra://freshet:wrong@127.0.0.1:\(scope.port)?connect_timeout=60")
            }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func theSinkRefusesAKeyspaceTheEndpointDoesNotServe() async throws {
        try await EndpointScope.with { scope in
            let sink = try await CassandraSink.connect(url: "cassandra://127.0.0.1:\(scope.port)?connect_timeout=60&keyspace=elsewhere")
            let error = await #expect(throws: CassandraSinkError.self) { try await sink.prepare() }
            #expect(error?.code == .schemaFailed)
            #expect(error?.message.contains("elsewhere") == true)
            try await sink.close()
        }
    }

    @Test func aMultiTableBatchWithCreatedUsersIsRefused() async throws {
        try await EndpointScope.with { scope in
            try await CQLClient.withClient(Self.client(scope)) { client in
                let user = try await client.prepare("INSERT INTO spark_streams.created_users (id, email) VALUES (?, ?)")
                let position = try await client.prepare("INSERT INTO spark_streams.stream_positions (id, topic, partition, next_offset) VALUES (?, ?, ?, ?)")
                let error = await #expect(throws: CQLClientError.self) {
                    try await client.batch([
                        CQLBatchItem(position, [.text("t/0"), .text("t"), .int(0), .bigint(1)]),
                        CQLBatchItem(user, [.text("u"), .text("u@example.org")]),
                    ])
                }
                #expect(error?.serverError?.code == .invalid)
                #expect(try await scope.store.keyedRowCount(table: "spark_streams.stream_positions") == 0)
            }
        }
    }
}
