import FreshetCQL
import FreshetCQLServer
import NIOCore
import Testing

/// The attacks found against `freshet up` and the limits that answer them, as function calls
/// on the parser, planner, cache, decoders and connection guard.
@Suite("CQL limits against hostile input")
struct CQLLimitsTests {
    static let catalog = CQLQueryPlannerTests.catalog
    static let session = CQLQueryPlannerTests.session

    static func plan(_ text: String, planner: CQLQueryPlanner = CQLQueryPlanner(catalog: catalog), pageSize: Int32? = nil) -> CQLPlan {
        planner.plan(CQLQueryPlannerTests.query(text, pageSize: pageSize), session: session)
    }

    static func error(_ plan: CQLPlan) -> CQLServerError? { CQLQueryPlannerTests.error(plan) }

    // MARK: Case 1: timestamp literals

    /// Trapped building the range 4..<3 before the fix.
    @Test func aTimestampWithFourFractionalDigitsIsAnsweredNotATrap() {
        let answer = Self.error(Self.plan("SELECT * FROM spark_streams.created_users WHERE ingested_at = '2020-01-01 00:00:00.1234'"))
        // The literal converts; the filter is then refused as Cassandra would refuse it.
        #expect(answer?.code == .invalid && answer?.message.contains("partition key") == true, "\(String(describing: answer))")
    }

    static let timestamps: [(String, Int64?)] = [
        ("2020-01-01", 1_577_836_800_000),
        ("2020-01-01 00:00:00.1234", 1_577_836_800_123),
        ("2020-01-01T00:00:00.123456789Z", 1_577_836_800_123),
        ("2020-01-01T00:00:00.5", 1_577_836_800_500),
        ("2020-01-01T00:00:00.05+0000", 1_577_836_800_050),
        ("2020-01-01 01:00+01:00", 1_577_836_800_000),
        ("2020-01-01T00:00:00-18:00", 1_577_901_600_000),
        ("2024-02-29T12:00:00Z", 1_709_208_000_000),
        ("0000-01-01", -62_167_219_200_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ("2020-01-01T00:00:00.1234567890", nil),  // 10 fractional digits
        ("2020-01-01T00:00:00." + String(repeating: "9", count: 10_000), nil),
        ("2023-02-29", nil),
        ("2020-04-31", nil),
        ("2020-13-01", nil),
        ("2020-00-10", nil),
        ("2020-01-01T24:00", nil),
        ("2020-01-01T23:60", nil),
        ("2020-01-01T23:59:60", nil),
        ("2020-01-01T00:00+19:00", nil),
        ("2020-01-01T00:00+05:60", nil),
        ("2020-01-01T00:00:00.", nil),
        ("99999-01-01", nil),
        ("-2020-01-01", nil),
        ("2020-01-01T00:00:00Zjunk", nil),
        ("", nil),
    ]

    @Test(arguments: timestamps)
    func timestampLiterals(_ text: String, _ expected: Int64?) {
        #expect(CQLLiteralConversion.parseTimestamp(text) == expected, "\(text.prefix(40))")
    }

    @Test func timestampsBeyondInt64AreInvalidNotATrap() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        for literal in ["99999999999999999999", "-99999999999999999999", "'2020-01-01T00:00:00.1234567891'", "1.5e400"] {
            let answer = Self.error(Self.plan("INSERT INTO spark_streams.created_users (id, ingested_at) VALUES ('a', \(literal))", planner: planner))
            #expect(answer?.code == .invalid, "\(literal): \(String(describing: answer))")
        }
        guard case .storage(let operation) = Self.plan("INSERT INTO spark_streams.created_users (id, ingested_at) VALUES ('a', 9223372036854775807)"),
            case .upsert(let writes) = operation.kind
        else {
            Issue.record("Int64.max milliseconds refused")
            return
        }
        #expect(writes.first?.values["ingested_at"] == .timestamp(.max))
    }

