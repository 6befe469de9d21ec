import FreshetCore

/// A data interval `[start, end)`; the run for it is due at `end` (Airflow semantics).
public struct DataInterval: Sendable, Hashable, CustomStringConvertible {
    public var start: Timestamp
    public var end: Timestamp
    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }
    public var description: String { "[\(start.iso8601), \(end.iso8601))" }
}

/// When a DAG runs.
public struct Schedule: Sendable, Hashable {
    public enum Trigger: Sendable, Hashable {
        /// A cron expression read in a time zone.
        case cron(CronExpression, SchedulerTimeZone)
        /// Every fixed duration from the start date (`every 30m`).
        case interval(Duration)
        /// Only when triggered by hand.
        case manual
    }

    public var trigger: Trigger
    /// The first data interval starts at the first boundary at or after this instant.
    public var startDate: Timestamp
    /// Whether missed intervals are all run (true) or only the latest (false). Defaults to false.
    public var catchup: Bool
    /// How many runs of the DAG may be active at once. Defaults to 1.
    public var maxActiveRuns: Int
    /// A paused DAG gets no new runs and starts no new task instances. Defaults to false.
    public var isPaused: Bool

    public init(_ trigger: Trigger, startDate: Timestamp, catchup: Bool = false, maxActiveRuns: Int = 1, isPaused: Bool = false) {
        self.trigger = trigger
        self.startDate = startDate
        self.catchup = catchup
        self.maxActiveRuns = maxActiveRuns
        self.isPaused = isPaused
    }

    /// Parses `@daily`, a five-field cron expression, `every 30m`, or `manual`/`none`.
    public init(parsing text: String, timeZone: String = "UTC", startDate: Timestamp, catchup: Bool = false, maxActiveRuns: Int = 1) throws(SchedulerError) {
        let trimmed = text.trimmingSpaces
        let trigger: Trigger
        if trimmed.lowercased() == "manual" || trimmed.lowercased() == "none" {
            trigger = .manual
        } else if trimmed.lowercased().hasPrefix("every ") {
            let amount = String(trimmed.dropFirst(6)).trimmingSpaces
            guard let d = ConfigRange.duration(amount, in: ConfigRange.scheduleInterval) else {
                throw SchedulerError(
                    .invalidSchedule, "interval '\(amount.prefix(64))' in '\(text.prefix(100))' is not a duration in 1s…366d (e.g. every 30m)",
                    token: String(amount.prefix(64)))
            }
            trigger = .interval(d)
        } else {
            trigger = .cron(try CronExpression(trimmed), try SchedulerTimeZone(timeZone))
        }
        guard maxActiveRuns >= 1 else {
            throw SchedulerError(.invalidSchedule, "maxActiveRuns is \(maxActiveRuns); it must be at least 1")
        }
        self.init(trigger, startDate: startDate, catchup: catchup, maxActiveRuns: maxActiveRuns)
    }

    /// The first interval boundary at or after `instant`; nil for manual schedules.
    public func boundary(atOrAfter instant: Timestamp) -> Timestamp? {
        switch trigger {
        case .manual: return nil
        case .cron(let expr, let zone):
            return expr.next(after: Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch - 1), in: zone)
        case .interval(let d):
            let step = d.milliseconds
            if instant <= startDate { return startDate }
            let k = (instant.millisecondsSinceEpoch - startDate.millisecondsSinceEpoch + step - 1) / step
            return Timestamp(millisecondsSinceEpoch: startDate.millisecondsSinceEpoch + k * step)
        }
    }

    /// The boundary after `boundary`.
    public func boundary(after instant: Timestamp) -> Timestamp? {
        boundary(atOrAfter: Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + 1))
    }

    /// Complete intervals (end <= `now`) that have no run yet, oldest first.
    ///
    /// `lastIntervalEnd` is the end of the latest interval that already has a run (nil if none).
    /// With catchup every such interval is returned (at most `limit`); without catchup only the
    /// latest one. Manual schedules have none.
    public func dueIntervals(now: Timestamp, lastIntervalEnd: Timestamp?, limit: Int = 1000) -> [DataInterval] {
        guard let first = lastIntervalEnd.flatMap({ boundary(atOrAfter: $0) }) ?? boundary(atOrAfter: startDate) else { return [] }
        if catchup {
            var result: [DataInterval] = []
            var start = first
            while result.count < limit, let end = boundary(after: start), end <= now {
                result.append(DataInterval(start: start, end: end))
                start = end
            }
            return result
        }
        // Only the latest complete interval: search a window before `now`, widening it until
        // it holds two boundaries (or reaches `first`), so old start dates cost nothing.
        var window: Int64 = 2 * 86_400_000
        while true {
            let from = Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - window)
            let searchFrom = from > first ? from : first
            guard let b0 = boundary(atOrAfter: searchFrom) else { return [] }
            var latest: DataInterval?
            var start = b0
            while let end = boundary(after: start), end <= now {
                latest = DataInterval(start: start, end: end)
                start = end
            }
            if let latest { return [latest] }
            if searchFrom == first { return [] }
            window *= 4
        }
    }

    /// When the next interval after `lastIntervalEnd` (or the first) becomes due.
    public func nextDue(lastIntervalEnd: Timestamp?, now: Timestamp) -> Timestamp? {
        guard let start = lastIntervalEnd.flatMap({ boundary(atOrAfter: $0) }) ?? boundary(atOrAfter: startDate) else { return nil }
        if catchup { return boundary(after: start) }
        // Without catchup, the next due time is the first boundary after now that ends an interval.
        guard let b = boundary(atOrAfter: now > start ? now : start) else { return nil }
        return b > start ? b : boundary(after: b)
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
