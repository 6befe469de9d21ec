import ArgumentParser
import FreshetApp
import FreshetCQL
import FreshetCQLServer
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetStore
import FreshetStream
import FreshetWeb
import Logging
import ServiceLifecycle

/// What `freshet up`, `freshet ingest` and `freshet process` share: resolve the
/// configuration, connect the broker, open the pipeline for a role, print where things are,
/// run, and print a summary.
enum PipelineRun {
    static func run(options: PipelineOptions, role: PipelineRole) async throws {
        let (config, warnings) = try options.resolve()
        for warning in warnings { FileHandleOutput.standardError.writeLine("warning: \(warning)") }
        if role != .all && !config.broker.isKafka {
            throw ValidationError(
                "freshet \(role.rawValue) needs a shared broker: add --broker kafka://host:port "
                    + "(the embedded log belongs to one process; use freshet up)")
        }
        if role == .ingest && config.source.kind == .none {
            throw ValidationError("freshet ingest needs a source: --source generator or a Random User API URL (source.url is none)")
        }
        let reporter = StatusReporter(metrics: PipelineMetrics.shared, interactive: FileHandleOutput.standardError.isTerminal, role: role)
        let registry = Freshet.bootstrapMetrics()
        let events = Application.Events(
            webListening: { host, port in
                FileHandleOutput.standardOutput.writeLine(
                    "web UI listening on http://\(host):\(port)/  (dashboard; /pipeline, /topics, /runs, /api/stats, /metrics)")
            },
            cqlListening: { host, port in
                FileHandleOutput.standardOutput.writeLine("CQL endpoint listening on \(host):\(port)  (cqlsh \(host) \(port); keyspace spark_streams)")
            },
            registryListening: { host, port in
                FileHandleOutput.standardOutput.writeLine(
                    "schema registry listening on http://\(host):\(port)/  (Confluent's REST API: /subjects, /schemas/ids/{id})")
            },
            notice: { message in FileHandleOutput.standardError.writeLine("note: \(message)") })
        let assembly: Application.PipelineAssembly
        do {
            assembly = try await Application.assemblePipeline(config, role: role, metrics: PipelineMetrics.shared, registry: registry, events: events)
        } catch let error as ConfigurationError where error.key == "topic.format" {
            // --format avro without a schema registry (--no-registry): a usage error (exit 2), like other keys.
            throw ValidationError(error.description)
        }
        let pipeline = assembly.pipeline
        assembly.scheduler?.context.reportErrors()
        reporter.watch(broker: pipeline.broker, group: config.processor.group, topic: "users_created")
        var schedulerLine: String?
        if let scheduler = assembly.scheduler {
            schedulerLine = await scheduler.summary()
        }
        FileHandleOutput.standardOutput.writeLine(
            banner(config, role: role, seed: pipeline.seed, webEnabled: assembly.webEnabled, cqlEnabled: assembly.cqlEnabled, scheduler: schedulerLine))
        var failure: (any Error)?
        do {
            try await assembly.run(with: [Companion(reporter)])
        } catch {
            failure = error
        }
        reporter.finish()
        let m = pipeline.metrics.snapshot
        let summary: String
        switch role {
        case .ingest:
            summary = "freshet ingest: \(m.produced) records produced to \(redact(config.broker.url))"
        case .process:
            summary =
                "freshet process: \(m.consumed) records consumed, \(m.stored) rows stored, \(m.totalDeadLettered) dead letters, "
                + "\(m.skippedReplays) replays skipped"
        case .all:
            summary =
                "freshet up: \(m.produced) records ingested, \(m.stored) rows stored, \(m.totalDeadLettered) dead letters, "
                + "\(m.skippedReplays) replays skipped; end-to-end p50 \(PipelineMetrics.Snapshot.milliseconds(m.endToEnd.percentile(0.5))) p99 \(PipelineMetrics.Snapshot.milliseconds(m.endToEnd.percentile(0.99)))"
        }
        FileHandleOutput.standardOutput.writeLine(summary)
        if let failure { throw failure }
    }

