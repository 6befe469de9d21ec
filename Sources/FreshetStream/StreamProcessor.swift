import CoreMetrics
import FreshetCore
import FreshetLog
import FreshetStore
import Logging
import ServiceLifecycle
import Synchronization

/// The seeds' Spark Structured Streaming job: consume `users_created` in micro-batches,
/// parse with an explicit schema, validate, transform, and write `created_users`.
///
/// Guarantees: a batch's rows, window counts and log positions reach the store in one
/// transaction; only then are the offsets committed to the broker. After a crash the
/// processor skips records the store already has (its positions are ahead of the group's
/// committed offsets), so nothing is lost, nothing is stored or counted twice.
public final class StreamProcessor: Service, Sendable {
    public struct Configuration: Sendable {
        /// Defaults to "users_created".
        public var topic: String = "users_created"
        /// Defaults to "users_created.dlq".
        public var deadLetterTopic: String = "users_created.dlq"
        /// Consumer group. Defaults to "freshet-processor".
        public var group: String = "freshet-processor"
        /// Most records per micro-batch (one store transaction). Defaults to 5,000: under load
        /// batches fill up; at low rates every poll returns at once with what is there.
        public var maxBatchRecords: Int = 5000
        /// Most bytes per micro-batch. Defaults to 8 MiB.
        public var maxBatchBytes: Int = 8 << 20
        /// How long an idle poll waits for data. Defaults to 100 ms.
        public var idleWait: Duration = .milliseconds(100)
        /// Tumbling window size for the per-minute counts. Defaults to 60 s.
        public var window: Duration = .seconds(60)
        /// How late (behind the newest ingest time seen) a record may be and still count in its
        /// window. Defaults to 60 s.
        public var allowedLateness: Duration = .seconds(60)
        /// The message schema and its limits.
        public var schema: UserSchema = UserSchema()
        /// First retry delay of a failed store write; doubles up to `storeRetryMax`. Defaults to 100 ms.
        public var storeRetryBase: Duration = .milliseconds(100)
        /// Defaults to 5 s.
        public var storeRetryMax: Duration = .seconds(5)
        /// Attempts of a row the store rejects before it is dead-lettered. Defaults to 3.
        public var rowAttempts: Int = 3
        /// Exit once the source has finished and the processor has reached the end of the log.
        public var drainWhenSourceFinishes: Bool = false
        /// The largest dead letter (key, value and headers); a larger original keeps a prefix.
        /// Defaults to `DeadLetter.maxRecordBytes` (1 MiB − 64 KiB), which fits the embedded log
        /// and Kafka's default `message.max.bytes`.
        public var maxDeadLetterBytes: Int = DeadLetter.maxRecordBytes

        public init() {}
    }

    let broker: any Broker
    let sink: any Sink
    public let configuration: Configuration
    let metrics: PipelineMetrics
    let backpressure: Backpressure?
    let logger: Logger
    let sourceFinished: SourceFinishedFlag
    /// Newest ingest time seen per partition. The watermark is the oldest of these minus the
    /// allowed lateness: a partition that lags behind holds the watermark back, so its records
    /// are not declared late just because another partition is ahead.
    let newestPerPartition = Mutex<[TopicPartition: Int64]>([:])
    let stage = StageMetrics()

    public init(
        broker: any Broker, sink: any Sink, configuration: Configuration = .init(), metrics: PipelineMetrics = .init(),
        backpressure: Backpressure? = nil, sourceFinished: SourceFinishedFlag = .init(), logger: Logger = Logger(label: "freshet.processor")
    ) {
        self.broker = broker
        self.sink = sink
        self.configuration = configuration
        self.metrics = metrics
        self.backpressure = backpressure
        self.sourceFinished = sourceFinished
        self.logger = logger
    }

