import FreshetCore
import FreshetScheduler
import FreshetTesting
import Testing

extension Scheduler.Action {
    var createdInterval: DataInterval?? {
        if case .createRun(_, _, let interval) = self { return .some(interval) }
        return nil
    }
    var isCreate: Bool { createdInterval != nil }
}

@Suite struct SchedulerTests {
    func hourlyDAG(catchup: Bool, maxActiveRuns: Int = 1, paused: Bool = false) throws -> DAG {
        try DAG(
            id: "h",
            schedule: Schedule(
                .cron(try CronExpression("@hourly"), .utc), startDate: ts("2026-01-01T00:00:00Z"), catchup: catchup, maxActiveRuns: maxActiveRuns,
                isPaused: paused),
            tasks: [shell("only")]
        )
    }

    @Test(arguments: [(true, 5), (false, 1)])
    func catchupCreatesMissedRuns(catchup: Bool, expected: Int) throws {
        var s = try Scheduler(dags: [hourlyDAG(catchup: catchup, maxActiveRuns: 10)])
        let actions = s.tick(now: ts("2026-01-01T05:30:00Z"))
        #expect(actions.count(where: \.isCreate) == expected)
        #expect(actions.count { if case .startTask = $0 { true } else { false } } == expected)
    }

    @Test func maxActiveRunsHoldsBackDueIntervalsOldestFirst() throws {
        var s = try Scheduler(dags: [hourlyDAG(catchup: true, maxActiveRuns: 2)])
        let now = ts("2026-01-01T05:30:00Z")
        let first = s.tick(now: now)
        #expect(first.compactMap(\.createdInterval).map { $0?.start } == [ts("2026-01-01T00:00:00Z"), ts("2026-01-01T01:00:00Z")])
        #expect(s.tick(now: now).filter(\.isCreate).isEmpty, "both slots taken")
        let firstRun = s.activeRuns[0].runID
        _ = s.received(.init(dag: "h", run: firstRun, .taskSucceeded("only")), now: now)
        #expect(s.finishedRuns.map(\.state) == [.success])
        let next = s.tick(now: now)
        #expect(next.compactMap(\.createdInterval).map { $0?.start } == [ts("2026-01-01T02:00:00Z")])
    }

    @Test func pausedDAGGetsNoRunsUntilUnpaused() throws {
        var s = try Scheduler(dags: [hourlyDAG(catchup: false, paused: true)])
        #expect(s.tick(now: ts("2026-01-01T05:30:00Z")) == [])
        #expect(s.nextWakeup(after: ts("2026-01-01T05:30:00Z")) == nil)
        try s.setPaused("h", false)
        #expect(s.tick(now: ts("2026-01-01T05:30:00Z")).filter(\.isCreate).count == 1)
    }

    @Test func pastRunsSetWhereTheScheduleContinues() throws {
        let past = RunRecord(
            dagID: "h", runID: "scheduled__x", interval: DataInterval(start: ts("2026-01-01T02:00:00Z"), end: ts("2026-01-01T03:00:00Z")), state: .success)
        var s = try Scheduler(dags: [hourlyDAG(catchup: true, maxActiveRuns: 10)], pastRuns: [past])
        let created = s.tick(now: ts("2026-01-01T05:30:00Z")).compactMap(\.createdInterval)
        #expect(created.map { $0?.start } == [ts("2026-01-01T03:00:00Z"), ts("2026-01-01T04:00:00Z")])
    }

    @Test func manualTriggerRespectsMaxActiveRuns() throws {
        var s = try Scheduler(dags: [DAG(id: "m", schedule: manualSchedule, tasks: [shell("a")])])
        let now = ts("2026-01-01T05:30:00Z")
        #expect(s.tick(now: now) == [])
        let a = try s.trigger("m", now: now)
        #expect(
            a == [
                .createRun(dag: "m", run: "manual__2026-01-01T05:30:00.000Z", interval: nil),
                .startTask(dag: "m", run: "manual__2026-01-01T05:30:00.000Z", task: "a", tryNumber: 1, deadline: nil),
            ])
        #expect(try s.trigger("m", now: now) == [], "one active run at most")
        #expect(throws: SchedulerError.self) { _ = try s.trigger("nope", now: now) }
    }

    @Test func parallelismLimitsRunningTasks() throws {
        let dag = try DAG(id: "w", schedule: manualSchedule, tasks: (1...5).map { shell("t\($0)") })
        var s = try Scheduler(dags: [dag], configuration: .init(parallelism: 2))
        let now = ts("2026-01-01T00:00:00Z")
        let started = try s.trigger("w", now: now).filter { if case .startTask = $0 { true } else { false } }
        #expect(started.count == 2)
        let more = s.received(.init(dag: "w", run: s.activeRuns[0].runID, .taskSucceeded("t1")), now: now)
        #expect(more == [.startTask(dag: "w", run: s.activeRuns[0].runID, task: "t3", tryNumber: 1, deadline: nil)])
    }
}

