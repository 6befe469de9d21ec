import AsyncHTTPClient
import FreshetCore
import FreshetSource
import FreshetTesting
import Logging
import Synchronization
import Testing

/// Collects delivered batches.
final class Collected: Sendable {
    let batches = Mutex<[[RandomUser]]>([])
    var people: [RandomUser] { batches.withLock { $0.flatMap { $0 } } }
    var batchSizes: [Int] { batches.withLock { $0.map(\.count) } }
    func add(_ batch: [RandomUser]) { batches.withLock { $0.append(batch) } }
}

@Suite("Random User HTTP client")
struct ClientTests {
    static let reference = Timestamp(year: 2026, month: 11, day: 22)

    func client(
        _ url: String, clock: RecordingClock, _ configure: (inout RandomUserClient<RecordingClock>.Configuration) -> Void = { _ in }
    ) -> RandomUserClient<RecordingClock> {
        var configuration = RandomUserClient<RecordingClock>.Configuration(
            // A generous timeout: a loaded machine must not turn slow answers into timeouts.
            url: url, batchSize: 500, requestsPerSecond: 1000, stop: .count(1000), requestTimeout: .seconds(20),
            backoffBase: .milliseconds(10), backoffMax: .seconds(30), maxConsecutiveFailures: 10
        )
        configure(&configuration)
        var logger = Logger(label: "test.client")
        logger.logLevel = .critical
        return RandomUserClient(configuration: configuration, httpClient: .shared, clock: clock, logger: logger)
    }

    @Test func fetchesExactCountsInBatchesWithSeededPages() async throws {
        try await withRandomUserAPIServer(referenceDate: Self.reference) { base in
            let collected = Collected()
            let source = client(base, clock: RecordingClock()) {
                $0.stop = .count(1234)
                $0.seed = "pages"
            }
            let stats = try await source.run { collected.add($0) }
            #expect(collected.batchSizes == [500, 500, 234])
            #expect(stats.requests == 3 && stats.people == 1234 && stats.errors.isEmpty)
            // Exactly the generator's pages 1, 2, 3, decoded losslessly through HTTP.
            let generator = RandomUserGenerator(referenceDate: Self.reference)
            let expected =
                generator.page(seed: "pages", page: 1, results: 500) + generator.page(seed: "pages", page: 2, results: 500)
                + generator.page(seed: "pages", page: 3, results: 234)
            #expect(collected.people == expected)
        }
    }

    @Test func backsOffRecoversAndCountsEveryErrorClass() async throws {
        // The slow answer outlasts an 8 s timeout by far (and ends when the server shuts down);
        // 8 s, not less, so that a loaded machine's slow answers are not timeouts too.
        let faults = FaultInjection(script: [.tooManyRequests, .serverError, .slow, .malformed, .empty], retryAfterSeconds: 2, slowDelay: .seconds(60))
        try await withRandomUserAPIServer(faults: faults) { base in
            let clock = RecordingClock()
            let collected = Collected()
            let source = client(base, clock: clock) {
                $0.stop = .count(700)
                $0.requestTimeout = .seconds(8)
            }
            let stats = try await source.run { collected.add($0) }
            #expect(stats.errors == [.rateLimited: 1, .serverError: 1, .timeout: 1, .malformed: 1, .emptyResults: 1])
            #expect(stats.requests == 7)  // 5 faults, then 500 + 200
            #expect(stats.people == 700)
            #expect(Set(collected.people.map(\.login.uuid)).count == 700)
            // Retry-After (2 s) was honoured; the other retries backed off exponentially with jitter.
            #expect(clock.sleeps.contains(.seconds(2)))
            let backoffs = clock.sleeps.filter { $0 >= .milliseconds(5) && $0 != .seconds(2) }
            #expect(backoffs.count == 4, "\(clock.sleeps)")
            // Failure n waits within [base·2^(n-1)/2, base·2^(n-1)].
            for (n, delay) in zip([2, 3, 4, 5], backoffs) {
                let full = Duration.milliseconds(10) * (1 << (n - 1))
                #expect(delay >= full / 2 && delay <= full, "failure \(n): \(delay)")
            }
        }
    }

    @Test func keepsARequestRate() async throws {
        try await withRandomUserAPIServer { base in
            let clock = RecordingClock()
            let source = client(base, clock: clock) {
                $0.requestsPerSecond = 4
                $0.batchSize = 10
                $0.stop = .count(50)
            }
            let stats = try await source.run { _ in }
            #expect(stats.requests == 5)
            // Virtual time: 5 requests at 4/s take 4 intervals of 250 ms.
            #expect(clock.now.offset == .milliseconds(1000))
        }
    }

    @Test func stopsAfterADuration() async throws {
        try await withRandomUserAPIServer { base in
            let clock = RecordingClock()
            let source = client(base, clock: clock) {
                $0.requestsPerSecond = 2
                $0.batchSize = 5
                $0.stop = .duration(.seconds(60))
            }
            let stats = try await source.run { _ in }
            #expect(stats.requests == 120)
            #expect(stats.people == 600)
        }
    }

    @Test func givesUpOnAnUnreachableServerWithAClearError() async throws {
        // Nothing listens there: AsyncHTTPClient retries the refused connect until the deadline.
        let source = client("http://127.0.0.1:9/api/", clock: RecordingClock()) {
            $0.maxConsecutiveFailures = 3
            $0.requestTimeout = .milliseconds(500)
        }
        do {
            _ = try await source.run { _ in }
            Issue.record("expected the source to give up")
        } catch let error as SourceError {
            #expect(error.code == .gaveUp)
            #expect(error.description.contains("3 consecutive failed requests to http://127.0.0.1:9/api/"))
        }
        #expect(source.stats.errors[.connection] == 3)
        #expect(source.stats.people == 0)
    }

    @Test func credentialsInTheURLNeverReachAnErrorMessage() async throws {
        let source = client("http://alice:s3cr3t@127.0.0.1:9/api/", clock: RecordingClock()) {
            $0.maxConsecutiveFailures = 1
            $0.requestTimeout = .milliseconds(500)
        }
        do {
            _ = try await source.run { _ in }
            Issue.record("expected the source to give up")
        } catch let error as SourceError {
            #expect(!error.description.contains("s3cr3t"))
            #expect(error.description.contains("http://alice:***@127.0.0.1:9/api/"))
        }
    }

    @Test func survivesRandomFaults() async throws {
        let faults = FaultInjection(rate: 0.4, kinds: [.tooManyRequests, .serverError, .malformed, .empty], retryAfterSeconds: 1, seed: 42)
        try await withRandomUserAPIServer(faults: faults) { base in
            let source = client(base, clock: RecordingClock()) {
                $0.batchSize = 50
                $0.stop = .count(2000)
                $0.maxConsecutiveFailures = nil
            }
            let collected = Collected()
            let stats = try await source.run { collected.add($0) }
            #expect(stats.people == 2000)
            #expect(stats.totalErrors > 5)
            #expect(stats.requests == 40 + stats.totalErrors)
            #expect(Set(collected.people.map(\.login.uuid)).count == 2000)
        }
    }
}
