import NIOCore

/// What a client accepts in one response, beyond the frame's length: a hostile server could
/// otherwise make it build far more memory than it sent (a 4-byte cell is a 32-byte slot).
public struct CQLResponseLimits: Sendable, Hashable {
    /// Cells (rows × columns) of one Rows result. Defaults to 1,000,000 (a 5,000-row page of
    /// 200 columns).
    public var maximumRowCells: Int
    /// Values `CQLRows.decodedRows` builds for one result (cells and collection elements).
    /// Defaults to 2,000,000.
    public var maximumDecodedValues: Int

    public init(maximumRowCells: Int = 1_000_000, maximumDecodedValues: Int = 2_000_000) {
        self.maximumRowCells = max(0, maximumRowCells)
        self.maximumDecodedValues = max(0, maximumDecodedValues)
    }
}

/// A keyspace and table.
public struct CQLTableSpec: Sendable, Hashable {
    public var keyspace: String
    public var table: String

    public init(keyspace: String, table: String) {
        self.keyspace = keyspace
        self.table = table
    }
}

/// A <col_spec_i>: a result column or a bind marker.
public struct CQLColumnSpec: Sendable, Hashable {
    public var keyspace: String
    public var table: String
    public var name: String
    public var type: CQLType

    public init(keyspace: String, table: String, name: String, type: CQLType) {
        self.keyspace = keyspace
        self.table = table
        self.name = name
        self.type = type
    }

    public var tableSpec: CQLTableSpec { CQLTableSpec(keyspace: keyspace, table: table) }
}

/// Column specs with the optional <global_table_spec>: when it is set, each spec's keyspace
/// and table are not written (and are taken from it when read).
struct CQLColumnSpecs {
    /// Columns (or bind markers) one metadata may list: bound values are counted by a [short],
    /// and no table has more columns.
    static let maximumCount = Int(UInt16.max)

    static func read(from buffer: inout ByteBuffer, count: Int, global: Bool) throws -> (CQLTableSpec?, [CQLColumnSpec]) {
        guard count <= maximumCount else {
            throw CQLProtocolError(code: .invalidLength, message: "\(count) columns (at most \(maximumCount))", field: "columns_count")
        }
        var typeBudget = CQLType.maximumNodesPerMessage
        var globalSpec: CQLTableSpec? = nil
        if global {
            let keyspace = try buffer.readCQLString("global_table_spec")
            globalSpec = CQLTableSpec(keyspace: keyspace, table: try buffer.readCQLString("global_table_spec"))
        }
        try buffer.checkCQLCount(count, minimumSize: global ? 4 : 8, "columns_count")
        var columns: [CQLColumnSpec] = []
        columns.reserveCapacity(count)
        for _ in 0..<count {
            let table: CQLTableSpec
            if let globalSpec {
                table = globalSpec
            } else {
                let keyspace = try buffer.readCQLString("ksname")
                table = CQLTableSpec(keyspace: keyspace, table: try buffer.readCQLString("tablename"))
            }
            let name = try buffer.readCQLString("name")
            columns.append(
                CQLColumnSpec(
                    keyspace: table.keyspace, table: table.table, name: name, type: try CQLType.read(from: &buffer, depth: 0, budget: &typeBudget)))
        }
        return (globalSpec, columns)
    }

    static func write(_ columns: [CQLColumnSpec], global: CQLTableSpec?, into buffer: inout ByteBuffer) throws {
        if let global {
            try buffer.writeCQLString(global.keyspace, "global_table_spec")
            try buffer.writeCQLString(global.table, "global_table_spec")
        }
        for c in columns {
            if global == nil {
                try buffer.writeCQLString(c.keyspace, "ksname")
                try buffer.writeCQLString(c.table, "tablename")
            }
            try buffer.writeCQLString(c.name, "name")
            try c.type.encode(into: &buffer)
        }
    }

    /// The table all `columns` share, if there is exactly one; Cassandra then sends it once.
    static func commonTable(_ columns: [CQLColumnSpec]) -> CQLTableSpec? {
        guard let first = columns.first?.tableSpec, columns.allSatisfy({ $0.tableSpec == first }) else { return nil }
        return first
    }
}

