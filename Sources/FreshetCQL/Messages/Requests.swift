import NIOCore

/// The values bound to a QUERY or EXECUTE, or to one statement of a BATCH.
public enum CQLBoundValues: Sendable, Hashable {
    /// Values in bind-marker order.
    case positional([CQLBindValue])
    /// Values for named markers (`:name`); sets the 0x40 flag.
    case named(CQLOrderedMap<CQLBindValue>)

    public var count: Int {
        switch self {
        case .positional(let v): v.count
        case .named(let v): v.count
        }
    }

    var isNamed: Bool {
        if case .named = self { return true }
        return false
    }

    func encode(into buffer: inout ByteBuffer) throws {
        try buffer.writeCQLShortCount(count, "values")
        switch self {
        case .positional(let values):
            for v in values { try buffer.writeCQLValue(v, "values") }
        case .named(let values):
            for e in values.entries {
                try buffer.writeCQLString(e.key, "values")
                try buffer.writeCQLValue(e.value, "values")
            }
        }
    }

    static func read(from buffer: inout ByteBuffer, named: Bool) throws -> CQLBoundValues {
        let count = Int(try buffer.readCQLShort("values"))
        try buffer.checkCQLCount(count, minimumSize: 4, "values")
        if named {
            var out = CQLOrderedMap<CQLBindValue>()
            out.entries.reserveCapacity(count)
            for _ in 0..<count {
                let name = try buffer.readCQLString("values")
                out.entries.append(.init(key: name, value: try buffer.readCQLValue("values")))
            }
            return .named(out)
        }
        return .positional(try readValues(from: &buffer, count: count))
    }

    static func readPositional(from buffer: inout ByteBuffer) throws -> [CQLBindValue] {
        let count = Int(try buffer.readCQLShort("values"))
        try buffer.checkCQLCount(count, minimumSize: 4, "values")
        return try readValues(from: &buffer, count: count)
    }

    static func readValues(from buffer: inout ByteBuffer, count: Int) throws -> [CQLBindValue] {
        var out: [CQLBindValue] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try buffer.readCQLValue("values")) }
        return out
    }
}

/// <query_parameters> of QUERY and EXECUTE (spec 4.1.4). Each optional field is present
/// on the wire exactly when it is non-`nil`, and sets its flag.
public struct CQLQueryParameters: Sendable, Hashable {
    public var consistency: CQLConsistency
    /// Bound values (flag 0x01; named values add 0x40). `nil` sends no values.
    public var values: CQLBoundValues?
    /// Ask for a Rows result without metadata (flag 0x02).
    public var skipMetadata: Bool
    /// Rows per page (flag 0x04).
    public var pageSize: Int32?
    /// Where the previous page ended (flag 0x08).
    public var pagingState: ByteBuffer?
    /// SERIAL or LOCAL_SERIAL for conditional updates (flag 0x10).
    public var serialConsistency: CQLConsistency?
    /// Microseconds since the epoch (flag 0x20).
    public var defaultTimestamp: Int64?

    public init(
        consistency: CQLConsistency = .one, values: CQLBoundValues? = nil, skipMetadata: Bool = false,
        pageSize: Int32? = nil, pagingState: ByteBuffer? = nil, serialConsistency: CQLConsistency? = nil,
        defaultTimestamp: Int64? = nil
    ) {
        self.consistency = consistency
        self.values = values
        self.skipMetadata = skipMetadata
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }

    enum Flag {
        static let values: UInt8 = 0x01
        static let skipMetadata: UInt8 = 0x02
        static let pageSize: UInt8 = 0x04
        static let pagingState: UInt8 = 0x08
        static let serialConsistency: UInt8 = 0x10
        static let defaultTimestamp: UInt8 = 0x20
        static let namesForValues: UInt8 = 0x40
    }

    /// The flags byte this value encodes with.
    public var flags: UInt8 {
        var f: UInt8 = 0
        if let values { f |= Flag.values | (values.isNamed ? Flag.namesForValues : 0) }
        if skipMetadata { f |= Flag.skipMetadata }
        if pageSize != nil { f |= Flag.pageSize }
        if pagingState != nil { f |= Flag.pagingState }
        if serialConsistency != nil { f |= Flag.serialConsistency }
        if defaultTimestamp != nil { f |= Flag.defaultTimestamp }
        return f
    }

