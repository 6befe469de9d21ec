import NIOCore

/// A column or bind-marker type: the [option] tree of spec section 4.2.5.2.
public indirect enum CQLType: Sendable, Hashable, CustomStringConvertible {
    /// A type known only by its Java class name (option 0x0000).
    case custom(String)
    case ascii
    case bigint
    case blob
    case boolean
    case counter
    case decimal
    case double
    case float
    case int
    case timestamp
    case uuid
    /// `text` and `varchar` are the same type; option 0x000D.
    case varchar
    case varint
    case timeuuid
    case inet
    case date
    case time
    case smallint
    case tinyint
    /// Option 0x0015. Protocol v5 names it; Cassandra sends a v4 client
    /// `.custom(CQLType.durationClassName)` instead, which `CQLValue` also decodes as a duration.
    case duration
    case list(CQLType)
    case map(key: CQLType, value: CQLType)
    case set(CQLType)
    case udt(CQLUserDefinedType)
    case tuple([CQLType])

    /// `text` is an alias of `varchar`.
    public static let text = CQLType.varchar
    /// The class name Cassandra uses for `duration` in protocol v4.
    public static let durationClassName = "org.apache.cassandra.db.marshal.DurationType"
    /// Types and values nested deeper than this are refused, so that hostile input cannot
    /// exhaust the stack. Real schemas nest a handful of levels.
    public static let maximumDepth = 64

    /// The [option] id.
    public var optionID: UInt16 {
        switch self {
        case .custom: 0x0000
        case .ascii: 0x0001
        case .bigint: 0x0002
        case .blob: 0x0003
        case .boolean: 0x0004
        case .counter: 0x0005
        case .decimal: 0x0006
        case .double: 0x0007
        case .float: 0x0008
        case .int: 0x0009
        case .timestamp: 0x000B
        case .uuid: 0x000C
        case .varchar: 0x000D
        case .varint: 0x000E
        case .timeuuid: 0x000F
        case .inet: 0x0010
        case .date: 0x0011
        case .time: 0x0012
        case .smallint: 0x0013
        case .tinyint: 0x0014
        case .duration: 0x0015
        case .list: 0x0020
        case .map: 0x0021
        case .set: 0x0022
        case .udt: 0x0030
        case .tuple: 0x0031
        }
    }

    static let simpleTypes: [UInt16: CQLType] = [
        0x0001: .ascii, 0x0002: .bigint, 0x0003: .blob, 0x0004: .boolean, 0x0005: .counter,
        0x0006: .decimal, 0x0007: .double, 0x0008: .float, 0x0009: .int, 0x000B: .timestamp,
        0x000C: .uuid, 0x000D: .varchar, 0x000E: .varint, 0x000F: .timeuuid, 0x0010: .inet,
        0x0011: .date, 0x0012: .time, 0x0013: .smallint, 0x0014: .tinyint, 0x0015: .duration,
    ]

    /// Writes the [option].
    public func encode(into buffer: inout ByteBuffer) throws {
        buffer.writeInteger(optionID)
        switch self {
        case .custom(let name):
            try buffer.writeCQLString(name, "type")
        case .list(let element), .set(let element):
            try element.encode(into: &buffer)
        case .map(let key, let value):
            try key.encode(into: &buffer)
            try value.encode(into: &buffer)
        case .udt(let udt):
            try buffer.writeCQLString(udt.keyspace, "type")
            try buffer.writeCQLString(udt.name, "type")
            try buffer.writeCQLShortCount(udt.fields.count, "type")
            for field in udt.fields {
                try buffer.writeCQLString(field.name, "type")
                try field.type.encode(into: &buffer)
            }
        case .tuple(let elements):
            try buffer.writeCQLShortCount(elements.count, "type")
            for element in elements { try element.encode(into: &buffer) }
        default:
            break
        }
    }

    /// Type nodes one message may describe (every column's type, each list, map, tuple and
    /// field counting one): two bytes of input are enough for a node, so without this a frame
    /// could make a decoder build tens of bytes of tree per byte it sent.
    public static let maximumNodesPerMessage = 1 << 16

    /// Reads an [option].
    public static func read(from buffer: inout ByteBuffer) throws -> CQLType {
        var budget = maximumNodesPerMessage
        return try read(from: &buffer, depth: 0, budget: &budget)
    }

    /// Reads an [option], counting its nodes against `budget` (shared by the columns of one
    /// message).
    static func read(from buffer: inout ByteBuffer, depth: Int, budget: inout Int) throws -> CQLType {
        guard depth < maximumDepth else {
            throw CQLProtocolError(code: .nestingTooDeep, message: "type nests deeper than \(maximumDepth) levels", field: "type")
        }
        guard budget > 0 else {
            throw CQLProtocolError(
                code: .invalidLength, message: "types of more than \(maximumNodesPerMessage) nodes in one message", field: "type")
        }
        budget -= 1
        let id = try buffer.readCQLShort("type")
        if let simple = simpleTypes[id] { return simple }
        switch id {
        case 0x0000:
            return .custom(try buffer.readCQLString("type"))
        case 0x0020:
            return .list(try read(from: &buffer, depth: depth + 1, budget: &budget))
        case 0x0021:
            let key = try read(from: &buffer, depth: depth + 1, budget: &budget)
            return .map(key: key, value: try read(from: &buffer, depth: depth + 1, budget: &budget))
        case 0x0022:
            return .set(try read(from: &buffer, depth: depth + 1, budget: &budget))
        case 0x0030:
            let keyspace = try buffer.readCQLString("type")
            let name = try buffer.readCQLString("type")
            let count = Int(try buffer.readCQLShort("type"))
            try buffer.checkCQLCount(count, minimumSize: 4, "type")
            var fields: [CQLUserDefinedType.Field] = []
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let fieldName = try buffer.readCQLString("type")
                fields.append(.init(name: fieldName, type: try read(from: &buffer, depth: depth + 1, budget: &budget)))
            }
            return .udt(CQLUserDefinedType(keyspace: keyspace, name: name, fields: fields))
        case 0x0031:
            let count = Int(try buffer.readCQLShort("type"))
            try buffer.checkCQLCount(count, minimumSize: 2, "type")
            var elements: [CQLType] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try read(from: &buffer, depth: depth + 1, budget: &budget)) }
            return .tuple(elements)
        default:
            throw CQLProtocolError(code: .invalidValue, message: "unknown type option id 0x\(String(id, radix: 16))", field: "type")
        }
    }

    /// CQL syntax: "bigint", "list<text>", "map<text, int>", "tuple<int, text>", "ks.address",
    /// "'org.example.MyType'".
    public var description: String {
        switch self {
        case .custom(let name): "'\(name)'"
        case .ascii: "ascii"
        case .bigint: "bigint"
        case .blob: "blob"
        case .boolean: "boolean"
        case .counter: "counter"
        case .decimal: "decimal"
        case .double: "double"
        case .float: "float"
        case .int: "int"
        case .timestamp: "timestamp"
        case .uuid: "uuid"
        case .varchar: "text"
        case .varint: "varint"
        case .timeuuid: "timeuuid"
        case .inet: "inet"
        case .date: "date"
        case .time: "time"
        case .smallint: "smallint"
        case .tinyint: "tinyint"
        case .duration: "duration"
        case .list(let e): "list<\(e)>"
        case .set(let e): "set<\(e)>"
        case .map(let k, let v): "map<\(k), \(v)>"
        case .udt(let u): "\(u.keyspace).\(u.name)"
        case .tuple(let es): "tuple<\(es.map(\.description).joined(separator: ", "))>"
        }
    }
}

/// A user-defined type: its keyspace, name and fields in declaration order.
public struct CQLUserDefinedType: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: CQLType

        public init(name: String, type: CQLType) {
            self.name = name
            self.type = type
        }
    }

    public var keyspace: String
    public var name: String
    public var fields: [Field]

    public init(keyspace: String, name: String, fields: [Field]) {
        self.keyspace = keyspace
        self.name = name
        self.fields = fields
    }
}
