import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetPostgres
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerSQLite
import FreshetSchedulerService
import FreshetStream
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `--config` and `--metadata` of `freshet dags …` and `freshet scheduler`: which DAGs (the
/// built-ins, overridden and extended by the config file's `dags` section) and which run history.
struct MetadataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("YAML configuration file: its dags section, data_dir and metadata.url (as freshet up reads them).", valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Run history: sqlite (<data-dir>/scheduler.sqlite) or postgres://user:password@host:port/db, shared by several schedulers. Defaults to $FRESHET_METADATA_URL, else the config's metadata.url, else sqlite.",
            valueName: "sqlite|postgres-url"))
    var metadata: String?

    /// The configuration file, parsed (defaults without `--config`); a bad file is a usage error naming it.
    func configuration() throws -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        guard let path = config else { return configuration }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--config: cannot read '\(path)'") }
        do {
            try configuration.apply(yaml: String(decoding: data, as: UTF8.self), origin: path)
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    /// What the command works on. `dataDir` is `--data-dir`; when that is left at its default the
    /// config file's `data_dir` counts.
    func context(dataDir: String) throws -> SchedulerContext {
        let configuration = try configuration()
        let metadata =
            self.metadata ?? ProcessInfo.processInfo.environment["FRESHET_METADATA_URL"]
            ?? (configuration.metadata.url == "sqlite" ? nil : configuration.metadata.url)
        let dir = dataDir == LogOptions.defaultDataDir && config != nil ? configuration.dataDir : dataDir
        return SchedulerContext(
            definitions: configuration.dagDefinitions(builtins: DAGCatalog.builtins), metadata: metadata, dataDir: dir, configuration: configuration)
    }
}

/// The DAGs and the run history one CLI command works on.
struct SchedulerContext: Sendable {
    let definitions: DAGDefinitions
    /// nil: SQLite in `dataDir`.
    let metadata: String?
    let dataDir: String
    /// The config file's settings (stream tasks take people from its source).
    let configuration: PipelineConfiguration

    var dags: [DAG] { definitions.dags }

    /// The scheduler service over `history` and `broker`, with this process as owner (`pid@host`).
    func service(
        history: any RunHistory, broker: any Broker, lease: Duration = .seconds(30),
        logger: Logger = Logger(label: "freshet.scheduler")
    ) -> SchedulerService<ContinuousClock> {
        SchedulerService(
            dags: dags, history: history, executor: DAGCatalog.executor(broker: broker, configuration: configuration),
            clock: ContinuousClock(), configuration: .init(lease: lease), logger: logger)
    }

    /// The DAG named `id`, or a usage error naming it (exit 2) — saying why if the config file
    /// defines it with a mistake.
    func dag(_ id: String) throws -> DAG {
        if let dag = definitions.dag(id) { return dag }
        if let error = definitions.errors.first(where: { $0.dagID == id }) {
            throw ValidationError("DAG '\(id)' is not usable: \(error)")
        }
        throw ValidationError("unknown DAG '\(id)' (known: \(dags.map(\.id).joined(separator: ", ")))")
    }

    /// Reports DAGs the config file got wrong on stderr (they are left out; the others work).
    func reportErrors() {
        for error in definitions.errors {
            FileHandleOutput.standardError.writeLine("error: \(error) — DAG '\(error.dagID)' is left out; the other DAGs are scheduled")
        }
    }

    /// Where the history is, for messages (never with a password).
    var place: String { DAGCatalog.describe(metadata: metadata, dataDir: dataDir) }

    func openHistory() async throws -> any ClosableRunHistory {
        try await DAGCatalog.openHistory(metadata: metadata, dataDir: dataDir, pausedIfNew: definitions.pausedAtCreation)
    }

    /// Runs `body` with the history, closing it afterwards.
    func withHistory<T>(_ body: (any RunHistory) async throws -> T) async throws -> T {
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
    static func isPostgres(_ metadata: String?) -> Bool {
        metadata.map(PostgresSinkConfiguration.isPostgresURL) ?? false
    }

    /// Where the history is, for messages: the SQLite path or the URL without its password.
    static func describe(metadata: String?, dataDir: String) -> String {
        isPostgres(metadata) ? redact(metadata!) : SQLiteRunHistory.path(dataDirectory: dataDir)
    }

    /// Opens the run history the CLI (`freshet dags`, `freshet scheduler`, `freshet up`) works on
    /// and registers the DAGs in it (`registerDAGs`: a DAG new to the history gets its pause flag
    /// from `pausedIfNew`; the built-in `user_automation` starts paused unless configured).
    ///
    /// - `metadata`: nil, empty or `sqlite` → `<dataDir>/scheduler.sqlite` (created if missing);
    ///   `postgres://user:password@host:port/db[?sslmode=…]` → `PostgresRunHistory` (tables
    ///   created if missing). Anything else is a usage error.
    /// - Returns a history to `close()` when done. Failures are `RuntimeFailure`s whose message
    ///   never contains the password.
    static func openHistory(metadata: String?, dataDir: String, pausedIfNew: [String: Bool]) async throws -> any ClosableRunHistory {
        let history: any ClosableRunHistory
        if isPostgres(metadata) {
            var logger = Logger(label: "freshet.scheduler.postgres")
            logger.logLevel = .warning
            do {
                history = try await PostgresRunHistory.connect(url: metadata!, logger: logger)
            } catch {
                throw RuntimeFailure("cannot open the run history \(redact(metadata!)): \(redact("\(error)"))")
            }
        } else {
            guard metadata == nil || metadata == "" || metadata?.lowercased() == "sqlite" else {
                throw ValidationError("--metadata: expected sqlite or postgres://user:password@host:port/db, got '\(redact(metadata!))'")
            }
            let path = SQLiteRunHistory.path(dataDirectory: dataDir)
            do {
                history = try SQLiteRunHistory(path: path)
            } catch {
                throw RuntimeFailure("cannot open the run history \(path): \(error)")
            }
        }
        do {
            try await history.registerDAGs(pausedIfNew)
        } catch {
            await history.close()
            throw RuntimeFailure("cannot register DAGs in the run history: \(redact("\(error)"))")
        }
        return history
    }

    /// The freshest scheduler heartbeat if it is less than 3 seconds old and its process is
    /// alive (a scheduler on this host whose pid is gone — SIGKILLed — does not count).
    static func schedulerIsRunning(_ history: any RunHistory) async throws -> SchedulerHeartbeat? {
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
