import FreshetCassandra
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetPostgres
import FreshetSource
import FreshetStore
import FreshetStream
import Logging
import ServiceLifecycle
import UnixSignals

/// The whole pipeline of one process, assembled from a `PipelineConfiguration`:
/// source → log (embedded, or a Kafka cluster) → processor → SQLite store. `freshet up`,
/// `freshet ingest`, `freshet process` and `freshet bench e2e` run it; `run()` returns when a
/// bounded run has drained, or after a graceful shutdown.
public final class Pipeline: Sendable {
    public let configuration: PipelineConfiguration
    public let role: PipelineRole
    public let broker: any Broker
    /// The store; `nil` for the ingest role, which has none.
    public let sink: (any Sink)?
    public let metrics: PipelineMetrics
    public let seed: String?
    /// How `users_created` values are written and read (`topic.format`).
    public let format: MessageFormat
    /// The schema registry of `topic.format: avro` (nil for JSON without one).
    public let schemaRegistry: (any SchemaRegistry)?
    let processor: StreamProcessor?
    let ingest: IngestService?
    let backpressure: Backpressure?
    let logger: Logger

    /// The store of a pipeline that has one (every role but ingest).
    public var store: any Sink {
        guard let sink else { preconditionFailure("the ingest role has no store") }
        return sink
    }

    /// Opens the log and the store and builds the services. Call `run()` next, or `close()`.
    /// `sink` replaces the configured store (benchmarks use a discarding one to measure the
    /// rest of the pipeline). `broker` replaces the embedded log (the CLI passes a Kafka
    /// client for `broker.url: kafka://…`); the pipeline closes it either way.
    /// `schemaRegistry` is where `topic.format: avro` registers and looks up schemas; or
    /// `makeSchemaRegistry` makes it on the pipeline's broker once that is open (a registry kept
    /// in the log's `_schemas` topic). Avro with neither is a `ConfigurationError` naming
    /// `topic.format`.
    public static func open(
        _ configuration: PipelineConfiguration, role: PipelineRole = .all, broker external: (any Broker)? = nil,
        metrics: PipelineMetrics = .init(),
        sink: (any Sink)? = nil, schemaRegistry: (any SchemaRegistry)? = nil, makeSchemaRegistry: SchemaRegistryFactory? = nil,
        logger: Logger = Logger(label: "freshet.pipeline")
    ) async throws -> Pipeline {
        do {
            try checkFormat(configuration, hasRegistry: schemaRegistry != nil || makeSchemaRegistry != nil)
        } catch {
            try? await external?.close()
            try? await sink?.close()
            throw error
        }
        let broker: any Broker
        if let external {
            broker = external
        } else {
            do {
                broker = try openEmbeddedLog(configuration, role: role, logger: logger)
            } catch {
                try? await sink?.close()
                throw error
            }
        }
        var store: (any Sink)?
        let format: MessageFormat
        var registry = schemaRegistry
        do {
            if registry == nil, configuration.topic.format == .avro, let makeSchemaRegistry { registry = try await makeSchemaRegistry(broker) }
            format = try messageFormat(configuration, schemaRegistry: registry, logger: logger)
            let existing = Set(try await broker.listTopics())
            for topic in ["users_created", "users_created.dlq"] where !existing.contains(topic) {
                do {
                    try await broker.createTopic(topic, config: TopicConfig(partitions: Int32(configuration.log.partitions)))
                } catch let error as LogError where error.code == .topicAlreadyExists {
                    // Another process of the pipeline created it meanwhile.
                }
            }
            if let sink {
                store = sink
            } else if role != .ingest {
                store = try await openStore(configuration)
            }
        } catch {
            try? await broker.close()
            throw error
        }
        do {
            try await store?.prepare()
        } catch {
            try? await store?.close()
            try? await broker.close()
            throw error
        }
        return Pipeline(
            configuration: configuration, role: role, broker: broker, store: store, metrics: metrics, format: format,
            schemaRegistry: registry, logger: logger)
    }

    /// Makes the schema registry of an Avro pipeline on its broker (embedded or Kafka).
    public typealias SchemaRegistryFactory = @Sendable (any Broker) async throws -> any SchemaRegistry

    /// Throws the configuration error of `topic.format: avro` without a schema registry.
    public static func checkFormat(_ configuration: PipelineConfiguration, hasRegistry: Bool) throws(ConfigurationError) {
        if configuration.topic.format == .avro, !hasRegistry {
            throw ConfigurationError(key: "topic.format", origin: "configuration", message: "topic.format avro needs a schema registry")
        }
    }

