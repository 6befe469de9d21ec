import FreshetCQL
import FreshetCQLServer
import NIOCore
import Synchronization
import Testing

/// Rows in memory, in key order.
final class MemoryTableStorage: CQLTableStorage {
    let rowsByKey: Mutex<[String: [CQLValue?]]>
    let width: Int

    init(rows: [[CQLValue?]]) {
        width = rows.first?.count ?? 1
        rowsByKey = Mutex(
            Dictionary(
                uniqueKeysWithValues: rows.map { row -> (String, [CQLValue?]) in
                    guard case .text(let id)? = row[0] else { fatalError("key must be text") }
                    return (id, row)
                }))
    }

    func count() async throws -> Int64 { Int64(rowsByKey.withLock { $0.count }) }

    func row(key: CQLValue) async throws -> [CQLValue?]? {
        guard case .text(let id) = key else { return nil }
        return rowsByKey.withLock { $0[id] }
    }

    func rows(limit: Int, after key: CQLValue?) async throws -> [[CQLValue?]] {
        var after = ""
        if case .text(let id)? = key { after = id }
        return rowsByKey.withLock { rows in
            Array(rows.keys.filter { $0 > after }.sorted().prefix(limit).map { rows[$0]! })
        }
    }

    func upsert(_ writes: [CQLRowWrite]) async throws {
        let table = CreatedUsersCQLTable.definition
        rowsByKey.withLock { rows in
            for write in writes {
                guard case .text(let id) = write.key else { continue }
                var row = rows[id] ?? [CQLValue?](repeating: nil, count: table.columns.count)
                for (name, value) in write.values { row[table.columnIndex(name)!] = value }
                rows[id] = row
            }
        }
    }
}

@Suite("CQL query planner")
struct CQLQueryPlannerTests {
    static let catalog = CQLCatalog(userKeyspaces: [CreatedUsersCQLTable.keyspace])
    static let addresses = CQLSystemSchema.Addresses(address: CQLInetAddress("127.0.0.1")!, nativePort: 9042)
    static let session = CQLSessionState(addresses: addresses)

    static func query(
        _ text: String, _ values: [CQLValue?]? = nil, pageSize: Int32? = nil, pagingState: ByteBuffer? = nil, skipMetadata: Bool = false
    ) -> CQLRequest {
        .query(
            text,
            parameters: .init(
                values: values.map { .positional($0.map(CQLBindValue.init)) }, skipMetadata: skipMetadata, pageSize: pageSize, pagingState: pagingState))
    }

    static func rows(_ plan: CQLPlan) throws -> CQLRows {
        guard case .result(.rows(let rows)) = plan else { throw PlanMismatch(plan: plan) }
        return rows
    }

    static func error(_ plan: CQLPlan) -> CQLServerError? {
        if case .error(let error) = plan { return error }
        return nil
    }

    struct PlanMismatch: Error { var plan: CQLPlan }

    /// Sample users: id "u000"..."u0NN".
    static func sampleStorage(_ count: Int) -> MemoryTableStorage {
        MemoryTableStorage(
            rows: (0..<count).map { i in
                let id = "u" + String(String(i + 1000).dropFirst())
                var row: [CQLValue?] = CreatedUsersCQLTable.definition.columns.map { _ in .text("x") }
                row[0] = .text(id)
                row[CreatedUsersCQLTable.definition.columnIndex("age")!] = .bigint(Int64(i))
                row[CreatedUsersCQLTable.definition.columnIndex("ingested_at")!] = .timestamp(Int64(i))
                row[CreatedUsersCQLTable.definition.columnIndex("nat")!] = nil
                return row
            })
    }

    @Test func systemLocalDescribesTheNode() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        let rows = try Self.rows(planner.plan(Self.query("SELECT * FROM system.local WHERE key='local'"), session: Self.session))
        let columns = try #require(rows.metadata.columns).map(\.name)
        let values = try rows.decodedRows()
        #expect(values.count == 1)
        let row = Dictionary(uniqueKeysWithValues: zip(columns, values[0]))
        #expect(row["partitioner"] == .text("org.apache.cassandra.dht.Murmur3Partitioner"))
        #expect(row["release_version"] == .text("4.1.5"))
        #expect(row["tokens"] == .set([.text("0")]))
        #expect(row["rpc_address"] == .inet(CQLInetAddress("127.0.0.1")!))
        #expect(row["native_protocol_version"] == .text("4"))
        #expect(row["schema_version"] == .uuid(Self.catalog.schemaVersion))
        #expect(row["data_center"] == .text("datacenter1"))

