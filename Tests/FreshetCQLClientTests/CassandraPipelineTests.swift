import Foundation
import FreshetApp
import FreshetCQL
import FreshetCQLClient
import FreshetCassandra
import FreshetContracts
import FreshetCore
import FreshetStore
import FreshetStream
import FreshetTesting
import Testing

/// `store.url: cassandra://…`: the whole pipeline (generator → embedded log → processor) writes
/// into another Freshet's CQL endpoint.
@Suite("Pipeline with a Cassandra store")
struct CassandraPipelineTests {
    @Test func upWritesEveryRecordOnceIntoTheEndpoint() async throws {
        try await EndpointScope.with { scope in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cassandra-up-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var config = PipelineConfiguration()
            try config.set("data_dir", to: dir, origin: "test")
            try config.set("store.url", to: "cassandra://127.0.0.1:\(scope.port)?consistency=ONE", origin: "test")
            try config.set("source.count", to: "5000", origin: "test")
            try config.set("source.rate", to: "100000", origin: "test")
            try config.set("source.seed", to: "cassandra-up", origin: "test")
            try config.set("web.enabled", to: "false", origin: "test")
            try config.set("cql.enabled", to: "false", origin: "test")
            let pipeline = try await Pipeline.open(config)
            #expect(pipeline.store is CassandraSink)
            try await pipeline.run(handleSignals: false)
            let stored = pipeline.metrics.snapshot.stored
            #expect(stored == 5_000)
            #expect(try await scope.store.totalUsers() == stored)
            // Positions, windows and the dashboard counters, as the sink recorded them, each count
            // every record once.
            let sink = try await CassandraSink.connect(url: "cassandra://127.0.0.1:\(scope.port)?consistency=ONE")
            try await sink.prepare()
            #expect(try await sink.positions(topic: "users_created").values.reduce(0, +) == 5_000)
            try await SinkContract.checkInvariants(sink, rows: 5_000, countedRecords: 5_000, "after the pipeline")
            try await sink.close()
        }
    }
}
