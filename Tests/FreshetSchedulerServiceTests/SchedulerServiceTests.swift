import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerSQLite
import FreshetSchedulerService
import FreshetTesting
import Logging
import ServiceLifecycle
import Testing

@Suite struct SchedulerServiceTests {
    func shellDAG(_ id: String, _ command: String, schedule: Schedule? = nil, retries: Int = 0) throws -> DAG {
        try DAG(
            id: id, schedule: schedule ?? Schedule(.manual, startDate: ts("2026-01-01T00:00:00Z")),
            tasks: [DAGTask("first", .shell(command: "true")), DAGTask("second", .shell(command: command), upstream: ["first"])],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: retries, delay: .milliseconds(100))))
    }

    /// Runs the service until `done` holds (polling the history) or 120 s pass (a generous bound
    /// for a loaded CI machine; the expectations after it say what must have happened), then
    /// shuts it down.
    func runService(_ service: SchedulerService<ContinuousClock>, until done: @escaping @Sendable () async throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            try await eventually("the scheduler service has done its work") { try await done() }
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    func service(_ dags: [DAG], _ history: any RunHistory, broker: any Broker) -> SchedulerService<ContinuousClock> {
        SchedulerService(
            dags: dags, history: history, executor: TaskExecutor(broker: broker), clock: ContinuousClock(),
            configuration: .init(pollInterval: .milliseconds(50)))
    }

    @Test func queuedManualRunIsPickedUpAndEveryStateIsRecorded() async throws {
        let dir = tempDir("svc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = try SQLiteRunHistory(path: SQLiteRunHistory.path(dataDirectory: dir))
        defer { history.close() }
        let ok = try shellDAG("ok", "true")
        let bad = try shellDAG("bad", "echo 'no such table' >&2; exit 4", retries: 1)
        let okRun = try await history.queueManualRun(dag: ok, conf: [:])
        let badRun = try await history.queueManualRun(dag: bad, conf: [:])
        try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            try await runService(service([ok, bad], history, broker: broker)) {
                try history.run(dagID: "ok", runID: okRun)?.state.isFinished == true && history.run(dagID: "bad", runID: badRun)?.state.isFinished == true
            }
        }
        let okEntry = try #require(try history.run(dagID: "ok", runID: okRun))
        #expect(okEntry.state == .success)
        #expect(okEntry.kind == .manual && okEntry.startedAt != nil && okEntry.endedAt != nil)
        #expect(try history.tasks(dagID: "ok", runID: okRun).map(\.state) == [.success, .success])
        let badEntry = try #require(try history.run(dagID: "bad", runID: badRun))
        #expect(badEntry.state == .failed)
        #expect(badEntry.error == "second: exit code 4: no such table")
        let tries = try history.tasks(dagID: "bad", runID: badRun).filter { $0.taskID == "second" }
        #expect(tries.map(\.state) == [.upForRetry, .failed])
        #expect(try history.heartbeat() == nil, "a stopped service removes its heartbeat")
        #expect(try history.run(dagID: "ok", runID: okRun)?.owner == SchedulerHeartbeat.processOwner, "claimed by this process")
    }

    @Test func restartedServiceContinuesAfterTheLastScheduledRun() async throws {
        let history = InMemoryRunHistory()
        let now = Timestamp.now().millisecondsSinceEpoch
        let hour: Int64 = 3_600_000
        let h = now - now % hour
        let dag = try shellDAG(
            "hourly", "true",
            schedule: Schedule(.cron(try CronExpression("@hourly"), .utc), startDate: ts("2026-01-01T00:00:00Z"), catchup: true, maxActiveRuns: 5))
        history.saveRun(
            DAGRunEntry(
                dagID: "hourly", runID: "scheduled__old", kind: .scheduled,
                interval: DataInterval(start: Timestamp(millisecondsSinceEpoch: h - 2 * hour), end: Timestamp(millisecondsSinceEpoch: h - hour)),
                state: .success, createdAt: Timestamp(millisecondsSinceEpoch: h - hour)))
        let dir = tempDir("svc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            try await runService(service([dag], history, broker: broker)) {
                history.runs(dagID: "hourly", limit: 10).count == 2 && history.runs(dagID: "hourly", limit: 1)[0].state == .success
            }
        }
        let runs = history.runs(dagID: "hourly", limit: 10)
        #expect(
            runs.map(\.interval?.start) == [Timestamp(millisecondsSinceEpoch: h - hour), Timestamp(millisecondsSinceEpoch: h - 2 * hour)],
            "only the one interval after the last run, not the whole catchup since 2026-01-01")
        #expect(runs.map(\.state) == [.success, .success])
    }

    @Test func gracefulShutdownStopsRunningTasksAndMarksThemFailed() async throws {
        let history = InMemoryRunHistory()
        let dag = try shellDAG("slow", "sleep 30")
        let run = try await history.queueManualRun(dag: dag, conf: [:])
        let dir = tempDir("svc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            let svc = service([dag], history, broker: broker)
            let group = ServiceGroup(configuration: .init(services: [svc], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("the second task runs") {
                    history.tasks(dagID: "slow", runID: run).first(where: { $0.taskID == "second" })?.state == .running
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        // `sleep 30` was stopped by the shutdown, not waited for: the task says so.
        let entry = try #require(history.run(dagID: "slow", runID: run))
        #expect(entry.state == .failed)
        #expect(entry.error == "scheduler shut down while task 'second' was running")
        #expect(history.tasks(dagID: "slow", runID: run).last?.error == "stopped by scheduler shutdown")
    }

    @Test func aStreamTaskStoppedByShutdownCountsWhatItAppended() async throws {
        let history = InMemoryRunHistory()
        var dag = DAG.userAutomation(duration: .seconds(600), rate: 500)
        dag.schedule.trigger = .manual  // only the queued run
        let run = try await history.queueManualRun(dag: dag, conf: [:])
        let dir = tempDir("svc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inLog = try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            let svc = service([dag], history, broker: broker)
            let group = ServiceGroup(configuration: .init(services: [svc], logger: Logger(label: "test")))
            func appended() async throws -> Int64 {
                guard try await broker.listTopics().contains("users_created") else { return 0 }
                return try await broker.describeTopic("users_created").partitions.reduce(Int64(0)) { $0 + $1.latestOffset }
            }
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("200 records are appended") { try await appended() >= 200 }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            return try await appended()
        }
        let entry = try #require(history.run(dagID: dag.id, runID: run))
        #expect(entry.state == .failed)
        #expect(entry.error == "scheduler shut down while task 'stream_data_from_api' was running")
        #expect(inLog >= 200)
        #expect(Int64(entry.recordsProduced) == inLog, "the stopped run counts the records it appended")
    }

    @Test func confDurationOverridesTheStreamTaskAndRecordsAreCounted() async throws {
        let dir = tempDir("svc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = InMemoryRunHistory()
        let dag = DAG.userAutomation(duration: .seconds(600), rate: 100)
        let run = try await history.queueManualRun(dag: dag, conf: ["duration": "1s"])
        let entry = try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            let result = try await service([dag], history, broker: broker).runQueued(dagID: dag.id, runID: run)
            let d = try await broker.describeTopic("users_created")
            #expect(Int(d.partitions.reduce(Int64(0)) { $0 + $1.latestOffset }) == result?.recordsProduced)
            return result
        }
        #expect(entry?.state == .success)
        #expect((entry?.recordsProduced ?? 0) > 0 && (entry?.recordsProduced ?? 0) <= 150, "1 s at 100/s, not 600 s")
        #expect(history.runs(dagID: nil, limit: 10).count == 1, "runQueued creates no scheduled run")
    }
}
