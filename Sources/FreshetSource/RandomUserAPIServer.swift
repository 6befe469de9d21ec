import FreshetCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fault the compatible API server can inject, for testing clients.
public enum APIFault: String, Sendable, CaseIterable {
    /// 429 Too Many Requests with `Retry-After`.
    case tooManyRequests = "429"
    /// 500 Internal Server Error.
    case serverError = "500"
    /// 200 with a truncated, unparseable JSON body.
    case malformed
    /// 200 with the placeholder `{"results":[]}`.
    case empty
    /// A correct answer, after `slowDelay` (longer than a client's timeout).
    case slow
}

/// Which requests get a fault: first the `script`, in order, then a random `rate` of the rest.
public struct FaultInjection: Sendable {
    /// Faults for the first requests, one each, in order.
    public var script: [APIFault]
    /// Fraction (0…1) of later requests that get a random fault from `kinds`. Defaults to 0.
    public var rate: Double
    /// Faults to draw from at `rate`. Defaults to all.
    public var kinds: [APIFault]
    /// `Retry-After` seconds sent with 429. Defaults to 1.
    public var retryAfterSeconds: Int
    /// Delay of a `slow` answer. Defaults to 5 s.
    public var slowDelay: Duration
    /// Seed of the random draw, for repeatable runs.
    public var seed: UInt64

    public init(
        script: [APIFault] = [], rate: Double = 0, kinds: [APIFault] = APIFault.allCases, retryAfterSeconds: Int = 1, slowDelay: Duration = .seconds(5),
        seed: UInt64 = 1
    ) {
        self.script = script
        self.rate = rate
        self.kinds = kinds
        self.retryAfterSeconds = retryAfterSeconds
        self.slowDelay = slowDelay
        self.seed = seed
    }
}

/// A server that answers like randomuser.me, from the offline generator:
/// `GET /api/` and `/api/1.4/` with `results`, `seed`, `page`, `nat`, `gender`, `inc`, `exc`, `noinfo`.
public struct RandomUserAPIServer: Sendable {
    public struct Configuration: Sendable {
        /// Defaults to 127.0.0.1.
        public var host: String
        /// Defaults to 8787; 0 picks a free port.
        public var port: Int
        /// Defaults to none.
        public var faults: FaultInjection?
        /// The day ages are computed against; nil (the default) is the day of each request.
        public var referenceDate: Timestamp?

        public init(host: String = "127.0.0.1", port: Int = 8787, faults: FaultInjection? = nil, referenceDate: Timestamp? = nil) {
            self.host = host
            self.port = port
            self.faults = faults
            self.referenceDate = referenceDate
        }
    }

    /// The parsed query of one request, with the API's rules for invalid values.
    public struct Query: Sendable, Equatable {
        public var results: Int
        public var page: Int
        public var seed: String?
        public var nationalities: [Nationality]
        public var gender: String?
        public var fields: Set<RandomUserField>
        public var noinfo: Bool

