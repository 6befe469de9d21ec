import Synchronization

/// Bounds how far the source may run ahead of the processor, so that a slow store slows
/// the source down instead of growing the backlog without limit. In-process only.
public final class Backpressure: Sendable {
    struct State {
        var produced = 0
        var processed = 0
        var waiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var closed = false
    }

    /// Most records produced but not yet processed. Defaults to 200,000.
    public let maxUnprocessed: Int
    private let state = Mutex(State())

    public init(maxUnprocessed: Int = 200_000) {
        self.maxUnprocessed = maxUnprocessed
    }

    public var unprocessed: Int { state.withLock { $0.produced - $0.processed } }

    /// Waits (without polling) until there is room for `count` more records.
    public func reserve(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { s -> Bool in
                if s.closed || s.produced - s.processed + count <= maxUnprocessed || s.produced == s.processed {
                    s.produced += count
                    return true
                }
                s.waiters.append((count, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// The processor finished `count` records.
    public func processed(_ count: Int) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.processed += count
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = s.waiters.first, s.produced - s.processed + first.limit <= maxUnprocessed || s.produced == s.processed {
                s.produced += first.limit
                ready.append(first.continuation)
                s.waiters.removeFirst()
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Releases every waiter (shutdown).
    public func close() {
        let all = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }
}
