/// Human durations as written on command lines and in config: `60s`, `500ms`, `5m`,
/// `1h`, `1m30s`, `1.5s`; a bare number means seconds.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let text = text.lowercased()
        guard !text.isEmpty else { return nil }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return .seconds(seconds) }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        var parts: [(String, String)] = []
        for ch in text {
            if ch.isNumber || ch == "." {
                if !unit.isEmpty {
                    parts.append((number, unit))
                    number = ""
                    unit = ""
                }
                number.append(ch)
            } else if ch.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, !unit.isEmpty else { return nil }
        parts.append((number, unit))
        for (n, u) in parts {
            guard let value = Double(n), value.isFinite else { return nil }
            switch u {
            case "ms": total += .milliseconds(value)
            case "s", "sec": total += .seconds(value)
            case "m", "min": total += .seconds(value * 60)
            case "h": total += .seconds(value * 3600)
            case "d": total += .seconds(value * 86_400)
            default: return nil
            }
        }
        return total
    }

    /// `1.5s`, `250ms`, `2m`: a short rendering for messages.
    public static func format(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        if ms < 1000 { return "\(Int(ms.rounded()))ms" }
        let s = ms / 1000
        if s < 60 { return s == s.rounded() ? "\(Int(s))s" : "\((s * 10).rounded() / 10)s" }
        if s < 3600 { return "\((s / 60 * 10).rounded() / 10)m" }
        return "\((s / 3600 * 10).rounded() / 10)h"
    }
}
