import FreshetCore

/// Where the stream processor writes. SQLite is the embedded default; PostgreSQL and Cassandra
/// sinks implement the same protocol.
public protocol Sink: Sendable {
    /// Creates tables and indexes if needed.
    func prepare() async throws
    /// Applies the batch atomically and durably (one transaction): upsert rows by id, add the
    /// window increments, record the positions. Returns only when durable.
    func write(_ batch: SinkBatch) async throws
    /// Positions recorded with the last committed write, for a topic: partition → next offset.
    func positions(topic: String) async throws -> [Int32: Int64]
    func close() async throws
}

/// A label and its count, e.g. ("female", 5012).
public struct LabeledCount: Sendable, Equatable {
    public var label: String
    public var count: Int

    public init(label: String, count: Int) {
        self.label = label
        self.count = count
    }
}

/// The dashboard's and the CLI's read side of a store.
public protocol UserQueries: Sendable {
    func totalUsers() async throws -> Int
    /// Descending count (then label).
    func countsByGender() async throws -> [LabeledCount]
    /// Descending count (then label).
    func topCountries(limit: Int) async throws -> [LabeledCount]
    /// Newest `ingested_at` first (then id).
    func recentUsers(limit: Int) async throws -> [CreatedUserRow]
    /// Label "YYYY-MM" of `registered_date`, ascending.
    func registrationsPerMonth() async throws -> [LabeledCount]
    /// Descending count (then label).
    func topEmailDomains(limit: Int) async throws -> [LabeledCount]
    /// Ascending window (then value).
    func windowCounts(dimension: String, since: Int64) async throws -> [WindowCount]
    func user(id: String) async throws -> CreatedUserRow?
    /// Keyset paging by id ascending: rows with id > `cursor`.
    func users(limit: Int, after cursor: String?) async throws -> [CreatedUserRow]
}

/// How a sink tells the processor that a batch failed because of one row it can never write
/// (dead-letter that row) rather than because the store is unavailable (retry the batch).
public protocol SinkFailure: Error {
    /// The id of the row that can never be written; nil when the failure is not a row's fault.
    var rejectedRowID: String? { get }
}

extension StoreError: SinkFailure {
    public var rejectedRowID: String? {
        code == .rowRejected ? (context["id"] ?? "?") : nil
    }
}

/// One row of a keyed table: an opaque value under a table name and a key.
public struct KeyedRow: Sendable, Hashable {
    public var table: String
    public var key: String
    public var value: [UInt8]

    public init(table: String, key: String, value: [UInt8]) {
        self.table = table
        self.key = key
        self.value = value
    }
}

/// Tables of opaque rows by key, kept for other writers: the CQL endpoint stores a remote
/// pipeline's `spark_streams.stream_positions` and `window_counts` here, apart from this
/// store's own positions and windows (which belong to the local processor and its log).
public protocol KeyedRowStore: Sendable {
    func keyedRow(table: String, key: String) async throws -> [UInt8]?
    /// Up to `limit` rows of `table` in key order, after `key` when given.
    func keyedRows(table: String, limit: Int, after key: String?) async throws -> [KeyedRow]
    func keyedRowCount(table: String) async throws -> Int
    /// Inserts or replaces rows, all or none (one transaction).
    func putKeyedRows(_ rows: [KeyedRow]) async throws
}
