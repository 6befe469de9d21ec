import FreshetContracts
import FreshetCore
import Logging
import PostgresNIO
import Synchronization

extension PostgresSink {
    /// Opens a transaction across writes (`TransactionalSink`) on a connection of its own, kept
    /// between transactions: `BEGIN`, then the write lock (`pg_advisory_xact_lock`, so other
    /// writers wait until the commit, as they wait for a `write`). One at a time.
    public func beginTransaction() async throws -> any SinkTransaction {
        let kept = try dedicated.withLock { state -> PostgresConnection? in
            guard !state.inUse else {
                throw PostgresSinkError(code: .writeFailed, message: "a transaction of this sink is already open")
            }
            state.inUse = true
            defer { state.connection = nil }
            return state.connection
        }
        var connection: PostgresConnection?
        do {
            if let kept, !kept.isClosed {
                connection = kept
            } else {
                try? await kept?.close()
                connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 1, logger: logger)
            }
            try await connection!.query("BEGIN", logger: logger)
            try await connection!.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.writeLockKey))", logger: logger)
        } catch {
            try? await connection?.close()
            dedicated.withLock { $0.inUse = false }
            throw Self.failure(error, code: .writeFailed, doing: "opening a transaction")
        }
        return PostgresTransaction(sink: self, connection: connection!)
    }

    /// Gives the connection back for the next transaction (nil: it is closed, or in an unknown state).
    func endTransaction(keeping connection: PostgresConnection?) {
        dedicated.withLock { state in
            state.connection = connection
            state.inUse = false
        }
    }
}

/// An open transaction of a `PostgresSink` on its own connection. Applies run one at a time;
/// a failure rolls all of it back (and a connection in doubt is closed).
final class PostgresTransaction: SinkTransaction {
    let sink: PostgresSink
    let connection: PostgresConnection
    /// Set by the commit or the rollback, in order with the applies (which check it).
    private let ended = Mutex(false)

    init(sink: PostgresSink, connection: PostgresConnection) {
        self.sink = sink
        self.connection = connection
    }

    deinit {
        // Dropped without an end (a caller's bug): the server rolls back when the connection closes.
        if !ended.withLock({ $0 }) {
            let connection = connection
            sink.endTransaction(keeping: nil)
            connection.close().whenComplete { _ in }
        }
    }

    private var endedError: PostgresSinkError {
        PostgresSinkError(code: .writeFailed, message: "the store transaction has ended")
    }

    func apply(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        guard !ended.withLock({ $0 }) else { throw endedError }
        let fault = sink.takeFault { if case .failAtStatement = $0 { true } else { false } }
        let statements = PostgresSink.StatementCount(failAt: fault)
        do {
            try PostgresSink.checkIDs(batch)
            return try await PostgresSink.apply(batch, on: connection, logger: sink.logger, statements: statements, rowPath: sink.rowPath)
        } catch {
            await rollback()
            if let gap = PostgresSink.unwrapped(error) as? SliceGapError { throw gap }
            if let injected = PostgresSink.unwrapped(error) as? InjectedStoreFault { throw injected }
            throw PostgresSink.failure(
                error, code: .writeFailed, doing: "applying \(batch.slices.reduce(0) { $0 + $1.records.count }) records in a transaction")
        }
    }

    func positions(topic: String) async throws -> [Int32: Int64] {
        guard !ended.withLock({ $0 }) else { throw endedError }
        do {
            var result: [Int32: Int64] = [:]
            for try await (partition, offset) in try await connection.query(
                PostgresQuery(unsafeSQL: PostgresSchema.selectPositions, binds: PostgresSink.binds(topic)), logger: sink.logger
            ).decode((Int32, Int64).self) {
                result[partition] = offset
            }
            return result
        } catch {
            await rollback()
            throw PostgresSink.failure(error, code: .readFailed, doing: "reading positions in a transaction")
        }
    }

    func commit() async throws {
        guard !ended.withLock({ $0 }) else { throw endedError }
        let fault = sink.takeFault { $0 == .loseAnswerAfterCommit }
        do {
            try await connection.query("COMMIT", logger: sink.logger)
        } catch {
            // Did it commit? The connection cannot say any more: close it; the caller reads the
            // transaction again and the positions make that safe either way.
            end(keeping: nil)
            try? await connection.close()
            throw PostgresSink.failure(error, code: .writeFailed, doing: "committing a transaction")
        }
        end(keeping: connection)
        if fault == .loseAnswerAfterCommit { throw InjectedStoreFault("the answer to a committed transaction was lost (injected)") }
    }

    func rollback() async {
        guard !ended.withLock({ $0 }) else { return }
        do {
            try await connection.query("ROLLBACK", logger: sink.logger)
            end(keeping: connection)
        } catch {
            end(keeping: nil)
            try? await connection.close()
        }
    }

    /// Marks the transaction ended (once) and gives the connection back.
    private func end(keeping kept: PostgresConnection?) {
        let first = ended.withLock { ended -> Bool in
            defer { ended = true }
            return !ended
        }
        if first { sink.endTransaction(keeping: kept) }
    }
}
