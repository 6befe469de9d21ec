import FreshetCQL
import FreshetContracts
import NIOCore
import Synchronization

/// The bookkeeping tables a remote Freshet pipeline's Cassandra sink keeps next to
/// `created_users` (see `CassandraSink`): where it is in its log, what it has counted, and its
/// window counts.
///
/// The endpoint serves them when its store is a `KeyedRowStore` (SQLite is): rows live in the
/// store's `keyed_rows` table, apart from the store's own positions and windows, which belong to
/// the local processor and its log. Every write carries a timestamp (`USING TIMESTAMP`, the
/// request's default, or now) and the row with the later one wins, as in Cassandra. A BATCH may
/// write several of these tables at once, in one transaction.
///
/// | table | columns |
/// | --- | --- |
/// | `stream_positions` | `id text` (partition key, "topic/partition"), `topic text`, `partition int`, `next_offset bigint` |
/// | `stream_state` | `id text` (partition key, "topic/partition"), `topic text`, `partition int`, `counted_offset bigint`, `counters blob`, `recent blob`, `pending blob` |
/// | `partition_windows` | `id text` (partition key, "topic/partition/window_start"), `topic text`, `partition int`, `window_start timestamp`, `as_of bigint`, `cells blob` |
public enum SinkStateCQLTables {
    public static let streamPositions = CQLTableDefinition(
        keyspace: CreatedUsersCQLTable.keyspaceName, name: "stream_positions",
        columns: [
            CQLColumnDefinition("id", .varchar, kind: .partitionKey), CQLColumnDefinition("topic", .varchar),
            CQLColumnDefinition("partition", .int), CQLColumnDefinition("next_offset", .bigint),
        ],
        source: .storage, comment: "a Freshet sink's log positions: rows below next_offset are written")

    public static let streamState = CQLTableDefinition(
        keyspace: CreatedUsersCQLTable.keyspaceName, name: "stream_state",
        columns: [
            CQLColumnDefinition("id", .varchar, kind: .partitionKey), CQLColumnDefinition("topic", .varchar),
            CQLColumnDefinition("partition", .int), CQLColumnDefinition("counted_offset", .bigint),
            CQLColumnDefinition("counters", .blob), CQLColumnDefinition("recent", .blob), CQLColumnDefinition("pending", .blob),
        ],
        source: .storage, comment: "a Freshet sink's dashboard counters, as of counted_offset")

    public static let partitionWindows = CQLTableDefinition(
        keyspace: CreatedUsersCQLTable.keyspaceName, name: "partition_windows",
        columns: [
            CQLColumnDefinition("id", .varchar, kind: .partitionKey), CQLColumnDefinition("topic", .varchar),
            CQLColumnDefinition("partition", .int), CQLColumnDefinition("window_start", .timestamp),
            CQLColumnDefinition("as_of", .bigint), CQLColumnDefinition("cells", .blob),
        ],
        source: .storage, comment: "a Freshet sink's per-window counts of one partition, as of as_of")

    public static let all = [streamPositions, streamState, partitionWindows]
}

/// A table whose rows are kept in a `KeyedRowStore`: each row is a header (an `Int32` -2, then
/// the row's write time as an `Int64`) and its cells as CQL [bytes] (an `Int32` length, -1 for
/// null, then the value's bytes) in column order, under the text of its partition key. Rows
/// stored before write times were kept have no header (their first `Int32` is a length ≥ -1)
/// and lose to any write.
///
/// Writes are last-write-wins by row: a write whose timestamp is older than the stored row's
/// changes nothing (Cassandra would keep the newer cells; the sink writes whole rows). All the
/// keyed tables' writes take turns on `lock`, so reading the stored row, comparing and writing
/// are one step.
struct KeyedCQLTableStorage: CQLTableStorage {
    let table: CQLTableDefinition
    let store: any KeyedRowStore
    let writable: Bool
    /// Tables a multi-table BATCH may write together with this one.
    let siblings: Set<String>
    /// How large a written row, and the rows of one upsert, may be.
    var limits = CQLRowLimits(maximumRowBytes: 64 * 1024)
    /// Shared by the keyed tables of one endpoint.
    var lock = CQLAsyncLock()
    var clock = CQLWriteClock()

    func key(_ value: CQLValue) throws(CQLServerError) -> String {
        guard case .text(let key) = value, !key.isEmpty else {
            throw CQLServerError(code: .invalid, message: "\(table.qualifiedName).id must be non-empty text, got \(value)")
        }
        return key
    }

    static func encode(_ row: [CQLValue?], writeTime: Int64?) -> [UInt8] { KeyedCQLRow.encode(row, writeTime: writeTime) }

    static func decode(_ bytes: [UInt8], table: CQLTableDefinition) throws -> (row: [CQLValue?], writeTime: Int64?) {
        try KeyedCQLRow.decode(bytes, table: table)
    }

    static func withWriteTime(_ stored: (row: [CQLValue?], writeTime: Int64?), _ include: Bool) -> [CQLValue?] {
        include ? stored.row + [stored.writeTime.map(CQLValue.bigint)] : stored.row
    }

    func count() async throws -> Int64 { Int64(try await store.keyedRowCount(table: table.qualifiedName)) }

