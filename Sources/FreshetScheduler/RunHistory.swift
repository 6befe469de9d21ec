import FreshetCore
import Synchronization

/// How a DAG run came to be.
public enum RunKind: String, Sendable, Hashable {
    /// Created by the schedule for a data interval.
    case scheduled
    /// Triggered by hand (`freshet dags trigger`).
    case manual
}

/// A DAG run's state as stored: `queued` (a manual run waiting for a scheduler), then the
/// `RunState`s.
public enum StoredRunState: String, Sendable, Hashable {
    case queued
    case running
    case success
    case failed

    public init(_ state: RunState) {
        switch state {
        case .running: self = .running
        case .success: self = .success
        case .failed: self = .failed
        }
    }

    public var isFinished: Bool { self == .success || self == .failed }
}

/// One DAG run in the run history.
public struct DAGRunEntry: Sendable, Hashable {
    public var dagID: String
    public var runID: String
    public var kind: RunKind
    /// Nil for manual runs.
    public var interval: DataInterval?
    public var state: StoredRunState
    public var createdAt: Timestamp
    public var startedAt: Timestamp?
    public var endedAt: Timestamp?
    /// Records the run's stream tasks appended to the log.
    public var recordsProduced: Int
    /// Why the run failed (the first failed task's error), if it did.
    public var error: String?
    /// `--conf` overrides (`duration`, `rate`).
    public var conf: [String: String]
    /// The scheduler working on the run (`pid@host`), set by `RunHistory.claimRun`; nil for
    /// runs nobody claimed yet (queued).
    public var owner: String?
    /// Until when `owner` holds the run; past it, another scheduler may take the run over.
    public var leaseUntil: Timestamp?

    public init(
        dagID: String, runID: String, kind: RunKind, interval: DataInterval? = nil, state: StoredRunState,
        createdAt: Timestamp, startedAt: Timestamp? = nil, endedAt: Timestamp? = nil, recordsProduced: Int = 0,
        error: String? = nil, conf: [String: String] = [:], owner: String? = nil, leaseUntil: Timestamp? = nil
    ) {
        self.dagID = dagID
        self.runID = runID
        self.kind = kind
        self.interval = interval
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.recordsProduced = recordsProduced
        self.error = error
        self.conf = conf
        self.owner = owner
        self.leaseUntil = leaseUntil
    }

    /// Whether `claimRun` may give this stored run to `owner` at `now`: it is queued, already
    /// `owner`'s, or running with a lease that ended before `now` (its owner died). Finished runs
    /// never are.
    public func isClaimable(by owner: String, now: Timestamp) -> Bool {
        switch state {
        case .queued: true
        case .running: self.owner == owner || (leaseUntil ?? now) < now || self.owner == nil
        case .success, .failed: false
        }
    }

    /// What the scheduler core needs to continue (nil for queued runs, which are triggered anew).
    public var record: RunRecord? {
        switch state {
        case .queued: nil
        case .running: RunRecord(dagID: dagID, runID: runID, interval: interval, state: .running)
        case .success: RunRecord(dagID: dagID, runID: runID, interval: interval, state: .success)
        case .failed: RunRecord(dagID: dagID, runID: runID, interval: interval, state: .failed)
        }
    }
}

/// One try of one task in a run.
public struct TaskInstanceEntry: Sendable, Hashable {
    public var dagID: String
    public var runID: String
    public var taskID: String
    public var tryNumber: Int
    public var state: TaskState
    public var startedAt: Timestamp?
    public var endedAt: Timestamp?
    public var error: String?

    public init(
        dagID: String, runID: String, taskID: String, tryNumber: Int, state: TaskState,
        startedAt: Timestamp? = nil, endedAt: Timestamp? = nil, error: String? = nil
    ) {
        self.dagID = dagID
        self.runID = runID
        self.taskID = taskID
        self.tryNumber = tryNumber
        self.state = state
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.error = error
    }
}

