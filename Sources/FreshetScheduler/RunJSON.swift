import Foundation
import FreshetCore

extension DAGRunEntry {
    /// `conf` as the run histories store it: a JSON object with sorted keys.
    public static func encodeConf(_ conf: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(conf)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The stored `conf` back; text that is not a JSON object of strings reads as empty.
    public static func decodeConf(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}

extension DAGRunEntry {
    /// Wall time from start to end (to `now` while running); nil before it started.
    public func duration(now: Timestamp = .now()) -> Duration? {
        guard let s = startedAt else { return nil }
        return .milliseconds((endedAt ?? now).millisecondsSinceEpoch - s.millisecondsSinceEpoch)
    }

    /// The run as `freshet dags runs --json` and `GET /api/dags/{dag}/runs` show it.
    public var json: RunJSON {
        RunJSON(
            runID: runID, kind: kind.rawValue, state: state.rawValue, start: startedAt?.iso8601, end: endedAt?.iso8601,
            durationMS: duration().map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) },
            records: recordsProduced, error: error, conf: conf, intervalStart: interval?.start.iso8601, intervalEnd: interval?.end.iso8601)
    }
}

extension TaskInstanceEntry {
    /// The task instance as `GET /api/dags/{dag}/runs` shows it.
    public var json: TaskJSON {
        TaskJSON(taskID: taskID, tryNumber: tryNumber, state: state.rawValue, start: startedAt?.iso8601, end: endedAt?.iso8601, error: error)
    }
}

/// A run in the JSON answers: absent times, duration, error and interval are `null`.
public struct RunJSON: Encodable, Sendable, Equatable {
    public var runID: String
    public var kind: String
    public var state: String
    @NullEncoded public var start: String?
    @NullEncoded public var end: String?
    @NullEncoded public var durationMS: Int?
    public var records: Int
    @NullEncoded public var error: String?
    public var conf: [String: String]
    @NullEncoded public var intervalStart: String?
    @NullEncoded public var intervalEnd: String?
    /// The run's task instances (the web API's answer has them; the CLI's has not).
    public var tasks: [TaskJSON]?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", kind, state, start, end, durationMS = "duration_ms", records, error, conf
        case intervalStart = "interval_start", intervalEnd = "interval_end", tasks
    }
}

/// A task instance in the JSON answers.
public struct TaskJSON: Encodable, Sendable, Equatable {
    public var taskID: String
    public var tryNumber: Int
    public var state: String
    @NullEncoded public var start: String?
    @NullEncoded public var end: String?
    @NullEncoded public var error: String?

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", tryNumber = "try_number", state, start, end, error
    }
}

/// A DAG with its schedule, pause flag, next scheduled run and last run.
public struct DAGSummary: Encodable, Sendable, Equatable {
    public struct Task: Encodable, Sendable, Equatable {
        public var taskID: String
        public var upstream: [String]

        public init(taskID: String, upstream: [String]) {
            self.taskID = taskID
            self.upstream = upstream
        }

        enum CodingKeys: String, CodingKey {
            case taskID = "task_id", upstream
        }
    }

    public var dag: String
    public var schedule: String
    public var paused: Bool
    @NullEncoded public var nextRun: String?
    @NullEncoded public var lastRun: String?
    @NullEncoded public var lastState: String?
    /// The DAG's tasks (the web API's answer has them; the CLI's has not).
    public var tasks: [Task]?

    enum CodingKeys: String, CodingKey {
        case dag, schedule, paused, nextRun = "next_run", lastRun = "last_run", lastState = "last_state", tasks
    }
}

extension RunHistory {
    /// Each DAG with its schedule, pause flag, next scheduled run and last run, as
    /// `freshet dags list --json` and `GET /api/dags` show them.
    public func summaries(of dags: [DAG], now: Timestamp = .now()) async throws -> [DAGSummary] {
        let paused = try await pausedDAGs()
        let latest = try await latestScheduledRuns()
        var rows: [DAGSummary] = []
        for dag in dags {
            let isPaused = paused.contains(dag.id)
            let next = isPaused ? nil : dag.schedule.nextDue(lastIntervalEnd: latest.first { $0.dagID == dag.id }?.interval?.end, now: now)
            let last = try await runs(dagID: dag.id, limit: 1).first
            rows.append(
                DAGSummary(
                    dag: dag.id, schedule: dag.schedule.summary, paused: isPaused,
                    nextRun: next?.iso8601, lastRun: last?.runID, lastState: last?.state.rawValue))
        }
        return rows
    }
}
