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
public final class CQLPreparedStatementCache: Sendable {
    public struct Entry: Sendable, Hashable {
        public var query: String
        /// The keyspace in use when it was prepared; unqualified tables resolve against it.
        public var keyspace: String?
        public var statement: CQLParsedStatement
    }

    /// Entries kept before the oldest are dropped (clients re-prepare on UNPREPARED).
    public let capacity: Int
    private let state = Mutex<(entries: [ByteBuffer: Entry], order: [ByteBuffer])>(([:], []))

    /// `capacity` defaults to 10,000 statements.
    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// The id of `query` prepared in `keyspace`: the same text gets the same id.
    public static func id(query: String, keyspace: String?) -> ByteBuffer {
        ByteBuffer(bytes: CQLSchemaIdentity.uuid(for: "prepared:\(keyspace ?? "")\u{0}\(query)").bytes)
    }

    public func insert(_ entry: Entry, id: ByteBuffer) {
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: id) == nil {
                state.order.append(id)
                if state.order.count > capacity {
                    state.entries[state.order.removeFirst()] = nil
                }
            }
        }
    }

    public func entry(_ id: ByteBuffer) -> Entry? { state.withLock { $0.entries[id] } }

    public var count: Int { state.withLock { $0.entries.count } }
}

/// Turns requests into answers or storage operations: the endpoint's query processing, free
/// of IO. Parses, resolves tables and columns against the catalog, binds values, and computes
/// the system tables and DESCRIBE.
public struct CQLQueryPlanner: Sendable {
    public var catalog: CQLCatalog
    public let preparedStatements: CQLPreparedStatementCache

    public init(catalog: CQLCatalog, preparedStatements: CQLPreparedStatementCache = CQLPreparedStatementCache()) {
        self.catalog = catalog
        self.preparedStatements = preparedStatements
    }

    /// The plan for a QUERY, PREPARE, EXECUTE or BATCH; other requests get a PROTOCOL_ERROR.
    public func plan(_ request: CQLRequest, session: CQLSessionState) -> CQLPlan {
        do throws(CQLServerError) {
            switch request {
            case .query(let text, let parameters):
                let parsed = try CQLStatementParser.parse(text)
                return try plan(parsed, keyspace: session.keyspace, parameters: parameters, session: session)
            case .prepare(let text):
                return .result(.prepared(try prepare(text, keyspace: session.keyspace)))
            case .execute(let id, let parameters):
                guard let entry = preparedStatements.entry(id) else { throw Self.unprepared(id) }
                return try plan(entry.statement, keyspace: entry.keyspace ?? session.keyspace, parameters: parameters, session: session)
            case .batch(let batch):
                return try plan(batch, session: session)
            default:
                return .error(CQLServerError(code: .protocolError, message: "\(request.opcode) is not a query"))
            }
        } catch {
            return .error(error)
        }
    }

    static func unprepared(_ id: ByteBuffer) -> CQLServerError {
        let hex = id.readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return .unprepared("Prepared query with ID \(hex) not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", id: id)
    }

    // MARK: PREPARE

