/// Parses the CQL surface of Freshet's endpoint (see `CQLStatement`).
///
/// Keywords are case-insensitive; unquoted identifiers are folded to lower case and quoted
/// ones kept exactly, as in Cassandra. A trailing `;` is optional. Text outside the surface
/// throws a `CQLServerError`: SYNTAX_ERROR (0x2000) for what is not CQL, INVALID (0x2200) for
/// CQL that Freshet does not support, each naming the construct and where it is.
///
/// Hostile text is bounded before it costs anything: a statement longer than
/// `limits.maximumStatementLength` is refused before it is split into tokens, collection
/// literals and types nest at most `limits.maximumNestingDepth` deep (the parser recurses
/// only there), and a statement has at most `CQLQueryLimits.maximumBindMarkers` markers.
public enum CQLStatementParser {
    public static func parse(_ text: String, limits: CQLQueryLimits = CQLQueryLimits()) throws(CQLServerError) -> CQLParsedStatement {
        let length = text.utf8.count
        guard length <= limits.maximumStatementLength else {
            throw CQLServerError(
                code: .invalid,
                message: "Statement of \(length) bytes is longer than the \(limits.maximumStatementLength)-byte limit of Freshet's CQL endpoint")
        }
        var parser = Parser(tokens: try CQLLexer.tokenize(text), maximumDepth: limits.maximumNestingDepth)
        let statement = try parser.statement()
        _ = parser.accept(symbol: ";")
        guard parser.current.kind == .end else {
            throw parser.syntax("unexpected \(parser.current.quoted) after the end of the statement")
        }
        // The text, the tree (at most a node per token) and the literals' own text.
        let estimate = 2 * length + 64 * parser.tokens.count + 256
        return CQLParsedStatement(statement: statement, bindMarkerCount: parser.markers, estimatedBytes: estimate)
    }
}

private struct Parser {
    var tokens: [CQLToken]
    var index = 0
    var markers = 0
    /// Current nesting of collection literals and types: the only recursion of the parser.
    var depth = 0
    let maximumDepth: Int

    init(tokens: [CQLToken], maximumDepth: Int) {
        self.tokens = tokens
        self.maximumDepth = maximumDepth
    }

    /// Enters one level of a collection literal or a type; throws past the limit. Pair with
    /// `depth -= 1`.
    mutating func enter(_ what: String) throws(CQLServerError) {
        guard depth < maximumDepth else {
            throw syntax("\(what) nests deeper than \(maximumDepth) levels")
        }
        depth += 1
    }

    var current: CQLToken { tokens[index] }
    var next: CQLToken { tokens[min(index + 1, tokens.count - 1)] }

    mutating func advance() -> CQLToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func syntax(_ message: String, at token: CQLToken? = nil) -> CQLServerError {
        let t = token ?? current
        return CQLServerError(code: .syntaxError, message: "line \(t.line):\(t.column - 1) \(message)")
    }

    func unsupported(_ what: String) -> CQLServerError {
        CQLServerError(code: .invalid, message: "\(what) is not supported by Freshet's CQL endpoint (line \(current.line):\(current.column - 1))")
    }

    mutating func accept(keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        index += 1
        return true
    }

    mutating func accept(symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        index += 1
        return true
    }

    mutating func expect(keyword: String) throws(CQLServerError) {
        guard accept(keyword: keyword) else { throw syntax("expected \(keyword.uppercased()) but found \(current.quoted)") }
    }

    mutating func expect(symbol: String) throws(CQLServerError) {
        guard accept(symbol: symbol) else { throw syntax("expected '\(symbol)' but found \(current.quoted)") }
    }

    /// An identifier: an unquoted word (folded to lower case) or a quoted name.
    mutating func identifier(_ what: String) throws(CQLServerError) -> String {
        switch current.kind {
        case .word: return advance().text.lowercased()
        case .quotedName: return advance().text
        default: throw syntax("expected \(what) but found \(current.quoted)")
        }
    }

