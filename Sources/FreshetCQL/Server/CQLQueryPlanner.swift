import NIOCore
import Synchronization

/// What a connection knows when it plans a request.
public struct CQLSessionState: Sendable, Hashable {
    /// Set by USE.
    public var keyspace: String?
    /// The node's address as this client reached it, for `system.local`.
    public var addresses: CQLSystemSchema.Addresses

    public init(keyspace: String? = nil, addresses: CQLSystemSchema.Addresses) {
        self.keyspace = keyspace
        self.addresses = addresses
    }
}

/// How to answer a QUERY, PREPARE, EXECUTE or BATCH.
public enum CQLPlan: Sendable, Hashable {
    /// Answer at once (system tables, DESCRIBE, USE, DDL, PREPARE).
    case result(CQLResult)
    case error(CQLServerError)
    /// Run against the table's storage, then answer with the operation's result.
    case storage(CQLStorageOperation)
}

/// Statements prepared on any connection, shared by all of them: drivers prepare on one
/// connection and execute on another.
///
/// Bounded by bytes (each entry's query text and parsed tree, estimated) and by entries; the
/// least recently used entries go first, and clients re-prepare on UNPREPARED. A statement
/// larger than the whole cache is refused. Ids are keyed hashes (SipHash with this process's
/// random seed) of keyspace and text: stable while the process runs, and no client can craft a
/// statement whose id collides with another's.
public final class CQLPreparedStatementCache: Sendable {
    public struct Entry: Sendable, Hashable {
        public var query: String
        /// The keyspace in use when it was prepared; unqualified tables resolve against it.
        public var keyspace: String?
        public var statement: CQLParsedStatement

        public init(query: String, keyspace: String?, statement: CQLParsedStatement) {
            self.query = query
            self.keyspace = keyspace
            self.statement = statement
        }

        /// What the entry is counted as: its text (as a key and in the entry), its keyspace and
        /// its parsed tree.
        public var estimatedBytes: Int {
            let tree = statement.estimatedBytes > 0 ? statement.estimatedBytes : 64 * query.utf8.count
            return query.utf8.count + (keyspace?.utf8.count ?? 0) + tree + 128
        }
    }

    /// Bytes of entries kept (estimated) before the least recently used are dropped.
    public let maximumBytes: Int
    /// Entries kept before the least recently used are dropped.
    public let maximumEntries: Int
    private let state: Mutex<LRU>

    /// `maximumBytes` defaults to 8 MiB, `maximumEntries` to 10,000 statements.
    public init(maximumBytes: Int = 8 * 1024 * 1024, maximumEntries: Int = 10_000) {
        self.maximumBytes = max(1, maximumBytes)
        self.maximumEntries = max(1, maximumEntries)
        self.state = Mutex(LRU())
    }

