import Foundation
import FreshetCore
import FreshetTesting
import Testing

/// Flags, configuration and stdin that used to trap the process or fail open.
@Suite("freshet hostile input")
struct HostileInputCLITests {
    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-hostile-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `--rate 1e20` and `--duration 1e300` trapped (Int(rate / 10), Duration.seconds(1e300));
    /// now they are usage errors naming the key and the accepted range.
    @Test(
        "out-of-range numbers are usage errors naming the key and the range",
        arguments: [
            (["up", "--rate", "1e20"], "source.rate", "0.001…1000000"),
            (["up", "--duration", "1e300"], "source.duration", "1ms…366d"),
            (["up", "--duration", "1m4m1m0m2222222222222222222222.h2222222222223mm"], "source.duration", "1ms"),
            (["up", "--count", "99999999999"], "source.count", "1…1000000000"),
            (["up", "--rps", "1e9"], "source.requests_per_second", "0.001…1000"),
            (["up", "--web-port", "70000"], "web.port", "0…65535"),
            (["config", "print", "--partitions", "100000"], "log.partitions", "1…1000"),
        ])
    func outOfRangeFlags(arguments: [String], key: String, range: String) async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await runFreshet(arguments + ["--data-dir", dir, "--no-web", "--no-cql"])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(key), "\(result.stderr)")
        #expect(result.stderr.contains(range), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }

    /// The same values from the environment and the file.
    @Test func outOfRangeEnvironmentAndFileNameTheKey() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try await runFreshet(["config", "print"], environment: ["FRESHET_SOURCE_RATE": "1e20"])
        #expect(env.status == 2 && env.stderr.contains("FRESHET_SOURCE_RATE") && env.stderr.contains("source.rate"), "\(env.stderr)")
        let file = dir + "/freshet.yaml"
        try "source:\n  duration: 1e300\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try await runFreshet(["config", "print", "--config", file])
        #expect(fromFile.status == 2 && fromFile.stderr.contains("source.duration"), "\(fromFile.stderr)")
    }

    /// A user without a password (web or CQL), a password without a user, or an empty secret
    /// given explicitly used to fail open; now `freshet up` refuses to start, naming the key.
    @Test(
        "credentials fail closed",
        arguments: [
            (["FRESHET_WEB_USERNAME": "admin"], "web.password"),
            (["FRESHET_WEB_PASSWORD": "secret"], "web.username"),
            (["FRESHET_CQL_USERNAME": "reader"], "cql.password"),
            (["FRESHET_CQL_PASSWORD": "pw"], "cql.username"),
            (["FRESHET_CQL_USERNAME": "reader", "FRESHET_CQL_PASSWORD": ""], "cql.password"),
            (["FRESHET_WEB_TOKEN": ""], "web.token"),
            (["FRESHET_WEB_USERNAME": "", "FRESHET_WEB_PASSWORD": "pw"], "web.username"),
        ])
    func credentialsFailClosed(environment: [String: String], key: String) async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try await runFreshet(["up", "--count", "10", "--data-dir", dir], environment: environment)
        #expect(result.status == 2, "\(environment): \(result.stderr)")
        #expect(result.stderr.contains(key), "\(result.stderr)")
        #expect(!result.stdoutText.contains("pipeline running"), "\(result.stdoutText)")
    }

    @Test func configPrintKeepsSecretsRedacted() async throws {
        let result = try await runFreshet(
            ["config", "print"],
            environment: [
                "FRESHET_WEB_USERNAME": "admin", "FRESHET_WEB_PASSWORD": "hunter2-web", "FRESHET_WEB_TOKEN": "tok-secret",
                "FRESHET_CQL_USERNAME": "reader", "FRESHET_CQL_PASSWORD": "hunter2-cql",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        for secret in ["hunter2-web", "tok-secret", "hunter2-cql"] { #expect(!result.stdoutText.contains(secret)) }
        #expect(result.stdoutText.contains("max_connections: 256"))
    }

    /// `{"id":"\uD800\u0041"}`: a high surrogate followed by an escape that is not a low
    /// surrogate trapped `--key-field` on `lo - 0xDC00`. Now the lone surrogate is U+FFFD and
    /// the line is produced; the next lines too.
    @Test func produceKeyFieldSurvivesLoneSurrogates() async throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = #"""
            {"id":"\uD800\u0041"}
            {"id":"\uDC00"}
            {"id":"\uD83D\uDE00"}
            {"id":"\uD800"}
            {"id":"\u+123"}
            {"id":"after"}
            """#
        let produced = try await runFreshet(["produce", "t", "--key-field", "id", "--data-dir", dir], stdin: Data(lines.utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("produced 6 records"), "\(produced.stderr)")
        let consumed = try await runFreshet(["consume", "t", "--group", "g", "--from", "earliest", "--json", "--max", "6", "--data-dir", dir])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        var keys = Set<String>()
        for line in consumed.stdoutText.split(separator: "\n") {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let key = record["key"] as? String { keys.insert(key) }
        }
        #expect(keys.contains("\u{FFFD}A"))
        #expect(keys.contains("\u{1F600}"))
        #expect(keys.contains("after"))
    }
}
