import Foundation
import FreshetCore
import FreshetTesting
import Testing

@Suite("freshet produce / consume / topics / groups")
struct LogCLITests {
    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func fetchProduceConsumeRoundTrip() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fetched = try await runFreshet(["fetch", "--count", "1000", "--seed", "log-cli", "--quiet"])
        #expect(fetched.status == 0)
        let produced = try await runFreshet(["produce", "users_created", "--key-field", "id", "--data-dir", dir], stdin: fetched.stdout)
        #expect(produced.status == 0, "\(produced.stderr)")

        let topics = try await runFreshet(["topics", "describe", "users_created", "--json", "--data-dir", dir])
        #expect(topics.status == 0, "\(topics.stderr)")
        let description = try #require(try JSONSerialization.jsonObject(with: topics.stdout) as? [String: Any])
        let partitions = try #require(description["partitions"] as? [[String: Any]])
        #expect(partitions.count == 3)
        #expect(partitions.compactMap { $0["latestOffset"] as? Int }.reduce(0, +) == 1000)

        // Everything comes back, keyed by id, byte-identical.
        let consumed = try await runFreshet(["consume", "users_created", "--group", "g", "--from", "earliest", "--json", "--max", "1000", "--data-dir", dir])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        var values = Set<String>()
        for line in consumed.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let value = try #require(record["value"] as? String)
            let message = try UserCreated.decode(Array(value.utf8))
            #expect(record["key"] as? String == message.id)
            values.insert(value)
        }
        let input = Set(fetched.stdoutText.split(separator: "\n").map(String.init))
        #expect(values == input)

        // The group committed everything: lag 0.
        let group = try await runFreshet(["groups", "describe", "g", "--json", "--data-dir", dir])
        #expect(group.status == 0)
        #expect(group.stdoutText.contains("\"lag\""))
        let again = try await runFreshet(["consume", "users_created", "--group", "g", "--max", "10", "--data-dir", dir])
        #expect(again.status == 0)
        #expect(again.stdout.isEmpty)
    }

    @Test func unknownTopicIsARuntimeErrorNamingIt() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await runFreshet(["consume", "no_such_topic", "--max", "1", "--data-dir", dir])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no_such_topic"))
        let partitions = try await runFreshet(["topics", "create", "t", "--partitions", "0", "--data-dir", dir])
        #expect(partitions.status == 2)
        #expect(partitions.stderr.contains("--partitions"))
    }
}