    /// `name` or `keyspace.name`.
    mutating func qualifiedName(_ what: String) throws(CQLServerError) -> CQLQualifiedName {
        let first = try identifier(what)
        if accept(symbol: ".") {
            return CQLQualifiedName(keyspace: first, name: try identifier(what))
        }
        return CQLQualifiedName(keyspace: nil, name: first)
    }

    mutating func statement() throws(CQLServerError) -> CQLStatement {
        let first = current
        guard first.kind == .word else { throw syntax("expected a statement but found \(first.quoted)") }
        switch first.text.lowercased() {
        case "select":
            index += 1
            return .select(try select())
        case "insert":
            index += 1
            return .insert(try insert())
        case "use":
            index += 1
            return .use(try identifier("a keyspace name"))
        case "create":
            index += 1
            return try create()
        case "describe", "desc":
            index += 1
            return .describe(try describe())
        case "begin":
            index += 1
            return .batch(try batch())
        case "update", "delete", "truncate", "drop", "alter", "batch", "apply", "grant", "revoke", "list":
            throw unsupported(first.text.uppercased())
        default:
            throw syntax("unknown statement \(first.quoted)")
        }
    }

    // MARK: SELECT

    mutating func select() throws(CQLServerError) -> CQLSelectStatement {
        if current.isKeyword("json") { throw unsupported("SELECT JSON") }
        if current.isKeyword("distinct") { throw unsupported("SELECT DISTINCT") }
        let selection: CQLSelection
        if accept(symbol: "*") {
            selection = .all
        } else {
            var columns: [CQLSelectedColumn] = []
            var count: CQLSelection?
            repeat {
                if current.isKeyword("count"), next.isSymbol("(") {
                    index += 2
                    if !accept(symbol: "*") {
                        guard current.kind == .integer, current.text == "1" else {
                            throw unsupported("COUNT(\(current.text)); use COUNT(*)")
                        }
                        index += 1
                    }
                    try expect(symbol: ")")
                    var alias: String?
                    if accept(keyword: "as") { alias = try identifier("an alias") }
                    count = .count(alias: alias)
                    continue
                }
                let nameToken = current
                var name = try identifier("a column name or *")
                var writeTime = false
                if current.isSymbol("(") {
                    // WRITETIME(column) is the one selector function the endpoint has.
                    guard nameToken.kind == .word, name == "writetime" else {
                        throw unsupported("the function \(nameToken.text)()")
                    }
                    index += 1
                    name = try identifier("a column name")
                    try expect(symbol: ")")
                    writeTime = true
                }
                var alias: String?
                if accept(keyword: "as") { alias = try identifier("an alias") }
                columns.append(CQLSelectedColumn(name: name, alias: alias, writeTime: writeTime))
            } while accept(symbol: ",")
            if let count {
                guard columns.isEmpty else { throw unsupported("COUNT(*) together with other columns") }
                selection = count
            } else {
                selection = .columns(columns)
            }
        }
        try expect(keyword: "from")
        let table = try qualifiedName("a table name")
        var relations: [CQLRelation] = []
        var tokenRelations: [CQLTokenRelation] = []
        if accept(keyword: "where") {
            repeat {
                if current.isKeyword("token"), next.isSymbol("(") {
                    tokenRelations.append(try tokenRelation())
                    continue
                }
                let column = try identifier("a column name")
                guard accept(symbol: "=") else {
                    if current.kind == .symbol || current.isKeyword("in") || current.isKeyword("contains") || current.isKeyword("like") {
                        throw unsupported("the relation '\(column) \(current.text.uppercased())' (only equality is)")
                    }
                    throw syntax("expected '=' but found \(current.quoted)")
                }
                relations.append(CQLRelation(column: column, term: try term()))
            } while accept(keyword: "and")
        }
        if current.isKeyword("group") { throw unsupported("GROUP BY") }
        if current.isKeyword("order") { throw unsupported("ORDER BY") }
        if current.isKeyword("per") { throw unsupported("PER PARTITION LIMIT") }
        var limit: CQLTerm?
        if accept(keyword: "limit") { limit = try term() }
        var allowFiltering = false
        if accept(keyword: "allow") {
            try expect(keyword: "filtering")
            allowFiltering = true
        }
        return CQLSelectStatement(
            selection: selection, table: table, relations: relations, tokenRelations: tokenRelations, limit: limit, allowFiltering: allowFiltering)
    }

