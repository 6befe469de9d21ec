import FreshetCore
import Synchronization

/// When a source run ends.
public enum StopCondition: Sendable, Equatable {
    /// After this many people.
    case count(Int)
    /// After this much time (the seeds stream for 60 s per run).
    case duration(Duration)
    /// Until the task is cancelled.
    case never
}

/// Why a request to the API did not yield people. Counted separately, logged, never fatal.
public enum SourceErrorClass: String, Sendable, CaseIterable, Comparable {
    /// HTTP 429 Too Many Requests.
    case rateLimited = "429"
    /// HTTP 5xx.
    case serverError = "5xx"
    /// Any other non-200 status.
    case clientError = "4xx"
    /// No answer within the request timeout.
    case timeout
    /// Connection refused, reset or closed early.
    case connection
    /// A body that is not JSON, or not the API's shape.
    case malformed
    /// The API's placeholder answer `{"results":[]}`.
    case emptyResults = "empty"

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a source did: requests, people, errors by class.
public struct SourceStats: Sendable, Equatable, CustomStringConvertible {
    public var requests = 0
    public var batches = 0
    public var people = 0
    public var errors: [SourceErrorClass: Int] = [:]

    public init() {}

    public var totalErrors: Int { errors.values.reduce(0, +) }

    public var description: String {
        var text = "\(people) people in \(batches) \(batches == 1 ? "batch" : "batches")"
        if requests > 0 { text += ", \(requests) \(requests == 1 ? "request" : "requests")" }
        if errors.isEmpty {
            text += ", no errors"
        } else {
            text += "; errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " ")
        }
        return text
    }
}

/// A producer of people in batches: the offline generator or the Random User HTTP client.
public protocol PeopleSource: Sendable {
    /// Runs until its stop condition, handing each batch to `deliver` (which may suspend:
    /// that is how a slow consumer slows the source down). Returns the final statistics.
    func run(deliver: @Sendable ([RandomUser]) async throws -> Void) async throws -> SourceStats

    /// A snapshot of the statistics so far.
    var stats: SourceStats { get }
}

/// Thread-safe statistics, shared between a running source and its observers.
final class StatsBox: Sendable {
    private let state = Mutex(SourceStats())

    var value: SourceStats { state.withLock { $0 } }

    func update(_ body: (inout SourceStats) -> Void) {
        state.withLock { body(&$0) }
    }
}

/// Paces work to a steady rate on an injected clock.
struct Pacer<C: Clock> where C.Duration == Duration {
    let clock: C
    let interval: Duration?
    var next: C.Instant?

    init(clock: C, interval: Duration?) {
        self.clock = clock
        self.interval = interval
    }

    /// Waits until the next slot, then books the one after it.
    mutating func wait() async throws {
        guard let interval else { return }
        let now = clock.now
        if let next, now < next {
            try await clock.sleep(until: next, tolerance: nil)
            self.next = next.advanced(by: interval)
        } else {
            self.next = now.advanced(by: interval)
        }
    }
}

/// A run measured against its stop condition, shared by every source.
struct RunBudget<C: Clock> where C.Duration == Duration {
    let stop: StopCondition
    let clock: C
    let start: C.Instant
    /// People delivered so far.
    var produced = 0

    init(stop: StopCondition, clock: C) {
        self.stop = stop
        self.clock = clock
        start = clock.now
    }

    /// How many people to ask for next (at most `batch`), or nil when the run is over.
    func next(batch: Int) -> Int? {
        switch stop {
        case .count(let total): produced >= total ? nil : min(batch, total - produced)
        case .duration: timeIsUp ? nil : batch
        case .never: batch
        }
    }

    /// For a duration run: whether it has ended (a pacing wait may carry it past the end).
    var timeIsUp: Bool {
        if case .duration(let limit) = stop { return start.duration(to: clock.now) >= limit }
        return false
    }
}