/// The last sign of life of a scheduler working on a run history.
public struct SchedulerHeartbeat: Sendable, Hashable {
    /// Who: `pid@host`.
    public var owner: String
    public var at: Timestamp
    public init(owner: String, at: Timestamp) {
        self.owner = owner
        self.at = at
    }
}

/// Where DAG runs, task instances, pause flags and scheduler heartbeats are kept, so a
/// restarted scheduler continues where the last one stopped, the CLI can see and queue runs,
/// and several schedulers can share the work (each run is claimed by one of them with a lease).
/// Implementations: `InMemoryRunHistory` (tests), `SQLiteRunHistory` (FreshetSchedulerSQLite),
/// `PostgresRunHistory` (FreshetSchedulerPostgres, shared by several processes).
/// `RunHistoryContract` (FreshetTesting) checks what every implementation must do.
public protocol RunHistory: Sendable {
    /// Inserts or replaces the run with the same (dag, run id).
    func saveRun(_ run: DAGRunEntry) async throws
    /// Inserts the run unless one with the same (dag, run id) exists; returns whether it did.
    func insertRun(_ run: DAGRunEntry) async throws -> Bool
    /// Atomically gives the run to `owner` until `leaseUntil`: inserts `entry` if the run is
    /// absent, or takes the stored run if `DAGRunEntry.isClaimable(by:now:)` (queued, already
    /// `owner`'s, or running with an expired lease). The claimed run is stored `running`, with
    /// `owner`, `leaseUntil` and `startedAt` (kept if set); its other fields are kept from the
    /// stored row. Returns the run as stored after the claim, or nil when another owner holds
    /// it or it has finished.
    func claimRun(_ entry: DAGRunEntry, owner: String, leaseUntil: Timestamp, now: Timestamp) async throws -> DAGRunEntry?
    /// Extends the lease of every `running` run `owner` holds to `until`.
    func renewLeases(owner: String, until: Timestamp) async throws
    /// Inserts or replaces the instance with the same (dag, run, task, try).
    func saveTask(_ task: TaskInstanceEntry) async throws
    /// Runs newest first (by creation time), of one DAG or all; at most `limit`.
    func runs(dagID: String?, limit: Int) async throws -> [DAGRunEntry]
    func run(dagID: String, runID: String) async throws -> DAGRunEntry?
    /// Task instances of a run, in start order.
    func tasks(dagID: String, runID: String) async throws -> [TaskInstanceEntry]
    /// Runs in `queued` state, oldest first.
    func queuedRuns() async throws -> [DAGRunEntry]
    /// Runs not yet finished (queued or running), oldest first: what a restarted scheduler resumes.
    func unfinishedRuns() async throws -> [DAGRunEntry]
    /// The latest scheduled run of each DAG: where its schedule continues.
    func latestScheduledRuns() async throws -> [DAGRunEntry]
    /// Gives each DAG not seen by this history before its initial pause flag
    /// (`pausedIfNew[dag]`, Airflow's `is_paused_upon_creation`); known DAGs keep theirs.
    func registerDAGs(_ pausedIfNew: [String: Bool]) async throws
    func setPaused(_ dagID: String, _ paused: Bool) async throws
    func pausedDAGs() async throws -> Set<String>
    /// Records the heartbeat of `heartbeat.owner` (one per owner).
    func beat(_ heartbeat: SchedulerHeartbeat) async throws
    /// Removes `owner`'s heartbeat (a clean shutdown).
    func endHeartbeat(owner: String) async throws
    /// The freshest heartbeat of any owner, or nil.
    func heartbeat() async throws -> SchedulerHeartbeat?
}

/// A run history holding a connection or file: call `close()` once done with it.
public protocol ClosableRunHistory: RunHistory {
    /// Releases the connection (pool). Idempotent; later calls on the history fail.
    func close() async
}

