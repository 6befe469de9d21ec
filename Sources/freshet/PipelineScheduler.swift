import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerService
import FreshetSource
import FreshetStream

/// The DAG scheduler as `freshet up` runs it next to the pipeline: the DAGs of the
/// configuration (the built-in `user_automation`, overridden and extended by the `dags`
/// section), the run history of `metadata.url`, and stream tasks that append people from the
/// configured source to the pipeline's own broker.
struct PipelineScheduler {
    let context: SchedulerContext
    let history: any ClosableRunHistory

    var definitions: DAGDefinitions { context.definitions }

    /// Opens the run history and reports DAGs the configuration got wrong on stderr (they are
    /// left out; the others run).
    static func open(_ config: PipelineConfiguration) async throws -> PipelineScheduler {
        let context = SchedulerContext(config)
        context.reportErrors()
        let history = try await context.openHistory()
        // SQLite: one scheduler per history file (PostgreSQL histories are shared on purpose).
        if !DAGCatalog.isPostgres(context.metadata), let beat = try? await DAGCatalog.schedulerIsRunning(history) {
            await history.close()
            throw RuntimeFailure("a scheduler (\(beat.owner)) is already running on \(context.place); stop it, or use --no-scheduler")
        }
        return PipelineScheduler(context: context, history: history)
    }

    func service(broker: any Broker, metrics: PipelineMetrics) -> SchedulerService<ContinuousClock> {
        SchedulerService(
            dags: context.dags, history: history,
            executor: DAGCatalog.executor(broker: broker, configuration: context.configuration, metrics: metrics),
            clock: ContinuousClock(), configuration: .init(lease: context.configuration.scheduler.lease))
    }

    /// `user_automation (paused), nightly (@daily); runs in …` for the banner.
    func summary() async -> String {
        let paused = (try? await history.pausedDAGs()) ?? []
        let dags = context.dags.map { paused.contains($0.id) ? "\($0.id) (paused)" : "\($0.id) (\($0.schedule.summary))" }
        return (dags.isEmpty ? "no DAGs" : dags.joined(separator: ", ")) + "; runs in \(context.place)"
    }

    func close() async {
        await history.close()
    }
}

extension SchedulerContext {
    /// The DAGs and run history of a pipeline configuration (`freshet up`, `freshet serve`).
    init(_ config: PipelineConfiguration) {
        self.init(
            definitions: config.dagDefinitions(builtins: DAGCatalog.builtins),
            metadata: config.metadata.url == "sqlite" ? nil : config.metadata.url, dataDir: config.dataDir, configuration: config)
    }
}

extension DAGCatalog {
    /// Runs tasks against `broker`. Stream tasks take people from the configured source (the
    /// generator when `source.url` is `none`) for the task's duration at the task's rate, and
    /// count in `metrics` like the pipeline's own source.
    static func executor(broker: any Broker, configuration: PipelineConfiguration, metrics: PipelineMetrics = PipelineMetrics()) -> TaskExecutor {
        var sourceConfig = configuration
        if sourceConfig.source.kind == .none { sourceConfig.source.kind = .generator }
        var settings = TaskExecutor.Configuration()
        settings.topicConfig = TopicConfig(partitions: Int32(configuration.log.partitions))
        return TaskExecutor(broker: broker, configuration: settings, metrics: metrics) { [sourceConfig] duration, rate in
            sourceConfig.peopleSource(stop: .duration(duration), rate: rate)!
        }
    }
}
