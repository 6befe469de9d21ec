import NIOCore

/// The rows behind a table the endpoint serves from storage (`CQLTableSource.storage`).
///
/// A table has a single-column partition key and no clustering columns; rows are values in
/// the order of the table definition's `columns`. Implementations throw `CQLServerError` for
/// problems the client caused (a value the store refuses) and anything else for store
/// failures, which the client sees as SERVER_ERROR.
public protocol CQLTableStorage: Sendable {
    /// How many rows there are.
    func count() async throws -> Int64
    /// The row whose partition key is `key`.
    func row(key: CQLValue) async throws -> [CQLValue?]?
    /// Up to `limit` rows in partition-key order, starting after `key` when it is given.
    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]]
    /// Inserts or updates rows, all or none. Each write names the columns it sets; the
    /// others keep their current value (or the storage's default for a new row).
    func upsert(_ writes: [CQLRowWrite]) async throws
    /// Inserts or updates rows of several tables, all or none (a BATCH across tables). The
    /// storage registered for the first table gets the call. Defaults to refusing: most
    /// storages cannot write another table in the same transaction.
    func upsert(tables: [CQLTableWrites]) async throws
    /// `row(key:)`; with `withWriteTime`, a storage that keeps write times appends the row's
    /// (microseconds, `.bigint`, or `nil` when unknown) after the columns, for `WRITETIME()`.
    /// Defaults to `row(key:)`: no write time.
    func row(key: CQLValue, withWriteTime: Bool) async throws -> [CQLValue?]?
    /// `rows(limit:after:)`, each row with its write time appended as for `row(key:withWriteTime:)`.
    func rows(limit: Int, after key: CQLValue?, withWriteTime: Bool) async throws -> [[CQLValue?]]
}

extension CQLTableStorage {
    public func row(key: CQLValue, withWriteTime: Bool) async throws -> [CQLValue?]? {
        try await row(key: key)
    }

    public func rows(limit: Int, after key: CQLValue?, withWriteTime: Bool) async throws -> [[CQLValue?]] {
        try await rows(limit: limit, after: key)
    }

    public func upsert(tables: [CQLTableWrites]) async throws {
        throw CQLServerError(
            code: .invalid,
            message:
                "a BATCH on Freshet's CQL endpoint writes to one table, or only to the sink-state tables (got \(tables.map(\.table.qualifiedName).joined(separator: ", ")))"
        )
    }
}

/// The writes of one table within a multi-table BATCH.
public struct CQLTableWrites: Sendable, Hashable {
    public var table: CQLTableDefinition
    public var writes: [CQLRowWrite]

    public init(table: CQLTableDefinition, writes: [CQLRowWrite]) {
        self.table = table
        self.writes = writes
    }
}

/// The columns one INSERT sets.
public struct CQLRowWrite: Sendable, Hashable {
    /// The partition key's value.
    public var key: CQLValue
    /// Column name to value (`nil` is null), for the columns the statement names.
    public var values: [String: CQLValue?]
    /// The write's timestamp (`USING TIMESTAMP`, else the request's default timestamp), by
    /// convention microseconds since the epoch. `nil`: the storage uses the current time, as a
    /// Cassandra coordinator does. Of two writes of a row, the later timestamp wins whatever
    /// order they arrive in.
    public var timestamp: Int64?

    public init(key: CQLValue, values: [String: CQLValue?], timestamp: Int64? = nil) {
        self.key = key
        self.values = values
        self.timestamp = timestamp
    }
}

