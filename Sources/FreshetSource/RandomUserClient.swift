import AsyncHTTPClient
import FreshetCore
import Logging
import NIOCore
import NIOHTTP1

/// Fetches people from the Random User API (randomuser.me) or any compatible URL, in
/// batches (`results=N`), at a steady request rate, retrying 429, 5xx, timeouts and
/// connection errors with exponential backoff and jitter, honouring `Retry-After`.
/// Malformed bodies and the placeholder `{"results":[]}` are counted and logged, and the
/// request is retried: they never crash the source.
public struct RandomUserClient<C: Clock>: PeopleSource where C.Duration == Duration {
    public struct Configuration: Sendable {
        /// The API endpoint, e.g. `https://randomuser.me/api/`. Extra query items are kept.
        public var url: String
        /// People per request (`results=`), 1…5000. Defaults to 500.
        public var batchSize: Int
        /// Steady request rate, requests per second. Defaults to 2.
        public var requestsPerSecond: Double
        /// When to stop. Defaults to `.count(500)`.
        public var stop: StopCondition
        /// Per-request timeout. Defaults to 10 seconds.
        public var requestTimeout: Duration
        /// First retry delay; doubles per consecutive failure. Defaults to 500 ms.
        public var backoffBase: Duration
        /// Upper bound of a retry delay (and of an honoured `Retry-After`). Defaults to 60 s.
        public var backoffMax: Duration
        /// Give up after this many consecutive failed requests; nil (the default) never gives up.
        public var maxConsecutiveFailures: Int?
        /// Seed for reproducible pages (`seed=`, `page=1,2,…`); nil asks for random people.
        public var seed: String?
        /// Nationalities (`nat=`); empty (the default) lets the API choose.
        public var nationalities: [Nationality]
        /// Largest accepted response body. Defaults to 64 MiB.
        public var maxBodyBytes: Int

        public init(
            url: String = "https://randomuser.me/api/", batchSize: Int = 500, requestsPerSecond: Double = 2,
            stop: StopCondition = .count(500), requestTimeout: Duration = .seconds(10),
            backoffBase: Duration = .milliseconds(500), backoffMax: Duration = .seconds(60),
            maxConsecutiveFailures: Int? = nil, seed: String? = nil, nationalities: [Nationality] = [],
            maxBodyBytes: Int = 64 << 20
        ) {
            self.url = url
            self.batchSize = batchSize
            self.requestsPerSecond = requestsPerSecond
            self.stop = stop
            self.requestTimeout = requestTimeout
            self.backoffBase = backoffBase
            self.backoffMax = backoffMax
            self.maxConsecutiveFailures = maxConsecutiveFailures
            self.seed = seed
            self.nationalities = nationalities
            self.maxBodyBytes = maxBodyBytes
        }
    }

    public let configuration: Configuration
    let httpClient: HTTPClient
    let clock: C
    let logger: Logger
    let box = StatsBox()

    public init(configuration: Configuration, httpClient: HTTPClient, clock: C, logger: Logger = Logger(label: "freshet.source")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.clock = clock
        self.logger = logger
    }

    public var stats: SourceStats { box.value }

    /// The outcome of one request.
    enum Attempt {
        case people([RandomUser])
        case failed(SourceErrorClass, detail: String, retryAfter: Duration?)
    }

    public func run(deliver: @Sendable ([RandomUser]) async throws -> Void) async throws -> SourceStats {
        let batchSize = min(5000, max(1, configuration.batchSize))
        let interval: Duration? = configuration.requestsPerSecond > 0 ? .seconds(1 / configuration.requestsPerSecond) : nil
        var pacer = Pacer(clock: clock, interval: interval)
        var systemRandom = SystemRandomNumberGenerator()
        var jitter = SplitMix64(seed: systemRandom.next())
        var budget = RunBudget(stop: configuration.stop, clock: clock)
        var page = 1
        var failures = 0
        while true {
            try Task.checkCancellation()
            guard let count = budget.next(batch: batchSize) else { return stats }
            try await pacer.wait()
            if budget.timeIsUp { return stats }
            let url = requestURL(results: count, page: page)
            box.update { $0.requests += 1 }
            switch await attempt(url: url) {
            case .people(var people):
                failures = 0
                page += 1
                if people.count > count { people.removeLast(people.count - count) }
                budget.produced += people.count
                box.update {
                    $0.batches += 1
                    $0.people += people.count
                }
                try await deliver(people)
            case .failed(let errorClass, let detail, let retryAfter):
                failures += 1
                box.update { $0.errors[errorClass, default: 0] += 1 }
                if let limit = configuration.maxConsecutiveFailures, failures >= limit {
                    throw SourceError(
                        code: .gaveUp, message: "giving up after \(failures) consecutive failed requests to \(redact(configuration.url)); last: \(detail)")
                }
                let delay = backoff(failures: failures, retryAfter: retryAfter, jitter: &jitter)
                logger.warning(
                    "request failed, retrying",
                    metadata: [
                        "class": "\(errorClass.rawValue)", "detail": "\(detail)", "retry_in": "\(delay)", "attempt": "\(failures)",
                    ])
                try await clock.sleep(for: delay)
            }
        }
    }

