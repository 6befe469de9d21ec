import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetPostgres
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerSQLite
import FreshetSchedulerService
import FreshetSource
import FreshetStream
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The DAGs built into this binary and what every scheduler (`freshet up`, `freshet scheduler`,
/// `freshet dags`) shares: opening the run history, and whether a scheduler runs on it.
public enum DAGCatalog {
    /// `user_automation`, streaming at 1,000 records/s unless configured
    /// (`dags.user_automation.rate`) or `--conf rate=…`.
    public static let builtins: [DAG] = [DAG.userAutomation(rate: 1000)]
}

/// The DAGs and the run history a command (or `freshet up`) works on.
public struct SchedulerContext: Sendable {
    public let definitions: DAGDefinitions
    /// nil: SQLite in `dataDir`.
    public let metadata: String?
    public let dataDir: String
    /// The config file's settings (stream tasks take people from its source).
    public let configuration: PipelineConfiguration

    public var dags: [DAG] { definitions.dags }

    public init(definitions: DAGDefinitions, metadata: String?, dataDir: String, configuration: PipelineConfiguration) {
        self.definitions = definitions
        self.metadata = metadata
        self.dataDir = dataDir
        self.configuration = configuration
    }

    /// The scheduler service over `history` and `broker`, with this process as owner (`pid@host`).
    public func service(
        history: any RunHistory, broker: any Broker, lease: Duration = .seconds(30),
        logger: Logger = Logger(label: "freshet.scheduler")
    ) -> SchedulerService<ContinuousClock> {
        SchedulerService(
            dags: dags, history: history, executor: DAGCatalog.executor(broker: broker, configuration: configuration),
            clock: ContinuousClock(), configuration: .init(lease: lease), logger: logger)
    }

    /// Where the history is, for messages (never with a password).
    public var place: String { DAGCatalog.describe(metadata: metadata, dataDir: dataDir) }

    public func openHistory() async throws -> any ClosableRunHistory {
        try await DAGCatalog.openHistory(metadata: metadata, dataDir: dataDir, pausedIfNew: definitions.pausedAtCreation)
    }

    /// Runs `body` with the history, closing it afterwards.
    public func withHistory<T>(_ body: (any RunHistory) async throws -> T) async throws -> T {
        let history = try await openHistory()
        do {
            let result = try await body(history)
            await history.close()
            return result
        } catch {
            await history.close()
            throw error
        }
    }
}

extension DAGCatalog {
    /// Whether `metadata` names a PostgreSQL history (`postgres://` or `postgresql://`).
    public static func isPostgres(_ metadata: String?) -> Bool {
        metadata.map(PostgresSinkConfiguration.isPostgresURL) ?? false
    }

    /// Where the history is, for messages: the SQLite path or the URL without its password.
    public static func describe(metadata: String?, dataDir: String) -> String {
        isPostgres(metadata) ? redact(metadata!) : SQLiteRunHistory.path(dataDirectory: dataDir)
    }

    /// Opens the run history the CLI (`freshet dags`, `freshet scheduler`, `freshet up`) works on
    /// and registers the DAGs in it (`registerDAGs`: a DAG new to the history gets its pause flag
    /// from `pausedIfNew`; the built-in `user_automation` starts paused unless configured).
    ///
    /// - `metadata`: nil, empty or `sqlite` → `<dataDir>/scheduler.sqlite` (created if missing);
    ///   `postgres://user:password@host:port/db[?sslmode=…]` → `PostgresRunHistory` (tables
    ///   created if missing). Anything else is a usage error.
    /// - Returns a history to `close()` when done. Failures are `PipelineError`s whose message
    ///   never contains the password.
    public static func openHistory(metadata: String?, dataDir: String, pausedIfNew: [String: Bool]) async throws -> any ClosableRunHistory {
        let history: any ClosableRunHistory
        if isPostgres(metadata) {
            var logger = Logger(label: "freshet.scheduler.postgres")
            logger.logLevel = .warning
            do {
                history = try await PostgresRunHistory.connect(url: metadata!, logger: logger)
            } catch {
                throw PipelineError("cannot open the run history \(redact(metadata!)): \(redact("\(error)"))")
            }
        } else {
            guard metadata == nil || metadata == "" || metadata?.lowercased() == "sqlite" else {
                throw ConfigurationError(
                    key: "metadata.url", origin: "configuration",
                    message: "expected sqlite or postgres://user:password@host:port/db, got '\(redact(metadata!))'")
            }
            let path = SQLiteRunHistory.path(dataDirectory: dataDir)
            do {
                history = try SQLiteRunHistory(path: path)
            } catch {
                throw PipelineError("cannot open the run history \(path): \(error)")
            }
        }
        do {
            try await history.registerDAGs(pausedIfNew)
        } catch {
            await history.close()
            throw PipelineError("cannot register DAGs in the run history: \(redact("\(error)"))")
        }
        return history
    }

    /// The freshest scheduler heartbeat if it is less than 3 seconds old and its process is
    /// alive (a scheduler on this host whose pid is gone — SIGKILLed — does not count).
    public static func schedulerIsRunning(_ history: any RunHistory) async throws -> SchedulerHeartbeat? {
        guard let beat = try await history.heartbeat() else { return nil }
        guard Timestamp.now().millisecondsSinceEpoch - beat.at.millisecondsSinceEpoch < 3000 else { return nil }
        let parts = beat.owner.split(separator: "@", maxSplits: 1)
        if parts.count == 2, String(parts[1]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[0]),
            kill(pid, 0) != 0, errno == ESRCH
        {
            return nil
        }
        return beat
    }
}

/// The DAG scheduler as `freshet up` runs it next to the pipeline: the DAGs of the
/// configuration (the built-in `user_automation`, overridden and extended by the `dags`
/// section), the run history of `metadata.url`, and stream tasks that append people from the
/// configured source to the pipeline's own broker.
public struct PipelineScheduler: Sendable {
    public let context: SchedulerContext
    public let history: any ClosableRunHistory

    public var definitions: DAGDefinitions { context.definitions }

    /// Opens the run history (DAGs the configuration got wrong are left out:
    /// `context.definitions.errors` says which; the others run).
    public static func open(_ config: PipelineConfiguration) async throws -> PipelineScheduler {
        let context = SchedulerContext(config)
        let history = try await context.openHistory()
        // SQLite: one scheduler per history file (PostgreSQL histories are shared on purpose).
        if !DAGCatalog.isPostgres(context.metadata), let beat = try? await DAGCatalog.schedulerIsRunning(history) {
            await history.close()
            throw PipelineError("a scheduler (\(beat.owner)) is already running on \(context.place); stop it, or use --no-scheduler")
        }
        return PipelineScheduler(context: context, history: history)
    }

    public func service(broker: any Broker, metrics: PipelineMetrics, format: MessageFormat = .json) -> SchedulerService<ContinuousClock> {
        SchedulerService(
            dags: context.dags, history: history,
            executor: DAGCatalog.executor(broker: broker, configuration: context.configuration, metrics: metrics, format: format),
            clock: ContinuousClock(), configuration: .init(lease: context.configuration.scheduler.lease))
    }

    /// `user_automation (paused), nightly (@daily); runs in …` for the banner.
    public func summary() async -> String {
        let paused = (try? await history.pausedDAGs()) ?? []
        let dags = context.dags.map { paused.contains($0.id) ? "\($0.id) (paused)" : "\($0.id) (\($0.schedule.summary))" }
        return (dags.isEmpty ? "no DAGs" : dags.joined(separator: ", ")) + "; runs in \(context.place)"
    }

    public func close() async {
        await history.close()
    }
}

extension SchedulerContext {
    /// The DAGs and run history of a pipeline configuration (`freshet up`, `freshet serve`).
    public init(_ config: PipelineConfiguration) {
        self.init(
            definitions: config.dagDefinitions(builtins: DAGCatalog.builtins),
            metadata: config.metadata.url == "sqlite" ? nil : config.metadata.url, dataDir: config.dataDir, configuration: config)
    }
}

extension DAGCatalog {
    /// Runs tasks against `broker`. Stream tasks take people from the configured source (the
    /// generator when `source.url` is `none`) for the task's duration at the task's rate, and
    /// count in `metrics` like the pipeline's own source.
    /// `format` is the pipeline's (`topic.format`): stream tasks write what its processor reads.
    public static func executor(
        broker: any Broker, configuration: PipelineConfiguration, metrics: PipelineMetrics = PipelineMetrics(), format: MessageFormat = .json
    ) -> TaskExecutor {
        var sourceConfig = configuration
        if sourceConfig.source.kind == .none { sourceConfig.source.kind = .generator }
        var settings = TaskExecutor.Configuration()
        settings.topicConfig = TopicConfig(partitions: Int32(configuration.log.partitions))
        settings.format = format
        return TaskExecutor(broker: broker, configuration: settings, metrics: metrics) { [sourceConfig] duration, rate in
            sourceConfig.peopleSource(stop: .duration(duration), rate: rate)!
        }
    }
}
