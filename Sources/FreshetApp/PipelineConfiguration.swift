import Foundation
import FreshetCassandra
import FreshetCore
import FreshetKafka
import FreshetPostgres
import FreshetScheduler
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
        /// … or this many bytes of records (keys and values). The processor holds their rows
        /// until the write, several times these bytes in memory, so this bounds its memory.
        /// Defaults to 8 MiB (~20,000 seed records; measured to keep `freshet bench e2e` under
        /// 128 MB peak RSS, docs/pipeline.md "Benchmarks").
        public var maxTransactionBytes = 8 << 20
        /// … or its first record is this old. Defaults to 500 ms.
        public var maxTransactionTime: Duration = .milliseconds(500)
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

    public var source = Source()
    public var broker = Broker()
    public var log = Log()
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
        Key(name: "data_dir", help: "where the log and the store live", get: { $0.dataDir }, set: { c, v in c.dataDir = v }),
        Key(
            name: "source.url", help: "generator, a Random User API URL, or none (only DAG runs ingest)", get: { $0.source.url },
            set: { c, v throws(ConfigurationError) in c.source.kind = try SourceKind(url: v, origin: "") }, secret: true),
        Key(
            name: "source.rate", help: "generator: people per second", get: { formatNumber($0.source.rate) },
            set: { c, v throws(ConfigurationError) in c.source.rate = try double("source.rate", v, ConfigRange.rate) }),
        Key(
            name: "source.requests_per_second", help: "URL source: requests per second", get: { formatNumber($0.source.requestsPerSecond) },
            set: { c, v throws(ConfigurationError) in c.source.requestsPerSecond = try double("source.requests_per_second", v, ConfigRange.requestsPerSecond) }),
        Key(
            name: "source.batch_size", help: "people per batch or request (1-5000)", get: { $0.source.batchSize.map(String.init) },
            set: { c, v throws(ConfigurationError) in
                c.source.batchSize = try int("source.batch_size", v, Range.batchSize)
            }),
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
        Key(
            name: "source.count", help: "stop after this many people, then drain and exit", get: { $0.source.count.map(String.init) },
            set: { c, v throws(ConfigurationError) in c.source.count = try int("source.count", v, ConfigRange.count) }),
        Key(
            name: "source.duration", help: "stop after this long, then drain and exit", get: { $0.source.duration.map(DurationText.format) },
            set: { c, v throws(ConfigurationError) in c.source.duration = try duration("source.duration", v, ConfigRange.runDuration) }),
        Key(
            name: "source.timeout", help: "URL source: per-request timeout", get: { DurationText.format($0.source.timeout) },
            set: { c, v throws(ConfigurationError) in c.source.timeout = try duration("source.timeout", v, Range.timeout) }),
        Key(
            name: "broker.url", help: "embedded, or kafka://host:port[,host:port]", get: { $0.broker.url },
            set: { c, v throws(ConfigurationError) in
                c.broker.location = try BrokerLocation(url: v, origin: "")
                c.broker.url = v
            }, secret: true),
        Key(
            name: "log.partitions", help: "partitions of users_created", get: { String($0.log.partitions) },
            set: { c, v throws(ConfigurationError) in c.log.partitions = try int("log.partitions", v, Range.partitions) }),
        Key(
            name: "log.durability", help: "group-commit, fsync or none", get: { $0.log.durability.rawValue },
            set: { c, v throws(ConfigurationError) in c.log.durability = try oneOf("log.durability", v) }),
        Key(
            name: "log.commit_interval", help: "group-commit interval", get: { DurationText.format($0.log.commitInterval) },
            set: { c, v throws(ConfigurationError) in c.log.commitInterval = try duration("log.commit_interval", v, Range.commitInterval) }),
        Key(name: "processor.group", help: "consumer group", get: { $0.processor.group }, set: { c, v in c.processor.group = v }),
        Key(
            name: "processor.max_batch_records", help: "records per micro-batch", get: { String($0.processor.maxBatchRecords) },
            set: { c, v throws(ConfigurationError) in c.processor.maxBatchRecords = try int("processor.max_batch_records", v, Range.maxBatchRecords) }),
        Key(
            name: "processor.idle_wait", help: "how long an idle poll waits", get: { DurationText.format($0.processor.idleWait) },
            set: { c, v throws(ConfigurationError) in c.processor.idleWait = try duration("processor.idle_wait", v, Range.idleWait) }),
        Key(
            name: "processor.window", help: "tumbling window of the live counts", get: { DurationText.format($0.processor.window) },
            set: { c, v throws(ConfigurationError) in c.processor.window = try duration("processor.window", v, Range.window) }),
        Key(
            name: "processor.allowed_lateness", help: "how late a record may still count in its window",
            get: { DurationText.format($0.processor.allowedLateness) },
            set: { c, v throws(ConfigurationError) in c.processor.allowedLateness = try duration("processor.allowed_lateness", v, Range.allowedLateness) }),
        Key(
            name: "processor.max_field_bytes", help: "longest accepted field", get: { String($0.processor.maxFieldBytes) },
            set: { c, v throws(ConfigurationError) in c.processor.maxFieldBytes = try int("processor.max_field_bytes", v, Range.maxFieldBytes) }),
        Key(
            name: "processor.max_unprocessed", help: "how far the source may run ahead", get: { String($0.processor.maxUnprocessed) },
            set: { c, v throws(ConfigurationError) in c.processor.maxUnprocessed = try int("processor.max_unprocessed", v, Range.maxUnprocessed) }),
        Key(
            name: "processor.max_transaction_records", help: "under backlog, records per store transaction",
            get: { String($0.processor.maxTransactionRecords) },
            set: { c, v throws(ConfigurationError) in
                c.processor.maxTransactionRecords = try int("processor.max_transaction_records", v, Range.maxTransactionRecords)
            }),
        Key(
            name: "processor.max_transaction_bytes", help: "under backlog, bytes of records per store transaction",
            get: { String($0.processor.maxTransactionBytes) },
            set: { c, v throws(ConfigurationError) in
                c.processor.maxTransactionBytes = try int("processor.max_transaction_bytes", v, Range.maxTransactionBytes)
            }),
        Key(
            name: "processor.max_transaction_time", help: "under backlog, longest a store transaction gathers records",
            get: { DurationText.format($0.processor.maxTransactionTime) },
            set: { c, v throws(ConfigurationError) in
                c.processor.maxTransactionTime = try duration("processor.max_transaction_time", v, Range.maxTransactionTime)
            }),
        Key(
            name: "store.url",
            help: "sqlite, sqlite:///path, cassandra://[user:password@]host[:port][,host…][?keyspace=…], or postgres://user:password@host[:port]/database",
            get: { $0.store.url },
            set: { c, v throws(ConfigurationError) in
                c.store.location = try StoreLocation(url: v, origin: "")
                c.store.url = v
            }, secret: true),
        Key(
            name: "store.synchronous", help: "SQLite synchronous mode: full or normal", get: { $0.store.synchronous.rawValue },
            set: { c, v throws(ConfigurationError) in c.store.synchronous = try oneOf("store.synchronous", v) }),
        Key(
            name: "store.sqlite_cache_bytes", help: "page cache of the SQLite writer, in bytes", get: { String($0.store.sqliteCacheBytes) },
            set: { c, v throws(ConfigurationError) in
                c.store.sqliteCacheBytes = try int("store.sqlite_cache_bytes", v, Range.sqliteCacheBytes)
            }),
        Key(
            name: "web.enabled", help: "serve the dashboard, API and /metrics", get: { $0.web.enabled ? "true" : "false" },
            set: { c, v throws(ConfigurationError) in c.web.enabled = try bool("web.enabled", v) }),
        Key(name: "web.host", help: "address the web UI binds", get: { $0.web.host }, set: { c, v in c.web.host = v }),
        Key(
            name: "web.port", help: "port of the web UI (0: any free port)", get: { String($0.web.port) },
            set: { c, v throws(ConfigurationError) in
                c.web.port = try int("web.port", v, ConfigRange.port)
            }),
        Key(
            name: "web.token", help: "token every page and API requires (except /healthz)", get: { $0.web.token },
            set: { c, v throws(ConfigurationError) in c.web.token = try credential("web.token", v) }, secret: true),
        Key(
            name: "web.username", help: "basic-auth user (with web.password)", get: { $0.web.username },
            set: { c, v throws(ConfigurationError) in c.web.username = try credential("web.username", v) }),
        Key(
            name: "web.password", help: "basic-auth password (with web.username)", get: { $0.web.password },
            set: { c, v throws(ConfigurationError) in c.web.password = try credential("web.password", v) }, secret: true),
        Key(
            name: "web.max_connections", help: "connections the web server holds at once; more wait to be accepted", get: { String($0.web.maxConnections) },
            set: { c, v throws(ConfigurationError) in
                c.web.maxConnections = try int("web.max_connections", v, Range.webMaxConnections)
            }),
        Key(
            name: "web.request_timeout", help: "time a client has to send a whole request (headers and body)",
            get: { DurationText.format($0.web.requestTimeout) },
            set: { c, v throws(ConfigurationError) in
                c.web.requestTimeout = try duration("web.request_timeout", v, Range.webRequestTimeout)
            }),
        Key(
            name: "web.idle_timeout", help: "an idle keep-alive connection is closed after this", get: { DurationText.format($0.web.idleTimeout) },
            set: { c, v throws(ConfigurationError) in
                c.web.idleTimeout = try duration("web.idle_timeout", v, Range.webIdleTimeout)
            }),
        Key(
            name: "web.max_body_bytes", help: "largest request body accepted", get: { String($0.web.maxBodyBytes) },
            set: { c, v throws(ConfigurationError) in
                c.web.maxBodyBytes = try int("web.max_body_bytes", v, Range.webMaxBodyBytes)
            }),
        Key(
            name: "web.messages_max_bytes", help: "bytes of records one topic-messages answer gathers at most", get: { String($0.web.messagesMaxBytes) },
            set: { c, v throws(ConfigurationError) in
                c.web.messagesMaxBytes = try int("web.messages_max_bytes", v, Range.webMessagesMaxBytes)
            }),
        Key(
            name: "cql.enabled", help: "serve the CQL endpoint (cqlsh, Cassandra drivers)", get: { $0.cql.enabled ? "true" : "false" },
            set: { c, v throws(ConfigurationError) in c.cql.enabled = try bool("cql.enabled", v) }),
        Key(name: "cql.host", help: "address the CQL endpoint binds", get: { $0.cql.host }, set: { c, v in c.cql.host = v }),
        Key(
            name: "cql.port", help: "port of the CQL endpoint (0: any free port)", get: { String($0.cql.port) },
            set: { c, v throws(ConfigurationError) in
                c.cql.port = try int("cql.port", v, ConfigRange.port)
            }),
        Key(
            name: "cql.username", help: "user CQL clients log in as (with cql.password)", get: { $0.cql.username },
            set: { c, v throws(ConfigurationError) in c.cql.username = try credential("cql.username", v) }),
        Key(
            name: "cql.password", help: "password CQL clients log in with", get: { $0.cql.password },
            set: { c, v throws(ConfigurationError) in c.cql.password = try credential("cql.password", v) }, secret: true),
        Key(
            name: "cql.max_in_flight_per_connection", help: "CQL requests one connection may have running", get: { String($0.cql.maxInFlightPerConnection) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxInFlightPerConnection = try int("cql.max_in_flight_per_connection", v, Range.maxInFlight)
            }),
        Key(
            name: "cql.max_connections", help: "CQL connections open at once (more are closed when accepted)", get: { String($0.cql.maxConnections) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxConnections = try int("cql.max_connections", v, Range.cqlMaxConnections)
            }),
        Key(
            name: "cql.max_concurrent_storage_operations", help: "CQL reads and writes of the store running at once, all connections",
            get: { String($0.cql.maxConcurrentStorageOperations) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxConcurrentStorageOperations = try int("cql.max_concurrent_storage_operations", v, Range.cqlMaxConcurrentStorageOperations)
            }),
        Key(
            name: "cql.max_in_flight_bytes", help: "bytes CQL requests in flight may hold, all connections (estimated)",
            get: { String($0.cql.maxInFlightBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxInFlightBytes = try int("cql.max_in_flight_bytes", v, Range.cqlMaxInFlightBytes)
            }),
        Key(
            name: "cql.max_frame_bytes", help: "longest CQL frame body buffered", get: { String($0.cql.maxFrameBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxFrameBytes = try int("cql.max_frame_bytes", v, Range.cqlMaxFrameBytes)
            }),
        Key(
            name: "cql.frame_read_timeout", help: "time for a CQL frame to arrive whole (0: no limit)",
            get: { $0.cql.frameReadTimeout.map(DurationText.format) ?? "0s" },
            set: { c, v throws(ConfigurationError) in
                c.cql.frameReadTimeout = try optionalDuration("cql.frame_read_timeout", v, Range.cqlTimeout)
            }),
        Key(
            name: "cql.idle_timeout", help: "CQL connection closed after sending nothing this long (0: never)",
            get: { $0.cql.idleTimeout.map(DurationText.format) ?? "0s" },
            set: { c, v throws(ConfigurationError) in
                c.cql.idleTimeout = try optionalDuration("cql.idle_timeout", v, Range.cqlTimeout)
            }),
        Key(
            name: "cql.write_timeout", help: "CQL connection closed when its responses stay unread this long (0: never)",
            get: { $0.cql.writeTimeout.map(DurationText.format) ?? "0s" },
            set: { c, v throws(ConfigurationError) in
                c.cql.writeTimeout = try optionalDuration("cql.write_timeout", v, Range.cqlTimeout)
            }),
        Key(
            name: "cql.max_statement_bytes", help: "longest CQL statement", get: { String($0.cql.maxStatementBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxStatementBytes = try int("cql.max_statement_bytes", v, Range.cqlMaxStatementBytes)
            }),
        Key(
            name: "cql.max_nesting_depth", help: "deepest nesting of CQL collection literals and types", get: { String($0.cql.maxNestingDepth) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxNestingDepth = try int("cql.max_nesting_depth", v, Range.cqlMaxNestingDepth)
            }),
        Key(
            name: "cql.max_page_rows", help: "rows per page of a CQL read (larger or no page size: paged by the server)", get: { String($0.cql.maxPageRows) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxPageRows = try int("cql.max_page_rows", v, Range.cqlMaxPageRows)
            }),
        Key(
            name: "cql.max_page_bytes", help: "bytes of cells per page of a CQL read", get: { String($0.cql.maxPageBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxPageBytes = try int("cql.max_page_bytes", v, Range.cqlMaxPageBytes)
            }),
        Key(
            name: "cql.max_row_bytes", help: "bytes a row written through CQL may take", get: { String($0.cql.maxRowBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.maxRowBytes = try int("cql.max_row_bytes", v, Range.cqlMaxRowBytes)
            }),
        Key(
            name: "cql.prepared_cache_bytes", help: "bytes of prepared CQL statements kept (least recently used dropped)",
            get: { String($0.cql.preparedCacheBytes) },
            set: { c, v throws(ConfigurationError) in
                c.cql.preparedCacheBytes = try int("cql.prepared_cache_bytes", v, Range.cqlPreparedCacheBytes)
            }),
        Key(
            name: "scheduler.enabled", help: "run the DAG scheduler in freshet up", get: { $0.scheduler.enabled ? "true" : "false" },
            set: { c, v throws(ConfigurationError) in c.scheduler.enabled = try bool("scheduler.enabled", v) }),
        Key(
            name: "scheduler.lease", help: "how long a run's claim lasts without renewal (shared metadata)", get: { DurationText.format($0.scheduler.lease) },
            set: { c, v throws(ConfigurationError) in
                c.scheduler.lease = try duration("scheduler.lease", v, Range.lease)
            }),
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
