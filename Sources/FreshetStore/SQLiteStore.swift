import Foundation
import FreshetContracts
import FreshetCore
import NIOConcurrencyHelpers
import NIOPosix

/// The embedded default store: one SQLite file in WAL mode.
///
/// A writer store holds two connections: a writer (used by ``write(_:)``, ``prepare()``,
/// ``positions(topic:)``) and a read-only reader for the dashboard queries, so queries never wait
/// behind a batch. A read-only store (``Configuration/readOnly``) holds only the reader; use it
/// from another process (the CLI) while `freshet up` writes.
///
/// Each call is one blocking hop onto `NIOThreadPool`; a whole ``write(_:)`` batch — every row,
/// window increment, counter delta and position, and the commit — runs in that single hop with
/// cached prepared statements. Call ``close()`` when done (or use ``withStore(_:_:)``).
public final class SQLiteStore: TransactionalSink, UserQueries, KeyedRowStore, FaultInjectable {
    /// How the store opens its file.
    public struct Configuration: Sendable {
        /// The database file. Its directory is created if missing (writer only).
        public var path: String
        /// Open read-only: queries work while another process writes; writes fail with
        /// ``StoreError/Code-swift.struct/readOnly``. Defaults to `false`.
        public var readOnly: Bool
        /// `PRAGMA synchronous`. Defaults to ``Synchronous/full``: every commit fsyncs the WAL, so
        /// a batch ``write(_:)`` returned for survives power loss, and the processor may commit
        /// log offsets after it. `.normal` can lose the last commits on power loss (not on a
        /// process crash) — that would break exactly-once, so use it only for throwaway runs.
        public var synchronous: Synchronous
        /// How long a connection waits for another's lock before failing with
        /// ``StoreError/Code-swift.struct/busy``. Defaults to 5 seconds.
        public var busyTimeout: Duration
        /// Page cache of the writer connection, in KiB (`PRAGMA cache_size = -KiB`). Defaults to
        /// 16,384 (16 MiB); `freshet up` sets it from `store.sqlite_cache_bytes` (16 MiB by
        /// default: larger caches measured no faster, docs/store.md). The read-only
        /// connection gets at most 16 MiB of it (the dashboard's queries are small). Clamped to
        /// 64 KiB … 1 TiB.
        public var cacheSizeKiB: Int
        /// How `user_counts` is maintained. Defaults to ``CounterMaintenance/swiftDeltas``.
        public var counterMaintenance: CounterMaintenance
        /// The writer's `PRAGMA wal_autocheckpoint`, in bytes (divided by the file's page size): the
        /// WAL is copied back into the database (and both fsynced) each time it grows past this.
        /// Larger means fewer, bigger checkpoints (fewer fsyncs, pages rewritten by several batches
        /// copied once) and a larger WAL file. Defaults to 64 MiB.
        public var walAutocheckpointBytes: Int
        /// `PRAGMA page_size` for a new database file (ignored for an existing one, which keeps
        /// the size it was created with). Defaults to 16,384: with the random-UUID id index, a
        /// 50,000-row transaction ran 1.28× faster than on 4 KiB pages (docs/store.md).
        public var pageSize: Int

        public init(
            path: String, readOnly: Bool = false, synchronous: Synchronous = .full,
            busyTimeout: Duration = .seconds(5), cacheSizeKiB: Int = 16_384,
            counterMaintenance: CounterMaintenance = .swiftDeltas, walAutocheckpointBytes: Int = 64 << 20,
            pageSize: Int = 16_384
        ) {
            self.path = path
            self.readOnly = readOnly
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.cacheSizeKiB = cacheSizeKiB
            self.counterMaintenance = counterMaintenance
            self.walAutocheckpointBytes = walAutocheckpointBytes
            self.pageSize = pageSize
        }

        /// `cacheSizeKiB` clamped to 64 KiB … 1 TiB.
        var writerCacheKiB: Int { max(64, min(cacheSizeKiB, 1 << 30)) }
        /// The read-only connection's cache: at most 16 MiB.
        var readerCacheKiB: Int { min(writerCacheKiB, 16_384) }
    }

