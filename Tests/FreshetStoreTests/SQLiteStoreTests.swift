import Foundation
import FreshetContracts
import FreshetCore
import FreshetTesting
import Testing

@testable import FreshetStore

@Suite struct SQLiteStoreSchemaTests {
    @Test func createdUsersHasExactlyTheRowColumns() async throws {
        try await withTestStore { _, path in
            let info = try dump("pragma_table_info('created_users')", path: path)
            // pragma_table_info: cid, name, type, notnull, dflt_value, pk
            #expect(info.map { $0[1] } == CreatedUserRow.columns)
            let types = Dictionary(uniqueKeysWithValues: info.map { ($0[1], $0[2]) })
            #expect(types["age"] == "INTEGER")
            #expect(types["ingested_at"] == "INTEGER")
            #expect(types["email_domain"] == "TEXT")
            #expect(info.first { $0[1] == "id" }?[5] == "1")
            #expect(info.first { $0[1] == "nat" }?[3] == "0")
            #expect(info.filter { $0[1] != "nat" }.allSatisfy { $0[3] == "1" || $0[1] == "id" })
            let indexes = try dump("pragma_index_list('created_users')", path: path).map { $0[1] }
            #expect(indexes.contains("created_users_ingested_at"))
            let tables = try dump("sqlite_master", path: path).filter { $0[0] == "table" }.map { $0[1] }
            #expect(Set(tables) == ["created_users", "window_counts", "stream_positions", "user_counts", "keyed_rows"])
        }
    }

    @Test func everyColumnRoundTripsIncludingNilNat() async throws {
        try await withTestStore { store, _ in try await SinkContract.everyColumnRoundTrips(store) }
    }

    @Test func pathIsDerivedFromTheDataDirectory() {
        #expect(SQLiteStore.path(dataDirectory: "./freshet-data") == "./freshet-data/store/freshet.sqlite")
        #expect(SQLiteStore.path(dataDirectory: "/var/x/") == "/var/x/store/freshet.sqlite")
    }

    @Test func prepareIsIdempotent() async throws {
        try await withTestStore { store, _ in
            try await store.prepare()
            try await store.prepare()
            #expect(try await store.totalUsers() == 0)
        }
    }
}

