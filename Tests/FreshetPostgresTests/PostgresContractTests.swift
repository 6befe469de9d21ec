import FreshetCore
import FreshetPostgres
import FreshetTesting
import Testing

/// The store contract (`SinkContract`: fenced, idempotent, concurrent writers, crashes at any
/// step) on the PostgreSQL store.
@Suite(.postgresServer)
struct PostgresContractTests {
    @Test func aReplayedBatchChangesNothing() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.aReplayedBatchChangesNothing(sink) }
    }

    @Test func anOverlappingBatchAppliesOnlyWhatIsNew() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.anOverlappingBatchAppliesOnlyWhatIsNew(sink) }
    }

    @Test func aBatchThatStartsPastThePositionIsRefusedWhole() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.aBatchThatStartsPastThePositionIsRefusedWhole(sink) }
    }

    @Test func rangesWithoutRecordsMovePositions() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.rangesWithoutRecordsMovePositions(sink) }
    }

    @Test func partitionsAreFencedIndependently() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.partitionsAreFencedIndependently(sink) }
    }

    @Test func concurrentWritersOfOnePartitionApplyEachRecordOnce() async throws {
        try await withPostgresSink { _, url in
            try await SinkContract.concurrentWritersOfOnePartitionApplyEachRecordOnce {
                let sink = try await PostgresSink.connect(url: url)
                try await sink.prepare()
                return sink
            }
        }
    }

    @Test func aCrashAtAnyStepThenARetryAppliesEachRecordOnce() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.aCrashAtAnyStepThenARetryAppliesEachRecordOnce(sink) }
    }

    @Test func aTransactionAcrossWritesCommitsWhole() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.aTransactionAcrossWritesCommitsWhole(sink) }
    }

    @Test func aFailureInATransactionRollsAllOfItBack() async throws {
        try await withPostgresSink { sink, _ in try await SinkContract.aFailureInATransactionRollsAllOfItBack(sink) }
    }
}