    /// `token(columns) op token(terms)` or `token(columns) op term`; the current token is `token`.
    mutating func tokenRelation() throws(CQLServerError) -> CQLTokenRelation {
        index += 2
        var columns: [String] = []
        repeat { columns.append(try identifier("a column name")) } while accept(symbol: ",")
        try expect(symbol: ")")
        let opToken = current
        let op: CQLTokenRelation.Operator
        if accept(symbol: ">") {
            op = accept(symbol: "=") ? .greaterOrEqual : .greater
        } else if accept(symbol: "<") {
            op = accept(symbol: "=") ? .lessOrEqual : .less
        } else if accept(symbol: ">=") {
            op = .greaterOrEqual
        } else if accept(symbol: "<=") {
            op = .lessOrEqual
        } else if opToken.isSymbol("=") || opToken.isKeyword("in") {
            throw unsupported("the relation 'token(…) \(opToken.text.uppercased())' (only >, >=, < and <= are)")
        } else {
            throw syntax("expected a comparison after token(…) but found \(opToken.quoted)")
        }
        if current.isKeyword("token"), next.isSymbol("(") {
            index += 2
            var terms: [CQLTerm] = []
            repeat { terms.append(try term()) } while accept(symbol: ",")
            try expect(symbol: ")")
            return CQLTokenRelation(columns: columns, op: op, bound: .tokenOf(terms))
        }
        return CQLTokenRelation(columns: columns, op: op, bound: .token(try term()))
    }

    // MARK: INSERT

    mutating func insert() throws(CQLServerError) -> CQLInsertStatement {
        try expect(keyword: "into")
        let table = try qualifiedName("a table name")
        if current.isKeyword("json") { throw unsupported("INSERT JSON") }
        try expect(symbol: "(")
        var columns: [String] = []
        repeat { columns.append(try identifier("a column name")) } while accept(symbol: ",")
        try expect(symbol: ")")
        try expect(keyword: "values")
        try expect(symbol: "(")
        var values: [CQLTerm] = []
        repeat { values.append(try term()) } while accept(symbol: ",")
        try expect(symbol: ")")
        if current.isKeyword("if") { throw unsupported("INSERT … IF NOT EXISTS (lightweight transactions)") }
        let timestamp = try usingTimestamp()
        if current.isKeyword("if") { throw unsupported("INSERT … IF NOT EXISTS (lightweight transactions)") }
        guard columns.count == values.count else {
            throw CQLServerError(code: .invalid, message: "Unmatched column names/values: \(columns.count) columns but \(values.count) values")
        }
        return CQLInsertStatement(table: table, columns: columns, values: values, timestamp: timestamp)
    }

    /// `USING TIMESTAMP term`, when present. TTL is not supported.
    mutating func usingTimestamp() throws(CQLServerError) -> CQLTerm? {
        guard accept(keyword: "using") else { return nil }
        var timestamp: CQLTerm?
        repeat {
            if current.isKeyword("ttl") { throw unsupported("USING TTL") }
            let keyword = current
            try expect(keyword: "timestamp")
            guard timestamp == nil else {
                throw CQLServerError(code: .invalid, message: "Multiple definitions of TIMESTAMP (line \(keyword.line):\(keyword.column - 1))")
            }
            timestamp = try term()
        } while accept(keyword: "and")
        return timestamp
    }

    // MARK: BATCH