    /// The `topic.format` of `configuration` with what it needs: `.avro` gets one `AvroUserCodec`
    /// (one schema cache) for the source and the processor of the process.
    public static func messageFormat(
        _ configuration: PipelineConfiguration, schemaRegistry: (any SchemaRegistry)?, logger: Logger = Logger(label: "freshet.pipeline")
    ) throws(ConfigurationError) -> MessageFormat {
        switch configuration.topic.format {
        case .json:
            return .json
        case .avro:
            guard let schemaRegistry else {
                try checkFormat(configuration, hasRegistry: false)
                return .json
            }
            var avroLogger = Logger(label: "freshet.avro")
            avroLogger.logLevel = logger.logLevel
            return .avro(AvroUserCodec(registry: schemaRegistry, topic: "users_created", logger: avroLogger))
        }
    }

    /// The embedded log in `<data_dir>/topics`, which belongs to one process: only `freshet up`'s
    /// role (`.all`) may open it; the other roles share a Kafka cluster.
    public static func openEmbeddedLog(
        _ configuration: PipelineConfiguration, role: PipelineRole = .all, logger: Logger = Logger(label: "freshet.pipeline")
    ) throws -> any Broker {
        guard role == .all else {
            throw PipelineError(
                "freshet \(role.rawValue) runs one stage of a pipeline whose stages share a Kafka cluster; "
                    + "set --broker kafka://host:port (the embedded log belongs to one process: use freshet up)")
        }
        var brokerConfig = EmbeddedBrokerConfig(dataDirectory: configuration.dataDir, durability: Self.durability(configuration.log))
        brokerConfig.defaultTopicConfig.partitions = Int32(configuration.log.partitions)
        var logLogger = Logger(label: "freshet.log")
        logLogger.logLevel = max(.notice, logger.logLevel)
        brokerConfig.logger = logLogger
        do {
            return try EmbeddedBroker(brokerConfig)
        } catch let error as LogError where error.code == .dataDirLocked {
            throw PipelineError("another freshet process is running on \(configuration.dataDir); stop it or use another --data-dir")
        }
    }

    /// The store `store.url` names: SQLite (the default, `<data_dir>/store/freshet.sqlite` or
    /// `sqlite:///path`), PostgreSQL or Cassandra. `readOnly` opens a SQLite store for reading
    /// only (`freshet serve`, the CLI's queries while `freshet up` writes); the other stores are
    /// servers, shared anyway. Not prepared: writers call `prepare()`.
    public static func openStore(_ configuration: PipelineConfiguration, readOnly: Bool = false) async throws -> any Sink {
        switch configuration.store.location {
        case .cassandra(let cassandra):
            return try await CassandraSink.connect(cassandra)
        case .postgres(let postgres):
            return try await PostgresSink.connect(postgres)
        case .sqlite:
            let synchronous: SQLiteStore.Synchronous
            switch configuration.store.synchronous {
            case .full: synchronous = .full
            case .normal: synchronous = .normal
            }
            return try await SQLiteStore.open(
                .init(
                    path: configuration.storePath, readOnly: readOnly, synchronous: synchronous,
                    cacheSizeKiB: configuration.store.sqliteCacheBytes / 1024))
        }
    }

    init(
        configuration: PipelineConfiguration, role: PipelineRole, broker: any Broker, store: (any Sink)?, metrics: PipelineMetrics,
        format: MessageFormat = .json, schemaRegistry: (any SchemaRegistry)? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.format = format
        self.schemaRegistry = schemaRegistry
        self.role = role
        self.broker = broker
        self.sink = store
        self.metrics = metrics
        self.logger = logger
        let source = configuration.source
        let stop: StopCondition = source.count.map { .count($0) } ?? source.duration.map { .duration($0) } ?? .never
        let seed = source.kind == .generator ? source.seed ?? RandomUserGenerator.randomSeed() : source.seed
        self.seed = source.kind == .none ? nil : seed
        let people = source.kind == .none ? nil : configuration.peopleSource(stop: stop, seed: seed, logger: logger)
        // Backpressure couples source and processor of one process; across processes the
        // broker buffers, and the processor's lag shows in `freshet groups describe`.
        let backpressure = role == .all ? Backpressure(maxUnprocessed: configuration.processor.maxUnprocessed) : nil
        self.backpressure = backpressure
        let finished = SourceFinishedFlag()
        var processorConfig = StreamProcessor.Configuration()
        let topicConfig = TopicConfig(partitions: Int32(configuration.log.partitions))
        processorConfig.topicConfig = topicConfig
        processorConfig.group = configuration.processor.group
        processorConfig.maxBatchRecords = configuration.processor.maxBatchRecords
        processorConfig.idleWait = configuration.processor.idleWait
        processorConfig.transaction = TransactionPlanner.Limits(
            maxRecords: configuration.processor.maxTransactionRecords, maxBytes: configuration.processor.maxTransactionBytes,
            maxTime: configuration.processor.maxTransactionTime)
        processorConfig.streamTransactions = configuration.processor.streamTransactions
        processorConfig.window = configuration.processor.window
        processorConfig.allowedLateness = configuration.processor.allowedLateness
        processorConfig.schema = UserSchema(maxFieldBytes: configuration.processor.maxFieldBytes)
        processorConfig.drainWhenSourceFinishes = role == .all && configuration.isBounded
        processorConfig.format = format
        var processorLogger = Logger(label: "freshet.processor")
        processorLogger.logLevel = logger.logLevel
        var ingestLogger = Logger(label: "freshet.ingest")
        ingestLogger.logLevel = logger.logLevel
        if role != .ingest, let store {
            processor = StreamProcessor(
                broker: broker, sink: store, configuration: processorConfig, metrics: metrics, backpressure: backpressure,
                sourceFinished: finished, logger: processorLogger)
        } else {
            processor = nil
        }
        ingest =
            role == .process
            ? nil
            : people.map {
                IngestService(
                    source: $0, broker: broker, metrics: metrics, backpressure: backpressure, finished: finished, topicConfig: topicConfig,
                    format: format, logger: ingestLogger)
            }
    }

