import FreshetCQL
import FreshetCQLServer
import FreshetContracts
import FreshetCore
import FreshetRegistryServer
import FreshetScheduler
import FreshetStore
import FreshetStream
import FreshetWeb
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The composition root: every service of `freshet up`, `ingest`, `process` and `serve`, built
/// from one configuration. The CLI parses arguments, calls it, and prints what it reports
/// through `Events`.
public enum Application {
    /// What the running services report, for the CLI to print.
    public struct Events: Sendable {
        /// The web UI listens on `host:port`.
        public var webListening: @Sendable (_ host: String, _ port: Int) -> Void
        /// The CQL endpoint listens on `host:port`.
        public var cqlListening: @Sendable (_ host: String, _ port: Int) -> Void
        /// The schema registry listens on `host:port`.
        public var registryListening: @Sendable (_ host: String, _ port: Int) -> Void
        /// A note for the user (e.g. why the schema registry is not served).
        public var notice: @Sendable (_ message: String) -> Void

        public init(
            webListening: @escaping @Sendable (String, Int) -> Void = { _, _ in },
            cqlListening: @escaping @Sendable (String, Int) -> Void = { _, _ in },
            registryListening: @escaping @Sendable (String, Int) -> Void = { _, _ in },
            notice: @escaping @Sendable (String) -> Void = { _ in }
        ) {
            self.webListening = webListening
            self.cqlListening = cqlListening
            self.registryListening = registryListening
            self.notice = notice
        }
    }

    /// A pipeline of one role with its companions, ready to run.
    public struct PipelineAssembly: Sendable {
        public let pipeline: Pipeline
        /// The DAG scheduler of `freshet up` (nil for the other roles or `scheduler.enabled: false`).
        public let scheduler: PipelineScheduler?
        /// The web UI, the CQL endpoint and the scheduler service, as configured.
        public let companions: [Companion]
        public let webEnabled: Bool
        public let cqlEnabled: Bool
        /// The schema registry the pipeline uses (`schema_registry.*`): the one this process
        /// serves from the log's `_schemas` topic, or an external one's client; nil with
        /// `--no-registry`. Its services are among `companions`.
        public var schemaRegistry: (any SchemaRegistry)? { pipeline.schemaRegistry }

        /// Runs the pipeline with its companions and `extra` ones (e.g. the CLI's status line),
        /// then closes the run history.
        public func run(handleSignals: Bool = true, with extra: [Companion] = []) async throws {
            var failure: (any Error)?
            do {
                try await pipeline.run(handleSignals: handleSignals, companions: companions + extra)
            } catch {
                failure = error
            }
            await scheduler?.close()
            if let failure { throw failure }
        }
    }

