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
    public var jsonObject: [String: Any] {
        [
            "run_id": runID, "kind": kind.rawValue, "state": state.rawValue,
            "start": startedAt?.iso8601 ?? NSNull(), "end": endedAt?.iso8601 ?? NSNull(),
            "duration_ms": duration().map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } ?? NSNull(),
            "records": recordsProduced, "error": error ?? NSNull(), "conf": conf,
            "interval_start": interval?.start.iso8601 ?? NSNull(), "interval_end": interval?.end.iso8601 ?? NSNull(),
        ]
    }
}

extension TaskInstanceEntry {
    /// The task instance as `GET /api/dags/{dag}/runs` shows it.
    public var jsonObject: [String: Any] {
        [
            "task_id": taskID, "try_number": tryNumber, "state": state.rawValue,
            "start": startedAt?.iso8601 ?? NSNull(), "end": endedAt?.iso8601 ?? NSNull(), "error": error ?? NSNull(),
        ]
    }
}

extension RunHistory {
    /// Each DAG with its schedule, pause flag, next scheduled run and last run, as
    /// `freshet dags list --json` and `GET /api/dags` show them.
    public func summaries(of dags: [DAG], now: Timestamp = .now()) async throws -> [[String: Any]] {
        let paused = try await pausedDAGs()
        let latest = try await latestScheduledRuns()
        var rows: [[String: Any]] = []
        for dag in dags {
            let isPaused = paused.contains(dag.id)
            let next = isPaused ? nil : dag.schedule.nextDue(lastIntervalEnd: latest.first { $0.dagID == dag.id }?.interval?.end, now: now)
            let last = try await runs(dagID: dag.id, limit: 1).first
            rows.append([
                "dag": dag.id, "schedule": dag.schedule.summary, "paused": isPaused,
                "next_run": next?.iso8601 ?? NSNull(), "last_run": last?.runID ?? NSNull(),
                "last_state": last?.state.rawValue ?? NSNull(),
            ])
        }
        return rows
    }
}
