import Foundation
import FreshetCore
import FreshetScheduler
import Synchronization
import VaporCSQLite

/// The run history in one SQLite file (WAL, 5 s busy timeout), by default
/// `<data_dir>/scheduler.sqlite`: the scheduler service writes it, the CLI reads it and queues
/// manual runs in it, from other processes at the same time.
///
/// Calls are short (one small statement or transaction each) and run synchronously under the
/// history's lock, behind the protocol's async signatures. `claimRun` holds SQLite's write lock
/// (`BEGIN IMMEDIATE`) while it reads and writes, so it is atomic across processes too. Call
/// `close()` when done.
public final class SQLiteRunHistory: ClosableRunHistory {
    /// The history file of a data directory: `<dataDirectory>/scheduler.sqlite`.
    public static func path(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("scheduler.sqlite").path
    }

    public let path: String
    private let db: Mutex<Connection>

    /// Opens (creating if missing, with its directory) the history at `path`.
    public init(path: String) throws {
        self.path = path
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let connection = try Connection(path: path)
        do {
            try connection.execute(
                """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS dag_runs (
                    dag_id TEXT NOT NULL, run_id TEXT NOT NULL, kind TEXT NOT NULL,
                    interval_start INTEGER, interval_end INTEGER, state TEXT NOT NULL,
                    created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
                    records_produced INTEGER NOT NULL DEFAULT 0, error TEXT, conf TEXT NOT NULL DEFAULT '{}',
                    PRIMARY KEY (dag_id, run_id));
                CREATE INDEX IF NOT EXISTS dag_runs_by_time ON dag_runs (dag_id, created_at);
                CREATE INDEX IF NOT EXISTS dag_runs_by_state ON dag_runs (state);
                CREATE TABLE IF NOT EXISTS task_instances (
                    dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL,
                    state TEXT NOT NULL, started_at INTEGER, ended_at INTEGER, error TEXT,
                    PRIMARY KEY (dag_id, run_id, task_id, try_number));
                CREATE TABLE IF NOT EXISTS dag_pauses (dag_id TEXT PRIMARY KEY, paused INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS scheduler_heartbeats (owner TEXT PRIMARY KEY, at INTEGER NOT NULL);
                """)
            // Files written before leases existed lack the two columns.
            let columns = Set(try connection.query("PRAGMA table_info(dag_runs)", []) { $0.text(1) })
            if !columns.contains("owner") { try connection.execute("ALTER TABLE dag_runs ADD COLUMN owner TEXT") }
            if !columns.contains("lease_until") { try connection.execute("ALTER TABLE dag_runs ADD COLUMN lease_until INTEGER") }
        } catch {
            connection.close()
            throw error
        }
        db = Mutex(connection)
    }

    /// Closes the connection. Idempotent; later calls fail.
    public func close() { db.withLock { $0.close() } }

    deinit { db.withLock { $0.close() } }

    private static let runColumns =
        "dag_id, run_id, kind, interval_start, interval_end, state, created_at, started_at, ended_at, records_produced, error, conf, owner, lease_until"

    private static func values(_ r: DAGRunEntry) -> [Value] {
        [
            .text(r.dagID), .text(r.runID), .text(r.kind.rawValue), .int(r.interval?.start.millisecondsSinceEpoch),
            .int(r.interval?.end.millisecondsSinceEpoch), .text(r.state.rawValue), .int(r.createdAt.millisecondsSinceEpoch),
            .int(r.startedAt?.millisecondsSinceEpoch), .int(r.endedAt?.millisecondsSinceEpoch), .int(Int64(r.recordsProduced)),
            .text(r.error), .text(DAGRunEntry.encodeConf(r.conf)), .text(r.owner), .int(r.leaseUntil?.millisecondsSinceEpoch),
        ]
    }

    public func saveRun(_ r: DAGRunEntry) throws {
        try db.withLock { c in
            try c.run("INSERT OR REPLACE INTO dag_runs (\(Self.runColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", Self.values(r))
        }
    }

    public func insertRun(_ r: DAGRunEntry) throws -> Bool {
        try db.withLock { c in
            try c.run("INSERT OR IGNORE INTO dag_runs (\(Self.runColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", Self.values(r))
            return c.changes() == 1
        }
    }

