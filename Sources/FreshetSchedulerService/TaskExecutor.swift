import Foundation
import FreshetContracts
import FreshetCore
import FreshetLog
import FreshetScheduler
import FreshetSource
import FreshetStream

#if canImport(Glibc)
    import Glibc
#endif

/// How one task try ended.
public struct TaskOutcome: Sendable, Hashable {
    /// Records a stream task appended to the log (0 for other tasks).
    public var recordsProduced: Int
    /// Why it failed; nil on success.
    public var error: String?

    public init(recordsProduced: Int = 0, error: String? = nil) {
        self.recordsProduced = recordsProduced
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}

/// Runs task kinds for real: builtin steps against a broker, the stream task through
/// `IngestService`, shell commands through `/bin/sh -c`. Every try has an optional timeout;
/// cancelling the calling task stops the work (a shell command is killed).
public struct TaskExecutor: Sendable {
    public struct Configuration: Sendable {
        /// The topic the stream task appends to. Defaults to `users_created`.
        public var topic: String
        /// The dead-letter topic `ensure_topics` also creates. Defaults to `users_created.dlq`.
        public var deadLetterTopic: String
        /// How long `check_broker` waits for the broker to list its topics. Defaults to 10 s.
        public var checkTimeout: Duration
        /// Settings of topics `ensure_topics` creates. Defaults to `TopicConfig()` (3 partitions).
        public var topicConfig: TopicConfig
        /// Bytes of a failed shell command's stderr kept as its error text. Defaults to 500.
        public var stderrTailBytes: Int
        /// How the stream task writes messages: the pipeline's `topic.format`. Defaults to JSON.
        public var format: MessageFormat = .json

        public init(
            topic: String = "users_created", deadLetterTopic: String = "users_created.dlq", checkTimeout: Duration = .seconds(10),
            topicConfig: TopicConfig = TopicConfig(), stderrTailBytes: Int = 500
        ) {
            self.topic = topic
            self.deadLetterTopic = deadLetterTopic
            self.checkTimeout = checkTimeout
            self.topicConfig = topicConfig
            self.stderrTailBytes = stderrTailBytes
        }
    }

    /// Makes the stream task's source for a duration and an optional rate.
    public typealias SourceFactory = @Sendable (_ duration: Duration, _ rate: Double?) -> any PeopleSource

    public let broker: any Broker
    public let configuration: Configuration
    /// Where stream tasks count what they produce (`freshet up` passes the pipeline's, so the
    /// dashboard shows DAG runs' ingest). Defaults to a private one.
    public let metrics: PipelineMetrics
    let makeSource: SourceFactory

    /// `makeSource` defaults to the offline generator (`GeneratorSource`) stopping after the duration.
    public init(
        broker: any Broker, configuration: Configuration = Configuration(), metrics: PipelineMetrics = PipelineMetrics(),
        makeSource: SourceFactory? = nil
    ) {
        self.broker = broker
        self.configuration = configuration
        self.metrics = metrics
        self.makeSource =
            makeSource ?? { duration, rate in
                GeneratorSource(configuration: .init(rate: rate, stop: .duration(duration)), clock: ContinuousClock())
            }
    }

    /// Runs one try of `kind`, failing it with "timed out after …" past `timeout`.
    /// If the calling task is cancelled the work stops and the outcome says "stopped".
    /// A shell command gets `environment` on top of this process's environment (the service
    /// sets `FRESHET_DAG_ID`, `FRESHET_RUN_ID`, `FRESHET_TASK_ID` and `FRESHET_TRY_NUMBER`).
    public func execute(_ kind: TaskKind, timeout: Duration? = nil, environment: [String: String] = [:]) async -> TaskOutcome {
        do {
            guard let timeout else { return try await perform(kind, environment: environment) }
            return try await withTimeout(timeout) { try await perform(kind, environment: environment) }
                ?? TaskOutcome(error: "timed out after \(DurationText.format(timeout))")
        } catch is CancellationError {
            return TaskOutcome(error: "stopped")
        } catch {
            return TaskOutcome(error: Self.oneLine("\(error)"))
        }
    }

    func perform(_ kind: TaskKind, environment: [String: String] = [:]) async throws -> TaskOutcome {
        switch kind {
        case .builtin(.checkBroker):
            guard let topics = try await withTimeout(configuration.checkTimeout, { try await broker.listTopics() }) else {
                return TaskOutcome(error: "the broker did not answer within \(DurationText.format(configuration.checkTimeout))")
            }
            _ = topics
            return TaskOutcome()
        case .builtin(.ensureTopics):
            let existing = Set(try await broker.listTopics())
            for topic in [configuration.topic, configuration.deadLetterTopic] where !existing.contains(topic) {
                do {
                    try await broker.createTopic(topic, config: configuration.topicConfig)
                } catch let error as LogError where error.code == .topicAlreadyExists {}
            }
            return TaskOutcome()
        case .stream(let duration, let rate):
            let source = makeSource(duration, rate)
            do {
                _ = try await IngestService.ingest(
                    source: source, broker: broker, topic: configuration.topic, metrics: metrics, backpressure: nil,
                    topicConfig: configuration.topicConfig, format: configuration.format)
            } catch {
                // Stopped (shutdown, timeout): what was appended still counts for the run.
                if Task.isCancelled { return TaskOutcome(recordsProduced: source.stats.people, error: "stopped") }
                return TaskOutcome(recordsProduced: source.stats.people, error: Self.oneLine("\(error)"))
            }
            return TaskOutcome(recordsProduced: source.stats.people)
        case .shell(let command):
            return try await runShell(command, environment: environment)
        }
    }

    func runShell(_ command: String, environment: [String: String] = [:]) async throws -> TaskOutcome {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("freshet-task-\(UUID().uuidString).stderr").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // A file, not a pipe: a killed shell's orphans can never keep us waiting for EOF.
        guard let errHandle = FileHandle(forWritingAtPath: errPath) else { return TaskOutcome(error: "cannot create \(errPath)") }
        defer { try? errHandle.close() }
        process.standardError = errHandle
        let exited = AsyncStream<Int32> { c in
            process.terminationHandler = { p in
                c.yield(p.terminationStatus)
                c.finish()
            }
        }
        try process.run()
        let pid = process.processIdentifier
        let status: Int32? = await withTaskCancellationHandler {
            var iterator = exited.makeAsyncIterator()
            return await iterator.next()
        } onCancel: {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        if Task.isCancelled { throw CancellationError() }
        guard let status else { throw CancellationError() }
        if status == 0 { return TaskOutcome() }
        let stderr = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        let tail = String(decoding: stderr.suffix(configuration.stderrTailBytes), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return TaskOutcome(error: "exit code \(status)" + (tail.isEmpty ? "" : ": \(tail)"))
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// `body`'s result, or nil if it did not finish within `timeout` (it is then cancelled).
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
