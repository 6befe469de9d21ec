import Foundation
import FreshetCore
import FreshetScheduler
import Logging
import ServiceLifecycle
import Synchronization

/// The scheduler as a long-lived service: restores from the run history, creates scheduled runs,
/// picks up manual runs queued in the history (by `freshet dags trigger`), runs task instances
/// with a `TaskExecutor`, writes every state change to the history, and beats a heartbeat there
/// every poll interval so the CLI knows a scheduler is running.
///
/// Several services (processes) may share one history (PostgreSQL): before a run starts, the
/// service claims it with a lease (`RunHistory.claimRun`) and renews its leases every poll
/// interval. A run another service claimed is watched: it counts towards `maxActiveRuns` and
/// nothing of it runs here; once it has finished it is forgotten; once its lease has expired
/// (its process died) this service claims it and adopts it with its recorded task instances:
/// the try that was running counts as failed ("its scheduler … stopped renewing the lease") and
/// is retried per the task's retry policy. A run left `running` by an earlier process is handled
/// the same way on start.
///
/// Graceful shutdown (or cancellation) stops running tasks; their instances and runs are marked
/// failed with "stopped by scheduler shutdown", and the service's heartbeat is removed.
public final class SchedulerService<C: Clock<Duration>>: Service, Sendable {
    public struct Configuration: Sendable {
        /// How often the heartbeat is written, leases renewed and the history polled for queued
        /// runs, pause flags and watched runs. Defaults to 1 second.
        public var pollInterval: Duration
        /// How long a claimed run stays this service's without a renewal; another scheduler takes
        /// it over after that. Must be well above `pollInterval`. Defaults to 30 seconds.
        public var lease: Duration
        /// Task instances running at once. Defaults to 16.
        public var parallelism: Int
        /// Who this scheduler is in the heartbeat and in runs it owns. Defaults to `pid@host`.
        public var owner: String