    @Test(arguments: [
        "INSERT INTO spark_streams.created_users (id, age) VALUES ('a', 9223372036854775808)",
        "INSERT INTO spark_streams.created_users (id, age) VALUES ('a', -9223372036854775809)",
        "INSERT INTO spark_streams.created_users (id, age) VALUES ('a', " + String(repeating: "9", count: 5_000) + ")",
        "INSERT INTO spark_streams.partition_windows (id, as_of) VALUES ('a', 9223372036854775808)",
        "INSERT INTO spark_streams.stream_positions (id, partition) VALUES ('a', 2147483648)",
        "INSERT INTO spark_streams.created_users (id) VALUES ('a') USING TIMESTAMP 9223372036854775808",
        "INSERT INTO spark_streams.stream_positions (id, partition) VALUES ('a', 1.5)",
        "INSERT INTO spark_streams.created_users (id, age) VALUES (0x, 1)",
        "INSERT INTO spark_streams.created_users (id, first_name) VALUES ('a', 0xabc)",
    ])
    func numbersAndBlobsOutOfRangeAreErrors(_ text: String) {
        let catalog = CQLCatalog(userKeyspaces: [
            CQLKeyspaceDefinition.simpleStrategy(
                CreatedUsersCQLTable.keyspaceName, tables: [CreatedUsersCQLTable.definition] + SinkStateCQLTables.all)
        ])
        let answer = Self.error(Self.plan(text, planner: CQLQueryPlanner(catalog: catalog)))
        #expect(answer?.code == .invalid || answer?.code == .syntaxError, "\(String(describing: answer))")
        #expect((answer?.message.utf8.count ?? 0) < 1000)
    }

    // MARK: Case 2: nesting

    static let nested: [String: String] = [
        "lists": "SELECT * FROM spark_streams.created_users WHERE id = " + String(repeating: "[", count: 10_000),
        "sets": "SELECT * FROM spark_streams.created_users WHERE id = " + String(repeating: "{", count: 10_000),
        "maps": "SELECT * FROM spark_streams.created_users WHERE id = " + String(repeating: "{1: ", count: 5_000),
        "frozen": "CREATE TABLE spark_streams.t (x " + String(repeating: "frozen<", count: 4_000) + "int" + String(repeating: ">", count: 4_000)
            + " PRIMARY KEY)",
        "map types": "CREATE TABLE spark_streams.t (x " + String(repeating: "map<int, ", count: 5_000) + "int PRIMARY KEY)",
        "tuple types": "CREATE TABLE spark_streams.t (x " + String(repeating: "tuple<list<", count: 5_000) + "int PRIMARY KEY)",
        "keyspace options": "CREATE KEYSPACE k WITH replication = " + String(repeating: "{'a': ", count: 10_000),
    ]

    @Test(arguments: nested.keys.sorted())
    func deepNestingIsASyntaxErrorNotAStackOverflow(_ name: String) throws {
        let answer = Self.error(Self.plan(try #require(Self.nested[name])))
        #expect(answer?.code == .syntaxError, "\(String(describing: answer).prefix(300))")
        #expect(answer?.message.contains("nests deeper than 32 levels") == true, "\(String(describing: answer).prefix(300))")
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let limits = CQLQueryLimits(maximumNestingDepth: 3)
        _ = try CQLStatementParser.parse("SELECT * FROM t WHERE a = [[[1]]]", limits: limits)
        _ = try CQLStatementParser.parse("CREATE TABLE t (a frozen<list<int>> PRIMARY KEY)", limits: limits)
        #expect(throws: CQLServerError.self) { try CQLStatementParser.parse("SELECT * FROM t WHERE a = [[[[1]]]]", limits: limits) }
        #expect(throws: CQLServerError.self) { try CQLStatementParser.parse("CREATE TABLE t (a frozen<list<set<int>>> PRIMARY KEY)", limits: limits) }
    }

    @Test func aStatementLongerThanTheLimitIsInvalid() {
        let planner = CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumStatementLength: 100))
        let answer = Self.error(
            Self.plan("SELECT * FROM spark_streams.created_users WHERE id = '" + String(repeating: "x", count: 100) + "'", planner: planner))
        #expect(answer?.code == .invalid && answer?.message.contains("longer than the 100-byte limit") == true, "\(String(describing: answer))")
        #expect(Self.error(planner.plan(.prepare(String(repeating: " ", count: 101)), session: Self.session))?.code == .invalid)
    }

    // MARK: Case 3: bind markers

    static func markers(_ count: Int) -> String {
        "SELECT * FROM spark_streams.created_users WHERE id = ?" + String(repeating: " AND id = ?", count: count - 1)
    }

