import ArgumentParser
import Foundation
import FreshetApp
import FreshetCore
import FreshetStream

/// The flags `freshet up` and `freshet config print` share. Each maps to a configuration key;
/// flags win over the environment, which wins over the file.
struct PipelineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("YAML configuration file (see `freshet config print`).", valueName: "file"))
    var config: String?

    @Option(help: "Where the log and the store live (data_dir).")
    var dataDir: String?

    @Option(help: ArgumentHelp("generator, the URL of a Random User API, or none: only DAG runs append people (source.url).", valueName: "generator|URL|none"))
    var source: String?

    // Read as text: the configuration checks the range and quotes what was typed.
    @Option(help: ArgumentHelp("Generator: people per second, 0.001…1000000 (source.rate).", valueName: "number"))
    var rate: String?

    @Option(help: ArgumentHelp("URL source: requests per second, 0.001…1000 (source.requests_per_second).", valueName: "number"))
    var rps: String?

    @Option(help: "People per batch or request (source.batch_size).")
    var batchSize: Int?

    @Option(help: "Seed for reproducible people (source.seed).")
    var seed: String?

    @Option(help: ArgumentHelp("Nationalities, comma-separated (source.nationalities).", valueName: "codes"))
    var nat: String?

    @Option(help: "Stop the source after this many people, drain, and exit (source.count).")
    var count: Int?

    @Option(help: ArgumentHelp("Stop the source after this long, drain, and exit (source.duration).", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("embedded (default), or a Kafka cluster: kafka://host:port[,host:port] (broker.url).", valueName: "embedded|URL"))
    var broker: String?

    @Option(
        help: ArgumentHelp(
            "sqlite (default), sqlite:///path, a Cassandra cluster: cassandra://host:9042[?keyspace=…], or PostgreSQL: postgres://user:password@host:5432/database (store.url).",
            valueName: "URL"))
    var store: String?

    @Option(help: "Consumer group of the processor (processor.group).")
    var group: String?

    @Option(help: ArgumentHelp("Log durability: group-commit, fsync or none (log.durability).", valueName: "policy"))
    var durability: String?

    @Option(help: "Partitions of users_created when it is created (log.partitions).")
    var partitions: Int?

    @Option(
        help: ArgumentHelp(
            "users_created values: json (default) or avro, Confluent-framed with the schema in a schema registry (topic.format).",
            valueName: "json|avro"))
    var format: String?

    @Option(help: "Address the web UI binds (web.host).")
    var webHost: String?

    @Option(help: "Port of the web UI, 0 for any free port (web.port).")
    var webPort: Int?

    @Flag(help: "Do not serve the web UI (web.enabled=false).")
    var noWeb = false

    @Option(help: "Address the CQL endpoint binds (cql.host).")
    var cqlHost: String?

    @Option(help: "Port of the CQL endpoint for cqlsh and Cassandra drivers, 0 for any free port (cql.port).")
    var cqlPort: Int?

    @Flag(help: "Do not serve the CQL endpoint (cql.enabled=false).")
    var noCql = false

    @Option(help: "Port of the schema registry (Confluent's REST API), 0 for any free port (schema_registry.port).")
    var registryPort: Int?

    @Flag(help: "Do not serve the schema registry (schema_registry.enabled=false).")
    var noRegistry = false

    @Option(
        help: ArgumentHelp(
            "Use this external Confluent-compatible registry instead of serving one: http(s)://host:port (schema_registry.url; credentials in schema_registry.username/password).",
            valueName: "URL"))
    var registry: String?

    @Flag(help: "Do not run the DAG scheduler in freshet up (scheduler.enabled=false).")
    var noScheduler = false

    @Option(
        help: ArgumentHelp(
            "Run history: sqlite (<data-dir>/scheduler.sqlite, default) or postgres://user:password@host:5432/database, shared by several Freshet processes (metadata.url).",
            valueName: "URL"))
    var metadata: String?

    /// The effective configuration: defaults ← file ← environment ← flags.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (PipelineConfiguration, warnings: [String]) {
        var configuration = PipelineConfiguration()
        var warnings: [String] = []
        do {
            if let path = config {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("--config: cannot read '\(path)'")
                }
                try configuration.apply(yaml: String(decoding: data, as: UTF8.self), origin: path)
            }
            for name in try configuration.apply(environment: environment) {
                warnings.append("ignoring \(name): not a configuration key")
            }
            let flags: [(String, String, String?)] = [
                ("--data-dir", "data_dir", dataDir), ("--source", "source.url", source),
                ("--rate", "source.rate", rate), ("--rps", "source.requests_per_second", rps),
                ("--batch-size", "source.batch_size", batchSize.map(String.init)), ("--seed", "source.seed", seed),
                ("--nat", "source.nationalities", nat), ("--count", "source.count", count.map(String.init)),
                ("--duration", "source.duration", duration), ("--broker", "broker.url", broker),
                ("--group", "processor.group", group), ("--store", "store.url", store), ("--durability", "log.durability", durability),
                ("--partitions", "log.partitions", partitions.map(String.init)), ("--format", "topic.format", format),
                ("--web-host", "web.host", webHost), ("--web-port", "web.port", webPort.map(String.init)),
                ("--no-web", "web.enabled", noWeb ? "false" : nil),
                ("--cql-host", "cql.host", cqlHost), ("--cql-port", "cql.port", cqlPort.map(String.init)),
                ("--no-cql", "cql.enabled", noCql ? "false" : nil),
                ("--registry-port", "schema_registry.port", registryPort.map(String.init)),
                ("--no-registry", "schema_registry.enabled", noRegistry ? "false" : nil), ("--registry", "schema_registry.url", registry),
                ("--no-scheduler", "scheduler.enabled", noScheduler ? "false" : nil), ("--metadata", "metadata.url", metadata),
            ]
            for (flag, key, value) in flags {
                guard let value else { continue }
                try configuration.set(key, to: value, origin: flag)
            }
            // Keys that only make sense together (credentials in pairs: fail closed).
            try configuration.validate()
        } catch let error as ConfigurationError {
            // A bad flag or config key is a usage error: exit 2, naming it.
            throw ValidationError(error.origin.hasPrefix("--") ? "\(error.origin) (\(error.key)): \(error.message)" : error.description)
        }
        return (configuration, warnings)
    }
}

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the effective configuration.",
        subcommands: [Print.self]
    )

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration as YAML (credentials redacted).",
            discussion: """
                The result of defaults, the --config file, FRESHET_* environment variables \
                (FRESHET_SOURCE_RATE sets source.rate) and flags, in that order. The output is \
                a valid configuration file.

                Examples:
                  freshet config print
                  freshet config print --config freshet.yaml --rate 500
                  FRESHET_SOURCE_URL=https://user:pw@example.com/api/ freshet config print
                """
        )

        @OptionGroup var options: PipelineOptions

        func run() async throws {
            let (configuration, warnings) = try options.resolve()
            for warning in warnings { FileHandleOutput.standardError.writeLine("warning: \(warning)") }
            print(configuration.yaml(), terminator: "")
        }
    }
}