        /// `results` outside 1…5000 or not a number → 1; `page` < 1 → 1; `nat` keeps the valid
        /// codes (none valid → all); `gender` other than male/female, or with a seed, is ignored;
        /// `inc` keeps only the listed fields, `exc` removes them.
        public init(_ parameters: [(String, String)]) {
            func value(_ name: String) -> String? {
                parameters.last { $0.0.lowercased() == name }?.1
            }
            if let r = value("results").flatMap({ Int($0) }), (1...5000).contains(r) {
                results = r
            } else {
                results = 1
            }
            page = value("page").flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil } ?? 1
            seed = value("seed").flatMap { $0.isEmpty ? nil : $0 }
            nationalities = value("nat").map(Nationality.parseList) ?? []
            let g = value("gender")?.lowercased()
            gender = (seed == nil && (g == "male" || g == "female")) ? g : nil
            var fields = Set(RandomUserField.allCases)
            if let inc = value("inc") {
                let listed = Set(inc.split(separator: ",").compactMap { RandomUserField(rawValue: $0.lowercased()) })
                if !listed.isEmpty { fields = listed }
            }
            if let exc = value("exc") {
                fields.subtract(exc.split(separator: ",").compactMap { RandomUserField(rawValue: $0.lowercased()) })
            }
            self.fields = fields
            noinfo = parameters.contains { $0.0.lowercased() == "noinfo" }
        }
    }

    public let configuration: Configuration
    let injector: FaultInjector?

    public init(configuration: Configuration) {
        self.configuration = configuration
        injector = configuration.faults.map(FaultInjector.init)
    }

    /// The JSON body for a query, exactly as the real API shapes it.
    public func body(for query: Query, referenceDate: Timestamp) -> [UInt8] {
        let generator = RandomUserGenerator(referenceDate: referenceDate)
        let seed = query.seed ?? RandomUserGenerator.randomSeed()
        let seedHash = SplitMix64.hash(seed)
        var writer = JSONWriter(capacity: 2048 * query.results)
        writer.raw("{\"results\":[")
        for index in 0..<query.results {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            let person = generator.person(seedHash: seedHash, page: query.page, index: index, nationalities: query.nationalities, gender: query.gender)
            let secrets = query.fields.contains(.login) ? generator.secrets(seedHash: seedHash, page: query.page, index: index) : nil
            person.encodeAPI(into: &writer, fields: query.fields, secrets: secrets)
        }
        writer.raw("]")
        if !query.noinfo {
            writer.raw(",\"info\":")
            RandomUserResponse.Info(seed: seed, results: query.results, page: query.page, version: "1.4").encode(into: &writer)
        }
        writer.raw("}")
        return writer.bytes
    }

    /// The routes, for mounting in an application or testing.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await self.respond(to: request)
        }
        for path in ["/api", "/api/1.4"] {  // a trailing slash matches too
            router.get(RouterPath(path), use: handler)
        }
        return router
    }

    func respond(to request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        let query = Query(parameters)
        let fault = injector?.next()
        let json: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        switch fault {
        case .tooManyRequests:
            var headers = json
            headers[.retryAfter] = String(configuration.faults?.retryAfterSeconds ?? 1)
            return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"Too many requests"}"#)))
        case .serverError:
            return Response(
                status: .internalServerError, headers: json,
                body: .init(
                    byteBuffer: ByteBuffer(string: #"{"error":"Uh oh, something has gone wrong. Please tweet us @randomapi about the issue. Thank you."}"#)))
        case .malformed:
            return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"results":[{"gender":"female","name":{"title":"Ms","#)))
        case .empty:
            return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"results":[]}"#)))
        case .slow:
            // Outlast the client's timeout, but let a shutting-down server finish promptly.
            let deadline = ContinuousClock.now + (configuration.faults?.slowDelay ?? .seconds(5))
            while ContinuousClock.now < deadline && !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
        case nil:
            break
        }
        let bytes = body(for: query, referenceDate: configuration.referenceDate ?? .now())
        return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The server as a Hummingbird application. `onListening` receives the bound port.
    public func makeApplication(
        logger: Logger = Logger(label: "freshet.api"), onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "freshet"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// Decides, request by request, which fault (if any) to inject.
final class FaultInjector: Sendable {
    struct State {
        var scriptIndex = 0
        var rng: SplitMix64
    }

    let faults: FaultInjection
    let state: Mutex<State>

    init(_ faults: FaultInjection) {
        self.faults = faults
        state = Mutex(State(rng: SplitMix64(seed: faults.seed)))
    }

    func next() -> APIFault? {
        state.withLock { state in
            if state.scriptIndex < faults.script.count {
                defer { state.scriptIndex += 1 }
                return faults.script[state.scriptIndex]
            }
            guard faults.rate > 0, !faults.kinds.isEmpty else { return nil }
            let draw = Double(state.rng.next() >> 11) / Double(1 << 53)
            guard draw < faults.rate else { return nil }
            return faults.kinds[state.rng.below(faults.kinds.count)]
        }
    }
}
