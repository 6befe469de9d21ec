import ArgumentParser
import FreshetSource
import Logging
import Metrics
import Prometheus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `freshet` command. Exit codes: 0 success, 2 usage error (naming the bad flag),
/// 1 runtime failure with a one-line cause.
@main
struct Freshet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freshet",
        abstract: "The real-time user-data pipeline, as one binary.",
        discussion: """
            Freshet pulls people from the Random User API (or its offline generator), formats \
            them as `users_created` messages, and carries them through a durable log and a \
            stream processor into a store with a live dashboard — in one process.

            Examples:
              freshet up
              freshet up --count 10000
              freshet fetch --count 5
              freshet api serve --port 8787
              freshet fetch --source http://127.0.0.1:8787/api/ --count 10000
              freshet fetch --count 1000 | freshet produce users_created --key-field id
              freshet topics describe users_created
              freshet consume users_created --group demo --max 5
              freshet bench source
            """,
        version: "freshet \(FreshetVersion.string)",
        subcommands: [
            Up.self, IngestCommand.self, ProcessCommand.self, Serve.self, UsersCommand.self, DLQ.self, Config.self, Fetch.self, API.self,
            ProduceCommand.self, ConsumeCommand.self, TopicsCommand.self, GroupsCommand.self,
            Bench.self, DagsCommand.self, SchedulerCommand.self,
        ]
    )

    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        bootstrapLogging()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let stop as OutputClosed {
            _ = stop
            Glibc.exit(0)
        } catch {
            Glibc.exit(Self.handle(error))
        }
        Glibc.exit(0)
    }

    /// Prints what the user needs for `error` and returns the exit code.
    static func handle(_ error: any Error) -> Int32 {
        let code = exitCode(for: error)
        if code == .success {
            // --help and --version.
            print(fullMessage(for: error))
            return 0
        }
        if code == .validationFailure {
            FileHandleOutput.standardError.writeLine(fullMessage(for: error))
            return 2
        }
        if let exit = error as? ExitCode {
            return exit.rawValue
        }
        let message = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandleOutput.standardError.writeLine("error: \(message)")
        return 1
    }

    /// Sends swift-metrics to a Prometheus registry (once per process) and returns it.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    static func bootstrapLogging() {
        let level = getenv("FRESHET_LOG_LEVEL").flatMap { Logger.Level(rawValue: String(cString: $0).lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
