import NIOCore
import Testing

@testable import FreshetCQL

/// The messages of Golden/, built in Swift from scratch. Each must encode to exactly the
/// captured bytes and be what the captured bytes decode to.
enum CQLGoldenMessages {
    static func text(_ s: String) -> CQLBindValue { .bytes(CQLValue.text(s).serialized()) }
    static let preparedID = ByteBuffer(bytes: CQLWire.bytes(hex: "5f0d1a3c9e2b47c8a1f0e3d2c1b0a998")!)
    static let userID = "8c1b7f52-0d0c-4b5e-9a8f-3b7b1e5f6a01"
    static let insertValues: [CQLBindValue] = [
        text(userID), text("Zoë"), .bytes(CQLValue.int(42).serialized()), .bytes(CQLValue.bigint(1_700_000_000_000).serialized()),
    ]

    static let requests: [String: CQLRequestFrame] = [
        "startup": CQLRequestFrame(
            streamID: 0,
            request: .startup(options: [
                "DRIVER_NAME": "Apache Cassandra Python Driver", "DRIVER_VERSION": "3.30.1", "CQL_VERSION": "3.4.5",
            ])),
        "options": CQLRequestFrame(streamID: 1, request: .options),
        "auth-response": CQLRequestFrame(streamID: 2, request: .authResponse(token: ByteBuffer(string: "\0cassandra\0cassandra"))),
        "query-simple": CQLRequestFrame(streamID: 3, request: .query("USE freshet", parameters: .init(consistency: .one))),
        "query-paged": CQLRequestFrame(
            streamID: 4,
            request: .query(
                "SELECT id, first_name, age FROM freshet.created_users WHERE country = ?",
                parameters: .init(
                    consistency: .localQuorum, values: .positional([text("NZ"), .null, .unset]), pageSize: 100,
                    pagingState: ByteBuffer(bytes: [0x00, 0x10] + Array("paging-state-01".utf8) + [0xF0, 0x7F, 0xFF, 0xFF, 0xFE, 0x00]),
                    serialConsistency: .localSerial, defaultTimestamp: 1_700_000_000_123_456))),
        "query-traced-payload": CQLRequestFrame(
            streamID: 5, tracing: true, customPayload: ["freshet": ByteBuffer(bytes: [1, 2]), "empty": ByteBuffer()],
            request: .query("SELECT * FROM system.local", parameters: .init(consistency: .one))),
        "prepare": CQLRequestFrame(
            streamID: 6,
            request: .prepare(
                "INSERT INTO freshet.created_users (id, first_name, age, ingested_at) VALUES (?, ?, ?, ?)")),
        "execute": CQLRequestFrame(
            streamID: 7,
            request: .execute(
                id: preparedID,
                parameters: .init(consistency: .quorum, values: .positional(insertValues + [.null, .unset]), pageSize: 5000))),
        "batch": CQLRequestFrame(
            streamID: 8,
            request: .batch(
                CQLBatch(
                    type: .unlogged,
                    statements: [
                        CQLBatchStatement(.prepared(id: preparedID), values: insertValues),
                        CQLBatchStatement(
                            .query("UPDATE freshet.user_counts SET count = ? WHERE dimension = ? AND value = ?"),
                            values: [.bytes(CQLValue.bigint(3).serialized()), text("nat"), text("NZ")]),
                        CQLBatchStatement(.query("DELETE FROM freshet.created_users WHERE id = 'x'")),
                    ],
                    consistency: .localQuorum, serialConsistency: .serial, defaultTimestamp: 1_700_000_000_000_001))),
        "register": CQLRequestFrame(streamID: 9, request: .register(events: ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"])),
    ]

    static func users(_ name: String, _ type: CQLType) -> CQLColumnSpec {
        CQLColumnSpec(keyspace: "freshet", table: "created_users", name: name, type: type)
    }

    static let address = CQLUserDefinedType(
        keyspace: "freshet", name: "address", fields: [.init(name: "street", type: .text), .init(name: "number", type: .int)])

    /// Freshet's users table as a Cassandra table, plus collections, tuple, UDT and duration.
    static let userColumns: [CQLColumnSpec] = [
        users("id", .text), users("first_name", .text), users("age", .int), users("ingested_at", .bigint),
        users("registered", .timestamp), users("uid", .uuid), users("active", .boolean), users("score", .double),
        users("dob", .date), users("tags", .list(.text)), users("counts", .map(key: .text, value: .int)),
        users("lucky", .set(.int)), users("pair", .tuple([.int, .text])), users("home", .udt(address)),
        users("span", .custom(CQLType.durationClassName)),
    ]

    static let userRows: [[CQLValue?]] = [
        [
            .text(userID), .text("Zoë"), .int(42), .bigint(1_700_000_000_000), .timestamp(1_700_000_000_123),
            .uuid(CQLUUID("550e8400-e29b-41d4-a716-446655440000")!), .boolean(true), .double(0.5),
            .date(CQLDate(daysSinceEpoch: 4051)), .list([.text("a"), .text("bc")]),
            .map([CQLMapEntry(key: .text("x"), value: .int(1)), CQLMapEntry(key: .text("y"), value: .int(-2))]),
            .set([.int(3), .int(7)]), .tuple([.int(5), .text("five")]), .udt([.text("Main St"), .int(12)]),
            .duration(CQLDuration(months: 1, days: -2, nanoseconds: 3_000_000_001)),
        ],
        [
            .text("00000000-0000-0000-0000-000000000000"), .text(""), .int(-1), .bigint(-9_000_000_000), nil, nil,
            .boolean(false), .double(-1.25), .date(CQLDate(daysSinceEpoch: -1)), .list([]), .map([]), nil,
            .tuple([nil, .text("x")]), nil, nil,
        ],
    ]

    static func error(_ code: CQLErrorCode, _ message: String, _ details: CQLServerError.Details = .none) -> CQLResponseFrame {
        CQLResponseFrame(streamID: 10, response: .error(CQLServerError(code: code, message: message, details: details)))
    }

    static let bySomething = CQLTableSpec(keyspace: "freshet", table: "by_country")

    static let responses: [String: CQLResponseFrame] = [
        "ready": CQLResponseFrame(streamID: 0, response: .ready),
        "authenticate": CQLResponseFrame(streamID: 0, response: .authenticate(authenticator: "org.apache.cassandra.auth.PasswordAuthenticator")),
        "supported": CQLResponseFrame(
            streamID: 1,
            response: .supported(options: [
                "CQL_VERSION": ["3.4.7"], "COMPRESSION": ["snappy", "lz4"], "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5"],
            ])),
        "auth-challenge": CQLResponseFrame(streamID: 2, response: .authChallenge(token: ByteBuffer(bytes: [1] + Array("challenge".utf8)))),
        "auth-success": CQLResponseFrame(streamID: 2, response: .authSuccess(token: nil)),
        "result-void": CQLResponseFrame(streamID: 3, response: .result(.void)),
        "result-set-keyspace": CQLResponseFrame(streamID: 3, response: .result(.setKeyspace("freshet"))),
        "result-rows": CQLResponseFrame(
            streamID: 4,
            response: .result(
                .rows(
                    CQLRows(
                        metadata: CQLRowsMetadata(columns: userColumns, pagingState: ByteBuffer(bytes: [0, 4] + Array("page".utf8) + [0xFF])),
                        values: userRows)))),
        "result-rows-per-column-spec": CQLResponseFrame(
            streamID: 5,
            response: .result(
                .rows(
                    CQLRows(
                        metadata: CQLRowsMetadata(columns: [
                            CQLColumnSpec(keyspace: "system", table: "local", name: "key", type: .text),
                            CQLColumnSpec(keyspace: "system_schema", table: "tables", name: "table_name", type: .text),
                            CQLColumnSpec(keyspace: "system", table: "local", name: "tokens", type: .set(.text)),
                        ]),
                        values: [[.text("local"), .text("created_users"), .set([.text("-3074457345618258603")])]])))),
        "result-rows-no-metadata": CQLResponseFrame(
            streamID: 6,
            response: .result(
                .rows(
                    CQLRows(
                        metadata: CQLRowsMetadata(noMetadataColumnCount: 2), values: [[.text("a"), .int(1)], [.text("b"), nil]])))),
        "result-rows-empty": CQLResponseFrame(
            streamID: 6,
            response: .result(
                .rows(
                    CQLRows(
                        metadata: CQLRowsMetadata(columns: [users("id", .text), users("age", .int)]), rows: [])))),
        "result-prepared-insert": CQLResponseFrame(
            streamID: 7,
            response: .result(
                .prepared(
                    CQLPrepared(
                        id: preparedID,
                        metadata: CQLPreparedMetadata(
                            columns: [users("id", .text), users("first_name", .text), users("age", .int), users("ingested_at", .bigint)],
                            partitionKeyIndexes: [0]),
                        resultMetadata: .empty)))),
        "result-prepared-select": CQLResponseFrame(
            streamID: 8,
            response: .result(
                .prepared(
                    CQLPrepared(
                        id: ByteBuffer(bytes: [0xCA, 0xFE, 0xBA, 0xBE]),
                        metadata: CQLPreparedMetadata(
                            columns: [
                                CQLColumnSpec(keyspace: "freshet", table: "by_country", name: "year", type: .text),
                                CQLColumnSpec(keyspace: "freshet", table: "by_country", name: "country", type: .text),
                            ],
                            globalTableSpec: nil, partitionKeyIndexes: [1, 0]),
                        resultMetadata: CQLRowsMetadata(columns: [
                            CQLColumnSpec(keyspace: "freshet", table: "by_country", name: "id", type: .text),
                            CQLColumnSpec(keyspace: "freshet", table: "by_country", name: "age", type: .int),
                        ]))))),
        "result-schema-change-table": CQLResponseFrame(
            streamID: 9,
            response: .result(
                .schemaChange(
                    CQLSchemaChange(change: .created, target: .table(keyspace: "freshet", name: "created_users"))))),
        "result-schema-change-function": CQLResponseFrame(
            streamID: 9,
            response: .result(
                .schemaChange(
                    CQLSchemaChange(change: .dropped, target: .function(keyspace: "freshet", name: "initials", argumentTypes: ["text", "text"]))))),
        "event-topology": CQLResponseFrame(
            streamID: -1,
            response: .event(
                .topologyChange(
                    change: "NEW_NODE", address: CQLInet(address: CQLInetAddress("10.0.0.7")!, port: 9042)))),
        "event-status": CQLResponseFrame(
            streamID: -1,
            response: .event(
                .statusChange(
                    change: "DOWN", address: CQLInet(address: CQLInetAddress("fe80::1:2")!, port: 9042)))),
        "event-schema-keyspace": CQLResponseFrame(
            streamID: -1,
            response: .event(
                .schemaChange(
                    CQLSchemaChange(change: .updated, target: .keyspace("freshet"))))),
        "result-void-traced-warnings-payload": CQLResponseFrame(
            streamID: 11, tracingID: CQLUUID("11111111-2222-3333-4444-555555555555"),
            warnings: ["Aggregation query used without partition key"], customPayload: ["k": ByteBuffer(string: "v")],
            response: .result(.void)),
        "error-server": error(.serverError, "java.lang.NullPointerException"),
        "error-protocol": error(.protocolError, "Unknown opcode 4"),
        "error-authentication": error(.authenticationError, "Provided username cassandra and/or password are incorrect"),
        "error-unavailable": error(.unavailable, "Cannot achieve consistency level QUORUM", .unavailable(consistency: .quorum, required: 2, alive: 1)),
        "error-overloaded": error(.overloaded, "Server is in overloaded state"),
        "error-is-bootstrapping": error(.isBootstrapping, "Cannot read from a bootstrapping node"),
        "error-truncate": error(.truncateError, "Error during truncate"),
        "error-write-timeout": error(
            .writeTimeout, "Operation timed out - received only 1 responses.",
            .writeTimeout(consistency: .localQuorum, received: 1, blockFor: 2, writeType: .batchLog)),
        "error-read-timeout": error(
            .readTimeout, "Operation timed out - received only 0 responses.",
            .readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: false)),
        "error-read-failure": error(
            .readFailure, "Operation failed - received 1 responses and 2 failures",
            .readFailure(consistency: .all, received: 1, blockFor: 3, failures: 2, dataPresent: true)),
        "error-function-failure": error(
            .functionFailure, "execution of 'freshet.initials[text, text]' failed",
            .functionFailure(keyspace: "freshet", function: "initials", argumentTypes: ["text", "text"])),
        "error-write-failure": error(
            .writeFailure, "Operation failed - received 0 responses and 1 failures",
            .writeFailure(consistency: .eachQuorum, received: 0, blockFor: 2, failures: 1, writeType: .simple)),
        "error-syntax": error(.syntaxError, "line 1:0 no viable alternative at input 'SELEC'"),
        "error-unauthorized": error(.unauthorized, "User bob has no SELECT permission on <table freshet.created_users>"),
        "error-invalid": error(.invalid, "Undefined column name nope"),
        "error-config": error(.configError, "Cannot add already existing column family"),
        "error-already-exists": error(
            .alreadyExists, "Cannot add already existing table \"created_users\" to keyspace \"freshet\"",
            .alreadyExists(keyspace: "freshet", table: "created_users")),
        "error-unprepared": error(.unprepared, "Prepared query with ID 5f0d1a3c not found", .unprepared(id: preparedID)),
    ]
}

