import FreshetCassandra
import FreshetCore
import FreshetKafka
import FreshetPostgres

/// Where the pipeline's rows go (`store.url`), parsed once when the key is set.
public enum StoreLocation: Sendable, Hashable {
    /// SQLite: `sqlite` (`<data_dir>/store/freshet.sqlite`, `path` nil) or `sqlite:///path`.
    case sqlite(path: String?)
    case postgres(PostgresSinkConfiguration)
    case cassandra(CassandraSinkConfiguration)

    /// Parses `url`; a bad one is a `ConfigurationError` naming `store.url` (never echoing a password).
    public init(url: String, origin: String = "configuration") throws(ConfigurationError) {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(key: "store.url", origin: origin, message: message) }
        if url.hasPrefix("cassandra://") {
            do throws(CassandraSinkError) {
                self = .cassandra(try CassandraSinkConfiguration(url: url))
            } catch {
                throw fail("\(error.message) (in '\(redact(url))')")
            }
        } else if PostgresSinkConfiguration.isPostgresURL(url) {
            do throws(PostgresSinkError) {
                self = .postgres(try PostgresSinkConfiguration(url: url))
            } catch {
                // Not the URL itself: a malformed one may not redact cleanly.
                throw fail("\(error.message) (the URL's \(error.part ?? "syntax"))")
            }
        } else if url == "sqlite" {
            self = .sqlite(path: nil)
        } else if url.hasPrefix("sqlite://"), url.count > "sqlite://".count {
            self = .sqlite(path: String(url.dropFirst("sqlite://".count)))
        } else {
            throw fail(
                "expected 'sqlite', 'sqlite:///path/to/file.sqlite', 'cassandra://host:9042[?keyspace=…]' or 'postgres://user:password@host:5432/database'; got '\(redact(url))'"
            )
        }
    }
}

/// Where the pipeline's topics are (`broker.url`), parsed once when the key is set.
public enum BrokerLocation: Sendable, Equatable {
    public static func == (a: BrokerLocation, b: BrokerLocation) -> Bool {
        switch (a, b) {
        case (.embedded, .embedded): true
        case (.kafka(let x, _), .kafka(let y, _)): x == y
        default: false
        }
    }

    /// Freshet's own log in `<data_dir>/topics`.
    case embedded
    /// A Kafka cluster: its URL and the client settings it carries.
    case kafka(url: String, KafkaClientConfiguration)

    public init(url: String, origin: String = "configuration") throws(ConfigurationError) {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(key: "broker.url", origin: origin, message: message) }
        if url == "embedded" {
            self = .embedded
            return
        }
        guard url.hasPrefix("kafka://") else { throw fail("expected 'embedded' or 'kafka://host:port'; got '\(redact(url))'") }
        do {
            self = .kafka(url: url, try KafkaClientConfiguration(url: url))
        } catch let error as KafkaClientError {
            throw fail(error.message)
        } catch {
            throw fail("\(error)")
        }
    }
}

/// Where people come from (`source.url`).
public enum SourceKind: Sendable, Hashable {
    /// The offline generator.
    case generator
    /// No continuous source: only the scheduler's DAG runs append people.
    case none
    /// A Random User API (randomuser.me or `freshet api serve`).
    case api(url: String)

    public init(url: String, origin: String = "configuration") throws(ConfigurationError) {
        switch url {
        case "generator": self = .generator
        case "none": self = .none
        case _ where url.hasPrefix("http://") || url.hasPrefix("https://"): self = .api(url: url)
        default:
            throw ConfigurationError(key: "source.url", origin: origin, message: "expected 'generator', 'none' or an http(s) URL; got '\(redact(url))'")
        }
    }
}

/// `log.durability`: when the embedded log fsyncs.
public enum LogDurability: String, Sendable, CaseIterable {
    /// fsync every `log.commit_interval`, producers waiting for it (the default).
    case groupCommit = "group-commit"
    /// fsync every batch.
    case fsync
    /// Never fsync (benchmarks, throwaway data).
    case none
}

/// `store.synchronous`: SQLite's `synchronous` in WAL mode.
public enum StoreSynchronous: String, Sendable, CaseIterable {
    /// fsync the WAL on every commit: a committed batch survives power loss (the default).
    case full
    /// fsync at checkpoints: survives a process crash, not power loss.
    case normal
}
