import ArgumentParser
import FreshetContracts
import FreshetPostgres
import FreshetStore
import Logging
import PostgresNIO

/// The PostgreSQL side of `freshet bench store` and `freshet bench e2e --store postgres://…`:
/// they write into the database the user names, so they insist on an empty one and empty it
/// again afterwards (TRUNCATE of Freshet's four tables; nothing else is touched).
enum BenchPostgres {
    /// `--store` of the benches: `sqlite` or a PostgreSQL URL; a usage error naming it otherwise.
    static func validateStore(_ store: String) throws {
        if PostgresSinkConfiguration.isPostgresURL(store) {
            do throws(PostgresSinkError) {
                _ = try PostgresSinkConfiguration(url: store)
            } catch {
                throw ValidationError("--store: \(error)")
            }
        } else if store != "sqlite" {
            throw ValidationError("--store must be sqlite or postgres://user:password@host:port/database")
        }
    }

    static let tables = "created_users, window_counts, stream_positions, user_counts"

    /// Connects, creates the tables when missing, and refuses a database that already holds users
    /// or positions (a bench must never truncate someone's data).
    static func connectEmpty(_ url: String, logger: Logger = quietLogger) async throws -> PostgresSink {
        let sink = try await PostgresSink.connect(url: url, logger: logger)
        do {
            try await sink.prepare()
            let users = try await sink.totalUsers()
            let positions = try await count("SELECT count(*)::bigint FROM stream_positions", sink)
            guard users == 0 && positions == 0 else {
                throw RuntimeFailure(
                    "the PostgreSQL database of --store already has \(users) users and \(positions) stream positions; "
                        + "the bench needs an empty scratch database (it empties \(tables) when done)")
            }
            return sink
        } catch {
            try? await sink.close()
            throw error
        }
    }

    /// Empties Freshet's tables (between and after bench phases).
    static func truncate(_ sink: PostgresSink) async throws {
        try await sink.client.query(PostgresQuery(unsafeSQL: "TRUNCATE \(tables)"), logger: quietLogger)
    }

    /// The size of Freshet's tables with their indexes, bytes.
    static func tableBytes(_ sink: PostgresSink) async throws -> Int64 {
        let sum = tables.split(separator: ",").map { "pg_total_relation_size('\($0.trimmingSpaces())')" }.joined(separator: " + ")
        return try await count("SELECT (\(sum))::bigint", sink)
    }

    static func count(_ sql: String, _ sink: PostgresSink) async throws -> Int64 {
        for try await value in try await sink.client.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).decode(Int64.self) {
            return value
        }
        return 0
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "freshet.bench.postgres")
        logger.logLevel = .warning
        return logger
    }
}
