import FreshetCore
import FreshetScheduler
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The scheduler as a long-lived service: restores from the run history, creates scheduled runs,
/// picks up manual runs queued in the history (by `freshet dags trigger`), runs task instances
/// with a `TaskExecutor`, writes every state change to the history, and beats a heartbeat there
/// every second so the CLI knows a scheduler is running.
///
/// Graceful shutdown (or cancellation) stops running tasks; their instances and runs are marked
/// failed with "stopped by scheduler shutdown". A run left `running` by a crash is resumed from
/// its first task on the next start.
public final class SchedulerService<C: Clock<Duration>>: Service, Sendable {
    public struct Configuration: Sendable {
        /// How often the heartbeat is written and the history polled for queued runs and pause
        /// flags. Defaults to 1 second.
        public var pollInterval: Duration
        /// Task instances running at once. Defaults to 16.
        public var parallelism: Int
        /// Who this scheduler is in the heartbeat. Defaults to `pid@host`.
        public var owner: String

        public init(pollInterval: Duration = .seconds(1), parallelism: Int = 16,
                    owner: String = "\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)") {
            self.pollInterval = pollInterval
            self.parallelism = parallelism
            self.owner = owner
        }
    }

    public let dags: [DAG]
    public let history: any RunHistory
    public let executor: TaskExecutor
    public let configuration: Configuration
    let clock: C
    let logger: Logger

    public init(dags: [DAG], history: any RunHistory, executor: TaskExecutor, clock: C,
                configuration: Configuration = Configuration(), logger: Logger = Logger(label: "freshet.scheduler")) {
        self.dags = dags
        self.history = history
        self.executor = executor
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until graceful shutdown or cancellation.
    public func run() async throws {
        try await drive(single: nil)
    }

    /// Runs one queued manual run to its end in this process, without schedules, heartbeat or
    /// other queued runs (what `freshet dags trigger` does when no scheduler is running).
    /// Returns the run as finally recorded.
    @discardableResult
    public func runQueued(dagID: String, runID: String) async throws -> DAGRunEntry? {
        try await drive(single: (dagID, runID))
        return try history.run(dagID: dagID, runID: runID)
    }

    private func drive(single: (dag: String, run: String)?) async throws {
        let paused = try history.pausedDAGs()
        var dags = self.dags
        for i in dags.indices {
            dags[i].schedule.isPaused = paused.contains(dags[i].id)
            if single != nil {
                dags[i].schedule.trigger = .manual
                dags[i].schedule.isPaused = false
            }
        }
        let scheduler = try Scheduler(dags: dags, pastRuns: single == nil ? try history.pastRuns() : [],
                                      configuration: .init(parallelism: configuration.parallelism))
        var loop = SchedulerLoop(scheduler: scheduler, clock: clock, wallTimeAtStart: .now())
        let (inbox, wake) = AsyncStream.makeStream(of: SchedulerInput.self)
        let work = Work(history: history, executor: executor, inbox: wake, logger: logger)
        if let single { wake.yield(.trigger(dag: single.dag, run: single.run)) }
        let poll = single == nil ? Task { [history, configuration, clock, logger] in
            var known = paused
            while !Task.isCancelled {
                do {
                    try history.beat(SchedulerHeartbeat(owner: configuration.owner, at: .now()))
                    for run in try history.queuedRuns() { wake.yield(.trigger(dag: run.dagID, run: run.runID)) }
                    let now = try history.pausedDAGs()
                    for dag in now.symmetricDifference(known) { wake.yield(.setPaused(dag: dag, now.contains(dag))) }
                    known = now
                } catch {
                    logger.warning("run history: \(error)")
                }
                try? await clock.sleep(for: configuration.pollInterval)
            }
        } : nil
        defer { poll?.cancel() }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await loop.run(inbox: inbox, wake: wake, onTriggerError: { error, dag, run in
                    work.failQueued(dag: dag, run: run, error: error.message)
                }) { action, now in
                    work.perform(action, now: now, dags: dags)
                    if let single, case let .runFinished(d, r, _) = action, d == single.dag, r == single.run { wake.finish() }
                }
            } onCancel: {
                wake.finish()
            }
        } onGracefulShutdown: {
            wake.finish()
        }
        await work.stopAll(now: Timestamp.now())
        // Clear the heartbeat so `freshet dags trigger` runs in-process at once rather than queue.
        if single == nil { try? history.beat(SchedulerHeartbeat(owner: configuration.owner, at: Timestamp(millisecondsSinceEpoch: 0))) }
    }
}

