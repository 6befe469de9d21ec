import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import Logging
import ServiceLifecycle
import UnixSignals

/// The whole pipeline of one process, assembled from a `PipelineConfiguration`:
/// source → embedded log → processor → SQLite store. `freshet up` and `freshet bench e2e`
/// run it; `run()` returns when a bounded run has drained, or after a graceful shutdown.
public final class Pipeline: Sendable {
    public let configuration: PipelineConfiguration
    public let broker: EmbeddedBroker
    public let store: any Sink
    public let metrics: PipelineMetrics
    public let seed: String?
    let processor: StreamProcessor
    let ingest: IngestService
    let backpressure: Backpressure
    let extraServices: [any Service]
    let logger: Logger

    /// Opens the log and the store and builds the services. Call `run()` next, or `close()`.
    /// `sink` replaces the configured store (benchmarks use a discarding one to measure the
    /// rest of the pipeline).
    public static func open(
        _ configuration: PipelineConfiguration, metrics: PipelineMetrics = .init(), extraServices: [any Service] = [],
        sink: (any Sink)? = nil, logger: Logger = Logger(label: "freshet.pipeline")
    ) async throws -> Pipeline {
        var brokerConfig = EmbeddedBrokerConfig(dataDirectory: configuration.dataDir, durability: Self.durability(configuration.log))
        brokerConfig.defaultTopicConfig.partitions = Int32(configuration.log.partitions)
        var logLogger = Logger(label: "freshet.log")
        logLogger.logLevel = max(.notice, logger.logLevel)
        brokerConfig.logger = logLogger
        let broker: EmbeddedBroker
        do {
            broker = try EmbeddedBroker(brokerConfig)
        } catch let error as LogError where error.code == .dataDirLocked {
            throw PipelineError("another freshet process is running on \(configuration.dataDir); stop it or use another --data-dir")
        }
        let store: any Sink
        do {
            let existing = Set(try await broker.listTopics())
            for topic in ["users_created", "users_created.dlq"] where !existing.contains(topic) {
                try await broker.createTopic(topic, config: TopicConfig(partitions: Int32(configuration.log.partitions)))
            }
            if let sink {
                store = sink
            } else {
                store = try await SQLiteStore.open(.init(
                    path: configuration.storePath, synchronous: configuration.store.synchronous == "normal" ? .normal : .full))
            }
        } catch {
            try? await broker.close()
            throw error
        }
        do {
            try await store.prepare()
        } catch {
            try? await store.close()
            try? await broker.close()
            throw error
        }
        return Pipeline(configuration: configuration, broker: broker, store: store, metrics: metrics, extraServices: extraServices, logger: logger)
    }

    init(configuration: PipelineConfiguration, broker: EmbeddedBroker, store: any Sink, metrics: PipelineMetrics, extraServices: [any Service], logger: Logger) {
        self.configuration = configuration
        self.broker = broker
        self.store = store
        self.metrics = metrics
        self.extraServices = extraServices
        self.logger = logger
        let source = configuration.source
        let stop: StopCondition = source.count.map { .count($0) } ?? source.duration.map { .duration($0) } ?? .never
        let nats = source.nationalities
        let people: any PeopleSource
        if source.url == "generator" {
            let seed = source.seed ?? RandomUserGenerator.randomSeed()
            self.seed = seed
            people = GeneratorSource(configuration: .init(
                seed: seed, nationalities: nats.isEmpty ? Nationality.allCases : nats, batchSize: source.batchSize ?? 1000,
                rate: source.rate, stop: stop))
        } else {
            self.seed = source.seed
            var sourceLogger = Logger(label: "freshet.source")
            sourceLogger.logLevel = max(.warning, logger.logLevel)
            people = RandomUserClient(configuration: .init(
                url: source.url, batchSize: source.batchSize ?? 500, requestsPerSecond: source.requestsPerSecond,
                stop: stop, requestTimeout: source.timeout, seed: source.seed, nationalities: nats), logger: sourceLogger)
        }
        backpressure = Backpressure(maxUnprocessed: configuration.processor.maxUnprocessed)
        let finished = SourceFinishedFlag()
        var processorConfig = StreamProcessor.Configuration()
        processorConfig.group = configuration.processor.group
        processorConfig.maxBatchRecords = configuration.processor.maxBatchRecords
        processorConfig.idleWait = configuration.processor.idleWait
        processorConfig.window = configuration.processor.window
        processorConfig.allowedLateness = configuration.processor.allowedLateness
        processorConfig.schema = UserSchema(maxFieldBytes: configuration.processor.maxFieldBytes)
        processorConfig.drainWhenSourceFinishes = configuration.isBounded
        var processorLogger = Logger(label: "freshet.processor")
        processorLogger.logLevel = logger.logLevel
        var ingestLogger = Logger(label: "freshet.ingest")
        ingestLogger.logLevel = logger.logLevel
        processor = StreamProcessor(
            broker: broker, sink: store, configuration: processorConfig, metrics: metrics, backpressure: backpressure,
            sourceFinished: finished, logger: processorLogger)
        ingest = IngestService(source: people, broker: broker, metrics: metrics, backpressure: backpressure, finished: finished, logger: ingestLogger)
    }

    /// Runs until a bounded run has drained, or SIGINT/SIGTERM (when `handleSignals`) or
    /// cancellation; then closes the store and the log.
    public func run(handleSignals: Bool = true) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: processor, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ingest, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        // A companion that fails (e.g. the web UI cannot bind its port) stops the pipeline with
        // its error rather than leaving it running without it.
        for service in extraServices {
            services.append(.init(service: service, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger
        ))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        backpressure.close()
        try? await store.close()
        try? await broker.close()
        if let failure { throw failure }
    }

    static func durability(_ log: PipelineConfiguration.Log) -> Durability {
        switch log.durability {
        case "fsync": .everyBatch
        case "none": .none
        default: .interval(log.commitInterval)
        }
    }
}

extension PipelineConfiguration {
    /// A run with `count` or `duration` drains and ends by itself.
    public var isBounded: Bool { source.count != nil || source.duration != nil }
}

/// A pipeline failure with a one-line cause.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
