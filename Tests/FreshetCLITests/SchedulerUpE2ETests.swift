import Foundation
import FreshetCore
import FreshetTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `freshet up` runs the DAG scheduler next to the pipeline.
@Suite("Scheduler in freshet up")
struct SchedulerUpE2ETests {
    /// Runs of a DAG as `freshet dags runs --json` prints them.
    func runs(_ dag: String, dir: String, extra: [String] = []) async throws -> [[String: Any]] {
        let result = try await runFreshet(["dags", "runs", dag, "--json", "--data-dir", dir] + extra)
        guard result.status == 0 else { throw FixtureError(message: "freshet dags runs: \(result.stderr)") }
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
    }

    func waitFor<T>(_ what: String, timeout: Double = 120, _ probe: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw FixtureError(message: "timed out waiting for \(what)")
    }

    @Test func theDefaultDAGOnAShortScheduleStreamsStopsAndIsRecorded() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A daily interval anchored 36 hours ago: with catchup off the latest complete
        // interval runs at once, and the next boundary is 12 hours away, so no second run can
        // start during the test (an hourly schedule would, near a full hour). A DAG with a
        // mistake sits next to it: it is reported and left out, the pipeline and the other DAG run.
        let anchor = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch - 36 * 3_600_000).iso8601
        let config = dir + ".yaml"
        try """
        dags:
          user_automation:
            schedule: every 1d
            start_date: "\(anchor)"
            duration: 2s
            rate: 400
          broken:
            schedule: "every 10s"
            tasks:
              a: {shell: "true", upstream: [nope]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let stderr = dir + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: stderr) }
        let up = try await RunningFreshet(
            ["up", "--source", "none", "--config", config, "--no-cql", "--web-port", "0", "--data-dir", dir],
            readyMarker: "web UI listening on", stderrFile: stderr)
        let base = try webURL(up)

        let run = try await waitFor("a finished run of user_automation") {
            try await runs("user_automation", dir: dir).first { ($0["state"] as? String).map { $0 == "success" || $0 == "failed" } == true }
        }
        #expect(run["state"] as? String == "success", "\(run)")
        #expect(run["kind"] as? String == "scheduled")
        let records = try #require(run["records"] as? Int)
        #expect(records > 0)
        // The stream task stopped by itself after its duration while freshet up kept running.
        #expect(up.process.isRunning)

        // Everything the run appended reaches the store, exactly once (no other source runs).
        let stored = try await waitFor("the run's records in the store") { () -> Int? in
            let count = try await runFreshet(["users", "count", "--data-dir", dir])
            let n = Int(count.stdoutText.split(separator: " ").first ?? "") ?? -1
            return n == records ? n : nil
        }
        #expect(stored == records)

        // The web API and the Runs page show it.
        let (body, response) = try await URLSession.shared.data(from: URL(string: base + "api/dags/user_automation/runs")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let apiRuns = try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]], "\(String(decoding: body, as: UTF8.self))")
        #expect(apiRuns.first?["run_id"] as? String == run["run_id"] as? String)
        #expect(apiRuns.first?["records"] as? Int == records)
        let tasks = try #require(apiRuns.first?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["task_id"] as? String } == ["test_kafka_connection", "create_kafka_topic", "stream_data_from_api"])
        #expect(tasks.allSatisfy { $0["state"] as? String == "success" })
        let (page, pageResponse) = try await URLSession.shared.data(from: URL(string: base + "runs")!)
        #expect((pageResponse as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: page, as: UTF8.self).contains("Runs"))

        #expect(await up.stop() == 0)
        let log = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        #expect(log.contains("dags.broken.tasks.a"), "\(log)")
        #expect(log.contains("'nope'"))
        #expect(try await runs("user_automation", dir: dir).count == 1)
    }

    @Test func theBuiltinDAGStartsPausedSoAPlainUpOnlyRunsItsSource() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let up = try await runFreshet(["up", "--count", "2000", "--no-cql", "--no-web", "--data-dir", dir])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdoutText.contains("user_automation (paused)"), "\(up.stdoutText)")
        #expect(try await runs("user_automation", dir: dir).isEmpty)
        let count = try await runFreshet(["users", "count", "--data-dir", dir])
        #expect(count.stdoutText.hasPrefix("2000 users"), "\(count.stdoutText)")
        let listed = try await runFreshet(["dags", "list", "--json", "--data-dir", dir])
        let rows = try #require(try JSONSerialization.jsonObject(with: listed.stdout) as? [[String: Any]])
        #expect(rows.first { $0["dag"] as? String == "user_automation" }?["paused"] as? Bool == true)
    }

    @Test func noSchedulerFlagAndBadSourceCombinationsNameThemselves() async throws {
        let dir = tempDataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let off = try await runFreshet(["up", "--count", "100", "--no-scheduler", "--no-cql", "--no-web", "--data-dir", dir])
        #expect(off.status == 0, "\(off.stderr)")
        #expect(off.stdoutText.contains("scheduler  off"))
        let bounded = try await runFreshet(["up", "--source", "none", "--count", "100", "--data-dir", dir])
        #expect(bounded.status == 2)
        #expect(bounded.stderr.contains("none"))
        let ingest = try await runFreshet(["ingest", "--source", "none", "--broker", "kafka://127.0.0.1:1", "--data-dir", dir])
        #expect(ingest.status == 2)
        #expect(ingest.stderr.contains("source"))
    }
}