    /// Runs the source and the processor of the role, with `companions` beside them in the same
    /// service group (they are built after `open`, from the pipeline's broker and store), until
    /// a bounded run has drained, or SIGINT/SIGTERM (when `handleSignals`) or cancellation; then
    /// closes the store and the log.
    public func run(handleSignals: Bool = true, companions: [Companion] = []) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // First in the group, so it shuts down last: a Kafka client's background work
        // (producer timers, requests in flight, heartbeats) outlives the stages using it.
        if let client = BrokerConnection.service(of: broker) {
            services.append(.init(service: client, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        if let processor {
            services.append(
                .init(service: processor, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        if let ingest {
            // Alone (freshet ingest), a source that has produced everything ends the run.
            services.append(
                .init(
                    service: ingest, successTerminationBehavior: processor == nil ? .gracefullyShutdownGroup : .ignore,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // A companion that fails (e.g. the web UI cannot bind its port) stops the pipeline with
        // its error rather than leaving it running without it.
        for companion in companions {
            services.append(
                .init(
                    service: companion.failure.map { LabeledService(companion.service, failure: $0) } ?? companion.service,
                    successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(
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
        backpressure?.close()
        try? await sink?.close()
        try? await broker.close()
        if let failure { throw failure }
    }

    static func durability(_ log: PipelineConfiguration.Log) -> Durability {
        switch log.durability {
        case .fsync: .everyBatch
        case .none: .none
        case .groupCommit: .interval(log.commitInterval)
        }
    }
}

extension PipelineConfiguration {
    /// The configured source (the generator or a Random User API, with its nationalities,
    /// batch size and rate) stopping at `stop`; `rate` replaces the generator's rate. The
    /// pipeline's continuous source and the scheduler's stream tasks both come from here.
    /// Nil for `source.url: none`.
    public func peopleSource(
        stop: StopCondition, rate: Double? = nil, seed: String? = nil, logger: Logger = Logger(label: "freshet.source")
    ) -> (any PeopleSource)? {
        let nats = source.nationalities
        switch source.kind {
        case .none:
            return nil
        case .generator:
            return GeneratorSource(
                configuration: .init(
                    seed: seed ?? source.seed ?? RandomUserGenerator.randomSeed(), nationalities: nats.isEmpty ? Nationality.allCases : nats,
                    batchSize: source.batchSize ?? 1000, rate: rate ?? source.rate, stop: stop))
        case .api(let url):
            var sourceLogger = logger
            sourceLogger.logLevel = max(.warning, logger.logLevel)
            return RandomUserClient(
                configuration: .init(
                    url: url, batchSize: source.batchSize ?? 500, requestsPerSecond: source.requestsPerSecond,
                    stop: stop, requestTimeout: source.timeout, seed: seed ?? source.seed, nationalities: nats), logger: sourceLogger)
        }
    }

    /// A run with `count` or `duration` drains and ends by itself.
    public var isBounded: Bool { source.count != nil || source.duration != nil }
}

/// A pipeline failure with a one-line cause.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A service that runs beside a pipeline: the web UI, the CQL endpoint, the scheduler, a status
/// line. When it fails the pipeline stops, with its error prefixed by `failure` when given
/// (e.g. "web UI cannot listen on 127.0.0.1:8080 (use --web-port, or --no-web)").
public struct Companion: Sendable {
    public var service: any Service
    public var failure: String?

    public init(_ service: any Service, failure: String? = nil) {
        self.service = service
        self.failure = failure
    }
}

/// Runs a companion and says which one failed.
final class LabeledService: Service, Sendable {
    let service: any Service
    let failure: String

    init(_ service: any Service, failure: String) {
        self.service = service
        self.failure = failure
    }

    func run() async throws {
        do {
            try await service.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PipelineError("\(failure): \(error)")
        }
    }
}