@Suite("Golden frames from the Python cassandra-driver")
struct CQLGoldenTests {
    @Test("the capture covers every request, every response and every error code")
    func coverage() {
        let requests = Set(CQLGoldenFrame.requests.map(\.name))
        for name in CQLGoldenMessages.requests.keys { #expect(requests.contains(name), "missing requests/\(name).hex") }
        let responses = Set(CQLGoldenFrame.responses.map(\.name))
        for name in CQLGoldenMessages.responses.keys { #expect(responses.contains(name), "missing responses/\(name).hex") }
        #expect(CQLGoldenFrame.requests.count == CQLGoldenMessages.requests.count + 4)  // + the four OPTIONS at v3/v5/v65/v66
        #expect(CQLGoldenFrame.responses.count == CQLGoldenMessages.responses.count + 4)  // + the four version answers
        #expect(CQLGoldenMessages.responses.keys.filter { $0.hasPrefix("error-") }.count == CQLErrorCode.allKnown.count)
    }

    @Test(
        "driver-encoded requests: decode to the Swift-built message, and Swift encodes the same bytes",
        arguments: CQLGoldenFrame.v4Requests)
    func request(_ golden: CQLGoldenFrame) throws {
        let expected = try #require(CQLGoldenMessages.requests[golden.name], "no Swift message for \(golden.name)")
        let decoded = try golden.requestFrame()
        #expect(decoded == expected)
        #expect(CQLWire.bytes(try expected.encoded()) == (try golden.bytes()))
        #expect(CQLWire.bytes(try decoded.encoded()) == (try golden.bytes()))
    }

    @Test(
        "server frames the driver decodes: Swift decodes them to the Swift-built message and encodes the same bytes",
        arguments: CQLGoldenFrame.responses.filter { !$0.name.hasPrefix("error-unsupported-version") })
    func response(_ golden: CQLGoldenFrame) throws {
        let expected = try #require(CQLGoldenMessages.responses[golden.name], "no Swift message for \(golden.name)")
        let decoded = try golden.responseFrame()
        #expect(decoded == expected)
        #expect(CQLWire.bytes(try expected.encoded()) == (try golden.bytes()))
    }

    @Test("STARTUP keeps the driver's option order; CQL_VERSION is there")
    func startup() throws {
        guard case .startup(let options) = try CQLGoldenFrame.request("startup").requestFrame().request else {
            Issue.record("not a STARTUP")
            return
        }
        #expect(options.keys == ["DRIVER_NAME", "DRIVER_VERSION", "CQL_VERSION"])
        #expect(options["CQL_VERSION"] == "3.4.5")
    }

    @Test("the driver's EXECUTE values decode to Freshet's columns")
    func executeValues() throws {
        guard case .execute(let id, let parameters) = try CQLGoldenFrame.request("execute").requestFrame().request,
            case .positional(let values) = parameters.values
        else {
            Issue.record("not an EXECUTE with positional values")
            return
        }
        #expect(id == CQLGoldenMessages.preparedID)
        let types: [CQLType] = [.text, .text, .int, .bigint]
        let decoded = try zip(values, types).map { try CQLValue.decode($0.buffer, as: $1) }
        #expect(decoded == [.text(CQLGoldenMessages.userID), .text("Zoë"), .int(42), .bigint(1_700_000_000_000)])
        #expect(values[4] == .null)
        #expect(values[5] == .unset)
        #expect(!parameters.skipMetadata)
        #expect(parameters.pageSize == 5000)
        #expect(parameters.flags == 0x05)
    }

    @Test("the rows the driver parsed decode to the same typed values in Swift")
    func rows() throws {
        guard case .result(.rows(let rows)) = try CQLGoldenFrame.response("result-rows").responseFrame().response else {
            Issue.record("not a Rows result")
            return
        }
        #expect(rows.metadata.globalTableSpec == CQLTableSpec(keyspace: "freshet", table: "created_users"))
        #expect(rows.metadata.columns?.map(\.name).first == "id")
        #expect(try rows.decodedRows() == CQLGoldenMessages.userRows)
    }

    @Test("no-metadata rows decode with the prepared statement's result metadata")
    func noMetadataRows() throws {
        guard case .result(.rows(let rows)) = try CQLGoldenFrame.response("result-rows-no-metadata").responseFrame().response else {
            Issue.record("not a Rows result")
            return
        }
        #expect(rows.metadata.columns == nil)
        let columns = [CQLGoldenMessages.users("id", .text), CQLGoldenMessages.users("age", .int)]
        #expect(try rows.decodedRows(columns: columns) == [[.text("a"), .int(1)], [.text("b"), nil]])
    }

    @Test("errors decode to typed Swift errors with their extra fields")
    func typedErrors() throws {
        guard case .error(let error) = try CQLGoldenFrame.response("error-write-timeout").responseFrame().response else {
            Issue.record("not an ERROR")
            return
        }
        #expect(error.code == .writeTimeout)
        guard case .writeTimeout(let cl, let received, let blockFor, let writeType) = error.details else {
            Issue.record("details \(error.details)")
            return
        }
        #expect((cl, received, blockFor, writeType) == (.localQuorum, 1, 2, .batchLog))
        #expect("\(error)".contains("WRITE_TIMEOUT"))
        // It is a Swift error to throw.
        #expect(throws: CQLServerError.self) { throw error }
    }
}