/// The <metadata> of a Rows result, also the <result_metadata> of a Prepared result.
public struct CQLRowsMetadata: Sendable, Hashable {
    /// Number of values in each row.
    public var columnCount: Int
    /// The columns; `nil` when the metadata was left out (No_metadata flag, 0x0004), as it is
    /// when the request asked to skip it.
    public var columns: [CQLColumnSpec]?
    /// Global_tables_spec (0x0001): the table all columns belong to, written once.
    public var globalTableSpec: CQLTableSpec?
    /// Has_more_pages (0x0002): where the next page starts.
    public var pagingState: ByteBuffer?

    /// Metadata with column specs. `globalTableSpec` is set when every column belongs to the
    /// same table, as Cassandra does.
    public init(columns: [CQLColumnSpec], pagingState: ByteBuffer? = nil) {
        self.columnCount = columns.count
        self.columns = columns
        self.globalTableSpec = CQLColumnSpecs.commonTable(columns)
        self.pagingState = pagingState
    }

    /// Metadata without column specs (No_metadata).
    public init(noMetadataColumnCount columnCount: Int, pagingState: ByteBuffer? = nil) {
        self.columnCount = columnCount
        self.columns = nil
        self.globalTableSpec = nil
        self.pagingState = pagingState
    }

    /// All fields as given.
    public init(columnCount: Int, columns: [CQLColumnSpec]?, globalTableSpec: CQLTableSpec?, pagingState: ByteBuffer?) {
        self.columnCount = columnCount
        self.columns = columns
        self.globalTableSpec = globalTableSpec
        self.pagingState = pagingState
    }

    /// The empty metadata of a Prepared result for a statement that returns no rows.
    public static let empty = CQLRowsMetadata(noMetadataColumnCount: 0)

    enum Flag {
        static let globalTablesSpec: Int32 = 0x0001
        static let hasMorePages: Int32 = 0x0002
        static let noMetadata: Int32 = 0x0004
    }

    public var flags: Int32 {
        var f: Int32 = 0
        if columns != nil, globalTableSpec != nil { f |= Flag.globalTablesSpec }
        if pagingState != nil { f |= Flag.hasMorePages }
        if columns == nil { f |= Flag.noMetadata }
        return f
    }

    public func encode(into buffer: inout ByteBuffer) throws {
        if let columns, columns.count != columnCount {
            throw CQLProtocolError(
                code: .invalidValue, message: "columnCount \(columnCount) but \(columns.count) column specs", field: "columns_count")
        }
        buffer.writeInteger(flags)
        try buffer.writeCQLIntCount(columnCount, "columns_count")
        if let pagingState { try buffer.writeCQLBytes(pagingState, "paging_state") }
        if let columns { try CQLColumnSpecs.write(columns, global: globalTableSpec, into: &buffer) }
    }

    public static func read(from buffer: inout ByteBuffer) throws -> CQLRowsMetadata {
        let flags = try buffer.readCQLInt("flags")
        let count = Int(try buffer.readCQLInt("columns_count"))
        guard count >= 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "negative column count \(count)", field: "columns_count")
        }
        guard count <= CQLColumnSpecs.maximumCount else {
            throw CQLProtocolError(
                code: .invalidLength, message: "\(count) columns (at most \(CQLColumnSpecs.maximumCount))", field: "columns_count")
        }
        var metadata = CQLRowsMetadata(noMetadataColumnCount: count)
        if flags & Flag.hasMorePages != 0 {
            guard let state = try buffer.readCQLBytes("paging_state") else {
                throw CQLProtocolError(code: .invalidValue, message: "Has_more_pages with a null paging state", field: "paging_state")
            }
            metadata.pagingState = state
        }
        if flags & Flag.noMetadata == 0 {
            (metadata.globalTableSpec, metadata.columns) = try CQLColumnSpecs.read(
                from: &buffer, count: count, global: flags & Flag.globalTablesSpec != 0)
        }
        return metadata
    }
}

/// A Rows result: metadata and the raw cells, `nil` for null.
public struct CQLRows: Sendable, Hashable {
    public var metadata: CQLRowsMetadata
    /// Each row has `metadata.columnCount` cells.
    public var rows: [[ByteBuffer?]]

