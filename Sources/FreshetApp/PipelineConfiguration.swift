import Foundation
import FreshetCassandra
import FreshetCore
import FreshetKafka
import FreshetPostgres
import FreshetRegistryClient
import FreshetScheduler
import FreshetStream
import Yams

/// Everything `freshet up` runs with. Sources, in increasing precedence: defaults, the YAML
/// file (`--config`), `FRESHET_*` environment variables (`FRESHET_SOURCE_RATE` sets
/// `source.rate`), and flags. Unknown keys are errors that name the key.
public struct PipelineConfiguration: Sendable, Equatable {
    /// Where the log and the store live. Defaults to `./freshet-data`.
    public var dataDir = "./freshet-data"

    public struct Source: Sendable, Equatable {
        /// `generator` (the default, offline), the URL of a Random User API, or `none`: no
        /// continuous source in `freshet up`, only the scheduler's DAG runs append people.
        public var kind: SourceKind = .generator
        /// `kind` as `source.url` spells it.
        public var url: String {
            switch kind {
            case .generator: "generator"
            case .none: "none"
            case .api(let url): url
            }
        }
        /// Generator: people per second. Defaults to 200 (a useful live stream on a laptop).
        public var rate: Double = 200
        /// URL source: requests per second. Defaults to 2.
        public var requestsPerSecond: Double = 2
        /// People per batch/request. Defaults to 500 for a URL, 1000 for the generator.
        public var batchSize: Int?
        /// Seed for reproducible people; nil (the default) is random.
        public var seed: String?
        /// Nationalities; empty (the default) is all.
        public var nationalities: [Nationality] = []
        /// Stop after this many people; with it `freshet up` drains and exits.
        public var count: Int?
        /// Stop after this long; with it `freshet up` drains and exits.
        public var duration: Duration?
        /// URL source: per-request timeout. Defaults to 10 s.
        public var timeout: Duration = .seconds(10)
    }

    public struct Broker: Sendable, Equatable {
        /// `embedded` (the default: Freshet's own log in `<data_dir>/topics`) or a Kafka
        /// cluster, `kafka://[user:password@]host:port[,host:port…][?option=value…]`
        /// (docs/kafka.md lists the options). Set through the `broker.url` key, which parses it
        /// into `location`.
        public internal(set) var url = "embedded"
        public internal(set) var location: BrokerLocation = .embedded

        /// Whether the pipeline talks to a Kafka cluster.
        public var isKafka: Bool {
            if case .kafka = location { return true }
            return false
        }
    }

    public struct Log: Sendable, Equatable {
        /// Partitions of `users_created` (created on the broker when missing). Defaults to 3.
        public var partitions: Int = 3
        /// `group-commit` (default), `fsync` or `none`.
        public var durability: LogDurability = .groupCommit
        /// Group-commit interval. Defaults to 5 ms.
        public var commitInterval: Duration = .milliseconds(5)
    }

    /// The `users_created` topic's values.
    public struct Topic: Sendable, Equatable {
        /// `json` (the default: one JSON object per person) or `avro`: Avro binary in
        /// Confluent's wire format, the schema registered under `users_created-value` in a schema
        /// registry (which the pipeline must then be given).
        public var format: TopicFormat = .json
    }

    public struct Processor: Sendable, Equatable {
        /// Defaults to `freshet-processor`.
        public var group = "freshet-processor"
        /// Defaults to 5000.
        public var maxBatchRecords = 5000
        /// Defaults to 100 ms.
        public var idleWait: Duration = .milliseconds(100)
        /// Defaults to 60 s.
        public var window: Duration = .seconds(60)
        /// Defaults to 60 s.
        public var allowedLateness: Duration = .seconds(60)
        /// Defaults to 1024.
        public var maxFieldBytes = 1024
        /// How far the source may run ahead of the processor. Defaults to 200,000 records.
        public var maxUnprocessed = 200_000
        /// Under backlog (a poll came back full), the processed slices of further polls join one
        /// store transaction until it holds this many records. Defaults to 50,000.
        public var maxTransactionRecords = 50_000
        /// … or the processor holds this many bytes of records (keys and values) for it: their
        /// rows, several times these bytes in memory, so this bounds its memory. Into SQLite and
        /// PostgreSQL (stores that keep a transaction open across polls) each poll is applied
        /// as it comes, so at most two polls are held and this limit rarely binds; into
        /// Cassandra the whole transaction is held. Defaults to 8 MiB (~20,000 seed records; measured to keep
        /// `freshet bench e2e` under 128 MB peak RSS, docs/pipeline.md "Benchmarks").
        public var maxTransactionBytes = 8 << 20
        /// … or its first record is this old. Defaults to 500 ms.
        public var maxTransactionTime: Duration = .milliseconds(500)
        /// Into a store that can keep a transaction open across polls (SQLite, PostgreSQL), apply each poll
        /// as it comes instead of holding the transaction's rows until its write. Defaults to
        /// `true`; `false` holds them (bounded by `maxTransactionBytes`), as for other stores.
        public var streamTransactions = true
    }

