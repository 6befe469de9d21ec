import FreshetCore

/// A parsed Avro schema (Avro 1.11 "Schema Declaration"): the root type and every named type
/// (record, enum, fixed) it defines, by full name.
///
/// A named type is written out where it is first defined and is an `AvroType.reference` after
/// that, as in the JSON it came from; `named` resolves a reference. Recursive types (a record
/// whose field refers to the record) are references too.
public struct AvroSchema: Sendable, Equatable {
    /// The schema's top-level type.
    public let root: AvroType
    /// Every named type of the schema, by full name (`com.example.User`).
    public let namedTypes: [String: AvroType]

    public init(root: AvroType, namedTypes: [String: AvroType]) {
        self.root = root
        self.namedTypes = namedTypes
    }

    /// Parses schema JSON with the default limits.
    public init(parsing json: String, limits: AvroSchemaLimits = AvroSchemaLimits()) throws(AvroSchemaError) {
        var parser = AvroSchemaParser(limits: limits)
        self = try parser.parse(Array(json.utf8))
    }

    /// Parses schema JSON bytes with the default limits.
    public init(parsing json: [UInt8], limits: AvroSchemaLimits = AvroSchemaLimits()) throws(AvroSchemaError) {
        var parser = AvroSchemaParser(limits: limits)
        self = try parser.parse(json)
    }

    /// The definition behind `type` when it is a reference; `type` itself otherwise.
    public func resolve(_ type: AvroType) -> AvroType {
        if case .reference(let name) = type, let definition = namedTypes[name] { return definition }
        return type
    }
}

/// One Avro type. Logical types are carried as attributes of the type they annotate.
public indirect enum AvroType: Sendable, Equatable {
    case null
    case boolean
    case int(AvroLogicalType?)
    case long(AvroLogicalType?)
    case float
    case double
    case bytes(AvroLogicalType?)
    case string(AvroLogicalType?)
    case record(AvroRecordSchema)
    case enumeration(AvroEnumSchema)
    case array(items: AvroType)
    case map(values: AvroType)
    case fixed(AvroFixedSchema)
    case union([AvroType])
    /// A named type defined earlier in the same schema (or the enclosing one, for recursion), by full name.
    case reference(String)

    /// The Avro name of the type's kind, for messages: `record`, `int`, `union`.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record: "record"
        case .enumeration: "enum"
        case .array: "array"
        case .map: "map"
        case .fixed: "fixed"
        case .union: "union"
        case .reference: "reference"
        }
    }

    /// The full name of a named type (record, enum, fixed or reference); nil for the others.
    public var fullName: String? {
        switch self {
        case .record(let r): r.name.fullName
        case .enumeration(let e): e.name.fullName
        case .fixed(let f): f.name.fullName
        case .reference(let name): name
        default: nil
        }
    }

    /// A short description for messages: the full name of a named type, else the kind.
    public var displayName: String {
        if let name = fullName { return name }
        return kindName
    }
}

/// A full Avro name: `namespace.name`, or `name` in the null namespace.
public struct AvroName: Sendable, Equatable, Hashable {
    /// The last component: `User`.
    public let name: String
    /// Everything before it, or nil for the null namespace.
    public let namespace: String?

    public init(name: String, namespace: String?) {
        self.name = name
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
    }

    /// Splits a dotted full name.
    public init(fullName: String) {
        if let dot = fullName.lastIndex(of: ".") {
            self.init(name: String(fullName[fullName.index(after: dot)...]), namespace: String(fullName[..<dot]))
        } else {
            self.init(name: fullName, namespace: nil)
        }
    }

    public var fullName: String {
        if let namespace { return namespace + "." + name }
        return name
    }
}

/// A record: named fields in order.
public struct AvroRecordSchema: Sendable, Equatable {
    public var name: AvroName
    /// Other full names this record answers to during schema resolution.
    public var aliases: [String]
    public var doc: String?
    public var fields: [AvroField]

    public init(name: AvroName, aliases: [String] = [], doc: String? = nil, fields: [AvroField]) {
        self.name = name
        self.aliases = aliases
        self.doc = doc
        self.fields = fields
    }
}

/// One field of a record.
public struct AvroField: Sendable, Equatable {
    public var name: String
    public var type: AvroType
    /// The default as written in the schema (JSON, validated against `type` when parsed).
    /// A reader uses it when the writer's record has no such field.
    public var defaultValue: JSONValue?
    public var aliases: [String]
    public var doc: String?
    /// `ascending` (the default), `descending` or `ignore`: sort order, kept but not used here.
    public var order: String?