    /// Opens the broker, the store and (for `up`) the run history, and builds the pipeline's
    /// services: the web UI and the CQL endpoint over the store (every role but ingest), and
    /// the DAG scheduler (`up`).
    ///
    /// The schema registry (`schema_registry.*`, docs/schema-registry.md) is the one of
    /// `topic.format: avro`: the source registers its schema there, the processor, the
    /// scheduler's stream tasks and the Topics page look writer schemas up there.
    public static func assemblePipeline(
        _ config: PipelineConfiguration, role: PipelineRole, metrics: PipelineMetrics, registry: PrometheusCollectorRegistry,
        events: Events = Events()
    ) async throws -> PipelineAssembly {
        // A configuration error (topic.format avro with --no-registry) before anything opens.
        try Pipeline.checkFormat(config, hasRegistry: config.schemaRegistry.url != nil || config.schemaRegistry.enabled)
        // The dashboard and the CQL endpoint read the store (SQLite, PostgreSQL or Cassandra,
        // all UserQueries): the ingest role has no store.
        let hasStore = role != .ingest
        let webEnabled = config.web.enabled && hasStore
        let cqlEnabled = config.cql.enabled && hasStore
        // `freshet up` runs the DAG scheduler too (Airflow's role); its stream tasks append to
        // the pipeline's broker.
        let scheduler = role == .all && config.scheduler.enabled ? try await PipelineScheduler.open(config) : nil
        // The broker first (Kafka, or the embedded log), then the schema registry over it —
        // served by `freshet up`, read from the shared `_schemas` topic by the other roles, or an
        // external one (`--registry URL`) — so that the pipeline can be given the registry.
        let pipeline: Pipeline
        let schemas: SchemaRegistryAssembly?
        var registryClient: (any Broker)?
        do {
            let broker = try await BrokerConnection.open(config) ?? Pipeline.openEmbeddedLog(config, role: role)
            do {
                // On Kafka the registry follows `_schemas` with long polls on a client of its own:
                // a broker answers one connection's requests in order, so on the pipeline's
                // connection every produce would queue behind a poll (up to 500 ms each).
                registryClient = try await SchemaRegistryConnection.needsOwnClient(config, pipelineBroker: broker) ? BrokerConnection.open(config) : nil
                schemas = try SchemaRegistryConnection.open(
                    config, broker: registryClient ?? broker, serve: role == .all, onListening: events.registryListening)
            } catch {
                try? await registryClient?.close()
                try? await broker.close()
                throw error
            }
            do {
                pipeline = try await Pipeline.open(config, role: role, broker: broker, metrics: metrics, schemaRegistry: schemas?.registry)
            } catch {
                await schemas?.close()
                try? await registryClient?.close()
                throw error
            }
        } catch {
            await scheduler?.close()
            throw error
        }
        // The companions read the pipeline's broker and store, so they are built once it is open.
        var companions: [Companion] = []
        if let scheduler {
            companions.append(
                Companion(scheduler.service(broker: pipeline.broker, metrics: metrics, format: pipeline.format), failure: "the DAG scheduler failed"))
        }
        // The registry's own client is listed first, so it shuts down after the registry.
        if let registryClient { companions.append(Companion(DedicatedBrokerClient(broker: registryClient))) }
        companions += schemas?.companions ?? []
        if cqlEnabled, let queries = pipeline.store as? any UserQueries {
            let host = config.cql.host
            companions.append(
                Companion(
                    CQLServer(
                        configuration: config.cqlServerConfiguration, queries: queries, sink: pipeline.store,
                        onListening: { port in events.cqlListening(host, port) }),
                    failure: "the CQL endpoint cannot listen on \(host):\(config.cql.port) (use --cql-port, or --no-cql)"))
        }
        if webEnabled {
            let queries: any UserQueries
            if let store = pipeline.store as? any UserQueries {
                queries = store
            } else {
                queries = try await SQLiteStore.open(.init(path: config.storePath, readOnly: true))
            }
            let server = WebServer(
                configuration: WebConfiguration(config.web),
                queries: queries, broker: .live(pipeline.broker), metrics: metrics, registry: registry,
                scheduling: scheduler.map { WebScheduling(dags: $0.definitions.dags, history: $0.history) },
                recordView: AvroRecordView(registry: pipeline.schemaRegistry))
            let host = config.web.host
            companions.append(
                Companion(
                    server.makeApplication { port in events.webListening(host, port) },
                    failure: "web UI cannot listen on \(host):\(config.web.port) (use --web-port, or --no-web)"))
        }
        return PipelineAssembly(pipeline: pipeline, scheduler: scheduler, companions: companions, webEnabled: webEnabled, cqlEnabled: cqlEnabled)
    }

