import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetTesting
import Logging
import Synchronization
import Testing

@testable import FreshetStream

/// A broker that hands every call to an embedded one unless the conforming type says otherwise
/// (the test brokers below change one or two calls).
protocol ForwardingBroker: Broker {
    var base: EmbeddedBroker { get }
}

extension ForwardingBroker {
    func createTopic(_ name: String, config: TopicConfig) async throws { try await base.createTopic(name, config: config) }
    func deleteTopic(_ name: String) async throws { try await base.deleteTopic(name) }
    func listTopics() async throws -> [String] { try await base.listTopics() }
    func describeTopic(_ name: String) async throws -> TopicDescription { try await base.describeTopic(name) }
    func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] { try await base.produce(topic: topic, records: records) }
    func fetch(topic: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int, maxWait: Duration) async throws -> FetchResult {
        try await base.fetch(topic: topic, partition: partition, offset: offset, maxRecords: maxRecords, maxBytes: maxBytes, maxWait: maxWait)
    }
    func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer { try await base.makeConsumer(config) }
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64] { try await base.committedOffsets(group: group) }
    func commitOffsets(group: String, offsets: [TopicPartition: Int64]) async throws { try await base.commitOffsets(group: group, offsets: offsets) }
    func resetOffsets(group: String, topic: String?, to: OffsetSpec) async throws -> [TopicPartition: Int64] {
        try await base.resetOffsets(group: group, topic: topic, to: to)
    }
    func listGroups() async throws -> [String] { try await base.listGroups() }
    func describeGroup(_ group: String) async throws -> GroupDescription { try await base.describeGroup(group) }
    func close() async throws {}
}

/// A broker that refuses, as Kafka does with MESSAGE_TOO_LARGE, every record of `topic` whose
/// encoded size is over `limit`; everything else goes to `base`.
final class LimitedBroker: ForwardingBroker, Sendable {
    let base: EmbeddedBroker
    let topic: String
    let limit: Int
    init(_ base: EmbeddedBroker, topic: String, limit: Int) {
        self.base = base
        self.topic = topic
        self.limit = limit
    }
    func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] {
        if topic == self.topic, let big = records.first(where: { DeadLetter.size(of: $0) > limit }) {
            throw LogError(.messageTooLarge, "record of \(DeadLetter.size(of: big)) bytes over the injected limit \(limit)")
        }
        return try await base.produce(topic: topic, records: records)
    }
}

/// A consumer that only records commits (for `process` called directly).
final class RecordingConsumer: BrokerConsumer, Sendable {
    let commits = Mutex<[[TopicPartition: Int64]]>([])
    var groupID: String { "g" }
    var memberID: String { "m" }
    func poll(maxRecords: Int?, maxBytes: Int?, maxWait: Duration?) async throws -> [ConsumerRecord] { [] }
    func commit() async throws {}
    func commit(_ offsets: [TopicPartition: Int64]) async throws { commits.withLock { $0.append(offsets) } }
    func seek(_ partition: TopicPartition, to: OffsetSpec) async throws {}
    func assignment() async -> [TopicPartition] { [] }
    func position(_ partition: TopicPartition) async -> Int64? { nil }
    func close() async throws {}
}

