import FreshetContracts
import FreshetCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// A `Sink` and `UserQueries` over a PostgreSQL database, with the SQLite store's tables and
/// guarantees (`--store postgres://user:password@host:port/db`).
///
/// Tables (created by ``prepare()`` if missing): `created_users` (the SQLite store's columns),
/// `window_counts`, `stream_positions`, and `user_counts`, the dashboard counters, kept by
/// statement-level triggers on `created_users` (see `PostgresSchema`).
///
/// ``write(_:)`` runs one transaction: the rows `COPY`ed into a temporary staging table and moved
/// into `created_users` by one `INSERT … SELECT … ON CONFLICT (id) DO UPDATE` (the last version
/// of an id repeated in the batch wins, as in SQLite), window
/// increments (`count = count + EXCLUDED.count`) and positions; it returns after `COMMIT`, so a
/// batch is durable (with the server's `synchronous_commit`) exactly when its positions are, and
/// a replay from those positions skips it. A row the server refuses for good (SQLSTATE class 22
/// or 23: a constraint, a value it cannot store) fails the batch with
/// ``PostgresSinkError/Code-swift.struct/rowRejected`` and its ``rejectedRowID``; anything else
/// is ``PostgresSinkError/Code-swift.struct/writeFailed`` (retry).
///
/// The sink owns a `PostgresClient` (a connection pool) and runs it in a task of its own from
/// ``connect(_:logger:)`` until ``close()``.
public final class PostgresSink: TransactionalSink, UserQueries, FaultInjectable {
    public let configuration: PostgresSinkConfiguration
    public let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger
    private let armedFault = Mutex<StoreFault?>(nil)
    /// How to open the connection of a transaction across writes (`beginTransaction()`).
    let connectionConfiguration: PostgresConnection.Configuration
    /// That connection, kept between transactions (one at a time), and whether one is open.
    let dedicated = Mutex<(connection: PostgresConnection?, inUse: Bool)>((nil, false))

    /// How a batch's rows reach `created_users`.
    public enum RowPath: Sendable, Equatable {
        /// `COPY` into a temporary staging table, then one upsert (the default).
        case copy
        /// One upsert of 21 bound arrays: for a role without the database's `TEMPORARY`
        /// privilege, which cannot have a staging table.
        case unnest
    }

    private let rowPathState = Mutex(RowPath.copy)
    /// The rows' path, decided by ``prepare()`` from the role's privileges (`.copy` before).
    public var rowPath: RowPath { rowPathState.withLock { $0 } }

    private init(
        configuration: PostgresSinkConfiguration, client: PostgresClient, runTask: Task<Void, Never>, logger: Logger,
        connectionConfiguration: PostgresConnection.Configuration
    ) {
        self.configuration = configuration
        self.client = client
        self.runTask = runTask
        self.logger = logger
        self.connectionConfiguration = connectionConfiguration
    }

    /// Parses the URL (see ``PostgresSinkConfiguration``) and connects.
    public static func connect(url: String, logger: Logger = Logger(label: "freshet.postgres")) async throws -> PostgresSink {
        try await connect(PostgresSinkConfiguration(url: url), logger: logger)
    }

