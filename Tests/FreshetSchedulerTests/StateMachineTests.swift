import FreshetCore
import FreshetScheduler
import Testing

@Suite struct DAGRunStateMachineTests {
    let t0 = ts("2026-01-01T00:00:00Z")
    func at(_ seconds: Int) -> Timestamp { Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(seconds) * 1000) }

    func chain(retries: Int = 0, delay: Duration = .seconds(10), exponential: Bool = false, timeout: Duration? = nil) throws -> DAGRunStateMachine {
        let dag = try DAG(
            id: "chain", schedule: manualSchedule,
            tasks: [shell("a"), shell("b", ["a"]), shell("c", ["b"])],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: retries, delay: delay, exponentialBackoff: exponential), timeout: timeout)
        )
        return DAGRunStateMachine(dag: dag, runID: "r", interval: nil)
    }

    @Test func successPath() throws {
        var m = try chain()
        #expect(m.advance(now: t0) == [])
        #expect(m.queued == ["a"])
        #expect(m.state(of: "b") == .pending)
        #expect(m.start("a", now: t0) == .startTask("a", tryNumber: 1, deadline: nil))
        #expect(m.start("b", now: t0) == nil, "b is not queued")
        #expect(m.state(of: "a") == .running)
        #expect(m.received(.taskSucceeded("a"), now: at(1)) == [])
        #expect(m.queued == ["b"])
        _ = m.start("b", now: at(1))
        #expect(m.received(.taskSucceeded("b"), now: at(2)) == [])
        _ = m.start("c", now: at(2))
        #expect(m.state == .running)
        #expect(m.received(.taskSucceeded("c"), now: at(3)) == [.runFinished(.success)])
        #expect(m.state == .success)
    }

    @Test func retryThenFailSkipsDownstream() throws {
        var m = try chain(retries: 1, delay: .seconds(10))
        _ = m.advance(now: t0)
        _ = m.start("a", now: t0)
        #expect(m.received(.taskFailed("a", reason: "exit 1"), now: at(5)) == [.scheduleRetry("a", at: at(15))])
        #expect(m.state(of: "a") == .upForRetry)
        #expect(m.nextWakeup == at(15))
        #expect(m.advance(now: at(14)) == [])
        #expect(m.state(of: "a") == .upForRetry, "not before the delay")
        #expect(m.advance(now: at(15)) == [])
        #expect(m.state(of: "a") == .queued)
        #expect(m.start("a", now: at(15)) == .startTask("a", tryNumber: 2, deadline: nil))
        #expect(m.received(.taskFailed("a", reason: "exit 1"), now: at(16)) == [.markSkipped("b"), .markSkipped("c"), .runFinished(.failed)])
        #expect(m.state(of: "a") == .failed)
        #expect(m.state(of: "b") == .skipped)
        #expect(m.state(of: "c") == .skipped)
        #expect(m.state == .failed)
    }

    @Test func retryAfterSuccessOfARetry() throws {
        var m = try chain(retries: 2, delay: .seconds(10), exponential: true)
        _ = m.advance(now: t0)
        _ = m.start("a", now: t0)
        #expect(m.received(.taskFailed("a", reason: ""), now: at(0)) == [.scheduleRetry("a", at: at(10))])
        _ = m.advance(now: at(10))
        _ = m.start("a", now: at(10))
        #expect(m.received(.taskFailed("a", reason: ""), now: at(10)) == [.scheduleRetry("a", at: at(30))], "second delay doubled")
        _ = m.advance(now: at(30))
        #expect(m.start("a", now: at(30)) == .startTask("a", tryNumber: 3, deadline: nil))
        #expect(m.received(.taskSucceeded("a"), now: at(31)) == [])
        #expect(m.queued == ["b"])
    }

    @Test func timeoutIsAFailureThatStopsTheTry() throws {
        var m = try chain(retries: 1, delay: .seconds(10), timeout: .seconds(30))
        _ = m.advance(now: t0)
        #expect(m.start("a", now: t0) == .startTask("a", tryNumber: 1, deadline: at(30)))
        #expect(m.nextWakeup == at(30))
        #expect(m.advance(now: at(29)) == [])
        #expect(m.advance(now: at(30)) == [.stopTask("a"), .scheduleRetry("a", at: at(40))])
        #expect(m.received(.taskSucceeded("a"), now: at(31)) == [], "a late report after the timeout is ignored")
        #expect(m.state(of: "a") == .upForRetry)
    }

    @Test func timedOutEventFromTheExecutor() throws {
        var m = try chain(timeout: .seconds(30))
        _ = m.advance(now: t0)
        _ = m.start("a", now: t0)
        #expect(m.received(.taskTimedOut("a"), now: at(30)) == [.stopTask("a"), .markSkipped("b"), .markSkipped("c"), .runFinished(.failed)])
    }

    @Test func failureSkipsOnlyItsBranch() throws {
        let dag = try DAG(id: "d", schedule: manualSchedule, tasks: [shell("a"), shell("b"), shell("after_a", ["a"]), shell("after_b", ["b"])])
        var m = DAGRunStateMachine(dag: dag, runID: "r", interval: nil)
        _ = m.advance(now: t0)
        #expect(m.queued == ["a", "b"])
        _ = m.start("a", now: t0)
        _ = m.start("b", now: t0)
        #expect(m.received(.taskFailed("a", reason: ""), now: t0) == [.markSkipped("after_a")])
        #expect(m.received(.taskSucceeded("b"), now: t0) == [])
        _ = m.start("after_b", now: t0)
        #expect(m.received(.taskSucceeded("after_b"), now: t0) == [.runFinished(.failed)])
    }
}
