import FreshetContracts

/// Which per-minute window a record counts in, by its log timestamp, and whether it is too
/// late to count: a value type the processor keeps and tests drive by plain calls. Time is the
/// records' own (their ingest timestamps), never a clock read: the same records give the same
/// windows whichever processor reads them, and whenever.
///
/// Each partition has its own watermark — the newest timestamp seen in it minus the allowed
/// lateness — as in Kafka Streams, so a partition that lags behind is not declared late because
/// another one is ahead.
public struct Watermarks: Sendable, Equatable {
    /// Window size in milliseconds, 1 ms … 366 days.
    public let windowMillis: Int64
    /// Allowed lateness in milliseconds, 0 … 366 days.
    public let latenessMillis: Int64
    /// Newest timestamp seen per partition.
    public private(set) var newest: [TopicPartition: Int64] = [:]

    /// Both durations are clamped to 366 days (and the window to at least 1 ms), so that no
    /// configuration can overflow the arithmetic on timestamps in
    /// `StreamProcessor.acceptedTimestamps`.
    public init(window: Duration, allowedLateness: Duration) {
        let day366: Int64 = 366 * 86_400 * 1000
        windowMillis = max(1, min(Self.millis(window), day366))
        latenessMillis = max(0, min(Self.millis(allowedLateness), day366))
    }

    /// The start of the window `timestamp` counts in, after moving `partition`'s watermark; nil
    /// when the window ended at or before the watermark (the record is late).
    public mutating func window(of timestamp: Int64, partition: TopicPartition) -> Int64? {
        let newest = max(self.newest[partition] ?? Int64.min, timestamp)
        self.newest[partition] = newest
        let start = timestamp - ((timestamp % windowMillis) + windowMillis) % windowMillis
        return start + windowMillis <= newest - latenessMillis ? nil : start
    }

    /// Milliseconds of `duration`, saturating instead of trapping.
    static func millis(_ duration: Duration) -> Int64 {
        let (milliseconds, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return duration.components.seconds < 0 ? Int64.min : Int64.max }
        let (total, carry) = milliseconds.addingReportingOverflow(duration.components.attoseconds / 1_000_000_000_000_000)
        return carry ? Int64.max : total
    }
}