/// A request that needs storage, with everything needed to build its RESULT.
public struct CQLStorageOperation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `SELECT COUNT(*)`, of the whole table or of one partition.
        case count(key: CQLValue?)
        /// One partition.
        case get(key: CQLValue)
        /// A page of the whole table.
        case scan(page: CQLPage)
        case upsert([CQLRowWrite])
        /// A BATCH writing several tables, in statement order per table; `table` is the first.
        case upsertTables([CQLTableWrites])
    }

    public var table: CQLTableDefinition
    public var kind: Kind
    /// For reads: which of the table's columns to return, in order.
    public var projection: [Int]
    /// For reads: the result's columns (names may be aliases).
    public var resultColumns: [CQLColumnSpec]
    /// Leave the column specs out of the Rows metadata (EXECUTE with skip_metadata).
    public var skipMetadata: Bool
    /// For LIMIT on a single partition or a count.
    public var limit: Int?

    public init(
        table: CQLTableDefinition, kind: Kind, projection: [Int] = [], resultColumns: [CQLColumnSpec] = [], skipMetadata: Bool = false, limit: Int? = nil
    ) {
        self.table = table
        self.kind = kind
        self.projection = projection
        self.resultColumns = resultColumns
        self.skipMetadata = skipMetadata
        self.limit = limit
    }

    /// Whether the projection asks for a write time (`WRITETIME(column)`).
    public var needsWriteTime: Bool { projection.contains { $0 >= table.columns.count } }

    /// Runs the operation and builds its RESULT.
    public func run(on storage: any CQLTableStorage) async throws(CQLServerError) -> CQLResult {
        do {
            switch kind {
            case .count(let key):
                let n: Int64
                if let key {
                    n = try await storage.row(key: key) == nil ? 0 : 1
                } else {
                    n = try await storage.count()
                }
                let rows: [[CQLValue?]] = limit == 0 ? [] : [[.bigint(n)]]
                return .rows(CQLRows(metadata: metadata(pagingState: nil), values: rows))
            case .get(let key):
                let row = try await storage.row(key: key, withWriteTime: needsWriteTime)
                let rows = row.map { [project($0)] } ?? []
                return .rows(CQLRows(metadata: metadata(pagingState: nil), values: limit == 0 ? [] : rows))
            case .scan(let page):
                let (rows, next) = try await page.fetch(
                    from: storage, projection: projection, columnCount: table.columns.count, withWriteTime: needsWriteTime)
                return .rows(CQLRows(metadata: metadata(pagingState: next?.encoded()), values: rows))
            case .upsert(let writes):
                try await storage.upsert(writes)
                return .void
            case .upsertTables(let tables):
                try await storage.upsert(tables: tables)
                return .void
            }
        } catch let error as CQLServerError {
            throw error
        } catch {
            let what =
                switch kind {
                case .upsert, .upsertTables: "writing to"
                default: "reading"
                }
            throw CQLServerError(code: .serverError, message: "Freshet's store failed \(what) \(table.qualifiedName): \(error)")
        }
    }

    func project(_ row: [CQLValue?]) -> [CQLValue?] { Self.project(row, projection, columnCount: table.columns.count) }

    /// The cells `projection` asks for: an index below `columnCount` is a column; `columnCount + i`
    /// is the write time of column `i` (the row's write time, appended after its columns by the
    /// storage; `nil` for a null cell, as in Cassandra).
    static func project(_ row: [CQLValue?], _ projection: [Int], columnCount: Int) -> [CQLValue?] {
        projection.map { index in
            if index < columnCount { return row.indices.contains(index) ? row[index] : nil }
            let column = index - columnCount
            guard row.indices.contains(column), row[column] != nil, row.indices.contains(columnCount) else { return nil }
            return row[columnCount]
        }
    }

    func metadata(pagingState: ByteBuffer?) -> CQLRowsMetadata {
        if skipMetadata { return CQLRowsMetadata(noMetadataColumnCount: resultColumns.count, pagingState: pagingState) }
        return CQLRowsMetadata(columns: resultColumns, pagingState: pagingState)
    }
}

/// One page of a whole-table read, and where the next one starts.
///
/// The paging state a client gets back is opaque to it: a format byte, the number of rows
/// already returned (for LIMIT across pages) and the last partition key of the page.
///
/// A page is bounded by rows (`pageSize`) and by bytes (`maximumBytes` of cells): the row
/// that would pass the bytes starts the next page, and a page always has at least one row.
/// Storage is read in chunks of at most `chunkRows` rows, so a page of large rows is never
/// read whole before it is cut.
public struct CQLPage: Sendable, Hashable {
    /// Rows per page; `nil` for no row bound (the bytes still bound the page).
    public var pageSize: Int?
    /// The statement's LIMIT.
    public var limit: Int?
    /// Rows returned by the previous pages.
    public var returned: Int
    /// The last key of the previous page.
    public var after: CQLValue?
    /// `WHERE token(key) > …`: a page of the rows whose keys' tokens are in this range, in
    /// token order (then key bytes), as Cassandra returns them. `nil`: every row, in the
    /// storage's key order.
    public var tokenRange: CQLTokenRange?
    /// The partition key's type, to decode `after` from a paging state.
    public var keyType: CQLType
    /// Where the partition key is in a row.
    public var keyIndex: Int
    /// Bytes of cells (each with its 4-byte length) a page holds at most, but for its first
    /// row. Defaults to `CQLQueryLimits().maximumPageBytes` (1 MiB).
    public var maximumBytes: Int = CQLQueryLimits().maximumPageBytes