@Suite struct SQLiteStoreWriteTests {
    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func replayingABatchChangesNoRowAndNoCounter(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, path in
            var generator = RowGenerator(seed: 2)
            let rows = (0..<500).map { _ in generator.row(idPool: 300) }
            let replayed = batch(slice(rows, from: 0, windowStart: 60_000))
            try await store.write(replayed)
            let tables = ["created_users", "user_counts", "window_counts", "stream_positions"]
            let before = try tables.map { try dump($0, path: path) }
            let outcomes = try await store.write(replayed)
            #expect(outcomes.map(\.stale) == [true])
            #expect(try tables.map { try dump($0, path: path) } == before)
            #expect(try await store.windowCounts(dimension: "total", since: 0).map(\.count) == [500])
        }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func anUpsertThatChangesARowMovesItsCounts(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, _ in try await SinkContract.anUpsertThatChangesARowMovesItsCounts(store) }
    }

    @Test func eachAppliedRecordCountsOnceInItsWindow() async throws {
        try await withTestStore { store, _ in try await SinkContract.eachAppliedRecordCountsOnceInItsWindow(store) }
    }

    @Test func positionsAreRecordedPerTopicAndPartition() async throws {
        try await withTestStore { store, _ in
            #expect(try await store.positions(topic: "users").isEmpty)
            try await store.write(
                batch(
                    slice([], partition: 0, from: 0, to: 10, topic: "users"), slice([], partition: 2, from: 0, to: 7, topic: "users"),
                    slice([], partition: 0, from: 0, to: 99, topic: "other")))
            try await store.write(batch(slice([], partition: 0, from: 10, to: 25, topic: "users")))
            #expect(try await store.positions(topic: "users") == [0: 25, 2: 7])
            #expect(try await store.positions(topic: "other") == [0: 99])
        }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func aRejectedRowMidBatchLeavesRowsCountersWindowsAndPositionsUnchanged(
        counters: SQLiteStore.CounterMaintenance
    ) async throws {
        try await withTestStore(counters: counters) { store, path in
            var generator = RowGenerator(seed: 4)
            let good = (0..<200).map { _ in generator.row(idPool: 1000) }
            try await store.write(batch(slice(good, from: 0, topic: "t")))
            let before = try ["created_users", "user_counts", "window_counts", "stream_positions"].map { try dump($0, path: path) }

            var rows = (0..<300).map { _ in generator.row(idPool: 1000) }  // overwrites some, inserts others
            var bad = generator.row(idPool: 1)
            // Over the 255-character id limit, and sorts after every "u-…" id, so the rows before it
            // (in both insertion and id order) are already applied when the CHECK fails.
            bad.id = "z" + String(repeating: "x", count: 300)
            rows.append(bad)
            rows.append(generator.row(idPool: 1000))
            let failing = batch(slice(rows, from: 200, topic: "t"))
            let error = await #expect(throws: StoreError.self) { try await store.write(failing) }
            #expect(error?.code == .rowRejected)
            #expect(error?.context["index"] == "300")
            #expect(error?.context["id"] == bad.id)
            #expect(error?.isPermanent == true)

            let after = try ["created_users", "user_counts", "window_counts", "stream_positions"].map { try dump($0, path: path) }
            #expect(after == before)
            #expect(try await store.positions(topic: "t") == [0: 200])

            // A failure after all rows and windows: an invalid position (of a partition with none
            // stored yet) rolls everything back too.
            rows.remove(at: 300)
            let badPosition = batch(slice(rows, partition: 9, from: -400, to: -1, topic: "t"))
            let positionError = await #expect(throws: StoreError.self) { try await store.write(badPosition) }
            #expect(positionError?.context["topic"] == "t")
            #expect(try ["created_users", "user_counts", "window_counts", "stream_positions"].map { try dump($0, path: path) } == before)
            // The store stays usable: the processor dead-letters the row and retries without it.
            try await store.write(batch(slice(rows, from: 200, to: 502, topic: "t")))
            #expect(try await store.positions(topic: "t") == [0: 502])
        }
    }
}

extension SQLiteStoreWriteTests {
    @Test func aFullDiskFailsTheBatchTransientlyAndAppliesNothing() async throws {
        try await withTestStore { store, path in
            var generator = RowGenerator(seed: 8)
            try await store.write(batch(slice((0..<100).map { _ in generator.row(idPool: 1_000_000) }, from: 0, topic: "t")))
            let before = try ["created_users", "user_counts", "stream_positions"].map { try dump($0, path: path) }
            // Cap the file just above its current size: the next big batch hits SQLITE_FULL mid-transaction.
            let pages = try await store.withWriterConnection { connection in
                let statement = try connection.prepare("PRAGMA page_count")
                defer { statement.finalize() }
                return try statement.rows { $0.int(0) }[0]
            }
            try await store.withWriterConnection { try $0.execute("PRAGMA max_page_count = \(pages + 3)") }
            let big = batch(slice((0..<3000).map { _ in generator.row(idPool: 1_000_000) }, from: 100, topic: "t"))
            let error = await #expect(throws: StoreError.self) { try await store.write(big) }
            #expect(error?.code == .diskFull)
            #expect(error?.isPermanent == false)
            #expect(error?.context["path"] == path)
            #expect(try ["created_users", "user_counts", "stream_positions"].map { try dump($0, path: path) } == before)
            #expect(try await store.positions(topic: "t") == [0: 100])
            // Space freed: the same batch now succeeds.
            try await store.withWriterConnection { try $0.execute("PRAGMA max_page_count = 1000000") }
            try await store.write(big)
            #expect(try await store.positions(topic: "t") == [0: 3100])
        }
    }
}