    /// SQLite's `PRAGMA synchronous` levels (in WAL mode).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// No fsync: a power loss may corrupt or lose data. Benchmarks only.
        case off = "OFF"
        /// fsync at checkpoints only: durable across process crashes, not power loss.
        case normal = "NORMAL"
        /// fsync the WAL on every commit: durable across power loss.
        case full = "FULL"
    }

    /// How the dashboard counters (`user_counts`) follow upserts.
    public enum CounterMaintenance: String, Sendable, CaseIterable {
        /// `write` looks up each row's previous counted values by primary key and applies the
        /// aggregated per-batch deltas (a few hundred counter upserts per batch). Faster.
        case swiftDeltas
        /// SQLite triggers on `created_users` (insert/update/delete) adjust `user_counts` per row.
        case triggers
    }

    /// The store file for a data directory: `<dataDirectory>/store/freshet.sqlite`.
    public static func path(dataDirectory: String) -> String {
        var directory = dataDirectory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        return directory + "/store/freshet.sqlite"
    }

    public let configuration: Configuration
    private let armedFault = NIOLockedValueBox<StoreFault?>(nil)
    private let writer: LockedConnection?
    private let reader: LockedConnection
    private let threadPool: NIOThreadPool
    /// Held by an open transaction (`beginTransaction()`); every other use of the writer waits.
    let gate = WriteGate()

    private init(configuration: Configuration, writer: LockedConnection?, reader: LockedConnection, threadPool: NIOThreadPool) {
        self.configuration = configuration
        self.writer = writer
        self.reader = reader
        self.threadPool = threadPool
    }

    /// Opens (and for a writer, creates) the store file and sets WAL mode and the pragmas.
    /// Call ``prepare()`` before the first write.
    public static func open(
        _ configuration: Configuration, threadPool: NIOThreadPool = .singleton
    ) async throws -> SQLiteStore {
        try await threadPool.runIfActive {
            try Self.openBlocking(configuration, threadPool: threadPool)
        }
    }

    /// Opens a store, runs `body`, and closes the store on every path.
    public static func withStore<R: Sendable>(
        _ configuration: Configuration, _ body: (SQLiteStore) async throws -> R
    ) async throws -> R {
        let store = try await open(configuration)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    private static func openBlocking(_ configuration: Configuration, threadPool: NIOThreadPool) throws -> SQLiteStore {
        let path = configuration.path
        let timeout = Int32(
            clamping: configuration.busyTimeout.components.seconds * 1000
                + configuration.busyTimeout.components.attoseconds / 1_000_000_000_000_000)
        var writer: RawConnection?
        do {
            if !configuration.readOnly {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    do {
                        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    } catch {
                        throw StoreError(
                            code: .cannotOpen, message: "cannot create the directory \(directory): \(error)",
                            context: ["path": path])
                    }
                }
                let connection = try RawConnection(path: path, readOnly: false, busyTimeoutMilliseconds: timeout)
                writer = connection
                try connection.execute(
                    """
                    PRAGMA page_size = \(configuration.pageSize);
                    PRAGMA journal_mode = WAL;
                    PRAGMA synchronous = \(configuration.synchronous.rawValue);
                    PRAGMA cache_size = -\(configuration.writerCacheKiB);
                    PRAGMA temp_store = MEMORY;
                    """)
                // The file's own page size: an existing database keeps the one it was created with.
                let pageSize = try connection.prepare("PRAGMA page_size")
                defer { pageSize.finalize() }
                let bytesPerPage = max(512, Int(try pageSize.rows { $0.int(0) }.first ?? 4096))
                try connection.execute(
                    "PRAGMA wal_autocheckpoint = \(max(1, configuration.walAutocheckpointBytes / bytesPerPage));")
            }
            let reader = try RawConnection(path: path, readOnly: true, busyTimeoutMilliseconds: timeout)
            do {
                try reader.execute("PRAGMA cache_size = -\(configuration.readerCacheKiB); PRAGMA query_only = ON;")
                // Fails early (e.g. "file is not a database") rather than at the first query.
                let probe = try reader.prepare(Schema.hasTables)
                defer { probe.finalize() }
                _ = try probe.rows { $0.int(0) }
            } catch {
                reader.close()
                throw error
            }
            return SQLiteStore(
                configuration: configuration,
                writer: writer.map { LockedConnection($0) },
                reader: LockedConnection(reader),
                threadPool: threadPool)
        } catch {
            writer?.close()
            throw error
        }
    }

    /// Closes both connections (waiting for a running call to finish). Idempotent.
    public func close() async throws {
        try await threadPool.runIfActive { [writer, reader] in
            writer?.close()
            reader.close()
        }
    }

    // MARK: Sink

    public func prepare() async throws {
        guard let writer else {
            // A reader only checks that somebody has created the tables.
            try await run(on: reader) { connection in
                let statement = try connection.prepare(Schema.hasTables)
                defer { statement.finalize() }
                if try statement.rows({ $0.int(0) }).first != 1 {
                    throw StoreError(
                        code: .notPrepared, message: "no Freshet store at \(connection.path) (nothing has written to it yet)",
                        context: ["path": connection.path])
                }
            }
            return
        }
        let triggers = configuration.counterMaintenance == .triggers
        try await run(on: writer) { connection in
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(Schema.tables)
                try connection.execute(Schema.dropTriggers)
                if triggers { try connection.execute(Schema.createTriggers) }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    @discardableResult
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        let writer = try self.writerConnection()
        let swiftDeltas = configuration.counterMaintenance == .swiftDeltas
        let fault = armedFault.withLockedValue { fault in
            defer { fault = nil }
            return fault
        }
        let outcomes = try await run(on: writer) { connection in
            if case .failAtStatement(let n) = fault { connection.statementsBeforeFault = n }
            defer { connection.statementsBeforeFault = nil }
            return try Self.writeBlocking(batch, on: connection, swiftDeltas: swiftDeltas)
        }
        if fault == .loseAnswerAfterCommit { throw InjectedStoreFault("the answer to a committed write was lost (injected)") }
        return outcomes
    }

    /// Tests (`SinkContract`): makes the next `write` fail at a chosen step.
    public func injectFault(_ fault: StoreFault) {
        armedFault.withLockedValue { $0 = fault }
    }

    public func upsert(_ rows: [CreatedUserRow]) async throws {
        let writer = try self.writerConnection()
        let swiftDeltas = configuration.counterMaintenance == .swiftDeltas
        try await run(on: writer) { connection in
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try Self.upsertRows(rows, on: connection, swiftDeltas: swiftDeltas)
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    private func writerConnection() throws -> LockedConnection {
        guard let writer else {
            throw StoreError(
                code: .readOnly, message: "the store at \(configuration.path) is open read-only",
                context: ["path": configuration.path])
        }
        return writer
    }

    /// The rows of a write in log order, without copying them: the applied runs of the batch's
    /// slices and, per row, where it is (a pending row costs 16 bytes here, not a second
    /// `CreatedUserRow`).
    struct RowRuns {
        private var runs: [ArraySlice<SinkRecord>] = []
        private var places: [(run: Int, index: Int)] = []

        mutating func append(_ records: ArraySlice<SinkRecord>) {
            guard !records.isEmpty else { return }
            let run = runs.count
            runs.append(records)
            places.reserveCapacity(places.count + records.count)
            for index in records.indices { places.append((run, index)) }
        }

        var count: Int { places.count }

        /// Where a record's row is stored in it (a stored property has an offset).
        private static let rowOffset = MemoryLayout<SinkRecord>.offset(of: \SinkRecord.row)

        /// Calls `body` with the row at `position`, in place (a copy would retain and release
        /// each of its 17 strings).
        func withRow<R>(at position: Int, _ body: (UnsafePointer<CreatedUserRow>) throws -> R) rethrows -> R {
            let place = places[position]
            let run = runs[place.run]
            return try run.withUnsafeBufferPointer { records in
                let record = records.baseAddress! + (place.index - run.startIndex)
                guard let offset = Self.rowOffset else { return try withUnsafePointer(to: record.pointee.row) { try body($0) } }
                return try body(UnsafeRawPointer(record).advanced(by: offset).assumingMemoryBound(to: CreatedUserRow.self))
            }
        }

        /// The positions of the rows in the order of their ids' first 8 bytes (big-endian, which
        /// is the order of SQLite's BINARY collation on those bytes), then of position: rows of
        /// one id keep their log order (the last version wins); which of two different ids that
        /// share 8 bytes goes first does not matter. Integer keys: no String is touched to sort.
        func positionsInIndexOrder() -> [Int] {
            var keyed: [(key: UInt64, position: Int)] = []
            keyed.reserveCapacity(count)
            for position in 0..<count {
                withRow(at: position) { pointer in
                    var key: UInt64 = 0
                    var taken = 0
                    for byte in pointer.pointee.id.utf8 {
                        key = key << 8 | UInt64(byte)
                        taken += 1
                        if taken == 8 { break }
                    }
                    keyed.append((key << (8 * (8 - taken)), position))
                }
            }
            keyed.sort { ($0.key, $0.position) < ($1.key, $1.position) }
            return keyed.map(\.position)
        }
    }

    private struct CounterKey: Hashable {
        var dimension: Schema.Dimension
        var value: String
    }

    private struct WindowKey: Hashable, Comparable {
        var start: Int64
        var dimension: String
        var value: String
        static func < (a: WindowKey, b: WindowKey) -> Bool { (a.start, a.dimension, a.value) < (b.start, b.dimension, b.value) }
    }

    /// One transaction: for each slice (in partition order), the stored position decides what
    /// applies (`SliceFence`); then the rows with their counter deltas, the window counts of the
    /// applied records, and the new positions. A gap rolls everything back.
    private static func writeBlocking(_ batch: SinkBatch, on connection: RawConnection, swiftDeltas: Bool) throws -> [SliceOutcome] {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let outcomes = try applyBlocking(batch, on: connection, swiftDeltas: swiftDeltas)
            try connection.execute("COMMIT")
            return outcomes
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// `writeBlocking` without its `BEGIN` and `COMMIT`: applies the batch inside the open
    /// transaction (the caller rolls back on a throw).
    static func applyBlocking(_ batch: SinkBatch, on connection: RawConnection, swiftDeltas: Bool) throws -> [SliceOutcome] {
        let addWindow = try connection.cached(Schema.addWindow)
        let recordPosition = try connection.cached(Schema.recordPosition)
        let selectPosition = try connection.cached(Schema.selectPosition)
        do {
            var outcomes: [SliceOutcome] = []
            var rows = RowRuns()
            var windows: [WindowKey: Int] = [:]
            var positions: [StreamPosition] = []
            for slice in batch.slices.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
                selectPosition.bind(1, slice.topic)
                selectPosition.bind(2, Int64(slice.partition))
                let stored = try selectPosition.rows { $0.int(0) }.first
                selectPosition.reset()
                let decision = SliceFence.plan(slice, position: stored)
                outcomes.append(SliceOutcome(slice, positionBefore: stored, decision: decision))
                switch decision {
                case .gap(let stored):
                    throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: stored, from: slice.from)
                case .stale:
                    continue
                case .apply(let records, _):
                    rows.append(records)
                    records.withUnsafeBufferPointer { records in
                        for record in records.indices {
                            let pointer = records.baseAddress! + record
                            guard let start = pointer.pointee.windowStart else { continue }
                            SinkRecord.forEachWindowCell(of: pointer.pointee.row) { dimension, value in
                                windows[WindowKey(start: start, dimension: dimension, value: value), default: 0] += 1
                            }
                        }
                    }
                    positions.append(StreamPosition(topic: slice.topic, partition: slice.partition, nextOffset: slice.to))
                }
            }
            try upsertRows(rows, on: connection, swiftDeltas: swiftDeltas)
            for (key, count) in windows.sorted(by: { $0.key < $1.key }) {
                addWindow.bind(1, key.start)
                addWindow.bind(2, key.dimension)
                addWindow.bind(3, key.value)
                addWindow.bind(4, count)
                try addWindow.step(context: ["window": "\(key.start) \(key.dimension)=\(key.value)"])
                addWindow.reset()
            }
            for position in positions {
                recordPosition.bind(1, position.topic)
                recordPosition.bind(2, Int64(position.partition))
                recordPosition.bind(3, position.nextOffset)
                try recordPosition.step(context: ["topic": position.topic, "partition": String(position.partition)])
                recordPosition.reset()
            }
            return outcomes
        }
    }

    /// Upserts rows in order (the last version of an id wins), with the counters following them.
    private static func upsertRows(_ rows: [CreatedUserRow], on connection: RawConnection, swiftDeltas: Bool) throws {
        var runs = RowRuns()
        runs.append(rows.map { SinkRecord(offset: 0, row: $0, windowStart: nil) }[...])
        try upsertRows(runs, on: connection, swiftDeltas: swiftDeltas)
    }

    private static func upsertRows(_ rows: RowRuns, on connection: RawConnection, swiftDeltas: Bool) throws {
        if swiftDeltas {
            try upsertWithDeltas(rows, on: connection, addCount: try connection.cached(Schema.addCount))
        } else {
            // Triggers maintain user_counts.
            let upsert = try connection.cached(Schema.upsertUser)
            for index in 0..<rows.count {
                try rows.withRow(at: index) { row in
                    Schema.bind(row, to: upsert)
                    try upsert.step(context: ["id": row.pointee.id, "index": String(index)])
                }
                upsert.reset()
            }
        }
    }

    /// Upserts rows and applies the `user_counts` deltas they cause.
    ///
    /// The common case, a new id, costs one primary-key probe: `INSERT … ON CONFLICT DO NOTHING`
    /// either inserts (count it in) or changes nothing, and only then do we read the old counted
    /// values and `UPDATE` (move its counts). Rows are applied in order, so an id repeated within
    /// a batch sees its earlier version.
    private static func upsertWithDeltas(_ rows: RowRuns, on connection: RawConnection, addCount: RawStatement) throws {
        let insert = try connection.cached(Schema.insertUserIfNew)
        let lookup = try connection.cached(Schema.lookupCounted)
        let update = try connection.cached(Schema.updateUser)
        var inserted = 0
        var deltas: [CounterKey: Int] = [:]
        func move(_ dimension: Schema.Dimension, from old: String, to new: String) {
            if old == new { return }
            deltas[CounterKey(dimension: dimension, value: old), default: 0] -= 1
            deltas[CounterKey(dimension: dimension, value: new), default: 0] += 1
        }
        // In id order (a repeated id keeps its last-wins order): consecutive probes touch
        // neighbouring primary-key pages, which matters once the index outgrows the page cache.
        for index in rows.positionsInIndexOrder() {
            try rows.withRow(at: index) { row in
                func context() -> [String: String] { ["id": row.pointee.id, "index": String(index)] }
                Schema.bind(row, to: insert)
                try insert.step(context: context())
                insert.reset()
                if connection.changes == 1 {
                    inserted += 1
                    deltas[CounterKey(dimension: .gender, value: row.pointee.gender), default: 0] += 1
                    deltas[CounterKey(dimension: .country, value: row.pointee.country), default: 0] += 1
                    deltas[CounterKey(dimension: .emailDomain, value: row.pointee.emailDomain), default: 0] += 1
                    deltas[CounterKey(dimension: .registrationMonth, value: Schema.month(of: row.pointee.registeredDate)), default: 0] += 1
                    return
                }
                lookup.bind(1, row.pointee.id)
                if try lookup.step(context: context()) {
                    move(.gender, from: lookup.text(0), to: row.pointee.gender)
                    move(.country, from: lookup.text(1), to: row.pointee.country)
                    move(.emailDomain, from: lookup.text(2), to: row.pointee.emailDomain)
                    move(.registrationMonth, from: Schema.month(of: lookup.text(3)), to: Schema.month(of: row.pointee.registeredDate))
                }
                lookup.reset()
                Schema.bind(row, to: update)
                try update.step(context: context())
                update.reset()
            }
        }
        if inserted > 0 { deltas[CounterKey(dimension: .total, value: ""), default: 0] += inserted }
        for (key, delta) in deltas where delta != 0 {
            addCount.bind(1, key.dimension.rawValue)
            addCount.bind(2, key.value)
            addCount.bind(3, delta)
            try addCount.step()
            addCount.reset()
        }
    }

    public func positions(topic: String) async throws -> [Int32: Int64] {
        try await Self.positions(topic: topic) { body in try await self.run(on: self.writer ?? self.reader, body) }
    }

    fileprivate static func positions(
        topic: String, on run: (@escaping @Sendable (RawConnection) throws -> [(Int32, Int64)]) async throws -> [(Int32, Int64)]
    ) async throws -> [Int32: Int64] {
        let pairs = try await run { connection in
            let statement = try connection.cached(Schema.selectPositions)
            statement.bind(1, topic)
            return try statement.rows { (Int32(truncatingIfNeeded: $0.int(0)), $0.int(1)) }
        }
        return Dictionary(pairs, uniquingKeysWith: { $1 })
    }

    // MARK: UserQueries

    public func totalUsers() async throws -> Int {
        try await read { connection in
            Int(try connection.cached(Schema.selectTotal).rows { $0.int(0) }.first ?? 0)
        }
    }

    public func countsByGender() async throws -> [LabeledCount] {
        try await counts(.gender, byCount: true, limit: -1)
    }

    public func topCountries(limit: Int) async throws -> [LabeledCount] {
        try await counts(.country, byCount: true, limit: limit)
    }

    public func registrationsPerMonth() async throws -> [LabeledCount] {
        try await counts(.registrationMonth, byCount: false, limit: -1)
    }

    public func topEmailDomains(limit: Int) async throws -> [LabeledCount] {
        try await counts(.emailDomain, byCount: true, limit: limit)
    }

    private func counts(_ dimension: Schema.Dimension, byCount: Bool, limit: Int) async throws -> [LabeledCount] {
        try await read { connection in
            let statement = try connection.cached(byCount ? Schema.selectCountsByCount : Schema.selectCountsByValue)
            statement.bind(1, dimension.rawValue)
            statement.bind(2, limit)
            return try statement.rows { LabeledCount(label: $0.text(0), count: Int($0.int(1))) }
        }
    }

    public func recentUsers(limit: Int) async throws -> [CreatedUserRow] {
        try await read { connection in
            let statement = try connection.cached(Schema.selectRecent)
            statement.bind(1, max(0, limit))
            return try statement.rows(Schema.readRow)
        }
    }

    public func windowCounts(dimension: String, since: Int64) async throws -> [WindowCount] {
        try await read { connection in
            let statement = try connection.cached(Schema.selectWindows)
            statement.bind(1, dimension)
            statement.bind(2, since)
            return try statement.rows {
                WindowCount(windowStart: $0.int(0), dimension: $0.text(1), value: $0.text(2), count: Int($0.int(3)))
            }
        }
    }

    public func user(id: String) async throws -> CreatedUserRow? {
        try await read { connection in
            let statement = try connection.cached(Schema.selectUser)
            statement.bind(1, id)
            return try statement.rows(Schema.readRow).first
        }
    }

    /// Ids are never empty (a CHECK constraint), so "after nothing" is "after ''".
    public func users(limit: Int, after cursor: String?) async throws -> [CreatedUserRow] {
        try await read { connection in
            let statement = try connection.cached(Schema.selectPage)
            statement.bind(1, cursor ?? "")
            statement.bind(2, max(0, limit))
            return try statement.rows(Schema.readRow)
        }
    }

    // MARK: KeyedRowStore

    public func keyedRow(table: String, key: String) async throws -> [UInt8]? {
        try await readKeyed { connection in
            let statement = try connection.cached(Schema.selectKeyedRow)
            statement.bind(1, table)
            statement.bind(2, key)
            return try statement.rows { $0.blob(0) }.first
        } ?? nil
    }

    public func keyedRows(table: String, limit: Int, after key: String?) async throws -> [KeyedRow] {
        try await readKeyed { connection in
            let statement = try connection.cached(Schema.selectKeyedRows)
            statement.bind(1, table)
            statement.bind(2, key)
            statement.bind(3, max(0, limit))
            return try statement.rows { KeyedRow(table: table, key: $0.text(0), value: $0.blob(1)) }
        } ?? []
    }

    public func keyedRowCount(table: String) async throws -> Int {
        try await readKeyed { connection in
            let statement = try connection.cached(Schema.countKeyedRows)
            statement.bind(1, table)
            return Int(try statement.rows { $0.int(0) }.first ?? 0)
        } ?? 0
    }

    public func putKeyedRows(_ rows: [KeyedRow]) async throws {
        try await upsert([], putting: rows)
    }

    public func upsert(_ rows: [CreatedUserRow], putting keyed: [KeyedRow]) async throws {
        let writer = try self.writerConnection()
        let swiftDeltas = configuration.counterMaintenance == .swiftDeltas
        try await run(on: writer) { connection in
            let put = try connection.cached(Schema.putKeyedRow)
            try connection.execute("BEGIN IMMEDIATE")
            do {
                if !rows.isEmpty { try Self.upsertRows(rows, on: connection, swiftDeltas: swiftDeltas) }
                for row in keyed {
                    put.bind(1, row.table)
                    put.bind(2, row.key)
                    put.bind(3, blob: row.value)
                    try put.step(context: ["table": row.table, "key": row.key])
                    put.reset()
                }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs a keyed-rows read on the writer (so a remote writer reads its own writes) or the
    /// reader; `nil` when the store predates the `keyed_rows` table (read-only, never prepared
    /// by this version).
    private func readKeyed<T: Sendable>(_ body: @escaping @Sendable (RawConnection) throws -> T) async throws -> T? {
        try await run(on: writer ?? reader) { connection in
            let probe = try connection.cached(Schema.hasKeyedRows)
            guard try probe.rows({ $0.int(0) }).first == 1 else { return nil }
            return try body(connection)
        }
    }

    // MARK: Plumbing

    /// Runs `body` on the writer connection (tests use it to inject faults, e.g. `max_page_count`).
    func withWriterConnection<T: Sendable>(_ body: @escaping @Sendable (RawConnection) throws -> T) async throws -> T {
        guard let writer else { throw StoreError.closed(path: configuration.path) }
        return try await run(on: writer, body)
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (RawConnection) throws -> T) async throws -> T {
        try await run(on: reader, body)
    }

    /// Runs `body` on `connection` in one thread-pool hop; on the writer, once no transaction is
    /// open (`WriteGate`).
    private func run<T: Sendable>(
        on connection: LockedConnection, _ body: @escaping @Sendable (RawConnection) throws -> T
    ) async throws -> T {
        if connection === writer {
            return try await gate.withGate { try await hop(on: connection, body) }
        }
        return try await hop(on: connection, body)
    }

    private func hop<T: Sendable>(
        on connection: LockedConnection, _ body: @escaping @Sendable (RawConnection) throws -> T
    ) async throws -> T {
        try await threadPool.runIfActive {
            try connection.withConnection(body)
        }
    }

    // MARK: A transaction across writes

    /// Opens a transaction (`BEGIN IMMEDIATE`) that later `apply` calls join: the processor
    /// streams the polls of one large transaction into it and commits once. Until it ends, the
    /// store's other writes (and `positions`) wait; use the transaction's own `positions`.
    public func beginTransaction() async throws -> any SinkTransaction {
        let writer = try self.writerConnection()
        await gate.acquire()
        do {
            try await hop(on: writer) { try $0.execute("BEGIN IMMEDIATE") }
        } catch {
            gate.release()
            throw error
        }
        return Transaction(store: self, writer: writer)
    }

    /// An open `BEGIN IMMEDIATE` transaction on the writer, holding the store's `WriteGate`.
    ///
    /// `ended` is set in the same thread-pool hop (under the connection's lock) as the `COMMIT`
    /// or `ROLLBACK`, and an apply checks it, and that SQLite has the transaction open, in its
    /// own hop: an apply that comes late can never run in autocommit mode, nor in the next
    /// transaction of the connection.
    final class Transaction: SinkTransaction {
        private let store: SQLiteStore
        private let writer: LockedConnection
        /// Set once the transaction is committed or rolled back; the gate is released then.
        private let ended = NIOLockedValueBox(false)
        /// The gate was released (once).
        private let released = NIOLockedValueBox(false)

        init(store: SQLiteStore, writer: LockedConnection) {
            self.store = store
            self.writer = writer
        }

        deinit {
            // Dropped without an end (a caller's bug): roll back, so the writer is usable again.
            if !released.withLockedValue({ $0 }) {
                let writer = writer
                let gate = store.gate
                let ended = ended
                store.threadPool.submit { _ in
                    try? writer.withConnection { connection in
                        if !ended.withLockedValue({ $0 }), connection.inTransaction { try connection.execute("ROLLBACK") }
                    }
                    gate.release()
                }
            }
        }

        private func checkOpen() throws {
            if ended.withLockedValue({ $0 }) { throw endedError }
        }

        private var endedError: StoreError {
            StoreError(code: .transactionEnded, message: "the store transaction has ended", context: ["path": store.configuration.path])
        }

        func apply(_ batch: SinkBatch) async throws -> [SliceOutcome] {
            try checkOpen()
            let swiftDeltas = store.configuration.counterMaintenance == .swiftDeltas
            let fault = store.takeFault { if case .failAtStatement = $0 { true } else { false } }
            do {
                return try await store.hop(on: writer) { [ended, endedError] connection in
                    guard !ended.withLockedValue({ $0 }), connection.inTransaction else { throw endedError }
                    if case .failAtStatement(let n) = fault { connection.statementsBeforeFault = n }
                    defer { connection.statementsBeforeFault = nil }
                    return try SQLiteStore.applyBlocking(batch, on: connection, swiftDeltas: swiftDeltas)
                }
            } catch {
                await rollback()
                throw error
            }
        }

        func positions(topic: String) async throws -> [Int32: Int64] {
            try checkOpen()
            return try await SQLiteStore.positions(topic: topic) { body in try await self.store.hop(on: self.writer, body) }
        }

        func commit() async throws {
            try checkOpen()
            let fault = store.takeFault { $0 == .loseAnswerAfterCommit }
            do {
                try await store.hop(on: writer) { [ended, endedError] connection in
                    guard !ended.withLockedValue({ $0 }), connection.inTransaction else { throw endedError }
                    try connection.execute("COMMIT")
                    ended.withLockedValue { $0 = true }
                }
            } catch {
                await rollback()
                throw error
            }
            release()
            if fault == .loseAnswerAfterCommit { throw InjectedStoreFault("the answer to a committed transaction was lost (injected)") }
        }

        func rollback() async {
            // A failed statement may have rolled SQLite's transaction back already: then there
            // is nothing to roll back.
            _ = try? await store.hop(on: writer) { [ended] connection in
                let first = ended.withLockedValue { ended -> Bool in
                    defer { ended = true }
                    return !ended
                }
                if first, connection.inTransaction { try connection.execute("ROLLBACK") }
            }
            // The hop did not run (the store's thread pool stopped): the transaction is over all the same.
            ended.withLockedValue { $0 = true }
            release()
        }

        private func release() {
            let first = released.withLockedValue { released -> Bool in
                defer { released = true }
                return !released
            }
            if first { store.gate.release() }
        }
    }

    /// Takes the armed fault if `matches` says it is for this step.
    fileprivate func takeFault(_ matches: (StoreFault) -> Bool) -> StoreFault? {
        armedFault.withLockedValue { fault in
            guard let armed = fault, matches(armed) else { return nil }
            fault = nil
            return armed
        }
    }
}

/// A `RawConnection` behind a lock; `nil` after close.
final class LockedConnection: @unchecked Sendable {
    private let lock = NIOLock()
    private var connection: RawConnection?
    private let path: String

    init(_ connection: RawConnection) {
        self.connection = connection
        self.path = connection.path
    }

    func withConnection<T>(_ body: (RawConnection) throws -> T) throws -> T {
        try lock.withLock {
            guard let connection else { throw StoreError.closed(path: path) }
            return try body(connection)
        }
    }

    func close() {
        lock.withLock {
            connection?.close()
            connection = nil
        }
    }
}