    static func banner(
        _ config: PipelineConfiguration, role: PipelineRole, seed: String?, webEnabled: Bool, cqlEnabled: Bool, scheduler: String? = nil
    ) -> String {
        let command = role == .all ? "up" : role.rawValue
        let sourceLine =
            config.source.kind == .none
            ? "none (only DAG runs append people)"
            : config.source.kind == .generator
                ? "offline generator, \(PipelineConfiguration.formatNumber(config.source.rate)) people/s (seed \(seed ?? "?"))"
                : "\(redact(config.source.url)), \(PipelineConfiguration.formatNumber(config.source.requestsPerSecond)) requests/s"
        let stopLine: String
        if role == .process {
            stopLine = "runs until Ctrl-C; processes of group \(config.processor.group) split the partitions"
        } else {
            stopLine =
                config.source.count.map { "stops after \($0) people, then \(role == .all ? "drains and exits" : "exits")" }
                ?? config.source.duration.map { "stops after \(DurationText.format($0)), then \(role == .all ? "drains and exits" : "exits")" }
                ?? "runs until Ctrl-C (in-flight batches are drained and committed)"
        }
        let logLine =
            config.broker.isKafka
            ? "Kafka \(redact(config.broker.url)) (users_created: \(config.log.partitions) partitions when created)"
            : "\(config.dataDir)/topics (users_created: \(config.log.partitions) partitions, \(config.log.durability))"
        var lines = ["freshet \(command) — pipeline running (\(stopLine))"]
        if role != .process { lines.append("  source     \(sourceLine)") }
        if role == .all {
            lines.append("  scheduler  \(scheduler ?? "off (scheduler.enabled: false)")")
        }
        lines.append("  log        \(logLine)")
        let registry = config.schemaRegistry
        if let url = registry.url {
            lines.append("  registry   \(redact(url)) (external)")
        } else if registry.enabled {
            let registryPort = registry.port == 0 ? "<free port>" : String(registry.port)
            lines.append(
                role == .all
                    ? "  registry   http://\(registry.host):\(registryPort)/ (schemas in _schemas)"
                        + (registry.username != nil ? " (authentication required)" : "")
                    : "  registry   the _schemas topic of the cluster (served by freshet up/serve)")
        } else {
            lines.append("  registry   off (--no-registry)")
        }
        if role != .ingest {
            lines.append("  processor  group \(config.processor.group), batches up to \(config.processor.maxBatchRecords), dead letters → users_created.dlq")
            lines.append("  store      \(config.store.isCassandra || config.store.isPostgres ? redact(config.store.url) : config.storePath)")
            let auth = config.web.token != nil || config.web.username != nil ? " (authentication required)" : ""
            let port = config.web.port == 0 ? "<free port>" : String(config.web.port)
            let cassandra = config.store.isCassandra
            lines.append("  web        \(webEnabled ? "http://\(config.web.host):\(port)/" + auth : "off (--no-web)")")
            let cqlPort = config.cql.port == 0 ? "<free port>" : String(config.cql.port)
            let cqlAuth = config.cql.username != nil ? " (authentication required)" : ""
            lines.append("  cql        \(cqlEnabled ? "\(config.cql.host):\(cqlPort), spark_streams.created_users" + cqlAuth : "off (--no-cql)")")
            if cassandra {
                lines.append("  query      cqlsh HOST PORT -e \"SELECT COUNT(*) FROM spark_streams.created_users;\"")
            } else if config.store.isPostgres {
                lines.append("  query      psql \"\(redact(config.store.url))\" -c \"SELECT count(*) FROM created_users;\"")
            } else {
                lines.append("  query      freshet users count --data-dir \(config.dataDir)")
                lines.append("             freshet users recent -n 5 --data-dir \(config.dataDir)")
            }
            lines.append(
                config.broker.isKafka
                    ? "             freshet dlq list --broker '\(redact(config.broker.url))'"
                    : "             freshet dlq list --data-dir \(config.dataDir)")
        }
        return lines.joined(separator: "\n")
    }
}

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run only the source: people → users_created on a Kafka cluster.",
        discussion: """
            The first stage of a scaled-out pipeline: the source (the offline generator or a \
            Random User API) formats people as users_created messages and produces them to the \
            Kafka cluster of --broker, creating the topics when missing. `freshet process` \
            workers consume them. With --count or --duration it exits 0 once everything is \
            acknowledged by the cluster (acks=all); otherwise it runs until SIGINT/SIGTERM.

            Examples:
              freshet ingest --broker kafka://127.0.0.1:9092 --rate 1000
              freshet ingest --broker kafka://k1:9092,k2:9092 --count 100000 --seed demo
              freshet ingest --broker kafka://127.0.0.1:9092 --source https://randomuser.me/api/ --rps 1
            """
    )

    @OptionGroup var options: PipelineOptions

    func run() async throws {
        try await PipelineRun.run(options: options, role: .ingest)
    }
}

struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run only the processor, as one worker of a consumer group on Kafka.",
        discussion: """
            The second stage of a scaled-out pipeline: consumes users_created from the Kafka \
            cluster of --broker as a member of the group processor.group (--group), validates \
            and transforms the records into the store, and sends malformed ones to \
            users_created.dlq. Start several: the group splits the partitions between them, and \
            when one stops (or dies) the others take its partitions over — offsets are committed \
            only after the store has a batch, and the store keeps each partition's position in \
            the same transaction as its rows, so nothing is lost or stored twice. Runs until \
            SIGINT/SIGTERM, which drain the in-flight batch, commit, and leave the group.

            Examples:
              freshet process --broker kafka://127.0.0.1:9092
              freshet process --broker kafka://127.0.0.1:9092 --group etl --data-dir /srv/freshet --web-port 8081
            """
    )

    @OptionGroup var options: PipelineOptions

    func run() async throws {
        try await PipelineRun.run(options: options, role: .process)
    }
}