    public init(metadata: CQLRowsMetadata, rows: [[ByteBuffer?]]) {
        self.metadata = metadata
        self.rows = rows
    }

    /// Rows of typed values, serialized.
    public init(metadata: CQLRowsMetadata, values: [[CQLValue?]]) {
        self.metadata = metadata
        self.rows = values.map { $0.map { $0?.serialized() } }
    }

    /// The cells decoded with the column types. Throws if the metadata was skipped (use
    /// the prepared statement's result metadata then) or a cell does not match its type.
    ///
    /// - Parameter maximumValues: values (cells and the elements of collections, tuples and
    ///   UDTs) decoded at most; more throws. Bounds the memory a result can make the decoder use.
    public func decodedRows(columns: [CQLColumnSpec]? = nil, maximumValues: Int = CQLResponseLimits().maximumDecodedValues) throws -> [[CQLValue?]] {
        guard let columns = columns ?? metadata.columns else {
            throw CQLProtocolError(code: .invalidValue, message: "the result has no column metadata to decode with", opcode: .result)
        }
        var budget = maximumValues
        return try rows.map { row in
            guard row.count == columns.count else {
                throw CQLProtocolError(code: .invalidValue, message: "row of \(row.count) cells for \(columns.count) columns", opcode: .result)
            }
            return try zip(row, columns).map { cell, column in
                guard var bytes = cell else { return nil }
                return try CQLValue.decode(&bytes, as: column.type, depth: 0, budget: &budget)
            }
        }
    }

    func encode(into buffer: inout ByteBuffer) throws {
        try metadata.encode(into: &buffer)
        try buffer.writeCQLIntCount(rows.count, "rows_count")
        for row in rows {
            guard row.count == metadata.columnCount else {
                throw CQLProtocolError(
                    code: .invalidValue, message: "row of \(row.count) cells for \(metadata.columnCount) columns", field: "rows_content")
            }
            for cell in row { try buffer.writeCQLBytes(cell, "rows_content") }
        }
    }

    static func read(from buffer: inout ByteBuffer, limits: CQLResponseLimits = CQLResponseLimits()) throws -> CQLRows {
        let metadata = try CQLRowsMetadata.read(from: &buffer)
        let count = Int(try buffer.readCQLInt("rows_count"))
        let columns = metadata.columnCount
        guard count >= 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "negative row count \(count)", field: "rows_count")
        }
        guard columns > 0 || count == 0 else {
            throw CQLProtocolError(code: .invalidValue, message: "\(count) rows without columns", field: "rows_count")
        }
        // Every cell takes at least its 4-byte length.
        let (cells, overflow) = count.multipliedReportingOverflow(by: columns)
        guard !overflow else {
            throw CQLProtocolError(code: .invalidLength, message: "\(count) rows of \(columns) columns", field: "rows_count")
        }
        guard cells <= limits.maximumRowCells else {
            throw CQLProtocolError(
                code: .invalidLength, message: "\(count) rows of \(columns) columns: more than \(limits.maximumRowCells) cells in one result",
                field: "rows_count")
        }
        try buffer.checkCQLCount(cells, minimumSize: 4, "rows_count")
        var rows: [[ByteBuffer?]] = []
        rows.reserveCapacity(count)
        for _ in 0..<count {
            var row: [ByteBuffer?] = []
            row.reserveCapacity(columns)
            for _ in 0..<columns { row.append(try buffer.readCQLBytes("rows_content")) }
            rows.append(row)
        }
        return CQLRows(metadata: metadata, rows: rows)
    }
}

/// The bind-marker <metadata> of a Prepared result.
public struct CQLPreparedMetadata: Sendable, Hashable {
    /// One spec per bind marker.
    public var columns: [CQLColumnSpec]
    /// Global_tables_spec: the table all markers belong to, written once.
    public var globalTableSpec: CQLTableSpec?
    /// For each partition-key column in order, the index of its bind marker; empty if some
    /// partition-key column has no marker.
    public var partitionKeyIndexes: [UInt16]

