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

/// A small deterministic generator of rows (independent of FreshetSource).
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
    static let countries = ["Germany", "France", "Brazil", "Canada", "India", "Norway", "Spain", "Iran", "Unknown"]
    static let domains = ["example.com", "mail.org", "freshet.dev", "über.de", "x.io"]

    /// A row with id `"u-<n>"` for n in 0..<idPool (so ids repeat), random dimensions.
    mutating func row(idPool: Int, ingestedAt: Int64? = nil) -> CreatedUserRow {
        let n = int(idPool)
        let year = 2002 + int(21), month = 1 + int(12), day = 1 + int(28)
        let registered = String(format: "%04d-%02d-%02dT10:%02d:00.000Z", year, month, day, int(60))
        let domain = pick(Self.domains)
        let country = pick(Self.countries)
        return CreatedUserRow(
            id: "u-\(n)", firstName: "First\(int(1000))", lastName: "Last-ö\(int(1000))", gender: pick(Self.genders),
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
