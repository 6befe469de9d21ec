/// Human durations as written on command lines and in config: `60s`, `500ms`, `5m`,
/// `1h`, `1m30s`, `1.5s`; a bare number means seconds.
///
/// Hostile text is refused, never trapped on: at most `maxTextBytes` bytes, at most
/// `maxNumberBytes` characters per number, and a total of at most `maximum` (about ten years).
/// Callers check their own, narrower ranges (`ConfigRange`).
public enum DurationText {
    /// The longest duration `parse` returns: 3,650 days.
    public static let maximum: Duration = .seconds(maximumSeconds)
    static let maximumSeconds: Int64 = 3650 * 86_400
    /// Longer text is not a duration. 64 bytes.
    public static let maxTextBytes = 64
    /// Longer numbers (digits and dots) are not part of a duration. 20 characters.
    public static let maxNumberBytes = 20

    public static func parse(_ text: String) -> Duration? {
        guard !text.isEmpty, text.utf8.count <= maxTextBytes else { return nil }
        let text = text.lowercased()
        if let seconds = Double(text) {
            guard seconds >= 0, seconds.isFinite, seconds <= Double(maximumSeconds) else { return nil }
            return .seconds(seconds)
        }
        var number = ""
        var unit = ""
        var parts: [(String, String)] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."):
                if !unit.isEmpty {
                    parts.append((number, unit))
                    number = ""
                    unit = ""
                }
                guard number.utf8.count < maxNumberBytes else { return nil }
                number.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard !number.isEmpty else { return nil }
                unit.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                return nil
            }
        }
        guard !number.isEmpty, !unit.isEmpty else { return nil }
        parts.append((number, unit))
        // The sum is checked in seconds (a Double: no overflow) before any Duration is built.
        var seconds = 0.0
        var total: Duration = .zero
        for (n, u) in parts {
            guard let value = Double(n), value.isFinite, value >= 0 else { return nil }
            let unitSeconds: Double
            switch u {
            case "ms": unitSeconds = 0.001
            case "s", "sec": unitSeconds = 1
            case "m", "min": unitSeconds = 60
            case "h": unitSeconds = 3600
            case "d": unitSeconds = 86_400
            default: return nil
            }
            seconds += value * unitSeconds
            guard seconds <= Double(maximumSeconds) else { return nil }
            switch u {
            case "ms": total += .milliseconds(value)
            case "s", "sec": total += .seconds(value)
            default: total += .seconds(value * unitSeconds)
            }
        }
        return min(total, maximum)
    }

    /// `1.5s`, `250ms`, `2m`: a short rendering for messages.
    public static func format(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        if ms < 1000 { return "\(Int(ms.rounded()))ms" }
        let s = ms / 1000
        if s < 60 { return s == s.rounded() ? "\(Int(s))s" : "\((s * 10).rounded() / 10)s" }
        if s < 3600 { return "\((s / 60 * 10).rounded() / 10)m" }
        if s < 86_400 * 2 { return "\((s / 3600 * 10).rounded() / 10)h" }
        let days = s / 86_400
        return days == days.rounded() ? "\(Int(days))d" : "\((days * 10).rounded() / 10)d"
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at Int64's range: the one conversion every NIO timeout,
    /// timer and histogram uses, so that a duration from configuration or the wire never traps.
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (scaled < 0 ? .min : .max) : sum
    }
}
