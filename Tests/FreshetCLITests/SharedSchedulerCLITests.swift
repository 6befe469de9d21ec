import Foundation
import FreshetCore
import FreshetScheduler
import FreshetSchedulerPostgres
import FreshetTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two `freshet scheduler` processes sharing a PostgreSQL run history (`--metadata`).
///
/// The DAG comes from `FRESHET_TEST_DAG` (a test-only stopgap until DAGs come from the config
/// file): `test_shell`, one shell task `work` with 1 retry.
@Suite("freshet scheduler --metadata postgres://")
struct SharedSchedulerCLITests {
    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-shared-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func killingTheSchedulerRunningATaskLetsTheOtherRetryItAfterTheLease() async throws {
        try await PostgresServer.with { server in
            let url = try server.createDatabase("shared_cli")
            let dir = tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let file = dir + "/tries.txt"
            let pidFile = dir + "/sleep.pid"
            // Try 1 hangs (its shell becomes `sleep 60`, whose pid the test kills at the end);
            // try 2 succeeds.
            let command = "echo \"$FRESHET_RUN_ID $FRESHET_TRY_NUMBER\" >> '\(file)'; "
                + "if [ \"$FRESHET_TRY_NUMBER\" = 1 ]; then echo $$ > '\(pidFile)'; exec sleep 60; fi"
            let env = ["FRESHET_TEST_DAG": "manual|" + command]
            defer {
                if let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                    _ = Glibc.kill(pid, SIGKILL)
                }
            }
            let schedulers = try ["a", "b"].map { name in
                try RunningFreshet(["scheduler", "--metadata", url, "--lease", "3s", "--data-dir", dir + "/" + name],
                                   readyMarker: "running on", timeout: 120, environment: env, stderrFile: dir + "/\(name).log")
            }
            defer { for s in schedulers { s.kill() } }
            #expect(schedulers.allSatisfy { !$0.readyLine.contains(server.password) }, "the password is not printed")

            let trigger = try runFreshet(["dags", "trigger", "test_shell", "--metadata", url, "--data-dir", dir + "/cli"], environment: env)
            #expect(trigger.status == 0, "\(trigger.stderr)")
            let runID = try #require(trigger.stdoutText.split(separator: " ").first { $0.hasPrefix("manual__") }.map(String.init), "\(trigger.stdoutText)")
            #expect(trigger.stdoutText.contains("queued"), "a scheduler is alive: the run is queued, not run by the CLI")

            let history = try await PostgresRunHistory.connect(url: url)
            do {
                try await check(history)
            } catch {
                await history.close()
                throw error
            }
            await history.close()

            func check(_ history: PostgresRunHistory) async throws {
            var deadline = Date().addingTimeInterval(120)
            while !lines(file).contains("\(runID) 1"), Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            let owner = try #require(try await history.run(dagID: "test_shell", runID: runID)?.owner, "the run has an owner")
            let ownerPID = try #require(Int32(owner.prefix { $0 != "@" }))
            let running = try #require(schedulers.first { $0.process.processIdentifier == ownerPID }, "owner \(owner) is one of the schedulers")
            let other = try #require(schedulers.first { $0.process.processIdentifier != ownerPID })
            running.kill()

            deadline = Date().addingTimeInterval(120)
            while try await history.run(dagID: "test_shell", runID: runID)?.state.isFinished != true, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let final = try #require(try await history.run(dagID: "test_shell", runID: runID))
            #expect(final.state == .success, "\(final)")
            #expect(final.owner?.hasPrefix("\(other.process.processIdentifier)@") == true, "taken over by the other scheduler: \(final.owner ?? "-")")
            #expect(lines(file) == ["\(runID) 1", "\(runID) 2"], "one lost try, one retry, nothing twice")
            let tries = try await history.tasks(dagID: "test_shell", runID: runID)
            #expect(tries.first?.error?.contains("its scheduler \(owner) stopped renewing the lease") == true, "\(tries)")

            let runs = try runFreshet(["dags", "runs", "test_shell", "--json", "--metadata", url, "--data-dir", dir + "/cli"], environment: env)
            #expect(runs.status == 0, "\(runs.stderr)")
            let list = try #require(try JSONSerialization.jsonObject(with: runs.stdout) as? [[String: Any]])
            #expect(list.map { $0["run_id"] as? String } == [runID])
            #expect(list.first?["state"] as? String == "success")
            #expect(!runs.stdoutText.contains(server.password) && !runs.stderr.contains(server.password))

            #expect(other.stop() == 0, "the surviving scheduler stops cleanly")
            #expect(try await history.heartbeat()?.owner != "\(other.process.processIdentifier)@\(ProcessInfo.processInfo.hostName)",
                    "a stopped scheduler removes its heartbeat")
            }
        }
    }
}
