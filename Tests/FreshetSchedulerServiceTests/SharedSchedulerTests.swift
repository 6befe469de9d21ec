import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetSchedulerService
import FreshetTesting
import Logging
import Testing

/// Two scheduler services sharing one PostgreSQL run history, as two processes would.
@Suite("Schedulers sharing a PostgreSQL history", .postgresServer)
struct SharedSchedulerTests {
    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }


    func service(_ dag: DAG, _ history: any RunHistory, broker: any Broker, owner: String, lease: Duration = .seconds(30)) -> SchedulerService<ContinuousClock>
    {
        var logger = Logger(label: "test.\(owner)")
        logger.logLevel = .warning
        return SchedulerService(
            dags: [dag], history: history, executor: TaskExecutor(broker: broker), clock: ContinuousClock(),
            configuration: .init(pollInterval: .milliseconds(100), lease: lease, owner: owner), logger: logger)
    }

    @Test func everyScheduledRunStartsExactlyOnce() async throws {
        let dir = tempDir("shared")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/runs.txt"
        let url = try PostgresServerTrait.freshDatabase("once")
        let history = try await PostgresRunHistory.connect(url: url)
        let historyB = try await PostgresRunHistory.connect(url: url)
        func dag(_ marker: String) throws -> DAG {
            try DAG(
                id: "tick", schedule: Schedule(.interval(.seconds(1)), startDate: ts("2026-01-01T00:00:00Z")),
                tasks: [DAGTask("append", .shell(command: "echo \"$FRESHET_RUN_ID $FRESHET_TRY_NUMBER \(marker)\" >> '\(file)'"))])
        }
        let target = 8
        try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            let a = service(try dag("a@test"), history, broker: broker, owner: "a@test")
            let b = service(try dag("b@test"), historyB, broker: broker, owner: "b@test")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.run() }
                group.addTask { try await b.run() }
                try await eventually("\(target) lines in the task's file") { lines(file).count >= target }
                group.cancelAll()
                try await group.waitForAll()
            }
        }
        let written = lines(file).map { $0.split(separator: " ").map(String.init) }
        let runs = try await history.runs(dagID: "tick", limit: 1000)
        await history.close()
        await historyB.close()
        #expect(written.count >= target, "\(written.count) runs appended")
        let runIDs = written.map { $0[0] }
        #expect(Set(runIDs).count == runIDs.count, "a run ran twice: \(runIDs)")
        #expect(written.allSatisfy { $0.count == 3 && $0[1] == "1" }, "every run's first and only try: \(written)")
        for line in written {
            let run = runs.first { $0.runID == line[0] }
            #expect(run?.owner == line[2], "run \(line[0]) ran in \(line[2]) and is owned by \(run?.owner ?? "nobody")")
        }
        let succeeded = runs.filter { $0.state == .success }.map(\.runID)
        #expect(Set(succeeded).isSubset(of: Set(runIDs)), "every successful run appended its line")
        #expect(succeeded.count >= target - 2)
    }

    @Test func aRunWhoseSchedulerDiedIsTakenOverAfterTheLeaseAndRetried() async throws {
        let dir = tempDir("takeover")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/tries.txt"
        let url = try PostgresServerTrait.freshDatabase("takeover")
        let shared = try await PostgresRunHistory.connect(url: url)
        let dying = SeverableHistory(try await PostgresRunHistory.connect(url: url))
        let dag = try DAG(
            id: "long", schedule: Schedule(.manual, startDate: ts("2026-01-01T00:00:00Z")),
            tasks: [
                DAGTask("first", .shell(command: "true")),
                DAGTask(
                    "work",
                    .shell(
                        command:
                            "echo \"$FRESHET_RUN_ID $FRESHET_TASK_ID $FRESHET_TRY_NUMBER\" >> '\(file)'; if [ \"$FRESHET_TRY_NUMBER\" = 1 ]; then sleep 60; fi"),
                    upstream: ["first"]),
            ],
            defaultArgs: DefaultArgs(retryPolicy: RetryPolicy(retries: 1, delay: .milliseconds(100))))
        let run = try await shared.queueManualRun(dag: dag, conf: [:])
        try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            let a = service(dag, dying, broker: broker, owner: "a@test", lease: .seconds(2))
            let b = service(dag, shared, broker: broker, owner: "b@test", lease: .seconds(2))
            let serviceA = Task { try await a.run() }
            try await eventually("the long task runs") {
                try await shared.tasks(dagID: "long", runID: run).contains { $0.taskID == "work" && $0.state == .running }
            }
            #expect(try await shared.run(dagID: "long", runID: run)?.owner == "a@test")
            // A "crashes": it can no longer write anything (no lease renewal, no shutdown
            // records), and stops; its `sleep 60` is killed.
            dying.sever()
            serviceA.cancel()
            try await serviceA.value
            #expect(try await shared.run(dagID: "long", runID: run)?.state == .running, "A recorded nothing of its end")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await b.run() }
                try await eventually("the long run finishes") { try await shared.run(dagID: "long", runID: run)?.state.isFinished == true }
                group.cancelAll()
                try await group.waitForAll()
            }
        }
        let entry = try #require(try await shared.run(dagID: "long", runID: run))
        let tasks = try await shared.tasks(dagID: "long", runID: run)
        await shared.close()
        await (dying.base as! PostgresRunHistory).close()
        #expect(entry.state == .success, "\(entry)")
        #expect(entry.owner == "b@test")
        let work = tasks.filter { $0.taskID == "work" }.sorted { $0.tryNumber < $1.tryNumber }
        #expect(work.map(\.tryNumber) == [1, 2])
        #expect(work.map(\.state) == [.upForRetry, .success])
        #expect(work.first?.error?.hasPrefix("its scheduler a@test stopped renewing the lease") == true, "\(work)")
        #expect(tasks.filter { $0.taskID == "first" }.map(\.state) == [.success], "the finished task is not run again")
        #expect(lines(file) == ["\(run) work 1", "\(run) work 2"])
    }
}
