import ArgumentParser
import Foundation
import FreshetCQLServer
import FreshetCassandra
import FreshetContracts
import FreshetCore
import FreshetStore
import Logging
import ServiceLifecycle

/// `freshet bench cql`: rows/s through Freshet's Cassandra sink into a CQL endpoint.
struct BenchCQL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cql",
        abstract: "Cassandra sink rows/s into a CQL endpoint (Freshet's own, in this process, or --store cassandra://…).",
        discussion: """
            Writes --rows generated users in batches of --batch through CassandraSink — its reads \
            of positions, state and stored rows, then windows, state, token-aware prepared row \
            INSERTs (concurrent) and the position, each USING TIMESTAMP — exactly as the pipeline \
            does with store.url cassandra://. Without --store it \
            starts Freshet's CQL endpoint in this process over a temporary SQLite store, so the \
            number includes the endpoint's side (parsing, planning, SQLite upserts). Prints rows/s \
            and batch latency p50/p99.

            Examples:
              .build/release/freshet bench cql --rows 200000
              .build/release/freshet bench cql --store 'cassandra://10.0.0.5:9042?keyspace=bench&consistency=ONE'
            """
    )

    @Option(help: "Users to write.") var rows = 200_000
    @Option(help: "Users per sink batch (the processor's micro-batch).") var batch = 5000
    @Option(help: ArgumentHelp("A Cassandra cluster or CQL endpoint instead of an in-process one.", valueName: "URL"))
    var store: String?

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let store, !store.hasPrefix("cassandra://") { throw ValidationError("--store: expected cassandra://host:port; got '\(redact(store))'") }
    }

    func run() async throws {
        if let store {
            try await measure(url: store, target: redact(store))
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-bench-cql-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = try await SQLiteStore.open(.init(path: dir + "/store.sqlite"))
        try await local.prepare()
        var logger = Logger(label: "freshet.bench.cql")
        logger.logLevel = .warning
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = CQLServer(
            configuration: .init(host: "127.0.0.1", port: 0), queries: local, sink: local, logger: logger,
            onListening: { portContinuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw RuntimeFailure("the CQL endpoint did not start") }
            do {
                try await measure(url: "cassandra://127.0.0.1:\(port)?keyspace=spark_streams", target: "Freshet's CQL endpoint (in process, SQLite)")
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let stored = try await local.totalUsers()
        try await local.close()
        guard stored == rows else { throw RuntimeFailure("the endpoint's store holds \(stored) rows, expected \(rows)") }
    }

    private func measure(url: String, target: String) async throws {
        let sink = try await CassandraSink.connect(url: url)
        do {
            try await sink.prepare()
            let generator = BenchRows(variant: 0)
            let clock = ContinuousClock()
            var times: [Duration] = []
            var written = 0
            let start = clock.now
            while written < rows {
                let count = min(batch, rows - written)
                let batchRows = (0..<count).map { generator.row(index: written + $0) }
                let sinkBatch = BenchStoreCommand.batch(batchRows, topic: "bench-cql", from: Int64(written))
                written += count
                let t0 = clock.now
                try await sink.write(sinkBatch)
                times.append(clock.now - t0)
            }
            let total = (clock.now - start).seconds
            try await sink.close()
            let sorted = times.sorted()
            print("cql sink bench: \(rows) rows in batches of \(batch) into \(target)")
            print(
                String(
                    format: "  %.0f rows/s  (%.2f s; batch p50 %.1f ms, p99 %.1f ms)", Double(rows) / total, total,
                    sorted[sorted.count / 2].seconds * 1000, sorted[min(sorted.count - 1, sorted.count * 99 / 100)].seconds * 1000))
        } catch {
            try? await sink.close()
            throw error
        }
    }
}
