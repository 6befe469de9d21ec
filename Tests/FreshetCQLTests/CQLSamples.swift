import NIOCore
import Testing

@testable import FreshetCQL

/// A named sample, so parameterized tests print something readable.
struct CQLSample<T: Sendable>: Sendable, CustomTestStringConvertible {
    let name: String
    let value: T
    var testDescription: String { name }
    init(_ name: String, _ value: T) {
        self.name = name
        self.value = value
    }
}

enum CQLSamples {
    static let id = ByteBuffer(bytes: [0x5F, 0x0D, 0x1A, 0x3C])
    static let users = CQLTableSpec(keyspace: "freshet", table: "created_users")

    static func column(_ name: String, _ type: CQLType, table: String = "created_users") -> CQLColumnSpec {
        CQLColumnSpec(keyspace: "freshet", table: table, name: name, type: type)
    }

    static let requests: [CQLSample<CQLRequestFrame>] = [
        .init("STARTUP", CQLRequestFrame(streamID: 0, request: .startup(options: ["CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"]))),
        .init("AUTH_RESPONSE", CQLRequestFrame(streamID: 1, request: .authResponse(token: ByteBuffer(bytes: [0, 0x61, 0, 0x62])))),
        .init("AUTH_RESPONSE null", CQLRequestFrame(streamID: 1, request: .authResponse(token: nil))),
        .init("OPTIONS", CQLRequestFrame(streamID: 2, request: .options)),
        .init("QUERY plain", CQLRequestFrame(streamID: 3, request: .query("SELECT now() FROM system.local", parameters: .init()))),
        .init(
            "QUERY every flag",
            CQLRequestFrame(
                streamID: 32767, tracing: true, customPayload: ["a": ByteBuffer(bytes: [1]), "n": nil],
                request: .query(
                    "SELECT * FROM t WHERE a = ? AND b = ?",
                    parameters: .init(
                        consistency: .localQuorum, values: .positional([.bytes(ByteBuffer(bytes: [1])), .null, .unset]),
                        skipMetadata: true, pageSize: 100, pagingState: ByteBuffer(bytes: [9, 9]),
                        serialConsistency: .localSerial, defaultTimestamp: 1_700_000_000_000_000)))),
        .init(
            "QUERY named values",
            CQLRequestFrame(
                streamID: 4,
                request: .query(
                    "SELECT * FROM t WHERE a = :a", parameters: .init(values: .named(["a": .bytes(ByteBuffer(bytes: [2]))]))))),
        .init("QUERY empty values", CQLRequestFrame(streamID: 4, request: .query("x", parameters: .init(values: .positional([]))))),
        .init("PREPARE", CQLRequestFrame(streamID: 5, request: .prepare("INSERT INTO t (a) VALUES (?)"))),
        .init(
            "EXECUTE",
            CQLRequestFrame(
                streamID: 6,
                request: .execute(
                    id: id, parameters: .init(consistency: .quorum, values: .positional([.bytes(CQLValue.text("x").serialized())]), pageSize: 5000)))),
        .init(
            "BATCH",
            CQLRequestFrame(
                streamID: 7,
                request: .batch(
                    CQLBatch(
                        type: .counter,
                        statements: [
                            CQLBatchStatement(.query("UPDATE c SET n = n + 1 WHERE k = ?"), values: [.bytes(ByteBuffer(bytes: [1]))]),
                            CQLBatchStatement(.prepared(id: id), values: [.null, .unset]),
                            CQLBatchStatement(.query("UPDATE c SET n = n + 1 WHERE k = 'z'")),
                        ],
                        consistency: .all, serialConsistency: .serial, defaultTimestamp: 42)))),
        .init("BATCH minimal", CQLRequestFrame(streamID: 7, request: .batch(CQLBatch(statements: [])))),
        .init("REGISTER", CQLRequestFrame(streamID: 8, request: .register(events: CQLEventType.all))),
    ]

