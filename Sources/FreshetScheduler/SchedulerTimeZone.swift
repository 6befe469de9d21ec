import Foundation
import FreshetCore

// Foundation is used for one thing only: the UTC offset of a named zone at an instant
// (TimeZone reads the tz database, so DST rules stay current). All calendar math is ours.
#if canImport(FoundationEssentials)
    import FoundationEssentials
#endif

/// A time zone as the scheduler needs it: the UTC offset in effect at an instant.
public struct SchedulerTimeZone: Sendable, Hashable, CustomStringConvertible {
    public let identifier: String
    private let zone: TimeZone?

    /// UTC: no DST, pure arithmetic.
    public static let utc = SchedulerTimeZone(identifier: "UTC", zone: nil)

    private init(identifier: String, zone: TimeZone?) {
        self.identifier = identifier
        self.zone = zone
    }

    /// A tz database zone such as `Europe/Berlin`; `UTC` needs no database.
    public init(_ identifier: String) throws(SchedulerError) {
        if identifier == "UTC" || identifier == "Etc/UTC" || identifier == "Z" {
            self = .utc
            return
        }
        guard let zone = TimeZone(identifier: identifier) else {
            throw SchedulerError(.unknownTimeZone, "unknown time zone '\(identifier)' (expected a tz database name such as Europe/Berlin)", token: identifier)
        }
        self.init(identifier: identifier, zone: zone)
    }

    /// Seconds east of UTC in effect at `instant`.
    public func offsetSeconds(at instant: Timestamp) -> Int {
        guard let zone else { return 0 }
        let date = Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000)
        return zone.secondsFromGMT(for: date)
    }

    /// The wall-clock reading at `instant`, as a `Timestamp` whose UTC fields are the local fields.
    public func local(_ instant: Timestamp) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + Int64(offsetSeconds(at: instant)) * 1000)
    }

    /// The instant a local wall-clock reading (minute precision) denotes.
    /// - A reading that occurs twice (the repeated hour when clocks go back) resolves to its
    ///   first occurrence.
    /// - A reading skipped by a forward jump resolves to the instant of the jump, i.e. the first
    ///   valid wall-clock time after the gap.
    public func instant(forLocal local: Timestamp) -> Timestamp {
        guard zone != nil else { return local }
        let l = local.millisecondsSinceEpoch
        let day: Int64 = 86_400_000
        var offsets = Set<Int>()
        for probe in [l - day, l, l + day] {
            offsets.insert(offsetSeconds(at: Timestamp(millisecondsSinceEpoch: probe)))
        }
        var valid: [Int64] = []
        for o in offsets {
            let u = l - Int64(o) * 1000
            if offsetSeconds(at: Timestamp(millisecondsSinceEpoch: u)) == o { valid.append(u) }
        }
        if let first = valid.min() { return Timestamp(millisecondsSinceEpoch: first) }
        // In a gap: the jump lies in (l - maxOffset, l - minOffset]; find it by bisection.
        let lo0 = l - Int64(offsets.max()!) * 1000
        let hi0 = l - Int64(offsets.min()!) * 1000
        let before = offsetSeconds(at: Timestamp(millisecondsSinceEpoch: lo0))
        var lo = lo0
        var hi = hi0
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offsetSeconds(at: Timestamp(millisecondsSinceEpoch: mid)) == before { lo = mid } else { hi = mid }
        }
        return Timestamp(millisecondsSinceEpoch: hi)
    }

    public var description: String { identifier }

    public static func == (a: SchedulerTimeZone, b: SchedulerTimeZone) -> Bool { a.identifier == b.identifier }
    public func hash(into h: inout Hasher) { h.combine(identifier) }
}