    public func encode(into buffer: inout ByteBuffer) throws {
        buffer.writeCQLConsistency(consistency)
        buffer.writeInteger(flags)
        if let values { try values.encode(into: &buffer) }
        if let pageSize { buffer.writeInteger(pageSize) }
        if let pagingState { try buffer.writeCQLBytes(pagingState, "paging_state") }
        if let serialConsistency { buffer.writeCQLConsistency(serialConsistency) }
        if let defaultTimestamp { buffer.writeInteger(defaultTimestamp) }
    }

    public static func read(from buffer: inout ByteBuffer) throws -> CQLQueryParameters {
        var p = CQLQueryParameters(consistency: try buffer.readCQLConsistency("consistency"))
        let flags = try buffer.readCQLByte("flags")
        if flags & Flag.values != 0 {
            p.values = try CQLBoundValues.read(from: &buffer, named: flags & Flag.namesForValues != 0)
        }
        p.skipMetadata = flags & Flag.skipMetadata != 0
        if flags & Flag.pageSize != 0 { p.pageSize = try buffer.readCQLInt("result_page_size") }
        if flags & Flag.pagingState != 0 {
            guard let state = try buffer.readCQLBytes("paging_state") else {
                throw CQLProtocolError(code: .invalidValue, message: "paging state flag set with a null state", field: "paging_state")
            }
            p.pagingState = state
        }
        if flags & Flag.serialConsistency != 0 { p.serialConsistency = try buffer.readCQLConsistency("serial_consistency") }
        if flags & Flag.defaultTimestamp != 0 { p.defaultTimestamp = try buffer.readCQLLong("timestamp") }
        return p
    }
}

/// BATCH's <type>.
public struct CQLBatchType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let logged = CQLBatchType(rawValue: 0)
    public static let unlogged = CQLBatchType(rawValue: 1)
    public static let counter = CQLBatchType(rawValue: 2)
}

/// One <query_i> of a BATCH.
public struct CQLBatchStatement: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A CQL string (kind 0).
        case query(String)
        /// A prepared statement id (kind 1).
        case prepared(id: ByteBuffer)
    }

    public var kind: Kind
    /// Values in bind-marker order. Named values (flag 0x40) are not supported in batches:
    /// the spec says the feature "does not work", and Cassandra refuses it.
    public var values: [CQLBindValue]

    public init(_ kind: Kind, values: [CQLBindValue] = []) {
        self.kind = kind
        self.values = values
    }
}

/// A BATCH request (spec 4.1.7).
public struct CQLBatch: Sendable, Hashable {
    public var type: CQLBatchType
    public var statements: [CQLBatchStatement]
    public var consistency: CQLConsistency
    /// Flag 0x10.
    public var serialConsistency: CQLConsistency?
    /// Microseconds since the epoch; flag 0x20.
    public var defaultTimestamp: Int64?

    public init(
        type: CQLBatchType = .logged, statements: [CQLBatchStatement], consistency: CQLConsistency = .one,
        serialConsistency: CQLConsistency? = nil, defaultTimestamp: Int64? = nil
    ) {
        self.type = type
        self.statements = statements
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }

    func encode(into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(type.rawValue)
        try buffer.writeCQLShortCount(statements.count, "n")
        for s in statements {
            switch s.kind {
            case .query(let q):
                buffer.writeInteger(UInt8(0))
                try buffer.writeCQLLongString(q, "query")
            case .prepared(let id):
                buffer.writeInteger(UInt8(1))
                try buffer.writeCQLShortBytes(id, "id")
            }
            try CQLBoundValues.positional(s.values).encode(into: &buffer)
        }
        buffer.writeCQLConsistency(consistency)
        var flags: UInt8 = 0
        if serialConsistency != nil { flags |= CQLQueryParameters.Flag.serialConsistency }
        if defaultTimestamp != nil { flags |= CQLQueryParameters.Flag.defaultTimestamp }
        buffer.writeInteger(flags)
        if let serialConsistency { buffer.writeCQLConsistency(serialConsistency) }
        if let defaultTimestamp { buffer.writeInteger(defaultTimestamp) }
    }