/// The service's bookkeeping between the loop (actions) and task tasks (outcomes).
final class Work: Sendable {
    struct Key: Hashable { var dag: String, run: String, task: String }
    struct RunningTask {
        var task: Task<Void, Never>
        var entry: TaskInstanceEntry
        var timeout: Duration?
    }
    struct State {
        var running: [Key: RunningTask] = [:]
        /// The latest entry per instance (for up_for_retry and errors).
        var latest: [Key: TaskInstanceEntry] = [:]
        var records: [String: Int] = [:]
        var firstError: [String: String] = [:]
        /// The DAG as each run sees it, `--conf` applied.
        var runDAGs: [String: DAG] = [:]
    }

    let history: any RunHistory
    let executor: TaskExecutor
    let inbox: AsyncStream<SchedulerInput>.Continuation
    let logger: Logger
    let state = Mutex(State())

    init(history: any RunHistory, executor: TaskExecutor, inbox: AsyncStream<SchedulerInput>.Continuation, logger: Logger) {
        self.history = history
        self.executor = executor
        self.inbox = inbox
        self.logger = logger
    }

    static func runKey(_ dag: String, _ run: String) -> String { dag + "\u{0}" + run }

    func save(_ body: () throws -> Void) {
        do { try body() } catch { logger.error("run history write failed: \(error)") }
    }

    func failQueued(dag: String, run: String, error: String) {
        save {
            guard var entry = try history.run(dagID: dag, runID: run), entry.state == .queued else { return }
            entry.state = .failed
            entry.error = error
            entry.endedAt = .now()
            try history.saveRun(entry)
        }
    }

    func perform(_ action: Scheduler.Action, now: Timestamp, dags: [DAG]) {
        switch action {
        case let .createRun(dag, run, interval):
            save {
                var entry = try history.run(dagID: dag, runID: run)
                    ?? DAGRunEntry(dagID: dag, runID: run, kind: interval == nil ? .manual : .scheduled, interval: interval, state: .running, createdAt: now)
                entry.state = .running
                entry.startedAt = entry.startedAt ?? now
                let base = dags.first { $0.id == dag }
                let applied: DAG?
                do { applied = try base?.applying(conf: entry.conf) } catch {
                    logger.warning("run \(run): \(error); running without conf")
                    applied = base
                }
                state.withLock { $0.runDAGs[Self.runKey(dag, run)] = applied }
                try history.saveRun(entry)
                logger.info("run started", metadata: ["dag": "\(dag)", "run": "\(run)"])
            }
        case let .startTask(dag, run, taskID, tryNumber, _):
            let key = Key(dag: dag, run: run, task: taskID)
            guard let runDAG = state.withLock({ $0.runDAGs[Self.runKey(dag, run)] }) ?? dags.first(where: { $0.id == dag }),
                  let task = runDAG.task(taskID) else { return }
            let timeout = runDAG.timeout(for: task)
            let entry = TaskInstanceEntry(dagID: dag, runID: run, taskID: taskID, tryNumber: tryNumber, state: .running, startedAt: now)
            save { try history.saveTask(entry) }
            let executor = self.executor
            state.withLock { s in
                let t = Task {
                    let outcome = await executor.execute(task.kind, timeout: timeout)
                    self.finished(key, outcome)
                }
                s.running[key] = RunningTask(task: t, entry: entry, timeout: timeout)
                s.latest[key] = entry
            }
        case let .stopTask(dag, run, taskID):
            let key = Key(dag: dag, run: run, task: taskID)
            guard let running = state.withLock({ $0.running.removeValue(forKey: key) }) else { return }
            running.task.cancel()
            var entry = running.entry
            entry.state = .failed
            entry.endedAt = now
            entry.error = "timed out after \(running.timeout.map(DurationText.format) ?? "its deadline")"
            record(entry)
        case let .scheduleRetry(dag, run, taskID, at):
            let key = Key(dag: dag, run: run, task: taskID)
            guard var entry = state.withLock({ $0.latest[key] }) else { return }
            entry.state = .upForRetry
            if let e = entry.error { entry.error = "\(e) (retry at \(at.iso8601))" }
            save { try history.saveTask(entry) }
        case let .markSkipped(dag, run, taskID):
            save { try history.saveTask(TaskInstanceEntry(dagID: dag, runID: run, taskID: taskID, tryNumber: 0, state: .skipped, endedAt: now)) }
        case let .runFinished(dag, run, runState):
            let k = Self.runKey(dag, run)
            let (records, error) = state.withLock { s in
                s.runDAGs[k] = nil
                return (s.records.removeValue(forKey: k) ?? 0, s.firstError.removeValue(forKey: k))
            }
            save {
                var entry = try history.run(dagID: dag, runID: run)
                    ?? DAGRunEntry(dagID: dag, runID: run, kind: .scheduled, state: .running, createdAt: now)
                entry.state = StoredRunState(runState)
                entry.endedAt = now
                entry.recordsProduced += records
                if runState == .failed { entry.error = entry.error ?? error }
                try history.saveRun(entry)
            }
            logger.info("run finished", metadata: ["dag": "\(dag)", "run": "\(run)", "state": "\(runState.rawValue)", "records": "\(records)"])
        }
    }