    public func prepare(_ text: String, keyspace: String?) throws(CQLServerError) -> CQLPrepared {
        let parsed = try CQLStatementParser.parse(text)
        var markers = [CQLColumnSpec?](repeating: nil, count: parsed.bindMarkerCount)
        var keyIndexes: [UInt16] = []
        var resultMetadata = CQLRowsMetadata.empty
        func mark(_ term: CQLTerm, _ table: CQLTableDefinition, _ column: Int) {
            if case .bindMarker(let i) = term {
                markers[i] = table.columnSpec(column)
                if table.columns[column].kind == .partitionKey, table.partitionKey.count == 1 { keyIndexes = [UInt16(i)] }
            }
        }
        switch parsed.statement {
        case .select(let select):
            let table = try resolve(select.table, keyspace: keyspace)
            for relation in select.relations {
                mark(relation.term, table, try columnIndex(relation.column, in: table))
            }
            if case .bindMarker(let i) = select.limit {
                markers[i] = CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: "[limit]", type: .int)
            }
            resultMetadata = CQLRowsMetadata(columns: try selection(select.selection, of: table).columns)
        case .insert(let insert):
            let table = try resolve(insert.table, keyspace: keyspace)
            for (column, term) in zip(insert.columns, insert.values) {
                mark(term, table, try columnIndex(column, in: table))
            }
        case .use, .createKeyspace, .createTable, .describe:
            break
        }
        let id = CQLPreparedStatementCache.id(query: text, keyspace: keyspace)
        preparedStatements.insert(.init(query: text, keyspace: keyspace, statement: parsed), id: id)
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
            let (table, write) = try rowWrite(insert, binder: binder, keyspace: keyspace)
            return .storage(CQLStorageOperation(table: table, kind: .upsert([write])))
        case .use(let name):
            guard catalog.keyspace(name) != nil else { throw CQLServerError(code: .invalid, message: "Keyspace '\(name)' does not exist") }
            return .result(.setKeyspace(name))
        case .createKeyspace(let create):
            guard catalog.keyspace(create.name) != nil else {
                throw CQLServerError(code: .invalid, message: "Freshet serves a fixed schema and cannot create keyspace \(create.name); it has \(userKeyspaceNames)")
            }
            if create.ifNotExists { return .result(.void) }
            throw CQLServerError.alreadyExists("Cannot add existing keyspace \"\(create.name)\"", keyspace: create.name, table: "")
        case .createTable(let create):
            let name = try keyspaceName(create.table, keyspace)
            guard catalog.keyspace(name) != nil else { throw CQLServerError(code: .invalid, message: "Keyspace '\(name)' doesn't exist") }
            guard let table = catalog.table(keyspace: name, name: create.table.name) else {
                throw CQLServerError(code: .invalid, message: "Freshet serves a fixed schema and cannot create table \(name).\(create.table.name); it has \(userTableNames)")
            }
            try Self.checkMatches(create, table)
            if create.ifNotExists { return .result(.void) }
            throw CQLServerError.alreadyExists("Cannot add already existing table \"\(table.name)\" to keyspace \"\(table.keyspace)\"", keyspace: table.keyspace, table: table.name)
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
                message: "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: its primary key is (\(key.joined(separator: ", "))), not (\((create.partitionKey + create.clustering).joined(separator: ", ")))")
        }
        for column in create.columns {
            guard let index = table.columnIndex(column.name) else {
                throw CQLServerError(code: .invalid, message: "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: it has no column \(column.name) (columns: \(table.columns.map(\.name).joined(separator: ", ")))")
            }
            let existing = table.columns[index]
            let compatible = existing.type == column.type || (existing.kind == .partitionKey && existing.type == .varchar && column.type == .uuid)
            guard compatible else {
                throw CQLServerError(code: .invalid, message: "CREATE TABLE \(table.qualifiedName) does not match Freshet's table: column \(column.name) is \(existing.typeText), not \(column.type)")
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
            return Selection(projection: [], columns: [CQLColumnSpec(keyspace: table.keyspace, table: table.name, name: alias ?? "count", type: .bigint)], isCount: true)
        case .columns(let selected):
            var projection: [Int] = []
            var columns: [CQLColumnSpec] = []
            for column in selected {
                let index = try columnIndex(column.name, in: table)
                projection.append(index)
                columns.append(table.columnSpec(index, name: column.alias))
            }
            return Selection(projection: projection, columns: columns, isCount: false)
        }
    }

    func plan(_ select: CQLSelectStatement, binder: Binder, keyspace: String?, parameters: CQLQueryParameters, session: CQLSessionState) throws(CQLServerError) -> CQLPlan {
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
            let index = try columnIndex(relation.column, in: table)
            let column = table.columns[index]
            filters.append((index, try binder.value(relation.term, type: column.type, column: column.name)))
        }
        let metadata = { (pagingState: ByteBuffer?) -> CQLRowsMetadata in
            parameters.skipMetadata
                ? CQLRowsMetadata(noMetadataColumnCount: selection.columns.count, pagingState: pagingState)
                : CQLRowsMetadata(columns: selection.columns, pagingState: pagingState)
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
                        message: "Freshet's CQL endpoint filters \(table.qualifiedName) only by its partition key \(table.partitionKey.map(\.name).joined(separator: ", ")); \(column.name) is not part of it")
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
            let pageSize = parameters.pageSize.flatMap { $0 > 0 ? Int($0) : nil }
            let page: CQLPage
            if let state = parameters.pagingState {
                page = try CQLPage(pageSize: pageSize, limit: limit, pagingState: state, keyType: keyColumn.type, keyIndex: keyIndex)
            } else {
                page = CQLPage(pageSize: pageSize, limit: limit, keyType: keyColumn.type, keyIndex: keyIndex)
            }
            operation.kind = .scan(page: page)
            return .storage(operation)
        }
    }

    // MARK: INSERT and BATCH

    func rowWrite(_ insert: CQLInsertStatement, binder: Binder, keyspace: String?) throws(CQLServerError) -> (CQLTableDefinition, CQLRowWrite) {
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
        return (table, CQLRowWrite(key: key, values: values))
    }

    func plan(_ batch: CQLBatch, session: CQLSessionState) throws(CQLServerError) -> CQLPlan {
        guard batch.type != .counter else { throw CQLServerError(code: .invalid, message: "counter batches are not supported by Freshet's CQL endpoint") }
        var tables: [CQLTableWrites] = []
        for statement in batch.statements {
            let parsed: CQLParsedStatement
            var keyspace = session.keyspace
            switch statement.kind {
            case .query(let text): parsed = try CQLStatementParser.parse(text)
            case .prepared(let id):
                guard let entry = preparedStatements.entry(id) else { throw Self.unprepared(id) }
                parsed = entry.statement
                keyspace = entry.keyspace ?? keyspace
            }
            guard case .insert(let insert) = parsed.statement else {
                throw CQLServerError(code: .invalid, message: "Only INSERT statements are allowed in a BATCH on Freshet's CQL endpoint")
            }
            guard statement.values.count == parsed.bindMarkerCount else {
                throw CQLServerError(code: .invalid, message: "There were \(parsed.bindMarkerCount) markers(?) in CQL but \(statement.values.count) bound variables")
            }
            let (target, write) = try rowWrite(insert, binder: Binder(values: statement.values), keyspace: keyspace)
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
            throw CQLServerError(code: .invalid, message: "Undefined column name \(name) in table \(table.qualifiedName)")
        }
        return index
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