    /// Checks that the server accepts the login (one connection, so a wrong password or host
    /// fails here at once rather than when the pool gives up), then starts the pool.
    public static func connect(
        _ configuration: PostgresSinkConfiguration, logger: Logger = Logger(label: "freshet.postgres")
    ) async throws -> PostgresSink {
        let where_ = "\(configuration.username)@\(configuration.host):\(configuration.port)/\(configuration.database)"
        let tls: PostgresConnection.Configuration.TLS
        var clientTLS: PostgresClient.Configuration.TLS
        do {
            switch configuration.tls {
            case .disable:
                tls = .disable
                clientTLS = .disable
            case .prefer:
                tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                clientTLS = .prefer(.makeClientConfiguration())
            case .require:
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                clientTLS = .require(.makeClientConfiguration())
            }
        } catch {
            throw PostgresSinkError(code: .connectFailed, message: "cannot set up TLS for \(where_): \(error)")
        }
        var probeConfiguration = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls)
        probeConfiguration.options.connectTimeout = .seconds(Int64(configuration.connectTimeoutSeconds))
        do {
            let probe = try await PostgresConnection.connect(configuration: probeConfiguration, id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw PostgresSinkError(
                code: .connectFailed, message: "cannot connect to PostgreSQL at \(where_): \(Self.explain(error))",
                sqlState: Self.sqlState(error))
        }
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: clientTLS)
        clientConfiguration.options.maximumConnections = configuration.maximumConnections
        clientConfiguration.options.connectTimeout = .seconds(Int64(configuration.connectTimeoutSeconds))
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        // The pool leases only while run() runs; wait until the task has entered it (else the
        // first query logs "run() hasn't been called yet").
        let started = AsyncStream<Void>.makeStream()
        let runTask = Task {
            started.continuation.finish()
            await client.run()
        }
        for await _ in started.stream {}
        return PostgresSink(configuration: configuration, client: client, runTask: runTask, logger: logger, connectionConfiguration: probeConfiguration)
    }

    /// Stops the pool and closes its connections. Idempotent.
    public func close() async throws {
        let connection = dedicated.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
        runTask.cancel()
        await runTask.value
    }

    // MARK: Sink

    public func prepare() async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.prepareLockKey))", logger: logger)
                for statement in PostgresSchema.tables + PostgresSchema.triggers {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        } catch {
            throw Self.failure(error, code: .schemaFailed, doing: "creating the tables")
        }
        var mayStage = true
        do {
            for try await allowed in try await client.query(PostgresQuery(unsafeSQL: PostgresSchema.mayCreateTemporaryTables)).decode(Bool.self) {
                mayStage = allowed
            }
        } catch {
            throw Self.failure(error, code: .schemaFailed, doing: "reading the role's privileges")
        }
        if !mayStage {
            logger.notice(
                "the role may not create temporary tables (no TEMPORARY privilege on the database): rows are written with unnest, without COPY (slower)",
                metadata: ["user": "\(configuration.username)", "database": "\(configuration.database)"])
        }
        rowPathState.withLock { $0 = mayStage ? .copy : .unnest }
    }

    @discardableResult
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        try Self.checkIDs(batch)
        let logger = self.logger
        let fault = armedFault.withLock { fault in
            defer { fault = nil }
            return fault
        }
        let statements = StatementCount(failAt: fault)
        do {
            let outcomes = try await client.withTransaction(logger: logger) { connection in
                try statements.next()
                // Writers take turns (one lock, so no two can deadlock on the shared window and
                // counter rows), and each sees the positions the previous one committed.
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.writeLockKey))", logger: logger)
                return try await Self.apply(batch, on: connection, logger: logger, statements: statements, rowPath: rowPath)
            }
            if fault == .loseAnswerAfterCommit { throw InjectedStoreFault("the answer to a committed write was lost (injected)") }
            return outcomes
        } catch {
            if let gap = Self.unwrapped(error) as? SliceGapError { throw gap }
            if let injected = Self.unwrapped(error) as? InjectedStoreFault { throw injected }
            throw Self.failure(error, code: .writeFailed, doing: "writing a batch of \(batch.slices.reduce(0) { $0 + $1.records.count }) records")
        }
    }

    /// The statements of a write inside an open transaction that holds the write lock: the
    /// stored positions decide what applies (`SliceFence`), then one upsert of the rows, the
    /// window increments and the positions.
    static func apply(
        _ batch: SinkBatch, on connection: PostgresConnection, logger: Logger, statements: StatementCount, rowPath: RowPath
    ) async throws -> [SliceOutcome] {
        var stored: [PositionKey: Int64] = [:]
        for topic in Set(batch.slices.map(\.topic)).sorted() {
            try statements.next()
            for try await (partition, offset) in try await connection.query(
                PostgresQuery(unsafeSQL: PostgresSchema.selectPositions, binds: Self.binds(topic)), logger: logger
            ).decode((Int32, Int64).self) {
                stored[PositionKey(topic: topic, partition: partition)] = offset
            }
        }
        var outcomes: [SliceOutcome] = []
        var rows: [CreatedUserRow] = []
        var windows: [WindowKey: Int] = [:]
        var positions: [(PositionKey, Int64)] = []
        for slice in batch.slices.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            let key = PositionKey(topic: slice.topic, partition: slice.partition)
            let decision = SliceFence.plan(slice, position: stored[key])
            outcomes.append(SliceOutcome(slice, positionBefore: stored[key], decision: decision))
            switch decision {
            case .gap(let position):
                throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: position, from: slice.from)
            case .stale:
                continue
            case .apply(let records, _):
                for record in records {
                    rows.append(record.row)
                    guard let start = record.windowStart else { continue }
                    for cell in SinkRecord.windowCells(of: record.row) {
                        windows[WindowKey(start: start, dimension: cell.dimension, value: cell.value), default: 0] += 1
                    }
                }
                positions.append((key, slice.to))
            }
        }
        try await Self.upsertRows(rows, on: connection, logger: logger, statements: statements, rowPath: rowPath)
        let windowOrder = windows.keys.sorted { ($0.start, $0.dimension, $0.value) < ($1.start, $1.dimension, $1.value) }
        var start = 0
        while start < windowOrder.count {
            let chunk = windowOrder[start..<min(start + PostgresSchema.rowsPerStatement, windowOrder.count)]
            var binds = PostgresBindings(capacity: chunk.count * 4)
            for key in chunk {
                binds.append(key.start)
                binds.append(key.dimension)
                binds.append(key.value)
                binds.append(Int64(windows[key] ?? 0))
            }
            try statements.next()
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.addWindows(rows: chunk.count), binds: binds), logger: logger)
            start += chunk.count
        }
        if !positions.isEmpty {
            var binds = PostgresBindings(capacity: positions.count * 3)
            for (key, offset) in positions {
                binds.append(key.topic)
                binds.append(Int32(key.partition))
                binds.append(offset)
            }
            try statements.next()
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.recordPositions(rows: positions.count), binds: binds), logger: logger)
        }
        return outcomes
    }

    /// Refuses here what the server would refuse, to name the row even in a many-row batch.
    static func checkIDs(_ batch: SinkBatch) throws {
        for record in batch.slices.lazy.flatMap(\.records) where !(1...255).contains(record.row.id.unicodeScalars.count) {
            throw PostgresSinkError(
                code: .rowRejected, message: "the id must be 1 to 255 characters (got \(record.row.id.unicodeScalars.count))", rowID: record.row.id)
        }
    }

    public func upsert(_ rows: [CreatedUserRow]) async throws {
        for row in rows where !(1...255).contains(row.id.unicodeScalars.count) {
            throw PostgresSinkError(code: .rowRejected, message: "the id must be 1 to 255 characters (got \(row.id.unicodeScalars.count))", rowID: row.id)
        }
        let logger = self.logger
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.writeLockKey))", logger: logger)
                try await Self.upsertRows(rows, on: connection, logger: logger, statements: StatementCount(failAt: nil), rowPath: rowPath)
            }
        } catch {
            throw Self.failure(error, code: .writeFailed, doing: "writing \(rows.count) rows")
        }
    }

    /// The rows' bytes sent per `COPY` data message (the batch is encoded as it is sent).
    static let copyChunkBytes = 256 << 10

    /// All of `rows` (the last version of an id repeated in `rows` wins) in three statements
    /// whatever their number: the session's staging table is made sure of, the rows are
    /// `COPY`ed into it (text format, encoded straight from the rows, no per-column arrays), and
    /// one `INSERT … SELECT … ON CONFLICT (id) DO UPDATE` moves them into `created_users`
    /// (`RowPath.unnest`: one upsert of 21 bound arrays instead). The counters follow by
    /// trigger. A refused row is a `rowRejected` error, naming it when it was alone.
    private static func upsertRows(
        _ all: [CreatedUserRow], on connection: PostgresConnection, logger: Logger, statements: StatementCount, rowPath: RowPath
    ) async throws {
        let rows = lastVersions(all)
        guard !rows.isEmpty else { return }
        do {
            if rowPath == .unnest {
                try statements.next()
                try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.upsertUsers, binds: columnBinds(rows)), logger: logger)
                return
            }
            try statements.next()
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.createStage), logger: logger)
            try statements.next()
            try await connection.copyFrom(table: PostgresSchema.stageTable, columns: CreatedUserRow.columns, logger: logger) { writer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(min(copyChunkBytes, rows.count * 512) + 4096)
                for row in rows {
                    PostgresSchema.appendCopyLine(row, to: &buffer)
                    if buffer.readableBytes >= copyChunkBytes {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try statements.next()
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.upsertStaged), logger: logger)
        } catch {
            // Only the rows' statements can blame a row; a constraint of windows or
            // positions is the processor's bug, not a row to dead-letter.
            guard let state = sqlState(error), state.hasPrefix("22") || state.hasPrefix("23") else { throw error }
            throw PostgresSinkError(
                code: .rowRejected,
                message: rows.count == 1
                    ? "the server refused row \(rows[0].id): \(explain(error))"
                    : "the server refused a row of a \(rows.count)-row batch: \(explain(error))",
                rowID: rows.count == 1 ? rows[0].id : "?", sqlState: state)
        }
    }

    public func positions(topic: String) async throws -> [Int32: Int64] {
        try await read("reading positions") { client in
            var result: [Int32: Int64] = [:]
            for try await (partition, offset) in try await client.query(
                PostgresQuery(unsafeSQL: PostgresSchema.selectPositions, binds: Self.binds(topic))
            ).decode((Int32, Int64).self) {
                result[partition] = offset
            }
            return result
        }
    }

    // MARK: UserQueries

    public func totalUsers() async throws -> Int {
        try await read("counting users") { client in
            var total: Int64 = 0
            for try await count in try await client.query(PostgresQuery(unsafeSQL: PostgresSchema.selectTotal)).decode(Int64.self) {
                total = count
            }
            return Int(total)
        }
    }

    public func countsByGender() async throws -> [LabeledCount] {
        try await counts("gender", byCount: true, limit: nil)
    }

    public func topCountries(limit: Int) async throws -> [LabeledCount] {
        try await counts("country", byCount: true, limit: limit)
    }

    public func registrationsPerMonth() async throws -> [LabeledCount] {
        try await counts("registration_month", byCount: false, limit: nil)
    }

    public func topEmailDomains(limit: Int) async throws -> [LabeledCount] {
        try await counts("email_domain", byCount: true, limit: limit)
    }

    /// `limit` nil (or negative, as SQLite's `LIMIT -1`) means every label.
    private func counts(_ dimension: String, byCount: Bool, limit: Int?) async throws -> [LabeledCount] {
        try await read("reading \(dimension) counts") { client in
            var binds = PostgresBindings()
            binds.append(dimension)
            if let limit, limit >= 0 { binds.append(Int64(limit)) } else { binds.appendNull() }
            var result: [LabeledCount] = []
            let sql = byCount ? PostgresSchema.selectCountsByCount : PostgresSchema.selectCountsByValue
            for try await (label, count) in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds)).decode((String, Int64).self) {
                result.append(LabeledCount(label: label, count: Int(count)))
            }
            return result
        }
    }

    public func recentUsers(limit: Int) async throws -> [CreatedUserRow] {
        try await users(PostgresSchema.selectRecent, Self.binds(Int64(max(0, limit))), doing: "reading recent users")
    }

    public func windowCounts(dimension: String, since: Int64) async throws -> [WindowCount] {
        try await read("reading window counts") { client in
            var binds = PostgresBindings()
            binds.append(dimension)
            binds.append(since)
            var result: [WindowCount] = []
            for try await (start, dimension, value, count) in try await client.query(
                PostgresQuery(unsafeSQL: PostgresSchema.selectWindows, binds: binds)
            ).decode((Int64, String, String, Int64).self) {
                result.append(WindowCount(windowStart: start, dimension: dimension, value: value, count: Int(count)))
            }
            return result
        }
    }

    public func user(id: String) async throws -> CreatedUserRow? {
        try await users(PostgresSchema.selectUser, Self.binds(id), doing: "reading a user").first
    }

    /// Ids are never empty (a CHECK constraint), so "after nothing" is "after ''".
    public func users(limit: Int, after cursor: String?) async throws -> [CreatedUserRow] {
        var binds = PostgresBindings()
        binds.append(cursor ?? "")
        binds.append(Int64(max(0, limit)))
        return try await users(PostgresSchema.selectPage, binds, doing: "paging users")
    }

    /// Tests (`SinkContract`): makes the next `write` fail at a chosen step.
    public func injectFault(_ fault: StoreFault) {
        armedFault.withLock { $0 = fault }
    }

    /// Takes the armed fault if `matches` says it is for this step.
    func takeFault(_ matches: (StoreFault) -> Bool) -> StoreFault? {
        armedFault.withLock { fault in
            guard let armed = fault, matches(armed) else { return nil }
            fault = nil
            return armed
        }
    }

    /// Counts the statements of a write, failing the one an injected fault names.
    final class StatementCount: Sendable {
        let failAt: Int?
        let count = Mutex(0)
        init(failAt fault: StoreFault?) {
            if case .failAtStatement(let n) = fault { failAt = n } else { failAt = nil }
        }
        func next() throws {
            let n = count.withLock { count in
                count += 1
                return count
            }
            if n == failAt { throw InjectedStoreFault("injected fault at statement \(n) of a write") }
        }
    }

    // MARK: Plumbing

    private struct WindowKey: Hashable {
        var start: Int64
        var dimension: String
        var value: String
    }

    private struct PositionKey: Hashable {
        var topic: String
        var partition: Int32
    }

    /// The last version of each id, in first-seen order: one statement cannot upsert an id twice.
    static func lastVersions(_ rows: [CreatedUserRow]) -> [CreatedUserRow] {
        var index: [String: Int] = [:]
        var result: [CreatedUserRow] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            if let at = index[row.id] {
                result[at] = row
            } else {
                index[row.id] = result.count
                result.append(row)
            }
        }
        return result
    }

    /// The rows as `PostgresSchema.upsertUsers`' 21 column arrays.
    static func columnBinds(_ rows: [CreatedUserRow]) -> PostgresBindings {
        let text: [KeyPath<CreatedUserRow, String>] = [
            \.id, \.firstName, \.lastName, \.gender, \.address, \.postCode, \.email, \.username, \.dob,
            \.registeredDate, \.phone, \.picture, \.year, \.month, \.day, \.country, \.emailDomain,
        ]
        var binds = PostgresBindings(capacity: text.count + 4)
        for column in text { binds.append(rows.map { $0[keyPath: column] }) }
        binds.append(rows.map { Int64($0.age) })
        binds.append(rows.map { $0.nat ?? "" })
        binds.append(rows.map { $0.nat != nil })
        binds.append(rows.map(\.ingestedAt))
        return binds
    }

    static func binds(_ value: some PostgresDynamicTypeEncodable) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }

    private func users(_ sql: String, _ binds: PostgresBindings, doing what: String) async throws -> [CreatedUserRow] {
        try await read(what) { client in
            var result: [CreatedUserRow] = []
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds)) {
                let cells = row.makeRandomAccess()
                func text(_ i: Int) throws -> String { try cells[i].decode(String.self) }
                result.append(
                    CreatedUserRow(
                        id: try text(0), firstName: try text(1), lastName: try text(2), gender: try text(3), address: try text(4),
                        postCode: try text(5), email: try text(6), username: try text(7), dob: try text(8), registeredDate: try text(9),
                        phone: try text(10), picture: try text(11), year: try text(12), month: try text(13), day: try text(14),
                        country: try text(15), emailDomain: try text(16), age: Int(try cells[17].decode(Int64.self)),
                        nat: try cells[18].decode(String?.self), ingestedAt: try cells[19].decode(Int64.self)))
            }
            return result
        }
    }

    private func read<T: Sendable>(_ what: String, _ body: (PostgresClient) async throws -> T) async throws -> T {
        do {
            return try await body(client)
        } catch {
            throw Self.failure(error, code: .readFailed, doing: what)
        }
    }

    /// The error inside a `PostgresTransactionError` (which wraps whatever failed: BEGIN, the
    /// closure, COMMIT), or the error itself.
    static func unwrapped(_ error: any Error) -> any Error {
        guard let error = error as? PostgresTransactionError else { return error }
        return error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error
    }

    static func sqlState(_ error: any Error) -> String? {
        (unwrapped(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The server's message and detail, or the client error's code — PSQLError's own
    /// description is deliberately generic.
    static func explain(_ error: any Error) -> String {
        guard let error = unwrapped(error) as? PSQLError else { return "\(unwrapped(error))" }
        if let info = error.serverInfo {
            var text = info[.message] ?? "server error"
            if let detail = info[.detail] { text += " — \(detail)" }
            return text
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    static func failure(_ error: any Error, code: PostgresSinkError.Code, doing what: String) -> PostgresSinkError {
        if let error = unwrapped(error) as? PostgresSinkError { return error }
        return PostgresSinkError(code: code, message: "\(what): \(explain(error))", sqlState: sqlState(error))
    }
}

extension PostgresSinkError: SinkFailure {
    public var rejectedRowID: String? {
        code == .rowRejected ? (rowID ?? "?") : nil
    }
}
