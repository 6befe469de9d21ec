import FreshetContracts
import FreshetCore
import FreshetTesting
import Testing

@testable import FreshetStore

/// The store contract (`SinkContract`: fenced, idempotent, concurrent writers, crashes at any
/// step) on the SQLite store, with both ways of keeping the counters.
@Suite struct SQLiteContractTests {
    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func aReplayedBatchChangesNothing(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, _ in try await SinkContract.aReplayedBatchChangesNothing(store) }
    }

    @Test func anOverlappingBatchAppliesOnlyWhatIsNew() async throws {
        try await withTestStore { store, _ in try await SinkContract.anOverlappingBatchAppliesOnlyWhatIsNew(store) }
    }

    @Test func aBatchThatStartsPastThePositionIsRefusedWhole() async throws {
        try await withTestStore { store, _ in try await SinkContract.aBatchThatStartsPastThePositionIsRefusedWhole(store) }
    }

    @Test func rangesWithoutRecordsMovePositions() async throws {
        try await withTestStore { store, _ in try await SinkContract.rangesWithoutRecordsMovePositions(store) }
    }

    @Test func partitionsAreFencedIndependently() async throws {
        try await withTestStore { store, _ in try await SinkContract.partitionsAreFencedIndependently(store) }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func concurrentWritersOfOnePartitionApplyEachRecordOnce(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { _, path in
            try await SinkContract.concurrentWritersOfOnePartitionApplyEachRecordOnce {
                let store = try await SQLiteStore.open(.init(path: path, busyTimeout: .seconds(30), counterMaintenance: counters))
                try await store.prepare()
                return store
            }
        }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func aCrashAtAnyStepThenARetryAppliesEachRecordOnce(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, _ in try await SinkContract.aCrashAtAnyStepThenARetryAppliesEachRecordOnce(store) }
    }

    @Test(arguments: SQLiteStore.CounterMaintenance.allCases)
    func aTransactionAcrossWritesCommitsWhole(counters: SQLiteStore.CounterMaintenance) async throws {
        try await withTestStore(counters: counters) { store, _ in try await SinkContract.aTransactionAcrossWritesCommitsWhole(store) }
    }

    @Test func aFailureInATransactionRollsAllOfItBack() async throws {
        try await withTestStore { store, _ in try await SinkContract.aFailureInATransactionRollsAllOfItBack(store) }
    }

    /// While a transaction is open, the store's other writes wait for it (they would otherwise
    /// run inside it, on the one writer connection), then go through.
    @Test func otherWritesWaitForAnOpenTransaction() async throws {
        try await withTestStore { store, path in
            var generator = RowGenerator(seed: 43)
            let rows = (0..<20).map { _ in generator.row(idPool: 1_000_000) }
            let outside = generator.row(idPool: 1_000_000)
            let transaction = try await store.beginTransaction()
            try await transaction.apply(batch(slice(Array(rows[0..<10]), from: 0)))
            let upsert = Task { try await store.upsert([outside]) }
            let positions = Task { try await store.positions(topic: "users_created") }
            try await eventually("the upsert and the positions wait for the transaction") { store.gate.waiting == 2 }
            // A second connection (another process) sees nothing of the open transaction.
            let reader = try await SQLiteStore.open(.init(path: path, readOnly: true))
            #expect(try await reader.totalUsers() == 0)
            try await transaction.apply(batch(slice(Array(rows[10..<20]), from: 10)))
            try await transaction.commit()
            try await upsert.value
            #expect(try await positions.value == [0: 20])
            #expect(try await reader.totalUsers() == 21)
            try await reader.close()
            try await SinkContract.checkInvariants(store, rows: 21, countedRecords: 20, "after the transaction and the upsert")
        }
    }
}
