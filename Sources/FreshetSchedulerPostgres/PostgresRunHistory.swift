import Foundation
import FreshetCore
import FreshetPostgres
import FreshetScheduler
import Logging
import PostgresNIO

/// The run history in a PostgreSQL database (`--metadata postgres://user:password@host:port/db`),
/// shared by several Freshet processes: each run is claimed by one scheduler with a lease.
///
/// Tables, created if missing by ``connect(url:logger:)`` (under an advisory lock, so two
/// processes starting at once do not race): `freshet_dag_runs` (with `owner` and `lease_until`,
/// milliseconds since the epoch like every time column), `freshet_task_instances`, `freshet_dags`
/// (pause flags) and `freshet_scheduler_heartbeats` (one row per scheduler).
///
/// ``claimRun(_:owner:leaseUntil:now:)`` is one statement (`INSERT … ON CONFLICT DO UPDATE …
/// WHERE … RETURNING`): PostgreSQL locks the conflicting row, so of two schedulers claiming the
/// same run at once exactly one gets it.
///
/// The URL is parsed by FreshetPostgres' `PostgresSinkConfiguration` (parameters `sslmode`,
/// `connections`, `connect_timeout`); the connection pool is opened by `PostgresSink.connect`
/// (login checked at once). Errors never contain the password. Call ``close()`` when done.
public final class PostgresRunHistory: ClosableRunHistory {
    private let pool: PostgresSink
    private let logger: Logger
    var client: PostgresClient { pool.client }

