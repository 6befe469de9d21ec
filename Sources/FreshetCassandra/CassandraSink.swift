import FreshetCQL
import FreshetCQLClient
import FreshetCore
import FreshetStore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A `Sink` that writes to a Cassandra cluster (or to another Freshet's CQL endpoint):
/// `created_users` as the seeds define it, plus the sink's own bookkeeping.
///
/// Tables (in `configuration.keyspace`, created by `prepare()` if missing):
/// - `created_users`: `id text PRIMARY KEY`, the other strings `text`, `age int`, `nat text`,
///   `ingested_at timestamp` — the columns and types of Freshet's own CQL endpoint.
/// - `stream_positions`: `id text PRIMARY KEY` ("topic/partition"), `topic`, `partition int`,
///   `next_offset bigint`.
/// - `window_counts`: `id text PRIMARY KEY` ("window_start/dimension/label"), `window_start
///   timestamp`, `dimension`, `label`, `total bigint` (totals, not counters).
///
/// `write(batch)`:
/// 1. each row is an idempotent prepared INSERT (upsert by id), sent concurrently (at most
///    `maximumConcurrentWrites` at once) to a replica of its id; rows are single-partition, so
///    no multi-partition batch;
/// 2. the window totals the batch touches are read, and the new totals and the positions are
///    written in one LOGGED BATCH — Cassandra applies all of it or none, so a crash can never
///    record positions without the windows or the windows without the positions.
///
/// It returns only when every statement succeeded, so the processor commits offsets only after
/// the cluster has the batch. A replay after a crash before step 2 writes the same rows again
/// (harmless upserts) and reads the same old totals. Window totals are read-modify-write: the
/// sink assumes it is the only writer of its keyspace's `window_counts` (one processor per
/// pipeline, as Freshet runs it).
public final class CassandraSink: Sink {
    public let configuration: CassandraSinkConfiguration
    public let client: CQLClient
    private let statements = Mutex<Statements?>(nil)
    private let logger: Logger

    struct Statements: Sendable {
        var insertUser: CQLPreparedStatement
        var insertPosition: CQLPreparedStatement
        var insertWindow: CQLPreparedStatement
        var selectWindow: CQLPreparedStatement
        var selectPositions: CQLPreparedStatement
    }

    init(configuration: CassandraSinkConfiguration, client: CQLClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
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

    /// Connects to the cluster. Call `prepare()` before the first write.
    public static func connect(
        _ configuration: CassandraSinkConfiguration, logger: Logger = Logger(label: "freshet.cassandra")
    ) async throws -> CassandraSink {
        let client = try await CQLClient.connect(clientConfiguration(configuration), logger: logger)
        return CassandraSink(configuration: configuration, client: client, logger: logger)
    }

    /// Connects with a `cassandra://` URL.
    public static func connect(url: String, logger: Logger = Logger(label: "freshet.cassandra")) async throws -> CassandraSink {
        try await connect(try CassandraSinkConfiguration(url: url), logger: logger)
    }

    var keyspace: String { configuration.keyspace }

    /// The CQL type of each `created_users` column.
    static func cqlType(of column: String) -> String {
        switch column {
        case "age": "int"
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
            "CREATE TABLE IF NOT EXISTS \(keyspace).window_counts (id text PRIMARY KEY, window_start timestamp, dimension text, label text, total bigint)",
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
        let placeholders = Array(repeating: "?", count: CreatedUserRow.columns.count).joined(separator: ", ")
        do {
            let prepared = Statements(
                insertUser: try await client.prepare(
                    "INSERT INTO \(keyspace).created_users (\(CreatedUserRow.columns.joined(separator: ", "))) VALUES (\(placeholders))"),
                insertPosition: try await client.prepare(
                    "INSERT INTO \(keyspace).stream_positions (id, topic, partition, next_offset) VALUES (?, ?, ?, ?)"),
                insertWindow: try await client.prepare(
                    "INSERT INTO \(keyspace).window_counts (id, window_start, dimension, label, total) VALUES (?, ?, ?, ?, ?)"),
                selectWindow: try await client.prepare("SELECT total FROM \(keyspace).window_counts WHERE id = ?"),
                selectPositions: try await client.prepare("SELECT topic, partition, next_offset FROM \(keyspace).stream_positions"))
            statements.withLock { $0 = prepared }
        } catch let error as CQLClientError {
            throw CassandraSinkError(code: .schemaFailed, message: "cannot prepare the sink's statements: \(error.message)", underlying: error)
        }
    }

    func prepared() throws -> Statements {
        guard let statements = statements.withLock({ $0 }) else {
            throw CassandraSinkError(code: .schemaFailed, message: "call prepare() before writing to the Cassandra sink")
        }
        return statements
    }

    /// The bound values of a row, in `CreatedUserRow.columns` order.
    static func values(_ row: CreatedUserRow) -> [CQLValue?] {
        [
            .text(row.id), .text(row.firstName), .text(row.lastName), .text(row.gender), .text(row.address), .text(row.postCode),
            .text(row.email), .text(row.username), .text(row.dob), .text(row.registeredDate), .text(row.phone), .text(row.picture),
            .text(row.year), .text(row.month), .text(row.day), .text(row.country), .text(row.emailDomain),
            .int(Int32(clamping: row.age)), row.nat.map(CQLValue.text), .timestamp(row.ingestedAt),
        ]
    }

    static func windowID(_ window: WindowCount) -> String { "\(window.windowStart)/\(window.dimension)/\(window.value)" }
    static func positionID(_ position: StreamPosition) -> String { "\(position.topic)/\(position.partition)" }

    @discardableResult
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        let statements = try prepared()
        var outcomes: [SliceOutcome] = []
        var rows: [CreatedUserRow] = []
        var windowIncrements: [WindowCount] = []
        var positions: [StreamPosition] = []
        let stored = try await self.positions(topic: batch.slices.first?.topic ?? "")
        for slice in batch.slices {
            let before = stored[slice.partition]
            let decision = SliceFence.plan(slice, position: before)
            outcomes.append(SliceOutcome(slice, positionBefore: before, decision: decision))
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
                        windowIncrements.append(WindowCount(windowStart: start, dimension: cell.dimension, value: cell.value, count: 1))
                    }
                }
                positions.append(StreamPosition(topic: slice.topic, partition: slice.partition, nextOffset: slice.to))
            }
        }
        try await upsert(rows)
        try await record(windowIncrements: windowIncrements, positions: positions, statements: statements)
        return outcomes
    }

    public func upsert(_ all: [CreatedUserRow]) async throws {
        let statements = try prepared()
        // The same id twice: the later row wins, as it would in one transaction.
        var latest: [String: Int] = [:]
        for (index, row) in all.enumerated() { latest[row.id] = index }
        let rows = all.enumerated().filter { latest[$0.element.id] == $0.offset }.map(\.element)
        try await forEachConcurrently(rows) { row in
            do {
                try await self.client.execute(statements.insertUser, Self.values(row), idempotent: true)
            } catch let error as CQLClientError {
                throw Self.writeError(error, row: row.id)
            }
        }
    }

    private func record(windowIncrements: [WindowCount], positions: [StreamPosition], statements: Statements) async throws {
        let batch = (windowIncrements: windowIncrements, positions: positions)
        guard !batch.windowIncrements.isEmpty || !batch.positions.isEmpty else { return }
        var items: [CQLBatchItem] = []
        if !batch.windowIncrements.isEmpty {
            var increments: [String: WindowCount] = [:]
            for window in batch.windowIncrements { increments[Self.windowID(window), default: WindowCount(windowStart: window.windowStart, dimension: window.dimension, value: window.value, count: 0)].count += window.count }
            let ids = increments.keys.sorted()
            let totals = Mutex<[String: Int64]>([:])
            try await forEachConcurrently(ids) { id in
                do {
                    let page = try await self.client.page(statements.selectWindow, [.text(id)])
                    if case .bigint(let total)?? = page.rows.first?.first { totals.withLock { $0[id] = total } }
                } catch let error as CQLClientError {
                    throw CassandraSinkError(code: .readFailed, message: "cannot read the window total \(id): \(error.message)", underlying: error)
                }
            }
            let old = totals.withLock { $0 }
            for id in ids {
                guard let window = increments[id] else { continue }
                items.append(CQLBatchItem(statements.insertWindow, [
                    .text(id), .timestamp(window.windowStart), .text(window.dimension), .text(window.value),
                    .bigint((old[id] ?? 0) + Int64(window.count)),
                ]))
            }
        }
        for position in batch.positions {
            items.append(CQLBatchItem(statements.insertPosition, [
                .text(Self.positionID(position)), .text(position.topic), .int(position.partition), .bigint(position.nextOffset),
            ]))
        }
        do {
            // Absolute values: sending the batch twice is harmless, so it may be retried.
            try await client.batch(items, type: .logged, idempotent: true)
        } catch let error as CQLClientError {
            throw CassandraSinkError(
                code: .writeFailed, message: "cannot record \(batch.windowIncrements.count) window counts and \(batch.positions.count) positions: \(error.message)",
                underlying: error)
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

    /// Runs `body` for each element, at most `maximumConcurrentWrites` at once; the first failure
    /// cancels the rest and is thrown.
    func forEachConcurrently<T: Sendable>(_ elements: [T], _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        let limit = max(1, configuration.maximumConcurrentWrites)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for element in elements {
                if running >= limit {
                    try await group.next()
                    running -= 1
                }
                group.addTask { try await body(element) }
                running += 1
            }
            try await group.waitForAll()
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