    /// The id of `query` prepared in `keyspace`: the same text gets the same id while the
    /// process runs.
    public static func id(query: String, keyspace: String?) -> ByteBuffer {
        func half(_ tag: UInt8) -> UInt64 {
            var hasher = Hasher()
            hasher.combine(tag)
            hasher.combine(keyspace)
            hasher.combine(query)
            return UInt64(bitPattern: Int64(hasher.finalize()))
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(half(1))
        buffer.writeInteger(half(2))
        return buffer
    }

    /// Caches `entry` under `id`, dropping the least recently used entries to make room.
    /// Throws INVALID when the entry alone is larger than the cache, as Cassandra does.
    public func insert(_ entry: Entry, id: ByteBuffer) throws(CQLServerError) {
        let cost = entry.estimatedBytes + id.readableBytes
        guard cost <= maximumBytes else {
            throw CQLServerError(
                code: .invalid,
                message: "Prepared statement of size \(cost) bytes is larger than allowed maximum of \(maximumBytes) bytes: \(entry.query.prefix(100))...")
        }
        state.withLock { lru in
            lru.insert(id: id, entry: entry, cost: cost)
            while lru.bytes > maximumBytes || lru.count > maximumEntries, lru.count > 1 {
                lru.removeLeastRecentlyUsed()
            }
        }
    }

    /// The entry of `id`, which becomes the most recently used.
    public func entry(_ id: ByteBuffer) -> Entry? { state.withLock { $0.use(id) } }

    public var count: Int { state.withLock { $0.count } }

    /// Estimated bytes of the cached entries.
    public var bytes: Int { state.withLock { $0.bytes } }

    /// A least-recently-used list: slots in an array linked both ways, found by id.
    struct LRU: Sendable {
        struct Slot: Sendable {
            var id: ByteBuffer
            var entry: Entry
            var cost: Int
            var newer: Int
            var older: Int
        }

        var slots: [Slot] = []
        var free: [Int] = []
        var index: [ByteBuffer: Int] = [:]
        /// Most recently used, and least; -1 when empty.
        var newest = -1
        var oldest = -1
        var bytes = 0

        var count: Int { index.count }

        mutating func unlink(_ i: Int) {
            let slot = slots[i]
            if slot.newer >= 0 { slots[slot.newer].older = slot.older } else { newest = slot.older }
            if slot.older >= 0 { slots[slot.older].newer = slot.newer } else { oldest = slot.newer }
        }

        mutating func pushNewest(_ i: Int) {
            slots[i].newer = -1
            slots[i].older = newest
            if newest >= 0 { slots[newest].newer = i }
            newest = i
            if oldest < 0 { oldest = i }
        }

        mutating func use(_ id: ByteBuffer) -> Entry? {
            guard let i = index[id] else { return nil }
            if i != newest {
                unlink(i)
                pushNewest(i)
            }
            return slots[i].entry
        }

        mutating func insert(id: ByteBuffer, entry: Entry, cost: Int) {
            if let i = index[id] {
                bytes += cost - slots[i].cost
                slots[i].entry = entry
                slots[i].cost = cost
                unlink(i)
                pushNewest(i)
                return
            }
            let slot = Slot(id: id, entry: entry, cost: cost, newer: -1, older: -1)
            let i: Int
            if let reused = free.popLast() {
                slots[reused] = slot
                i = reused
            } else {
                slots.append(slot)
                i = slots.count - 1
            }
            index[id] = i
            bytes += cost
            pushNewest(i)
        }

        mutating func removeLeastRecentlyUsed() {
            let i = oldest
            guard i >= 0 else { return }
            unlink(i)
            index[slots[i].id] = nil
            bytes -= slots[i].cost
            // Keep the slot for reuse but drop what it holds.
            slots[i].entry = Entry(query: "", keyspace: nil, statement: CQLParsedStatement(statement: .use(""), bindMarkerCount: 0))
            slots[i].id = ByteBuffer()
            free.append(i)
        }
    }
}

/// Turns requests into answers or storage operations: the endpoint's query processing, free
/// of IO. Parses, resolves tables and columns against the catalog, binds values, and computes
/// the system tables and DESCRIBE.
public struct CQLQueryPlanner: Sendable {
    public var catalog: CQLCatalog
    public let preparedStatements: CQLPreparedStatementCache
    /// Statement length, nesting depth and page size.
    public var limits: CQLQueryLimits

    public init(
        catalog: CQLCatalog, preparedStatements: CQLPreparedStatementCache = CQLPreparedStatementCache(),
        limits: CQLQueryLimits = CQLQueryLimits()
    ) {
        self.catalog = catalog
        self.preparedStatements = preparedStatements
        self.limits = limits
    }

    /// The plan for a QUERY, PREPARE, EXECUTE or BATCH; other requests get a PROTOCOL_ERROR.
    public func plan(_ request: CQLRequest, session: CQLSessionState) -> CQLPlan {
        do throws(CQLServerError) {
            switch request {
            case .query(let text, let parameters):
                try Self.checkDefaultTimestamp(parameters.defaultTimestamp)
                let parsed = try CQLStatementParser.parse(text, limits: limits)
                return try plan(parsed, keyspace: session.keyspace, parameters: parameters, session: session)
            case .prepare(let text):
                return .result(.prepared(try prepare(text, keyspace: session.keyspace)))
            case .execute(let id, let parameters):
                try Self.checkDefaultTimestamp(parameters.defaultTimestamp)
                guard let entry = preparedStatements.entry(id) else { throw Self.unprepared(id) }
                return try plan(entry.statement, keyspace: entry.keyspace ?? session.keyspace, parameters: parameters, session: session)
            case .batch(let batch):
                try Self.checkDefaultTimestamp(batch.defaultTimestamp)
                return try plan(batch, session: session)
            default:
                return .error(CQLServerError(code: .protocolError, message: "\(request.opcode) is not a query"))
            }
        } catch {
            return .error(error)
        }
    }

