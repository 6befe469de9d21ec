import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One TCP connection to a Kafka broker: negotiates versions at connect, then sends
/// requests at the highest version both sides support. Requests may be sent concurrently;
/// they are pipelined up to `maximumInFlightRequests`.
///
/// With `Configuration.tls` the connection speaks TLS (NIOSSL first in the pipeline); with
/// `Configuration.sasl` it authenticates (SaslHandshake v1, then SaslAuthenticate rounds)
/// before `connect` returns. Reconnecting is the caller's business.
public final class KafkaConnection: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Sent in every request header. Defaults to "freshet".
        public var clientID: String?
        /// Written requests awaiting a response, at most. Defaults to 5.
        public var maximumInFlightRequests: Int
        /// Time allowed for TCP connect, TLS handshake, ApiVersions and SASL together.
        /// Defaults to 10 seconds.
        public var connectTimeout: TimeAmount
        /// Time allowed for each request's response. Defaults to 30 seconds.
        public var requestTimeout: TimeAmount
        /// Largest response frame accepted; a larger (or negative) size prefix closes the
        /// connection with a protocol error before anything is buffered for it. At most
        /// `Int32.max`. URL key `max_frame_bytes`. Defaults to 100 MiB (Kafka's
        /// `socket.request.max.bytes`).
        public var maximumFrameSize: Int
        /// TLS. Defaults to nil: plaintext.
        public var tls: KafkaTLSConfiguration?
        /// SASL authentication. Defaults to nil: none. Its password is redacted wherever
        /// the configuration is printed.
        public var sasl: KafkaSASLConfiguration?

        public init(
            clientID: String? = "freshet", maximumInFlightRequests: Int = 5,
            connectTimeout: TimeAmount = .seconds(10), requestTimeout: TimeAmount = .seconds(30),
            maximumFrameSize: Int = 100 * 1024 * 1024, tls: KafkaTLSConfiguration? = nil,
            sasl: KafkaSASLConfiguration? = nil
        ) {
            self.clientID = clientID
            self.maximumInFlightRequests = maximumInFlightRequests
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maximumFrameSize = maximumFrameSize
            self.tls = tls
            self.sasl = sasl
        }
    }

    private let channel: any Channel
    private let handler: NIOLoopBound<KafkaChannelHandler>
    /// The broker, as `host:port`.
    public let broker: String
    /// The broker's ApiVersions answer.
    public let brokerVersions: ApiVersionsResponse
    /// The version used for each API Freshet implements and the broker supports.
    public let negotiatedVersions: [ApiKey: Int16]

    private init(
        channel: any Channel, handler: NIOLoopBound<KafkaChannelHandler>, broker: String, brokerVersions: ApiVersionsResponse,
        negotiatedVersions: [ApiKey: Int16]
    ) {
        self.channel = channel
        self.handler = handler
        self.broker = broker
        self.brokerVersions = brokerVersions
        self.negotiatedVersions = negotiatedVersions
    }

    /// Connects to `host:port`, completes the TLS handshake if configured, negotiates API
    /// versions and authenticates with SASL if configured.
    ///
    /// Fails with `.tlsFailed` (certificate, server name), `.authenticationFailed` (rejected
    /// credentials, failed SCRAM check), `.unsupportedSASLMechanism` (the message names the
    /// broker's mechanisms) or `.invalidConfiguration` (unreadable PEM file), among others.
    public static func connect(
        host: String, port: Int, configuration: Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> KafkaConnection {
        let broker = "\(host):\(port)"
        let deadline = NIODeadline.now() + configuration.connectTimeout
        let sslContext = try configuration.tls?.makeSSLContext(broker: broker)
        let sniName = configuration.tls?.sniName(host: host)
        let machineConfiguration = KafkaConnectionStateMachine.Configuration(
            clientID: configuration.clientID, maximumInFlightRequests: configuration.maximumInFlightRequests,
            brokerDescription: broker)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port).get()
        } catch {
            throw KafkaConnectionError(code: .connectFailed, message: "cannot connect: \(error)", broker: broker)
        }
        let maximumFrameSize = configuration.maximumFrameSize
        let requestTimeout = configuration.requestTimeout
        let connectTimeout = configuration.connectTimeout
        let tls = configuration.tls.map { (configuration: $0, host: host) }
        // All handlers go in within one event-loop turn, so that no event (a TLS alert, the
        // broker closing) can arrive before the Kafka handler is there to report it. Adding
        // the TLS handler to an active channel starts its handshake.
        let setup = channel.eventLoop.submit {
            let ready = channel.eventLoop.makePromise(of: ApiVersionsResponse.self)
            let handler = KafkaChannelHandler(
                configuration: machineConfiguration, requestTimeout: requestTimeout, connectTimeout: connectTimeout,
                readyPromise: ready, tls: tls)
            let sync = channel.pipeline.syncOperations
            do {
                if let sslContext {
                    let tlsHandler: NIOSSLClientHandler
                    do {
                        tlsHandler = try NIOSSLClientHandler(context: sslContext, serverHostname: sniName)
                    } catch {
                        throw KafkaConnectionError(
                            code: .invalidConfiguration, message: "cannot use '\(sniName ?? host)' as TLS server name: \(error)",
                            broker: broker)
                    }
                    try sync.addHandler(tlsHandler)
                }
                try sync.addHandler(ByteToMessageHandler(KafkaFrameByteToMessageDecoder(maximumFrameSize: maximumFrameSize)))
                try sync.addHandler(handler)
            } catch {
                ready.fail(error)
                throw error
            }
            return (NIOLoopBound(handler, eventLoop: channel.eventLoop), ready.futureResult)
        }
        let handler: NIOLoopBound<KafkaChannelHandler>
        let ready: EventLoopFuture<ApiVersionsResponse>
        do {
            (handler, ready) = try await setup.get()
        } catch let error as KafkaConnectionError {
            try? await channel.close()
            throw error
        } catch {
            try? await channel.close()
            throw KafkaConnectionError(code: .connectionClosed, message: "the connection closed during setup: \(error)", broker: broker)
        }
        do {
            let versions = try await ready.get()
            let negotiated = try await channel.eventLoop.submit { handler.value.negotiatedVersions }.get()
            let connection = KafkaConnection(
                channel: channel, handler: handler, broker: broker, brokerVersions: versions, negotiatedVersions: negotiated)
            if let sasl = configuration.sasl {
                try await connection.authenticate(sasl, deadline: deadline)
            }
            return connection
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Runs the SASL exchange that `KafkaSASLStateMachine` describes, within what is left of
    /// the connect timeout.
    private func authenticate(_ sasl: KafkaSASLConfiguration, deadline: NIODeadline) async throws {
        // SaslHandshake v0 means raw SASL tokens on the socket (Kafka before 1.0), which
        // Freshet does not speak.
        guard brokerVersions.versions(of: .saslHandshake)?.contains(1) == true,
            brokerVersions.versions(of: .saslAuthenticate) != nil
        else {
            throw KafkaConnectionError(
                code: .notSupported,
                message: "the broker lacks SaslHandshake v1 and SaslAuthenticate (Kafka 1.0 or later is needed for SASL)",
                broker: broker, api: .saslAuthenticate)
        }
        var machine = KafkaSASLStateMachine(configuration: sasl, broker: broker)
        var action = machine.start()
        while true {
            let remaining = max(deadline - .now(), .milliseconds(1))
            switch action {
            case .sendHandshake(let mechanism):
                let response = try await explained("SaslHandshake for \(mechanism)", hint: " (a broker may do this when it does not enable the mechanism)") {
                    try await send(SaslHandshakeRequest(mechanism: mechanism), timeout: remaining)
                }
                action = machine.handshakeReceived(response)
            case .sendAuthenticate(let bytes):
                let response = try await explained("SaslAuthenticate for \(sasl.mechanism)", hint: "") {
                    try await send(SaslAuthenticateRequest(authBytes: bytes), timeout: remaining)
                }
                action = machine.authenticateReceived(response)
            case .authenticated:
                return
            case .fail(let error):
                throw error
            }
        }
    }

    /// Adds the SASL step to a closed connection's or a timeout's message.
    private func explained<T>(_ step: String, hint: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch var error as KafkaConnectionError where error.code == .connectionClosed || error.code == .requestTimedOut {
            let what = error.code == .connectionClosed ? "closed the connection in answer to" : "did not answer"
            error.message = "the broker \(what) \(step)\(hint): \(error.message)"
            throw error
        }
    }

    /// Sends `request` at the negotiated version and waits for its response. Cancelling the
    /// waiting task stops the wait (the request itself stays on the connection).
    ///
    /// - Parameter timeout: overrides `Configuration.requestTimeout`.
    public func send<R: KafkaRequest>(_ request: R, timeout: TimeAmount? = nil) async throws -> R.Response {
        try await write(request, timeout: timeout).response()
    }

    /// Hands `request` to the connection now and returns a handle to its response. Requests
    /// written one after another from one task (or actor) go on the wire in that order, which
    /// `send` from concurrent tasks does not promise.
    public func write<R: KafkaRequest>(_ request: R, timeout: TimeAmount? = nil) -> KafkaPendingResponse<R> {
        let promise = channel.eventLoop.makePromise(of: KafkaConnectionStateMachine.Response.self)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.send(request, timeout: timeout, promise: promise)
        }
        return KafkaPendingResponse(future: promise.futureResult, broker: broker)
    }

    /// Closes the connection; requests still pending fail with `.connectionClosed`.
    public func close() async throws {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close() }
        try await channel.closeFuture.get()
    }
}

