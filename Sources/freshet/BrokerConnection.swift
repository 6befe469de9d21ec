import ArgumentParser
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetKafka
import FreshetLog
import FreshetStream
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Connects the broker a configuration names: `nil` for the embedded log (the pipeline opens
/// it in the data directory), a Kafka client (FreshetKafka) for `kafka://…`.
enum BrokerConnection {
    /// The broker of a pipeline; `nil` for the embedded log.
    static func open(_ config: PipelineConfiguration) async throws -> (any Broker)? {
        guard config.broker.isKafka else { return nil }
        var configuration = try parse(config.broker.url, option: "broker.url")
        configuration.topicDefaults.partitions = Int32(config.log.partitions)
        return try await connect(configuration, url: config.broker.url)
    }

    /// A Kafka client for `url` (the log commands' `--broker`).
    static func connect(url: String) async throws -> any Broker {
        try await connect(try parse(url, option: "--broker"), url: url)
    }

    /// A URL the client cannot use is a usage error naming the option (exit 2).
    static func parse(_ url: String, option: String) throws -> KafkaClientConfiguration {
        do {
            return try KafkaClientConfiguration(url: url)
        } catch let error as KafkaClientError {
            throw ValidationError("\(option): \(error.message)")
        }
    }

    static func connect(_ configuration: KafkaClientConfiguration, url: String) async throws -> any Broker {
        var logger = Logger(label: "freshet.kafka")
        // Group joins and reconnects are notices; FRESHET_LOG_LEVEL=info shows the details.
        if getenv("FRESHET_LOG_LEVEL") == nil { logger.logLevel = .notice }
        do {
            return try await KafkaBroker.connect(configuration, logger: logger)
        } catch {
            throw RuntimeFailure("cannot use the Kafka cluster at \(redact(url)): \(error)")
        }
    }
}