    public func claimRun(_ entry: DAGRunEntry, owner: String, leaseUntil: Timestamp, now: Timestamp) throws -> DAGRunEntry? {
        try db.withLock { c in
            try c.execute("BEGIN IMMEDIATE")
            do {
                let stored = try Self.queryRuns(c, "WHERE dag_id = ? AND run_id = ?", [.text(entry.dagID), .text(entry.runID)]).first
                var claimed: DAGRunEntry? = nil
                if stored == nil || stored!.isClaimable(by: owner, now: now) {
                    var r = stored ?? entry
                    r.state = .running
                    r.owner = owner
                    r.leaseUntil = leaseUntil
                    r.startedAt = r.startedAt ?? entry.startedAt ?? now
                    try c.run("INSERT OR REPLACE INTO dag_runs (\(Self.runColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", Self.values(r))
                    claimed = r
                }
                try c.execute("COMMIT")
                return claimed
            } catch {
                try? c.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func renewLeases(owner: String, until: Timestamp) throws {
        try db.withLock { c in
            try c.run("UPDATE dag_runs SET lease_until = ? WHERE owner = ? AND state = 'running'", [.int(until.millisecondsSinceEpoch), .text(owner)])
        }
    }

    public func saveTask(_ t: TaskInstanceEntry) throws {
        try db.withLock { c in
            try c.run(
                "INSERT OR REPLACE INTO task_instances (dag_id, run_id, task_id, try_number, state, started_at, ended_at, error) VALUES (?,?,?,?,?,?,?,?)",
                [
                    .text(t.dagID), .text(t.runID), .text(t.taskID), .int(Int64(t.tryNumber)), .text(t.state.rawValue),
                    .int(t.startedAt?.millisecondsSinceEpoch), .int(t.endedAt?.millisecondsSinceEpoch), .text(t.error),
                ])
        }
    }

    public func runs(dagID: String?, limit: Int) throws -> [DAGRunEntry] {
        try queryRuns("WHERE (?1 IS NULL OR dag_id = ?1) ORDER BY created_at DESC, rowid DESC LIMIT ?2", [.text(dagID), .int(Int64(limit))])
    }

    public func run(dagID: String, runID: String) throws -> DAGRunEntry? {
        try queryRuns("WHERE dag_id = ? AND run_id = ?", [.text(dagID), .text(runID)]).first
    }

    public func queuedRuns() throws -> [DAGRunEntry] {
        try queryRuns("WHERE state = 'queued' ORDER BY created_at, rowid", [])
    }

    public func unfinishedRuns() throws -> [DAGRunEntry] {
        try queryRuns("WHERE state IN ('queued', 'running') ORDER BY created_at, rowid", [])
    }

    public func latestScheduledRuns() throws -> [DAGRunEntry] {
        try queryRuns(
            """
            WHERE kind = 'scheduled' AND interval_end = (SELECT MAX(interval_end) FROM dag_runs d2
                WHERE d2.dag_id = dag_runs.dag_id AND d2.kind = 'scheduled')
            """, [])
    }

    public func tasks(dagID: String, runID: String) throws -> [TaskInstanceEntry] {
        try db.withLock { c in
            try c.query(
                "SELECT task_id, try_number, state, started_at, ended_at, error FROM task_instances WHERE dag_id = ? AND run_id = ? ORDER BY started_at, rowid",
                [.text(dagID), .text(runID)]
            ) { s in
                TaskInstanceEntry(
                    dagID: dagID, runID: runID, taskID: s.text(0), tryNumber: Int(s.int(1)),
                    state: TaskState(rawValue: s.text(2)) ?? .failed, startedAt: s.timestamp(3), endedAt: s.timestamp(4),
                    error: s.optionalText(5))
            }
        }
    }

    public func registerDAGs(_ pausedIfNew: [String: Bool]) throws {
        try db.withLock { c in
            for (dag, paused) in pausedIfNew.sorted(by: { $0.key < $1.key }) {
                try c.run("INSERT OR IGNORE INTO dag_pauses (dag_id, paused) VALUES (?, ?)", [.text(dag), .int(paused ? 1 : 0)])
            }
        }
    }

    public func setPaused(_ dagID: String, _ paused: Bool) throws {
        try db.withLock { c in
            try c.run("INSERT OR REPLACE INTO dag_pauses (dag_id, paused) VALUES (?, ?)", [.text(dagID), .int(paused ? 1 : 0)])
        }
    }

    public func pausedDAGs() throws -> Set<String> {
        Set(try db.withLock { c in try c.query("SELECT dag_id FROM dag_pauses WHERE paused = 1", []) { $0.text(0) } })
    }

    public func beat(_ heartbeat: SchedulerHeartbeat) throws {
        try db.withLock { c in
            try c.run(
                "INSERT OR REPLACE INTO scheduler_heartbeats (owner, at) VALUES (?, ?)",
                [.text(heartbeat.owner), .int(heartbeat.at.millisecondsSinceEpoch)])
        }
    }

    public func endHeartbeat(owner: String) throws {
        try db.withLock { c in try c.run("DELETE FROM scheduler_heartbeats WHERE owner = ?", [.text(owner)]) }
    }

    public func heartbeat() throws -> SchedulerHeartbeat? {
        try db.withLock { c in
            try c.query("SELECT owner, at FROM scheduler_heartbeats ORDER BY at DESC LIMIT 1", []) {
                SchedulerHeartbeat(owner: $0.text(0), at: Timestamp(millisecondsSinceEpoch: $0.int(1)))
            }
        }.first
    }

    private func queryRuns(_ tail: String, _ values: [Value]) throws -> [DAGRunEntry] {
        try db.withLock { c in try Self.queryRuns(c, tail, values) }
    }

    private static func queryRuns(_ c: Connection, _ tail: String, _ values: [Value]) throws -> [DAGRunEntry] {
        try c.query("SELECT \(Self.runColumns) FROM dag_runs \(tail)", values) { s in
            let interval: DataInterval? =
                switch (s.timestamp(3), s.timestamp(4)) {
                case (let start?, let end?): DataInterval(start: start, end: end)
                default: nil
                }
            return DAGRunEntry(
                dagID: s.text(0), runID: s.text(1), kind: RunKind(rawValue: s.text(2)) ?? .manual, interval: interval,
                state: StoredRunState(rawValue: s.text(5)) ?? .failed, createdAt: s.timestamp(6) ?? Timestamp(millisecondsSinceEpoch: 0),
                startedAt: s.timestamp(7), endedAt: s.timestamp(8), recordsProduced: Int(s.int(9)), error: s.optionalText(10),
                conf: DAGRunEntry.decodeConf(s.text(11)), owner: s.optionalText(12), leaseUntil: s.timestamp(13))
        }
    }
}

/// What went wrong with the history file, naming it.
public struct RunHistoryError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var path: String
    public var description: String { "run history \(path): \(message)" }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

enum Value {
    case text(String?)
    case int(Int64?)
}

/// A bare `sqlite3*`, used under the history's lock.
final class Connection {
    private var handle: OpaquePointer?
    let path: String

    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(rc)"
            sqlite_nio_sqlite3_close_v2(db)
            throw RunHistoryError(message: "cannot open: \(message)", path: path)
        }
        handle = db
        sqlite_nio_sqlite3_busy_timeout(db, 5000)
    }

    /// Rows changed by the last statement.
    func changes() -> Int { handle.map { Int(sqlite_nio_sqlite3_changes($0)) } ?? 0 }

    func close() {
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ doing: String) -> RunHistoryError {
        let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "closed"
        return RunHistoryError(message: "\(message) (in \(doing.prefix(60)))", path: path)
    }

    func execute(_ sql: String) throws {
        guard let handle else { throw RunHistoryError(message: "closed", path: path) }
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql) }
    }

    func run(_ sql: String, _ values: [Value]) throws {
        _ = try query(sql, values) { _ in () }
    }

    func query<T>(_ sql: String, _ values: [Value], _ map: (Row) -> T) throws -> [T] {
        guard let handle else { throw RunHistoryError(message: "closed", path: path) }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw error(sql) }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .text(let s?): _ = sqlite_nio_sqlite3_bind_text(statement, index, s, -1, transient)
            case .int(let n?): _ = sqlite_nio_sqlite3_bind_int64(statement, index, n)
            case .text(nil), .int(nil): _ = sqlite_nio_sqlite3_bind_null(statement, index)
            }
        }
        var result: [T] = []
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_ROW {
                result.append(map(Row(statement: statement)))
                continue
            }
            if rc == SQLITE_DONE { return result }
            throw error(sql)
        }
    }
}

struct Row {
    let statement: OpaquePointer
    func int(_ i: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(statement, i) }
    func isNull(_ i: Int32) -> Bool { sqlite_nio_sqlite3_column_type(statement, i) == SQLITE_NULL }
    func text(_ i: Int32) -> String {
        guard let p = sqlite_nio_sqlite3_column_text(statement, i) else { return "" }
        return String(cString: p)
    }
    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    func timestamp(_ i: Int32) -> Timestamp? { isNull(i) ? nil : Timestamp(millisecondsSinceEpoch: int(i)) }
}
