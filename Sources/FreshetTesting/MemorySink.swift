import FreshetCore
import FreshetStore
import Synchronization

/// An in-memory `Sink` with the real one's atomicity (a batch applies whole or not at all),
/// plus fault injection: transient failures and rows it refuses for good.
public final class MemorySink: Sink, Sendable {
    public struct State: Sendable {
        public var rows: [String: CreatedUserRow] = [:]
        public var windows: [WindowKey: Int] = [:]
        public var positions: [String: [Int32: Int64]] = [:]
        public var writes = 0
        public var failedWrites = 0
        /// Fail the next N writes with a transient error.
        public var transientFailures = 0
        /// Refuse any batch containing one of these ids (a permanent row error).
        public var refusedIDs: Set<String> = []
    }

    public struct WindowKey: Hashable, Sendable {
        public var start: Int64
        public var dimension: String
        public var value: String
        public init(start: Int64, dimension: String, value: String) {
            self.start = start
            self.dimension = dimension
            self.value = value
        }
    }

    /// Changes the injected faults or state.
    public func configure(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
    }

    public struct TransientError: Error, CustomStringConvertible {
        public var description: String { "store unavailable (injected)" }
    }

    public struct RefusedRow: SinkFailure, CustomStringConvertible {
        public var rowID: String
        public var rejectedRowID: String? { rowID }
        public var description: String { "row \(rowID) refused (injected)" }
    }

    let state = Mutex(State())

    public init() {}

    public var snapshot: State { state.withLock { $0 } }

    public func prepare() async throws {}

    public func write(_ batch: SinkBatch) async throws {
        try state.withLock { s in
            if s.transientFailures > 0 {
                s.transientFailures -= 1
                s.failedWrites += 1
                throw TransientError()
            }
            if let refused = batch.rows.first(where: { s.refusedIDs.contains($0.id) }) {
                s.failedWrites += 1
                throw RefusedRow(rowID: refused.id)
            }
            for row in batch.rows { s.rows[row.id] = row }
            for w in batch.windowIncrements { s.windows[WindowKey(start: w.windowStart, dimension: w.dimension, value: w.value), default: 0] += w.count }
            for p in batch.positions { s.positions[p.topic, default: [:]][p.partition] = p.nextOffset }
            s.writes += 1
        }
    }

    public func positions(topic: String) async throws -> [Int32: Int64] {
        state.withLock { $0.positions[topic] ?? [:] }
    }

    public func close() async throws {}
}
