/// The accepted ranges of numbers that come from flags, the configuration file, `FRESHET_*`
/// variables, DAG definitions and a DAG run's `conf`, and the messages that name them.
///
/// Every such number is checked here before it sizes a loop, a buffer or a timer, so that
/// `--rate 1e20` is a usage error (`source.rate: expected a number in 0.001…1000000, got
/// 1e+20`) instead of a trap in the generator.
public enum ConfigRange {
    /// Generator and DAG stream rates, people per second: 0.001…1,000,000.
    public static let rate: ClosedRange<Double> = 0.001...1_000_000
    /// URL source requests per second: 0.001…1,000.
    public static let requestsPerSecond: ClosedRange<Double> = 0.001...1_000
    /// People a bounded run produces: 1…1,000,000,000.
    public static let count: ClosedRange<Int> = 1...1_000_000_000
    /// How long a bounded run or a DAG's stream task lasts: 1 ms…366 days.
    public static let runDuration: ClosedRange<Duration> = .milliseconds(1)...(.seconds(366 * 86_400))
    /// Per-request, per-task and per-retry timeouts and delays: 0…30 days (0 only where the key allows it).
    public static let taskDuration: ClosedRange<Duration> = .zero...(.seconds(30 * 86_400))
    /// Ports: 0 (any free port)…65535.
    public static let port: ClosedRange<Int> = 0...65_535
    /// Retries of a task: 0…100.
    public static let retries: ClosedRange<Int> = 0...100
    /// Runs of one DAG at once: 1…64.
    public static let maxActiveRuns: ClosedRange<Int> = 1...64
    /// `every <duration>` schedules: 1 s…366 days.
    public static let scheduleInterval: ClosedRange<Duration> = .seconds(1)...(.seconds(366 * 86_400))

    /// `expected a number in 0.001…1000000, got 1e+20`.
    public static func message(_ range: ClosedRange<Double>, got text: String) -> String {
        "expected a number in \(format(range.lowerBound))…\(format(range.upperBound)), got \(shown(text))"
    }

    /// `expected an integer in 1…5000, got 0`.
    public static func message(_ range: ClosedRange<Int>, got text: String) -> String {
        "expected an integer in \(range.lowerBound)…\(range.upperBound), got \(shown(text))"
    }

    /// `expected a duration in 1ms…366d (e.g. 500ms, 60s, 5m), got 1e300`.
    public static func message(_ range: ClosedRange<Duration>, got text: String) -> String {
        "expected a duration in \(DurationText.format(range.lowerBound))…\(DurationText.format(range.upperBound)) (e.g. 500ms, 60s, 5m), got \(shown(text))"
    }

    /// A number in `range`, or nil (text that is not a finite number, or out of range).
    public static func double(_ text: String, in range: ClosedRange<Double>) -> Double? {
        guard text.utf8.count <= 64, let v = Double(text), v.isFinite, range.contains(v) else { return nil }
        return v
    }

    /// An integer in `range`, or nil.
    public static func int(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard text.utf8.count <= 64, let v = Int(text), range.contains(v) else { return nil }
        return v
    }

    /// A duration (`DurationText`) in `range`, or nil.
    public static func duration(_ text: String, in range: ClosedRange<Duration>) -> Duration? {
        guard let d = DurationText.parse(text), range.contains(d) else { return nil }
        return d
    }

    /// Whole numbers without an exponent or a trailing `.0`.
    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// Hostile text is quoted and cut in messages.
    static func shown(_ text: String) -> String {
        let cut = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return Double(text) != nil || Int(text) != nil ? cut : "'\(cut)'"
    }
}
