import Synchronization

/// Serializes the writer connection's transactions across suspension points: an open
/// `SQLiteStore` transaction (`beginTransaction()`) holds the gate from `BEGIN` to `COMMIT` or
/// `ROLLBACK` — many thread-pool hops — and every other use of the writer connection waits for
/// it, so nothing else runs inside that transaction. Waiters are served in arrival order. A
/// waiter is not cancellable: it waits for the holder, whose transaction is bounded by the
/// processor's limits (`processor.max_transaction_time`, 500 ms by default).
final class WriteGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Waits until the gate is free, then holds it.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the gate to the next waiter, or frees it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Callers waiting for the gate (tests).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Runs `body` holding the gate.
    func withGate<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
