import Foundation
import FreshetCore

@testable import FreshetStore

/// A fresh directory under the system temp dir, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("freshet-store-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A prepared writer store in a temp dir; closed (and removed) after `body`.
func withTestStore<R: Sendable>(
    counters: SQLiteStore.CounterMaintenance = .swiftDeltas,
    _ body: (SQLiteStore, String) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let path = SQLiteStore.path(dataDirectory: directory)
        return try await SQLiteStore.withStore(.init(path: path, counterMaintenance: counters)) { store in
            try await store.prepare()
            return try await body(store, path)
        }
    }
}

/// Every row of a table as text, for whole-table comparisons.
func dump(_ table: String, path: String) throws -> [[String]] {
    let connection = try RawConnection(path: path, readOnly: true, busyTimeoutMilliseconds: 1000)
    defer { connection.close() }
    let statement = try connection.prepare("SELECT * FROM \(table) ORDER BY 1, 2, 3")
    defer { statement.finalize() }
    return try statement.rows { s in
        (0..<s.columnCount).map { s.isNull($0) ? "NULL" : s.text($0) }
    }
}
