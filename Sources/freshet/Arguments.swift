import ArgumentParser
import FreshetCore

/// A duration flag value: `60s`, `500ms`, `5m`, `1h`, `1m30s`, or seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard let duration = DurationText.parse(argument) else { return nil }
        self.duration = duration
    }

    var defaultValueDescription: String { DurationText.format(duration) }
}

/// Parses `--nat AU,gb`, naming the first unknown code.
func parseNationalities(_ list: String?, flag: String = "--nat") throws -> [Nationality] {
    guard let list else { return [] }
    var result: [Nationality] = []
    for part in list.split(separator: ",") {
        guard let nat = Nationality(code: part) else {
            throw ValidationError("\(flag): unknown nationality '\(part)'; valid: \(Nationality.allCases.map(\.rawValue).joined(separator: ","))")
        }
        if !result.contains(nat) { result.append(nat) }
    }
    return result
}
