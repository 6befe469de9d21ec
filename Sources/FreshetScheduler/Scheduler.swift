import FreshetCore

/// A run recorded earlier (by a previous process, later by the store).
public struct RunRecord: Sendable, Hashable {
    public var dagID: String
    public var runID: String
    /// Nil for manual runs.
    public var interval: DataInterval?
    public var state: RunState

    public init(dagID: String, runID: String, interval: DataInterval?, state: RunState) {
        self.dagID = dagID
        self.runID = runID
        self.interval = interval
        self.state = state
    }
}

/// The scheduler's decisions as a sans-IO core: given DAGs, past runs and the time (passed in
/// as `now`), it decides which runs to create and which task instances to start. Executors
/// report back through `received(_:now:)`.
///
/// Rules: a run for interval `[start, end)` is created at `end`; with catchup off only the latest
/// missed interval gets a run; a DAG never has more than `maxActiveRuns` active runs (due
/// intervals wait, oldest first); a paused DAG gets no new runs and starts no task instances
/// (running ones finish); at most `parallelism` task instances run at once.
///
/// Several schedulers may share one run history; each run is worked on by the one process that
/// claimed it. A run another process owns is *watched* here: it stays active (so it counts
/// towards `maxActiveRuns`) but nothing is started for it, until that process finishes it
/// (`forget(dag:run:)`) or dies and this one takes it over (`adopt(dag:run:interval:tasks:now:)`).
public struct Scheduler: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Task instances running at once across all DAGs. Defaults to 16.
        public var parallelism: Int
        public init(parallelism: Int = 16) { self.parallelism = parallelism }
    }

    public enum Action: Sendable, Hashable {
        case createRun(dag: String, run: String, interval: DataInterval?)
        case startTask(dag: String, run: String, task: String, tryNumber: Int, deadline: Timestamp?)
        case stopTask(dag: String, run: String, task: String)
        case scheduleRetry(dag: String, run: String, task: String, at: Timestamp)
        case markSkipped(dag: String, run: String, task: String)
        case runFinished(dag: String, run: String, state: RunState)
    }

    /// An executor's report about one task instance.
    public struct TaskEvent: Sendable, Hashable {
        public var dag: String
        public var run: String
        public var event: DAGRunStateMachine.Event
        public init(dag: String, run: String, _ event: DAGRunStateMachine.Event) {
            self.dag = dag
            self.run = run
            self.event = event
        }
    }

    public let configuration: Configuration
    public private(set) var dags: [DAG]
    /// Active runs, oldest first.
    public private(set) var activeRuns: [DAGRunStateMachine] = []
    /// Finished runs, past ones first.
    public private(set) var finishedRuns: [RunRecord] = []
    private var lastIntervalEnd: [String: Timestamp] = [:]
    /// Active runs owned by another process ("dag\0run").
    public private(set) var watched: Set<String> = []

    static func key(_ dag: String, _ run: String) -> String { dag + "\u{0}" + run }

    /// `pastRuns` set where each DAG's schedule continues. A past run still marked running is
    /// watched (another process may still own it): the caller adopts it once it holds its lease,
    /// or forgets it once it has finished elsewhere.
    public init(dags: [DAG], pastRuns: [RunRecord] = [], configuration: Configuration = Configuration()) throws(SchedulerError) {
        var seen = Set<String>()
        for dag in dags where !seen.insert(dag.id).inserted {
            throw SchedulerError(.invalidSchedule, "DAG id '\(dag.id)' is defined twice", token: dag.id)
        }
        self.dags = dags
        self.configuration = configuration
        for r in pastRuns {
            guard let dag = dags.first(where: { $0.id == r.dagID }) else { continue }
            if let end = r.interval?.end {
                lastIntervalEnd[r.dagID] = max(end, lastIntervalEnd[r.dagID] ?? end)
            }
            if r.state == .running {
                activeRuns.append(DAGRunStateMachine(dag: dag, runID: r.runID, interval: r.interval))
                watched.insert(Self.key(r.dagID, r.runID))
            } else {
                finishedRuns.append(r)
            }
        }
    }

    public func dag(_ id: String) -> DAG? { dags.first { $0.id == id } }

    public mutating func setPaused(_ dagID: String, _ paused: Bool) throws(SchedulerError) {
        guard let i = dags.firstIndex(where: { $0.id == dagID }) else { throw Self.unknown(dagID) }
        dags[i].schedule.isPaused = paused
    }

    /// Creates a manual run now (allowed for every schedule; still bound by `maxActiveRuns`).
    /// Returns nothing if the DAG is at `maxActiveRuns` or paused.
    public mutating func trigger(_ dagID: String, now: Timestamp) throws(SchedulerError) -> [Action] {
        try trigger(dagID, runID: "manual__\(now.iso8601)", now: now)
    }

    /// Creates a manual run with a given id (a run queued in the run history). Returns nothing
    /// if the DAG is at `maxActiveRuns` or paused, or a run with this id is already active.
    public mutating func trigger(_ dagID: String, runID: String, now: Timestamp) throws(SchedulerError) -> [Action] {
        guard let dag = dag(dagID) else { throw Self.unknown(dagID) }
        guard !dag.schedule.isPaused, activeCount(dagID) < dag.schedule.maxActiveRuns,
            !activeRuns.contains(where: { $0.dag.id == dagID && $0.runID == runID })
        else { return [] }
        activeRuns.append(DAGRunStateMachine(dag: dag, runID: runID, interval: nil))
        return [.createRun(dag: dagID, run: runID, interval: nil)] + step(now: now)
    }

    /// Another process owns this run (it won the claim): keep it active, reset to its initial
    /// state, and start nothing for it; actions already returned for it are void. A run this
    /// scheduler did not know yet (started by another process) is added with `interval`, which
    /// also moves its DAG's schedule past that interval. Runs of unknown DAGs are ignored.
    public mutating func watch(dag dagID: String, run runID: String, interval: DataInterval? = nil) {
        if let i = activeRuns.firstIndex(where: { $0.dag.id == dagID && $0.runID == runID }) {
            let r = activeRuns[i]
            activeRuns[i] = DAGRunStateMachine(dag: r.dag, runID: r.runID, interval: r.interval)
        } else if let dag = dag(dagID) {
            activeRuns.append(DAGRunStateMachine(dag: dag, runID: runID, interval: interval))
            if let end = interval?.end { lastIntervalEnd[dagID] = max(end, lastIntervalEnd[dagID] ?? end) }
        } else {
            return
        }
        watched.insert(Self.key(dagID, runID))
    }

    /// The run finished in another process: drop it silently (no actions; it is not added to
    /// `finishedRuns`). Frees its `maxActiveRuns` slot.
    public mutating func forget(dag dagID: String, run runID: String) {
        activeRuns.removeAll { $0.dag.id == dagID && $0.runID == runID }
        watched.remove(Self.key(dagID, runID))
    }

    /// This process took over the run (its previous owner stopped renewing the lease): it is
    /// restored from its recorded task instances (see `DAGRunStateMachine.restored`) and worked
    /// on from now on. Returns the restoration's actions plus whatever can start. An unknown DAG
    /// adopts nothing.
    public mutating func adopt(
        dag dagID: String, run runID: String, interval: DataInterval?, tasks: [TaskInstanceEntry],
        now: Timestamp
    ) -> [Action] {
        guard let dag = dag(dagID) else { return [] }
        let (machine, restoration) = DAGRunStateMachine.restored(dag: dag, runID: runID, interval: interval, tasks: tasks, now: now)
        watched.remove(Self.key(dagID, runID))
        if let i = activeRuns.firstIndex(where: { $0.dag.id == dagID && $0.runID == runID }) {
            activeRuns[i] = machine
        } else {
            activeRuns.append(machine)
        }
        if let end = interval?.end { lastIntervalEnd[dagID] = max(end, lastIntervalEnd[dagID] ?? end) }
        return restoration.map { Self.lift($0, machine) } + step(now: now)
    }

    /// Time has reached `now`: create due runs, retry, time out, queue and start.
    public mutating func tick(now: Timestamp) -> [Action] {
        var actions: [Action] = []
        for dag in dags where !dag.schedule.isPaused {
            let capacity = dag.schedule.maxActiveRuns - activeCount(dag.id)
            guard capacity > 0 else { continue }
            for interval in dag.schedule.dueIntervals(now: now, lastIntervalEnd: lastIntervalEnd[dag.id], limit: capacity) {
                let runID = "scheduled__\(interval.start.iso8601)"
                activeRuns.append(DAGRunStateMachine(dag: dag, runID: runID, interval: interval))
                lastIntervalEnd[dag.id] = interval.end
                actions.append(.createRun(dag: dag.id, run: runID, interval: interval))
            }
        }
        return actions + step(now: now)
    }

    /// Applies an executor's report, then starts whatever became ready.
    public mutating func received(_ event: TaskEvent, now: Timestamp) -> [Action] {
        guard !watched.contains(Self.key(event.dag, event.run)),
            let i = activeRuns.firstIndex(where: { $0.dag.id == event.dag && $0.runID == event.run })
        else { return [] }
        let actions = activeRuns[i].received(event.event, now: now).map { Self.lift($0, activeRuns[i]) }
        return actions + step(now: now)
    }

    /// The earliest future time at which `tick` has something to do, or nil.
    public func nextWakeup(after now: Timestamp) -> Timestamp? {
        var times: [Timestamp] = activeRuns.filter { !watched.contains(Self.key($0.dag.id, $0.runID)) }.compactMap(\.nextWakeup)
        for dag in dags where !dag.schedule.isPaused && activeCount(dag.id) < dag.schedule.maxActiveRuns {
            if let t = dag.schedule.nextDue(lastIntervalEnd: lastIntervalEnd[dag.id], now: now) { times.append(t) }
        }
        return times.filter { $0 > now }.min()
    }

    public func activeCount(_ dagID: String) -> Int { activeRuns.count { $0.dag.id == dagID } }

    private mutating func step(now: Timestamp) -> [Action] {
        var actions: [Action] = []
        let mine = activeRuns.indices.filter { !watched.contains(Self.key(activeRuns[$0].dag.id, activeRuns[$0].runID)) }
        for i in mine {
            actions += activeRuns[i].advance(now: now).map { Self.lift($0, activeRuns[i]) }
        }
        var running = mine.reduce(0) { n, i in n + activeRuns[i].instances.values.count { $0.state == .running } }
        for i in mine where !activeRuns[i].dag.schedule.isPaused && !isPaused(activeRuns[i].dag.id) {
            for task in activeRuns[i].queued where running < configuration.parallelism {
                if let a = activeRuns[i].start(task, now: now) {
                    actions.append(Self.lift(a, activeRuns[i]))
                    running += 1
                }
            }
        }
        for run in activeRuns where run.state != .running && !watched.contains(Self.key(run.dag.id, run.runID)) {
            finishedRuns.append(RunRecord(dagID: run.dag.id, runID: run.runID, interval: run.interval, state: run.state))
        }
        activeRuns.removeAll { $0.state != .running && !watched.contains(Self.key($0.dag.id, $0.runID)) }
        return actions
    }

    private func isPaused(_ dagID: String) -> Bool { dag(dagID)?.schedule.isPaused ?? false }

    private static func lift(_ a: DAGRunStateMachine.Action, _ run: DAGRunStateMachine) -> Action {
        let d = run.dag.id
        let r = run.runID
        switch a {
        case .startTask(let t, let n, let deadline): return .startTask(dag: d, run: r, task: t, tryNumber: n, deadline: deadline)
        case .stopTask(let t): return .stopTask(dag: d, run: r, task: t)
        case .scheduleRetry(let t, let at): return .scheduleRetry(dag: d, run: r, task: t, at: at)
        case .markSkipped(let t): return .markSkipped(dag: d, run: r, task: t)
        case .runFinished(let s): return .runFinished(dag: d, run: r, state: s)
        }
    }

    private static func unknown(_ id: String) -> SchedulerError {
        SchedulerError(.unknownDAG, "no DAG named '\(id)'", token: id)
    }
}

