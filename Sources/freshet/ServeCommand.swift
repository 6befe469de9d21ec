import ArgumentParser
import FreshetApp
import FreshetCQLServer
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetStore
import FreshetStream
import FreshetWeb
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web UI over an existing store: a data directory, PostgreSQL or Cassandra.",
        discussion: """
            The dashboard, topics pages and API over what a `freshet up` left (or is writing: \
            the store and the log are opened read-only, so both can run at once). With --store \
            postgres://… or cassandra://…, the dashboard of a store that `freshet process` workers \
            fill (the scaled-out deployment: one dashboard, many workers); add --broker \
            kafka://… for the topics pages. The pipeline page shows no live numbers here: no \
            pipeline runs in this process.

            The CQL endpoint (--cql-port, default 9042; --no-cql) serves the same store to \
            cqlsh and Cassandra drivers, read-only — or, with --cql-writable, as a Cassandra node \
            that CQL writers (another Freshet's --store cassandra://…) upsert into.

            Examples:
              freshet serve
              freshet serve --cql-port 9043 --web-port 9090
              freshet serve --cql-writable --data-dir /srv/warehouse
              freshet serve --data-dir /var/lib/freshet --web-port 9090
              freshet serve --broker kafka://127.0.0.1:9092   # topics pages from the Kafka cluster
              freshet serve --store postgres://freshet:pw@db:5432/freshet --broker kafka://k1:9092
              FRESHET_WEB_TOKEN=s3cret freshet serve --web-host 0.0.0.0
            """
    )

    @OptionGroup var options: PipelineOptions

    @Flag(help: "Let CQL clients write: INSERTs (and a Freshet pipeline's --store cassandra://) upsert into this store.")
    var cqlWritable = false

    func run() async throws {
        let (config, warnings) = try options.resolve()
        for warning in warnings { FileHandleOutput.standardError.writeLine("warning: \(warning)") }
        if cqlWritable && !config.cql.enabled { throw ValidationError("--cql-writable needs the CQL endpoint (drop --no-cql)") }
        // SQLite is opened read-only unless CQL clients may write; a writable store is created
        // when missing. A PostgreSQL or Cassandra store is a server: its tables are made by its
        // writers, or here.
        let sink = try await Pipeline.openStore(config, readOnly: !cqlWritable)
        guard let store = sink as? any Sink & UserQueries else {
            try? await sink.close()
            throw ValidationError("the store \(redact(config.store.url)) cannot be queried for a dashboard")
        }
        if cqlWritable || !(store is SQLiteStore) {
            do {
                try await store.prepare()
            } catch {
                try? await store.close()
                throw error
            }
        }
        let shown = store is SQLiteStore ? config.dataDir : redact(config.store.url)
        let registry = Freshet.bootstrapMetrics()
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
        let server = WebServer(
            configuration: WebConfiguration(config.web),
            queries: store, broker: kafka.map { .live($0) } ?? .readOnly(dataDirectory: config.dataDir), metrics: nil, registry: registry,
            scheduling: WebScheduling(dags: scheduling.dags, history: history))
        let host = config.web.host
        let app = server.makeApplication { port in
            FileHandleOutput.standardOutput.writeLine("web UI listening on http://\(host):\(port)/  (read-only over \(shown))")
        }
        var services: [any Service] = [app]
        if config.cql.enabled {
            // Read-only (no sink) unless --cql-writable: the writer is normally the pipeline.
            let cqlHost = config.cql.host
            let mode = cqlWritable ? "writable" : "read-only"
            let cql = CQLServer(
                configuration: config.cqlServerConfiguration, queries: store, sink: cqlWritable ? store : nil,
                onListening: { port in
                    FileHandleOutput.standardOutput.writeLine("CQL endpoint listening on \(cqlHost):\(port)  (\(mode); cqlsh \(cqlHost) \(port))")
                })
            services.append(CQLService(cql, hint: "the CQL endpoint cannot listen on \(cqlHost):\(config.cql.port) (use --cql-port, or --no-cql)"))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "freshet.serve")))
        do {
            try await group.run()
        } catch {
            await history.close()
            try? await kafka?.close()
            try? await store.close()
            throw error
        }
        await history.close()
        try? await kafka?.close()
        try await store.close()
    }
}

/// A service whose failure (e.g. the port is taken) names what failed and how to avoid it.
struct CQLService: Service {
    let server: CQLServer
    let hint: String
    init(_ server: CQLServer, hint: String) {
        self.server = server
        self.hint = hint
    }
    func run() async throws {
        do {
            try await server.run()
        } catch {
            throw RuntimeFailure("\(hint): \(error)")
        }
    }
}
