import Foundation
import FreshetContracts
import FreshetCore
import FreshetPostgres
import FreshetStore
import FreshetTesting
import PostgresNIO
import Testing

/// The `Sink` contract and `UserQueries` against a real PostgreSQL server, mirroring
/// FreshetStoreTests' SQLite store tests.
@Suite("PostgreSQL sink", .postgresServer)
struct PostgresSinkTests {
    @Test func prepareIsIdempotentAndCreatesTheSQLiteColumns() async throws {
        try await withPostgresSink { sink, _ in
            try await sink.prepare()
            var columns: [String] = []
            for try await name in try await sink.client.query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'created_users' ORDER BY ordinal_position"
            ).decode(String.self) {
                columns.append(name)
            }
            #expect(columns == CreatedUserRow.columns)
            #expect(sink.rowPath == .copy, "the test server's role may create temporary tables")
        }
    }

    /// A role without the database's TEMPORARY privilege (a locked-down server) cannot have
    /// the staging table the rows are copied into: `prepare()` sees so, and the sink writes the
    /// rows with one `unnest` upsert instead — rows, counters, windows and positions as on the
    /// default path, streamed transactions included.
    @Test func aRoleWithoutTemporaryTablesWritesItsRowsWithUnnest() async throws {
        try await Self.withSinkWithoutTemporaryTables { sink in try await SinkContract.everyColumnRoundTrips(sink) }
        try await Self.withSinkWithoutTemporaryTables { sink in try await SinkContract.anUpsertThatChangesARowMovesItsCounts(sink) }
        try await Self.withSinkWithoutTemporaryTables { sink in try await SinkContract.aTransactionAcrossWritesCommitsWhole(sink) }
    }

    /// A prepared sink over a fresh database whose owner, the sink's role, may not create
    /// temporary tables.
    static func withSinkWithoutTemporaryTables(_ body: (PostgresSink) async throws -> Void) async throws {
        let server = try PostgresServerTrait.server()
        let database = freshDatabaseName("notemp")
        let role = freshDatabaseName("writer")
        let admin = try await PostgresSink.connect(url: server.url())
        do {
            for statement in [
                "CREATE ROLE \(role) LOGIN PASSWORD 'no-temp-tables'",
                "CREATE DATABASE \(database) OWNER \(role)",
                "REVOKE TEMPORARY ON DATABASE \(database) FROM PUBLIC, \(role)",
            ] {
                try await admin.client.query(PostgresQuery(unsafeSQL: statement))
            }
            try await admin.close()
        } catch {
            try? await admin.close()
            throw error
        }
        var url = try #require(URLComponents(string: server.url(database: database)))
        url.user = role
        url.password = "no-temp-tables"
        let sink = try await PostgresSink.connect(url: try #require(url.string))
        do {
            try await sink.prepare()
            #expect(sink.rowPath == .unnest)
            try await body(sink)
            try await sink.close()
        } catch {
            try? await sink.close()
            throw error
        }
    }

    @Test func everyColumnRoundTripsIncludingNilNat() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.everyColumnRoundTrips(sink) }
    }

    @Test func replayingABatchChangesNoRowAndNoCounter() async throws {
        try await withPostgresSink { sink, _ in
            var generator = RowGenerator(seed: 2)
            let rows = (0..<500).map { _ in generator.row(idPool: 300) }
            let replayed = batch(slice(rows, from: 0, windowStart: 60_000, topic: "t"))
            try await sink.write(replayed)
            let before = try await dumpAll(sink)
            #expect(try await dump("created_users", sink).count == Set(rows.map(\.id)).count)
            let outcomes = try await sink.write(replayed)
            #expect(outcomes.map(\.stale) == [true])
            #expect(try await dumpAll(sink) == before)
            #expect(try await sink.windowCounts(dimension: "total", since: 0).map(\.count) == [500])
        }
    }

    @Test func anUpsertThatChangesARowMovesItsCounts() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.anUpsertThatChangesARowMovesItsCounts(sink) }
    }

    @Test func eachAppliedRecordCountsOnceInItsWindow() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.eachAppliedRecordCountsOnceInItsWindow(sink) }
    }

    @Test func positionsRoundTripPerTopicAndPartitionAcrossConnections() async throws {
        try await withPostgresSink { sink, url in
            #expect(try await sink.positions(topic: "users").isEmpty)
            try await sink.write(
                batch(
                    slice([], partition: 0, from: 0, to: 10, topic: "users"), slice([], partition: 2, from: 0, to: 7, topic: "users"),
                    slice([], partition: 0, from: 0, to: 99, topic: "other")))
            try await sink.write(batch(slice([], partition: 0, from: 10, to: 25, topic: "users")))
            #expect(try await sink.positions(topic: "users") == [0: 25, 2: 7])
            #expect(try await sink.positions(topic: "other") == [0: 99])
            // A restarted processor (a new sink on the same database) reads the same positions.
            let reopened = try await PostgresSink.connect(url: url)
            try await reopened.prepare()
            #expect(try await reopened.positions(topic: "users") == [0: 25, 2: 7])
            try await reopened.close()
        }
    }

    @Test func aRejectedRowIsNamedAndTheBatchAppliesNothing() async throws {
        try await withPostgresSink { sink, _ in
            var generator = RowGenerator(seed: 4)
            let good = (0..<200).map { _ in generator.row(idPool: 1000) }
            try await sink.write(batch(slice(good, from: 0, topic: "t")))
            let before = try await dumpAll(sink)
            let rows = (0..<300).map { _ in generator.row(idPool: 1000) }  // overwrites some, inserts others
            var tooLong = generator.row(idPool: 1)
            tooLong.id = "z" + String(repeating: "x", count: 300)
            let failing = batch(slice(rows + [tooLong], from: 200, topic: "t"))
            let error = await #expect(throws: PostgresSinkError.self) { try await sink.write(failing) }
            #expect(error?.code == .rowRejected)
            #expect(error?.rejectedRowID == tooLong.id)
            #expect(try await dumpAll(sink) == before)

            // A value the server itself refuses (PostgreSQL text cannot hold NUL): SQLSTATE 22021.
            // In a many-row batch the server does not say which row: "?" makes the processor
            // isolate the rows; alone, the row is named.
            var nul = generator.row(idPool: 1)
            nul.id = "nul-row"
            nul.firstName = "a\u{0}b"
            let manyError = await #expect(throws: PostgresSinkError.self) {
                try await sink.write(batch(slice(rows + [nul], from: 200, topic: "t")))
            }
            #expect(manyError?.code == .rowRejected)
            #expect(manyError?.rejectedRowID == "?")
            #expect(manyError?.sqlState?.hasPrefix("22") == true)
            let aloneError = await #expect(throws: PostgresSinkError.self) { try await sink.upsert([nul]) }
            #expect(aloneError?.rejectedRowID == "nul-row")
            // A violated constraint (an empty id, caught by the server's CHECK when it gets there).
            var empty = generator.row(idPool: 1)
            empty.id = ""
            let emptyError = await #expect(throws: PostgresSinkError.self) { try await sink.upsert([empty]) }
            #expect(emptyError?.rejectedRowID == "")
            #expect(try await dumpAll(sink) == before)

            // A failure that is not a row's fault (a negative offset breaks a CHECK of
            // stream_positions) rolls the rows back too, and is not a rejected row.
            let badPosition = batch(slice(rows, partition: 9, from: -400, to: -1, topic: "t"))
            let positionError = await #expect(throws: PostgresSinkError.self) { try await sink.write(badPosition) }
            #expect(positionError?.code == .writeFailed)
            #expect(positionError?.rejectedRowID == nil)
            #expect(try await dumpAll(sink) == before)
            // The sink stays usable: the processor dead-letters the row and retries without it.
            try await sink.write(batch(slice(rows, from: 200, to: 501, topic: "t")))
            #expect(try await sink.positions(topic: "t") == [0: 501])
        }
    }

    @Test func theServerCheckRejectsAnEmptyIdWrittenDirectly() async throws {
        // The CHECK exists on the server, not only in the sink's own pre-check.
        try await withPostgresSink { sink, _ in
            let error = await #expect(throws: PSQLError.self) {
                try await sink.client.query(
                    "INSERT INTO created_users (id, first_name, last_name, gender, address, post_code, email, username, dob, registered_date, phone, picture, year, month, day, country, email_domain, age, nat, ingested_at) VALUES ('', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 0, NULL, 0)"
                )
            }
            #expect(error?.serverInfo?[.sqlState] == "23514")
        }
    }

    @Test func everyUserQueryEqualsTheSQLiteStoresAnswer() async throws {
        try await withPostgresSink { sink, _ in
            try await withSQLiteStore { sqlite in
                #expect(try await sink.totalUsers() == 0)
                #expect(try await sink.countsByGender().isEmpty)
                #expect(try await sink.users(limit: 10, after: nil).isEmpty)
                var generator = RowGenerator(seed: 5)
                for batchNumber in 0..<8 {
                    let rows = (0..<500).map { _ in generator.row(idPool: 2500) }
                    let from = Int64(batchNumber / 3 * 500)
                    let records = rows.enumerated().map {
                        SinkRecord(offset: from + Int64($0.offset), row: $0.element, windowStart: $0.element.ingestedAt / 60_000 * 60_000)
                    }
                    let written = SinkBatch(slices: [
                        PartitionSlice(topic: "t", partition: Int32(batchNumber % 3), from: from, to: from + 500, records: records)
                    ])
                    try await sink.write(written)
                    try await sqlite.write(written)
                }
                let total = try await sqlite.totalUsers()
                #expect(total > 1500)
                #expect(try await sink.totalUsers() == total)
                #expect(try await sink.countsByGender() == sqlite.countsByGender())
                for limit in [0, 1, 4, 100] {
                    #expect(try await sink.topCountries(limit: limit) == sqlite.topCountries(limit: limit))
                    #expect(try await sink.topEmailDomains(limit: limit) == sqlite.topEmailDomains(limit: limit))
                    #expect(try await sink.recentUsers(limit: limit) == sqlite.recentUsers(limit: limit))
                }
                #expect(try await sink.registrationsPerMonth() == sqlite.registrationsPerMonth())
                for dimension in ["gender", "country", "total"] {
                    for since in [0, 1_700_005_000_000, Int64.max] as [Int64] {
                        #expect(try await sink.windowCounts(dimension: dimension, since: since) == sqlite.windowCounts(dimension: dimension, since: since))
                    }
                }
                #expect(try await sink.positions(topic: "t") == sqlite.positions(topic: "t"))
                // Keyset paging visits the same rows in the same (code point) order.
                var cursor: String?
                var pages = 0
                while true {
                    let page = try await sink.users(limit: 97, after: cursor)
                    #expect(page == (try await sqlite.users(limit: 97, after: cursor)))
                    if page.isEmpty { break }
                    cursor = page.last?.id
                    pages += 1
                }
                #expect(pages == (total + 96) / 97)
                for id in ["u-1", "U-1", "ü-1", "u-2499", "nobody"] {
                    #expect(try await sink.user(id: id) == sqlite.user(id: id))
                }
            }
        }
    }

    @Test func aWrongPasswordFailsAtConnectWithoutShowingIt() async throws {
        let server = try PostgresServerTrait.server()
        let secret = "not-the-password-\(UUID().uuidString.prefix(8))"
        let url = "postgres://freshet:\(secret)@127.0.0.1:\(server.port)/postgres?sslmode=disable"
        let error = await #expect(throws: PostgresSinkError.self) { _ = try await PostgresSink.connect(url: url) }
        #expect(error?.code == .connectFailed)
        #expect(error?.sqlState == "28P01")  // invalid_password
        #expect(error.map { "\($0)".contains(secret) } == false)
        #expect(error.map { String(reflecting: $0).contains(secret) } == false)
    }
}