/// Drives a `Scheduler` with an injected clock: wakes when the core has something to do,
/// hands each action to an executor, and feeds the executor's reports back after the delays it
/// names. With a test clock (`RecordingClock`) a simulated day runs instantly.
public struct SchedulerLoop<C: Clock<Duration>>: Sendable {
    /// What an executor reports and how long after the action it does.
    public typealias Reply = (event: Scheduler.TaskEvent, after: Duration)

    public var scheduler: Scheduler
    let clock: C
    let origin: Timestamp
    let originInstant: C.Instant
    private var pending: [(at: Timestamp, seq: Int, event: Scheduler.TaskEvent)] = []
    private var seq = 0

    /// `wallTimeAtStart` is the wall-clock time at `clock.now`; later times are measured by the clock.
    public init(scheduler: Scheduler, clock: C, wallTimeAtStart: Timestamp) {
        self.scheduler = scheduler
        self.clock = clock
        self.origin = wallTimeAtStart
        self.originInstant = clock.now
    }

    public var now: Timestamp { origin.adding(originInstant.duration(to: clock.now)) }

    /// Runs until the wall time reaches `end`, returning every action with the time it was taken.
    public mutating func run(
        until end: Timestamp,
        executor: (Scheduler.Action, Timestamp) async throws -> [Reply]
    ) async throws -> [(at: Timestamp, action: Scheduler.Action)] {
        var log: [(at: Timestamp, action: Scheduler.Action)] = []
        while true {
            let now = self.now
            var actions = scheduler.tick(now: now)
            while let i = pending.indices.filter({ pending[$0].at <= now }).min(by: { (pending[$0].at, pending[$0].seq) < (pending[$1].at, pending[$1].seq) }) {
                let e = pending.remove(at: i)
                actions += scheduler.received(e.event, now: now)
            }
            for a in actions {
                log.append((now, a))
                for reply in try await executor(a, now) {
                    seq += 1
                    pending.append((now.adding(reply.after), seq, reply.event))
                }
            }
            if pending.contains(where: { $0.at <= now }) { continue }
            let wake = ([scheduler.nextWakeup(after: now)].compactMap { $0 } + pending.map(\.at)).min()
            guard let wake, wake <= end else {
                if now < end { try await clock.sleep(until: originInstant.advanced(by: origin.duration(to: end)), tolerance: nil) }
                return log
            }
            try await clock.sleep(until: originInstant.advanced(by: origin.duration(to: wake)), tolerance: nil)
        }
    }
}

