import FreshetCore

/// A configuration document reduced to what DAG definitions need: scalars as their text,
/// lists, and mappings in the order they were written (task order is declaration order).
/// The YAML reader (FreshetStream) builds it; this module stays free of any parser.
public indirect enum ConfigNode: Sendable, Hashable {
    case scalar(String)
    case list([ConfigNode])
    case mapping([ConfigEntry])

    /// The text of a scalar, nil otherwise.
    public var text: String? {
        if case .scalar(let s) = self { return s }
        return nil
    }
}

public struct ConfigEntry: Sendable, Hashable {
    public var key: String
    public var value: ConfigNode
    public init(_ key: String, _ value: ConfigNode) {
        self.key = key
        self.value = value
    }
}

/// A DAG of the configuration that cannot be used, naming the DAG and the key at fault.
public struct DAGDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The DAG id (the key under `dags`).
    public var dagID: String
    /// The configuration path of the offending key, e.g. `dags.etl.tasks.load.upstream`.
    public var path: String
    public var message: String

    public init(dagID: String, path: String, message: String) {
        self.dagID = dagID
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// The DAGs a scheduler runs: the built-in ones, overridden or extended by the `dags` section
/// of the configuration file.
///
/// ```yaml
/// dags:
///   user_automation:          # overrides the built-in DAG; unset keys keep its settings
///     schedule: "every 10m"   # cron (5 fields or @hourly/@daily/@weekly/@monthly/@yearly), every <duration>, manual
///     duration: 3s            # the stream task's duration and rate
///     rate: 500
///   nightly_export:
///     schedule: "0 2 * * *"
///     timezone: Europe/Berlin
///     start_date: 2026-01-01  # midnight in the timezone; or an ISO-8601 instant
///     catchup: false
///     max_active_runs: 1
///     paused: false           # paused when the scheduler first sees it
///     default_args: {retries: 2, retry_delay: 1m, exponential_backoff: true, max_retry_delay: 1h, timeout: 30m}
///     tasks:                  # in order; each is one of builtin, stream, shell
///       check: {builtin: check_broker}
///       export: {shell: "./export.sh", upstream: [check], retries: 1, timeout: 10m}
/// ```
///
/// A DAG with a mistake (an invalid cron expression, an unknown task kind or upstream task, a
/// cycle, an unknown key) is left out with a `DAGDefinitionError` naming it; the others are used.
public struct DAGDefinitions: Sendable, Hashable {
    /// Usable DAGs: the built-ins (as overridden) first, then the configured ones in file order.
    public var dags: [DAG]
    /// Whether each DAG starts paused the first time a run history sees it (Airflow's
    /// `is_paused_upon_creation`): built-in DAGs the file does not mention start paused; DAGs
    /// written in the file (overrides included) start unpaused unless they say `paused: true`.
    public var pausedAtCreation: [String: Bool]
    /// DAGs left out, with why.
    public var errors: [DAGDefinitionError]

    /// The built-ins with nothing configured.
    public init(builtins: [DAG]) {
        dags = builtins
        pausedAtCreation = Dictionary(uniqueKeysWithValues: builtins.map { ($0.id, true) })
        errors = []
    }

    /// Applies the `dags` section (`node` is its value) to the built-ins.
    public init(builtins: [DAG], configured node: ConfigNode?) {
        self.init(builtins: builtins)
        guard let node else { return }
        guard case .mapping(let entries) = node else {
            errors.append(DAGDefinitionError(dagID: "", path: "dags", message: "expected a mapping of DAG ids to DAG definitions"))
            return
        }
        var seen = Set<String>()
        for entry in entries {
            let id = entry.key
            guard seen.insert(id).inserted else {
                errors.append(DAGDefinitionError(dagID: id, path: "dags.\(id)", message: "DAG '\(id)' is defined twice"))
                continue
            }
            let builtin = builtins.first { $0.id == id }
            do {
                let (dag, paused) = try Self.parse(id: id, entry.value, base: builtin)
                if let i = dags.firstIndex(where: { $0.id == id }) { dags[i] = dag } else { dags.append(dag) }
                pausedAtCreation[id] = paused ?? false
            } catch {
                errors.append(error)
                // A broken override must not leave the built-in running with settings the user
                // meant to change.
                dags.removeAll { $0.id == id }
                pausedAtCreation[id] = nil
            }
        }
    }

    public func dag(_ id: String) -> DAG? { dags.first { $0.id == id } }

    // MARK: Parsing

    static let dagKeys = [
        "schedule", "timezone", "start_date", "catchup", "max_active_runs", "paused", "description",
        "default_args", "tasks", "duration", "rate",
    ]
    static let argKeys = ["retries", "retry_delay", "exponential_backoff", "max_retry_delay", "timeout"]
    static let taskKinds = ["builtin", "stream", "shell"]

    /// Parses one DAG; `base` is the built-in DAG of the same id, whose settings unset keys keep.
    static func parse(id: String, _ node: ConfigNode, base: DAG?) throws(DAGDefinitionError) -> (DAG, paused: Bool?) {
        let path = "dags.\(id)"
        func fail(_ at: String, _ message: String) -> DAGDefinitionError {
            DAGDefinitionError(dagID: id, path: at, message: message)
        }
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
            throw fail(path, "DAG id '\(id)' may only use letters, digits, '_', '-' and '.'")
        }
        let fields = try Fields(node, path: path, allowed: dagKeys, dagID: id)

        // Schedule.
        let zoneText = try fields.string("timezone") ?? baseZone(base) ?? "UTC"
        let zone: SchedulerTimeZone
        do { zone = try SchedulerTimeZone(zoneText) } catch { throw fail("\(path).timezone", error.message) }
        let startDate: Timestamp
        if let text = try fields.string("start_date") {
            guard let t = Self.date(text, zone: zone) else {
                throw fail("\(path).start_date", "'\(text)' is not a date (2026-01-01) or an ISO-8601 instant (2026-01-01T06:00:00Z)")
            }
            startDate = t
        } else {
            startDate = base?.schedule.startDate ?? Timestamp(year: 2024, month: 1, day: 1)
        }
        let catchup = try fields.bool("catchup") ?? base?.schedule.catchup ?? false
        let maxActive = try fields.int("max_active_runs", ConfigRange.maxActiveRuns) ?? base?.schedule.maxActiveRuns ?? 1
        let schedule: Schedule
        if let text = try fields.string("schedule") {
            do {
                schedule = try Schedule(parsing: text, timeZone: zoneText, startDate: startDate, catchup: catchup, maxActiveRuns: maxActive)
            } catch {
                throw fail("\(path).schedule", error.message)
            }
        } else if var s = base?.schedule {
            if case .cron(let expr, _) = s.trigger { s.trigger = .cron(expr, zone) }
            s.startDate = startDate
            s.catchup = catchup
            s.maxActiveRuns = maxActive
            schedule = s
        } else {
            throw fail("\(path).schedule", "missing: a cron expression (\"0 6 * * *\", @daily), \"every 30m\", or manual")
        }
        _ = try fields.string("description")
        let paused = try fields.bool("paused")

        // Default args.
        var defaults = base?.defaultArgs ?? DefaultArgs()
        if let node = fields.value("default_args") {
            let args = try Fields(node, path: "\(path).default_args", allowed: argKeys, dagID: id)
            if let v = try args.int("retries", ConfigRange.retries) { defaults.retryPolicy.retries = v }
            if let v = try args.duration("retry_delay", ConfigRange.taskDuration) { defaults.retryPolicy.delay = v }
            if let v = try args.bool("exponential_backoff") { defaults.retryPolicy.exponentialBackoff = v }
            if let v = try args.duration("max_retry_delay", ConfigRange.taskDuration) { defaults.retryPolicy.maxDelay = v }
            if let v = try args.duration("timeout", Fields.positiveTaskDuration) { defaults.timeout = v }
        }

        // Tasks.
        var tasks: [DAGTask]
        if let node = fields.value("tasks") {
            guard case .mapping(let entries) = node, !entries.isEmpty else {
                throw fail("\(path).tasks", "expected a mapping of task ids to tasks ({builtin: …}, {stream: …} or {shell: …})")
            }
            tasks = []
            for entry in entries {
                tasks.append(try task(entry.key, entry.value, path: "\(path).tasks.\(entry.key)", dagID: id))
            }
        } else if let base {
            tasks = base.tasks
        } else {
            throw fail("\(path).tasks", "missing: a DAG needs at least one task")
        }

        var dag: DAG
        do {
            dag = try DAG(id: id, schedule: schedule, tasks: tasks, defaultArgs: defaults)
        } catch {
            let at = error.tasks.first.map { "\(path).tasks.\($0)" } ?? "\(path).tasks"
            throw fail(error.code == .cycle ? "\(path).tasks" : at, error.message)
        }
        // `duration` and `rate` change every stream task, as `--conf` does for one run.
        var conf: [String: String] = [:]
        if let d = try fields.string("duration") { conf["duration"] = d }
        if let r = try fields.string("rate") { conf["rate"] = r }
        do {
            dag = try dag.applying(conf: conf)
        } catch {
            throw fail("\(path).\(error.token ?? "duration")", error.message)
        }
        return (dag, paused)
    }

    static func task(_ taskID: String, _ node: ConfigNode, path: String, dagID: String) throws(DAGDefinitionError) -> DAGTask {
        func fail(_ at: String, _ message: String) -> DAGDefinitionError {
            DAGDefinitionError(dagID: dagID, path: at, message: message)
        }
        let fields = try Fields(node, path: path, allowed: taskKinds + ["upstream"] + argKeys, dagID: dagID)
        let kinds = taskKinds.filter { fields.value($0) != nil }
        guard kinds.count == 1 else {
            throw fail(
                path,
                kinds.isEmpty
                    ? "task '\(taskID)' has no kind: give one of builtin (check_broker, ensure_topics), stream, shell"
                    : "task '\(taskID)' has several kinds (\(kinds.joined(separator: ", "))); give exactly one")
        }
        let kind: TaskKind
        switch kinds[0] {
        case "builtin":
            let name = try fields.string("builtin") ?? ""
            guard let b = BuiltinTask(rawValue: name) else {
                throw fail("\(path).builtin", "unknown builtin task '\(name)' (known: check_broker, ensure_topics)")
            }
            kind = .builtin(b)
        case "shell":
            guard let command = try fields.string("shell"), !command.trimmingSpaces.isEmpty else {
                throw fail("\(path).shell", "expected a non-empty command")
            }
            kind = .shell(command: command)
        default:
            var duration: Duration = .seconds(60)
            var rate: Double? = 1000
            let node = fields.value("stream")!
            if node.text.map({ ["true", "yes", "on"].contains($0.lowercased()) }) != true {
                let s = try Fields(node, path: "\(path).stream", allowed: ["duration", "rate"], dagID: dagID)
                if let d = try s.duration("duration", ConfigRange.runDuration) { duration = d }
                if let r = try s.string("rate") {
                    guard let v = ConfigRange.double(r, in: ConfigRange.rate) else {
                        throw fail("\(path).stream.rate", ConfigRange.message(ConfigRange.rate, got: r) + " records per second")
                    }
                    rate = v
                }
            }
            kind = .stream(duration: duration, rate: rate)
        }
        var upstream: [String] = []
        switch fields.value("upstream") {
        case nil: break
        case .scalar(let s)?: upstream = s.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        case .list(let items)?:
            for item in items {
                guard let s = item.text else { throw fail("\(path).upstream", "expected task ids") }
                upstream.append(s)
            }
        case .mapping?: throw fail("\(path).upstream", "expected a list of task ids")
        }
        return DAGTask(
            taskID, kind, upstream: upstream,
            retries: try fields.int("retries", ConfigRange.retries), retryDelay: try fields.duration("retry_delay", ConfigRange.taskDuration),
            exponentialBackoff: try fields.bool("exponential_backoff"),
            maxRetryDelay: try fields.duration("max_retry_delay", ConfigRange.taskDuration),
            timeout: try fields.duration("timeout", Fields.positiveTaskDuration))
    }

    static func baseZone(_ base: DAG?) -> String? {
        if case .cron(_, let zone)? = base?.schedule.trigger { return zone.identifier }
        return nil
    }

    /// `2026-01-01` (midnight in `zone`) or an ISO-8601 instant.
    static func date(_ text: String, zone: SchedulerTimeZone) -> Timestamp? {
        if let t = Timestamp(iso8601: text) { return t }
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= Timestamp.daysInMonth(year: y, month: m)
        else { return nil }
        return zone.instant(forLocal: Timestamp(year: y, month: m, day: d))
    }
}