/// A source that hands over fixed batches once.
struct FixedSource: PeopleSource {
    let batches: [[RandomUser]]
    func run(deliver: @Sendable ([RandomUser]) async throws -> Void) async throws -> SourceStats {
        for batch in batches { try await deliver(batch) }
        return SourceStats()
    }
    var stats: SourceStats { SourceStats() }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

@Suite("Poison pills and wire values")
struct PoisonPillTests {
    /// An invalid record just under the log's 1 MiB record limit: its dead letter with ~240
    /// bytes of headers used to fail MESSAGE_TOO_LARGE, stop the processor and, uncommitted,
    /// stop it again on every restart. Now the dead letter keeps a prefix and says so.
    static func poisonPill() -> [UInt8] {
        Array("{\"id\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: (1 << 20) - 200)
    }

    @Test func oversizedPoisonPillIsDeadLetteredTruncatedAndTheRecordsBehindItAreStored() async throws {
        try await withTempBroker { broker in
            let before = people(50, seed: "before")
            let after = people(50, seed: "after")
            try await produce(
                broker, before.map { $0.jsonBytes() } + [Self.poisonPill()] + after.map { $0.jsonBytes() }, keys: Array(repeating: "same-partition", count: 101)
            )
            let sink = MemorySink()
            let metrics = try await drain(broker, sink)
            #expect(sink.snapshot.rows.count == 100)
            let dead = try await deadLetters(broker)
            #expect(dead.count == 1)
            let letter = try #require(dead.first)
            #expect(letter.code == RejectionCode.notJSON.rawValue)
            #expect(letter.truncated)
            #expect(letter.originalValueBytes == Self.poisonPill().count)
            #expect(letter.value.count < Self.poisonPill().count && letter.value.count > 900_000)
            #expect(Array(letter.value.prefix(7)) == Array("{\"id\":\"".utf8))
            #expect(letter.sourceOffset == 50)
            #expect(metrics.snapshot.dropped == 0)
            // Offsets committed past the pill.
            let committed = try await broker.committedOffsets(group: "freshet-processor")
            #expect(committed.values.reduce(0, +) == 101)
        }
    }

    /// A restart after the poison pill: nothing is processed twice, and the good records
    /// produced after the restart are stored too.
    @Test func restartAfterThePoisonPillKeepsStoringGoodRecords() async throws {
        try await withTempBroker { broker in
            try await produce(broker, people(20, seed: "a").map { $0.jsonBytes() } + [Self.poisonPill()] + people(20, seed: "b").map { $0.jsonBytes() })
            let sink = MemorySink()
            try await drain(broker, sink)
            #expect(sink.snapshot.rows.count == 40)
            try await produce(broker, [Self.poisonPill()] + people(30, seed: "c").map { $0.jsonBytes() })
            let metrics = try await drain(broker, sink)  // a new processor: a restart
            #expect(sink.snapshot.rows.count == 70)
            #expect(metrics.snapshot.consumed == 31)
            #expect(try await deadLetters(broker).count == 2)
        }
    }

    /// A broker whose limit is below ours (a Kafka cluster with a small `message.max.bytes`):
    /// dead letters go one at a time, then as headers only; one refused even then is dropped
    /// and counted, and the processor commits and keeps going.
    @Test(arguments: [(limit: 4096, dropped: 0, truncated: true), (limit: 100, dropped: 2, truncated: false)])
    func deadLettersTheBrokerRefusesAreCutThenDropped(limit: Int, dropped: Int, truncated: Bool) async throws {
        try await withTempBroker { embedded in
            let broker = LimitedBroker(embedded, topic: "users_created.dlq", limit: limit)
            let bad = Array(repeating: UInt8(ascii: "z"), count: 10_000)
            try await produce(broker, people(10).map { $0.jsonBytes() } + [bad, bad] + people(10, seed: "more").map { $0.jsonBytes() })
            let sink = MemorySink()
            let metrics = try await drain(broker, sink)
            #expect(sink.snapshot.rows.count == 20)
            #expect(metrics.snapshot.dropped == dropped)
            let dead = try await deadLetters(embedded)
            #expect(dead.count == 2 - dropped)
            for letter in dead {
                #expect(letter.truncated == truncated || letter.value.isEmpty)
                #expect(letter.code == RejectionCode.notJSON.rawValue)
            }
            let committed = try await embedded.committedOffsets(group: "freshet-processor")
            #expect(committed.values.reduce(0, +) == 22)
        }
    }

    /// The store-rejected path has the same shape: a refused row whose record is large still
    /// makes a dead letter that fits.
    @Test func storeRejectedDeadLetterOfALargeRecordFits() async throws {
        try await withTempBroker { embedded in
            let broker = LimitedBroker(embedded, topic: "users_created.dlq", limit: 2048)
            var person = people(1, seed: "refused")[0]
            person.address = String(repeating: "a", count: 900)
            let sink = MemorySink()
            sink.configure { $0.refusedIDs = [person.id] }
            try await produce(broker, [person.jsonBytes()] + people(5, seed: "ok").map { $0.jsonBytes() })
            let metrics = try await drain(broker, sink) { $0.maxDeadLetterBytes = 1024 }
            #expect(sink.snapshot.rows.count == 5)
            #expect(metrics.snapshot.deadLettered[.storeRejected] == 1)
            let dead = try await deadLetters(embedded)
            #expect(dead.count == 1 && dead[0].code == "store_rejected" && dead[0].truncated)
        }
    }

    @Test func deadLetterSizeIsBoundedForAnyOriginal() {
        for (keyBytes, valueBytes) in [(0, 0), (10, 1 << 20), (2 << 20, 10), (2 << 20, 2 << 20)] {
            let record = ConsumerRecord(
                topic: "users_created", partition: 1, offset: 7, timestamp: 0,
                key: [UInt8](repeating: 1, count: keyBytes), value: [UInt8](repeating: 2, count: valueBytes), headers: [])
            let rejection = Rejection(.notJSON, String(repeating: "r", count: 10_000))
            let letter = DeadLetter.record(for: record, rejection: rejection)
            #expect(DeadLetter.size(of: letter) <= DeadLetter.maxRecordBytes)
            let truncated = letter.headers.contains { $0.key == DeadLetter.truncatedHeader }
            #expect(truncated == (keyBytes + valueBytes > DeadLetter.maxRecordBytes - 1024))
        }
    }

    /// A person whose message is over the limit (a source returning a 1.1 MB name): it is
    /// dead-lettered as record_too_large, the others of the batch and of later batches are produced.
    @Test func oversizedPersonFromTheSourceIsDeadLetteredAndTheSourceKeepsGoing() async throws {
        try await withTempBroker { broker in
            let generator = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1))
            var batch = generator.page(seed: "big", page: 1, results: 10)
            batch[3].name.first = String(repeating: "N", count: 1_100_000)
            let later = generator.page(seed: "big", page: 2, results: 10)
            let metrics = PipelineMetrics()
            try await broker.createTopic("users_created", config: TopicConfig())
            _ = try await IngestService.ingest(
                source: FixedSource(batches: [batch, later]), broker: broker, topic: "users_created", metrics: metrics,
                backpressure: nil, logger: quietLogger())
            let description = try await broker.describeTopic("users_created")
            #expect(description.partitions.map(\.latestOffset).reduce(0, +) == 19)
            #expect(metrics.snapshot.produced == 19)
            #expect(metrics.snapshot.deadLettered[.recordTooLarge] == 1)
            let dead = try await deadLetters(broker)
            #expect(dead.count == 1)
            #expect(dead.first?.code == "record_too_large" && dead.first?.truncated == true)
            #expect((dead.first?.originalValueBytes ?? 0) > 1_100_000)
        }
    }