    /// After `BEGIN`: `[UNLOGGED | LOGGED | COUNTER] BATCH [USING TIMESTAMP t] (INSERT … [;])* APPLY BATCH`.
    mutating func batch() throws(CQLServerError) -> CQLBatchStatementText {
        var type = CQLBatchType.logged
        if accept(keyword: "unlogged") {
            type = .unlogged
        } else if accept(keyword: "logged") {
            type = .logged
        } else if accept(keyword: "counter") {
            type = .counter
        }
        try expect(keyword: "batch")
        let timestamp = try usingTimestamp()
        var inserts: [CQLInsertStatement] = []
        while !(current.isKeyword("apply") && next.isKeyword("batch")) {
            let first = current
            guard first.kind == .word else { throw syntax("expected INSERT or APPLY BATCH but found \(first.quoted)") }
            switch first.text.lowercased() {
            case "insert":
                index += 1
                inserts.append(try insert())
            case "update", "delete":
                throw unsupported("\(first.text.uppercased()) in a BATCH")
            default:
                throw syntax("expected INSERT or APPLY BATCH but found \(first.quoted)")
            }
            _ = accept(symbol: ";")
        }
        index += 2
        return CQLBatchStatementText(type: type, timestamp: timestamp, inserts: inserts)
    }

    // MARK: CREATE

    mutating func create() throws(CQLServerError) -> CQLStatement {
        if accept(keyword: "keyspace") || accept(keyword: "schema") {
            let ifNotExists = try ifNotExists()
            let name = try identifier("a keyspace name")
            try expect(keyword: "with")
            var replication: [CQLLiteralPair]?
            var durableWrites: Bool?
            repeat {
                let property = try identifier("a keyspace property")
                try expect(symbol: "=")
                let value = try literal()
                switch (property, value) {
                case ("replication", .map(let pairs)): replication = pairs
                case ("durable_writes", .boolean(let b)): durableWrites = b
                case ("durable_writes", .string(let s)) where ["true", "false"].contains(s.lowercased()): durableWrites = s.lowercased() == "true"
                default:
                    throw CQLServerError(code: .syntaxError, message: "unknown or malformed keyspace property '\(property)'")
                }
            } while accept(keyword: "and")
            guard let replication else {
                throw CQLServerError(code: .configError, message: "Missing mandatory option 'replication' for keyspace \(name)")
            }
            return .createKeyspace(CQLCreateKeyspaceStatement(name: name, ifNotExists: ifNotExists, replication: replication, durableWrites: durableWrites))
        }
        if accept(keyword: "table") || accept(keyword: "columnfamily") {
            return .createTable(try createTable())
        }
        throw unsupported("CREATE \(current.text.uppercased())")
    }

    mutating func ifNotExists() throws(CQLServerError) -> Bool {
        guard accept(keyword: "if") else { return false }
        try expect(keyword: "not")
        try expect(keyword: "exists")
        return true
    }

    mutating func createTable() throws(CQLServerError) -> CQLCreateTableStatement {
        let ifNotExists = try ifNotExists()
        let table = try qualifiedName("a table name")
        try expect(symbol: "(")
        var columns: [CQLCreateTableStatement.Column] = []
        var partitionKey: [String] = []
        var clustering: [String] = []
        repeat {
            if current.isKeyword("primary"), next.isKeyword("key") {
                index += 2
                guard partitionKey.isEmpty else { throw CQLServerError(code: .invalid, message: "Multiple PRIMARY KEYs specified (exactly one required)") }
                try expect(symbol: "(")
                if accept(symbol: "(") {
                    repeat { partitionKey.append(try identifier("a column name")) } while accept(symbol: ",")
                    try expect(symbol: ")")
                } else {
                    partitionKey.append(try identifier("a column name"))
                }
                while accept(symbol: ",") { clustering.append(try identifier("a column name")) }
                try expect(symbol: ")")
                continue
            }
            let name = try identifier("a column name")
            let type = try type()
            if accept(keyword: "static") { throw unsupported("STATIC columns") }
            if current.isKeyword("primary") {
                index += 1
                try expect(keyword: "key")
                guard partitionKey.isEmpty else { throw CQLServerError(code: .invalid, message: "Multiple PRIMARY KEYs specified (exactly one required)") }
                partitionKey = [name]
            }
            columns.append(.init(name: name, type: type))
        } while accept(symbol: ",")
        try expect(symbol: ")")
        if accept(keyword: "with") {
            repeat {
                if accept(keyword: "clustering") {
                    try expect(keyword: "order")
                    try expect(keyword: "by")
                    try expect(symbol: "(")
                    repeat {
                        _ = try identifier("a column name")
                        if !accept(keyword: "asc") { _ = accept(keyword: "desc") }
                    } while accept(symbol: ",")
                    try expect(symbol: ")")
                } else if accept(keyword: "compact") {
                    try expect(keyword: "storage")
                    throw unsupported("COMPACT STORAGE")
                } else {
                    _ = try identifier("a table property")
                    try expect(symbol: "=")
                    _ = try literal()
                }
            } while accept(keyword: "and")
        }
        guard !partitionKey.isEmpty else {
            throw CQLServerError(code: .invalid, message: "No PRIMARY KEY specified for table \(table) (exactly one required)")
        }
        return CQLCreateTableStatement(table: table, ifNotExists: ifNotExists, columns: columns, partitionKey: partitionKey, clustering: clustering)
    }

