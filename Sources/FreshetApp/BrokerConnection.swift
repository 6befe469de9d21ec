import FreshetContracts
import FreshetCore
import FreshetKafka
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Connects the broker a configuration names: `nil` for the embedded log (the pipeline opens
/// it in the data directory), a Kafka client (FreshetKafka) for `kafka://…`.
public enum BrokerConnection {
    /// The broker of a pipeline; `nil` for the embedded log. `broker.url` was parsed when it was
    /// set (`PipelineConfiguration`), so a failure here is the cluster's, not the URL's.
    public static func open(_ config: PipelineConfiguration) async throws -> (any Broker)? {
        guard case .kafka(let url, var configuration) = config.broker.location else { return nil }
        configuration.topicDefaults.partitions = Int32(config.log.partitions)
        return try await connect(configuration, url: url)
    }

    /// A Kafka client for `url` (the log commands' `--broker`); the URL was checked with
    /// `KafkaClientConfiguration(url:)` by the caller's argument validation.
    public static func connect(url: String) async throws -> any Broker {
        let configuration: KafkaClientConfiguration
        do {
            configuration = try KafkaClientConfiguration(url: url)
        } catch let error as KafkaClientError {
            throw ConfigurationError(key: "--broker", origin: "command line", message: error.message)
        }
        return try await connect(configuration, url: url)
    }

    /// Connects to `url` (see `connect(url:)`), runs `body` with the client's background work
    /// (`KafkaBroker.run()`) beside it, then closes the client.
    public static func withBroker<R: Sendable>(url: String, _ body: (any Broker) async throws -> R) async throws -> R {
        let broker = try await connect(url: url)
        return try await running(broker, body)
    }

    /// Runs `body` with `broker`'s background work beside it (a Kafka client's `run()`; the
    /// embedded log has none), then closes the broker, also when `body` throws.
    public static func running<R: Sendable>(_ broker: any Broker, _ body: (any Broker) async throws -> R) async throws -> R {
        if let kafka = broker as? KafkaBroker { return try await kafka.running { try await body($0) } }
        let result: R
        do {
            result = try await body(broker)
        } catch {
            try? await broker.close()
            throw error
        }
        try await broker.close()
        return result
    }

    /// The background work a pipeline's service group runs for `broker` (a Kafka client's
    /// timers, requests in flight and consumer heartbeats); nil for the embedded log.
    public static func service(of broker: any Broker) -> (any Service)? {
        broker as? KafkaBroker
    }

    static func connect(_ configuration: KafkaClientConfiguration, url: String) async throws -> any Broker {
        var logger = Logger(label: "freshet.kafka")
        // Group joins and reconnects are notices; FRESHET_LOG_LEVEL=info shows the details.
        if getenv("FRESHET_LOG_LEVEL") == nil { logger.logLevel = .notice }
        do {
            return try await KafkaBroker.connect(configuration, logger: logger)
        } catch {
            throw PipelineError("cannot use the Kafka cluster at \(redact(url)): \(error)")
        }
    }
}
