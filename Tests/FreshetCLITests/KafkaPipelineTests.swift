import Foundation
import FreshetContracts
import FreshetCore
import FreshetSource
import FreshetStore
import FreshetTesting
import Testing

/// The unchanged pipeline through a real Kafka-compatible broker (Tansu, started per test):
/// `freshet up --broker kafka://…`, and the scaled-out form — `freshet ingest` plus two
/// `freshet process` workers in one consumer group, one of them killed mid-run.
@Suite("Pipeline through Kafka (Tansu)", .serialized)
struct KafkaPipelineTests {
    /// Short group timeouts: Tansu completes a join after session.timeout.ms / 2.
    static func url(_ tansu: TansuBroker) -> String { tansu.url + "?session_timeout_ms=6000" }

    /// The people the generator makes for `seed` in pages of `pageSize` (the source's batch:
    /// 1,000, or a tenth of the rate when that is smaller).
    static func expectedIDs(seed: String, count: Int, pageSize: Int = 1000) -> Set<String> {
        let generator = RandomUserGenerator(referenceDate: .now())
        return Set((1...(count / pageSize)).flatMap { generator.page(seed: seed, page: $0, results: pageSize).map(\.login.uuid) })
    }

    /// Rows, the total of the live window counts, and the sum of the stored positions.
    static func storeState(_ dir: String) async throws -> (rows: [CreatedUserRow], windows: Int, positions: Int64) {
        let rows = try await storedRows(in: dir)
        let (windows, positions) = try await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { store in
            (
                try await store.windowCounts(dimension: "total", since: 0).map(\.count).reduce(0, +),
                try await store.positions(topic: "users_created").values.reduce(0, +)
            )
        }
        return (rows, windows, positions)
    }

    static func rowCount(_ dir: String) async -> Int {
        guard FileManager.default.fileExists(atPath: SQLiteStore.path(dataDirectory: dir)) else { return 0 }
        return (try? await SQLiteStore.withStore(.init(path: SQLiteStore.path(dataDirectory: dir), readOnly: true)) { try await $0.totalUsers() }) ?? 0
    }