/// A request written on a `KafkaConnection`, awaiting its response.
public struct KafkaPendingResponse<R: KafkaRequest>: Sendable {
    let future: EventLoopFuture<KafkaConnectionStateMachine.Response>
    let broker: String

    /// Waits for the response and decodes it. Throws `KafkaConnectionError` (the connection's
    /// errors, `.protocolError` for an undecodable answer) or `CancellationError` when the
    /// waiting task is cancelled.
    public func response() async throws -> R.Response {
        let response = try await Self.cancellable(future)
        do {
            return try KafkaWire.decodeResponse(response.frame, to: R.self, version: response.version).body
        } catch {
            throw KafkaConnectionError(
                code: .protocolError, message: "cannot decode \(R.apiKey) v\(response.version) response: \(error)",
                broker: broker, api: R.apiKey, correlationID: response.correlationID)
        }
    }

    private enum Wait {
        case idle
        case waiting(CheckedContinuation<KafkaConnectionStateMachine.Response, any Error>)
        case cancelled
        case done
    }

    private final class WaitBox: Sendable {
        let value = Mutex(Wait.idle)
    }

    /// `future.get()` that a cancelled task stops waiting for.
    private static func cancellable(
        _ future: EventLoopFuture<KafkaConnectionStateMachine.Response>
    ) async throws -> KafkaConnectionStateMachine.Response {
        let state = WaitBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                let cancelled = state.value.withLock { s -> Bool in
                    if case .cancelled = s { return true }
                    s = .waiting(c)
                    return false
                }
                if cancelled {
                    c.resume(throwing: CancellationError())
                    return
                }
                future.whenComplete { result in
                    let waiting = state.value.withLock { s -> CheckedContinuation<KafkaConnectionStateMachine.Response, any Error>? in
                        guard case .waiting(let c) = s else { return nil }
                        s = .done
                        return c
                    }
                    waiting?.resume(with: result)
                }
            }
        } onCancel: {
            let waiting = state.value.withLock { s -> CheckedContinuation<KafkaConnectionStateMachine.Response, any Error>? in
                switch s {
                case .waiting(let c):
                    s = .done
                    return c
                case .idle:
                    s = .cancelled
                    return nil
                case .cancelled, .done:
                    return nil
                }
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}
