/// The schema a CQL endpoint serves: keyspaces, tables, columns, and the node's identity,
/// from which the `system` and `system_schema` tables that drivers and cqlsh read on connect
/// are computed.

/// A column of a table.
public struct CQLColumnDefinition: Sendable, Hashable {
    /// The column's role, with `system_schema.columns.kind`'s spelling.
    public enum Kind: String, Sendable, Hashable {
        case partitionKey = "partition_key"
        case clustering
        case regular
    }

    public var name: String
    public var type: CQLType
    public var kind: Kind
    /// Position within the partition key or the clustering columns; -1 for regular columns.
    public var position: Int
    /// Collections stored frozen (as `system_schema` declares its maps).
    public var frozen: Bool

    public init(_ name: String, _ type: CQLType, kind: Kind = .regular, position: Int = -1, frozen: Bool = false) {
        self.name = name
        self.type = type
        self.kind = kind
        self.position = kind == .regular ? -1 : max(0, position)
        self.frozen = frozen
    }

    /// The type as `system_schema.columns.type` and DESCRIBE write it: "text", "frozen<map<text, text>>".
    public var typeText: String { frozen ? "frozen<\(type)>" : type.description }
}

/// Where a table's rows come from.
public enum CQLTableSource: Sendable, Hashable {
    /// A `CQLTableStorage` registered under the table's name (the user data).
    case storage
    /// Computed by the endpoint from its schema and node identity.
    case system(CQLSystemTable)
}

/// The computed tables.
public enum CQLSystemTable: Sendable, Hashable {
    case local
    /// Rows of no other node: `system.peers`, `system.peers_v2`, and every schema table for
    /// things Freshet does not have (types, functions, aggregates, triggers, indexes, views).
    case empty
    case keyspaces
    case tables
    case columns
    case virtualKeyspaces
    case virtualTables
    case virtualColumns
}

/// A table: its columns in declaration order, partition key first.
public struct CQLTableDefinition: Sendable, Hashable {
    public var keyspace: String
    public var name: String
    public var columns: [CQLColumnDefinition]
    public var source: CQLTableSource
    /// `system_schema.tables.id`.
    public var id: CQLUUID
    public var comment: String

    public init(keyspace: String, name: String, columns: [CQLColumnDefinition], source: CQLTableSource, id: CQLUUID? = nil, comment: String = "") {
        self.keyspace = keyspace
        self.name = name
        self.columns = columns
        self.source = source
        self.id = id ?? CQLSchemaIdentity.uuid(for: "table:\(keyspace).\(name)")
        self.comment = comment
    }

    public var qualifiedName: String { "\(keyspace).\(name)" }

    public var partitionKey: [CQLColumnDefinition] {
        columns.filter { $0.kind == .partitionKey }.sorted { $0.position < $1.position }
    }

    /// The index of the column named `name` in `columns`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The order of `SELECT *` in Cassandra: partition key, clustering columns, then the other
    /// columns by name. Indexes into `columns`.
    public var selectAllOrder: [Int] {
        let indexed = Array(columns.enumerated())
        let keys = indexed.filter { $0.element.kind == .partitionKey }.sorted { $0.element.position < $1.element.position }
        let clustering = indexed.filter { $0.element.kind == .clustering }.sorted { $0.element.position < $1.element.position }
        let regular = indexed.filter { $0.element.kind == .regular }.sorted { $0.element.name < $1.element.name }
        return (keys + clustering + regular).map(\.offset)
    }

    public func columnSpec(_ index: Int, name: String? = nil) -> CQLColumnSpec {
        CQLColumnSpec(keyspace: keyspace, table: self.name, name: name ?? columns[index].name, type: columns[index].type)
    }
}

/// A keyspace and its tables.
public struct CQLKeyspaceDefinition: Sendable, Hashable {
    public var name: String
    /// `system_schema.keyspaces.replication`, `class` first.
    public var replication: CQLOrderedMap<String>
    public var durableWrites: Bool
    /// Virtual keyspaces (`system_virtual_schema`) are listed in `system_virtual_schema.keyspaces`
    /// instead of `system_schema.keyspaces`.
    public var isVirtual: Bool
    /// `system`, `system_schema`...: left out of DESCRIBE SCHEMA.
    public var isSystem: Bool
    public var tables: [CQLTableDefinition]

