import FreshetCore

/// A task instance's state (Airflow's names).
///
/// Transitions: `pending → queued` (all upstream succeeded) → `running` (started) →
/// `success` | `failed` | `up_for_retry`; `up_for_retry → queued` once its delay has passed;
/// `pending → skipped` when an upstream task failed or was skipped.
public enum TaskState: String, Sendable, Hashable {
    case pending
    case queued
    case running
    case success
    case failed
    case upForRetry = "up_for_retry"
    case skipped

    public var isFinished: Bool { self == .success || self == .failed || self == .skipped }
}

/// A DAG run's state, derived from its task instances.
public enum RunState: String, Sendable, Hashable {
    case running
    case success
    case failed
}

public struct TaskInstance: Sendable, Hashable {
    public var taskID: String
    public var state: TaskState
    /// Tries started so far (1 on the first try).
    public var tryNumber: Int
    /// When an `up_for_retry` instance becomes queued again.
    public var retryAt: Timestamp?
    /// When a running try times out.
    public var deadline: Timestamp?
}

/// One run of a DAG as a sans-IO state machine: events in (`taskSucceeded`, `taskFailed`,
/// `taskTimedOut`, time passing), actions out. It never runs anything itself.
public struct DAGRunStateMachine: Sendable {
    public enum Event: Sendable, Hashable {
        case taskSucceeded(String)
        case taskFailed(String, reason: String)
        /// The try ran past its timeout; the executor must stop it.
        case taskTimedOut(String)
    }

    public enum Action: Sendable, Hashable {
        case startTask(String, tryNumber: Int, deadline: Timestamp?)
        case stopTask(String)
        case scheduleRetry(String, at: Timestamp)
        case markSkipped(String)
        case runFinished(RunState)
    }

    public let dag: DAG
    public let runID: String
    public let interval: DataInterval?
    public private(set) var instances: [String: TaskInstance]
    private var finishedReported = false

    public init(dag: DAG, runID: String, interval: DataInterval?) {
        self.dag = dag
        self.runID = runID
        self.interval = interval
        var instances: [String: TaskInstance] = [:]
        for t in dag.tasks {
            instances[t.id] = TaskInstance(taskID: t.id, state: .pending, tryNumber: 0)
        }
        self.instances = instances
    }

    /// A run restored from its recorded task instances (`tasks`, any order, several tries per
    /// task allowed: the highest try number counts), e.g. when this process adopts a run another
    /// process started. Each task's latest record gives its state:
    ///
    /// - `success`, `skipped`: kept.
    /// - `up_for_retry`: waits again, until the try's end (or `now` if unknown) plus the policy's delay.
    /// - `running` (its process died mid-try) or `failed`: a failed try, numbered as recorded: retried
    ///   per the task's retry policy from `now` (the try number continues), or failed once the
    ///   retries are used up; downstream tasks are then skipped.
    /// - `pending`, `queued`, or no record: pending (queued once its upstream succeeded).
    ///
    /// Returns the machine and the actions of this restoration (`scheduleRetry`, `markSkipped`,
    /// `runFinished`), which the caller performs like any others. Nothing is started here.
    public static func restored(
        dag: DAG, runID: String, interval: DataInterval?, tasks: [TaskInstanceEntry],
        now: Timestamp
    ) -> (DAGRunStateMachine, [Action]) {
        var machine = DAGRunStateMachine(dag: dag, runID: runID, interval: interval)
        var latest: [String: TaskInstanceEntry] = [:]
        for t in tasks where machine.instances[t.taskID] != nil {
            if let seen = latest[t.taskID], seen.tryNumber > t.tryNumber { continue }
            latest[t.taskID] = t
        }
        var failedTries: [String] = []
        for task in dag.tasks {
            guard let record = latest[task.id] else { continue }
            var i = machine.instances[task.id]!
            i.tryNumber = max(record.tryNumber, 0)
            switch record.state {
            case .success, .skipped:
                i.state = record.state
            case .upForRetry:
                i.state = .upForRetry
                i.retryAt = (record.endedAt ?? now).adding(dag.retryPolicy(for: task).delay(beforeRetry: max(i.tryNumber, 1)))
            case .running, .failed:
                i.state = .running
                failedTries.append(task.id)
            case .pending, .queued:
                i.state = .pending
            }
            machine.instances[task.id] = i
        }
        var actions: [Action] = []
        for id in failedTries {
            actions += machine.received(.taskFailed(id, reason: "restored"), now: now)
        }
        actions += machine.propagate()
        return (machine, actions)
    }

