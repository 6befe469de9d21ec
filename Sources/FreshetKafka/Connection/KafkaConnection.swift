import NIOCore
import NIOPosix

/// One TCP connection to a Kafka broker: negotiates versions at connect, then sends
/// requests at the highest version both sides support. Requests may be sent concurrently;
/// they are pipelined up to `maximumInFlightRequests`.
///
/// TLS and SASL are not supported yet: `connect` fails with `.notSupported` if asked.
public final class KafkaConnection: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Sent in every request header. Defaults to "freshet".
        public var clientID: String?
        /// Written requests awaiting a response, at most. Defaults to 5.
        public var maximumInFlightRequests: Int
        /// Time allowed for TCP connect plus ApiVersions. Defaults to 10 seconds.
        public var connectTimeout: TimeAmount
        /// Time allowed for each request's response. Defaults to 30 seconds.
        public var requestTimeout: TimeAmount
        /// Largest response frame accepted. Defaults to 100 MiB.
        public var maximumFrameSize: Int
        /// TLS. Not supported yet. Defaults to false.
        public var useTLS: Bool
        /// SASL mechanism (e.g. "PLAIN"). Not supported yet. Defaults to nil.
        public var saslMechanism: String?

        public init(
            clientID: String? = "freshet", maximumInFlightRequests: Int = 5,
            connectTimeout: TimeAmount = .seconds(10), requestTimeout: TimeAmount = .seconds(30),
            maximumFrameSize: Int = 100 * 1024 * 1024, useTLS: Bool = false, saslMechanism: String? = nil
        ) {
            self.clientID = clientID
            self.maximumInFlightRequests = maximumInFlightRequests
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maximumFrameSize = maximumFrameSize
            self.useTLS = useTLS
            self.saslMechanism = saslMechanism
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

    private init(channel: any Channel, handler: NIOLoopBound<KafkaChannelHandler>, broker: String, brokerVersions: ApiVersionsResponse, negotiatedVersions: [ApiKey: Int16]) {
        self.channel = channel
        self.handler = handler
        self.broker = broker
        self.brokerVersions = brokerVersions
        self.negotiatedVersions = negotiatedVersions
    }

    /// Connects to `host:port` and negotiates API versions.
    public static func connect(
        host: String, port: Int, configuration: Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> KafkaConnection {
        let broker = "\(host):\(port)"
        if configuration.useTLS || configuration.saslMechanism != nil {
            throw KafkaConnectionError(
                code: .notSupported, message: "TLS and SASL are not supported yet; use a plaintext listener", broker: broker)
        }
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
        let setup = channel.eventLoop.submit {
            let ready = channel.eventLoop.makePromise(of: ApiVersionsResponse.self)
            let handler = KafkaChannelHandler(configuration: machineConfiguration, requestTimeout: requestTimeout, connectTimeout: connectTimeout, readyPromise: ready)
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(ByteToMessageHandler(KafkaFrameByteToMessageDecoder(maximumFrameSize: maximumFrameSize)))
            try sync.addHandler(handler)
            return (NIOLoopBound(handler, eventLoop: channel.eventLoop), ready.futureResult)
        }
        let (handler, ready) = try await setup.get()
        do {
            let versions = try await ready.get()
            let negotiated = try await channel.eventLoop.submit { handler.value.negotiatedVersions }.get()
            return KafkaConnection(channel: channel, handler: handler, broker: broker, brokerVersions: versions, negotiatedVersions: negotiated)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Sends `request` at the negotiated version and waits for its response.
    ///
    /// - Parameter timeout: overrides `Configuration.requestTimeout`.
    public func send<R: KafkaRequest>(_ request: R, timeout: TimeAmount? = nil) async throws -> R.Response {
        let promise = channel.eventLoop.makePromise(of: KafkaConnectionStateMachine.Response.self)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.send(request, timeout: timeout, promise: promise)
        }
        let response = try await promise.futureResult.get()
        do {
            return try KafkaWire.decodeResponse(response.frame, to: R.self, version: response.version).body
        } catch {
            throw KafkaConnectionError(
                code: .protocolError, message: "cannot decode \(R.apiKey) v\(response.version) response: \(error)",
                broker: broker, api: R.apiKey, correlationID: response.correlationID)
        }
    }

    /// Closes the connection; requests still pending fail with `.connectionClosed`.
    public func close() async throws {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close() }
        try await channel.closeFuture.get()
    }
}