    public init(
        name: String, replication: CQLOrderedMap<String>, durableWrites: Bool = true, isVirtual: Bool = false, isSystem: Bool = false,
        tables: [CQLTableDefinition]
    ) {
        self.name = name
        self.replication = replication
        self.durableWrites = durableWrites
        self.isVirtual = isVirtual
        self.isSystem = isSystem
        self.tables = tables
    }

    /// SimpleStrategy with a replication factor.
    public static func simpleStrategy(_ name: String, replicationFactor: Int = 1, tables: [CQLTableDefinition]) -> CQLKeyspaceDefinition {
        CQLKeyspaceDefinition(
            name: name,
            replication: ["class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": String(replicationFactor)],
            tables: tables)
    }

    public func table(_ name: String) -> CQLTableDefinition? { tables.first { $0.name == name } }
}

/// What `system.local` says about the node.
public struct CQLNodeInfo: Sendable, Hashable {
    /// Defaults to "Freshet".
    public var clusterName: String
    /// Defaults to "datacenter1", Cassandra's default.
    public var dataCenter: String
    /// Defaults to "rack1".
    public var rack: String
    /// The Cassandra version the endpoint behaves as. Defaults to "4.1.5": drivers pick their
    /// schema queries by it (4.x: `system_schema` and `system_virtual_schema`) and cqlsh 6 sends
    /// DESCRIBE to the server from 4.0 on.
    public var releaseVersion: String
    /// Defaults to "3.4.6", the CQL version of Cassandra 4.1.
    public var cqlVersion: String
    /// Defaults to a fixed UUID.
    public var hostID: CQLUUID
    /// The node's tokens: one token owns the whole ring. Defaults to ["0"].
    public var tokens: [String]

    public static let partitioner = "org.apache.cassandra.dht.Murmur3Partitioner"

    public init(
        clusterName: String = "Freshet", dataCenter: String = "datacenter1", rack: String = "rack1", releaseVersion: String = "4.1.5",
        cqlVersion: String = "3.4.6", hostID: CQLUUID = CQLSchemaIdentity.uuid(for: "host"), tokens: [String] = ["0"]
    ) {
        self.clusterName = clusterName
        self.dataCenter = dataCenter
        self.rack = rack
        self.releaseVersion = releaseVersion
        self.cqlVersion = cqlVersion
        self.hostID = hostID
        self.tokens = tokens
    }
}

/// Stable UUIDs for schema objects, derived from their names.
public enum CQLSchemaIdentity {
    /// A version-4-shaped UUID from the Murmur3 hash of `name`.
    public static func uuid(for name: String) -> CQLUUID {
        let bytes = Array("freshet:\(name)".utf8)
        let high = UInt64(bitPattern: CQLMurmur3Token.token(of: bytes))
        let low = UInt64(bitPattern: CQLMurmur3Token.token(of: bytes.reversed()))
        // Version 4 and the RFC 4122 variant, so that tools display it as an ordinary UUID.
        return CQLUUID(high: (high & ~0xF000) | 0x4000, low: (low & ~(0xC000_0000_0000_0000)) | 0x8000_0000_0000_0000)
    }
}

/// Every keyspace the endpoint serves, the system ones included, and the node's identity.
public struct CQLCatalog: Sendable {
    public var node: CQLNodeInfo
    public var keyspaces: [CQLKeyspaceDefinition]

    /// The user keyspaces plus `system`, `system_schema` and `system_virtual_schema`.
    public init(node: CQLNodeInfo = CQLNodeInfo(), userKeyspaces: [CQLKeyspaceDefinition]) {
        self.node = node
        self.keyspaces = CQLSystemSchema.keyspaces + userKeyspaces
    }

    public func keyspace(_ name: String) -> CQLKeyspaceDefinition? { keyspaces.first { $0.name == name } }

    public func table(keyspace: String, name: String) -> CQLTableDefinition? { self.keyspace(keyspace)?.table(name) }

    /// Changes whenever the schema does; drivers compare it across nodes for schema agreement.
    public var schemaVersion: CQLUUID {
        var text = ""
        for keyspace in keyspaces {
            text += keyspace.name + keyspace.replication.entries.map { "\($0.key)=\($0.value)" }.joined() + ";"
            for table in keyspace.tables {
                text += table.name + ":" + table.columns.map { "\($0.name) \($0.typeText) \($0.kind.rawValue)" }.joined(separator: ",") + ";"
            }
        }
        return CQLSchemaIdentity.uuid(for: "schema:" + text)
    }
}
