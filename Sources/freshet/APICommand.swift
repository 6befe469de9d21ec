import ArgumentParser
import FreshetCore
import FreshetSource
import Hummingbird
import Logging

struct API: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "The Random User API, compatible and offline.",
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a randomuser.me-compatible API from the offline generator.",
            discussion: """
                Answers GET /api/ and /api/1.4/ with results (1–5000), seed, page, nat, gender, \
                inc, exc and noinfo, in the real API's JSON shape. Fault injection makes it a \
                test peer for clients.

                Examples:
                  freshet api serve
                  freshet api serve --port 0            # any free port; the URL is printed
                  freshet api serve --fault-rate 0.2 --faults 429,500,malformed,empty,slow
                  curl 'http://127.0.0.1:8787/api/?results=2&seed=demo&nat=gb'
                """
        )

        @Option(help: "Address to bind.")
        var host = "127.0.0.1"

        @Option(help: "Port to bind (0: any free port).")
        var port = 8787

        @Option(help: "Fraction (0–1) of requests that get a fault.")
        var faultRate = 0.0

        @Option(help: ArgumentHelp("Faults to inject: 429, 500, malformed, empty, slow.", valueName: "list"))
        var faults = "429,500,malformed,empty,slow"

        @Option(help: "Retry-After seconds sent with 429.")
        var retryAfter = 1

        @Option(help: ArgumentHelp("Delay of a 'slow' answer.", valueName: "duration"))
        var slowDelay = DurationArgument(.seconds(5))

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535 (got \(port))") }
            guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1 (got \(faultRate))") }
            guard retryAfter >= 0 else { throw ValidationError("--retry-after must be 0 or more") }
            _ = try parseFaults()
        }

        func parseFaults() throws -> [APIFault] {
            try faults.split(separator: ",").map { name in
                guard let fault = APIFault(rawValue: String(name).lowercased()) else {
                    throw ValidationError("--faults: unknown fault '\(name)'; valid: \(APIFault.allCases.map(\.rawValue).joined(separator: ","))")
                }
                return fault
            }
        }

        func run() async throws {
            let injection =
                faultRate > 0
                ? FaultInjection(
                    rate: faultRate, kinds: try parseFaults(), retryAfterSeconds: retryAfter, slowDelay: slowDelay.duration,
                    seed: UInt64.random(in: 1...UInt64.max))
                : nil
            let server = RandomUserAPIServer(configuration: .init(host: host, port: port, faults: injection))
            let host = self.host
            let faultRate = self.faultRate
            let app = server.makeApplication(logger: Logger(label: "freshet.api")) { port in
                var line = "Random User API listening on http://\(host):\(port)/api/"
                if faultRate > 0 { line += " (injecting faults into \(Int(faultRate * 100))% of requests)" }
                FileHandleOutput.standardOutput.writeLine(line)
            }
            try await app.runService()
        }
    }
}
