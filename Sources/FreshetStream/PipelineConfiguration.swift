import Foundation
import FreshetCassandra
import FreshetPostgres
import FreshetCore
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
        public var url = "generator"
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
        /// (docs/kafka.md lists the options).
        public var url = "embedded"

        /// Whether the pipeline talks to a Kafka cluster.
        public var isKafka: Bool { url.hasPrefix("kafka://") }
    }

    public struct Log: Sendable, Equatable {
        /// Partitions of `users_created` (created on the broker when missing). Defaults to 3.
        public var partitions: Int = 3
        /// `group-commit` (default), `fsync` or `none`.
        public var durability = "group-commit"
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
    }

    public struct Store: Sendable, Equatable {
        /// `sqlite` (the default: `<data_dir>/store/freshet.sqlite`), `sqlite:///path/file.sqlite`, or
        /// `cassandra://[user:password@]host[:port][,host…][?keyspace=spark_streams&consistency=LOCAL_QUORUM&replication_factor=1]`
        /// (`CassandraSinkConfiguration` lists every parameter), or
        /// `postgres://user:password@host[:port]/database[?sslmode=prefer&connections=4]`
        /// (`PostgresSinkConfiguration` lists every parameter).
        public var url = "sqlite"
        /// SQLite `synchronous`: `full` (default: a committed batch survives power loss) or `normal`.
        public var synchronous = "full"

        /// Whether rows go to a Cassandra cluster (or a CQL endpoint) rather than SQLite.
        public var isCassandra: Bool { url.hasPrefix("cassandra://") }

        /// Whether rows go to a PostgreSQL database rather than SQLite.
        public var isPostgres: Bool { PostgresSinkConfiguration.isPostgresURL(url) }
    }

    public struct Web: Sendable, Equatable {
        /// Serve the dashboard, API and metrics. Defaults to `true`.
        public var enabled = true
        /// Defaults to 127.0.0.1 (this machine only).
        public var host = "127.0.0.1"
        /// Defaults to 8080; 0 picks a free port.
        public var port = 8080
        /// When set, every page and API except /healthz needs it. Defaults to none.
        public var token: String?
        /// Basic-auth user and password (both needed). Default to none.
        public var username: String?
        public var password: String?
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
        /// With `password`, clients must log in (Cassandra's PasswordAuthenticator). Defaults to none.
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

    public init(key: String, origin: String, message: String) {
        self.key = key
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

    static func int(_ key: String, _ text: String, min: Int = 0) throws(ConfigurationError) -> Int {
        guard let v = Int(text), v >= min else { throw fail(key, "expected an integer ≥ \(min), got '\(text)'") }
        return v
    }

    static func double(_ key: String, _ text: String) throws(ConfigurationError) -> Double {
        guard let v = Double(text), v > 0, v.isFinite else { throw fail(key, "expected a positive number, got '\(text)'") }
        return v
    }

    static func duration(_ key: String, _ text: String) throws(ConfigurationError) -> Duration {
        guard let d = DurationText.parse(text) else { throw fail(key, "expected a duration such as 500ms, 60s, 5m; got '\(text)'") }
        return d
    }

    /// A duration, where 0 means none.
    static func optionalDuration(_ key: String, _ text: String) throws(ConfigurationError) -> Duration? {
        let d = try duration(key, text)
        return d == .zero ? nil : d
    }

    static func bool(_ key: String, _ text: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw fail(key, "expected true or false; got '\(text)'")
        }
    }

    static func oneOf(_ key: String, _ text: String, _ allowed: [String]) throws(ConfigurationError) -> String {
        guard allowed.contains(text) else { throw fail(key, "expected one of \(allowed.joined(separator: ", ")); got '\(text)'") }
        return text
    }

    static let keys: [Key] = [
        Key(name: "data_dir", help: "where the log and the store live", get: { $0.dataDir }, set: { c, v in c.dataDir = v }),
        Key(name: "source.url", help: "generator, a Random User API URL, or none (only DAG runs ingest)", get: { $0.source.url }, set: { c, v throws(ConfigurationError) in
            guard v == "generator" || v == "none" || v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw fail("source.url", "expected 'generator', 'none' or an http(s) URL; got '\(redact(v))'")
            }
            c.source.url = v
        }, secret: true),
        Key(name: "source.rate", help: "generator: people per second", get: { formatNumber($0.source.rate) }, set: { c, v throws(ConfigurationError) in c.source.rate = try double("source.rate", v) }),
        Key(name: "source.requests_per_second", help: "URL source: requests per second", get: { formatNumber($0.source.requestsPerSecond) }, set: { c, v throws(ConfigurationError) in c.source.requestsPerSecond = try double("source.requests_per_second", v) }),
        Key(name: "source.batch_size", help: "people per batch or request (1-5000)", get: { $0.source.batchSize.map(String.init) }, set: { c, v throws(ConfigurationError) in
            let n = try int("source.batch_size", v, min: 1)
            guard n <= 5000 else { throw fail("source.batch_size", "at most 5000; got \(n)") }
            c.source.batchSize = n
        }),
        Key(name: "source.seed", help: "seed for reproducible people", get: { $0.source.seed }, set: { c, v in c.source.seed = v.isEmpty ? nil : v }),
        Key(name: "source.nationalities", help: "comma-separated codes, e.g. GB,FR", get: { $0.source.nationalities.isEmpty ? nil : $0.source.nationalities.map(\.rawValue).joined(separator: ",") }, set: { c, v throws(ConfigurationError) in
            var nats: [Nationality] = []
            for part in v.split(separator: ",") {
                guard let nat = Nationality(code: part.filter { $0 != " " }) else { throw fail("source.nationalities", "unknown nationality '\(part)'") }
                nats.append(nat)
            }
            c.source.nationalities = nats
        }),
        Key(name: "source.count", help: "stop after this many people, then drain and exit", get: { $0.source.count.map(String.init) }, set: { c, v throws(ConfigurationError) in c.source.count = try int("source.count", v, min: 1) }),
        Key(name: "source.duration", help: "stop after this long, then drain and exit", get: { $0.source.duration.map(DurationText.format) }, set: { c, v throws(ConfigurationError) in c.source.duration = try duration("source.duration", v) }),
        Key(name: "source.timeout", help: "URL source: per-request timeout", get: { DurationText.format($0.source.timeout) }, set: { c, v throws(ConfigurationError) in c.source.timeout = try duration("source.timeout", v) }),
        Key(name: "broker.url", help: "embedded, or kafka://host:port[,host:port]", get: { $0.broker.url }, set: { c, v throws(ConfigurationError) in
            guard v == "embedded" || v.hasPrefix("kafka://") else {
                throw fail("broker.url", "expected 'embedded' or 'kafka://host:port'; got '\(redact(v))'")
            }
            c.broker.url = v
        }, secret: true),
        Key(name: "log.partitions", help: "partitions of users_created", get: { String($0.log.partitions) }, set: { c, v throws(ConfigurationError) in c.log.partitions = try int("log.partitions", v, min: 1) }),
        Key(name: "log.durability", help: "group-commit, fsync or none", get: { $0.log.durability }, set: { c, v throws(ConfigurationError) in c.log.durability = try oneOf("log.durability", v, ["group-commit", "fsync", "none"]) }),
        Key(name: "log.commit_interval", help: "group-commit interval", get: { DurationText.format($0.log.commitInterval) }, set: { c, v throws(ConfigurationError) in c.log.commitInterval = try duration("log.commit_interval", v) }),
        Key(name: "processor.group", help: "consumer group", get: { $0.processor.group }, set: { c, v in c.processor.group = v }),
        Key(name: "processor.max_batch_records", help: "records per micro-batch", get: { String($0.processor.maxBatchRecords) }, set: { c, v throws(ConfigurationError) in c.processor.maxBatchRecords = try int("processor.max_batch_records", v, min: 1) }),
        Key(name: "processor.idle_wait", help: "how long an idle poll waits", get: { DurationText.format($0.processor.idleWait) }, set: { c, v throws(ConfigurationError) in c.processor.idleWait = try duration("processor.idle_wait", v) }),
        Key(name: "processor.window", help: "tumbling window of the live counts", get: { DurationText.format($0.processor.window) }, set: { c, v throws(ConfigurationError) in c.processor.window = try duration("processor.window", v) }),
        Key(name: "processor.allowed_lateness", help: "how late a record may still count in its window", get: { DurationText.format($0.processor.allowedLateness) }, set: { c, v throws(ConfigurationError) in c.processor.allowedLateness = try duration("processor.allowed_lateness", v) }),
        Key(name: "processor.max_field_bytes", help: "longest accepted field", get: { String($0.processor.maxFieldBytes) }, set: { c, v throws(ConfigurationError) in c.processor.maxFieldBytes = try int("processor.max_field_bytes", v, min: 1) }),
        Key(name: "processor.max_unprocessed", help: "how far the source may run ahead", get: { String($0.processor.maxUnprocessed) }, set: { c, v throws(ConfigurationError) in c.processor.maxUnprocessed = try int("processor.max_unprocessed", v, min: 1) }),
        Key(name: "store.url", help: "sqlite, sqlite:///path, cassandra://[user:password@]host[:port][,host…][?keyspace=…], or postgres://user:password@host[:port]/database", get: { $0.store.url }, set: { c, v throws(ConfigurationError) in
            if v.hasPrefix("cassandra://") {
                do throws(CassandraSinkError) {
                    _ = try CassandraSinkConfiguration(url: v)
                } catch {
                    throw fail("store.url", "\(error.message) (in '\(redact(v))')")
                }
            } else if PostgresSinkConfiguration.isPostgresURL(v) {
                do throws(PostgresSinkError) {
                    _ = try PostgresSinkConfiguration(url: v)
                } catch {
                    // Not the URL itself: a malformed one may not redact cleanly.
                    throw fail("store.url", "\(error.message) (the URL's \(error.part ?? "syntax"))")
                }
            } else if !(v == "sqlite" || v.hasPrefix("sqlite://")) {
                throw fail("store.url", "expected 'sqlite', 'sqlite:///path/to/file.sqlite', 'cassandra://host:9042[?keyspace=…]' or 'postgres://user:password@host:5432/database'; got '\(redact(v))'")
            }
            c.store.url = v
        }, secret: true),
        Key(name: "store.synchronous", help: "SQLite synchronous mode: full or normal", get: { $0.store.synchronous }, set: { c, v throws(ConfigurationError) in c.store.synchronous = try oneOf("store.synchronous", v, ["full", "normal"]) }),
        Key(name: "web.enabled", help: "serve the dashboard, API and /metrics", get: { $0.web.enabled ? "true" : "false" }, set: { c, v throws(ConfigurationError) in c.web.enabled = try bool("web.enabled", v) }),
        Key(name: "web.host", help: "address the web UI binds", get: { $0.web.host }, set: { c, v in c.web.host = v }),
        Key(name: "web.port", help: "port of the web UI (0: any free port)", get: { String($0.web.port) }, set: { c, v throws(ConfigurationError) in
            let port = try int("web.port", v)
            guard port <= 65535 else { throw fail("web.port", "expected 0-65535; got \(port)") }
            c.web.port = port
        }),
        Key(name: "web.token", help: "token every page and API requires (except /healthz)", get: { $0.web.token }, set: { c, v in c.web.token = v.isEmpty ? nil : v }, secret: true),
        Key(name: "web.username", help: "basic-auth user (with web.password)", get: { $0.web.username }, set: { c, v in c.web.username = v.isEmpty ? nil : v }),
        Key(name: "web.password", help: "basic-auth password", get: { $0.web.password }, set: { c, v in c.web.password = v.isEmpty ? nil : v }, secret: true),
        Key(name: "cql.enabled", help: "serve the CQL endpoint (cqlsh, Cassandra drivers)", get: { $0.cql.enabled ? "true" : "false" }, set: { c, v throws(ConfigurationError) in c.cql.enabled = try bool("cql.enabled", v) }),
        Key(name: "cql.host", help: "address the CQL endpoint binds", get: { $0.cql.host }, set: { c, v in c.cql.host = v }),
        Key(name: "cql.port", help: "port of the CQL endpoint (0: any free port)", get: { String($0.cql.port) }, set: { c, v throws(ConfigurationError) in
            let port = try int("cql.port", v)
            guard port <= 65535 else { throw fail("cql.port", "expected 0-65535; got \(port)") }
            c.cql.port = port
        }),
        Key(name: "cql.username", help: "user CQL clients log in as (with cql.password)", get: { $0.cql.username }, set: { c, v in c.cql.username = v.isEmpty ? nil : v }),
        Key(name: "cql.password", help: "password CQL clients log in with", get: { $0.cql.password }, set: { c, v in c.cql.password = v.isEmpty ? nil : v }, secret: true),
        Key(name: "cql.max_in_flight_per_connection", help: "CQL requests one connection may have running", get: { String($0.cql.maxInFlightPerConnection) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxInFlightPerConnection = try int("cql.max_in_flight_per_connection", v, min: 1)
        }),
        Key(name: "cql.max_connections", help: "CQL connections open at once (more are closed when accepted)", get: { String($0.cql.maxConnections) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxConnections = try int("cql.max_connections", v, min: 1)
        }),
        Key(name: "cql.max_concurrent_storage_operations", help: "CQL reads and writes of the store running at once, all connections", get: { String($0.cql.maxConcurrentStorageOperations) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxConcurrentStorageOperations = try int("cql.max_concurrent_storage_operations", v, min: 1)
        }),
        Key(name: "cql.max_in_flight_bytes", help: "bytes CQL requests in flight may hold, all connections (estimated)", get: { String($0.cql.maxInFlightBytes) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxInFlightBytes = try int("cql.max_in_flight_bytes", v, min: 64 * 1024)
        }),
        Key(name: "cql.max_frame_bytes", help: "longest CQL frame body buffered", get: { String($0.cql.maxFrameBytes) }, set: { c, v throws(ConfigurationError) in
            let n = try int("cql.max_frame_bytes", v, min: 4096)
            guard n <= 256 * 1024 * 1024 else { throw fail("cql.max_frame_bytes", "at most 268435456 (the protocol's 256 MiB); got \(n)") }
            c.cql.maxFrameBytes = n
        }),
        Key(name: "cql.frame_read_timeout", help: "time for a CQL frame to arrive whole (0: no limit)", get: { $0.cql.frameReadTimeout.map(DurationText.format) ?? "0s" }, set: { c, v throws(ConfigurationError) in
            c.cql.frameReadTimeout = try optionalDuration("cql.frame_read_timeout", v)
        }),
        Key(name: "cql.idle_timeout", help: "CQL connection closed after sending nothing this long (0: never)", get: { $0.cql.idleTimeout.map(DurationText.format) ?? "0s" }, set: { c, v throws(ConfigurationError) in
            c.cql.idleTimeout = try optionalDuration("cql.idle_timeout", v)
        }),
        Key(name: "cql.write_timeout", help: "CQL connection closed when its responses stay unread this long (0: never)", get: { $0.cql.writeTimeout.map(DurationText.format) ?? "0s" }, set: { c, v throws(ConfigurationError) in
            c.cql.writeTimeout = try optionalDuration("cql.write_timeout", v)
        }),
        Key(name: "cql.max_statement_bytes", help: "longest CQL statement", get: { String($0.cql.maxStatementBytes) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxStatementBytes = try int("cql.max_statement_bytes", v, min: 256)
        }),
        Key(name: "cql.max_nesting_depth", help: "deepest nesting of CQL collection literals and types", get: { String($0.cql.maxNestingDepth) }, set: { c, v throws(ConfigurationError) in
            let n = try int("cql.max_nesting_depth", v, min: 1)
            guard n <= 256 else { throw fail("cql.max_nesting_depth", "at most 256; got \(n)") }
            c.cql.maxNestingDepth = n
        }),
        Key(name: "cql.max_page_rows", help: "rows per page of a CQL read (larger or no page size: paged by the server)", get: { String($0.cql.maxPageRows) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxPageRows = try int("cql.max_page_rows", v, min: 1)
        }),
        Key(name: "cql.max_page_bytes", help: "bytes of cells per page of a CQL read", get: { String($0.cql.maxPageBytes) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxPageBytes = try int("cql.max_page_bytes", v, min: 1024)
        }),
        Key(name: "cql.max_row_bytes", help: "bytes a row written through CQL may take", get: { String($0.cql.maxRowBytes) }, set: { c, v throws(ConfigurationError) in
            c.cql.maxRowBytes = try int("cql.max_row_bytes", v, min: 1024)
        }),
        Key(name: "cql.prepared_cache_bytes", help: "bytes of prepared CQL statements kept (least recently used dropped)", get: { String($0.cql.preparedCacheBytes) }, set: { c, v throws(ConfigurationError) in
            c.cql.preparedCacheBytes = try int("cql.prepared_cache_bytes", v, min: 64 * 1024)
        }),
        Key(name: "scheduler.enabled", help: "run the DAG scheduler in freshet up", get: { $0.scheduler.enabled ? "true" : "false" }, set: { c, v throws(ConfigurationError) in c.scheduler.enabled = try bool("scheduler.enabled", v) }),
        Key(name: "scheduler.lease", help: "how long a run's claim lasts without renewal (shared metadata)", get: { DurationText.format($0.scheduler.lease) }, set: { c, v throws(ConfigurationError) in
            let d = try duration("scheduler.lease", v)
            guard d >= .seconds(1) else { throw fail("scheduler.lease", "at least 1s; got '\(v)'") }
            c.scheduler.lease = d
        }),
        Key(name: "metadata.url", help: "run history: sqlite (<data_dir>/scheduler.sqlite) or postgres://user:password@host[:port]/database", get: { $0.metadata.url }, set: { c, v throws(ConfigurationError) in
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

    public static func formatNumber(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// Sets one key from text (a flag, an environment variable, a YAML scalar).
    public mutating func set(_ name: String, to value: String, origin: String) throws(ConfigurationError) {
        guard let key = Self.keys.first(where: { $0.name == name }) else {
            throw ConfigurationError(key: name, origin: origin, message: "unknown key; known keys: \(Self.keys.map(\.name).joined(separator: ", "))")
        }
        do {
            try key.set(&self, value)
        } catch {
            throw ConfigurationError(key: name, origin: origin, message: error.message)
        }
    }

    /// Applies a YAML document (`source:\n  rate: 500`), naming unknown keys.
    public mutating func apply(yaml text: String, origin: String) throws(ConfigurationError) {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationError(key: "(file)", origin: origin, message: "not valid YAML: \(error)")
        }
        guard let document else { return }
        guard var root = document as? [String: Any] else {
            throw ConfigurationError(key: "(file)", origin: origin, message: "expected a mapping of keys at the top level")
        }
        // DAG definitions are a tree, read in the order written (task order matters); the
        // scheduler validates them DAG by DAG (`DAGDefinitions`).
        if root.removeValue(forKey: "dags") != nil {
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw ConfigurationError(key: "(file)", origin: origin, message: "not valid YAML: \(error)")
            }
            if case let .mapping(mapping)? = node, let value = mapping.first(where: { $0.key.string == "dags" })?.value {
                dags = Self.configNode(value)
            }
        }
        for (name, value) in Self.flatten(root, prefix: "") {
            try set(name, to: value, origin: origin)
        }
    }

    /// A YAML node as a `ConfigNode`; null is nil.
    static func configNode(_ node: Node) -> ConfigNode? {
        switch node {
        case let .scalar(scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return nil }
            return .scalar(scalar.string)
        case let .sequence(sequence): return .list(sequence.compactMap(configNode))
        case let .mapping(mapping):
            return .mapping(mapping.compactMap { key, value in configNode(value).map { ConfigEntry(key.string ?? "\(key)", $0) } })
        case .alias: return nil
        }
    }

    /// A `ConfigNode` as a YAML node (for `yaml()`).
    static func yamlNode(_ node: ConfigNode) -> Node {
        switch node {
        // libyaml quotes a scalar that would not read back as the same text.
        case let .scalar(text): return .scalar(.init(text))
        case let .list(items): return .sequence(.init(items.map(yamlNode), .implicit, .flow))
        case let .mapping(entries): return .mapping(.init(entries.map { (Node($0.key), yamlNode($0.value)) }))
        }
    }

    static func flatten(_ mapping: [String: Any], prefix: String) -> [(String, String)] {
        var result: [(String, String)] = []
        for (key, value) in mapping.sorted(by: { $0.key < $1.key }) {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case let nested as [String: Any]: result += flatten(nested, prefix: name)
            case let list as [Any]: result.append((name, list.map { "\($0)" }.joined(separator: ",")))
            case is NSNull: continue  // `~`: not set, keep the default
            default: result.append((name, "\(value)"))
            }
        }
        return result
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
    static let otherEnvironment: Set<String> = ["FRESHET_LOG_LEVEL", "FRESHET_BIN", "FRESHET_FIXTURES"]

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

    /// The SQLite file the store uses.
    public var storePath: String {
        if store.url.hasPrefix("sqlite://") { return String(store.url.dropFirst("sqlite://".count)) }
        return dataDir + "/store/freshet.sqlite"
    }
}


extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
    func replacingQuotes() -> String { replacingOccurrences(of: "\"", with: "\\\"") }
}