    /// Exponential backoff with equal jitter: a delay in [d/2, d] where d = base·2^(n-1),
    /// capped at `backoffMax`. A server's `Retry-After` wins when it asks for longer.
    func backoff(failures: Int, retryAfter: Duration?, jitter: inout SplitMix64) -> Duration {
        let exponent = min(failures - 1, 30)
        var delay = configuration.backoffBase * (1 << exponent)
        if delay > configuration.backoffMax { delay = configuration.backoffMax }
        let half = delay / 2
        delay = half + half * (Double(jitter.below(1001)) / 1000)
        if let retryAfter {
            delay = max(delay, min(retryAfter, configuration.backoffMax))
        }
        return delay
    }

    func requestURL(results: Int, page: Int) -> String {
        var url = configuration.url
        url += url.contains("?") ? "&" : "?"
        url += "results=\(results)"
        if let seed = configuration.seed {
            url += "&seed=\(Self.percentEncode(seed))&page=\(page)"
        }
        if !configuration.nationalities.isEmpty {
            url += "&nat=" + configuration.nationalities.map(\.rawValue).joined(separator: ",")
        }
        return url
    }

    func attempt(url: String) async -> Attempt {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "freshet/\(FreshetVersion.string)")
        request.headers.add(name: "Accept", value: "application/json")
        let body: ByteBuffer
        do {
            let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.saturatingNanoseconds)
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            guard response.status == .ok else {
                let status = response.status
                // Drain (a little of) the body so the connection can be reused.
                _ = try? await response.body.collect(upTo: 64 << 10)
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter)
                let errorClass: SourceErrorClass =
                    status.code == 429 ? .rateLimited : (500..<600).contains(status.code) ? .serverError : .clientError
                return .failed(errorClass, detail: "HTTP \(status.code) \(status.reasonPhrase)", retryAfter: retryAfter)
            }
            body = try await response.body.collect(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return .failed(.timeout, detail: "no answer within \(configuration.requestTimeout)", retryAfter: nil)
            default:
                return .failed(.connection, detail: "\(error)", retryAfter: nil)
            }
        } catch is NIOTooManyBytesError {
            return .failed(.malformed, detail: "response body over \(configuration.maxBodyBytes) bytes", retryAfter: nil)
        } catch {
            return .failed(.connection, detail: "\(error)", retryAfter: nil)
        }
        do {
            let response = try body.withUnsafeReadableBytes { raw in
                try RandomUserResponse.decode(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
            }
            if response.results.isEmpty {
                return .failed(.emptyResults, detail: "the API answered with no results", retryAfter: nil)
            }
            return .people(response.results)
        } catch {
            return .failed(.malformed, detail: "\(error)", retryAfter: nil)
        }
    }

    /// `Retry-After` as delay-seconds. (An HTTP-date is rare for 429; it is treated as absent.)
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.filter { $0 != " " && $0 != "\t" }
        guard let seconds = Int(trimmed), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

extension RandomUserClient where C == ContinuousClock {
    public init(configuration: Configuration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "freshet.source")) {
        self.init(configuration: configuration, httpClient: httpClient, clock: ContinuousClock(), logger: logger)
    }
}

/// A source failure that ends a run, with a code and a message a user can act on.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case gaveUp = "gave_up"
        case invalidURL = "invalid_url"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

public enum FreshetVersion {
    public static let string = "0.1.0"
}
