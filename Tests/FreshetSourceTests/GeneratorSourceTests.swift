import FreshetCore
import FreshetSource
import FreshetTesting
import Testing

@Suite("Generator source")
struct GeneratorSourceTests {
    @Test func countStopsExactlyAndSeedReproduces() async throws {
        func run() async throws -> [RandomUser] {
            let collected = Collected()
            let source = GeneratorSource(
                configuration: .init(seed: "s", batchSize: 300, stop: .count(1000), referenceDate: Timestamp(year: 2026, month: 1, day: 1)),
                clock: RecordingClock())
            let stats = try await source.run { collected.add($0) }
            #expect(stats.people == 1000)
            #expect(collected.batchSizes == [300, 300, 300, 100])
            return collected.people
        }
        let first = try await run()
        #expect(try await run() == first)
    }

    @Test func rateIsPacedOnTheClock() async throws {
        let clock = RecordingClock()
        let source = GeneratorSource(configuration: .init(seed: "r", rate: 100, stop: .duration(.seconds(10))), clock: clock)
        let stats = try await source.run { _ in }
        // 100 people/s for 10 s (batches of 10 every 100 ms).
        #expect(stats.people == 1000)
        #expect(clock.sleeps.allSatisfy { $0 <= .milliseconds(100) })
    }
}