extension RunHistory {
    /// Records a queued manual run of `dag` with `conf` checked against it (a `SchedulerError`
    /// naming a bad key); returns the run id, `manual__<now, ISO 8601>`, with `-2`, `-3`, …
    /// appended when a run of that id exists (same-millisecond triggers). A scheduler running on
    /// this history starts it.
    public func queueManualRun(dag: DAG, conf: [String: String], now: Timestamp = .now()) async throws -> String {
        _ = try dag.applying(conf: conf)
        let base = "manual__\(now.iso8601)"
        var n = 1
        while true {
            let runID = n == 1 ? base : "\(base)-\(n)"
            if try await insertRun(DAGRunEntry(dagID: dag.id, runID: runID, kind: .manual, state: .queued, createdAt: now, conf: conf)) {
                return runID
            }
            n += 1
        }
    }

    /// The past runs the `Scheduler` restores from: the latest scheduled run of each DAG (where
    /// its schedule continues) and every run still marked running (watched until adopted).
    public func pastRuns() async throws -> [RunRecord] {
        var seen = Set<String>()
        var result: [RunRecord] = []
        for r in try await latestScheduledRuns() + unfinishedRuns() where seen.insert(r.dagID + "\u{0}" + r.runID).inserted {
            if let record = r.record { result.append(record) }
        }
        return result
    }
}

/// A run history in memory, for tests and one-off runs.
public final class InMemoryRunHistory: ClosableRunHistory {
    private struct State {
        var runs: [DAGRunEntry] = []
        var tasks: [TaskInstanceEntry] = []
        var paused: [String: Bool] = [:]
        var heartbeats: [String: Timestamp] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func close() {}

    public func saveRun(_ run: DAGRunEntry) {
        state.withLock { s in
            if let i = s.runs.firstIndex(where: { $0.dagID == run.dagID && $0.runID == run.runID }) { s.runs[i] = run } else { s.runs.append(run) }
        }
    }

    public func insertRun(_ run: DAGRunEntry) -> Bool {
        state.withLock { s in
            guard !s.runs.contains(where: { $0.dagID == run.dagID && $0.runID == run.runID }) else { return false }
            s.runs.append(run)
            return true
        }
    }

    public func claimRun(_ entry: DAGRunEntry, owner: String, leaseUntil: Timestamp, now: Timestamp) -> DAGRunEntry? {
        state.withLock { s in
            var claimed: DAGRunEntry
            let i = s.runs.firstIndex { $0.dagID == entry.dagID && $0.runID == entry.runID }
            if let i {
                guard s.runs[i].isClaimable(by: owner, now: now) else { return nil }
                claimed = s.runs[i]
            } else {
                claimed = entry
            }
            claimed.state = .running
            claimed.owner = owner
            claimed.leaseUntil = leaseUntil
            claimed.startedAt = claimed.startedAt ?? entry.startedAt ?? now
            if let i { s.runs[i] = claimed } else { s.runs.append(claimed) }
            return claimed
        }
    }

    public func renewLeases(owner: String, until: Timestamp) {
        state.withLock { s in
            for i in s.runs.indices where s.runs[i].state == .running && s.runs[i].owner == owner { s.runs[i].leaseUntil = until }
        }
    }

    public func saveTask(_ task: TaskInstanceEntry) {
        state.withLock { s in
            if let i = s.tasks.firstIndex(where: {
                $0.dagID == task.dagID && $0.runID == task.runID && $0.taskID == task.taskID && $0.tryNumber == task.tryNumber
            }) {
                s.tasks[i] = task
            } else {
                s.tasks.append(task)
            }
        }
    }

    public func runs(dagID: String?, limit: Int) -> [DAGRunEntry] {
        state.withLock { s in
            Array(s.runs.filter { dagID == nil || $0.dagID == dagID }.reversed().prefix(limit))
        }
    }

    public func run(dagID: String, runID: String) -> DAGRunEntry? {
        state.withLock { $0.runs.first { $0.dagID == dagID && $0.runID == runID } }
    }

    public func tasks(dagID: String, runID: String) -> [TaskInstanceEntry] {
        state.withLock { $0.tasks.filter { $0.dagID == dagID && $0.runID == runID } }
    }