    /// `freshet serve`: the web UI (and the CQL endpoint) over an existing store, its log and its
    /// run history, without a pipeline. SQLite is opened read-only unless CQL clients may write
    /// (`cqlWritable`; a writable store is created when missing); a PostgreSQL or Cassandra store
    /// is a server, whose tables are made by its writers or here. Runs until SIGINT/SIGTERM.
    /// The schema registry: an external one's client (`--registry URL`), or, over a Kafka
    /// cluster, the one kept in its `_schemas` topic, served from here; the Topics page shows Avro
    /// records as JSON through it.
    public static func serve(
        _ config: PipelineConfiguration, cqlWritable: Bool, registry: PrometheusCollectorRegistry, events: Events = Events()
    ) async throws {
        let sink = try await Pipeline.openStore(config, readOnly: !cqlWritable)
        guard let store = sink as? any Sink & UserQueries else {
            try? await sink.close()
            throw ConfigurationError(
                key: "store.url", origin: "configuration", message: "the store \(redact(config.store.url)) cannot be queried for a dashboard")
        }
        if cqlWritable || !(store is SQLiteStore) {
            do {
                try await store.prepare()
            } catch {
                try? await store.close()
                throw error
            }
        }
        // The topics pages read the embedded log read-only, or the Kafka cluster of --broker.
        let kafka: (any Broker)?
        do {
            kafka = try await BrokerConnection.open(config)
        } catch {
            try? await store.close()
            throw error
        }
        // The Runs page over the run history: triggers queue runs for the scheduler of a
        // `freshet up` (or `freshet scheduler`) on the same history.
        let scheduling = SchedulerContext(config)
        let history: any ClosableRunHistory
        do {
            history = try await scheduling.openHistory()
        } catch {
            try? await kafka?.close()
            try? await store.close()
            throw error
        }
        // The schema registry: an external one's client, or the one kept in the Kafka cluster's
        // `_schemas` topic, served from here. Over the embedded log it is `freshet up`'s to
        // serve: serve does not take the data directory.
        var schemas: SchemaRegistryAssembly?
        // On Kafka the registry follows `_schemas` with long polls on a client of its own, so the
        // Topics pages' requests never queue behind one (as in `up`).
        var registryClient: (any Broker)?
        do {
            if let url = config.schemaRegistry.url {
                let client = try SchemaRegistryConnection.remote(config, url: url)
                schemas = SchemaRegistryAssembly(registry: client, local: nil, companions: [Companion(RemoteRegistryCloser(client: client))])
            } else if config.schemaRegistry.enabled, kafka != nil, let client = try await BrokerConnection.open(config) {
                registryClient = client
                schemas = try SchemaRegistryConnection.open(config, broker: client, serve: true, onListening: events.registryListening)
            } else if config.schemaRegistry.enabled {
                events.notice("schema registry not served: over the embedded log, freshet up serves it (use --broker kafka://… to serve it from here)")
            }
        } catch {
            await history.close()
            try? await registryClient?.close()
            try? await kafka?.close()
            try? await store.close()
            throw error
        }
        let server = WebServer(
            configuration: WebConfiguration(config.web),
            queries: store, broker: kafka.map { .live($0) } ?? .readOnly(dataDirectory: config.dataDir), metrics: nil, registry: registry,
            scheduling: WebScheduling(dags: scheduling.dags, history: history), recordView: AvroRecordView(registry: schemas?.registry))
        let host = config.web.host
        var services: [any Service] = [server.makeApplication { port in events.webListening(host, port) }]
        services += (schemas?.companions ?? []).map { companion in
            companion.failure.map { LabeledService(companion.service, failure: $0) } ?? companion.service
        }
        // Listed first, so they shut down after the web server and the registry that use them.
        if let registryClient { services.insert(DedicatedBrokerClient(broker: registryClient), at: 0) }
        if let kafka, let client = BrokerConnection.service(of: kafka) { services.insert(client, at: 0) }
        if config.cql.enabled {
            // Read-only (no sink) unless cqlWritable: the writer is normally the pipeline.
            let cqlHost = config.cql.host
            services.append(
                LabeledService(
                    CQLServer(
                        configuration: config.cqlServerConfiguration, queries: store, sink: cqlWritable ? store : nil,
                        onListening: { port in events.cqlListening(cqlHost, port) }),
                    failure: "the CQL endpoint cannot listen on \(cqlHost):\(config.cql.port) (use --cql-port, or --no-cql)"))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "freshet.serve")))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await history.close()
        try? await kafka?.close()
        if let failure {
            try? await store.close()
            throw failure
        }
        try await store.close()
    }
}

extension Application {
    /// How the log commands (`freshet consume`, `topics tail`) show records of `broker`:
    /// Confluent-framed Avro as JSON, with the writer schemas its `_schemas` topic holds (read
    /// on demand, never written: `LogSchemaReader`). A log without `_schemas` shows such values
    /// raw, with the reason.
    public static func logRecordView(broker: any Broker) -> AvroRecordView {
        AvroRecordView(registry: LogSchemaReader(broker: broker))
    }
}

extension PipelineConfiguration {
    /// The CQL endpoint's settings from the `cql.*` keys.
    public var cqlServerConfiguration: CQLServerConfiguration {
        CQLServerConfiguration(
            host: cql.host, port: cql.port,
            credentials: cql.username.map { CQLCredentials(username: $0, password: cql.password ?? "") },
            maxConnections: cql.maxConnections, maxInFlightRequestsPerConnection: cql.maxInFlightPerConnection,
            maxConcurrentStorageOperations: cql.maxConcurrentStorageOperations, maxInFlightBytes: cql.maxInFlightBytes,
            maximumFrameBodyLength: cql.maxFrameBytes, frameReadTimeout: cql.frameReadTimeout, idleTimeout: cql.idleTimeout,
            writeTimeout: cql.writeTimeout,
            queryLimits: CQLQueryLimits(
                maximumStatementLength: cql.maxStatementBytes, maximumNestingDepth: cql.maxNestingDepth, maximumPageRows: cql.maxPageRows,
                maximumPageBytes: cql.maxPageBytes),
            maximumRowBytes: cql.maxRowBytes, preparedStatementCacheBytes: cql.preparedCacheBytes)
    }
}
