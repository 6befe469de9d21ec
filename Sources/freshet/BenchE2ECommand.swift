import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetPostgres
import FreshetStore
import FreshetStream
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `freshet bench e2e`: the whole pipeline in this process, on a scratch data directory.
struct BenchE2E: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End-to-end throughput, latency and memory of the pipeline (generator → log → processor → SQLite or PostgreSQL).",
        discussion: """
            Phase 1 pushes --records people through as fast as they go and reports records/s. \
            Phase 2 runs at --latency-rate people/s for --latency-duration and reports p50/p99 \
            end-to-end latency (appended to the log → committed in the store). Peak RSS covers \
            both. Uses a scratch directory (removed afterwards) with the default durability \
            (log group commit, SQLite synchronous=FULL).

            With --store postgres://user:password@host:port/db the processor writes into that \
            database instead of a scratch SQLite file: it must be an empty scratch database (the \
            bench refuses one with users, and empties Freshet's tables between the phases and at \
            the end).

            Examples:
              swift build -c release && .build/release/freshet bench e2e --records 1000000
              .build/release/freshet bench e2e --store postgres://bench:secret@127.0.0.1:5432/bench
            """
    )

    @Option(help: "People in the throughput phase.") var records = 1_000_000
    @Option(help: "People per second in the latency phase.") var latencyRate = 1000.0
    @Option(help: ArgumentHelp("Length of the latency phase.", valueName: "duration")) var latencyDuration = DurationArgument(.seconds(10))
    @Option(help: "Scratch directory (default: a new one under /tmp).") var dataDir: String?
    @Option(help: "Source batch size in the throughput phase (one produce per batch).") var batchSize = 5000
    @Option(help: "Processor micro-batch limit (records per poll).") var maxBatch = 5000
    @Option(
        help:
            "Under backlog, records per store transaction (processor.max_transaction_records); --max-batch's value writes one transaction per poll, as before adaptive transactions."
    )
    var maxTransactionRecords = PipelineConfiguration().processor.maxTransactionRecords
    @Option(help: "Under backlog, bytes of records held for a store transaction (processor.max_transaction_bytes).")
    var maxTransactionBytes = PipelineConfiguration().processor.maxTransactionBytes
    @Option(
        help: ArgumentHelp(
            "Under backlog, longest a store transaction gathers records (processor.max_transaction_time).", valueName: "duration"))
    var maxTransactionTime = DurationArgument(PipelineConfiguration().processor.maxTransactionTime)
    @Flag(
        help:
            "Hold a store transaction's rows until its write, as before store transactions open across polls (processor.stream_transactions = false)."
    )
    var inMemoryTransactions = false
    @Option(help: "Page cache of the SQLite writer in MiB (store.sqlite_cache_bytes).")
    var sqliteCacheMib = PipelineConfiguration().store.sqliteCacheBytes >> 20
    @Option(
        help: ArgumentHelp(
            "sqlite (default: in the scratch directory) or postgres://user:password@host:port/database (an empty scratch database).", valueName: "URL"))
    var store = "sqlite"
    @Flag(
        help:
            "Run only the discarding-sink phase (source + log + processor, no store, no latency phase): for profiling the hot path, e.g. under valgrind --tool=callgrind."
    )
    var discardOnly = false

    func validate() throws {
        if records < 1 { throw ValidationError("--records must be at least 1") }
        if latencyRate <= 0 { throw ValidationError("--latency-rate must be positive") }
        if !(1...1_000_000).contains(maxTransactionRecords) { throw ValidationError("--max-transaction-records must be in 1…1000000") }
        if !((1 << 20)...(1 << 30)).contains(maxTransactionBytes) { throw ValidationError("--max-transaction-bytes must be in 1048576…1073741824") }
        if !(Duration.milliseconds(1)...Duration.seconds(60)).contains(maxTransactionTime.duration) {
            throw ValidationError("--max-transaction-time must be in 1ms…60s")
        }
        if !(1...4096).contains(sqliteCacheMib) { throw ValidationError("--sqlite-cache-mib must be in 1…4096") }
        try BenchPostgres.validateStore(store)
    }

    func run() async throws {
        let root = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("freshet-bench-\(UUID().uuidString)").path
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: root) } }
        #if DEBUG
            print("freshet bench e2e — debug build: numbers are not representative; use `swift build -c release`")
        #else
            print("freshet bench e2e — release build")
        #endif
        print("machine: \(cpuModel()), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores")
        // A PostgreSQL store is one database for every phase: checked empty first, emptied between
        // phases (each phase has a fresh log, whose offsets the stored positions must not skip).
        let postgres = PostgresSinkConfiguration.isPostgresURL(store) ? try await BenchPostgres.connectEmpty(store) : nil
        if postgres != nil { print("store: PostgreSQL \(redact(store))") }
        do {
            try await phases(root: root, postgres: postgres)
        } catch {
            if let postgres {
                try? await BenchPostgres.truncate(postgres)
                try? await postgres.close()
            }
            throw error
        }
        if let postgres {
            try await BenchPostgres.truncate(postgres)
            try await postgres.close()
        }
    }

    private func phases(root: String, postgres: PostgresSink?) async throws {

        var quietLogger = Logger(label: "freshet.bench")
        quietLogger.logLevel = .warning

        // Phase 1: throughput.
        var throughput = PipelineConfiguration()
        throughput.dataDir = root + "/throughput"
        throughput.source.count = records
        throughput.source.rate = 1e12
        throughput.source.seed = "bench"
        throughput.source.batchSize = batchSize
        throughput.processor.maxBatchRecords = maxBatch
        throughput.processor.maxTransactionRecords = maxTransactionRecords
        throughput.processor.maxTransactionBytes = maxTransactionBytes
        throughput.processor.maxTransactionTime = maxTransactionTime.duration
        throughput.processor.streamTransactions = !inMemoryTransactions
        throughput.store.sqliteCacheBytes = sqliteCacheMib << 20
        try throughput.set("store.url", to: store, origin: "--store")
        print(
            "settings: polls of \(maxBatch) records, store transactions up to \(maxTransactionRecords) records / \(maxTransactionBytes >> 20) MiB held / \(DurationText.format(throughput.processor.maxTransactionTime)) (\(inMemoryTransactions ? "held in memory" : "streamed into the store")), SQLite writer cache \(sqliteCacheMib) MiB"
        )
        if discardOnly {
            try await discardingPhase(throughput, root: root, logger: quietLogger)
            print("memory      peak RSS \(peakRSSMegabytes()) MB")
            return
        }
        let metrics1 = PipelineMetrics()
        let bar = ProgressBar(total: records, metrics: metrics1)
        let clock = ContinuousClock()
        let started = clock.now
        let pipeline1 = try await Pipeline.open(throughput, metrics: metrics1, logger: quietLogger)
        try await pipeline1.run(handleSignals: false, companions: [Companion(bar)])
        let seconds = started.duration(to: clock.now).seconds
        bar.finish()
        let m1 = metrics1.snapshot
        guard m1.stored == records else { throw RuntimeFailure("throughput phase stored \(m1.stored) of \(records) records") }
        print("")
        print(
            "throughput  \(formatted(Double(records) / seconds)) records/s  (\(records) records in \(formatted(seconds, decimals: 2)) s, \(m1.storeWrites) store transactions)"
        )
        print(
            "            end-to-end under full load: p50 \(PipelineMetrics.Snapshot.milliseconds(m1.endToEnd.percentile(0.5)))  p99 \(PipelineMetrics.Snapshot.milliseconds(m1.endToEnd.percentile(0.99)))"
        )
        // Time inside the store's writes (applies and commits; streamed applies overlap the
        // next poll's decoding): how much of the run the store was the one working.
        let storeSeconds = m1.storeWrite.mean * Double(m1.storeWrite.count) / 1_000_000
        print(
            "            store busy \(formatted(storeSeconds, decimals: 2)) s of \(formatted(seconds, decimals: 2)) s (\(formatted(100 * storeSeconds / seconds)) %) in its transactions"
        )

        // Phase 1b: the same without the store, to show what the store costs.
        try await discardingPhase(throughput, root: root, logger: quietLogger)

        // Phase 2: latency at a steady rate.
        if let postgres { try await BenchPostgres.truncate(postgres) }
        var steady = PipelineConfiguration()
        try steady.set("store.url", to: store, origin: "--store")
        steady.processor.maxTransactionRecords = maxTransactionRecords
        steady.processor.maxTransactionBytes = maxTransactionBytes
        steady.processor.maxTransactionTime = maxTransactionTime.duration
        steady.processor.streamTransactions = !inMemoryTransactions
        steady.store.sqliteCacheBytes = sqliteCacheMib << 20
        steady.dataDir = root + "/latency"
        steady.source.duration = latencyDuration.duration
        steady.source.rate = latencyRate
        steady.source.seed = "bench-latency"
        let metrics2 = PipelineMetrics()
        let pipeline2 = try await Pipeline.open(steady, metrics: metrics2, logger: quietLogger)
        try await pipeline2.run(handleSignals: false)
        let m2 = metrics2.snapshot
        print(
            "latency     at \(formatted(latencyRate)) records/s for \(DurationText.format(latencyDuration.duration)): p50 \(PipelineMetrics.Snapshot.milliseconds(m2.endToEnd.percentile(0.5)))  p99 \(PipelineMetrics.Snapshot.milliseconds(m2.endToEnd.percentile(0.99)))  max \(PipelineMetrics.Snapshot.milliseconds(m2.endToEnd.max))  (\(m2.stored) records)"
        )
        print(
            "            store transaction p50 \(PipelineMetrics.Snapshot.milliseconds(m2.storeWrite.percentile(0.5)))  p99 \(PipelineMetrics.Snapshot.milliseconds(m2.storeWrite.percentile(0.99)))"
        )
        print("memory      peak RSS \(peakRSSMegabytes()) MB")
    }
}