/// The keys of one mapping, each read at most once, unknown keys rejected by name.
private struct Fields {
    let entries: [String: ConfigNode]
    let path: String
    let dagID: String

    init(_ node: ConfigNode, path: String, allowed: [String], dagID: String) throws(DAGDefinitionError) {
        guard case .mapping(let list) = node else {
            throw DAGDefinitionError(dagID: dagID, path: path, message: "expected a mapping of keys (\(allowed.joined(separator: ", ")))")
        }
        var entries: [String: ConfigNode] = [:]
        for e in list {
            guard allowed.contains(e.key) else {
                throw DAGDefinitionError(dagID: dagID, path: "\(path).\(e.key)", message: "unknown key; known keys: \(allowed.joined(separator: ", "))")
            }
            entries[e.key] = e.value
        }
        self.entries = entries
        self.path = path
        self.dagID = dagID
    }

    func value(_ key: String) -> ConfigNode? { entries[key] }

    func fail(_ key: String, _ message: String) -> DAGDefinitionError {
        DAGDefinitionError(dagID: dagID, path: "\(path).\(key)", message: message)
    }

    func string(_ key: String) throws(DAGDefinitionError) -> String? {
        guard let node = entries[key] else { return nil }
        guard let text = node.text else { throw fail(key, "expected a single value") }
        return text
    }

    func bool(_ key: String) throws(DAGDefinitionError) -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw fail(key, "expected true or false, got '\(text)'")
        }
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws(DAGDefinitionError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let v = ConfigRange.int(text, in: range) else { throw fail(key, ConfigRange.message(range, got: text)) }
        return v
    }

    /// Timeouts: 1 ms…30 days.
    static let positiveTaskDuration: ClosedRange<Duration> = .milliseconds(1)...ConfigRange.taskDuration.upperBound

    func duration(_ key: String, _ range: ClosedRange<Duration>) throws(DAGDefinitionError) -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let d = ConfigRange.duration(text, in: range) else { throw fail(key, ConfigRange.message(range, got: text)) }
        return d
    }
}
