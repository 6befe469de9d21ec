import Foundation
import FreshetCore
import FreshetPostgres
import FreshetStore
import FreshetTesting
import Logging
import PostgresNIO
import Testing

/// One private PostgreSQL cluster per suite marked `.postgresServer`: started before the suite's
/// first test, stopped after its last. Tests reach it through ``PostgresServerTrait/current``
/// and each creates its own database, so tests run in parallel without sharing tables.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    @TaskLocal static var current: PostgresServer?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        try await Self.$current.withValue(server, operation: function)
    }

    /// The suite's server; a test outside a `.postgresServer` suite fails.
    static func server() throws -> PostgresServer {
        guard let current else { throw PostgresServer.Failure("no PostgreSQL server: mark the suite .postgresServer") }
        return current
    }
}

extension Trait where Self == PostgresServerTrait {
    static var postgresServer: Self { PostgresServerTrait() }
}

/// A fresh database name (lower-case, so no quoting surprises).
func freshDatabaseName(_ prefix: String) -> String {
    prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
}

/// A prepared sink over a fresh database of the suite's server; closed after `body`.
func withPostgresSink<R: Sendable>(_ body: (PostgresSink, String) async throws -> R) async throws -> R {
    let server = try PostgresServerTrait.server()
    let url = try server.createDatabase(freshDatabaseName("sink"))
    let sink = try await PostgresSink.connect(url: url)
    do {
        try await sink.prepare()
        let result = try await body(sink, url)
        try await sink.close()
        return result
    } catch {
        try? await sink.close()
        throw error
    }
}

/// Every row of a table as JSON text, in primary-key order, for whole-table comparisons.
func dump(_ table: String, _ sink: PostgresSink) async throws -> [String] {
    let orderBy = ["created_users": "id", "user_counts": "dimension, value", "window_counts": "window_start, dimension, value",
                   "stream_positions": "topic, partition"][table]!
    var rows: [String] = []
    for try await text in try await sink.client.query(PostgresQuery(unsafeSQL: "SELECT row_to_json(t)::text FROM \(table) t ORDER BY \(orderBy)"))
        .decode(String.self) {
        rows.append(text)
    }
    return rows
}

func dumpAll(_ sink: PostgresSink) async throws -> [[String]] {
    var all: [[String]] = []
    for table in ["created_users", "user_counts", "window_counts", "stream_positions"] { all.append(try await dump(table, sink)) }
    return all
}

/// A temporary SQLite store, the reference implementation.
func withSQLiteStore<R: Sendable>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-pg-ref-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: directory), synchronous: .normal)) { store in
        try await store.prepare()
        return try await body(store)
    }
}

/// A small deterministic generator of rows (the one of FreshetStoreTests).
struct RowGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ upper: Int) -> Int { Int(next() % UInt64(upper)) }

    mutating func pick<T>(_ values: [T]) -> T { values[int(values.count)] }

    static let genders = ["female", "male"]
    // Mixed case and non-ASCII labels: ordering must be by code point, as in SQLite.
    static let countries = ["Germany", "France", "Brazil", "Canada", "India", "Norway", "Spain", "Iran", "Unknown", "Åland", "africa"]
    static let domains = ["example.com", "mail.org", "freshet.dev", "über.de", "x.io", "Z.io"]

    /// A row with id `"u-<n>"` for n in 0..<idPool (so ids repeat), random dimensions.
    mutating func row(idPool: Int, ingestedAt: Int64? = nil) -> CreatedUserRow {
        let n = int(idPool)
        let year = 2002 + int(21), month = 1 + int(12), day = 1 + int(28)
        let registered = String(format: "%04d-%02d-%02dT10:%02d:00.000Z", year, month, day, int(60))
        let domain = pick(Self.domains)
        let country = pick(Self.countries)
        return CreatedUserRow(
            id: pick(["u-", "U-", "ü-"]) + "\(n)", firstName: "First\(int(1000))", lastName: "Last-ö\(int(1000))", gender: pick(Self.genders),
            address: "\(int(9999)) Main St, Town, \(country)", postCode: String(int(99999)),
            email: "user\(n)@\(domain)", username: "user\(n)", dob: "1980-01-01T00:00:00.000Z",
            registeredDate: registered, phone: "555-\(int(9999))", picture: "https://p/\(n).jpg",
            year: String(year), month: String(month), day: String(day), country: country, emailDomain: domain,
            age: 18 + int(60), nat: int(4) == 0 ? nil : pick(["DE", "FR", "BR"]),
            ingestedAt: ingestedAt ?? (1_700_000_000_000 + Int64(int(10_000_000)))
        )
    }
}

func batch(_ rows: [CreatedUserRow], windows: [WindowCount] = [], positions: [StreamPosition] = []) -> SinkBatch {
    SinkBatch(rows: rows, windowIncrements: windows, positions: positions)
}
