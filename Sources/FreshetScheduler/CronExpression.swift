import FreshetCore

/// A five-field cron expression (minute hour day-of-month month day-of-week) with Vixie-cron
/// semantics: `*`, lists, ranges, steps (`*/15`, `1-5/2`, `5/15`), month and weekday names,
/// `0` or `7` for Sunday, and the macros `@hourly`, `@daily`/`@midnight`, `@weekly`,
/// `@monthly`, `@yearly`/`@annually`.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted
/// (neither starts with `*`), a day matches if **either** does; otherwise both must.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday (7 is folded into 0).
    public let daysOfWeek: Set<Int>
    let domStar: Bool
    let dowStar: Bool
    /// The text it was parsed from.
    public let source: String

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(_ text: String) throws(SchedulerError) {
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let expanded: String
        switch trimmed.lowercased() {
        case "@hourly": expanded = "0 * * * *"
        case "@daily", "@midnight": expanded = "0 0 * * *"
        case "@weekly": expanded = "0 0 * * 0"
        case "@monthly": expanded = "0 0 1 * *"
        case "@yearly", "@annually": expanded = "0 0 1 1 *"
        default:
            if trimmed.hasPrefix("@") {
                throw SchedulerError(
                    .invalidCron, "unknown cron macro '\(trimmed)' (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)",
                    token: trimmed)
            }
            expanded = trimmed
        }
        let parts = expanded.split(separator: " ").map(String.init)
        guard parts.count == 5 else {
            throw SchedulerError(
                .invalidCron, "cron expression '\(text)' has \(parts.count) fields; expected 5 (minute hour day-of-month month day-of-week)", token: text)
        }
        minutes = try Self.field(parts[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(parts[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(parts[2], name: "day-of-month", range: 1...31, names: [])
        months = try Self.field(parts[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1)
        daysOfWeek = Set(try Self.field(parts[4], name: "day-of-week", range: 0...7, names: Self.dayNames).map { $0 % 7 })
        domStar = parts[2].hasPrefix("*")
        dowStar = parts[4].hasPrefix("*")
        source = trimmed
        // Reject expressions that can never fire, such as `0 0 30 2 *`.
        if dowStar {
            let longest = months.map { Timestamp.daysInMonth(year: 2000, month: $0) }.max() ?? 31
            if let first = daysOfMonth.min(), first > longest {
                throw SchedulerError(
                    .invalidCron, "day-of-month '\(parts[2])' never occurs in month '\(parts[3])', so '\(text)' would never fire", field: "day-of-month",
                    token: parts[2])
            }
        }
    }

    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], nameBase: Int = 0) throws(SchedulerError) -> Set<Int> {
        func bad(_ token: String, _ why: String) -> SchedulerError {
            SchedulerError(.invalidCron, "\(name) field: \(why) in '\(token)'", field: name, token: token)
        }
        func value(_ t: Substring, whole: String) throws(SchedulerError) -> Int {
            if let n = Int(t) {
                guard range.contains(n) else { throw bad(whole, "\(n) is outside \(range.lowerBound)-\(range.upperBound)") }
                return n
            }
            if let i = names.firstIndex(of: t.uppercased()) { return i + nameBase }
            throw bad(whole, "'\(t)' is not a number\(names.isEmpty ? "" : " or a name (\(names.joined(separator: ",")))")")
        }
        var result = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let whole = String(item)
            guard !item.isEmpty else { throw bad(text, "empty list element") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw bad(whole, "more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw bad(whole, "step '\(pieces[1])' is not a positive number") }
                step = s
            }
            let base = pieces[0]
            var lo: Int
            var hi: Int
            if base == "*" {
                lo = range.lowerBound
                hi = range.upperBound
                if name == "day-of-week" { hi = 6 }
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash], whole: whole)
                hi = try value(base[base.index(after: dash)...], whole: whole)
                guard lo <= hi else { throw bad(whole, "range start \(lo) is after its end \(hi)") }
            } else {
                lo = try value(base, whole: whole)
                // `5/15` means 5 through the maximum, every 15 (as in cronie).
                hi = pieces.count == 2 ? range.upperBound : lo
            }
            for v in stride(from: lo, through: hi, by: step) { result.insert(v) }
        }
        return result
    }

    /// Whether a local calendar day matches the day-of-month/day-of-week fields.
    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let dom = daysOfMonth.contains(day)
        let dow = daysOfWeek.contains(Self.weekday(year: year, month: month, day: day))
        if domStar || dowStar { return dom && dow }
        return dom || dow
    }

    static func weekday(year: Int, month: Int, day: Int) -> Int {
        let days = Timestamp(year: year, month: month, day: day).millisecondsSinceEpoch / 86_400_000
        return Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4).
    }

    /// The first local wall-clock minute strictly after `local` that matches, searching up to
    /// `years` years ahead. Both are "local" timestamps (UTC fields = local fields).
    func nextLocalMatch(after local: Timestamp, years: Int = 30) -> Timestamp? {
        let ms = local.millisecondsSinceEpoch
        let minute: Int64 = 60_000
        var t = Timestamp(millisecondsSinceEpoch: (ms - ((ms % minute) + minute) % minute) + minute).components
        let limit = t.year + years
        while t.year <= limit {
            if !months.contains(t.month) {
                (t.year, t.month) = t.month == 12 ? (t.year + 1, 1) : (t.year, t.month + 1)
                t.day = 1
                t.hour = 0
                t.minute = 0
                continue
            }
            if !dayMatches(year: t.year, month: t.month, day: t.day) {
                t = Timestamp(year: t.year, month: t.month, day: t.day).addingDays(1).components
                continue
            }
            if !hours.contains(t.hour) {
                if let h = hours.filter({ $0 > t.hour }).min() {
                    t.hour = h
                    t.minute = 0
                } else {
                    t = Timestamp(year: t.year, month: t.month, day: t.day).addingDays(1).components
                }
                continue
            }
            if let m = minutes.filter({ $0 >= t.minute }).min() {
                t.minute = m
                return Timestamp(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute)
            }
            // No minute left in this hour: next hour.
            t = Timestamp(year: t.year, month: t.month, day: t.day, hour: t.hour).adding(minutes: 60).components
        }
        return nil
    }

    /// The next fire instant strictly after `instant`, reading the expression in `timeZone`.
    ///
    /// DST: a wall-clock time skipped by a forward jump fires once, at the jump (the first valid
    /// time after the gap); a wall-clock time that occurs twice fires once, at its first
    /// occurrence. Returns nil only if nothing matches within 30 years.
    public func next(after instant: Timestamp, in timeZone: SchedulerTimeZone = .utc) -> Timestamp? {
        // Candidate wall-clock times map monotonically onto instants, and the reading of
        // `instant` itself maps to an instant <= `instant`, so start from that reading.
        var local = timeZone.local(instant)
        while let candidate = nextLocalMatch(after: local) {
            let fire = timeZone.instant(forLocal: candidate)
            if fire > instant { return fire }
            local = candidate
        }
        return nil
    }

    public var description: String { source }
}

extension Timestamp {
    func addingDays(_ days: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64(days) * 86_400_000)
    }

    func adding(minutes: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + Int64(minutes) * 60_000)
    }

    /// `duration` later (to the millisecond).
    public func adding(_ duration: Duration) -> Timestamp {
        let c = duration.components
        return Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }
}
