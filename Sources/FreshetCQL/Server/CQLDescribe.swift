/// The rows of Cassandra 4's server-side DESCRIBE, which cqlsh 6 prints: listings have
/// `keyspace_name, type, name`; element descriptions add `create_statement`.
struct CQLDescribe {
    var catalog: CQLCatalog
    var session: CQLSessionState
    /// The keyspace unqualified names resolve against (the session's, or a prepared statement's).
    var keyspace: String?

    static func spec(_ name: String, _ type: CQLType = .varchar) -> CQLColumnSpec {
        CQLColumnSpec(keyspace: "system", table: "describe", name: name, type: type)
    }

    static let listColumns = [spec("keyspace_name"), spec("type"), spec("name")]
    static let elementColumns = listColumns + [spec("create_statement")]

    func rows(_ statement: CQLDescribeStatement) throws(CQLServerError) -> CQLRows {
        switch statement {
        case .keyspaces:
            return list(catalog.keyspaces.sorted { $0.name < $1.name }.map { ($0.name, "keyspace", $0.name) })
        case .tables:
            let keyspaces = keyspace.flatMap { catalog.keyspace($0) }.map { [$0] } ?? catalog.keyspaces.sorted { $0.name < $1.name }
            return list(keyspaces.flatMap { ks in ks.tables.sorted { $0.name < $1.name }.map { (ks.name, "table", $0.name) } })
        case .types, .functions, .aggregates:
            return list([])
        case .cluster:
            var columns = [Self.spec("cluster"), Self.spec("partitioner"), Self.spec("snitch")]
            var row: [CQLValue?] = [.text(catalog.node.clusterName), .text(CQLNodeInfo.partitioner), .text("org.apache.cassandra.locator.SimpleSnitch")]
            if keyspace != nil {
                columns.append(Self.spec("range_ownership", .map(key: .varchar, value: .list(.varchar))))
                let endpoint = CQLValue.text("\(session.addresses.address):\(session.addresses.nativePort)")
                row.append(.map(catalog.node.tokens.map { CQLMapEntry(key: .text($0), value: .list([endpoint])) }))
            }
            return CQLRows(metadata: CQLRowsMetadata(columns: columns), values: [row])
        case .schema(let full):
            return elements(catalog.keyspaces.filter { full || !$0.isSystem }.flatMap(keyspaceElements))
        case .keyspace(let name):
            guard let name = name ?? keyspace else {
                throw CQLServerError(code: .invalid, message: "No keyspace specified and no current keyspace")
            }
            guard let ks = catalog.keyspace(name) else { throw CQLServerError(code: .invalid, message: "'\(name)' not found in keyspaces") }
            return elements(keyspaceElements(ks))
        case .table(let name):
            return elements([tableElement(try table(name))])
        case .name(let name):
            if name.keyspace == nil, let ks = catalog.keyspace(name.name) { return elements(keyspaceElements(ks)) }
            return elements([tableElement(try table(name))])
        }
    }

    func table(_ name: CQLQualifiedName) throws(CQLServerError) -> CQLTableDefinition {
        guard let ks = name.keyspace ?? keyspace else {
            throw CQLServerError(code: .invalid, message: "No keyspace specified and no current keyspace")
        }
        guard let keyspace = catalog.keyspace(ks) else { throw CQLServerError(code: .invalid, message: "'\(ks)' not found in keyspaces") }
        guard let table = keyspace.table(name.name) else {
            throw CQLServerError(code: .invalid, message: "'\(name.name)' not found in keyspace '\(ks)'")
        }
        return table
    }

    func list(_ rows: [(String, String, String)]) -> CQLRows {
        CQLRows(metadata: CQLRowsMetadata(columns: Self.listColumns), values: rows.map { [.text($0.0), .text($0.1), .text($0.2)] })
    }

    typealias Element = (keyspace: String, type: String, name: String, statement: String)

    func elements(_ elements: [Element]) -> CQLRows {
        CQLRows(
            metadata: CQLRowsMetadata(columns: Self.elementColumns),
            values: elements.map { [.text($0.keyspace), .text($0.type), .text($0.name), .text($0.statement)] })
    }

    func keyspaceElements(_ ks: CQLKeyspaceDefinition) -> [Element] {
        [(ks.name, "keyspace", ks.name, Self.createKeyspace(ks))] + ks.tables.sorted { $0.name < $1.name }.map(tableElement)
    }

