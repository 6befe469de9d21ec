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
            var next = s
            do {
                let outcomes = try Self.apply(batch, to: &next)
                next.writes += 1
                s = next
                return outcomes
            } catch {
                s.failedWrites += 1
                s.transientFailures = next.transientFailures
                throw error
            }
        }
    }

    /// Applies `batch` to `s` under the store contract, or throws (an injected fault, a refused
    /// row, a gap) leaving `s` partly changed: callers apply to a copy.
    static func apply(_ batch: SinkBatch, to s: inout State) throws -> [SliceOutcome] {
        if s.transientFailures > 0 {
            s.transientFailures -= 1
            throw TransientError()
        }
        if let refused = batch.slices.lazy.flatMap(\.records).first(where: { s.refusedIDs.contains($0.row.id) }) {
            throw RefusedRow(rowID: refused.row.id)
        }
        var outcomes: [SliceOutcome] = []
        for slice in batch.slices {
            let stored = s.positions[slice.topic]?[slice.partition]
            let decision = SliceFence.plan(slice, position: stored)
            outcomes.append(SliceOutcome(slice, positionBefore: stored, decision: decision))
            switch decision {
            case .gap(let stored):
                throw SliceGapError(topic: slice.topic, partition: slice.partition, stored: stored, from: slice.from)
            case .stale:
                continue
            case .apply(let records, _):
                for record in records {
                    s.rows[record.row.id] = record.row
                    guard let start = record.windowStart else { continue }
                    for cell in SinkRecord.windowCells(of: record.row) {
                        s.windows[WindowKey(start: start, dimension: cell.dimension, value: cell.value), default: 0] += 1
                    }
                }
                s.positions[slice.topic, default: [:]][slice.partition] = slice.to
            }
        }
        return outcomes
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

/// A `MemorySink` that also keeps a transaction open across applies (`TransactionalSink`), as
/// SQLite does: the processor streams its large transactions into it. The transaction works on
/// a copy of the state and swaps it in at the commit; the injected faults apply to each apply
/// (`transientFailures`, `refusedIDs`) and to commits (`commitFailures`), and a failure rolls
/// the whole transaction back. Counts `transactions` committed and `applies`.
public final class TransactionalMemorySink: TransactionalSink, Sendable {
    public let inner = MemorySink()
    private let counts = Mutex((transactions: 0, applies: 0, rolledBack: 0, commitFailures: 0, open: false))

    public init() {}

    public var snapshot: MemorySink.State { inner.snapshot }
    /// Transactions committed, applies made (in any transaction), transactions rolled back.
    public var transactionCounts: (committed: Int, applies: Int, rolledBack: Int) {
        counts.withLock { ($0.transactions, $0.applies, $0.rolledBack) }
    }

    /// Fail the next `n` commits (nothing of their transaction is applied).
    public func failCommits(_ n: Int) {
        counts.withLock { $0.commitFailures = n }
    }

    public func configure(_ body: (inout MemorySink.State) -> Void) { inner.configure(body) }
    public func prepare() async throws {}
    public func write(_ batch: SinkBatch) async throws -> [SliceOutcome] { try await inner.write(batch) }
    public func upsert(_ rows: [CreatedUserRow]) async throws { try await inner.upsert(rows) }
    public func positions(topic: String) async throws -> [Int32: Int64] { try await inner.positions(topic: topic) }
    public func close() async throws {}

    public func beginTransaction() async throws -> any SinkTransaction {
        try counts.withLock { c in
            if c.open { throw MemorySink.TransientError() }
            c.open = true
        }
        return Transaction(sink: self, state: inner.snapshot)
    }

    final class Transaction: SinkTransaction {
        let sink: TransactionalMemorySink
        private let state: Mutex<(next: MemorySink.State, ended: Bool)>

        init(sink: TransactionalMemorySink, state: MemorySink.State) {
            self.sink = sink
            self.state = Mutex((state, false))
        }

        func apply(_ batch: SinkBatch) async throws -> [SliceOutcome] {
            do {
                return try state.withLock { t in
                    guard !t.ended else { throw MemorySink.TransientError() }
                    sink.counts.withLock { $0.applies += 1 }
                    // The faults live in the shared state: take them from there, and give back
                    // what is left of them.
                    let shared = sink.inner.snapshot
                    t.next.transientFailures = shared.transientFailures
                    t.next.refusedIDs = shared.refusedIDs
                    defer { sink.inner.configure { [left = t.next.transientFailures] in $0.transientFailures = left } }
                    return try MemorySink.apply(batch, to: &t.next)
                }
            } catch {
                sink.inner.configure { $0.failedWrites += 1 }
                await rollback()
                throw error
            }
        }

        func positions(topic: String) async throws -> [Int32: Int64] {
            state.withLock { $0.next.positions[topic] ?? [:] }
        }

        func commit() async throws {
            let fail = sink.counts.withLock { c -> Bool in
                guard c.commitFailures > 0 else { return false }
                c.commitFailures -= 1
                return true
            }
            if fail {
                await rollback()
                throw MemorySink.TransientError()
            }
            let next = try state.withLock { t -> MemorySink.State in
                guard !t.ended else { throw MemorySink.TransientError() }
                t.ended = true
                return t.next
            }
            sink.inner.configure { s in
                let faults = (s.transientFailures, s.refusedIDs, s.failedWrites)
                s = next
                s.writes += 1
                (s.transientFailures, s.refusedIDs, s.failedWrites) = faults
            }
            sink.counts.withLock { c in
                c.transactions += 1
                c.open = false
            }
        }

        func rollback() async {
            let first = state.withLock { t -> Bool in
                defer { t.ended = true }
                return !t.ended
            }
            if first {
                sink.counts.withLock { c in
                    c.rolledBack += 1
                    c.open = false
                }
            }
        }
    }
}