@Suite struct SQLiteStoreQueryTests {
    /// Brute force over the final version of every id.
    struct Model {
        var users: [String: CreatedUserRow] = [:]
        var windows: [WindowCount] = []

        func counts(_ key: (CreatedUserRow) -> String) -> [String: Int] {
            users.values.reduce(into: [:]) { $0[key($1), default: 0] += 1 }
        }

        static func byCount(_ counts: [String: Int], limit: Int = .max) -> [LabeledCount] {
            Array(
                counts.map { LabeledCount(label: $0.key, count: $0.value) }
                    .sorted { ($0.count, $1.label) > ($1.count, $0.label) }.prefix(limit))
        }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func dashboardQueriesMatchABruteForceComputation(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, _ in
            var generator = RowGenerator(seed: 5)
            var model = Model()
            for batchNumber in 0..<8 {
                let rows = (0..<500).map { _ in generator.row(idPool: 2500) }
                var records: [SinkRecord] = []
                for (i, row) in rows.enumerated() {
                    let window = row.ingestedAt / 60_000 * 60_000
                    model.windows.append(WindowCount(windowStart: window, dimension: "gender", value: row.gender, count: 1))
                    model.users[row.id] = row
                    records.append(SinkRecord(offset: Int64(batchNumber * 500 + i), row: row, windowStart: window))
                }
                let from = Int64(batchNumber * 500)
                try await store.write(SinkBatch(slices: [PartitionSlice(topic: "t", partition: 0, from: from, to: from + 500, records: records)]))
            }
            #expect(model.users.count > 1500)  // ids repeated, and rows changed
            #expect(try await store.totalUsers() == model.users.count)
            #expect(try await store.countsByGender() == Model.byCount(model.counts(\.gender)))
            #expect(try await store.topCountries(limit: 4) == Model.byCount(model.counts(\.country), limit: 4))
            #expect(try await store.topCountries(limit: 100) == Model.byCount(model.counts(\.country)))
            #expect(try await store.topEmailDomains(limit: 3) == Model.byCount(model.counts(\.emailDomain), limit: 3))
            let months = model.counts { String($0.registeredDate.prefix(7)) }
            #expect(
                try await store.registrationsPerMonth()
                    == months.map { LabeledCount(label: $0.key, count: $0.value) }.sorted { $0.label < $1.label })
            let recent = model.users.values.sorted { ($1.ingestedAt, $0.id) < ($0.ingestedAt, $1.id) }
            #expect(try await store.recentUsers(limit: 25) == Array(recent.prefix(25)))
            let since = model.windows.map(\.windowStart).sorted()[model.windows.count / 2]
            let expectedWindows = Dictionary(grouping: model.windows.filter { $0.windowStart >= since }) {
                [String($0.windowStart), $0.value]
            }.map { WindowCount(windowStart: Int64($0.key[0])!, dimension: "gender", value: $0.key[1], count: $0.value.count) }
                .sorted { ($0.windowStart, $0.value) < ($1.windowStart, $1.value) }
            #expect(try await store.windowCounts(dimension: "gender", since: since) == expectedWindows)
            for id in model.users.keys.sorted().prefix(50) {
                #expect(try await store.user(id: id) == model.users[id])
            }
        }
    }

    @Test func keysetPagingVisitsEveryRowExactlyOnce() async throws {
        try await withTestStore { store, _ in
            var generator = RowGenerator(seed: 6)
            var ids = Set<String>()
            for round in 0..<3 {
                let rows = (0..<700).map { _ in generator.row(idPool: 5000) }
                ids.formUnion(rows.map(\.id))
                try await store.write(batch(slice(rows, from: Int64(round * 700))))
            }
            var seen: [String] = []
            var cursor: String?
            while true {
                let page = try await store.users(limit: 97, after: cursor)
                if page.isEmpty { break }
                #expect(page.count <= 97)
                seen += page.map(\.id)
                cursor = page.last?.id
            }
            #expect(seen == ids.sorted())
            #expect(try await store.users(limit: 0, after: nil).isEmpty)
        }
    }

    @Test func emptyStoreAnswersEmpty() async throws {
        try await withTestStore { (store: SQLiteStore, _: String) async throws in
            #expect(try await store.totalUsers() == 0)
            #expect(try await store.countsByGender() == [])
            #expect(try await store.topCountries(limit: 5) == [])
            #expect(try await store.recentUsers(limit: 5) == [])
            #expect(try await store.registrationsPerMonth() == [])
            #expect(try await store.windowCounts(dimension: "total", since: 0) == [])
        }
    }
}

