/// The statements Freshet's CQL endpoint understands: the surface cqlsh and the drivers use
/// on connect, DESCRIBE, and reads and writes of one table. `CQLStatementParser` builds them.

/// `keyspace.name` or `name`; identifiers are already case-folded (unquoted) or exact (quoted).
public struct CQLQualifiedName: Sendable, Hashable, CustomStringConvertible {
    public var keyspace: String?
    public var name: String

    public init(keyspace: String?, name: String) {
        self.keyspace = keyspace
        self.name = name
    }

    public var description: String { keyspace.map { "\($0).\(name)" } ?? name }
}

/// A constant written in the statement.
public indirect enum CQLLiteral: Sendable, Hashable {
    case string(String)
    /// Digits with an optional leading minus, kept as text so that the column type decides
    /// the range (int, bigint, varint...).
    case integer(String)
    /// A number with a fraction or an exponent, kept as text.
    case float(String)
    case boolean(Bool)
    case uuid(CQLUUID)
    /// `0x…`.
    case blob([UInt8])
    case null
    /// `{k: v, …}`, in the order written.
    case map([CQLLiteralPair])
    /// `{a, b}` or `[a, b]`.
    case collection([CQLLiteral])
}

public struct CQLLiteralPair: Sendable, Hashable {
    public var key: CQLLiteral
    public var value: CQLLiteral

    public init(key: CQLLiteral, value: CQLLiteral) {
        self.key = key
        self.value = value
    }
}

/// A value position: a literal or a `?` bind marker (its index among the statement's markers).
public enum CQLTerm: Sendable, Hashable {
    case literal(CQLLiteral)
    case bindMarker(Int)
}

/// One `column = term` of a WHERE clause.
public struct CQLRelation: Sendable, Hashable {
    public var column: String
    public var term: CQLTerm

    public init(column: String, term: CQLTerm) {
        self.column = column
        self.term = term
    }
}

/// What a SELECT returns.
public enum CQLSelection: Sendable, Hashable {
    /// `*`.
    case all
    /// `COUNT(*)` or `COUNT(1)`, with an optional alias (the column is named `count` otherwise).
    case count(alias: String?)
    /// Columns in the order asked, each with an optional alias.
    case columns([CQLSelectedColumn])
}

public struct CQLSelectedColumn: Sendable, Hashable {
    public var name: String
    public var alias: String?
    /// `WRITETIME(name)`: the microseconds the cell was written at, rather than its value.
    public var writeTime: Bool

    public init(name: String, alias: String? = nil, writeTime: Bool = false) {
        self.name = name
        self.alias = alias
        self.writeTime = writeTime
    }
}

/// One `token(columns) op term` of a WHERE clause: a range of the Murmur3 ring.
public struct CQLTokenRelation: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable {
        case greater = ">"
        case greaterOrEqual = ">="
        case less = "<"
        case lessOrEqual = "<="
    }

    /// What the token is compared with.
    public enum Bound: Sendable, Hashable {
        /// `token(term, …)`: the token of a partition key value.
        case tokenOf([CQLTerm])
        /// A token itself (a bigint).
        case token(CQLTerm)
    }

    /// The columns inside `token(…)` on the left.
    public var columns: [String]
    public var op: Operator
    public var bound: Bound

    public init(columns: [String], op: Operator, bound: Bound) {
        self.columns = columns
        self.op = op
        self.bound = bound
    }
}

public struct CQLSelectStatement: Sendable, Hashable {
    public var selection: CQLSelection
    public var table: CQLQualifiedName
    /// Equalities joined by AND.
    public var relations: [CQLRelation]
    /// `token(…)` ranges joined by AND.
    public var tokenRelations: [CQLTokenRelation]
    public var limit: CQLTerm?
    public var allowFiltering: Bool

    public init(
        selection: CQLSelection, table: CQLQualifiedName, relations: [CQLRelation] = [], tokenRelations: [CQLTokenRelation] = [],
        limit: CQLTerm? = nil, allowFiltering: Bool = false
    ) {
        self.selection = selection
        self.table = table
        self.relations = relations
        self.tokenRelations = tokenRelations
        self.limit = limit
        self.allowFiltering = allowFiltering
    }
}

public struct CQLInsertStatement: Sendable, Hashable {
    public var table: CQLQualifiedName
    public var columns: [String]
    /// One term per column.
    public var values: [CQLTerm]
    /// `USING TIMESTAMP t`: the write's timestamp, microseconds since the epoch by convention.
    /// `nil`: the request's default timestamp, else the time the endpoint applies it.
    public var timestamp: CQLTerm?

    public init(table: CQLQualifiedName, columns: [String], values: [CQLTerm], timestamp: CQLTerm? = nil) {
        self.table = table
        self.columns = columns
        self.values = values
        self.timestamp = timestamp
    }
}

