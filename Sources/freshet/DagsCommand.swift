import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerSQLite
import FreshetSchedulerService
import Logging
import ServiceLifecycle
import UnixSignals

/// `freshet dags list|runs|trigger|pause|unpause`.
struct DagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dags",
        abstract: "List DAGs, see their runs, trigger, pause and unpause them.",
        discussion: """
            Run history lives in <data-dir>/scheduler.sqlite, or in PostgreSQL with
            --metadata postgres://user:password@host:port/db (or $FRESHET_METADATA_URL);
            `freshet scheduler` runs the DAGs.

            Examples:
              freshet dags list
              freshet dags runs user_automation -n 5
              freshet dags trigger user_automation --conf duration=3s --wait
              freshet dags pause user_automation
            """,
        subcommands: [List.self, Runs.self, Trigger.self, Pause.self, Unpause.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "DAGs with schedule, pause flag, next scheduled run and last run state.",
            discussion: "Examples:\n  freshet dags list\n  freshet dags list --json --data-dir ./freshet-data")
        @OptionGroup var log: LogOptions
        @OptionGroup var metadataOptions: MetadataOptions
        @Flag(help: "Output JSON.") var json = false

        func run() async throws {
            try await metadataOptions.context(dataDir: log.dataDir).withHistory(run)
        }

        func run(_ history: any RunHistory) async throws {
            let context = try metadataOptions.context(dataDir: log.dataDir)
            context.reportErrors()
            let rows = try await history.summaries(of: context.dags)
            if json {
                print(logCLIJSON(rows))
                return
            }
            print(
                logCLITable(
                    ["DAG", "SCHEDULE", "PAUSED", "NEXT RUN", "LAST RUN"],
                    rows.map { r in
                        [r.dag, r.schedule, r.paused ? "yes" : "no", r.nextRun ?? "-", r.lastState.map { "\($0) (\(r.lastRun ?? "-"))" } ?? "-"]
                    }))
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The newest runs of a DAG: run id, state, start, duration, records, error.",
            discussion: "Examples:\n  freshet dags runs user_automation\n  freshet dags runs user_automation -n 5 --json")
        @OptionGroup var log: LogOptions
        @OptionGroup var metadataOptions: MetadataOptions
        @Argument(help: "DAG id.") var dag: String
        @Option(name: .short, help: "How many, newest first.") var n = 20
        @Flag(help: "Output JSON.") var json = false

        func validate() throws {
            _ = try metadataOptions.context(dataDir: log.dataDir).dag(dag)
            guard n >= 1 else { throw ValidationError("-n must be at least 1, got \(n)") }
        }

        func run() async throws {
            try await metadataOptions.context(dataDir: log.dataDir).withHistory(run)
        }

        func run(_ history: any RunHistory) async throws {
            let runs = try await history.runs(dagID: dag, limit: n)
            if json {
                print(logCLIJSON(runs.map(\.json)))
                return
            }
            if runs.isEmpty {
                print("no runs of \(dag) yet (freshet dags trigger \(dag))")
                return
            }
            print(
                logCLITable(
                    ["RUN ID", "STATE", "START", "DURATION", "RECORDS", "ERROR"],
                    runs.map { r in
                        [
                            r.runID, r.state.rawValue, r.startedAt?.iso8601 ?? "-", r.duration().map(DurationText.format) ?? "-",
                            "\(r.recordsProduced)", r.error ?? "",
                        ]
                    }))
        }
    }

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a manual run (run it here if no scheduler is running on the data directory).",
            discussion: """
                --conf keys: duration (e.g. 3s) and rate (records/s) of the stream task.

                Examples:
                  freshet dags trigger user_automation
                  freshet dags trigger user_automation --conf duration=3s --conf rate=500 --wait
                """)
        @OptionGroup var log: LogOptions
        @OptionGroup var metadataOptions: MetadataOptions
        @Argument(help: "DAG id.") var dag: String
        @Option(name: .customLong("conf"), help: ArgumentHelp("Run setting key=value (repeatable).", valueName: "key=value"))
        var conf: [String] = []
        @Flag(help: "Wait until the run ends; exit 1 if it failed.") var wait = false

        func parsedConf() throws -> [String: String] {
            var result: [String: String] = [:]
            for item in conf {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    throw ValidationError("--conf: '\(item)' is not key=value")
                }
                result[String(item[..<eq])] = String(item[item.index(after: eq)...])
            }
            return result
        }

        func validate() throws {
            let dag = try metadataOptions.context(dataDir: log.dataDir).dag(self.dag)
            do { _ = try dag.applying(conf: try parsedConf()) } catch let error as SchedulerError {
                throw ValidationError("--conf: \(error.message)")
            }
        }

        func run() async throws {
            try await metadataOptions.context(dataDir: log.dataDir).withHistory(run)
        }

        func run(_ history: any RunHistory) async throws {
            let context = try metadataOptions.context(dataDir: log.dataDir)
            let dag = try context.dag(self.dag)
            let runID = try await history.queueManualRun(dag: dag, conf: try parsedConf())
            let final: DAGRunEntry?
            if let beat = try await DAGCatalog.schedulerIsRunning(history) {
                print("queued \(runID) for the scheduler \(beat.owner)")
                if try await history.pausedDAGs().contains(dag.id) {
                    FileHandleOutput.standardError.writeLine(
                        "note: \(dag.id) is paused: the run starts once it is unpaused (freshet dags unpause \(dag.id))")
                }
                guard wait else { return }
                while true {
                    if let r = try await history.run(dagID: dag.id, runID: runID), r.state.isFinished {
                        final = r
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            } else {
                print("no scheduler is running on \(context.place); running \(runID) in this process")
                let logger = {
                    var logger = Logger(label: "freshet.scheduler")
                    logger.logLevel = .warning
                    return logger
                }()
                let executor: @Sendable (any Broker) async throws -> DAGRunEntry? = { [history] broker in
                    let service = context.service(history: history, broker: broker, logger: logger)
                    return try await service.runQueued(dagID: dag.id, runID: runID)
                }
                var log = self.log
                log.dataDir = context.dataDir
                var result = try await log.withBroker(executor)
                // Another scheduler sharing the history may have claimed it first: wait for it.
                while let r = result, !r.state.isFinished {
                    try await Task.sleep(for: .milliseconds(200))
                    result = try await history.run(dagID: dag.id, runID: runID)
                }
                final = result
            }
            guard let final else { throw RuntimeFailure("run \(runID) vanished from the run history") }
            let duration = final.duration().map(DurationText.format) ?? "-"
            print("\(runID): \(final.state.rawValue) in \(duration), \(final.recordsProduced) records")
            if final.state != .success {
                throw RuntimeFailure("run \(runID) of \(dag.id) \(final.state.rawValue): \(final.error ?? "no error recorded")")
            }
        }
    }

    /// `pause` and `unpause`: the flag is kept in the run history, which every scheduler polls.
    static func setPaused(_ dag: String, _ paused: Bool, log: LogOptions, metadata: MetadataOptions) async throws {
        try await metadata.context(dataDir: log.dataDir).withHistory { history in
            try await history.setPaused(dag, paused)
        }
        print("\(paused ? "paused" : "unpaused") \(dag)")
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pause a DAG: no new runs, no new task instances (running ones finish).",
            discussion: "Examples:\n  freshet dags pause user_automation")
        @OptionGroup var log: LogOptions
        @OptionGroup var metadataOptions: MetadataOptions
        @Argument(help: "DAG id.") var dag: String
        func validate() throws { _ = try metadataOptions.context(dataDir: log.dataDir).dag(dag) }
        func run() async throws { try await DagsCommand.setPaused(dag, true, log: log, metadata: metadataOptions) }
    }

    struct Unpause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unpause a DAG.",
            discussion: "Examples:\n  freshet dags unpause user_automation")
        @OptionGroup var log: LogOptions
        @OptionGroup var metadataOptions: MetadataOptions
        @Argument(help: "DAG id.") var dag: String
        func validate() throws { _ = try metadataOptions.context(dataDir: log.dataDir).dag(dag) }
        func run() async throws { try await DagsCommand.setPaused(dag, false, log: log, metadata: metadataOptions) }
    }
}

