import Foundation
import FreshetCore
import FreshetTesting
import Testing

@Suite("freshet command line")
struct CLITests {
    func messages(_ result: ProcessResult) throws -> [UserCreated] {
        try result.stdoutText.split(separator: "\n").map { try UserCreated.decode(Array($0.utf8)) }
    }

    @Test func fetchPrintsValidMessages() async throws {
        let result = try await runFreshet(["fetch", "--count", "5"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            for key in UserCreated.seedKeys { #expect(object[key] != nil, "missing \(key)") }
        }
        let uuid = try Regex(#"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"#)
        for m in try messages(result) {
            #expect(m.id.wholeMatch(of: uuid) != nil)
            #expect(m.address.split(separator: ",").count >= 4)
        }
        #expect(result.stderr.contains("5 people"))
    }

    @Test func seededFetchIsReproducibleAndFiltered() async throws {
        let a = try await runFreshet(["fetch", "--count", "300", "--seed", "cli", "--nat", "gb,FR", "--quiet"])
        let b = try await runFreshet(["fetch", "--count", "300", "--seed", "cli", "--nat", "GB,fr", "--quiet"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stderr.isEmpty)
        #expect(Set(try messages(a).compactMap(\.nat)) == ["GB", "FR"])
    }

    @Test(
        "usage errors exit 2 and name the flag",
        arguments: [
            (["fetch", "--bogus"], "--bogus"),
            (["fetch", "--count", "zero"], "--count"),
            (["fetch", "--count", "0"], "--count"),
            (["fetch", "--nat", "GB,XX"], "XX"),
            (["fetch", "--count", "1", "--duration", "5s"], "--duration"),
            (["fetch", "--duration", "forever"], "--duration"),
            (["fetch", "--source", "ftp://x"], "--source"),
            (["fetch", "--batch-size", "6000"], "--batch-size"),
            (["api", "serve", "--port", "70000"], "--port"),
            (["api", "serve", "--fault-rate", "0.5", "--faults", "429,teapot"], "teapot"),
            (["nosuchcommand"], "nosuchcommand"),
        ])
    func usageErrors(arguments: [String], named: String) async throws {
        let result = try await runFreshet(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(named), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func runtimeFailureExits1WithOneLine() async throws {
        let result = try await runFreshet(["fetch", "--source", "http://127.0.0.1:9/api/", "--count", "1", "--max-failures", "2", "--timeout", "300ms"])
        #expect(result.status == 1)
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errorLines.count == 1)
        #expect(errorLines.first?.contains("giving up after 2 consecutive failed requests to http://127.0.0.1:9/api/") == true)
    }

    @Test func helpAndVersion() async throws {
        let help = try await runFreshet(["fetch", "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("Examples:"))
        #expect(help.stdoutText.contains("--duration"))
        let version = try await runFreshet(["--version"])
        #expect(version.status == 0)
        #expect(version.stdoutText.hasPrefix("freshet "))
    }

    @Test func fetchFromTheCompatibleServerInBatches() async throws {
        let server = try await RunningFreshet(["api", "serve", "--port", "0"], readyMarker: "listening on")
        defer { server.sendTerminate() }
        let url = try #require(server.readyLine.split(separator: " ").first { $0.hasPrefix("http://") })
        let result = try await runFreshet(["fetch", "--source", String(url), "--count", "10000", "--rps", "100"])
        #expect(result.status == 0, "\(result.stderr)")
        let ids = try messages(result).map(\.id)
        #expect(ids.count == 10_000)
        #expect(Set(ids).count == 10_000)
        // 500 people per request: 20 requests, not 10,000.
        #expect(result.stderr.contains("10000 people in 20 batches, 20 requests, no errors"), "\(result.stderr)")
        #expect(await server.stop() == 0)
    }

    @Test func stdoutClosedEarlyIsNotAnError() async throws {
        // `freshet fetch | head -1`: the reader goes away; fetch ends quietly with 0.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // pipefail: the pipeline's status is fetch's own (141 if SIGPIPE killed it).
        process.arguments = ["-c", "set -o pipefail; '\(try freshetExecutable().path)' fetch --duration 5s --quiet | head -n 1 > /dev/null"]
        try process.run()
        #expect(await waitForExit(of: process, timeout: 120), "fetch | head -n 1 did not end")
        #expect(process.terminationStatus == 0)
    }
}