    func row(key: CQLValue) async throws -> [CQLValue?]? {
        try await row(key: key, withWriteTime: false)
    }

    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]] {
        try await rows(limit: limit, after: key, withWriteTime: false)
    }

    func row(key: CQLValue, withWriteTime: Bool) async throws -> [CQLValue?]? {
        try await store.keyedRow(table: table.qualifiedName, key: try self.key(key)).map {
            Self.withWriteTime(try Self.decode($0, table: table), withWriteTime)
        }
    }

    func rows(limit: Int, after key: CQLValue?, withWriteTime: Bool) async throws -> [[CQLValue?]] {
        let cursor = try key.map { (k) throws(CQLServerError) in try self.key(k) }
        return try await store.keyedRows(table: table.qualifiedName, limit: limit, after: cursor).map {
            Self.withWriteTime(try Self.decode($0.value, table: table), withWriteTime)
        }
    }

    func upsert(_ writes: [CQLRowWrite]) async throws {
        try await upsert(tables: [CQLTableWrites(table: table, writes: writes)])
    }

    func upsert(tables: [CQLTableWrites]) async throws {
        guard writable else {
            throw CQLServerError(code: .unauthorized, message: "this CQL endpoint is read-only (it serves a store opened for reading)")
        }
        let outsiders = tables.map(\.table.qualifiedName).filter { !siblings.contains($0) }
        guard outsiders.isEmpty else {
            throw CQLServerError(
                code: .invalid,
                message:
                    "a BATCH on Freshet's CQL endpoint writes to one table, or only to \(siblings.sorted().joined(separator: ", ")) (got \(outsiders.joined(separator: ", ")))"
            )
        }
        try await lock.withLock {
            var rows: [String: (table: CQLTableDefinition, key: String, row: [CQLValue?], writeTime: Int64?)] = [:]
            var loaded: [String: (row: [CQLValue?], writeTime: Int64?)?] = [:]
            var sizes: [String: Int] = [:]
            var total = 0
            var order: [String] = []
            for group in tables {
                for write in group.writes {
                    let key = try self.key(write.key)
                    let slot = group.table.qualifiedName + "\u{0}" + key
                    var base: (row: [CQLValue?], writeTime: Int64?)?
                    if let pending = rows[slot] {
                        base = (pending.row, pending.writeTime)
                    } else if let stored = loaded[slot] {
                        base = stored
                    } else {
                        base = try await store.keyedRow(table: group.table.qualifiedName, key: key).map { try Self.decode($0, table: group.table) }
                        loaded[slot] = .some(base)
                    }
                    let timestamp = write.timestamp ?? clock.next()
                    // Last write wins: an older write leaves the row as it is.
                    if let stored = base?.writeTime, timestamp < stored { continue }
                    var row = base?.row ?? Array(repeating: nil, count: group.table.columns.count)
                    // Columns the INSERT names are set; the others keep their value (Cassandra's upsert).
                    for (name, value) in write.values {
                        guard let index = group.table.columnIndex(name) else {
                            throw CQLServerError(code: .invalid, message: "Undefined column name \(name) in table \(group.table.qualifiedName)")
                        }
                        row[index] = value
                    }
                    try limits.check(row, table: group.table.qualifiedName, key: key)
                    let size = CQLRowLimits.size(row)
                    total += size - (sizes.updateValue(size, forKey: slot) ?? 0)
                    try limits.checkTotal(total)
                    if rows.updateValue((group.table, key, row, timestamp), forKey: slot) == nil { order.append(slot) }
                }
            }
            guard !order.isEmpty else { return }
            try await store.putKeyedRows(
                order.compactMap { slot in
                    rows[slot].map { KeyedRow(table: $0.table.qualifiedName, key: $0.key, value: Self.encode($0.row, writeTime: $0.writeTime)) }
                })
        }
    }
}

/// A lock for async code: `withLock` runs its body only when no other body holds the lock,
/// in the order they asked.
final class CQLAsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func withLock<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// How a keyed table's row is kept (see `KeyedCQLTableStorage`): an optional write-time header,
/// then the cells as CQL [bytes].
package enum KeyedCQLRow {
    static let writeTimeMarker: Int32 = -2

    package static func encode(_ row: [CQLValue?], writeTime: Int64?) -> [UInt8] {
        var buffer = ByteBuffer()
        if let writeTime {
            buffer.writeInteger(writeTimeMarker)
            buffer.writeInteger(writeTime)
        }
        for cell in row {
            guard let cell else {
                buffer.writeInteger(Int32(-1))
                continue
            }
            let bytes = cell.serialized()
            buffer.writeInteger(Int32(bytes.readableBytes))
            buffer.writeImmutableBuffer(bytes)
        }
        return Array(buffer.readableBytesView)
    }

    package static func decode(_ bytes: [UInt8], table: CQLTableDefinition) throws -> (row: [CQLValue?], writeTime: Int64?) {
        var buffer = ByteBuffer(bytes: bytes)
        var writeTime: Int64?
        if buffer.getInteger(at: buffer.readerIndex, as: Int32.self) == writeTimeMarker {
            buffer.moveReaderIndex(forwardBy: 4)
            guard let time = buffer.readInteger(as: Int64.self) else {
                throw CQLServerError(code: .serverError, message: "a stored row of \(table.qualifiedName) has a truncated write time")
            }
            writeTime = time
        }
        let row = try table.columns.map { column -> CQLValue? in
            guard buffer.readableBytes > 0 else { return nil }  // a column added later
            return try CQLValue.decode(try buffer.readCQLBytes("cell"), as: column.type)
        }
        return (row, writeTime)
    }

}