    @Test func upThroughKafkaStoresEveryProducedIdExactlyOnce() async throws {
        try await TansuBroker.with { tansu in
            let dir = tempDataDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let result = try await runFreshet(
                [
                    "up", "--no-cql", "--broker", Self.url(tansu), "--no-web", "--count", "20000", "--rate", "100000", "--seed", "kafka-up",
                    "--data-dir", dir,
                ], timeout: 300)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdoutText.contains("Kafka kafka://\(tansu.bootstrap)"), "\(result.stdoutText)")
            let state = try await Self.storeState(dir)
            #expect(state.rows.count == 20_000)
            let unexpected = Set(state.rows.map(\.id)).symmetricDifference(Self.expectedIDs(seed: "kafka-up", count: 20_000))
            #expect(unexpected.isEmpty, "\(unexpected.count) ids missing or unexpected, e.g. \(unexpected.prefix(3))")
            // Each record applied exactly once: counted once in the windows, once in the positions.
            #expect(state.windows == 20_000)
            #expect(state.positions == 20_000)
            // The embedded log was not used: the data directory holds only the store.
            #expect(!FileManager.default.fileExists(atPath: dir + "/topics"))
            // The CLI's log commands see the same cluster.
            let topics = try await runFreshet(["topics", "list", "--broker", tansu.url])
            #expect(topics.status == 0, "\(topics.stderr)")
            #expect(topics.stdoutText.contains("users_created"), "\(topics.stdoutText)")
            #expect(topics.stdoutText.contains("users_created.dlq"), "\(topics.stdoutText)")
            // The processor's group committed every partition to its end after the store had it.
            let group = try await runFreshet(["groups", "describe", "freshet-processor", "--json", "--broker", tansu.url])
            #expect(group.status == 0, "\(group.stderr)")
            let described = try JSONSerialization.jsonObject(with: group.stdout) as? [String: Any]
            let offsets = (described?["offsets"] as? [[String: Any]] ?? []).filter { $0["topic"] as? String == "users_created" }
            #expect(offsets.count == 3, "\(group.stdoutText)")
            #expect(offsets.allSatisfy { $0["lag"] as? Int == 0 }, "\(group.stdoutText)")
            #expect(offsets.compactMap { $0["committed"] as? Int }.reduce(0, +) == 20_000, "\(group.stdoutText)")
        }
    }

    @Test func twoProcessWorkersSplitThePartitionsAndOneTakesOverWhenTheOtherDies() async throws {
        try await TansuBroker.with { tansu in
            let dir = tempDataDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let url = Self.url(tansu)
            let total = 30_000
            let rate = 1000  // the generator's pages are rate/10 people (smooth pacing)
            // Create the topics first so both workers join a group over existing partitions.
            let created = try await runFreshet(["topics", "create", "users_created", "--partitions", "4", "--broker", tansu.url])
            #expect(created.status == 0, "\(created.stderr)")
            let logA = dir + "/worker-a.log"
            let logB = dir + "/worker-b.log"
            let environment = ["FRESHET_LOG_LEVEL": "info"]
            let workerArguments = ["process", "--no-cql", "--broker", url, "--no-web", "--data-dir", dir, "--partitions", "4"]
            let a = try await RunningFreshet(workerArguments, readyMarker: "pipeline running", environment: environment, stderrFile: logA)
            let b = try await RunningFreshet(workerArguments, readyMarker: "pipeline running", environment: environment, stderrFile: logB)
            defer {
                a.sendKill()
                b.sendKill()
            }

            // Both workers own partitions before any data flows.
            func assignments(_ path: String) -> [String] {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").filter { $0.contains("assigned partitions") }.map(String.init)
            }
            try await eventually("both workers hold partitions", within: .seconds(60)) {
                guard let lastA = assignments(logA).last, let lastB = assignments(logB).last else { return false }
                return lastA.contains("users_created/") && lastB.contains("users_created/")
            }

            // The source runs in its own process, in two phases. Phase 1 (a third of the records)
            // is stored by both workers; phase 2 streams the rest for 20 s, and worker A is killed
            // 2 s into it, from this test's own thread (no polling in between, so a busy test run
            // cannot delay the kill past the end of the stream).
            let phase1 = total / 3
            let first = try await RunningFreshet(
                ["ingest", "--broker", url, "--count", "\(phase1)", "--rate", "\(rate)", "--seed", "takeover", "--partitions", "4"],
                readyMarker: "pipeline running")
            defer { first.sendKill() }
            #expect(await first.exit(timeout: 300) == 0)
            try await eventually("phase 1 stored", within: .seconds(120)) { await Self.rowCount(dir) >= phase1 }
            let second = try await RunningFreshet(
                ["ingest", "--broker", url, "--count", "\(total - phase1)", "--rate", "\(rate)", "--seed", "takeover-2", "--partitions", "4"],
                readyMarker: "pipeline running")
            defer { second.sendKill() }

            // Kill worker A mid-stream (no drain, no commit, no LeaveGroup): B must take its
            // partitions over after the session timeout and resume from what the store has.
            try await Task.sleep(for: .seconds(2))
            await a.kill()
            #expect(await Self.rowCount(dir) < total, "the workers finished before the kill; the test proves nothing")
            #expect(await second.exit(timeout: 300) == 0)
            try await eventually("worker B stored everything", within: .seconds(180)) { await Self.rowCount(dir) >= total }
            let lastB = assignments(logB).last ?? ""
            for partition in 0..<4 { #expect(lastB.contains("users_created/\(partition)"), "\(lastB)") }
            #expect(await b.stop() == 0)

            let state = try await Self.storeState(dir)
            #expect(state.rows.count == total)
            let expected = Self.expectedIDs(seed: "takeover", count: phase1, pageSize: rate / 10)
                .union(Self.expectedIDs(seed: "takeover-2", count: total - phase1, pageSize: rate / 10))
            let unexpected = Set(state.rows.map(\.id)).symmetricDifference(expected)
            #expect(unexpected.isEmpty, "\(unexpected.count) ids missing or unexpected, e.g. \(unexpected.prefix(3))")
            #expect(state.windows == total, "window counts \(state.windows) for \(total) records: a record was applied twice or lost")
            #expect(state.positions == Int64(total))
        }
    }

    @Test func processAndIngestRefuseTheEmbeddedLogWithAClearError() async throws {
        for command in ["process", "ingest"] {
            let result = try await runFreshet([command, "--no-web", "--data-dir", tempDataDir()])
            #expect(result.status == 2)
            #expect(result.stderr.contains("--broker kafka://"), "\(result.stderr)")
        }
    }
}