        let none = try Self.rows(planner.plan(Self.query("SELECT * FROM system.local WHERE key='other'"), session: Self.session))
        #expect(none.rows.isEmpty)
    }

    @Test func peersAreEmptyWithTheirColumns() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        for table in ["system.peers", "system.peers_v2"] {
            let rows = try Self.rows(planner.plan(Self.query("SELECT * FROM \(table)"), session: Self.session))
            #expect(rows.rows.isEmpty)
            #expect(rows.metadata.columns?.map(\.name).contains("tokens") == true)
        }
    }

    /// Every computed row has exactly one value per column, and every table parses.
    @Test func everySystemTableAnswers() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        for keyspace in Self.catalog.keyspaces where keyspace.isSystem {
            for table in keyspace.tables {
                let rows = try Self.rows(planner.plan(Self.query("SELECT * FROM \(keyspace.name).\(table.name)"), session: Self.session))
                #expect(rows.metadata.columnCount == table.columns.count)
                _ = try rows.decodedRows()
                var encoded = try CQLResponseFrame(streamID: 1, response: .result(.rows(rows))).encoded()
                #expect(
                    try CQLResponseFrame(decoding: #require(try CQLFrameDecoder.decodeFrame(from: &encoded, maximumBodyLength: 1 << 24))).response
                        == .result(.rows(rows)))
            }
        }
    }

    @Test func schemaTablesDescribeCreatedUsers() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        let tables = try Self.rows(
            planner.plan(
                Self.query("SELECT table_name, flags FROM system_schema.tables WHERE keyspace_name = 'spark_streams' AND table_name = 'created_users'"),
                session: Self.session))
        #expect(try tables.decodedRows() == [[.text("created_users"), .set([.text("compound")])]])
        let columns = try Self.rows(
            planner.plan(
                Self.query("SELECT column_name, kind, type FROM system_schema.columns WHERE keyspace_name = 'spark_streams'"), session: Self.session))
        let decoded = try columns.decodedRows()
        #expect(decoded.count == 20)
        #expect(decoded.contains([.text("id"), .text("partition_key"), .text("text")]))
        #expect(decoded.contains([.text("age"), .text("regular"), .text("bigint")]))
        #expect(decoded.contains([.text("ingested_at"), .text("regular"), .text("timestamp")]))
        let keyspaces = try Self.rows(
            planner.plan(Self.query("SELECT * FROM system_schema.keyspaces WHERE keyspace_name = 'spark_streams'"), session: Self.session))
        #expect(
            try keyspaces.decodedRows().first?[2]
                == .map([
                    CQLMapEntry(key: .text("class"), value: .text("org.apache.cassandra.locator.SimpleStrategy")),
                    CQLMapEntry(key: .text("replication_factor"), value: .text("1")),
                ]))
    }

    @Test func useAndUnqualifiedNames() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        #expect(planner.plan(Self.query("USE spark_streams"), session: Self.session) == .result(.setKeyspace("spark_streams")))
        #expect(Self.error(planner.plan(Self.query("USE nowhere"), session: Self.session))?.code == .invalid)
        let noKeyspace = Self.error(planner.plan(Self.query("SELECT * FROM created_users"), session: Self.session))
        #expect(noKeyspace?.code == .invalid && noKeyspace?.message.contains("No keyspace has been specified") == true)
        var session = Self.session
        session.keyspace = "spark_streams"
        guard case .storage(let operation) = planner.plan(Self.query("SELECT COUNT(*) FROM created_users"), session: session) else {
            Issue.record("expected a storage operation")
            return
        }
        #expect(operation.kind == .count(key: nil))
        #expect(Self.error(planner.plan(Self.query("SELECT * FROM spark_streams.nope"), session: Self.session))?.message == "table nope does not exist")
        #expect(Self.error(planner.plan(Self.query("SELECT nope FROM spark_streams.created_users"), session: Self.session))?.code == .invalid)
    }

    @Test func prepareExecuteAndUnknownIDs() async throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        guard case .result(.prepared(let prepared)) = planner.plan(.prepare("SELECT * FROM spark_streams.created_users WHERE id = ?"), session: Self.session)
        else {
            Issue.record("PREPARE did not answer Prepared")
            return
        }
        #expect(prepared.metadata.partitionKeyIndexes == [0])
        #expect(prepared.metadata.columns.map(\.type) == [.varchar])
        #expect(prepared.resultMetadata.columns?.first?.name == "id")
        #expect(prepared.resultMetadata.columnCount == 20)
        #expect(planner.preparedStatements.count == 1)

        let storage = Self.sampleStorage(10)
        let execute = CQLRequest.execute(id: prepared.id, parameters: .init(values: .positional([CQLBindValue(.text("u003"))]), skipMetadata: true))
        guard case .storage(let operation) = planner.plan(execute, session: Self.session) else {
            Issue.record("EXECUTE did not plan a read")
            return
        }
        guard case .rows(let rows) = try await operation.run(on: storage) else {
            Issue.record("no rows")
            return
        }
        #expect(rows.metadata.columns == nil)
        #expect(rows.rows.count == 1)
        #expect(try rows.decodedRows(columns: prepared.resultMetadata.columns).first?.first == .text("u003"))

        let unknown = ByteBuffer(bytes: [1, 2, 3, 4])
        let error = Self.error(planner.plan(.execute(id: unknown, parameters: .init()), session: Self.session))
        #expect(error?.code == .unprepared)
        #expect(error?.details == .unprepared(id: unknown))
        let batch = CQLBatch(statements: [CQLBatchStatement(.prepared(id: unknown))])
        #expect(Self.error(planner.plan(.batch(batch), session: Self.session))?.code == .unprepared)

        let wrongCount = CQLRequest.execute(id: prepared.id, parameters: .init(values: .positional([])))
        #expect(Self.error(planner.plan(wrongCount, session: Self.session))?.message == "There were 1 markers(?) in CQL but 0 bound variables")
    }

    @Test func pagingReturnsEveryRowOnceAndHonoursLimit() async throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        let storage = Self.sampleStorage(23)
        func all(_ text: String, pageSize: Int32) async throws -> (ids: [CQLValue?], pages: Int) {
            var ids: [CQLValue?] = []
            var state: ByteBuffer?
            var pages = 0
            repeat {
                guard case .storage(let operation) = planner.plan(Self.query(text, pageSize: pageSize, pagingState: state), session: Self.session),
                    case .rows(let rows) = try await operation.run(on: storage)
                else { throw CQLServerError(code: .serverError, message: "not rows") }
                ids += try rows.decodedRows().map { $0[0] }
                state = rows.metadata.pagingState
                pages += 1
            } while state != nil
            return (ids, pages)
        }
        let everything = try await all("SELECT id FROM spark_streams.created_users", pageSize: 5)
        #expect(everything.ids.count == 23 && Set(everything.ids).count == 23)
        #expect(everything.pages == 5)
        let limited = try await all("SELECT id FROM spark_streams.created_users LIMIT 12", pageSize: 5)
        #expect(limited.ids.count == 12 && limited.pages == 3, "\(limited)")
        let exact = try await all("SELECT id FROM spark_streams.created_users", pageSize: 23)
        #expect(exact.ids.count == 23 && exact.pages == 1)

        let bad = planner.plan(
            Self.query("SELECT id FROM spark_streams.created_users", pageSize: 5, pagingState: ByteBuffer(bytes: [9, 9])), session: Self.session)
        #expect(Self.error(bad)?.code == .protocolError)
    }

    @Test func insertsBindValuesAndRefuseWhatTheStoreCannotHold() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        let plan = planner.plan(
            Self.query("INSERT INTO spark_streams.created_users (id, age, ingested_at) VALUES (?, 42, '2024-01-02T03:04:05.678Z')", [.text("a")]),
            session: Self.session)
        guard case .storage(let operation) = plan, case .upsert(let writes) = operation.kind else {
            Issue.record("expected an upsert, got \(plan)")
            return
        }
        #expect(writes == [CQLRowWrite(key: .text("a"), values: ["id": .text("a"), "age": .bigint(42), "ingested_at": .timestamp(1_704_164_645_678)])])

        let missingKey = planner.plan(Self.query("INSERT INTO spark_streams.created_users (first_name) VALUES ('x')"), session: Self.session)
        #expect(Self.error(missingKey)?.message == "Some partition key parts are missing: id")
        let wrongType = planner.plan(Self.query("INSERT INTO spark_streams.created_users (id, age) VALUES ('a', 'old')"), session: Self.session)
        #expect(Self.error(wrongType)?.code == .invalid)
        let system = planner.plan(Self.query("INSERT INTO system.local (key) VALUES ('x')"), session: Self.session)
        #expect(Self.error(system)?.code == .unauthorized)
        let uuidLiteral = planner.plan(
            Self.query("INSERT INTO spark_streams.created_users (id) VALUES (6AB09BEC-E68E-48D9-A5F8-97E6FB4C9B47)"), session: Self.session)
        guard case .storage(let op) = uuidLiteral, case .upsert(let w) = op.kind else {
            Issue.record("an unquoted UUID id was refused: \(uuidLiteral)")
            return
        }
        #expect(w.first?.key == .text("6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47"))
    }

    @Test func createStatementsMatchTheFixedSchema() {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        func plan(_ text: String) -> CQLPlan { planner.plan(Self.query(text), session: Self.session) }
        #expect(plan("CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}") == .result(.void))
        #expect(
            Self.error(plan("CREATE KEYSPACE spark_streams WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}"))?.details
                == .alreadyExists(keyspace: "spark_streams", table: ""))
        #expect(Self.error(plan("CREATE KEYSPACE other WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}"))?.code == .invalid)
        // The seeds' DDL: a subset of the columns, id as uuid.
        let seeds = """
            CREATE TABLE IF NOT EXISTS spark_streams.created_users (
                id UUID PRIMARY KEY, first_name TEXT, last_name TEXT, gender TEXT, address TEXT, post_code TEXT,
                email TEXT, username TEXT, registered_date TEXT, phone TEXT, picture TEXT);
            """
        #expect(plan(seeds) == .result(.void))
        #expect(
            Self.error(plan("CREATE TABLE spark_streams.created_users (id text PRIMARY KEY)"))?.details
                == .alreadyExists(keyspace: "spark_streams", table: "created_users"))
        let wrongType = Self.error(plan("CREATE TABLE IF NOT EXISTS spark_streams.created_users (id text PRIMARY KEY, age text)"))
        #expect(wrongType?.code == .invalid && wrongType?.message.contains("column age is bigint, not text") == true)
        #expect(Self.error(plan("CREATE TABLE IF NOT EXISTS spark_streams.created_users (id text, email text, PRIMARY KEY (email))"))?.code == .invalid)
        #expect(Self.error(plan("CREATE TABLE IF NOT EXISTS spark_streams.created_users (id text PRIMARY KEY, shoe_size int)"))?.code == .invalid)
        #expect(Self.error(plan("CREATE TABLE IF NOT EXISTS spark_streams.other (id text PRIMARY KEY)"))?.code == .invalid)
    }

    @Test func describeListsAndCreateStatements() throws {
        let planner = CQLQueryPlanner(catalog: Self.catalog)
        let keyspaces = try Self.rows(planner.plan(Self.query("DESCRIBE KEYSPACES"), session: Self.session)).decodedRows()
        #expect(keyspaces.map { $0[2] }.contains(.text("spark_streams")))
        let table = try Self.rows(planner.plan(Self.query("DESCRIBE TABLE spark_streams.created_users"), session: Self.session)).decodedRows()
        guard case .text(let statement)? = table.first?[3] else {
            Issue.record("no create_statement")
            return
        }
        #expect(statement.hasPrefix("CREATE TABLE spark_streams.created_users (\n    id text PRIMARY KEY,\n    address text,"))
        let keyspace = try Self.rows(planner.plan(Self.query("DESCRIBE KEYSPACE spark_streams"), session: Self.session)).decodedRows()
        #expect(
            keyspace.first?[3]
                == .text(
                    "CREATE KEYSPACE spark_streams WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;"
                ))
        #expect(Self.error(planner.plan(Self.query("DESCRIBE TABLE spark_streams.nope"), session: Self.session))?.code == .invalid)
    }
}
