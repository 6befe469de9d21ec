import FreshetCQL
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Requests a connection has outstanding (queued or in flight), readable from any thread, so a
/// pool can pick the least busy connection without hopping onto its event loop.
final class InFlightCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ delta: Int) { value.add(delta, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

/// One connection to a CQL node (Cassandra, ScyllaDB, Freshet's CQL endpoint) speaking native
/// protocol v4: OPTIONS, STARTUP, PasswordAuthenticator and optionally REGISTER before
/// `connect` returns, then requests multiplexed over stream ids, concurrently from any task.
///
/// Reconnecting is the pool's business (`CQLClient`).
public final class CQLConnection: Sendable {
    public struct Configuration: Sendable {
        /// Login for PasswordAuthenticator. Defaults to `nil`.
        public var credentials: CQLCredentials?
        /// Time allowed for TCP connect, TLS and the handshake together. Defaults to 5 seconds.
        public var connectTimeout: TimeAmount
        /// Time allowed for each response. Defaults to 12 seconds (the drivers' default: longer than
        /// Cassandra's own 10-second coordinator timeouts, so those arrive as typed errors).
        public var requestTimeout: TimeAmount
        /// Requests in flight at once (stream ids). Defaults to 1024.
        public var maximumInFlightRequests: Int
        /// Requests waiting for a stream id; one more fails with `.tooManyRequests`. Defaults to 4096.
        public var maximumQueuedRequests: Int
        /// Response bodies longer than this close the connection. Defaults to 64 MiB: a node the
        /// user may not control cannot make the client buffer the spec's 256 MiB per connection,
        /// and a 5,000-row page of Freshet's rows is a few MiB.
        public var maximumFrameBodyLength: Int
        /// What one response may make the decoder build (cells of a Rows result). Defaults to
        /// `CQLResponseLimits()` (1,000,000 cells).
        public var responseLimits: CQLResponseLimits
        /// An OPTIONS request goes out when nothing was sent for this long, as the drivers'
        /// heartbeat does, so that servers with an idle timeout (Freshet's endpoint) keep the
        /// connection. Defaults to 30 seconds; `nil` for none.
        public var heartbeatInterval: TimeAmount?
        /// Event types to REGISTER for. Defaults to none.
        public var events: [String]
        /// TLS (client side). Defaults to `nil`: plaintext.
        public var tls: TLSConfiguration?

        public static let defaultMaximumFrameBodyLength = 64 * 1024 * 1024

        public init(
            credentials: CQLCredentials? = nil, connectTimeout: TimeAmount = .seconds(5), requestTimeout: TimeAmount = .seconds(12),
            maximumInFlightRequests: Int = 1024, maximumQueuedRequests: Int = 4096,
            maximumFrameBodyLength: Int = Configuration.defaultMaximumFrameBodyLength, responseLimits: CQLResponseLimits = CQLResponseLimits(),
            heartbeatInterval: TimeAmount? = .seconds(30), events: [String] = [], tls: TLSConfiguration? = nil
        ) {
            self.credentials = credentials
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maximumInFlightRequests = maximumInFlightRequests
            self.maximumQueuedRequests = maximumQueuedRequests
            self.maximumFrameBodyLength = maximumFrameBodyLength
            self.responseLimits = responseLimits
            self.heartbeatInterval = heartbeatInterval
            self.events = events
            self.tls = tls
        }
    }

    /// A response and the statements re-prepared on the way to it.
    public struct Response: Sendable {
        public var frame: CQLResponseFrame
        public var reprepared: [CQLPrepared]
    }

    private let channel: any Channel
    private let handler: NIOLoopBound<CQLChannelHandler>
    private let pending: InFlightCounter
    /// `host:port`.
    public let host: String

    private init(channel: any Channel, handler: NIOLoopBound<CQLChannelHandler>, pending: InFlightCounter, host: String) {
        self.channel = channel
        self.handler = handler
        self.pending = pending
        self.host = host
    }

    /// Requests sent and not yet completed.
    public var outstandingRequests: Int { pending.current }

    /// Whether the channel is still open.
    public var isActive: Bool { channel.isActive }

    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Connects to `host:port` and completes the handshake.
    ///
    /// Fails with `.connectFailed`, `.connectTimedOut`, `.authenticationRequired`,
    /// `.authenticationFailed` (the server's message in `serverError`), `.unsupportedProtocolVersion`
    /// or `.tlsFailed`.
    /// - Parameters:
    ///   - onEvent: receives server-pushed events (needs `Configuration.events`), on the event loop.
    ///   - onClose: called once when the connection closes, with the reason.
    public static func connect(
        host: String, port: Int, configuration: Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onEvent: (@Sendable (CQLEvent) -> Void)? = nil, onClose: (@Sendable (CQLClientError) -> Void)? = nil
    ) async throws -> CQLConnection {
        let address = "\(host):\(port)"
        let machineConfiguration = CQLClientConnectionStateMachine.Configuration(
            credentials: configuration.credentials, maximumInFlightRequests: configuration.maximumInFlightRequests,
            maximumQueuedRequests: configuration.maximumQueuedRequests, events: configuration.events, host: address,
            responseLimits: configuration.responseLimits)
        let sslContext: NIOSSLContext?
        do {
            sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw CQLClientError(code: .invalidConfiguration, message: "unusable TLS configuration: \(error)", host: address)
        }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port).get()
        } catch {
            throw CQLClientError(code: .connectFailed, message: "cannot connect: \(error)", host: address)
        }
        let pending = InFlightCounter()
        let maximumBodyLength = configuration.maximumFrameBodyLength
        let requestTimeout = configuration.requestTimeout
        let connectTimeout = configuration.connectTimeout
        let heartbeatInterval = configuration.heartbeatInterval
        // All handlers go in within one event-loop turn, so no event can arrive before the CQL
        // handler is there to see it.
        let setup = channel.eventLoop.submit {
            let ready = channel.eventLoop.makePromise(of: Void.self)
            let handler = CQLChannelHandler(
                configuration: machineConfiguration, requestTimeout: requestTimeout, connectTimeout: connectTimeout,
                heartbeatInterval: heartbeatInterval, readyPromise: ready, pending: pending, onEvent: onEvent, onClose: onClose)
            let sync = channel.pipeline.syncOperations
            do {
                if let sslContext {
                    let serverName = host.first.map { $0.isNumber || $0 == "[" } == true ? nil : host
                    try sync.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                }
                try sync.addHandler(ByteToMessageHandler(CQLFrameByteToMessageDecoder(maximumBodyLength: maximumBodyLength)))
                try sync.addHandler(handler)
            } catch {
                ready.fail(error)
                throw error
            }
            return (NIOLoopBound(handler, eventLoop: channel.eventLoop), ready.futureResult)
        }
        do {
            let (handler, ready) = try await setup.get()
            try await ready.get()
            return CQLConnection(channel: channel, handler: handler, pending: pending, host: address)
        } catch let error as CQLClientError {
            try? await channel.close()
            throw error
        } catch let error as NIOSSLError {
            try? await channel.close()
            throw CQLClientError(code: .tlsFailed, message: "TLS handshake failed: \(error)", host: address)
        } catch {
            try? await channel.close()
            throw CQLClientError(code: .connectionClosed, message: "the connection closed during setup: \(error)", host: address)
        }
    }