    private init(pool: PostgresSink, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Connects and creates the tables if missing.
    public static func connect(url: String, logger: Logger = Logger(label: "freshet.scheduler.postgres")) async throws -> PostgresRunHistory {
        let pool = try await PostgresSink.connect(url: url, logger: logger)
        let history = PostgresRunHistory(pool: pool, logger: logger)
        do {
            try await history.createTables()
        } catch {
            try? await pool.close()
            throw error
        }
        return history
    }

    /// Stops the pool. Idempotent.
    public func close() async {
        try? await pool.close()
    }

    /// An arbitrary constant naming the schema lock (`pg_advisory_xact_lock`).
    static let schemaLockKey: Int64 = 0x46_52_53_48_53_43_48  // "FRSHSCH"

    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS freshet_dag_runs (
            dag_id TEXT NOT NULL, run_id TEXT NOT NULL, kind TEXT NOT NULL,
            interval_start BIGINT, interval_end BIGINT, state TEXT NOT NULL,
            created_at BIGINT NOT NULL, started_at BIGINT, ended_at BIGINT,
            records_produced BIGINT NOT NULL DEFAULT 0, error TEXT, conf TEXT NOT NULL DEFAULT '{}',
            owner TEXT, lease_until BIGINT,
            PRIMARY KEY (dag_id, run_id))
        """,
        "CREATE INDEX IF NOT EXISTS freshet_dag_runs_by_time ON freshet_dag_runs (dag_id, created_at)",
        "CREATE INDEX IF NOT EXISTS freshet_dag_runs_by_state ON freshet_dag_runs (state)",
        """
        CREATE TABLE IF NOT EXISTS freshet_task_instances (
            dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number BIGINT NOT NULL,
            state TEXT NOT NULL, started_at BIGINT, ended_at BIGINT, error TEXT,
            PRIMARY KEY (dag_id, run_id, task_id, try_number))
        """,
        "CREATE TABLE IF NOT EXISTS freshet_dags (dag_id TEXT PRIMARY KEY, paused BOOLEAN NOT NULL)",
        "CREATE TABLE IF NOT EXISTS freshet_scheduler_heartbeats (owner TEXT PRIMARY KEY, at BIGINT NOT NULL)",
    ]

    func createTables() async throws {
        try await perform("creating the tables") { client in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLockKey))", logger: logger)
                for statement in Self.schema {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        }
    }

    static let runColumns =
        "dag_id, run_id, kind, interval_start, interval_end, state, created_at, started_at, ended_at, records_produced, error, conf, owner, lease_until"

    /// `INSERT INTO freshet_dag_runs (…) VALUES ($1…$14)` for `r`.
    static func insert(_ r: DAGRunEntry) -> PostgresQuery {
        """
        INSERT INTO freshet_dag_runs (dag_id, run_id, kind, interval_start, interval_end, state, created_at, started_at, ended_at, records_produced, error, conf, owner, lease_until)
        VALUES (\(r.dagID), \(r.runID), \(r.kind.rawValue), \(r.interval?.start.millisecondsSinceEpoch), \(r.interval?.end.millisecondsSinceEpoch),
                \(r.state.rawValue), \(r.createdAt.millisecondsSinceEpoch), \(r.startedAt?.millisecondsSinceEpoch), \(r.endedAt?.millisecondsSinceEpoch),
                \(Int64(r.recordsProduced)), \(r.error), \(DAGRunEntry.encodeConf(r.conf)), \(r.owner), \(r.leaseUntil?.millisecondsSinceEpoch))
        """
    }

    public func saveRun(_ r: DAGRunEntry) async throws {
        var query = Self.insert(r)
        query.sql += """
             ON CONFLICT (dag_id, run_id) DO UPDATE SET kind = EXCLUDED.kind, interval_start = EXCLUDED.interval_start,
            interval_end = EXCLUDED.interval_end, state = EXCLUDED.state, created_at = EXCLUDED.created_at, started_at = EXCLUDED.started_at,
            ended_at = EXCLUDED.ended_at, records_produced = EXCLUDED.records_produced, error = EXCLUDED.error, conf = EXCLUDED.conf,
            owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
            """
        try await execute("saving run \(r.runID)", query)
    }

    public func insertRun(_ r: DAGRunEntry) async throws -> Bool {
        var query = Self.insert(r)
        query.sql += " ON CONFLICT (dag_id, run_id) DO NOTHING RETURNING run_id"
        return try await perform("inserting run \(r.runID)") { client in
            var inserted = false
            for try await _ in try await client.query(query, logger: logger) { inserted = true }
            return inserted
        }
    }

    public func claimRun(_ entry: DAGRunEntry, owner: String, leaseUntil: Timestamp, now: Timestamp) async throws -> DAGRunEntry? {
        var r = entry
        r.state = .running
        r.owner = owner
        r.leaseUntil = leaseUntil
        r.startedAt = entry.startedAt ?? now
        var query = Self.insert(r)
        // The WHERE is DAGRunEntry.isClaimable(by:now:) in SQL; a refused conflict returns no row.
        query.sql += """
             ON CONFLICT (dag_id, run_id) DO UPDATE SET state = 'running', owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until,
            started_at = COALESCE(freshet_dag_runs.started_at, EXCLUDED.started_at)
            WHERE freshet_dag_runs.state = 'queued'
               OR (freshet_dag_runs.state = 'running' AND (freshet_dag_runs.owner IS NULL OR freshet_dag_runs.owner = EXCLUDED.owner
                   OR freshet_dag_runs.lease_until < \(now.millisecondsSinceEpoch)))
            RETURNING \(Self.runColumns)
            """
        return try await perform("claiming run \(entry.runID)") { client in
            var claimed: DAGRunEntry?
            for try await row in try await client.query(query, logger: logger) { claimed = try Self.decodeRun(row) }
            return claimed
        }
    }

    public func renewLeases(owner: String, until: Timestamp) async throws {
        try await execute(
            "renewing leases",
            "UPDATE freshet_dag_runs SET lease_until = \(until.millisecondsSinceEpoch) WHERE owner = \(owner) AND state = 'running'")
    }

    public func saveTask(_ t: TaskInstanceEntry) async throws {
        try await execute(
            "saving task \(t.taskID)",
            """
            INSERT INTO freshet_task_instances (dag_id, run_id, task_id, try_number, state, started_at, ended_at, error)
            VALUES (\(t.dagID), \(t.runID), \(t.taskID), \(Int64(t.tryNumber)), \(t.state.rawValue), \(t.startedAt?.millisecondsSinceEpoch),
                    \(t.endedAt?.millisecondsSinceEpoch), \(t.error))
            ON CONFLICT (dag_id, run_id, task_id, try_number) DO UPDATE SET state = EXCLUDED.state, started_at = EXCLUDED.started_at,
                ended_at = EXCLUDED.ended_at, error = EXCLUDED.error
            """)
    }

    public func runs(dagID: String?, limit: Int) async throws -> [DAGRunEntry] {
        try await queryRuns("WHERE (\(dagID)::text IS NULL OR dag_id = \(dagID)) ORDER BY created_at DESC, run_id DESC LIMIT \(Int64(limit))")
    }

    public func run(dagID: String, runID: String) async throws -> DAGRunEntry? {
        try await queryRuns("WHERE dag_id = \(dagID) AND run_id = \(runID)").first
    }

    public func queuedRuns() async throws -> [DAGRunEntry] {
        try await queryRuns("WHERE state = 'queued' ORDER BY created_at, run_id")
    }

    public func unfinishedRuns() async throws -> [DAGRunEntry] {
        try await queryRuns("WHERE state IN ('queued', 'running') ORDER BY created_at, run_id")
    }

    public func latestScheduledRuns() async throws -> [DAGRunEntry] {
        try await queryRuns(
            """
            WHERE kind = 'scheduled' AND interval_end = (SELECT MAX(interval_end) FROM freshet_dag_runs d2
                WHERE d2.dag_id = freshet_dag_runs.dag_id AND d2.kind = 'scheduled')
            """)
    }

    public func tasks(dagID: String, runID: String) async throws -> [TaskInstanceEntry] {
        try await perform("reading tasks of \(runID)") { client in
            var result: [TaskInstanceEntry] = []
            let rows = try await client.query(
                """
                SELECT task_id, try_number, state, started_at, ended_at, error FROM freshet_task_instances
                WHERE dag_id = \(dagID) AND run_id = \(runID) ORDER BY started_at NULLS LAST, try_number, task_id
                """, logger: logger)
            for try await (task, tryNumber, state, started, ended, error) in rows.decode((String, Int64, String, Int64?, Int64?, String?).self) {
                result.append(
                    TaskInstanceEntry(
                        dagID: dagID, runID: runID, taskID: task, tryNumber: Int(tryNumber),
                        state: TaskState(rawValue: state) ?? .failed, startedAt: started.map(Timestamp.init(millisecondsSinceEpoch:)),
                        endedAt: ended.map(Timestamp.init(millisecondsSinceEpoch:)), error: error))
            }
            return result
        }
    }

    public func registerDAGs(_ pausedIfNew: [String: Bool]) async throws {
        for (dag, paused) in pausedIfNew.sorted(by: { $0.key < $1.key }) {
            try await execute("registering DAG \(dag)", "INSERT INTO freshet_dags (dag_id, paused) VALUES (\(dag), \(paused)) ON CONFLICT (dag_id) DO NOTHING")
        }
    }

    public func setPaused(_ dagID: String, _ paused: Bool) async throws {
        try await execute(
            "pausing \(dagID)",
            """
            INSERT INTO freshet_dags (dag_id, paused) VALUES (\(dagID), \(paused)) ON CONFLICT (dag_id) DO UPDATE SET paused = EXCLUDED.paused
            """)
    }

    public func pausedDAGs() async throws -> Set<String> {
        try await perform("reading pause flags") { client in
            var result = Set<String>()
            for try await dag in try await client.query("SELECT dag_id FROM freshet_dags WHERE paused", logger: logger).decode(String.self) {
                result.insert(dag)
            }
            return result
        }
    }

    public func beat(_ heartbeat: SchedulerHeartbeat) async throws {
        try await execute(
            "beating",
            """
            INSERT INTO freshet_scheduler_heartbeats (owner, at) VALUES (\(heartbeat.owner), \(heartbeat.at.millisecondsSinceEpoch))
            ON CONFLICT (owner) DO UPDATE SET at = EXCLUDED.at
            """)
    }

    public func endHeartbeat(owner: String) async throws {
        try await execute("ending the heartbeat", "DELETE FROM freshet_scheduler_heartbeats WHERE owner = \(owner)")
    }

    public func heartbeat() async throws -> SchedulerHeartbeat? {
        try await perform("reading heartbeats") { client in
            var beat: SchedulerHeartbeat?
            let rows = try await client.query("SELECT owner, at FROM freshet_scheduler_heartbeats ORDER BY at DESC LIMIT 1", logger: logger)
            for try await (owner, at) in rows.decode((String, Int64).self) {
                beat = SchedulerHeartbeat(owner: owner, at: Timestamp(millisecondsSinceEpoch: at))
            }
            return beat
        }
    }

    // MARK: Helpers

    private func queryRuns(_ tail: PostgresQuery) async throws -> [DAGRunEntry] {
        var query = tail
        query.sql = "SELECT \(Self.runColumns) FROM freshet_dag_runs " + tail.sql
        return try await perform("reading runs") { client in
            var result: [DAGRunEntry] = []
            for try await row in try await client.query(query, logger: logger) { result.append(try Self.decodeRun(row)) }
            return result
        }
    }

    static func decodeRun(_ row: PostgresRow) throws -> DAGRunEntry {
        let c = row.makeRandomAccess()
        func time(_ i: Int) throws -> Timestamp? { try c[i].decode(Int64?.self).map(Timestamp.init(millisecondsSinceEpoch:)) }
        let interval: DataInterval? =
            switch (try time(3), try time(4)) {
            case (let start?, let end?): DataInterval(start: start, end: end)
            default: nil
            }
        return DAGRunEntry(
            dagID: try c[0].decode(String.self), runID: try c[1].decode(String.self), kind: RunKind(rawValue: try c[2].decode(String.self)) ?? .manual,
            interval: interval, state: StoredRunState(rawValue: try c[5].decode(String.self)) ?? .failed,
            createdAt: try time(6) ?? Timestamp(millisecondsSinceEpoch: 0), startedAt: try time(7), endedAt: try time(8),
            recordsProduced: Int(try c[9].decode(Int64.self)), error: try c[10].decode(String?.self),
            conf: DAGRunEntry.decodeConf(try c[11].decode(String.self)),
            owner: try c[12].decode(String?.self), leaseUntil: try time(13))
    }

    private func execute(_ what: String, _ query: PostgresQuery) async throws {
        try await perform(what) { client in _ = try await client.query(query, logger: logger) }
    }

    private func perform<T>(_ what: String, _ body: (PostgresClient) async throws -> T) async throws -> T {
        do {
            return try await body(client)
        } catch let error as PostgresRunHistoryError {
            throw error
        } catch {
            throw PostgresRunHistoryError(message: "\(what): \(Self.explain(error))")
        }
    }

    /// The server's message, or the client error's code (PSQLError's description is generic).
    static func explain(_ error: any Error) -> String {
        var error = error
        if let t = error as? PostgresTransactionError { error = t.closureError ?? t.commitError ?? t.beginError ?? t }
        guard let psql = error as? PSQLError else { return redact("\(error)") }
        if let message = psql.serverInfo?[.message] { return message + (psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "") }
        return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
    }
}

/// A PostgreSQL run history statement failed; the message says what it was doing and the
/// server's answer (never the password).
public struct PostgresRunHistoryError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "PostgreSQL run history: \(message)" }
}
