import FreshetCQL
import FreshetCQLClient
import FreshetCassandra
import FreshetContracts
import FreshetCore
import FreshetStore
import FreshetTesting
import Testing

/// The store contract (`SinkContract`, every check in it) on `CassandraSink`, against a live
/// Cassandra node: Freshet's own CQL endpoint over a temporary SQLite store (`EndpointScope`),
/// which keeps write times and answers `USING TIMESTAMP`, `WRITETIME()` and `token()` as
/// Cassandra does.
@Suite("Store contract on the Cassandra sink")
struct CassandraContractTests {
    static func url(_ scope: EndpointScope) -> String {
        "cassandra://127.0.0.1:\(scope.port)?connect_timeout=60&request_timeout=60&consistency=ONE&concurrency=32"
    }

    static func connect(_ scope: EndpointScope) async throws -> CassandraSink {
        let sink = try await CassandraSink.connect(url: url(scope))
        do {
            try await sink.prepare()
        } catch {
            try? await sink.close()
            throw error
        }
        return sink
    }

    static func withSink(_ body: (CassandraSink, EndpointScope) async throws -> Void) async throws {
        try await EndpointScope.with { scope in
            let sink = try await connect(scope)
            do {
                try await body(sink, scope)
            } catch {
                try? await sink.close()
                throw error
            }
            try await sink.close()
        }
    }

    @Test func everyColumnRoundTrips() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.everyColumnRoundTrips(sink) }
    }

    @Test func anUpsertThatChangesARowMovesItsCounts() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.anUpsertThatChangesARowMovesItsCounts(sink) }
    }

    @Test func eachAppliedRecordCountsOnceInItsWindow() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.eachAppliedRecordCountsOnceInItsWindow(sink) }
    }

    @Test func aReplayedBatchChangesNothing() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.aReplayedBatchChangesNothing(sink) }
    }

    @Test func anOverlappingBatchAppliesOnlyWhatIsNew() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.anOverlappingBatchAppliesOnlyWhatIsNew(sink) }
    }

    @Test func aBatchThatStartsPastThePositionIsRefusedWhole() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.aBatchThatStartsPastThePositionIsRefusedWhole(sink) }
    }

    @Test func rangesWithoutRecordsMovePositions() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.rangesWithoutRecordsMovePositions(sink) }
    }

    @Test func partitionsAreFencedIndependently() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.partitionsAreFencedIndependently(sink) }
    }

    /// Two sinks, each with its own connections, race through one partition.
    @Test func concurrentWritersOfOnePartitionApplyEachRecordOnce() async throws {
        try await EndpointScope.with { scope in
            try await SinkContract.concurrentWritersOfOnePartitionApplyEachRecordOnce { try await Self.connect(scope) }
        }
    }

    @Test func aCrashAtAnyStepThenARetryAppliesEachRecordOnce() async throws {
        try await Self.withSink { sink, _ in try await SinkContract.aCrashAtAnyStepThenARetryAppliesEachRecordOnce(sink) }
    }
}
