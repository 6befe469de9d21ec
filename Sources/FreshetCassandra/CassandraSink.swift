import FreshetCQL
import FreshetCQLClient
import FreshetContracts
import FreshetCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A `Sink` (and the dashboard's `UserQueries`) over a Cassandra cluster — or another Freshet's
/// CQL endpoint: `created_users` as the seeds define it, plus the sink's own bookkeeping.
///
/// Cassandra has no multi-row transactions (and the sink uses no lightweight transactions), so
/// the store contract is kept another way: every write is an upsert of a value *as of* a log
/// offset, with `USING TIMESTAMP` derived from that offset (`CassandraWriteTime`), and
/// Cassandra's last write wins keeps the newest state whatever order writes land in. A write
/// computed correctly from a consistent snapshot is correct whoever makes it; a zombie's late
/// writes lose to newer ones.
///
/// Tables (in `configuration.keyspace`, created by `prepare()` if missing):
/// - `created_users`: `id text PRIMARY KEY`, the other strings `text`, `age bigint`, `nat text`,
///   `ingested_at timestamp` — the columns and types of Freshet's own CQL endpoint.
/// - `stream_positions` (R): `id` ("topic/partition"), `topic`, `partition`, `next_offset` —
///   every row of a record below it is written. What `positions(topic:)` returns.
/// - `stream_state` (P, R ≤ P): `id` ("topic/partition"), `topic`, `partition`,
///   `counted_offset`, `counters` and `recent` (blobs: the dashboard counters and the recent
///   users as of `counted_offset`: every record below it counted once), `pending` (only the
///   upserts' row "(upserts)").
/// - `partition_windows`: `id` ("topic/partition/window_start"), `topic`, `partition`,
///   `window_start`, `as_of`, `cells` (blob): the partition's counts of one window, as of `as_of`.
///
/// `write(batch)`, for each slice [from, to) of partition p, after reading R and P of every
/// slice and refusing the batch (before any write) if a slice starts beyond its R:
/// 1. to ≤ R: stale, nothing to do.
/// 2. Write the rows of records in [max(from, R), min(to, P)): counted by an earlier write that
///    stopped before writing them. Now every row below P is written.
/// 3. If to ≤ P: write R = to; done.
/// 4. Read the stored rows (and their write times) of the records' ids in [P, to), and count
///    those records (`CassandraCountingPlan`): a record whose row wins over the version before
///    it moves the counters from that version to it; every record counts in its window.
/// 5. Read the window rows they touch; for each, add the records at or beyond both P and the
///    row's `as_of`, and write it as of `to` (skipped when its `as_of` ≥ to).
/// 6. Read the state again: if it is no longer as of P, another writer moved it: start over.
/// 7. Write the state as of `to`, then the rows of step 4, then R = to.
///
/// Why each record is counted once whatever crashes, retries and zombies do:
/// - The counters move only with the state write of step 7, one row written whole, at the
///   timestamp of the offset it is as of: a state as of `to` replaces one as of P < to and never
///   the reverse. Two writers that both read the state as of P and pass step 6 compute the same
///   state as of the same `to` from the same snapshot (or states as of different ends, the later
///   winning, each correct). Step 6 sees a state moved by anyone whose rows this writer could
///   have read in step 4: rows at or beyond P are only written after a state beyond P.
/// - A window row as of A counts exactly the partition's records below A that count in it. Step
///   5 adds only records at or beyond A (and P: records below P in the window were counted by
///   the writer that moved the state to P, which wrote the window first), so a crashed writer's
///   window writes, or a zombie's, are never counted again; a later `as_of` wins.
/// - A crash before step 7 leaves the state as of P: the retry counts again, from the same
///   snapshot. A crash after it leaves rows unwritten below the new P and R behind: the retry
///   (the processor resumes from R) writes them in step 2, and counts nothing twice.
/// - A zombie (paused past its session, then resumed) writes a state, windows, rows and R as of
///   offsets the live writer has passed: each loses to the newer write, or equals it.
///
/// `upsert(rows)` (rows outside the log, e.g. CQL INSERTs) keeps the counters in the state row
/// "(upserts)": the rows go into its `pending` with the counters, then are written; the next
/// upsert first writes the previous one's pending rows. Upserts take turns within one sink; an
/// upsert racing a log write of the same id, or another process's upsert, may count that id's
/// change twice.
///
/// Reads must see the writes acknowledged before them: the default LOCAL_QUORUM (or ONE with
/// replication factor 1) does.
public final class CassandraSink: Sink, FaultInjectable {
    public let configuration: CassandraSinkConfiguration
    public let client: CQLClient
    private let statements = Mutex<Statements?>(nil)
    private let armedFault = Mutex<StoreFault?>(nil)
    private let upsertTurn = AsyncTurns()
    /// Tests: awaited at each step of a slice's write, to stop a writer there (a zombie).
    let stepHook = Mutex<(@Sendable (WriteStep) async -> Void)?>(nil)
    private let logger: Logger
    /// Milliseconds since the epoch, for the dashboard's recent windows.
    let now: @Sendable () -> Int64

    /// Rows the sink writes at most (their cells, encoded): Freshet's CQL endpoint keeps rows of
    /// up to 64 KiB by default. A larger row is refused before anything is written.
    public static let maximumRowBytes = 64 * 1024
    /// Restarts of a slice's write when other writers keep moving its state.
    static let maximumAttempts = 50
    /// The upserts' row of `stream_state`.
    static let upsertsID = "(upserts)"

    struct Statements: Sendable {
        var insertUser: CQLPreparedStatement
        var selectUser: CQLPreparedStatement
        var selectUserVersion: CQLPreparedStatement
        var usersFromStart: CQLPreparedStatement
        var usersAfter: CQLPreparedStatement
        var insertPosition: CQLPreparedStatement
        var selectPosition: CQLPreparedStatement
        var selectPositions: CQLPreparedStatement
        var insertState: CQLPreparedStatement
        var selectState: CQLPreparedStatement
        var selectStates: CQLPreparedStatement
        var insertWindow: CQLPreparedStatement
        var selectWindow: CQLPreparedStatement
        var selectWindows: CQLPreparedStatement
        /// `created_users.age` is `int` in a keyspace an earlier Freshet created (`bigint` since).
        var ageIsInt: Bool
    }

    init(configuration: CassandraSinkConfiguration, client: CQLClient, logger: Logger, now: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.now = now
    }

    /// The client settings the sink uses.
    public static func clientConfiguration(_ configuration: CassandraSinkConfiguration) -> CQLClientConfiguration {
        var connection = CQLConnection.Configuration(
            credentials: configuration.credentials, connectTimeout: .seconds(Int64(configuration.connectTimeoutSeconds)),
            requestTimeout: .seconds(Int64(configuration.requestTimeoutSeconds)))
        if configuration.tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = configuration.tlsCAFile { tls.trustRoots = .file(ca) }
            connection.tls = tls
        }
        return CQLClientConfiguration(
            contactPoints: configuration.contactPoints, connection: connection, connectionsPerHost: configuration.connectionsPerHost,
            consistency: configuration.consistency, localDataCenter: configuration.localDataCenter)
    }

    /// Connects to the cluster. Call `prepare()` before the first write or query.
    public static func connect(
        _ configuration: CassandraSinkConfiguration, logger: Logger = Logger(label: "freshet.cassandra"),
        now: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch }
    ) async throws -> CassandraSink {
        let client = try await CQLClient.connect(clientConfiguration(configuration), logger: logger)
        return CassandraSink(configuration: configuration, client: client, logger: logger, now: now)
    }

    /// Connects with a `cassandra://` URL.
    public static func connect(url: String, logger: Logger = Logger(label: "freshet.cassandra")) async throws -> CassandraSink {
        try await connect(try CassandraSinkConfiguration(url: url), logger: logger)
    }

    var keyspace: String { configuration.keyspace }

    /// The CQL type of each `created_users` column.
    static func cqlType(of column: String) -> String {
        switch column {
        case "age": "bigint"
        case "ingested_at": "timestamp"
        default: "text"
        }
    }

    /// The DDL `prepare()` runs, in order.
    public var schemaStatements: [String] {
        let columns = CreatedUserRow.columns.map { $0 == "id" ? "id text PRIMARY KEY" : "\($0) \(Self.cqlType(of: $0))" }
        return [
            "CREATE KEYSPACE IF NOT EXISTS \(keyspace) WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '\(configuration.replicationFactor)'}",
            "CREATE TABLE IF NOT EXISTS \(keyspace).created_users (\(columns.joined(separator: ", ")))",
            "CREATE TABLE IF NOT EXISTS \(keyspace).stream_positions (id text PRIMARY KEY, topic text, partition int, next_offset bigint)",
            "CREATE TABLE IF NOT EXISTS \(keyspace).stream_state (id text PRIMARY KEY, topic text, partition int, counted_offset bigint, counters blob, recent blob, pending blob)",
            "CREATE TABLE IF NOT EXISTS \(keyspace).partition_windows (id text PRIMARY KEY, topic text, partition int, window_start timestamp, as_of bigint, cells blob)",
        ]
    }

    public func prepare() async throws {
        for statement in schemaStatements {
            do {
                // The client waits for schema agreement after each change.
                try await client.query(statement, idempotent: true)
            } catch let error as CQLClientError {
                throw CassandraSinkError(code: .schemaFailed, message: "\(statement): \(error.message)", underlying: error)
            }
        }
        let columns = CreatedUserRow.columns.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: CreatedUserRow.columns.count).joined(separator: ", ")
        let ks = keyspace
        do {
            let insertUser = try await client.prepare("INSERT INTO \(ks).created_users (\(columns)) VALUES (\(placeholders)) USING TIMESTAMP ?")
            let ageIndex = CreatedUserRow.columns.firstIndex(of: "age") ?? 0
            let prepared = Statements(
                insertUser: insertUser,
                selectUser: try await client.prepare("SELECT \(columns) FROM \(ks).created_users WHERE id = ?"),
                selectUserVersion: try await client.prepare("SELECT \(columns), writetime(first_name) FROM \(ks).created_users WHERE id = ?"),
                usersFromStart: try await client.prepare("SELECT \(columns) FROM \(ks).created_users WHERE token(id) > ? LIMIT ?"),
                usersAfter: try await client.prepare("SELECT \(columns) FROM \(ks).created_users WHERE token(id) > token(?) LIMIT ?"),
                insertPosition: try await client.prepare(
                    "INSERT INTO \(ks).stream_positions (id, topic, partition, next_offset) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"),
                selectPosition: try await client.prepare("SELECT next_offset FROM \(ks).stream_positions WHERE id = ?"),
                selectPositions: try await client.prepare("SELECT topic, partition, next_offset FROM \(ks).stream_positions"),
                insertState: try await client.prepare(
                    "INSERT INTO \(ks).stream_state (id, topic, partition, counted_offset, counters, recent, pending) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
                ),
                selectState: try await client.prepare("SELECT counted_offset, counters, recent, pending FROM \(ks).stream_state WHERE id = ?"),
                selectStates: try await client.prepare("SELECT id, topic, partition, counted_offset, counters, recent FROM \(ks).stream_state"),
                insertWindow: try await client.prepare(
                    "INSERT INTO \(ks).partition_windows (id, topic, partition, window_start, as_of, cells) VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"),
                selectWindow: try await client.prepare("SELECT as_of, cells FROM \(ks).partition_windows WHERE id = ?"),
                selectWindows: try await client.prepare("SELECT topic, partition, window_start, cells FROM \(ks).partition_windows"),
                ageIsInt: insertUser.metadata.columns.indices.contains(ageIndex) && insertUser.metadata.columns[ageIndex].type == .int)
            statements.withLock { $0 = prepared }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .schemaFailed, message: "cannot prepare the sink's statements: \(error.message)", underlying: error)
        }
    }

    func prepared() throws -> Statements {
        guard let statements = statements.withLock({ $0 }) else {
            throw CassandraSinkError(code: .schemaFailed, message: "call prepare() before using the Cassandra sink")
        }
        return statements
    }

    // MARK: Values

    /// The bound values of a row, in `CreatedUserRow.columns` order.
    static func values(_ row: CreatedUserRow, ageIsInt: Bool = false) -> [CQLValue?] {
        [
            .text(row.id), .text(row.firstName), .text(row.lastName), .text(row.gender), .text(row.address), .text(row.postCode),
            .text(row.email), .text(row.username), .text(row.dob), .text(row.registeredDate), .text(row.phone), .text(row.picture),
            .text(row.year), .text(row.month), .text(row.day), .text(row.country), .text(row.emailDomain),
            ageIsInt ? .int(Int32(clamping: row.age)) : .bigint(Int64(row.age)), row.nat.map(CQLValue.text), .timestamp(row.ingestedAt),
        ]
    }

    /// A row from its cells in `CreatedUserRow.columns` order; nil when one is missing or mistyped.
    static func row(_ cells: ArraySlice<CQLValue?>) -> CreatedUserRow? {
        guard cells.count >= CreatedUserRow.columns.count else { return nil }
        let c = Array(cells.prefix(CreatedUserRow.columns.count))
        func text(_ i: Int) -> String? {
            if case .text(let s)? = c[i] { return s }
            if case .ascii(let s)? = c[i] { return s }
            return nil
        }
        let age: Int
        switch c[17] {
        case .bigint(let v)?: age = Int(v)
        case .int(let v)?: age = Int(v)
        default: return nil
        }
        guard case .timestamp(let ingestedAt)? = c[19] else { return nil }
        let texts = (0..<17).compactMap(text)
        guard texts.count == 17 else { return nil }
        return CreatedUserRow(
            id: texts[0], firstName: texts[1], lastName: texts[2], gender: texts[3], address: texts[4], postCode: texts[5], email: texts[6],
            username: texts[7], dob: texts[8], registeredDate: texts[9], phone: texts[10], picture: texts[11], year: texts[12], month: texts[13],
            day: texts[14], country: texts[15], emailDomain: texts[16], age: age, nat: text(18), ingestedAt: ingestedAt)
    }

    static func positionID(topic: String, partition: Int32) -> String { "\(topic)/\(partition)" }
    static func windowID(topic: String, partition: Int32, start: Int64) -> String { "\(topic)/\(partition)/\(start)" }

    /// Refuses, before anything is written, a row the cluster would refuse (Freshet's endpoint
    /// keeps ids of 1…255 bytes and rows of at most `maximumRowBytes`): the processor
    /// dead-letters it.
    static func validate(_ row: CreatedUserRow) throws {
        guard (1...255).contains(row.id.utf8.count) else {
            throw CassandraSinkError(code: .rowRejected, message: "row id must be 1 to 255 bytes long (got \(row.id.utf8.count))", rowID: row.id)
        }
        let size = values(row).reduce(0) { $0 + 4 + ($1?.serializedSize ?? 0) }
        guard size <= maximumRowBytes else {
            throw CassandraSinkError(
                code: .rowRejected, message: "row \(row.id) takes \(size) bytes, more than the \(maximumRowBytes) the sink writes", rowID: row.id)
        }
    }

    // MARK: Faults

    /// Where a slice's write is, for `stepHook`.
    enum WriteStep: Sendable, Equatable {
        /// Read the positions and the state it starts from (attempt 0, 1, …).
        case readState(attempt: Int)
        /// Wrote the windows, before checking the state again.
        case wroteWindows
        /// Checked the state, before writing it.
        case checkedState
        /// Wrote the state, before the rows.
        case wroteState
    }

    private func reached(_ step: WriteStep) async {
        if let hook = stepHook.withLock({ $0 }) { await hook(step) }
    }

    /// Tests (`SinkContract`): the next `write` fails at its n-th CQL request (the earlier ones
    /// ran), or completes and then reports a failure.
    public func injectFault(_ fault: StoreFault) {
        armedFault.withLock { $0 = fault }
    }

    /// Counts the CQL requests of one write and fails them from the armed fault's on.
    final class Requests: Sendable {
        let fault: StoreFault?
        private let sent = Atomic<Int>(0)

        init(fault: StoreFault?) { self.fault = fault }

        func next() throws {
            let n = sent.add(1, ordering: .relaxed).newValue
            if case .failAtStatement(let k) = fault, n >= k {
                throw InjectedStoreFault("the write stopped at its CQL request \(n) (injected at \(k))")
            }
        }
    }

    // MARK: Write

    @discardableResult
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        let statements = try prepared()
        let requests = Requests(
            fault: armedFault.withLock { fault in
                defer { fault = nil }
                return fault
            })
        for slice in batch.slices {
            guard (0..<CassandraWriteTime.partitionLimit).contains(slice.partition), slice.from >= 0, slice.from <= slice.to,
                slice.to < CassandraWriteTime.offsetLimit
            else {
                throw CassandraSinkError(
                    code: .writeFailed,
                    message:
                        "\(slice.topic)/\(slice.partition) [\(slice.from), \(slice.to)): the Cassandra sink takes partitions below \(CassandraWriteTime.partitionLimit) and offsets below \(CassandraWriteTime.offsetLimit)"
                )
            }
            for record in slice.records { try Self.validate(record.row) }
        }
        // Every slice's positions first: a batch with a gap is refused before anything is written.
        let positions = try await concurrently(batch.slices) { slice in
            try await self.rowsPosition(topic: slice.topic, partition: slice.partition, statements, requests)
        }
        var outcomes: [SliceOutcome] = []
        for (slice, position) in zip(batch.slices, positions) {
            let decision = SliceFence.plan(slice, position: position)
            if case .gap(let stored) = decision {
                throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: stored, from: slice.from)
            }
            outcomes.append(SliceOutcome(slice, positionBefore: position, decision: decision))
        }
        // One slice after another: an id written through two partitions sees the first's row.
        for (slice, outcome) in zip(batch.slices, outcomes) where !outcome.stale {
            try await apply(slice, statements, requests)
        }
        if requests.fault == .loseAnswerAfterCommit { throw InjectedStoreFault("the answer to a completed write was lost (injected)") }
        return outcomes
    }

    /// Steps 2–7 of the write (see the type's documentation) for one slice.
    private func apply(_ slice: PartitionSlice, _ statements: Statements, _ requests: Requests) async throws {
        let id = Self.positionID(topic: slice.topic, partition: slice.partition)
        for attempt in 0..<Self.maximumAttempts {
            let stored = try await rowsPosition(topic: slice.topic, partition: slice.partition, statements, requests)
            let rowsPosition = stored ?? slice.from
            if slice.to <= rowsPosition { return }  // another writer finished it meanwhile
            if slice.from > rowsPosition {
                throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: rowsPosition, from: slice.from)
            }
            let state = try await self.state(id, statements, requests)
            await reached(.readState(attempt: attempt))
            // Nothing counted yet (or a keyspace of an earlier sink): counted up to the rows.
            let counted = max(state?.countedOffset ?? rowsPosition, rowsPosition)
            // 2. Rows counted by a write that stopped before writing them.
            let uncounted = slice.records.filter { $0.offset >= rowsPosition && $0.offset < min(slice.to, counted) }
            try await writeRows(Self.lastVersions(uncounted, partition: slice.partition), statements, requests)
            // 3. Nothing left to count.
            if slice.to <= counted {
                try await writePosition(slice, statements, requests)
                return
            }
            // 4. Count the records beyond `counted`, against their rows as stored now.
            let fresh = slice.records.filter { $0.offset >= counted }
            let versions = try await self.versions(of: Array(Set(fresh.map(\.row.id))), statements, requests)
            let base = state ?? CassandraStreamState(countedOffset: counted)
            let plan = CassandraCountingPlan.count(fresh, partition: slice.partition, into: base, end: slice.to, stored: versions)
            // 5. Windows, each from its own as_of.
            let starts = plan.windowRecords.keys.sorted()
            let windows = try await concurrently(starts) { start in
                try await self.window(Self.windowID(topic: slice.topic, partition: slice.partition, start: start), statements, requests)
            }
            let updated = zip(starts, windows).compactMap { start, stored in
                plan.window(start, stored: stored, countedFrom: counted, end: slice.to).map { (start, $0) }
            }
            try await concurrently(updated) { start, window in
                try await self.writeWindow(slice, start: start, window, statements, requests)
            }
            await reached(.wroteWindows)
            // 6. Still as of `counted`? Otherwise another writer moved it: start over.
            let now = try await self.state(id, statements, requests)
            guard now?.countedOffset == state?.countedOffset else {
                logger.debug("stream state moved by another writer; starting over", metadata: ["partition": "\(id)"])
                continue
            }
            await reached(.checkedState)
            // 7. The state, then the rows, then the position.
            try await writeState(id, topic: slice.topic, partition: slice.partition, plan.state, statements, requests)
            await reached(.wroteState)
            try await writeRows(plan.rows, statements, requests)
            try await writePosition(slice, statements, requests)
            return
        }
        throw CassandraSinkError(
            code: .writeFailed,
            message: "\(id): the stream state kept moving under this write (\(Self.maximumAttempts) attempts; other writers of the partition?); retry")
    }

    /// For each id, the row of its last record, at that record's timestamp (later records of a
    /// partition have later timestamps).
    static func lastVersions(_ records: [SinkRecord], partition: Int32) -> [CassandraRowVersion] {
        var order: [String] = []
        var last: [String: CassandraRowVersion] = [:]
        for record in records {
            let version = CassandraRowVersion(row: record.row, writeTime: CassandraWriteTime.row(offset: record.offset, partition: partition))
            if last.updateValue(version, forKey: record.row.id) == nil { order.append(record.row.id) }
        }
        return order.compactMap { last[$0] }
    }

    // MARK: Upsert

    public func upsert(_ all: [CreatedUserRow]) async throws {
        let statements = try prepared()
        // The same id twice: the later row wins, as it would in one transaction.
        var latest: [String: Int] = [:]
        for (index, row) in all.enumerated() { latest[row.id] = index }
        let rows = all.enumerated().filter { latest[$0.element.id] == $0.offset }.map(\.element)
        for row in rows { try Self.validate(row) }
        guard !rows.isEmpty else { return }
        // Chunks small enough for the state row that carries them as `pending`.
        var chunks: [[CreatedUserRow]] = [[]]
        var bytes = 0
        for row in rows {
            let size = Self.values(row).reduce(0) { $0 + 8 + ($1?.serializedSize ?? 0) }
            if bytes + size > 16 * 1024, !(chunks.last?.isEmpty ?? true) {
                chunks.append([])
                bytes = 0
            }
            chunks[chunks.count - 1].append(row)
            bytes += size
        }
        try await upsertTurn.take {
            for chunk in chunks { try await self.upsertChunk(chunk, statements) }
        }
    }

    private func upsertChunk(_ rows: [CreatedUserRow], _ statements: Statements) async throws {
        let requests = Requests(fault: nil)
        for _ in 0..<Self.maximumAttempts {
            let state = try await self.state(Self.upsertsID, statements, requests)
            // The previous upsert's rows, which it may not have written.
            if let pending = state?.pending, !pending.isEmpty { try await writeRows(pending, statements, requests) }
            let versions = try await self.versions(of: rows.map(\.id), statements, requests)
            var next = state ?? CassandraStreamState(countedOffset: 0)
            next.countedOffset += 1
            next.pending = []
            for row in rows {
                let before = versions[row.id]
                if let before {
                    for cell in CassandraCounts.dashboardCells(of: before.row) { next.counters.add(cell, -1) }
                }
                for cell in CassandraCounts.dashboardCells(of: row) { next.counters.add(cell, 1) }
                next.recent.note(row)
                next.pending.append(CassandraRowVersion(row: row, writeTime: CassandraWriteTime.upsert(after: before?.writeTime)))
            }
            guard try await self.state(Self.upsertsID, statements, requests)?.countedOffset == state?.countedOffset else { continue }
            try await writeState(Self.upsertsID, topic: "", partition: -1, next, statements, requests)
            try await writeRows(next.pending, statements, requests)
            return
        }
        throw CassandraSinkError(code: .writeFailed, message: "the upserts' state kept moving under this upsert (another process upserting?); retry")
    }

    // MARK: Requests

    private func rowsPosition(topic: String, partition: Int32, _ statements: Statements, _ requests: Requests) async throws -> Int64? {
        let page = try await readRequest("the position of \(topic)/\(partition)", requests) {
            try await self.client.page(statements.selectPosition, [.text(Self.positionID(topic: topic, partition: partition))])
        }
        guard let row = page.rows.first else { return nil }
        guard case .bigint(let offset)?? = row.first else {
            throw CassandraSinkError(code: .readFailed, message: "stream_positions \(topic)/\(partition) has no next_offset")
        }
        return offset
    }

    private func state(_ id: String, _ statements: Statements, _ requests: Requests) async throws -> CassandraStreamState? {
        let page = try await readRequest("the stream state \(id)", requests) { try await self.client.page(statements.selectState, [.text(id)]) }
        guard let row = page.rows.first else { return nil }
        guard row.count >= 4, case .bigint(let counted)? = row[0] else {
            throw CassandraSinkError(code: .readFailed, message: "stream_state \(id) has no counted_offset")
        }
        do throws(CassandraSinkStateError) {
            func blob(_ value: CQLValue?) -> [UInt8] {
                if case .blob(let bytes)? = value { return bytes }
                return []
            }
            let counters = row[1] == nil ? CassandraCounts() : try CassandraCounts(decoding: blob(row[1]))
            let recent = row[2] == nil ? CassandraRecentUsers() : try CassandraRecentUsers(decoding: blob(row[2]))
            let pending = row[3] == nil ? [] : try CassandraStreamState.decode(pending: blob(row[3]))
            return CassandraStreamState(countedOffset: counted, counters: counters, recent: recent, pending: pending)
        } catch {
            throw CassandraSinkError(code: .readFailed, message: "stream_state \(id) holds what this sink cannot read: \(error)")
        }
    }

    /// The stored version (row and write time) of each id that has a row.
    private func versions(of ids: [String], _ statements: Statements, _ requests: Requests) async throws -> [String: CassandraRowVersion] {
        let found = try await concurrently(ids) { id -> CassandraRowVersion? in
            let page = try await self.readRequest("row \(id)", requests) { try await self.client.page(statements.selectUserVersion, [.text(id)]) }
            guard let cells = page.rows.first else { return nil }
            guard let row = Self.row(cells[...]) else {
                throw CassandraSinkError(code: .readFailed, message: "created_users \(id) has a missing or mistyped column")
            }
            var writeTime: Int64?
            if cells.count > CreatedUserRow.columns.count, case .bigint(let time)? = cells[CreatedUserRow.columns.count] { writeTime = time }
            return CassandraRowVersion(row: row, writeTime: writeTime)
        }
        var versions: [String: CassandraRowVersion] = [:]
        for version in found.compactMap({ $0 }) { versions[version.row.id] = version }
        return versions
    }

    private func window(_ id: String, _ statements: Statements, _ requests: Requests) async throws -> CassandraWindow? {
        let page = try await readRequest("the window \(id)", requests) { try await self.client.page(statements.selectWindow, [.text(id)]) }
        guard let row = page.rows.first else { return nil }
        guard row.count >= 2, case .bigint(let asOf)? = row[0] else {
            throw CassandraSinkError(code: .readFailed, message: "partition_windows \(id) has no as_of")
        }
        guard case .blob(let bytes)? = row[1] else { return CassandraWindow(asOf: asOf, cells: CassandraCounts()) }
        do throws(CassandraSinkStateError) {
            return CassandraWindow(asOf: asOf, cells: try CassandraCounts(decoding: bytes))
        } catch {
            throw CassandraSinkError(code: .readFailed, message: "partition_windows \(id) holds what this sink cannot read: \(error)")
        }
    }

    private func writeRows(_ versions: [CassandraRowVersion], _ statements: Statements, _ requests: Requests) async throws {
        try await concurrently(versions) { version in
            try requests.next()
            do {
                try await self.client.execute(
                    statements.insertUser, Self.values(version.row, ageIsInt: statements.ageIsInt) + [.bigint(version.writeTime ?? 1)],
                    idempotent: true)
            } catch let error as CQLClientError {
                throw Self.writeError(error, row: version.row.id)
            }
        }
    }

    private func writeWindow(_ slice: PartitionSlice, start: Int64, _ window: CassandraWindow, _ statements: Statements, _ requests: Requests) async throws {
        let id = Self.windowID(topic: slice.topic, partition: slice.partition, start: start)
        try await writeRequest("the window \(id)", requests) {
            try await self.client.execute(
                statements.insertWindow,
                [
                    .text(id), .text(slice.topic), .int(slice.partition), .timestamp(start), .bigint(window.asOf), .blob(window.cells.encoded()),
                    .bigint(CassandraWriteTime.window(asOf: window.asOf)),
                ], idempotent: true)
        }
    }

    private func writeState(
        _ id: String, topic: String, partition: Int32, _ state: CassandraStreamState, _ statements: Statements, _ requests: Requests
    ) async throws {
        try await writeRequest("the stream state \(id)", requests) {
            try await self.client.execute(
                statements.insertState,
                [
                    .text(id), .text(topic), .int(partition), .bigint(state.countedOffset), .blob(state.counters.encoded()),
                    .blob(state.recent.encoded()), state.pending.isEmpty ? nil : .blob(CassandraStreamState.encode(pending: state.pending)),
                    .bigint(CassandraWriteTime.state(countedOffset: state.countedOffset)),
                ], idempotent: true)
        }
    }

    private func writePosition(_ slice: PartitionSlice, _ statements: Statements, _ requests: Requests) async throws {
        let id = Self.positionID(topic: slice.topic, partition: slice.partition)
        try await writeRequest("the position \(id)", requests) {
            try await self.client.execute(
                statements.insertPosition,
                [.text(id), .text(slice.topic), .int(slice.partition), .bigint(slice.to), .bigint(CassandraWriteTime.position(nextOffset: slice.to))],
                idempotent: true)
        }
    }

    /// One counted read request; a client failure becomes `readFailed` naming `what`.
    func readRequest<T: Sendable>(_ what: String, _ requests: Requests, _ body: @Sendable () async throws -> T) async throws -> T {
        try requests.next()
        do {
            return try await body()
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot read \(what): \(error.message)", underlying: error)
        }
    }

    /// One counted write request; a client failure becomes `writeFailed` naming `what`.
    func writeRequest(_ what: String, _ requests: Requests, _ body: @Sendable () async throws -> some Sendable) async throws {
        try requests.next()
        do {
            _ = try await body()
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .writeFailed, message: "cannot write \(what): \(error.message)", underlying: error)
        }
    }

    /// A row write's failure: INVALID is the row's fault (the processor dead-letters it); the
    /// rest may pass.
    static func writeError(_ error: CQLClientError, row id: String) -> CassandraSinkError {
        if error.code == .server, error.serverError?.code == .invalid {
            return CassandraSinkError(code: .rowRejected, message: "the cluster refused row \(id): \(error.message)", rowID: id, underlying: error)
        }
        return CassandraSinkError(code: .writeFailed, message: "writing row \(id) failed: \(error.message)", underlying: error)
    }

    /// Runs `body` for each element, at most `maximumConcurrentWrites` at once, and returns the
    /// results in order; the first failure cancels the rest and is thrown.
    @discardableResult
    func concurrently<T: Sendable, R: Sendable>(_ elements: [T], _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        let limit = max(1, configuration.maximumConcurrentWrites)
        return try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: elements.count)
            var running = 0
            for (index, element) in elements.enumerated() {
                if running >= limit, let finished = try await group.next() {
                    results[finished.0] = finished.1
                    running -= 1
                }
                group.addTask { (index, try await body(element)) }
                running += 1
            }
            for try await (done, result) in group { results[done] = result }
            return results.map { $0! }
        }
    }

    public func positions(topic: String) async throws -> [Int32: Int64] {
        let statements = try prepared()
        var positions: [Int32: Int64] = [:]
        do {
            // A handful of rows (topics × partitions): read them all and keep the topic's.
            for try await page in client.pages(statements.selectPositions, pageSize: 1_000) {
                for row in page.rows {
                    guard case .text(let rowTopic)?? = row.first, rowTopic == topic,
                        case .int(let partition)?? = row.dropFirst().first, case .bigint(let offset)?? = row.dropFirst(2).first
                    else { continue }
                    positions[partition] = offset
                }
            }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .readFailed, message: "cannot read the positions of \(topic): \(error.message)", underlying: error)
        }
        return positions
    }

    public func close() async throws {
        await client.close()
    }
}

extension CassandraSinkError: SinkFailure {
    public var rejectedRowID: String? { code == .rowRejected ? rowID : nil }
}

/// Turns for async code: `take` runs its body only when no other body runs, in the order asked.
final class AsyncTurns: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func take<T>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
        defer {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiting.isEmpty {
                    state.busy = false
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