    /// Offsets and timestamps a Kafka producer can set: Int64.max / min and friends. The
    /// processor used to trap on `offset + 1` and on the window arithmetic.
    @Test func extremeOffsetsAndTimestampsNeverTrap() async throws {
        try await withTempBroker { broker in
            let sink = MemorySink()
            let processor = StreamProcessor(broker: broker, sink: sink, logger: quietLogger())
            try await processor.ensureTopics()
            let good = people(6, seed: "wire").map { $0.jsonBytes() }
            let timestamps: [Int64] = [.max, .min, -1, 253_402_300_800_000, 0, 1_800_000_000_000]
            var records = zip(good, timestamps).enumerated().map { i, pair in
                ConsumerRecord(topic: "users_created", partition: 0, offset: Int64(i), timestamp: pair.1, key: nil, value: pair.0, headers: [])
            }
            records.append(ConsumerRecord(topic: "users_created", partition: 1, offset: .max, timestamp: 0, key: nil, value: good[0], headers: []))
            records.append(ConsumerRecord(topic: "users_created", partition: 2, offset: -5, timestamp: 0, key: nil, value: good[0], headers: []))
            let consumer = RecordingConsumer()
            var positions: [TopicPartition: Int64] = [:]
            try await processor.process(records, consumer: consumer, positions: &positions)
            #expect(sink.snapshot.rows.count == 2)
            let dead = try await deadLetters(broker)
            #expect(dead.count == 4 && dead.allSatisfy { $0.code == "bad_timestamp" })
            #expect(processor.metrics.snapshot.dropped == 2)
            #expect(consumer.commits.withLock { $0 } == [[TopicPartition("users_created", 0): 6]])
        }
    }

    @Test func windowArithmeticSaturatesForAnyConfiguration() {
        var configuration = StreamProcessor.Configuration()
        configuration.window = .seconds(Int64.max / 2)
        configuration.allowedLateness = .seconds(Int64.max / 2)
        let processor = StreamProcessor(broker: NoBroker(), sink: MemorySink(), configuration: configuration, logger: quietLogger())
        let last = StreamProcessor.acceptedTimestamps.upperBound
        #expect(processor.windowStart(of: last, partition: TopicPartition("t", 0)) != nil)
        // After the last possible timestamp, the epoch is late for any window (no trap either way).
        #expect(processor.windowStart(of: 0, partition: TopicPartition("t", 0)) == nil)
        #expect(StreamProcessor.age(of: .min, now: .max) == 0)
        #expect(StreamProcessor.age(of: 10, now: 5) == 0)
    }
}

/// A broker for code paths that must not touch one.
struct NoBroker: Broker {
    struct Unused: Error {}
    func createTopic(_ name: String, config: TopicConfig) async throws { throw Unused() }
    func deleteTopic(_ name: String) async throws { throw Unused() }
    func listTopics() async throws -> [String] { throw Unused() }
    func describeTopic(_ name: String) async throws -> TopicDescription { throw Unused() }
    func produce(topic: String, records: [ProducerRecord]) async throws -> [RecordMetadata] { throw Unused() }
    func fetch(topic: String, partition: Int32, offset: Int64, maxRecords: Int, maxBytes: Int, maxWait: Duration) async throws -> FetchResult { throw Unused() }
    func makeConsumer(_ config: ConsumerConfig) async throws -> any BrokerConsumer { throw Unused() }
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64] { throw Unused() }
    func commitOffsets(group: String, offsets: [TopicPartition: Int64]) async throws { throw Unused() }
    func resetOffsets(group: String, topic: String?, to: OffsetSpec) async throws -> [TopicPartition: Int64] { throw Unused() }
    func listGroups() async throws -> [String] { throw Unused() }
    func describeGroup(_ group: String) async throws -> GroupDescription { throw Unused() }
    func close() async throws {}
}
