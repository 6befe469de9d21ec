import FreshetCore
import FreshetScheduler
import Testing

/// Restoring a run from recorded task instances, and the scheduler's watch/forget/adopt.
@Suite struct TakeoverTests {
    let t0 = ts("2026-01-01T00:00:00Z")
    func at(_ seconds: Int) -> Timestamp { Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch + Int64(seconds) * 1000) }

    func chain(retries: Int) throws -> DAG {
        try DAG(
            id: "chain", schedule: manualSchedule, tasks: [shell("a"), shell("b", ["a"]), shell("c", ["b"])],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: retries, delay: .seconds(10))))
    }

    func entry(_ task: String, _ tryNumber: Int, _ state: TaskState, endedAt: Timestamp? = nil) -> TaskInstanceEntry {
        TaskInstanceEntry(dagID: "chain", runID: "r", taskID: task, tryNumber: tryNumber, state: state, startedAt: t0, endedAt: endedAt)
    }

    @Test func aTryRunningWhenItsProcessDiedIsRetriedWithItsTryNumberContinuing() throws {
        let (m0, actions) = DAGRunStateMachine.restored(
            dag: try chain(retries: 2), runID: "r", interval: nil,
            tasks: [entry("a", 1, .success), entry("b", 1, .failed), entry("b", 2, .running)], now: at(100))
        var m = m0
        #expect(actions == [.scheduleRetry("b", at: at(110))], "try 2 of 3 failed: retry after the policy's delay")
        #expect(m.state(of: "a") == .success)
        #expect(m.state(of: "b") == .upForRetry)
        #expect(m.state(of: "c") == .pending)
        #expect(m.advance(now: at(110)) == [])
        #expect(m.start("b", now: at(110)) == .startTask("b", tryNumber: 3, deadline: nil), "the try number continues")
    }

    @Test func aLostTryWithoutRetriesLeftFailsTheRunAndSkipsDownstream() throws {
        let (m, actions) = DAGRunStateMachine.restored(
            dag: try chain(retries: 0), runID: "r", interval: nil,
            tasks: [entry("a", 1, .running)], now: at(100))
        #expect(actions == [.markSkipped("b"), .markSkipped("c"), .runFinished(.failed)])
        #expect(m.state == .failed)
        #expect(m.state(of: "a") == .failed)
    }

    @Test func successAndSkippedStayAndUpForRetryWaitsFromItsEnd() throws {
        let dag = try DAG(
            id: "chain", schedule: manualSchedule, tasks: [shell("a"), shell("b"), shell("after_b", ["b"]), shell("c")],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: 1, delay: .seconds(10))))
        let (m0, actions) = DAGRunStateMachine.restored(
            dag: dag, runID: "r", interval: nil,
            tasks: [
                entry("a", 1, .success), entry("b", 1, .failed), entry("b", 2, .failed), entry("after_b", 0, .skipped),
                entry("c", 1, .upForRetry, endedAt: at(95)),
            ], now: at(100))
        var m = m0
        #expect(actions == [], "b's final failure and the skip were recorded already; nothing new")
        #expect(m.state(of: "a") == .success)
        #expect(m.state(of: "b") == .failed)
        #expect(m.state(of: "after_b") == .skipped)
        #expect(m.state(of: "c") == .upForRetry)
        #expect(m.nextWakeup == at(105), "10 s after the failed try ended")
        #expect(m.advance(now: at(105)) == [])
        #expect(m.start("c", now: at(105)) == .startTask("c", tryNumber: 2, deadline: nil))
        #expect(m.received(.taskSucceeded("c"), now: at(106)) == [.runFinished(.failed)])
    }

    @Test func noRecordsRestoreAFreshRun() throws {
        let (m, actions) = DAGRunStateMachine.restored(dag: try chain(retries: 0), runID: "r", interval: nil, tasks: [], now: at(0))
        #expect(actions == [])
        #expect(m.queued == ["a"])
    }

    @Test func aWatchedRunHoldsItsSlotStartsNothingAndIsForgotten() throws {
        let dag = try DAG(id: "h", schedule: Schedule(.cron(try CronExpression("@hourly"), .utc), startDate: t0), tasks: [shell("only")])
        var s = try Scheduler(dags: [dag])
        let first = s.tick(now: ts("2026-01-01T05:30:00Z"))
        let run = "scheduled__2026-01-01T04:00:00.000Z"
        #expect(first.first == .createRun(dag: "h", run: run, interval: DataInterval(start: ts("2026-01-01T04:00:00Z"), end: ts("2026-01-01T05:00:00Z"))))
        // Another process won the claim.
        s.watch(dag: "h", run: run)
        #expect(s.watched.count == 1)
        #expect(s.tick(now: ts("2026-01-01T06:30:00Z")) == [], "max_active_runs holds; nothing of the watched run starts")
        #expect(s.received(.init(dag: "h", run: run, .taskSucceeded("only")), now: ts("2026-01-01T06:30:00Z")) == [], "reports about it are ignored")
        s.forget(dag: "h", run: run)
        #expect(s.activeRuns.isEmpty)
        #expect(s.finishedRuns.isEmpty, "forgotten, not finished here")
        #expect(s.tick(now: ts("2026-01-01T06:30:00Z")).filter(\.isCreate).count == 1, "the slot is free again")
    }

    @Test func aRunFromAnotherProcessIsWatchedAndMovesTheSchedule() throws {
        let dag = try DAG(id: "h", schedule: Schedule(.cron(try CronExpression("@hourly"), .utc), startDate: t0), tasks: [shell("only")])
        var s = try Scheduler(dags: [dag])
        s.watch(dag: "h", run: "scheduled__x", interval: DataInterval(start: ts("2026-01-01T05:00:00Z"), end: ts("2026-01-01T06:00:00Z")))
        s.watch(dag: "unknown", run: "y")
        #expect(s.activeRuns.map(\.runID) == ["scheduled__x"])
        s.forget(dag: "h", run: "scheduled__x")
        let created = s.tick(now: ts("2026-01-01T06:30:00Z")).compactMap(\.createdInterval)
        #expect(created.isEmpty, "the 05:00 interval ran elsewhere; the next is due at 07:00")
    }

    @Test func adoptTakesOverARunWithItsRecordedTasks() throws {
        var s = try Scheduler(dags: [try chain(retries: 1)], pastRuns: [RunRecord(dagID: "chain", runID: "r", interval: nil, state: .running)])
        #expect(s.watched.count == 1, "a past running run is watched until adopted")
        #expect(s.tick(now: at(0)) == [], "nothing of it starts")
        let actions = s.adopt(dag: "chain", run: "r", interval: nil, tasks: [entry("a", 1, .success), entry("b", 1, .running)], now: at(100))
        #expect(actions == [.scheduleRetry(dag: "chain", run: "r", task: "b", at: at(110))])
        #expect(s.watched.isEmpty)
        #expect(s.tick(now: at(110)) == [.startTask(dag: "chain", run: "r", task: "b", tryNumber: 2, deadline: nil)])
        #expect(
            s.received(.init(dag: "chain", run: "r", .taskSucceeded("b")), now: at(111))
                == [.startTask(dag: "chain", run: "r", task: "c", tryNumber: 1, deadline: nil)])
        #expect(s.received(.init(dag: "chain", run: "r", .taskSucceeded("c")), now: at(112)) == [.runFinished(dag: "chain", run: "r", state: .success)])
        #expect(s.finishedRuns.map(\.state) == [.success])
    }

    @Test func adoptingAnUnknownRunAddsItAndAnUnknownDAGAdoptsNothing() throws {
        var s = try Scheduler(dags: [try chain(retries: 0)])
        #expect(s.adopt(dag: "nope", run: "r", interval: nil, tasks: [], now: at(0)) == [])
        #expect(
            s.adopt(dag: "chain", run: "r", interval: nil, tasks: [], now: at(0)) == [
                .startTask(dag: "chain", run: "r", task: "a", tryNumber: 1, deadline: nil)
            ])
    }
}