    /// `globalTableSpec` is set when every marker belongs to the same table.
    public init(columns: [CQLColumnSpec], partitionKeyIndexes: [UInt16] = []) {
        self.columns = columns
        self.globalTableSpec = CQLColumnSpecs.commonTable(columns)
        self.partitionKeyIndexes = partitionKeyIndexes
    }

    public init(columns: [CQLColumnSpec], globalTableSpec: CQLTableSpec?, partitionKeyIndexes: [UInt16]) {
        self.columns = columns
        self.globalTableSpec = globalTableSpec
        self.partitionKeyIndexes = partitionKeyIndexes
    }

    func encode(into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(Int32(globalTableSpec == nil ? 0 : CQLRowsMetadata.Flag.globalTablesSpec))
        try buffer.writeCQLIntCount(columns.count, "columns_count")
        try buffer.writeCQLIntCount(partitionKeyIndexes.count, "pk_count")
        for i in partitionKeyIndexes { buffer.writeInteger(i) }
        try CQLColumnSpecs.write(columns, global: globalTableSpec, into: &buffer)
    }

    static func read(from buffer: inout ByteBuffer) throws -> CQLPreparedMetadata {
        let flags = try buffer.readCQLInt("flags")
        let count = Int(try buffer.readCQLInt("columns_count"))
        guard count >= 0 else {
            throw CQLProtocolError(code: .invalidLength, message: "negative column count \(count)", field: "columns_count")
        }
        let pkCount = Int(try buffer.readCQLInt("pk_count"))
        guard pkCount <= max(count, 0) else {
            throw CQLProtocolError(code: .invalidLength, message: "\(pkCount) partition key indexes for \(count) markers", field: "pk_count")
        }
        try buffer.checkCQLCount(pkCount, minimumSize: 2, "pk_count")
        var indexes: [UInt16] = []
        indexes.reserveCapacity(pkCount)
        for _ in 0..<pkCount { indexes.append(try buffer.readCQLShort("pk_index")) }
        let (global, columns) = try CQLColumnSpecs.read(
            from: &buffer, count: count, global: flags & CQLRowsMetadata.Flag.globalTablesSpec != 0)
        return CQLPreparedMetadata(columns: columns, globalTableSpec: global, partitionKeyIndexes: indexes)
    }
}

/// A Prepared result.
public struct CQLPrepared: Sendable, Hashable {
    /// The statement id for EXECUTE and BATCH.
    public var id: ByteBuffer
    /// The bind markers.
    public var metadata: CQLPreparedMetadata
    /// The columns an EXECUTE will return (`CQLRowsMetadata.empty` for non-SELECTs).
    public var resultMetadata: CQLRowsMetadata

    public init(id: ByteBuffer, metadata: CQLPreparedMetadata, resultMetadata: CQLRowsMetadata) {
        self.id = id
        self.metadata = metadata
        self.resultMetadata = resultMetadata
    }
}