extension Timestamp {
    func duration(to other: Timestamp) -> Duration {
        .milliseconds(other.millisecondsSinceEpoch - millisecondsSinceEpoch)
    }
}

/// What drives `SchedulerLoop.run(inbox:wake:executor:)`: executors' reports and commands, as
/// they happen.
public enum SchedulerInput: Sendable, Hashable {
    /// An executor's report about a task instance.
    case event(Scheduler.TaskEvent)
    /// Start a manual run with this id (a run queued in the run history).
    case trigger(dag: String, run: String)
    case setPaused(dag: String, Bool)
    /// Another process won the claim of this run: `Scheduler.watch(dag:run:)`.
    case watch(dag: String, run: String, interval: DataInterval?)
    /// The watched run finished elsewhere: `Scheduler.forget(dag:run:)`.
    case forget(dag: String, run: String)
    /// This process took the run over: `Scheduler.adopt(dag:run:interval:tasks:now:)`.
    case adopt(dag: String, run: String, interval: DataInterval?, tasks: [TaskInstanceEntry])
    /// Time may have reached a wake-up: tick.
    case tick
}

extension SchedulerLoop {
    /// Runs the scheduler on live input until `inbox` finishes or the task is cancelled.
    ///
    /// Each input is applied, then the core ticks at the clock's `now`; every resulting action
    /// goes to `executor` in order, which must return quickly (start work in a task and report
    /// back through the inbox). Wake-ups (next schedule, retry, timeout) are slept on the
    /// injected clock by a helper task that yields `.tick` into `wake`, the inbox's continuation.
    /// `onTriggerError` hears about triggers naming an unknown DAG.
    public mutating func run(
        inbox: AsyncStream<SchedulerInput>,
        wake: AsyncStream<SchedulerInput>.Continuation,
        onTriggerError: (SchedulerError, _ dag: String, _ run: String) -> Void = { _, _, _ in },
        executor: (Scheduler.Action, Timestamp) async throws -> Void
    ) async throws {
        var sleeper: Task<Void, Never>?
        var sleepingUntil: Timestamp?
        defer { sleeper?.cancel() }
        // A first tick so due runs start without waiting for input.
        wake.yield(.tick)
        for await input in inbox {
            let now = self.now
            var actions: [Scheduler.Action] = []
            switch input {
            case .event(let e): actions += scheduler.received(e, now: now)
            case .trigger(let dag, let run):
                do { actions += try scheduler.trigger(dag, runID: run, now: now) } catch { onTriggerError(error, dag, run) }
            case .setPaused(let dag, let paused): try? scheduler.setPaused(dag, paused)
            case .watch(let dag, let run, let interval): scheduler.watch(dag: dag, run: run, interval: interval)
            case .forget(let dag, let run): scheduler.forget(dag: dag, run: run)
            case .adopt(let dag, let run, let interval, let tasks): actions += scheduler.adopt(dag: dag, run: run, interval: interval, tasks: tasks, now: now)
            case .tick: break
            }
            actions += scheduler.tick(now: now)
            for a in actions { try await executor(a, now) }
            let next = scheduler.nextWakeup(after: now)
            if next != sleepingUntil {
                sleeper?.cancel()
                sleepingUntil = next
                sleeper = next.map { at in
                    let clock = self.clock
                    let deadline = originInstant.advanced(by: origin.duration(to: at))
                    return Task {
                        do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return }
                        wake.yield(.tick)
                    }
                }
            }
            if sleeper == nil || sleepingUntil.map({ $0 <= self.now }) == true { sleepingUntil = nil }
        }
    }
}
