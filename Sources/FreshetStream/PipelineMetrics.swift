import FreshetCore
import FreshetSource
import Synchronization

/// Counters and latencies of every stage, shared by the services of one process (and read by
/// the CLI, benchmarks and, later, the web UI).
public final class PipelineMetrics: Sendable {
    public struct Snapshot: Sendable {
        /// People the source handed over.
        public var sourced = 0
        /// Records appended to the log.
        public var produced = 0
        /// Records the processor consumed (including dead letters and skipped replays).
        public var consumed = 0
        /// Rows written to the store.
        public var stored = 0
        /// Records sent to the dead-letter topic, by code.
        public var deadLettered: [RejectionCode: Int] = [:]
        /// Records that could be neither stored nor dead-lettered (a dead letter the broker refuses
        /// even cut down to its headers, an offset at the end of Int64's range, a person too large
        /// for the log whose dead letter failed too): skipped, with an error in the log.
        public var dropped = 0
        /// Records already in the store (replayed after a crash) and skipped.
        public var skippedReplays = 0
        /// Records whose window had closed (beyond the allowed lateness): stored, not counted in windows.
        public var lateForWindows = 0
        /// Store writes (batches) and failed attempts.
        public var storeWrites = 0
        public var storeErrors = 0
        /// Produced → committed in the store, per record.
        public var endToEnd = Histogram()
        /// One store write.
        public var storeWrite = Histogram()
        /// The source's own statistics (requests, errors by class).
        public var source = SourceStats()

        public var totalDeadLettered: Int { deadLettered.values.reduce(0, +) }

        public init() {}
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}

extension PipelineMetrics {
    /// The process-wide metrics of `freshet up`.
    public static let shared = PipelineMetrics()
}

extension PipelineMetrics.Snapshot {
    /// The status line a running `freshet up|ingest|process` prints: counts and rates since
    /// `previous` (`seconds` ago) of what this process does, and the consumer group's lag — the
    /// records in the log its processors have not committed yet (nil: not known yet).
    public func statusLine(role: PipelineRole, since previous: Self, seconds: Double, groupLag: Int?) -> String {
        func rate(_ now: Int, _ before: Int) -> Int { seconds > 0 ? Int((Double(now - before) / seconds).rounded()) : 0 }
        let lag = groupLag.map(String.init) ?? "?"
        let p99 = Self.milliseconds(endToEnd.percentile(0.99))
        switch role {
        case .ingest:
            return "produced \(produced) (\(rate(produced, previous.produced))/s)  source errors \(source.totalErrors)"
        case .process:
            return "consumed \(consumed) (\(rate(consumed, previous.consumed))/s)  stored \(stored) (\(rate(stored, previous.stored))/s)  "
                + "dlq \(totalDeadLettered)  replays skipped \(skippedReplays)  lag \(lag)  p99 \(p99)"
        case .all:
            return "ingested \(produced) (\(rate(produced, previous.produced))/s)  stored \(stored) (\(rate(stored, previous.stored))/s)  "
                + "dlq \(totalDeadLettered)  lag \(lag)  p99 \(p99)"
        }
    }

    /// `8.4ms`, `120ms`: microseconds as a short rendering.
    public static func milliseconds(_ micros: Int64) -> String {
        micros < 10_000 ? "\(Double(micros / 100) / 10)ms" : "\(micros / 1000)ms"
    }
}
