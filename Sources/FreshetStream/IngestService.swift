import CoreMetrics
import FreshetCore
import FreshetLog
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

    public init(
        source: any PeopleSource, broker: any Broker, topic: String = "users_created", metrics: PipelineMetrics,
        backpressure: Backpressure?, finished: SourceFinishedFlag, logger: Logger = Logger(label: "freshet.ingest")
    ) {
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
                try await broker.createTopic(topic, config: TopicConfig())
            } catch let error as LogError where error.code == .topicAlreadyExists {}
        }
        let broker = self.broker
        let topic = self.topic
        let metrics = self.metrics
        let backpressure = self.backpressure
        let source = self.source
        let stats: SourceStats
        do {
            stats = try await cancelWhenGracefulShutdown {
                // A source waiting for the processor to catch up must not block the shutdown.
                try await withTaskCancellationHandler {
                    try await Self.ingest(source: source, broker: broker, topic: topic, metrics: metrics, backpressure: backpressure)
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
    public static func ingest(source: any PeopleSource, broker: any Broker, topic: String, metrics: PipelineMetrics, backpressure: Backpressure?) async throws -> SourceStats {
        let stage = StageMetrics()
        let lastStats = Mutex(SourceStats())
        return try await source.run { people in
            await backpressure?.reserve(people.count)
            var records: [ProducerRecord] = []
            records.reserveCapacity(people.count)
            var writer = JSONWriter(capacity: 512)
            for person in people {
                let message = UserCreated(person)
                writer.bytes.removeAll(keepingCapacity: true)
                message.encode(into: &writer)
                records.append(ProducerRecord(key: Array(message.id.utf8), value: writer.bytes))
            }
            let started = ContinuousClock.now
            _ = try await broker.produce(topic: topic, records: records)
            stage.produceDuration.recordNanoseconds(started.duration(to: .now).nanoseconds)
            stage.produced.increment(by: records.count)
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
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