    public struct Store: Sendable, Equatable {
        /// `sqlite` (the default: `<data_dir>/store/freshet.sqlite`), `sqlite:///path/file.sqlite`, or
        /// `cassandra://[user:password@]host[:port][,host…][?keyspace=spark_streams&consistency=LOCAL_QUORUM&replication_factor=1]`
        /// (`CassandraSinkConfiguration` lists every parameter), or
        /// `postgres://user:password@host[:port]/database[?sslmode=prefer&connections=4]`
        /// (`PostgresSinkConfiguration` lists every parameter).
        /// Set through the `store.url` key, which parses it into `location`.
        public internal(set) var url = "sqlite"
        public internal(set) var location: StoreLocation = .sqlite(path: nil)
        /// SQLite `synchronous`: `full` (default: a committed batch survives power loss) or `normal`.
        public var synchronous: StoreSynchronous = .full
        /// Page cache of the SQLite writer connection, in bytes (`PRAGMA cache_size`). Defaults
        /// to 16 MiB: 32, 64 and 128 MiB measured no faster within the noise (docs/store.md) and
        /// cost resident memory.
        public var sqliteCacheBytes = 16 << 20

        /// Whether rows go to a Cassandra cluster (or a CQL endpoint) rather than SQLite.
        public var isCassandra: Bool {
            if case .cassandra = location { return true }
            return false
        }

        /// Whether rows go to a PostgreSQL database rather than SQLite.
        public var isPostgres: Bool {
            if case .postgres = location { return true }
            return false
        }
    }

    public struct Web: Sendable, Equatable {
        /// Serve the dashboard, API and metrics. Defaults to `true`.
        public var enabled = true
        /// Defaults to 127.0.0.1 (this machine only).
        public var host = "127.0.0.1"
        /// Defaults to 8080; 0 picks a free port.
        public var port = 8080
        /// When set, every page and API except /healthz needs it. Defaults to none; an empty
        /// value is a configuration error.
        public var token: String?
        /// Basic-auth user and password: both or neither (one alone is a configuration error).
        /// Default to none.
        public var username: String?
        public var password: String?
        /// Connections held at once; further clients wait to be accepted. Defaults to 256.
        public var maxConnections = 256
        /// Time a client has to send a whole request, headers and body, from the moment it
        /// connects (or starts a request): slow clients are shed. Defaults to 10 s.
        public var requestTimeout: Duration = .seconds(10)
        /// An idle keep-alive connection is closed after this. Defaults to 60 s.
        public var idleTimeout: Duration = .seconds(60)
        /// Largest request body accepted (413 beyond). Defaults to 64 KiB.
        public var maxBodyBytes = 64 << 10
        /// Bytes of records one `/api/topics/{name}/messages` or `/api/dlq` answer gathers at
        /// most; longer values are cut. Defaults to 4 MiB.
        public var messagesMaxBytes = 4 << 20
    }

    /// The CQL endpoint (FreshetCQLServer's `CQLServer`): the store over Cassandra's native
    /// protocol v4, for cqlsh and the DataStax drivers.
    public struct CQL: Sendable, Equatable {
        /// Serve the endpoint. Defaults to `true`.
        public var enabled = true
        /// Defaults to 127.0.0.1 (this machine only).
        public var host = "127.0.0.1"
        /// Defaults to 9042, Cassandra's native port; 0 picks a free port.
        public var port = 9042
        /// With `password`, clients must log in (Cassandra's PasswordAuthenticator): both or
        /// neither (one alone is a configuration error). Defaults to none.
        public var username: String?
        public var password: String?
        /// Requests one connection may have running at once. Defaults to 32.
        public var maxInFlightPerConnection = 32
        /// Connections open at once; more are closed when accepted. Defaults to 64.
        public var maxConnections = 64
        /// Reads and writes of the store running at once across all connections. Defaults to 128.
        public var maxConcurrentStorageOperations = 128
        /// Bytes the requests in flight across all connections may hold (estimated). Defaults to 64 MiB.
        public var maxInFlightBytes = 64 * 1024 * 1024
        /// Longest frame body. Defaults to 1 MiB.
        public var maxFrameBytes = 1024 * 1024
        /// A frame must arrive whole this long after its first byte. Defaults to 10 s; `nil` (0) for none.
        public var frameReadTimeout: Duration? = .seconds(10)
        /// A connection that sends nothing this long is closed. Defaults to 120 s; `nil` (0) for none.
        public var idleTimeout: Duration? = .seconds(120)
        /// A connection whose responses wait this long unread is closed. Defaults to 10 s; `nil` (0) for none.
        public var writeTimeout: Duration? = .seconds(10)
        /// Longest statement, in bytes. Defaults to 64 KiB.
        public var maxStatementBytes = 64 * 1024
        /// Deepest nesting of collection literals and types. Defaults to 32.
        public var maxNestingDepth = 32
        /// Rows per page of a read (a larger or no page size gets pages of this). Defaults to 5,000.
        public var maxPageRows = 5_000
        /// Bytes of cells per page of a read. Defaults to 1 MiB.
        public var maxPageBytes = 1024 * 1024
        /// Bytes a row written through the endpoint may take. Defaults to 64 KiB.
        public var maxRowBytes = 64 * 1024
        /// Estimated bytes of prepared statements kept. Defaults to 8 MiB.
        public var preparedCacheBytes = 8 * 1024 * 1024
    }