/// `freshet scheduler`: the scheduler service alone over a data directory and a broker.
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run the DAG scheduler: scheduled and queued manual runs, until Ctrl-C.",
        discussion: """
            Run history: <data-dir>/scheduler.sqlite (one scheduler per data directory), or
            PostgreSQL with --metadata postgres://… (or $FRESHET_METADATA_URL): any number of
            schedulers share it, each run is started by exactly one of them, and a run whose
            scheduler died is taken over once its lease expires.
            Ctrl-C stops running tasks and marks them failed.

            Examples:
              freshet scheduler
              freshet scheduler --data-dir ./freshet-data
              freshet scheduler --broker kafka://localhost:9092
              freshet scheduler --metadata postgres://freshet:secret@db:5432/freshet --lease 30s
            """)
    @OptionGroup var log: LogOptions
    @OptionGroup var metadataOptions: MetadataOptions
    @Option(help: "How long a run stays this scheduler's without renewal (renewed every second) before another scheduler may take it over.")
    var lease = "30s"

    func validate() throws {
        guard let d = DurationText.parse(lease), d >= .seconds(2) else {
            throw ValidationError("--lease: '\(lease)' is not a duration of at least 2s (e.g. 30s)")
        }
    }

    func run() async throws {
        let context = try metadataOptions.context(dataDir: log.dataDir)
        context.reportErrors()
        try await context.withHistory { history in try await run(history, context: context) }
    }

    func run(_ history: any RunHistory, context: SchedulerContext) async throws {
        let place = context.place
        // SQLite: one scheduler per file. PostgreSQL: sharing is the point.
        if !DAGCatalog.isPostgres(context.metadata), let beat = try await DAGCatalog.schedulerIsRunning(history) {
            throw RuntimeFailure("a scheduler (\(beat.owner)) is already running on \(context.dataDir)")
        }
        let lease = DurationText.parse(self.lease) ?? .seconds(30)
        let body: @Sendable (any Broker) async throws -> Void = { broker in
            let service = context.service(history: history, broker: broker, lease: lease)
            print("scheduler \(service.configuration.owner) running on \(place) (DAGs: \(context.dags.map(\.id).joined(separator: ", "))); Ctrl-C stops it")
            fflush(nil)  // the line tells scripts and tests the scheduler is up
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "freshet.scheduler")))
            try await group.run()
        }
        var log = self.log
        log.dataDir = context.dataDir
        try await log.withBroker(body)
    }
}
