import FreshetCQL
import FreshetCore
import FreshetStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Configuration of the CQL endpoint (`cql.*` in Freshet's config file).
public struct CQLServerConfiguration: Sendable {
    /// Defaults to "127.0.0.1".
    public var host: String
    /// Defaults to 9042, Cassandra's native port; 0 picks a free port.
    public var port: Int
    /// When set, clients must log in with these (Cassandra's PasswordAuthenticator). Defaults
    /// to `nil`: no authentication.
    public var credentials: CQLCredentials?
    /// Requests one connection may have running at once; further frames wait in the socket.
    /// Defaults to 128.
    public var maxInFlightRequestsPerConnection: Int
    /// Frames with a longer body are refused and the connection closed. Defaults to 16 MiB.
    public var maximumFrameBodyLength: Int
    /// What `system.local` says: cluster name, data center, release version... Defaults to
    /// `CQLNodeInfo()` (cluster "Freshet", datacenter1, Cassandra 4.1.5).
    public var node: CQLNodeInfo

    public init(
        host: String = "127.0.0.1", port: Int = 9042, credentials: CQLCredentials? = nil, maxInFlightRequestsPerConnection: Int = 128,
        maximumFrameBodyLength: Int = 16 * 1024 * 1024, node: CQLNodeInfo = CQLNodeInfo()
    ) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection
        self.maximumFrameBodyLength = maximumFrameBodyLength
        self.node = node
    }
}