    /// A task try ended by itself (not stopped): record it and tell the scheduler.
    func finished(_ key: Key, _ outcome: TaskOutcome) {
        guard !Task.isCancelled, var entry = state.withLock({ $0.running.removeValue(forKey: key)?.entry }) else { return }
        entry.state = outcome.succeeded ? .success : .failed
        entry.endedAt = .now()
        entry.error = outcome.error
        state.withLock { $0.records[Self.runKey(key.dag, key.run), default: 0] += outcome.recordsProduced }
        record(entry)
        let event: DAGRunStateMachine.Event = outcome.error.map { .taskFailed(key.task, reason: $0) } ?? .taskSucceeded(key.task)
        inbox.yield(.event(Scheduler.TaskEvent(dag: key.dag, run: key.run, event)))
    }

    private func record(_ entry: TaskInstanceEntry) {
        let key = Key(dag: entry.dagID, run: entry.runID, task: entry.taskID)
        state.withLock { s in
            s.latest[key] = entry
            if let error = entry.error, entry.state == .failed {
                let k = Self.runKey(entry.dagID, entry.runID)
                s.firstError[k] = s.firstError[k] ?? "\(entry.taskID): \(error)"
            }
        }
        save { try history.saveTask(entry) }
    }

    /// Shutdown: stops running tasks and marks them and their runs failed.
    func stopAll(now: Timestamp) async {
        let running = state.withLock { s in
            let r = s.running
            s.running = [:]
            return r
        }
        for (key, r) in running {
            r.task.cancel()
            await r.task.value
            var entry = r.entry
            entry.state = .failed
            entry.endedAt = now
            entry.error = "stopped by scheduler shutdown"
            save { try history.saveTask(entry) }
            let k = Self.runKey(key.dag, key.run)
            let records = state.withLock { $0.records.removeValue(forKey: k) ?? 0 }
            save {
                guard var run = try history.run(dagID: key.dag, runID: key.run), !run.state.isFinished else { return }
                run.state = .failed
                run.endedAt = now
                run.recordsProduced += records
                run.error = "scheduler shut down while task '\(key.task)' was running"
                try history.saveRun(run)
            }
            logger.notice("stopped task by shutdown", metadata: ["dag": "\(key.dag)", "run": "\(key.run)", "task": "\(key.task)"])
        }
    }
}
