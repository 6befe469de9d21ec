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
}