    /// Cassandra refuses a request whose default timestamp (flag 0x20) is `Long.MIN_VALUE`, the
    /// value it keeps for "no timestamp".
    static func checkDefaultTimestamp(_ timestamp: Int64?) throws(CQLServerError) {
        guard timestamp == .min else { return }
        throw CQLServerError(
            code: .protocolError,
            message: "Out of bound timestamp, must be in [\(Int64.min + 1), \(Int64.max)] (got \(Int64.min))")
    }

    static func unprepared(_ id: ByteBuffer) -> CQLServerError {
        let hex = id.readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return .unprepared(
            "Prepared query with ID \(hex) not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)",
            id: id)
    }

    // MARK: PREPARE

    public func prepare(_ text: String, keyspace: String?) throws(CQLServerError) -> CQLPrepared {
        let parsed = try CQLStatementParser.parse(text, limits: limits)
        var markers = [CQLColumnSpec?](repeating: nil, count: parsed.bindMarkerCount)
        var keyIndexes: [UInt16] = []
        var resultMetadata = CQLRowsMetadata.empty
        func mark(_ term: CQLTerm, _ table: CQLTableDefinition, _ column: Int) {
            if case .bindMarker(let i) = term, markers.indices.contains(i) {
                markers[i] = table.columnSpec(column)
                // The parser allows at most 65,535 markers, so every index fits a [short].
                if table.columns[column].kind == .partitionKey, table.partitionKey.count == 1, let index = UInt16(exactly: i) {
                    keyIndexes = [index]
                }
            }
        }
        func markTimestamp(_ term: CQLTerm?, _ table: CQLTableDefinition?) {
            if case .bindMarker(let i)? = term, markers.indices.contains(i) {
                markers[i] = CQLColumnSpec(keyspace: table?.keyspace ?? keyspace ?? "", table: table?.name ?? "", name: "[timestamp]", type: .bigint)
            }
        }
        switch parsed.statement {
        case .select(let select):
            let table = try resolve(select.table, keyspace: keyspace)
            for relation in select.relations {
                mark(relation.term, table, try filterColumn(relation.column, in: table))
            }
            for relation in select.tokenRelations {
                let keyColumns = try tokenColumns(relation, of: table)
                switch relation.bound {
                case .tokenOf(let terms):
                    for (term, column) in zip(terms, keyColumns) {
                        if case .bindMarker(let i) = term, markers.indices.contains(i) { markers[i] = table.columnSpec(column) }
                    }
                case .token(let term):
                    if case .bindMarker(let i) = term, markers.indices.contains(i) {
                        markers[i] = CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: "partition key token", type: .bigint)
                    }
                }
            }
            if case .bindMarker(let i) = select.limit, markers.indices.contains(i) {
                markers[i] = CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: "[limit]", type: .int)
            }
            resultMetadata = CQLRowsMetadata(columns: try selection(select.selection, of: table).columns)
        case .insert(let insert):
            let table = try resolve(insert.table, keyspace: keyspace)
            for (column, term) in zip(insert.columns, insert.values) {
                mark(term, table, try columnIndex(column, in: table))
            }
            markTimestamp(insert.timestamp, table)
        case .batch(let batch):
            var first: CQLTableDefinition?
            for insert in batch.inserts {
                let table = try resolve(insert.table, keyspace: keyspace)
                first = first ?? table
                for (column, term) in zip(insert.columns, insert.values) {
                    mark(term, table, try columnIndex(column, in: table))
                }
                markTimestamp(insert.timestamp, table)
            }
            markTimestamp(batch.timestamp, first)
            // A batch may write many partitions: drivers route it by none of its markers.
            keyIndexes = []
        case .use, .createKeyspace, .createTable, .describe:
            break
        }
        let id = CQLPreparedStatementCache.id(query: text, keyspace: keyspace)
        try preparedStatements.insert(.init(query: text, keyspace: keyspace, statement: parsed), id: id)
        let specs = markers.map { $0 ?? CQLColumnSpec(keyspace: keyspace ?? "", table: "", name: "?", type: .blob) }
        return CQLPrepared(id: id, metadata: CQLPreparedMetadata(columns: specs, partitionKeyIndexes: keyIndexes), resultMetadata: resultMetadata)
    }

    // MARK: Statements

    func plan(_ parsed: CQLParsedStatement, keyspace: String?, parameters: CQLQueryParameters, session: CQLSessionState) throws(CQLServerError) -> CQLPlan {
        let values: [CQLBindValue]
        switch parameters.values {
        case nil: values = []
        case .positional(let v): values = v
        case .named: throw CQLServerError(code: .invalid, message: "named values are not supported by Freshet's CQL endpoint; bind by position")
        }
        guard values.count == parsed.bindMarkerCount else {
            throw CQLServerError(code: .invalid, message: "There were \(parsed.bindMarkerCount) markers(?) in CQL but \(values.count) bound variables")
        }
        let binder = Binder(values: values)
        switch parsed.statement {
        case .select(let select):
            return try plan(select, binder: binder, keyspace: keyspace, parameters: parameters, session: session)
        case .insert(let insert):
            let (table, write) = try rowWrite(insert, binder: binder, keyspace: keyspace, defaultTimestamp: parameters.defaultTimestamp)
            return .storage(CQLStorageOperation(table: table, kind: .upsert([write])))
        case .batch(let batch):
            guard batch.type != .counter else { throw CQLServerError(code: .invalid, message: "counter batches are not supported by Freshet's CQL endpoint") }
            let batchTimestamp = try timestamp(batch.timestamp, binder: binder) ?? parameters.defaultTimestamp
            var writes: [(CQLTableDefinition, CQLRowWrite)] = []
            for insert in batch.inserts {
                if batch.timestamp != nil, insert.timestamp != nil {
                    throw CQLServerError(code: .invalid, message: "Timestamp must be set either on BATCH or individual statements")
                }
                writes.append(try rowWrite(insert, binder: binder, keyspace: keyspace, defaultTimestamp: batchTimestamp))
            }
            return plan(writes: writes)
        case .use(let name):
            guard catalog.keyspace(name) != nil else { throw CQLServerError(code: .invalid, message: "Keyspace '\(name)' does not exist") }
            return .result(.setKeyspace(name))
        case .createKeyspace(let create):
            guard catalog.keyspace(create.name) != nil else {
                throw CQLServerError(
                    code: .invalid, message: "Freshet serves a fixed schema and cannot create keyspace \(create.name); it has \(userKeyspaceNames)")
            }
            if create.ifNotExists { return .result(.void) }
            throw CQLServerError.alreadyExists("Cannot add existing keyspace \"\(create.name)\"", keyspace: create.name, table: "")
        case .createTable(let create):
            let name = try keyspaceName(create.table, keyspace)
            guard catalog.keyspace(name) != nil else { throw CQLServerError(code: .invalid, message: "Keyspace '\(name)' doesn't exist") }
            guard let table = catalog.table(keyspace: name, name: create.table.name) else {
                throw CQLServerError(
                    code: .invalid, message: "Freshet serves a fixed schema and cannot create table \(name).\(create.table.name); it has \(userTableNames)")
            }
            try Self.checkMatches(create, table)
            if create.ifNotExists { return .result(.void) }
            throw CQLServerError.alreadyExists(
                "Cannot add already existing table \"\(table.name)\" to keyspace \"\(table.keyspace)\"", keyspace: table.keyspace, table: table.name)
        case .describe(let describe):
            return .result(.rows(try CQLDescribe(catalog: catalog, session: session, keyspace: keyspace).rows(describe)))
        }
    }

    var userKeyspaceNames: String { catalog.keyspaces.filter { !$0.isSystem }.map(\.name).joined(separator: ", ") }
    var userTableNames: String {
        catalog.keyspaces.filter { !$0.isSystem }.flatMap { $0.tables.map(\.qualifiedName) }.joined(separator: ", ")
    }

    /// A CREATE TABLE matches when each column it declares exists with the same type and the
    /// primary key is the table's. Columns it leaves out are fine (the seeds' DDL declares a
    /// subset). A `uuid` partition key matches a `text` one: Freshet keeps ids as text.
    static func checkMatches(_ create: CQLCreateTableStatement, _ table: CQLTableDefinition) throws(CQLServerError) {
        let key = table.partitionKey.map(\.name)
        let clustering = table.columns.filter { $0.kind == .clustering }.sorted { $0.position < $1.position }.map(\.name)
        guard create.partitionKey == key, create.clustering == clustering else {
            throw CQLServerError(
                code: .invalid,
                message:
                    "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: its primary key is (\(key.joined(separator: ", "))), not (\((create.partitionKey + create.clustering).joined(separator: ", ")))"
            )
        }
        for column in create.columns {
            guard let index = table.columnIndex(column.name) else {
                throw CQLServerError(
                    code: .invalid,
                    message:
                        "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: it has no column \(column.name) (columns: \(table.columns.map(\.name).joined(separator: ", ")))"
                )
            }
            let existing = table.columns[index]
            let compatible = existing.type == column.type || (existing.kind == .partitionKey && existing.type == .varchar && column.type == .uuid)
            guard compatible else {
                throw CQLServerError(
                    code: .invalid,
                    message:
                        "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: column \(column.name) is \(existing.typeText), not \(column.type)")
            }
        }
    }

    // MARK: SELECT

    struct Selection {
        var projection: [Int]
        var columns: [CQLColumnSpec]
        var isCount: Bool
    }

    func selection(_ selection: CQLSelection, of table: CQLTableDefinition) throws(CQLServerError) -> Selection {
        switch selection {
        case .all:
            let order = table.selectAllOrder
            return Selection(projection: order, columns: order.map { table.columnSpec($0) }, isCount: false)
        case .count(let alias):
            return Selection(
                projection: [], columns: [CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: alias ?? "count", type: .bigint)], isCount: true)
        case .columns(let selected):
            var projection: [Int] = []
            var columns: [CQLColumnSpec] = []
            for column in selected {
                let index = try columnIndex(column.name, in: table)
                guard column.writeTime else {
                    projection.append(index)
                    columns.append(table.columnSpec(index, name: column.alias))
                    continue
                }
                let definition = table.columns[index]
                guard definition.kind == .regular else {
                    throw CQLServerError(code: .invalid, message: "Cannot use selection function writeTime on PRIMARY KEY part \(definition.name)")
                }
                guard case .storage = table.source else {
                    throw CQLServerError(code: .invalid, message: "WRITETIME() of \(table.qualifiedName) is not supported by Freshet's CQL endpoint")
                }
                // Past the columns: the write time of column `index` (see CQLStorageOperation.project).
                projection.append(table.columns.count + index)
                columns.append(CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: column.alias ?? "writetime(\(definition.name))", type: .bigint))
            }
            return Selection(projection: projection, columns: columns, isCount: false)
        }
    }

    func plan(
        _ select: CQLSelectStatement, binder: Binder, keyspace: String?, parameters: CQLQueryParameters, session: CQLSessionState
    ) throws(CQLServerError) -> CQLPlan {
        let table = try resolve(select.table, keyspace: keyspace)
        let selection = try selection(select.selection, of: table)
        var limit: Int?
        if let term = select.limit {
            guard case .int(let n)? = try binder.value(term, type: .int, column: "[limit]") else {
                throw CQLServerError(code: .invalid, message: "Invalid null value of limit")
            }
            guard n > 0 else { throw CQLServerError(code: .invalid, message: "LIMIT must be strictly positive") }
            limit = Int(n)
        }
        var filters: [(Int, CQLValue?)] = []
        for relation in select.relations {
            let index = try filterColumn(relation.column, in: table)
            let column = table.columns[index]
            filters.append((index, try binder.value(relation.term, type: column.type, column: column.name)))
        }
        let metadata = { (pagingState: ByteBuffer?) -> CQLRowsMetadata in
            parameters.skipMetadata
                ? CQLRowsMetadata(noMetadataColumnCount: selection.columns.count, pagingState: pagingState)
                : CQLRowsMetadata(columns: selection.columns, pagingState: pagingState)
        }

        var tokenRange: CQLTokenRange?
        for relation in select.tokenRelations {
            let keyColumns = try tokenColumns(relation, of: table)
            let token: Int64
            switch relation.bound {
            case .tokenOf(let terms):
                guard terms.count == keyColumns.count else {
                    throw CQLServerError(
                        code: .invalid, message: "token() takes \(keyColumns.count) argument(s) for \(table.qualifiedName), got \(terms.count)")
                }
                let column = table.columns[keyColumns[0]]
                guard let value = try binder.value(terms[0], type: column.type, column: column.name) else {
                    throw CQLServerError(code: .invalid, message: "Invalid null value for the partition key part \(column.name)")
                }
                token = CQLMurmur3Token.token(of: value)
            case .token(let term):
                guard case .bigint(let value)? = try binder.value(term, type: .bigint, column: "partition key token") else {
                    throw CQLServerError(code: .invalid, message: "Invalid null value of the partition key token")
                }
                token = value
            }
            var range = tokenRange ?? CQLTokenRange()
            range.restrict(relation.op, token)
            tokenRange = range
        }
        if tokenRange != nil {
            guard case .storage = table.source else {
                throw CQLServerError(code: .invalid, message: "token() restrictions on \(table.qualifiedName) are not supported by Freshet's CQL endpoint")
            }
            guard !selection.isCount, select.relations.isEmpty else {
                throw unsupportedTokenUse
            }
        }

        switch table.source {
        case .system(let kind):
            var rows = CQLSystemSchema.rows(of: table, kind: kind, catalog: catalog, addresses: session.addresses)
            rows = rows.filter { row in filters.allSatisfy { row[$0.0] != nil && row[$0.0] == $0.1 } }
            if selection.isCount {
                return .result(.rows(CQLRows(metadata: metadata(nil), values: [[.bigint(Int64(rows.count))]])))
            }
            if let limit { rows = Array(rows.prefix(limit)) }
            return .result(.rows(CQLRows(metadata: metadata(nil), values: rows.map { row in selection.projection.map { row[$0] } })))
        case .storage:
            var key: CQLValue?
            for (index, value) in filters {
                let column = table.columns[index]
                guard column.kind == .partitionKey else {
                    throw CQLServerError(
                        code: .invalid,
                        message:
                            "Freshet's CQL endpoint filters \(table.qualifiedName) only by its partition key \(table.partitionKey.map(\.name).joined(separator: ", ")); \(column.name) is not part of it"
                    )
                }
                guard let value else { throw CQLServerError(code: .invalid, message: "Invalid null value in condition for column \(column.name)") }
                if let key, key != value {
                    // `id = 'a' AND id = 'b'` matches nothing.
                    _ = key
                    return .result(.rows(CQLRows(metadata: metadata(nil), values: selection.isCount ? [[.bigint(0)]] : [])))
                }
                key = value
            }
            var operation = CQLStorageOperation(
                table: table, kind: .count(key: key), projection: selection.projection, resultColumns: selection.columns,
                skipMetadata: parameters.skipMetadata, limit: limit)
            if selection.isCount { return .storage(operation) }
            if let key {
                operation.kind = .get(key: key)
                return .storage(operation)
            }
            guard let keyColumn = table.partitionKey.first, let keyIndex = table.columnIndex(keyColumn.name) else {
                throw CQLServerError(code: .serverError, message: "table \(table.qualifiedName) has no partition key")
            }
            // No page size, or a larger one than the endpoint serves: pages of the endpoint's
            // size, with a paging state for the rest (the spec lets a server return fewer rows;
            // drivers follow the paging state).
            let requested = parameters.pageSize.flatMap { $0 > 0 ? Int($0) : nil } ?? limits.maximumPageRows
            let pageSize = min(requested, limits.maximumPageRows)
            var page: CQLPage
            if let state = parameters.pagingState {
                page = try CQLPage(pageSize: pageSize, limit: limit, pagingState: state, keyType: keyColumn.type, keyIndex: keyIndex)
            } else {
                page = CQLPage(pageSize: pageSize, limit: limit, keyType: keyColumn.type, keyIndex: keyIndex)
            }
            page.maximumBytes = limits.maximumPageBytes
            page.tokenRange = tokenRange
            operation.kind = .scan(page: page)
            return .storage(operation)
        }
    }

    var unsupportedTokenUse: CQLServerError {
        CQLServerError(
            code: .invalid,
            message: "token() restrictions are supported by Freshet's CQL endpoint only alone, in a SELECT of rows (not COUNT, not with other restrictions)")
    }

    /// The partition key columns inside a `token(…)`, which must be the table's, in order.
    func tokenColumns(_ relation: CQLTokenRelation, of table: CQLTableDefinition) throws(CQLServerError) -> [Int] {
        let key = table.partitionKey.map(\.name)
        guard relation.columns == key else {
            throw CQLServerError(
                code: .invalid,
                message:
                    "The token() function must be applied to all partition key components or none of them: token(\(key.joined(separator: ", "))) of \(table.qualifiedName)"
            )
        }
        return try key.map { (name) throws(CQLServerError) in try columnIndex(name, in: table) }
    }

    // MARK: INSERT and BATCH

    /// The value of `USING TIMESTAMP term`: `nil` when there is none or its marker is unset.
    func timestamp(_ term: CQLTerm?, binder: Binder) throws(CQLServerError) -> Int64? {
        guard let term, !binder.isUnset(term) else { return nil }
        guard case .bigint(let value)? = try binder.value(term, type: .bigint, column: "[timestamp]") else {
            throw CQLServerError(code: .invalid, message: "Invalid null value of timestamp")
        }
        return value
    }

    func rowWrite(
        _ insert: CQLInsertStatement, binder: Binder, keyspace: String?, defaultTimestamp: Int64? = nil
    ) throws(CQLServerError) -> (CQLTableDefinition, CQLRowWrite) {
        let table = try resolve(insert.table, keyspace: keyspace)
        guard case .storage = table.source else {
            throw CQLServerError(code: .unauthorized, message: "\(table.keyspace) keyspace is not user-modifiable.")
        }
        var values: [String: CQLValue?] = [:]
        for (name, term) in zip(insert.columns, insert.values) {
            let column = table.columns[try columnIndex(name, in: table)]
            guard values[name] == nil else { throw CQLServerError(code: .invalid, message: "Multiple definitions found for column \(name)") }
            if binder.isUnset(term) {
                guard column.kind != .partitionKey else { throw CQLServerError(code: .invalid, message: "Invalid unset value for column \(name)") }
                continue
            }
            values[name] = .some(try binder.value(term, type: column.type, column: name))
        }
        let keyColumns = table.partitionKey
        guard let keyColumn = keyColumns.first, keyColumns.count == 1 else {
            throw CQLServerError(code: .serverError, message: "table \(table.qualifiedName) needs a single-column partition key")
        }
        guard let keyValue = values[keyColumn.name] else {
            throw CQLServerError(code: .invalid, message: "Some partition key parts are missing: \(keyColumn.name)")
        }
        guard let key = keyValue else { throw CQLServerError(code: .invalid, message: "Invalid null value in condition for column \(keyColumn.name)") }
        let timestamp = try timestamp(insert.timestamp, binder: binder) ?? defaultTimestamp
        return (table, CQLRowWrite(key: key, values: values, timestamp: timestamp))
    }

    func plan(_ batch: CQLBatch, session: CQLSessionState) throws(CQLServerError) -> CQLPlan {
        guard batch.type != .counter else { throw CQLServerError(code: .invalid, message: "counter batches are not supported by Freshet's CQL endpoint") }
        var writes: [(CQLTableDefinition, CQLRowWrite)] = []
        for statement in batch.statements {
            let parsed: CQLParsedStatement
            var keyspace = session.keyspace
            switch statement.kind {
            case .query(let text): parsed = try CQLStatementParser.parse(text, limits: limits)
            case .prepared(let id):
                guard let entry = preparedStatements.entry(id) else { throw Self.unprepared(id) }
                parsed = entry.statement
                keyspace = entry.keyspace ?? keyspace
            }
            guard case .insert(let insert) = parsed.statement else {
                throw CQLServerError(code: .invalid, message: "Only INSERT statements are allowed in a BATCH on Freshet's CQL endpoint")
            }
            guard statement.values.count == parsed.bindMarkerCount else {
                throw CQLServerError(
                    code: .invalid, message: "There were \(parsed.bindMarkerCount) markers(?) in CQL but \(statement.values.count) bound variables")
            }
            writes.append(try rowWrite(insert, binder: Binder(values: statement.values), keyspace: keyspace, defaultTimestamp: batch.defaultTimestamp))
        }
        return plan(writes: writes)
    }

    /// The storage operation of a BATCH's writes: one table's upsert, or several tables' (which
    /// the first table's storage may refuse).
    func plan(writes: [(CQLTableDefinition, CQLRowWrite)]) -> CQLPlan {
        var tables: [CQLTableWrites] = []
        for (target, write) in writes {
            if let index = tables.firstIndex(where: { $0.table.qualifiedName == target.qualifiedName }) {
                tables[index].writes.append(write)
            } else {
                tables.append(CQLTableWrites(table: target, writes: [write]))
            }
        }
        guard let first = tables.first else { return .result(.void) }
        // Several tables: the first table's storage decides whether it can write them together.
        if tables.count > 1 { return .storage(CQLStorageOperation(table: first.table, kind: .upsertTables(tables))) }
        return .storage(CQLStorageOperation(table: first.table, kind: .upsert(first.writes)))
    }

    // MARK: Names

    func keyspaceName(_ name: CQLQualifiedName, _ keyspace: String?) throws(CQLServerError) -> String {
        guard let ks = name.keyspace ?? keyspace else {
            throw CQLServerError(code: .invalid, message: "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        }
        return ks
    }

    func resolve(_ name: CQLQualifiedName, keyspace: String?) throws(CQLServerError) -> CQLTableDefinition {
        let ks = try keyspaceName(name, keyspace)
        guard let keyspaceDefinition = catalog.keyspace(ks) else {
            throw CQLServerError(code: .invalid, message: "Keyspace \(ks) does not exist")
        }
        guard let table = keyspaceDefinition.table(name.name) else {
            throw CQLServerError(code: .invalid, message: "table \(name.name) does not exist")
        }
        return table
    }

    func columnIndex(_ name: String, in table: CQLTableDefinition) throws(CQLServerError) -> Int {
        guard let index = table.columnIndex(name) else {
            throw CQLServerError(code: .invalid, message: "Undefined column name \(name.prefix(100)) in table \(table.qualifiedName)")
        }
        return index
    }

    /// A column a WHERE clause restricts. Collections cannot be (Cassandra refuses `=` on a
    /// non-frozen one; no driver filters on them), so a bound value is never decoded into a
    /// collection.
    func filterColumn(_ name: String, in table: CQLTableDefinition) throws(CQLServerError) -> Int {
        let index = try columnIndex(name, in: table)
        let column = table.columns[index]
        switch column.type {
        case .list, .set, .map, .tuple, .udt:
            throw CQLServerError(
                code: .invalid, message: "Collection column '\(column.name)' (\(column.typeText)) cannot be restricted by a '=' relation")
        default:
            return index
        }
    }
}

/// Gives terms their values: literals converted, markers decoded from the bound bytes.
struct Binder {
    var values: [CQLBindValue]

    func value(_ term: CQLTerm, type: CQLType, column: String) throws(CQLServerError) -> CQLValue? {
        switch term {
        case .literal(let literal): return try CQLLiteralConversion.value(literal, for: type, column: column)
        case .bindMarker(let i): return try CQLLiteralConversion.value(values[i], for: type, column: column)
        }
    }

    func isUnset(_ term: CQLTerm) -> Bool {
        if case .bindMarker(let i) = term, case .unset = values[i] { return true }
        return false
    }
}
