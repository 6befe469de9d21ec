import Foundation
import FreshetCore
import FreshetScheduler
import FreshetSchedulerSQLite
import Testing

func tempDir(_ name: String = "sched") -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func ts(_ text: String) -> Timestamp { Timestamp(iso8601: text)! }

@Suite struct RunHistoryTests {
    @Test func sqliteRoundTripSurvivesReopen() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = SQLiteRunHistory.path(dataDirectory: dir)
        #expect(path.hasSuffix("/scheduler.sqlite"))
        let interval = DataInterval(start: ts("2026-01-01T00:00:00Z"), end: ts("2026-01-02T00:00:00Z"))
        let scheduled = DAGRunEntry(
            dagID: "d", runID: "scheduled__1", kind: .scheduled, interval: interval, state: .success,
            createdAt: ts("2026-01-02T00:00:00Z"), startedAt: ts("2026-01-02T00:00:01Z"),
            endedAt: ts("2026-01-02T00:01:01Z"), recordsProduced: 600)
        let manual = DAGRunEntry(
            dagID: "d", runID: "manual__2", kind: .manual, state: .queued, createdAt: ts("2026-01-03T00:00:00Z"),
            conf: ["duration": "3s", "rate": "10"])
        let failedTask = TaskInstanceEntry(
            dagID: "d", runID: "scheduled__1", taskID: "t", tryNumber: 1, state: .failed,
            startedAt: ts("2026-01-02T00:00:01Z"), endedAt: ts("2026-01-02T00:00:02Z"), error: "exit code 3: boom")
        do {
            let h = try SQLiteRunHistory(path: path)
            defer { h.close() }
            try h.saveRun(scheduled)
            try h.saveRun(manual)
            try h.saveTask(failedTask)
            var retried = failedTask
            retried.tryNumber = 2
            retried.state = .success
            retried.error = nil
            try h.saveTask(retried)
            try h.setPaused("d", true)
            try h.setPaused("e", true)
            try h.setPaused("e", false)
            try h.beat(SchedulerHeartbeat(owner: "1@host", at: ts("2026-01-03T00:00:05Z")))
            _ = try h.claimRun(
                DAGRunEntry(dagID: "d", runID: "scheduled__3", kind: .scheduled, state: .running, createdAt: ts("2026-01-03T00:00:06Z")),
                owner: "1@host", leaseUntil: ts("2026-01-03T00:00:36Z"), now: ts("2026-01-03T00:00:06Z"))
        }
        let h = try SQLiteRunHistory(path: path)
        defer { h.close() }
        let claimed = try #require(try h.run(dagID: "d", runID: "scheduled__3"))
        #expect(claimed.owner == "1@host" && claimed.leaseUntil == ts("2026-01-03T00:00:36Z"), "owner and lease survive")
        try h.saveRun(DAGRunEntry(dagID: "d", runID: "scheduled__3", kind: .scheduled, state: .failed, createdAt: ts("2026-01-03T00:00:06Z")))
        #expect(try h.runs(dagID: "d", limit: 10).dropFirst() == [manual, scheduled], "newest first, every field back")
        #expect(try h.runs(dagID: "d", limit: 2).last == manual)
        #expect(try h.runs(dagID: "other", limit: 10).isEmpty)
        #expect(try h.queuedRuns() == [manual])
        #expect(try h.unfinishedRuns() == [manual])
        #expect(try h.latestScheduledRuns() == [scheduled], "scheduled__3 has no interval")
        #expect(try h.tasks(dagID: "d", runID: "scheduled__1").map(\.tryNumber) == [1, 2])
        #expect(try h.tasks(dagID: "d", runID: "scheduled__1").first == failedTask)
        #expect(try h.pausedDAGs() == ["d"])
        #expect(try h.heartbeat() == SchedulerHeartbeat(owner: "1@host", at: ts("2026-01-03T00:00:05Z")))
        // Queued runs are not past runs: they are triggered anew.
        #expect(try await h.pastRuns() == [RunRecord(dagID: "d", runID: "scheduled__1", interval: interval, state: .success)])
    }

    @Test func restoredSchedulerContinuesAfterTheLastRun() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h = try SQLiteRunHistory(path: SQLiteRunHistory.path(dataDirectory: dir))
        defer { h.close() }
        let dag = try DAG(
            id: "h", schedule: Schedule(.cron(try CronExpression("@hourly"), .utc), startDate: ts("2026-01-01T00:00:00Z"), catchup: true, maxActiveRuns: 10),
            tasks: [DAGTask("a", .shell(command: "true"))])
        for hour in 0..<3 {
            let start = ts("2026-01-01T0\(hour):00:00Z")
            try h.saveRun(
                DAGRunEntry(
                    dagID: "h", runID: "scheduled__\(hour)", kind: .scheduled,
                    interval: DataInterval(start: start, end: ts("2026-01-01T0\(hour + 1):00:00Z")), state: .success, createdAt: start))
        }
        var s = try Scheduler(dags: [dag], pastRuns: try await h.pastRuns())
        let created = s.tick(now: ts("2026-01-01T05:30:00Z")).compactMap { a -> Timestamp? in
            if case .createRun(_, _, let interval?) = a { interval.start } else { nil }
        }
        #expect(created == [ts("2026-01-01T03:00:00Z"), ts("2026-01-01T04:00:00Z")])
    }

    @Test(arguments: [
        (["duration": "3s"], nil as String?),
        (["rate": "50", "duration": "1m"], nil),
        (["duraton": "3s"], "duraton"),
        (["duration": "soon"], "duration"),
        (["rate": "-1"], "rate"),
    ])
    func confIsCheckedAndNamesTheBadKey(conf: [String: String], badKey: String?) throws {
        let dag = DAG.userAutomation()
        do {
            let applied = try dag.applying(conf: conf)
            #expect(badKey == nil)
            if let d = conf["duration"] {
                #expect(applied.task("stream_data_from_api")?.kind == .stream(duration: DurationText.parse(d)!, rate: conf["rate"].flatMap(Double.init)))
            }
        } catch {
            #expect(error.code == .invalidConf)
            #expect(error.token == badKey)
            #expect(error.message.contains("'\(badKey ?? "")'"))
        }
    }
}
