import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetPostgres
import FreshetStore
import FreshetStream
import FreshetTesting
import PostgresNIO
import Testing

/// `store.url: postgres://…`: the whole pipeline (generator → embedded log → processor) writes
/// into a real PostgreSQL database.
@Suite("Pipeline with a PostgreSQL store", .postgresServer)
struct PostgresPipelineTests {
    @Test func upStoresEveryIdExactlyOnce() async throws {
        let server = try PostgresServerTrait.server()
        let url = try await server.createDatabase(freshDatabaseName("pipeline"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-postgres-up-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let produced = 3_000
        var config = PipelineConfiguration()
        try config.set("data_dir", to: dir, origin: "test")
        try config.set("store.url", to: url, origin: "test")
        try config.set("source.count", to: String(produced), origin: "test")
        try config.set("source.rate", to: "100000", origin: "test")
        try config.set("source.seed", to: "postgres-up", origin: "test")
        try config.set("processor.max_batch_records", to: "700", origin: "test")
        try config.set("web.enabled", to: "false", origin: "test")
        try config.set("cql.enabled", to: "false", origin: "test")
        #expect(config.store.isPostgres)
        let pipeline = try await Pipeline.open(config)
        #expect(pipeline.store is PostgresSink)
        try await pipeline.run(handleSignals: false)
        let metrics = pipeline.metrics.snapshot
        #expect(metrics.produced == produced)
        #expect(metrics.stored == produced)

        let sink = try await PostgresSink.connect(url: url)
        try await sink.prepare()
        var counted: (Int64, Int64) = (0, 0)
        for try await pair in try await sink.client.query("SELECT count(*), count(DISTINCT id) FROM created_users").decode((Int64, Int64).self) {
            counted = pair
        }
        #expect(counted.0 == Int64(produced))
        #expect(counted.1 == Int64(produced))
        #expect(try await sink.totalUsers() == produced)
        #expect(try await sink.countsByGender().map(\.count).reduce(0, +) == produced)
        // Positions and window totals each count every record once.
        #expect(try await sink.positions(topic: "users_created").values.reduce(0, +) == Int64(produced))
        #expect(try await sink.windowCounts(dimension: "total", since: 0).map(\.count).reduce(0, +) == produced)

        // A second run over the same log and database, with one new record: the processor
        // resumes from the positions in PostgreSQL, so the first 3,000 are not applied again.
        try config.set("source.count", to: "1", origin: "test")
        try config.set("source.seed", to: "postgres-up-again", origin: "test")
        let again = try await Pipeline.open(config)
        try await again.run(handleSignals: false)
        #expect(again.metrics.snapshot.stored == 1)
        for try await pair in try await sink.client.query("SELECT count(*), count(DISTINCT id) FROM created_users").decode((Int64, Int64).self) {
            counted = pair
        }
        #expect(counted.0 == Int64(produced + 1))
        #expect(counted.1 == Int64(produced + 1))
        #expect(try await sink.positions(topic: "users_created").values.reduce(0, +) == Int64(produced + 1))
        #expect(try await sink.windowCounts(dimension: "total", since: 0).map(\.count).reduce(0, +) == produced + 1)
        try await sink.close()
    }
}

/// `postgres://` URLs: errors name the part, and the password never shows.
@Suite("PostgreSQL store URL")
struct PostgresURLTests {
    @Test func aFullURLParses() throws {
        let c = try PostgresSinkConfiguration(url: "postgres://al%40ice:p%2Fss%3Fw@db.example:6543/freshet_db?sslmode=require&connections=8&connect_timeout=3")
        #expect(c.username == "al@ice")
        #expect(c.password == "p/ss?w")
        #expect(c.host == "db.example")
        #expect(c.port == 6543)
        #expect(c.database == "freshet_db")
        #expect(c.tls == .require)
        #expect(c.maximumConnections == 8)
        #expect(c.connectTimeoutSeconds == 3)
        let defaults = try PostgresSinkConfiguration(url: "postgresql://bob@[::1]/d")
        #expect(defaults.host == "::1")
        #expect(defaults.port == 5432)
        #expect(defaults.password == nil)
        #expect(defaults.tls == .prefer)
    }

    static let secret = "Sup3rS3cret"

    @Test(arguments: [
        ("mysql://u:\(secret)@h/db", "scheme"),
        ("postgres://h:5432/db", "user"),
        ("postgres://:\(secret)@h/db", "user"),
        ("postgres://u:\(secret)%zz@h/db", "password"),
        ("postgres://u:\(secret)/x@h/db", "password"),
        ("postgres://u:\(secret)?x@h/db", "password"),
        ("postgres://u:\(secret)#x@h/db", "password"),
        ("postgres://u:\(secret)@/db", "host"),
        ("postgres://u:\(secret)@h:0/db", "port"),
        ("postgres://u:\(secret)@h:99999/db", "port"),
        ("postgres://u:\(secret)@h:port/db", "port"),
        ("postgres://u:\(secret)@h:5432", "database"),
        ("postgres://u:\(secret)@h:5432/", "database"),
        ("postgres://u:\(secret)@h/a/b", "database"),
        ("postgres://u:\(secret)@h/db?sslmode=maybe", "sslmode"),
        ("postgres://u:\(secret)@h/db?connections=1", "connections"),
        ("postgres://u:\(secret)@h/db?connect_timeout=x", "connect_timeout"),
        ("postgres://u:\(secret)@h/db?color=blue", "color"),
        ("postgres://u:\(secret)@h/db?sslmode=disable&sslmode=require", "sslmode"),
    ])
    func aBadURLNamesThePartAndHidesThePassword(url: String, part: String) throws {
        let error = #expect(throws: PostgresSinkError.self) { try PostgresSinkConfiguration(url: url) }
        #expect(error?.code == .invalidURL)
        #expect(error?.part == part)
        #expect(error.map { "\($0)".contains(Self.secret) } == false)
        // Through the pipeline configuration too (a postgres URL is validated when set).
        if part != "scheme" {
            var config = PipelineConfiguration()
            let configError = #expect(throws: ConfigurationError.self) { try config.set("store.url", to: url, origin: "test") }
            #expect(configError.map { "\($0)".contains(Self.secret) } == false)
            #expect(configError.map { "\($0)".contains(part) } == true)
        }
    }

    @Test func configPrintRedactsThePassword() throws {
        var config = PipelineConfiguration()
        try config.set("store.url", to: "postgres://freshet:\(Self.secret)@127.0.0.1:5432/freshet", origin: "test")
        #expect(config.store.isPostgres)
        let yaml = config.yaml()
        #expect(!yaml.contains(Self.secret))
        #expect(yaml.contains("postgres://freshet:***@127.0.0.1:5432/freshet"))
    }
}
