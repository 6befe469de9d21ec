import ArgumentParser
import Foundation
import FreshetCore
import FreshetLog
import FreshetSource
import FreshetStore
import FreshetStream
import Logging
import ServiceLifecycle

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
        let (config, warnings) = try options.resolve()
        for warning in warnings { FileHandleOutput.standardError.writeLine("warning: \(warning)") }
        let reporter = StatusReporter(metrics: PipelineMetrics.shared, interactive: FileHandleOutput.standardError.isTerminal)
        let pipeline = try await Pipeline.open(config, metrics: PipelineMetrics.shared, extraServices: [reporter])
        let sourceLine = config.source.url == "generator"
            ? "offline generator, \(PipelineConfiguration.formatNumber(config.source.rate)) people/s (seed \(pipeline.seed ?? "?"))"
            : "\(redact(config.source.url)), \(PipelineConfiguration.formatNumber(config.source.requestsPerSecond)) requests/s"
        let stopLine = config.source.count.map { "stops after \($0) people, then drains and exits" }
            ?? config.source.duration.map { "stops after \(DurationText.format($0)), then drains and exits" }
            ?? "runs until Ctrl-C (in-flight batches are drained and committed)"
        FileHandleOutput.standardOutput.writeLine("""
            freshet up — pipeline running (\(stopLine))
              source     \(sourceLine)
              log        \(config.dataDir)/topics (users_created: \(config.log.partitions) partitions, \(config.log.durability))
              processor  group \(config.processor.group), batches up to \(config.processor.maxBatchRecords), dead letters → users_created.dlq
              store      \(config.storePath)
              query      freshet users count --data-dir \(config.dataDir)
                         freshet users recent -n 5 --data-dir \(config.dataDir)
                         freshet dlq list --data-dir \(config.dataDir)
            """)
        var failure: (any Error)?
        do {
            try await pipeline.run()
        } catch {
            failure = error
        }
        reporter.finish()
        let m = pipeline.metrics.snapshot
        FileHandleOutput.standardOutput.writeLine(
            "freshet up: \(m.produced) records ingested, \(m.stored) rows stored, \(m.totalDeadLettered) dead letters, "
                + "\(m.skippedReplays) replays skipped; end-to-end p50 \(Self.ms(m.endToEnd.percentile(0.5))) p99 \(Self.ms(m.endToEnd.percentile(0.99)))")
        if let failure { throw failure }
    }

    static func ms(_ micros: Int64) -> String {
        micros < 10_000 ? "\(Double(micros / 100) / 10)ms" : "\(micros / 1000)ms"
    }
}

/// A runtime failure with a one-line cause (exit code 1).
struct RuntimeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A status line on stderr: every second on a terminal, every 30 s otherwise.
final class StatusReporter: Service, Sendable {
    let metrics: PipelineMetrics
    let interactive: Bool

    init(metrics: PipelineMetrics, interactive: Bool) {
        self.metrics = metrics
        self.interactive = interactive
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
            let seconds = Double(interval.components.seconds)
            let line = "ingested \(m.produced) (\(Int(Double(m.produced - previous.produced) / seconds))/s)  stored \(m.stored) (\(Int(Double(m.stored - previous.stored) / seconds))/s)  dlq \(m.totalDeadLettered)  lag \(m.produced - m.consumed)  p99 \(Up.ms(m.endToEnd.percentile(0.99)))"
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