    static let simpleTypes: [String: CQLType] = [
        "ascii": .ascii, "bigint": .bigint, "blob": .blob, "boolean": .boolean, "counter": .counter,
        "decimal": .decimal, "double": .double, "float": .float, "int": .int, "timestamp": .timestamp,
        "uuid": .uuid, "text": .varchar, "varchar": .varchar, "varint": .varint, "timeuuid": .timeuuid,
        "inet": .inet, "date": .date, "time": .time, "smallint": .smallint, "tinyint": .tinyint, "duration": .duration,
    ]

    mutating func type() throws(CQLServerError) -> CQLType {
        try enter("type")
        defer { depth -= 1 }
        let token = current
        let name = try identifier("a type")
        if let simple = Self.simpleTypes[name] { return simple }
        switch name {
        case "frozen":
            try expect(symbol: "<")
            let inner = try type()
            try expect(symbol: ">")
            return inner
        case "list", "set":
            try expect(symbol: "<")
            let element = try type()
            try expect(symbol: ">")
            return name == "list" ? .list(element) : .set(element)
        case "map":
            try expect(symbol: "<")
            let key = try type()
            try expect(symbol: ",")
            let value = try type()
            try expect(symbol: ">")
            return .map(key: key, value: value)
        case "tuple":
            try expect(symbol: "<")
            var elements: [CQLType] = []
            repeat { elements.append(try type()) } while accept(symbol: ",")
            try expect(symbol: ">")
            return .tuple(elements)
        default:
            throw CQLServerError(code: .invalid, message: "Unknown type \(token.text) (user-defined types are not supported)")
        }
    }

    // MARK: DESCRIBE

    mutating func describe() throws(CQLServerError) -> CQLDescribeStatement {
        let statement: CQLDescribeStatement
        if accept(keyword: "keyspaces") {
            statement = .keyspaces
        } else if accept(keyword: "tables") || accept(keyword: "columnfamilies") {
            statement = .tables
        } else if accept(keyword: "types") {
            statement = .types
        } else if accept(keyword: "functions") {
            statement = .functions
        } else if accept(keyword: "aggregates") {
            statement = .aggregates
        } else if accept(keyword: "cluster") {
            statement = .cluster
        } else if current.isKeyword("full"), next.isKeyword("schema") {
            index += 2
            statement = .schema(full: true)
        } else if accept(keyword: "schema") {
            statement = .schema(full: false)
        } else if current.isKeyword("only"), next.isKeyword("keyspace") {
            index += 2
            statement = .keyspace(current.kind == .end || current.isSymbol(";") ? nil : try identifier("a keyspace name"))
        } else if current.isKeyword("keyspace"), next.kind == .end || next.isSymbol(";") || next.isKeyword("with") {
            index += 1
            statement = .keyspace(nil)
        } else if current.isKeyword("keyspace") {
            index += 1
            statement = .keyspace(try identifier("a keyspace name"))
        } else if accept(keyword: "table") || accept(keyword: "columnfamily") {
            statement = .table(try qualifiedName("a table name"))
        } else if ["type", "function", "aggregate", "index", "materialized"].contains(where: { current.isKeyword($0) }) {
            throw unsupported("DESCRIBE \(current.text.uppercased())")
        } else {
            statement = .name(try qualifiedName("what to describe"))
        }
        if accept(keyword: "with") {
            try expect(keyword: "internals")
        }
        return statement
    }

