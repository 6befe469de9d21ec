import FreshetCQL
import Testing

@Suite("CQL statement parser")
struct CQLStatementParserTests {
    static let users = CQLQualifiedName(keyspace: "spark_streams", name: "created_users")

    static let accepted: [(String, CQLStatement, Int)] = [
        ("SELECT COUNT(*) FROM spark_streams.created_users;", .select(.init(selection: .count(alias: nil), table: users)), 0),
        ("select count(1) as n from spark_streams.created_users", .select(.init(selection: .count(alias: "n"), table: users)), 0),
        (
            "select * from created_users where id = ? limit 10",
            .select(
                .init(
                    selection: .all, table: .init(keyspace: nil, name: "created_users"), relations: [.init(column: "id", term: .bindMarker(0))],
                    limit: .literal(.integer("10")))), 1
        ),
        (
            "SELECT Id, \"First_Name\" AS fn FROM Spark_Streams.\"created_users\" WHERE id = 'it''s' ALLOW FILTERING",
            .select(
                .init(
                    selection: .columns([.init(name: "id"), .init(name: "First_Name", alias: "fn")]), table: users,
                    relations: [.init(column: "id", term: .literal(.string("it's")))], allowFiltering: true)), 0
        ),
        (
            "SELECT * FROM system.local WHERE key='local'",
            .select(
                .init(selection: .all, table: .init(keyspace: "system", name: "local"), relations: [.init(column: "key", term: .literal(.string("local")))])), 0
        ),
        (
            "SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'",
            .select(
                .init(
                    selection: .all, table: .init(keyspace: "system_schema", name: "tables"),
                    relations: [.init(column: "keyspace_name", term: .literal(.string("ks"))), .init(column: "table_name", term: .literal(.string("t")))])), 0
        ),
        (
            "-- a comment\nSELECT * /* inline */ FROM t // trailing",
            .select(.init(selection: .all, table: .init(keyspace: nil, name: "t"))), 0
        ),
        (
            "INSERT INTO spark_streams.created_users (id, age, nat) VALUES (?, -42, null)",
            .insert(.init(table: users, columns: ["id", "age", "nat"], values: [.bindMarker(0), .literal(.integer("-42")), .literal(.null)])), 1
        ),
        (
            "insert into created_users (id, first_name) values (6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47, ?)",
            .insert(
                .init(
                    table: .init(keyspace: nil, name: "created_users"), columns: ["id", "first_name"],
                    values: [.literal(.uuid(CQLUUID("6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47")!)), .bindMarker(0)])), 1
        ),
        (
            "INSERT INTO spark_streams.created_users (id) VALUES (?) USING TIMESTAMP ?",
            .insert(.init(table: users, columns: ["id"], values: [.bindMarker(0)], timestamp: .bindMarker(1))), 2
        ),
        (
            "insert into created_users (id) values ('a') using timestamp -5;",
            .insert(
                .init(
                    table: .init(keyspace: nil, name: "created_users"), columns: ["id"], values: [.literal(.string("a"))], timestamp: .literal(.integer("-5")))),
            0
        ),
        (
            "BEGIN UNLOGGED BATCH USING TIMESTAMP 7 INSERT INTO t (id) VALUES (?); insert into t (id) values ('b') APPLY BATCH;",
            .batch(
                .init(
                    type: .unlogged, timestamp: .literal(.integer("7")),
                    inserts: [
                        .init(table: .init(keyspace: nil, name: "t"), columns: ["id"], values: [.bindMarker(0)]),
                        .init(table: .init(keyspace: nil, name: "t"), columns: ["id"], values: [.literal(.string("b"))]),
                    ])), 1
        ),
        (
            "BEGIN BATCH INSERT INTO t (id) VALUES (?) USING TIMESTAMP ? APPLY BATCH",
            .batch(
                .init(
                    type: .logged,
                    inserts: [.init(table: .init(keyspace: nil, name: "t"), columns: ["id"], values: [.bindMarker(0)], timestamp: .bindMarker(1))])), 2
        ),
        ("BEGIN BATCH APPLY BATCH", .batch(.init(inserts: [])), 0),
        (
            "SELECT id, WRITETIME(first_name) AS w, writetime(nat) FROM t WHERE token(id) > token(?) AND token(id) <= 9 LIMIT 5",
            .select(
                .init(
                    selection: .columns([.init(name: "id"), .init(name: "first_name", alias: "w", writeTime: true), .init(name: "nat", writeTime: true)]),
                    table: .init(keyspace: nil, name: "t"),
                    tokenRelations: [
                        .init(columns: ["id"], op: .greater, bound: .tokenOf([.bindMarker(0)])),
                        .init(columns: ["id"], op: .lessOrEqual, bound: .token(.literal(.integer("9")))),
                    ], limit: .literal(.integer("5")))), 1
        ),
        ("USE \"spark_streams\"", .use("spark_streams"), 0),
        ("use Spark_Streams;", .use("spark_streams"), 0),
        (
            "CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'};",
            .createKeyspace(
                .init(
                    name: "spark_streams", ifNotExists: true,
                    replication: [
                        .init(key: .string("class"), value: .string("SimpleStrategy")), .init(key: .string("replication_factor"), value: .string("1")),
                    ])), 0
        ),
        (
            "CREATE TABLE IF NOT EXISTS spark_streams.created_users (id UUID PRIMARY KEY, first_name TEXT, tags frozen<set<text>>) WITH comment = 'x'",
            .createTable(
                .init(
                    table: users, ifNotExists: true,
                    columns: [.init(name: "id", type: .uuid), .init(name: "first_name", type: .varchar), .init(name: "tags", type: .set(.varchar))],
                    partitionKey: ["id"])), 0
        ),
        (
            "CREATE TABLE t (a int, b text, c bigint, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)",
            .createTable(
                .init(
                    table: .init(keyspace: nil, name: "t"), ifNotExists: false,
                    columns: [.init(name: "a", type: .int), .init(name: "b", type: .varchar), .init(name: "c", type: .bigint)],
                    partitionKey: ["a", "b"], clustering: ["c"])), 0
        ),
        ("DESCRIBE KEYSPACES", .describe(.keyspaces), 0),
        ("desc tables;", .describe(.tables), 0),
        ("DESCRIBE TABLE spark_streams.created_users", .describe(.table(users)), 0),
        ("DESCRIBE KEYSPACE", .describe(.keyspace(nil)), 0),
        ("DESCRIBE KEYSPACE spark_streams WITH INTERNALS", .describe(.keyspace("spark_streams")), 0),
        ("DESCRIBE FULL SCHEMA", .describe(.schema(full: true)), 0),
        ("DESCRIBE CLUSTER", .describe(.cluster), 0),
        ("DESCRIBE spark_streams", .describe(.name(.init(keyspace: nil, name: "spark_streams"))), 0),
    ]