    static let userColumns = [
        column("id", .text), column("age", .int), column("tags", .list(.text)),
        column("pair", .tuple([.int, .text])),
        column("home", .udt(CQLUserDefinedType(keyspace: "freshet", name: "address", fields: [.init(name: "street", type: .text)]))),
    ]

    static let rows = CQLRows(
        metadata: CQLRowsMetadata(columns: userColumns, pagingState: ByteBuffer(bytes: [0xAA])),
        values: [
            [.text("a"), .int(1), .list([.text("x")]), .tuple([.int(1), nil]), .udt([.text("Main")])],
            [.text("b"), nil, .list([]), nil, .udt([])],
        ])

    static let responses: [CQLSample<CQLResponseFrame>] =
        [
            .init("READY", CQLResponseFrame(streamID: 0, response: .ready)),
            .init("AUTHENTICATE", CQLResponseFrame(streamID: 0, response: .authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator"))),
            .init("SUPPORTED", CQLResponseFrame(streamID: 1, response: .supported(options: ["CQL_VERSION": ["3.4.7"], "COMPRESSION": []]))),
            .init("AUTH_CHALLENGE", CQLResponseFrame(streamID: 2, response: .authChallenge(token: ByteBuffer(bytes: [1, 2])))),
            .init("AUTH_SUCCESS", CQLResponseFrame(streamID: 2, response: .authSuccess(token: nil))),
            .init("RESULT Void", CQLResponseFrame(streamID: 3, response: .result(.void))),
            .init(
                "RESULT Void traced, warned, payload",
                CQLResponseFrame(
                    streamID: 3, tracingID: CQLUUID(high: 1, low: 2), warnings: ["w1", "w2"], customPayload: ["k": nil],
                    response: .result(.void))),
            .init("RESULT Void empty warnings", CQLResponseFrame(streamID: 3, warnings: [], response: .result(.void))),
            .init("RESULT Rows", CQLResponseFrame(streamID: 4, response: .result(.rows(rows)))),
            .init(
                "RESULT Rows per-column spec",
                CQLResponseFrame(
                    streamID: 4,
                    response: .result(
                        .rows(
                            CQLRows(
                                metadata: CQLRowsMetadata(columns: [column("a", .int), column("b", .int, table: "other")]),
                                values: [[.int(1), .int(2)]]))))),
            .init(
                "RESULT Rows no metadata",
                CQLResponseFrame(
                    streamID: 4,
                    response: .result(
                        .rows(
                            CQLRows(
                                metadata: CQLRowsMetadata(noMetadataColumnCount: 2, pagingState: ByteBuffer(bytes: [1])),
                                rows: [[ByteBuffer(bytes: [1]), nil]]))))),
            .init(
                "RESULT Rows global spec, no columns",
                CQLResponseFrame(
                    streamID: 4,
                    response: .result(
                        .rows(
                            CQLRows(
                                metadata: CQLRowsMetadata(columnCount: 0, columns: [], globalTableSpec: users, pagingState: nil), rows: []))))),
            .init("RESULT Set_keyspace", CQLResponseFrame(streamID: 5, response: .result(.setKeyspace("freshet")))),
            .init(
                "RESULT Prepared",
                CQLResponseFrame(
                    streamID: 6,
                    response: .result(
                        .prepared(
                            CQLPrepared(
                                id: id, metadata: CQLPreparedMetadata(columns: [column("id", .text), column("age", .int)], partitionKeyIndexes: [0]),
                                resultMetadata: .empty))))),
            .init(
                "RESULT Prepared select",
                CQLResponseFrame(
                    streamID: 6,
                    response: .result(
                        .prepared(
                            CQLPrepared(
                                id: id,
                                metadata: CQLPreparedMetadata(
                                    columns: [column("k", .text, table: "a"), column("v", .int, table: "b")], partitionKeyIndexes: [1, 0]),
                                resultMetadata: CQLRowsMetadata(columns: userColumns)))))),
            .init(
                "RESULT Schema_change keyspace",
                CQLResponseFrame(streamID: 7, response: .result(.schemaChange(.init(change: .created, target: .keyspace("freshet")))))),
            .init(
                "RESULT Schema_change table",
                CQLResponseFrame(streamID: 7, response: .result(.schemaChange(.init(change: .updated, target: .table(keyspace: "freshet", name: "t")))))),
            .init(
                "RESULT Schema_change type",
                CQLResponseFrame(streamID: 7, response: .result(.schemaChange(.init(change: .dropped, target: .type(keyspace: "freshet", name: "address")))))),
            .init(
                "RESULT Schema_change function",
                CQLResponseFrame(
                    streamID: 7,
                    response: .result(.schemaChange(.init(change: .created, target: .function(keyspace: "k", name: "f", argumentTypes: ["int", "text"])))))),
            .init(
                "RESULT Schema_change aggregate",
                CQLResponseFrame(
                    streamID: 7, response: .result(.schemaChange(.init(change: .created, target: .aggregate(keyspace: "k", name: "a", argumentTypes: [])))))),
            .init(
                "EVENT topology",
                CQLResponseFrame(
                    streamID: -1, response: .event(.topologyChange(change: "NEW_NODE", address: CQLInet(address: CQLInetAddress("10.1.2.3")!, port: 9042))))),
            .init(
                "EVENT status",
                CQLResponseFrame(streamID: -1, response: .event(.statusChange(change: "UP", address: CQLInet(address: CQLInetAddress("::1")!, port: 9042))))),
            .init(
                "EVENT schema",
                CQLResponseFrame(streamID: -1, response: .event(.schemaChange(.init(change: .dropped, target: .table(keyspace: "k", name: "t")))))),
        ] + errors.map { .init("ERROR \($0.name)", CQLResponseFrame(streamID: 9, response: .error($0.value))) }

    /// One error of every code of spec section 9, with its extra body.
    static let errors: [CQLSample<CQLServerError>] = [
        .init("server", CQLServerError(code: .serverError, message: "boom")),
        .init("protocol", CQLServerError(code: .protocolError, message: "bad")),
        .init("authentication", CQLServerError(code: .authenticationError, message: "no")),
        .init("unavailable", .unavailable("down", consistency: .quorum, required: 2, alive: 1)),
        .init("overloaded", CQLServerError(code: .overloaded, message: "busy")),
        .init("is bootstrapping", CQLServerError(code: .isBootstrapping, message: "wait")),
        .init("truncate", CQLServerError(code: .truncateError, message: "t")),
        .init(
            "write timeout",
            CQLServerError(
                code: .writeTimeout, message: "slow",
                details: .writeTimeout(consistency: .localQuorum, received: 1, blockFor: 2, writeType: .batchLog))),
        .init(
            "read timeout",
            CQLServerError(
                code: .readTimeout, message: "slow",
                details: .readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: true))),
        .init(
            "read failure",
            CQLServerError(
                code: .readFailure, message: "fail",
                details: .readFailure(consistency: .all, received: 1, blockFor: 3, failures: 2, dataPresent: false))),
        .init(
            "function failure",
            CQLServerError(
                code: .functionFailure, message: "udf",
                details: .functionFailure(keyspace: "k", function: "f", argumentTypes: ["int"]))),
        .init(
            "write failure",
            CQLServerError(
                code: .writeFailure, message: "fail",
                details: .writeFailure(consistency: .two, received: 0, blockFor: 2, failures: 1, writeType: .simple))),
        .init("syntax", CQLServerError(code: .syntaxError, message: "line 1:0")),
        .init("unauthorized", CQLServerError(code: .unauthorized, message: "no")),
        .init("invalid", CQLServerError(code: .invalid, message: "no")),
        .init("config", CQLServerError(code: .configError, message: "no")),
        .init("already exists", .alreadyExists("exists", keyspace: "freshet", table: "")),
        .init("unprepared", .unprepared("prepare again", id: id)),
        .init("unknown code", CQLServerError(code: CQLErrorCode(rawValue: 0x1700), message: "CAS write unknown (v5)")),
    ]
}
