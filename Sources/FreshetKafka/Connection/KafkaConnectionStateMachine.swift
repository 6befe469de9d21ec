import NIOCore

/// The protocol state of one connection to a Kafka broker, without IO.
///
/// Events go in (`channelActive`, `frameReceived`, `sendRequest`, …) and an `Action` comes
/// out, which `KafkaChannelHandler` performs. Transitions:
///
/// - `initialized` → `negotiating` on `channelActive` (writes ApiVersions v3).
/// - `negotiating` → `negotiating` when the broker answers UNSUPPORTED_VERSION (writes
///   ApiVersions again at the broker's highest version, or v0).
/// - `negotiating` → `ready` on a good ApiVersions response (writes queued requests).
/// - `ready` → `ready` on each request or response; requests beyond
///   `maximumInFlightRequests` wait in a queue and go out as responses come back.
/// - any → `closed` on an unexpected correlation id, an undecodable frame, a request timeout
///   of a written request, an error, `close()` or `channelInactive`; every pending request
///   fails with the reason.
///
/// Kafka answers requests on one connection in the order they were sent, so a response
/// must carry the oldest correlation id in flight.
public struct KafkaConnectionStateMachine: Sendable {
    /// Identifies a request for its whole life (queued, written, answered); handed out by
    /// the caller.
    public struct RequestID: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64
        public init(_ rawValue: UInt64) { self.rawValue = rawValue }
        public var description: String { "#\(rawValue)" }
    }

    public struct Configuration: Sendable, Hashable {
        /// Sent in every request header. Defaults to "freshet".
        public var clientID: String?
        /// Written requests awaiting a response, at most. Defaults to 5 (the Java client's
        /// `max.in.flight.requests.per.connection`).
        public var maximumInFlightRequests: Int
        /// Sent in ApiVersions v3+. Defaults to "freshet".
        public var clientSoftwareName: String
        /// Sent in ApiVersions v3+. Defaults to "0.1.0".
        public var clientSoftwareVersion: String
        /// `host:port`, for error messages. Defaults to nil.
        public var brokerDescription: String?

        public init(
            clientID: String? = "freshet", maximumInFlightRequests: Int = 5,
            clientSoftwareName: String = "freshet", clientSoftwareVersion: String = "0.1.0",
            brokerDescription: String? = nil
        ) {
            self.clientID = clientID
            self.maximumInFlightRequests = max(1, maximumInFlightRequests)
            self.clientSoftwareName = clientSoftwareName
            self.clientSoftwareVersion = clientSoftwareVersion
            self.brokerDescription = brokerDescription
        }
    }

    /// A response frame (without size prefix, header included) to the request it answers.
    public struct Response: Sendable, Hashable {
        public var api: ApiKey
        public var version: Int16
        public var correlationID: Int32
        public var frame: ByteBuffer
    }

    public enum Action: Sendable, Hashable {
        /// Nothing to do (e.g. the request waits in the queue).
        case none
        /// Write these frames (size prefix included) and flush.
        case write([ByteBuffer])
        /// ApiVersions succeeded: the connection is ready. Write the queued frames.
        case ready(write: [ByteBuffer])
        /// Complete a request with its response, then write the frames that may now go out.
        case succeed(RequestID, Response, write: [ByteBuffer])
        /// Fail one request; the connection stays usable.
        case fail(RequestID, KafkaConnectionError)
        /// Fail these requests, and the connect itself if it is still under way, then close
        /// the channel (if `close`) with `error` as the reason.
        case failAll([RequestID: KafkaConnectionError], error: KafkaConnectionError, close: Bool)
    }

    struct Pending: Sendable {
        var id: RequestID
        var request: any KafkaRequest
    }

    struct InFlight: Sendable, Hashable {
        var id: RequestID
        var api: ApiKey
        var version: Int16
        var correlationID: Int32
    }

    enum State: Sendable {
        case initialized
        case negotiating(version: Int16, correlationID: Int32)
        case ready(ApiVersionsResponse)
        case closed(KafkaConnectionError)
    }

    public let configuration: Configuration
    private var state: State = .initialized
    private var correlationIDs: KafkaCorrelationIDs
    private var queue: [Pending] = []
    private var inFlight: [InFlight] = []

    public init(configuration: Configuration = .init(), firstCorrelationID: Int32 = 0) {
        self.configuration = configuration
        self.correlationIDs = KafkaCorrelationIDs(startingAt: firstCorrelationID)
    }

    /// The broker's ApiVersions answer, once negotiated.
    public var brokerVersions: ApiVersionsResponse? {
        if case .ready(let response) = state { return response }
        return nil
    }

    /// The version chosen for each API Freshet implements and the broker supports.
    public var negotiatedVersions: [ApiKey: Int16] {
        guard let broker = brokerVersions else { return [:] }
        var result: [ApiKey: Int16] = [:]
        for type in ApiKey.implementedRequests {
            if let v = try? KafkaVersionNegotiation.negotiate(type.apiKey, ours: type.supportedVersions, broker: broker) {
                result[type.apiKey] = v
            }
        }
        return result
    }

    public var isReady: Bool { brokerVersions != nil }
    public var isClosed: Bool { if case .closed = state { true } else { false } }
    /// Requests written and not yet answered.
    public var inFlightCount: Int { inFlight.count }
    /// Requests waiting to be written.
    public var queuedCount: Int { queue.count }

    // MARK: Events

    /// The TCP connection is up: ask for the broker's versions.
    public mutating func channelActive() -> Action {
        guard case .initialized = state else { return .none }
        return writeApiVersions(version: ApiVersionsRequest.supportedVersions.upperBound)
    }

    /// A caller wants `request` sent. It goes out now if the connection is ready and fewer
    /// than `maximumInFlightRequests` are in flight; otherwise it waits.
    public mutating func sendRequest(_ request: any KafkaRequest, id: RequestID) -> Action {
        switch state {
        case .closed(let reason):
            return .fail(id, closedError(reason, api: type(of: request).apiKey))
        case .initialized, .negotiating:
            queue.append(Pending(id: id, request: request))
            return .none
        case .ready:
            guard queue.isEmpty, inFlight.count < configuration.maximumInFlightRequests else {
                queue.append(Pending(id: id, request: request))
                return .none
            }
            switch encode(Pending(id: id, request: request)) {
            case .success(let frame): return .write([frame])
            case .failure(let error): return .fail(id, error)
            }
        }
    }

    /// A complete frame (size prefix removed) arrived from the broker.
    public mutating func frameReceived(_ frame: ByteBuffer) -> Action {
        let received: Int32
        do {
            received = try KafkaResponseHeader.peekCorrelationID(frame)
        } catch {
            return closeAll(.init(code: .protocolError, message: "undecodable response: \(error)", broker: broker))
        }
        switch state {
        case .initialized, .closed:
            return .none
        case .negotiating(let version, let correlationID):
            guard received == correlationID else {
                return closeAll(
                    .init(
                        code: .unexpectedCorrelationID,
                        message: "response with correlation id \(received) while waiting for ApiVersions (\(correlationID))",
                        broker: broker, api: .apiVersions, correlationID: received))
            }
            return apiVersionsReceived(frame, version: version)
        case .ready:
            guard let first = inFlight.first else {
                return closeAll(
                    .init(
                        code: .unexpectedCorrelationID,
                        message: "response with correlation id \(received) but no request is in flight",
                        broker: broker, correlationID: received))
            }
            guard first.correlationID == received else {
                return closeAll(
                    .init(
                        code: .unexpectedCorrelationID,
                        message: "response with correlation id \(received), expected \(first.correlationID) (responses must come in request order)",
                        broker: broker, api: first.api, correlationID: received))
            }
            inFlight.removeFirst()
            let response = Response(api: first.api, version: first.version, correlationID: received, frame: frame)
            return .succeed(first.id, response, write: drainQueue())
        }
    }

    /// The request's deadline passed. A queued request is just dropped; a written one closes
    /// the connection, since its late response could no longer be told apart.
    public mutating func requestTimedOut(_ id: RequestID) -> Action {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            let pending = queue.remove(at: index)
            return .fail(
                id,
                .init(
                    code: .requestTimedOut, message: "request timed out before it could be sent",
                    broker: broker, api: type(of: pending.request).apiKey))
        }
        guard let entry = inFlight.first(where: { $0.id == id }) else { return .none }
        let error = KafkaConnectionError(
            code: .requestTimedOut,
            message: "no response to \(entry.api) v\(entry.version) in time; closing the connection",
            broker: broker, api: entry.api, correlationID: entry.correlationID)
        return closeAll(error, override: [id: error])
    }

    /// Connecting or negotiating took too long.
    public mutating func connectTimedOut() -> Action {
        switch state {
        case .initialized, .negotiating:
            return closeAll(.init(code: .requestTimedOut, message: "connect timed out before ApiVersions completed", broker: broker, api: .apiVersions))
        case .ready, .closed:
            return .none
        }
    }

    /// The caller closes the connection.
    public mutating func close() -> Action {
        closeAll(.init(code: .connectionClosed, message: "connection closed by the client", broker: broker), close: true)
    }

    /// The channel raised an error. A `KafkaConnectionError` (e.g. a TLS failure the
    /// handler has explained) is the reason as is.
    public mutating func errorCaught(_ error: any Error) -> Action {
        if case .closed = state { return .none }
        if var error = error as? KafkaConnectionError {
            error.broker = error.broker ?? broker
            return closeAll(error)
        }
        let code: KafkaConnectionError.Code = error is KafkaProtocolError ? .protocolError : .connectionClosed
        return closeAll(.init(code: code, message: "connection error: \(error)", broker: broker))
    }

    /// The TCP connection is gone.
    public mutating func channelInactive() -> Action {
        if case .closed = state { return .none }
        return closeAll(.init(code: .connectionClosed, message: "the broker closed the connection", broker: broker), close: false)
    }

    // MARK: Helpers

    private var broker: String? { configuration.brokerDescription }

    private func closedError(_ reason: KafkaConnectionError, api: ApiKey) -> KafkaConnectionError {
        var error = reason
        error.code = .connectionClosed
        error.message = "connection is closed (\(reason.message))"
        error.api = api
        error.correlationID = nil
        return error
    }

    private mutating func writeApiVersions(version: Int16) -> Action {
        let id = correlationIDs.next()
        let request = ApiVersionsRequest(
            clientSoftwareName: configuration.clientSoftwareName, clientSoftwareVersion: configuration.clientSoftwareVersion)
        do {
            let frame = try KafkaWire.encodeRequest(request, version: version, correlationID: id, clientID: configuration.clientID)
            state = .negotiating(version: version, correlationID: id)
            return .write([frame])
        } catch {
            return closeAll(.init(code: .protocolError, message: "cannot encode ApiVersions v\(version): \(error)", broker: broker, api: .apiVersions))
        }
    }

    private mutating func apiVersionsReceived(_ frame: ByteBuffer, version: Int16) -> Action {
        // A broker that does not know `version` answers in v0 with UNSUPPORTED_VERSION (and,
        // since KIP-511, lists its ApiVersions range), so fall back to v0 when needed.
        let response: ApiVersionsResponse
        if let decoded = try? KafkaWire.decodeResponse(frame, to: ApiVersionsRequest.self, version: version).body {
            response = decoded
        } else if version != 0, let decoded = try? KafkaWire.decodeResponse(frame, to: ApiVersionsRequest.self, version: 0).body {
            response = decoded
        } else {
            return closeAll(
                .init(
                    code: .versionNegotiationFailed, message: "undecodable ApiVersions v\(version) response",
                    broker: broker, api: .apiVersions))
        }
        if response.errorCode == .unsupportedVersion, version != 0 {
            let retry = response.versions(of: .apiVersions).map { min($0.upperBound, version - 1) } ?? 0
            return writeApiVersions(version: max(0, retry))
        }
        guard response.errorCode == .noError else {
            return closeAll(
                .init(
                    code: .versionNegotiationFailed, message: "ApiVersions v\(version) failed with \(response.errorCode)",
                    broker: broker, api: .apiVersions))
        }
        state = .ready(response)
        return .ready(write: drainQueue())
    }

    /// Encodes queued requests while the in-flight cap allows. A queued request that cannot
    /// be encoded (no common version, bad field) is set aside in `failedWhileDraining`, so
    /// that the action can still carry the frames of the others.
    private mutating func drainQueue() -> [ByteBuffer] {
        var frames: [ByteBuffer] = []
        while !queue.isEmpty, inFlight.count < configuration.maximumInFlightRequests {
            let pending = queue.removeFirst()
            switch encode(pending) {
            case .success(let frame): frames.append(frame)
            case .failure(let error): failedWhileDraining[pending.id] = error
            }
        }
        return frames
    }

    /// Requests that could not be encoded when they left the queue; the handler collects
    /// them with `takeFailedWhileDraining()` after performing an action.
    private var failedWhileDraining: [RequestID: KafkaConnectionError] = [:]

    /// Requests that could not be encoded when they left the queue, to fail.
    public mutating func takeFailedWhileDraining() -> [RequestID: KafkaConnectionError] {
        defer { failedWhileDraining = [:] }
        return failedWhileDraining
    }

    private mutating func encode(_ pending: Pending) -> Result<ByteBuffer, KafkaConnectionError> {
        guard case .ready(let broker) = state else {
            return .failure(.init(code: .connectionClosed, message: "connection is not ready", broker: self.broker))
        }
        let type = type(of: pending.request)
        let version: Int16
        do {
            version = try KafkaVersionNegotiation.negotiate(type.apiKey, ours: type.supportedVersions, broker: broker)
        } catch {
            return .failure(.init(code: .noCommonVersion, message: "\(error)", broker: self.broker, api: type.apiKey))
        }
        let correlationID = correlationIDs.next()
        do {
            let frame = try Self.encodeFrame(pending.request, version: version, correlationID: correlationID, clientID: configuration.clientID)
            inFlight.append(InFlight(id: pending.id, api: type.apiKey, version: version, correlationID: correlationID))
            return .success(frame)
        } catch {
            return .failure(
                .init(
                    code: .protocolError, message: "cannot encode \(type.apiKey) v\(version): \(error)",
                    broker: self.broker, api: type.apiKey))
        }
    }

    private static func encodeFrame<R: KafkaRequest>(_ request: R, version: Int16, correlationID: Int32, clientID: String?) throws -> ByteBuffer {
        try KafkaWire.encodeRequest(request, version: version, correlationID: correlationID, clientID: clientID)
    }

    private mutating func closeAll(
        _ error: KafkaConnectionError, override: [RequestID: KafkaConnectionError] = [:], close: Bool = true
    ) -> Action {
        var failures: [RequestID: KafkaConnectionError] = [:]
        for entry in inFlight {
            var e = error
            e.api = entry.api
            e.correlationID = entry.correlationID
            failures[entry.id] = e
        }
        for pending in queue {
            var e = error
            e.api = type(of: pending.request).apiKey
            e.correlationID = nil
            failures[pending.id] = e
        }
        failures.merge(override) { _, new in new }
        inFlight = []
        queue = []
        state = .closed(error)
        return .failAll(failures, error: error, close: close)
    }
}
