import Foundation
import FreshetContracts
import FreshetCore
import FreshetSource
import FreshetStore
import FreshetTesting
import FreshetWeb
import Synchronization
import Testing

/// The stats document is computed at most once per cache period, on a clock the test moves.
@Suite("Stats cache on an injected clock")
struct StatsCacheTests {
    final class ManualTime: Sendable {
        let elapsed = Mutex(Duration.zero)
        func advance(_ by: Duration) { elapsed.withLock { $0 += by } }
        var time: MonotonicTime { MonotonicTime { self.elapsed.withLock { $0 } } }
    }

    static func total(_ bytes: [UInt8]) throws -> Int? {
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        return (object?["users"] as? [String: Any])?["total"] as? Int
    }

    @Test func aDocumentIsSharedUntilTheCachePeriodEndsThenRecomputed() async throws {
        try await withFixture { fixture in
            let time = ManualTime()
            let stats = StatsProvider(
                queries: fixture.store, broker: .live(fixture.broker), metrics: nil, clock: time.time, cacheFor: .milliseconds(500))
            let first = try await stats.statsJSON()
            #expect(try Self.total(first) == 300)

            // A new user arrives: within the period every client gets the same document.
            let more = RandomUserGenerator(referenceDate: Timestamp(year: 2026, month: 1, day: 1)).page(seed: "cache", page: 1, results: 1)
                .map { try! UserSchema().row(from: UserCreated($0).jsonBytes(), ingestedAt: 1_767_225_600_000).get() }
            try await fixture.store.upsert(more)
            time.advance(.milliseconds(499))
            #expect(try await stats.statsJSON() == first)

            // Once the period has passed, the next request recomputes it.
            time.advance(.milliseconds(1))
            let second = try await stats.statsJSON()
            #expect(try Self.total(second) == 301)
            // …and the uptime is the injected clock's.
            let object = try JSONSerialization.jsonObject(with: Data(second)) as? [String: Any]
            #expect(object?["uptime_seconds"] as? Double == 0.5)
        }
    }
}
