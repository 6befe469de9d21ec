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
/// The DAGs come from a config file (`--config`): `test_shell`, one shell task `work` running a
/// script, with 1 retry one second later.
@Suite("freshet scheduler --metadata postgres://")
struct SharedSchedulerCLITests {
    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-shared-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A config file with DAG `test_shell` on `schedule` whose task runs `script` (written next to it).
    func config(dir: String, schedule: String, script: String) throws -> String {
        let scriptPath = dir + "/work.sh"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let path = dir + "/freshet.yaml"
        try """
        dags:
          test_shell:
            schedule: "\(schedule)"
            default_args: {retries: 1, retry_delay: 1s}
            tasks:
              work: {shell: "sh '\(scriptPath)'"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func twoSchedulerProcessesStartEachScheduledRunExactlyOnce() async throws {
        try await PostgresServer.with { server in
            let url = try await server.createDatabase("shared_scheduled")
            let dir = tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let file = dir + "/runs.txt"
            // Each try appends its run id and try number.
            let cfg = try config(dir: dir, schedule: "every 2s", script: "echo \"$FRESHET_RUN_ID $FRESHET_TRY_NUMBER\" >> '\(file)'\n")
            var schedulers: [RunningFreshet] = []
            for name in ["a", "b"] {
                schedulers.append(
                    try await RunningFreshet(
                        ["scheduler", "--config", cfg, "--metadata", url, "--data-dir", dir + "/" + name],
                        readyMarker: "running on", timeout: 120, stderrFile: dir + "/\(name).log"))
            }
            defer { for s in schedulers { s.sendKill() } }
            let deadline = Date().addingTimeInterval(180)
            while lines(file).count < 8, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
            for s in schedulers { #expect(await s.stop() == 0) }
            let entries = lines(file).map { $0.split(separator: " ").map(String.init) }
            #expect(entries.count >= 8, "\(entries)")
            let runIDs = entries.map { $0[0] }
            #expect(Set(runIDs).count == runIDs.count, "no run started twice: \(runIDs)")
            #expect(entries.allSatisfy { $0.count == 2 && $0[0].hasPrefix("scheduled__") && $0[1] == "1" }, "\(entries)")
            // Every run was owned by one of the two schedulers (both took part over 8+ runs is
            // likely but not guaranteed, so it is not asserted).
            let pids = Set(schedulers.map { String($0.process.processIdentifier) })
            let history = try await PostgresRunHistory.connect(url: url)
            let owners = try await history.runs(dagID: "test_shell", limit: 100).map { ($0.owner ?? "").prefix { $0 != "@" } }
            await history.close()
            #expect(!owners.isEmpty && owners.allSatisfy { pids.contains(String($0)) }, "\(owners) vs \(pids)")

            let runs = try await runFreshet([
                "dags", "runs", "test_shell", "--json", "-n", "100", "--config", cfg, "--metadata", url, "--data-dir", dir + "/cli",
            ])
            #expect(runs.status == 0, "\(runs.stderr)")
            let list = try #require(try JSONSerialization.jsonObject(with: runs.stdout) as? [[String: Any]])
            let recorded = list.compactMap { $0["run_id"] as? String }
            #expect(Set(recorded).isSuperset(of: Set(runIDs)) && Set(recorded).count == recorded.count)
        }
    }

    @Test func killingTheSchedulerRunningATaskLetsTheOtherRetryItAfterTheLease() async throws {
        try await PostgresServer.with { server in
            let url = try await server.createDatabase("shared_cli")
            let dir = tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let file = dir + "/tries.txt"
            let pidFile = dir + "/sleep.pid"
            // Try 1 hangs (its shell becomes `sleep 60`, whose pid the test kills at the end);
            // try 2 succeeds.
            let command =
                "echo \"$FRESHET_RUN_ID $FRESHET_TRY_NUMBER\" >> '\(file)'\n"
                + "if [ \"$FRESHET_TRY_NUMBER\" = 1 ]; then echo $$ > '\(pidFile)'; exec sleep 60; fi\n"
            let cfg = try config(dir: dir, schedule: "manual", script: command)
            defer {
                if let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                    _ = Glibc.kill(pid, SIGKILL)
                }
            }
            var schedulers: [RunningFreshet] = []
            for name in ["a", "b"] {
                schedulers.append(
                    try await RunningFreshet(
                        ["scheduler", "--config", cfg, "--metadata", url, "--lease", "6s", "--data-dir", dir + "/" + name],
                        readyMarker: "running on", timeout: 120, stderrFile: dir + "/\(name).log"))
            }
            defer { for s in schedulers { s.sendKill() } }
            #expect(schedulers.allSatisfy { !$0.readyLine.contains(server.password) }, "the password is not printed")

            let trigger = try await runFreshet(["dags", "trigger", "test_shell", "--config", cfg, "--metadata", url, "--data-dir", dir + "/cli"])
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
                await running.kill()

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

                let runs = try await runFreshet(["dags", "runs", "test_shell", "--json", "--config", cfg, "--metadata", url, "--data-dir", dir + "/cli"])
                #expect(runs.status == 0, "\(runs.stderr)")
                let list = try #require(try JSONSerialization.jsonObject(with: runs.stdout) as? [[String: Any]])
                #expect(list.map { $0["run_id"] as? String } == [runID])
                #expect(list.first?["state"] as? String == "success")
                #expect(!runs.stdoutText.contains(server.password) && !runs.stderr.contains(server.password))

                #expect(await other.stop() == 0, "the surviving scheduler stops cleanly")
                #expect(
                    try await history.heartbeat()?.owner != "\(other.process.processIdentifier)@\(ProcessInfo.processInfo.hostName)",
                    "a stopped scheduler removes its heartbeat")
            }
        }
    }
}
