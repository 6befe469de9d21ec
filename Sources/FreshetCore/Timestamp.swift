#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// UTC instants as milliseconds since the Unix epoch, with the API's ISO-8601 text form
/// (`1955-04-14T06:38:21.191Z`). Pure arithmetic (no Foundation, no time zone database).
public struct Timestamp: Sendable, Hashable, Comparable {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public struct Components: Sendable, Equatable {
        public var year: Int, month: Int, day: Int
        public var hour: Int, minute: Int, second: Int, millisecond: Int
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        let days = Int64(Self.daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(millisecondsSinceEpoch: seconds * 1000 + Int64(millisecond))
    }

    public var components: Components {
        let ms = millisecondsSinceEpoch
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 {
            rem += 86_400_000
            days -= 1
        }
        let (y, m, d) = Self.civilFromDays(Int(days))
        let r = Int(rem)
        return Components(
            year: y, month: m, day: d,
            hour: r / 3_600_000, minute: r / 60_000 % 60, second: r / 1000 % 60, millisecond: r % 1000
        )
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var iso8601: String { Self.iso8601(components) }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of already split components.
    public static func iso8601(_ c: Components) -> String {
        String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: width - 1, through: 0, by: -1) {
                    buffer[offset + i] = UInt8(v % 10) + 0x30
                    v /= 10
                }
            }
            put(c.year, 4, at: 0)
            buffer[4] = 0x2D
            put(c.month, 2, at: 5)
            buffer[7] = 0x2D
            put(c.day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(c.hour, 2, at: 11)
            buffer[13] = 0x3A
            put(c.minute, 2, at: 14)
            buffer[16] = 0x3A
            put(c.second, 2, at: 17)
            buffer[19] = 0x2E
            put(c.millisecond, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// Parses an ISO-8601 instant: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// Returns nil for anything else, including impossible dates such as February 30.
    public init?(iso8601 text: String) {
        var text = text
        guard let value = text.withUTF8({ Self.parse($0) }) else { return nil }
        self = value
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        guard b.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var v = 0
            for i in start..<(start + count) {
                let d = b[i] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D,
            let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = digits(11, 2), b[13] == 0x3A, let minute = digits(14, 2), b[16] == 0x3A,
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, b[i] &- 0x30 < 10 {
                millis += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard i + 6 == b.count, let oh = digits(i + 1, 2), b[i + 3] == 0x3A, let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let base = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millis)
        return Timestamp(millisecondsSinceEpoch: base.millisecondsSinceEpoch - Int64(offsetMinutes) * 60_000)
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whole years from `self` to `later` (an age, as a person counts birthdays).
    public func wholeYears(until later: Timestamp) -> Int {
        Self.wholeYears(from: components, to: later.components)
    }

    /// Whole years between two split instants.
    public static func wholeYears(from a: Components, to b: Components) -> Int {
        var years = b.year - a.year
        if (b.month, b.day, b.hour, b.minute, b.second, b.millisecond) < (a.month, a.day, a.hour, a.minute, a.second, a.millisecond) {
            years -= 1
        }
        return years
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z: Int) -> (Int, Int, Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

extension Timestamp {
    /// The current wall-clock time (the one impure member of this module: a clock read).
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}