/// `BEGIN [UNLOGGED | LOGGED] BATCH [USING TIMESTAMP t] INSERT …; … APPLY BATCH` as a statement
/// (cqlsh and drivers send it as a QUERY, or PREPARE it).
public struct CQLBatchStatementText: Sendable, Hashable {
    public var type: CQLBatchType
    /// `USING TIMESTAMP t` of the whole batch; its statements may then have none of their own.
    public var timestamp: CQLTerm?
    public var inserts: [CQLInsertStatement]

    public init(type: CQLBatchType = .logged, timestamp: CQLTerm? = nil, inserts: [CQLInsertStatement]) {
        self.type = type
        self.timestamp = timestamp
        self.inserts = inserts
    }
}

public struct CQLCreateKeyspaceStatement: Sendable, Hashable {
    public var name: String
    public var ifNotExists: Bool
    /// The `replication` map, as written.
    public var replication: [CQLLiteralPair]
    public var durableWrites: Bool?

    public init(name: String, ifNotExists: Bool, replication: [CQLLiteralPair], durableWrites: Bool? = nil) {
        self.name = name
        self.ifNotExists = ifNotExists
        self.replication = replication
        self.durableWrites = durableWrites
    }
}

public struct CQLCreateTableStatement: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: CQLType

        public init(name: String, type: CQLType) {
            self.name = name
            self.type = type
        }
    }

    public var table: CQLQualifiedName
    public var ifNotExists: Bool
    public var columns: [Column]
    /// The partition key columns.
    public var partitionKey: [String]
    /// The clustering columns.
    public var clustering: [String]

    public init(table: CQLQualifiedName, ifNotExists: Bool, columns: [Column], partitionKey: [String], clustering: [String] = []) {
        self.table = table
        self.ifNotExists = ifNotExists
        self.columns = columns
        self.partitionKey = partitionKey
        self.clustering = clustering
    }
}

/// The server-side DESCRIBE of Cassandra 4.0+, which cqlsh 6 sends as a statement.
public enum CQLDescribeStatement: Sendable, Hashable {
    case keyspaces
    case tables
    case types
    case functions
    case aggregates
    case cluster
    /// `DESCRIBE [FULL] SCHEMA`; without FULL the system keyspaces are left out.
    case schema(full: Bool)
    /// `DESCRIBE KEYSPACE [name]`: the current keyspace when no name is given.
    case keyspace(String?)
    case table(CQLQualifiedName)
    /// `DESCRIBE name`: a keyspace, or else a table of the current keyspace.
    case name(CQLQualifiedName)
}

public enum CQLStatement: Sendable, Hashable {
    case select(CQLSelectStatement)
    case insert(CQLInsertStatement)
    case batch(CQLBatchStatementText)
    case use(String)
    case createKeyspace(CQLCreateKeyspaceStatement)
    case createTable(CQLCreateTableStatement)
    case describe(CQLDescribeStatement)
}

/// A parsed statement with the number of `?` markers it has.
public struct CQLParsedStatement: Sendable, Hashable {
    public var statement: CQLStatement
    public var bindMarkerCount: Int
    /// About how many bytes the parsed statement holds (its literals and tree), for caches that
    /// are bounded by bytes. The parser sets it; 0 when unknown.
    public var estimatedBytes: Int

    public init(statement: CQLStatement, bindMarkerCount: Int, estimatedBytes: Int = 0) {
        self.statement = statement
        self.bindMarkerCount = bindMarkerCount
        self.estimatedBytes = estimatedBytes
    }
}

/// What one statement may cost the endpoint, so that hostile text can exhaust neither memory
/// nor the stack, and what one page of a result may hold.
public struct CQLQueryLimits: Sendable, Hashable {
    /// Longest statement, in UTF-8 bytes; a longer one is INVALID. Defaults to 64 KiB.
    public var maximumStatementLength: Int
    /// Deepest nesting of collection literals (`[[1]]` nests 2 deep) and types
    /// (`frozen<list<int>>` nests 2 deep); deeper is a SYNTAX_ERROR. Defaults to 32.
    public var maximumNestingDepth: Int
    /// Rows in one page of a read: a larger page size, or none, gets pages of this many rows
    /// (with a paging state for the rest). Defaults to 5,000, the drivers' page size.
    public var maximumPageRows: Int
    /// Bytes of cells in one page of a read; a page ends before the row that would pass this
    /// (a page always has at least one row). Defaults to 1 MiB.
    public var maximumPageBytes: Int

    /// The protocol counts bound values with a [short]: a statement may have at most this many
    /// `?` markers.
    public static let maximumBindMarkers = Int(UInt16.max)

    public init(
        maximumStatementLength: Int = 64 * 1024, maximumNestingDepth: Int = 32, maximumPageRows: Int = 5_000,
        maximumPageBytes: Int = 1024 * 1024
    ) {
        self.maximumStatementLength = max(1, maximumStatementLength)
        self.maximumNestingDepth = max(1, maximumNestingDepth)
        self.maximumPageRows = max(1, maximumPageRows)
        self.maximumPageBytes = max(1, maximumPageBytes)
    }
}
