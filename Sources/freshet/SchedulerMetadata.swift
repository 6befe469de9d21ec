import ArgumentParser
import Foundation
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerService
import FreshetSchedulerSQLite
import Logging

/// `--metadata`: where the scheduler's run history lives.
struct MetadataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Run history: sqlite (<data-dir>/scheduler.sqlite) or postgres://user:password@host:port/db, shared by several schedulers. Defaults to $FRESHET_METADATA_URL, else sqlite.",
        valueName: "sqlite|postgres-url"))
    var metadata: String?

    /// The option, else `FRESHET_METADATA_URL`, else nil (SQLite).
    var resolved: String? { metadata ?? ProcessInfo.processInfo.environment["FRESHET_METADATA_URL"] }
}

extension DAGCatalog {
    /// Whether `metadata` names a PostgreSQL history (`postgres://` or `postgresql://`).
    static func isPostgres(_ metadata: String?) -> Bool {
        guard let m = metadata?.lowercased() else { return false }
        return m.hasPrefix("postgres://") || m.hasPrefix("postgresql://")
    }

    /// Where the history is, for messages: the SQLite path or the URL without its password.
    static func describe(metadata: String?, dataDir: String) -> String {
        isPostgres(metadata) ? redact(metadata!) : SQLiteRunHistory.path(dataDirectory: dataDir)
    }

    /// Opens the run history the CLI (`freshet dags`, `freshet scheduler`, later `freshet up`)
    /// works on and registers the catalog's DAGs in it (`registerDAGs`: the built-in
    /// `user_automation` starts paused the first time a history sees it).
    ///
    /// - `metadata`: nil, empty or `sqlite` → `<dataDir>/scheduler.sqlite` (created if missing);
    ///   `postgres://user:password@host:port/db[?sslmode=…]` → `PostgresRunHistory` (tables
    ///   created if missing). Anything else is a usage error.
    /// - Returns a history to `close()` when done. Failures are `RuntimeFailure`s whose message
    ///   never contains the password.
    static func openHistory(metadata: String?, dataDir: String) async throws -> any ClosableRunHistory {
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

    /// The scheduler service over `history` (opened by `openHistory`) and `broker`, with this
    /// process as owner (`pid@host`). Run it in a `ServiceGroup`; graceful shutdown stops running
    /// tasks and marks them failed. `lease` defaults to 30 s (`SchedulerService.Configuration`).
    static func makeSchedulerService(history: any RunHistory, broker: any Broker, lease: Duration = .seconds(30),
                                     logger: Logger = Logger(label: "freshet.scheduler")) -> SchedulerService<ContinuousClock> {
        SchedulerService(dags: dags, history: history, executor: TaskExecutor(broker: broker), clock: ContinuousClock(),
                         configuration: .init(lease: lease), logger: logger)
    }

    /// The freshest scheduler heartbeat if it is less than 3 seconds old.
    static func schedulerIsRunning(_ history: any RunHistory) async throws -> SchedulerHeartbeat? {
        guard let beat = try await history.heartbeat() else { return nil }
        return Timestamp.now().millisecondsSinceEpoch - beat.at.millisecondsSinceEpoch < 3000 ? beat : nil
    }

    /// Test-only stopgap until DAGs come from the config file: `FRESHET_TEST_DAG="<schedule>|<command>"`
    /// adds DAG `test_shell`, one shell task `work` (1 retry, 1 s later) on `<schedule>`
    /// (`manual`, `every 2s`, a cron expression). Malformed values are ignored with a warning.
    static func testDAGs() -> [DAG] {
        guard let spec = ProcessInfo.processInfo.environment["FRESHET_TEST_DAG"], let bar = spec.firstIndex(of: "|") else { return [] }
        do {
            let schedule = try Schedule(parsing: String(spec[..<bar]), startDate: Timestamp(year: 2024, month: 1, day: 1))
            return [try DAG(id: "test_shell", schedule: schedule, tasks: [DAGTask("work", .shell(command: String(spec[spec.index(after: bar)...])))],
                            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: 1, delay: .seconds(1))))]
        } catch {
            FileHandle.standardError.write(Data("FRESHET_TEST_DAG ignored: \(error)\n".utf8))
            return []
        }
    }
}
