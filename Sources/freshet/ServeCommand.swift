import ArgumentParser
import FreshetLog
import FreshetStore
import FreshetStream
import FreshetWeb
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web UI read-only over an existing data directory.",
        discussion: """
            The dashboard, topics pages and API over what a `freshet up` left (or is writing: \
            the store and the log are opened read-only, so both can run at once). The pipeline \
            page shows no live numbers here: no pipeline runs in this process.

            Examples:
              freshet serve
              freshet serve --data-dir /var/lib/freshet --web-port 9090
              freshet serve --broker kafka://127.0.0.1:9092   # topics pages from the Kafka cluster
              FRESHET_WEB_TOKEN=s3cret freshet serve --web-host 0.0.0.0
            """
    )

    @OptionGroup var options: PipelineOptions

    func run() async throws {
        let (config, warnings) = try options.resolve()
        for warning in warnings { FileHandleOutput.standardError.writeLine("warning: \(warning)") }
        let store = try await SQLiteStore.open(.init(path: config.storePath, readOnly: true))
        let registry = Freshet.bootstrapMetrics()
        // The topics pages read the embedded log read-only, or the Kafka cluster of --broker.
        let kafka: (any Broker)?
        do {
            kafka = try await BrokerConnection.open(config)
        } catch {
            try? await store.close()
            throw error
        }
        let server = WebServer(
            configuration: .init(host: config.web.host, port: config.web.port, token: config.web.token, username: config.web.username, password: config.web.password),
            queries: store, broker: kafka.map { .live($0) } ?? .readOnly(dataDirectory: config.dataDir), metrics: nil, registry: registry)
        let host = config.web.host
        let app = server.makeApplication { port in
            FileHandleOutput.standardOutput.writeLine("web UI listening on http://\(host):\(port)/  (read-only over \(config.dataDir))")
        }
        do {
            try await app.runService()
        } catch {
            try? await kafka?.close()
            try? await store.close()
            throw error
        }
        try? await kafka?.close()
        try await store.close()
    }
}
