import Synchronization

/// A clock that moves only when a test calls `advance(by:)`: a `sleep` returns once time
/// has been advanced past its deadline (or throws `CancellationError` when its task is
/// cancelled). For deterministic tests of timers — linger, heartbeats, timeouts — with no
/// real sleeps.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private enum Sleeper {
        case waiting(Instant, CheckedContinuation<Void, any Error>)
        case cancelled
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// Sleeps in progress (tasks waiting for time to pass).
    public var sleeperCount: Int {
        state.withLock { s in s.sleepers.values.filter { if case .waiting = $0 { true } else { false } }.count }
    }

    /// The earliest deadline a sleeper waits for, if any.
    public var nextDeadline: Instant? {
        state.withLock { s in
            s.sleepers.values.compactMap { if case .waiting(let d, _) = $0 { d } else { nil } }.min()
        }
    }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { s in
                    if case .cancelled = s.sleepers[id] {
                        s.sleepers[id] = nil
                        return .failure(CancellationError())
                    }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers[id] = .waiting(deadline, c)
                    return nil
                }
                if let resume { c.resume(with: resume) }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, any Error>? = state.withLock { s in
                if case .waiting(_, let c) = s.sleepers[id] {
                    s.sleepers[id] = nil
                    return c
                }
                s.sleepers[id] = .cancelled
                return nil
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let due: [CheckedContinuation<Void, any Error>] = state.withLock { s in
            s.now = s.now.advanced(by: duration)
            var due: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in s.sleepers {
                if case .waiting(let deadline, let c) = sleeper, deadline <= s.now {
                    due.append(c)
                    s.sleepers[id] = nil
                }
            }
            return due
        }
        for c in due { c.resume() }
    }
}
