import Testing

@testable import FreshetLog

/// The long-poll wait of the embedded log: it ends on a change, on its timeout, or on
/// cancellation — whichever comes first — and leaves no waiter behind.
@Suite struct ChangeSignalTests {
    @Test func aChangeEndsTheWaitBeforeItsTimeout() async {
        let signal = ChangeSignal()
        let seen = signal.version
        let clock = ContinuousClock()
        let started = clock.now
        async let waited: Void = signal.wait(seen: seen, timeout: .seconds(600))
        // The waiter may not be registered yet: notify until the wait has ended.
        let notifier = Task {
            while !Task.isCancelled {
                signal.notify()
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        await waited
        notifier.cancel()
        #expect(started.duration(to: clock.now) < .seconds(600))
        #expect(signal.version != seen)
    }

    @Test func aWaitWithNoChangeEndsAtItsTimeout() async {
        let signal = ChangeSignal()
        await signal.wait(seen: signal.version, timeout: .milliseconds(20))
        // A version already past `seen` returns at once, timeout or not.
        await signal.wait(seen: signal.version &- 1, timeout: .seconds(600))
        #expect(signal.version == 0)
    }

    @Test func cancellationEndsTheWait() async {
        let signal = ChangeSignal()
        let task = Task { await signal.wait(seen: signal.version, timeout: .seconds(600)) }
        task.cancel()
        await task.value
        #expect(signal.version == 0)
    }
}
