import CoreMetrics
import FreshetContracts
import FreshetCore
import FreshetSource
import Logging
import ServiceLifecycle
import Synchronization

/// The seeds' `stream_data_from_api` task: people from a source, formatted as
/// `users_created` messages, appended to the log keyed by `id` (so one person always lands on
/// the same partition, in the embedded log and in Kafka alike).
///
/// One batch is in flight at a time, and `Backpressure` keeps the source at most
/// `maxUnprocessed` records ahead of the processor: a slow store slows the source down.
public final class IngestService: Service, Sendable {
    let source: any PeopleSource
    let broker: any Broker
    let topic: String
    let metrics: PipelineMetrics
    let backpressure: Backpressure?
    let finished: SourceFinishedFlag
    let logger: Logger
    /// How `users_created` and its dead-letter topic are created when missing (the pipeline
    /// passes `log.partitions`, so every stage creates them alike).
    let topicConfig: TopicConfig
    /// JSON (the default) or Confluent-framed Avro.
    let format: MessageFormat

    public init(
        source: any PeopleSource, broker: any Broker, topic: String = "users_created", metrics: PipelineMetrics,
        backpressure: Backpressure?, finished: SourceFinishedFlag, topicConfig: TopicConfig = TopicConfig(), format: MessageFormat = .json,
        logger: Logger = Logger(label: "freshet.ingest")
    ) {
        self.topicConfig = topicConfig
        self.format = format
        self.source = source
        self.broker = broker
        self.topic = topic
        self.metrics = metrics
        self.backpressure = backpressure
        self.finished = finished
        self.logger = logger
    }

    public func run() async throws {
        if !(try await broker.listTopics()).contains(topic) {
            do {
                try await broker.createTopic(topic, config: topicConfig)
            } catch let error as LogError where error.code == .topicAlreadyExists {}
        }
        let broker = self.broker
        let topic = self.topic
        let topicConfig = self.topicConfig
        let metrics = self.metrics
        let backpressure = self.backpressure
        let source = self.source
        let format = self.format
        let stats: SourceStats
        do {
            stats = try await cancelWhenGracefulShutdown {
                // A source waiting for the processor to catch up must not block the shutdown.
                try await withTaskCancellationHandler {
                    try await Self.ingest(
                        source: source, broker: broker, topic: topic, metrics: metrics, backpressure: backpressure, topicConfig: topicConfig,
                        format: format, logger: self.logger)
                } onCancel: {
                    backpressure?.close()
                }
            }
        } catch is CancellationError {
            // Stopped by a shutdown: what was produced is in the log, durable.
            logger.info("source stopped", metadata: ["stats": "\(source.stats)"])
            metrics.update { $0.source = source.stats }
            return
        }
        metrics.update { $0.source = stats }
        finished.set()
        logger.info("source finished", metadata: ["stats": "\(stats)"])
    }

