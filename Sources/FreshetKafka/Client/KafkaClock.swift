/// The clock the Kafka client's timers run on: any `Clock<Duration>` (`ContinuousClock` by
/// default; a manual clock in tests), erased so that the producer and the consumer need no
/// generic parameter. Instants are durations since the clock was wrapped.
public struct KafkaClock: Sendable {
    private let _now: @Sendable () -> Duration
    private let _sleep: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`; its `now` at this call is instant zero.
    public init<C: Clock<Duration>>(_ clock: C) {
        let origin = clock.now
        _now = { origin.duration(to: clock.now) }
        _sleep = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// `ContinuousClock`.
    public static var continuous: KafkaClock { KafkaClock(ContinuousClock()) }

    /// Time since the clock was wrapped.
    public var now: Duration { _now() }

    /// Sleeps until `now` reaches `deadline`; throws `CancellationError` when cancelled.
    public func sleep(until deadline: Duration) async throws { try await _sleep(deadline) }

    /// Sleeps for `duration`.
    public func sleep(for duration: Duration) async throws { try await _sleep(now + duration) }
}