    static func read(from buffer: inout ByteBuffer) throws -> CQLBatch {
        let type = CQLBatchType(rawValue: try buffer.readCQLByte("type"))
        guard type.rawValue <= 2 else {
            throw CQLProtocolError(code: .invalidValue, message: "unknown batch type \(type.rawValue)", field: "type")
        }
        let count = Int(try buffer.readCQLShort("n"))
        try buffer.checkCQLCount(count, minimumSize: 5, "n")
        var statements: [CQLBatchStatement] = []
        statements.reserveCapacity(count)
        for _ in 0..<count {
            let kind: CQLBatchStatement.Kind
            switch try buffer.readCQLByte("kind") {
            case 0: kind = .query(try buffer.readCQLLongString("query"))
            case 1: kind = .prepared(id: try buffer.readCQLShortBytes("id"))
            case let other:
                throw CQLProtocolError(code: .invalidValue, message: "unknown batch statement kind \(other)", field: "kind")
            }
            statements.append(CQLBatchStatement(kind, values: try CQLBoundValues.readPositional(from: &buffer)))
        }
        var batch = CQLBatch(type: type, statements: statements, consistency: try buffer.readCQLConsistency("consistency"))
        let flags = try buffer.readCQLByte("flags")
        guard flags & CQLQueryParameters.Flag.namesForValues == 0 else {
            throw CQLProtocolError(
                code: .invalidValue, message: "named values in BATCH are not supported (CASSANDRA-10246)", field: "flags")
        }
        if flags & CQLQueryParameters.Flag.serialConsistency != 0 {
            batch.serialConsistency = try buffer.readCQLConsistency("serial_consistency")
        }
        if flags & CQLQueryParameters.Flag.defaultTimestamp != 0 {
            batch.defaultTimestamp = try buffer.readCQLLong("timestamp")
        }
        return batch
    }
}

/// A message a client sends (spec 4.1).
public enum CQLRequest: Sendable, Hashable {
    /// Options such as "CQL_VERSION" (mandatory, "3.0.0") and "COMPRESSION".
    case startup(options: CQLOrderedMap<String>)
    case authResponse(token: ByteBuffer?)
    case options
    case query(String, parameters: CQLQueryParameters)
    case prepare(String)
    case execute(id: ByteBuffer, parameters: CQLQueryParameters)
    case batch(CQLBatch)
    /// Event types: "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE".
    case register(events: [String])

    public var opcode: CQLOpcode {
        switch self {
        case .startup: .startup
        case .authResponse: .authResponse
        case .options: .options
        case .query: .query
        case .prepare: .prepare
        case .execute: .execute
        case .batch: .batch
        case .register: .register
        }
    }

    /// Appends the message body (no header, no envelope).
    public func encodeBody(into buffer: inout ByteBuffer) throws {
        switch self {
        case .startup(let options): try buffer.writeCQLStringMap(options, "options")
        case .authResponse(let token): try buffer.writeCQLBytes(token, "token")
        case .options: break
        case .query(let query, let parameters):
            try buffer.writeCQLLongString(query, "query")
            try parameters.encode(into: &buffer)
        case .prepare(let query): try buffer.writeCQLLongString(query, "query")
        case .execute(let id, let parameters):
            try buffer.writeCQLShortBytes(id, "id")
            try parameters.encode(into: &buffer)
        case .batch(let batch): try batch.encode(into: &buffer)
        case .register(let events): try buffer.writeCQLStringList(events, "events")
        }
    }

    /// Decodes a request body of `opcode`; every byte must be used.
    public static func decodeBody(opcode: CQLOpcode, _ body: inout ByteBuffer) throws -> CQLRequest {
        do {
            let request: CQLRequest
            switch opcode {
            case .startup: request = .startup(options: try body.readCQLStringMap("options"))
            case .authResponse: request = .authResponse(token: try body.readCQLBytes("token"))
            case .options: request = .options
            case .query:
                let query = try body.readCQLLongString("query")
                request = .query(query, parameters: try CQLQueryParameters.read(from: &body))
            case .prepare: request = .prepare(try body.readCQLLongString("query"))
            case .execute:
                let id = try body.readCQLShortBytes("id")
                request = .execute(id: id, parameters: try CQLQueryParameters.read(from: &body))
            case .batch: request = .batch(try CQLBatch.read(from: &body))
            case .register: request = .register(events: try body.readCQLStringList("events"))
            default:
                throw CQLProtocolError(
                    code: opcode.isKnown ? .unexpectedMessage : .unknownOpcode, message: "\(opcode) is not a request")
            }
            guard body.readableBytes == 0 else {
                throw CQLProtocolError(code: .trailingBytes, message: "\(body.readableBytes) bytes left after the message")
            }
            return request
        } catch var error as CQLProtocolError {
            error.opcode = error.opcode ?? opcode
            throw error
        }
    }
}