    /// The schema registry (docs/schema-registry.md): Freshet serves Confluent's REST API over
    /// the log's `_schemas` topic, or uses an external registry (`url`).
    public struct Registry: Sendable, Equatable {
        /// Serve the registry in `freshet up` and `freshet serve`. Defaults to `true`.
        public var enabled = true
        /// Defaults to 127.0.0.1 (this machine only).
        public var host = "127.0.0.1"
        /// Defaults to 8081, Confluent's port; 0 picks a free port.
        public var port = 8081
        /// An external Confluent-compatible registry (`http(s)://host:port`) to use instead of
        /// serving one. Defaults to none.
        public var url: String?
        /// Basic-auth user and password: both or neither. With `url`, sent to that registry;
        /// without, required by the registry Freshet serves. Default to none.
        public var username: String?
        public var password: String?
        /// PEM certificate authorities to trust for an `https` `url`. Defaults to the system's.
        public var caFile: String?
        /// Bytes of one schema. Defaults to 1 MiB.
        public var maxSchemaBytes = 1 << 20
        /// Subjects held. Defaults to 10,000.
        public var maxSubjects = 10_000
        /// Versions of one subject. Defaults to 1,000.
        public var maxVersionsPerSubject = 1_000
        /// Distinct schemas (global ids). Defaults to 100,000.
        public var maxSchemas = 100_000
        /// Largest request body (413 beyond, before it is read). Defaults to 2 MiB.
        public var maxBodyBytes = 2 << 20
        /// Connections held at once. Defaults to 64.
        public var maxConnections = 64
        /// Time a client has to send a whole request (headers and body). Defaults to 10 s.
        public var requestTimeout: Duration = .seconds(10)
    }

    public var schemaRegistry = Registry()
    public var source = Source()
    public var broker = Broker()
    public var log = Log()
    public var topic = Topic()
    public var processor = Processor()
    public var store = Store()
    public var web = Web()
    public var cql = CQL()

    /// The DAG scheduler that `freshet up` runs in-process (Airflow's role).
    public struct Scheduler: Sendable, Equatable {
        /// Run the scheduler in `freshet up`. Defaults to `true`.
        public var enabled = true
        /// How long a run's claim lasts without renewal: a process that dies mid-run loses its
        /// runs to another scheduler sharing the metadata database after this. Defaults to 30 s.
        public var lease: Duration = .seconds(30)
    }

    /// Where the run history (DAG runs, task instances, pause flags) is kept.
    public struct Metadata: Sendable, Equatable {
        /// `sqlite` (the default: `<data_dir>/scheduler.sqlite`) or
        /// `postgres://user:password@host[:port]/database`, which several Freshet processes share.
        public var url = "sqlite"

        public var isPostgres: Bool { PostgresSinkConfiguration.isPostgresURL(url) }
    }

    public var scheduler = Scheduler()
    public var metadata = Metadata()
    /// The file's `dags` section as written (see `DAGDefinitions`); nil when it has none.
    public var dags: ConfigNode?

    public init() {}

    /// The DAGs to schedule: `builtins`, overridden and extended by the `dags` section.
    public func dagDefinitions(builtins: [DAG]) -> DAGDefinitions {
        DAGDefinitions(builtins: builtins, configured: dags)
    }
}

/// A configuration problem, naming the key and where it came from.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var origin: String
    public var message: String

    /// An empty `key` (a YAML key that is an empty scalar, at any depth) is shown as `''`, so
    /// that every error names the key it is about.
    public init(key: String, origin: String, message: String) {
        self.key = key.isEmpty ? "''" : key
        self.origin = origin
        self.message = message
    }

    public var description: String { "\(origin): \(key): \(message)" }
}

extension PipelineConfiguration {
    /// One configurable key: how to read it, write it from text, and whether it is secret.
    struct Key: Sendable {
        let name: String
        let help: String
        let get: @Sendable (PipelineConfiguration) -> String?
        let set: @Sendable (inout PipelineConfiguration, String) throws(ConfigurationError) -> Void
        var secret = false

        var environmentName: String {
            "FRESHET_" + name.uppercased().replacingDots()
        }

        /// Where a key's value lives in the configuration.
        typealias Path<Value> = any WritableKeyPath<PipelineConfiguration, Value> & Sendable

        /// An integer key in `range`, read and written at `path`.
        static func int(
            _ name: String, _ help: String, _ path: Path<Int>, in range: ClosedRange<Int>
        ) -> Key {
            Key(
                name: name, help: help, get: { String($0[keyPath: path]) },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.int(name, v, range) })
        }