        public init(
            pollInterval: Duration = .seconds(1), lease: Duration = .seconds(30), parallelism: Int = 16,
            owner: String = SchedulerHeartbeat.processOwner
        ) {
            self.pollInterval = pollInterval
            self.lease = lease
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

    public init(
        dags: [DAG], history: any RunHistory, executor: TaskExecutor, clock: C,
        configuration: Configuration = Configuration(), logger: Logger = Logger(label: "freshet.scheduler")
    ) {
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
    /// Returns the run as finally recorded (owned by another scheduler if one claimed it first).
    @discardableResult
    public func runQueued(dagID: String, runID: String) async throws -> DAGRunEntry? {
        try await drive(single: (dagID, runID))
        return try await history.run(dagID: dagID, runID: runID)
    }

    private func drive(single: (dag: String, run: String)?) async throws {
        let paused = try await history.pausedDAGs()
        var dags = self.dags
        for i in dags.indices {
            dags[i].schedule.isPaused = paused.contains(dags[i].id)
            if single != nil {
                dags[i].schedule.trigger = .manual
                dags[i].schedule.isPaused = false
            }
        }
        let pastRuns = single == nil ? try await history.pastRuns() : []
        let scheduler = try Scheduler(dags: dags, pastRuns: pastRuns, configuration: .init(parallelism: configuration.parallelism))
        var loop = SchedulerLoop(scheduler: scheduler, clock: clock, wallTimeAtStart: .now())
        let (inbox, wake) = AsyncStream.makeStream(of: SchedulerInput.self)
        let work = Work(
            history: history, executor: executor, inbox: wake, owner: configuration.owner, lease: configuration.lease,
            dags: dags, single: single.map { Work.RunKey(dag: $0.dag, run: $0.run) }, logger: logger)
        // Runs left running (by a dead process, or alive elsewhere) start watched.
        for r in pastRuns where r.state == .running { work.watch(Work.RunKey(dag: r.dagID, run: r.runID), interval: r.interval) }
        if let single { wake.yield(.trigger(dag: single.dag, run: single.run)) }
        // The poll (leases, heartbeat, queued runs, pauses) and the reports of triggers that
        // failed are children of this task; the loop runs beside them until its inbox finishes.
        let (failedTriggers, reportFailure) = AsyncStream.makeStream(
            of: (dag: String, run: String, error: String).self, bufferingPolicy: .bufferingNewest(1024))
        let outcome = await withTaskGroup(of: Bool.self, returning: Result<Void, any Error>.self) { group in
            group.addTask { [configuration, clock, logger, history] in
                var known = paused
                while !Task.isCancelled {
                    do {
                        try await work.renewLeases()
                        if single == nil {
                            try await history.beat(SchedulerHeartbeat(owner: configuration.owner, at: .now()))
                            for run in try await history.queuedRuns() { wake.yield(.trigger(dag: run.dagID, run: run.runID)) }
                            let now = try await history.pausedDAGs()
                            for dag in now.symmetricDifference(known) { wake.yield(.setPaused(dag: dag, now.contains(dag))) }
                            known = now
                            try await work.checkOtherOwners()
                        }
                    } catch {
                        logger.warning("run history: \(error)")
                    }
                    try? await clock.sleep(for: configuration.pollInterval)
                }
                return false
            }
            group.addTask {
                for await failure in failedTriggers { await work.failQueued(dag: failure.dag, run: failure.run, error: failure.error) }
                return true
            }
            let outcome: Result<Void, any Error>
            do {
                try await withGracefulShutdownHandler {
                    try await withTaskCancellationHandler {
                        try await loop.run(
                            inbox: inbox, wake: wake,
                            onTriggerError: { error, dag, run in reportFailure.yield((dag, run, error.message)) }
                        ) { action, now in
                            await work.perform(action, now: now)
                            if let single, case .runFinished(let d, let r, _) = action, d == single.dag, r == single.run { wake.finish() }
                        }
                    } onCancel: {
                        wake.finish()
                    }
                } onGracefulShutdown: {
                    wake.finish()
                }
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            // The reports already queued are written, then the poll ends, so no beat or renewal
            // lands after the cleanup below.
            reportFailure.finish()
            while let reportsDone = await group.next(), !reportsDone {}
            group.cancelAll()
            return outcome
        }
        try outcome.get()
        await work.stopAll(now: Timestamp.now())
        // Remove the heartbeat so `freshet dags trigger` runs in-process at once rather than queue.
        if single == nil { try? await history.endHeartbeat(owner: configuration.owner) }
    }
}

extension SchedulerHeartbeat {
    /// This process as an owner: `pid@host`.
    public static var processOwner: String {
        "\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
    }
}

/// The service's bookkeeping between the loop (actions), task tasks (outcomes) and the poll
/// (leases, watched runs).
final class Work: Sendable {
    struct Key: Hashable { var dag: String, run: String, task: String }
    struct RunKey: Hashable, Sendable { var dag: String, run: String }
    struct RunningTask {
        /// Ends with the try's outcome (also when stopped: a stream task counts what it produced).
        var task: Task<TaskOutcome, Never>
        var entry: TaskInstanceEntry
        var timeout: Duration?
    }
    struct State {
        var running: [Key: RunningTask] = [:]
        /// The latest entry per instance (for up_for_retry and errors).
        var latest: [Key: TaskInstanceEntry] = [:]
        var records: [String: Int] = [:]
        var firstError: [String: String] = [:]
        /// The DAG as each run this service owns sees it, `--conf` applied.
        var runDAGs: [String: DAG] = [:]
        /// Active runs another scheduler owns, with their intervals: every action for them is
        /// dropped; the poll forgets or adopts them.
        var watched: [RunKey: DataInterval?] = [:]
    }

    let history: any RunHistory
    let executor: TaskExecutor
    let inbox: AsyncStream<SchedulerInput>.Continuation
    let owner: String
    let lease: Duration
    let dags: [DAG]
    /// The one run of `runQueued`, if that is the mode.
    let single: RunKey?
    let logger: Logger
    let state = Mutex(State())

    init(
        history: any RunHistory, executor: TaskExecutor, inbox: AsyncStream<SchedulerInput>.Continuation, owner: String,
        lease: Duration, dags: [DAG], single: RunKey?, logger: Logger
    ) {
        self.history = history
        self.executor = executor
        self.inbox = inbox
        self.owner = owner
        self.lease = lease
        self.dags = dags
        self.single = single
        self.logger = logger
    }

    static func runKey(_ dag: String, _ run: String) -> String { dag + "\u{0}" + run }

    func save(_ body: () async throws -> Void) async {
        do { try await body() } catch { logger.error("run history write failed: \(error)") }
    }

    func watch(_ run: RunKey, interval: DataInterval?) {
        state.withLock { $0.watched[run] = .some(interval) }
    }

    func isWatched(_ dag: String, _ run: String) -> Bool {
        state.withLock { $0.watched[RunKey(dag: dag, run: run)] != nil }
    }

    func renewLeases() async throws {
        try await history.renewLeases(owner: owner, until: Timestamp.now().adding(lease))
    }

    func failQueued(dag: String, run: String, error: String) async {
        await save {
            guard var entry = try await history.run(dagID: dag, runID: run), entry.state == .queued else { return }
            entry.state = .failed
            entry.error = error
            entry.endedAt = .now()
            try await history.saveRun(entry)
        }
    }

    /// Watched runs that finished elsewhere are forgotten; those whose lease expired are claimed
    /// and adopted. Runs other schedulers started that this one has not seen are watched.
    func checkOtherOwners() async throws {
        let now = Timestamp.now()
        for r in try await history.unfinishedRuns() where r.state == .running && r.owner != owner {
            let key = RunKey(dag: r.dagID, run: r.runID)
            let known = state.withLock { $0.watched[key] != nil || $0.runDAGs[Self.runKey(r.dagID, r.runID)] != nil }
            if !known, dags.contains(where: { $0.id == r.dagID }) {
                watch(key, interval: r.interval)
                inbox.yield(.watch(dag: r.dagID, run: r.runID, interval: r.interval))
            }
        }
        for (key, interval) in state.withLock({ $0.watched }) {
            guard let stored = try await history.run(dagID: key.dag, runID: key.run), stored.state != .queued else {
                // Gone, or queued again: the queued-run poll triggers it anew.
                state.withLock { _ = $0.watched.removeValue(forKey: key) }
                inbox.yield(.forget(dag: key.dag, run: key.run))
                continue
            }
            if stored.state.isFinished {
                state.withLock { _ = $0.watched.removeValue(forKey: key) }
                inbox.yield(.forget(dag: key.dag, run: key.run))
                continue
            }
            guard stored.isClaimable(by: owner, now: now),
                let claimed = try await history.claimRun(stored, owner: owner, leaseUntil: now.adding(lease), now: now)
            else { continue }
            let previous = stored.owner.map { "its scheduler \($0)" } ?? "its scheduler"
            var tasks = try await history.tasks(dagID: key.dag, runID: key.run)
            for i in tasks.indices where tasks[i].state == .running || tasks[i].state == .queued {
                tasks[i].state = .failed
                tasks[i].endedAt = now
                tasks[i].error = "\(previous) stopped renewing the lease"
                try await history.saveTask(tasks[i])
            }
            state.withLock { s in
                s.watched[key] = nil
                for t in tasks { s.latest[Key(dag: t.dagID, run: t.runID, task: t.taskID)] = t }
                let base = dags.first { $0.id == key.dag }
                s.runDAGs[Self.runKey(key.dag, key.run)] = (try? base?.applying(conf: claimed.conf)) ?? base
            }
            logger.notice("took over run", metadata: ["dag": "\(key.dag)", "run": "\(key.run)", "from": "\(stored.owner ?? "-")"])
            inbox.yield(.adopt(dag: key.dag, run: key.run, interval: interval ?? stored.interval, tasks: tasks))
        }
    }

    func perform(_ action: Scheduler.Action, now: Timestamp) async {
        switch action {
        case .createRun(let dag, let run, let interval):
            guard !isWatched(dag, run) else { return }
            let wall = Timestamp.now()
            let entry = DAGRunEntry(
                dagID: dag, runID: run, kind: interval == nil ? .manual : .scheduled, interval: interval,
                state: .running, createdAt: now, startedAt: now)
            let claimed: DAGRunEntry?
            do {
                claimed = try await history.claimRun(entry, owner: owner, leaseUntil: wall.adding(lease), now: wall)
            } catch {
                logger.error("cannot claim run \(run): \(error)")
                claimed = nil
            }
            guard let claimed else {
                // Another scheduler owns it (or the history failed): watch it, run nothing of it.
                watch(RunKey(dag: dag, run: run), interval: interval)
                inbox.yield(.watch(dag: dag, run: run, interval: interval))
                if single == RunKey(dag: dag, run: run) { inbox.finish() }
                logger.debug("run claimed by another scheduler", metadata: ["dag": "\(dag)", "run": "\(run)"])
                return
            }
            let base = dags.first { $0.id == dag }
            let applied: DAG?
            do { applied = try base?.applying(conf: claimed.conf) } catch {
                logger.warning("run \(run): \(error); running without conf")
                applied = base
            }
            state.withLock { $0.runDAGs[Self.runKey(dag, run)] = applied }
            logger.info("run started", metadata: ["dag": "\(dag)", "run": "\(run)"])
        case .startTask(let dag, let run, let taskID, let tryNumber, _):
            guard !isWatched(dag, run) else { return }
            let key = Key(dag: dag, run: run, task: taskID)
            guard let runDAG = state.withLock({ $0.runDAGs[Self.runKey(dag, run)] }) ?? dags.first(where: { $0.id == dag }),
                let task = runDAG.task(taskID)
            else { return }
            let timeout = runDAG.timeout(for: task)
            let entry = TaskInstanceEntry(dagID: dag, runID: run, taskID: taskID, tryNumber: tryNumber, state: .running, startedAt: now)
            await save { try await history.saveTask(entry) }
            let executor = self.executor
            let environment = ["FRESHET_DAG_ID": dag, "FRESHET_RUN_ID": run, "FRESHET_TASK_ID": taskID, "FRESHET_TRY_NUMBER": String(tryNumber)]
            state.withLock { s in
                let t = Task {
                    let outcome = await executor.execute(task.kind, timeout: timeout, environment: environment)
                    await self.finished(key, outcome)
                    return outcome
                }
                s.running[key] = RunningTask(task: t, entry: entry, timeout: timeout)
                s.latest[key] = entry
            }
        case .stopTask(let dag, let run, let taskID):
            let key = Key(dag: dag, run: run, task: taskID)
            guard let running = state.withLock({ $0.running.removeValue(forKey: key) }) else { return }
            running.task.cancel()
            var entry = running.entry
            entry.state = .failed
            entry.endedAt = now
            entry.error = "timed out after \(running.timeout.map(DurationText.format) ?? "its deadline")"
            await record(entry)
        case .scheduleRetry(let dag, let run, let taskID, let at):
            guard !isWatched(dag, run) else { return }
            let key = Key(dag: dag, run: run, task: taskID)
            guard var entry = state.withLock({ $0.latest[key] }) else { return }
            entry.state = .upForRetry
            if let e = entry.error { entry.error = "\(e) (retry at \(at.iso8601))" }
            await save { try await history.saveTask(entry) }
        case .markSkipped(let dag, let run, let taskID):
            guard !isWatched(dag, run) else { return }
            await save { try await history.saveTask(TaskInstanceEntry(dagID: dag, runID: run, taskID: taskID, tryNumber: 0, state: .skipped, endedAt: now)) }
        case .runFinished(let dag, let run, let runState):
            guard !isWatched(dag, run) else { return }
            let k = Self.runKey(dag, run)
            let (records, error) = state.withLock { s in
                s.runDAGs[k] = nil
                return (s.records.removeValue(forKey: k) ?? 0, s.firstError.removeValue(forKey: k))
            }
            await save {
                var entry =
                    try await history.run(dagID: dag, runID: run)
                    ?? DAGRunEntry(dagID: dag, runID: run, kind: .scheduled, state: .running, createdAt: now)
                entry.state = StoredRunState(runState)
                entry.endedAt = now
                entry.recordsProduced += records
                if runState == .failed { entry.error = entry.error ?? error ?? self.firstRecordedError(dag, run) }
                try await history.saveRun(entry)
            }
            logger.info("run finished", metadata: ["dag": "\(dag)", "run": "\(run)", "state": "\(runState.rawValue)", "records": "\(records)"])
        }
    }

    /// For an adopted run that failed without a failure in this process: the recorded one.
    private func firstRecordedError(_ dag: String, _ run: String) -> String? {
        state.withLock { s in
            s.latest.values.filter { $0.dagID == dag && $0.runID == run && $0.state == .failed && $0.error != nil }
                .min { ($0.endedAt?.millisecondsSinceEpoch ?? 0) < ($1.endedAt?.millisecondsSinceEpoch ?? 0) }
                .map { "\($0.taskID): \($0.error!)" }
        }
    }

    /// A task try ended by itself (not stopped): record it and tell the scheduler.
    func finished(_ key: Key, _ outcome: TaskOutcome) async {
        guard !Task.isCancelled, var entry = state.withLock({ $0.running.removeValue(forKey: key)?.entry }) else { return }
        entry.state = outcome.succeeded ? .success : .failed
        entry.endedAt = .now()
        entry.error = outcome.error
        state.withLock { $0.records[Self.runKey(key.dag, key.run), default: 0] += outcome.recordsProduced }
        await record(entry)
        let event: DAGRunStateMachine.Event = outcome.error.map { .taskFailed(key.task, reason: $0) } ?? .taskSucceeded(key.task)
        inbox.yield(.event(Scheduler.TaskEvent(dag: key.dag, run: key.run, event)))
    }

    private func record(_ entry: TaskInstanceEntry) async {
        let key = Key(dag: entry.dagID, run: entry.runID, task: entry.taskID)
        state.withLock { s in
            s.latest[key] = entry
            if let error = entry.error, entry.state == .failed {
                let k = Self.runKey(entry.dagID, entry.runID)
                s.firstError[k] = s.firstError[k] ?? "\(entry.taskID): \(error)"
            }
        }
        await save { try await history.saveTask(entry) }
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
            let stopped = await r.task.value
            var entry = r.entry
            entry.state = .failed
            entry.endedAt = now
            entry.error = "stopped by scheduler shutdown"
            await save { try await history.saveTask(entry) }
            let k = Self.runKey(key.dag, key.run)
            let records = state.withLock { $0.records.removeValue(forKey: k) ?? 0 } + stopped.recordsProduced
            await save {
                guard var run = try await history.run(dagID: key.dag, runID: key.run), !run.state.isFinished else { return }
                run.state = .failed
                run.endedAt = now
                run.recordsProduced += records
                run.error = "scheduler shut down while task '\(key.task)' was running"
                try await history.saveRun(run)
            }
            logger.notice("stopped task by shutdown", metadata: ["dag": "\(key.dag)", "run": "\(key.run)", "task": "\(key.task)"])
        }
    }
}