/// A schema change: the Schema_change result and the SCHEMA_CHANGE event.
public struct CQLSchemaChange: Sendable, Hashable {
    /// "CREATED", "UPDATED" or "DROPPED".
    public struct ChangeType: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let created = ChangeType(rawValue: "CREATED")
        public static let updated = ChangeType(rawValue: "UPDATED")
        public static let dropped = ChangeType(rawValue: "DROPPED")
    }

    /// What changed, with the <options> its target carries.
    public enum Target: Sendable, Hashable {
        case keyspace(String)
        case table(keyspace: String, name: String)
        case type(keyspace: String, name: String)
        case function(keyspace: String, name: String, argumentTypes: [String])
        case aggregate(keyspace: String, name: String, argumentTypes: [String])
    }

    public var change: ChangeType
    public var target: Target

    public init(change: ChangeType, target: Target) {
        self.change = change
        self.target = target
    }

    func encode(into buffer: inout ByteBuffer) throws {
        try buffer.writeCQLString(change.rawValue, "change_type")
        switch target {
        case .keyspace(let ks):
            try buffer.writeCQLString("KEYSPACE", "target")
            try buffer.writeCQLString(ks, "options")
        case .table(let ks, let name), .type(let ks, let name):
            if case .table = target { try buffer.writeCQLString("TABLE", "target") } else { try buffer.writeCQLString("TYPE", "target") }
            try buffer.writeCQLString(ks, "options")
            try buffer.writeCQLString(name, "options")
        case .function(let ks, let name, let args), .aggregate(let ks, let name, let args):
            if case .function = target {
                try buffer.writeCQLString("FUNCTION", "target")
            } else {
                try buffer.writeCQLString("AGGREGATE", "target")
            }
            try buffer.writeCQLString(ks, "options")
            try buffer.writeCQLString(name, "options")
            try buffer.writeCQLStringList(args, "options")
        }
    }

    static func read(from buffer: inout ByteBuffer) throws -> CQLSchemaChange {
        let change = ChangeType(rawValue: try buffer.readCQLString("change_type"))
        let target = try buffer.readCQLString("target")
        let keyspace = try buffer.readCQLString("options")
        switch target {
        case "KEYSPACE":
            return CQLSchemaChange(change: change, target: .keyspace(keyspace))
        case "TABLE":
            return CQLSchemaChange(change: change, target: .table(keyspace: keyspace, name: try buffer.readCQLString("options")))
        case "TYPE":
            return CQLSchemaChange(change: change, target: .type(keyspace: keyspace, name: try buffer.readCQLString("options")))
        case "FUNCTION", "AGGREGATE":
            let name = try buffer.readCQLString("options")
            let args = try buffer.readCQLStringList("options")
            return CQLSchemaChange(
                change: change,
                target: target == "FUNCTION"
                    ? .function(keyspace: keyspace, name: name, argumentTypes: args)
                    : .aggregate(keyspace: keyspace, name: name, argumentTypes: args))
        default:
            throw CQLProtocolError(code: .invalidValue, message: "unknown schema change target \"\(target)\"", field: "target")
        }
    }
}

/// A RESULT message (spec 4.2.5).
public enum CQLResult: Sendable, Hashable {
    case void
    case rows(CQLRows)
    case setKeyspace(String)
    case prepared(CQLPrepared)
    case schemaChange(CQLSchemaChange)

    /// The <kind> [int].
    public var kind: Int32 {
        switch self {
        case .void: 1
        case .rows: 2
        case .setKeyspace: 3
        case .prepared: 4
        case .schemaChange: 5
        }
    }

    func encode(into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(kind)
        switch self {
        case .void: break
        case .rows(let rows): try rows.encode(into: &buffer)
        case .setKeyspace(let ks): try buffer.writeCQLString(ks, "keyspace")
        case .prepared(let p):
            try buffer.writeCQLShortBytes(p.id, "id")
            try p.metadata.encode(into: &buffer)
            try p.resultMetadata.encode(into: &buffer)
        case .schemaChange(let change): try change.encode(into: &buffer)
        }
    }

    static func read(from buffer: inout ByteBuffer, limits: CQLResponseLimits = CQLResponseLimits()) throws -> CQLResult {
        switch try buffer.readCQLInt("kind") {
        case 1: return .void
        case 2: return .rows(try CQLRows.read(from: &buffer, limits: limits))
        case 3: return .setKeyspace(try buffer.readCQLString("keyspace"))
        case 4:
            let id = try buffer.readCQLShortBytes("id")
            let metadata = try CQLPreparedMetadata.read(from: &buffer)
            return .prepared(CQLPrepared(id: id, metadata: metadata, resultMetadata: try CQLRowsMetadata.read(from: &buffer)))
        case 5: return .schemaChange(try CQLSchemaChange.read(from: &buffer))
        case let kind:
            throw CQLProtocolError(code: .invalidValue, message: "unknown result kind \(kind)", field: "kind")
        }
    }
}

/// The event types of REGISTER and EVENT.
public enum CQLEventType {
    public static let topologyChange = "TOPOLOGY_CHANGE"
    public static let statusChange = "STATUS_CHANGE"
    public static let schemaChange = "SCHEMA_CHANGE"
    public static let all = [topologyChange, statusChange, schemaChange]
}

/// An EVENT pushed by the server (spec 4.2.6), always on stream -1.
public enum CQLEvent: Sendable, Hashable {
    /// `change` is "NEW_NODE", "REMOVED_NODE" (or "MOVED_NODE" from older servers).
    case topologyChange(change: String, address: CQLInet)
    /// `change` is "UP" or "DOWN".
    case statusChange(change: String, address: CQLInet)
    case schemaChange(CQLSchemaChange)

