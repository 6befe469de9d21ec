import Foundation
import FreshetContracts
import FreshetCore
import Synchronization

/// When a produce call counts as durable (returns).
public enum Durability: Sendable, Hashable, CustomStringConvertible {
    /// `fsync` after every batch, on the producer's task. Safest, slowest.
    case everyBatch
    /// Group commit: a background thread `fsync`s every partition written in the last interval,
    /// and a produce call returns after the first `fsync` that covers its batch. The default is
    /// `.interval(.milliseconds(5))`: it adds at most ~5 ms + one fsync to a produce call while
    /// turning thousands of batches per second into ≤ 200 fsyncs per partition per second.
    case interval(Duration)
    /// Never `fsync` (the OS writes back when it likes): a crash of the machine, not the process,
    /// can lose the last seconds. Data is readable as soon as it is written.
    case none

    public static let `default` = Durability.interval(.milliseconds(5))

    var isImmediate: Bool {
        if case .interval = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .everyBatch: "fsync-per-batch"
        case .interval(let d):
            "group-commit \(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15) ms"
        case .none: "none"
        }
    }
}

/// A version counter consumers can wait on without busy polling: `notify` bumps it and
/// wakes every waiter; `wait` returns when it moved past `seen`, the timeout passed, or the
/// task is cancelled. The timeout is a child task of the wait (structured: nothing outlives
/// the call).
final class ChangeSignal: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    var version: UInt64 { state.withLock { $0.version } }

    func notify() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.version &+= 1
            guard !s.waiters.isEmpty else { return [] }
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        for w in waiters { w.resume() }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }

    /// Waits until the version differs from `seen`, the timeout passes or the task is cancelled.
    func wait(seen: UInt64, timeout: Duration) async {
        guard timeout > .zero else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(from: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            // Whichever ends first ends the wait; the other is cancelled and awaited here.
            await group.next()
            group.cancelAll()
        }
    }

    /// Until the version differs from `seen`, or the task is cancelled.
    private func waitForChange(from seen: UInt64) async {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    // A cancellation that came before the waiter was registered is seen here.
                    if s.version != seen || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
    }
}

/// The group-commit thread: sleeps one interval after the first write, then fsyncs every
/// partition written since and wakes their producers. A dedicated thread keeps blocking
/// `fsync` calls off Swift's cooperative pool.
final class GroupCommitter: @unchecked Sendable {
    private let interval: Duration
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [ObjectIdentifier: PartitionLog] = [:]
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(interval: Duration) {
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "freshet-group-commit"
        thread.start()
    }

    func markDirty(_ partition: PartitionLog) {
        condition.lock()
        pending[ObjectIdentifier(partition)] = partition
        condition.signal()
        condition.unlock()
    }

    /// Flushes what is pending and stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        done.wait()
    }

    private func run() {
        let nanos = interval.saturatingNanoseconds
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            let stopping = stopped
            condition.unlock()
            if !stopping && nanos > 0 {
                var ts = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
                var rem = timespec()
                while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
            }
            condition.lock()
            let batch = pending
            pending = [:]
            let exit = stopped && batch.isEmpty
            condition.unlock()
            // fsyncs of different partitions (different files) overlap on the device.
            let partitions = Array(batch.values)
            if partitions.count == 1 {
                partitions[0].sync()
            } else {
                DispatchQueue.concurrentPerform(iterations: partitions.count) { partitions[$0].sync() }
            }
            if exit { break }
        }
        done.signal()
    }
}