@Suite struct SchedulerLoopTests {
    @Test func aSimulatedDayOfHourlyCreatesExactly24Runs() async throws {
        let dag = try DAG(
            id: "hourly",
            schedule: Schedule(.cron(try CronExpression("@hourly"), .utc), startDate: ts("2026-01-01T00:00:00Z")),
            tasks: [shell("extract"), shell("load", ["extract"])]
        )
        let clock = RecordingClock()
        var loop = SchedulerLoop(scheduler: try Scheduler(dags: [dag]), clock: clock, wallTimeAtStart: ts("2026-01-01T00:00:00Z"))
        let log = try await loop.run(until: ts("2026-01-02T00:00:00Z")) { action, _ in
            if case .startTask(let d, let r, let t, _, _) = action { return [(.init(dag: d, run: r, .taskSucceeded(t)), .seconds(30))] }
            return []
        }
        let created = log.compactMap { $0.action.createdInterval ?? nil }
        #expect(created.count == 24)
        #expect(
            created.map(\.end) == (1...24).map { Timestamp(millisecondsSinceEpoch: ts("2026-01-01T00:00:00Z").millisecondsSinceEpoch + Int64($0) * 3_600_000) })
        // Each run is created when its interval ends.
        for entry in log { if let i = entry.action.createdInterval ?? nil { #expect(entry.at == i.end) } }
        let finished = log.filter { if case .runFinished(_, _, .success) = $0.action { true } else { false } }
        #expect(finished.count == 23, "the run created at midnight finishes after the simulated day")
        #expect(loop.now == ts("2026-01-02T00:00:00Z"))
        #expect(!clock.sleeps.isEmpty)
    }

    @Test func failingTaskIsRetriedTwiceThenFailsAndDownstreamIsSkipped() async throws {
        let dag = DAG.userAutomation(startDate: ts("2026-01-01T00:00:00Z"))
        let clock = RecordingClock()
        var loop = SchedulerLoop(scheduler: try Scheduler(dags: [dag]), clock: clock, wallTimeAtStart: ts("2026-01-01T12:00:00Z"))
        let log = try await loop.run(until: ts("2026-01-02T01:00:00Z")) { action, _ in
            guard case .startTask(let d, let r, let t, _, _) = action else { return [] }
            switch t {
            case "test_kafka_connection": return [(.init(dag: d, run: r, .taskSucceeded(t)), .seconds(1))]
            case "create_kafka_topic": return [(.init(dag: d, run: r, .taskFailed(t, reason: "broker refused CreateTopics")), .seconds(2))]
            default: return [(.init(dag: d, run: r, .taskSucceeded(t)), .seconds(60))]
            }
        }
        func at(_ s: String) -> Timestamp { ts("2026-01-02T" + s + "Z") }
        let run = "scheduled__2026-01-01T00:00:00.000Z"
        let topicStarts = log.compactMap { e -> (Timestamp, Int)? in
            if case .startTask(_, _, "create_kafka_topic", let n, _) = e.action { return (e.at, n) }
            return nil
        }
        #expect(topicStarts.map(\.0) == [at("00:00:01"), at("00:01:03"), at("00:02:05")], "retries one minute after each failure")
        #expect(topicStarts.map(\.1) == [1, 2, 3])
        let retries = log.compactMap { e -> Timestamp? in
            if case .scheduleRetry(_, _, "create_kafka_topic", let t) = e.action { return t }
            return nil
        }
        #expect(retries == [at("00:01:03"), at("00:02:05")])
        #expect(log.contains { $0.action == .markSkipped(dag: "user_automation", run: run, task: "stream_data_from_api") })
        #expect(!log.contains { if case .startTask(_, _, "stream_data_from_api", _, _) = $0.action { true } else { false } })
        #expect(log.last?.action == .runFinished(dag: "user_automation", run: run, state: .failed))
        #expect(log.last?.at == at("00:02:07"))
        #expect(loop.scheduler.finishedRuns.map(\.state) == [.failed])
    }
}