    /// Rows read from storage at once.
    public static let chunkRows = 32

    public init(pageSize: Int?, limit: Int?, returned: Int = 0, after: CQLValue? = nil, keyType: CQLType, keyIndex: Int) {
        self.pageSize = pageSize
        self.limit = limit
        self.returned = returned
        self.after = after
        self.keyType = keyType
        self.keyIndex = keyIndex
    }

    static let format: UInt8 = 1

    /// The page a paging state continues; throws PROTOCOL_ERROR for a state this endpoint did
    /// not make.
    public init(pageSize: Int?, limit: Int?, pagingState: ByteBuffer, keyType: CQLType, keyIndex: Int) throws(CQLServerError) {
        var state = pagingState
        guard state.readInteger(as: UInt8.self) == Self.format, let returned = state.readInteger(as: Int32.self), returned >= 0,
            let key = try? CQLValue(decoding: state, as: keyType)
        else {
            throw CQLServerError(code: .protocolError, message: "Invalid value for the paging state (not one this server returned)")
        }
        self.init(pageSize: pageSize, limit: limit, returned: Int(returned), after: key, keyType: keyType, keyIndex: keyIndex)
    }

    /// The paging state that continues after this page.
    public func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Self.format)
        buffer.writeInteger(Int32(clamping: returned))
        after?.encode(into: &buffer)
        return buffer
    }

    /// The rows of this page, projected, and, when more remain, the next page.
    func fetch(from storage: any CQLTableStorage, projection: [Int], columnCount: Int, withWriteTime: Bool) async throws -> ([[CQLValue?]], CQLPage?) {
        let remaining = limit.map { max(0, $0 - returned) }
        var want = max(1, pageSize ?? Int.max)
        if let remaining { want = min(want, remaining) }
        if want == 0 { return ([], nil) }
        if let tokenRange {
            return try await fetch(
                tokenRange, from: storage, want: want, remaining: remaining, projection: projection, columnCount: columnCount, withWriteTime: withWriteTime)
        }
        var rows: [[CQLValue?]] = []
        var bytes = 0
        var cursor = after
        var last: CQLValue?
        var more = false
        chunks: while true {
            // One row more than the page needs tells whether another page follows.
            let chunk = min(want - rows.count + 1, Self.chunkRows)
            let batch = try await storage.rows(limit: chunk, after: cursor, withWriteTime: withWriteTime)
            for row in batch {
                guard row.indices.contains(keyIndex) else {
                    throw CQLServerError(code: .serverError, message: "a stored row has no partition key")
                }
                let projected = CQLStorageOperation.project(row, projection, columnCount: columnCount)
                let size = projected.reduce(0) { $0 + 4 + ($1?.serializedSize ?? 0) }
                if rows.count == want || (!rows.isEmpty && bytes + size > maximumBytes) {
                    more = true
                    break chunks
                }
                rows.append(projected)
                bytes += size
                last = row[keyIndex]
            }
            guard batch.count == chunk, let key = batch.last?[keyIndex] else { break }
            cursor = key
        }
        if let remaining, remaining <= rows.count { more = false }
        guard more, let last else { return (rows, nil) }
        var next = self
        next.returned = returned + rows.count
        next.after = last
        return (rows, next)
    }
}

/// A range of the Murmur3 ring, from `token(key) > t` and the like (AND-ed).
public struct CQLTokenRange: Sendable, Hashable {
    /// Tokens above (or from, when `lowerInclusive`) this; `nil`: from the ring's start.
    public var lower: Int64?
    public var lowerInclusive: Bool
    /// Tokens below (or up to, when `upperInclusive`) this; `nil`: to the ring's end.
    public var upper: Int64?
    public var upperInclusive: Bool

