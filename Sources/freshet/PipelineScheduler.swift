import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerSQLite
import FreshetSchedulerService
import FreshetSource
import FreshetStream

/// The DAG scheduler as `freshet up` runs it next to the pipeline: the DAGs of the
/// configuration (the built-in `user_automation`, overridden and extended by the `dags`
/// section), the run history of `metadata.url`, and stream tasks that append people from the
/// configured source to the pipeline's own broker.
struct PipelineScheduler {
    let definitions: DAGDefinitions
    let history: SQLiteRunHistory
    let location: String

    /// Opens the run history and reports DAGs the configuration got wrong on stderr (they are
    /// left out; the others run).
    static func open(_ config: PipelineConfiguration) async throws -> PipelineScheduler {
        let definitions = config.dagDefinitions(builtins: DAGCatalog.builtins)
        for error in definitions.errors {
            FileHandleOutput.standardError.writeLine("error: \(error) — DAG '\(error.dagID)' is not scheduled; the other DAGs are")
        }
        let path = SQLiteRunHistory.path(dataDirectory: config.dataDir)
        let history: SQLiteRunHistory
        do {
            history = try SQLiteRunHistory(path: path)
        } catch {
            throw RuntimeFailure("cannot open the run history \(path): \(error)")
        }
        return PipelineScheduler(definitions: definitions, history: history, location: path)
    }

    /// The service over `broker`. Stream tasks take people from the configured source (the
    /// generator when `source.url` is `none`) for the task's duration at the task's rate.
    func service(config: PipelineConfiguration, broker: any Broker) -> SchedulerService<ContinuousClock> {
        var sourceConfig = config
        if sourceConfig.source.url == "none" { sourceConfig.source.url = "generator" }
        let executor = TaskExecutor(broker: broker) { [sourceConfig] duration, rate in
            sourceConfig.peopleSource(stop: .duration(duration), rate: rate)!
        }
        return SchedulerService(dags: definitions.dags, history: history, executor: executor, clock: ContinuousClock())
    }

    /// `user_automation (paused), nightly (@daily)` for the banner.
    func summary() -> String {
        let paused = (try? history.pausedDAGs()) ?? []
        return definitions.dags.map { paused.contains($0.id) ? "\($0.id) (paused)" : "\($0.id) (\($0.schedule.summary))" }.joined(separator: ", ")
    }

    func close() async {
        history.close()
    }
}

extension DAGCatalog {
    /// DAGs built into Freshet: `user_automation`, streaming at 1,000 records/s unless
    /// configured (`dags.user_automation.rate`) or `--conf rate=…`.
    static var builtins: [DAG] { [DAG.userAutomation(rate: 1000)] }
}
