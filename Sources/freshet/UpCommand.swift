import ArgumentParser
import Foundation
import FreshetApp
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetStream
import FreshetWeb
import Logging
import ServiceLifecycle
import Synchronization

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline in one process: source → log → processor → store.",
        discussion: """
            Offline by default: the generator makes a live stream of people (200/s), the embedded \
            log keeps them durably, the processor validates and transforms them into the SQLite \
            table created_users, and malformed records go to users_created.dlq with the reason.

            With --count or --duration the source stops after it, the processor drains to the end \
            of the log, and freshet up exits 0. Without them it runs until SIGINT/SIGTERM, which \
            drain the in-flight batch, commit, and exit 0. Restarting resumes where it stopped.

            Examples:
              freshet up
              freshet up --count 10000
              freshet up --duration 60s --rate 1000
              freshet up --source https://randomuser.me/api/ --rps 1 --batch-size 100
              freshet up --config freshet.yaml
            """
    )

    @OptionGroup var options: PipelineOptions

    func run() async throws {
        try await PipelineRun.run(options: options, role: .all)
    }
}

/// A runtime failure with a one-line cause (exit code 1).
struct RuntimeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A status line on stderr: every second on a terminal, every 30 s otherwise
/// (`PipelineMetrics.Snapshot.statusLine`), with the consumer group's lag once the pipeline's
/// broker is known (`watch(broker:group:topic:)`).
final class StatusReporter: Service, Sendable {
    let metrics: PipelineMetrics
    let interactive: Bool
    let role: PipelineRole
    private let lagSource = Mutex<(any Broker, group: String, topic: String)?>(nil)

    init(metrics: PipelineMetrics, interactive: Bool, role: PipelineRole) {
        self.metrics = metrics
        self.interactive = interactive
        self.role = role
    }

    /// Reports the lag of `group` on `topic` from now on.
    func watch(broker: any Broker, group: String, topic: String) {
        lagSource.withLock { $0 = (broker, group, topic) }
    }

    /// Records of `topic` in the log that `group` has not committed yet, all partitions.
    func groupLag() async -> Int? {
        guard role != .ingest, let (broker, group, topic) = lagSource.withLock({ $0 }) else { return nil }
        guard let description = try? await broker.describeGroup(group) else { return nil }
        let lags = description.offsets.filter { $0.topic == topic }.compactMap(\.lag)
        return lags.isEmpty ? nil : lags.reduce(0) { $0 + Int(clamping: max(0, $1)) }
    }

    func run() async throws {
        let interval: Duration = interactive ? .seconds(1) : .seconds(30)
        var previous = metrics.snapshot
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let m = metrics.snapshot
            let line = m.statusLine(role: role, since: previous, seconds: Double(interval.components.seconds), groupLag: await groupLag())
            previous = m
            if interactive {
                FileHandleOutput.standardError.writeRaw("\r\u{1B}[2K" + line)
            } else {
                FileHandleOutput.standardError.writeLine(line)
            }
        }
    }

    func finish() {
        if interactive { FileHandleOutput.standardError.writeRaw("\r\u{1B}[2K") }
    }
}
