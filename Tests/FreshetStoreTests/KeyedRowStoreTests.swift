import Foundation
import FreshetContracts
import FreshetCore
import Testing

@testable import FreshetStore

/// The keyed rows the CQL endpoint keeps for a remote sink's bookkeeping tables.
@Suite struct KeyedRowStoreTests {
    @Test func putGetPageAndCount() async throws {
        try await withTestStore { store, _ in
            #expect(try await store.keyedRow(table: "ks.t", key: "a") == nil)
            try await store.putKeyedRows([
                KeyedRow(table: "ks.t", key: "b", value: [2]), KeyedRow(table: "ks.t", key: "a", value: [1, 0, 255]),
                KeyedRow(table: "ks.other", key: "a", value: [9]), KeyedRow(table: "ks.t", key: "c", value: []),
            ])
            #expect(try await store.keyedRow(table: "ks.t", key: "a") == [1, 0, 255])
            #expect(try await store.keyedRow(table: "ks.t", key: "c") == [])
            #expect(try await store.keyedRowCount(table: "ks.t") == 3)
            #expect(try await store.keyedRows(table: "ks.t", limit: 2, after: nil).map(\.key) == ["a", "b"])
            #expect(try await store.keyedRows(table: "ks.t", limit: 2, after: "b").map(\.key) == ["c"])
            // Replace.
            try await store.putKeyedRows([KeyedRow(table: "ks.t", key: "a", value: [7])])
            #expect(try await store.keyedRow(table: "ks.t", key: "a") == [7])
            // The store's own positions are a different table.
            #expect(try await store.positions(topic: "ks.t").isEmpty)
        }
    }

    @Test func aReadOnlyStoreOfAnOlderVersionHasNoKeyedRows() async throws {
        try await withTestStore { _, path in
            let db = try RawConnection(path: path, readOnly: false, busyTimeoutMilliseconds: 1000)
            try db.execute("DROP TABLE keyed_rows")
            db.close()
            let reader = try await SQLiteStore.open(.init(path: path, readOnly: true))
            #expect(try await reader.keyedRow(table: "ks.t", key: "a") == nil)
            #expect(try await reader.keyedRowCount(table: "ks.t") == 0)
            #expect(try await reader.keyedRows(table: "ks.t", limit: 10, after: nil).isEmpty)
            await #expect(throws: StoreError.self) { try await reader.putKeyedRows([KeyedRow(table: "t", key: "k", value: [])]) }
            try await reader.close()
        }
    }
}
