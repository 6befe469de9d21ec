import NIOCore

/// The protocol state of one client connection to a CQL node, without IO.
///
/// Events go in (`channelActive`, `received`, `send`, `requestTimedOut`, …) and an `Action`
/// comes out, which the channel handler performs. Transitions:
///
/// - `initialized` → `options` on `channelActive` (writes OPTIONS on stream 0).
/// - `options` → `startup` on SUPPORTED (writes STARTUP with `CQL_VERSION` 3.0.0, no compression).
/// - `startup` → `ready` on READY; → `authenticating` on AUTHENTICATE when credentials are
///   configured (writes AUTH_RESPONSE, a SASL PLAIN token `NUL user NUL password`); without
///   credentials → `closed` (`.authenticationRequired`).
/// - `authenticating` → `ready` on AUTH_SUCCESS; → `closed` on an ERROR (`.authenticationFailed`,
///   the server's message kept) or an AUTH_CHALLENGE (PLAIN has none).
/// - `startup`/`authenticating` → `registering` instead of `ready` when `events` is not empty
///   (writes REGISTER); `registering` → `ready` on READY.
/// - `ready`: each request takes a free stream id (1…`maximumInFlightRequests`) and is written;
///   when none is free it waits in a queue of at most `maximumQueuedRequests` (beyond that it
///   fails at once with `.tooManyRequests`: backpressure). A response frees its stream and the
///   oldest queued request takes it. EVENTs (stream -1) become `.event`.
/// - An ERROR UNPREPARED (0x2500) for a statement id whose query text the request carries is
///   answered on the same stream: PREPARE, then the request again with the id the server
///   returned (once per id); the caller learns the new `CQLPrepared` with the result.
/// - A request that times out while queued is dropped; one that was written fails, and its
///   stream stays taken (orphaned) until the late response arrives, so the id is never reused
///   for a response meant for another request. More than `maximumOrphanedStreams` orphans
///   close the connection.
/// - any → `closed` on a handshake ERROR, a frame that cannot be split, a handshake timeout,
///   `close()` or `channelInactive`: every pending request fails with the reason.
public struct CQLClientConnectionStateMachine: Sendable {
    /// Identifies a request for its whole life (queued, written, answered); handed out by the caller.
    public struct RequestID: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64
        public init(_ rawValue: UInt64) { self.rawValue = rawValue }
        public var description: String { "#\(rawValue)" }
    }

    public struct Configuration: Sendable, Hashable {
        /// Login for PasswordAuthenticator. Defaults to `nil`: none.
        public var credentials: CQLCredentials?
        /// Requests written and not yet answered, at most (stream ids 1…this). Defaults to 1024;
        /// clamped to 1…32767 (v4 stream ids are positive `Int16`s).
        public var maximumInFlightRequests: Int
        /// Requests waiting for a stream id, at most. Defaults to 4096.
        public var maximumQueuedRequests: Int
        /// Streams whose request timed out before its response arrived, at most; one more
        /// closes the connection (the node is not answering). Defaults to 256.
        public var maximumOrphanedStreams: Int
        /// Event types to REGISTER for (`CQLEventType`). Defaults to none.
        public var events: [String]
        /// `host:port`, for error messages. Defaults to `nil`.
        public var host: String?
        /// What one response may make the decoder build (cells of a Rows result). A response
        /// past it fails its request. Defaults to `CQLResponseLimits()`.
        public var responseLimits: CQLResponseLimits

        public init(
            credentials: CQLCredentials? = nil, maximumInFlightRequests: Int = 1024, maximumQueuedRequests: Int = 4096,
            maximumOrphanedStreams: Int = 256, events: [String] = [], host: String? = nil,
            responseLimits: CQLResponseLimits = CQLResponseLimits()
        ) {
            self.credentials = credentials
            self.maximumInFlightRequests = min(max(1, maximumInFlightRequests), Int(Int16.max))
            self.maximumQueuedRequests = max(0, maximumQueuedRequests)
            self.maximumOrphanedStreams = max(0, maximumOrphanedStreams)
            self.events = events
            self.host = host
            self.responseLimits = responseLimits
        }
    }

    /// A request and what the connection needs to re-prepare its statements.
    public struct Request: Sendable, Hashable {
        public var request: CQLRequest
        public var tracing: Bool
        /// The query text of each prepared statement id the request uses (EXECUTE, BATCH), so
        /// that an UNPREPARED answer can be handled on this connection.
        public var preparedQueries: [ByteBuffer: String]

        public init(_ request: CQLRequest, tracing: Bool = false, preparedQueries: [ByteBuffer: String] = [:]) {
            self.request = request
            self.tracing = tracing
            self.preparedQueries = preparedQueries
        }
    }

    public enum Action: Sendable, Hashable {
        /// Nothing to do (the request waits in the queue; a late response was dropped).
        case none
        /// Write these frames and flush.
        case write([ByteBuffer])
        /// The handshake is complete; write the queued requests.
        case ready(write: [ByteBuffer])
        /// Complete a request with its response (a non-ERROR message); `reprepared` lists the
        /// statements prepared again on the way. Then write what may now go out.
        case succeed(RequestID, CQLResponseFrame, reprepared: [CQLPrepared], write: [ByteBuffer])
        /// Fail one request; the connection stays usable. Then write what may now go out.
        case fail(RequestID, CQLClientError, write: [ByteBuffer])
        /// A server-pushed event.
        case event(CQLEvent)
        /// Fail these requests and the connect itself if it is under way, then close the channel
        /// (if `close`) with `error` as the reason.
        case failAll([RequestID: CQLClientError], error: CQLClientError, close: Bool)
    }

    public enum State: Sendable, Hashable {
        case initialized
        case options
        case startup
        case authenticating
        case registering
        case ready
        case closed(CQLClientError)
    }

    struct InFlight: Sendable {
        /// `nil` once the request timed out: the stream waits for its late response.
        var id: RequestID?
        var request: Request
        /// The statement id being prepared again on this stream.
        var repreparing: ByteBuffer?
        var reprepared: [CQLPrepared] = []
    }

    struct Queued: Sendable {
        var id: RequestID
        var request: Request
    }

    /// The stream of the handshake's requests.
    static let handshakeStream: Int16 = 0

    public let configuration: Configuration
    public private(set) var state: State = .initialized
    private var streams: [Int16: InFlight] = [:]
    private var freeStreams: [Int16]
    private var streamOf: [RequestID: Int16] = [:]
    private var queue = CircularBuffer<Queued>()
    private var orphans = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        // The setter does not clamp: a value set after `init` may be anything.
        self.freeStreams = (1...Int16(clamping: max(1, configuration.maximumInFlightRequests))).reversed()
    }

    public var isReady: Bool { state == .ready }
    public var isClosed: Bool { if case .closed = state { true } else { false } }
    /// Requests written and not yet answered (orphans included).
    public var inFlightCount: Int { streams.count }
    /// Requests waiting for a stream id.
    public var queuedCount: Int { queue.count }
    /// Streams whose request timed out and whose response has not arrived.
    public var orphanedCount: Int { orphans }

    // MARK: Handshake

    /// The TCP (and TLS) connection is up: ask for the server's options.
    public mutating func channelActive() -> Action {
        guard state == .initialized else { return .none }
        state = .options
        return handshake(.options)
    }

    /// The handshake did not finish in time.
    public mutating func connectTimedOut() -> Action {
        switch state {
        case .ready, .closed: return .none
        default:
            return closeAll(error(.connectTimedOut, "the node did not finish the handshake (\(handshakeStep)) within the connect timeout"))
        }
    }

    var handshakeStep: String {
        switch state {
        case .initialized: "TCP connect"
        case .options: "OPTIONS"
        case .startup: "STARTUP"
        case .authenticating: "AUTH_RESPONSE"
        case .registering: "REGISTER"
        case .ready, .closed: "done"
        }
    }

    private mutating func handshake(_ request: CQLRequest) -> Action {
        do {
            return .write([try CQLRequestFrame(streamID: Self.handshakeStream, request: request).encoded()])
        } catch {
            return closeAll(self.error(.protocolError, "cannot encode \(request.opcode): \(error)"))
        }
    }

    private mutating func handshakeReceived(_ response: CQLResponseFrame) -> Action {
        switch (state, response.response) {
        case (.options, .supported):
            state = .startup
            return handshake(.startup(options: ["CQL_VERSION": "3.0.0"]))
        case (.startup, .ready), (.registering, .ready), (.authenticating, .authSuccess):
            if state != .registering, !configuration.events.isEmpty {
                state = .registering
                return handshake(.register(events: configuration.events))
            }
            state = .ready
            return .ready(write: drainQueue())
        case (.startup, .authenticate(let authenticator)):
            guard let credentials = configuration.credentials else {
                return closeAll(
                    error(
                        .authenticationRequired,
                        "the node requires authentication (\(authenticator)); give a username and password (cassandra://user:password@host)"))
            }
            state = .authenticating
            var token = ByteBuffer()
            token.writeInteger(UInt8(0))
            token.writeString(credentials.username)
            token.writeInteger(UInt8(0))
            token.writeString(credentials.password)
            return handshake(.authResponse(token: token))
        case (.authenticating, .authChallenge):
            return closeAll(
                error(.authenticationFailed, "the node sent an AUTH_CHALLENGE; only PasswordAuthenticator (SASL PLAIN, no challenges) is supported"))
        case (.authenticating, .error(let serverError)):
            let who = configuration.credentials.map { " as \($0.username)" } ?? ""
            return closeAll(
                CQLClientError(
                    code: .authenticationFailed, message: "login\(who) refused: \(serverError.message)", host: configuration.host,
                    serverError: serverError))
        case (_, .error(let serverError)):
            if serverError.code == .protocolError, serverError.message.lowercased().contains("protocol version") {
                return closeAll(
                    CQLClientError(
                        code: .unsupportedProtocolVersion, message: "the node does not speak native protocol v4: \(serverError.message)",
                        host: configuration.host, serverError: serverError))
            }
            return closeAll(
                CQLClientError(
                    code: .server, message: "the node refused \(handshakeStep): \(serverError.code): \(serverError.message)",
                    host: configuration.host, serverError: serverError))
        case (_, let other):
            return closeAll(error(.protocolError, "unexpected \(other.opcode) during the handshake (\(handshakeStep))"))
        }
    }

    // MARK: Requests

    /// Sends `request` (at once if a stream id is free and the handshake is done; else queued).
    public mutating func send(_ request: Request, id: RequestID) -> Action {
        if case .closed(let reason) = state {
            return .fail(
                id, CQLClientError(code: .connectionClosed, message: "the connection is closed: \(reason.message)", host: configuration.host), write: [])
        }
        guard state == .ready, queue.isEmpty, let stream = freeStreams.popLast() else {
            guard queue.count < configuration.maximumQueuedRequests else {
                return .fail(
                    id,
                    error(
                        .tooManyRequests,
                        "\(streams.count) requests in flight and \(queue.count) queued on this connection; slow down or add connections"), write: [])
            }
            queue.append(Queued(id: id, request: request))
            return .none
        }
        switch write(request, id: id, on: stream) {
        case .success(let frame): return .write([frame])
        case .failure(let failure): return .fail(id, failure, write: [])
        }
    }

    /// Encodes and records a request on `stream`; an encoding failure frees the stream.
    private mutating func write(_ request: Request, id: RequestID, on stream: Int16) -> Result<ByteBuffer, CQLClientError> {
        do {
            let frame = try CQLRequestFrame(streamID: stream, tracing: request.tracing, request: request.request).encoded()
            streams[stream] = InFlight(id: id, request: request)
            streamOf[id] = stream
            return .success(frame)
        } catch {
            freeStreams.append(stream)
            return .failure(self.error(.protocolError, "cannot encode \(request.request.opcode): \(error)"))
        }
    }

    /// Writes queued requests while stream ids are free. Requests that cannot be encoded are
    /// failed through `encodingFailures`.
    private mutating func drainQueue() -> [ByteBuffer] {
        var frames: [ByteBuffer] = []
        while state == .ready, !queue.isEmpty, let stream = freeStreams.popLast() {
            let next = queue.removeFirst()
            switch write(next.request, id: next.id, on: stream) {
            case .success(let frame): frames.append(frame)
            case .failure(let failure): encodingFailures.append((next.id, failure))
            }
        }
        return frames
    }

    private var encodingFailures: [(RequestID, CQLClientError)] = []

    /// Requests that failed while the queue drained (they could not be encoded). The handler
    /// fails them after performing each action.
    public mutating func takeFailedWhileDraining() -> [(RequestID, CQLClientError)] {
        defer { encodingFailures = [] }
        return encodingFailures
    }

    /// The request's timeout fired.
    public mutating func requestTimedOut(_ id: RequestID, after timeout: String = "the request timeout") -> Action {
        let failure = error(.requestTimedOut, "no response within \(timeout); the statement may or may not have been applied")
        if let index = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: index)
            return .fail(id, error(.requestTimedOut, "no stream id became free within \(timeout) (the request was never sent)"), write: [])
        }
        guard let stream = streamOf.removeValue(forKey: id) else { return .none }
        streams[stream]?.id = nil
        orphans += 1
        if orphans > configuration.maximumOrphanedStreams {
            var failures = failAllPending()
            failures[id] = failure
            let reason = error(.requestTimedOut, "\(orphans) requests timed out without an answer; closing the connection")
            state = .closed(reason)
            return .failAll(failures, error: reason, close: true)
        }
        return .fail(id, failure, write: [])
    }

    // MARK: Input

    /// A whole frame arrived.
    public mutating func received(_ frame: CQLFrame) -> Action {
        if isClosed { return .none }
        let response: CQLResponseFrame
        do {
            response = try CQLResponseFrame(decoding: frame, limits: configuration.responseLimits)
        } catch {
            let stream = frame.header.streamID
            let failure = self.error(.protocolError, "cannot decode the \(frame.header.opcode) response on stream \(stream): \(error)")
            // The framing is intact: only the request on that stream is lost.
            if state == .ready, let entry = streams.removeValue(forKey: stream) {
                freeStreams.append(stream)
                guard let id = entry.id else {
                    orphans -= 1
                    return .write(drainQueue())
                }
                streamOf[id] = nil
                return .fail(id, failure, write: drainQueue())
            }
            return closeAll(failure)
        }
        return received(response)
    }

    /// A decoded response arrived.
    public mutating func received(_ response: CQLResponseFrame) -> Action {
        if isClosed { return .none }
        if response.streamID < 0 {
            if case .event(let event) = response.response { return .event(event) }
            return .none
        }
        guard state == .ready else {
            guard response.streamID == Self.handshakeStream else {
                return closeAll(error(.protocolError, "a response on stream \(response.streamID) during the handshake"))
            }
            return handshakeReceived(response)
        }
        let stream = response.streamID
        guard var entry = streams[stream] else {
            // Not ours (a stream we never used): ignore it rather than fail unrelated requests.
            return .none
        }
        guard let id = entry.id else {
            streams[stream] = nil
            freeStreams.append(stream)
            orphans -= 1
            return .write(drainQueue())
        }
        if let oldID = entry.repreparing {
            guard case .result(.prepared(let prepared)) = response.response else {
                if case .error(let serverError) = response.response { return finish(stream, id, .server(serverError, host: configuration.host)) }
                return finish(stream, id, error(.protocolError, "PREPARE answered with \(response.response.opcode)"))
            }
            entry.repreparing = nil
            entry.reprepared.append(prepared)
            entry.request.request = Self.replacing(oldID, with: prepared.id, in: entry.request.request)
            if let query = entry.request.preparedQueries.removeValue(forKey: oldID) {
                entry.request.preparedQueries[prepared.id] = query
            }
            entry.request.preparedQueries[oldID] = nil
            streams[stream] = entry
            do {
                let frame = try CQLRequestFrame(streamID: stream, tracing: entry.request.tracing, request: entry.request.request).encoded()
                return .write([frame])
            } catch {
                return finish(stream, id, self.error(.protocolError, "cannot encode \(entry.request.request.opcode): \(error)"))
            }
        }
        if case .error(let serverError) = response.response {
            if serverError.code == .unprepared, case .unprepared(let unknown) = serverError.details,
                let query = entry.request.preparedQueries[unknown], !entry.reprepared.contains(where: { $0.id == unknown })
            {
                entry.repreparing = unknown
                streams[stream] = entry
                do {
                    return .write([try CQLRequestFrame(streamID: stream, request: .prepare(query)).encoded()])
                } catch {
                    return finish(stream, id, self.error(.protocolError, "cannot encode PREPARE: \(error)"))
                }
            }
            return finish(stream, id, .server(serverError, host: configuration.host))
        }
        streams[stream] = nil
        streamOf[id] = nil
        freeStreams.append(stream)
        return .succeed(id, response, reprepared: entry.reprepared, write: drainQueue())
    }

    private mutating func finish(_ stream: Int16, _ id: RequestID, _ failure: CQLClientError) -> Action {
        streams[stream] = nil
        streamOf[id] = nil
        freeStreams.append(stream)
        return .fail(id, failure, write: drainQueue())
    }

    /// `request` with statement id `old` replaced by `new`.
    static func replacing(_ old: ByteBuffer, with new: ByteBuffer, in request: CQLRequest) -> CQLRequest {
        switch request {
        case .execute(let id, let parameters) where id == old:
            return .execute(id: new, parameters: parameters)
        case .batch(var batch):
            for i in batch.statements.indices {
                if case .prepared(let id) = batch.statements[i].kind, id == old { batch.statements[i].kind = .prepared(id: new) }
            }
            return .batch(batch)
        default:
            return request
        }
    }

    // MARK: Closing

    /// The input could not be split into frames.
    public mutating func decodeFailed(_ failure: any Error) -> Action {
        if isClosed { return .none }
        return closeAll(error(.protocolError, "the node's bytes cannot be split into v4 frames: \(failure)"))
    }

    public mutating func errorCaught(_ failure: any Error) -> Action {
        if isClosed { return .none }
        if let clientError = failure as? CQLClientError { return closeAll(clientError) }
        return closeAll(error(.connectionClosed, "the connection failed: \(failure)"))
    }

    public mutating func channelInactive() -> Action {
        if isClosed { return .none }
        let during = state == .ready ? "" : " during the handshake (\(handshakeStep))"
        return closeAll(error(.connectionClosed, "the node closed the connection\(during)"), close: false)
    }

    public mutating func close() -> Action {
        if isClosed { return .none }
        return closeAll(error(.connectionClosed, "the connection was closed by the client"))
    }

    private mutating func failAllPending() -> [RequestID: CQLClientError] {
        var failures: [RequestID: CQLClientError] = [:]
        let reason = error(.connectionClosed, "the connection closed before the response arrived")
        for entry in streams.values { if let id = entry.id { failures[id] = reason } }
        for queued in queue { failures[queued.id] = reason }
        streams = [:]
        streamOf = [:]
        queue.removeAll()
        return failures
    }

    private mutating func closeAll(_ reason: CQLClientError, close: Bool = true) -> Action {
        var failures = failAllPending()
        for key in failures.keys {
            failures[key] = CQLClientError(code: .connectionClosed, message: "the connection closed: \(reason.message)", host: configuration.host)
        }
        state = .closed(reason)
        return .failAll(failures, error: reason, close: close)
    }

    private func error(_ code: CQLClientError.Code, _ message: String) -> CQLClientError {
        CQLClientError(code: code, message: message, host: configuration.host)
    }
}
