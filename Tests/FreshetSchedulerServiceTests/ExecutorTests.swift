import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSchedulerService
import Testing

@Suite struct ExecutorTests {
    func withEmbedded<R: Sendable>(_ body: (EmbeddedBroker, String) async throws -> R) async throws -> R {
        let dir = tempDir("exec")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try await EmbeddedBroker.withBroker(EmbeddedBrokerConfig(dataDirectory: dir)) { broker in
            try await body(broker, dir)
        }
    }

    @Test func shellSucceedsFailsWithStderrTailAndTimesOut() async throws {
        try await withEmbedded { broker, _ in
            let executor = TaskExecutor(broker: broker)
            #expect(await executor.execute(.shell(command: "echo hi; exit 0")) == TaskOutcome())
            let failed = await executor.execute(.shell(command: "echo 'disk full on /data' >&2; exit 3"))
            #expect(failed.error == "exit code 3: disk full on /data")
            // Killed at its timeout rather than waited for: the outcome says it timed out.
            let slow = await executor.execute(.shell(command: "sleep 30"), timeout: .milliseconds(300))
            #expect(slow.error == "timed out after 300ms" || slow.error?.hasPrefix("timed out after") == true, "\(slow)")
        }
    }

    @Test func builtinTasksCheckTheBrokerAndCreateTopics() async throws {
        try await withEmbedded { broker, _ in
            let executor = TaskExecutor(broker: broker)
            #expect(await executor.execute(.builtin(.checkBroker)).succeeded)
            #expect(try await broker.listTopics().isEmpty)
            #expect(await executor.execute(.builtin(.ensureTopics)).succeeded)
            #expect(Set(try await broker.listTopics()) == ["users_created", "users_created.dlq"])
            #expect(await executor.execute(.builtin(.ensureTopics)).succeeded, "idempotent")
            try await broker.close()
            #expect(await executor.execute(.builtin(.checkBroker)).error != nil, "a closed broker fails the check")
        }
    }

    @Test func streamTaskProducesRecordsForItsDuration() async throws {
        try await withEmbedded { broker, _ in
            let executor = TaskExecutor(broker: broker)
            _ = await executor.execute(.builtin(.ensureTopics))
            let outcome = await executor.execute(.stream(duration: .milliseconds(500), rate: 200))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(outcome.recordsProduced > 0 && outcome.recordsProduced <= 200)
            let d = try await broker.describeTopic("users_created")
            #expect(d.partitions.reduce(Int64(0)) { $0 + $1.latestOffset } == Int64(outcome.recordsProduced))
        }
    }
}
