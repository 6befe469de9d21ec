import FreshetCore

/// How long to wait before retry `n` (1-based) of a failed task instance.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first try. Defaults to 0.
    public var retries: Int
    /// Delay before the first retry. Defaults to 5 minutes (Airflow's default).
    public var delay: Duration
    /// Double the delay on each further retry. Defaults to false.
    public var exponentialBackoff: Bool
    /// Upper bound on any delay. Defaults to 24 hours.
    public var maxDelay: Duration

    public init(retries: Int = 0, delay: Duration = .seconds(300), exponentialBackoff: Bool = false, maxDelay: Duration = .seconds(86_400)) {
        self.retries = retries
        self.delay = delay
        self.exponentialBackoff = exponentialBackoff
        self.maxDelay = maxDelay
    }

    /// The delay before retry number `retry` (1 = the first retry): `delay`, or
    /// `delay * 2^(retry-1)` with exponential backoff; never more than `maxDelay`.
    public func delay(beforeRetry retry: Int) -> Duration {
        var d = delay
        if exponentialBackoff {
            for _ in 1..<max(retry, 1) {
                d = d * 2
                if d >= maxDelay { break }
            }
        }
        return min(d, maxDelay)
    }
}

/// What a task does. The scheduler core never runs these; an executor does.
public enum TaskKind: Sendable, Hashable {
    /// Stream users from the source to the broker for `duration`, optionally at `rate` records/s.
    case stream(duration: Duration, rate: Double?)
    /// Run a shell command.
    case shell(command: String)
    /// A step built into Freshet.
    case builtin(BuiltinTask)
}

public enum BuiltinTask: String, Sendable, Hashable {
    /// Check that the broker answers.
    case checkBroker = "check_broker"
    /// Create the pipeline's topics if they are missing.
    case ensureTopics = "ensure_topics"
}

/// One task of a DAG. Settings left nil come from the DAG's `defaultArgs`.
/// (Named `DAGTask` so it never shadows Swift's `Task`.)
public struct DAGTask: Sendable, Hashable {
    public var id: String
    public var kind: TaskKind
    public var upstream: [String]
    public var retries: Int?
    public var retryDelay: Duration?
    public var exponentialBackoff: Bool?
    public var maxRetryDelay: Duration?
    public var timeout: Duration?

    public init(
        _ id: String, _ kind: TaskKind, upstream: [String] = [], retries: Int? = nil, retryDelay: Duration? = nil,
        exponentialBackoff: Bool? = nil, maxRetryDelay: Duration? = nil, timeout: Duration? = nil
    ) {
        self.id = id
        self.kind = kind
        self.upstream = upstream
        self.retries = retries
        self.retryDelay = retryDelay
        self.exponentialBackoff = exponentialBackoff
        self.maxRetryDelay = maxRetryDelay
        self.timeout = timeout
    }
}

/// Settings every task inherits unless it sets its own.
public struct DefaultArgs: Sendable, Hashable {
    /// Retry policy. Defaults to no retries, 5 minutes apart.
    public var retryPolicy: RetryPolicy
    /// Per-try timeout. Defaults to none.
    public var timeout: Duration?

    public init(retryPolicy: RetryPolicy = RetryPolicy(), timeout: Duration? = nil) {
        self.retryPolicy = retryPolicy
        self.timeout = timeout
    }
}

/// A validated directed acyclic graph of tasks with a schedule.
public struct DAG: Sendable, Hashable {
    public let id: String
    public var schedule: Schedule
    /// In declaration order.
    public let tasks: [DAGTask]
    public let defaultArgs: DefaultArgs
    let index: [String: Int]

