/// The system keyspaces of Cassandra 4.1 that drivers and cqlsh read, with the columns they
/// expect, and the rows computed from a `CQLCatalog`.
public enum CQLSystemSchema {
    static let text = CQLType.varchar
    static let textMap = CQLType.map(key: .varchar, value: .varchar)
    static let textList = CQLType.list(.varchar)

    static func key(_ name: String, _ type: CQLType, _ position: Int = 0) -> CQLColumnDefinition {
        CQLColumnDefinition(name, type, kind: .partitionKey, position: position)
    }

    static func clustering(_ name: String, _ type: CQLType, _ position: Int = 0) -> CQLColumnDefinition {
        CQLColumnDefinition(name, type, kind: .clustering, position: position)
    }

    static func column(_ name: String, _ type: CQLType, frozen: Bool = false) -> CQLColumnDefinition {
        CQLColumnDefinition(name, type, frozen: frozen)
    }

    static let localStrategy: CQLOrderedMap<String> = ["class": "org.apache.cassandra.locator.LocalStrategy"]

    static func system(_ name: String, _ columns: [CQLColumnDefinition], _ table: CQLSystemTable, keyspace: String = "system") -> CQLTableDefinition {
        CQLTableDefinition(keyspace: keyspace, name: name, columns: columns, source: .system(table))
    }

    /// `system`: local, peers, peers_v2.
    static let systemKeyspace = CQLKeyspaceDefinition(
        name: "system", replication: localStrategy, isSystem: true,
        tables: [
            system(
                "local",
                [
                    key("key", text), column("bootstrapped", text), column("broadcast_address", .inet), column("broadcast_port", .int),
                    column("cluster_name", text), column("cql_version", text), column("data_center", text),
                    column("gossip_generation", .int), column("host_id", .uuid), column("listen_address", .inet),
                    column("listen_port", .int), column("native_protocol_version", text), column("partitioner", text),
                    column("rack", text), column("release_version", text), column("rpc_address", .inet), column("rpc_port", .int),
                    column("schema_version", .uuid), column("tokens", .set(text)), column("truncated_at", .map(key: .uuid, value: .blob)),
                ], .local),
            system(
                "peers",
                [
                    key("peer", .inet), column("data_center", text), column("host_id", .uuid), column("preferred_ip", .inet),
                    column("rack", text), column("release_version", text), column("rpc_address", .inet),
                    column("schema_version", .uuid), column("tokens", .set(text)),
                ], .empty),
            system(
                "peers_v2",
                [
                    key("peer", .inet), clustering("peer_port", .int), column("data_center", text), column("host_id", .uuid),
                    column("native_address", .inet), column("native_port", .int), column("preferred_ip", .inet),
                    column("preferred_port", .int), column("rack", text), column("release_version", text),
                    column("schema_version", .uuid), column("tokens", .set(text)),
                ], .empty),
        ])

    static let schemaColumnsColumns: [CQLColumnDefinition] = [
        key("keyspace_name", text), clustering("table_name", text, 0), clustering("column_name", text, 1),
        column("clustering_order", text), column("column_name_bytes", .blob), column("kind", text),
        column("position", .int), column("type", text),
    ]

    static func schemaTable(_ name: String, _ columns: [CQLColumnDefinition], _ table: CQLSystemTable) -> CQLTableDefinition {
        system(name, columns, table, keyspace: "system_schema")
    }