    public init(lower: Int64? = nil, lowerInclusive: Bool = false, upper: Int64? = nil, upperInclusive: Bool = false) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// Narrows the range by one relation (the tightest bound of each side wins).
    public mutating func restrict(_ op: CQLTokenRelation.Operator, _ token: Int64) {
        switch op {
        case .greater, .greaterOrEqual:
            let inclusive = op == .greaterOrEqual
            if let lower, lower > token || (lower == token && !lowerInclusive) { return }
            lower = token
            lowerInclusive = inclusive
        case .less, .lessOrEqual:
            let inclusive = op == .lessOrEqual
            if let upper, upper < token || (upper == token && !upperInclusive) { return }
            upper = token
            upperInclusive = inclusive
        }
    }

    public func contains(_ token: Int64) -> Bool {
        if let lower, token < lower || (token == lower && !lowerInclusive) { return false }
        if let upper, token > upper || (token == upper && !upperInclusive) { return false }
        return true
    }
}

extension CQLPage {
    /// Rows read from storage at once while looking for the tokens of a range.
    public static let tokenScanChunkRows = 256

    /// A key's place on the ring: its token, then its bytes.
    struct RingPosition {
        var token: Int64
        var key: [UInt8]

        init(_ value: CQLValue) {
            token = CQLMurmur3Token.token(of: value)
            key = Array(value.serialized().readableBytesView)
        }

        func precedes(_ other: RingPosition) -> Bool {
            token != other.token ? token < other.token : key.lexicographicallyPrecedes(other.key)
        }
    }

    /// A page of the rows in `range`, in token order. Storage keeps keys in its own order, so
    /// this reads every row's key (a test stand-in's cost: O(rows) per page) and keeps the
    /// smallest positions past the previous page — at most `want + 1` keys and about
    /// `maximumBytes` of them — then reads those rows by key.
    func fetch(
        _ range: CQLTokenRange, from storage: any CQLTableStorage, want: Int, remaining: Int?, projection: [Int], columnCount: Int,
        withWriteTime: Bool
    ) async throws -> ([[CQLValue?]], CQLPage?) {
        let start = after.map(RingPosition.init)
        var candidates: [(position: RingPosition, key: CQLValue)] = []
        var keyBytes = 0
        var dropped = false
        var cursor: CQLValue?
        while true {
            let batch = try await storage.rows(limit: Self.tokenScanChunkRows, after: cursor)
            for row in batch {
                guard row.indices.contains(keyIndex), let key = row[keyIndex] else {
                    throw CQLServerError(code: .serverError, message: "a stored row has no partition key")
                }
                let position = RingPosition(key)
                guard range.contains(position.token) else { continue }
                if let start, !start.precedes(position) { continue }
                if candidates.count > want, let last = candidates.last, !position.precedes(last.position) {
                    dropped = true
                    continue
                }
                var low = 0
                var high = candidates.count
                while low < high {
                    let middle = (low + high) / 2
                    if candidates[middle].position.precedes(position) { low = middle + 1 } else { high = middle }
                }
                candidates.insert((position, key), at: low)
                keyBytes += position.key.count
                while candidates.count > want + 1 || (keyBytes > maximumBytes && candidates.count > 1) {
                    keyBytes -= candidates.removeLast().position.key.count
                    dropped = true
                }
            }
            guard batch.count == Self.tokenScanChunkRows, let last = batch.last?[keyIndex] else { break }
            cursor = last
        }
        var rows: [[CQLValue?]] = []
        var bytes = 0
        var last: CQLValue?
        var more = dropped
        for candidate in candidates {
            if rows.count == want {
                more = true
                break
            }
            // A row removed since its key was read is left out.
            guard let row = try await storage.row(key: candidate.key, withWriteTime: withWriteTime) else { continue }
            let projected = CQLStorageOperation.project(row, projection, columnCount: columnCount)
            let size = projected.reduce(0) { $0 + 4 + ($1?.serializedSize ?? 0) }
            if !rows.isEmpty && bytes + size > maximumBytes {
                more = true
                break
            }
            rows.append(projected)
            bytes += size
            last = candidate.key
        }
        if let remaining, remaining <= rows.count { more = false }
        guard more, let last else { return (rows, nil) }
        var next = self
        next.returned = returned + rows.count
        next.after = last
        return (rows, next)
    }
}
