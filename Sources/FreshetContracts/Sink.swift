import FreshetCore

/// Where the stream processor writes. SQLite is the embedded default; PostgreSQL and Cassandra
/// sinks implement the same protocol.
///
/// The contract (docs/pipeline.md, "The store contract"): applying a batch is idempotent and
/// fenced by position. For each slice, the store applies only the records at or beyond the
/// position it holds for the partition, in the same atomic step that moves the position to the
/// slice's end (`SliceFence`); a slice wholly at or below the position changes nothing; a slice
/// that starts beyond it is refused (`SliceGapError`). Rows are upserted by id (the last version
/// wins) with the dashboard counters following them; each applied record counts once in its
/// window. `SinkContract` checks all of it, for every store.
public protocol Sink: Sendable {
    /// Creates tables and indexes if needed.
    func prepare() async throws
    /// Applies the batch under the contract above and returns what each slice did. Returns only
    /// when durable. Throws `SliceGapError` (nothing applied), a `SinkFailure` naming a row the
    /// store can never write, or another error when the store is unavailable (retry).
    @discardableResult
    func write(_ batch: SinkBatch) async throws -> [SliceOutcome]
    /// Upserts rows that did not come through the log (a CQL INSERT): rows and dashboard
    /// counters; no windows, no positions.
    func upsert(_ rows: [CreatedUserRow]) async throws
    /// Positions recorded with the last committed write, for a topic: partition → next offset.
    func positions(topic: String) async throws -> [Int32: Int64]
    func close() async throws
}

/// A store that can keep one transaction open across several applies, so the processor grows
/// a store transaction under backlog while it holds only one poll's rows in memory: it applies
/// each poll's slices as they come and commits (rows, windows, positions) once at the end.
///
/// While a transaction is open the store's other writes wait for it (SQLite has one writer;
/// PostgreSQL's writers take turns on a lock), so the processor keeps it short: its limits are
/// `processor.max_transaction_records` and `processor.max_transaction_time` (docs/pipeline.md).
public protocol TransactionalSink: Sink {
    /// Opens a transaction. Commit or roll it back: until then the store's other writes wait.
    func beginTransaction() async throws -> any SinkTransaction
}

/// One open store transaction (`TransactionalSink`).
///
/// `apply` works as `Sink.write` does — fenced by the positions the transaction sees, which
/// include what it applied before — except that nothing is durable until `commit`. Any failure
/// of `apply` or `commit` (a gap, a refused row, the store unavailable, a lost answer) rolls the
/// whole transaction back and ends it: the caller reads the transaction's records again from
/// the positions it started at. After `commit` or `rollback`, `apply` and `commit` throw.
public protocol SinkTransaction: Sendable {
    /// Applies `batch` inside the transaction; returns what each slice did.
    @discardableResult
    func apply(_ batch: SinkBatch) async throws -> [SliceOutcome]
    /// The positions for a topic as this transaction sees them (its own applies included).
    func positions(topic: String) async throws -> [Int32: Int64]
    /// Makes everything applied durable at once; returns only when durable.
    func commit() async throws
    /// Throws away everything applied and ends the transaction. Idempotent.
    func rollback() async
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
    /// Why, for a person: the store's message without its code and context.
    var rejectionReason: String { get }
}

extension SinkFailure {
    public var rejectionReason: String { "\(self)" }
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
    /// Upserts `rows` as `Sink.upsert` does (rows and dashboard counters) and puts `keyed` in
    /// the same transaction: the CQL endpoint keeps the write times of the `created_users` rows
    /// it writes beside them.
    func upsert(_ rows: [CreatedUserRow], putting keyed: [KeyedRow]) async throws
}

/// A crash at a chosen step of a store's next write, for `SinkContract`'s crash tests: the
/// store must end up as if the write had never happened, or as if it had happened whole — and
/// a retry must leave it exactly as one write would.
public enum StoreFault: Sendable, Equatable {
    /// The `n`-th statement (1-based) the next write sends fails as if the process died there;
    /// the statements before it ran.
    case failAtStatement(Int)
    /// The next write completes, then reports a failure (a commit whose answer was lost).
    case loseAnswerAfterCommit
}

/// The failure an injected `StoreFault` raises.
public struct InjectedStoreFault: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A store whose next write can be made to fail at a chosen step (tests only).
public protocol FaultInjectable: Sendable {
    /// Arms `fault` for the next `write`; it fires once.
    func injectFault(_ fault: StoreFault)
}
