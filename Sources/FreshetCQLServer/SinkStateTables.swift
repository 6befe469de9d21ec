import FreshetCQL
import FreshetStore
import NIOCore

/// The bookkeeping tables a remote Freshet pipeline's Cassandra sink keeps next to
/// `created_users` (see `CassandraSink`): where it is in its log, and its window counts.
///
/// The endpoint serves them when its store is a `KeyedRowStore` (SQLite is): rows live in the
/// store's `keyed_rows` table, apart from the store's own positions and windows, which belong to
/// the local processor and its log. A BATCH may write both tables at once, in one transaction
/// (the sink writes its window totals and positions that way).
///
/// | table | columns |
/// | --- | --- |
/// | `stream_positions` | `id text` (partition key, "topic/partition"), `topic text`, `partition int`, `next_offset bigint` |
/// | `window_counts` | `id text` (partition key, "window_start/dimension/label"), `window_start timestamp`, `dimension text`, `label text`, `total bigint` |
public enum SinkStateCQLTables {
    public static let streamPositions = CQLTableDefinition(
        keyspace: CreatedUsersCQLTable.keyspaceName, name: "stream_positions",
        columns: [
            CQLColumnDefinition("id", .varchar, kind: .partitionKey), CQLColumnDefinition("topic", .varchar),
            CQLColumnDefinition("partition", .int), CQLColumnDefinition("next_offset", .bigint),
        ],
        source: .storage, comment: "a Freshet sink's log positions")

    public static let windowCounts = CQLTableDefinition(
        keyspace: CreatedUsersCQLTable.keyspaceName, name: "window_counts",
        columns: [
            CQLColumnDefinition("id", .varchar, kind: .partitionKey), CQLColumnDefinition("window_start", .timestamp),
            CQLColumnDefinition("dimension", .varchar), CQLColumnDefinition("label", .varchar), CQLColumnDefinition("total", .bigint),
        ],
        source: .storage, comment: "a Freshet sink's per-window counts")

    public static let all = [streamPositions, windowCounts]
}

/// A table whose rows are kept in a `KeyedRowStore`: each row is its cells as CQL [bytes]
/// (an `Int32` length, -1 for null, then the value's bytes) in column order, under the text of
/// its partition key.
struct KeyedCQLTableStorage: CQLTableStorage {
    let table: CQLTableDefinition
    let store: any KeyedRowStore
    let writable: Bool
    /// Tables a multi-table BATCH may write together with this one.
    let siblings: Set<String>
    /// How large a written row, and the rows of one upsert, may be.
    var limits = CQLRowLimits(maximumRowBytes: 64 * 1024)

    func key(_ value: CQLValue) throws(CQLServerError) -> String {
        guard case .text(let key) = value, !key.isEmpty else {
            throw CQLServerError(code: .invalid, message: "\(table.qualifiedName).id must be non-empty text, got \(value)")
        }
        return key
    }

    static func encode(_ row: [CQLValue?]) -> [UInt8] {
        var buffer = ByteBuffer()
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

    static func decode(_ bytes: [UInt8], table: CQLTableDefinition) throws -> [CQLValue?] {
        var buffer = ByteBuffer(bytes: bytes)
        return try table.columns.map { column in
            guard buffer.readableBytes > 0 else { return nil }  // a column added later
            return try CQLValue.decode(try buffer.readCQLBytes("cell"), as: column.type)
        }
    }

    func count() async throws -> Int64 { Int64(try await store.keyedRowCount(table: table.qualifiedName)) }

    func row(key: CQLValue) async throws -> [CQLValue?]? {
        try await store.keyedRow(table: table.qualifiedName, key: try self.key(key)).map { try Self.decode($0, table: table) }
    }

    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]] {
        let cursor = try key.map { (k) throws(CQLServerError) in try self.key(k) }
        return try await store.keyedRows(table: table.qualifiedName, limit: limit, after: cursor).map { try Self.decode($0.value, table: table) }
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
                message: "a BATCH on Freshet's CQL endpoint writes to one table, or only to \(siblings.sorted().joined(separator: " and ")) (got \(outsiders.joined(separator: ", ")))")
        }
        var rows: [String: (table: CQLTableDefinition, key: String, row: [CQLValue?])] = [:]
        var sizes: [String: Int] = [:]
        var total = 0
        var order: [String] = []
        for group in tables {
            for write in group.writes {
                let key = try self.key(write.key)
                let slot = group.table.qualifiedName + "\u{0}" + key
                var row: [CQLValue?]
                if let pending = rows[slot] {
                    row = pending.row
                } else if let stored = try await store.keyedRow(table: group.table.qualifiedName, key: key) {
                    row = try Self.decode(stored, table: group.table)
                } else {
                    row = Array(repeating: nil, count: group.table.columns.count)
                }
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
                if rows.updateValue((group.table, key, row), forKey: slot) == nil { order.append(slot) }
            }
        }
        try await store.putKeyedRows(order.compactMap { slot in
            rows[slot].map { KeyedRow(table: $0.table.qualifiedName, key: $0.key, value: Self.encode($0.row)) }
        })
    }
}
