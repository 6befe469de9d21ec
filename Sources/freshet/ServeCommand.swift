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
        let shown = config.store.isCassandra || config.store.isPostgres ? redact(config.store.url) : config.dataDir
        let mode = cqlWritable ? "writable" : "read-only"
        let events = Application.Events(
            webListening: { host, port in
                FileHandleOutput.standardOutput.writeLine("web UI listening on http://\(host):\(port)/  (read-only over \(shown))")
            },
            cqlListening: { host, port in
                FileHandleOutput.standardOutput.writeLine("CQL endpoint listening on \(host):\(port)  (\(mode); cqlsh \(host) \(port))")
            },
            registryListening: { host, port in
                FileHandleOutput.standardOutput.writeLine(
                    "schema registry listening on http://\(host):\(port)/  (Confluent's REST API: /subjects, /schemas/ids/{id})")
            },
            notice: { message in FileHandleOutput.standardError.writeLine("note: \(message)") })
        do {
            try await Application.serve(config, cqlWritable: cqlWritable, registry: Freshet.bootstrapMetrics(), events: events)
        } catch let error as ConfigurationError where error.key == "store.url" {
            throw ValidationError(error.message)
        }
    }
}