    /// Streams `source` into `topic` until the source ends, one batch in flight; the scheduler's
    /// stream task uses it directly (no processor, so no backpressure is needed there).
    ///
    /// A person whose message is larger than `maxMessageBytes` (or than the broker accepts) is
    /// not produced: it goes to `<topic>.dlq` as `record_too_large` with a prefix of its
    /// message, or — when even that is refused — is dropped with an error in the log and the
    /// `freshet_records_dropped_total{stage="ingest"}` metric. The source keeps going.
    ///
    /// With `format` `.avro`, each message is Confluent-framed Avro; the schema is registered
    /// under `<topic>-value` with the first batch (`AvroUserCodec.schemaID()`).
    public static func ingest(
        source: any PeopleSource, broker: any Broker, topic: String, metrics: PipelineMetrics, backpressure: Backpressure?,
        maxMessageBytes: Int = DeadLetter.maxRecordBytes, topicConfig: TopicConfig = TopicConfig(), format: MessageFormat = .json,
        logger: Logger = Logger(label: "freshet.ingest")
    ) async throws -> SourceStats {
        let stage = StageMetrics()
        let lastStats = Mutex(SourceStats())
        let deadLetterTopic = topic + ".dlq"
        return try await source.run { people in
            await backpressure?.reserve(people.count)
            var records: [ProducerRecord] = []
            records.reserveCapacity(people.count)
            var tooLarge: [ProducerRecord] = []
            var writer = JSONWriter(capacity: 512)
            var avroSchemaID: UInt32?
            if case .avro(let codec) = format { avroSchemaID = try await codec.schemaID() }
            for person in people {
                writer.bytes.removeAll(keepingCapacity: true)
                if let avroSchemaID {
                    AvroUserCodec.frame(UserCreated(person), schemaID: avroSchemaID, into: &writer.bytes)
                } else {
                    UserCreated.encode(person, into: &writer)
                }
                // A copy of exactly the message's size; the writer keeps its buffer for the next.
                let value = writer.bytes.withUnsafeBufferPointer { [UInt8]($0) }
                let record = ProducerRecord(key: Array(person.login.uuid.utf8), value: value)
                if DeadLetter.size(of: record) > maxMessageBytes { tooLarge.append(record) } else { records.append(record) }
            }
            let started = ContinuousClock.now
            do {
                _ = try await broker.produce(topic: topic, records: records)
            } catch let error as LogError where error.code == .messageTooLarge {
                // The broker's limit is below ours: one at a time, setting aside what it refuses.
                logger.warning("the broker refused a batch as too large; producing one record at a time", metadata: ["error": "\(error)"])
                var accepted: [ProducerRecord] = []
                for record in records {
                    do {
                        _ = try await broker.produce(topic: topic, records: [record])
                        accepted.append(record)
                    } catch let error as LogError where error.code == .messageTooLarge {
                        tooLarge.append(record)
                    }
                }
                records = accepted
            }
            stage.produceDuration.recordNanoseconds(started.duration(to: .now).saturatingNanoseconds)
            stage.produced.increment(by: records.count)
            var dropped = 0
            if !tooLarge.isEmpty {
                dropped = try await deadLetterTooLarge(
                    tooLarge, topic: topic, deadLetterTopic: deadLetterTopic, broker: broker, limit: maxMessageBytes, topicConfig: topicConfig,
                    logger: logger)
                let deadLettered = tooLarge.count - dropped
                stage.deadLettered[.recordTooLarge]?.increment(by: deadLettered)
                if dropped > 0 { stage.droppedByIngest.increment(by: dropped) }
                metrics.update {
                    $0.deadLettered[.recordTooLarge, default: 0] += deadLettered
                    $0.dropped += dropped
                }
                // Nothing of these reaches the processor: give their room back.
                backpressure?.processed(tooLarge.count)
            }
            let sourceStats = source.stats
            lastStats.withLock { previous in
                stage.recordSource(sourceStats, since: previous)
                previous = sourceStats
            }
            metrics.update {
                $0.sourced += people.count
                $0.produced += records.count
                $0.source = sourceStats
            }
        }
    }

    /// Sends people too large for the log to the dead-letter topic (created when missing);
    /// returns how many could not even be dead-lettered.
    static func deadLetterTooLarge(
        _ records: [ProducerRecord], topic: String, deadLetterTopic: String, broker: any Broker, limit: Int,
        topicConfig: TopicConfig = TopicConfig(), logger: Logger
    ) async throws -> Int {
        if !(try await broker.listTopics()).contains(deadLetterTopic) {
            do { try await broker.createTopic(deadLetterTopic, config: topicConfig) } catch let error as LogError where error.code == .topicAlreadyExists {}
        }
        let letters = records.map { record in
            let rejection = Rejection(
                .recordTooLarge, "the message is \(record.value.count) bytes, more than the \(limit) the log accepts; the dead letter keeps its beginning")
            return DeadLetter.record(forUnproduced: record.key, value: record.value, topic: topic, rejection: rejection)
        }
        for record in records {
            logger.error(
                "a person's message is too large for the log; dead-lettering it",
                metadata: [
                    "id": "\(String(decoding: (record.key ?? []).prefix(64), as: UTF8.self))", "bytes": "\(record.value.count)", "limit": "\(limit)",
                ])
        }
        return try await DeadLetter.produce(letters, to: deadLetterTopic, broker: broker, logger: logger)
    }
}
