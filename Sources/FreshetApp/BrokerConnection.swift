import FreshetContracts
import FreshetCore
import FreshetKafka
import Logging

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