    /// Trapped in `UInt16(i)` before the fix.
    @Test func preparing65537MarkersIsInvalidNotATrap() {
        // With the default limits the statement is too long...
        let answer = Self.error(CQLQueryPlanner(catalog: Self.catalog).plan(.prepare(Self.markers(65_537)), session: Self.session))
        #expect(answer?.code == .invalid && answer?.message.contains("byte limit") == true, "\(String(describing: answer))")
        // ...and without a length limit the marker count is refused.
        let unlimited = CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumStatementLength: 1 << 24))
        let tooMany = Self.error(unlimited.plan(.prepare(Self.markers(65_537)), session: Self.session))
        #expect(tooMany?.code == .invalid && tooMany?.message.contains("at most 65535") == true, "\(String(describing: tooMany))")
    }

    @Test func theLastMarkerAShortCanCountIsTheRoutingKey() throws {
        let planner = CQLQueryPlanner(
            catalog: Self.catalog, preparedStatements: CQLPreparedStatementCache(maximumBytes: 1 << 30),
            limits: CQLQueryLimits(maximumStatementLength: 1 << 24))
        let prepared = try planner.prepare(Self.markers(65_535), keyspace: nil)
        #expect(prepared.metadata.columns.count == 65_535)
        #expect(prepared.metadata.partitionKeyIndexes == [65_534])
        var encoded = try CQLResponseFrame(streamID: 1, response: .result(.prepared(prepared))).encoded()
        let frame = try #require(try CQLFrameDecoder.decodeFrame(from: &encoded, maximumBodyLength: 1 << 24))
        #expect(try CQLResponseFrame(decoding: frame).response == .result(.prepared(prepared)))
    }

    // MARK: Result size

    @Test func anUnpagedScanIsPagedByTheServerByRowsAndBytes() async throws {
        let storage = CQLQueryPlannerTests.sampleStorage(23)
        func pages(_ planner: CQLQueryPlanner, _ text: String, pageSize: Int32?, rows expected: Int = 23) async throws -> [Int] {
            var state: ByteBuffer?
            var sizes: [Int] = []
            var ids = Set<CQLValue?>()
            repeat {
                guard
                    case .storage(let operation) = planner.plan(CQLQueryPlannerTests.query(text, pageSize: pageSize, pagingState: state), session: Self.session),
                    case .rows(let rows) = try await operation.run(on: storage)
                else { throw CQLServerError(code: .serverError, message: "not rows") }
                sizes.append(rows.rows.count)
                for row in try rows.decodedRows() { ids.insert(row[0]) }
                state = rows.metadata.pagingState
            } while state != nil && sizes.count < 100
            #expect(ids.count == expected)
            return sizes
        }
        let rowsBound = CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumPageRows: 5))
        #expect(try await pages(rowsBound, "SELECT * FROM spark_streams.created_users", pageSize: nil) == [5, 5, 5, 5, 3])
        #expect(try await pages(rowsBound, "SELECT id FROM spark_streams.created_users", pageSize: 1_000_000) == [5, 5, 5, 5, 3])
        #expect(try await pages(rowsBound, "SELECT id FROM spark_streams.created_users", pageSize: 4) == [4, 4, 4, 4, 4, 3])
        // A `SELECT id` row is 4 + 4 bytes ("u001"): 20 bytes hold 2 rows.
        let bytesBound = CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumPageBytes: 20))
        #expect(try await pages(bytesBound, "SELECT id FROM spark_streams.created_users", pageSize: nil) == Array(repeating: 2, count: 11) + [1])
        // A row larger than the page still makes a page of one.
        let tiny = CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumPageBytes: 1))
        #expect(try await pages(tiny, "SELECT * FROM spark_streams.created_users LIMIT 3", pageSize: nil, rows: 3) == [1, 1, 1])
    }

    @Test func collectionColumnsCannotBeFiltered() {
        let answer = Self.error(Self.plan("SELECT * FROM system.local WHERE tokens = {'0'}"))
        #expect(answer?.code == .invalid && answer?.message.contains("Collection column 'tokens'") == true, "\(String(describing: answer))")
        let prepared = Self.error(
            CQLQueryPlanner(catalog: Self.catalog).plan(.prepare("SELECT * FROM system_schema.keyspaces WHERE replication = ?"), session: Self.session))
        #expect(prepared?.code == .invalid)
    }

    // MARK: Prepared statements

    static func entry(_ query: String) throws -> CQLPreparedStatementCache.Entry {
        .init(query: query, keyspace: nil, statement: try CQLStatementParser.parse(query))
    }

    @Test func thePreparedCacheDropsTheLeastRecentlyUsedByBytes() throws {
        let queries = (0..<6).map { "SELECT * FROM spark_streams.created_users WHERE id = '\(String(repeating: "x", count: 200))\($0)'" }
        let cost = try Self.entry(queries[0]).estimatedBytes + 16
        let cache = CQLPreparedStatementCache(maximumBytes: cost * 3 + cost / 2)
        let ids = queries.map { CQLPreparedStatementCache.id(query: $0, keyspace: nil) }
        for i in 0..<3 { try cache.insert(Self.entry(queries[i]), id: ids[i]) }
        #expect(cache.count == 3 && cache.bytes == 3 * cost)
        // Using the oldest makes the second the least recently used.
        #expect(cache.entry(ids[0])?.query == queries[0])
        try cache.insert(Self.entry(queries[3]), id: ids[3])
        #expect(cache.count == 3)
        #expect(cache.entry(ids[1]) == nil)
        #expect(cache.entry(ids[0]) != nil && cache.entry(ids[2]) != nil && cache.entry(ids[3]) != nil)
        #expect(cache.bytes <= cache.maximumBytes)
        // A statement larger than the whole cache is refused, as Cassandra refuses it.
        let huge = "SELECT * FROM t WHERE id = '" + String(repeating: "y", count: cost * 4) + "'"
        let error = #expect(throws: CQLServerError.self) { try cache.insert(Self.entry(huge), id: CQLPreparedStatementCache.id(query: huge, keyspace: nil)) }
        #expect(error?.code == .invalid && error?.message.contains("larger than allowed maximum") == true)
        #expect(cache.count == 3)
    }

    @Test func twentyLargeStatementsStayWithinTheCacheBytes() throws {
        let planner = CQLQueryPlanner(
            catalog: Self.catalog, preparedStatements: CQLPreparedStatementCache(maximumBytes: 256 * 1024),
            limits: CQLQueryLimits(maximumStatementLength: 1 << 20))
        for i in 0..<20 {
            let text = "SELECT * FROM spark_streams.created_users WHERE id = '\(i)\(String(repeating: "z", count: 60_000))'"
            _ = planner.plan(.prepare(text), session: Self.session)
        }
        #expect(planner.preparedStatements.bytes <= 256 * 1024)
        #expect(planner.preparedStatements.count < 20)
        // A 4 MiB statement is larger than the cache: refused, nothing kept.
        let big = "SELECT * FROM spark_streams.created_users WHERE id = '\(String(repeating: "w", count: 4 << 20))'"
        let answer = Self.error(
            CQLQueryPlanner(catalog: Self.catalog, limits: CQLQueryLimits(maximumStatementLength: 8 << 20)).plan(.prepare(big), session: Self.session))
        #expect(answer?.code == .invalid && answer?.message.contains("Prepared statement of size") == true)
    }

    @Test func preparedIDsDependOnKeyspaceAndText() {
        let a = CQLPreparedStatementCache.id(query: "SELECT * FROM t", keyspace: "k")
        #expect(a == CQLPreparedStatementCache.id(query: "SELECT * FROM t", keyspace: "k"))
        #expect(a != CQLPreparedStatementCache.id(query: "SELECT * FROM t", keyspace: nil))
        #expect(a != CQLPreparedStatementCache.id(query: "SELECT * FROM u", keyspace: "k"))
        #expect(a.readableBytes == 16)
    }

    // MARK: Messages quoting long input

    @Test func errorsQuotingLongInputStillEncode() throws {
        let name = String(repeating: "c", count: 100_000)
        let error = CQLServerError(code: .invalid, message: "Undefined column name \(name)")
        var encoded = try CQLResponseFrame(streamID: 1, response: .error(error)).encoded()
        let frame = try #require(try CQLFrameDecoder.decodeFrame(from: &encoded, maximumBodyLength: 1 << 20))
        guard case .error(let decoded) = try CQLResponseFrame(decoding: frame).response else {
            Issue.record("not an error")
            return
        }
        #expect(decoded.message.utf8.count <= 65_535 && decoded.message.hasPrefix("Undefined column name ccc"))
    }
}
