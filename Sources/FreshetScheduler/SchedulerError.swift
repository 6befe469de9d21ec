/// Everything that can be wrong with a schedule, a cron expression or a DAG, with a message
/// that names the offending field, token, task or cycle.
public struct SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case invalidCron = "invalid_cron"
        case invalidSchedule = "invalid_schedule"
        case unknownTimeZone = "unknown_time_zone"
        case emptyDAG = "empty_dag"
        case duplicateTask = "duplicate_task"
        case unknownUpstream = "unknown_upstream"
        case cycle = "cycle"
        case invalidTask = "invalid_task"
        case unknownDAG = "unknown_dag"
        case invalidConf = "invalid_conf"
    }

    public var code: Code
    public var message: String
    /// The cron field (`minute`, `hour`, `day-of-month`, `month`, `day-of-week`) at fault, if any.
    public var field: String?
    /// The token at fault (a cron token, a task id), if any.
    public var token: String?
    /// The tasks involved: the cycle's tasks in order (first repeated at the end), or the duplicate.
    public var tasks: [String]

    public init(_ code: Code, _ message: String, field: String? = nil, token: String? = nil, tasks: [String] = []) {
        self.code = code
        self.message = message
        self.field = field
        self.token = token
        self.tasks = tasks
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