extension BenchE2E {
    /// The throughput phase with a discarding sink: source + log + processor, no store.
    fileprivate func discardingPhase(_ throughput: PipelineConfiguration, root: String, logger: Logger) async throws {
        var noStore = throughput
        noStore.dataDir = root + "/throughput-discard"
        let metrics = PipelineMetrics()
        let clock = ContinuousClock()
        let started = clock.now
        let pipeline = try await Pipeline.open(noStore, metrics: metrics, sink: DiscardingSink(), logger: logger)
        try await pipeline.run(handleSignals: false)
        let seconds = started.duration(to: clock.now).seconds
        let stored = metrics.snapshot.stored
        guard stored == records else { throw RuntimeFailure("discarding phase stored \(stored) of \(records) records") }
        print(
            "            same run with a discarding sink (source + log + processor only): \(formatted(Double(records) / seconds)) records/s  (\(formatted(seconds, decimals: 2)) s)"
        )
    }
}

/// Peak resident set size of this process (VmHWM), in MB.
func peakRSSMegabytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
        return kb / 1024
    }
    return -1
}

/// A progress bar on stderr, redrawn ten times a second.
final class ProgressBar: Service, Sendable {
    let total: Int
    let metrics: PipelineMetrics

    init(total: Int, metrics: PipelineMetrics) {
        self.total = total
        self.metrics = metrics
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
            } catch {
                return
            }
            draw(metrics.snapshot.stored)
        }
    }

    func draw(_ done: Int) {
        let width = 40
        let filled = total == 0 ? width : min(width, done * width / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandleOutput.standardError.writeRaw("\r  \(bar) \(done)/\(total)")
    }

    func finish() {
        draw(metrics.snapshot.stored)
        FileHandleOutput.standardError.writeRaw("\n")
    }
}

/// A sink that keeps nothing: measures the pipeline without the store.
final class DiscardingSink: Sink, Sendable {
    let positionsSeen = Mutex<[Int32: Int64]>([:])
    func prepare() async throws {}
    func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        positionsSeen.withLock { p in
            batch.slices.map { slice in
                let before = p[slice.partition]
                let decision = SliceFence.plan(slice, position: before)
                if case .apply = decision { p[slice.partition] = slice.to }
                return SliceOutcome(slice, positionBefore: before, decision: decision)
            }
        }
    }
    func upsert(_ rows: [CreatedUserRow]) async throws {}
    func positions(topic: String) async throws -> [Int32: Int64] { positionsSeen.withLock { $0 } }
    func close() async throws {}
}