    /// `system_schema`: what the python driver's SchemaParserV4 reads.
    static let systemSchemaKeyspace = CQLKeyspaceDefinition(
        name: "system_schema", replication: localStrategy, isSystem: true,
        tables: [
            schemaTable(
                "keyspaces", [key("keyspace_name", text), column("durable_writes", .boolean), column("replication", textMap, frozen: true)], .keyspaces),
            schemaTable(
                "tables",
                [
                    key("keyspace_name", text), clustering("table_name", text), column("additional_write_policy", text),
                    column("bloom_filter_fp_chance", .double), column("caching", textMap, frozen: true), column("cdc", .boolean),
                    column("comment", text), column("compaction", textMap, frozen: true), column("compression", textMap, frozen: true),
                    column("crc_check_chance", .double), column("dclocal_read_repair_chance", .double),
                    column("default_time_to_live", .int), column("extensions", .map(key: .varchar, value: .blob), frozen: true),
                    column("flags", .set(text), frozen: true), column("gc_grace_seconds", .int), column("id", .uuid),
                    column("max_index_interval", .int), column("memtable_flush_period_in_ms", .int), column("min_index_interval", .int),
                    column("read_repair", text), column("read_repair_chance", .double), column("speculative_retry", text),
                ], .tables),
            schemaTable("columns", schemaColumnsColumns, .columns),
            schemaTable(
                "dropped_columns",
                [
                    key("keyspace_name", text), clustering("table_name", text, 0), clustering("column_name", text, 1),
                    column("dropped_time", .timestamp), column("kind", text), column("type", text),
                ], .empty),
            schemaTable(
                "types",
                [
                    key("keyspace_name", text), clustering("type_name", text), column("field_names", textList, frozen: true),
                    column("field_types", textList, frozen: true),
                ], .empty),
            schemaTable(
                "functions",
                [
                    key("keyspace_name", text), clustering("function_name", text, 0), clustering("argument_types", textList, 1),
                    column("argument_names", textList, frozen: true), column("body", text), column("called_on_null_input", .boolean),
                    column("language", text), column("return_type", text),
                ], .empty),
            schemaTable(
                "aggregates",
                [
                    key("keyspace_name", text), clustering("aggregate_name", text, 0), clustering("argument_types", textList, 1),
                    column("final_func", text), column("initcond", text), column("return_type", text), column("state_func", text),
                    column("state_type", text),
                ], .empty),
            schemaTable(
                "triggers",
                [
                    key("keyspace_name", text), clustering("table_name", text, 0), clustering("trigger_name", text, 1),
                    column("options", textMap, frozen: true),
                ], .empty),
            schemaTable(
                "indexes",
                [
                    key("keyspace_name", text), clustering("table_name", text, 0), clustering("index_name", text, 1),
                    column("kind", text), column("options", textMap, frozen: true),
                ], .empty),
            schemaTable(
                "views",
                [
                    key("keyspace_name", text), clustering("view_name", text), column("base_table_id", .uuid),
                    column("base_table_name", text), column("bloom_filter_fp_chance", .double), column("caching", textMap, frozen: true),
                    column("comment", text), column("compaction", textMap, frozen: true), column("compression", textMap, frozen: true),
                    column("default_time_to_live", .int), column("gc_grace_seconds", .int), column("id", .uuid),
                    column("include_all_columns", .boolean), column("speculative_retry", text), column("where_clause", text),
                ], .empty),
        ])

    /// `system_virtual_schema`: describes itself, as in Cassandra.
    static let systemVirtualSchemaKeyspace = CQLKeyspaceDefinition(
        name: "system_virtual_schema", replication: [:], durableWrites: false, isVirtual: true, isSystem: true,
        tables: [
            system("keyspaces", [key("keyspace_name", text)], .virtualKeyspaces, keyspace: "system_virtual_schema"),
            system(
                "tables", [key("keyspace_name", text), clustering("table_name", text), column("comment", text)], .virtualTables,
                keyspace: "system_virtual_schema"),
            system("columns", schemaColumnsColumns, .virtualColumns, keyspace: "system_virtual_schema"),
        ])

    public static let keyspaces = [systemKeyspace, systemSchemaKeyspace, systemVirtualSchemaKeyspace]

    // MARK: Rows

    /// The node's address as the client sees it, for `system.local`.
    public struct Addresses: Sendable, Hashable {
        public var address: CQLInetAddress
        public var nativePort: Int32