    func tableElement(_ table: CQLTableDefinition) -> Element {
        (table.keyspace, "table", table.name, Self.createTable(table, virtual: catalog.keyspace(table.keyspace)?.isVirtual ?? false))
    }

    // MARK: CQL text

    static func quote(_ name: String) -> String {
        let simple =
            name.utf8.first.map { $0 >= 0x61 && $0 <= 0x7A } == true
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
        return simple && !reserved.contains(name) ? name : "\"" + name.replacingDoubleQuotes() + "\""
    }

    static let reserved: Set<String> = [
        "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by", "columnfamily", "create", "delete", "desc",
        "describe", "drop", "entries", "execute", "from", "full", "grant", "if", "in", "index", "infinity", "insert", "into", "keyspace",
        "limit", "modify", "nan", "norecursive", "not", "null", "of", "on", "or", "order", "primary", "rename", "replace", "revoke",
        "schema", "select", "set", "table", "to", "token", "truncate", "unlogged", "update", "use", "using", "view", "where", "with",
    ]

    static func string(_ s: String) -> String { "'" + s.replacingSingleQuotes() + "'" }

    static func map(_ map: CQLOrderedMap<String>) -> String {
        "{" + map.entries.map { "\(string($0.key)): \(string($0.value))" }.joined(separator: ", ") + "}"
    }

    static func createKeyspace(_ ks: CQLKeyspaceDefinition) -> String {
        if ks.isVirtual {
            return
                "/*\nWarning: Keyspace \(quote(ks.name)) is a virtual keyspace and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL KEYSPACE \(quote(ks.name));\n*/"
        }
        return "CREATE KEYSPACE \(quote(ks.name)) WITH replication = \(map(ks.replication))  AND durable_writes = \(ks.durableWrites);"
    }

    static func createTable(_ table: CQLTableDefinition, virtual: Bool) -> String {
        let keys = table.partitionKey
        let clustering = table.columns.filter { $0.kind == .clustering }.sorted { $0.position < $1.position }
        let singleKey = keys.count == 1 && clustering.isEmpty
        var lines: [String] = []
        for index in table.selectAllOrder {
            let c = table.columns[index]
            lines.append("    \(quote(c.name)) \(c.typeText)\(singleKey && c.kind == .partitionKey ? " PRIMARY KEY" : "")")
        }
        if !singleKey {
            let partition = keys.count == 1 ? quote(keys[0].name) : "(" + keys.map { quote($0.name) }.joined(separator: ", ") + ")"
            lines.append("    PRIMARY KEY (" + ([partition] + clustering.map { quote($0.name) }).joined(separator: ", ") + ")")
        }
        let name = "\(quote(table.keyspace)).\(quote(table.name))"
        if virtual {
            return "/*\nWarning: Table \(name) is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL TABLE \(name) (\n"
                + lines.joined(separator: ",\n") + "\n) WITH comment = \(string(table.comment));\n*/"
        }
        var options: [String] = []
        if !clustering.isEmpty {
            options.append("CLUSTERING ORDER BY (" + clustering.map { "\(quote($0.name)) ASC" }.joined(separator: ", ") + ")")
        }
        options += [
            "additional_write_policy = '99p'",
            "bloom_filter_fp_chance = 0.01",
            "caching = \(map(CQLSystemSchema.TableOptions.caching))",
            "cdc = false",
            "comment = \(string(table.comment))",
            "compaction = \(map(CQLSystemSchema.TableOptions.compaction))",
            "compression = \(map(CQLSystemSchema.TableOptions.compression))",
            "memtable = 'default'",
            "crc_check_chance = 1.0",
            "default_time_to_live = 0",
            "extensions = {}",
            "gc_grace_seconds = 864000",
            "max_index_interval = 2048",
            "memtable_flush_period_in_ms = 0",
            "min_index_interval = 128",
            "read_repair = 'BLOCKING'",
            "speculative_retry = '99p'",
        ]
        return "CREATE TABLE \(name) (\n" + lines.joined(separator: ",\n") + "\n) WITH " + options.joined(separator: "\n    AND ") + ";"
    }
}

extension String {
    func replacingSingleQuotes() -> String { split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") }
    func replacingDoubleQuotes() -> String { split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") }
}