    /// Validates: at least one task, unique ids, every upstream id known, no cycle.
    public init(id: String, schedule: Schedule, tasks: [DAGTask], defaultArgs: DefaultArgs = DefaultArgs()) throws(SchedulerError) {
        guard !tasks.isEmpty else { throw SchedulerError(.emptyDAG, "DAG '\(id)' has no tasks") }
        var index: [String: Int] = [:]
        for (i, task) in tasks.enumerated() {
            guard !task.id.isEmpty else { throw SchedulerError(.invalidTask, "DAG '\(id)': task #\(i + 1) has an empty id") }
            if index[task.id] != nil {
                throw SchedulerError(.duplicateTask, "DAG '\(id)': task id '\(task.id)' is used twice", token: task.id, tasks: [task.id])
            }
            index[task.id] = i
        }
        for task in tasks {
            for up in task.upstream where index[up] == nil {
                throw SchedulerError(
                    .unknownUpstream, "DAG '\(id)': task '\(task.id)' names upstream '\(up)', which is not a task of this DAG", token: up, tasks: [task.id])
            }
            if let r = task.retries, r < 0 { throw SchedulerError(.invalidTask, "DAG '\(id)': task '\(task.id)' has negative retries \(r)", token: task.id) }
        }
        if let cycle = Self.findCycle(tasks, index) {
            throw SchedulerError(.cycle, "DAG '\(id)' has a cycle: \(cycle.joined(separator: " >> "))", tasks: cycle)
        }
        self.id = id
        self.schedule = schedule
        self.tasks = tasks
        self.defaultArgs = defaultArgs
        self.index = index
    }

    /// A cycle as task ids in dependency order (upstream >> downstream), first id repeated last.
    static func findCycle(_ tasks: [DAGTask], _ index: [String: Int]) -> [String]? {
        // 0 = unvisited, 1 = on the current path, 2 = done.
        var color = [Int](repeating: 0, count: tasks.count)
        var path: [Int] = []
        func visit(_ i: Int) -> [String]? {
            color[i] = 1
            path.append(i)
            for up in tasks[i].upstream {
                let j = index[up]!
                if color[j] == 1 {
                    // Walking upstream edges; reverse to read as upstream >> downstream.
                    let k = path.lastIndex(of: j)!
                    let ids = path[k...].map { tasks[$0].id }
                    return Array(ids.reversed()) + [ids.reversed().first!]
                }
                if color[j] == 0, let c = visit(j) { return c }
            }
            path.removeLast()
            color[i] = 2
            return nil
        }
        for i in tasks.indices where color[i] == 0 {
            if let c = visit(i) { return c }
        }
        return nil
    }

    public func task(_ id: String) -> DAGTask? { index[id].map { tasks[$0] } }

    /// The task's retry policy after applying `defaultArgs`.
    public func retryPolicy(for task: DAGTask) -> RetryPolicy {
        var p = defaultArgs.retryPolicy
        if let v = task.retries { p.retries = v }
        if let v = task.retryDelay { p.delay = v }
        if let v = task.exponentialBackoff { p.exponentialBackoff = v }
        if let v = task.maxRetryDelay { p.maxDelay = v }
        return p
    }

    public func timeout(for task: DAGTask) -> Duration? { task.timeout ?? defaultArgs.timeout }

    /// Direct downstream task ids of `id`.
    public func downstream(of id: String) -> [String] {
        tasks.filter { $0.upstream.contains(id) }.map(\.id)
    }
}

extension DAG {
    /// The built-in `user_automation` DAG (the Airflow DAG Freshet replaces): `@daily`, catchup
    /// off, 2 retries one minute apart; `test_kafka_connection >> create_kafka_topic >>
    /// stream_data_from_api`, streaming for `duration` (defaults to 60 s).
    public static func userAutomation(
        startDate: Timestamp = Timestamp(year: 2024, month: 1, day: 1), duration: Duration = .seconds(60), rate: Double? = nil
    ) -> DAG {
        // Static definition: validation cannot fail.
        try! DAG(
            id: "user_automation",
            schedule: Schedule(.cron(try! CronExpression("@daily"), .utc), startDate: startDate, catchup: false),
            tasks: [
                DAGTask("test_kafka_connection", .builtin(.checkBroker)),
                DAGTask("create_kafka_topic", .builtin(.ensureTopics), upstream: ["test_kafka_connection"]),
                DAGTask("stream_data_from_api", .stream(duration: duration, rate: rate), upstream: ["create_kafka_topic"]),
            ],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: 2, delay: .seconds(60)))
        )
    }
}