    public func queuedRuns() -> [DAGRunEntry] { state.withLock { $0.runs.filter { $0.state == .queued } } }
    public func unfinishedRuns() -> [DAGRunEntry] { state.withLock { $0.runs.filter { !$0.state.isFinished } } }

    public func latestScheduledRuns() -> [DAGRunEntry] {
        state.withLock { s in
            var latest: [String: DAGRunEntry] = [:]
            for r in s.runs where r.kind == .scheduled {
                if let end = r.interval?.end, end >= (latest[r.dagID]?.interval?.end ?? end) { latest[r.dagID] = r }
            }
            return Array(latest.values)
        }
    }

    public func registerDAGs(_ pausedIfNew: [String: Bool]) {
        state.withLock { s in
            for (dag, paused) in pausedIfNew where s.paused[dag] == nil { s.paused[dag] = paused }
        }
    }

    public func setPaused(_ dagID: String, _ paused: Bool) {
        state.withLock { $0.paused[dagID] = paused }
    }

    public func pausedDAGs() -> Set<String> { state.withLock { Set($0.paused.filter(\.value).keys) } }
    public func beat(_ heartbeat: SchedulerHeartbeat) { state.withLock { $0.heartbeats[heartbeat.owner] = heartbeat.at } }
    public func endHeartbeat(owner: String) { state.withLock { _ = $0.heartbeats.removeValue(forKey: owner) } }
    public func heartbeat() -> SchedulerHeartbeat? {
        state.withLock { s in s.heartbeats.max { $0.value < $1.value }.map { SchedulerHeartbeat(owner: $0.key, at: $0.value) } }
    }
}

extension DAG {
    /// The DAG as one run sees it with `--conf` overrides applied: `duration` (e.g. `3s`) and
    /// `rate` (records/s) change every stream task. Other keys, or values that do not parse,
    /// are an `invalidConf` error naming the key.
    public func applying(conf: [String: String]) throws(SchedulerError) -> DAG {
        guard !conf.isEmpty else { return self }
        var duration: Duration?
        var rate: Double?
        for (key, value) in conf.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "duration":
                guard let d = ConfigRange.duration(value, in: ConfigRange.runDuration) else {
                    throw SchedulerError(.invalidConf, "conf key 'duration': \(ConfigRange.message(ConfigRange.runDuration, got: value))", token: key)
                }
                duration = d
            case "rate":
                guard let r = ConfigRange.double(value, in: ConfigRange.rate) else {
                    throw SchedulerError(.invalidConf, "conf key 'rate': \(ConfigRange.message(ConfigRange.rate, got: value)) records per second", token: key)
                }
                rate = r
            default:
                throw SchedulerError(
                    .invalidConf, "unknown conf key '\(key.prefix(100))' for DAG '\(id)' (known: duration, rate)", token: String(key.prefix(100)))
            }
        }
        guard tasks.contains(where: { if case .stream = $0.kind { true } else { false } }) else {
            throw SchedulerError(
                .invalidConf, "conf key '\(conf.keys.sorted()[0])': DAG '\(id)' has no stream task to apply it to", token: conf.keys.sorted()[0])
        }
        let changed = tasks.map { task -> DAGTask in
            guard case .stream(let d, let r) = task.kind else { return task }
            var t = task
            t.kind = .stream(duration: duration ?? d, rate: rate ?? r)
            return t
        }
        // Same ids and edges as a validated DAG: cannot fail.
        return try! DAG(id: id, schedule: schedule, tasks: changed, defaultArgs: defaultArgs)
    }
}

extension Schedule {
    /// `@daily`, `0 6 * * * (Europe/Berlin)`, `every 30m` or `manual`.
    public var summary: String {
        switch trigger {
        case .cron(let expr, let zone): zone == .utc ? expr.source : "\(expr.source) (\(zone.identifier))"
        case .interval(let d): "every \(DurationText.format(d))"
        case .manual: "manual"
        }
    }
}