    // MARK: Terms

    mutating func term() throws(CQLServerError) -> CQLTerm {
        if current.isSymbol("?") {
            guard markers < CQLQueryLimits.maximumBindMarkers else {
                throw CQLServerError(
                    code: .invalid,
                    message:
                        "Too many bind markers (line \(current.line):\(current.column - 1)): a statement may have at most \(CQLQueryLimits.maximumBindMarkers)")
            }
            index += 1
            markers += 1
            return .bindMarker(markers - 1)
        }
        if current.isSymbol(":"), next.kind == .word || next.kind == .quotedName {
            throw unsupported("named bind markers (:name)")
        }
        return .literal(try literal())
    }

    mutating func literal() throws(CQLServerError) -> CQLLiteral {
        let token = current
        switch token.kind {
        case .string:
            index += 1
            return .string(token.text)
        case .integer:
            index += 1
            return .integer(token.text)
        case .float:
            index += 1
            return .float(token.text)
        case .uuid:
            index += 1
            guard let uuid = CQLUUID(token.text) else { throw syntax("invalid UUID \(token.quoted)", at: token) }
            return .uuid(uuid)
        case .hex:
            index += 1
            guard token.text.utf8.count % 2 == 0 else { throw syntax("blob literal 0x\(token.text.prefix(40)) has an odd number of digits", at: token) }
            var bytes: [UInt8] = []
            var utf8 = token.text.utf8.makeIterator()
            while let high = utf8.next(), let low = utf8.next() {
                bytes.append(UInt8(Self.hexValue(high) << 4 | Self.hexValue(low)))
            }
            return .blob(bytes)
        case .word:
            switch token.text.lowercased() {
            case "true":
                index += 1
                return .boolean(true)
            case "false":
                index += 1
                return .boolean(false)
            case "null":
                index += 1
                return .null
            case "nan", "infinity":
                index += 1
                return .float(token.text)
            default:
                throw syntax("expected a value but found \(token.quoted)")
            }
        case .symbol where token.text == "{":
            try enter("collection literal")
            defer { depth -= 1 }
            index += 1
            var pairs: [CQLLiteralPair] = []
            var elements: [CQLLiteral] = []
            if !accept(symbol: "}") {
                repeat {
                    let key = try literal()
                    if accept(symbol: ":") {
                        guard elements.isEmpty else { throw syntax("mixed set and map literal") }
                        pairs.append(CQLLiteralPair(key: key, value: try literal()))
                    } else {
                        guard pairs.isEmpty else { throw syntax("expected ':' in a map literal but found \(current.quoted)") }
                        elements.append(key)
                    }
                } while accept(symbol: ",")
                try expect(symbol: "}")
            }
            return elements.isEmpty ? .map(pairs) : .collection(elements)
        case .symbol where token.text == "[":
            try enter("collection literal")
            defer { depth -= 1 }
            index += 1
            var elements: [CQLLiteral] = []
            if !accept(symbol: "]") {
                repeat { elements.append(try literal()) } while accept(symbol: ",")
                try expect(symbol: "]")
            }
            return .collection(elements)
        case .symbol where token.text == "?":
            throw unsupported("a bind marker here")
        default:
            throw syntax("expected a value but found \(token.quoted)")
        }
    }

    static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        default: Int((c | 0x20) - UInt8(ascii: "a") + 10)
        }
    }
}