    @Test(arguments: accepted)
    func accepts(_ text: String, _ expected: CQLStatement, _ markers: Int) throws {
        let parsed = try CQLStatementParser.parse(text)
        #expect(parsed.statement == expected)
        #expect(parsed.bindMarkerCount == markers)
    }

    static let rejected: [(String, CQLErrorCode, String)] = [
        ("", .syntaxError, "expected a statement"),
        ("SELEC * FROM t", .syntaxError, "unknown statement 'SELEC'"),
        ("SELECT * FORM t", .syntaxError, "expected FROM but found 'FORM'"),
        ("SELECT * FROM t WHERE id = 'open", .syntaxError, "unterminated string literal"),
        ("SELECT * FROM t; SELECT", .syntaxError, "after the end of the statement"),
        ("SELECT * FROM t WHERE id = ", .syntaxError, "expected a value but found end of statement"),
        ("SELECT * FROM t WHERE id = 1 #", .syntaxError, "unexpected character '#'"),
        ("SELECT * FROM t /* never closed", .syntaxError, "unterminated comment"),
        ("CREATE TABLE t (a int)", .invalid, "No PRIMARY KEY"),
        ("SELECT * FROM t WHERE id > 3", .invalid, "only equality"),
        ("SELECT * FROM t WHERE id IN ('a', 'b')", .invalid, "only equality"),
        ("SELECT * FROM t WHERE token(id) = 0", .invalid, "only >, >=, < and <= are"),
        ("SELECT * FROM t WHERE token(id) CONTAINS 0", .syntaxError, "expected a comparison after token"),
        ("SELECT ttl(a) FROM t", .invalid, "the function ttl()"),
        ("SELECT writetime(a, b) FROM t", .syntaxError, "expected ')'"),
        ("SELECT * FROM t WHERE id = :id", .invalid, "named bind markers"),
        ("SELECT token(id) FROM t", .invalid, "the function token()"),
        ("SELECT JSON * FROM t", .invalid, "SELECT JSON"),
        ("SELECT DISTINCT id FROM t", .invalid, "SELECT DISTINCT"),
        ("SELECT id, COUNT(*) FROM t", .invalid, "COUNT(*) together with other columns"),
        ("SELECT * FROM t ORDER BY id", .invalid, "ORDER BY"),
        ("UPDATE t SET a = 1 WHERE id = 'x'", .invalid, "UPDATE is not supported"),
        ("DELETE FROM t WHERE id = 'x'", .invalid, "DELETE is not supported"),
        ("DROP TABLE t", .invalid, "DROP is not supported"),
        ("BEGIN BATCH UPDATE t SET a = 1 WHERE id = 'x' APPLY BATCH", .invalid, "UPDATE in a BATCH"),
        ("BEGIN BATCH INSERT INTO t (a) VALUES (1)", .syntaxError, "expected INSERT or APPLY BATCH"),
        ("BEGIN BATCH SELECT * FROM t APPLY BATCH", .syntaxError, "expected INSERT or APPLY BATCH"),
        ("BEGIN COUNTING BATCH APPLY BATCH", .syntaxError, "expected BATCH"),
        ("BEGIN BATCH USING TTL 5 APPLY BATCH", .invalid, "USING TTL"),
        ("APPLY BATCH", .invalid, "APPLY is not supported"),
        ("INSERT INTO t (a) VALUES (1) USING TIMESTAMP 1 AND TIMESTAMP 2", .invalid, "Multiple definitions of TIMESTAMP"),
        ("INSERT INTO t (a) VALUES (1) USING TIMESTAMP", .syntaxError, "expected a value"),
        ("INSERT INTO t (a) VALUES (1) USING TIMESTAMP 1 IF NOT EXISTS", .invalid, "IF NOT EXISTS"),
        ("INSERT INTO t (a, b) VALUES (1)", .invalid, "2 columns but 1 values"),
        ("INSERT INTO t (a) VALUES (1) IF NOT EXISTS", .invalid, "IF NOT EXISTS"),
        ("INSERT INTO t (a) VALUES (1) USING TTL 10", .invalid, "USING TTL"),
        ("CREATE INDEX ON t (a)", .invalid, "CREATE INDEX"),
        ("CREATE TABLE t (a int PRIMARY KEY) WITH COMPACT STORAGE", .invalid, "COMPACT STORAGE"),
        ("CREATE TABLE t (a mytype PRIMARY KEY)", .invalid, "Unknown type mytype"),
        ("DESCRIBE INDEX i", .invalid, "DESCRIBE INDEX"),
    ]

    @Test(arguments: rejected)
    func rejects(_ text: String, _ code: CQLErrorCode, _ message: String) {
        #expect {
            try CQLStatementParser.parse(text)
        } throws: { error in
            guard let error = error as? CQLServerError else { return false }
            return error.code == code && error.message.contains(message)
        }
    }

    @Test func syntaxErrorsSayWhere() throws {
        let error = #expect(throws: CQLServerError.self) { try CQLStatementParser.parse("SELECT *\nFROM t WHERE id == 1") }
        #expect(error?.message.hasPrefix("line 2:") == true, "\(String(describing: error))")
    }

    @Test func longAndHostileInputNeverTraps() {
        for text in [
            String(repeating: "(", count: 10_000), String(repeating: "'", count: 3), "\u{0}", "SELECT " + String(repeating: "a,", count: 5_000) + "a FROM t",
        ] {
            _ = try? CQLStatementParser.parse(text)
        }
    }
}