    public func run() async throws {
        try await ensureTopics()
        var consumerConfig = ConsumerConfig(groupID: configuration.group, topics: [configuration.topic], resetPolicy: .earliest)
        consumerConfig.maxPollRecords = configuration.maxBatchRecords
        consumerConfig.maxPollBytes = configuration.maxBatchBytes
        consumerConfig.maxWait = configuration.idleWait
        consumerConfig.clientID = "freshet-processor"
        let consumer = try await broker.makeConsumer(consumerConfig)
        var storePositions: [TopicPartition: Int64] = [:]
        // Partitions whose store position is known; a partition must be in here before any of
        // its records is processed, however the poll and the assignment interleave.
        var loaded = Set<TopicPartition>()
        var knownAssignment: [TopicPartition] = []
        do {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let records = try await consumer.poll(maxRecords: nil, maxBytes: nil, maxWait: nil)
                let assignment = await consumer.assignment()
                if assignment != knownAssignment {
                    // A revoked partition may be advanced by another processor before it comes back.
                    knownAssignment = assignment
                    loaded.formIntersection(assignment)
                    logger.info("assigned partitions", metadata: ["partitions": "\(assignment.map(\.description).joined(separator: ","))"])
                }
                let inBatch = Set(records.map { TopicPartition($0.topic, $0.partition) })
                if !inBatch.isSubset(of: loaded) {
                    // Learn how far the store already is for these partitions (records below that
                    // position were applied before a crash and are skipped).
                    let stored = try await sink.positions(topic: configuration.topic)
                    for tp in inBatch.subtracting(loaded) {
                        storePositions[tp] = stored[tp.partition]
                        loaded.insert(tp)
                    }
                }
                if records.isEmpty {
                    if configuration.drainWhenSourceFinishes, sourceFinished.isSet, try await caughtUp(consumer) { break }
                    continue
                }
                try await process(records, consumer: consumer, storePositions: &storePositions)
            }
        } catch {
            try? await consumer.close()
            throw error
        }
        try await consumer.close()
    }

    /// True when every owned partition's position is at the end of the log.
    func caughtUp(_ consumer: any BrokerConsumer) async throws -> Bool {
        let description = try await broker.describeTopic(configuration.topic)
        let assignment = await consumer.assignment()
        guard !assignment.isEmpty else { return false }
        for tp in assignment {
            guard let latest = description.partitions.first(where: { $0.partition == tp.partition })?.latestOffset else { return false }
            let position = await consumer.position(tp) ?? 0
            if position < latest { return false }
        }
        return true
    }

    func ensureTopics() async throws {
        let existing = Set(try await broker.listTopics())
        for topic in [configuration.topic, configuration.deadLetterTopic] where !existing.contains(topic) {
            do {
                try await broker.createTopic(topic, config: TopicConfig())
            } catch let error as LogError where error.code == .topicAlreadyExists {
                // Created concurrently by the ingest side: fine.
            }
        }
    }

    /// One accepted record, for the window counts.
    struct Event {
        var partition: TopicPartition
        var timestamp: Int64
        var id: String
        var gender: String
        var country: String
        var nat: String?
    }

    func process(_ records: [ConsumerRecord], consumer: any BrokerConsumer, storePositions: inout [TopicPartition: Int64]) async throws {
        var rows: [CreatedUserRow] = []
        rows.reserveCapacity(records.count)
        var rowIndex: [String: Int] = [:]
        var recordForRow: [ConsumerRecord] = []
        var events: [Event] = []
        events.reserveCapacity(records.count)
        var deadLetters: [ProducerRecord] = []
        var deadCodes: [RejectionCode: Int] = [:]
        var next: [TopicPartition: Int64] = [:]
        var skipped = 0
        var dropped = 0
        for record in records {
            let tp = TopicPartition(record.topic, record.partition)
            // Offsets and timestamps come from the wire: any Int64. An offset with no successor
            // cannot be committed past, so the record is dropped (and logged), never trapped on.
            guard record.offset >= 0, record.offset < Int64.max else {
                dropped += 1
                logger.error("dropped a record with an impossible offset", metadata: ["partition": "\(tp)", "offset": "\(record.offset)"])
                continue
            }
            next[tp] = record.offset + 1
            if let stored = storePositions[tp], record.offset < stored {
                skipped += 1
                continue
            }
            guard Self.acceptedTimestamps.contains(record.timestamp) else {
                let rejection = Rejection(.badTimestamp, "log timestamp \(record.timestamp) is outside 1970-01-01…9999-12-31 (milliseconds since the epoch)")
                deadLetters.append(DeadLetter.record(for: record, rejection: rejection, maxBytes: configuration.maxDeadLetterBytes))
                deadCodes[rejection.code, default: 0] += 1
                continue
            }
            switch configuration.schema.row(from: record.value, ingestedAt: record.timestamp) {
            case .success(let row):
                // The same id twice in one batch: the later record wins, as an upsert would.
                if let existing = rowIndex[row.id] {
                    rows[existing] = row
                    recordForRow[existing] = record
                } else {
                    rowIndex[row.id] = rows.count
                    rows.append(row)
                    recordForRow.append(record)
                }
                events.append(Event(partition: tp, timestamp: record.timestamp, id: row.id, gender: row.gender, country: row.country, nat: row.nat))
            case .failure(let rejection):
                deadLetters.append(DeadLetter.record(for: record, rejection: rejection, maxBytes: configuration.maxDeadLetterBytes))
                deadCodes[rejection.code, default: 0] += 1
            }
        }

        // Dead letters first: if we crash before the store write, the replay sends them again
        // (at least once), whereas the other order could lose them. A dead letter the broker
        // refuses even as bare headers is dropped (counted, logged): it must not stop the pipeline.
        let undeliverable = try await DeadLetter.produce(deadLetters, to: configuration.deadLetterTopic, broker: broker, logger: logger)
        dropped += undeliverable

        let positions = next.map { StreamPosition(topic: $0.key.topic, partition: $0.key.partition, nextOffset: $0.value) }
            .sorted { $0.partition < $1.partition }
        let watermarkBefore = newestPerPartition.withLock { $0 }
        let (windows, late) = windowIncrements(for: events)
        let started = ContinuousClock.now
        let rejected = try await write(SinkBatch(rows: rows, windowIncrements: windows, positions: positions), events: events, watermarkBefore: watermarkBefore)
        let writeMicros = micros(started.duration(to: .now))
        if !rejected.isEmpty {
            var storeDead: [ProducerRecord] = []
            for (row, error) in rejected {
                guard let index = rowIndex[row.id] else { continue }
                let record = recordForRow[index]
                storeDead.append(DeadLetter.record(
                    for: record, rejection: Rejection(.storeRejected, "the store refused the row after \(configuration.rowAttempts) attempts: \(error)"),
                    maxBytes: configuration.maxDeadLetterBytes))
            }
            let undeliverable = try await DeadLetter.produce(storeDead, to: configuration.deadLetterTopic, broker: broker, logger: logger)
            dropped += undeliverable
            deadCodes[.storeRejected, default: 0] += storeDead.count - undeliverable
        }
        for (tp, offset) in next { storePositions[tp] = offset }

        try await consumer.commit(next)

        let now = Self.wallClockMillis()
        stage.consumed.increment(by: records.count)
        stage.stored.increment(by: rows.count - rejected.count)
        stage.skippedReplays.increment(by: skipped)
        stage.lateForWindows.increment(by: late)
        stage.batchSize.record(records.count)
        stage.storeWrite.recordMicroseconds(writeMicros)
        if dropped > 0 { stage.droppedByProcessor.increment(by: dropped) }
        for (code, n) in deadCodes { stage.deadLettered[code]?.increment(by: n) }
        for event in events { stage.endToEnd.recordMilliseconds(Self.age(of: event.timestamp, now: now)) }
        metrics.update { m in
            m.consumed += records.count
            m.stored += rows.count - rejected.count
            m.skippedReplays += skipped
            m.lateForWindows += late
            m.storeWrites += 1
            m.storeWrite.record(micros: writeMicros)
            m.dropped += dropped
            for (code, n) in deadCodes { m.deadLettered[code, default: 0] += n }
            for event in events { m.endToEnd.record(micros: Self.age(of: event.timestamp, now: now) * 1000) }
        }
        backpressure?.processed(records.count)
    }

    /// Per-minute counts (total, gender, country, nat) of the accepted events, by ingest time.
    /// Events are taken in log order; an event whose window ended at or before the watermark
    /// no longer counts (its window is closed). The watermark only moves forward.
    /// `startingFrom` recounts from an earlier watermark state without moving the watermark.
    func windowIncrements(for events: [Event], startingFrom earlier: [TopicPartition: Int64]? = nil) -> ([WindowCount], late: Int) {
        // Both at most a day by configuration; clamped here so that no value of a hand-built
        // Configuration can overflow, and event timestamps are in `acceptedTimestamps`.
        let size = max(1, min(configuration.window.components.seconds, 366 * 86_400) * 1000)
        let lateness = max(0, min(configuration.allowedLateness.components.seconds, 366 * 86_400)) * 1000
        var counts: [WindowKey: Int] = [:]
        var late = 0
        newestPerPartition.withLock { newest in
            var local = earlier ?? newest
            for event in events {
                local[event.partition] = max(local[event.partition] ?? Int64.min, event.timestamp)
                let watermark = (local.values.min() ?? Int64.min) &- lateness
                let start = event.timestamp - ((event.timestamp % size) + size) % size
                if start + size <= watermark {
                    late += 1
                    continue
                }
                counts[WindowKey(start: start, dimension: "total", value: ""), default: 0] += 1
                counts[WindowKey(start: start, dimension: "gender", value: event.gender), default: 0] += 1
                counts[WindowKey(start: start, dimension: "country", value: event.country), default: 0] += 1
                if let nat = event.nat { counts[WindowKey(start: start, dimension: "nat", value: nat), default: 0] += 1 }
            }
            if earlier == nil { newest = local }
        }
        let windows = counts.map { WindowCount(windowStart: $0.key.start, dimension: $0.key.dimension, value: $0.key.value, count: $0.value) }
            .sorted { ($0.windowStart, $0.dimension, $0.value) < ($1.windowStart, $1.dimension, $1.value) }
        return (windows, late)
    }

    struct WindowKey: Hashable {
        var start: Int64
        var dimension: String
        var value: String
    }

    /// Writes the batch, retrying while the store is unavailable. When the store refuses a row
    /// permanently (a `SinkFailure` naming it), each row is tried on its own; the refused ones are returned (to be
    /// dead-lettered) and the batch's windows and positions are written without them.
    func write(_ batch: SinkBatch, events: [Event], watermarkBefore: [TopicPartition: Int64]) async throws -> [(CreatedUserRow, any Error)] {
        do {
            try await writeRetrying(batch)
            return []
        } catch let failure as any SinkFailure where failure.rejectedRowID != nil {
            logger.warning("store rejected a row; isolating", metadata: ["row": "\(failure.rejectedRowID ?? "?")", "error": "\(failure)"])
        }
        var refused: [(CreatedUserRow, any Error)] = []
        for row in batch.rows {
            var attempt = 0
            while true {
                do {
                    try await writeRetrying(SinkBatch(rows: [row], windowIncrements: [], positions: []))
                    break
                } catch let error as any SinkFailure where error.rejectedRowID != nil {
                    attempt += 1
                    if attempt >= configuration.rowAttempts {
                        refused.append((row, error))
                        break
                    }
                }
            }
        }
        let refusedIDs = Set(refused.map(\.0.id))
        let (windows, _) = windowIncrements(for: events.filter { !refusedIDs.contains($0.id) }, startingFrom: watermarkBefore)
        try await writeRetrying(SinkBatch(rows: [], windowIncrements: windows, positions: batch.positions))
        return refused
    }

    /// Retries any failure that is not a row's fault, with capped exponential backoff, until it
    /// succeeds or the service is shut down (then nothing is committed, and nothing is lost).
    func writeRetrying(_ batch: SinkBatch) async throws {
        var delay = configuration.storeRetryBase
        while true {
            do {
                try await sink.write(batch)
                return
            } catch let error as any SinkFailure where error.rejectedRowID != nil {
                throw error
            } catch {
                metrics.update { $0.storeErrors += 1 }
                stage.storeErrors.increment()
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                logger.error("store write failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.storeRetryMax)
            }
        }
    }

    /// Log timestamps the processor accepts: 1970-01-01 … 9999-12-31 in milliseconds. Window
    /// arithmetic on them (`start + size`, `now - timestamp`) cannot overflow; a record outside
    /// is dead-lettered as `bad_timestamp`.
    public static let acceptedTimestamps: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Milliseconds from `timestamp` to `now`, at least 0 (a clock behind the log's is not negative latency).
    static func age(of timestamp: Int64, now: Int64) -> Int64 {
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        return overflow ? 0 : min(max(0, age), Int64.max / 1000)
    }

    func micros(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
    }

    static func wallClockMillis() -> Int64 {
        Timestamp.now().millisecondsSinceEpoch
    }
}

/// Set once the source has produced its last record (bounded runs).
public final class SourceFinishedFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}