/// Freshet's store served over Cassandra's native protocol v4, so that cqlsh and the
/// DataStax drivers read (and write) `spark_streams.created_users` as if Freshet were
/// Cassandra. A `Service`: `run()` listens until cancelled or gracefully shut down, then
/// closes the listener and every connection.
///
///     let cql = CQLServer(configuration: .init(port: 9042), queries: store, sink: store, logger: logger)
///     // in a ServiceGroup, or: try await cql.run()
public struct CQLServer: Service {
    public let configuration: CQLServerConfiguration
    let planner: CQLQueryPlanner
    let storage: [String: any CQLTableStorage]
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - queries: where reads go (`SQLiteStore`). When it is also a `KeyedRowStore`, the endpoint
    ///     serves `SinkStateCQLTables` (a remote Cassandra sink's positions and window counts) too.
    ///   - sink: where INSERTs go, as `SinkBatch`es of rows; `nil` makes the endpoint read-only.
    ///   - now: ms since the epoch, for `ingested_at` of rows an INSERT creates without one.
    ///   - onListening: receives the bound port (useful with port 0).
    public init(
        configuration: CQLServerConfiguration, queries: any UserQueries, sink: (any Sink)?, logger: Logger = Logger(label: "freshet.cql"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        now: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        var keyspace = CreatedUsersCQLTable.keyspace
        var storage: [String: any CQLTableStorage] = [
            CreatedUsersCQLTable.definition.qualifiedName: CreatedUsersStorage(queries: queries, sink: sink, now: now)
        ]
        // A store that keeps keyed rows (SQLite) also serves a remote sink's bookkeeping tables.
        if let keyed = queries as? any KeyedRowStore {
            let names = Set(SinkStateCQLTables.all.map(\.qualifiedName))
            for table in SinkStateCQLTables.all {
                keyspace.tables.append(table)
                storage[table.qualifiedName] = KeyedCQLTableStorage(table: table, store: keyed, writable: sink != nil, siblings: names)
            }
        }
        self.planner = CQLQueryPlanner(catalog: CQLCatalog(node: configuration.node, userKeyspaces: [keyspace]))
        self.storage = storage
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.onListening = onListening
    }

    public func run() async throws {
        let maximumBodyLength = configuration.maximumFrameBodyLength
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CQLFrameByteToMessageDecoder(maximumBodyLength: maximumBodyLength)))
                    return try NIOAsyncChannel<CQLFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info(
            "CQL endpoint listening",
            metadata: ["host": "\(configuration.host)", "port": "\(port)", "authentication": "\(configuration.credentials == nil ? "none" : "password")"])
        await onListening(port)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await self.serve(connection, port: port) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Cancellation is how a service is told to stop.
        }
        logger.info("CQL endpoint stopped", metadata: ["port": "\(port)"])
    }

    /// One client connection: frames through the state machine and the planner; storage work
    /// runs concurrently, at most `maxInFlightRequestsPerConnection` at a time.
    func serve(_ connection: NIOAsyncChannel<CQLFrame, ByteBuffer>, port: Int) async {
        let peer = connection.channel.remoteAddress?.description ?? "?"
        let local = connection.channel.localAddress?.ipAddress.flatMap(CQLInetAddress.init) ?? CQLInetAddress("127.0.0.1")!
        let addresses = CQLSystemSchema.Addresses(address: local, nativePort: Int32(port))
        let logger = {
            var logger = self.logger
            logger[metadataKey: "peer"] = "\(peer)"
            return logger
        }()
        logger.debug("CQL connection opened")
        do {
            try await connection.executeThenClose { inbound, outbound in
                var machine = CQLServerConnectionStateMachine(configuration: .init(credentials: configuration.credentials, cqlVersion: configuration.node.cqlVersion))
                let maxInFlight = max(1, configuration.maxInFlightRequestsPerConnection)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var running = 0
                    var frames = inbound.makeAsyncIterator()
                    loop: while true {
                        while running >= maxInFlight {
                            try await group.next()
                            running -= 1
                        }
                        let action: CQLServerConnectionStateMachine.Action
                        do {
                            guard let frame = try await frames.next() else { break loop }
                            action = machine.received(frame)
                        } catch {
                            logger.debug("CQL input rejected", metadata: ["error": "\(error)"])
                            action = machine.decodeFailed(error)
                        }
                        switch action {
                        case .none:
                            break
                        case .respond(let response):
                            try await outbound.write(Self.encode(response))
                        case .respondAndClose(let response):
                            try await outbound.write(Self.encode(response))
                            break loop
                        case .process(let request):
                            let session = CQLSessionState(keyspace: machine.keyspace, addresses: addresses)
                            switch planner.plan(request.request, session: session) {
                            case .result(let result):
                                if case .setKeyspace(let keyspace) = result { machine.keyspace = keyspace }
                                try await outbound.write(Self.encode(CQLResponseFrame(streamID: request.streamID, response: .result(result))))
                            case .error(let error):
                                logger.debug("CQL request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
                                try await outbound.write(Self.encode(CQLResponseFrame(streamID: request.streamID, response: .error(error))))
                            case .storage(let operation):
                                guard let storage = storage[operation.table.qualifiedName] else {
                                    let error = CQLServerError(code: .serverError, message: "no storage for \(operation.table.qualifiedName)")
                                    try await outbound.write(Self.encode(CQLResponseFrame(streamID: request.streamID, response: .error(error))))
                                    continue loop
                                }
                                running += 1
                                group.addTask {
                                    let response: CQLResponse
                                    do throws(CQLServerError) {
                                        response = .result(try await operation.run(on: storage))
                                    } catch {
                                        logger.debug("CQL request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
                                        response = .error(error)
                                    }
                                    try await outbound.write(Self.encode(CQLResponseFrame(streamID: request.streamID, response: response)))
                                }
                            }
                        }
                    }
                    machine.closed()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.debug("CQL connection ended with an error", metadata: ["error": "\(error)"])
        }
        logger.debug("CQL connection closed")
    }

    /// The frame's bytes; a response too large to encode becomes a SERVER_ERROR on its stream.
    static func encode(_ response: CQLResponseFrame) -> ByteBuffer {
        do {
            return try response.encoded()
        } catch {
            let fallback = CQLResponseFrame(
                streamID: response.streamID,
                response: .error(CQLServerError(code: .serverError, message: "the response could not be encoded: \(error)")))
            return (try? fallback.encoded()) ?? ByteBuffer()
        }
    }
}