    /// Sends a request and waits for its response. An ERROR answer throws `CQLClientError`
    /// with code `.server` and the typed `serverError`.
    ///
    /// - Parameter timeout: overrides `Configuration.requestTimeout`.
    public func send(_ request: CQLClientConnectionStateMachine.Request, timeout: TimeAmount? = nil) async throws -> Response {
        let promise = channel.eventLoop.makePromise(of: CQLChannelHandler.Response.self)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.send(request, timeout: timeout, promise: promise)
        }
        let response = try await promise.futureResult.get()
        return Response(frame: response.frame, reprepared: response.reprepared)
    }

    /// Sends `request` and returns its RESULT; any other answer is a `.protocolError`.
    public func result(_ request: CQLRequest, preparedQueries: [ByteBuffer: String] = [:], timeout: TimeAmount? = nil) async throws -> CQLResult {
        let response = try await send(.init(request, preparedQueries: preparedQueries), timeout: timeout)
        guard case .result(let result) = response.frame.response else {
            throw CQLClientError(code: .protocolError, message: "\(request.opcode) answered with \(response.frame.response.opcode)", host: host)
        }
        return result
    }

    /// A QUERY's rows (one page); throws if the result is not Rows.
    public func rows(_ query: String, parameters: CQLQueryParameters = .init()) async throws -> CQLRows {
        guard case .rows(let rows) = try await result(.query(query, parameters: parameters)) else {
            throw CQLClientError(code: .protocolError, message: "\(query) did not return rows", host: host)
        }
        return rows
    }

    /// Closes the connection; pending requests fail with `.connectionClosed`.
    public func close() async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close() }
        try? await channel.closeFuture.get()
    }
}
