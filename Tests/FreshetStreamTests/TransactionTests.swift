import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetStore
import FreshetStream
import FreshetTesting
import Logging
import Synchronization
import Testing

/// A clock whose time moves `step` forward each time it is read: the processor reads it once
/// per poll, so "the transaction's first record is N ms old" happens after a known number of
/// polls, with no sleep.
final class SteppingClock: Clock, Sendable {
    struct Instant: InstantProtocol, Sendable {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let step: Duration
    private let time = Mutex(Duration.zero)
    init(step: Duration) { self.step = step }

    var now: Instant {
        time.withLock { t in
            defer { t += step }
            return Instant(offset: t)
        }
    }
    var minimumResolution: Duration { .nanoseconds(1) }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws { await Task.yield() }
}

/// A `MemorySink` that keeps every batch it wrote (not the attempts it refused).
final class RecordingSink: Sink {
    let inner = MemorySink()
    private let written = Mutex<[SinkBatch]>([])
    var batches: [SinkBatch] { written.withLock { $0 } }

    func prepare() async throws { try await inner.prepare() }
    func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        let outcomes = try await inner.write(batch)
        written.withLock { $0.append(batch) }
        return outcomes
    }
    func upsert(_ rows: [CreatedUserRow]) async throws { try await inner.upsert(rows) }
    func positions(topic: String) async throws -> [Int32: Int64] { try await inner.positions(topic: topic) }
    func close() async throws { try await inner.close() }
}

/// A sink whose first `positions` answer puts partition 0 `ahead` records past the truth, as a
/// store replaced underneath a processor would look: the processor's next write has a gap.
final class AheadOnceSink: Sink {
    let inner = MemorySink()
    let ahead: Int64
    private let asked = Mutex(false)
    init(ahead: Int64) { self.ahead = ahead }

    func prepare() async throws {}
    func write(_ batch: SinkBatch) async throws -> [SliceOutcome] { try await inner.write(batch) }
    func upsert(_ rows: [CreatedUserRow]) async throws { try await inner.upsert(rows) }
    func positions(topic: String) async throws -> [Int32: Int64] {
        var positions = try await inner.positions(topic: topic)
        let first = asked.withLock { (wasAsked: inout Bool) -> Bool in
            let first = !wasAsked
            wasAsked = true
            return first
        }
        if first { positions[0] = (positions[0] ?? 0) + ahead }
        return positions
    }
    func close() async throws {}
}

@Suite("Stream processor, store transactions")
struct TransactionTests {
    func run(
        _ broker: any Broker, _ sink: any Sink, clock: some Clock<Duration> = ContinuousClock(), configure: (inout StreamProcessor.Configuration) -> Void
    ) async throws -> PipelineMetrics {
        var configuration = StreamProcessor.Configuration()
        configuration.drainWhenSourceFinishes = true
        configuration.idleWait = .milliseconds(20)
        configuration.storeRetryBase = .milliseconds(1)
        configure(&configuration)
        let finished = SourceFinishedFlag()
        finished.set()
        var logger = Logger(label: "test.processor")
        logger.logLevel = .critical
        let metrics = PipelineMetrics()
        let processor = StreamProcessor(
            broker: broker, sink: sink, configuration: configuration, metrics: metrics, sourceFinished: finished, logger: logger, clock: clock)
        try await processor.run()
        return metrics
    }

