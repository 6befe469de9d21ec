import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetStream
import FreshetTesting
import Logging
import Testing

/// A broker in a fresh temporary directory, closed and removed after `body`.
func withTempBroker<R: Sendable>(_ body: (EmbeddedBroker) async throws -> R) async throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-stream-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var config = EmbeddedBrokerConfig(dataDirectory: dir, durability: .none)
    var logger = Logger(label: "test.log")
    logger.logLevel = .critical
    config.logger = logger
    return try await EmbeddedBroker.withBroker(config, body)
}

/// Runs a processor until it has drained the topic.
@discardableResult
func drain(
    _ broker: any Broker, _ sink: any Sink, metrics: PipelineMetrics = .init(), configure: (inout StreamProcessor.Configuration) -> Void = { _ in }
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
    let processor = StreamProcessor(broker: broker, sink: sink, configuration: configuration, metrics: metrics, sourceFinished: finished, logger: logger)
    try await processor.run()
    return metrics
}

func people(_ n: Int, seed: String = "stream") -> [UserCreated] {
    RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1)).page(seed: seed, page: 1, results: n).map(UserCreated.init)
}

func produce(_ broker: any Broker, _ values: [[UInt8]], keys: [String?]? = nil, timestamps: [Int64]? = nil) async throws {
    if !(try await broker.listTopics()).contains("users_created") {
        try await broker.createTopic("users_created", config: TopicConfig())
    }
    let records = values.enumerated().map { i, value in
        ProducerRecord(key: keys?[i].map { Array($0.utf8) }, value: value, timestamp: timestamps?[i])
    }
    _ = try await broker.produce(topic: "users_created", records: records)
}

func deadLetters(_ broker: any Broker) async throws -> [DeadLetter.Entry] {
    var entries: [DeadLetter.Entry] = []
    let description = try await broker.describeTopic("users_created.dlq")
    for p in description.partitions where p.latestOffset > 0 {
        let result = try await broker.fetch(
            topic: "users_created.dlq", partition: p.partition, offset: 0, maxRecords: 10_000, maxBytes: 64 << 20, maxWait: .zero)
        entries += result.records.map(DeadLetter.entry(from:))
    }
    return entries
}

@Suite("Stream processor")
struct ProcessorTests {
    @Test func storesGoodRecordsAndDeadLettersEveryBadClass() async throws {
        try await withTempBroker { broker in
            let good = people(300)
            var values: [[UInt8]] = []
            var expectedCodes: [String] = []
            // Bad records interleaved with good ones.
            for (i, person) in good.enumerated() {
                values.append(person.jsonBytes())
                if i % 17 == 0, let bad = BadRecords.all[safe: i / 17] {
                    values.append(bad.1)
                    expectedCodes.append(bad.2.rawValue)
                }
            }
            try await produce(broker, values)
            let sink = MemorySink()
            let metrics = try await drain(broker, sink)

            let state = sink.snapshot
            #expect(state.rows.count == good.count)
            for person in good {
                let row = try #require(state.rows[person.id])
                #expect(row.email == person.email)
                #expect(row.country == UserSchema.country(of: person.address))
                #expect(row.emailDomain == "example.com")
            }
            let dead = try await deadLetters(broker)
            #expect(dead.map(\.code).sorted() == expectedCodes.sorted())
            for entry in dead {
                #expect(entry.sourceTopic == "users_created")
                #expect(entry.sourceOffset >= 0)
                #expect(!entry.reason.isEmpty)
            }
            // The original bytes travel unchanged.
            let originals = Set(BadRecords.all.map(\.1))
            #expect(dead.allSatisfy { originals.contains($0.value) })
            #expect(metrics.snapshot.totalDeadLettered == expectedCodes.count)
            // Everything committed.
            let group = try await broker.describeGroup("freshet-processor")
            #expect(group.offsets.allSatisfy { $0.latestOffset == ($0.committedOffset ?? 0) })
            #expect(state.windows[.init(start: 0, dimension: "total", value: ""), default: -1] == -1)
            #expect(state.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == good.count)
        }
    }

    @Test func aReplayAfterACrashNeitherDuplicatesNorRecounts() async throws {
        try await withTempBroker { broker in
            try await produce(broker, people(500).map { $0.jsonBytes() })
            let sink = MemorySink()
            try await drain(broker, sink)
            let before = sink.snapshot
            // The crash: the store has the batch, the group's commit was lost.
            _ = try await broker.resetOffsets(group: "freshet-processor", topic: "users_created", to: .earliest)
            let metrics = try await drain(broker, sink)
            let after = sink.snapshot
            #expect(after.rows == before.rows)
            #expect(after.windows == before.windows)
            #expect(metrics.snapshot.skippedReplays == 500)
            #expect(metrics.snapshot.stored == 0)
        }
    }