    /// Derived: failed once every instance is finished and any failed; success once all succeeded
    /// (or were skipped without a failure); running otherwise.
    public var state: RunState {
        let all = instances.values
        guard all.allSatisfy({ $0.state.isFinished }) else { return .running }
        return all.contains(where: { $0.state == .failed }) ? .failed : .success
    }

    public func state(of task: String) -> TaskState? { instances[task]?.state }

    /// Moves time to `now`: due retries become queued, timed-out tries fail, pending tasks whose
    /// upstream all succeeded become queued, pending tasks behind a failure are skipped.
    /// Does not start anything; see `start(_:now:)`.
    public mutating func advance(now: Timestamp) -> [Action] {
        var actions: [Action] = []
        for t in dag.tasks {
            let i = instances[t.id]!
            if i.state == .running, let d = i.deadline, d <= now {
                actions += received(.taskTimedOut(t.id), now: now)
            }
            if i.state == .upForRetry, let at = i.retryAt, at <= now {
                instances[t.id]!.state = .queued
                instances[t.id]!.retryAt = nil
            }
        }
        actions += propagate()
        return actions
    }

    /// Queued instances in declaration order, ready to start.
    public var queued: [String] { dag.tasks.map(\.id).filter { instances[$0]!.state == .queued } }

    /// Starts a queued instance: it becomes running and its try number goes up.
    public mutating func start(_ task: String, now: Timestamp) -> Action? {
        guard var i = instances[task], i.state == .queued, let def = dag.task(task) else { return nil }
        i.state = .running
        i.tryNumber += 1
        i.deadline = dag.timeout(for: def).map { now.adding($0) }
        instances[task] = i
        return .startTask(task, tryNumber: i.tryNumber, deadline: i.deadline)
    }

    /// Applies an executor's report. Reports about instances that are not running are ignored
    /// (e.g. a late success after a timeout).
    public mutating func received(_ event: Event, now: Timestamp) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .taskSucceeded(let id):
            guard instances[id]?.state == .running else { return [] }
            instances[id]!.state = .success
            instances[id]!.deadline = nil
        case .taskFailed(let id, _):
            guard instances[id]?.state == .running else { return [] }
            actions += fail(id, now: now)
        case .taskTimedOut(let id):
            guard instances[id]?.state == .running else { return [] }
            actions.append(.stopTask(id))
            actions += fail(id, now: now)
        }
        actions += propagate()
        return actions
    }

    private mutating func fail(_ id: String, now: Timestamp) -> [Action] {
        let policy = dag.retryPolicy(for: dag.task(id)!)
        var i = instances[id]!
        i.deadline = nil
        // tryNumber counts tries; retry n happens after try n.
        if i.tryNumber <= policy.retries {
            let at = now.adding(policy.delay(beforeRetry: i.tryNumber))
            i.state = .upForRetry
            i.retryAt = at
            instances[id] = i
            return [.scheduleRetry(id, at: at)]
        }
        i.state = .failed
        instances[id] = i
        return []
    }

    /// Queues ready tasks, skips tasks behind failures (transitively), reports the end once.
    private mutating func propagate() -> [Action] {
        var actions: [Action] = []
        var changed = true
        while changed {
            changed = false
            for t in dag.tasks where instances[t.id]!.state == .pending {
                let ups = t.upstream.map { instances[$0]!.state }
                if ups.contains(where: { $0 == .failed || $0 == .skipped }) {
                    instances[t.id]!.state = .skipped
                    actions.append(.markSkipped(t.id))
                    changed = true
                } else if ups.allSatisfy({ $0 == .success }) {
                    instances[t.id]!.state = .queued
                    changed = true
                }
            }
        }
        let s = state
        if s != .running, !finishedReported {
            finishedReported = true
            actions.append(.runFinished(s))
        }
        return actions
    }

    /// The earliest retry time or deadline, for the scheduler's next wake-up.
    public var nextWakeup: Timestamp? {
        instances.values.compactMap { $0.state == .upForRetry ? $0.retryAt : ($0.state == .running ? $0.deadline : nil) }.min()
    }
}