    public init(name: String, type: AvroType, defaultValue: JSONValue? = nil, aliases: [String] = [], doc: String? = nil, order: String? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.aliases = aliases
        self.doc = doc
        self.order = order
    }
}

/// An enum: a list of symbols, written as the index of one.
public struct AvroEnumSchema: Sendable, Equatable {
    public var name: AvroName
    public var aliases: [String]
    public var doc: String?
    public var symbols: [String]
    /// The symbol a reader uses for a writer's symbol it does not know.
    public var defaultSymbol: String?

    public init(name: AvroName, aliases: [String] = [], doc: String? = nil, symbols: [String], defaultSymbol: String? = nil) {
        self.name = name
        self.aliases = aliases
        self.doc = doc
        self.symbols = symbols
        self.defaultSymbol = defaultSymbol
    }
}

/// A fixed: exactly `size` bytes.
public struct AvroFixedSchema: Sendable, Equatable {
    public var name: AvroName
    public var aliases: [String]
    public var size: Int
    public var logicalType: AvroLogicalType?

    public init(name: AvroName, aliases: [String] = [], size: Int, logicalType: AvroLogicalType? = nil) {
        self.name = name
        self.aliases = aliases
        self.size = size
        self.logicalType = logicalType
    }
}

/// The logical types Freshet knows (Avro 1.11 "Logical Types"). As the specification asks, an
/// unknown logical type, or one on the wrong underlying type, or an invalid decimal, is ignored:
/// the type is read as its underlying type.
public enum AvroLogicalType: Sendable, Equatable {
    /// Days since 1970-01-01, on `int`.
    case date
    /// Milliseconds after midnight, on `int`.
    case timeMillis
    /// Microseconds after midnight, on `long`.
    case timeMicros
    /// Milliseconds since the Unix epoch, UTC, on `long`.
    case timestampMillis
    /// Microseconds since the Unix epoch, UTC, on `long`.
    case timestampMicros
    /// Milliseconds since 1970-01-01T00:00 in an unspecified time zone, on `long`.
    case localTimestampMillis
    /// Microseconds since 1970-01-01T00:00 in an unspecified time zone, on `long`.
    case localTimestampMicros
    /// An RFC 4122 UUID as text, on `string`.
    case uuid
    /// An unscaled two's-complement big-endian integer, on `bytes` or `fixed`.
    case decimal(precision: Int, scale: Int)
    /// Months, days and milliseconds, on a `fixed` of size 12.
    case duration

    /// The name in schema JSON: `timestamp-millis`.
    public var name: String {
        switch self {
        case .date: "date"
        case .timeMillis: "time-millis"
        case .timeMicros: "time-micros"
        case .timestampMillis: "timestamp-millis"
        case .timestampMicros: "timestamp-micros"
        case .localTimestampMillis: "local-timestamp-millis"
        case .localTimestampMicros: "local-timestamp-micros"
        case .uuid: "uuid"
        case .decimal: "decimal"
        case .duration: "duration"
        }
    }
}

/// Limits on schema JSON, so that a hostile schema (from a registry, a file, a peer) is an error,
/// never a trap or an unbounded recursion.
public struct AvroSchemaLimits: Sendable, Equatable {
    /// Bytes of schema JSON. Defaults to 1 MiB.
    public var maxBytes: Int
    /// Nesting of types (a record in an array in a union counts 3). Defaults to 64. The JSON
    /// reader also stops at 64 nested JSON arrays and objects.
    public var maxDepth: Int
    /// Types, fields and enum symbols in one schema, together. Defaults to 100,000.
    public var maxNodes: Int
    /// Branches of one union. Defaults to 1,024.
    public var maxUnionBranches: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxNodes: Int = 100_000, maxUnionBranches: Int = 1024) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxUnionBranches = maxUnionBranches
    }
}

/// Why schema JSON is not a valid Avro schema, with where in the JSON: `fields[3].type`.
public struct AvroSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case tooLarge = "too_large"
        case tooDeep = "too_deep"
        case tooManyNodes = "too_many_nodes"
        case tooManyBranches = "too_many_branches"
        case missingAttribute = "missing_attribute"
        case invalidAttribute = "invalid_attribute"
        case unknownType = "unknown_type"
        case invalidName = "invalid_name"
        case duplicateName = "duplicate_name"
        case invalidUnion = "invalid_union"
        case invalidDefault = "invalid_default"
    }

    public var code: Code
    /// Where in the schema JSON, like `fields[3].type`; empty for the whole document.
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String {
        "invalid Avro schema (\(code.rawValue)) at \(path.isEmpty ? "the top level" : path): \(message)"
    }
}