    @Test func transientStoreFailuresAreRetriedWithoutLoss() async throws {
        try await withTempBroker { broker in
            let input = people(200)
            try await produce(broker, input.map { $0.jsonBytes() })
            let sink = MemorySink()
            sink.configure { $0.transientFailures = 4 }
            let metrics = try await drain(broker, sink)
            #expect(sink.snapshot.rows.count == 200)
            #expect(sink.snapshot.failedWrites == 4)
            #expect(metrics.snapshot.storeErrors == 4)
            #expect(try await deadLetters(broker).isEmpty)
        }
    }

    @Test func aRowTheStoreRefusesGoesToTheDeadLetterTopic() async throws {
        try await withTempBroker { broker in
            let input = people(50)
            try await produce(broker, input.map { $0.jsonBytes() })
            let sink = MemorySink()
            sink.configure { $0.refusedIDs = [input[7].id] }
            let metrics = try await drain(broker, sink)
            #expect(sink.snapshot.rows.count == 49)
            #expect(sink.snapshot.rows[input[7].id] == nil)
            let dead = try await deadLetters(broker)
            #expect(dead.count == 1)
            #expect(dead.first?.code == "store_rejected")
            #expect(try UserCreated.decode(dead.first?.value ?? []).id == input[7].id)
            #expect(metrics.snapshot.deadLettered[.storeRejected] == 1)
            #expect(sink.snapshot.windows.filter { $0.key.dimension == "total" }.values.reduce(0, +) == 49)
        }
    }

    @Test func perMinuteWindowsByIngestTimeWithAllowedLateness() async throws {
        try await withTempBroker { broker in
            let input = people(6)
            let minute: Int64 = 60_000
            let base: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % minute
            // Three in minute 0, two in minute 2, then one 3 minutes late (beyond 60 s lateness).
            let timestamps = [base + 1, base + 2, base + 59_999, base + 2 * minute, base + 2 * minute + 5, base + 10]
            try await produce(broker, input.map { $0.jsonBytes() }, timestamps: timestamps)
            let sink = MemorySink()
            let metrics = try await drain(broker, sink) { $0.maxBatchRecords = 5 }
            let windows = sink.snapshot.windows
            #expect(windows[.init(start: base, dimension: "total", value: "")] == 3)
            #expect(windows[.init(start: base + 2 * minute, dimension: "total", value: "")] == 2)
            #expect(metrics.snapshot.lateForWindows == 1)
            // The late record is stored all the same.
            #expect(sink.snapshot.rows.count == 6)
            let genders = windows.filter { $0.key.dimension == "gender" && $0.key.start == base }.values.reduce(0, +)
            #expect(genders == 3)
        }
    }
}

@Suite("Stream processor, live")
struct LiveProcessorTests {
    @Test func badRecordsArrivingWhileRunningDoNotStopIt() async throws {
        try await withTempBroker { broker in
            try await produce(broker, [])
            let sink = MemorySink()
            var configuration = StreamProcessor.Configuration()
            configuration.idleWait = .milliseconds(20)
            var logger = Logger(label: "test.processor")
            logger.logLevel = .critical
            let metrics = PipelineMetrics()
            let processor = StreamProcessor(broker: broker, sink: sink, configuration: configuration, metrics: metrics, logger: logger)
            let running = Task { try await processor.run() }

            // Three rounds of good records with every class of bad record between them.
            var good = 0
            for round in 0..<3 {
                let batch = people(40, seed: "live-\(round)")
                var values = batch.map { $0.jsonBytes() }
                values.insert(contentsOf: BadRecords.all.map(\.1), at: 20)
                try await produce(broker, values)
                good += batch.count
                // A hang guard, not a timing check: the whole suite runs in parallel on 2 cores.
                let deadline = ContinuousClock.now + .seconds(60)
                while sink.snapshot.rows.count < good || metrics.snapshot.totalDeadLettered < BadRecords.all.count * (round + 1) {
                    guard ContinuousClock.now < deadline else { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(sink.snapshot.rows.count == good)
                #expect(metrics.snapshot.totalDeadLettered == BadRecords.all.count * (round + 1))
            }
            let dead = try await deadLetters(broker)
            #expect(dead.count == BadRecords.all.count * 3)
            for code in RejectionCode.allCases where code != .storeRejected {
                #expect(dead.filter { $0.code == code.rawValue }.count == 3 * BadRecords.all.filter { $0.2 == code }.count)
            }
            running.cancel()
            try? await running.value
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