        /// An integer key in `range` that is unset (`nil`) until given.
        static func int(
            _ name: String, _ help: String, _ path: Path<Int?>, in range: ClosedRange<Int>
        ) -> Key {
            Key(
                name: name, help: help, get: { $0[keyPath: path].map(String.init) },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.int(name, v, range) })
        }

        /// A number key in `range`.
        static func double(
            _ name: String, _ help: String, _ path: Path<Double>, in range: ClosedRange<Double>
        ) -> Key {
            Key(
                name: name, help: help, get: { PipelineConfiguration.formatNumber($0[keyPath: path]) },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.double(name, v, range) })
        }

        /// A free-text key (a name, a host, a path).
        static func text(_ name: String, _ help: String, _ path: Path<String>) -> Key {
            Key(name: name, help: help, get: { $0[keyPath: path] }, set: { c, v in c[keyPath: path] = v })
        }

        /// A credential: unset until given, never empty when given (`credential(_:_:)`);
        /// `secret` ones are redacted by `config print`.
        static func credential(
            _ name: String, _ help: String, _ path: Path<String?>, secret: Bool
        ) -> Key {
            Key(
                name: name, help: help, get: { $0[keyPath: path] },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.credential(name, v) }, secret: secret)
        }

        /// A duration key (`500ms`, `2s`, `1m`…) in `range`.
        static func duration(
            _ name: String, _ help: String, _ path: Path<Duration>,
            in range: ClosedRange<Duration>
        ) -> Key {
            Key(
                name: name, help: help, get: { DurationText.format($0[keyPath: path]) },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.duration(name, v, range) })
        }

        /// A duration key in `range` where `0s` means none (`nil`).
        static func optionalDuration(
            _ name: String, _ help: String, _ path: Path<Duration?>,
            in range: ClosedRange<Duration>
        ) -> Key {
            Key(
                name: name, help: help, get: { $0[keyPath: path].map(DurationText.format) ?? "0s" },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.optionalDuration(name, v, range) })
        }

        /// A `true`/`false` key.
        static func bool(_ name: String, _ help: String, _ path: Path<Bool>) -> Key {
            Key(
                name: name, help: help, get: { $0[keyPath: path] ? "true" : "false" },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.bool(name, v) })
        }

        /// A key whose value is one of an enum's raw values.
        static func oneOf<Value: RawRepresentable & CaseIterable & SendableMetatype>(
            _ name: String, _ help: String, _ path: Path<Value>
        ) -> Key where Value.RawValue == String {
            Key(
                name: name, help: help, get: { $0[keyPath: path].rawValue },
                set: { c, v throws(ConfigurationError) in c[keyPath: path] = try PipelineConfiguration.oneOf(name, v) })
        }
    }

    static func fail(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(key: key, origin: "", message: message)
    }

    static func int(_ key: String, _ text: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let v = ConfigRange.int(text, in: range) else { throw fail(key, ConfigRange.message(range, got: text)) }
        return v
    }

    static func double(_ key: String, _ text: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let v = ConfigRange.double(text, in: range) else { throw fail(key, ConfigRange.message(range, got: text)) }
        return v
    }

    static func duration(_ key: String, _ text: String, _ range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration {
        guard let d = ConfigRange.duration(text, in: range) else { throw fail(key, ConfigRange.message(range, got: text)) }
        return d
    }

    /// A credential given explicitly must not be empty: an empty value would silently turn
    /// authentication off (fail open). Leaving the key out (or `~`) is how to say "none".
    static func credential(_ key: String, _ text: String) throws(ConfigurationError) -> String {
        guard !text.isEmpty else { throw fail(key, "must not be empty; leave the key out to run without it") }
        guard text.utf8.count <= 1024 else { throw fail(key, "at most 1024 bytes") }
        return text
    }

    /// The accepted range of each numeric key (docs/pipeline.md lists them).
    enum Range {
        static let batchSize = 1...5000
        static let timeout: ClosedRange<Duration> = .milliseconds(1)...(.seconds(600))
        static let partitions = 1...1000
        static let commitInterval: ClosedRange<Duration> = .milliseconds(1)...(.seconds(10))
        static let maxBatchRecords = 1...100_000
        static let idleWait: ClosedRange<Duration> = .milliseconds(1)...(.seconds(60))
        static let window: ClosedRange<Duration> = .seconds(1)...(.seconds(86_400))
        static let allowedLateness: ClosedRange<Duration> = .zero...(.seconds(86_400))
        static let maxFieldBytes = 1...(1 << 20)
        static let maxUnprocessed = 1...10_000_000
        static let maxTransactionRecords = 1...1_000_000
        static let maxTransactionBytes = (1 << 20)...(1 << 30)
        static let maxTransactionTime: ClosedRange<Duration> = .milliseconds(1)...(.seconds(60))
        static let sqliteCacheBytes = (1 << 20)...(4 << 30)
        static let maxInFlight = 1...4096
        static let lease: ClosedRange<Duration> = .seconds(1)...(.seconds(3600))
        static let webMaxConnections = 1...10_000
        static let webRequestTimeout: ClosedRange<Duration> = .milliseconds(100)...(.seconds(600))
        static let webIdleTimeout: ClosedRange<Duration> = .seconds(1)...(.seconds(3600))
        static let webMaxBodyBytes = 1024...(16 << 20)
        static let webMessagesMaxBytes = (64 << 10)...(64 << 20)
        static let cqlMaxConnections = 1...10_000
        static let cqlMaxConcurrentStorageOperations = 1...4096
        static let cqlMaxInFlightBytes = (64 << 10)...(1 << 30)
        static let cqlMaxFrameBytes = 4096...(256 << 20)
        static let cqlTimeout: ClosedRange<Duration> = .zero...(.seconds(86_400))
        static let cqlMaxStatementBytes = 256...(16 << 20)
        static let cqlMaxNestingDepth = 1...256
        static let cqlMaxPageRows = 1...100_000
        static let cqlMaxPageBytes = 1024...(64 << 20)
        static let cqlMaxRowBytes = 1024...(16 << 20)
        static let cqlPreparedCacheBytes = (64 << 10)...(1 << 30)
        static let registryMaxSchemaBytes = 1024...(16 << 20)
        static let registryMaxCount = 1...10_000_000
        static let registryMaxBodyBytes = 4096...(64 << 20)
        static let registryMaxConnections = 1...10_000
    }

    /// A duration in `range`, where 0 means none.
    static func optionalDuration(_ key: String, _ text: String, _ range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration? {
        let d = try duration(key, text, range)
        return d == .zero ? nil : d
    }

    static func bool(_ key: String, _ text: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw fail(key, "expected true or false; got '\(text)'")
        }
    }

    /// One of an enum's raw values, or an error naming the key and listing them.
    static func oneOf<Value: RawRepresentable & CaseIterable>(_ key: String, _ text: String) throws(ConfigurationError) -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            throw fail(key, "expected one of \(Value.allCases.map(\.rawValue).joined(separator: ", ")); got '\(text)'")
        }
        return value
    }

    static func oneOf(_ key: String, _ text: String, _ allowed: [String]) throws(ConfigurationError) -> String {
        guard allowed.contains(text) else { throw fail(key, "expected one of \(allowed.joined(separator: ", ")); got '\(text)'") }
        return text
    }

    static let keys: [Key] = [
        .text("data_dir", "where the log and the store live", \.dataDir),
        Key(
            name: "source.url", help: "generator, a Random User API URL, or none (only DAG runs ingest)", get: { $0.source.url },
            set: { c, v throws(ConfigurationError) in c.source.kind = try SourceKind(url: v, origin: "") }, secret: true),
        .double("source.rate", "generator: people per second", \.source.rate, in: ConfigRange.rate),
        .double("source.requests_per_second", "URL source: requests per second", \.source.requestsPerSecond, in: ConfigRange.requestsPerSecond),
        .int("source.batch_size", "people per batch or request (1-5000)", \.source.batchSize, in: Range.batchSize),
        Key(name: "source.seed", help: "seed for reproducible people", get: { $0.source.seed }, set: { c, v in c.source.seed = v.isEmpty ? nil : v }),
        Key(
            name: "source.nationalities", help: "comma-separated codes, e.g. GB,FR",
            get: { $0.source.nationalities.isEmpty ? nil : $0.source.nationalities.map(\.rawValue).joined(separator: ",") },
            set: { c, v throws(ConfigurationError) in
                var nats: [Nationality] = []
                for part in v.split(separator: ",") {
                    guard let nat = Nationality(code: part.filter { $0 != " " }) else { throw fail("source.nationalities", "unknown nationality '\(part)'") }
                    nats.append(nat)
                }
                c.source.nationalities = nats
            }),
        .int("source.count", "stop after this many people, then drain and exit", \.source.count, in: ConfigRange.count),
        Key(
            name: "source.duration", help: "stop after this long, then drain and exit", get: { $0.source.duration.map(DurationText.format) },
            set: { c, v throws(ConfigurationError) in c.source.duration = try duration("source.duration", v, ConfigRange.runDuration) }),
        .duration("source.timeout", "URL source: per-request timeout", \.source.timeout, in: Range.timeout),
        Key(
            name: "broker.url", help: "embedded, or kafka://host:port[,host:port]", get: { $0.broker.url },
            set: { c, v throws(ConfigurationError) in
                c.broker.location = try BrokerLocation(url: v, origin: "")
                c.broker.url = v
            }, secret: true),
        .int("log.partitions", "partitions of users_created", \.log.partitions, in: Range.partitions),
        .oneOf("log.durability", "group-commit, fsync or none", \.log.durability),
        .duration("log.commit_interval", "group-commit interval", \.log.commitInterval, in: Range.commitInterval),
        .oneOf("topic.format", "users_created values: json, or avro (Confluent-framed, needs a schema registry)", \.topic.format),
        .text("processor.group", "consumer group", \.processor.group),
        .int("processor.max_batch_records", "records per micro-batch", \.processor.maxBatchRecords, in: Range.maxBatchRecords),
        .duration("processor.idle_wait", "how long an idle poll waits", \.processor.idleWait, in: Range.idleWait),
        .duration("processor.window", "tumbling window of the live counts", \.processor.window, in: Range.window),
        .duration("processor.allowed_lateness", "how late a record may still count in its window", \.processor.allowedLateness, in: Range.allowedLateness),
        .int("processor.max_field_bytes", "longest accepted field", \.processor.maxFieldBytes, in: Range.maxFieldBytes),
        .int("processor.max_unprocessed", "how far the source may run ahead", \.processor.maxUnprocessed, in: Range.maxUnprocessed),
        .int(
            "processor.max_transaction_records", "under backlog, records per store transaction", \.processor.maxTransactionRecords,
            in: Range.maxTransactionRecords),
        .int(
            "processor.max_transaction_bytes", "under backlog, bytes of records held for a store transaction", \.processor.maxTransactionBytes,
            in: Range.maxTransactionBytes),
        .duration(
            "processor.max_transaction_time", "under backlog, longest a store transaction gathers records", \.processor.maxTransactionTime,
            in: Range.maxTransactionTime),
        .bool(
            "processor.stream_transactions", "apply each poll to a store transaction open across polls (SQLite, PostgreSQL)",
            \.processor.streamTransactions),
        Key(
            name: "store.url",
            help: "sqlite, sqlite:///path, cassandra://[user:password@]host[:port][,host…][?keyspace=…], or postgres://user:password@host[:port]/database",
            get: { $0.store.url },
            set: { c, v throws(ConfigurationError) in
                c.store.location = try StoreLocation(url: v, origin: "")
                c.store.url = v
            }, secret: true),
        .oneOf("store.synchronous", "SQLite synchronous mode: full or normal", \.store.synchronous),
        .int("store.sqlite_cache_bytes", "page cache of the SQLite writer, in bytes", \.store.sqliteCacheBytes, in: Range.sqliteCacheBytes),
        .bool("web.enabled", "serve the dashboard, API and /metrics", \.web.enabled),
        .text("web.host", "address the web UI binds", \.web.host),
        .int("web.port", "port of the web UI (0: any free port)", \.web.port, in: ConfigRange.port),
        .credential("web.token", "token every page and API requires (except /healthz)", \.web.token, secret: true),
        .credential("web.username", "basic-auth user (with web.password)", \.web.username, secret: false),
        .credential("web.password", "basic-auth password (with web.username)", \.web.password, secret: true),
        .int("web.max_connections", "connections the web server holds at once; more wait to be accepted", \.web.maxConnections, in: Range.webMaxConnections),
        .duration("web.request_timeout", "time a client has to send a whole request (headers and body)", \.web.requestTimeout, in: Range.webRequestTimeout),
        .duration("web.idle_timeout", "an idle keep-alive connection is closed after this", \.web.idleTimeout, in: Range.webIdleTimeout),
        .int("web.max_body_bytes", "largest request body accepted", \.web.maxBodyBytes, in: Range.webMaxBodyBytes),
        .int("web.messages_max_bytes", "bytes of records one topic-messages answer gathers at most", \.web.messagesMaxBytes, in: Range.webMessagesMaxBytes),
        .bool("schema_registry.enabled", "serve the schema registry (Confluent's REST API)", \.schemaRegistry.enabled),
        .text("schema_registry.host", "address the schema registry binds", \.schemaRegistry.host),
        .int("schema_registry.port", "port of the schema registry (0: any free port)", \.schemaRegistry.port, in: ConfigRange.port),
        Key(
            name: "schema_registry.url", help: "an external registry, http(s)://host:port, to use instead of serving one",
            get: { $0.schemaRegistry.url },
            set: { c, v throws(ConfigurationError) in
                if let problem = RemoteRegistryConfiguration(url: v).problem, problem.key == "schema_registry.url" {
                    throw fail("schema_registry.url", problem.message)
                }
                c.schemaRegistry.url = v
            }, secret: true),
        .credential(
            "schema_registry.username",
            "basic-auth user (with schema_registry.password): sent to schema_registry.url, or required by the served registry",
            \.schemaRegistry.username, secret: false),
        .credential("schema_registry.password", "basic-auth password (with schema_registry.username)", \.schemaRegistry.password, secret: true),
        Key(
            name: "schema_registry.ca_file", help: "PEM certificate authorities for an https external registry",
            get: { $0.schemaRegistry.caFile }, set: { c, v in c.schemaRegistry.caFile = v.isEmpty ? nil : v }),
        .int("schema_registry.max_schema_bytes", "bytes of one schema", \.schemaRegistry.maxSchemaBytes, in: Range.registryMaxSchemaBytes),
        .int("schema_registry.max_subjects", "subjects the registry holds", \.schemaRegistry.maxSubjects, in: Range.registryMaxCount),
        .int("schema_registry.max_versions_per_subject", "versions of one subject", \.schemaRegistry.maxVersionsPerSubject, in: Range.registryMaxCount),
        .int("schema_registry.max_schemas", "distinct schemas (global ids) the registry holds", \.schemaRegistry.maxSchemas, in: Range.registryMaxCount),
        .int("schema_registry.max_body_bytes", "largest request body accepted", \.schemaRegistry.maxBodyBytes, in: Range.registryMaxBodyBytes),
        .int("schema_registry.max_connections", "connections the registry holds at once", \.schemaRegistry.maxConnections, in: Range.registryMaxConnections),
        .duration(
            "schema_registry.request_timeout", "time a client has to send a whole request (headers and body)", \.schemaRegistry.requestTimeout,
            in: Range.webRequestTimeout),
        .bool("cql.enabled", "serve the CQL endpoint (cqlsh, Cassandra drivers)", \.cql.enabled),
        .text("cql.host", "address the CQL endpoint binds", \.cql.host),
        .int("cql.port", "port of the CQL endpoint (0: any free port)", \.cql.port, in: ConfigRange.port),
        .credential("cql.username", "user CQL clients log in as (with cql.password)", \.cql.username, secret: false),
        .credential("cql.password", "password CQL clients log in with", \.cql.password, secret: true),
        .int("cql.max_in_flight_per_connection", "CQL requests one connection may have running", \.cql.maxInFlightPerConnection, in: Range.maxInFlight),
        .int("cql.max_connections", "CQL connections open at once (more are closed when accepted)", \.cql.maxConnections, in: Range.cqlMaxConnections),
        .int(
            "cql.max_concurrent_storage_operations", "CQL reads and writes of the store running at once, all connections", \.cql.maxConcurrentStorageOperations,
            in: Range.cqlMaxConcurrentStorageOperations),
        .int(
            "cql.max_in_flight_bytes", "bytes CQL requests in flight may hold, all connections (estimated)", \.cql.maxInFlightBytes,
            in: Range.cqlMaxInFlightBytes),
        .int("cql.max_frame_bytes", "longest CQL frame body buffered", \.cql.maxFrameBytes, in: Range.cqlMaxFrameBytes),
        .optionalDuration("cql.frame_read_timeout", "time for a CQL frame to arrive whole (0: no limit)", \.cql.frameReadTimeout, in: Range.cqlTimeout),
        .optionalDuration("cql.idle_timeout", "CQL connection closed after sending nothing this long (0: never)", \.cql.idleTimeout, in: Range.cqlTimeout),
        .optionalDuration(
            "cql.write_timeout", "CQL connection closed when its responses stay unread this long (0: never)", \.cql.writeTimeout, in: Range.cqlTimeout),
        .int("cql.max_statement_bytes", "longest CQL statement", \.cql.maxStatementBytes, in: Range.cqlMaxStatementBytes),
        .int("cql.max_nesting_depth", "deepest nesting of CQL collection literals and types", \.cql.maxNestingDepth, in: Range.cqlMaxNestingDepth),
        .int("cql.max_page_rows", "rows per page of a CQL read (larger or no page size: paged by the server)", \.cql.maxPageRows, in: Range.cqlMaxPageRows),
        .int("cql.max_page_bytes", "bytes of cells per page of a CQL read", \.cql.maxPageBytes, in: Range.cqlMaxPageBytes),
        .int("cql.max_row_bytes", "bytes a row written through CQL may take", \.cql.maxRowBytes, in: Range.cqlMaxRowBytes),
        .int(
            "cql.prepared_cache_bytes", "bytes of prepared CQL statements kept (least recently used dropped)", \.cql.preparedCacheBytes,
            in: Range.cqlPreparedCacheBytes),
        .bool("scheduler.enabled", "run the DAG scheduler in freshet up", \.scheduler.enabled),
        .duration("scheduler.lease", "how long a run's claim lasts without renewal (shared metadata)", \.scheduler.lease, in: Range.lease),
        Key(
            name: "metadata.url", help: "run history: sqlite (<data_dir>/scheduler.sqlite) or postgres://user:password@host[:port]/database",
            get: { $0.metadata.url },
            set: { c, v throws(ConfigurationError) in
                if PostgresSinkConfiguration.isPostgresURL(v) {
                    do throws(PostgresSinkError) {
                        _ = try PostgresSinkConfiguration(url: v)
                    } catch {
                        throw fail("metadata.url", "\(error.message) (the URL's \(error.part ?? "syntax"))")
                    }
                } else if v != "sqlite" {
                    throw fail("metadata.url", "expected 'sqlite' or 'postgres://user:password@host:5432/database'; got '\(redact(v))'")
                }
                c.metadata.url = v
            }, secret: true),
    ]

    /// Every configuration key's name, in `config print` order.
    public static var keyNames: [String] { keys.map(\.name) }

    public static func formatNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// Sets one key from text (a flag, an environment variable, a YAML scalar).
    public mutating func set(_ name: String, to value: String, origin: String) throws(ConfigurationError) {
        guard let key = Self.keys.first(where: { $0.name == name }) else {
            // An error always names a key, even an empty or unprintable one.
            let shown = name.isEmpty || name.contains(where: { $0.isNewline }) ? "(key '\(name.prefix(64).debugDescription)')" : String(name.prefix(200))
            throw ConfigurationError(key: shown, origin: origin, message: "unknown key; known keys: \(Self.keys.map(\.name).joined(separator: ", "))")
        }
        do {
            try key.set(&self, value)
        } catch {
            throw ConfigurationError(key: name, origin: origin, message: error.message)
        }
    }

    /// Applies a YAML document (`source:\n  rate: 500`), naming unknown keys.
    ///
    /// The document is composed into Yams' node tree and walked here (never `Yams.load`, whose
    /// constructor traps on a key that is not a string, such as `{[a]: 1}`): scalars keep the
    /// text as written (`1e20` stays `1e20`), a key that is not a scalar is an error naming
    /// where it is, and at most `maxYAMLNodes` nodes are visited (aliases cannot blow it up).
    public mutating func apply(yaml text: String, origin: String) throws(ConfigurationError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(key: "(file)", origin: origin, message: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard case .mapping(let root) = node else {
            if case .scalar(let scalar) = node, Self.isNull(scalar) { return }
            throw ConfigurationError(key: "(file)", origin: origin, message: "expected a mapping of keys at the top level")
        }
        var budget = Self.maxYAMLNodes
        var values: [(String, String)] = []
        for (key, value) in root {
            guard let name = key.scalar?.string else {
                throw ConfigurationError(key: "(file)", origin: origin, message: "a key must be a plain name, not a list or mapping")
            }
            if name == "dags" {
                // DAG definitions are a tree, read in the order written (task order matters); the
                // scheduler validates them DAG by DAG (`DAGDefinitions`).
                try Self.countNodes(value, budget: &budget, origin: origin)
                if let definitions = Self.configNode(value) { dags = definitions }
                continue
            }
            try Self.flatten(value, name: name, into: &values, budget: &budget, origin: origin)
        }
        for (name, value) in values.sorted(by: { $0.0 < $1.0 }) {
            try set(name, to: value, origin: origin)
        }
    }

    /// Most YAML nodes one configuration file may have: 100,000.
    static let maxYAMLNodes = 100_000

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func countNodes(_ node: Node, budget: inout Int, origin: String) throws(ConfigurationError) {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigurationError(key: "(file)", origin: origin, message: "more than \(maxYAMLNodes) YAML nodes")
        }
        switch node {
        case .scalar, .alias: return
        case .sequence(let sequence): for item in sequence { try countNodes(item, budget: &budget, origin: origin) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                try countNodes(key, budget: &budget, origin: origin)
                try countNodes(value, budget: &budget, origin: origin)
            }
        }
    }

    /// `source: {rate: 500}` as `("source.rate", "500")`; a list as its items joined by commas.
    static func flatten(_ node: Node, name: String, into values: inout [(String, String)], budget: inout Int, origin: String) throws(ConfigurationError) {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigurationError(key: "(file)", origin: origin, message: "more than \(maxYAMLNodes) YAML nodes")
        }
        switch node {
        case .scalar(let scalar):
            if isNull(scalar) { return }  // `~`: not set, keep the default
            values.append((name, scalar.string))
        case .sequence(let sequence):
            var items: [String] = []
            for item in sequence {
                guard let text = item.scalar?.string else {
                    throw ConfigurationError(key: name, origin: origin, message: "expected a list of values, not of lists or mappings")
                }
                items.append(text)
            }
            values.append((name, items.joined(separator: ",")))
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let child = key.scalar?.string else {
                    throw ConfigurationError(key: name, origin: origin, message: "a key must be a plain name, not a list or mapping")
                }
                try flatten(value, name: name + "." + child, into: &values, budget: &budget, origin: origin)
            }
        case .alias:
            throw ConfigurationError(key: name, origin: origin, message: "YAML aliases are not supported here")
        }
    }

    /// A YAML node as a `ConfigNode`; null is nil.
    static func configNode(_ node: Node) -> ConfigNode? {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return nil }
            return .scalar(scalar.string)
        case .sequence(let sequence): return .list(sequence.compactMap(configNode))
        case .mapping(let mapping):
            return .mapping(mapping.compactMap { key, value in configNode(value).map { ConfigEntry(key.string ?? "\(key)", $0) } })
        case .alias: return nil
        }
    }

    /// A `ConfigNode` as a YAML node (for `yaml()`).
    static func yamlNode(_ node: ConfigNode) -> Node {
        switch node {
        // libyaml quotes a scalar that would not read back as the same text.
        case .scalar(let text): return .scalar(.init(text))
        case .list(let items): return .sequence(.init(items.map(yamlNode), .implicit, .flow))
        case .mapping(let entries): return .mapping(.init(entries.map { (Node($0.key), yamlNode($0.value)) }))
        }
    }

    /// Applies `FRESHET_*` variables that name configuration keys. Returns the names of
    /// `FRESHET_*` variables that matched no key (the caller warns about them).
    public mutating func apply(environment: [String: String]) throws(ConfigurationError) -> [String] {
        var unknown: [String] = []
        let byName = Dictionary(uniqueKeysWithValues: Self.keys.map { ($0.environmentName, $0) })
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("FRESHET_") {
            guard let key = byName[name] else {
                if !Self.otherEnvironment.contains(name) { unknown.append(name) }
                continue
            }
            try set(key.name, to: value, origin: "environment \(name)")
        }
        return unknown
    }

    /// `FRESHET_*` variables that are not configuration keys.
    static let otherEnvironment: Set<String> = [
        "FRESHET_LOG_LEVEL", "FRESHET_BIN", "FRESHET_FIXTURES", "FRESHET_FUZZ", "FRESHET_FUZZ_SECONDS", "FRESHET_TEST_SEED",
    ]

    /// The effective configuration as YAML, with credentials redacted. Keys of a section are
    /// listed together in `keys` (a test checks every section appears once).
    public func yaml() -> String {
        var lines: [String] = []
        var section = ""
        for key in Self.keys {
            let parts = key.name.split(separator: ".", maxSplits: 1).map(String.init)
            var value = key.get(self) ?? "~"
            if key.secret { value = key.name.hasSuffix("url") ? redact(value) : (value == "~" ? value : "***") }
            let quoted = Self.needsQuotes(value) ? "\"" + value.replacingQuotes() + "\"" : value
            if parts.count == 1 {
                lines.append("\(parts[0]): \(quoted)  # \(key.help)")
            } else {
                if parts[0] != section {
                    section = parts[0]
                    lines.append("\(section):")
                }
                lines.append("  \(parts[1]): \(quoted)  # \(key.help)")
            }
        }
        var text = lines.joined(separator: "\n") + "\n"
        if let dags, let yaml = try? Yams.serialize(node: .mapping(.init([(Node("dags"), Self.yamlNode(dags))]))) {
            text += "# DAGs (freshet dags list shows what the scheduler made of them)\n" + yaml
        }
        return text
    }

    static func needsQuotes(_ value: String) -> Bool {
        value != "~" && (value.isEmpty || value.contains(":") || value.contains("#") || value.contains(",") || value.hasPrefix("*"))
    }

    /// Checks that relate several keys, as `freshet up` does once every source is applied:
    /// credentials come in pairs (a user without a password must not mean "no password"), and a
    /// bounded run has one bound and a source. Throws naming the key at fault.
    public func validate(origin: String = "configuration") throws(ConfigurationError) {
        func pair(_ user: String, _ userValue: String?, _ password: String, _ passwordValue: String?) throws(ConfigurationError) {
            if userValue != nil && passwordValue == nil {
                throw ConfigurationError(
                    key: password, origin: origin,
                    message: "missing: \(user) is set, so \(password) is required (a user without a password would let anyone in)")
            }
            if userValue == nil && passwordValue != nil {
                throw ConfigurationError(key: user, origin: origin, message: "missing: \(password) is set, so \(user) is required")
            }
        }
        try pair("web.username", web.username, "web.password", web.password)
        try pair("cql.username", cql.username, "cql.password", cql.password)
        try pair("schema_registry.username", schemaRegistry.username, "schema_registry.password", schemaRegistry.password)
        if schemaRegistry.url == nil && schemaRegistry.caFile != nil {
            throw ConfigurationError(
                key: "schema_registry.ca_file", origin: origin, message: "is for an external registry: set schema_registry.url (--registry) too")
        }
        if source.count != nil && source.duration != nil {
            throw ConfigurationError(key: "source.count", origin: origin, message: "source.count and source.duration (--count, --duration) exclude each other")
        }
        if source.kind == .none && (source.count != nil || source.duration != nil) {
            throw ConfigurationError(
                key: "source.url", origin: origin, message: "source.count and source.duration (--count, --duration) stop the source, and source.url is none")
        }
    }

    /// The SQLite file the store uses.
    public var storePath: String {
        if case .sqlite(let path?) = store.location { return path }
        return dataDir + "/store/freshet.sqlite"
    }
}


extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
    func replacingQuotes() -> String { replacingOccurrences(of: "\"", with: "\\\"") }
}