    /// Every batch's slices: one per partition, each continuing where the partition's previous
    /// one ended, records in offset order within `from..<to`.
    func checkContiguous(_ batches: [SinkBatch]) {
        var ends: [Int32: Int64] = [:]
        for (n, batch) in batches.enumerated() {
            #expect(Set(batch.slices.map(\.partition)).count == batch.slices.count, "batch \(n) has a partition twice")
            for slice in batch.slices {
                if let end = ends[slice.partition] { #expect(slice.from == end, "batch \(n), partition \(slice.partition)") }
                ends[slice.partition] = slice.to
                let offsets = slice.records.map(\.offset)
                #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count)
                #expect(offsets.allSatisfy { (slice.from..<slice.to).contains($0) })
            }
        }
    }

    @Test func aBacklogIsWrittenInTransactionsOfTheRecordLimit() async throws {
        try await withTempBroker { broker in
            let input = people(2_000, seed: "backlog")
            var values = input.map { $0.jsonBytes() }
            values.insert(contentsOf: BadRecords.all.prefix(3).map(\.1), at: 1_500)
            try await produce(broker, values)
            let sink = RecordingSink()
            // One row of the second transaction is refused by the store: dead-lettered from
            // the records the processor kept across the polls.
            sink.inner.configure { $0.refusedIDs = [input[1_600].id] }
            let metrics = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let batches = sink.batches
            // 2,003 records in full polls of 100: ten polls per transaction, then the rest (3).
            // One transaction per poll would be 21 writes.
            let read = batches.map { $0.slices.reduce(0) { $0 + Int($1.to - $1.from) } }
            #expect(read.filter { $0 == 1_000 }.count == 2, "\(read)")
            #expect(read.reduce(0, +) == 2_003, "\(read)")
            #expect(batches.count <= 4, "\(read)")
            checkContiguous(batches)
            #expect(sink.inner.snapshot.rows.count == 1_999)
            #expect(sink.inner.snapshot.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 1_999)
            let dead = try await deadLetters(broker)
            #expect(dead.filter { $0.code == "store_rejected" }.count == 1)
            #expect(dead.count == 4)
            #expect(metrics.snapshot.stored == 1_999)
            #expect(metrics.snapshot.consumed == 2_003)
            let group = try await broker.describeGroup("freshet-processor")
            #expect(group.offsets.allSatisfy { $0.latestOffset == ($0.committedOffset ?? 0) })
        }
    }

    @Test func theTimeLimitEndsATransactionOnTheInjectedClock() async throws {
        try await withTempBroker { broker in
            try await produce(broker, people(2_000, seed: "slow").map { $0.jsonBytes() })
            let sink = RecordingSink()
            // Each poll reads the clock once, 200 ms later than the last: the transaction's first
            // record is 600 ms old at its fourth poll (limit 500 ms), so every transaction has
            // four full polls of 100 records.
            _ = try await run(broker, sink, clock: SteppingClock(step: .milliseconds(200))) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000_000, maxBytes: 1 << 30, maxTime: .milliseconds(500))
            }
            let read = sink.batches.map { $0.slices.reduce(0) { $0 + Int($1.to - $1.from) } }
            #expect(read == [400, 400, 400, 400, 400], "\(read)")
            checkContiguous(sink.batches)
            #expect(sink.inner.snapshot.rows.count == 2_000)
        }
    }

    /// A gap on one partition throws the whole transaction away; every partition of it is read
    /// again (the others from where the transaction started), so nothing of them is lost.
    @Test func aGapRereadsEveryPartitionOfTheTransaction() async throws {
        try await withTempBroker { broker in
            let input = people(300, seed: "gap")
            try await produce(broker, input.map { $0.jsonBytes() }, keys: input.map(\.id))
            let sink = AheadOnceSink(ahead: 50)
            // The store holds position 0 for partition 0; the processor is told 50.
            try await sink.inner.write(SinkBatch(slices: [PartitionSlice(topic: "users_created", partition: 0, from: 0, to: 0, records: [])]))
            _ = try await run(broker, sink) { _ in }
            let missing = Set(input.map(\.id)).subtracting(sink.inner.snapshot.rows.keys)
            #expect(missing.isEmpty && sink.inner.snapshot.rows.count == 300, "\(missing.count) of 300 records lost")
            #expect(sink.inner.snapshot.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 300)
            let ends = try await broker.describeTopic("users_created").partitions
            #expect(ends.filter { $0.latestOffset > 0 }.count == 3, "the records are not spread over the partitions")
            for p in ends { #expect(sink.inner.snapshot.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
        }
    }

    @Test func pollsThatAreNotFullAreWrittenOneByOne() async throws {
        try await withTempBroker { broker in
            try await produce(broker, people(90, seed: "low").map { $0.jsonBytes() })
            let sink = RecordingSink()
            _ = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000_000, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            // One poll of 90 (< 100): written at once, not held for more.
            #expect(sink.batches.count == 1)
            #expect(sink.inner.snapshot.rows.count == 90)
        }
    }

    // MARK: Streamed into a store transaction open across polls (TransactionalSink)

    /// Under backlog the processor applies each poll to one open store transaction and commits
    /// it at the record limit: two transactions of 1,000 records, one apply per poll of 100.
    /// The byte limit (held in memory) is smaller than two polls, so gathering in memory would
    /// have written ~20 transactions: streamed, a poll is released once applied.
    @Test func aBacklogStreamsIntoOneOpenStoreTransaction() async throws {
        try await withTempBroker { broker in
            let input = people(2_000, seed: "streamed")
            var values = input.map { $0.jsonBytes() }
            values.insert(contentsOf: BadRecords.all.prefix(3).map(\.1), at: 700)
            try await produce(broker, values, keys: nil)
            let onePoll = values.prefix(100).reduce(0) { $0 + $1.count }
            let sink = TransactionalMemorySink()
            let metrics = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000, maxBytes: onePoll * 3 / 2, maxTime: .seconds(3600))
            }
            let counts = sink.transactionCounts
            // 2,003 records: two transactions of 1,000 (ten polls each, one apply per poll) and the
            // last 3 records, written alone (a poll that is not full is written at once).
            #expect(counts.committed == 2, "\(counts)")
            #expect(counts.applies == 20, "\(counts)")
            #expect(counts.rolledBack == 0)
            let state = sink.snapshot
            #expect(state.writes == 3, "two commits and one plain write")
            #expect(state.rows.count == 2_000)
            #expect(Set(state.rows.keys) == Set(input.map(\.id)))
            #expect(state.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 2_000)
            #expect(metrics.snapshot.stored == 2_000)
            #expect(metrics.snapshot.consumed == 2_003)
            #expect(metrics.snapshot.deadLettered.values.reduce(0, +) == 3)
            #expect(metrics.snapshot.endToEnd.count == 2_000, "every stored record's latency, taken at its commit")
            let ends = try await broker.describeTopic("users_created").partitions
            for p in ends { #expect(state.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
            let group = try await broker.describeGroup("freshet-processor")
            #expect(group.offsets.allSatisfy { $0.latestOffset == ($0.committedOffset ?? 0) })
        }
    }

    /// A commit that fails (the store went away, or the answer was lost) threw the whole
    /// streamed transaction away, and the processor no longer holds its rows: it reads them
    /// again from where the transaction started, gathered in memory until past its end. Every
    /// record is stored and counted once.
    @Test func aFailedCommitRereadsTheStreamedTransaction() async throws {
        try await withTempBroker { broker in
            let input = people(2_000, seed: "streamed-commit")
            try await produce(broker, input.map { $0.jsonBytes() }, keys: input.map(\.id))
            let sink = TransactionalMemorySink()
            sink.failCommits(1)
            let metrics = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let counts = sink.transactionCounts
            #expect(counts.rolledBack == 1, "\(counts)")
            let state = sink.snapshot
            #expect(state.rows.count == 2_000)
            #expect(state.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 2_000)
            #expect(metrics.snapshot.stored == 2_000)
            #expect(metrics.snapshot.consumed == 2_000, "the thrown-away transaction's records count once, when read again")
            #expect(metrics.snapshot.storeErrors >= 1)
            let ends = try await broker.describeTopic("users_created").partitions
            for p in ends { #expect(state.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
        }
    }

    /// An apply that fails while the processor already decodes the next poll (the store went
    /// away): found when the processor next hands a poll over, the transaction is thrown away
    /// and read again; every record is stored and counted once.
    @Test func aFailedApplyInFlightRereadsTheStreamedTransaction() async throws {
        try await withTempBroker { broker in
            let input = people(2_000, seed: "streamed-apply")
            try await produce(broker, input.map { $0.jsonBytes() }, keys: input.map(\.id))
            let sink = TransactionalMemorySink()
            sink.configure { $0.transientFailures = 1 }
            let metrics = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let counts = sink.transactionCounts
            #expect(counts.rolledBack == 1, "\(counts)")
            #expect(counts.committed >= 1, "streaming resumed after the re-read: \(counts)")
            let state = sink.snapshot
            #expect(state.rows.count == 2_000)
            #expect(state.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 2_000)
            #expect(metrics.snapshot.stored == 2_000)
            #expect(metrics.snapshot.consumed == 2_000)
            #expect(metrics.snapshot.storeErrors == 1)
            let ends = try await broker.describeTopic("users_created").partitions
            for p in ends { #expect(state.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
        }
    }

    /// A row the store refuses in the middle of a streamed transaction: the transaction is
    /// rolled back, read again in memory, where the row is isolated and dead-lettered; the rest
    /// is stored once, and the processor streams again afterwards.
    @Test func aRefusedRowInAStreamedTransactionIsDeadLetteredAlone() async throws {
        try await withTempBroker { broker in
            let input = people(3_000, seed: "streamed-refused")
            try await produce(broker, input.map { $0.jsonBytes() }, keys: nil)
            let sink = TransactionalMemorySink()
            sink.configure { $0.refusedIDs = [input[450].id] }
            let metrics = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 1_000, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let state = sink.snapshot
            #expect(state.rows.count == 2_999)
            #expect(state.rows[input[450].id] == nil)
            #expect(state.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 2_999)
            let dead = try await deadLetters(broker)
            #expect(dead.filter { $0.code == "store_rejected" }.count == 1, "\(dead.map(\.code))")
            #expect(metrics.snapshot.stored == 2_999)
            let counts = sink.transactionCounts
            #expect(counts.rolledBack == 1, "\(counts)")
            // After the refused row's transaction was written in memory, later ones stream again.
            #expect(counts.committed >= 1, "\(counts)")
            let ends = try await broker.describeTopic("users_created").partitions
            for p in ends { #expect(state.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
        }
    }

    /// `streamTransactions = false` gathers in memory even for a store that could stream.
    @Test func streamingCanBeTurnedOff() async throws {
        try await withTempBroker { broker in
            try await produce(broker, people(1_000, seed: "not-streamed").map { $0.jsonBytes() }, keys: nil)
            let sink = TransactionalMemorySink()
            _ = try await run(broker, sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 500, maxBytes: 1 << 30, maxTime: .seconds(3600))
                $0.streamTransactions = false
            }
            #expect(sink.transactionCounts.applies == 0)
            #expect(sink.snapshot.rows.count == 1_000)
        }
    }
}

/// A broker whose consumers answer at most `pollLimit` records a poll (as a Kafka fetch answers
/// a share of each partition), and, when `knowsBacklog`, say how much waits past their
/// positions (as a Kafka consumer does from its fetches' high watermarks).
final class ShortPollsBroker: ForwardingBroker, Sendable {
    let base: EmbeddedBroker
    let pollLimit: Int
    let knowsBacklog: Bool
    init(_ base: EmbeddedBroker, pollLimit: Int, knowsBacklog: Bool) {
        self.base = base
        self.pollLimit = pollLimit
        self.knowsBacklog = knowsBacklog
    }

    final class Consumer: BrokerConsumer, Sendable {
        let base: any BrokerConsumer
        let broker: ShortPollsBroker
        init(_ base: any BrokerConsumer, broker: ShortPollsBroker) {
            self.base = base
            self.broker = broker
        }
        var groupID: String { base.groupID }
        var memberID: String { base.memberID }
        func poll(maxRecords: Int?, maxBytes: Int?, maxWait: Duration?) async throws -> [ConsumerRecord] {
            try await base.poll(maxRecords: min(maxRecords ?? broker.pollLimit, broker.pollLimit), maxBytes: maxBytes, maxWait: maxWait)
        }
        func commit() async throws { try await base.commit() }
        func commit(_ offsets: [TopicPartition: Int64]) async throws { try await base.commit(offsets) }
        func seek(_ partition: TopicPartition, to: OffsetSpec) async throws { try await base.seek(partition, to: to) }
        func assignment() async -> [TopicPartition] { await base.assignment() }
        func position(_ partition: TopicPartition) async -> Int64? { await base.position(partition) }
        func backlog() async -> Int64? {
            guard broker.knowsBacklog else { return nil }
            var waiting: Int64 = 0
            for tp in await base.assignment() {
                guard let end = try? await broker.base.describeTopic(tp.topic).partitions.first(where: { $0.partition == tp.partition })?.latestOffset
                else { return nil }
                waiting += max(0, end - (await base.position(tp) ?? 0))
            }
            return waiting
        }
        func close() async throws { try await base.close() }
    }

    func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer { Consumer(try await base.makeConsumer(config), broker: self) }
}

extension TransactionTests {
    /// Polls of 40 records when the processor asks for 100 are "less than full", which alone
    /// reads as caught up: each poll would be its own store transaction. A consumer that knows
    /// more is waiting keeps the transaction open to its record limit, and the processor
    /// gathers short polls to a full poll's worth before each apply; one that does not know
    /// (nil) is taken at its word, poll by poll, as before.
    @Test(arguments: [true, false])
    func aConsumerThatKnowsMoreWaitsKeepsTheTransactionOpen(knowsBacklog: Bool) async throws {
        try await withTempBroker { base in
            let input = people(1_200, seed: "short-polls")
            try await produce(base, input.map { $0.jsonBytes() }, keys: nil)
            let sink = TransactionalMemorySink()
            _ = try await run(ShortPollsBroker(base, pollLimit: 40, knowsBacklog: knowsBacklog), sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 400, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let state = sink.snapshot
            #expect(state.rows.count == 1_200)
            #expect(Set(state.rows.keys) == Set(input.map(\.id)))
            let counts = sink.transactionCounts
            if knowsBacklog {
                // 1,200 records in polls of 40: transactions of 400 records, streamed, each
                // apply gathering polls up to a full poll's worth (three polls, 120 records), not
                // one apply per short poll; once less than a full poll (100) waits, the short
                // polls are caught up and written as they come (the last two, 40 and 40).
                #expect(state.writes <= 6, "\(counts), \(state.writes) writes")
                #expect(counts.committed >= 2, "\(counts)")
                #expect((4...12).contains(counts.applies), "\(counts)")
            } else {
                // Every poll of 40 is written alone.
                #expect(state.writes == 30, "\(counts), \(state.writes) writes")
                #expect(counts.committed == 0)
            }
            let ends = try await base.describeTopic("users_created").partitions
            for p in ends { #expect(state.positions["users_created"]?[p.partition] ?? 0 == p.latestOffset) }
        }
    }
}

extension TransactionTests {
    /// At a low rate a few records arrive while a poll is decoded: a consumer that knows they
    /// wait does not hold the transaction open for them (less than a full poll waits), so each
    /// short poll is written at once, as the latency needs.
    @Test func aSmallBacklogDoesNotHoldTheTransactionOpen() async throws {
        try await withTempBroker { base in
            try await produce(base, people(90, seed: "small-backlog").map { $0.jsonBytes() }, keys: nil)
            let sink = TransactionalMemorySink()
            _ = try await run(ShortPollsBroker(base, pollLimit: 40, knowsBacklog: true), sink) {
                $0.maxBatchRecords = 100
                $0.transaction = .init(maxRecords: 400, maxBytes: 1 << 30, maxTime: .seconds(3600))
            }
            let state = sink.snapshot
            #expect(state.rows.count == 90)
            // Polls of 40, 40 and 10 (50 and 10 waiting after the first two: less than 100).
            #expect(state.writes == 3, "\(sink.transactionCounts), \(state.writes) writes")
            #expect(sink.transactionCounts.committed == 0)
        }
    }
}