@Suite struct SQLiteStoreOpenTests {
    @Test func aReadOnlyStoreSeesCommittedDataAndCannotWrite() async throws {
        try await withTestStore { writer, path in
            var generator = RowGenerator(seed: 7)
            let first = (0..<100).map { _ in generator.row(idPool: 100_000) }
            try await writer.write(batch(slice(first, from: 0)))
            try await SQLiteStore.withStore(.init(path: path, readOnly: true)) { reader in
                try await reader.prepare()  // checks the tables exist; creates nothing
                #expect(try await reader.totalUsers() == Set(first.map(\.id)).count)
                let more = (0..<50).map { _ in generator.row(idPool: 100_000) }
                try await writer.write(batch(slice(more, from: 100)))
                #expect(try await reader.totalUsers() == Set((first + more).map(\.id)).count)
                let error = await #expect(throws: StoreError.self) { try await reader.write(batch(slice(more, from: 150))) }
                #expect(error?.code == .readOnly)
            }
            // SQLite itself refuses writes on a read-only connection.
            let raw = try RawConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 100)
            defer { raw.close() }
            let error = #expect(throws: StoreError.self) { try raw.execute("DELETE FROM created_users") }
            #expect(error?.code == .readOnly)
        }
    }

    @Test func openingAMissingStoreReadOnlyNamesThePath() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/nope/freshet.sqlite"
            let error = await #expect(throws: StoreError.self) {
                try await SQLiteStore.withStore(.init(path: path, readOnly: true)) { _ in }
            }
            #expect(error?.code == .cannotOpen)
            #expect(error?.message.contains(path) == true)
            #expect(error?.context["path"] == path)
        }
    }

    @Test func aReadOnlyStoreWithoutTablesIsNotPrepared() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/empty.sqlite"
            try await SQLiteStore.withStore(.init(path: path)) { _ in }  // creates an empty file
            let error = await #expect(throws: StoreError.self) {
                try await SQLiteStore.withStore(.init(path: path, readOnly: true)) { try await $0.prepare() }
            }
            #expect(error?.code == .notPrepared)
        }
    }

    @Test func errorPathsCloseTheirConnections() async throws {
        try await withTemporaryDirectory { directory in
            // Not a database: the writer opens, the probe fails, both handles are closed.
            let garbage = directory + "/garbage.sqlite"
            try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: garbage))
            let error = await #expect(throws: StoreError.self) {
                try await SQLiteStore.withStore(.init(path: garbage)) { _ in }
            }
            #expect(error?.code == .corrupt)

            // The parent "directory" is a file.
            let underFile = garbage + "/store/freshet.sqlite"
            let openError = await #expect(throws: StoreError.self) { _ = try await SQLiteStore.open(.init(path: underFile)) }
            #expect(openError?.code == .cannotOpen)

            // A failing body still closes the store; later calls fail with `closed`, not a crash.
            struct BodyFailed: Error {}
            let path = directory + "/ok.sqlite"
            nonisolated(unsafe) var escaped: SQLiteStore?
            await #expect(throws: BodyFailed.self) {
                try await SQLiteStore.withStore(.init(path: path)) { store in
                    try await store.prepare()
                    escaped = store
                    throw BodyFailed()
                }
            }
            let closedError = await #expect(throws: StoreError.self) { _ = try await escaped?.totalUsers() }
            #expect(closedError?.code == .closed)
            try await escaped?.close()  // idempotent
        }
    }
}
