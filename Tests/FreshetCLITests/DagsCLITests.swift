import Foundation
import FreshetCore
import FreshetScheduler
import FreshetSchedulerSQLite
import FreshetTesting
import Testing

@Suite("freshet dags")
struct DagsCLITests {
    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-dags-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func triggerWaitRunsInProcessAndRecordsTheRun() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trigger = try await runFreshet(["dags", "trigger", "user_automation", "--conf", "duration=2s", "--wait", "--data-dir", dir])
        #expect(trigger.status == 0, "\(trigger.stderr)")
        #expect(trigger.stdoutText.contains("no scheduler is running"))

        let runs = try await runFreshet(["dags", "runs", "user_automation", "--json", "--data-dir", dir])
        #expect(runs.status == 0, "\(runs.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: runs.stdout) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["state"] as? String == "success")
        #expect(list.first?["kind"] as? String == "manual")
        let records = try #require(list.first?["records"] as? Int)
        #expect(records > 0)
        let table = try await runFreshet(["dags", "runs", "user_automation", "--data-dir", dir])
        #expect(table.stdoutText.contains("success"))

        let topic = try await runFreshet(["topics", "describe", "users_created", "--json", "--data-dir", dir])
        #expect(topic.status == 0, "\(topic.stderr)")
        let description = try #require(try JSONSerialization.jsonObject(with: topic.stdout) as? [String: Any])
        let partitions = try #require(description["partitions"] as? [[String: Any]])
        #expect(partitions.compactMap { $0["latestOffset"] as? Int }.reduce(0, +) == records, "the log holds exactly the records the run counted")

        // Task instances are in the history too.
        let history = try SQLiteRunHistory(path: SQLiteRunHistory.path(dataDirectory: dir))
        defer { history.close() }
        let runID = try #require(list.first?["run_id"] as? String)
        #expect(
            try history.tasks(dagID: "user_automation", runID: runID).map(\.taskID) == ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"])
    }

    @Test func theBuiltInDAGStartsPausedAndPauseShowsInListAndBadInputIsAUsageError() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fresh = try await runFreshet(["dags", "list", "--json", "--data-dir", dir])
        let initial = try #require(try JSONSerialization.jsonObject(with: fresh.stdout) as? [[String: Any]])
        #expect(initial.first?["paused"] as? Bool == true, "user_automation is paused upon creation")
        #expect(try await runFreshet(["dags", "unpause", "user_automation", "--data-dir", dir]).status == 0)
        #expect(try await runFreshet(["dags", "pause", "user_automation", "--data-dir", dir]).status == 0)
        let listed = try await runFreshet(["dags", "list", "--json", "--data-dir", dir])
        let rows = try #require(try JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]])
        #expect(rows.first?["paused"] as? Bool == true)
        #expect(try await runFreshet(["dags", "unpause", "user_automation", "--data-dir", dir]).status == 0)
        let unpaused = try await runFreshet(["dags", "list", "--json", "--data-dir", dir])
        let again = try #require(try JSONSerialization.jsonObject(with: unpaused.stdout) as? [[String: Any]])
        #expect(again.first?["paused"] as? Bool == false, "a user's unpause persists over the initial pause")
        #expect(rows.first?["schedule"] as? String == "@daily")
        let badMetadata = try await runFreshet(["dags", "list", "--metadata", "mysql://x", "--data-dir", dir])
        #expect(badMetadata.status == 2)
        #expect(badMetadata.stderr.contains("--metadata"))

        let unknown = try await runFreshet(["dags", "trigger", "nope", "--data-dir", dir])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("'nope'"))
        let badConf = try await runFreshet(["dags", "trigger", "user_automation", "--conf", "duration=soon", "--data-dir", dir])
        #expect(badConf.status == 2)
        #expect(badConf.stderr.contains("'duration'"))
        let notKV = try await runFreshet(["dags", "trigger", "user_automation", "--conf", "oops", "--data-dir", dir])
        #expect(notKV.status == 2)
        #expect(notKV.stderr.contains("--conf"))
    }

    @Test func aRunningSchedulerPicksUpTheQueuedRun() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Yesterday's scheduled run is done, so the restored schedule has nothing due before
        // midnight and the queued manual run is the only work.
        let history = try SQLiteRunHistory(path: SQLiteRunHistory.path(dataDirectory: dir))
        defer { history.close() }
        let day: Int64 = 86_400_000
        let today = Timestamp.now().millisecondsSinceEpoch / day * day
        try history.saveRun(
            DAGRunEntry(
                dagID: "user_automation", runID: "scheduled__yesterday", kind: .scheduled,
                interval: DataInterval(start: Timestamp(millisecondsSinceEpoch: today - day), end: Timestamp(millisecondsSinceEpoch: today)),
                state: .success, createdAt: Timestamp(millisecondsSinceEpoch: today)))
        // user_automation is paused upon creation; a paused DAG's queued runs wait.
        #expect(try await runFreshet(["dags", "unpause", "user_automation", "--data-dir", dir]).status == 0)
        let scheduler = Process()
        scheduler.executableURL = try freshetExecutable()
        scheduler.arguments = ["scheduler", "--data-dir", dir]
        scheduler.standardOutput = FileHandle.nullDevice
        scheduler.standardError = FileHandle.nullDevice
        try scheduler.run()
        defer { if scheduler.isRunning { scheduler.terminate() } }
        let deadline = Date().addingTimeInterval(20)
        while try history.heartbeat().map({ Timestamp.now().millisecondsSinceEpoch - $0.at.millisecondsSinceEpoch < 2000 }) != true, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        // Paused: the run is queued, and the trigger says it waits for an unpause.
        #expect(try await runFreshet(["dags", "pause", "user_automation", "--data-dir", dir]).status == 0)
        let whilePaused = try await runFreshet(["dags", "trigger", "user_automation", "--conf", "duration=1s", "--data-dir", dir])
        #expect(whilePaused.status == 0, "\(whilePaused.stderr)")
        #expect(whilePaused.stderr.contains("user_automation is paused"), "\(whilePaused.stderr)")
        #expect(try await runFreshet(["dags", "unpause", "user_automation", "--data-dir", dir]).status == 0)
        let trigger = try await runFreshet(["dags", "trigger", "user_automation", "--conf", "duration=1s", "--wait", "--data-dir", dir], timeout: 120)
        #expect(trigger.status == 0, "\(trigger.stderr)")
        #expect(trigger.stdoutText.contains("queued manual__"))
        #expect(!trigger.stderr.contains("is paused"))
        let runs = try history.runs(dagID: "user_automation", limit: 10)
        #expect(runs.map(\.kind) == [.manual, .manual, .scheduled], "no new scheduled run")
        #expect(runs.filter { $0.kind == .manual }.allSatisfy { $0.state == .success }, "the run queued while paused ran after the unpause: \(runs)")
        scheduler.interrupt()
        _ = await waitForExit(of: scheduler)
        #expect(scheduler.terminationStatus == 0)
        #expect(try history.heartbeat() == nil, "a stopped scheduler removes its heartbeat")
    }
}
