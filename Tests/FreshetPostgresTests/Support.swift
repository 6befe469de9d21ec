import Foundation
import FreshetContracts
import FreshetCore
import FreshetPostgres
import FreshetStore
import FreshetTesting
import Logging
import PostgresNIO
import Testing

/// A fresh database name (lower-case, so no quoting surprises).
func freshDatabaseName(_ prefix: String) -> String {
    prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
}

/// A prepared sink over a fresh database of the suite's server; closed after `body`.
func withPostgresSink<R: Sendable>(_ body: (PostgresSink, String) async throws -> R) async throws -> R {
    let server = try PostgresServerTrait.server()
    let url = try await server.createDatabase(freshDatabaseName("sink"))
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
    let orderBy = [
        "created_users": "id", "user_counts": "dimension, value", "window_counts": "window_start, dimension, value",
        "stream_positions": "topic, partition",
    ][table]!
    var rows: [String] = []
    for try await text in try await sink.client.query(PostgresQuery(unsafeSQL: "SELECT row_to_json(t)::text FROM \(table) t ORDER BY \(orderBy)"))
        .decode(String.self)
    {
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