        public init(address: CQLInetAddress, nativePort: Int32) {
            self.address = address
            self.nativePort = nativePort
        }
    }

    /// The rows of a computed table, each with one value per column of `table.columns`.
    static func rows(of table: CQLTableDefinition, kind: CQLSystemTable, catalog: CQLCatalog, addresses: Addresses) -> [[CQLValue?]] {
        switch kind {
        case .empty:
            return []
        case .local:
            let node = catalog.node
            let a = CQLValue.inet(addresses.address)
            return [
                [
                    .text("local"), .text("COMPLETED"), a, .int(7000), .text(node.clusterName), .text(node.cqlVersion),
                    .text(node.dataCenter), .int(1), .uuid(node.hostID), a, .int(7000), .text(String(CQLFrameHeader.protocolVersion)),
                    .text(CQLNodeInfo.partitioner), .text(node.rack), .text(node.releaseVersion), a, .int(addresses.nativePort),
                    .uuid(catalog.schemaVersion), .set(node.tokens.map(CQLValue.text)), nil,
                ]
            ]
        case .keyspaces:
            return catalog.keyspaces.filter { !$0.isVirtual }.sorted { $0.name < $1.name }.map { ks in
                [.text(ks.name), .boolean(ks.durableWrites), textMap(ks.replication)]
            }
        case .virtualKeyspaces:
            return catalog.keyspaces.filter(\.isVirtual).map { [.text($0.name)] }
        case .tables:
            return catalog.keyspaces.filter { !$0.isVirtual }.sorted { $0.name < $1.name }.flatMap { ks in
                ks.tables.sorted { $0.name < $1.name }.map { t -> [CQLValue?] in
                    [
                        .text(ks.name), .text(t.name), .text("99p"), .double(0.01), textMap(TableOptions.caching), .boolean(false),
                        .text(t.comment), textMap(TableOptions.compaction), textMap(TableOptions.compression), .double(1.0),
                        .double(0.0), .int(0), .map([]), .set([.text("compound")]), .int(864_000), .uuid(t.id), .int(2048), .int(0),
                        .int(128), .text("BLOCKING"), .double(0.0), .text("99p"),
                    ]
                }
            }
        case .virtualTables:
            return catalog.keyspaces.filter(\.isVirtual).flatMap { ks in
                ks.tables.sorted { $0.name < $1.name }.map { [.text(ks.name), .text($0.name), .text($0.comment)] }
            }
        case .columns, .virtualColumns:
            let virtual = kind == .virtualColumns
            return catalog.keyspaces.filter { $0.isVirtual == virtual }.sorted { $0.name < $1.name }.flatMap { ks in
                ks.tables.sorted { $0.name < $1.name }.flatMap { t in
                    t.columns.sorted { $0.name < $1.name }.map { c -> [CQLValue?] in
                        [
                            .text(ks.name), .text(t.name), .text(c.name), .text(c.kind == .clustering ? "asc" : "none"),
                            .blob(Array(c.name.utf8)), .text(c.kind.rawValue), .int(Int32(c.position)), .text(c.typeText),
                        ]
                    }
                }
            }
        }
    }

    static func textMap(_ map: CQLOrderedMap<String>) -> CQLValue {
        .map(map.entries.map { CQLMapEntry(key: .text($0.key), value: .text($0.value)) })
    }

    /// Cassandra 4.1's defaults, shown by DESCRIBE and `system_schema.tables`.
    enum TableOptions {
        static let caching: CQLOrderedMap<String> = ["keys": "ALL", "rows_per_partition": "NONE"]
        static let compaction: CQLOrderedMap<String> = [
            "class": "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy", "max_threshold": "32", "min_threshold": "4",
        ]
        static let compression: CQLOrderedMap<String> = [
            "chunk_length_in_kb": "16", "class": "org.apache.cassandra.io.compress.LZ4Compressor",
        ]
    }
}