    func encode(into buffer: inout ByteBuffer) throws {
        switch self {
        case .topologyChange(let change, let address):
            try buffer.writeCQLString(CQLEventType.topologyChange, "type")
            try buffer.writeCQLString(change, "change")
            buffer.writeCQLInet(address)
        case .statusChange(let change, let address):
            try buffer.writeCQLString(CQLEventType.statusChange, "type")
            try buffer.writeCQLString(change, "change")
            buffer.writeCQLInet(address)
        case .schemaChange(let change):
            try buffer.writeCQLString(CQLEventType.schemaChange, "type")
            try change.encode(into: &buffer)
        }
    }

    static func read(from buffer: inout ByteBuffer) throws -> CQLEvent {
        let type = try buffer.readCQLString("type")
        switch type {
        case CQLEventType.topologyChange:
            let change = try buffer.readCQLString("change")
            return .topologyChange(change: change, address: try buffer.readCQLInet("address"))
        case CQLEventType.statusChange:
            let change = try buffer.readCQLString("change")
            return .statusChange(change: change, address: try buffer.readCQLInet("address"))
        case CQLEventType.schemaChange:
            return .schemaChange(try CQLSchemaChange.read(from: &buffer))
        default:
            throw CQLProtocolError(code: .invalidValue, message: "unknown event type \"\(type)\"", field: "type")
        }
    }
}

/// A message a server sends (spec 4.2).
public enum CQLResponse: Sendable, Hashable {
    case error(CQLServerError)
    case ready
    /// The full class name of the server's IAuthenticator.
    case authenticate(authenticator: String)
    /// Each STARTUP option with its supported values.
    case supported(options: CQLOrderedMap<[String]>)
    case result(CQLResult)
    case event(CQLEvent)
    case authChallenge(token: ByteBuffer?)
    case authSuccess(token: ByteBuffer?)

    public var opcode: CQLOpcode {
        switch self {
        case .error: .error
        case .ready: .ready
        case .authenticate: .authenticate
        case .supported: .supported
        case .result: .result
        case .event: .event
        case .authChallenge: .authChallenge
        case .authSuccess: .authSuccess
        }
    }

    /// Appends the message body (no header, no envelope).
    public func encodeBody(into buffer: inout ByteBuffer) throws {
        switch self {
        case .error(let e): try e.encode(into: &buffer)
        case .ready: break
        case .authenticate(let name): try buffer.writeCQLString(name, "authenticator")
        case .supported(let options): try buffer.writeCQLStringMultimap(options, "options")
        case .result(let r): try r.encode(into: &buffer)
        case .event(let e): try e.encode(into: &buffer)
        case .authChallenge(let token), .authSuccess(let token): try buffer.writeCQLBytes(token, "token")
        }
    }

    /// Decodes a response body of `opcode`. Bytes after the message are ignored, as the spec
    /// asks of clients (newer servers may append fields).
    public static func decodeBody(
        opcode: CQLOpcode, _ body: inout ByteBuffer, limits: CQLResponseLimits = CQLResponseLimits()
    ) throws -> CQLResponse {
        do {
            switch opcode {
            case .error: return .error(try CQLServerError.read(from: &body))
            case .ready: return .ready
            case .authenticate: return .authenticate(authenticator: try body.readCQLString("authenticator"))
            case .supported: return .supported(options: try body.readCQLStringMultimap("options"))
            case .result: return .result(try CQLResult.read(from: &body, limits: limits))
            case .event: return .event(try CQLEvent.read(from: &body))
            case .authChallenge: return .authChallenge(token: try body.readCQLBytes("token"))
            case .authSuccess: return .authSuccess(token: try body.readCQLBytes("token"))
            default:
                throw CQLProtocolError(
                    code: opcode.isKnown ? .unexpectedMessage : .unknownOpcode, message: "\(opcode) is not a response")
            }
        } catch var error as CQLProtocolError {
            error.opcode = error.opcode ?? opcode
            throw error
        }
    }
}
