import FreshetContracts
import FreshetCore
import FreshetStore
import Synchronization

/// An in-memory `Sink` that keeps the store contract (a batch applies whole or not at all,
/// fenced by position), plus fault injection: transient failures and rows it refuses for good.
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

    @discardableResult
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] {
        try state.withLock { s in
            if s.transientFailures > 0 {
                s.transientFailures -= 1
                s.failedWrites += 1
                throw TransientError()
            }
            if let refused = batch.slices.lazy.flatMap(\.records).first(where: { s.refusedIDs.contains($0.row.id) }) {
                s.failedWrites += 1
                throw RefusedRow(rowID: refused.row.id)
            }
            var next = s
            var outcomes: [SliceOutcome] = []
            for slice in batch.slices {
                let stored = next.positions[slice.topic]?[slice.partition]
                let decision = SliceFence.plan(slice, position: stored)
                outcomes.append(SliceOutcome(slice, positionBefore: stored, decision: decision))
                switch decision {
                case .gap(let stored):
                    s.failedWrites += 1
                    throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: stored, from: slice.from)
                case .stale:
                    continue
                case .apply(let records, _):
                    for record in records {
                        next.rows[record.row.id] = record.row
                        guard let start = record.windowStart else { continue }
                        for cell in SinkRecord.windowCells(of: record.row) {
                            next.windows[WindowKey(start: start, dimension: cell.dimension, value: cell.value), default: 0] += 1
                        }
                    }
                    next.positions[slice.topic, default: [:]][slice.partition] = slice.to
                }
            }
            next.writes += 1
            s = next
            return outcomes
        }
    }

    public func upsert(_ rows: [CreatedUserRow]) async throws {
        state.withLock { s in
            for row in rows { s.rows[row.id] = row }
            s.writes += 1
        }
    }

    public func positions(topic: String) async throws -> [Int32: Int64] {
        state.withLock { $0.positions[topic] ?? [:] }
    }

    public func close() async throws {}
}
